/* easel-window-budget.c: the spending limits before Send
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Send first asks the core's budget check (easel-budget.h) about the
 * request's estimate. Within the limits, the send goes ahead; otherwise a
 * dialog says why and offers to send anyway. Either way the send itself is
 * win.send again, with the verdict recorded, so the composer stays the
 * one place the request is built from.
 */

#define G_LOG_DOMAIN "easel-window-budget"

#include "config.h"

#include <glib/gi18n.h>

#include "easel-window-private.h"

static void
send_approved (EaselWindow *self)
{
  self->budget_approved = TRUE;
  gtk_widget_activate_action (GTK_WIDGET (self), "win.send", NULL);
  /* win.send clears it; an action that did not run must not leave it set. */
  self->budget_approved = FALSE;
}

static void
on_budget_response (AdwMessageDialog *dialog,
                    const char       *response,
                    gpointer          user_data)
{
  g_autoptr(EaselWindow) self = user_data;

  if (g_strcmp0 (response, "send") == 0)
    send_approved (self);
}

static void
ask (EaselWindow      *self,
     EaselBudgetState *state)
{
  g_autofree char *body = easel_budget_describe (state);
  GtkWidget *dialog;
  gboolean over_limit = (state->flags & (EASEL_BUDGET_CROSSES_DAILY | EASEL_BUDGET_CROSSES_MONTHLY)) != 0;

  dialog = adw_message_dialog_new (GTK_WINDOW (self),
                                   over_limit ? _("Over Budget") : _("Expensive Request"),
                                   body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "send", over_limit ? _("_Send Anyway") : _("_Send"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "send",
                                              over_limit ? ADW_RESPONSE_DESTRUCTIVE : ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (on_budget_response), g_object_ref (self));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
decide (EaselWindow      *self,
        EaselBudgetState *state)
{
  if (state->flags == EASEL_BUDGET_OK)
    send_approved (self);
  else
    ask (self, state);
}

static void
on_budget_checked (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(EaselWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  EaselBudgetState state = { 0 };

  self->budget_pending = FALSE;
  if (!easel_budget_check_finish (EASEL_STORE (source), result, &state, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* The limits cannot be checked: say so and let the user decide. */
      g_warning ("Cannot read the spend for the budget: %s", error->message);
      state.flags = EASEL_BUDGET_CROSSES_DAILY | EASEL_BUDGET_CROSSES_MONTHLY;
    }
  decide (self, &state);
}

gboolean
_easel_window_budget_approved (EaselWindow        *self,
                               const EaselRequest *request)
{
  EaselCostEstimate estimate;
  EaselBudgetLimits limits;
  EaselBudgetState state = { 0 };
  EaselStore *store = NULL;

  g_assert (EASEL_IS_WINDOW (self));
  g_assert (request != NULL);

  if (self->budget_approved)
    {
      self->budget_approved = FALSE;
      return TRUE;
    }
  if (self->budget_pending)
    return FALSE;

  easel_cost_estimate (request, &estimate);
  easel_budget_limits_from_settings (&limits, self->settings);
  if (self->library != NULL && easel_library_get_state (self->library) == EASEL_LIBRARY_STATE_READY)
    store = easel_library_get_store (self->library);

  if (store != NULL && (limits.daily_usd > 0 || limits.monthly_usd > 0))
    {
      self->budget_pending = TRUE;
      easel_budget_check_async (store, &limits, estimate.usd > 0 ? estimate.usd : -1, NULL,
                                self->cancellable, on_budget_checked, g_object_ref (self));
      return FALSE;
    }

  /* No limits (or no library yet): only the one-request threshold. */
  state.limits = limits;
  state.estimate_usd = estimate.usd > 0 ? estimate.usd : -1;
  if (easel_budget_evaluate (&state) == EASEL_BUDGET_OK)
    return TRUE;
  ask (self, &state);
  return FALSE;
}
