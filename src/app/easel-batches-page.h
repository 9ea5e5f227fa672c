/* easel-batches-page.h: the Batches place of the window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>
#include "easel-batch-list.h"

G_BEGIN_DECLS

#define EASEL_TYPE_BATCHES_PAGE (easel_batches_page_get_type ())
G_DECLARE_FINAL_TYPE (EaselBatchesPage, easel_batches_page, EASEL, BATCHES_PAGE, GtkWidget)

/* Shows an EaselBatchList ("batches") as rows of EaselBatchRow. Actions:
 * "batches.cancel" (s: batch id) asks for confirmation, then cancels;
 * "batches.show-in-gallery" (s) emits "show-in-gallery" (gint64 job id,
 * const char *batch id) for the window. "toast" (const char *) carries
 * messages to the window. Its "New Batch…" button activates win.new-batch. */
GtkWidget      *easel_batches_page_new         (EaselBatchList   *batches);
EaselBatchList *easel_batches_page_get_batches (EaselBatchesPage *self);

G_END_DECLS
