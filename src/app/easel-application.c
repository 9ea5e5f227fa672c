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
  EaselAccount *account;  /* the one owner of the key and the server */
  EaselLibrary *library;  /* the one owner of the store */
  EaselBatchList *batches; /* the one owner of the batch jobs' traffic */
  GSettings *settings;
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

static const GActionEntry app_actions[] = {
  { "show-batches", show_batches_action },
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
easel_application_dispose (GObject *object)
{
  EaselApplication *self = (EaselApplication *)object;

  g_clear_object (&self->batches);
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
