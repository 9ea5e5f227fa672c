/* easel-compare-page.c: Compare, one prompt across models × qualities
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The page is a view of an EaselComparison (the core runs it): the grid
 * and its estimates are rebuilt whenever the prompt or a choice changes,
 * Send runs it against the application's client and library, and each
 * EaselCompareCell follows its cell.
 */

#define G_LOG_DOMAIN "easel-compare-page"

#include "config.h"

#include <glib/gi18n.h>

#include "easel-compare-cell.h"
#include "easel-compare-page.h"
#include "easel-contact-sheet.h"

static const char * const qualities[] = { "low", "medium", "high", NULL };
static const char * const default_models[] = { "gpt-image-1.5", "gpt-image-1-mini", NULL };
static const char * const default_qualities[] = { "low", "high", NULL };

struct _EaselComparePage
{
  AdwBin           parent_instance;

  EaselClient     *client;
  EaselLibrary    *library;
  GSettings       *settings;        /* the budget's limits; NULL: the defaults */
  gboolean         budget_pending;  /* reading the spend before a send */
  EaselComparison *comparison;
  GSignalGroup    *comparison_signals;
  GCancellable    *cancellable;     /* the run; cancelled on dispose */
  GPtrArray       *model_checks;    /* GtkCheckButton*, "easel-value" = model id */
  GPtrArray       *quality_checks;
  GPtrArray       *inputs;          /* EaselInputImage*: the studio's attachments, edited when checked */
  char            *build_error;

  /* template */
  GtkEntry        *prompt_entry;
  GtkBox          *models_box;
  GtkBox          *qualities_box;
  GtkDropDown     *size_dropdown;
  GtkCheckButton  *inputs_check;
  GtkLabel        *total_label;
  GtkFlowBox      *grid_box;
};

G_DEFINE_FINAL_TYPE (EaselComparePage, easel_compare_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_LIBRARY,
  PROP_SETTINGS,
  PROP_COMPARISON,
  N_PROPS
};

enum {
  CONTINUE_FROM,
  CELL_STORED,
  SHOW_IN_GALLERY,
  TOAST,
  N_SIGNALS
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

static gboolean
is_running (EaselComparePage *self)
{
  return self->comparison != NULL && easel_comparison_get_running (self->comparison);
}

static gboolean
has_run (EaselComparePage *self)
{
  return self->comparison != NULL && easel_comparison_get_n_finished (self->comparison) > 0;
}

static void
update_state (EaselComparePage *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean running = is_running (self);
  g_autofree char *text = NULL;

  gtk_widget_action_set_enabled (widget, "compare.send",
                                 self->comparison != NULL && !running && self->library != NULL);
  gtk_widget_action_set_enabled (widget, "compare.cancel", running);
  gtk_widget_action_set_enabled (widget, "compare.export-sheet", has_run (self) && !running);
  gtk_widget_action_set_enabled (widget, "compare.show-in-gallery",
                                 self->comparison != NULL && easel_comparison_get_id (self->comparison) > 0);
  /* Not insensitive: the entry may have the focus. */
  gtk_editable_set_editable (GTK_EDITABLE (self->prompt_entry), !running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->models_box), !running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->qualities_box), !running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->size_dropdown), !running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->inputs_check), !running);

  if (self->comparison == NULL)
    text = g_strdup (self->build_error ? self->build_error : "");
  else
    {
      gboolean known;
      double estimate = easel_comparison_get_estimate_usd (self->comparison, &known);
      g_autofree char *est = easel_cost_format_usd (estimate);
      guint n = easel_comparison_get_n_cells (self->comparison);

      if (has_run (self))
        {
          g_autofree char *actual = easel_cost_format_usd (easel_comparison_get_actual_usd (self->comparison));

          /* Translators: progress of a comparison, then what it cost so far and its estimate */
          text = g_strdup_printf (_("%u of %u cells done · cost %s (estimated %s%s)"),
                                  easel_comparison_get_n_finished (self->comparison), n, actual,
                                  known ? "" : "≈ ", est);
        }
      else
        text = g_strdup_printf (ngettext ("%u cell · estimated %s%s in total, %u at a time",
                                          "%u cells · estimated %s%s in total, %u at a time", n),
                                n, known ? "" : "≈ ", est,
                                easel_comparison_get_max_concurrent (self->comparison));
    }
  gtk_label_set_text (self->total_label, text);
}

static GtkWidget *
create_cell_widget (gpointer item,
                    gpointer user_data)
{
  return easel_compare_cell_new (item);
}

static GStrv
checked_values (GPtrArray *checks)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < checks->len; i++)
    if (gtk_check_button_get_active (checks->pdata[i]))
      g_strv_builder_add (builder, g_object_get_data (checks->pdata[i], "easel-value"));
  return g_strv_builder_end (builder);
}

static void
set_comparison (EaselComparePage *self,
                EaselComparison  *comparison)
{
  if (!g_set_object (&self->comparison, comparison))
    return;
  g_signal_group_set_target (self->comparison_signals, comparison);
  gtk_flow_box_bind_model (self->grid_box, comparison ? easel_comparison_get_cells (comparison) : NULL,
                           create_cell_widget, NULL, NULL);
  if (comparison != NULL)
    {
      guint columns = easel_comparison_get_n_columns (comparison);

      gtk_flow_box_set_min_children_per_line (self->grid_box, columns);
      gtk_flow_box_set_max_children_per_line (self->grid_box, columns);
    }
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_COMPARISON]);
}

/* The grid follows the prompt and the choices until it is sent. */
static void
rebuild (EaselComparePage *self)
{
  gboolean edit = self->inputs->len > 0 && gtk_check_button_get_active (self->inputs_check);
  g_autoptr(EaselRequest) base = easel_request_new (edit ? EASEL_API_IMAGES_EDIT : EASEL_API_IMAGES_GENERATE);
  g_autoptr(EaselComparison) comparison = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) models = checked_values (self->model_checks);
  g_auto(GStrv) chosen = checked_values (self->quality_checks);
  GtkStringObject *size = gtk_drop_down_get_selected_item (self->size_dropdown);
  const char *prompt = gtk_editable_get_text (GTK_EDITABLE (self->prompt_entry));

  if (is_running (self))
    return;

  g_clear_pointer (&self->build_error, g_free);
  base->prompt = g_strdup (prompt);
  base->size = g_strdup (size ? gtk_string_object_get_string (size) : NULL);
  base->stream = TRUE;
  base->partial_images = 2;
  for (guint i = 0; edit && i < self->inputs->len; i++)
    easel_request_add_image (base, easel_input_image_copy (self->inputs->pdata[i]));
  if (*prompt == '\0')
    self->build_error = g_strdup (_("Write a prompt to see the grid and its estimate"));
  else if (!(comparison = easel_comparison_new (base, (const char * const *) models,
                                                (const char * const *) chosen, NULL, FALSE, &error)))
    self->build_error = g_strdup (error->message);
  set_comparison (self, comparison);
  update_state (self);
}

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
        g_signal_emit (self, signals[TOAST], 0, _("Comparison cancelled"));
      else
        {
          g_autofree char *safe = easel_text_escape_untrusted (error->message, EASEL_TEXT_MAX_SHOWN);
          g_signal_emit (self, signals[TOAST], 0, safe);
        }
    }
  else
    g_signal_emit (self, signals[TOAST], 0, _("Comparison finished: every image is in the gallery"));
  update_state (self);
}

static void
run_comparison (EaselComparePage *self)
{
  if (self->comparison == NULL || is_running (self) || has_run (self))
    return;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  easel_comparison_run_async (self->comparison, self->client, self->library,
                              easel_client_get_base_url (self->client), self->cancellable,
                              ran_cb, g_object_ref (self));
  update_state (self);
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
    run_comparison (op->self);
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
        run_comparison (op->self);
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

static void
send_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  EaselComparePage *self = EASEL_COMPARE_PAGE (widget);
  EaselBudgetLimits limits;
  EaselBudgetState state = { 0 };
  EaselStore *store = NULL;
  BudgetOp *op;
  double estimate;

  if (self->comparison == NULL || is_running (self) || self->budget_pending)
    return;
  /* Again: a new grid from the same choices (a comparison runs once). */
  if (has_run (self))
    rebuild (self);
  if (self->comparison == NULL)
    return;

  estimate = easel_comparison_get_estimate_usd (self->comparison, NULL);
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

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  EaselComparePage *self = EASEL_COMPARE_PAGE (widget);

  g_cancellable_cancel (self->cancellable);
}

/* ---- the contact sheet --------------------------------------------------- */

static void
sheet_written_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
sheet_rendered_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GBytes) png = NULL;
  GError *error = NULL;

  if (!(png = easel_contact_sheet_render_finish (result, &error)))
    {
      g_task_return_error (task, error);
      return;
    }
  g_file_replace_contents_bytes_async (g_task_get_task_data (task), png, NULL, FALSE,
                                       G_FILE_CREATE_REPLACE_DESTINATION, g_task_get_cancellable (task),
                                       sheet_written_cb, g_object_ref (task));
}

void
easel_compare_page_export_sheet_async (EaselComparePage    *self,
                                       GFile               *file,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (EASEL_IS_COMPARE_PAGE (self));
  g_return_if_fail (G_IS_FILE (file));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_compare_page_export_sheet_async);
  g_task_set_task_data (task, g_object_ref (file), g_object_unref);
  if (self->comparison == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "There is no comparison to export");
      return;
    }
  easel_contact_sheet_render_async (self->comparison, 0, cancellable, sheet_rendered_cb, g_steal_pointer (&task));
}

gboolean
easel_compare_page_export_sheet_finish (EaselComparePage  *self,
                                        GAsyncResult      *result,
                                        GError           **error)
{
  g_return_val_if_fail (EASEL_IS_COMPARE_PAGE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
exported_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  EaselComparePage *self = EASEL_COMPARE_PAGE (source);
  g_autoptr(GError) error = NULL;

  if (!easel_compare_page_export_sheet_finish (self, result, &error))
    {
      g_autofree char *message = g_strdup_printf (_("Cannot export the contact sheet: %s"), error->message);
      g_signal_emit (self, signals[TOAST], 0, message);
      return;
    }
  g_signal_emit (self, signals[TOAST], 0, _("Contact sheet exported"));
}

static void
export_response_cb (GtkNativeDialog  *dialog,
                    int               response,
                    EaselComparePage *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

      if (file != NULL)
        easel_compare_page_export_sheet_async (self, file, self->cancellable, exported_cb, NULL);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
  g_object_unref (self);
}

static void
export_sheet_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  EaselComparePage *self = EASEL_COMPARE_PAGE (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (_("Export Contact Sheet"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), "contact-sheet.png");
  g_signal_connect (chooser, "response", G_CALLBACK (export_response_cb), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
show_in_gallery_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  EaselComparePage *self = EASEL_COMPARE_PAGE (widget);

  if (self->comparison != NULL && easel_comparison_get_id (self->comparison) > 0)
    g_signal_emit (self, signals[SHOW_IN_GALLERY], 0, easel_comparison_get_id (self->comparison));
}

/* ---- the grid ------------------------------------------------------------ */

static void
grid_child_activated_cb (EaselComparePage *self,
                         GtkFlowBoxChild  *child)
{
  GtkWidget *widget = gtk_flow_box_child_get_child (child);
  EaselComparisonCell *cell;

  if (!EASEL_IS_COMPARE_CELL (widget))
    return;
  cell = easel_compare_cell_get_cell (EASEL_COMPARE_CELL (widget));
  if (cell == NULL || easel_comparison_cell_get_path (cell) == NULL)
    {
      if (cell != NULL && easel_comparison_cell_get_state (cell) == EASEL_COMPARISON_CELL_DONE)
        g_signal_emit (self, signals[TOAST], 0, _("This image is not in the library"));
      return;
    }
  g_signal_emit (self, signals[CONTINUE_FROM], 0, cell);
}

static GtkWidget *
add_check (GtkBox     *box,
           GPtrArray  *checks,
           const char *value,
           const char *label)
{
  GtkWidget *check = gtk_check_button_new_with_label (label);

  g_object_set_data_full (G_OBJECT (check), "easel-value", g_strdup (value), g_free);
  gtk_widget_set_name (check, value);
  gtk_box_append (box, check);
  g_ptr_array_add (checks, check);
  return check;
}

/* The comparison recorded the cell (when it has a row): the gallery shows it. */
static void
on_cell_finished (EaselComparePage    *self,
                  EaselComparisonCell *cell)
{
  if (easel_comparison_cell_get_generation_id (cell) > 0)
    g_signal_emit (self, signals[CELL_STORED], 0, cell);
}

/* ---- GObject ------------------------------------------------------------- */

static void
easel_compare_page_constructed (GObject *object)
{
  EaselComparePage *self = EASEL_COMPARE_PAGE (object);
  const EaselModelInfo **models = easel_model_list ();

  G_OBJECT_CLASS (easel_compare_page_parent_class)->constructed (object);

  /* The image models that can be sent today, priced by tokens. */
  for (guint i = 0; models[i] != NULL; i++)
    if (models[i]->token_priced && models[i]->supports_generate && !easel_model_is_retired (models[i], NULL))
      add_check (self->models_box, self->model_checks, models[i]->id, models[i]->display_name);
  for (guint i = 0; qualities[i] != NULL; i++)
    add_check (self->qualities_box, self->quality_checks, qualities[i], qualities[i]);
  easel_compare_page_select (self, default_models, default_qualities);

  for (guint i = 0; i < self->model_checks->len; i++)
    g_signal_connect_object (self->model_checks->pdata[i], "toggled", G_CALLBACK (rebuild), self, G_CONNECT_SWAPPED);
  for (guint i = 0; i < self->quality_checks->len; i++)
    g_signal_connect_object (self->quality_checks->pdata[i], "toggled", G_CALLBACK (rebuild), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->prompt_entry, "changed", G_CALLBACK (rebuild), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->size_dropdown, "notify::selected", G_CALLBACK (rebuild), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->inputs_check, "toggled", G_CALLBACK (rebuild), self, G_CONNECT_SWAPPED);
  rebuild (self);
}

static void
easel_compare_page_dispose (GObject *object)
{
  EaselComparePage *self = EASEL_COMPARE_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->comparison_signals != NULL)
    g_signal_group_set_target (self->comparison_signals, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), EASEL_TYPE_COMPARE_PAGE);
  g_clear_object (&self->comparison_signals);
  g_clear_object (&self->comparison);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_object (&self->library);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (easel_compare_page_parent_class)->dispose (object);
}

static void
easel_compare_page_finalize (GObject *object)
{
  EaselComparePage *self = EASEL_COMPARE_PAGE (object);

  g_clear_pointer (&self->model_checks, g_ptr_array_unref);
  g_clear_pointer (&self->quality_checks, g_ptr_array_unref);
  g_clear_pointer (&self->inputs, g_ptr_array_unref);
  g_clear_pointer (&self->build_error, g_free);
  G_OBJECT_CLASS (easel_compare_page_parent_class)->finalize (object);
}

static void
easel_compare_page_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  EaselComparePage *self = EASEL_COMPARE_PAGE (object);

  switch (prop_id)
    {
    case PROP_CLIENT:     g_value_set_object (value, self->client); break;
    case PROP_LIBRARY:    g_value_set_object (value, self->library); break;
    case PROP_SETTINGS:   g_value_set_object (value, self->settings); break;
    case PROP_COMPARISON: g_value_set_object (value, self->comparison); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_compare_page_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  EaselComparePage *self = EASEL_COMPARE_PAGE (object);

  switch (prop_id)
    {
    case PROP_CLIENT:  self->client = g_value_dup_object (value); break;
    case PROP_LIBRARY: self->library = g_value_dup_object (value); break;
    case PROP_SETTINGS: self->settings = g_value_dup_object (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_compare_page_class_init (EaselComparePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = easel_compare_page_constructed;
  object_class->dispose = easel_compare_page_dispose;
  object_class->finalize = easel_compare_page_finalize;
  object_class->get_property = easel_compare_page_get_property;
  object_class->set_property = easel_compare_page_set_property;

  props[PROP_CLIENT] = g_param_spec_object ("client", NULL, NULL, EASEL_TYPE_CLIENT,
                                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  props[PROP_LIBRARY] = g_param_spec_object ("library", NULL, NULL, EASEL_TYPE_LIBRARY,
                                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  props[PROP_SETTINGS] = g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                                              G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  props[PROP_COMPARISON] = g_param_spec_object ("comparison", NULL, NULL, EASEL_TYPE_COMPARISON,
                                                G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[CONTINUE_FROM] = g_signal_new ("continue-from", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 1, EASEL_TYPE_COMPARISON_CELL);
  signals[CELL_STORED] = g_signal_new ("cell-stored", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL, G_TYPE_NONE, 1, EASEL_TYPE_COMPARISON_CELL);
  signals[SHOW_IN_GALLERY] = g_signal_new ("show-in-gallery", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
  signals[TOAST] = g_signal_new ("toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/easelstudio/Easel/ui/easel-compare-page.ui");
  gtk_widget_class_bind_template_child (widget_class, EaselComparePage, prompt_entry);
  gtk_widget_class_bind_template_child (widget_class, EaselComparePage, models_box);
  gtk_widget_class_bind_template_child (widget_class, EaselComparePage, qualities_box);
  gtk_widget_class_bind_template_child (widget_class, EaselComparePage, size_dropdown);
  gtk_widget_class_bind_template_child (widget_class, EaselComparePage, inputs_check);
  gtk_widget_class_bind_template_child (widget_class, EaselComparePage, total_label);
  gtk_widget_class_bind_template_child (widget_class, EaselComparePage, grid_box);
  gtk_widget_class_bind_template_callback (widget_class, grid_child_activated_cb);

  gtk_widget_class_install_action (widget_class, "compare.send", NULL, send_action);
  gtk_widget_class_install_action (widget_class, "compare.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "compare.export-sheet", NULL, export_sheet_action);
  gtk_widget_class_install_action (widget_class, "compare.show-in-gallery", NULL, show_in_gallery_action);
}

static void
easel_compare_page_init (EaselComparePage *self)
{
  self->model_checks = g_ptr_array_new ();
  self->quality_checks = g_ptr_array_new ();
  self->inputs = g_ptr_array_new_with_free_func ((GDestroyNotify) easel_input_image_free);
  gtk_widget_init_template (GTK_WIDGET (self));

  self->comparison_signals = g_signal_group_new (EASEL_TYPE_COMPARISON);
  g_signal_group_connect_object (self->comparison_signals, "notify::running", G_CALLBACK (update_state), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->comparison_signals, "notify::n-finished", G_CALLBACK (update_state), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->comparison_signals, "notify::actual-usd", G_CALLBACK (update_state), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->comparison_signals, "notify::id", G_CALLBACK (update_state), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->comparison_signals, "cell-finished", G_CALLBACK (on_cell_finished), self, G_CONNECT_SWAPPED);
}

GtkWidget *
easel_compare_page_new (EaselClient  *client,
                        EaselLibrary *library,
                        GSettings    *settings)
{
  g_return_val_if_fail (EASEL_IS_CLIENT (client), NULL);
  g_return_val_if_fail (library == NULL || EASEL_IS_LIBRARY (library), NULL);
  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);

  return g_object_new (EASEL_TYPE_COMPARE_PAGE, "client", client, "library", library, "settings", settings, NULL);
}

EaselComparison *
easel_compare_page_get_comparison (EaselComparePage *self)
{
  g_return_val_if_fail (EASEL_IS_COMPARE_PAGE (self), NULL);
  return self->comparison;
}

void
easel_compare_page_set_prompt (EaselComparePage *self,
                               const char       *prompt)
{
  g_return_if_fail (EASEL_IS_COMPARE_PAGE (self));
  gtk_editable_set_text (GTK_EDITABLE (self->prompt_entry), prompt ? prompt : "");
}

static void
select_checks (GPtrArray          *checks,
               const char * const *values)
{
  for (guint i = 0; i < checks->len; i++)
    gtk_check_button_set_active (checks->pdata[i],
                                 values && g_strv_contains (values, g_object_get_data (checks->pdata[i], "easel-value")));
}

void
easel_compare_page_select (EaselComparePage   *self,
                           const char * const *models,
                           const char * const *chosen_qualities)
{
  g_return_if_fail (EASEL_IS_COMPARE_PAGE (self));
  select_checks (self->model_checks, models);
  select_checks (self->quality_checks, chosen_qualities);
}

void
easel_compare_page_set_input_images (EaselComparePage *self,
                                     GPtrArray        *images)
{
  gboolean same;

  g_return_if_fail (EASEL_IS_COMPARE_PAGE (self));

  /* The same images (by hash) leave a grid that already ran alone. */
  same = (images ? images->len : 0) == self->inputs->len;
  for (guint i = 0; same && i < self->inputs->len; i++)
    {
      g_autofree char *a = easel_input_image_hash (self->inputs->pdata[i]);
      g_autofree char *b = easel_input_image_hash (images->pdata[i]);

      same = g_strcmp0 (a, b) == 0;
    }
  if (same || is_running (self))
    return;

  g_ptr_array_set_size (self->inputs, 0);
  for (guint i = 0; images != NULL && i < images->len; i++)
    g_ptr_array_add (self->inputs, easel_input_image_copy (images->pdata[i]));
  if (self->inputs->len > 0)
    {
      g_autofree char *label = g_strdup_printf (ngettext ("Edit the image attached in the studio",
                                                          "Edit the %u images attached in the studio",
                                                          self->inputs->len), self->inputs->len);

      gtk_check_button_set_label (self->inputs_check, label);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->inputs_check), self->inputs->len > 0);
  /* A grid that ran stays on screen; the next Compare uses the new inputs. */
  if (has_run (self))
    update_state (self);
  else
    rebuild (self);
}
