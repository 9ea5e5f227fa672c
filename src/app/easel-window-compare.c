/* easel-window-compare.c: the window's Compare page
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The page runs comparisons through the application's client and library;
 * the window only hosts it and takes a clicked cell back to the studio.
 */

#define G_LOG_DOMAIN "easel-window-compare"

#include "config.h"

#include <glib/gi18n.h>

#include "easel-compare-page.h"
#include "easel-gallery.h"
#include "easel-window-private.h"

/* Continue from a cell: its image becomes the input of the next request,
 * with the cell's model, quality and size, and its prompt to edit. */
static void
continue_from_cb (EaselWindow         *self,
                  EaselComparisonCell *cell)
{
  const EaselRequest *request = easel_comparison_cell_get_request (cell);
  g_autoptr(JsonNode) params = easel_request_params_to_json (request);
  g_autofree char *params_json = json_to_string (params, FALSE);
  g_autoptr(GFile) file = g_file_new_for_path (easel_comparison_cell_get_path (cell));
  g_autofree char *message = NULL;

  easel_params_apply_json (self->params, params_json);
  easel_composer_set_text (self->composer, request->prompt);
  easel_composer_add_file (self->composer, file);
  adw_view_stack_set_visible_child_name (self->view_stack, "studio");
  easel_composer_focus (self->composer);
  /* Translators: %s is a compare cell, e.g. "gpt-image-1.5 · high" */
  message = g_strdup_printf (_("Continuing from %s"), easel_comparison_cell_get_label (cell));
  easel_window_toast (self, message);
}

static void
cell_stored_cb (EaselWindow *self)
{
  if (self->gallery && EASEL_IS_GALLERY (self->gallery))
    easel_gallery_reload (EASEL_GALLERY (self->gallery));
}

static void
show_in_gallery_cb (EaselWindow *self,
                    gint64       comparison_id)
{
  if (self->gallery == NULL || !EASEL_IS_GALLERY (self->gallery))
    return;
  easel_gallery_show_comparison (EASEL_GALLERY (self->gallery), comparison_id);
  adw_view_stack_set_visible_child_name (self->view_stack, "gallery");
}

/* The page edits what is attached in the studio, as the studio would. */
static void
visible_page_cb (EaselWindow *self)
{
  if (g_strcmp0 (adw_view_stack_get_visible_child_name (self->view_stack), "compare") == 0)
    easel_compare_page_set_input_images (EASEL_COMPARE_PAGE (self->compare_page),
                                         easel_composer_get_attachments (self->composer));
}

void
_easel_window_compare_init (EaselWindow *self)
{
  g_assert (EASEL_IS_WINDOW (self));

  self->compare_page = easel_compare_page_new (self->client, self->library, self->settings);
  adw_bin_set_child (self->compare_bin, self->compare_page);
  /* The Batches place is set up first: "Half price" hands the grid to it. */
  easel_compare_page_set_batch_list (EASEL_COMPARE_PAGE (self->compare_page), self->batches);
  g_signal_connect_object (self->compare_page, "continue-from", G_CALLBACK (continue_from_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->compare_page, "cell-stored", G_CALLBACK (cell_stored_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->compare_page, "show-in-gallery", G_CALLBACK (show_in_gallery_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->view_stack, "notify::visible-child", G_CALLBACK (visible_page_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->compare_page, "toast", G_CALLBACK (easel_window_toast), self, G_CONNECT_SWAPPED);
}

GtkWidget *
easel_window_get_compare_page (EaselWindow *self)
{
  g_return_val_if_fail (EASEL_IS_WINDOW (self), NULL);
  return self->compare_page;
}
