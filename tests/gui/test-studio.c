/* test-studio.c: the studio window against the fake OpenAI server, under Xvfb
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-studio"

#include "config.h"

#include <adwaita.h>

#include "easel-canvas-toolbar.h"
#include "easel-session.h"
#include "easel-window.h"
#include "fake-server.h"
#include "gui-test-util.h"

typedef struct
{
  EaselFakeServer *server;
  EaselClient *client;
  EaselWindow *window;
  EaselSession *session;
  EaselCanvas *canvas;
  GPtrArray *frames;        /* "partial"/"final" per canvas texture change */
  GPtrArray *statuses;      /* every session status line seen */
} Fixture;

static EaselSessionTurn *
head (Fixture *f)
{
  return easel_session_get_head (f->session);
}

static gboolean
head_settled (Fixture *f)
{
  EaselSessionTurn *turn = head (f);

  if (turn == NULL || !easel_session_turn_is_finished (turn))
    return FALSE;
  /* The final frame is decoded in a worker; wait for it to land too. */
  if (easel_session_turn_get_state (turn) == EASEL_TURN_DONE)
    return easel_session_turn_get_texture (turn) != NULL && !easel_session_turn_get_is_partial (turn);
  return TRUE;
}

static gboolean
head_has_partial (Fixture *f)
{
  return head (f) && easel_session_turn_get_texture (head (f)) != NULL;
}

static void
canvas_texture_cb (EaselCanvas *canvas,
                   GParamSpec  *pspec,
                   Fixture     *f)
{
  EaselSessionTurn *turn = head (f);

  if (easel_canvas_get_texture (canvas) == NULL || turn == NULL)
    return;
  g_ptr_array_add (f->frames, (gpointer)(easel_session_turn_get_is_partial (turn) ? "partial" : "final"));
}

static void
status_cb (EaselSession *session,
           GParamSpec   *pspec,
           Fixture      *f)
{
  const char *status = easel_session_get_status (session);

  if (status && *status)
    g_ptr_array_add (f->statuses, g_strdup (status));
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  EaselRetryPolicy policy;

  f->server = easel_fake_server_new (&error);
  g_assert_no_error (error);
  /* Spread the events out so each partial is its own main-loop turn. */
  easel_fake_server_set_event_delay_ms (f->server, GPOINTER_TO_UINT (data) ? GPOINTER_TO_UINT (data) : 30);

  f->client = easel_client_new (easel_fake_server_get_base_url (f->server), "sk-test-gui");
  easel_retry_policy_init_default (&policy);
  easel_client_set_retry_policy (f->client, &policy);

  f->window = g_object_new (EASEL_TYPE_WINDOW, "client", f->client, NULL);
  gtk_window_present (GTK_WINDOW (f->window));
  f->session = easel_window_get_conversation (f->window);
  f->canvas = easel_window_get_canvas (f->window);
  f->frames = g_ptr_array_new ();
  f->statuses = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (f->canvas, "notify::texture", G_CALLBACK (canvas_texture_cb), f);
  g_signal_connect (f->session, "notify::status", G_CALLBACK (status_cb), f);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_signal_handlers_disconnect_by_data (f->canvas, f);
  g_signal_handlers_disconnect_by_data (f->session, f);
  gtk_window_destroy (GTK_WINDOW (f->window));
  easel_test_spin_ms (20);
  g_clear_object (&f->client);
  g_clear_pointer (&f->server, easel_fake_server_free);
  g_clear_pointer (&f->frames, g_ptr_array_unref);
  g_clear_pointer (&f->statuses, g_ptr_array_unref);
}

/* Types @prompt into the composer and presses Send. */
static void
send_prompt (Fixture    *f,
             const char *prompt)
{
  easel_composer_set_text (easel_window_get_composer (f->window), prompt);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.send", NULL));
}

static char *
last_previous_response_id (Fixture *f)
{
  const EaselFakeRequest *request = easel_fake_server_get_last_request (f->server);
  g_autoptr(JsonNode) body = NULL;
  JsonObject *object;

  g_assert_nonnull (request);
  g_assert_cmpstr (request->path, ==, "/v1/responses");
  body = easel_fake_request_parse_json (request);
  g_assert_nonnull (body);
  object = json_node_get_object (body);
  if (!json_object_has_member (object, "previous_response_id") ||
      JSON_NODE_HOLDS_NULL (json_object_get_member (object, "previous_response_id")))
    return NULL;
  return g_strdup (json_object_get_string_member (object, "previous_response_id"));
}

static GtkWidget *
find_of_type (GtkWidget *widget,
              GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_of_type (child, type);

      if (found)
        return found;
    }
  return NULL;
}

static void
test_partials_then_final (Fixture       *f,
                          gconstpointer  data)
{
  EaselSessionTurn *turn;
  guint first_final = G_MAXUINT;

  send_prompt (f, "a city park at dawn");
  g_assert_true (easel_session_get_busy (f->session));
  g_assert_true (wait_for (head_settled, f, 20000));

  turn = head (f);
  g_assert_cmpint (easel_session_turn_get_state (turn), ==, EASEL_TURN_DONE);
  g_assert_false (easel_session_get_busy (f->session));
  g_assert_nonnull (easel_session_turn_get_response_id (turn));
  g_assert_true (easel_canvas_get_texture (f->canvas) == easel_session_turn_get_texture (turn));

  /* At least one partial reached the canvas, every partial came before the
   * final, and the final is what stays. */
  for (guint i = 0; i < f->frames->len; i++)
    if (g_str_equal (g_ptr_array_index (f->frames, i), "final") && first_final == G_MAXUINT)
      first_final = i;
  g_assert_cmpuint (first_final, !=, G_MAXUINT);
  g_assert_cmpuint (first_final, >=, 1);
  for (guint i = 0; i < first_final; i++)
    g_assert_cmpstr (g_ptr_array_index (f->frames, i), ==, "partial");
  g_assert_cmpstr (g_ptr_array_index (f->frames, f->frames->len - 1), ==, "final");
  g_assert_false (easel_canvas_get_refining (f->canvas));

  /* The first turn of a conversation continues from nothing. */
  g_assert_null (last_previous_response_id (f));

  /* The image came in fitted to the canvas, and the toolbar says how much
   * that is (not the 100 % it said before there was an image). */
  {
    g_autofree char *expected = g_strdup_printf ("%.0f %%", easel_canvas_get_zoom (f->canvas) * 100);
    GtkWidget *toolbar = find_of_type (GTK_WIDGET (f->canvas), EASEL_TYPE_CANVAS_TOOLBAR);
    GtkLabel *label;

    g_assert_nonnull (toolbar);
    label = GTK_LABEL (gtk_widget_get_template_child (toolbar, EASEL_TYPE_CANVAS_TOOLBAR, "zoom_label"));
    g_assert_cmpfloat (easel_canvas_get_zoom (f->canvas), <, 1.0);
    easel_test_spin_ms (100);
    g_assert_cmpstr (gtk_label_get_label (label), ==, expected);
  }
}

static void
test_second_turn_previous_id (Fixture       *f,
                              gconstpointer  data)
{
  g_autofree char *first_id = NULL;
  g_autofree char *sent = NULL;

  send_prompt (f, "a city park at dawn");
  g_assert_true (wait_for (head_settled, f, 20000));
  first_id = g_strdup (easel_session_turn_get_response_id (head (f)));
  g_assert_nonnull (first_id);

  send_prompt (f, "now add a fountain in the centre");
  g_assert_true (wait_for (head_settled, f, 20000));
  g_assert_cmpint (easel_session_turn_get_state (head (f)), ==, EASEL_TURN_DONE);

  sent = last_previous_response_id (f);
  g_assert_cmpstr (sent, ==, first_id);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->session)), ==, 2);
  g_assert_cmpstr (easel_session_turn_get_response_id (head (f)), !=, first_id);
}

static void
test_branch_from_first (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(EaselSessionTurn) first = NULL;
  g_autoptr(EaselSessionTurn) second = NULL;
  g_autofree char *sent = NULL;
  guint n_siblings = 0;

  send_prompt (f, "a city park at dawn");
  g_assert_true (wait_for (head_settled, f, 20000));
  first = g_object_ref (head (f));
  send_prompt (f, "add a fountain");
  g_assert_true (wait_for (head_settled, f, 20000));
  second = g_object_ref (head (f));
  send_prompt (f, "add ducks");
  g_assert_true (wait_for (head_settled, f, 20000));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->session)), ==, 3);

  /* "Continue from here" on turn 1, as the row's button does. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.continue-from", "s",
                                             easel_session_turn_get_id (first)));
  g_assert_true (head (f) == first);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->session)), ==, 1);

  send_prompt (f, "make it night instead");
  g_assert_true (wait_for (head_settled, f, 20000));
  sent = last_previous_response_id (f);
  g_assert_cmpstr (sent, ==, easel_session_turn_get_response_id (first));

  /* Two branches now hang off turn 1; the pane shows the new one and can
   * switch back to the old one, which kept its three turns. */
  g_object_get (second, "n-siblings", &n_siblings, NULL);
  g_assert_cmpuint (n_siblings, ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->session)), ==, 2);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.switch-branch", "(si)",
                                             easel_session_turn_get_id (head (f)), -1));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->session)), ==, 3);
  g_assert_cmpuint (g_list_model_get_n_items (easel_session_get_all_turns (f->session)), ==, 4);
}

static gboolean
server_idle (Fixture *f)
{
  return easel_fake_server_get_n_active (f->server) == 0;
}

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  EaselSessionTurn *turn;
  gint64 cancelled_at;
  guint n_turns;

  send_prompt (f, "a slow painting");
  turn = head (f);
  g_assert_true (wait_for (head_has_partial, f, 20000));
  g_assert_true (easel_canvas_get_refining (f->canvas));

  g_assert_cmpuint (easel_fake_server_get_n_active (f->server), ==, 1);
  cancelled_at = g_get_monotonic_time ();
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.cancel", NULL));
  /* Marked at once, not when the socket closes. */
  g_assert_cmpint (easel_session_turn_get_state (turn), ==, EASEL_TURN_CANCELLED);
  g_assert_false (easel_session_get_busy (f->session));
  g_assert_false (easel_canvas_get_refining (f->canvas));
  /* …and the request really stops: the server sees the stream go away.
   * How fast is reported, not asserted (a loaded CI machine is no clock);
   * the fake server only notices when it writes its next event, 400 ms
   * apart here, so this is an upper bound. */
  g_assert_true (wait_for (server_idle, f, 5000));
  g_test_message ("server saw the stream closed %.1f ms after Cancel (at its next write)",
                  (g_get_monotonic_time () - cancelled_at) / 1000.0);

  /* Nothing late changes the cancelled turn, and the conversation goes on. */
  easel_test_spin_ms (300);
  g_assert_cmpint (easel_session_turn_get_state (turn), ==, EASEL_TURN_CANCELLED);
  n_turns = g_list_model_get_n_items (G_LIST_MODEL (f->session));
  easel_fake_server_set_event_delay_ms (f->server, 10);
  send_prompt (f, "a quick sketch");
  g_assert_true (wait_for (head_settled, f, 20000));
  g_assert_cmpint (easel_session_turn_get_state (head (f)), ==, EASEL_TURN_DONE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->session)), ==, n_turns + 1);
}

static void
test_rate_limit_retry (Fixture       *f,
                       gconstpointer  data)
{
  gboolean saw_wait = FALSE;

  easel_fake_server_set_fail_first (f->server, 1);
  send_prompt (f, "a busy server");
  g_assert_true (wait_for (head_settled, f, 30000));
  g_assert_cmpint (easel_session_turn_get_state (head (f)), ==, EASEL_TURN_DONE);

  for (guint i = 0; i < f->statuses->len; i++)
    if (strstr (g_ptr_array_index (f->statuses, i), "Rate limited, retrying in") != NULL)
      saw_wait = TRUE;
  g_assert_true (saw_wait);
}

/* A 500 is retried too, and the line says so instead of "Rate limited". */
static void
test_server_error_retry (Fixture       *f,
                         gconstpointer  data)
{
  gboolean saw_cause = FALSE;

  easel_fake_server_set_fail_first_status (f->server, 500);
  easel_fake_server_set_fail_first (f->server, 1);
  send_prompt (f, "a flaky server");
  g_assert_true (wait_for (head_settled, f, 30000));
  g_assert_cmpint (easel_session_turn_get_state (head (f)), ==, EASEL_TURN_DONE);

  for (guint i = 0; i < f->statuses->len; i++)
    {
      const char *status = g_ptr_array_index (f->statuses, i);

      g_assert_null (strstr (status, "Rate limited"));
      if (strstr (status, "Server error (HTTP 500), retrying in") != NULL)
        saw_cause = TRUE;
    }
  g_assert_true (saw_cause);
}

static guint expected_requests;

static gboolean
new_head_settled (Fixture *f)
{
  return easel_fake_server_get_n_requests (f->server) >= expected_requests && head_settled (f) &&
         !easel_session_get_busy (f->session);
}

static gboolean
footer_says_editing (Fixture *f)
{
  g_autofree char *target = NULL;

  g_object_get (easel_window_get_composer (f->window), "target", &target, NULL);
  return target != NULL && strstr (target, "Editing a sent prompt") != NULL;
}

static gboolean
footer_not_editing (Fixture *f)
{
  return !footer_says_editing (f);
}

/* Editing a sent prompt puts it back in the composer; sending it makes a
 * new branch beside the original, from the same parent. */
static void
test_edit_resends_as_branch (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(EaselSessionTurn) first = NULL;
  g_autoptr(EaselSessionTurn) second = NULL;
  g_autofree char *text = NULL;
  g_autofree char *sent = NULL;
  guint n_siblings = 0;

  send_prompt (f, "a red barn");
  expected_requests = 1;
  g_assert_true (wait_for (new_head_settled, f, 20000));
  first = g_object_ref (head (f));
  send_prompt (f, "make it blue");
  expected_requests = 2;
  g_assert_true (wait_for (new_head_settled, f, 20000));
  second = g_object_ref (head (f));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.edit-turn", "s",
                                             easel_session_turn_get_id (second)));
  text = easel_composer_dup_text (easel_window_get_composer (f->window));
  g_assert_cmpstr (text, ==, "make it blue");
  g_assert_true (head (f) == first);
  /* The footer says an edit is under way, and how to drop it. */
  g_assert_true (wait_for (footer_says_editing, f, 5000));

  /* Escape drops the edit: the branch on show comes back, the composer
   * empties. Editing again, then sending, makes the new branch. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.cancel", NULL));
  g_assert_true (head (f) == second);
  g_clear_pointer (&text, g_free);
  text = easel_composer_dup_text (easel_window_get_composer (f->window));
  g_assert_cmpstr (text, ==, "");
  g_assert_true (wait_for (footer_not_editing, f, 5000));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.edit-turn", "s",
                                             easel_session_turn_get_id (second)));
  g_assert_true (head (f) == first);

  send_prompt (f, "make it green");
  expected_requests = 3;
  g_assert_true (wait_for (new_head_settled, f, 20000));
  g_assert_true (head (f) != second);
  g_assert_true (easel_session_turn_get_parent (head (f)) == first);
  g_assert_cmpstr (easel_session_turn_get_prompt (head (f)), ==, "make it green");
  sent = last_previous_response_id (f);
  g_assert_cmpstr (sent, ==, easel_session_turn_get_response_id (first));
  g_object_get (head (f), "n-siblings", &n_siblings, NULL);
  g_assert_cmpuint (n_siblings, ==, 2);
  g_assert_true (wait_for (footer_not_editing, f, 5000));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  if (!gtk_init_check ())
    {
      /* 77: meson counts the test as skipped. */
      g_printerr ("No display: the studio UI tests need Xvfb; skipping\n");
      return 77;
    }
  adw_init ();

  g_test_add ("/gui/studio/partials-then-final", Fixture, GUINT_TO_POINTER (60),
              fixture_setup, test_partials_then_final, fixture_teardown);
  g_test_add ("/gui/studio/second-turn-previous-id", Fixture, NULL,
              fixture_setup, test_second_turn_previous_id, fixture_teardown);
  g_test_add ("/gui/studio/branch-from-first", Fixture, NULL,
              fixture_setup, test_branch_from_first, fixture_teardown);
  g_test_add ("/gui/studio/cancel", Fixture, GUINT_TO_POINTER (400),
              fixture_setup, test_cancel, fixture_teardown);
  g_test_add ("/gui/studio/rate-limit-retry", Fixture, NULL,
              fixture_setup, test_rate_limit_retry, fixture_teardown);
  g_test_add ("/gui/studio/edit-resends-as-branch", Fixture, NULL,
              fixture_setup, test_edit_resends_as_branch, fixture_teardown);
  g_test_add ("/gui/studio/server-error-retry", Fixture, NULL,
              fixture_setup, test_server_error_retry, fixture_teardown);

  return g_test_run ();
}
