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
#include "easel-window.h"

struct _EaselApplication
{
  AdwApplication parent_instance;

  EaselClient *client;
  EaselLibrary *library;  /* the one owner of the store */
  GSettings *settings;
  GCancellable *cancellable;
  EaselKeySource key_source;
  char *key_error;
  gboolean key_checked;
};

G_DEFINE_FINAL_TYPE (EaselApplication, easel_application, ADW_TYPE_APPLICATION)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_KEY_SOURCE,
  PROP_KEY_ERROR,
  PROP_LIBRARY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
set_key_state (EaselApplication *self,
               EaselKeySource    source,
               const char       *error)
{
  self->key_source = source;
  g_free (self->key_error);
  self->key_error = g_strdup (error);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KEY_SOURCE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KEY_ERROR]);
}

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(EaselApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *key = easel_secret_lookup_finish (result, &error);
  const char *env = g_getenv ("OPENAI_API_KEY");

  self->key_checked = TRUE;

  if (key != NULL && *key)
    {
      easel_client_set_api_key (self->client, key);
      set_key_state (self, EASEL_KEY_SOURCE_KEYRING, NULL);
      return;
    }

  /* The environment is the fallback, and the way out when there is no
   * Secret Service at all. */
  if (env != NULL && *env)
    {
      easel_client_set_api_key (self->client, env);
      set_key_state (self, EASEL_KEY_SOURCE_ENVIRONMENT, error ? error->message : NULL);
      return;
    }

  easel_client_set_api_key (self->client, NULL);
  if (error && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *message =
        g_strdup_printf (_("The keyring is not available (%s). Easel never stores the key in a plain file: "
                           "start it with the OPENAI_API_KEY environment variable instead."),
                         error->message);
      set_key_state (self, EASEL_KEY_SOURCE_NONE, message);
    }
  else
    set_key_state (self, EASEL_KEY_SOURCE_NONE, NULL);
}

char *
easel_application_dup_base_url (EaselApplication *self)
{
  g_autofree char *setting = NULL;
  char *url;

  g_return_val_if_fail (EASEL_IS_APPLICATION (self), NULL);

  if (self->settings)
    setting = g_settings_get_string (self->settings, "base-url");
  url = easel_config_resolve_base_url (NULL, setting && *setting ? setting : NULL, NULL);
  return url ? url : g_strdup (EASEL_DEFAULT_BASE_URL);
}

void
easel_application_reload_key (EaselApplication *self)
{
  g_autofree char *base_url = NULL;

  g_return_if_fail (EASEL_IS_APPLICATION (self));

  base_url = easel_application_dup_base_url (self);
  easel_client_set_base_url (self->client, base_url);

  /* Like the CLI, OPENAI_API_KEY wins; it is also the answer when there is
   * no Secret Service. */
  if (g_getenv ("OPENAI_API_KEY") && *g_getenv ("OPENAI_API_KEY"))
    {
      easel_client_set_api_key (self->client, g_getenv ("OPENAI_API_KEY"));
      self->key_checked = TRUE;
      set_key_state (self, EASEL_KEY_SOURCE_ENVIRONMENT, NULL);
      return;
    }

  if (self->settings)
    {
      g_autofree char *org = g_settings_get_string (self->settings, "organization");
      easel_client_set_organization (self->client, *org ? org : NULL);
    }
  easel_secret_lookup_async (base_url, self->cancellable, lookup_cb, g_object_ref (self));
}

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

static const GActionEntry app_actions[] = {
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

  easel_application_reload_key (self);
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

static void
easel_application_shutdown (GApplication *app)
{
  EaselApplication *self = EASEL_APPLICATION (app);

  g_cancellable_cancel (self->cancellable);
  G_APPLICATION_CLASS (easel_application_parent_class)->shutdown (app);
}

static void
easel_application_dispose (GObject *object)
{
  EaselApplication *self = (EaselApplication *)object;

  g_clear_object (&self->client);
  g_clear_object (&self->library);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (easel_application_parent_class)->dispose (object);
}

static void
easel_application_finalize (GObject *object)
{
  EaselApplication *self = (EaselApplication *)object;

  g_clear_pointer (&self->key_error, g_free);

  G_OBJECT_CLASS (easel_application_parent_class)->finalize (object);
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
    case PROP_KEY_SOURCE: g_value_set_int (value, self->key_source); break;
    case PROP_KEY_ERROR: g_value_set_string (value, self->key_error); break;
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
  object_class->finalize = easel_application_finalize;
  object_class->get_property = easel_application_get_property;

  app_class->startup = easel_application_startup;
  app_class->activate = easel_application_activate;
  app_class->shutdown = easel_application_shutdown;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, EASEL_TYPE_CLIENT,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_KEY_SOURCE] =
    g_param_spec_int ("key-source", NULL, NULL, 0, 2, 0,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_KEY_ERROR] =
    g_param_spec_string ("key-error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LIBRARY] =
    g_param_spec_object ("library", NULL, NULL, EASEL_TYPE_LIBRARY,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
easel_application_init (EaselApplication *self)
{
  self->cancellable = g_cancellable_new ();
  self->settings = easel_params_dup_default_settings ();
  self->client = easel_client_new (EASEL_DEFAULT_BASE_URL, NULL);
  self->library = easel_library_new (NULL);
  if (self->settings)
    g_signal_connect_object (self->settings, "changed::base-url",
                             G_CALLBACK (easel_application_reload_key), self, G_CONNECT_SWAPPED);
}

EaselApplication *
easel_application_new (void)
{
  return g_object_new (EASEL_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
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

GSettings *
easel_application_get_settings (EaselApplication *self)
{
  g_return_val_if_fail (EASEL_IS_APPLICATION (self), NULL);
  return self->settings;
}

gboolean
easel_application_get_key_checked (EaselApplication *self)
{
  g_return_val_if_fail (EASEL_IS_APPLICATION (self), FALSE);
  return self->key_checked;
}

EaselKeySource
easel_application_get_key_source (EaselApplication *self)
{
  g_return_val_if_fail (EASEL_IS_APPLICATION (self), EASEL_KEY_SOURCE_NONE);
  return self->key_source;
}

const char *
easel_application_get_key_error (EaselApplication *self)
{
  g_return_val_if_fail (EASEL_IS_APPLICATION (self), NULL);
  return self->key_error;
}
