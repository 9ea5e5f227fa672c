/* test-cli.c: the `easel` binary against the in-process fake OpenAI server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-cli"

#include "config.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <utime.h>
#include <string.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>

#include "easel-core.h"
#include "fake-server.h"

/* Long enough to be recognisable if it leaked anywhere. */
#define TEST_KEY "sk-test-cli-0123456789abcdefSECRET"

typedef struct
{
  EaselFakeServer *server;
  char            *tmpdir;
  char            *data_home;
  const char      *cli;
  gboolean         settings;   /* the real schema and a keyfile that persists across runs */
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
  g_assert_nonnull (f->server);

  f->tmpdir = g_dir_make_tmp ("easel-test-cli-XXXXXX", &error);
  g_assert_no_error (error);
  f->data_home = g_build_filename (f->tmpdir, "data", NULL);
  g_assert_cmpint (g_mkdir_with_parents (f->data_home, 0700), ==, 0);
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
  g_clear_pointer (&f->data_home, g_free);
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

static GSubprocessLauncher *
cli_launcher_new (Fixture    *f,
                  gboolean    with_key,
                  const char *base_url)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *keyring_home = g_build_filename (f->tmpdir, "home", NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_cwd (launcher, f->tmpdir);
  g_subprocess_launcher_setenv (launcher, "OPENAI_BASE_URL",
                                base_url ? base_url : easel_fake_server_get_base_url (f->server), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", f->data_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "HOME", keyring_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "no_proxy", "127.0.0.1,localhost", TRUE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  /* No session bus: the keyring is unavailable, quickly, instead of
   * prompting or reading the developer's real key. */
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/easel-test", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "OPENAI_ORG_ID");
  g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");
  if (f->settings)
    {
      g_autofree char *config = g_build_filename (f->tmpdir, "config", NULL);

      g_subprocess_launcher_setenv (launcher, "GSETTINGS_SCHEMA_DIR", EASEL_SCHEMA_DIR, TRUE);
      g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "keyfile", TRUE);
      g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config, TRUE);
    }
  if (with_key)
    g_subprocess_launcher_setenv (launcher, "OPENAI_API_KEY", TEST_KEY, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "OPENAI_API_KEY");

  return g_steal_pointer (&launcher);
}

static GPtrArray *
cli_argv_new (Fixture            *f,
              const char * const *args)
{
  GPtrArray *argv = g_ptr_array_new ();

  g_ptr_array_add (argv, (gpointer) f->cli);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  return argv;
}

/* Runs `easel ARGV…` in @f->tmpdir with @base_url (NULL: the fake server)
 * as its base URL, spinning our main loop so in-process servers can answer. */
static void
run_cli_at (Fixture            *f,
            gboolean            with_key,
            const char         *base_url,
            const char         *stdin_text,
            const char * const *args,
            CliRun             *run)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) argv = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  if (f->cli == NULL)
    {
      g_test_skip ("EASEL_CLI is not set: run through meson test");
      return;
    }

  argv = cli_argv_new (f, args);
  launcher = cli_launcher_new (f, with_key, base_url);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  g_subprocess_communicate_utf8_async (process, stdin_text ? stdin_text : "", NULL, communicate_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);

  g_subprocess_communicate_utf8_finish (process, result, &run->out, &run->err, &error);
  g_assert_no_error (error);

  /* Let the child's exit be noticed. */
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  run->status = g_subprocess_get_exit_status (process);

  if (g_test_verbose ())
    g_printerr ("--- exit %d\n--- stdout\n%s--- stderr\n%s", run->status, run->out, run->err);
}

static void
run_cli_full (Fixture            *f,
              gboolean            with_key,
              const char         *stdin_text,
              const char * const *args,
              CliRun             *run)
{
  run_cli_at (f, with_key, NULL, stdin_text, args, run);
}

static void
run_cli (Fixture            *f,
         const char * const *args,
         CliRun             *run)
{
  run_cli_full (f, TRUE, NULL, args, run);
}

static void
assert_png_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (path, &contents, &len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (len, >, 8);
  g_assert_cmpmem (contents, 8, "\x89PNG\r\n\x1a\n", 8);

  pixbuf = gdk_pixbuf_new_from_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_pixbuf_get_width (pixbuf), >, 0);
}

static JsonObject *
parse_json_output (const char *text,
                   JsonParser **parser_out)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_nonnull (root);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));

  *parser_out = g_steal_pointer (&parser);
  return json_node_get_object (root);
}

static guint
count_files_with_prefix (const char *dir,
                         const char *prefix,
                         const char *infix)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, prefix) && (infix == NULL || strstr (name, infix) != NULL))
      n++;
  return n;
}

/* ---- tests ------------------------------------------------------------------ */

static void
test_generate_partials (Fixture       *f,
                        gconstpointer  data)
{
  const char *args[] = { "generate", "--partial-images", "2", "--save-partials", "--json", "a fox", NULL };
  g_auto(CliRun) run = { 0 };
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(JsonNode) body = NULL;
  JsonObject *out, *request_object;
  JsonArray *files, *partials;
  const EaselFakeRequest *request;

  run_cli (f, args, &run);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_assert_cmpint (run.status, ==, 0);

  /* The request streamed with two partials. */
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
  request = easel_fake_server_get_last_request (f->server);
  g_assert_nonnull (request);
  g_assert_cmpstr (request->path, ==, "/v1/images/generations");
  body = easel_fake_request_parse_json (request);
  g_assert_nonnull (body);
  request_object = json_node_get_object (body);
  g_assert_cmpstr (json_object_get_string_member (request_object, "prompt"), ==, "a fox");
  g_assert_true (json_object_get_boolean_member (request_object, "stream"));
  g_assert_cmpint (json_object_get_int_member (request_object, "partial_images"), ==, 2);

  /* --json lists what it wrote. */
  out = parse_json_output (run.out, &parser);
  files = json_object_get_array_member (out, "files");
  partials = json_object_get_array_member (out, "partial_files");
  g_assert_cmpuint (json_array_get_length (files), ==, 1);
  g_assert_cmpuint (json_array_get_length (partials), ==, 2);
  g_assert_false (json_object_get_boolean_member (out, "cached"));
  g_assert_true (json_object_has_member (out, "usage"));
  g_assert_true (json_object_has_member (out, "response_id"));
  g_assert_true (json_object_has_member (out, "revised_prompt"));
  g_assert_true (json_object_has_member (out, "action"));
  g_assert_true (json_object_has_member (out, "estimated_cost_usd"));
  g_assert_true (json_object_has_member (out, "image_call_ids"));
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_object_get_member (out, "usage")));
  g_assert_cmpint (json_object_get_int_member (out, "partial_images"), ==, 2);

  for (guint i = 0; i < 2; i++)
    {
      const char *path = json_array_get_string_element (partials, i);
      g_autofree char *full = g_build_filename (f->tmpdir, path, NULL);
      g_autofree char *suffix = g_strdup_printf ("-partial-%u.png", i + 1);

      g_assert_true (g_str_has_suffix (path, suffix));
      assert_png_file (g_path_is_absolute (path) ? path : full);
    }

  {
    const char *path = json_array_get_string_element (files, 0);
    g_autofree char *full = g_build_filename (f->tmpdir, path, NULL);
    g_autofree char *base = g_path_get_basename (path);

    g_assert_true (g_str_has_prefix (base, "easel-"));
    g_assert_true (g_str_has_suffix (base, ".png"));
    assert_png_file (g_path_is_absolute (path) ? path : full);
  }

  /* Default names land in the working directory. */
  g_assert_cmpuint (count_files_with_prefix (f->tmpdir, "easel-", "-partial-"), ==, 2);
  g_assert_cmpuint (count_files_with_prefix (f->tmpdir, "easel-", NULL), ==, 3);
}

static void
test_chat_continue (Fixture       *f,
                    gconstpointer  data)
{
  const char *first[] = { "chat", "--json", "--no-library", "draw a cat", NULL };
  g_auto(CliRun) run1 = { 0 };
  g_auto(CliRun) run2 = { 0 };
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *response_id = NULL;
  g_autofree char *image_call_id = NULL;
  g_autofree char *raw_body = NULL;
  const EaselFakeRequest *request;
  JsonObject *out;

  run_cli (f, first, &run1);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_assert_cmpint (run1.status, ==, 0);

  out = parse_json_output (run1.out, &parser);
  g_assert_nonnull (json_object_get_string_member (out, "response_id"));
  response_id = g_strdup (json_object_get_string_member (out, "response_id"));
  g_assert_true (g_str_has_prefix (response_id, "resp"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (out, "files")), >=, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (out, "image_call_ids")), >=, 1);
  image_call_id = g_strdup (json_array_get_string_element (json_object_get_array_member (out, "image_call_ids"), 0));

  request = easel_fake_server_get_last_request (f->server);
  g_assert_nonnull (request);
  g_assert_cmpstr (request->path, ==, "/v1/responses");
  body = easel_fake_request_parse_json (request);
  g_assert_false (json_object_has_member (json_node_get_object (body), "previous_response_id"));
  g_clear_pointer (&body, json_node_unref);

  {
    const char *second[] = { "chat", "--json", "--no-library", "--continue", response_id,
                             "--ref", image_call_id, "now make it blue", NULL };

    run_cli (f, second, &run2);
  }
  g_assert_cmpint (run2.status, ==, 0);

  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 2);
  request = easel_fake_server_get_last_request (f->server);
  g_assert_nonnull (request);
  body = easel_fake_request_parse_json (request);
  g_assert_nonnull (body);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "previous_response_id"),
                   ==, response_id);

  /* --ref becomes an item_reference to the earlier image call. */
  raw_body = g_strndup (g_bytes_get_data (request->body, NULL), g_bytes_get_size (request->body));
  g_assert_nonnull (strstr (raw_body, "item_reference"));
  g_assert_nonnull (strstr (raw_body, image_call_id));

  /* Two runs within a second still make two files. */
  g_assert_cmpuint (count_files_with_prefix (f->tmpdir, "easel-", NULL), ==, 2);
}

/* The stream dies after the first partial: the CLI says it reconnects,
 * gets the final image through GET …?stream=true, and never POSTs twice. */
static void
test_chat_resume_after_drop (Fixture       *f,
                             gconstpointer  data)
{
  const char *args[] = { "chat", "--json", "--no-library", "-p", "2", "draw a cat", NULL };
  g_auto(CliRun) run = { 0 };
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(JsonNode) body = NULL;
  JsonObject *out, *choice;

  easel_fake_server_set_drop_after_partial (f->server, 1);
  run_cli (f, args, &run);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.err, "Reconnecting…"));
  out = parse_json_output (run.out, &parser);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (out, "files")), ==, 1);
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "POST", "/v1/responses"), ==, 1);
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "GET", "/v1/responses/"), ==, 1);

  /* The image tool is forced by default. */
  body = easel_fake_request_parse_json (easel_fake_server_get_request (f->server, 0));
  choice = json_object_get_object_member (json_node_get_object (body), "tool_choice");
  g_assert_nonnull (choice);
  g_assert_cmpstr (json_object_get_string_member (choice, "type"), ==, "image_generation");
  g_assert_true (json_object_get_boolean_member (json_node_get_object (body), "background"));
}

static void
test_chat_let_model_decide (Fixture       *f,
                            gconstpointer  data)
{
  const char *args[] = { "chat", "--no-library", "--let-model-decide", "draw a cat", NULL };
  g_auto(CliRun) run = { 0 };
  g_autoptr(JsonNode) body = NULL;

  run_cli (f, args, &run);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_assert_cmpint (run.status, ==, 0);
  body = easel_fake_request_parse_json (easel_fake_server_get_last_request (f->server));
  g_assert_false (json_object_has_member (json_node_get_object (body), "tool_choice"));
}

/* A server that refuses background mode: said once on stderr, and the turn
 * goes through as a plain stream. */
static void
test_chat_background_refused (Fixture       *f,
                              gconstpointer  data)
{
  const char *args[] = { "chat", "--no-library", "draw a cat", NULL };
  g_auto(CliRun) run = { 0 };
  g_autoptr(JsonNode) body = NULL;

  easel_fake_server_set_refuse_background (f->server, TRUE);
  run_cli (f, args, &run);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.err, "does not support background mode"));
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "POST", "/v1/responses"), ==, 2);
  body = easel_fake_request_parse_json (easel_fake_server_get_last_request (f->server));
  g_assert_false (json_object_has_member (json_node_get_object (body), "background"));
}

/* `easel resume ID` fetches a background response by id: GET only. */
static void
test_resume_command (Fixture       *f,
                     gconstpointer  data)
{
  const char *first[] = { "chat", "--json", "--no-library", "draw a cat", NULL };
  g_auto(CliRun) run1 = { 0 };
  g_auto(CliRun) run2 = { 0 };
  g_auto(CliRun) run3 = { 0 };
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(JsonParser) parser2 = NULL;
  g_autofree char *response_id = NULL;
  JsonObject *out;

  run_cli (f, first, &run1);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_assert_cmpint (run1.status, ==, 0);
  out = parse_json_output (run1.out, &parser);
  response_id = g_strdup (json_object_get_string_member (out, "response_id"));

  {
    const char *args[] = { "resume", "--json", "--no-library", response_id, NULL };
    run_cli (f, args, &run2);
  }
  g_assert_cmpint (run2.status, ==, 0);
  out = parse_json_output (run2.out, &parser2);
  g_assert_cmpstr (json_object_get_string_member (out, "response_id"), ==, response_id);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (out, "files")), ==, 1);
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "POST", "/v1/responses"), ==, 1);
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "GET", "/v1/responses/"), ==, 1);
  g_assert_cmpstr (easel_fake_server_get_last_request (f->server)->query, ==, "stream=true");
  g_assert_cmpuint (count_files_with_prefix (f->tmpdir, "easel-", NULL), ==, 2);

  {
    const char *args[] = { "resume", "resp_1/../../files", NULL };
    run_cli (f, args, &run3);
  }
  g_assert_cmpint (run3.status, !=, 0);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 2);
}

static guint
count_pending (Fixture *f)
{
  g_autofree char *dir = g_build_filename (f->data_home, "easel", NULL);
  g_autoptr(EaselStore) store = NULL;
  g_autoptr(GPtrArray) rows = NULL;

  if (!g_file_test (dir, G_FILE_TEST_IS_DIR) || !(store = easel_store_open (dir, NULL)) ||
      !(rows = easel_store_list_pending_responses (store, NULL, 0, NULL)))
    return 0;
  return rows->len;
}

/* The CLI is killed mid-turn; the next `easel chat` fetches the image of
 * that turn into the library (GET, no second POST of it), then does its own. */
static void
test_killed_mid_turn_restart (Fixture       *f,
                              gconstpointer  data)
{
  const char *args[] = { f->cli, "chat", "a slow fox", NULL };
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(CliRun) run = { 0 };
  g_autofree char *dir = NULL;
  g_autoptr(EaselStore) store = NULL;
  g_autoptr(EaselStoreQuery) query = easel_store_query_new ();
  g_autoptr(GPtrArray) rows = NULL;
  gint64 deadline;

  if (f->cli == NULL)
    {
      g_test_skip ("EASEL_CLI is not set: run through meson test");
      return;
    }

  easel_fake_server_set_event_delay_ms (f->server, 400);
  launcher = cli_launcher_new (f, TRUE, NULL);
  process = g_subprocess_launcher_spawnv (launcher, args, &error);
  g_assert_no_error (error);

  /* Killed once the turn is known to the library: after response.created. */
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (count_pending (f) == 0 && g_get_monotonic_time () < deadline)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (20 * 1000);
    }
  g_assert_cmpuint (count_pending (f), ==, 1);
  g_subprocess_force_exit (process);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (g_subprocess_get_if_exited (process));

  easel_fake_server_set_event_delay_ms (f->server, 0);
  {
    const char *second[] = { "chat", "now a dog", NULL };
    run_cli (f, second, &run);
  }
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.err, "fetched the image of an earlier turn"));
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "POST", "/v1/responses"), ==, 2);
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "GET", "/v1/responses/"), ==, 1);
  g_assert_cmpuint (count_pending (f), ==, 0);

  /* Both turns' images are in the library. */
  dir = g_build_filename (f->data_home, "easel", NULL);
  store = easel_store_open (dir, &error);
  g_assert_no_error (error);
  rows = easel_store_query (store, query, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 2);
}

/* Ctrl-C during a background chat turn cancels it on the server, and the
 * library does not keep it as in progress. */
static void
test_chat_sigint_cancels_on_server (Fixture       *f,
                                    gconstpointer  data)
{
  const char *args[] = { f->cli, "chat", "a slow fox", NULL };
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const EaselFakeRequest *post;
  gint64 deadline;

  if (f->cli == NULL)
    {
      g_test_skip ("EASEL_CLI is not set: run through meson test");
      return;
    }

  easel_fake_server_set_event_delay_ms (f->server, 400);
  launcher = cli_launcher_new (f, TRUE, NULL);
  process = g_subprocess_launcher_spawnv (launcher, args, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, "", NULL, communicate_cb, &result);

  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (result == NULL && count_pending (f) == 0 && g_get_monotonic_time () < deadline)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (20 * 1000);
    }
  g_assert_null (result);
  g_subprocess_send_signal (process, SIGINT);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_subprocess_communicate_utf8_finish (process, result, &out, &err, &error);
  g_assert_no_error (error);
  g_subprocess_wait (process, NULL, &error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 130);

  post = easel_fake_server_get_request (f->server, 0);
  g_assert_cmpstr (post->path, ==, "/v1/responses");
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "POST", "/v1/responses/"), ==, 1);
  g_assert_cmpuint (count_pending (f), ==, 0);
}

static void
write_test_png (const char *path,
                guint8      alpha)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, 64, 64);
  g_autoptr(GError) error = NULL;

  gdk_pixbuf_fill (pixbuf, 0x3366ff00 | alpha);
  gdk_pixbuf_save (pixbuf, path, "png", &error, NULL);
  g_assert_no_error (error);
}

static void
test_edit_multipart (Fixture       *f,
                     gconstpointer  data)
{
  const char *args[] = { "edit", "--image", "a.png", "--image", "b.png", "--mask", "m.png",
                         "--no-library", "add a hat", NULL };
  g_autofree char *a = g_build_filename (f->tmpdir, "a.png", NULL);
  g_autofree char *b = g_build_filename (f->tmpdir, "b.png", NULL);
  g_autofree char *m = g_build_filename (f->tmpdir, "m.png", NULL);
  g_autoptr(GPtrArray) parts = NULL;
  g_auto(CliRun) run = { 0 };
  const EaselFakeRequest *request;
  EaselFakePart *mask, *image;

  write_test_png (a, 0xff);
  write_test_png (b, 0xff);
  write_test_png (m, 0x00);

  run_cli (f, args, &run);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_assert_cmpint (run.status, ==, 0);

  request = easel_fake_server_get_last_request (f->server);
  g_assert_nonnull (request);
  g_assert_cmpstr (request->path, ==, "/v1/images/edits");
  g_assert_cmpstr (request->content_type, ==, "multipart/form-data");
  parts = easel_fake_request_parse_multipart (request);
  g_assert_nonnull (parts);
  g_assert_cmpuint (easel_fake_parts_count (parts, "image[]"), ==, 2);
  g_assert_cmpuint (easel_fake_parts_count (parts, "image"), ==, 0);
  image = easel_fake_parts_find (parts, "image[]");
  g_assert_nonnull (image->filename);
  mask = easel_fake_parts_find (parts, "mask");
  g_assert_nonnull (mask);
  g_assert_nonnull (mask->filename);
  g_assert_cmpmem (g_bytes_get_data (mask->data, NULL), 8, "\x89PNG\r\n\x1a\n", 8);
  g_assert_nonnull (easel_fake_parts_find (parts, "prompt"));

  /* One final image on stdout. */
  g_assert_cmpuint (count_files_with_prefix (f->tmpdir, "easel-", NULL), ==, 1);
}

static void
test_validation_error (Fixture       *f,
                       gconstpointer  data)
{
  const char *args[] = { "generate", "--partial-images", "5", "a fox", NULL };
  g_auto(CliRun) run = { 0 };

  run_cli (f, args, &run);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "artial"));
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 0);
  g_assert_cmpuint (count_files_with_prefix (f->tmpdir, "easel-", NULL), ==, 0);
}

static void
test_retired_model (Fixture       *f,
                    gconstpointer  data)
{
  const char *args[] = { "generate", "--model", "gpt-image-1", "--no-library", "a fox", NULL };
  const char *allowed_args[] = { "generate", "--model", "gpt-image-1", "--allow-retired", "--no-library", "a fox", NULL };
  g_auto(CliRun) run = { 0 };
  g_auto(CliRun) allowed = { 0 };

  /* gpt-image-1 was shut down on 2026-10-23; the clock says later. */
  run_cli (f, args, &run);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "retired on 2026-10-23"));
  g_assert_nonnull (strstr (run.err, "--allow-retired"));
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 0);
  g_assert_cmpuint (count_files_with_prefix (f->tmpdir, "easel-", NULL), ==, 0);

  run_cli (f, allowed_args, &allowed);
  g_assert_cmpint (allowed.status, ==, 0);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
}

static void
test_assumed_price (Fixture       *f,
                    gconstpointer  data)
{
  const char *args[] = { "generate", "--model", "gpt-image-2", "--quality", "low", "--size", "1024x1024",
                         "--json", "a fox", NULL };
  const char *list_args[] = { "library", "list", NULL };
  const char *spend_args[] = { "library", "spend", NULL };
  g_auto(CliRun) run = { 0 };
  g_auto(CliRun) list = { 0 };
  g_auto(CliRun) spend = { 0 };
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *root;

  run_cli (f, args, &run);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.err, "(assumed price)"));
  g_assert_nonnull (strstr (run.err, "price assumed equal to gpt-image-1.5"));
  root = parse_json_output (run.out, &parser);
  g_assert_true (json_object_get_boolean_member (root, "estimate_price_assumed"));

  run_cli (f, list_args, &list);
  g_assert_cmpint (list.status, ==, 0);
  g_assert_nonnull (strstr (list.out, "(assumed price)"));
  run_cli (f, spend_args, &spend);
  g_assert_cmpint (spend.status, ==, 0);
  g_assert_nonnull (strstr (spend.out, "gpt-image-2*"));
  g_assert_nonnull (strstr (spend.out, "assumed price"));
}

static void
test_service_tier (Fixture       *f,
                   gconstpointer  data)
{
  const char *args[] = { "chat", "--service-tier", "priority", "--quality", "low", "--size", "1024x1024",
                         "--no-library", "a fox", NULL };
  const char *bad_args[] = { "generate", "--service-tier", "flex", "a fox", NULL };
  g_auto(CliRun) run = { 0 };
  g_auto(CliRun) bad = { 0 };
  g_autoptr(JsonNode) body = NULL;

  run_cli (f, args, &run);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.err, "the priority tier's price is unknown"));
  g_assert_nonnull (strstr (run.err, "at the default tier"));
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
  body = easel_fake_request_parse_json (easel_fake_server_get_last_request (f->server));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "service_tier"), ==, "priority");

  /* generate has no such option: the Images API has no service_tier. */
  run_cli (f, bad_args, &bad);
  g_assert_cmpint (bad.status, ==, 2);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
}

static void
test_moderation_check (Fixture       *f,
                       gconstpointer  data)
{
  const char *flagged_args[] = { "generate", "--moderation-check", "--no-library", "a fox " EASEL_FAKE_FLAG_WORD, NULL };
  const char *clean_args[] = { "generate", "--moderation-check", "--no-library", "a fox", NULL };
  const char *off_args[] = { "generate", "--no-library", "a fox " EASEL_FAKE_FLAG_WORD, NULL };
  g_auto(CliRun) flagged = { 0 };
  g_auto(CliRun) clean = { 0 };
  g_auto(CliRun) off = { 0 };

  run_cli (f, flagged_args, &flagged);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_assert_cmpint (flagged.status, ==, 1);
  g_assert_nonnull (strstr (flagged.err, "flagged the prompt"));
  g_assert_nonnull (strstr (flagged.err, "violence"));
  g_assert_nonnull (strstr (flagged.err, "harassment/threatening"));
  /* Only the free check reached the server. */
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
  g_assert_cmpstr (easel_fake_server_get_request (f->server, 0)->path, ==, "/v1/moderations");
  g_assert_cmpuint (count_files_with_prefix (f->tmpdir, "easel-", NULL), ==, 0);

  run_cli (f, clean_args, &clean);
  g_assert_cmpint (clean.status, ==, 0);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 3);
  g_assert_cmpstr (easel_fake_server_get_request (f->server, 1)->path, ==, "/v1/moderations");
  g_assert_cmpstr (easel_fake_server_get_request (f->server, 2)->path, ==, "/v1/images/generations");

  /* Off by default: no check, the prompt goes straight out. */
  run_cli (f, off_args, &off);
  g_assert_cmpint (off.status, ==, 0);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 4);
  g_assert_cmpstr (easel_fake_server_get_request (f->server, 3)->path, ==, "/v1/images/generations");
}

static double
budget_spent_today (Fixture *f)
{
  const char *args[] = { "budget", "--json", NULL };
  g_auto(CliRun) run = { 0 };
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *root;

  run_cli (f, args, &run);
  g_assert_cmpint (run.status, ==, 0);
  root = parse_json_output (run.out, &parser);
  return json_object_get_double_member (root, "spent_today_usd");
}

static void
test_budget_limits (Fixture       *f,
                    gconstpointer  data)
{
  /* gpt-image-1.5 1024x1024: low ≈ $0.009, high ≈ $0.133 (4160 tokens). */
  const char *set_args[] = { "budget", "set", "--daily", "0.05", NULL };
  const char *low_args[] = { "generate", "--quality", "low", "--size", "1024x1024", "a fox", NULL };
  const char *high_args[] = { "generate", "--quality", "high", "--size", "1024x1024", "a big fox", NULL };
  const char *over_args[] = { "generate", "--quality", "high", "--size", "1024x1024", "--over-budget",
                              "a big fox", NULL };
  g_auto(CliRun) set = { 0 };
  g_auto(CliRun) low = { 0 };
  g_auto(CliRun) high = { 0 };
  g_auto(CliRun) over = { 0 };

  f->settings = TRUE;
  run_cli (f, set_args, &set);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_assert_cmpint (set.status, ==, 0);
  g_assert_nonnull (strstr (set.out, "of $0.05"));

  /* Under the limit: sent. */
  run_cli (f, low_args, &low);
  g_assert_cmpint (low.status, ==, 0);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
  g_assert_cmpfloat (budget_spent_today (f), >, 0);

  /* Crossing it: refused, nothing sent. */
  run_cli (f, high_args, &high);
  g_assert_cmpint (high.status, ==, 2);
  g_assert_nonnull (strstr (high.err, "daily limit of $0.05"));
  g_assert_nonnull (strstr (high.err, "--over-budget"));
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);

  run_cli (f, over_args, &over);
  g_assert_cmpint (over.status, ==, 0);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 2);
}

static void
test_budget_failed_counted (Fixture       *f,
                            gconstpointer  data)
{
  const char *set_args[] = { "budget", "set", "--daily", "0.20", NULL };
  const char *high_args[] = { "generate", "--quality", "high", "--size", "1024x1024", "--no-stream",
                              "a big fox", NULL };
  g_auto(CliRun) set = { 0 };
  g_auto(CliRun) failed = { 0 };
  g_auto(CliRun) second = { 0 };
  double spent;

  f->settings = TRUE;
  run_cli (f, set_args, &set);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_assert_cmpint (set.status, ==, 0);

  /* The first request fails on the server; the ledger keeps its estimate
   * (no usage was reported: it may have been billed). */
  easel_fake_server_queue_reply (f->server, "/v1/images/generations",
                                 easel_fake_reply_new_error (400, "invalid_request_error", NULL,
                                                             "Something was wrong (fake)."));
  run_cli (f, high_args, &failed);
  g_assert_cmpint (failed.status, ==, 1);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
  spent = budget_spent_today (f);
  g_assert_cmpfloat (spent, >, 0.13);
  g_assert_cmpfloat (spent, <, 0.14);

  /* $0.13 spent + $0.13 estimated crosses $0.20: the failure counted. */
  run_cli (f, high_args, &second);
  g_assert_cmpint (second.status, ==, 2);
  g_assert_nonnull (strstr (second.err, "over the daily limit of $0.20"));
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
}

static void
test_budget_threshold (Fixture       *f,
                       gconstpointer  data)
{
  /* 8 × 4160 tokens at $32/M ≈ $1.06: above the default $1 threshold. */
  const char *big_args[] = { "generate", "--quality", "high", "--size", "1024x1024", "-n", "8",
                             "--no-library", "a fox", NULL };
  const char *set_args[] = { "budget", "set", "--confirm-above", "0.10", NULL };
  const char *high_args[] = { "generate", "--quality", "high", "--size", "1024x1024", "--no-library",
                              "a fox", NULL };
  const char *yes_args[] = { "generate", "--quality", "high", "--size", "1024x1024", "--no-library",
                             "--yes", "a fox", NULL };
  g_auto(CliRun) big = { 0 };
  g_auto(CliRun) set = { 0 };
  g_auto(CliRun) high = { 0 };
  g_auto(CliRun) yes = { 0 };

  /* Without the schema installed the default applies too. */
  run_cli (f, big_args, &big);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_assert_cmpint (big.status, ==, 2);
  g_assert_nonnull (strstr (big.err, "above the $1.00 that needs confirmation"));
  g_assert_nonnull (strstr (big.err, "--yes"));
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 0);

  f->settings = TRUE;
  run_cli (f, set_args, &set);
  g_assert_cmpint (set.status, ==, 0);
  run_cli (f, high_args, &high);
  g_assert_cmpint (high.status, ==, 2);
  g_assert_nonnull (strstr (high.err, "above the $0.10"));
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 0);

  run_cli (f, yes_args, &yes);
  g_assert_cmpint (yes.status, ==, 0);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
}

static void
test_moderation (Fixture       *f,
                 gconstpointer  data)
{
  const char *args[] = { "generate", "--no-stream", "--no-library", "something not allowed", NULL };
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(CliRun) run = { 0 };
  EaselFakeReply *reply;

  path = g_build_filename (g_getenv ("EASEL_SHARED_DIR") ? g_getenv ("EASEL_SHARED_DIR") : "../shared",
                           "openai-spec", "transcripts", "error-400-moderation-blocked.http", NULL);
  reply = easel_fake_reply_new_from_file (path, &error);
  g_assert_no_error (error);
  easel_fake_server_queue_reply (f->server, "/v1/images/generations", reply);

  run_cli (f, args, &run);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "moderation_blocked"));
  g_assert_nonnull (strstr (run.err, "sexual"));
  g_assert_nonnull (strstr (run.err, "req_0123456789abcdef0123456789abcdef"));
  g_assert_cmpuint (count_files_with_prefix (f->tmpdir, "easel-", NULL), ==, 0);
}

static void
test_unauthorized (Fixture       *f,
                   gconstpointer  data)
{
  const char *args[] = { "generate", "--no-library", "a fox", NULL };
  g_auto(CliRun) run = { 0 };

  /* A server that echoes the key back, as OpenAI's 401 does. */
  easel_fake_server_queue_reply (f->server, NULL,
                                 easel_fake_reply_new_error (401, "invalid_request_error", "invalid_api_key",
                                                             "Incorrect API key provided: " TEST_KEY ". You can find your API key at https://platform.openai.com/account/api-keys."));

  run_cli (f, args, &run);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "invalid_api_key"));
  g_assert_null (strstr (run.out, TEST_KEY));
  g_assert_null (strstr (run.err, TEST_KEY));
  g_assert_null (strstr (run.err, "0123456789abcdefSECRET"));
}

static void
test_missing_key (Fixture       *f,
                  gconstpointer  data)
{
  const char *args[] = { "generate", "a fox", NULL };
  g_auto(CliRun) run = { 0 };

  run_cli_full (f, FALSE, NULL, args, &run);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "easel key set"));
  g_assert_nonnull (strstr (run.err, "OPENAI_API_KEY"));
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 0);
}

static void
test_output_dir (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *dir = g_build_filename (f->tmpdir, "out", NULL);
  const char *args[] = { "generate", "--n", "2", "--output", dir, "--no-library", "two foxes", NULL };
  g_auto(CliRun) run = { 0 };
  g_auto(GStrv) lines = NULL;

  g_assert_cmpint (g_mkdir (dir, 0755), ==, 0);

  run_cli (f, args, &run);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_assert_cmpint (run.status, ==, 0);

  /* Plain output: one path per line, both inside DIR, both PNGs. */
  lines = g_strsplit (g_strstrip (run.out), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 2);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *parent = g_path_get_dirname (lines[i]);
      g_autofree char *suffix = g_strdup_printf ("-%u.png", i + 1);

      g_assert_cmpstr (parent, ==, dir);
      g_assert_true (g_str_has_suffix (lines[i], suffix));
      assert_png_file (lines[i]);
    }
  g_assert_cmpuint (count_files_with_prefix (dir, "easel-", NULL), ==, 2);
  g_assert_cmpuint (count_files_with_prefix (f->tmpdir, "easel-", NULL), ==, 0);
}

static void
test_output_path (Fixture       *f,
                  gconstpointer  data)
{
  const char *args[] = { "generate", "-o", "fox.png", "--no-library", "--quiet", "a fox", NULL };
  g_autofree char *path = g_build_filename (f->tmpdir, "fox.png", NULL);
  g_auto(CliRun) run = { 0 };

  run_cli (f, args, &run);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_assert_cmpint (run.status, ==, 0);
  assert_png_file (path);
  /* --quiet: nothing on stderr. */
  g_assert_cmpstr (run.err, ==, "");
}

static void
test_key_status_none (Fixture       *f,
                      gconstpointer  data)
{
  const char *args[] = { "key", "status", NULL };
  g_auto(CliRun) run = { 0 };

  run_cli_full (f, FALSE, NULL, args, &run);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.out, "Key: none"));
  g_assert_nonnull (strstr (run.out, "easel key set"));
}

static void
test_key_status_env (Fixture       *f,
                     gconstpointer  data)
{
  const char *args[] = { "key", "status", NULL };
  g_auto(CliRun) run = { 0 };

  run_cli (f, args, &run);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "sk-…CRET"));
  g_assert_nonnull (strstr (run.out, "environment"));
  g_assert_null (strstr (run.out, TEST_KEY));
}

static gboolean
has_file_with_suffix (const char *dir,
                      const char *suffix)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  /* Not the temp file of an atomic write (….png.XXXXXX). */
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, suffix))
      return TRUE;
  return FALSE;
}

/* Ctrl-C after the first partial: exit 130, "cancelled", the partial stays
 * whole and no final image appears. */
static void
test_sigint (Fixture       *f,
             gconstpointer  data)
{
  const char *args[] = { f->cli, "generate", "--partial-images", "2", "--save-partials",
                         "--no-library", "a slow fox", NULL };
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *partial = NULL;

  if (f->cli == NULL)
    {
      g_test_skip ("EASEL_CLI is not set: run through meson test");
      return;
    }

  /* Slow enough that the stream is still running when we interrupt it. */
  easel_fake_server_set_event_delay_ms (f->server, 1500);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_cwd (launcher, f->tmpdir);
  g_subprocess_launcher_setenv (launcher, "OPENAI_BASE_URL", easel_fake_server_get_base_url (f->server), TRUE);
  g_subprocess_launcher_setenv (launcher, "OPENAI_API_KEY", TEST_KEY, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", f->data_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/easel-test", TRUE);
  g_subprocess_launcher_setenv (launcher, "no_proxy", "127.0.0.1,localhost", TRUE);
  process = g_subprocess_launcher_spawnv (launcher, args, &error);
  g_assert_no_error (error);

  g_subprocess_communicate_utf8_async (process, "", NULL, communicate_cb, &result);

  /* Wait for the first partial file, then interrupt. */
  while (result == NULL && !has_file_with_suffix (f->tmpdir, "-partial-1.png"))
    g_main_context_iteration (NULL, FALSE), g_usleep (10 * 1000);
  g_assert_null (result);
  g_subprocess_send_signal (process, SIGINT);

  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_subprocess_communicate_utf8_finish (process, result, &out, &err, &error);
  g_assert_no_error (error);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);

  if (g_test_verbose ())
    g_printerr ("--- stderr\n%s", err);

  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 130);
  g_assert_nonnull (strstr (err, "cancelled"));

  /* One whole partial, nothing else: no final image, no temp file. */
  g_assert_cmpuint (count_files_with_prefix (f->tmpdir, "easel-", NULL), ==, 1);
  {
    g_autoptr(GDir) dir = g_dir_open (f->tmpdir, 0, NULL);
    const char *name;

    while ((name = g_dir_read_name (dir)) != NULL)
      if (g_str_has_prefix (name, "easel-"))
        partial = g_build_filename (f->tmpdir, name, NULL);
  }
  g_assert_nonnull (strstr (partial, "-partial-1.png"));
  assert_png_file (partial);
}

/* The first generation of `easel library list --json`, or fails. */
static gint64
library_first_id (Fixture  *f,
                  char    **path_out)
{
  const char *args[] = { "library", "list", "--json", NULL };
  g_auto(CliRun) run = { 0 };
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *out, *item;
  JsonArray *items;

  run_cli (f, args, &run);
  g_assert_cmpint (run.status, ==, 0);
  out = parse_json_output (run.out, &parser);
  items = json_object_get_array_member (out, "items");
  g_assert_cmpuint (json_array_get_length (items), ==, 1);
  item = json_array_get_object_element (items, 0);
  g_assert_cmpstr (json_object_get_string_member (item, "status"), ==, "ok");
  if (path_out != NULL)
    *path_out = g_strdup (json_object_get_string_member (item, "path"));
  return json_object_get_int_member (item, "id");
}

/* The disk is full when the image is written: it is paid for, so it must be
 * in the library, and the error must say how to get it out. */
static void
test_write_failure_keeps_image (Fixture       *f,
                                gconstpointer  data)
{
  const char *args[] = { "generate", "--no-stream", "-o", "full.png", "a fox on a full disk", NULL };
  g_autofree char *link = g_build_filename (f->tmpdir, "full.png", NULL);
  g_autofree char *stored = NULL;
  g_autofree char *export_command = NULL;
  g_autofree char *exported = g_build_filename (f->tmpdir, "saved.png", NULL);
  g_auto(CliRun) run = { 0 };
  g_auto(CliRun) export_run = { 0 };
  gint64 id;

  if (!g_file_test ("/dev/full", G_FILE_TEST_EXISTS))
    {
      g_test_skip ("no /dev/full");
      return;
    }
  /* A link, so that whatever the CLI does, /dev/full itself is never
   * replaced (tests may run as root). */
  g_assert_cmpint (symlink ("/dev/full", link), ==, 0);

  run_cli (f, args, &run);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_assert_cmpint (run.status, !=, 0);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
  g_assert_true (g_file_test (link, G_FILE_TEST_IS_SYMLINK));

  /* Recorded anyway, with its image. */
  id = library_first_id (f, &stored);
  g_assert_nonnull (stored);
  assert_png_file (stored);

  /* The message names the id and the exact command to get it out. */
  export_command = g_strdup_printf ("easel library export %" G_GINT64_FORMAT " --output ", id);
  g_assert_nonnull (strstr (run.err, export_command));
  g_assert_nonnull (strstr (run.err, "full.png"));

  /* …and that command works. */
  {
    g_autofree char *id_str = g_strdup_printf ("%" G_GINT64_FORMAT, id);
    const char *export_args[] = { "library", "export", id_str, "--output", "saved.png", NULL };

    run_cli (f, export_args, &export_run);
    g_assert_cmpint (export_run.status, ==, 0);
    assert_png_file (exported);
  }
}

/* A stream that breaks after a partial image: the partial is kept in the
 * library as an incomplete image (the server may have billed it), and the
 * command says where. */
static void
test_broken_stream_keeps_partial (Fixture       *f,
                                  gconstpointer  data)
{
  const char *args[] = { "generate", "--partial-images", "1", "a bridge in fog", NULL };
  const char *list_args[] = { "library", "list", "--json", NULL };
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 16, 16);
  g_autofree char *png = NULL;
  g_autofree char *b64 = NULL;
  g_autofree char *sse = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_auto(CliRun) run = { 0 };
  g_auto(CliRun) list = { 0 };
  EaselFakeReply *reply;
  JsonObject *out, *item;
  JsonArray *items;
  gsize len = 0;

  gdk_pixbuf_fill (pixbuf, 0x2266aaff);
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &png, &len, "png", NULL, NULL));
  b64 = g_base64_encode ((const guchar *) png, len);
  sse = g_strdup_printf ("event: image_generation.partial_image\n"
                         "data: {\"type\":\"image_generation.partial_image\",\"b64_json\":\"%s\","
                         "\"partial_image_index\":0,\"output_format\":\"png\"}\n\n", b64);
  body = g_bytes_new (sse, strlen (sse));
  reply = easel_fake_reply_new_sse (body);
  /* The event goes out, then the connection drops. */
  easel_fake_reply_set_event_delay (reply, 20);
  easel_fake_reply_set_abort (reply, g_bytes_get_size (body));
  easel_fake_server_queue_reply (f->server, "/v1/images/generations", reply);

  run_cli (f, args, &run);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_test_message ("status %d\nstdout: %s\nstderr: %s", run.status, run.out, run.err);
  g_assert_cmpint (run.status, !=, 0);
  /* A broken stream is never sent again: it may have been billed. */
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
  g_assert_nonnull (strstr (run.err, "kept in the library as"));
  g_assert_nonnull (strstr (run.err, "incomplete"));
  g_assert_nonnull (strstr (run.err, "cannot be resumed"));

  run_cli (f, list_args, &list);
  g_assert_cmpint (list.status, ==, 0);
  out = parse_json_output (list.out, &parser);
  items = json_object_get_array_member (out, "items");
  g_assert_cmpuint (json_array_get_length (items), ==, 1);
  item = json_array_get_object_element (items, 0);
  g_assert_cmpstr (json_object_get_string_member (item, "status"), ==, "incomplete");
  assert_png_file (json_object_get_string_member (item, "path"));
}

typedef struct
{
  GSubprocess *process;
  char        *out;
  char        *err;
  gboolean     done;
} Parallel;

static void
parallel_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Parallel *p = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &p->out, &p->err, &error);
  g_assert_no_error (error);
  p->done = TRUE;
  g_main_context_wakeup (NULL);
}

/* Several runs at once into one folder: each claims its own name, and every
 * image survives whole. */
static void
test_parallel_output_names (Fixture       *f,
                            gconstpointer  data)
{
  enum { N_RUNS = 4 };
  g_autofree char *dir = g_build_filename (f->tmpdir, "out", NULL);
  g_autofree char *dir_arg = g_strconcat (dir, G_DIR_SEPARATOR_S, NULL);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  Parallel runs[N_RUNS] = { { 0 } };
  gboolean all_done = FALSE;

  if (f->cli == NULL)
    {
      g_test_skip ("EASEL_CLI is not set: run through meson test");
      return;
    }
  g_assert_cmpint (g_mkdir (dir, 0755), ==, 0);

  launcher = cli_launcher_new (f, TRUE, NULL);
  for (guint i = 0; i < N_RUNS; i++)
    {
      const char *args[] = { "generate", "--no-stream", "--no-library", "--quiet",
                             "-o", dir_arg, "a fox in a crowd", NULL };
      g_autoptr(GPtrArray) argv = cli_argv_new (f, args);
      g_autoptr(GError) error = NULL;

      runs[i].process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
      g_assert_no_error (error);
      g_subprocess_communicate_utf8_async (runs[i].process, "", NULL, parallel_done_cb, &runs[i]);
    }

  while (!all_done)
    {
      g_main_context_iteration (NULL, TRUE);
      all_done = TRUE;
      for (guint i = 0; i < N_RUNS; i++)
        all_done = all_done && runs[i].done;
    }

  for (guint i = 0; i < N_RUNS; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *parent = NULL;
      char *line;

      g_subprocess_wait (runs[i].process, NULL, &error);
      g_assert_no_error (error);
      if (g_test_verbose ())
        g_printerr ("--- run %u: exit %d\n%s%s", i, g_subprocess_get_exit_status (runs[i].process),
                    runs[i].out, runs[i].err);
      g_assert_true (g_subprocess_get_if_exited (runs[i].process));
      g_assert_cmpint (g_subprocess_get_exit_status (runs[i].process), ==, 0);

      line = g_strstrip (runs[i].out);
      g_assert_null (strchr (line, '\n'));
      parent = g_path_get_dirname (line);
      g_assert_cmpstr (parent, ==, dir);
      g_assert_true (g_str_has_suffix (line, ".png"));
      /* Nobody printed a name another run printed. */
      g_assert_false (g_hash_table_contains (names, line));
      g_hash_table_add (names, g_strdup (line));
    }

  /* As many whole images as runs, and no temp files. */
  g_assert_cmpuint (count_files_with_prefix (dir, "", NULL), ==, N_RUNS);
  {
    GHashTableIter iter;
    gpointer key;

    g_hash_table_iter_init (&iter, names);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      assert_png_file (key);
  }

  for (guint i = 0; i < N_RUNS; i++)
    {
      g_clear_object (&runs[i].process);
      g_free (runs[i].out);
      g_free (runs[i].err);
    }
}

/* The same request to another server is another request: it must be sent,
 * not answered with the first server's image. */
static void
test_cache_per_server (Fixture       *f,
                       gconstpointer  data)
{
  const char *args[] = { "generate", "--no-stream", "--json", "-o", "fox.png", "a cached fox", NULL };
  g_autoptr(EaselFakeServer) other = NULL;
  g_autoptr(JsonParser) parser_a = NULL;
  g_autoptr(JsonParser) parser_b = NULL;
  g_autoptr(JsonParser) parser_list = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(CliRun) run_a = { 0 };
  g_auto(CliRun) run_b = { 0 };
  g_auto(CliRun) run_list = { 0 };
  g_autofree char *hash_a = NULL;
  g_autofree char *hash_b = NULL;
  JsonObject *out;
  JsonArray *items;

  other = easel_fake_server_new (&error);
  g_assert_no_error (error);

  run_cli (f, args, &run_a);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_assert_cmpint (run_a.status, ==, 0);
  out = parse_json_output (run_a.out, &parser_a);
  g_assert_false (json_object_get_boolean_member (out, "cached"));
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);

  run_cli_at (f, TRUE, easel_fake_server_get_base_url (other), NULL, args, &run_b);
  g_assert_cmpint (run_b.status, ==, 0);
  out = parse_json_output (run_b.out, &parser_b);
  g_assert_false (json_object_get_boolean_member (out, "cached"));
  if (easel_fake_server_get_n_requests (other) != 1)
    {
      /* Seen once in CI (3 requests), not reproduced: say what they were. */
      for (guint i = 0; i < easel_fake_server_get_n_requests (other); i++)
        {
          const EaselFakeRequest *req = easel_fake_server_get_request (other, i);

          g_printerr ("request %u: %s %s\n", i, req->method, req->path);
        }
      g_printerr ("stderr of the second run:\n%s\n", run_b.err);
    }
  g_assert_cmpuint (easel_fake_server_get_n_requests (other), ==, 1);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);

  /* Both are in the library, under keys of their own. */
  {
    const char *list_args[] = { "library", "list", "--json", NULL };

    run_cli (f, list_args, &run_list);
    g_assert_cmpint (run_list.status, ==, 0);
    items = json_object_get_array_member (parse_json_output (run_list.out, &parser_list), "items");
    g_assert_cmpuint (json_array_get_length (items), ==, 2);
  }
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT,
                                             json_object_get_int_member (json_array_get_object_element (items, i), "id"));
      const char *show_args[] = { "library", "show", "--json", id, NULL };
      g_auto(CliRun) run_show = { 0 };
      g_autoptr(JsonParser) parser_show = NULL;
      JsonObject *row;

      run_cli (f, show_args, &run_show);
      g_assert_cmpint (run_show.status, ==, 0);
      row = parse_json_output (run_show.out, &parser_show);
      *(i == 0 ? &hash_a : &hash_b) = g_strdup (json_object_get_string_member (row, "request_hash"));
    }

  if (g_strcmp0 (hash_a, hash_b) == 0)
    {
      /* The store still keys rows by easel_request_hash(), which knows no
       * server; the lookup by easel_request_cache_key() then finds nothing,
       * so a same-server hit cannot be checked yet. */
      g_test_skip ("the store does not record easel_request_cache_key() yet");
      return;
    }

  /* The first server again: answered from the library, nothing sent. */
  {
    g_auto(CliRun) run_again = { 0 };
    g_autoptr(JsonParser) parser_again = NULL;

    run_cli (f, args, &run_again);
    g_assert_cmpint (run_again.status, ==, 0);
    out = parse_json_output (run_again.out, &parser_again);
    g_assert_true (json_object_get_boolean_member (out, "cached"));
    g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
  }
}

/* --debug-http logs on stderr: stdout stays one JSON document. */
static void
test_debug_http_json (Fixture       *f,
                      gconstpointer  data)
{
  const char *args[] = { "generate", "--no-stream", "--no-library", "--json", "--debug-http", "a fox", NULL };
  g_auto(CliRun) run = { 0 };
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *out;

  run_cli (f, args, &run);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_assert_cmpint (run.status, ==, 0);
  out = parse_json_output (run.out, &parser);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (out, "files")), ==, 1);
  g_assert_nonnull (strstr (run.err, "POST"));
  g_assert_nonnull (strstr (run.err, "/images/generations"));
  g_assert_null (strstr (run.err, TEST_KEY));
}


/* ---- hostile server text ------------------------------------------------------ */

static void
assert_no_terminal_controls (const char *text)
{
  for (const char *p = text; *p; p++)
    {
      guchar c = (guchar) *p;

      /* A line break is ours; ESC, BEL, CR and the rest are not. */
      if (c == '\n')
        continue;
      g_assert_false (c < 0x20 || c == 0x7f);
      /* C1 CSI/OSC as UTF-8 (U+009B, U+009D). */
      g_assert_false (c == 0xc2 && ((guchar) p[1] == 0x9b || (guchar) p[1] == 0x9d));
    }
}

static void
test_hostile_error_controls (Fixture       *f,
                             gconstpointer  data)
{
  const char *args[] = { "generate", "--no-stream", "--no-library", "a fox", NULL };
  g_auto(CliRun) run = { 0 };

  easel_fake_server_queue_reply (f->server, NULL,
    easel_fake_reply_new_json (400,
      "{\"error\":{\"message\":\"\\u001b[2J\\u001b[Hbad\\r\\u001b]0;pwned\\u0007\\n\\u009b32mSaved image.png\","
      "\"type\":\"\\u001b[31mtype\",\"code\":\"code\\u0007\",\"param\":\"\\u001b]0;title\\u0007\"}}"));

  run_cli (f, args, &run);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_assert_cmpint (run.status, ==, 1);
  assert_no_terminal_controls (run.err);
  assert_no_terminal_controls (run.out);
  g_assert_nonnull (strstr (run.err, "\\x1b[2J"));
  g_assert_nonnull (strstr (run.err, "type: \\x1b[31mtype"));
  g_assert_nonnull (strstr (run.err, "code: code\\x07"));
}

static void
test_hostile_revised_prompt (Fixture       *f,
                             gconstpointer  data)
{
  const char *args[] = { "generate", "--model", "dall-e-3", "--allow-retired", "--no-stream", "a fox \033]0;pwned\007\033[2J", NULL };
  const char *list_args[] = { "library", "list", NULL };
  g_auto(CliRun) run = { 0 };
  g_auto(CliRun) list = { 0 };
  g_auto(CliRun) show = { 0 };

  /* The fake server's dall-e-3 revises the prompt into "A detailed picture
   * of …", control sequences included. */
  run_cli (f, args, &run);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.err, "revised prompt: A detailed picture of a fox \\x1b]0;pwned\\x07"));
  assert_no_terminal_controls (run.err);
  assert_no_terminal_controls (run.out);

  run_cli (f, list_args, &list);
  g_assert_cmpint (list.status, ==, 0);
  assert_no_terminal_controls (list.out);

  {
    const char *show_args[] = { "library", "show", "1", NULL };

    run_cli (f, show_args, &show);
    g_assert_cmpint (show.status, ==, 0);
    g_assert_nonnull (strstr (show.out, "revised:     A detailed picture of a fox \\x1b]0;pwned"));
    assert_no_terminal_controls (show.out);
  }
}

static void
test_huge_error_message (Fixture       *f,
                         gconstpointer  data)
{
  const char *args[] = { "generate", "--no-stream", "--no-library", "a fox", NULL };
  const char *debug_args[] = { "generate", "--no-stream", "--no-library", "--debug-http", "a fox", NULL };
  g_autofree char *huge = g_strnfill (900 * 1024, 'A');
  g_auto(CliRun) run = { 0 };
  g_auto(CliRun) debug = { 0 };

  easel_fake_server_queue_reply (f->server, NULL,
                                 easel_fake_reply_new_error (400, "invalid_request_error", "too_long", huge));
  run_cli (f, args, &run);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_assert_cmpint (run.status, ==, 1);
  g_assert_cmpuint (strlen (run.err), <, 8 * 1024);
  g_assert_nonnull (strstr (run.err, "more characters)"));

  /* --debug-http keeps the whole text, on stderr only. */
  easel_fake_server_queue_reply (f->server, NULL,
                                 easel_fake_reply_new_error (400, "invalid_request_error", "too_long", huge));
  run_cli (f, debug_args, &debug);
  g_assert_cmpint (debug.status, ==, 1);
  g_assert_nonnull (strstr (debug.err, huge));
  g_assert_null (strstr (debug.out, "AAAAAAAAAA"));
}

static void
test_echoed_key_everywhere (Fixture       *f,
                            gconstpointer  data)
{
  const char *args[] = { "generate", "--no-stream", "a fox", NULL };
  const char *show_args[] = { "library", "show", "--json", "1", NULL };
  g_auto(CliRun) run = { 0 };
  g_auto(CliRun) show = { 0 };
  EaselFakeReply *reply;

  /* A hostile server puts the key in every field it controls. */
  reply = easel_fake_reply_new_json (400,
            "{\"error\":{\"message\":\"bad key " TEST_KEY "\",\"type\":\"" TEST_KEY "\","
            "\"code\":\"" TEST_KEY "\",\"param\":\"" TEST_KEY "\"}}");
  easel_fake_reply_add_header (reply, "x-request-id", TEST_KEY);
  easel_fake_server_queue_reply (f->server, NULL, reply);

  run_cli (f, args, &run);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "type: sk-…redacted"));
  g_assert_null (strstr (run.err, "0123456789abcdefSECRET"));
  g_assert_null (strstr (run.out, "0123456789abcdefSECRET"));

  /* Nor is it stored in the library's error columns. */
  run_cli (f, show_args, &show);
  g_assert_cmpint (show.status, ==, 0);
  g_assert_nonnull (strstr (show.out, "error_type"));
  g_assert_null (strstr (show.out, "0123456789abcdefSECRET"));
}

/* ---- local files that are not files ------------------------------------------ */

static void
test_image_not_a_file (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *fifo = g_build_filename (f->tmpdir, "fifo.png", NULL);
  g_autofree char *huge = g_build_filename (f->tmpdir, "huge.png", NULL);
  const char *cases[][8] = {
    { "edit", "--image", "fifo.png", "--no-library", "a hat", NULL },
    { "edit", "--image", "/dev/zero", "--no-library", "a hat", NULL },
    { "edit", "--image", "huge.png", "--no-library", "a hat", NULL },
    { "edit", "--model", "dall-e-2", "--image", "big.png", "--no-library", "a hat", NULL },
  };
  g_autofree char *big = g_build_filename (f->tmpdir, "big.png", NULL);

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_true (g_file_set_contents (huge, "", 0, NULL));
  g_assert_cmpint (truncate (huge, (off_t) 3 * 1024 * 1024 * 1024), ==, 0);
  /* 5 MB: over dall-e-2's 4 MB. */
  g_assert_true (g_file_set_contents (big, "", 0, NULL));
  g_assert_cmpint (truncate (big, (off_t) 5 * 1024 * 1024), ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(CliRun) run = { 0 };

      /* A FIFO without a writer used to block until the test timed out. */
      run_cli (f, cases[i], &run);
      if (g_test_failed () || f->cli == NULL)
        return;
      g_assert_cmpint (run.status, !=, 0);
      g_assert_true (strstr (run.err, "not a regular file") != NULL || strstr (run.err, "MB") != NULL);
      g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 0);
    }
}

/* ---- masks the API would refuse --------------------------------------------- */

static void
write_png_sized (const char *path,
                 int         size,
                 gboolean    alpha,
                 guint32     rgba)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, alpha, 8, size, size);
  g_autoptr(GError) error = NULL;

  gdk_pixbuf_fill (pixbuf, rgba);
  gdk_pixbuf_save (pixbuf, path, "png", &error, NULL);
  g_assert_no_error (error);
}

static void
test_mask_other_size (Fixture       *f,
                      gconstpointer  data)
{
  const char *args[] = { "edit", "--image", "a.png", "--mask", "m.png", "--no-library", "a hat", NULL };
  g_autofree char *a = g_build_filename (f->tmpdir, "a.png", NULL);
  g_autofree char *m = g_build_filename (f->tmpdir, "m.png", NULL);
  g_auto(CliRun) run = { 0 };

  write_png_sized (a, 64, TRUE, 0x3366ffff);
  write_png_sized (m, 32, TRUE, 0x00000000);

  run_cli (f, args, &run);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_assert_cmpint (run.status, !=, 0);
  g_assert_nonnull (strstr (run.err, "32×32"));
  g_assert_nonnull (strstr (run.err, "64×64"));
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 0);
}

static void
test_mask_black_and_white (Fixture       *f,
                           gconstpointer  data)
{
  const char *args[] = { "edit", "--image", "a.png", "--mask", "m.png", "--no-library", "a hat", NULL };
  g_autofree char *a = g_build_filename (f->tmpdir, "a.png", NULL);
  g_autofree char *m = g_build_filename (f->tmpdir, "m.png", NULL);
  g_autoptr(GPtrArray) parts = NULL;
  g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
  g_autoptr(GError) error = NULL;
  g_auto(CliRun) run = { 0 };
  const EaselFakeRequest *request;
  EaselFakePart *mask;
  GdkPixbuf *sent;
  const guint8 *px;
  int stride;

  /* Left half white (edit), right half black (keep); no alpha channel. */
  {
    g_autoptr(GdkPixbuf) bw = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 64, 64);
    g_autoptr(GdkPixbuf) right = NULL;

    gdk_pixbuf_fill (bw, 0xffffffff);
    right = gdk_pixbuf_new_subpixbuf (bw, 32, 0, 32, 64);
    gdk_pixbuf_fill (right, 0x000000ff);
    gdk_pixbuf_save (bw, m, "png", &error, NULL);
    g_assert_no_error (error);
  }
  write_png_sized (a, 64, TRUE, 0x3366ffff);

  run_cli (f, args, &run);
  if (g_test_failed () || f->cli == NULL)
    return;
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.err, "converted"));

  request = easel_fake_server_get_last_request (f->server);
  parts = easel_fake_request_parse_multipart (request);
  mask = easel_fake_parts_find (parts, "mask");
  g_assert_nonnull (mask);
  gdk_pixbuf_loader_write_bytes (loader, mask->data, &error);
  gdk_pixbuf_loader_close (loader, &error);
  g_assert_no_error (error);
  sent = gdk_pixbuf_loader_get_pixbuf (loader);
  g_assert_true (gdk_pixbuf_get_has_alpha (sent));
  g_assert_cmpint (gdk_pixbuf_get_width (sent), ==, 64);
  px = gdk_pixbuf_read_pixels (sent);
  stride = gdk_pixbuf_get_rowstride (sent);
  /* White became transparent (edit); black stayed opaque (keep). */
  g_assert_cmpint (px[10 * stride + 4 * 4 + 3], ==, 0);
  g_assert_cmpint (px[10 * stride + 50 * 4 + 3], ==, 255);
}

/* ---- no core files ------------------------------------------------------------- */

static void
test_no_core_dumps (Fixture       *f,
                    gconstpointer  data)
{
  const char *args[] = { f->cli, "generate", "--partial-images", "2", "--save-partials",
                         "--no-library", "a slow fox", NULL };
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *limits_path = NULL;
  g_autofree char *proc_dir = NULL;
  g_autofree char *limits = NULL;
  g_auto(GStrv) lines = NULL;
  struct rlimit core;
  gboolean found = FALSE;

  if (f->cli == NULL)
    {
      g_test_skip ("EASEL_CLI is not set: run through meson test");
      return;
    }

  /* The child inherits our limit: make it as large as allowed, so only the
   * CLI itself can bring it to 0. */
  g_assert_cmpint (getrlimit (RLIMIT_CORE, &core), ==, 0);
  if (core.rlim_max == 0)
    {
      g_test_skip ("the hard core-size limit is already 0");
      return;
    }
  core.rlim_cur = core.rlim_max;
  g_assert_cmpint (setrlimit (RLIMIT_CORE, &core), ==, 0);

  easel_fake_server_set_event_delay_ms (f->server, 1500);
  launcher = cli_launcher_new (f, TRUE, NULL);
  process = g_subprocess_launcher_spawnv (launcher, args, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, "", NULL, communicate_cb, &result);

  /* Once the stream runs, the key has been read. */
  while (result == NULL && !has_file_with_suffix (f->tmpdir, "-partial-1.png"))
    g_main_context_iteration (NULL, FALSE), g_usleep (10 * 1000);
  g_assert_null (result);

  proc_dir = g_strdup_printf ("/proc/%s", g_subprocess_get_identifier (process));
  limits_path = g_build_filename (proc_dir, "limits", NULL);
  g_assert_true (g_file_get_contents (limits_path, &limits, NULL, NULL));
  lines = g_strsplit (limits, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "Max core file size"))
      {
        g_auto(GStrv) fields = g_strsplit_set (lines[i] + strlen ("Max core file size"), " ", -1);
        guint n = 0;

        for (guint k = 0; fields[k] != NULL; k++)
          if (fields[k][0] != '\0')
            {
              /* Soft, then hard: both 0. */
              if (n < 2)
                g_assert_cmpstr (fields[k], ==, "0");
              n++;
            }
        g_assert_cmpuint (n, >=, 2);
        found = TRUE;
      }
  g_assert_true (found);

  /* Non-dumpable: /proc/PID belongs to root. As root that says nothing, so
   * dumpability is only checked for other users. */
  if (getuid () != 0)
    {
      GStatBuf st;

      g_assert_cmpint (g_stat (limits_path, &st), ==, 0);
      g_assert_cmpuint (st.st_uid, ==, 0);
    }

  g_subprocess_send_signal (process, SIGINT);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_subprocess_wait (process, NULL, NULL);
}

typedef struct
{
  const char *args[4];
  int         status;
  const char *in_stdout;
  const char *in_stderr;
} UsageCase;

static const UsageCase usage_cases[] = {
  { { "--help", NULL }, 0, "generate", NULL },
  { { "--version", NULL }, 0, "easel " PACKAGE_VERSION, NULL },
  { { "generate", "--help", NULL }, 0, "--partial-images", NULL },
  { { "chat", "--help", NULL }, 0, "--continue", NULL },
  { { "genrate", "a fox", NULL }, 2, NULL, "Did you mean 'easel generate'" },
  { { "generate", "--bogus", "a fox", NULL }, 2, NULL, "--bogus" },
  { { "generate", NULL }, 2, NULL, "prompt" },
  { { "key", "set", "sk-should-not-be-here", NULL }, 2, NULL, "stdin" },
};

static void
test_usage (Fixture       *f,
            gconstpointer  data)
{
  for (guint i = 0; i < G_N_ELEMENTS (usage_cases); i++)
    {
      const UsageCase *c = &usage_cases[i];
      g_auto(CliRun) run = { 0 };

      run_cli (f, c->args, &run);
      if (g_test_failed () || f->cli == NULL)
        return;
      g_assert_cmpint (run.status, ==, c->status);
      if (c->in_stdout != NULL)
        g_assert_nonnull (strstr (run.out, c->in_stdout));
      if (c->in_stderr != NULL)
        g_assert_nonnull (strstr (run.err, c->in_stderr));
    }

  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 0);
}

/* `easel library check`: opening does not sweep; check does, daily, and
 * --force does it again. */
static void
test_library_check (Fixture       *f,
                    gconstpointer  data)
{
  const char *check[] = { "library", "check", NULL };
  const char *force[] = { "library", "check", "--force", NULL };
  const char *list[] = { "library", "list", NULL };
  g_autofree char *subdir = g_build_filename (f->data_home, "easel", "images", "ab", NULL);
  g_autofree char *orphan = g_build_filename (subdir, "abababababababababababababababababababababababababababababababab.png", NULL);
  struct utimbuf old = { 0 };

  {
    g_auto(CliRun) run = { 0 };

    run_cli (f, check, &run);
    if (g_test_failed () || f->cli == NULL)
      return;
    g_assert_cmpint (run.status, ==, 0);
    g_assert_cmpstr (run.out, ==, "ok\n");
  }

  /* An hour-old orphan (past the grace period) survives opening, and a
   * check done today. */
  g_assert_cmpint (g_mkdir_with_parents (subdir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (orphan, "\x89PNG orphan", -1, NULL));
  old.actime = old.modtime = time (NULL) - 3600;
  g_assert_cmpint (utime (orphan, &old), ==, 0);
  {
    g_auto(CliRun) run = { 0 };

    run_cli (f, list, &run);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_true (g_file_test (orphan, G_FILE_TEST_EXISTS));
  }
  {
    g_auto(CliRun) run = { 0 };

    run_cli (f, check, &run);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_true (g_file_test (orphan, G_FILE_TEST_EXISTS));
  }
  {
    g_auto(CliRun) run = { 0 };

    run_cli (f, force, &run);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_false (g_file_test (orphan, G_FILE_TEST_EXISTS));
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/integration/cli/generate-partials", test_generate_partials);
  ADD ("/integration/cli/chat-continue", test_chat_continue);
  ADD ("/integration/cli/chat-resume-after-drop", test_chat_resume_after_drop);
  ADD ("/integration/cli/chat-let-model-decide", test_chat_let_model_decide);
  ADD ("/integration/cli/chat-background-refused", test_chat_background_refused);
  ADD ("/integration/cli/resume-command", test_resume_command);
  ADD ("/integration/cli/killed-mid-turn-restart", test_killed_mid_turn_restart);
  ADD ("/integration/cli/chat-sigint-cancels-on-server", test_chat_sigint_cancels_on_server);
  ADD ("/integration/cli/edit-multipart", test_edit_multipart);
  ADD ("/integration/cli/validation-error", test_validation_error);
  ADD ("/integration/cli/moderation", test_moderation);
  ADD ("/integration/cli/retired-model", test_retired_model);
  ADD ("/integration/cli/assumed-price", test_assumed_price);
  ADD ("/integration/cli/service-tier", test_service_tier);
  ADD ("/integration/cli/moderation-check", test_moderation_check);
  ADD ("/integration/cli/budget-limits", test_budget_limits);
  ADD ("/integration/cli/budget-failed-counted", test_budget_failed_counted);
  ADD ("/integration/cli/budget-threshold", test_budget_threshold);
  ADD ("/integration/cli/unauthorized", test_unauthorized);
  ADD ("/integration/cli/missing-key", test_missing_key);
  ADD ("/integration/cli/output-dir", test_output_dir);
  ADD ("/integration/cli/output-path", test_output_path);
  ADD ("/integration/cli/key-status-none", test_key_status_none);
  ADD ("/integration/cli/key-status-env", test_key_status_env);
  ADD ("/integration/cli/usage", test_usage);
  ADD ("/integration/cli/sigint", test_sigint);
  ADD ("/integration/cli/broken-stream-keeps-partial", test_broken_stream_keeps_partial);
  ADD ("/integration/cli/write-failure-keeps-image", test_write_failure_keeps_image);
  ADD ("/integration/cli/parallel-output-names", test_parallel_output_names);
  ADD ("/integration/cli/cache-per-server", test_cache_per_server);
  ADD ("/integration/cli/debug-http-json", test_debug_http_json);
  ADD ("/integration/cli/hostile-error-controls", test_hostile_error_controls);
  ADD ("/integration/cli/hostile-revised-prompt", test_hostile_revised_prompt);
  ADD ("/integration/cli/huge-error-message", test_huge_error_message);
  ADD ("/integration/cli/echoed-key-everywhere", test_echoed_key_everywhere);
  ADD ("/integration/cli/image-not-a-file", test_image_not_a_file);
  ADD ("/integration/cli/mask-other-size", test_mask_other_size);
  ADD ("/integration/cli/mask-black-and-white", test_mask_black_and_white);
  ADD ("/integration/cli/no-core-dumps", test_no_core_dumps);
  ADD ("/integration/cli/library-check", test_library_check);
#undef ADD

  return g_test_run ();
}
