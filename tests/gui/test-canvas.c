/* test-canvas.c: the canvas under Xvfb — strokes through its gesture, mask tools, undo, the guard
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Strokes are driven through the canvas's own GtkGestureDrag (its
 * drag-begin/-update/-end signals, as a pointer would emit them), so the
 * event path from widget coordinates to mask pixels is what is tested.
 */

#define G_LOG_DOMAIN "test-canvas"

#include "config.h"

#include <math.h>
#include <string.h>
#include <adwaita.h>
#ifdef HAVE_MALLOPT
# include <malloc.h>
#endif

#include "easel-canvas.h"
#include "easel-canvas-private.h"
#include "easel-image-decoder.h"

static gboolean have_display;

#define IMG_W 200
#define IMG_H 120

/* ------------------------------------------------------------------------ */
/* Helpers */

static GdkPixbuf *
make_pixbuf (int width, int height, guint32 rgba)
{
  GdkPixbuf *pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, width, height);

  gdk_pixbuf_fill (pixbuf, rgba);
  return pixbuf;
}

static GdkTexture *
make_texture (int width, int height, guint32 rgba)
{
  g_autoptr(GdkPixbuf) pixbuf = make_pixbuf (width, height, rgba);
  return gdk_texture_new_for_pixbuf (pixbuf);
}

static GBytes *
pixbuf_png (GdkPixbuf *pixbuf)
{
  g_autoptr(GError) error = NULL;
  char *buffer = NULL;
  gsize len = 0;

  gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &len, "png", &error, NULL);
  g_assert_no_error (error);
  return g_bytes_new_take (buffer, len);
}

static void
spin (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static gboolean
timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Spins until *@flag is set; fails after 10 s (a hang, not a timing check). */
static void
wait_for (gboolean *flag)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (10, timeout_cb, &timed_out);

  while (!*flag && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timed_out);
  g_source_remove (id);
}

static void
after_paint_cb (GdkFrameClock *clock, gpointer data)
{
  *(gboolean *) data = TRUE;
}

static void
wait_for_frame (GtkWidget *widget)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
  gboolean painted = FALSE;
  gulong id;

  g_assert_nonnull (clock);
  id = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), &painted);
  gtk_widget_queue_draw (widget);
  wait_for (&painted);
  g_signal_handler_disconnect (clock, id);
}

typedef struct
{
  GtkWindow   *window;
  EaselCanvas *canvas;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GdkTexture) texture = NULL;

  if (!have_display)
    return;

  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 800, 600);
  f->canvas = EASEL_CANVAS (easel_canvas_new ());
  gtk_window_set_child (f->window, GTK_WIDGET (f->canvas));
  texture = make_texture (IMG_W, IMG_H, 0x3366aaff);
  easel_canvas_set_texture (f->canvas, texture);
  gtk_window_present (f->window);

  while (gtk_widget_get_width (GTK_WIDGET (f->canvas)) == 0)
    g_main_context_iteration (NULL, TRUE);
  wait_for_frame (GTK_WIDGET (f->canvas));
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (f->window != NULL)
    gtk_window_destroy (f->window);
  spin ();
}

/* A drag through the canvas's paint gesture, from image point @a to @b via
 * @n_steps motion events. */
static void
drag_image (EaselCanvas *canvas, double ax, double ay, double bx, double by, guint n_steps)
{
  GtkGesture *gesture = _easel_canvas_get_paint_gesture (canvas);
  double x0, y0, x1, y1;

  _easel_canvas_image_to_widget (canvas, ax, ay, &x0, &y0);
  _easel_canvas_image_to_widget (canvas, bx, by, &x1, &y1);

  g_signal_emit_by_name (gesture, "drag-begin", x0, y0);
  for (guint i = 1; i <= n_steps; i++)
    {
      double t = (double) i / n_steps;
      g_signal_emit_by_name (gesture, "drag-update", (x1 - x0) * t, (y1 - y0) * t);
    }
  g_signal_emit_by_name (gesture, "drag-end", x1 - x0, y1 - y0);
}

static void
drag_polyline (EaselCanvas *canvas, const double *points, guint n_points)
{
  GtkGesture *gesture = _easel_canvas_get_paint_gesture (canvas);
  double x0, y0, x, y;

  _easel_canvas_image_to_widget (canvas, points[0], points[1], &x0, &y0);
  g_signal_emit_by_name (gesture, "drag-begin", x0, y0);
  for (guint i = 1; i < n_points; i++)
    {
      _easel_canvas_image_to_widget (canvas, points[2 * i], points[2 * i + 1], &x, &y);
      g_signal_emit_by_name (gesture, "drag-update", x - x0, y - y0);
    }
  g_signal_emit_by_name (gesture, "drag-end", x - x0, y - y0);
}

static GtkWidget *
find_action_button (GtkWidget *root, const char *action_name)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_ACTIONABLE (child) &&
          g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (child)), action_name) == 0)
        return child;
      if ((found = find_action_button (child, action_name)))
        return found;
    }
  return NULL;
}

/* Clicks the palette's button for @action_name, as a user would. */
static void
click_toolbar (EaselCanvas *canvas, const char *action_name)
{
  GtkWidget *button = find_action_button (GTK_WIDGET (canvas), action_name);

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
  spin ();
}

/* ------------------------------------------------------------------------ */
/* Tests */

#define SKIP_WITHOUT_DISPLAY() \
  G_STMT_START { if (!have_display) { g_test_skip ("No display"); return; } } G_STMT_END

static void
test_brush_stroke_and_undo (Fixture *f, gconstpointer data)
{
  EaselMask *mask;
  guint uploads;

  SKIP_WITHOUT_DISPLAY ();

  mask = easel_canvas_get_mask (f->canvas);
  g_assert_nonnull (mask);
  g_assert_cmpint (easel_mask_get_width (mask), ==, IMG_W);
  g_assert_cmpint (easel_mask_get_height (mask), ==, IMG_H);
  g_assert_true (easel_mask_is_empty (mask));
  g_assert_false (gtk_widget_is_sensitive (find_action_button (GTK_WIDGET (f->canvas), "canvas.undo")));

  g_object_set (f->canvas, "brush-size", 16.0, "hardness", 1.0, NULL);
  /* Only three motion events over 140 px: the stroke must still be unbroken. */
  drag_image (f->canvas, 30, 60, 170, 60, 3);

  for (int x = 30; x <= 170; x += 5)
    g_assert_cmpuint (easel_mask_get_value (mask, x, 60), ==, 255);
  g_assert_cmpuint (easel_mask_get_value (mask, 100, 66), ==, 255);
  g_assert_cmpuint (easel_mask_get_value (mask, 100, 80), ==, 0);
  g_assert_cmpuint (easel_mask_get_value (mask, 10, 60), ==, 0);
  g_assert_true (easel_canvas_has_mask_selection (f->canvas));

  /* The overlay is uploaded when the mask changed, not on every frame. */
  wait_for_frame (GTK_WIDGET (f->canvas));
  uploads = _easel_canvas_get_overlay_uploads (f->canvas);
  g_assert_cmpuint (uploads, >, 0);
  wait_for_frame (GTK_WIDGET (f->canvas));
  g_assert_cmpuint (_easel_canvas_get_overlay_uploads (f->canvas), ==, uploads);

  /* The stroke is one undo step, through the toolbar's Undo. */
  spin ();
  click_toolbar (f->canvas, "canvas.undo");
  g_assert_true (easel_mask_is_empty (mask));
  click_toolbar (f->canvas, "canvas.redo");
  g_assert_cmpuint (easel_mask_get_value (mask, 100, 60), ==, 255);

  /* The eraser takes a bite out of it. */
  gtk_widget_activate_action (GTK_WIDGET (f->canvas), "canvas.tool", "s", "eraser");
  g_assert_cmpstr (easel_canvas_get_tool (f->canvas), ==, "eraser");
  drag_image (f->canvas, 100, 40, 100, 80, 4);
  g_assert_cmpuint (easel_mask_get_value (mask, 100, 60), ==, 0);
  g_assert_cmpuint (easel_mask_get_value (mask, 50, 60), ==, 255);
  gtk_widget_activate_action (GTK_WIDGET (f->canvas), "canvas.undo", NULL);
  g_assert_cmpuint (easel_mask_get_value (mask, 100, 60), ==, 255);
}

static void
test_rectangle_and_lasso (Fixture *f, gconstpointer data)
{
  EaselMask *mask;
  const double triangle[] = { 120, 10, 190, 10, 190, 80, 150, 30 };

  SKIP_WITHOUT_DISPLAY ();
  mask = easel_canvas_get_mask (f->canvas);

  gtk_widget_activate_action (GTK_WIDGET (f->canvas), "canvas.tool", "s", "rectangle");
  drag_image (f->canvas, 10, 10, 60, 50, 2);
  g_assert_cmpuint (easel_mask_get_value (mask, 30, 30), ==, 255);
  g_assert_cmpuint (easel_mask_get_value (mask, 11, 11), ==, 255);
  g_assert_cmpuint (easel_mask_get_value (mask, 70, 30), ==, 0);
  g_assert_cmpuint (easel_mask_get_value (mask, 30, 60), ==, 0);

  gtk_widget_activate_action (GTK_WIDGET (f->canvas), "canvas.tool", "s", "lasso");
  drag_polyline (f->canvas, triangle, G_N_ELEMENTS (triangle) / 2);
  g_assert_cmpuint (easel_mask_get_value (mask, 180, 20), ==, 255);
  g_assert_cmpuint (easel_mask_get_value (mask, 125, 70), ==, 0);
  /* The rectangle is untouched. */
  g_assert_cmpuint (easel_mask_get_value (mask, 30, 30), ==, 255);
}

static void
test_toolbar_actions (Fixture *f, gconstpointer data)
{
  EaselMask *mask;

  SKIP_WITHOUT_DISPLAY ();
  mask = easel_canvas_get_mask (f->canvas);

  click_toolbar (f->canvas, "canvas.invert");
  g_assert_cmpuint (easel_mask_count_selected (mask), ==, IMG_W * IMG_H);
  click_toolbar (f->canvas, "canvas.clear");
  g_assert_true (easel_mask_is_empty (mask));
  click_toolbar (f->canvas, "canvas.fill-all");
  g_assert_cmpuint (easel_mask_count_selected (mask), ==, IMG_W * IMG_H);
  click_toolbar (f->canvas, "canvas.invert");
  g_assert_true (easel_mask_is_empty (mask));
  click_toolbar (f->canvas, "canvas.undo");
  g_assert_cmpuint (easel_mask_count_selected (mask), ==, IMG_W * IMG_H);

  /* The mask toggle hides the overlay without touching the mask. */
  g_assert_true (g_object_get_data (G_OBJECT (f->canvas), "nothing") == NULL);
  click_toolbar (f->canvas, "canvas.show-mask");
  {
    gboolean shown = TRUE;
    g_object_get (f->canvas, "show-mask", &shown, NULL);
    g_assert_false (shown);
  }
  g_assert_cmpuint (easel_mask_count_selected (mask), ==, IMG_W * IMG_H);
}

static void
test_texture_sizes (Fixture *f, gconstpointer data)
{
  g_autoptr(GdkTexture) same = make_texture (IMG_W, IMG_H, 0xff0000ff);
  g_autoptr(GdkTexture) other = make_texture (64, 64, 0x00ff00ff);
  EaselMask *mask;

  SKIP_WITHOUT_DISPLAY ();
  mask = easel_canvas_get_mask (f->canvas);
  easel_mask_fill_rect (mask, 0, 0, 10, 10, FALSE);

  /* A new frame of the same size (a partial, the final) keeps the mask. */
  easel_canvas_set_texture (f->canvas, same);
  g_assert_true (easel_canvas_get_mask (f->canvas) == mask);
  g_assert_cmpuint (easel_mask_get_value (mask, 5, 5), ==, 255);

  /* Another size gets a fresh mask at that size. */
  easel_canvas_set_texture (f->canvas, other);
  mask = easel_canvas_get_mask (f->canvas);
  g_assert_cmpint (easel_mask_get_width (mask), ==, 64);
  g_assert_cmpint (easel_mask_get_height (mask), ==, 64);
  g_assert_true (easel_mask_is_empty (mask));
}

/* ------------------------------------------------------------------------ */
/* Display copies: frames are painted from a copy at the size shown */

typedef struct
{
  GdkTexture *texture;
  gboolean done;
} Decoded;

static void
decoded_cb (GObject *object, GAsyncResult *result, gpointer data)
{
  Decoded *decoded = data;
  g_autoptr(GError) error = NULL;

  decoded->texture = easel_image_decode_frame_finish (result, NULL, &error);
  g_assert_no_error (error);
  decoded->done = TRUE;
}

/* The canvas as the window's renderer draws it, pixel (@x, @y) as BGRA. */
static void
canvas_pixel (EaselCanvas *canvas, int x, int y, guchar pixel[4])
{
  GtkWidget *widget = GTK_WIDGET (canvas);
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree guchar *data = g_malloc ((gsize)width * height * 4);

  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)),
                                         node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  gdk_texture_download (texture, data, width * 4);
  memcpy (pixel, data + ((gsize)y * width + x) * 4, 4);
}

static void
assert_centre_is_image (EaselCanvas *canvas)
{
  guchar pixel[4];

  canvas_pixel (canvas, gtk_widget_get_width (GTK_WIDGET (canvas)) / 2,
                gtk_widget_get_height (GTK_WIDGET (canvas)) / 2, pixel);
  /* 0xcc3322ff, opaque, as premultiplied BGRA */
  g_assert_cmpint (ABS (pixel[0] - 0x22), <=, 2);
  g_assert_cmpint (ABS (pixel[1] - 0x33), <=, 2);
  g_assert_cmpint (ABS (pixel[2] - 0xcc), <=, 2);
  g_assert_cmpint (pixel[3], ==, 0xff);
}

static void
test_display_copies (Fixture *f, gconstpointer data)
{
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GBytes) png = NULL;
  g_autoptr(GdkTexture) frame = NULL;
  const EaselImageDisplay *display;
  Decoded decoded = { NULL, FALSE };
  gboolean timed_out = FALSE;
  guint id;
  double zoom;

  SKIP_WITHOUT_DISPLAY ();

  /* Larger than the 800×600 window: shown shrunk to fit. */
  pixbuf = make_pixbuf (1200, 800, 0xcc3322ff);
  png = pixbuf_png (pixbuf);

  /* The fixture's first frame told the decoder where images are shown. */
  easel_image_decode_frame_async (png, 0, NULL, decoded_cb, &decoded);
  wait_for (&decoded.done);
  frame = decoded.texture;
  g_assert_nonnull (easel_image_texture_get_surface (frame));
  display = easel_image_texture_get_display (frame);
  g_assert_nonnull (display);

  easel_canvas_set_texture (f->canvas, frame);
  zoom = _easel_canvas_fit_zoom (f->canvas);
  g_assert_cmpfloat (zoom, <, 1.0);
  g_assert_cmpint (ABS (display->width - (int)ceil (1200 * zoom)), <=, 1);
  g_assert_cmpint (ABS (display->height - (int)ceil (800 * zoom)), <=, 1);
  g_assert_cmpint (display->width, <, 1200);
  g_assert_nonnull (display->surface);
  g_assert_nonnull (display->texture);

  /* Painted from the decoder's copy: the canvas scales nothing itself. */
  wait_for_frame (GTK_WIDGET (f->canvas));
  assert_centre_is_image (f->canvas);
  wait_for_frame (GTK_WIDGET (f->canvas));
  g_assert_cmpuint (_easel_canvas_get_display_scaled (f->canvas), ==, 0);

  /* Another zoom: a worker makes a copy at the new size. Only the cairo
   * renderer waits for one; GL scales the texture it already uploaded. */
  easel_canvas_set_zoom (f->canvas, 0.5);
  wait_for_frame (GTK_WIDGET (f->canvas));
  assert_centre_is_image (f->canvas);
  if (GSK_IS_CAIRO_RENDERER (gtk_native_get_renderer (gtk_widget_get_native (GTK_WIDGET (f->canvas)))))
    {
      id = g_timeout_add_seconds (10, timeout_cb, &timed_out);
      while (_easel_canvas_get_display_scaled (f->canvas) == 0 && !timed_out)
        g_main_context_iteration (NULL, TRUE);
      g_assert_false (timed_out);
      g_source_remove (id);
      g_assert_cmpint (f->canvas->display->width, ==, 600);
      g_assert_cmpint (f->canvas->display->height, ==, 400);
      wait_for_frame (GTK_WIDGET (f->canvas));
      assert_centre_is_image (f->canvas);
    }

  /* A texture from elsewhere still draws (as a texture). */
  easel_canvas_set_texture (f->canvas, NULL);
  {
    g_autoptr(GdkTexture) plain = gdk_texture_new_for_pixbuf (pixbuf);

    g_assert_null (easel_image_texture_get_surface (plain));
    easel_canvas_set_texture (f->canvas, plain);
    wait_for_frame (GTK_WIDGET (f->canvas));
    assert_centre_is_image (f->canvas);
  }
}

static void
test_zoom (Fixture *f, gconstpointer data)
{
  gboolean fit = FALSE;
  graphene_rect_t rect;
  double zoom;

  SKIP_WITHOUT_DISPLAY ();

  g_object_get (f->canvas, "zoom-to-fit", &fit, NULL);
  g_assert_true (fit);

  gtk_widget_activate_action (GTK_WIDGET (f->canvas), "canvas.zoom-100", NULL);
  g_assert_cmpfloat_with_epsilon (easel_canvas_get_zoom (f->canvas), 1.0, 1e-9);
  g_assert_true (easel_canvas_get_image_rect (f->canvas, &rect));
  g_assert_cmpfloat_with_epsilon (rect.size.width, IMG_W, 1.0);

  gtk_widget_activate_action (GTK_WIDGET (f->canvas), "canvas.zoom-in", NULL);
  zoom = easel_canvas_get_zoom (f->canvas);
  g_assert_cmpfloat (zoom, >, 1.0);
  gtk_widget_activate_action (GTK_WIDGET (f->canvas), "canvas.zoom-out", NULL);
  g_assert_cmpfloat (easel_canvas_get_zoom (f->canvas), <, zoom);

  /* Strokes land on the right pixels at any zoom. */
  easel_canvas_set_zoom (f->canvas, 3.0);
  wait_for_frame (GTK_WIDGET (f->canvas));
  g_object_set (f->canvas, "brush-size", 6.0, "hardness", 1.0, NULL);
  drag_image (f->canvas, 95, 60, 105, 60, 2);
  g_assert_cmpuint (easel_mask_get_value (easel_canvas_get_mask (f->canvas), 100, 60), ==, 255);
  g_assert_cmpuint (easel_mask_get_value (easel_canvas_get_mask (f->canvas), 100, 70), ==, 0);

  gtk_widget_activate_action (GTK_WIDGET (f->canvas), "canvas.zoom-fit", NULL);
  g_object_get (f->canvas, "zoom-to-fit", &fit, NULL);
  g_assert_true (fit);
}

static void
exported_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  GBytes **out = data;
  g_autoptr(GError) error = NULL;

  *out = easel_canvas_export_mask_png_finish (EASEL_CANVAS (source), result, &error);
  g_assert_no_error (error);
}

static void
test_export_mask (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) png = NULL;
  g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
  GdkPixbuf *pixbuf;

  SKIP_WITHOUT_DISPLAY ();

  g_object_set (f->canvas, "brush-size", 20.0, NULL);
  drag_image (f->canvas, 50, 50, 60, 60, 2);
  easel_canvas_export_mask_png_async (f->canvas, NULL, exported_cb, &png);
  while (png == NULL)
    g_main_context_iteration (NULL, TRUE);

  g_assert_true (gdk_pixbuf_loader_write_bytes (loader, png, NULL));
  g_assert_true (gdk_pixbuf_loader_close (loader, NULL));
  pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);
  g_assert_true (gdk_pixbuf_get_has_alpha (pixbuf));
  g_assert_cmpint (gdk_pixbuf_get_width (pixbuf), ==, IMG_W);
  g_assert_cmpint (gdk_pixbuf_get_height (pixbuf), ==, IMG_H);
  /* Transparent = replace: inside the stroke; opaque far away. */
  g_assert_cmpuint (gdk_pixbuf_get_pixels (pixbuf)[55 * gdk_pixbuf_get_rowstride (pixbuf) + 55 * 4 + 3], ==, 0);
  g_assert_cmpuint (gdk_pixbuf_get_pixels (pixbuf)[5 * gdk_pixbuf_get_rowstride (pixbuf) + 5 * 4 + 3], ==, 255);
}

static void
prepared_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  EaselRequest **out = data;
  g_autoptr(GError) error = NULL;

  *out = easel_canvas_prepare_masked_edit_finish (EASEL_CANVAS (source), result, &error);
  g_assert_no_error (error);
}

static void
flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
}

/* Whether the report's button for @action can be pressed. */
static gboolean
drift_button_sensitive (EaselCanvas *canvas,
                        const char  *action)
{
  GtkWidget *bar = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (canvas), EASEL_TYPE_CANVAS, "drift_bar"));

  g_assert_true (gtk_widget_get_visible (bar));
  for (GtkWidget *child = gtk_widget_get_first_child (bar); child; child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_ACTIONABLE (child) && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (child)), action) == 0)
      return gtk_widget_get_sensitive (child);
  g_error ("no %s button in the drift report", action);
}

/* A result of another shape cannot be compared pixel by pixel: the report
 * says so, and offers neither the heat map nor a restore. */
static void
test_guard_other_shape (Fixture *f, gconstpointer data)
{
  g_autoptr(GdkPixbuf) original = make_pixbuf (IMG_W, IMG_H, 0x3366aaff);
  g_autoptr(GdkPixbuf) result = make_pixbuf (IMG_H, IMG_H, 0xff8800ff);
  g_autoptr(GBytes) original_png = pixbuf_png (original);
  g_autoptr(GBytes) result_png = pixbuf_png (result);
  g_autoptr(EaselRequest) base = easel_request_new (EASEL_API_IMAGES_EDIT);
  g_autoptr(EaselRequest) request = NULL;
  gboolean summary_changed = FALSE;

  SKIP_WITHOUT_DISPLAY ();
  g_assert_cmpint (IMG_W, !=, IMG_H);

  easel_mask_fill_rect (easel_canvas_get_mask (f->canvas), 0, 0, IMG_W / 2, IMG_H, FALSE);
  base->model = g_strdup ("gpt-image-1");
  base->prompt = g_strdup ("put a flamingo in the pool");
  easel_canvas_prepare_masked_edit_async (f->canvas, NULL, base, original_png, "image/png", NULL,
                                          prepared_cb, &request);
  while (request == NULL)
    g_main_context_iteration (NULL, TRUE);

  g_signal_connect_swapped (f->canvas, "notify::drift-summary", G_CALLBACK (flag_cb), &summary_changed);
  easel_canvas_check_result (f->canvas, result_png);
  wait_for (&summary_changed);
  g_test_message ("drift: %s", easel_canvas_get_drift_summary (f->canvas));
  g_assert_nonnull (strstr (easel_canvas_get_drift_summary (f->canvas), "another shape"));
  g_assert_true (drift_button_sensitive (f->canvas, "canvas.dismiss-drift"));
  g_assert_false (drift_button_sensitive (f->canvas, "canvas.restore-protected"));
  g_assert_false (drift_button_sensitive (f->canvas, "canvas.show-drift"));
}

static void
test_guard_and_restore (Fixture *f, gconstpointer data)
{
  g_autoptr(GdkPixbuf) original = make_pixbuf (IMG_W, IMG_H, 0x3366aaff);
  g_autoptr(GdkPixbuf) result = make_pixbuf (IMG_W, IMG_H, 0x3366aaff);
  g_autoptr(GBytes) original_png = pixbuf_png (original);
  g_autoptr(GBytes) result_png = NULL;
  g_autoptr(GdkTexture) model_output = NULL;
  g_autoptr(EaselRequest) base = easel_request_new (EASEL_API_IMAGES_EDIT);
  g_autoptr(EaselRequest) request = NULL;
  gboolean summary_changed = FALSE, restored = FALSE;
  GdkTexture *shown;

  SKIP_WITHOUT_DISPLAY ();

  /* Select the left half; the model repaints the left half (allowed) and
   * also a 20×20 block on the right (drift). */
  easel_mask_fill_rect (easel_canvas_get_mask (f->canvas), 0, 0, IMG_W / 2, IMG_H, FALSE);
  g_object_set (f->canvas, "feather-radius", 0.0, NULL);
  base->model = g_strdup ("gpt-image-1");
  base->prompt = g_strdup ("put a flamingo in the pool");
  easel_canvas_prepare_masked_edit_async (f->canvas, NULL, base, original_png, "image/png", NULL,
                                          prepared_cb, &request);
  while (request == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (request->mask);
  g_assert_cmpint (request->api, ==, EASEL_API_IMAGES_EDIT);

  gdk_pixbuf_fill (result, 0x3366aaff);
  {
    g_autoptr(GdkPixbuf) left = gdk_pixbuf_new_subpixbuf (result, 0, 0, IMG_W / 2, IMG_H);
    g_autoptr(GdkPixbuf) block = gdk_pixbuf_new_subpixbuf (result, 150, 50, 20, 20);
    gdk_pixbuf_fill (left, 0xff8800ff);
    gdk_pixbuf_fill (block, 0xffffffff);
  }
  result_png = pixbuf_png (result);
  model_output = gdk_texture_new_for_pixbuf (result);
  easel_canvas_set_texture (f->canvas, model_output);

  g_signal_connect_swapped (f->canvas, "notify::drift-summary", G_CALLBACK (flag_cb), &summary_changed);
  easel_canvas_check_result (f->canvas, result_png);
  wait_for (&summary_changed);
  g_test_message ("drift: %s", easel_canvas_get_drift_summary (f->canvas));
  /* 400 of the 12000 protected pixels: 3.3 %. */
  g_assert_nonnull (strstr (easel_canvas_get_drift_summary (f->canvas), "3.3"));

  gtk_widget_activate_action (GTK_WIDGET (f->canvas), "canvas.show-drift", NULL);
  wait_for_frame (GTK_WIDGET (f->canvas));

  g_signal_connect_swapped (f->canvas, "restored", G_CALLBACK (flag_cb), &restored);
  click_toolbar (f->canvas, "canvas.restore-protected");
  wait_for (&restored);

  shown = easel_canvas_get_texture (f->canvas);
  g_assert_true (shown != model_output);
  {
    guchar pixel[4];

    /* Protected right half is the original again; the edit stays on the left. */
    {
      guchar *buf = g_malloc (IMG_W * IMG_H * 4);
      gdk_texture_download (shown, buf, IMG_W * 4);
      memcpy (pixel, buf + (60 * IMG_W + 160) * 4, 4);
      /* Cairo order (BGRA on little endian): blue 0xaa, red 0x33. */
      g_assert_cmpuint (pixel[0], ==, 0xaa);
      g_assert_cmpuint (pixel[2], ==, 0x33);
      memcpy (pixel, buf + (60 * IMG_W + 20) * 4, 4);
      g_assert_cmpuint (pixel[2], ==, 0xff);
      g_free (buf);
    }
  }

  /* Undo goes back to the model's output. */
  gtk_widget_activate_action (GTK_WIDGET (f->canvas), "canvas.undo", NULL);
  g_assert_true (easel_canvas_get_texture (f->canvas) == model_output);
}

static GtkWidget *
find_drop_down (GtkWidget *root)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_DROP_DOWN (child))
        return child;
      if ((found = find_drop_down (child)))
        return found;
    }
  return NULL;
}

/* The mask's colour is the user's choice, made in the palette, kept in
 * the settings, and the overlay is drawn in it. */
static void
test_mask_color (Fixture *f, gconstpointer data)
{
  g_autoptr(GSettings) settings = NULL;
  GtkWidget *dropdown;
  GdkTexture *tile;
  guint8 pixel[4];
  guint uploads;

  SKIP_WITHOUT_DISPLAY ();
#define TILE_PIXEL(tile, x, y, out) \
  G_STMT_START { \
    int tw_ = gdk_texture_get_width (tile), th_ = gdk_texture_get_height (tile); \
    g_autofree guint8 *all_ = g_malloc ((gsize) tw_ * th_ * 4); \
    gdk_texture_download (tile, all_, (gsize) tw_ * 4); \
    memcpy (out, all_ + ((gsize) (y) * tw_ + (x)) * 4, 4); \
  } G_STMT_END
  settings = g_settings_new ("io.github.easelstudio.Easel");
  g_object_set (f->canvas, "brush-size", 16.0, "hardness", 1.0, "mask-opacity", 1.0, NULL);
  drag_image (f->canvas, 0, 8, 60, 8, 3);
  wait_for_frame (GTK_WIDGET (f->canvas));
  uploads = _easel_canvas_get_overlay_uploads (f->canvas);
  tile = g_ptr_array_index (f->canvas->tiles, 0);
  TILE_PIXEL (tile, 20, 8, pixel);
  /* Blue by default (premultiplied BGRA in the download) */
  g_assert_cmpuint (pixel[0], >, pixel[2]);

  dropdown = find_drop_down (GTK_WIDGET (f->canvas));
  g_assert_nonnull (dropdown);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown), 1);
  g_assert_cmpstr (f->canvas->mask_color, ==, "red");
  g_assert_cmpstr (g_settings_get_string (settings, "mask-color"), ==, "red");
  wait_for_frame (GTK_WIDGET (f->canvas));
  g_assert_cmpuint (_easel_canvas_get_overlay_uploads (f->canvas), >, uploads);
  tile = g_ptr_array_index (f->canvas->tiles, 0);
  TILE_PIXEL (tile, 20, 8, pixel);
  g_assert_cmpuint (pixel[2], >, pixel[0]);

  /* A colour that is not one of the choices falls back to blue. */
  g_object_set (f->canvas, "mask-color", "plaid", NULL);
  g_assert_cmpstr (f->canvas->mask_color, ==, "blue");
  g_assert_cmpuint (gtk_drop_down_get_selected (GTK_DROP_DOWN (dropdown)), ==, 0);
  g_settings_reset (settings, "mask-color");
}

/* The allocator policy easel-studio starts with: full-size frames are
 * mapped when the heap has no room for them (freed, they go back to the
 * kernel), while a buffer the size of
 * what the renderer paints per frame comes from the heap and stays there
 * once freed, so the next frame does not fault its pages in again. */
static void
test_allocator (void)
{
#if defined (HAVE_MALLOPT) && defined (__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
  const gsize frame_size = 1024 * 1024 * 4;   /* the smallest frame the API returns */
  const gsize paint_size = 3 * 1024 * 1024;   /* ~1200 × 680 ARGB32 */
  struct mallinfo2 before, after;
  gpointer block;

  /* In a fresh process: what earlier tests left free in the heaps would
   * decide where the blocks below come from. */
  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, 0);
      g_test_trap_assert_passed ();
      return;
    }

  easel_image_tune_allocator ();
  /* malloc carves even a large block from free heap space before it
   * considers mapping one. */
  malloc_trim (0);

  before = mallinfo2 ();
  block = g_malloc (frame_size);
  after = mallinfo2 ();
  g_assert_cmpuint (after.hblks, ==, before.hblks + 1);
  g_free (block);

  before = mallinfo2 ();
  block = g_malloc (paint_size);
  after = mallinfo2 ();
  g_assert_cmpuint (after.hblks, ==, before.hblks);
  g_free (block);
  /* The main thread's arena keeps it at its top rather than trimming. */
  after = mallinfo2 ();
  g_assert_cmpuint (after.keepcost, >=, paint_size);
#else
  g_test_skip ("glibc's mallopt and mallinfo2 are not available");
#endif
}

int
main (int argc, char *argv[])
{
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_test_init (&argc, &argv, NULL);

  have_display = gtk_init_check ();
  if (have_display)
    adw_init ();
  else
    g_test_message ("No display: canvas tests are skipped");

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/canvas/brush-stroke-and-undo", test_brush_stroke_and_undo);
  ADD ("/canvas/rectangle-and-lasso", test_rectangle_and_lasso);
  ADD ("/canvas/toolbar-actions", test_toolbar_actions);
  ADD ("/canvas/texture-sizes", test_texture_sizes);
  ADD ("/canvas/zoom", test_zoom);
  ADD ("/canvas/display-copies", test_display_copies);
  ADD ("/canvas/export-mask", test_export_mask);
  ADD ("/canvas/guard-and-restore", test_guard_and_restore);
  ADD ("/canvas/guard-other-shape", test_guard_other_shape);
  ADD ("/canvas/mask-color", test_mask_color);
#undef ADD
  g_test_add_func ("/canvas/allocator", test_allocator);

  return g_test_run ();
}
