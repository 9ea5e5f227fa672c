/* easel-canvas-private.h: hooks for the canvas's UI test
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "easel-canvas.h"

G_BEGIN_DECLS

/* The primary drag gesture that paints (brush, eraser, rectangle, lasso).
 * Tests emit its drag-begin/-update/-end signals to drive the real event
 * path without a pointer. */
GtkGesture *_easel_canvas_get_paint_gesture (EaselCanvas *self);
/* Widget coordinates of image pixel (@x, @y)'s centre. */
void        _easel_canvas_image_to_widget   (EaselCanvas *self, double x, double y,
                                             double *wx, double *wy);
/* The number of overlay tiles rebuilt so far (uploads happen per change, not per frame). */
guint       _easel_canvas_get_overlay_uploads (EaselCanvas *self);
/* Microseconds spent building overlay tiles so far (the bench). */
gint64      _easel_canvas_get_overlay_usec    (EaselCanvas *self);

G_END_DECLS
