/* easel-canvas-view.c: the canvas's view: geometry, zoom and pan
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-canvas"

#include "config.h"

#include <math.h>

#include "easel-canvas-private.h"

#define MARGIN 24
#define FIT_MAX_ZOOM 4.0

/* ------------------------------------------------------------------------ */
/* Geometry */

double
_easel_canvas_fit_zoom (EaselCanvas *self)
{
  int width = gtk_widget_get_width (GTK_WIDGET (self)) - 2 * MARGIN;
  int height = gtk_widget_get_height (GTK_WIDGET (self)) - 2 * MARGIN;

  if (self->texture == NULL || width <= 0 || height <= 0)
    return 1.0;

  /* Small images are shown larger, but not blown up past 4×. */
  return MIN (FIT_MAX_ZOOM, MIN ((double) width / gdk_texture_get_width (self->texture),
                                 (double) height / gdk_texture_get_height (self->texture)));
}

void
_easel_canvas_update_display_hint (EaselCanvas *self)
{
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (self));

  /* In device pixels, as _easel_canvas_fit_zoom() computes it. */
  easel_image_set_display_hint (self->fit,
                                (double)(gtk_widget_get_width (GTK_WIDGET (self)) - 2 * MARGIN) * scale,
                                (double)(gtk_widget_get_height (GTK_WIDGET (self)) - 2 * MARGIN) * scale,
                                FIT_MAX_ZOOM * scale,
                                self->zoom * scale);
}

double
_easel_canvas_effective_zoom (EaselCanvas *self)
{
  return self->fit ? _easel_canvas_fit_zoom (self) : self->zoom;
}

/* The image's top-left corner in widget coordinates: centred when it fits,
 * otherwise scrolled by the adjustments. */
void
_easel_canvas_image_origin (EaselCanvas *self,
                            int          image_width,
                            int          image_height,
                            double      *x,
                            double      *y)
{
  double zoom = _easel_canvas_effective_zoom (self);
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

gboolean
_easel_canvas_compute_rect (EaselCanvas     *self,
                            GdkTexture      *texture,
                            graphene_rect_t *rect)
{
  double zoom, x, y;
  int tw, th;

  if (texture == NULL || gtk_widget_get_width (GTK_WIDGET (self)) <= 0)
    return FALSE;

  tw = gdk_texture_get_width (texture);
  th = gdk_texture_get_height (texture);
  zoom = _easel_canvas_effective_zoom (self);
  _easel_canvas_image_origin (self, tw, th, &x, &y);
  graphene_rect_init (rect, x, y, ceil (tw * zoom), ceil (th * zoom));
  return TRUE;
}

gboolean
easel_canvas_get_image_rect (EaselCanvas     *self,
                             graphene_rect_t *rect)
{
  g_return_val_if_fail (EASEL_IS_CANVAS (self), FALSE);
  g_return_val_if_fail (rect != NULL, FALSE);
  return _easel_canvas_compute_rect (self, self->texture, rect);
}

gboolean
_easel_canvas_widget_to_image (EaselCanvas *self,
                               double       wx,
                               double       wy,
                               double      *ix,
                               double      *iy)
{
  double ox, oy, zoom;

  if (self->texture == NULL)
    return FALSE;

  zoom = _easel_canvas_effective_zoom (self);
  _easel_canvas_image_origin (self, gdk_texture_get_width (self->texture), gdk_texture_get_height (self->texture),
                              &ox, &oy);
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
  double ox = 0, oy = 0, zoom = _easel_canvas_effective_zoom (self);

  if (self->texture != NULL)
    _easel_canvas_image_origin (self, gdk_texture_get_width (self->texture), gdk_texture_get_height (self->texture),
                                &ox, &oy);
  *wx = ox + (x + 0.5) * zoom;
  *wy = oy + (y + 0.5) * zoom;
}

void
_easel_canvas_update_adjustments (EaselCanvas *self)
{
  double zoom = _easel_canvas_effective_zoom (self);
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
      g_object_notify_by_pspec (G_OBJECT (self), _easel_canvas_properties[PROP_ZOOM]);
      g_object_notify_by_pspec (G_OBJECT (self), _easel_canvas_properties[PROP_ZOOM_TO_FIT]);
      return;
    }

  _easel_canvas_widget_to_image (self, wx, wy, &ix, &iy);
  self->zoom = zoom;
  self->fit = FALSE;
  _easel_canvas_update_adjustments (self);

  /* origin = MARGIN − value, and we want origin + ix·zoom = wx. */
  gtk_adjustment_set_value (self->hadjustment, MARGIN + ix * zoom - wx);
  gtk_adjustment_set_value (self->vadjustment, MARGIN + iy * zoom - wy);

  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), _easel_canvas_properties[PROP_ZOOM]);
  g_object_notify_by_pspec (G_OBJECT (self), _easel_canvas_properties[PROP_ZOOM_TO_FIT]);
}

void
_easel_canvas_zoom_at_centre (EaselCanvas *self,
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
  return _easel_canvas_effective_zoom (self);
}

void
easel_canvas_set_zoom (EaselCanvas *self,
                       double       zoom)
{
  g_return_if_fail (EASEL_IS_CANVAS (self));
  _easel_canvas_zoom_at_centre (self, zoom);
}

void
_easel_canvas_set_fit (EaselCanvas *self)
{
  self->fit = TRUE;
  gtk_adjustment_set_value (self->hadjustment, 0);
  gtk_adjustment_set_value (self->vadjustment, 0);
  _easel_canvas_update_adjustments (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), _easel_canvas_properties[PROP_ZOOM]);
  g_object_notify_by_pspec (G_OBJECT (self), _easel_canvas_properties[PROP_ZOOM_TO_FIT]);
}

/* ------------------------------------------------------------------------ */
/* Input */

static void
pan_drag_begin_cb (EaselCanvas    *self,
                   double          x,
                   double          y,
                   GtkGestureDrag *gesture)
{
  self->drag_mode = DRAG_PAN;
  self->pan_h = gtk_adjustment_get_value (self->hadjustment);
  self->pan_v = gtk_adjustment_get_value (self->vadjustment);
  _easel_canvas_update_cursor (self);
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
  _easel_canvas_update_cursor (self);
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

      zoom_at (self, _easel_canvas_effective_zoom (self) * factor, self->pointer_x, self->pointer_y);
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
  self->pinch_zoom = _easel_canvas_effective_zoom (self);
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

void
_easel_canvas_zoom_action (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *param)
{
  EaselCanvas *self = EASEL_CANVAS (widget);
  static const double steps[] = { 0.05, 0.1, 0.125, 0.25, 0.333, 0.5, 0.667, 0.75, 1, 1.5, 2, 3, 4, 6, 8, 12, 16 };
  double zoom = _easel_canvas_effective_zoom (self);

  if (g_str_equal (action_name, "canvas.zoom-fit"))
    _easel_canvas_set_fit (self);
  else if (g_str_equal (action_name, "canvas.zoom-100"))
    _easel_canvas_zoom_at_centre (self, 1.0);
  else if (g_str_equal (action_name, "canvas.zoom-in"))
    {
      for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
        if (steps[i] > zoom * 1.01)
          {
            _easel_canvas_zoom_at_centre (self, steps[i]);
            return;
          }
    }
  else
    {
      for (guint i = G_N_ELEMENTS (steps); i > 0; i--)
        if (steps[i - 1] < zoom * 0.99)
          {
            _easel_canvas_zoom_at_centre (self, steps[i - 1]);
            return;
          }
    }
}

void
_easel_canvas_add_view_controllers (EaselCanvas *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  GtkEventController *controller;
  GtkGesture *gesture;

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
}
