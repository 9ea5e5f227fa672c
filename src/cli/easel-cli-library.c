/* easel-cli-library.c: `easel library …` and the CLI's bridge to the store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The library lives in $XDG_DATA_HOME/easel; EASEL_LIBRARY_DIR overrides it
 * (tests, or keeping a project's images apart).
 */

#define G_LOG_DOMAIN "easel-cli-library"

#include "config.h"

#include "easel-json.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "easel-cli-library.h"
#include "easel-cli-private.h"
#include "easel-store.h"

static EaselStore *
open_default_store (GError **error)
{
  return easel_store_open (g_getenv ("EASEL_LIBRARY_DIR"), error);
}

static int
store_error (const GError *error)
{
  fprintf (stderr, "easel: %s\n", error->message);
  if (g_error_matches (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_CORRUPT))
    fprintf (stderr, "easel: the Easel app offers to move the damaged library aside and start a new one\n");
  return g_error_matches (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_NOT_FOUND) ||
         g_error_matches (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID)
         ? EASEL_CLI_EXIT_USAGE : EASEL_CLI_EXIT_FAILED;
}

static gboolean
parse_id (const char *str, gint64 *id)
{
  guint64 v;

  if (!g_ascii_string_to_unsigned (str, 10, 1, G_MAXINT64, &v, NULL))
    {
      fprintf (stderr, "easel: '%s' is not a library id (see `easel library list`)\n", str);
      return FALSE;
    }
  *id = (gint64) v;
  return TRUE;
}

static char *
format_date (gint64 unix_seconds)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (unix_seconds);

  return dt ? g_date_time_format (dt, "%Y-%m-%d %H:%M") : g_strdup ("?");
}

static char *
format_cost (double usd)
{
  return usd < 0 ? g_strdup ("?") : g_strdup_printf ("$%.3f", usd);
}

/* ---- JSON ---------------------------------------------------------------- */

/* @text escaped and capped for the terminal, owned by @pool. */
static const char *
shown (GPtrArray  *pool,
       const char *text)
{
  g_autofree char *redacted = easel_redact (text, NULL);

  g_ptr_array_add (pool, easel_text_escape_untrusted (redacted, EASEL_TEXT_MAX_SHOWN));
  return g_ptr_array_index (pool, pool->len - 1);
}

/* The user's own prompt: escaped, but whole (a prompt may be 32,000 characters). */
static const char *
shown_full (GPtrArray  *pool,
            const char *text)
{
  g_ptr_array_add (pool, easel_text_escape_untrusted (text, 0));
  return g_ptr_array_index (pool, pool->len - 1);
}

static void
add_str (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  if (value)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_int (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
add_usd (JsonBuilder *b, const char *name, double value)
{
  json_builder_set_member_name (b, name);
  if (value >= 0)
    json_builder_add_double_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_parsed (JsonBuilder *b, const char *name, const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  json_builder_set_member_name (b, name);
  if (json && easel_json_check_depth (json, -1, EASEL_JSON_MAX_DEPTH, NULL) &&
      json_parser_load_from_data (parser, json, -1, NULL))
    json_builder_add_value (b, json_node_copy (json_parser_get_root (parser)));
  else
    json_builder_add_null_value (b);
}

static void
generation_to_json (JsonBuilder *b, EaselGeneration *g, gboolean full)
{
  json_builder_begin_object (b);
  add_int (b, "id", g->id);
  add_str (b, "status", easel_generation_status_to_string (g->status));
  add_int (b, "created", g->created);
  add_str (b, "model", g->model);
  add_str (b, "prompt", g->prompt);
  add_str (b, "revised_prompt", g->revised_prompt);
  add_str (b, "size", g->size);
  add_str (b, "quality", g->quality);
  add_str (b, "format", g->format);
  add_str (b, "path", g->path);
  add_usd (b, "estimated_usd", g->estimated_usd);
  add_usd (b, "actual_usd", g->actual_usd);
  json_builder_set_member_name (b, "starred");
  json_builder_add_boolean_value (b, g->starred);
  json_builder_set_member_name (b, "picked");
  json_builder_add_boolean_value (b, g->picked);
  if (full)
    {
      add_str (b, "api", g->api);
      add_str (b, "sha256", g->sha256);
      add_str (b, "action", g->action);
      add_str (b, "background", g->background);
      add_parsed (b, "params", g->params_json);
      add_parsed (b, "usage", g->usage_json);
      add_int (b, "input_tokens", g->input_tokens);
      add_int (b, "output_tokens", g->output_tokens);
      add_str (b, "request_hash", g->request_hash);
      add_str (b, "response_id", g->response_id);
      add_str (b, "image_call_id", g->image_call_id);
      add_int (b, "conversation_id", g->conversation_id);
      add_int (b, "turn_id", g->turn_id);
      add_int (b, "parent_generation_id", g->parent_generation_id);
      add_str (b, "mask_sha256", g->mask_sha256);
      add_str (b, "error_type", g->error_type);
      add_str (b, "error_code", g->error_code);
      add_str (b, "error_message", g->error_message);
      add_int (b, "deleted_at", g->deleted_at);
    }
  json_builder_end_object (b);
}

static void
print_json (JsonBuilder *b)
{
  g_autoptr(JsonNode) root = json_builder_get_root (b);
  g_autofree char *text = json_to_string (root, TRUE);

  printf ("%s\n", text);
}

/* ---- list / search -------------------------------------------------------- */

static int
cmd_list (int argc, char **argv, gboolean search)
{
  g_autoptr(GOptionContext) ctx = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselStore) store = NULL;
  g_autoptr(EaselStoreQuery) q = easel_store_query_new ();
  g_autoptr(GPtrArray) rows = NULL;
  g_autofree char *model = NULL;
  g_autofree char *sort = NULL;
  gint64 comparison = 0;
  gboolean starred = FALSE, failed = FALSE, trash = FALSE, json = FALSE;
  int limit = 20, offset = 0;
  guint total = 0;
  GOptionEntry entries[] = {
    { "limit", 'n', 0, G_OPTION_ARG_INT, &limit, "Show at most N entries (0: all; default 20)", "N" },
    { "offset", 0, 0, G_OPTION_ARG_INT, &offset, "Skip the first N entries", "N" },
    { "model", 'm', 0, G_OPTION_ARG_STRING, &model, "Only this model", "MODEL" },
    { "starred", 0, 0, G_OPTION_ARG_NONE, &starred, "Only starred images", NULL },
    { "comparison", 0, 0, G_OPTION_ARG_INT64, &comparison, "Only the images of this comparison set (`easel compare`)", "ID" },
    { "failed", 0, 0, G_OPTION_ARG_NONE, &failed, "Include failed, moderated and cancelled requests", NULL },
    { "deleted", 0, 0, G_OPTION_ARG_NONE, &trash, "Show deleted entries instead", NULL },
    { "sort", 's', 0, G_OPTION_ARG_STRING, &sort, "newest (default), oldest or cost", "ORDER" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { NULL }
  };

  ctx = g_option_context_new (search ? "TEXT… - search the library" : "- list the library");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "easel library: %s\n", error->message);
      return EASEL_CLI_EXIT_USAGE;
    }
  if (search && argc < 2)
    {
      fprintf (stderr, "easel library search: what should I look for?\n");
      return EASEL_CLI_EXIT_USAGE;
    }
  if (limit < 0 || offset < 0)
    {
      fprintf (stderr, "easel library: --limit and --offset cannot be negative\n");
      return EASEL_CLI_EXIT_USAGE;
    }
  if (sort == NULL || g_str_equal (sort, "newest"))
    q->sort = EASEL_STORE_SORT_NEWEST;
  else if (g_str_equal (sort, "oldest"))
    q->sort = EASEL_STORE_SORT_OLDEST;
  else if (g_str_equal (sort, "cost"))
    q->sort = EASEL_STORE_SORT_COST;
  else
    {
      fprintf (stderr, "easel library: --sort must be newest, oldest or cost, not '%s'\n", sort);
      return EASEL_CLI_EXIT_USAGE;
    }

  if (search)
    q->text = g_strjoinv (" ", argv + 1);
  q->model = g_steal_pointer (&model);
  q->starred_only = starred;
  q->comparison_id = comparison > 0 ? comparison : 0;
  q->include_failed = failed;
  q->deleted_only = trash;
  q->limit = limit;
  q->offset = offset;

  if (!(store = open_default_store (&error)) ||
      !(rows = easel_store_query (store, q, &total, &error)))
    return store_error (error);

  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();

      json_builder_begin_object (b);
      add_int (b, "total", total);
      json_builder_set_member_name (b, "items");
      json_builder_begin_array (b);
      for (guint i = 0; i < rows->len; i++)
        generation_to_json (b, rows->pdata[i], FALSE);
      json_builder_end_array (b);
      json_builder_end_object (b);
      print_json (b);
      return EASEL_CLI_EXIT_OK;
    }

  for (guint i = 0; i < rows->len; i++)
    {
      EaselGeneration *g = rows->pdata[i];
      g_autofree char *date = format_date (g->created);
      g_autofree char *cost = format_cost (easel_generation_get_cost (g));
      /* A record may come from an imported library: show it escaped. */
      g_autofree char *shortp = easel_text_escape_untrusted (g->prompt ? g->prompt : "", 60);
      g_autofree char *model = easel_text_escape_untrusted (g->model ? g->model : "?", 60);

      /* Even a cost from reported usage is priced with the table, so a
       * borrowed price stays an assumption. */
      printf ("%6" G_GINT64_FORMAT "  %s  %-18s %8s %s%s%s%s\n", g->id, date, model,
              cost, g->starred ? "★ " : "",
              g->status != EASEL_GENERATION_OK ? easel_generation_status_to_string (g->status) : "",
              g->status != EASEL_GENERATION_OK ? ": " : "",
              easel_cost_price_assumption (g->model) ? "(assumed price) " : "");
      printf ("        %s\n", shortp);
    }
  if (rows->len < total)
    fprintf (stderr, "(%u of %u shown; use --limit/--offset for more)\n", rows->len, total);
  else if (total == 0)
    fprintf (stderr, "(nothing in the library matches)\n");
  return EASEL_CLI_EXIT_OK;
}

/* ---- show ---------------------------------------------------------------- */

static int
cmd_show (int argc, char **argv)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new ("ID - show one library entry");
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselStore) store = NULL;
  g_autoptr(EaselGeneration) g = NULL;
  gboolean json = FALSE;
  gint64 id;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { NULL }
  };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "easel library show: %s\n", error->message);
      return EASEL_CLI_EXIT_USAGE;
    }
  if (argc != 2)
    {
      fprintf (stderr, "easel library show: give one id\n");
      return EASEL_CLI_EXIT_USAGE;
    }
  if (!parse_id (argv[1], &id))
    return EASEL_CLI_EXIT_USAGE;
  if (!(store = open_default_store (&error)) || !(g = easel_store_get_generation (store, id, &error)))
    return store_error (error);

  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();

      generation_to_json (b, g, TRUE);
      print_json (b);
    }
  else
    {
      g_autofree char *date = format_date (g->created);
      g_autofree char *est = format_cost (g->estimated_usd);
      g_autofree char *act = format_cost (g->actual_usd);

      /* Every text here may be the server's (revised prompt, error) or an
       * imported record's: escaped, capped, and the key redacted. */
      g_autoptr(GPtrArray) pool = g_ptr_array_new_with_free_func (g_free);
#define SHOW(text) shown (pool, (text))

      printf ("id:          %" G_GINT64_FORMAT "%s%s\n", g->id, g->starred ? " ★" : "",
              g->deleted_at ? " (deleted)" : "");
      printf ("status:      %s%s\n", easel_generation_status_to_string (g->status),
              g->status == EASEL_GENERATION_INCOMPLETE
                ? " (the stream broke: this is the last partial image; the server may have billed it)" : "");
      if (!g->picked)
        printf ("picked:      no (another image of the same answer was picked)\n");
      printf ("created:     %s\n", date);
      printf ("model:       %s (%s)\n", SHOW (g->model ? g->model : "?"), SHOW (g->api ? g->api : "?"));
      printf ("prompt:      %s\n", g->prompt ? shown_full (pool, g->prompt) : "");
      if (g->revised_prompt)
        printf ("revised:     %s\n", SHOW (g->revised_prompt));
      printf ("size:        %s  quality: %s  format: %s  background: %s\n",
              SHOW (g->size ? g->size : "-"), SHOW (g->quality ? g->quality : "-"),
              SHOW (g->format ? g->format : "-"), SHOW (g->background ? g->background : "-"));
      printf ("cost:        %s actual, %s estimated  (tokens in %" G_GINT64_FORMAT ", out %" G_GINT64_FORMAT ")\n",
              act, est, g->input_tokens, g->output_tokens);
      if (easel_cost_price_assumption (g->model) != NULL)
        printf ("             (%s)\n", easel_cost_price_assumption (g->model));
      if (g->path)
        printf ("file:        %s\n", SHOW (g->path));
      if (g->params_json)
        printf ("parameters:  %s\n", SHOW (g->params_json));
      if (g->response_id)
        printf ("response:    %s\n", SHOW (g->response_id));
      if (g->conversation_id)
        printf ("conversation: %" G_GINT64_FORMAT ", turn %" G_GINT64_FORMAT "\n", g->conversation_id, g->turn_id);
      if (g->error_message)
        printf ("error:       %s%s%s\n", SHOW (g->error_message), g->error_code ? " — " : "",
                g->error_code ? SHOW (g->error_code) : "");
#undef SHOW
    }
  return EASEL_CLI_EXIT_OK;
}

/* ---- export --------------------------------------------------------------- */

static int
cmd_export (int argc, char **argv)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new ("ID… - export images (PNG keeps the prompt and parameters)");
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselStore) store = NULL;
  g_autofree char *output = NULL;
  g_autofree char *format_str = NULL;
  EaselExportFormat format = EASEL_EXPORT_PNG;
  int quality = 90;
  gboolean to_dir;
  int ret = EASEL_CLI_EXIT_OK;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "File (one id) or folder", "PATH" },
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format_str, "png (default), jpeg or webp", "FORMAT" },
    { "quality", 'q', 0, G_OPTION_ARG_INT, &quality, "0-100 for jpeg and webp (default 90)", "Q" },
    { NULL }
  };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "easel library export: %s\n", error->message);
      return EASEL_CLI_EXIT_USAGE;
    }
  if (argc < 2 || output == NULL)
    {
      fprintf (stderr, "easel library export: give ids and --output PATH|DIR\n");
      return EASEL_CLI_EXIT_USAGE;
    }
  if (format_str && !easel_export_format_from_string (format_str, &format))
    {
      fprintf (stderr, "easel library export: --format must be png, jpeg or webp\n");
      return EASEL_CLI_EXIT_USAGE;
    }
  if (quality < 0 || quality > 100)
    {
      fprintf (stderr, "easel library export: --quality must be 0-100\n");
      return EASEL_CLI_EXIT_USAGE;
    }
  to_dir = argc > 2 || g_file_test (output, G_FILE_TEST_IS_DIR);
  if (to_dir && g_mkdir_with_parents (output, 0755) != 0)
    {
      fprintf (stderr, "easel library export: cannot create the folder '%s': %s\n", output, g_strerror (errno));
      return EASEL_CLI_EXIT_FAILED;
    }

  if (!(store = open_default_store (&error)))
    return store_error (error);

  for (int i = 1; i < argc; i++)
    {
      g_autofree char *path = NULL;
      g_autoptr(GFile) dest = NULL;
      gint64 id;
      static const char * const ext[] = { "png", "jpg", "webp" };

      if (!parse_id (argv[i], &id))
        return EASEL_CLI_EXIT_USAGE;
      if (to_dir)
        {
          g_autofree char *name = g_strdup_printf ("easel-%" G_GINT64_FORMAT ".%s", id, ext[format]);
          path = g_build_filename (output, name, NULL);
        }
      else
        path = g_strdup (output);

      dest = g_file_new_for_path (path);
      if (!easel_store_export (store, id, dest, format, quality, &error))
        {
          ret = store_error (error);
          g_clear_error (&error);
          continue;
        }
      printf ("%s\n", path);
    }
  return ret;
}

/* ---- delete / undelete / star -------------------------------------------- */

typedef enum { ACT_DELETE, ACT_UNDELETE, ACT_STAR, ACT_UNSTAR } Action;

static int
cmd_each_id (int argc, char **argv, Action action)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselStore) store = NULL;
  int ret = EASEL_CLI_EXIT_OK;

  if (argc < 2)
    {
      fprintf (stderr, "easel library %s: give at least one id\n", argv[0]);
      return EASEL_CLI_EXIT_USAGE;
    }
  if (!(store = open_default_store (&error)))
    return store_error (error);

  for (int i = 1; i < argc; i++)
    {
      gint64 id;
      gboolean ok;

      if (g_str_equal (argv[i], "--unset") && action == ACT_STAR)
        continue;
      if (!parse_id (argv[i], &id))
        return EASEL_CLI_EXIT_USAGE;
      switch (action)
        {
        case ACT_DELETE: ok = easel_store_delete (store, id, &error); break;
        case ACT_UNDELETE: ok = easel_store_undelete (store, id, &error); break;
        case ACT_STAR: ok = easel_store_set_starred (store, id, TRUE, &error); break;
        case ACT_UNSTAR: ok = easel_store_set_starred (store, id, FALSE, &error); break;
        default: g_assert_not_reached ();
        }
      if (!ok)
        {
          ret = store_error (error);
          g_clear_error (&error);
        }
    }
  if (action == ACT_DELETE && ret == EASEL_CLI_EXIT_OK)
    fprintf (stderr, "easel: deleted; `easel library undelete ID…` brings entries back\n");
  return ret;
}

/* ---- spend ---------------------------------------------------------------- */

static void
spend_row_json (JsonBuilder *b, const EaselSpendRow *row)
{
  json_builder_begin_object (b);
  if (row->key)
    add_str (b, "key", row->key);
  add_usd (b, "usd", row->usd);
  add_usd (b, "failed_usd", row->failed_usd);
  add_int (b, "ok", row->n_ok);
  add_int (b, "failed", row->n_failed);
  add_int (b, "moderated", row->n_moderated);
  add_int (b, "cancelled", row->n_cancelled);
  add_int (b, "incomplete", row->n_incomplete);
  add_int (b, "estimated_only", row->n_estimated);
  add_int (b, "input_tokens", row->input_tokens);
  add_int (b, "output_tokens", row->output_tokens);
  json_builder_end_object (b);
}

static void
spend_row_print (const char *label, const EaselSpendRow *row)
{
  printf ("%-20s $%9.3f  %5u ok  %3u failed  %3u moderated  %3u cancelled  %3u incomplete%s\n",
          label, row->usd, row->n_ok, row->n_failed, row->n_moderated, row->n_cancelled, row->n_incomplete,
          row->n_estimated ? "  (part estimated)" : "");
}

static int
cmd_spend (int argc, char **argv)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- what the library's requests cost");
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselStore) store = NULL;
  g_autoptr(EaselSpend) spend = NULL;
  gboolean json = FALSE;
  gboolean any_assumed = FALSE;
  int days = 0;
  GOptionEntry entries[] = {
    { "days", 'd', 0, G_OPTION_ARG_INT, &days, "Only the last N days", "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { NULL }
  };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "easel library spend: %s\n", error->message);
      return EASEL_CLI_EXIT_USAGE;
    }
  if (!(store = open_default_store (&error)) ||
      !(spend = easel_store_get_spend (store, days > 0 ? g_get_real_time () / G_USEC_PER_SEC - (gint64) days * 86400 : 0,
                                       &error)))
    return store_error (error);

  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "total");
      spend_row_json (b, &spend->total);
      json_builder_set_member_name (b, "per_day");
      json_builder_begin_array (b);
      for (guint i = 0; i < spend->per_day->len; i++)
        spend_row_json (b, spend->per_day->pdata[i]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "per_model");
      json_builder_begin_array (b);
      for (guint i = 0; i < spend->per_model->len; i++)
        spend_row_json (b, spend->per_model->pdata[i]);
      json_builder_end_array (b);
      json_builder_end_object (b);
      print_json (b);
      return EASEL_CLI_EXIT_OK;
    }

  printf ("Per model\n");
  for (guint i = 0; i < spend->per_model->len; i++)
    {
      EaselSpendRow *row = spend->per_model->pdata[i];
      g_autofree char *label = g_strdup_printf ("%s%s", row->key && *row->key ? row->key : "(unknown)",
                                                easel_cost_price_assumption (row->key) ? "*" : "");
      g_autofree char *safe = easel_text_escape_untrusted (label, 40);

      spend_row_print (safe, row);
      any_assumed |= easel_cost_price_assumption (row->key) != NULL;
    }
  printf ("\nPer day\n");
  for (guint i = 0; i < spend->per_day->len && i < 31; i++)
    {
      EaselSpendRow *row = spend->per_day->pdata[i];
      spend_row_print (row->key, row);
    }
  printf ("\n");
  spend_row_print ("Total", &spend->total);
  if (spend->total.failed_usd > 0)
    printf ("(of which $%.3f on failed or moderated requests)\n", spend->total.failed_usd);
  if (any_assumed)
    printf ("* priced with an assumed price (no list price is known for the model)\n");
  return EASEL_CLI_EXIT_OK;
}

static int
cmd_check (int argc, char **argv)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- check the library and remove orphaned image files");
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselStore) store = NULL;
  gboolean force = FALSE;
  GOptionEntry entries[] = {
    { "force", 'f', 0, G_OPTION_ARG_NONE, &force, "Check and sweep every image folder even if done today", NULL },
    { NULL }
  };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "easel library check: %s\n", error->message);
      return EASEL_CLI_EXIT_USAGE;
    }
  /* Opening no longer checks or sweeps (the app does, daily, in the
   * background): this is the way to do it without the app. */
  if (!(store = open_default_store (&error)) ||
      !easel_store_maintain (store, force, &error))
    return store_error (error);

  printf ("ok\n");
  return EASEL_CLI_EXIT_OK;
}

/* ---- main ----------------------------------------------------------------- */

static void
usage (FILE *out)
{
  fprintf (out,
           "Usage: easel library COMMAND …\n"
           "\n"
           "  list [--limit N] [--model M] [--starred] [--comparison ID] [--sort newest|oldest|cost] [--json]\n"
           "  search TEXT… [same options]\n"
           "  show ID [--json]\n"
           "  export ID… --output PATH|DIR [--format png|jpeg|webp] [--quality Q]\n"
           "  delete ID…          (undo with: undelete ID…)\n"
           "  star ID… [--unset]\n"
           "  spend [--days N] [--json]\n"
           "  check [--force]     (integrity check and orphan sweep; at most daily without --force)\n");
}

int
easel_cli_library_main (int argc, char **argv)
{
  const char *cmd;

  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h"))
    {
      usage (argc < 2 ? stderr : stdout);
      return argc < 2 ? EASEL_CLI_EXIT_USAGE : EASEL_CLI_EXIT_OK;
    }

  cmd = argv[1];
  argc--;
  argv++;

  if (g_str_equal (cmd, "list"))
    return cmd_list (argc, argv, FALSE);
  if (g_str_equal (cmd, "search"))
    return cmd_list (argc, argv, TRUE);
  if (g_str_equal (cmd, "show"))
    return cmd_show (argc, argv);
  if (g_str_equal (cmd, "export"))
    return cmd_export (argc, argv);
  if (g_str_equal (cmd, "delete"))
    return cmd_each_id (argc, argv, ACT_DELETE);
  if (g_str_equal (cmd, "undelete"))
    return cmd_each_id (argc, argv, ACT_UNDELETE);
  if (g_str_equal (cmd, "star"))
    {
      for (int i = 1; i < argc; i++)
        if (g_str_equal (argv[i], "--unset"))
          return cmd_each_id (argc, argv, ACT_UNSTAR);
      return cmd_each_id (argc, argv, ACT_STAR);
    }
  if (g_str_equal (cmd, "spend"))
    return cmd_spend (argc, argv);
  if (g_str_equal (cmd, "check"))
    return cmd_check (argc, argv);

  fprintf (stderr, "easel library: unknown command '%s'\n", cmd);
  usage (stderr);
  return EASEL_CLI_EXIT_USAGE;
}

/* ---- bridge for generate/edit/chat ---------------------------------------- */

GPtrArray *
easel_cli_library_record (const EaselRequest *request,
                          const EaselResult  *result,
                          const GError       *error,
                          const char         *base_url,
                          double              estimated_usd,
                          gboolean            enabled)
{
  return easel_cli_library_record_full (request, result, error, base_url, estimated_usd, FALSE, enabled);
}

GPtrArray *
easel_cli_library_record_full (const EaselRequest *request,
                               const EaselResult  *result,
                               const GError       *error,
                               const char         *base_url,
                               double              estimated_usd,
                               gboolean            incomplete,
                               gboolean            enabled)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(EaselStore) store = NULL;
  g_autoptr(GPtrArray) gens = NULL;
  EaselRecordOptions options = {
    .estimated_usd = estimated_usd,
    .base_url = base_url,
    .incomplete = incomplete,
  };

  g_return_val_if_fail (request != NULL, NULL);

  if (!enabled || (result == NULL && error == NULL))
    return NULL;

  if (!(store = open_default_store (&local_error)) ||
      !(gens = easel_store_record (store, request, result, error, &options, &local_error)))
    {
      fprintf (stderr, "easel: warning: not recorded in the library: %s\n", local_error->message);
      return NULL;
    }
  return g_steal_pointer (&gens);
}

EaselResult *
easel_cli_library_lookup_cached (const EaselRequest  *request,
                                 const char          *base_url,
                                 GPtrArray          **out_generations)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselStore) store = NULL;
  g_autoptr(GPtrArray) gens = NULL;
  g_autoptr(EaselResult) result = NULL;
  g_autofree char *key = NULL;

  g_return_val_if_fail (request != NULL, NULL);

  /* A conversation continues server-side state: never answer it from disk. */
  if (request->previous_response_id != NULL)
    return NULL;

  /* Bound to the server: another base URL is another request. */
  key = easel_request_cache_key (request, base_url);
  if (!(store = open_default_store (&error)) ||
      !(gens = easel_store_lookup_cached_all (store, key, &error)))
    {
      fprintf (stderr, "easel: warning: cannot look in the library: %s\n", error->message);
      return NULL;
    }
  if (gens->len == 0)
    return NULL;

  result = easel_result_new (request->api);
  for (guint i = 0; i < gens->len; i++)
    {
      EaselGeneration *g = gens->pdata[i];
      g_autoptr(GFile) file = NULL;
      EaselImage *image;

      /* A row without its image is no cache hit: send the request instead. */
      if (g->path == NULL)
        return NULL;
      file = g_file_new_for_path (g->path);
      image = easel_image_new ();
      image->bytes = g_file_load_bytes (file, NULL, NULL, NULL);
      if (image->bytes == NULL)
        {
          /* A missing file is no cache hit: send the request instead. */
          easel_image_free (image);
          return NULL;
        }
      image->revised_prompt = g_strdup (g->revised_prompt);
      image->item_id = g_strdup (g->image_call_id);
      image->action = g_strdup (g->action);
      image->size = g_strdup (g->size);
      image->quality = g_strdup (g->quality);
      image->background = g_strdup (g->background);
      image->output_format = g_strdup (g->format);
      g_ptr_array_add (result->images, image);
      if (i == 0)
        {
          result->response_id = g_strdup (g->response_id);
          result->created = g->created;
        }
    }

  if (out_generations != NULL)
    *out_generations = g_steal_pointer (&gens);
  return g_steal_pointer (&result);
}

void
easel_cli_library_add_pending (const EaselRequest *request,
                               const char         *response_id,
                               const char         *base_url)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselStore) store = NULL;

  if (!(store = open_default_store (&error)) ||
      !easel_store_add_pending_response (store, response_id, base_url, request, 0, 0, &error))
    fprintf (stderr, "easel: warning: the library cannot keep the response id for a restart: %s\n",
             error->message);
}

void
easel_cli_library_remove_pending (const char *response_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselStore) store = NULL;

  if (response_id == NULL)
    return;
  if (!(store = open_default_store (&error)) ||
      !easel_store_remove_pending_response (store, response_id, &error))
    fprintf (stderr, "easel: warning: the library still lists %s as in progress: %s\n",
             response_id, error->message);
}

GPtrArray *
easel_cli_library_list_pending (const char *base_url,
                                guint       limit)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselStore) store = NULL;
  GPtrArray *rows = NULL;

  if (!(store = open_default_store (&error)) ||
      !(rows = easel_store_list_pending_responses (store, base_url, limit, &error)))
    {
      fprintf (stderr, "easel: warning: cannot read the turns in progress from the library: %s\n",
               error->message);
      return g_ptr_array_new_with_free_func ((GDestroyNotify) easel_pending_response_free);
    }
  return rows;
}

EaselRequest *
easel_cli_library_pending_request (const char *response_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselStore) store = NULL;
  g_autoptr(EaselPendingResponse) pending = NULL;

  if (!(store = open_default_store (&error)) ||
      !(pending = easel_store_get_pending_response (store, response_id, &error)))
    return NULL;
  return easel_store_rebuild_pending_request (store, pending, NULL);
}
