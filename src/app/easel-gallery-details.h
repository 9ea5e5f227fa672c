/* easel-gallery-details.h: the side pane showing one generation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "easel-gallery-item.h"
#include "easel-store.h"

G_BEGIN_DECLS

#define EASEL_TYPE_GALLERY_DETAILS (easel_gallery_details_get_type ())
G_DECLARE_FINAL_TYPE (EaselGalleryDetails, easel_gallery_details, EASEL, GALLERY_DETAILS, GtkWidget)

/* Its buttons activate gallery.* actions, so it only works inside an
 * EaselGallery. Properties "item" and "store". */
EaselGalleryItem *easel_gallery_details_get_item  (EaselGalleryDetails *self);
void              easel_gallery_details_set_item  (EaselGalleryDetails *self,
                                                   EaselGalleryItem    *item);
void              easel_gallery_details_set_store (EaselGalleryDetails *self,
                                                   EaselStore          *store);

G_END_DECLS
