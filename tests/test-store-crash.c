/* test-store-crash.c: SIGKILL the writer at random points, the library stays sound
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The same binary is the writer: `test-store-crash --child DIR ROUND` writes
 * 100 generations (image files + rows) as fast as it can. The parent kills
 * it at a random moment, several rounds, reopens the library and checks:
 * PRAGMA integrity_check is ok, every row is sane, every row's file exists
 * and hashes to the row's sha256, and after the sweep no temp file and no
 * unreferenced file is left.
 */

#define G_LOG_DOMAIN "test-store-crash"

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "easel-store.h"

#define N_PER_ROUND 100
#define N_ROUNDS 8

/* Random bytes with a PNG signature, 32-256 KiB: big enough that a kill often
 * lands in the middle of a write. The store never decodes them. */
static GBytes *
random_image (GRand *rand)
{
  gsize len = g_rand_int_range (rand, 32 * 1024, 256 * 1024);
  guint8 *data = g_malloc (len);
  static const guint8 sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

  for (gsize i = 0; i < len; i += 4)
    {
      guint32 r = g_rand_int (rand);
      memcpy (data + i, &r, MIN (4, len - i));
    }
  memcpy (data, sig, sizeof sig);
  return g_bytes_new_take (data, len);
}

static int
child_main (const char *dir, int round)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselStore) store = easel_store_open (dir, &error);
  GRand *rand = g_rand_new_with_seed (getpid ());

  if (store == NULL)
    {
      g_printerr ("child: %s\n", error->message);
      return 1;
    }

  for (int i = 0; i < N_PER_ROUND; i++)
    {
      g_autoptr(EaselGeneration) g = easel_generation_new ();
      g_autoptr(GBytes) image = random_image (rand);

      g->prompt = g_strdup_printf ("crash round %d item %d", round, i);
      g->model = g_strdup ("gpt-image-1");
      g->api = g_strdup ("generate");
      g->format = g_strdup ("png");
      g->estimated_usd = 0.04;
      g->request_hash = g_strdup_printf ("hash-%d-%d", round, i);
      if (easel_store_insert_generation (store, g, image, &error) == 0)
        {
          g_printerr ("child: %s\n", error->message);
          return 1;
        }
    }
  g_rand_free (rand);
  return 0;
}

static void
rm_rf (const char *path)
{
  g_autoptr(GDir) d = g_dir_open (path, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        rm_rf (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

/* Every file under images/: sha256 (from the name) → path; counts temp files. */
static GHashTable *
list_image_files (const char *dir, guint *n_temp)
{
  g_autofree char *images = g_build_filename (dir, "images", NULL);
  g_autoptr(GDir) top = g_dir_open (images, 0, NULL);
  GHashTable *files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const char *sub;

  *n_temp = 0;
  while (top && (sub = g_dir_read_name (top)))
    {
      g_autofree char *subdir = g_build_filename (images, sub, NULL);
      g_autoptr(GDir) d = g_dir_open (subdir, 0, NULL);
      const char *name;

      while (d && (name = g_dir_read_name (d)))
        {
          if (g_str_has_prefix (name, ".tmp-"))
            (*n_temp)++;
          else
            g_hash_table_insert (files, g_strndup (name, strcspn (name, ".")),
                                 g_build_filename (subdir, name, NULL));
        }
    }
  return files;
}

/* Checks the library; returns the number of rows. */
static guint
check_library (const char *dir, gboolean after_maintenance, gboolean after_sweep)
{
  g_autofree char *db_path = g_build_filename (dir, "library.db", NULL);
  g_autoptr(GHashTable) files = NULL;
  g_autoptr(GHashTable) referenced = g_hash_table_new (g_str_hash, g_str_equal);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  guint n_rows = 0, n_temp = 0;
  int rc;

  files = list_image_files (dir, &n_temp);
  /* Temp files of the dead writer are gone once maintenance ran. */
  if (after_maintenance)
    g_assert_cmpuint (n_temp, ==, 0);

  g_assert_cmpint (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "ok");
  sqlite3_finalize (stmt);

  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT id, sha256, path, prompt, status, created, request_hash, "
                                           "estimated_usd, deleted_at FROM generations", -1, &stmt, NULL), ==, SQLITE_OK);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *sha = (const char *) sqlite3_column_text (stmt, 1);
      const char *rel = (const char *) sqlite3_column_text (stmt, 2);
      const char *prompt = (const char *) sqlite3_column_text (stmt, 3);
      g_autofree char *path = NULL;
      g_autofree char *contents = NULL;
      g_autofree char *actual_sha = NULL;
      gsize len;
      int round, item;

      n_rows++;
      g_assert_cmpint (sqlite3_column_int64 (stmt, 0), >, 0);
      g_assert_nonnull (sha);
      g_assert_cmpuint (strlen (sha), ==, 64);
      g_assert_nonnull (rel);
      g_assert_nonnull (prompt);
      g_assert_cmpint (sscanf (prompt, "crash round %d item %d", &round, &item), ==, 2);
      g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 4), ==, "ok");
      g_assert_cmpint (sqlite3_column_int64 (stmt, 5), >, 1600000000);
      g_assert_cmpfloat_with_epsilon (sqlite3_column_double (stmt, 7), 0.04, 1e-9);
      g_assert_cmpint (sqlite3_column_int64 (stmt, 8), ==, 0);

      /* The file exists, complete: its bytes hash to the row's sha256. */
      path = g_build_filename (dir, rel, NULL);
      g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
      actual_sha = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guint8 *) contents, len);
      g_assert_cmpstr (actual_sha, ==, sha);
      g_hash_table_add (referenced, (gpointer) g_hash_table_lookup (files, sha));
    }
  g_assert_cmpint (rc, ==, SQLITE_DONE);
  sqlite3_finalize (stmt);

  /* FTS stays in step with the table. */
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM generations_fts WHERE generations_fts MATCH 'crash'",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, n_rows);
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  if (after_sweep)
    g_assert_cmpuint (g_hash_table_size (files), ==, g_hash_table_size (referenced));

  return n_rows;
}

static void
test_crash (void)
{
  g_autofree char *dir = g_dir_make_tmp ("easel-crash-XXXXXX", NULL);
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  guint previous = 0;
  guint killed_mid_run = 0;

  g_assert_nonnull (self_exe);

  for (int round = 0; round <= N_ROUNDS; round++)
    {
      g_autofree char *round_str = g_strdup_printf ("%d", round);
      char *argv[] = { self_exe, (char *) "--child", dir, round_str, NULL };
      g_autoptr(GError) error = NULL;
      g_autoptr(EaselStore) store = NULL;
      gboolean last = round == N_ROUNDS;
      GPid pid;
      int status;
      guint n;

      g_assert_true (g_spawn_async (NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, &error));
      g_assert_no_error (error);

      if (!last)
        {
          /* Anywhere from during open to well into the loop. */
          g_usleep (g_test_rand_int_range (5, 400) * 1000);
          kill (pid, SIGKILL);
        }
      g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
      if (last)
        {
          /* The final round runs to completion: the writer itself works. */
          g_assert_true (WIFEXITED (status));
          g_assert_cmpint (WEXITSTATUS (status), ==, 0);
        }
      else if (WIFSIGNALED (status))
        killed_mid_run++;

      store = easel_store_open (dir, &error);
      g_assert_no_error (error);
      n = check_library (dir, FALSE, FALSE);
      /* Only the first round's is due; the others force it, as a day
       * passing would. */
      g_assert_true (easel_store_maintain (store, round > 0, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (check_library (dir, TRUE, FALSE), ==, n);
      g_assert_cmpint (easel_store_sweep_orphans (store, 0, &error), >=, 0);
      g_assert_no_error (error);
      g_assert_cmpuint (check_library (dir, TRUE, TRUE), ==, n);
      g_test_message ("round %d: %u rows (+%u)", round, n, n - previous);

      g_assert_cmpuint (n, >=, previous);
      if (last)
        g_assert_cmpuint (n, ==, previous + N_PER_ROUND);
      previous = n;
    }

  g_test_message ("%u of %d writers were killed mid-run", killed_mid_run, N_ROUNDS);
  rm_rf (dir);
}

int
main (int argc, char *argv[])
{
  if (argc == 4 && g_str_equal (argv[1], "--child"))
    return child_main (argv[2], atoi (argv[3]));

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/store/crash/sigkill-writer", test_crash);
  return g_test_run ();
}
