/* bench-batch.c: how the batch JSONL writer and the result importer scale
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage: bench-batch [LINES=10000]
 * Against the in-process fake server, in a temporary library: parses and
 * validates LINES prompts, writes the JSONL, submits it, lets the fake
 * clock finish the job and fetches it (download + import of every line,
 * one transaction and one durable image file each). Prints the time of
 * each step and the peak RSS (VmHWM).
 */

#define G_LOG_DOMAIN "bench-batch"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

#include "easel-core.h"
#include "fake-server.h"

static gint64
peak_rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      !(line = strstr (status, "VmHWM:")))
    return -1;
  return g_ascii_strtoll (line + 6, NULL, 10);
}

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static double
ms_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1000.0;
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

int
main (int argc, char *argv[])
{
  guint lines = argc > 1 ? (guint) strtoul (argv[1], NULL, 10) : 10000;
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselFakeServer) server = NULL;
  g_autoptr(EaselClient) client = NULL;
  g_autoptr(EaselStore) store = NULL;
  g_autoptr(EaselLibrary) library = NULL;
  g_autoptr(EaselRequest) defaults = easel_request_new (EASEL_API_IMAGES_GENERATE);
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GBytes) jsonl = NULL;
  g_autoptr(EaselBatchInfo) info = NULL;
  g_autofree EaselBatchFetchStats *stats = NULL;
  g_autofree char *dir = NULL;
  GString *input = g_string_new (NULL);
  gint64 start;
  double usd, full;

  if (lines == 0 || lines > EASEL_BATCH_MAX_LINES)
    {
      fprintf (stderr, "LINES must be 1-%u\n", EASEL_BATCH_MAX_LINES);
      return 2;
    }

  for (guint i = 0; i < lines; i++)
    g_string_append_printf (input, "a product photo of item %u on a plain studio background, soft light\n", i);
  defaults->model = g_strdup ("gpt-image-1");
  defaults->quality = g_strdup ("low");
  defaults->size = g_strdup ("1024x1024");

  start = g_get_monotonic_time ();
  entries = easel_batch_parse_input (input->str, input->len, defaults, &error);
  g_assert_no_error (error);
  printf ("parse + validate %u lines      %9.1f ms\n", lines, ms_since (start));

  start = g_get_monotonic_time ();
  jsonl = easel_batch_build_jsonl (entries, &error);
  g_assert_no_error (error);
  printf ("write JSONL (%6.1f MiB)        %9.1f ms\n",
          g_bytes_get_size (jsonl) / 1048576.0, ms_since (start));
  easel_batch_estimate (entries, &usd, &full, NULL);
  printf ("estimate: $%.2f batch, $%.2f full\n", usd, full);
  printf ("peak RSS after writing        %9" G_GINT64_FORMAT " KiB\n", peak_rss_kib ());

  server = easel_fake_server_new (&error);
  g_assert_no_error (error);
  easel_fake_server_set_image_size (server, 16, 16);
  client = easel_client_new (easel_fake_server_get_base_url (server), "sk-bench");
  dir = g_dir_make_tmp ("easel-bench-batch-XXXXXX", &error);
  g_assert_no_error (error);
  store = easel_store_open (dir, &error);
  g_assert_no_error (error);
  library = easel_library_new_for_store (store);

  start = g_get_monotonic_time ();
  {
    g_autoptr(GAsyncResult) result = NULL;

    easel_batch_submit_async (client, jsonl, NULL, done_cb, &result);
    info = easel_batch_submit_finish (client, wait_result (&result), &error);
    g_assert_no_error (error);
  }
  g_assert_cmpint (easel_store_add_batch (store, info, NULL, NULL, entries, usd, full, &error), >, 0);
  g_assert_no_error (error);
  printf ("upload + create + record       %9.1f ms\n", ms_since (start));

  /* The fake clock: one step per retrieve; the last one runs every line. */
  start = g_get_monotonic_time ();
  {
    g_autofree char *id = NULL;

    id = g_strdup (info->id);
    for (;;)
      {
        g_autoptr(GAsyncResult) result = NULL;
        g_autoptr(EaselBatchInfo) now = NULL;

        easel_batch_retrieve_async (client, id, NULL, done_cb, &result);
        now = easel_batch_retrieve_finish (client, wait_result (&result), &error);
        g_assert_no_error (error);
        g_assert_true (easel_store_update_batch (store, now, &error));
        if (easel_batch_status_is_terminal (now->status))
          break;
      }
    printf ("fake server runs the job       %9.1f ms (not ours)\n", ms_since (start));

    start = g_get_monotonic_time ();
    {
      g_autoptr(GAsyncResult) result = NULL;

      easel_batch_fetch_async (client, library, id, NULL, done_cb, &result);
      stats = easel_batch_fetch_finish (client, wait_result (&result), &error);
      g_assert_no_error (error);
    }
    printf ("fetch: download + import       %9.1f ms  (%u images, %.2f ms per line)\n",
            ms_since (start), stats->n_images, ms_since (start) / lines);
  }
  printf ("peak RSS                       %9" G_GINT64_FORMAT " KiB\n", peak_rss_kib ());

  g_clear_object (&library);
  g_clear_object (&store);
  remove_tree (dir);
  g_string_free (input, TRUE);
  return 0;
}
