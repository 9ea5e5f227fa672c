/* easel-fake-server.c: the fake OpenAI server as a standalone program
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * For the CLI, UI tests and screenshots: prints its base URL on stdout and
 * serves on 127.0.0.1 until killed.
 */

#define G_LOG_DOMAIN "easel-fake-server"

#include "config.h"

#include <stdio.h>
#include <glib-unix.h>

#include "fake-server.h"

static gboolean
on_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselFakeServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  int port = 0;
  int event_delay_ms = 0;
  int chunk_size = 0;
  int fail_first = 0;
  gboolean verbose = FALSE;
  gboolean pictures = FALSE;
  g_autofree char *image_size = NULL;
  g_autofree char *batch_outcome = NULL;
  int content_abort = -1;
  const GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "Port on 127.0.0.1 (default: any free port)", "PORT" },
    { "event-delay-ms", 0, 0, G_OPTION_ARG_INT, &event_delay_ms, "Delay between SSE events", "MS" },
    { "chunk-size", 0, 0, G_OPTION_ARG_INT, &chunk_size, "Send SSE bodies in chunks of this many bytes", "BYTES" },
    { "fail-first", 0, 0, G_OPTION_ARG_INT, &fail_first, "Answer the first N requests with 429 (retry-after: 1)", "N" },
    { "image-size", 0, 0, G_OPTION_ARG_STRING, &image_size, "Generate images of this size whatever was asked", "WxH" },
    { "batch-outcome", 0, 0, G_OPTION_ARG_STRING, &batch_outcome, "Batches: complete (default), fail, expire or cancel", "OUTCOME" },
    { "batch-content-abort", 0, 0, G_OPTION_ARG_INT, &content_abort, "Drop the first file content download after this many bytes", "BYTES" },
    { "pictures", 0, 0, G_OPTION_ARG_NONE, &pictures, "Paint pictures from the prompt instead of flat colours", NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Log requests on stderr", NULL },
    { NULL }
  };

  context = g_option_context_new ("- a fake OpenAI image API on loopback");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (port < 0 || port > 65535 || event_delay_ms < 0 || chunk_size < 0 || fail_first < 0)
    {
      g_printerr ("Invalid option value\n");
      return 2;
    }

  loop = g_main_loop_new (NULL, FALSE);
  server = easel_fake_server_new_on_port ((guint) port, &error);
  if (server == NULL)
    {
      g_printerr ("Could not listen: %s\n", error->message);
      return 1;
    }

  easel_fake_server_set_event_delay_ms (server, (guint) event_delay_ms);
  easel_fake_server_set_chunk_size (server, (gsize) chunk_size);
  easel_fake_server_set_fail_first (server, (guint) fail_first);
  easel_fake_server_set_verbose (server, verbose);
  if (pictures && !easel_fake_server_set_pictures (server, TRUE))
    {
      g_printerr ("--pictures needs a build with cairo\n");
      return 2;
    }
  if (batch_outcome != NULL && g_strcmp0 (batch_outcome, "complete") != 0)
    {
      if (g_strcmp0 (batch_outcome, "fail") != 0 && g_strcmp0 (batch_outcome, "expire") != 0 &&
          g_strcmp0 (batch_outcome, "cancel") != 0)
        {
          g_printerr ("Invalid --batch-outcome “%s”: complete, fail, expire or cancel\n", batch_outcome);
          return 2;
        }
      easel_fake_server_set_batch_outcome (server, batch_outcome);
    }
  easel_fake_server_set_content_abort (server, content_abort);
  if (image_size != NULL)
    {
      int w = 0, h = 0;

      if (sscanf (image_size, "%dx%d", &w, &h) != 2 || w <= 0 || h <= 0 || w > 8192 || h > 8192)
        {
          g_printerr ("Invalid --image-size “%s”, expected WxH\n", image_size);
          return 2;
        }
      easel_fake_server_set_image_size (server, w, h);
    }

  g_print ("%s\n", easel_fake_server_get_base_url (server));
  fflush (stdout);

  g_unix_signal_add (SIGINT, on_signal, loop);
  g_unix_signal_add (SIGTERM, on_signal, loop);
  g_main_loop_run (loop);

  return 0;
}
