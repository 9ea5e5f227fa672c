/* easel-batch-list.c: every Batch API job of the library, kept up to date
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The same flow as `easel batch submit|wait|fetch|cancel`
 * (src/cli/easel-cli-batch.c), driven by timers on the main loop instead
 * of one command: each unfinished job is polled with backoff, and a job
 * the server finished is fetched through the core's resumable fetch.
 */

#define G_LOG_DOMAIN "easel-batch-list"

#include "config.h"

#include <glib/gi18n.h>

#include "easel-batch-list.h"
#include "easel-batch-private.h"

#define DEFAULT_POLL_MS 5000
#define MAX_POLL_MS (60 * 1000)

struct _EaselBatchList
{
  GObject parent_instance;

  EaselClient  *client;
  EaselLibrary *library;
  GPtrArray    *items;        /* EaselBatchItem*, newest first */
  GCancellable *cancellable;
  guint         first_poll_ms;
  guint         recover_id;   /* waits for a key to look for interrupted submits */
  gboolean      loaded;
  gboolean      loading;
};

static void easel_batch_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (EaselBatchList, easel_batch_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, easel_batch_list_model_init))

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_LIBRARY,
  PROP_LOADED,
  N_PROPS
};

enum {
  JOB_FINISHED,
  IMAGES_RECORDED,
  ERROR,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* ---- GListModel ------------------------------------------------------- */

static GType
list_get_item_type (GListModel *model)
{
  return EASEL_TYPE_BATCH_ITEM;
}

static guint
list_get_n_items (GListModel *model)
{
  return EASEL_BATCH_LIST (model)->items->len;
}

static gpointer
list_get_item (GListModel *model,
               guint       position)
{
  EaselBatchList *self = EASEL_BATCH_LIST (model);

  return position < self->items->len ? g_object_ref (self->items->pdata[position]) : NULL;
}

static void
easel_batch_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = list_get_item_type;
  iface->get_n_items = list_get_n_items;
  iface->get_item = list_get_item;
}

/* ---- one operation on one job ------------------------------------------- */

typedef struct
{
  EaselBatchList *self;
  EaselBatchItem *item;
} Op;

static Op *
op_new (EaselBatchList *self,
        EaselBatchItem *item)
{
  Op *op = g_new0 (Op, 1);

  op->self = g_object_ref (self);
  op->item = item ? g_object_ref (item) : NULL;
  return op;
}

static void
op_free (Op *op)
{
  g_clear_object (&op->self);
  g_clear_object (&op->item);
  g_free (op);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Op, op_free)

static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* ---- polling ------------------------------------------------------------ */

static void poll_item (EaselBatchList *self, EaselBatchItem *item);

static gboolean
poll_timeout_cb (gpointer user_data)
{
  EaselBatchItem *item = user_data;

  item->poll_id = 0;
  poll_item (item->owner, item);
  return G_SOURCE_REMOVE;
}

static void
schedule_poll (EaselBatchList *self,
               EaselBatchItem *item,
               guint           delay_ms)
{
  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  g_clear_handle_id (&item->poll_id, g_source_remove);
  item->owner = self;
  item->poll_id = g_timeout_add (delay_ms, poll_timeout_cb, item);
}

/* A 24-hour job needs no checks every second. */
static void
schedule_backoff (EaselBatchList *self,
                  EaselBatchItem *item)
{
  guint delay = item->poll_ms ? item->poll_ms : self->first_poll_ms;

  item->poll_ms = MIN (delay * 3 / 2 + 1, MAX_POLL_MS);
  schedule_poll (self, item, delay);
}

static gpointer
get_job_func (EaselStore  *store,
              gpointer     data,
              GError     **error)
{
  return easel_store_get_batch (store, data, error);
}

static void
job_reloaded_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselBatchJob) job = easel_library_run_finish (EASEL_LIBRARY (source), result, &error);

  if (job == NULL)
    {
      if (!is_cancelled (error))
        g_warning ("Could not read batch job %s back: %s", op->item->batch_id, error->message);
      return;
    }
  _easel_batch_item_update_from_job (op->item, job);
  if (op->item->fetched && op->item->watched)
    {
      op->item->watched = FALSE;
      g_signal_emit (op->self, signals[JOB_FINISHED], 0, op->item);
    }
}

static void
reload_job (EaselBatchList *self,
            EaselBatchItem *item)
{
  easel_library_run_async (self->library, get_job_func, g_strdup (item->batch_id), g_free,
                           (GDestroyNotify) easel_batch_job_free, self->cancellable,
                           job_reloaded_cb, op_new (self, item));
}

static void
fetched_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree EaselBatchFetchStats *stats = easel_batch_fetch_finish (EASEL_CLIENT (source), result, &error);

  op->item->busy = FALSE;
  _easel_batch_item_set_fetching (op->item, FALSE);
  if (stats == NULL)
    {
      g_autofree char *message = NULL;

      if (is_cancelled (error))
        return;
      /* Resumable: the next try records only what is missing. */
      message = g_strdup_printf (_("Could not fetch the results: %s"), error->message);
      _easel_batch_item_set_error (op->item, message);
      schedule_backoff (op->self, op->item);
      return;
    }
  if (stats->n_images > 0)
    g_signal_emit (op->self, signals[IMAGES_RECORDED], 0, op->item);
  reload_job (op->self, op->item);
}

static void
start_fetch (EaselBatchList *self,
             EaselBatchItem *item)
{
  item->busy = TRUE;
  _easel_batch_item_set_fetching (item, TRUE);
  easel_batch_fetch_async (self->client, self->library, item->batch_id, self->cancellable,
                           fetched_cb, op_new (self, item));
}

static gpointer
update_job_func (EaselStore  *store,
                 gpointer     data,
                 GError     **error)
{
  if (!easel_store_update_batch (store, data, error))
    return NULL;
  return GINT_TO_POINTER (TRUE);
}

static void
info_stored_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;

  if (easel_library_run_finish (EASEL_LIBRARY (source), result, &error) == NULL)
    {
      if (is_cancelled (error))
        {
          op->item->busy = FALSE;
          return;
        }
      g_warning ("Could not record the state of batch %s: %s", op->item->batch_id, error->message);
    }

  op->item->busy = FALSE;
  /* The store says "finished" now: the fetch may begin. */
  if (easel_batch_item_get_finished (op->item))
    start_fetch (op->self, op->item);
  else
    schedule_backoff (op->self, op->item);
}

/* Takes @info: the item shows it, the library keeps it. */
static void
keep_info (EaselBatchList *self,
           EaselBatchItem *item,
           EaselBatchInfo *info)
{
  gint64 before = item->completed + item->failed;
  const char *old_status = item->status;
  gboolean moved = g_strcmp0 (old_status, info->status) != 0;

  _easel_batch_item_set_error (item, info->error_message);
  moved = moved || before != info->n_completed + info->n_failed;
  _easel_batch_item_update_from_info (item, info);
  /* Something is happening: look again soon rather than later. */
  if (moved)
    item->poll_ms = self->first_poll_ms;

  item->busy = TRUE;
  easel_library_run_async (self->library, update_job_func, info, (GDestroyNotify) easel_batch_info_free,
                           NULL, self->cancellable, info_stored_cb, op_new (self, item));
}

static void
retrieved_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;
  EaselBatchInfo *info = easel_batch_retrieve_finish (EASEL_CLIENT (source), result, &error);

  op->item->busy = FALSE;
  if (info == NULL)
    {
      g_autofree char *message = NULL;

      if (is_cancelled (error))
        return;
      message = g_strdup_printf (_("Could not check the job: %s"), error->message);
      _easel_batch_item_set_error (op->item, message);
      /* This server does not know the job (another server, or it was
       * deleted there): asking again will not change that. */
      if (error->domain == EASEL_API_ERROR && easel_api_error_get_status (error) == 404)
        return;
      schedule_backoff (op->self, op->item);
      return;
    }
  keep_info (op->self, op->item, info);
}

static void
poll_item (EaselBatchList *self,
           EaselBatchItem *item)
{
  g_assert (EASEL_IS_BATCH_LIST (self));
  g_assert (EASEL_IS_BATCH_ITEM (item));

  if (item->busy || item->batch_id == NULL || g_cancellable_is_cancelled (self->cancellable))
    return;

  if (easel_batch_item_get_finished (item))
    {
      if (!item->fetched)
        start_fetch (self, item);
      return;
    }

  /* No key yet (the keyring answers later, or none is set): wait. */
  if (!easel_client_has_api_key (self->client))
    {
      schedule_backoff (self, item);
      return;
    }

  item->busy = TRUE;
  easel_batch_retrieve_async (self->client, item->batch_id, self->cancellable, retrieved_cb, op_new (self, item));
}

/* Starts following @item if there is anything left to do for it. */
static void
watch (EaselBatchList *self,
       EaselBatchItem *item)
{
  if (item->batch_id == NULL || (easel_batch_item_get_finished (item) && item->fetched))
    return;
  item->watched = TRUE;
  item->poll_ms = self->first_poll_ms;
  /* A finished job is fetched at once; an unfinished one first checked. */
  schedule_poll (self, item, easel_batch_item_get_finished (item) ? 0 : 10);
}

/* ---- loading ------------------------------------------------------------ */

static void recover_submits (EaselBatchList *self);

static gpointer
list_jobs_func (EaselStore  *store,
                gpointer     data,
                GError     **error)
{
  return easel_store_list_batches (store, error);
}

static void
listed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  EaselBatchList *self = op->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) jobs = easel_library_run_finish (EASEL_LIBRARY (source), result, &error);
  guint before = self->items->len;

  self->loading = FALSE;
  if (jobs == NULL)
    {
      if (!is_cancelled (error))
        {
          g_autofree char *message = g_strdup_printf (_("Could not list the batch jobs: %s"), error->message);
          g_signal_emit (self, signals[ERROR], 0, message);
        }
      return;
    }

  /* Newest first, after anything submitted while the list was read. */
  for (guint i = 0; i < jobs->len; i++)
    {
      EaselBatchJob *job = jobs->pdata[i];
      gboolean known = FALSE;

      for (guint k = 0; k < before && !known; k++)
        known = ((EaselBatchItem *) self->items->pdata[k])->job_id == job->id;
      if (!known)
        g_ptr_array_add (self->items, _easel_batch_item_new (job));
    }
  if (self->items->len > before)
    g_list_model_items_changed (G_LIST_MODEL (self), before, 0, self->items->len - before);

  for (guint i = before; i < self->items->len; i++)
    watch (self, self->items->pdata[i]);

  self->loaded = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
  recover_submits (self);
}

static void
library_state_cb (EaselBatchList *self)
{
  if (self->loaded || self->loading ||
      easel_library_get_state (self->library) != EASEL_LIBRARY_STATE_READY)
    return;
  self->loading = TRUE;
  easel_library_run_async (self->library, list_jobs_func, NULL, NULL, (GDestroyNotify) g_ptr_array_unref,
                           self->cancellable, listed_cb, op_new (self, NULL));
}

/* ---- submit ------------------------------------------------------------- */

/* The core records the job (easel_batch_submit_to_library_async); the list
 * adds its row and watches it. */
static void
submitted_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  EaselBatchList *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselBatchJob) job = easel_batch_submit_to_library_finish (EASEL_CLIENT (source), result,
                                                                        NULL, NULL, &error);
  g_autoptr(EaselBatchItem) item = NULL;

  /* A create that may have gone through stays "submitting" in the
   * library; the next start looks for its batch (interrupted submits). */
  if (job == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  item = _easel_batch_item_new (job);
  g_ptr_array_insert (self->items, 0, g_object_ref (item));
  g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, 1);
  watch (self, item);
  g_task_return_pointer (task, g_steal_pointer (&item), g_object_unref);
}

void
easel_batch_list_submit_async (EaselBatchList      *self,
                               GPtrArray           *entries,
                               GBytes              *jsonl,
                               double               batch_usd,
                               double               full_usd,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (EASEL_IS_BATCH_LIST (self));
  g_return_if_fail (entries != NULL && entries->len > 0);
  g_return_if_fail (jsonl != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_batch_list_submit_async);
  easel_batch_submit_to_library_async (self->client, self->library, entries, jsonl, batch_usd, full_usd,
                                       cancellable, submitted_cb, g_steal_pointer (&task));
}

EaselBatchItem *
easel_batch_list_submit_finish (EaselBatchList  *self,
                                GAsyncResult    *result,
                                GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- interrupted submits ------------------------------------------------ */

/* A run that ended between the create and recording it left a
 * "submitting" job: find its batch on the server by its input file, as
 * `easel batch list` does. */

static void
recovered_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  EaselBatchList *self = op->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) jobs = easel_batch_recover_submits_finish (EASEL_CLIENT (source), result, &error);

  if (jobs == NULL)
    {
      if (!is_cancelled (error))
        g_debug ("Could not look for interrupted submits: %s", error->message);
      return;
    }
  for (guint i = 0; i < jobs->len; i++)
    {
      EaselBatchJob *job = jobs->pdata[i];

      for (guint k = 0; k < self->items->len; k++)
        {
          EaselBatchItem *item = self->items->pdata[k];

          if (item->job_id != job->id)
            continue;
          _easel_batch_item_update_from_job (item, job);
          watch (self, item);
          break;
        }
    }
}

static gboolean
recover_timeout_cb (gpointer user_data)
{
  EaselBatchList *self = user_data;

  self->recover_id = 0;
  recover_submits (self);
  return G_SOURCE_REMOVE;
}

static void
recover_submits (EaselBatchList *self)
{
  gboolean any = FALSE;

  for (guint i = 0; i < self->items->len && !any; i++)
    any = ((EaselBatchItem *) self->items->pdata[i])->batch_id == NULL &&
          ((EaselBatchItem *) self->items->pdata[i])->input_file_id != NULL;
  if (!any || g_cancellable_is_cancelled (self->cancellable))
    return;
  /* The keyring may answer after the library opened. */
  if (!easel_client_has_api_key (self->client))
    {
      if (self->recover_id == 0)
        self->recover_id = g_timeout_add_seconds (5, recover_timeout_cb, self);
      return;
    }
  easel_batch_recover_submits_async (self->client, self->library, self->cancellable, recovered_cb,
                                     op_new (self, NULL));
}

/* ---- cancel ------------------------------------------------------------- */

static void
cancel_sent_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  EaselBatchList *self = g_task_get_source_object (task);
  EaselBatchItem *item = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  EaselBatchInfo *info = easel_batch_cancel_finish (EASEL_CLIENT (source), result, &error);

  if (info == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* The next poll follows it to "cancelled", then fetches what was done. */
  if (!item->busy)
    {
      g_clear_handle_id (&item->poll_id, g_source_remove);
      item->watched = TRUE;
      keep_info (self, item, info);
    }
  else
    {
      _easel_batch_item_update_from_info (item, info);
      easel_batch_info_free (info);
    }
  g_task_return_boolean (task, TRUE);
}

void
easel_batch_list_cancel_async (EaselBatchList      *self,
                               EaselBatchItem      *item,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (EASEL_IS_BATCH_LIST (self));
  g_return_if_fail (EASEL_IS_BATCH_ITEM (item));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_batch_list_cancel_async);
  g_task_set_task_data (task, g_object_ref (item), g_object_unref);
  if (!easel_batch_item_get_can_cancel (item))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               _("This job can no longer be cancelled"));
      return;
    }
  easel_batch_cancel_async (self->client, item->batch_id, cancellable, cancel_sent_cb, g_steal_pointer (&task));
}

gboolean
easel_batch_list_cancel_finish (EaselBatchList  *self,
                                GAsyncResult    *result,
                                GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- the object --------------------------------------------------------- */

EaselBatchList *
easel_batch_list_new (EaselClient  *client,
                      EaselLibrary *library)
{
  g_return_val_if_fail (EASEL_IS_CLIENT (client), NULL);
  g_return_val_if_fail (EASEL_IS_LIBRARY (library), NULL);

  return g_object_new (EASEL_TYPE_BATCH_LIST, "client", client, "library", library, NULL);
}

gboolean
easel_batch_list_get_loaded (EaselBatchList *self)
{
  g_return_val_if_fail (EASEL_IS_BATCH_LIST (self), FALSE);
  return self->loaded;
}

EaselBatchItem *
easel_batch_list_find (EaselBatchList *self,
                       const char     *batch_id)
{
  g_return_val_if_fail (EASEL_IS_BATCH_LIST (self), NULL);

  for (guint i = 0; batch_id != NULL && i < self->items->len; i++)
    if (g_strcmp0 (((EaselBatchItem *) self->items->pdata[i])->batch_id, batch_id) == 0)
      return self->items->pdata[i];
  return NULL;
}

static void
easel_batch_list_constructed (GObject *object)
{
  EaselBatchList *self = (EaselBatchList *)object;

  G_OBJECT_CLASS (easel_batch_list_parent_class)->constructed (object);

  g_signal_connect_object (self->library, "notify::state", G_CALLBACK (library_state_cb), self, G_CONNECT_SWAPPED);
  library_state_cb (self);
}

static void
easel_batch_list_dispose (GObject *object)
{
  EaselBatchList *self = (EaselBatchList *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->recover_id, g_source_remove);
  for (guint i = 0; i < self->items->len; i++)
    g_clear_handle_id (&((EaselBatchItem *) self->items->pdata[i])->poll_id, g_source_remove);
  g_clear_object (&self->client);
  g_clear_object (&self->library);

  G_OBJECT_CLASS (easel_batch_list_parent_class)->dispose (object);
}

static void
easel_batch_list_finalize (GObject *object)
{
  EaselBatchList *self = (EaselBatchList *)object;

  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (easel_batch_list_parent_class)->finalize (object);
}

static void
easel_batch_list_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  EaselBatchList *self = EASEL_BATCH_LIST (object);

  switch (prop_id)
    {
    case PROP_CLIENT: g_value_set_object (value, self->client); break;
    case PROP_LIBRARY: g_value_set_object (value, self->library); break;
    case PROP_LOADED: g_value_set_boolean (value, self->loaded); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_batch_list_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  EaselBatchList *self = EASEL_BATCH_LIST (object);

  switch (prop_id)
    {
    case PROP_CLIENT: self->client = g_value_dup_object (value); break;
    case PROP_LIBRARY: self->library = g_value_dup_object (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_batch_list_class_init (EaselBatchListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = easel_batch_list_constructed;
  object_class->dispose = easel_batch_list_dispose;
  object_class->finalize = easel_batch_list_finalize;
  object_class->get_property = easel_batch_list_get_property;
  object_class->set_property = easel_batch_list_set_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, EASEL_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LIBRARY] =
    g_param_spec_object ("library", NULL, NULL, EASEL_TYPE_LIBRARY,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADED] =
    g_param_spec_boolean ("loaded", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[JOB_FINISHED] =
    g_signal_new ("job-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, EASEL_TYPE_BATCH_ITEM);
  signals[IMAGES_RECORDED] =
    g_signal_new ("images-recorded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, EASEL_TYPE_BATCH_ITEM);
  signals[ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
easel_batch_list_init (EaselBatchList *self)
{
  const char *poll = g_getenv ("EASEL_BATCH_POLL_MS");
  guint64 v = 0;

  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->cancellable = g_cancellable_new ();
  self->first_poll_ms = poll && g_ascii_string_to_unsigned (poll, 10, 1, MAX_POLL_MS, &v, NULL)
                        ? (guint) v : DEFAULT_POLL_MS;
}
