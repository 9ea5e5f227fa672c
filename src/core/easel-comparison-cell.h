/* easel-comparison-cell.h: one cell of a Compare grid (easel-comparison.h)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A cell is one request of the grid and what became of it; the comparison
 * that runs it is the only thing that changes it, on its main context.
 */
#pragma once

#include <gio/gio.h>
#include "easel-cost.h"
#include "easel-result.h"

G_BEGIN_DECLS

typedef enum
{
  EASEL_COMPARISON_CELL_WAITING,    /* not sent yet */
  EASEL_COMPARISON_CELL_RUNNING,    /* sent; partials may arrive */
  EASEL_COMPARISON_CELL_DONE,       /* answered with an image */
  EASEL_COMPARISON_CELL_FAILED,     /* the request failed (error set) */
  EASEL_COMPARISON_CELL_CANCELLED,  /* cancelled before or while running */
} EaselComparisonCellState;

GType       easel_comparison_cell_state_get_type (void) G_GNUC_CONST;
#define EASEL_TYPE_COMPARISON_CELL_STATE (easel_comparison_cell_state_get_type ())
const char *easel_comparison_cell_state_to_string (EaselComparisonCellState state);

/* ---------------------------------------------------------------------------
 * EaselComparisonCell
 *
 * Properties (read-only, notify on the run's main context): "index" (uint),
 * "model", "quality", "size" (strings), "label" ("model · quality[ · size]"),
 * "estimate-usd" (double), "state" (EaselComparisonCellState), "partial"
 * (GBytes, the last partial image or NULL), "n-partials" (uint), "image"
 * (GBytes, the final image or NULL), "actual-usd" (double, -1 unknown),
 * "input-tokens", "output-tokens" (int64, -1 unknown), "elapsed" (double
 * seconds, 0 until done), "generation-id" (int64, the library row, 0 none),
 * "error-message" (string, NULL unless failed).
 */
#define EASEL_TYPE_COMPARISON_CELL (easel_comparison_cell_get_type ())
G_DECLARE_FINAL_TYPE (EaselComparisonCell, easel_comparison_cell, EASEL, COMPARISON_CELL, GObject)

guint                     easel_comparison_cell_get_index         (EaselComparisonCell *self);
const EaselRequest       *easel_comparison_cell_get_request       (EaselComparisonCell *self);
const char               *easel_comparison_cell_get_model         (EaselComparisonCell *self);
const char               *easel_comparison_cell_get_quality       (EaselComparisonCell *self);
const char               *easel_comparison_cell_get_size          (EaselComparisonCell *self);
const char               *easel_comparison_cell_get_label         (EaselComparisonCell *self);
const EaselCostEstimate  *easel_comparison_cell_get_estimate      (EaselComparisonCell *self);
EaselComparisonCellState  easel_comparison_cell_get_state         (EaselComparisonCell *self);
GBytes                   *easel_comparison_cell_get_partial       (EaselComparisonCell *self);
guint                     easel_comparison_cell_get_n_partials    (EaselComparisonCell *self);
GBytes                   *easel_comparison_cell_get_image         (EaselComparisonCell *self);
/* The final image's output format ("png", "jpeg", "webp"). */
const char               *easel_comparison_cell_get_image_format  (EaselComparisonCell *self);
const EaselResult        *easel_comparison_cell_get_result        (EaselComparisonCell *self);
double                    easel_comparison_cell_get_actual_usd    (EaselComparisonCell *self);
double                    easel_comparison_cell_get_elapsed       (EaselComparisonCell *self);
gint64                    easel_comparison_cell_get_generation_id (EaselComparisonCell *self);
/* The image file in the library (set with "generation-id"), or NULL. */
const char               *easel_comparison_cell_get_path          (EaselComparisonCell *self);
const GError             *easel_comparison_cell_get_error         (EaselComparisonCell *self);

G_END_DECLS
