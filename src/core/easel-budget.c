/* easel-budget.c: daily and monthly spending limits, checked before a request
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-budget"

#include "config.h"

#include <math.h>

#include "easel-budget.h"
#include "easel-cost.h"

void
easel_budget_limits_init_default (EaselBudgetLimits *limits)
{
  g_return_if_fail (limits != NULL);

  limits->daily_usd = 0;
  limits->monthly_usd = 0;
  limits->confirm_usd = EASEL_BUDGET_DEFAULT_CONFIRM_USD;
}

static double
sane_usd (double usd)
{
  return isfinite (usd) && usd > 0 ? usd : 0;
}

void
easel_budget_limits_from_settings (EaselBudgetLimits *limits,
                                   GSettings         *settings)
{
  g_return_if_fail (limits != NULL);
  g_return_if_fail (settings == NULL || G_IS_SETTINGS (settings));

  easel_budget_limits_init_default (limits);
  if (settings == NULL)
    return;
  limits->daily_usd = sane_usd (g_settings_get_double (settings, "budget-daily-usd"));
  limits->monthly_usd = sane_usd (g_settings_get_double (settings, "budget-monthly-usd"));
  limits->confirm_usd = sane_usd (g_settings_get_double (settings, "budget-confirm-usd"));
}

static gboolean
crosses (double spent,
         double estimate,
         double limit)
{
  if (limit <= 0)
    return FALSE;
  if (spent >= limit)
    return TRUE;
  return estimate > 0 && spent + estimate > limit;
}

EaselBudgetFlags
easel_budget_evaluate (EaselBudgetState *state)
{
  const EaselBudgetLimits *limits;
  EaselBudgetFlags flags = EASEL_BUDGET_OK;

  g_return_val_if_fail (state != NULL, EASEL_BUDGET_OK);

  limits = &state->limits;
  if (limits->confirm_usd > 0 && state->estimate_usd > limits->confirm_usd)
    flags |= EASEL_BUDGET_OVER_THRESHOLD;
  if (crosses (state->spent_today, state->estimate_usd, limits->daily_usd))
    flags |= EASEL_BUDGET_CROSSES_DAILY;
  if (crosses (state->spent_month, state->estimate_usd, limits->monthly_usd))
    flags |= EASEL_BUDGET_CROSSES_MONTHLY;

  state->flags = flags;
  return flags;
}

static gboolean
read_spend (EaselStore  *store,
            GDateTime   *since,
            double      *usd,
            GError     **error)
{
  g_autoptr(EaselSpend) spend = easel_store_get_spend (store, g_date_time_to_unix (since), error);

  if (spend == NULL)
    return FALSE;
  *usd = spend->total.usd;
  return TRUE;
}

gboolean
easel_budget_check_sync (EaselStore              *store,
                         const EaselBudgetLimits *limits,
                         double                   estimate_usd,
                         GDateTime               *now,
                         EaselBudgetState        *state,
                         GError                 **error)
{
  g_autoptr(GDateTime) local = NULL;
  g_autoptr(GDateTime) day = NULL;
  g_autoptr(GDateTime) month = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (store), FALSE);
  g_return_val_if_fail (limits != NULL, FALSE);
  g_return_val_if_fail (state != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  local = now ? g_date_time_to_local (now) : g_date_time_new_now_local ();
  day = g_date_time_new_local (g_date_time_get_year (local), g_date_time_get_month (local),
                               g_date_time_get_day_of_month (local), 0, 0, 0);
  month = g_date_time_new_local (g_date_time_get_year (local), g_date_time_get_month (local), 1, 0, 0, 0);

  state->limits = *limits;
  state->estimate_usd = isfinite (estimate_usd) ? estimate_usd : -1;
  state->flags = EASEL_BUDGET_OK;
  if (!read_spend (store, day, &state->spent_today, error) ||
      !read_spend (store, month, &state->spent_month, error))
    return FALSE;

  easel_budget_evaluate (state);
  return TRUE;
}

typedef struct
{
  EaselBudgetLimits limits;
  double            estimate_usd;
  GDateTime        *now;
} CheckData;

static void
check_data_free (CheckData *data)
{
  g_clear_pointer (&data->now, g_date_time_unref);
  g_free (data);
}

static void
check_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  CheckData *data = task_data;
  EaselBudgetState *state = g_new0 (EaselBudgetState, 1);
  GError *error = NULL;

  if (!easel_budget_check_sync (EASEL_STORE (source_object), &data->limits, data->estimate_usd,
                                data->now, state, &error))
    {
      g_free (state);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, state, g_free);
}

void
easel_budget_check_async (EaselStore              *store,
                          const EaselBudgetLimits *limits,
                          double                   estimate_usd,
                          GDateTime               *now,
                          GCancellable            *cancellable,
                          GAsyncReadyCallback      callback,
                          gpointer                 user_data)
{
  g_autoptr(GTask) task = NULL;
  CheckData *data;

  g_return_if_fail (EASEL_IS_STORE (store));
  g_return_if_fail (limits != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  data = g_new0 (CheckData, 1);
  data->limits = *limits;
  data->estimate_usd = estimate_usd;
  data->now = now ? g_date_time_ref (now) : g_date_time_new_now_local ();

  task = g_task_new (store, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_budget_check_async);
  g_task_set_task_data (task, data, (GDestroyNotify) check_data_free);
  g_task_run_in_thread (task, check_thread);
}

gboolean
easel_budget_check_finish (EaselStore        *store,
                           GAsyncResult      *result,
                           EaselBudgetState  *state,
                           GError           **error)
{
  g_autofree EaselBudgetState *found = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (store), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, store), FALSE);
  g_return_val_if_fail (state != NULL, FALSE);

  if (!(found = g_task_propagate_pointer (G_TASK (result), error)))
    return FALSE;
  *state = *found;
  return TRUE;
}

static void
describe_limit (GString    *text,
                const char *estimate,
                const char *period,
                double      spent,
                double      est,
                double      limit)
{
  g_autofree char *spent_text = easel_cost_format_usd (spent);
  g_autofree char *limit_text = easel_cost_format_usd (limit);

  if (text->len > 0)
    g_string_append_c (text, ' ');
  if (spent >= limit)
    g_string_append_printf (text, "%s spend is already %s, at or over the %s limit of %s.",
                            g_str_equal (period, "daily") ? "Today's" : "This month's",
                            spent_text, period, limit_text);
  else
    {
      g_autofree char *after = easel_cost_format_usd (spent + est);

      g_string_append_printf (text, "This request (%s) would take %s spend to %s, over the %s limit of %s.",
                              estimate, g_str_equal (period, "daily") ? "today's" : "this month's",
                              after, period, limit_text);
    }
}

char *
easel_budget_describe (const EaselBudgetState *state)
{
  g_autoptr(GString) text = NULL;
  g_autofree char *estimate = NULL;

  g_return_val_if_fail (state != NULL, NULL);

  if (state->flags == EASEL_BUDGET_OK)
    return NULL;

  text = g_string_new (NULL);
  estimate = state->estimate_usd >= 0 ? easel_cost_format_usd (state->estimate_usd) : g_strdup ("unknown cost");
  if (state->flags & EASEL_BUDGET_CROSSES_DAILY)
    describe_limit (text, estimate, "daily", state->spent_today, state->estimate_usd,
                    state->limits.daily_usd);
  if (state->flags & EASEL_BUDGET_CROSSES_MONTHLY)
    describe_limit (text, estimate, "monthly", state->spent_month, state->estimate_usd,
                    state->limits.monthly_usd);
  if (state->flags & EASEL_BUDGET_OVER_THRESHOLD)
    {
      g_autofree char *threshold = easel_cost_format_usd (state->limits.confirm_usd);

      g_string_append_printf (text, "%sThis one request is estimated at %s, above the %s that needs confirmation.",
                              text->len > 0 ? " " : "", estimate, threshold);
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
}
