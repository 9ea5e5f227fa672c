/* test-session.c: EaselSession and EaselLibrary together, without any
 * widget: what a conversation sends is what the library records
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-session"

#include "config.h"

#include <gtk/gtk.h>

#include "easel-session.h"
#include "fake-server.h"
#include "gui-test-util.h"

typedef struct
{
  EaselFakeServer *server;
  EaselClient *client;
  char *dir;
  EaselLibrary *library;
  EaselSession *session;
  guint n_stored;
  guint n_errors;
  guint want_rows;
} Fixture;

static void
stored_cb (EaselSession     *session,
           EaselSessionTurn *turn,
           Fixture          *f)
{
  f->n_stored++;
}

static void
error_cb (EaselSession *session,
          const char   *message,
          Fixture      *f)
{
  f->n_errors++;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->server = easel_fake_server_new (&error);
  g_assert_no_error (error);
  easel_fake_server_set_event_delay_ms (f->server, 2);
  easel_fake_server_set_image_size (f->server, 32, 32);
  f->client = easel_client_new (easel_fake_server_get_base_url (f->server), "sk-test-session");
  f->dir = g_dir_make_tmp ("easel-test-session-XXXXXX", &error);
  g_assert_no_error (error);
  f->library = easel_library_new (f->dir);
  f->session = easel_session_new ();
  g_signal_connect (f->session, "turn-stored", G_CALLBACK (stored_cb), f);
  g_signal_connect (f->session, "library-error", G_CALLBACK (error_cb), f);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->session);
  easel_library_flush (f->library);
  easel_test_spin_ms (10);
  g_clear_object (&f->library);
  g_clear_object (&f->client);
  g_clear_pointer (&f->server, easel_fake_server_free);
  easel_test_rm_rf (f->dir);
  g_free (f->dir);
}

static gboolean
library_ready (Fixture *f)
{
  return easel_library_get_state (f->library) == EASEL_LIBRARY_STATE_READY;
}

static gboolean
head_finished (Fixture *f)
{
  EaselSessionTurn *head = easel_session_get_head (f->session);

  return head != NULL && easel_session_turn_is_finished (head) && !easel_session_get_busy (f->session);
}

static GPtrArray *
all_rows (Fixture *f)
{
  g_autoptr(EaselStoreQuery) query = easel_store_query_new ();
  g_autoptr(GError) error = NULL;
  GPtrArray *rows;

  query->include_failed = TRUE;
  query->sort = EASEL_STORE_SORT_OLDEST;
  rows = easel_store_query (easel_library_get_store (f->library), query, NULL, &error);
  g_assert_no_error (error);
  return rows;
}

static gboolean
stored_n (Fixture *f)
{
  return f->n_stored >= f->want_rows;
}

static EaselRequest *
responses_request (const char *prompt)
{
  EaselRequest *request = easel_request_new (EASEL_API_RESPONSES);

  request->model = g_strdup ("gpt-image-1.5");
  request->responses_model = g_strdup ("gpt-4.1");
  request->prompt = g_strdup (prompt);
  request->size = g_strdup ("1024x1024");
  request->quality = g_strdup ("low");
  request->stream = TRUE;
  request->partial_images = 1;
  return request;
}

static void
send (Fixture    *f,
      const char *prompt)
{
  easel_session_send (f->session, f->client, easel_session_turn_new (prompt), responses_request (prompt));
}

/* Two turns: each is a row with the server's usage, the second built on
 * the first, in the library and in the turns' links. */
static void
test_turns_recorded (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) turns = NULL;
  g_autoptr(GError) error = NULL;
  EaselSessionTurn *first, *second;
  EaselGeneration *a, *b;

  easel_library_load (f->library);
  g_assert_true (wait_for (library_ready, f, 10000));
  easel_session_set_library (f->session, f->library);

  send (f, "a paper boat");
  g_assert_true (wait_for (head_finished, f, 10000));
  first = easel_session_get_head (f->session);
  send (f, "on a pond");
  g_assert_true (wait_for (head_finished, f, 10000));
  second = easel_session_get_head (f->session);
  f->want_rows = 2;
  g_assert_true (wait_for (stored_n, f, 10000));
  easel_library_flush (f->library);

  rows = all_rows (f);
  g_assert_cmpuint (rows->len, ==, 2);
  a = g_ptr_array_index (rows, 0);
  b = g_ptr_array_index (rows, 1);
  g_assert_cmpint (a->status, ==, EASEL_GENERATION_OK);
  g_assert_cmpint (a->input_tokens + a->output_tokens, >, 0);
  g_assert_cmpfloat (a->actual_usd, >, 0);
  g_assert_cmpfloat (a->estimated_usd, >=, 0);
  g_assert_cmpint (b->parent_generation_id, ==, a->id);
  g_assert_cmpint (a->conversation_id, ==, easel_library_link_get_id (easel_session_get_library_link (f->session)));
  g_assert_cmpint (easel_library_link_get_generation_id (easel_session_turn_get_library_link (first)), ==, a->id);
  g_assert_cmpint (easel_library_link_get_generation_id (easel_session_turn_get_library_link (second)), ==, b->id);
  /* The stored image replaces the bytes the turn held, and the answer
   * and last partial are not kept twice (memory over a long session). */
  g_assert_nonnull (easel_session_turn_get_image_file (first));
  g_assert_null (easel_session_turn_get_result (first));
  g_assert_null (easel_session_turn_get_partial_bytes (first));
  g_assert_null (easel_session_turn_get_result (second));

  turns = easel_store_list_turns (easel_library_get_store (f->library), a->conversation_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (turns->len, ==, 2);
  g_assert_cmpint (((EaselTurn *) g_ptr_array_index (turns, 1))->parent_turn_id, ==,
                   ((EaselTurn *) g_ptr_array_index (turns, 0))->id);
  g_assert_cmpstr (((EaselTurn *) g_ptr_array_index (turns, 1))->previous_response_id, ==,
                   easel_session_turn_get_response_id (first));
  g_assert_cmpuint (f->n_errors, ==, 0);
}

/* Sent while the library was still opening: recorded once it is open. */
static void
test_early_turn_kept (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GPtrArray) rows = NULL;

  easel_session_set_library (f->session, f->library);
  send (f, "before the library opened");
  g_assert_true (wait_for (head_finished, f, 10000));
  g_assert_null (easel_session_turn_get_library_link (easel_session_get_head (f->session)));

  easel_library_load (f->library);
  f->want_rows = 1;
  g_assert_true (wait_for (stored_n, f, 10000));
  easel_library_flush (f->library);
  rows = all_rows (f);
  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_cmpint (((EaselGeneration *) g_ptr_array_index (rows, 0))->status, ==, EASEL_GENERATION_OK);
  g_assert_cmpint (((EaselGeneration *) g_ptr_array_index (rows, 0))->output_tokens, >, 0);
}

/* A failure is a row without an image; the turn shows no library image. */
static void
test_failure_no_image (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GPtrArray) rows = NULL;
  EaselRetryPolicy policy;
  EaselGeneration *row;

  easel_retry_policy_init_default (&policy);
  policy.max_retries = 0;
  easel_client_set_retry_policy (f->client, &policy);
  easel_library_load (f->library);
  g_assert_true (wait_for (library_ready, f, 10000));
  easel_session_set_library (f->session, f->library);
  easel_fake_server_queue_reply (f->server, "/v1/responses",
                                 easel_fake_reply_new_error (400, "invalid_request_error", "invalid_value",
                                                             "Invalid value: 'x'."));
  send (f, "this will fail");
  g_assert_true (wait_for (head_finished, f, 10000));
  g_assert_cmpint (easel_session_turn_get_state (easel_session_get_head (f->session)), ==, EASEL_TURN_FAILED);
  f->want_rows = 1;
  g_assert_true (wait_for (stored_n, f, 10000));
  easel_library_flush (f->library);

  rows = all_rows (f);
  g_assert_cmpuint (rows->len, ==, 1);
  row = g_ptr_array_index (rows, 0);
  g_assert_cmpint (row->status, ==, EASEL_GENERATION_FAILED);
  g_assert_null (row->path);
  g_assert_cmpstr (row->error_code, ==, "invalid_value");
  g_assert_cmpint (easel_library_link_get_generation_id (easel_session_turn_get_library_link (easel_session_get_head (f->session))), ==, 0);
}

static void
stage_cb (EaselSession *session,
          GParamSpec   *pspec,
          gboolean     *saw_reconnecting)
{
  if (g_strcmp0 (easel_session_get_stage (session), "Reconnecting…") == 0)
    *saw_reconnecting = TRUE;
}

/* The connection drops after the first partial: the session says
 * "Reconnecting…", the image still arrives (no second POST), and the
 * library does not list the response as in progress once it is recorded. */
static void
test_reconnects_after_drop (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GError) error = NULL;
  gboolean saw_reconnecting = FALSE;

  easel_library_load (f->library);
  g_assert_true (wait_for (library_ready, f, 10000));
  easel_session_set_library (f->session, f->library);
  g_signal_connect (f->session, "notify::stage", G_CALLBACK (stage_cb), &saw_reconnecting);
  easel_fake_server_set_drop_after_partial (f->server, 1);

  send (f, "a kite over dunes");
  g_assert_true (wait_for (head_finished, f, 10000));
  g_assert_cmpint (easel_session_turn_get_state (easel_session_get_head (f->session)), ==, EASEL_TURN_DONE);
  g_assert_true (saw_reconnecting);
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "POST", "/v1/responses"), ==, 1);
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "GET", "/v1/responses/"), ==, 1);

  f->want_rows = 1;
  g_assert_true (wait_for (stored_n, f, 10000));
  easel_library_flush (f->library);
  rows = all_rows (f);
  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_cmpint (((EaselGeneration *) g_ptr_array_index (rows, 0))->status, ==, EASEL_GENERATION_OK);
  pending = easel_store_list_pending_responses (easel_library_get_store (f->library), NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pending->len, ==, 0);
  g_signal_handlers_disconnect_by_func (f->session, stage_cb, &saw_reconnecting);
}

/* The stream breaks and the server no longer knows the response: the turn
 * is incomplete, and stays listed as in progress for `easel resume`. */
static void
test_incomplete_stays_pending (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GError) error = NULL;
  EaselSessionTurn *head;

  easel_library_load (f->library);
  g_assert_true (wait_for (library_ready, f, 10000));
  easel_session_set_library (f->session, f->library);
  easel_fake_server_set_drop_after_partial (f->server, 1);
  easel_fake_server_set_forget_responses (f->server, TRUE);

  send (f, "a lighthouse in rain");
  g_assert_true (wait_for (head_finished, f, 10000));
  head = easel_session_get_head (f->session);
  g_assert_cmpint (easel_session_turn_get_state (head), ==, EASEL_TURN_INCOMPLETE);
  f->want_rows = 1;
  g_assert_true (wait_for (stored_n, f, 10000));
  easel_library_flush (f->library);

  pending = easel_store_list_pending_responses (easel_library_get_store (f->library), NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pending->len, ==, 1);
  g_assert_cmpstr (((EaselPendingResponse *) g_ptr_array_index (pending, 0))->response_id, ==,
                   easel_session_turn_get_response_id (head));
  g_assert_cmpstr (((EaselPendingResponse *) g_ptr_array_index (pending, 0))->base_url, ==,
                   easel_fake_server_get_base_url (f->server));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/session/turns-recorded", test_turns_recorded);
  ADD ("/session/early-turn-kept", test_early_turn_kept);
  ADD ("/session/failure-no-image", test_failure_no_image);
  ADD ("/session/reconnects-after-drop", test_reconnects_after_drop);
  ADD ("/session/incomplete-stays-pending", test_incomplete_stays_pending);
#undef ADD

  return g_test_run ();
}
