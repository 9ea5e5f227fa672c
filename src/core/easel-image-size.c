/* easel-image-size.c: an image's pixel size, read from its header
 *
 * Every decoder in Easel (the canvas, thumbnails, masks, exports) asks
 * here first, so an image that would need gigabytes once decoded is
 * refused while it is still a few bytes of header.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-image"

#include "config.h"

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "easel-image-size.h"

G_DEFINE_QUARK (easel-image-error-quark, easel_image_error)

static void
on_size_prepared (GdkPixbufLoader *loader,
                  int              width,
                  int              height,
                  gpointer         user_data)
{
  int *size = user_data;

  size[0] = width;
  size[1] = height;
  /* Asking for a 0×0 result makes the loaders stop here instead of
   * allocating the full image (gdk_pixbuf_get_file_info() does the same). */
  gdk_pixbuf_loader_set_size (loader, 0, 0);
}

/**
 * easel_image_get_size:
 * @bytes: an encoded image in any format GdkPixbuf reads
 * @width: (out): its width in pixels
 * @height: (out): its height in pixels
 * @error: a #GError, %EASEL_IMAGE_ERROR_NOT_IMAGE when no size can be read
 *
 * Feeds the loader in small pieces and stops as soon as it has parsed the
 * header (size-prepared), so a 50 MB photo is not decoded to learn its size.
 * Thread-safe.
 */
gboolean
easel_image_get_size (GBytes  *bytes,
                      int     *width,
                      int     *height,
                      GError **error)
{
  g_autoptr(GdkPixbufLoader) loader = NULL;
  g_autoptr(GError) local_error = NULL;
  int size[2] = { -1, -1 };
  gsize len, pos = 0;
  const guint8 *data;
  const gsize chunk = 4096;

  g_return_val_if_fail (bytes != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  data = g_bytes_get_data (bytes, &len);
  loader = gdk_pixbuf_loader_new ();
  g_signal_connect (loader, "size-prepared", G_CALLBACK (on_size_prepared), size);

  while (pos < len && size[0] < 0)
    {
      gsize n = MIN (chunk, len - pos);

      if (!gdk_pixbuf_loader_write (loader, data + pos, n, &local_error))
        break;
      pos += n;
    }
  /* Closing an unfinished load reports an error nobody needs. */
  gdk_pixbuf_loader_close (loader, NULL);

  if (size[0] <= 0 || size[1] <= 0)
    {
      g_set_error (error, EASEL_IMAGE_ERROR, EASEL_IMAGE_ERROR_NOT_IMAGE,
                   "The image could not be read%s%s",
                   local_error ? ": " : "", local_error ? local_error->message : "");
      return FALSE;
    }

  if (width != NULL)
    *width = size[0];
  if (height != NULL)
    *height = size[1];
  return TRUE;
}

/**
 * easel_image_check_size:
 * @bytes: an encoded image
 * @width: (out) (optional): its width in pixels
 * @height: (out) (optional): its height in pixels
 * @error: a #GError
 *
 * Like easel_image_get_size(), and fails with %EASEL_IMAGE_ERROR_TOO_LARGE
 * when the image is larger than %EASEL_IMAGE_MAX_EDGE on a side or
 * %EASEL_IMAGE_MAX_PIXELS in all. Call it before decoding bytes from
 * outside.
 */
gboolean
easel_image_check_size (GBytes  *bytes,
                        int     *width,
                        int     *height,
                        GError **error)
{
  int w, h;

  if (!easel_image_get_size (bytes, &w, &h, error))
    return FALSE;

  if (w > EASEL_IMAGE_MAX_EDGE || h > EASEL_IMAGE_MAX_EDGE || (gint64) w * h > EASEL_IMAGE_MAX_PIXELS)
    {
      g_set_error (error, EASEL_IMAGE_ERROR, EASEL_IMAGE_ERROR_TOO_LARGE,
                   "The image is %d×%d pixels; Easel opens images up to %d pixels on a side "
                   "and %d megapixels in all",
                   w, h, EASEL_IMAGE_MAX_EDGE, EASEL_IMAGE_MAX_PIXELS / (1024 * 1024));
      return FALSE;
    }

  if (width != NULL)
    *width = w;
  if (height != NULL)
    *height = h;
  return TRUE;
}
