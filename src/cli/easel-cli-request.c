/* easel-cli-request.c: `easel generate|edit|variations|chat`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-cli"

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib-unix.h>
#include <gio/gunixinputstream.h>

#include "easel-cli-library.h"
#include "easel-cli-private.h"

/* Earlier turns fetched by `easel chat` before its own. */
#define MAX_RECOVER_AT_START 3

/* Which subcommands take an option. */
enum
{
  FOR_GENERATE   = 1 << 0,
  FOR_EDIT       = 1 << 1,
  FOR_VARIATIONS = 1 << 2,
  FOR_CHAT       = 1 << 3,
  FOR_RESUME     = 1 << 4,
  FOR_ALL        = FOR_GENERATE | FOR_EDIT | FOR_VARIATIONS | FOR_CHAT,
};

typedef struct
{
  /* Request fields */
  char     *model;
  int       n;
  char     *size;
  char     *quality;
  char     *background;
  char     *output_format;
  int       output_compression;
  char     *moderation;
  char     *response_format;
  char     *style;
  char     *user;
  char     *input_fidelity;
  int       partial_images;
  gboolean  stream;
  gboolean  no_stream;
  char     *action;
  char     *responses_model;
  char     *instructions;
  gboolean  let_model_decide;
  char     *continue_id;
  char    **refs;
  char    **images;
  char     *mask;
  gboolean  upload;
  gboolean  allow_retired;
  char     *service_tier;
  gboolean  moderation_check;
  gboolean  no_moderation_check;
  gboolean  over_budget;
  gboolean  yes;

  /* Connection and output */
  char     *base_url;
  char     *organization;
  char     *output;
  gboolean  save_partials;
  gboolean  json;
  gboolean  force;
  gboolean  no_library;
  gboolean  quiet;
  gboolean  debug_http;
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
  g_free (o->response_format);
  g_free (o->style);
  g_free (o->user);
  g_free (o->input_fidelity);
  g_free (o->action);
  g_free (o->responses_model);
  g_free (o->instructions);
  g_free (o->service_tier);
  g_free (o->continue_id);
  g_strfreev (o->refs);
  g_strfreev (o->images);
  g_free (o->mask);
  g_free (o->base_url);
  g_free (o->organization);
  g_free (o->output);
}

typedef struct
{
  guint       commands;
  GOptionEntry entry;
} FilteredEntry;

static GArray *
build_entries (Options *o,
               guint    command)
{
  const FilteredEntry all[] = {
    { FOR_ALL, { "model", 'm', 0, G_OPTION_ARG_STRING, &o->model, "Image model: gpt-image-1.5 (the default), gpt-image-1-mini, gpt-image-1, …", "MODEL" } },
    { FOR_GENERATE | FOR_EDIT | FOR_VARIATIONS, { "n", 'n', 0, G_OPTION_ARG_INT, &o->n, "Number of images", "N" } },
    { FOR_ALL, { "size", 's', 0, G_OPTION_ARG_STRING, &o->size, "Size: 1024x1024, 1536x1024, 1024x1536, auto, …", "WxH" } },
    { FOR_GENERATE | FOR_EDIT | FOR_CHAT, { "quality", 'q', 0, G_OPTION_ARG_STRING, &o->quality, "Quality: low, medium, high, auto (dall-e-3: standard, hd)", "QUALITY" } },
    { FOR_GENERATE | FOR_EDIT | FOR_CHAT, { "background", 0, 0, G_OPTION_ARG_STRING, &o->background, "Background: transparent, opaque, auto", "BACKGROUND" } },
    { FOR_GENERATE | FOR_EDIT | FOR_CHAT, { "output-format", 'f', 0, G_OPTION_ARG_STRING, &o->output_format, "Output format: png, jpeg, webp", "FORMAT" } },
    { FOR_GENERATE | FOR_EDIT | FOR_CHAT, { "output-compression", 0, 0, G_OPTION_ARG_INT, &o->output_compression, "Compression 0-100 for jpeg and webp", "PERCENT" } },
    { FOR_GENERATE | FOR_EDIT | FOR_CHAT, { "moderation", 0, 0, G_OPTION_ARG_STRING, &o->moderation, "Moderation: auto, low", "LEVEL" } },
    { FOR_GENERATE | FOR_EDIT | FOR_VARIATIONS, { "response-format", 0, 0, G_OPTION_ARG_STRING, &o->response_format, "dall-e only: b64_json or url", "FORMAT" } },
    { FOR_GENERATE, { "style", 0, 0, G_OPTION_ARG_STRING, &o->style, "dall-e-3 only: vivid or natural", "STYLE" } },
    { FOR_GENERATE | FOR_EDIT | FOR_VARIATIONS, { "user", 0, 0, G_OPTION_ARG_STRING, &o->user, "End-user identifier sent to OpenAI", "ID" } },
    { FOR_EDIT | FOR_CHAT, { "input-fidelity", 0, 0, G_OPTION_ARG_STRING, &o->input_fidelity, "Input fidelity: low, high", "LEVEL" } },
    { FOR_GENERATE | FOR_EDIT | FOR_CHAT, { "partial-images", 'p', 0, G_OPTION_ARG_INT, &o->partial_images, "Stream 0-3 partial images (implies --stream)", "K" } },
    { FOR_GENERATE | FOR_EDIT | FOR_CHAT, { "stream", 0, 0, G_OPTION_ARG_NONE, &o->stream, "Stream events (default when the model can)", NULL } },
    { FOR_GENERATE | FOR_EDIT | FOR_CHAT, { "no-stream", 0, 0, G_OPTION_ARG_NONE, &o->no_stream, "Wait for the whole answer", NULL } },
    { FOR_CHAT, { "action", 0, 0, G_OPTION_ARG_STRING, &o->action, "Image tool action: auto, generate, edit", "ACTION" } },
    { FOR_CHAT, { "responses-model", 0, 0, G_OPTION_ARG_STRING, &o->responses_model, "The Responses model (e.g. gpt-4.1)", "MODEL" } },
    { FOR_CHAT, { "instructions", 0, 0, G_OPTION_ARG_STRING, &o->instructions, "System instructions", "TEXT" } },
    { FOR_CHAT, { "service-tier", 0, 0, G_OPTION_ARG_STRING, &o->service_tier, "Processing tier: auto, default, flex (slower, cheaper), priority (for user-facing latency); default: the preferences'", "TIER" } },
    { FOR_CHAT, { "let-model-decide", 0, 0, G_OPTION_ARG_NONE, &o->let_model_decide, "Do not force the image tool: the model may answer with text only", NULL } },
    { FOR_CHAT, { "continue", 'c', 0, G_OPTION_ARG_STRING, &o->continue_id, "Continue from an earlier response (previous_response_id)", "RESPONSE_ID" } },
    { FOR_CHAT, { "ref", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->refs, "Refer to an earlier image_generation_call (repeatable)", "IG_ID" } },
    { FOR_EDIT | FOR_VARIATIONS | FOR_CHAT, { "image", 'i', 0, G_OPTION_ARG_FILENAME_ARRAY, &o->images, "Input image: a path, a file-… id or an http(s) URL (repeatable)", "IMAGE" } },
    { FOR_EDIT | FOR_CHAT, { "mask", 0, 0, G_OPTION_ARG_FILENAME, &o->mask, "Mask PNG (transparent where to edit)", "MASK" } },
    { FOR_EDIT | FOR_CHAT, { "upload", 0, 0, G_OPTION_ARG_NONE, &o->upload, "Upload local images through the Files API first and send file ids", NULL } },
    { FOR_GENERATE | FOR_EDIT | FOR_CHAT, { "moderation-check", 0, 0, G_OPTION_ARG_NONE, &o->moderation_check, "Check the prompt with the free moderation endpoint first; a flagged prompt is not sent", NULL } },
    { FOR_GENERATE | FOR_EDIT | FOR_CHAT, { "no-moderation-check", 0, 0, G_OPTION_ARG_NONE, &o->no_moderation_check, "Skip the moderation pre-check even if the preferences turn it on", NULL } },
    { FOR_ALL, { "over-budget", 0, 0, G_OPTION_ARG_NONE, &o->over_budget, "Send even if the estimate crosses a spending limit (see `easel budget`)", NULL } },
    { FOR_ALL, { "yes", 'y', 0, G_OPTION_ARG_NONE, &o->yes, "Confirm a request whose estimate is above the confirmation threshold (limits still apply)", NULL } },
    { FOR_ALL, { "allow-retired", 0, 0, G_OPTION_ARG_NONE, &o->allow_retired, "Send to a model OpenAI retired (for a compatible server that still has it)", NULL } },
    { FOR_ALL | FOR_RESUME, { "base-url", 0, 0, G_OPTION_ARG_STRING, &o->base_url, "API base URL (default: $OPENAI_BASE_URL or " EASEL_DEFAULT_BASE_URL ")", "URL" } },
    { FOR_ALL | FOR_RESUME, { "organization", 0, 0, G_OPTION_ARG_STRING, &o->organization, "OpenAI organization id", "ORG" } },
    { FOR_ALL | FOR_RESUME, { "output", 'o', 0, G_OPTION_ARG_FILENAME, &o->output, "Output file or folder (n>1: stem-1.ext, …)", "PATH|DIR" } },
    { FOR_GENERATE | FOR_EDIT | FOR_CHAT | FOR_RESUME, { "save-partials", 0, 0, G_OPTION_ARG_NONE, &o->save_partials, "Write each partial image as it arrives", NULL } },
    { FOR_ALL | FOR_RESUME, { "json", 0, 0, G_OPTION_ARG_NONE, &o->json, "Print a machine-readable result on stdout", NULL } },
    { FOR_ALL, { "force", 0, 0, G_OPTION_ARG_NONE, &o->force, "Send even if the library holds an identical request", NULL } },
    { FOR_ALL | FOR_RESUME, { "no-library", 0, 0, G_OPTION_ARG_NONE, &o->no_library, "Neither look up nor record in the library", NULL } },
    { FOR_ALL | FOR_RESUME, { "quiet", 0, 0, G_OPTION_ARG_NONE, &o->quiet, "No progress or cost lines", NULL } },
    { FOR_ALL | FOR_RESUME, { "debug-http", 0, 0, G_OPTION_ARG_NONE, &o->debug_http, "Log HTTP requests (Authorization redacted)", NULL } },
  };
  GArray *entries = g_array_new (TRUE, TRUE, sizeof (GOptionEntry));

  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    if (all[i].commands & command)
      g_array_append_val (entries, all[i].entry);

  return entries;
}

typedef struct
{
  GMainLoop        *loop;
  int               exit_code;

  Options          *options;
  EaselApi          api;
  EaselRequest     *request;       /* as the user asked: the cache key */
  EaselRequest     *send_request;  /* after --upload: file ids */
  EaselClient      *client;
  char             *api_key;
  GCancellable     *cancellable;
  EaselCliOutput   *output;
  EaselCliProgress *progress;
  EaselCostEstimate estimate;
  EaselRetryPolicy  policy;

  char             *base_url;       /* the server in use: part of the cache key */
  GBytes           *last_partial;   /* kept: a stream that breaks leaves it in the library */
  char             *last_partial_format;
  char             *response_id;    /* from response.created */
  char             *resume_id;      /* `easel resume`: the response fetched */
  gboolean          pending_kept;   /* the library lists response_id as in progress */
  GPtrArray        *recover;        /* EaselPendingResponse*: earlier turns to fetch first */
  guint             next_recover;

  EaselResult      *result;
  gboolean          cached;
  GPtrArray        *generations;    /* the library rows of result->images, in order; NULL: none */
  GPtrArray        *image_paths;    /* per image of result: the file written, or NULL */
  GPtrArray        *written_paths;  /* final images written, in order */
  GPtrArray        *partial_paths;  /* per partial: the file written, or NULL */
  guint             n_partials;
  guint             n_failures;     /* images paid for but not written */
  guint             pending_writes; /* partial writes still in a worker */
  guint             next_image;     /* the final image being fetched or written */
  guint             next_upload;
  gboolean          done;           /* the final step ran; quit once writes drain */
  gboolean          finishing;      /* the final images are done; report once partials are too */
  guint             sigint_id;
  gboolean          moderation_check;
  EaselBudgetLimits limits;
} Run;

static void
run_free (Run *run)
{
  g_clear_handle_id (&run->sigint_id, g_source_remove);
  g_clear_pointer (&run->loop, g_main_loop_unref);
  g_clear_pointer (&run->request, easel_request_free);
  g_clear_pointer (&run->send_request, easel_request_free);
  g_clear_object (&run->client);
  if (run->api_key != NULL)
    {
      memset (run->api_key, 0, strlen (run->api_key));
      g_clear_pointer (&run->api_key, g_free);
    }
  g_clear_object (&run->cancellable);
  g_clear_pointer (&run->output, easel_cli_output_free);
  g_clear_pointer (&run->progress, easel_cli_progress_free);
  g_clear_pointer (&run->base_url, g_free);
  g_clear_pointer (&run->last_partial, g_bytes_unref);
  g_clear_pointer (&run->last_partial_format, g_free);
  g_clear_pointer (&run->response_id, g_free);
  g_clear_pointer (&run->resume_id, g_free);
  g_clear_pointer (&run->recover, g_ptr_array_unref);
  g_clear_pointer (&run->result, easel_result_free);
  g_clear_pointer (&run->generations, g_ptr_array_unref);
  g_clear_pointer (&run->image_paths, g_ptr_array_unref);
  g_clear_pointer (&run->written_paths, g_ptr_array_unref);
  g_clear_pointer (&run->partial_paths, g_ptr_array_unref);
  g_free (run);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Run, run_free)

static void
maybe_quit (Run *run)
{
  if (run->done && run->pending_writes == 0)
    g_main_loop_quit (run->loop);
}

static void
finish_with_error (Run          *run,
                   const GError *error)
{
  easel_cli_progress_done (run->progress);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    fprintf (stderr, "easel: cancelled\n");
  else
    easel_cli_print_error (error, run->api_key, run->options->debug_http);

  run->exit_code = easel_cli_exit_code_for_error (error);
  run->done = TRUE;
  maybe_quit (run);
}

/* ---- the --json result ------------------------------------------------ */

static void
add_usage (JsonBuilder      *builder,
           const char       *name,
           const EaselUsage *usage)
{
  json_builder_set_member_name (builder, name);
  if (!usage->present)
    {
      json_builder_add_null_value (builder);
      return;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "input_tokens");
  json_builder_add_int_value (builder, usage->input_tokens);
  json_builder_set_member_name (builder, "input_text_tokens");
  json_builder_add_int_value (builder, usage->input_text_tokens);
  json_builder_set_member_name (builder, "input_image_tokens");
  json_builder_add_int_value (builder, usage->input_image_tokens);
  json_builder_set_member_name (builder, "output_tokens");
  json_builder_add_int_value (builder, usage->output_tokens);
  json_builder_set_member_name (builder, "total_tokens");
  json_builder_add_int_value (builder, usage->total_tokens);
  json_builder_end_object (builder);
}

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
print_json_result (Run *run)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  EaselResult *result = run->result;
  const EaselImage *first = NULL;
  double cost;

  if (result->images->len > 0)
    first = g_ptr_array_index (result->images, 0);

  cost = easel_cost_usd_for_usage (run->request->model, run->request->quality, run->request->size,
                                   &result->usage, result->images->len);

  json_builder_begin_object (builder);

  json_builder_set_member_name (builder, "files");
  json_builder_begin_array (builder);
  for (guint i = 0; i < run->written_paths->len; i++)
    json_builder_add_string_value (builder, g_ptr_array_index (run->written_paths, i));
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "partial_files");
  json_builder_begin_array (builder);
  for (guint i = 0; i < run->partial_paths->len; i++)
    if (g_ptr_array_index (run->partial_paths, i) != NULL)
      json_builder_add_string_value (builder, g_ptr_array_index (run->partial_paths, i));
  json_builder_end_array (builder);

  add_string (builder, "api", easel_api_to_string (run->api));
  add_string (builder, "model", run->request->model);
  add_string (builder, "response_id", result->response_id);
  add_string (builder, "request_id", result->request_id);
  add_string (builder, "revised_prompt", first ? first->revised_prompt : NULL);
  add_string (builder, "action", first ? first->action : NULL);
  add_string (builder, "text", result->text);

  json_builder_set_member_name (builder, "image_call_ids");
  json_builder_begin_array (builder);
  for (guint i = 0; i < result->images->len; i++)
    {
      const EaselImage *image = g_ptr_array_index (result->images, i);

      if (image->item_id != NULL)
        json_builder_add_string_value (builder, image->item_id);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "images");
  json_builder_begin_array (builder);
  for (guint i = 0; i < result->images->len; i++)
    {
      const EaselImage *image = g_ptr_array_index (result->images, i);

      json_builder_begin_object (builder);
      add_string (builder, "file", i < run->image_paths->len ? g_ptr_array_index (run->image_paths, i) : NULL);
      json_builder_set_member_name (builder, "library_id");
      if (run->generations != NULL && i < run->generations->len)
        json_builder_add_int_value (builder, ((EaselGeneration *) g_ptr_array_index (run->generations, i))->id);
      else
        json_builder_add_null_value (builder);
      add_string (builder, "item_id", image->item_id);
      add_string (builder, "revised_prompt", image->revised_prompt);
      add_string (builder, "action", image->action);
      add_string (builder, "size", image->size);
      add_string (builder, "quality", image->quality);
      add_string (builder, "background", image->background);
      add_string (builder, "output_format", image->output_format);
      add_string (builder, "url", image->url);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  add_usage (builder, "usage", &result->usage);
  add_usage (builder, "response_usage", &result->response_usage);

  json_builder_set_member_name (builder, "estimated_cost_usd");
  if (run->estimate.usd > 0)
    json_builder_add_double_value (builder, run->estimate.usd);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "estimate_exact");
  json_builder_add_boolean_value (builder, run->estimate.known);
  json_builder_set_member_name (builder, "estimate_price_assumed");
  json_builder_add_boolean_value (builder, run->estimate.price_assumed);
  json_builder_set_member_name (builder, "estimate_tier_price_unknown");
  json_builder_add_boolean_value (builder, run->estimate.tier_price_unknown);

  json_builder_set_member_name (builder, "cost_usd");
  if (cost >= 0 && !run->cached)
    json_builder_add_double_value (builder, cost);
  else if (run->cached)
    json_builder_add_double_value (builder, 0.0);
  else
    json_builder_add_null_value (builder);

  json_builder_set_member_name (builder, "partial_images");
  json_builder_add_int_value (builder, result->n_partials);

  json_builder_set_member_name (builder, "cached");
  json_builder_add_boolean_value (builder, run->cached);

  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  printf ("%s\n", text);
  fflush (stdout);
}

/* ---- success ------------------------------------------------------------ */

static void
finish_success (Run *run)
{
  EaselResult *result = run->result;
  gboolean cancelled = g_cancellable_is_cancelled (run->cancellable);

  /* The partial images' names are known once they are written. */
  run->finishing = TRUE;
  if (run->pending_writes > 0)
    return;

  easel_cli_progress_done (run->progress);

  if (!run->cached && run->generations == NULL && !run->options->no_library && run->written_paths->len > 0)
    fprintf (stderr, "easel: your %s kept at %s%s\n",
             run->written_paths->len == 1 ? "image is" : "images are",
             (const char *) run->written_paths->pdata[0],
             run->written_paths->len > 1 ? " (and the others beside it)" : "");

  if (run->options->json)
    {
      print_json_result (run);
    }
  else
    {
      if (result->text != NULL && *result->text != '\0')
        {
          /* The model's answer: its lines are kept, its control sequences are not. */
          g_autofree char *text = easel_text_escape_untrusted_full (result->text, -1, 0,
                                                                    EASEL_TEXT_ESCAPE_KEEP_NEWLINES);
          printf ("%s\n", text);
        }
      for (guint i = 0; i < run->written_paths->len; i++)
        printf ("%s\n", (const char *) g_ptr_array_index (run->written_paths, i));
      fflush (stdout);

      if (!run->options->quiet)
        {
          for (guint i = 0; i < result->images->len; i++)
            {
              const EaselImage *image = g_ptr_array_index (result->images, i);

              if (image->revised_prompt != NULL)
                {
                  g_autofree char *revised = easel_cli_safe_text (image->revised_prompt, run->api_key);
                  fprintf (stderr, "easel: revised prompt: %s\n", revised);
                }
            }

          if (!run->cached)
            {
              double cost = easel_cost_usd_for_usage (run->request->model, run->request->quality,
                                                      run->request->size, &result->usage,
                                                      result->images->len);
              if (cost >= 0)
                {
                  g_autofree char *usd = easel_cost_format_usd (cost);

                  if (result->usage.present)
                    fprintf (stderr, "easel: cost %s (%" G_GINT64_FORMAT " output tokens)\n",
                             usd, result->usage.output_tokens);
                  else
                    fprintf (stderr, "easel: cost %s\n", usd);
                }
            }

          if (result->response_id != NULL)
            {
              g_autofree char *response_id = easel_cli_safe_text (result->response_id, run->api_key);
              fprintf (stderr, "easel: response %s (continue with: easel chat --continue %s …)\n",
                       response_id, response_id);
            }
        }
    }

  if (cancelled)
    {
      fprintf (stderr, "easel: cancelled\n");
      run->exit_code = EASEL_CLI_EXIT_CANCELLED;
    }
  else if (run->n_failures > 0)
    run->exit_code = EASEL_CLI_EXIT_FAILED;
  else
    run->exit_code = EASEL_CLI_EXIT_OK;
  run->done = TRUE;
  maybe_quit (run);
}

/* ---- keeping what was paid for ------------------------------------------- */

/* @path as a shell word: as is when that is safe, else quoted. */
static char *
shell_word (const char *path)
{
  for (const char *p = path; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("/._-+,:@%", *p) == NULL)
      return g_shell_quote (path);
  return g_strdup (path);
}

/* Image @index was paid for but is not where the user asked: say where it
 * is kept and how to get it out. */
static void
report_unwritten (Run        *run,
                  guint       index,
                  const char *wanted_path)
{
  EaselGeneration *g = NULL;

  run->n_failures++;

  if (run->generations != NULL && index < run->generations->len)
    g = g_ptr_array_index (run->generations, index);

  if (g != NULL && g->path != NULL)
    {
      g_autofree char *quoted = wanted_path ? shell_word (wanted_path) : g_strdup ("FILE");
      const char *format = NULL;

      if (wanted_path != NULL && (g_str_has_suffix (wanted_path, ".jpg") || g_str_has_suffix (wanted_path, ".jpeg")))
        format = "jpeg";
      else if (wanted_path != NULL && g_str_has_suffix (wanted_path, ".webp"))
        format = "webp";

      fprintf (stderr, "easel: the image is kept in the library as %" G_GINT64_FORMAT " (%s)\n", g->id, g->path);
      fprintf (stderr, "easel: get it with: easel library export %" G_GINT64_FORMAT " --output %s%s%s\n",
               g->id, quoted, format ? " --format " : "", format ? format : "");
    }
  else if (run->options->no_library)
    fprintf (stderr, "easel: the image was not kept anywhere (--no-library)\n");
  else
    fprintf (stderr, "easel: the image could not be kept in the library either\n");
}

/* ---- writing the final images, one after the other ---------------------- */

static void write_next_image (Run *run);

static void
final_written_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  path = easel_cli_output_write_finish (result, &error);
  if (path == NULL)
    {
      EaselImage *image = g_ptr_array_index (run->result->images, run->next_image);
      const char *format = image->output_format ? image->output_format : run->request->output_format;
      g_autofree char *wanted = easel_cli_output_path_for_image (run->output, run->next_image,
                                                                 run->result->images->len,
                                                                 easel_cli_extension_for (image->bytes, format));

      easel_cli_progress_done (run->progress);
      fprintf (stderr, "easel: error: could not write the image: %s\n", error->message);
      report_unwritten (run, run->next_image, wanted);
    }
  else
    {
      g_ptr_array_add (run->written_paths, g_strdup (path));
      g_ptr_array_index (run->image_paths, run->next_image) = g_steal_pointer (&path);
    }

  run->next_image++;
  write_next_image (run);
}

static void
write_next_image (Run *run)
{
  EaselImage *image;
  const char *format;

  if (run->next_image >= run->result->images->len)
    {
      finish_success (run);
      return;
    }

  /* After Ctrl-C, write nothing more: what is written stays whole, the
   * rest is in the library. */
  if (g_cancellable_is_cancelled (run->cancellable))
    {
      for (; run->next_image < run->result->images->len; run->next_image++)
        report_unwritten (run, run->next_image, NULL);
      finish_success (run);
      return;
    }

  image = g_ptr_array_index (run->result->images, run->next_image);
  if (image->bytes == NULL)
    {
      /* Its download failed (already said), or it never had data. */
      if (image->url == NULL)
        {
          easel_cli_progress_done (run->progress);
          fprintf (stderr, "easel: error: the answer held an image with neither data nor a URL\n");
          run->n_failures++;
        }
      run->next_image++;
      write_next_image (run);
      return;
    }

  format = image->output_format ? image->output_format : run->request->output_format;
  easel_cli_output_write_image_async (run->output, run->next_image, run->result->images->len,
                                      image->bytes, easel_cli_extension_for (image->bytes, format),
                                      NULL, final_written_cb, run);
}

/* Records the result in the library before any file is written, so an
 * image that cannot be written (disk full, Ctrl-C) is still kept. */
static void
keep_result (Run *run)
{
  if (!run->cached)
    run->generations = easel_cli_library_record (run->request, run->result, NULL, run->base_url,
                                                 run->estimate.usd > 0 ? run->estimate.usd : -1,
                                                 !run->options->no_library);

  run->next_image = 0;
  write_next_image (run);
}

/* ---- downloading url images (response_format=url) ------------------------ */

static void fetch_next_image (Run *run);

static void
fetched_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Run *run = user_data;
  EaselImage *image = g_ptr_array_index (run->result->images, run->next_image);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;

  bytes = easel_client_fetch_url_finish (EASEL_CLIENT (source), result, &error);
  if (bytes == NULL)
    {
      g_autofree char *url = easel_text_escape_untrusted (image->url, EASEL_TEXT_MAX_SHOWN);

      /* Keep going: the other images are paid for too. */
      easel_cli_progress_done (run->progress);
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        easel_cli_print_error (error, run->api_key, run->options->debug_http);
      fprintf (stderr, "easel: could not download image %u; its URL (valid for about an hour): %s\n",
               run->next_image + 1, url);
      run->n_failures++;
    }
  else
    {
      g_clear_pointer (&image->bytes, g_bytes_unref);
      image->bytes = g_steal_pointer (&bytes);
    }

  run->next_image++;
  fetch_next_image (run);
}

static void
fetch_next_image (Run *run)
{
  /* After Ctrl-C, download nothing more, but keep what we have. */
  if (!g_cancellable_is_cancelled (run->cancellable))
    for (; run->next_image < run->result->images->len; run->next_image++)
      {
        EaselImage *image = g_ptr_array_index (run->result->images, run->next_image);

        if (image->bytes == NULL && image->url != NULL)
          {
            easel_cli_progress_stage (run->progress, "downloading");
            easel_client_fetch_url_async (run->client, image->url, run->cancellable, fetched_cb, run);
            return;
          }
      }

  keep_result (run);
}

static void
start_writing (Run *run)
{
  if (run->result->images->len == 0 && run->api != EASEL_API_RESPONSES)
    {
      g_autoptr(GError) error = easel_api_error_new_literal (EASEL_API_ERROR_BAD_RESPONSE,
                                                             "The answer held no image");
      finish_with_error (run, error);
      return;
    }

  g_ptr_array_set_size (run->image_paths, run->result->images->len);
  run->next_image = 0;
  fetch_next_image (run);
}

/* ---- streaming events --------------------------------------------------- */

typedef struct
{
  Run   *run;
  guint  slot;
} PartialWrite;

static void
partial_written_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autofree PartialWrite *write = user_data;
  Run *run = write->run;
  g_autoptr(GError) error = NULL;
  char *path;

  path = easel_cli_output_write_finish (result, &error);
  if (path == NULL)
    easel_cli_progress_print (run->progress, "easel: warning: could not write a partial image: %s",
                              error->message);
  else
    g_ptr_array_index (run->partial_paths, write->slot) = path;

  run->pending_writes--;
  if (run->finishing && !run->done && run->pending_writes == 0)
    finish_success (run);
  else
    maybe_quit (run);
}

static void
on_event (const EaselEvent *event,
          gpointer          user_data)
{
  Run *run = user_data;

  easel_cli_progress_event (run->progress, event);

  if (event->kind == EASEL_EVENT_RESPONSE_CREATED && event->response_id != NULL &&
      run->response_id == NULL)
    {
      run->response_id = g_strdup (event->response_id);
      /* In background mode the turn outlives this process: keep its id so
       * that a restart can fetch the image (easel resume, easel chat). */
      if (run->resume_id == NULL && run->send_request->stream && !run->options->no_library &&
          !easel_client_get_background_refused (run->client))
        {
          easel_cli_library_add_pending (run->request, run->response_id, run->base_url);
          run->pending_kept = TRUE;
        }
    }

  if (event->kind == EASEL_EVENT_PARTIAL_IMAGE && event->image != NULL)
    {
      run->n_partials++;
      g_clear_pointer (&run->last_partial, g_bytes_unref);
      run->last_partial = g_bytes_ref (event->image);
      g_free (run->last_partial_format);
      run->last_partial_format = g_strdup (event->output_format ? event->output_format : run->request->output_format);

      if (run->options->save_partials)
        {
          const char *format = event->output_format ? event->output_format : run->request->output_format;
          PartialWrite *write = g_new0 (PartialWrite, 1);

          /* A slot each, so the list keeps arrival order whatever order
           * the writes finish in. */
          write->run = run;
          write->slot = run->partial_paths->len;
          g_ptr_array_add (run->partial_paths, NULL);
          run->pending_writes++;
          easel_cli_output_write_partial_async (run->output, run->n_partials, event->image,
                                                easel_cli_extension_for (event->image, format),
                                                NULL, partial_written_cb, write);
        }
    }
}

static void
on_retrying (EaselClient *client,
             guint        attempt,
             gint64       delay_ms,
             GError      *why,
             gpointer     user_data)
{
  Run *run = user_data;
  const char *reason = "request failed";

  switch (easel_retry_reason_for_error (why))
    {
    case EASEL_RETRY_REASON_RATE_LIMITED: reason = "rate limited"; break;
    case EASEL_RETRY_REASON_SERVER_ERROR: reason = "server error"; break;
    case EASEL_RETRY_REASON_TIMED_OUT:    reason = "timed out"; break;
    case EASEL_RETRY_REASON_CONFLICT:     reason = "conflict"; break;
    case EASEL_RETRY_REASON_CONNECTION:   reason = "connection failed"; break;
    case EASEL_RETRY_REASON_OTHER:
    default:
      break;
    }

  /* The client counts retries from 1; be lenient if it counts from 0. */
  easel_cli_progress_retrying (run->progress, reason, MAX (attempt, 1),
                               MAX (run->policy.max_retries, 1), delay_ms);
}

static void
on_reconnecting (EaselClient *client,
                 guint        attempt,
                 gint64       delay_ms,
                 GError      *why,
                 gpointer     user_data)
{
  Run *run = user_data;

  if (run->options->quiet)
    return;
  if (g_error_matches (why, G_IO_ERROR, G_IO_ERROR_PENDING))
    {
      /* Polling: one line per check would flood the terminal. */
      easel_cli_progress_stage (run->progress, "still in progress on the server");
      return;
    }
  /* The turn lives on the server: this costs nothing more. */
  easel_cli_progress_print (run->progress, "easel: Reconnecting… (attempt %u%s%s)", attempt,
                            why != NULL ? ": " : "", why != NULL ? why->message : "");
  easel_cli_progress_stage (run->progress, "reconnecting");
}

static void
on_background_refused (EaselClient *client,
                       GError      *why,
                       gpointer     user_data)
{
  Run *run = user_data;

  easel_cli_progress_print (run->progress,
                            "easel: the server does not support background mode (%s); "
                            "sending a plain stream, which cannot be resumed if it breaks",
                            why != NULL ? why->message : "refused");
}

/* A failure that leaves the response running on the server: the stream
 * or the network broke and reconnecting gave up. */
static gboolean
may_still_finish (const GError *error)
{
  return g_error_matches (error, EASEL_API_ERROR, EASEL_API_ERROR_NETWORK) ||
         g_error_matches (error, EASEL_API_ERROR, EASEL_API_ERROR_TRUNCATED) ||
         g_error_matches (error, EASEL_API_ERROR, EASEL_API_ERROR_TIMEOUT);
}

static const char *
pending_id (Run *run)
{
  if (run->resume_id != NULL)
    return run->resume_id;
  return run->pending_kept ? run->response_id : NULL;
}

static void
handle_result (Run    *run,
               GError *error)
{
  if (run->result == NULL && may_still_finish (error) && pending_id (run) != NULL)
    easel_cli_progress_print (run->progress,
                              "easel: the turn may still finish on the server; fetch it later with: easel resume %s",
                              pending_id (run));
  else if (pending_id (run) != NULL && !run->options->no_library)
    {
      /* Recorded below, failed for good, or cancelled on the server. */
      easel_cli_library_remove_pending (pending_id (run));
      run->pending_kept = FALSE;
    }

  if (run->result == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          /* The failure's row: recorded for the ledger. A stream that broke
           * after a partial keeps that partial, as an incomplete image: the
           * server may have billed it. */
          g_autoptr(GPtrArray) failed = NULL;
          g_autoptr(EaselResult) partial = NULL;

          if (run->last_partial != NULL)
            {
              EaselImage *image = easel_image_new ();

              partial = easel_result_new (run->request->api);
              image->bytes = g_bytes_ref (run->last_partial);
              image->output_format = g_strdup (run->last_partial_format);
              g_ptr_array_add (partial->images, image);
              partial->response_id = g_strdup (run->response_id);
            }
          failed = easel_cli_library_record_full (run->request, partial, error, run->base_url,
                                                  run->estimate.usd > 0 ? run->estimate.usd : -1,
                                                  partial != NULL, !run->options->no_library);
          if (partial != NULL && failed != NULL && failed->len > 0 &&
              ((EaselGeneration *) g_ptr_array_index (failed, 0))->status == EASEL_GENERATION_INCOMPLETE)
            {
              gint64 id = ((EaselGeneration *) g_ptr_array_index (failed, 0))->id;

              easel_cli_progress_print (run->progress,
                                        "easel: the stream broke after a partial image; it is kept in the library as %"
                                        G_GINT64_FORMAT " (incomplete: the server may have billed it)%s\n"
                                        "easel: get it with: easel library export %" G_GINT64_FORMAT " --output FILE",
                                        id,
                                        run->request->api == EASEL_API_RESPONSES ? ""
                                          : "; the Images API has no response id, so a broken stream cannot be resumed",
                                        id);
            }
        }
      finish_with_error (run, error);
      return;
    }

  easel_cli_progress_stage (run->progress, "saving");
  start_writing (run);
}

static void
sent_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;

  run->result = easel_client_send_finish (EASEL_CLIENT (source), result, &error);
  handle_result (run, error);
}

static void
resumed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;

  run->result = easel_client_resume_finish (EASEL_CLIENT (source), result, &error);
  handle_result (run, error);
}

static void
send_request (Run *run)
{
  if (run->send_request->stream)
    easel_cli_progress_stage (run->progress, "connecting");
  else
    easel_cli_progress_stage (run->progress, "waiting for the answer");

  easel_client_send_async (run->client, run->send_request,
                           on_event, run, NULL,
                           run->cancellable, sent_cb, run);
}

/* ---- --upload ------------------------------------------------------------ */

static void upload_next (Run *run);

static EaselInputImage **
upload_slot (Run   *run,
             guint  index)
{
  GPtrArray *images = run->send_request->images;
  guint n_images = images ? images->len : 0;

  if (index < n_images)
    return (EaselInputImage **) &g_ptr_array_index (images, index);
  if (index == n_images && run->send_request->mask != NULL)
    return &run->send_request->mask;
  return NULL;
}

static void
uploaded_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *file_id = NULL;
  EaselInputImage **slot;

  file_id = easel_client_upload_file_finish (EASEL_CLIENT (source), result, &error);
  if (file_id == NULL)
    {
      finish_with_error (run, error);
      return;
    }

  slot = upload_slot (run, run->next_upload);
  if (!run->options->quiet)
    easel_cli_progress_print (run->progress, "easel: uploaded %s as %s",
                              (*slot)->filename ? (*slot)->filename : "image", file_id);
  easel_input_image_free (*slot);
  *slot = easel_input_image_new_file_id (file_id);

  run->next_upload++;
  upload_next (run);
}

static void
upload_next (Run *run)
{
  EaselInputImage **slot;

  for (;;)
    {
      slot = upload_slot (run, run->next_upload);
      if (slot == NULL)
        {
          send_request (run);
          return;
        }
      if ((*slot)->kind == EASEL_INPUT_IMAGE_BYTES)
        break;
      run->next_upload++;
    }

  easel_cli_progress_stage (run->progress, "uploading");
  easel_client_upload_file_async (run->client, (*slot)->bytes, (*slot)->filename,
                                  (*slot)->mime_type, "vision", run->cancellable,
                                  uploaded_cb, run);
}

/* ---- start ---------------------------------------------------------------- */

static gboolean
on_sigint (gpointer user_data)
{
  Run *run = user_data;

  if (g_cancellable_is_cancelled (run->cancellable))
    {
      /* A second Ctrl-C: the user really wants out. */
      fprintf (stderr, "\neasel: cancelled\n");
      _exit (EASEL_CLI_EXIT_CANCELLED);
    }

  g_cancellable_cancel (run->cancellable);
  return G_SOURCE_CONTINUE;
}

static void
send_paid_request (Run *run)
{
  if (run->options->upload)
    upload_next (run);
  else
    send_request (run);
}

static void
moderated_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselModeration) moderation = NULL;
  g_autofree char *categories = NULL;
  g_autofree char *safe = NULL;

  moderation = easel_client_moderate_finish (EASEL_CLIENT (source), result, &error);
  if (moderation == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          easel_cli_progress_print (run->progress,
                                    "easel: the moderation pre-check failed, so the prompt was not sent "
                                    "(--no-moderation-check skips it)");
        }
      finish_with_error (run, error);
      return;
    }

  if (!moderation->flagged)
    {
      send_paid_request (run);
      return;
    }

  /* Category names are checked identifiers already; escape them anyway. */
  categories = easel_moderation_format_categories (moderation);
  safe = easel_cli_safe_text (categories, run->api_key);
  easel_cli_progress_done (run->progress);
  fprintf (stderr, "easel: the moderation pre-check flagged the prompt (%s); it was not sent and "
                   "nothing was charged\n", safe);
  run->exit_code = EASEL_CLI_EXIT_FAILED;
  run->done = TRUE;
  maybe_quit (run);
}

/* The spending limits: refuse (exit 2) a request whose estimate would cross
 * a limit unless --over-budget, or one above the confirmation threshold
 * unless --yes or --over-budget. */
static gboolean
budget_allows (Run *run)
{
  g_autofree char *refusal = easel_cli_budget_refusal ("easel", &run->limits, run->estimate.usd,
                                                       run->options->yes, NULL, run->api_key);

  if (refusal == NULL)
    return TRUE;
  easel_cli_progress_done (run->progress);
  fputs (refusal, stderr);
  run->exit_code = EASEL_CLI_EXIT_USAGE;
  run->done = TRUE;
  maybe_quit (run);
  return FALSE;
}

static void continue_start (Run *run);
static void recover_next   (Run *run);

static void
recovered_cb (GObject      *source,
              GAsyncResult *res,
              gpointer      user_data)
{
  Run *run = user_data;
  EaselPendingResponse *pending = g_ptr_array_index (run->recover, run->next_recover);
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselResult) result = NULL;
  g_autoptr(EaselRequest) request = NULL;
  g_autoptr(GPtrArray) gens = NULL;

  result = easel_client_resume_finish (EASEL_CLIENT (source), res, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      finish_with_error (run, error);
      return;
    }

  if (result != NULL && !(request = easel_cli_library_pending_request (pending->response_id)))
    {
      /* The run that sent it was alive after all and recorded it meanwhile. */
      easel_cli_progress_print (run->progress, "easel: the earlier turn %s was recorded meanwhile",
                                pending->response_id);
    }
  else if (result != NULL)
    {
      gens = easel_cli_library_record (request, result, NULL, run->base_url, -1, TRUE);
      if (gens != NULL && gens->len > 0)
        {
          gint64 id = ((EaselGeneration *) g_ptr_array_index (gens, 0))->id;

          easel_cli_progress_print (run->progress,
                                    "easel: fetched the image of an earlier turn (%s) into the library as %"
                                    G_GINT64_FORMAT "; get it with: easel library export %" G_GINT64_FORMAT
                                    " --output FILE", pending->response_id, id, id);
        }
      else
        easel_cli_progress_print (run->progress, "easel: the earlier turn %s ended without an image",
                                  pending->response_id);
      easel_cli_library_remove_pending (pending->response_id);
    }
  else
    {
      easel_cli_progress_print (run->progress, "easel: could not fetch the earlier turn %s: %s",
                                pending->response_id, error->message);
      if (!may_still_finish (error))
        easel_cli_library_remove_pending (pending->response_id);
    }

  run->next_recover++;
  recover_next (run);
}

/* Turns that were in progress when an earlier run stopped: their images
 * are paid for, so they are fetched into the library before the new turn. */
static void
recover_next (Run *run)
{
  EaselPendingResponse *pending;

  if (run->recover == NULL || run->next_recover >= run->recover->len)
    {
      continue_start (run);
      return;
    }

  pending = g_ptr_array_index (run->recover, run->next_recover);
  easel_cli_progress_stage (run->progress, "fetching an earlier turn");
  easel_client_resume_async (run->client, pending->response_id, -1, NULL, NULL, NULL,
                             run->cancellable, recovered_cb, run);
}

static gboolean
start_cb (gpointer user_data)
{
  Run *run = user_data;

  if (run->resume_id != NULL)
    {
      easel_cli_progress_stage (run->progress, "connecting");
      easel_client_resume_async (run->client, run->resume_id, -1, on_event, run, NULL,
                                 run->cancellable, resumed_cb, run);
      return G_SOURCE_REMOVE;
    }

  if (run->api == EASEL_API_RESPONSES && !run->options->no_library)
    {
      run->recover = easel_cli_library_list_pending (run->base_url, MAX_RECOVER_AT_START);
      if (run->recover->len > 0)
        easel_cli_progress_print (run->progress,
                                  "easel: %u earlier %s still in progress when easel stopped; fetching %s first",
                                  run->recover->len, run->recover->len == 1 ? "turn was" : "turns were",
                                  run->recover->len == 1 ? "it" : "them");
    }
  recover_next (run);
  return G_SOURCE_REMOVE;
}

static void
continue_start (Run *run)
{
  g_autoptr(EaselResult) cached = NULL;

  if (!run->options->force && !run->options->no_library)
    cached = easel_cli_library_lookup_cached (run->request, run->base_url, &run->generations);

  if (cached != NULL)
    {
      easel_cli_progress_print (run->progress,
                                "easel: answered from the library (no charge); use --force to pay again");
      run->cached = TRUE;
      run->result = g_steal_pointer (&cached);
      start_writing (run);
      return;
    }

  /* Only a request that will be paid for is checked: a cached answer is free. */
  if (!run->options->over_budget && !budget_allows (run))
    return;

  if (run->moderation_check && run->request->prompt != NULL && *run->request->prompt != '\0')
    {
      easel_cli_progress_stage (run->progress, "checking the prompt");
      easel_client_moderate_async (run->client, run->request->prompt, run->cancellable,
                                   moderated_cb, run);
      return;
    }

  send_paid_request (run);
}

/* ---- building the request ------------------------------------------------ */

static char *
read_stdin_prompt (GError **error)
{
  g_autoptr(GInputStream) in = g_unix_input_stream_new (STDIN_FILENO, FALSE);
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autofree char *text = NULL;

  if (g_output_stream_splice (out, in, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, error) < 0)
    return NULL;

  /* NUL-terminate the buffer. */
  text = g_strndup (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (out)),
                    g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (out)));
  g_strstrip (text);
  return g_steal_pointer (&text);
}

static EaselInputImage *
input_image_from_arg (const char  *arg,
                      gsize        max_bytes,
                      GError     **error)
{
  g_autoptr(GFile) file = NULL;

  if (g_str_has_prefix (arg, "http://") || g_str_has_prefix (arg, "https://") ||
      g_str_has_prefix (arg, "data:"))
    return easel_input_image_new_url (arg);

  /* A local file may happen to be called file-…; the path wins. */
  if (g_str_has_prefix (arg, "file-") && !g_file_test (arg, G_FILE_TEST_EXISTS))
    return easel_input_image_new_file_id (arg);

  /* A FIFO, a device or a file over the model's limit is refused before
   * anything is read. */
  file = g_file_new_for_commandline_arg (arg);
  return easel_input_image_new_from_file_full (file, max_bytes, error);
}

/* The mask goes through the window's own check: a black-and-white mask is
 * converted to alpha (white = edit), one of another size is refused here,
 * before anything is sent. */
static gboolean
prepare_mask (EaselRequest          *request,
              const EaselModelInfo  *info,
              GError               **error)
{
  EaselInputImage *mask = request->mask;
  EaselInputImage *image;
  g_autoptr(GBytes) png = NULL;
  gboolean converted = FALSE;

  if (mask->kind != EASEL_INPUT_IMAGE_BYTES || request->images == NULL || request->images->len == 0)
    return TRUE;
  image = g_ptr_array_index (request->images, 0);
  if (image->kind != EASEL_INPUT_IMAGE_BYTES)
    return TRUE;   /* a URL or file id: the server checks it */

  png = easel_mask_prepare_for_edit (image->bytes, mask->bytes,
                                     info != NULL ? info->max_image_bytes : 0,
                                     info != NULL && info->edit_needs_square_png &&
                                     request->api == EASEL_API_IMAGES_EDIT,
                                     &converted, error);
  if (png == NULL)
    {
      g_prefix_error (error, "--mask: ");
      return FALSE;
    }

  if (converted)
    {
      fprintf (stderr, "easel: the mask has no alpha channel; converted it to one (white = edit)\n");
      g_bytes_unref (mask->bytes);
      mask->bytes = g_steal_pointer (&png);
      g_free (mask->mime_type);
      mask->mime_type = g_strdup ("image/png");
      if (mask->filename == NULL || !g_str_has_suffix (mask->filename, ".png"))
        {
          g_free (mask->filename);
          mask->filename = g_strdup ("mask.png");
        }
    }

  return TRUE;
}

static gboolean
fill_request (EaselRequest  *request,
              Options       *o,
              const char    *prompt,
              GError       **error)
{
  const EaselModelInfo *info;
  gsize max_bytes;

  request->model = g_strdup (o->model ? o->model : easel_model_default (request->api));
  request->prompt = g_strdup (prompt);
  request->n = o->n;
  request->size = g_strdup (o->size);
  request->quality = g_strdup (o->quality);
  request->background = g_strdup (o->background);
  request->output_format = g_strdup (o->output_format);
  request->output_compression = o->output_compression;
  request->moderation = g_strdup (o->moderation);
  request->response_format = g_strdup (o->response_format);
  request->style = g_strdup (o->style);
  request->user = g_strdup (o->user);
  request->input_fidelity = g_strdup (o->input_fidelity);
  request->partial_images = o->partial_images;
  request->action = g_strdup (o->action);
  request->responses_model = g_strdup (o->responses_model);
  request->instructions = g_strdup (o->instructions);
  request->let_model_decide = o->let_model_decide;
  request->previous_response_id = g_strdup (o->continue_id);
  request->service_tier = g_strdup (o->service_tier);

  if (o->stream && o->no_stream)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--stream and --no-stream contradict each other");
      return FALSE;
    }
  if (o->partial_images > 0 && o->no_stream)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--partial-images needs streaming; drop --no-stream");
      return FALSE;
    }

  info = easel_model_lookup (request->model);
  if (o->no_stream)
    request->stream = FALSE;
  else if (o->stream || o->partial_images > 0 || o->save_partials)
    request->stream = TRUE;
  else
    /* Streaming is what lets the progress line say something; use it
     * whenever the model can. */
    request->stream = request->api == EASEL_API_RESPONSES || (info != NULL && info->supports_stream);

  for (guint i = 0; o->refs != NULL && o->refs[i] != NULL; i++)
    {
      if (request->image_call_refs == NULL)
        request->image_call_refs = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (request->image_call_refs, g_strdup (o->refs[i]));
    }

  max_bytes = info != NULL && info->max_image_bytes > 0 ? info->max_image_bytes
                                                       : EASEL_LOCAL_FILE_MAX_IMAGE_BYTES;

  for (guint i = 0; o->images != NULL && o->images[i] != NULL; i++)
    {
      EaselInputImage *image = input_image_from_arg (o->images[i], max_bytes, error);

      if (image == NULL)
        return FALSE;
      easel_request_add_image (request, image);
    }

  if (o->mask != NULL)
    {
      EaselInputImage *mask = input_image_from_arg (o->mask, max_bytes, error);

      if (mask == NULL)
        return FALSE;
      easel_request_set_mask (request, mask);
      if (!prepare_mask (request, info, error))
        return FALSE;
    }

  return TRUE;
}

static char *
join_prompt (int    argc,
             char **argv,
             GError **error)
{
  if (argc < 2)
    return NULL;

  if (argc == 2 && g_strcmp0 (argv[1], "-") == 0)
    return read_stdin_prompt (error);

  /* `easel generate a red fox` works like `easel generate "a red fox"`. */
  return g_strjoinv (" ", argv + 1);
}

static guint
command_bit (EaselApi api)
{
  switch (api)
    {
    case EASEL_API_IMAGES_GENERATE:  return FOR_GENERATE;
    case EASEL_API_IMAGES_EDIT:      return FOR_EDIT;
    case EASEL_API_IMAGES_VARIATION: return FOR_VARIATIONS;
    case EASEL_API_RESPONSES:        return FOR_CHAT;
    default:                         return 0;
    }
}

static const char *
command_summary (EaselApi api)
{
  switch (api)
    {
    case EASEL_API_IMAGES_GENERATE:
      return "Generates images from a prompt (POST /images/generations).";
    case EASEL_API_IMAGES_EDIT:
      return "Edits one or more images, optionally through a mask (POST /images/edits).";
    case EASEL_API_IMAGES_VARIATION:
      return "Makes variations of one image (dall-e-2, POST /images/variations).";
    case EASEL_API_RESPONSES:
    default:
      return "Talks to a Responses model that can draw (the image_generation tool).\n"
             "Continue a conversation with --continue RESPONSE_ID; refer to an earlier\n"
             "image with --ref IG_ID.";
    }
}

int
easel_cli_request_main (EaselApi    api,
                        const char *command,
                        int         argc,
                        char      **argv)
{
  Options options = {
    .n = -1,
    .output_compression = -1,
    .partial_images = -1,
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(Run) run = NULL;
  g_autofree char *prompt = NULL;
  g_autofree char *base_url = NULL;
  g_autofree char *estimate_text = NULL;
  g_autoptr(GSettings) settings = NULL;
  EaselKeySource source = EASEL_KEY_SOURCE_NONE;
  int partials_expected;
  gboolean resume = g_str_equal (command, "resume");

  context = g_option_context_new (resume ? "RESPONSE_ID" : api == EASEL_API_IMAGES_VARIATION ? "" : "PROMPT|-");
  g_option_context_set_summary (context, resume
    ? "Fetches the image of a Responses turn sent in background mode, by its id\n"
      "(GET /responses/{id}): a turn that was still in progress when easel stopped\n"
      "or lost the network. Nothing is sent again, so nothing is paid twice."
    : command_summary (api));
  g_option_context_set_description (context,
    "The prompt may be given as one quoted argument, as several words, or as - to read stdin.\n"
    "The API key comes from OPENAI_API_KEY or the keyring (see `easel key`).\n"
    "Before a paid request the estimate is checked against the spending limits (`easel budget`):\n"
    "crossing the daily or monthly limit needs --over-budget, and one request above the\n"
    "confirmation threshold (default $1) needs --yes. A library answer is free and not checked.\n"
    "Exit status: 0 success, 1 API or network error, 2 usage, validation or budget refusal, 130 cancelled.");
  entries = build_entries (&options, resume ? FOR_RESUME : command_bit (api));
  g_option_context_add_main_entries (context, (GOptionEntry *) (gpointer) entries->data, NULL);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "easel %s: %s\nRun 'easel %s --help' for the options.\n",
               command, error->message, command);
      options_clear (&options);
      return EASEL_CLI_EXIT_USAGE;
    }

  run = g_new0 (Run, 1);
  run->options = &options;
  run->api = api;
  run->image_paths = g_ptr_array_new_with_free_func (g_free);
  run->written_paths = g_ptr_array_new_with_free_func (g_free);
  run->partial_paths = g_ptr_array_new_with_free_func (g_free);
  run->cancellable = g_cancellable_new ();
  easel_retry_policy_init_default (&run->policy);

  if (resume)
    {
      if (argc != 2)
        {
          fprintf (stderr, "easel resume: takes one response id, e.g. easel resume resp_123\n");
          options_clear (&options);
          return EASEL_CLI_EXIT_USAGE;
        }
      run->resume_id = g_strdup (argv[1]);
    }
  else if (api == EASEL_API_IMAGES_VARIATION)
    {
      if (argc > 1)
        {
          fprintf (stderr, "easel %s: takes no prompt, only --image\n", command);
          options_clear (&options);
          return EASEL_CLI_EXIT_USAGE;
        }
    }
  else
    {
      prompt = join_prompt (argc, argv, &error);
      if (error != NULL)
        {
          fprintf (stderr, "easel %s: cannot read the prompt: %s\n", command, error->message);
          options_clear (&options);
          return EASEL_CLI_EXIT_USAGE;
        }
      if (prompt == NULL || *prompt == '\0')
        {
          fprintf (stderr, "easel %s: a prompt is required, e.g. easel %s \"a red fox\"\n"
                           "Run 'easel %s --help' for the options.\n", command, command, command);
          options_clear (&options);
          return EASEL_CLI_EXIT_USAGE;
        }
    }

  /* The window's preferences are the defaults; "auto" is what the server
   * does without the field, so it is not sent. */
  settings = easel_config_dup_settings ();
  if (api == EASEL_API_RESPONSES && options.service_tier == NULL && settings != NULL)
    {
      g_autofree char *tier = g_settings_get_string (settings, "service-tier");

      if (g_strcmp0 (tier, "auto") != 0)
        options.service_tier = g_steal_pointer (&tier);
    }

  if (options.moderation_check && options.no_moderation_check)
    {
      fprintf (stderr, "easel %s: --moderation-check and --no-moderation-check contradict each other\n", command);
      options_clear (&options);
      return EASEL_CLI_EXIT_USAGE;
    }
  run->moderation_check = options.moderation_check ||
                          (!options.no_moderation_check && settings != NULL &&
                           g_settings_get_boolean (settings, "moderation-check"));

  easel_budget_limits_from_settings (&run->limits, settings);

  if (resume)
    {
      /* The library knows the turn's parameters if this machine sent it. */
      if (options.no_library || !(run->request = easel_cli_library_pending_request (run->resume_id)))
        run->request = easel_request_new (EASEL_API_RESPONSES);
      run->request->stream = TRUE;
    }
  else if ((run->request = easel_request_new (api)),
           !fill_request (run->request, &options, prompt, &error) ||
           !easel_request_validate (run->request, &error))
    {
      fprintf (stderr, "easel %s: %s\n", command, error->message);
      options_clear (&options);
      return EASEL_CLI_EXIT_USAGE;
    }

  /* Resuming pays for nothing new, whatever the model. */
  if (!resume && !options.allow_retired && !easel_request_check_retired (run->request, NULL, &error))
    {
      fprintf (stderr, "easel %s: %s\n"
                       "  (a compatible server that still serves it: add --allow-retired)\n",
               command, error->message);
      options_clear (&options);
      return EASEL_CLI_EXIT_USAGE;
    }

  run->output = easel_cli_output_new (options.output, &error);
  if (run->output == NULL)
    {
      fprintf (stderr, "easel %s: %s\n", command, error->message);
      options_clear (&options);
      return EASEL_CLI_EXIT_USAGE;
    }

  base_url = easel_config_resolve_base_url (options.base_url, NULL, &error);
  if (base_url == NULL)
    {
      fprintf (stderr, "easel %s: %s\n", command, error->message);
      options_clear (&options);
      return EASEL_CLI_EXIT_USAGE;
    }

  run->api_key = easel_config_get_api_key_sync (base_url, &source, &error);
  if (run->api_key == NULL || *run->api_key == '\0')
    {
      g_autofree char *who = g_strdup_printf ("easel %s", command);

      easel_cli_print_missing_key (who, error);
      options_clear (&options);
      return EASEL_CLI_EXIT_USAGE;
    }

  if (!resume)
    easel_cost_estimate (run->request, &run->estimate);
  if (run->estimate.usd > 0)
    {
      g_autofree char *usd = easel_cost_format_usd (run->estimate.usd);

      /* Not known exactly: quality or size "auto" is priced as medium 1024². */
      estimate_text = g_strdup_printf ("%s%s%s%s", run->estimate.known ? "" : "≈ ", usd,
                                       run->estimate.price_assumed ? " (assumed price)" : "",
                                       run->estimate.tier_price_unknown ? " at the default tier" : "");
    }
  if (!options.quiet && !resume)
    {
      if (estimate_text != NULL && run->estimate.output_tokens > 0)
        fprintf (stderr, "easel: estimated cost %s (%" G_GINT64_FORMAT " output tokens%s) with %s\n",
                 estimate_text, run->estimate.output_tokens,
                 run->estimate.known || run->estimate.tier_price_unknown
                   ? "" : "; the server picks quality and size",
                 run->request->model);
      else if (estimate_text != NULL)
        fprintf (stderr, "easel: estimated cost %s with %s\n", estimate_text, run->request->model);
      else
        fprintf (stderr, "easel: cost unknown in advance for %s\n",
                 run->request->model ? run->request->model : "the server's default model");
      if (run->estimate.tier_price_unknown)
        fprintf (stderr, "easel: the %s tier's price is unknown; the estimate is the default tier's\n",
                 run->request->service_tier);
      if (estimate_text != NULL && run->estimate.price_assumed)
        fprintf (stderr, "easel: %s: %s\n", run->request->model,
                 easel_cost_price_assumption (run->request->model));
    }

  partials_expected = MAX (options.partial_images, 0);
  if (run->request->n > 1)
    partials_expected *= run->request->n;
  run->progress = easel_cli_progress_new (options.quiet, partials_expected, estimate_text);

  run->base_url = g_strdup (base_url);
  run->client = easel_client_new (base_url, run->api_key);
  easel_client_set_allow_retired (run->client, options.allow_retired);
  if (options.organization != NULL)
    easel_client_set_organization (run->client, options.organization);
  if (options.debug_http)
    {
      const char *current = g_getenv ("G_MESSAGES_DEBUG");
      g_autofree char *domains = NULL;

      /* Only the client's HTTP log, not every library's debug chatter. */
      domains = current && *current ? g_strconcat (current, " easel-client", NULL) : g_strdup ("easel-client");
      g_setenv ("G_MESSAGES_DEBUG", domains, TRUE);
      easel_client_set_debug (run->client, TRUE);
    }
  g_signal_connect (run->client, "retrying", G_CALLBACK (on_retrying), run);
  g_signal_connect (run->client, "reconnecting", G_CALLBACK (on_reconnecting), run);
  g_signal_connect (run->client, "background-refused", G_CALLBACK (on_background_refused), run);

  run->send_request = easel_request_copy (run->request);
  run->loop = g_main_loop_new (NULL, FALSE);
  run->sigint_id = g_unix_signal_add (SIGINT, on_sigint, run);

  g_idle_add (start_cb, run);
  g_main_loop_run (run->loop);

  /* The signal handler must not outlive the run. */
  g_signal_handlers_disconnect_by_data (run->client, run);
  options_clear (&options);

  return run->exit_code;
}
