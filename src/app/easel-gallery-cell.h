/* easel-gallery-cell.h: one thumbnail in the gallery grid
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "easel-gallery-item.h"

G_BEGIN_DECLS

#define EASEL_TYPE_GALLERY_CELL (easel_gallery_cell_get_type ())
G_DECLARE_FINAL_TYPE (EaselGalleryCell, easel_gallery_cell, EASEL, GALLERY_CELL, GtkWidget)

GtkWidget        *easel_gallery_cell_new      (void);
EaselGalleryItem *easel_gallery_cell_get_item (EaselGalleryCell *self);
/* Setting NULL (the factory does on unbind) drops the thumbnail texture so
 * only visible cells hold one. */
void              easel_gallery_cell_set_item (EaselGalleryCell *self,
                                               EaselGalleryItem *item);
gboolean          easel_gallery_cell_has_texture (EaselGalleryCell *self);

G_END_DECLS
