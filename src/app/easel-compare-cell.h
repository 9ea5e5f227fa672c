/* easel-compare-cell.h: one cell of the Compare grid
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>
#include "easel-comparison.h"

G_BEGIN_DECLS

/* Property "cell" (EaselComparisonCell): the cell it follows — its last
 * partial, then its image (decoded off the main thread), its label, and
 * its estimate, state or actual cost, tokens and time. */
#define EASEL_TYPE_COMPARE_CELL (easel_compare_cell_get_type ())
G_DECLARE_FINAL_TYPE (EaselCompareCell, easel_compare_cell, EASEL, COMPARE_CELL, GtkBox)

GtkWidget           *easel_compare_cell_new      (EaselComparisonCell *cell);
EaselComparisonCell *easel_compare_cell_get_cell (EaselCompareCell    *self);
/* TRUE once the picture shows something (a partial or the image). */
gboolean             easel_compare_cell_has_picture (EaselCompareCell *self);

G_END_DECLS
