/* easel-spending.h: what the library's requests cost, for the Spending view
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "easel-budget.h"
#include "easel-library.h"

G_BEGIN_DECLS

/* The days the view charts, today included. */
#define EASEL_SPENDING_DAYS 30

#define EASEL_TYPE_SPENDING (easel_spending_get_type ())
G_DECLARE_FINAL_TYPE (EaselSpending, easel_spending, EASEL, SPENDING, GObject)

/* A non-widget model: the spend ledger of the last EASEL_SPENDING_DAYS days
 * (the store's, as `easel library spend --days` reads it) and the budget's
 * state (today's and this month's spend against the "budget-*-usd" keys).
 * It reads them on the library's worker once the library is ready, and
 * again whenever the store changes or a limit does; "changed" says a new
 * reading is in. Nothing is read on the main thread.
 *
 * Properties: "library" (construct-only), "settings" (construct-only, may be
 * NULL: default limits), "loaded" (a reading is in). */
EaselSpending          *easel_spending_new        (EaselLibrary *library,
                                                   GSettings    *settings);
gboolean                easel_spending_get_loaded (EaselSpending *self);
/* The last reading, or NULL before the first. Model names in it come from
 * the store: escape them before showing them. */
const EaselSpend       *easel_spending_get_spend  (EaselSpending *self);
const EaselBudgetState *easel_spending_get_budget (EaselSpending *self);
/* The first day charted, "YYYY-MM-DD" local time, as the ledger keys it. */
const char             *easel_spending_get_first_day (EaselSpending *self);
/* Reads again (the store and the settings already trigger it). */
void                    easel_spending_reload     (EaselSpending *self);

G_END_DECLS
