/* easel-comparison-private.h: what easel-comparison*.c share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "easel-comparison.h"

G_BEGIN_DECLS

struct _EaselComparisonCell
{
  GObject                   parent_instance;

  guint                     index;
  EaselRequest             *request;
  char                     *label;
  EaselCostEstimate         estimate;
  EaselComparisonCellState  state;
  GBytes                   *partial;
  guint                     n_partials;
  EaselResult              *result;
  GBytes                   *image;
  char                     *image_format;
  double                    actual_usd;
  double                    elapsed;
  gint64                    started;       /* monotonic µs */
  gint64                    generation_id;
  char                     *path;          /* the library's image file */
  GError                   *error;
};

/* A cell of @base with @model, @quality and @size (NULL: @base's), n = 1;
 * not validated. @label_size: the label names the size too. */
EaselComparisonCell *_easel_comparison_cell_new          (const EaselRequest  *base,
                                                          guint                index,
                                                          const char          *model,
                                                          const char          *quality,
                                                          const char          *size,
                                                          gboolean             label_size);
/* Sent: running, timed from now. */
void                 _easel_comparison_cell_start        (EaselComparisonCell *self);
void                 _easel_comparison_cell_add_partial  (EaselComparisonCell *self,
                                                          GBytes              *image);
/* The client's answer (@answer) or why it failed (@error). */
void                 _easel_comparison_cell_finish       (EaselComparisonCell *self,
                                                          const EaselResult   *answer,
                                                          const GError        *error);
/* Never sent. */
void                 _easel_comparison_cell_cancel       (EaselComparisonCell *self);
void                 _easel_comparison_cell_set_recorded (EaselComparisonCell *self,
                                                          gint64               generation_id,
                                                          const char          *path);

G_END_DECLS
