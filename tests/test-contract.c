/* test-contract.c: every request the core builds, validated by Stoplight Prism
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Prism mocks the official OpenAPI spec (the image subset in
 * ../shared/openai-spec) and answers 422 when a request breaks it. Each
 * request goes through EaselClient, so what is checked is what ships.
 */

#define G_LOG_DOMAIN "test-contract"

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "easel-core.h"
#include "easel-client-private.h"

typedef struct
{
  GSubprocess *prism;
  char        *log_path;
  char        *base_url;
  EaselClient *client;
  GString     *failures;
} Contract;

static Contract contract;

/* ------------------------------------------------------------------------ */
/* Prism */

static char *
find_prism (void)
{
  const char *env = g_getenv ("EASEL_PRISM");
  g_autofree char *local = g_build_filename (TEST_SRCDIR, "..", "_build-prism", "node_modules", ".bin", "prism", NULL);

  if (env != NULL && env[0] != '\0')
    return g_file_test (env, G_FILE_TEST_IS_EXECUTABLE) ? g_strdup (env) : NULL;
  if (g_file_test (local, G_FILE_TEST_IS_EXECUTABLE))
    return g_steal_pointer (&local);
  return g_find_program_in_path ("prism");
}

static guint
free_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) addr = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) sa = g_inet_socket_address_new (addr, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_nonnull (socket);
  g_assert_true (g_socket_bind (socket, sa, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* Prism must not outlive us, even when an assertion aborts the test. */
static void
child_setup (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static gboolean
prism_answers (guint port)
{
  g_autoptr(GSocketClient) sc = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;

  g_socket_client_set_timeout (sc, 1);
  conn = g_socket_client_connect_to_host (sc, "127.0.0.1", port, NULL, NULL);
  return conn != NULL;
}

static void
print_prism_log (void)
{
  g_autofree char *log = NULL;
  gsize len = 0;

  if (contract.log_path && g_file_get_contents (contract.log_path, &log, &len, NULL))
    {
      const char *start = len > 6000 ? log + len - 6000 : log;
      g_printerr ("---- Prism log (tail) ----\n%s\n--------------------------\n", start);
    }
}

static gboolean
start_prism (void)
{
  const char *shared = g_getenv ("EASEL_SHARED_DIR");
  g_autofree char *prism = NULL;
  g_autofree char *spec = NULL;
  g_autofree char *port_str = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline;
  guint port;
  int fd;

  if (shared == NULL || !g_file_test (shared, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("EASEL_SHARED_DIR (../shared) is absent: no spec to validate against");
      return FALSE;
    }
  spec = g_build_filename (shared, "openai-spec", "openai-images-subset.yaml", NULL);
  if (!g_file_test (spec, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("openai-images-subset.yaml is absent from EASEL_SHARED_DIR");
      return FALSE;
    }
  if ((prism = find_prism ()) == NULL)
    {
      g_test_skip ("Prism not found: set EASEL_PRISM or run npm ci in _build-prism (see NOTES.md §4)");
      return FALSE;
    }

  port = free_port ();
  port_str = g_strdup_printf ("%u", port);
  fd = g_file_open_tmp ("easel-prism-XXXXXX.log", &contract.log_path, &error);
  g_assert_no_error (error);
  close (fd);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_stdout_file_path (launcher, contract.log_path);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  contract.prism = g_subprocess_launcher_spawn (launcher, &error, prism, "mock", spec,
                                                "-h", "127.0.0.1", "-p", port_str, NULL);
  g_assert_no_error (error);

  /* Startup takes about 5 s; allow 30. */
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (!prism_answers (port))
    {
      if (g_get_monotonic_time () > deadline || g_subprocess_get_identifier (contract.prism) == NULL)
        {
          print_prism_log ();
          g_error ("Prism did not start listening on 127.0.0.1:%u", port);
        }
      g_usleep (200 * 1000);
      g_main_context_iteration (NULL, FALSE);
    }

  contract.base_url = g_strdup_printf ("http://127.0.0.1:%u/v1", port);
  return TRUE;
}

static void
stop_prism (void)
{
  if (contract.prism != NULL)
    {
      g_subprocess_send_signal (contract.prism, SIGTERM);
      g_subprocess_wait (contract.prism, NULL, NULL);
      g_clear_object (&contract.prism);
    }
  if (contract.log_path != NULL)
    {
      g_unlink (contract.log_path);
      g_clear_pointer (&contract.log_path, g_free);
    }
}

/* ------------------------------------------------------------------------ */
/* Helpers */

static GBytes *
make_png (int      size,
          gboolean alpha)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, alpha, 8, size, size);
  g_autoptr(GError) error = NULL;
  char *buffer = NULL;
  gsize len = 0;

  gdk_pixbuf_fill (pixbuf, alpha ? 0x00000000 : 0x336699ff);
  gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &len, "png", &error, NULL);
  g_assert_no_error (error);
  return g_bytes_new_take (buffer, len);
}

static EaselInputImage *
png_image (const char *name)
{
  g_autoptr(GBytes) png = make_png (64, FALSE);
  return easel_input_image_new_bytes (png, name, "image/png");
}

typedef struct
{
  gboolean     done;
  EaselResult *result;
  GError      *error;
} Outcome;

static void
on_sent (GObject      *source,
         GAsyncResult *res,
         gpointer      user_data)
{
  Outcome *o = user_data;

  o->result = easel_client_send_finish (EASEL_CLIENT (source), res, &o->error);
  o->done = TRUE;
}

/* Sends @request through the client; records a failure unless Prism
 * accepted it. A 200 with Prism's placeholder body ("b64_json":"string")
 * is a BAD_RESPONSE for the client but a valid request for the contract;
 * Prism answers streaming requests with 500 NO_COMPLEX_OBJECT_TEXT after
 * validating them (NOTES.md §8). */
static void
check_request (const char   *name,
               EaselRequest *request)
{
  Outcome o = { 0 };
  g_autoptr(GError) validation = NULL;
  gboolean ok;

  if (!easel_request_validate (request, &validation))
    {
      g_string_append_printf (contract.failures, "%s: the core's own validation refused it: %s\n",
                              name, validation->message);
      return;
    }

  easel_client_send_async (contract.client, request, NULL, NULL, NULL, NULL, on_sent, &o);
  while (!o.done)
    g_main_context_iteration (NULL, TRUE);

  if (o.error == NULL)
    ok = TRUE;
  else if (g_error_matches (o.error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE))
    ok = TRUE;
  else if (request->stream && o.error->domain == EASEL_API_ERROR &&
           easel_api_error_get_status (o.error) == 500)
    ok = TRUE;
  else
    ok = FALSE;

  g_test_message ("%s: %s", name, ok ? "accepted" : o.error->message);
  if (!ok)
    g_string_append_printf (contract.failures, "%s: HTTP %u: %s\n", name,
                            o.error->domain == EASEL_API_ERROR ? easel_api_error_get_status (o.error) : 0,
                            o.error->message);

  g_clear_pointer (&o.result, easel_result_free);
  g_clear_error (&o.error);
}

static EaselRequest *
responses_base (const char *prompt)
{
  EaselRequest *r = easel_request_new (EASEL_API_RESPONSES);

  r->responses_model = g_strdup ("gpt-4.1");
  r->model = g_strdup ("gpt-image-1");
  r->prompt = g_strdup (prompt);
  return r;
}

/* ------------------------------------------------------------------------ */
/* Tests */

static gboolean
setup_contract (void)
{
  EaselRetryPolicy no_retries = { .max_retries = 0, .initial_delay_ms = 1, .max_delay_ms = 1 };

  if (contract.client != NULL)
    return TRUE;
  if (!start_prism ())
    return FALSE;
  contract.client = easel_client_new (contract.base_url, "sk-contract-test");
  /* The wire shape of every model's request is checked, retired or not. */
  easel_client_set_allow_retired (contract.client, TRUE);
  easel_client_set_retry_policy (contract.client, &no_retries);
  contract.failures = g_string_new (NULL);
  return TRUE;
}

static void
assert_no_failures (void)
{
  if (contract.failures->len > 0)
    {
      g_autofree char *failures = g_string_free (g_steal_pointer (&contract.failures), FALSE);

      print_prism_log ();
      contract.failures = g_string_new (NULL);
      g_printerr ("Requests Prism rejected:\n%s", failures);
      g_test_fail_printf ("Prism rejected requests:\n%s", failures);
    }
}

static void
test_images (void)
{
  if (!setup_contract ())
    return;

  {
    g_autoptr(EaselRequest) r = easel_request_new (EASEL_API_IMAGES_GENERATE);
    r->model = g_strdup ("gpt-image-1");
    r->prompt = g_strdup ("A red fox in fresh snow");
    r->n = 2;
    r->size = g_strdup ("1024x1536");
    r->quality = g_strdup ("high");
    r->background = g_strdup ("transparent");
    r->output_format = g_strdup ("webp");
    r->output_compression = 80;
    r->moderation = g_strdup ("low");
    r->user = g_strdup ("user-1234");
    check_request ("generations gpt-image-1 all options", r);
    r->stream = TRUE;
    r->partial_images = 2;
    check_request ("generations gpt-image-1 streaming", r);
  }
  {
    g_autoptr(EaselRequest) r = easel_request_new (EASEL_API_IMAGES_GENERATE);
    r->model = g_strdup ("dall-e-3");
    r->prompt = g_strdup ("A lighthouse at dusk");
    r->size = g_strdup ("1792x1024");
    r->quality = g_strdup ("hd");
    r->style = g_strdup ("natural");
    r->response_format = g_strdup ("b64_json");
    check_request ("generations dall-e-3", r);
  }
  {
    g_autoptr(EaselRequest) r = easel_request_new (EASEL_API_IMAGES_GENERATE);
    r->model = g_strdup ("dall-e-2");
    r->prompt = g_strdup ("A small cat");
    r->n = 2;
    r->size = g_strdup ("512x512");
    r->response_format = g_strdup ("url");
    check_request ("generations dall-e-2", r);
  }
  {
    g_autoptr(EaselRequest) r = easel_request_new (EASEL_API_IMAGES_EDIT);
    r->model = g_strdup ("gpt-image-1");
    r->prompt = g_strdup ("Add a hat");
    r->quality = g_strdup ("medium");
    easel_request_add_image (r, png_image ("one.png"));
    check_request ("edits single image", r);
  }
  {
    g_autoptr(EaselRequest) r = easel_request_new (EASEL_API_IMAGES_EDIT);
    g_autoptr(GBytes) mask = make_png (64, TRUE);
    r->model = g_strdup ("gpt-image-1");
    r->prompt = g_strdup ("Combine them");
    r->input_fidelity = g_strdup ("high");
    r->size = g_strdup ("1024x1024");
    r->output_format = g_strdup ("png");
    easel_request_add_image (r, png_image ("one.png"));
    easel_request_add_image (r, png_image ("two.png"));
    easel_request_set_mask (r, easel_input_image_new_bytes (mask, "mask.png", "image/png"));
    check_request ("edits image[] + mask + input_fidelity", r);
    r->stream = TRUE;
    r->partial_images = 1;
    check_request ("edits streaming", r);
  }
  {
    g_autoptr(EaselRequest) r = easel_request_new (EASEL_API_IMAGES_VARIATION);
    r->model = g_strdup ("dall-e-2");
    r->n = 2;
    r->size = g_strdup ("256x256");
    easel_request_add_image (r, png_image ("square.png"));
    check_request ("variations dall-e-2", r);
  }

  assert_no_failures ();
}

static void
test_responses (void)
{
  g_autoptr(GBytes) png = NULL;
  g_autofree char *data_url = NULL;

  if (!setup_contract ())
    return;

  png = make_png (64, FALSE);
  {
    g_autoptr(EaselRequest) r = responses_base ("Draw a red fox in the snow");
    r->size = g_strdup ("1024x1536");
    r->quality = g_strdup ("high");
    r->output_format = g_strdup ("png");
    r->background = g_strdup ("opaque");
    r->moderation = g_strdup ("auto");
    check_request ("responses text only", r);
    r->stream = TRUE;
    r->partial_images = 2;
    check_request ("responses streaming", r);
  }
  for (guint i = 0; easel_service_tiers[i] != NULL; i++)
    {
      g_autoptr(EaselRequest) r = responses_base ("Draw a red fox in the snow");
      g_autofree char *name = g_strdup_printf ("responses service_tier %s", easel_service_tiers[i]);

      r->service_tier = g_strdup (easel_service_tiers[i]);
      check_request (name, r);
    }
  {
    g_autoptr(EaselRequest) r = responses_base ("Make it night");
    easel_request_add_image (r, easel_input_image_new_bytes (png, "in.png", "image/png"));
    check_request ("responses with data-URL image", r);
  }
  {
    g_autoptr(EaselRequest) r = responses_base ("Make it night");
    easel_request_add_image (r, easel_input_image_new_file_id ("file-abc123"));
    check_request ("responses with file_id image", r);
  }
  {
    g_autoptr(EaselRequest) r = responses_base ("Now make it blue");
    r->previous_response_id = g_strdup ("resp_0a1b2c3d4e5f");
    check_request ("responses with previous_response_id", r);
  }
  {
    g_autoptr(EaselRequest) r = responses_base ("Now make it blue");
    g_ptr_array_add (r->image_call_refs, g_strdup ("ig_0a1b2c3d4e5f"));
    check_request ("responses with item_reference", r);
  }
  {
    g_autoptr(EaselRequest) r = responses_base ("Fill the masked area with flowers");
    easel_request_add_image (r, easel_input_image_new_file_id ("file-abc123"));
    easel_request_set_mask (r, easel_input_image_new_file_id ("file-mask456"));
    r->action = g_strdup ("edit");
    check_request ("responses input_image_mask file_id, action edit", r);
  }
  {
    g_autoptr(EaselRequest) r = responses_base ("Fill the masked area with flowers");
    g_autoptr(GBytes) mask = make_png (64, TRUE);
    g_autoptr(EaselInputImage) mask_bytes = easel_input_image_new_bytes (mask, "mask.png", "image/png");

    data_url = easel_input_image_to_data_url (mask_bytes);
    easel_request_add_image (r, easel_input_image_new_bytes (png, "in.png", "image/png"));
    easel_request_set_mask (r, easel_input_image_new_url (data_url));
    r->action = g_strdup ("edit");
    r->input_fidelity = g_strdup ("high");
    check_request ("responses input_image_mask image_url, action edit", r);
  }

  assert_no_failures ();
}

static void
on_uploaded (GObject      *source,
             GAsyncResult *res,
             gpointer      user_data)
{
  Outcome *o = user_data;
  g_autofree char *id = easel_client_upload_file_finish (EASEL_CLIENT (source), res, &o->error);

  o->done = TRUE;
}

static void
test_files (void)
{
  g_autoptr(GBytes) png = NULL;
  Outcome o = { 0 };

  if (!setup_contract ())
    return;

  png = make_png (64, FALSE);
  easel_client_upload_file_async (contract.client, png, "in.png", "image/png", "vision", NULL, on_uploaded, &o);
  while (!o.done)
    g_main_context_iteration (NULL, TRUE);
  if (o.error != NULL && !g_error_matches (o.error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE))
    g_string_append_printf (contract.failures, "files upload: %s\n", o.error->message);
  g_clear_error (&o.error);

  assert_no_failures ();
}

typedef struct
{
  gboolean        done;
  EaselBatchInfo *info;
  GBytes         *bytes;
  GError         *error;
} BatchOutcome;

static void
on_batch (GObject      *source,
          GAsyncResult *res,
          gpointer      user_data)
{
  BatchOutcome *o = user_data;
  GTask *task = G_TASK (res);

  if (g_task_get_source_tag (task) == easel_batch_submit_async)
    o->info = easel_batch_submit_finish (EASEL_CLIENT (source), res, &o->error);
  else if (g_task_get_source_tag (task) == easel_batch_retrieve_async)
    o->info = easel_batch_retrieve_finish (EASEL_CLIENT (source), res, &o->error);
  else if (g_task_get_source_tag (task) == easel_batch_cancel_async)
    o->info = easel_batch_cancel_finish (EASEL_CLIENT (source), res, &o->error);
  else if (g_task_get_source_tag (task) == easel_batch_list_async)
    {
      GPtrArray *list = easel_batch_list_finish (EASEL_CLIENT (source), res, &o->error);

      g_clear_pointer (&list, g_ptr_array_unref);
    }
  else
    o->bytes = easel_client_download_file_finish (EASEL_CLIENT (source), res, &o->error);
  o->done = TRUE;
}

/* Prism answers with a Batch built from the schema: a placeholder the
 * client may refuse (BAD_RESPONSE) once the request itself was accepted. */
static void
check_batch_outcome (const char   *name,
                     BatchOutcome *o)
{
  while (!o->done)
    g_main_context_iteration (NULL, TRUE);
  if (o->error != NULL && !g_error_matches (o->error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE))
    g_string_append_printf (contract.failures, "%s: HTTP %u: %s\n", name,
                            o->error->domain == EASEL_API_ERROR ? easel_api_error_get_status (o->error) : 0,
                            o->error->message);
  g_test_message ("%s: %s", name, o->error ? o->error->message : "accepted");
  g_clear_pointer (&o->info, easel_batch_info_free);
  g_clear_pointer (&o->bytes, g_bytes_unref);
  g_clear_error (&o->error);
}

static void
on_json (GObject      *source,
         GAsyncResult *res,
         gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (res);
}

static void
test_batches (void)
{
  const char *input = "a red fox\n{\"prompt\": \"a blue owl\", \"quality\": \"high\", \"size\": \"1536x1024\"}\n";
  g_autoptr(EaselRequest) defaults = easel_request_new (EASEL_API_IMAGES_GENERATE);
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GBytes) jsonl = NULL;
  g_autoptr(GError) error = NULL;

  if (!setup_contract ())
    return;

  defaults->model = g_strdup ("gpt-image-1");
  defaults->quality = g_strdup ("low");
  entries = easel_batch_parse_input (input, strlen (input), defaults, &error);
  g_assert_no_error (error);
  jsonl = easel_batch_build_jsonl (entries, &error);
  g_assert_no_error (error);

  /* Upload (multipart, purpose=batch), then create. */
  {
    BatchOutcome o = { 0 };

    easel_batch_submit_async (contract.client, jsonl, NULL, on_batch, &o);
    check_batch_outcome ("batch upload + create", &o);
  }
  {
    BatchOutcome o = { 0 };

    easel_batch_retrieve_async (contract.client, "batch_abc123", NULL, on_batch, &o);
    check_batch_outcome ("batch retrieve", &o);
  }
  {
    BatchOutcome o = { 0 };

    easel_batch_cancel_async (contract.client, "batch_abc123", NULL, on_batch, &o);
    check_batch_outcome ("batch cancel", &o);
  }
  {
    BatchOutcome o = { 0 };

    easel_batch_list_async (contract.client, NULL, on_batch, &o);
    check_batch_outcome ("batch list", &o);
  }
  {
    BatchOutcome o = { 0 };

    easel_client_download_file_async (contract.client, "file-abc123", NULL, on_batch, &o);
    check_batch_outcome ("file content", &o);
  }

  /* The check can fail: a create outside the spec comes back 422. */
  {
    g_autoptr(JsonNode) bad = json_from_string ("{\"input_file_id\":\"file-abc123\","
                                                "\"endpoint\":\"/v1/images/generations\","
                                                "\"completion_window\":\"1h\"}", NULL);
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(JsonNode) answer = NULL;
    g_autoptr(GError) local_error = NULL;

    easel_client_call_json_async (contract.client, "POST", "/batches", bad, EASEL_CALL_DEFAULT, NULL,
                                  on_json, &result);
    while (result == NULL)
      g_main_context_iteration (NULL, TRUE);
    answer = easel_client_call_json_finish (contract.client, result, &local_error);
    g_assert_null (answer);
    g_assert_error (local_error, EASEL_API_ERROR, EASEL_API_ERROR_UNPROCESSABLE);
  }

  assert_no_failures ();
}

/* Background responses: the GET that resumes a stream (stream,
 * starting_after) and the cancel. The client hides statuses behind its
 * reconnection logic, so every exchange is checked on its own. */
static void
on_exchange (const char *method,
             const char *url,
             guint       status,
             gpointer    user_data)
{
  GPtrArray *seen = user_data;
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  g_autofree char *line = g_strdup_printf ("%s %s%s%s", method, g_uri_get_path (uri),
                                           g_uri_get_query (uri) ? "?" : "",
                                           g_uri_get_query (uri) ? g_uri_get_query (uri) : "");

  g_test_message ("%s: HTTP %u", line, status);
  if (status >= 400 && status != 429)
    g_string_append_printf (contract.failures, "%s: HTTP %u\n", line, status);
  g_ptr_array_add (seen, g_steal_pointer (&line));
}

static void
on_resumed (GObject      *source,
            GAsyncResult *res,
            gpointer      user_data)
{
  Outcome *o = user_data;

  o->result = easel_client_resume_finish (EASEL_CLIENT (source), res, &o->error);
  o->done = TRUE;
}

static gboolean
seen_line (GPtrArray  *seen,
           const char *line)
{
  for (guint i = 0; i < seen->len; i++)
    if (g_str_equal (g_ptr_array_index (seen, i), line))
      return TRUE;
  return FALSE;
}

static void
test_background (void)
{
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Outcome o = { 0 };

  if (!setup_contract ())
    return;

  _easel_client_set_exchange_func (contract.client, on_exchange, seen);

  easel_client_resume_async (contract.client, "resp_0a1b2c3d4e5f", 3, NULL, NULL, NULL,
                             NULL, on_resumed, &o);
  while (!o.done)
    g_main_context_iteration (NULL, TRUE);
  g_test_message ("resume: %s", o.error ? o.error->message : "a result");
  g_clear_pointer (&o.result, easel_result_free);
  g_clear_error (&o.error);
  g_assert_true (seen_line (seen, "GET /v1/responses/resp_0a1b2c3d4e5f?stream=true&starting_after=3"));

  /* Cancelling a background response posts /cancel before returning. */
  o = (Outcome) { 0 };
  easel_client_resume_async (contract.client, "resp_0a1b2c3d4e5f", -1, NULL, NULL, NULL,
                             cancellable, on_resumed, &o);
  g_cancellable_cancel (cancellable);
  while (!o.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (o.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&o.error);
  g_assert_true (seen_line (seen, "POST /v1/responses/resp_0a1b2c3d4e5f/cancel"));

  _easel_client_set_exchange_func (contract.client, NULL, NULL);

  /* The check above can fail: Prism refuses a starting_after that is not
   * a number. */
  {
    g_autoptr(SoupSession) session = NULL;
    g_autoptr(SoupMessage) msg = NULL;
    g_autoptr(GBytes) reply = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GProxyResolver) direct = g_simple_proxy_resolver_new (NULL, NULL);
    g_autofree char *url = g_strdup_printf ("%s/responses/resp_0a1b2c3d4e5f?stream=true&starting_after=abc",
                                            contract.base_url);

    session = soup_session_new_with_options ("proxy-resolver", direct, NULL);
    msg = soup_message_new ("GET", url);
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", "Bearer sk-contract-test");
    reply = soup_session_send_and_read (session, msg, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 422);
  }

  assert_no_failures ();
}

static void
test_invalid_is_rejected (void)
{
  /* The check above must be able to fail: a hand-built body that skips
   * the core's validation has to get Prism's 422. */
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GProxyResolver) direct = NULL;
  g_autofree char *url = NULL;
  static const char json[] = "{\"model\":\"gpt-image-1\",\"prompt\":\"fox\",\"quality\":\"ultra\"}";

  if (!setup_contract ())
    return;

  direct = g_simple_proxy_resolver_new (NULL, NULL);
  session = soup_session_new_with_options ("proxy-resolver", direct, NULL);
  url = g_strdup_printf ("%s/images/generations", contract.base_url);
  msg = soup_message_new ("POST", url);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", "Bearer sk-contract-test");
  body = g_bytes_new_static (json, sizeof json - 1);
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  reply = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 422);

  /* And through the client: an unknown model skips the per-model checks,
   * so the bad quality reaches Prism and must come back UNPROCESSABLE. */
  {
    g_autoptr(EaselRequest) r = easel_request_new (EASEL_API_IMAGES_GENERATE);
    Outcome o = { 0 };

    r->model = g_strdup ("some-compatible-model");
    r->prompt = g_strdup ("fox");
    r->quality = g_strdup ("ultra");
    easel_client_send_async (contract.client, r, NULL, NULL, NULL, NULL, on_sent, &o);
    while (!o.done)
      g_main_context_iteration (NULL, TRUE);
    if (o.error == NULL || o.error->domain == EASEL_VALIDATION_ERROR)
      g_test_skip ("the core refused or sent nothing for an unknown model");
    else
      {
        g_assert_error (o.error, EASEL_API_ERROR, EASEL_API_ERROR_UNPROCESSABLE);
        g_assert_cmpuint (easel_api_error_get_status (o.error), ==, 422);
      }
    g_clear_pointer (&o.result, easel_result_free);
    g_clear_error (&o.error);
  }
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/contract/images", test_images);
  g_test_add_func ("/contract/responses", test_responses);
  g_test_add_func ("/contract/files", test_files);
  g_test_add_func ("/contract/batches", test_batches);
  g_test_add_func ("/contract/background", test_background);
  g_test_add_func ("/contract/invalid-is-rejected", test_invalid_is_rejected);

  ret = g_test_run ();

  g_clear_object (&contract.client);
  if (contract.failures != NULL)
    g_string_free (contract.failures, TRUE);
  g_clear_pointer (&contract.base_url, g_free);
  stop_prism ();

  return ret;
}
