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

/* A frame texture's pixels scaled to the size the canvas paints them at,
 * as a cairo surface (what the cairo renderer draws without converting)
 * and a texture over the same memory (what GL uploads once). */
typedef struct
{
  int width, height;
  cairo_surface_t *surface;   /* CAIRO_FORMAT_ARGB32 */
  GdkTexture *texture;        /* GDK_MEMORY_DEFAULT, same pixels */
} EaselImageDisplay;

void        easel_image_display_free (EaselImageDisplay *display);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EaselImageDisplay, easel_image_display_free)

/* Tells frame decoders where images are shown (main thread; any thread may
 * read it). With @fit, an image is shrunk to fit @box_width × @box_height
 * (but not enlarged past @max_fit_zoom); otherwise it is shown at @zoom.
 * Each frame easel_image_decode_frame_async() decodes afterwards also
 * carries a copy at that size when it is smaller than the image. */
void        easel_image_set_display_hint (gboolean fit,
                                          double   box_width,
                                          double   box_height,
                                          double   max_fit_zoom,
                                          double   zoom);

/* For textures from easel_image_decode_frame_async(): the full-size pixels
 * as a CAIRO_FORMAT_ARGB32 surface (do not modify), and the copy scaled
 * from the display hint, or NULL. Any other texture returns NULL. */
cairo_surface_t         *easel_image_texture_get_surface (GdkTexture *texture);
const EaselImageDisplay *easel_image_texture_get_display (GdkTexture *texture);

/* Scales a frame texture (one with easel_image_texture_get_surface()) to
 * @width × @height in a worker thread. */
void               easel_image_scale_async  (GdkTexture          *texture,
                                             int                  width,
                                             int                  height,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
EaselImageDisplay *easel_image_scale_finish (GAsyncResult  *result,
                                             GError       **error);

/* Encodes @texture as PNG in a worker thread (clipboard paste → input image). */
void        easel_image_encode_png_async  (GdkTexture          *texture,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
GBytes     *easel_image_encode_png_finish (GAsyncResult  *result,
                                           GError       **error);

/* Call once at start-up, before threads: full-size frames (4 MiB and up)
 * are then always mapped and unmapped, never left behind in the heap, and
 * smaller per-frame buffers (the renderer's) reuse heap pages that are
 * already faulted in. */
void        easel_image_tune_allocator (void);

G_END_DECLS
