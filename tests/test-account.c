/* test-account.c: the server and the key an EaselAccount resolves
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GSettings come from the schema compiled in the build tree, on a memory
 * backend. The keyring cases skip when no Secret Service answers.
 */

#define G_LOG_DOMAIN "test-account"

#include "config.h"

#include <string.h>

#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>

#include "easel-account.h"

#define TIMEOUT_MS 10000

static GSettings *
new_settings (void)
{
  g_autoptr(GSettingsSchemaSource) source = NULL;
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettingsBackend) backend = NULL;

  source = g_settings_schema_source_new_from_directory (EASEL_SCHEMA_DIR, NULL, FALSE, NULL);
  if (source == NULL)
    return NULL;
  schema = g_settings_schema_source_lookup (source, SETTINGS_SCHEMA_ID, FALSE);
  if (schema == NULL)
    return NULL;
  backend = g_memory_settings_backend_new ();
  return g_settings_new_full (schema, backend, NULL);
}

typedef gboolean (*Predicate) (EaselAccount *account);

static gboolean
wait_for (Predicate     predicate,
          EaselAccount *account)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;

  while (!predicate (account) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  return predicate (account);
}

static gboolean
is_checked (EaselAccount *account)
{
  return easel_account_get_checked (account);
}

static gboolean
key_from_keyring (EaselAccount *account)
{
  return easel_account_get_key_source (account) == EASEL_KEY_SOURCE_KEYRING;
}

static gboolean
has_no_key (EaselAccount *account)
{
  return !easel_account_get_has_key (account);
}

/* No string property may carry @key. */
static void
assert_key_not_exposed (EaselAccount *account,
                        const char   *key)
{
  guint n = 0;
  g_autofree GParamSpec **pspecs = g_object_class_list_properties (G_OBJECT_GET_CLASS (account), &n);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *value = NULL;

      if (pspecs[i]->value_type != G_TYPE_STRING)
        continue;
      g_object_get (account, pspecs[i]->name, &value, NULL);
      g_assert_true (value == NULL || strstr (value, key) == NULL);
    }
}

/* A per-run server, so no key anyone stored can answer. */
static char *
unique_base_url (void)
{
  return g_strdup_printf ("http://127.0.0.1:9/easel-test-account-%08x", g_random_int ());
}

static void
test_base_url_default (void)
{
  g_autoptr(EaselClient) client = easel_client_new ("https://example.com/v1", NULL);
  g_autoptr(EaselAccount) account = NULL;

  g_unsetenv ("OPENAI_BASE_URL");
  account = easel_account_new (NULL, client);

  g_assert_cmpstr (easel_account_get_base_url (account), ==, EASEL_DEFAULT_BASE_URL);
  g_assert_false (easel_account_get_base_url_from_environment (account));
  g_assert_cmpstr (easel_client_get_base_url (client), ==, EASEL_DEFAULT_BASE_URL);
  g_assert_true (easel_account_get_client (account) == client);
  /* The key is only read by reload(). */
  g_assert_false (easel_account_get_checked (account));
  g_assert_false (easel_account_get_has_key (account));
  g_assert_cmpint (easel_account_get_key_source (account), ==, EASEL_KEY_SOURCE_NONE);
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              guint      *count)
{
  (*count)++;
}

static gboolean
is_local_server (EaselAccount *account)
{
  return g_strcmp0 (easel_account_get_base_url (account), "http://127.0.0.1:4010/v1") == 0;
}

static void
test_base_url_setting (void)
{
  g_autoptr(GSettings) settings = new_settings ();
  g_autoptr(EaselClient) client = easel_client_new (EASEL_DEFAULT_BASE_URL, NULL);
  g_autoptr(EaselAccount) account = NULL;
  guint notified = 0;

  if (settings == NULL)
    {
      g_test_skip ("The compiled GSettings schema is not in " EASEL_SCHEMA_DIR);
      return;
    }

  /* An environment key keeps the keyring out of this case. */
  g_setenv ("OPENAI_API_KEY", "sk-test-account-setting", TRUE);
  g_unsetenv ("OPENAI_BASE_URL");
  g_settings_set_string (settings, "base-url", "https://example.com/openai/v1/");
  g_settings_set_string (settings, "organization", "org-test");
  account = easel_account_new (settings, client);

  /* Trailing slashes go, as before. */
  g_assert_cmpstr (easel_account_get_base_url (account), ==, "https://example.com/openai/v1");
  g_assert_cmpstr (easel_client_get_base_url (client), ==, "https://example.com/openai/v1");
  g_assert_false (easel_account_get_base_url_from_environment (account));

  /* The account follows the setting by itself. */
  g_signal_connect (account, "notify::base-url", G_CALLBACK (count_notify), &notified);
  g_settings_set_string (settings, "base-url", "http://127.0.0.1:4010/v1///");
  g_assert_true (wait_for (is_local_server, account));
  g_assert_cmpuint (notified, ==, 1);
  g_assert_cmpstr (easel_client_get_base_url (client), ==, "http://127.0.0.1:4010/v1");

  /* A setting that does not parse (plain http:// to a remote host) is not
   * used: OpenAI's server is. */
  g_settings_set_string (settings, "base-url", "http://example.com/v1");
  easel_account_reload (account);
  g_assert_cmpstr (easel_account_get_base_url (account), ==, EASEL_DEFAULT_BASE_URL);

  /* An empty setting means OpenAI's. */
  g_settings_set_string (settings, "base-url", "");
  easel_account_reload (account);
  g_assert_cmpstr (easel_account_get_base_url (account), ==, EASEL_DEFAULT_BASE_URL);

  g_unsetenv ("OPENAI_API_KEY");
}

static void
test_base_url_environment (void)
{
  g_autoptr(GSettings) settings = new_settings ();
  g_autoptr(EaselClient) client = easel_client_new (EASEL_DEFAULT_BASE_URL, NULL);
  g_autoptr(EaselAccount) account = NULL;

  if (settings == NULL)
    {
      g_test_skip ("The compiled GSettings schema is not in " EASEL_SCHEMA_DIR);
      return;
    }

  g_setenv ("OPENAI_API_KEY", "sk-test-account-env-url", TRUE);
  g_settings_set_string (settings, "base-url", "https://example.com/v1");
  g_setenv ("OPENAI_BASE_URL", "http://localhost:4010/v1/", TRUE);
  account = easel_account_new (settings, client);

  /* OPENAI_BASE_URL wins over the setting. */
  g_assert_cmpstr (easel_account_get_base_url (account), ==, "http://localhost:4010/v1");
  g_assert_true (easel_account_get_base_url_from_environment (account));
  g_assert_cmpstr (easel_client_get_base_url (client), ==, "http://localhost:4010/v1");

  /* Without it, the setting is back on the next reload. */
  g_unsetenv ("OPENAI_BASE_URL");
  easel_account_reload (account);
  g_assert_cmpstr (easel_account_get_base_url (account), ==, "https://example.com/v1");
  g_assert_false (easel_account_get_base_url_from_environment (account));
  g_assert_cmpstr (easel_client_get_base_url (client), ==, "https://example.com/v1");

  g_unsetenv ("OPENAI_API_KEY");
}

static void
test_key_environment (void)
{
  g_autoptr(EaselClient) client = easel_client_new (EASEL_DEFAULT_BASE_URL, NULL);
  g_autoptr(EaselAccount) account = NULL;
  g_autofree char *base_url = unique_base_url ();

  g_setenv ("OPENAI_BASE_URL", base_url, TRUE);
  g_setenv ("OPENAI_API_KEY", "  sk-test-account-environment\n", TRUE);
  account = easel_account_new (NULL, client);
  easel_account_reload (account);

  /* The environment answers at once, without the keyring. */
  g_assert_true (easel_account_get_checked (account));
  g_assert_cmpint (easel_account_get_key_source (account), ==, EASEL_KEY_SOURCE_ENVIRONMENT);
  g_assert_true (easel_account_get_has_key (account));
  g_assert_null (easel_account_get_key_error (account));
  g_assert_true (easel_client_has_api_key (client));
  assert_key_not_exposed (account, "sk-test-account-environment");

  /* An empty variable is no key: the keyring is asked, and has none for
   * this server (or there is no keyring). */
  g_setenv ("OPENAI_API_KEY", " ", TRUE);
  easel_account_reload (account);
  if (!wait_for (has_no_key, account))
    g_test_skip ("Neither a Secret Service nor an error answered within 10 s");
  else
    g_assert_cmpint (easel_account_get_key_source (account), ==, EASEL_KEY_SOURCE_NONE);

  g_unsetenv ("OPENAI_API_KEY");
  g_unsetenv ("OPENAI_BASE_URL");
}

static void
test_key_none (void)
{
  g_autoptr(EaselClient) client = easel_client_new (EASEL_DEFAULT_BASE_URL, NULL);
  g_autoptr(EaselAccount) account = NULL;
  g_autofree char *base_url = unique_base_url ();
  const char *error;

  g_unsetenv ("OPENAI_API_KEY");
  g_setenv ("OPENAI_BASE_URL", base_url, TRUE);
  account = easel_account_new (NULL, client);
  easel_account_reload (account);

  if (!wait_for (is_checked, account))
    {
      g_test_skip ("Neither a Secret Service nor an error answered within 10 s");
      return;
    }

  /* No key anywhere: with or without a keyring, the client has none. */
  g_assert_false (easel_account_get_has_key (account));
  g_assert_cmpint (easel_account_get_key_source (account), ==, EASEL_KEY_SOURCE_NONE);
  g_assert_false (easel_client_has_api_key (client));

  /* Without a keyring, the error says what to do instead. */
  error = easel_account_get_key_error (account);
  if (error != NULL)
    {
      g_test_message ("No keyring here: %s", error);
      g_assert_nonnull (strstr (error, "OPENAI_API_KEY"));
    }

  g_unsetenv ("OPENAI_BASE_URL");
}

static void
test_key_keyring (void)
{
  g_autoptr(EaselClient) client = easel_client_new (EASEL_DEFAULT_BASE_URL, NULL);
  g_autoptr(EaselAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *base_url = unique_base_url ();
  g_autofree char *key = g_strdup_printf ("sk-test-account-%08x", g_random_int ());

  g_unsetenv ("OPENAI_API_KEY");
  g_setenv ("OPENAI_BASE_URL", base_url, TRUE);

  if (!easel_secret_store_sync (base_url, key, NULL, &error))
    {
      g_autofree char *why = g_strdup_printf ("No Secret Service answered, keyring part skipped: %s",
                                              error->message);
      g_test_skip (why);
      g_unsetenv ("OPENAI_BASE_URL");
      return;
    }

  account = easel_account_new (NULL, client);
  easel_account_reload (account);
  g_assert_true (wait_for (key_from_keyring, account));
  g_assert_true (easel_account_get_checked (account));
  g_assert_true (easel_account_get_has_key (account));
  g_assert_null (easel_account_get_key_error (account));
  g_assert_true (easel_client_has_api_key (client));
  assert_key_not_exposed (account, key);

  /* OPENAI_API_KEY wins over the keyring, like the CLI. */
  g_setenv ("OPENAI_API_KEY", "sk-test-account-wins", TRUE);
  easel_account_reload (account);
  g_assert_cmpint (easel_account_get_key_source (account), ==, EASEL_KEY_SOURCE_ENVIRONMENT);
  g_unsetenv ("OPENAI_API_KEY");

  /* Removed from the keyring, the key is gone after a reload. */
  g_assert_true (easel_secret_clear_sync (base_url, NULL, &error));
  g_assert_no_error (error);
  easel_account_reload (account);
  g_assert_true (wait_for (has_no_key, account));
  g_assert_cmpint (easel_account_get_key_source (account), ==, EASEL_KEY_SOURCE_NONE);
  g_assert_false (easel_client_has_api_key (client));

  g_unsetenv ("OPENAI_BASE_URL");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/account/base-url/default", test_base_url_default);
  g_test_add_func ("/account/base-url/setting", test_base_url_setting);
  g_test_add_func ("/account/base-url/environment", test_base_url_environment);
  g_test_add_func ("/account/key/environment", test_key_environment);
  g_test_add_func ("/account/key/none", test_key_none);
  g_test_add_func ("/account/key/keyring", test_key_keyring);

  return g_test_run ();
}
