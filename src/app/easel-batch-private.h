/* easel-batch-private.h: shared between EaselBatchList and EaselBatchItem
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "easel-batch-item.h"

G_BEGIN_DECLS

struct _EaselBatchItem
{
  GObject parent_instance;

  gint64   job_id;
  char    *batch_id;
  char    *status;
  gint64   total;
  gint64   completed;
  gint64   failed;
  gboolean fetched;
  gboolean fetching;
  guint    n_images;
  guint    n_lines_failed;
  double   estimate;
  double   full_price;
  double   cost;
  gint64   created;
  char    *error_message;

  /* EaselBatchList's polling of this job */
  gpointer owner;       /* the EaselBatchList (unowned: it removes poll_id before it goes) */
  char    *input_file_id;
  guint    poll_id;
  guint    poll_ms;
  gboolean busy;        /* a retrieve, cancel or fetch is in flight */
  gboolean watched;     /* it was unfinished while this run watched it: say when it finishes */
};

EaselBatchItem *_easel_batch_item_new             (const EaselBatchJob  *job);
/* The library's view: counts, cost, fetched. */
void            _easel_batch_item_update_from_job  (EaselBatchItem       *self,
                                                    const EaselBatchJob  *job);
/* The server's view: status and counts. */
void            _easel_batch_item_update_from_info (EaselBatchItem       *self,
                                                    const EaselBatchInfo *info);
void            _easel_batch_item_set_fetching     (EaselBatchItem       *self,
                                                    gboolean              fetching);
/* @message: from outside; escaped here. NULL clears it. */
void            _easel_batch_item_set_error        (EaselBatchItem       *self,
                                                    const char           *message);

G_END_DECLS
