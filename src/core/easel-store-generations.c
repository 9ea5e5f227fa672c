/* easel-store-generations.c: recording, reading, starring and deleting generations
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-store"

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "easel-cost.h"
#include "easel-error.h"
#include "easel-store-private.h"

/* ------------------------------------------------------------------------- */
/* Generations */

EaselGeneration *
_easel_store_generation_from_row (EaselStore *self, sqlite3_stmt *stmt)
{
  EaselGeneration *g = easel_generation_new ();
  g_autofree char *rel = NULL;
  g_autofree char *status = NULL;

  g->id = sqlite3_column_int64 (stmt, 0);
  g->sha256 = col_text (stmt, 1);
  rel = col_text (stmt, 2);
  if (rel != NULL)
    g->path = g_build_filename (self->dir, rel, NULL);
  g->model = col_text (stmt, 3);
  g->api = col_text (stmt, 4);
  g->params_json = col_text (stmt, 5);
  g->prompt = col_text (stmt, 6);
  g->revised_prompt = col_text (stmt, 7);
  g->action = col_text (stmt, 8);
  g->size = col_text (stmt, 9);
  g->format = col_text (stmt, 10);
  g->background = col_text (stmt, 11);
  g->quality = col_text (stmt, 12);
  g->usage_json = col_text (stmt, 13);
  g->input_tokens = sqlite3_column_int64 (stmt, 14);
  g->output_tokens = sqlite3_column_int64 (stmt, 15);
  g->estimated_usd = col_usd (stmt, 16);
  g->actual_usd = col_usd (stmt, 17);
  g->created = sqlite3_column_int64 (stmt, 18);
  g->parent_generation_id = sqlite3_column_int64 (stmt, 19);
  g->mask_sha256 = col_text (stmt, 20);
  g->conversation_id = sqlite3_column_int64 (stmt, 21);
  g->turn_id = sqlite3_column_int64 (stmt, 22);
  g->starred = sqlite3_column_int (stmt, 23) != 0;
  g->request_hash = col_text (stmt, 24);
  status = col_text (stmt, 25);
  if (!easel_generation_status_from_string (status, &g->status))
    g->status = EASEL_GENERATION_FAILED;
  g->error_type = col_text (stmt, 26);
  g->error_code = col_text (stmt, 27);
  g->error_message = col_text (stmt, 28);
  g->response_id = col_text (stmt, 29);
  g->image_call_id = col_text (stmt, 30);
  g->deleted_at = sqlite3_column_int64 (stmt, 31);
  g->picked = sqlite3_column_int (stmt, 32) != 0;
  return g;
}

/* Inside a transaction, mutex held; the image file is already durable. */
gboolean
_easel_store_insert_generation_row (EaselStore      *self,
                       EaselGeneration *g,
                       const char      *rel_path,
                       GError         **error)
{
  g_autoptr(EaselStmt) stmt = NULL;
  g_autofree char *error_type = easel_redact (g->error_type, NULL);
  g_autofree char *error_code = easel_redact (g->error_code, NULL);
  g_autofree char *error_message = easel_redact (g->error_message, NULL);
  int rc;

  stmt = _easel_store_prepare (self,
                  "INSERT INTO generations (sha256, path, model, api, params_json, prompt, revised_prompt, "
                  "action, size, format, background, quality, usage_json, input_tokens, output_tokens, "
                  "estimated_usd, actual_usd, created, parent_generation_id, mask_sha256, conversation_id, "
                  "turn_id, starred, request_hash, status, error_type, error_code, error_message, "
                  "response_id, image_call_id, deleted_at, picked) VALUES "
                  "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, "
                  "?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32)", error);
  if (stmt == NULL)
    return FALSE;

  if (g->created == 0)
    g->created = g_get_real_time () / G_USEC_PER_SEC;

  bind_text (stmt, 1, g->sha256);
  bind_text (stmt, 2, rel_path);
  bind_text (stmt, 3, g->model);
  bind_text (stmt, 4, g->api);
  bind_text (stmt, 5, g->params_json);
  bind_text (stmt, 6, g->prompt ? g->prompt : "");
  bind_text (stmt, 7, g->revised_prompt);
  bind_text (stmt, 8, g->action);
  bind_text (stmt, 9, g->size);
  bind_text (stmt, 10, g->format);
  bind_text (stmt, 11, g->background);
  bind_text (stmt, 12, g->quality);
  bind_text (stmt, 13, g->usage_json);
  sqlite3_bind_int64 (stmt, 14, g->input_tokens);
  sqlite3_bind_int64 (stmt, 15, g->output_tokens);
  bind_usd (stmt, 16, g->estimated_usd);
  bind_usd (stmt, 17, g->actual_usd);
  sqlite3_bind_int64 (stmt, 18, g->created);
  bind_id (stmt, 19, g->parent_generation_id);
  bind_text (stmt, 20, g->mask_sha256);
  bind_id (stmt, 21, g->conversation_id);
  bind_id (stmt, 22, g->turn_id);
  sqlite3_bind_int (stmt, 23, g->starred ? 1 : 0);
  bind_text (stmt, 24, g->request_hash);
  bind_text (stmt, 25, easel_generation_status_to_string (g->status));
  /* The server wrote these: a key it echoes is never stored. */
  bind_text (stmt, 26, error_type);
  bind_text (stmt, 27, error_code);
  bind_text (stmt, 28, error_message);
  bind_text (stmt, 29, g->response_id);
  bind_text (stmt, 30, g->image_call_id);
  sqlite3_bind_int64 (stmt, 31, g->deleted_at);
  sqlite3_bind_int (stmt, 32, g->picked ? 1 : 0);

  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    {
      _easel_store_set_sqlite_error (error, self->db, rc, "write to");
      return FALSE;
    }
  g->id = sqlite3_last_insert_rowid (self->db);
  return TRUE;
}

/* Inserts several generations whose files are already written, in one
 * transaction. @rel_paths parallels @gens (NULL entries: no file). */
static gboolean
insert_generations (EaselStore *self,
                    GPtrArray  *gens,
                    GPtrArray  *rel_paths,
                    GError    **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->mutex);

  if (!_easel_store_exec (self->db, "BEGIN IMMEDIATE", "write to", error))
    return FALSE;
  for (guint i = 0; i < gens->len; i++)
    if (!_easel_store_insert_generation_row (self, gens->pdata[i], rel_paths->pdata[i], error))
      {
        _easel_store_exec (self->db, "ROLLBACK", "write to", NULL);
        for (guint j = 0; j < gens->len; j++)
          ((EaselGeneration *) gens->pdata[j])->id = 0;
        return FALSE;
      }
  if (!_easel_store_exec (self->db, "COMMIT", "write to", error))
    {
      _easel_store_exec (self->db, "ROLLBACK", "write to", NULL);
      for (guint j = 0; j < gens->len; j++)
        ((EaselGeneration *) gens->pdata[j])->id = 0;
      return FALSE;
    }
  for (guint i = 0; i < gens->len; i++)
    {
      EaselGeneration *g = gens->pdata[i];

      if (rel_paths->pdata[i] != NULL)
        {
          g_free (g->path);
          g->path = g_build_filename (self->dir, rel_paths->pdata[i], NULL);
        }
    }
  _easel_store_queue_changed (self);
  return TRUE;
}

gint64
easel_store_insert_generation (EaselStore      *self,
                               EaselGeneration *generation,
                               GBytes          *image_bytes,
                               GError         **error)
{
  g_autoptr(GPtrArray) gens = g_ptr_array_new ();
  g_autoptr(GPtrArray) rels = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (EASEL_IS_STORE (self), 0);
  g_return_val_if_fail (EASEL_IS_GENERATION (generation), 0);
  g_return_val_if_fail (generation->id == 0, 0);

  if (!_easel_store_check_writable (self, error))
    return 0;

  if (image_bytes != NULL)
    {
      char *sha = NULL;
      char *rel = _easel_store_store_image_file (self, image_bytes, generation->format, &sha, error);

      if (rel == NULL)
        return 0;
      g_free (generation->sha256);
      generation->sha256 = sha;
      if (generation->format == NULL)
        generation->format = g_strdup (_easel_store_normalize_format (NULL, image_bytes));
      g_ptr_array_add (rels, rel);
    }
  else
    g_ptr_array_add (rels, NULL);

  g_ptr_array_add (gens, generation);
  if (!insert_generations (self, gens, rels, error))
    return 0;
  return generation->id;
}

static char *
usage_to_json (const EaselUsage *usage, const EaselUsage *response_usage)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
#define U(name) json_builder_set_member_name (b, #name); json_builder_add_int_value (b, usage->name);
  U (input_tokens) U (input_text_tokens) U (input_image_tokens)
  U (output_tokens) U (output_text_tokens) U (output_image_tokens) U (total_tokens)
#undef U
  if (response_usage != NULL && response_usage->present)
    {
      json_builder_set_member_name (b, "response");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "input_tokens");
      json_builder_add_int_value (b, response_usage->input_tokens);
      json_builder_set_member_name (b, "output_tokens");
      json_builder_add_int_value (b, response_usage->output_tokens);
      json_builder_set_member_name (b, "total_tokens");
      json_builder_add_int_value (b, response_usage->total_tokens);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static EaselGeneration *
generation_for_request (const EaselRequest       *request,
                        const EaselRecordOptions *options,
                        gint64                    created)
{
  EaselGeneration *g = easel_generation_new ();
  g_autoptr(JsonNode) params = easel_request_params_to_json (request);

  g->model = g_strdup (request->model ? request->model : request->responses_model);
  g->api = g_strdup (easel_api_to_string (request->api));
  g->params_json = params ? json_to_string (params, FALSE) : NULL;
  g->prompt = g_strdup (request->prompt);
  g->action = g_strdup (request->action);
  g->size = g_strdup (request->size);
  g->format = g_strdup (request->output_format);
  g->background = g_strdup (request->background);
  g->quality = g_strdup (request->quality);
  /* Bound to the server: another server's answer is never a cache hit. */
  g->request_hash = easel_request_cache_key (request, options ? options->base_url : NULL);
  g->created = created;
  if (options)
    {
      g->parent_generation_id = options->parent_generation_id;
      g->conversation_id = options->conversation_id;
      g->turn_id = options->turn_id;
    }
  return g;
}

static void
set_if (char **field, const char *value)
{
  if (value != NULL)
    {
      g_free (*field);
      *field = g_strdup (value);
    }
}

gboolean
_easel_store_record_prepare (EaselStore               *self,
                             const EaselRequest       *request,
                             const EaselResult        *result,
                             const GError             *request_error,
                             const EaselRecordOptions *options,
                             GPtrArray               **out_gens,
                             GPtrArray               **out_rel_paths,
                             GError                  **error)
{
  g_autoptr(GPtrArray) gens = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) rels = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *mask_sha = NULL;
  gint64 created = g_get_real_time () / G_USEC_PER_SEC;
  double estimated = -1;
  guint n_images = 0;
  gboolean incomplete = options != NULL && options->incomplete;

  g_assert (EASEL_IS_STORE (self));
  g_assert (request != NULL);
  g_assert (result != NULL || request_error != NULL);

  if (!_easel_store_check_writable (self, error))
    return FALSE;

  if (options != NULL && options->estimated_usd >= 0)
    estimated = options->estimated_usd;
  else
    {
      EaselCostEstimate est = { 0 };

      easel_cost_estimate (request, &est);
      if (est.known)
        estimated = est.usd;
    }

  if (request->mask != NULL && request->mask->kind == EASEL_INPUT_IMAGE_BYTES && request->mask->bytes)
    {
      g_autofree char *rel = _easel_store_store_image_file (self, request->mask->bytes, "png", &mask_sha, error);

      if (rel == NULL)
        return FALSE;
    }

  /* Input images are kept too, so the request can be sent again from the
   * library (Retry on a restored conversation). params_json names them by
   * sha256, which is also their file name. */
  for (guint i = 0; request->images != NULL && i < request->images->len; i++)
    {
      const EaselInputImage *input = request->images->pdata[i];
      g_autofree char *rel = NULL;

      if (input->kind != EASEL_INPUT_IMAGE_BYTES || input->bytes == NULL)
        continue;
      rel = _easel_store_store_image_file (self, input->bytes, NULL, NULL, error);
      if (rel == NULL)
        return FALSE;
    }

  /* Only images with bytes become rows: a row is never "ok" without its
   * image file. */
  if (result != NULL)
    for (guint i = 0; result->images && i < result->images->len; i++)
      if (((EaselImage *) result->images->pdata[i])->bytes != NULL)
        n_images++;

  /* A broken stream with a partial image records that image; otherwise the
   * error, if any, is what happened. */
  if (incomplete && n_images == 0)
    incomplete = FALSE;

  if (n_images == 0 || (request_error != NULL && !incomplete))
    {
      EaselGeneration *g = generation_for_request (request, options, created);

      g->estimated_usd = estimated;
      g->mask_sha256 = g_strdup (mask_sha);
      if (request_error == NULL)
        {
          /* A text-only answer: billed, but no image. An honest failure. */
          g->status = EASEL_GENERATION_FAILED;
          g->error_code = g_strdup ("no_image");
          g->error_message = g_strdup ("The server answered without an image");
        }
      else if (g_error_matches (request_error, EASEL_API_ERROR, EASEL_API_ERROR_MODERATION))
        g->status = EASEL_GENERATION_MODERATED;
      else if (g_error_matches (request_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g->status = EASEL_GENERATION_CANCELLED;
      else
        g->status = EASEL_GENERATION_FAILED;

      if (request_error != NULL)
        {
          if (request_error->domain == EASEL_API_ERROR)
            {
              g->error_type = easel_redact (easel_api_error_get_error_type (request_error), NULL);
              g->error_code = easel_redact (easel_api_error_get_error_code (request_error), NULL);
            }
          g->error_message = easel_redact (request_error->message, NULL);
        }
      if (result != NULL)
        {
          g->response_id = g_strdup (result->response_id);
          if (result->usage.present)
            {
              g->usage_json = usage_to_json (&result->usage, &result->response_usage);
              g->input_tokens = result->usage.input_tokens;
              g->output_tokens = result->usage.output_tokens;
              g->actual_usd = easel_cost_usd_for_usage (g->model, request->quality, request->size,
                                                        &result->usage, 0);
            }
        }
      g_ptr_array_add (gens, g);
      g_ptr_array_add (rels, NULL);
    }
  else
    {
      double actual = -1;
      g_autofree char *usage_json = NULL;
      guint picked = 0, i = 0;

      if (options != NULL && options->picked_index > 0 && (guint) options->picked_index < n_images)
        picked = options->picked_index;

      if (result->usage.present)
        {
          /* An incomplete answer's usage is kept, but its actual cost is
           * unknown: the server may have billed the whole image. */
          if (!incomplete)
            actual = easel_cost_usd_for_usage (request->model, request->quality, request->size,
                                               &result->usage, n_images);
          usage_json = usage_to_json (&result->usage, &result->response_usage);
        }

      for (guint k = 0; k < result->images->len; k++)
        {
          const EaselImage *image = result->images->pdata[k];
          EaselGeneration *g;
          char *rel = NULL;

          if (image->bytes == NULL)
            continue;

          g = generation_for_request (request, options, created);
          set_if (&g->size, image->size);
          set_if (&g->quality, image->quality);
          set_if (&g->background, image->background);
          set_if (&g->format, image->output_format);
          set_if (&g->action, image->action);
          g->revised_prompt = g_strdup (image->revised_prompt);
          g->image_call_id = g_strdup (image->item_id);
          g->response_id = g_strdup (result->response_id);
          g->mask_sha256 = g_strdup (mask_sha);
          g->status = incomplete ? EASEL_GENERATION_INCOMPLETE : EASEL_GENERATION_OK;
          g->picked = i == picked;
          if (incomplete && request_error != NULL)
            g->error_message = easel_redact (request_error->message, NULL);
          g->usage_json = g_strdup (usage_json);
          /* One request's usage and cost, split over its images so the
           * ledger sums to the request's total. */
          g->estimated_usd = estimated >= 0 ? estimated / n_images : -1;
          g->actual_usd = actual >= 0 ? actual / n_images : -1;
          if (result->usage.present)
            {
              g->input_tokens = result->usage.input_tokens / n_images +
                                (i == 0 ? result->usage.input_tokens % n_images : 0);
              g->output_tokens = result->usage.output_tokens / n_images +
                                 (i == 0 ? result->usage.output_tokens % n_images : 0);
            }

          rel = _easel_store_store_image_file (self, image->bytes, g->format, &g->sha256, error);
          if (rel == NULL)
            {
              g_object_unref (g);
              return FALSE;
            }
          if (g->format == NULL)
            g->format = g_strdup (_easel_store_normalize_format (NULL, image->bytes));
          g_ptr_array_add (gens, g);
          g_ptr_array_add (rels, rel);
          i++;
        }
    }

  *out_gens = g_steal_pointer (&gens);
  *out_rel_paths = g_steal_pointer (&rels);
  return TRUE;
}

GPtrArray *
easel_store_record (EaselStore               *self,
                    const EaselRequest       *request,
                    const EaselResult        *result,
                    const GError             *request_error,
                    const EaselRecordOptions *options,
                    GError                  **error)
{
  g_autoptr(GPtrArray) gens = NULL;
  g_autoptr(GPtrArray) rels = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);
  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (result != NULL || request_error != NULL, NULL);

  if (!_easel_store_record_prepare (self, request, result, request_error, options,
                                    &gens, &rels, error))
    return NULL;
  if (!insert_generations (self, gens, rels, error))
    return NULL;
  return g_steal_pointer (&gens);
}

typedef struct
{
  EaselRequest       *request;
  EaselResult        *result;
  GError             *request_error;
  EaselRecordOptions  options;      /* options.base_url points at base_url */
  char               *base_url;
  gboolean            has_options;
} RecordData;

static void
record_data_free (RecordData *d)
{
  g_clear_pointer (&d->request, easel_request_free);
  g_clear_pointer (&d->result, easel_result_free);
  g_clear_error (&d->request_error);
  g_free (d->base_url);
  g_free (d);
}

static void
record_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  RecordData *d = task_data;
  GError *error = NULL;
  GPtrArray *gens;

  gens = easel_store_record (source_object, d->request, d->result, d->request_error,
                             d->has_options ? &d->options : NULL, &error);
  if (gens)
    g_task_return_pointer (task, gens, (GDestroyNotify) g_ptr_array_unref);
  else
    g_task_return_error (task, error);
}

void
easel_store_record_async (EaselStore               *self,
                          const EaselRequest       *request,
                          const EaselResult        *result,
                          const GError             *request_error,
                          const EaselRecordOptions *options,
                          GCancellable             *cancellable,
                          GAsyncReadyCallback       callback,
                          gpointer                  user_data)
{
  g_autoptr(GTask) task = NULL;
  RecordData *d;

  g_return_if_fail (EASEL_IS_STORE (self));
  g_return_if_fail (request != NULL);

  d = g_new0 (RecordData, 1);
  d->request = easel_request_copy (request);
  d->result = result ? easel_result_copy (result) : NULL;
  d->request_error = request_error ? g_error_copy (request_error) : NULL;
  if (options)
    {
      d->options = *options;
      d->base_url = g_strdup (options->base_url);
      d->options.base_url = d->base_url;
      d->has_options = TRUE;
    }

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_store_record_async);
  g_task_set_task_data (task, d, (GDestroyNotify) record_data_free);
  g_task_run_in_thread (task, record_thread);
}

GPtrArray *
easel_store_record_finish (EaselStore   *self,
                           GAsyncResult *result,
                           GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

EaselGeneration *
_easel_store_get_generation_locked (EaselStore *self, gint64 id, GError **error)
{
  g_autoptr(EaselStmt) stmt = _easel_store_prepare (self, "SELECT " GEN_COLUMNS " FROM generations g WHERE g.id = ?1", error);
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return _easel_store_generation_from_row (self, stmt);
  if (rc == SQLITE_DONE)
    g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_NOT_FOUND,
                 "There is no image %" G_GINT64_FORMAT " in the library", id);
  else
    _easel_store_set_sqlite_error (error, self->db, rc, "read");
  return NULL;
}

EaselGeneration *
easel_store_get_generation (EaselStore *self, gint64 id, GError **error)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);

  locker = g_mutex_locker_new (&self->mutex);
  return _easel_store_get_generation_locked (self, id, error);
}

/* Collects every row of @stmt; NULL on error. */
GPtrArray *
_easel_store_collect_generations (EaselStore *self, sqlite3_stmt *stmt, GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_object_unref);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (out, _easel_store_generation_from_row (self, stmt));
  if (rc != SQLITE_DONE)
    {
      _easel_store_set_sqlite_error (error, self->db, rc, "read");
      return NULL;
    }
  return g_steal_pointer (&out);
}

EaselGeneration *
easel_store_lookup_cached (EaselStore *self, const char *request_hash, GError **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;
  g_autoptr(GPtrArray) rows = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);
  g_return_val_if_fail (request_hash != NULL, NULL);

  locker = g_mutex_locker_new (&self->mutex);
  stmt = _easel_store_prepare (self, "SELECT " GEN_COLUMNS " FROM generations g WHERE g.request_hash = ?1 "
                        "AND g.status = 'ok' AND g.deleted_at = 0 AND g.sha256 IS NOT NULL "
                        "ORDER BY g.created DESC, g.id DESC LIMIT 1", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, request_hash, -1, SQLITE_TRANSIENT);
  if (!(rows = _easel_store_collect_generations (self, stmt, error)) || rows->len == 0)
    return NULL;
  return g_object_ref (rows->pdata[0]);
}

GPtrArray *
easel_store_lookup_cached_all (EaselStore *self, const char *request_hash, GError **error)
{
  g_autoptr(EaselGeneration) newest = NULL;
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;
  GError *local_error = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);
  g_return_val_if_fail (request_hash != NULL, NULL);

  newest = easel_store_lookup_cached (self, request_hash, &local_error);
  if (local_error)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  if (newest == NULL)
    return g_ptr_array_new_with_free_func (g_object_unref);

  /* The images of one request share its hash and its creation second. */
  locker = g_mutex_locker_new (&self->mutex);
  stmt = _easel_store_prepare (self, "SELECT " GEN_COLUMNS " FROM generations g WHERE g.request_hash = ?1 "
                        "AND g.created = ?2 AND g.status = 'ok' AND g.deleted_at = 0 "
                        "AND g.sha256 IS NOT NULL ORDER BY g.id", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, request_hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, newest->created);
  return _easel_store_collect_generations (self, stmt, error);
}

GPtrArray *
easel_store_list_conversation_generations (EaselStore *self, gint64 conversation_id, GError **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);

  locker = g_mutex_locker_new (&self->mutex);
  stmt = _easel_store_prepare (self, "SELECT " GEN_COLUMNS " FROM generations g WHERE g.conversation_id = ?1 "
                        "ORDER BY g.id", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, conversation_id);
  return _easel_store_collect_generations (self, stmt, error);
}

static gboolean
update_one (EaselStore *self, const char *sql, gint64 id, gint64 value, GError **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;

  if (!_easel_store_check_writable (self, error))
    return FALSE;
  locker = g_mutex_locker_new (&self->mutex);
  if (!(stmt = _easel_store_prepare (self, sql, error)))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, value);
  sqlite3_bind_int64 (stmt, 2, id);
  return _easel_store_step_update_one (self, stmt, "image", id, error);
}

gboolean
easel_store_set_starred (EaselStore *self, gint64 id, gboolean starred, GError **error)
{
  g_return_val_if_fail (EASEL_IS_STORE (self), FALSE);
  return update_one (self, "UPDATE generations SET starred = ?1 WHERE id = ?2", id, starred ? 1 : 0, error);
}

gboolean
easel_store_delete (EaselStore *self, gint64 id, GError **error)
{
  g_return_val_if_fail (EASEL_IS_STORE (self), FALSE);
  /* max(…, 1): deleted_at must stay non-zero even with a bogus clock. */
  return update_one (self, "UPDATE generations SET deleted_at = max(?1, 1) WHERE id = ?2",
                     id, g_get_real_time () / G_USEC_PER_SEC, error);
}

gboolean
easel_store_undelete (EaselStore *self, gint64 id, GError **error)
{
  g_return_val_if_fail (EASEL_IS_STORE (self), FALSE);
  return update_one (self, "UPDATE generations SET deleted_at = ?1 WHERE id = ?2", id, 0, error);
}

/* The user picked another image of an n>1 answer: it becomes the picked
 * row of its answer (the rows of the same turn, or without a turn the rows
 * recorded together for the same request), and the image its turn shows. */
gboolean
easel_store_pick (EaselStore  *self,
                  gint64       id,
                  GError     **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselGeneration) row = NULL;
  g_autoptr(EaselStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (EASEL_IS_STORE (self), FALSE);

  if (!_easel_store_check_writable (self, error))
    return FALSE;
  locker = g_mutex_locker_new (&self->mutex);
  if (!(row = _easel_store_get_generation_locked (self, id, error)))
    return FALSE;
  if (row->path == NULL)
    {
      g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID,
                   "Generation %" G_GINT64_FORMAT " has no image to pick", id);
      return FALSE;
    }
  if (!_easel_store_exec (self->db, "BEGIN IMMEDIATE", "write to", error))
    return FALSE;

  if (row->turn_id > 0)
    stmt = _easel_store_prepare (self, "UPDATE generations SET picked = (id = ?1) "
                                       "WHERE turn_id = ?2 AND created = ?3", error);
  else
    stmt = _easel_store_prepare (self, "UPDATE generations SET picked = (id = ?1) "
                                       "WHERE turn_id IS ?2 AND created = ?3 AND request_hash IS ?4 "
                                       "AND conversation_id IS ?5", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, id);
  if (row->turn_id > 0)
    sqlite3_bind_int64 (stmt, 2, row->turn_id);
  else
    sqlite3_bind_null (stmt, 2);
  sqlite3_bind_int64 (stmt, 3, row->created);
  if (row->turn_id <= 0)
    {
      if (row->request_hash)
        sqlite3_bind_text (stmt, 4, row->request_hash, -1, SQLITE_TRANSIENT);
      else
        sqlite3_bind_null (stmt, 4);
      if (row->conversation_id > 0)
        sqlite3_bind_int64 (stmt, 5, row->conversation_id);
      else
        sqlite3_bind_null (stmt, 5);
    }
  if ((rc = sqlite3_step (stmt)) != SQLITE_DONE)
    {
      _easel_store_set_sqlite_error (error, self->db, rc, "write to");
      goto fail;
    }
  g_clear_pointer (&stmt, sqlite3_finalize);

  if (row->turn_id > 0)
    {
      if (!(stmt = _easel_store_prepare (self, "UPDATE turns SET generation_id = ?1 WHERE id = ?2", error)))
        goto fail;
      sqlite3_bind_int64 (stmt, 1, id);
      sqlite3_bind_int64 (stmt, 2, row->turn_id);
      if ((rc = sqlite3_step (stmt)) != SQLITE_DONE)
        {
          _easel_store_set_sqlite_error (error, self->db, rc, "write to");
          goto fail;
        }
      g_clear_pointer (&stmt, sqlite3_finalize);
    }

  if (!_easel_store_exec (self->db, "COMMIT", "write to", error))
    goto fail;
  _easel_store_queue_changed (self);
  return TRUE;

fail:
  g_clear_pointer (&stmt, sqlite3_finalize);
  _easel_store_exec (self->db, "ROLLBACK", "write to", NULL);
  return FALSE;
}
