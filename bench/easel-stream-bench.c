/* easel-stream-bench.c: SSE → event → decoded image bytes, through the core
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * easel-stream-bench MODE PORT RUNS SIZE...
 *   MODE client: easel_client_send_async (JSON and base64 in worker threads)
 *   MODE raw:    libsoup + EaselSseParser + easel_event_parse on one thread
 *   MODE decode: no stream; g_base64_decode () of three SIZE MB strings of
 *                random base64 (the server's kind), the floor for the others
 * Prints one JSON line per size with the wall time of each run (request
 * sent → last image decoded), in ms, like sdk-bench.mjs.
 */

#define G_LOG_DOMAIN "easel-bench"

#include "config.h"

#include <libsoup/soup.h>
#include <stdlib.h>
#include <string.h>

#include "easel-client.h"
#include "easel-event.h"
#include "easel-sse.h"

#define READ_CHUNK (64 * 1024)

typedef struct
{
  GMainLoop   *loop;
  guint        n_images;
  guint64      n_bytes;
  GError      *error;
  /* raw mode */
  SoupSession    *session;
  GInputStream   *stream;
  EaselSseParser *parser;
} Run;

static void
count_event (Run              *run,
             const EaselEvent *event)
{
  if (event->image != NULL)
    {
      run->n_images++;
      run->n_bytes += g_bytes_get_size (event->image);
    }
}

/* client mode */

static void
client_event_cb (const EaselEvent *event,
                 gpointer          user_data)
{
  count_event (user_data, event);
}

static void
client_done_cb (GObject      *source,
                GAsyncResult *res,
                gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(EaselResult) result = easel_client_send_finish (EASEL_CLIENT (source), res, &run->error);

  g_main_loop_quit (run->loop);
}

static void
run_client (EaselClient *client,
            Run         *run)
{
  g_autoptr(EaselRequest) request = easel_request_new (EASEL_API_IMAGES_GENERATE);

  request->model = g_strdup ("gpt-image-1.5");
  request->prompt = g_strdup ("bench");
  request->stream = TRUE;
  request->partial_images = 2;

  easel_client_send_async (client, request, client_event_cb, run, NULL, NULL, client_done_cb, run);
  g_main_loop_run (run->loop);
}

/* raw mode */

static void
raw_sse_cb (const char *event_name,
            GBytes     *data,
            gpointer    user_data)
{
  Run *run = user_data;
  g_autoptr(EaselEvent) event = NULL;
  gsize len;
  const char *buf = g_bytes_get_data (data, &len);

  event = easel_event_parse (buf, len, run->error ? NULL : &run->error);
  if (event != NULL)
    count_event (run, event);
}

static void raw_read (Run *run);

static void
raw_read_cb (GObject      *source,
             GAsyncResult *res,
             gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), res, &run->error);

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      easel_sse_parser_finish (run->parser);
      g_main_loop_quit (run->loop);
      return;
    }

  easel_sse_parser_feed (run->parser, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  raw_read (run);
}

static void
raw_read (Run *run)
{
  g_input_stream_read_bytes_async (run->stream, READ_CHUNK, G_PRIORITY_DEFAULT, NULL, raw_read_cb, run);
}

static void
raw_sent_cb (GObject      *source,
             GAsyncResult *res,
             gpointer      user_data)
{
  Run *run = user_data;

  run->stream = soup_session_send_finish (SOUP_SESSION (source), res, &run->error);
  if (run->stream == NULL)
    {
      g_main_loop_quit (run->loop);
      return;
    }
  raw_read (run);
}

static void
run_raw (SoupSession *session,
         const char  *base_url,
         Run         *run)
{
  g_autofree char *url = g_strconcat (base_url, "/images/generations", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  const char *body = "{\"model\":\"gpt-image-1.5\",\"prompt\":\"bench\",\"stream\":true,\"partial_images\":2}";
  g_autoptr(GBytes) bytes = g_bytes_new_static (body, strlen (body));

  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  soup_message_headers_append (soup_message_get_request_headers (msg), "Accept", "text/event-stream");
  run->parser = easel_sse_parser_new (raw_sse_cb, run);
  soup_session_send_async (session, msg, G_PRIORITY_DEFAULT, NULL, raw_sent_cb, run);
  g_main_loop_run (run->loop);
  g_clear_object (&run->stream);
  g_clear_pointer (&run->parser, easel_sse_parser_free);
}

/* decode mode: as server.mjs, base64 of random bytes, SIZE MiB long. */
static int
bare_decode (int    runs,
             int    n_sizes,
             char **sizes)
{
  for (int s = 0; s < n_sizes; s++)
    {
      gsize b64_len = (gsize) (g_ascii_strtod (sizes[s], NULL) * 1024 * 1024) / 4 * 4;
      gsize raw_len = b64_len / 4 * 3;
      g_autofree guchar *raw = g_malloc (raw_len);
      char *b64[3] = { NULL, NULL, NULL };
      g_autoptr(GString) line = g_string_new (NULL);
      guint64 n_bytes = 0;

      for (guint i = 0; i < 3; i++)
        {
          for (gsize j = 0; j < raw_len; j += 4)
            {
              guint32 r = g_random_int ();
              memcpy (raw + j, &r, MIN (4, raw_len - j));
            }
          b64[i] = g_base64_encode (raw, raw_len);
        }

      g_string_append_printf (line, "{\"impl\":\"bare-decode\",\"size_mb\":%s,\"times_ms\":[", sizes[s]);
      for (int i = 0; i <= runs; i++)
        {
          gint64 t0 = g_get_monotonic_time ();
          double ms;

          n_bytes = 0;
          for (guint k = 0; k < 3; k++)
            {
              gsize len = 0;
              g_autofree guchar *out = g_base64_decode (b64[k], &len);

              n_bytes += len;
            }
          ms = (g_get_monotonic_time () - t0) / 1000.0;
          if (i > 0)
            g_string_append_printf (line, "%s%.3f", i > 1 ? "," : "", ms);
        }
      g_string_append_printf (line, "],\"decoded_bytes\":%" G_GUINT64_FORMAT "}", n_bytes);
      g_print ("%s\n", line->str);
      for (guint i = 0; i < 3; i++)
        g_free (b64[i]);
    }
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  const char *mode;
  const char *port;
  int runs;

  if (argc < 5)
    {
      g_printerr ("usage: %s client|raw|decode PORT RUNS SIZE...\n", argv[0]);
      return 2;
    }
  mode = argv[1];
  port = argv[2];
  runs = atoi (argv[3]);

  if (g_str_equal (mode, "decode"))
    return bare_decode (runs, argc - 4, argv + 4);

  for (int s = 4; s < argc; s++)
    {
      g_autofree char *base_url = g_strdup_printf ("http://127.0.0.1:%s/mb/%s/v1", port, argv[s]);
      g_autoptr(EaselClient) client = NULL;
      g_autoptr(SoupSession) session = NULL;
      g_autoptr(GString) line = g_string_new (NULL);
      g_autoptr(GProxyResolver) direct = g_simple_proxy_resolver_new (NULL, NULL);
      guint64 n_bytes = 0;

      if (g_str_equal (mode, "client"))
        client = easel_client_new (base_url, "sk-bench-not-a-key");
      else
        session = soup_session_new_with_options ("proxy-resolver", direct, NULL);

      g_string_append_printf (line, "{\"impl\":\"easel-%s\",\"size_mb\":%s,\"times_ms\":[", mode, argv[s]);

      /* Run 0 is a warm-up (connection, thread pool), not reported. */
      for (int i = 0; i <= runs; i++)
        {
          g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
          Run run = { .loop = loop };
          gint64 t0 = g_get_monotonic_time ();
          double ms;

          if (client != NULL)
            run_client (client, &run);
          else
            run_raw (session, base_url, &run);
          ms = (g_get_monotonic_time () - t0) / 1000.0;

          if (run.error != NULL)
            {
              g_printerr ("%s: %s\n", mode, run.error->message);
              return 1;
            }
          if (run.n_images != 3)
            {
              g_printerr ("%s: expected 3 images, got %u\n", mode, run.n_images);
              return 1;
            }
          n_bytes = run.n_bytes;
          if (i > 0)
            g_string_append_printf (line, "%s%.3f", i > 1 ? "," : "", ms);
        }

      g_string_append_printf (line, "],\"decoded_bytes\":%" G_GUINT64_FORMAT "}", n_bytes);
      g_print ("%s\n", line->str);
    }

  return 0;
}
