/* easel-batch-row.h: one batch job in the Batches place
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>
#include "easel-batch-item.h"

G_BEGIN_DECLS

#define EASEL_TYPE_BATCH_ROW (easel_batch_row_get_type ())
G_DECLARE_FINAL_TYPE (EaselBatchRow, easel_batch_row, EASEL, BATCH_ROW, GtkWidget)

/* Property "item" (EaselBatchItem): the row binds to it in its .ui. Its
 * buttons activate "batches.show-in-gallery" and "batches.cancel" with the
 * job's batch id. */
EaselBatchItem *easel_batch_row_get_item (EaselBatchRow  *self);
void            easel_batch_row_set_item (EaselBatchRow  *self,
                                          EaselBatchItem *item);

G_END_DECLS
