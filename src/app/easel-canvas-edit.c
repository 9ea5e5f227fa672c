/* easel-canvas-edit.c: the canvas's mask export and the masked edit it prepares
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-canvas"

#include "config.h"

#include <glib/gi18n.h>

#include "easel-canvas-private.h"


static void
export_encoded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GBytes *png = easel_mask_encode_png_finish (EASEL_MASK (object), result, &error);

  if (png == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, png, (GDestroyNotify) g_bytes_unref);
}

void
easel_canvas_export_mask_png_async (EaselCanvas         *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (EASEL_IS_CANVAS (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_canvas_export_mask_png_async);

  if (self->mask == NULL)
    {
      g_task_return_new_error (task, EASEL_MASK_ERROR, EASEL_MASK_ERROR_EMPTY,
                               _("There is no image to mask yet"));
      return;
    }

  easel_mask_encode_png_async (self->mask, self->feather_radius, cancellable,
                               export_encoded_cb, g_steal_pointer (&task));
}

GBytes *
easel_canvas_export_mask_png_finish (EaselCanvas   *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct
{
  EaselClient  *client;
  EaselRequest *request;
  GBytes       *image_bytes;
  char         *mime_type;
  guint8       *selection;
  int           width, height;
} MaskedEdit;

static void
masked_edit_free (MaskedEdit *edit)
{
  g_clear_object (&edit->client);
  g_clear_pointer (&edit->request, easel_request_free);
  g_clear_pointer (&edit->image_bytes, g_bytes_unref);
  g_free (edit->mime_type);
  g_free (edit->selection);
  g_free (edit);
}

static void
masked_edit_prepared_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  EaselCanvas *self = g_task_get_source_object (task);
  MaskedEdit *edit = g_task_get_task_data (task);
  GError *error = NULL;
  EaselRequest *request = easel_masked_edit_prepare_finish (result, &error);

  if (request == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  /* Arm the guard with what was sent: the image and the selection as
   * painted when Send was pressed. */
  easel_canvas_reset_guard (self);
  self->guard_original = g_bytes_ref (edit->image_bytes);
  self->guard_selection = g_steal_pointer (&edit->selection);
  self->guard_width = edit->width;
  self->guard_height = edit->height;

  g_task_return_pointer (task, request, (GDestroyNotify) easel_request_free);
}

static void
masked_edit_mask_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MaskedEdit *edit = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(GBytes) png = easel_canvas_export_mask_png_finish (EASEL_CANVAS (object), result, &error);

  if (png == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  easel_masked_edit_prepare_async (edit->client, edit->request, edit->image_bytes, edit->mime_type, png,
                                   g_task_get_cancellable (task), masked_edit_prepared_cb,
                                   g_object_ref (task));
}

void
easel_canvas_prepare_masked_edit_async (EaselCanvas         *self,
                                        EaselClient         *client,
                                        const EaselRequest  *request,
                                        GBytes              *image_bytes,
                                        const char          *image_mime_type,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  MaskedEdit *edit;

  g_return_if_fail (EASEL_IS_CANVAS (self));
  g_return_if_fail (client == NULL || EASEL_IS_CLIENT (client));
  g_return_if_fail (request != NULL);
  g_return_if_fail (image_bytes != NULL);

  edit = g_new0 (MaskedEdit, 1);
  edit->client = client ? g_object_ref (client) : NULL;
  edit->request = easel_request_copy (request);
  edit->image_bytes = g_bytes_ref (image_bytes);
  edit->mime_type = g_strdup (image_mime_type);
  if (self->mask != NULL)
    {
      edit->width = easel_mask_get_width (self->mask);
      edit->height = easel_mask_get_height (self->mask);
      edit->selection = g_memdup2 (easel_mask_get_data (self->mask), (gsize) edit->width * edit->height);
    }

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_canvas_prepare_masked_edit_async);
  g_task_set_task_data (task, edit, (GDestroyNotify) masked_edit_free);

  easel_canvas_export_mask_png_async (self, cancellable, masked_edit_mask_cb, g_steal_pointer (&task));
}

EaselRequest *
easel_canvas_prepare_masked_edit_finish (EaselCanvas   *self,
                                         GAsyncResult  *result,
                                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
