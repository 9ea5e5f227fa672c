/* easel-compare-page-send.c: Compare's Send, after the spending limits
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-compare-page"

#include "config.h"

#include <glib/gi18n.h>

#include "easel-compare-page-private.h"
#include "easel-window.h"

static void
ran_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(EaselComparePage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!easel_comparison_run_finish (EASEL_COMPARISON (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        _easel_compare_page_toast (self, _("Comparison cancelled"));
      else
        {
          g_autofree char *safe = easel_text_escape_untrusted (error->message, EASEL_TEXT_MAX_SHOWN);
          _easel_compare_page_toast (self, safe);
        }
    }
  else
    _easel_compare_page_toast (self, _("Comparison finished: every image is in the gallery"));
  _easel_compare_page_update_state (self);
}

static void
run_comparison (EaselComparePage *self)
{
  if (self->comparison == NULL || _easel_compare_page_is_running (self) || _easel_compare_page_has_run (self))
    return;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  easel_comparison_run_async (self->comparison, self->client, self->library,
                              easel_client_get_base_url (self->client), self->cancellable,
                              ran_cb, g_object_ref (self));
  _easel_compare_page_update_state (self);
}

/* "Half price, within 24 h": the grid goes to the Batch API as one job,
 * which the Batches place follows and fetches into the library. */
typedef struct
{
  GPtrArray *entries;
  GBytes    *jsonl;
  double     batch_usd;
  double     full_usd;
} BatchGrid;

static void
batch_grid_free (BatchGrid *grid)
{
  g_clear_pointer (&grid->entries, g_ptr_array_unref);
  g_clear_pointer (&grid->jsonl, g_bytes_unref);
  g_free (grid);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BatchGrid, batch_grid_free)

static BatchGrid *
batch_grid_new (EaselComparison  *comparison,
                GError          **error)
{
  g_autoptr(BatchGrid) grid = g_new0 (BatchGrid, 1);
  g_autoptr(GPtrArray) requests = g_ptr_array_new ();
  gboolean known;

  for (guint i = 0; i < easel_comparison_get_n_cells (comparison); i++)
    g_ptr_array_add (requests, (gpointer) easel_comparison_cell_get_request (easel_comparison_get_cell (comparison, i)));
  if (!(grid->entries = easel_batch_entries_from_requests ((const EaselRequest * const *) requests->pdata,
                                                           requests->len, error)) ||
      !(grid->jsonl = easel_batch_build_jsonl (grid->entries, error)))
    return NULL;
  easel_batch_estimate (grid->entries, &grid->batch_usd, &grid->full_usd, &known);
  return g_steal_pointer (&grid);
}

static void
batch_submitted_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(EaselComparePage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselBatchItem) item = easel_batch_list_submit_finish (EASEL_BATCH_LIST (source), result, &error);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  self->budget_pending = FALSE;
  _easel_compare_page_update_state (self);
  if (item == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *safe = easel_text_escape_untrusted (error->message, EASEL_TEXT_MAX_SHOWN);
          g_autofree char *message = g_strdup_printf (_("The batch job could not be sent: %s"), safe);

          _easel_compare_page_toast (self, message);
        }
      return;
    }
  _easel_compare_page_toast (self, _("Sent as a batch job at half price: the Batches place follows it"));
  if (EASEL_IS_WINDOW (root))
    easel_window_show_batches (EASEL_WINDOW (root));
}

static void
submit_batch (EaselComparePage *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BatchGrid) grid = NULL;

  if (self->batch_list == NULL || self->comparison == NULL)
    return;
  if (!(grid = batch_grid_new (self->comparison, &error)))
    {
      g_autofree char *message = g_strdup_printf (_("The grid cannot go as a batch job: %s"), error->message);

      _easel_compare_page_toast (self, message);
      return;
    }
  if (self->cancellable == NULL)
    self->cancellable = g_cancellable_new ();
  self->budget_pending = TRUE;
  easel_batch_list_submit_async (self->batch_list, grid->entries, grid->jsonl, grid->batch_usd, grid->full_usd,
                                 self->cancellable, batch_submitted_cb, g_object_ref (self));
}

static gboolean
sends_as_batch (EaselComparePage *self)
{
  return self->batch_list != NULL && gtk_switch_get_active (self->batch_switch);
}

static void
go (EaselComparePage *self)
{
  if (sends_as_batch (self))
    submit_batch (self);
  else
    run_comparison (self);
}

/* The spending limits on the whole grid's estimate, as Send checks one
 * request's (easel-window-budget.c): over a limit or the confirmation
 * threshold, a dialog asks first. */
typedef struct
{
  EaselComparePage *self;
  EaselComparison  *comparison;   /* the grid that was checked */
  gboolean          answered;
} BudgetOp;

static void
budget_op_free (BudgetOp *op)
{
  g_clear_object (&op->self);
  g_clear_object (&op->comparison);
  g_free (op);
}

static void
on_budget_response (AdwMessageDialog *dialog,
                    const char       *response,
                    BudgetOp         *op)
{
  /* Closing the dialog answers again: only the first answer counts. */
  if (op->answered)
    return;
  op->answered = TRUE;
  /* The grid changed meanwhile: what was approved is not what would go. */
  if (g_strcmp0 (response, "send") == 0 && op->self->comparison == op->comparison)
    go (op->self);
}

static void
decide (BudgetOp         *op,
        EaselBudgetState *state)
{
  g_autofree char *body = NULL;
  GtkRoot *root;
  GtkWidget *dialog;
  gboolean over_limit;

  if (state->flags == EASEL_BUDGET_OK)
    {
      if (op->self->comparison == op->comparison)
        go (op->self);
      budget_op_free (op);
      return;
    }

  body = easel_budget_describe (state);
  over_limit = (state->flags & (EASEL_BUDGET_CROSSES_DAILY | EASEL_BUDGET_CROSSES_MONTHLY)) != 0;
  root = gtk_widget_get_root (GTK_WIDGET (op->self));
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   over_limit ? _("Over Budget") : _("Expensive Comparison"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "send", over_limit ? _("_Send Anyway") : _("_Send"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "send",
                                              over_limit ? ADW_RESPONSE_DESTRUCTIVE : ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_data (dialog, "response", G_CALLBACK (on_budget_response), op,
                         (GClosureNotify) (void (*) (void)) budget_op_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_budget_checked (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  BudgetOp *op = user_data;
  g_autoptr(GError) error = NULL;
  EaselBudgetState state = { 0 };

  op->self->budget_pending = FALSE;
  if (!easel_budget_check_finish (EASEL_STORE (source), result, &state, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          budget_op_free (op);
          return;
        }
      /* The limits cannot be checked: say so and let the user decide. */
      g_warning ("Cannot read the spend for the budget: %s", error->message);
      state.flags = EASEL_BUDGET_CROSSES_DAILY | EASEL_BUDGET_CROSSES_MONTHLY;
    }
  decide (op, &state);
}

void
_easel_compare_page_send_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  EaselComparePage *self = EASEL_COMPARE_PAGE (widget);
  EaselBudgetLimits limits;
  EaselBudgetState state = { 0 };
  EaselStore *store = NULL;
  BudgetOp *op;
  double estimate;

  if (self->comparison == NULL || _easel_compare_page_is_running (self) || self->budget_pending)
    return;
  /* Again: a new grid from the same choices (a comparison runs once). */
  if (_easel_compare_page_has_run (self))
    _easel_compare_page_rebuild (self);
  if (self->comparison == NULL)
    return;

  estimate = easel_comparison_get_estimate_usd (self->comparison, NULL);
  /* A batch job is billed at half the price. */
  if (sends_as_batch (self))
    estimate *= 0.5;
  easel_budget_limits_from_settings (&limits, self->settings);
  if (self->library != NULL && easel_library_get_state (self->library) == EASEL_LIBRARY_STATE_READY)
    store = easel_library_get_store (self->library);

  op = g_new0 (BudgetOp, 1);
  op->self = g_object_ref (self);
  op->comparison = g_object_ref (self->comparison);
  if (store != NULL && (limits.daily_usd > 0 || limits.monthly_usd > 0))
    {
      self->budget_pending = TRUE;
      if (self->cancellable == NULL)
        self->cancellable = g_cancellable_new ();
      easel_budget_check_async (store, &limits, estimate > 0 ? estimate : -1, NULL,
                                self->cancellable, on_budget_checked, op);
      return;
    }

  /* No limits (or no library yet): only the confirmation threshold. */
  state.limits = limits;
  state.estimate_usd = estimate > 0 ? estimate : -1;
  easel_budget_evaluate (&state);
  decide (op, &state);
}
