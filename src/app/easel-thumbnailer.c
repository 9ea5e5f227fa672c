/* easel-thumbnailer.c: gallery thumbnails, made in worker threads and cached on disk
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "easel-thumbnailer"

#include "config.h"

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "easel-thumbnailer.h"
#include "easel-image-size.h"

/* Decoding a 1536 px PNG costs ~10 MB for a moment; a handful of threads
 * would make scrolling spike memory, so at most this many run at once. */
#define MAX_RUNNING 2

struct _EaselThumbnailer
{
  GObject     parent_instance;

  char       *cache_dir;
  guint       max_in_memory;

  /* LRU: most recently used at the head. */
  GQueue      lru;               /* Entry* */
  GHashTable *by_hash;           /* sha256 → GList link in lru */

  /* Requests wait here; the newest runs first because that is what the
   * user scrolled to last. */
  GQueue      pending;           /* GTask* */
  guint       n_running;
};

typedef struct
{
  char       *sha256;
  GdkTexture *texture;
} Entry;

typedef struct
{
  GFile *image;
  char  *sha256;
  char  *cache_path;
} LoadData;

G_DEFINE_FINAL_TYPE (EaselThumbnailer, easel_thumbnailer, G_TYPE_OBJECT)

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_free (entry->sha256);
  g_clear_object (&entry->texture);
  g_free (entry);
}

static void
load_data_free (gpointer data)
{
  LoadData *ld = data;

  g_clear_object (&ld->image);
  g_free (ld->sha256);
  g_free (ld->cache_path);
  g_free (ld);
}

static void
easel_thumbnailer_finalize (GObject *object)
{
  EaselThumbnailer *self = EASEL_THUMBNAILER (object);

  g_assert (self->n_running == 0);
  g_assert (g_queue_is_empty (&self->pending));

  easel_thumbnailer_trim (self);
  g_clear_pointer (&self->by_hash, g_hash_table_unref);
  g_clear_pointer (&self->cache_dir, g_free);

  G_OBJECT_CLASS (easel_thumbnailer_parent_class)->finalize (object);
}

static void
easel_thumbnailer_class_init (EaselThumbnailerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = easel_thumbnailer_finalize;
}

static void
easel_thumbnailer_init (EaselThumbnailer *self)
{
  g_queue_init (&self->lru);
  g_queue_init (&self->pending);
  self->by_hash = g_hash_table_new (g_str_hash, g_str_equal);
}

EaselThumbnailer *
easel_thumbnailer_new (const char *cache_dir,
                       guint       max_in_memory)
{
  EaselThumbnailer *self = g_object_new (EASEL_TYPE_THUMBNAILER, NULL);

  if (cache_dir != NULL)
    self->cache_dir = g_strdup (cache_dir);
  else
    self->cache_dir = g_build_filename (g_get_user_cache_dir (), "easel", "thumbnails", NULL);
  self->max_in_memory = max_in_memory;

  return self;
}

EaselThumbnailer *
easel_thumbnailer_get_default (void)
{
  static EaselThumbnailer *instance;

  /* About 60 × 256 KB: enough for a screenful plus the rows just scrolled past. */
  if (instance == NULL)
    instance = easel_thumbnailer_new (NULL, 64);

  return instance;
}

const char *
easel_thumbnailer_get_cache_dir (EaselThumbnailer *self)
{
  g_return_val_if_fail (EASEL_IS_THUMBNAILER (self), NULL);

  return self->cache_dir;
}

guint
easel_thumbnailer_get_n_in_memory (EaselThumbnailer *self)
{
  g_return_val_if_fail (EASEL_IS_THUMBNAILER (self), 0);

  return self->lru.length;
}

void
easel_thumbnailer_trim (EaselThumbnailer *self)
{
  g_return_if_fail (EASEL_IS_THUMBNAILER (self));

  g_hash_table_remove_all (self->by_hash);
  g_queue_clear_full (&self->lru, entry_free);
}

GdkTexture *
easel_thumbnailer_lookup (EaselThumbnailer *self,
                          const char       *sha256)
{
  GList *link;

  g_return_val_if_fail (EASEL_IS_THUMBNAILER (self), NULL);

  if (sha256 == NULL || self->max_in_memory == 0)
    return NULL;

  link = g_hash_table_lookup (self->by_hash, sha256);
  if (link == NULL)
    return NULL;

  g_queue_unlink (&self->lru, link);
  g_queue_push_head_link (&self->lru, link);

  return g_object_ref (((Entry *) link->data)->texture);
}

static void
remember (EaselThumbnailer *self,
          const char       *sha256,
          GdkTexture       *texture)
{
  Entry *entry;

  if (self->max_in_memory == 0 || g_hash_table_contains (self->by_hash, sha256))
    return;

  entry = g_new0 (Entry, 1);
  entry->sha256 = g_strdup (sha256);
  entry->texture = g_object_ref (texture);
  g_queue_push_head (&self->lru, entry);
  g_hash_table_insert (self->by_hash, entry->sha256, self->lru.head);

  while (self->lru.length > self->max_in_memory)
    {
      Entry *old = g_queue_pop_tail (&self->lru);

      g_hash_table_remove (self->by_hash, old->sha256);
      entry_free (old);
    }
}

/* Worker thread from here to load_thread (). */

static void
on_size_prepared (GdkPixbufLoader *loader,
                  int              width,
                  int              height,
                  gpointer         user_data)
{
  int target = GPOINTER_TO_INT (user_data);
  int shorter = MIN (width, height);

  /* The grid crops to a square, so the shorter side gets the full size. */
  if (shorter > target && shorter > 0)
    gdk_pixbuf_loader_set_size (loader,
                                MAX (1, (int) ((gint64) width * target / shorter)),
                                MAX (1, (int) ((gint64) height * target / shorter)));
}

static GdkPixbuf *
make_thumbnail (GFile         *image,
                GCancellable  *cancellable,
                GError       **error)
{
  g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
  g_autoptr(GBytes) bytes = NULL;
  GdkPixbuf *pixbuf;

  bytes = g_file_load_bytes (image, cancellable, NULL, error);
  if (bytes == NULL)
    return NULL;
  /* A library file came from a server or an import: check its header
   * before the loader allocates the full-size pixels it scales down. */
  if (!easel_image_check_size (bytes, NULL, NULL, error))
    return NULL;

  g_signal_connect (loader, "size-prepared", G_CALLBACK (on_size_prepared),
                    GINT_TO_POINTER (EASEL_THUMBNAIL_SIZE));

  if (!gdk_pixbuf_loader_write_bytes (loader, bytes, error))
    {
      gdk_pixbuf_loader_close (loader, NULL);
      return NULL;
    }
  if (!gdk_pixbuf_loader_close (loader, error))
    return NULL;

  pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);
  if (pixbuf == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Not an image");
      return NULL;
    }

  return gdk_pixbuf_apply_embedded_orientation (pixbuf);
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  LoadData *ld = task_data;
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GError) error = NULL;

  if (g_task_return_error_if_cancelled (task))
    return;

  /* A broken cache file is just regenerated. */
  pixbuf = gdk_pixbuf_new_from_file (ld->cache_path, NULL);

  if (pixbuf == NULL)
    {
      g_autofree char *buffer = NULL;
      g_autofree char *dir = NULL;
      gsize len = 0;

      pixbuf = make_thumbnail (ld->image, cancellable, &error);
      if (pixbuf == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }

      /* The cache is an optimisation: failing to write it is not an error.
       * g_file_set_contents writes a temporary file and renames it. */
      dir = g_path_get_dirname (ld->cache_path);
      if (g_mkdir_with_parents (dir, 0700) == 0 &&
          gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &len, "png", NULL, NULL))
        {
          if (!g_file_set_contents (ld->cache_path, buffer, len, &error))
            g_debug ("Could not cache thumbnail: %s", error->message);
        }
    }

  g_task_return_pointer (task, gdk_texture_new_for_pixbuf (pixbuf), g_object_unref);
}

/* Main thread again. */

static void run_pending (EaselThumbnailer *self);

static void
load_done (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  EaselThumbnailer *self = EASEL_THUMBNAILER (object);
  g_autoptr(GTask) outer = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  LoadData *ld = g_task_get_task_data (outer);

  g_assert (self->n_running > 0);
  self->n_running--;

  texture = g_task_propagate_pointer (G_TASK (result), &error);
  if (texture != NULL)
    remember (self, ld->sha256, texture);

  run_pending (self);

  if (texture != NULL)
    g_task_return_pointer (outer, g_steal_pointer (&texture), g_object_unref);
  else
    g_task_return_error (outer, g_steal_pointer (&error));
}

static void
run_pending (EaselThumbnailer *self)
{
  while (self->n_running < MAX_RUNNING && !g_queue_is_empty (&self->pending))
    {
      g_autoptr(GTask) outer = g_queue_pop_head (&self->pending);
      g_autoptr(GTask) inner = NULL;
      g_autoptr(GdkTexture) texture = NULL;
      LoadData *ld = g_task_get_task_data (outer);

      /* Cells that scrolled away cancel; skip them without a thread. */
      if (g_task_return_error_if_cancelled (outer))
        continue;

      /* Another request may have loaded it while this one waited. */
      texture = easel_thumbnailer_lookup (self, ld->sha256);
      if (texture != NULL)
        {
          g_task_return_pointer (outer, g_steal_pointer (&texture), g_object_unref);
          continue;
        }

      self->n_running++;
      inner = g_task_new (self, g_task_get_cancellable (outer), load_done, g_object_ref (outer));
      g_task_set_source_tag (inner, load_thread);
      g_task_set_task_data (inner, ld, NULL); /* owned by outer, which outlives inner */
      g_task_run_in_thread (inner, load_thread);
    }
}

void
easel_thumbnailer_load_async (EaselThumbnailer    *self,
                              GFile               *image,
                              const char          *sha256,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *name = NULL;
  LoadData *ld;

  g_return_if_fail (EASEL_IS_THUMBNAILER (self));
  g_return_if_fail (G_IS_FILE (image));
  g_return_if_fail (sha256 != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_thumbnailer_load_async);

  texture = easel_thumbnailer_lookup (self, sha256);
  if (texture != NULL)
    {
      g_task_return_pointer (task, g_steal_pointer (&texture), g_object_unref);
      return;
    }

  ld = g_new0 (LoadData, 1);
  ld->image = g_object_ref (image);
  ld->sha256 = g_strdup (sha256);
  name = g_strdup_printf ("%s-%d.png", sha256, EASEL_THUMBNAIL_SIZE);
  ld->cache_path = g_build_filename (self->cache_dir, name, NULL);
  g_task_set_task_data (task, ld, load_data_free);

  g_queue_push_head (&self->pending, g_steal_pointer (&task));
  run_pending (self);
}

GdkTexture *
easel_thumbnailer_load_finish (EaselThumbnailer  *self,
                               GAsyncResult      *result,
                               GError           **error)
{
  g_return_val_if_fail (EASEL_IS_THUMBNAILER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
