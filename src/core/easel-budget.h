/* easel-budget.h: daily and monthly spending limits, checked before a request
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "easel-store.h"

G_BEGIN_DECLS

/* Dollars; 0 means "no limit" (or, for confirm_usd, "never ask"). */
typedef struct
{
  double daily_usd;     /* per local calendar day */
  double monthly_usd;   /* per local calendar month */
  double confirm_usd;   /* one request above this needs confirmation */
} EaselBudgetLimits;

#define EASEL_BUDGET_DEFAULT_CONFIRM_USD 1.0

typedef enum
{
  EASEL_BUDGET_OK               = 0,
  EASEL_BUDGET_OVER_THRESHOLD   = 1 << 0,   /* the estimate alone is above confirm_usd */
  EASEL_BUDGET_CROSSES_DAILY    = 1 << 1,   /* today's spend + estimate > daily_usd */
  EASEL_BUDGET_CROSSES_MONTHLY  = 1 << 2,   /* this month's spend + estimate > monthly_usd */
} EaselBudgetFlags;

typedef struct
{
  EaselBudgetLimits limits;
  double            spent_today;
  double            spent_month;
  double            estimate_usd;   /* < 0: unknown */
  EaselBudgetFlags  flags;
} EaselBudgetState;

/* No limits, confirmation above $1: the schema's defaults. */
void             easel_budget_limits_init_default  (EaselBudgetLimits *limits);
/* The "budget-*-usd" keys of @settings; NULL: the defaults. */
void             easel_budget_limits_from_settings (EaselBudgetLimits *limits,
                                                    GSettings         *settings);

/* Fills @state->flags from its limits, spend and estimate, and returns
 * them. A limit already reached is crossed by any request, even one whose
 * estimate is unknown; otherwise an unknown estimate crosses nothing. */
EaselBudgetFlags easel_budget_evaluate             (EaselBudgetState  *state);

/* Reads today's and this month's spend (local calendar, as `library spend`
 * groups it) from @store: the library's ledger, so failed and moderated
 * requests count as it prices them (actual usage when the server reported
 * it, else the estimate). @now NULL: the current time. */
gboolean         easel_budget_check_sync           (EaselStore              *store,
                                                    const EaselBudgetLimits *limits,
                                                    double                   estimate_usd,
                                                    GDateTime               *now,
                                                    EaselBudgetState        *state,
                                                    GError                 **error);
/* The same in a worker thread, for the window. */
void             easel_budget_check_async          (EaselStore              *store,
                                                    const EaselBudgetLimits *limits,
                                                    double                   estimate_usd,
                                                    GDateTime               *now,
                                                    GCancellable            *cancellable,
                                                    GAsyncReadyCallback      callback,
                                                    gpointer                 user_data);
gboolean         easel_budget_check_finish         (EaselStore              *store,
                                                    GAsyncResult            *result,
                                                    EaselBudgetState        *state,
                                                    GError                 **error);

/* One sentence per problem in @state->flags ("This request (≈ $1.20) would
 * take today's spend to $5.40, over the daily limit of $5.00."), or NULL
 * when there is none. */
char            *easel_budget_describe             (const EaselBudgetState *state);

G_END_DECLS
