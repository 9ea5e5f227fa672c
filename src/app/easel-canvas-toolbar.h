/* easel-canvas-toolbar.h: the floating tool palette of the canvas
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef struct _EaselCanvas EaselCanvas;

#define EASEL_TYPE_CANVAS_TOOLBAR (easel_canvas_toolbar_get_type ())
G_DECLARE_FINAL_TYPE (EaselCanvasToolbar, easel_canvas_toolbar, EASEL, CANVAS_TOOLBAR, GtkWidget)

/* Every button activates a canvas.* action, so the palette must sit inside
 * the canvas (it is a child of its template). "canvas" binds the sliders
 * to the canvas's brush-size, hardness, feather-radius and mask-opacity
 * and the zoom label to its zoom. */
GtkWidget   *easel_canvas_toolbar_new        (void);
EaselCanvas *easel_canvas_toolbar_get_canvas (EaselCanvasToolbar *self);
void         easel_canvas_toolbar_set_canvas (EaselCanvasToolbar *self, EaselCanvas *canvas);

G_END_DECLS
