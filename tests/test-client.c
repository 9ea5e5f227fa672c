/* test-client.c: EaselClient against the in-process fake OpenAI server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-client"

#include "config.h"

#include <string.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "easel-core.h"
#include "easel-client-private.h"
#include "fake-server.h"

#define TEST_KEY "sk-test-0123456789abcdefABCDEF"

static GThread *main_thread;

/* ------------------------------------------------------------------------ */
/* Fixtures and helpers */

typedef struct
{
  EaselFakeServer *server;
  EaselClient     *client;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  EaselRetryPolicy policy = { .max_retries = 3, .initial_delay_ms = 5, .max_delay_ms = 20 };

  f->server = easel_fake_server_new (&error);
  g_assert_no_error (error);
  easel_fake_server_set_image_size (f->server, 16, 16);
  f->client = easel_client_new (easel_fake_server_get_base_url (f->server), TEST_KEY);
  easel_client_set_retry_policy (f->client, &policy);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->client);
  g_clear_pointer (&f->server, easel_fake_server_free);
  /* Let libsoup finish closing sockets. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

typedef struct
{
  EaselResult  *result;
  GError       *error;
  GPtrArray    *events;
  gboolean      done;
  guint         n_events_after_done;
  gboolean      off_main_thread;
  GCancellable *cancellable;
  guint         cancel_after;
  guint         n_retrying;
  gint64        last_delay;
  guint         last_attempt;
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->result, easel_result_free);
  g_clear_error (&run->error);
  g_clear_pointer (&run->events, g_ptr_array_unref);
  g_clear_object (&run->cancellable);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static void
on_event (const EaselEvent *event,
          gpointer          user_data)
{
  Run *run = user_data;

  if (g_thread_self () != main_thread)
    run->off_main_thread = TRUE;
  if (run->done)
    run->n_events_after_done++;
  g_ptr_array_add (run->events, easel_event_copy (event));
  if (run->cancel_after > 0 && run->events->len == run->cancel_after)
    g_cancellable_cancel (run->cancellable);
}

static void
on_retrying (EaselClient *client,
             guint        attempt,
             gint64       delay_ms,
             GError      *why,
             gpointer     user_data)
{
  Run *run = user_data;

  g_assert_nonnull (why);
  g_assert_null (strstr (why->message, TEST_KEY));
  run->n_retrying++;
  run->last_delay = delay_ms;
  run->last_attempt = attempt;
}

static void
on_sent (GObject      *source,
         GAsyncResult *res,
         gpointer      user_data)
{
  Run *run = user_data;

  run->result = easel_client_send_finish (EASEL_CLIENT (source), res, &run->error);
  run->done = TRUE;
}

static gboolean
on_settle (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Sends @request and spins until it completes, then a little longer so a
 * stray late event would be caught. */
static void
run_request (Fixture            *f,
             const EaselRequest *request,
             Run                *run)
{
  gboolean settled = FALSE;
  gulong id;

  if (run->events == NULL)
    run->events = g_ptr_array_new_with_free_func ((GDestroyNotify) easel_event_free);
  if (run->cancellable == NULL)
    run->cancellable = g_cancellable_new ();

  id = g_signal_connect (f->client, "retrying", G_CALLBACK (on_retrying), run);
  easel_client_send_async (f->client, request, on_event, run, NULL, run->cancellable, on_sent, run);
  while (!run->done)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handler_disconnect (f->client, id);

  g_timeout_add (50, on_settle, &settled);
  while (!settled)
    g_main_context_iteration (NULL, TRUE);

  g_assert_false (run->off_main_thread);
  g_assert_cmpuint (run->n_events_after_done, ==, 0);
  g_assert_true ((run->result != NULL) != (run->error != NULL));
  if (run->error != NULL)
    g_assert_null (strstr (run->error->message, TEST_KEY));
}

static char *
find_transcript (const char *name)
{
  const char *shared = g_getenv ("EASEL_SHARED_DIR");
  g_autofree char *local = g_build_filename (TEST_SRCDIR, "data", "sse", name, NULL);
  g_autofree char *remote = NULL;

  if (g_file_test (local, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&local);
  if (shared != NULL)
    {
      remote = g_build_filename (shared, "openai-spec", "transcripts", name, NULL);
      if (g_file_test (remote, G_FILE_TEST_EXISTS))
        return g_steal_pointer (&remote);
    }
  return NULL;
}

/* Loads a transcript reply, or skips the test. */
static EaselFakeReply *
transcript_reply (const char *name)
{
  g_autofree char *path = find_transcript (name);
  g_autoptr(GError) error = NULL;
  EaselFakeReply *reply;

  if (path == NULL)
    {
      g_autofree char *msg = g_strdup_printf ("transcript %s not found (set EASEL_SHARED_DIR)", name);
      g_test_skip (msg);
      return NULL;
    }
  reply = easel_fake_reply_new_from_file (path, &error);
  g_assert_no_error (error);
  return reply;
}

static GBytes *
make_png (int      width,
          int      height,
          gboolean alpha)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, alpha, 8, width, height);
  g_autoptr(GError) error = NULL;
  char *buffer = NULL;
  gsize len = 0;

  gdk_pixbuf_fill (pixbuf, alpha ? 0x00000000 : 0x336699ff);
  gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &len, "png", &error, NULL);
  g_assert_no_error (error);
  return g_bytes_new_take (buffer, len);
}

static EaselRequest *
generation_request (gboolean stream)
{
  EaselRequest *request = easel_request_new (EASEL_API_IMAGES_GENERATE);

  request->model = g_strdup ("gpt-image-1.5");
  request->prompt = g_strdup ("A red fox in fresh snow");
  request->size = g_strdup ("1024x1024");
  request->quality = g_strdup ("high");
  request->output_format = g_strdup ("png");
  request->stream = stream;
  if (stream)
    request->partial_images = 2;
  return request;
}

static EaselRequest *
responses_request (gboolean stream)
{
  EaselRequest *request = easel_request_new (EASEL_API_RESPONSES);

  request->responses_model = g_strdup ("gpt-4.1");
  request->model = g_strdup ("gpt-image-1.5");
  request->prompt = g_strdup ("Draw a red fox in the snow");
  request->stream = stream;
  if (stream)
    request->partial_images = 2;
  return request;
}

static void
assert_kinds (GPtrArray            *events,
              const EaselEventKind *kinds,
              guint                 n_kinds)
{
  g_assert_cmpuint (events->len, ==, n_kinds);
  for (guint i = 0; i < n_kinds; i++)
    {
      const EaselEvent *ev = g_ptr_array_index (events, i);
      g_assert_cmpstr (easel_event_kind_to_string (ev->kind), ==, easel_event_kind_to_string (kinds[i]));
    }
}

/* ------------------------------------------------------------------------ */
/* Streams replayed from the transcripts in awkward chunk sizes */

static const gsize chunk_sizes[] = { 1, 3, 17, 4096 };

static void
test_generation_stream (Fixture       *f,
                        gconstpointer  data)
{
  static const EaselEventKind kinds[] = {
    EASEL_EVENT_PARTIAL_IMAGE, EASEL_EVENT_PARTIAL_IMAGE, EASEL_EVENT_IMAGE_DONE,
  };

  for (guint c = 0; c < G_N_ELEMENTS (chunk_sizes); c++)
    {
      g_autoptr(EaselRequest) request = generation_request (TRUE);
      g_auto(Run) run = { 0 };
      EaselFakeReply *reply = transcript_reply ("images-generations-stream.sse");
      const EaselImage *image;
      const EaselEvent *ev;

      if (reply == NULL)
        return;
      easel_fake_reply_set_chunking (reply, chunk_sizes[c], 0);
      easel_fake_server_queue_reply (f->server, "/v1/images/generations", reply);

      run_request (f, request, &run);
      g_assert_no_error (run.error);
      assert_kinds (run.events, kinds, G_N_ELEMENTS (kinds));
      ev = g_ptr_array_index (run.events, 0);
      g_assert_cmpint (ev->partial_image_index, ==, 0);
      g_assert_nonnull (ev->image);
      ev = g_ptr_array_index (run.events, 1);
      g_assert_cmpint (ev->partial_image_index, ==, 1);

      g_assert_cmpuint (run.result->images->len, ==, 1);
      g_assert_cmpuint (run.result->n_partials, ==, 2);
      image = g_ptr_array_index (run.result->images, 0);
      g_assert_nonnull (image->bytes);
      g_assert_cmpuint (g_bytes_get_size (image->bytes), >, 8);
      g_assert_cmpmem (g_bytes_get_data (image->bytes, NULL), 4, "\x89PNG", 4);
      g_assert_true (run.result->usage.present);
      g_assert_cmpint (run.result->usage.total_tokens, ==, 4379);
      g_assert_cmpint (run.result->usage.output_tokens, ==, 4360);
      g_assert_nonnull (run.result->request_id);
      g_assert_true (g_str_has_prefix (run.result->request_id, "req_"));
    }

  /* JSON and base64 were handled off the main thread. */
  g_assert_nonnull (_easel_client_get_last_parse_thread ());
  g_assert_true (_easel_client_get_last_parse_thread () != main_thread);
  g_assert_cmpuint (_easel_client_get_n_main_thread_parses (), ==, 0);
}

static void
test_edit_stream_multipart (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(EaselRequest) request = easel_request_new (EASEL_API_IMAGES_EDIT);
  g_autoptr(GBytes) png1 = make_png (32, 32, FALSE);
  g_autoptr(GBytes) png2 = make_png (32, 32, FALSE);
  g_autoptr(GBytes) mask = make_png (32, 32, TRUE);
  g_autoptr(GPtrArray) parts = NULL;
  g_auto(Run) run = { 0 };
  const EaselFakeRequest *req;
  EaselFakeReply *reply = transcript_reply ("images-edits-stream.sse");
  EaselFakePart *part;

  if (reply == NULL)
    return;
  easel_fake_reply_set_chunking (reply, 17, 0);
  easel_fake_server_queue_reply (f->server, "/v1/images/edits", reply);

  request->model = g_strdup ("gpt-image-1.5");
  request->prompt = g_strdup ("Put the two together");
  request->input_fidelity = g_strdup ("high");
  request->stream = TRUE;
  request->partial_images = 2;
  easel_request_add_image (request, easel_input_image_new_bytes (png1, "one.png", "image/png"));
  easel_request_add_image (request, easel_input_image_new_bytes (png2, "two.png", "image/png"));
  easel_request_set_mask (request, easel_input_image_new_bytes (mask, "mask.png", "image/png"));

  run_request (f, request, &run);
  g_assert_no_error (run.error);
  g_assert_cmpuint (run.result->images->len, ==, 1);
  g_assert_cmpuint (run.result->n_partials, ==, 2);
  g_assert_cmpint (run.result->usage.input_image_tokens, ==, 388);

  req = easel_fake_server_get_last_request (f->server);
  g_assert_cmpstr (req->path, ==, "/v1/images/edits");
  g_assert_cmpstr (req->content_type, ==, "multipart/form-data");
  g_assert_cmpstr (easel_fake_request_get_header (req, "Accept"), ==, "text/event-stream");
  parts = easel_fake_request_parse_multipart (req);
  g_assert_nonnull (parts);
  g_assert_cmpuint (easel_fake_parts_count (parts, "image[]"), ==, 2);
  part = easel_fake_parts_find (parts, "image[]");
  g_assert_cmpstr (part->filename, ==, "one.png");
  g_assert_cmpstr (part->content_type, ==, "image/png");
  g_assert_true (g_bytes_equal (part->data, png1));
  part = easel_fake_parts_find (parts, "mask");
  g_assert_nonnull (part);
  g_assert_true (g_bytes_equal (part->data, mask));
  part = easel_fake_parts_find (parts, "prompt");
  g_assert_nonnull (part);
  g_assert_cmpmem (g_bytes_get_data (part->data, NULL), g_bytes_get_size (part->data),
                   "Put the two together", strlen ("Put the two together"));
  part = easel_fake_parts_find (parts, "input_fidelity");
  g_assert_nonnull (part);
  g_assert_cmpmem (g_bytes_get_data (part->data, NULL), g_bytes_get_size (part->data), "high", 4);
  part = easel_fake_parts_find (parts, "stream");
  g_assert_nonnull (part);
  g_assert_cmpmem (g_bytes_get_data (part->data, NULL), g_bytes_get_size (part->data), "true", 4);
  g_assert_nonnull (easel_fake_parts_find (parts, "model"));
  g_assert_nonnull (easel_fake_parts_find (parts, "partial_images"));
}

static void
test_responses_stream (Fixture       *f,
                       gconstpointer  data)
{
  for (guint c = 0; c < G_N_ELEMENTS (chunk_sizes); c++)
    {
      g_autoptr(EaselRequest) request = responses_request (TRUE);
      g_auto(Run) run = { 0 };
      EaselFakeReply *reply = transcript_reply ("responses-image-generation-stream.sse");
      const EaselImage *image;
      guint n_partials = 0, n_deltas = 0;
      gint64 last_seq = -1;

      if (reply == NULL)
        return;
      easel_fake_reply_set_chunking (reply, chunk_sizes[c], 0);
      easel_fake_server_queue_reply (f->server, "/v1/responses", reply);

      run_request (f, request, &run);
      g_assert_no_error (run.error);

      for (guint i = 0; i < run.events->len; i++)
        {
          const EaselEvent *ev = g_ptr_array_index (run.events, i);

          /* Delivered in stream order. */
          g_assert_cmpint (ev->sequence_number, >, last_seq);
          last_seq = ev->sequence_number;
          if (ev->kind == EASEL_EVENT_PARTIAL_IMAGE)
            n_partials++;
          if (ev->kind == EASEL_EVENT_TEXT_DELTA)
            n_deltas++;
        }
      g_assert_cmpuint (n_partials, ==, 2);
      g_assert_cmpuint (n_deltas, ==, 9);
      g_assert_cmpint (last_seq, ==, 23);

      g_assert_cmpstr (run.result->response_id, ==, "resp_0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071");
      g_assert_cmpuint (run.result->images->len, ==, 1);
      image = g_ptr_array_index (run.result->images, 0);
      g_assert_cmpstr (image->item_id, ==, "ig_0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718");
      g_assert_cmpstr (image->revised_prompt, ==, "A red fox standing in fresh snow");
      g_assert_nonnull (image->bytes);
      g_assert_cmpstr (run.result->text, ==, "Here is your red fox in the snow.");
      g_assert_cmpint (run.result->usage.total_tokens, ==, 6496);
      g_assert_cmpint (run.result->response_usage.total_tokens, ==, 2358);
    }
}

static void
test_responses_body (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(EaselRequest) request = responses_request (FALSE);
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;
  g_auto(Run) run = { 0 };
  const EaselFakeRequest *req;
  JsonObject *obj;

  request->previous_response_id = g_strdup ("resp_previous123");
  g_ptr_array_add (request->image_call_refs, g_strdup ("ig_earlier456"));

  /* The smart default answers; a second call gives a new id. */
  run_request (f, request, &run);
  g_assert_no_error (run.error);
  g_assert_true (g_str_has_prefix (run.result->response_id, "resp_"));
  g_assert_cmpuint (run.result->images->len, ==, 1);
  g_assert_true (g_str_has_prefix (((EaselImage *) g_ptr_array_index (run.result->images, 0))->item_id, "ig_"));
  g_assert_nonnull (run.result->text);

  req = easel_fake_server_get_last_request (f->server);
  g_assert_cmpstr (req->path, ==, "/v1/responses");
  g_assert_cmpstr (req->content_type, ==, "application/json");
  root = easel_fake_request_parse_json (req);
  g_assert_nonnull (root);
  obj = json_node_get_object (root);
  g_assert_cmpstr (json_object_get_string_member (obj, "previous_response_id"), ==, "resp_previous123");
  g_assert_cmpstr (json_object_get_string_member (obj, "model"), ==, "gpt-4.1");
  json = json_to_string (json_object_get_member (obj, "input"), FALSE);
  g_assert_nonnull (strstr (json, "\"item_reference\""));
  g_assert_nonnull (strstr (json, "\"ig_earlier456\""));
  g_free (g_steal_pointer (&json));
  json = json_to_string (json_object_get_member (obj, "tools"), FALSE);
  g_assert_nonnull (strstr (json, "\"image_generation\""));
}

static void
test_smart_default_streams (Fixture       *f,
                            gconstpointer  data)
{
  /* Both APIs through the fake server's generated streams, twice: ids change. */
  g_autofree char *first_id = NULL;

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(EaselRequest) gen = generation_request (TRUE);
      g_autoptr(EaselRequest) resp = responses_request (TRUE);
      g_auto(Run) run1 = { 0 };
      g_auto(Run) run2 = { 0 };
      g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
      g_autoptr(GError) error = NULL;
      const EaselImage *image;

      easel_fake_server_set_chunk_size (f->server, 100);
      run_request (f, gen, &run1);
      g_assert_no_error (run1.error);
      g_assert_cmpuint (run1.result->n_partials, ==, 2);
      g_assert_cmpuint (run1.result->images->len, ==, 1);
      image = g_ptr_array_index (run1.result->images, 0);
      gdk_pixbuf_loader_write_bytes (loader, image->bytes, &error);
      g_assert_no_error (error);
      gdk_pixbuf_loader_close (loader, &error);
      g_assert_no_error (error);
      g_assert_cmpint (gdk_pixbuf_get_width (gdk_pixbuf_loader_get_pixbuf (loader)), ==, 16);
      g_assert_true (run1.result->usage.present);

      run_request (f, resp, &run2);
      g_assert_no_error (run2.error);
      g_assert_cmpuint (run2.result->n_partials, ==, 2);
      g_assert_cmpuint (run2.result->images->len, ==, 1);
      g_assert_nonnull (((EaselImage *) g_ptr_array_index (run2.result->images, 0))->revised_prompt);
      g_assert_true (g_str_has_prefix (run2.result->response_id, "resp_"));
      if (first_id == NULL)
        first_id = g_strdup (run2.result->response_id);
      else
        g_assert_cmpstr (first_id, !=, run2.result->response_id);
    }
}

static void
test_nonstream_generation (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(EaselRequest) request = generation_request (FALSE);
  g_auto(Run) run = { 0 };
  const EaselFakeRequest *req;
  g_autoptr(JsonNode) root = NULL;

  request->n = 2;
  run_request (f, request, &run);
  g_assert_no_error (run.error);
  g_assert_cmpuint (run.result->images->len, ==, 2);
  g_assert_cmpuint (run.events->len, ==, 0);
  g_assert_true (run.result->usage.present);
  g_assert_nonnull (run.result->request_id);

  req = easel_fake_server_get_last_request (f->server);
  g_assert_cmpstr (easel_fake_request_get_header (req, "Accept"), ==, "application/json");
  root = easel_fake_request_parse_json (req);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (root), "n"), ==, 2);
  g_assert_false (json_object_has_member (json_node_get_object (root), "partial_images"));
  g_assert_cmpuint (_easel_client_get_n_main_thread_parses (), ==, 0);
}

static void
test_headers (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(EaselRequest) request = generation_request (TRUE);
  g_auto(Run) run = { 0 };
  const EaselFakeRequest *req;

  easel_client_set_organization (f->client, "org-test123");
  run_request (f, request, &run);
  g_assert_no_error (run.error);

  req = easel_fake_server_get_last_request (f->server);
  g_assert_cmpstr (req->method, ==, "POST");
  g_assert_cmpstr (easel_fake_request_get_header (req, "Authorization"), ==, "Bearer " TEST_KEY);
  g_assert_cmpstr (easel_fake_request_get_header (req, "OpenAI-Organization"), ==, "org-test123");
  g_assert_cmpstr (easel_fake_request_get_header (req, "Accept"), ==, "text/event-stream");
  g_assert_cmpstr (req->content_type, ==, "application/json");
  g_assert_true (g_str_has_prefix (easel_fake_request_get_header (req, "User-Agent"), "Easel/"));
}

/* ------------------------------------------------------------------------ */
/* Retries */

static void
test_retry_429 (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(EaselRequest) request = generation_request (TRUE);
  g_auto(Run) run = { 0 };
  EaselFakeReply *reply = easel_fake_reply_new_error (429, "tokens", "rate_limit_exceeded",
                                                      "Rate limit reached. Please try again in 1.482s.");

  easel_fake_reply_add_header (reply, "retry-after-ms", "30");
  easel_fake_server_queue_reply (f->server, "/v1/images/generations", reply);

  run_request (f, request, &run);
  g_assert_no_error (run.error);
  g_assert_cmpuint (run.n_retrying, ==, 1);
  g_assert_cmpuint (run.last_attempt, ==, 1);
  g_assert_cmpint (run.last_delay, ==, 30);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 2);
  g_assert_cmpuint (run.result->images->len, ==, 1);
}

static void
test_retry_429_transcript (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(EaselRequest) request = generation_request (FALSE);
  g_auto(Run) run = { 0 };
  g_autofree char *path = NULL;
  const char *shared = g_getenv ("EASEL_SHARED_DIR");
  g_autoptr(GError) error = NULL;
  EaselFakeReply *reply;

  if (shared == NULL)
    {
      g_test_skip ("EASEL_SHARED_DIR not set");
      return;
    }
  path = g_build_filename (shared, "openai-spec", "transcripts", "error-429-rate-limit.http", NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("error-429-rate-limit.http not found");
      return;
    }
  reply = easel_fake_reply_new_from_file (path, &error);
  g_assert_no_error (error);
  easel_fake_server_queue_reply (f->server, "/v1/images/generations", reply);

  /* retry-after: 2 in the transcript: honoured as 2000 ms. */
  run_request (f, request, &run);
  g_assert_no_error (run.error);
  g_assert_cmpuint (run.n_retrying, ==, 1);
  g_assert_cmpint (run.last_delay, ==, 2000);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 2);
}

static void
test_retry_500_twice (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(EaselRequest) request = responses_request (TRUE);
  g_auto(Run) run = { 0 };

  for (guint i = 0; i < 2; i++)
    easel_fake_server_queue_reply (f->server, "/v1/responses",
                                   easel_fake_reply_new_error (500, "server_error", NULL,
                                                               "The server had an error."));
  run_request (f, request, &run);
  g_assert_no_error (run.error);
  g_assert_cmpuint (run.n_retrying, ==, 2);
  g_assert_cmpuint (run.last_attempt, ==, 2);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 3);
  g_assert_nonnull (run.result->response_id);
}

static void
test_retry_exhausted (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(EaselRequest) request = generation_request (FALSE);
  g_auto(Run) run = { 0 };

  /* An HTML page from a proxy: retried (5xx), then a clear error. */
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(GBytes) html = g_bytes_new_static ("<html><body><h1>502 Bad Gateway</h1></body></html>", 51);
      easel_fake_server_queue_reply (f->server, "/v1/images/generations",
                                     easel_fake_reply_new (502, "text/html", html));
    }
  run_request (f, request, &run);
  g_assert_nonnull (run.error);
  g_assert_true (run.error->domain == EASEL_API_ERROR);
  g_assert_cmpuint (run.n_retrying, ==, 3);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 4);
  g_assert_cmpuint (easel_api_error_get_status (run.error), ==, 502);
  g_assert_null (strstr (run.error->message, "<html"));
  g_assert_nonnull (strstr (run.error->message, "502"));
}

typedef struct
{
  const char       *name;
  guint             status;
  const char       *file;        /* transcript, or NULL */
  const char       *type;
  const char       *code;
  const char       *header;      /* "name: value" or NULL */
  EaselApiErrorCode expected;
} NoRetryCase;

static const NoRetryCase no_retry_cases[] = {
  { "400-invalid-value", 400, "error-400-invalid-value.http", NULL, NULL, NULL, EASEL_API_ERROR_BAD_REQUEST },
  { "400-tool", 400, "error-400-tool-not-supported.http", NULL, NULL, NULL, EASEL_API_ERROR_BAD_REQUEST },
  { "429-quota", 429, "error-429-insufficient-quota.http", NULL, NULL, NULL, EASEL_API_ERROR_QUOTA },
  { "500-should-retry-false", 500, NULL, "server_error", NULL, "x-should-retry: false", EASEL_API_ERROR_SERVER },
  { "401", 401, "error-401-invalid-api-key.http", NULL, NULL, NULL, EASEL_API_ERROR_AUTHENTICATION },
};

static void
test_no_retry (Fixture       *f,
               gconstpointer  data)
{
  for (guint i = 0; i < G_N_ELEMENTS (no_retry_cases); i++)
    {
      const NoRetryCase *c = &no_retry_cases[i];
      g_autoptr(EaselRequest) request = generation_request (TRUE);
      g_auto(Run) run = { 0 };
      EaselFakeReply *reply;

      g_test_message ("case %s", c->name);
      easel_fake_server_clear_requests (f->server);
      if (c->file != NULL)
        {
          g_autofree char *path = NULL;
          g_autoptr(GError) error = NULL;
          const char *shared = g_getenv ("EASEL_SHARED_DIR");

          path = g_build_filename (shared ? shared : "/nonexistent", "openai-spec", "transcripts", c->file, NULL);
          if (!g_file_test (path, G_FILE_TEST_EXISTS))
            {
              g_test_message ("skipping %s: transcript missing", c->name);
              continue;
            }
          reply = easel_fake_reply_new_from_file (path, &error);
          g_assert_no_error (error);
        }
      else
        reply = easel_fake_reply_new_error (c->status, c->type, c->code, "Something went wrong.");
      if (c->header != NULL)
        {
          g_auto(GStrv) kv = g_strsplit (c->header, ": ", 2);
          easel_fake_reply_add_header (reply, kv[0], kv[1]);
        }
      easel_fake_server_queue_reply (f->server, "/v1/images/generations", reply);

      run_request (f, request, &run);
      g_assert_error (run.error, EASEL_API_ERROR, (int) c->expected);
      g_assert_cmpuint (run.n_retrying, ==, 0);
      g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
      g_assert_cmpuint (easel_api_error_get_status (run.error), ==, c->status);
      if (c->file != NULL)
        g_assert_cmpstr (easel_api_error_get_request_id (run.error), ==, "req_0123456789abcdef0123456789abcdef");
      /* Whatever is left in the queue must not leak into the next case. */
      g_assert_cmpuint (easel_fake_server_get_n_queued (f->server), ==, 0);
    }
}

static void
test_stream_error_not_retried (Fixture       *f,
                               gconstpointer  data)
{
  /* The connection drops after the first event: fail, do not replay. */
  g_autoptr(EaselRequest) request = generation_request (TRUE);
  g_auto(Run) run = { 0 };
  EaselFakeReply *reply = transcript_reply ("images-generations-stream.sse");
  g_autofree char *path = find_transcript ("images-generations-stream.sse");
  g_autofree char *contents = NULL;
  const char *second;

  if (reply == NULL)
    return;
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  second = strstr (contents, "\n\n");
  g_assert_nonnull (second);
  easel_fake_reply_set_abort (reply, (second - contents) + 2 + 10);
  easel_fake_reply_set_chunking (reply, 64, 0);
  easel_fake_server_queue_reply (f->server, "/v1/images/generations", reply);

  run_request (f, request, &run);
  g_assert_nonnull (run.error);
  g_assert_true (run.error->domain == EASEL_API_ERROR);
  g_assert_cmpuint (run.events->len, ==, 1);
  g_assert_cmpuint (run.n_retrying, ==, 0);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
}

/* ------------------------------------------------------------------------ */
/* Errors */

static void
test_moderation_http (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(EaselRequest) request = generation_request (FALSE);
  g_auto(Run) run = { 0 };
  const char * const *categories;
  EaselFakeReply *reply = easel_fake_reply_new_json (400,
    "{\"error\":{\"message\":\"Your request was rejected by the safety system. safety_violations=[sexual].\","
    "\"type\":\"image_generation_user_error\",\"param\":null,\"code\":\"moderation_blocked\","
    "\"moderation_details\":{\"moderation_stage\":\"input\",\"categories\":[\"sexual\"]}}}");

  easel_fake_server_queue_reply (f->server, "/v1/images/generations", reply);
  run_request (f, request, &run);
  g_assert_error (run.error, EASEL_API_ERROR, EASEL_API_ERROR_MODERATION);
  categories = easel_api_error_get_categories (run.error);
  g_assert_nonnull (categories);
  g_assert_cmpstr (categories[0], ==, "sexual");
  g_assert_cmpstr (easel_api_error_get_moderation_stage (run.error), ==, "input");
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
}

static void
test_moderation_stream (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(EaselRequest) request = responses_request (TRUE);
  g_auto(Run) run = { 0 };
  EaselFakeReply *reply = transcript_reply ("responses-image-moderation-blocked.sse");

  if (reply == NULL)
    return;
  easel_fake_reply_set_chunking (reply, 3, 0);
  easel_fake_server_queue_reply (f->server, "/v1/responses", reply);
  run_request (f, request, &run);
  g_assert_error (run.error, EASEL_API_ERROR, EASEL_API_ERROR_MODERATION);
  g_assert_nonnull (easel_api_error_get_categories (run.error));
  g_assert_nonnull (easel_api_error_get_categories (run.error)[0]);
  /* Events before the failed call were delivered. */
  g_assert_cmpuint (run.events->len, >=, 2);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
}

static void
test_stream_error_events (Fixture       *f,
                          gconstpointer  data)
{
  static const char * const files[] = {
    "responses-stream-error-nested.sse",
    "responses-stream-error-flat.sse",
  };
  static const char * const messages[] = {
    "Too Many Requests",
    "The server had an error while processing your request.",
  };
  static const char * const codes[] = { "too_many_requests", "server_error" };

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autoptr(EaselRequest) request = responses_request (TRUE);
      g_auto(Run) run = { 0 };
      EaselFakeReply *reply = transcript_reply (files[i]);

      if (reply == NULL)
        return;
      easel_fake_server_clear_requests (f->server);
      easel_fake_reply_set_chunking (reply, 17, 0);
      easel_fake_server_queue_reply (f->server, "/v1/responses", reply);
      run_request (f, request, &run);
      g_assert_nonnull (run.error);
      g_assert_true (run.error->domain == EASEL_API_ERROR);
      g_test_message ("%s: %s", files[i], run.error->message);
      g_assert_nonnull (strstr (run.error->message, messages[i]));
      g_assert_cmpstr (easel_api_error_get_error_code (run.error), ==, codes[i]);
      g_assert_cmpuint (run.events->len, ==, 2);
      g_assert_cmpuint (run.n_retrying, ==, 0);
      g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
    }
}

static void
test_truncated (Fixture       *f,
                gconstpointer  data)
{
  static const char * const files[] = {
    "images-generations-stream.sse",
    "responses-image-generation-stream.sse",
  };

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autoptr(EaselRequest) request = i == 0 ? generation_request (TRUE) : responses_request (TRUE);
      g_auto(Run) run = { 0 };
      EaselFakeReply *reply = transcript_reply (files[i]);
      g_autofree char *path = find_transcript (files[i]);
      g_autofree char *contents = NULL;
      const char *cut;
      guint n_partials = 0;

      if (reply == NULL)
        return;
      /* Cut just after the second partial image. */
      g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
      cut = strstr (contents, "partial_image_index\":1");
      g_assert_nonnull (cut);
      cut = strstr (cut, "\n\n");
      easel_fake_reply_set_truncate (reply, (cut - contents) + 2);
      easel_fake_reply_set_chunking (reply, 4096, 0);
      easel_fake_server_queue_reply (f->server, i == 0 ? "/v1/images/generations" : "/v1/responses", reply);

      run_request (f, request, &run);
      g_assert_error (run.error, EASEL_API_ERROR, EASEL_API_ERROR_TRUNCATED);
      g_assert_nonnull (strstr (run.error->message, "2 partial images"));
      for (guint j = 0; j < run.events->len; j++)
        if (((EaselEvent *) g_ptr_array_index (run.events, j))->kind == EASEL_EVENT_PARTIAL_IMAGE)
          n_partials++;
      g_assert_cmpuint (n_partials, ==, 2);
    }
}

static void
test_bad_stream_data (Fixture       *f,
                      gconstpointer  data)
{
  static const char * const bodies[] = {
    "event: image_generation.partial_image\n"
    "data: {\"type\":\"image_generation.partial_image\",\"b64_json\":\"!!!not base64***\",\"partial_image_index\":0}\n\n",
    "event: image_generation.partial_image\n"
    "data: {\"type\":\"image_generation.partial_image\",\"b64_json\":\n\n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(EaselRequest) request = generation_request (TRUE);
      g_auto(Run) run = { 0 };
      g_autoptr(GBytes) body = g_bytes_new_static (bodies[i], strlen (bodies[i]));

      easel_fake_server_clear_requests (f->server);
      easel_fake_server_queue_reply (f->server, "/v1/images/generations", easel_fake_reply_new_sse (body));
      run_request (f, request, &run);
      g_assert_error (run.error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE);
      g_assert_cmpuint (run.events->len, ==, 0);
      g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
    }
}

static void
test_key_never_leaks (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(EaselRequest) request = generation_request (FALSE);
  g_auto(Run) run = { 0 };

  easel_fake_server_queue_reply (f->server, "/v1/images/generations",
                                 easel_fake_reply_new_error (401, "invalid_request_error", "invalid_api_key",
                                                             "Incorrect API key provided: " TEST_KEY ". You can find your API key at https://platform.openai.com/account/api-keys."));
  run_request (f, request, &run);
  g_assert_error (run.error, EASEL_API_ERROR, EASEL_API_ERROR_AUTHENTICATION);
  g_assert_null (strstr (run.error->message, TEST_KEY));
  g_assert_null (strstr (run.error->message, "0123456789abcdefABCDEF"));
}

/* A key of any shape (not sk-…) echoed by the server in the error's
 * type, code, param or request id is redacted in every field. */
static void
test_echoed_key_any_field (Fixture       *f,
                           gconstpointer  data)
{
  const char *key = "proxy-token-7f3e9a1c2b4d";
  g_autoptr(EaselRequest) request = generation_request (FALSE);
  g_autofree char *body = NULL;
  EaselFakeReply *reply;
  g_auto(Run) run = { 0 };

  easel_client_set_api_key (f->client, key);
  body = g_strdup_printf ("{\"error\":{\"message\":\"bad key %s\",\"type\":\"t-%s\","
                          "\"code\":\"c-%s\",\"param\":\"p-%s\"}}", key, key, key, key);
  reply = easel_fake_reply_new_json (400, body);
  easel_fake_reply_add_header (reply, "x-request-id", key);
  easel_fake_server_queue_reply (f->server, "/v1/images/generations", reply);
  run_request (f, request, &run);
  g_assert_error (run.error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_REQUEST);
  g_assert_null (strstr (run.error->message, key));
  g_assert_nonnull (easel_api_error_get_error_type (run.error));
  g_assert_null (strstr (easel_api_error_get_error_type (run.error), key));
  g_assert_null (strstr (easel_api_error_get_error_code (run.error), key));
  g_assert_null (strstr (easel_api_error_get_param (run.error), key));
  if (easel_api_error_get_request_id (run.error) != NULL)
    g_assert_null (strstr (easel_api_error_get_request_id (run.error), key));
}

static void
test_validation_sends_nothing (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(EaselRequest) request = generation_request (TRUE);
  g_auto(Run) run = { 0 };

  request->partial_images = 7;
  run_request (f, request, &run);
  g_assert_nonnull (run.error);
  g_assert_true (run.error->domain == EASEL_VALIDATION_ERROR);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 0);
}

/* Nobody listens: the message names the host once, not twice. */
static void
test_connection_refused (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(EaselRequest) request = generation_request (FALSE);
  g_autoptr(EaselClient) saved = NULL;
  g_autofree char *url = NULL;
  g_auto(Run) run = { 0 };
  EaselRetryPolicy policy;
  const char *first;
  guint16 port;

  /* A port that was free a moment ago and is closed again. */
  port = g_socket_listener_add_any_inet_port (listener, NULL, NULL);
  g_assert_cmpuint (port, >, 0);
  g_socket_listener_close (listener);
  url = g_strdup_printf ("http://127.0.0.1:%u/v1", port);

  saved = g_steal_pointer (&f->client);
  f->client = easel_client_new (url, TEST_KEY);
  easel_retry_policy_init_default (&policy);
  policy.max_retries = 0;
  easel_client_set_retry_policy (f->client, &policy);
  run_request (f, request, &run);
  g_clear_object (&f->client);
  f->client = g_steal_pointer (&saved);

  g_assert_error (run.error, EASEL_API_ERROR, EASEL_API_ERROR_NETWORK);
  g_test_message ("%s", run.error->message);
  first = strstr (run.error->message, "127.0.0.1");
  g_assert_nonnull (first);
  g_assert_null (strstr (first + 1, "127.0.0.1"));
}

static void
test_retired_sends_nothing (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(EaselRequest) request = easel_request_new (EASEL_API_IMAGES_GENERATE);
  g_auto(Run) run = { 0 };
  g_auto(Run) allowed = { 0 };

  /* dall-e-3 was retired on 2026-05-12; the clock says later. */
  request->model = g_strdup ("dall-e-3");
  request->prompt = g_strdup ("a fox");
  run_request (f, request, &run);
  g_assert_error (run.error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_RETIRED);
  g_assert_nonnull (strstr (run.error->message, "2026-05-12"));
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 0);

  /* A compatible server may still have it. */
  easel_client_set_allow_retired (f->client, TRUE);
  run_request (f, request, &allowed);
  g_assert_no_error (allowed.error);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
}

static void
on_result_stored (GObject      *source,
                  GAsyncResult *res,
                  gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (res);
}

static void
on_moderated (GObject      *source,
              GAsyncResult *res,
              gpointer      user_data)
{
  EaselModeration **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = easel_client_moderate_finish (EASEL_CLIENT (source), res, &error);
  g_assert_no_error (error);
  g_assert_nonnull (*out);
}

static EaselModeration *
moderate (Fixture    *f,
          const char *text)
{
  EaselModeration *moderation = NULL;

  easel_client_moderate_async (f->client, text, NULL, on_moderated, &moderation);
  while (moderation == NULL && !g_test_failed ())
    g_main_context_iteration (NULL, TRUE);
  return moderation;
}

static void
test_moderation_precheck (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(EaselModeration) clean = NULL;
  g_autoptr(EaselModeration) flagged = NULL;
  g_autoptr(EaselModeration) hostile = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GString) many = g_string_new ("{\"id\":\"modr-x\",\"results\":[{\"flagged\":true,\"categories\":{");
  g_autofree char *text = NULL;
  const EaselFakeRequest *req;

  clean = moderate (f, "a red fox");
  g_assert_false (clean->flagged);
  g_assert_cmpuint (g_strv_length (clean->categories), ==, 0);
  req = easel_fake_server_get_last_request (f->server);
  g_assert_cmpstr (req->path, ==, "/v1/moderations");
  body = easel_fake_request_parse_json (req);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "input"), ==, "a red fox");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "model"), ==, EASEL_MODERATION_MODEL);

  flagged = moderate (f, "a red fox " EASEL_FAKE_FLAG_WORD);
  g_assert_true (flagged->flagged);
  g_assert_true (g_strv_contains ((const char * const *) flagged->categories, "violence"));
  g_assert_true (g_strv_contains ((const char * const *) flagged->categories, "harassment/threatening"));
  g_assert_cmpuint (g_strv_length (flagged->categories), ==, 2);
  text = easel_moderation_format_categories (flagged);
  g_assert_nonnull (strstr (text, "violence"));
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 2);

  /* A hostile answer: control characters in names, a thousand categories,
   * non-boolean values. Bad names are counted, not kept; the rest capped. */
  g_string_append (many, "\"evil\\u001b[2J\":true,\"x\":\"yes\",");
  for (guint i = 0; i < 1000; i++)
    g_string_append_printf (many, "\"cat%u\":true,", i);
  g_string_append (many, "\"last\":true}}]}");
  easel_fake_server_queue_reply (f->server, "/v1/moderations", easel_fake_reply_new_json (200, many->str));
  hostile = moderate (f, "anything");
  g_assert_true (hostile->flagged);
  g_assert_cmpuint (hostile->n_unreadable, ==, 1);
  g_assert_cmpuint (g_strv_length (hostile->categories), ==, EASEL_MODERATION_MAX_CATEGORIES);
  for (guint i = 0; hostile->categories[i] != NULL; i++)
    g_assert_null (strchr (hostile->categories[i], '\033'));

  /* An endless answer is cut off at 1 MiB, not read into memory. */
  {
    gsize len = 3 * 1024 * 1024;
    char *huge = g_malloc (len + 1);
    g_autoptr(GError) error = NULL;
    GAsyncResult *result = NULL;
    EaselModeration *none;

    memset (huge, ' ', len);
    memcpy (huge, "{\"results\":[", 12);
    huge[len - 2] = ']';
    huge[len - 1] = '}';
    huge[len] = '\0';
    easel_fake_server_queue_reply (f->server, "/v1/moderations",
                                   easel_fake_reply_new (200, "application/json", g_bytes_new_take (huge, len)));
    easel_client_moderate_async (f->client, "anything", NULL, on_result_stored, &result);
    while (result == NULL)
      g_main_context_iteration (NULL, TRUE);
    none = easel_client_moderate_finish (f->client, result, &error);
    g_assert_null (none);
    g_assert_nonnull (error);
    g_assert_true (error->domain == EASEL_API_ERROR);
    g_object_unref (result);
  }
}

static void
test_cancel_mid_stream (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(EaselRequest) request = responses_request (TRUE);
  g_auto(Run) run = { 0 };

  /* Slow events so the cancel lands in the middle. */
  easel_fake_server_set_event_delay_ms (f->server, 40);
  run.cancel_after = 3;
  run_request (f, request, &run);
  g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (run.events->len, ==, 3);
}

static void
test_cancel_during_retry_wait (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(EaselRequest) request = generation_request (FALSE);
  g_auto(Run) run = { 0 };
  EaselFakeReply *reply = easel_fake_reply_new_error (429, "requests", "rate_limit_exceeded", "Slow down.");

  /* A 30 s wait: the cancel must end it at once. */
  easel_fake_reply_add_header (reply, "retry-after", "30");
  easel_fake_server_queue_reply (f->server, "/v1/images/generations", reply);
  run.cancellable = g_cancellable_new ();
  g_signal_connect_swapped (f->client, "retrying", G_CALLBACK (g_cancellable_cancel), run.cancellable);
  run_request (f, request, &run);
  g_signal_handlers_disconnect_by_data (f->client, run.cancellable);
  g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
}


/* ------------------------------------------------------------------------ */
/* Background responses: resume, poll, cancel, fallback */

static void
on_reconnecting (EaselClient *client,
                 guint        attempt,
                 gint64       delay_ms,
                 GError      *why,
                 gpointer     user_data)
{
  guint *n = user_data;

  g_assert_cmpuint (attempt, >=, 1);
  g_assert_cmpint (delay_ms, >=, 0);
  (*n)++;
}

static gboolean
request_json_has (const EaselFakeRequest *req,
                  const char             *member)
{
  g_autoptr(JsonNode) root = easel_fake_request_parse_json (req);

  g_assert_nonnull (root);
  return json_object_has_member (json_node_get_object (root), member);
}

static const EaselFakeRequest *
find_request (EaselFakeServer *server,
              const char      *method,
              const char      *path_prefix,
              guint            nth)
{
  for (guint i = 0; i < easel_fake_server_get_n_requests (server); i++)
    {
      const EaselFakeRequest *req = easel_fake_server_get_request (server, i);

      if (g_str_equal (req->method, method) && g_str_has_prefix (req->path, path_prefix) && nth-- == 0)
        return req;
    }
  return NULL;
}

static void
check_one_final_image (Run *run)
{
  const EaselImage *image;
  gint64 last_seq = -1;
  guint n_partials = 0;

  g_assert_no_error (run->error);
  g_assert_cmpuint (run->result->images->len, ==, 1);
  image = g_ptr_array_index (run->result->images, 0);
  g_assert_nonnull (image->bytes);
  g_assert_cmpmem (g_bytes_get_data (image->bytes, NULL), 4, "\x89PNG", 4);
  g_assert_true (g_str_has_prefix (run->result->response_id, "resp_"));

  /* Nothing delivered twice, nothing out of order across the break. */
  for (guint i = 0; i < run->events->len; i++)
    {
      const EaselEvent *ev = g_ptr_array_index (run->events, i);

      g_assert_cmpint (ev->sequence_number, >, last_seq);
      last_seq = ev->sequence_number;
      if (ev->kind == EASEL_EVENT_PARTIAL_IMAGE)
        n_partials++;
    }
  g_assert_cmpuint (n_partials, ==, 2);
}

/* The connection dies right after the first partial: the rest, the second
 * partial and the final image, come through GET …?stream=true with the
 * last sequence number, and the turn is never POSTed again. */
static void
test_resume_after_drop (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(EaselRequest) request = responses_request (TRUE);
  g_auto(Run) run = { 0 };
  const EaselFakeRequest *post, *get;
  guint n_reconnecting = 0;
  gulong id;

  easel_fake_server_set_drop_after_partial (f->server, 1);
  id = g_signal_connect (f->client, "reconnecting", G_CALLBACK (on_reconnecting), &n_reconnecting);
  run_request (f, request, &run);
  g_signal_handler_disconnect (f->client, id);

  check_one_final_image (&run);
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "POST", "/v1/responses"), ==, 1);
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "GET", "/v1/responses/"), ==, 1);
  g_assert_cmpuint (n_reconnecting, ==, 1);

  post = find_request (f->server, "POST", "/v1/responses", 0);
  g_assert_true (request_json_has (post, "background"));
  g_assert_true (request_json_has (post, "stream"));
  get = find_request (f->server, "GET", "/v1/responses/", 0);
  g_assert_cmpstr (get->path + strlen ("/v1/responses/"), ==, run.result->response_id);
  /* created, in_progress, item added, call in progress, generating, partial 0 */
  g_assert_cmpstr (get->query, ==, "stream=true&starting_after=5");
  g_assert_nonnull (easel_fake_request_get_header (get, "Authorization"));
}

/* The server will not stream the response again: it is polled, through an
 * answer that says it is still in progress, to the final image. */
static void
test_resume_by_polling (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(EaselRequest) request = responses_request (TRUE);
  g_auto(Run) run = { 0 };
  guint n_reconnecting = 0;
  gulong id;
  const EaselImage *image;

  easel_fake_server_set_drop_after_partial (f->server, 1);
  easel_fake_server_set_refuse_resume_stream (f->server, TRUE);
  easel_fake_server_set_in_progress_polls (f->server, 1);
  id = g_signal_connect (f->client, "reconnecting", G_CALLBACK (on_reconnecting), &n_reconnecting);
  run_request (f, request, &run);
  g_signal_handler_disconnect (f->client, id);

  g_assert_no_error (run.error);
  g_assert_cmpuint (run.result->images->len, ==, 1);
  image = g_ptr_array_index (run.result->images, 0);
  g_assert_nonnull (image->bytes);
  g_assert_cmpuint (run.result->n_partials, ==, 1);
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "POST", "/v1/responses"), ==, 1);
  /* One refused stream, one poll in progress, one completed. */
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "GET", "/v1/responses/"), ==, 3);
  g_assert_null (find_request (f->server, "GET", "/v1/responses/", 2)->query);
  g_assert_cmpuint (n_reconnecting, ==, 3);
}

/* A response the server does not know any more: the error says what broke
 * first, with its code, and no second POST is made. */
static void
test_resume_gone (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(EaselRequest) request = responses_request (TRUE);
  g_auto(Run) run = { 0 };
  EaselFakeReply *reply = transcript_reply ("responses-image-generation-stream.sse");

  if (reply == NULL)
    return;
  /* The transcript's id is stored nowhere: GET answers 404. */
  easel_fake_reply_set_abort (reply, 3000);
  easel_fake_server_queue_reply (f->server, "/v1/responses", reply);
  run_request (f, request, &run);
  g_assert_error (run.error, EASEL_API_ERROR, EASEL_API_ERROR_TRUNCATED);
  g_assert_nonnull (strstr (run.error->message, "reconnecting to response resp_0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071 failed"));
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "POST", "/v1/responses"), ==, 1);
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "GET", "/v1/responses/"), ==, 1);
}

/* A server that replays the whole stream on reconnection (ignoring
 * starting_after): nothing is delivered twice, the turn still completes. */
static void
test_resume_replay_deduplicated (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(EaselRequest) request = responses_request (TRUE);
  g_auto(Run) run = { 0 };
  EaselFakeReply *first = transcript_reply ("responses-image-generation-stream.sse");
  EaselFakeReply *again = transcript_reply ("responses-image-generation-stream.sse");
  guint n_created = 0;

  if (first == NULL || again == NULL)
    {
      g_clear_pointer (&first, easel_fake_reply_free);
      g_clear_pointer (&again, easel_fake_reply_free);
      return;
    }
  easel_fake_reply_set_abort (first, 3000);
  easel_fake_server_queue_reply (f->server, "/v1/responses", first);
  easel_fake_server_queue_reply (f->server,
                                 "/v1/responses/resp_0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071",
                                 again);
  run_request (f, request, &run);

  check_one_final_image (&run);
  for (guint i = 0; i < run.events->len; i++)
    if (((EaselEvent *) g_ptr_array_index (run.events, i))->kind == EASEL_EVENT_RESPONSE_CREATED)
      n_created++;
  g_assert_cmpuint (n_created, ==, 1);
  g_assert_cmpstr (run.result->text, ==, "Here is your red fox in the snow.");
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "POST", "/v1/responses"), ==, 1);
  g_assert_nonnull (strstr (find_request (f->server, "GET", "/v1/responses/", 0)->query, "starting_after="));
}

static void
test_cancel_reaches_server (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(EaselRequest) request = responses_request (TRUE);
  g_auto(Run) run = { 0 };
  const EaselEvent *created;
  g_autofree char *path = NULL;

  easel_fake_server_set_event_delay_ms (f->server, 40);
  run.cancel_after = 3;
  run_request (f, request, &run);
  g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (run.events->len, ==, 3);

  created = g_ptr_array_index (run.events, 0);
  g_assert_cmpint (created->kind, ==, EASEL_EVENT_RESPONSE_CREATED);
  /* The cancel was answered before the task returned. */
  g_assert_true (easel_fake_server_is_cancelled (f->server, created->response_id));
  path = g_strdup_printf ("/v1/responses/%s/cancel", created->response_id);
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "POST", path), ==, 1);
}

/* Before response.created there is no response to cancel on the server. */
static void
test_cancel_before_created (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(EaselRequest) request = responses_request (TRUE);
  g_auto(Run) run = { 0 };

  run.cancellable = g_cancellable_new ();
  g_cancellable_cancel (run.cancellable);
  run_request (f, request, &run);
  g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "POST", "/v1/responses/"), ==, 0);
}

static void
on_background_refused (EaselClient *client,
                       GError      *why,
                       gpointer     user_data)
{
  guint *n = user_data;

  g_assert_nonnull (why);
  g_assert_null (strstr (why->message, TEST_KEY));
  (*n)++;
}

/* A server without background mode: detected once, each turn then goes as
 * a plain stream. */
static void
test_background_refused (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(EaselRequest) request = responses_request (TRUE);
  guint n_refused = 0;
  gulong id;

  easel_fake_server_set_refuse_background (f->server, TRUE);
  id = g_signal_connect (f->client, "background-refused", G_CALLBACK (on_background_refused), &n_refused);

  for (guint turn = 0; turn < 2; turn++)
    {
      g_auto(Run) run = { 0 };
      const EaselFakeRequest *last;

      run_request (f, request, &run);
      g_assert_no_error (run.error);
      g_assert_cmpuint (run.result->images->len, ==, 1);
      last = easel_fake_server_get_last_request (f->server);
      g_assert_false (request_json_has (last, "background"));
      g_assert_true (request_json_has (last, "stream"));
    }
  g_signal_handler_disconnect (f->client, id);

  g_assert_cmpuint (n_refused, ==, 1);
  g_assert_true (easel_client_get_background_refused (f->client));
  /* Refused, plain, plain. */
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "POST", "/v1/responses"), ==, 3);
  g_assert_true (request_json_has (find_request (f->server, "POST", "/v1/responses", 0), "background"));
}

/* A 400 about the image tool's own `background` is an error, not a
 * refusal of background mode. */
static void
test_tool_background_error_not_refusal (Fixture       *f,
                                        gconstpointer  data)
{
  g_autoptr(EaselRequest) request = responses_request (TRUE);
  g_auto(Run) run = { 0 };

  easel_fake_server_queue_reply (f->server, "/v1/responses",
                                 easel_fake_reply_new_error (400, "invalid_request_error", "invalid_value",
                                                             "Transparent background is not supported for jpeg."));
  run_request (f, request, &run);
  g_assert_nonnull (run.error);
  g_assert_false (easel_client_get_background_refused (f->client));
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
}

static void
on_resumed (GObject      *source,
            GAsyncResult *res,
            gpointer      user_data)
{
  Run *run = user_data;

  run->result = easel_client_resume_finish (EASEL_CLIENT (source), res, &run->error);
  run->done = TRUE;
}

/* A turn left in progress by a process that died: fetched by its id. */
static void
test_resume_by_id (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(EaselRequest) request = responses_request (TRUE);
  g_auto(Run) first = { 0 };
  g_auto(Run) run = { 0 };
  g_autofree char *response_id = NULL;

  /* Leave one on the server: cancel the client side only. */
  easel_client_set_background_mode (f->client, TRUE);
  run_request (f, request, &first);
  g_assert_no_error (first.error);
  response_id = g_strdup (first.result->response_id);
  easel_fake_server_clear_requests (f->server);

  run.events = g_ptr_array_new_with_free_func ((GDestroyNotify) easel_event_free);
  easel_client_resume_async (f->client, response_id, -1, on_event, &run, NULL, NULL, on_resumed, &run);
  while (!run.done)
    g_main_context_iteration (NULL, TRUE);
  check_one_final_image (&run);
  g_assert_cmpstr (run.result->response_id, ==, response_id);
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "POST", "/v1/responses"), ==, 0);
  g_assert_cmpstr (easel_fake_server_get_last_request (f->server)->query, ==, "stream=true");

  /* Ids go into a URL path: nothing else is sent. */
  run_clear (&run);
  run = (Run) { 0 };
  easel_client_resume_async (f->client, "resp_1/../../files", -1, NULL, NULL, NULL, NULL, on_resumed, &run);
  while (!run.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
}

static void
test_tool_choice (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(EaselRequest) request = responses_request (FALSE);
  g_autoptr(JsonNode) root = NULL;
  JsonObject *choice;

  {
    g_auto(Run) run = { 0 };
    run_request (f, request, &run);
    g_assert_no_error (run.error);
  }
  root = easel_fake_request_parse_json (easel_fake_server_get_last_request (f->server));
  choice = json_object_get_object_member (json_node_get_object (root), "tool_choice");
  g_assert_nonnull (choice);
  g_assert_cmpstr (json_object_get_string_member (choice, "type"), ==, "image_generation");
  /* Not streamed: not in background mode either. */
  g_assert_false (json_object_has_member (json_node_get_object (root), "background"));

  request->let_model_decide = TRUE;
  {
    g_auto(Run) run = { 0 };
    run_request (f, request, &run);
    g_assert_no_error (run.error);
  }
  g_assert_false (request_json_has (easel_fake_server_get_last_request (f->server), "tool_choice"));
}

/* ------------------------------------------------------------------------ */
/* Files, models, URLs */

static void
on_uploaded (GObject      *source,
             GAsyncResult *res,
             gpointer      user_data)
{
  GError *error = NULL;
  char *id = easel_client_upload_file_finish (EASEL_CLIENT (source), res, &error);

  g_assert_no_error (error);
  *(char **) user_data = id;
}

static void
on_models (GObject      *source,
           GAsyncResult *res,
           gpointer      user_data)
{
  GError *error = NULL;
  GStrv models = easel_client_list_models_finish (EASEL_CLIENT (source), res, &error);

  g_assert_no_error (error);
  *(GStrv *) user_data = models;
}

static void
on_fetched (GObject      *source,
            GAsyncResult *res,
            gpointer      user_data)
{
  GError *error = NULL;
  GBytes *bytes = easel_client_fetch_url_finish (EASEL_CLIENT (source), res, &error);

  g_assert_no_error (error);
  *(GBytes **) user_data = bytes;
}

static void
test_files_models_urls (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GBytes) png = make_png (8, 8, FALSE);
  g_autofree char *id = NULL;
  g_auto(GStrv) models = NULL;
  g_autoptr(GBytes) fetched = NULL;
  g_autoptr(GPtrArray) parts = NULL;
  g_autofree char *url = NULL;
  const EaselFakeRequest *req;
  EaselFakePart *part;

  easel_client_upload_file_async (f->client, png, "in.png", "image/png", NULL, NULL, on_uploaded, &id);
  while (id == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (g_str_has_prefix (id, "file-"));
  req = easel_fake_server_get_last_request (f->server);
  g_assert_cmpstr (req->path, ==, "/v1/files");
  parts = easel_fake_request_parse_multipart (req);
  part = easel_fake_parts_find (parts, "purpose");
  g_assert_nonnull (part);
  g_assert_cmpmem (g_bytes_get_data (part->data, NULL), g_bytes_get_size (part->data), "vision", 6);
  part = easel_fake_parts_find (parts, "file");
  g_assert_nonnull (part);
  g_assert_cmpstr (part->filename, ==, "in.png");
  g_assert_true (g_bytes_equal (part->data, png));

  easel_client_list_models_async (f->client, NULL, on_models, &models);
  while (models == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (g_strv_contains ((const char * const *) models, "gpt-image-1"));
  g_assert_cmpstr (easel_fake_server_get_last_request (f->server)->method, ==, "GET");

  url = g_strdup_printf ("%s/fake-images/0.png", easel_fake_server_get_base_url (f->server));
  easel_client_fetch_url_async (f->client, url, NULL, on_fetched, &fetched);
  while (fetched == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpmem (g_bytes_get_data (fetched, NULL), 4, "\x89PNG", 4);
}

int
main (int   argc,
      char *argv[])
{
  main_thread = g_thread_self ();
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/integration/client/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("generation-stream", test_generation_stream);
  ADD ("edit-stream-multipart", test_edit_stream_multipart);
  ADD ("responses-stream", test_responses_stream);
  ADD ("responses-body", test_responses_body);
  ADD ("smart-default-streams", test_smart_default_streams);
  ADD ("nonstream-generation", test_nonstream_generation);
  ADD ("headers", test_headers);
  ADD ("retry/429", test_retry_429);
  ADD ("retry/429-retry-after", test_retry_429_transcript);
  ADD ("retry/500-twice", test_retry_500_twice);
  ADD ("retry/exhausted-html-502", test_retry_exhausted);
  ADD ("retry/not-retried", test_no_retry);
  ADD ("retry/not-after-stream-event", test_stream_error_not_retried);
  ADD ("error/moderation-http", test_moderation_http);
  ADD ("error/moderation-stream", test_moderation_stream);
  ADD ("error/stream-error-events", test_stream_error_events);
  ADD ("error/truncated", test_truncated);
  ADD ("error/bad-stream-data", test_bad_stream_data);
  ADD ("error/key-never-leaks", test_key_never_leaks);
  ADD ("error/echoed-key-any-field", test_echoed_key_any_field);
  ADD ("error/validation-sends-nothing", test_validation_sends_nothing);
  ADD ("error/retired-sends-nothing", test_retired_sends_nothing);
  ADD ("error/connection-refused", test_connection_refused);
  ADD ("moderation/precheck", test_moderation_precheck);
  ADD ("cancel/mid-stream", test_cancel_mid_stream);
  ADD ("cancel/retry-wait", test_cancel_during_retry_wait);
  ADD ("files-models-urls", test_files_models_urls);
  ADD ("background/resume-after-drop", test_resume_after_drop);
  ADD ("background/resume-by-polling", test_resume_by_polling);
  ADD ("background/resume-gone", test_resume_gone);
  ADD ("background/resume-replay-deduplicated", test_resume_replay_deduplicated);
  ADD ("background/resume-by-id", test_resume_by_id);
  ADD ("background/cancel-reaches-server", test_cancel_reaches_server);
  ADD ("background/cancel-before-created", test_cancel_before_created);
  ADD ("background/refused-falls-back", test_background_refused);
  ADD ("background/tool-background-error", test_tool_background_error_not_refusal);
  ADD ("tool-choice", test_tool_choice);

#undef ADD

  return g_test_run ();
}
