/* fuzz-png-import.c: libFuzzer harness for importing a PNG into the library
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input is written as a file and imported with easel_store_import()
 * into a library created once per process. Whatever is imported must
 * export as a PNG again, and that export must import: an accepted record
 * is one Easel could have written. Imported rows are deleted and purged,
 * so the library stays small.
 *
 * Mutations rarely keep a chunk's CRC right, and a bad CRC stops the
 * import before the record is read; so unless the input's size is 3 mod 4,
 * every CRC is recomputed first and the fuzzer reaches the record.
 */

#define G_LOG_DOMAIN "fuzz-png-import"

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <zlib.h>

#include "easel-store.h"
#include "fuzz-common.h"

static EaselStore *store;
static char *tmp_dir;
static char *in_path;
static char *out_path;

static void
rm_rf (const char *path)
{
  g_autoptr(GDir) d = g_dir_open (path, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        rm_rf (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
remove_library (void)
{
  g_clear_object (&store);
  if (tmp_dir != NULL)
    rm_rf (tmp_dir);
}

static void
setup (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *lib = NULL;

  fuzz_make_warnings_fatal ();
  tmp_dir = g_dir_make_tmp ("easel-fuzz-png-import-XXXXXX", &error);
  g_assert_no_error (error);
  lib = g_build_filename (tmp_dir, "library", NULL);
  in_path = g_build_filename (tmp_dir, "in.png", NULL);
  out_path = g_build_filename (tmp_dir, "out.png", NULL);
  store = easel_store_open (lib, &error);
  g_assert_no_error (error);
  atexit (remove_library);
}

static void
forget (gint64 id)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (easel_store_delete (store, id, &error));
  if (easel_store_purge (store, 0, &error) < 0)
    g_error ("Purge failed: %s", error->message);
}

static void
fix_crcs (guint8 *data, gsize size)
{
  gsize pos = 8;

  while (size - pos >= 12)
    {
      guint32 len = ((guint32) data[pos] << 24) | ((guint32) data[pos + 1] << 16) |
                    ((guint32) data[pos + 2] << 8) | data[pos + 3];
      guint32 crc;

      if (len > size - pos - 12)
        return;
      crc = crc32 (0L, data + pos + 4, 4 + len);
      data[pos + 8 + len] = crc >> 24;
      data[pos + 9 + len] = (crc >> 16) & 0xff;
      data[pos + 10 + len] = (crc >> 8) & 0xff;
      data[pos + 11 + len] = crc & 0xff;
      pos += 12 + (gsize) len;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) in = NULL;
  g_autoptr(GFile) out = NULL;
  g_autoptr(EaselGeneration) g = NULL;
  g_autoptr(EaselGeneration) again = NULL;

  if (store == NULL)
    setup ();

  {
    g_autofree guint8 *copy = g_memdup2 (data, size);

    if (size % 4 != 3 && size >= 8)
      fix_crcs (copy, size);
    g_assert_true (g_file_set_contents (in_path, (const char *) copy, size, &error));
  }
  in = g_file_new_for_path (in_path);
  g = easel_store_import (store, in, &error);
  g_assert ((g == NULL) != (error == NULL));
  if (g == NULL)
    {
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      g_assert_true (error->domain == EASEL_STORE_ERROR);
      return 0;
    }

  g_assert_null (g->request_hash);
  g_assert_cmpint (g->id, >, 0);

  out = g_file_new_for_path (out_path);
  if (!easel_store_export (store, g->id, out, EASEL_EXPORT_PNG, -1, &error))
    g_error ("An imported image does not export: %s", error->message);
  again = easel_store_import (store, out, &error);
  if (again == NULL)
    g_error ("An exported image does not import: %s", error->message);

  /* The rows, as the library reads them (a missing prompt is stored as ""). */
  {
    g_autoptr(EaselGeneration) row = easel_store_get_generation (store, g->id, &error);
    g_autoptr(EaselGeneration) row2 = easel_store_get_generation (store, again->id, &error);

    g_assert_nonnull (row);
    g_assert_nonnull (row2);
    g_assert_cmpstr (row2->prompt, ==, row->prompt);
    g_assert_cmpstr (row2->params_json, ==, row->params_json);
    g_assert_cmpint (row2->status, ==, row->status);
  }

  forget (again->id);
  forget (g->id);
  return 0;
}
