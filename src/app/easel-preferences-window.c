/* easel-preferences-window.c: the API key, the server, spending and the default parameters
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
#include <string.h>

#include "easel-toast.h"
#include "easel-params.h"
#include "easel-params-popover.h"
#include "easel-preferences-window.h"

/* The default parameters: one row per EaselParams property, each named
 * after it (gtk_widget_get_name) so tests can find it. */
static const struct
{
  const char *prop;
  const char *title;
} combo_rows[] = {
  { "api-mode", N_("API") },
  { "responses-model", N_("Responses Model") },
  { "image-model", N_("Image Model") },
  { "size", N_("Size") },
  { "quality", N_("Quality") },
  { "background", N_("Background") },
  { "output-format", N_("Output Format") },
  { "moderation", N_("Moderation") },
  { "action", N_("Action") },
  { "input-fidelity", N_("Input Fidelity") },
};

static const struct
{
  const char *prop;
  const char *title;
  const char *subtitle;
  int lower, upper;
} spin_rows[] = {
  { "output-compression", N_("Compression"), N_("JPEG and WebP only: 100 keeps the most detail"), 0, 100 },
  { "partial-images", N_("Partial Images"), N_("Previews streamed while an image is drawn; each costs 100 output tokens"), 0, 3 },
};

#define N_COMBO_ROWS G_N_ELEMENTS (combo_rows)
#define N_SPIN_ROWS G_N_ELEMENTS (spin_rows)

struct _EaselPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  EaselAccount *account;  /* the key and the server: rows follow it */
  GSettings *settings;
  GCancellable *cancellable;

  /* template */
  AdwPasswordEntryRow *key_row;
  AdwActionRow *key_status_row;
  GtkWidget *test_button;
  GtkWidget *remove_button;
  AdwEntryRow *base_url_row;
  AdwActionRow *server_status_row;
  AdwEntryRow *organization_row;
  AdwPreferencesGroup *defaults_group;
  GtkSpinButton *daily_spin;
  GtkSpinButton *monthly_spin;
  GtkSpinButton *confirm_spin;
  AdwComboRow *tier_row;
  GtkSwitch *moderation_check_switch;
  GtkSwitch *send_with_ctrl_enter_switch;

  /* The defaults, through an EaselParams bound to the same settings as the
   * studio's, so both follow each other. */
  EaselParams *params;
  AdwComboRow *combos[N_COMBO_ROWS];
  AdwActionRow *spin_action_rows[N_SPIN_ROWS];
  GtkSpinButton *spins[N_SPIN_ROWS];
  gboolean updating;
  AdwComboRow *selecting;   /* the row whose choice is being applied */
  guint refresh_idle;

  /* "Remove Key" can be undone while its toast is up: the key is kept in
   * memory (never on disk) until then. */
  char *removed_key;
  char *removed_from;     /* the server it belonged to */
};

G_DEFINE_FINAL_TYPE (EaselPreferencesWindow, easel_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static char *
current_base_url (EaselPreferencesWindow *self)
{
  return g_strdup (easel_account_get_base_url (self->account));
}

/* The URL requests really go to: the setting, OPENAI_BASE_URL, or OpenAI's. */
static void
update_server_status (EaselPreferencesWindow *self)
{
  const char *base_url = easel_account_get_base_url (self->account);
  g_autofree char *title = NULL;

  if (easel_account_get_base_url_from_environment (self->account))
    title = g_strdup_printf (_("Using %s (from OPENAI_BASE_URL)"), base_url);
  else
    title = g_strdup_printf (_("Using %s"), base_url);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->server_status_row), title);
}

static void
update_key_status (EaselPreferencesWindow *self)
{
  const char *error = easel_account_get_key_error (self->account);
  EaselKeySource source = easel_account_get_key_source (self->account);
  const char *subtitle;

  switch (source)
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
  gtk_widget_set_sensitive (self->remove_button, source == EASEL_KEY_SOURCE_KEYRING);
  gtk_widget_set_sensitive (self->test_button, easel_account_get_has_key (self->account));
}

static void
toast (EaselPreferencesWindow *self,
       const char             *message)
{
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), easel_toast_new_for_text (message));
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

  /* AdwEntryRow takes any change made while it has focus for an edit, and
   * would show the apply button again for the emptied row. */
  adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (self->key_row), FALSE);
  gtk_editable_set_text (GTK_EDITABLE (self->key_row), "");
  adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (self->key_row), TRUE);
  toast (self, _("Key saved in the keyring"));
  easel_account_reload (self->account);
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
  easel_client_list_models_async (easel_account_get_client (self->account),
                                  self->cancellable, models_cb, g_object_ref (self));
}

static void
forget_removed_key (EaselPreferencesWindow *self)
{
  if (self->removed_key != NULL)
    {
      memset (self->removed_key, 0, strlen (self->removed_key));
      g_clear_pointer (&self->removed_key, g_free);
    }
  g_clear_pointer (&self->removed_from, g_free);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "prefs.undo-remove-key", FALSE);
}

static void
removed_toast_dismissed_cb (EaselPreferencesWindow *self)
{
  forget_removed_key (self);
}

static void
cleared_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(EaselPreferencesWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  AdwToast *removed;

  if (!easel_secret_clear_finish (result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        toast (self, error->message);
      forget_removed_key (self);
      return;
    }

  removed = adw_toast_new (_("Key removed from the keyring"));
  if (self->removed_key != NULL)
    {
      adw_toast_set_button_label (removed, _("_Undo"));
      adw_toast_set_action_name (removed, "prefs.undo-remove-key");
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "prefs.undo-remove-key", TRUE);
      g_signal_connect_object (removed, "dismissed", G_CALLBACK (removed_toast_dismissed_cb), self,
                               G_CONNECT_SWAPPED);
    }
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), removed);
  easel_account_reload (self->account);
}

static void
looked_up_for_removal_cb (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(EaselPreferencesWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  forget_removed_key (self);
  self->removed_key = easel_secret_lookup_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->removed_from = current_base_url (self);
  easel_secret_clear_async (self->removed_from, self->cancellable, cleared_cb, g_object_ref (self));
}

static void
remove_key_cb (EaselPreferencesWindow *self)
{
  g_autofree char *base_url = current_base_url (self);

  /* Read it first, so the toast can put it back. */
  easel_secret_lookup_async (base_url, self->cancellable, looked_up_for_removal_cb, g_object_ref (self));
}

static void
restored_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(EaselPreferencesWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!easel_secret_store_finish (result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        toast (self, error->message);
      return;
    }
  toast (self, _("Key restored"));
  easel_account_reload (self->account);
}

static void
undo_remove_key_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *param)
{
  EaselPreferencesWindow *self = EASEL_PREFERENCES_WINDOW (widget);

  if (self->removed_key == NULL || self->removed_from == NULL)
    return;
  easel_secret_store_async (self->removed_from, self->removed_key, self->cancellable,
                            restored_cb, g_object_ref (self));
  forget_removed_key (self);
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
  /* The account follows the setting. */
  if (self->settings)
    g_settings_set_string (self->settings, "organization",
                           gtk_editable_get_text (GTK_EDITABLE (self->organization_row)));
}

/* Default parameters */

static gboolean
same_strings (GListModel         *model,
              const char * const *values)
{
  guint n = model ? g_list_model_get_n_items (model) : 0;

  if (model == NULL || n != g_strv_length ((char **)values))
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (gtk_string_list_get_string (GTK_STRING_LIST (model), i), values[i]) != 0)
      return FALSE;
  return TRUE;
}

/* An option the image model lacks is insensitive, and its subtitle and
 * tooltip say why (the same words as the parameters popover). */
static void
set_unavailable (GtkWidget  *row,
                 const char *reason,
                 const char *subtitle)
{
  gtk_widget_set_sensitive (row, reason == NULL);
  gtk_widget_set_tooltip_text (row, reason);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), reason ? reason : subtitle ? subtitle : "");
}

/* A retired model is not offered, but one set elsewhere is still shown:
 * say that Send will refuse it. */
static char *
retired_note (const char *model)
{
  const EaselModelInfo *info = easel_model_lookup (model);
  g_autoptr(GDateTime) date = NULL;
  g_autofree char *day = NULL;

  if (info == NULL || !easel_model_is_retired (info, NULL) ||
      (date = easel_model_get_retirement_date (info)) == NULL)
    return NULL;
  day = g_date_time_format (date, "%Y-%m-%d");
  /* Translators: %s is a date such as 2026-05-12 */
  return g_strdup_printf (_("Retired on %s: OpenAI no longer serves it, so Send refuses it"), day);
}

static void
refresh_defaults (EaselPreferencesWindow *self)
{
  if (self->params == NULL || self->updating)
    return;
  self->updating = TRUE;

  for (guint i = 0; i < N_COMBO_ROWS; i++)
    {
      const char *prop = combo_rows[i].prop;
      g_autoptr(GPtrArray) scratch = g_ptr_array_new ();
      g_autofree char *current = NULL;
      g_autofree char *reason = easel_params_unavailable_reason (self->params, prop);
      const char * const *values = easel_params_get_choices (self->params, prop, scratch);
      g_autoptr(GPtrArray) shown = g_ptr_array_new ();
      guint position = GTK_INVALID_LIST_POSITION;
      g_autofree char *note = NULL;

      g_object_get (self->params, prop, &current, NULL);
      if (g_str_equal (prop, "image-model"))
        note = retired_note (current);
      for (guint j = 0; values && values[j]; j++)
        g_ptr_array_add (shown, (gpointer)values[j]);
      /* A model set elsewhere (a compatible server's) stays choosable. */
      if ((g_str_equal (prop, "responses-model") || g_str_equal (prop, "image-model")) &&
          current && *current && !g_strv_contains (values, current))
        g_ptr_array_add (shown, current);
      g_ptr_array_add (shown, NULL);

      if (self->combos[i] == self->selecting)
        {
          set_unavailable (GTK_WIDGET (self->combos[i]), reason, note);
          continue;
        }
      if (!same_strings (adw_combo_row_get_model (self->combos[i]), (const char * const *)shown->pdata))
        {
          g_autoptr(GtkStringList) list = gtk_string_list_new ((const char * const *)shown->pdata);
          adw_combo_row_set_model (self->combos[i], G_LIST_MODEL (list));
        }
      for (guint j = 0; j + 1 < shown->len; j++)
        if (g_strcmp0 (shown->pdata[j], current) == 0)
          position = j;

      /* As in the popover: a value the model does not take becomes its
       * first, so the defaults never make a request that will be refused. */
      if (position == GTK_INVALID_LIST_POSITION && reason == NULL && shown->len > 1 &&
          !g_str_equal (prop, "responses-model") && !g_str_equal (prop, "image-model"))
        {
          position = 0;
          g_object_set (self->params, prop, shown->pdata[0], NULL);
        }
      adw_combo_row_set_selected (self->combos[i], position);
      set_unavailable (GTK_WIDGET (self->combos[i]), reason, note);
    }

  for (guint i = 0; i < N_SPIN_ROWS; i++)
    {
      g_autofree char *reason = easel_params_unavailable_reason (self->params, spin_rows[i].prop);
      int value = 0;

      g_object_get (self->params, spin_rows[i].prop, &value, NULL);
      gtk_spin_button_set_value (self->spins[i], value);
      set_unavailable (GTK_WIDGET (self->spin_action_rows[i]), reason, _(spin_rows[i].subtitle));
    }

  self->updating = FALSE;
}

static void
combo_selected_cb (EaselPreferencesWindow *self,
                   GParamSpec             *pspec,
                   AdwComboRow            *row)
{
  GtkStringObject *item;

  if (self->updating || self->params == NULL)
    return;
  item = adw_combo_row_get_selected_item (row);
  if (item == NULL)
    return;
  self->selecting = row;
  g_object_set (self->params, gtk_widget_get_name (GTK_WIDGET (row)), gtk_string_object_get_string (item), NULL);
  self->selecting = NULL;
}

static void
spin_value_cb (EaselPreferencesWindow *self,
               GtkSpinButton          *spin)
{
  if (self->updating || self->params == NULL)
    return;
  g_object_set (self->params, gtk_widget_get_name (GTK_WIDGET (spin)), gtk_spin_button_get_value_as_int (spin), NULL);
}

/* AdwComboRow's own factory cuts its value at 20 characters, which leaves
 * "Landscape (1536 × 10…": the same item, with room for the pixels. The
 * popup keeps the check mark on the chosen item, as libadwaita's does. */
static void
value_setup_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *list_item,
                gpointer                  user_data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  GtkWidget *label = gtk_label_new (NULL);
  GtkWidget *icon = g_object_new (GTK_TYPE_IMAGE,
                                  "accessible-role", GTK_ACCESSIBLE_ROLE_PRESENTATION,
                                  "icon-name", "object-select-symbolic",
                                  NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 32);
  gtk_widget_set_valign (label, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), icon);
  gtk_list_item_set_child (list_item, box);
}

static void
value_check_cb (AdwComboRow *row,
                GParamSpec  *pspec,
                GtkListItem *list_item)
{
  GtkWidget *icon = gtk_widget_get_last_child (gtk_list_item_get_child (list_item));

  gtk_widget_set_opacity (icon, adw_combo_row_get_selected_item (row) == gtk_list_item_get_item (list_item));
}

static void
value_bind_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               AdwComboRow              *row)
{
  GtkWidget *box = gtk_list_item_get_child (list_item);
  GtkStringObject *item = gtk_list_item_get_item (list_item);
  g_autofree char *text = easel_params_dup_option_label (gtk_widget_get_name (GTK_WIDGET (row)),
                                                         gtk_string_object_get_string (item));
  gboolean in_popup = gtk_widget_get_ancestor (box, GTK_TYPE_POPOVER) != NULL;

  gtk_label_set_label (GTK_LABEL (gtk_widget_get_first_child (box)), text);
  gtk_widget_set_margin_start (box, in_popup ? 6 : 0);
  if (in_popup)
    {
      g_signal_connect (row, "notify::selected-item", G_CALLBACK (value_check_cb), list_item);
      value_check_cb (row, NULL, list_item);
    }
  else
    gtk_widget_set_opacity (gtk_widget_get_last_child (box), 0);
}

static void
value_unbind_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *list_item,
                 AdwComboRow              *row)
{
  g_signal_handlers_disconnect_by_func (row, value_check_cb, list_item);
}

static void
build_default_rows (EaselPreferencesWindow *self)
{
  for (guint i = 0; i < N_COMBO_ROWS; i++)
    {
      AdwComboRow *row = ADW_COMBO_ROW (adw_combo_row_new ());
      /* The row shows a label; the model, and so GSettings, keeps the value. */
      g_autoptr(GtkExpression) label = easel_params_option_label_expression (combo_rows[i].prop);

      g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

      adw_combo_row_set_expression (row, label);
      g_signal_connect (factory, "setup", G_CALLBACK (value_setup_cb), NULL);
      g_signal_connect (factory, "bind", G_CALLBACK (value_bind_cb), row);
      g_signal_connect (factory, "unbind", G_CALLBACK (value_unbind_cb), row);
      adw_combo_row_set_factory (row, factory);
      gtk_widget_set_name (GTK_WIDGET (row), combo_rows[i].prop);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _(combo_rows[i].title));
      adw_preferences_group_add (self->defaults_group, GTK_WIDGET (row));
      self->combos[i] = row;
    }

  for (guint i = 0; i < N_SPIN_ROWS; i++)
    {
      AdwActionRow *row = ADW_ACTION_ROW (adw_action_row_new ());
      GtkWidget *spin = gtk_spin_button_new_with_range (spin_rows[i].lower, spin_rows[i].upper, 1);

      /* libadwaita 1.2 has no AdwSpinRow. */
      gtk_widget_set_name (GTK_WIDGET (row), spin_rows[i].prop);
      gtk_widget_set_name (spin, spin_rows[i].prop);
      gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
      gtk_spin_button_set_numeric (GTK_SPIN_BUTTON (spin), TRUE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _(spin_rows[i].title));
      adw_action_row_add_suffix (row, spin);
      adw_action_row_set_activatable_widget (row, spin);
      adw_preferences_group_add (self->defaults_group, GTK_WIDGET (row));
      self->spin_action_rows[i] = row;
      self->spins[i] = GTK_SPIN_BUTTON (spin);
    }
}

static gboolean
refresh_idle_cb (gpointer user_data)
{
  EaselPreferencesWindow *self = user_data;

  self->refresh_idle = 0;
  refresh_defaults (self);
  return G_SOURCE_REMOVE;
}

/* A choice in a combo row changes the parameters; that row's own list is
 * not replaced while it is still setting its selection (leaving a retired
 * model drops it from the list), but once it is done. */
static void
params_changed_cb (EaselPreferencesWindow *self)
{
  refresh_defaults (self);
  if (self->selecting != NULL && self->refresh_idle == 0)
    self->refresh_idle = g_idle_add_full (G_PRIORITY_HIGH_IDLE, refresh_idle_cb, self, NULL);
}

static void
connect_default_rows (EaselPreferencesWindow *self)
{
  for (guint i = 0; i < N_COMBO_ROWS; i++)
    g_signal_connect_object (self->combos[i], "notify::selected", G_CALLBACK (combo_selected_cb), self,
                             G_CONNECT_SWAPPED);
  for (guint i = 0; i < N_SPIN_ROWS; i++)
    g_signal_connect_object (self->spins[i], "value-changed", G_CALLBACK (spin_value_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->params, "changed", G_CALLBACK (params_changed_cb), self, G_CONNECT_SWAPPED);
  refresh_defaults (self);
}

/* Spending: the limits, the processing tier and the moderation pre-check
 * are plain settings keys, shared with the command line. */

static const struct
{
  const char *value;
  const char *label;
  const char *explanation;
} tiers[] = {
  { "auto", N_("Automatic"), N_("The project’s own setting on the server. Responses API only.") },
  { "default", N_("Default"), N_("Standard speed and price. Responses API only.") },
  { "flex", N_("Flex"), N_("Slower and cheaper. Easel knows no flex image prices, so estimates use the default tier’s. Responses API only.") },
  { "priority", N_("Priority"), N_("Faster, for user-facing latency, at a higher price. Easel knows no priority image prices, so estimates use the default tier’s. Responses API only.") },
};

static gboolean
tier_get_mapping (GValue   *value,
                  GVariant *variant,
                  gpointer  user_data)
{
  const char *tier = g_variant_get_string (variant, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (tiers); i++)
    if (g_str_equal (tiers[i].value, tier))
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  return FALSE;
}

static GVariant *
tier_set_mapping (const GValue       *value,
                  const GVariantType *expected_type,
                  gpointer            user_data)
{
  guint i = g_value_get_uint (value);

  if (i >= G_N_ELEMENTS (tiers))
    return NULL;
  return g_variant_new_string (tiers[i].value);
}

static void
update_tier_subtitle (EaselPreferencesWindow *self)
{
  guint i = adw_combo_row_get_selected (self->tier_row);

  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->tier_row),
                               i < G_N_ELEMENTS (tiers) ? _(tiers[i].explanation) : "");
}

static void
build_spending_rows (EaselPreferencesWindow *self)
{
  g_autoptr(GtkStringList) labels = gtk_string_list_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (tiers); i++)
    gtk_string_list_append (labels, _(tiers[i].label));
  adw_combo_row_set_model (self->tier_row, G_LIST_MODEL (labels));
  g_signal_connect_object (self->tier_row, "notify::selected", G_CALLBACK (update_tier_subtitle), self,
                           G_CONNECT_SWAPPED);
  update_tier_subtitle (self);
}

static void
bind_spending_rows (EaselPreferencesWindow *self)
{
  gboolean have = self->settings != NULL;

  gtk_widget_set_sensitive (GTK_WIDGET (self->daily_spin), have);
  gtk_widget_set_sensitive (GTK_WIDGET (self->monthly_spin), have);
  gtk_widget_set_sensitive (GTK_WIDGET (self->confirm_spin), have);
  gtk_widget_set_sensitive (GTK_WIDGET (self->tier_row), have);
  gtk_widget_set_sensitive (GTK_WIDGET (self->moderation_check_switch), have);
  if (!have)
    return;

  g_settings_bind (self->settings, "budget-daily-usd",
                   gtk_spin_button_get_adjustment (self->daily_spin), "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "budget-monthly-usd",
                   gtk_spin_button_get_adjustment (self->monthly_spin), "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "budget-confirm-usd",
                   gtk_spin_button_get_adjustment (self->confirm_spin), "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (self->settings, "service-tier", self->tier_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, tier_get_mapping, tier_set_mapping, NULL, NULL);
  g_settings_bind (self->settings, "moderation-check", self->moderation_check_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
}

static void
easel_preferences_window_dispose (GObject *object)
{
  EaselPreferencesWindow *self = (EaselPreferencesWindow *)object;

  forget_removed_key (self);
  g_clear_handle_id (&self->refresh_idle, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), EASEL_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->account);
  g_clear_object (&self->params);
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

  gtk_widget_class_install_action (widget_class, "prefs.undo-remove-key", NULL, undo_remove_key_action);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/easel-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, EaselPreferencesWindow, key_row);
  gtk_widget_class_bind_template_child (widget_class, EaselPreferencesWindow, key_status_row);
  gtk_widget_class_bind_template_child (widget_class, EaselPreferencesWindow, test_button);
  gtk_widget_class_bind_template_child (widget_class, EaselPreferencesWindow, remove_button);
  gtk_widget_class_bind_template_child (widget_class, EaselPreferencesWindow, base_url_row);
  gtk_widget_class_bind_template_child (widget_class, EaselPreferencesWindow, server_status_row);
  gtk_widget_class_bind_template_child (widget_class, EaselPreferencesWindow, organization_row);
  gtk_widget_class_bind_template_child (widget_class, EaselPreferencesWindow, defaults_group);
  gtk_widget_class_bind_template_child (widget_class, EaselPreferencesWindow, daily_spin);
  gtk_widget_class_bind_template_child (widget_class, EaselPreferencesWindow, monthly_spin);
  gtk_widget_class_bind_template_child (widget_class, EaselPreferencesWindow, confirm_spin);
  gtk_widget_class_bind_template_child (widget_class, EaselPreferencesWindow, tier_row);
  gtk_widget_class_bind_template_child (widget_class, EaselPreferencesWindow, moderation_check_switch);
  gtk_widget_class_bind_template_child (widget_class, EaselPreferencesWindow, send_with_ctrl_enter_switch);
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
  build_default_rows (self);
  build_spending_rows (self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "prefs.undo-remove-key", FALSE);
}

EaselPreferencesWindow *
easel_preferences_window_new (EaselApplication *app,
                              GtkWindow        *parent)
{
  EaselPreferencesWindow *self;

  g_return_val_if_fail (EASEL_IS_APPLICATION (app), NULL);

  self = g_object_new (EASEL_TYPE_PREFERENCES_WINDOW,
                       "transient-for", parent,
                       "application", app,
                       NULL);
  self->account = g_object_ref (easel_application_get_account (app));
  g_set_object (&self->settings, easel_account_get_settings (self->account));

  self->params = easel_params_new (self->settings);
  if (self->settings)
    {
      g_autofree char *base_url = g_settings_get_string (self->settings, "base-url");
      g_autofree char *org = g_settings_get_string (self->settings, "organization");

      gtk_editable_set_text (GTK_EDITABLE (self->base_url_row), base_url);
      gtk_editable_set_text (GTK_EDITABLE (self->organization_row), org);
      g_settings_bind (self->settings, "send-with-ctrl-enter", self->send_with_ctrl_enter_switch, "active",
                       G_SETTINGS_BIND_DEFAULT);
    }

  if (easel_account_get_base_url_from_environment (self->account))
    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->base_url_row),
                                   _("Server URL (overridden by OPENAI_BASE_URL)"));

  /* The account resolves the server and re-reads the key when the setting
   * changes; these rows only follow it. */
  g_signal_connect_object (self->account, "notify::base-url", G_CALLBACK (update_server_status), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->account, "notify::base-url-from-environment",
                           G_CALLBACK (update_server_status), self, G_CONNECT_SWAPPED);
  update_server_status (self);

  connect_default_rows (self);
  bind_spending_rows (self);
  g_signal_connect_object (self->account, "notify::key-source", G_CALLBACK (update_key_status), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->account, "notify::has-key", G_CALLBACK (update_key_status), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->account, "notify::key-error", G_CALLBACK (update_key_status), self,
                           G_CONNECT_SWAPPED);
  update_key_status (self);

  return self;
}

void
easel_preferences_window_focus_key (EaselPreferencesWindow *self)
{
  g_return_if_fail (EASEL_IS_PREFERENCES_WINDOW (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->key_row));
}
