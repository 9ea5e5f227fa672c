/* test-buffer.c: EaselBuffer, the stream buffers of megabytes, and their pool
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "easel-buffer-private.h"

/* A byte pattern that shows a lost or moved chunk. */
static guint8
pattern (gsize i)
{
  return (guint8) ((i * 2654435761u) >> 13);
}

static void
fill_in_pieces (EaselBuffer *buf,
                gsize        total,
                gsize        piece)
{
  g_autofree guint8 *chunk = g_malloc (piece);

  for (gsize off = 0; off < total; off += piece)
    {
      gsize n = MIN (piece, total - off);

      for (gsize i = 0; i < n; i++)
        chunk[i] = pattern (off + i);
      _easel_buffer_append (buf, chunk, n);
    }
}

static void
check_pattern (const guint8 *data,
               gsize         len)
{
  for (gsize i = 0; i < len; i++)
    if (data[i] != pattern (i))
      g_error ("byte %" G_GSIZE_FORMAT " is %u, not %u", i, data[i], pattern (i));
}

/* Growing from the heap into a mapping and on (mremap) keeps every byte;
 * the stolen bytes are NUL-terminated and the buffer is empty after. */
static void
test_buffer_grow (void)
{
  const gsize sizes[] = { 0, 1, 63, 64, EASEL_BUFFER_MAP_MIN - 1, EASEL_BUFFER_MAP_MIN,
                          EASEL_BUFFER_MAP_MIN + 1, 5 * 1024 * 1024 + 17, 9 * 1024 * 1024 };

  for (guint k = 0; k < G_N_ELEMENTS (sizes); k++)
    {
      EaselBuffer buf;
      g_autoptr(GBytes) bytes = NULL;
      const guint8 *data;
      gsize len;

      _easel_buffer_init (&buf);
      /* Odd pieces, like network reads. */
      fill_in_pieces (&buf, sizes[k], 65521);
      g_assert_cmpuint (buf.len, ==, sizes[k]);
      g_assert_true (buf.mapped == (buf.capacity >= EASEL_BUFFER_MAP_MIN) || sizes[k] == 0);

      bytes = _easel_buffer_steal_terminated (&buf);
      g_assert_null (buf.data);
      g_assert_cmpuint (buf.len, ==, 0);
      data = g_bytes_get_data (bytes, &len);
      g_assert_cmpuint (len, ==, sizes[k]);
      check_pattern (data, len);
      g_assert_cmpint (data[len], ==, '\0');
    }
}

/* A reservation written directly (the image decoder's way). */
static void
test_buffer_reserve (void)
{
  EaselBuffer buf;
  guint8 *p;

  _easel_buffer_init (&buf);
  p = _easel_buffer_reserve (&buf, 3 * 1024 * 1024);
  g_assert_nonnull (p);
  g_assert_true (buf.mapped);
  for (gsize i = 0; i < 3 * 1024 * 1024; i++)
    p[i] = pattern (i);
  buf.len = 3 * 1024 * 1024;
  /* Appending after it grows in place or moves, with the contents. */
  _easel_buffer_append (&buf, "x", 1);
  g_assert_cmpuint (buf.len, ==, 3 * 1024 * 1024 + 1);
  check_pattern (buf.data, 3 * 1024 * 1024);
  g_assert_cmpint (buf.data[buf.len - 1], ==, 'x');
  _easel_buffer_clear (&buf);
  g_assert_null (buf.data);
}

static gboolean
quit_when_empty (gpointer user_data)
{
  if (_easel_buffer_pool_get_size () == 0)
    {
      g_main_loop_quit (user_data);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
give_up (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/* While held, a freed mapping is kept and the next large buffer reuses it;
 * after the last release it lingers, then the pool empties itself. */
static void
test_buffer_pool (void)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  EaselBuffer buf;
  GBytes *bytes;
  gconstpointer first;
  guint timeout;

#ifndef HAVE_MREMAP
  g_test_skip ("No mremap: large buffers are plain heap memory");
  return;
#endif

  _easel_buffer_pool_trim ();
  g_assert_cmpuint (_easel_buffer_pool_get_size (), ==, 0);

  /* Not held: a freed mapping is unmapped at once. */
  _easel_buffer_init (&buf);
  fill_in_pieces (&buf, 2 * 1024 * 1024, 65536);
  _easel_buffer_clear (&buf);
  g_assert_cmpuint (_easel_buffer_pool_get_size (), ==, 0);

  _easel_buffer_pool_hold ();

  _easel_buffer_init (&buf);
  fill_in_pieces (&buf, 4 * 1024 * 1024, 65536);
  bytes = _easel_buffer_steal_terminated (&buf);
  first = g_bytes_get_data (bytes, NULL);
  g_bytes_unref (bytes);
  g_assert_cmpuint (_easel_buffer_pool_get_size (), ==, 1);

  /* The next event's buffer is the same memory, with its own contents. */
  _easel_buffer_init (&buf);
  fill_in_pieces (&buf, 3 * 1024 * 1024, 65536);
  g_assert_true (buf.data == first);
  g_assert_cmpuint (_easel_buffer_pool_get_size (), ==, 0);
  check_pattern (buf.data, buf.len);
  _easel_buffer_clear (&buf);
  g_assert_cmpuint (_easel_buffer_pool_get_size (), ==, 1);

  /* A buffer of a known size (a decoded image, which may be kept for long)
   * takes only the pages it needs from a larger pooled mapping. */
  _easel_buffer_init (&buf);
  fill_in_pieces (&buf, 12 * 1024 * 1024, 65536);
  first = buf.data;
  _easel_buffer_clear (&buf);
  g_assert_cmpuint (_easel_buffer_pool_get_size (), ==, 1);
  _easel_buffer_init (&buf);
  _easel_buffer_reserve (&buf, 3 * 1024 * 1024 + 5);
  g_assert_true (buf.data == first);
  g_assert_cmpuint (buf.capacity, >=, 3 * 1024 * 1024 + 5);
  g_assert_cmpuint (buf.capacity, <=, 4 * 1024 * 1024);  /* whole huge pages */
  _easel_buffer_clear (&buf);

  /* At most four are kept. */
  {
    EaselBuffer many[6];

    for (guint i = 0; i < G_N_ELEMENTS (many); i++)
      {
        _easel_buffer_init (&many[i]);
        _easel_buffer_reserve (&many[i], 2 * 1024 * 1024);
      }
    for (guint i = 0; i < G_N_ELEMENTS (many); i++)
      _easel_buffer_clear (&many[i]);
    g_assert_cmpuint (_easel_buffer_pool_get_size (), ==, 4);
  }

  /* The last user lets go: kept for a moment, then emptied. */
  _easel_buffer_pool_release ();
  g_assert_cmpuint (_easel_buffer_pool_get_size (), ==, 4);
  g_timeout_add (20, quit_when_empty, loop);
  timeout = g_timeout_add_seconds (30, give_up, loop);
  g_main_loop_run (loop);
  g_source_remove (timeout);
  g_assert_cmpuint (_easel_buffer_pool_get_size (), ==, 0);

  /* A hold before the moment passes keeps the pool. */
  _easel_buffer_pool_hold ();
  _easel_buffer_init (&buf);
  _easel_buffer_reserve (&buf, 2 * 1024 * 1024);
  _easel_buffer_clear (&buf);
  _easel_buffer_pool_release ();
  _easel_buffer_pool_hold ();
  g_assert_cmpuint (_easel_buffer_pool_get_size (), ==, 1);
  _easel_buffer_pool_release ();
  _easel_buffer_pool_trim ();
  g_assert_cmpuint (_easel_buffer_pool_get_size (), ==, 0);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/buffer/grow", test_buffer_grow);
  g_test_add_func ("/buffer/reserve", test_buffer_reserve);
  g_test_add_func ("/buffer/pool", test_buffer_pool);

  return g_test_run ();
}
