/* easel-batch-list.h: every Batch API job of the library, kept up to date
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include "easel-batch-item.h"

G_BEGIN_DECLS

#define EASEL_TYPE_BATCH_LIST (easel_batch_list_get_type ())
G_DECLARE_FINAL_TYPE (EaselBatchList, easel_batch_list, EASEL, BATCH_LIST, GObject)

/* A GListModel of EaselBatchItem, newest first, and the one owner of the
 * jobs' traffic: the application holds one, every window shows it.
 *
 * Once @library is ready it lists the jobs the library holds (so jobs
 * survive restarts), polls every unfinished one with backoff through
 * @client (EASEL_BATCH_POLL_MS sets the first interval, default 5 s,
 * growing to a minute), and when a job finishes fetches its results
 * through the core's resumable fetch (easel_batch_fetch_async), so its
 * images land in the library. Store work runs on the library's worker;
 * nothing blocks the main loop.
 *
 * Properties: "client", "library" (construct-only), "loaded" (the first
 * listing is in). Signals: "job-finished" (EaselBatchItem*): a job this
 * run watched has its results in the library; "images-recorded"
 * (EaselBatchItem*): a fetch recorded images (the gallery reloads);
 * "error" (const char *message): a message for a toast. */
EaselBatchList *easel_batch_list_new            (EaselClient      *client,
                                                 EaselLibrary     *library);
gboolean        easel_batch_list_get_loaded     (EaselBatchList   *self);
EaselBatchItem *easel_batch_list_find           (EaselBatchList   *self,
                                                 const char       *batch_id);

/* Uploads @jsonl, records the job (with @entries, so fetching can resume)
 * and creates the batch; the new item is added to the list and watched.
 * The caller has validated the entries and checked the budget. */
void            easel_batch_list_submit_async   (EaselBatchList      *self,
                                                 GPtrArray           *entries,
                                                 GBytes              *jsonl,
                                                 double               batch_usd,
                                                 double               full_usd,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
EaselBatchItem *easel_batch_list_submit_finish  (EaselBatchList      *self,
                                                 GAsyncResult        *result,
                                                 GError             **error);

/* Asks the server to cancel @item's job; polling then follows it to
 * "cancelled" and fetches what was done. */
void            easel_batch_list_cancel_async   (EaselBatchList      *self,
                                                 EaselBatchItem      *item,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean        easel_batch_list_cancel_finish  (EaselBatchList      *self,
                                                 GAsyncResult        *result,
                                                 GError             **error);

G_END_DECLS
