/* test-mask.c: mask rasterisation, export, import and the mask guard
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-mask"

#include "config.h"

#include <string.h>

#include "easel-mask.h"

static void
test_brush_and_eraser (void)
{
  g_autoptr(EaselMask) mask = easel_mask_new (100, 80);

  g_assert_true (easel_mask_is_empty (mask));

  /* A hard horizontal stroke of radius 5 from (20,40) to (80,40). */
  easel_mask_stroke_to (mask, 20, 40, 1.0, 80, 40, 1.0, 5, 1.0, FALSE);

  g_assert_cmpuint (easel_mask_get_value (mask, 50, 40), ==, 255);
  g_assert_cmpuint (easel_mask_get_value (mask, 20, 40), ==, 255);
  g_assert_cmpuint (easel_mask_get_value (mask, 79, 42), ==, 255);
  g_assert_cmpuint (easel_mask_get_value (mask, 50, 50), ==, 0);   /* 10 px away */
  g_assert_cmpuint (easel_mask_get_value (mask, 90, 40), ==, 0);   /* past the end */
  /* Interpolated between motion events: no gaps along the line. */
  for (int x = 20; x <= 80; x++)
    g_assert_cmpuint (easel_mask_get_value (mask, x, 40), ==, 255);

  /* The eraser cuts a hole in the middle. */
  easel_mask_stroke_to (mask, 50, 30, 1.0, 50, 50, 1.0, 3, 1.0, TRUE);
  g_assert_cmpuint (easel_mask_get_value (mask, 50, 40), ==, 0);
  g_assert_cmpuint (easel_mask_get_value (mask, 40, 40), ==, 255);
}

static void
test_brush_hardness_and_pressure (void)
{
  g_autoptr(EaselMask) soft = easel_mask_new (64, 64);
  g_autoptr(EaselMask) light = easel_mask_new (64, 64);
  guint8 edge;

  /* Soft brush: full at the centre, partial towards the rim. */
  easel_mask_stroke_to (soft, 32, 32, 1.0, 32, 32, 1.0, 10, 0.0, FALSE);
  g_assert_cmpuint (easel_mask_get_value (soft, 32, 32), >=, 250);
  edge = easel_mask_get_value (soft, 39, 32);
  g_assert_cmpuint (edge, >, 0);
  g_assert_cmpuint (edge, <, 200);
  g_assert_cmpuint (easel_mask_get_value (soft, 45, 32), ==, 0);

  /* Half pressure halves the radius. */
  easel_mask_stroke_to (light, 32, 32, 0.5, 32, 32, 0.5, 10, 1.0, FALSE);
  g_assert_cmpuint (easel_mask_get_value (light, 35, 32), ==, 255);
  g_assert_cmpuint (easel_mask_get_value (light, 39, 32), ==, 0);
}

static void
test_rect_lasso_invert (void)
{
  g_autoptr(EaselMask) mask = easel_mask_new (50, 50);
  EaselMaskPoint triangle[] = { { 10, 10 }, { 40, 10 }, { 10, 40 } };

  easel_mask_fill_rect (mask, 5, 5, 10, 10, FALSE);
  g_assert_cmpuint (easel_mask_get_value (mask, 5, 5), ==, 255);
  g_assert_cmpuint (easel_mask_get_value (mask, 14, 14), ==, 255);
  g_assert_cmpuint (easel_mask_get_value (mask, 15, 15), ==, 0);
  g_assert_cmpuint (easel_mask_count_selected (mask), ==, 100);

  easel_mask_fill_rect (mask, 5, 5, 5, 5, TRUE);
  g_assert_cmpuint (easel_mask_count_selected (mask), ==, 75);

  easel_mask_clear (mask);
  easel_mask_fill_polygon (mask, triangle, G_N_ELEMENTS (triangle), FALSE);
  g_assert_cmpuint (easel_mask_get_value (mask, 12, 12), ==, 255);
  g_assert_cmpuint (easel_mask_get_value (mask, 38, 11), ==, 255);
  g_assert_cmpuint (easel_mask_get_value (mask, 35, 35), ==, 0);  /* outside the hypotenuse */
  g_assert_cmpuint (easel_mask_get_value (mask, 5, 5), ==, 0);

  easel_mask_invert (mask);
  g_assert_cmpuint (easel_mask_get_value (mask, 12, 12), ==, 0);
  g_assert_cmpuint (easel_mask_get_value (mask, 35, 35), ==, 255);

  easel_mask_fill_all (mask);
  g_assert_cmpuint (easel_mask_count_selected (mask), ==, 2500);
}

static void
test_undo_redo (void)
{
  g_autoptr(EaselMask) mask = easel_mask_new (40, 40);

  g_assert_false (easel_mask_can_undo (mask));

  easel_mask_begin_stroke (mask);
  easel_mask_stroke_to (mask, 5, 5, 1, 20, 5, 1, 2, 1, FALSE);
  easel_mask_stroke_to (mask, 20, 5, 1, 20, 30, 1, 2, 1, FALSE);
  easel_mask_end_stroke (mask);
  easel_mask_invert (mask);
  easel_mask_invert (mask);

  g_assert_cmpuint (easel_mask_get_undo_depth (mask), ==, 3);
  g_assert_cmpuint (easel_mask_get_value (mask, 20, 20), ==, 255);

  /* Undo the two inverts, then the stroke as one step. */
  g_assert_true (easel_mask_undo (mask));
  g_assert_cmpuint (easel_mask_get_value (mask, 20, 20), ==, 0);
  g_assert_true (easel_mask_undo (mask));
  g_assert_cmpuint (easel_mask_get_value (mask, 20, 20), ==, 255);
  g_assert_true (easel_mask_undo (mask));
  g_assert_true (easel_mask_is_empty (mask));
  g_assert_false (easel_mask_undo (mask));

  g_assert_true (easel_mask_redo (mask));
  g_assert_cmpuint (easel_mask_get_value (mask, 20, 20), ==, 255);
  g_assert_cmpuint (easel_mask_get_value (mask, 10, 5), ==, 255);

  /* A new edit drops the redo stack. */
  easel_mask_clear (mask);
  g_assert_false (easel_mask_can_redo (mask));
}

static void
test_history_is_bounded (void)
{
  g_autoptr(EaselMask) mask = easel_mask_new (512, 512);

  /* Each invert stores a full 256 KiB step; 1 MiB keeps at most 4. */
  easel_mask_set_history_limit (mask, 1024 * 1024 + 4 * 64);
  for (int i = 0; i < 20; i++)
    easel_mask_invert (mask);

  g_assert_cmpuint (easel_mask_get_history_bytes (mask), <=, 1024 * 1024 + 4 * 64);
  g_assert_cmpuint (easel_mask_get_undo_depth (mask), >=, 3);
  g_assert_cmpuint (easel_mask_get_undo_depth (mask), <, 20);

  /* 50 small stroke steps at the default limit all stay. */
  {
    g_autoptr(EaselMask) big = easel_mask_new (1536, 1024);

    for (int i = 0; i < 60; i++)
      easel_mask_stroke_to (big, 10 + i * 20, 100, 1, 10 + i * 20, 300, 1, 8, 1, FALSE);
    g_assert_cmpuint (easel_mask_get_undo_depth (big), ==, 60);
    for (int i = 0; i < 50; i++)
      g_assert_true (easel_mask_undo (big));
  }
}

static void
test_feather (void)
{
  g_autoptr(EaselMask) mask = easel_mask_new (100, 100);
  g_autofree guint8 *soft = NULL;
  g_autofree guint8 *none = NULL;

  easel_mask_fill_rect (mask, 0, 0, 50, 100, FALSE);
  soft = easel_mask_dup_feathered (mask, 8);
  none = easel_mask_dup_feathered (mask, 0);

  g_assert_cmpmem (none, 100 * 100, easel_mask_get_data (mask), 100 * 100);

  /* Far from the edge: unchanged; at the edge: about half; monotonic ramp. */
  g_assert_cmpuint (soft[50 * 100 + 10], ==, 255);
  g_assert_cmpuint (soft[50 * 100 + 90], ==, 0);
  g_assert_cmpuint (soft[50 * 100 + 49], >, 110);
  g_assert_cmpuint (soft[50 * 100 + 49], <, 170);
  for (int x = 40; x < 60; x++)
    g_assert_cmpuint (soft[50 * 100 + x], >=, soft[50 * 100 + x + 1]);
  g_assert_cmpuint (soft[50 * 100 + 45], >, 200);
  g_assert_cmpuint (soft[50 * 100 + 45], <, 255);
}

static GdkPixbuf *
decode (GBytes *bytes)
{
  g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();

  g_assert_true (gdk_pixbuf_loader_write_bytes (loader, bytes, NULL));
  g_assert_true (gdk_pixbuf_loader_close (loader, NULL));
  return g_object_ref (gdk_pixbuf_loader_get_pixbuf (loader));
}

static void
test_png_export (void)
{
  g_autoptr(EaselMask) mask = easel_mask_new (1536, 1024);
  g_autoptr(GBytes) png = NULL;
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GError) error = NULL;
  const guint8 *px;
  int stride;

  /* Empty masks are refused with a clear error. */
  png = easel_mask_encode_png (mask, 0, &error);
  g_assert_null (png);
  g_assert_error (error, EASEL_MASK_ERROR, EASEL_MASK_ERROR_EMPTY);
  g_clear_error (&error);

  easel_mask_fill_rect (mask, 100, 200, 300, 400, FALSE);
  png = easel_mask_encode_png (mask, 0, &error);
  g_assert_no_error (error);
  g_assert_nonnull (png);
  g_assert_cmpmem (g_bytes_get_data (png, NULL), 4, "\x89PNG", 4);

  pixbuf = decode (png);
  g_assert_cmpint (gdk_pixbuf_get_width (pixbuf), ==, 1536);
  g_assert_cmpint (gdk_pixbuf_get_height (pixbuf), ==, 1024);
  g_assert_true (gdk_pixbuf_get_has_alpha (pixbuf));

  px = gdk_pixbuf_read_pixels (pixbuf);
  stride = gdk_pixbuf_get_rowstride (pixbuf);
  /* Transparent = replace (inside the rectangle), opaque = keep. */
  g_assert_cmpuint (px[300 * stride + 200 * 4 + 3], ==, 0);
  g_assert_cmpuint (px[10 * stride + 10 * 4 + 3], ==, 255);
  g_assert_cmpuint (px[700 * stride + 500 * 4 + 3], ==, 255);

  /* The export validates against an image of the same size… */
  {
    g_autoptr(GdkPixbuf) image = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 1536, 1024);
    g_autoptr(GdkPixbuf) small = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 1024, 1024);
    g_autofree char *buf = NULL;
    gsize len;
    g_autoptr(GBytes) image_png = NULL;
    g_autoptr(GBytes) small_png = NULL;

    gdk_pixbuf_fill (image, 0x336699ff);
    gdk_pixbuf_fill (small, 0x336699ff);
    g_assert_true (gdk_pixbuf_save_to_buffer (image, &buf, &len, "png", NULL, NULL));
    image_png = g_bytes_new_take (g_steal_pointer (&buf), len);
    g_assert_true (gdk_pixbuf_save_to_buffer (small, &buf, &len, "png", NULL, NULL));
    small_png = g_bytes_new_take (g_steal_pointer (&buf), len);

    g_assert_true (easel_mask_check_for_edit (image_png, png, 50 * 1024 * 1024, FALSE, &error));
    g_assert_no_error (error);

    /* …and is refused for another size, over-size files and dall-e-2's square rule. */
    g_assert_false (easel_mask_check_for_edit (small_png, png, 0, FALSE, &error));
    g_assert_error (error, EASEL_MASK_ERROR, EASEL_MASK_ERROR_SIZE_MISMATCH);
    g_clear_error (&error);
    g_assert_false (easel_mask_check_for_edit (image_png, png, 1024, FALSE, &error));
    g_assert_error (error, EASEL_MASK_ERROR, EASEL_MASK_ERROR_TOO_LARGE);
    g_clear_error (&error);
    g_assert_false (easel_mask_check_for_edit (image_png, png, 0, TRUE, &error));
    g_assert_error (error, EASEL_MASK_ERROR, EASEL_MASK_ERROR_NOT_SQUARE_PNG);
    g_clear_error (&error);
  }
}

static void
encode_done (GObject *object, GAsyncResult *result, gpointer user_data)
{
  GBytes **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = easel_mask_encode_png_finish (EASEL_MASK (object), result, &error);
  g_assert_no_error (error);
}

static void
test_png_export_async (void)
{
  g_autoptr(EaselMask) mask = easel_mask_new (64, 48);
  g_autoptr(GBytes) png = NULL;
  g_autoptr(GdkPixbuf) pixbuf = NULL;

  easel_mask_fill_rect (mask, 0, 0, 10, 10, FALSE);
  easel_mask_encode_png_async (mask, 2.0, NULL, encode_done, &png);
  while (png == NULL)
    g_main_context_iteration (NULL, TRUE);

  pixbuf = decode (png);
  g_assert_cmpint (gdk_pixbuf_get_width (pixbuf), ==, 64);
  g_assert_cmpint (gdk_pixbuf_get_height (pixbuf), ==, 48);
  g_assert_true (gdk_pixbuf_get_has_alpha (pixbuf));
}

static void
test_black_and_white_import (void)
{
  g_autoptr(GdkPixbuf) bw = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 20, 10);
  g_autoptr(GdkPixbuf) alpha = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, 20, 10);
  g_autoptr(GdkPixbuf) wrong = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 21, 10);
  g_autoptr(EaselMask) mask = easel_mask_new (20, 10);
  g_autoptr(GError) error = NULL;
  guint8 *px;
  int stride;

  /* Left half white (edit), right half black (keep). */
  gdk_pixbuf_fill (bw, 0x000000ff);
  px = gdk_pixbuf_get_pixels (bw);
  stride = gdk_pixbuf_get_rowstride (bw);
  for (int y = 0; y < 10; y++)
    memset (px + y * stride, 255, 10 * 3);

  g_assert_true (easel_mask_set_from_pixbuf (mask, bw, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (easel_mask_get_value (mask, 2, 5), ==, 255);
  g_assert_cmpuint (easel_mask_get_value (mask, 15, 5), ==, 0);

  /* A mask with alpha is used as it is: transparent = edit. */
  gdk_pixbuf_fill (alpha, 0xffffffff);
  px = gdk_pixbuf_get_pixels (alpha);
  stride = gdk_pixbuf_get_rowstride (alpha);
  px[3 * stride + 17 * 4 + 3] = 0;
  g_assert_true (easel_mask_set_from_pixbuf (mask, alpha, &error));
  g_assert_cmpuint (easel_mask_get_value (mask, 17, 3), ==, 255);
  g_assert_cmpuint (easel_mask_get_value (mask, 2, 5), ==, 0);
  g_assert_cmpuint (easel_mask_count_selected (mask), ==, 1);

  /* Importing is undoable. */
  g_assert_true (easel_mask_undo (mask));
  g_assert_cmpuint (easel_mask_get_value (mask, 2, 5), ==, 255);

  g_assert_false (easel_mask_set_from_pixbuf (mask, wrong, &error));
  g_assert_error (error, EASEL_MASK_ERROR, EASEL_MASK_ERROR_SIZE_MISMATCH);
}

static GdkPixbuf *
solid (int w, int h, guint32 rgba)
{
  GdkPixbuf *p = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, w, h);
  gdk_pixbuf_fill (p, rgba);
  return p;
}

static void
test_drift_and_restore (void)
{
  g_autoptr(GdkPixbuf) original = solid (100, 100, 0x2040a0ff);
  g_autoptr(GdkPixbuf) result = solid (100, 100, 0x2040a0ff);
  g_autoptr(EaselMask) mask = easel_mask_new (100, 100);
  g_autoptr(EaselDriftReport) report = NULL;
  g_autoptr(GdkPixbuf) restored = NULL;
  guint8 *px = gdk_pixbuf_get_pixels (result);
  int stride = gdk_pixbuf_get_rowstride (result);
  const guint8 *heat;
  const guint8 *rp;
  int rstride;

  /* The model repainted the selected left half (allowed) and also drifted a
   * 10×10 block of the protected right half (not allowed), plus tiny noise
   * below the threshold everywhere on the right. */
  easel_mask_fill_rect (mask, 0, 0, 50, 100, FALSE);
  for (int y = 0; y < 100; y++)
    for (int x = 0; x < 100; x++)
      {
        guint8 *p = px + y * stride + x * 4;

        if (x < 50)
          p[0] = 250;
        else if (x >= 80 && x < 90 && y >= 10 && y < 20)
          p[1] = 200;
        else
          p[2] = 0xa0 + 3;
      }

  report = easel_drift_compare (original, result, easel_mask_get_data (mask), 100, 100, 12);
  g_assert_nonnull (report);
  g_assert_cmpuint (report->protected_pixels, ==, 50 * 100);
  g_assert_cmpuint (report->drifted_pixels, ==, 100);
  g_assert_cmpfloat_with_epsilon (report->drift_percent, 2.0, 1e-9);
  heat = g_bytes_get_data (report->heatmap, NULL);
  g_assert_cmpuint (heat[(15 * 100 + 85) * 4 + 3], >, 0);   /* drifted: marked */
  g_assert_cmpuint (heat[(50 * 100 + 60) * 4 + 3], ==, 0);  /* noise: not */
  g_assert_cmpuint (heat[(50 * 100 + 10) * 4 + 3], ==, 0);  /* selected: ignored */

  /* Restoring puts the original back outside the mask, keeps the edit inside. */
  restored = easel_restore_protected (original, result, easel_mask_get_data (mask), 100, 100, 0);
  rp = gdk_pixbuf_read_pixels (restored);
  rstride = gdk_pixbuf_get_rowstride (restored);
  g_assert_cmpuint (rp[15 * rstride + 85 * 4 + 1], ==, 0x40);
  g_assert_cmpuint (rp[50 * rstride + 60 * 4 + 2], ==, 0xa0);
  g_assert_cmpuint (rp[50 * rstride + 10 * 4 + 0], ==, 250);

  {
    g_autoptr(EaselDriftReport) after = easel_drift_compare (original, restored, easel_mask_get_data (mask), 100, 100, 12);
    g_assert_cmpuint (after->drifted_pixels, ==, 0);
  }

  /* With a feathered edge, pixels at the boundary blend. */
  {
    g_autoptr(GdkPixbuf) soft = easel_restore_protected (original, result, easel_mask_get_data (mask), 100, 100, 6);
    const guint8 *sp = gdk_pixbuf_read_pixels (soft);
    int sstride = gdk_pixbuf_get_rowstride (soft);
    guint8 edge = sp[50 * sstride + 49 * 4 + 0];  /* selected, but near the edge */

    g_assert_cmpuint (edge, >, 0x20);
    g_assert_cmpuint (edge, <, 250);
  }
}

static void
test_drift_resizes_result (void)
{
  g_autoptr(GdkPixbuf) original = solid (64, 64, 0x808080ff);
  g_autoptr(GdkPixbuf) bigger = solid (128, 128, 0x808080ff);
  g_autoptr(EaselMask) mask = easel_mask_new (64, 64);
  g_autoptr(EaselDriftReport) report = NULL;

  easel_mask_fill_rect (mask, 0, 0, 8, 8, FALSE);
  report = easel_drift_compare (original, bigger, easel_mask_get_data (mask), 64, 64, 8);
  g_assert_cmpuint (report->protected_pixels, ==, 64 * 64 - 64);
  g_assert_cmpuint (report->drifted_pixels, ==, 0);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/mask/brush-eraser", test_brush_and_eraser);
  g_test_add_func ("/core/mask/brush-hardness-pressure", test_brush_hardness_and_pressure);
  g_test_add_func ("/core/mask/rect-lasso-invert", test_rect_lasso_invert);
  g_test_add_func ("/core/mask/undo-redo", test_undo_redo);
  g_test_add_func ("/core/mask/history-bounded", test_history_is_bounded);
  g_test_add_func ("/core/mask/feather", test_feather);
  g_test_add_func ("/core/mask/png-export", test_png_export);
  g_test_add_func ("/core/mask/png-export-async", test_png_export_async);
  g_test_add_func ("/core/mask/black-and-white-import", test_black_and_white_import);
  g_test_add_func ("/core/mask/drift-and-restore", test_drift_and_restore);
  g_test_add_func ("/core/mask/drift-resizes-result", test_drift_resizes_result);

  return g_test_run ();
}
