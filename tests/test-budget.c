/* test-budget.c: spending limits against the library's ledger
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-budget"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "easel-budget.h"
#include "easel-generation.h"
#include "easel-store.h"

typedef struct
{
  char       *dir;
  EaselStore *store;
  GDateTime  *now;
} Fixture;

static void
add_row (Fixture               *f,
         GDateTime             *when,
         EaselGenerationStatus  status,
         double                 estimated,
         double                 actual)
{
  g_autoptr(EaselGeneration) g = easel_generation_new ();
  g_autoptr(GError) error = NULL;

  g->prompt = g_strdup ("a fox");
  g->model = g_strdup ("gpt-image-1.5");
  g->api = g_strdup ("generate");
  g->created = g_date_time_to_unix (when);
  g->status = status;
  g->estimated_usd = estimated;
  g->actual_usd = actual;
  g_assert_cmpint (easel_store_insert_generation (f->store, g, NULL, &error), >, 0);
  g_assert_no_error (error);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) morning = g_date_time_new_local (2026, 6, 15, 9, 30, 0);
  g_autoptr(GDateTime) earlier = g_date_time_new_local (2026, 6, 3, 18, 0, 0);
  g_autoptr(GDateTime) last_month = g_date_time_new_local (2026, 5, 31, 23, 0, 0);

  f->dir = g_dir_make_tmp ("easel-budget-XXXXXX", &error);
  g_assert_no_error (error);
  f->store = easel_store_open (f->dir, &error);
  g_assert_no_error (error);
  f->now = g_date_time_new_local (2026, 6, 15, 12, 0, 0);

  /* Today: $0.30 estimated (no usage reported), and a failed request the
   * ledger prices at its $0.20 estimate. This month: $1.00 actual. The
   * month before: $5.00, which counts for neither. */
  add_row (f, morning, EASEL_GENERATION_INCOMPLETE, 0.30, -1);
  add_row (f, morning, EASEL_GENERATION_FAILED, 0.20, -1);
  add_row (f, earlier, EASEL_GENERATION_MODERATED, 0.50, 1.00);
  add_row (f, last_month, EASEL_GENERATION_FAILED, 5.00, 5.00);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->store);
  g_clear_pointer (&f->now, g_date_time_unref);
  if (f->dir != NULL)
    {
      g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", f->dir);
      g_assert_cmpint (system (cmd), ==, 0);
    }
  g_clear_pointer (&f->dir, g_free);
}

static EaselBudgetFlags
check (Fixture          *f,
       double            daily,
       double            monthly,
       double            confirm,
       double            estimate,
       EaselBudgetState *state)
{
  EaselBudgetLimits limits = { daily, monthly, confirm };
  g_autoptr(GError) error = NULL;

  g_assert_true (easel_budget_check_sync (f->store, &limits, estimate, f->now, state, &error));
  g_assert_no_error (error);
  return state->flags;
}

static void
test_spend_read (Fixture       *f,
                 gconstpointer  data)
{
  EaselBudgetState state;

  check (f, 0, 0, 0, 0.10, &state);
  /* Failed and moderated rows count as the ledger prices them. */
  g_assert_cmpfloat_with_epsilon (state.spent_today, 0.50, 1e-9);
  g_assert_cmpfloat_with_epsilon (state.spent_month, 1.50, 1e-9);
  g_assert_cmpint (state.flags, ==, EASEL_BUDGET_OK);
}

static void
test_under_limit (Fixture       *f,
                  gconstpointer  data)
{
  EaselBudgetState state;

  g_assert_cmpint (check (f, 1.00, 10.00, 1.00, 0.40, &state), ==, EASEL_BUDGET_OK);
  g_assert_null (easel_budget_describe (&state));
  /* Exactly reaching the limit is not crossing it. */
  g_assert_cmpint (check (f, 1.00, 10.00, 1.00, 0.50, &state), ==, EASEL_BUDGET_OK);
}

static void
test_crossing (Fixture       *f,
               gconstpointer  data)
{
  EaselBudgetState state;
  g_autofree char *why = NULL;
  g_autofree char *month_why = NULL;

  g_assert_cmpint (check (f, 1.00, 10.00, 0, 0.60, &state), ==, EASEL_BUDGET_CROSSES_DAILY);
  why = easel_budget_describe (&state);
  g_assert_nonnull (strstr (why, "$1.10"));
  g_assert_nonnull (strstr (why, "daily limit of $1.00"));

  g_assert_cmpint (check (f, 0, 1.80, 0, 0.40, &state), ==, EASEL_BUDGET_CROSSES_MONTHLY);
  month_why = easel_budget_describe (&state);
  g_assert_nonnull (strstr (month_why, "monthly limit of $1.80"));

  g_assert_cmpint (check (f, 0.70, 1.80, 0, 0.40, &state), ==,
                   EASEL_BUDGET_CROSSES_DAILY | EASEL_BUDGET_CROSSES_MONTHLY);

  /* A limit already reached stops even a request of unknown cost. */
  g_assert_cmpint (check (f, 0.50, 0, 0, -1, &state), ==, EASEL_BUDGET_CROSSES_DAILY);
  g_assert_cmpint (check (f, 1.00, 0, 0, -1, &state), ==, EASEL_BUDGET_OK);
}

static void
test_threshold (Fixture       *f,
                gconstpointer  data)
{
  EaselBudgetState state;
  EaselBudgetLimits defaults;
  g_autofree char *why = NULL;

  easel_budget_limits_init_default (&defaults);
  g_assert_cmpfloat (defaults.confirm_usd, ==, 1.0);
  g_assert_cmpfloat (defaults.daily_usd, ==, 0);

  g_assert_cmpint (check (f, 0, 0, 1.00, 1.20, &state), ==, EASEL_BUDGET_OVER_THRESHOLD);
  why = easel_budget_describe (&state);
  g_assert_nonnull (strstr (why, "$1.20"));
  g_assert_cmpint (check (f, 0, 0, 1.00, 1.00, &state), ==, EASEL_BUDGET_OK);
  g_assert_cmpint (check (f, 0, 0, 0, 50.0, &state), ==, EASEL_BUDGET_OK);
}

static void
checked_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  EaselBudgetState *state = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (easel_budget_check_finish (EASEL_STORE (source), result, state, &error));
  g_assert_no_error (error);
}

static void
test_async (Fixture       *f,
            gconstpointer  data)
{
  EaselBudgetLimits limits = { 1.00, 0, 1.00 };
  EaselBudgetState state = { .estimate_usd = -42 };

  easel_budget_check_async (f->store, &limits, 0.60, f->now, NULL, checked_cb, &state);
  while (state.estimate_usd == -42)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpfloat_with_epsilon (state.spent_today, 0.50, 1e-9);
  g_assert_cmpint (state.flags, ==, EASEL_BUDGET_CROSSES_DAILY);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add ("/core/budget/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("spend-read", test_spend_read);
  ADD ("under-limit", test_under_limit);
  ADD ("crossing", test_crossing);
  ADD ("threshold", test_threshold);
  ADD ("async", test_async);
#undef ADD

  return g_test_run ();
}
