/* easel-contact-sheet.h: a Compare grid as one labelled PNG
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each cell's image is scaled into a square tile, with its label (model
 * and quality) and a detail line (cost, tokens, time) under it; a heading
 * (the prompt, ellipsized) sits on top. Cells without an image get an
 * empty tile that says why. Text is drawn as plain text (never markup).
 *
 * Threading: easel_contact_sheet_render() blocks (decode, scale, PNG
 * encode); the _async version runs it in a worker thread.
 */
#pragma once

#include <gio/gio.h>
#include "easel-comparison.h"

G_BEGIN_DECLS

typedef struct
{
  GBytes *image;   /* encoded image (PNG, JPEG, WebP), or NULL */
  char   *title;   /* "gpt-image-2 · high" */
  char   *detail;  /* "$0.167 · 4,160 tokens · 12.3 s", or why there is no image */
} EaselContactSheetItem;

EaselContactSheetItem *easel_contact_sheet_item_new  (GBytes     *image,
                                                      const char *title,
                                                      const char *detail);
void                   easel_contact_sheet_item_free (EaselContactSheetItem *self);

/* The detail line of a cell: actual cost (else "est. …"), tokens, time;
 * or its state or error. */
char      *easel_contact_sheet_cell_detail     (EaselComparisonCell *cell);
/* The items of every cell of @comparison, in grid order (main thread). */
GPtrArray *easel_contact_sheet_items_for       (EaselComparison     *comparison);

/* @items: EaselContactSheetItem*; @columns ≥ 1; @tile: the image edge in
 * pixels (0: 384). Returns the PNG. */
GBytes    *easel_contact_sheet_render          (const char  *heading,
                                                GPtrArray   *items,
                                                guint        columns,
                                                guint        tile,
                                                GError     **error);
/* The same for @comparison, in a worker thread. */
void       easel_contact_sheet_render_async    (EaselComparison     *comparison,
                                                guint                tile,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
GBytes    *easel_contact_sheet_render_finish   (GAsyncResult        *result,
                                                GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EaselContactSheetItem, easel_contact_sheet_item_free)

G_END_DECLS
