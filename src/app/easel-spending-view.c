/* easel-spending-view.c: the Spending page: chart, ledger and budget
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything shown comes from an EaselSpending (read on the library's
 * worker); this widget only draws its last reading. Model names come from
 * the store, so they are escaped and never parsed as markup.
 */

#define G_LOG_DOMAIN "easel-spending-view"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "easel-cost.h"
#include "easel-text.h"
#include "easel-spending-view.h"

/* The legend's colours (the GNOME palette); models past the last share
 * "Other". */
static const char * const palette[] = {
  "#3584e4", "#33d17a", "#f6d32d", "#ff7800", "#9141ac", "#e01b24", "#986a44",
};
#define N_COLOURS (G_N_ELEMENTS (palette) + 1)
#define OTHER_COLOUR "#9a9996"

#define MODEL_MAX_CHARS 48
#define CHART_LEFT 64.0     /* room for the amounts left of the bars */

struct _EaselSpendingView
{
  GtkWidget parent_instance;

  EaselSpending *spending;

  /* What the chart draws, from the last reading. */
  double cells[EASEL_SPENDING_DAYS][N_COLOURS];
  double day_totals[EASEL_SPENDING_DAYS];
  double daily_limit;
  char *first_day_label;
  char *colour_names[N_COLOURS];   /* escaped model names, for the tooltips */
  GDate first_day;

  /* template */
  GtkStack *main_stack;
  AdwActionRow *today_row;
  GtkLevelBar *today_bar;
  AdwActionRow *month_row;
  GtkLevelBar *month_bar;
  GtkDrawingArea *chart;
  GtkFlowBox *legend;
  GtkListBox *model_list;
  GtkListBox *day_list;
  GtkLabel *total_label;
};

G_DEFINE_FINAL_TYPE (EaselSpendingView, easel_spending_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_SPENDING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char *
colour_for (guint index)
{
  return index < G_N_ELEMENTS (palette) ? palette[index] : OTHER_COLOUR;
}

/* "2026-12-06" → a GDate; FALSE for anything else. */
static gboolean
parse_day (const char *key,
           GDate      *date)
{
  int y, m, d;

  g_date_clear (date, 1);
  if (key == NULL || sscanf (key, "%4d-%2d-%2d", &y, &m, &d) != 3 ||
      !g_date_valid_dmy (d, m, y))
    return FALSE;
  g_date_set_dmy (date, d, m, y);
  return TRUE;
}

/* The model's name as a label shows it: escaped, capped, "*" when its
 * price is an assumption (as `easel library spend` marks it). */
static char *
model_label (const char *model)
{
  g_autofree char *safe = NULL;

  if (model == NULL || *model == '\0')
    return g_strdup (_("Unknown model"));
  safe = easel_text_escape_untrusted (model, MODEL_MAX_CHARS);
  if (easel_cost_price_assumption (model) != NULL)
    return g_strdup_printf ("%s *", safe);
  return g_steal_pointer (&safe);
}

static char *
counts_text (const EaselSpendRow *row)
{
  GString *text = g_string_new (NULL);

  /* Translators: request counts in the spending ledger */
  g_string_append_printf (text, ngettext ("%u image", "%u images", row->n_ok), row->n_ok);
  if (row->n_failed > 0)
    g_string_append_printf (text, ngettext (" · %u failed", " · %u failed", row->n_failed), row->n_failed);
  if (row->n_moderated > 0)
    g_string_append_printf (text, ngettext (" · %u moderated", " · %u moderated", row->n_moderated), row->n_moderated);
  if (row->n_cancelled > 0)
    g_string_append_printf (text, ngettext (" · %u cancelled", " · %u cancelled", row->n_cancelled), row->n_cancelled);
  if (row->n_incomplete > 0)
    g_string_append_printf (text, ngettext (" · %u incomplete", " · %u incomplete", row->n_incomplete), row->n_incomplete);
  if (row->n_estimated > 0)
    g_string_append (text, _(" · part estimated"));
  return g_string_free (text, FALSE);
}

static GtkWidget *
ledger_row (const char          *title,
            const EaselSpendRow *row)
{
  GtkWidget *widget = adw_action_row_new ();
  g_autofree char *subtitle = counts_text (row);
  g_autofree char *usd = easel_cost_format_usd (row->usd);
  GtkWidget *amount = gtk_label_new (usd);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (widget), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (widget), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (widget), subtitle);
  gtk_widget_add_css_class (amount, "numeric");
  adw_action_row_add_suffix (ADW_ACTION_ROW (widget), amount);
  return widget;
}

static void
clear_list (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

static void
clear_flow_box (GtkFlowBox *box)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (box))) != NULL)
    gtk_flow_box_remove (box, child);
}

static void
update_limit (AdwActionRow *row,
              GtkLevelBar  *bar,
              double        spent,
              double        limit)
{
  g_autofree char *spent_text = easel_cost_format_usd (spent);
  g_autofree char *subtitle = NULL;
  double fraction;

  if (limit <= 0)
    {
      /* Translators: "$1.20 · no limit" */
      subtitle = g_strdup_printf (_("%s · no limit"), spent_text);
      adw_action_row_set_subtitle (row, subtitle);
      gtk_widget_set_visible (GTK_WIDGET (bar), FALSE);
      return;
    }

  {
    g_autofree char *limit_text = easel_cost_format_usd (limit);

    fraction = spent / limit;
    if (spent > limit)
      /* Translators: "$5.40 of $5.00: over the limit" */
      subtitle = g_strdup_printf (_("%s of %s: over the limit"), spent_text, limit_text);
    else
      /* Translators: "$1.20 of $5.00 (24 %)" */
      subtitle = g_strdup_printf (_("%s of %s (%.0f %%)"), spent_text, limit_text, fraction * 100);
  }
  adw_action_row_set_subtitle (row, subtitle);
  gtk_widget_set_visible (GTK_WIDGET (bar), TRUE);
  gtk_level_bar_set_value (bar, CLAMP (fraction, 0, 1));
  gtk_widget_remove_css_class (GTK_WIDGET (bar), "spend-warning");
  gtk_widget_remove_css_class (GTK_WIDGET (bar), "spend-over");
  if (fraction >= 1)
    gtk_widget_add_css_class (GTK_WIDGET (bar), "spend-over");
  else if (fraction >= 0.8)
    gtk_widget_add_css_class (GTK_WIDGET (bar), "spend-warning");
}

static GtkWidget *
legend_entry (const char *colour,
              const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text, -1);
  g_autofree char *markup = g_strdup_printf ("<span foreground=\"%s\">■</span> %s", colour, escaped);
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_markup (GTK_LABEL (label), markup);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  return label;
}

static void
update (EaselSpendingView *self)
{
  const EaselSpend *spend = easel_spending_get_spend (self->spending);
  const EaselBudgetState *budget = easel_spending_get_budget (self->spending);
  g_autoptr(GHashTable) colours = NULL;   /* model → colour index + 1 */
  GDate first;
  gboolean any_assumed = FALSE;
  guint n_models_shown = 0;

  if (spend == NULL)
    {
      g_autoptr(EaselLibrary) library = NULL;

      g_object_get (self->spending, "library", &library, NULL);
      gtk_stack_set_visible_child_name (self->main_stack,
                                        easel_library_get_state (library) == EASEL_LIBRARY_STATE_ERROR
                                        ? "error" : "loading");
      return;
    }
  gtk_stack_set_visible_child_name (self->main_stack, "spending");

  update_limit (self->today_row, self->today_bar, budget->spent_today, budget->limits.daily_usd);
  update_limit (self->month_row, self->month_bar, budget->spent_month, budget->limits.monthly_usd);

  /* The ledger */
  clear_list (self->model_list);
  colours = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < spend->per_model->len; i++)
    {
      const EaselSpendRow *row = spend->per_model->pdata[i];
      g_autofree char *title = model_label (row->key);

      gtk_list_box_append (self->model_list, ledger_row (title, row));
      g_hash_table_insert (colours, row->key ? row->key : (char *)"", GUINT_TO_POINTER (MIN (i, N_COLOURS - 1) + 1));
      any_assumed |= easel_cost_price_assumption (row->key) != NULL;
    }
  clear_list (self->day_list);
  for (guint i = 0; i < spend->per_day->len; i++)
    {
      const EaselSpendRow *row = spend->per_day->pdata[i];
      g_autofree char *title = easel_text_escape_untrusted (row->key, 16);

      gtk_list_box_append (self->day_list, ledger_row (title, row));
    }

  {
    g_autofree char *total = easel_cost_format_usd (spend->total.usd);
    GString *text = g_string_new (NULL);

    /* Translators: %s is a dollar amount */
    g_string_append_printf (text, _("Total over the last %u days: %s."), EASEL_SPENDING_DAYS, total);
    if (spend->total.failed_usd > 0)
      {
        g_autofree char *failed = easel_cost_format_usd (spend->total.failed_usd);
        g_string_append_printf (text, _(" Of it, %s on failed or moderated requests."), failed);
      }
    if (any_assumed)
      g_string_append (text, _(" * Priced with an assumed price: no list price is known for the model."));
    if (spend->total.n_estimated > 0)
      g_string_append (text, _(" Requests without reported usage are priced by their estimate."));
    gtk_label_set_label (self->total_label, text->str);
    g_string_free (text, TRUE);
  }

  /* The chart: each day's spend, stacked per model. */
  memset (self->cells, 0, sizeof self->cells);
  memset (self->day_totals, 0, sizeof self->day_totals);
  self->daily_limit = budget->limits.daily_usd;
  g_date_clear (&self->first_day, 1);
  if (parse_day (easel_spending_get_first_day (self->spending), &first))
    {
      self->first_day = first;
      for (guint i = 0; i < spend->per_day_model->len; i++)
        {
          const EaselSpendRow *row = spend->per_day_model->pdata[i];
          guint colour = GPOINTER_TO_UINT (g_hash_table_lookup (colours, row->model ? row->model : ""));
          GDate day;
          int index;

          if (colour == 0 || !parse_day (row->key, &day))
            continue;
          index = g_date_days_between (&first, &day);
          if (index < 0 || index >= EASEL_SPENDING_DAYS)
            continue;
          self->cells[index][colour - 1] += row->usd;
          self->day_totals[index] += row->usd;
        }
      g_autoptr(GDateTime) first_time = g_date_time_new_local (g_date_get_year (&first), g_date_get_month (&first),
                                                                g_date_get_day (&first), 0, 0, 0);

      g_free (self->first_day_label);
      /* Translators: a short date under the chart, as in "Nov 7" (g_date_time_format) */
      self->first_day_label = first_time ? g_date_time_format (first_time, _("%b %-e")) : NULL;
    }
  gtk_widget_queue_draw (GTK_WIDGET (self->chart));

  clear_flow_box (self->legend);
  for (guint i = 0; i < N_COLOURS; i++)
    g_clear_pointer (&self->colour_names[i], g_free);
  for (guint i = 0; i < spend->per_model->len && i < G_N_ELEMENTS (palette); i++)
    {
      const EaselSpendRow *row = spend->per_model->pdata[i];
      g_autofree char *title = model_label (row->key);

      gtk_flow_box_append (self->legend, legend_entry (colour_for (i), title));
      self->colour_names[i] = g_steal_pointer (&title);
      n_models_shown++;
    }
  self->colour_names[N_COLOURS - 1] = g_strdup (_("Other models"));
  if (spend->per_model->len > n_models_shown)
    gtk_flow_box_append (self->legend, legend_entry (OTHER_COLOUR, _("Other models")));
  gtk_widget_set_visible (GTK_WIDGET (self->legend), spend->per_model->len > 0);
}

/* Drawing */

static void
set_source_hex (cairo_t    *cr,
                const char *hex,
                double      alpha)
{
  GdkRGBA rgba;

  if (!gdk_rgba_parse (&rgba, hex))
    return;
  cairo_set_source_rgba (cr, rgba.red, rgba.green, rgba.blue, alpha);
}

static void
draw_text (EaselSpendingView *self,
           cairo_t           *cr,
           const char        *text,
           double             x,
           double             y,
           double             xalign)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (self->chart), text);
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  cairo_move_to (cr, x - w * xalign, y - h / 2.0);
  pango_cairo_show_layout (cr, layout);
  g_object_unref (layout);
}

/* A round top for the axis: 1, 2 or 5 times a power of ten. */
static double
nice_ceiling (double value)
{
  double magnitude, scaled;

  if (value <= 0)
    return 1;
  magnitude = pow (10, floor (log10 (value)));
  scaled = value / magnitude;
  if (scaled <= 1)
    return magnitude;
  if (scaled <= 2)
    return 2 * magnitude;
  if (scaled <= 5)
    return 5 * magnitude;
  return 10 * magnitude;
}

static void
draw_chart (GtkDrawingArea *area,
            cairo_t        *cr,
            int             width,
            int             height,
            gpointer        user_data)
{
  EaselSpendingView *self = user_data;
  const double left = CHART_LEFT, bottom = 22, top = 10;
  double plot_w = width - left, plot_h = height - bottom - top;
  double slot, top_value = 0;
  GdkRGBA fg;

  if (plot_w <= EASEL_SPENDING_DAYS || plot_h <= 10)
    return;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (area)), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS

  for (guint d = 0; d < EASEL_SPENDING_DAYS; d++)
    top_value = MAX (top_value, self->day_totals[d]);
  if (self->daily_limit > 0)
    top_value = MAX (top_value, self->daily_limit);
  top_value = nice_ceiling (top_value);
  slot = plot_w / EASEL_SPENDING_DAYS;

  /* Grid lines and their amounts */
  cairo_set_line_width (cr, 1);
  for (guint i = 0; i <= 2; i++)
    {
      double value = top_value * i / 2;
      double y = top + plot_h - plot_h * i / 2;
      g_autofree char *label = easel_cost_format_usd (value);

      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.15);
      cairo_move_to (cr, left, floor (y) + 0.5);
      cairo_line_to (cr, width, floor (y) + 0.5);
      cairo_stroke (cr);
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.6);
      draw_text (self, cr, label, left - 6, y, 1);
    }

  /* The bars, one colour per model */
  for (guint d = 0; d < EASEL_SPENDING_DAYS; d++)
    {
      double y = top + plot_h;
      double x = left + d * slot + 1;

      for (guint c = 0; c < N_COLOURS; c++)
        {
          double h = plot_h * self->cells[d][c] / top_value;

          if (self->cells[d][c] <= 0)
            continue;
          /* A cent still shows. */
          h = MAX (h, 1);
          set_source_hex (cr, colour_for (c), 1);
          cairo_rectangle (cr, x, y - h, MAX (slot - 2, 1), h);
          cairo_fill (cr);
          y -= h;
        }
    }

  /* The daily limit */
  if (self->daily_limit > 0)
    {
      double y = top + plot_h - plot_h * self->daily_limit / top_value;
      const double dash[] = { 4, 3 };

      set_source_hex (cr, "#e01b24", 0.9);
      cairo_set_dash (cr, dash, G_N_ELEMENTS (dash), 0);
      cairo_move_to (cr, left, floor (y) + 0.5);
      cairo_line_to (cr, width, floor (y) + 0.5);
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);
      draw_text (self, cr, _("daily limit"), width, y - 9, 1);
    }

  /* First day and today */
  cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.6);
  if (self->first_day_label)
    draw_text (self, cr, self->first_day_label, left, height - bottom / 2, 0);
  draw_text (self, cr, _("Today"), width, height - bottom / 2, 1);
}

/* Hovering a day tells its spend per model. */
static gboolean
chart_query_tooltip (EaselSpendingView *self,
                     int                x,
                     int                y,
                     gboolean           keyboard,
                     GtkTooltip        *tooltip)
{
  int width = gtk_widget_get_width (GTK_WIDGET (self->chart));
  double slot = (width - CHART_LEFT) / EASEL_SPENDING_DAYS;
  g_autofree char *total = NULL;
  GString *text;
  GDate day;
  char date[64];
  int index;

  if (keyboard || !g_date_valid (&self->first_day) || slot <= 0 || x < CHART_LEFT)
    return FALSE;
  index = (int)((x - CHART_LEFT) / slot);
  if (index < 0 || index >= EASEL_SPENDING_DAYS)
    return FALSE;

  day = self->first_day;
  g_date_add_days (&day, index);
  g_date_strftime (date, sizeof date, "%x", &day);
  total = easel_cost_format_usd (self->day_totals[index]);
  text = g_string_new (NULL);
  /* Translators: a day's spend under the chart's tooltip: "12/03/2026: $0.21" */
  g_string_append_printf (text, _("%s: %s"), date, total);
  for (guint c = 0; c < N_COLOURS; c++)
    if (self->cells[index][c] > 0 && self->colour_names[c] != NULL)
      {
        g_autofree char *usd = easel_cost_format_usd (self->cells[index][c]);
        g_string_append_printf (text, "\n%s: %s", self->colour_names[c], usd);
      }
  /* Plain text: the model names came from the store. */
  gtk_tooltip_set_text (tooltip, text->str);
  g_string_free (text, TRUE);
  return TRUE;
}

/* GObject */

/* A day may have ended since the last reading: showing the page reads
 * again (on the worker, as always). */
static void
easel_spending_view_map (GtkWidget *widget)
{
  EaselSpendingView *self = EASEL_SPENDING_VIEW (widget);

  GTK_WIDGET_CLASS (easel_spending_view_parent_class)->map (widget);
  if (easel_spending_get_loaded (self->spending))
    easel_spending_reload (self->spending);
}

static void
easel_spending_view_dispose (GObject *object)
{
  EaselSpendingView *self = EASEL_SPENDING_VIEW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), EASEL_TYPE_SPENDING_VIEW);
  g_clear_object (&self->spending);

  G_OBJECT_CLASS (easel_spending_view_parent_class)->dispose (object);
}

static void
easel_spending_view_finalize (GObject *object)
{
  EaselSpendingView *self = EASEL_SPENDING_VIEW (object);

  g_clear_pointer (&self->first_day_label, g_free);
  for (guint i = 0; i < N_COLOURS; i++)
    g_clear_pointer (&self->colour_names[i], g_free);

  G_OBJECT_CLASS (easel_spending_view_parent_class)->finalize (object);
}

static void
easel_spending_view_constructed (GObject *object)
{
  EaselSpendingView *self = EASEL_SPENDING_VIEW (object);

  G_OBJECT_CLASS (easel_spending_view_parent_class)->constructed (object);

  g_signal_connect_object (self->spending, "changed", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  {
    g_autoptr(EaselLibrary) library = NULL;

    g_object_get (self->spending, "library", &library, NULL);
    g_signal_connect_object (library, "notify::state", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  }
  update (self);
}

static void
easel_spending_view_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  EaselSpendingView *self = EASEL_SPENDING_VIEW (object);

  switch (prop_id)
    {
    case PROP_SPENDING: g_value_set_object (value, self->spending); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_spending_view_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  EaselSpendingView *self = EASEL_SPENDING_VIEW (object);

  switch (prop_id)
    {
    case PROP_SPENDING: self->spending = g_value_dup_object (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_spending_view_class_init (EaselSpendingViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = easel_spending_view_dispose;
  object_class->finalize = easel_spending_view_finalize;
  object_class->constructed = easel_spending_view_constructed;
  object_class->get_property = easel_spending_view_get_property;
  object_class->set_property = easel_spending_view_set_property;
  widget_class->map = easel_spending_view_map;

  properties[PROP_SPENDING] =
    g_param_spec_object ("spending", NULL, NULL, EASEL_TYPE_SPENDING,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/easel-spending-view.ui");
  gtk_widget_class_bind_template_child (widget_class, EaselSpendingView, main_stack);
  gtk_widget_class_bind_template_child (widget_class, EaselSpendingView, today_row);
  gtk_widget_class_bind_template_child (widget_class, EaselSpendingView, today_bar);
  gtk_widget_class_bind_template_child (widget_class, EaselSpendingView, month_row);
  gtk_widget_class_bind_template_child (widget_class, EaselSpendingView, month_bar);
  gtk_widget_class_bind_template_child (widget_class, EaselSpendingView, chart);
  gtk_widget_class_bind_template_child (widget_class, EaselSpendingView, legend);
  gtk_widget_class_bind_template_child (widget_class, EaselSpendingView, model_list);
  gtk_widget_class_bind_template_child (widget_class, EaselSpendingView, day_list);
  gtk_widget_class_bind_template_child (widget_class, EaselSpendingView, total_label);
}

static void
easel_spending_view_init (EaselSpendingView *self)
{
  GtkWidget *placeholder;

  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_drawing_area_set_draw_func (self->chart, draw_chart, self, NULL);
  g_date_clear (&self->first_day, 1);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self->chart), TRUE);
  g_signal_connect_object (self->chart, "query-tooltip", G_CALLBACK (chart_query_tooltip), self,
                           G_CONNECT_SWAPPED);

  /* The level bars show a fraction of the limit; their colours come from
   * style.css (.spend-warning, .spend-over), not from the default offsets
   * that make a full bar look good. */
  gtk_level_bar_remove_offset_value (self->today_bar, GTK_LEVEL_BAR_OFFSET_LOW);
  gtk_level_bar_remove_offset_value (self->today_bar, GTK_LEVEL_BAR_OFFSET_HIGH);
  gtk_level_bar_remove_offset_value (self->today_bar, GTK_LEVEL_BAR_OFFSET_FULL);
  gtk_level_bar_remove_offset_value (self->month_bar, GTK_LEVEL_BAR_OFFSET_LOW);
  gtk_level_bar_remove_offset_value (self->month_bar, GTK_LEVEL_BAR_OFFSET_HIGH);
  gtk_level_bar_remove_offset_value (self->month_bar, GTK_LEVEL_BAR_OFFSET_FULL);

  placeholder = gtk_label_new (_("Nothing spent in the last 30 days"));
  gtk_widget_add_css_class (placeholder, "dim-label");
  gtk_widget_set_margin_top (placeholder, 12);
  gtk_widget_set_margin_bottom (placeholder, 12);
  gtk_list_box_set_placeholder (self->model_list, placeholder);
  placeholder = gtk_label_new (_("Nothing spent in the last 30 days"));
  gtk_widget_add_css_class (placeholder, "dim-label");
  gtk_widget_set_margin_top (placeholder, 12);
  gtk_widget_set_margin_bottom (placeholder, 12);
  gtk_list_box_set_placeholder (self->day_list, placeholder);
}

GtkWidget *
easel_spending_view_new (EaselSpending *spending)
{
  g_return_val_if_fail (EASEL_IS_SPENDING (spending), NULL);
  return g_object_new (EASEL_TYPE_SPENDING_VIEW, "spending", spending, NULL);
}

EaselSpending *
easel_spending_view_get_spending (EaselSpendingView *self)
{
  g_return_val_if_fail (EASEL_IS_SPENDING_VIEW (self), NULL);
  return self->spending;
}
