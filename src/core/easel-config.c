/* easel-config.c: where the key and base URL come from
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-config"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#ifdef HAVE_PR_SET_DUMPABLE
#include <sys/prctl.h>
#endif

#include <glib/gi18n-lib.h>
#include <libsecret/secret.h>

#include "easel-config.h"

void
easel_process_protect_secrets (void)
{
  struct rlimit no_core = { 0, 0 };

  if (setrlimit (RLIMIT_CORE, &no_core) != 0)
    g_debug ("setrlimit(RLIMIT_CORE, 0) failed: %s", g_strerror (errno));
#ifdef HAVE_PR_SET_DUMPABLE
  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    g_debug ("prctl(PR_SET_DUMPABLE, 0) failed: %s", g_strerror (errno));
#endif
}

G_DEFINE_QUARK (easel-config-error-quark, easel_config_error)

G_DEFINE_ENUM_TYPE (EaselKeySource, easel_key_source,
                    G_DEFINE_ENUM_VALUE (EASEL_KEY_SOURCE_NONE, "none"),
                    G_DEFINE_ENUM_VALUE (EASEL_KEY_SOURCE_KEYRING, "keyring"),
                    G_DEFINE_ENUM_VALUE (EASEL_KEY_SOURCE_ENVIRONMENT, "environment"))

/* Designated initialisers: SecretSchema has reserved fields that -Wextra
 * would otherwise complain about (TOOLCHAIN gotcha 4). */
static const SecretSchema easel_secret_schema = {
  .name = "io.github.easelstudio.Easel.ApiKey",
  .flags = SECRET_SCHEMA_NONE,
  .attributes = {
    { .name = "base-url", .type = SECRET_SCHEMA_ATTRIBUTE_STRING },
    { .name = NULL, .type = 0 },
  },
};

GSettings *
easel_config_dup_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source == NULL ||
      (schema = g_settings_schema_source_lookup (source, SETTINGS_SCHEMA_ID, TRUE)) == NULL)
    return NULL;
  return g_settings_new_full (schema, NULL, NULL);
}

const void *
easel_secret_get_schema (void)
{
  return &easel_secret_schema;
}

/* Base URLs ---------------------------------------------------------------- */

static gboolean
host_is_loopback (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  g_assert (host != NULL);

  /* Only the literal name: "localhost.example.com" is not loopback, and
   * we do not resolve names here (resolving could be answered by anyone). */
  if (g_ascii_strcasecmp (host, "localhost") == 0 ||
      g_ascii_strcasecmp (host, "localhost.") == 0)
    return TRUE;

  /* GUri strips the brackets of IPv6 literals; a zone id ("::1%lo") is
   * left on, so cut it before parsing. */
  if (strchr (host, '%') != NULL)
    {
      g_autofree char *bare = g_strndup (host, strchr (host, '%') - host);
      address = g_inet_address_new_from_string (bare);
    }
  else
    address = g_inet_address_new_from_string (host);

  /* Covers all of 127.0.0.0/8 and ::1. */
  return address != NULL && g_inet_address_get_is_loopback (address);
}

/* GUri accepts nearly anything as a host name ("exa mple.com"); allow only
 * IP literals and DNS names (IDN converted to ASCII), in lower case. */
static char *
host_to_ascii (const char *host)
{
  g_autofree char *ascii = NULL;

  g_assert (host != NULL);

  if (g_hostname_is_ip_address (host))
    return g_ascii_strdown (host, -1);

  ascii = g_hostname_to_ascii (host);
  if (ascii == NULL || ascii[0] == '\0' || ascii[0] == '.' || ascii[0] == '-')
    return NULL;

  for (const char *p = ascii; *p; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.' && *p != '_')
        return NULL;
    }

  return g_ascii_strdown (ascii, -1);
}

/* Returns the normalised form of @url (scheme and host lower case, no
 * trailing slash, default port dropped) or NULL with @error set. */
static char *
normalise_base_url (const char *url,
                    GError    **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GString) path = NULL;
  g_autofree char *stripped = NULL;
  g_autofree char *scheme = NULL;
  g_autofree char *host = NULL;
  int port;

  g_assert (url != NULL);

  stripped = g_strstrip (g_strdup (url));

  if (stripped[0] == '\0')
    {
      g_set_error_literal (error, EASEL_CONFIG_ERROR, EASEL_CONFIG_ERROR_INVALID_URL,
                           _("The base URL is empty"));
      return NULL;
    }

  uri = g_uri_parse (stripped, G_URI_FLAGS_ENCODED_PATH | G_URI_FLAGS_SCHEME_NORMALIZE, &local_error);
  if (uri == NULL)
    {
      g_set_error (error, EASEL_CONFIG_ERROR, EASEL_CONFIG_ERROR_INVALID_URL,
                   _("“%s” is not a valid base URL: %s"),
                   stripped, local_error->message);
      return NULL;
    }

  scheme = g_ascii_strdown (g_uri_get_scheme (uri), -1);
  if (!g_str_equal (scheme, "https") && !g_str_equal (scheme, "http"))
    {
      g_set_error (error, EASEL_CONFIG_ERROR, EASEL_CONFIG_ERROR_INVALID_URL,
                   _("The base URL must start with https:// (got “%s”)"),
                   stripped);
      return NULL;
    }

  if (g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0')
    {
      g_set_error (error, EASEL_CONFIG_ERROR, EASEL_CONFIG_ERROR_INVALID_URL,
                   _("The base URL “%s” has no host name"), stripped);
      return NULL;
    }

  /* A password in the URL would end up in logs, settings and error
   * messages, so refuse it without echoing the URL back. */
  if (g_uri_get_userinfo (uri) != NULL)
    {
      g_set_error_literal (error, EASEL_CONFIG_ERROR, EASEL_CONFIG_ERROR_INVALID_URL,
                           _("The base URL must not contain a user name or password"));
      return NULL;
    }

  /* Endpoint paths get appended to the base URL, which breaks with a
   * query or fragment in the middle. */
  if (g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL)
    {
      g_set_error (error, EASEL_CONFIG_ERROR, EASEL_CONFIG_ERROR_INVALID_URL,
                   _("The base URL “%s” must not contain “?” or “#”"), stripped);
      return NULL;
    }

  host = host_to_ascii (g_uri_get_host (uri));
  if (host == NULL)
    {
      g_set_error (error, EASEL_CONFIG_ERROR, EASEL_CONFIG_ERROR_INVALID_URL,
                   _("The base URL “%s” has an invalid host name"), stripped);
      return NULL;
    }

  if (g_str_equal (scheme, "http") && !host_is_loopback (host))
    {
      g_set_error (error, EASEL_CONFIG_ERROR, EASEL_CONFIG_ERROR_INSECURE_URL,
                   _("The base URL “%s” uses plain http://, which is only allowed "
                     "for localhost, 127.0.0.0/8 and ::1; use https://"),
                   stripped);
      return NULL;
    }

  port = g_uri_get_port (uri);
  if (port == 0)
    {
      g_set_error (error, EASEL_CONFIG_ERROR, EASEL_CONFIG_ERROR_INVALID_URL,
                   _("The base URL “%s” has an invalid port"), stripped);
      return NULL;
    }

  /* Default ports add nothing but a second spelling of the same key. */
  if ((g_str_equal (scheme, "https") && port == 443) ||
      (g_str_equal (scheme, "http") && port == 80))
    port = -1;

  path = g_string_new (g_uri_get_path (uri));
  while (path->len > 0 && path->str[path->len - 1] == '/')
    g_string_truncate (path, path->len - 1);

  return g_uri_join (G_URI_FLAGS_ENCODED_PATH,
                     scheme, NULL, host, port, path->str, NULL, NULL);
}

gboolean
easel_config_validate_base_url (const char  *url,
                                GError     **error)
{
  g_autofree char *normalised = NULL;

  g_return_val_if_fail (url != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  normalised = normalise_base_url (url, error);

  return normalised != NULL;
}

static inline gboolean
is_set (const char *s)
{
  return s != NULL && s[0] != '\0';
}

char *
easel_config_resolve_base_url (const char  *explicit_url,
                               const char  *setting,
                               GError     **error)
{
  const char *env = g_getenv ("OPENAI_BASE_URL");
  const char *origin;
  const char *url;
  char *normalised;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Say where a bad value came from, so the user knows what to fix. */
  if (is_set (explicit_url))
    url = explicit_url, origin = NULL;
  else if (is_set (env))
    url = env, origin = "OPENAI_BASE_URL";
  else if (is_set (setting))
    url = setting, origin = NULL;
  else
    url = EASEL_DEFAULT_BASE_URL, origin = NULL;

  normalised = normalise_base_url (url, error);

  if (normalised == NULL && origin != NULL)
    g_prefix_error (error, "%s: ", origin);

  return normalised;
}

/* Keyring ------------------------------------------------------------------ */

/* Maps "there is no Secret Service to talk to" (no session bus, nobody
 * owning org.freedesktop.secrets and nothing to activate, a dead bus) to
 * EASEL_CONFIG_ERROR_NO_SECRET_SERVICE so callers can fall back to
 * OPENAI_API_KEY; anything else (a locked keyring, a dismissed prompt,
 * cancellation) passes through unchanged. */
static GError *
map_secret_error (GError *error)
{
  GError *mapped;

  g_assert (error != NULL);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return error;

  if (error->domain != G_DBUS_ERROR && error->domain != G_IO_ERROR)
    return error;

  mapped = g_error_new (EASEL_CONFIG_ERROR, EASEL_CONFIG_ERROR_NO_SECRET_SERVICE,
                        _("No keyring (Secret Service) is available: %s"),
                        error->message);
  g_error_free (error);

  return mapped;
}

static gboolean
propagate_mapped (GError  *error,
                  GError **dest)
{
  if (error == NULL)
    return TRUE;

  g_propagate_error (dest, map_secret_error (error));

  return FALSE;
}

/* Keys are stored under the normalised URL so that "…/v1/" and "…/v1"
 * find the same secret. NULL means the default server. */
static char *
attribute_for_base_url (const char  *base_url,
                        GError     **error)
{
  return normalise_base_url (base_url != NULL ? base_url : EASEL_DEFAULT_BASE_URL, error);
}

static char *
strip_key (const char  *key,
           GError     **error)
{
  g_autofree char *copy = g_strstrip (g_strdup (key));

  if (copy[0] == '\0')
    {
      g_set_error_literal (error, EASEL_CONFIG_ERROR, EASEL_CONFIG_ERROR_NO_KEY,
                           _("The API key is empty"));
      return NULL;
    }

  return g_steal_pointer (&copy);
}

static char *
make_label (const char *attribute)
{
  return g_strdup_printf (_("Easel API key for %s"), attribute);
}

static void
store_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (secret_password_store_finish (result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, map_secret_error (error));
}

void
easel_secret_store_async (const char          *base_url,
                          const char          *key,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *attribute = NULL;
  g_autofree char *label = NULL;
  g_autofree char *stripped = NULL;

  g_return_if_fail (key != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_secret_store_async);

  if (!(attribute = attribute_for_base_url (base_url, &error)) ||
      !(stripped = strip_key (key, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  label = make_label (attribute);

  secret_password_store (&easel_secret_schema, SECRET_COLLECTION_DEFAULT,
                         label, stripped, cancellable,
                         store_cb, g_steal_pointer (&task),
                         "base-url", attribute,
                         NULL);

  /* Do not leave a copy of the key in freed heap memory. */
  memset (stripped, 0, strlen (stripped));
}

gboolean
easel_secret_store_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == easel_secret_store_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *secret;

  secret = secret_password_lookup_finish (result, &error);

  if (error != NULL)
    {
      g_task_return_error (task, map_secret_error (error));
      return;
    }

  /* secret_password_free() wipes the libsecret copy; ours is a plain
   * g_malloc string the caller frees with g_free(). */
  g_task_return_pointer (task, g_strdup (secret), g_free);
  secret_password_free (secret);
}

void
easel_secret_lookup_async (const char          *base_url,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *attribute = NULL;

  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_secret_lookup_async);

  if (!(attribute = attribute_for_base_url (base_url, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  secret_password_lookup (&easel_secret_schema, cancellable,
                          lookup_cb, g_steal_pointer (&task),
                          "base-url", attribute,
                          NULL);
}

char *
easel_secret_lookup_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == easel_secret_lookup_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
clear_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  /* FALSE without an error only means there was nothing to remove,
   * which is what the caller wanted anyway. */
  secret_password_clear_finish (result, &error);

  if (error != NULL)
    g_task_return_error (task, map_secret_error (error));
  else
    g_task_return_boolean (task, TRUE);
}

void
easel_secret_clear_async (const char          *base_url,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *attribute = NULL;

  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_secret_clear_async);

  if (!(attribute = attribute_for_base_url (base_url, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  secret_password_clear (&easel_secret_schema, cancellable,
                         clear_cb, g_steal_pointer (&task),
                         "base-url", attribute,
                         NULL);
}

gboolean
easel_secret_clear_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == easel_secret_clear_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
easel_secret_store_sync (const char    *base_url,
                         const char    *key,
                         GCancellable  *cancellable,
                         GError       **error)
{
  g_autofree char *attribute = NULL;
  g_autofree char *label = NULL;
  g_autofree char *stripped = NULL;
  GError *local_error = NULL;

  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!(attribute = attribute_for_base_url (base_url, error)) ||
      !(stripped = strip_key (key, error)))
    return FALSE;

  label = make_label (attribute);

  secret_password_store_sync (&easel_secret_schema, SECRET_COLLECTION_DEFAULT,
                              label, stripped, cancellable, &local_error,
                              "base-url", attribute,
                              NULL);

  memset (stripped, 0, strlen (stripped));

  return propagate_mapped (local_error, error);
}

char *
easel_secret_lookup_sync (const char    *base_url,
                          GCancellable  *cancellable,
                          GError       **error)
{
  g_autofree char *attribute = NULL;
  GError *local_error = NULL;
  char *secret;
  char *ret;

  g_return_val_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!(attribute = attribute_for_base_url (base_url, error)))
    return NULL;

  secret = secret_password_lookup_sync (&easel_secret_schema, cancellable, &local_error,
                                        "base-url", attribute,
                                        NULL);

  if (!propagate_mapped (local_error, error))
    return NULL;

  ret = g_strdup (secret);
  secret_password_free (secret);

  return ret;
}

gboolean
easel_secret_clear_sync (const char    *base_url,
                         GCancellable  *cancellable,
                         GError       **error)
{
  g_autofree char *attribute = NULL;
  GError *local_error = NULL;

  g_return_val_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!(attribute = attribute_for_base_url (base_url, error)))
    return FALSE;

  secret_password_clear_sync (&easel_secret_schema, cancellable, &local_error,
                              "base-url", attribute,
                              NULL);

  return propagate_mapped (local_error, error);
}

char *
easel_config_get_api_key_sync (const char      *base_url,
                               EaselKeySource  *source,
                               GError         **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *from_env = NULL;
  g_autofree char *attribute = NULL;
  char *secret;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (source != NULL)
    *source = EASEL_KEY_SOURCE_NONE;

  /* Trailing newlines sneak in from `export OPENAI_API_KEY=$(cat file)`. */
  if (g_getenv ("OPENAI_API_KEY") != NULL)
    from_env = g_strstrip (g_strdup (g_getenv ("OPENAI_API_KEY")));

  if (from_env != NULL && from_env[0] != '\0')
    {
      if (source != NULL)
        *source = EASEL_KEY_SOURCE_ENVIRONMENT;
      return g_steal_pointer (&from_env);
    }

  if (!(attribute = attribute_for_base_url (base_url, error)))
    return NULL;

  secret = easel_secret_lookup_sync (attribute, NULL, &local_error);

  if (g_error_matches (local_error, EASEL_CONFIG_ERROR, EASEL_CONFIG_ERROR_NO_SECRET_SERVICE))
    {
      /* To the caller this is simply "no key": the fix is the same. */
      g_set_error (error, EASEL_CONFIG_ERROR, EASEL_CONFIG_ERROR_NO_KEY,
                   _("No API key for %s: set OPENAI_API_KEY (%s)"),
                   attribute, local_error->message);
      return NULL;
    }

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  if (secret == NULL)
    {
      g_set_error (error, EASEL_CONFIG_ERROR, EASEL_CONFIG_ERROR_NO_KEY,
                   _("No API key for %s: set OPENAI_API_KEY or run “easel key set”"),
                   attribute);
      return NULL;
    }

  if (source != NULL)
    *source = EASEL_KEY_SOURCE_KEYRING;

  return secret;
}
