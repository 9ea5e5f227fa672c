/* test-studio-edges.c: the studio window's error, moderation, key, broken
 * stream, streamed text, candidate strip, parameter, paste and narrow paths,
 * against the fake OpenAI server under Xvfb
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-studio-edges"

#include "config.h"

#include <adwaita.h>

#include "easel-application.h"
#include "easel-params-popover.h"
#include "easel-preferences-window.h"
#include "easel-session.h"
#include "easel-turn-row.h"
#include "easel-window.h"
#include "fake-server.h"
#include "gui-test-util.h"

typedef struct
{
  guint event_delay_ms;
  gboolean with_app;      /* a registered EaselApplication (Preferences needs it) */
  gboolean with_settings; /* the window follows GSettings (memory backend, reset first) */
} Setup;

typedef struct
{
  EaselFakeServer *server;
  EaselClient *client;
  EaselApplication *app;
  GSettings *settings;
  EaselWindow *window;
  EaselSession *session;
  EaselCanvas *canvas;
  EaselComposer *composer;
  GPtrArray *labels;        /* assistant label texts, as they changed */
  EaselSessionTurn *watched;
  guint32 expected_pixel;
} Fixture;

/* ---- Main loop helpers ---- */

/* ---- Widget lookup ---- */

static GtkWidget *
find_descendant (GtkWidget *root,
                 gboolean (*match) (GtkWidget *, gconstpointer),
                 gconstpointer data)
{
  if (match (root, data))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_descendant (child, match, data);
      if (found)
        return found;
    }
  return NULL;
}

static gboolean
is_row_for (GtkWidget    *widget,
            gconstpointer turn)
{
  return EASEL_IS_TURN_ROW (widget) && easel_turn_row_get_item (EASEL_TURN_ROW (widget)) == turn;
}

static gboolean
is_toggle_with_icon (GtkWidget    *widget,
                     gconstpointer icon)
{
  return GTK_IS_TOGGLE_BUTTON (widget) &&
         g_strcmp0 (gtk_button_get_icon_name (GTK_BUTTON (widget)), icon) == 0;
}

static gboolean
is_toast (GtkWidget    *widget,
          gconstpointer data)
{
  return g_str_equal (G_OBJECT_TYPE_NAME (widget), "AdwToastWidget");
}

static gboolean
shows_text (GtkWidget    *widget,
            gconstpointer text)
{
  const char *label = NULL;

  if (GTK_IS_LABEL (widget))
    label = gtk_label_get_label (GTK_LABEL (widget));
  else if (GTK_IS_BUTTON (widget))
    label = gtk_button_get_label (GTK_BUTTON (widget));
  return label != NULL && strstr (label, text) != NULL;
}

static gboolean
has_action (GtkWidget    *widget,
            gconstpointer action)
{
  return GTK_IS_ACTIONABLE (widget) &&
         g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action) == 0;
}

/* Whether the toast on show has @text in its title or its button. */
static gboolean
toast_shows (gpointer    window,
             const char *text)
{
  GtkWidget *toast = find_descendant (GTK_WIDGET (window), is_toast, NULL);

  return toast != NULL && find_descendant (toast, shows_text, text) != NULL;
}

static EaselTurnRow *
find_row (Fixture          *f,
          EaselSessionTurn *turn)
{
  return (EaselTurnRow *)find_descendant (GTK_WIDGET (f->window), is_row_for, turn);
}

static GtkWidget *
child_of (gpointer    widget,
          GType       template_type,
          const char *id)
{
  GObject *child = gtk_widget_get_template_child (GTK_WIDGET (widget), template_type, id);

  g_assert_nonnull (child);
  return GTK_WIDGET (child);
}

static GtkWidget *
row_child (EaselTurnRow *row,
           const char   *id)
{
  return child_of (row, EASEL_TYPE_TURN_ROW, id);
}

static const char *
row_label (EaselTurnRow *row,
           const char   *id)
{
  return gtk_label_get_label (GTK_LABEL (row_child (row, id)));
}

/* Visible as far as the user is concerned: it and every ancestor. */
static gboolean
is_shown (GtkWidget *widget)
{
  for (GtkWidget *w = widget; w; w = gtk_widget_get_parent (w))
    if (!gtk_widget_get_visible (w) || !gtk_widget_get_child_visible (w))
      return FALSE;
  return TRUE;
}

/* ---- Conditions ---- */

static EaselSessionTurn *
head (Fixture *f)
{
  return easel_session_get_head (f->session);
}

static gboolean
head_finished (Fixture *f)
{
  EaselSessionTurn *turn = head (f);

  if (turn == NULL || !easel_session_turn_is_finished (turn))
    return FALSE;
  /* The final frame is decoded in a worker; wait for it too. */
  if (easel_session_turn_get_state (turn) == EASEL_TURN_DONE)
    return easel_session_turn_get_texture (turn) != NULL && !easel_session_turn_get_is_partial (turn);
  return TRUE;
}

static gboolean
head_row_exists (Fixture *f)
{
  return head (f) != NULL && find_row (f, head (f)) != NULL;
}

/* ---- Fixture ---- */

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  const Setup *setup = data;
  g_autoptr(GError) error = NULL;
  EaselRetryPolicy policy;

  f->server = easel_fake_server_new (&error);
  g_assert_no_error (error);
  easel_fake_server_set_event_delay_ms (f->server, setup->event_delay_ms);
  /* Small images: the tests compare colours, not sizes. */
  easel_fake_server_set_image_size (f->server, 64, 64);

  f->client = easel_client_new (easel_fake_server_get_base_url (f->server), "sk-test-edges");
  /* Retries as the SDK does them, only quicker, so "retries exhausted"
   * takes a moment rather than half a minute. */
  easel_retry_policy_init_default (&policy);
  policy.max_retries = 2;
  policy.initial_delay_ms = 20;
  policy.max_delay_ms = 50;
  easel_client_set_retry_policy (f->client, &policy);

  if (setup->with_app)
    {
      f->app = easel_application_new ();
      g_application_set_flags (G_APPLICATION (f->app), G_APPLICATION_NON_UNIQUE);
      g_application_register (G_APPLICATION (f->app), NULL, &error);
      g_assert_no_error (error);
    }

  if (setup->with_settings)
    {
      g_autoptr(GSettingsSchema) schema = NULL;
      g_auto(GStrv) keys = NULL;

      f->settings = easel_params_dup_default_settings ();
      g_assert_nonnull (f->settings);
      /* The memory backend lives as long as the process. */
      g_object_get (f->settings, "settings-schema", &schema, NULL);
      keys = g_settings_schema_list_keys (schema);
      for (guint i = 0; keys[i] != NULL; i++)
        g_settings_reset (f->settings, keys[i]);
    }

  f->window = g_object_new (EASEL_TYPE_WINDOW,
                            "application", f->app,
                            "client", f->client,
                            "settings", f->settings,
                            NULL);
  gtk_window_present (GTK_WINDOW (f->window));
  f->session = easel_window_get_conversation (f->window);
  f->canvas = easel_window_get_canvas (f->window);
  f->composer = easel_window_get_composer (f->window);
  f->labels = g_ptr_array_new_with_free_func (g_free);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  GList *toplevels = gtk_window_list_toplevels ();

  /* Preferences windows opened by a test go too. */
  for (GList *l = toplevels; l; l = l->next)
    if (EASEL_IS_PREFERENCES_WINDOW (l->data))
      gtk_window_destroy (l->data);
  g_list_free (toplevels);

  if (f->watched)
    g_signal_handlers_disconnect_by_data (f->watched, f);
  gtk_window_destroy (GTK_WINDOW (f->window));
  easel_test_spin_ms (20);
  g_clear_object (&f->watched);
  g_clear_object (&f->app);
  g_clear_object (&f->settings);
  g_clear_object (&f->client);
  g_clear_pointer (&f->server, easel_fake_server_free);
  g_clear_pointer (&f->labels, g_ptr_array_unref);
}

/* ---- User actions ---- */

static void
send_prompt (Fixture    *f,
             const char *prompt)
{
  easel_composer_set_text (f->composer, prompt);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.send", NULL));
}

static void
set_images_mode (Fixture  *f,
                 gboolean  images)
{
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (child_of (f->composer, EASEL_TYPE_COMPOSER, "images_toggle")),
                                images);
  g_assert_cmpint (easel_params_is_images_api (easel_composer_get_params (f->composer)), ==, images);
}

static GtkWidget *
params_child (Fixture    *f,
              const char *id)
{
  return child_of (child_of (f->composer, EASEL_TYPE_COMPOSER, "params_popover"),
                   EASEL_TYPE_PARAMS_POPOVER, id);
}

/* Picks @value in a parameters drop-down, as a click in its list would. */
static void
choose (Fixture    *f,
        const char *dropdown_id,
        const char *value)
{
  GtkDropDown *dropdown = GTK_DROP_DOWN (params_child (f, dropdown_id));
  GListModel *model = gtk_drop_down_get_model (dropdown);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    if (g_strcmp0 (gtk_string_list_get_string (GTK_STRING_LIST (model), i), value) == 0)
      {
        gtk_drop_down_set_selected (dropdown, i);
        return;
      }
  g_error ("“%s” is not offered by %s", value, dropdown_id);
}

static gboolean
dropdown_offers (Fixture    *f,
                 const char *dropdown_id,
                 const char *value)
{
  GListModel *model = gtk_drop_down_get_model (GTK_DROP_DOWN (params_child (f, dropdown_id)));

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    if (g_strcmp0 (gtk_string_list_get_string (GTK_STRING_LIST (model), i), value) == 0)
      return TRUE;
  return FALSE;
}

static JsonObject *
request_object (JsonNode *node)
{
  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_node_get_object (node);
}

/* ---- 1. Inline error, then Retry ---- */

static const char invalid_value_message[] =
  "Invalid value: 'ultra'. Supported values are: 'low', 'medium', 'high', and 'auto'.";

static void
test_error_then_retry (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(EaselSessionTurn) failed = NULL;
  g_autoptr(JsonNode) first = NULL;
  g_autoptr(JsonNode) second = NULL;
  g_autofree char *first_json = NULL;
  g_autofree char *second_json = NULL;
  EaselTurnRow *row;
  GtkWidget *retry_button;
  GtkWidget *focus;
  guint n_siblings = 0;

  easel_fake_server_queue_reply (f->server, "/v1/responses",
                                 easel_fake_reply_new_error (400, "invalid_request_error", "invalid_value",
                                                             invalid_value_message));
  send_prompt (f, "a lighthouse in a storm");
  g_assert_true (wait_for (head_finished, f, 20000));
  failed = g_object_ref (head (f));

  /* A 400 is not retried by the client: one request, one failed turn. */
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
  g_assert_cmpint (easel_session_turn_get_state (failed), ==, EASEL_TURN_FAILED);
  g_assert_null (easel_canvas_get_texture (f->canvas));

  /* The OpenAI message is shown inline in the turn, with Retry. */
  g_assert_true (wait_for (head_row_exists, f, 5000));
  row = find_row (f, failed);
  g_assert_true (is_shown (row_child (row, "error_box")));
  g_assert_nonnull (strstr (row_label (row, "error_label"), invalid_value_message));
  g_assert_false (gtk_widget_get_visible (row_child (row, "keys_button")));
  g_assert_false (gtk_widget_get_visible (row_child (row, "billing_button")));
  /* The toast is short and points at the turn, with its own Retry; the
   * long message never covers the conversation. */
  g_assert_true (toast_shows (f->window, "the conversation says why"));
  g_assert_false (toast_shows (f->window, "Supported values are"));
  g_assert_true (toast_shows (f->window, "Retry"));
  /* The prompt is back in the composer, not lost. */
  {
    g_autofree char *text = easel_composer_dup_text (f->composer);
    g_assert_cmpstr (text, ==, "a lighthouse in a storm");
  }

  /* Retry as the row's button does, with the focus on it as after a click. */
  retry_button = find_descendant (row_child (row, "error_box"), has_action, "turn.retry");
  g_assert_nonnull (retry_button);
  g_assert_true (gtk_widget_grab_focus (retry_button));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "turn.retry", NULL));
  g_assert_true (easel_session_get_busy (f->session));
  /* Sent again, so it left the composer. */
  {
    g_autofree char *text = easel_composer_dup_text (f->composer);
    g_assert_cmpstr (text, ==, "");
  }
  /* The button hides with the error: focus goes to the prompt, not to a
   * selectable label that would select all its text. */
  focus = gtk_root_get_focus (GTK_ROOT (f->window));
  g_assert_nonnull (focus);
  g_assert_true (gtk_widget_is_ancestor (focus, GTK_WIDGET (f->composer)));
  g_assert_true (head (f) != failed);
  g_assert_true (wait_for (head_finished, f, 20000));

  g_assert_cmpint (easel_session_turn_get_state (head (f)), ==, EASEL_TURN_DONE);
  g_assert_cmpstr (easel_session_turn_get_prompt (head (f)), ==, "a lighthouse in a storm");
  g_assert_nonnull (easel_canvas_get_texture (f->canvas));
  g_assert_true (easel_canvas_get_texture (f->canvas) == easel_session_turn_get_texture (head (f)));

  /* The same request went out again, and the retry sits beside the failed
   * turn rather than after it. */
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 2);
  first = easel_fake_request_parse_json (easel_fake_server_get_request (f->server, 0));
  second = easel_fake_request_parse_json (easel_fake_server_get_request (f->server, 1));
  first_json = json_to_string (first, FALSE);
  second_json = json_to_string (second, FALSE);
  g_assert_cmpstr (first_json, ==, second_json);
  g_object_get (head (f), "n-siblings", &n_siblings, NULL);
  g_assert_cmpuint (n_siblings, ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->session)), ==, 1);
}

static gboolean
session_busy (Fixture *f)
{
  return easel_session_get_busy (f->session);
}

/* A cancelled turn has no error, but it can be sent again and its prompt
 * is back in the composer; a quota error offers the billing page. */
static void
test_cancel_and_quota (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(EaselSessionTurn) cancelled = NULL;
  g_autoptr(EaselSessionTurn) broke = NULL;
  g_autofree char *text = NULL;
  EaselTurnRow *row;

  easel_fake_server_set_event_delay_ms (f->server, 400);
  send_prompt (f, "a slow harbour at dusk");
  g_assert_true (wait_for (session_busy, f, 5000));
  cancelled = g_object_ref (head (f));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.cancel", NULL));
  g_assert_cmpint (easel_session_turn_get_state (cancelled), ==, EASEL_TURN_CANCELLED);
  g_assert_true (wait_for (head_row_exists, f, 5000));
  row = find_row (f, cancelled);
  g_assert_true (is_shown (row_child (row, "error_box")));
  /* It says what happened, beside its Retry. */
  g_assert_true (gtk_widget_get_visible (row_child (row, "error_label")));
  g_assert_nonnull (strstr (row_label (row, "error_label"), "Cancelled"));
  g_assert_nonnull (find_descendant (row_child (row, "error_box"), has_action, "turn.retry"));
  text = easel_composer_dup_text (f->composer);
  g_assert_cmpstr (text, ==, "a slow harbour at dusk");
  g_clear_pointer (&text, g_free);

  /* Send something else: the composer is the user's again. */
  easel_fake_server_set_event_delay_ms (f->server, 10);
  easel_fake_server_queue_reply (f->server, "/v1/responses",
                                 easel_fake_reply_new_error (429, "insufficient_quota", "insufficient_quota",
                                                             "You exceeded your current quota, please check your plan and billing details."));
  easel_composer_set_text (f->composer, "");
  send_prompt (f, "a quiet field");
  g_assert_true (wait_for (head_finished, f, 20000));
  broke = g_object_ref (head (f));
  g_assert_cmpint (easel_session_turn_get_state (broke), ==, EASEL_TURN_FAILED);
  g_assert_true (wait_for (head_row_exists, f, 5000));
  row = find_row (f, broke);
  g_assert_true (is_shown (row_child (row, "billing_button")));
  g_assert_false (gtk_widget_get_visible (row_child (row, "keys_button")));
}

static void
test_server_error_exhausted (Fixture       *f,
                             gconstpointer  data)
{
  EaselTurnRow *row;
  g_autoptr(EaselSessionTurn) failed = NULL;

  /* The first try and both retries get a 500. */
  for (guint i = 0; i < 3; i++)
    easel_fake_server_queue_reply (f->server, "/v1/responses",
                                   easel_fake_reply_new_error (500, "server_error", NULL,
                                                               "The server had an error while processing your request."));
  send_prompt (f, "a lighthouse in a storm");
  g_assert_true (wait_for (head_finished, f, 20000));
  failed = g_object_ref (head (f));

  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 3);
  g_assert_cmpint (easel_session_turn_get_state (failed), ==, EASEL_TURN_FAILED);
  g_assert_true (wait_for (head_row_exists, f, 5000));
  row = find_row (f, failed);
  g_assert_true (is_shown (row_child (row, "error_box")));
  g_assert_nonnull (strstr (row_label (row, "error_label"), "The server had an error"));

  /* The toast's Retry button activates win.retry-turn with the turn id. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.retry-turn", "s",
                                             easel_session_turn_get_id (failed)));
  g_assert_true (wait_for (head_finished, f, 20000));
  g_assert_cmpint (easel_session_turn_get_state (head (f)), ==, EASEL_TURN_DONE);
  g_assert_nonnull (easel_canvas_get_texture (f->canvas));
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 4);
}

/* ---- 2. Moderation ---- */

static const char moderation_body[] =
  "{\"error\":{\"message\":\"Your request was rejected by the safety system. If you believe this is an "
  "error, contact us at help.openai.com and include the request ID 3f1c2a9e-6d0b-4f57-9a1e-8c2b7d4e5f60. "
  "safety_violations=[sexual].\",\"type\":\"image_generation_user_error\",\"param\":null,"
  "\"code\":\"moderation_blocked\",\"moderation_details\":{\"moderation_stage\":\"input\","
  "\"categories\":[\"sexual\",\"violence\"]}}}";

static void
assert_moderation_shown (Fixture    *f,
                         const char *category)
{
  EaselTurnRow *row;
  const char *text;

  g_assert_true (wait_for (head_finished, f, 20000));
  g_assert_cmpint (easel_session_turn_get_state (head (f)), ==, EASEL_TURN_FAILED);
  g_assert_true (g_error_matches (easel_session_turn_get_error (head (f)),
                                  EASEL_API_ERROR, EASEL_API_ERROR_MODERATION));
  g_assert_true (wait_for (head_row_exists, f, 5000));
  row = find_row (f, head (f));
  g_assert_true (is_shown (row_child (row, "error_box")));
  text = row_label (row, "error_label");
  g_test_message ("moderation text: %s", text);
  g_assert_nonnull (strstr (text, "moderation"));
  g_assert_nonnull (strstr (text, category));
  /* No Retry: the same prompt would be refused again; it is in the
   * composer to change. */
  g_assert_false (gtk_widget_get_visible (row_child (row, "retry_button")));
}

static void
test_moderation_http (Fixture       *f,
                      gconstpointer  data)
{
  easel_fake_server_queue_reply (f->server, "/v1/responses",
                                 easel_fake_reply_new_json (400, moderation_body));
  send_prompt (f, "something the safety system refuses");
  assert_moderation_shown (f, "violence");
}

static void
test_moderation_stream (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "data", "sse",
                                                 "responses-image-moderation-blocked.sse", NULL);
  g_autoptr(GError) error = NULL;
  EaselFakeReply *reply = easel_fake_reply_new_from_file (path, &error);

  g_assert_no_error (error);
  easel_fake_server_queue_reply (f->server, "/v1/responses", reply);
  send_prompt (f, "something the safety system refuses after drawing it");
  assert_moderation_shown (f, "sexual");
}

/* ---- 3. 401 leads to the key settings ---- */

static GtkWindow *
find_preferences (void)
{
  GList *toplevels = gtk_window_list_toplevels ();
  GtkWindow *found = NULL;

  for (GList *l = toplevels; l; l = l->next)
    if (EASEL_IS_PREFERENCES_WINDOW (l->data) && gtk_widget_get_mapped (l->data))
      found = l->data;
  g_list_free (toplevels);
  return found;
}

static gboolean
preferences_shown (Fixture *f)
{
  return find_preferences () != NULL;
}

/* A hostile server's error: terminal controls, markup and 900 KB of text.
 * The row shows it escaped and capped, the toast shortened and as text. */
static void
test_hostile_error_text (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *filler = g_strnfill (900 * 1024, 'A');
  g_autofree char *message = g_strconcat ("\033[2J\033]0;pwned\007<b>bold</b> & ", filler, NULL);
  EaselTurnRow *row;
  const char *label;

  easel_fake_server_queue_reply (f->server, "/v1/responses",
                                 easel_fake_reply_new_error (400, "invalid_request_error", "invalid_value",
                                                             message));
  send_prompt (f, "a lighthouse in a storm");
  g_assert_true (wait_for (head_finished, f, 20000));
  g_assert_true (wait_for (head_row_exists, f, 5000));
  row = find_row (f, head (f));

  label = row_label (row, "error_label");
  g_assert_null (strchr (label, '\033'));
  g_assert_null (strchr (label, '\007'));
  g_assert_nonnull (strstr (label, "\\x1b[2J\\x1b]0;pwned\\x07<b>bold</b> & AAA"));
  g_assert_nonnull (strstr (label, "more characters)"));
  g_assert_cmpuint (strlen (label), <, 8 * 1024);

  /* The toast carries none of the server's text: it points at the turn. */
  g_assert_true (toast_shows (f->window, "the conversation says why"));
  g_assert_false (toast_shows (f->window, "pwned"));
  g_assert_false (toast_shows (f->window, "<b>"));
}

static void
test_invalid_key (Fixture       *f,
                  gconstpointer  data)
{
  EaselTurnRow *row;
  GtkWidget *keys_button;
  GtkWindow *prefs;
  GtkWidget *key_row;
  GtkWidget *focus;

  easel_fake_server_queue_reply (f->server, "/v1/responses",
                                 easel_fake_reply_new_error (401, "invalid_request_error", "invalid_api_key",
                                                             "Incorrect API key provided: sk-test. You can find "
                                                             "your API key at https://platform.openai.com/account/api-keys."));
  send_prompt (f, "a city park at dawn");
  g_assert_true (wait_for (head_finished, f, 20000));
  g_assert_cmpint (easel_session_turn_get_state (head (f)), ==, EASEL_TURN_FAILED);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);

  g_assert_true (wait_for (head_row_exists, f, 5000));
  row = find_row (f, head (f));
  g_assert_nonnull (strstr (row_label (row, "error_label"), "Incorrect API key"));
  /* The key itself never reaches the screen. */
  g_assert_null (strstr (row_label (row, "error_label"), "sk-test-edges"));
  keys_button = row_child (row, "keys_button");
  g_assert_true (is_shown (keys_button));
  /* The toast leads to the key too, not to a Retry that would fail again. */
  g_assert_true (toast_shows (f->window, "The API key was refused"));
  g_assert_true (toast_shows (f->window, "Set Key"));
  g_assert_false (toast_shows (f->window, "Retry"));

  g_assert_false (preferences_shown (f));
  g_signal_emit_by_name (keys_button, "clicked");
  g_assert_true (wait_for (preferences_shown, f, 5000));

  /* It opens on the key: the key row has the focus. */
  prefs = find_preferences ();
  key_row = child_of (prefs, EASEL_TYPE_PREFERENCES_WINDOW, "key_row");
  focus = gtk_window_get_focus (prefs);
  g_assert_nonnull (focus);
  g_assert_true (focus == key_row || gtk_widget_is_ancestor (focus, key_row));
}

/* ---- 4. Lost connection ---- */

static char *
png_base64 (guint32 rgba,
            int     width,
            int     height)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  g_autofree char *buffer = NULL;
  gsize len = 0;

  gdk_pixbuf_fill (pixbuf, rgba);
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &len, "png", NULL, NULL));
  return g_base64_encode ((const guchar *)buffer, len);
}

static gboolean
head_has_texture (Fixture *f)
{
  return head (f) != NULL && easel_session_turn_get_texture (head (f)) != NULL;
}

/* @data: the delay between events; a short one drops the connection right
 * behind the partial, while a large partial is still being decoded. */
static void
test_lost_connection (Fixture       *f,
                      gconstpointer  data)
{
  guint delay = GPOINTER_TO_UINT (data);
  g_autofree char *partial = delay >= 50 ? png_base64 (0x3080c0ff, 32, 32) : png_base64 (0x3080c0ff, 1536, 1024);
  g_autofree char *created = NULL;
  g_autofree char *partial_event = NULL;
  g_autoptr(GBytes) body = NULL;
  EaselFakeReply *reply;
  EaselTurnRow *row;
  GString *sse = g_string_new (NULL);

  created = g_strdup ("{\"type\":\"response.created\",\"sequence_number\":0,\"response\":"
                      "{\"id\":\"resp_lost\",\"object\":\"response\",\"status\":\"in_progress\",\"output\":[]}}");
  partial_event = g_strdup_printf ("{\"type\":\"response.image_generation_call.partial_image\",\"sequence_number\":3,"
                                   "\"output_index\":0,\"item_id\":\"ig_lost\",\"partial_image_index\":0,"
                                   "\"partial_image_b64\":\"%s\"}", partial);
  g_string_append_printf (sse, "event: response.created\ndata: %s\n\n", created);
  g_string_append (sse, "event: response.output_item.added\ndata: {\"type\":\"response.output_item.added\","
                        "\"sequence_number\":1,\"output_index\":0,\"item\":{\"id\":\"ig_lost\","
                        "\"type\":\"image_generation_call\",\"status\":\"in_progress\",\"result\":null}}\n\n");
  g_string_append (sse, "event: response.image_generation_call.generating\ndata: {\"type\":"
                        "\"response.image_generation_call.generating\",\"sequence_number\":2,"
                        "\"output_index\":0,\"item_id\":\"ig_lost\"}\n\n");
  g_string_append_printf (sse, "event: response.image_generation_call.partial_image\ndata: %s\n\n", partial_event);
  body = g_string_free_to_bytes (sse);

  /* Every event goes out, then the connection drops mid-response. */
  reply = easel_fake_reply_new_sse (body);
  easel_fake_reply_set_event_delay (reply, delay);
  easel_fake_reply_set_abort (reply, g_bytes_get_size (body));
  easel_fake_server_queue_reply (f->server, "/v1/responses", reply);

  send_prompt (f, "a stream that breaks");
  g_assert_true (wait_for (head_finished, f, 20000));

  g_test_message ("%u requests, state %d, error: %s", easel_fake_server_get_n_requests (f->server),
                  easel_session_turn_get_state (head (f)),
                  easel_session_turn_get_error_message (head (f)));
  g_assert_cmpint (easel_session_turn_get_state (head (f)), ==, EASEL_TURN_INCOMPLETE);
  /* A broken stream is not POSTed again: it would bill twice. It is asked
   * for by id once, which this server does not know (404). */
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "POST", "/v1/responses"), ==, 1);
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "GET", "/v1/responses/resp_lost"), ==, 1);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 2);

  /* The last partial stays on the canvas, marked incomplete. */
  g_assert_true (wait_for (head_has_texture, f, 5000));
  g_assert_true (easel_session_turn_get_is_partial (head (f)));
  g_assert_true (easel_canvas_get_texture (f->canvas) == easel_session_turn_get_texture (head (f)));
  g_assert_true (easel_canvas_get_incomplete (f->canvas));
  g_assert_false (easel_canvas_get_refining (f->canvas));

  g_assert_true (wait_for (head_row_exists, f, 5000));
  row = find_row (f, head (f));
  g_assert_true (is_shown (row_child (row, "meta_label")));
  g_assert_nonnull (strstr (row_label (row, "meta_label"), "Incomplete"));
  g_assert_true (is_shown (row_child (row, "result_frame")));
  /* Still a way to ask again. */
  g_assert_true (is_shown (row_child (row, "error_box")));
}

/* The Images API has no response id: a broken stream cannot be resumed,
 * the row says so, and nothing is asked again. */
static void
test_lost_images_stream (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *partial = png_base64 (0x3080c0ff, 32, 32);
  g_autofree char *event = g_strdup_printf ("{\"type\":\"image_generation.partial_image\",\"b64_json\":\"%s\","
                                            "\"partial_image_index\":0,\"size\":\"1024x1024\","
                                            "\"quality\":\"low\",\"output_format\":\"png\"}", partial);
  g_autofree char *sse = g_strdup_printf ("event: image_generation.partial_image\ndata: %s\n\n", event);
  g_autoptr(GBytes) body = g_bytes_new (sse, strlen (sse));
  EaselFakeReply *reply = easel_fake_reply_new_sse (body);
  EaselTurnRow *row;

  easel_fake_reply_set_abort (reply, g_bytes_get_size (body));
  easel_fake_server_queue_reply (f->server, "/v1/images/generations", reply);
  set_images_mode (f, TRUE);
  send_prompt (f, "an images stream that breaks");
  g_assert_true (wait_for (head_finished, f, 20000));
  g_assert_cmpint (easel_session_turn_get_state (head (f)), ==, EASEL_TURN_INCOMPLETE);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
  g_assert_true (wait_for (head_row_exists, f, 5000));
  row = find_row (f, head (f));
  g_assert_nonnull (strstr (row_label (row, "meta_label"), "cannot resume"));
}

/* ---- 5. Streamed assistant text ---- */

static void
assistant_label_cb (GtkLabel   *label,
                    GParamSpec *pspec,
                    Fixture    *f)
{
  const char *text = gtk_label_get_label (label);

  /* Only what the user saw while the turn was still running. */
  if (text && *text && gtk_widget_get_visible (GTK_WIDGET (label)) && f->watched &&
      easel_session_turn_get_state (f->watched) == EASEL_TURN_RUNNING)
    g_ptr_array_add (f->labels, g_strdup (text));
}

static void
turn_text_cb (EaselSessionTurn *turn,
              GParamSpec       *pspec,
              Fixture          *f)
{
  EaselTurnRow *row = find_row (f, turn);
  GtkWidget *label;

  /* The row may have been built after the notify; read its label now. */
  if (row == NULL)
    return;
  label = row_child (row, "assistant_label");
  assistant_label_cb (GTK_LABEL (label), NULL, f);
}

static void
test_lost_connection_paced (Fixture       *f,
                            gconstpointer  data)
{
  test_lost_connection (f, GUINT_TO_POINTER (50));
}

static void
test_lost_connection_at_once (Fixture       *f,
                              gconstpointer  data)
{
  test_lost_connection (f, GUINT_TO_POINTER (5));
}

static void
test_streamed_text (Fixture       *f,
                    gconstpointer  data)
{
  const char *final;
  EaselTurnRow *row;
  guint n_distinct = 0;

  send_prompt (f, "a red fox in the snow");
  f->watched = g_object_ref (head (f));
  /* The row's label is read right after each delta lands on the turn
   * (it updates on the same notify). */
  g_signal_connect_after (f->watched, "notify::assistant-text", G_CALLBACK (turn_text_cb), f);
  g_assert_true (wait_for (head_finished, f, 20000));
  g_assert_cmpint (easel_session_turn_get_state (head (f)), ==, EASEL_TURN_DONE);

  row = find_row (f, head (f));
  g_assert_nonnull (row);
  final = row_label (row, "assistant_label");
  g_assert_cmpstr (final, ==, easel_session_turn_get_assistant_text (head (f)));
  g_assert_cmpstr (final, !=, "");
  g_assert_true (is_shown (row_child (row, "assistant_label")));

  /* The label grew word by word while the turn ran: every value seen is a
   * prefix of the final text, and there were several. */
  for (guint i = 0; i < f->labels->len; i++)
    {
      const char *seen = g_ptr_array_index (f->labels, i);

      g_assert_true (g_str_has_prefix (final, seen));
      if (i == 0 || g_strcmp0 (seen, g_ptr_array_index (f->labels, i - 1)) != 0)
        n_distinct++;
    }
  g_test_message ("%u distinct label texts while running", n_distinct);
  g_assert_cmpuint (n_distinct, >=, 3);
  g_assert_cmpuint (strlen (g_ptr_array_index (f->labels, 0)), <, strlen (final));
}

/* ---- 6. n > 1: the candidate strip ---- */

static gboolean
head_has_three_candidates (Fixture *f)
{
  return head_finished (f) &&
         g_list_model_get_n_items (easel_session_turn_get_candidates (head (f))) == 3;
}

static guint32
texture_pixel (GdkTexture *texture)
{
  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);
  g_autofree guchar *data = g_malloc ((gsize)width * height * 4);
  guint32 pixel;

  gdk_texture_download (texture, data, (gsize)width * 4);
  /* Cairo ARGB32 in native order; the middle pixel, alpha dropped. */
  memcpy (&pixel, data + ((gsize)(height / 2) * width + width / 2) * 4, 4);
  return pixel & 0xffffff;
}

static gboolean
canvas_shows_expected (Fixture *f)
{
  GdkTexture *texture = easel_canvas_get_texture (f->canvas);

  return texture != NULL && texture_pixel (texture) == f->expected_pixel;
}

static void
test_candidate_strip (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GdkTexture) first = NULL;
  g_autoptr(GdkTexture) second = NULL;
  GListModel *candidates;
  EaselTurnRow *row;
  GtkFlowBox *strip;
  GtkFlowBoxChild *child;

  set_images_mode (f, TRUE);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (params_child (f, "n_spin")), 3);

  send_prompt (f, "three takes on a teapot");
  g_assert_true (wait_for (head_has_three_candidates, f, 20000));

  body = easel_fake_request_parse_json (easel_fake_server_get_last_request (f->server));
  g_assert_cmpstr (easel_fake_server_get_last_request (f->server)->path, ==, "/v1/images/generations");
  g_assert_cmpint (json_object_get_int_member (request_object (body), "n"), ==, 3);

  candidates = easel_session_turn_get_candidates (head (f));
  first = g_list_model_get_item (candidates, 0);
  second = g_list_model_get_item (candidates, 1);
  /* The fake server draws each of the n images in its own colour. */
  g_assert_cmpuint (texture_pixel (first), !=, texture_pixel (second));

  g_assert_true (wait_for (head_row_exists, f, 5000));
  row = find_row (f, head (f));
  strip = GTK_FLOW_BOX (row_child (row, "candidates_box"));
  easel_test_spin_ms (50);
  g_assert_true (is_shown (GTK_WIDGET (strip)));
  g_assert_nonnull (gtk_flow_box_get_child_at_index (strip, 2));
  g_assert_null (gtk_flow_box_get_child_at_index (strip, 3));

  /* The strip shows the candidates in order, and the one on the canvas is
   * the first until the user picks another. */
  g_assert_true (easel_canvas_get_texture (f->canvas) != NULL);
  g_assert_cmpuint (texture_pixel (easel_canvas_get_texture (f->canvas)), ==, texture_pixel (first));

  /* Picking the second puts it on the canvas; the strip holds thumbnails,
   * so compare what they show, not which object it is. */
  f->expected_pixel = texture_pixel (second);
  child = gtk_flow_box_get_child_at_index (strip, 1);
  g_signal_emit_by_name (child, "activate");
  g_assert_true (wait_for (canvas_shows_expected, f, 5000));
  g_assert_false (easel_session_turn_get_is_partial (head (f)));
  g_assert_cmpuint (texture_pixel (easel_session_turn_get_texture (head (f))), ==, f->expected_pixel);
}

/* ---- 7. Parameters a model lacks, and the live cost ---- */

static const char *
cost_text (Fixture *f)
{
  return gtk_label_get_label (GTK_LABEL (child_of (f->composer, EASEL_TYPE_COMPOSER, "cost_label")));
}

static void
assert_unavailable (Fixture    *f,
                    const char *id,
                    const char *why)
{
  GtkWidget *widget = params_child (f, id);
  const char *tooltip = gtk_widget_get_tooltip_text (widget);

  g_test_message ("%s: %s", id, tooltip);
  g_assert_false (gtk_widget_get_sensitive (widget));
  g_assert_nonnull (tooltip);
  g_assert_nonnull (strstr (tooltip, why));
}

static void
assert_available (Fixture    *f,
                  const char *id)
{
  GtkWidget *widget = params_child (f, id);

  g_assert_true (gtk_widget_get_sensitive (widget));
  g_assert_null (gtk_widget_get_tooltip_text (widget));
}

static void
set_image_model (Fixture    *f,
                 const char *model)
{
  g_object_set (easel_composer_get_params (f->composer), "image-model", model, NULL);
  easel_test_spin_ms (10);
}

static void
test_param_sensitivity (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *low = NULL;
  g_autofree char *high = NULL;
  g_autofree char *high_wide = NULL;

  easel_composer_set_text (f->composer, "a quiet harbour");
  set_images_mode (f, TRUE);

  /* Retired models are not offered; one set elsewhere (a compatible
   * server's settings) still decides what is available. */
  g_assert_true (dropdown_offers (f, "image_model_dropdown", "gpt-image-1.5"));
  g_assert_false (dropdown_offers (f, "image_model_dropdown", "gpt-image-1"));
  g_assert_false (dropdown_offers (f, "image_model_dropdown", "dall-e-3"));
  g_assert_false (dropdown_offers (f, "image_model_dropdown", "dall-e-2"));

  choose (f, "image_model_dropdown", "gpt-image-1.5");
  assert_available (f, "partials_spin");
  assert_available (f, "background_dropdown");
  assert_available (f, "n_spin");
  g_assert_true (dropdown_offers (f, "background_dropdown", "transparent"));

  /* DALL·E 3: no streaming, no background, one image per request. */
  set_image_model (f, "dall-e-3");
  assert_unavailable (f, "partials_spin", "DALL·E 3");
  assert_unavailable (f, "background_dropdown", "DALL·E 3");
  assert_unavailable (f, "n_spin", "DALL·E 3");
  assert_unavailable (f, "output_format_dropdown", "DALL·E 3");
  g_assert_true (dropdown_offers (f, "size_dropdown", "1792x1024"));

  /* DALL·E 2: only the small square sizes. */
  set_image_model (f, "dall-e-2");
  g_assert_true (dropdown_offers (f, "size_dropdown", "256x256"));
  g_assert_false (dropdown_offers (f, "size_dropdown", "1536x1024"));
  g_assert_false (dropdown_offers (f, "size_dropdown", "1792x1024"));
  assert_unavailable (f, "background_dropdown", "DALL·E 2");
  assert_available (f, "n_spin");

  /* The Responses API makes one image a turn. */
  set_images_mode (f, FALSE);
  assert_unavailable (f, "n_spin", "Responses");
  choose (f, "image_model_dropdown", "gpt-image-1.5");

  /* The estimate follows quality and size before anything is sent. */
  choose (f, "size_dropdown", "1024x1024");
  choose (f, "quality_dropdown", "low");
  low = g_strdup (cost_text (f));
  choose (f, "quality_dropdown", "high");
  high = g_strdup (cost_text (f));
  choose (f, "size_dropdown", "1536x1024");
  high_wide = g_strdup (cost_text (f));
  g_test_message ("cost: low %s, high %s, high wide %s", low, high, high_wide);
  g_assert_cmpstr (low, !=, high);
  g_assert_cmpstr (high, !=, high_wide);
  g_assert_nonnull (strstr (low, "$"));
  /* With auto quality the figure is a guess, and the label says why. */
  g_assert_null (strstr (high, "server picks"));
  choose (f, "quality_dropdown", "auto");
  g_test_message ("cost: auto %s", cost_text (f));
  g_assert_nonnull (strstr (cost_text (f), "server picks quality"));
  g_assert_null (strstr (cost_text (f), "size"));
  /* A chosen quality with an auto size: it is the size the server picks. */
  choose (f, "quality_dropdown", "high");
  choose (f, "size_dropdown", "auto");
  g_test_message ("cost: auto size %s", cost_text (f));
  g_assert_nonnull (strstr (cost_text (f), "server picks size"));
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 0);
}

/* ---- 7b. Parameters read as words; the wire keeps its values ---- */

/* The label a drop-down shows for its selection: in its button, not in its
 * (unshown) list. */
static gboolean
is_exact_label (GtkWidget    *widget,
                gconstpointer text)
{
  return GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_label (GTK_LABEL (widget)), text) == 0;
}

static gboolean
dropdown_shows (Fixture    *f,
                const char *dropdown_id,
                const char *text)
{
  GtkWidget *button = gtk_widget_get_first_child (params_child (f, dropdown_id));

  g_assert_true (GTK_IS_TOGGLE_BUTTON (button));
  return find_descendant (button, is_exact_label, text) != NULL;
}

/* What the drop-down's list shows for the item holding @value. */
static char *
dropdown_item_label (Fixture    *f,
                     const char *dropdown_id,
                     const char *value)
{
  GtkDropDown *dropdown = GTK_DROP_DOWN (params_child (f, dropdown_id));
  GListModel *model = gtk_drop_down_get_model (dropdown);
  GtkExpression *expression = gtk_drop_down_get_expression (dropdown);

  g_assert_nonnull (expression);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (model, i);
      g_auto(GValue) label = G_VALUE_INIT;

      if (g_strcmp0 (gtk_string_object_get_string (GTK_STRING_OBJECT (item)), value) != 0)
        continue;
      g_assert_true (gtk_expression_evaluate (expression, item, &label));
      return g_value_dup_string (&label);
    }
  g_error ("“%s” is not offered by %s", value, dropdown_id);
}

static gboolean
images_request_arrived (Fixture *f)
{
  return easel_fake_server_count_requests (f->server, "POST", "/v1/images/generations") == 1;
}

static void
test_param_labels (Fixture       *f,
                   gconstpointer  data)
{
  EaselParams *params = easel_composer_get_params (f->composer);
  GtkToggleButton *conversation = GTK_TOGGLE_BUTTON (child_of (f->composer, EASEL_TYPE_COMPOSER,
                                                               "conversation_toggle"));
  GtkToggleButton *images = GTK_TOGGLE_BUTTON (child_of (f->composer, EASEL_TYPE_COMPOSER, "images_toggle"));
  GtkWidget *tier = params_child (f, "service_tier_dropdown");
  GtkWidget *tier_note = params_child (f, "tier_note");
  GtkLabel *api_note = GTK_LABEL (params_child (f, "api_note"));
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *square = NULL;
  g_autofree char *portrait = NULL;
  g_autofree char *automatic = NULL;
  g_autofree char *webp = NULL;
  g_autofree char *tier_value = NULL;
  JsonObject *object;
  int composer_min = 0;

  /* The switch does not widen the conversation pane (340 px) past what a
   * narrow window has. */
  gtk_widget_measure (GTK_WIDGET (f->composer), GTK_ORIENTATION_HORIZONTAL, -1, &composer_min, NULL, NULL, NULL);
  g_test_message ("composer minimum width %d", composer_min);
  g_assert_cmpint (composer_min, <=, 340);

  /* The API is a two-way switch: a click on either half sets the mode,
   * and the mode sets the halves. */
  g_assert_false (easel_params_is_images_api (params));
  g_assert_true (gtk_toggle_button_get_active (conversation));
  g_assert_false (gtk_toggle_button_get_active (images));
  g_assert_nonnull (strstr (gtk_label_get_label (api_note), "Conversation"));
  /* The Responses API has a processing tier: shown, bound to the setting. */
  g_assert_true (gtk_widget_get_visible (tier));
  g_assert_true (gtk_widget_get_visible (params_child (f, "service_tier_label")));
  g_assert_true (dropdown_shows (f, "service_tier_dropdown", "Automatic"));
  g_assert_false (gtk_widget_get_visible (tier_note));
  choose (f, "service_tier_dropdown", "flex");
  tier_value = g_settings_get_string (f->settings, "service-tier");
  g_assert_cmpstr (tier_value, ==, "flex");
  g_assert_true (gtk_widget_get_visible (tier_note));
  g_assert_true (dropdown_shows (f, "service_tier_dropdown", "Flex"));
  g_settings_set_string (f->settings, "service-tier", "priority");
  easel_test_spin_ms (10);
  g_assert_true (dropdown_shows (f, "service_tier_dropdown", "Priority"));
  g_settings_set_string (f->settings, "service-tier", "default");
  easel_test_spin_ms (10);
  g_assert_false (gtk_widget_get_visible (tier_note));

  g_signal_emit_by_name (images, "clicked");
  g_assert_true (easel_params_is_images_api (params));
  g_assert_true (gtk_toggle_button_get_active (images));
  g_assert_false (gtk_toggle_button_get_active (conversation));
  g_assert_nonnull (strstr (gtk_label_get_label (api_note), "Single image"));
  /* …and none for the Images API. */
  g_assert_false (gtk_widget_get_visible (tier));
  g_assert_false (gtk_widget_get_visible (params_child (f, "service_tier_label")));
  g_assert_false (gtk_widget_get_visible (tier_note));

  g_signal_emit_by_name (conversation, "clicked");
  g_assert_false (easel_params_is_images_api (params));
  g_assert_true (gtk_widget_get_visible (tier));
  g_object_set (params, "api-mode", "images", NULL);
  g_assert_true (gtk_toggle_button_get_active (images));
  g_assert_false (gtk_toggle_button_get_active (conversation));
  g_assert_false (gtk_widget_get_visible (tier));

  /* Sizes read as shapes with their pixels, options as words. */
  square = dropdown_item_label (f, "size_dropdown", "1024x1024");
  portrait = dropdown_item_label (f, "size_dropdown", "1024x1536");
  automatic = dropdown_item_label (f, "size_dropdown", "auto");
  webp = dropdown_item_label (f, "output_format_dropdown", "webp");
  g_assert_cmpstr (square, ==, "Square (1024 × 1024)");
  g_assert_cmpstr (portrait, ==, "Portrait (1024 × 1536)");
  g_assert_cmpstr (automatic, ==, "Auto");
  g_assert_cmpstr (webp, ==, "WebP");
  choose (f, "size_dropdown", "1536x1024");
  choose (f, "quality_dropdown", "high");
  choose (f, "background_dropdown", "opaque");
  g_assert_true (dropdown_shows (f, "size_dropdown", "Landscape (1536 × 1024)"));
  g_assert_false (dropdown_shows (f, "size_dropdown", "1536x1024"));
  g_assert_true (dropdown_shows (f, "quality_dropdown", "High"));
  g_assert_true (dropdown_shows (f, "background_dropdown", "Opaque"));

  /* …while the request carries the values as they were. */
  send_prompt (f, "a lighthouse at dusk");
  g_assert_true (wait_for (images_request_arrived, f, 10000));
  body = easel_fake_request_parse_json (easel_fake_server_get_last_request (f->server));
  object = request_object (body);
  g_assert_cmpstr (json_object_get_string_member (object, "size"), ==, "1536x1024");
  g_assert_cmpstr (json_object_get_string_member (object, "quality"), ==, "high");
  g_assert_cmpstr (json_object_get_string_member (object, "background"), ==, "opaque");
  g_assert_false (json_object_has_member (object, "service_tier"));
  g_assert_true (wait_for (head_finished, f, 20000));
}

/* ---- 8. Pasting an image ---- */

static gboolean
has_attachment (Fixture *f)
{
  return easel_composer_get_attachments (f->composer)->len == 1 &&
         g_list_model_get_n_items (easel_composer_get_thumbnails (f->composer)) == 1;
}

static gboolean
request_arrived (Fixture *f)
{
  return easel_fake_server_get_n_requests (f->server) > 0;
}

/* ---- 9. The budget: one request above the $1 threshold asks first ---- */

static AdwMessageDialog *
find_budget_dialog (EaselWindow *window)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) w = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (w) && gtk_widget_get_visible (GTK_WIDGET (w)) &&
          gtk_window_get_transient_for (w) == GTK_WINDOW (window))
        return ADW_MESSAGE_DIALOG (w);
    }
  return NULL;
}

static gboolean
budget_dialog_shown (Fixture *f)
{
  return find_budget_dialog (f->window) != NULL;
}

static gboolean
two_requests (Fixture *f)
{
  return easel_fake_server_get_n_requests (f->server) >= 2;
}

static void
test_budget_dialog (Fixture       *f,
                    gconstpointer  data)
{
  EaselParams *params = easel_composer_get_params (f->composer);
  AdwMessageDialog *dialog;

  /* 8 × high 1024² with gpt-image-1.5 ≈ $1.06: over the default $1. */
  set_images_mode (f, TRUE);
  g_object_set (params, "image-model", "gpt-image-1.5", "quality", "high", "size", "1024x1024",
                "n", 8, NULL);
  send_prompt (f, "eight expensive foxes");
  g_assert_true (easel_test_wait_until ((EaselTestCondition) budget_dialog_shown, f, 5000));
  dialog = find_budget_dialog (f->window);
  g_test_message ("budget dialog: %s", adw_message_dialog_get_body (dialog));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "above the $1.00 that needs confirmation"));
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Expensive Request");

  /* Cancel: nothing goes out. */
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
  easel_test_spin_ms (100);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 0);

  /* Send: the request goes out once. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.send", NULL));
  g_assert_true (easel_test_wait_until ((EaselTestCondition) budget_dialog_shown, f, 5000));
  dialog = find_budget_dialog (f->window);
  adw_message_dialog_response (dialog, "send");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_true (easel_test_wait_until ((EaselTestCondition) request_arrived, f, 5000));
  easel_test_spin_ms (100);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);

  /* A cheap request does not ask. */
  g_object_set (params, "quality", "low", "n", 1, NULL);
  g_assert_true (easel_test_wait_until ((EaselTestCondition) head_finished, f, 20000));
  send_prompt (f, "one cheap fox");
  g_assert_true (easel_test_wait_until ((EaselTestCondition) two_requests, f, 5000));
  g_assert_null (find_budget_dialog (f->window));
}

static void
test_paste_attachment (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, 800, 600);
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *pasted_text = NULL;
  GtkWidget *text_view = child_of (f->composer, EASEL_TYPE_COMPOSER, "text_view");
  GtkFlowBox *attachments_box = GTK_FLOW_BOX (child_of (f->composer, EASEL_TYPE_COMPOSER, "attachments_box"));
  JsonArray *input, *content;
  gboolean found_image = FALSE;

  gdk_pixbuf_fill (pixbuf, 0x20a040ff);
  texture = gdk_texture_new_for_pixbuf (pixbuf);
  gdk_clipboard_set_texture (gtk_widget_get_clipboard (text_view), texture);

  gtk_widget_grab_focus (text_view);
  g_signal_emit_by_name (text_view, "paste-clipboard");
  g_assert_true (wait_for (has_attachment, f, 5000));
  easel_test_spin_ms (50);
  g_assert_nonnull (gtk_flow_box_get_child_at_index (attachments_box, 0));
  g_assert_true (gtk_revealer_get_reveal_child (GTK_REVEALER (child_of (f->composer, EASEL_TYPE_COMPOSER,
                                                                        "attachments_revealer"))));
  /* An image paste is an attachment, not text. */
  pasted_text = easel_composer_dup_text (f->composer);
  g_assert_cmpstr (pasted_text, ==, "");

  send_prompt (f, "make this green square into a leaf");
  g_assert_true (wait_for (request_arrived, f, 5000));
  body = easel_fake_request_parse_json (easel_fake_server_get_request (f->server, 0));
  input = json_object_get_array_member (request_object (body), "input");
  g_assert_nonnull (input);
  content = json_object_get_array_member (json_array_get_object_element (input, 0), "content");
  for (guint i = 0; i < json_array_get_length (content); i++)
    {
      JsonObject *part = json_array_get_object_element (content, i);

      if (g_strcmp0 (json_object_get_string_member (part, "type"), "input_image") == 0)
        {
          g_assert_true (g_str_has_prefix (json_object_get_string_member (part, "image_url"),
                                           "data:image/png;base64,"));
          found_image = TRUE;
        }
    }
  g_assert_true (found_image);

  /* The turn shows it, and the composer is empty for the next one. */
  g_assert_cmpuint (g_list_model_get_n_items (easel_session_turn_get_inputs (head (f))), ==, 1);
  g_assert_cmpuint (easel_composer_get_attachments (f->composer)->len, ==, 0);
  g_assert_true (wait_for (head_finished, f, 20000));
  /* …as a whole thumbnail, not a sliver. */
  g_assert_true (wait_for (head_row_exists, f, 5000));
  easel_test_spin_ms (50);
  {
    GtkWidget *thumb = gtk_widget_get_first_child (row_child (find_row (f, head (f)), "inputs_box"));

    g_assert_nonnull (thumb);
    g_assert_cmpint (gtk_widget_get_width (thumb), >=, 48);
    g_assert_cmpint (gtk_widget_get_height (thumb), >=, 48);
  }
}

static gboolean
svg_refused (Fixture *f)
{
  return toast_shows (f->window, "is not a PNG, JPEG, WebP or GIF image");
}

/* An SVG decodes (gdk-pixbuf has a loader for it) but no model reads one:
 * it is refused when attached, not sent to be refused by the server. */
static void
test_svg_attachment (Fixture       *f,
                     gconstpointer  data)
{
  static const char svg[] = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"40\" height=\"30\">"
                            "<rect width=\"40\" height=\"30\" fill=\"green\"/></svg>";
  g_autoptr(GBytes) bytes = g_bytes_new_static (svg, sizeof svg - 1);

  easel_composer_add_image_bytes (f->composer, bytes, "leaf.svg", "image/svg+xml");
  g_assert_true (wait_for (svg_refused, f, 5000));
  g_assert_true (toast_shows (f->window, "leaf.svg"));
  easel_test_spin_ms (200);
  g_assert_cmpuint (easel_composer_get_attachments (f->composer)->len, ==, 0);
}

/* ---- 9. A narrow window ---- */

static AdwFlap *
flap_of (Fixture *f)
{
  return ADW_FLAP (child_of (f->window, EASEL_TYPE_WINDOW, "flap"));
}

static gboolean
is_folded (Fixture *f)
{
  return adw_flap_get_folded (flap_of (f)) && gtk_widget_get_width (GTK_WIDGET (f->window)) <= 500;
}

static gboolean
flap_revealed (Fixture *f)
{
  return adw_flap_get_reveal_progress (flap_of (f)) >= 1.0 && gtk_widget_get_mapped (GTK_WIDGET (f->composer));
}

static gboolean
flap_hidden (Fixture *f)
{
  return adw_flap_get_reveal_progress (flap_of (f)) <= 0.0;
}

static gboolean
toggle_shown (Fixture *f)
{
  GtkWidget *toggle = find_descendant (GTK_WIDGET (f->window), is_toggle_with_icon, "sidebar-show-symbolic");

  return toggle != NULL && is_shown (toggle) && gtk_widget_get_mapped (toggle);
}

static gboolean
toggle_hidden (Fixture *f)
{
  return !toggle_shown (f);
}

static void
test_narrow_window (Fixture       *f,
                    gconstpointer  data)
{
  GtkWidget *toggle;
  GtkWidget *list_view = child_of (f->window, EASEL_TYPE_WINDOW, "list_view");

  easel_test_spin_ms (100);
  g_assert_false (adw_flap_get_folded (flap_of (f)));

  gtk_window_set_default_size (GTK_WINDOW (f->window), 400, 700);
  g_assert_true (wait_for (is_folded, f, 5000));

  /* Folded, the canvas has the window; the header's button brings the
   * conversation back over it, and hides it again. */
  g_assert_true (wait_for (flap_hidden, f, 5000));
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (f->canvas)));
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (f->canvas)), >, 300);

  toggle = find_descendant (GTK_WIDGET (f->window), is_toggle_with_icon, "sidebar-show-symbolic");
  g_assert_nonnull (toggle);
  g_assert_true (wait_for (toggle_shown, f, 5000));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (toggle), TRUE);
  g_assert_true (wait_for (flap_revealed, f, 5000));
  g_assert_true (gtk_widget_get_mapped (list_view));
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (f->composer)), >, 200);

  /* The conversation works from there: a turn can be sent and shows up. */
  send_prompt (f, "a narrow tower");
  g_assert_true (wait_for (head_finished, f, 20000));
  g_assert_true (wait_for (head_row_exists, f, 5000));

  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (toggle), FALSE);
  g_assert_true (wait_for (flap_hidden, f, 5000));
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (f->canvas)));
  g_assert_nonnull (easel_canvas_get_texture (f->canvas));

  /* Wide again, the pane is back for good and the button goes. */
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1280, 820);
  g_assert_true (wait_for (flap_revealed, f, 5000));
  g_assert_false (adw_flap_get_folded (flap_of (f)));
  g_assert_true (wait_for (toggle_hidden, f, 5000));
}

/* ---- 10. The moderation pre-check and the processing tier ---- */

static gboolean
two_moderations (Fixture *f)
{
  return easel_fake_server_count_requests (f->server, "POST", "/v1/moderations") == 2;
}

/* With the setting on, a flagged prompt fails its turn with the categories
 * and nothing paid goes out; a clean one is checked, then sent with the
 * tier from the preferences. */
static void
test_moderation_precheck (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(JsonNode) body = NULL;
  EaselTurnRow *row;
  const char *text;

  set_images_mode (f, FALSE);
  g_settings_set_boolean (f->settings, "moderation-check", TRUE);
  g_settings_set_string (f->settings, "service-tier", "flex");

  send_prompt (f, "a FLAGME fox");
  g_assert_true (wait_for (head_finished, f, 20000));
  g_assert_cmpint (easel_session_turn_get_state (head (f)), ==, EASEL_TURN_FAILED);
  g_assert_true (g_error_matches (easel_session_turn_get_error (head (f)),
                                  EASEL_API_ERROR, EASEL_API_ERROR_MODERATION));
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "POST", "/v1/moderations"), ==, 1);
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, NULL, "/v1/responses"), ==, 0);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
  /* Nothing was sent, so nothing is counted. */
  g_assert_cmpfloat (easel_session_turn_get_estimated_usd (head (f)), ==, 0);

  g_assert_true (wait_for (head_row_exists, f, 5000));
  row = find_row (f, head (f));
  g_assert_true (is_shown (row_child (row, "error_box")));
  text = row_label (row, "error_label");
  g_test_message ("pre-check text: %s", text);
  g_assert_nonnull (strstr (text, "not sent"));
  g_assert_nonnull (strstr (text, "violence"));
  g_assert_nonnull (strstr (text, "harassment/threatening"));

  send_prompt (f, "a calm fox");
  g_assert_true (wait_for (two_moderations, f, 5000));
  g_assert_true (wait_for (head_finished, f, 20000));
  g_assert_cmpint (easel_session_turn_get_state (head (f)), ==, EASEL_TURN_DONE);
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "POST", "/v1/responses"), ==, 1);
  for (guint i = 0; i < easel_fake_server_get_n_requests (f->server); i++)
    if (g_strcmp0 (easel_fake_server_get_request (f->server, i)->path, "/v1/responses") == 0)
      body = easel_fake_request_parse_json (easel_fake_server_get_request (f->server, i));
  g_assert_cmpstr (json_object_get_string_member_with_default (request_object (body), "service_tier", ""),
                   ==, "flex");

  /* Off: straight to the paid endpoint. */
  g_settings_set_boolean (f->settings, "moderation-check", FALSE);
  send_prompt (f, "another FLAGME fox");
  g_assert_true (wait_for (head_finished, f, 20000));
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "POST", "/v1/moderations"), ==, 2);
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "POST", "/v1/responses"), ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  static const Setup quick = { 10, FALSE };
  static const Setup paced = { 40, FALSE };
  static const Setup with_app = { 10, TRUE };
  static const Setup with_settings = { 10, FALSE, TRUE };

  g_test_init (&argc, &argv, NULL);

  if (!gtk_init_check ())
    {
      /* 77: meson counts the test as skipped. */
      g_printerr ("No display: the studio UI tests need Xvfb; skipping\n");
      return 77;
    }
  adw_init ();

  g_test_add ("/gui/studio-edges/hostile-error-text", Fixture, &quick,
              fixture_setup, test_hostile_error_text, fixture_teardown);
  g_test_add ("/gui/studio-edges/error-then-retry", Fixture, &quick,
              fixture_setup, test_error_then_retry, fixture_teardown);
  g_test_add ("/gui/studio-edges/cancel-and-quota", Fixture, &quick,
              fixture_setup, test_cancel_and_quota, fixture_teardown);
  g_test_add ("/gui/studio-edges/server-error-exhausted", Fixture, &quick,
              fixture_setup, test_server_error_exhausted, fixture_teardown);
  g_test_add ("/gui/studio-edges/moderation-http", Fixture, &quick,
              fixture_setup, test_moderation_http, fixture_teardown);
  g_test_add ("/gui/studio-edges/moderation-stream", Fixture, &quick,
              fixture_setup, test_moderation_stream, fixture_teardown);
  g_test_add ("/gui/studio-edges/invalid-key", Fixture, &with_app,
              fixture_setup, test_invalid_key, fixture_teardown);
  g_test_add ("/gui/studio-edges/lost-connection", Fixture, &quick,
              fixture_setup, test_lost_connection_paced, fixture_teardown);
  g_test_add ("/gui/studio-edges/lost-connection-at-once", Fixture, &quick,
              fixture_setup, test_lost_connection_at_once, fixture_teardown);
  g_test_add ("/gui/studio-edges/lost-images-stream", Fixture, &quick,
              fixture_setup, test_lost_images_stream, fixture_teardown);
  g_test_add ("/gui/studio-edges/streamed-text", Fixture, &paced,
              fixture_setup, test_streamed_text, fixture_teardown);
  g_test_add ("/gui/studio-edges/candidate-strip", Fixture, &quick,
              fixture_setup, test_candidate_strip, fixture_teardown);
  g_test_add ("/gui/studio-edges/param-sensitivity", Fixture, &quick,
              fixture_setup, test_param_sensitivity, fixture_teardown);
  g_test_add ("/gui/studio-edges/param-labels", Fixture, &with_settings,
              fixture_setup, test_param_labels, fixture_teardown);
  g_test_add ("/gui/studio-edges/paste-attachment", Fixture, &quick,
              fixture_setup, test_paste_attachment, fixture_teardown);
  g_test_add ("/gui/studio-edges/svg-attachment", Fixture, &quick,
              fixture_setup, test_svg_attachment, fixture_teardown);
  g_test_add ("/gui/studio-edges/narrow-window", Fixture, &quick,
              fixture_setup, test_narrow_window, fixture_teardown);
  g_test_add ("/gui/studio-edges/budget-dialog", Fixture, &quick,
              fixture_setup, test_budget_dialog, fixture_teardown);
  g_test_add ("/gui/studio-edges/moderation-precheck", Fixture, &with_settings,
              fixture_setup, test_moderation_precheck, fixture_teardown);

  return g_test_run ();
}
