/* easel-application.c: the studio application
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-application"

#include "config.h"

#include <glib/gi18n.h>

#include "easel-application.h"
#include "easel-params.h"
#include "easel-preferences-window.h"
#include "easel-search-provider.h"
#include "easel-window.h"

struct _EaselApplication
{
  AdwApplication parent_instance;

  EaselClient *client;
  EaselAccount *account;  /* the one owner of the key and the server */
  EaselLibrary *library;  /* the one owner of the store */
  EaselBatchList *batches; /* the one owner of the batch jobs' traffic */
  GSettings *settings;
  EaselSearchProvider *search_provider;  /* GNOME Shell's search, while on the bus */
};

G_DEFINE_FINAL_TYPE (EaselApplication, easel_application, ADW_TYPE_APPLICATION)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_ACCOUNT,
  PROP_LIBRARY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

void
easel_application_show_preferences (EaselApplication *self,
                                    gboolean          focus_key)
{
  GtkWindow *parent;
  EaselPreferencesWindow *prefs;

  g_return_if_fail (EASEL_IS_APPLICATION (self));

  parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  prefs = easel_preferences_window_new (self, parent);
  gtk_window_present (GTK_WINDOW (prefs));
  if (focus_key)
    easel_preferences_window_focus_key (prefs);
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *param,
                    gpointer       user_data)
{
  easel_application_show_preferences (EASEL_APPLICATION (user_data), FALSE);
}

static void
about_action (GSimpleAction *action,
              GVariant      *param,
              gpointer       user_data)
{
  EaselApplication *self = EASEL_APPLICATION (user_data);
  const char *developers[] = { "The Easel contributors", NULL };

  adw_show_about_window (gtk_application_get_active_window (GTK_APPLICATION (self)),
                         "application-name", _("Easel"),
                         "application-icon", APP_ID,
                         "developer-name", _("The Easel contributors"),
                         "version", PACKAGE_VERSION,
                         "comments", _("Make and edit images with OpenAI's image models, turn by turn"),
                         "website", "https://github.com/easelstudio/easel",
                         "issue-url", "https://github.com/easelstudio/easel/issues",
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "developers", developers,
                         NULL);
}

static void
quit_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

/* A notification's default action: the Batches place of a window. */
static void
show_batches_action (GSimpleAction *action,
                     GVariant      *param,
                     gpointer       user_data)
{
  EaselApplication *self = EASEL_APPLICATION (user_data);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    window = GTK_WINDOW (easel_window_new (self));
  if (EASEL_IS_WINDOW (window))
    easel_window_show_batches (EASEL_WINDOW (window));
  gtk_window_present (window);
}

static gboolean
any_window_focused (EaselApplication *self)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (gtk_window_is_active (GTK_WINDOW (l->data)))
      return TRUE;
  return FALSE;
}

static void
job_finished_cb (EaselApplication *self,
                 EaselBatchItem   *item)
{
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *title = NULL;
  g_autofree char *body = NULL;
  guint n_images = easel_batch_item_get_n_images (item);
  guint n_failed = easel_batch_item_get_n_lines_failed (item);

  if (any_window_focused (self))
    return;

  if (n_failed > 0)
    /* Translators: a notification: images recorded by a batch job, then lines that failed. */
    title = g_strdup_printf (ngettext ("Batch finished: %u image, %u failed", "Batch finished: %u images, %u failed",
                                       n_images), n_images, n_failed);
  else
    title = g_strdup_printf (ngettext ("Batch finished: %u image", "Batch finished: %u images", n_images), n_images);
  body = g_strdup_printf (_("The images of %s are in the gallery."), easel_batch_item_get_batch_id (item));
  notification = g_notification_new (title);
  g_notification_set_body (notification, body);
  g_notification_set_default_action (notification, "app.show-batches");
  g_application_send_notification (G_APPLICATION (self), "batch-finished", notification);
}

static EaselWindow *present_window (EaselApplication *self, guint32 timestamp);

/* A notification's "Open" (easel-window-notify.c): the window that ran the
 * turn while it still shows its conversation, else the conversation loaded
 * from the library into the active window. */
static void
show_turn_action (GSimpleAction *action,
                  GVariant      *param,
                  gpointer       user_data)
{
  EaselApplication *self = EASEL_APPLICATION (user_data);
  GtkWindow *window;
  const char *turn_id = NULL;
  guint window_id = 0;
  gint64 conversation_id = 0, stored_turn_id = 0;

  g_variant_get (param, "(u&sxx)", &window_id, &turn_id, &conversation_id, &stored_turn_id);
  window = gtk_application_get_window_by_id (GTK_APPLICATION (self), window_id);
  if (EASEL_IS_WINDOW (window) && easel_window_show_turn (EASEL_WINDOW (window), turn_id))
    {
      gtk_window_present (window);
      return;
    }
  if (conversation_id > 0)
    easel_window_continue_conversation (present_window (self, GDK_CURRENT_TIME),
                                        conversation_id, stored_turn_id);
  else
    present_window (self, GDK_CURRENT_TIME);
}

static const GActionEntry app_actions[] = {
  { "show-batches", show_batches_action },
  { "show-turn", show_turn_action, "(usxx)" },
  { "preferences", preferences_action },
  { "about", about_action },
  { "quit", quit_action },
};

static void
easel_application_startup (GApplication *app)
{
  EaselApplication *self = EASEL_APPLICATION (app);
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *prefs_accels[] = { "<Control>comma", NULL };
  static const char *help_accels[] = { "<Control>question", NULL };

  G_APPLICATION_CLASS (easel_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", prefs_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-help-overlay", help_accels);

  easel_account_reload (self->account);

  /* Started by D-Bus (for a search), it waits a little for the next call
   * rather than reopening the library for each. */
  if (g_application_get_flags (app) & G_APPLICATION_IS_SERVICE)
    g_application_set_inactivity_timeout (app, 20000);
}

static void
easel_application_activate (GApplication *app)
{
  EaselApplication *self = EASEL_APPLICATION (app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    window = GTK_WINDOW (easel_window_new (self));
  gtk_window_present (window);
}

/* The most recently focused studio window: the active window may be
 * Preferences or About. NULL if there is none. */
static EaselWindow *
find_studio_window (EaselApplication *self)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (EASEL_IS_WINDOW (l->data))
      return EASEL_WINDOW (l->data);
  return NULL;
}

/* The window GNOME Shell's search or a notification brings up: the last
 * studio window, else a new one. */
static EaselWindow *
present_window (EaselApplication *self,
                guint32           timestamp)
{
  EaselWindow *window = find_studio_window (self);

  if (window == NULL)
    window = easel_window_new (self);
  gtk_window_present_with_time (GTK_WINDOW (window), timestamp);
  return window;
}

static void
search_activate_result_cb (EaselApplication *self,
                           gint64            generation_id,
                           guint             timestamp)
{
  easel_window_show_generation (present_window (self, timestamp), generation_id);
}

static void
search_launch_cb (EaselApplication *self,
                  const char       *text,
                  guint             timestamp)
{
  easel_window_search_gallery (present_window (self, timestamp), text);
}

static gboolean
easel_application_dbus_register (GApplication     *app,
                                 GDBusConnection  *connection,
                                 const char       *object_path,
                                 GError          **error)
{
  EaselApplication *self = EASEL_APPLICATION (app);
  g_autofree char *path = g_strconcat (object_path, "/SearchProvider", NULL);

  if (!G_APPLICATION_CLASS (easel_application_parent_class)->dbus_register (app, connection, object_path, error))
    return FALSE;

  /* The library opens in its worker; searches queue behind the opening. */
  self->search_provider = easel_search_provider_new (app, easel_application_get_library (self));
  g_signal_connect_object (self->search_provider, "activate-result",
                           G_CALLBACK (search_activate_result_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->search_provider, "launch-search",
                           G_CALLBACK (search_launch_cb), self, G_CONNECT_SWAPPED);
  return easel_search_provider_register (self->search_provider, connection, path, error);
}

static void
easel_application_dbus_unregister (GApplication    *app,
                                   GDBusConnection *connection,
                                   const char      *object_path)
{
  EaselApplication *self = EASEL_APPLICATION (app);

  if (self->search_provider != NULL)
    easel_search_provider_unregister (self->search_provider);
  g_clear_object (&self->search_provider);

  G_APPLICATION_CLASS (easel_application_parent_class)->dbus_unregister (app, connection, object_path);
}

/* Files → Open With, or `easel-studio FILE…`: a new conversation with the
 * images attached; an Easel PNG resumes its conversation instead. The
 * window reads them through the bounded loaders, never here. */
static void
easel_application_open (GApplication  *app,
                        GFile        **files,
                        int            n_files,
                        const char    *hint)
{
  EaselApplication *self = EASEL_APPLICATION (app);
  EaselWindow *window = find_studio_window (self);

  /* A new conversation would cancel the request the window is running. */
  if (window == NULL || easel_session_get_busy (easel_window_get_conversation (window)))
    window = easel_window_new (self);
  easel_window_open_files (window, files, n_files);
  gtk_window_present (GTK_WINDOW (window));
}

static void
easel_application_dispose (GObject *object)
{
  EaselApplication *self = (EaselApplication *)object;

  g_clear_object (&self->batches);
  g_clear_object (&self->search_provider);
  g_clear_object (&self->account);
  g_clear_object (&self->client);
  g_clear_object (&self->library);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (easel_application_parent_class)->dispose (object);
}

static void
easel_application_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  EaselApplication *self = EASEL_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_CLIENT: g_value_set_object (value, self->client); break;
    case PROP_ACCOUNT: g_value_set_object (value, self->account); break;
    case PROP_LIBRARY: g_value_set_object (value, self->library); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_application_class_init (EaselApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = easel_application_dispose;
  object_class->get_property = easel_application_get_property;

  app_class->startup = easel_application_startup;
  app_class->activate = easel_application_activate;
  app_class->open = easel_application_open;
  app_class->dbus_register = easel_application_dbus_register;
  app_class->dbus_unregister = easel_application_dbus_unregister;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, EASEL_TYPE_CLIENT,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ACCOUNT] =
    g_param_spec_object ("account", NULL, NULL, EASEL_TYPE_ACCOUNT,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_LIBRARY] =
    g_param_spec_object ("library", NULL, NULL, EASEL_TYPE_LIBRARY,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
easel_application_init (EaselApplication *self)
{
  self->settings = easel_params_dup_default_settings ();
  self->client = easel_client_new (EASEL_DEFAULT_BASE_URL, NULL);
  /* The key is read in startup, not here: a remote instance never needs it. */
  self->account = easel_account_new (self->settings, self->client);
  self->library = easel_library_new (NULL);
}

const char *
easel_application_locale_dir (const char *exe_path)
{
  g_autofree char *root = g_strconcat (BUILD_ROOT, G_DIR_SEPARATOR_S, NULL);

  if (exe_path != NULL && g_str_has_prefix (exe_path, root) &&
      g_file_test (BUILD_LOCALEDIR, G_FILE_TEST_IS_DIR))
    return BUILD_LOCALEDIR;
  return LOCALEDIR;
}

EaselApplication *
easel_application_new (void)
{
  return g_object_new (EASEL_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", RESOURCE_PREFIX,
                       NULL);
}

EaselClient *
easel_application_get_client (EaselApplication *self)
{
  g_return_val_if_fail (EASEL_IS_APPLICATION (self), NULL);
  return self->client;
}

EaselLibrary *
easel_application_get_library (EaselApplication *self)
{
  g_return_val_if_fail (EASEL_IS_APPLICATION (self), NULL);

  /* Opened on first use, in the library's worker: migrating and sweeping
   * never run on the main loop, and a broken library must not stop the
   * studio ("state" says how far it got). */
  easel_library_load (self->library);
  return self->library;
}

EaselBatchList *
easel_application_get_batches (EaselApplication *self)
{
  g_return_val_if_fail (EASEL_IS_APPLICATION (self), NULL);

  if (self->batches == NULL)
    {
      self->batches = easel_batch_list_new (self->client, easel_application_get_library (self));
      g_signal_connect_object (self->batches, "job-finished", G_CALLBACK (job_finished_cb), self,
                               G_CONNECT_SWAPPED);
    }
  return self->batches;
}

GSettings *
easel_application_get_settings (EaselApplication *self)
{
  g_return_val_if_fail (EASEL_IS_APPLICATION (self), NULL);
  return self->settings;
}

EaselAccount *
easel_application_get_account (EaselApplication *self)
{
  g_return_val_if_fail (EASEL_IS_APPLICATION (self), NULL);
  return self->account;
}
