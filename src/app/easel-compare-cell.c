/* easel-compare-cell.c: one cell of the Compare grid
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-compare-cell"

#include "config.h"

#include <glib/gi18n.h>

#include "easel-compare-cell.h"
#include "easel-params-popover.h"
#include "easel-contact-sheet.h"
#include "easel-image-decoder.h"

/* Decoded at most this large: the grid shows 240 px tiles. */
#define DECODE_SIZE 480

struct _EaselCompareCell
{
  GtkBox               parent_instance;

  EaselComparisonCell *cell;
  GSignalGroup        *cell_signals;
  GCancellable        *decoding;
  gboolean             showing_final;

  /* template */
  GtkPicture          *picture;
  GtkSpinner          *spinner;
  GtkLabel            *title_label;
  GtkLabel            *detail_label;
};

G_DEFINE_FINAL_TYPE (EaselCompareCell, easel_compare_cell, GTK_TYPE_BOX)

enum {
  PROP_0,
  PROP_CELL,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

typedef struct
{
  EaselCompareCell *self;
  gboolean          final;
} DecodeOp;

static void
decoded_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autofree DecodeOp *op = user_data;
  g_autoptr(EaselCompareCell) self = op->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = easel_image_decode_finish (result, &error);

  if (texture == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Cannot show a compare cell's image: %s", error->message);
      return;
    }
  /* A late partial never replaces the final image. */
  if (self->showing_final && !op->final)
    return;
  self->showing_final = op->final;
  gtk_picture_set_paintable (self->picture, GDK_PAINTABLE (texture));
}

static void
decode (EaselCompareCell *self,
        GBytes           *bytes,
        gboolean          final)
{
  DecodeOp *op;

  if (bytes == NULL)
    return;
  g_cancellable_cancel (self->decoding);
  g_clear_object (&self->decoding);
  self->decoding = g_cancellable_new ();
  op = g_new0 (DecodeOp, 1);
  op->self = g_object_ref (self);
  op->final = final;
  easel_image_decode_async (bytes, DECODE_SIZE, self->decoding, decoded_cb, op);
}

static void
update_text (EaselCompareCell *self)
{
  EaselComparisonCellState state;
  g_autofree char *detail = NULL;

  if (self->cell == NULL)
    return;
  state = easel_comparison_cell_get_state (self->cell);
  {
    /* The model's name and the quality as the pickers say them; the core's
     * label ("gpt-image-1.5 · low") stays for files and the CLI. */
    const char *quality = easel_comparison_cell_get_quality (self->cell);
    g_autofree char *quality_label = easel_params_dup_option_label ("quality", quality ? quality : "auto");
    g_autofree char *title = g_strdup_printf ("%s · %s",
                                              easel_model_display_name (easel_comparison_cell_get_model (self->cell)),
                                              quality_label);

    gtk_label_set_text (self->title_label, title);
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->title_label), easel_comparison_cell_get_label (self->cell));
  }
  if (state == EASEL_COMPARISON_CELL_WAITING)
    {
      g_autofree char *usd = easel_cost_format_usd (easel_comparison_cell_get_estimate (self->cell)->usd);

      /* Translators: the estimated price of one cell before it is sent */
      detail = g_strdup_printf (_("Estimate %s%s"), easel_comparison_cell_get_estimate (self->cell)->known ? "" : "≈ ", usd);
    }
  else if (state == EASEL_COMPARISON_CELL_RUNNING && easel_comparison_cell_get_n_partials (self->cell) == 0)
    detail = g_strdup (_("Drawing…"));
  else if (state == EASEL_COMPARISON_CELL_RUNNING)
    detail = g_strdup_printf (ngettext ("Drawing… %u partial image", "Drawing… %u partial images",
                                        easel_comparison_cell_get_n_partials (self->cell)),
                              easel_comparison_cell_get_n_partials (self->cell));
  else
    /* Escaped server text for a failure, else cost · tokens · time. */
    detail = easel_contact_sheet_cell_detail (self->cell);
  gtk_label_set_text (self->detail_label, detail);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->detail_label), detail);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), state == EASEL_COMPARISON_CELL_RUNNING);
  gtk_spinner_set_spinning (self->spinner, state == EASEL_COMPARISON_CELL_RUNNING);
  if (state == EASEL_COMPARISON_CELL_FAILED)
    gtk_widget_add_css_class (GTK_WIDGET (self->detail_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->detail_label), "error");
}

static void
on_partial (EaselCompareCell *self)
{
  if (!self->showing_final)
    decode (self, easel_comparison_cell_get_partial (self->cell), FALSE);
  update_text (self);
}

static void
on_image (EaselCompareCell *self)
{
  decode (self, easel_comparison_cell_get_image (self->cell), TRUE);
}

static void
easel_compare_cell_set_cell (EaselCompareCell    *self,
                             EaselComparisonCell *cell)
{
  if (!g_set_object (&self->cell, cell))
    return;
  g_signal_group_set_target (self->cell_signals, cell);
  self->showing_final = FALSE;
  gtk_picture_set_paintable (self->picture, NULL);
  if (cell != NULL)
    {
      if (easel_comparison_cell_get_image (cell) != NULL)
        on_image (self);
      else
        on_partial (self);
    }
  update_text (self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_CELL]);
}

static void
easel_compare_cell_dispose (GObject *object)
{
  EaselCompareCell *self = EASEL_COMPARE_CELL (object);

  g_cancellable_cancel (self->decoding);
  g_clear_object (&self->decoding);
  if (self->cell_signals != NULL)
    g_signal_group_set_target (self->cell_signals, NULL);
  g_clear_object (&self->cell_signals);
  g_clear_object (&self->cell);
  gtk_widget_dispose_template (GTK_WIDGET (self), EASEL_TYPE_COMPARE_CELL);
  G_OBJECT_CLASS (easel_compare_cell_parent_class)->dispose (object);
}

static void
easel_compare_cell_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  EaselCompareCell *self = EASEL_COMPARE_CELL (object);

  switch (prop_id)
    {
    case PROP_CELL: g_value_set_object (value, self->cell); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_compare_cell_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  EaselCompareCell *self = EASEL_COMPARE_CELL (object);

  switch (prop_id)
    {
    case PROP_CELL: easel_compare_cell_set_cell (self, g_value_get_object (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_compare_cell_class_init (EaselCompareCellClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = easel_compare_cell_dispose;
  object_class->get_property = easel_compare_cell_get_property;
  object_class->set_property = easel_compare_cell_set_property;

  props[PROP_CELL] = g_param_spec_object ("cell", NULL, NULL, EASEL_TYPE_COMPARISON_CELL,
                                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/easelstudio/Easel/ui/easel-compare-cell.ui");
  gtk_widget_class_bind_template_child (widget_class, EaselCompareCell, picture);
  gtk_widget_class_bind_template_child (widget_class, EaselCompareCell, spinner);
  gtk_widget_class_bind_template_child (widget_class, EaselCompareCell, title_label);
  gtk_widget_class_bind_template_child (widget_class, EaselCompareCell, detail_label);
}

static void
easel_compare_cell_init (EaselCompareCell *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cell_signals = g_signal_group_new (EASEL_TYPE_COMPARISON_CELL);
  g_signal_group_connect_object (self->cell_signals, "notify::partial", G_CALLBACK (on_partial), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->cell_signals, "notify::image", G_CALLBACK (on_image), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->cell_signals, "notify::state", G_CALLBACK (update_text), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->cell_signals, "notify::actual-usd", G_CALLBACK (update_text), self, G_CONNECT_SWAPPED);
}

GtkWidget *
easel_compare_cell_new (EaselComparisonCell *cell)
{
  return g_object_new (EASEL_TYPE_COMPARE_CELL, "cell", cell, NULL);
}

EaselComparisonCell *
easel_compare_cell_get_cell (EaselCompareCell *self)
{
  g_return_val_if_fail (EASEL_IS_COMPARE_CELL (self), NULL);
  return self->cell;
}

gboolean
easel_compare_cell_has_picture (EaselCompareCell *self)
{
  g_return_val_if_fail (EASEL_IS_COMPARE_CELL (self), FALSE);
  return gtk_picture_get_paintable (self->picture) != NULL;
}
