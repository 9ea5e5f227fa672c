/* easel-mask.h: the inpainting mask, its history, and the mask guard
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The mask is an 8-bit "selection" layer at the image's pixel size:
 * 0 = keep, 255 = replace. The OpenAI wire form is the inverse, as alpha:
 * transparent = replace, opaque = keep.
 */
#pragma once

#include <gio/gio.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

G_BEGIN_DECLS

#define EASEL_MASK_ERROR (easel_mask_error_quark ())

typedef enum
{
  EASEL_MASK_ERROR_EMPTY,          /* nothing selected */
  EASEL_MASK_ERROR_SIZE_MISMATCH,  /* mask and image differ in pixel size */
  EASEL_MASK_ERROR_NOT_IMAGE,      /* cannot be decoded */
  EASEL_MASK_ERROR_TOO_LARGE,
  EASEL_MASK_ERROR_NOT_SQUARE_PNG, /* dall-e-2 */
} EaselMaskErrorCode;

GQuark easel_mask_error_quark (void);

typedef struct
{
  int x, y, width, height;
} EaselMaskRect;

typedef struct
{
  double x, y;
} EaselMaskPoint;

#define EASEL_TYPE_MASK (easel_mask_get_type ())
G_DECLARE_FINAL_TYPE (EaselMask, easel_mask, EASEL, MASK, GObject)

/* Signal "changed" (EaselMaskRect *area): pixels changed in @area. */

EaselMask    *easel_mask_new              (int width, int height);
int           easel_mask_get_width        (EaselMask *self);
int           easel_mask_get_height       (EaselMask *self);
/* Row-major, width bytes per row. */
const guint8 *easel_mask_get_data         (EaselMask *self);
guint8        easel_mask_get_value        (EaselMask *self, int x, int y);
gboolean      easel_mask_is_empty         (EaselMask *self);
guint64       easel_mask_count_selected   (EaselMask *self);

/* Every editing operation below is one undo step, except strokes, which are
 * grouped between begin_stroke and end_stroke. */
void          easel_mask_begin_stroke     (EaselMask *self);
/* A round dab-interpolated segment; @radius in image pixels, @hardness
 * 0..1 (1 = hard edge), pressure 0..1 scales the radius. */
void          easel_mask_stroke_to        (EaselMask *self,
                                           double x0, double y0, double p0,
                                           double x1, double y1, double p1,
                                           double radius, double hardness,
                                           gboolean erase);
void          easel_mask_end_stroke       (EaselMask *self);
void          easel_mask_fill_rect        (EaselMask *self, int x, int y, int width, int height, gboolean erase);
void          easel_mask_fill_polygon     (EaselMask *self, const EaselMaskPoint *points, guint n_points, gboolean erase);
void          easel_mask_invert           (EaselMask *self);
void          easel_mask_clear            (EaselMask *self);
void          easel_mask_fill_all         (EaselMask *self);
/* Replaces the whole mask (e.g. an imported mask), as one undo step. */
gboolean      easel_mask_set_from_pixbuf  (EaselMask *self, GdkPixbuf *mask_image, GError **error);

gboolean      easel_mask_can_undo         (EaselMask *self);
gboolean      easel_mask_can_redo         (EaselMask *self);
gboolean      easel_mask_undo             (EaselMask *self);
gboolean      easel_mask_redo             (EaselMask *self);
/* Bytes held by the undo and redo stacks (bounded; the oldest steps go first). */
gsize         easel_mask_get_history_bytes (EaselMask *self);
guint         easel_mask_get_undo_depth    (EaselMask *self);
void          easel_mask_set_history_limit (EaselMask *self, gsize max_bytes);

/* A copy of the selection, Gaussian-feathered by @radius pixels (0 = none). */
guint8       *easel_mask_dup_feathered    (EaselMask *self, double radius);
/* The mask as OpenAI wants it: a PNG with alpha, the image's pixel size,
 * transparent where the image should be replaced. CPU work: call
 * easel_mask_encode_png_async from UIs. Fails with EMPTY for an empty mask. */
GBytes       *easel_mask_encode_png       (EaselMask *self, double feather_radius, GError **error);
void          easel_mask_encode_png_async (EaselMask *self, double feather_radius, GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data);
GBytes       *easel_mask_encode_png_finish (EaselMask *self, GAsyncResult *result, GError **error);

/* Pure helpers on raw selection buffers (width*height bytes). */
void          easel_selection_feather     (guint8 *selection, int width, int height, double radius);
/* A mask image to a selection: with alpha, transparent = selected; without
 * alpha (black and white), white = selected. */
guint8       *easel_selection_from_pixbuf (GdkPixbuf *mask_image, int expected_width, int expected_height, GError **error);

/* Checks before sending a masked edit: sizes match, mask non-empty, file size
 * limits, dall-e-2 square PNG. @max_bytes 0 = no limit. */
gboolean      easel_mask_check_for_edit   (GBytes *image_bytes, GBytes *mask_png,
                                           gsize max_bytes, gboolean needs_square_png,
                                           GError **error);
/* A mask file as the API wants it, checked as the window checks it: one
 * without alpha (black and white, white = edit) is converted to an alpha PNG
 * (*@converted set), then easel_mask_check_for_edit. Returns the PNG to send. */
GBytes       *easel_mask_prepare_for_edit (GBytes *image_bytes, GBytes *mask_bytes,
                                           gsize max_bytes, gboolean needs_square_png,
                                           gboolean *converted, GError **error);

/* The mask guard. */
typedef struct
{
  double   drift_percent;      /* protected pixels that changed beyond the threshold, % */
  guint64  protected_pixels;
  guint64  drifted_pixels;
  double   mean_delta;         /* mean max-channel difference over protected pixels, 0..255 */
  GBytes  *heatmap;            /* width*height*4 RGBA (premultiplied=no), red where drifted */
  int      width, height;
} EaselDriftReport;

void              easel_drift_report_free (EaselDriftReport *report);
/* Compares @result with @original outside the selection. @result is scaled
 * to @original's size if the model changed it. @threshold 0..255 on the max
 * channel difference. */
EaselDriftReport *easel_drift_compare     (GdkPixbuf *original, GdkPixbuf *result,
                                           const guint8 *selection, int width, int height,
                                           int threshold);
void              easel_drift_compare_async  (GdkPixbuf *original, GdkPixbuf *result, EaselMask *mask,
                                              int threshold, GCancellable *cancellable,
                                              GAsyncReadyCallback callback, gpointer user_data);
EaselDriftReport *easel_drift_compare_finish (GAsyncResult *result, GError **error);
/* Composites @original back over @result outside the (feathered) selection:
 * out = result·s + original·(1−s). Returns a new RGBA pixbuf at @original's size. */
GdkPixbuf        *easel_restore_protected (GdkPixbuf *original, GdkPixbuf *result,
                                           const guint8 *selection, int width, int height,
                                           double feather_radius);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EaselDriftReport, easel_drift_report_free)

G_END_DECLS
