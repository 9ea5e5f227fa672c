/* easel-gallery-item.h: one generation in the gallery, a placeholder until its page loads
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "easel-store.h"

G_BEGIN_DECLS

#define EASEL_TYPE_GALLERY_ITEM (easel_gallery_item_get_type ())
G_DECLARE_FINAL_TYPE (EaselGalleryItem, easel_gallery_item, EASEL, GALLERY_ITEM, GObject)

/* Properties: "loaded" (boolean), "position" (uint), "generation"
 * (EaselGeneration, NULL while loading), "starred" (boolean). */
EaselGalleryItem *easel_gallery_item_new            (guint position);
guint             easel_gallery_item_get_position   (EaselGalleryItem *self);
gboolean          easel_gallery_item_get_loaded     (EaselGalleryItem *self);
/* The store's snapshot, or NULL while the page is loading. */
EaselGeneration  *easel_gallery_item_get_generation (EaselGalleryItem *self);
void              easel_gallery_item_set_generation (EaselGalleryItem *self,
                                                     EaselGeneration  *generation);
/* 0 while loading. */
gint64            easel_gallery_item_get_id         (EaselGalleryItem *self);
/* The snapshot never changes, so the item carries the live star state. */
gboolean          easel_gallery_item_get_starred    (EaselGalleryItem *self);
void              easel_gallery_item_set_starred    (EaselGalleryItem *self,
                                                     gboolean          starred);
/* NULL while loading or when the generation has no image (a failure). */
GFile            *easel_gallery_item_dup_file       (EaselGalleryItem *self);

G_END_DECLS
