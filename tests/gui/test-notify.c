/* test-notify.c: a turn that finishes out of sight notifies, and "Open" brings it back, under Xvfb
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The test is the notification daemon: it owns org.freedesktop.Notifications
 * on the runner's private session bus (GLib's freedesktop backend talks to
 * it, as it would to GNOME Shell's), records each Notify, and clicks a
 * notification by emitting ActionInvoked (id, "default") as the daemon
 * does. The real application runs against the fake OpenAI server; nothing
 * focuses its window (there is no window manager on Xvfb), so every
 * finished turn is out of sight.
 */

#define G_LOG_DOMAIN "test-notify"

#include "config.h"

#include <adwaita.h>

#include "easel-session.h"
#include "easel-window.h"
#include "easel-window-private.h"
#include "fake-server.h"
#include "gui-test-util.h"

#define TIMEOUT_MS 20000
#define FIRST_PROMPT "a lighthouse at dusk \x1b[2J"
#define SECOND_PROMPT "now with a full moon\nand stars"

typedef struct
{
  EaselFakeServer *server;
  GDBusConnection *daemon;    /* owns org.freedesktop.Notifications */
  guint n_notified;
  guint n_closed;
  guint last_id;
  char *summary;
  char *body;
  char **actions;

  EaselApplication *app;
  EaselWindow *window;
  EaselSessionTurn *first;
  GtkWindow *decoy;           /* another program's window, with the focus */
} Fixture;

/* The notification daemon */

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
  "    <method name='GetCapabilities'><arg type='as' direction='out'/></method>"
  "  </interface>"
  "</node>";

static void
daemon_call_cb (GDBusConnection       *connection,
                const char            *sender,
                const char            *object_path,
                const char            *interface_name,
                const char            *method_name,
                GVariant              *parameters,
                GDBusMethodInvocation *invocation,
                gpointer               user_data)
{
  Fixture *f = user_data;

  if (g_str_equal (method_name, "Notify"))
    {
      /* (app_name, replaces_id, app_icon, summary, body, actions, hints, timeout) */
      g_clear_pointer (&f->summary, g_free);
      g_clear_pointer (&f->body, g_free);
      g_clear_pointer (&f->actions, g_strfreev);
      g_variant_get_child (parameters, 3, "s", &f->summary);
      g_variant_get_child (parameters, 4, "s", &f->body);
      g_variant_get_child (parameters, 5, "^as", &f->actions);
      f->last_id = ++f->n_notified;
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(u)", f->last_id));
    }
  else if (g_str_equal (method_name, "CloseNotification"))
    {
      f->n_closed++;
      g_dbus_method_invocation_return_value (invocation, NULL);
    }
  else if (g_str_equal (method_name, "GetCapabilities"))
    {
      const char *caps[] = { "actions", "body", NULL };

      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(^as)", caps));
    }
  else
    g_dbus_method_invocation_return_value (invocation, NULL);
}

static void
start_daemon (Fixture *f)
{
  static const GDBusInterfaceVTable vtable = { daemon_call_cb, NULL, NULL, { 0 } };

  f->daemon = easel_test_serve_on_session_bus ("org.freedesktop.Notifications", "/org/freedesktop/Notifications",
                                               notifications_xml, &vtable, f, NULL);
}

/* What a click on the notification does. */
static void
click_notification (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  g_dbus_connection_emit_signal (f->daemon, NULL, "/org/freedesktop/Notifications",
                                 "org.freedesktop.Notifications", "ActionInvoked",
                                 g_variant_new ("(us)", f->last_id, "default"), &error);
  g_assert_no_error (error);
  g_dbus_connection_flush_sync (f->daemon, NULL, NULL);
}

/* The studio */

static EaselSession *
session (Fixture *f)
{
  return easel_window_get_conversation (f->window);
}

static EaselSessionTurn *
head (Fixture *f)
{
  return session (f) ? easel_session_get_head (session (f)) : NULL;
}

static gboolean
head_settled (Fixture *f)
{
  EaselSessionTurn *turn = head (f);

  return turn != NULL && easel_session_turn_get_state (turn) == EASEL_TURN_DONE &&
         !easel_session_get_busy (session (f)) &&
         easel_session_turn_get_thumbnail (turn) != NULL;
}

static void
send_and_settle (Fixture    *f,
                 const char *prompt)
{
  easel_composer_set_text (easel_window_get_composer (f->window), prompt);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.send", NULL);
  g_assert_true (wait_for (head_settled, f, TIMEOUT_MS));
  g_assert_cmpstr (easel_session_turn_get_prompt (head (f)), ==, prompt);
}

static guint want_notified;

static gboolean
notified (Fixture *f)
{
  return f->n_notified >= want_notified;
}

static gboolean
stored (Fixture *f)
{
  EaselLibraryLink *link = easel_session_turn_get_library_link (f->first);

  return link != NULL && easel_library_link_get_id (link) > 0 &&
         easel_library_link_get_generation_id (link) > 0;
}

static const char *
page (Fixture *f)
{
  return adw_view_stack_get_visible_child_name (f->window->view_stack);
}

static gboolean
first_restored (Fixture *f)
{
  EaselSessionTurn *turn = head (f);

  return turn != NULL && turn != f->first && g_strcmp0 (page (f), "studio") == 0 &&
         g_strcmp0 (easel_session_turn_get_prompt (turn), FIRST_PROMPT) == 0;
}

static EaselSessionTurn *
selected (Fixture *f)
{
  return gtk_single_selection_get_selected_item (f->window->selection);
}

static gboolean
second_shown (Fixture *f)
{
  return g_strcmp0 (page (f), "studio") == 0 && selected (f) == head (f) &&
         g_strcmp0 (easel_session_turn_get_prompt (selected (f)), SECOND_PROMPT) == 0;
}

static gboolean
studio_inactive (Fixture *f)
{
  return !gtk_window_is_active (GTK_WINDOW (f->window)) && gtk_window_is_active (f->decoy);
}

/* Back in the window, the notification is withdrawn. */
static gboolean
closed (Fixture *f)
{
  return f->n_closed >= 1;
}

static gboolean
studio_active (Fixture *f)
{
  return gtk_window_is_active (GTK_WINDOW (f->window));
}

/* The user is in another window: without a window manager, X focus
 * follows the pointer unless someone sets it, so give it to a decoy. */
static void
focus_elsewhere (Fixture *f)
{
  g_autofree char *title = g_strdup_printf ("Another program %d", getpid ());
  const char *focus[] = { "timeout", "20", "xdotool", "search", "--sync", "--name", title, "windowfocus", "--sync", NULL };
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (f->decoy == NULL)
    {
      f->decoy = GTK_WINDOW (gtk_window_new ());
      gtk_window_set_title (f->decoy, title);
      gtk_window_set_default_size (f->decoy, 200, 100);
      gtk_window_present (f->decoy);
      easel_test_spin_ms (200);
    }
  g_spawn_sync (NULL, (char **) focus, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_true (wait_for (studio_inactive, f, TIMEOUT_MS));
}

static void
focus_studio (Fixture *f)
{
  g_autofree char *title = g_strdup_printf ("Easel notify test %d", getpid ());
  const char *focus[] = { "timeout", "20", "xdotool", "search", "--sync", "--name", title, "windowfocus", "--sync", NULL };
  g_autoptr(GError) error = NULL;
  int status = 0;

  gtk_window_set_title (GTK_WINDOW (f->window), title);
  /* The new title must reach the X server before xdotool looks for it. */
  easel_test_spin_ms (200);
  g_spawn_sync (NULL, (char **) focus, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_true (wait_for (studio_active, f, TIMEOUT_MS));
}

static void
steps (Fixture *f)
{
  guint n_turns;

  focus_elsewhere (f);

  /* A turn finishes out of sight: a notification says so, with the prompt
   * (escaped: it may come from outside) and a default action. */
  want_notified = 1;
  send_and_settle (f, FIRST_PROMPT);
  f->first = g_object_ref (head (f));
  g_assert_true (wait_for (notified, f, TIMEOUT_MS));
  g_assert_cmpstr (f->summary, ==, "Your image is ready");
  g_assert_nonnull (strstr (f->body, "a lighthouse at dusk"));
  g_assert_null (strchr (f->body, '\x1b'));
  g_assert_true (g_strv_contains ((const char * const *) f->actions, "default"));
  g_assert_true (g_strv_contains ((const char * const *) f->actions, "Open"));

  /* The user moved on: a new conversation, then the gallery. "Open" loads
   * the finished one back from the library. */
  g_assert_true (wait_for (stored, f, TIMEOUT_MS));
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.new-conversation", NULL);
  adw_view_stack_set_visible_child_name (f->window->view_stack, "gallery");
  g_assert_null (head (f));
  click_notification (f);
  g_assert_true (wait_for (first_restored, f, TIMEOUT_MS));
  n_turns = g_list_model_get_n_items (easel_session_get_all_turns (session (f)));
  g_assert_cmpuint (n_turns, ==, 1);

  /* "Open" brought the studio up, and with no window manager the focus
   * with it: a turn finished in front of the user is not announced. */
  g_assert_true (wait_for (studio_active, f, TIMEOUT_MS));
  send_and_settle (f, "in front of the user");
  easel_test_spin_ms (300);
  g_assert_cmpuint (f->n_notified, ==, 1);

  /* The user goes away again. */
  focus_elsewhere (f);

  /* The window still shows the conversation: "Open" selects the turn there. */
  want_notified = 2;
  send_and_settle (f, SECOND_PROMPT);
  g_assert_true (wait_for (notified, f, TIMEOUT_MS));
  g_assert_cmpstr (f->body, ==, SECOND_PROMPT);
  gtk_single_selection_set_selected (f->window->selection, 0);
  adw_view_stack_set_visible_child_name (f->window->view_stack, "gallery");
  g_assert_false (second_shown (f));
  click_notification (f);
  g_assert_true (wait_for (second_shown, f, TIMEOUT_MS));
  g_assert_cmpuint (g_list_model_get_n_items (easel_session_get_all_turns (session (f))), ==, 3);
  g_assert_cmpuint (g_list_length (gtk_application_get_windows (GTK_APPLICATION (f->app))), ==, 1);

  /* Out of sight again (once the focus "Open" gave has landed), and back
   * without clicking it: the notification about the window the user is
   * looking at is withdrawn. */
  g_assert_true (wait_for (studio_active, f, TIMEOUT_MS));
  focus_elsewhere (f);
  want_notified = 3;
  send_and_settle (f, "and a ship");
  g_assert_true (wait_for (notified, f, TIMEOUT_MS));
  g_assert_cmpuint (f->n_closed, ==, 0);
  focus_studio (f);
  g_assert_true (wait_for (closed, f, TIMEOUT_MS));
  gtk_window_destroy (f->decoy);
}

static gboolean
run_steps_cb (gpointer user_data)
{
  Fixture *f = user_data;

  steps (f);
  gtk_window_close (GTK_WINDOW (f->window));
  g_application_quit (G_APPLICATION (f->app));
  return G_SOURCE_REMOVE;
}

static void
activate_cb (GApplication *app,
             Fixture      *f)
{
  if (f->window != NULL)
    return;
  f->window = EASEL_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_assert_true (EASEL_IS_WINDOW (f->window));
  g_object_add_weak_pointer (G_OBJECT (f->window), (gpointer *)&f->window);
  g_idle_add (run_steps_cb, f);
}

static gboolean
app_gone (Fixture *f)
{
  return f->app == NULL;
}

static void
test_notify_and_open (void)
{
  g_autoptr(GError) error = NULL;
  Fixture f = { 0 };
  int status;

  f.server = easel_fake_server_new (&error);
  g_assert_no_error (error);
  easel_fake_server_set_event_delay_ms (f.server, 20);
  g_setenv ("OPENAI_BASE_URL", easel_fake_server_get_base_url (f.server), TRUE);
  g_setenv ("OPENAI_API_KEY", "sk-test-notify", TRUE);
  start_daemon (&f);

  f.app = easel_application_new ();
  g_object_add_weak_pointer (G_OBJECT (f.app), (gpointer *)&f.app);
  g_signal_connect_after (f.app, "activate", G_CALLBACK (activate_cb), &f);
  status = g_application_run (G_APPLICATION (f.app), 0, NULL);
  g_assert_cmpint (status, ==, 0);
  g_object_unref (f.app);
  g_assert_true (wait_for (app_gone, &f, TIMEOUT_MS));

  g_clear_object (&f.first);
  g_clear_object (&f.daemon);
  g_free (f.summary);
  g_free (f.body);
  g_strfreev (f.actions);
  easel_fake_server_free (f.server);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  if (!gtk_init_check ())
    {
      g_printerr ("No display: the notification UI test needs Xvfb; skipping\n");
      return 77;
    }
  if (g_find_program_in_path ("xdotool") == NULL)
    {
      g_printerr ("xdotool is not installed (tools/install-deps.sh installs it); skipping\n");
      return 77;
    }

  g_test_add_func ("/gui/notify/open", test_notify_and_open);

  return g_test_run ();
}
