/* easel-gallery-model.h: the library as a lazily filled GListModel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "easel-gallery-item.h"
#include "easel-store.h"

G_BEGIN_DECLS

#define EASEL_GALLERY_MODEL_PAGE_SIZE 100

#define EASEL_TYPE_GALLERY_MODEL (easel_gallery_model_get_type ())
G_DECLARE_FINAL_TYPE (EaselGalleryModel, easel_gallery_model, EASEL, GALLERY_MODEL, GObject)

/* A GListModel of EaselGalleryItem. The count arrives first (with the first
 * page); other items are placeholders whose page is queried in a worker
 * thread when the view first asks for one of them.
 *
 * Properties: "store", "search-text", "model-filter" (NULL = any),
 * "since"/"until" (unix seconds, 0 = unbounded), "conversation-id"
 * (0 = any), "batch-job" (a batch job's library row, 0 = any), "starred-only", "sort" (EaselStoreSort as uint), "loading"
 * (the count query is running), "n-items". Changing a query property
 * re-queries from scratch. Signal "load-failed" (GError*). */
EaselGalleryModel *easel_gallery_model_new               (EaselStore *store);
EaselStore        *easel_gallery_model_get_store         (EaselGalleryModel *self);
void               easel_gallery_model_set_store         (EaselGalleryModel *self,
                                                          EaselStore        *store);
const char        *easel_gallery_model_get_search_text   (EaselGalleryModel *self);
void               easel_gallery_model_set_search_text   (EaselGalleryModel *self,
                                                          const char        *text);
const char        *easel_gallery_model_get_model_filter  (EaselGalleryModel *self);
void               easel_gallery_model_set_model_filter  (EaselGalleryModel *self,
                                                          const char        *model);
void               easel_gallery_model_set_date_range    (EaselGalleryModel *self,
                                                          gint64             since,
                                                          gint64             until);
gint64             easel_gallery_model_get_comparison_id   (EaselGalleryModel *self);
void               easel_gallery_model_set_comparison_id   (EaselGalleryModel *self,
                                                            gint64             comparison_id);
gint64             easel_gallery_model_get_conversation_id (EaselGalleryModel *self);
void               easel_gallery_model_set_conversation_id (EaselGalleryModel *self,
                                                            gint64             conversation_id);
gint64             easel_gallery_model_get_batch_job     (EaselGalleryModel *self);
void               easel_gallery_model_set_batch_job     (EaselGalleryModel *self,
                                                          gint64             batch_job);
gboolean           easel_gallery_model_get_starred_only  (EaselGalleryModel *self);
void               easel_gallery_model_set_starred_only  (EaselGalleryModel *self,
                                                          gboolean           starred_only);
EaselStoreSort     easel_gallery_model_get_sort          (EaselGalleryModel *self);
void               easel_gallery_model_set_sort          (EaselGalleryModel *self,
                                                          EaselStoreSort     sort);
gboolean           easel_gallery_model_get_loading       (EaselGalleryModel *self);
/* TRUE when a search or filter narrows the library: an empty result then
 * means "no results", not "no generations yet". */
gboolean           easel_gallery_model_has_filters       (EaselGalleryModel *self);
/* Re-runs the query (e.g. after a new generation was recorded). */
void               easel_gallery_model_reload            (EaselGalleryModel *self);
/* Drops one row locally after the store deleted it; the paging stays
 * consistent because the store's offsets shift the same way. */
void               easel_gallery_model_remove            (EaselGalleryModel *self,
                                                          guint              position);
/* Position of a loaded item with this generation id, or G_MAXUINT. */
guint              easel_gallery_model_find              (EaselGalleryModel *self,
                                                          gint64             id);
/* The generations at the @n_positions @positions (ascending), whether their rows are loaded
 * or were let go: rows not in memory are read again from the store, off
 * the main thread. Fails with G_IO_ERROR_CANCELLED when the query changes
 * meanwhile (the positions would name other rows). EaselGeneration*. */
void               easel_gallery_model_dup_generations_async  (EaselGalleryModel   *self,
                                                               const guint         *positions,
                                                               guint                n_positions,
                                                               GCancellable        *cancellable,
                                                               GAsyncReadyCallback  callback,
                                                               gpointer             user_data);
GPtrArray         *easel_gallery_model_dup_generations_finish (EaselGalleryModel   *self,
                                                               GAsyncResult        *result,
                                                               GError             **error);
/* Pages fetched so far (for tests and the benchmark). */
guint              easel_gallery_model_get_n_pages_loaded (EaselGalleryModel *self);

G_END_DECLS
