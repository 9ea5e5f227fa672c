/* easel-config.h: where the key and base URL come from
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define EASEL_DEFAULT_BASE_URL "https://api.openai.com/v1"

#define EASEL_CONFIG_ERROR (easel_config_error_quark ())

typedef enum
{
  EASEL_CONFIG_ERROR_NO_KEY,           /* no key in the keyring or OPENAI_API_KEY */
  EASEL_CONFIG_ERROR_INSECURE_URL,     /* http:// to a non-loopback host */
  EASEL_CONFIG_ERROR_INVALID_URL,
  EASEL_CONFIG_ERROR_NO_SECRET_SERVICE,/* no keyring available */
} EaselConfigErrorCode;

GQuark easel_config_error_quark (void);

typedef enum
{
  EASEL_KEY_SOURCE_NONE,
  EASEL_KEY_SOURCE_KEYRING,
  EASEL_KEY_SOURCE_ENVIRONMENT,
} EaselKeySource;

GType easel_key_source_get_type (void) G_GNUC_CONST;
#define EASEL_TYPE_KEY_SOURCE (easel_key_source_get_type ())

/* Picks the base URL: @explicit_url (a flag) wins, then OPENAI_BASE_URL, then
 * @setting, then the default. Returns a normalised URL without trailing
 * slash; http:// is refused unless the host is loopback. */
/* Call first in main (), before any key is read: no core file (RLIMIT_CORE
 * 0) and, on Linux, not dumpable (no core, no ptrace by the same user, a
 * /proc/PID owned by root), since memory holds the key. */
void     easel_process_protect_secrets (void);

/* The app's settings (SETTINGS_SCHEMA_ID), or NULL when the schema is not
 * installed (an uninstalled CLI without GSETTINGS_SCHEMA_DIR): callers then
 * use the schema's defaults. */
GSettings *easel_config_dup_settings (void);

char    *easel_config_resolve_base_url (const char *explicit_url,
                                        const char *setting,
                                        GError    **error);
gboolean easel_config_validate_base_url (const char *url, GError **error);

/* Our own libsecret schema "io.github.easelstudio.Easel.ApiKey", with an
 * attribute "base-url" so different servers keep different keys. */
const void *easel_secret_get_schema (void);  /* const SecretSchema* */

void     easel_secret_store_async   (const char *base_url, const char *key,
                                     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
gboolean easel_secret_store_finish  (GAsyncResult *result, GError **error);
void     easel_secret_lookup_async  (const char *base_url,
                                     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
char    *easel_secret_lookup_finish (GAsyncResult *result, GError **error); /* NULL without error: no key */
void     easel_secret_clear_async   (const char *base_url,
                                     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
gboolean easel_secret_clear_finish  (GAsyncResult *result, GError **error);

/* Synchronous forms, for the CLI only. */
gboolean easel_secret_store_sync  (const char *base_url, const char *key, GCancellable *cancellable, GError **error);
char    *easel_secret_lookup_sync (const char *base_url, GCancellable *cancellable, GError **error);
gboolean easel_secret_clear_sync  (const char *base_url, GCancellable *cancellable, GError **error);

/* The CLI's order: OPENAI_API_KEY, then the keyring. */
char    *easel_config_get_api_key_sync (const char *base_url, EaselKeySource *source, GError **error);

G_END_DECLS
