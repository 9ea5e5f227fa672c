/* easel-gallery-private.h: gallery internals for its tests and the benchmark
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "easel-gallery.h"
#include "easel-gallery-details.h"
#include "easel-gallery-model.h"

G_BEGIN_DECLS

EaselGalleryModel  *_easel_gallery_get_model        (EaselGallery *self);
GtkSelectionModel  *_easel_gallery_get_selection    (EaselGallery *self);
/* "grid", "empty" or "no-results"; "corrupt" when the library page shows. */
const char         *_easel_gallery_get_visible_page (EaselGallery *self);
EaselGalleryDetails *_easel_gallery_get_details     (EaselGallery *self);
/* The file a drag of @item carries (its export is written in the background). */
GFile *_easel_gallery_drag_file (EaselGallery *self, EaselGalleryItem *item);
GtkGridView        *_easel_gallery_get_grid_view    (EaselGallery *self);
/* How many loaded pages the model keeps (see easel-gallery-model.c). */
void _easel_gallery_model_set_max_loaded_pages (EaselGalleryModel *self, guint max_pages);

G_END_DECLS
