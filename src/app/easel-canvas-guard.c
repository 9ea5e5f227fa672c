/* easel-canvas-guard.c: the mask guard: drift report and restoring protected pixels
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-canvas"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "easel-canvas-private.h"
#include "easel-image-size.h"

#define DRIFT_THRESHOLD 16

typedef struct
{
  GBytes *original_bytes;
  GBytes *result_bytes;
  guint8 *selection;
  int width, height;
  double feather;
  GdkPixbuf *original;
  GdkPixbuf *result;
  EaselDriftReport *report;
  GdkTexture *heat;
  GdkTexture *restored;
  GBytes *restored_png;
} GuardJob;

static void
guard_job_free (GuardJob *job)
{
  g_clear_pointer (&job->original_bytes, g_bytes_unref);
  g_clear_pointer (&job->result_bytes, g_bytes_unref);
  g_clear_pointer (&job->restored_png, g_bytes_unref);
  g_clear_pointer (&job->report, easel_drift_report_free);
  g_clear_object (&job->original);
  g_clear_object (&job->result);
  g_clear_object (&job->heat);
  g_clear_object (&job->restored);
  g_free (job->selection);
  g_free (job);
}

static GdkPixbuf *
decode_bytes (GBytes *bytes, GError **error)
{
  g_autoptr(GdkPixbufLoader) loader = NULL;

  if (!easel_image_check_size (bytes, NULL, NULL, error))
    return NULL;

  loader = gdk_pixbuf_loader_new ();
  if (!gdk_pixbuf_loader_write_bytes (loader, bytes, error) || !gdk_pixbuf_loader_close (loader, error))
    return NULL;
  return g_object_ref (gdk_pixbuf_loader_get_pixbuf (loader));
}

static void
drift_thread (GTask        *task,
              gpointer      source,
              gpointer      data,
              GCancellable *cancellable)
{
  GuardJob *job = data;
  GError *error = NULL;

  if (job->original == NULL && !(job->original = decode_bytes (job->original_bytes, &error)))
    {
      g_task_return_error (task, error);
      return;
    }
  if (!(job->result = decode_bytes (job->result_bytes, &error)))
    {
      g_task_return_error (task, error);
      return;
    }
  if (gdk_pixbuf_get_width (job->original) != job->width || gdk_pixbuf_get_height (job->original) != job->height)
    {
      g_task_return_new_error (task, EASEL_MASK_ERROR, EASEL_MASK_ERROR_SIZE_MISMATCH,
                               "The mask no longer matches the image it was painted on");
      return;
    }

  /* A result of another shape (an 800×600 image edited into a 1024×1024
   * one) cannot be laid over the original: stretching it would report
   * nearly every protected pixel as drifted. Another size of the same
   * shape is scaled and compared. */
  if (fabs ((double) gdk_pixbuf_get_width (job->result) / gdk_pixbuf_get_height (job->result) -
            (double) job->width / job->height) > 0.01)
    {
      g_task_return_new_error (task, EASEL_MASK_ERROR, EASEL_MASK_ERROR_SIZE_MISMATCH,
                               _("The result came back %d × %d, another shape than the %d × %d image: "
                                 "its pixels cannot be compared"),
                               gdk_pixbuf_get_width (job->result), gdk_pixbuf_get_height (job->result),
                               job->width, job->height);
      return;
    }

  job->report = easel_drift_compare (job->original, job->result, job->selection,
                                     job->width, job->height, DRIFT_THRESHOLD);
  job->heat = gdk_memory_texture_new (job->width, job->height, GDK_MEMORY_R8G8B8A8,
                                      job->report->heatmap, (gsize) job->width * 4);
  g_task_return_boolean (task, TRUE);
}

/* Shows @summary (taken) in the report bar above the image. */
static void
show_drift_summary (EaselCanvas *self,
                    char        *summary)
{
  g_free (self->drift_summary);
  self->drift_summary = summary;
  gtk_label_set_label (GTK_LABEL (self->drift_label), self->drift_summary);
  gtk_widget_set_visible (self->drift_bar, TRUE);
  _easel_canvas_update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), _easel_canvas_properties[PROP_DRIFT_SUMMARY]);
}

static void
drift_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  EaselCanvas *self = EASEL_CANVAS (object);
  GuardJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      /* Said where the report would be, with nothing to show or restore. */
      if (g_error_matches (error, EASEL_MASK_ERROR, EASEL_MASK_ERROR_SIZE_MISMATCH) &&
          g_task_get_source_tag (G_TASK (result)) == easel_canvas_check_result)
        show_drift_summary (self, g_strdup (error->message));
      else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Drift comparison failed: %s", error->message);
      return;
    }

  g_set_object (&self->guard_original_pixbuf, job->original);
  g_set_object (&self->guard_result_pixbuf, job->result);
  g_clear_pointer (&self->drift, easel_drift_report_free);
  self->drift = g_steal_pointer (&job->report);
  g_set_object (&self->drift_texture, job->heat);

  if (self->drift->protected_pixels == 0)
    show_drift_summary (self, g_strdup (_("The whole image was open to change")));
  else
    /* Translators: "4.2 % of protected pixels drifted" */
    show_drift_summary (self, g_strdup_printf (_("%.1f %% of protected pixels drifted"), self->drift->drift_percent));
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
easel_canvas_check_result (EaselCanvas *self,
                           GBytes      *result_bytes)
{
  g_autoptr(GTask) task = NULL;
  GuardJob *job;

  g_return_if_fail (EASEL_IS_CANVAS (self));
  g_return_if_fail (result_bytes != NULL);

  if (self->guard_original == NULL || self->guard_selection == NULL)
    return;

  job = g_new0 (GuardJob, 1);
  job->original_bytes = g_bytes_ref (self->guard_original);
  job->result_bytes = g_bytes_ref (result_bytes);
  job->selection = g_memdup2 (self->guard_selection, (gsize) self->guard_width * self->guard_height);
  job->width = self->guard_width;
  job->height = self->guard_height;

  task = g_task_new (self, self->cancellable, drift_done_cb, NULL);
  g_task_set_source_tag (task, easel_canvas_check_result);
  g_task_set_task_data (task, job, (GDestroyNotify) guard_job_free);
  g_task_run_in_thread (task, drift_thread);
}

void
easel_canvas_reset_guard (EaselCanvas *self)
{
  g_return_if_fail (EASEL_IS_CANVAS (self));

  g_clear_pointer (&self->guard_original, g_bytes_unref);
  g_clear_pointer (&self->guard_selection, g_free);
  g_clear_object (&self->guard_original_pixbuf);
  g_clear_object (&self->guard_result_pixbuf);
  g_clear_pointer (&self->drift, easel_drift_report_free);
  g_clear_object (&self->drift_texture);
  g_clear_object (&self->before_restore);
  g_clear_pointer (&self->drift_summary, g_free);
  gtk_widget_set_visible (self->drift_bar, FALSE);
  _easel_canvas_update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), _easel_canvas_properties[PROP_DRIFT_SUMMARY]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const char *
easel_canvas_get_drift_summary (EaselCanvas *self)
{
  g_return_val_if_fail (EASEL_IS_CANVAS (self), NULL);
  return self->drift_summary ? self->drift_summary : "";
}

static void
restore_thread (GTask        *task,
                gpointer      source,
                gpointer      data,
                GCancellable *cancellable)
{
  GuardJob *job = data;
  g_autoptr(GdkPixbuf) out = NULL;
  g_autoptr(GBytes) pixels = NULL;
  GError *error = NULL;
  char *buffer = NULL;
  gsize len = 0;

  out = easel_restore_protected (job->original, job->result, job->selection,
                                 job->width, job->height, job->feather);
  if (!gdk_pixbuf_save_to_buffer (out, &buffer, &len, "png", &error, "compression", "3", NULL))
    {
      g_task_return_error (task, error);
      return;
    }
  job->restored_png = g_bytes_new_take (buffer, len);

  /* The texture too: the main loop only swaps it in. */
  pixels = g_bytes_new (gdk_pixbuf_read_pixels (out),
                        (gsize) gdk_pixbuf_get_rowstride (out) * gdk_pixbuf_get_height (out));
  job->restored = gdk_memory_texture_new (gdk_pixbuf_get_width (out), gdk_pixbuf_get_height (out),
                                          GDK_MEMORY_R8G8B8A8, pixels, gdk_pixbuf_get_rowstride (out));
  g_task_return_boolean (task, TRUE);
}

static void
restore_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  EaselCanvas *self = EASEL_CANVAS (object);
  GuardJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) output = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_signal_emit (self, _easel_canvas_signals[MESSAGE], 0, error->message);
      return;
    }

  output = self->texture ? g_object_ref (self->texture) : NULL;
  easel_canvas_set_texture (self, job->restored);
  g_set_object (&self->before_restore, output);
  g_object_set (self, "show-drift", FALSE, NULL);
  gtk_label_set_label (GTK_LABEL (self->drift_label), _("Protected pixels restored"));
  _easel_canvas_update_actions (self);
  g_signal_emit (self, _easel_canvas_signals[RESTORED], 0, job->restored, job->restored_png);
}

void
_easel_canvas_restore_protected_action (GtkWidget  *widget,
                                        const char *action_name,
                                        GVariant   *param)
{
  EaselCanvas *self = EASEL_CANVAS (widget);
  g_autoptr(GTask) task = NULL;
  GuardJob *job;

  if (self->guard_original_pixbuf == NULL || self->guard_result_pixbuf == NULL)
    return;

  job = g_new0 (GuardJob, 1);
  job->original = g_object_ref (self->guard_original_pixbuf);
  job->result = g_object_ref (self->guard_result_pixbuf);
  job->selection = g_memdup2 (self->guard_selection, (gsize) self->guard_width * self->guard_height);
  job->width = self->guard_width;
  job->height = self->guard_height;
  job->feather = self->feather_radius;

  gtk_widget_action_set_enabled (widget, "canvas.restore-protected", FALSE);
  task = g_task_new (self, self->cancellable, restore_done_cb, NULL);
  g_task_set_source_tag (task, _easel_canvas_restore_protected_action);
  g_task_set_task_data (task, job, (GDestroyNotify) guard_job_free);
  g_task_run_in_thread (task, restore_thread);
}
