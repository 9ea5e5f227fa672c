/* fuzz-sse-event.c: libFuzzer harness for SSE → event → result
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "fuzz-sse-event"

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "easel-event.h"
#include "easel-result.h"
#include "easel-sse.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

typedef struct
{
  EaselResult *result;
  guint        n_seen;
} Sink;

static void
event_cb (const char *event_name,
          GBytes     *bytes,
          gpointer    user_data)
{
  Sink *sink = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselEvent) event = NULL;
  g_autoptr(EaselEvent) copy = NULL;
  gsize len;
  const char *buf = g_bytes_get_data (bytes, &len);

  sink->n_seen++;
  event = easel_event_parse (buf, len, &error);
  /* Exactly one of event and error. */
  g_assert ((event == NULL) != (error == NULL));
  if (event == NULL)
    return;

  g_assert (event->kind != EASEL_EVENT_ERROR || event->error != NULL);
  g_assert (event->kind != EASEL_EVENT_PARTIAL_IMAGE || event->image != NULL);
  copy = easel_event_copy (event);
  easel_result_add_event (sink->result, copy);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(EaselSseParser) parser = NULL;
  g_autoptr(EaselResult) copy = NULL;
  Sink sink = { 0 };
  size_t off = 0;
  size_t i = 0;

  /* The first byte chooses a chunking pattern, so one input is fed both in
   * odd-sized pieces and whole, covering splits at every boundary. */
  guint8 seed = size > 0 ? data[0] : 0;

  sink.result = easel_result_new (EASEL_API_RESPONSES);
  parser = easel_sse_parser_new (event_cb, &sink);

  while (off < size)
    {
      size_t chunk = seed == 0 ? size : (size_t) ((seed * (i + 1) * 31u) % 97u) + 1;

      chunk = MIN (chunk, size - off);
      easel_sse_parser_feed (parser, (const char *) data + off, chunk);
      off += chunk;
      i++;
    }

  easel_sse_parser_finish (parser);
  g_assert (easel_sse_parser_get_n_events (parser) == sink.n_seen);

  copy = easel_result_copy (sink.result);
  g_assert (copy->images->len == sink.result->images->len);
  easel_result_free (sink.result);

  /* The same bytes as a whole, non-streamed body. */
  {
    g_autoptr(JsonParser) json = json_parser_new ();

    if (json_parser_load_from_data (json, (const char *) data, (gssize) size, NULL))
      {
        static const EaselApi apis[] = { EASEL_API_IMAGES_GENERATE, EASEL_API_RESPONSES };

        for (guint a = 0; a < G_N_ELEMENTS (apis); a++)
          {
            g_autoptr(GError) error = NULL;
            g_autoptr(EaselResult) result = easel_result_new_from_json (apis[a], json_parser_get_root (json), &error);

            g_assert ((result == NULL) != (error == NULL));
          }
      }
  }

  return 0;
}
