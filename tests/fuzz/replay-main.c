/* replay-main.c: runs a libFuzzer harness over files, without libFuzzer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Linked into a harness in the ordinary build (any compiler, no
 * -fsanitize=fuzzer), so the test suite replays each seed corpus and every
 * crash that was fixed and added to it. Arguments are files or directories
 * (every regular file in them, in name order).
 */

#define G_LOG_DOMAIN "fuzz-replay"

#include "config.h"

#include <glib.h>
#include <stdio.h>

#include "fuzz-common.h"

static int
replay_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, &error))
    {
      g_printerr ("replay: %s\n", error->message);
      return 1;
    }
  g_print ("replay: %s (%" G_GSIZE_FORMAT " bytes)\n", path, len);
  /* A copy of exactly @len bytes, so ASan sees reads past the end. */
  {
    g_autofree guint8 *copy = g_memdup2 (contents, len);

    LLVMFuzzerTestOneInput (copy, len);
  }
  return 0;
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

int
main (int argc, char **argv)
{
  guint n = 0;
  int failed = 0;

  /* As strict as the fuzzing build: a critical or warning fails. */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);

  if (argc < 2)
    {
      g_printerr ("Usage: %s CORPUS-DIR-OR-FILE…\n", argv[0]);
      return 2;
    }

  for (int i = 1; i < argc; i++)
    {
      g_autoptr(GDir) dir = NULL;
      g_autoptr(GPtrArray) names = NULL;
      const char *name;

      if (!g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        {
          failed |= replay_file (argv[i]);
          n++;
          continue;
        }

      dir = g_dir_open (argv[i], 0, NULL);
      names = g_ptr_array_new_with_free_func (g_free);
      while (dir && (name = g_dir_read_name (dir)))
        g_ptr_array_add (names, g_build_filename (argv[i], name, NULL));
      g_ptr_array_sort (names, compare_names);
      for (guint j = 0; j < names->len; j++)
        if (g_file_test (names->pdata[j], G_FILE_TEST_IS_REGULAR))
          {
            failed |= replay_file (names->pdata[j]);
            n++;
          }
    }

  if (n == 0)
    {
      g_printerr ("replay: no inputs\n");
      return 1;
    }
  g_print ("replay: %u inputs\n", n);
  return failed;
}
