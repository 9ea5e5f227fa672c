/* easel-store-batches.c: Batch API jobs and their lines in the library
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-store"

#include "config.h"

#include "easel-batch.h"
#include "easel-cost.h"
#include "easel-error.h"
#include "easel-json.h"
#include "easel-store-private.h"

void
easel_batch_job_free (EaselBatchJob *self)
{
  if (self == NULL)
    return;
  g_free (self->batch_id);
  g_free (self->base_url);
  g_free (self->status);
  g_free (self->input_file_id);
  g_free (self->output_file_id);
  g_free (self->error_file_id);
  g_free (self->error_message);
  g_free (self);
}

void
easel_batch_image_free (EaselBatchImage *self)
{
  if (self == NULL)
    return;
  g_free (self->custom_id);
  g_free (self->path);
  g_free (self->format);
  g_free (self);
}

static gboolean
rollback (EaselStore *self)
{
  return _easel_store_exec (self->db, "ROLLBACK", "write to", NULL);
}

gint64
easel_store_add_batch (EaselStore           *self,
                       const EaselBatchInfo *info,
                       const char           *input_file_id,
                       const char           *base_url,
                       GPtrArray            *entries,
                       double                estimated_usd,
                       double                full_usd,
                       GError              **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 id;
  int rc;

  g_return_val_if_fail (EASEL_IS_STORE (self), 0);
  g_return_val_if_fail (info != NULL || input_file_id != NULL, 0);
  g_return_val_if_fail (entries != NULL, 0);

  if (!_easel_store_check_writable (self, error))
    return 0;

  locker = g_mutex_locker_new (&self->mutex);
  if (!_easel_store_exec (self->db, "BEGIN IMMEDIATE", "write to", error))
    return 0;

  stmt = _easel_store_prepare (self,
                               "INSERT INTO batches (batch_id, base_url, endpoint, status, input_file_id, "
                               "output_file_id, error_file_id, n_total, n_completed, n_failed, estimated_usd, "
                               "full_usd, error_message, created, updated) VALUES "
                               "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)", error);
  if (stmt == NULL)
    {
      rollback (self);
      return 0;
    }
  bind_text (stmt, 1, info ? info->id : NULL);
  bind_text (stmt, 2, base_url);
  bind_text (stmt, 3, EASEL_BATCH_ENDPOINT);
  bind_text (stmt, 4, info ? info->status : "submitting");
  bind_text (stmt, 5, info ? info->input_file_id : input_file_id);
  bind_text (stmt, 6, info ? info->output_file_id : NULL);
  bind_text (stmt, 7, info ? info->error_file_id : NULL);
  sqlite3_bind_int64 (stmt, 8, MAX (info ? info->n_total : 0, (gint64) entries->len));
  sqlite3_bind_int64 (stmt, 9, info ? info->n_completed : 0);
  sqlite3_bind_int64 (stmt, 10, info ? info->n_failed : 0);
  bind_usd (stmt, 11, estimated_usd);
  bind_usd (stmt, 12, full_usd);
  bind_text (stmt, 13, info ? info->error_message : NULL);
  sqlite3_bind_int64 (stmt, 14, now);
  if ((rc = sqlite3_step (stmt)) != SQLITE_DONE)
    {
      _easel_store_set_sqlite_error (error, self->db, rc, "write to");
      rollback (self);
      return 0;
    }
  id = sqlite3_last_insert_rowid (self->db);
  g_clear_pointer (&stmt, easel_stmt_finalize);

  stmt = _easel_store_prepare (self,
                               "INSERT INTO batch_lines (batch, custom_id, line_no, body_json, estimated_usd) "
                               "VALUES (?1, ?2, ?3, ?4, ?5)", error);
  if (stmt == NULL)
    {
      rollback (self);
      return 0;
    }
  for (guint i = 0; i < entries->len; i++)
    {
      EaselBatchEntry *entry = entries->pdata[i];
      g_autoptr(JsonNode) params = easel_request_params_to_json (entry->request);
      g_autofree char *json = json_to_string (params, FALSE);
      EaselCostEstimate est = { 0 };

      easel_cost_estimate (entry->request, &est);
      sqlite3_reset (stmt);
      sqlite3_bind_int64 (stmt, 1, id);
      bind_text (stmt, 2, entry->custom_id);
      sqlite3_bind_int64 (stmt, 3, entry->line_no);
      bind_text (stmt, 4, json);
      bind_usd (stmt, 5, est.usd > 0 ? est.usd * EASEL_BATCH_DISCOUNT : -1);
      if ((rc = sqlite3_step (stmt)) != SQLITE_DONE)
        {
          _easel_store_set_sqlite_error (error, self->db, rc, "write to");
          rollback (self);
          return 0;
        }
    }

  if (!_easel_store_exec (self->db, "COMMIT", "write to", error))
    {
      rollback (self);
      return 0;
    }
  _easel_store_queue_changed (self);
  return id;
}

gboolean
easel_store_set_batch_created (EaselStore           *self,
                               gint64                id,
                               const EaselBatchInfo *info,
                               GError              **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (self), FALSE);
  g_return_val_if_fail (info != NULL && info->id != NULL, FALSE);

  if (!_easel_store_check_writable (self, error))
    return FALSE;
  locker = g_mutex_locker_new (&self->mutex);
  stmt = _easel_store_prepare (self,
                               "UPDATE batches SET batch_id = ?2, status = ?3, updated = ?4 "
                               "WHERE id = ?1 AND batch_id IS NULL", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  bind_text (stmt, 2, info->id);
  bind_text (stmt, 3, info->status);
  sqlite3_bind_int64 (stmt, 4, g_get_real_time () / G_USEC_PER_SEC);
  return _easel_store_step_update_one (self, stmt, "batch", id, error);
}

gboolean
easel_store_delete_batch (EaselStore  *self,
                          gint64       id,
                          GError     **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (self), FALSE);

  if (!_easel_store_check_writable (self, error))
    return FALSE;
  locker = g_mutex_locker_new (&self->mutex);
  /* Only a job that never got a batch: one that did has images to keep. */
  stmt = _easel_store_prepare (self, "DELETE FROM batches WHERE id = ?1 AND batch_id IS NULL", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  return _easel_store_step_update_one (self, stmt, "batch", id, error);
}

gboolean
easel_store_update_batch (EaselStore           *self,
                          const EaselBatchInfo *info,
                          GError              **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (EASEL_IS_STORE (self), FALSE);
  g_return_val_if_fail (info != NULL && info->id != NULL, FALSE);

  if (!_easel_store_check_writable (self, error))
    return FALSE;

  locker = g_mutex_locker_new (&self->mutex);
  /* A file id once known is kept: a later answer without one changes nothing. */
  stmt = _easel_store_prepare (self,
                               "UPDATE batches SET status = ?2, "
                               "output_file_id = coalesce(?3, output_file_id), "
                               "error_file_id = coalesce(?4, error_file_id), "
                               "n_total = max(n_total, ?5), n_completed = ?6, n_failed = ?7, "
                               "error_message = coalesce(?8, error_message), updated = ?9 "
                               "WHERE batch_id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, info->id);
  bind_text (stmt, 2, info->status);
  bind_text (stmt, 3, info->output_file_id);
  bind_text (stmt, 4, info->error_file_id);
  sqlite3_bind_int64 (stmt, 5, info->n_total);
  sqlite3_bind_int64 (stmt, 6, info->n_completed);
  sqlite3_bind_int64 (stmt, 7, info->n_failed);
  bind_text (stmt, 8, info->error_message);
  sqlite3_bind_int64 (stmt, 9, g_get_real_time () / G_USEC_PER_SEC);
  if ((rc = sqlite3_step (stmt)) != SQLITE_DONE)
    {
      _easel_store_set_sqlite_error (error, self->db, rc, "write to");
      return FALSE;
    }
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_NOT_FOUND,
                   "The library has no batch %s", info->id);
      return FALSE;
    }
  _easel_store_queue_changed (self);
  return TRUE;
}

gboolean
easel_store_set_batch_fetched (EaselStore  *self,
                               gint64       id,
                               GError     **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (self), FALSE);

  if (!_easel_store_check_writable (self, error))
    return FALSE;
  locker = g_mutex_locker_new (&self->mutex);
  stmt = _easel_store_prepare (self, "UPDATE batches SET fetched = 1 WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  return _easel_store_step_update_one (self, stmt, "batch", id, error);
}

#define JOB_COLUMNS \
  "b.id, b.batch_id, b.base_url, b.status, b.input_file_id, b.output_file_id, b.error_file_id, " \
  "b.n_total, b.n_completed, b.n_failed, b.estimated_usd, b.full_usd, b.error_message, b.created, " \
  "b.updated, b.fetched, " \
  "(SELECT count(*) FROM batch_lines l WHERE l.batch = b.id), " \
  "(SELECT count(*) FROM batch_lines l WHERE l.batch = b.id AND l.state = 'ok'), " \
  "(SELECT count(*) FROM batch_lines l WHERE l.batch = b.id AND l.state = 'failed'), " \
  "(SELECT sum(g.actual_usd) FROM generations g WHERE g.batch = b.id)"

static EaselBatchJob *
job_from_row (sqlite3_stmt *stmt)
{
  EaselBatchJob *job = g_new0 (EaselBatchJob, 1);

  job->id = sqlite3_column_int64 (stmt, 0);
  job->batch_id = col_text (stmt, 1);
  job->base_url = col_text (stmt, 2);
  job->status = col_text (stmt, 3);
  job->input_file_id = col_text (stmt, 4);
  job->output_file_id = col_text (stmt, 5);
  job->error_file_id = col_text (stmt, 6);
  job->n_total = sqlite3_column_int64 (stmt, 7);
  job->n_completed = sqlite3_column_int64 (stmt, 8);
  job->n_failed = sqlite3_column_int64 (stmt, 9);
  job->estimated_usd = col_usd (stmt, 10);
  job->full_usd = col_usd (stmt, 11);
  job->error_message = col_text (stmt, 12);
  job->created = sqlite3_column_int64 (stmt, 13);
  job->updated = sqlite3_column_int64 (stmt, 14);
  job->fetched = sqlite3_column_int (stmt, 15) != 0;
  job->n_lines = sqlite3_column_int (stmt, 16);
  job->n_lines_ok = sqlite3_column_int (stmt, 17);
  job->n_lines_failed = sqlite3_column_int (stmt, 18);
  job->actual_usd = col_usd (stmt, 19);
  return job;
}

EaselBatchJob *
easel_store_get_batch (EaselStore  *self,
                       const char  *batch_id,
                       GError     **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);
  g_return_val_if_fail (batch_id != NULL, NULL);

  locker = g_mutex_locker_new (&self->mutex);
  stmt = _easel_store_prepare (self, "SELECT " JOB_COLUMNS " FROM batches b WHERE b.batch_id = ?1", error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, batch_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return job_from_row (stmt);
  if (rc == SQLITE_DONE)
    g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_NOT_FOUND,
                 "The library has no batch %s", batch_id);
  else
    _easel_store_set_sqlite_error (error, self->db, rc, "read");
  return NULL;
}

GPtrArray *
easel_store_list_batches (EaselStore  *self,
                          GError     **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) easel_batch_job_free);
  int rc;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);

  locker = g_mutex_locker_new (&self->mutex);
  stmt = _easel_store_prepare (self, "SELECT " JOB_COLUMNS " FROM batches b ORDER BY b.created DESC, b.id DESC",
                               error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (jobs, job_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      _easel_store_set_sqlite_error (error, self->db, rc, "read");
      return NULL;
    }
  return g_steal_pointer (&jobs);
}

/* The line's state and what was sent for it; FALSE when the job has no such line. */
static gboolean
get_line_locked (EaselStore  *self,
                 gint64       id,
                 const char  *custom_id,
                 char       **state,
                 char       **body_json,
                 double      *estimated_usd,
                 GError     **error)
{
  g_autoptr(EaselStmt) stmt = NULL;
  int rc;

  stmt = _easel_store_prepare (self,
                               "SELECT state, body_json, estimated_usd FROM batch_lines "
                               "WHERE batch = ?1 AND custom_id = ?2", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  bind_text (stmt, 2, custom_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      if (state)
        *state = col_text (stmt, 0);
      if (body_json)
        *body_json = col_text (stmt, 1);
      if (estimated_usd)
        *estimated_usd = col_usd (stmt, 2);
      return TRUE;
    }
  if (rc != SQLITE_DONE)
    _easel_store_set_sqlite_error (error, self->db, rc, "read");
  return FALSE;
}

static EaselRequest *
request_from_params (const char *json)
{
  static const char * const members[] = {
    "prompt", "model", "n", "size", "quality", "background", "output_format",
    "output_compression", "moderation", "user", "style", NULL,
  };
  g_autoptr(JsonNode) root = easel_json_parse (json, -1, NULL);
  g_autoptr(JsonObject) object = NULL;
  JsonObject *params;
  EaselRequest *request;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  /* params_json names more than a batch body has; "n": -1 is unset. */
  params = json_node_get_object (root);
  object = json_object_new ();
  for (guint i = 0; members[i] != NULL; i++)
    {
      JsonNode *node = json_object_get_member (params, members[i]);

      if (node == NULL || JSON_NODE_HOLDS_NULL (node) ||
          (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64 &&
           json_node_get_int (node) < 0))
        continue;
      json_object_set_member (object, members[i], json_node_copy (node));
    }
  request = easel_batch_request_from_json (object, NULL, NULL);
  if (request != NULL)
    {
      request->stream = FALSE;
      request->partial_images = -1;
    }
  return request;
}

int
easel_store_record_batch_line (EaselStore         *self,
                               gint64              id,
                               const char         *custom_id,
                               const EaselResult  *result,
                               const GError       *line_error,
                               GError            **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselRequest) request = NULL;
  g_autoptr(GPtrArray) gens = NULL;
  g_autoptr(GPtrArray) rels = NULL;
  g_autoptr(EaselStmt) stmt = NULL;
  g_autofree char *state = NULL;
  g_autofree char *body_json = NULL;
  EaselRecordOptions options = { .estimated_usd = -1 };
  double estimated = -1;
  int rc;

  g_return_val_if_fail (EASEL_IS_STORE (self), -1);
  g_return_val_if_fail (custom_id != NULL, -1);
  g_return_val_if_fail (result != NULL || line_error != NULL, -1);

  if (!_easel_store_check_writable (self, error))
    return -1;

  g_mutex_lock (&self->mutex);
  if (!get_line_locked (self, id, custom_id, &state, &body_json, &estimated, error))
    {
      g_mutex_unlock (&self->mutex);
      return error && *error ? -1 : 0;
    }
  g_mutex_unlock (&self->mutex);
  if (!g_str_equal (state, "pending"))
    return 0;

  request = request_from_params (body_json);
  if (request == NULL)
    {
      g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID,
                   "The library cannot read line %s of its batch", custom_id);
      return -1;
    }

  /* The files are written first; an orphan left by a crash is swept. */
  options.estimated_usd = estimated;
  if (!_easel_store_record_prepare (self, request, result, line_error, &options, &gens, &rels, error))
    return -1;

  locker = g_mutex_locker_new (&self->mutex);
  if (!_easel_store_exec (self->db, "BEGIN IMMEDIATE", "write to", error))
    return -1;

  /* Another process may have recorded it meanwhile. */
  g_clear_pointer (&state, g_free);
  if (!get_line_locked (self, id, custom_id, &state, NULL, NULL, error) || !g_str_equal (state, "pending"))
    {
      rollback (self);
      return error && *error ? -1 : 0;
    }

  stmt = _easel_store_prepare (self,
                               "UPDATE generations SET batch = ?2, custom_id = ?3, batch_index = ?4 "
                               "WHERE id = ?1", error);
  if (stmt == NULL)
    {
      rollback (self);
      return -1;
    }
  for (guint i = 0; i < gens->len; i++)
    {
      EaselGeneration *g = gens->pdata[i];

      /* At the batch price: the line's estimate already is; usage is not. */
      if (g->actual_usd >= 0)
        g->actual_usd *= EASEL_BATCH_DISCOUNT;
      /* A failed line of a batch is not billed: without this the ledger
       * would count its estimate as spent. */
      else if (line_error != NULL)
        g->actual_usd = 0;
      if (!_easel_store_insert_generation_row (self, g, rels->pdata[i], error))
        goto fail;
      sqlite3_reset (stmt);
      sqlite3_bind_int64 (stmt, 1, g->id);
      sqlite3_bind_int64 (stmt, 2, id);
      bind_text (stmt, 3, custom_id);
      sqlite3_bind_int (stmt, 4, (int) i);
      if ((rc = sqlite3_step (stmt)) != SQLITE_DONE)
        {
          _easel_store_set_sqlite_error (error, self->db, rc, "write to");
          goto fail;
        }
    }
  g_clear_pointer (&stmt, easel_stmt_finalize);

  stmt = _easel_store_prepare (self,
                               "UPDATE batch_lines SET state = ?3 WHERE batch = ?1 AND custom_id = ?2", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, id);
  bind_text (stmt, 2, custom_id);
  bind_text (stmt, 3, line_error != NULL ? "failed" : "ok");
  if ((rc = sqlite3_step (stmt)) != SQLITE_DONE)
    {
      _easel_store_set_sqlite_error (error, self->db, rc, "write to");
      goto fail;
    }

  if (!_easel_store_exec (self->db, "COMMIT", "write to", error))
    goto fail;

  _easel_store_queue_changed (self);
  return 1;

fail:
  rollback (self);
  for (guint i = 0; i < gens->len; i++)
    ((EaselGeneration *) gens->pdata[i])->id = 0;
  return -1;
}

GPtrArray *
easel_store_list_batch_images (EaselStore  *self,
                               gint64       id,
                               GError     **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;
  g_autoptr(GPtrArray) images = g_ptr_array_new_with_free_func ((GDestroyNotify) easel_batch_image_free);
  int rc;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);

  locker = g_mutex_locker_new (&self->mutex);
  stmt = _easel_store_prepare (self,
                               "SELECT custom_id, batch_index, path, format FROM generations "
                               "WHERE batch = ?1 AND path IS NOT NULL ORDER BY custom_id, batch_index", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      EaselBatchImage *image = g_new0 (EaselBatchImage, 1);

      image->custom_id = col_text (stmt, 0);
      image->index = sqlite3_column_int (stmt, 1);
      image->path = g_build_filename (self->dir, (const char *) sqlite3_column_text (stmt, 2), NULL);
      image->format = col_text (stmt, 3);
      g_ptr_array_add (images, image);
    }
  if (rc != SQLITE_DONE)
    {
      _easel_store_set_sqlite_error (error, self->db, rc, "read");
      return NULL;
    }
  return g_steal_pointer (&images);
}

GStrv
easel_store_list_pending_batch_lines (EaselStore  *self,
                                      gint64       id,
                                      GError     **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  int rc;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);

  locker = g_mutex_locker_new (&self->mutex);
  stmt = _easel_store_prepare (self,
                               "SELECT custom_id FROM batch_lines WHERE batch = ?1 AND state = 'pending' "
                               "ORDER BY line_no", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_strv_builder_add (builder, (const char *) sqlite3_column_text (stmt, 0));
  if (rc != SQLITE_DONE)
    {
      _easel_store_set_sqlite_error (error, self->db, rc, "read");
      return NULL;
    }
  return g_strv_builder_end (builder);
}
