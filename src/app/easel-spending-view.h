/* easel-spending-view.h: the Spending page: chart, ledger and budget
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "easel-spending.h"

G_BEGIN_DECLS

#define EASEL_TYPE_SPENDING_VIEW (easel_spending_view_get_type ())
G_DECLARE_FINAL_TYPE (EaselSpendingView, easel_spending_view, EASEL, SPENDING_VIEW, GtkWidget)

/* Follows @spending (property "spending", construct-only): the budget's
 * state with a level bar per limit, spend per day over the last
 * EASEL_SPENDING_DAYS days stacked per model with a legend, and the ledger
 * per model and per day, as `easel library spend` prints it. */
GtkWidget     *easel_spending_view_new          (EaselSpending *spending);
EaselSpending *easel_spending_view_get_spending (EaselSpendingView *self);

G_END_DECLS
