/* easel-gallery-model.c: the library as a lazily filled GListModel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "easel-gallery-model"

#include "config.h"

#include "easel-gallery-model.h"
#include "easel-gallery-private.h"

/* The store serialises SQLite behind a mutex, so more would only queue. */
#define MAX_PAGE_QUERIES 2

/* Loaded pages kept beyond the ones the view holds: a fling through a
 * 100,000-image library would otherwise keep every row it passed. Forty
 * pages are a few MB and many screens of scrolling back. */
#define DEFAULT_MAX_LOADED_PAGES 40

struct _EaselGalleryModel
{
  GObject         parent_instance;

  EaselStore     *store;
  GCancellable   *cancellable;
  guint           serial;          /* bumped on every reset: late results are dropped */

  /* The query */
  char           *search_text;
  char           *model_filter;
  gint64          since;
  gint64          until;
  gint64          conversation_id;
  gint64          comparison_id;
  gint64          batch_job;
  gboolean        starred_only;
  EaselStoreSort  sort;

  /* Item i is NULL (never asked for), a placeholder, or loaded. The
   * load state lives in the items, so a local removal keeps it right. */
  GPtrArray      *items;
  gboolean        loading;

  GQueue          pending;         /* page offsets (GUINT_TO_POINTER) waiting to run, newest first */
  GHashTable     *requested;       /* page offsets pending or running */
  guint           n_running;
  guint           n_pages_loaded;
  GQueue          loaded;          /* page offsets (GUINT_TO_POINTER), most recently loaded first */
  guint           max_loaded_pages;
};

typedef struct
{
  EaselGalleryModel *self;
  guint              serial;
  guint              offset;
} PageRequest;

enum {
  PROP_0,
  PROP_STORE,
  PROP_SEARCH_TEXT,
  PROP_MODEL_FILTER,
  PROP_SINCE,
  PROP_UNTIL,
  PROP_CONVERSATION_ID,
  PROP_BATCH_JOB,
  PROP_STARRED_ONLY,
  PROP_SORT,
  PROP_LOADING,
  PROP_N_ITEMS,
  N_PROPS
};

enum {
  LOAD_FAILED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void list_model_iface_init (GListModelInterface *iface);
static void easel_gallery_model_reset (EaselGalleryModel *self);

G_DEFINE_FINAL_TYPE_WITH_CODE (EaselGalleryModel, easel_gallery_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

/* Item slots may be NULL: never asked for. */
static void
item_unref (gpointer item)
{
  if (item != NULL)
    g_object_unref (item);
}

static EaselStoreQuery *
make_query (EaselGalleryModel *self,
            guint              offset,
            guint              limit)
{
  EaselStoreQuery *query = easel_store_query_new ();

  query->text = g_strdup (self->search_text);
  query->model = g_strdup (self->model_filter);
  query->since = self->since;
  query->until = self->until;
  query->conversation_id = self->conversation_id;
  query->comparison_id = self->comparison_id;
  query->batch_job = self->batch_job;
  query->starred_only = self->starred_only;
  query->include_failed = FALSE;
  query->deleted_only = FALSE;
  query->sort = self->sort;
  query->offset = offset;
  query->limit = limit;

  return query;
}

static void
fill_items (EaselGalleryModel *self,
            guint              offset,
            GPtrArray         *generations)
{
  for (guint i = 0; i < generations->len; i++)
    {
      guint pos = offset + i;
      EaselGalleryItem *item;

      if (pos >= self->items->len)
        break;

      item = g_ptr_array_index (self->items, pos);
      if (item == NULL)
        {
          item = easel_gallery_item_new (pos);
          self->items->pdata[pos] = item;
        }

      /* A placeholder the view already holds notifies "loaded" in place:
       * no items-changed, so the grid keeps its scroll position. */
      if (!easel_gallery_item_get_loaded (item))
        easel_gallery_item_set_generation (item, g_ptr_array_index (generations, i));
    }
}

/* Drops the rows of the page loaded longest ago. Only items nobody else
 * holds go: a cell's, the details pane's or a caller's item stays loaded,
 * and an emptied slot turns back into a placeholder when asked for again. */
static void
remember_page (EaselGalleryModel *self,
               guint              offset)
{
  gpointer key = GUINT_TO_POINTER (offset);
  GList *link = g_queue_find (&self->loaded, key);

  if (link != NULL)
    g_queue_unlink (&self->loaded, link);
  else
    link = g_list_alloc ();
  link->data = key;
  g_queue_push_head_link (&self->loaded, link);

  while (self->loaded.length > self->max_loaded_pages)
    {
      guint old = GPOINTER_TO_UINT (g_queue_pop_tail (&self->loaded));
      guint end = MIN (old + EASEL_GALLERY_MODEL_PAGE_SIZE, self->items->len);

      for (guint pos = old; pos < end; pos++)
        {
          GObject *item = g_ptr_array_index (self->items, pos);

          /* The model's reference is the only one: no view or caller sees it. */
          if (item != NULL && g_atomic_int_get (&item->ref_count) == 1)
            {
              self->items->pdata[pos] = NULL;
              g_object_unref (item);
            }
        }
    }
}

static void run_pending (EaselGalleryModel *self);

static void
page_query_done (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  PageRequest *req = user_data;
  g_autoptr(EaselGalleryModel) self = req->self;
  g_autoptr(GPtrArray) generations = NULL;
  g_autoptr(GError) error = NULL;
  guint offset = req->offset;
  gboolean current = req->serial == self->serial;

  g_free (req);

  generations = easel_store_query_finish (EASEL_STORE (object), result, NULL, &error);

  if (!current)
    return;

  g_assert (self->n_running > 0);
  self->n_running--;
  g_hash_table_remove (self->requested, GUINT_TO_POINTER (offset));

  if (generations == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_warning ("Could not load gallery page at %u: %s", offset, error->message);
          g_signal_emit (self, signals[LOAD_FAILED], 0, error);
        }
    }
  else
    {
      self->n_pages_loaded++;
      fill_items (self, offset, generations);
      remember_page (self, offset);
    }

  run_pending (self);
}

static void
run_pending (EaselGalleryModel *self)
{
  while (self->store != NULL &&
         self->n_running < MAX_PAGE_QUERIES &&
         !g_queue_is_empty (&self->pending))
    {
      guint offset = GPOINTER_TO_UINT (g_queue_pop_head (&self->pending));
      g_autoptr(EaselStoreQuery) query = make_query (self, offset, EASEL_GALLERY_MODEL_PAGE_SIZE);
      PageRequest *req = g_new0 (PageRequest, 1);

      query->skip_count = TRUE;     /* the first page brought it */
      req->self = g_object_ref (self);
      req->serial = self->serial;
      req->offset = offset;
      self->n_running++;
      easel_store_query_async (self->store, query, self->cancellable, page_query_done, req);
    }
}

static void
request_page_for (EaselGalleryModel *self,
                  guint              position)
{
  guint offset = position - position % EASEL_GALLERY_MODEL_PAGE_SIZE;
  gpointer key = GUINT_TO_POINTER (offset);

  if (g_hash_table_contains (self->requested, key))
    {
      /* Move a waiting page to the front: the view wants it now. */
      GList *link = g_queue_find (&self->pending, key);

      if (link != NULL)
        {
          g_queue_unlink (&self->pending, link);
          g_queue_push_head_link (&self->pending, link);
        }
      return;
    }

  g_hash_table_add (self->requested, key);
  g_queue_push_head (&self->pending, key);
  run_pending (self);
}

static GType
easel_gallery_model_get_item_type (GListModel *model)
{
  return EASEL_TYPE_GALLERY_ITEM;
}

static guint
easel_gallery_model_get_n_items (GListModel *model)
{
  return EASEL_GALLERY_MODEL (model)->items->len;
}

static gpointer
easel_gallery_model_get_item (GListModel *model,
                              guint       position)
{
  EaselGalleryModel *self = EASEL_GALLERY_MODEL (model);
  EaselGalleryItem *item;

  if (position >= self->items->len)
    return NULL;

  item = g_ptr_array_index (self->items, position);
  if (item == NULL)
    {
      item = easel_gallery_item_new (position);
      self->items->pdata[position] = item;
    }

  if (!easel_gallery_item_get_loaded (item))
    request_page_for (self, position);

  return g_object_ref (item);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = easel_gallery_model_get_item_type;
  iface->get_n_items = easel_gallery_model_get_n_items;
  iface->get_item = easel_gallery_model_get_item;
}

static void
set_loading (EaselGalleryModel *self,
             gboolean           loading)
{
  if (self->loading == loading)
    return;

  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
first_query_done (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  PageRequest *req = user_data;
  g_autoptr(EaselGalleryModel) self = req->self;
  g_autoptr(GPtrArray) generations = NULL;
  g_autoptr(GPtrArray) old_items = NULL;
  g_autoptr(GError) error = NULL;
  guint total = 0;
  guint old_n;
  gboolean current = req->serial == self->serial;

  g_free (req);

  generations = easel_store_query_finish (EASEL_STORE (object), result, &total, &error);

  if (!current)
    return;

  if (generations == NULL)
    {
      set_loading (self, FALSE);
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_warning ("Could not query the library: %s", error->message);
          g_signal_emit (self, signals[LOAD_FAILED], 0, error);
        }
      return;
    }

  old_items = g_steal_pointer (&self->items);
  old_n = old_items->len;

  self->items = g_ptr_array_new_full (total, item_unref);
  g_ptr_array_set_size (self->items, MAX (total, generations->len));
  self->n_pages_loaded = 1;
  fill_items (self, 0, generations);
  g_queue_clear (&self->loaded);
  remember_page (self, 0);

  /* Items first, so whoever watches "loading" sees the new count. */
  g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, self->items->len);
  if (old_n != self->items->len)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
  set_loading (self, FALSE);
}

static void
easel_gallery_model_reset (EaselGalleryModel *self)
{
  g_autoptr(EaselStoreQuery) query = NULL;
  PageRequest *req;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->serial++;
  self->n_running = 0;
  g_queue_clear (&self->pending);
  g_hash_table_remove_all (self->requested);

  if (self->store == NULL)
    {
      guint old_n = self->items->len;

      g_ptr_array_set_size (self->items, 0);
      set_loading (self, FALSE);
      if (old_n > 0)
        {
          g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, 0);
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
        }
      return;
    }

  /* The old items stay until the new count arrives, so the grid does not
   * flash empty while the user types. */
  set_loading (self, TRUE);

  query = make_query (self, 0, EASEL_GALLERY_MODEL_PAGE_SIZE);
  req = g_new0 (PageRequest, 1);
  req->self = g_object_ref (self);
  req->serial = self->serial;
  easel_store_query_async (self->store, query, self->cancellable, first_query_done, req);
}

static void
easel_gallery_model_dispose (GObject *object)
{
  EaselGalleryModel *self = EASEL_GALLERY_MODEL (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->store);
  g_queue_clear (&self->pending);
  g_queue_clear (&self->loaded);
  if (self->requested)
    g_hash_table_remove_all (self->requested);
  if (self->items)
    g_ptr_array_set_size (self->items, 0);

  G_OBJECT_CLASS (easel_gallery_model_parent_class)->dispose (object);
}

static void
easel_gallery_model_finalize (GObject *object)
{
  EaselGalleryModel *self = EASEL_GALLERY_MODEL (object);

  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_pointer (&self->requested, g_hash_table_unref);
  g_clear_pointer (&self->search_text, g_free);
  g_clear_pointer (&self->model_filter, g_free);

  G_OBJECT_CLASS (easel_gallery_model_parent_class)->finalize (object);
}

static void
easel_gallery_model_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  EaselGalleryModel *self = EASEL_GALLERY_MODEL (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;
    case PROP_SEARCH_TEXT:
      g_value_set_string (value, self->search_text);
      break;
    case PROP_MODEL_FILTER:
      g_value_set_string (value, self->model_filter);
      break;
    case PROP_SINCE:
      g_value_set_int64 (value, self->since);
      break;
    case PROP_UNTIL:
      g_value_set_int64 (value, self->until);
      break;
    case PROP_CONVERSATION_ID:
      g_value_set_int64 (value, self->conversation_id);
      break;
    case PROP_BATCH_JOB:
      g_value_set_int64 (value, self->batch_job);
      break;
    case PROP_STARRED_ONLY:
      g_value_set_boolean (value, self->starred_only);
      break;
    case PROP_SORT:
      g_value_set_uint (value, self->sort);
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->items->len);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_gallery_model_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  EaselGalleryModel *self = EASEL_GALLERY_MODEL (object);

  switch (prop_id)
    {
    case PROP_STORE:
      easel_gallery_model_set_store (self, g_value_get_object (value));
      break;
    case PROP_SEARCH_TEXT:
      easel_gallery_model_set_search_text (self, g_value_get_string (value));
      break;
    case PROP_MODEL_FILTER:
      easel_gallery_model_set_model_filter (self, g_value_get_string (value));
      break;
    case PROP_SINCE:
      easel_gallery_model_set_date_range (self, g_value_get_int64 (value), self->until);
      break;
    case PROP_UNTIL:
      easel_gallery_model_set_date_range (self, self->since, g_value_get_int64 (value));
      break;
    case PROP_CONVERSATION_ID:
      easel_gallery_model_set_conversation_id (self, g_value_get_int64 (value));
      break;
    case PROP_BATCH_JOB:
      easel_gallery_model_set_batch_job (self, g_value_get_int64 (value));
      break;
    case PROP_STARRED_ONLY:
      easel_gallery_model_set_starred_only (self, g_value_get_boolean (value));
      break;
    case PROP_SORT:
      easel_gallery_model_set_sort (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_gallery_model_class_init (EaselGalleryModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = easel_gallery_model_dispose;
  object_class->finalize = easel_gallery_model_finalize;
  object_class->get_property = easel_gallery_model_get_property;
  object_class->set_property = easel_gallery_model_set_property;

  properties[PROP_STORE] = g_param_spec_object ("store", NULL, NULL, EASEL_TYPE_STORE, rw);
  properties[PROP_SEARCH_TEXT] = g_param_spec_string ("search-text", NULL, NULL, NULL, rw);
  properties[PROP_MODEL_FILTER] = g_param_spec_string ("model-filter", NULL, NULL, NULL, rw);
  properties[PROP_SINCE] = g_param_spec_int64 ("since", NULL, NULL, 0, G_MAXINT64, 0, rw);
  properties[PROP_UNTIL] = g_param_spec_int64 ("until", NULL, NULL, 0, G_MAXINT64, 0, rw);
  properties[PROP_CONVERSATION_ID] = g_param_spec_int64 ("conversation-id", NULL, NULL, 0, G_MAXINT64, 0, rw);
  properties[PROP_BATCH_JOB] = g_param_spec_int64 ("batch-job", NULL, NULL, 0, G_MAXINT64, 0, rw);
  properties[PROP_STARRED_ONLY] = g_param_spec_boolean ("starred-only", NULL, NULL, FALSE, rw);
  properties[PROP_SORT] = g_param_spec_uint ("sort", NULL, NULL,
                                             EASEL_STORE_SORT_NEWEST, EASEL_STORE_SORT_COST,
                                             EASEL_STORE_SORT_NEWEST, rw);
  properties[PROP_LOADING] = g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                                                   G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] = g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                                                G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[LOAD_FAILED] =
    g_signal_new ("load-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
easel_gallery_model_init (EaselGalleryModel *self)
{
  self->items = g_ptr_array_new_with_free_func (item_unref);
  self->requested = g_hash_table_new (NULL, NULL);
  self->sort = EASEL_STORE_SORT_NEWEST;
  self->max_loaded_pages = DEFAULT_MAX_LOADED_PAGES;
  g_queue_init (&self->pending);
  g_queue_init (&self->loaded);
}

EaselGalleryModel *
easel_gallery_model_new (EaselStore *store)
{
  g_return_val_if_fail (!store || EASEL_IS_STORE (store), NULL);

  return g_object_new (EASEL_TYPE_GALLERY_MODEL, "store", store, NULL);
}

EaselStore *
easel_gallery_model_get_store (EaselGalleryModel *self)
{
  g_return_val_if_fail (EASEL_IS_GALLERY_MODEL (self), NULL);

  return self->store;
}

void
easel_gallery_model_set_store (EaselGalleryModel *self,
                               EaselStore        *store)
{
  g_return_if_fail (EASEL_IS_GALLERY_MODEL (self));
  g_return_if_fail (!store || EASEL_IS_STORE (store));

  if (!g_set_object (&self->store, store))
    return;

  easel_gallery_model_reset (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORE]);
}

static gboolean
set_string (char       **field,
            const char  *value)
{
  /* "" and NULL both mean "no filter". */
  if (value != NULL && *value == '\0')
    value = NULL;

  /* g_set_str () is GLib 2.76. */
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;

  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

const char *
easel_gallery_model_get_search_text (EaselGalleryModel *self)
{
  g_return_val_if_fail (EASEL_IS_GALLERY_MODEL (self), NULL);

  return self->search_text;
}

void
easel_gallery_model_set_search_text (EaselGalleryModel *self,
                                     const char        *text)
{
  g_autofree char *stripped = NULL;

  g_return_if_fail (EASEL_IS_GALLERY_MODEL (self));

  if (text != NULL)
    stripped = g_strstrip (g_strdup (text));

  if (set_string (&self->search_text, stripped))
    {
      easel_gallery_model_reset (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEARCH_TEXT]);
    }
}

const char *
easel_gallery_model_get_model_filter (EaselGalleryModel *self)
{
  g_return_val_if_fail (EASEL_IS_GALLERY_MODEL (self), NULL);

  return self->model_filter;
}

void
easel_gallery_model_set_model_filter (EaselGalleryModel *self,
                                      const char        *model)
{
  g_return_if_fail (EASEL_IS_GALLERY_MODEL (self));

  if (set_string (&self->model_filter, model))
    {
      easel_gallery_model_reset (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL_FILTER]);
    }
}

void
easel_gallery_model_set_date_range (EaselGalleryModel *self,
                                    gint64             since,
                                    gint64             until)
{
  g_return_if_fail (EASEL_IS_GALLERY_MODEL (self));

  if (self->since == since && self->until == until)
    return;

  g_object_freeze_notify (G_OBJECT (self));
  if (self->since != since)
    {
      self->since = since;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SINCE]);
    }
  if (self->until != until)
    {
      self->until = until;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNTIL]);
    }
  easel_gallery_model_reset (self);
  g_object_thaw_notify (G_OBJECT (self));
}

gint64
easel_gallery_model_get_conversation_id (EaselGalleryModel *self)
{
  g_return_val_if_fail (EASEL_IS_GALLERY_MODEL (self), 0);

  return self->conversation_id;
}

void
easel_gallery_model_set_conversation_id (EaselGalleryModel *self,
                                         gint64             conversation_id)
{
  g_return_if_fail (EASEL_IS_GALLERY_MODEL (self));

  if (self->conversation_id == conversation_id)
    return;

  self->conversation_id = conversation_id;
  easel_gallery_model_reset (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONVERSATION_ID]);
}

gint64
easel_gallery_model_get_comparison_id (EaselGalleryModel *self)
{
  g_return_val_if_fail (EASEL_IS_GALLERY_MODEL (self), 0);

  return self->comparison_id;
}

/* Only the images of one Compare set (0: any). */
void
easel_gallery_model_set_comparison_id (EaselGalleryModel *self,
                                       gint64             comparison_id)
{
  g_return_if_fail (EASEL_IS_GALLERY_MODEL (self));

  if (self->comparison_id == comparison_id)
    return;
  self->comparison_id = comparison_id;
  easel_gallery_model_reset (self);
}

gint64
easel_gallery_model_get_batch_job (EaselGalleryModel *self)
{
  g_return_val_if_fail (EASEL_IS_GALLERY_MODEL (self), 0);

  return self->batch_job;
}

void
easel_gallery_model_set_batch_job (EaselGalleryModel *self,
                                   gint64             batch_job)
{
  g_return_if_fail (EASEL_IS_GALLERY_MODEL (self));

  if (self->batch_job == batch_job)
    return;

  self->batch_job = batch_job;
  easel_gallery_model_reset (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BATCH_JOB]);
}

gboolean
easel_gallery_model_get_starred_only (EaselGalleryModel *self)
{
  g_return_val_if_fail (EASEL_IS_GALLERY_MODEL (self), FALSE);

  return self->starred_only;
}

void
easel_gallery_model_set_starred_only (EaselGalleryModel *self,
                                      gboolean           starred_only)
{
  g_return_if_fail (EASEL_IS_GALLERY_MODEL (self));

  starred_only = !!starred_only;
  if (self->starred_only == starred_only)
    return;

  self->starred_only = starred_only;
  easel_gallery_model_reset (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STARRED_ONLY]);
}

EaselStoreSort
easel_gallery_model_get_sort (EaselGalleryModel *self)
{
  g_return_val_if_fail (EASEL_IS_GALLERY_MODEL (self), EASEL_STORE_SORT_NEWEST);

  return self->sort;
}

void
easel_gallery_model_set_sort (EaselGalleryModel *self,
                              EaselStoreSort     sort)
{
  g_return_if_fail (EASEL_IS_GALLERY_MODEL (self));
  g_return_if_fail (sort <= EASEL_STORE_SORT_COST);

  if (self->sort == sort)
    return;

  self->sort = sort;
  easel_gallery_model_reset (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SORT]);
}

gboolean
easel_gallery_model_get_loading (EaselGalleryModel *self)
{
  g_return_val_if_fail (EASEL_IS_GALLERY_MODEL (self), FALSE);

  return self->loading;
}

gboolean
easel_gallery_model_has_filters (EaselGalleryModel *self)
{
  g_return_val_if_fail (EASEL_IS_GALLERY_MODEL (self), FALSE);

  return self->search_text != NULL || self->model_filter != NULL ||
         self->since != 0 || self->until != 0 ||
         self->conversation_id != 0 || self->comparison_id != 0 || self->batch_job != 0 ||
         self->starred_only;
}

void
easel_gallery_model_reload (EaselGalleryModel *self)
{
  g_return_if_fail (EASEL_IS_GALLERY_MODEL (self));

  easel_gallery_model_reset (self);
}

void
easel_gallery_model_remove (EaselGalleryModel *self,
                            guint              position)
{
  g_return_if_fail (EASEL_IS_GALLERY_MODEL (self));
  g_return_if_fail (position < self->items->len);

  g_ptr_array_remove_index (self->items, position);

  /* Pages in flight were asked for with the old offsets: drop them and ask
   * again for every placeholder the view holds. */
  if (g_hash_table_size (self->requested) > 0)
    {
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
      self->cancellable = g_cancellable_new ();
      self->serial++;
      self->n_running = 0;
      g_queue_clear (&self->pending);
      g_hash_table_remove_all (self->requested);

      for (guint i = 0; i < self->items->len; i++)
        {
          EaselGalleryItem *item = g_ptr_array_index (self->items, i);

          if (item != NULL && !easel_gallery_item_get_loaded (item))
            request_page_for (self, i);
        }
    }

  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

guint
easel_gallery_model_find (EaselGalleryModel *self,
                          gint64             id)
{
  g_return_val_if_fail (EASEL_IS_GALLERY_MODEL (self), G_MAXUINT);

  for (guint i = 0; i < self->items->len; i++)
    {
      EaselGalleryItem *item = g_ptr_array_index (self->items, i);

      if (item != NULL && easel_gallery_item_get_id (item) == id)
        return i;
    }

  return G_MAXUINT;
}

guint
easel_gallery_model_get_n_pages_loaded (EaselGalleryModel *self)
{
  g_return_val_if_fail (EASEL_IS_GALLERY_MODEL (self), 0);

  return self->n_pages_loaded;
}

/* easel-gallery-private.h: tests use a small cap to see pages dropped. */
void
_easel_gallery_model_set_max_loaded_pages (EaselGalleryModel *self,
                                           guint              max_pages)
{
  g_return_if_fail (EASEL_IS_GALLERY_MODEL (self));
  g_return_if_fail (max_pages > 0);

  self->max_loaded_pages = max_pages;
}

/* ---- The generations of a selection, loaded or not ---- */

typedef struct
{
  GArray    *positions;   /* guint, ascending */
  GPtrArray *slots;       /* EaselGeneration* or NULL, one per selected position */
  guint      serial;
  guint      n_running;
  GError    *error;
} DupData;

static void
dup_data_free (DupData *d)
{
  g_array_unref (d->positions);
  g_ptr_array_unref (d->slots);
  g_clear_error (&d->error);
  g_free (d);
}

typedef struct
{
  GTask *task;
  guint  offset;
} DupPage;

/* Fills the slots of the selected positions in the page at @offset. */
static void
dup_fill (DupData   *d,
          guint      offset,
          GPtrArray *generations)
{
  for (guint slot = 0; slot < d->positions->len; slot++)
    {
      guint position = g_array_index (d->positions, guint, slot);

      if (position >= offset && position - offset < generations->len && d->slots->pdata[slot] == NULL)
        d->slots->pdata[slot] = g_object_ref (g_ptr_array_index (generations, position - offset));
    }
}

static void
dup_finish_if_done (GTask *task)
{
  EaselGalleryModel *self = g_task_get_source_object (task);
  DupData *d = g_task_get_task_data (task);
  g_autoptr(GPtrArray) gens = NULL;

  if (d->n_running > 0)
    return;
  if (d->error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&d->error));
      return;
    }
  if (d->serial != self->serial)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "The gallery changed while the selection was read");
      return;
    }
  gens = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < d->slots->len; i++)
    if (d->slots->pdata[i] != NULL)
      g_ptr_array_add (gens, g_object_ref (d->slots->pdata[i]));
  g_task_return_pointer (task, g_steal_pointer (&gens), (GDestroyNotify) g_ptr_array_unref);
}

static void
dup_page_done (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  DupPage *page = user_data;
  g_autoptr(GTask) task = page->task;
  DupData *d = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) generations = easel_store_query_finish (EASEL_STORE (object), result, NULL, &error);

  d->n_running--;
  if (generations != NULL)
    dup_fill (d, page->offset, generations);
  else if (d->error == NULL)
    d->error = g_steal_pointer (&error);
  g_free (page);
  dup_finish_if_done (task);
}

void
easel_gallery_model_dup_generations_async (EaselGalleryModel   *self,
                                           const guint         *positions,
                                           guint                n_positions,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) pages = g_hash_table_new (NULL, NULL);
  DupData *d;

  g_return_if_fail (EASEL_IS_GALLERY_MODEL (self));
  g_return_if_fail (positions != NULL || n_positions == 0);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_gallery_model_dup_generations_async);
  d = g_new0 (DupData, 1);
  d->positions = g_array_sized_new (FALSE, FALSE, sizeof (guint), n_positions);
  g_array_append_vals (d->positions, positions, n_positions);
  d->slots = g_ptr_array_new_with_free_func (item_unref);
  d->serial = self->serial;
  g_task_set_task_data (task, d, (GDestroyNotify) dup_data_free);

  /* What is in memory now; the pages of the rest are read again. */
  for (guint i = 0; i < n_positions; i++)
    {
      guint position = positions[i];
      EaselGalleryItem *item = position < self->items->len ? g_ptr_array_index (self->items, position) : NULL;
      EaselGeneration *gen = item != NULL && easel_gallery_item_get_loaded (item)
                             ? easel_gallery_item_get_generation (item) : NULL;

      g_ptr_array_add (d->slots, gen != NULL ? g_object_ref (gen) : NULL);
      if (gen == NULL && position < self->items->len)
        g_hash_table_add (pages, GUINT_TO_POINTER (position - position % EASEL_GALLERY_MODEL_PAGE_SIZE + 1));
    }

  if (self->store != NULL)
    {
      GHashTableIter it;
      gpointer key;

      g_hash_table_iter_init (&it, pages);
      while (g_hash_table_iter_next (&it, &key, NULL))
        {
          DupPage *page = g_new0 (DupPage, 1);
          g_autoptr(EaselStoreQuery) query = NULL;

          page->offset = GPOINTER_TO_UINT (key) - 1;
          page->task = g_object_ref (task);
          query = make_query (self, page->offset, EASEL_GALLERY_MODEL_PAGE_SIZE);
          query->skip_count = TRUE;
          d->n_running++;
          easel_store_query_async (self->store, query, cancellable, dup_page_done, page);
        }
    }
  dup_finish_if_done (task);
}

GPtrArray *
easel_gallery_model_dup_generations_finish (EaselGalleryModel  *self,
                                            GAsyncResult       *result,
                                            GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
