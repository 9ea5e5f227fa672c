/* test-compare.c: Compare grids, from the core, the contact sheet and `easel compare`,
 * against the in-process fake OpenAI server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-compare"

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sqlite3.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>

#include "easel-core.h"
#include "fake-server.h"

#define TEST_KEY "sk-test-compare-0123456789abcdefSECRET"
#include "easel-contact-sheet.h"

typedef struct
{
  EaselFakeServer *server;
  char            *tmpdir;
  char            *libdir;
  const char      *cli;
} Fixture;

typedef struct
{
  int   status;
  char *out;
  char *err;
} CliRun;

static void
cli_run_clear (CliRun *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CliRun, cli_run_clear)

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->cli = g_getenv ("EASEL_CLI");
  f->server = easel_fake_server_new (&error);
  g_assert_no_error (error);
  /* Small images: twenty of them must stay quick. */
  easel_fake_server_set_image_size (f->server, 16, 16);
  f->tmpdir = g_dir_make_tmp ("easel-test-compare-XXXXXX", &error);
  g_assert_no_error (error);
  f->libdir = g_build_filename (f->tmpdir, "library", NULL);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);

        if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
          remove_tree (child);
        else
          g_unlink (child);
      }
  g_rmdir (path);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->server, easel_fake_server_free);
  remove_tree (f->tmpdir);
  g_clear_pointer (&f->tmpdir, g_free);
  g_clear_pointer (&f->libdir, g_free);
}

static void
communicate_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
  g_main_context_wakeup (NULL);
}

static GSubprocess *
spawn_cli (Fixture            *f,
           const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *home = g_build_filename (f->tmpdir, "home", NULL);
  GSubprocess *process;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_cwd (launcher, f->tmpdir);
  g_subprocess_launcher_setenv (launcher, "OPENAI_BASE_URL", easel_fake_server_get_base_url (f->server), TRUE);
  g_subprocess_launcher_setenv (launcher, "OPENAI_API_KEY", TEST_KEY, TRUE);
  g_subprocess_launcher_setenv (launcher, "EASEL_LIBRARY_DIR", f->libdir, TRUE);
  g_subprocess_launcher_setenv (launcher, "EASEL_BATCH_POLL_MS", "20", TRUE);
  g_subprocess_launcher_setenv (launcher, "HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "no_proxy", "127.0.0.1,localhost", TRUE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/easel-test", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");
  /* The real schema and a keyfile in the test's folder: the budget the
   * CLI checks is the test's own, never the developer's. */
  {
    g_autofree char *config = g_build_filename (f->tmpdir, "config", NULL);

    g_subprocess_launcher_setenv (launcher, "GSETTINGS_SCHEMA_DIR", EASEL_SCHEMA_DIR, TRUE);
    g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "keyfile", TRUE);
    g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config, TRUE);
  }

  g_ptr_array_add (argv, (gpointer) f->cli);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  return process;
}

static void
wait_cli (GSubprocess *process,
          const char  *stdin_text,
          CliRun      *run)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_async (process, stdin_text ? stdin_text : "", NULL, communicate_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_subprocess_communicate_utf8_finish (process, result, &run->out, &run->err, &error);
  g_assert_no_error (error);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
  run->status = g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process) : -1;

  if (g_test_verbose ())
    g_printerr ("--- exit %d\n--- stdout\n%s--- stderr\n%s", run->status, run->out, run->err);
  /* The key never shows. */
  g_assert_null (strstr (run->out, TEST_KEY));
  g_assert_null (strstr (run->err, TEST_KEY));
}

static gboolean
run_cli (Fixture            *f,
         const char         *stdin_text,
         const char * const *args,
         CliRun             *run)
{
  g_autoptr(GSubprocess) process = NULL;

  if (f->cli == NULL)
    {
      g_test_skip ("EASEL_CLI is not set: run through meson test");
      return FALSE;
    }
  process = spawn_cli (f, args);
  wait_cli (process, stdin_text, run);
  return TRUE;
}

static EaselStore *
open_store (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  EaselStore *store = easel_store_open (f->libdir, &error);

  g_assert_no_error (error);
  return store;
}

static int
db_int (Fixture    *f,
        const char *sql)
{
  g_autofree char *path = g_build_filename (f->libdir, "library.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  int value = -1;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

static guint
count_files (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

/* ---- core ---------------------------------------------------------------- */

static EaselRequest *
base_request (void)
{
  EaselRequest *base = easel_request_new (EASEL_API_IMAGES_GENERATE);

  base->prompt = g_strdup ("a lighthouse at dusk");
  base->size = g_strdup ("1024x1024");
  base->stream = TRUE;
  base->partial_images = 2;
  base->n = 4;   /* replaced: a cell is one image */
  return base;
}

static void
test_expand (void)
{
  g_autoptr(EaselRequest) base = base_request ();
  const char *models[] = { "gpt-image-2", "gpt-image-1.5", "gpt-image-1-mini", NULL };
  const char *qualities[] = { "low", "high", NULL };
  const char *sizes[] = { "1024x1024", "1536x1024", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselComparison) cmp = easel_comparison_new (base, models, qualities, sizes, FALSE, &error);
  double sum = 0;
  gboolean known;

  g_assert_no_error (error);
  g_assert_cmpuint (easel_comparison_get_n_cells (cmp), ==, 12);
  g_assert_cmpuint (easel_comparison_get_n_columns (cmp), ==, 4);
  g_assert_cmpuint (easel_comparison_get_max_concurrent (cmp), ==, 3);
  for (guint i = 0; i < 12; i++)
    {
      EaselComparisonCell *cell = easel_comparison_get_cell (cmp, i);
      const EaselRequest *r = easel_comparison_cell_get_request (cell);
      EaselCostEstimate est;

      g_assert_cmpuint (easel_comparison_cell_get_index (cell), ==, i);
      /* Models outermost, then qualities, then sizes. */
      g_assert_cmpstr (r->model, ==, models[i / 4]);
      g_assert_cmpstr (r->quality, ==, qualities[(i / 2) % 2]);
      g_assert_cmpstr (r->size, ==, sizes[i % 2]);
      g_assert_cmpint (r->n, ==, 1);
      g_assert_cmpstr (r->prompt, ==, "a lighthouse at dusk");
      g_assert_cmpint (easel_comparison_cell_get_state (cell), ==, EASEL_COMPARISON_CELL_WAITING);
      easel_cost_estimate (r, &est);
      g_assert_cmpfloat_with_epsilon (easel_comparison_cell_get_estimate (cell)->usd, est.usd, 1e-9);
      g_assert_cmpfloat (est.usd, >, 0);
      sum += est.usd;
    }
  g_assert_cmpstr (easel_comparison_cell_get_label (easel_comparison_get_cell (cmp, 3)), ==,
                   "gpt-image-2 · high · 1536x1024");
  g_assert_cmpfloat_with_epsilon (easel_comparison_get_estimate_usd (cmp, &known), sum, 1e-9);
  /* High costs more than low for the same model and size. */
  g_assert_cmpfloat (easel_comparison_cell_get_estimate (easel_comparison_get_cell (cmp, 6))->usd, >,
                     easel_comparison_cell_get_estimate (easel_comparison_get_cell (cmp, 4))->usd);
}

static void
test_refused (void)
{
  g_autoptr(EaselRequest) base = base_request ();
  const char *retired[] = { "gpt-image-1.5", "gpt-image-1", NULL };
  const char *good[] = { "gpt-image-1.5", NULL };
  const char *qualities[] = { "low", NULL };
  const char *bad_quality[] = { "low", "ultra", NULL };
  const char *none[] = { NULL };
  g_autoptr(GError) error = NULL;
  EaselComparison *cmp;

  cmp = easel_comparison_new (base, retired, qualities, NULL, FALSE, &error);
  g_assert_null (cmp);
  g_assert_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_RETIRED);
  g_assert_nonnull (strstr (error->message, "gpt-image-1 · low"));
  g_clear_error (&error);

  /* A compatible server may still serve it. */
  cmp = easel_comparison_new (base, retired, qualities, NULL, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (easel_comparison_get_n_cells (cmp), ==, 2);
  g_clear_object (&cmp);

  cmp = easel_comparison_new (base, good, bad_quality, NULL, FALSE, &error);
  g_assert_null (cmp);
  g_assert_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_INVALID_VALUE);
  g_assert_nonnull (strstr (error->message, "gpt-image-1.5 · ultra"));
  g_clear_error (&error);

  cmp = easel_comparison_new (base, none, qualities, NULL, FALSE, &error);
  g_assert_null (cmp);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* The prompt is checked per model too. */
  g_clear_pointer (&base->prompt, g_free);
  cmp = easel_comparison_new (base, good, qualities, NULL, FALSE, &error);
  g_assert_null (cmp);
  g_assert_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_MISSING);
}

typedef struct
{
  guint running;
  guint max_running;
  guint finished_signals;
} Watch;

static void
on_state (EaselComparisonCell *cell,
          GParamSpec          *pspec,
          Watch               *w)
{
  EaselComparisonCellState state = easel_comparison_cell_get_state (cell);

  if (state == EASEL_COMPARISON_CELL_RUNNING)
    w->running++;
  else if (state != EASEL_COMPARISON_CELL_WAITING && w->running > 0)
    w->running--;
  w->max_running = MAX (w->max_running, w->running);
}

static void
on_finished (EaselComparison     *cmp,
             EaselComparisonCell *cell,
             Watch               *w)
{
  w->finished_signals++;
}

static void
watch (EaselComparison *cmp,
       Watch           *w)
{
  for (guint i = 0; i < easel_comparison_get_n_cells (cmp); i++)
    g_signal_connect (easel_comparison_get_cell (cmp, i), "notify::state", G_CALLBACK (on_state), w);
  g_signal_connect (cmp, "cell-finished", G_CALLBACK (on_finished), w);
}

static void
ran_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static gboolean
run_to_end (EaselComparison *cmp,
            EaselClient     *client,
            EaselLibrary    *library,
            const char      *base_url,
            GCancellable    *cancellable,
            GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  easel_comparison_run_async (cmp, client, library, base_url, cancellable, ran_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return easel_comparison_run_finish (cmp, result, error);
}

static void
test_run (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(EaselRequest) base = base_request ();
  const char *models[] = { "gpt-image-1.5", "gpt-image-1-mini", NULL };
  const char *qualities[] = { "low", "high", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselComparison) cmp = easel_comparison_new (base, models, qualities, NULL, FALSE, &error);
  g_autoptr(EaselStore) store = open_store (f);
  g_autoptr(EaselLibrary) library = easel_library_new_for_store (store);
  const char *url = easel_fake_server_get_base_url (f->server);
  g_autoptr(EaselClient) client = easel_client_new (url, TEST_KEY);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GArray) cells = NULL;
  g_autoptr(GHashTable) ids = g_hash_table_new (g_int64_hash, g_int64_equal);
  Watch w = { 0 };

  g_assert_no_error (error);
  easel_fake_server_set_event_delay_ms (f->server, 30);
  easel_comparison_set_max_concurrent (cmp, 2);
  watch (cmp, &w);

  g_assert_true (run_to_end (cmp, client, library, url, NULL, &error));
  g_assert_no_error (error);
  easel_library_flush (library);

  /* Bounded: two at a time, and both slots were used. */
  g_assert_cmpuint (w.max_running, ==, 2);
  g_assert_cmpuint (w.finished_signals, ==, 4);
  g_assert_cmpuint (easel_comparison_get_n_finished (cmp), ==, 4);
  g_assert_false (easel_comparison_get_running (cmp));
  g_assert_cmpint (easel_comparison_get_id (cmp), >, 0);
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "POST", "/v1/images/generations"), ==, 4);

  for (guint i = 0; i < 4; i++)
    {
      EaselComparisonCell *cell = easel_comparison_get_cell (cmp, i);
      const EaselResult *result = easel_comparison_cell_get_result (cell);
      gint64 id = easel_comparison_cell_get_generation_id (cell);
      g_autoptr(GdkPixbuf) pixbuf = NULL;
      g_autoptr(GInputStream) stream = NULL;

      g_assert_cmpint (easel_comparison_cell_get_state (cell), ==, EASEL_COMPARISON_CELL_DONE);
      /* Live partials reached the cell, and the final image replaced them. */
      g_assert_cmpuint (g_bytes_get_size (easel_comparison_cell_get_partial (cell)), >, 0);
      g_assert_nonnull (easel_comparison_cell_get_image (cell));
      stream = g_memory_input_stream_new_from_bytes (easel_comparison_cell_get_image (cell));
      pixbuf = gdk_pixbuf_new_from_stream (stream, NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (result);
      g_assert_true (result->usage.present);
      g_assert_cmpfloat (easel_comparison_cell_get_actual_usd (cell), >, 0);
      g_assert_cmpfloat_with_epsilon (easel_comparison_cell_get_actual_usd (cell),
                                      easel_cost_usd_for_usage (easel_comparison_cell_get_model (cell),
                                                                easel_comparison_cell_get_quality (cell),
                                                                easel_comparison_cell_get_size (cell),
                                                                &result->usage, 1), 1e-12);
      g_assert_cmpfloat (easel_comparison_cell_get_elapsed (cell), >, 0);
      g_assert_cmpint (id, >, 0);
      g_assert_false (g_hash_table_contains (ids, &id));
      g_hash_table_add (ids, g_memdup2 (&id, sizeof id));
    }

  /* Each request carried its cell's model and quality, one image each. */
  for (guint i = 0; i < easel_fake_server_get_n_requests (f->server); i++)
    {
      g_autoptr(JsonNode) body = easel_fake_request_parse_json (easel_fake_server_get_request (f->server, i));
      JsonObject *o = json_node_get_object (body);

      g_assert_cmpint (json_object_get_int_member (o, "n"), ==, 1);
      g_assert_true (json_object_get_boolean_member (o, "stream"));
    }

  /* One set, four normal generations, cell by cell. */
  rows = easel_store_list_comparison (store, easel_comparison_get_id (cmp), &cells, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 4);
  for (guint i = 0; i < 4; i++)
    {
      EaselGeneration *g = rows->pdata[i];
      EaselComparisonCell *cell = easel_comparison_get_cell (cmp, i);

      g_assert_cmpuint (g_array_index (cells, guint, i), ==, i);
      g_assert_cmpint (g->id, ==, easel_comparison_cell_get_generation_id (cell));
      g_assert_cmpstr (g->model, ==, easel_comparison_cell_get_model (cell));
      g_assert_cmpstr (g->quality, ==, easel_comparison_cell_get_quality (cell));
      g_assert_cmpint (g->status, ==, EASEL_GENERATION_OK);
      g_assert_nonnull (g->path);
      g_assert_true (g_file_test (g->path, G_FILE_TEST_IS_REGULAR));
      g_assert_cmpstr (easel_comparison_cell_get_path (cell), ==, g->path);
      g_assert_cmpstr (g->prompt, ==, "a lighthouse at dusk");
    }
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM comparisons"), ==, 1);
  g_assert_cmpint (db_int (f, "SELECT n_cells FROM comparisons"), ==, 4);
  /* Normal generations: the gallery's query sees them, and can show the
   * set alone. */
  {
    g_autoptr(EaselStoreQuery) q = easel_store_query_new ();
    g_autoptr(GPtrArray) all = NULL;
    g_autoptr(GPtrArray) set = NULL;
    g_autoptr(EaselGeneration) other = easel_generation_new ();
    guint total = 0;

    other->model = g_strdup ("gpt-image-1.5");
    other->prompt = g_strdup ("not compared");
    g_assert_cmpint (easel_store_insert_generation (store, other, easel_comparison_cell_get_image (easel_comparison_get_cell (cmp, 0)), &error), >, 0);
    all = easel_store_query (store, q, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (all->len, ==, 5);
    q->comparison_id = easel_comparison_get_id (cmp);
    set = easel_store_query (store, q, &total, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (set->len, ==, 4);
    g_assert_cmpuint (total, ==, 4);
    for (guint i = 0; i < set->len; i++)
      g_assert_cmpint (((EaselGeneration *) set->pdata[i])->id, !=, other->id);
  }

  /* The contact sheet of the run: one tile per cell, labelled with what
   * each cost. */
  {
    EaselComparisonCell *cell = easel_comparison_get_cell (cmp, 1);
    g_autofree char *detail = easel_contact_sheet_cell_detail (cell);
    g_autofree char *cost = easel_cost_format_usd (easel_comparison_cell_get_actual_usd (cell));
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(GBytes) png = NULL;
    g_autoptr(GInputStream) stream = NULL;
    g_autoptr(GdkPixbuf) sheet = NULL;

    g_assert_true (g_str_has_prefix (detail, cost));
    g_assert_nonnull (strstr (detail, " tokens · "));
    easel_contact_sheet_render_async (cmp, 64, NULL, ran_cb, &result);
    while (result == NULL)
      g_main_context_iteration (NULL, TRUE);
    png = easel_contact_sheet_render_finish (result, &error);
    g_assert_no_error (error);
    stream = g_memory_input_stream_new_from_bytes (png);
    sheet = gdk_pixbuf_new_from_stream (stream, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpint (gdk_pixbuf_get_width (sheet), ==, 2 * 24 + 2 * 64 + 16);
    g_assert_cmpint (gdk_pixbuf_get_height (sheet), ==, 2 * 24 + 44 + 2 * (64 + 52) + 16);
  }

  /* A comparison runs once. */
  g_assert_false (run_to_end (cmp, client, library, url, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
}

static void
test_failed_cell (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(EaselRequest) base = base_request ();
  const char *models[] = { "gpt-image-1.5", "gpt-image-1-mini", NULL };
  const char *qualities[] = { "low", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselComparison) cmp = easel_comparison_new (base, models, qualities, NULL, FALSE, &error);
  g_autoptr(EaselStore) store = open_store (f);
  g_autoptr(EaselLibrary) library = easel_library_new_for_store (store);
  const char *url = easel_fake_server_get_base_url (f->server);
  g_autoptr(EaselClient) client = easel_client_new (url, TEST_KEY);
  g_autoptr(GPtrArray) rows = NULL;
  EaselComparisonCell *failed;

  g_assert_no_error (error);
  easel_comparison_set_max_concurrent (cmp, 1);
  easel_fake_server_queue_reply (f->server, "/v1/images/generations",
                                 easel_fake_reply_new_error (400, "invalid_request_error", "bad_thing",
                                                             "Something \x1b[31mred\x1b[0m went wrong"));
  /* Other cells keep going. */
  g_assert_true (run_to_end (cmp, client, library, url, NULL, &error));
  g_assert_no_error (error);
  easel_library_flush (library);

  failed = easel_comparison_get_cell (cmp, 0);
  g_assert_cmpint (easel_comparison_cell_get_state (failed), ==, EASEL_COMPARISON_CELL_FAILED);
  g_assert_nonnull (easel_comparison_cell_get_error (failed));
  g_assert_null (easel_comparison_cell_get_image (failed));
  g_assert_cmpint (easel_comparison_cell_get_state (easel_comparison_get_cell (cmp, 1)), ==,
                   EASEL_COMPARISON_CELL_DONE);
  /* The contact sheet's line for it is escaped server text. */
  {
    g_autofree char *detail = easel_contact_sheet_cell_detail (failed);

    g_assert_null (strchr (detail, '\x1b'));
  }

  /* The failure is kept in the set, like a failed generate. */
  rows = easel_store_list_comparison (store, easel_comparison_get_id (cmp), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 2);
  g_assert_cmpint (((EaselGeneration *) rows->pdata[0])->status, ==, EASEL_GENERATION_FAILED);
  g_assert_cmpint (((EaselGeneration *) rows->pdata[1])->status, ==, EASEL_GENERATION_OK);
}

static void
cancel_on_first (EaselComparison     *cmp,
                 EaselComparisonCell *cell,
                 GCancellable        *cancellable)
{
  g_cancellable_cancel (cancellable);
}

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(EaselRequest) base = base_request ();
  const char *models[] = { "gpt-image-1.5", "gpt-image-1-mini", NULL };
  const char *qualities[] = { "low", "high", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselComparison) cmp = easel_comparison_new (base, models, qualities, NULL, FALSE, &error);
  const char *url = easel_fake_server_get_base_url (f->server);
  g_autoptr(EaselClient) client = easel_client_new (url, TEST_KEY);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  guint n_cancelled = 0;

  g_assert_no_error (error);
  easel_comparison_set_max_concurrent (cmp, 1);
  g_signal_connect (cmp, "cell-finished", G_CALLBACK (cancel_on_first), cancellable);
  /* No library: nothing is recorded, the grid still runs. */
  g_assert_false (run_to_end (cmp, client, NULL, url, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (easel_comparison_get_id (cmp), ==, 0);

  g_assert_cmpint (easel_comparison_cell_get_state (easel_comparison_get_cell (cmp, 0)), ==,
                   EASEL_COMPARISON_CELL_DONE);
  for (guint i = 1; i < 4; i++)
    n_cancelled += easel_comparison_cell_get_state (easel_comparison_get_cell (cmp, i)) == EASEL_COMPARISON_CELL_CANCELLED;
  g_assert_cmpuint (n_cancelled, ==, 3);
  /* Nothing was sent after the cancel. */
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "POST", "/v1/images/generations"), ==, 1);
  g_assert_cmpuint (easel_comparison_get_n_finished (cmp), ==, 4);
}

/* ---- the contact sheet ------------------------------------------------- */

static GBytes *
solid_png (int     width,
           int     height,
           guint32 rgba)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, width, height);
  g_autoptr(GError) error = NULL;
  char *buffer = NULL;
  gsize len = 0;

  gdk_pixbuf_fill (pixbuf, rgba);
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &len, "png", &error, NULL));
  g_assert_no_error (error);
  return g_bytes_new_take (buffer, len);
}

static void
assert_pixel (GdkPixbuf *pixbuf,
              int        x,
              int        y,
              guint8     r,
              guint8     g,
              guint8     b)
{
  const guint8 *p = gdk_pixbuf_read_pixels (pixbuf) + y * gdk_pixbuf_get_rowstride (pixbuf)
                    + x * gdk_pixbuf_get_n_channels (pixbuf);

  g_assert_cmpuint (p[0], ==, r);
  g_assert_cmpuint (p[1], ==, g);
  g_assert_cmpuint (p[2], ==, b);
}

static void
test_contact_sheet (void)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) easel_contact_sheet_item_free);
  g_autoptr(GBytes) red = solid_png (64, 64, 0xff0000ff);
  g_autoptr(GBytes) blue = solid_png (128, 64, 0x0000ffff);
  g_autoptr(GBytes) green = solid_png (32, 32, 0x00ff00ff);
  g_autoptr(GBytes) junk = g_bytes_new_static ("not an image", 12);
  g_autoptr(GBytes) png = NULL;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GdkPixbuf) sheet = NULL;
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (items, easel_contact_sheet_item_new (red, "gpt-image-1.5 · low", "$0.01"));
  g_ptr_array_add (items, easel_contact_sheet_item_new (blue, "gpt-image-1.5 · high", "$0.10"));
  g_ptr_array_add (items, easel_contact_sheet_item_new (green, "gpt-image-1-mini · low", "$0.002"));
  g_ptr_array_add (items, easel_contact_sheet_item_new (junk, "gpt-image-1-mini · high", "$0.02"));
  g_ptr_array_add (items, easel_contact_sheet_item_new (NULL, "gpt-image-2 · low", "failed"));

  png = easel_contact_sheet_render ("a \x1b[2Jprompt", items, 2, 100, &error);
  g_assert_no_error (error);
  stream = g_memory_input_stream_new_from_bytes (png);
  sheet = gdk_pixbuf_new_from_stream (stream, NULL, &error);
  g_assert_no_error (error);

  /* 2 columns × 3 rows of 100 px tiles: margins 24, gaps 16, heading 44, labels 52. */
  g_assert_cmpint (gdk_pixbuf_get_width (sheet), ==, 2 * 24 + 2 * 100 + 16);
  g_assert_cmpint (gdk_pixbuf_get_height (sheet), ==, 2 * 24 + 44 + 3 * (100 + 52) + 2 * 16);
  /* Tile centres show their image; the wide one is letterboxed. */
  assert_pixel (sheet, 24 + 50, 24 + 44 + 50, 255, 0, 0);
  assert_pixel (sheet, 24 + 116 + 50, 24 + 44 + 50, 0, 0, 255);
  assert_pixel (sheet, 24 + 116 + 50, 24 + 44 + 5, 235, 235, 235);
  assert_pixel (sheet, 24 + 50, 24 + 44 + 168 + 50, 0, 255, 0);
  /* Undecodable and missing images leave an empty tile. */
  assert_pixel (sheet, 24 + 116 + 50, 24 + 44 + 168 + 50, 235, 235, 235);
  assert_pixel (sheet, 24 + 50, 24 + 44 + 2 * 168 + 50, 235, 235, 235);
  /* Some label text was drawn under the first tile. */
  {
    gboolean dark = FALSE;

    for (int y = 24 + 44 + 100; y < 24 + 44 + 152 && !dark; y++)
      for (int x = 24; x < 124 && !dark; x++)
        {
          const guint8 *p = gdk_pixbuf_read_pixels (sheet) + y * gdk_pixbuf_get_rowstride (sheet)
                            + x * gdk_pixbuf_get_n_channels (sheet);
          dark = p[0] < 100 && p[1] < 100 && p[2] < 100;
        }
    g_assert_true (dark);
  }

  g_ptr_array_set_size (items, 0);
  g_assert_null (easel_contact_sheet_render ("x", items, 2, 100, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

/* ---- `easel compare` ---------------------------------------------------- */

static void
test_cli_grid (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *out = g_build_filename (f->tmpdir, "out", NULL);
  const char *args[] = { "compare", "--models", "gpt-image-1.5,gpt-image-1-mini", "--qualities", "low,high",
                         "--size", "1024x1024", "-p", "1", "--json", "-o", out, "a red fox in the snow", NULL };
  const char *expected[] = { "01-gpt-image-1.5-low.png", "02-gpt-image-1.5-high.png",
                             "03-gpt-image-1-mini-low.png", "04-gpt-image-1-mini-high.png",
                             "contact-sheet.png", "costs.csv", NULL };
  g_auto(CliRun) run = { 0 };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *csv = NULL;
  g_autofree char *csv_path = g_build_filename (out, "costs.csv", NULL);
  g_auto(GStrv) lines = NULL;
  JsonObject *root;
  JsonArray *cells;
  gint64 set;

  if (!run_cli (f, NULL, args, &run))
    return;
  g_assert_cmpint (run.status, ==, 0);
  /* The grid's estimate before anything is sent, then each cell. */
  g_assert_nonnull (strstr (run.err, "4 cells, estimated"));
  g_assert_nonnull (strstr (run.err, "[4/4]"));

  g_assert_cmpuint (count_files (out), ==, 6);
  for (guint i = 0; expected[i]; i++)
    {
      g_autofree char *path = g_build_filename (out, expected[i], NULL);
      g_autoptr(GdkPixbuf) pixbuf = NULL;

      g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
      if (g_str_has_suffix (path, ".png"))
        {
          pixbuf = gdk_pixbuf_new_from_file (path, &error);
          g_assert_no_error (error);
        }
    }

  g_assert_true (json_parser_load_from_data (parser, run.out, -1, &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  set = json_object_get_int_member (root, "comparison_id");
  g_assert_cmpint (set, >, 0);
  g_assert_cmpfloat (json_object_get_double_member (root, "actual_usd"), >, 0);
  g_assert_cmpfloat (json_object_get_double_member (root, "estimated_usd"), >,
                     json_object_get_double_member (root, "actual_usd"));
  cells = json_object_get_array_member (root, "cells");
  g_assert_cmpuint (json_array_get_length (cells), ==, 4);
  for (guint i = 0; i < 4; i++)
    {
      JsonObject *cell = json_array_get_object_element (cells, i);

      g_assert_cmpstr (json_object_get_string_member (cell, "state"), ==, "done");
      g_assert_cmpfloat (json_object_get_double_member (cell, "actual_usd"), >, 0);
      g_assert_cmpint (json_object_get_int_member (cell, "output_tokens"), >, 0);
      g_assert_cmpint (json_object_get_int_member (cell, "generation_id"), >, 0);
    }

  /* The cost table: a header and one line per cell. */
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, &error));
  lines = g_strsplit (g_strstrip (csv), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 5);
  g_assert_true (g_str_has_prefix (lines[0], "cell,model,quality,size,state,estimated_usd,actual_usd"));
  g_assert_true (g_str_has_prefix (lines[2], "2,gpt-image-1.5,high,1024x1024,done,"));

  /* Four normal generations sharing one set, one per cell. */
  {
    g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM generations WHERE comparison = %" G_GINT64_FORMAT, set);
    g_autofree char *cells_sql = g_strdup_printf ("SELECT count(DISTINCT comparison_cell) FROM generations "
                                                  "WHERE comparison = %" G_GINT64_FORMAT " AND status = 'ok'", set);

    g_assert_cmpint (db_int (f, sql), ==, 4);
    g_assert_cmpint (db_int (f, cells_sql), ==, 4);
    g_assert_cmpint (db_int (f, "SELECT count(*) FROM generations"), ==, 4);
    g_assert_cmpint (db_int (f, "SELECT count(*) FROM comparisons"), ==, 1);
  }

  /* `easel library list --comparison` shows the set. */
  {
    g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, set);
    const char *list_args[] = { "library", "list", "--comparison", id, "--json", NULL };
    const char *other_args[] = { "library", "list", "--comparison", "999", "--json", NULL };
    g_auto(CliRun) list = { 0 };
    g_auto(CliRun) other = { 0 };
    g_autoptr(JsonParser) p = json_parser_new ();
    JsonNode *root;

    run_cli (f, NULL, list_args, &list);
    g_assert_cmpint (list.status, ==, 0);
    g_assert_true (json_parser_load_from_data (p, list.out, -1, &error));
    root = json_parser_get_root (p);
    g_assert_cmpint (json_object_get_int_member (json_node_get_object (root), "total"), ==, 4);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (root), "items")), ==, 4);

    run_cli (f, NULL, other_args, &other);
    g_assert_cmpint (other.status, ==, 0);
    g_assert_null (strstr (other.out, "a red fox"));
  }
}

static void
test_cli_refused (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *out = g_build_filename (f->tmpdir, "out", NULL);

  {
    const char *args[] = { "compare", "--models", "gpt-image-1.5,gpt-image-1", "--qualities", "low",
                           "-o", out, "a fox", NULL };
    g_auto(CliRun) run = { 0 };

    if (!run_cli (f, NULL, args, &run))
      return;
    g_assert_cmpint (run.status, ==, 2);
    g_assert_nonnull (strstr (run.err, "retired"));
    g_assert_nonnull (strstr (run.err, "--allow-retired"));
  }
  {
    const char *args[] = { "compare", "--models", "gpt-image-1.5", "--qualities", "low,ultra",
                           "-o", out, "a fox", NULL };
    g_auto(CliRun) run = { 0 };

    run_cli (f, NULL, args, &run);
    g_assert_cmpint (run.status, ==, 2);
    g_assert_nonnull (strstr (run.err, "gpt-image-1.5 · ultra"));
  }
  {
    const char *args[] = { "budget", "set", "--daily", "0.05", NULL };
    g_auto(CliRun) run = { 0 };

    run_cli (f, NULL, args, &run);
    g_assert_cmpint (run.status, ==, 0);
  }
  {
    /* Each cell alone is under $0.05; the grid (≈ $0.28) is not. */
    const char *args[] = { "compare", "--models", "gpt-image-1.5,gpt-image-1-mini", "--qualities", "low,medium,high",
                           "--size", "1024x1024", "-o", out, "a fox", NULL };
    g_auto(CliRun) run = { 0 };

    run_cli (f, NULL, args, &run);
    g_assert_cmpint (run.status, ==, 2);
    g_assert_nonnull (strstr (run.err, "daily limit"));
    g_assert_nonnull (strstr (run.err, "--over-budget"));
  }
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 0);
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS) && count_files (out) > 0);
  {
    const char *args[] = { "compare", "--models", "gpt-image-1-mini", "--qualities", "low",
                           "--size", "1024x1024", "--over-budget", "--no-stream", "-o", out, "a fox", NULL };
    g_auto(CliRun) run = { 0 };

    run_cli (f, NULL, args, &run);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
  }
}

/* --batch: the grid goes out as one Batch API job at half the price, one
 * JSONL line per cell, and no image request is sent directly; edits are
 * refused before anything is sent. */
static void
test_cli_batch (Fixture       *f,
                gconstpointer  data)
{
  const char *args[] = { "compare", "--batch", "--models", "gpt-image-1.5,gpt-image-1-mini", "--qualities", "low,high",
                         "a red fox in the snow", NULL };
  g_auto(CliRun) run = { 0 };
  const EaselFakeRequest *upload = NULL;
  const char *body;
  gsize len = 0;
  guint lines = 0;

  if (!run_cli (f, NULL, args, &run))
    return;
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.err, "half the price"));
  g_assert_nonnull (strstr (run.out, "batch_"));
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "POST", "/v1/batches"), ==, 1);
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "POST", "/v1/images/generations"), ==, 0);
  for (guint i = 0; i < easel_fake_server_get_n_requests (f->server); i++)
    if (g_strcmp0 (easel_fake_server_get_request (f->server, i)->path, "/v1/files") == 0)
      upload = easel_fake_server_get_request (f->server, i);
  g_assert_nonnull (upload);
  body = g_bytes_get_data (upload->body, &len);
  for (gsize i = 0; i + 9 < len; i++)
    if (memcmp (body + i, "custom_id", 9) == 0)
      lines++;
  g_assert_cmpuint (lines, ==, 4);

  {
    g_autofree char *image = g_build_filename (f->tmpdir, "in.png", NULL);
    g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, 32, 32);
    const char *edit_args[] = { "compare", "--batch", "--models", "gpt-image-1.5", "--qualities", "low",
                                "--image", image, "make it winter", NULL };
    g_auto(CliRun) edit = { 0 };
    guint before = easel_fake_server_get_n_requests (f->server);

    gdk_pixbuf_fill (pb, 0x808080ff);
    g_assert_true (gdk_pixbuf_save (pb, image, "png", NULL, NULL));
    run_cli (f, NULL, edit_args, &edit);
    g_assert_cmpint (edit.status, ==, 2);
    g_assert_nonnull (strstr (edit.err, "cannot go in a batch"));
    g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, before);
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/compare/expand", test_expand);
  g_test_add_func ("/core/compare/refused", test_refused);
  g_test_add_func ("/core/compare/contact-sheet", test_contact_sheet);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/core/compare/run", test_run);
  ADD ("/core/compare/failed-cell", test_failed_cell);
  ADD ("/core/compare/cancel", test_cancel);
  ADD ("/cli/compare/grid", test_cli_grid);
  ADD ("/cli/compare/refused", test_cli_refused);
  ADD ("/cli/compare/batch", test_cli_batch);
#undef ADD

  return g_test_run ();
}
