/* test-preferences.c: the default parameters in Preferences, under Xvfb
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every parameter has a row bound to its GSettings key (the memory backend
 * here): changing a row writes the key and a new EaselParams starts from
 * it; options the chosen image model lacks are insensitive and say why.
 * The Spending group's limits, tier and pre-check write their keys too.
 */

#define G_LOG_DOMAIN "test-preferences"

#include "config.h"

#include <adwaita.h>

#include "easel-application.h"
#include "easel-params.h"
#include "easel-preferences-window.h"
#include "fake-server.h"
#include "gui-test-util.h"

typedef struct
{
  EaselApplication *app;
  GSettings *settings;
  EaselPreferencesWindow *prefs;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  const char *key;

  f->app = easel_application_new ();
  g_application_set_flags (G_APPLICATION (f->app), G_APPLICATION_NON_UNIQUE);
  /* One id per test: an application stays on the bus until finalized. */
  id = g_strdup_printf ("%s.Test%u", g_application_get_application_id (G_APPLICATION (f->app)), g_random_int ());
  g_application_set_application_id (G_APPLICATION (f->app), id);
  g_assert_true (g_application_register (G_APPLICATION (f->app), NULL, &error));
  g_assert_no_error (error);

  f->settings = easel_application_get_settings (f->app);
  g_assert_nonnull (f->settings);
  /* The memory backend lives as long as the process: start from defaults. */
  {
    g_autoptr(GSettingsSchema) schema = NULL;
    g_auto(GStrv) keys = NULL;

    g_object_get (f->settings, "settings-schema", &schema, NULL);
    keys = g_settings_schema_list_keys (schema);
    for (guint i = 0; (key = keys[i]) != NULL; i++)
      g_settings_reset (f->settings, key);
  }

  f->prefs = easel_preferences_window_new (f->app, NULL);
  gtk_window_present (GTK_WINDOW (f->prefs));
  easel_test_spin_ms (20);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (f->prefs));
  easel_test_spin_ms (20);
  g_clear_object (&f->app);
}

static GtkWidget *
find_named (GtkWidget  *widget,
            const char *name,
            GType       type)
{
  if (g_type_is_a (G_OBJECT_TYPE (widget), type) && g_strcmp0 (gtk_widget_get_name (widget), name) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_named (child, name, type);

      if (found)
        return found;
    }
  return NULL;
}

static AdwComboRow *
combo (Fixture    *f,
       const char *prop)
{
  GtkWidget *row = find_named (GTK_WIDGET (f->prefs), prop, ADW_TYPE_COMBO_ROW);

  g_assert_nonnull (row);
  return ADW_COMBO_ROW (row);
}

static void
choose (Fixture    *f,
        const char *prop,
        const char *value)
{
  AdwComboRow *row = combo (f, prop);
  GListModel *model = adw_combo_row_get_model (row);

  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (row)));
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    if (g_strcmp0 (gtk_string_list_get_string (GTK_STRING_LIST (model), i), value) == 0)
      {
        adw_combo_row_set_selected (row, i);
        easel_test_spin_ms (10);
        return;
      }
  g_error ("%s offers no %s", prop, value);
}

static const char *
selected (Fixture    *f,
          const char *prop)
{
  GtkStringObject *item = adw_combo_row_get_selected_item (combo (f, prop));

  return item ? gtk_string_object_get_string (item) : NULL;
}

/* Changing a row writes the key, and a new EaselParams starts from it. */
typedef struct
{
  const char *prop;
  const char *value;
} RowCase;

static const RowCase row_cases[] = {
  { "api-mode", "images" },
  { "responses-model", "gpt-4.1-mini" },
  { "image-model", "gpt-image-1-mini" },
  { "size", "1024x1536" },
  { "quality", "high" },
  { "background", "transparent" },
  { "output-format", "webp" },
  { "moderation", "low" },
  { "action", "edit" },
  { "input-fidelity", "high" },
};

static void
test_row_writes_setting (Fixture       *f,
                         gconstpointer  data)
{
  const RowCase *c = data;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *from_params = NULL;
  g_autoptr(EaselParams) params = NULL;

  before = g_settings_get_string (f->settings, c->prop);
  g_assert_cmpstr (before, !=, c->value);
  choose (f, c->prop, c->value);

  after = g_settings_get_string (f->settings, c->prop);
  g_assert_cmpstr (after, ==, c->value);
  g_assert_cmpstr (selected (f, c->prop), ==, c->value);

  params = easel_params_new (f->settings);
  g_object_get (params, c->prop, &from_params, NULL);
  g_assert_cmpstr (from_params, ==, c->value);
}

static void
test_spins_write_settings (Fixture       *f,
                           gconstpointer  data)
{
  GtkSpinButton *partials = GTK_SPIN_BUTTON (find_named (GTK_WIDGET (f->prefs), "partial-images", GTK_TYPE_SPIN_BUTTON));
  GtkSpinButton *compression = GTK_SPIN_BUTTON (find_named (GTK_WIDGET (f->prefs), "output-compression", GTK_TYPE_SPIN_BUTTON));
  g_autoptr(EaselParams) params = NULL;
  int value = -1;

  g_assert_nonnull (partials);
  g_assert_nonnull (compression);
  g_assert_cmpint (g_settings_get_int (f->settings, "partial-images"), !=, 3);
  gtk_spin_button_set_value (partials, 3);
  g_assert_cmpint (g_settings_get_int (f->settings, "partial-images"), ==, 3);

  /* Compression is dimmed for PNG, and opens up for WebP. */
  g_assert_false (gtk_widget_is_sensitive (GTK_WIDGET (compression)));
  choose (f, "output-format", "webp");
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (compression)));
  gtk_spin_button_set_value (compression, 55);
  g_assert_cmpint (g_settings_get_int (f->settings, "output-compression"), ==, 55);

  params = easel_params_new (f->settings);
  g_object_get (params, "partial-images", &value, NULL);
  g_assert_cmpint (value, ==, 3);
  g_object_get (params, "output-compression", &value, NULL);
  g_assert_cmpint (value, ==, 55);
}

/* A setting changed elsewhere (the studio's popover) shows here. */
static void
test_follows_settings (Fixture       *f,
                       gconstpointer  data)
{
  g_settings_set_string (f->settings, "quality", "low");
  easel_test_spin_ms (10);
  g_assert_cmpstr (selected (f, "quality"), ==, "low");
}

/* DALL·E 2 through the Images API: what it lacks is dimmed, saying why. */
typedef struct
{
  const char *prop;
  gboolean spin;          /* an action row with a spin button, else a combo row */
  const char *reason;     /* a part of the subtitle */
} UnsupportedCase;

static const UnsupportedCase unsupported_cases[] = {
  { "background", FALSE, "no background option" },
  { "output-format", FALSE, "no output format option" },
  { "moderation", FALSE, "no moderation option" },
  { "input-fidelity", FALSE, "does not support input fidelity" },
  { "partial-images", TRUE, "does not stream partial images" },
  { "output-compression", TRUE, "does not support compression" },
  { "responses-model", FALSE, "Only used by the Responses API" },
  { "action", FALSE, "Only used by the Responses API" },
};

static void
test_unsupported_insensitive (Fixture       *f,
                              gconstpointer  data)
{
  const UnsupportedCase *c = data;
  GtkWidget *row = find_named (GTK_WIDGET (f->prefs), c->prop, c->spin ? ADW_TYPE_ACTION_ROW : ADW_TYPE_COMBO_ROW);
  const char *subtitle;

  g_assert_nonnull (row);
  choose (f, "output-format", "webp");
  /* Usable with the default model in the Responses API… */
  if (!g_str_equal (c->prop, "responses-model") && !g_str_equal (c->prop, "action"))
    g_assert_true (gtk_widget_is_sensitive (row));

  choose (f, "api-mode", "images");
  /* Retired, so not offered; still shown once set elsewhere. */
  g_settings_set_string (f->settings, "image-model", "dall-e-2");
  easel_test_spin_ms (10);
  g_assert_cmpstr (selected (f, "image-model"), ==, "dall-e-2");
  if (g_str_equal (c->prop, "background"))
    {
      AdwComboRow *model_row = combo (f, "image-model");
      GListModel *offered = adw_combo_row_get_model (model_row);

      g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (model_row)), "Retired on 2026-05-12"));
      /* Only as the current value: the list offers no other retired model. */
      for (guint i = 0; i < g_list_model_get_n_items (offered); i++)
        {
          const char *id = gtk_string_list_get_string (GTK_STRING_LIST (offered), i);
          g_assert_cmpstr (id, !=, "dall-e-3");
          g_assert_cmpstr (id, !=, "gpt-image-1");
        }
    }
  {
    g_autofree char *model = g_settings_get_string (f->settings, "image-model");
    g_assert_cmpstr (model, ==, "dall-e-2");
  }

  /* …not with this one. */
  g_assert_false (gtk_widget_is_sensitive (row));
  subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (row));
  g_assert_nonnull (subtitle);
  g_assert_nonnull (strstr (subtitle, c->reason));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (row), ==, subtitle);

  /* Back to a model that has it: usable again, the reason gone. */
  choose (f, "image-model", "gpt-image-1.5");
  if (!g_str_equal (c->prop, "responses-model") && !g_str_equal (c->prop, "action"))
    {
      g_assert_true (gtk_widget_is_sensitive (row));
      g_assert_null (gtk_widget_get_tooltip_text (row));
    }
}

static GtkWidget *
find_where (GtkWidget  *widget,
            gboolean  (*match) (GtkWidget *, gconstpointer),
            gconstpointer data)
{
  if (match (widget, data))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_where (child, match, data);

      if (found)
        return found;
    }
  return NULL;
}

static gboolean
is_type (GtkWidget    *widget,
         gconstpointer type)
{
  return g_type_is_a (G_OBJECT_TYPE (widget), GPOINTER_TO_SIZE (type));
}

static gboolean
is_label_shown (GtkWidget    *widget,
                gconstpointer text)
{
  return GTK_IS_LABEL (widget) && gtk_widget_is_drawable (widget) &&
         g_strcmp0 (gtk_label_get_label (GTK_LABEL (widget)), text) == 0;
}

static gboolean
is_row_titled (GtkWidget    *widget,
               gconstpointer prefix)
{
  return ADW_IS_ACTION_ROW (widget) &&
         g_str_has_prefix (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), prefix);
}

static gboolean
is_apply_button (GtkWidget    *widget,
                 gconstpointer data)
{
  return GTK_IS_BUTTON (widget) &&
         g_strcmp0 (gtk_button_get_icon_name (GTK_BUTTON (widget)), "adw-entry-apply-symbolic") == 0;
}

/* The "Send With Ctrl+Enter" row: activating it flips its switch and the
 * setting the composer follows, and the switch follows the setting. */
static void
test_send_with_ctrl_enter (Fixture       *f,
                           gconstpointer  data)
{
  GtkWidget *row = find_where (GTK_WIDGET (f->prefs), is_row_titled, "Send With Ctrl+Enter");
  GtkWidget *toggle;

  g_assert_nonnull (row);
  toggle = find_where (row, is_type, GSIZE_TO_POINTER (GTK_TYPE_SWITCH));
  g_assert_nonnull (toggle);
  g_assert_false (g_settings_get_boolean (f->settings, "send-with-ctrl-enter"));
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (toggle)));

  adw_action_row_activate (ADW_ACTION_ROW (row));
  /* The switch flips at the end of its animation. */
  g_assert_true (wait_for (gtk_switch_get_active, toggle, 5000));
  g_assert_true (g_settings_get_boolean (f->settings, "send-with-ctrl-enter"));

  g_settings_set_boolean (f->settings, "send-with-ctrl-enter", FALSE);
  easel_test_spin_ms (20);
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (toggle)));
}

/* The API row names the API; the setting keeps its value. */
static void
test_api_labels (Fixture       *f,
                 gconstpointer  data)
{
  GtkWidget *row = GTK_WIDGET (combo (f, "api-mode"));
  g_autofree char *value = NULL;

  g_assert_nonnull (find_where (row, is_label_shown, "Conversation (Responses API)"));
  g_assert_null (find_where (row, is_label_shown, "responses"));
  choose (f, "api-mode", "images");
  value = g_settings_get_string (f->settings, "api-mode");
  g_assert_cmpstr (value, ==, "images");
  g_assert_nonnull (find_where (row, is_label_shown, "Single Image (Images API)"));
  g_assert_null (find_where (row, is_label_shown, "Conversation (Responses API)"));

  /* Options read as words, with the pixels for sizes; the key keeps the
   * value that is sent. */
  choose (f, "size", "1536x1024");
  g_free (value);
  value = g_settings_get_string (f->settings, "size");
  g_assert_cmpstr (value, ==, "1536x1024");
  {
    GtkWidget *shown = find_where (GTK_WIDGET (combo (f, "size")), is_label_shown, "Landscape (1536 × 1024)");

    /* All of it: AdwComboRow's own factory would cut it at 20 characters. */
    g_assert_nonnull (shown);
    easel_test_spin_ms (50);
    g_assert_false (pango_layout_is_ellipsized (gtk_label_get_layout (GTK_LABEL (shown))));
  }
  g_assert_null (find_where (GTK_WIDGET (combo (f, "size")), is_label_shown, "1536x1024"));
  choose (f, "quality", "high");
  g_assert_nonnull (find_where (GTK_WIDGET (combo (f, "quality")), is_label_shown, "High"));
  g_assert_null (find_where (GTK_WIDGET (combo (f, "quality")), is_label_shown, "high"));
}

/* The Server group says which URL requests go to, and follows the setting. */
static void
test_server_in_use (Fixture       *f,
                    gconstpointer  data)
{
  GtkWidget *row = find_where (GTK_WIDGET (f->prefs), is_row_titled, "Using ");
  const char *env = g_getenv ("OPENAI_BASE_URL");
  const char *title;

  g_assert_nonnull (row);
  title = adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row));
  g_assert_nonnull (strstr (title, env && *env ? "OPENAI_BASE_URL" : "https://api.openai.com/v1"));
  if (env && *env)
    return;

  g_settings_set_string (f->settings, "base-url", "http://127.0.0.1:8123/v1");
  easel_test_spin_ms (10);
  g_assert_nonnull (strstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), "http://127.0.0.1:8123/v1"));
}

static gboolean
key_in_keyring (Fixture *f)
{
  return easel_account_get_key_source (easel_application_get_account (f->app)) == EASEL_KEY_SOURCE_KEYRING;
}

/* Enter stores the key and empties the row; its apply button goes with it. */
static void
test_key_saved_hides_apply (Fixture       *f,
                            gconstpointer  data)
{
  GtkWidget *row = find_where (GTK_WIDGET (f->prefs), is_type, GSIZE_TO_POINTER (ADW_TYPE_PASSWORD_ENTRY_ROW));
  GtkWidget *apply;
  GtkWidget *text;
  gint64 deadline;

  if (g_getenv ("OPENAI_API_KEY"))
    {
      g_test_skip ("OPENAI_API_KEY wins over the keyring");
      return;
    }
  g_assert_nonnull (row);
  apply = find_where (row, is_apply_button, NULL);
  text = find_where (row, is_type, GSIZE_TO_POINTER (GTK_TYPE_TEXT));
  g_assert_nonnull (apply);
  g_assert_nonnull (text);

  easel_preferences_window_focus_key (f->prefs);
  gtk_editable_set_text (GTK_EDITABLE (row), "sk-test-not-a-real-key");
  easel_test_spin_ms (10);
  g_assert_true (gtk_widget_get_visible (apply));

  g_signal_emit_by_name (text, "activate");
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!key_in_keyring (f) && g_get_monotonic_time () < deadline)
    easel_test_spin_ms (10);
  if (!key_in_keyring (f))
    {
      g_test_skip ("no usable keyring here");
      return;
    }
  easel_test_spin_ms (20);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row)), ==, "");
  g_assert_false (gtk_widget_get_visible (apply));
}

static gboolean
is_button_with_label (GtkWidget    *widget,
                      gconstpointer label)
{
  return GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0;
}

static gboolean
remove_button_sensitive (Fixture *f)
{
  GtkWidget *remove = find_where (GTK_WIDGET (f->prefs), is_button_with_label, "_Remove Key");

  return remove != NULL && gtk_widget_is_sensitive (remove);
}

static gboolean
key_removed (Fixture *f)
{
  return !key_in_keyring (f);
}


/* Remove Key is destructive: its toast's Undo puts the same key back. */
static void
test_remove_key_undo (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *base_url = NULL;
  g_autofree char *back = NULL;
  GtkWidget *remove;

  if (g_getenv ("OPENAI_API_KEY"))
    {
      g_test_skip ("OPENAI_API_KEY wins over the keyring");
      return;
    }
  base_url = g_strdup (easel_account_get_base_url (easel_application_get_account (f->app)));
  if (!easel_secret_store_sync (base_url, "sk-test-remove-and-undo", NULL, &error))
    {
      g_test_skip ("no usable keyring here");
      return;
    }
  easel_account_reload (easel_application_get_account (f->app));
  wait_for (key_in_keyring, f, 10000);
  g_assert_true (key_in_keyring (f));

  remove = find_where (GTK_WIDGET (f->prefs), is_button_with_label, "_Remove Key");
  g_assert_nonnull (remove);
  wait_for (remove_button_sensitive, f, 10000);
  g_assert_true (gtk_widget_is_sensitive (remove));
  gtk_widget_activate (remove);
  wait_for (key_removed, f, 10000);
  g_assert_false (key_in_keyring (f));

  /* The toast's button runs this action. */
  easel_test_spin_ms (50);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->prefs), "prefs.undo-remove-key", NULL));
  wait_for (key_in_keyring, f, 10000);
  back = easel_secret_lookup_sync (base_url, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back, ==, "sk-test-remove-and-undo");

  /* Leave the keyring as it was. */
  g_assert_true (easel_secret_clear_sync (base_url, NULL, NULL));
}

static EaselFakeServer *models_server;

static gboolean
models_asked (Fixture *f)
{
  GtkWidget *test = find_where (GTK_WIDGET (f->prefs), is_button_with_label, "_Test Key");

  return easel_fake_server_get_n_requests (models_server) > 0 && gtk_widget_is_sensitive (test);
}

/* Test Key asks the configured server's /v1/models with the key in use. */
static void
test_test_key (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  const EaselFakeRequest *request;
  GtkWidget *test;

  models_server = easel_fake_server_new (&error);
  g_assert_no_error (error);
  g_setenv ("OPENAI_BASE_URL", easel_fake_server_get_base_url (models_server), TRUE);
  g_setenv ("OPENAI_API_KEY", "sk-test-models", TRUE);
  easel_account_reload (easel_application_get_account (f->app));

  test = find_where (GTK_WIDGET (f->prefs), is_button_with_label, "_Test Key");
  g_assert_nonnull (test);
  gtk_widget_activate (test);
  wait_for (models_asked, f, 10000);

  g_assert_cmpuint (easel_fake_server_get_n_requests (models_server), ==, 1);
  request = easel_fake_server_get_request (models_server, 0);
  g_assert_cmpstr (request->method, ==, "GET");
  g_assert_cmpstr (request->path, ==, "/v1/models");
  g_assert_cmpstr (easel_fake_request_get_header (request, "Authorization"), ==, "Bearer sk-test-models");
  g_assert_true (gtk_widget_is_sensitive (test));

  g_unsetenv ("OPENAI_API_KEY");
  g_unsetenv ("OPENAI_BASE_URL");
  g_clear_pointer (&models_server, easel_fake_server_free);
}

/* Run from the build tree, as the README says, the studio finds the
 * catalogs built there; installed, the installed ones. */
static void
test_locale_dir (void)
{
  g_autofree char *built = g_build_filename (BUILD_ROOT, "src", "app", "easel-studio", NULL);
  g_autofree char *mo = NULL;

  g_assert_cmpstr (easel_application_locale_dir ("/usr/bin/easel-studio"), ==, LOCALEDIR);
  g_assert_cmpstr (easel_application_locale_dir (NULL), ==, LOCALEDIR);
  g_assert_cmpstr (easel_application_locale_dir (built), ==, BUILD_LOCALEDIR);
  mo = g_build_filename (easel_application_locale_dir (built), "de", "LC_MESSAGES", GETTEXT_PACKAGE ".mo", NULL);
  g_assert_true (g_file_test (mo, G_FILE_TEST_IS_REGULAR));
}

/* Spending: the limits, the tier and the pre-check write their keys (0 =
 * no limit), and follow them when the CLI or another window sets them. */
static void
test_spending_rows (Fixture       *f,
                    gconstpointer  data)
{
  static const char * const limits[] = { "budget-daily-usd", "budget-monthly-usd", "budget-confirm-usd" };
  GtkSwitch *check = GTK_SWITCH (find_named (GTK_WIDGET (f->prefs), "moderation-check", GTK_TYPE_SWITCH));
  AdwComboRow *tier = combo (f, "service-tier");
  const char *subtitle;

  for (guint i = 0; i < G_N_ELEMENTS (limits); i++)
    {
      GtkSpinButton *spin = GTK_SPIN_BUTTON (find_named (GTK_WIDGET (f->prefs), limits[i], GTK_TYPE_SPIN_BUTTON));

      g_assert_nonnull (spin);
      g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (spin)));
      g_assert_cmpfloat (gtk_spin_button_get_value (spin), ==, g_settings_get_double (f->settings, limits[i]));
      gtk_spin_button_set_value (spin, 12.5 + i);
      g_assert_cmpfloat (g_settings_get_double (f->settings, limits[i]), ==, 12.5 + i);
      gtk_spin_button_set_value (spin, 0);
      g_assert_cmpfloat (g_settings_get_double (f->settings, limits[i]), ==, 0);
      g_settings_set_double (f->settings, limits[i], 3.25);
      easel_test_spin_ms (10);
      g_assert_cmpfloat (gtk_spin_button_get_value (spin), ==, 3.25);
    }

  /* The tier: a label per value, its explanation under it. */
  g_assert_cmpstr (g_settings_get_string (f->settings, "service-tier"), ==, "auto");
  g_assert_cmpuint (adw_combo_row_get_selected (tier), ==, 0);
  adw_combo_row_set_selected (tier, 2);
  g_assert_cmpstr (g_settings_get_string (f->settings, "service-tier"), ==, "flex");
  subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (tier));
  g_test_message ("flex: %s", subtitle);
  g_assert_nonnull (strstr (subtitle, "Slower and cheaper"));
  g_assert_nonnull (strstr (subtitle, "default tier"));
  g_settings_set_string (f->settings, "service-tier", "priority");
  easel_test_spin_ms (10);
  g_assert_cmpuint (adw_combo_row_get_selected (tier), ==, 3);
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (tier)), "user-facing latency"));

  /* The pre-check is off by default. */
  g_assert_nonnull (check);
  g_assert_false (gtk_switch_get_active (check));
  gtk_switch_set_active (check, TRUE);
  g_assert_true (g_settings_get_boolean (f->settings, "moderation-check"));
  g_settings_set_boolean (f->settings, "moderation-check", FALSE);
  easel_test_spin_ms (10);
  g_assert_false (gtk_switch_get_active (check));
}

/* The tier from Preferences goes into Responses requests, not into Images
 * API ones; "auto" is left out, as the CLI does. */
static void
test_tier_in_request (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(EaselParams) params = easel_params_new (f->settings);
  g_autoptr(EaselRequest) automatic = NULL;
  g_autoptr(EaselRequest) flex = NULL;
  g_autoptr(EaselRequest) images = NULL;
  EaselCostEstimate estimate;

  g_object_set (params, "api-mode", "responses", NULL);
  automatic = easel_params_build_request (params, "a fox", 0);
  g_assert_null (automatic->service_tier);

  adw_combo_row_set_selected (combo (f, "service-tier"), 2);
  flex = easel_params_build_request (params, "a fox", 0);
  g_assert_cmpstr (flex->service_tier, ==, "flex");
  easel_cost_estimate (flex, &estimate);
  g_assert_true (estimate.tier_price_unknown);

  g_object_set (params, "api-mode", "images", NULL);
  images = easel_params_build_request (params, "a fox", 0);
  g_assert_null (images->service_tier);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  if (!gtk_init_check ())
    {
      g_printerr ("No display: the preferences UI tests need Xvfb; skipping\n");
      return 77;
    }
  adw_init ();

  for (guint i = 0; i < G_N_ELEMENTS (row_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/gui/preferences/row-writes-setting/%s", row_cases[i].prop);
      g_test_add (path, Fixture, &row_cases[i], fixture_setup, test_row_writes_setting, fixture_teardown);
    }
  g_test_add_func ("/gui/preferences/locale-dir", test_locale_dir);
  g_test_add ("/gui/preferences/spins-write-settings", Fixture, NULL,
              fixture_setup, test_spins_write_settings, fixture_teardown);
  g_test_add ("/gui/preferences/follows-settings", Fixture, NULL,
              fixture_setup, test_follows_settings, fixture_teardown);
  g_test_add ("/gui/preferences/send-with-ctrl-enter", Fixture, NULL,
              fixture_setup, test_send_with_ctrl_enter, fixture_teardown);
  g_test_add ("/gui/preferences/api-labels", Fixture, NULL,
              fixture_setup, test_api_labels, fixture_teardown);
  g_test_add ("/gui/preferences/server-in-use", Fixture, NULL,
              fixture_setup, test_server_in_use, fixture_teardown);
  g_test_add ("/gui/preferences/key-saved-hides-apply", Fixture, NULL,
              fixture_setup, test_key_saved_hides_apply, fixture_teardown);
  g_test_add ("/gui/preferences/remove-key-undo", Fixture, NULL,
              fixture_setup, test_remove_key_undo, fixture_teardown);
  g_test_add ("/gui/preferences/test-key", Fixture, NULL,
              fixture_setup, test_test_key, fixture_teardown);
  g_test_add ("/gui/preferences/spending-rows", Fixture, NULL,
              fixture_setup, test_spending_rows, fixture_teardown);
  g_test_add ("/gui/preferences/tier-in-request", Fixture, NULL,
              fixture_setup, test_tier_in_request, fixture_teardown);
  for (guint i = 0; i < G_N_ELEMENTS (unsupported_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/gui/preferences/unsupported/%s", unsupported_cases[i].prop);
      g_test_add (path, Fixture, &unsupported_cases[i], fixture_setup, test_unsupported_insensitive, fixture_teardown);
    }

  return g_test_run ();
}
