/* easel-error.h: OpenAI error bodies as GErrors, and secret redaction
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define EASEL_API_ERROR (easel_api_error_quark ())

typedef enum
{
  EASEL_API_ERROR_FAILED,          /* anything else */
  EASEL_API_ERROR_BAD_REQUEST,     /* 400 invalid_request_error */
  EASEL_API_ERROR_AUTHENTICATION,  /* 401 */
  EASEL_API_ERROR_PERMISSION,      /* 403, e.g. organisation verification */
  EASEL_API_ERROR_NOT_FOUND,       /* 404, e.g. model_not_found */
  EASEL_API_ERROR_TIMEOUT,         /* 408 */
  EASEL_API_ERROR_CONFLICT,        /* 409 */
  EASEL_API_ERROR_UNPROCESSABLE,   /* 422 */
  EASEL_API_ERROR_RATE_LIMIT,      /* 429 rate_limit_exceeded */
  EASEL_API_ERROR_QUOTA,           /* 429 insufficient_quota: retrying will not help */
  EASEL_API_ERROR_MODERATION,      /* moderation_blocked */
  EASEL_API_ERROR_SERVER,          /* 5xx, server_error */
  EASEL_API_ERROR_BAD_RESPONSE,    /* not JSON, HTML error page, bad base64 */
  EASEL_API_ERROR_STREAM,          /* an error event inside a stream */
  EASEL_API_ERROR_TRUNCATED,       /* the stream ended before its terminal event */
  EASEL_API_ERROR_NETWORK,         /* connection failed */
} EaselApiErrorCode;

GQuark       easel_api_error_quark (void);

/* The extended data carried by every EASEL_API_ERROR (G_DEFINE_EXTENDED_ERROR). */
const char          *easel_api_error_get_error_type       (const GError *error); /* "invalid_request_error", … */
const char          *easel_api_error_get_error_code       (const GError *error); /* "moderation_blocked", … */
const char          *easel_api_error_get_param            (const GError *error);
const char * const  *easel_api_error_get_categories       (const GError *error); /* moderation categories */
const char          *easel_api_error_get_moderation_stage (const GError *error);
guint                easel_api_error_get_status           (const GError *error); /* HTTP status, 0 in streams */
gint64               easel_api_error_get_retry_after_ms   (const GError *error); /* -1 when unknown */
const char          *easel_api_error_get_request_id       (const GError *error);

/* Maps a non-2xx HTTP response. A non-JSON body (an HTML 502 page from a
 * proxy) still yields a clear message built from the status. */
GError *easel_api_error_from_http   (guint        status,
                                     const char  *content_type,
                                     const char  *body,
                                     gsize        body_len,
                                     const char  *request_id,
                                     gint64       retry_after_ms);
/* Maps an OpenAI error object: {"type","code","param","message",
 * "moderation_details"}; used for HTTP bodies and stream error events. */
GError *easel_api_error_from_object (JsonObject  *error_object,
                                     guint        status,
                                     EaselApiErrorCode fallback);
GError *easel_api_error_new_literal (EaselApiErrorCode code,
                                     const char  *message);

/* Returns a copy of @text with @secret (if non-empty) and anything shaped like
 * an OpenAI key (sk-…) replaced by "sk-…redacted". Used for every message and
 * log line that could carry the key. */
char   *easel_redact (const char *text, const char *secret);
/* Redacts @secret (and sk-… keys) in place in the message and in every
 * server-provided field of an EASEL_API_ERROR (type, code, param, stage,
 * categories, request id): a server that echoes a key of any shape in any
 * of them never gets it shown or stored. */
void    easel_error_redact (GError *error, const char *secret);

G_END_DECLS
