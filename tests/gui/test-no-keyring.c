/* test-no-keyring.c: the studio on a desktop without a Secret Service
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each case starts the real EaselApplication on a private D-Bus session
 * (GTestDBus) where nothing provides org.freedesktop.secrets. Without a key
 * the welcome page must say that the keyring is missing and point at
 * OPENAI_API_KEY; with OPENAI_API_KEY set the studio opens on it. Either
 * way no file under $HOME may hold a key.
 */

#define G_LOG_DOMAIN "test-no-keyring"

#include "config.h"

#include <adwaita.h>

#include "easel-application.h"
#include "easel-window-private.h"
#include "gui-test-util.h"

#define TIMEOUT_MS 20000

typedef struct
{
  EaselApplication *app;
  EaselWindow *window;
  gboolean with_env_key;
  gboolean checked;
} Run;

static gboolean
key_checked (Run *run)
{
  return easel_account_get_checked (easel_application_get_account (run->app));
}

static const char *
visible_page (Run *run)
{
  return gtk_stack_get_visible_child_name (run->window->studio_stack);
}

static gboolean
steps_cb (gpointer user_data)
{
  Run *run = user_data;

  g_assert_true (wait_for (key_checked, run, TIMEOUT_MS));

  if (run->with_env_key)
    {
      /* The environment is the way out: the studio opens on it. */
      g_assert_cmpint (easel_account_get_key_source (easel_application_get_account (run->app)), ==, EASEL_KEY_SOURCE_ENVIRONMENT);
      g_assert_cmpstr (visible_page (run), ==, "studio");
    }
  else
    {
      const char *detail = gtk_label_get_label (run->window->welcome_detail);

      /* No key anywhere: the welcome page, saying why and what to do. */
      g_assert_cmpint (easel_account_get_key_source (easel_application_get_account (run->app)), ==, EASEL_KEY_SOURCE_NONE);
      g_assert_cmpstr (visible_page (run), ==, "welcome");
      g_assert_true (gtk_widget_get_visible (GTK_WIDGET (run->window->welcome_detail)));
      g_assert_nonnull (strstr (detail, "keyring is not available"));
      g_assert_nonnull (strstr (detail, "OPENAI_API_KEY"));
    }

  run->checked = TRUE;
  g_application_quit (G_APPLICATION (run->app));
  return G_SOURCE_REMOVE;
}

static void
activate_cb (GApplication *app,
             Run          *run)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  g_assert_true (EASEL_IS_WINDOW (window));
  run->window = EASEL_WINDOW (window);
  g_idle_add (steps_cb, run);
}

/* Every regular file under @path, read whole, must not contain @needle. */

static void
run_app (gboolean with_env_key)
{
  g_autofree char *key = g_strdup_printf ("sk-no-keyring-%08x", g_random_int ());
  g_autofree char *id = g_strdup_printf ("%s.NoKeyring%d", APP_ID, with_env_key);
  Run run = { 0 };
  int status;

  if (with_env_key)
    g_setenv ("OPENAI_API_KEY", key, TRUE);
  else
    g_unsetenv ("OPENAI_API_KEY");
  g_setenv ("OPENAI_BASE_URL", "http://127.0.0.1:9/v1", TRUE);

  run.with_env_key = with_env_key;
  run.app = easel_application_new ();
  /* An application that ran stays on the bus until the process ends: each
   * case gets a name of its own. */
  g_application_set_application_id (G_APPLICATION (run.app), id);
  g_signal_connect_after (run.app, "activate", G_CALLBACK (activate_cb), &run);
  status = g_application_run (G_APPLICATION (run.app), 0, NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (run.checked);
  g_clear_object (&run.app);

  {
    g_autoptr(GFile) home = g_file_new_for_path (g_get_home_dir ());
    guint n_files = 0;

    g_assert_false (easel_test_tree_contains (home, key, &n_files));
  }
  g_unsetenv ("OPENAI_API_KEY");
}

static void
test_welcome_explains (void)
{
  run_app (FALSE);
}

static void
test_environment_key (void)
{
  run_app (TRUE);
}

int
main (int   argc,
      char *argv[])
{
  GTestDBus *bus;
  g_autofree char *display = NULL;
  int result;

  g_test_init (&argc, &argv, NULL);

  /* A session bus of our own, with no Secret Service on it, before GTK or
   * anything else connects to the real one. */
  display = g_strdup (g_getenv ("DISPLAY"));
  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);
  /* g_test_dbus_up() unsets DISPLAY (against X11 autolaunch); we want Xvfb. */
  if (display != NULL)
    g_setenv ("DISPLAY", display, TRUE);

  if (!gtk_init_check ())
    {
      g_printerr ("No display: this UI test needs Xvfb; skipping\n");
      return 77;
    }

  g_test_add_func ("/gui/no-keyring/welcome-explains", test_welcome_explains);
  g_test_add_func ("/gui/no-keyring/environment-key", test_environment_key);

  result = g_test_run ();
  /* Not _down() nor a last unref (which downs it): those wait for the
   * session connection to go away, and GTK keeps it until exit. */
  g_test_dbus_stop (bus);
  return result;
}
