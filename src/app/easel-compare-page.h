/* easel-compare-page.h: Compare, one prompt across models × qualities
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>
#include "easel-core.h"
#include "easel-batch-list.h"

G_BEGIN_DECLS

/* Properties: "client" (EaselClient), "library" (EaselLibrary), "settings"
 * (GSettings: the spending limits, NULL for the defaults), construct-only;
 * "comparison" (EaselComparison, read-only): the grid the
 * page shows, rebuilt from the prompt and the checked models, qualities
 * and size until it is sent.
 * Actions: compare.send (after the budget check on the grid's total
 * estimate, which may ask first), compare.cancel, compare.export-sheet,
 * compare.show-in-gallery.
 * Signals: "continue-from" (EaselComparisonCell *cell): a finished cell
 * was clicked; "cell-stored" (EaselComparisonCell *cell): a cell's row is
 * in the library; "show-in-gallery" (gint64 comparison_id): the user asked
 * to see the set in the gallery; "toast" (const char *message). */
#define EASEL_TYPE_COMPARE_PAGE (easel_compare_page_get_type ())
G_DECLARE_FINAL_TYPE (EaselComparePage, easel_compare_page, EASEL, COMPARE_PAGE, AdwBin)

GtkWidget       *easel_compare_page_new            (EaselClient      *client,
                                                    EaselLibrary     *library,
                                                    GSettings        *settings);
EaselComparison *easel_compare_page_get_comparison (EaselComparePage *self);
void             easel_compare_page_set_prompt     (EaselComparePage *self,
                                                    const char       *prompt);
/* Checks exactly the models/qualities listed (NULL-terminated). */
void             easel_compare_page_select         (EaselComparePage  *self,
                                                    const char * const *models,
                                                    const char * const *qualities);
/* The studio's attached images (EaselInputImage*, copied; NULL or empty:
 * none). While there are some, a check offers to compare edits of them. */
/* Where the "Half price, within 24 h" switch sends the grid (the Batches
 * place's list); NULL hides the switch. */
void             easel_compare_page_set_batch_list (EaselComparePage *self,
                                                    EaselBatchList   *batch_list);
void             easel_compare_page_set_input_images (EaselComparePage *self,
                                                      GPtrArray        *images);
/* Renders the contact sheet in a worker thread and writes it to @file
 * (what the Export dialog does after choosing a file). */
void             easel_compare_page_export_sheet_async  (EaselComparePage    *self,
                                                         GFile               *file,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean         easel_compare_page_export_sheet_finish (EaselComparePage    *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);

G_END_DECLS
