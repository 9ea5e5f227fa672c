/* easel-batch-item.c: one Batch API job, as the Batches place shows it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-batch-item"

#include "config.h"

#include "easel-batch-private.h"

G_DEFINE_FINAL_TYPE (EaselBatchItem, easel_batch_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_JOB_ID,
  PROP_BATCH_ID,
  PROP_STATUS,
  PROP_TOTAL,
  PROP_COMPLETED,
  PROP_FAILED,
  PROP_PROGRESS,
  PROP_FINISHED,
  PROP_FETCHED,
  PROP_FETCHING,
  PROP_N_IMAGES,
  PROP_ESTIMATE,
  PROP_FULL_PRICE,
  PROP_COST,
  PROP_CREATED,
  PROP_ERROR_MESSAGE,
  PROP_CAN_CANCEL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
set_string (EaselBatchItem  *self,
            char           **field,
            const char      *value,
            guint            prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_int (EaselBatchItem *self,
         gint64         *field,
         gint64          value,
         guint           prop)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_double (EaselBatchItem *self,
            double         *field,
            double          value,
            guint           prop)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

/* Status and counts change together; the derived properties follow them. */
static void
set_state (EaselBatchItem *self,
           const char     *status,
           gint64          total,
           gint64          completed,
           gint64          failed)
{
  gboolean was_finished = easel_batch_item_get_finished (self);
  gboolean could_cancel = easel_batch_item_get_can_cancel (self);
  double progress = easel_batch_item_get_total (self) > 0
                    ? (double) (self->completed + self->failed) / self->total : 0;

  set_string (self, &self->status, status, PROP_STATUS);
  set_int (self, &self->total, MAX (total, 0), PROP_TOTAL);
  set_int (self, &self->completed, CLAMP (completed, 0, self->total), PROP_COMPLETED);
  set_int (self, &self->failed, CLAMP (failed, 0, self->total), PROP_FAILED);
  if (progress != (self->total > 0 ? (double) (self->completed + self->failed) / self->total : 0))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS]);
  if (was_finished != easel_batch_item_get_finished (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FINISHED]);
  if (could_cancel != easel_batch_item_get_can_cancel (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_CANCEL]);
}

EaselBatchItem *
_easel_batch_item_new (const EaselBatchJob *job)
{
  EaselBatchItem *self = g_object_new (EASEL_TYPE_BATCH_ITEM, NULL);

  g_return_val_if_fail (job != NULL, NULL);

  self->job_id = job->id;
  self->input_file_id = g_strdup (job->input_file_id);
  self->created = job->created;
  _easel_batch_item_update_from_job (self, job);
  return self;
}

void
_easel_batch_item_update_from_job (EaselBatchItem      *self,
                                   const EaselBatchJob *job)
{
  g_return_if_fail (EASEL_IS_BATCH_ITEM (self));
  g_return_if_fail (job != NULL);

  g_object_freeze_notify (G_OBJECT (self));
  set_string (self, &self->batch_id, job->batch_id, PROP_BATCH_ID);
  set_state (self, job->status, job->n_total, job->n_completed, job->n_failed);
  set_double (self, &self->estimate, job->estimated_usd, PROP_ESTIMATE);
  set_double (self, &self->full_price, job->full_usd, PROP_FULL_PRICE);
  set_double (self, &self->cost, job->actual_usd, PROP_COST);
  if (self->fetched != job->fetched)
    {
      self->fetched = job->fetched;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FETCHED]);
    }
  if (self->n_images != job->n_lines_ok)
    {
      self->n_images = job->n_lines_ok;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_IMAGES]);
    }
  self->n_lines_failed = job->n_lines_failed;
  if (job->error_message != NULL)
    _easel_batch_item_set_error (self, job->error_message);
  g_object_thaw_notify (G_OBJECT (self));
}

void
_easel_batch_item_update_from_info (EaselBatchItem       *self,
                                    const EaselBatchInfo *info)
{
  g_return_if_fail (EASEL_IS_BATCH_ITEM (self));
  g_return_if_fail (info != NULL);

  g_object_freeze_notify (G_OBJECT (self));
  set_string (self, &self->batch_id, info->id, PROP_BATCH_ID);
  set_state (self, info->status, info->n_total, info->n_completed, info->n_failed);
  if (info->error_message != NULL)
    _easel_batch_item_set_error (self, info->error_message);
  g_object_thaw_notify (G_OBJECT (self));
}

void
_easel_batch_item_set_fetching (EaselBatchItem *self,
                                gboolean        fetching)
{
  g_return_if_fail (EASEL_IS_BATCH_ITEM (self));

  if (self->fetching == !!fetching)
    return;
  self->fetching = !!fetching;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FETCHING]);
}

void
_easel_batch_item_set_error (EaselBatchItem *self,
                             const char     *message)
{
  g_autofree char *safe = easel_text_escape_untrusted (message, 300);

  g_return_if_fail (EASEL_IS_BATCH_ITEM (self));
  set_string (self, &self->error_message, safe, PROP_ERROR_MESSAGE);
}

gint64      easel_batch_item_get_job_id        (EaselBatchItem *self) { g_return_val_if_fail (EASEL_IS_BATCH_ITEM (self), 0); return self->job_id; }
const char *easel_batch_item_get_batch_id      (EaselBatchItem *self) { g_return_val_if_fail (EASEL_IS_BATCH_ITEM (self), NULL); return self->batch_id; }
const char *easel_batch_item_get_status        (EaselBatchItem *self) { g_return_val_if_fail (EASEL_IS_BATCH_ITEM (self), NULL); return self->status; }
gint64      easel_batch_item_get_total         (EaselBatchItem *self) { g_return_val_if_fail (EASEL_IS_BATCH_ITEM (self), 0); return self->total; }
gint64      easel_batch_item_get_completed     (EaselBatchItem *self) { g_return_val_if_fail (EASEL_IS_BATCH_ITEM (self), 0); return self->completed; }
gint64      easel_batch_item_get_failed        (EaselBatchItem *self) { g_return_val_if_fail (EASEL_IS_BATCH_ITEM (self), 0); return self->failed; }
gboolean    easel_batch_item_get_fetched       (EaselBatchItem *self) { g_return_val_if_fail (EASEL_IS_BATCH_ITEM (self), FALSE); return self->fetched; }
gboolean    easel_batch_item_get_fetching      (EaselBatchItem *self) { g_return_val_if_fail (EASEL_IS_BATCH_ITEM (self), FALSE); return self->fetching; }
guint       easel_batch_item_get_n_images      (EaselBatchItem *self) { g_return_val_if_fail (EASEL_IS_BATCH_ITEM (self), 0); return self->n_images; }
guint       easel_batch_item_get_n_lines_failed (EaselBatchItem *self) { g_return_val_if_fail (EASEL_IS_BATCH_ITEM (self), 0); return self->n_lines_failed; }
double      easel_batch_item_get_estimate      (EaselBatchItem *self) { g_return_val_if_fail (EASEL_IS_BATCH_ITEM (self), -1); return self->estimate; }
double      easel_batch_item_get_full_price    (EaselBatchItem *self) { g_return_val_if_fail (EASEL_IS_BATCH_ITEM (self), -1); return self->full_price; }
double      easel_batch_item_get_cost          (EaselBatchItem *self) { g_return_val_if_fail (EASEL_IS_BATCH_ITEM (self), -1); return self->cost; }
const char *easel_batch_item_get_error_message (EaselBatchItem *self) { g_return_val_if_fail (EASEL_IS_BATCH_ITEM (self), NULL); return self->error_message; }

gboolean
easel_batch_item_get_finished (EaselBatchItem *self)
{
  g_return_val_if_fail (EASEL_IS_BATCH_ITEM (self), FALSE);
  return self->status != NULL && easel_batch_status_is_terminal (self->status);
}

gboolean
easel_batch_item_get_can_cancel (EaselBatchItem *self)
{
  g_return_val_if_fail (EASEL_IS_BATCH_ITEM (self), FALSE);
  return self->batch_id != NULL && !easel_batch_item_get_finished (self) &&
         g_strcmp0 (self->status, "cancelling") != 0;
}

static void
easel_batch_item_finalize (GObject *object)
{
  EaselBatchItem *self = (EaselBatchItem *)object;

  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_free (self->batch_id);
  g_free (self->status);
  g_free (self->error_message);
  g_free (self->input_file_id);

  G_OBJECT_CLASS (easel_batch_item_parent_class)->finalize (object);
}

static void
easel_batch_item_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  EaselBatchItem *self = EASEL_BATCH_ITEM (object);

  switch (prop_id)
    {
    case PROP_JOB_ID: g_value_set_int64 (value, self->job_id); break;
    case PROP_BATCH_ID: g_value_set_string (value, self->batch_id); break;
    case PROP_STATUS: g_value_set_string (value, self->status); break;
    case PROP_TOTAL: g_value_set_int64 (value, self->total); break;
    case PROP_COMPLETED: g_value_set_int64 (value, self->completed); break;
    case PROP_FAILED: g_value_set_int64 (value, self->failed); break;
    case PROP_PROGRESS:
      g_value_set_double (value, self->total > 0 ? (double) (self->completed + self->failed) / self->total : 0);
      break;
    case PROP_FINISHED: g_value_set_boolean (value, easel_batch_item_get_finished (self)); break;
    case PROP_FETCHED: g_value_set_boolean (value, self->fetched); break;
    case PROP_FETCHING: g_value_set_boolean (value, self->fetching); break;
    case PROP_N_IMAGES: g_value_set_uint (value, self->n_images); break;
    case PROP_ESTIMATE: g_value_set_double (value, self->estimate); break;
    case PROP_FULL_PRICE: g_value_set_double (value, self->full_price); break;
    case PROP_COST: g_value_set_double (value, self->cost); break;
    case PROP_CREATED: g_value_set_int64 (value, self->created); break;
    case PROP_ERROR_MESSAGE: g_value_set_string (value, self->error_message); break;
    case PROP_CAN_CANCEL: g_value_set_boolean (value, easel_batch_item_get_can_cancel (self)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_batch_item_class_init (EaselBatchItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = easel_batch_item_finalize;
  object_class->get_property = easel_batch_item_get_property;

  properties[PROP_JOB_ID] = g_param_spec_int64 ("job-id", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_BATCH_ID] = g_param_spec_string ("batch-id", NULL, NULL, NULL, flags);
  properties[PROP_STATUS] = g_param_spec_string ("status", NULL, NULL, NULL, flags);
  properties[PROP_TOTAL] = g_param_spec_int64 ("total", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_COMPLETED] = g_param_spec_int64 ("completed", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_FAILED] = g_param_spec_int64 ("failed", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_PROGRESS] = g_param_spec_double ("progress", NULL, NULL, 0, 1, 0, flags);
  properties[PROP_FINISHED] = g_param_spec_boolean ("finished", NULL, NULL, FALSE, flags);
  properties[PROP_FETCHED] = g_param_spec_boolean ("fetched", NULL, NULL, FALSE, flags);
  properties[PROP_FETCHING] = g_param_spec_boolean ("fetching", NULL, NULL, FALSE, flags);
  properties[PROP_N_IMAGES] = g_param_spec_uint ("n-images", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_ESTIMATE] = g_param_spec_double ("estimate", NULL, NULL, -1, G_MAXDOUBLE, -1, flags);
  properties[PROP_FULL_PRICE] = g_param_spec_double ("full-price", NULL, NULL, -1, G_MAXDOUBLE, -1, flags);
  properties[PROP_COST] = g_param_spec_double ("cost", NULL, NULL, -1, G_MAXDOUBLE, -1, flags);
  properties[PROP_CREATED] = g_param_spec_int64 ("created", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_ERROR_MESSAGE] = g_param_spec_string ("error-message", NULL, NULL, NULL, flags);
  properties[PROP_CAN_CANCEL] = g_param_spec_boolean ("can-cancel", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
easel_batch_item_init (EaselBatchItem *self)
{
  self->estimate = -1;
  self->full_price = -1;
  self->cost = -1;
}
