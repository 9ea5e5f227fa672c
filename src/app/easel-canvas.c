/* easel-canvas.c: the image being worked on, its inpainting mask and the mask guard
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The canvas draws with snapshot rather than GtkDrawingArea so that a new
 * partial image replaces the old one in a single frame, with no blank in
 * between, and the final fades in over the last partial.
 *
 * This file is the widget: properties, the texture, drawing and layout.
 * The image itself is painted from a copy at the size shown
 * (easel-canvas-display.c). The view (zoom and pan) is in easel-canvas-view.c, the mask tools in
 * easel-canvas-mask.c, the masked edit in easel-canvas-edit.c and the mask
 * guard in easel-canvas-guard.c.
 */

#define G_LOG_DOMAIN "easel-canvas"

#include "config.h"

#include <math.h>
#include <adwaita.h>
#include <glib/gi18n.h>

#include "easel-canvas-private.h"
#include "easel-canvas-toolbar.h"
#include "easel-wrap-box.h"

#define CHECKER_SIZE 8
#define FADE_USEC (180 * 1000)

G_DEFINE_FINAL_TYPE (EaselCanvas, easel_canvas, GTK_TYPE_WIDGET)

static const char * const tool_names[] = { "brush", "eraser", "rectangle", "lasso" };

GParamSpec *_easel_canvas_properties[N_PROPS];
guint _easel_canvas_signals[N_SIGNALS];

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

  if (!_easel_canvas_compute_rect (self, texture, &rect))
    return;

  append_checkerboard (snapshot, &rect, dark);
  _easel_canvas_append_image (self, snapshot, texture, &rect);
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
  double radius = MAX (1.0, self->brush_size / 2 * _easel_canvas_effective_zoom (self));
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
      double zoom = _easel_canvas_effective_zoom (self), ox, oy;

      _easel_canvas_image_origin (self, gdk_texture_get_width (self->texture), gdk_texture_get_height (self->texture),
                                  &ox, &oy);
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

  if (self->texture != NULL && _easel_canvas_compute_rect (self, self->texture, &rect))
    {
      _easel_canvas_update_display_hint (self);

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
        _easel_canvas_append_overlay (self, snapshot, &rect);

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
  self->notified_zoom = _easel_canvas_effective_zoom (self);
  g_object_notify_by_pspec (G_OBJECT (self), _easel_canvas_properties[PROP_ZOOM]);
  return G_SOURCE_REMOVE;
}

static void
easel_canvas_size_allocate (GtkWidget *widget,
                            int        width,
                            int        height,
                            int        baseline)
{
  EaselCanvas *self = EASEL_CANVAS (widget);

  _easel_canvas_update_adjustments (self);

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
  if (self->fit && fabs (_easel_canvas_fit_zoom (self) - self->notified_zoom) > 1e-6 && self->zoom_notify_idle == 0)
    self->zoom_notify_idle = g_idle_add_full (G_PRIORITY_HIGH_IDLE, zoom_notify_idle_cb, self, NULL);
}

typedef struct
{
  gpointer       data;
  GDestroyNotify free_func;
} RetiredItem;

static void
retired_item_free (gpointer p)
{
  RetiredItem *item = p;

  item->free_func (item->data);
  g_free (item);
}

/* A cairo render node records the surface it paints as a copy-on-write
 * snapshot; freeing the surface while that node lives (GTK keeps the last
 * frame's nodes for the next one) makes cairo copy the whole surface. Two
 * frames later the nodes are gone and freeing costs nothing. */
static gboolean
retire_tick_cb (GtkWidget     *widget,
                GdkFrameClock *frame_clock,
                gpointer       user_data)
{
  EaselCanvas *self = EASEL_CANVAS (widget);

  if (++self->retire_frames < 3)
    return G_SOURCE_CONTINUE;
  g_ptr_array_set_size (self->retired, 0);
  self->retire_tick = 0;
  return G_SOURCE_REMOVE;
}

void
_easel_canvas_retire (EaselCanvas    *self,
                      gpointer        data,
                      GDestroyNotify  free_func)
{
  RetiredItem *item;

  if (data == NULL)
    return;
  /* Not on screen: nothing draws it, no frame will come to free it. */
  if (!gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      free_func (data);
      return;
    }
  item = g_new (RetiredItem, 1);
  item->data = data;
  item->free_func = free_func;
  g_ptr_array_add (self->retired, item);
  self->retire_frames = 0;
  if (self->retire_tick == 0)
    self->retire_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self), retire_tick_cb, NULL, NULL);
}

static gboolean
fade_tick_cb (GtkWidget     *widget,
              GdkFrameClock *frame_clock,
              gpointer       user_data)
{
  EaselCanvas *self = EASEL_CANVAS (widget);

  if (g_get_monotonic_time () - self->fade_start >= FADE_USEC)
    {
      _easel_canvas_retire (self, g_steal_pointer (&self->previous), g_object_unref);
      self->fade_tick = 0;
      gtk_widget_queue_draw (widget);
      return G_SOURCE_REMOVE;
    }

  gtk_widget_queue_draw (widget);
  return G_SOURCE_CONTINUE;
}

void
_easel_canvas_update_cursor (EaselCanvas *self)
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
      _easel_canvas_update_cursor (self);
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
      _easel_canvas_update_cursor (self);
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
}

/* ------------------------------------------------------------------------ */
/* Actions */

void
_easel_canvas_update_actions (EaselCanvas *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean have_mask = self->mask != NULL;

  _easel_canvas_update_history_actions (self);
  gtk_widget_action_set_enabled (widget, "canvas.invert", have_mask);
  gtk_widget_action_set_enabled (widget, "canvas.clear", have_mask && self->has_selection);
  gtk_widget_action_set_enabled (widget, "canvas.fill-all", have_mask);
  gtk_widget_action_set_enabled (widget, "canvas.import-mask", have_mask);
  gtk_widget_action_set_enabled (widget, "canvas.show-drift", self->drift_texture != NULL);
  /* Nothing to restore when no protected pixel drifted. */
  gtk_widget_action_set_enabled (widget, "canvas.restore-protected",
                                 self->guard_original_pixbuf != NULL && self->guard_result_pixbuf != NULL &&
                                 self->before_restore == NULL &&
                                 (self->drift == NULL || self->drift->drifted_pixels > 0));
  gtk_widget_action_set_enabled (widget, "canvas.dismiss-drift", self->drift_summary != NULL);
}

static void
dismiss_drift_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  EaselCanvas *self = EASEL_CANVAS (widget);

  g_object_set (self, "show-drift", FALSE, NULL);
  easel_canvas_reset_guard (self);
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
  if (self->retire_tick)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->retire_tick);
      self->retire_tick = 0;
    }
  if (self->retired != NULL)
    g_ptr_array_set_size (self->retired, 0);
  g_clear_handle_id (&self->selection_idle, g_source_remove);
  g_clear_handle_id (&self->zoom_notify_idle, g_source_remove);
  _easel_canvas_clear_display (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), EASEL_TYPE_CANVAS);
  if (self->mask != NULL)
    g_signal_handlers_disconnect_by_func (self->mask, _easel_canvas_mask_changed_cb, self);
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
  g_clear_pointer (&self->mask_color, g_free);
  g_clear_pointer (&self->retired, g_ptr_array_unref);

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
    case PROP_MASK_COLOR: g_value_set_string (value, self->mask_color); break;
    case PROP_SHOW_MASK: g_value_set_boolean (value, self->show_mask); break;
    case PROP_SHOW_DRIFT: g_value_set_boolean (value, self->show_drift); break;
    case PROP_ZOOM: g_value_set_double (value, _easel_canvas_effective_zoom (self)); break;
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
  g_object_notify_by_pspec (G_OBJECT (self), _easel_canvas_properties[prop]);
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
        _easel_canvas_clear_tiles (self);
      set_double_prop (self, &self->mask_opacity, g_value_get_double (value), prop_id);
      break;
    case PROP_MASK_COLOR:
      {
        const char *color = g_value_get_string (value);

        if (!_easel_canvas_is_mask_color (color))
          color = "blue";
        if (g_strcmp0 (self->mask_color, color) != 0)
          {
            g_free (self->mask_color);
            self->mask_color = g_strdup (color);
            _easel_canvas_clear_tiles (self);
            gtk_widget_queue_draw (GTK_WIDGET (self));
            g_object_notify_by_pspec (object, pspec);
          }
      }
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
        _easel_canvas_set_fit (self);
      else if (self->fit)
        _easel_canvas_zoom_at_centre (self, _easel_canvas_effective_zoom (self));
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

  _easel_canvas_properties[PROP_TEXTURE] =
    g_param_spec_object ("texture", NULL, NULL, GDK_TYPE_TEXTURE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  _easel_canvas_properties[PROP_REFINING] =
    g_param_spec_boolean ("refining", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  _easel_canvas_properties[PROP_INCOMPLETE] =
    g_param_spec_boolean ("incomplete", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  _easel_canvas_properties[PROP_STATUS] =
    g_param_spec_string ("status", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  _easel_canvas_properties[PROP_TOOL] =
    g_param_spec_string ("tool", NULL, NULL, "brush",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  _easel_canvas_properties[PROP_BRUSH_SIZE] =
    g_param_spec_double ("brush-size", NULL, NULL, 1, 1000, 64,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  _easel_canvas_properties[PROP_HARDNESS] =
    g_param_spec_double ("hardness", NULL, NULL, 0, 1, 0.8,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  _easel_canvas_properties[PROP_FEATHER_RADIUS] =
    g_param_spec_double ("feather-radius", NULL, NULL, 0, 100, 4,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  _easel_canvas_properties[PROP_MASK_OPACITY] =
    g_param_spec_double ("mask-opacity", NULL, NULL, 0, 1, 0.5,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  _easel_canvas_properties[PROP_MASK_COLOR] =
    g_param_spec_string ("mask-color", NULL, NULL, "blue",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  _easel_canvas_properties[PROP_SHOW_MASK] =
    g_param_spec_boolean ("show-mask", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  _easel_canvas_properties[PROP_SHOW_DRIFT] =
    g_param_spec_boolean ("show-drift", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  _easel_canvas_properties[PROP_ZOOM] =
    g_param_spec_double ("zoom", NULL, NULL, MIN_ZOOM, MAX_ZOOM, 1.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  _easel_canvas_properties[PROP_ZOOM_TO_FIT] =
    g_param_spec_boolean ("zoom-to-fit", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  _easel_canvas_properties[PROP_MASK] =
    g_param_spec_object ("mask", NULL, NULL, EASEL_TYPE_MASK,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  _easel_canvas_properties[PROP_HAS_SELECTION] =
    g_param_spec_boolean ("has-selection", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  _easel_canvas_properties[PROP_DRIFT_SUMMARY] =
    g_param_spec_string ("drift-summary", NULL, NULL, "",
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, _easel_canvas_properties);

  _easel_canvas_signals[RESTORED] = g_signal_new ("restored", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 2, GDK_TYPE_TEXTURE, G_TYPE_BYTES);
  _easel_canvas_signals[RESTORE_UNDONE] = g_signal_new ("restore-undone", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  _easel_canvas_signals[MESSAGE] = g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  g_type_ensure (EASEL_TYPE_CANVAS_TOOLBAR);
  g_type_ensure (EASEL_TYPE_WRAP_BOX);
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
  gtk_widget_class_install_action (widget_class, "canvas.undo", NULL, _easel_canvas_undo_redo_action);
  gtk_widget_class_install_action (widget_class, "canvas.redo", NULL, _easel_canvas_undo_redo_action);
  gtk_widget_class_install_action (widget_class, "canvas.invert", NULL, _easel_canvas_mask_action);
  gtk_widget_class_install_action (widget_class, "canvas.clear", NULL, _easel_canvas_mask_action);
  gtk_widget_class_install_action (widget_class, "canvas.fill-all", NULL, _easel_canvas_mask_action);
  gtk_widget_class_install_action (widget_class, "canvas.zoom-in", NULL, _easel_canvas_zoom_action);
  gtk_widget_class_install_action (widget_class, "canvas.zoom-out", NULL, _easel_canvas_zoom_action);
  gtk_widget_class_install_action (widget_class, "canvas.zoom-fit", NULL, _easel_canvas_zoom_action);
  gtk_widget_class_install_action (widget_class, "canvas.zoom-100", NULL, _easel_canvas_zoom_action);
  gtk_widget_class_install_action (widget_class, "canvas.import-mask", NULL, _easel_canvas_import_mask_action);
  gtk_widget_class_install_action (widget_class, "canvas.restore-protected", NULL, _easel_canvas_restore_protected_action);
  gtk_widget_class_install_action (widget_class, "canvas.dismiss-drift", NULL, dismiss_drift_action);

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
  if (g_settings_schema_has_key (schema, "mask-color"))
    g_settings_bind (self->settings, "mask-color", self, "mask-color", G_SETTINGS_BIND_DEFAULT);
}

static void
easel_canvas_init (EaselCanvas *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  GtkEventController *controller;

  self->zoom = 1.0;
  self->fit = TRUE;
  self->tool = TOOL_BRUSH;
  self->brush_size = 64;
  self->hardness = 0.8;
  self->feather_radius = 4;
  self->mask_opacity = 0.5;
  self->mask_color = g_strdup ("blue");
  self->show_mask = TRUE;
  self->tiles = g_ptr_array_new_with_free_func (_easel_canvas_tile_free);
  self->retired = g_ptr_array_new_with_free_func (retired_item_free);
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

  _easel_canvas_add_paint_gesture (self);
  _easel_canvas_add_view_controllers (self);

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
  _easel_canvas_update_actions (self);
  _easel_canvas_update_cursor (self);
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

  /* Cross-fade only into the final frame of one image, where the sizes
   * match; anything else swaps at once. Partials arrive every few hundred
   * ms and a fade paints two images per frame for 180 ms: they swap at once
   * (the badge says it is refining). The old texture stays on screen until
   * the new one is handed over ready, so nothing flickers. */
  _easel_canvas_retire (self, g_steal_pointer (&self->previous), g_object_unref);
  _easel_canvas_retire (self, g_steal_pointer (&self->display), (GDestroyNotify) easel_image_display_free);
  _easel_canvas_clear_display (self);
  if (self->texture != NULL && texture != NULL && !new_size && !self->refining &&
      adw_get_enable_animations (GTK_WIDGET (self)))
    {
      self->previous = g_steal_pointer (&self->texture);
      self->fade_start = g_get_monotonic_time ();
      if (self->fade_tick == 0)
        self->fade_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self), fade_tick_cb, NULL, NULL);
    }

  _easel_canvas_retire (self, g_steal_pointer (&self->texture), g_object_unref);
  self->texture = texture ? g_object_ref (texture) : NULL;

  /* The mask lives at the image's pixel size: kept across frames of the
   * same size, recreated for another size. */
  if (texture != NULL &&
      (self->mask == NULL ||
       easel_mask_get_width (self->mask) != gdk_texture_get_width (texture) ||
       easel_mask_get_height (self->mask) != gdk_texture_get_height (texture)))
    {
      g_autoptr(EaselMask) mask = easel_mask_new (gdk_texture_get_width (texture), gdk_texture_get_height (texture));
      _easel_canvas_set_mask (self, mask);
    }

  /* A texture set from outside (another turn, a new frame) is no longer
   * the restored composite: undo no longer applies to it. */
  g_clear_object (&self->before_restore);

  if (new_size)
    _easel_canvas_update_adjustments (self);

  update_badge (self);
  _easel_canvas_update_actions (self);
  _easel_canvas_update_cursor (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), _easel_canvas_properties[PROP_TEXTURE]);
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
  g_object_notify_by_pspec (G_OBJECT (self), _easel_canvas_properties[PROP_REFINING]);
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
  g_object_notify_by_pspec (G_OBJECT (self), _easel_canvas_properties[PROP_INCOMPLETE]);
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
  g_object_notify_by_pspec (G_OBJECT (self), _easel_canvas_properties[PROP_STATUS]);
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
        _easel_canvas_update_cursor (self);
        gtk_widget_queue_draw (GTK_WIDGET (self));
        g_object_notify_by_pspec (G_OBJECT (self), _easel_canvas_properties[PROP_TOOL]);
        return;
      }

  g_warning ("Unknown canvas tool “%s”", tool);
}
