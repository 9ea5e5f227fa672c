/* test-text.c: easel_text_escape_untrusted, and bounded local file reads
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-text"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "easel-local-file.h"
#include "easel-text.h"

static void
assert_no_controls (const char *s)
{
  g_assert_true (g_utf8_validate (s, -1, NULL));
  for (const char *p = s; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      g_assert_false (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f));
    }
}

static void
test_escape_controls (void)
{
  struct { const char *in; const char *out; } cases[] = {
    { "plain text, ünïcödé ✓", "plain text, ünïcödé ✓" },
    { "\033[2J\033[Hclear", "\\x1b[2J\\x1b[Hclear" },
    { "\033]0;pwned\007title", "\\x1b]0;pwned\\x07title" },
    { "a\nb\rc\td", "a\\x0ab\\x0dc\\x09d" },
    { "del\177", "del\\x7f" },
    { "c1 \xc2\x9b" "31m csi", "c1 \\u009b31m csi" },
    { "bidi \xe2\x80\xae" "evil", "bidi \\u202eevil" },
    { "bad \xff\xfe utf8", "bad \xef\xbf\xbd\xef\xbf\xbd utf8" },
    { "", "" },
  };

  g_assert_null (easel_text_escape_untrusted (NULL, 10));

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = easel_text_escape_untrusted (cases[i].in, 0);
      g_assert_cmpstr (out, ==, cases[i].out);
      assert_no_controls (out);
    }
}

static void
test_escape_newlines (void)
{
  g_autofree char *kept = easel_text_escape_untrusted_full ("one\ntwo\r\n\033[1A", -1, 0,
                                                            EASEL_TEXT_ESCAPE_KEEP_NEWLINES);
  g_autofree char *nul = easel_text_escape_untrusted_full ("a\0b", 3, 0, EASEL_TEXT_ESCAPE_DEFAULT);

  g_assert_cmpstr (kept, ==, "one\ntwo\\x0d\n\\x1b[1A");
  g_assert_cmpstr (nul, ==, "a\\x00b");
}

static void
test_escape_cap (void)
{
  g_autofree char *big = g_strnfill (900 * 1024, 'x');
  g_autofree char *out = easel_text_escape_untrusted (big, EASEL_TEXT_MAX_SHOWN);
  g_autofree char *expected_tail = g_strdup_printf ("… (%d more characters)", 900 * 1024 - EASEL_TEXT_MAX_SHOWN);
  g_autofree char *one = easel_text_escape_untrusted ("ééé", 2);
  g_autofree char *exact = easel_text_escape_untrusted ("ééé", 3);

  g_assert_true (g_str_has_suffix (out, expected_tail));
  g_assert_cmpuint (strlen (out), ==, EASEL_TEXT_MAX_SHOWN + strlen (expected_tail));
  g_assert_cmpstr (one, ==, "éé… (1 more character)");
  g_assert_cmpstr (exact, ==, "ééé");
}

static char *
temp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("easel-test-text-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
test_local_file_regular (void)
{
  g_autofree char *dir = temp_dir ();
  g_autofree char *path = g_build_filename (dir, "a.bin", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, "0123456789", 10, NULL));

  bytes = easel_local_file_load (file, 10, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, 10);

  g_clear_pointer (&bytes, g_bytes_unref);
  bytes = easel_local_file_load (file, 9, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
  g_assert_null (bytes);

  g_unlink (path);
  g_rmdir (dir);
}

static void
test_local_file_fifo (void)
{
  g_autofree char *dir = temp_dir ();
  g_autofree char *path = g_build_filename (dir, "fifo.png", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (mkfifo (path, 0600), ==, 0);

  /* Without a writer, a blocking open would never return: the test's
   * timeout is the failure. */
  bytes = easel_local_file_load (file, 1024, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE);
  g_assert_null (bytes);

  g_unlink (path);
  g_rmdir (dir);
}

static void
test_local_file_devices (void)
{
  const char *paths[] = { "/dev/zero", "/dev/null", "/" };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(GFile) file = g_file_new_for_path (paths[i]);
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GError) error = NULL;

      if (!g_file_test (paths[i], G_FILE_TEST_EXISTS))
        continue;
      bytes = easel_local_file_load (file, 1024, NULL, &error);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE);
      g_assert_null (bytes);
    }
}

static void
test_local_file_sparse_huge (void)
{
  g_autofree char *dir = temp_dir ();
  g_autofree char *path = g_build_filename (dir, "huge.png", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  /* 3 GB that takes no disk: refused from its size, not read. */
  g_assert_true (g_file_set_contents (path, "", 0, NULL));
  g_assert_cmpint (truncate (path, (off_t) 3 * 1024 * 1024 * 1024), ==, 0);

  bytes = easel_local_file_load (file, EASEL_LOCAL_FILE_MAX_IMAGE_BYTES, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "huge.png"));
  g_assert_null (bytes);

  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/text/escape-controls", test_escape_controls);
  g_test_add_func ("/core/text/escape-newlines", test_escape_newlines);
  g_test_add_func ("/core/text/escape-cap", test_escape_cap);
  g_test_add_func ("/core/local-file/regular", test_local_file_regular);
  g_test_add_func ("/core/local-file/fifo", test_local_file_fifo);
  g_test_add_func ("/core/local-file/devices", test_local_file_devices);
  g_test_add_func ("/core/local-file/sparse-huge", test_local_file_sparse_huge);

  return g_test_run ();
}
