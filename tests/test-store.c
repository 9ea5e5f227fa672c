/* test-store.c: the library store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-store"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>

#include <glib/gstdio.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <sqlite3.h>

#include "easel-core.h"
#include "easel-png-meta.h"
#include "easel-store.h"

/* ------------------------------------------------------------------------- */
/* Helpers */

static char *
make_tmp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("easel-store-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
rm_rf (const char *path)
{
  g_autoptr(GDir) d = g_dir_open (path, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        rm_rf (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

/* A small real PNG: a gradient whose colours depend on @seed. */
static GBytes *
make_png (guint seed)
{
  g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, 16, 16);
  guint8 *px = gdk_pixbuf_get_pixels (pb);
  int stride = gdk_pixbuf_get_rowstride (pb);
  g_autoptr(GError) error = NULL;
  char *buf = NULL;
  gsize len;

  for (int y = 0; y < 16; y++)
    for (int x = 0; x < 16; x++)
      {
        guint8 *p = px + y * stride + x * 4;
        p[0] = (x * 16 + seed) & 0xff;
        p[1] = (y * 16 + seed * 7) & 0xff;
        p[2] = (seed * 13) & 0xff;
        p[3] = 255;
      }
  g_assert_true (gdk_pixbuf_save_to_buffer (pb, &buf, &len, "png", &error, NULL));
  return g_bytes_new_take (buf, len);
}

static EaselStore *
open_store (const char *dir)
{
  g_autoptr(GError) error = NULL;
  EaselStore *store = easel_store_open (dir, &error);

  g_assert_no_error (error);
  g_assert_true (EASEL_IS_STORE (store));
  return store;
}

static gint64
db_int (const char *dir, const char *sql)
{
  g_autofree char *path = g_build_filename (dir, "library.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 v;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  v = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return v;
}

static guint
count_files (const char *dir, gboolean temp_only)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *child = g_build_filename (dir, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        n += count_files (child, temp_only);
      else if (!temp_only || g_str_has_prefix (name, ".tmp-"))
        n++;
    }
  return n;
}

static EaselGeneration *
gen_new (const char *prompt, const char *model, gint64 created)
{
  EaselGeneration *g = easel_generation_new ();

  g->prompt = g_strdup (prompt);
  g->model = g_strdup (model);
  g->api = g_strdup ("generate");
  g->created = created;
  g->size = g_strdup ("1024x1024");
  g->format = g_strdup ("png");
  return g;
}

static gint64
insert (EaselStore *store, EaselGeneration *g, guint seed)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = g->status == EASEL_GENERATION_OK ? make_png (seed) : NULL;
  gint64 id = easel_store_insert_generation (store, g, png, &error);

  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

/* ------------------------------------------------------------------------- */

static void
test_open_creates (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *sub = g_build_filename (dir, "deep", "er", NULL);
  g_autofree char *db = g_build_filename (sub, "library.db", NULL);
  g_autofree char *images = g_build_filename (sub, "images", NULL);
  g_autoptr(EaselStore) store = open_store (sub);

  g_assert_cmpstr (easel_store_get_dir (store), ==, sub);
  g_assert_true (g_file_test (db, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (images, G_FILE_TEST_IS_DIR));
  g_assert_cmpint (db_int (sub, "PRAGMA user_version"), ==, EASEL_STORE_SCHEMA_VERSION);
  g_assert_cmpint (db_int (sub, "PRAGMA journal_mode = wal") , ==, 0); /* returns text; just must run */
  g_clear_object (&store);

  /* Reopening an existing library works and changes nothing. */
  store = open_store (sub);
  g_assert_cmpint (db_int (sub, "PRAGMA user_version"), ==, EASEL_STORE_SCHEMA_VERSION);
  g_clear_object (&store);
  rm_rf (dir);
}

static void
test_image_dedup (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(EaselStore) store = open_store (dir);
  g_autoptr(GBytes) a = make_png (1);
  g_autoptr(GBytes) b = make_png (2);
  g_autoptr(GError) error = NULL;
  g_autofree char *sha_a = NULL, *sha_a2 = NULL, *sha_b = NULL;
  g_autofree char *pa = NULL, *pa2 = NULL, *pb = NULL;
  g_autofree char *expected_sha = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, a);
  g_autofree char *images = g_build_filename (dir, "images", NULL);
  g_autofree char *contents = NULL;
  gsize len;

  pa = easel_store_store_image (store, a, "png", &sha_a, &error);
  g_assert_no_error (error);
  pa2 = easel_store_store_image (store, a, NULL, &sha_a2, &error);
  g_assert_no_error (error);
  pb = easel_store_store_image (store, b, "png", &sha_b, &error);
  g_assert_no_error (error);

  g_assert_cmpstr (sha_a, ==, expected_sha);
  g_assert_cmpstr (sha_a, ==, sha_a2);
  g_assert_cmpstr (pa, ==, pa2);
  g_assert_cmpstr (pa, !=, pb);
  g_assert_true (g_str_has_suffix (pa, ".png"));
  g_assert_true (strstr (pa, sha_a) != NULL);
  g_assert_cmpuint (count_files (images, FALSE), ==, 2);
  g_assert_cmpuint (count_files (images, TRUE), ==, 0);

  g_assert_true (g_file_get_contents (pa, &contents, &len, NULL));
  g_assert_cmpmem (contents, len, g_bytes_get_data (a, NULL), g_bytes_get_size (a));

  g_clear_object (&store);
  rm_rf (dir);
}

static void
test_generation_round_trip (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(EaselStore) store = open_store (dir);
  g_autoptr(EaselGeneration) g = gen_new ("a lighthouse at dusk", "gpt-image-1", 1700000000);
  g_autoptr(EaselGeneration) back = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id;

  g->revised_prompt = g_strdup ("A lighthouse at dusk, oil painting");
  g->params_json = g_strdup ("{\"model\":\"gpt-image-1\",\"n\":1}");
  g->action = g_strdup ("generate");
  g->background = g_strdup ("transparent");
  g->quality = g_strdup ("high");
  g->usage_json = g_strdup ("{\"input_tokens\":10}");
  g->input_tokens = 10;
  g->output_tokens = 4160;
  g->estimated_usd = 0.17;
  g->actual_usd = 0.1665;
  g->request_hash = g_strdup ("abc123");
  g->response_id = g_strdup ("resp_1");
  g->image_call_id = g_strdup ("ig_1");
  g->starred = TRUE;

  id = insert (store, g, 5);
  g_assert_cmpint (g->id, ==, id);
  g_assert_nonnull (g->sha256);
  g_assert_true (g_file_test (g->path, G_FILE_TEST_IS_REGULAR));

  back = easel_store_get_generation (store, id, &error);
  g_assert_no_error (error);
#define S(f) g_assert_cmpstr (back->f, ==, g->f)
  S (sha256); S (path); S (model); S (api); S (params_json); S (prompt); S (revised_prompt);
  S (action); S (size); S (format); S (background); S (quality); S (usage_json); S (request_hash);
  S (response_id); S (image_call_id); S (mask_sha256); S (error_type); S (error_code); S (error_message);
#undef S
  g_assert_cmpint (back->input_tokens, ==, 10);
  g_assert_cmpint (back->output_tokens, ==, 4160);
  g_assert_cmpfloat_with_epsilon (back->estimated_usd, 0.17, 1e-9);
  g_assert_cmpfloat_with_epsilon (back->actual_usd, 0.1665, 1e-9);
  g_assert_cmpfloat_with_epsilon (easel_generation_get_cost (back), 0.1665, 1e-9);
  g_assert_cmpint (back->created, ==, 1700000000);
  g_assert_true (back->starred);
  g_assert_cmpint (back->status, ==, EASEL_GENERATION_OK);
  g_assert_cmpint (back->deleted_at, ==, 0);
  g_assert_cmpint (back->conversation_id, ==, 0);

  /* Properties for .ui bindings */
  {
    g_autofree char *prompt = NULL;
    gboolean starred;
    gint64 pid;

    g_object_get (back, "prompt", &prompt, "starred", &starred, "id", &pid, NULL);
    g_assert_cmpstr (prompt, ==, g->prompt);
    g_assert_true (starred);
    g_assert_cmpint (pid, ==, id);
  }

  g_clear_object (&back);
  back = easel_store_get_generation (store, id + 100, &error);
  g_assert_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_NOT_FOUND);
  g_assert_null (back);

  g_clear_object (&store);
  rm_rf (dir);
}

/* ------------------------------------------------------------------------- */
/* Recording a request's outcome */

typedef struct
{
  const char *name;
  guint       n_images;       /* 0 with an error */
  int         error_kind;     /* 0 none, 1 api failure, 2 moderation, 3 cancelled */
  gboolean    usage;
  EaselGenerationStatus status;
} RecordCase;

static const RecordCase record_cases[] = {
  { "one-image", 1, 0, TRUE, EASEL_GENERATION_OK },
  { "three-images", 3, 0, TRUE, EASEL_GENERATION_OK },
  { "no-usage", 2, 0, FALSE, EASEL_GENERATION_OK },
  { "failed", 0, 1, FALSE, EASEL_GENERATION_FAILED },
  { "moderated", 0, 2, FALSE, EASEL_GENERATION_MODERATED },
  { "cancelled", 0, 3, FALSE, EASEL_GENERATION_CANCELLED },
};

static void
test_record (gconstpointer data)
{
  const RecordCase *rc = data;
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(EaselStore) store = open_store (dir);
  g_autoptr(EaselRequest) req = easel_request_new (EASEL_API_IMAGES_GENERATE);
  g_autoptr(EaselResult) res = NULL;
  g_autoptr(GError) req_error = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) gens = NULL;
  g_autofree char *hash = NULL;
  EaselRecordOptions opts = { .estimated_usd = 0.25 };
  double expected_actual = -1;

  req->model = g_strdup ("gpt-image-1");
  req->prompt = g_strdup_printf ("record case %s", rc->name);
  req->size = g_strdup ("1024x1024");
  req->quality = g_strdup ("medium");
  req->n = MAX (rc->n_images, 1);
  hash = easel_request_cache_key (req, NULL);

  if (rc->error_kind == 0)
    {
      res = easel_result_new (EASEL_API_IMAGES_GENERATE);
      for (guint i = 0; i < rc->n_images; i++)
        {
          EaselImage *img = easel_image_new ();

          img->bytes = make_png (100 + i);
          img->revised_prompt = g_strdup_printf ("revised %u", i);
          img->output_format = g_strdup ("png");
          g_ptr_array_add (res->images, img);
        }
      if (rc->usage)
        {
          res->usage.present = TRUE;
          res->usage.input_tokens = 51;
          res->usage.output_tokens = 1057;
          res->usage.total_tokens = 1108;
          expected_actual = easel_cost_usd_for_usage ("gpt-image-1", "medium", "1024x1024",
                                                      &res->usage, rc->n_images);
        }
    }
  else if (rc->error_kind == 1)
    req_error = easel_api_error_new_literal (EASEL_API_ERROR_SERVER, "The server had an error");
  else if (rc->error_kind == 2)
    req_error = easel_api_error_new_literal (EASEL_API_ERROR_MODERATION, "Your request was rejected");
  else
    req_error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");

  gens = easel_store_record (store, req, res, req_error, &opts, &error);
  g_assert_no_error (error);
  g_assert_nonnull (gens);
  g_assert_cmpuint (gens->len, ==, MAX (rc->n_images, 1));

  for (guint i = 0; i < gens->len; i++)
    {
      EaselGeneration *g = gens->pdata[i];
      g_autoptr(EaselGeneration) back = easel_store_get_generation (store, g->id, &error);

      g_assert_no_error (error);
      g_assert_cmpint (back->status, ==, rc->status);
      g_assert_cmpstr (back->prompt, ==, req->prompt);
      g_assert_cmpstr (back->request_hash, ==, hash);
      g_assert_cmpstr (back->model, ==, "gpt-image-1");
      g_assert_nonnull (back->params_json);
      g_assert_cmpfloat_with_epsilon (back->estimated_usd, 0.25 / gens->len, 1e-9);
      if (rc->error_kind == 0)
        {
          g_autofree char *revised = g_strdup_printf ("revised %u", i);

          g_assert_cmpstr (back->revised_prompt, ==, revised);
          g_assert_true (g_file_test (back->path, G_FILE_TEST_IS_REGULAR));
          g_assert_null (back->error_message);
        }
      else
        {
          g_assert_null (back->path);
          g_assert_nonnull (back->error_message);
        }
      if (expected_actual >= 0)
        g_assert_cmpfloat_with_epsilon (back->actual_usd, expected_actual / gens->len, 1e-9);
      else
        g_assert_cmpfloat (back->actual_usd, <, 0);
    }

  /* Token shares add up to the request's usage. */
  if (rc->usage)
    {
      gint64 in = 0, out = 0;

      for (guint i = 0; i < gens->len; i++)
        {
          in += ((EaselGeneration *) gens->pdata[i])->input_tokens;
          out += ((EaselGeneration *) gens->pdata[i])->output_tokens;
        }
      g_assert_cmpint (in, ==, 51);
      g_assert_cmpint (out, ==, 1057);
    }

  /* Only successes are cache hits. */
  {
    g_autoptr(EaselGeneration) cached = easel_store_lookup_cached (store, hash, &error);
    g_autoptr(GPtrArray) all = easel_store_lookup_cached_all (store, hash, &error);

    g_assert_no_error (error);
    if (rc->error_kind == 0)
      {
        g_assert_nonnull (cached);
        g_assert_cmpuint (all->len, ==, rc->n_images);
      }
    else
      {
        g_assert_null (cached);
        g_assert_cmpuint (all->len, ==, 0);
      }
  }

  g_clear_object (&store);
  rm_rf (dir);
}

static void
test_cache (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(EaselStore) store = open_store (dir);
  g_autoptr(EaselGeneration) a = gen_new ("cat", "gpt-image-1", 1000);
  g_autoptr(EaselGeneration) b = gen_new ("cat", "gpt-image-1", 2000);
  g_autoptr(EaselGeneration) c = gen_new ("cat", "gpt-image-1", 3000);
  g_autoptr(EaselGeneration) hit = NULL;
  g_autoptr(GError) error = NULL;

  a->request_hash = g_strdup ("H1");
  b->request_hash = g_strdup ("H1");
  c->request_hash = g_strdup ("H1");
  c->status = EASEL_GENERATION_FAILED;   /* newest, but failed */
  insert (store, a, 1);
  insert (store, b, 2);
  insert (store, c, 3);

  hit = easel_store_lookup_cached (store, "H1", &error);
  g_assert_no_error (error);
  g_assert_nonnull (hit);
  g_assert_cmpint (hit->id, ==, b->id);
  g_clear_object (&hit);

  hit = easel_store_lookup_cached (store, "H2", &error);
  g_assert_no_error (error);
  g_assert_null (hit);

  /* A deleted image is not served from the cache. */
  g_assert_true (easel_store_delete (store, b->id, &error));
  hit = easel_store_lookup_cached (store, "H1", &error);
  g_assert_nonnull (hit);
  g_assert_cmpint (hit->id, ==, a->id);

  g_clear_object (&store);
  rm_rf (dir);
}

/* ------------------------------------------------------------------------- */
/* Search, filters, sort and paging: the expected results are computed here
 * from the same data by a plain C filter, then compared page by page. */

#define N_FILTER_GENS 57

static const char * const models[] = { "gpt-image-1", "dall-e-3", "gpt-image-1-mini" };
static const char * const words[] = { "fox", "lighthouse", "café", "robot", "forest", "ocean" };

typedef struct
{
  gint64 id;
  char  *prompt;
  char  *revised;
  const char *model;
  gint64 created;
  gboolean starred;
  EaselGenerationStatus status;
  double cost;
  gboolean deleted;
} Ref;

typedef struct
{
  const char    *name;
  const char    *text;      /* NULL = none; matched by the reference as "every word a prefix of some word" */
  const char    *model;
  gint64         since, until;
  gboolean       starred_only, include_failed, deleted_only;
  EaselStoreSort sort;
  guint          page;
} FilterCase;

static const FilterCase filter_cases[] = {
  { "all-newest", NULL, NULL, 0, 0, FALSE, FALSE, FALSE, EASEL_STORE_SORT_NEWEST, 10 },
  { "all-oldest", NULL, NULL, 0, 0, FALSE, FALSE, FALSE, EASEL_STORE_SORT_OLDEST, 7 },
  { "cost", NULL, NULL, 0, 0, FALSE, TRUE, FALSE, EASEL_STORE_SORT_COST, 9 },
  { "model", NULL, "dall-e-3", 0, 0, FALSE, FALSE, FALSE, EASEL_STORE_SORT_NEWEST, 4 },
  { "range", NULL, NULL, 1000 + 86400 * 10, 1000 + 86400 * 30, FALSE, FALSE, FALSE, EASEL_STORE_SORT_NEWEST, 5 },
  { "starred", NULL, NULL, 0, 0, TRUE, FALSE, FALSE, EASEL_STORE_SORT_OLDEST, 3 },
  { "failed-too", NULL, NULL, 0, 0, FALSE, TRUE, FALSE, EASEL_STORE_SORT_NEWEST, 8 },
  { "trash", NULL, NULL, 0, 0, FALSE, TRUE, TRUE, EASEL_STORE_SORT_NEWEST, 2 },
  { "text-fox", "fox", NULL, 0, 0, FALSE, FALSE, FALSE, EASEL_STORE_SORT_NEWEST, 4 },
  { "text-prefix", "light", NULL, 0, 0, FALSE, FALSE, FALSE, EASEL_STORE_SORT_NEWEST, 3 },
  { "text-two-words", "ocean robot", NULL, 0, 0, FALSE, FALSE, FALSE, EASEL_STORE_SORT_OLDEST, 2 },
  { "text-diacritics", "cafe", NULL, 0, 0, FALSE, FALSE, FALSE, EASEL_STORE_SORT_NEWEST, 5 },
  { "text-revised-only", "painterly", NULL, 0, 0, FALSE, FALSE, FALSE, EASEL_STORE_SORT_NEWEST, 5 },
  { "text-syntax", "(fox\"* -:^", NULL, 0, 0, FALSE, FALSE, FALSE, EASEL_STORE_SORT_NEWEST, 5 },
  { "text-and-model", "forest", "gpt-image-1", 0, 0, TRUE, FALSE, FALSE, EASEL_STORE_SORT_COST, 2 },
};

/* The reference matcher: words of @text (letters/digits, lowercased, é→e),
 * each a prefix of some word of the prompt or revised prompt. */
static char *
fold (const char *s)
{
  g_autofree char *norm = g_utf8_normalize (s, -1, G_NORMALIZE_NFD);
  GString *out = g_string_new (NULL);

  for (const char *p = norm; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_ismark (c))
        continue;
      g_string_append_unichar (out, g_unichar_isalnum (c) ? g_unichar_tolower (c) : ' ');
    }
  return g_string_free (out, FALSE);
}

static gboolean
ref_text_matches (const Ref *r, const char *text)
{
  g_autofree char *ft = fold (text);
  g_autofree char *hay = g_strdup_printf (" %s %s", r->prompt, r->revised ? r->revised : "");
  g_autofree char *fh = fold (hay);
  g_auto(GStrv) wants = g_strsplit (ft, " ", -1);
  g_auto(GStrv) have = g_strsplit (fh, " ", -1);

  for (guint i = 0; wants[i]; i++)
    {
      gboolean found = FALSE;

      if (*wants[i] == '\0')
        continue;
      for (guint j = 0; have[j] && !found; j++)
        found = g_str_has_prefix (have[j], wants[i]);
      if (!found)
        return FALSE;
    }
  return TRUE;
}

static const FilterCase *sort_case;

static int
ref_compare (gconstpointer pa, gconstpointer pb)
{
  const Ref *a = *(const Ref **) pa, *b = *(const Ref **) pb;

  switch (sort_case->sort)
    {
    case EASEL_STORE_SORT_OLDEST:
      if (a->created != b->created)
        return a->created < b->created ? -1 : 1;
      return a->id < b->id ? -1 : 1;
    case EASEL_STORE_SORT_COST:
      if (a->cost != b->cost)
        return a->cost > b->cost ? -1 : 1;
      return a->id > b->id ? -1 : 1;
    case EASEL_STORE_SORT_NEWEST:
    default:
      if (a->created != b->created)
        return a->created > b->created ? -1 : 1;
      return a->id > b->id ? -1 : 1;
    }
}

static void
test_filters (gconstpointer data)
{
  const FilterCase *fc = data;
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(EaselStore) store = open_store (dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) expected = g_ptr_array_new ();
  Ref refs[N_FILTER_GENS];
  g_autoptr(EaselStoreQuery) q = easel_store_query_new ();
  guint total = 0, seen = 0;
  GRand *rand = g_rand_new_with_seed (42);

  for (guint i = 0; i < N_FILTER_GENS; i++)
    {
      g_autoptr(EaselGeneration) g = NULL;
      Ref *r = &refs[i];

      r->prompt = g_strdup_printf ("a %s and a %s number %u", words[g_rand_int_range (rand, 0, 6)],
                                   words[g_rand_int_range (rand, 0, 6)], i);
      r->revised = i % 5 == 0 ? g_strdup ("painterly rendition") : NULL;
      r->model = models[g_rand_int_range (rand, 0, 3)];
      /* Some equal timestamps, to check the id tie-break. */
      r->created = 1000 + 86400 * (gint64) g_rand_int_range (rand, 0, 40);
      r->starred = g_rand_int_range (rand, 0, 4) == 0;
      r->status = g_rand_int_range (rand, 0, 6) == 0 ? EASEL_GENERATION_FAILED : EASEL_GENERATION_OK;
      r->cost = g_rand_int_range (rand, 0, 5) == 0 ? -1 : g_rand_int_range (rand, 1, 1000) / 100.0;
      r->deleted = g_rand_int_range (rand, 0, 8) == 0;

      g = gen_new (r->prompt, r->model, r->created);
      g->revised_prompt = g_strdup (r->revised);
      g->starred = r->starred;
      g->status = r->status;
      g->estimated_usd = r->cost;
      r->id = insert (store, g, i);
      if (r->deleted)
        g_assert_true (easel_store_delete (store, r->id, &error));
    }
  g_rand_free (rand);

  for (guint i = 0; i < N_FILTER_GENS; i++)
    {
      Ref *r = &refs[i];

      if (fc->deleted_only != r->deleted)
        continue;
      if (!fc->include_failed && r->status != EASEL_GENERATION_OK)
        continue;
      if (fc->model && g_strcmp0 (fc->model, r->model) != 0)
        continue;
      if (fc->since && r->created < fc->since)
        continue;
      if (fc->until && r->created >= fc->until)
        continue;
      if (fc->starred_only && !r->starred)
        continue;
      if (fc->text && !ref_text_matches (r, fc->text))
        continue;
      g_ptr_array_add (expected, r);
    }
  sort_case = fc;
  g_ptr_array_sort (expected, ref_compare);

  q->text = g_strdup (fc->text);
  q->model = g_strdup (fc->model);
  q->since = fc->since;
  q->until = fc->until;
  q->starred_only = fc->starred_only;
  q->include_failed = fc->include_failed;
  q->deleted_only = fc->deleted_only;
  q->sort = fc->sort;
  q->limit = fc->page;

  for (q->offset = 0; ; q->offset += fc->page)
    {
      g_autoptr(GPtrArray) page = easel_store_query (store, q, &total, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (total, ==, expected->len);
      g_assert_cmpuint (page->len, <=, fc->page);
      for (guint i = 0; i < page->len; i++)
        {
          EaselGeneration *g = page->pdata[i];

          g_assert_cmpuint (seen, <, expected->len);
          g_assert_cmpint (g->id, ==, ((Ref *) expected->pdata[seen])->id);
          seen++;
        }
      if (page->len < fc->page)
        break;
    }
  g_assert_cmpuint (seen, ==, expected->len);
  /* The data must exercise the filter: every case selects something. */
  g_assert_cmpuint (expected->len, >, 0);

  for (guint i = 0; i < N_FILTER_GENS; i++)
    {
      g_free (refs[i].prompt);
      g_free (refs[i].revised);
    }
  g_clear_object (&store);
  rm_rf (dir);
}

/* ------------------------------------------------------------------------- */

static void
test_ledger (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(EaselStore) store = open_store (dir);
  g_autoptr(EaselSpend) spend = NULL;
  g_autoptr(GError) error = NULL;
  GRand *rand = g_rand_new_with_seed (7);
  double total = 0, failed_usd = 0;
  guint n_ok = 0, n_failed = 0, n_mod = 0, n_cancel = 0, n_est = 0;
  g_autoptr(GHashTable) per_model = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  gint64 out_tokens = 0;
  double days_sum = 0, models_sum = 0;

  for (guint i = 0; i < 40; i++)
    {
      g_autoptr(EaselGeneration) g = gen_new ("ledger", models[i % 3], 1700000000 + 3600 * 7 * (gint64) i);
      double cost;
      double *m;

      g->status = g_rand_int_range (rand, 0, 4);
      g->estimated_usd = g_rand_int_range (rand, 1, 100) / 100.0;
      g->actual_usd = g_rand_boolean (rand) ? g_rand_int_range (rand, 1, 100) / 100.0 : -1;
      g->output_tokens = g_rand_int_range (rand, 0, 5000);
      out_tokens += g->output_tokens;

      if (g->actual_usd >= 0)
        cost = g->actual_usd;
      else if (g->status == EASEL_GENERATION_CANCELLED)
        cost = 0;
      else
        {
          cost = g->estimated_usd;
          n_est++;
        }
      total += cost;
      switch (g->status)
        {
        case EASEL_GENERATION_OK: n_ok++; break;
        case EASEL_GENERATION_FAILED: n_failed++; failed_usd += cost; break;
        case EASEL_GENERATION_MODERATED: n_mod++; failed_usd += cost; break;
        case EASEL_GENERATION_CANCELLED: n_cancel++; break;
        default: g_assert_not_reached ();
        }
      if (!(m = g_hash_table_lookup (per_model, g->model)))
        g_hash_table_insert (per_model, (gpointer) models[i % 3], (m = g_new0 (double, 1)));
      *m += cost;
      insert (store, g, i);
      /* Deleting does not refund. */
      if (i % 9 == 0)
        g_assert_true (easel_store_delete (store, g->id, &error));
    }
  g_rand_free (rand);

  spend = easel_store_get_spend (store, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (spend->total.usd, total, 1e-6);
  g_assert_cmpfloat_with_epsilon (spend->total.failed_usd, failed_usd, 1e-6);
  g_assert_cmpuint (spend->total.n_ok, ==, n_ok);
  g_assert_cmpuint (spend->total.n_failed, ==, n_failed);
  g_assert_cmpuint (spend->total.n_moderated, ==, n_mod);
  g_assert_cmpuint (spend->total.n_cancelled, ==, n_cancel);
  g_assert_cmpuint (spend->total.n_estimated, ==, n_est);
  g_assert_cmpint (spend->total.output_tokens, ==, out_tokens);
  g_assert_cmpuint (n_failed + n_mod, >, 0);

  g_assert_cmpuint (spend->per_model->len, ==, 3);
  for (guint i = 0; i < spend->per_model->len; i++)
    {
      EaselSpendRow *row = spend->per_model->pdata[i];
      double *m = g_hash_table_lookup (per_model, row->key);

      g_assert_nonnull (m);
      g_assert_cmpfloat_with_epsilon (row->usd, *m, 1e-6);
      models_sum += row->usd;
      if (i > 0)
        g_assert_cmpfloat (row->usd, <=, ((EaselSpendRow *) spend->per_model->pdata[i - 1])->usd);
    }
  g_assert_cmpfloat_with_epsilon (models_sum, total, 1e-6);

  g_assert_cmpuint (spend->per_day->len, >, 1);
  for (guint i = 0; i < spend->per_day->len; i++)
    {
      EaselSpendRow *row = spend->per_day->pdata[i];

      days_sum += row->usd;
      g_assert_cmpuint (strlen (row->key), ==, 10);
      if (i > 0)
        g_assert_cmpstr (row->key, <, ((EaselSpendRow *) spend->per_day->pdata[i - 1])->key);
    }
  g_assert_cmpfloat_with_epsilon (days_sum, total, 1e-6);

  /* Per day and model: each day's rows add up to that day's total and each
   * model's to its own, newest day first, the dearer model first. */
  {
    g_autoptr(GHashTable) by_day = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
    g_autoptr(GHashTable) by_model = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
    double cells_sum = 0;

    g_assert_nonnull (spend->per_day_model);
    g_assert_cmpuint (spend->per_day_model->len, >, spend->per_day->len);
    for (guint i = 0; i < spend->per_day_model->len; i++)
      {
        EaselSpendRow *row = spend->per_day_model->pdata[i];
        double *d, *m;

        g_assert_cmpuint (strlen (row->key), ==, 10);
        g_assert_nonnull (row->model);
        if (i > 0)
          {
            EaselSpendRow *prev = spend->per_day_model->pdata[i - 1];

            g_assert_cmpstr (row->key, <=, prev->key);
            if (g_str_equal (row->key, prev->key))
              g_assert_cmpfloat (row->usd, <=, prev->usd);
          }
        if (!(d = g_hash_table_lookup (by_day, row->key)))
          g_hash_table_insert (by_day, row->key, (d = g_new0 (double, 1)));
        if (!(m = g_hash_table_lookup (by_model, row->model)))
          g_hash_table_insert (by_model, row->model, (m = g_new0 (double, 1)));
        *d += row->usd;
        *m += row->usd;
        cells_sum += row->usd;
      }
    g_assert_cmpfloat_with_epsilon (cells_sum, total, 1e-6);
    g_assert_cmpuint (g_hash_table_size (by_day), ==, spend->per_day->len);
    for (guint i = 0; i < spend->per_day->len; i++)
      {
        EaselSpendRow *row = spend->per_day->pdata[i];
        g_assert_cmpfloat_with_epsilon (*(double *) g_hash_table_lookup (by_day, row->key), row->usd, 1e-6);
        g_assert_null (row->model);
      }
    for (guint i = 0; i < spend->per_model->len; i++)
      {
        EaselSpendRow *row = spend->per_model->pdata[i];
        g_assert_cmpfloat_with_epsilon (*(double *) g_hash_table_lookup (by_model, row->key), row->usd, 1e-6);
      }
  }

  g_clear_object (&store);
  rm_rf (dir);
}

static void
test_star_delete_purge (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(EaselStore) store = open_store (dir);
  g_autoptr(EaselGeneration) a = gen_new ("one", "gpt-image-1", 100);
  g_autoptr(EaselGeneration) b = gen_new ("two", "gpt-image-1", 200);
  g_autoptr(EaselGeneration) c = gen_new ("three, same image as two", "gpt-image-1", 300);
  g_autoptr(EaselGeneration) back = NULL;
  g_autoptr(EaselStoreQuery) q = easel_store_query_new ();
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;
  guint total;

  insert (store, a, 1);
  insert (store, b, 2);
  insert (store, c, 2);   /* identical bytes */
  g_assert_cmpstr (b->path, ==, c->path);

  g_assert_true (easel_store_set_starred (store, a->id, TRUE, &error));
  back = easel_store_get_generation (store, a->id, &error);
  g_assert_true (back->starred);
  g_clear_object (&back);
  g_assert_false (easel_store_set_starred (store, 9999, TRUE, &error));
  g_assert_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Soft delete hides, undo brings back. */
  g_assert_true (easel_store_delete (store, a->id, &error));
  rows = easel_store_query (store, q, &total, &error);
  g_assert_cmpuint (total, ==, 2);
  g_clear_pointer (&rows, g_ptr_array_unref);
  g_assert_true (easel_store_undelete (store, a->id, &error));
  rows = easel_store_query (store, q, &total, &error);
  g_assert_cmpuint (total, ==, 3);
  g_clear_pointer (&rows, g_ptr_array_unref);

  /* Purge removes rows and files nobody else uses. */
  g_assert_true (easel_store_delete (store, a->id, &error));
  g_assert_true (easel_store_delete (store, b->id, &error));
  g_assert_cmpint (easel_store_purge (store, 0, &error), ==, 2);
  g_assert_no_error (error);
  g_assert_false (g_file_test (a->path, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (c->path, G_FILE_TEST_EXISTS));   /* still used by c */
  back = easel_store_get_generation (store, b->id, &error);
  g_assert_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpint (db_int (dir, "SELECT count(*) FROM generations_fts WHERE generations_fts MATCH 'one'"), ==, 0);
  g_assert_cmpint (db_int (dir, "SELECT count(*) FROM generations_fts WHERE generations_fts MATCH 'three'"), ==, 1);

  g_clear_object (&store);
  rm_rf (dir);
}

static void
test_turns (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(EaselStore) store = open_store (dir);
  g_autoptr(EaselConversation) conv = NULL;
  g_autoptr(EaselConversation) other = NULL;
  g_autoptr(EaselConversation) back = NULL;
  g_autoptr(EaselTurn) root = easel_turn_new ();
  g_autoptr(EaselTurn) left = easel_turn_new ();
  g_autoptr(EaselTurn) right = easel_turn_new ();
  g_autoptr(EaselTurn) leaf = easel_turn_new ();
  g_autoptr(EaselTurn) bad = easel_turn_new ();
  g_autoptr(GPtrArray) path = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselGeneration) g = gen_new ("turn image", "gpt-image-1", 10);

  conv = easel_store_create_conversation (store, "Foxes", &error);
  g_assert_no_error (error);
  other = easel_store_create_conversation (store, "Other", &error);
  g_assert_cmpstr (conv->title, ==, "Foxes");

  root->conversation_id = conv->id;
  root->user_text = g_strdup ("draw a fox");
  g_assert_cmpint (easel_store_add_turn (store, root, &error), >, 0);
  left->conversation_id = conv->id;
  left->parent_turn_id = root->id;
  left->user_text = g_strdup ("make it red");
  g_assert_cmpint (easel_store_add_turn (store, left, &error), >, 0);
  right->conversation_id = conv->id;
  right->parent_turn_id = root->id;
  right->user_text = g_strdup ("make it blue");
  right->previous_response_id = g_strdup ("resp_root");
  g_assert_cmpint (easel_store_add_turn (store, right, &error), >, 0);
  leaf->conversation_id = conv->id;
  leaf->parent_turn_id = right->id;
  leaf->user_text = g_strdup ("add snow");
  g_assert_cmpint (easel_store_add_turn (store, leaf, &error), >, 0);
  g_assert_no_error (error);

  /* A parent from another conversation is refused. */
  bad->conversation_id = other->id;
  bad->parent_turn_id = root->id;
  g_assert_cmpint (easel_store_add_turn (store, bad, &error), ==, 0);
  g_assert_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID);
  g_clear_error (&error);

  /* Finish a turn with its image. */
  g->conversation_id = conv->id;
  g->turn_id = leaf->id;
  insert (store, g, 3);
  g_free (leaf->assistant_text);
  leaf->assistant_text = g_strdup ("Here it is");
  leaf->response_id = g_strdup ("resp_leaf");
  leaf->image_call_id = g_strdup ("ig_leaf");
  leaf->generation_id = g->id;
  g_assert_true (easel_store_update_turn (store, leaf, &error));

  path = easel_store_get_turn_path (store, leaf->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (path->len, ==, 3);
  g_assert_cmpint (((EaselTurn *) path->pdata[0])->id, ==, root->id);
  g_assert_cmpint (((EaselTurn *) path->pdata[1])->id, ==, right->id);
  g_assert_cmpstr (((EaselTurn *) path->pdata[1])->previous_response_id, ==, "resp_root");
  g_assert_cmpint (((EaselTurn *) path->pdata[2])->id, ==, leaf->id);
  g_assert_cmpint (((EaselTurn *) path->pdata[2])->generation_id, ==, g->id);
  g_assert_cmpstr (((EaselTurn *) path->pdata[2])->image_call_id, ==, "ig_leaf");

  all = easel_store_list_turns (store, conv->id, &error);
  g_assert_cmpuint (all->len, ==, 4);

  back = easel_store_get_conversation (store, conv->id, &error);
  g_assert_cmpint (back->last_turn, ==, leaf->id);
  g_assert_true (easel_store_rename_conversation (store, conv->id, "Red foxes", &error));
  g_clear_object (&back);
  back = easel_store_get_conversation (store, conv->id, &error);
  g_assert_cmpstr (back->title, ==, "Red foxes");

  {
    g_autoptr(GPtrArray) convs = easel_store_list_conversations (store, &error);
    g_assert_cmpuint (convs->len, ==, 2);
  }

  g_clear_object (&store);
  rm_rf (dir);
}

/* ------------------------------------------------------------------------- */
/* Migration: a frozen copy of the version 1 schema, as shipped. */

static const char v1_schema[] =
  "PRAGMA application_id = 1165192241;"
  "CREATE TABLE conversations (id INTEGER PRIMARY KEY, title TEXT NOT NULL DEFAULT '', created INTEGER NOT NULL,"
  "  updated INTEGER NOT NULL, last_turn INTEGER);"
  "CREATE TABLE turns (id INTEGER PRIMARY KEY, conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,"
  "  parent_turn_id INTEGER REFERENCES turns(id) ON DELETE CASCADE, user_text TEXT, assistant_text TEXT, response_id TEXT,"
  "  previous_response_id TEXT, image_call_id TEXT, generation_id INTEGER REFERENCES generations(id) ON DELETE SET NULL,"
  "  created INTEGER NOT NULL);"
  "CREATE TABLE generations (id INTEGER PRIMARY KEY, sha256 TEXT, path TEXT, model TEXT, api TEXT, params_json TEXT,"
  "  prompt TEXT NOT NULL DEFAULT '', revised_prompt TEXT, action TEXT, size TEXT, format TEXT, background TEXT,"
  "  quality TEXT, usage_json TEXT, input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0,"
  "  estimated_usd REAL, actual_usd REAL, created INTEGER NOT NULL,"
  "  parent_generation_id INTEGER REFERENCES generations(id) ON DELETE SET NULL, mask_sha256 TEXT,"
  "  conversation_id INTEGER REFERENCES conversations(id) ON DELETE SET NULL,"
  "  turn_id INTEGER REFERENCES turns(id) ON DELETE SET NULL, starred INTEGER NOT NULL DEFAULT 0, request_hash TEXT,"
  "  status TEXT NOT NULL DEFAULT 'ok' CHECK (status IN ('ok','failed','moderated','cancelled')),"
  "  error_type TEXT, error_code TEXT, error_message TEXT, response_id TEXT, image_call_id TEXT);"
  "CREATE INDEX generations_created ON generations(created);"
  "CREATE INDEX generations_request_hash ON generations(request_hash);"
  "CREATE INDEX turns_conversation ON turns(conversation_id);"
  "INSERT INTO conversations (id, title, created, updated) VALUES (1, 'old chat', 50, 60);"
  "INSERT INTO turns (id, conversation_id, user_text, generation_id, created) VALUES (1, 1, 'hi', 1, 55);"
  "INSERT INTO generations (prompt, revised_prompt, model, created, estimated_usd, request_hash, conversation_id)"
  "  VALUES ('an old harbour at night', NULL, 'dall-e-3', 100, 0.04, 'OLD', 1),"
  "         ('second', 'a tiny submarine', 'gpt-image-1', 200, 0.02, NULL, NULL);"
  "PRAGMA user_version = 1;";

static EaselRequest *semantics_request (const char *prompt, int n);
static EaselResult  *semantics_result  (guint n_images, gboolean usage);

static void
test_migrate_v1 (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *db_path = g_build_filename (dir, "library.db", NULL);
  g_autoptr(EaselStore) store = NULL;
  g_autoptr(EaselStoreQuery) q = easel_store_query_new ();
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(EaselGeneration) cached = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *db = NULL;
  guint total;

  g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, v1_schema, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  g_assert_cmpint (db_int (dir, "PRAGMA user_version"), ==, 1);

  store = open_store (dir);
  g_assert_cmpint (db_int (dir, "PRAGMA user_version"), ==, EASEL_STORE_SCHEMA_VERSION);
  /* Schema 3: every image recorded before was the answer shown, so picked. */
  g_assert_cmpint (db_int (dir, "SELECT count(*) FROM generations"), ==, 2);
  g_assert_cmpint (db_int (dir, "SELECT count(*) FROM generations WHERE picked = 1"), ==, 2);
  /* Rebuilding generations did not cut the turns pointing at it. */
  g_assert_cmpint (db_int (dir, "SELECT generation_id FROM turns WHERE id = 1"), ==, 1);

  /* Old rows are searchable (the FTS index was built from them) and live. */
  q->text = g_strdup ("harbour");
  rows = easel_store_query (store, q, &total, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (total, ==, 1);
  g_assert_cmpstr (((EaselGeneration *) rows->pdata[0])->model, ==, "dall-e-3");
  g_assert_cmpint (((EaselGeneration *) rows->pdata[0])->deleted_at, ==, 0);
  g_assert_cmpint (((EaselGeneration *) rows->pdata[0])->conversation_id, ==, 1);
  g_clear_pointer (&rows, g_ptr_array_unref);
  g_free (q->text);
  q->text = g_strdup ("submarine");
  rows = easel_store_query (store, q, &total, &error);
  g_assert_cmpuint (total, ==, 1);

  /* New features work on the old rows. */
  g_assert_true (easel_store_delete (store, 1, &error));
  g_assert_no_error (error);
  cached = easel_store_lookup_cached (store, "OLD", &error);
  g_assert_null (cached);

  /* The migrated table takes the new status, and its row keeps its foreign keys. */
  {
    g_autoptr(EaselRequest) req = semantics_request ("after the migration", 1);
    g_autoptr(EaselResult) res = semantics_result (1, FALSE);
    g_autoptr(GPtrArray) gens = NULL;
    EaselRecordOptions opts = { .incomplete = TRUE, .conversation_id = 1 };

    gens = easel_store_record (store, req, res, NULL, &opts, &error);
    g_assert_no_error (error);
    g_assert_cmpint (((EaselGeneration *) gens->pdata[0])->status, ==, EASEL_GENERATION_INCOMPLETE);
    g_assert_cmpint (db_int (dir, "SELECT count(*) FROM generations WHERE status = 'incomplete' "
                                  "AND conversation_id = 1"), ==, 1);
  }

  g_clear_object (&store);
  rm_rf (dir);
}

/* ------------------------------------------------------------------------- */
/* Corrupt and foreign files: clear error, file untouched, reset moves aside. */

typedef struct
{
  const char *name;
  int         kind;   /* 0 garbage, 1 foreign sqlite db, 2 easel db with a damaged page, 3 too new */
  int         code;
} CorruptCase;

static const CorruptCase corrupt_cases[] = {
  { "garbage", 0, EASEL_STORE_ERROR_CORRUPT },
  { "foreign-sqlite", 1, EASEL_STORE_ERROR_CORRUPT },
  { "damaged-page", 2, EASEL_STORE_ERROR_CORRUPT },
  { "too-new", 3, EASEL_STORE_ERROR_TOO_NEW },
};

static void
write_corrupt (const char *dir, int kind)
{
  g_autofree char *db_path = g_build_filename (dir, "library.db", NULL);
  sqlite3 *db = NULL;

  switch (kind)
    {
    case 0:
      {
        g_autoptr(GString) junk = g_string_new ("This is my shopping list, not a database.\n");
        for (int i = 0; i < 300; i++)
          g_string_append_printf (junk, "line %d of junk\n", i);
        g_assert_true (g_file_set_contents (db_path, junk->str, junk->len, NULL));
      }
      break;
    case 1:
      g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
      g_assert_cmpint (sqlite3_exec (db, "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hi');",
                                     NULL, NULL, NULL), ==, SQLITE_OK);
      sqlite3_close (db);
      break;
    case 2:
      {
        g_autoptr(EaselStore) store = open_store (dir);
        g_autofree char *contents = NULL;
        gsize len;

        for (guint i = 0; i < 200; i++)
          {
            g_autoptr(EaselGeneration) g = gen_new ("filler text to span several pages of the b-tree",
                                                    "gpt-image-1", i + 1);
            g->status = EASEL_GENERATION_FAILED;
            g->error_message = g_strnfill (200, 'x');
            insert (store, g, i);
          }
        g_clear_object (&store);
        /* Checkpointed on close: the rows are in the main file now. */
        g_assert_true (g_file_get_contents (db_path, &contents, &len, NULL));
        g_assert_cmpuint (len, >, 4096 * 8);
        /* Scribble over the middle pages, keep the header valid. */
        memset (contents + 4096 * 3, 0xa5, 4096 * 3);
        g_assert_true (g_file_set_contents (db_path, contents, len, NULL));
      }
      break;
    case 3:
      g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
      g_assert_cmpint (sqlite3_exec (db, "PRAGMA application_id = 1165192241; CREATE TABLE future (x);"
                                     "PRAGMA user_version = 999;", NULL, NULL, NULL), ==, SQLITE_OK);
      sqlite3_close (db);
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
test_corrupt (gconstpointer data)
{
  const CorruptCase *cc = data;
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *db_path = g_build_filename (dir, "library.db", NULL);
  g_autofree char *before = NULL, *after = NULL;
  g_autofree char *backup = NULL;
  g_autoptr(EaselStore) store = NULL;
  g_autoptr(GError) error = NULL;
  gsize before_len, after_len;

  write_corrupt (dir, cc->kind);
  g_assert_true (g_file_get_contents (db_path, &before, &before_len, NULL));

  store = easel_store_open (dir, &error);
  if (cc->kind == 2)
    {
      /* A damaged page inside a table is not read by opening: the
       * maintenance check finds it, and writes nothing. */
      g_assert_no_error (error);
      g_assert_nonnull (store);
      g_assert_false (easel_store_maintain (store, FALSE, &error));
      g_clear_object (&store);
    }
  g_assert_null (store);
  g_assert_error (error, EASEL_STORE_ERROR, cc->code);
  g_assert_true (strstr (error->message, db_path) != NULL);
  g_test_message ("error: %s", error->message);
  g_clear_error (&error);

  /* Untouched, byte for byte. */
  g_assert_true (g_file_get_contents (db_path, &after, &after_len, NULL));
  g_assert_cmpmem (before, before_len, after, after_len);

  /* Reset: the bad file moves aside intact and a fresh library opens. */
  g_assert_true (easel_store_reset_with_backup (dir, &backup, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (backup, db_path));
  g_assert_true (strstr (backup, ".broken-") != NULL);
  g_assert_false (g_file_test (db_path, G_FILE_TEST_EXISTS));
  g_clear_pointer (&after, g_free);
  g_assert_true (g_file_get_contents (backup, &after, &after_len, NULL));
  g_assert_cmpmem (before, before_len, after, after_len);

  store = open_store (dir);
  g_assert_cmpint (db_int (dir, "SELECT count(*) FROM generations"), ==, 0);

  g_clear_object (&store);
  rm_rf (dir);
}

/* ------------------------------------------------------------------------- */
/* Unwritable places. Tests run as root, and root ignores permission bits, so:
 * (a) a regular file where the library folder should be; (b) the real
 * permission case in a subprocess that drops to an unprivileged uid. */

static void
test_not_a_dir (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *blocker = g_build_filename (dir, "easel", NULL);
  g_autofree char *inside = g_build_filename (blocker, "lib", NULL);
  g_autoptr(EaselStore) store = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (blocker, "x", 1, NULL));
  store = easel_store_open (blocker, &error);
  g_assert_null (store);
  g_assert_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_IO);
  g_clear_error (&error);
  store = easel_store_open (inside, &error);
  g_assert_null (store);
  g_assert_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_IO);

  rm_rf (dir);
}

static void
chmod_tree (const char *path, int dir_mode, int file_mode)
{
  g_autoptr(GDir) d = g_dir_open (path, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        chmod_tree (child, dir_mode, file_mode);
      else
        g_assert_cmpint (g_chmod (child, file_mode), ==, 0);
    }
  g_assert_cmpint (g_chmod (path, dir_mode), ==, 0);
}

/* Two images, one starred, for the read-only library. */
static void
fill_read_only_library (EaselStore *store)
{
  g_autoptr(EaselGeneration) a = gen_new ("a lighthouse in fog", "gpt-image-1", 1000);
  g_autoptr(EaselGeneration) b = gen_new ("a red bicycle", "gpt-image-1", 2000);
  g_autoptr(GError) error = NULL;

  a->estimated_usd = 0.04;
  insert (store, a, 1);
  insert (store, b, 2);
  g_assert_true (easel_store_set_starred (store, a->id, TRUE, &error));
  g_assert_no_error (error);
}

static void
check_read_only_store (EaselStore *store)
{
  g_autoptr(EaselStoreQuery) q = easel_store_query_new ();
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(EaselSpend) spend = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = make_png (9);
  g_autoptr(EaselRequest) req = easel_request_new (EASEL_API_IMAGES_GENERATE);
  g_autoptr(GPtrArray) gens = NULL;
  g_autoptr(EaselConversation) conv = NULL;
  g_autofree char *out_path = g_build_filename (g_get_tmp_dir (), "easel-ro-export-XXXXXX.png", NULL);
  g_autoptr(GFile) out = NULL;
  g_autoptr(GError) req_error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "x");
  guint total = 0;
  int fd;

  /* Listing and searching. */
  rows = easel_store_query (store, q, &total, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (total, ==, 2);
  g_clear_pointer (&rows, g_ptr_array_unref);
  q->text = g_strdup ("lighthouse");
  rows = easel_store_query (store, q, &total, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (total, ==, 1);
  g_assert_true (((EaselGeneration *) rows->pdata[0])->starred);
  spend = easel_store_get_spend (store, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (spend->total.n_ok, ==, 2);

  /* Exporting (to a place we can write). */
  fd = g_mkstemp (out_path);
  g_assert_cmpint (fd, >=, 0);
  close (fd);
  out = g_file_new_for_path (out_path);
  g_assert_true (easel_store_export (store, ((EaselGeneration *) rows->pdata[0])->id, out,
                                     EASEL_EXPORT_PNG, -1, &error));
  g_assert_no_error (error);

  /* Every write is refused with READ_ONLY. */
  g_assert_false (easel_store_set_starred (store, 1, FALSE, &error));
  g_assert_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_READ_ONLY);
  g_clear_error (&error);
  g_assert_false (easel_store_delete (store, 1, &error));
  g_assert_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_READ_ONLY);
  g_clear_error (&error);
  g_assert_null (easel_store_store_image (store, png, "png", NULL, &error));
  g_assert_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_READ_ONLY);
  g_clear_error (&error);
  req->model = g_strdup ("gpt-image-1");
  req->prompt = g_strdup ("x");
  gens = easel_store_record (store, req, NULL, req_error, NULL, &error);
  g_assert_null (gens);
  g_assert_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_READ_ONLY);
  g_clear_error (&error);
  conv = easel_store_create_conversation (store, "t", &error);
  g_assert_null (conv);
  g_assert_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_READ_ONLY);
  g_clear_error (&error);
  g_assert_cmpint (easel_store_purge (store, 0, &error), ==, -1);
  g_assert_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_READ_ONLY);
  g_clear_error (&error);
  g_assert_null (easel_store_import (store, out, &error));
  g_assert_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_READ_ONLY);
  g_clear_error (&error);

  g_unlink (out_path);
}

static char *read_only_dir;

static void
test_read_only (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *fresh = g_build_filename (read_only_dir, "fresh", NULL);
      g_autofree char *existing = g_build_filename (read_only_dir, "existing", NULL);
      g_autoptr(EaselStore) store = NULL;
      g_autoptr(GError) error = NULL;

      if (getuid () == 0 && (setgid (65534) != 0 || setuid (65534) != 0))
        {
          g_test_skip ("cannot drop privileges");
          return;
        }

      /* A new library in a folder we cannot write. */
      store = easel_store_open (fresh, &error);
      g_assert_null (store);
      g_assert_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_READ_ONLY);
      g_clear_error (&error);

      /* An existing library we can read but not write opens read-only:
       * listed, searched and exported, never written. */
      store = easel_store_open (existing, &error);
      g_assert_no_error (error);
      g_assert_nonnull (store);
      g_assert_true (easel_store_is_read_only (store));
      check_read_only_store (store);
      return;
    }

  {
    g_autofree char *existing = NULL;
    g_autoptr(EaselStore) store = NULL;

    g_autofree char *db_path = NULL;

    read_only_dir = make_tmp_dir ();
    existing = g_build_filename (read_only_dir, "existing", NULL);
    db_path = g_build_filename (existing, "library.db", NULL);
    store = open_store (existing);
    fill_read_only_library (store);
    g_assert_false (easel_store_is_read_only (store));
    g_clear_object (&store);
    g_assert_cmpint (g_chmod (read_only_dir, 0755), ==, 0);
    chmod_tree (existing, 0555, 0444);

    g_setenv ("EASEL_TEST_RO_DIR", read_only_dir, TRUE);
    g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_test_trap_assert_passed ();

    chmod_tree (existing, 0700, 0600);
    rm_rf (read_only_dir);
    g_clear_pointer (&read_only_dir, g_free);
  }
}

/* ------------------------------------------------------------------------- */

static void
set_mtime (const char *path, gint64 age_seconds)
{
  struct utimbuf t;

  t.actime = t.modtime = time (NULL) - age_seconds;
  g_assert_cmpint (utime (path, &t), ==, 0);
}

static void
db_exec (const char *dir, const char *sql)
{
  g_autofree char *path = g_build_filename (dir, "library.db", NULL);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

/* An unreferenced image file images/<sub>/<sub x 32>.png, @age_seconds old,
 * and its folder as old. */
static char *
make_orphan (const char *dir, const char *sub, gint64 age_seconds)
{
  g_autofree char *subdir = g_build_filename (dir, "images", sub, NULL);
  g_autofree char *sha = NULL;
  g_autofree char *name = NULL;
  char *path;
  GString *s = g_string_new (NULL);

  for (int i = 0; i < 32; i++)
    g_string_append (s, sub);
  sha = g_string_free (s, FALSE);
  name = g_strconcat (sha, ".png", NULL);
  path = g_build_filename (subdir, name, NULL);
  g_assert_cmpint (g_mkdir_with_parents (subdir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, "\x89PNG orphan", -1, NULL));
  set_mtime (path, age_seconds);
  set_mtime (subdir, age_seconds);
  return path;
}

static void
set_meta (const char *dir, const char *key, gint64 age_seconds)
{
  g_autofree char *sql = g_strdup_printf ("INSERT OR REPLACE INTO store_meta (key, value) "
                                          "VALUES ('%s', %" G_GINT64_FORMAT ")",
                                          key, (gint64) time (NULL) - age_seconds);
  db_exec (dir, sql);
}

static void
async_result_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

/* Opening neither checks nor sweeps; maintenance does both at most daily,
 * and between weekly full sweeps looks only at folders changed since the
 * last sweep. */
static void
test_maintenance (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(EaselStore) store = open_store (dir);
  g_autoptr(EaselGeneration) kept = gen_new ("referenced", "gpt-image-1", 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL, *young = NULL, *stale = NULL, *fresh = NULL;
  gint64 last_check, last_sweep;

  insert (store, kept, 49);
  set_mtime (kept->path, 3 * 86400);
  first = make_orphan (dir, "aa", 3600);
  young = make_orphan (dir, "ab", 60);

  /* Never ran: opening again leaves both the record and the orphan alone. */
  g_clear_object (&store);
  store = open_store (dir);
  g_assert_cmpint (db_int (dir, "SELECT count(*) FROM store_meta"), ==, 0);
  g_assert_true (g_file_test (first, G_FILE_TEST_EXISTS));

  g_assert_true (easel_store_maintain (store, FALSE, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (first, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (young, G_FILE_TEST_EXISTS));   /* in its grace period */
  g_assert_true (g_file_test (kept->path, G_FILE_TEST_EXISTS));
  last_check = db_int (dir, "SELECT value FROM store_meta WHERE key = 'last_check'");
  last_sweep = db_int (dir, "SELECT value FROM store_meta WHERE key = 'last_sweep'");
  g_assert_cmpint (last_check, >, time (NULL) - 60);
  g_assert_cmpint (last_sweep, >, time (NULL) - 60);
  g_assert_cmpint (db_int (dir, "SELECT value FROM store_meta WHERE key = 'last_full_sweep'"), ==, last_sweep);

  /* Ran recently: neither reopening nor maintenance does anything. */
  set_meta (dir, "last_check", 3600);
  set_meta (dir, "last_sweep", 3600);
  stale = make_orphan (dir, "ba", 7200);
  g_clear_object (&store);
  store = open_store (dir);
  g_assert_true (easel_store_maintain (store, FALSE, &error));
  g_assert_true (g_file_test (stale, G_FILE_TEST_EXISTS));
  g_assert_cmpint (db_int (dir, "SELECT value FROM store_meta WHERE key = 'last_check'"), <, last_check);

  /* A day later: checked and swept again. The orphan's folder changed
   * after the last sweep, so the partial sweep sees it. */
  set_meta (dir, "last_check", 2 * 86400);
  set_meta (dir, "last_sweep", 2 * 86400);
  g_clear_pointer (&stale, g_free);
  stale = make_orphan (dir, "ba", 86400);
  g_assert_true (easel_store_maintain (store, FALSE, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (stale, G_FILE_TEST_EXISTS));
  g_assert_cmpint (db_int (dir, "SELECT value FROM store_meta WHERE key = 'last_check'"), >, time (NULL) - 60);

  /* An orphan in a folder untouched since before the last sweep (a purge
   * cut short leaves those) waits for the weekly full sweep. */
  stale = (g_free (stale), make_orphan (dir, "bb", 5 * 86400));
  fresh = make_orphan (dir, "bc", 3600);
  set_meta (dir, "last_sweep", 2 * 86400);
  g_assert_true (easel_store_maintain (store, FALSE, &error));
  g_assert_true (g_file_test (stale, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (fresh, G_FILE_TEST_EXISTS));

  set_meta (dir, "last_sweep", 2 * 86400);
  set_meta (dir, "last_full_sweep", 8 * 86400);
  g_assert_true (easel_store_maintain (store, FALSE, &error));
  g_assert_false (g_file_test (stale, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (kept->path, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (young, G_FILE_TEST_EXISTS));

  /* The async form, from a main loop. */
  {
    g_autoptr(GAsyncResult) result = NULL;

    easel_store_maintain_async (store, TRUE, NULL, async_result_cb, &result);
    while (result == NULL)
      g_main_context_iteration (NULL, TRUE);
    g_assert_true (easel_store_maintain_finish (store, result, &error));
    g_assert_no_error (error);
  }

  g_clear_object (&store);
  rm_rf (dir);
}

/* The ids, in order, that a plain join of the search gives: the shape the
 * store used before it took shortcuts for big searches. */
static GArray *
reference_search (const char *dir, const char *fts, const char *order, guint limit, guint offset)
{
  g_autofree char *path = g_build_filename (dir, "library.db", NULL);
  g_autofree char *sql = g_strdup_printf ("SELECT g.id FROM generations g JOIN generations_fts f ON f.rowid = g.id "
                                          "WHERE generations_fts MATCH ?1 AND g.deleted_at = 0 "
                                          "AND g.status IN ('ok', 'incomplete') ORDER BY %s LIMIT %u OFFSET %u",
                                          order, limit, offset);
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, fts, -1, SQLITE_STATIC);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (ids, id);
    }
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return ids;
}

static char *
plan_of (const char *dir, const char *sql)
{
  g_autofree char *path = g_build_filename (dir, "library.db", NULL);
  g_autofree char *explain = g_strconcat ("EXPLAIN QUERY PLAN ", sql, NULL);
  GString *plan = g_string_new (NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, explain, -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (plan, "%s\n", (const char *) sqlite3_column_text (stmt, 3));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return g_string_free (plan, FALSE);
}

/* Big searches take another path (count in the FTS index less the hidden
 * matches, page along the gallery's index): same rows, same order, same
 * count as the plain join, above and below the switch, in every sort and
 * at any offset. And the gallery's count reads only its partial index. */
static void
test_search_big (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(EaselStore) store = open_store (dir);
  g_autoptr(GError) error = NULL;
  g_autofree char *plan = NULL;
  static const char * const words[] = { "common", "rare", "nowhere", "common rare" };
  static const EaselStoreSort sorts[] = { EASEL_STORE_SORT_NEWEST, EASEL_STORE_SORT_OLDEST, EASEL_STORE_SORT_COST };

  /* 6000 rows: every one "common", one in 7 "rare"; one in 11 deleted,
   * one in 13 failed, one in 17 incomplete; created times collide. */
  db_exec (dir,
           "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000) "
           "INSERT INTO generations (model, api, prompt, created, estimated_usd, deleted_at, status) "
           "SELECT 'gpt-image-1', 'generate', "
           "  'common prompt ' || CASE WHEN i % 7 = 0 THEN 'rare ' ELSE '' END || i, "
           "  1700000000 + (i * 7919) % 3000, (i % 97) / 1000.0, "
           "  CASE WHEN i % 11 = 0 THEN 1700005000 ELSE 0 END, "
           "  CASE WHEN i % 13 = 0 THEN 'failed' WHEN i % 17 = 0 THEN 'incomplete' ELSE 'ok' END "
           "FROM n");

  for (guint w = 0; w < G_N_ELEMENTS (words); w++)
    for (guint so = 0; so < G_N_ELEMENTS (sorts); so++)
      for (guint offset = 0; offset < 6000; offset += 1450)
        {
          g_autoptr(EaselStoreQuery) q = easel_store_query_new ();
          g_autoptr(GPtrArray) rows = NULL;
          g_autoptr(GArray) want = NULL;
          g_autoptr(GArray) all = NULL;
          g_autofree char *fts = NULL;
          const char *order;
          guint total = 0;

          q->text = g_strdup (words[w]);
          q->sort = sorts[so];
          q->limit = 60;
          q->offset = offset;
          fts = g_strcmp0 (words[w], "common rare") == 0 ? g_strdup ("\"common\"* \"rare\"*")
                                                        : g_strdup_printf ("\"%s\"*", words[w]);
          order = sorts[so] == EASEL_STORE_SORT_OLDEST ? "g.created ASC, g.id ASC"
                  : sorts[so] == EASEL_STORE_SORT_COST ? "coalesce(g.actual_usd, g.estimated_usd, -1) DESC, g.id DESC"
                  : "g.created DESC, g.id DESC";
          want = reference_search (dir, fts, order, 60, offset);
          all = reference_search (dir, fts, order, G_MAXINT, 0);

          rows = easel_store_query (store, q, &total, &error);
          g_assert_no_error (error);
          g_test_message ("%s, sort %d, offset %u: %u of %u", words[w], sorts[so], offset, rows->len, all->len);
          g_assert_cmpuint (total, ==, all->len);
          g_assert_cmpuint (rows->len, ==, want->len);
          for (guint i = 0; i < rows->len; i++)
            g_assert_cmpint (((EaselGeneration *) g_ptr_array_index (rows, i))->id, ==,
                             g_array_index (want, gint64, i));
        }

  /* The gallery's count, as build_where() spells it, reads only the
   * partial index, never the table. */
  plan = plan_of (dir, "SELECT count(*) FROM generations g WHERE 1 AND g.deleted_at = 0 "
                       "AND g.status IN ('ok', 'incomplete')");
  g_test_message ("%s", plan);
  g_assert_nonnull (strstr (plan, "COVERING INDEX generations_gallery"));

  g_clear_object (&store);
  rm_rf (dir);
}

static guint
search_count (EaselStore *store, const char *text, guint offset)
{
  g_autoptr(EaselStoreQuery) q = easel_store_query_new ();
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;
  guint total = 0;

  q->text = g_strdup (text);
  q->limit = 60;
  q->offset = offset;
  rows = easel_store_query (store, q, &total, &error);
  g_assert_no_error (error);
  return total;
}

/* A search keeps its matches for the next page; a write through the store
 * or through another connection must still show in the next query. */
static void
test_search_sees_writes (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(EaselStore) store = open_store (dir);
  g_autoptr(GError) error = NULL;

  /* Above and below the switch to walking the gallery's index. */
  db_exec (dir,
           "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) "
           "INSERT INTO generations (model, api, prompt, created, status) "
           "SELECT 'gpt-image-1', 'generate', 'common ' || CASE WHEN i % 10 = 0 THEN 'rare' ELSE '' END, "
           "1700000000 + i, 'ok' FROM n");

  g_assert_cmpuint (search_count (store, "common", 0), ==, 3000);
  g_assert_cmpuint (search_count (store, "common", 600), ==, 3000);
  g_assert_cmpuint (search_count (store, "rare", 0), ==, 300);

  /* Another connection. */
  db_exec (dir, "UPDATE generations SET deleted_at = 1700005000 WHERE id <= 20");
  g_assert_cmpuint (search_count (store, "common", 60), ==, 2980);
  g_assert_cmpuint (search_count (store, "rare", 0), ==, 298);
  db_exec (dir, "INSERT INTO generations (model, api, prompt, created, status) "
                "VALUES ('gpt-image-1', 'generate', 'common rare', 1700009000, 'ok')");
  g_assert_cmpuint (search_count (store, "common", 0), ==, 2981);

  /* This store. */
  g_assert_true (easel_store_delete (store, 30, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (search_count (store, "common", 0), ==, 2980);
  g_assert_cmpuint (search_count (store, "rare", 0), ==, 298);
  g_assert_true (easel_store_undelete (store, 30, &error));
  g_assert_cmpuint (search_count (store, "rare", 0), ==, 299);
  g_assert_cmpuint (search_count (store, "common", 120), ==, 2981);

  g_clear_object (&store);
  rm_rf (dir);
}

static void
test_orphan_sweep (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(EaselStore) store = open_store (dir);
  g_autoptr(EaselGeneration) kept = gen_new ("referenced", "gpt-image-1", 1);
  g_autoptr(GBytes) old_orphan = make_png (50);
  g_autoptr(GBytes) young_orphan = make_png (51);
  g_autoptr(GError) error = NULL;
  g_autofree char *p_old = NULL, *p_young = NULL;
  g_autofree char *images = g_build_filename (dir, "images", NULL);
  g_autofree char *dead_tmp = NULL, *live_tmp = NULL;
  g_autofree char *sub = NULL;
  GPid pid;
  int status;
  char *argv[] = { (char *) "/bin/true", NULL };

  insert (store, kept, 49);
  set_mtime (kept->path, 86400);
  p_old = easel_store_store_image (store, old_orphan, "png", NULL, &error);
  p_young = easel_store_store_image (store, young_orphan, "png", NULL, &error);
  g_assert_no_error (error);
  set_mtime (p_old, 86400);

  /* A temp file of a process that has exited, and one of ours (alive). */
  g_assert_true (g_spawn_async (NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, &error));
  waitpid (pid, &status, 0);
  sub = g_path_get_dirname (kept->path);
  dead_tmp = g_strdup_printf ("%s/.tmp-%d-abcdef", sub, (int) pid);
  live_tmp = g_strdup_printf ("%s/.tmp-%d-ghijkl", sub, (int) getpid ());
  g_assert_true (g_file_set_contents (dead_tmp, "half", 4, NULL));
  g_assert_true (g_file_set_contents (live_tmp, "half", 4, NULL));

  g_assert_cmpint (easel_store_sweep_orphans (store, 600, &error), ==, 2);
  g_assert_no_error (error);
  g_assert_true (g_file_test (kept->path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (p_old, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (p_young, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (dead_tmp, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (live_tmp, G_FILE_TEST_EXISTS));

  /* Grace 0: every unreferenced file goes, the referenced one stays. */
  g_assert_cmpint (easel_store_sweep_orphans (store, 0, &error), ==, 2);
  g_assert_cmpuint (count_files (images, FALSE), ==, 1);

  /* Storing bytes again that an orphan sweep could see as old touches the
   * file, so a concurrent sweep keeps it. */
  set_mtime (kept->path, 86400);
  g_free (easel_store_store_image (store, make_png (49), "png", NULL, &error));
  {
    struct stat st;
    g_assert_cmpint (stat (kept->path, &st), ==, 0);
    g_assert_cmpint (time (NULL) - st.st_mtime, <, 3600);
  }

  g_clear_object (&store);
  rm_rf (dir);
}

/* ------------------------------------------------------------------------- */

typedef struct
{
  const char *name;
  EaselExportFormat format;
  const char *mime_ext;
} ExportCase;

static const ExportCase export_cases[] = {
  { "png", EASEL_EXPORT_PNG, "png" },
  { "jpeg", EASEL_EXPORT_JPEG, "jpeg" },
  { "webp", EASEL_EXPORT_WEBP, "webp" },
};

static void
test_export (gconstpointer data)
{
  const ExportCase *ec = data;
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *dir2 = make_tmp_dir ();
  g_autoptr(EaselStore) store = open_store (dir);
  g_autoptr(EaselConversation) conv = easel_store_create_conversation (store, "Harbour chat", NULL);
  g_autoptr(EaselTurn) t1 = easel_turn_new ();
  g_autoptr(EaselTurn) t2 = easel_turn_new ();
  g_autoptr(EaselGeneration) parent = gen_new ("a harbour", "gpt-image-1", 5);
  g_autoptr(EaselGeneration) g = gen_new ("a harbour at night", "gpt-image-1", 10);
  g_autofree char *out_name = g_strdup_printf ("out.%s", ec->mime_ext);
  g_autofree char *out_path = g_build_filename (dir, out_name, NULL);
  g_autoptr(GFile) out = g_file_new_for_path (out_path);
  g_autoptr(GdkPixbuf) pb = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;

  t1->conversation_id = conv->id;
  t1->user_text = g_strdup ("a harbour");
  t1->response_id = g_strdup ("resp_1");
  easel_store_add_turn (store, t1, &error);
  t2->conversation_id = conv->id;
  t2->parent_turn_id = t1->id;
  t2->user_text = g_strdup ("now at night");
  t2->previous_response_id = g_strdup ("resp_1");
  t2->response_id = g_strdup ("resp_2");
  t2->image_call_id = g_strdup ("ig_2");
  easel_store_add_turn (store, t2, &error);
  g_assert_no_error (error);

  insert (store, parent, 60);
  g->revised_prompt = g_strdup ("A quiet harbour at night");
  g->params_json = g_strdup ("{\"model\":\"gpt-image-1\",\"quality\":\"high\"}");
  g->response_id = g_strdup ("resp_2");
  g->image_call_id = g_strdup ("ig_2");
  g->conversation_id = conv->id;
  g->turn_id = t2->id;
  g->parent_generation_id = parent->id;
  insert (store, g, 61);
  t2->generation_id = g->id;
  easel_store_update_turn (store, t2, &error);

  g_assert_true (easel_store_export (store, g->id, out, ec->format, 80, &error));
  g_assert_no_error (error);
  pb = gdk_pixbuf_new_from_file (out_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_pixbuf_get_width (pb), ==, 16);

  bytes = g_file_load_bytes (out, NULL, NULL, &error);
  if (ec->format == EASEL_EXPORT_PNG)
    {
      g_autoptr(GHashTable) meta = easel_png_meta_read (bytes, &error);
      g_autoptr(EaselStore) store2 = open_store (dir2);
      g_autoptr(EaselGeneration) imported = NULL;
      g_autoptr(GPtrArray) path = NULL;
      g_autoptr(EaselConversation) conv2 = NULL;

      g_assert_no_error (error);
      g_assert_cmpstr (g_hash_table_lookup (meta, "easel:prompt"), ==, g->prompt);
      g_assert_cmpstr (g_hash_table_lookup (meta, "easel:revised-prompt"), ==, g->revised_prompt);
      g_assert_cmpstr (g_hash_table_lookup (meta, "easel:model"), ==, "gpt-image-1");
      g_assert_cmpstr (g_hash_table_lookup (meta, "easel:params"), ==, g->params_json);
      g_assert_cmpstr (g_hash_table_lookup (meta, "easel:response-id"), ==, "resp_2");
      g_assert_cmpstr (g_hash_table_lookup (meta, "easel:parent-sha256"), ==, parent->sha256);
      g_assert_nonnull (g_hash_table_lookup (meta, "easel:record"));

      /* Import into another library: conversation and turns come back. */
      imported = easel_store_import (store2, out, &error);
      g_assert_no_error (error);
      g_assert_nonnull (imported);
      g_assert_cmpstr (imported->prompt, ==, g->prompt);
      g_assert_cmpstr (imported->revised_prompt, ==, g->revised_prompt);
      g_assert_cmpstr (imported->params_json, ==, g->params_json);
      g_assert_cmpstr (imported->response_id, ==, "resp_2");
      g_assert_true (g_file_test (imported->path, G_FILE_TEST_IS_REGULAR));
      g_assert_cmpint (imported->conversation_id, >, 0);
      conv2 = easel_store_get_conversation (store2, imported->conversation_id, &error);
      g_assert_cmpstr (conv2->title, ==, "Harbour chat");
      g_assert_cmpint (conv2->last_turn, ==, imported->turn_id);
      path = easel_store_get_turn_path (store2, imported->turn_id, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (path->len, ==, 2);
      g_assert_cmpstr (((EaselTurn *) path->pdata[0])->user_text, ==, "a harbour");
      g_assert_cmpstr (((EaselTurn *) path->pdata[1])->response_id, ==, "resp_2");
      g_assert_cmpstr (((EaselTurn *) path->pdata[1])->image_call_id, ==, "ig_2");
      g_assert_cmpint (((EaselTurn *) path->pdata[1])->generation_id, ==, imported->id);
    }
  else
    {
      /* Lossy formats carry no Easel metadata; importing them is refused. */
      g_autoptr(EaselGeneration) imported = easel_store_import (store, out, &error);
      g_assert_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID);
      g_assert_null (imported);
    }

  g_clear_object (&store);
  rm_rf (dir);
  rm_rf (dir2);
}

/* ------------------------------------------------------------------------- */

typedef struct
{
  GMainLoop  *loop;
  EaselStore *store;
  GPtrArray  *rows;
  guint       total;
  gboolean    exported;
  guint       changed;
  GError     *error;
} AsyncState;

static void
open_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  AsyncState *s = data;

  s->store = easel_store_open_finish (result, &s->error);
  g_main_loop_quit (s->loop);
}

static void
query_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  AsyncState *s = data;

  s->rows = easel_store_query_finish (EASEL_STORE (source), result, &s->total, &s->error);
  g_main_loop_quit (s->loop);
}

static void
record_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  AsyncState *s = data;

  s->rows = easel_store_record_finish (EASEL_STORE (source), result, &s->error);
  g_main_loop_quit (s->loop);
}

static void
export_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  AsyncState *s = data;

  s->exported = easel_store_export_finish (EASEL_STORE (source), result, &s->error);
  g_main_loop_quit (s->loop);
}

static void
changed_cb (EaselStore *store, gpointer data)
{
  AsyncState *s = data;

  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  s->changed++;
}

static void
test_async (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *out_path = g_build_filename (dir, "export.png", NULL);
  g_autoptr(GFile) out = g_file_new_for_path (out_path);
  g_autoptr(EaselStoreQuery) q = easel_store_query_new ();
  g_autoptr(EaselRequest) req = easel_request_new (EASEL_API_IMAGES_GENERATE);
  g_autoptr(EaselResult) res = easel_result_new (EASEL_API_IMAGES_GENERATE);
  EaselImage *img = easel_image_new ();
  AsyncState s = { 0 };
  gint64 id;

  s.loop = g_main_loop_new (NULL, FALSE);

  easel_store_open_async (dir, NULL, open_cb, &s);
  g_main_loop_run (s.loop);
  g_assert_no_error (s.error);
  g_assert_true (EASEL_IS_STORE (s.store));
  g_signal_connect (s.store, "changed", G_CALLBACK (changed_cb), &s);

  req->model = g_strdup ("gpt-image-1");
  req->prompt = g_strdup ("async otter");
  img->bytes = make_png (9);
  g_ptr_array_add (res->images, img);
  easel_store_record_async (s.store, req, res, NULL, NULL, NULL, record_cb, &s);
  g_main_loop_run (s.loop);
  g_assert_no_error (s.error);
  g_assert_cmpuint (s.rows->len, ==, 1);
  id = ((EaselGeneration *) s.rows->pdata[0])->id;
  g_clear_pointer (&s.rows, g_ptr_array_unref);

  q->text = g_strdup ("otter");
  easel_store_query_async (s.store, q, NULL, query_cb, &s);
  g_main_loop_run (s.loop);
  g_assert_no_error (s.error);
  g_assert_cmpuint (s.total, ==, 1);
  g_assert_cmpint (((EaselGeneration *) s.rows->pdata[0])->id, ==, id);
  g_clear_pointer (&s.rows, g_ptr_array_unref);

  easel_store_export_async (s.store, id, out, EASEL_EXPORT_PNG, -1, NULL, export_cb, &s);
  g_main_loop_run (s.loop);
  g_assert_no_error (s.error);
  g_assert_true (s.exported);
  g_assert_true (g_file_test (out_path, G_FILE_TEST_IS_REGULAR));

  /* "changed" arrives on this thread's main context. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (s.changed, >=, 1);

  g_clear_object (&s.store);
  g_main_loop_unref (s.loop);
  rm_rf (dir);
}

/* ------------------------------------------------------------------------- */
/* Rebuilding a request from the library (Retry on a restored turn) */

typedef struct
{
  const char *name;
  EaselApi api;
  guint n_inputs;        /* input images, as bytes */
  gboolean mask;
  gboolean fail;         /* recorded as a failed request */
  gboolean file_id;      /* one more input, by Files API id */
} RebuildCase;

static const RebuildCase rebuild_cases[] = {
  { "responses-text", EASEL_API_RESPONSES, 0, FALSE, FALSE, FALSE },
  { "responses-inputs-failed", EASEL_API_RESPONSES, 2, FALSE, TRUE, FALSE },
  { "generate-n", EASEL_API_IMAGES_GENERATE, 0, FALSE, FALSE, FALSE },
  { "edit-mask", EASEL_API_IMAGES_EDIT, 2, TRUE, FALSE, FALSE },
  { "edit-file-id", EASEL_API_IMAGES_EDIT, 1, FALSE, TRUE, TRUE },
};

static EaselRequest *
rebuild_case_request (const RebuildCase *c)
{
  EaselRequest *r = easel_request_new (c->api);

  r->prompt = g_strdup_printf ("rebuild %s", c->name);
  r->model = g_strdup ("gpt-image-1");
  r->size = g_strdup ("1536x1024");
  r->quality = g_strdup ("high");
  r->background = g_strdup ("opaque");
  r->output_format = g_strdup ("webp");
  r->output_compression = 42;
  r->moderation = g_strdup ("low");
  r->stream = TRUE;
  r->partial_images = 3;
  if (c->api == EASEL_API_IMAGES_GENERATE)
    r->n = 3;
  if (c->api == EASEL_API_RESPONSES)
    {
      r->responses_model = g_strdup ("gpt-4.1-mini");
      r->action = g_strdup ("edit");
      r->previous_response_id = g_strdup ("resp_parent");
      g_ptr_array_add (r->image_call_refs, g_strdup ("ig_earlier"));
    }
  if (c->n_inputs > 0)
    r->input_fidelity = g_strdup ("high");
  for (guint i = 0; i < c->n_inputs; i++)
    {
      g_autoptr(GBytes) png = make_png (200 + i);
      g_autofree char *name = g_strdup_printf ("input-%u.png", i);

      easel_request_add_image (r, easel_input_image_new_bytes (png, name, "image/png"));
    }
  if (c->file_id)
    easel_request_add_image (r, easel_input_image_new_file_id ("file-abc123"));
  if (c->mask)
    {
      g_autoptr(GBytes) png = make_png (250);
      easel_request_set_mask (r, easel_input_image_new_bytes (png, "mask.png", "image/png"));
    }
  return r;
}

static void
assert_same_request (const EaselRequest *a,
                     const EaselRequest *b)
{
  g_autofree char *ha = easel_request_hash (a);
  g_autofree char *hb = easel_request_hash (b);
  g_autoptr(JsonNode) ja = easel_request_params_to_json (a);
  g_autoptr(JsonNode) jb = easel_request_params_to_json (b);
  g_autofree char *sa = json_to_string (ja, FALSE);
  g_autofree char *sb = json_to_string (jb, FALSE);

  g_assert_cmpstr (ha, ==, hb);
  /* Every field the hash leaves out (stream, partials, previous id) too. */
  g_assert_cmpstr (sa, ==, sb);
  g_assert_cmpstr (easel_request_get_path (a), ==, easel_request_get_path (b));
  g_assert_cmpint (easel_request_is_multipart (a), ==, easel_request_is_multipart (b));
  for (guint i = 0; a->images && i < a->images->len; i++)
    {
      const EaselInputImage *ia = a->images->pdata[i], *ib = b->images->pdata[i];

      g_assert_cmpint (ia->kind, ==, ib->kind);
      g_assert_cmpstr (ia->filename, ==, ib->filename);
      g_assert_cmpstr (ia->mime_type, ==, ib->mime_type);
      if (ia->bytes)
        g_assert_true (g_bytes_equal (ia->bytes, ib->bytes));
    }
}

static void
test_rebuild_request (gconstpointer data)
{
  const RebuildCase *c = data;
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(EaselStore) store = open_store (dir);
  g_autoptr(EaselRequest) request = rebuild_case_request (c);
  g_autoptr(EaselResult) result = NULL;
  g_autoptr(GError) request_error = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselConversation) conversation = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) listed = NULL;
  g_autoptr(EaselRequest) rebuilt = NULL;
  EaselRecordOptions options = { 0, 0, 0, -1 };
  EaselGeneration *g;

  conversation = easel_store_create_conversation (store, "rebuild", &error);
  g_assert_no_error (error);
  options.conversation_id = conversation->id;

  if (c->fail)
    request_error = easel_api_error_new_literal (EASEL_API_ERROR_SERVER, "The server had an error");
  else
    {
      EaselImage *image = easel_image_new ();

      result = easel_result_new (request->api);
      image->bytes = make_png (7);
      image->output_format = g_strdup ("png");
      g_ptr_array_add (result->images, image);
    }
  rows = easel_store_record (store, request, result, request_error, &options, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 1);

  /* A failed row is found through its conversation. */
  listed = easel_store_list_conversation_generations (store, conversation->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (listed->len, ==, 1);
  g = listed->pdata[0];
  g_assert_cmpint (g->id, ==, ((EaselGeneration *) rows->pdata[0])->id);
  g_assert_cmpint (g->status, ==, c->fail ? EASEL_GENERATION_FAILED : EASEL_GENERATION_OK);

  rebuilt = easel_store_rebuild_request (store, g, &error);
  g_assert_no_error (error);
  assert_same_request (request, rebuilt);

  /* The kept inputs survive an orphan sweep with no grace, and reopening. */
  g_assert_cmpint (easel_store_sweep_orphans (store, 0, &error), >=, 0);
  g_assert_no_error (error);
  g_clear_object (&store);
  store = open_store (dir);
  g_clear_pointer (&rebuilt, easel_request_free);
  rebuilt = easel_store_rebuild_request (store, g, &error);
  g_assert_no_error (error);
  assert_same_request (request, rebuilt);

  g_clear_object (&store);
  rm_rf (dir);
}

/* An input that is also a gallery image outlives the purge of that image;
 * an input the library never kept is reported, not silently dropped. */
static void
test_rebuild_inputs_kept (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(EaselStore) store = open_store (dir);
  g_autoptr(GBytes) png = make_png (31);
  g_autoptr(EaselRequest) first = easel_request_new (EASEL_API_IMAGES_GENERATE);
  g_autoptr(EaselRequest) edit = easel_request_new (EASEL_API_IMAGES_EDIT);
  g_autoptr(EaselResult) result = easel_result_new (EASEL_API_IMAGES_GENERATE);
  g_autoptr(EaselResult) edit_result = easel_result_new (EASEL_API_IMAGES_EDIT);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) edit_rows = NULL;
  g_autoptr(EaselRequest) rebuilt = NULL;
  g_autoptr(EaselGeneration) stale = NULL;
  g_autoptr(GError) error = NULL;
  EaselImage *image;
  gint64 first_id;

  first->prompt = g_strdup ("a first image");
  first->model = g_strdup ("gpt-image-1");
  image = easel_image_new ();
  image->bytes = g_bytes_ref (png);
  g_ptr_array_add (result->images, image);
  rows = easel_store_record (store, first, result, NULL, NULL, &error);
  g_assert_no_error (error);
  first_id = ((EaselGeneration *) rows->pdata[0])->id;

  edit->prompt = g_strdup ("edit the first image");
  edit->model = g_strdup ("gpt-image-1");
  easel_request_add_image (edit, easel_input_image_new_bytes (png, "first.png", "image/png"));
  image = easel_image_new ();
  image->bytes = make_png (32);
  g_ptr_array_add (edit_result->images, image);
  edit_rows = easel_store_record (store, edit, edit_result, NULL, NULL, &error);
  g_assert_no_error (error);

  g_assert_true (easel_store_delete (store, first_id, &error));
  g_assert_cmpint (easel_store_purge (store, 0, &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpint (easel_store_sweep_orphans (store, 0, &error), >=, 0);
  rebuilt = easel_store_rebuild_request (store, edit_rows->pdata[0], &error);
  g_assert_no_error (error);
  assert_same_request (edit, rebuilt);

  /* A row from before inputs were kept: its input file is not there. */
  stale = easel_generation_new ();
  stale->params_json = g_strdup ("{\"api\":\"edit\",\"model\":\"gpt-image-1\",\"prompt\":\"old\",\"images\":"
                                 "[{\"kind\":\"bytes\",\"filename\":\"x.png\",\"mime_type\":\"image/png\","
                                 "\"sha256\":\"0000000000000000000000000000000000000000000000000000000000000000\"}]}");
  g_clear_pointer (&rebuilt, easel_request_free);
  rebuilt = easel_store_rebuild_request (store, stale, &error);
  g_assert_null (rebuilt);
  g_assert_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_free (stale->params_json);
  stale->params_json = g_strdup ("not json");
  rebuilt = easel_store_rebuild_request (store, stale, &error);
  g_assert_null (rebuilt);
  g_assert_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID);

  g_clear_object (&store);
  rm_rf (dir);
}

/* ------------------------------------------------------------------------- */
/* Store semantics: incomplete streams, the picked image, the server-bound
 * cache key, honest rows, imports, concurrent opens. */

static EaselRequest *
semantics_request (const char *prompt, int n)
{
  EaselRequest *req = easel_request_new (EASEL_API_IMAGES_GENERATE);

  req->model = g_strdup ("gpt-image-1");
  req->prompt = g_strdup (prompt);
  req->size = g_strdup ("1024x1024");
  req->quality = g_strdup ("medium");
  req->n = n;
  return req;
}

static EaselResult *
semantics_result (guint n_images, gboolean usage)
{
  EaselResult *res = easel_result_new (EASEL_API_IMAGES_GENERATE);

  for (guint i = 0; i < n_images; i++)
    {
      EaselImage *img = easel_image_new ();

      img->bytes = make_png (300 + i);
      img->output_format = g_strdup ("png");
      g_ptr_array_add (res->images, img);
    }
  if (usage)
    {
      res->usage.present = TRUE;
      res->usage.input_tokens = 40;
      res->usage.output_tokens = 1000;
      res->usage.total_tokens = 1040;
    }
  return res;
}

static void
test_status_strings (void)
{
  EaselGenerationStatus status = EASEL_GENERATION_OK;

  g_assert_cmpstr (easel_generation_status_to_string (EASEL_GENERATION_INCOMPLETE), ==, "incomplete");
  g_assert_true (easel_generation_status_from_string ("incomplete", &status));
  g_assert_cmpint (status, ==, EASEL_GENERATION_INCOMPLETE);
  for (int s = EASEL_GENERATION_OK; s <= EASEL_GENERATION_INCOMPLETE; s++)
    {
      g_assert_true (easel_generation_status_from_string (easel_generation_status_to_string (s), &status));
      g_assert_cmpint (status, ==, s);
    }
  g_assert_false (easel_generation_status_from_string ("bogus", &status));
}

static void
test_incomplete (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(EaselStore) store = open_store (dir);
  g_autoptr(EaselRequest) req = semantics_request ("a broken stream", 1);
  g_autoptr(EaselResult) res = semantics_result (1, TRUE);
  g_autoptr(GError) stream_error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                                        "The connection closed");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) gens = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(EaselGeneration) back = NULL;
  g_autoptr(EaselGeneration) cached = NULL;
  g_autoptr(EaselSpend) spend = NULL;
  g_autoptr(EaselStoreQuery) q = easel_store_query_new ();
  g_autofree char *key = easel_request_cache_key (req, NULL);
  EaselRecordOptions opts = { .estimated_usd = 0.07, .incomplete = TRUE };
  guint total = 0;

  gens = easel_store_record (store, req, res, stream_error, &opts, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gens->len, ==, 1);
  back = easel_store_get_generation (store, ((EaselGeneration *) gens->pdata[0])->id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (back->status, ==, EASEL_GENERATION_INCOMPLETE);
  g_assert_nonnull (back->path);
  g_assert_true (g_file_test (back->path, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpfloat (back->actual_usd, <, 0);
  g_assert_cmpfloat_with_epsilon (back->estimated_usd, 0.07, 1e-9);
  g_assert_cmpfloat_with_epsilon (easel_generation_get_cost (back), 0.07, 1e-9);
  g_assert_nonnull (back->usage_json);
  g_assert_cmpint (back->input_tokens, ==, 40);
  g_assert_cmpint (back->output_tokens, ==, 1000);
  g_assert_cmpstr (back->request_hash, ==, key);

  /* The gallery shows it ... */
  rows = easel_store_query (store, q, &total, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (total, ==, 1);
  /* ... the cache never answers with it ... */
  cached = easel_store_lookup_cached (store, key, &error);
  g_assert_no_error (error);
  g_assert_null (cached);
  all = easel_store_lookup_cached_all (store, key, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 0);
  /* ... and the ledger counts it at its estimate. */
  spend = easel_store_get_spend (store, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (spend->total.n_incomplete, ==, 1);
  g_assert_cmpuint (spend->total.n_ok, ==, 0);
  g_assert_cmpuint (spend->total.n_failed, ==, 0);
  g_assert_cmpfloat_with_epsilon (spend->total.usd, 0.07, 1e-9);
  g_assert_cmpfloat_with_epsilon (spend->total.failed_usd, 0, 1e-9);
  g_assert_cmpuint (((EaselSpendRow *) spend->per_model->pdata[0])->n_incomplete, ==, 1);

  /* Incomplete without any partial image: the error is what happened. */
  {
    g_autoptr(EaselResult) empty = semantics_result (0, FALSE);
    g_autoptr(GPtrArray) failed = easel_store_record (store, req, empty, stream_error, &opts, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (failed->len, ==, 1);
    g_assert_cmpint (((EaselGeneration *) failed->pdata[0])->status, ==, EASEL_GENERATION_FAILED);
  }

  g_clear_object (&store);
  rm_rf (dir);
}

static void
test_picked (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *dir2 = make_tmp_dir ();
  g_autoptr(EaselStore) store = open_store (dir);
  g_autoptr(EaselStore) store2 = open_store (dir2);
  g_autoptr(EaselRequest) req = semantics_request ("three choices", 3);
  g_autoptr(EaselResult) res = semantics_result (3, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) gens = NULL;
  g_autoptr(GPtrArray) defaults = NULL;
  EaselRecordOptions opts = { .estimated_usd = 0.3, .picked_index = 1 };

  gens = easel_store_record (store, req, res, NULL, &opts, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gens->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(EaselGeneration) back = easel_store_get_generation (store, ((EaselGeneration *) gens->pdata[i])->id, &error);

      g_assert_no_error (error);
      g_assert_cmpint (back->picked, ==, i == 1);
    }

  /* Without options the first image is the picked one. */
  defaults = easel_store_record (store, req, res, NULL, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (((EaselGeneration *) defaults->pdata[i])->picked, ==, i == 0);
  g_assert_cmpint (db_int (dir, "SELECT count(*) FROM generations WHERE picked = 1"), ==, 2);

  /* Export and import carry it. */
  for (guint i = 0; i < 2; i++)
    {
      EaselGeneration *g = gens->pdata[i];
      g_autofree char *out_path = g_build_filename (dir2, i ? "picked.png" : "unpicked.png", NULL);
      g_autoptr(GFile) out = g_file_new_for_path (out_path);
      g_autoptr(EaselGeneration) imported = NULL;
      g_autoptr(EaselGeneration) back = NULL;

      g_assert_true (easel_store_export (store, g->id, out, EASEL_EXPORT_PNG, -1, &error));
      g_assert_no_error (error);
      imported = easel_store_import (store2, out, &error);
      g_assert_no_error (error);
      g_assert_cmpint (imported->picked, ==, i == 1);
      back = easel_store_get_generation (store2, imported->id, &error);
      g_assert_no_error (error);
      g_assert_cmpint (back->picked, ==, i == 1);
    }

  g_clear_object (&store);
  g_clear_object (&store2);
  rm_rf (dir);
  rm_rf (dir2);
}

static void
test_base_url (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(EaselStore) store = open_store (dir);
  g_autoptr(EaselRequest) req = semantics_request ("which server", 1);
  g_autoptr(EaselResult) res = semantics_result (1, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) gens = NULL;
  g_autoptr(GPtrArray) plain = NULL;
  g_autoptr(EaselGeneration) hit = NULL;
  g_autoptr(EaselGeneration) miss = NULL;
  g_autofree char *local_key = easel_request_cache_key (req, "http://127.0.0.1:8080/v1");
  g_autofree char *default_key = easel_request_cache_key (req, NULL);
  g_autofree char *old_hash = easel_request_hash (req);
  EaselRecordOptions opts = { .estimated_usd = 0.1, .base_url = "http://127.0.0.1:8080/v1" };

  g_assert_cmpstr (local_key, !=, default_key);
  gens = easel_store_record (store, req, res, NULL, &opts, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (((EaselGeneration *) gens->pdata[0])->request_hash, ==, local_key);

  hit = easel_store_lookup_cached (store, local_key, &error);
  g_assert_no_error (error);
  g_assert_nonnull (hit);
  /* Another server, or the unbound hash, never shares the answer. */
  miss = easel_store_lookup_cached (store, default_key, &error);
  g_assert_no_error (error);
  g_assert_null (miss);
  miss = easel_store_lookup_cached (store, old_hash, &error);
  g_assert_null (miss);

  /* No options: the default server's key. */
  plain = easel_store_record (store, req, res, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (((EaselGeneration *) plain->pdata[0])->request_hash, ==, default_key);

  g_clear_object (&store);
  rm_rf (dir);
}

static void
test_no_image (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(EaselStore) store = open_store (dir);
  g_autoptr(EaselRequest) req = semantics_request ("just talk", 1);
  g_autoptr(EaselResult) res = semantics_result (0, TRUE);
  g_autoptr(EaselResult) url_only = semantics_result (0, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) gens = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(EaselGeneration) back = NULL;
  g_autoptr(EaselStoreQuery) q = easel_store_query_new ();
  EaselRecordOptions opts = { .estimated_usd = 0.05 };
  EaselImage *img = easel_image_new ();
  guint total = 99;

  res->text = g_strdup ("I'd rather describe it in words.");
  gens = easel_store_record (store, req, res, NULL, &opts, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gens->len, ==, 1);
  back = easel_store_get_generation (store, ((EaselGeneration *) gens->pdata[0])->id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (back->status, ==, EASEL_GENERATION_FAILED);
  g_assert_cmpstr (back->error_code, ==, "no_image");
  g_assert_cmpstr (back->error_message, ==, "The server answered without an image");
  g_assert_null (back->path);
  g_assert_null (back->sha256);
  g_assert_nonnull (back->usage_json);
  g_assert_cmpint (back->output_tokens, ==, 1000);
  g_assert_cmpfloat (back->actual_usd, >, 0);
  g_assert_cmpfloat_with_epsilon (back->estimated_usd, 0.05, 1e-9);

  /* An image with only a URL has no file either. */
  img->url = g_strdup ("https://example.com/x.png");
  g_ptr_array_add (url_only->images, img);
  g_clear_pointer (&gens, g_ptr_array_unref);
  gens = easel_store_record (store, req, url_only, NULL, &opts, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gens->len, ==, 1);
  g_assert_cmpint (((EaselGeneration *) gens->pdata[0])->status, ==, EASEL_GENERATION_FAILED);
  g_assert_cmpstr (((EaselGeneration *) gens->pdata[0])->error_code, ==, "no_image");

  /* Never "ok" without a file; never in the gallery. */
  g_assert_cmpint (db_int (dir, "SELECT count(*) FROM generations WHERE status = 'ok' AND path IS NULL"), ==, 0);
  rows = easel_store_query (store, q, &total, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (total, ==, 0);

  g_clear_object (&store);
  rm_rf (dir);
}

static void
test_import_untrusted_hash (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *dir2 = make_tmp_dir ();
  g_autofree char *out_path = g_build_filename (dir2, "shared.png", NULL);
  g_autoptr(GFile) out = g_file_new_for_path (out_path);
  g_autoptr(EaselStore) store = open_store (dir);
  g_autoptr(EaselStore) store2 = open_store (dir2);
  g_autoptr(EaselRequest) req = semantics_request ("a shared image", 1);
  g_autoptr(EaselResult) res = semantics_result (1, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) gens = NULL;
  g_autoptr(EaselGeneration) imported = NULL;
  g_autoptr(EaselGeneration) back = NULL;
  g_autoptr(EaselGeneration) cached = NULL;
  g_autofree char *key = easel_request_cache_key (req, NULL);

  gens = easel_store_record (store, req, res, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (easel_store_export (store, ((EaselGeneration *) gens->pdata[0])->id, out,
                                     EASEL_EXPORT_PNG, -1, &error));
  g_assert_no_error (error);

  /* The file names the hash ... */
  {
    g_autoptr(GBytes) bytes = g_file_load_bytes (out, NULL, NULL, &error);
    g_autoptr(GHashTable) meta = easel_png_meta_read (bytes, &error);

    g_assert_no_error (error);
    g_assert_nonnull (strstr (g_hash_table_lookup (meta, "easel:record"), key));
  }

  /* ... but the imported row does not take it. */
  imported = easel_store_import (store2, out, &error);
  g_assert_no_error (error);
  g_assert_null (imported->request_hash);
  back = easel_store_get_generation (store2, imported->id, &error);
  g_assert_no_error (error);
  g_assert_null (back->request_hash);
  g_assert_cmpint (back->status, ==, EASEL_GENERATION_OK);
  cached = easel_store_lookup_cached (store2, key, &error);
  g_assert_no_error (error);
  g_assert_null (cached);
  g_assert_cmpint (db_int (dir2, "SELECT count(*) FROM generations WHERE request_hash IS NOT NULL"), ==, 0);

  g_clear_object (&store);
  g_clear_object (&store2);
  rm_rf (dir);
  rm_rf (dir2);
}

/* Crafted records in an imported PNG: each is refused with INVALID, without
 * a critical (criticals are fatal here), and nothing is written. A %s in
 * the record is replaced by @fill bytes of "a". */
typedef struct
{
  const char *name;
  const char *record;
  gsize       fill;
} HostileImportCase;

#define REC(gen) "{\"version\":1,\"generation\":{" gen "}}"

static const HostileImportCase hostile_import_cases[] = {
  { "blank", "", 0 },
  { "whitespace", "  \n ", 0 },
  { "array", "[{\"version\":1,\"generation\":{}}]", 0 },
  { "string", "\"generation\"", 0 },
  { "null", "null", 0 },
  { "not-json", "{\"version\":1,", 0 },
  { "no-version", "{\"generation\":{}}", 0 },
  { "version-string", "{\"version\":\"1\",\"generation\":{}}", 0 },
  { "no-generation", "{\"version\":1}", 0 },
  { "generation-array", "{\"version\":1,\"generation\":[]}", 0 },
  { "generation-null", "{\"version\":1,\"generation\":null}", 0 },
  { "conversation-string", "{\"version\":1,\"generation\":{},\"conversation\":\"c\"}", 0 },
  { "turns-object", "{\"version\":1,\"generation\":{},\"turns\":{}}", 0 },
  { "turn-number", "{\"version\":1,\"generation\":{},\"turns\":[1]}", 0 },
  { "turn-null", "{\"version\":1,\"generation\":{},\"turns\":[{},null]}", 0 },
  { "prompt-number", REC ("\"prompt\":5"), 0 },
  { "prompt-object", REC ("\"prompt\":{\"a\":1}"), 0 },
  { "prompt-null", REC ("\"prompt\":null"), 0 },
  { "model-array", REC ("\"model\":[\"gpt-image-1\"]"), 0 },
  { "created-string", REC ("\"created\":\"1700000000\""), 0 },
  { "created-double", REC ("\"created\":1.5"), 0 },
  { "created-negative", REC ("\"created\":-5"), 0 },
  { "created-huge", REC ("\"created\":9223372036854775807"), 0 },
  { "tokens-negative", REC ("\"input_tokens\":-1"), 0 },
  { "tokens-bool", REC ("\"output_tokens\":true"), 0 },
  { "usd-string", REC ("\"estimated_usd\":\"0.04\""), 0 },
  { "usd-huge", REC ("\"actual_usd\":1e300"), 0 },
  { "usd-negative", REC ("\"actual_usd\":-0.5"), 0 },
  { "picked-string", REC ("\"picked\":\"yes\""), 0 },
  { "status-unknown", REC ("\"status\":\"exploded\""), 0 },
  { "status-number", REC ("\"status\":0"), 0 },
  { "sha256-short", REC ("\"mask_sha256\":\"abc\""), 0 },
  { "params-not-json", REC ("\"params_json\":\"{\\\"model\\\":\""), 0 },
  { "params-array", REC ("\"params_json\":\"[1]\""), 0 },
  { "usage-number", REC ("\"usage_json\":\"5\""), 0 },
  { "title-number", "{\"version\":1,\"generation\":{},\"conversation\":{\"title\":1},\"turns\":[{}]}", 0 },
  { "this-image-string", "{\"version\":1,\"generation\":{},\"turns\":[{\"this_image\":\"true\"}]}", 0 },
  { "turn-created-string", "{\"version\":1,\"generation\":{},\"turns\":[{\"created\":\"x\"}]}", 0 },
  /* json-glib turns octal escapes into raw bytes. */
  { "utf8-prompt", REC ("\"prompt\":\"a \\377 b\""), 0 },
  { "utf8-model", REC ("\"model\":\"\\300\\200\""), 0 },
  { "utf8-title", "{\"version\":1,\"generation\":{},\"conversation\":{\"title\":\"\\377\"},\"turns\":[{}]}", 0 },
  { "utf8-user-text", "{\"version\":1,\"generation\":{},\"turns\":[{\"user_text\":\"\\376\"}]}", 0 },
  { "utf8-params", REC ("\"params_json\":\"{\\\"prompt\\\":\\\"\\377\\\"}\""), 0 },
  { "huge-prompt", REC ("\"prompt\":\"%s\""), 2 * 1024 * 1024 },
  { "huge-model", REC ("\"model\":\"%s\""), 4096 },
  { "huge-turn-text", "{\"version\":1,\"generation\":{},\"turns\":[{\"assistant_text\":\"%s\"}]}", 2 * 1024 * 1024 },
};

#undef REC

static void
test_import_hostile (gconstpointer data)
{
  const HostileImportCase *c = data;
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *dir2 = make_tmp_dir ();
  g_autofree char *in_path = g_build_filename (dir2, "crafted.png", NULL);
  g_autofree char *images = g_build_filename (dir, "images", NULL);
  g_autoptr(GFile) in = g_file_new_for_path (in_path);
  g_autoptr(EaselStore) store = open_store (dir);
  g_autoptr(GBytes) png = make_png (3);
  g_autoptr(GBytes) out = NULL;
  g_autoptr(EaselGeneration) imported = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *record = NULL;

  if (c->fill > 0)
    {
      g_autofree char *a = g_strnfill (c->fill, 'a');
      g_auto(GStrv) parts = g_strsplit (c->record, "%s", 2);

      record = g_strconcat (parts[0], a, parts[1], NULL);
    }
  else
    record = g_strdup (c->record);

  {
    const char *pairs[] = { "easel:record", record, NULL };

    out = easel_png_meta_write (png, pairs, &error);
    g_assert_no_error (error);
  }
  g_assert_true (g_file_set_contents (in_path, g_bytes_get_data (out, NULL), g_bytes_get_size (out), &error));

  imported = easel_store_import (store, in, &error);
  g_assert_null (imported);
  g_assert_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_assert_nonnull (strstr (error->message, "crafted.png"));

  /* Nothing half-written: no row, no conversation, no image file. */
  g_assert_cmpint (db_int (dir, "SELECT count(*) FROM generations"), ==, 0);
  g_assert_cmpint (db_int (dir, "SELECT count(*) FROM conversations"), ==, 0);
  g_assert_cmpint (db_int (dir, "SELECT count(*) FROM turns"), ==, 0);
  g_assert_cmpuint (count_files (images, FALSE), ==, 0);

  g_clear_object (&store);
  rm_rf (dir);
  rm_rf (dir2);
}

/* The smallest record Easel accepts, and one with every member, import
 * and export again. */
static void
test_import_minimal (void)
{
  static const char * const records[] = {
    "{\"version\":1,\"generation\":{}}",
    "{\"version\":1,\"generation\":{\"sha256\":\"0000000000000000000000000000000000000000000000000000000000000000\","
    "\"model\":\"gpt-image-1\",\"api\":\"generate\",\"params_json\":\"{\\\"prompt\\\":\\\"caf\\u00e9\\\"}\","
    "\"prompt\":\"caf\\u00e9\",\"revised_prompt\":\"r\",\"action\":\"auto\",\"size\":\"1024x1024\",\"format\":\"png\","
    "\"background\":\"auto\",\"quality\":\"high\",\"usage_json\":\"{}\",\"request_hash\":\"h\",\"response_id\":\"resp_1\","
    "\"image_call_id\":\"ig_1\",\"input_tokens\":10,\"output_tokens\":20,\"estimated_usd\":0.04,\"actual_usd\":-1,"
    "\"created\":1700000000,\"status\":\"incomplete\",\"picked\":false,\"future_member\":[1]},"
    "\"conversation\":{\"title\":\"t\",\"created\":1700000000},"
    "\"turns\":[{\"user_text\":\"u\",\"created\":1700000000},{\"assistant_text\":\"a\",\"this_image\":true}]}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (records); i++)
    {
      g_autofree char *dir = make_tmp_dir ();
      g_autofree char *in_path = g_build_filename (dir, "in.png", NULL);
      g_autofree char *out_path = g_build_filename (dir, "out.png", NULL);
      g_autoptr(GFile) in = g_file_new_for_path (in_path);
      g_autoptr(GFile) out = g_file_new_for_path (out_path);
      g_autoptr(EaselStore) store = open_store (dir);
      g_autoptr(GBytes) png = make_png (4);
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(EaselGeneration) imported = NULL;
      g_autoptr(GError) error = NULL;
      const char *pairs[] = { "easel:record", records[i], NULL };

      bytes = easel_png_meta_write (png, pairs, &error);
      g_assert_no_error (error);
      g_assert_true (g_file_set_contents (in_path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error));
      imported = easel_store_import (store, in, &error);
      g_assert_no_error (error);
      g_assert_nonnull (imported);
      g_assert_null (imported->request_hash);
      if (i == 1)
        {
          g_assert_cmpstr (imported->prompt, ==, "café");
          g_assert_cmpint (imported->status, ==, EASEL_GENERATION_INCOMPLETE);
          g_assert_false (imported->picked);
          g_assert_cmpfloat (imported->estimated_usd, ==, 0.04);
          g_assert_cmpfloat (imported->actual_usd, ==, -1);
          g_assert_cmpint (imported->conversation_id, >, 0);
        }
      g_assert_true (easel_store_export (store, imported->id, out, EASEL_EXPORT_PNG, -1, &error));
      g_assert_no_error (error);

      g_clear_object (&store);
      rm_rf (dir);
    }
}

/* An imported record's params_json whose "images" is not a list of
 * objects: purge and the orphan sweep read every row's input images, and
 * must not fail on it (fuzz-png-import found purge failing). */
static void
test_import_odd_images (void)
{
  static const char * const params[] = {
    "{\\\"images\\\":\\\"edit\\\"}",
    "{\\\"images\\\":[\\\"x\\\",1,null,{\\\"sha256\\\":5},{\\\"kind\\\":\\\"bytes\\\"}]}",
    "{\\\"images\\\":{\\\"sha256\\\":\\\"x\\\"}}",
  };
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *in_path = g_build_filename (dir, "in.png", NULL);
  g_autoptr(GFile) in = g_file_new_for_path (in_path);
  g_autoptr(EaselStore) store = open_store (dir);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (params); i++)
    {
      g_autoptr(GBytes) png = make_png (20 + i);
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(EaselGeneration) g = NULL;
      g_autofree char *record = g_strdup_printf ("{\"version\":1,\"generation\":{\"params_json\":\"%s\"}}", params[i]);
      const char *pairs[] = { "easel:record", record, NULL };

      bytes = easel_png_meta_write (png, pairs, &error);
      g_assert_no_error (error);
      g_assert_true (g_file_set_contents (in_path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error));
      g = easel_store_import (store, in, &error);
      g_assert_no_error (error);
      g_assert_true (easel_store_delete (store, g->id, &error));
      g_assert_no_error (error);
    }
  g_assert_cmpint (easel_store_sweep_orphans (store, 0, &error), >=, 0);
  g_assert_no_error (error);
  g_assert_cmpint (easel_store_purge (store, 0, &error), ==, G_N_ELEMENTS (params));
  g_assert_no_error (error);

  g_clear_object (&store);
  rm_rf (dir);
}

/* Several processes open (and so create) one new library at the same
 * moment: the test binary runs itself with --open-child. */
#define N_CONCURRENT_OPENS 8

static int
open_child_main (const char *dir, const char *go_file)
{
  g_autoptr(EaselStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) gens = NULL;
  g_autoptr(EaselRequest) req = semantics_request ("concurrent", 1);
  g_autoptr(EaselResult) res = semantics_result (1, FALSE);
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  /* Start together. */
  while (!g_file_test (go_file, G_FILE_TEST_EXISTS) && g_get_monotonic_time () < deadline)
    g_usleep (500);

  store = easel_store_open (dir, &error);
  if (store == NULL)
    {
      g_printerr ("open-child %d: %s\n", (int) getpid (), error->message);
      return 1;
    }
  gens = easel_store_record (store, req, res, NULL, NULL, &error);
  if (gens == NULL)
    {
      g_printerr ("open-child %d: record: %s\n", (int) getpid (), error->message);
      return 2;
    }
  return 0;
}

static void
test_concurrent_open (void)
{
  g_autofree char *parent = make_tmp_dir ();
  g_autofree char *dir = g_build_filename (parent, "library", NULL);
  g_autofree char *go_file = g_build_filename (parent, "go", NULL);
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  GPid pids[N_CONCURRENT_OPENS];
  g_autoptr(EaselStore) store = NULL;

  g_assert_nonnull (self_exe);
  for (guint i = 0; i < N_CONCURRENT_OPENS; i++)
    {
      const char *argv[] = { self_exe, "--open-child", dir, go_file, NULL };
      g_autoptr(GError) error = NULL;

      g_assert_true (g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                    NULL, NULL, &pids[i], &error));
      g_assert_no_error (error);
    }
  g_assert_true (g_file_set_contents (go_file, "", 0, NULL));

  for (guint i = 0; i < N_CONCURRENT_OPENS; i++)
    {
      int status = 0;

      g_assert_cmpint (waitpid (pids[i], &status, 0), ==, pids[i]);
      g_assert_true (WIFEXITED (status));
      g_assert_cmpint (WEXITSTATUS (status), ==, 0);
      g_spawn_close_pid (pids[i]);
    }

  store = open_store (dir);
  g_assert_cmpint (db_int (dir, "PRAGMA user_version"), ==, EASEL_STORE_SCHEMA_VERSION);
  g_assert_cmpint (db_int (dir, "SELECT count(*) FROM generations"), ==, N_CONCURRENT_OPENS);
  {
    g_autofree char *db_path = g_build_filename (dir, "library.db", NULL);
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;

    g_assert_cmpint (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA journal_mode", -1, &stmt, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "wal");
    sqlite3_finalize (stmt);
    sqlite3_close (db);
  }

  g_clear_object (&store);
  rm_rf (parent);
}

/* A background turn's id is kept until its answer is recorded, per server. */
static void
test_pending_responses (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autoptr(EaselStore) store = open_store (dir);
  g_autoptr(EaselRequest) request = easel_request_new (EASEL_API_RESPONSES);
  g_autoptr(EaselRequest) rebuilt = NULL;
  g_autoptr(EaselPendingResponse) pending = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;

  request->prompt = g_strdup ("a fox");
  request->model = g_strdup ("gpt-image-1.5");
  request->stream = TRUE;
  request->let_model_decide = TRUE;
  /* An input image the library never kept: left out, not an error. */
  easel_request_add_image (request, easel_input_image_new_file_id ("file-abc"));

  g_assert_true (easel_store_add_pending_response (store, "resp_1", "http://a/v1/", request, 0, 0, &error));
  g_assert_no_error (error);
  g_assert_true (easel_store_add_pending_response (store, "resp_2", "http://b/v1", request, 0, 0, &error));
  g_assert_false (easel_store_add_pending_response (store, "resp_3/../x", NULL, request, 0, 0, &error));
  g_assert_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID);
  g_clear_error (&error);

  rows = easel_store_list_pending_responses (store, "http://a/v1", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_cmpstr (((EaselPendingResponse *) g_ptr_array_index (rows, 0))->response_id, ==, "resp_1");
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = easel_store_list_pending_responses (store, NULL, 0, &error);
  g_assert_cmpuint (rows->len, ==, 2);

  pending = easel_store_get_pending_response (store, "resp_2", &error);
  g_assert_no_error (error);
  rebuilt = easel_store_rebuild_pending_request (store, pending, &error);
  g_assert_no_error (error);
  g_assert_cmpint (rebuilt->api, ==, EASEL_API_RESPONSES);
  g_assert_cmpstr (rebuilt->prompt, ==, "a fox");
  g_assert_cmpstr (rebuilt->model, ==, "gpt-image-1.5");
  g_assert_true (rebuilt->let_model_decide);

  g_assert_true (easel_store_remove_pending_response (store, "resp_2", &error));
  g_assert_true (easel_store_remove_pending_response (store, "resp_2", &error));
  g_assert_no_error (error);
  g_clear_pointer (&pending, easel_pending_response_free);
  pending = easel_store_get_pending_response (store, "resp_2", &error);
  g_assert_null (pending);
  g_assert_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_NOT_FOUND);

  g_clear_object (&store);
  rm_rf (dir);
}

int
main (int argc, char *argv[])
{
  if (argc == 4 && g_str_equal (argv[1], "--open-child"))
    return open_child_main (argv[2], argv[3]);

  g_test_init (&argc, &argv, NULL);

  read_only_dir = g_strdup (g_getenv ("EASEL_TEST_RO_DIR"));

  g_test_add_func ("/core/store/open-creates", test_open_creates);
  g_test_add_func ("/core/store/image-dedup", test_image_dedup);
  g_test_add_func ("/core/store/generation-round-trip", test_generation_round_trip);
  for (guint i = 0; i < G_N_ELEMENTS (record_cases); i++)
    {
      g_autofree char *p = g_strdup_printf ("/core/store/record/%s", record_cases[i].name);
      g_test_add_data_func (p, &record_cases[i], test_record);
    }
  g_test_add_func ("/core/store/cache", test_cache);
  for (guint i = 0; i < G_N_ELEMENTS (filter_cases); i++)
    {
      g_autofree char *p = g_strdup_printf ("/core/store/query/%s", filter_cases[i].name);
      g_test_add_data_func (p, &filter_cases[i], test_filters);
    }
  g_test_add_func ("/core/store/ledger", test_ledger);
  g_test_add_func ("/core/store/star-delete-purge", test_star_delete_purge);
  g_test_add_func ("/core/store/turns", test_turns);
  g_test_add_func ("/core/store/migrate-v1", test_migrate_v1);
  for (guint i = 0; i < G_N_ELEMENTS (corrupt_cases); i++)
    {
      g_autofree char *p = g_strdup_printf ("/core/store/corrupt/%s", corrupt_cases[i].name);
      g_test_add_data_func (p, &corrupt_cases[i], test_corrupt);
    }
  g_test_add_func ("/core/store/not-a-dir", test_not_a_dir);
  g_test_add_func ("/core/store/read-only", test_read_only);
  g_test_add_func ("/core/store/orphan-sweep", test_orphan_sweep);
  g_test_add_func ("/core/store/maintenance", test_maintenance);
  g_test_add_func ("/core/store/search-big", test_search_big);
  g_test_add_func ("/core/store/search-sees-writes", test_search_sees_writes);
  for (guint i = 0; i < G_N_ELEMENTS (export_cases); i++)
    {
      g_autofree char *p = g_strdup_printf ("/core/store/export/%s", export_cases[i].name);
      g_test_add_data_func (p, &export_cases[i], test_export);
    }
  g_test_add_func ("/core/store/async", test_async);
  for (guint i = 0; i < G_N_ELEMENTS (rebuild_cases); i++)
    {
      g_autofree char *p = g_strdup_printf ("/core/store/rebuild-request/%s", rebuild_cases[i].name);
      g_test_add_data_func (p, &rebuild_cases[i], test_rebuild_request);
    }
  g_test_add_func ("/core/store/rebuild-request-inputs-kept", test_rebuild_inputs_kept);
  g_test_add_func ("/core/store/status-strings", test_status_strings);
  g_test_add_func ("/core/store/incomplete", test_incomplete);
  g_test_add_func ("/core/store/pending-responses", test_pending_responses);
  g_test_add_func ("/core/store/picked", test_picked);
  g_test_add_func ("/core/store/base-url", test_base_url);
  g_test_add_func ("/core/store/no-image", test_no_image);
  g_test_add_func ("/core/store/import-untrusted-hash", test_import_untrusted_hash);
  for (guint i = 0; i < G_N_ELEMENTS (hostile_import_cases); i++)
    {
      g_autofree char *p = g_strdup_printf ("/core/store/import-hostile/%s", hostile_import_cases[i].name);
      g_test_add_data_func (p, &hostile_import_cases[i], test_import_hostile);
    }
  g_test_add_func ("/core/store/import-minimal", test_import_minimal);
  g_test_add_func ("/core/store/import-odd-images", test_import_odd_images);
  g_test_add_func ("/core/store/concurrent-open", test_concurrent_open);

  return g_test_run ();
}
