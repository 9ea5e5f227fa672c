/* easel-batch-dialog.h: "New Batch…": a prompt list sent as a Batch API job
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>
#include "easel-batch-list.h"
#include "easel-params.h"

G_BEGIN_DECLS

#define EASEL_TYPE_BATCH_DIALOG (easel_batch_dialog_get_type ())
G_DECLARE_FINAL_TYPE (EaselBatchDialog, easel_batch_dialog, EASEL, BATCH_DIALOG, AdwWindow)

/* Takes one prompt per line (or one JSON request object per line), typed
 * or opened from a .txt/.jsonl file, with the studio's @params as every
 * line's defaults. Every line is checked with the core as it is typed (in
 * a worker thread); the first bad line is named and nothing can be sent.
 * It shows the estimate at the batch price next to the full price, asks
 * the spending budget (the settings' limits, the library's spend), then
 * submits through @batches. Signal "submitted" (EaselBatchItem*) before it
 * closes. @settings and @library may be NULL (no budget limits, only the
 * confirmation threshold's default). */
EaselBatchDialog *easel_batch_dialog_new          (GtkWindow        *parent,
                                                   EaselBatchList   *batches,
                                                   EaselParams      *params,
                                                   EaselLibrary     *library,
                                                   GSettings        *settings);
/* The text view's contents (tests). */
void              easel_batch_dialog_set_text     (EaselBatchDialog *self,
                                                   const char       *text);
/* The parsed lines, or 0 while invalid or still being checked (tests). */
guint             easel_batch_dialog_get_n_valid  (EaselBatchDialog *self);

G_END_DECLS
