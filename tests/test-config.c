/* test-config.c: base URL rules and the keyring round-trip
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-config"

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "easel-config.h"

/* Base URL validation ------------------------------------------------------ */

typedef struct
{
  const char *input;
  const char *expected;   /* NULL: must be refused */
  int         code;       /* EaselConfigErrorCode when refused */
} UrlCase;

#define OK(in, out)      { in, out, -1 }
#define BAD(in, code)    { in, NULL, EASEL_CONFIG_ERROR_##code }

static const UrlCase url_cases[] = {
  OK ("https://api.openai.com/v1", "https://api.openai.com/v1"),
  OK ("https://api.openai.com/v1/", "https://api.openai.com/v1"),
  OK ("https://api.openai.com/v1///", "https://api.openai.com/v1"),
  OK ("  https://api.openai.com/v1\n", "https://api.openai.com/v1"),
  OK ("HTTPS://API.OpenAI.com/v1", "https://api.openai.com/v1"),
  OK ("https://api.openai.com:443/v1", "https://api.openai.com/v1"),
  OK ("https://example.com:8443/openai/v1/", "https://example.com:8443/openai/v1"),
  OK ("https://example.com", "https://example.com"),
  OK ("https://example.com/", "https://example.com"),
  OK ("https://10.0.0.5/v1", "https://10.0.0.5/v1"),
  OK ("https://b\xc3\xbc" "cher.example/v1", "https://xn--bcher-kva.example/v1"),
  OK ("https://my_proxy.internal/openai/v1", "https://my_proxy.internal/openai/v1"),
  OK ("http://127.0.0.1:4010/v1", "http://127.0.0.1:4010/v1"),
  OK ("http://127.0.0.1:4010/v1/", "http://127.0.0.1:4010/v1"),
  OK ("http://127.1.2.3/v1", "http://127.1.2.3/v1"),
  OK ("http://127.255.255.254:80/", "http://127.255.255.254"),
  OK ("http://localhost:8080/v1/", "http://localhost:8080/v1"),
  OK ("http://LOCALHOST/v1", "http://localhost/v1"),
  OK ("http://[::1]:4010/v1", "http://[::1]:4010/v1"),
  OK ("http://[::1]/", "http://[::1]"),

  BAD ("http://api.openai.com/v1", INSECURE_URL),
  BAD ("http://192.168.1.10/v1", INSECURE_URL),
  BAD ("http://10.0.0.1/v1", INSECURE_URL),
  BAD ("http://128.0.0.1/v1", INSECURE_URL),
  BAD ("http://126.255.255.255/v1", INSECURE_URL),
  BAD ("http://0.0.0.0:4010/v1", INSECURE_URL),
  BAD ("http://localhost.example.com/v1", INSECURE_URL),
  BAD ("http://127.0.0.1.nip.io/v1", INSECURE_URL),
  BAD ("http://[::2]/v1", INSECURE_URL),
  BAD ("http://[fe80::1]/v1", INSECURE_URL),

  BAD ("", INVALID_URL),
  BAD ("   ", INVALID_URL),
  BAD ("not a url", INVALID_URL),
  BAD ("api.openai.com/v1", INVALID_URL),
  BAD ("ftp://example.com/v1", INVALID_URL),
  BAD ("file:///etc/passwd", INVALID_URL),
  BAD ("javascript:alert(1)", INVALID_URL),
  BAD ("https://", INVALID_URL),
  BAD ("https:///v1", INVALID_URL),
  BAD ("https://user:secret@example.com/v1", INVALID_URL),
  BAD ("https://example.com/v1?api-version=1", INVALID_URL),
  BAD ("https://example.com/v1#top", INVALID_URL),
  BAD ("https://exa mple.com/v1", INVALID_URL),
  BAD ("https://example.com:99999/v1", INVALID_URL),
  BAD ("https://example.com:0/v1", INVALID_URL),
  BAD ("https://[::1/v1", INVALID_URL),
};

static void
test_url_table (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (url_cases); i++)
    {
      const UrlCase *c = &url_cases[i];
      g_autoptr(GError) error = NULL;
      g_autoptr(GError) resolve_error = NULL;
      g_autofree char *resolved = NULL;
      gboolean valid;

      g_test_message ("case %u: '%s'", i, c->input);

      valid = easel_config_validate_base_url (c->input, &error);
      /* The explicit URL always wins, so resolve() shows the normalised form. */
      resolved = easel_config_resolve_base_url (c->input[0] ? c->input : "\x20", NULL, &resolve_error);

      if (c->expected != NULL)
        {
          g_assert_no_error (error);
          g_assert_true (valid);
          g_assert_no_error (resolve_error);
          g_assert_cmpstr (resolved, ==, c->expected);
          /* Normalising twice changes nothing. */
          g_assert_true (easel_config_validate_base_url (resolved, NULL));
        }
      else
        {
          g_assert_false (valid);
          g_assert_error (error, EASEL_CONFIG_ERROR, c->code);
          g_assert_nonnull (error->message);
          g_assert_cmpstr (error->message, !=, "");
          g_assert_null (resolved);
          g_assert_nonnull (resolve_error);
        }
    }
}

static void
test_url_no_password_echo (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (easel_config_validate_base_url ("https://me:hunter2@example.com/v1", &error));
  g_assert_error (error, EASEL_CONFIG_ERROR, EASEL_CONFIG_ERROR_INVALID_URL);
  g_assert_null (strstr (error->message, "hunter2"));
}

typedef struct
{
  const char *explicit_url;
  const char *env;
  const char *setting;
  const char *expected;
} ResolveCase;

static const ResolveCase resolve_cases[] = {
  { NULL, NULL, NULL, EASEL_DEFAULT_BASE_URL },
  { "", "", "", EASEL_DEFAULT_BASE_URL },
  { NULL, NULL, "https://setting.example/v1/", "https://setting.example/v1" },
  { NULL, "http://127.0.0.1:1234/v1", "https://setting.example/v1", "http://127.0.0.1:1234/v1" },
  { "https://flag.example/v1", "http://127.0.0.1:1234/v1", "https://setting.example/v1", "https://flag.example/v1" },
  { "", "http://localhost:1/", "https://setting.example/v1", "http://localhost:1" },
  { "", "", "https://setting.example/v1", "https://setting.example/v1" },
};

static void
test_resolve_order (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (resolve_cases); i++)
    {
      const ResolveCase *c = &resolve_cases[i];
      g_autoptr(GError) error = NULL;
      g_autofree char *url = NULL;

      g_test_message ("resolve case %u", i);

      if (c->env != NULL)
        g_setenv ("OPENAI_BASE_URL", c->env, TRUE);
      else
        g_unsetenv ("OPENAI_BASE_URL");

      url = easel_config_resolve_base_url (c->explicit_url, c->setting, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (url, ==, c->expected);
    }

  g_unsetenv ("OPENAI_BASE_URL");
}

static void
test_resolve_env_error_names_origin (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  g_setenv ("OPENAI_BASE_URL", "http://evil.example/v1", TRUE);
  url = easel_config_resolve_base_url (NULL, "https://setting.example/v1", &error);
  g_unsetenv ("OPENAI_BASE_URL");

  g_assert_null (url);
  g_assert_error (error, EASEL_CONFIG_ERROR, EASEL_CONFIG_ERROR_INSECURE_URL);
  g_assert_nonnull (strstr (error->message, "OPENAI_BASE_URL"));
}

static void
test_api_key_from_environment (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  EaselKeySource source = EASEL_KEY_SOURCE_KEYRING;

  g_setenv ("OPENAI_API_KEY", "  sk-from-env\n", TRUE);
  /* The environment wins before the keyring is ever asked, even for a
   * server whose URL would be refused. */
  key = easel_config_get_api_key_sync ("http://127.0.0.1:1/v1", &source, &error);
  g_unsetenv ("OPENAI_API_KEY");

  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, "sk-from-env");
  g_assert_cmpint (source, ==, EASEL_KEY_SOURCE_ENVIRONMENT);
}

/* Keyring without a Secret Service ------------------------------------------ */

static void
test_no_secret_service (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *key = NULL;
      EaselKeySource source = EASEL_KEY_SOURCE_KEYRING;

      /* A fresh process that has not touched D-Bus yet: point it at a bus
       * that does not exist, so no Secret Service can be reached. */
      g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/easel-test-bus", TRUE);
      g_unsetenv ("OPENAI_API_KEY");

      key = easel_secret_lookup_sync (NULL, NULL, &error);
      g_assert_null (key);
      g_assert_error (error, EASEL_CONFIG_ERROR, EASEL_CONFIG_ERROR_NO_SECRET_SERVICE);
      g_clear_error (&error);

      g_assert_false (easel_secret_store_sync (NULL, "sk-never-stored", NULL, &error));
      g_assert_error (error, EASEL_CONFIG_ERROR, EASEL_CONFIG_ERROR_NO_SECRET_SERVICE);
      g_clear_error (&error);

      g_assert_false (easel_secret_clear_sync (NULL, NULL, &error));
      g_assert_error (error, EASEL_CONFIG_ERROR, EASEL_CONFIG_ERROR_NO_SECRET_SERVICE);
      g_clear_error (&error);

      key = easel_config_get_api_key_sync (NULL, &source, &error);
      g_assert_null (key);
      g_assert_error (error, EASEL_CONFIG_ERROR, EASEL_CONFIG_ERROR_NO_KEY);
      g_assert_nonnull (strstr (error->message, "OPENAI_API_KEY"));
      g_assert_cmpint (source, ==, EASEL_KEY_SOURCE_NONE);
      return;
    }

  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* Keyring round-trip ------------------------------------------------------- */

static gboolean
secret_service_running (void)
{
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GVariant) reply = NULL;
  gboolean has_owner = FALSE;

  /* Without an explicit bus, GDBus would autolaunch one, and activating a
   * keyring there would prompt for a password and hang. */
  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL)
    return FALSE;

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  if (bus == NULL)
    return FALSE;

  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", "org.freedesktop.secrets"),
                                       G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE,
                                       5000, NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &has_owner);

  return has_owner;
}

static gboolean
skip_without_keyring (void)
{
  if (secret_service_running ())
    return FALSE;

  g_test_skip ("No Secret Service on the session bus; run under tools/run-tests.sh "
               "(dbus-run-session plus an unlocked gnome-keyring-daemon)");
  return TRUE;
}

static gboolean
buffer_contains (const char *haystack,
                 gsize       haystack_len,
                 const char *needle,
                 gsize       needle_len)
{
  const char *end = haystack + haystack_len;

  for (const char *p = haystack; needle_len > 0 && (gsize) (end - p) >= needle_len; p++)
    {
      p = memchr (p, needle[0], end - p);
      if (p == NULL || (gsize) (end - p) < needle_len)
        return FALSE;
      if (memcmp (p, needle, needle_len) == 0)
        return TRUE;
    }

  return FALSE;
}

/* Returns the first regular file under @dir holding @needle, or NULL. */
static char *
find_file_containing (const char *dir,
                      const char *needle,
                      guint      *budget)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return NULL;

  while ((name = g_dir_read_name (d)) != NULL && *budget > 0)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *contents = NULL;
      GStatBuf st;
      gsize len;

      (*budget)--;

      if (g_lstat (path, &st) != 0)
        continue;

      if (S_ISDIR (st.st_mode))
        {
          char *found = find_file_containing (path, needle, budget);
          if (found != NULL)
            return found;
          continue;
        }

      /* Sockets, FIFOs and symlinks cannot hold a written key; huge files
       * are not ours. */
      if (!S_ISREG (st.st_mode) || st.st_size > 64 * 1024 * 1024)
        continue;

      if (g_file_get_contents (path, &contents, &len, NULL) &&
          buffer_contains (contents, len, needle, strlen (needle)))
        return g_steal_pointer (&path);
    }

  return NULL;
}

static char *
random_token (void)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < 4; i++)
    g_string_append_printf (s, "%08x", g_random_int ());

  return g_string_free (s, FALSE);
}

/* The scanner must be able to fail, or the HOME check proves nothing. */
static void
test_scanner_finds_planted_key (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("easel-test-scan-XXXXXX", &error);
  g_autofree char *token = random_token ();
  g_autofree char *sub = NULL;
  g_autofree char *file = NULL;
  g_autofree char *found = NULL;
  g_autofree char *contents = NULL;
  guint budget = 1000;

  g_assert_no_error (error);
  sub = g_build_filename (dir, "a", "b", NULL);
  g_assert_cmpint (g_mkdir_with_parents (sub, 0700), ==, 0);
  file = g_build_filename (sub, "config", NULL);

  g_assert_null (find_file_containing (dir, token, &budget));

  contents = g_strdup_printf ("%c%cprefix %s suffix", 0, 1, token);
  g_file_set_contents (file, contents, 2 + strlen (contents + 2), &error);
  g_assert_no_error (error);

  found = find_file_containing (dir, token, &budget);
  g_assert_cmpstr (found, ==, file);

  g_remove (file);
  g_rmdir (sub);
  sub[strlen (sub) - 2] = '\0';
  g_rmdir (sub);
  g_rmdir (dir);
}

static void
test_keyring_sync_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *key = NULL;
  g_autofree char *padded = NULL;
  g_autofree char *base = NULL;
  g_autofree char *base_slash = NULL;
  g_autofree char *other = NULL;
  g_autofree char *found = NULL;
  g_autofree char *got = NULL;
  EaselKeySource source = EASEL_KEY_SOURCE_NONE;
  guint budget = 20000;

  if (skip_without_keyring ())
    return;

  g_unsetenv ("OPENAI_API_KEY");

  /* A fresh key and server per run: a stale secret cannot pass the test,
   * and a real user's key is never touched. */
  token = random_token ();
  key = g_strdup_printf ("sk-easel-test-%s", token);
  padded = g_strdup_printf ("%s\n", key);
  base = g_strdup_printf ("http://127.0.0.1:9/easel-test-%s/v1", token);
  base_slash = g_strdup_printf ("%s/", base);
  other = g_strdup_printf ("http://127.0.0.1:9/easel-other-%s/v1", token);

  got = easel_secret_lookup_sync (base, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (got);

  g_assert_true (easel_secret_store_sync (base_slash, padded, NULL, &error));
  g_assert_no_error (error);

  got = easel_secret_lookup_sync (base, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (got, ==, key);
  g_clear_pointer (&got, g_free);

  /* Each server keeps its own key. */
  got = easel_secret_lookup_sync (other, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (got);

  got = easel_config_get_api_key_sync (base_slash, &source, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (got, ==, key);
  g_assert_cmpint (source, ==, EASEL_KEY_SOURCE_KEYRING);
  g_clear_pointer (&got, g_free);

  g_setenv ("OPENAI_API_KEY", "sk-env-wins", TRUE);
  got = easel_config_get_api_key_sync (base, &source, &error);
  g_unsetenv ("OPENAI_API_KEY");
  g_assert_no_error (error);
  g_assert_cmpstr (got, ==, "sk-env-wins");
  g_assert_cmpint (source, ==, EASEL_KEY_SOURCE_ENVIRONMENT);
  g_clear_pointer (&got, g_free);

  /* The keyring encrypts what it writes; the key must not appear in the
   * clear anywhere under $HOME. Only a throw-away HOME (as run-tests.sh
   * sets up) is scanned, never a developer's real one. */
  if (g_str_has_prefix (g_get_home_dir (), g_get_tmp_dir ()))
    {
      found = find_file_containing (g_get_home_dir (), key, &budget);
      g_assert_cmpstr (found, ==, NULL);
      g_assert_cmpuint (budget, >, 0);
    }
  else
    g_test_message ("HOME is not a temporary directory; not scanning it for the key");

  g_assert_true (easel_secret_clear_sync (base, NULL, &error));
  g_assert_no_error (error);

  got = easel_secret_lookup_sync (base, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (got);

  got = easel_config_get_api_key_sync (base, &source, &error);
  g_assert_error (error, EASEL_CONFIG_ERROR, EASEL_CONFIG_ERROR_NO_KEY);
  g_assert_null (got);
  g_assert_cmpint (source, ==, EASEL_KEY_SOURCE_NONE);
  g_clear_error (&error);

  /* Clearing what is not there is not an error. */
  g_assert_true (easel_secret_clear_sync (base, NULL, &error));
  g_assert_no_error (error);
}

static void
store_result_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
  g_main_context_wakeup (NULL);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);

  return *slot;
}

static void
test_keyring_async_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *token = NULL;
  g_autofree char *key1 = NULL;
  g_autofree char *key2 = NULL;
  g_autofree char *base = NULL;
  g_autofree char *got = NULL;

  if (skip_without_keyring ())
    return;

  token = random_token ();
  key1 = g_strdup_printf ("sk-easel-async-1-%s", token);
  key2 = g_strdup_printf ("sk-easel-async-2-%s", token);
  base = g_strdup_printf ("http://[::1]:9/easel-async-%s/v1", token);

  easel_secret_store_async (base, key1, NULL, store_result_cb, &result);
  g_assert_true (easel_secret_store_finish (wait_for (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  /* Storing again under the same server replaces the key. */
  easel_secret_store_async (base, key2, NULL, store_result_cb, &result);
  g_assert_true (easel_secret_store_finish (wait_for (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  easel_secret_lookup_async (base, NULL, store_result_cb, &result);
  got = easel_secret_lookup_finish (wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (got, ==, key2);
  g_clear_pointer (&got, g_free);
  g_clear_object (&result);

  easel_secret_clear_async (base, NULL, store_result_cb, &result);
  g_assert_true (easel_secret_clear_finish (wait_for (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  easel_secret_lookup_async (base, NULL, store_result_cb, &result);
  got = easel_secret_lookup_finish (wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_null (got);
  g_clear_object (&result);

  /* An invalid URL fails through the callback, not with a critical. */
  easel_secret_lookup_async ("http://example.com/v1", NULL, store_result_cb, &result);
  got = easel_secret_lookup_finish (wait_for (&result), &error);
  g_assert_error (error, EASEL_CONFIG_ERROR, EASEL_CONFIG_ERROR_INSECURE_URL);
  g_assert_null (got);
}

static void
test_invalid_url_fails_async_without_keyring (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  /* Validation happens before any D-Bus traffic, so this needs no keyring. */
  easel_secret_store_async ("ftp://example.com", "sk-x", NULL, store_result_cb, &result);
  g_assert_false (easel_secret_store_finish (wait_for (&result), &error));
  g_assert_error (error, EASEL_CONFIG_ERROR, EASEL_CONFIG_ERROR_INVALID_URL);
  g_clear_error (&error);
  g_clear_object (&result);

  easel_secret_store_async (NULL, "  \n", NULL, store_result_cb, &result);
  g_assert_false (easel_secret_store_finish (wait_for (&result), &error));
  g_assert_error (error, EASEL_CONFIG_ERROR, EASEL_CONFIG_ERROR_NO_KEY);
}

int
main (int   argc,
      char *argv[])
{
  /* The developer's own settings must not steer the tests; unset them
   * before any thread exists. */
  g_unsetenv ("OPENAI_API_KEY");
  g_unsetenv ("OPENAI_BASE_URL");

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/config/url-table", test_url_table);
  g_test_add_func ("/core/config/url-no-password-echo", test_url_no_password_echo);
  g_test_add_func ("/core/config/resolve-order", test_resolve_order);
  g_test_add_func ("/core/config/resolve-env-error", test_resolve_env_error_names_origin);
  g_test_add_func ("/core/config/api-key-env", test_api_key_from_environment);
  g_test_add_func ("/core/config/invalid-url-async", test_invalid_url_fails_async_without_keyring);
  g_test_add_func ("/core/config/no-secret-service", test_no_secret_service);
  g_test_add_func ("/core/config/home-scanner", test_scanner_finds_planted_key);
  g_test_add_func ("/core/config/keyring-sync", test_keyring_sync_round_trip);
  g_test_add_func ("/core/config/keyring-async", test_keyring_async_round_trip);

  return g_test_run ();
}
