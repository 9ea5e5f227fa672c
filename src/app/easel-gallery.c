/* easel-gallery.c: the gallery of every generation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "easel-gallery"

#include "config.h"

#include <errno.h>
#include <sys/stat.h>
#include <utime.h>
#include <glib/gstdio.h>
#include <glib/gi18n.h>

#include "easel-toast.h"
#include "easel-export.h"
#include "easel-gallery-private.h"
#include "easel-gallery-cell.h"
#include "easel-gallery-details.h"
#include "easel-wrap-box.h"
#include "easel-gallery-item.h"
#include "easel-gallery-model.h"
#include "easel-models.h"
#include "easel-thumbnailer.h"

struct _EaselGallery
{
  GtkWidget           parent_instance;

  /* Template */
  AdwToastOverlay    *toast_overlay;
  GtkStack           *main_stack;
  AdwFlap            *flap;
  GtkSearchEntry     *search_entry;
  GtkDropDown        *model_dropdown;
  GtkDropDown        *date_dropdown;
  GtkDropDown        *conversation_dropdown;
  GtkToggleButton    *starred_button;
  GtkButton          *comparison_button;   /* shown while one Compare set is shown */
  AdwButtonContent   *comparison_content;
  GtkButton          *batch_button;       /* shown while the grid is filtered by a batch job */
  AdwButtonContent   *batch_content;
  GtkDropDown        *sort_dropdown;
  GtkStack           *content_stack;
  GtkGridView        *grid_view;
  AdwStatusPage      *corrupt_page;
  GtkButton          *reset_button;
  EaselGalleryDetails *details;

  EaselLibrary       *library;            /* the application's; the gallery never opens or resets a store */
  EaselStore         *store;              /* the library's, once it is ready */
  EaselGalleryModel  *model;
  GtkMultiSelection  *selection;
  GCancellable       *cancellable;

  GtkStringList      *model_names;        /* "All Models", then model ids */
  GtkStringList      *conversation_names; /* "All Conversations", then titles */
  GArray             *conversation_ids;   /* gint64, parallel to conversation_names from 1 */

  GArray             *deleted_ids;        /* gint64: what "Undo" restores */
  AdwToast           *undo_toast;

  guint               dirty : 1;          /* the store changed while we were hidden */
  guint               syncing_filters : 1;
};

enum {
  PROP_0,
  PROP_LIBRARY,
  N_PROPS
};

enum {
  CONTINUE_CONVERSATION,
  REUSE_PARAMETERS,
  USE_AS_INPUT,
  TOAST,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (EaselGallery, easel_gallery, GTK_TYPE_WIDGET)

static const char gallery_css[] =
  "gridview.easel-gallery-grid { padding: 12px; background: none; }\n"
  "gridview.easel-gallery-grid > child { padding: 5px; border-radius: 14px; }\n"
  "gridview.easel-gallery-grid > child:selected { background-color: alpha(@accent_bg_color, 0.35); }\n"
  "easelgallerycell { border-radius: 10px; background-color: alpha(currentColor, 0.08); }\n"
  ".easel-gallery-star { color: #f6d32d; -gtk-icon-shadow: 0 1px 2px alpha(black, 0.6); }\n"
  ".easel-gallery-badge { background-color: @error_bg_color; color: @error_fg_color;"
  "  border-radius: 6px; padding: 2px 6px; font-size: smaller; font-weight: bold; }\n"
  "easelgallerydetails { background-color: @view_bg_color; }\n"
  ".easel-checkerboard { border-radius: 8px; background-color: #ffffff;"
  "  background-image: linear-gradient(45deg, #d8d8d8 25%, transparent 25%, transparent 75%, #d8d8d8 75%),"
  "                    linear-gradient(45deg, #d8d8d8 25%, transparent 25%, transparent 75%, #d8d8d8 75%);"
  "  background-size: 16px 16px; background-position: 0 0, 8px 8px; }\n";

static void
ensure_css (void)
{
  static gboolean done;
  g_autoptr(GtkCssProvider) provider = NULL;
  GdkDisplay *display = gdk_display_get_default ();

  if (done || display == NULL)
    return;

  done = TRUE;
  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_data (provider, gallery_css, -1);
  gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

static void
show_toast (EaselGallery *self,
            const char   *message)
{
  adw_toast_overlay_add_toast (self->toast_overlay, easel_toast_new_for_text (message));
}

/* Selection */

static GPtrArray *
get_selected_items (EaselGallery *self,
                    gboolean      loaded_only)
{
  g_autoptr(GtkBitset) bitset = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  GPtrArray *items = g_ptr_array_new_with_free_func (g_object_unref);
  GtkBitsetIter iter;
  guint position;

  if (gtk_bitset_iter_init_first (&iter, bitset, &position))
    {
      do
        {
          g_autoptr(EaselGalleryItem) item = g_list_model_get_item (G_LIST_MODEL (self->model), position);

          if (item != NULL && (!loaded_only || easel_gallery_item_get_loaded (item)))
            g_ptr_array_add (items, g_steal_pointer (&item));
        }
      while (gtk_bitset_iter_next (&iter, &position));
    }

  return items;
}

static GPtrArray *
get_selected_generations (EaselGallery *self)
{
  g_autoptr(GPtrArray) items = get_selected_items (self, TRUE);
  GPtrArray *gens = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < items->len; i++)
    g_ptr_array_add (gens, g_object_ref (easel_gallery_item_get_generation (g_ptr_array_index (items, i))));

  return gens;
}

/* The item the details pane and single-item actions work on. */
static EaselGalleryItem *
get_current_item (EaselGallery *self)
{
  EaselGalleryItem *item = easel_gallery_details_get_item (self->details);

  if (item != NULL && easel_gallery_item_get_loaded (item))
    return item;

  return NULL;
}

static void
update_actions (EaselGallery *self)
{
  g_autoptr(GPtrArray) selected = get_selected_items (self, TRUE);
  EaselGalleryItem *current = get_current_item (self);
  EaselGeneration *gen = current ? easel_gallery_item_get_generation (current) : NULL;
  gboolean has_store = self->store != NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "gallery.continue-conversation",
                                 gen != NULL && gen->conversation_id != 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "gallery.reuse-parameters",
                                 gen != NULL && gen->params_json != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "gallery.use-as-input",
                                 gen != NULL && gen->path != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "gallery.toggle-star", gen != NULL && has_store);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "gallery.copy", gen != NULL && gen->path != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "gallery.export", selected->len > 0 && has_store);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "gallery.delete", selected->len > 0 && has_store);
}

static void
on_selection_changed (EaselGallery *self)
{
  g_autoptr(GtkBitset) bitset = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));

  if (gtk_bitset_get_size (bitset) >= 1)
    {
      g_autoptr(EaselGalleryItem) item = g_list_model_get_item (G_LIST_MODEL (self->model),
                                                                gtk_bitset_get_minimum (bitset));

      easel_gallery_details_set_item (self->details, item);
      if (gtk_bitset_get_size (bitset) == 1)
        adw_flap_set_reveal_flap (self->flap, TRUE);
    }
  else
    {
      easel_gallery_details_set_item (self->details, NULL);
      adw_flap_set_reveal_flap (self->flap, FALSE);
    }

  update_actions (self);
}

/* Content page: grid, empty or no results */

static void
update_content_page (EaselGallery *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->model));
  const char *page = "grid";

  /* While the first count runs, keep what is shown to avoid a flash. */
  if (easel_gallery_model_get_loading (self->model))
    return;

  if (n == 0)
    page = easel_gallery_model_has_filters (self->model) ? "no-results" : "empty";

  gtk_stack_set_visible_child_name (self->content_stack, page);
  if (n == 0)
    adw_flap_set_reveal_flap (self->flap, FALSE);
}

/* Filters */

static gint64
date_since (guint selected)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) midnight = NULL;

  if (selected == 0)
    return 0;

  midnight = g_date_time_new_local (g_date_time_get_year (now),
                                    g_date_time_get_month (now),
                                    g_date_time_get_day_of_month (now), 0, 0, 0);
  switch (selected)
    {
    case 1:
      return g_date_time_to_unix (midnight);
    case 2:
      return g_date_time_to_unix (midnight) - 6 * 24 * 3600;
    case 3:
    default:
      return g_date_time_to_unix (midnight) - 29 * 24 * 3600;
    }
}

/* A new search or filter makes a new list: the details stop showing an
 * item that may not be in it. */
static void
close_details (EaselGallery *self)
{
  gtk_selection_model_unselect_all (GTK_SELECTION_MODEL (self->selection));
  easel_gallery_details_set_item (self->details, NULL);
  adw_flap_set_reveal_flap (self->flap, FALSE);
  update_actions (self);
}

static void
on_filters_changed (EaselGallery *self)
{
  guint model_index = gtk_drop_down_get_selected (self->model_dropdown);
  guint conversation_index = gtk_drop_down_get_selected (self->conversation_dropdown);
  guint sort = gtk_drop_down_get_selected (self->sort_dropdown);
  const char *model = NULL;
  gint64 conversation_id = 0;

  if (self->syncing_filters || self->model == NULL)
    return;

  if (model_index != GTK_INVALID_LIST_POSITION && model_index > 0)
    model = gtk_string_list_get_string (self->model_names, model_index);

  if (conversation_index != GTK_INVALID_LIST_POSITION && conversation_index > 0 &&
      conversation_index - 1 < self->conversation_ids->len)
    conversation_id = g_array_index (self->conversation_ids, gint64, conversation_index - 1);

  close_details (self);
  g_object_freeze_notify (G_OBJECT (self->model));
  easel_gallery_model_set_model_filter (self->model, model);
  easel_gallery_model_set_date_range (self->model, date_since (gtk_drop_down_get_selected (self->date_dropdown)), 0);
  easel_gallery_model_set_conversation_id (self->model, conversation_id);
  easel_gallery_model_set_starred_only (self->model, gtk_toggle_button_get_active (self->starred_button));
  easel_gallery_model_set_sort (self->model, sort == GTK_INVALID_LIST_POSITION ? EASEL_STORE_SORT_NEWEST : sort);
  g_object_thaw_notify (G_OBJECT (self->model));
}

void
easel_gallery_show_comparison (EaselGallery *self,
                               gint64        comparison_id)
{
  g_return_if_fail (EASEL_IS_GALLERY (self));

  if (comparison_id > 0)
    {
      /* Translators: the gallery shows the images of one Compare grid */
      g_autofree char *label = g_strdup_printf (_("Comparison %" G_GINT64_FORMAT), comparison_id);

      adw_button_content_set_label (self->comparison_content, label);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->comparison_button), comparison_id > 0);
  if (self->model != NULL)
    easel_gallery_model_set_comparison_id (self->model, MAX (comparison_id, 0));
}

static void
on_comparison_cleared (EaselGallery *self)
{
  easel_gallery_show_comparison (self, 0);
}

static void
on_batch_filter_clear (EaselGallery *self)
{
  easel_gallery_show_batch (self, 0, NULL);
}

static void
on_search_changed (EaselGallery *self)
{
  close_details (self);
  easel_gallery_model_set_search_text (self->model, gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
}

static void
on_stop_search (EaselGallery *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  gtk_widget_grab_focus (GTK_WIDGET (self->grid_view));
}

static gpointer
list_conversations (EaselStore  *store,
                    gpointer     data,
                    GError     **error)
{
  return easel_store_list_conversations (store, error);
}

static void
on_conversations_listed (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(EaselGallery) self = user_data;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) titles = NULL;
  gint64 current = 0;
  guint selected = 0;

  list = easel_library_run_finish (EASEL_LIBRARY (object), result, &error);
  if (list == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Could not list conversations: %s", error->message);
      return;
    }

  current = self->model ? easel_gallery_model_get_conversation_id (self->model) : 0;
  titles = g_ptr_array_new_with_free_func (g_free);
  g_array_set_size (self->conversation_ids, 0);

  for (guint i = 0; i < list->len; i++)
    {
      EaselConversation *conversation = g_ptr_array_index (list, i);

      g_array_append_val (self->conversation_ids, conversation->id);
      if (conversation->title != NULL && *conversation->title != '\0')
        g_ptr_array_add (titles, g_strdup (conversation->title));
      else
        {
          g_autofree char *number = g_strdup_printf ("%" G_GINT64_FORMAT, conversation->id);

          /* Translators: a fallback title for an untitled conversation;
           * %s is its number in the library. */
          g_ptr_array_add (titles, g_strdup_printf (_("Conversation %s"), number));
        }
      if (conversation->id == current)
        selected = i + 1;
    }
  g_ptr_array_add (titles, NULL);

  self->syncing_filters = TRUE;
  gtk_string_list_splice (self->conversation_names, 1,
                          g_list_model_get_n_items (G_LIST_MODEL (self->conversation_names)) - 1,
                          (const char * const *) titles->pdata);
  gtk_drop_down_set_selected (self->conversation_dropdown, selected);
  self->syncing_filters = FALSE;
  gtk_widget_set_visible (GTK_WIDGET (self->conversation_dropdown), list->len > 0);
}

static gpointer
list_models (EaselStore  *store,
             gpointer     data,
             GError     **error)
{
  return easel_store_list_models (store, error);
}

/* The model filter offers the models the library holds, not every model
 * Easel knows. */
static void
on_models_listed (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(EaselGallery) self = user_data;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) models = easel_library_run_finish (EASEL_LIBRARY (object), result, &error);
  g_autofree char *current = NULL;
  guint selected = 0;
  guint index;

  if (models == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Could not list models: %s", error->message);
      return;
    }

  index = gtk_drop_down_get_selected (self->model_dropdown);
  if (index != GTK_INVALID_LIST_POSITION && index > 0)
    current = g_strdup (gtk_string_list_get_string (self->model_names, index));
  for (guint i = 0; current != NULL && models[i] != NULL; i++)
    if (g_str_equal (models[i], current))
      selected = i + 1;

  self->syncing_filters = TRUE;
  gtk_string_list_splice (self->model_names, 1,
                          g_list_model_get_n_items (G_LIST_MODEL (self->model_names)) - 1,
                          (const char * const *) models);
  gtk_drop_down_set_selected (self->model_dropdown, selected);
  self->syncing_filters = FALSE;
  /* A filtered model that is gone: show everything rather than nothing. */
  if (current != NULL && selected == 0)
    on_filters_changed (self);
}

static void
reload_conversations (EaselGallery *self)
{
  if (self->store == NULL || self->library == NULL)
    return;
  easel_library_run_async (self->library, list_models, NULL, NULL,
                           (GDestroyNotify) g_strfreev, self->cancellable,
                           on_models_listed, g_object_ref (self));
  easel_library_run_async (self->library, list_conversations, NULL, NULL,
                           (GDestroyNotify) g_ptr_array_unref, self->cancellable,
                           on_conversations_listed, g_object_ref (self));
}

/* Store operations in worker threads */

typedef enum {
  OP_STAR,
  OP_UNSTAR,
  OP_DELETE,
  OP_UNDELETE,
  OP_IMPORT,
} OpKind;

typedef struct
{
  OpKind      kind;
  GArray     *ids;       /* gint64 */
  GFile      *file;      /* OP_IMPORT */
} StoreOp;

static void
store_op_free (gpointer data)
{
  StoreOp *op = data;

  g_clear_pointer (&op->ids, g_array_unref);
  g_clear_object (&op->file);
  g_free (op);
}

static StoreOp *
store_op_new (EaselGallery *self,
              OpKind        kind)
{
  StoreOp *op = g_new0 (StoreOp, 1);

  op->kind = kind;
  op->ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  return op;
}

/* On the library's worker, in order with every other write. */
static gpointer
store_op_run (EaselStore  *store,
              gpointer     data,
              GError     **error)
{
  StoreOp *op = data;

  if (op->kind == OP_IMPORT)
    return easel_store_import (store, op->file, error);

  for (guint i = 0; i < op->ids->len; i++)
    {
      gint64 id = g_array_index (op->ids, gint64, i);
      gboolean ok = FALSE;

      switch (op->kind)
        {
        case OP_STAR:
        case OP_UNSTAR:
          ok = easel_store_set_starred (store, id, op->kind == OP_STAR, error);
          break;
        case OP_DELETE:
          ok = easel_store_delete (store, id, error);
          break;
        case OP_UNDELETE:
          ok = easel_store_undelete (store, id, error);
          break;
        case OP_IMPORT:
        default:
          g_assert_not_reached ();
        }
      if (!ok)
        return NULL;
    }
  return GINT_TO_POINTER (TRUE);
}

typedef struct
{
  GAsyncReadyCallback callback;
  gpointer user_data;
  EaselGallery *self;
  StoreOp *op;
} OpCall;

/* The library's answer, handed to the op's callback with the gallery as
 * its source object (the callbacks were written for GTask results). */
static void
store_op_done (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  OpCall *call = user_data;
  g_autoptr(GTask) task = g_task_new (call->self, NULL, call->callback, call->user_data);
  GError *error = NULL;
  gpointer value = easel_library_run_finish (EASEL_LIBRARY (object), result, &error);

  g_task_set_source_tag (task, store_op_done);
  /* The callbacks read the op back from the task. */
  g_task_set_task_data (task, call->op, store_op_free);
  if (error != NULL)
    g_task_return_error (task, error);
  else if (value == GINT_TO_POINTER (TRUE))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_pointer (task, value, g_object_unref);
  g_object_unref (call->self);
  g_free (call);
}

static void
run_store_op (EaselGallery        *self,
              StoreOp             *op,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  OpCall *call = g_new0 (OpCall, 1);

  call->callback = callback;
  call->user_data = user_data;
  call->self = g_object_ref (self);
  call->op = op;
  easel_library_run_async (self->library, store_op_run, op, NULL,
                           op->kind == OP_IMPORT ? g_object_unref : NULL,
                           NULL, store_op_done, call);
}

/* Actions */

static void
on_star_done (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(EaselGalleryItem) item = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      StoreOp *op = g_task_get_task_data (G_TASK (result));

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      /* Put the star back the way the library has it. */
      easel_gallery_item_set_starred (item, op->kind != OP_STAR);
      show_toast (EASEL_GALLERY (object), error->message);
    }
}

static void
toggle_star_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  EaselGallery *self = EASEL_GALLERY (widget);
  EaselGalleryItem *item = get_current_item (self);
  gboolean starred;
  StoreOp *op;
  gint64 id;

  if (item == NULL || self->store == NULL)
    return;

  starred = !easel_gallery_item_get_starred (item);
  id = easel_gallery_item_get_id (item);
  easel_gallery_item_set_starred (item, starred);

  op = store_op_new (self, starred ? OP_STAR : OP_UNSTAR);
  g_array_append_val (op->ids, id);
  run_store_op (self, op, on_star_done, g_object_ref (item));
}

static void
on_undelete_done (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  EaselGallery *self = EASEL_GALLERY (object);
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_toast (self, error->message);
      return;
    }

  easel_gallery_model_reload (self->model);
}

static void
undo_delete_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  EaselGallery *self = EASEL_GALLERY (widget);
  StoreOp *op;

  if (self->deleted_ids->len == 0 || self->store == NULL)
    return;

  op = store_op_new (self, OP_UNDELETE);
  g_array_append_vals (op->ids, self->deleted_ids->data, self->deleted_ids->len);
  g_array_set_size (self->deleted_ids, 0);
  run_store_op (self, op, on_undelete_done, NULL);
}

static void
on_undo_toast_dismissed (EaselGallery *self,
                         AdwToast     *toast)
{
  /* Only the newest toast's undo stays possible. */
  if (self->undo_toast == toast)
    self->undo_toast = NULL;
}

static void
on_delete_done (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  EaselGallery *self = EASEL_GALLERY (object);
  StoreOp *op = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL;
  g_autoptr(GArray) positions = NULL;
  AdwToast *toast;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      show_toast (self, error->message);
      /* Some rows may have been deleted before the error: show the truth. */
      easel_gallery_model_reload (self->model);
      return;
    }

  /* Remove from the end so earlier positions stay valid. */
  positions = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = 0; i < op->ids->len; i++)
    {
      guint pos = easel_gallery_model_find (self->model, g_array_index (op->ids, gint64, i));

      if (pos != G_MAXUINT)
        g_array_append_val (positions, pos);
    }
  /* A deleted row whose page the model let go of (scrolled far away
   * meanwhile) has no position to remove: query again instead. */
  if (positions->len < op->ids->len)
    {
      easel_gallery_model_reload (self->model);
      g_array_set_size (positions, 0);
    }
  for (guint i = 0; i < positions->len; i++)
    for (guint j = i + 1; j < positions->len; j++)
      if (g_array_index (positions, guint, j) > g_array_index (positions, guint, i))
        {
          guint tmp = g_array_index (positions, guint, i);

          g_array_index (positions, guint, i) = g_array_index (positions, guint, j);
          g_array_index (positions, guint, j) = tmp;
        }
  for (guint i = 0; i < positions->len; i++)
    easel_gallery_model_remove (self->model, g_array_index (positions, guint, i));

  g_array_set_size (self->deleted_ids, 0);
  g_array_append_vals (self->deleted_ids, op->ids->data, op->ids->len);

  if (op->ids->len == 1)
    title = g_strdup (_("Image deleted"));
  else
    title = g_strdup_printf (ngettext ("%u image deleted", "%u images deleted", op->ids->len), op->ids->len);

  if (self->undo_toast != NULL)
    adw_toast_dismiss (self->undo_toast);

  toast = adw_toast_new (title);
  adw_toast_set_button_label (toast, _("_Undo"));
  adw_toast_set_action_name (toast, "gallery.undo-delete");
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  g_signal_connect_object (toast, "dismissed", G_CALLBACK (on_undo_toast_dismissed), self, G_CONNECT_SWAPPED);
  self->undo_toast = toast;
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* Every selected row's generation, also the rows the model let go of since
 * they were selected (a long selection, scrolled far away): read again from
 * the store, not skipped. FALSE when nothing is selected. */
static gboolean
read_selection_async (EaselGallery        *self,
                      GAsyncReadyCallback  callback)
{
  g_autoptr(GtkBitset) bitset = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  g_autoptr(GArray) positions = g_array_new (FALSE, FALSE, sizeof (guint));
  GtkBitsetIter iter;
  guint position;

  if (self->store == NULL)
    return FALSE;
  if (gtk_bitset_iter_init_first (&iter, bitset, &position))
    do
      g_array_append_val (positions, position);
    while (gtk_bitset_iter_next (&iter, &position));
  if (positions->len == 0)
    return FALSE;

  easel_gallery_model_dup_generations_async (self->model, (const guint *) positions->data, positions->len,
                                             self->cancellable, callback, g_object_ref (self));
  return TRUE;
}

/* What read_selection_async read; NULL after showing why it failed. */
static GPtrArray *
read_selection_finish (EaselGallery *self,
                       GObject      *model,
                       GAsyncResult *result)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *gens = easel_gallery_model_dup_generations_finish (EASEL_GALLERY_MODEL (model), result, &error);

  if (gens == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    show_toast (self, error->message);
  return gens;
}

static void
on_delete_selection_read (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(EaselGallery) self = user_data;
  g_autoptr(GPtrArray) gens = read_selection_finish (self, object, result);
  StoreOp *op;

  if (gens == NULL || gens->len == 0 || self->store == NULL)
    return;

  op = store_op_new (self, OP_DELETE);
  for (guint i = 0; i < gens->len; i++)
    g_array_append_val (op->ids, ((EaselGeneration *) gens->pdata[i])->id);

  gtk_selection_model_unselect_all (GTK_SELECTION_MODEL (self->selection));
  run_store_op (self, op, on_delete_done, NULL);
}

static void
delete_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  read_selection_async (EASEL_GALLERY (widget), on_delete_selection_read);
}

static void
continue_conversation_action (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *param)
{
  EaselGallery *self = EASEL_GALLERY (widget);
  EaselGalleryItem *item = get_current_item (self);
  EaselGeneration *gen = item ? easel_gallery_item_get_generation (item) : NULL;

  if (gen != NULL && gen->conversation_id != 0)
    g_signal_emit (self, signals[CONTINUE_CONVERSATION], 0, gen->conversation_id, gen->turn_id);
}

static void
reuse_parameters_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *param)
{
  EaselGallery *self = EASEL_GALLERY (widget);
  EaselGalleryItem *item = get_current_item (self);
  EaselGeneration *gen = item ? easel_gallery_item_get_generation (item) : NULL;

  if (gen != NULL && gen->params_json != NULL)
    g_signal_emit (self, signals[REUSE_PARAMETERS], 0, gen->params_json);
}

static void
use_as_input_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  EaselGallery *self = EASEL_GALLERY (widget);
  EaselGalleryItem *item = get_current_item (self);
  g_autoptr(GFile) file = item ? easel_gallery_item_dup_file (item) : NULL;

  if (file != NULL)
    g_signal_emit (self, signals[USE_AS_INPUT], 0, file);
}

static void
copy_texture_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  GError *error = NULL;
  GdkTexture *texture = gdk_texture_new_from_file (G_FILE (task_data), &error);

  if (texture == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, texture, g_object_unref);
}

static void
on_copy_loaded (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  EaselGallery *self = EASEL_GALLERY (object);
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;

  texture = g_task_propagate_pointer (G_TASK (result), &error);
  if (texture == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_toast (self, error->message);
      return;
    }

  gdk_clipboard_set_texture (gtk_widget_get_clipboard (GTK_WIDGET (self)), texture);
  show_toast (self, _("Image copied"));
}

static void
copy_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  EaselGallery *self = EASEL_GALLERY (widget);
  EaselGalleryItem *item = get_current_item (self);
  g_autoptr(GFile) file = item ? easel_gallery_item_dup_file (item) : NULL;
  g_autoptr(GTask) task = NULL;

  if (file == NULL)
    return;

  task = g_task_new (self, self->cancellable, on_copy_loaded, NULL);
  g_task_set_source_tag (task, copy_action);
  g_task_set_task_data (task, g_steal_pointer (&file), g_object_unref);
  g_task_run_in_thread (task, copy_texture_thread);
}

static void
on_export_done (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  EaselGallery *self = EASEL_GALLERY (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) dest = NULL;
  g_autofree char *message = NULL;
  guint n;

  n = easel_export_run_finish (result, &dest, &error);
  if (error != NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_toast (self, error->message);
      return;
    }

  message = g_strdup_printf (ngettext ("%u image exported", "%u images exported", n), n);
  {
    AdwToast *toast = easel_toast_new_for_text (message);
    g_autoptr(GFile) folder = NULL;
    g_autofree char *uri = NULL;

    /* @dest is the file for one image, the folder for several. */
    if (dest != NULL)
      folder = n == 1 && g_file_query_file_type (dest, G_FILE_QUERY_INFO_NONE, NULL) != G_FILE_TYPE_DIRECTORY
               ? g_file_get_parent (dest) : g_object_ref (dest);
    if (folder != NULL)
      {
        uri = g_file_get_uri (folder);
        adw_toast_set_button_label (toast, _("Open Folder"));
        adw_toast_set_action_name (toast, "gallery.open-folder");
        adw_toast_set_action_target_value (toast, g_variant_new_string (uri));
      }
    adw_toast_overlay_add_toast (self->toast_overlay, toast);
  }
}

static void
open_folder_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  GtkRoot *root = gtk_widget_get_root (widget);

  gtk_show_uri (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, g_variant_get_string (param, NULL),
                GDK_CURRENT_TIME);
}

static void
on_selection_read (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(EaselGallery) self = user_data;
  g_autoptr(GPtrArray) gens = read_selection_finish (self, object, result);

  if (gens == NULL || gens->len == 0 || self->store == NULL)
    return;
  easel_export_run_async (GTK_WIDGET (self), self->store, gens, self->cancellable, on_export_done, NULL);
}

/* Every selected image (read_selection_async). */
static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  read_selection_async (EASEL_GALLERY (widget), on_selection_read);
}

static void
close_details_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  adw_flap_set_reveal_flap (EASEL_GALLERY (widget)->flap, FALSE);
}

static void
focus_search_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  easel_gallery_focus_search (EASEL_GALLERY (widget));
}

/* Grid */

static void
on_grid_activate (EaselGallery *self,
                  guint         position)
{
  g_autoptr(EaselGalleryItem) item = g_list_model_get_item (G_LIST_MODEL (self->model), position);

  easel_gallery_details_set_item (self->details, item);
  adw_flap_set_reveal_flap (self->flap, TRUE);
  update_actions (self);
}

typedef struct
{
  gint64  id;
  GFile  *dest;
} DragExport;

static void
drag_export_free (gpointer data)
{
  DragExport *d = data;

  g_clear_object (&d->dest);
  g_free (d);
}

/* Dragged copies live a day: long enough for any drop to have copied
 * them, short enough that the cache does not grow for ever. */
#define DRAG_CACHE_MAX_AGE_S (24 * 60 * 60)

/* Removes dragged copies older than a day under @root (one folder per
 * generation), and the folders they leave empty. Runs on the worker. */
static void
prune_drag_cache (const char *root)
{
  g_autoptr(GDir) dir = g_dir_open (root, 0, NULL);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *sub_path = g_build_filename (root, name, NULL);
      g_autoptr(GDir) sub = NULL;
      const char *file;
      GStatBuf st;

      if (g_lstat (sub_path, &st) != 0 || !S_ISDIR (st.st_mode))
        continue;
      if ((sub = g_dir_open (sub_path, 0, NULL)) == NULL)
        continue;
      while ((file = g_dir_read_name (sub)) != NULL)
        {
          g_autofree char *file_path = g_build_filename (sub_path, file, NULL);

          if (g_lstat (file_path, &st) == 0 && S_ISREG (st.st_mode) && now - st.st_mtime > DRAG_CACHE_MAX_AGE_S)
            g_unlink (file_path);
        }
      g_rmdir (sub_path);  /* only if it is empty now */
    }
}

static gpointer
drag_export_func (EaselStore  *store,
                  gpointer     data,
                  GError     **error)
{
  DragExport *d = data;
  g_autoptr(GFile) dir = g_file_get_parent (d->dest);
  g_autoptr(GFile) root = g_file_get_parent (dir);
  g_autofree char *root_path = g_file_get_path (root);
  g_autofree char *path = g_file_get_path (dir);

  prune_drag_cache (root_path);

  if (g_mkdir_with_parents (path, 0700) != 0)
    {
      int err = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (err), "Cannot create %s: %s", path, g_strerror (err));
      return NULL;
    }
  if (!easel_store_export (store, d->id, d->dest, EASEL_EXPORT_PNG, -1, error))
    return NULL;
  return GINT_TO_POINTER (TRUE);
}

static void
on_drag_exported (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (easel_library_run_finish (EASEL_LIBRARY (object), result, &error) == NULL &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("Could not prepare the dragged image: %s", error->message);
}

/* What a drag carries: the file Export would write (PNG with Easel's
 * metadata, so dropping it back into Easel resumes the conversation), in
 * the cache. The drag needs a file name at once; the export is written
 * (atomically) on the library's worker and is long done before a drop. */
static GFile *
drag_file_for (EaselGallery    *self,
               EaselGeneration *gen)
{
  g_autofree char *name = easel_export_suggest_name (gen, EASEL_EXPORT_PNG);
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, gen->id);
  g_autofree char *path = g_build_filename (g_get_user_cache_dir (), "easel", "drag", id, name, NULL);
  DragExport *d;

  if (self->library == NULL || gen->path == NULL)
    return gen->path ? g_file_new_for_path (gen->path) : NULL;
  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      /* Used again: it starts another day in the cache. */
      g_utime (path, NULL);
      return g_file_new_for_path (path);
    }

  d = g_new0 (DragExport, 1);
  d->id = gen->id;
  d->dest = g_file_new_for_path (path);
  easel_library_run_async (self->library, drag_export_func, d, drag_export_free, NULL,
                           self->cancellable, on_drag_exported, NULL);
  return g_file_new_for_path (path);
}

GFile *
_easel_gallery_drag_file (EaselGallery     *self,
                          EaselGalleryItem *item)
{
  EaselGeneration *gen = easel_gallery_item_get_generation (item);

  return gen != NULL ? drag_file_for (self, gen) : NULL;
}

static GdkContentProvider *
on_drag_prepare (GtkDragSource    *source,
                 double            x,
                 double            y,
                 EaselGalleryCell *cell)
{
  EaselGallery *self = EASEL_GALLERY (gtk_widget_get_ancestor (GTK_WIDGET (cell), EASEL_TYPE_GALLERY));
  EaselGalleryItem *item = easel_gallery_cell_get_item (cell);
  g_autoptr(GFile) file = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GSList *files = NULL;
  GdkContentProvider *providers[2];
  EaselGeneration *gen;

  if (self == NULL || item == NULL || (file = easel_gallery_item_dup_file (item)) == NULL)
    return NULL;

  gen = easel_gallery_item_get_generation (item);

  /* Dragging one of several selected cells drags the whole selection. */
  if (gtk_selection_model_is_selected (GTK_SELECTION_MODEL (self->selection),
                                       easel_gallery_model_find (self->model, gen->id)))
    {
      g_autoptr(GPtrArray) gens = get_selected_generations (self);

      for (guint i = gens->len; i > 0; i--)
        {
          EaselGeneration *g = g_ptr_array_index (gens, i - 1);
          GFile *dragged = g->path != NULL ? drag_file_for (self, g) : NULL;

          if (dragged != NULL)
            files = g_slist_prepend (files, dragged);
        }
    }
  if (files == NULL)
    files = g_slist_prepend (files, drag_file_for (self, gen));

  texture = easel_thumbnailer_lookup (easel_thumbnailer_get_default (), gen->sha256);
  if (texture != NULL)
    gtk_drag_source_set_icon (source, GDK_PAINTABLE (texture), 24, 24);

  providers[0] = gdk_content_provider_new_typed (GDK_TYPE_FILE_LIST, files);
  providers[1] = gdk_content_provider_new_typed (G_TYPE_FILE, files->data);
  g_slist_free_full (files, g_object_unref);

  return gdk_content_provider_new_union (providers, G_N_ELEMENTS (providers));
}

static void
on_factory_setup (GtkSignalListItemFactory *factory,
                  GtkListItem              *list_item,
                  gpointer                  user_data)
{
  GtkWidget *cell = easel_gallery_cell_new ();
  GtkDragSource *source = gtk_drag_source_new ();

  gtk_drag_source_set_actions (source, GDK_ACTION_COPY);
  g_signal_connect (source, "prepare", G_CALLBACK (on_drag_prepare), cell);
  gtk_widget_add_controller (cell, GTK_EVENT_CONTROLLER (source));
  gtk_list_item_set_child (list_item, cell);
}

static void
on_factory_bind (GtkSignalListItemFactory *factory,
                 GtkListItem              *list_item,
                 gpointer                  user_data)
{
  easel_gallery_cell_set_item (EASEL_GALLERY_CELL (gtk_list_item_get_child (list_item)),
                               gtk_list_item_get_item (list_item));
}

static void
on_factory_unbind (GtkSignalListItemFactory *factory,
                   GtkListItem              *list_item,
                   gpointer                  user_data)
{
  /* Drops the cell's texture: only bound cells (plus the small LRU) keep
   * thumbnails in memory. */
  easel_gallery_cell_set_item (EASEL_GALLERY_CELL (gtk_list_item_get_child (list_item)), NULL);
}

/* Import by drop */

static void
on_import_done (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  EaselGallery *self = EASEL_GALLERY (object);
  StoreOp *op = g_task_get_task_data (G_TASK (result));
  g_autoptr(EaselGeneration) gen = NULL;
  g_autoptr(GError) error = NULL;

  gen = g_task_propagate_pointer (G_TASK (result), &error);

  if (gen != NULL)
    {
      easel_gallery_model_reload (self->model);
      reload_conversations (self);
      g_signal_emit (self, signals[TOAST], 0, _("Conversation restored from the image"));
      if (gen->conversation_id != 0)
        g_signal_emit (self, signals[CONTINUE_CONVERSATION], 0, gen->conversation_id, gen->turn_id);
      else
        g_signal_emit (self, signals[USE_AS_INPUT], 0, op->file);
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  /* Not an Easel PNG (or the metadata is unusable): still a fine input image. */
  g_debug ("Not importing %s as a conversation: %s", g_file_peek_path (op->file), error->message);
  g_signal_emit (self, signals[USE_AS_INPUT], 0, op->file);
}

void
easel_gallery_import_file (EaselGallery *self,
                           GFile        *file)
{
  g_autofree char *content_type = NULL;
  g_autofree char *basename = NULL;
  StoreOp *op;

  g_return_if_fail (EASEL_IS_GALLERY (self));
  g_return_if_fail (G_IS_FILE (file));

  basename = g_file_get_basename (file);
  content_type = g_content_type_guess (basename, NULL, 0, NULL);

  if (self->store == NULL || !g_content_type_is_a (content_type, "image/png"))
    {
      if (g_content_type_is_a (content_type, "image/*"))
        g_signal_emit (self, signals[USE_AS_INPUT], 0, file);
      else
        {
          g_autofree char *name = easel_text_escape_untrusted (basename, 80);
          /* Translators: a file dropped or opened that is not an image */
          g_autofree char *message = g_strdup_printf (_("“%s” is not an image"), name ? name : "");

          show_toast (self, message);
        }
      return;
    }

  op = store_op_new (self, OP_IMPORT);
  op->file = g_object_ref (file);
  run_store_op (self, op, on_import_done, NULL);
}

static gboolean
on_drop (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         EaselGallery  *self)
{
  GSList *files;

  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;

  files = g_value_get_boxed (value);
  if (files == NULL)
    return FALSE;

  /* A conversation continues from one image: the first one wins. */
  easel_gallery_import_file (self, G_FILE (files->data));
  return TRUE;
}

/* The store */

static void
on_store_changed (EaselGallery *self)
{
  /* Our own changes are applied to the model in place; a change from the
   * studio while the gallery is hidden is picked up when it shows. */
  if (!gtk_widget_get_mapped (GTK_WIDGET (self)))
    self->dirty = TRUE;
}

static void
easel_gallery_map (GtkWidget *widget)
{
  EaselGallery *self = EASEL_GALLERY (widget);

  GTK_WIDGET_CLASS (easel_gallery_parent_class)->map (widget);

  if (self->dirty)
    {
      self->dirty = FALSE;
      easel_gallery_reload (self);
    }
}

static void
on_model_load_failed (EaselGallery *self,
                      GError       *error)
{
  show_toast (self, error->message);
}

/* Corrupt library: the library resets itself; the gallery only asks */

static void
on_library_reset (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(EaselGallery) self = user_data;
  g_autofree char *backup = NULL;
  g_autofree char *message = NULL;
  g_autoptr(GError) error = NULL;

  gtk_widget_set_sensitive (GTK_WIDGET (self->reset_button), TRUE);
  if (!easel_library_reset_finish (EASEL_LIBRARY (object), result, &backup, &error))
    {
      adw_status_page_set_description (self->corrupt_page, error->message);
      return;
    }

  message = g_strdup_printf (_("The old library was kept as %s"), backup ? backup : "library.db.broken");
  show_toast (self, message);
  g_signal_emit (self, signals[TOAST], 0, message);
}

static void
on_reset_clicked (EaselGallery *self)
{
  if (self->library == NULL)
    return;
  gtk_widget_set_sensitive (GTK_WIDGET (self->reset_button), FALSE);
  easel_library_reset_async (self->library, self->cancellable, on_library_reset, g_object_ref (self));
}

static void
show_open_error (EaselGallery *self,
                 const GError *error)
{
  g_autofree char *description = NULL;
  gboolean can_reset;

  can_reset = g_error_matches (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_CORRUPT);
  if (can_reset)
    description = g_strdup_printf (_("%s\n\nEasel will not overwrite it. You can move it aside as a backup "
                                     "and start a new, empty library; your image files are kept."),
                                   error->message);
  else
    description = g_strdup (error->message);

  adw_status_page_set_description (self->corrupt_page, description);
  gtk_widget_set_visible (GTK_WIDGET (self->reset_button), can_reset);
  gtk_stack_set_visible_child_name (self->main_stack, "corrupt");
}

static void
follow_store (EaselGallery *self,
              EaselStore   *store)
{
  if (self->store == store)
    return;

  if (self->store != NULL)
    g_signal_handlers_disconnect_by_func (self->store, on_store_changed, self);

  g_set_object (&self->store, store);

  if (store != NULL)
    g_signal_connect_object (store, "changed", G_CALLBACK (on_store_changed), self, G_CONNECT_SWAPPED);

  g_array_set_size (self->deleted_ids, 0);
  easel_gallery_details_set_item (self->details, NULL);
  easel_gallery_details_set_store (self->details, store);
  easel_gallery_model_set_store (self->model, store);
  reload_conversations (self);
  update_actions (self);
  if (store != NULL)
    gtk_stack_set_visible_child_name (self->main_stack, "gallery");
}

static void
on_library_state (EaselGallery *self)
{
  switch (easel_library_get_state (self->library))
    {
    case EASEL_LIBRARY_STATE_READY:
      follow_store (self, easel_library_get_store (self->library));
      break;
    case EASEL_LIBRARY_STATE_ERROR:
      follow_store (self, NULL);
      show_open_error (self, easel_library_get_error (self->library));
      break;
    case EASEL_LIBRARY_STATE_LOADING:
    default:
      follow_store (self, NULL);
      break;
    }
}

static void
set_library (EaselGallery *self,
             EaselLibrary *library)
{
  if (!g_set_object (&self->library, library))
    return;
  if (library != NULL)
    {
      g_signal_connect_object (library, "notify::state", G_CALLBACK (on_library_state), self, G_CONNECT_SWAPPED);
      on_library_state (self);
    }
}

/* GObject */

static void
easel_gallery_dispose (GObject *object)
{
  EaselGallery *self = EASEL_GALLERY (object);
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);

  if (self->grid_view != NULL)
    gtk_grid_view_set_model (self->grid_view, NULL);

  gtk_widget_dispose_template (GTK_WIDGET (self), EASEL_TYPE_GALLERY);
  /* Unnamed template children are not unparented by dispose_template. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))))
    gtk_widget_unparent (child);

  g_clear_object (&self->selection);
  g_clear_object (&self->model);
  g_clear_object (&self->store);
  g_clear_object (&self->library);
  g_clear_object (&self->model_names);
  g_clear_object (&self->conversation_names);
  self->undo_toast = NULL;

  G_OBJECT_CLASS (easel_gallery_parent_class)->dispose (object);
}

static void
easel_gallery_finalize (GObject *object)
{
  EaselGallery *self = EASEL_GALLERY (object);

  g_clear_pointer (&self->conversation_ids, g_array_unref);
  g_clear_pointer (&self->deleted_ids, g_array_unref);

  G_OBJECT_CLASS (easel_gallery_parent_class)->finalize (object);
}

static void
easel_gallery_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  EaselGallery *self = EASEL_GALLERY (object);

  switch (prop_id)
    {
    case PROP_LIBRARY:
      g_value_set_object (value, self->library);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_gallery_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  EaselGallery *self = EASEL_GALLERY (object);

  switch (prop_id)
    {
    case PROP_LIBRARY:
      set_library (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_gallery_class_init (EaselGalleryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = easel_gallery_dispose;
  object_class->finalize = easel_gallery_finalize;
  object_class->get_property = easel_gallery_get_property;
  object_class->set_property = easel_gallery_set_property;
  widget_class->map = easel_gallery_map;

  properties[PROP_LIBRARY] =
    g_param_spec_object ("library", NULL, NULL, EASEL_TYPE_LIBRARY,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[CONTINUE_CONVERSATION] =
    g_signal_new ("continue-conversation", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT64, G_TYPE_INT64);
  signals[REUSE_PARAMETERS] =
    g_signal_new ("reuse-parameters", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[USE_AS_INPUT] =
    g_signal_new ("use-as-input", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_FILE);
  signals[TOAST] =
    g_signal_new ("toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  g_type_ensure (EASEL_TYPE_GALLERY_DETAILS);
  g_type_ensure (EASEL_TYPE_WRAP_BOX);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/easel-gallery.ui");
  gtk_widget_class_bind_template_child (widget_class, EaselGallery, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, EaselGallery, main_stack);
  gtk_widget_class_bind_template_child (widget_class, EaselGallery, flap);
  gtk_widget_class_bind_template_child (widget_class, EaselGallery, search_entry);
  gtk_widget_class_bind_template_child (widget_class, EaselGallery, model_dropdown);
  gtk_widget_class_bind_template_child (widget_class, EaselGallery, date_dropdown);
  gtk_widget_class_bind_template_child (widget_class, EaselGallery, conversation_dropdown);
  gtk_widget_class_bind_template_child (widget_class, EaselGallery, starred_button);
  gtk_widget_class_bind_template_child (widget_class, EaselGallery, comparison_button);
  gtk_widget_class_bind_template_child (widget_class, EaselGallery, comparison_content);
  gtk_widget_class_bind_template_child (widget_class, EaselGallery, batch_button);
  gtk_widget_class_bind_template_child (widget_class, EaselGallery, batch_content);
  gtk_widget_class_bind_template_callback (widget_class, on_batch_filter_clear);
  gtk_widget_class_bind_template_child (widget_class, EaselGallery, sort_dropdown);
  gtk_widget_class_bind_template_child (widget_class, EaselGallery, content_stack);
  gtk_widget_class_bind_template_child (widget_class, EaselGallery, grid_view);
  gtk_widget_class_bind_template_child (widget_class, EaselGallery, corrupt_page);
  gtk_widget_class_bind_template_child (widget_class, EaselGallery, reset_button);
  gtk_widget_class_bind_template_child (widget_class, EaselGallery, details);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_stop_search);
  gtk_widget_class_bind_template_callback (widget_class, on_filters_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_comparison_cleared);
  gtk_widget_class_bind_template_callback (widget_class, on_grid_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_reset_clicked);

  gtk_widget_class_install_action (widget_class, "gallery.toggle-star", NULL, toggle_star_action);
  gtk_widget_class_install_action (widget_class, "gallery.delete", NULL, delete_action);
  gtk_widget_class_install_action (widget_class, "gallery.undo-delete", NULL, undo_delete_action);
  gtk_widget_class_install_action (widget_class, "gallery.continue-conversation", NULL, continue_conversation_action);
  gtk_widget_class_install_action (widget_class, "gallery.reuse-parameters", NULL, reuse_parameters_action);
  gtk_widget_class_install_action (widget_class, "gallery.use-as-input", NULL, use_as_input_action);
  gtk_widget_class_install_action (widget_class, "gallery.copy", NULL, copy_action);
  gtk_widget_class_install_action (widget_class, "gallery.export", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "gallery.open-folder", "s", open_folder_action);
  gtk_widget_class_install_action (widget_class, "gallery.close-details", NULL, close_details_action);
  gtk_widget_class_install_action (widget_class, "gallery.focus-search", NULL, focus_search_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "gallery.delete", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Delete, 0, "gallery.delete", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_c, GDK_CONTROL_MASK, "gallery.copy", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, "gallery.export", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "gallery.export", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_d, GDK_CONTROL_MASK, "gallery.toggle-star", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "gallery.focus-search", NULL);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "easelgallery");
}

static void
easel_gallery_init (EaselGallery *self)
{
  g_autoptr(GtkListItemFactory) factory = NULL;
  GtkDropTarget *drop;

  ensure_css ();
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->conversation_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->deleted_ids = g_array_new (FALSE, FALSE, sizeof (gint64));

  self->syncing_filters = TRUE;

  /* The models come from the library (on_models_listed). */
  self->model_names = gtk_string_list_new (NULL);
  gtk_string_list_append (self->model_names, _("All Models"));
  gtk_drop_down_set_model (self->model_dropdown, G_LIST_MODEL (self->model_names));

  self->conversation_names = gtk_string_list_new (NULL);
  gtk_string_list_append (self->conversation_names, _("All Conversations"));
  gtk_drop_down_set_model (self->conversation_dropdown, G_LIST_MODEL (self->conversation_names));
  gtk_widget_set_visible (GTK_WIDGET (self->conversation_dropdown), FALSE);

  self->syncing_filters = FALSE;

  self->model = easel_gallery_model_new (NULL);
  g_signal_connect_object (self->model, "notify::loading", G_CALLBACK (update_content_page), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->model, "notify::n-items", G_CALLBACK (update_content_page), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->model, "load-failed", G_CALLBACK (on_model_load_failed), self, G_CONNECT_SWAPPED);

  self->selection = gtk_multi_selection_new (g_object_ref (G_LIST_MODEL (self->model)));
  g_signal_connect_object (self->selection, "selection-changed", G_CALLBACK (on_selection_changed), self, G_CONNECT_SWAPPED);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (on_factory_setup), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (on_factory_bind), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (on_factory_unbind), NULL);
  gtk_grid_view_set_factory (self->grid_view, factory);
  gtk_grid_view_set_model (self->grid_view, GTK_SELECTION_MODEL (self->selection));

  drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));

  gtk_stack_set_visible_child_name (self->content_stack, "empty");
  update_actions (self);
}

GtkWidget *
easel_gallery_new (EaselLibrary *library)
{
  g_return_val_if_fail (EASEL_IS_LIBRARY (library), NULL);

  return g_object_new (EASEL_TYPE_GALLERY, "library", library, NULL);
}

EaselStore *
easel_gallery_get_store (EaselGallery *self)
{
  g_return_val_if_fail (EASEL_IS_GALLERY (self), NULL);

  return self->store;
}

void
easel_gallery_reload (EaselGallery *self)
{
  g_return_if_fail (EASEL_IS_GALLERY (self));

  easel_gallery_model_reload (self->model);
  reload_conversations (self);
}

void
easel_gallery_show_batch (EaselGallery *self,
                          gint64        job_id,
                          const char   *label)
{
  g_return_if_fail (EASEL_IS_GALLERY (self));

  if (job_id > 0)
    {
      g_autofree char *safe = easel_text_escape_untrusted (label, 80);
      /* Translators: the gallery's filter by batch job; %s is its id. */
      g_autofree char *text = g_strdup_printf (_("Batch %s"), safe ? safe : "");

      adw_button_content_set_label (self->batch_content, text);
      /* A job's images belong to no conversation and may be any age: show
       * all of them. */
      self->syncing_filters = TRUE;
      gtk_drop_down_set_selected (self->model_dropdown, 0);
      gtk_drop_down_set_selected (self->date_dropdown, 0);
      gtk_drop_down_set_selected (self->conversation_dropdown, 0);
      gtk_toggle_button_set_active (self->starred_button, FALSE);
      self->syncing_filters = FALSE;
      gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
      on_filters_changed (self);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->batch_button), job_id > 0);
  easel_gallery_model_set_batch_job (self->model, MAX (job_id, 0));
}

void
easel_gallery_focus_search (EaselGallery *self)
{
  g_return_if_fail (EASEL_IS_GALLERY (self));

  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

void
easel_gallery_set_search_text (EaselGallery *self,
                               const char   *text)
{
  g_return_if_fail (EASEL_IS_GALLERY (self));

  /* The entry's "search-changed" runs the query. */
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), text ? text : "");
}

void
easel_gallery_show_generation (EaselGallery    *self,
                               EaselGeneration *generation)
{
  g_autoptr(EaselGalleryItem) item = NULL;
  guint position;

  g_return_if_fail (EASEL_IS_GALLERY (self));
  g_return_if_fail (EASEL_IS_GENERATION (generation));

  /* Selected in the grid when its page is loaded; the details pane shows it
   * either way (a search result can be far down the grid). */
  position = easel_gallery_model_find (self->model, generation->id);
  if (position != G_MAXUINT)
    {
      item = g_list_model_get_item (G_LIST_MODEL (self->model), position);
      gtk_selection_model_select_item (GTK_SELECTION_MODEL (self->selection), position, TRUE);
    }
  else
    {
      gtk_selection_model_unselect_all (GTK_SELECTION_MODEL (self->selection));
      item = easel_gallery_item_new (G_MAXUINT);
      easel_gallery_item_set_generation (item, generation);
    }
  easel_gallery_details_set_item (self->details, item);
  adw_flap_set_reveal_flap (self->flap, TRUE);
  update_actions (self);
}

/* easel-gallery-private.h */

EaselGalleryModel *
_easel_gallery_get_model (EaselGallery *self)
{
  return self->model;
}

GtkSelectionModel *
_easel_gallery_get_selection (EaselGallery *self)
{
  return GTK_SELECTION_MODEL (self->selection);
}

const char *
_easel_gallery_get_visible_page (EaselGallery *self)
{
  const char *main_page = gtk_stack_get_visible_child_name (self->main_stack);

  if (g_strcmp0 (main_page, "gallery") != 0)
    return main_page;

  return gtk_stack_get_visible_child_name (self->content_stack);
}

EaselGalleryDetails *
_easel_gallery_get_details (EaselGallery *self)
{
  return self->details;
}

GtkGridView *
_easel_gallery_get_grid_view (EaselGallery *self)
{
  return self->grid_view;
}
