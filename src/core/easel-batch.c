/* easel-batch.c: image generations through the Batch API
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-batch"

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "easel-batch.h"
#include "easel-cost.h"
#include "easel-error.h"
#include "easel-json.h"
#include "easel-models.h"
#include "easel-text.h"

/* A hostile output file cannot make us loop over more lines than a job may have. */
#define MAX_OUTPUT_LINES (EASEL_BATCH_MAX_LINES * 2)

void
easel_batch_entry_free (EaselBatchEntry *self)
{
  if (self == NULL)
    return;
  g_free (self->custom_id);
  g_clear_pointer (&self->request, easel_request_free);
  g_free (self);
}

/* ------------------------------------------------------------------------ */
/* Reading the user's input */

static gboolean
member_string (JsonObject  *object,
               const char  *name,
               char       **field,
               GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "“%s” must be a string", name);
      return FALSE;
    }
  g_free (*field);
  *field = g_strdup (json_node_get_string (node));
  return TRUE;
}

static gboolean
member_int (JsonObject  *object,
            const char  *name,
            int         *field,
            GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);
  gint64 value;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
      (value = json_node_get_int (node)) < 0 || value > G_MAXINT)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "“%s” must be a whole number", name);
      return FALSE;
    }
  *field = (int) value;
  return TRUE;
}

EaselRequest *
easel_batch_request_from_json (JsonObject          *object,
                               const EaselRequest  *defaults,
                               GError             **error)
{
  static const char * const known[] = {
    "prompt", "model", "n", "size", "quality", "background", "output_format",
    "output_compression", "moderation", "user", "style", NULL,
  };
  g_autoptr(EaselRequest) request = NULL;
  g_autoptr(GList) members = NULL;

  g_return_val_if_fail (object != NULL, NULL);

  for (GList *l = (members = json_object_get_members (object)); l != NULL; l = l->next)
    if (!g_strv_contains (known, l->data))
      {
        g_autofree char *name = easel_text_escape_untrusted (l->data, 64);

        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                     "unknown field “%s” (known: prompt, model, n, size, quality, background, "
                     "output_format, output_compression, moderation, user, style)", name);
        return NULL;
      }

  if (defaults != NULL)
    {
      request = easel_request_copy (defaults);
      g_clear_pointer (&request->prompt, g_free);
    }
  else
    request = easel_request_new (EASEL_API_IMAGES_GENERATE);

  if (!member_string (object, "prompt", &request->prompt, error) ||
      !member_string (object, "model", &request->model, error) ||
      !member_int (object, "n", &request->n, error) ||
      !member_string (object, "size", &request->size, error) ||
      !member_string (object, "quality", &request->quality, error) ||
      !member_string (object, "background", &request->background, error) ||
      !member_string (object, "output_format", &request->output_format, error) ||
      !member_int (object, "output_compression", &request->output_compression, error) ||
      !member_string (object, "moderation", &request->moderation, error) ||
      !member_string (object, "user", &request->user, error) ||
      !member_string (object, "style", &request->style, error))
    return NULL;

  if (request->prompt == NULL || request->prompt[0] == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "“prompt” is required");
      return NULL;
    }

  return g_steal_pointer (&request);
}

static gboolean batch_line_finish (EaselRequest *request, GError **error);

static EaselRequest *
request_for_line (const char          *line,
                  const EaselRequest  *defaults,
                  GError             **error)
{
  g_autoptr(EaselRequest) request = NULL;

  if (line[0] == '{')
    {
      g_autoptr(JsonNode) root = easel_json_parse (line, -1, error);

      if (root == NULL)
        return NULL;
      if (!JSON_NODE_HOLDS_OBJECT (root))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not a JSON object");
          return NULL;
        }
      request = easel_batch_request_from_json (json_node_get_object (root), defaults, error);
      if (request == NULL)
        return NULL;
    }
  else
    {
      request = defaults ? easel_request_copy (defaults) : easel_request_new (EASEL_API_IMAGES_GENERATE);
      g_free (request->prompt);
      request->prompt = g_strdup (line);
    }

  if (!batch_line_finish (request, error))
    return NULL;
  return g_steal_pointer (&request);
}

/* What every batch line is: a whole answer to a generation (no stream, no
 * partials, images inline), validated as `generate` validates. */
static gboolean
batch_line_finish (EaselRequest  *request,
                   GError       **error)
{
  /* A batch line is answered as a whole: no stream, no partials. */
  request->api = EASEL_API_IMAGES_GENERATE;
  request->stream = FALSE;
  request->partial_images = -1;
  if (request->model == NULL)
    request->model = g_strdup (easel_model_default (EASEL_API_IMAGES_GENERATE));

  if (request->response_format != NULL && g_strcmp0 (request->response_format, "b64_json") != 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "a batch returns images inline: response_format must be b64_json");
      return FALSE;
    }

  return easel_request_validate (request, error);
}

GPtrArray *
easel_batch_entries_from_requests (const EaselRequest * const *requests,
                                   guint                       n_requests,
                                   GError                    **error)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) easel_batch_entry_free);

  g_return_val_if_fail (requests != NULL || n_requests == 0, NULL);

  if (n_requests == 0 || n_requests > EASEL_BATCH_MAX_LINES)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "a batch holds 1 to %u requests", EASEL_BATCH_MAX_LINES);
      return NULL;
    }
  for (guint i = 0; i < n_requests; i++)
    {
      g_autoptr(EaselRequest) request = easel_request_copy (requests[i]);
      g_autoptr(GError) local_error = NULL;
      EaselBatchEntry *entry;

      /* Batch edits need uploaded files; only generations go in a batch. */
      if ((request->images != NULL && request->images->len > 0) || request->mask != NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       "request %u: edits with input images cannot go in a batch yet", i + 1);
          return NULL;
        }
      if (!batch_line_finish (request, &local_error))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "request %u: %s", i + 1, local_error->message);
          return NULL;
        }
      entry = g_new0 (EaselBatchEntry, 1);
      entry->line_no = i + 1;
      entry->custom_id = g_strdup_printf ("line-%u", i + 1);
      entry->request = g_steal_pointer (&request);
      g_ptr_array_add (entries, entry);
    }
  return g_steal_pointer (&entries);
}

GPtrArray *
easel_batch_parse_input (const char          *text,
                         gsize                length,
                         const EaselRequest  *defaults,
                         GError             **error)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) easel_batch_entry_free);
  const char *p = text;
  const char *end = text + length;
  guint line_no = 0;

  g_return_val_if_fail (text != NULL || length == 0, NULL);

  /* Also refuses NUL bytes, which would cut a prompt short. */
  if (!g_utf8_validate_len (text, length, NULL))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "the input is not UTF-8 text (or holds NUL bytes)");
      return NULL;
    }

  while (p < end)
    {
      const char *nl = memchr (p, '\n', end - p);
      const char *line_end = nl ? nl : end;
      g_autofree char *line = NULL;
      g_autoptr(GError) local_error = NULL;
      EaselBatchEntry *entry;
      EaselRequest *request;

      line_no++;
      if ((gsize) (line_end - p) > EASEL_BATCH_MAX_LINE_BYTES)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "line %u: longer than %u bytes", line_no, EASEL_BATCH_MAX_LINE_BYTES);
          return NULL;
        }
      line = g_strndup (p, line_end - p);
      p = nl ? nl + 1 : end;
      g_strstrip (line);
      if (line[0] == '\0')
        continue;

      if (entries->len >= EASEL_BATCH_MAX_LINES)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "line %u: a batch holds at most %u requests", line_no, EASEL_BATCH_MAX_LINES);
          return NULL;
        }

      request = request_for_line (line, defaults, &local_error);
      if (request == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "line %u: %s", line_no, local_error->message);
          return NULL;
        }

      entry = g_new0 (EaselBatchEntry, 1);
      entry->line_no = line_no;
      entry->custom_id = g_strdup_printf ("line-%u", line_no);
      entry->request = request;
      g_ptr_array_add (entries, entry);
    }

  if (entries->len == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the input holds no prompt");
      return NULL;
    }

  return g_steal_pointer (&entries);
}

GBytes *
easel_batch_build_jsonl (GPtrArray  *entries,
                         GError    **error)
{
  GString *out;

  g_return_val_if_fail (entries != NULL, NULL);

  out = g_string_new (NULL);
  for (guint i = 0; i < entries->len; i++)
    {
      EaselBatchEntry *entry = entries->pdata[i];
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) body = easel_request_to_json (entry->request, error);
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *json = NULL;

      if (body == NULL)
        {
          g_string_free (out, TRUE);
          return NULL;
        }
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "custom_id");
      json_builder_add_string_value (builder, entry->custom_id);
      json_builder_set_member_name (builder, "method");
      json_builder_add_string_value (builder, "POST");
      json_builder_set_member_name (builder, "url");
      json_builder_add_string_value (builder, EASEL_BATCH_ENDPOINT);
      json_builder_set_member_name (builder, "body");
      json_builder_add_value (builder, g_steal_pointer (&body));
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      json = json_to_string (root, FALSE);
      g_string_append (out, json);
      g_string_append_c (out, '\n');
    }

  return g_string_free_to_bytes (out);
}

void
easel_batch_estimate (GPtrArray *entries,
                      double    *batch_usd,
                      double    *full_usd,
                      gboolean  *known)
{
  double full = 0;
  gboolean all_known = TRUE;

  g_return_if_fail (entries != NULL);

  for (guint i = 0; i < entries->len; i++)
    {
      EaselBatchEntry *entry = entries->pdata[i];
      EaselCostEstimate est = { 0 };

      easel_cost_estimate (entry->request, &est);
      if (!est.known)
        all_known = FALSE;
      if (est.usd > 0)
        full += est.usd;
    }

  if (full_usd != NULL)
    *full_usd = full;
  if (batch_usd != NULL)
    *batch_usd = full * EASEL_BATCH_DISCOUNT;
  if (known != NULL)
    *known = all_known;
}

/* ------------------------------------------------------------------------ */
/* The Batch object */

void
easel_batch_info_free (EaselBatchInfo *self)
{
  if (self == NULL)
    return;
  g_free (self->id);
  g_free (self->status);
  g_free (self->input_file_id);
  g_free (self->output_file_id);
  g_free (self->error_file_id);
  g_free (self->error_message);
  g_free (self);
}

static const char *
object_string (JsonObject *object,
               const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return json_node_get_string (node);
  return NULL;
}

static gint64
object_count (JsonObject *object,
              const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64)
    return CLAMP (json_node_get_int (node), 0, G_MAXINT32);
  return 0;
}

static char *
safe_file_id (JsonObject *object,
              const char *name)
{
  const char *id = object_string (object, name);

  return easel_client_is_safe_id (id) ? g_strdup (id) : NULL;
}

gboolean
easel_batch_status_is_terminal (const char *status)
{
  return g_strcmp0 (status, "completed") == 0 || g_strcmp0 (status, "failed") == 0 ||
         g_strcmp0 (status, "expired") == 0 || g_strcmp0 (status, "cancelled") == 0;
}

EaselBatchInfo *
easel_batch_info_new_from_json (JsonNode  *node,
                                GError   **error)
{
  static const char * const statuses[] = {
    "validating", "failed", "in_progress", "finalizing", "completed", "expired",
    "cancelling", "cancelled", NULL,
  };
  g_autoptr(EaselBatchInfo) info = NULL;
  JsonObject *object;
  JsonObject *counts;
  JsonNode *member;
  const char *status;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    goto bad;
  object = json_node_get_object (node);
  status = object_string (object, "status");
  if (!easel_client_is_safe_id (object_string (object, "id")) ||
      status == NULL || !g_strv_contains (statuses, status))
    goto bad;

  info = g_new0 (EaselBatchInfo, 1);
  info->id = g_strdup (object_string (object, "id"));
  info->status = g_strdup (status);
  info->input_file_id = safe_file_id (object, "input_file_id");
  info->output_file_id = safe_file_id (object, "output_file_id");
  info->error_file_id = safe_file_id (object, "error_file_id");
  info->created_at = object_count (object, "created_at");

  member = json_object_get_member (object, "request_counts");
  counts = member && JSON_NODE_HOLDS_OBJECT (member) ? json_node_get_object (member) : NULL;
  info->n_total = MIN (object_count (counts, "total"), EASEL_BATCH_MAX_LINES);
  info->n_completed = MIN (object_count (counts, "completed"), info->n_total);
  info->n_failed = MIN (object_count (counts, "failed"), info->n_total);

  member = json_object_get_member (object, "errors");
  if (member != NULL && JSON_NODE_HOLDS_OBJECT (member))
    {
      JsonNode *data = json_object_get_member (json_node_get_object (member), "data");

      if (data != NULL && JSON_NODE_HOLDS_ARRAY (data) && json_array_get_length (json_node_get_array (data)) > 0)
        {
          JsonNode *first = json_array_get_element (json_node_get_array (data), 0);
          const char *message = JSON_NODE_HOLDS_OBJECT (first)
            ? object_string (json_node_get_object (first), "message") : NULL;

          if (message != NULL)
            {
              g_autofree char *cut = g_utf8_substring (message, 0, MIN (g_utf8_strlen (message, 4096), 1024));
              info->error_message = easel_redact (cut, NULL);
            }
        }
    }

  return g_steal_pointer (&info);

bad:
  g_set_error_literal (error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE,
                       "The server did not return a valid batch");
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* Submit, retrieve, cancel */

static void
batch_json_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = easel_client_call_json_finish (EASEL_CLIENT (source), result, &error);
  EaselBatchInfo *info;

  if (node == NULL || !(info = easel_batch_info_new_from_json (node, &error)))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, info, (GDestroyNotify) easel_batch_info_free);
}

static JsonNode *
create_body (const char *file_id)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "input_file_id");
  json_builder_add_string_value (builder, file_id);
  json_builder_set_member_name (builder, "endpoint");
  json_builder_add_string_value (builder, EASEL_BATCH_ENDPOINT);
  json_builder_set_member_name (builder, "completion_window");
  json_builder_add_string_value (builder, "24h");
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
upload_only_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *file_id = easel_client_upload_file_finish (EASEL_CLIENT (source), result, &error);

  if (file_id == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else if (!easel_client_is_safe_id (file_id))
    g_task_return_new_error (task, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE,
                             "The server returned an invalid file id");
  else
    g_task_return_pointer (task, g_steal_pointer (&file_id), g_free);
}

void
easel_batch_upload_async (EaselClient         *client,
                          GBytes              *jsonl,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (EASEL_IS_CLIENT (client));
  g_return_if_fail (jsonl != NULL);

  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_batch_upload_async);
  easel_client_upload_file_async (client, jsonl, "easel-batch.jsonl", "application/jsonl", "batch",
                                  cancellable, upload_only_cb, g_steal_pointer (&task));
}

char *
easel_batch_upload_finish (EaselClient   *client,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
easel_batch_create_async (EaselClient         *client,
                          const char          *input_file_id,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonNode) body = NULL;

  g_return_if_fail (EASEL_IS_CLIENT (client));

  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_batch_create_async);
  if (!easel_client_is_safe_id (input_file_id))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "Not a file id");
      return;
    }
  body = create_body (input_file_id);
  easel_client_call_json_async (client, "POST", "/batches", body, EASEL_CALL_NOT_IDEMPOTENT, cancellable,
                                batch_json_cb, g_steal_pointer (&task));
}

EaselBatchInfo *
easel_batch_create_finish (EaselClient   *client,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
uploaded_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *file_id = easel_batch_upload_finish (EASEL_CLIENT (source), result, &error);
  g_autoptr(JsonNode) body = NULL;

  if (file_id == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  body = create_body (file_id);
  easel_client_call_json_async (EASEL_CLIENT (source), "POST", "/batches", body, EASEL_CALL_NOT_IDEMPOTENT,
                                g_task_get_cancellable (task), batch_json_cb,
                                g_object_ref (task));
}

void
easel_batch_submit_async (EaselClient         *client,
                          GBytes              *jsonl,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (EASEL_IS_CLIENT (client));
  g_return_if_fail (jsonl != NULL);

  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_batch_submit_async);
  easel_batch_upload_async (client, jsonl, cancellable, uploaded_cb, g_steal_pointer (&task));
}

EaselBatchInfo *
easel_batch_submit_finish (EaselClient   *client,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
listed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = easel_client_call_json_finish (EASEL_CLIENT (source), result, &error);
  g_autoptr(GPtrArray) infos = g_ptr_array_new_with_free_func ((GDestroyNotify) easel_batch_info_free);
  JsonNode *data;

  if (node == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  data = json_object_get_member (json_node_get_object (node), "data");
  if (data == NULL || !JSON_NODE_HOLDS_ARRAY (data))
    {
      g_task_return_new_error (task, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE,
                               "The server did not return a list of batches");
      return;
    }
  /* Bounded: we asked for 100. Entries that are not batches are left out. */
  for (guint i = 0; i < MIN (json_array_get_length (json_node_get_array (data)), 100); i++)
    {
      EaselBatchInfo *info = easel_batch_info_new_from_json (json_array_get_element (json_node_get_array (data), i),
                                                             NULL);
      if (info != NULL)
        g_ptr_array_add (infos, info);
    }
  g_task_return_pointer (task, g_steal_pointer (&infos), (GDestroyNotify) g_ptr_array_unref);
}

void
easel_batch_list_async (EaselClient         *client,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (EASEL_IS_CLIENT (client));

  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_batch_list_async);
  easel_client_call_json_async (client, "GET", "/batches?limit=100", NULL, EASEL_CALL_DEFAULT, cancellable,
                                listed_cb, g_steal_pointer (&task));
}

GPtrArray *
easel_batch_list_finish (EaselClient   *client,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
batch_call (EaselClient         *client,
            const char          *method,
            const char          *batch_id,
            const char          *suffix,
            gpointer             source_tag,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (client, cancellable, callback, user_data);
  g_autofree char *path = NULL;

  g_task_set_source_tag (task, source_tag);
  if (!easel_client_is_safe_id (batch_id))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "“%s” is not a batch id", batch_id ? batch_id : "");
      return;
    }
  path = g_strdup_printf ("/batches/%s%s", batch_id, suffix);
  easel_client_call_json_async (client, method, path, NULL, EASEL_CALL_DEFAULT, cancellable,
                                batch_json_cb, g_steal_pointer (&task));
}

void
easel_batch_retrieve_async (EaselClient         *client,
                            const char          *batch_id,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (EASEL_IS_CLIENT (client));
  batch_call (client, "GET", batch_id, "", easel_batch_retrieve_async,
              cancellable, callback, user_data);
}

EaselBatchInfo *
easel_batch_retrieve_finish (EaselClient   *client,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
easel_batch_cancel_async (EaselClient         *client,
                          const char          *batch_id,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_return_if_fail (EASEL_IS_CLIENT (client));
  batch_call (client, "POST", batch_id, "/cancel", easel_batch_cancel_async,
              cancellable, callback, user_data);
}

EaselBatchInfo *
easel_batch_cancel_finish (EaselClient   *client,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------------ */
/* Fetch: every store step is a job of the library's worker, in order with
 * its other writes; only the downloads run on the caller's context. */

#define NEED_DOWNLOAD GINT_TO_POINTER (2)
#define DONE GINT_TO_POINTER (1)

typedef struct
{
  EaselLibrary         *library;
  GCancellable         *cancellable;
  EaselBatchJob        *job;
  char                 *batch_id;
  char                 *dir;         /* the library's, for the kept files */
  guint                 step;        /* 0: output file, 1: error file, 2: done */
  EaselBatchFetchStats  stats;
} FetchData;

static void
fetch_data_free (FetchData *d)
{
  g_clear_object (&d->library);
  g_clear_object (&d->cancellable);
  g_clear_pointer (&d->job, easel_batch_job_free);
  g_free (d->batch_id);
  g_free (d->dir);
  g_free (d);
}

static void fetch_next (GTask *task);

static const char *
current_file_id (FetchData *d)
{
  return d->step == 0 ? d->job->output_file_id : d->job->error_file_id;
}

static char *
cache_path (FetchData  *d,
            const char *file_id)
{
  g_autofree char *name = g_strdup_printf ("%s.jsonl", file_id);

  return g_build_filename (d->dir, "batches", name, NULL);
}

/* One line of an output or error file: {"custom_id", "response":
 * {"status_code", "body"}, "error"}. */
static gboolean
import_line (FetchData  *d,
             EaselStore *store,
             const char *line,
             gsize       len,
             gboolean    last)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(EaselResult) result = NULL;
  g_autoptr(GError) line_error = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *object, *response = NULL;
  JsonNode *member;
  const char *custom_id;
  gint64 status = 0;
  int recorded;

  root = easel_json_parse (line, len, NULL);
  /* The last line of the file, unterminated and not JSON: the download
   * was cut short (a chunked body whose connection drops reads as a clean
   * end in libsoup). Not a bad line: the caller downloads again. */
  if (root == NULL && last)
    return FALSE;
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      d->stats.n_bad++;
      return TRUE;
    }
  object = json_node_get_object (root);
  custom_id = object_string (object, "custom_id");
  if (custom_id == NULL || strlen (custom_id) > 64)
    {
      d->stats.n_bad++;
      return TRUE;
    }

  member = json_object_get_member (object, "response");
  if (member != NULL && JSON_NODE_HOLDS_OBJECT (member))
    {
      response = json_node_get_object (member);
      status = object_count (response, "status_code");
    }

  if (response != NULL && status >= 200 && status < 300)
    {
      JsonNode *body = json_object_get_member (response, "body");

      result = body ? easel_result_new_from_json (EASEL_API_IMAGES_GENERATE, body, &line_error) : NULL;
      if (result == NULL && line_error == NULL)
        line_error = easel_api_error_new_literal (EASEL_API_ERROR_BAD_RESPONSE,
                                                  "The server's answer for this line could not be read");
      /* A line asks for at most 10 images; more is not an answer to it. */
      if (result != NULL && result->images->len > 10)
        {
          g_clear_pointer (&result, easel_result_free);
          line_error = easel_api_error_new_literal (EASEL_API_ERROR_BAD_RESPONSE,
                                                    "The server answered this line with too many images");
        }
    }
  else
    {
      JsonNode *body = response ? json_object_get_member (response, "body") : NULL;
      JsonNode *err = NULL;

      if (body != NULL && JSON_NODE_HOLDS_OBJECT (body))
        err = json_object_get_member (json_node_get_object (body), "error");
      if (err == NULL || !JSON_NODE_HOLDS_OBJECT (err))
        err = json_object_get_member (object, "error");
      if (err != NULL && JSON_NODE_HOLDS_OBJECT (err))
        line_error = easel_api_error_from_object (json_node_get_object (err), (guint) status,
                                                  EASEL_API_ERROR_FAILED);
      else
        line_error = g_error_new (EASEL_API_ERROR, EASEL_API_ERROR_FAILED,
                                  "The line failed (status %" G_GINT64_FORMAT ")", status);
    }

  recorded = easel_store_record_batch_line (store, d->job->id, custom_id,
                                            line_error ? NULL : result, line_error, &error);
  if (recorded < 0)
    {
      g_autofree char *safe = easel_text_escape_untrusted (custom_id, 64);
      g_warning ("Could not record line %s of %s: %s", safe, d->batch_id, error->message);
    }
  else if (recorded == 0)
    d->stats.n_skipped++;
  else if (line_error != NULL)
    d->stats.n_failed++;
  else
    d->stats.n_images += result->images->len;
  return TRUE;
}

/* One line of a result file holds a whole answer (up to 10 base64 images). */
#define MAX_OUTPUT_LINE_BYTES ((gsize) 512 * 1024 * 1024)

/* On the library's worker: reads the downloaded file line by line (never
 * whole: it may hold thousands of images) and records every line not
 * recorded yet. NEED_DOWNLOAD when the file is not here yet. */
static gpointer
import_func (EaselStore  *store,
             gpointer     data,
             GError     **error)
{
  FetchData *d = data;
  g_autofree char *path = cache_path (d, current_file_id (d));
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) in = NULL;
  g_autoptr(GByteArray) line = g_byte_array_new ();
  g_autofree guint8 *chunk = g_malloc (256 * 1024);
  g_autoptr(GError) local_error = NULL;
  gboolean too_long = FALSE;
  guint n = 0;

  if (!(in = g_file_read (file, NULL, &local_error)))
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        return NEED_DOWNLOAD;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  for (;;)
    {
      gssize got = g_input_stream_read (G_INPUT_STREAM (in), chunk, 256 * 1024, NULL, error);
      gsize pos = 0;

      if (got < 0)
        return NULL;
      if (got == 0 && line->len == 0)
        break;

      while (pos < (gsize) got || (got == 0 && line->len > 0))
        {
          const guint8 *nl = got > 0 ? memchr (chunk + pos, '\n', got - pos) : NULL;
          gsize take = nl ? (gsize) (nl - (chunk + pos)) : (gsize) got - pos;

          if (!too_long)
            {
              if (line->len + take > MAX_OUTPUT_LINE_BYTES)
                too_long = TRUE;
              else
                g_byte_array_append (line, chunk + pos, take);
            }
          pos += take;

          if (nl == NULL && got > 0)
            break;   /* the line goes on in the next chunk */
          if (nl != NULL)
            pos++;

          /* Stopping between lines is safe: each line is one transaction. */
          if (g_cancellable_set_error_if_cancelled (d->cancellable, error))
            return NULL;
          if (++n > MAX_OUTPUT_LINES)
            {
              d->stats.n_bad++;
              return DONE;
            }
          if (too_long)
            d->stats.n_bad++;
          else if (line->len > 0 &&
                   !import_line (d, store, (const char *) line->data, line->len, nl == NULL))
            {
              /* Lines before it are recorded (once); the rest come from a
               * new download the next time. */
              g_object_unref (g_steal_pointer (&in));
              g_unlink (path);
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
                           "The downloaded file %s ends in the middle of a line: the download was "
                           "cut short. Fetch again to download it again", current_file_id (d));
              return NULL;
            }
          g_byte_array_set_size (line, 0);
          too_long = FALSE;
          if (got == 0)
            break;
        }
      if (got == 0)
        break;
    }

  return DONE;
}

static void
downloaded_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data);

static void
imported_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FetchData *d = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gpointer ret = easel_library_run_finish (EASEL_LIBRARY (source), result, &error);

  if (ret == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else if (ret == NEED_DOWNLOAD)
    {
      EaselClient *client = g_task_get_source_object (task);
      GCancellable *cancellable = g_task_get_cancellable (task);
      g_autofree char *path = cache_path (d, current_file_id (d));
      g_autofree char *dir = g_path_get_dirname (path);
      g_autoptr(GFile) dest = g_file_new_for_path (path);

      /* Kept once complete: an import stopped half way resumes from the
       * file, without downloading it again. */
      if (g_mkdir_with_parents (dir, 0700) != 0)
        {
          int err = errno;
          g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (err),
                                   "Cannot create %s: %s", dir, g_strerror (err));
          return;
        }
      easel_client_download_file_to_async (client, current_file_id (d), dest, cancellable,
                                           downloaded_cb, g_steal_pointer (&task));
    }
  else
    {
      d->step++;
      fetch_next (g_steal_pointer (&task));
    }
}

static void
run_import (GTask *task)
{
  FetchData *d = g_task_get_task_data (task);

  easel_library_run_async (d->library, import_func, d, NULL, NULL, d->cancellable,
                           imported_cb, task);
}

static void
downloaded_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!easel_client_download_file_to_finish (EASEL_CLIENT (source), result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  run_import (g_steal_pointer (&task));
}

/* Every line is in: the kept files are not needed any more. */
static gpointer
finish_func (EaselStore  *store,
             gpointer     data,
             GError     **error)
{
  FetchData *d = data;
  g_auto(GStrv) pending = NULL;

  /* A finished job that gave no result for a line will not give one:
   * the library says so instead of waiting for it. */
  if (!(pending = easel_store_list_pending_batch_lines (store, d->job->id, error)))
    return NULL;
  for (guint i = 0; pending[i] != NULL; i++)
    {
      g_autoptr(GError) missing = easel_api_error_new_literal (EASEL_API_ERROR_BAD_RESPONSE,
                                                              "The batch returned no result for this line");

      if (easel_store_record_batch_line (store, d->job->id, pending[i], NULL, missing, error) < 0)
        return NULL;
      d->stats.n_missing++;
    }

  for (guint i = 0; i < 2; i++)
    {
      const char *id = i == 0 ? d->job->output_file_id : d->job->error_file_id;

      if (id != NULL)
        {
          g_autofree char *kept = cache_path (d, id);
          g_unlink (kept);
        }
    }
  if (!easel_store_set_batch_fetched (store, d->job->id, error))
    return NULL;
  return DONE;
}

static void
finished_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FetchData *d = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (easel_library_run_finish (EASEL_LIBRARY (source), result, &error) == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, g_memdup2 (&d->stats, sizeof d->stats), g_free);
}

static void
fetch_next (GTask *task)
{
  FetchData *d = g_task_get_task_data (task);

  while (d->step < 2 && current_file_id (d) == NULL)
    d->step++;

  if (d->step >= 2)
    easel_library_run_async (d->library, finish_func, d, NULL, NULL, NULL, finished_cb, task);
  else
    run_import (task);
}

static gpointer
load_job_func (EaselStore  *store,
               gpointer     data,
               GError     **error)
{
  FetchData *d = data;

  g_free (d->dir);
  d->dir = g_strdup (easel_store_get_dir (store));
  return easel_store_get_batch (store, d->batch_id, error);
}

static void
job_loaded_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FetchData *d = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  d->job = easel_library_run_finish (EASEL_LIBRARY (source), result, &error);
  if (d->job == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!easel_batch_status_is_terminal (d->job->status))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "Batch %s is %s: nothing to fetch yet", d->batch_id, d->job->status);
      return;
    }
  /* Fetched before: nothing is downloaded again. */
  if (d->job->fetched)
    {
      d->stats.n_skipped = d->job->n_lines_ok + d->job->n_lines_failed;
      g_task_return_pointer (task, g_memdup2 (&d->stats, sizeof d->stats), g_free);
      return;
    }
  fetch_next (g_steal_pointer (&task));
}

void
easel_batch_fetch_async (EaselClient         *client,
                         EaselLibrary        *library,
                         const char          *batch_id,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  FetchData *d;

  g_return_if_fail (EASEL_IS_CLIENT (client));
  g_return_if_fail (EASEL_IS_LIBRARY (library));
  g_return_if_fail (batch_id != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_batch_fetch_async);
  d = g_new0 (FetchData, 1);
  d->library = g_object_ref (library);
  d->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  d->batch_id = g_strdup (batch_id);
  g_task_set_task_data (task, d, (GDestroyNotify) fetch_data_free);

  easel_library_run_async (library, load_job_func, d, NULL, (GDestroyNotify) easel_batch_job_free,
                           cancellable, job_loaded_cb, g_steal_pointer (&task));
}

EaselBatchFetchStats *
easel_batch_fetch_finish (EaselClient   *client,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
