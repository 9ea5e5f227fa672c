/* easel-preferences-window.c: the API key, the server and the default parameters
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The key only ever goes to the keyring (libsecret). When there is no
 * Secret Service we say so and point at OPENAI_API_KEY; there is no
 * plain-text fallback.
 */

#define G_LOG_DOMAIN "easel-preferences-window"

#include "config.h"

#include <glib/gi18n.h>

#include "easel-params.h"
#include "easel-preferences-window.h"

struct _EaselPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  EaselApplication *app;
  GSettings *settings;
  GCancellable *cancellable;

  /* template */
  AdwPasswordEntryRow *key_row;
  AdwActionRow *key_status_row;
  GtkWidget *test_button;
  GtkWidget *remove_button;
  AdwEntryRow *base_url_row;
  AdwEntryRow *organization_row;
  AdwComboRow *image_model_row;
  AdwComboRow *quality_row;
  GtkSpinButton *partials_spin;
};

G_DEFINE_FINAL_TYPE (EaselPreferencesWindow, easel_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static char *
current_base_url (EaselPreferencesWindow *self)
{
  return easel_application_dup_base_url (self->app);
}

static void
update_key_status (EaselPreferencesWindow *self)
{
  const char *error = easel_application_get_key_error (self->app);
  const char *subtitle;

  switch (easel_application_get_key_source (self->app))
    {
    case EASEL_KEY_SOURCE_KEYRING:
      subtitle = _("A key is stored in your keyring");
      break;
    case EASEL_KEY_SOURCE_ENVIRONMENT:
      subtitle = _("Using the key from the OPENAI_API_KEY environment variable");
      break;
    case EASEL_KEY_SOURCE_NONE:
    default:
      subtitle = _("No key yet: paste one above and press Enter");
      break;
    }

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->key_status_row),
                                 error ? error : subtitle);
  gtk_widget_set_sensitive (self->remove_button,
                            easel_application_get_key_source (self->app) == EASEL_KEY_SOURCE_KEYRING);
  gtk_widget_set_sensitive (self->test_button,
                            easel_application_get_key_source (self->app) != EASEL_KEY_SOURCE_NONE);
}

static void
toast (EaselPreferencesWindow *self,
       const char             *message)
{
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (message));
}

static void
stored_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(EaselPreferencesWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!easel_secret_store_finish (result, &error))
    {
      g_autofree char *message = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      message = g_strdup_printf (_("The key could not be saved: %s. Without a keyring, start Easel with OPENAI_API_KEY set."),
                                 error->message);
      toast (self, message);
      return;
    }

  gtk_editable_set_text (GTK_EDITABLE (self->key_row), "");
  toast (self, _("Key saved in the keyring"));
  easel_application_reload_key (self->app);
}

static void
key_apply_cb (EaselPreferencesWindow *self)
{
  g_autofree char *base_url = current_base_url (self);
  g_autofree char *key = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->key_row)));

  g_strstrip (key);
  if (*key == 0)
    return;
  easel_secret_store_async (base_url, key, self->cancellable, stored_cb, g_object_ref (self));
}

static void
models_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(EaselPreferencesWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) models = easel_client_list_models_finish (EASEL_CLIENT (object), result, &error);

  gtk_widget_set_sensitive (self->test_button, TRUE);
  if (models == NULL)
    {
      g_autofree char *message = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      message = g_strdup_printf (_("The key did not work: %s"), error->message);
      toast (self, message);
    }
  else
    {
      g_autofree char *message =
        g_strdup_printf (ngettext ("The key works: %u model available",
                                   "The key works: %u models available", g_strv_length (models)),
                         g_strv_length (models));
      toast (self, message);
    }
}

static void
test_key_cb (EaselPreferencesWindow *self)
{
  gtk_widget_set_sensitive (self->test_button, FALSE);
  easel_client_list_models_async (easel_application_get_client (self->app),
                                  self->cancellable, models_cb, g_object_ref (self));
}

static void
cleared_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(EaselPreferencesWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!easel_secret_clear_finish (result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        toast (self, error->message);
      return;
    }
  toast (self, _("Key removed from the keyring"));
  easel_application_reload_key (self->app);
}

static void
remove_key_cb (EaselPreferencesWindow *self)
{
  g_autofree char *base_url = current_base_url (self);

  easel_secret_clear_async (base_url, self->cancellable, cleared_cb, g_object_ref (self));
}

static void
base_url_apply_cb (EaselPreferencesWindow *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->base_url_row));
  g_autoptr(GError) error = NULL;

  if (*text && !easel_config_validate_base_url (text, &error))
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->base_url_row), "error");
      toast (self, error->message);
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (self->base_url_row), "error");
  if (self->settings)
    g_settings_set_string (self->settings, "base-url", text);
  toast (self, *text ? _("Server saved") : _("Using OpenAI's server"));
}

static void
organization_apply_cb (EaselPreferencesWindow *self)
{
  if (self->settings)
    g_settings_set_string (self->settings, "organization",
                           gtk_editable_get_text (GTK_EDITABLE (self->organization_row)));
  easel_application_reload_key (self->app);
}

/* Combo rows over string settings. */

static void
combo_from_setting (AdwComboRow *row,
                    const char  *value)
{
  GListModel *model = adw_combo_row_get_model (row);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    if (g_strcmp0 (gtk_string_list_get_string (GTK_STRING_LIST (model), i), value) == 0)
      adw_combo_row_set_selected (row, i);
}

static void
combo_changed_cb (EaselPreferencesWindow *self,
                  GParamSpec             *pspec,
                  AdwComboRow            *row)
{
  GtkStringObject *item = adw_combo_row_get_selected_item (row);

  if (item == NULL || self->settings == NULL)
    return;
  g_settings_set_string (self->settings,
                         row == self->image_model_row ? "image-model" : "quality",
                         gtk_string_object_get_string (item));
}

static void
easel_preferences_window_dispose (GObject *object)
{
  EaselPreferencesWindow *self = (EaselPreferencesWindow *)object;

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), EASEL_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->app);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (easel_preferences_window_parent_class)->dispose (object);
}

static void
easel_preferences_window_class_init (EaselPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = easel_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/easel-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, EaselPreferencesWindow, key_row);
  gtk_widget_class_bind_template_child (widget_class, EaselPreferencesWindow, key_status_row);
  gtk_widget_class_bind_template_child (widget_class, EaselPreferencesWindow, test_button);
  gtk_widget_class_bind_template_child (widget_class, EaselPreferencesWindow, remove_button);
  gtk_widget_class_bind_template_child (widget_class, EaselPreferencesWindow, base_url_row);
  gtk_widget_class_bind_template_child (widget_class, EaselPreferencesWindow, organization_row);
  gtk_widget_class_bind_template_child (widget_class, EaselPreferencesWindow, image_model_row);
  gtk_widget_class_bind_template_child (widget_class, EaselPreferencesWindow, quality_row);
  gtk_widget_class_bind_template_child (widget_class, EaselPreferencesWindow, partials_spin);
  gtk_widget_class_bind_template_callback (widget_class, key_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, test_key_cb);
  gtk_widget_class_bind_template_callback (widget_class, remove_key_cb);
  gtk_widget_class_bind_template_callback (widget_class, base_url_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, organization_apply_cb);
}

static void
easel_preferences_window_init (EaselPreferencesWindow *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
}

EaselPreferencesWindow *
easel_preferences_window_new (EaselApplication *app,
                              GtkWindow        *parent)
{
  EaselPreferencesWindow *self;
  const EaselModelInfo **models = easel_model_list ();
  g_autoptr(GtkStringList) model_list = gtk_string_list_new (NULL);

  g_return_val_if_fail (EASEL_IS_APPLICATION (app), NULL);

  self = g_object_new (EASEL_TYPE_PREFERENCES_WINDOW,
                       "transient-for", parent,
                       "application", app,
                       NULL);
  self->app = g_object_ref (app);
  if (easel_application_get_settings (app))
    self->settings = g_object_ref (easel_application_get_settings (app));

  for (guint i = 0; models && models[i]; i++)
    gtk_string_list_append (model_list, models[i]->id);
  adw_combo_row_set_model (self->image_model_row, G_LIST_MODEL (model_list));

  if (self->settings)
    {
      g_autofree char *base_url = g_settings_get_string (self->settings, "base-url");
      g_autofree char *org = g_settings_get_string (self->settings, "organization");
      g_autofree char *image_model = g_settings_get_string (self->settings, "image-model");
      g_autofree char *quality = g_settings_get_string (self->settings, "quality");

      gtk_editable_set_text (GTK_EDITABLE (self->base_url_row), base_url);
      gtk_editable_set_text (GTK_EDITABLE (self->organization_row), org);
      combo_from_setting (self->image_model_row, image_model);
      combo_from_setting (self->quality_row, quality);
      g_settings_bind (self->settings, "partial-images",
                       gtk_spin_button_get_adjustment (self->partials_spin), "value",
                       G_SETTINGS_BIND_DEFAULT);
    }

  if (g_getenv ("OPENAI_BASE_URL"))
    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->base_url_row),
                                   _("Server URL (overridden by OPENAI_BASE_URL)"));

  g_signal_connect_object (self->image_model_row, "notify::selected", G_CALLBACK (combo_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->quality_row, "notify::selected", G_CALLBACK (combo_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (app, "notify::key-source", G_CALLBACK (update_key_status), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (app, "notify::key-error", G_CALLBACK (update_key_status), self, G_CONNECT_SWAPPED);
  update_key_status (self);

  return self;
}

void
easel_preferences_window_focus_key (EaselPreferencesWindow *self)
{
  g_return_if_fail (EASEL_IS_PREFERENCES_WINDOW (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->key_row));
}
