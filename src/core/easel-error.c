/* easel-error.c: OpenAI error bodies as GErrors, and secret redaction
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-error"

#include "config.h"

#include "easel-json.h"

#include <string.h>

#include <libsoup/soup.h>

#include "easel-error.h"
#include "easel-text.h"

typedef struct
{
  char   *error_type;
  char   *error_code;
  char   *param;
  char  **categories;
  char   *moderation_stage;
  guint   status;
  gint64  retry_after_ms;
  char   *request_id;
} EaselApiErrorPrivate;

static void
easel_api_error_private_init (EaselApiErrorPrivate *priv)
{
  priv->retry_after_ms = -1;
}

static void
easel_api_error_private_copy (const EaselApiErrorPrivate *src,
                              EaselApiErrorPrivate       *dest)
{
  dest->error_type = g_strdup (src->error_type);
  dest->error_code = g_strdup (src->error_code);
  dest->param = g_strdup (src->param);
  dest->categories = g_strdupv (src->categories);
  dest->moderation_stage = g_strdup (src->moderation_stage);
  dest->status = src->status;
  dest->retry_after_ms = src->retry_after_ms;
  dest->request_id = g_strdup (src->request_id);
}

static void
easel_api_error_private_clear (EaselApiErrorPrivate *priv)
{
  g_clear_pointer (&priv->error_type, g_free);
  g_clear_pointer (&priv->error_code, g_free);
  g_clear_pointer (&priv->param, g_free);
  g_clear_pointer (&priv->categories, g_strfreev);
  g_clear_pointer (&priv->moderation_stage, g_free);
  g_clear_pointer (&priv->request_id, g_free);
}

/* Defines easel_api_error_quark () and easel_api_error_get_private (). */
G_DEFINE_EXTENDED_ERROR (EaselApiError, easel_api_error)

/* The getters take any GError: other domains simply have no data. */
static EaselApiErrorPrivate *
private_of (const GError *error)
{
  if (error == NULL || error->domain != EASEL_API_ERROR)
    return NULL;
  return easel_api_error_get_private (error);
}

const char *
easel_api_error_get_error_type (const GError *error)
{
  EaselApiErrorPrivate *priv = private_of (error);
  return priv ? priv->error_type : NULL;
}

const char *
easel_api_error_get_error_code (const GError *error)
{
  EaselApiErrorPrivate *priv = private_of (error);
  return priv ? priv->error_code : NULL;
}

const char *
easel_api_error_get_param (const GError *error)
{
  EaselApiErrorPrivate *priv = private_of (error);
  return priv ? priv->param : NULL;
}

const char * const *
easel_api_error_get_categories (const GError *error)
{
  EaselApiErrorPrivate *priv = private_of (error);
  return priv ? (const char * const *) priv->categories : NULL;
}

const char *
easel_api_error_get_moderation_stage (const GError *error)
{
  EaselApiErrorPrivate *priv = private_of (error);
  return priv ? priv->moderation_stage : NULL;
}

guint
easel_api_error_get_status (const GError *error)
{
  EaselApiErrorPrivate *priv = private_of (error);
  return priv ? priv->status : 0;
}

gint64
easel_api_error_get_retry_after_ms (const GError *error)
{
  EaselApiErrorPrivate *priv = private_of (error);
  return priv ? priv->retry_after_ms : -1;
}

const char *
easel_api_error_get_request_id (const GError *error)
{
  EaselApiErrorPrivate *priv = private_of (error);
  return priv ? priv->request_id : NULL;
}

/* A string from the server as Easel keeps it: the key redacted, control
 * characters, bidi overrides and invalid UTF-8 escaped, so that whatever
 * shows or stores it (a terminal, a label, the library's error columns)
 * cannot be made to clear a screen or forge a line. Nothing is cut:
 * display caps are the caller's, and --debug-http logs the raw body. */
static char *
server_text (const char *text)
{
  g_autofree char *redacted = easel_redact (text, NULL);

  return easel_text_escape_untrusted (redacted, 0);
}

GError *
easel_api_error_new_literal (EaselApiErrorCode  code,
                             const char        *message)
{
  g_autofree char *redacted = easel_redact (message ? message : "", NULL);

  return g_error_new_literal (EASEL_API_ERROR, code, redacted);
}

/* The OpenAI key shape: "sk-", "sk-proj-…", "sk-svcacct-…", plus the
 * "sk-abc***xyz" form the 401 message uses to echo part of a key. */
static GRegex *
key_regex (void)
{
  static gsize once;

  /* A trailing '.' ends the sentence, not the key: keep it readable; and
   * "task-1234" or "ask-me" are words, not keys. */
  if (g_once_init_enter (&once))
    {
      GRegex *r = g_regex_new ("(?<![A-Za-z0-9])sk-[A-Za-z0-9_*.\\-]{2,}[A-Za-z0-9_*\\-]", 0, 0, NULL);
      g_once_init_leave (&once, (gsize) r);
    }

  return (GRegex *) once;
}

char *
easel_redact (const char *text,
              const char *secret)
{
  g_autofree char *without_secret = NULL;

  if (text == NULL)
    return NULL;

  /* The secret first: a key from a compatible server may not look like sk-… */
  if (secret != NULL && secret[0] != '\0' && strstr (text, secret) != NULL)
    {
      g_autoptr(GString) s = g_string_new (text);
      g_string_replace (s, secret, "sk-…redacted", 0);
      without_secret = g_string_free (g_steal_pointer (&s), FALSE);
    }
  else
    without_secret = g_strdup (text);

  /* The regex works on UTF-8 only (it returns NULL otherwise): text from a
   * server or a file may not be, so make it valid first. */
  if (!g_utf8_validate (without_secret, -1, NULL))
    {
      char *valid = g_utf8_make_valid (without_secret, -1);

      g_free (without_secret);
      without_secret = valid;
    }

  /* Do not rewrite our own marker ("sk-…redacted" has a non-ASCII ellipsis
   * right after "sk-", so the pattern cannot match it). */
  return g_regex_replace_literal (key_regex (), without_secret, -1, 0,
                                  "sk-…redacted", 0, NULL);
}

static const char *
nonempty_member (JsonObject *object,
                 const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  const char *str = json_node_get_string (node);
  return (str != NULL && str[0] != '\0' && g_utf8_validate (str, -1, NULL)) ? str : NULL;
}

static EaselApiErrorCode
code_for_status (guint             status,
                 EaselApiErrorCode fallback)
{
  switch (status)
    {
    case 400: return EASEL_API_ERROR_BAD_REQUEST;
    case 401: return EASEL_API_ERROR_AUTHENTICATION;
    case 403: return EASEL_API_ERROR_PERMISSION;
    case 404: return EASEL_API_ERROR_NOT_FOUND;
    case 408: return EASEL_API_ERROR_TIMEOUT;
    case 409: return EASEL_API_ERROR_CONFLICT;
    case 422: return EASEL_API_ERROR_UNPROCESSABLE;
    case 429: return EASEL_API_ERROR_RATE_LIMIT;
    default:
      if (status >= 500 && status <= 599)
        return EASEL_API_ERROR_SERVER;
      return fallback;
    }
}

/* The error's own code/type decide first: they mean the same thing in an
 * HTTP body and in a stream error event (status 0). */
static EaselApiErrorCode
classify (const char        *type,
          const char        *code,
          guint              status,
          EaselApiErrorCode  fallback)
{
  if (g_strcmp0 (code, "moderation_blocked") == 0 ||
      g_strcmp0 (code, "image_content_policy_violation") == 0 ||
      g_strcmp0 (code, "content_policy_violation") == 0)
    return EASEL_API_ERROR_MODERATION;
  if (g_strcmp0 (code, "insufficient_quota") == 0 || g_strcmp0 (type, "insufficient_quota") == 0)
    return EASEL_API_ERROR_QUOTA;
  if (g_strcmp0 (code, "rate_limit_exceeded") == 0 || g_strcmp0 (code, "too_many_requests") == 0 ||
      g_strcmp0 (type, "too_many_requests") == 0)
    return EASEL_API_ERROR_RATE_LIMIT;
  if (g_strcmp0 (code, "model_not_found") == 0)
    return EASEL_API_ERROR_NOT_FOUND;
  if (g_strcmp0 (code, "invalid_api_key") == 0)
    return EASEL_API_ERROR_AUTHENTICATION;
  if (status == 0 && (g_strcmp0 (code, "server_error") == 0 || g_strcmp0 (type, "server_error") == 0))
    return EASEL_API_ERROR_SERVER;

  return code_for_status (status, fallback);
}

/* Older and Azure bodies lack moderation_details but say
 * "safety_violations=[sexual, violence]." in the message. */
static char **
categories_from_message (const char *message)
{
  const char *start;
  const char *end;
  g_autofree char *inner = NULL;
  g_auto(GStrv) parts = NULL;
  g_autoptr(GStrvBuilder) builder = NULL;

  if (message == NULL || (start = strstr (message, "safety_violations=[")) == NULL)
    return NULL;
  start += strlen ("safety_violations=[");
  if ((end = strchr (start, ']')) == NULL)
    return NULL;

  inner = g_strndup (start, end - start);
  parts = g_strsplit (inner, ",", -1);
  builder = g_strv_builder_new ();
  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_strstrip (parts[i]);
      if (parts[i][0] != '\0')
        g_strv_builder_add (builder, parts[i]);
    }

  return g_strv_builder_end (builder);
}

static char *
message_for_status (guint status)
{
  const char *phrase = soup_status_get_phrase (status);

  if (status == 0)
    return g_strdup ("The server reported an error");
  if (phrase != NULL && phrase[0] != '\0')
    return g_strdup_printf ("The server returned HTTP %u %s", status, phrase);
  return g_strdup_printf ("The server returned HTTP %u", status);
}

static GError *
error_from_object_full (JsonObject        *error_object,
                        guint              status,
                        EaselApiErrorCode  fallback,
                        const char        *request_id,
                        gint64             retry_after_ms)
{
  const char *type = nonempty_member (error_object, "type");
  const char *code = nonempty_member (error_object, "code");
  const char *param = nonempty_member (error_object, "param");
  const char *message = nonempty_member (error_object, "message");
  const char *stage = NULL;
  g_auto(GStrv) categories = NULL;
  g_autofree char *text = NULL;
  EaselApiErrorCode error_code;
  EaselApiErrorPrivate *priv;
  GError *error;
  JsonNode *details;

  error_code = classify (type, code, status, fallback);

  details = json_object_get_member (error_object, "moderation_details");
  if (details != NULL && JSON_NODE_HOLDS_OBJECT (details))
    {
      JsonObject *d = json_node_get_object (details);
      JsonNode *cats = json_object_get_member (d, "categories");

      stage = nonempty_member (d, "moderation_stage");
      if (cats != NULL && JSON_NODE_HOLDS_ARRAY (cats))
        {
          JsonArray *array = json_node_get_array (cats);
          g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

          for (guint i = 0; i < json_array_get_length (array); i++)
            {
              JsonNode *item = json_array_get_element (array, i);
              if (JSON_NODE_HOLDS_VALUE (item) && json_node_get_value_type (item) == G_TYPE_STRING)
                g_strv_builder_add (builder, json_node_get_string (item));
            }
          categories = g_strv_builder_end (builder);
        }
    }
  if (categories == NULL && error_code == EASEL_API_ERROR_MODERATION)
    categories = categories_from_message (message);

  if (message != NULL)
    text = server_text (message);
  else if (error_code == EASEL_API_ERROR_PERMISSION)
    text = g_strdup ("Access denied (HTTP 403). New GPT image models need a verified "
                     "organisation: verify it in the OpenAI platform settings.");
  else
    text = message_for_status (status);

  error = g_error_new_literal (EASEL_API_ERROR, error_code, text);
  priv = easel_api_error_get_private (error);
  /* Every string here came from the server: one that echoes the key in
   * "type" or "code" must not get it shown or stored either. */
  priv->error_type = server_text (type);
  priv->error_code = server_text (code);
  priv->param = server_text (param);
  priv->categories = g_steal_pointer (&categories);
  for (guint i = 0; priv->categories != NULL && priv->categories[i] != NULL; i++)
    {
      char *redacted = server_text (priv->categories[i]);
      g_free (priv->categories[i]);
      priv->categories[i] = redacted;
    }
  priv->moderation_stage = server_text (stage);
  priv->status = status;
  priv->retry_after_ms = retry_after_ms;
  priv->request_id = server_text (request_id);

  return error;
}

GError *
easel_api_error_from_object (JsonObject        *error_object,
                             guint              status,
                             EaselApiErrorCode  fallback)
{
  g_return_val_if_fail (error_object != NULL, NULL);

  return error_from_object_full (error_object, status, fallback, NULL, -1);
}

static const char *
describe_body (const char *content_type,
               const char *body,
               gsize       body_len)
{
  gsize i = 0;

  if (body == NULL || body_len == 0)
    return "an empty body";

  while (i < body_len && g_ascii_isspace (body[i]))
    i++;
  if ((content_type != NULL && strstr (content_type, "html") != NULL) ||
      (i < body_len && body[i] == '<'))
    return "an HTML page";
  return "a body that is not JSON";
}

GError *
easel_api_error_from_http (guint        status,
                           const char  *content_type,
                           const char  *body,
                           gsize        body_len,
                           const char  *request_id,
                           gint64       retry_after_ms)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autofree char *status_text = NULL;
  g_autofree char *message = NULL;
  EaselApiErrorPrivate *priv;
  GError *error;

  if (body != NULL && body_len > 0)
    {
      JsonNode *root;

      parser = json_parser_new ();
      if (easel_json_check_depth (body, (gssize) body_len, EASEL_JSON_MAX_DEPTH, NULL) &&
          json_parser_load_from_data (parser, body, (gssize) body_len, NULL) &&
          (root = json_parser_get_root (parser)) != NULL &&
          JSON_NODE_HOLDS_OBJECT (root))
        {
          JsonObject *object = json_node_get_object (root);
          JsonNode *inner = json_object_get_member (object, "error");

          /* The spec shape is {"error":{…}}; some compatible servers send
           * the object flat, or "error" as a bare string. */
          if (inner != NULL && JSON_NODE_HOLDS_OBJECT (inner))
            return error_from_object_full (json_node_get_object (inner), status,
                                           EASEL_API_ERROR_FAILED, request_id, retry_after_ms);
          if (inner != NULL && JSON_NODE_HOLDS_VALUE (inner) &&
              json_node_get_value_type (inner) == G_TYPE_STRING)
            {
              g_autoptr(JsonObject) flat = json_object_new ();
              json_object_set_string_member (flat, "message", json_node_get_string (inner));
              return error_from_object_full (flat, status, EASEL_API_ERROR_FAILED,
                                             request_id, retry_after_ms);
            }
          if (json_object_has_member (object, "message"))
            return error_from_object_full (object, status, EASEL_API_ERROR_FAILED,
                                           request_id, retry_after_ms);
        }
    }

  /* Not an OpenAI error: a proxy page, an empty body, or some other JSON.
   * The code still follows the status so retries and the UI behave; only
   * statuses with no meaning of their own become BAD_RESPONSE. */
  status_text = message_for_status (status);
  message = g_strdup_printf ("%s (%s, not an OpenAI error)", status_text,
                             describe_body (content_type, body, body_len));
  error = g_error_new_literal (EASEL_API_ERROR,
                               code_for_status (status, EASEL_API_ERROR_BAD_RESPONSE),
                               message);
  priv = easel_api_error_get_private (error);
  priv->status = status;
  priv->retry_after_ms = retry_after_ms;
  priv->request_id = server_text (request_id);

  return error;
}

static void
redact_field (char       **field,
              const char  *secret)
{
  char *redacted;

  if (*field == NULL)
    return;
  redacted = easel_redact (*field, secret);
  g_free (*field);
  *field = redacted;
}

void
easel_error_redact (GError     *error,
                    const char *secret)
{
  EaselApiErrorPrivate *priv;

  if (error == NULL)
    return;
  redact_field (&error->message, secret);
  if ((priv = private_of (error)) == NULL)
    return;
  redact_field (&priv->error_type, secret);
  redact_field (&priv->error_code, secret);
  redact_field (&priv->param, secret);
  redact_field (&priv->moderation_stage, secret);
  redact_field (&priv->request_id, secret);
  for (guint i = 0; priv->categories != NULL && priv->categories[i] != NULL; i++)
    redact_field (&priv->categories[i], secret);
}
