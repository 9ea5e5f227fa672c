/* test-keyboard.c: the studio's keyboard shortcuts, pressed on a real X keyboard
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Keys are typed with xdotool (XTEST) into Xvfb, so each shortcut goes the
 * whole way a user's key does: X server, GDK, the focused widget, the
 * shortcut controllers up the tree, the action. Without xdotool the tests
 * skip.
 */

#define G_LOG_DOMAIN "test-keyboard"

#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>

#include "easel-core.h"
#include "easel-session.h"
#include "easel-window.h"
#include "fake-server.h"
#include "gui-test-util.h"

typedef struct
{
  EaselFakeServer *server;
  EaselClient *client;
  EaselStore *store;
  EaselLibrary *library;   /* over store: what the window writes through */
  char *dir;
  char *title;
  GSettings *settings;     /* only for the tests of a preference */
  EaselWindow *window;
} Fixture;

static EaselSession *
session (Fixture *f)
{
  return easel_window_get_conversation (f->window);
}

static EaselSessionTurn *
head (Fixture *f)
{
  return easel_session_get_head (session (f));
}

static gboolean
window_active (Fixture *f)
{
  return gtk_window_is_active (GTK_WINDOW (f->window));
}

/* There is no window manager on Xvfb: give our window the X input focus
 * by name (its title is unique per test), then type @keys. */
static void
press (Fixture    *f,
       const char *keys)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  const char *focus[] = { "xdotool", "search", "--sync", "--name", f->title, "windowfocus", "--sync", NULL };
  const char *type[] = { "xdotool", "key", "--delay", "40", keys, NULL };

  if (!window_active (f))
    {
      g_spawn_sync (NULL, (char **)focus, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                    NULL, NULL, NULL, &err, &status, &error);
      g_assert_no_error (error);
      g_assert_true (g_spawn_check_wait_status (status, NULL));
      g_assert_true (wait_for (window_active, f, 5000));
    }

  g_spawn_sync (NULL, (char **)type, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  easel_test_spin_ms (50);
}

static gboolean
window_mapped (Fixture *f)
{
  return gtk_widget_get_mapped (GTK_WIDGET (f->window));
}

static void
fixture_setup_with_settings (Fixture       *f,
                             gconstpointer  data);

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  static guint counter;
  g_autoptr(GError) error = NULL;

  f->server = easel_fake_server_new (&error);
  g_assert_no_error (error);
  easel_fake_server_set_event_delay_ms (f->server, GPOINTER_TO_UINT (data) ? GPOINTER_TO_UINT (data) : 20);
  f->client = easel_client_new (easel_fake_server_get_base_url (f->server), "sk-test-keyboard");
  f->dir = g_dir_make_tmp ("easel-test-keyboard-XXXXXX", &error);
  g_assert_no_error (error);
  f->store = easel_store_open (f->dir, &error);
  g_assert_no_error (error);
  f->library = easel_library_new_for_store (f->store);

  f->title = g_strdup_printf ("Easel keyboard test %d-%u", getpid (), ++counter);
  f->window = g_object_new (EASEL_TYPE_WINDOW, "client", f->client, "library", f->library,
                            "settings", f->settings, NULL);
  gtk_window_set_title (GTK_WINDOW (f->window), f->title);
  gtk_window_present (GTK_WINDOW (f->window));
  g_assert_true (wait_for (window_mapped, f, 5000));
  easel_test_spin_ms (100);
}

static void
fixture_setup_with_settings (Fixture       *f,
                             gconstpointer  data)
{
  /* The memory backend lives as long as the process: start from the default. */
  f->settings = g_settings_new (SETTINGS_SCHEMA_ID);
  g_settings_reset (f->settings, "send-with-ctrl-enter");
  fixture_setup (f, data);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  easel_test_spin_ms (50);
  if (f->library != NULL)
    easel_library_flush (f->library);
  g_clear_object (&f->library);
  g_clear_object (&f->store);
  g_clear_object (&f->client);
  g_clear_object (&f->settings);
  g_clear_pointer (&f->server, easel_fake_server_free);
  easel_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->title);
}

static gboolean
head_done (Fixture *f)
{
  EaselSessionTurn *turn = head (f);

  /* Done, and the final frame (decoded after the stream ends) is on show. */
  return turn != NULL && easel_session_turn_get_state (turn) == EASEL_TURN_DONE &&
         !easel_session_get_busy (session (f)) &&
         !easel_session_turn_get_is_partial (turn) &&
         easel_session_turn_get_texture (turn) != NULL &&
         easel_canvas_get_texture (easel_window_get_canvas (f->window)) == easel_session_turn_get_texture (turn);
}

static gboolean
head_running (Fixture *f)
{
  return head (f) != NULL && easel_session_turn_get_state (head (f)) == EASEL_TURN_RUNNING;
}

static gboolean
head_cancelled (Fixture *f)
{
  return head (f) != NULL && easel_session_turn_get_state (head (f)) == EASEL_TURN_CANCELLED &&
         !easel_session_get_busy (session (f));
}

/* Types a prompt into the composer (which has the focus) and sends it with
 * Ctrl+Enter. */
static void
type_and_send (Fixture    *f,
               const char *prompt)
{
  EaselComposer *composer = easel_window_get_composer (f->window);

  easel_composer_set_text (composer, prompt);
  easel_composer_focus (composer);
  press (f, "ctrl+Return");
}

static guint n_expected;

/* Sending goes through the budget check first, so the new turn appears a
 * moment after the key: wait for its request, then for its answer. */
static gboolean
sent_and_done (Fixture *f)
{
  return easel_fake_server_get_n_requests (f->server) >= n_expected && head_done (f) &&
         !easel_session_get_busy (session (f));
}

static void
test_ctrl_enter_sends (Fixture       *f,
                       gconstpointer  data)
{
  type_and_send (f, "a city park at dawn");
  n_expected = 1;
  g_assert_true (wait_for (sent_and_done, f, 20000));
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
  g_assert_cmpstr (easel_session_turn_get_prompt (head (f)), ==, "a city park at dawn");

  /* The keypad's Enter does the same. */
  type_and_send (f, "now add a fountain");
  n_expected = 2;
  g_assert_true (wait_for (sent_and_done, f, 20000));
  easel_composer_set_text (easel_window_get_composer (f->window), "and ducks");
  easel_composer_focus (easel_window_get_composer (f->window));
  press (f, "ctrl+KP_Enter");
  n_expected = 3;
  g_assert_true (wait_for (sent_and_done, f, 20000));
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 3);
  g_assert_cmpstr (easel_session_turn_get_prompt (head (f)), ==, "and ducks");
}

static gboolean
server_has_request (Fixture *f)
{
  return easel_fake_server_get_n_requests (f->server) >= 1;
}

static void
test_escape_cancels (Fixture       *f,
                     gconstpointer  data)
{
  type_and_send (f, "a slow one");
  g_assert_true (wait_for (head_running, f, 20000));
  /* Cancel a request the server has: on a loaded machine the turn runs
   * before the POST has reached it. */
  g_assert_true (wait_for (server_has_request, f, 20000));
  press (f, "Escape");
  g_assert_true (wait_for (head_cancelled, f, 5000));
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
}

static gboolean
conversation_empty (Fixture *f)
{
  return g_list_model_get_n_items (G_LIST_MODEL (session (f))) == 0;
}

static void
test_ctrl_n_new_conversation (Fixture       *f,
                              gconstpointer  data)
{
  EaselSession *before;

  type_and_send (f, "a city park at dawn");
  g_assert_true (wait_for (head_done, f, 20000));
  before = session (f);

  press (f, "ctrl+n");
  g_assert_true (wait_for (conversation_empty, f, 5000));
  g_assert_true (session (f) != before);
  g_assert_null (easel_canvas_get_texture (easel_window_get_canvas (f->window)));
}

static gboolean
gallery_search_focused (Fixture *f)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (f->window));
  GtkWidget *gallery = easel_window_get_gallery (f->window);

  /* The focus sits in the search entry's text, inside the gallery. */
  for (GtkWidget *w = focus; w != NULL; w = gtk_widget_get_parent (w))
    if (GTK_IS_SEARCH_ENTRY (w))
      return gallery != NULL && gtk_widget_is_ancestor (w, gallery) && gtk_widget_get_mapped (w);
  return FALSE;
}

static void
test_ctrl_f_searches_gallery (Fixture       *f,
                              gconstpointer  data)
{
  g_assert_false (gallery_search_focused (f));
  press (f, "ctrl+f");
  g_assert_true (wait_for (gallery_search_focused, f, 5000));
}

static gboolean
mask_selected (Fixture *f)
{
  return easel_canvas_has_mask_selection (easel_window_get_canvas (f->window));
}

static gboolean
mask_empty (Fixture *f)
{
  return !mask_selected (f);
}

static void
test_ctrl_z_undoes_on_canvas (Fixture       *f,
                              gconstpointer  data)
{
  EaselCanvas *canvas = easel_window_get_canvas (f->window);

  type_and_send (f, "a city park at dawn");
  g_assert_true (wait_for (head_done, f, 20000));
  g_assert_false (mask_selected (f));

  /* Ctrl+I inverts the empty mask: everything selected. */
  gtk_widget_grab_focus (GTK_WIDGET (canvas));
  press (f, "ctrl+i");
  g_assert_true (wait_for (mask_selected, f, 5000));

  /* Straight away, as xdotool types: the undo must already be enabled
   * (it used to wait for an idle, and this press was dropped). */
  press (f, "ctrl+z");
  g_assert_true (wait_for (mask_empty, f, 5000));
  press (f, "ctrl+shift+z");
  g_assert_true (wait_for (mask_selected, f, 5000));
}

/* The shortcuts window lists the canvas tools, invert, zoom and the
 * gallery's keys too, not only the studio's. */
static void
test_shortcuts_window_lists_all (void)
{
  static const char * const expected[] = {
    "Return <ctrl>Return", "<shift>Return", "Escape", "<ctrl>n", "<ctrl>v", "<ctrl>z", "<ctrl><shift>z",
    "b", "e", "m", "l", "<ctrl>i", "<ctrl>plus", "<ctrl>minus", "<ctrl>0", "<ctrl>1", "space",
    "<ctrl>f", "<ctrl>c", "<ctrl>e", "<ctrl>d", "Delete",
    "<ctrl>comma", "<ctrl>question", "<ctrl>q",
  };
  g_autoptr(GtkBuilder) builder = gtk_builder_new_from_resource ("/io/github/easelstudio/Easel/gtk/help-overlay.ui");
  g_autoptr(GSList) objects = gtk_builder_get_objects (builder);
  g_autoptr(GPtrArray) listed = g_ptr_array_new_with_free_func (g_free);

  for (GSList *l = objects; l != NULL; l = l->next)
    if (GTK_IS_SHORTCUTS_SHORTCUT (l->data))
      {
        char *accel = NULL;

        g_object_get (l->data, "accelerator", &accel, NULL);
        g_ptr_array_add (listed, accel);
      }
  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      gboolean found = FALSE;

      for (guint j = 0; j < listed->len && !found; j++)
        found = g_str_equal (g_ptr_array_index (listed, j), expected[i]);
      if (!found)
        g_error ("The shortcuts window does not list %s", expected[i]);
    }
  gtk_window_destroy (GTK_WINDOW (gtk_builder_get_object (builder, "help_overlay")));
}

/* Enter and Shift+Enter, and the hint in the empty composer */

static GtkLabel *
find_label (GtkWidget  *widget,
            const char *text)
{
  if (GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_label (GTK_LABEL (widget)), text) == 0)
    return GTK_LABEL (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkLabel *found = find_label (child, text);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
hint_shown (GtkWidget  *composer,
            const char *text)
{
  GtkLabel *label = find_label (composer, text);

  return label != NULL && gtk_widget_get_mapped (GTK_WIDGET (label));
}

static char *
composer_text (Fixture *f)
{
  return easel_composer_dup_text (easel_window_get_composer (f->window));
}

static void
test_enter_sends (Fixture       *f,
                  gconstpointer  data)
{
  EaselComposer *composer = easel_window_get_composer (f->window);
  const char *hint = "Enter to send, Shift+Enter for a new line";
  g_autofree char *text = NULL;

  /* The default: the empty composer says how to send. */
  g_assert_false (g_settings_get_boolean (f->settings, "send-with-ctrl-enter"));
  g_assert_true (hint_shown (GTK_WIDGET (composer), hint));

  /* Shift+Enter adds a line and sends nothing; the hint goes once there is text. */
  easel_composer_set_text (composer, "a lighthouse");
  easel_composer_focus (composer);
  g_assert_false (hint_shown (GTK_WIDGET (composer), hint));
  press (f, "ctrl+End");
  press (f, "shift+Return");
  press (f, "a");
  press (f, "t");
  text = composer_text (f);
  g_assert_cmpstr (text, ==, "a lighthouse\nat");
  easel_test_spin_ms (200);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 0);
  g_assert_null (head (f));

  /* Enter sends the prompt as typed, lines and all. */
  press (f, "Return");
  g_assert_true (wait_for (head_done, f, 20000));
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
  g_assert_cmpstr (easel_session_turn_get_prompt (head (f)), ==, "a lighthouse\nat");
  g_assert_true (hint_shown (GTK_WIDGET (composer), hint));

  /* Ctrl+Enter still sends too. */
  type_and_send (f, "now at night");
  g_assert_true (wait_for (head_done, f, 20000));
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 2);
}

static void
test_ctrl_enter_preference (Fixture       *f,
                            gconstpointer  data)
{
  EaselComposer *composer = easel_window_get_composer (f->window);
  const char *hint = "Ctrl+Enter to send, Enter for a new line";
  g_autofree char *text = NULL;

  /* The preference, as the Preferences switch writes it: the old way. */
  g_settings_set_boolean (f->settings, "send-with-ctrl-enter", TRUE);
  easel_test_spin_ms (50);
  g_assert_true (hint_shown (GTK_WIDGET (composer), hint));
  g_assert_false (hint_shown (GTK_WIDGET (composer), "Enter to send, Shift+Enter for a new line"));

  easel_composer_set_text (composer, "a lighthouse");
  easel_composer_focus (composer);
  press (f, "ctrl+End");
  press (f, "Return");
  press (f, "a");
  press (f, "t");
  text = composer_text (f);
  g_assert_cmpstr (text, ==, "a lighthouse\nat");
  easel_test_spin_ms (200);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 0);
  g_assert_null (head (f));

  press (f, "ctrl+Return");
  g_assert_true (wait_for (head_done, f, 20000));
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
  g_assert_cmpstr (easel_session_turn_get_prompt (head (f)), ==, "a lighthouse\nat");

  /* And back: Enter sends again at once. */
  g_settings_set_boolean (f->settings, "send-with-ctrl-enter", FALSE);
  easel_composer_set_text (composer, "at night");
  easel_composer_focus (composer);
  press (f, "Return");
  g_assert_true (wait_for (head_done, f, 20000));
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  if (!gtk_init_check ())
    {
      g_printerr ("No display: keyboard tests need Xvfb; skipping\n");
      return 77;
    }
  adw_init ();
  if (g_find_program_in_path ("xdotool") == NULL)
    {
      g_printerr ("xdotool is not installed (tools/install-deps.sh installs it); skipping\n");
      return 77;
    }

  g_test_add_func ("/gui/keyboard/shortcuts-window-lists-all", test_shortcuts_window_lists_all);
  g_test_add ("/gui/keyboard/ctrl-enter-sends", Fixture, NULL,
              fixture_setup, test_ctrl_enter_sends, fixture_teardown);
  g_test_add ("/gui/keyboard/enter-sends", Fixture, NULL,
              fixture_setup_with_settings, test_enter_sends, fixture_teardown);
  g_test_add ("/gui/keyboard/ctrl-enter-preference", Fixture, NULL,
              fixture_setup_with_settings, test_ctrl_enter_preference, fixture_teardown);
  g_test_add ("/gui/keyboard/escape-cancels", Fixture, GUINT_TO_POINTER (400),
              fixture_setup, test_escape_cancels, fixture_teardown);
  g_test_add ("/gui/keyboard/ctrl-n-new-conversation", Fixture, NULL,
              fixture_setup, test_ctrl_n_new_conversation, fixture_teardown);
  g_test_add ("/gui/keyboard/ctrl-f-searches-gallery", Fixture, NULL,
              fixture_setup, test_ctrl_f_searches_gallery, fixture_teardown);
  g_test_add ("/gui/keyboard/ctrl-z-undoes-on-canvas", Fixture, NULL,
              fixture_setup, test_ctrl_z_undoes_on_canvas, fixture_teardown);

  return g_test_run ();
}
