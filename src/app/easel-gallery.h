/* easel-gallery.h: the gallery of every generation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>
#include "easel-store.h"

G_BEGIN_DECLS

#define EASEL_TYPE_GALLERY (easel_gallery_get_type ())
G_DECLARE_FINAL_TYPE (EaselGallery, easel_gallery, EASEL, GALLERY, GtkWidget)

/* Signals (the studio window connects to them):
 *   "continue-conversation" (gint64 conversation_id, gint64 turn_id)
 *   "reuse-parameters"      (const char *params_json)  -- EaselRequest params as JSON
 *   "use-as-input"          (GFile *image_file)
 *   "toast"                 (const char *message)      -- the window shows an AdwToast
 * Property "store" (EaselStore). */
GtkWidget *easel_gallery_new          (EaselStore   *store);
EaselStore *easel_gallery_get_store   (EaselGallery *self);
void       easel_gallery_set_store    (EaselGallery *self, EaselStore *store);
/* Re-runs the query, e.g. after the studio recorded a new generation. */
void       easel_gallery_reload       (EaselGallery *self);
/* Ctrl+F from the window. */
void       easel_gallery_focus_search (EaselGallery *self);

G_END_DECLS
