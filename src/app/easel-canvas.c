/* easel-canvas.c: the image being worked on, its inpainting mask and the mask guard
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The canvas draws with snapshot rather than GtkDrawingArea so that frames
 * stay GPU textures and a new partial image replaces the old one in a single
 * frame, with a short cross-fade instead of a blank in between.
 *
 * The mask overlay is cut into tiles, each its own GdkMemoryTexture: a
 * brush dab only rebuilds (and re-uploads) the tiles it touched, once per
 * frame however many dabs landed, and nothing is uploaded when only the
 * view moves.
 */

#define G_LOG_DOMAIN "easel-canvas"

#include "config.h"

#include <math.h>
#include <adwaita.h>
#include <glib/gi18n.h>

#include "easel-canvas.h"
#include "easel-canvas-private.h"
#include "easel-canvas-toolbar.h"

#define CHECKER_SIZE 8
#define FADE_USEC (180 * 1000)
#define MARGIN 24
#define TILE 256
#define MIN_ZOOM 0.05
#define MAX_ZOOM 16.0
#define FIT_MAX_ZOOM 4.0
#define DRIFT_THRESHOLD 16
/* Selected pixels are tinted with this colour (premultiplied below). */
#define TINT_R 53
#define TINT_G 132
#define TINT_B 228

typedef enum
{
  TOOL_BRUSH,
  TOOL_ERASER,
  TOOL_RECTANGLE,
  TOOL_LASSO,
} Tool;

static const char * const tool_names[] = { "brush", "eraser", "rectangle", "lasso" };

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
  char *status;

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

G_DEFINE_FINAL_TYPE (EaselCanvas, easel_canvas, GTK_TYPE_WIDGET)

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
  PROP_SHOW_MASK,
  PROP_SHOW_DRIFT,
  PROP_ZOOM,
  PROP_ZOOM_TO_FIT,
  PROP_MASK,
  PROP_HAS_SELECTION,
  PROP_DRIFT_SUMMARY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum { RESTORED, RESTORE_UNDONE, MESSAGE, N_SIGNALS };
static guint signals[N_SIGNALS];

static void update_actions (EaselCanvas *self);

/* ------------------------------------------------------------------------ */
/* Badge */

static void
update_badge (EaselCanvas *self)
{
  gboolean visible = self->refining || self->incomplete;
  const char *label;

  if (self->incomplete)
    /* Cancelled or cut off: the row says which. */
    label = _("Unfinished — the last partial image");
  else if (self->status != NULL && self->status[0] != '\0')
    label = self->status;
  else
    label = _("Refining…");

  gtk_widget_set_visible (self->badge, visible && self->texture != NULL);
  gtk_widget_set_visible (self->badge_spinner, self->refining);
  gtk_spinner_set_spinning (GTK_SPINNER (self->badge_spinner), self->refining);
  gtk_label_set_label (GTK_LABEL (self->badge_label), label);
  if (self->incomplete)
    gtk_widget_add_css_class (self->badge, "warning");
  else
    gtk_widget_remove_css_class (self->badge, "warning");

  gtk_widget_set_visible (self->placeholder, self->texture == NULL);
  gtk_widget_set_visible (self->toolbar, self->texture != NULL);
}

/* ------------------------------------------------------------------------ */
/* Geometry */

static double
fit_zoom (EaselCanvas *self)
{
  int width = gtk_widget_get_width (GTK_WIDGET (self)) - 2 * MARGIN;
  int height = gtk_widget_get_height (GTK_WIDGET (self)) - 2 * MARGIN;

  if (self->texture == NULL || width <= 0 || height <= 0)
    return 1.0;

  /* Small images are shown larger, but not blown up past 4×. */
  return MIN (FIT_MAX_ZOOM, MIN ((double) width / gdk_texture_get_width (self->texture),
                                 (double) height / gdk_texture_get_height (self->texture)));
}

static double
effective_zoom (EaselCanvas *self)
{
  return self->fit ? fit_zoom (self) : self->zoom;
}

/* The image's top-left corner in widget coordinates: centred when it fits,
 * otherwise scrolled by the adjustments. */
static void
image_origin (EaselCanvas *self,
              int          image_width,
              int          image_height,
              double      *x,
              double      *y)
{
  double zoom = effective_zoom (self);
  double cw = image_width * zoom + 2 * MARGIN;
  double ch = image_height * zoom + 2 * MARGIN;
  double width = gtk_widget_get_width (GTK_WIDGET (self));
  double height = gtk_widget_get_height (GTK_WIDGET (self));

  if (cw <= width)
    *x = floor ((width - image_width * zoom) / 2);
  else
    *x = MARGIN - round (gtk_adjustment_get_value (self->hadjustment));

  if (ch <= height)
    *y = floor ((height - image_height * zoom) / 2);
  else
    *y = MARGIN - round (gtk_adjustment_get_value (self->vadjustment));
}

static gboolean
compute_rect (EaselCanvas     *self,
              GdkTexture      *texture,
              graphene_rect_t *rect)
{
  double zoom, x, y;
  int tw, th;

  if (texture == NULL || gtk_widget_get_width (GTK_WIDGET (self)) <= 0)
    return FALSE;

  tw = gdk_texture_get_width (texture);
  th = gdk_texture_get_height (texture);
  zoom = effective_zoom (self);
  image_origin (self, tw, th, &x, &y);
  graphene_rect_init (rect, x, y, ceil (tw * zoom), ceil (th * zoom));
  return TRUE;
}

gboolean
easel_canvas_get_image_rect (EaselCanvas     *self,
                             graphene_rect_t *rect)
{
  g_return_val_if_fail (EASEL_IS_CANVAS (self), FALSE);
  g_return_val_if_fail (rect != NULL, FALSE);
  return compute_rect (self, self->texture, rect);
}

static gboolean
widget_to_image (EaselCanvas *self,
                 double       wx,
                 double       wy,
                 double      *ix,
                 double      *iy)
{
  double ox, oy, zoom;

  if (self->texture == NULL)
    return FALSE;

  zoom = effective_zoom (self);
  image_origin (self, gdk_texture_get_width (self->texture), gdk_texture_get_height (self->texture), &ox, &oy);
  *ix = (wx - ox) / zoom;
  *iy = (wy - oy) / zoom;
  return TRUE;
}

void
_easel_canvas_image_to_widget (EaselCanvas *self,
                               double       x,
                               double       y,
                               double      *wx,
                               double      *wy)
{
  double ox = 0, oy = 0, zoom = effective_zoom (self);

  if (self->texture != NULL)
    image_origin (self, gdk_texture_get_width (self->texture), gdk_texture_get_height (self->texture), &ox, &oy);
  *wx = ox + (x + 0.5) * zoom;
  *wy = oy + (y + 0.5) * zoom;
}

static void
update_adjustments (EaselCanvas *self)
{
  double zoom = effective_zoom (self);
  double width = gtk_widget_get_width (GTK_WIDGET (self));
  double height = gtk_widget_get_height (GTK_WIDGET (self));
  double cw = 0, ch = 0;

  if (self->texture != NULL)
    {
      cw = gdk_texture_get_width (self->texture) * zoom + 2 * MARGIN;
      ch = gdk_texture_get_height (self->texture) * zoom + 2 * MARGIN;
    }

  gtk_adjustment_configure (self->hadjustment,
                            CLAMP (gtk_adjustment_get_value (self->hadjustment), 0, MAX (0, cw - width)),
                            0, MAX (cw, width), width * 0.1, width * 0.9, width);
  gtk_adjustment_configure (self->vadjustment,
                            CLAMP (gtk_adjustment_get_value (self->vadjustment), 0, MAX (0, ch - height)),
                            0, MAX (ch, height), height * 0.1, height * 0.9, height);

  gtk_widget_set_visible (self->hscrollbar, cw > width);
  gtk_widget_set_visible (self->vscrollbar, ch > height);
}

/* Zooms so that image point under (@wx, @wy) stays under it. */
static void
zoom_at (EaselCanvas *self,
         double       zoom,
         double       wx,
         double       wy)
{
  double ix, iy;

  zoom = CLAMP (zoom, MIN_ZOOM, MAX_ZOOM);
  if (self->texture == NULL)
    {
      self->zoom = zoom;
      self->fit = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM_TO_FIT]);
      return;
    }

  widget_to_image (self, wx, wy, &ix, &iy);
  self->zoom = zoom;
  self->fit = FALSE;
  update_adjustments (self);

  /* origin = MARGIN − value, and we want origin + ix·zoom = wx. */
  gtk_adjustment_set_value (self->hadjustment, MARGIN + ix * zoom - wx);
  gtk_adjustment_set_value (self->vadjustment, MARGIN + iy * zoom - wy);

  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM_TO_FIT]);
}

static void
zoom_at_centre (EaselCanvas *self,
                double       zoom)
{
  zoom_at (self, zoom,
           gtk_widget_get_width (GTK_WIDGET (self)) / 2.0,
           gtk_widget_get_height (GTK_WIDGET (self)) / 2.0);
}

double
easel_canvas_get_zoom (EaselCanvas *self)
{
  g_return_val_if_fail (EASEL_IS_CANVAS (self), 1.0);
  return effective_zoom (self);
}

void
easel_canvas_set_zoom (EaselCanvas *self,
                       double       zoom)
{
  g_return_if_fail (EASEL_IS_CANVAS (self));
  zoom_at_centre (self, zoom);
}

static void
set_fit (EaselCanvas *self)
{
  self->fit = TRUE;
  gtk_adjustment_set_value (self->hadjustment, 0);
  gtk_adjustment_set_value (self->vadjustment, 0);
  update_adjustments (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM_TO_FIT]);
}

/* ------------------------------------------------------------------------ */
/* Mask overlay */

/* Tiles waiting to be rebuilt are NULL. */
static void
tile_free (gpointer tile)
{
  if (tile != NULL)
    g_object_unref (tile);
}

static void
clear_tiles (EaselCanvas *self)
{
  g_ptr_array_set_size (self->tiles, 0);
  self->tiles_x = self->tiles_y = 0;
}

static GdkTexture *
build_tile (EaselCanvas *self,
            int          tx,
            int          ty)
{
  int mw = easel_mask_get_width (self->mask);
  int mh = easel_mask_get_height (self->mask);
  int x0 = tx * TILE, y0 = ty * TILE;
  int w = MIN (TILE, mw - x0), h = MIN (TILE, mh - y0);
  const guint8 *data = easel_mask_get_data (self->mask);
  guint8 *pixels = g_malloc ((gsize) w * h * 4);
  g_autoptr(GBytes) bytes = NULL;
  /* The opacity is baked into the tiles: an opacity node around them would
   * make the GL renderer draw them offscreen first, on every frame. */
  guint opacity = (guint) lround (CLAMP (self->mask_opacity, 0.0, 1.0) * 255);

  for (int y = 0; y < h; y++)
    {
      const guint8 *src = data + (gsize) (y0 + y) * mw + x0;
      guint8 *dst = pixels + (gsize) y * w * 4;

      for (int x = 0; x < w; x++, dst += 4)
        {
          guint a = (src[x] * opacity + 127) / 255;

          dst[0] = (TINT_R * a + 127) / 255;
          dst[1] = (TINT_G * a + 127) / 255;
          dst[2] = (TINT_B * a + 127) / 255;
          dst[3] = a;
        }
    }

  bytes = g_bytes_new_take (pixels, (gsize) w * h * 4);
  self->overlay_uploads++;
  return gdk_memory_texture_new (w, h, GDK_MEMORY_R8G8B8A8_PREMULTIPLIED, bytes, (gsize) w * 4);
}

static void
append_overlay (EaselCanvas     *self,
                GtkSnapshot     *snapshot,
                const graphene_rect_t *image_rect)
{
  double zoom = effective_zoom (self);

  if (self->mask == NULL || !self->has_selection)
    return;

  if (self->tiles->len == 0)
    {
      self->tiles_x = (easel_mask_get_width (self->mask) + TILE - 1) / TILE;
      self->tiles_y = (easel_mask_get_height (self->mask) + TILE - 1) / TILE;
      g_ptr_array_set_size (self->tiles, self->tiles_x * self->tiles_y);
    }

  for (int ty = 0; ty < self->tiles_y; ty++)
    for (int tx = 0; tx < self->tiles_x; tx++)
      {
        GdkTexture **tile = (GdkTexture **) &g_ptr_array_index (self->tiles, ty * self->tiles_x + tx);
        graphene_rect_t bounds;

        if (*tile == NULL)
          {
            gint64 start = g_get_monotonic_time ();

            *tile = build_tile (self, tx, ty);
            self->overlay_usec += g_get_monotonic_time () - start;
          }

        graphene_rect_init (&bounds,
                            image_rect->origin.x + tx * TILE * zoom,
                            image_rect->origin.y + ty * TILE * zoom,
                            gdk_texture_get_width (*tile) * zoom,
                            gdk_texture_get_height (*tile) * zoom);
        gtk_snapshot_append_texture (snapshot, *tile, &bounds);
      }
}

guint
_easel_canvas_get_overlay_uploads (EaselCanvas *self)
{
  return self->overlay_uploads;
}

gint64
_easel_canvas_get_overlay_usec (EaselCanvas *self)
{
  return self->overlay_usec;
}

static gboolean
selection_idle_cb (gpointer user_data)
{
  EaselCanvas *self = user_data;
  gboolean has = self->mask != NULL && !easel_mask_is_empty (self->mask);

  self->selection_idle = 0;
  if (has != self->has_selection)
    {
      self->has_selection = has;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_SELECTION]);
    }
  update_actions (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  return G_SOURCE_REMOVE;
}

static void update_history_actions (EaselCanvas *self);

static void
mask_changed_cb (EaselCanvas         *self,
                 const EaselMaskRect *area,
                 EaselMask           *mask)
{
  if (self->tiles->len > 0)
    {
      int tx0 = area->x / TILE, ty0 = area->y / TILE;
      int tx1 = (area->x + area->width - 1) / TILE, ty1 = (area->y + area->height - 1) / TILE;

      for (int ty = ty0; ty <= ty1 && ty < self->tiles_y; ty++)
        for (int tx = tx0; tx <= tx1 && tx < self->tiles_x; tx++)
          g_clear_object ((GdkTexture **) &g_ptr_array_index (self->tiles, ty * self->tiles_x + tx));
    }

  /* Emptiness is a full scan: once per main-loop turn, not per dab. */
  if (self->selection_idle == 0)
    self->selection_idle = g_idle_add_full (G_PRIORITY_HIGH_IDLE, selection_idle_cb, self, NULL);

  /* Undo must work for the very next key press: input events are
   * dispatched before any idle, so a Ctrl+Z typed right after a stroke
   * found "canvas.undo" still disabled and was dropped. */
  update_history_actions (self);

  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
set_mask (EaselCanvas *self,
          EaselMask   *mask)
{
  if (self->mask == mask)
    return;

  if (self->mask != NULL)
    g_signal_handlers_disconnect_by_func (self->mask, mask_changed_cb, self);
  g_set_object (&self->mask, mask);
  if (self->mask != NULL)
    g_signal_connect_object (self->mask, "changed", G_CALLBACK (mask_changed_cb), self, G_CONNECT_SWAPPED);

  clear_tiles (self);
  self->has_selection = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MASK]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_SELECTION]);
  update_actions (self);
}

/* ------------------------------------------------------------------------ */
/* Drawing */

static void
append_checkerboard (GtkSnapshot           *snapshot,
                     const graphene_rect_t *rect,
                     gboolean               dark)
{
  GdkRGBA light_color, dark_color;

  if (dark)
    {
      gdk_rgba_parse (&light_color, "#3d3d3d");
      gdk_rgba_parse (&dark_color, "#2e2e2e");
    }
  else
    {
      gdk_rgba_parse (&light_color, "#ffffff");
      gdk_rgba_parse (&dark_color, "#d8d8d8");
    }

  gtk_snapshot_push_repeat (snapshot, rect,
                            &GRAPHENE_RECT_INIT (rect->origin.x, rect->origin.y,
                                                 2 * CHECKER_SIZE, 2 * CHECKER_SIZE));
  gtk_snapshot_append_color (snapshot, &light_color,
                             &GRAPHENE_RECT_INIT (rect->origin.x, rect->origin.y,
                                                  2 * CHECKER_SIZE, 2 * CHECKER_SIZE));
  gtk_snapshot_append_color (snapshot, &dark_color,
                             &GRAPHENE_RECT_INIT (rect->origin.x, rect->origin.y,
                                                  CHECKER_SIZE, CHECKER_SIZE));
  gtk_snapshot_append_color (snapshot, &dark_color,
                             &GRAPHENE_RECT_INIT (rect->origin.x + CHECKER_SIZE,
                                                  rect->origin.y + CHECKER_SIZE,
                                                  CHECKER_SIZE, CHECKER_SIZE));
  gtk_snapshot_pop (snapshot);
}

static void
append_image (EaselCanvas *self,
              GtkSnapshot *snapshot,
              GdkTexture  *texture,
              gboolean     dark)
{
  graphene_rect_t rect;

  if (!compute_rect (self, texture, &rect))
    return;

  append_checkerboard (snapshot, &rect, dark);
  gtk_snapshot_append_texture (snapshot, texture, &rect);
}

static void
append_outline (GtkSnapshot           *snapshot,
                const graphene_rect_t *rect,
                const char            *color,
                float                  width,
                float                  radius)
{
  GskRoundedRect outline;
  float widths[4] = { width, width, width, width };
  GdkRGBA colors[4];

  gdk_rgba_parse (&colors[0], color);
  colors[1] = colors[2] = colors[3] = colors[0];
  gsk_rounded_rect_init_from_rect (&outline, rect, radius);
  gtk_snapshot_append_border (snapshot, &outline, widths, colors);
}

static void
append_brush_cursor (EaselCanvas *self,
                     GtkSnapshot *snapshot)
{
  double radius = MAX (1.0, self->brush_size / 2 * effective_zoom (self));
  graphene_rect_t outer, inner;

  /* A dark and a light ring: visible on any image. */
  graphene_rect_init (&outer, self->pointer_x - radius - 1, self->pointer_y - radius - 1,
                      2 * radius + 2, 2 * radius + 2);
  graphene_rect_init (&inner, self->pointer_x - radius, self->pointer_y - radius,
                      2 * radius, 2 * radius);
  append_outline (snapshot, &outer, "rgba(0,0,0,0.6)", 1, radius + 1);
  append_outline (snapshot, &inner, "rgba(255,255,255,0.9)", 1, radius);

  if (self->tool == TOOL_BRUSH && self->hardness < 0.99)
    {
      double r = MAX (1.0, radius * self->hardness);
      graphene_rect_t core;

      graphene_rect_init (&core, self->pointer_x - r, self->pointer_y - r, 2 * r, 2 * r);
      append_outline (snapshot, &core, "rgba(255,255,255,0.45)", 1, r);
    }
}

static void
append_shape_preview (EaselCanvas *self,
                      GtkSnapshot *snapshot)
{
  GdkRGBA fill;

  gdk_rgba_parse (&fill, self->erase_shape ? "rgba(255,255,255,0.18)" : "rgba(53,132,228,0.25)");

  if (self->tool == TOOL_RECTANGLE)
    {
      graphene_rect_t rect;

      graphene_rect_init (&rect,
                          MIN (self->drag_x, self->pointer_x), MIN (self->drag_y, self->pointer_y),
                          fabs (self->pointer_x - self->drag_x), fabs (self->pointer_y - self->drag_y));
      gtk_snapshot_append_color (snapshot, &fill, &rect);
      append_outline (snapshot, &rect, "rgba(255,255,255,0.9)", 1, 0);
    }
  else if (self->tool == TOOL_LASSO && self->lasso->len > 1)
    {
      graphene_rect_t bounds;
      cairo_t *cr;
      double zoom = effective_zoom (self), ox, oy;

      image_origin (self, gdk_texture_get_width (self->texture), gdk_texture_get_height (self->texture), &ox, &oy);
      graphene_rect_init (&bounds, 0, 0, gtk_widget_get_width (GTK_WIDGET (self)),
                          gtk_widget_get_height (GTK_WIDGET (self)));
      cr = gtk_snapshot_append_cairo (snapshot, &bounds);
      for (guint i = 0; i < self->lasso->len; i++)
        {
          const EaselMaskPoint *p = &g_array_index (self->lasso, EaselMaskPoint, i);
          cairo_line_to (cr, ox + p->x * zoom, oy + p->y * zoom);
        }
      cairo_close_path (cr);
      gdk_cairo_set_source_rgba (cr, &fill);
      cairo_fill_preserve (cr);
      cairo_set_line_width (cr, 1.5);
      cairo_set_source_rgba (cr, 1, 1, 1, 0.9);
      cairo_stroke (cr);
      cairo_destroy (cr);
    }
}

static void
easel_canvas_snapshot (GtkWidget   *widget,
                       GtkSnapshot *snapshot)
{
  EaselCanvas *self = EASEL_CANVAS (widget);
  gboolean dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  graphene_rect_t rect;

  if (self->texture != NULL && compute_rect (self, self->texture, &rect))
    {
      if (self->previous != NULL)
        {
          double progress = (double)(g_get_monotonic_time () - self->fade_start) / FADE_USEC;

          gtk_snapshot_push_cross_fade (snapshot, CLAMP (progress, 0.0, 1.0));
          append_image (self, snapshot, self->previous, dark);
          gtk_snapshot_pop (snapshot);
          append_image (self, snapshot, self->texture, dark);
          gtk_snapshot_pop (snapshot);
        }
      else
        append_image (self, snapshot, self->texture, dark);

      if (self->show_mask && self->mask != NULL &&
          easel_mask_get_width (self->mask) == gdk_texture_get_width (self->texture) &&
          easel_mask_get_height (self->mask) == gdk_texture_get_height (self->texture))
        append_overlay (self, snapshot, &rect);

      if (self->show_drift && self->drift_texture != NULL)
        gtk_snapshot_append_texture (snapshot, self->drift_texture, &rect);

      if (self->incomplete)
        append_outline (snapshot, &rect, dark ? "#f8e45c" : "#c01c28", 2, 0);

      if (self->drag_mode == DRAG_PAINT && (self->tool == TOOL_RECTANGLE || self->tool == TOOL_LASSO))
        append_shape_preview (self, snapshot);
      else if (self->pointer_inside && !self->space_down && self->drag_mode != DRAG_PAN &&
               (self->tool == TOOL_BRUSH || self->tool == TOOL_ERASER))
        append_brush_cursor (self, snapshot);
    }

  /* The badge, toolbar, scrollbars and placeholder draw on top. */
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    gtk_widget_snapshot_child (widget, child, snapshot);
}

static void
easel_canvas_measure (GtkWidget      *widget,
                      GtkOrientation  orientation,
                      int             for_size,
                      int            *minimum,
                      int            *natural,
                      int            *minimum_baseline,
                      int            *natural_baseline)
{
  *minimum = *natural = 0;
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      int min = 0, nat = 0;

      if (!gtk_widget_should_layout (child))
        continue;
      gtk_widget_measure (child, orientation, -1, &min, &nat, NULL, NULL);
      *minimum = MAX (*minimum, min);
      *natural = MAX (*natural, nat);
    }
}

static gboolean
zoom_notify_idle_cb (gpointer user_data)
{
  EaselCanvas *self = user_data;

  self->zoom_notify_idle = 0;
  self->notified_zoom = effective_zoom (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
  return G_SOURCE_REMOVE;
}

static void
easel_canvas_size_allocate (GtkWidget *widget,
                            int        width,
                            int        height,
                            int        baseline)
{
  EaselCanvas *self = EASEL_CANVAS (widget);

  update_adjustments (self);

  /* Every child covers the canvas; their halign/valign place them. */
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (gtk_widget_should_layout (child))
      gtk_widget_allocate (child, width, height, -1, NULL);

  /* The zoom label follows the fitted zoom; notifying here would resize the
   * palette in the middle of layout, so it waits for an idle. A high one:
   * it runs before the next layout. A default-priority idle waited for as
   * long as anything repainted every frame, e.g. the prompt's blinking
   * cursor for its first 10 s, and the label kept "100 %". */
  if (self->fit && fabs (fit_zoom (self) - self->notified_zoom) > 1e-6 && self->zoom_notify_idle == 0)
    self->zoom_notify_idle = g_idle_add_full (G_PRIORITY_HIGH_IDLE, zoom_notify_idle_cb, self, NULL);
}

static gboolean
fade_tick_cb (GtkWidget     *widget,
              GdkFrameClock *frame_clock,
              gpointer       user_data)
{
  EaselCanvas *self = EASEL_CANVAS (widget);

  if (g_get_monotonic_time () - self->fade_start >= FADE_USEC)
    {
      g_clear_object (&self->previous);
      self->fade_tick = 0;
      gtk_widget_queue_draw (widget);
      return G_SOURCE_REMOVE;
    }

  gtk_widget_queue_draw (widget);
  return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------------ */
/* Input */

static double
event_pressure (GtkEventController *controller)
{
  GdkEvent *event = gtk_event_controller_get_current_event (controller);
  double pressure;

  /* Tablets report pressure on the same events the drag sees; mice don't. */
  if (event != NULL && gdk_event_get_axis (event, GDK_AXIS_PRESSURE, &pressure) && pressure > 0)
    return CLAMP (pressure, 0.05, 1.0);
  return 1.0;
}

static void
update_cursor (EaselCanvas *self)
{
  const char *name;

  if (self->drag_mode == DRAG_PAN)
    name = "grabbing";
  else if (self->space_down)
    name = "grab";
  else if (self->texture == NULL)
    name = NULL;
  else if (self->tool == TOOL_BRUSH || self->tool == TOOL_ERASER)
    name = "none";
  else
    name = "crosshair";

  gtk_widget_set_cursor_from_name (GTK_WIDGET (self), name);
}

static void
paint_drag_begin_cb (EaselCanvas    *self,
                     double          x,
                     double          y,
                     GtkGestureDrag *gesture)
{
  GdkModifierType state = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (gesture));
  double ix, iy;

  gtk_widget_grab_focus (GTK_WIDGET (self));
  self->drag_x = self->pointer_x = x;
  self->drag_y = self->pointer_y = y;

  if (self->space_down)
    {
      self->drag_mode = DRAG_PAN;
      self->pan_h = gtk_adjustment_get_value (self->hadjustment);
      self->pan_v = gtk_adjustment_get_value (self->vadjustment);
      update_cursor (self);
      return;
    }

  if (self->mask == NULL || !widget_to_image (self, x, y, &ix, &iy))
    {
      gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_DENIED);
      return;
    }

  self->drag_mode = DRAG_PAINT;
  self->erase_shape = (state & GDK_CONTROL_MASK) != 0;
  self->last_ix = ix;
  self->last_iy = iy;
  self->last_pressure = event_pressure (GTK_EVENT_CONTROLLER (gesture));

  switch (self->tool)
    {
    case TOOL_BRUSH:
    case TOOL_ERASER:
      easel_mask_begin_stroke (self->mask);
      easel_mask_stroke_to (self->mask, ix, iy, self->last_pressure, ix, iy, self->last_pressure,
                            self->brush_size / 2, self->hardness, self->tool == TOOL_ERASER);
      break;
    case TOOL_LASSO:
      g_array_set_size (self->lasso, 0);
      g_array_append_val (self->lasso, ((EaselMaskPoint) { ix, iy }));
      break;
    case TOOL_RECTANGLE:
    default:
      break;
    }

  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
paint_drag_update_cb (EaselCanvas    *self,
                      double          offset_x,
                      double          offset_y,
                      GtkGestureDrag *gesture)
{
  double x = self->drag_x + offset_x;
  double y = self->drag_y + offset_y;
  double ix, iy;

  self->pointer_x = x;
  self->pointer_y = y;

  if (self->drag_mode == DRAG_PAN)
    {
      gtk_adjustment_set_value (self->hadjustment, self->pan_h - offset_x);
      gtk_adjustment_set_value (self->vadjustment, self->pan_v - offset_y);
      return;
    }

  if (self->drag_mode != DRAG_PAINT || !widget_to_image (self, x, y, &ix, &iy))
    return;

  switch (self->tool)
    {
    case TOOL_BRUSH:
    case TOOL_ERASER:
      {
        double pressure = event_pressure (GTK_EVENT_CONTROLLER (gesture));

        /* The mask interpolates dabs along the segment, so fast strokes
         * stay continuous between motion events. */
        easel_mask_stroke_to (self->mask, self->last_ix, self->last_iy, self->last_pressure,
                              ix, iy, pressure, self->brush_size / 2, self->hardness,
                              self->tool == TOOL_ERASER);
        self->last_ix = ix;
        self->last_iy = iy;
        self->last_pressure = pressure;
      }
      break;
    case TOOL_LASSO:
      {
        const EaselMaskPoint *last = &g_array_index (self->lasso, EaselMaskPoint, self->lasso->len - 1);
        double zoom = effective_zoom (self);

        /* A point every couple of screen pixels is plenty. */
        if (hypot ((ix - last->x) * zoom, (iy - last->y) * zoom) >= 2.0)
          g_array_append_val (self->lasso, ((EaselMaskPoint) { ix, iy }));
      }
      break;
    case TOOL_RECTANGLE:
    default:
      break;
    }

  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
paint_drag_end_cb (EaselCanvas    *self,
                   double          offset_x,
                   double          offset_y,
                   GtkGestureDrag *gesture)
{
  DragMode mode = self->drag_mode;
  double x = self->drag_x + offset_x, y = self->drag_y + offset_y;
  double ix0, iy0, ix1, iy1;

  self->drag_mode = DRAG_NONE;
  update_cursor (self);

  if (mode != DRAG_PAINT || self->mask == NULL)
    return;

  switch (self->tool)
    {
    case TOOL_BRUSH:
    case TOOL_ERASER:
      easel_mask_end_stroke (self->mask);
      break;
    case TOOL_RECTANGLE:
      widget_to_image (self, self->drag_x, self->drag_y, &ix0, &iy0);
      widget_to_image (self, x, y, &ix1, &iy1);
      {
        int left = (int) round (MIN (ix0, ix1)), top = (int) round (MIN (iy0, iy1));
        int right = (int) round (MAX (ix0, ix1)), bottom = (int) round (MAX (iy0, iy1));

        if (right > left && bottom > top)
          easel_mask_fill_rect (self->mask, left, top, right - left, bottom - top, self->erase_shape);
      }
      break;
    case TOOL_LASSO:
      if (widget_to_image (self, x, y, &ix1, &iy1))
        g_array_append_val (self->lasso, ((EaselMaskPoint) { ix1, iy1 }));
      easel_mask_fill_polygon (self->mask, (const EaselMaskPoint *) self->lasso->data, self->lasso->len,
                               self->erase_shape);
      g_array_set_size (self->lasso, 0);
      break;
    default:
      break;
    }

  gtk_widget_queue_draw (GTK_WIDGET (self));
}

GtkGesture *
_easel_canvas_get_paint_gesture (EaselCanvas *self)
{
  return self->paint_drag;
}

static void
pan_drag_begin_cb (EaselCanvas    *self,
                   double          x,
                   double          y,
                   GtkGestureDrag *gesture)
{
  self->drag_mode = DRAG_PAN;
  self->pan_h = gtk_adjustment_get_value (self->hadjustment);
  self->pan_v = gtk_adjustment_get_value (self->vadjustment);
  update_cursor (self);
}

static void
pan_drag_update_cb (EaselCanvas    *self,
                    double          offset_x,
                    double          offset_y,
                    GtkGestureDrag *gesture)
{
  gtk_adjustment_set_value (self->hadjustment, self->pan_h - offset_x);
  gtk_adjustment_set_value (self->vadjustment, self->pan_v - offset_y);
}

static void
pan_drag_end_cb (EaselCanvas    *self,
                 double          offset_x,
                 double          offset_y,
                 GtkGestureDrag *gesture)
{
  self->drag_mode = DRAG_NONE;
  update_cursor (self);
}

static gboolean
scroll_cb (EaselCanvas              *self,
           double                    dx,
           double                    dy,
           GtkEventControllerScroll *controller)
{
  GdkModifierType state = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (controller));
  double step = gtk_event_controller_scroll_get_unit (controller) == GDK_SCROLL_UNIT_WHEEL ? 48 : 1;

  if (self->texture == NULL)
    return FALSE;

  if (state & GDK_CONTROL_MASK)
    {
      double factor = pow (1.1, -dy * (step > 1 ? 1 : 0.1));

      zoom_at (self, effective_zoom (self) * factor, self->pointer_x, self->pointer_y);
      return TRUE;
    }

  if (state & GDK_SHIFT_MASK)
    {
      dx = dy;
      dy = 0;
    }

  gtk_adjustment_set_value (self->hadjustment, gtk_adjustment_get_value (self->hadjustment) + dx * step);
  gtk_adjustment_set_value (self->vadjustment, gtk_adjustment_get_value (self->vadjustment) + dy * step);
  return TRUE;
}

static void
zoom_begin_cb (EaselCanvas      *self,
               GdkEventSequence *sequence,
               GtkGesture       *gesture)
{
  self->pinch_zoom = effective_zoom (self);
}

static void
zoom_scale_changed_cb (EaselCanvas    *self,
                       double          scale,
                       GtkGestureZoom *gesture)
{
  double x, y;

  if (!gtk_gesture_get_bounding_box_center (GTK_GESTURE (gesture), &x, &y))
    {
      x = gtk_widget_get_width (GTK_WIDGET (self)) / 2.0;
      y = gtk_widget_get_height (GTK_WIDGET (self)) / 2.0;
    }
  zoom_at (self, self->pinch_zoom * scale, x, y);
}

static void
motion_cb (EaselCanvas              *self,
           double                    x,
           double                    y,
           GtkEventControllerMotion *controller)
{
  self->pointer_x = x;
  self->pointer_y = y;
  self->pointer_inside = TRUE;
  if (self->tool == TOOL_BRUSH || self->tool == TOOL_ERASER)
    gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
leave_cb (EaselCanvas              *self,
          GtkEventControllerMotion *controller)
{
  self->pointer_inside = FALSE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static gboolean
key_pressed_cb (EaselCanvas           *self,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                GtkEventControllerKey *controller)
{
  if (keyval == GDK_KEY_space && self->texture != NULL)
    {
      self->space_down = TRUE;
      update_cursor (self);
      gtk_widget_queue_draw (GTK_WIDGET (self));
      return TRUE;
    }
  return FALSE;
}

static void
key_released_cb (EaselCanvas           *self,
                 guint                  keyval,
                 guint                  keycode,
                 GdkModifierType        state,
                 GtkEventControllerKey *controller)
{
  if (keyval == GDK_KEY_space)
    {
      self->space_down = FALSE;
      update_cursor (self);
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
}

/* ------------------------------------------------------------------------ */
/* Actions */

static void
update_history_actions (EaselCanvas *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean have_mask = self->mask != NULL;

  gtk_widget_action_set_enabled (widget, "canvas.undo",
                                 self->before_restore != NULL || (have_mask && easel_mask_can_undo (self->mask)));
  gtk_widget_action_set_enabled (widget, "canvas.redo", have_mask && easel_mask_can_redo (self->mask));
}

static void
update_actions (EaselCanvas *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean have_mask = self->mask != NULL;

  update_history_actions (self);
  gtk_widget_action_set_enabled (widget, "canvas.invert", have_mask);
  gtk_widget_action_set_enabled (widget, "canvas.clear", have_mask && self->has_selection);
  gtk_widget_action_set_enabled (widget, "canvas.fill-all", have_mask);
  gtk_widget_action_set_enabled (widget, "canvas.import-mask", have_mask);
  gtk_widget_action_set_enabled (widget, "canvas.show-drift", self->drift_texture != NULL);
  gtk_widget_action_set_enabled (widget, "canvas.restore-protected",
                                 self->guard_original_pixbuf != NULL && self->guard_result_pixbuf != NULL &&
                                 self->before_restore == NULL);
}

static void
mask_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  EaselCanvas *self = EASEL_CANVAS (widget);

  if (self->mask == NULL)
    return;

  if (g_str_equal (action_name, "canvas.invert"))
    easel_mask_invert (self->mask);
  else if (g_str_equal (action_name, "canvas.clear"))
    easel_mask_clear (self->mask);
  else if (g_str_equal (action_name, "canvas.fill-all"))
    easel_mask_fill_all (self->mask);

  if (!self->show_mask)
    g_object_set (self, "show-mask", TRUE, NULL);
}

static void
undo_redo_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  EaselCanvas *self = EASEL_CANVAS (widget);

  if (g_str_equal (action_name, "canvas.undo"))
    {
      /* The restore is the newest step: undo shows the model's output again. */
      if (self->before_restore != NULL)
        {
          g_autoptr(GdkTexture) output = g_steal_pointer (&self->before_restore);

          easel_canvas_set_texture (self, output);
          update_actions (self);
          g_signal_emit (self, signals[RESTORE_UNDONE], 0);
          return;
        }
      if (self->mask != NULL)
        easel_mask_undo (self->mask);
    }
  else if (self->mask != NULL)
    easel_mask_redo (self->mask);

  update_actions (self);
}

static void
zoom_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  EaselCanvas *self = EASEL_CANVAS (widget);
  static const double steps[] = { 0.05, 0.1, 0.125, 0.25, 0.333, 0.5, 0.667, 0.75, 1, 1.5, 2, 3, 4, 6, 8, 12, 16 };
  double zoom = effective_zoom (self);

  if (g_str_equal (action_name, "canvas.zoom-fit"))
    set_fit (self);
  else if (g_str_equal (action_name, "canvas.zoom-100"))
    zoom_at_centre (self, 1.0);
  else if (g_str_equal (action_name, "canvas.zoom-in"))
    {
      for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
        if (steps[i] > zoom * 1.01)
          {
            zoom_at_centre (self, steps[i]);
            return;
          }
    }
  else
    {
      for (guint i = G_N_ELEMENTS (steps); i > 0; i--)
        if (steps[i - 1] < zoom * 0.99)
          {
            zoom_at_centre (self, steps[i - 1]);
            return;
          }
    }
}

static void
import_loaded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(EaselCanvas) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new_from_stream_finish (result, &error);

  if (pixbuf == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("The mask cannot be read: %s"), error->message);
      g_signal_emit (self, signals[MESSAGE], 0, message);
      return;
    }

  if (self->mask == NULL)
    return;

  if (!easel_mask_set_from_pixbuf (self->mask, pixbuf, &error))
    {
      g_signal_emit (self, signals[MESSAGE], 0, error->message);
      return;
    }

  if (!self->show_mask)
    g_object_set (self, "show-mask", TRUE, NULL);
  g_signal_emit (self, signals[MESSAGE], 0, _("Mask imported"));
}

static void
import_read_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(EaselCanvas) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileInputStream) stream = g_file_read_finish (G_FILE (object), result, &error);

  if (stream == NULL)
    {
      g_signal_emit (self, signals[MESSAGE], 0, error->message);
      return;
    }

  /* Decoding happens off the main loop. */
  gdk_pixbuf_new_from_stream_async (G_INPUT_STREAM (stream), self->cancellable,
                                    import_loaded_cb, g_steal_pointer (&self));
}

static void
import_response_cb (GtkNativeDialog *dialog,
                    int              response,
                    EaselCanvas     *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

      g_file_read_async (file, G_PRIORITY_DEFAULT, self->cancellable, import_read_cb, g_object_ref (self));
    }

  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
import_mask_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  EaselCanvas *self = EASEL_CANVAS (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkFileChooserNative *chooser;
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  chooser = gtk_file_chooser_native_new (_("Import Mask"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _("_Import"), _("_Cancel"));
  gtk_file_filter_set_name (filter, _("Images"));
  gtk_file_filter_add_pixbuf_formats (filter);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect_object (chooser, "response", G_CALLBACK (import_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* ------------------------------------------------------------------------ */
/* Mask export and the masked edit */

static void
export_encoded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GBytes *png = easel_mask_encode_png_finish (EASEL_MASK (object), result, &error);

  if (png == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, png, (GDestroyNotify) g_bytes_unref);
}

void
easel_canvas_export_mask_png_async (EaselCanvas         *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (EASEL_IS_CANVAS (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_canvas_export_mask_png_async);

  if (self->mask == NULL)
    {
      g_task_return_new_error (task, EASEL_MASK_ERROR, EASEL_MASK_ERROR_EMPTY,
                               _("There is no image to mask yet"));
      return;
    }

  easel_mask_encode_png_async (self->mask, self->feather_radius, cancellable,
                               export_encoded_cb, g_steal_pointer (&task));
}

GBytes *
easel_canvas_export_mask_png_finish (EaselCanvas   *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct
{
  EaselClient  *client;
  EaselRequest *request;
  GBytes       *image_bytes;
  char         *mime_type;
  guint8       *selection;
  int           width, height;
} MaskedEdit;

static void
masked_edit_free (MaskedEdit *edit)
{
  g_clear_object (&edit->client);
  g_clear_pointer (&edit->request, easel_request_free);
  g_clear_pointer (&edit->image_bytes, g_bytes_unref);
  g_free (edit->mime_type);
  g_free (edit->selection);
  g_free (edit);
}

static void
masked_edit_prepared_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  EaselCanvas *self = g_task_get_source_object (task);
  MaskedEdit *edit = g_task_get_task_data (task);
  GError *error = NULL;
  EaselRequest *request = easel_masked_edit_prepare_finish (result, &error);

  if (request == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  /* Arm the guard with what was sent: the image and the selection as
   * painted when Send was pressed. */
  easel_canvas_reset_guard (self);
  self->guard_original = g_bytes_ref (edit->image_bytes);
  self->guard_selection = g_steal_pointer (&edit->selection);
  self->guard_width = edit->width;
  self->guard_height = edit->height;

  g_task_return_pointer (task, request, (GDestroyNotify) easel_request_free);
}

static void
masked_edit_mask_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MaskedEdit *edit = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(GBytes) png = easel_canvas_export_mask_png_finish (EASEL_CANVAS (object), result, &error);

  if (png == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  easel_masked_edit_prepare_async (edit->client, edit->request, edit->image_bytes, edit->mime_type, png,
                                   g_task_get_cancellable (task), masked_edit_prepared_cb,
                                   g_object_ref (task));
}

void
easel_canvas_prepare_masked_edit_async (EaselCanvas         *self,
                                        EaselClient         *client,
                                        const EaselRequest  *request,
                                        GBytes              *image_bytes,
                                        const char          *image_mime_type,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  MaskedEdit *edit;

  g_return_if_fail (EASEL_IS_CANVAS (self));
  g_return_if_fail (client == NULL || EASEL_IS_CLIENT (client));
  g_return_if_fail (request != NULL);
  g_return_if_fail (image_bytes != NULL);

  edit = g_new0 (MaskedEdit, 1);
  edit->client = client ? g_object_ref (client) : NULL;
  edit->request = easel_request_copy (request);
  edit->image_bytes = g_bytes_ref (image_bytes);
  edit->mime_type = g_strdup (image_mime_type);
  if (self->mask != NULL)
    {
      edit->width = easel_mask_get_width (self->mask);
      edit->height = easel_mask_get_height (self->mask);
      edit->selection = g_memdup2 (easel_mask_get_data (self->mask), (gsize) edit->width * edit->height);
    }

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_canvas_prepare_masked_edit_async);
  g_task_set_task_data (task, edit, (GDestroyNotify) masked_edit_free);

  easel_canvas_export_mask_png_async (self, cancellable, masked_edit_mask_cb, g_steal_pointer (&task));
}

EaselRequest *
easel_canvas_prepare_masked_edit_finish (EaselCanvas   *self,
                                         GAsyncResult  *result,
                                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------------ */
/* The mask guard */

typedef struct
{
  GBytes *original_bytes;
  GBytes *result_bytes;
  guint8 *selection;
  int width, height;
  double feather;
  GdkPixbuf *original;
  GdkPixbuf *result;
  EaselDriftReport *report;
  GdkTexture *heat;
  GdkTexture *restored;
  GBytes *restored_png;
} GuardJob;

static void
guard_job_free (GuardJob *job)
{
  g_clear_pointer (&job->original_bytes, g_bytes_unref);
  g_clear_pointer (&job->result_bytes, g_bytes_unref);
  g_clear_pointer (&job->restored_png, g_bytes_unref);
  g_clear_pointer (&job->report, easel_drift_report_free);
  g_clear_object (&job->original);
  g_clear_object (&job->result);
  g_clear_object (&job->heat);
  g_clear_object (&job->restored);
  g_free (job->selection);
  g_free (job);
}

static GdkPixbuf *
decode_bytes (GBytes *bytes, GError **error)
{
  g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();

  if (!gdk_pixbuf_loader_write_bytes (loader, bytes, error) || !gdk_pixbuf_loader_close (loader, error))
    return NULL;
  return g_object_ref (gdk_pixbuf_loader_get_pixbuf (loader));
}

static void
drift_thread (GTask        *task,
              gpointer      source,
              gpointer      data,
              GCancellable *cancellable)
{
  GuardJob *job = data;
  GError *error = NULL;

  if (job->original == NULL && !(job->original = decode_bytes (job->original_bytes, &error)))
    {
      g_task_return_error (task, error);
      return;
    }
  if (!(job->result = decode_bytes (job->result_bytes, &error)))
    {
      g_task_return_error (task, error);
      return;
    }
  if (gdk_pixbuf_get_width (job->original) != job->width || gdk_pixbuf_get_height (job->original) != job->height)
    {
      g_task_return_new_error (task, EASEL_MASK_ERROR, EASEL_MASK_ERROR_SIZE_MISMATCH,
                               "The mask no longer matches the image it was painted on");
      return;
    }

  job->report = easel_drift_compare (job->original, job->result, job->selection,
                                     job->width, job->height, DRIFT_THRESHOLD);
  job->heat = gdk_memory_texture_new (job->width, job->height, GDK_MEMORY_R8G8B8A8,
                                      job->report->heatmap, (gsize) job->width * 4);
  g_task_return_boolean (task, TRUE);
}

static void
drift_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  EaselCanvas *self = EASEL_CANVAS (object);
  GuardJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Drift comparison failed: %s", error->message);
      return;
    }

  g_set_object (&self->guard_original_pixbuf, job->original);
  g_set_object (&self->guard_result_pixbuf, job->result);
  g_clear_pointer (&self->drift, easel_drift_report_free);
  self->drift = g_steal_pointer (&job->report);
  g_set_object (&self->drift_texture, job->heat);

  g_free (self->drift_summary);
  if (self->drift->protected_pixels == 0)
    self->drift_summary = g_strdup (_("The whole image was open to change"));
  else
    /* Translators: "4.2 % of protected pixels drifted" */
    self->drift_summary = g_strdup_printf (_("%.1f %% of protected pixels drifted"), self->drift->drift_percent);

  gtk_label_set_label (GTK_LABEL (self->drift_label), self->drift_summary);
  gtk_widget_set_visible (self->drift_bar, TRUE);
  update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DRIFT_SUMMARY]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
easel_canvas_check_result (EaselCanvas *self,
                           GBytes      *result_bytes)
{
  g_autoptr(GTask) task = NULL;
  GuardJob *job;

  g_return_if_fail (EASEL_IS_CANVAS (self));
  g_return_if_fail (result_bytes != NULL);

  if (self->guard_original == NULL || self->guard_selection == NULL)
    return;

  job = g_new0 (GuardJob, 1);
  job->original_bytes = g_bytes_ref (self->guard_original);
  job->result_bytes = g_bytes_ref (result_bytes);
  job->selection = g_memdup2 (self->guard_selection, (gsize) self->guard_width * self->guard_height);
  job->width = self->guard_width;
  job->height = self->guard_height;

  task = g_task_new (self, self->cancellable, drift_done_cb, NULL);
  g_task_set_source_tag (task, easel_canvas_check_result);
  g_task_set_task_data (task, job, (GDestroyNotify) guard_job_free);
  g_task_run_in_thread (task, drift_thread);
}

void
easel_canvas_reset_guard (EaselCanvas *self)
{
  g_return_if_fail (EASEL_IS_CANVAS (self));

  g_clear_pointer (&self->guard_original, g_bytes_unref);
  g_clear_pointer (&self->guard_selection, g_free);
  g_clear_object (&self->guard_original_pixbuf);
  g_clear_object (&self->guard_result_pixbuf);
  g_clear_pointer (&self->drift, easel_drift_report_free);
  g_clear_object (&self->drift_texture);
  g_clear_object (&self->before_restore);
  g_clear_pointer (&self->drift_summary, g_free);
  gtk_widget_set_visible (self->drift_bar, FALSE);
  update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DRIFT_SUMMARY]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const char *
easel_canvas_get_drift_summary (EaselCanvas *self)
{
  g_return_val_if_fail (EASEL_IS_CANVAS (self), NULL);
  return self->drift_summary ? self->drift_summary : "";
}

static void
restore_thread (GTask        *task,
                gpointer      source,
                gpointer      data,
                GCancellable *cancellable)
{
  GuardJob *job = data;
  g_autoptr(GdkPixbuf) out = NULL;
  g_autoptr(GBytes) pixels = NULL;
  GError *error = NULL;
  char *buffer = NULL;
  gsize len = 0;

  out = easel_restore_protected (job->original, job->result, job->selection,
                                 job->width, job->height, job->feather);
  if (!gdk_pixbuf_save_to_buffer (out, &buffer, &len, "png", &error, "compression", "3", NULL))
    {
      g_task_return_error (task, error);
      return;
    }
  job->restored_png = g_bytes_new_take (buffer, len);

  /* The texture too: the main loop only swaps it in. */
  pixels = g_bytes_new (gdk_pixbuf_read_pixels (out),
                        (gsize) gdk_pixbuf_get_rowstride (out) * gdk_pixbuf_get_height (out));
  job->restored = gdk_memory_texture_new (gdk_pixbuf_get_width (out), gdk_pixbuf_get_height (out),
                                          GDK_MEMORY_R8G8B8A8, pixels, gdk_pixbuf_get_rowstride (out));
  g_task_return_boolean (task, TRUE);
}

static void
restore_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  EaselCanvas *self = EASEL_CANVAS (object);
  GuardJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) output = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_signal_emit (self, signals[MESSAGE], 0, error->message);
      return;
    }

  output = self->texture ? g_object_ref (self->texture) : NULL;
  easel_canvas_set_texture (self, job->restored);
  g_set_object (&self->before_restore, output);
  g_object_set (self, "show-drift", FALSE, NULL);
  gtk_label_set_label (GTK_LABEL (self->drift_label), _("Protected pixels restored"));
  update_actions (self);
  g_signal_emit (self, signals[RESTORED], 0, job->restored, job->restored_png);
}

static void
restore_protected_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *param)
{
  EaselCanvas *self = EASEL_CANVAS (widget);
  g_autoptr(GTask) task = NULL;
  GuardJob *job;

  if (self->guard_original_pixbuf == NULL || self->guard_result_pixbuf == NULL)
    return;

  job = g_new0 (GuardJob, 1);
  job->original = g_object_ref (self->guard_original_pixbuf);
  job->result = g_object_ref (self->guard_result_pixbuf);
  job->selection = g_memdup2 (self->guard_selection, (gsize) self->guard_width * self->guard_height);
  job->width = self->guard_width;
  job->height = self->guard_height;
  job->feather = self->feather_radius;

  gtk_widget_action_set_enabled (widget, "canvas.restore-protected", FALSE);
  task = g_task_new (self, self->cancellable, restore_done_cb, NULL);
  g_task_set_source_tag (task, restore_protected_action);
  g_task_set_task_data (task, job, (GDestroyNotify) guard_job_free);
  g_task_run_in_thread (task, restore_thread);
}

/* ------------------------------------------------------------------------ */
/* GObject */

static void
easel_canvas_dispose (GObject *object)
{
  EaselCanvas *self = (EaselCanvas *)object;

  g_cancellable_cancel (self->cancellable);
  if (self->fade_tick)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->fade_tick);
      self->fade_tick = 0;
    }
  g_clear_handle_id (&self->selection_idle, g_source_remove);
  g_clear_handle_id (&self->zoom_notify_idle, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), EASEL_TYPE_CANVAS);
  if (self->mask != NULL)
    g_signal_handlers_disconnect_by_func (self->mask, mask_changed_cb, self);
  g_clear_object (&self->mask);
  g_clear_object (&self->texture);
  g_clear_object (&self->previous);
  g_clear_object (&self->hadjustment);
  g_clear_object (&self->vadjustment);
  g_clear_object (&self->settings);
  g_clear_object (&self->guard_original_pixbuf);
  g_clear_object (&self->guard_result_pixbuf);
  g_clear_object (&self->drift_texture);
  g_clear_object (&self->before_restore);
  g_clear_object (&self->cancellable);
  if (self->tiles != NULL)
    g_ptr_array_set_size (self->tiles, 0);

  G_OBJECT_CLASS (easel_canvas_parent_class)->dispose (object);
}

static void
easel_canvas_finalize (GObject *object)
{
  EaselCanvas *self = (EaselCanvas *)object;

  g_clear_pointer (&self->tiles, g_ptr_array_unref);
  g_clear_pointer (&self->lasso, g_array_unref);
  g_clear_pointer (&self->status, g_free);
  g_clear_pointer (&self->guard_original, g_bytes_unref);
  g_clear_pointer (&self->guard_selection, g_free);
  g_clear_pointer (&self->drift, easel_drift_report_free);
  g_clear_pointer (&self->drift_summary, g_free);

  G_OBJECT_CLASS (easel_canvas_parent_class)->finalize (object);
}

static void
easel_canvas_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  EaselCanvas *self = EASEL_CANVAS (object);

  switch (prop_id)
    {
    case PROP_TEXTURE: g_value_set_object (value, self->texture); break;
    case PROP_REFINING: g_value_set_boolean (value, self->refining); break;
    case PROP_INCOMPLETE: g_value_set_boolean (value, self->incomplete); break;
    case PROP_STATUS: g_value_set_string (value, self->status); break;
    case PROP_TOOL: g_value_set_string (value, tool_names[self->tool]); break;
    case PROP_BRUSH_SIZE: g_value_set_double (value, self->brush_size); break;
    case PROP_HARDNESS: g_value_set_double (value, self->hardness); break;
    case PROP_FEATHER_RADIUS: g_value_set_double (value, self->feather_radius); break;
    case PROP_MASK_OPACITY: g_value_set_double (value, self->mask_opacity); break;
    case PROP_SHOW_MASK: g_value_set_boolean (value, self->show_mask); break;
    case PROP_SHOW_DRIFT: g_value_set_boolean (value, self->show_drift); break;
    case PROP_ZOOM: g_value_set_double (value, effective_zoom (self)); break;
    case PROP_ZOOM_TO_FIT: g_value_set_boolean (value, self->fit); break;
    case PROP_MASK: g_value_set_object (value, self->mask); break;
    case PROP_HAS_SELECTION: g_value_set_boolean (value, self->has_selection); break;
    case PROP_DRIFT_SUMMARY: g_value_set_string (value, easel_canvas_get_drift_summary (self)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_double_prop (EaselCanvas *self,
                 double      *field,
                 double       value,
                 guint        prop)
{
  if (*field == value)
    return;
  *field = value;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
easel_canvas_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  EaselCanvas *self = EASEL_CANVAS (object);

  switch (prop_id)
    {
    case PROP_TEXTURE: easel_canvas_set_texture (self, g_value_get_object (value)); break;
    case PROP_REFINING: easel_canvas_set_refining (self, g_value_get_boolean (value)); break;
    case PROP_INCOMPLETE: easel_canvas_set_incomplete (self, g_value_get_boolean (value)); break;
    case PROP_STATUS: easel_canvas_set_status (self, g_value_get_string (value)); break;
    case PROP_TOOL: easel_canvas_set_tool (self, g_value_get_string (value)); break;
    case PROP_BRUSH_SIZE: set_double_prop (self, &self->brush_size, g_value_get_double (value), prop_id); break;
    case PROP_HARDNESS: set_double_prop (self, &self->hardness, g_value_get_double (value), prop_id); break;
    case PROP_FEATHER_RADIUS: set_double_prop (self, &self->feather_radius, g_value_get_double (value), prop_id); break;
    case PROP_MASK_OPACITY:
      if (self->mask_opacity != g_value_get_double (value))
        clear_tiles (self);
      set_double_prop (self, &self->mask_opacity, g_value_get_double (value), prop_id);
      break;
    case PROP_SHOW_MASK:
      if (self->show_mask != g_value_get_boolean (value))
        {
          self->show_mask = g_value_get_boolean (value);
          gtk_widget_queue_draw (GTK_WIDGET (self));
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_SHOW_DRIFT:
      if (self->show_drift != g_value_get_boolean (value))
        {
          self->show_drift = g_value_get_boolean (value);
          gtk_widget_queue_draw (GTK_WIDGET (self));
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_ZOOM: easel_canvas_set_zoom (self, g_value_get_double (value)); break;
    case PROP_ZOOM_TO_FIT:
      if (g_value_get_boolean (value))
        set_fit (self);
      else if (self->fit)
        zoom_at_centre (self, effective_zoom (self));
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_canvas_class_init (EaselCanvasClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = easel_canvas_dispose;
  object_class->finalize = easel_canvas_finalize;
  object_class->get_property = easel_canvas_get_property;
  object_class->set_property = easel_canvas_set_property;

  widget_class->snapshot = easel_canvas_snapshot;
  widget_class->measure = easel_canvas_measure;
  widget_class->size_allocate = easel_canvas_size_allocate;

  properties[PROP_TEXTURE] =
    g_param_spec_object ("texture", NULL, NULL, GDK_TYPE_TEXTURE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_REFINING] =
    g_param_spec_boolean ("refining", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_INCOMPLETE] =
    g_param_spec_boolean ("incomplete", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATUS] =
    g_param_spec_string ("status", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TOOL] =
    g_param_spec_string ("tool", NULL, NULL, "brush",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BRUSH_SIZE] =
    g_param_spec_double ("brush-size", NULL, NULL, 1, 1000, 64,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HARDNESS] =
    g_param_spec_double ("hardness", NULL, NULL, 0, 1, 0.8,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FEATHER_RADIUS] =
    g_param_spec_double ("feather-radius", NULL, NULL, 0, 100, 4,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MASK_OPACITY] =
    g_param_spec_double ("mask-opacity", NULL, NULL, 0, 1, 0.5,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHOW_MASK] =
    g_param_spec_boolean ("show-mask", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHOW_DRIFT] =
    g_param_spec_boolean ("show-drift", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ZOOM] =
    g_param_spec_double ("zoom", NULL, NULL, MIN_ZOOM, MAX_ZOOM, 1.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ZOOM_TO_FIT] =
    g_param_spec_boolean ("zoom-to-fit", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MASK] =
    g_param_spec_object ("mask", NULL, NULL, EASEL_TYPE_MASK,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HAS_SELECTION] =
    g_param_spec_boolean ("has-selection", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DRIFT_SUMMARY] =
    g_param_spec_string ("drift-summary", NULL, NULL, "",
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[RESTORED] = g_signal_new ("restored", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 2, GDK_TYPE_TEXTURE, G_TYPE_BYTES);
  signals[RESTORE_UNDONE] = g_signal_new ("restore-undone", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[MESSAGE] = g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  g_type_ensure (EASEL_TYPE_CANVAS_TOOLBAR);
  /* The tool icons ship in the resources; GtkApplication finds them on its
   * own, this covers tests and other hosts. */
  if (gdk_display_get_default () != NULL)
    gtk_icon_theme_add_resource_path (gtk_icon_theme_get_for_display (gdk_display_get_default ()),
                                      RESOURCE_PREFIX "/icons");
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/easel-canvas.ui");
  gtk_widget_class_bind_template_child (widget_class, EaselCanvas, placeholder);
  gtk_widget_class_bind_template_child (widget_class, EaselCanvas, badge);
  gtk_widget_class_bind_template_child (widget_class, EaselCanvas, badge_spinner);
  gtk_widget_class_bind_template_child (widget_class, EaselCanvas, badge_label);
  gtk_widget_class_bind_template_child (widget_class, EaselCanvas, hscrollbar);
  gtk_widget_class_bind_template_child (widget_class, EaselCanvas, vscrollbar);
  gtk_widget_class_bind_template_child (widget_class, EaselCanvas, toolbar);
  gtk_widget_class_bind_template_child (widget_class, EaselCanvas, drift_bar);
  gtk_widget_class_bind_template_child (widget_class, EaselCanvas, drift_label);

  gtk_widget_class_install_property_action (widget_class, "canvas.tool", "tool");
  gtk_widget_class_install_property_action (widget_class, "canvas.show-mask", "show-mask");
  gtk_widget_class_install_property_action (widget_class, "canvas.show-drift", "show-drift");
  gtk_widget_class_install_action (widget_class, "canvas.undo", NULL, undo_redo_action);
  gtk_widget_class_install_action (widget_class, "canvas.redo", NULL, undo_redo_action);
  gtk_widget_class_install_action (widget_class, "canvas.invert", NULL, mask_action);
  gtk_widget_class_install_action (widget_class, "canvas.clear", NULL, mask_action);
  gtk_widget_class_install_action (widget_class, "canvas.fill-all", NULL, mask_action);
  gtk_widget_class_install_action (widget_class, "canvas.zoom-in", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "canvas.zoom-out", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "canvas.zoom-fit", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "canvas.zoom-100", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "canvas.import-mask", NULL, import_mask_action);
  gtk_widget_class_install_action (widget_class, "canvas.restore-protected", NULL, restore_protected_action);

  /* Painter's shortcuts, active while the canvas has focus. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_b, 0, "canvas.tool", "s", "brush");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, 0, "canvas.tool", "s", "eraser");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_m, 0, "canvas.tool", "s", "rectangle");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_l, 0, "canvas.tool", "s", "lasso");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_i, GDK_CONTROL_MASK, "canvas.invert", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, GDK_CONTROL_MASK, "canvas.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_equal, GDK_CONTROL_MASK, "canvas.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, GDK_CONTROL_MASK, "canvas.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0, GDK_CONTROL_MASK, "canvas.zoom-fit", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1, GDK_CONTROL_MASK, "canvas.zoom-100", NULL);

  gtk_widget_class_set_css_name (widget_class, "easel-canvas");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
init_settings (EaselCanvas *self)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  /* Tests and uninstalled runs may lack the compiled schema. */
  if (source == NULL || !(schema = g_settings_schema_source_lookup (source, SETTINGS_SCHEMA_ID, TRUE)))
    return;
  if (!g_settings_schema_has_key (schema, "mask-opacity"))
    return;

  self->settings = g_settings_new (SETTINGS_SCHEMA_ID);
  g_settings_bind (self->settings, "mask-opacity", self, "mask-opacity", G_SETTINGS_BIND_DEFAULT);
}

static void
easel_canvas_init (EaselCanvas *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  GtkEventController *controller;
  GtkGesture *gesture;

  self->zoom = 1.0;
  self->fit = TRUE;
  self->tool = TOOL_BRUSH;
  self->brush_size = 64;
  self->hardness = 0.8;
  self->feather_radius = 4;
  self->mask_opacity = 0.5;
  self->show_mask = TRUE;
  self->tiles = g_ptr_array_new_with_free_func (tile_free);
  self->lasso = g_array_new (FALSE, FALSE, sizeof (EaselMaskPoint));
  self->cancellable = g_cancellable_new ();
  self->hadjustment = g_object_ref_sink (gtk_adjustment_new (0, 0, 0, 0, 0, 0));
  self->vadjustment = g_object_ref_sink (gtk_adjustment_new (0, 0, 0, 0, 0, 0));
  g_signal_connect_object (self->hadjustment, "value-changed", G_CALLBACK (gtk_widget_queue_draw), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->vadjustment, "value-changed", G_CALLBACK (gtk_widget_queue_draw), self, G_CONNECT_SWAPPED);

  gtk_widget_init_template (widget);
  gtk_widget_set_focusable (widget, TRUE);
  gtk_scrollbar_set_adjustment (GTK_SCROLLBAR (self->hscrollbar), self->hadjustment);
  gtk_scrollbar_set_adjustment (GTK_SCROLLBAR (self->vscrollbar), self->vadjustment);
  easel_canvas_toolbar_set_canvas (EASEL_CANVAS_TOOLBAR (self->toolbar), self);

  gesture = gtk_gesture_drag_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (gesture), GDK_BUTTON_PRIMARY);
  g_signal_connect_swapped (gesture, "drag-begin", G_CALLBACK (paint_drag_begin_cb), self);
  g_signal_connect_swapped (gesture, "drag-update", G_CALLBACK (paint_drag_update_cb), self);
  g_signal_connect_swapped (gesture, "drag-end", G_CALLBACK (paint_drag_end_cb), self);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (gesture));
  self->paint_drag = gesture;

  gesture = gtk_gesture_drag_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (gesture), GDK_BUTTON_MIDDLE);
  g_signal_connect_swapped (gesture, "drag-begin", G_CALLBACK (pan_drag_begin_cb), self);
  g_signal_connect_swapped (gesture, "drag-update", G_CALLBACK (pan_drag_update_cb), self);
  g_signal_connect_swapped (gesture, "drag-end", G_CALLBACK (pan_drag_end_cb), self);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (gesture));

  gesture = gtk_gesture_zoom_new ();
  g_signal_connect_swapped (gesture, "begin", G_CALLBACK (zoom_begin_cb), self);
  g_signal_connect_swapped (gesture, "scale-changed", G_CALLBACK (zoom_scale_changed_cb), self);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (gesture));

  controller = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
  g_signal_connect_swapped (controller, "scroll", G_CALLBACK (scroll_cb), self);
  gtk_widget_add_controller (widget, controller);

  controller = gtk_event_controller_motion_new ();
  g_signal_connect_swapped (controller, "motion", G_CALLBACK (motion_cb), self);
  g_signal_connect_swapped (controller, "enter", G_CALLBACK (motion_cb), self);
  g_signal_connect_swapped (controller, "leave", G_CALLBACK (leave_cb), self);
  gtk_widget_add_controller (widget, controller);

  controller = gtk_event_controller_key_new ();
  g_signal_connect_swapped (controller, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  g_signal_connect_swapped (controller, "key-released", G_CALLBACK (key_released_cb), self);
  gtk_widget_add_controller (widget, controller);

  init_settings (self);
  update_badge (self);
  update_actions (self);
  update_cursor (self);
}

/* ------------------------------------------------------------------------ */
/* Public API */

GtkWidget *
easel_canvas_new (void)
{
  return g_object_new (EASEL_TYPE_CANVAS, NULL);
}

GdkTexture *
easel_canvas_get_texture (EaselCanvas *self)
{
  g_return_val_if_fail (EASEL_IS_CANVAS (self), NULL);
  return self->texture;
}

void
easel_canvas_set_texture (EaselCanvas *self,
                          GdkTexture  *texture)
{
  gboolean new_size;

  g_return_if_fail (EASEL_IS_CANVAS (self));
  g_return_if_fail (!texture || GDK_IS_TEXTURE (texture));

  if (self->texture == texture)
    return;

  new_size = texture != NULL &&
             (self->texture == NULL ||
              gdk_texture_get_width (self->texture) != gdk_texture_get_width (texture) ||
              gdk_texture_get_height (self->texture) != gdk_texture_get_height (texture));

  /* Cross-fade only between frames of one image (partials → final), where
   * the sizes match; anything else swaps at once. The old texture stays on
   * screen until the new one is handed over ready, so nothing flickers. */
  g_clear_object (&self->previous);
  if (self->texture != NULL && texture != NULL && !new_size &&
      adw_get_enable_animations (GTK_WIDGET (self)))
    {
      self->previous = g_steal_pointer (&self->texture);
      self->fade_start = g_get_monotonic_time ();
      if (self->fade_tick == 0)
        self->fade_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self), fade_tick_cb, NULL, NULL);
    }

  g_set_object (&self->texture, texture);

  /* The mask lives at the image's pixel size: kept across frames of the
   * same size, recreated for another size. */
  if (texture != NULL &&
      (self->mask == NULL ||
       easel_mask_get_width (self->mask) != gdk_texture_get_width (texture) ||
       easel_mask_get_height (self->mask) != gdk_texture_get_height (texture)))
    {
      g_autoptr(EaselMask) mask = easel_mask_new (gdk_texture_get_width (texture), gdk_texture_get_height (texture));
      set_mask (self, mask);
    }

  /* A texture set from outside (another turn, a new frame) is no longer
   * the restored composite: undo no longer applies to it. */
  g_clear_object (&self->before_restore);

  if (new_size)
    update_adjustments (self);

  update_badge (self);
  update_actions (self);
  update_cursor (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEXTURE]);
}

gboolean
easel_canvas_get_refining (EaselCanvas *self)
{
  g_return_val_if_fail (EASEL_IS_CANVAS (self), FALSE);
  return self->refining;
}

void
easel_canvas_set_refining (EaselCanvas *self,
                           gboolean     refining)
{
  g_return_if_fail (EASEL_IS_CANVAS (self));

  refining = !!refining;
  if (self->refining == refining)
    return;
  self->refining = refining;
  update_badge (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REFINING]);
}

gboolean
easel_canvas_get_incomplete (EaselCanvas *self)
{
  g_return_val_if_fail (EASEL_IS_CANVAS (self), FALSE);
  return self->incomplete;
}

void
easel_canvas_set_incomplete (EaselCanvas *self,
                             gboolean     incomplete)
{
  g_return_if_fail (EASEL_IS_CANVAS (self));

  incomplete = !!incomplete;
  if (self->incomplete == incomplete)
    return;
  self->incomplete = incomplete;
  update_badge (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INCOMPLETE]);
}

const char *
easel_canvas_get_status (EaselCanvas *self)
{
  g_return_val_if_fail (EASEL_IS_CANVAS (self), NULL);
  return self->status;
}

void
easel_canvas_set_status (EaselCanvas *self,
                         const char  *status)
{
  g_return_if_fail (EASEL_IS_CANVAS (self));

  if (g_strcmp0 (self->status, status) == 0)
    return;
  g_free (self->status);
  self->status = g_strdup (status);
  update_badge (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}

const char *
easel_canvas_get_tool (EaselCanvas *self)
{
  g_return_val_if_fail (EASEL_IS_CANVAS (self), NULL);
  return tool_names[self->tool];
}

void
easel_canvas_set_tool (EaselCanvas *self,
                       const char  *tool)
{
  g_return_if_fail (EASEL_IS_CANVAS (self));

  for (guint i = 0; i < G_N_ELEMENTS (tool_names); i++)
    if (g_strcmp0 (tool, tool_names[i]) == 0)
      {
        if (self->tool == (Tool) i)
          return;
        self->tool = i;
        update_cursor (self);
        gtk_widget_queue_draw (GTK_WIDGET (self));
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOOL]);
        return;
      }

  g_warning ("Unknown canvas tool “%s”", tool);
}

EaselMask *
easel_canvas_get_mask (EaselCanvas *self)
{
  g_return_val_if_fail (EASEL_IS_CANVAS (self), NULL);
  return self->mask;
}

gboolean
easel_canvas_has_mask_selection (EaselCanvas *self)
{
  g_return_val_if_fail (EASEL_IS_CANVAS (self), FALSE);

  /* Exact, not the idle-updated flag: Send may come right after a stroke. */
  return self->mask != NULL && !easel_mask_is_empty (self->mask);
}

double
easel_canvas_get_feather_radius (EaselCanvas *self)
{
  g_return_val_if_fail (EASEL_IS_CANVAS (self), 0);
  return self->feather_radius;
}
