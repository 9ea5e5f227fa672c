/* easel-compare-page-export.c: Compare's contact sheet export
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-compare-page"

#include "config.h"

#include <glib/gi18n.h>

#include "easel-compare-page-private.h"
#include "easel-contact-sheet.h"

/* ---- the contact sheet --------------------------------------------------- */

static void
sheet_written_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
sheet_rendered_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GBytes) png = NULL;
  GError *error = NULL;

  if (!(png = easel_contact_sheet_render_finish (result, &error)))
    {
      g_task_return_error (task, error);
      return;
    }
  g_file_replace_contents_bytes_async (g_task_get_task_data (task), png, NULL, FALSE,
                                       G_FILE_CREATE_REPLACE_DESTINATION, g_task_get_cancellable (task),
                                       sheet_written_cb, g_object_ref (task));
}

void
easel_compare_page_export_sheet_async (EaselComparePage    *self,
                                       GFile               *file,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (EASEL_IS_COMPARE_PAGE (self));
  g_return_if_fail (G_IS_FILE (file));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_compare_page_export_sheet_async);
  g_task_set_task_data (task, g_object_ref (file), g_object_unref);
  if (self->comparison == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "There is no comparison to export");
      return;
    }
  easel_contact_sheet_render_async (self->comparison, 0, cancellable, sheet_rendered_cb, g_steal_pointer (&task));
}

gboolean
easel_compare_page_export_sheet_finish (EaselComparePage  *self,
                                        GAsyncResult      *result,
                                        GError           **error)
{
  g_return_val_if_fail (EASEL_IS_COMPARE_PAGE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
exported_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  EaselComparePage *self = EASEL_COMPARE_PAGE (source);
  g_autoptr(GError) error = NULL;

  if (!easel_compare_page_export_sheet_finish (self, result, &error))
    {
      g_autofree char *message = g_strdup_printf (_("Cannot export the contact sheet: %s"), error->message);
      _easel_compare_page_toast (self, message);
      return;
    }
  _easel_compare_page_toast (self, _("Contact sheet exported"));
}

static void
export_response_cb (GtkNativeDialog  *dialog,
                    int               response,
                    EaselComparePage *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

      if (file != NULL)
        easel_compare_page_export_sheet_async (self, file, self->cancellable, exported_cb, NULL);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
  g_object_unref (self);
}

void
_easel_compare_page_export_sheet_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  EaselComparePage *self = EASEL_COMPARE_PAGE (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (_("Export Contact Sheet"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), "contact-sheet.png");
  g_signal_connect (chooser, "response", G_CALLBACK (export_response_cb), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}
