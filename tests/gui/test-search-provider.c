/* test-search-provider.c: GNOME Shell's search over the library, called over the session bus
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The application owns its name on the test's private session bus (the
 * runner's dbus-run-session) over a seeded library; the test calls
 * org.gnome.Shell.SearchProvider2 from a second connection, as the Shell
 * does, and checks the answers and what activation brings up.
 */

#define G_LOG_DOMAIN "test-search-provider"

#include "config.h"

#include <adwaita.h>

#include "easel-gallery.h"
#include "easel-gallery-private.h"
#include "easel-window.h"
#include "easel-window-private.h"
#include "gui-test-util.h"

#define TIMEOUT_MS 20000
#define IFACE "org.gnome.Shell.SearchProvider2"

typedef struct
{
  EaselApplication *app;
  GDBusConnection *shell;     /* the caller's own connection */
  char *object_path;
  GVariant *reply;
  GError *error;
  gint64 lighthouse, whale, pears, hostile;
} Fixture;

static GBytes *
make_png (guint32 rgba)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, 32, 32);
  char *buffer = NULL;
  gsize len = 0;

  gdk_pixbuf_fill (pixbuf, rgba);
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &len, "png", NULL, NULL));
  return g_bytes_new_take (buffer, len);
}

static gint64
insert (EaselStore *store,
        guint32     colour,
        const char *model,
        const char *prompt,
        const char *revised_prompt)
{
  g_autoptr(EaselGeneration) gen = easel_generation_new ();
  g_autoptr(GBytes) png = make_png (colour);
  g_autoptr(GError) error = NULL;
  gint64 id;

  gen->model = g_strdup (model);
  gen->api = g_strdup ("generate");
  gen->prompt = g_strdup (prompt);
  gen->revised_prompt = g_strdup (revised_prompt);
  gen->params_json = g_strdup ("{\"size\":\"1024x1024\"}");
  gen->size = g_strdup ("1024x1024");
  gen->format = g_strdup ("png");
  gen->created = 1764000000;
  gen->status = EASEL_GENERATION_OK;
  id = easel_store_insert_generation (store, gen, png, &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

/* The library the application opens: $XDG_DATA_HOME/easel (the runner's
 * throwaway $HOME). */
static void
seed_library (Fixture *f)
{
  g_autoptr(EaselStore) store = NULL;
  g_autoptr(GError) error = NULL;

  store = easel_store_open (NULL, &error);
  g_assert_no_error (error);
  f->lighthouse = insert (store, 0xc02020ff, "gpt-image-1", "a red lighthouse at dusk", NULL);
  /* Found by its revised prompt only. */
  f->whale = insert (store, 0x2040c0ff, "gpt-image-1.5", "a whale",
                     "a humpback whale breaching beside a lighthouse");
  f->pears = insert (store, 0x40a040ff, "gpt-image-1-mini", "a bowl of pears\non a table", NULL);
  /* A server's revised prompt is hostile: terminal escapes, a bidi override. */
  f->hostile = insert (store, 0x808080ff, "gpt-image-1\x1b[2J", "\x1b]0;owned\x07lighthouse \u202Eevil", NULL);
}

static void
reply_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  Fixture *f = user_data;

  f->reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &f->error);
  if (f->reply == NULL)
    f->reply = g_variant_new ("()");   /* done, with f->error set */
  g_variant_ref_sink (f->reply);
}

static gboolean
replied (Fixture *f)
{
  return f->reply != NULL;
}

/* Calls @method on the provider over the bus and waits for the answer
 * while the application's side runs in this same main loop. */
static GVariant *
call (Fixture    *f,
      const char *method,
      GVariant   *parameters)
{
  g_clear_pointer (&f->reply, g_variant_unref);
  g_clear_error (&f->error);
  g_dbus_connection_call (f->shell, APP_ID, f->object_path, IFACE, method, parameters, NULL,
                          G_DBUS_CALL_FLAGS_NO_AUTO_START, 10000, NULL, reply_cb, f);
  g_assert_true (wait_for (replied, f, TIMEOUT_MS));
  g_assert_no_error (f->error);
  return f->reply;
}

static GVariant *
terms (const char *first,
       ...)
{
  GVariantBuilder builder;
  va_list args;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("as"));
  va_start (args, first);
  for (const char *t = first; t != NULL; t = va_arg (args, const char *))
    g_variant_builder_add (&builder, "s", t);
  va_end (args);
  return g_variant_builder_end (&builder);
}

static char **
initial_results (Fixture  *f,
                 GVariant *search_terms)
{
  char **ids = NULL;

  g_variant_get (call (f, "GetInitialResultSet", g_variant_new_tuple (&search_terms, 1)), "(^as)", &ids);
  return ids;
}

static gboolean
has_id (char * const *ids,
        gint64        id)
{
  g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, id);

  return g_strv_contains ((const char * const *) ids, text);
}

static void
test_search (Fixture *f)
{
  g_auto(GStrv) lighthouse = NULL;
  g_auto(GStrv) pears = NULL;
  g_auto(GStrv) nothing = NULL;
  g_auto(GStrv) narrowed = NULL;
  g_auto(GStrv) blank = NULL;

  /* Prompts and revised prompts, matched as word prefixes. */
  lighthouse = initial_results (f, terms ("lighthou", NULL));
  g_assert_cmpuint (g_strv_length (lighthouse), ==, 3);
  g_assert_true (has_id (lighthouse, f->lighthouse));
  g_assert_true (has_id (lighthouse, f->whale));
  g_assert_true (has_id (lighthouse, f->hostile));

  pears = initial_results (f, terms ("bowl", "PEARS", NULL));
  g_assert_cmpuint (g_strv_length (pears), ==, 1);
  g_assert_true (has_id (pears, f->pears));

  nothing = initial_results (f, terms ("submarine", NULL));
  g_assert_cmpuint (g_strv_length (nothing), ==, 0);
  /* Quotes and FTS operators are words like any other. */
  blank = initial_results (f, terms ("\"", "NEAR(", "*", NULL));
  g_assert_cmpuint (g_strv_length (blank), ==, 0);

  {
    GVariant *args[] = { g_variant_new_strv ((const char * const *) lighthouse, -1), terms ("lighthouse", "red", NULL) };

    g_variant_get (call (f, "GetSubsearchResultSet", g_variant_new_tuple (args, 2)), "(^as)", &narrowed);
  }
  g_assert_cmpuint (g_strv_length (narrowed), ==, 1);
  g_assert_true (has_id (narrowed, f->lighthouse));
}

static GVariant *
meta_for (GVariant *metas,
          gint64    id)
{
  g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, id);

  for (gsize i = 0; i < g_variant_n_children (metas); i++)
    {
      g_autoptr(GVariant) meta = g_variant_get_child_value (metas, i);
      const char *meta_id = NULL;

      if (g_variant_lookup (meta, "id", "&s", &meta_id) && g_str_equal (meta_id, text))
        return g_steal_pointer (&meta);
    }
  return NULL;
}

static void
test_metas (Fixture *f)
{
  g_autofree char *lighthouse_id = g_strdup_printf ("%" G_GINT64_FORMAT, f->lighthouse);
  g_autofree char *whale_id = g_strdup_printf ("%" G_GINT64_FORMAT, f->whale);
  g_autofree char *hostile_id = g_strdup_printf ("%" G_GINT64_FORMAT, f->hostile);
  g_autofree char *pears_id = g_strdup_printf ("%" G_GINT64_FORMAT, f->pears);
  const char *ids[] = { lighthouse_id, whale_id, hostile_id, pears_id, "999999", "not-an-id", NULL };
  GVariant *arg = g_variant_new_strv (ids, -1);
  g_autoptr(GVariant) metas = NULL;
  g_autoptr(GVariant) meta = NULL;
  g_autoptr(GVariant) hostile = NULL;
  const char *name = NULL, *description = NULL, *gicon = NULL;
  g_autoptr(GIcon) icon = NULL;

  metas = g_variant_get_child_value (call (f, "GetResultMetas", g_variant_new_tuple (&arg, 1)), 0);
  /* Unknown ids are left out rather than failing the whole answer. */
  g_assert_cmpuint (g_variant_n_children (metas), ==, 4);

  meta = meta_for (metas, f->lighthouse);
  g_assert_nonnull (meta);
  g_assert_true (g_variant_lookup (meta, "name", "&s", &name));
  g_assert_cmpstr (name, ==, "a red lighthouse at dusk");
  g_assert_true (g_variant_lookup (meta, "description", "&s", &description));
  g_assert_true (g_str_has_prefix (description, "gpt-image-1 · "));
  g_assert_true (g_variant_lookup (meta, "gicon", "&s", &gicon));
  icon = g_icon_new_for_string (gicon, NULL);
  g_assert_true (G_IS_FILE_ICON (icon));
  g_assert_true (g_file_query_exists (g_file_icon_get_file (G_FILE_ICON (icon)), NULL));

  /* One line: the prompt's line break is a space. */
  {
    g_autoptr(GVariant) pears = meta_for (metas, f->pears);

    g_assert_true (g_variant_lookup (pears, "name", "&s", &name));
    g_assert_cmpstr (name, ==, "a bowl of pears on a table");
  }

  hostile = meta_for (metas, f->hostile);
  g_assert_nonnull (hostile);
  g_assert_true (g_variant_lookup (hostile, "name", "&s", &name));
  g_assert_null (strchr (name, '\x1b'));
  g_assert_null (strchr (name, '\x07'));
  g_assert_null (strstr (name, "\u202E"));
  g_assert_nonnull (strstr (name, "lighthouse"));
  g_assert_true (g_variant_lookup (hostile, "description", "&s", &description));
  g_assert_null (strchr (description, '\x1b'));
}

static EaselWindow *
app_window (Fixture *f)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (f->app));

  return EASEL_IS_WINDOW (window) ? EASEL_WINDOW (window) : NULL;
}

static gboolean
gallery_shows_pears (Fixture *f)
{
  EaselWindow *window = app_window (f);
  EaselGalleryItem *item;

  if (window == NULL || window->gallery == NULL || !EASEL_IS_GALLERY (window->gallery) ||
      g_strcmp0 (adw_view_stack_get_visible_child_name (window->view_stack), "gallery") != 0)
    return FALSE;
  item = easel_gallery_details_get_item (_easel_gallery_get_details (EASEL_GALLERY (window->gallery)));
  return item != NULL && easel_gallery_item_get_id (item) == f->pears;
}

static gboolean
gallery_searches_whale (Fixture *f)
{
  EaselWindow *window = app_window (f);

  return window != NULL && window->gallery != NULL && EASEL_IS_GALLERY (window->gallery) &&
         g_strcmp0 (adw_view_stack_get_visible_child_name (window->view_stack), "gallery") == 0 &&
         g_strcmp0 (easel_gallery_model_get_search_text (_easel_gallery_get_model (EASEL_GALLERY (window->gallery))),
                    "humpback whale") == 0;
}

static void
test_activate (Fixture *f)
{
  g_autofree char *pears_id = g_strdup_printf ("%" G_GINT64_FORMAT, f->pears);
  EaselWindow *window;

  /* No window yet: the search brings one up, on the gallery, showing it. */
  g_assert_null (app_window (f));
  call (f, "ActivateResult", g_variant_new ("(s@asu)", pears_id, terms ("pears", NULL), 0));
  g_assert_true (wait_for (gallery_shows_pears, f, TIMEOUT_MS));
  window = app_window (f);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));

  /* LaunchSearch: the same window, its gallery searching the terms. */
  call (f, "LaunchSearch", g_variant_new ("(@asu)", terms ("humpback", "whale", NULL), 0));
  g_assert_true (wait_for (gallery_searches_whale, f, TIMEOUT_MS));
  g_assert_true (app_window (f) == window);
  g_assert_cmpuint (g_list_length (gtk_application_get_windows (GTK_APPLICATION (f->app))), ==, 1);

  /* An id that is not ours is refused. */
  g_clear_pointer (&f->reply, g_variant_unref);
  g_clear_error (&f->error);
  g_dbus_connection_call (f->shell, APP_ID, f->object_path, IFACE, "ActivateResult",
                          g_variant_new ("(s@asu)", "../../etc/passwd", terms ("x", NULL), 0),
                          NULL, G_DBUS_CALL_FLAGS_NONE, 10000, NULL, reply_cb, f);
  g_assert_true (wait_for (replied, f, TIMEOUT_MS));
  g_assert_error (f->error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS);
}

static void
test_search_provider (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  Fixture f = { 0 };
  GList *windows;

  seed_library (&f);

  f.app = easel_application_new ();
  g_assert_true (g_application_register (G_APPLICATION (f.app), NULL, &error));
  g_assert_no_error (error);
  g_assert_false (g_application_get_is_remote (G_APPLICATION (f.app)));
  f.object_path = g_strconcat (g_application_get_dbus_object_path (G_APPLICATION (f.app)), "/SearchProvider", NULL);
  /* What data/…search-provider.ini tells the Shell. */
  g_assert_cmpstr (f.object_path, ==, "/io/github/easelstudio/Easel/SearchProvider");

  address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  f.shell = g_dbus_connection_new_for_address_sync (address,
                                                    G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                    G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                    NULL, NULL, &error);
  g_assert_no_error (error);

  test_search (&f);
  test_metas (&f);
  test_activate (&f);

  while ((windows = gtk_application_get_windows (GTK_APPLICATION (f.app))) != NULL)
    gtk_window_destroy (windows->data);
  easel_library_flush (easel_application_get_library (f.app));
  easel_test_spin_ms (50);

  g_clear_pointer (&f.reply, g_variant_unref);
  g_clear_object (&f.shell);
  g_clear_object (&f.app);
  g_free (f.object_path);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  if (!gtk_init_check ())
    {
      g_printerr ("No display: the search provider test needs Xvfb; skipping\n");
      return 77;
    }

  g_test_add_func ("/gui/search-provider/shell", test_search_provider);

  return g_test_run ();
}
