/* easel-cli-batch.c: `easel batch submit|list|status|wait|fetch|cancel`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every step goes through the core (easel-batch.h); this file only parses
 * options, prints and writes the files asked for with -o.
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
#include <gio/gunixinputstream.h>

#include "easel-cli-private.h"

/* The user's input file; a batch holds at most 50,000 lines anyway. */
#define MAX_INPUT_BYTES (64 * 1024 * 1024)
#define MAX_POLL_MS (60 * 1000)

typedef struct
{
  /* generate defaults */
  char     *model;
  int       n;
  char     *size;
  char     *quality;
  char     *background;
  char     *output_format;
  int       output_compression;
  char     *moderation;
  char     *user;

  char     *base_url;
  char     *organization;
  char     *output;
  gboolean  json;
  gboolean  quiet;
  gboolean  debug_http;
  gboolean  allow_retired;
  gboolean  over_budget;
  gboolean  yes;
} Options;

static void
options_clear (Options *o)
{
  g_free (o->model);
  g_free (o->size);
  g_free (o->quality);
  g_free (o->background);
  g_free (o->output_format);
  g_free (o->moderation);
  g_free (o->user);
  g_free (o->base_url);
  g_free (o->organization);
  g_free (o->output);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Options, options_clear)

typedef enum
{
  CMD_SUBMIT,
  CMD_LIST,
  CMD_STATUS,
  CMD_WAIT,
  CMD_FETCH,
  CMD_CANCEL,
} Command;

typedef struct
{
  Command       command;
  Options      *options;
  GMainLoop    *loop;
  int           exit_code;
  EaselClient  *client;
  EaselStore   *store;
  EaselLibrary *library;
  char         *api_key;
  char         *base_url;
  GCancellable *cancellable;
  char         *batch_id;
  GPtrArray    *entries;
  double        batch_usd;
  double        full_usd;
  guint         poll_ms;
  guint         poll_id;
  guint         sigint_id;
  gboolean      progress_shown;
} Ctx;

static void
ctx_clear (Ctx *ctx)
{
  g_clear_handle_id (&ctx->poll_id, g_source_remove);
  g_clear_handle_id (&ctx->sigint_id, g_source_remove);
  g_clear_pointer (&ctx->loop, g_main_loop_unref);
  g_clear_object (&ctx->client);
  g_clear_object (&ctx->library);
  g_clear_object (&ctx->store);
  if (ctx->api_key != NULL)
    {
      memset (ctx->api_key, 0, strlen (ctx->api_key));
      g_clear_pointer (&ctx->api_key, g_free);
    }
  g_clear_pointer (&ctx->base_url, g_free);
  g_clear_object (&ctx->cancellable);
  g_clear_pointer (&ctx->batch_id, g_free);
  g_clear_pointer (&ctx->entries, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Ctx, ctx_clear)

static void
end_progress (Ctx *ctx)
{
  if (ctx->progress_shown)
    {
      if (isatty (STDERR_FILENO))
        fprintf (stderr, "\r\033[K");
      ctx->progress_shown = FALSE;
    }
}

static void
finish (Ctx          *ctx,
        const GError *error)
{
  end_progress (ctx);
  if (error != NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fprintf (stderr, "easel: cancelled; run the same command again to resume\n");
      else
        easel_cli_print_error (error, ctx->api_key, ctx->options->debug_http);
      ctx->exit_code = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PENDING)
        ? EASEL_CLI_EXIT_FAILED : easel_cli_exit_code_for_error (error);
    }
  g_main_loop_quit (ctx->loop);
}

static char *
format_usd (double usd)
{
  return usd >= 0 ? easel_cost_format_usd (usd) : g_strdup ("—");
}

static void
print_job_line (const EaselBatchJob *job)
{
  g_autofree char *est = format_usd (job->estimated_usd);
  g_autofree char *actual = format_usd (job->actual_usd);

  /* batch_id and status were checked on the way in (safe id, known status). */
  printf ("%-32s %-11s %4" G_GINT64_FORMAT " done %4" G_GINT64_FORMAT " failed of %4" G_GINT64_FORMAT
          "  est %-8s actual %-8s%s\n",
          job->batch_id ? job->batch_id : "(not created yet)", job->status, job->n_completed, job->n_failed, job->n_total,
          est, actual, job->fetched ? "  fetched" : "");
}

static void
print_info (Ctx                  *ctx,
            const EaselBatchInfo *info)
{
  if (ctx->options->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_string_value (b, info->id);
      json_builder_set_member_name (b, "status");
      json_builder_add_string_value (b, info->status);
      json_builder_set_member_name (b, "total");
      json_builder_add_int_value (b, info->n_total);
      json_builder_set_member_name (b, "completed");
      json_builder_add_int_value (b, info->n_completed);
      json_builder_set_member_name (b, "failed");
      json_builder_add_int_value (b, info->n_failed);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      text = json_to_string (root, TRUE);
      printf ("%s\n", text);
      return;
    }

  printf ("%s %s: %" G_GINT64_FORMAT " done, %" G_GINT64_FORMAT " failed of %" G_GINT64_FORMAT "\n",
          info->id, info->status, info->n_completed, info->n_failed, info->n_total);
  if (info->error_message != NULL)
    {
      g_autofree char *safe = easel_cli_safe_text (info->error_message, ctx->api_key);
      printf ("  error: %s\n", safe);
    }
}

static void
keep_info (Ctx                  *ctx,
           const EaselBatchInfo *info)
{
  g_autoptr(GError) error = NULL;

  if (!easel_store_update_batch (ctx->store, info, &error) &&
      !g_error_matches (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_NOT_FOUND))
    easel_cli_warn ("could not update the library: %s", error->message);
}

/* ---- writing -o DIR --------------------------------------------------- */

static gboolean
write_outputs (Ctx       *ctx,
               gint64     job_id,
               guint     *n_written,
               GError   **error)
{
  g_autoptr(GPtrArray) images = NULL;

  *n_written = 0;
  if (ctx->options->output == NULL)
    return TRUE;

  if (g_mkdir_with_parents (ctx->options->output, 0755) != 0)
    {
      int err = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err),
                   "Cannot create %s: %s", ctx->options->output, g_strerror (err));
      return FALSE;
    }

  if (!(images = easel_store_list_batch_images (ctx->store, job_id, error)))
    return FALSE;

  for (guint i = 0; i < images->len; i++)
    {
      EaselBatchImage *image = images->pdata[i];
      const char *ext = easel_image_extension_for_mime (easel_image_mime_for_format (image->format));
      g_autofree char *name = NULL;
      g_autofree char *dest = NULL;
      g_autofree char *contents = NULL;
      gsize len;

      /* custom_ids are "line-N" from our own input: still, never a path. */
      if (!easel_client_is_safe_id (image->custom_id))
        continue;
      name = image->index == 0 ? g_strdup_printf ("%s.%s", image->custom_id, ext)
                               : g_strdup_printf ("%s-%d.%s", image->custom_id, image->index + 1, ext);
      dest = g_build_filename (ctx->options->output, name, NULL);
      /* Written before: a re-run leaves it be. */
      if (g_file_test (dest, G_FILE_TEST_EXISTS))
        continue;
      if (!g_file_get_contents (image->path, &contents, &len, error) ||
          !g_file_set_contents_full (dest, contents, len, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error))
        return FALSE;
      (*n_written)++;
    }
  return TRUE;
}

/* ---- fetch ------------------------------------------------------------ */

static void
fetched_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Ctx *ctx = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree EaselBatchFetchStats *stats = easel_batch_fetch_finish (EASEL_CLIENT (source), result, &error);
  g_autoptr(EaselBatchJob) job = NULL;
  guint n_written = 0;

  if (stats == NULL)
    {
      finish (ctx, error);
      return;
    }

  job = easel_store_get_batch (ctx->store, ctx->batch_id, &error);
  if (job == NULL || !write_outputs (ctx, job->id, &n_written, &error))
    {
      finish (ctx, error);
      return;
    }

  end_progress (ctx);
  if (!ctx->options->quiet)
    {
      g_autofree char *actual = format_usd (job->actual_usd);

      fprintf (stderr, "easel: %u new images, %u new failed lines, %u already in the library%s\n",
               stats->n_images, stats->n_failed, stats->n_skipped,
               stats->n_bad > 0 ? "; some output lines could not be read" : "");
      if (stats->n_missing > 0)
        fprintf (stderr, "easel: the job gave no result for %u lines; they are recorded as failed\n",
                 stats->n_missing);
      fprintf (stderr, "easel: %s: %u of %u lines in the library (%u failed), cost %s at the batch price\n",
               job->batch_id, job->n_lines_ok + job->n_lines_failed, job->n_lines,
               job->n_lines_failed, actual);
      if (ctx->options->output != NULL)
        fprintf (stderr, "easel: %u files written to %s\n", n_written, ctx->options->output);
    }
  finish (ctx, NULL);
}

static void
start_fetch (Ctx *ctx)
{
  if (ctx->library == NULL)
    ctx->library = easel_library_new_for_store (ctx->store);
  easel_batch_fetch_async (ctx->client, ctx->library, ctx->batch_id, ctx->cancellable, fetched_cb, ctx);
}

/* ---- status, wait, cancel --------------------------------------------- */

static void poll_now (Ctx *ctx);

static gboolean
poll_timeout_cb (gpointer user_data)
{
  Ctx *ctx = user_data;

  ctx->poll_id = 0;
  poll_now (ctx);
  return G_SOURCE_REMOVE;
}

static void
retrieved_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Ctx *ctx = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselBatchInfo) info = easel_batch_retrieve_finish (EASEL_CLIENT (source), result, &error);

  if (info == NULL)
    {
      finish (ctx, error);
      return;
    }
  keep_info (ctx, info);

  if (ctx->command == CMD_STATUS)
    {
      g_autoptr(EaselBatchJob) job = easel_store_get_batch (ctx->store, info->id, NULL);

      print_info (ctx, info);
      if (job != NULL && !ctx->options->json)
        {
          g_autofree char *est = format_usd (job->estimated_usd);
          g_autofree char *full = format_usd (job->full_usd);
          g_autofree char *actual = format_usd (job->actual_usd);

          printf ("  library: %u of %u lines recorded (%u failed)%s; estimate %s (full price %s), cost so far %s\n",
                  job->n_lines_ok + job->n_lines_failed, job->n_lines, job->n_lines_failed,
                  job->fetched ? ", fetched" : "", est, full, actual);
        }
      finish (ctx, NULL);
      return;
    }

  if (easel_batch_status_is_terminal (info->status))
    {
      if (!ctx->options->quiet)
        {
          end_progress (ctx);
          fprintf (stderr, "easel: %s %s: %" G_GINT64_FORMAT " done, %" G_GINT64_FORMAT " failed of %"
                   G_GINT64_FORMAT "\n", info->id, info->status, info->n_completed, info->n_failed, info->n_total);
        }
      start_fetch (ctx);
      return;
    }

  if (ctx->command == CMD_FETCH)
    {
      g_autoptr(GError) pending = g_error_new (G_IO_ERROR, G_IO_ERROR_PENDING,
                                               "Batch %s is %s (%" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
                                               " done); use `easel batch wait %s`",
                                               info->id, info->status, info->n_completed + info->n_failed,
                                               info->n_total, info->id);
      finish (ctx, pending);
      return;
    }

  if (!ctx->options->quiet)
    {
      gboolean tty = isatty (STDERR_FILENO);

      fprintf (stderr, "%seasel: %s %s: %" G_GINT64_FORMAT " done, %" G_GINT64_FORMAT " failed of %"
               G_GINT64_FORMAT "; next check in %u s%s",
               tty ? "\r\033[K" : "", info->id, info->status, info->n_completed, info->n_failed,
               info->n_total, (ctx->poll_ms + 999) / 1000, tty ? "" : "\n");
      ctx->progress_shown = tty;
    }
  ctx->poll_id = g_timeout_add (ctx->poll_ms, poll_timeout_cb, ctx);
  /* Back off: a 24-hour job needs no checks every second. */
  ctx->poll_ms = MIN (ctx->poll_ms * 3 / 2 + 1, MAX_POLL_MS);
}

static void
poll_now (Ctx *ctx)
{
  easel_batch_retrieve_async (ctx->client, ctx->batch_id, ctx->cancellable, retrieved_cb, ctx);
}

static void
cancelled_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Ctx *ctx = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselBatchInfo) info = easel_batch_cancel_finish (EASEL_CLIENT (source), result, &error);

  if (info == NULL)
    {
      finish (ctx, error);
      return;
    }
  keep_info (ctx, info);
  print_info (ctx, info);
  finish (ctx, NULL);
}

/* ---- submit ----------------------------------------------------------- */

/* The core uploads, records, creates and records again
 * (easel_batch_submit_to_library_async), as the studio's New Batch… does. */
static void
submitted_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Ctx *ctx = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselBatchInfo) info = NULL;
  gboolean maybe_created = FALSE;
  g_autoptr(EaselBatchJob) job = easel_batch_submit_to_library_finish (EASEL_CLIENT (source), result,
                                                                        &info, &maybe_created, &error);

  if (job == NULL && info == NULL)
    {
      /* A network error may hide a batch that was created: the library
       * keeps the job for `easel batch list` to find. */
      if (maybe_created)
        easel_cli_warn ("the batch may have been created; `easel batch list` will look for it");
      finish (ctx, error);
      return;
    }
  /* Created, but the library could not record it: say so, keep the id. */
  if (job == NULL)
    easel_cli_warn ("%s; keep its id: %s", error->message, info->id);

  if (ctx->options->json)
    print_info (ctx, info);
  else
    printf ("%s\n", info->id);
  if (!ctx->options->quiet)
    fprintf (stderr, "easel: submitted %u requests; see `easel batch wait %s`\n", ctx->entries->len, info->id);
  finish (ctx, NULL);
}

/* `batch list` finds the batches of submits interrupted after the create. */
static void
recovered_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Ctx *ctx = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) found = easel_batch_recover_submits_finish (EASEL_CLIENT (source), result, &error);

  if (found == NULL)
    easel_cli_warn ("could not look for interrupted submits: %s", error->message);
  else
    for (guint i = 0; i < found->len; i++)
      fprintf (stderr, "easel: found %s, the batch of an interrupted submit\n",
               ((EaselBatchJob *) found->pdata[i])->batch_id);
  finish (ctx, NULL);
}

static int
list_jobs (Ctx        *ctx,
           const char *prgname)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) jobs = easel_store_list_batches (ctx->store, &error);

  if (jobs == NULL)
    {
      fprintf (stderr, "%s: %s\n", prgname, error->message);
      return EASEL_CLI_EXIT_FAILED;
    }
  if (jobs->len == 0 && !ctx->options->quiet)
    fprintf (stderr, "easel: no batch jobs yet (see `easel batch submit --help`)\n");
  for (guint i = 0; i < jobs->len; i++)
    print_job_line (jobs->pdata[i]);
  return EASEL_CLI_EXIT_OK;
}

static gboolean
has_pending_submit (Ctx *ctx)
{
  g_autoptr(GPtrArray) jobs = easel_store_list_batches (ctx->store, NULL);

  for (guint i = 0; jobs != NULL && i < jobs->len; i++)
    if (((EaselBatchJob *) jobs->pdata[i])->batch_id == NULL)
      return TRUE;
  return FALSE;
}

static GBytes *
read_input (const char  *path,
            GError     **error)
{
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autofree char *buffer = g_malloc (64 * 1024);
  gsize total = 0;

  if (g_strcmp0 (path, "-") == 0)
    in = g_unix_input_stream_new (STDIN_FILENO, FALSE);
  else
    {
      g_autoptr(GFile) file = g_file_new_for_commandline_arg (path);
      g_autoptr(GFileInfo) info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                                     G_FILE_QUERY_INFO_NONE, NULL, error);

      if (info == NULL)
        return NULL;
      if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE, "%s is not a regular file", path);
          return NULL;
        }
      if (!(in = G_INPUT_STREAM (g_file_read (file, NULL, error))))
        return NULL;
    }

  for (;;)
    {
      gssize n = g_input_stream_read (in, buffer, 64 * 1024, NULL, error);

      if (n < 0)
        return NULL;
      if (n == 0)
        break;
      total += n;
      if (total > MAX_INPUT_BYTES)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "the input is larger than %u MiB",
                       MAX_INPUT_BYTES / (1024 * 1024));
          return NULL;
        }
      if (!g_output_stream_write_all (out, buffer, n, NULL, NULL, error))
        return NULL;
    }
  g_output_stream_close (out, NULL, NULL);
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
}

static EaselRequest *
defaults_from_options (Options *o)
{
  EaselRequest *request = easel_request_new (EASEL_API_IMAGES_GENERATE);

  request->model = g_strdup (o->model ? o->model : easel_model_default (EASEL_API_IMAGES_GENERATE));
  request->n = o->n;
  request->size = g_strdup (o->size);
  request->quality = g_strdup (o->quality);
  request->background = g_strdup (o->background);
  request->output_format = g_strdup (o->output_format);
  request->output_compression = o->output_compression;
  request->moderation = g_strdup (o->moderation);
  request->user = g_strdup (o->user);
  request->stream = FALSE;
  return request;
}

/* Everything is validated before anything is sent. */
static gboolean
prepare_submit (Ctx         *ctx,
                const char  *path,
                GBytes     **out_jsonl,
                GError     **error)
{
  g_autoptr(EaselRequest) defaults = defaults_from_options (ctx->options);
  g_autoptr(GBytes) input = NULL;
  gboolean known;
  gsize len;
  const char *data;

  if (!(input = read_input (path, error)))
    {
      g_prefix_error (error, "cannot read %s: ", path);
      return FALSE;
    }
  data = g_bytes_get_data (input, &len);
  if (!(ctx->entries = easel_batch_parse_input (data ? data : "", len, defaults, error)))
    return FALSE;
  if (!(*out_jsonl = easel_batch_build_jsonl (ctx->entries, error)))
    return FALSE;

  easel_batch_estimate (ctx->entries, &ctx->batch_usd, &ctx->full_usd, &known);
  if (!ctx->options->quiet)
    {
      g_autofree char *batch = easel_cost_format_usd (ctx->batch_usd);
      g_autofree char *full = easel_cost_format_usd (ctx->full_usd);

      fprintf (stderr, "easel: %u requests; estimated %s%s at the batch price (%s%s at the full price), "
               "results within 24 h\n",
               ctx->entries->len, known ? "" : "≈ ", batch, known ? "" : "≈ ", full);
    }
  return TRUE;
}

/* The same refusals as a single request: a retired model (unless
 * --allow-retired), and the spending limits and confirmation threshold of
 * `easel budget` for the whole job at the batch price (unless --over-budget
 * or, for the threshold, --yes). Nothing has been sent yet. */
static gboolean
submit_allowed (Ctx        *ctx,
                const char *prgname)
{
  g_autoptr(GSettings) settings = easel_config_dup_settings ();
  g_autoptr(GError) error = NULL;
  g_autofree char *refusal = NULL;
  EaselBudgetLimits limits;

  for (guint i = 0; !ctx->options->allow_retired && i < ctx->entries->len; i++)
    {
      EaselBatchEntry *entry = g_ptr_array_index (ctx->entries, i);

      if (!easel_request_check_retired (entry->request, NULL, &error))
        {
          fprintf (stderr, "%s: line %u: %s\nNothing was sent "
                   "(a compatible server that still serves it: add --allow-retired).\n",
                   prgname, entry->line_no, error->message);
          return FALSE;
        }
    }

  if (ctx->options->over_budget)
    return TRUE;

  easel_budget_limits_from_settings (&limits, settings);
  refusal = easel_cli_budget_refusal (prgname, &limits, ctx->batch_usd, ctx->options->yes, ctx->store, NULL);
  if (refusal != NULL)
    fputs (refusal, stderr);
  return refusal == NULL;
}

/* ---- main ------------------------------------------------------------- */

static gboolean
on_sigint (gpointer user_data)
{
  Ctx *ctx = user_data;

  if (g_cancellable_is_cancelled (ctx->cancellable))
    _exit (EASEL_CLI_EXIT_CANCELLED);
  g_cancellable_cancel (ctx->cancellable);
  /* A wait sleeping between polls has nothing in flight to cancel. */
  if (ctx->poll_id != 0)
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");

      g_clear_handle_id (&ctx->poll_id, g_source_remove);
      finish (ctx, error);
    }
  return G_SOURCE_CONTINUE;
}

static void
print_usage (FILE *out)
{
  fprintf (out,
           "Usage:\n"
           "  easel batch submit [OPTION…] FILE|-   Submit one prompt per line, or JSONL request objects\n"
           "  easel batch list                      Every job in the library\n"
           "  easel batch status ID                 Ask the server how a job is doing\n"
           "  easel batch wait ID [-o DIR]          Wait for a job, then fetch it\n"
           "  easel batch fetch ID [-o DIR]         Record a finished job's images in the library\n"
           "  easel batch cancel ID                 Cancel a job\n"
           "\n"
           "Batch jobs cost half the normal price and finish within 24 hours.\n"
           "Fetching is resumable: stop it at any time and run it again.\n");
}

int
easel_cli_batch_main (int    argc,
                      char **argv)
{
  g_auto(Options) options = { .n = -1, .output_compression = -1 };
  g_auto(Ctx) ctx = { 0 };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) jsonl = NULL;
  g_autofree char *prgname = NULL;
  const char *sub;
  EaselKeySource source = EASEL_KEY_SOURCE_NONE;
  const GOptionEntry generate_entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_STRING, &options.model, "Image model (default for every line)", "MODEL" },
    { "n", 'n', 0, G_OPTION_ARG_INT, &options.n, "Images per line", "N" },
    { "size", 's', 0, G_OPTION_ARG_STRING, &options.size, "Size: 1024x1024, 1536x1024, 1024x1536, auto, …", "WxH" },
    { "quality", 'q', 0, G_OPTION_ARG_STRING, &options.quality, "Quality: low, medium, high, auto", "QUALITY" },
    { "background", 0, 0, G_OPTION_ARG_STRING, &options.background, "Background: transparent, opaque, auto", "BACKGROUND" },
    { "output-format", 'f', 0, G_OPTION_ARG_STRING, &options.output_format, "Output format: png, jpeg, webp", "FORMAT" },
    { "output-compression", 0, 0, G_OPTION_ARG_INT, &options.output_compression, "Compression 0-100 for jpeg and webp", "PERCENT" },
    { "moderation", 0, 0, G_OPTION_ARG_STRING, &options.moderation, "Moderation: auto, low", "LEVEL" },
    { "user", 0, 0, G_OPTION_ARG_STRING, &options.user, "End-user identifier sent to OpenAI", "ID" },
    { "allow-retired", 0, 0, G_OPTION_ARG_NONE, &options.allow_retired, "Submit to a model OpenAI retired (for a compatible server that still has it)", NULL },
    { "over-budget", 0, 0, G_OPTION_ARG_NONE, &options.over_budget, "Submit even if the job's estimate crosses a spending limit (see `easel budget`)", NULL },
    { "yes", 'y', 0, G_OPTION_ARG_NONE, &options.yes, "Confirm a job whose estimate is above the confirmation threshold", NULL },
    { NULL }
  };
  const GOptionEntry common_entries[] = {
    { "base-url", 0, 0, G_OPTION_ARG_STRING, &options.base_url, "API base URL (default: $OPENAI_BASE_URL or " EASEL_DEFAULT_BASE_URL ")", "URL" },
    { "organization", 0, 0, G_OPTION_ARG_STRING, &options.organization, "OpenAI organization id", "ORG" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &options.output, "wait, fetch: also write the images to this folder", "DIR" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &options.json, "Print a machine-readable result on stdout", NULL },
    { "quiet", 0, 0, G_OPTION_ARG_NONE, &options.quiet, "No progress or cost lines", NULL },
    { "debug-http", 0, 0, G_OPTION_ARG_NONE, &options.debug_http, "Log HTTP requests (Authorization redacted)", NULL },
    { NULL }
  };

  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h") || g_str_equal (argv[1], "help"))
    {
      print_usage (argc < 2 ? stderr : stdout);
      return argc < 2 ? EASEL_CLI_EXIT_USAGE : EASEL_CLI_EXIT_OK;
    }

  sub = argv[1];
  if (g_str_equal (sub, "submit"))
    ctx.command = CMD_SUBMIT;
  else if (g_str_equal (sub, "list"))
    ctx.command = CMD_LIST;
  else if (g_str_equal (sub, "status"))
    ctx.command = CMD_STATUS;
  else if (g_str_equal (sub, "wait"))
    ctx.command = CMD_WAIT;
  else if (g_str_equal (sub, "fetch"))
    ctx.command = CMD_FETCH;
  else if (g_str_equal (sub, "cancel"))
    ctx.command = CMD_CANCEL;
  else
    {
      g_autofree char *safe = easel_cli_safe_text (sub, NULL);

      fprintf (stderr, "easel batch: unknown command '%s'\n", safe);
      print_usage (stderr);
      return EASEL_CLI_EXIT_USAGE;
    }

  prgname = g_strdup_printf ("easel batch %s", sub);
  g_set_prgname (prgname);
  context = g_option_context_new (ctx.command == CMD_SUBMIT ? "FILE|-" : ctx.command == CMD_LIST ? "" : "ID");
  if (ctx.command == CMD_SUBMIT)
    {
      g_option_context_set_summary (context,
        "Submits one prompt per line, or one JSON request object per line\n"
        "({\"prompt\": …, \"size\": …, \"quality\": …}), as a Batch API job at half price.\n"
        "The options set every line's defaults. Every line is checked before anything is sent.");
      g_option_context_add_main_entries (context, generate_entries, NULL);
    }
  g_option_context_add_main_entries (context, common_entries, NULL);
  argv[1] = argv[0];
  argc--;
  argv++;
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "%s: %s\nRun '%s --help' for the options.\n", prgname, error->message, prgname);
      return EASEL_CLI_EXIT_USAGE;
    }

  ctx.options = &options;
  if ((ctx.command == CMD_LIST && argc != 1) || (ctx.command != CMD_LIST && argc != 2))
    {
      fprintf (stderr, "%s: expected %s\nRun '%s --help' for the options.\n", prgname,
               ctx.command == CMD_SUBMIT ? "one FILE (or - for stdin)" :
               ctx.command == CMD_LIST ? "no argument" : "one batch ID", prgname);
      return EASEL_CLI_EXIT_USAGE;
    }
  if (ctx.command != CMD_SUBMIT && ctx.command != CMD_LIST)
    {
      if (!easel_client_is_safe_id (argv[1]))
        {
          g_autofree char *safe = easel_cli_safe_text (argv[1], NULL);

          fprintf (stderr, "%s: '%s' is not a batch id (see `easel batch list`)\n", prgname, safe);
          return EASEL_CLI_EXIT_USAGE;
        }
      ctx.batch_id = g_strdup (argv[1]);
    }

  /* Checked before the store is opened or anything is sent. */
  if (ctx.command == CMD_SUBMIT && !prepare_submit (&ctx, argv[1], &jsonl, &error))
    {
      fprintf (stderr, "%s: %s\nNothing was sent.\n", prgname, error->message);
      return EASEL_CLI_EXIT_USAGE;
    }

  ctx.store = easel_store_open (g_getenv ("EASEL_LIBRARY_DIR"), &error);
  if (ctx.store == NULL)
    {
      fprintf (stderr, "%s: %s\n", prgname, error->message);
      return EASEL_CLI_EXIT_FAILED;
    }

  if (ctx.command == CMD_SUBMIT && !submit_allowed (&ctx, prgname))
    return EASEL_CLI_EXIT_USAGE;

  /* Only an interrupted submit makes `list` talk to the server. */
  if (ctx.command == CMD_LIST && !has_pending_submit (&ctx))
    return list_jobs (&ctx, prgname);

  if (ctx.command == CMD_FETCH || ctx.command == CMD_WAIT)
    {
      g_autoptr(EaselBatchJob) job = easel_store_get_batch (ctx.store, ctx.batch_id, &error);

      if (job == NULL)
        {
          fprintf (stderr, "%s: %s (only jobs submitted from this library can be fetched)\n",
                   prgname, error->message);
          return g_error_matches (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_NOT_FOUND)
            ? EASEL_CLI_EXIT_USAGE : EASEL_CLI_EXIT_FAILED;
        }
    }

  ctx.base_url = easel_config_resolve_base_url (options.base_url, NULL, &error);
  if (ctx.base_url == NULL)
    {
      fprintf (stderr, "%s: %s\n", prgname, error->message);
      return EASEL_CLI_EXIT_USAGE;
    }
  ctx.api_key = easel_config_get_api_key_sync (ctx.base_url, &source, &error);
  if ((ctx.api_key == NULL || *ctx.api_key == '\0') && ctx.command == CMD_LIST)
    return list_jobs (&ctx, prgname);
  if (ctx.api_key == NULL || *ctx.api_key == '\0')
    {
      easel_cli_print_missing_key (prgname, error);
      return EASEL_CLI_EXIT_USAGE;
    }

  ctx.client = easel_client_new (ctx.base_url, ctx.api_key);
  if (options.organization != NULL)
    easel_client_set_organization (ctx.client, options.organization);
  if (options.debug_http)
    {
      g_setenv ("G_MESSAGES_DEBUG", "easel-client", TRUE);
      easel_client_set_debug (ctx.client, TRUE);
    }
  ctx.cancellable = g_cancellable_new ();
  ctx.loop = g_main_loop_new (NULL, FALSE);
  ctx.sigint_id = g_unix_signal_add (SIGINT, on_sigint, &ctx);
  {
    const char *poll = g_getenv ("EASEL_BATCH_POLL_MS");
    guint64 v = 0;

    ctx.poll_ms = poll && g_ascii_string_to_unsigned (poll, 10, 1, MAX_POLL_MS, &v, NULL) ? (guint) v : 2000;
  }

  switch (ctx.command)
    {
    case CMD_SUBMIT:
      ctx.library = easel_library_new_for_store (ctx.store);
      easel_batch_submit_to_library_async (ctx.client, ctx.library, ctx.entries, jsonl, ctx.batch_usd, ctx.full_usd,
                                           ctx.cancellable, submitted_cb, &ctx);
      break;
    case CMD_LIST:
      ctx.library = easel_library_new_for_store (ctx.store);
      easel_batch_recover_submits_async (ctx.client, ctx.library, ctx.cancellable, recovered_cb, &ctx);
      break;
    case CMD_STATUS:
    case CMD_WAIT:
      poll_now (&ctx);
      break;
    case CMD_FETCH:
      {
        g_autoptr(EaselBatchJob) job = easel_store_get_batch (ctx.store, ctx.batch_id, NULL);

        /* A finished job needs no new look at the server. */
        if (job != NULL && easel_batch_status_is_terminal (job->status))
          start_fetch (&ctx);
        else
          poll_now (&ctx);
      }
      break;
    case CMD_CANCEL:
      easel_batch_cancel_async (ctx.client, ctx.batch_id, ctx.cancellable, cancelled_cb, &ctx);
      break;
    default:
      g_assert_not_reached ();
    }

  g_main_loop_run (ctx.loop);
  if (ctx.command == CMD_LIST && ctx.exit_code == EASEL_CLI_EXIT_OK)
    return list_jobs (&ctx, prgname);
  return ctx.exit_code;
}
