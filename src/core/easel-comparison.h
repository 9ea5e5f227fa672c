/* easel-comparison.h: Compare — one prompt across models × qualities (× sizes)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An EaselComparison expands a base request into a grid of cells, one
 * EaselRequest each (n = 1), models outermost, then qualities, then sizes.
 * Every cell is validated with the same per-model rules as a single
 * request (easel_request_validate) and retired models are refused
 * (easel_request_check_retired) before anything is sent. Each cell carries
 * its estimate (easel_cost_estimate) and the comparison the total.
 *
 * Running sends the cells through an EaselClient, at most
 * "max-concurrent" (default 3) at a time. Cells are EaselComparisonCell
 * objects in a GListModel whose properties follow the run (state, the last
 * partial image, the final image, usage, actual cost, elapsed time), so a
 * view binds to them. With a library, the run first records a comparison
 * set (easel_store_add_comparison) and then every started cell as a normal
 * generation tagged with the set and its cell index, as jobs of the
 * library's worker.
 *
 * Threading: main-context only (the thread-default context of the caller
 * of easel_comparison_run_async()); the store functions below block.
 */
#pragma once

#include <gio/gio.h>
#include "easel-client.h"
#include "easel-comparison-cell.h"
#include "easel-cost.h"
#include "easel-library.h"
#include "easel-store.h"

G_BEGIN_DECLS

#define EASEL_COMPARISON_DEFAULT_CONCURRENCY 3
/* A grid larger than this is refused: it is almost certainly a typo. */
#define EASEL_COMPARISON_MAX_CELLS 36

/* ---------------------------------------------------------------------------
 * EaselComparison
 *
 * Properties: "max-concurrent" (uint, 1-8, default 3), "id" (int64: the
 * comparison set in the library, 0 until recorded), "running" (boolean),
 * "n-finished" (uint: cells done, failed or cancelled), "actual-usd"
 * (double: the sum of the known actual costs so far).
 * Signal "cell-finished" (EaselComparisonCell *cell): a cell ended and,
 * with a library, was recorded (its generation id set).
 */
#define EASEL_TYPE_COMPARISON (easel_comparison_get_type ())
G_DECLARE_FINAL_TYPE (EaselComparison, easel_comparison, EASEL, COMPARISON, GObject)

/* @base: the prompt, input images, mask and every other option (copied);
 * its model, quality, size and n are replaced per cell. @sizes NULL or
 * empty: @base's size for every cell. @allow_retired: a compatible server
 * that still serves a retired model. EASEL_VALIDATION_ERROR naming the
 * first cell that fails ("gpt-image-2 · ultra: …"), or G_IO_ERROR_INVALID_ARGUMENT
 * for an empty or too large grid. */
EaselComparison *easel_comparison_new (const EaselRequest *base,
                                       const char * const *models,
                                       const char * const *qualities,
                                       const char * const *sizes,
                                       gboolean            allow_retired,
                                       GError            **error);

const EaselRequest *easel_comparison_get_base           (EaselComparison *self);
/* EaselComparisonCell items, in grid order. */
GListModel      *easel_comparison_get_cells             (EaselComparison *self);
guint            easel_comparison_get_n_cells           (EaselComparison *self);
EaselComparisonCell *easel_comparison_get_cell          (EaselComparison *self,
                                                         guint            index);
/* The grid's shape: columns are qualities × sizes, rows are models. */
guint            easel_comparison_get_n_columns         (EaselComparison *self);
/* The sum of the cells' estimates; @known (nullable) FALSE when any cell's
 * estimate is only approximate. */
double           easel_comparison_get_estimate_usd      (EaselComparison *self,
                                                         gboolean        *known);
double           easel_comparison_get_actual_usd        (EaselComparison *self);
guint            easel_comparison_get_max_concurrent    (EaselComparison *self);
void             easel_comparison_set_max_concurrent    (EaselComparison *self,
                                                         guint            max_concurrent);
gint64           easel_comparison_get_id                (EaselComparison *self);
gboolean         easel_comparison_get_running           (EaselComparison *self);
guint            easel_comparison_get_n_finished        (EaselComparison *self);

/* Runs every cell once (a comparison runs once). @library (nullable): where
 * the set and its images are recorded; a library that cannot record the
 * set fails the run before anything is sent. @base_url: the server @client
 * talks to, for the cache key. A failed cell does not stop the others.
 * Fails with G_IO_ERROR_CANCELLED when cancelled (unsent cells become
 * "cancelled"); otherwise TRUE once every cell ended and was recorded. */
void             easel_comparison_run_async             (EaselComparison     *self,
                                                         EaselClient         *client,
                                                         EaselLibrary        *library,
                                                         const char          *base_url,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean         easel_comparison_run_finish            (EaselComparison     *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);

/* ---------------------------------------------------------------------------
 * In the store (blocking; from the library's worker)
 */

/* A new comparison set; returns its id, 0 on error. */
gint64      easel_store_add_comparison          (EaselStore               *self,
                                                 const char               *prompt,
                                                 guint                     n_cells,
                                                 double                    estimated_usd,
                                                 GError                  **error);
/* easel_store_record() for cell @cell of set @comparison: the rows and
 * their tag are written in one transaction. NOT_FOUND for an unknown set. */
GPtrArray  *easel_store_record_comparison_cell  (EaselStore               *self,
                                                 gint64                    comparison,
                                                 guint                     cell,
                                                 const EaselRequest       *request,
                                                 const EaselResult        *result,
                                                 const GError             *request_error,
                                                 const EaselRecordOptions *options,
                                                 GError                  **error);
/* Every row of the set (any status, deleted ones left out), by cell;
 * @out_cells (nullable) gets the cell index of each (guint). */
GPtrArray  *easel_store_list_comparison         (EaselStore               *self,
                                                 gint64                    comparison,
                                                 GArray                  **out_cells,
                                                 GError                  **error);

G_END_DECLS
