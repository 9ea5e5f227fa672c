/* easel-thumbnailer.h: gallery thumbnails, made in worker threads and cached on disk
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define EASEL_THUMBNAIL_SIZE 256

#define EASEL_TYPE_THUMBNAILER (easel_thumbnailer_get_type ())
G_DECLARE_FINAL_TYPE (EaselThumbnailer, easel_thumbnailer, EASEL, THUMBNAILER, GObject)

/* Thumbnails go to @cache_dir as "<sha256>-<size>.png"; NULL means
 * $XDG_CACHE_HOME/easel/thumbnails. At most @max_in_memory textures are kept
 * in memory (a small LRU); everything else is dropped and reloaded from disk. */
EaselThumbnailer *easel_thumbnailer_new            (const char *cache_dir,
                                                    guint       max_in_memory);
/* The shared instance the gallery cells use. */
EaselThumbnailer *easel_thumbnailer_get_default    (void);
const char       *easel_thumbnailer_get_cache_dir  (EaselThumbnailer *self);

/* A texture already in the memory LRU, or NULL. Never touches the disk. */
GdkTexture       *easel_thumbnailer_lookup         (EaselThumbnailer *self,
                                                    const char       *sha256);
/* Loads the cached thumbnail of @image (identified by its content hash
 * @sha256), or makes it from @image in a worker thread and caches it. */
void              easel_thumbnailer_load_async     (EaselThumbnailer    *self,
                                                    GFile               *image,
                                                    const char          *sha256,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
GdkTexture       *easel_thumbnailer_load_finish    (EaselThumbnailer  *self,
                                                    GAsyncResult      *result,
                                                    GError           **error);
guint             easel_thumbnailer_get_n_in_memory (EaselThumbnailer *self);
/* Drops every texture held in memory (the disk cache stays). */
void              easel_thumbnailer_trim           (EaselThumbnailer *self);

G_END_DECLS
