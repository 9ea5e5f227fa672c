/* test-journey.c: the studio's "Done when" journey, as a new user, under Xvfb
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One test, one story, driven through the real EaselApplication and its
 * widgets against the fake OpenAI server: no key yet, so the welcome page;
 * a key typed into Preferences lands in the keyring; a generation streams
 * partials onto the canvas; three edits continue the conversation; a
 * branch from turn 1; a cancelled request; a server error and Retry; then
 * the application quits and a second instance on the same $HOME finds the
 * key and reopens on the whole conversation with its branches and
 * images.
 *
 * The user's clicks are gtk_widget_activate() on the buttons a user would
 * press (found in the widget tree by their action), typing is text set in
 * the composer's text view and the key row. Requests are checked on the
 * fake server's record.
 */

#define G_LOG_DOMAIN "test-journey"

#include "config.h"

#include <adwaita.h>
#include <libsecret/secret.h>

#include "easel-gallery.h"
#include "easel-gallery-item.h"
#include "easel-preferences-window.h"
#include "easel-session.h"
#include "easel-turn-row.h"
#include "easel-window.h"
#include "easel-window-private.h"
#include "fake-server.h"
#include "gui-test-util.h"

#define TIMEOUT_MS 20000

typedef struct _Journey Journey;
typedef void (*Steps) (Journey *j);

struct _Journey
{
  EaselFakeServer *server;
  char *base_url;           /* as the app resolves it: the keyring attribute */
  char *key;

  /* The running application instance and its window */
  EaselApplication *app;
  EaselWindow *window;
  Steps steps;
  GPtrArray *frames;        /* "partial"/"final" per canvas texture change */

  /* What the first instance left behind, for the second to find */
  guint n_all_turns;
  char *last_response_id;
  char *last_prompt;
  int final_width, final_height;

  guint n_notified;

  /* Scratch for conditions */
  EaselSessionTurn *watch;
};

/* A notification daemon */

/* Xvfb has none, and a generation that finishes while the window is not
 * focused notifies: the test owns org.freedesktop.Notifications on its
 * private session bus and counts what arrives. */
static const char notifications_xml[] =
  "<node>"
  "  <interface name='org.freedesktop.Notifications'>"
  "    <method name='Notify'>"
  "      <arg type='s' direction='in'/><arg type='u' direction='in'/><arg type='s' direction='in'/>"
  "      <arg type='s' direction='in'/><arg type='s' direction='in'/><arg type='as' direction='in'/>"
  "      <arg type='a{sv}' direction='in'/><arg type='i' direction='in'/>"
  "      <arg type='u' direction='out'/>"
  "    </method>"
  "    <method name='CloseNotification'><arg type='u' direction='in'/></method>"
  "  </interface>"
  "</node>";

static char *last_notification;
static gboolean saw_failure_notification;

static void
notifications_call_cb (GDBusConnection       *connection,
                       const char            *sender,
                       const char            *object_path,
                       const char            *interface_name,
                       const char            *method_name,
                       GVariant              *parameters,
                       GDBusMethodInvocation *invocation,
                       gpointer               user_data)
{
  guint *n_notified = user_data;

  if (g_str_equal (method_name, "Notify"))
    {
      const char *summary = NULL;

      /* (app_name, replaces_id, app_icon, summary, body, actions, hints, timeout) */
      g_variant_get_child (parameters, 3, "&s", &summary);
      g_free (last_notification);
      last_notification = g_strdup (summary);
      if (g_strcmp0 (summary, "The image could not be made") == 0)
        saw_failure_notification = TRUE;
      (*n_notified)++;
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(u)", *n_notified));
    }
  else
    g_dbus_method_invocation_return_value (invocation, NULL);
}

static gboolean
name_owned (gpointer owned)
{
  return *(int *)owned != 0;
}

static void
name_acquired_cb (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  *(int *)user_data = 1;
}

static void
name_lost_cb (GDBusConnection *connection,
              const char      *name,
              gpointer         user_data)
{
  *(int *)user_data = -1;
}

static void
own_notifications (guint *n_notified)
{
  static const GDBusInterfaceVTable vtable = { notifications_call_cb, NULL, NULL, { 0 } };
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GDBusNodeInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  static int owned;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  info = g_dbus_node_info_new_for_xml (notifications_xml, &error);
  g_assert_no_error (error);
  g_dbus_connection_register_object (bus, "/org/freedesktop/Notifications", info->interfaces[0],
                                     &vtable, n_notified, NULL, &error);
  g_assert_no_error (error);
  g_bus_own_name_on_connection (bus, "org.freedesktop.Notifications", G_BUS_NAME_OWNER_FLAGS_NONE,
                                name_acquired_cb, name_lost_cb, &owned, NULL);
  while (!name_owned (&owned) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  /* Another daemon owns it already (not under run-gui-test.sh): fine too. */
}

/* Main loop helpers */

/* Finding what a user would see */

typedef gboolean (*WidgetPred) (GtkWidget *widget, gconstpointer data);

static GtkWidget *
find_widget (GtkWidget     *root,
             WidgetPred     pred,
             gconstpointer  data)
{
  if (root == NULL)
    return NULL;
  if (pred (root, data))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, pred, data);

      if (found)
        return found;
    }
  return NULL;
}

static gboolean
is_button_for_action (GtkWidget     *widget,
                      gconstpointer  action)
{
  return GTK_IS_BUTTON (widget) &&
         g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action) == 0;
}

static gboolean
is_button_with_icon (GtkWidget     *widget,
                     gconstpointer  icon)
{
  return GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_icon_name (GTK_BUTTON (widget)), icon) == 0;
}

static gboolean
has_css_class (GtkWidget     *widget,
               gconstpointer  css_class)
{
  return gtk_widget_has_css_class (widget, css_class);
}

static gboolean
is_of_type (GtkWidget     *widget,
            gconstpointer  type)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, GPOINTER_TO_SIZE (type));
}

static GtkWidget *
find_of_type (GtkWidget *root,
              GType      type)
{
  return find_widget (root, is_of_type, GSIZE_TO_POINTER (type));
}

/* Presses @button the way a click does: "clicked" comes a moment later. */
static void
click (GtkWidget *button)
{
  g_assert_nonnull (button);
  /* Only what is on screen can be clicked (and an unrealized button
   * ignores activation). */
  g_assert_true (gtk_widget_get_mapped (button));
  g_assert_true (gtk_widget_is_sensitive (button));
  g_assert_true (gtk_widget_activate (button));
}

/* The studio */

static EaselSession *
session (Journey *j)
{
  return easel_window_get_conversation (j->window);
}

static EaselSessionTurn *
head (Journey *j)
{
  return easel_session_get_head (session (j));
}

static gboolean
head_settled (Journey *j)
{
  EaselSessionTurn *turn = head (j);

  if (turn == NULL || !easel_session_turn_is_finished (turn) || easel_session_get_busy (session (j)))
    return FALSE;
  /* The final frame is decoded in a worker; wait for it to land too. */
  if (easel_session_turn_get_state (turn) == EASEL_TURN_DONE)
    return easel_session_turn_get_texture (turn) != NULL && !easel_session_turn_get_is_partial (turn);
  return TRUE;
}

static gboolean
head_has_partial (Journey *j)
{
  return head (j) != NULL && easel_session_turn_get_texture (head (j)) != NULL &&
         easel_session_turn_get_is_partial (head (j));
}

static gboolean
busy (Journey *j)
{
  return easel_session_get_busy (session (j));
}

static gboolean
head_is_watched (Journey *j)
{
  return head (j) == j->watch;
}

static gboolean
watched_cancelled (Journey *j)
{
  return easel_session_turn_get_state (j->watch) == EASEL_TURN_CANCELLED;
}

static gboolean
head_failed (Journey *j)
{
  return head (j) != NULL && easel_session_turn_get_state (head (j)) == EASEL_TURN_FAILED &&
         !easel_session_get_busy (session (j));
}

static gboolean
canvas_shows_head (Journey *j)
{
  GdkTexture *texture = easel_canvas_get_texture (easel_window_get_canvas (j->window));

  return texture != NULL && texture == easel_session_turn_get_texture (head (j));
}

static GtkWidget *
send_button (Journey *j)
{
  GtkWidget *composer = GTK_WIDGET (easel_window_get_composer (j->window));
  GtkWidget *button = find_widget (composer, is_button_for_action, "win.send");

  return button ? button : find_widget (composer, is_button_for_action, "win.cancel");
}

/* Types @prompt into the composer and clicks Send. */
static void
send_prompt (Journey    *j,
             const char *prompt)
{
  GtkWidget *composer = GTK_WIDGET (easel_window_get_composer (j->window));
  GtkWidget *text_view = find_of_type (composer, GTK_TYPE_TEXT_VIEW);
  GtkWidget *button = send_button (j);
  g_autofree char *typed = NULL;

  g_assert_nonnull (text_view);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (text_view)), prompt, -1);
  typed = easel_composer_dup_text (easel_window_get_composer (j->window));
  g_assert_cmpstr (typed, ==, prompt);

  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (button)), ==, "win.send");
  g_ptr_array_set_size (j->frames, 0);
  click (button);
  g_assert_true (wait_for (busy, j, TIMEOUT_MS));
  g_assert_cmpstr (easel_session_turn_get_prompt (head (j)), ==, prompt);
  /* Send became Cancel, and the prompt was taken. */
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (button)), ==, "win.cancel");
  g_clear_pointer (&typed, g_free);
  typed = easel_composer_dup_text (easel_window_get_composer (j->window));
  g_assert_true (typed == NULL || *typed == 0);
}

static void
send_and_settle (Journey    *j,
                 const char *prompt)
{
  send_prompt (j, prompt);
  g_assert_true (wait_for (head_settled, j, TIMEOUT_MS));
  g_assert_cmpint (easel_session_turn_get_state (head (j)), ==, EASEL_TURN_DONE);
  g_assert_nonnull (easel_session_turn_get_response_id (head (j)));
}

/* The Responses request the server got last, and its previous_response_id. */
static char *
last_previous_response_id (Journey *j)
{
  const EaselFakeRequest *request = easel_fake_server_get_last_request (j->server);
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

static void
assert_continued_from (Journey          *j,
                       EaselSessionTurn *from)
{
  g_autofree char *sent = last_previous_response_id (j);

  g_assert_nonnull (easel_session_turn_get_response_id (from));
  g_assert_cmpstr (sent, ==, easel_session_turn_get_response_id (from));
}

static gint
position_of (Journey          *j,
             EaselSessionTurn *turn)
{
  GListModel *model = G_LIST_MODEL (session (j));

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(EaselSessionTurn) item = g_list_model_get_item (model, i);

      if (item == turn)
        return i;
    }
  return -1;
}

static gboolean
is_row_for (GtkWidget     *widget,
            gconstpointer  turn)
{
  return EASEL_IS_TURN_ROW (widget) && easel_turn_row_get_item (EASEL_TURN_ROW (widget)) == turn;
}

/* The conversation pane's row for @turn, scrolled into view. */
static GtkWidget *
row_for (Journey          *j,
         EaselSessionTurn *turn)
{
  gint position = position_of (j, turn);
  GtkWidget *row = NULL;
  gint64 deadline = g_get_monotonic_time () + (gint64)TIMEOUT_MS * 1000;

  g_assert_cmpint (position, >=, 0);
  gtk_widget_activate_action (GTK_WIDGET (j->window->list_view), "list.scroll-to-item", "u", (guint)position);
  while ((row = find_widget (GTK_WIDGET (j->window->list_view), is_row_for, turn)) == NULL ||
         !gtk_widget_get_mapped (row))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return row;
}

/* The text of the row's branch switcher, or NULL when it is hidden. */
static const char *
branch_label (Journey          *j,
              EaselSessionTurn *turn)
{
  GtkWidget *box = find_widget (row_for (j, turn), has_css_class, "branch-switcher");

  g_assert_nonnull (box);
  if (!gtk_widget_is_visible (box))
    return NULL;
  return gtk_label_get_label (GTK_LABEL (find_of_type (box, GTK_TYPE_LABEL)));
}

/* Whether the row shows an image for its turn. */
static gboolean
row_shows_image (Journey          *j,
                 EaselSessionTurn *turn)
{
  GtkWidget *frame = find_widget (row_for (j, turn), has_css_class, "result-frame");
  GtkWidget *picture = find_of_type (frame, GTK_TYPE_PICTURE);

  return frame != NULL && gtk_widget_is_visible (frame) &&
         picture != NULL && gtk_picture_get_paintable (GTK_PICTURE (picture)) != NULL;
}

static EaselSessionTurn *
find_turn_by_prompt (GListModel *model,
                     const char *prompt,
                     guint       nth)
{
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(EaselSessionTurn) turn = g_list_model_get_item (model, i);

      if (g_strcmp0 (easel_session_turn_get_prompt (turn), prompt) == 0 && nth-- == 0)
        return turn;   /* the session keeps it alive */
    }
  return NULL;
}

static guint
n_siblings (EaselSessionTurn *turn)
{
  guint n = 0;

  g_object_get (turn, "n-siblings", &n, NULL);
  return n;
}

static void
canvas_texture_cb (EaselCanvas *canvas,
                   GParamSpec  *pspec,
                   Journey     *j)
{
  EaselSessionTurn *turn = head (j);

  if (easel_canvas_get_texture (canvas) == NULL || turn == NULL)
    return;
  g_ptr_array_add (j->frames, (gpointer)(easel_session_turn_get_is_partial (turn) ? "partial" : "final"));
}

/* Keys */

static char *
keyring_lookup (Journey *j)
{
  g_autoptr(GError) error = NULL;
  char *key = secret_password_lookup_sync (easel_secret_get_schema (), NULL, &error,
                                           "base-url", j->base_url, NULL);

  g_assert_no_error (error);
  return key;
}

static gboolean
key_checked (Journey *j)
{
  return easel_account_get_checked (easel_application_get_account (j->app));
}

static gboolean
key_in_keyring (Journey *j)
{
  g_autofree char *key = keyring_lookup (j);

  return g_strcmp0 (key, j->key) == 0;
}

static gboolean
studio_shown (Journey *j)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (j->window->studio_stack), "studio") == 0;
}

static EaselPreferencesWindow *
preferences_window (Journey *j)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (j->app)); l; l = l->next)
    if (EASEL_IS_PREFERENCES_WINDOW (l->data))
      return l->data;
  return NULL;
}

static gboolean
preferences_shown (Journey *j)
{
  EaselPreferencesWindow *prefs = preferences_window (j);

  return prefs != NULL && gtk_widget_get_mapped (GTK_WIDGET (prefs));
}

static gboolean
key_row_focused (Journey *j)
{
  GtkWidget *prefs = GTK_WIDGET (preferences_window (j));
  GtkWidget *row = find_of_type (prefs, ADW_TYPE_PASSWORD_ENTRY_ROW);
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (prefs));

  return row != NULL && focus != NULL && gtk_widget_is_ancestor (focus, row);
}

/* The steps of the first run */

static void
step_set_key (Journey *j)
{
  GtkWidget *welcome_button;
  GtkWidget *prefs, *row, *apply;

  /* No key anywhere: once the keyring answered, the welcome page. */
  g_assert_true (wait_for (key_checked, j, TIMEOUT_MS));
  g_assert_cmpint (easel_account_get_key_source (easel_application_get_account (j->app)), ==, EASEL_KEY_SOURCE_NONE);
  g_assert_false (studio_shown (j));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (j->window->studio_stack), ==, "welcome");

  /* "Add API Key…" opens Preferences at the key row. */
  welcome_button = find_widget (GTK_WIDGET (j->window->welcome_page), is_button_for_action,
                                "win.show-key-preferences");
  click (welcome_button);
  g_assert_true (wait_for (preferences_shown, j, TIMEOUT_MS));
  g_assert_true (wait_for (key_row_focused, j, TIMEOUT_MS));

  /* Type the key and press the row's apply button. */
  prefs = GTK_WIDGET (preferences_window (j));
  row = find_of_type (prefs, ADW_TYPE_PASSWORD_ENTRY_ROW);
  gtk_editable_set_text (GTK_EDITABLE (row), j->key);
  easel_test_spin_ms (50);
  apply = find_widget (row, is_button_with_icon, "adw-entry-apply-symbolic");
  click (apply);

  /* The key is in the keyring, the client uses it, the welcome page is
   * gone, and the row no longer holds the key's text. */
  g_assert_true (wait_for (key_in_keyring, j, TIMEOUT_MS));
  g_assert_true (wait_for (studio_shown, j, TIMEOUT_MS));
  g_assert_cmpint (easel_account_get_key_source (easel_application_get_account (j->app)), ==, EASEL_KEY_SOURCE_KEYRING);
  g_assert_true (easel_client_has_api_key (easel_application_get_client (j->app)));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row)), ==, "");

  gtk_window_close (GTK_WINDOW (prefs));
  easel_test_spin_ms (50);
}

static void
step_generate_with_partials (Journey *j)
{
  guint first_final = G_MAXUINT;

  send_prompt (j, "a city park at dawn");
  g_assert_true (wait_for (head_settled, j, TIMEOUT_MS));
  g_assert_cmpint (easel_session_turn_get_state (head (j)), ==, EASEL_TURN_DONE);

  /* Partials reached the canvas, all of them before the final, and the
   * final is what stays. */
  for (guint i = 0; i < j->frames->len; i++)
    if (g_str_equal (g_ptr_array_index (j->frames, i), "final") && first_final == G_MAXUINT)
      first_final = i;
  g_assert_cmpuint (first_final, !=, G_MAXUINT);
  g_assert_cmpuint (first_final, >=, 1);
  for (guint i = 0; i < first_final; i++)
    g_assert_cmpstr (g_ptr_array_index (j->frames, i), ==, "partial");
  g_assert_true (easel_canvas_get_texture (easel_window_get_canvas (j->window)) ==
                 easel_session_turn_get_texture (head (j)));
  g_assert_false (easel_canvas_get_refining (easel_window_get_canvas (j->window)));

  /* A new conversation continues from nothing. */
  g_assert_null (last_previous_response_id (j));
  g_assert_true (row_shows_image (j, head (j)));
}

static void
step_edit_three_turns (Journey *j)
{
  static const char * const edits[] = {
    "now add a fountain in the centre",
    "put ducks in the fountain",
    "make it autumn",
  };

  for (guint i = 0; i < G_N_ELEMENTS (edits); i++)
    {
      g_autoptr(EaselSessionTurn) previous = g_object_ref (head (j));

      send_and_settle (j, edits[i]);
      assert_continued_from (j, previous);
      g_assert_true (easel_session_turn_get_parent (head (j)) == previous);
      g_assert_cmpstr (easel_session_turn_get_action (head (j)), ==, "edit");
      g_assert_true (row_shows_image (j, head (j)));
    }
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (session (j))), ==, 4);
}

static void
step_branch_from_first (Journey *j)
{
  GListModel *visible = G_LIST_MODEL (session (j));
  g_autoptr(EaselSessionTurn) first = g_list_model_get_item (visible, 0);
  g_autoptr(EaselSessionTurn) second = g_list_model_get_item (visible, 1);
  EaselSessionTurn *branch;
  GtkWidget *row;

  /* "Continue From Here" on turn 1. */
  row = row_for (j, first);
  click (find_widget (row, is_button_for_action, "turn.continue"));
  j->watch = first;
  g_assert_true (wait_for (head_is_watched, j, TIMEOUT_MS));
  g_assert_cmpuint (g_list_model_get_n_items (visible), ==, 1);

  send_and_settle (j, "make it night instead");
  assert_continued_from (j, first);
  branch = head (j);
  g_assert_true (easel_session_turn_get_parent (branch) == first);

  /* Two branches hang off turn 1, and the pane says so on both. */
  g_assert_cmpuint (n_siblings (branch), ==, 2);
  g_assert_cmpuint (n_siblings (second), ==, 2);
  g_assert_cmpstr (branch_label (j, branch), ==, "Branch 2 of 2");

  /* The switcher goes back to the first branch, with its four turns… */
  click (find_widget (row_for (j, branch), is_button_for_action, "turn.branch-prev"));
  j->watch = g_list_model_get_item (easel_session_get_all_turns (session (j)), 3);
  g_object_unref (j->watch);   /* the session keeps it */
  g_assert_true (wait_for (head_is_watched, j, TIMEOUT_MS));
  g_assert_cmpuint (g_list_model_get_n_items (visible), ==, 4);
  g_assert_cmpstr (branch_label (j, second), ==, "Branch 1 of 2");

  /* …and forward again to the new one. */
  click (find_widget (row_for (j, second), is_button_for_action, "turn.branch-next"));
  j->watch = branch;
  g_assert_true (wait_for (head_is_watched, j, TIMEOUT_MS));
  g_assert_cmpuint (g_list_model_get_n_items (visible), ==, 2);
  g_assert_true (head (j) == branch);
  /* The canvas follows with the branch's full image (decoded again if it
   * had fallen back to its thumbnail). */
  g_assert_true (wait_for (canvas_shows_head, j, TIMEOUT_MS));
}

static void
step_cancel (Journey *j)
{
  g_autoptr(EaselSessionTurn) before = g_object_ref (head (j));
  g_autoptr(EaselSessionTurn) cancelled = NULL;
  GtkWidget *button;

  /* Slow enough to press Cancel while the partials arrive. */
  easel_fake_server_set_event_delay_ms (j->server, 400);
  send_prompt (j, "paint it in oils");
  cancelled = g_object_ref (head (j));
  g_assert_true (wait_for (head_has_partial, j, TIMEOUT_MS));
  g_assert_true (easel_canvas_get_refining (easel_window_get_canvas (j->window)));

  button = send_button (j);
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (button)), ==, "win.cancel");
  click (button);
  j->watch = cancelled;
  g_assert_true (wait_for (watched_cancelled, j, TIMEOUT_MS));
  g_assert_false (easel_session_get_busy (session (j)));
  g_assert_false (easel_canvas_get_refining (easel_window_get_canvas (j->window)));
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (send_button (j))), ==, "win.send");

  /* Nothing late changes it. */
  easel_test_spin_ms (600);
  g_assert_cmpint (easel_session_turn_get_state (cancelled), ==, EASEL_TURN_CANCELLED);
  g_assert_true (easel_session_turn_get_parent (cancelled) == before);

  /* The conversation goes on from the last turn the server finished: the
   * cancelled response is no base to build on. */
  easel_fake_server_set_event_delay_ms (j->server, 30);
  send_and_settle (j, "paint it in watercolour");
  assert_continued_from (j, before);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (session (j))), ==, 4);
}

static void
step_error_and_retry (Journey *j)
{
  g_autoptr(EaselSessionTurn) before = g_object_ref (head (j));
  g_autoptr(EaselSessionTurn) failed = NULL;
  EaselFakeReply *reply;
  GtkWidget *row, *error_box, *retry;
  const char *shown;

  reply = easel_fake_reply_new_error (500, "server_error", NULL,
                                      "The server had an error while processing your request.");
  /* The SDK retries 5xx on its own; this one the server says not to. */
  easel_fake_reply_add_header (reply, "x-should-retry", "false");
  easel_fake_server_queue_reply (j->server, "/v1/responses", reply);

  send_prompt (j, "add a rainbow");
  g_assert_true (wait_for (head_failed, j, TIMEOUT_MS));
  failed = g_object_ref (head (j));
  g_assert_nonnull (easel_session_turn_get_error (failed));

  /* The error shows inline in the turn, with the server's message. */
  row = row_for (j, failed);
  error_box = find_widget (row, has_css_class, "turn-error");
  g_assert_nonnull (error_box);
  g_assert_true (gtk_widget_is_visible (error_box));
  shown = gtk_label_get_label (GTK_LABEL (find_of_type (error_box, GTK_TYPE_LABEL)));
  g_assert_nonnull (strstr (shown, "The server had an error"));

  /* Retry sends the same turn again, from the same place. */
  easel_fake_server_clear_requests (j->server);
  retry = find_widget (error_box, is_button_for_action, "turn.retry");
  click (retry);
  g_assert_true (wait_for (busy, j, TIMEOUT_MS));
  g_assert_true (wait_for (head_settled, j, TIMEOUT_MS));
  g_assert_cmpint (easel_session_turn_get_state (head (j)), ==, EASEL_TURN_DONE);
  g_assert_true (head (j) != failed);
  g_assert_cmpstr (easel_session_turn_get_prompt (head (j)), ==, "add a rainbow");
  g_assert_cmpuint (easel_fake_server_get_n_requests (j->server), ==, 1);
  assert_continued_from (j, before);
  g_assert_true (easel_session_turn_get_parent (head (j)) == before);
  g_assert_true (row_shows_image (j, head (j)));
  g_assert_true (wait_for (canvas_shows_head, j, TIMEOUT_MS));
}

static gboolean
notified (Journey *j)
{
  return g_strcmp0 (last_notification, "Your image is ready") == 0;
}

static void
first_run (Journey *j)
{
  GdkTexture *final;

  g_test_message ("%s", "set key");
  step_set_key (j);
  g_test_message ("%s", "generate with partials");
  step_generate_with_partials (j);
  g_test_message ("%s", "edit three turns");
  step_edit_three_turns (j);
  g_test_message ("%s", "branch from first");
  step_branch_from_first (j);
  g_test_message ("%s", "cancel");
  step_cancel (j);
  g_test_message ("%s", "error and retry");
  step_error_and_retry (j);

  /* Nothing here gives the window focus (no window manager on Xvfb), so
   * every finished generation was announced as a desktop notification;
   * the last one was the successful Retry. */
  g_assert_true (wait_for (notified, j, TIMEOUT_MS));
  g_assert_cmpstr (last_notification, ==, "Your image is ready");
  g_assert_true (saw_failure_notification);

  /* Remember what the next start must find. */
  j->n_all_turns = g_list_model_get_n_items (easel_session_get_all_turns (session (j)));
  g_assert_cmpuint (j->n_all_turns, ==, 9);
  j->last_response_id = g_strdup (easel_session_turn_get_response_id (head (j)));
  j->last_prompt = g_strdup (easel_session_turn_get_prompt (head (j)));
  final = easel_canvas_get_texture (easel_window_get_canvas (j->window));
  j->final_width = gdk_texture_get_width (final);
  j->final_height = gdk_texture_get_height (final);
}

/* The steps of the second run */

static gboolean
gallery_ready (Journey *j)
{
  GtkWidget *grid = find_of_type (easel_window_get_gallery (j->window), GTK_TYPE_GRID_VIEW);
  GListModel *model = grid ? G_LIST_MODEL (gtk_grid_view_get_model (GTK_GRID_VIEW (grid))) : NULL;

  if (model == NULL || g_list_model_get_n_items (model) == 0)
    return FALSE;
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(EaselGalleryItem) item = g_list_model_get_item (model, i);

      if (!easel_gallery_item_get_loaded (item))
        return FALSE;
    }
  return TRUE;
}

static gboolean
conversation_restored (Journey *j)
{
  return g_list_model_get_n_items (easel_session_get_all_turns (session (j))) == j->n_all_turns &&
         head (j) != NULL && easel_session_turn_get_texture (head (j)) != NULL;
}

static void
second_run (Journey *j)
{
  GListModel *all, *visible;
  EaselSessionTurn *first, *second, *branch, *cancelled, *after_cancel, *failed, *last;
  GdkTexture *canvas_texture;

  /* The key is still there: no welcome page this time. */
  g_assert_true (wait_for (key_checked, j, TIMEOUT_MS));
  g_assert_cmpint (easel_account_get_key_source (easel_application_get_account (j->app)), ==, EASEL_KEY_SOURCE_KEYRING);
  g_assert_true (studio_shown (j));

  /* The window reopens on the conversation we left, by itself. */
  g_assert_true (wait_for (conversation_restored, j, TIMEOUT_MS));
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (j->window->view_stack), ==, "studio");

  /* Every turn of every branch, with the tree as it was. */
  all = easel_session_get_all_turns (session (j));
  visible = G_LIST_MODEL (session (j));
  first = find_turn_by_prompt (all, "a city park at dawn", 0);
  second = find_turn_by_prompt (all, "now add a fountain in the centre", 0);
  branch = find_turn_by_prompt (all, "make it night instead", 0);
  cancelled = find_turn_by_prompt (all, "paint it in oils", 0);
  after_cancel = find_turn_by_prompt (all, "paint it in watercolour", 0);
  failed = find_turn_by_prompt (all, "add a rainbow", 0);
  last = find_turn_by_prompt (all, "add a rainbow", 1);
  g_assert_nonnull (first);
  g_assert_nonnull (second);
  g_assert_nonnull (branch);
  g_assert_nonnull (cancelled);
  g_assert_nonnull (after_cancel);
  g_assert_nonnull (failed);
  g_assert_nonnull (last);
  g_assert_null (easel_session_turn_get_parent (first));
  g_assert_true (easel_session_turn_get_parent (second) == first);
  g_assert_true (easel_session_turn_get_parent (branch) == first);
  g_assert_true (easel_session_turn_get_parent (cancelled) == branch);
  g_assert_true (easel_session_turn_get_parent (after_cancel) == cancelled);
  g_assert_true (easel_session_turn_get_parent (failed) == after_cancel);
  g_assert_true (easel_session_turn_get_parent (last) == after_cancel);

  /* The branch we were on is shown, ending at the newest image… */
  g_assert_true (head (j) == last);
  g_assert_cmpstr (easel_session_turn_get_response_id (last), ==, j->last_response_id);
  g_assert_cmpuint (g_list_model_get_n_items (visible), ==, 5);
  g_assert_cmpuint (n_siblings (branch), ==, 2);
  g_assert_cmpuint (n_siblings (second), ==, 2);
  g_assert_cmpstr (branch_label (j, branch), ==, "Branch 2 of 2");
  g_assert_cmpuint (n_siblings (last), ==, 2);

  /* …with images on the rows that had one, and the selected turn's full
   * image on the canvas. */
  g_assert_true (row_shows_image (j, first));
  g_assert_true (row_shows_image (j, branch));
  g_assert_true (row_shows_image (j, after_cancel));
  g_assert_true (row_shows_image (j, last));
  g_assert_true (wait_for (canvas_shows_head, j, TIMEOUT_MS));
  canvas_texture = easel_canvas_get_texture (easel_window_get_canvas (j->window));
  g_assert_cmpint (gdk_texture_get_width (canvas_texture), ==, j->final_width);
  g_assert_cmpint (gdk_texture_get_height (canvas_texture), ==, j->final_height);

  /* The gallery holds every image too. */
  adw_view_stack_set_visible_child_name (j->window->view_stack, "gallery");
  g_assert_true (wait_for (gallery_ready, j, TIMEOUT_MS));
  adw_view_stack_set_visible_child_name (j->window->view_stack, "studio");

  /* And it goes on from there. */
  easel_fake_server_clear_requests (j->server);
  send_and_settle (j, "frame it in gold");
  g_assert_cmpuint (easel_fake_server_get_n_requests (j->server), ==, 1);
  assert_continued_from (j, last);
}

/* Running an instance */

static gboolean
run_steps_cb (gpointer user_data)
{
  Journey *j = user_data;
  GtkApplication *app = GTK_APPLICATION (j->app);

  j->steps (j);

  /* Quit as a user does: close the window, then Ctrl+Q. */
  gtk_window_close (GTK_WINDOW (j->window));
  if (g_application_get_is_registered (G_APPLICATION (app)))
    g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  return G_SOURCE_REMOVE;
}

static void
activate_cb (GApplication *app,
             Journey      *j)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  /* A second "activate" (there is none here) would only present it again. */
  if (j->window != NULL)
    return;
  g_assert_true (EASEL_IS_WINDOW (window));
  j->window = EASEL_WINDOW (window);
  g_object_add_weak_pointer (G_OBJECT (j->window), (gpointer *)&j->window);
  g_signal_connect (easel_window_get_canvas (j->window), "notify::texture", G_CALLBACK (canvas_texture_cb), j);
  g_idle_add (run_steps_cb, j);
}

static gboolean
window_gone (Journey *j)
{
  return j->window == NULL;
}

static gboolean
app_gone (Journey *j)
{
  return j->app == NULL;
}

static void
run_instance (Journey *j,
              Steps    steps)
{
  int status;

  j->steps = steps;
  j->app = easel_application_new ();
  g_object_add_weak_pointer (G_OBJECT (j->app), (gpointer *)&j->app);
  g_signal_connect_after (j->app, "activate", G_CALLBACK (activate_cb), j);

  status = g_application_run (G_APPLICATION (j->app), 0, NULL);
  g_assert_cmpint (status, ==, 0);

  /* Store writes finish on their worker and hand back to the main loop;
   * then nothing holds the application any more, and its name on the bus
   * is free for the next start. */
  g_object_unref (j->app);
  g_assert_true (wait_for (app_gone, j, TIMEOUT_MS));
  g_assert_true (wait_for (window_gone, j, TIMEOUT_MS));
}

static void
test_done_when (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *stale = NULL;
  Journey j = { 0 };

  j.server = easel_fake_server_new (&error);
  g_assert_no_error (error);
  easel_fake_server_set_event_delay_ms (j.server, 30);
  j.key = g_strdup_printf ("sk-journey-%08x%08x", g_random_int (), g_random_int ());
  j.frames = g_ptr_array_new ();

  /* A new user: no key in the environment, the app pointed at the fake. */
  g_unsetenv ("OPENAI_API_KEY");
  g_setenv ("OPENAI_BASE_URL", easel_fake_server_get_base_url (j.server), TRUE);
  j.base_url = easel_config_resolve_base_url (NULL, NULL, &error);
  g_assert_no_error (error);

  stale = easel_secret_lookup_sync (j.base_url, NULL, &error);
  if (error != NULL)
    {
      g_autofree char *why = g_strdup_printf ("No usable Secret Service: %s", error->message);
      g_test_skip (why);
      goto out;
    }
  g_assert_null (stale);
  own_notifications (&j.n_notified);

  run_instance (&j, first_run);
  run_instance (&j, second_run);

  /* Leave the session keyring as we found it. */
  g_assert_true (easel_secret_clear_sync (j.base_url, NULL, NULL));

out:
  g_clear_pointer (&j.frames, g_ptr_array_unref);
  g_clear_pointer (&j.server, easel_fake_server_free);
  g_free (j.base_url);
  g_free (j.key);
  g_free (j.last_response_id);
  g_free (j.last_prompt);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  if (!gtk_init_check ())
    {
      /* 77: meson counts the test as skipped. */
      g_printerr ("No display: the journey UI test needs Xvfb; skipping\n");
      return 77;
    }

  g_test_add_func ("/gui/journey/done-when", test_done_when);

  return g_test_run ();
}
