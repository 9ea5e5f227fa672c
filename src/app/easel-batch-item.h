/* easel-batch-item.h: one Batch API job, as the Batches place shows it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include "easel-core.h"

G_BEGIN_DECLS

#define EASEL_TYPE_BATCH_ITEM (easel_batch_item_get_type ())
G_DECLARE_FINAL_TYPE (EaselBatchItem, easel_batch_item, EASEL, BATCH_ITEM, GObject)

/* A non-widget mirror of a job in the library (EaselBatchJob) and of what
 * the server last said about it. EaselBatchList owns and updates it on the
 * main context; rows bind to its read-only properties:
 *
 *   "job-id" (gint64: the library's row), "batch-id" (string, NULL while
 *   the submit has not created the batch yet), "status" (the server's),
 *   "total", "completed", "failed" (gint64, the server's counts),
 *   "progress" (double 0–1: completed and failed of total), "finished"
 *   (nothing will change on the server), "fetched" (every line is in the
 *   library), "fetching", "n-images" (lines recorded with images),
 *   "estimate" (USD at the batch price, -1 unknown), "full-price" (the
 *   same at the normal price), "cost" (USD recorded, -1 none yet),
 *   "created" (unix seconds), "error-message" (escaped for display, or
 *   NULL). */
gint64      easel_batch_item_get_job_id        (EaselBatchItem *self);
const char *easel_batch_item_get_batch_id      (EaselBatchItem *self);
const char *easel_batch_item_get_status        (EaselBatchItem *self);
gint64      easel_batch_item_get_total         (EaselBatchItem *self);
gint64      easel_batch_item_get_completed     (EaselBatchItem *self);
gint64      easel_batch_item_get_failed        (EaselBatchItem *self);
gboolean    easel_batch_item_get_finished      (EaselBatchItem *self);
gboolean    easel_batch_item_get_fetched       (EaselBatchItem *self);
gboolean    easel_batch_item_get_fetching      (EaselBatchItem *self);
guint       easel_batch_item_get_n_images      (EaselBatchItem *self);
guint       easel_batch_item_get_n_lines_failed (EaselBatchItem *self);
double      easel_batch_item_get_estimate      (EaselBatchItem *self);
double      easel_batch_item_get_full_price    (EaselBatchItem *self);
double      easel_batch_item_get_cost          (EaselBatchItem *self);
const char *easel_batch_item_get_error_message (EaselBatchItem *self);
/* The user can still cancel it: created, and not finished or cancelling. */
gboolean    easel_batch_item_get_can_cancel    (EaselBatchItem *self);

G_END_DECLS
