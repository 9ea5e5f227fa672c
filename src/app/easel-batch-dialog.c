/* easel-batch-dialog.c: "New Batch…": a prompt list sent as a Batch API job
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The checks are the CLI's (`easel batch submit`): the core parses and
 * validates every line, a retired model is refused, and the budget is asked
 * about the whole job at the batch price before anything is uploaded.
 */

#define G_LOG_DOMAIN "easel-batch-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "easel-batch-dialog.h"

/* As the CLI: a batch holds at most 50,000 lines anyway. */
#define MAX_INPUT_BYTES (64 * 1024 * 1024)
#define VALIDATE_DELAY_MS 200

struct _EaselBatchDialog
{
  AdwWindow parent_instance;

  EaselBatchList *batches;
  EaselParams    *params;
  EaselLibrary   *library;
  GSettings      *settings;
  EaselRequest   *defaults;
  GCancellable   *cancellable;
  GtkFileChooserNative *chooser;

  guint           validate_id;
  guint           generation;    /* drops the answers of older checks */
  GPtrArray      *entries;       /* EaselBatchEntry*, NULL while invalid */
  GBytes         *jsonl;
  double          batch_usd;
  double          full_usd;
  gboolean        busy;

  /* template */
  GtkLabel       *defaults_label;
  GtkTextView    *text_view;
  GtkLabel       *summary_label;
  GtkLabel       *error_label;
  GtkButton      *submit_button;
  GtkButton      *open_button;
  GtkSpinner     *spinner;
};

G_DEFINE_FINAL_TYPE (EaselBatchDialog, easel_batch_dialog, ADW_TYPE_WINDOW)

enum {
  SUBMITTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
show_error (EaselBatchDialog *self,
            const char       *message)
{
  g_autofree char *safe = easel_text_escape_untrusted (message, EASEL_TEXT_MAX_SHOWN);

  gtk_label_set_label (self->error_label, safe ? safe : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), safe != NULL);
}

static void
update_sensitivity (EaselBatchDialog *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->submit_button), !self->busy && self->entries != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->open_button), !self->busy);
  gtk_text_view_set_editable (self->text_view, !self->busy);
  gtk_spinner_set_spinning (self->spinner, self->busy);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), self->busy);
}

/* The studio's parameters as every line's defaults: an Images generation,
 * whatever the studio's mode (the Batch API runs /v1/images/generations). */
static EaselRequest *
defaults_from_params (EaselParams *params)
{
  g_autoptr(EaselRequest) built = easel_params_build_request (params, "", 0);
  EaselRequest *request = easel_request_new (EASEL_API_IMAGES_GENERATE);

  request->model = g_strdup (built->model);
  request->n = built->api == EASEL_API_IMAGES_GENERATE ? built->n : -1;
  request->size = g_strdup (built->size);
  request->quality = g_strdup (built->quality);
  request->background = g_strdup (built->background);
  request->output_format = g_strdup (built->output_format);
  request->output_compression = built->output_compression;
  request->moderation = g_strdup (built->moderation);
  request->stream = FALSE;
  request->partial_images = -1;
  return request;
}

static char *
describe_defaults (const EaselRequest *d)
{
  g_autoptr(GString) s = g_string_new (d->model ? d->model : easel_model_default (EASEL_API_IMAGES_GENERATE));

  if (d->size != NULL)
    g_string_append_printf (s, " · %s", d->size);
  if (d->quality != NULL)
    g_string_append_printf (s, " · %s", d->quality);
  if (d->n > 1)
    g_string_append_printf (s, " · n=%d", d->n);
  if (d->output_format != NULL)
    g_string_append_printf (s, " · %s", d->output_format);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* ---- checking the lines, in a worker thread ---------------------------- */

typedef struct
{
  char         *text;
  EaselRequest *defaults;
} CheckData;

typedef struct
{
  GPtrArray *entries;
  GBytes    *jsonl;
  double     batch_usd;
  double     full_usd;
  gboolean   known;
} CheckResult;

static void
check_data_free (CheckData *data)
{
  g_free (data->text);
  g_clear_pointer (&data->defaults, easel_request_free);
  g_free (data);
}

static void
check_result_free (CheckResult *result)
{
  g_clear_pointer (&result->entries, g_ptr_array_unref);
  g_clear_pointer (&result->jsonl, g_bytes_unref);
  g_free (result);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CheckResult, check_result_free)

static void
check_thread (GTask        *task,
              gpointer      source,
              gpointer      task_data,
              GCancellable *cancellable)
{
  CheckData *data = task_data;
  g_autoptr(CheckResult) result = g_new0 (CheckResult, 1);
  GError *error = NULL;

  result->entries = easel_batch_parse_input (data->text, strlen (data->text), data->defaults, &error);
  if (result->entries == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  for (guint i = 0; i < result->entries->len; i++)
    {
      EaselBatchEntry *entry = result->entries->pdata[i];

      if (!easel_request_check_retired (entry->request, NULL, &error))
        {
          g_prefix_error (&error, "line %u: ", entry->line_no);
          g_task_return_error (task, error);
          return;
        }
    }
  if (!(result->jsonl = easel_batch_build_jsonl (result->entries, &error)))
    {
      g_task_return_error (task, error);
      return;
    }
  easel_batch_estimate (result->entries, &result->batch_usd, &result->full_usd, &result->known);
  g_task_return_pointer (task, g_steal_pointer (&result), (GDestroyNotify) check_result_free);
}

static void
checked_cb (GObject      *source,
            GAsyncResult *res,
            gpointer      user_data)
{
  EaselBatchDialog *self = EASEL_BATCH_DIALOG (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(CheckResult) result = g_task_propagate_pointer (G_TASK (res), &error);
  g_autofree char *summary = NULL;

  if (GPOINTER_TO_UINT (user_data) != self->generation || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (result == NULL)
    {
      /* Translators: the first bad line of a batch, e.g. "line 3: …". */
      g_autofree char *message = g_strdup_printf (_("Nothing can be sent: %s"), error->message);

      gtk_label_set_label (self->summary_label, "");
      gtk_widget_set_visible (GTK_WIDGET (self->summary_label), FALSE);
      show_error (self, message);
      update_sensitivity (self);
      return;
    }

  {
    g_autofree char *batch = easel_cost_format_usd (result->batch_usd);
    g_autofree char *full = easel_cost_format_usd (result->full_usd);
    const char *approx = result->known ? "" : "≈ ";

    /* Translators: requests in the batch, its estimate at the batch price,
     * then the same at the full price. */
    summary = g_strdup_printf (ngettext ("%u request · estimate %s%s at the batch price (%s%s at the full price) · "
                                         "results within 24 hours",
                                         "%u requests · estimate %s%s at the batch price (%s%s at the full price) · "
                                         "results within 24 hours", result->entries->len),
                               result->entries->len, approx, batch, approx, full);
  }
  gtk_label_set_label (self->summary_label, summary);
  gtk_widget_set_visible (GTK_WIDGET (self->summary_label), TRUE);
  show_error (self, NULL);
  self->entries = g_steal_pointer (&result->entries);
  self->jsonl = g_steal_pointer (&result->jsonl);
  self->batch_usd = result->batch_usd;
  self->full_usd = result->full_usd;
  update_sensitivity (self);
}

static char *
dup_text (EaselBatchDialog *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static gboolean
validate_cb (gpointer user_data)
{
  EaselBatchDialog *self = user_data;
  g_autoptr(GTask) task = NULL;
  g_autofree char *text = dup_text (self);
  CheckData *data;
  const char *p;

  self->validate_id = 0;
  for (p = text; *p && g_ascii_isspace (*p); p++)
    ;
  if (*p == '\0')
    {
      gtk_label_set_label (self->summary_label, _("Write one prompt per line, or open a file"));
      gtk_widget_set_visible (GTK_WIDGET (self->summary_label), TRUE);
      show_error (self, NULL);
      update_sensitivity (self);
      return G_SOURCE_REMOVE;
    }

  data = g_new0 (CheckData, 1);
  data->text = g_steal_pointer (&text);
  data->defaults = easel_request_copy (self->defaults);
  gtk_label_set_label (self->summary_label, _("Checking every line…"));
  gtk_widget_set_visible (GTK_WIDGET (self->summary_label), TRUE);
  task = g_task_new (self, self->cancellable, checked_cb, GUINT_TO_POINTER (self->generation));
  g_task_set_source_tag (task, validate_cb);
  g_task_set_task_data (task, data, (GDestroyNotify) check_data_free);
  g_task_run_in_thread (task, check_thread);
  return G_SOURCE_REMOVE;
}

static void
text_changed_cb (EaselBatchDialog *self)
{
  /* What was checked no longer matches: nothing is sent until it is. */
  self->generation++;
  g_clear_pointer (&self->entries, g_ptr_array_unref);
  g_clear_pointer (&self->jsonl, g_bytes_unref);
  update_sensitivity (self);
  g_clear_handle_id (&self->validate_id, g_source_remove);
  self->validate_id = g_timeout_add (VALIDATE_DELAY_MS, validate_cb, self);
}

/* ---- opening a file ----------------------------------------------------- */

static void
file_loaded_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(EaselBatchDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!g_file_load_contents_finish (G_FILE (source), result, &contents, &length, NULL, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, error->message);
      return;
    }
  if (length > MAX_INPUT_BYTES)
    {
      show_error (self, _("The file is larger than 64 MiB: a batch holds at most 50,000 lines"));
      return;
    }
  if (!g_utf8_validate (contents, length, NULL))
    {
      show_error (self, _("The file is not UTF-8 text"));
      return;
    }
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text_view), contents, length);
}

static void
chooser_response_cb (EaselBatchDialog *self,
                     int               response,
                     GtkNativeDialog  *chooser)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  g_clear_object (&self->chooser);
  if (file != NULL)
    g_file_load_contents_async (file, self->cancellable, file_loaded_cb, g_object_ref (self));
}

static void
open_clicked_cb (EaselBatchDialog *self)
{
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  if (self->chooser != NULL)
    return;
  self->chooser = gtk_file_chooser_native_new (_("Open a Prompt List"), GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  gtk_file_filter_set_name (filter, _("Prompt lists (.txt, .jsonl)"));
  gtk_file_filter_add_suffix (filter, "txt");
  gtk_file_filter_add_suffix (filter, "jsonl");
  gtk_file_filter_add_mime_type (filter, "text/plain");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (chooser_response_cb), self, G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* ---- submitting --------------------------------------------------------- */

static void
submitted_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(EaselBatchDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselBatchItem) item = easel_batch_list_submit_finish (EASEL_BATCH_LIST (source), result, &error);

  self->busy = FALSE;
  if (item == NULL)
    {
      g_autofree char *message = NULL;

      update_sensitivity (self);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      message = g_strdup_printf (_("Could not submit the batch: %s"), error->message);
      show_error (self, message);
      return;
    }
  g_signal_emit (self, signals[SUBMITTED], 0, item);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
submit_now (EaselBatchDialog *self)
{
  if (self->entries == NULL || self->busy)
    return;
  self->busy = TRUE;
  update_sensitivity (self);
  show_error (self, NULL);
  easel_batch_list_submit_async (self->batches, self->entries, self->jsonl, self->batch_usd, self->full_usd,
                                 self->cancellable, submitted_cb, g_object_ref (self));
}

static void
budget_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    gpointer          user_data)
{
  g_autoptr(EaselBatchDialog) self = user_data;

  if (g_strcmp0 (response, "submit") == 0)
    submit_now (self);
}

/* The same question as Send asks (easel-window-budget.c), about the whole
 * job at the batch price. */
static void
ask_budget (EaselBatchDialog *self,
            EaselBudgetState *state)
{
  g_autofree char *body = easel_budget_describe (state);
  gboolean over_limit = (state->flags & (EASEL_BUDGET_CROSSES_DAILY | EASEL_BUDGET_CROSSES_MONTHLY)) != 0;
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_WINDOW (self), over_limit ? _("Over Budget") : _("Expensive Batch"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "submit", over_limit ? _("_Submit Anyway") : _("_Submit"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "submit",
                                              over_limit ? ADW_RESPONSE_DESTRUCTIVE : ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (budget_response_cb), g_object_ref (self));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
budget_checked_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(EaselBatchDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  EaselBudgetState state = { 0 };

  self->busy = FALSE;
  update_sensitivity (self);
  if (!easel_budget_check_finish (EASEL_STORE (source), result, &state, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* The limits cannot be checked: say so and let the user decide. */
      g_warning ("Cannot read the spend for the budget: %s", error->message);
      state.flags = EASEL_BUDGET_CROSSES_DAILY | EASEL_BUDGET_CROSSES_MONTHLY;
    }
  if (state.flags == EASEL_BUDGET_OK)
    submit_now (self);
  else
    ask_budget (self, &state);
}

static void
submit_clicked_cb (EaselBatchDialog *self)
{
  EaselBudgetLimits limits;
  EaselBudgetState state = { 0 };
  EaselStore *store = NULL;
  double estimate;

  if (self->entries == NULL || self->busy)
    return;

  estimate = self->batch_usd > 0 ? self->batch_usd : -1;
  easel_budget_limits_from_settings (&limits, self->settings);
  if (self->library != NULL && easel_library_get_state (self->library) == EASEL_LIBRARY_STATE_READY)
    store = easel_library_get_store (self->library);

  if (store != NULL && (limits.daily_usd > 0 || limits.monthly_usd > 0))
    {
      self->busy = TRUE;
      update_sensitivity (self);
      easel_budget_check_async (store, &limits, estimate, NULL, self->cancellable,
                                budget_checked_cb, g_object_ref (self));
      return;
    }

  /* No limits (or no library): only the confirmation threshold. */
  state.limits = limits;
  state.estimate_usd = estimate;
  if (easel_budget_evaluate (&state) == EASEL_BUDGET_OK)
    submit_now (self);
  else
    ask_budget (self, &state);
}

/* ---- the object --------------------------------------------------------- */

void
easel_batch_dialog_set_text (EaselBatchDialog *self,
                             const char       *text)
{
  g_return_if_fail (EASEL_IS_BATCH_DIALOG (self));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text_view), text ? text : "", -1);
}

guint
easel_batch_dialog_get_n_valid (EaselBatchDialog *self)
{
  g_return_val_if_fail (EASEL_IS_BATCH_DIALOG (self), 0);
  return self->entries ? self->entries->len : 0;
}

EaselBatchDialog *
easel_batch_dialog_new (GtkWindow      *parent,
                        EaselBatchList *batches,
                        EaselParams    *params,
                        EaselLibrary   *library,
                        GSettings      *settings)
{
  EaselBatchDialog *self;
  g_autofree char *defaults = NULL;
  g_autofree char *label = NULL;

  g_return_val_if_fail (EASEL_IS_BATCH_LIST (batches), NULL);
  g_return_val_if_fail (EASEL_IS_PARAMS (params), NULL);
  g_return_val_if_fail (library == NULL || EASEL_IS_LIBRARY (library), NULL);
  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);

  self = g_object_new (EASEL_TYPE_BATCH_DIALOG, "transient-for", parent, "modal", parent != NULL, NULL);
  self->batches = g_object_ref (batches);
  self->params = g_object_ref (params);
  self->library = library ? g_object_ref (library) : NULL;
  self->settings = settings ? g_object_ref (settings) : NULL;
  self->defaults = defaults_from_params (params);

  defaults = describe_defaults (self->defaults);
  /* Translators: %s: the studio's model, size, quality, … */
  label = g_strdup_printf (_("One prompt per line, or one JSON request object per line "
                             "({\"prompt\": …, \"size\": …}). Every line uses the studio’s parameters unless "
                             "it sets its own: %s."), defaults);
  gtk_label_set_label (self->defaults_label, label);
  validate_cb (self);
  return self;
}

static void
easel_batch_dialog_dispose (GObject *object)
{
  EaselBatchDialog *self = (EaselBatchDialog *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->validate_id, g_source_remove);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  gtk_widget_dispose_template (GTK_WIDGET (self), EASEL_TYPE_BATCH_DIALOG);
  g_clear_object (&self->batches);
  g_clear_object (&self->params);
  g_clear_object (&self->library);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (easel_batch_dialog_parent_class)->dispose (object);
}

static void
easel_batch_dialog_finalize (GObject *object)
{
  EaselBatchDialog *self = (EaselBatchDialog *)object;

  g_clear_pointer (&self->defaults, easel_request_free);
  g_clear_pointer (&self->entries, g_ptr_array_unref);
  g_clear_pointer (&self->jsonl, g_bytes_unref);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (easel_batch_dialog_parent_class)->finalize (object);
}

static void
easel_batch_dialog_class_init (EaselBatchDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = easel_batch_dialog_dispose;
  object_class->finalize = easel_batch_dialog_finalize;

  signals[SUBMITTED] =
    g_signal_new ("submitted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, EASEL_TYPE_BATCH_ITEM);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/easel-batch-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, EaselBatchDialog, defaults_label);
  gtk_widget_class_bind_template_child (widget_class, EaselBatchDialog, text_view);
  gtk_widget_class_bind_template_child (widget_class, EaselBatchDialog, summary_label);
  gtk_widget_class_bind_template_child (widget_class, EaselBatchDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, EaselBatchDialog, submit_button);
  gtk_widget_class_bind_template_child (widget_class, EaselBatchDialog, open_button);
  gtk_widget_class_bind_template_child (widget_class, EaselBatchDialog, spinner);
  gtk_widget_class_bind_template_callback (widget_class, open_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, submit_clicked_cb);
}

static void
easel_batch_dialog_init (EaselBatchDialog *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_object (gtk_text_view_get_buffer (self->text_view), "changed",
                           G_CALLBACK (text_changed_cb), self, G_CONNECT_SWAPPED);
  update_sensitivity (self);
}
