/* test-batch.c: Batch API jobs, from the core and through `easel batch`,
 * against the in-process fake OpenAI server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-batch"

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sqlite3.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>

#include "easel-core.h"
#include "fake-server.h"

#define TEST_KEY "sk-test-batch-0123456789abcdefSECRET"

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
  f->tmpdir = g_dir_make_tmp ("easel-test-batch-XXXXXX", &error);
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

/* "line 1\n…" with a FAIL prompt at each line of @failing (1-based, 0-terminated). */
static char *
make_input (guint        n,
            const guint *failing)
{
  GString *s = g_string_new (NULL);

  for (guint i = 1; i <= n; i++)
    {
      gboolean fail = FALSE;

      for (guint k = 0; failing && failing[k]; k++)
        fail |= failing[k] == i;
      g_string_append_printf (s, "%s product background number %u\n", fail ? "FAIL" : "a", i);
    }
  return g_string_free (s, FALSE);
}

static char *
submit (Fixture    *f,
        const char *input)
{
  g_autofree char *path = g_build_filename (f->tmpdir, "prompts.txt", NULL);
  const char *args[] = { "batch", "submit", "--model", "gpt-image-1.5", "--quality", "low",
                         "--size", "1024x1024", path, NULL };
  g_auto(CliRun) run = { 0 };

  g_assert_true (g_file_set_contents (path, input, -1, NULL));
  if (!run_cli (f, NULL, args, &run))
    return NULL;
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (g_str_has_prefix (run.out, "batch_"));
  g_assert_nonnull (strstr (run.err, "at the batch price"));
  return g_strstrip (g_strdup (run.out));
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

static void
test_jsonl (void)
{
  const char *input =
    "a red fox\n"
    "\n"
    "{\"prompt\": \"a blue owl\", \"quality\": \"high\", \"size\": \"1536x1024\", \"n\": 2}\n";
  g_autoptr(EaselRequest) defaults = easel_request_new (EASEL_API_IMAGES_GENERATE);
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GBytes) jsonl = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  double batch_usd, full_usd;
  gboolean known;

  defaults->model = g_strdup ("gpt-image-1.5");
  defaults->quality = g_strdup ("low");
  defaults->size = g_strdup ("1024x1024");
  defaults->stream = TRUE;
  defaults->partial_images = 2;

  entries = easel_batch_parse_input (input, strlen (input), defaults, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 2);
  g_assert_cmpstr (((EaselBatchEntry *) entries->pdata[1])->custom_id, ==, "line-3");

  jsonl = easel_batch_build_jsonl (entries, &error);
  g_assert_no_error (error);
  {
    g_autofree char *text = g_strndup (g_bytes_get_data (jsonl, NULL), g_bytes_get_size (jsonl));
    lines = g_strsplit (text, "\n", -1);
  }
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_cmpstr (lines[2], ==, "");
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(JsonNode) root = json_from_string (lines[i], &error);
      JsonObject *obj, *body;

      g_assert_no_error (error);
      obj = json_node_get_object (root);
      g_assert_cmpstr (json_object_get_string_member (obj, "method"), ==, "POST");
      g_assert_cmpstr (json_object_get_string_member (obj, "url"), ==, "/v1/images/generations");
      body = json_object_get_object_member (obj, "body");
      g_assert_cmpstr (json_object_get_string_member (body, "model"), ==, "gpt-image-1.5");
      /* A batch answers whole: nothing streamed. */
      g_assert_false (json_object_has_member (body, "stream") &&
                      json_object_get_boolean_member (body, "stream"));
      g_assert_false (json_object_has_member (body, "partial_images"));
    }
  {
    g_autoptr(JsonNode) root = json_from_string (lines[1], NULL);
    JsonObject *body = json_object_get_object_member (json_node_get_object (root), "body");

    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "custom_id"), ==, "line-3");
    g_assert_cmpstr (json_object_get_string_member (body, "prompt"), ==, "a blue owl");
    g_assert_cmpstr (json_object_get_string_member (body, "quality"), ==, "high");
    g_assert_cmpint (json_object_get_int_member (body, "n"), ==, 2);
  }

  easel_batch_estimate (entries, &batch_usd, &full_usd, &known);
  g_assert_true (known);
  g_assert_cmpfloat (full_usd, >, 0);
  g_assert_cmpfloat_with_epsilon (batch_usd, full_usd / 2, 1e-9);
}

static void
test_bad_lines (void)
{
  static const struct { const char *input; const char *expect; } cases[] = {
    { "ok\nok\n{\"prompt\":\"x\",\"quality\":\"ultra\"}\n", "line 3:" },
    { "ok\n{\"prompt\":\"x\",\"colour\":\"red\"}\n", "line 2: unknown field" },
    { "ok\n\n\n{\"quality\":\"low\"}\n", "line 4: “prompt” is required" },
    { "{not json\n", "line 1:" },
    { "ok\n{\"prompt\":\"x\",\"n\":\"2\"}\n", "line 2: “n” must be a whole number" },
    { "\n\n", "holds no prompt" },
  };
  g_autoptr(EaselRequest) defaults = easel_request_new (EASEL_API_IMAGES_GENERATE);

  defaults->model = g_strdup ("gpt-image-1.5");
  {
    static const char nul[] = "a red fox\0 and the rest\n";
    g_autoptr(GError) error = NULL;

    g_assert_null (easel_batch_parse_input (nul, sizeof nul - 1, defaults, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  }
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) entries = easel_batch_parse_input (cases[i].input, strlen (cases[i].input),
                                                              defaults, &error);

      g_assert_null (entries);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      if (strstr (error->message, cases[i].expect) == NULL)
        g_error ("case %u: “%s” does not say “%s”", i, error->message, cases[i].expect);
    }
}

static void
test_info_hostile (void)
{
  static const char * const bad[] = {
    "[]",
    "{\"id\":\"../../files\",\"status\":\"completed\"}",
    "{\"id\":\"batch_1\",\"status\":\"exploded\"}",
    "{\"status\":\"completed\"}",
  };
  g_autoptr(JsonNode) good = json_from_string (
    "{\"id\":\"batch_1\",\"status\":\"completed\",\"output_file_id\":\"file-../etc\","
    "\"error_file_id\":\"file-ok\",\"request_counts\":{\"total\":99999999,\"completed\":-5,\"failed\":3}}", NULL);
  g_autoptr(EaselBatchInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(JsonNode) node = json_from_string (bad[i], NULL);
      g_autoptr(GError) local_error = NULL;

      g_assert_null (easel_batch_info_new_from_json (node, &local_error));
      g_assert_error (local_error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE);
    }

  info = easel_batch_info_new_from_json (good, &error);
  g_assert_no_error (error);
  /* A file id that is not an id never reaches a URL. */
  g_assert_null (info->output_file_id);
  g_assert_cmpstr (info->error_file_id, ==, "file-ok");
  g_assert_cmpint (info->n_total, ==, EASEL_BATCH_MAX_LINES);
  g_assert_cmpint (info->n_completed, ==, 0);
  g_assert_cmpint (info->n_failed, ==, 3);
}

/* ---- the CLI end to end -------------------------------------------------- */

static void
test_submit_wait_fetch (Fixture       *f,
                        gconstpointer  data)
{
  static const guint failing[] = { 4, 11, 19, 0 };
  g_autofree char *input = make_input (20, failing);
  g_autofree char *id = submit (f, input);
  g_autofree char *out_dir = NULL;
  g_autoptr(EaselStore) store = NULL;
  g_autoptr(EaselBatchJob) job = NULL;
  g_autoptr(GPtrArray) images = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(CliRun) run = { 0 };
  g_auto(CliRun) gen = { 0 };
  g_autofree char *sql = NULL;
  double full_cost, batch_cost;

  if (id == NULL)
    return;

  /* The upload was purpose=batch, JSONL with a custom_id per line. */
  {
    const EaselFakeRequest *upload = NULL;
    g_autoptr(GPtrArray) parts = NULL;
    EaselFakePart *purpose, *file;

    for (guint i = 0; i < easel_fake_server_get_n_requests (f->server); i++)
      if (g_strcmp0 (easel_fake_server_get_request (f->server, i)->path, "/v1/files") == 0)
        upload = easel_fake_server_get_request (f->server, i);
    g_assert_nonnull (upload);
    parts = easel_fake_request_parse_multipart (upload);
    purpose = easel_fake_parts_find (parts, "purpose");
    file = easel_fake_parts_find (parts, "file");
    g_assert_nonnull (purpose);
    g_assert_nonnull (file);
    g_assert_cmpmem (g_bytes_get_data (purpose->data, NULL), g_bytes_get_size (purpose->data), "batch", 5);
    g_assert_nonnull (g_strstr_len (g_bytes_get_data (file->data, NULL), g_bytes_get_size (file->data),
                                    "\"custom_id\":\"line-20\""));
  }

  out_dir = g_build_filename (f->tmpdir, "out", NULL);
  {
    const char *args[] = { "batch", "wait", id, "-o", out_dir, NULL };
    run_cli (f, NULL, args, &run);
  }
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.err, "17 new images, 3 new failed lines"));
  g_assert_cmpuint (count_files (out_dir), ==, 17);

  store = open_store (f);
  job = easel_store_get_batch (store, id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (job->status, ==, "completed");
  g_assert_true (job->fetched);
  g_assert_cmpuint (job->n_lines, ==, 20);
  g_assert_cmpuint (job->n_lines_ok, ==, 17);
  g_assert_cmpuint (job->n_lines_failed, ==, 3);

  images = easel_store_list_batch_images (store, job->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (images->len, ==, 17);

  sql = g_strdup_printf ("SELECT count(*) FROM generations WHERE batch = %" G_GINT64_FORMAT
                         " AND status = 'ok' AND custom_id LIKE 'line-%%' AND prompt LIKE 'a product%%'"
                         " AND params_json LIKE '%%\"quality\":\"low\"%%' AND usage_json IS NOT NULL"
                         " AND actual_usd > 0", job->id);
  g_assert_cmpint (db_int (f, sql), ==, 17);
  g_clear_pointer (&sql, g_free);
  sql = g_strdup_printf ("SELECT count(*) FROM generations WHERE batch = %" G_GINT64_FORMAT
                         " AND status != 'ok' AND error_code = 'moderation_blocked' AND prompt LIKE 'FAIL%%'"
                         " AND custom_id IN ('line-4', 'line-11', 'line-19') AND actual_usd = 0", job->id);
  g_assert_cmpint (db_int (f, sql), ==, 3);

  /* The batch price is half what the same request costs one at a time. */
  {
    const char *args[] = { "generate", "--no-stream", "--model", "gpt-image-1.5", "--quality", "low",
                           "--size", "1024x1024", "-o", "single.png", "a product background number 1", NULL };
    run_cli (f, NULL, args, &gen);
  }
  g_assert_cmpint (gen.status, ==, 0);
  {
    g_autofree char *path = g_build_filename (f->libdir, "library.db", NULL);
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;

    g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_prepare_v2 (db,
      "SELECT (SELECT actual_usd FROM generations WHERE batch IS NULL),"
      "       (SELECT actual_usd FROM generations WHERE custom_id = 'line-1')", -1, &stmt, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    full_cost = sqlite3_column_double (stmt, 0);
    batch_cost = sqlite3_column_double (stmt, 1);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
  }
  g_assert_cmpfloat (full_cost, >, 0);
  g_assert_cmpfloat_with_epsilon (batch_cost, full_cost * EASEL_BATCH_DISCOUNT, 1e-9);

  /* The gallery's filter by job: its 17 images, not the single generation. */
  {
    g_autoptr(EaselStoreQuery) query = easel_store_query_new ();
    g_autoptr(GPtrArray) rows = NULL;
    guint total = 0;

    query->batch_job = job->id;
    rows = easel_store_query (store, query, &total, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (total, ==, 17);
    g_assert_cmpuint (rows->len, ==, 17);
    g_clear_pointer (&rows, g_ptr_array_unref);

    query->include_failed = TRUE;
    rows = easel_store_query (store, query, &total, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (total, ==, 20);
    g_clear_pointer (&rows, g_ptr_array_unref);

    /* A search within the job goes the filtered way, not the plain-search one. */
    query->include_failed = FALSE;
    query->text = g_strdup ("product");
    rows = easel_store_query (store, query, &total, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (total, ==, 17);
    g_clear_pointer (&rows, g_ptr_array_unref);

    query->batch_job = job->id + 1000;
    rows = easel_store_query (store, query, &total, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (total, ==, 0);
    g_clear_pointer (&rows, g_ptr_array_unref);

    query->batch_job = 0;
    rows = easel_store_query (store, query, &total, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (total, ==, 18);
  }

  /* status adds what the library holds */
  {
    g_auto(CliRun) status = { 0 };
    const char *args[] = { "batch", "status", id, NULL };

    run_cli (f, NULL, args, &status);
    g_assert_cmpint (status.status, ==, 0);
    g_assert_nonnull (strstr (status.out, "completed: 17 done, 3 failed of 20"));
    g_assert_nonnull (strstr (status.out, "library: 20 of 20 lines recorded (3 failed), fetched"));
  }

  /* list shows it */
  {
    g_auto(CliRun) list = { 0 };
    const char *args[] = { "batch", "list", NULL };

    run_cli (f, NULL, args, &list);
    g_assert_cmpint (list.status, ==, 0);
    g_assert_nonnull (strstr (list.out, id));
    g_assert_nonnull (strstr (list.out, "completed"));
  }
}

static void
test_bad_line_nothing_sent (Fixture       *f,
                            gconstpointer  data)
{
  const char *input = "a red fox\na blue owl\n\n{\"prompt\": \"x\", \"size\": \"13x13\"}\na cat\n";
  const char *args[] = { "batch", "submit", "--model", "gpt-image-1.5", "-", NULL };
  g_auto(CliRun) run = { 0 };

  if (!run_cli (f, input, args, &run))
    return;
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "line 4:"));
  g_assert_nonnull (strstr (run.err, "Nothing was sent"));
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 0);
}

/* A job is refused like a single request: a retired model, a job whose
 * estimate at the batch price crosses the daily limit, or one above the
 * confirmation threshold; nothing is uploaded until the user says so. */
static void
test_refused_before_upload (Fixture       *f,
                            gconstpointer  data)
{
  const char *input = "a red fox\na blue owl\na cat\n";

  {
    const char *args[] = { "batch", "submit", "--model", "gpt-image-1", "-", NULL };
    g_auto(CliRun) run = { 0 };

    if (!run_cli (f, input, args, &run))
      return;
    g_assert_cmpint (run.status, ==, 2);
    g_assert_nonnull (strstr (run.err, "retired"));
    g_assert_nonnull (strstr (run.err, "--allow-retired"));
    g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 0);
  }
  {
    const char *args[] = { "budget", "set", "--daily", "0.01", NULL };
    g_auto(CliRun) run = { 0 };

    run_cli (f, NULL, args, &run);
    g_assert_cmpint (run.status, ==, 0);
  }
  {
    /* 3 × high 1024² at half price is about $0.25: over $0.01 a day. */
    const char *args[] = { "batch", "submit", "--model", "gpt-image-1.5", "--quality", "high", "-", NULL };
    g_auto(CliRun) run = { 0 };

    run_cli (f, input, args, &run);
    g_assert_cmpint (run.status, ==, 2);
    g_assert_nonnull (strstr (run.err, "daily limit"));
    g_assert_nonnull (strstr (run.err, "--over-budget"));
    g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 0);
  }
  {
    const char *args[] = { "batch", "submit", "--model", "gpt-image-1.5", "--quality", "high",
                           "--over-budget", "-", NULL };
    g_auto(CliRun) run = { 0 };

    run_cli (f, input, args, &run);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_cmpuint (easel_fake_server_count_requests (f->server, "POST", "/v1/batches"), ==, 1);
  }
}

/* Killed in the middle of the download, then run again: every line once,
 * and a finished job is never downloaded again. */
static void
test_fetch_killed (Fixture       *f,
                   gconstpointer  data)
{
  static const guint failing[] = { 2, 0 };
  g_autofree char *input = make_input (10, failing);
  g_autofree char *id = submit (f, input);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(EaselStore) store = NULL;
  g_autoptr(EaselBatchJob) job = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *sql = NULL;
  guint n_content;

  if (id == NULL)
    return;

  /* The download crawls: 64 bytes every 20 ms. */
  easel_fake_server_set_content_chunking (f->server, 64, 20);

  /* Ctrl-C first: a clean stop that says how to resume. */
  {
    const char *args[] = { "batch", "wait", id, NULL };
    g_autoptr(GSubprocess) interrupted = spawn_cli (f, args);
    g_auto(CliRun) run = { 0 };

    while (easel_fake_server_count_requests (f->server, "GET", "/v1/files/") == 0)
      g_main_context_iteration (NULL, TRUE);
    g_subprocess_send_signal (interrupted, SIGINT);
    wait_cli (interrupted, NULL, &run);
    g_assert_cmpint (run.status, ==, 130);
    g_assert_nonnull (strstr (run.err, "run the same command again to resume"));
  }

  /* Then killed outright. */
  {
    const char *args[] = { "batch", "wait", id, NULL };
    g_autoptr(GAsyncResult) result = NULL;
    guint before;

    process = spawn_cli (f, args);
    before = easel_fake_server_count_requests (f->server, "GET", "/v1/files/");

    while (easel_fake_server_count_requests (f->server, "GET", "/v1/files/") == before)
      g_main_context_iteration (NULL, TRUE);
    /* Let a few pieces through, then kill it outright. */
    for (guint i = 0; i < 5; i++)
      g_main_context_iteration (NULL, TRUE);
    g_subprocess_force_exit (process);
    g_subprocess_wait_async (process, NULL, communicate_cb, &result);
    while (result == NULL)
      g_main_context_iteration (NULL, TRUE);
    g_assert_false (g_subprocess_get_if_exited (process));
  }

  /* It really was cut off before the end. */
  {
    g_autoptr(EaselStore) before = open_store (f);
    g_autoptr(EaselBatchJob) cut = easel_store_get_batch (before, id, &error);

    g_assert_no_error (error);
    g_assert_false (cut->fetched);
  }

  easel_fake_server_set_content_chunking (f->server, 0, 0);
  {
    g_auto(CliRun) run = { 0 };
    const char *args[] = { "batch", "fetch", id, NULL };

    run_cli (f, NULL, args, &run);
    g_assert_cmpint (run.status, ==, 0);
  }
  n_content = easel_fake_server_count_requests (f->server, "GET", "/v1/files/");

  /* Again: nothing new, nothing downloaded. */
  {
    g_auto(CliRun) run = { 0 };
    const char *args[] = { "batch", "fetch", id, NULL };

    run_cli (f, NULL, args, &run);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_nonnull (strstr (run.err, "0 new images, 0 new failed lines"));
  }
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "GET", "/v1/files/"), ==, n_content);

  store = open_store (f);
  job = easel_store_get_batch (store, id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (job->n_lines_ok, ==, 9);
  g_assert_cmpuint (job->n_lines_failed, ==, 1);
  sql = g_strdup_printf ("SELECT count(*) FROM generations WHERE batch = %" G_GINT64_FORMAT, job->id);
  g_assert_cmpint (db_int (f, sql), ==, 10);
  g_clear_pointer (&sql, g_free);
  sql = g_strdup_printf ("SELECT count(DISTINCT custom_id) FROM generations WHERE batch = %" G_GINT64_FORMAT, job->id);
  g_assert_cmpint (db_int (f, sql), ==, 10);
}

/* A line recorded before (another process, or a run killed after its
 * commit) is skipped, not recorded twice. */
static void
test_restart_in_the_middle (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *input = make_input (6, NULL);
  g_autofree char *id = submit (f, input);
  g_autoptr(EaselStore) store = NULL;
  g_autoptr(EaselBatchJob) job = NULL;
  g_autoptr(EaselResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *sql = NULL;
  EaselImage *image;
  g_auto(CliRun) run = { 0 };

  if (id == NULL)
    return;

  store = open_store (f);
  job = easel_store_get_batch (store, id, &error);
  g_assert_no_error (error);

  /* line-3 is already in, as a run killed after its commit leaves it. */
  result = easel_result_new (EASEL_API_IMAGES_GENERATE);
  image = easel_image_new ();
  {
    g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 8, 8);
    char *buffer = NULL;
    gsize len = 0;

    gdk_pixbuf_fill (pixbuf, 0x123456ff);
    g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &len, "png", NULL, NULL));
    image->bytes = g_bytes_new_take (buffer, len);
  }
  g_ptr_array_add (result->images, image);
  g_assert_cmpint (easel_store_record_batch_line (store, job->id, "line-3", result, NULL, &error), ==, 1);
  g_assert_no_error (error);
  /* Twice is once. */
  g_assert_cmpint (easel_store_record_batch_line (store, job->id, "line-3", result, NULL, &error), ==, 0);
  g_assert_no_error (error);
  /* A custom_id the job does not have writes nothing. */
  g_assert_cmpint (easel_store_record_batch_line (store, job->id, "line-99", result, NULL, &error), ==, 0);
  g_assert_no_error (error);

  {
    const char *args[] = { "batch", "wait", id, NULL };
    run_cli (f, NULL, args, &run);
  }
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.err, "5 new images, 0 new failed lines, 1 already in the library"));
  sql = g_strdup_printf ("SELECT count(*) FROM generations WHERE batch = %" G_GINT64_FORMAT
                         " AND custom_id = 'line-3'", job->id);
  g_assert_cmpint (db_int (f, sql), ==, 1);
  g_clear_pointer (&sql, g_free);
  sql = g_strdup_printf ("SELECT count(*) FROM generations WHERE batch = %" G_GINT64_FORMAT, job->id);
  g_assert_cmpint (db_int (f, sql), ==, 6);
}

/* The connection drops in the middle of the download. libsoup reads a
 * chunked body cut short as a clean end, so the importer must notice the
 * file ends inside a line: wait fails and says so, the cut file is not
 * kept, and fetch downloads it again; every line lands once and none is
 * recorded as failed. */
static void
test_content_dropped (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *input = make_input (5, NULL);
  g_autofree char *id = submit (f, input);
  g_autofree char *sql = NULL;
  g_auto(CliRun) run = { 0 };

  if (id == NULL)
    return;
  easel_fake_server_set_content_abort (f->server, 300);
  {
    const char *args[] = { "batch", "wait", id, NULL };
    run_cli (f, NULL, args, &run);
  }
  if (run.status != 0)
    {
      /* Without a retry the rerun must still complete. */
      g_auto(CliRun) again = { 0 };
      const char *args[] = { "batch", "fetch", id, NULL };

      run_cli (f, NULL, args, &again);
      g_assert_cmpint (again.status, ==, 0);
    }
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "GET", "/v1/files/"), ==, 2);
  sql = g_strdup_printf ("SELECT count(*) FROM generations g JOIN batches b ON g.batch = b.id "
                         "WHERE b.batch_id = '%s' AND g.status = 'ok'", id);
  g_assert_cmpint (db_int (f, sql), ==, 5);
  g_clear_pointer (&sql, g_free);
  sql = g_strdup_printf ("SELECT count(*) FROM generations g JOIN batches b ON g.batch = b.id "
                         "WHERE b.batch_id = '%s' AND g.status != 'ok'", id);
  g_assert_cmpint (db_int (f, sql), ==, 0);
}

/* Lines far longer than one read (photo-like images, base64): each is put
 * back together whole. */
static void
test_big_lines (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *input = make_input (3, NULL);
  g_autofree char *id = NULL;
  g_autoptr(EaselStore) store = NULL;
  g_autoptr(EaselBatchJob) job = NULL;
  g_autoptr(GPtrArray) images = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(CliRun) run = { 0 };

  easel_fake_server_set_image_size (f->server, 384, 384);
  easel_fake_server_set_image_noise (f->server, 200);
  if (!(id = submit (f, input)))
    return;
  {
    const char *args[] = { "batch", "wait", id, NULL };
    run_cli (f, NULL, args, &run);
  }
  g_assert_cmpint (run.status, ==, 0);

  store = open_store (f);
  job = easel_store_get_batch (store, id, &error);
  g_assert_no_error (error);
  images = easel_store_list_batch_images (store, job->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (images->len, ==, 3);
  for (guint i = 0; i < images->len; i++)
    {
      EaselBatchImage *image = images->pdata[i];
      g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new_from_file (image->path, &error);
      GStatBuf st;

      g_assert_no_error (error);
      g_assert_cmpint (gdk_pixbuf_get_width (pixbuf), ==, 384);
      g_assert_cmpint (g_stat (image->path, &st), ==, 0);
      /* Bigger than a read: the line spanned several. */
      g_assert_cmpint (st.st_size * 4 / 3, >, 256 * 1024);
    }
}

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* A submit killed after its create was sent: the job is in the library
 * without a batch id, and `batch list` finds its batch by the file. */
static void
test_interrupted_submit (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *input = make_input (4, NULL);
  g_autoptr(EaselRequest) defaults = easel_request_new (EASEL_API_IMAGES_GENERATE);
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GBytes) jsonl = NULL;
  g_autoptr(EaselClient) client = NULL;
  g_autoptr(EaselStore) store = NULL;
  g_autoptr(EaselBatchInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *file_id = NULL;
  g_auto(CliRun) list = { 0 };
  g_auto(CliRun) wait = { 0 };
  gint64 row;

  if (f->cli == NULL)
    {
      g_test_skip ("EASEL_CLI is not set: run through meson test");
      return;
    }
  defaults->model = g_strdup ("gpt-image-1.5");
  defaults->quality = g_strdup ("low");
  defaults->size = g_strdup ("1024x1024");
  entries = easel_batch_parse_input (input, strlen (input), defaults, &error);
  g_assert_no_error (error);
  jsonl = easel_batch_build_jsonl (entries, &error);
  g_assert_no_error (error);
  client = easel_client_new (easel_fake_server_get_base_url (f->server), TEST_KEY);
  store = open_store (f);

  {
    g_autoptr(GAsyncResult) result = NULL;

    easel_batch_upload_async (client, jsonl, NULL, done_cb, &result);
    while (result == NULL)
      g_main_context_iteration (NULL, TRUE);
    file_id = easel_batch_upload_finish (client, result, &error);
    g_assert_no_error (error);
  }
  row = easel_store_add_batch (store, NULL, file_id, NULL, entries, 0.01, 0.02, &error);
  g_assert_no_error (error);
  g_assert_cmpint (row, >, 0);
  {
    g_autoptr(GAsyncResult) result = NULL;

    easel_batch_create_async (client, file_id, NULL, done_cb, &result);
    while (result == NULL)
      g_main_context_iteration (NULL, TRUE);
    info = easel_batch_create_finish (client, result, &error);
    g_assert_no_error (error);
  }
  /* … and the process died here. */
  g_clear_object (&store);

  {
    const char *args[] = { "batch", "list", NULL };
    run_cli (f, NULL, args, &list);
  }
  g_assert_cmpint (list.status, ==, 0);
  g_assert_nonnull (strstr (list.err, "the batch of an interrupted submit"));
  g_assert_nonnull (strstr (list.out, info->id));
  {
    const char *args[] = { "batch", "wait", info->id, NULL };
    run_cli (f, NULL, args, &wait);
  }
  g_assert_cmpint (wait.status, ==, 0);
  g_assert_nonnull (strstr (wait.err, "4 new images"));
}

/* A create the server refuses leaves no job behind. */
static void
test_create_refused (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->tmpdir, "prompts.txt", NULL);
  const char *args[] = { "batch", "submit", "--model", "gpt-image-1.5", path, NULL };
  g_auto(CliRun) run = { 0 };
  g_auto(CliRun) list = { 0 };

  g_assert_true (g_file_set_contents (path, "a red fox\n", -1, NULL));
  easel_fake_server_queue_reply (f->server, "/v1/batches",
                                 easel_fake_reply_new_error (400, "invalid_request_error", NULL,
                                                             "Enqueued token limit reached (fake)."));
  if (!run_cli (f, NULL, args, &run))
    return;
  g_assert_cmpint (run.status, !=, 0);
  g_assert_nonnull (strstr (run.err, "Enqueued token limit reached"));
  {
    const char *list_args[] = { "batch", "list", NULL };
    run_cli (f, NULL, list_args, &list);
  }
  g_assert_cmpint (list.status, ==, 0);
  g_assert_cmpstr (list.out, ==, "");
  g_assert_nonnull (strstr (list.err, "no batch jobs yet"));
}

/* The connection drops before the create is answered: it may have been
 * created, so it is not sent again (a second batch would be billed too). */
static void
test_create_not_retried (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->tmpdir, "prompts.txt", NULL);
  const char *args[] = { "batch", "submit", "--model", "gpt-image-1.5", path, NULL };
  g_auto(CliRun) run = { 0 };
  EaselFakeReply *dropped = easel_fake_reply_new_json (200, "{}");

  g_assert_true (g_file_set_contents (path, "a red fox\n", -1, NULL));
  easel_fake_reply_set_abort (dropped, 0);
  easel_fake_server_queue_reply (f->server, "/v1/batches", dropped);
  if (!run_cli (f, NULL, args, &run))
    return;
  g_assert_cmpint (run.status, ==, 1);
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "POST", "/v1/batches"), ==, 1);
  g_assert_nonnull (strstr (run.err, "may have been created"));
  /* The job waits in the library for `batch list` to find its batch. */
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM batches WHERE batch_id IS NULL AND status = 'submitting'"), ==, 1);
}

/* An output file written by a hostile server: junk, unknown and repeated
 * custom_ids, answers that are not answers, the key echoed back. */
static void
test_hostile_output (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *input = make_input (5, NULL);
  g_autofree char *id = NULL;
  g_autofree char *png_b64 = NULL;
  g_autofree char *eleven = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *sql = NULL;
  g_auto(CliRun) fetch = { 0 };

  if (!(id = submit (f, input)))
    return;
  /* validating → in_progress → finalizing → completed */
  for (guint i = 0; i < 3; i++)
    {
      g_auto(CliRun) status = { 0 };
      const char *args[] = { "batch", "status", id, NULL };

      run_cli (f, NULL, args, &status);
      g_assert_cmpint (status.status, ==, 0);
    }

  {
    g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 8, 8);
    char *buffer = NULL;
    gsize len = 0;
    GString *many = g_string_new (NULL);

    gdk_pixbuf_fill (pixbuf, 0x336699ff);
    g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &len, "png", NULL, NULL));
    png_b64 = g_base64_encode ((guchar *) buffer, len);
    g_free (buffer);
    for (guint i = 0; i < 11; i++)
      g_string_append_printf (many, "%s{\"b64_json\":\"%s\"}", i ? "," : "", png_b64);
    eleven = g_string_free (many, FALSE);
  }
#define OK_LINE(cid) \
  g_string_append_printf (out, "{\"custom_id\":\"%s\",\"response\":{\"status_code\":200,\"body\":" \
                          "{\"created\":1,\"data\":[{\"b64_json\":\"%s\"}],\"usage\":{\"input_tokens\":5," \
                          "\"output_tokens\":272,\"total_tokens\":277}}},\"error\":null}\n", cid, png_b64)
  OK_LINE ("line-1");
  OK_LINE ("line-1");                                         /* repeated */
  OK_LINE ("line-2\\u001b[31m");                              /* no such line */
  g_string_append (out, "this is not json\n");
  g_string_append (out, "{\"custom_id\":\"line-3\",\"response\":{\"status_code\":200,\"body\":[1,2]}}\n");
  g_string_append_printf (out, "{\"custom_id\":\"line-4\",\"response\":{\"status_code\":200,\"body\":"
                          "{\"created\":1,\"data\":[%s]}}}\n", eleven);
  g_string_append (out, "{\"custom_id\":\"line-5\",\"response\":{\"status_code\":400,\"body\":{\"error\":"
                   "{\"message\":\"bad key " TEST_KEY " \\u001b]0;pwned\\u0007\",\"type\":\"invalid_request_error\","
                   "\"code\":\"x\"}}}}\n");
#undef OK_LINE
  /* The job is completed in the library: fetch goes straight to the download. */
  {
    g_autoptr(GBytes) body = g_string_free_to_bytes (g_steal_pointer (&out));
    easel_fake_server_queue_reply (f->server, NULL, easel_fake_reply_new (200, "application/octet-stream", body));
  }
  {
    const char *args[] = { "batch", "fetch", id, NULL };
    run_cli (f, NULL, args, &fetch);
  }
  g_assert_cmpint (fetch.status, ==, 0);
  g_assert_null (strchr (fetch.err, '\033'));
  g_assert_nonnull (strstr (fetch.err, "1 new images, 3 new failed lines"));
  g_assert_nonnull (strstr (fetch.err, "could not be read"));

  g_assert_nonnull (strstr (fetch.err, "no result for 1 lines"));
  sql = g_strdup_printf ("SELECT count(*) FROM generations g JOIN batches b ON g.batch = b.id "
                         "WHERE b.batch_id = '%s'", id);
  g_assert_cmpint (db_int (f, sql), ==, 5);
  g_clear_pointer (&sql, g_free);
  sql = g_strdup_printf ("SELECT count(*) FROM generations g JOIN batches b ON g.batch = b.id "
                         "WHERE b.batch_id = '%s' AND g.custom_id = 'line-2' AND g.status = 'failed' "
                         "AND g.error_message LIKE '%%no result%%' AND g.actual_usd = 0", id);
  g_assert_cmpint (db_int (f, sql), ==, 1);
  g_clear_pointer (&sql, g_free);
  sql = g_strdup_printf ("SELECT count(*) FROM generations g JOIN batches b ON g.batch = b.id "
                         "WHERE b.batch_id = '%s' AND g.status = 'ok' AND g.custom_id = 'line-1'", id);
  g_assert_cmpint (db_int (f, sql), ==, 1);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM generations WHERE error_message LIKE '%SECRET%'"), ==, 0);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM generations WHERE custom_id = 'line-5' "
                              "AND error_message LIKE 'bad key sk-%'"), ==, 1);
}

static void
check_half_done (Fixture    *f,
                 const char *id,
                 const char *status,
                 const char *code)
{
  g_autoptr(EaselStore) store = open_store (f);
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselBatchJob) job = easel_store_get_batch (store, id, &error);
  g_autofree char *sql = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (job->status, ==, status);
  g_assert_true (job->fetched);
  g_assert_cmpuint (job->n_lines_ok, ==, 4);
  g_assert_cmpuint (job->n_lines_failed, ==, 4);
  sql = g_strdup_printf ("SELECT count(*) FROM generations WHERE batch = %" G_GINT64_FORMAT
                         " AND status = 'failed' AND error_code = '%s'", job->id, code);
  g_assert_cmpint (db_int (f, sql), ==, 4);
}

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *input = make_input (8, NULL);
  g_autofree char *id = submit (f, input);
  g_auto(CliRun) cancel = { 0 };
  g_auto(CliRun) wait = { 0 };

  if (id == NULL)
    return;
  {
    const char *args[] = { "batch", "cancel", id, NULL };
    run_cli (f, NULL, args, &cancel);
  }
  g_assert_cmpint (cancel.status, ==, 0);
  g_assert_nonnull (strstr (cancel.out, "cancelling"));
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "POST", "/v1/batches/"), ==, 1);
  {
    const char *args[] = { "batch", "wait", id, NULL };
    run_cli (f, NULL, args, &wait);
  }
  g_assert_cmpint (wait.status, ==, 0);
  g_assert_nonnull (strstr (wait.err, "cancelled"));
  check_half_done (f, id, "cancelled", "batch_cancelled");
}

static void
test_expire (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *input = make_input (8, NULL);
  g_autofree char *id = NULL;
  g_auto(CliRun) wait = { 0 };

  easel_fake_server_set_batch_outcome (f->server, "expire");
  if (!(id = submit (f, input)))
    return;
  {
    const char *args[] = { "batch", "wait", id, NULL };
    run_cli (f, NULL, args, &wait);
  }
  g_assert_cmpint (wait.status, ==, 0);
  g_assert_nonnull (strstr (wait.err, "expired"));
  check_half_done (f, id, "expired", "batch_expired");
}

static void
test_failed_job (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *input = make_input (3, NULL);
  g_autofree char *id = NULL;
  g_auto(CliRun) wait = { 0 };
  g_auto(CliRun) status = { 0 };

  easel_fake_server_set_batch_outcome (f->server, "fail");
  if (!(id = submit (f, input)))
    return;
  {
    const char *args[] = { "batch", "wait", id, NULL };
    run_cli (f, NULL, args, &wait);
  }
  g_assert_cmpint (wait.status, ==, 0);
  g_assert_nonnull (strstr (wait.err, "failed"));
  {
    const char *args[] = { "batch", "status", id, NULL };
    run_cli (f, NULL, args, &status);
  }
  g_assert_cmpint (status.status, ==, 0);
  g_assert_nonnull (strstr (status.out, "error: The input file is not valid"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/batch/jsonl", test_jsonl);
  g_test_add_func ("/core/batch/bad-lines", test_bad_lines);
  g_test_add_func ("/core/batch/info-hostile", test_info_hostile);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/integration/batch/submit-wait-fetch", test_submit_wait_fetch);
  ADD ("/integration/batch/bad-line-nothing-sent", test_bad_line_nothing_sent);
  ADD ("/integration/batch/refused-before-upload", test_refused_before_upload);
  ADD ("/integration/batch/fetch-killed", test_fetch_killed);
  ADD ("/integration/batch/restart-in-the-middle", test_restart_in_the_middle);
  ADD ("/integration/batch/content-dropped", test_content_dropped);
  ADD ("/integration/batch/big-lines", test_big_lines);
  ADD ("/integration/batch/interrupted-submit", test_interrupted_submit);
  ADD ("/integration/batch/create-refused", test_create_refused);
  ADD ("/integration/batch/create-not-retried", test_create_not_retried);
  ADD ("/integration/batch/hostile-output", test_hostile_output);
  ADD ("/integration/batch/cancel", test_cancel);
  ADD ("/integration/batch/expire", test_expire);
  ADD ("/integration/batch/failed-job", test_failed_job);
#undef ADD

  return g_test_run ();
}
