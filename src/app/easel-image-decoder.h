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

/* Decodes @bytes in a worker thread into a full-size texture whose pixels are
 * already in the renderers' native layout (premultiplied BGRA), so the main
 * thread neither converts nor premultiplies when it first paints it, and,
 * when @thumb_size > 0, a thumbnail that fits in a @thumb_size square made
 * from the same decode. */
void        easel_image_decode_frame_async  (GBytes              *bytes,
                                             int                  thumb_size,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
GdkTexture *easel_image_decode_frame_finish (GAsyncResult  *result,
                                             GdkTexture   **thumbnail,
                                             GError       **error);

/* Encodes @texture as PNG in a worker thread (clipboard paste → input image). */
void        easel_image_encode_png_async  (GdkTexture          *texture,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
GBytes     *easel_image_encode_png_finish (GAsyncResult  *result,
                                           GError       **error);

/* Call once at start-up, before threads: multi-megabyte pixel buffers are
 * then always mapped and unmapped, never left behind in the heap. */
void        easel_image_tune_allocator (void);

G_END_DECLS
