/* easel-image-decoder.h: image bytes to GdkTexture, off the main thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Decodes PNG, JPEG or WebP @bytes in a worker thread. When @max_size > 0 the
 * texture is scaled down to fit in a @max_size square (thumbnails). */
void        easel_image_decode_async  (GBytes              *bytes,
                                       int                  max_size,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
GdkTexture *easel_image_decode_finish (GAsyncResult  *result,
                                       GError       **error);

/* Encodes @texture as PNG in a worker thread (clipboard paste → input image). */
void        easel_image_encode_png_async  (GdkTexture          *texture,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
GBytes     *easel_image_encode_png_finish (GAsyncResult  *result,
                                           GError       **error);

G_END_DECLS
