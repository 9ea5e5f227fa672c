/* easel-canvas-private.h: state shared by the canvas's files, and hooks for its UI test
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The canvas is split by concern: easel-canvas.c (the widget: properties,
 * texture, drawing), easel-canvas-display.c (the image painted from a copy
 * at the size shown), easel-canvas-view.c (geometry, zoom and pan),
 * easel-canvas-mask.c (overlay, painting tools, mask undo and import),
 * easel-canvas-edit.c (mask export and the masked edit) and
 * easel-canvas-guard.c (drift report and restoring protected pixels).
 */
#pragma once

#include "easel-canvas.h"
#include "easel-image-decoder.h"

G_BEGIN_DECLS

#define MIN_ZOOM 0.05
#define MAX_ZOOM 16.0

typedef enum
{
  TOOL_BRUSH,
  TOOL_ERASER,
  TOOL_RECTANGLE,
  TOOL_LASSO,
} Tool;

typedef enum
{
  DRAG_NONE,
  DRAG_PAINT,
  DRAG_PAN,
} DragMode;

struct _EaselCanvas
{
  GtkWidget parent_instance;

  GdkTexture *texture;
  GdkTexture *previous;       /* fading out */
  gint64 fade_start;
  guint fade_tick;
  /* Frames and display copies just replaced, kept until the render nodes
   * that drew them are gone (see _easel_canvas_retire). */
  GPtrArray *retired;         /* GDestroyNotify-owned: RetiredItem */
  guint retire_tick;
  guint retire_frames;
  char *status;

  /* The texture scaled to the size it is shown at, when the zoom or the
   * size changed since the decoder made its copy (easel-canvas-display.c). */
  EaselImageDisplay *display;
  GdkTexture *display_for;    /* unowned: which texture display and scaling are for */
  GCancellable *scaling;
  int scaling_width, scaling_height;
  guint rescale_timeout;
  guint display_scaled;       /* copies made by the canvas, for tests */

  /* The view: zoom, and scroll offsets in zoomed pixels. */
  GtkAdjustment *hadjustment;
  GtkAdjustment *vadjustment;
  double zoom;
  double notified_zoom;
  guint zoom_notify_idle;
  guint fit : 1;

  /* The mask and its overlay tiles (GdkTexture*, NULL = to rebuild). */
  EaselMask *mask;
  GPtrArray *tiles;
  int tiles_x, tiles_y;
  guint overlay_uploads;
  gint64 overlay_usec;        /* time spent building overlay tiles, for the bench */
  guint selection_idle;
  guint has_selection : 1;

  /* Tools */
  Tool tool;
  double brush_size;
  double hardness;
  double feather_radius;
  double mask_opacity;
  char  *mask_color;          /* one of the "mask-color" choices */
  guint show_mask : 1;
  guint show_drift : 1;
  guint space_down : 1;
  guint pointer_inside : 1;
  guint erase_shape : 1;
  GtkGesture *paint_drag;
  DragMode drag_mode;
  double drag_x, drag_y;      /* widget coords where the drag began */
  double pointer_x, pointer_y;
  double last_ix, last_iy, last_pressure;
  GArray *lasso;              /* EaselMaskPoint, image coords */
  double pan_h, pan_v;
  double pinch_zoom;

  /* The mask guard */
  GBytes *guard_original;
  guint8 *guard_selection;
  int guard_width, guard_height;
  GdkPixbuf *guard_original_pixbuf;
  GdkPixbuf *guard_result_pixbuf;
  EaselDriftReport *drift;
  GdkTexture *drift_texture;
  char *drift_summary;
  GdkTexture *before_restore;  /* the model's output, for undo */
  GCancellable *cancellable;

  GSettings *settings;

  /* template */
  GtkWidget *placeholder;
  GtkWidget *badge;
  GtkWidget *badge_spinner;
  GtkWidget *badge_label;
  GtkWidget *hscrollbar;
  GtkWidget *vscrollbar;
  GtkWidget *toolbar;
  GtkWidget *drift_bar;
  GtkWidget *drift_label;

  guint refining : 1;
  guint incomplete : 1;
};

enum {
  PROP_0,
  PROP_TEXTURE,
  PROP_REFINING,
  PROP_INCOMPLETE,
  PROP_STATUS,
  PROP_TOOL,
  PROP_BRUSH_SIZE,
  PROP_HARDNESS,
  PROP_FEATHER_RADIUS,
  PROP_MASK_OPACITY,
  PROP_MASK_COLOR,
  PROP_SHOW_MASK,
  PROP_SHOW_DRIFT,
  PROP_ZOOM,
  PROP_ZOOM_TO_FIT,
  PROP_MASK,
  PROP_HAS_SELECTION,
  PROP_DRIFT_SUMMARY,
  N_PROPS
};

enum { RESTORED, RESTORE_UNDONE, MESSAGE, N_SIGNALS };

extern GParamSpec *_easel_canvas_properties[N_PROPS];
extern guint       _easel_canvas_signals[N_SIGNALS];

/* easel-canvas.c */
void        _easel_canvas_update_actions (EaselCanvas *self);
void        _easel_canvas_update_cursor  (EaselCanvas *self);

/* easel-canvas-view.c */
double      _easel_canvas_fit_zoom           (EaselCanvas *self);
double      _easel_canvas_effective_zoom     (EaselCanvas *self);
void        _easel_canvas_image_origin       (EaselCanvas *self, int image_width, int image_height,
                                              double *x, double *y);
gboolean    _easel_canvas_compute_rect       (EaselCanvas *self, GdkTexture *texture, graphene_rect_t *rect);
gboolean    _easel_canvas_widget_to_image    (EaselCanvas *self, double wx, double wy, double *ix, double *iy);
void        _easel_canvas_update_adjustments (EaselCanvas *self);
void        _easel_canvas_zoom_at_centre     (EaselCanvas *self, double zoom);
void        _easel_canvas_set_fit            (EaselCanvas *self);
/* Tells the image decoder the size new frames will be shown at. */
void        _easel_canvas_update_display_hint (EaselCanvas *self);
void        _easel_canvas_zoom_action        (GtkWidget *widget, const char *action_name, GVariant *param);
/* Adds the pan drag, the pinch zoom and the scroll controller. */
void        _easel_canvas_add_view_controllers (EaselCanvas *self);

/* easel-canvas-display.c */
void        _easel_canvas_append_image   (EaselCanvas *self, GtkSnapshot *snapshot, GdkTexture *texture,
                                          const graphene_rect_t *rect);
void        _easel_canvas_clear_display  (EaselCanvas *self);

/* easel-canvas-mask.c */
void        _easel_canvas_tile_free      (gpointer tile);
void        _easel_canvas_clear_tiles    (EaselCanvas *self);
/* Keeps @data (freed with @free_func) until two frames after the last
 * retirement: freeing a surface that a live cairo render node drew would
 * make cairo copy it, on the main thread. */
void        _easel_canvas_retire         (EaselCanvas    *self,
                                          gpointer        data,
                                          GDestroyNotify  free_func);
gboolean    _easel_canvas_is_mask_color  (const char  *name);
void        _easel_canvas_append_overlay (EaselCanvas *self, GtkSnapshot *snapshot,
                                          const graphene_rect_t *image_rect);
void        _easel_canvas_mask_changed_cb (EaselCanvas *self, const EaselMaskRect *area, EaselMask *mask);
void        _easel_canvas_set_mask       (EaselCanvas *self, EaselMask *mask);
void        _easel_canvas_update_history_actions (EaselCanvas *self);
void        _easel_canvas_mask_action        (GtkWidget *widget, const char *action_name, GVariant *param);
void        _easel_canvas_undo_redo_action   (GtkWidget *widget, const char *action_name, GVariant *param);
void        _easel_canvas_import_mask_action (GtkWidget *widget, const char *action_name, GVariant *param);
/* Adds the primary drag that paints (see _easel_canvas_get_paint_gesture()). */
void        _easel_canvas_add_paint_gesture (EaselCanvas *self);

/* easel-canvas-guard.c */
void        _easel_canvas_restore_protected_action (GtkWidget *widget, const char *action_name,
                                                    GVariant *param);

/* Test hooks */

/* The primary drag gesture that paints (brush, eraser, rectangle, lasso).
 * Tests emit its drag-begin/-update/-end signals to drive the real event
 * path without a pointer. */
GtkGesture *_easel_canvas_get_paint_gesture (EaselCanvas *self);
/* Widget coordinates of image pixel (@x, @y)'s centre. */
void        _easel_canvas_image_to_widget   (EaselCanvas *self, double x, double y,
                                             double *wx, double *wy);
/* The number of overlay tiles rebuilt so far (uploads happen per change, not per frame). */
guint       _easel_canvas_get_overlay_uploads (EaselCanvas *self);
/* The number of display copies the canvas asked a worker for so far (zoom
 * or size changes; new frames come with one from the decoder). */
guint       _easel_canvas_get_display_scaled (EaselCanvas *self);
/* Microseconds spent building overlay tiles so far (the bench). */
gint64      _easel_canvas_get_overlay_usec    (EaselCanvas *self);

G_END_DECLS
