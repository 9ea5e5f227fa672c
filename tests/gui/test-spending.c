/* test-spending.c: the Spending page against a temporary library, under Xvfb
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Generations recorded by the studio (through the fake server) and written
 * straight through the library show up on the Spending page without a
 * reload: the ledger per model and per day matches the store's, the budget
 * rows follow the limits in GSettings, a prompt the moderation pre-check
 * flagged costs nothing, and a model name from the store is shown escaped,
 * never as markup.
 */

#define G_LOG_DOMAIN "test-spending"

#include "config.h"

#include <adwaita.h>

#include "easel-cost.h"
#include "easel-params.h"
#include "easel-session.h"
#include "easel-spending-view.h"
#include "easel-window.h"
#include "easel-window-private.h"
#include "fake-server.h"
#include "gui-test-util.h"

typedef struct
{
  EaselFakeServer *server;
  EaselClient *client;
  GSettings *settings;
  char *dir;
  EaselStore *store;
  EaselLibrary *library;
  EaselWindow *window;
  EaselComposer *composer;
  guint want_models;
  const char *want_text;
} Fixture;

#define HOSTILE_MODEL "evil\x1b[31m<b>model</b>"

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettingsSchema) schema = NULL;
  g_auto(GStrv) keys = NULL;

  f->server = easel_fake_server_new (&error);
  g_assert_no_error (error);
  easel_fake_server_set_event_delay_ms (f->server, 5);
  easel_fake_server_set_image_size (f->server, 64, 64);
  f->client = easel_client_new (easel_fake_server_get_base_url (f->server), "sk-test-spending");

  /* The memory backend lives as long as the process: start from defaults. */
  f->settings = easel_params_dup_default_settings ();
  g_assert_nonnull (f->settings);
  g_object_get (f->settings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i] != NULL; i++)
    g_settings_reset (f->settings, keys[i]);

  f->dir = g_dir_make_tmp ("easel-spending-XXXXXX", &error);
  g_assert_no_error (error);
  f->store = easel_store_open (f->dir, &error);
  g_assert_no_error (error);
  f->library = easel_library_new_for_store (f->store);

  f->window = g_object_new (EASEL_TYPE_WINDOW,
                            "client", f->client,
                            "library", f->library,
                            "settings", f->settings,
                            NULL);
  gtk_window_present (GTK_WINDOW (f->window));
  f->composer = easel_window_get_composer (f->window);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  easel_test_spin_ms (20);
  easel_library_flush (f->library);
  g_clear_object (&f->library);
  g_clear_object (&f->store);
  g_clear_object (&f->settings);
  g_clear_object (&f->client);
  g_clear_pointer (&f->server, easel_fake_server_free);
  easel_test_rm_rf (f->dir);
  g_free (f->dir);
}

/* ---- Helpers ---- */

static GtkWidget *
view_child (Fixture    *f,
            const char *id)
{
  GObject *child;

  g_assert_nonnull (f->window->spending_view);
  child = gtk_widget_get_template_child (f->window->spending_view, EASEL_TYPE_SPENDING_VIEW, id);
  g_assert_nonnull (child);
  return GTK_WIDGET (child);
}

static guint
n_rows (GtkWidget *list)
{
  guint n = 0;

  for (GtkWidget *row = gtk_widget_get_first_child (list); row; row = gtk_widget_get_next_sibling (row))
    if (ADW_IS_ACTION_ROW (row))
      n++;
  return n;
}

static AdwActionRow *
row_titled (GtkWidget  *list,
            const char *title)
{
  for (GtkWidget *row = gtk_widget_get_first_child (list); row; row = gtk_widget_get_next_sibling (row))
    if (ADW_IS_ACTION_ROW (row) && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), title) == 0)
      return ADW_ACTION_ROW (row);
  return NULL;
}

/* The amount at the end of a ledger row. */
static const char *
row_amount (AdwActionRow *row)
{
  GtkWidget *found = NULL;
  g_autoptr(GPtrArray) stack = g_ptr_array_new ();

  g_ptr_array_add (stack, row);
  while (stack->len > 0 && found == NULL)
    {
      GtkWidget *w = g_ptr_array_steal_index (stack, stack->len - 1);

      if (GTK_IS_LABEL (w) && gtk_widget_has_css_class (w, "numeric"))
        found = w;
      for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
        g_ptr_array_add (stack, c);
    }
  g_assert_nonnull (found);
  return gtk_label_get_label (GTK_LABEL (found));
}

static gboolean
shows_models (Fixture *f)
{
  return f->window->spending_view != NULL && n_rows (view_child (f, "model_list")) == f->want_models;
}

static gboolean
today_says (Fixture *f)
{
  const char *subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (view_child (f, "today_row")));

  return subtitle != NULL && strstr (subtitle, f->want_text) != NULL;
}

static gboolean
mini_moderated (Fixture *f)
{
  AdwActionRow *row = row_titled (view_child (f, "model_list"), "gpt-image-1-mini");

  return row != NULL && strstr (adw_action_row_get_subtitle (row), "1 moderated") != NULL;
}

static gboolean
head_settled (Fixture *f)
{
  EaselSession *session = easel_window_get_conversation (f->window);
  EaselSessionTurn *turn = easel_session_get_head (session);

  return turn != NULL && easel_session_turn_is_finished (turn) && !easel_session_get_busy (session);
}

static void
send_and_settle (Fixture    *f,
                 const char *prompt)
{
  easel_composer_set_text (f->composer, prompt);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.send", NULL));
  g_assert_true (wait_for (head_settled, f, 20000));
}

typedef struct
{
  const char *model;
  gint64 created;
  double usd;
} Seed;

static gpointer
insert_in_worker (EaselStore  *store,
                  gpointer     data,
                  GError     **error)
{
  const Seed *seed = data;
  g_autoptr(EaselGeneration) g = easel_generation_new ();

  g->prompt = g_strdup ("seeded");
  g->model = g_strdup (seed->model);
  g->api = g_strdup ("generate");
  g->created = seed->created;
  g->status = EASEL_GENERATION_FAILED;
  g->estimated_usd = seed->usd;
  g->actual_usd = -1;
  if (!easel_store_insert_generation (store, g, NULL, error))
    return NULL;
  return GINT_TO_POINTER (1);
}

static void
inserted_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (easel_library_run_finish (EASEL_LIBRARY (object), result, &error));
  g_assert_no_error (error);
  *done = TRUE;
}

static gboolean
is_true (gboolean *flag)
{
  return *flag;
}

/* Through the library's worker, as any write: the store's "changed"
 * reaches the page like a studio turn's. */
static void
seed_row (Fixture    *f,
          const char *model,
          gint64      created,
          double      usd)
{
  Seed seed = { model, created, usd };
  gboolean done = FALSE;

  easel_library_run_async (f->library, insert_in_worker, &seed, NULL, NULL, NULL, inserted_cb, &done);
  g_assert_true (wait_for (is_true, &done, 10000));
}

/* ---- Tests ---- */

static void
test_ledger_follows_library (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(EaselSpend) spend = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) old = g_date_time_add_days (now, -10);
  g_autofree char *old_day = g_date_time_format (old, "%Y-%m-%d");
  GtkWidget *model_list, *day_list, *legend;
  gboolean legend_escaped = FALSE;
  const char *subtitle;

  g_assert_nonnull (f->window->spending_view);
  g_assert_true (adw_view_stack_page_get_visible (f->window->spending_page));
  model_list = view_child (f, "model_list");
  day_list = view_child (f, "day_list");
  legend = view_child (f, "legend");

  /* Nothing yet: no rows, no limits. */
  f->want_models = 0;
  g_assert_true (wait_for (shows_models, f, 10000));
  g_assert_true (easel_test_wait_until ((EaselTestCondition) easel_spending_get_loaded,
                                        easel_spending_view_get_spending (EASEL_SPENDING_VIEW (f->window->spending_view)),
                                        10000));
  f->want_text = "no limit";
  g_assert_true (wait_for (today_says, f, 5000));
  g_assert_false (gtk_widget_get_visible (view_child (f, "today_bar")));

  /* Two studio turns with two models: the page follows the store. */
  send_and_settle (f, "a lighthouse at dusk");
  f->want_models = 1;
  g_assert_true (wait_for (shows_models, f, 10000));
  g_object_set (easel_composer_get_params (f->composer), "image-model", "gpt-image-1-mini", NULL);
  send_and_settle (f, "a small lighthouse");
  f->want_models = 2;
  g_assert_true (wait_for (shows_models, f, 10000));

  /* A prompt the moderation pre-check flags was never sent: it is in the
   * ledger as moderated, and costs nothing. */
  {
    g_autofree char *before = g_strdup (row_amount (row_titled (model_list, "gpt-image-1-mini")));

    g_settings_set_boolean (f->settings, "moderation-check", TRUE);
    send_and_settle (f, "a FLAGME lighthouse");
    g_assert_true (wait_for (mini_moderated, f, 10000));
    g_assert_cmpuint (easel_fake_server_count_requests (f->server, "POST", "/v1/moderations"), ==, 1);
    g_assert_cmpstr (row_amount (row_titled (model_list, "gpt-image-1-mini")), ==, before);
    g_settings_set_boolean (f->settings, "moderation-check", FALSE);
  }

  /* A failed request ten days ago, priced by its estimate, with a model
   * name no one should trust. */
  seed_row (f, HOSTILE_MODEL, g_date_time_to_unix (old), 0.5);
  f->want_models = 3;
  g_assert_true (wait_for (shows_models, f, 10000));
  easel_library_flush (f->library);
  easel_test_spin_ms (50);

  /* The ledger is the store's, row for row. */
  spend = easel_store_get_spend (f->store, g_date_time_to_unix (now) - 29 * 86400 - 86400, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (spend->per_model->len, ==, 3);
  for (guint i = 0; i < spend->per_model->len; i++)
    {
      EaselSpendRow *row = spend->per_model->pdata[i];
      g_autofree char *usd = easel_cost_format_usd (row->usd);
      AdwActionRow *shown;

      if (g_str_equal (row->key, HOSTILE_MODEL))
        continue;
      shown = row_titled (model_list, row->key);
      g_assert_nonnull (shown);
      g_test_message ("%s: %s, %s", row->key, row_amount (shown), adw_action_row_get_subtitle (shown));
      g_assert_cmpstr (row_amount (shown), ==, usd);
      g_assert_nonnull (strstr (adw_action_row_get_subtitle (shown), "1 image"));
    }
  g_assert_cmpuint (n_rows (day_list), ==, 2);
  g_assert_nonnull (row_titled (day_list, old_day));
  g_assert_cmpstr (row_amount (row_titled (day_list, old_day)), ==, "$0.50");
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (row_titled (day_list, old_day)), "1 failed"));

  /* Escaped, and never parsed as markup, in the ledger and the legend. */
  {
    AdwActionRow *hostile = row_titled (model_list, "evil\\x1b[31m<b>model</b> *");

    if (hostile == NULL)
      hostile = row_titled (model_list, "evil\\x1b[31m<b>model</b>");
    g_assert_nonnull (hostile);
    g_assert_false (adw_preferences_row_get_use_markup (ADW_PREFERENCES_ROW (hostile)));
  }
  for (GtkWidget *child = gtk_widget_get_first_child (legend); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *label = gtk_flow_box_child_get_child (GTK_FLOW_BOX_CHILD (child));
      const char *text = gtk_label_get_text (GTK_LABEL (label));

      g_test_message ("legend: %s", text);
      g_assert_null (strchr (text, '\x1b'));
      legend_escaped |= strstr (text, "evil\\x1b[31m<b>model</b>") != NULL;
    }
  g_assert_true (legend_escaped);

  /* Today's spend against a limit it is over: the bar is full and red. */
  g_settings_set_double (f->settings, "budget-daily-usd", 0.001);
  f->want_text = "over the limit";
  g_assert_true (wait_for (today_says, f, 10000));
  g_assert_true (gtk_widget_get_visible (view_child (f, "today_bar")));
  g_assert_cmpfloat (gtk_level_bar_get_value (GTK_LEVEL_BAR (view_child (f, "today_bar"))), ==, 1);
  g_assert_true (gtk_widget_has_css_class (view_child (f, "today_bar"), "spend-over"));

  /* A generous one: a fraction of it. */
  g_settings_set_double (f->settings, "budget-daily-usd", 100);
  f->want_text = "of $100.00";
  g_assert_true (wait_for (today_says, f, 10000));
  subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (view_child (f, "today_row")));
  g_test_message ("today: %s", subtitle);
  g_assert_cmpfloat (gtk_level_bar_get_value (GTK_LEVEL_BAR (view_child (f, "today_bar"))), <, 0.01);
  g_assert_false (gtk_widget_has_css_class (view_child (f, "today_bar"), "spend-over"));
  /* The failed request ten days ago is not today's. */
  g_assert_null (strstr (subtitle, "$0.50"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  if (!gtk_init_check ())
    {
      g_printerr ("No display: the spending UI tests need Xvfb; skipping\n");
      return 77;
    }
  adw_init ();

  g_test_add ("/gui/spending/ledger-follows-library", Fixture, NULL,
              fixture_setup, test_ledger_follows_library, fixture_teardown);

  return g_test_run ();
}
