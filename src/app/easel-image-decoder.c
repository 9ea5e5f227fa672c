/* easel-image-decoder.c: image bytes to GdkTexture, off the main thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-image-decoder"

#include "config.h"

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "easel-image-decoder.h"

typedef struct
{
  GBytes *bytes;
  int max_size;
} DecodeData;

static void
decode_data_free (DecodeData *data)
{
  g_clear_pointer (&data->bytes, g_bytes_unref);
  g_free (data);
}

static GdkTexture *
decode_scaled (GBytes  *bytes,
               int      max_size,
               GError **error)
{
  g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
  g_autoptr(GdkPixbuf) scaled = NULL;
  GdkPixbuf *pixbuf;
  int width, height;
  double scale;

  if (!gdk_pixbuf_loader_write_bytes (loader, bytes, error) ||
      !gdk_pixbuf_loader_close (loader, error))
    return NULL;

  pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);
  if (pixbuf == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Not an image");
      return NULL;
    }

  width = gdk_pixbuf_get_width (pixbuf);
  height = gdk_pixbuf_get_height (pixbuf);
  scale = MIN (1.0, (double)max_size / MAX (width, height));
  scaled = gdk_pixbuf_scale_simple (pixbuf,
                                    MAX (1, (int)(width * scale)),
                                    MAX (1, (int)(height * scale)),
                                    GDK_INTERP_BILINEAR);
  /* gdk_texture_new_for_pixbuf only copies pixel memory: safe in a thread. */
  return gdk_texture_new_for_pixbuf (scaled);
}

static void
decode_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  DecodeData *data = task_data;
  g_autoptr(GError) error = NULL;
  GdkTexture *texture;

  if (data->max_size > 0)
    texture = decode_scaled (data->bytes, data->max_size, &error);
  else
    texture = gdk_texture_new_from_bytes (data->bytes, &error);

  if (texture == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, texture, g_object_unref);
}

void
easel_image_decode_async (GBytes              *bytes,
                          int                  max_size,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  DecodeData *data;

  g_return_if_fail (bytes != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  data = g_new0 (DecodeData, 1);
  data->bytes = g_bytes_ref (bytes);
  data->max_size = max_size;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_image_decode_async);
  g_task_set_task_data (task, data, (GDestroyNotify)decode_data_free);
  g_task_set_return_on_cancel (task, TRUE);
  g_task_run_in_thread (task, decode_thread);
}

GdkTexture *
easel_image_decode_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
encode_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  g_task_return_pointer (task,
                         gdk_texture_save_to_png_bytes (GDK_TEXTURE (task_data)),
                         (GDestroyNotify)g_bytes_unref);
}

void
easel_image_encode_png_async (GdkTexture          *texture,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (GDK_IS_TEXTURE (texture));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_image_encode_png_async);
  g_task_set_task_data (task, g_object_ref (texture), g_object_unref);
  g_task_run_in_thread (task, encode_thread);
}

GBytes *
easel_image_encode_png_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
