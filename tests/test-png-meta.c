/* test-png-meta.c: PNG iTXt chunks round trip
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-png-meta"

#include "config.h"

#include <string.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "easel-png-meta.h"

static GBytes *
make_png (int w, int h, gboolean alpha)
{
  g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, alpha, 8, w, h);
  guint8 *px = gdk_pixbuf_get_pixels (pb);
  int stride = gdk_pixbuf_get_rowstride (pb), n = gdk_pixbuf_get_n_channels (pb);
  g_autoptr(GError) error = NULL;
  char *buf = NULL;
  gsize len = 0;

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        guint8 *p = px + y * stride + x * n;
        p[0] = x * 255 / MAX (w - 1, 1);
        p[1] = y * 255 / MAX (h - 1, 1);
        p[2] = 128;
        if (alpha)
          p[3] = 200;
      }
  g_assert_true (gdk_pixbuf_save_to_buffer (pb, &buf, &len, "png", &error, NULL));
  g_assert_no_error (error);
  return g_bytes_new_take (buf, len);
}

typedef struct
{
  const char *name;
  const char *pairs[9];
} RoundTrip;

static const RoundTrip round_trips[] = {
  { "ascii", { "Description", "a red fox in the snow", "easel:model", "gpt-image-1", NULL } },
  { "utf8", { "easel:prompt", "Ein Fuchs im Schnee – 雪の中の狐 🦊", NULL } },
  { "json", { "easel:record", "{\"version\":1,\"generation\":{\"prompt\":\"x\\\"y\"}}", NULL } },
  { "empty-value", { "Comment", "", "Software", "Easel", NULL } },
  { "newlines", { "easel:params", "line one\nline two\r\n\tthree", NULL } },
};

static void
test_round_trip (gconstpointer data)
{
  const RoundTrip *rt = data;
  g_autoptr(GBytes) png = make_png (32, 24, TRUE);
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GHashTable) meta = NULL;
  g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
  g_autoptr(GError) error = NULL;
  GdkPixbuf *decoded;
  guint n = 0;

  out = easel_png_meta_write (png, rt->pairs, &error);
  g_assert_no_error (error);
  g_assert_nonnull (out);
  g_assert_cmpuint (g_bytes_get_size (out), >, g_bytes_get_size (png));

  meta = easel_png_meta_read (out, &error);
  g_assert_no_error (error);
  for (guint i = 0; rt->pairs[i]; i += 2, n++)
    g_assert_cmpstr (g_hash_table_lookup (meta, rt->pairs[i]), ==, rt->pairs[i + 1]);
  g_assert_cmpuint (g_hash_table_size (meta), ==, n);

  /* Still a valid image, pixels unchanged in size. */
  g_assert_true (gdk_pixbuf_loader_write_bytes (loader, out, &error));
  g_assert_true (gdk_pixbuf_loader_close (loader, &error));
  g_assert_no_error (error);
  decoded = gdk_pixbuf_loader_get_pixbuf (loader);
  g_assert_nonnull (decoded);
  g_assert_cmpint (gdk_pixbuf_get_width (decoded), ==, 32);
  g_assert_cmpint (gdk_pixbuf_get_height (decoded), ==, 24);
}

static void
test_replace (void)
{
  g_autoptr(GBytes) png = make_png (8, 8, FALSE);
  const char *first[] = { "easel:prompt", "old", "Keep", "me", NULL };
  const char *second[] = { "easel:prompt", "new", NULL };
  g_autoptr(GBytes) a = NULL, b = NULL;
  g_autoptr(GHashTable) meta = NULL;
  g_autoptr(GError) error = NULL;

  a = easel_png_meta_write (png, first, &error);
  g_assert_no_error (error);
  b = easel_png_meta_write (a, second, &error);
  g_assert_no_error (error);
  meta = easel_png_meta_read (b, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_hash_table_lookup (meta, "easel:prompt"), ==, "new");
  g_assert_cmpstr (g_hash_table_lookup (meta, "Keep"), ==, "me");
  g_assert_cmpuint (g_hash_table_size (meta), ==, 2);
}

/* A tEXt chunk written by GdkPixbuf itself (Latin-1) is read too. */
static void
test_read_foreign_text (void)
{
  g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 4, 4);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GHashTable) meta = NULL;
  char *buf = NULL;
  gsize len;

  gdk_pixbuf_fill (pb, 0x336699ff);
  g_assert_true (gdk_pixbuf_save_to_buffer (pb, &buf, &len, "png", &error, "tEXt::Title", "caf\xc3\xa9", NULL));
  bytes = g_bytes_new_take (buf, len);
  meta = easel_png_meta_read (bytes, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_hash_table_lookup (meta, "Title"), ==, "caf\xc3\xa9");
}

typedef struct
{
  const char *name;
  int         mangle;   /* 0: not a png, 1: truncate, 2: flip a byte in a chunk */
  int         code;
} BadInput;

static const BadInput bad_inputs[] = {
  { "not-png", 0, EASEL_PNG_META_ERROR_NOT_PNG },
  { "truncated", 1, EASEL_PNG_META_ERROR_CORRUPT },
  { "bad-crc", 2, EASEL_PNG_META_ERROR_CORRUPT },
  /* Not letters: the message must not quote them (it would not be UTF-8). */
  { "bad-chunk-type", 3, EASEL_PNG_META_ERROR_CORRUPT },
};

static void
test_bad_input (gconstpointer data)
{
  const BadInput *bi = data;
  g_autoptr(GBytes) png = make_png (16, 16, FALSE);
  g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (png, NULL), g_bytes_get_size (png));
  gsize len = g_bytes_get_size (png);
  g_autoptr(GBytes) bad = NULL;
  g_autoptr(GHashTable) meta = NULL;
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GError) error = NULL;
  const char *pairs[] = { "k", "v", NULL };

  switch (bi->mangle)
    {
    case 0: copy[1] = 'X'; break;
    case 1: len -= 7; break;
    case 2: copy[8 + 8 + 3] ^= 0x40; break; /* inside IHDR's data */
    case 3: memcpy (copy + 8 + 4, "\xff\xfe" "D\x80", 4); break; /* IHDR's type */
    default: g_assert_not_reached ();
    }
  bad = g_bytes_new (copy, len);

  meta = easel_png_meta_read (bad, &error);
  g_assert_error (error, EASEL_PNG_META_ERROR, bi->code);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_assert_null (meta);
  g_clear_error (&error);
  out = easel_png_meta_write (bad, pairs, &error);
  g_assert_error (error, EASEL_PNG_META_ERROR, bi->code);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_assert_null (out);
}

static void
test_bad_keyword (void)
{
  g_autoptr(GBytes) png = make_png (4, 4, FALSE);
  const char *pairs[] = { "", "x", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) out = easel_png_meta_write (png, pairs, &error);

  g_assert_error (error, EASEL_PNG_META_ERROR, EASEL_PNG_META_ERROR_INVALID);
  g_assert_null (out);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (round_trips); i++)
    {
      g_autofree char *path = g_strdup_printf ("/core/png-meta/round-trip/%s", round_trips[i].name);
      g_test_add_data_func (path, &round_trips[i], test_round_trip);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad_inputs); i++)
    {
      g_autofree char *path = g_strdup_printf ("/core/png-meta/bad-input/%s", bad_inputs[i].name);
      g_test_add_data_func (path, &bad_inputs[i], test_bad_input);
    }
  g_test_add_func ("/core/png-meta/replace", test_replace);
  g_test_add_func ("/core/png-meta/read-foreign-text", test_read_foreign_text);
  g_test_add_func ("/core/png-meta/bad-keyword", test_bad_keyword);

  return g_test_run ();
}
