/* easel-spending.c: what the library's requests cost, for the Spending view
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-spending"

#include "config.h"

#include "easel-spending.h"

struct _EaselSpending
{
  GObject parent_instance;

  EaselLibrary *library;
  GSettings *settings;
  EaselStore *store;          /* followed while the library is ready */
  GCancellable *cancellable;

  EaselSpend *spend;
  EaselBudgetState budget;
  char *first_day;
  gboolean loading;
  gboolean dirty;             /* something changed while a reading ran */
};

G_DEFINE_FINAL_TYPE (EaselSpending, easel_spending, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_LIBRARY,
  PROP_SETTINGS,
  PROP_LOADED,
  N_PROPS
};

enum {
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* The worker's side */

typedef struct
{
  EaselBudgetLimits limits;
  gint64 since;
  char *first_day;
} LoadData;

typedef struct
{
  EaselSpend *spend;
  EaselBudgetState budget;
  char *first_day;
} Reading;

static void
load_data_free (LoadData *data)
{
  g_free (data->first_day);
  g_free (data);
}

static void
reading_free (Reading *reading)
{
  g_clear_pointer (&reading->spend, easel_spend_free);
  g_free (reading->first_day);
  g_free (reading);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reading, reading_free)

static gpointer
load_in_worker (EaselStore  *store,
                gpointer     user_data,
                GError     **error)
{
  LoadData *data = user_data;
  g_autoptr(Reading) reading = g_new0 (Reading, 1);

  if (!(reading->spend = easel_store_get_spend (store, data->since, error)))
    return NULL;
  /* No request pending: an unknown estimate, so only the spend is read. */
  if (!easel_budget_check_sync (store, &data->limits, -1, NULL, &reading->budget, error))
    return NULL;
  reading->first_day = g_strdup (data->first_day);
  return g_steal_pointer (&reading);
}

/* The main thread's side */

static void load (EaselSpending *self);

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(EaselSpending) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(Reading) reading = easel_library_run_finish (EASEL_LIBRARY (object), result, &error);
  gboolean was_loaded = self->spend != NULL;

  self->loading = FALSE;
  if (reading == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Cannot read the spend: %s", error->message);
      return;
    }

  g_clear_pointer (&self->spend, easel_spend_free);
  self->spend = g_steal_pointer (&reading->spend);
  self->budget = reading->budget;
  g_free (self->first_day);
  self->first_day = g_steal_pointer (&reading->first_day);
  if (!was_loaded)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
  g_signal_emit (self, signals[CHANGED], 0);

  if (self->dirty)
    load (self);
}

static void
load (EaselSpending *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) midnight = NULL;
  g_autoptr(GDateTime) first = NULL;
  LoadData *data;

  if (self->store == NULL)
    return;
  if (self->loading)
    {
      self->dirty = TRUE;
      return;
    }
  self->dirty = FALSE;
  self->loading = TRUE;

  midnight = g_date_time_new_local (g_date_time_get_year (now), g_date_time_get_month (now),
                                    g_date_time_get_day_of_month (now), 0, 0, 0);
  first = g_date_time_add_days (midnight, -(EASEL_SPENDING_DAYS - 1));

  data = g_new0 (LoadData, 1);
  easel_budget_limits_from_settings (&data->limits, self->settings);
  data->since = g_date_time_to_unix (first);
  data->first_day = g_date_time_format (first, "%Y-%m-%d");
  easel_library_run_async (self->library, load_in_worker, data, (GDestroyNotify)load_data_free,
                           (GDestroyNotify)reading_free, self->cancellable, loaded_cb, g_object_ref (self));
}

static void
follow_library (EaselSpending *self)
{
  EaselStore *store = NULL;

  if (easel_library_get_state (self->library) == EASEL_LIBRARY_STATE_READY)
    store = easel_library_get_store (self->library);
  if (store == self->store)
    return;

  if (self->store != NULL)
    g_signal_handlers_disconnect_by_func (self->store, easel_spending_reload, self);
  g_set_object (&self->store, store);
  if (store != NULL)
    {
      g_signal_connect_object (store, "changed", G_CALLBACK (easel_spending_reload), self, G_CONNECT_SWAPPED);
      load (self);
    }
}

static void
settings_changed_cb (EaselSpending *self,
                     const char    *key)
{
  if (g_str_has_prefix (key, "budget-"))
    easel_spending_reload (self);
}

/* GObject */

static void
easel_spending_constructed (GObject *object)
{
  EaselSpending *self = EASEL_SPENDING (object);

  G_OBJECT_CLASS (easel_spending_parent_class)->constructed (object);

  easel_budget_limits_from_settings (&self->budget.limits, self->settings);
  if (self->settings != NULL)
    g_signal_connect_object (self->settings, "changed", G_CALLBACK (settings_changed_cb), self,
                             G_CONNECT_SWAPPED);
  g_signal_connect_object (self->library, "notify::state", G_CALLBACK (follow_library), self,
                           G_CONNECT_SWAPPED);
  follow_library (self);
}

static void
easel_spending_dispose (GObject *object)
{
  EaselSpending *self = EASEL_SPENDING (object);

  g_cancellable_cancel (self->cancellable);
  if (self->store != NULL)
    g_signal_handlers_disconnect_by_func (self->store, easel_spending_reload, self);
  g_clear_object (&self->store);
  g_clear_object (&self->library);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (easel_spending_parent_class)->dispose (object);
}

static void
easel_spending_finalize (GObject *object)
{
  EaselSpending *self = EASEL_SPENDING (object);

  g_clear_pointer (&self->spend, easel_spend_free);
  g_clear_pointer (&self->first_day, g_free);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (easel_spending_parent_class)->finalize (object);
}

static void
easel_spending_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  EaselSpending *self = EASEL_SPENDING (object);

  switch (prop_id)
    {
    case PROP_LIBRARY: g_value_set_object (value, self->library); break;
    case PROP_SETTINGS: g_value_set_object (value, self->settings); break;
    case PROP_LOADED: g_value_set_boolean (value, self->spend != NULL); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_spending_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  EaselSpending *self = EASEL_SPENDING (object);

  switch (prop_id)
    {
    case PROP_LIBRARY: self->library = g_value_dup_object (value); break;
    case PROP_SETTINGS: self->settings = g_value_dup_object (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_spending_class_init (EaselSpendingClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = easel_spending_constructed;
  object_class->dispose = easel_spending_dispose;
  object_class->finalize = easel_spending_finalize;
  object_class->get_property = easel_spending_get_property;
  object_class->set_property = easel_spending_set_property;

  properties[PROP_LIBRARY] =
    g_param_spec_object ("library", NULL, NULL, EASEL_TYPE_LIBRARY,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADED] =
    g_param_spec_boolean ("loaded", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
easel_spending_init (EaselSpending *self)
{
  self->cancellable = g_cancellable_new ();
}

EaselSpending *
easel_spending_new (EaselLibrary *library,
                    GSettings    *settings)
{
  g_return_val_if_fail (EASEL_IS_LIBRARY (library), NULL);
  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);

  return g_object_new (EASEL_TYPE_SPENDING, "library", library, "settings", settings, NULL);
}

gboolean
easel_spending_get_loaded (EaselSpending *self)
{
  g_return_val_if_fail (EASEL_IS_SPENDING (self), FALSE);
  return self->spend != NULL;
}

const EaselSpend *
easel_spending_get_spend (EaselSpending *self)
{
  g_return_val_if_fail (EASEL_IS_SPENDING (self), NULL);
  return self->spend;
}

const EaselBudgetState *
easel_spending_get_budget (EaselSpending *self)
{
  g_return_val_if_fail (EASEL_IS_SPENDING (self), NULL);
  return &self->budget;
}

const char *
easel_spending_get_first_day (EaselSpending *self)
{
  g_return_val_if_fail (EASEL_IS_SPENDING (self), NULL);
  return self->first_day;
}

void
easel_spending_reload (EaselSpending *self)
{
  g_return_if_fail (EASEL_IS_SPENDING (self));
  load (self);
}
