/* easel-batch-submit.c: a batch job submitted and recorded in the library
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One chain for the CLI's `easel batch submit`, the studio's New Batch… and
 * Compare's half-price grid:
 *
 *   upload the JSONL → record the job as "submitting" (with its lines, so a
 *   fetch can resume and an interrupted submit be found again by its file)
 *   → create the batch (sent once, never again after a network error) →
 *   record it as created.
 *
 * A create the server refused (4xx) forgets the job. Any other failure of
 * the create may hide a batch that exists: the job stays "submitting" for
 * a later listing to find, and the caller is told so.
 */

#define G_LOG_DOMAIN "easel-batch"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "easel-batch.h"
#include "easel-error.h"

typedef struct
{
  EaselLibrary   *library;
  GPtrArray      *entries;
  double          batch_usd;
  double          full_usd;
  char           *base_url;
  char           *file_id;
  gint64          job_row;
  EaselBatchInfo *info;
  GError         *refusal;        /* the create's 4xx, returned once the job is forgotten */
  gboolean        maybe_created;
} Submit;

static void
submit_free (Submit *s)
{
  g_clear_object (&s->library);
  g_clear_pointer (&s->entries, g_ptr_array_unref);
  g_free (s->base_url);
  g_free (s->file_id);
  g_clear_pointer (&s->info, easel_batch_info_free);
  g_clear_error (&s->refusal);
  g_free (s);
}

/* ---- On the library's worker ---- */

static gpointer
add_job_func (EaselStore  *store,
              gpointer     data,
              GError     **error)
{
  Submit *s = data;
  gint64 row = easel_store_add_batch (store, NULL, s->file_id, s->base_url, s->entries,
                                      s->batch_usd, s->full_usd, error);

  return row > 0 ? g_memdup2 (&row, sizeof row) : NULL;
}

static gpointer
created_job_func (EaselStore  *store,
                  gpointer     data,
                  GError     **error)
{
  Submit *s = data;

  if (!easel_store_set_batch_created (store, s->job_row, s->info, error) ||
      !easel_store_update_batch (store, s->info, error))
    return NULL;
  return easel_store_get_batch (store, s->info->id, error);
}

static gpointer
delete_job_func (EaselStore  *store,
                 gpointer     data,
                 GError     **error)
{
  Submit *s = data;

  return easel_store_delete_batch (store, s->job_row, error) ? GINT_TO_POINTER (TRUE) : NULL;
}

/* ---- The chain, on the caller's main context ---- */

static void
deleted_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Submit *s = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (easel_library_run_finish (EASEL_LIBRARY (source), result, &error) == NULL)
    g_warning ("Could not forget a refused batch job: %s", error->message);
  g_task_return_error (task, g_steal_pointer (&s->refusal));
}

static void
job_recorded_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Submit *s = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  EaselBatchJob *job = easel_library_run_finish (EASEL_LIBRARY (source), result, &error);

  if (job == NULL)
    {
      /* Translators: %s is a batch id such as batch_abc123 */
      g_prefix_error (&error, _("Batch %s was created but the library could not record it: "), s->info->id);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, job, (GDestroyNotify) easel_batch_job_free);
}

static void
created_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Submit *s = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  s->info = easel_batch_create_finish (EASEL_CLIENT (source), result, &error);
  if (s->info == NULL)
    {
      if (error->domain == EASEL_API_ERROR && easel_api_error_get_status (error) >= 400 &&
          easel_api_error_get_status (error) < 500)
        {
          /* Refused for sure: nothing exists, forget the job. */
          s->refusal = g_steal_pointer (&error);
          easel_library_run_async (s->library, delete_job_func, s, NULL, NULL, NULL,
                                   deleted_cb, g_steal_pointer (&task));
          return;
        }
      /* The batch may exist: the job stays "submitting" to be found. */
      s->maybe_created = TRUE;
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* Not cancellable from here on: the batch exists and must be recorded. */
  easel_library_run_async (s->library, created_job_func, s, NULL, (GDestroyNotify) easel_batch_job_free,
                           NULL, job_recorded_cb, g_steal_pointer (&task));
}

static void
file_recorded_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Submit *s = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree gint64 *row = easel_library_run_finish (EASEL_LIBRARY (source), result, &error);
  EaselClient *client;

  if (row == NULL)
    {
      g_prefix_error (&error, _("Nothing was submitted: "));
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  s->job_row = *row;
  client = g_task_get_source_object (task);
  /* Sent once and not cancelled: a create on its way may already exist. */
  easel_batch_create_async (client, s->file_id, NULL, created_cb, g_steal_pointer (&task));
}

static void
uploaded_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Submit *s = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  s->file_id = easel_batch_upload_finish (EASEL_CLIENT (source), result, &error);
  if (s->file_id == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* Recorded before the create: a submit interrupted in between leaves a
   * job that a listing finds on the server by its file. */
  easel_library_run_async (s->library, add_job_func, s, NULL, g_free, NULL,
                           file_recorded_cb, g_steal_pointer (&task));
}

void
easel_batch_submit_to_library_async (EaselClient         *client,
                                     EaselLibrary        *library,
                                     GPtrArray           *entries,
                                     GBytes              *jsonl,
                                     double               batch_usd,
                                     double               full_usd,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Submit *s;

  g_return_if_fail (EASEL_IS_CLIENT (client));
  g_return_if_fail (EASEL_IS_LIBRARY (library));
  g_return_if_fail (entries != NULL && entries->len > 0);
  g_return_if_fail (jsonl != NULL);

  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_batch_submit_to_library_async);
  s = g_new0 (Submit, 1);
  s->library = g_object_ref (library);
  s->entries = g_ptr_array_ref (entries);
  s->batch_usd = batch_usd;
  s->full_usd = full_usd;
  s->base_url = g_strdup (easel_client_get_base_url (client));
  g_task_set_task_data (task, s, (GDestroyNotify) submit_free);

  if (easel_library_get_state (library) != EASEL_LIBRARY_STATE_READY)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                               _("The library is not open: a batch job could not be recorded"));
      return;
    }
  easel_batch_upload_async (client, jsonl, cancellable, uploaded_cb, g_steal_pointer (&task));
}

EaselBatchJob *
easel_batch_submit_to_library_finish (EaselClient     *client,
                                      GAsyncResult    *result,
                                      EaselBatchInfo **info,
                                      gboolean        *maybe_created,
                                      GError         **error)
{
  Submit *s;

  g_return_val_if_fail (g_task_is_valid (result, client), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == easel_batch_submit_to_library_async, NULL);

  s = g_task_get_task_data (G_TASK (result));
  if (info != NULL)
    *info = g_steal_pointer (&s->info);
  if (maybe_created != NULL)
    *maybe_created = s->maybe_created;
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- Interrupted submits ---- */

/* A run that ended between the create and recording it left a
 * "submitting" job with its input file: its batch is found on the server
 * by that file. */

typedef struct
{
  EaselLibrary *library;
  GPtrArray    *infos;   /* EaselBatchInfo*: the server's batches */
} Recover;

static void
recover_free (Recover *r)
{
  g_clear_object (&r->library);
  g_clear_pointer (&r->infos, g_ptr_array_unref);
  g_free (r);
}

static gboolean
is_interrupted (const EaselBatchJob *job)
{
  return job->batch_id == NULL && job->input_file_id != NULL;
}

static gpointer
list_interrupted_func (EaselStore  *store,
                       gpointer     data,
                       GError     **error)
{
  g_autoptr(GPtrArray) jobs = easel_store_list_batches (store, error);
  gboolean any = FALSE;

  if (jobs == NULL)
    return NULL;
  for (guint i = 0; i < jobs->len && !any; i++)
    any = is_interrupted (jobs->pdata[i]);
  return GINT_TO_POINTER (any ? 2 : 1);
}

static gpointer
record_found_func (EaselStore  *store,
                   gpointer     data,
                   GError     **error)
{
  Recover *r = data;
  g_autoptr(GPtrArray) jobs = easel_store_list_batches (store, error);
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func ((GDestroyNotify) easel_batch_job_free);

  if (jobs == NULL)
    return NULL;
  for (guint i = 0; i < jobs->len; i++)
    {
      EaselBatchJob *job = jobs->pdata[i];

      if (!is_interrupted (job))
        continue;
      for (guint k = 0; k < r->infos->len; k++)
        {
          EaselBatchInfo *info = r->infos->pdata[k];
          EaselBatchJob *recorded;

          if (g_strcmp0 (info->input_file_id, job->input_file_id) != 0)
            continue;
          if (!easel_store_set_batch_created (store, job->id, info, error) ||
              !easel_store_update_batch (store, info, error) ||
              (recorded = easel_store_get_batch (store, info->id, error)) == NULL)
            {
              g_prefix_error (error, _("Batch %s of an interrupted submit could not be recorded: "), info->id);
              return NULL;
            }
          g_ptr_array_add (found, recorded);
          break;
        }
    }
  return g_steal_pointer (&found);
}

static void
found_recorded_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  GPtrArray *found = easel_library_run_finish (EASEL_LIBRARY (source), result, &error);

  if (found == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, found, (GDestroyNotify) g_ptr_array_unref);
}

static void
server_listed_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Recover *r = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  GCancellable *cancellable = g_task_get_cancellable (task);

  r->infos = easel_batch_list_finish (EASEL_CLIENT (source), result, &error);
  if (r->infos == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  easel_library_run_async (r->library, record_found_func, r, NULL, (GDestroyNotify) g_ptr_array_unref,
                           cancellable, found_recorded_cb, g_steal_pointer (&task));
}

static void
interrupted_listed_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  gpointer any = easel_library_run_finish (EASEL_LIBRARY (source), result, &error);

  if (any == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else if (GPOINTER_TO_INT (any) == 1)
    /* Nothing was interrupted: no need to ask the server. */
    g_task_return_pointer (task, g_ptr_array_new_with_free_func ((GDestroyNotify) easel_batch_job_free),
                           (GDestroyNotify) g_ptr_array_unref);
  else
    {
      EaselClient *client = g_task_get_source_object (task);
      GCancellable *cancellable = g_task_get_cancellable (task);

      easel_batch_list_async (client, cancellable, server_listed_cb, g_steal_pointer (&task));
    }
}

void
easel_batch_recover_submits_async (EaselClient         *client,
                                   EaselLibrary        *library,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Recover *r;

  g_return_if_fail (EASEL_IS_CLIENT (client));
  g_return_if_fail (EASEL_IS_LIBRARY (library));

  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_batch_recover_submits_async);
  r = g_new0 (Recover, 1);
  r->library = g_object_ref (library);
  g_task_set_task_data (task, r, (GDestroyNotify) recover_free);
  easel_library_run_async (library, list_interrupted_func, NULL, NULL, NULL, cancellable,
                           interrupted_listed_cb, g_steal_pointer (&task));
}

GPtrArray *
easel_batch_recover_submits_finish (EaselClient   *client,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
