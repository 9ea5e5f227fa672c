/* easel-cli-compare.c: `easel compare`, one prompt across models × qualities
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Writes every cell's image, the contact sheet (contact-sheet.png) and the
 * cost table (costs.csv) to the output folder; prints the table (or JSON
 * with --json) on stdout. The whole grid is one comparison set in the
 * library.
 */

#define G_LOG_DOMAIN "easel-cli"

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib-unix.h>
#include <glib/gstdio.h>

#include "easel-cli-private.h"
#include "easel-contact-sheet.h"

typedef struct
{
  char     *models;
  char     *qualities;
  char     *sizes;
  char     *size;
  char     *background;
  char     *output_format;
  int       output_compression;
  char     *moderation;
  char     *user;
  char     *input_fidelity;
  int       partial_images;
  gboolean  no_stream;
  char    **images;
  char     *mask;
  int       concurrency;
  int       tile;
  gboolean  allow_retired;
  gboolean  over_budget;
  gboolean  batch;
  gboolean  yes;
  char     *base_url;
  char     *organization;
  char     *output;
  gboolean  json;
  gboolean  no_library;
  gboolean  quiet;
  gboolean  debug_http;
} Options;

static void
options_clear (Options *o)
{
  g_free (o->models);
  g_free (o->qualities);
  g_free (o->sizes);
  g_free (o->size);
  g_free (o->background);
  g_free (o->output_format);
  g_free (o->moderation);
  g_free (o->user);
  g_free (o->input_fidelity);
  g_strfreev (o->images);
  g_free (o->mask);
  g_free (o->base_url);
  g_free (o->organization);
  g_free (o->output);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Options, options_clear)

typedef struct
{
  GMainLoop       *loop;
  Options         *options;
  char            *api_key;
  GCancellable    *cancellable;
  EaselComparison *comparison;
  GError          *error;
  guint            sigint_id;
} Ctx;

static void
ctx_clear (Ctx *ctx)
{
  g_clear_handle_id (&ctx->sigint_id, g_source_remove);
  g_clear_pointer (&ctx->loop, g_main_loop_unref);
  if (ctx->api_key != NULL)
    {
      memset (ctx->api_key, 0, strlen (ctx->api_key));
      g_clear_pointer (&ctx->api_key, g_free);
    }
  g_clear_object (&ctx->cancellable);
  g_clear_object (&ctx->comparison);
  g_clear_error (&ctx->error);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Ctx, ctx_clear)

/* "a, b,c" → {"a", "b", "c"}; empty items dropped. */
static GStrv
split_list (const char *list)
{
  g_auto(GStrv) parts = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  if (list == NULL)
    return NULL;
  parts = g_strsplit (list, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_strstrip (parts[i]);
      if (*parts[i] != '\0')
        g_strv_builder_add (builder, parts[i]);
    }
  return g_strv_builder_end (builder);
}

/* A file name piece from user text: [A-Za-z0-9._-] only. */
static char *
file_piece (const char *text)
{
  char *piece = g_strdup (text ? text : "auto");

  for (char *p = piece; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-' && *p != '_')
      *p = '_';
  return piece;
}

static char *
cell_file_name (EaselComparison     *comparison,
                EaselComparisonCell *cell,
                gboolean             with_size)
{
  g_autofree char *model = file_piece (easel_comparison_cell_get_model (cell));
  g_autofree char *quality = file_piece (easel_comparison_cell_get_quality (cell));
  g_autofree char *size = file_piece (easel_comparison_cell_get_size (cell));
  const char *ext = easel_cli_extension_for (easel_comparison_cell_get_image (cell),
                                             easel_comparison_cell_get_image_format (cell));

  return with_size
    ? g_strdup_printf ("%02u-%s-%s-%s.%s", easel_comparison_cell_get_index (cell) + 1, model, quality, size, ext)
    : g_strdup_printf ("%02u-%s-%s.%s", easel_comparison_cell_get_index (cell) + 1, model, quality, ext);
}

static void
on_cell_finished (EaselComparison     *comparison,
                  EaselComparisonCell *cell,
                  Ctx                 *ctx)
{
  g_autofree char *detail = NULL;

  if (ctx->options->quiet)
    return;
  detail = easel_contact_sheet_cell_detail (cell);
  /* The detail holds server text (an error): it is escaped already. */
  fprintf (stderr, "easel: [%u/%u] %s: %s\n", easel_comparison_get_n_finished (comparison),
           easel_comparison_get_n_cells (comparison), easel_comparison_cell_get_label (cell), detail);
}

static void
ran_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  Ctx *ctx = user_data;

  easel_comparison_run_finish (EASEL_COMPARISON (source), result, &ctx->error);
  g_main_loop_quit (ctx->loop);
}

static gboolean
on_sigint (gpointer user_data)
{
  Ctx *ctx = user_data;

  if (g_cancellable_is_cancelled (ctx->cancellable))
    _exit (EASEL_CLI_EXIT_CANCELLED);
  g_cancellable_cancel (ctx->cancellable);
  return G_SOURCE_CONTINUE;
}

static void
print_estimate (EaselComparison *comparison)
{
  gboolean known;
  double total = easel_comparison_get_estimate_usd (comparison, &known);
  g_autofree char *total_str = easel_cost_format_usd (total);

  for (guint i = 0; i < easel_comparison_get_n_cells (comparison); i++)
    {
      EaselComparisonCell *cell = easel_comparison_get_cell (comparison, i);
      const EaselCostEstimate *est = easel_comparison_cell_get_estimate (cell);
      g_autofree char *usd = easel_cost_format_usd (est->usd);

      fprintf (stderr, "easel:   %-40s %s%s\n", easel_comparison_cell_get_label (cell), est->known ? "" : "≈ ", usd);
    }
  fprintf (stderr, "easel: %u cells, estimated %s%s in total, %u at a time\n",
           easel_comparison_get_n_cells (comparison), known ? "" : "≈ ", total_str,
           easel_comparison_get_max_concurrent (comparison));
}

/* The spending limits and the confirmation threshold of `easel budget`,
 * on the whole grid's estimate, as `generate` checks one request's. */
static gboolean
budget_allows (Ctx        *ctx,
               EaselStore *store)
{
  g_autoptr(GSettings) settings = easel_config_dup_settings ();
  g_autofree char *refusal = NULL;
  EaselBudgetLimits limits;

  if (ctx->options->over_budget)
    return TRUE;
  easel_budget_limits_from_settings (&limits, settings);
  /* --no-library: the spend is still read from the library. */
  refusal = easel_cli_budget_refusal ("easel compare", &limits,
                                      easel_comparison_get_estimate_usd (ctx->comparison, NULL),
                                      ctx->options->yes, store, NULL);
  if (refusal != NULL)
    fputs (refusal, stderr);
  return refusal == NULL;
}

static EaselRequest *
build_base (Options     *o,
            const char  *prompt,
            GError     **error)
{
  g_autoptr(EaselRequest) base = easel_request_new (o->images ? EASEL_API_IMAGES_EDIT : EASEL_API_IMAGES_GENERATE);

  base->prompt = g_strdup (prompt);
  base->size = g_strdup (o->size);
  base->background = g_strdup (o->background);
  base->output_format = g_strdup (o->output_format);
  base->output_compression = o->output_compression;
  base->moderation = g_strdup (o->moderation);
  base->user = g_strdup (o->user);
  base->input_fidelity = g_strdup (o->input_fidelity);
  base->stream = !o->no_stream;
  base->partial_images = o->no_stream ? -1 : o->partial_images;
  for (guint i = 0; o->images && o->images[i]; i++)
    {
      g_autoptr(GFile) file = g_file_new_for_commandline_arg (o->images[i]);
      EaselInputImage *image = easel_input_image_new_from_file (file, error);

      if (image == NULL)
        return NULL;
      easel_request_add_image (base, image);
    }
  if (o->mask != NULL)
    {
      g_autoptr(GFile) file = g_file_new_for_commandline_arg (o->mask);
      EaselInputImage *mask;

      if (o->images == NULL)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "--mask needs --image");
          return NULL;
        }
      if (!(mask = easel_input_image_new_from_file (file, error)))
        return NULL;
      easel_request_set_mask (base, mask);
    }
  return g_steal_pointer (&base);
}

static void
add_cell_json (JsonBuilder         *b,
               EaselComparisonCell *cell,
               const char          *file)
{
  const EaselResult *result = easel_comparison_cell_get_result (cell);
  const GError *error = easel_comparison_cell_get_error (cell);
  double actual = easel_comparison_cell_get_actual_usd (cell);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "index");
  json_builder_add_int_value (b, easel_comparison_cell_get_index (cell));
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, easel_comparison_cell_get_model (cell));
  json_builder_set_member_name (b, "quality");
  json_builder_add_string_value (b, easel_comparison_cell_get_quality (cell));
  json_builder_set_member_name (b, "size");
  json_builder_add_string_value (b, easel_comparison_cell_get_size (cell));
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, easel_comparison_cell_state_to_string (easel_comparison_cell_get_state (cell)));
  json_builder_set_member_name (b, "estimated_usd");
  json_builder_add_double_value (b, easel_comparison_cell_get_estimate (cell)->usd);
  json_builder_set_member_name (b, "actual_usd");
  if (actual >= 0)
    json_builder_add_double_value (b, actual);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "input_tokens");
  json_builder_add_int_value (b, result && result->usage.present ? result->usage.input_tokens : 0);
  json_builder_set_member_name (b, "output_tokens");
  json_builder_add_int_value (b, result && result->usage.present ? result->usage.output_tokens : 0);
  json_builder_set_member_name (b, "seconds");
  json_builder_add_double_value (b, easel_comparison_cell_get_elapsed (cell));
  json_builder_set_member_name (b, "generation_id");
  json_builder_add_int_value (b, easel_comparison_cell_get_generation_id (cell));
  json_builder_set_member_name (b, "file");
  if (file)
    json_builder_add_string_value (b, file);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "error");
  if (error)
    {
      g_autofree char *safe = easel_text_escape_untrusted (error->message, EASEL_TEXT_MAX_SHOWN);
      json_builder_add_string_value (b, safe);
    }
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
}

/* Writes the cells, the sheet and the table; prints the table or JSON. */
static gboolean
write_outputs (Ctx        *ctx,
               const char *dir,
               char      **out_sheet)
{
  EaselComparison *comparison = ctx->comparison;
  g_autoptr(GString) csv = g_string_new ("cell,model,quality,size,state,estimated_usd,actual_usd,"
                                         "input_tokens,output_tokens,seconds,generation_id,file\n");
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GBytes) sheet = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *csv_path = g_build_filename (dir, "costs.csv", NULL);
  g_autofree char *sheet_path = g_build_filename (dir, "contact-sheet.png", NULL);
  gboolean with_size = FALSE, ok = TRUE;
  gboolean known;
  double estimate = easel_comparison_get_estimate_usd (comparison, &known);

  for (guint i = 1; i < easel_comparison_get_n_cells (comparison); i++)
    with_size = with_size || g_strcmp0 (easel_comparison_cell_get_size (easel_comparison_get_cell (comparison, i)),
                                        easel_comparison_cell_get_size (easel_comparison_get_cell (comparison, 0))) != 0;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "comparison_id");
  json_builder_add_int_value (b, easel_comparison_get_id (comparison));
  json_builder_set_member_name (b, "estimated_usd");
  json_builder_add_double_value (b, estimate);
  json_builder_set_member_name (b, "actual_usd");
  json_builder_add_double_value (b, easel_comparison_get_actual_usd (comparison));
  json_builder_set_member_name (b, "cells");
  json_builder_begin_array (b);

  if (!ctx->options->json)
    printf ("%-4s %-40s %-10s %-10s %-10s %8s %7s  %s\n", "cell", "model · quality", "state",
            "estimate", "cost", "tokens", "time", "file");

  for (guint i = 0; i < easel_comparison_get_n_cells (comparison); i++)
    {
      EaselComparisonCell *cell = easel_comparison_get_cell (comparison, i);
      GBytes *image = easel_comparison_cell_get_image (cell);
      const EaselResult *result = easel_comparison_cell_get_result (cell);
      g_autofree char *name = image ? cell_file_name (comparison, cell, with_size) : NULL;
      g_autofree char *path = name ? g_build_filename (dir, name, NULL) : NULL;
      g_autofree char *est = easel_cost_format_usd (easel_comparison_cell_get_estimate (cell)->usd);
      g_autofree char *cost = easel_cost_format_usd (easel_comparison_cell_get_actual_usd (cell));
      const char *state = easel_comparison_cell_state_to_string (easel_comparison_cell_get_state (cell));
      gint64 in = result && result->usage.present ? result->usage.input_tokens : 0;
      gint64 out = result && result->usage.present ? result->usage.output_tokens : 0;

      if (path != NULL &&
          !g_file_set_contents (path, g_bytes_get_data (image, NULL), g_bytes_get_size (image), &error))
        {
          fprintf (stderr, "easel compare: %s\n", error->message);
          g_clear_error (&error);
          g_clear_pointer (&path, g_free);
          ok = FALSE;
        }
      g_string_append_printf (csv, "%u,%s,%s,%s,%s,%.6f,", i + 1, easel_comparison_cell_get_model (cell),
                              easel_comparison_cell_get_quality (cell),
                              easel_comparison_cell_get_size (cell) ? easel_comparison_cell_get_size (cell) : "",
                              state, easel_comparison_cell_get_estimate (cell)->usd);
      if (easel_comparison_cell_get_actual_usd (cell) >= 0)
        g_string_append_printf (csv, "%.6f", easel_comparison_cell_get_actual_usd (cell));
      g_string_append_printf (csv, ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%.2f,%" G_GINT64_FORMAT ",%s\n",
                              in, out, easel_comparison_cell_get_elapsed (cell),
                              easel_comparison_cell_get_generation_id (cell), path ? name : "");
      add_cell_json (b, cell, path);
      if (!ctx->options->json)
        printf ("%-4u %-40s %-10s %-10s %-10s %8" G_GINT64_FORMAT " %6.1fs  %s\n", i + 1,
                easel_comparison_cell_get_label (cell), state, est, cost, in + out,
                easel_comparison_cell_get_elapsed (cell), path ? path : "-");
    }
  json_builder_end_array (b);

  if (!g_file_set_contents (csv_path, csv->str, (gssize) csv->len, &error))
    {
      fprintf (stderr, "easel compare: %s\n", error->message);
      g_clear_error (&error);
      ok = FALSE;
    }

  items = easel_contact_sheet_items_for (comparison);
  sheet = easel_contact_sheet_render (easel_comparison_get_base (comparison)->prompt, items,
                                      easel_comparison_get_n_columns (comparison),
                                      ctx->options->tile > 0 ? (guint) ctx->options->tile : 0, &error);
  if (sheet == NULL ||
      !g_file_set_contents (sheet_path, g_bytes_get_data (sheet, NULL), g_bytes_get_size (sheet), &error))
    {
      fprintf (stderr, "easel compare: cannot write the contact sheet: %s\n", error->message);
      g_clear_pointer (&sheet_path, g_free);
      ok = FALSE;
    }

  json_builder_set_member_name (b, "contact_sheet");
  if (sheet_path)
    json_builder_add_string_value (b, sheet_path);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "cost_table");
  json_builder_add_string_value (b, csv_path);
  json_builder_end_object (b);

  if (ctx->options->json)
    {
      g_autoptr(JsonNode) root = json_builder_get_root (b);
      g_autofree char *text = json_to_string (root, TRUE);

      printf ("%s\n", text);
    }
  else
    {
      g_autofree char *est = easel_cost_format_usd (estimate);
      g_autofree char *cost = easel_cost_format_usd (easel_comparison_get_actual_usd (comparison));

      printf ("total: estimated %s%s, cost %s\n", known ? "" : "≈ ", est, cost);
      if (sheet_path)
        printf ("contact sheet: %s\n", sheet_path);
      printf ("cost table: %s\n", csv_path);
      if (easel_comparison_get_id (comparison) > 0)
        printf ("comparison set: %" G_GINT64_FORMAT "\n", easel_comparison_get_id (comparison));
    }
  fflush (stdout);
  *out_sheet = g_steal_pointer (&sheet_path);
  return ok;
}

/* --batch: the grid becomes the input of `easel batch submit` (one JSON
 * request object per cell), which checks it again, applies the budget at
 * the batch price, uploads it and records the job. */
static int
submit_as_batch (Options         *options,
                 EaselComparison *comparison)
{
  g_autoptr(GPtrArray) requests = g_ptr_array_new ();
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autoptr(GString) input = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  int fd, ret;

  for (guint i = 0; i < easel_comparison_get_n_cells (comparison); i++)
    g_ptr_array_add (requests, (gpointer) easel_comparison_cell_get_request (easel_comparison_get_cell (comparison, i)));
  if (!(entries = easel_batch_entries_from_requests ((const EaselRequest * const *) requests->pdata,
                                                     requests->len, &error)))
    {
      fprintf (stderr, "easel compare: the grid cannot go as a batch job: %s\nNothing was sent.\n", error->message);
      return EASEL_CLI_EXIT_USAGE;
    }
  for (guint i = 0; i < entries->len; i++)
    {
      const EaselRequest *r = ((EaselBatchEntry *) g_ptr_array_index (entries, i))->request;
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *line = NULL;

      json_builder_begin_object (b);
#define MEMBER(name, value) G_STMT_START { if ((value) != NULL) { json_builder_set_member_name (b, name); json_builder_add_string_value (b, value); } } G_STMT_END
      MEMBER ("prompt", r->prompt);
      MEMBER ("model", r->model);
      MEMBER ("size", r->size);
      MEMBER ("quality", r->quality);
      MEMBER ("background", r->background);
      MEMBER ("output_format", r->output_format);
      MEMBER ("moderation", r->moderation);
      MEMBER ("user", r->user);
#undef MEMBER
      if (r->output_compression >= 0)
        {
          json_builder_set_member_name (b, "output_compression");
          json_builder_add_int_value (b, r->output_compression);
        }
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      line = json_to_string (root, FALSE);
      g_string_append_printf (input, "%s\n", line);
    }

  fd = g_file_open_tmp ("easel-compare-XXXXXX.jsonl", &path, &error);
  if (fd < 0 || !g_file_set_contents (path, input->str, input->len, &error))
    {
      fprintf (stderr, "easel compare: %s\nNothing was sent.\n", error->message);
      if (fd >= 0)
        close (fd);
      return EASEL_CLI_EXIT_FAILED;
    }
  close (fd);

  if (!options->quiet)
    fprintf (stderr, "easel compare: %u cells go as one batch job at half the price; "
             "get the images with `easel batch wait ID -o DIR`\n", entries->len);
  g_ptr_array_add (args, (gpointer) "batch");
  g_ptr_array_add (args, (gpointer) "submit");
  if (options->base_url != NULL)
    {
      g_ptr_array_add (args, (gpointer) "--base-url");
      g_ptr_array_add (args, options->base_url);
    }
  if (options->organization != NULL)
    {
      g_ptr_array_add (args, (gpointer) "--organization");
      g_ptr_array_add (args, options->organization);
    }
  if (options->allow_retired)
    g_ptr_array_add (args, (gpointer) "--allow-retired");
  if (options->over_budget)
    g_ptr_array_add (args, (gpointer) "--over-budget");
  if (options->yes)
    g_ptr_array_add (args, (gpointer) "--yes");
  if (options->json)
    g_ptr_array_add (args, (gpointer) "--json");
  if (options->quiet)
    g_ptr_array_add (args, (gpointer) "--quiet");
  if (options->debug_http)
    g_ptr_array_add (args, (gpointer) "--debug-http");
  g_ptr_array_add (args, path);
  g_ptr_array_add (args, NULL);
  ret = easel_cli_batch_main ((int) args->len - 1, (char **) args->pdata);
  g_unlink (path);
  return ret;
}

int
easel_cli_compare_main (int    argc,
                        char **argv)
{
  g_auto(Options) options = { .output_compression = -1, .partial_images = -1, .concurrency = EASEL_COMPARISON_DEFAULT_CONCURRENCY };
  g_auto(Ctx) ctx = { 0 };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselRequest) base = NULL;
  g_autoptr(EaselStore) store = NULL;
  g_autoptr(EaselLibrary) library = NULL;
  g_autoptr(EaselClient) client = NULL;
  g_autofree char *prompt = NULL;
  g_autofree char *base_url = NULL;
  g_autofree char *sheet = NULL;
  g_auto(GStrv) models = NULL;
  g_auto(GStrv) qualities = NULL;
  g_auto(GStrv) sizes = NULL;
  EaselKeySource source = EASEL_KEY_SOURCE_NONE;
  guint n_failed = 0;
  const GOptionEntry entries[] = {
    { "models", 'M', 0, G_OPTION_ARG_STRING, &options.models, "Models to compare, comma-separated (gpt-image-2,gpt-image-1.5,gpt-image-1-mini)", "A,B" },
    { "qualities", 'Q', 0, G_OPTION_ARG_STRING, &options.qualities, "Qualities to compare, comma-separated (low,medium,high)", "A,B" },
    { "sizes", 0, 0, G_OPTION_ARG_STRING, &options.sizes, "Sizes to compare, comma-separated (default: --size)", "A,B" },
    { "size", 's', 0, G_OPTION_ARG_STRING, &options.size, "Size of every cell: 1024x1024, 1536x1024, 1024x1536, auto, …", "WxH" },
    { "background", 0, 0, G_OPTION_ARG_STRING, &options.background, "Background: transparent, opaque, auto", "BACKGROUND" },
    { "output-format", 'f', 0, G_OPTION_ARG_STRING, &options.output_format, "Output format: png, jpeg, webp", "FORMAT" },
    { "output-compression", 0, 0, G_OPTION_ARG_INT, &options.output_compression, "Compression 0-100 for jpeg and webp", "PERCENT" },
    { "moderation", 0, 0, G_OPTION_ARG_STRING, &options.moderation, "Moderation: auto, low", "LEVEL" },
    { "user", 0, 0, G_OPTION_ARG_STRING, &options.user, "End-user identifier sent to OpenAI", "ID" },
    { "input-fidelity", 0, 0, G_OPTION_ARG_STRING, &options.input_fidelity, "With --image: input fidelity low, high", "LEVEL" },
    { "partial-images", 'p', 0, G_OPTION_ARG_INT, &options.partial_images, "Partial images 0-3 per cell while streaming", "K" },
    { "no-stream", 0, 0, G_OPTION_ARG_NONE, &options.no_stream, "Wait for whole answers", NULL },
    { "image", 'i', 0, G_OPTION_ARG_FILENAME_ARRAY, &options.images, "Input image (repeatable): compares edits", "IMAGE" },
    { "mask", 0, 0, G_OPTION_ARG_FILENAME, &options.mask, "Mask PNG for the edits (transparent where to edit)", "MASK" },
    { "concurrency", 'j', 0, G_OPTION_ARG_INT, &options.concurrency, "Cells sent at a time, 1-8 (default 3)", "N" },
    { "tile", 0, 0, G_OPTION_ARG_INT, &options.tile, "Contact sheet tile edge in pixels (default 384)", "PX" },
    { "allow-retired", 0, 0, G_OPTION_ARG_NONE, &options.allow_retired, "Send to models OpenAI retired (a compatible server that still has them)", NULL },
    { "over-budget", 0, 0, G_OPTION_ARG_NONE, &options.over_budget, "Send even if the total estimate crosses a spending limit (see `easel budget`)", NULL },
    { "batch", 0, 0, G_OPTION_ARG_NONE, &options.batch, "Send the grid as one Batch API job: half the price, within 24 h (then `easel batch wait ID -o DIR`)", NULL },
    { "yes", 'y', 0, G_OPTION_ARG_NONE, &options.yes, "Confirm a grid whose estimate is above the confirmation threshold", NULL },
    { "base-url", 0, 0, G_OPTION_ARG_STRING, &options.base_url, "API base URL (default: $OPENAI_BASE_URL or " EASEL_DEFAULT_BASE_URL ")", "URL" },
    { "organization", 0, 0, G_OPTION_ARG_STRING, &options.organization, "OpenAI organization id", "ORG" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &options.output, "Folder for the images, contact-sheet.png and costs.csv (required)", "DIR" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &options.json, "Print a machine-readable result on stdout", NULL },
    { "no-library", 0, 0, G_OPTION_ARG_NONE, &options.no_library, "Do not record the comparison in the library", NULL },
    { "quiet", 0, 0, G_OPTION_ARG_NONE, &options.quiet, "No progress or cost lines", NULL },
    { "debug-http", 0, 0, G_OPTION_ARG_NONE, &options.debug_http, "Log HTTP requests (Authorization redacted)", NULL },
    { NULL }
  };

  g_set_prgname ("easel compare");
  context = g_option_context_new ("PROMPT");
  g_option_context_set_summary (context,
    "Sends one prompt to every model × quality (× size) and writes each image,\n"
    "a labelled contact sheet and a cost table to DIR. The estimate of the\n"
    "whole grid is checked against the spending limits first.\n"
    "Example: easel compare --models gpt-image-1.5,gpt-image-1-mini --qualities low,high -o out \"a red fox\"");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "easel compare: %s\nRun 'easel compare --help' for the options.\n", error->message);
      return EASEL_CLI_EXIT_USAGE;
    }
  ctx.options = &options;

  if (argc < 2)
    {
      fprintf (stderr, "easel compare: expected a PROMPT\nRun 'easel compare --help' for the options.\n");
      return EASEL_CLI_EXIT_USAGE;
    }
  if (options.models == NULL || options.qualities == NULL || (options.output == NULL && !options.batch))
    {
      fprintf (stderr, "easel compare: --models, --qualities and -o DIR are required\n"
               "Run 'easel compare --help' for the options.\n");
      return EASEL_CLI_EXIT_USAGE;
    }
  if (options.concurrency < 1 || options.concurrency > 8)
    {
      fprintf (stderr, "easel compare: --concurrency must be 1 to 8\n");
      return EASEL_CLI_EXIT_USAGE;
    }
  prompt = g_strjoinv (" ", argv + 1);
  models = split_list (options.models);
  qualities = split_list (options.qualities);
  sizes = split_list (options.sizes);

  if (!(base = build_base (&options, prompt, &error)) ||
      !(ctx.comparison = easel_comparison_new (base, (const char * const *) models,
                                               (const char * const *) qualities,
                                               (const char * const *) sizes,
                                               options.allow_retired, &error)))
    {
      g_autofree char *safe = easel_cli_safe_text (error->message, NULL);

      fprintf (stderr, "easel compare: %s\nNothing was sent.\n", safe);
      if (g_error_matches (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_RETIRED))
        fprintf (stderr, "A compatible server that still serves it: add --allow-retired.\n");
      return EASEL_CLI_EXIT_USAGE;
    }
  easel_comparison_set_max_concurrent (ctx.comparison, (guint) options.concurrency);
  if (options.batch)
    return submit_as_batch (&options, ctx.comparison);
  if (!options.quiet)
    print_estimate (ctx.comparison);

  if (g_mkdir_with_parents (options.output, 0755) != 0)
    {
      int saved = errno;

      fprintf (stderr, "easel compare: cannot create %s: %s\n", options.output, g_strerror (saved));
      return EASEL_CLI_EXIT_USAGE;
    }

  if (!options.no_library && !(store = easel_store_open (g_getenv ("EASEL_LIBRARY_DIR"), &error)))
    {
      fprintf (stderr, "easel compare: %s\n", error->message);
      return EASEL_CLI_EXIT_FAILED;
    }
  if (!budget_allows (&ctx, store))
    return EASEL_CLI_EXIT_USAGE;
  if (!options.no_library)
    library = easel_library_new_for_store (store);

  base_url = easel_config_resolve_base_url (options.base_url, NULL, &error);
  if (base_url == NULL)
    {
      fprintf (stderr, "easel compare: %s\n", error->message);
      return EASEL_CLI_EXIT_USAGE;
    }
  ctx.api_key = easel_config_get_api_key_sync (base_url, &source, &error);
  if (ctx.api_key == NULL || *ctx.api_key == '\0')
    {
      easel_cli_print_missing_key ("easel compare", error);
      return EASEL_CLI_EXIT_USAGE;
    }
  client = easel_client_new (base_url, ctx.api_key);
  /* The grid was checked cell by cell above, --allow-retired included. */
  easel_client_set_allow_retired (client, options.allow_retired);
  if (options.organization != NULL)
    easel_client_set_organization (client, options.organization);
  if (options.debug_http)
    {
      g_setenv ("G_MESSAGES_DEBUG", "easel-client", TRUE);
      easel_client_set_debug (client, TRUE);
    }

  ctx.cancellable = g_cancellable_new ();
  ctx.loop = g_main_loop_new (NULL, FALSE);
  ctx.sigint_id = g_unix_signal_add (SIGINT, on_sigint, &ctx);
  g_signal_connect (ctx.comparison, "cell-finished", G_CALLBACK (on_cell_finished), &ctx);
  easel_comparison_run_async (ctx.comparison, client, library, base_url, ctx.cancellable, ran_cb, &ctx);
  g_main_loop_run (ctx.loop);
  g_signal_handlers_disconnect_by_data (ctx.comparison, &ctx);
  if (library != NULL)
    easel_library_flush (library);

  if (ctx.error != NULL && easel_comparison_get_n_finished (ctx.comparison) == 0)
    {
      easel_cli_print_error (ctx.error, ctx.api_key, options.debug_http);
      return g_error_matches (ctx.error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
        ? EASEL_CLI_EXIT_CANCELLED : EASEL_CLI_EXIT_FAILED;
    }

  /* Whatever ran (also after Ctrl-C) is written. */
  if (!write_outputs (&ctx, options.output, &sheet))
    return EASEL_CLI_EXIT_FAILED;
  if (g_error_matches (ctx.error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return EASEL_CLI_EXIT_CANCELLED;
  for (guint i = 0; i < easel_comparison_get_n_cells (ctx.comparison); i++)
    if (easel_comparison_cell_get_state (easel_comparison_get_cell (ctx.comparison, i)) != EASEL_COMPARISON_CELL_DONE)
      n_failed++;
  if (n_failed > 0)
    {
      fprintf (stderr, "easel compare: %u of %u cells failed\n", n_failed, easel_comparison_get_n_cells (ctx.comparison));
      return EASEL_CLI_EXIT_FAILED;
    }
  return EASEL_CLI_EXIT_OK;
}
