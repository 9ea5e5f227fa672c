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
#include "easel-compare-page-private.h"
#include "easel-params-popover.h"

static const char * const qualities[] = { "low", "medium", "high", NULL };
static const char * const default_models[] = { "gpt-image-1.5", "gpt-image-1-mini", NULL };
static const char * const default_qualities[] = { "low", "high", NULL };


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

gboolean
_easel_compare_page_is_running (EaselComparePage *self)
{
  return is_running (self);
}

gboolean
_easel_compare_page_has_run (EaselComparePage *self)
{
  return has_run (self);
}

void
_easel_compare_page_toast (EaselComparePage *self,
                           const char       *message)
{
  g_signal_emit (self, signals[TOAST], 0, message);
}

void
_easel_compare_page_update_state (EaselComparePage *self)
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
      else if (gtk_switch_get_active (self->batch_switch))
        {
          g_autofree char *half = easel_cost_format_usd (estimate * 0.5);

          /* Translators: a grid sent as a batch job: the batch price, then the full price */
          text = g_strdup_printf (ngettext ("%u cell · estimated %s%s as a batch job (%s%s at the full price), within 24 h",
                                            "%u cells · estimated %s%s as a batch job (%s%s at the full price), within 24 h", n),
                                  n, known ? "" : "≈ ", half, known ? "" : "≈ ", est);
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
void
_easel_compare_page_rebuild (EaselComparePage *self)
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
  _easel_compare_page_update_state (self);
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  EaselComparePage *self = EASEL_COMPARE_PAGE (widget);

  g_cancellable_cancel (self->cancellable);
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
add_check (GtkFlowBox *box,
           GPtrArray  *checks,
           const char *value,
           const char *label)
{
  GtkWidget *check = gtk_check_button_new_with_label (label);

  g_object_set_data_full (G_OBJECT (check), "easel-value", g_strdup (value), g_free);
  gtk_widget_set_name (check, value);
  gtk_flow_box_append (box, check);
  /* The check takes the focus, not the box's cell around it. */
  gtk_widget_set_focusable (gtk_widget_get_parent (check), FALSE);
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
    {
      g_autofree char *label = easel_params_dup_option_label ("quality", qualities[i]);

      add_check (self->qualities_box, self->quality_checks, qualities[i], label);
    }
  easel_compare_page_select (self, default_models, default_qualities);

  for (guint i = 0; i < self->model_checks->len; i++)
    g_signal_connect_object (self->model_checks->pdata[i], "toggled", G_CALLBACK (_easel_compare_page_rebuild), self, G_CONNECT_SWAPPED);
  for (guint i = 0; i < self->quality_checks->len; i++)
    g_signal_connect_object (self->quality_checks->pdata[i], "toggled", G_CALLBACK (_easel_compare_page_rebuild), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->prompt_entry, "changed", G_CALLBACK (_easel_compare_page_rebuild), self, G_CONNECT_SWAPPED);
  {
    /* Sizes read as shapes with their pixels; the list holds wire values. */
    g_autoptr(GtkExpression) size_label = easel_params_option_label_expression ("size");

    gtk_drop_down_set_expression (self->size_dropdown, size_label);
  }
  g_signal_connect_object (self->size_dropdown, "notify::selected", G_CALLBACK (_easel_compare_page_rebuild), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->inputs_check, "toggled", G_CALLBACK (_easel_compare_page_rebuild), self, G_CONNECT_SWAPPED);
  _easel_compare_page_rebuild (self);
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
  g_clear_object (&self->batch_list);
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
  gtk_widget_class_bind_template_child (widget_class, EaselComparePage, batch_box);
  gtk_widget_class_bind_template_child (widget_class, EaselComparePage, batch_switch);
  gtk_widget_class_bind_template_callback (widget_class, _easel_compare_page_update_state);
  gtk_widget_class_bind_template_child (widget_class, EaselComparePage, grid_box);
  gtk_widget_class_bind_template_callback (widget_class, grid_child_activated_cb);

  gtk_widget_class_install_action (widget_class, "compare.send", NULL, _easel_compare_page_send_action);
  gtk_widget_class_install_action (widget_class, "compare.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "compare.export-sheet", NULL, _easel_compare_page_export_sheet_action);
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
  g_signal_group_connect_object (self->comparison_signals, "notify::running", G_CALLBACK (_easel_compare_page_update_state), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->comparison_signals, "notify::n-finished", G_CALLBACK (_easel_compare_page_update_state), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->comparison_signals, "notify::actual-usd", G_CALLBACK (_easel_compare_page_update_state), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->comparison_signals, "notify::id", G_CALLBACK (_easel_compare_page_update_state), self, G_CONNECT_SWAPPED);
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
    _easel_compare_page_update_state (self);
  else
    _easel_compare_page_rebuild (self);
}

void
easel_compare_page_set_batch_list (EaselComparePage *self,
                                   EaselBatchList   *batch_list)
{
  g_return_if_fail (EASEL_IS_COMPARE_PAGE (self));
  g_return_if_fail (batch_list == NULL || EASEL_IS_BATCH_LIST (batch_list));

  g_set_object (&self->batch_list, batch_list);
  gtk_widget_set_visible (self->batch_box, batch_list != NULL);
  if (batch_list == NULL)
    gtk_switch_set_active (self->batch_switch, FALSE);
  _easel_compare_page_update_state (self);
}
