/* bench-mask.c: the canvas's costs at 1536×1024 — mask PNG encode, drift comparison, brush strokes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   ninja -C _build bench/bench-mask && _build/bench/bench-mask
 *   tests/gui/run-gui-test.sh _build/bench/bench-mask   # adds the on-screen stroke test
 *
 * Prints medians (and p95 for frames). Targets (issue "Canvas"): encode
 * ≤ 50 ms, drift ≤ 100 ms, strokes at 60 fps at 200 % zoom.
 */

#define G_LOG_DOMAIN "bench-mask"

#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "easel-core.h"

#ifdef BENCH_MASK_GUI
# include <adwaita.h>
# include "easel-canvas.h"
# include "easel-canvas-private.h"
#endif

#define W 1536
#define H 1024

static int
compare_double (const void *a, const void *b)
{
  double da = *(const double *) a, db = *(const double *) b;
  return (da > db) - (da < db);
}

static double
percentile (double *values, guint n, double p)
{
  qsort (values, n, sizeof (double), compare_double);
  return values[MIN (n - 1, (guint) floor (p * (n - 1) + 0.5))];
}

static double
now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

/* A mask like a user's: a few thick strokes and a lasso. */
static EaselMask *
user_mask (void)
{
  EaselMask *mask = easel_mask_new (W, H);
  EaselMaskPoint lasso[] = { { 100, 100 }, { 500, 80 }, { 460, 400 }, { 140, 360 } };

  easel_mask_stroke_to (mask, 300, 600, 1, 1200, 700, 1, 60, 0.7, FALSE);
  easel_mask_stroke_to (mask, 1200, 700, 1, 1300, 950, 1, 60, 0.7, FALSE);
  easel_mask_fill_polygon (mask, lasso, G_N_ELEMENTS (lasso), FALSE);
  return mask;
}

static GdkPixbuf *
noise_pixbuf (guint32 seed)
{
  GdkPixbuf *pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, W, H);
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);

  for (int y = 0; y < H; y++)
    for (int x = 0; x < W * 3; x++)
      pixels[y * stride + x] = g_rand_int_range (rand, 0, 256);
  return pixbuf;
}

static void
bench_encode (void)
{
  g_autoptr(EaselMask) mask = user_mask ();
  double plain[15], feathered[15];
  gsize size = 0;

  for (guint i = 0; i < G_N_ELEMENTS (plain); i++)
    {
      double t0 = now_ms ();
      g_autoptr(GBytes) png = easel_mask_encode_png (mask, 0, NULL);

      plain[i] = now_ms () - t0;
      size = g_bytes_get_size (png);
    }
  for (guint i = 0; i < G_N_ELEMENTS (feathered); i++)
    {
      double t0 = now_ms ();
      g_autoptr(GBytes) png = easel_mask_encode_png (mask, 8, NULL);

      feathered[i] = now_ms () - t0;
    }

  g_print ("mask PNG encode %dx%d: median %.1f ms (no feather, %" G_GSIZE_FORMAT " bytes), "
           "median %.1f ms (feather 8 px)\n",
           W, H, percentile (plain, G_N_ELEMENTS (plain), 0.5), size,
           percentile (feathered, G_N_ELEMENTS (feathered), 0.5));
}

static void
bench_drift (void)
{
  g_autoptr(EaselMask) mask = user_mask ();
  g_autoptr(GdkPixbuf) original = noise_pixbuf (1);
  g_autoptr(GdkPixbuf) result = noise_pixbuf (2);
  g_autoptr(GdkPixbuf) resized = gdk_pixbuf_scale_simple (result, 1024, 1024, GDK_INTERP_BILINEAR);
  double same[10], scaled[10], restore[10];

  for (guint i = 0; i < G_N_ELEMENTS (same); i++)
    {
      double t0 = now_ms ();
      g_autoptr(EaselDriftReport) report = easel_drift_compare (original, result, easel_mask_get_data (mask),
                                                                W, H, 16);
      same[i] = now_ms () - t0;
    }
  for (guint i = 0; i < G_N_ELEMENTS (scaled); i++)
    {
      double t0 = now_ms ();
      g_autoptr(EaselDriftReport) report = easel_drift_compare (original, resized, easel_mask_get_data (mask),
                                                                W, H, 16);
      scaled[i] = now_ms () - t0;
    }
  for (guint i = 0; i < G_N_ELEMENTS (restore); i++)
    {
      double t0 = now_ms ();
      g_autoptr(GdkPixbuf) out = easel_restore_protected (original, result, easel_mask_get_data (mask),
                                                          W, H, 4);
      restore[i] = now_ms () - t0;
    }

  g_print ("drift comparison %dx%d: median %.1f ms (same size), %.1f ms (result 1024x1024, rescaled)\n",
           W, H, percentile (same, G_N_ELEMENTS (same), 0.5), percentile (scaled, G_N_ELEMENTS (scaled), 0.5));
  g_print ("restore protected pixels %dx%d (feather 4): median %.1f ms\n",
           W, H, percentile (restore, G_N_ELEMENTS (restore), 0.5));
}

/* 300 motion events along a ~2500 px curve: about 8 image pixels (16
 * screen pixels at 200 %) apart, a quick stroke at 60 Hz. */
#define N_SEGMENTS 300

static void
stroke_point (guint i, double *x, double *y)
{
  double t = (double) i / N_SEGMENTS;

  /* A long sweeping curve across the image. */
  *x = 100 + t * (W - 200);
  *y = H / 2.0 + sin (t * G_PI * 4) * (H / 3.0);
}

static void
bench_stroke_core (void)
{
  g_autoptr(EaselMask) mask = easel_mask_new (W, H);
  double times[N_SEGMENTS];
  double total = 0;

  easel_mask_begin_stroke (mask);
  for (guint i = 0; i < N_SEGMENTS; i++)
    {
      double x0, y0, x1, y1, t0;

      stroke_point (i, &x0, &y0);
      stroke_point (i + 1, &x1, &y1);
      t0 = now_ms ();
      easel_mask_stroke_to (mask, x0, y0, 1, x1, y1, 1, 32, 0.8, FALSE);
      times[i] = now_ms () - t0;
      total += times[i];
    }
  easel_mask_end_stroke (mask);

  g_print ("brush stroke (mask only, radius 32, %d motion events): median %.2f ms, p95 %.2f ms per event, "
           "%.0f ms total\n", N_SEGMENTS, percentile (times, N_SEGMENTS, 0.5),
           percentile (times, N_SEGMENTS, 0.95), total);
}

#ifdef BENCH_MASK_GUI
static void
after_paint_cb (GdkFrameClock *clock, gpointer data)
{
  *(gboolean *) data = TRUE;
}

static void
bench_stroke_on_screen (void)
{
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());
  EaselCanvas *canvas = EASEL_CANVAS (easel_canvas_new ());
  g_autoptr(GdkPixbuf) image = noise_pixbuf (3);
  g_autoptr(GdkTexture) texture = gdk_texture_new_for_pixbuf (image);
  GtkGesture *gesture;
  GdkFrameClock *clock;
  double frames[N_SEGMENTS];
  double wx = 0, wy = 0;
  guint uploads;
  gint64 overlay_usec;

  gtk_window_set_default_size (window, 1200, 900);
  gtk_window_set_child (window, GTK_WIDGET (canvas));
  easel_canvas_set_texture (canvas, texture);
  gtk_window_present (window);
  while (gtk_widget_get_width (GTK_WIDGET (canvas)) == 0)
    g_main_context_iteration (NULL, TRUE);

  g_object_set (canvas, "brush-size", 64.0, "hardness", 0.8, NULL);
  easel_canvas_set_zoom (canvas, 2.0);
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (canvas));
  gesture = _easel_canvas_get_paint_gesture (canvas);

  /* The renderer's own cost for this view, with nothing changing: what
   * every frame pays whatever the canvas does. */
  {
    double idle[60];

    for (guint i = 0; i < G_N_ELEMENTS (idle); i++)
      {
        gboolean painted = FALSE;
        gulong id = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), &painted);
        double t0 = now_ms ();

        gtk_widget_queue_draw (GTK_WIDGET (canvas));
        while (!painted)
          g_main_context_iteration (NULL, TRUE);
        idle[i] = now_ms () - t0;
        g_signal_handler_disconnect (clock, id);
      }
    g_print ("redraw with no mask change (baseline, same view): median %.1f ms, p95 %.1f ms\n",
             percentile (idle, G_N_ELEMENTS (idle), 0.5), percentile (idle, G_N_ELEMENTS (idle), 0.95));
  }

  /* At 200 % only part of the image is visible: the stroke sweeps across
   * the middle of the widget, in widget coordinates. */
  uploads = _easel_canvas_get_overlay_uploads (canvas);
  overlay_usec = _easel_canvas_get_overlay_usec (canvas);

  {
    double cx = gtk_widget_get_width (GTK_WIDGET (canvas)) / 2.0;
    double cy = gtk_widget_get_height (GTK_WIDGET (canvas)) / 2.0;
    double start_x = cx - 450, start_y = cy;

    g_signal_emit_by_name (gesture, "drag-begin", start_x, start_y);
    for (guint i = 0; i < N_SEGMENTS; i++)
      {
        gboolean painted = FALSE;
        gulong id = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), &painted);
        double t0 = now_ms ();

        wx = start_x + 900.0 * (i + 1) / N_SEGMENTS;
        wy = start_y + sin ((double) i / N_SEGMENTS * G_PI * 4) * 250;
        g_signal_emit_by_name (gesture, "drag-update", wx - start_x, wy - start_y);
        while (!painted)
          g_main_context_iteration (NULL, TRUE);
        frames[i] = now_ms () - t0;
        g_signal_handler_disconnect (clock, id);
      }
    g_signal_emit_by_name (gesture, "drag-end", wx - start_x, wy - start_y);
  }

  g_print ("brush stroke on screen (1536x1024 at 200 %%, brush 64 px, %s renderer): "
           "event→painted median %.1f ms, p95 %.1f ms; %u overlay tiles uploaded for %d events\n",
           G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (window))),
           percentile (frames, N_SEGMENTS, 0.5), percentile (frames, N_SEGMENTS, 0.95),
           _easel_canvas_get_overlay_uploads (canvas) - uploads, N_SEGMENTS);
  g_print ("  canvas CPU per event: tile rebuild + texture creation %.2f ms on average "
           "(the mask work itself is the 'mask only' line above)\n",
           (_easel_canvas_get_overlay_usec (canvas) - overlay_usec) / 1000.0 / N_SEGMENTS);
  g_print ("  note: event→painted includes waiting for the next frame-clock tick, so it is\n"
           "  bounded below by the frame interval; frames stay at 60 fps while p95 ≤ 16.7 ms.\n");

  gtk_window_destroy (window);
}
#endif

int
main (int argc, char *argv[])
{
  bench_encode ();
  bench_drift ();
  bench_stroke_core ();

#ifdef BENCH_MASK_GUI
  if (gtk_init_check ())
    {
      adw_init ();
      bench_stroke_on_screen ();
    }
  else
    g_print ("no display: on-screen stroke test skipped (run under tests/gui/run-gui-test.sh)\n");
#endif

  return 0;
}
