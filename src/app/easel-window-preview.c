/* easel-window-preview.c: an attached image on the canvas before the first turn
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An image opened from Files, a screenshot or a drop starts a conversation
 * with it attached. Until the first turn is sent the canvas shows it, so a
 * mask can be painted on it right away: Send then makes a masked edit of
 * that image (easel-canvas-studio.c), as it would of a turn's image.
 * Only a single attachment is shown: with several, which one a mask would
 * belong to is not clear, and the canvas stays empty.
 */

#define G_LOG_DOMAIN "easel-window-preview"

#include "config.h"

#include <glib/gi18n.h>

#include "easel-image-decoder.h"
#include "easel-window-private.h"

/* The empty conversation says what to do with the image on the canvas. */
static void
update_empty_page (EaselWindow *self)
{
  AdwStatusPage *page = ADW_STATUS_PAGE (self->empty_conversation);

  if (self->preview_texture != NULL)
    {
      adw_status_page_set_title (page, _("Edit This Image"));
      adw_status_page_set_description (page, _("Describe the change. To change only part of it, paint over that part first"));
    }
  else
    {
      adw_status_page_set_title (page, _("Start a Conversation"));
      adw_status_page_set_description (page, _("Describe an image, then keep talking to change it"));
    }
}

static void
clear_preview (EaselWindow *self)
{
  g_cancellable_cancel (self->preview_cancellable);
  g_clear_object (&self->preview_cancellable);
  g_clear_pointer (&self->preview_bytes, g_bytes_unref);
  g_clear_pointer (&self->preview_mime, g_free);
  g_clear_object (&self->preview_texture);
}

static void
preview_decoded_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(EaselWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = easel_image_decode_frame_finish (result, NULL, &error);

  if (texture == NULL)
    {
      /* A newer attachment took its place, or the window went. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_debug ("The attached image cannot be shown: %s", error->message);
          if (self->preview_bytes != NULL)
            easel_window_toast (self, error->message);
        }
      return;
    }
  if (self->preview_bytes == NULL)
    return;

  g_clear_object (&self->preview_cancellable);
  g_set_object (&self->preview_texture, texture);
  _easel_window_preview_sync (self);
}

void
_easel_window_preview_sync (EaselWindow *self)
{
  GPtrArray *attachments;
  EaselInputImage *image = NULL;
  gboolean empty;

  g_return_if_fail (EASEL_IS_WINDOW (self));

  if (self->composer == NULL || self->canvas == NULL)
    return;

  attachments = easel_composer_get_attachments (self->composer);
  empty = self->conversation == NULL || g_list_model_get_n_items (G_LIST_MODEL (self->conversation)) == 0;
  if (empty && attachments->len == 1)
    image = g_ptr_array_index (attachments, 0);
  if (image != NULL && (image->kind != EASEL_INPUT_IMAGE_BYTES || image->bytes == NULL))
    image = NULL;

  if (image == NULL)
    {
      gboolean shown = self->preview_texture != NULL;

      clear_preview (self);
      if (shown && empty)
        easel_canvas_set_texture (self->canvas, NULL);
      update_empty_page (self);
      return;
    }

  if (self->preview_bytes != NULL && g_bytes_equal (self->preview_bytes, image->bytes))
    {
      if (self->preview_texture != NULL)
        easel_canvas_set_texture (self->canvas, self->preview_texture);
      update_empty_page (self);
      return;
    }

  /* Another image: decode it off the main thread, as frames are. */
  clear_preview (self);
  update_empty_page (self);
  self->preview_bytes = g_bytes_ref (image->bytes);
  self->preview_mime = g_strdup (image->mime_type);
  self->preview_cancellable = g_cancellable_new ();
  easel_image_decode_frame_async (image->bytes, 0, self->preview_cancellable,
                                  preview_decoded_cb, g_object_ref (self));
}

GBytes *
_easel_window_preview_get_bytes (EaselWindow  *self,
                                 const char  **mime_type)
{
  g_return_val_if_fail (EASEL_IS_WINDOW (self), NULL);

  if (self->preview_texture == NULL || easel_canvas_get_texture (self->canvas) != self->preview_texture)
    return NULL;
  if (mime_type != NULL)
    *mime_type = self->preview_mime;
  return self->preview_bytes;
}

void
_easel_window_preview_dispose (EaselWindow *self)
{
  clear_preview (self);
}
