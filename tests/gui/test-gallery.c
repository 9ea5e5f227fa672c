/* test-gallery.c: the gallery model, thumbnails and widget against a seeded temporary library
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-gallery"

#include "config.h"

#include <adwaita.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <string.h>
#include <time.h>
#include <utime.h>

#include "easel-gallery-cell.h"
#include "easel-gallery-details.h"
#include "easel-export.h"
#include "easel-gallery-item.h"
#include "easel-gallery-model.h"
#include "easel-gallery-private.h"
#include "easel-store.h"
#include "easel-thumbnailer.h"
#include "gui-test-util.h"

static gboolean have_display;

typedef struct
{
  const char *prompt;
  const char *model;
  double      usd;
  gboolean    starred;
} Seed;

/* Costs are deliberately not in id order, so sorting has work to do. */
static const Seed seeds[] = {
  { "a red fox in the snow",          "gpt-image-1",      0.17, FALSE },
  { "a blue whale under the sea",     "gpt-image-1",      0.04, TRUE  },
  { "portrait of a red panda",        "gpt-image-1-mini", 0.01, FALSE },
  { "fox cub sleeping in a basket",   "gpt-image-1",      0.25, TRUE  },
  { "lighthouse at dusk, oil paint",  "dall-e-3",         0.08, FALSE },
};

typedef struct
{
  char       *dir;
  EaselStore *store;
} Fixture;

static GBytes *
make_png (guint seed,
          int   width,
          int   height)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, width, height);
  g_autoptr(GError) error = NULL;
  char *buffer = NULL;
  gsize len = 0;

  /* Distinct colours make distinct hashes, so images are not deduplicated. */
  gdk_pixbuf_fill (pixbuf, 0x10203000u + ((seed * 2654435761u) & 0xffffff00u) + 0xff);
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &len, "png", &error, NULL));
  g_assert_no_error (error);

  return g_bytes_new_take (buffer, len);
}

static gint64
insert (EaselStore *store,
        guint       index,
        const Seed *seed)
{
  g_autoptr(EaselGeneration) gen = easel_generation_new ();
  g_autoptr(GBytes) png = make_png (index, 32, 32);
  g_autoptr(GError) error = NULL;
  gint64 id;

  gen->model = g_strdup (seed->model);
  gen->api = g_strdup ("generate");
  gen->prompt = g_strdup (seed->prompt);
  gen->params_json = g_strdup_printf ("{\"model\":\"%s\",\"prompt\":\"%s\",\"size\":\"1024x1024\"}",
                                      seed->model, seed->prompt);
  gen->size = g_strdup ("1024x1024");
  gen->quality = g_strdup ("medium");
  gen->format = g_strdup ("png");
  gen->actual_usd = seed->usd;
  gen->estimated_usd = seed->usd;
  gen->created = 1700000000 + index * 60;
  gen->status = EASEL_GENERATION_OK;

  id = easel_store_insert_generation (store, gen, png, &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);

  if (seed->starred)
    {
      easel_store_set_starred (store, id, TRUE, &error);
      g_assert_no_error (error);
    }

  return id;
}

static void
fixture_open (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("easel-gallery-XXXXXX", &error);
  g_assert_no_error (error);
  f->store = easel_store_open (f->dir, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->store);
}

static void
fixture_seed (Fixture *f,
              guint    n_extra)
{
  for (guint i = 0; i < G_N_ELEMENTS (seeds); i++)
    insert (f->store, i, &seeds[i]);

  for (guint i = 0; i < n_extra; i++)
    {
      g_autofree char *prompt = g_strdup_printf ("filler image number %u", i);
      Seed seed = { prompt, "gpt-image-1-mini", 0.005 + (i % 7) * 0.001, FALSE };

      insert (f->store, 100 + i, &seed);
    }
}

static void
fixture_close (Fixture *f)
{
  g_clear_object (&f->store);
  easel_test_rm_rf (f->dir);
  g_clear_pointer (&f->dir, g_free);
}

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Spins the main loop until @cond holds, failing after 10 s. */
#define SPIN_UNTIL(cond)                                                   \
  G_STMT_START {                                                           \
    gboolean timed_out_ = FALSE;                                           \
    guint id_ = g_timeout_add_seconds (10, on_timeout, &timed_out_);       \
    while (!(cond) && !timed_out_)                                         \
      g_main_context_iteration (NULL, TRUE);                               \
    if (!timed_out_)                                                       \
      g_source_remove (id_);                                               \
    g_assert_true (cond);                                                  \
  } G_STMT_END

static void
wait_loaded (EaselGalleryModel *model)
{
  SPIN_UNTIL (!easel_gallery_model_get_loading (model));
}

static void
test_model_count_and_paging (void)
{
  Fixture f = { 0 };
  g_autoptr(EaselGalleryModel) model = NULL;
  g_autoptr(EaselGalleryItem) first = NULL;
  g_autoptr(EaselGalleryItem) late = NULL;
  guint total = G_N_ELEMENTS (seeds) + 2 * EASEL_GALLERY_MODEL_PAGE_SIZE + 10;

  fixture_open (&f);
  fixture_seed (&f, total - G_N_ELEMENTS (seeds));

  model = easel_gallery_model_new (f.store);
  g_assert_true (easel_gallery_model_get_loading (model));
  wait_loaded (model);

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, total);
  g_assert_cmpuint (easel_gallery_model_get_n_pages_loaded (model), ==, 1);

  /* The first page comes with the count. */
  first = g_list_model_get_item (G_LIST_MODEL (model), 0);
  g_assert_true (easel_gallery_item_get_loaded (first));

  /* A far item starts as a placeholder and fills in. */
  late = g_list_model_get_item (G_LIST_MODEL (model), total - 1);
  g_assert_nonnull (late);
  g_assert_false (easel_gallery_item_get_loaded (late));
  SPIN_UNTIL (easel_gallery_item_get_loaded (late));
  g_assert_cmpuint (easel_gallery_model_get_n_pages_loaded (model), ==, 2);

  /* Newest first: the last item is the oldest, i.e. the first seeded. */
  g_assert_cmpstr (easel_gallery_item_get_generation (late)->prompt, ==, seeds[0].prompt);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (model), total));

  g_clear_object (&model);
  fixture_close (&f);
}

static const struct {
  const char *search;
  guint       expected;
} search_cases[] = {
  { "fox",         2 },
  { "red",         2 },
  { "red fox",     1 },
  { "whale",       1 },
  { "nothinglike", 0 },
  { "",            G_N_ELEMENTS (seeds) },
  { "  ",          G_N_ELEMENTS (seeds) },
};

/* Pages loaded longest ago are let go of, except the items someone holds. */
static void
test_model_drops_old_pages (void)
{
  Fixture f = { 0 };
  g_autoptr(EaselGalleryModel) model = NULL;
  g_autoptr(EaselGalleryItem) held = NULL;
  g_autoptr(EaselGalleryItem) late = NULL;
  g_autoptr(EaselGalleryItem) again = NULL;
  guint total = G_N_ELEMENTS (seeds) + EASEL_GALLERY_MODEL_PAGE_SIZE + 10;
  gint64 id;

  fixture_open (&f);
  fixture_seed (&f, total - G_N_ELEMENTS (seeds));

  model = easel_gallery_model_new (f.store);
  _easel_gallery_model_set_max_loaded_pages (model, 1);
  wait_loaded (model);

  held = g_list_model_get_item (G_LIST_MODEL (model), 0);
  g_assert_true (easel_gallery_item_get_loaded (held));
  {
    g_autoptr(EaselGalleryItem) second = g_list_model_get_item (G_LIST_MODEL (model), 1);

    id = easel_gallery_item_get_id (second);
    g_assert_cmpint (id, >, 0);
  }

  /* Loading the second page drops the first one's unheld rows. */
  late = g_list_model_get_item (G_LIST_MODEL (model), total - 1);
  SPIN_UNTIL (easel_gallery_item_get_loaded (late));
  g_assert_true (easel_gallery_item_get_loaded (held));
  g_assert_cmpuint (easel_gallery_model_find (model, id), ==, G_MAXUINT);

  /* Asked for again, the row is a placeholder that fills in with the same generation. */
  again = g_list_model_get_item (G_LIST_MODEL (model), 1);
  g_assert_false (easel_gallery_item_get_loaded (again));
  SPIN_UNTIL (easel_gallery_item_get_loaded (again));
  g_assert_cmpint (easel_gallery_item_get_id (again), ==, id);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, total);

  g_clear_object (&model);
  fixture_close (&f);
}

static void
dup_done (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  GPtrArray **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = easel_gallery_model_dup_generations_finish (EASEL_GALLERY_MODEL (object), result, &error);
  g_assert_no_error (error);
}

/* A selection's generations come back whole, also the rows the model let
 * go of (Export uses this): none is skipped. */
static void
test_model_dup_dropped (void)
{
  Fixture f = { 0 };
  g_autoptr(EaselGalleryModel) model = NULL;
  g_autoptr(EaselGalleryItem) late = NULL;
  g_autoptr(GPtrArray) gens = NULL;
  guint total = G_N_ELEMENTS (seeds) + 2 * EASEL_GALLERY_MODEL_PAGE_SIZE + 10;
  guint positions[] = { 1, 2, EASEL_GALLERY_MODEL_PAGE_SIZE + 5, 0 };
  gint64 first_id, second_id;

  positions[3] = total - 1;
  fixture_open (&f);
  fixture_seed (&f, total - G_N_ELEMENTS (seeds));
  model = easel_gallery_model_new (f.store);
  _easel_gallery_model_set_max_loaded_pages (model, 1);
  wait_loaded (model);
  {
    g_autoptr(EaselGalleryItem) a = g_list_model_get_item (G_LIST_MODEL (model), 1);
    g_autoptr(EaselGalleryItem) b = g_list_model_get_item (G_LIST_MODEL (model), 2);

    first_id = easel_gallery_item_get_id (a);
    second_id = easel_gallery_item_get_id (b);
  }
  /* The last page loads; the first page's rows are let go. */
  late = g_list_model_get_item (G_LIST_MODEL (model), total - 1);
  SPIN_UNTIL (easel_gallery_item_get_loaded (late));
  g_assert_cmpuint (easel_gallery_model_find (model, first_id), ==, G_MAXUINT);

  easel_gallery_model_dup_generations_async (model, positions, G_N_ELEMENTS (positions), NULL, dup_done, &gens);
  SPIN_UNTIL (gens != NULL);
  g_assert_cmpuint (gens->len, ==, G_N_ELEMENTS (positions));
  g_assert_cmpint (((EaselGeneration *) gens->pdata[0])->id, ==, first_id);
  g_assert_cmpint (((EaselGeneration *) gens->pdata[1])->id, ==, second_id);
  g_assert_cmpint (((EaselGeneration *) gens->pdata[3])->id, ==, easel_gallery_item_get_id (late));
  for (guint i = 0; i < gens->len; i++)
    for (guint k = i + 1; k < gens->len; k++)
      g_assert_cmpint (((EaselGeneration *) gens->pdata[i])->id, !=, ((EaselGeneration *) gens->pdata[k])->id);

  g_clear_object (&model);
  fixture_close (&f);
}

static void
test_model_search (void)
{
  Fixture f = { 0 };
  g_autoptr(EaselGalleryModel) model = NULL;

  fixture_open (&f);
  fixture_seed (&f, 0);
  model = easel_gallery_model_new (f.store);
  wait_loaded (model);

  for (guint i = 0; i < G_N_ELEMENTS (search_cases); i++)
    {
      easel_gallery_model_set_search_text (model, search_cases[i].search);
      wait_loaded (model);
      g_test_message ("search '%s'", search_cases[i].search);
      g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, search_cases[i].expected);
      g_assert_true (easel_gallery_model_has_filters (model) ==
                     (search_cases[i].expected != G_N_ELEMENTS (seeds)));

      for (guint j = 0; j < search_cases[i].expected; j++)
        {
          g_autoptr(EaselGalleryItem) item = g_list_model_get_item (G_LIST_MODEL (model), j);
          g_auto(GStrv) words = g_strsplit (search_cases[i].search, " ", -1);

          SPIN_UNTIL (easel_gallery_item_get_loaded (item));
          for (guint w = 0; words[w]; w++)
            if (*words[w])
              g_assert_nonnull (strstr (easel_gallery_item_get_generation (item)->prompt, words[w]));
        }
    }

  g_clear_object (&model);
  fixture_close (&f);
}

static void
test_model_sort (void)
{
  Fixture f = { 0 };
  g_autoptr(EaselGalleryModel) model = NULL;
  const EaselStoreSort sorts[] = { EASEL_STORE_SORT_COST, EASEL_STORE_SORT_OLDEST, EASEL_STORE_SORT_NEWEST };

  fixture_open (&f);
  fixture_seed (&f, 0);
  model = easel_gallery_model_new (f.store);
  wait_loaded (model);

  for (guint s = 0; s < G_N_ELEMENTS (sorts); s++)
    {
      double prev_cost = G_MAXDOUBLE;
      gint64 prev_created = sorts[s] == EASEL_STORE_SORT_OLDEST ? 0 : G_MAXINT64;
      guint n;

      easel_gallery_model_set_sort (model, sorts[s]);
      wait_loaded (model);
      n = g_list_model_get_n_items (G_LIST_MODEL (model));
      g_assert_cmpuint (n, ==, G_N_ELEMENTS (seeds));

      for (guint i = 0; i < n; i++)
        {
          g_autoptr(EaselGalleryItem) item = g_list_model_get_item (G_LIST_MODEL (model), i);
          EaselGeneration *gen;

          SPIN_UNTIL (easel_gallery_item_get_loaded (item));
          gen = easel_gallery_item_get_generation (item);

          switch (sorts[s])
            {
            case EASEL_STORE_SORT_COST:
              g_assert_cmpfloat (easel_generation_get_cost (gen), <=, prev_cost);
              prev_cost = easel_generation_get_cost (gen);
              break;
            case EASEL_STORE_SORT_OLDEST:
              g_assert_cmpint (gen->created, >=, prev_created);
              prev_created = gen->created;
              break;
            case EASEL_STORE_SORT_NEWEST:
            default:
              g_assert_cmpint (gen->created, <=, prev_created);
              prev_created = gen->created;
              break;
            }
        }

      if (sorts[s] == EASEL_STORE_SORT_COST)
        {
          g_autoptr(EaselGalleryItem) top = g_list_model_get_item (G_LIST_MODEL (model), 0);

          g_assert_cmpstr (easel_gallery_item_get_generation (top)->prompt, ==, seeds[3].prompt);
        }
    }

  g_clear_object (&model);
  fixture_close (&f);
}

static void
test_model_filters (void)
{
  Fixture f = { 0 };
  g_autoptr(EaselGalleryModel) model = NULL;
  guint n_starred = 0, n_dalle = 0;

  for (guint i = 0; i < G_N_ELEMENTS (seeds); i++)
    {
      n_starred += seeds[i].starred;
      n_dalle += g_str_equal (seeds[i].model, "dall-e-3");
    }

  fixture_open (&f);
  fixture_seed (&f, 0);
  model = easel_gallery_model_new (f.store);
  wait_loaded (model);
  g_assert_false (easel_gallery_model_has_filters (model));

  easel_gallery_model_set_starred_only (model, TRUE);
  wait_loaded (model);
  g_assert_true (easel_gallery_model_has_filters (model));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, n_starred);
  for (guint i = 0; i < n_starred; i++)
    {
      g_autoptr(EaselGalleryItem) item = g_list_model_get_item (G_LIST_MODEL (model), i);

      SPIN_UNTIL (easel_gallery_item_get_loaded (item));
      g_assert_true (easel_gallery_item_get_starred (item));
    }
  easel_gallery_model_set_starred_only (model, FALSE);

  easel_gallery_model_set_model_filter (model, "dall-e-3");
  wait_loaded (model);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, n_dalle);
  easel_gallery_model_set_model_filter (model, NULL);

  /* Seeds were created at 1700000000 + i * 60. */
  easel_gallery_model_set_date_range (model, 1700000000 + 2 * 60, 0);
  wait_loaded (model);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, G_N_ELEMENTS (seeds) - 2);
  easel_gallery_model_set_date_range (model, 0, 0);
  wait_loaded (model);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, G_N_ELEMENTS (seeds));

  g_clear_object (&model);
  fixture_close (&f);
}

static void
on_thumb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  GdkTexture **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = easel_thumbnailer_load_finish (EASEL_THUMBNAILER (object), result, &error);
  g_assert_no_error (error);
}

static void
test_thumbnailer (void)
{
  g_autofree char *dir = g_dir_make_tmp ("easel-thumbs-XXXXXX", NULL);
  g_autoptr(EaselThumbnailer) thumbnailer = easel_thumbnailer_new (dir, 2);
  const int sizes[][2] = { { 600, 300 }, { 200, 100 }, { 300, 900 } };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr(GBytes) png = make_png (i, sizes[i][0], sizes[i][1]);
      g_autofree char *src = g_strdup_printf ("%s/src-%u.png", dir, i);
      g_autofree char *sha = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, png);
      g_autofree char *cached = g_strdup_printf ("%s/%s-%d.png", dir, sha, EASEL_THUMBNAIL_SIZE);
      g_autoptr(GFile) file = g_file_new_for_path (src);
      g_autoptr(GdkTexture) texture = NULL;
      g_autoptr(GdkTexture) again = NULL;
      int shorter = MIN (sizes[i][0], sizes[i][1]);
      int expect_w = shorter > EASEL_THUMBNAIL_SIZE ? sizes[i][0] * EASEL_THUMBNAIL_SIZE / shorter : sizes[i][0];

      g_assert_true (g_file_set_contents (src, g_bytes_get_data (png, NULL), g_bytes_get_size (png), NULL));

      easel_thumbnailer_load_async (thumbnailer, file, sha, NULL, on_thumb, &texture);
      SPIN_UNTIL (texture != NULL);
      g_assert_cmpint (gdk_texture_get_width (texture), ==, expect_w);
      g_assert_cmpint (MIN (gdk_texture_get_width (texture), gdk_texture_get_height (texture)), ==,
                       MIN (shorter, EASEL_THUMBNAIL_SIZE));
      g_assert_true (g_file_test (cached, G_FILE_TEST_IS_REGULAR));

      /* The memory cache answers without a thread. */
      again = easel_thumbnailer_lookup (thumbnailer, sha);
      g_assert_true (again == texture);
      g_assert_cmpuint (easel_thumbnailer_get_n_in_memory (thumbnailer), <=, 2);

      /* After a trim it comes back from the disk cache, even with the source gone. */
      g_clear_object (&again);
      g_clear_object (&texture);
      easel_thumbnailer_trim (thumbnailer);
      g_assert_null (easel_thumbnailer_lookup (thumbnailer, sha));
      g_unlink (src);
      easel_thumbnailer_load_async (thumbnailer, file, sha, NULL, on_thumb, &texture);
      SPIN_UNTIL (texture != NULL);
      g_assert_cmpint (gdk_texture_get_width (texture), ==, expect_w);
      g_unlink (cached);
    }

  g_assert_cmpuint (easel_thumbnailer_get_n_in_memory (thumbnailer), ==, 1);
  easel_test_rm_rf (dir);
}

static void
test_cell_unbind_drops_texture (void)
{
  Fixture f = { 0 };
  g_autoptr(EaselGalleryModel) model = NULL;
  g_autoptr(EaselGalleryItem) item = NULL;
  GtkWidget *cell;

  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }

  fixture_open (&f);
  fixture_seed (&f, 0);
  model = easel_gallery_model_new (f.store);
  wait_loaded (model);
  item = g_list_model_get_item (G_LIST_MODEL (model), 0);

  cell = g_object_ref_sink (easel_gallery_cell_new ());
  easel_gallery_cell_set_item (EASEL_GALLERY_CELL (cell), item);
  SPIN_UNTIL (easel_gallery_cell_has_texture (EASEL_GALLERY_CELL (cell)));

  easel_gallery_cell_set_item (EASEL_GALLERY_CELL (cell), NULL);
  g_assert_false (easel_gallery_cell_has_texture (EASEL_GALLERY_CELL (cell)));

  g_object_unref (cell);
  g_clear_object (&model);
  fixture_close (&f);
}

static GtkWidget *
show_gallery (EaselStore *store)
{
  GtkWidget *window = gtk_window_new ();
  g_autoptr(EaselLibrary) library = easel_library_new_for_store (store);
  GtkWidget *gallery = easel_gallery_new (library);

  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  gtk_window_set_child (GTK_WINDOW (window), gallery);
  gtk_window_present (GTK_WINDOW (window));

  return gallery;
}

static void
test_widget_empty_state (void)
{
  Fixture f = { 0 };
  EaselGallery *gallery;
  GtkWidget *window;

  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }

  fixture_open (&f);
  gallery = EASEL_GALLERY (show_gallery (f.store));
  window = GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (gallery)));
  wait_loaded (_easel_gallery_get_model (gallery));
  g_assert_cmpstr (_easel_gallery_get_visible_page (gallery), ==, "empty");

  /* After something is recorded, a reload shows the grid. */
  insert (f.store, 0, &seeds[0]);
  easel_gallery_reload (gallery);
  wait_loaded (_easel_gallery_get_model (gallery));
  g_assert_cmpstr (_easel_gallery_get_visible_page (gallery), ==, "grid");

  /* A search with no match is "no results", not "no generations yet". */
  easel_gallery_model_set_search_text (_easel_gallery_get_model (gallery), "zebra");
  wait_loaded (_easel_gallery_get_model (gallery));
  g_assert_cmpstr (_easel_gallery_get_visible_page (gallery), ==, "no-results");

  gtk_window_destroy (GTK_WINDOW (window));
  fixture_close (&f);
}

static guint
count_live (EaselStore *store)
{
  g_autoptr(EaselStoreQuery) query = easel_store_query_new ();
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;
  guint total = 0;

  rows = easel_store_query (store, query, &total, &error);
  g_assert_no_error (error);
  return total;
}

static void
test_widget_delete_undo (void)
{
  Fixture f = { 0 };
  EaselGallery *gallery;
  EaselGalleryModel *model;
  GtkWidget *window;
  g_autoptr(EaselGalleryItem) item = NULL;
  g_autoptr(EaselGalleryItem) after = NULL;
  gint64 deleted_id;
  guint n = G_N_ELEMENTS (seeds);

  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }

  fixture_open (&f);
  fixture_seed (&f, 0);
  gallery = EASEL_GALLERY (show_gallery (f.store));
  window = GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (gallery)));
  model = _easel_gallery_get_model (gallery);
  wait_loaded (model);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, n);

  item = g_list_model_get_item (G_LIST_MODEL (model), 1);
  deleted_id = easel_gallery_item_get_id (item);
  gtk_selection_model_select_item (_easel_gallery_get_selection (gallery), 1, TRUE);
  g_assert_true (easel_gallery_details_get_item (_easel_gallery_get_details (gallery)) == item);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (gallery), "gallery.delete", NULL));
  SPIN_UNTIL (g_list_model_get_n_items (G_LIST_MODEL (model)) == n - 1);
  g_assert_cmpuint (count_live (f.store), ==, n - 1);
  g_assert_cmpuint (easel_gallery_model_find (model, deleted_id), ==, G_MAXUINT);

  /* The neighbour moved up into the hole. */
  after = g_list_model_get_item (G_LIST_MODEL (model), 1);
  g_assert_true (easel_gallery_item_get_id (after) != deleted_id);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (gallery), "gallery.undo-delete", NULL));
  SPIN_UNTIL (g_list_model_get_n_items (G_LIST_MODEL (model)) == n &&
              !easel_gallery_model_get_loading (model));
  g_assert_cmpuint (count_live (f.store), ==, n);
  g_assert_cmpuint (easel_gallery_model_find (model, deleted_id), ==, 1);

  gtk_window_destroy (GTK_WINDOW (window));
  fixture_close (&f);
}

static void
on_reuse (EaselGallery *gallery,
          const char   *params,
          char        **out)
{
  *out = g_strdup (params);
}

static void
test_widget_star_and_reuse (void)
{
  Fixture f = { 0 };
  EaselGallery *gallery;
  EaselGalleryModel *model;
  GtkWidget *window;
  g_autoptr(EaselGalleryItem) item = NULL;
  g_autoptr(EaselGeneration) stored = NULL;
  g_autofree char *params = NULL;
  gboolean was_starred;

  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }

  fixture_open (&f);
  fixture_seed (&f, 0);
  gallery = EASEL_GALLERY (show_gallery (f.store));
  window = GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (gallery)));
  model = _easel_gallery_get_model (gallery);
  wait_loaded (model);

  /* The model filter offers the models the library holds, sorted. */
  {
    GtkDropDown *dropdown = GTK_DROP_DOWN (gtk_widget_get_template_child (GTK_WIDGET (gallery), EASEL_TYPE_GALLERY,
                                                                         "model_dropdown"));
    GListModel *names = gtk_drop_down_get_model (dropdown);

    SPIN_UNTIL (g_list_model_get_n_items (names) == 4);
    g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (names), 1), ==, "dall-e-3");
    g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (names), 2), ==, "gpt-image-1");
    g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (names), 3), ==, "gpt-image-1-mini");
  }

  item = g_list_model_get_item (G_LIST_MODEL (model), 0);
  was_starred = easel_gallery_item_get_starred (item);
  gtk_selection_model_select_item (_easel_gallery_get_selection (gallery), 0, TRUE);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (gallery), "gallery.toggle-star", NULL));
  g_assert_true (easel_gallery_item_get_starred (item) != was_starred);
  SPIN_UNTIL ((stored = easel_store_get_generation (f.store, easel_gallery_item_get_id (item), NULL)) &&
              stored->starred != was_starred);

  g_signal_connect (gallery, "reuse-parameters", G_CALLBACK (on_reuse), &params);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (gallery), "gallery.reuse-parameters", NULL));
  g_assert_cmpstr (params, ==, easel_gallery_item_get_generation (item)->params_json);

  gtk_window_destroy (GTK_WINDOW (window));
  fixture_close (&f);
}

static void
collect_rows (GtkWidget  *widget,
              GPtrArray  *rows)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      if (ADW_IS_ACTION_ROW (child) && gtk_widget_has_css_class (child, "property"))
        g_ptr_array_add (rows, child);
      collect_rows (child, rows);
    }
}

static const char *
row_subtitle (GPtrArray  *rows,
              const char *title)
{
  for (guint i = 0; i < rows->len; i++)
    if (g_strcmp0 (adw_preferences_row_get_title (g_ptr_array_index (rows, i)), title) == 0)
      return adw_action_row_get_subtitle (g_ptr_array_index (rows, i));
  return NULL;
}

/* The details show parameters as a person reads them, not wire keys. */
static void
test_details_labels (void)
{
  g_autoptr(EaselGalleryItem) item = NULL;
  g_autoptr(EaselGeneration) gen = easel_generation_new ();
  g_autoptr(GPtrArray) rows = g_ptr_array_new ();
  GtkWidget *details;

  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }

  gen->id = 7;
  gen->model = g_strdup ("gpt-image-1.5");
  gen->prompt = g_strdup ("a lighthouse");
  gen->status = EASEL_GENERATION_OK;
  gen->params_json = g_strdup ("{\"model\":\"gpt-image-1.5\",\"prompt\":\"a lighthouse\",\"partial_images\":2,"
                               "\"stream\":true,\"output_format\":\"png\",\"images\":[{\"kind\":\"file\"},{\"kind\":\"file\"}],"
                               "\"quality\":\"high\",\"size\":\"1536x1024\",\"api\":\"responses\","
                               "\"some_future_key\":\"x\"}");
  item = easel_gallery_item_new (0);
  easel_gallery_item_set_generation (item, gen);
  details = g_object_new (EASEL_TYPE_GALLERY_DETAILS, NULL);
  g_object_ref_sink (details);
  easel_gallery_details_set_item (EASEL_GALLERY_DETAILS (details), item);

  collect_rows (details, rows);
  g_assert_cmpuint (rows->len, >=, 5);
  for (guint i = 0; i < rows->len; i++)
    g_assert_null (strchr (adw_preferences_row_get_title (g_ptr_array_index (rows, i)), '_'));
  g_assert_cmpstr (row_subtitle (rows, "Partial images"), ==, "2");
  g_assert_cmpstr (row_subtitle (rows, "Streamed"), ==, "Yes");
  g_assert_cmpstr (row_subtitle (rows, "Input images"), ==, "2 items");
  /* Values as the pickers say them, not as the wire does. */
  g_assert_cmpstr (row_subtitle (rows, "Format"), ==, "PNG");
  g_assert_cmpstr (row_subtitle (rows, "Quality"), ==, "High");
  g_assert_cmpstr (row_subtitle (rows, "Size"), ==, "Landscape (1536 × 1024)");
  g_assert_true (g_str_has_prefix (row_subtitle (rows, "Model"), "GPT Image 1.5"));
  g_assert_cmpstr (row_subtitle (rows, "API"), ==, "Conversation (Responses API)");
  g_assert_cmpstr (row_subtitle (rows, "Some future key"), ==, "x");
  g_object_unref (details);
}

/* Export opens in the last export's folder, never the working directory. */
static void
test_export_start_folder (void)
{
  g_autoptr(GSettings) settings = g_settings_new ("io.github.easelstudio.Easel");
  g_autofree char *dir = g_dir_make_tmp ("easel-export-XXXXXX", NULL);
  g_autofree char *cwd = g_get_current_dir ();
  g_autoptr(GFile) start = NULL;
  g_autofree char *path = NULL;

  g_settings_set_string (settings, "last-export-folder", "");
  start = easel_export_dup_start_folder ();
  path = g_file_get_path (start);
  g_assert_cmpstr (path, !=, cwd);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_DIR));
  g_clear_object (&start);
  g_clear_pointer (&path, g_free);

  g_settings_set_string (settings, "last-export-folder", dir);
  start = easel_export_dup_start_folder ();
  path = g_file_get_path (start);
  g_assert_cmpstr (path, ==, dir);
  g_clear_object (&start);
  g_clear_pointer (&path, g_free);

  /* A folder that went away is not offered. */
  g_rmdir (dir);
  start = easel_export_dup_start_folder ();
  path = g_file_get_path (start);
  g_assert_cmpstr (path, !=, dir);
  g_settings_reset (settings, "last-export-folder");
}

/* A search closes the details of an item it may have filtered out, and
 * the next item's details start at the top. */
static void
test_details_follow_search (void)
{
  Fixture f = { 0 };
  EaselGallery *gallery;
  EaselGalleryModel *model;
  GtkWidget *window;
  GtkEditable *entry;

  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }

  fixture_open (&f);
  fixture_seed (&f, 0);
  gallery = EASEL_GALLERY (show_gallery (f.store));
  window = GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (gallery)));
  model = _easel_gallery_get_model (gallery);
  wait_loaded (model);

  gtk_selection_model_select_item (_easel_gallery_get_selection (gallery), 0, TRUE);
  g_assert_nonnull (easel_gallery_details_get_item (_easel_gallery_get_details (gallery)));

  entry = GTK_EDITABLE (gtk_widget_get_template_child (GTK_WIDGET (gallery), EASEL_TYPE_GALLERY, "search_entry"));
  gtk_editable_set_text (entry, "zebra");
  SPIN_UNTIL (easel_gallery_details_get_item (_easel_gallery_get_details (gallery)) == NULL);
  SPIN_UNTIL (g_list_model_get_n_items (G_LIST_MODEL (model)) == 0 && !easel_gallery_model_get_loading (model));

  gtk_window_destroy (GTK_WINDOW (window));
  fixture_close (&f);
}

static gboolean
holds_bytes (const char *data,
             gsize       len,
             const char *needle)
{
  gsize n = strlen (needle);

  for (gsize i = 0; i + n <= len; i++)
    if (memcmp (data + i, needle, n) == 0)
      return TRUE;
  return FALSE;
}

/* A dragged-out image is the file Export writes: a PNG with Easel's
 * metadata, not the bare stored image. */
static void
test_drag_carries_metadata (void)
{
  Fixture f = { 0 };
  EaselGallery *gallery;
  EaselGalleryModel *model;
  GtkWidget *window;
  g_autoptr(EaselGalleryItem) item = NULL;
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *stored = NULL;
  g_autofree char *drag_root = NULL;
  g_autofree char *old_dir = NULL;
  g_autofree char *old_file = NULL;
  g_autofree char *fresh_file = NULL;
  g_autofree char *fresh_dir = NULL;
  struct utimbuf times;
  gsize len = 0;

  if (!have_display)
    {
      g_test_skip ("no display");
      return;
    }

  fixture_open (&f);
  fixture_seed (&f, 0);
  gallery = EASEL_GALLERY (show_gallery (f.store));
  window = GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (gallery)));
  model = _easel_gallery_get_model (gallery);
  wait_loaded (model);

  /* Copies an earlier drag left: one from two days ago goes with the next
   * export, one from now stays. */
  drag_root = g_build_filename (g_get_user_cache_dir (), "easel", "drag", NULL);
  old_dir = g_build_filename (drag_root, "999999", NULL);
  old_file = g_build_filename (old_dir, "old.png", NULL);
  fresh_file = g_build_filename (drag_root, "999998", "fresh.png", NULL);
  g_assert_cmpint (g_mkdir_with_parents (old_dir, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (drag_root, 0700), ==, 0);
  g_assert_true (g_file_set_contents (old_file, "old", -1, NULL));
  fresh_dir = g_path_get_dirname (fresh_file);
  g_assert_cmpint (g_mkdir_with_parents (fresh_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (fresh_file, "fresh", -1, NULL));
  times.actime = times.modtime = time (NULL) - 2 * 24 * 60 * 60;
  g_assert_cmpint (g_utime (old_file, &times), ==, 0);

  item = g_list_model_get_item (G_LIST_MODEL (model), 0);
  file = _easel_gallery_drag_file (gallery, item);
  g_assert_nonnull (file);
  path = g_file_get_path (file);
  stored = g_strdup (easel_gallery_item_get_generation (item)->path);
  g_assert_cmpstr (path, !=, stored);
  g_assert_true (g_str_has_suffix (path, ".png"));
  SPIN_UNTIL (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_assert_false (g_file_test (old_file, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (old_dir, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (fresh_file, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_assert_true (holds_bytes (contents, len, "iTXt"));
  g_assert_true (holds_bytes (contents, len, "easel:record"));

  gtk_window_destroy (GTK_WINDOW (window));
  fixture_close (&f);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *cache = g_dir_make_tmp ("easel-cache-XXXXXX", NULL);
  int ret;

  /* Keep thumbnails out of the real cache. */
  g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);

  g_test_init (&argc, &argv, NULL);

  have_display = gtk_init_check ();
  if (have_display)
    adw_init ();
  else
    g_test_message ("No display: widget tests are skipped");

  g_test_add_func ("/gallery/model/count-and-paging", test_model_count_and_paging);
  g_test_add_func ("/gallery/model/drops-old-pages", test_model_drops_old_pages);
  g_test_add_func ("/gallery/model/dup-dropped", test_model_dup_dropped);
  g_test_add_func ("/gallery/model/search", test_model_search);
  g_test_add_func ("/gallery/model/sort", test_model_sort);
  g_test_add_func ("/gallery/model/filters", test_model_filters);
  g_test_add_func ("/gallery/thumbnailer/cache-and-lru", test_thumbnailer);
  g_test_add_func ("/gallery/cell/unbind-drops-texture", test_cell_unbind_drops_texture);
  g_test_add_func ("/gallery/widget/empty-state", test_widget_empty_state);
  g_test_add_func ("/gallery/widget/details-labels", test_details_labels);
  g_test_add_func ("/gallery/widget/drag-carries-metadata", test_drag_carries_metadata);
  g_test_add_func ("/gallery/widget/details-follow-search", test_details_follow_search);
  g_test_add_func ("/gallery/export/start-folder", test_export_start_folder);
  g_test_add_func ("/gallery/widget/delete-undo", test_widget_delete_undo);
  g_test_add_func ("/gallery/widget/star-and-reuse", test_widget_star_and_reuse);

  ret = g_test_run ();
  easel_test_rm_rf (cache);
  return ret;
}
