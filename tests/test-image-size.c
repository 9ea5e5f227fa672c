/* test-image-size.c: decompression bombs are refused from the header
 *
 * A PNG of a few hundred bytes can claim 60000×60000 pixels; decoding it
 * would need 14 GB. Every decoder in Easel asks easel_image_check_size()
 * first; these tests build such headers and check each path refuses them
 * with EASEL_IMAGE_ERROR_TOO_LARGE (or its own domain's TOO_LARGE) rather
 * than with whatever the decoder says once it has run out of memory.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-image-size"

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "easel-image-size.h"
#include "easel-mask.h"
#include "easel-store.h"

static void
put_be32 (GByteArray *a, guint32 v)
{
  guint8 b[4] = { v >> 24, v >> 16, v >> 8, v };

  g_byte_array_append (a, b, 4);
}

static void
put_chunk (GByteArray *a, const char *type, const guint8 *data, gsize len)
{
  uLong crc = crc32 (0, (const Bytef *) type, 4);

  put_be32 (a, len);
  g_byte_array_append (a, (const guint8 *) type, 4);
  if (len > 0)
    {
      g_byte_array_append (a, data, len);
      crc = crc32 (crc, data, len);
    }
  put_be32 (a, crc);
}

/* A PNG whose IHDR says @width×@height, 8-bit RGBA, followed by an IDAT
 * holding the first row only (all zero), compressed: a bomb's header. */
static GBytes *
bomb_png (guint32 width, guint32 height)
{
  static const guint8 signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  GByteArray *a = g_byte_array_new ();
  GByteArray *ihdr = g_byte_array_new ();
  gsize row_len = 1 + (gsize) width * 4;
  g_autofree guint8 *row = g_malloc0 (row_len);
  uLongf zlen = compressBound (row_len);
  g_autofree guint8 *z = g_malloc (zlen);

  g_byte_array_append (a, signature, 8);
  put_be32 (ihdr, width);
  put_be32 (ihdr, height);
  g_byte_array_append (ihdr, (const guint8[]) { 8, 6, 0, 0, 0 }, 5);
  put_chunk (a, "IHDR", ihdr->data, ihdr->len);
  g_byte_array_unref (ihdr);
  g_assert_cmpint (compress (z, &zlen, row, row_len), ==, Z_OK);
  put_chunk (a, "IDAT", z, zlen);
  put_chunk (a, "IEND", NULL, 0);
  return g_byte_array_free_to_bytes (a);
}

static GBytes *
real_png (int width, int height)
{
  g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, width, height);
  g_autoptr(GError) error = NULL;
  char *buf = NULL;
  gsize len = 0;

  gdk_pixbuf_fill (pb, 0x336699ff);
  g_assert_true (gdk_pixbuf_save_to_buffer (pb, &buf, &len, "png", &error, NULL));
  g_assert_no_error (error);
  return g_bytes_new_take (buf, len);
}

static void
test_header_sizes (void)
{
  struct { guint32 w, h; gboolean ok; } cases[] = {
    { 64, 48, TRUE },
    { 8192, 8192, TRUE },          /* exactly EASEL_IMAGE_MAX_PIXELS */
    { 16384, 4096, TRUE },         /* the longest edge, 64 MP */
    { 8193, 8192, FALSE },         /* one column over the pixel count */
    { 16385, 1, FALSE },           /* one pixel over the edge */
    { 1, 16385, FALSE },
    { 60000, 60000, FALSE },       /* 14 GB decoded */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) png = bomb_png (cases[i].w, cases[i].h);
      g_autoptr(GError) error = NULL;
      int w = -1, h = -1;

      g_test_message ("%u×%u", cases[i].w, cases[i].h);
      /* The size is read whatever it is... */
      g_assert_true (easel_image_get_size (png, &w, &h, &error));
      g_assert_no_error (error);
      g_assert_cmpint (w, ==, cases[i].w);
      g_assert_cmpint (h, ==, cases[i].h);

      /* ...and the check refuses what is too large, naming the limit. */
      w = h = -1;
      if (cases[i].ok)
        {
          g_assert_true (easel_image_check_size (png, &w, &h, &error));
          g_assert_no_error (error);
          g_assert_cmpint (w, ==, cases[i].w);
        }
      else
        {
          g_assert_false (easel_image_check_size (png, &w, &h, &error));
          g_assert_error (error, EASEL_IMAGE_ERROR, EASEL_IMAGE_ERROR_TOO_LARGE);
          g_assert_nonnull (strstr (error->message, "16384 pixels on a side"));
          g_assert_cmpint (w, ==, -1);
        }
    }
}

/* The 0×0 request that stops the loader early must not break the formats
 * other than PNG that users bring: JPEG photos and screenshots. */
static void
test_other_formats (void)
{
  const char *types[] = { "jpeg", "bmp" };

  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 321, 123);
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) bytes = NULL;
      char *buf = NULL;
      gsize len = 0;
      int w = -1, h = -1;

      gdk_pixbuf_fill (pb, 0x808080ff);
      g_assert_true (gdk_pixbuf_save_to_buffer (pb, &buf, &len, types[i], &error, NULL));
      g_assert_no_error (error);
      bytes = g_bytes_new_take (buf, len);
      g_assert_true (easel_image_check_size (bytes, &w, &h, &error));
      g_assert_no_error (error);
      g_assert_cmpint (w, ==, 321);
      g_assert_cmpint (h, ==, 123);
    }
}

static void
test_not_an_image (void)
{
  const char *inputs[] = { "", "not an image at all", "\x89PNG\r\n\x1a\n" };

  for (gsize i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autoptr(GBytes) b = g_bytes_new_static (inputs[i], strlen (inputs[i]));
      g_autoptr(GError) error = NULL;

      g_assert_false (easel_image_check_size (b, NULL, NULL, &error));
      g_assert_error (error, EASEL_IMAGE_ERROR, EASEL_IMAGE_ERROR_NOT_IMAGE);
    }
}

/* A bomb given as the image to paint a mask on, and as the mask. */
static void
test_mask_check_refuses_bomb (void)
{
  g_autoptr(GBytes) bomb = bomb_png (40000, 40000);
  g_autoptr(GBytes) small = real_png (32, 32);
  g_autoptr(GError) error = NULL;

  g_assert_false (easel_mask_check_for_edit (bomb, small, 0, FALSE, &error));
  g_assert_error (error, EASEL_MASK_ERROR, EASEL_MASK_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "40000×40000"));
  g_clear_error (&error);

  g_assert_false (easel_mask_check_for_edit (small, bomb, 0, FALSE, &error));
  g_assert_error (error, EASEL_MASK_ERROR, EASEL_MASK_ERROR_TOO_LARGE);
}

/* A server answered with a bomb and it was stored (the store keeps bytes
 * as they came); exporting it as JPEG must not decode it. */
static void
test_export_refuses_bomb (void)
{
  g_autofree char *dir = g_dir_make_tmp ("easel-image-size-XXXXXX", NULL);
  g_autofree char *out_path = g_build_filename (dir, "out.jpg", NULL);
  g_autoptr(GFile) out = g_file_new_for_path (out_path);
  g_autoptr(EaselStore) store = NULL;
  g_autoptr(EaselGeneration) g = easel_generation_new ();
  g_autoptr(GBytes) bomb = bomb_png (30000, 30000);
  g_autoptr(GError) error = NULL;
  gint64 id;

  store = easel_store_open (dir, &error);
  g_assert_no_error (error);
  g->prompt = g_strdup ("a harbour");
  g->model = g_strdup ("gpt-image-1.5");
  g->api = g_strdup ("generate");
  g->size = g_strdup ("1024x1024");
  g->format = g_strdup ("png");
  id = easel_store_insert_generation (store, g, bomb, &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);

  g_assert_false (easel_store_export (store, id, out, EASEL_EXPORT_JPEG, 80, &error));
  g_assert_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "30000×30000"));
  g_assert_false (g_file_query_exists (out, NULL));

  g_clear_object (&store);
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);
    g_assert_cmpint (system (cmd), ==, 0);
  }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/image-size/header-sizes", test_header_sizes);
  g_test_add_func ("/core/image-size/other-formats", test_other_formats);
  g_test_add_func ("/core/image-size/not-an-image", test_not_an_image);
  g_test_add_func ("/core/image-size/mask-check", test_mask_check_refuses_bomb);
  g_test_add_func ("/core/image-size/export", test_export_refuses_bomb);
  return g_test_run ();
}
