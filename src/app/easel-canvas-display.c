/* easel-canvas-display.c: painting the image at the size it is shown
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GTK 4.8's cairo renderer downloads a texture node's pixels through floats
 * on every frame (about 20 ms for a 1536×1024 image on the bench machine),
 * even when the texture is already in cairo's format, and then scales it
 * with a convolution filter. So the canvas does not hand it the texture:
 * the image decoder keeps every frame's pixels as a cairo surface, and a
 * worker scales them to the size they are shown at (the decoder does it
 * for each new frame from the display hint; easel_image_scale_async() does
 * it again when the zoom or the widget's size changes). A frame is then a
 * 1:1 blit. GL gets the scaled copy as a texture, uploaded once.
 */

#define G_LOG_DOMAIN "easel-canvas"

#include "config.h"

#include <math.h>

#include "easel-canvas-private.h"
#include "easel-image-decoder.h"

/* Wait for the zoom or the size to settle before scaling again. */
#define RESCALE_DELAY_MS 60

static gboolean
uses_cairo (EaselCanvas *self)
{
  GtkNative *native = gtk_widget_get_native (GTK_WIDGET (self));
  GskRenderer *renderer = native ? gtk_native_get_renderer (native) : NULL;

  return renderer != NULL && GSK_IS_CAIRO_RENDERER (renderer);
}

/* The device pixels @rect covers: what a display copy should measure. */
static void
device_size (EaselCanvas           *self,
             GdkTexture            *texture,
             int                   *width,
             int                   *height)
{
  double zoom = _easel_canvas_effective_zoom (self) * gtk_widget_get_scale_factor (GTK_WIDGET (self));

  *width = MAX (1, (int)ceil (gdk_texture_get_width (texture) * zoom));
  *height = MAX (1, (int)ceil (gdk_texture_get_height (texture) * zoom));
}

static gboolean
display_fits (const EaselImageDisplay *display,
              int                      width,
              int                      height)
{
  /* The decoder computes the size from the hint in its own order of
   * operations; a pixel off is drawn scaled, which costs little. */
  return display != NULL && abs (display->width - width) <= 1 && abs (display->height - height) <= 1;
}

static void
append_surface (EaselCanvas           *self,
                GtkSnapshot           *snapshot,
                cairo_surface_t       *surface,
                const graphene_rect_t *rect)
{
  int sw = cairo_image_surface_get_width (surface);
  int sh = cairo_image_surface_get_height (surface);
  double sx = rect->size.width / sw, sy = rect->size.height / sh;
  graphene_rect_t visible, bounds;
  cairo_t *cr;

  /* Only the part on screen: the node is that big, and pixman only
   * computes those pixels. */
  graphene_rect_init (&visible, 0, 0, gtk_widget_get_width (GTK_WIDGET (self)),
                      gtk_widget_get_height (GTK_WIDGET (self)));
  if (!graphene_rect_intersection (rect, &visible, &bounds))
    return;

  cr = gtk_snapshot_append_cairo (snapshot, &bounds);
  cairo_translate (cr, rect->origin.x, rect->origin.y);
  cairo_scale (cr, sx, sy);
  cairo_set_source_surface (cr, surface, 0, 0);
  cairo_pattern_set_extend (cairo_get_source (cr), CAIRO_EXTEND_PAD);
  /* Not a display copy (a moment, until the worker has one): bilinear,
   * not cairo's default convolution when shrinking, which is several
   * times slower. */
  if (sx < 1.0 || sy < 1.0)
    cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_BILINEAR);
  cairo_rectangle (cr, 0, 0, sw, sh);
  cairo_fill (cr);
  cairo_destroy (cr);
}

static void
scaled_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(EaselCanvas) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselImageDisplay) display = easel_image_scale_finish (result, &error);
  int width, height;

  if (display == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Could not scale the image for display: %s", error->message);
      return;
    }

  g_clear_object (&self->scaling);
  if (self->display_for == NULL || self->display_for != self->texture)
    return;
  device_size (self, self->texture, &width, &height);
  if (display->width != width || display->height != height)
    return;

  _easel_canvas_retire (self, g_steal_pointer (&self->display), (GDestroyNotify) easel_image_display_free);
  self->display = g_steal_pointer (&display);
  self->display_scaled++;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static gboolean
rescale_cb (gpointer user_data)
{
  EaselCanvas *self = user_data;

  self->rescale_timeout = 0;
  if (self->texture == NULL || easel_image_texture_get_surface (self->texture) == NULL)
    return G_SOURCE_REMOVE;

  g_cancellable_cancel (self->scaling);
  g_clear_object (&self->scaling);
  self->scaling = g_cancellable_new ();
  self->display_for = self->texture;
  easel_image_scale_async (self->texture, self->scaling_width, self->scaling_height,
                           self->scaling, scaled_cb, g_object_ref (self));
  return G_SOURCE_REMOVE;
}

/* Asks a worker for a copy of the current texture at @width × @height,
 * unless one is on its way. */
static void
request_display (EaselCanvas *self,
                 int          width,
                 int          height)
{
  if ((self->scaling != NULL || self->rescale_timeout != 0) &&
      self->display_for == self->texture &&
      self->scaling_width == width && self->scaling_height == height)
    return;

  self->display_for = self->texture;
  self->scaling_width = width;
  self->scaling_height = height;
  g_clear_handle_id (&self->rescale_timeout, g_source_remove);
  self->rescale_timeout = g_timeout_add (RESCALE_DELAY_MS, rescale_cb, self);
}

void
_easel_canvas_clear_display (EaselCanvas *self)
{
  g_clear_pointer (&self->display, easel_image_display_free);
  g_clear_handle_id (&self->rescale_timeout, g_source_remove);
  g_cancellable_cancel (self->scaling);
  g_clear_object (&self->scaling);
  self->display_for = NULL;
}

void
_easel_canvas_append_image (EaselCanvas           *self,
                            GtkSnapshot           *snapshot,
                            GdkTexture            *texture,
                            const graphene_rect_t *rect)
{
  cairo_surface_t *full = easel_image_texture_get_surface (texture);
  const EaselImageDisplay *display = NULL;
  gboolean cairo = uses_cairo (self);
  int width, height;

  /* Not from the decoder (a restored composite, a test's texture). */
  if (full == NULL)
    {
      gtk_snapshot_append_texture (snapshot, texture, rect);
      return;
    }

  device_size (self, texture, &width, &height);
  if (texture == self->texture && self->display_for == texture && display_fits (self->display, width, height))
    display = self->display;
  else if (display_fits (easel_image_texture_get_display (texture), width, height))
    display = easel_image_texture_get_display (texture);

  if (display != NULL)
    {
      if (cairo)
        append_surface (self, snapshot, display->surface, rect);
      else
        gtk_snapshot_append_texture (snapshot, display->texture, rect);
      return;
    }

  /* Shrunk, with no copy at this size yet: the renderer scales the full
   * image until the worker has one. GL keeps the full texture it uploaded
   * once; cairo would convert it again on every frame. */
  if (cairo)
    {
      append_surface (self, snapshot, full, rect);
      if (texture == self->texture && (width < gdk_texture_get_width (texture) ||
                                       height < gdk_texture_get_height (texture)))
        request_display (self, width, height);
    }
  else
    gtk_snapshot_append_texture (snapshot, texture, rect);
}

guint
_easel_canvas_get_display_scaled (EaselCanvas *self)
{
  return self->display_scaled;
}
