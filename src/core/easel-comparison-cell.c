/* easel-comparison-cell.c: one cell of a Compare grid
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-comparison"

#include "config.h"

#include "easel-comparison-private.h"
#include "easel-models.h"

GType
easel_comparison_cell_state_get_type (void)
{
  static gsize type = 0;

  if (g_once_init_enter (&type))
    {
      static const GEnumValue values[] = {
        { EASEL_COMPARISON_CELL_WAITING, "EASEL_COMPARISON_CELL_WAITING", "waiting" },
        { EASEL_COMPARISON_CELL_RUNNING, "EASEL_COMPARISON_CELL_RUNNING", "running" },
        { EASEL_COMPARISON_CELL_DONE, "EASEL_COMPARISON_CELL_DONE", "done" },
        { EASEL_COMPARISON_CELL_FAILED, "EASEL_COMPARISON_CELL_FAILED", "failed" },
        { EASEL_COMPARISON_CELL_CANCELLED, "EASEL_COMPARISON_CELL_CANCELLED", "cancelled" },
        { 0, NULL, NULL }
      };
      g_once_init_leave (&type, g_enum_register_static ("EaselComparisonCellState", values));
    }
  return type;
}

const char *
easel_comparison_cell_state_to_string (EaselComparisonCellState state)
{
  switch (state)
    {
    case EASEL_COMPARISON_CELL_WAITING:   return "waiting";
    case EASEL_COMPARISON_CELL_RUNNING:   return "running";
    case EASEL_COMPARISON_CELL_DONE:      return "done";
    case EASEL_COMPARISON_CELL_FAILED:    return "failed";
    case EASEL_COMPARISON_CELL_CANCELLED: return "cancelled";
    default:                              return "unknown";
    }
}

/* ------------------------------------------------------------------------- */
/* EaselComparisonCell */


G_DEFINE_FINAL_TYPE (EaselComparisonCell, easel_comparison_cell, G_TYPE_OBJECT)

enum {
  CELL_PROP_0,
  CELL_PROP_INDEX,
  CELL_PROP_MODEL,
  CELL_PROP_QUALITY,
  CELL_PROP_SIZE,
  CELL_PROP_LABEL,
  CELL_PROP_ESTIMATE_USD,
  CELL_PROP_STATE,
  CELL_PROP_PARTIAL,
  CELL_PROP_N_PARTIALS,
  CELL_PROP_IMAGE,
  CELL_PROP_ACTUAL_USD,
  CELL_PROP_INPUT_TOKENS,
  CELL_PROP_OUTPUT_TOKENS,
  CELL_PROP_ELAPSED,
  CELL_PROP_GENERATION_ID,
  CELL_PROP_ERROR_MESSAGE,
  N_CELL_PROPS
};

static GParamSpec *cell_props[N_CELL_PROPS];

static void
easel_comparison_cell_finalize (GObject *object)
{
  EaselComparisonCell *self = EASEL_COMPARISON_CELL (object);

  g_clear_pointer (&self->request, easel_request_free);
  g_clear_pointer (&self->label, g_free);
  g_clear_pointer (&self->partial, g_bytes_unref);
  g_clear_pointer (&self->result, easel_result_free);
  g_clear_pointer (&self->image, g_bytes_unref);
  g_clear_pointer (&self->image_format, g_free);
  g_clear_pointer (&self->path, g_free);
  g_clear_error (&self->error);
  G_OBJECT_CLASS (easel_comparison_cell_parent_class)->finalize (object);
}

static gint64
cell_tokens (EaselComparisonCell *self,
             gboolean             output)
{
  if (self->result == NULL || !self->result->usage.present)
    return -1;
  return output ? self->result->usage.output_tokens : self->result->usage.input_tokens;
}

static void
easel_comparison_cell_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  EaselComparisonCell *self = EASEL_COMPARISON_CELL (object);

  switch (prop_id)
    {
    case CELL_PROP_INDEX:         g_value_set_uint (value, self->index); break;
    case CELL_PROP_MODEL:         g_value_set_string (value, self->request->model); break;
    case CELL_PROP_QUALITY:       g_value_set_string (value, self->request->quality); break;
    case CELL_PROP_SIZE:          g_value_set_string (value, self->request->size); break;
    case CELL_PROP_LABEL:         g_value_set_string (value, self->label); break;
    case CELL_PROP_ESTIMATE_USD:  g_value_set_double (value, self->estimate.usd); break;
    case CELL_PROP_STATE:         g_value_set_enum (value, self->state); break;
    case CELL_PROP_PARTIAL:       g_value_set_boxed (value, self->partial); break;
    case CELL_PROP_N_PARTIALS:    g_value_set_uint (value, self->n_partials); break;
    case CELL_PROP_IMAGE:         g_value_set_boxed (value, self->image); break;
    case CELL_PROP_ACTUAL_USD:    g_value_set_double (value, self->actual_usd); break;
    case CELL_PROP_INPUT_TOKENS:  g_value_set_int64 (value, cell_tokens (self, FALSE)); break;
    case CELL_PROP_OUTPUT_TOKENS: g_value_set_int64 (value, cell_tokens (self, TRUE)); break;
    case CELL_PROP_ELAPSED:       g_value_set_double (value, self->elapsed); break;
    case CELL_PROP_GENERATION_ID: g_value_set_int64 (value, self->generation_id); break;
    case CELL_PROP_ERROR_MESSAGE: g_value_set_string (value, self->error ? self->error->message : NULL); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_comparison_cell_class_init (EaselComparisonCellClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = easel_comparison_cell_finalize;
  object_class->get_property = easel_comparison_cell_get_property;

  cell_props[CELL_PROP_INDEX] = g_param_spec_uint ("index", NULL, NULL, 0, G_MAXUINT, 0, flags);
  cell_props[CELL_PROP_MODEL] = g_param_spec_string ("model", NULL, NULL, NULL, flags);
  cell_props[CELL_PROP_QUALITY] = g_param_spec_string ("quality", NULL, NULL, NULL, flags);
  cell_props[CELL_PROP_SIZE] = g_param_spec_string ("size", NULL, NULL, NULL, flags);
  cell_props[CELL_PROP_LABEL] = g_param_spec_string ("label", NULL, NULL, NULL, flags);
  cell_props[CELL_PROP_ESTIMATE_USD] = g_param_spec_double ("estimate-usd", NULL, NULL, -1, G_MAXDOUBLE, -1, flags);
  cell_props[CELL_PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, EASEL_TYPE_COMPARISON_CELL_STATE,
                                                   EASEL_COMPARISON_CELL_WAITING, flags);
  cell_props[CELL_PROP_PARTIAL] = g_param_spec_boxed ("partial", NULL, NULL, G_TYPE_BYTES, flags);
  cell_props[CELL_PROP_N_PARTIALS] = g_param_spec_uint ("n-partials", NULL, NULL, 0, G_MAXUINT, 0, flags);
  cell_props[CELL_PROP_IMAGE] = g_param_spec_boxed ("image", NULL, NULL, G_TYPE_BYTES, flags);
  cell_props[CELL_PROP_ACTUAL_USD] = g_param_spec_double ("actual-usd", NULL, NULL, -1, G_MAXDOUBLE, -1, flags);
  cell_props[CELL_PROP_INPUT_TOKENS] = g_param_spec_int64 ("input-tokens", NULL, NULL, -1, G_MAXINT64, -1, flags);
  cell_props[CELL_PROP_OUTPUT_TOKENS] = g_param_spec_int64 ("output-tokens", NULL, NULL, -1, G_MAXINT64, -1, flags);
  cell_props[CELL_PROP_ELAPSED] = g_param_spec_double ("elapsed", NULL, NULL, 0, G_MAXDOUBLE, 0, flags);
  cell_props[CELL_PROP_GENERATION_ID] = g_param_spec_int64 ("generation-id", NULL, NULL, 0, G_MAXINT64, 0, flags);
  cell_props[CELL_PROP_ERROR_MESSAGE] = g_param_spec_string ("error-message", NULL, NULL, NULL, flags);
  g_object_class_install_properties (object_class, N_CELL_PROPS, cell_props);
}

static void
easel_comparison_cell_init (EaselComparisonCell *self)
{
  self->actual_usd = -1;
}

guint
easel_comparison_cell_get_index (EaselComparisonCell *self)
{
  g_return_val_if_fail (EASEL_IS_COMPARISON_CELL (self), 0);
  return self->index;
}

const EaselRequest *
easel_comparison_cell_get_request (EaselComparisonCell *self)
{
  g_return_val_if_fail (EASEL_IS_COMPARISON_CELL (self), NULL);
  return self->request;
}

const char *
easel_comparison_cell_get_model (EaselComparisonCell *self)
{
  g_return_val_if_fail (EASEL_IS_COMPARISON_CELL (self), NULL);
  return self->request->model;
}

const char *
easel_comparison_cell_get_quality (EaselComparisonCell *self)
{
  g_return_val_if_fail (EASEL_IS_COMPARISON_CELL (self), NULL);
  return self->request->quality;
}

const char *
easel_comparison_cell_get_size (EaselComparisonCell *self)
{
  g_return_val_if_fail (EASEL_IS_COMPARISON_CELL (self), NULL);
  return self->request->size;
}

const char *
easel_comparison_cell_get_label (EaselComparisonCell *self)
{
  g_return_val_if_fail (EASEL_IS_COMPARISON_CELL (self), NULL);
  return self->label;
}

const EaselCostEstimate *
easel_comparison_cell_get_estimate (EaselComparisonCell *self)
{
  g_return_val_if_fail (EASEL_IS_COMPARISON_CELL (self), NULL);
  return &self->estimate;
}

EaselComparisonCellState
easel_comparison_cell_get_state (EaselComparisonCell *self)
{
  g_return_val_if_fail (EASEL_IS_COMPARISON_CELL (self), EASEL_COMPARISON_CELL_WAITING);
  return self->state;
}

GBytes *
easel_comparison_cell_get_partial (EaselComparisonCell *self)
{
  g_return_val_if_fail (EASEL_IS_COMPARISON_CELL (self), NULL);
  return self->partial;
}

GBytes *
easel_comparison_cell_get_image (EaselComparisonCell *self)
{
  g_return_val_if_fail (EASEL_IS_COMPARISON_CELL (self), NULL);
  return self->image;
}

const char *
easel_comparison_cell_get_image_format (EaselComparisonCell *self)
{
  g_return_val_if_fail (EASEL_IS_COMPARISON_CELL (self), NULL);
  return self->image_format;
}

const EaselResult *
easel_comparison_cell_get_result (EaselComparisonCell *self)
{
  g_return_val_if_fail (EASEL_IS_COMPARISON_CELL (self), NULL);
  return self->result;
}

double
easel_comparison_cell_get_actual_usd (EaselComparisonCell *self)
{
  g_return_val_if_fail (EASEL_IS_COMPARISON_CELL (self), -1);
  return self->actual_usd;
}

double
easel_comparison_cell_get_elapsed (EaselComparisonCell *self)
{
  g_return_val_if_fail (EASEL_IS_COMPARISON_CELL (self), 0);
  return self->elapsed;
}

gint64
easel_comparison_cell_get_generation_id (EaselComparisonCell *self)
{
  g_return_val_if_fail (EASEL_IS_COMPARISON_CELL (self), 0);
  return self->generation_id;
}

guint
easel_comparison_cell_get_n_partials (EaselComparisonCell *self)
{
  g_return_val_if_fail (EASEL_IS_COMPARISON_CELL (self), 0);
  return self->n_partials;
}

const char *
easel_comparison_cell_get_path (EaselComparisonCell *self)
{
  g_return_val_if_fail (EASEL_IS_COMPARISON_CELL (self), NULL);
  return self->path;
}

const GError *
easel_comparison_cell_get_error (EaselComparisonCell *self)
{
  g_return_val_if_fail (EASEL_IS_COMPARISON_CELL (self), NULL);
  return self->error;
}

static void
set_state (EaselComparisonCell      *self,
           EaselComparisonCellState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), cell_props[CELL_PROP_STATE]);
}

EaselComparisonCell *
_easel_comparison_cell_new (const EaselRequest *base,
                            guint               index,
                            const char         *model,
                            const char         *quality,
                            const char         *size,
                            gboolean            label_size)
{
  EaselComparisonCell *cell = g_object_new (EASEL_TYPE_COMPARISON_CELL, NULL);
  EaselRequest *request = easel_request_copy (base);
  const EaselModelInfo *info;

  g_free (request->model);
  request->model = g_strdup (model);
  g_free (request->quality);
  request->quality = g_strdup (quality);
  if (size != NULL)
    {
      g_free (request->size);
      request->size = g_strdup (size);
    }
  request->n = 1;
  /* A model that cannot stream still answers, without partials. */
  info = easel_model_lookup (model);
  if (info != NULL && !info->supports_stream)
    {
      request->stream = FALSE;
      request->partial_images = -1;
    }

  cell->index = index;
  cell->request = request;
  if (label_size && request->size != NULL)
    cell->label = g_strdup_printf ("%s · %s · %s", model, quality ? quality : "auto", request->size);
  else
    cell->label = g_strdup_printf ("%s · %s", model, quality ? quality : "auto");
  easel_cost_estimate (request, &cell->estimate);
  return cell;
}

/* ---- what a run does to a cell (easel-comparison.c) -------------------- */

void
_easel_comparison_cell_start (EaselComparisonCell *self)
{
  g_assert (EASEL_IS_COMPARISON_CELL (self));

  self->started = g_get_monotonic_time ();
  set_state (self, EASEL_COMPARISON_CELL_RUNNING);
}

void
_easel_comparison_cell_add_partial (EaselComparisonCell *self,
                                    GBytes              *image)
{
  g_assert (EASEL_IS_COMPARISON_CELL (self));

  g_clear_pointer (&self->partial, g_bytes_unref);
  self->partial = g_bytes_ref (image);
  self->n_partials++;
  g_object_notify_by_pspec (G_OBJECT (self), cell_props[CELL_PROP_PARTIAL]);
  g_object_notify_by_pspec (G_OBJECT (self), cell_props[CELL_PROP_N_PARTIALS]);
}

void
_easel_comparison_cell_finish (EaselComparisonCell *self,
                               const EaselResult   *answer,
                               const GError        *error)
{
  GObject *object = G_OBJECT (self);

  g_assert (EASEL_IS_COMPARISON_CELL (self));
  g_assert (answer != NULL || error != NULL);

  self->elapsed = (g_get_monotonic_time () - self->started) / (double) G_USEC_PER_SEC;

  g_object_freeze_notify (object);
  if (answer != NULL)
    {
      EaselImage *image = answer->images->len > 0 ? answer->images->pdata[0] : NULL;

      if (image != NULL && image->bytes != NULL)
        {
          self->image = g_bytes_ref (image->bytes);
          self->image_format = g_strdup (image->output_format ? image->output_format
                                         : self->request->output_format ? self->request->output_format : "png");
          g_object_notify_by_pspec (object, cell_props[CELL_PROP_IMAGE]);
          set_state (self, EASEL_COMPARISON_CELL_DONE);
        }
      else
        {
          self->error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "The server answered without an image");
          set_state (self, EASEL_COMPARISON_CELL_FAILED);
        }
      self->actual_usd = easel_cost_usd_for_usage (self->request->model, self->request->quality,
                                                   self->request->size, &answer->usage,
                                                   MAX (answer->images->len, 1));
      self->result = easel_result_copy (answer);
      g_object_notify_by_pspec (object, cell_props[CELL_PROP_INPUT_TOKENS]);
      g_object_notify_by_pspec (object, cell_props[CELL_PROP_OUTPUT_TOKENS]);
    }
  else
    {
      self->error = g_error_copy (error);
      set_state (self, g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                       ? EASEL_COMPARISON_CELL_CANCELLED : EASEL_COMPARISON_CELL_FAILED);
    }
  g_object_notify_by_pspec (object, cell_props[CELL_PROP_ACTUAL_USD]);
  g_object_notify_by_pspec (object, cell_props[CELL_PROP_ELAPSED]);
  g_object_notify_by_pspec (object, cell_props[CELL_PROP_ERROR_MESSAGE]);
  g_object_thaw_notify (object);
}

void
_easel_comparison_cell_cancel (EaselComparisonCell *self)
{
  g_assert (EASEL_IS_COMPARISON_CELL (self));

  set_state (self, EASEL_COMPARISON_CELL_CANCELLED);
}

void
_easel_comparison_cell_set_recorded (EaselComparisonCell *self,
                                     gint64               generation_id,
                                     const char          *path)
{
  g_assert (EASEL_IS_COMPARISON_CELL (self));

  self->generation_id = generation_id;
  g_free (self->path);
  self->path = g_strdup (path);
  g_object_notify_by_pspec (G_OBJECT (self), cell_props[CELL_PROP_GENERATION_ID]);
}
