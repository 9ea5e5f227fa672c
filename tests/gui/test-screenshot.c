/* test-screenshot.c: New From Screenshot through the desktop portal, under Xvfb
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * On the runner's private session bus there is no portal at first: the
 * action is off and the button says why. Then the test becomes the portal
 * (org.freedesktop.portal.Desktop with the Screenshot interface), answers
 * Screenshot with a Response on the request path, as xdg-desktop-portal
 * does, and the studio starts a new conversation with the picture attached.
 */

#define G_LOG_DOMAIN "test-screenshot"

#include "config.h"

#include <adwaita.h>

#include "easel-core.h"
#include "easel-window.h"
#include "easel-window-private.h"
#include "gui-test-util.h"

#define TIMEOUT_MS 20000

typedef struct
{
  char *dir;
  char *png;
  EaselStore *store;
  EaselLibrary *library;
  EaselClient *client;
  GDBusConnection *portal;
  guint n_calls;
  guint32 next_response;     /* 0 = a picture, 1 = the user cancelled */
  EaselWindow *window;
} Fixture;

static Fixture *fixture;

/* The portal */

static const char portal_xml[] =
  "<node>"
  "  <interface name='org.freedesktop.portal.Screenshot'>"
  "    <method name='Screenshot'>"
  "      <arg type='s' name='parent_window' direction='in'/>"
  "      <arg type='a{sv}' name='options' direction='in'/>"
  "      <arg type='o' name='handle' direction='out'/>"
  "    </method>"
  "    <property name='version' type='u' access='read'/>"
  "  </interface>"
  "</node>";

static void
portal_call_cb (GDBusConnection       *connection,
                const char            *sender,
                const char            *object_path,
                const char            *interface_name,
                const char            *method_name,
                GVariant              *parameters,
                GDBusMethodInvocation *invocation,
                gpointer               user_data)
{
  Fixture *f = user_data;
  g_autoptr(GVariant) options = g_variant_get_child_value (parameters, 1);
  g_autofree char *unique = g_strdelimit (g_strdup (sender + 1), ".", '_');
  g_autofree char *path = NULL;
  g_autofree char *uri = g_filename_to_uri (f->png, NULL, NULL);
  const char *token = NULL;
  GVariantBuilder results;

  f->n_calls++;
  g_assert_true (g_variant_lookup (options, "handle_token", "&s", &token));
  g_assert_true (g_variant_lookup (options, "interactive", "b", NULL));
  path = g_strdup_printf ("/org/freedesktop/portal/desktop/request/%s/%s", unique, token);
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(o)", path));

  g_variant_builder_init (&results, G_VARIANT_TYPE_VARDICT);
  if (f->next_response == 0)
    g_variant_builder_add (&results, "{sv}", "uri", g_variant_new_string (uri));
  g_dbus_connection_emit_signal (connection, sender, path, "org.freedesktop.portal.Request", "Response",
                                 g_variant_new ("(ua{sv})", f->next_response, &results), NULL);
}

static GVariant *
portal_get_property_cb (GDBusConnection  *connection,
                        const char       *sender,
                        const char       *object_path,
                        const char       *interface_name,
                        const char       *property_name,
                        GError          **error,
                        gpointer          user_data)
{
  return g_variant_new_uint32 (1);
}

static void
start_portal (Fixture *f)
{
  static const GDBusInterfaceVTable vtable = { portal_call_cb, portal_get_property_cb, NULL, { 0 } };

  f->portal = easel_test_serve_on_session_bus ("org.freedesktop.portal.Desktop", "/org/freedesktop/portal/desktop",
                                               portal_xml, &vtable, f, NULL);
}

/* The studio */

static EaselWindow *
new_window (Fixture *f)
{
  EaselWindow *window = g_object_new (EASEL_TYPE_WINDOW, "client", f->client, "library", f->library, NULL);

  gtk_window_present (GTK_WINDOW (window));
  return window;
}

static gboolean
tooltip_says (Fixture    *f,
              const char *text)
{
  const char *tooltip = gtk_widget_get_tooltip_text (f->window->screenshot_button);

  return tooltip != NULL && strstr (tooltip, text) != NULL;
}

static gboolean
says_unavailable (Fixture *f)
{
  return tooltip_says (f, "unavailable");
}

static gboolean
action_enabled (Fixture *f)
{
  return gtk_widget_is_sensitive (f->window->screenshot_button);
}

static gboolean
one_attachment (Fixture *f)
{
  return easel_composer_get_attachments (easel_window_get_composer (f->window))->len == 1;
}

static guint want_calls;

static gboolean
called (Fixture *f)
{
  return f->n_calls >= want_calls;
}

/* A real xdg-desktop-portal D-Bus could start would answer in our place. */
static gboolean
portal_activatable (void)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GVariant) reply = NULL;
  g_autofree const char **names = NULL;

  if (bus == NULL)
    return FALSE;
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "ListActivatableNames", NULL,
                                       G_VARIANT_TYPE ("(as)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  if (reply == NULL)
    return FALSE;
  g_variant_get (reply, "(^a&s)", &names);
  return g_strv_contains (names, "org.freedesktop.portal.Desktop");
}

static void
test_screenshot (void)
{
  g_autoptr(GBytes) png = NULL;
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 64, 40);
  g_autoptr(GError) error = NULL;
  Fixture *f = g_new0 (Fixture, 1);
  EaselInputImage *image;
  char *buffer = NULL;
  gsize len = 0;

  if (portal_activatable ())
    {
      g_test_skip ("xdg-desktop-portal is activatable on this bus: it would answer instead of the test");
      g_free (f);
      return;
    }
  fixture = f;
  f->dir = g_dir_make_tmp ("easel-screenshot-XXXXXX", &error);
  g_assert_no_error (error);
  f->png = g_build_filename (f->dir, "Screenshot from today.png", NULL);
  gdk_pixbuf_fill (pixbuf, 0x336699ff);
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &len, "png", NULL, NULL));
  g_assert_true (g_file_set_contents (f->png, buffer, len, NULL));
  g_free (buffer);
  f->store = easel_store_open (f->dir, &error);
  g_assert_no_error (error);
  f->library = easel_library_new_for_store (f->store);
  f->client = easel_client_new ("http://127.0.0.1:9/v1", "sk-test-screenshot");

  /* No portal on the bus: off, and the button says why. */
  f->window = new_window (f);
  g_assert_false (action_enabled (f));
  g_assert_true (wait_for (says_unavailable, f, TIMEOUT_MS));
  g_assert_false (action_enabled (f));
  gtk_window_destroy (GTK_WINDOW (f->window));

  /* A portal: on, and a picture taken becomes the input of a new conversation. */
  start_portal (f);
  f->window = new_window (f);
  g_assert_true (wait_for (action_enabled, f, TIMEOUT_MS));
  g_assert_true (tooltip_says (f, "New From Screenshot"));
  g_assert_false (says_unavailable (f));

  want_calls = 1;
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.new-from-screenshot", NULL);
  g_assert_true (wait_for (one_attachment, f, TIMEOUT_MS));
  g_assert_cmpuint (f->n_calls, ==, 1);
  image = g_ptr_array_index (easel_composer_get_attachments (easel_window_get_composer (f->window)), 0);
  g_assert_cmpstr (image->filename, ==, "Screenshot from today.png");
  g_assert_cmpuint (g_list_model_get_n_items (easel_session_get_all_turns (easel_window_get_conversation (f->window))), ==, 0);
  g_assert_true (wait_for (action_enabled, f, TIMEOUT_MS));

  /* The user cancels the portal's dialog: nothing changes, the action comes back. */
  f->next_response = 1;
  want_calls = 2;
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.new-from-screenshot", NULL);
  g_assert_true (wait_for (called, f, TIMEOUT_MS));
  g_assert_true (wait_for (action_enabled, f, TIMEOUT_MS));
  g_assert_true (one_attachment (f));

  gtk_window_destroy (GTK_WINDOW (f->window));
  easel_test_spin_ms (50);
  easel_library_flush (f->library);
  g_clear_object (&f->library);
  g_clear_object (&f->store);
  g_clear_object (&f->client);
  g_clear_object (&f->portal);
  easel_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->png);
  g_free (f);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  if (!gtk_init_check ())
    {
      g_printerr ("No display: the screenshot UI test needs Xvfb; skipping\n");
      return 77;
    }
  adw_init ();

  g_test_add_func ("/gui/screenshot/portal", test_screenshot);

  return g_test_run ();
}
