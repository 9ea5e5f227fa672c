/* easel-batch-row.c: one batch job in the Batches place
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything shown follows the item through <lookup> and <closure> in
 * easel-batch-row.ui; the functions here only format.
 */

#define G_LOG_DOMAIN "easel-batch-row"

#include "config.h"

#include <glib/gi18n.h>

#include "easel-batch-row.h"

struct _EaselBatchRow
{
  GtkWidget parent_instance;

  EaselBatchItem *item;
};

G_DEFINE_FINAL_TYPE (EaselBatchRow, easel_batch_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_ITEM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char *
format_usd (double usd)
{
  return usd >= 0 ? easel_cost_format_usd (usd) : g_strdup ("—");
}

static char *
format_title (gpointer unused,
              gint64   total,
              gint64   created)
{
  g_autoptr(GDateTime) when = created > 0 ? g_date_time_new_from_unix_local (created) : NULL;
  g_autofree char *date = when ? g_date_time_format (when, "%x %X") : g_strdup ("");

  /* Translators: a batch job's title: how many requests, and when it was sent. */
  return g_strdup_printf (ngettext ("%u request · %s", "%u requests · %s", (gulong) total),
                          (guint) total, date);
}

static char *
format_status (gpointer    unused,
               const char *status,
               gboolean    fetching,
               gboolean    fetched)
{
  if (fetching)
    return g_strdup (_("Fetching results…"));
  if (status == NULL || g_str_equal (status, "submitting"))
    return g_strdup (_("Submitting…"));
  if (g_str_equal (status, "validating"))
    return g_strdup (_("Validating"));
  if (g_str_equal (status, "in_progress"))
    return g_strdup (_("In progress"));
  if (g_str_equal (status, "finalizing"))
    return g_strdup (_("Finalizing"));
  if (g_str_equal (status, "completed"))
    return g_strdup (fetched ? _("Completed") : _("Completed, results not fetched yet"));
  if (g_str_equal (status, "failed"))
    return g_strdup (_("Failed"));
  if (g_str_equal (status, "expired"))
    return g_strdup (_("Expired"));
  if (g_str_equal (status, "cancelling"))
    return g_strdup (_("Cancelling…"));
  if (g_str_equal (status, "cancelled"))
    return g_strdup (_("Cancelled"));
  /* The core lets known statuses only; still, never trust it as markup. */
  return easel_text_escape_untrusted (status, 40);
}

static char *
format_counts (gpointer unused,
               gint64   completed,
               gint64   failed,
               gint64   total)
{
  /* Translators: a batch job's progress: done and failed requests of all. */
  return g_strdup_printf (_("%" G_GINT64_FORMAT " done, %" G_GINT64_FORMAT " failed of %" G_GINT64_FORMAT),
                          completed, failed, total);
}

static char *
format_cost (gpointer unused,
             double   estimate,
             double   full_price,
             double   cost)
{
  g_autofree char *est = format_usd (estimate);
  g_autofree char *full = format_usd (full_price);
  g_autofree char *actual = format_usd (cost);

  /* Translators: a batch job's estimate at the batch price, the same at the
   * full price, and what its recorded results cost. */
  return g_strdup_printf (_("Estimate %s (full price %s) · Cost %s"), est, full, actual);
}

static gboolean
has_text (gpointer    unused,
          const char *text)
{
  return text != NULL && *text != '\0';
}

static gboolean
has_images (gpointer unused,
            guint    n_images)
{
  return n_images > 0;
}

static void
show_in_gallery_cb (EaselBatchRow *self)
{
  if (self->item != NULL && easel_batch_item_get_batch_id (self->item) != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "batches.show-in-gallery", "s",
                                easel_batch_item_get_batch_id (self->item));
}

static void
cancel_cb (EaselBatchRow *self)
{
  if (self->item != NULL && easel_batch_item_get_batch_id (self->item) != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "batches.cancel", "s",
                                easel_batch_item_get_batch_id (self->item));
}

EaselBatchItem *
easel_batch_row_get_item (EaselBatchRow *self)
{
  g_return_val_if_fail (EASEL_IS_BATCH_ROW (self), NULL);
  return self->item;
}

void
easel_batch_row_set_item (EaselBatchRow  *self,
                          EaselBatchItem *item)
{
  g_return_if_fail (EASEL_IS_BATCH_ROW (self));
  g_return_if_fail (item == NULL || EASEL_IS_BATCH_ITEM (item));

  if (g_set_object (&self->item, item))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ITEM]);
}

static void
easel_batch_row_dispose (GObject *object)
{
  GtkWidget *child;
  EaselBatchRow *self = (EaselBatchRow *)object;

  gtk_widget_dispose_template (GTK_WIDGET (self), EASEL_TYPE_BATCH_ROW);
  /* Unnamed template children are not unparented by dispose_template. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))))
    gtk_widget_unparent (child);
  g_clear_object (&self->item);

  G_OBJECT_CLASS (easel_batch_row_parent_class)->dispose (object);
}

static void
easel_batch_row_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  EaselBatchRow *self = EASEL_BATCH_ROW (object);

  switch (prop_id)
    {
    case PROP_ITEM: g_value_set_object (value, self->item); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_batch_row_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  EaselBatchRow *self = EASEL_BATCH_ROW (object);

  switch (prop_id)
    {
    case PROP_ITEM: easel_batch_row_set_item (self, g_value_get_object (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_batch_row_class_init (EaselBatchRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = easel_batch_row_dispose;
  object_class->get_property = easel_batch_row_get_property;
  object_class->set_property = easel_batch_row_set_property;

  properties[PROP_ITEM] =
    g_param_spec_object ("item", NULL, NULL, EASEL_TYPE_BATCH_ITEM,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/easel-batch-row.ui");
  /* Named for tests (gtk_widget_get_template_child); nothing here reads them. */
  gtk_widget_class_bind_template_child_full (widget_class, "status_label", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "progress_bar", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "counts_label", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "cost_label", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "gallery_button", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "cancel_button", FALSE, 0);
  gtk_widget_class_bind_template_callback (widget_class, format_title);
  gtk_widget_class_bind_template_callback (widget_class, format_status);
  gtk_widget_class_bind_template_callback (widget_class, format_counts);
  gtk_widget_class_bind_template_callback (widget_class, format_cost);
  gtk_widget_class_bind_template_callback (widget_class, has_text);
  gtk_widget_class_bind_template_callback (widget_class, has_images);
  gtk_widget_class_bind_template_callback (widget_class, show_in_gallery_cb);
  gtk_widget_class_bind_template_callback (widget_class, cancel_cb);
}

static void
easel_batch_row_init (EaselBatchRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
