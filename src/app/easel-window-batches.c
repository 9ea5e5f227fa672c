/* easel-window-batches.c: the Batches place of the window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The jobs live in the application's EaselBatchList; the window shows them
 * (EaselBatchesPage), opens "New Batch…" with the studio's parameters, and
 * points the gallery at a job's images.
 */

#define G_LOG_DOMAIN "easel-window-batches"

#include "config.h"

#include <glib/gi18n.h>

#include "easel-batch-dialog.h"
#include "easel-batches-page.h"
#include "easel-gallery.h"
#include "easel-window-private.h"

void
easel_window_show_batches (EaselWindow *self)
{
  g_return_if_fail (EASEL_IS_WINDOW (self));
  adw_view_stack_set_visible_child_name (self->view_stack, "batches");
}

static void
submitted_cb (EaselWindow    *self,
              EaselBatchItem *item)
{
  g_autofree char *message = NULL;
  guint n = (guint) easel_batch_item_get_total (item);

  easel_window_show_batches (self);
  message = g_strdup_printf (ngettext ("Batch submitted: %u request at half price",
                                       "Batch submitted: %u requests at half price", n), n);
  easel_window_toast (self, message);
}

static void
new_batch_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  EaselWindow *self = EASEL_WINDOW (widget);
  EaselBatchDialog *dialog;

  if (self->batches == NULL)
    return;
  dialog = easel_batch_dialog_new (GTK_WINDOW (self), self->batches, self->params, self->library, self->settings);
  g_signal_connect_object (dialog, "submitted", G_CALLBACK (submitted_cb), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
show_batches_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  easel_window_show_batches (EASEL_WINDOW (widget));
}

static void
show_in_gallery_cb (EaselWindow *self,
                    gint64       job_id,
                    const char  *batch_id)
{
  if (self->gallery == NULL || !EASEL_IS_GALLERY (self->gallery))
    return;
  easel_gallery_show_batch (EASEL_GALLERY (self->gallery), job_id, batch_id);
  adw_view_stack_set_visible_child_name (self->view_stack, "gallery");
}

static void
images_recorded_cb (EaselWindow *self)
{
  if (self->gallery != NULL && EASEL_IS_GALLERY (self->gallery))
    easel_gallery_reload (EASEL_GALLERY (self->gallery));
}

void
_easel_window_batches_init (EaselWindow *self)
{
  g_return_if_fail (EASEL_IS_WINDOW (self));

  /* A window made without the application (tests) runs its own. */
  if (self->batches == NULL && self->library != NULL)
    self->batches = easel_batch_list_new (self->client, self->library);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.new-batch", self->batches != NULL);
  if (self->batches == NULL)
    return;

  self->batches_page = easel_batches_page_new (self->batches);
  adw_bin_set_child (self->batches_bin, self->batches_page);
  g_signal_connect_object (self->batches_page, "show-in-gallery", G_CALLBACK (show_in_gallery_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->batches_page, "toast", G_CALLBACK (easel_window_toast), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->batches, "images-recorded", G_CALLBACK (images_recorded_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->batches, "error", G_CALLBACK (easel_window_toast), self, G_CONNECT_SWAPPED);
}

void
_easel_window_class_init_batches (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.new-batch", NULL, new_batch_action);
  gtk_widget_class_install_action (widget_class, "win.show-batches", NULL, show_batches_action);
}
