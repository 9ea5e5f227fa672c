/* easel-batches-page.c: the Batches place of the window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A view of the application's EaselBatchList: the list owns the jobs and
 * their traffic; this page only shows them and asks before cancelling.
 */

#define G_LOG_DOMAIN "easel-batches-page"

#include "config.h"

#include <glib/gi18n.h>

#include "easel-batch-row.h"
#include "easel-batches-page.h"

struct _EaselBatchesPage
{
  GtkWidget parent_instance;

  EaselBatchList *batches;
  GtkNoSelection *selection;
  GCancellable   *cancellable;

  /* template */
  GtkStack    *stack;
  GtkListView *list_view;
};

G_DEFINE_FINAL_TYPE (EaselBatchesPage, easel_batches_page, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_BATCHES,
  N_PROPS
};

enum {
  SHOW_IN_GALLERY,
  TOAST,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
update_page (EaselBatchesPage *self)
{
  guint n = self->batches ? g_list_model_get_n_items (G_LIST_MODEL (self->batches)) : 0;

  gtk_stack_set_visible_child_name (self->stack, n > 0 ? "list" : "empty");
}

static void
cancelled_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(EaselBatchesPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!easel_batch_list_cancel_finish (EASEL_BATCH_LIST (source), result, &error))
    {
      g_autofree char *message = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      message = g_strdup_printf (_("Could not cancel the job: %s"), error->message);
      g_signal_emit (self, signals[TOAST], 0, message);
    }
}

static void
cancel_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    gpointer          user_data)
{
  EaselBatchesPage *self = EASEL_BATCHES_PAGE (g_object_get_data (G_OBJECT (dialog), "page"));
  const char *batch_id = user_data;
  EaselBatchItem *item;

  if (g_strcmp0 (response, "cancel-job") != 0 || self == NULL || self->batches == NULL)
    return;
  item = easel_batch_list_find (self->batches, batch_id);
  if (item != NULL)
    easel_batch_list_cancel_async (self->batches, item, self->cancellable, cancelled_cb, g_object_ref (self));
}

static void
free_batch_id (gpointer  data,
               GClosure *closure)
{
  g_free (data);
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  EaselBatchesPage *self = EASEL_BATCHES_PAGE (widget);
  const char *batch_id = g_variant_get_string (param, NULL);
  EaselBatchItem *item = self->batches ? easel_batch_list_find (self->batches, batch_id) : NULL;
  g_autofree char *body = NULL;
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *dialog;
  guint n_left;

  if (item == NULL || !easel_batch_item_get_can_cancel (item))
    return;

  n_left = (guint) MAX (easel_batch_item_get_total (item) - easel_batch_item_get_completed (item)
                        - easel_batch_item_get_failed (item), 0);
  body = g_strdup_printf (ngettext ("The request not done yet will not run. What is done by then is still "
                                    "fetched into the library, and paid for.",
                                    "The %u requests not done yet will not run. What is done by then is still "
                                    "fetched into the library, and paid for.", n_left), n_left);
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, _("Cancel Batch Job?"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "keep", _("_Keep Running"),
                                    "cancel-job", _("_Cancel Job"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "cancel-job", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  g_object_set_data_full (G_OBJECT (dialog), "page", g_object_ref (self), g_object_unref);
  g_signal_connect_data (dialog, "response", G_CALLBACK (cancel_response_cb), g_strdup (batch_id),
                         free_batch_id, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
show_in_gallery_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *param)
{
  EaselBatchesPage *self = EASEL_BATCHES_PAGE (widget);
  const char *batch_id = g_variant_get_string (param, NULL);
  EaselBatchItem *item = self->batches ? easel_batch_list_find (self->batches, batch_id) : NULL;

  if (item != NULL)
    g_signal_emit (self, signals[SHOW_IN_GALLERY], 0, easel_batch_item_get_job_id (item), batch_id);
}

EaselBatchList *
easel_batches_page_get_batches (EaselBatchesPage *self)
{
  g_return_val_if_fail (EASEL_IS_BATCHES_PAGE (self), NULL);
  return self->batches;
}

GtkWidget *
easel_batches_page_new (EaselBatchList *batches)
{
  return g_object_new (EASEL_TYPE_BATCHES_PAGE, "batches", batches, NULL);
}

static void
easel_batches_page_constructed (GObject *object)
{
  EaselBatchesPage *self = (EaselBatchesPage *)object;

  G_OBJECT_CLASS (easel_batches_page_parent_class)->constructed (object);

  if (self->batches != NULL)
    {
      gtk_no_selection_set_model (self->selection, G_LIST_MODEL (self->batches));
      g_signal_connect_object (self->batches, "items-changed", G_CALLBACK (update_page), self, G_CONNECT_SWAPPED);
    }
  update_page (self);
}

static void
easel_batches_page_dispose (GObject *object)
{
  GtkWidget *child;
  EaselBatchesPage *self = (EaselBatchesPage *)object;

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), EASEL_TYPE_BATCHES_PAGE);
  /* Unnamed template children are not unparented by dispose_template. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))))
    gtk_widget_unparent (child);
  g_clear_object (&self->selection);
  g_clear_object (&self->batches);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (easel_batches_page_parent_class)->dispose (object);
}

static void
easel_batches_page_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  EaselBatchesPage *self = EASEL_BATCHES_PAGE (object);

  switch (prop_id)
    {
    case PROP_BATCHES: g_value_set_object (value, self->batches); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_batches_page_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  EaselBatchesPage *self = EASEL_BATCHES_PAGE (object);

  switch (prop_id)
    {
    case PROP_BATCHES: self->batches = g_value_dup_object (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_batches_page_class_init (EaselBatchesPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = easel_batches_page_constructed;
  object_class->dispose = easel_batches_page_dispose;
  object_class->get_property = easel_batches_page_get_property;
  object_class->set_property = easel_batches_page_set_property;

  properties[PROP_BATCHES] =
    g_param_spec_object ("batches", NULL, NULL, EASEL_TYPE_BATCH_LIST,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SHOW_IN_GALLERY] =
    g_signal_new ("show-in-gallery", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_INT64, G_TYPE_STRING);
  signals[TOAST] =
    g_signal_new ("toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_install_action (widget_class, "batches.cancel", "s", cancel_action);
  gtk_widget_class_install_action (widget_class, "batches.show-in-gallery", "s", show_in_gallery_action);

  g_type_ensure (EASEL_TYPE_BATCH_ROW);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/easel-batches-page.ui");
  gtk_widget_class_bind_template_child (widget_class, EaselBatchesPage, stack);
  gtk_widget_class_bind_template_child (widget_class, EaselBatchesPage, list_view);
}

static void
easel_batches_page_init (EaselBatchesPage *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  self->selection = gtk_no_selection_new (NULL);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));
}
