/* easel-gallery.h: the gallery of every generation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>
#include "easel-library.h"

G_BEGIN_DECLS

#define EASEL_TYPE_GALLERY (easel_gallery_get_type ())
G_DECLARE_FINAL_TYPE (EaselGallery, easel_gallery, EASEL, GALLERY, GtkWidget)

/* Signals (the studio window connects to them):
 *   "continue-conversation" (gint64 conversation_id, gint64 turn_id)
 *   "reuse-parameters"      (const char *params_json)  -- EaselRequest params as JSON
 *   "use-as-input"          (GFile *image_file)
 *   "toast"                 (const char *message)      -- the window shows an AdwToast
 * Property "library" (EaselLibrary, construct-only): the gallery follows
 * its state (the store once ready, the error page with a way out when it
 * could not be opened) and sends every write through it. */
GtkWidget *easel_gallery_new          (EaselLibrary *library);
/* The library's store while it is ready, else NULL. */
EaselStore *easel_gallery_get_store   (EaselGallery *self);
/* Re-runs the query, e.g. after the studio recorded a new generation. */
void       easel_gallery_reload       (EaselGallery *self);
/* Shows only the images of batch job @job_id (the library's row; 0 shows
 * everything again), with a button named after @label (the batch id)
 * that removes the filter. */
void       easel_gallery_show_batch   (EaselGallery *self,
                                       gint64        job_id,
                                       const char   *label);
/* Ctrl+F from the window. */
void       easel_gallery_focus_search (EaselGallery *self);
/* Shows only the images of Compare set @comparison_id (0: every image);
 * a button in the filter bar says so and shows every image again. */
void       easel_gallery_show_comparison (EaselGallery *self,
                                          gint64        comparison_id);

/* Added by the gallery work: */
/* What dropping @file on the gallery does: an Easel PNG restores its
 * conversation and emits "continue-conversation"; another image emits
 * "use-as-input". The window can call it from its own drop target. */
void       easel_gallery_import_file     (EaselGallery *self,
                                          GFile        *file);

/* GNOME Shell's search: the search entry's text (the grid follows), and
 * one generation in the details pane (selected when its page is loaded). */
void       easel_gallery_set_search_text (EaselGallery    *self,
                                          const char      *text);
void       easel_gallery_show_generation (EaselGallery    *self,
                                          EaselGeneration *generation);

G_END_DECLS
