/* test-sse.c: the incremental SSE parser
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-sse"

#include "config.h"

#include <string.h>

#include "easel-event.h"
#include "easel-sse.h"
#include "easel-sse-private.h"

/* Events are recorded as "name|data" (name "-" when absent), so sequences
 * compare as string arrays. */
static void
collect_cb (const char *event_name,
            GBytes     *data,
            gpointer    user_data)
{
  GPtrArray *events = user_data;
  gsize len;
  const char *buf = g_bytes_get_data (data, &len);

  /* The buffer is NUL-terminated after its length, as documented. */
  g_assert_true (len == 0 || buf[len] == '\0');
  g_ptr_array_add (events, g_strdup_printf ("%s|%.*s", event_name ? event_name : "-", (int) len, buf));
}

typedef struct
{
  GPtrArray *events;
  gboolean   truncated;
  gboolean   saw_done;
  guint64    n_events;
  guint64    scanned;
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->events, g_ptr_array_unref);
}

/* Feeds @input in chunks of @chunk bytes (0: all at once). */
static void
run_parser (const char *input,
            gsize       len,
            gsize       chunk,
            Run        *run)
{
  g_autoptr(EaselSseParser) parser = NULL;
  gsize off = 0;

  run->events = g_ptr_array_new_with_free_func (g_free);
  parser = easel_sse_parser_new (collect_cb, run->events);

  if (chunk == 0)
    chunk = MAX (len, 1);

  while (off < len)
    {
      gsize n = MIN (chunk, len - off);

      easel_sse_parser_feed (parser, input + off, n);
      off += n;
    }

  run->truncated = easel_sse_parser_finish (parser);
  run->saw_done = easel_sse_parser_saw_done (parser);
  run->n_events = easel_sse_parser_get_n_events (parser);
  run->scanned = easel_sse_parser_get_bytes_scanned (parser);
}

typedef struct
{
  const char *name;
  const char *input;
  const char *expected[6];   /* NULL-terminated */
  gboolean    done;
  gboolean    truncated;
} Case;

static const Case cases[] = {
  { "lf", "event: a\ndata: 1\n\nevent: b\ndata: 2\n\n", { "a|1", "b|2" }, FALSE, FALSE },
  { "crlf", "event: a\r\ndata: 1\r\n\r\ndata: 2\r\n\r\n", { "a|1", "-|2" }, FALSE, FALSE },
  { "cr-only", "event: a\rdata: 1\r\rdata: 2\r\r", { "a|1", "-|2" }, FALSE, FALSE },
  { "mixed-endings", "data: 1\r\n\rdata: 2\n\r\ndata: 3\r\r", { "-|1", "-|2", "-|3" }, FALSE, FALSE },
  { "comments", ": hello\n:\ndata: 1\n: inside\n\n: keep-alive\n\n", { "-|1" }, FALSE, FALSE },
  { "multi-line-data", "data: a\ndata:b\ndata:  c\ndata\n\n", { "-|a\nb\n c\n" }, FALSE, FALSE },
  { "no-space", "event:x\ndata:{\"k\":1}\n\n", { "x|{\"k\":1}" }, FALSE, FALSE },
  { "id-retry-unknown", "id: 7\nretry: 100\nfoo: bar\ndataX: no\nevent: e\ndata: v\nid\n\n", { "e|v" }, FALSE, FALSE },
  { "long-field-name", "datadatadatadatadatadata: x\ndata: y\n\n", { "-|y" }, FALSE, FALSE },
  { "last-event-name-wins", "event: a\nevent: b\ndata: 1\n\ndata: 2\n\n", { "b|1", "-|2" }, FALSE, FALSE },
  { "no-data-not-dispatched", "event: a\n\nid: 1\n\ndata: 1\n\n", { "-|1" }, FALSE, FALSE },
  { "empty-data", "data:\n\ndata\n\n", { "-|", "-|" }, FALSE, FALSE },
  { "bom", "\xEF\xBB\xBF" "data: 1\n\n", { "-|1" }, FALSE, FALSE },
  { "bom-only-at-start", "data: 1\n\n\xEF\xBB\xBF" "data: 2\n\n", { "-|1" }, FALSE, FALSE },
  { "partial-bom", "\xEF\xBB" "data: 1\n\ndata: 2\n\n", { "-|2" }, FALSE, FALSE },
  { "done", "data: 1\n\ndata: [DONE]\n\n", { "-|1" }, TRUE, FALSE },
  { "done-absent", "data: 1\n\n", { "-|1" }, FALSE, FALSE },
  { "done-not-exact", "data: [DONE] \n\ndata: [DONE]x\n\n", { "-|[DONE] ", "-|[DONE]x" }, FALSE, FALSE },
  { "truncated-unterminated-line", "data: 1\n\ndata: 2", { "-|1" }, FALSE, TRUE },
  { "truncated-no-blank-line", "data: 1\n\nevent: x\ndata: 2\n", { "-|1" }, FALSE, TRUE },
  { "not-truncated-comment", "data: 1\n\n: bye", { "-|1" }, FALSE, FALSE },
  { "not-truncated-clean", "data: 1\n\n\n\n", { "-|1" }, FALSE, FALSE },
  { "colon-in-value", "data: a:b: c\n\n", { "-|a:b: c" }, FALSE, FALSE },
  { "empty", "", { NULL }, FALSE, FALSE },
};

static const gsize chunk_sizes[] = { 0, 1, 2, 3, 5, 7, 64 };

static void
test_cases (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const Case *c = &cases[i];
      guint n_expected = g_strv_length ((char **) c->expected);

      for (guint j = 0; j < G_N_ELEMENTS (chunk_sizes); j++)
        {
          Run run = { 0 };

          run_parser (c->input, strlen (c->input), chunk_sizes[j], &run);

          g_assert_cmpuint (run.events->len, ==, n_expected);
          for (guint k = 0; k < n_expected; k++)
            g_assert_cmpstr (g_ptr_array_index (run.events, k), ==, c->expected[k]);
          g_assert_cmpuint (run.n_events, ==, n_expected);
          g_assert_cmpint (run.saw_done, ==, c->done);
          g_assert_cmpint (run.truncated, ==, c->truncated);
          run_clear (&run);
        }
    }
}

/* CRLF split exactly between CR and LF must not read as two line ends
 * (which would dispatch early and break "data: a\r\n data: b"). */
static void
test_split_crlf (void)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(EaselSseParser) parser = easel_sse_parser_new (collect_cb, events);

  easel_sse_parser_feed (parser, "data: a\r", 8);
  easel_sse_parser_feed (parser, "\ndata: b\r", 9);
  g_assert_cmpuint (events->len, ==, 0);
  easel_sse_parser_feed (parser, "\n\r", 2);
  g_assert_cmpuint (events->len, ==, 1);
  easel_sse_parser_feed (parser, "\n", 1);
  easel_sse_parser_feed (parser, "data: c\r\n\r\n", 11);
  g_assert_false (easel_sse_parser_finish (parser));

  g_assert_cmpuint (events->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (events, 0), ==, "-|a\nb");
  g_assert_cmpstr (g_ptr_array_index (events, 1), ==, "-|c");
}

static char *
make_big_line (gsize  payload,
               gsize *len_out)
{
  GString *s = g_string_sized_new (payload + 64);

  g_string_append (s, "event: image_generation.completed\ndata: ");
  for (gsize i = 0; i < payload; i++)
    g_string_append_c (s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[i % 64]);
  g_string_append (s, "\n\n");
  *len_out = s->len;
  return g_string_free (s, FALSE);
}

/* A 4 MB data line in 16 KB chunks: delivered intact, and the work counted by
 * the parser stays a small multiple of the input (no rescans per chunk). */
static void
test_big_line (void)
{
  const gsize payload = 4 * 1024 * 1024;
  static const gsize chunks[] = { 16 * 1024, 1000, 0 };
  gsize len;
  g_autofree char *input = make_big_line (payload, &len);

  for (guint i = 0; i < G_N_ELEMENTS (chunks); i++)
    {
      Run run = { 0 };
      const char *ev;

      run_parser (input, len, chunks[i], &run);
      g_assert_cmpuint (run.events->len, ==, 1);
      ev = g_ptr_array_index (run.events, 0);
      g_assert_true (g_str_has_prefix (ev, "image_generation.completed|ABCD"));
      g_assert_cmpuint (strlen (ev), ==, strlen ("image_generation.completed|") + payload);
      g_assert_false (run.truncated);
      /* One memchr pass per terminator kind, one copy, the colon search. */
      g_assert_cmpuint (run.scanned, <=, 4 * (guint64) len);
      run_clear (&run);
    }
}

/* The same with 1-byte chunks, and the work per input byte must not grow
 * with the input: compare 256 KB and 1 MB lines. Counts, never timing. */
static void
test_linear (void)
{
  static const gsize sizes[] = { 256 * 1024, 1024 * 1024 };
  double per_byte[G_N_ELEMENTS (sizes)];

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      gsize len;
      g_autofree char *input = make_big_line (sizes[i], &len);
      Run run = { 0 };

      run_parser (input, len, 1, &run);
      g_assert_cmpuint (run.events->len, ==, 1);
      g_assert_cmpuint (run.scanned, <=, 4 * (guint64) len);
      per_byte[i] = (double) run.scanned / (double) len;
      run_clear (&run);
    }

  g_assert_cmpfloat (per_byte[1], <=, per_byte[0] * 1.01);

  /* Many short lines in one chunk: the cached searches must not rescan. */
  {
    g_autoptr(GString) s = g_string_new (NULL);
    Run run = { 0 };

    for (guint i = 0; i < 20000; i++)
      g_string_append (s, (i % 2) ? "data: x\r\n\r\n" : "data: y\n\n");
    run_parser (s->str, s->len, 0, &run);
    g_assert_cmpuint (run.events->len, ==, 20000);
    g_assert_cmpuint (run.scanned, <=, 4 * (guint64) s->len);
    run_clear (&run);
  }
}

/* Each transcript gives the same events at every chunk size, and every event
 * parses, with a JSON type equal to the SSE event name. */
static void
check_transcript (const char *path)
{
  static const gsize sizes[] = { 1, 7, 64, 4096 };
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;
  Run ref = { 0 };

  g_test_message ("transcript %s", path);
  g_assert_true (g_file_get_contents (path, &contents, &len, &error));
  g_assert_no_error (error);

  run_parser (contents, len, 0, &ref);
  g_assert_cmpuint (ref.events->len, >, 0);
  g_assert_false (ref.truncated);

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      Run run = { 0 };

      run_parser (contents, len, sizes[i], &run);
      g_assert_cmpuint (run.events->len, ==, ref.events->len);
      for (guint k = 0; k < ref.events->len; k++)
        g_assert_cmpstr (g_ptr_array_index (run.events, k), ==, g_ptr_array_index (ref.events, k));
      g_assert_false (run.truncated);
      run_clear (&run);
    }

  for (guint k = 0; k < ref.events->len; k++)
    {
      const char *ev = g_ptr_array_index (ref.events, k);
      const char *bar = strchr (ev, '|');
      g_autofree char *name = g_strndup (ev, bar - ev);
      g_autoptr(EaselEvent) event = easel_event_parse (bar + 1, strlen (bar + 1), &error);

      g_assert_no_error (error);
      g_assert_nonnull (event);
      g_assert_cmpstr (event->type, ==, name);
      /* content_part events carry nothing we use and stay unknown. */
      if (event->kind == EASEL_EVENT_UNKNOWN)
        g_assert_true (g_str_has_prefix (name, "response.content_part."));
    }

  run_clear (&ref);
}

static guint
check_dir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (d == NULL)
    return 0;

  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".sse"))
      g_ptr_array_add (names, g_build_filename (dir, name, NULL));

  for (guint i = 0; i < names->len; i++)
    check_transcript (g_ptr_array_index (names, i));

  return names->len;
}

static void
test_transcripts_embedded (void)
{
  g_autofree char *dir = g_build_filename (TEST_SRCDIR, "data", "sse", NULL);

  /* The copies must be there: this test does not depend on ../shared. */
  g_assert_cmpuint (check_dir (dir), >=, 6);
}

static void
test_transcripts_shared (void)
{
  const char *shared = g_getenv ("EASEL_SHARED_DIR");
  g_autofree char *dir = NULL;

  if (shared == NULL)
    {
      g_test_skip ("EASEL_SHARED_DIR is not set");
      return;
    }

  dir = g_build_filename (shared, "openai-spec", "transcripts", NULL);
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("no shared transcripts");
      return;
    }

  g_assert_cmpuint (check_dir (dir), >, 0);
}

/* A field name longer than the parser's 16-byte name buffer, split across
 * feed() calls, once pointed past the buffer (UBSan: index 17 out of bounds
 * for char[16]). Byte by byte is the worst split. */
static void
test_long_field_name_split (void)
{
  static const char input[] =
    "a-field-name-much-longer-than-sixteen-bytes: ignored\n"
    "datadatadatadatadata: not data either\n"
    "data: kept\n"
    "\n";
  Run run = { 0 };

  run_parser (input, strlen (input), 1, &run);
  g_assert_cmpuint (run.events->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (run.events, 0), ==, "-|kept");
  g_assert_false (run.truncated);
  run_clear (&run);
}

static void
test_max_event_size (void)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(EaselSseParser) parser = easel_sse_parser_new (collect_cb, events);
  char chunk[1024];

  easel_sse_parser_set_max_event_size (parser, 4096);
  easel_sse_parser_feed (parser, "data: small\n\n", 13);
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_false (easel_sse_parser_is_too_large (parser));

  /* Exactly at the cap is fine. */
  memset (chunk, 'x', sizeof chunk);
  easel_sse_parser_feed (parser, "data:", 5);
  for (guint i = 0; i < 4; i++)
    easel_sse_parser_feed (parser, chunk, sizeof chunk);
  easel_sse_parser_feed (parser, "\n\n", 2);
  g_assert_cmpuint (events->len, ==, 2);
  g_assert_false (easel_sse_parser_is_too_large (parser));

  /* One byte more is not, and nothing is dispatched after it. */
  easel_sse_parser_feed (parser, "data:", 5);
  for (guint i = 0; i < 5; i++)
    easel_sse_parser_feed (parser, chunk, sizeof chunk);
  g_assert_true (easel_sse_parser_is_too_large (parser));
  easel_sse_parser_feed (parser, "\n\ndata: later\n\n", 15);
  g_assert_cmpuint (events->len, ==, 2);

  /* Many empty data lines grow the event by their newlines: capped too. */
  {
    g_autoptr(GPtrArray) more = g_ptr_array_new_with_free_func (g_free);
    g_autoptr(EaselSseParser) p2 = easel_sse_parser_new (collect_cb, more);

    easel_sse_parser_set_max_event_size (p2, 100);
    for (guint i = 0; i < 200; i++)
      easel_sse_parser_feed (p2, "data\n", 5);
    g_assert_true (easel_sse_parser_is_too_large (p2));
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/sse/cases", test_cases);
  g_test_add_func ("/core/sse/split-crlf", test_split_crlf);
  g_test_add_func ("/core/sse/big-line", test_big_line);
  g_test_add_func ("/core/sse/linear", test_linear);
  g_test_add_func ("/core/sse/transcripts-embedded", test_transcripts_embedded);
  g_test_add_func ("/core/sse/transcripts-shared", test_transcripts_shared);
  g_test_add_func ("/core/sse/long-field-name-split", test_long_field_name_split);
  g_test_add_func ("/core/sse/max-event-size", test_max_event_size);

  return g_test_run ();
}
