/* test-event.c: typed stream events, results and usage
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-event"

#include "config.h"

#include <string.h>

#include "easel-error.h"
#include "easel-event.h"
#include "easel-event-private.h"
#include "easel-result.h"
#include "easel-sse.h"

/* 1×1 PNGs from the transcripts: red, green, blue. */
#define PNG_RED   "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
#define PNG_BLUE  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgYPgPAAEDAQAIicLsAAAAAElFTkSuQmCC"

static void
collect_data_cb (const char *event_name,
                 GBytes     *data,
                 gpointer    user_data)
{
  g_ptr_array_add (user_data, g_bytes_ref (data));
}

static GPtrArray *
load_events (const char *name)
{
  g_autofree char *path = g_build_filename (TEST_SRCDIR, "data", "sse", name, NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) datas = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(EaselSseParser) parser = easel_sse_parser_new (collect_data_cb, datas);
  GPtrArray *events = g_ptr_array_new_with_free_func ((GDestroyNotify) easel_event_free);
  gsize len;

  g_assert_true (g_file_get_contents (path, &contents, &len, &error));
  g_assert_no_error (error);

  easel_sse_parser_feed (parser, contents, len);
  g_assert_false (easel_sse_parser_finish (parser));

  for (guint i = 0; i < datas->len; i++)
    {
      gsize n;
      const char *buf = g_bytes_get_data (g_ptr_array_index (datas, i), &n);
      EaselEvent *event = easel_event_parse (buf, n, &error);

      g_assert_no_error (error);
      g_assert_nonnull (event);
      g_ptr_array_add (events, event);
    }

  return events;
}

static EaselEvent *
parse_ok (const char *json)
{
  g_autoptr(GError) error = NULL;
  EaselEvent *event = easel_event_parse (json, strlen (json), &error);

  g_assert_no_error (error);
  g_assert_nonnull (event);
  return event;
}

static void
assert_png (GBytes *bytes)
{
  gsize len;
  const guint8 *data;

  g_assert_nonnull (bytes);
  data = g_bytes_get_data (bytes, &len);
  g_assert_cmpuint (len, >, 8);
  g_assert_cmpmem (data, 4, "\x89PNG", 4);
}

static void
assert_kinds (GPtrArray            *events,
              const EaselEventKind *kinds,
              guint                 n)
{
  g_assert_cmpuint (events->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      EaselEvent *event = g_ptr_array_index (events, i);

      g_test_message ("event %u: %s", i, event->type);
      g_assert_cmpstr (easel_event_kind_to_string (event->kind), ==, easel_event_kind_to_string (kinds[i]));
    }
}

static EaselResult *
fold (GPtrArray *events,
      EaselApi   api)
{
  EaselResult *result = easel_result_new (api);

  for (guint i = 0; i < events->len; i++)
    easel_result_add_event (result, g_ptr_array_index (events, i));

  return result;
}

typedef struct
{
  const char *file;
  const char *partial_type;
  const char *done_type;
  EaselApi    api;
  gint64      total_tokens;
  gint64      input_image_tokens;
} ImagesCase;

static void
test_images_streams (void)
{
  static const ImagesCase cases[] = {
    { "images-generations-stream.sse", "image_generation.partial_image", "image_generation.completed", EASEL_API_IMAGES_GENERATE, 4379, 0 },
    { "images-edits-stream.sse", "image_edit.partial_image", "image_edit.completed", EASEL_API_IMAGES_EDIT, 4758, 388 },
  };
  static const EaselEventKind kinds[] = { EASEL_EVENT_PARTIAL_IMAGE, EASEL_EVENT_PARTIAL_IMAGE, EASEL_EVENT_IMAGE_DONE };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr(GPtrArray) events = load_events (cases[c].file);
      g_autoptr(EaselResult) result = NULL;
      EaselEvent *done;
      EaselImage *image;

      assert_kinds (events, kinds, G_N_ELEMENTS (kinds));
      for (guint i = 0; i < 2; i++)
        {
          EaselEvent *partial = g_ptr_array_index (events, i);

          g_assert_cmpstr (partial->type, ==, cases[c].partial_type);
          g_assert_cmpint (partial->partial_image_index, ==, i);
          assert_png (partial->image);
          g_assert_false (partial->usage.present);
        }

      done = g_ptr_array_index (events, 2);
      g_assert_cmpstr (done->type, ==, cases[c].done_type);
      g_assert_cmpint (done->partial_image_index, ==, -1);
      g_assert_cmpint (done->sequence_number, ==, -1);
      assert_png (done->image);
      g_assert_cmpstr (done->size, ==, "1024x1024");
      g_assert_cmpstr (done->quality, ==, "high");
      g_assert_cmpstr (done->background, ==, "opaque");
      g_assert_cmpstr (done->output_format, ==, "png");
      g_assert_cmpint (done->created_at, ==, 1795330821);
      g_assert_true (done->usage.present);
      g_assert_cmpint (done->usage.total_tokens, ==, cases[c].total_tokens);
      g_assert_cmpint (done->usage.output_tokens, ==, 4360);
      g_assert_cmpint (done->usage.input_image_tokens, ==, cases[c].input_image_tokens);

      result = fold (events, cases[c].api);
      g_assert_cmpuint (result->images->len, ==, 1);
      g_assert_cmpuint (result->n_partials, ==, 2);
      g_assert_cmpint (result->usage.total_tokens, ==, cases[c].total_tokens);
      g_assert_cmpint (result->created, ==, 1795330809);
      image = g_ptr_array_index (result->images, 0);
      g_assert_true (g_bytes_equal (image->bytes, done->image));
      g_assert_cmpstr (image->size, ==, "1024x1024");
      g_assert_null (image->url);
    }
}

static void
test_responses_stream (void)
{
  static const EaselEventKind kinds[] = {
    EASEL_EVENT_RESPONSE_CREATED, EASEL_EVENT_RESPONSE_IN_PROGRESS, EASEL_EVENT_OUTPUT_ITEM_ADDED,
    EASEL_EVENT_IMAGE_CALL_IN_PROGRESS, EASEL_EVENT_IMAGE_CALL_GENERATING,
    EASEL_EVENT_PARTIAL_IMAGE, EASEL_EVENT_PARTIAL_IMAGE, EASEL_EVENT_IMAGE_CALL_COMPLETED,
    EASEL_EVENT_IMAGE_DONE, EASEL_EVENT_OUTPUT_ITEM_ADDED, EASEL_EVENT_UNKNOWN,
    EASEL_EVENT_TEXT_DELTA, EASEL_EVENT_TEXT_DELTA, EASEL_EVENT_TEXT_DELTA, EASEL_EVENT_TEXT_DELTA,
    EASEL_EVENT_TEXT_DELTA, EASEL_EVENT_TEXT_DELTA, EASEL_EVENT_TEXT_DELTA, EASEL_EVENT_TEXT_DELTA,
    EASEL_EVENT_TEXT_DELTA, EASEL_EVENT_TEXT_DONE, EASEL_EVENT_UNKNOWN, EASEL_EVENT_OUTPUT_ITEM_DONE,
    EASEL_EVENT_RESPONSE_COMPLETED,
  };
  g_autoptr(GPtrArray) events = load_events ("responses-image-generation-stream.sse");
  g_autoptr(EaselResult) result = NULL;
  EaselEvent *ev;
  EaselImage *image;

  assert_kinds (events, kinds, G_N_ELEMENTS (kinds));

  for (guint i = 0; i < events->len; i++)
    g_assert_cmpint (((EaselEvent *) g_ptr_array_index (events, i))->sequence_number, ==, i);

  ev = g_ptr_array_index (events, 0);
  g_assert_cmpstr (ev->response_id, ==, "resp_0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071");
  g_assert_false (ev->response_usage.present); /* usage: null */

  ev = g_ptr_array_index (events, 5);
  g_assert_cmpint (ev->partial_image_index, ==, 0);
  g_assert_cmpint (ev->output_index, ==, 0);
  g_assert_cmpstr (ev->item_id, ==, "ig_0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718");
  g_assert_cmpstr (ev->size, ==, "1024x1536");
  assert_png (ev->image);

  ev = g_ptr_array_index (events, 8);
  g_assert_cmpstr (ev->item_id, ==, "ig_0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718");
  g_assert_cmpstr (ev->revised_prompt, ==, "A red fox standing in fresh snow");
  g_assert_cmpstr (ev->action, ==, "generate");
  assert_png (ev->image);

  ev = g_ptr_array_index (events, 23);
  g_assert_true (ev->usage.present);
  g_assert_cmpint (ev->usage.total_tokens, ==, 6496);
  g_assert_cmpint (ev->usage.input_text_tokens, ==, 56);
  g_assert_true (ev->response_usage.present);
  g_assert_cmpint (ev->response_usage.total_tokens, ==, 2358);

  result = fold (events, EASEL_API_RESPONSES);
  g_assert_cmpstr (result->response_id, ==, "resp_0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071");
  g_assert_cmpstr (result->text, ==, "Here is your red fox in the snow.");
  g_assert_cmpuint (result->images->len, ==, 1);
  g_assert_cmpuint (result->n_partials, ==, 2);
  g_assert_cmpint (result->usage.output_tokens, ==, 6440);
  g_assert_cmpint (result->response_usage.input_tokens, ==, 2297);
  g_assert_cmpint (result->created, ==, 1795330800);
  image = g_ptr_array_index (result->images, 0);
  g_assert_cmpstr (image->revised_prompt, ==, "A red fox standing in fresh snow");
  g_assert_cmpstr (image->item_id, ==, "ig_0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718");
  g_assert_cmpstr (image->output_format, ==, "png");
}

static void
test_moderation_blocked (void)
{
  g_autoptr(GPtrArray) events = load_events ("responses-image-moderation-blocked.sse");
  const char * const *categories;
  EaselEvent *ev;

  g_assert_cmpuint (events->len, ==, 7);
  ev = g_ptr_array_index (events, 5);
  g_assert_cmpint (ev->kind, ==, EASEL_EVENT_ERROR);
  g_assert_null (ev->image);
  g_assert_error (ev->error, EASEL_API_ERROR, EASEL_API_ERROR_MODERATION);
  categories = easel_api_error_get_categories (ev->error);
  g_assert_nonnull (categories);
  g_assert_cmpstr (categories[0], ==, "sexual");
  g_assert_cmpstr (easel_api_error_get_moderation_stage (ev->error), ==, "output");
}

static void
test_error_events (void)
{
  static const struct {
    const char *file;
    const char *code;
  } cases[] = {
    { "responses-stream-error-nested.sse", "too_many_requests" },
    { "responses-stream-error-flat.sse", "server_error" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) events = load_events (cases[i].file);
      EaselEvent *ev;

      g_assert_cmpuint (events->len, ==, 3);
      ev = g_ptr_array_index (events, 2);
      g_assert_cmpint (ev->kind, ==, EASEL_EVENT_ERROR);
      g_assert_cmpint (ev->sequence_number, ==, 2);
      g_assert_nonnull (ev->error);
      g_assert_true (ev->error->domain == EASEL_API_ERROR);
      /* Which code a stream error maps to is the error module's call:
       * STREAM, or a specific one it recognises. Never a success. */
      g_assert_true (ev->error->code == EASEL_API_ERROR_STREAM ||
                     ev->error->code == EASEL_API_ERROR_RATE_LIMIT ||
                     ev->error->code == EASEL_API_ERROR_SERVER);
      g_assert_cmpstr (easel_api_error_get_error_code (ev->error), ==, cases[i].code);
      g_assert_cmpstr (ev->error->message, !=, "");
    }
}

/* The done item may still say "generating" while carrying the result. */
static void
test_generating_with_result (void)
{
  g_autoptr(EaselEvent) ev = parse_ok (
    "{\"type\":\"response.output_item.done\",\"output_index\":0,\"sequence_number\":8,"
    "\"item\":{\"id\":\"ig_1\",\"type\":\"image_generation_call\",\"status\":\"generating\","
    "\"result\":\"" PNG_BLUE "\",\"revised_prompt\":null,\"size\":null}}");
  g_autoptr(EaselEvent) pending = parse_ok (
    "{\"type\":\"response.output_item.done\",\"item\":{\"id\":\"ig_2\",\"type\":\"image_generation_call\","
    "\"status\":\"generating\",\"result\":null}}");
  g_autoptr(EaselEvent) failed = parse_ok (
    "{\"type\":\"response.output_item.done\",\"item\":{\"id\":\"ig_3\",\"type\":\"image_generation_call\","
    "\"status\":\"failed\",\"result\":null,\"error\":null}}");

  g_assert_cmpint (ev->kind, ==, EASEL_EVENT_IMAGE_DONE);
  g_assert_cmpstr (ev->status, ==, "generating");
  g_assert_cmpstr (ev->item_id, ==, "ig_1");
  g_assert_null (ev->revised_prompt);
  assert_png (ev->image);

  g_assert_cmpint (pending->kind, ==, EASEL_EVENT_OUTPUT_ITEM_DONE);
  g_assert_null (pending->image);

  g_assert_cmpint (failed->kind, ==, EASEL_EVENT_ERROR);
  g_assert_true (failed->error->domain == EASEL_API_ERROR);
}

static void
test_bad_input (void)
{
  static const struct {
    const char *name;
    const char *json;
  } cases[] = {
    { "not-json", "{\"type\":" },
    { "not-object", "[1,2]" },
    { "string", "\"image_generation.completed\"" },
    { "empty", "" },
    { "bad-char", "{\"type\":\"image_generation.completed\",\"b64_json\":\"iVBORw0KGgo*AAANSUhEUg==\"}" },
    { "bad-length", "{\"type\":\"image_generation.completed\",\"b64_json\":\"iVBORw0KGgoAA\"}" },
    { "inner-padding", "{\"type\":\"image_generation.completed\",\"b64_json\":\"iVBO=w0KGgoAAAAN\"}" },
    { "empty-b64", "{\"type\":\"image_generation.partial_image\",\"b64_json\":\"\"}" },
    { "not-an-image", "{\"type\":\"image_generation.completed\",\"b64_json\":\"aGVsbG8gd29ybGQh\"}" },
    { "missing-b64", "{\"type\":\"image_generation.completed\",\"usage\":null}" },
    { "null-b64", "{\"type\":\"image_edit.partial_image\",\"b64_json\":null}" },
    { "number-b64", "{\"type\":\"response.image_generation_call.partial_image\",\"partial_image_b64\":42}" },
    { "bad-result", "{\"type\":\"response.output_item.done\",\"item\":{\"type\":\"image_generation_call\",\"result\":\"%%%%\"}}" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(EaselEvent) ev = NULL;

      g_test_message ("case %s", cases[i].name);
      ev = easel_event_parse (cases[i].json, strlen (cases[i].json), &error);
      g_assert_null (ev);
      g_assert_error (error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE);
    }
}

static void
test_unknown_and_nulls (void)
{
  static const struct {
    const char *json;
    EaselEventKind kind;
  } cases[] = {
    { "{\"type\":\"response.reasoning_summary_text.delta\",\"delta\":\"x\"}", EASEL_EVENT_UNKNOWN },
    { "{\"type\":null}", EASEL_EVENT_UNKNOWN },
    { "{}", EASEL_EVENT_UNKNOWN },
    { "{\"type\":42,\"sequence_number\":\"x\",\"output_index\":null}", EASEL_EVENT_UNKNOWN },
    { "{\"type\":\"response.created\",\"response\":null}", EASEL_EVENT_RESPONSE_CREATED },
    { "{\"type\":\"response.in_progress\",\"response\":{\"id\":null,\"usage\":null,\"tool_usage\":null}}", EASEL_EVENT_RESPONSE_IN_PROGRESS },
    { "{\"type\":\"response.completed\",\"response\":{\"id\":\"r\",\"usage\":null,\"tool_usage\":{\"image_gen\":null}}}", EASEL_EVENT_RESPONSE_COMPLETED },
    { "{\"type\":\"response.output_item.added\",\"item\":null}", EASEL_EVENT_OUTPUT_ITEM_ADDED },
    { "{\"type\":\"response.output_item.done\",\"item\":null}", EASEL_EVENT_OUTPUT_ITEM_DONE },
    { "{\"type\":\"response.output_text.delta\",\"delta\":null}", EASEL_EVENT_TEXT_DELTA },
    { "{\"type\":\"response.output_text.done\",\"text\":null,\"extra\":{\"nested\":[1,2]}}", EASEL_EVENT_TEXT_DONE },
    { "{\"type\":\"image_generation.completed\",\"b64_json\":\"" PNG_RED "\",\"size\":null,\"quality\":null,\"usage\":null,\"new_field\":true}", EASEL_EVENT_IMAGE_DONE },
    { "{\"type\":\"error\",\"error\":null,\"code\":null,\"message\":null}", EASEL_EVENT_ERROR },
    { "{\"error\":{\"message\":\"boom\",\"code\":\"server_error\"}}", EASEL_EVENT_ERROR },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(EaselEvent) ev = NULL;
      g_autoptr(EaselEvent) copy = NULL;

      g_test_message ("case %u", i);
      ev = parse_ok (cases[i].json);
      g_assert_cmpint (ev->kind, ==, cases[i].kind);
      if (ev->kind == EASEL_EVENT_ERROR)
        g_assert_nonnull (ev->error);
      else
        g_assert_null (ev->error);
      g_assert_false (ev->usage.present);
      g_assert_false (ev->response_usage.present);

      copy = g_boxed_copy (EASEL_TYPE_EVENT, ev);
      g_assert_cmpint (copy->kind, ==, ev->kind);
      g_assert_cmpstr (copy->type, ==, ev->type);
    }
}

static void
test_response_failed (void)
{
  g_autoptr(EaselEvent) failed = parse_ok (
    "{\"type\":\"response.failed\",\"sequence_number\":3,\"response\":{\"id\":\"resp_1\",\"status\":\"failed\","
    "\"error\":{\"code\":\"server_error\",\"message\":\"The model failed.\"},\"usage\":null}}");
  g_autoptr(EaselEvent) incomplete = parse_ok (
    "{\"type\":\"response.incomplete\",\"response\":{\"id\":\"resp_2\",\"status\":\"incomplete\","
    "\"error\":null,\"incomplete_details\":{\"reason\":\"max_output_tokens\"}}}");
  g_autoptr(EaselEvent) moderated = parse_ok (
    "{\"type\":\"response.failed\",\"response\":{\"id\":\"resp_3\",\"status\":\"failed\","
    "\"error\":{\"code\":\"moderation_blocked\",\"message\":\"Rejected.\"}}}");

  g_assert_cmpint (failed->kind, ==, EASEL_EVENT_RESPONSE_FAILED);
  g_assert_cmpstr (failed->response_id, ==, "resp_1");
  g_assert_true (failed->error->domain == EASEL_API_ERROR);
  g_assert_nonnull (strstr (failed->error->message, "The model failed."));

  g_assert_cmpint (incomplete->kind, ==, EASEL_EVENT_RESPONSE_FAILED);
  g_assert_error (incomplete->error, EASEL_API_ERROR, EASEL_API_ERROR_STREAM);
  g_assert_nonnull (strstr (incomplete->error->message, "max_output_tokens"));

  g_assert_error (moderated->error, EASEL_API_ERROR, EASEL_API_ERROR_MODERATION);
}

/* Other signatures are accepted: JPEG, WebP. */
static void
test_image_formats (void)
{
  static const guint8 jpeg[] = { 0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F' };
  static const guint8 webp[] = { 'R', 'I', 'F', 'F', 4, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', ' ' };
  static const struct { const guint8 *data; gsize len; } cases[] = {
    { jpeg, sizeof jpeg },
    { webp, sizeof webp },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *b64 = g_base64_encode (cases[i].data, cases[i].len);
      g_autofree char *json = g_strdup_printf ("{\"type\":\"image_edit.completed\",\"b64_json\":\"%s\"}", b64);
      g_autoptr(EaselEvent) ev = parse_ok (json);

      g_assert_cmpint (ev->kind, ==, EASEL_EVENT_IMAGE_DONE);
      g_assert_cmpmem (g_bytes_get_data (ev->image, NULL), g_bytes_get_size (ev->image),
                       cases[i].data, cases[i].len);
    }
}


static GBytes *
fake_png (gsize len,
          guint seed)
{
  static const guint8 sig[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  guint8 *data = g_malloc (len);
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);

  for (gsize i = 0; i < len; i++)
    data[i] = (guint8) g_rand_int (rand);
  memcpy (data, sig, MIN (len, sizeof sig));
  return g_bytes_new_take (data, len);
}

/* The strict decoder agrees with GLib's on valid input of every padding,
 * and refuses any single corrupted character. */
static void
test_base64_roundtrip (void)
{
  for (gsize len = 8; len < 80; len++)
    {
      g_autoptr(GBytes) png = fake_png (len, (guint) len);
      g_autofree char *b64 = g_base64_encode (g_bytes_get_data (png, NULL), len);
      g_autofree char *json = g_strdup_printf ("{\"type\":\"image_generation.partial_image\",\"b64_json\":\"%s\"}", b64);
      g_autoptr(EaselEvent) ev = parse_ok (json);
      gsize glib_len;
      g_autofree guchar *glib = g_base64_decode (b64, &glib_len);

      g_assert_true (g_bytes_equal (ev->image, png));
      g_assert_cmpmem (glib, glib_len, g_bytes_get_data (ev->image, NULL), g_bytes_get_size (ev->image));

      /* Corrupt one character (never the PNG signature's, which would
       * fail for another reason) with something outside the alphabet. */
      for (gsize pos = 12; pos < strlen (b64); pos += 5)
        {
          g_autofree char *bad = g_strdup (json);
          char *p = strstr (bad, b64) + pos;
          g_autoptr(GError) error = NULL;
          g_autoptr(EaselEvent) bad_ev = NULL;

          if (*p == '=')
            continue;
          /* '=' inside the last quad can be valid padding: use '.' there. */
          *p = (pos % 2 || pos + 4 >= strlen (b64)) ? '.' : '=';
          bad_ev = easel_event_parse (bad, strlen (bad), &error);
          g_assert_null (bad_ev);
          g_assert_error (error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE);
        }
    }
}

/* The check and decode that the single-pass decoder replaced (e98f3cc): the
 * oracle for what must be accepted and what it decodes to. */
static gboolean
reference_decode (const char *in,
                  gsize       len,
                  guint8     *out,
                  gsize      *out_len)
{
  const guchar *s = (const guchar *) in;
  gsize body;
  gint state = 0;
  guint save = 0;

  if (len == 0 || len % 4 != 0)
    return FALSE;

  body = len;
  if (s[len - 1] == '=')
    body -= s[len - 2] == '=' ? 2 : 1;

  for (gsize i = 0; i < body; i++)
    if (!g_ascii_isalnum (s[i]) && s[i] != '+' && s[i] != '/')
      return FALSE;

  *out_len = g_base64_decode_step (in, len, out, &state, &save);
  return TRUE;
}

static void
check_against_reference (const char *in,
                         gsize       len)
{
  guint8 got[64], want[64];
  gsize got_len = 0, want_len = 0;
  gboolean got_ok, want_ok;

  g_assert_cmpuint (len, <=, 64);
  memset (got, 0xAA, sizeof got);
  got_ok = _easel_base64_decode_strict (in, len, got, &got_len);
  want_ok = reference_decode (in, len, want, &want_len);
  if (got_ok != want_ok)
    g_error ("\"%.*s\" (%" G_GSIZE_FORMAT "): decoder says %d, reference %d",
             (int) len, in, len, got_ok, want_ok);
  if (want_ok)
    g_assert_cmpmem (got, got_len, want, want_len);
  /* Nothing written past the decoded length. */
  for (gsize i = got_ok ? got_len : (len / 4) * 3; i < sizeof got; i++)
    g_assert_cmpuint (got[i], ==, 0xAA);
}

/* Fixed cases: the policy spelled out. */
static void
test_base64_strict_cases (void)
{
  static const struct {
    const char *in;
    const char *out;  /* NULL: rejected */
  } cases[] = {
    { "", NULL },
    { "QQ", NULL },                 /* no padding: length not a multiple of 4 */
    { "QUI", NULL },
    { "QQ==", "A" },
    { "QUI=", "AB" },
    { "QUJD", "ABC" },
    { "QUJDRA==", "ABCD" },
    { "QR==", "A" },                /* unused bits set: accepted, as before */
    { "QUJ=", "AB" },
    { "Q===", NULL },
    { "====", NULL },
    { "=QQQ", NULL },
    { "Q=Q=", NULL },
    { "QQ=Q", NULL },
    { "QQ==QUJD", NULL },           /* padding only at the very end */
    { "QUJD====", NULL },
    { "QUJ\n", NULL },              /* no whitespace anywhere */
    { " QUJD", NULL },
    { "QUJD ", NULL },
    { "QU D", NULL },
    { "QUJD\r\nQQ==", NULL },
    { "QU-D", NULL },               /* URL-safe alphabet is not accepted */
    { "QU_D", NULL },
    { "QU.D", NULL },
    { "+/+/", "\xfb\xff\xbf" },
    { "QUFB", "AAA" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gsize len = strlen (cases[i].in);
      guint8 out[16];
      gsize out_len = 0;
      gboolean ok = _easel_base64_decode_strict (cases[i].in, len, out, &out_len);

      g_test_message ("case %u: \"%s\"", i, cases[i].in);
      g_assert_cmpint (ok, ==, cases[i].out != NULL);
      if (ok)
        g_assert_cmpmem (out, out_len, cases[i].out, strlen (cases[i].out));
      check_against_reference (cases[i].in, len);
    }

  /* A NUL inside the buffer is a bad character, not the end. */
  check_against_reference ("QU\0D", 4);
  g_assert_false (_easel_base64_decode_strict ("QU\0D", 4, (guint8[4]) { 0 }, &(gsize) { 0 }));
}

/* Every string of length 0..8 over a small alphabet that has alphabet
 * characters at both ends of the table, '=', whitespace, a bad ASCII
 * character and a high byte; then longer random strings and every byte
 * value in every position of a valid 8-character text. */
static void
test_base64_strict_exhaustive (void)
{
  static const char sym[] = { 'A', 'z', '/', '=', ' ', '\n', '-', (char) 0xC3 };
  char buf[64];
  GRand *rand = g_rand_new_with_seed (14);

  for (gsize len = 0; len <= 8; len++)
    {
      guint64 n = 1;

      for (gsize i = 0; i < len; i++)
        n *= G_N_ELEMENTS (sym);
      for (guint64 k = 0; k < n; k++)
        {
          guint64 v = k;

          for (gsize i = 0; i < len; i++, v /= G_N_ELEMENTS (sym))
            buf[i] = sym[v % G_N_ELEMENTS (sym)];
          check_against_reference (buf, len);
        }
    }

  for (guint round = 0; round < 20000; round++)
    {
      gsize len = g_rand_int_range (rand, 0, 17) * 4 - (round % 7 == 0 ? 1 : 0);
      gsize n_pad = g_rand_int_range (rand, 0, 3);
      g_autofree guchar *raw = NULL;
      g_autofree char *b64 = NULL;

      if (len > 64)
        len = 64;
      for (gsize i = 0; i < len; i++)
        buf[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[g_rand_int_range (rand, 0, 64)];
      for (gsize i = 0; i < n_pad && i < len; i++)
        buf[len - 1 - i] = '=';
      if (round % 3 == 0 && len > 0)
        buf[g_rand_int_range (rand, 0, len)] = (char) g_rand_int_range (rand, 0, 256);
      check_against_reference (buf, len);

      /* Valid text of every decoded length from 0 to 40 bytes. */
      raw = g_malloc (round % 41 + 1);
      for (gsize i = 0; i < round % 41; i++)
        raw[i] = g_rand_int_range (rand, 0, 256);
      b64 = g_base64_encode (raw, round % 41);
      check_against_reference (b64, strlen (b64));
      if (round % 41 > 0)
        {
          guint8 out[64];
          gsize out_len = 0;

          g_assert_true (_easel_base64_decode_strict (b64, strlen (b64), out, &out_len));
          g_assert_cmpmem (out, out_len, raw, round % 41);
        }
    }

  memcpy (buf, "QUJDRA==", 8);
  for (gsize pos = 0; pos < 8; pos++)
    for (guint c = 0; c < 256; c++)
      {
        char saved = buf[pos];

        buf[pos] = (char) c;
        check_against_reference (buf, 8);
        buf[pos] = saved;
      }

  g_rand_free (rand);
}

/* Events over the lifting threshold: images decoded straight from the
 * buffer, long text restored, escapes still handled by json-glib. */
static void
test_big_events (void)
{
  g_autoptr(GBytes) png = fake_png (300 * 1024, 7);
  g_autofree char *b64 = g_base64_encode (g_bytes_get_data (png, NULL), g_bytes_get_size (png));
  g_autofree char *escaped = NULL;
  g_autoptr(GString) long_prompt = g_string_new (NULL);
  g_auto(GStrv) parts = NULL;

  for (guint i = 0; long_prompt->len < 100 * 1024; i++)
    g_string_append_printf (long_prompt, "A fox, number %u, in snow. ", i);

  /* "\/" is a legal JSON escape some encoders use for "/". */
  parts = g_strsplit (b64, "/", -1);
  escaped = g_strjoinv ("\\/", parts);

  {
    g_autofree char *json = g_strdup_printf (
      "{\"type\":\"image_generation.completed\",\"b64_json\":\"%s\",\"size\":\"1024x1024\",\"usage\":{\"total_tokens\":3}}", b64);
    g_autoptr(EaselEvent) ev = parse_ok (json);

    g_assert_cmpint (ev->kind, ==, EASEL_EVENT_IMAGE_DONE);
    g_assert_true (g_bytes_equal (ev->image, png));
    g_assert_cmpstr (ev->size, ==, "1024x1024");
    g_assert_cmpint (ev->usage.total_tokens, ==, 3);
  }

  {
    g_autofree char *json = g_strdup_printf (
      "{\"type\":\"response.image_generation_call.partial_image\",\"partial_image_b64\":\"%s\",\"partial_image_index\":1}", escaped);
    g_autoptr(EaselEvent) ev = parse_ok (json);

    g_assert_true (g_bytes_equal (ev->image, png));
    g_assert_cmpint (ev->partial_image_index, ==, 1);
  }

  {
    /* A long string with an escaped backslash at its very end, then the
     * image: the closing quote must still be found correctly. */
    g_autofree char *json = g_strdup_printf (
      "{\"type\":\"response.output_item.done\",\"note\":\"%s\\\\\\\\\",\"item\":{\"type\":\"image_generation_call\","
      "\"id\":\"ig_big\",\"status\":\"completed\",\"revised_prompt\":\"%s\",\"result\":\"%s\"}}",
      long_prompt->str, long_prompt->str, b64);
    g_autoptr(EaselEvent) ev = parse_ok (json);

    g_assert_cmpint (ev->kind, ==, EASEL_EVENT_IMAGE_DONE);
    g_assert_cmpstr (ev->item_id, ==, "ig_big");
    g_assert_cmpstr (ev->revised_prompt, ==, long_prompt->str);
    g_assert_true (g_bytes_equal (ev->image, png));
  }

  {
    /* Lifted, but invalid: still an error, not garbage. */
    g_autofree char *bad = g_strdup (b64);
    g_autofree char *json = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(EaselEvent) ev = NULL;

    bad[200 * 1024] = '-';
    json = g_strdup_printf ("{\"type\":\"image_edit.completed\",\"b64_json\":\"%s\"}", bad);
    ev = easel_event_parse (json, strlen (json), &error);
    g_assert_null (ev);
    g_assert_error (error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE);
  }

  {
    /* Truncated in the middle of a big string: invalid JSON. */
    g_autofree char *json = g_strdup_printf ("{\"type\":\"image_edit.completed\",\"b64_json\":\"%s", b64);
    g_autoptr(GError) error = NULL;
    g_autoptr(EaselEvent) ev = easel_event_parse (json, strlen (json), &error);

    g_assert_null (ev);
    g_assert_error (error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE);
  }
}

static void
test_result_images_json (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselResult) result = NULL;
  g_autoptr(EaselResult) copy = NULL;
  EaselImage *image;
  const char *body =
    "{\"created\":1795330821,\"background\":\"transparent\",\"output_format\":\"png\",\"quality\":\"low\","
    "\"size\":\"1024x1536\",\"data\":[{\"b64_json\":\"" PNG_RED "\",\"revised_prompt\":\"a red dot\"},"
    "{\"b64_json\":\"" PNG_BLUE "\",\"revised_prompt\":null},null,{\"url\":\"https://example.invalid/x.png\"}],"
    "\"usage\":{\"input_tokens\":50,\"input_tokens_details\":{\"text_tokens\":40,\"image_tokens\":10},"
    "\"output_tokens\":272,\"output_tokens_details\":{\"image_tokens\":260,\"text_tokens\":12},\"total_tokens\":322}}";

  g_assert_true (json_parser_load_from_data (parser, body, -1, &error));
  result = easel_result_new_from_json (EASEL_API_IMAGES_GENERATE, json_parser_get_root (parser), &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);

  g_assert_cmpuint (result->images->len, ==, 3);
  g_assert_cmpint (result->created, ==, 1795330821);
  g_assert_cmpint (result->usage.total_tokens, ==, 322);
  g_assert_cmpint (result->usage.input_image_tokens, ==, 10);
  g_assert_cmpint (result->usage.output_image_tokens, ==, 260);
  g_assert_cmpint (result->usage.output_text_tokens, ==, 12);
  g_assert_false (result->response_usage.present);

  image = g_ptr_array_index (result->images, 0);
  assert_png (image->bytes);
  g_assert_cmpstr (image->revised_prompt, ==, "a red dot");
  g_assert_cmpstr (image->size, ==, "1024x1536");
  g_assert_cmpstr (image->background, ==, "transparent");
  g_assert_cmpstr (image->quality, ==, "low");
  image = g_ptr_array_index (result->images, 2);
  g_assert_null (image->bytes);
  g_assert_cmpstr (image->url, ==, "https://example.invalid/x.png");

  copy = g_boxed_copy (EASEL_TYPE_RESULT, result);
  g_assert_cmpuint (copy->images->len, ==, 3);
  g_assert_true (g_bytes_equal (((EaselImage *) g_ptr_array_index (copy->images, 0))->bytes,
                                ((EaselImage *) g_ptr_array_index (result->images, 0))->bytes));
}

static JsonNode *
completed_response (const char *file)
{
  g_autoptr(GPtrArray) lines = NULL;
  g_autofree char *path = g_build_filename (TEST_SRCDIR, "data", "sse", file, NULL);
  g_autofree char *contents = NULL;
  g_auto(GStrv) split = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  split = g_strsplit (contents, "\n", -1);
  for (guint i = 0; split[i] != NULL; i++)
    {
      if (g_str_has_prefix (split[i], "data: {\"type\":\"response.completed\""))
        {
          JsonObject *root;

          g_assert_true (json_parser_load_from_data (parser, split[i] + 6, -1, NULL));
          root = json_node_get_object (json_parser_get_root (parser));
          return json_node_copy (json_object_get_member (root, "response"));
        }
    }

  g_assert_not_reached ();
  return NULL;
}

static void
test_result_response_json (void)
{
  g_autoptr(JsonNode) node = completed_response ("responses-image-generation-stream.sse");
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselResult) result = easel_result_new_from_json (EASEL_API_RESPONSES, node, &error);
  EaselImage *image;

  g_assert_no_error (error);
  g_assert_cmpstr (result->response_id, ==, "resp_0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071");
  g_assert_cmpstr (result->text, ==, "Here is your red fox in the snow.");
  g_assert_cmpint (result->usage.total_tokens, ==, 6496);
  g_assert_cmpint (result->response_usage.total_tokens, ==, 2358);
  g_assert_cmpuint (result->images->len, ==, 1);
  image = g_ptr_array_index (result->images, 0);
  assert_png (image->bytes);
  g_assert_cmpstr (image->action, ==, "generate");
  g_assert_cmpstr (image->revised_prompt, ==, "A red fox standing in fresh snow");
  g_assert_cmpstr (image->item_id, ==, "ig_0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718");
}

static void
test_result_response_failed_call (void)
{
  g_autoptr(JsonNode) node = completed_response ("responses-image-moderation-blocked.sse");
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselResult) result = easel_result_new_from_json (EASEL_API_RESPONSES, node, &error);

  g_assert_null (result);
  g_assert_error (error, EASEL_API_ERROR, EASEL_API_ERROR_MODERATION);
  g_assert_cmpstr (easel_api_error_get_categories (error)[0], ==, "sexual");
}

static void
test_result_bad_json (void)
{
  static const struct {
    EaselApi api;
    const char *json;
    EaselApiErrorCode code;
  } cases[] = {
    { EASEL_API_IMAGES_GENERATE, "[]", EASEL_API_ERROR_BAD_RESPONSE },
    { EASEL_API_IMAGES_GENERATE, "{\"data\":[]}", EASEL_API_ERROR_BAD_RESPONSE },
    { EASEL_API_IMAGES_GENERATE, "{\"data\":null,\"usage\":null}", EASEL_API_ERROR_BAD_RESPONSE },
    { EASEL_API_IMAGES_EDIT, "{\"data\":[{\"b64_json\":\"not base64!\"}]}", EASEL_API_ERROR_BAD_RESPONSE },
    { EASEL_API_IMAGES_EDIT, "{\"data\":[{\"b64_json\":\"aGVsbG8gd29ybGQh\"}]}", EASEL_API_ERROR_BAD_RESPONSE },
    { EASEL_API_RESPONSES, "{\"output\":[{\"type\":\"image_generation_call\",\"result\":\"@@@@\"}]}", EASEL_API_ERROR_BAD_RESPONSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      g_autoptr(EaselResult) result = NULL;

      g_test_message ("case %u", i);
      g_assert_true (json_parser_load_from_data (parser, cases[i].json, -1, NULL));
      result = easel_result_new_from_json (cases[i].api, json_parser_get_root (parser), &error);
      g_assert_null (result);
      g_assert_error (error, EASEL_API_ERROR, (int) cases[i].code);
    }

  /* A null and a Response that is still running are fine, just empty. */
  {
    g_autoptr(JsonParser) parser = json_parser_new ();
    g_autoptr(GError) error = NULL;
    g_autoptr(EaselResult) result = NULL;

    g_assert_true (json_parser_load_from_data (parser,
      "{\"id\":\"resp_x\",\"status\":\"in_progress\",\"output\":[],\"usage\":null,\"error\":null}", -1, NULL));
    result = easel_result_new_from_json (EASEL_API_RESPONSES, json_parser_get_root (parser), &error);
    g_assert_no_error (error);
    g_assert_cmpuint (result->images->len, ==, 0);
    g_assert_false (result->response_usage.present);
  }
}

static void
test_usage (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  EaselUsage a, b, total = { 0 };

  easel_usage_parse (NULL, &a);
  g_assert_false (a.present);
  g_assert_cmpint (a.total_tokens, ==, 0);

  g_assert_true (json_parser_load_from_data (parser, "{\"input_tokens\":10,\"output_tokens\":5}", -1, NULL));
  easel_usage_parse (json_parser_get_root (parser), &a);
  g_assert_true (a.present);
  g_assert_cmpint (a.total_tokens, ==, 15); /* derived when absent */

  g_assert_true (json_parser_load_from_data (parser,
    "{\"input_tokens\":null,\"output_tokens\":7.0,\"total_tokens\":9,\"input_tokens_details\":null,"
    "\"output_tokens_details\":{\"image_tokens\":-3,\"text_tokens\":\"x\"}}", -1, NULL));
  easel_usage_parse (json_parser_get_root (parser), &b);
  g_assert_true (b.present);
  g_assert_cmpint (b.input_tokens, ==, 0);
  g_assert_cmpint (b.output_tokens, ==, 7);
  g_assert_cmpint (b.total_tokens, ==, 9);
  g_assert_cmpint (b.output_image_tokens, ==, 0);

  easel_usage_add (&total, &a);
  easel_usage_add (&total, &b);
  g_assert_true (total.present);
  g_assert_cmpint (total.total_tokens, ==, 24);
  g_assert_cmpint (total.output_tokens, ==, 12);

  {
    g_autoptr(JsonNode) null_node = json_node_new (JSON_NODE_NULL);

    easel_usage_parse (null_node, &a);
    g_assert_false (a.present);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/event/images-streams", test_images_streams);
  g_test_add_func ("/core/event/responses-stream", test_responses_stream);
  g_test_add_func ("/core/event/moderation-blocked", test_moderation_blocked);
  g_test_add_func ("/core/event/error-nested-and-flat", test_error_events);
  g_test_add_func ("/core/event/generating-with-result", test_generating_with_result);
  g_test_add_func ("/core/event/bad-input", test_bad_input);
  g_test_add_func ("/core/event/unknown-and-nulls", test_unknown_and_nulls);
  g_test_add_func ("/core/event/response-failed", test_response_failed);
  g_test_add_func ("/core/event/image-formats", test_image_formats);
  g_test_add_func ("/core/event/base64-roundtrip", test_base64_roundtrip);
  g_test_add_func ("/core/event/base64-strict-cases", test_base64_strict_cases);
  g_test_add_func ("/core/event/base64-strict-exhaustive", test_base64_strict_exhaustive);
  g_test_add_func ("/core/event/big-events", test_big_events);
  g_test_add_func ("/core/result/images-json", test_result_images_json);
  g_test_add_func ("/core/result/response-json", test_result_response_json);
  g_test_add_func ("/core/result/response-failed-call", test_result_response_failed_call);
  g_test_add_func ("/core/result/bad-json", test_result_bad_json);
  g_test_add_func ("/core/usage/parse-add", test_usage);

  return g_test_run ();
}
