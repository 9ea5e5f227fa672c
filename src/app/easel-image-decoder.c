/* easel-image-decoder.c: image bytes to GdkTexture, off the main thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-image-decoder"

#include "config.h"

#include <math.h>

#ifdef HAVE_MALLOPT
# include <malloc.h>
#endif

#include "easel-image-decoder.h"
#include "easel-image-size.h"

typedef struct
{
  GBytes *bytes;
  int max_size;
  /* easel_image_decode_frame_async: outputs */
  GdkTexture *texture;
  GdkTexture *thumbnail;
} DecodeData;

/* Where the canvas shows images, so that a worker can scale each new frame
 * to the size it will be painted at (see easel_image_set_display_hint()). */
G_LOCK_DEFINE_STATIC (display_hint);
static struct
{
  gboolean set;
  gboolean fit;
  double box_width, box_height, max_fit_zoom;
  double zoom;
} display_hint;

static GQuark surface_quark;
static GQuark display_quark;

static void
ensure_quarks (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      surface_quark = g_quark_from_static_string ("easel-image-surface");
      display_quark = g_quark_from_static_string ("easel-image-display");
      g_once_init_leave (&once, 1);
    }
}

static void
decode_data_free (DecodeData *data)
{
  g_clear_pointer (&data->bytes, g_bytes_unref);
  g_clear_object (&data->texture);
  g_clear_object (&data->thumbnail);
  g_free (data);
}

/* Cairo's ARGB32 is GDK_MEMORY_DEFAULT: premultiplied BGRA in memory on little
 * endian, native-endian ARGB words on big endian. */
static GdkTexture *
texture_for_surface (cairo_surface_t *surface)
{
  int width = cairo_image_surface_get_width (surface);
  int height = cairo_image_surface_get_height (surface);
  int stride = cairo_image_surface_get_stride (surface);
  g_autoptr(GBytes) pixels = NULL;

  cairo_surface_flush (surface);
  pixels = g_bytes_new_with_free_func (cairo_image_surface_get_data (surface),
                                       (gsize)stride * height,
                                       (GDestroyNotify)cairo_surface_destroy,
                                       cairo_surface_reference (surface));
  return gdk_memory_texture_new (width, height, GDK_MEMORY_DEFAULT, pixels, stride);
}

void
easel_image_display_free (EaselImageDisplay *display)
{
  if (display == NULL)
    return;
  g_clear_pointer (&display->surface, cairo_surface_destroy);
  g_clear_object (&display->texture);
  g_free (display);
}

/* @full scaled to @width × @height with a filter that reads every source
 * pixel (no aliasing). Costs tens of ms for a 1536×1024 frame: workers only. */
static EaselImageDisplay *
scale_surface (cairo_surface_t *full,
               int              width,
               int              height)
{
  EaselImageDisplay *display;
  cairo_surface_t *surface;
  cairo_t *cr;

  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS)
    {
      cairo_surface_destroy (surface);
      return NULL;
    }
  cr = cairo_create (surface);
  cairo_scale (cr, (double)width / cairo_image_surface_get_width (full),
               (double)height / cairo_image_surface_get_height (full));
  cairo_set_source_surface (cr, full, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_GOOD);
  /* PAD: the edge pixels are not faded against transparent black. */
  cairo_pattern_set_extend (cairo_get_source (cr), CAIRO_EXTEND_PAD);
  cairo_set_operator (cr, CAIRO_OPERATOR_SOURCE);
  cairo_paint (cr);
  cairo_destroy (cr);
  cairo_surface_flush (surface);

  display = g_new0 (EaselImageDisplay, 1);
  display->width = width;
  display->height = height;
  display->surface = surface;
  display->texture = texture_for_surface (surface);
  return display;
}

/* The size the canvas will paint a @width × @height image at, from the
 * hint; FALSE when it is not shrunk (nothing to prepare). Mirrors
 * _easel_canvas_fit_zoom() and _easel_canvas_compute_rect(). */
static gboolean
display_size_for (int  width,
                  int  height,
                  int *display_width,
                  int *display_height)
{
  double zoom;
  gboolean set;

  G_LOCK (display_hint);
  set = display_hint.set;
  if (display_hint.fit)
    zoom = MIN (display_hint.max_fit_zoom, MIN (display_hint.box_width / width,
                                                display_hint.box_height / height));
  else
    zoom = display_hint.zoom;
  G_UNLOCK (display_hint);

  if (!set || zoom >= 1.0 || zoom <= 0.0)
    return FALSE;
  *display_width = MAX (1, (int)ceil (width * zoom));
  *display_height = MAX (1, (int)ceil (height * zoom));
  return TRUE;
}

void
easel_image_set_display_hint (gboolean fit,
                              double   box_width,
                              double   box_height,
                              double   max_fit_zoom,
                              double   zoom)
{
  G_LOCK (display_hint);
  display_hint.set = box_width > 0 && box_height > 0;
  display_hint.fit = fit;
  display_hint.box_width = box_width;
  display_hint.box_height = box_height;
  display_hint.max_fit_zoom = max_fit_zoom;
  display_hint.zoom = zoom;
  G_UNLOCK (display_hint);
}

cairo_surface_t *
easel_image_texture_get_surface (GdkTexture *texture)
{
  g_return_val_if_fail (GDK_IS_TEXTURE (texture), NULL);
  ensure_quarks ();
  return g_object_get_qdata (G_OBJECT (texture), surface_quark);
}

const EaselImageDisplay *
easel_image_texture_get_display (GdkTexture *texture)
{
  g_return_val_if_fail (GDK_IS_TEXTURE (texture), NULL);
  ensure_quarks ();
  return g_object_get_qdata (G_OBJECT (texture), display_quark);
}

/* A frame texture that remembers its pixels as a cairo surface, and maybe a
 * copy scaled for the display. Set here, in the worker, before anyone else
 * sees the texture; read-only afterwards. */
static GdkTexture *
frame_texture_for_surface (cairo_surface_t *full,
                           gboolean         for_display)
{
  GdkTexture *texture = texture_for_surface (full);
  int width = cairo_image_surface_get_width (full);
  int height = cairo_image_surface_get_height (full);
  int display_width, display_height;

  ensure_quarks ();
  g_object_set_qdata_full (G_OBJECT (texture), surface_quark, cairo_surface_reference (full),
                           (GDestroyNotify)cairo_surface_destroy);
  if (for_display && display_size_for (width, height, &display_width, &display_height))
    {
      EaselImageDisplay *display = scale_surface (full, display_width, display_height);

      if (display != NULL)
        g_object_set_qdata_full (G_OBJECT (texture), display_quark, display,
                                 (GDestroyNotify)easel_image_display_free);
    }
  return texture;
}

/* Decodes @bytes into a full-size texture in premultiplied BGRA and, when
 * @thumb_size > 0, a thumbnail fitting a @thumb_size square made from the
 * same pixels. Runs in a worker. */
static gboolean
decode_native (GBytes      *bytes,
               int          thumb_size,
               gboolean     for_display,
               GdkTexture **texture,
               GdkTexture **thumbnail,
               GError     **error)
{
  g_autoptr(GdkTexture) decoded = NULL;
  cairo_surface_t *full;
  int width, height;

  /* Bytes from a server or a file: refuse a decompression bomb from its
   * header, before GdkTexture allocates its pixels. */
  if (!easel_image_check_size (bytes, NULL, NULL, error))
    return FALSE;

  decoded = gdk_texture_new_from_bytes (bytes, error);
  if (decoded == NULL)
    return FALSE;

  /* PNGs decode to straight-alpha RGBA (or RGB). Both renderers want
   * premultiplied BGRA and would convert on the main thread, at first
   * paint, every frame: do it here, once, where a stall costs nothing. */
  width = gdk_texture_get_width (decoded);
  height = gdk_texture_get_height (decoded);
  full = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  if (cairo_surface_status (full) != CAIRO_STATUS_SUCCESS)
    {
      cairo_surface_destroy (full);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                   "Not enough memory for a %d×%d image", width, height);
      return FALSE;
    }
  cairo_surface_flush (full);
  gdk_texture_download (decoded, cairo_image_surface_get_data (full),
                        cairo_image_surface_get_stride (full));
  cairo_surface_mark_dirty (full);
  g_clear_object (&decoded);

  if (thumb_size > 0 && thumbnail != NULL)
    {
      double scale = MIN (1.0, (double)thumb_size / MAX (width, height));
      int thumb_width = MAX (1, (int)(width * scale + 0.5));
      int thumb_height = MAX (1, (int)(height * scale + 0.5));
      cairo_surface_t *thumb = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, thumb_width, thumb_height);
      cairo_t *cr = cairo_create (thumb);

      cairo_scale (cr, (double)thumb_width / width, (double)thumb_height / height);
      cairo_set_source_surface (cr, full, 0, 0);
      /* GOOD filters over every source pixel when shrinking (no aliasing). */
      cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_GOOD);
      cairo_set_operator (cr, CAIRO_OPERATOR_SOURCE);
      cairo_paint (cr);
      cairo_destroy (cr);
      *thumbnail = texture_for_surface (thumb);
      cairo_surface_destroy (thumb);
    }

  if (texture != NULL)
    *texture = frame_texture_for_surface (full, for_display);
  cairo_surface_destroy (full);
  return TRUE;
}

static void
decode_frame_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  DecodeData *data = task_data;
  GError *error = NULL;

  if (decode_native (data->bytes, data->max_size, TRUE, &data->texture, &data->thumbnail, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
decode_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  DecodeData *data = task_data;
  g_autoptr(GError) error = NULL;
  GdkTexture *texture = NULL;
  gboolean ok;

  /* A thumbnail only, or the full image: one decoder for both. */
  if (data->max_size > 0)
    ok = decode_native (data->bytes, data->max_size, FALSE, NULL, &texture, &error);
  else
    ok = decode_native (data->bytes, 0, FALSE, &texture, NULL, &error);

  if (!ok)
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

/* Frames */

void
easel_image_decode_frame_async (GBytes              *bytes,
                                int                  thumb_size,
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
  data->max_size = thumb_size;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_image_decode_frame_async);
  g_task_set_task_data (task, data, (GDestroyNotify)decode_data_free);
  g_task_set_return_on_cancel (task, TRUE);
  g_task_run_in_thread (task, decode_frame_thread);
}

GdkTexture *
easel_image_decode_frame_finish (GAsyncResult  *result,
                                 GdkTexture   **thumbnail,
                                 GError       **error)
{
  DecodeData *data;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == easel_image_decode_frame_async, NULL);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;

  data = g_task_get_task_data (G_TASK (result));
  if (thumbnail != NULL)
    *thumbnail = g_steal_pointer (&data->thumbnail);
  return g_steal_pointer (&data->texture);
}

/* Display copies */

typedef struct
{
  cairo_surface_t *full;
  int width, height;
} ScaleData;

static void
scale_data_free (ScaleData *data)
{
  g_clear_pointer (&data->full, cairo_surface_destroy);
  g_free (data);
}

static void
scale_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  ScaleData *data = task_data;
  EaselImageDisplay *display;
  cairo_surface_t *alias;

  if (g_task_return_error_if_cancelled (task))
    return;
  /* The main thread may be painting from the same surface meanwhile, and
   * cairo and pixman count their references without atomics: read the
   * same pixels through a surface of our own. */
  alias = cairo_image_surface_create_for_data (cairo_image_surface_get_data (data->full),
                                               cairo_image_surface_get_format (data->full),
                                               cairo_image_surface_get_width (data->full),
                                               cairo_image_surface_get_height (data->full),
                                               cairo_image_surface_get_stride (data->full));
  display = scale_surface (alias, data->width, data->height);
  cairo_surface_destroy (alias);
  if (display == NULL)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                             "Not enough memory for a %d×%d image", data->width, data->height);
  else
    g_task_return_pointer (task, display, (GDestroyNotify)easel_image_display_free);
}

void
easel_image_scale_async (GdkTexture          *texture,
                         int                  width,
                         int                  height,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  cairo_surface_t *full;
  ScaleData *data;

  g_return_if_fail (GDK_IS_TEXTURE (texture));
  g_return_if_fail (width > 0 && height > 0);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_image_scale_async);

  full = easel_image_texture_get_surface (texture);
  if (full == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               "The texture was not made by the image decoder");
      return;
    }

  data = g_new0 (ScaleData, 1);
  data->full = cairo_surface_reference (full);
  data->width = width;
  data->height = height;
  g_task_set_task_data (task, data, (GDestroyNotify)scale_data_free);
  g_task_set_return_on_cancel (task, TRUE);
  g_task_run_in_thread (task, scale_thread);
}

EaselImageDisplay *
easel_image_scale_finish (GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == easel_image_scale_async, NULL);
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

void
easel_image_tune_allocator (void)
{
#ifdef HAVE_MALLOPT
  /* Every frame is a few buffers of 4 MiB and up (decoded, premultiplied:
   * 1024 × 1024 × 4 bytes is the smallest the API returns), allocated in
   * decoder threads and freed on the main thread. glibc raises its mmap
   * threshold each time such a mapped buffer is freed, after which the next
   * ones come from per-thread heaps that rarely shrink: RSS then grows by
   * the frame for a long conversation even though nothing is kept
   * (measured with bench-studio, see bench/README.md). A fixed threshold
   * turns that adjustment off, and at 4 MiB a full-size frame is still
   * mapped and unmapped, unless the top of a heap has that much free
   * already (at most the trim threshold below, so that is bounded too).
   *
   * Below it, the heap: GTK's cairo renderer allocates the buffer it paints
   * a frame into (the size of what changed) and cairo a scratch copy of
   * each cairo node, and frees both, every frame. As fresh mappings each
   * of their pages is faulted in and zeroed again: on the bench machine
   * that was most of the time spent painting a new 1536 × 1024 frame. The trim
   * threshold keeps room for one of each at the top of the heap instead of
   * giving it back to the kernel after every frame. */
  mallopt (M_MMAP_THRESHOLD, 4 * 1024 * 1024);
  mallopt (M_TRIM_THRESHOLD, 8 * 1024 * 1024);
  /* Each arena keeps up to the trim threshold free at its top, and glibc
   * makes up to eight per core: the thumbnail, decoder and store threads
   * each held one. Two are plenty for a few worker threads; the gallery's
   * peak RSS over 100,000 rows went from 197-210 to 182-187 MB. */
  mallopt (M_ARENA_MAX, 2);
#endif
}
