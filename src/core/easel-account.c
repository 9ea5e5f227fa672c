/* easel-account.c: the key and the server the studio talks to
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-account"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "easel-account.h"

struct _EaselAccount
{
  GObject parent_instance;

  EaselClient *client;
  GSettings *settings;
  /* The keyring lookup of the latest reload; cancelled by the next one. */
  GCancellable *lookup;

  char *base_url;
  char *key_error;
  EaselKeySource key_source;
  guint base_url_from_env : 1;
  guint has_key : 1;
  guint checked : 1;
};

G_DEFINE_FINAL_TYPE (EaselAccount, easel_account, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_SETTINGS,
  PROP_BASE_URL,
  PROP_BASE_URL_FROM_ENVIRONMENT,
  PROP_KEY_SOURCE,
  PROP_HAS_KEY,
  PROP_KEY_ERROR,
  PROP_CHECKED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static inline gboolean
is_set (const char *s)
{
  return s != NULL && s[0] != '\0';
}

static void
wipe_free (char *secret)
{
  if (secret != NULL)
    {
      memset (secret, 0, strlen (secret));
      g_free (secret);
    }
}

/* OPENAI_API_KEY without the newline `$(cat file)` leaves; NULL if unset. */
static char *
dup_env_key (void)
{
  const char *env = g_getenv ("OPENAI_API_KEY");
  char *key;

  if (env == NULL)
    return NULL;
  key = g_strstrip (g_strdup (env));
  if (key[0] == '\0')
    g_clear_pointer (&key, g_free);
  return key;
}

static void
apply_organization (EaselAccount *self)
{
  g_autofree char *org = NULL;

  g_assert (EASEL_IS_ACCOUNT (self));

  if (self->settings != NULL)
    org = g_settings_get_string (self->settings, "organization");
  easel_client_set_organization (self->client, is_set (org) ? org : NULL);
}

/* The server: OPENAI_BASE_URL, then the setting, then OpenAI's. A value
 * that does not parse falls back to OpenAI's, as before. */
static void
resolve_server (EaselAccount *self)
{
  g_autofree char *setting = NULL;
  g_autofree char *url = NULL;
  gboolean from_env;

  g_assert (EASEL_IS_ACCOUNT (self));

  if (self->settings != NULL)
    setting = g_settings_get_string (self->settings, "base-url");
  url = easel_config_resolve_base_url (NULL, is_set (setting) ? setting : NULL, NULL);
  if (url == NULL)
    url = g_strdup (EASEL_DEFAULT_BASE_URL);
  from_env = is_set (g_getenv ("OPENAI_BASE_URL"));

  easel_client_set_base_url (self->client, url);
  apply_organization (self);

  g_object_freeze_notify (G_OBJECT (self));
  if (g_strcmp0 (url, self->base_url) != 0)
    {
      g_free (self->base_url);
      self->base_url = g_steal_pointer (&url);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BASE_URL]);
    }
  if (from_env != self->base_url_from_env)
    {
      self->base_url_from_env = from_env;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BASE_URL_FROM_ENVIRONMENT]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

/* Hands @key (or none) to the client and says where it came from. */
static void
set_key (EaselAccount   *self,
         EaselKeySource  source,
         const char     *key,
         const char     *error)
{
  gboolean has_key = is_set (key);

  g_assert (EASEL_IS_ACCOUNT (self));
  g_assert ((source == EASEL_KEY_SOURCE_NONE) == !has_key);

  easel_client_set_api_key (self->client, has_key ? key : NULL);

  g_object_freeze_notify (G_OBJECT (self));
  if (self->key_source != source)
    {
      self->key_source = source;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KEY_SOURCE]);
    }
  if (self->has_key != has_key)
    {
      self->has_key = has_key;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_KEY]);
    }
  if (g_strcmp0 (self->key_error, error) != 0)
    {
      g_free (self->key_error);
      self->key_error = g_strdup (error);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KEY_ERROR]);
    }
  if (!self->checked)
    {
      self->checked = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHECKED]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(EaselAccount) self = user_data;
  g_autoptr(GError) error = NULL;
  char *key = easel_secret_lookup_finish (result, &error);
  char *env = NULL;

  /* Superseded by a newer reload, or the account is going away. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->lookup);

  if (is_set (key))
    {
      set_key (self, EASEL_KEY_SOURCE_KEYRING, key, NULL);
      wipe_free (key);
      return;
    }
  wipe_free (key);

  /* The environment is the fallback, and the way out when there is no
   * Secret Service at all. */
  if ((env = dup_env_key ()) != NULL)
    {
      set_key (self, EASEL_KEY_SOURCE_ENVIRONMENT, env, error ? error->message : NULL);
      wipe_free (env);
      return;
    }

  if (error != NULL)
    {
      g_autofree char *message =
        g_strdup_printf (_("The keyring is not available (%s). Easel never stores the key in a plain file: "
                           "start it with the OPENAI_API_KEY environment variable instead."),
                         error->message);
      set_key (self, EASEL_KEY_SOURCE_NONE, NULL, message);
    }
  else
    set_key (self, EASEL_KEY_SOURCE_NONE, NULL, NULL);
}

void
easel_account_reload (EaselAccount *self)
{
  char *env;

  g_return_if_fail (EASEL_IS_ACCOUNT (self));

  resolve_server (self);

  if (self->lookup != NULL)
    {
      g_cancellable_cancel (self->lookup);
      g_clear_object (&self->lookup);
    }

  /* Like the CLI, OPENAI_API_KEY wins; it is also the answer when there is
   * no Secret Service. */
  if ((env = dup_env_key ()) != NULL)
    {
      set_key (self, EASEL_KEY_SOURCE_ENVIRONMENT, env, NULL);
      wipe_free (env);
      return;
    }

  /* Keys are stored per server. */
  self->lookup = g_cancellable_new ();
  easel_secret_lookup_async (self->base_url, self->lookup, lookup_cb, g_object_ref (self));
}

static void
easel_account_constructed (GObject *object)
{
  EaselAccount *self = (EaselAccount *)object;

  G_OBJECT_CLASS (easel_account_parent_class)->constructed (object);

  g_assert (EASEL_IS_CLIENT (self->client));

  /* The server is known at once; the key once reload() is called. */
  resolve_server (self);
  easel_client_set_api_key (self->client, NULL);

  if (self->settings != NULL)
    {
      g_signal_connect_object (self->settings, "changed::base-url",
                               G_CALLBACK (easel_account_reload), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->settings, "changed::organization",
                               G_CALLBACK (apply_organization), self, G_CONNECT_SWAPPED);
    }
}

static void
easel_account_dispose (GObject *object)
{
  EaselAccount *self = (EaselAccount *)object;

  if (self->lookup != NULL)
    g_cancellable_cancel (self->lookup);
  g_clear_object (&self->lookup);
  g_clear_object (&self->settings);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (easel_account_parent_class)->dispose (object);
}

static void
easel_account_finalize (GObject *object)
{
  EaselAccount *self = (EaselAccount *)object;

  g_clear_pointer (&self->base_url, g_free);
  g_clear_pointer (&self->key_error, g_free);

  G_OBJECT_CLASS (easel_account_parent_class)->finalize (object);
}

static void
easel_account_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  EaselAccount *self = EASEL_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_CLIENT: g_value_set_object (value, self->client); break;
    case PROP_SETTINGS: g_value_set_object (value, self->settings); break;
    case PROP_BASE_URL: g_value_set_string (value, self->base_url); break;
    case PROP_BASE_URL_FROM_ENVIRONMENT: g_value_set_boolean (value, self->base_url_from_env); break;
    case PROP_KEY_SOURCE: g_value_set_enum (value, self->key_source); break;
    case PROP_HAS_KEY: g_value_set_boolean (value, self->has_key); break;
    case PROP_KEY_ERROR: g_value_set_string (value, self->key_error); break;
    case PROP_CHECKED: g_value_set_boolean (value, self->checked); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_account_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  EaselAccount *self = EASEL_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_CLIENT: self->client = g_value_dup_object (value); break;
    case PROP_SETTINGS: self->settings = g_value_dup_object (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_account_class_init (EaselAccountClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = easel_account_constructed;
  object_class->dispose = easel_account_dispose;
  object_class->finalize = easel_account_finalize;
  object_class->get_property = easel_account_get_property;
  object_class->set_property = easel_account_set_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, EASEL_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BASE_URL] =
    g_param_spec_string ("base-url", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BASE_URL_FROM_ENVIRONMENT] =
    g_param_spec_boolean ("base-url-from-environment", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_KEY_SOURCE] =
    g_param_spec_enum ("key-source", NULL, NULL, EASEL_TYPE_KEY_SOURCE, EASEL_KEY_SOURCE_NONE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HAS_KEY] =
    g_param_spec_boolean ("has-key", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_KEY_ERROR] =
    g_param_spec_string ("key-error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CHECKED] =
    g_param_spec_boolean ("checked", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
easel_account_init (EaselAccount *self)
{
  self->key_source = EASEL_KEY_SOURCE_NONE;
}

EaselAccount *
easel_account_new (GSettings   *settings,
                   EaselClient *client)
{
  g_return_val_if_fail (!settings || G_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (EASEL_IS_CLIENT (client), NULL);

  return g_object_new (EASEL_TYPE_ACCOUNT,
                       "settings", settings,
                       "client", client,
                       NULL);
}

EaselClient *
easel_account_get_client (EaselAccount *self)
{
  g_return_val_if_fail (EASEL_IS_ACCOUNT (self), NULL);
  return self->client;
}

GSettings *
easel_account_get_settings (EaselAccount *self)
{
  g_return_val_if_fail (EASEL_IS_ACCOUNT (self), NULL);
  return self->settings;
}

const char *
easel_account_get_base_url (EaselAccount *self)
{
  g_return_val_if_fail (EASEL_IS_ACCOUNT (self), NULL);
  return self->base_url;
}

gboolean
easel_account_get_base_url_from_environment (EaselAccount *self)
{
  g_return_val_if_fail (EASEL_IS_ACCOUNT (self), FALSE);
  return self->base_url_from_env;
}

EaselKeySource
easel_account_get_key_source (EaselAccount *self)
{
  g_return_val_if_fail (EASEL_IS_ACCOUNT (self), EASEL_KEY_SOURCE_NONE);
  return self->key_source;
}

gboolean
easel_account_get_has_key (EaselAccount *self)
{
  g_return_val_if_fail (EASEL_IS_ACCOUNT (self), FALSE);
  return self->has_key;
}

const char *
easel_account_get_key_error (EaselAccount *self)
{
  g_return_val_if_fail (EASEL_IS_ACCOUNT (self), NULL);
  return self->key_error;
}

gboolean
easel_account_get_checked (EaselAccount *self)
{
  g_return_val_if_fail (EASEL_IS_ACCOUNT (self), FALSE);
  return self->checked;
}
