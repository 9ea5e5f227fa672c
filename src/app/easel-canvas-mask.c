/* easel-canvas-mask.c: the canvas's mask: overlay, painting tools, undo and import
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The mask overlay is cut into tiles, each its own GdkMemoryTexture: a
 * brush dab only rebuilds (and re-uploads) the tiles it touched, once per
 * frame however many dabs landed, and nothing is uploaded when only the
 * view moves.
 */

#define G_LOG_DOMAIN "easel-canvas"

#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "easel-canvas-private.h"

#define TILE 256
/* Selected pixels are tinted with the "mask-color" (premultiplied below):
 * the GNOME palette's blue 3, red 3, green 4, purple 2 and yellow 3. */
static const struct { const char *name; guint8 r, g, b; } tints[] = {
  { "blue", 53, 132, 228 },
  { "red", 224, 27, 36 },
  { "green", 46, 194, 126 },
  { "magenta", 192, 97, 203 },
  { "yellow", 246, 211, 45 },
};

gboolean
_easel_canvas_is_mask_color (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (tints); i++)
    if (g_strcmp0 (name, tints[i].name) == 0)
      return TRUE;
  return FALSE;
}

/* ------------------------------------------------------------------------ */
/* Mask overlay */

/* Tiles waiting to be rebuilt are NULL. */
void
_easel_canvas_tile_free (gpointer tile)
{
  if (tile != NULL)
    g_object_unref (tile);
}

void
_easel_canvas_clear_tiles (EaselCanvas *self)
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
  guint tint_r = tints[0].r, tint_g = tints[0].g, tint_b = tints[0].b;

  for (gsize i = 0; i < G_N_ELEMENTS (tints); i++)
    if (g_strcmp0 (self->mask_color, tints[i].name) == 0)
      {
        tint_r = tints[i].r;
        tint_g = tints[i].g;
        tint_b = tints[i].b;
      }

  for (int y = 0; y < h; y++)
    {
      const guint8 *src = data + (gsize) (y0 + y) * mw + x0;
      guint8 *dst = pixels + (gsize) y * w * 4;

      for (int x = 0; x < w; x++, dst += 4)
        {
          guint a = (src[x] * opacity + 127) / 255;

          dst[0] = (tint_r * a + 127) / 255;
          dst[1] = (tint_g * a + 127) / 255;
          dst[2] = (tint_b * a + 127) / 255;
          dst[3] = a;
        }
    }

  bytes = g_bytes_new_take (pixels, (gsize) w * h * 4);
  self->overlay_uploads++;
  return gdk_memory_texture_new (w, h, GDK_MEMORY_R8G8B8A8_PREMULTIPLIED, bytes, (gsize) w * 4);
}

void
_easel_canvas_append_overlay (EaselCanvas     *self,
                              GtkSnapshot     *snapshot,
                              const graphene_rect_t *image_rect)
{
  double zoom = _easel_canvas_effective_zoom (self);

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
      g_object_notify_by_pspec (G_OBJECT (self), _easel_canvas_properties[PROP_HAS_SELECTION]);
    }
  _easel_canvas_update_actions (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  return G_SOURCE_REMOVE;
}

void
_easel_canvas_mask_changed_cb (EaselCanvas         *self,
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
  _easel_canvas_update_history_actions (self);

  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
_easel_canvas_set_mask (EaselCanvas *self,
                        EaselMask   *mask)
{
  if (self->mask == mask)
    return;

  if (self->mask != NULL)
    g_signal_handlers_disconnect_by_func (self->mask, _easel_canvas_mask_changed_cb, self);
  g_set_object (&self->mask, mask);
  if (self->mask != NULL)
    g_signal_connect_object (self->mask, "changed", G_CALLBACK (_easel_canvas_mask_changed_cb), self,
                             G_CONNECT_SWAPPED);

  _easel_canvas_clear_tiles (self);
  self->has_selection = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), _easel_canvas_properties[PROP_MASK]);
  g_object_notify_by_pspec (G_OBJECT (self), _easel_canvas_properties[PROP_HAS_SELECTION]);
  _easel_canvas_update_actions (self);
}

void
easel_canvas_reset_mask (EaselCanvas *self)
{
  g_autoptr(EaselMask) mask = NULL;

  g_return_if_fail (EASEL_IS_CANVAS (self));

  if (self->mask == NULL)
    return;
  mask = easel_mask_new (easel_mask_get_width (self->mask), easel_mask_get_height (self->mask));
  _easel_canvas_set_mask (self, mask);
}

/* ------------------------------------------------------------------------ */
/* Painting */

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
      _easel_canvas_update_cursor (self);
      return;
    }

  if (self->mask == NULL || !_easel_canvas_widget_to_image (self, x, y, &ix, &iy))
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

  if (self->drag_mode != DRAG_PAINT || !_easel_canvas_widget_to_image (self, x, y, &ix, &iy))
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
        double zoom = _easel_canvas_effective_zoom (self);

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
  _easel_canvas_update_cursor (self);

  if (mode != DRAG_PAINT || self->mask == NULL)
    return;

  switch (self->tool)
    {
    case TOOL_BRUSH:
    case TOOL_ERASER:
      easel_mask_end_stroke (self->mask);
      break;
    case TOOL_RECTANGLE:
      _easel_canvas_widget_to_image (self, self->drag_x, self->drag_y, &ix0, &iy0);
      _easel_canvas_widget_to_image (self, x, y, &ix1, &iy1);
      {
        int left = (int) round (MIN (ix0, ix1)), top = (int) round (MIN (iy0, iy1));
        int right = (int) round (MAX (ix0, ix1)), bottom = (int) round (MAX (iy0, iy1));

        if (right > left && bottom > top)
          easel_mask_fill_rect (self->mask, left, top, right - left, bottom - top, self->erase_shape);
      }
      break;
    case TOOL_LASSO:
      if (_easel_canvas_widget_to_image (self, x, y, &ix1, &iy1))
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

/* ------------------------------------------------------------------------ */
/* Actions */

void
_easel_canvas_update_history_actions (EaselCanvas *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean have_mask = self->mask != NULL;

  gtk_widget_action_set_enabled (widget, "canvas.undo",
                                 self->before_restore != NULL || (have_mask && easel_mask_can_undo (self->mask)));
  gtk_widget_action_set_enabled (widget, "canvas.redo", have_mask && easel_mask_can_redo (self->mask));
}

void
_easel_canvas_mask_action (GtkWidget  *widget,
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

void
_easel_canvas_undo_redo_action (GtkWidget  *widget,
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
          _easel_canvas_update_actions (self);
          g_signal_emit (self, _easel_canvas_signals[RESTORE_UNDONE], 0);
          return;
        }
      if (self->mask != NULL)
        easel_mask_undo (self->mask);
    }
  else if (self->mask != NULL)
    easel_mask_redo (self->mask);

  _easel_canvas_update_actions (self);
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
      g_signal_emit (self, _easel_canvas_signals[MESSAGE], 0, message);
      return;
    }

  if (self->mask == NULL)
    return;

  if (!easel_mask_set_from_pixbuf (self->mask, pixbuf, &error))
    {
      g_signal_emit (self, _easel_canvas_signals[MESSAGE], 0, error->message);
      return;
    }

  if (!self->show_mask)
    g_object_set (self, "show-mask", TRUE, NULL);
  g_signal_emit (self, _easel_canvas_signals[MESSAGE], 0, _("Mask imported"));
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
      g_signal_emit (self, _easel_canvas_signals[MESSAGE], 0, error->message);
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

void
_easel_canvas_import_mask_action (GtkWidget  *widget,
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
/* Public API */

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

void
_easel_canvas_add_paint_gesture (EaselCanvas *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  GtkGesture *gesture;

  gesture = gtk_gesture_drag_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (gesture), GDK_BUTTON_PRIMARY);
  g_signal_connect_swapped (gesture, "drag-begin", G_CALLBACK (paint_drag_begin_cb), self);
  g_signal_connect_swapped (gesture, "drag-update", G_CALLBACK (paint_drag_update_cb), self);
  g_signal_connect_swapped (gesture, "drag-end", G_CALLBACK (paint_drag_end_cb), self);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (gesture));
  self->paint_drag = gesture;
}
