/* test-hostile.c: EaselClient and the `easel` CLI against a hostile server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One test per thing a server must not be able to do to us: make us hold
 * unbounded memory, write files without end, wait for ever, send the key
 * elsewhere. Limits are made small through the test hooks so every test is
 * quick; each hostile body stops at a hard limit, so a client without the
 * fix fails its assertions instead of hanging.
 */

#define G_LOG_DOMAIN "test-hostile"

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "easel-core.h"
#include "easel-client-private.h"
#include "hostile-server.h"

#define TEST_KEY     "sk-test-hostile-0123456789SECRET"
#define SMALL_LIMIT  (1024 * 1024)
/* Longer than any test needs: past it the run is failed, not waited for. */
#define GUARD_S      20

typedef struct
{
  EaselResult  *result;
  GError       *error;
  guint         n_partials;
  guint         n_finals;
  gboolean      done;
  gint64        elapsed_us;
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->result, easel_result_free);
  g_clear_error (&run->error);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static void
on_event (const EaselEvent *event,
          gpointer          user_data)
{
  Run *run = user_data;

  if (event->kind == EASEL_EVENT_PARTIAL_IMAGE)
    run->n_partials++;
  else if (event->kind == EASEL_EVENT_IMAGE_DONE)
    run->n_finals++;
}

static void
on_sent (GObject      *source,
         GAsyncResult *res,
         gpointer      user_data)
{
  Run *run = user_data;

  run->result = easel_client_send_finish (EASEL_CLIENT (source), res, &run->error);
  run->done = TRUE;
}

static gboolean
on_guard (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static EaselClient *
hostile_client (EaselHostileServer *server)
{
  EaselClient *client = easel_client_new (easel_hostile_server_get_base_url (server), TEST_KEY);
  EaselRetryPolicy policy = { .max_retries = 2, .initial_delay_ms = 5, .max_delay_ms = 20 };

  easel_client_set_retry_policy (client, &policy);
  easel_client_set_idle_timeout (client, 1);
  _easel_client_set_limits (client, SMALL_LIMIT, SMALL_LIMIT, 64 * 1024);
  return client;
}

static EaselRequest *
generation_request (gboolean stream)
{
  EaselRequest *request = easel_request_new (EASEL_API_IMAGES_GENERATE);

  request->model = g_strdup ("gpt-image-1.5");
  request->prompt = g_strdup ("A red fox in fresh snow");
  request->size = g_strdup ("1024x1024");
  request->output_format = g_strdup ("png");
  request->n = 1;
  request->stream = stream;
  if (stream)
    request->partial_images = 2;
  return request;
}

static void
run_request (EaselClient        *client,
             const EaselRequest *request,
             Run                *run)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  gboolean timed_out = FALSE;
  guint guard = g_timeout_add_seconds (GUARD_S, on_guard, &timed_out);
  gint64 start = g_get_monotonic_time ();

  easel_client_send_async (client, request, on_event, run, NULL, cancellable, on_sent, run);
  while (!run->done && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!run->done)
    {
      g_cancellable_cancel (cancellable);
      while (!run->done)
        g_main_context_iteration (NULL, TRUE);
      g_test_fail_printf ("the request did not end within %d s", GUARD_S);
    }
  else
    g_source_remove (guard);
  run->elapsed_us = g_get_monotonic_time () - start;
  if (run->error != NULL)
    g_test_message ("error: %s", run->error->message);
}

static void
drain (void)
{
  for (guint i = 0; i < 50; i++)
    while (g_main_context_iteration (NULL, FALSE))
      ;
}

static EaselHostileServer *
server_new (EaselHostileMode mode)
{
  g_autoptr(GError) error = NULL;
  EaselHostileServer *server = easel_hostile_server_new (mode, &error);

  g_assert_no_error (error);
  return server;
}

static void
assert_contains (const char *haystack,
                 const char *needle)
{
  if (haystack == NULL || strstr (haystack, needle) == NULL)
    g_test_fail_printf ("“%s” does not contain “%s”", haystack ? haystack : "(null)", needle);
}

/* ---- EaselClient ---------------------------------------------------------- */

static void
test_deep_json (void)
{
  g_autoptr(EaselHostileServer) server = server_new (EASEL_HOSTILE_DEEP_JSON);
  g_autoptr(EaselClient) client = hostile_client (server);
  g_autoptr(EaselRequest) request = generation_request (FALSE);
  g_auto(Run) run = { 0 };

  run_request (client, request, &run);
  g_assert_error (run.error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE);
  assert_contains (run.error->message, "deep");
  g_assert_cmpuint (easel_hostile_server_get_n_requests (server), ==, 1);
  drain ();
}

static void
test_deep_event (void)
{
  g_autoptr(EaselHostileServer) server = server_new (EASEL_HOSTILE_DEEP_EVENT);
  g_autoptr(EaselClient) client = hostile_client (server);
  g_autoptr(EaselRequest) request = generation_request (TRUE);
  g_auto(Run) run = { 0 };

  run_request (client, request, &run);
  g_assert_error (run.error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE);
  assert_contains (run.error->message, "deep");
  g_assert_cmpuint (run.n_finals, ==, 0);
  drain ();
}

static void
test_oversize_event (void)
{
  g_autoptr(EaselHostileServer) server = server_new (EASEL_HOSTILE_OVERSIZE_EVENT);
  g_autoptr(EaselClient) client = hostile_client (server);
  g_autoptr(EaselRequest) request = generation_request (TRUE);
  g_auto(Run) run = { 0 };

  run_request (client, request, &run);
  g_assert_error (run.error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE);
  assert_contains (run.error->message, "1 MiB limit");
  /* The client hung up soon after the cap, not at the server's 256 MiB. */
  g_assert_cmpuint (easel_hostile_server_get_bytes_sent (server), <, 16 * SMALL_LIMIT);
  g_assert_cmpuint (easel_hostile_server_get_n_requests (server), ==, 1);
  drain ();
}

static void
test_endless_partials (void)
{
  g_autoptr(EaselHostileServer) server = server_new (EASEL_HOSTILE_ENDLESS_PARTIALS);
  g_autoptr(EaselClient) client = hostile_client (server);
  g_autoptr(EaselRequest) request = generation_request (TRUE);
  g_auto(Run) run = { 0 };

  run_request (client, request, &run);
  g_assert_error (run.error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE);
  assert_contains (run.error->message, "more partial images than the 2 requested");
  g_assert_cmpuint (run.n_partials, ==, 2);
  /* The stream was stopped: the server did not get to its 10 000. */
  g_assert_cmpuint (easel_hostile_server_get_n_events_sent (server), <, 5000);
  g_assert_cmpuint (easel_hostile_server_get_n_requests (server), ==, 1);
  drain ();
}

static void
test_endless_finals (void)
{
  g_autoptr(EaselHostileServer) server = server_new (EASEL_HOSTILE_ENDLESS_FINALS);
  g_autoptr(EaselClient) client = hostile_client (server);
  g_autoptr(EaselRequest) request = generation_request (TRUE);
  g_auto(Run) run = { 0 };

  run_request (client, request, &run);
  g_assert_error (run.error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE);
  assert_contains (run.error->message, "more final images than the 1 requested");
  g_assert_cmpuint (run.n_finals, ==, 1);
  g_assert_cmpuint (easel_hostile_server_get_n_events_sent (server), <, 5000);
  drain ();
}

static void
check_stall (EaselHostileMode mode,
             gboolean         stream)
{
  g_autoptr(EaselHostileServer) server = server_new (mode);
  g_autoptr(EaselClient) client = hostile_client (server);
  g_autoptr(EaselRequest) request = generation_request (stream);
  g_auto(Run) run = { 0 };

  run_request (client, request, &run);
  g_assert_error (run.error, EASEL_API_ERROR, EASEL_API_ERROR_NETWORK);
  assert_contains (run.error->message, "stopped sending for 1 s");
  assert_contains (run.error->message, "not retried because it may have been billed");
  /* Not re-sent: the 200 may have been billed. */
  g_assert_cmpuint (easel_hostile_server_get_n_requests (server), ==, 1);
  g_assert_cmpint (run.elapsed_us, <, 5 * G_USEC_PER_SEC);
  drain ();
}

static void
test_stall_stream (void)
{
  check_stall (EASEL_HOSTILE_STALL, TRUE);
}

static void
test_stall_body (void)
{
  check_stall (EASEL_HOSTILE_STALL_JSON, FALSE);
}

static void
test_redirect (void)
{
  g_autoptr(EaselHostileServer) server = server_new (EASEL_HOSTILE_REDIRECT);
  g_autoptr(EaselClient) client = hostile_client (server);
  g_autoptr(EaselRequest) request = generation_request (FALSE);
  g_auto(Run) run = { 0 };

  run_request (client, request, &run);
  g_assert_nonnull (run.error);
  g_assert_error (run.error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE);
  assert_contains (run.error->message, "redirected to http://127.0.0.1:");
  g_assert_null (strstr (run.error->message, "SECRETQUERY"));
  g_assert_null (strstr (run.error->message, TEST_KEY));
  g_assert_null (easel_hostile_server_get_leaked_authorization (server));
  g_assert_cmpuint (easel_hostile_server_get_n_redirect_hits (server), ==, 0);
  g_assert_cmpuint (easel_hostile_server_get_n_requests (server), ==, 1);
  drain ();
}

static void
on_models (GObject      *source,
           GAsyncResult *res,
           gpointer      user_data)
{
  Run *run = user_data;
  g_auto(GStrv) models = easel_client_list_models_finish (EASEL_CLIENT (source), res, &run->error);

  run->done = TRUE;
}

/* libsoup would follow a GET's redirect on its own, key included. */
static void
test_redirect_get (void)
{
  g_autoptr(EaselHostileServer) server = server_new (EASEL_HOSTILE_REDIRECT);
  g_autoptr(EaselClient) client = hostile_client (server);
  g_auto(Run) run = { 0 };

  easel_client_list_models_async (client, NULL, on_models, &run);
  while (!run.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (run.error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE);
  assert_contains (run.error->message, "redirected to http://127.0.0.1:");
  g_assert_null (strstr (run.error->message, "SECRETQUERY"));
  g_assert_null (easel_hostile_server_get_leaked_authorization (server));
  g_assert_cmpuint (easel_hostile_server_get_n_redirect_hits (server), ==, 0);
  drain ();
}

static void
test_gzip_bomb (void)
{
  g_autoptr(EaselHostileServer) server = server_new (EASEL_HOSTILE_GZIP_BOMB);
  g_autoptr(EaselClient) client = hostile_client (server);
  g_autoptr(EaselRequest) request = generation_request (FALSE);
  g_auto(Run) run = { 0 };

  run_request (client, request, &run);
  /* 64 KiB on the wire, 64 MiB inflated: the decoded bytes meet the cap. */
  g_assert_error (run.error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE);
  assert_contains (run.error->message, "larger than the 1 MiB limit");
  g_assert_cmpuint (easel_hostile_server_get_n_requests (server), ==, 1);
  drain ();
}

static void
test_endless_error_body (void)
{
  g_autoptr(EaselHostileServer) server = server_new (EASEL_HOSTILE_ENDLESS_ERROR);
  g_autoptr(EaselClient) client = hostile_client (server);
  g_autoptr(EaselRequest) request = generation_request (FALSE);
  g_auto(Run) run = { 0 };

  run_request (client, request, &run);
  g_assert_nonnull (run.error);
  g_assert_true (run.error->domain == EASEL_API_ERROR);
  /* A 500 is retried (twice here); each error body is cut at 64 KiB. */
  g_assert_cmpuint (easel_hostile_server_get_n_requests (server), ==, 3);
  g_assert_cmpuint (easel_hostile_server_get_bytes_sent (server), <, 3 * 4 * SMALL_LIMIT);
  drain ();
}

static gboolean
has_control_chars (const char *s)
{
  for (const char *p = s; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c < 0x20 || (c >= 0x7f && c < 0xa0))
        return TRUE;
    }
  return FALSE;
}

static void
test_control_chars (void)
{
  g_autoptr(EaselHostileServer) server = server_new (EASEL_HOSTILE_CONTROL_CHARS);
  g_autoptr(EaselClient) client = hostile_client (server);
  g_autoptr(EaselRequest) request = generation_request (FALSE);
  g_auto(Run) run = { 0 };

  run_request (client, request, &run);
  g_assert_error (run.error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_REQUEST);
  g_assert_true (g_utf8_validate (run.error->message, -1, NULL));
  assert_contains (run.error->message, "red");
  /* The client keeps server text escaped, so whatever shows or stores
   * the error (the window, the library's error columns) is safe. */
  g_assert_false (has_control_chars (run.error->message));
  assert_contains (run.error->message, "\\x1b[31mred");
  g_assert_false (has_control_chars (easel_api_error_get_error_type (run.error)));
  g_assert_false (has_control_chars (easel_api_error_get_error_code (run.error)));
  g_assert_false (has_control_chars (easel_api_error_get_param (run.error)));
  drain ();
}

/* ---- The easel CLI -------------------------------------------------------- */

typedef struct
{
  int   status;
  char *out;
  char *err;
  char *tmpdir;
} CliRun;

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
cli_run_clear (CliRun *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
  if (run->tmpdir != NULL)
    remove_tree (run->tmpdir);
  g_clear_pointer (&run->tmpdir, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CliRun, cli_run_clear)

static void
communicate_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Runs `easel ARGS…` against @server with small limits; FALSE (and the test
 * skipped) when the CLI was not built. */
static gboolean
run_cli (EaselHostileServer *server,
         const char * const *args,
         CliRun             *run)
{
  const char *cli = g_getenv ("EASEL_CLI");
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data_home = NULL;
  g_autofree char *home = NULL;
  g_autofree char *limit = g_strdup_printf ("%d", SMALL_LIMIT);
  gboolean timed_out = FALSE;
  guint guard;

  if (cli == NULL)
    {
      g_test_skip ("EASEL_CLI is not set: run through meson test");
      return FALSE;
    }

  run->tmpdir = g_dir_make_tmp ("easel-test-hostile-XXXXXX", &error);
  g_assert_no_error (error);
  data_home = g_build_filename (run->tmpdir, "data", NULL);
  home = g_build_filename (run->tmpdir, "home", NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_cwd (launcher, run->tmpdir);
  g_subprocess_launcher_setenv (launcher, "OPENAI_BASE_URL", easel_hostile_server_get_base_url (server), TRUE);
  g_subprocess_launcher_setenv (launcher, "OPENAI_API_KEY", TEST_KEY, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "no_proxy", "127.0.0.1,localhost", TRUE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/easel-test", TRUE);
  g_subprocess_launcher_setenv (launcher, "EASEL_TEST_IDLE_TIMEOUT_S", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "EASEL_TEST_MAX_EVENT_SIZE", limit, TRUE);
  g_subprocess_launcher_setenv (launcher, "EASEL_TEST_MAX_BODY_SIZE", limit, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "OPENAI_ORG_ID");
  g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");

  g_ptr_array_add (argv, (gpointer) cli);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  guard = g_timeout_add_seconds (GUARD_S, on_guard, &timed_out);
  g_subprocess_communicate_utf8_async (process, "", NULL, communicate_cb, &result);
  while (result == NULL)
    {
      g_main_context_iteration (NULL, TRUE);
      if (timed_out)
        {
          g_test_fail_printf ("easel did not exit within %d s", GUARD_S);
          g_subprocess_force_exit (process);
          timed_out = FALSE;
        }
    }
  if (g_main_context_find_source_by_id (NULL, guard) != NULL)
    g_source_remove (guard);

  g_subprocess_communicate_utf8_finish (process, result, &run->out, &run->err, &error);
  g_assert_no_error (error);
  g_subprocess_wait (process, NULL, NULL);
  run->status = g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process) : -1;
  g_test_message ("exit %d\nstdout: %s\nstderr: %s", run->status, run->out, run->err);
  return TRUE;
}

static guint
count_files (const char *dir,
             const char *infix)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (strstr (name, infix) != NULL)
      n++;
  return n;
}

static void
test_cli_endless_partials (void)
{
  g_autoptr(EaselHostileServer) server = server_new (EASEL_HOSTILE_ENDLESS_PARTIALS);
  const char *args[] = { "generate", "--partial-images", "2", "--save-partials", "a fox", NULL };
  g_auto(CliRun) run = { 0 };

  if (!run_cli (server, args, &run))
    return;
  g_assert_cmpint (run.status, !=, 0);
  assert_contains (run.err, "more partial images than the 2 requested");
  g_assert_cmpuint (count_files (run.tmpdir, "-partial-"), <=, 2);
  g_assert_cmpuint (easel_hostile_server_get_n_events_sent (server), <, 5000);
  drain ();
}

static void
test_cli_stall (void)
{
  g_autoptr(EaselHostileServer) server = server_new (EASEL_HOSTILE_STALL);
  const char *args[] = { "generate", "--partial-images", "2", "a fox", NULL };
  g_auto(CliRun) run = { 0 };

  if (!run_cli (server, args, &run))
    return;
  g_assert_cmpint (run.status, !=, 0);
  assert_contains (run.err, "stopped sending for 1 s");
  g_assert_cmpuint (easel_hostile_server_get_n_requests (server), ==, 1);
  drain ();
}

static void
test_cli_oversize_event (void)
{
  g_autoptr(EaselHostileServer) server = server_new (EASEL_HOSTILE_OVERSIZE_EVENT);
  const char *args[] = { "generate", "--partial-images", "2", "a fox", NULL };
  g_auto(CliRun) run = { 0 };

  if (!run_cli (server, args, &run))
    return;
  g_assert_cmpint (run.status, !=, 0);
  assert_contains (run.err, "1 MiB limit");
  g_assert_cmpuint (easel_hostile_server_get_bytes_sent (server), <, 16 * SMALL_LIMIT);
  drain ();
}

static void
test_cli_redirect (void)
{
  g_autoptr(EaselHostileServer) server = server_new (EASEL_HOSTILE_REDIRECT);
  const char *args[] = { "generate", "a fox", NULL };
  g_auto(CliRun) run = { 0 };

  if (!run_cli (server, args, &run))
    return;
  g_assert_cmpint (run.status, !=, 0);
  assert_contains (run.err, "redirected to");
  g_assert_null (strstr (run.err, "SECRETQUERY"));
  g_assert_null (strstr (run.err, TEST_KEY));
  g_assert_null (easel_hostile_server_get_leaked_authorization (server));
  g_assert_cmpuint (easel_hostile_server_get_n_redirect_hits (server), ==, 0);
  drain ();
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/hostile/client/deep-json", test_deep_json);
  g_test_add_func ("/hostile/client/deep-event", test_deep_event);
  g_test_add_func ("/hostile/client/oversize-event", test_oversize_event);
  g_test_add_func ("/hostile/client/endless-partials", test_endless_partials);
  g_test_add_func ("/hostile/client/endless-finals", test_endless_finals);
  g_test_add_func ("/hostile/client/stall-stream", test_stall_stream);
  g_test_add_func ("/hostile/client/stall-body", test_stall_body);
  g_test_add_func ("/hostile/client/redirect", test_redirect);
  g_test_add_func ("/hostile/client/redirect-get", test_redirect_get);
  g_test_add_func ("/hostile/client/gzip-bomb", test_gzip_bomb);
  g_test_add_func ("/hostile/client/endless-error-body", test_endless_error_body);
  g_test_add_func ("/hostile/client/control-chars", test_control_chars);
  g_test_add_func ("/hostile/cli/endless-partials", test_cli_endless_partials);
  g_test_add_func ("/hostile/cli/stall", test_cli_stall);
  g_test_add_func ("/hostile/cli/oversize-event", test_cli_oversize_event);
  g_test_add_func ("/hostile/cli/redirect", test_cli_redirect);

  return g_test_run ();
}
