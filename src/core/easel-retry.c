/* easel-retry.c: when and how long to wait before retrying, as the official SDKs do
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The policy mirrors openai-node's client.js (NOTES.md §3): x-should-retry
 * wins, then 408/409/429/5xx; the server's retry-after-ms / retry-after is
 * honoured when it is positive and at most 60 s, otherwise exponential
 * backoff with up to 25 % jitter taken off.
 */

#define G_LOG_DOMAIN "easel-retry"

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "easel-retry.h"
#include "easel-error.h"

#define MAX_HONOURED_WAIT_MS (60 * 1000)

void
easel_retry_policy_init_default (EaselRetryPolicy *policy)
{
  g_return_if_fail (policy != NULL);

  policy->max_retries = 4;
  policy->initial_delay_ms = 500;
  policy->max_delay_ms = 8000;
}

gboolean
easel_retry_should_retry (guint               status,
                          SoupMessageHeaders *headers,
                          const char         *error_code)
{
  const char *should_retry = NULL;

  /* Retrying a spent quota only burns attempts: no header overrides that. */
  if (g_strcmp0 (error_code, "insufficient_quota") == 0)
    return FALSE;

  if (headers != NULL)
    should_retry = soup_message_headers_get_one (headers, "x-should-retry");
  if (g_strcmp0 (should_retry, "true") == 0)
    return TRUE;
  if (g_strcmp0 (should_retry, "false") == 0)
    return FALSE;

  if (status == 0)   /* connection error */
    return TRUE;
  if (status == 408 || status == 409 || status == 429)
    return TRUE;
  return status >= 500;
}

/* A finite, non-negative decimal number filling the whole string. */
static gboolean
parse_number (const char *str,
              double     *value)
{
  g_autofree char *copy = NULL;
  char *end = NULL;
  double v;

  if (str == NULL)
    return FALSE;
  copy = g_strstrip (g_strdup (str));
  if (copy[0] == '\0' || !(g_ascii_isdigit (copy[0]) || copy[0] == '.'))
    return FALSE;

  v = g_ascii_strtod (copy, &end);
  if (end == NULL || *end != '\0' || !isfinite (v) || v < 0)
    return FALSE;

  *value = v;
  return TRUE;
}

gint64
easel_retry_after_ms (SoupMessageHeaders *headers,
                      gint64              now_unix)
{
  const char *value;
  double number;

  if (headers == NULL)
    return -1;

  value = soup_message_headers_get_one (headers, "retry-after-ms");
  if (parse_number (value, &number))
    return (gint64) ceil (number);

  value = soup_message_headers_get_one (headers, "retry-after");
  if (value == NULL)
    return -1;
  if (parse_number (value, &number))
    return (gint64) ceil (number * 1000.0);

  {
    g_autoptr(GDateTime) when = soup_date_time_new_from_http_string (value);
    gint64 delta;

    if (when == NULL)
      return -1;
    /* A date in the past means "now"; the caller then uses its backoff. */
    delta = g_date_time_to_unix (when) - now_unix;
    return delta > 0 ? delta * 1000 : 0;
  }
}

gint64
easel_retry_delay_ms (const EaselRetryPolicy *policy,
                      int                     attempt,
                      guint                   status,
                      SoupMessageHeaders     *headers,
                      const char             *error_code,
                      gint64                  now_unix,
                      double                  jitter)
{
  EaselRetryPolicy defaults;
  gint64 server_wait;
  double delay;

  if (policy == NULL)
    {
      easel_retry_policy_init_default (&defaults);
      policy = &defaults;
    }

  if (attempt < 0)
    attempt = 0;
  if (attempt >= policy->max_retries)
    return -1;
  if (!easel_retry_should_retry (status, headers, error_code))
    return -1;

  server_wait = easel_retry_after_ms (headers, now_unix);
  if (server_wait > 0 && server_wait <= MAX_HONOURED_WAIT_MS)
    return server_wait;

  /* ldexp avoids overflowing a shift on silly attempt numbers. */
  delay = MIN (ldexp ((double) policy->initial_delay_ms, MIN (attempt, 62)),
               (double) policy->max_delay_ms);
  if (!(jitter >= 0))   /* also catches NaN */
    jitter = 0;
  if (jitter > 1)
    jitter = 1;
  delay *= 1.0 - 0.25 * jitter;

  return (gint64) llround (delay);
}

EaselRetryReason
easel_retry_reason_for_error (const GError *why)
{
  if (why == NULL)
    return EASEL_RETRY_REASON_OTHER;
  if (why->domain == G_IO_ERROR)
    return g_error_matches (why, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)
             ? EASEL_RETRY_REASON_TIMED_OUT : EASEL_RETRY_REASON_CONNECTION;
  if (why->domain == G_RESOLVER_ERROR || why->domain == G_TLS_ERROR)
    return EASEL_RETRY_REASON_CONNECTION;
  if (why->domain != EASEL_API_ERROR)
    return EASEL_RETRY_REASON_OTHER;

  switch ((EaselApiErrorCode) why->code)
    {
    case EASEL_API_ERROR_RATE_LIMIT:
      return EASEL_RETRY_REASON_RATE_LIMITED;
    case EASEL_API_ERROR_SERVER:
      return EASEL_RETRY_REASON_SERVER_ERROR;
    case EASEL_API_ERROR_TIMEOUT:
      return EASEL_RETRY_REASON_TIMED_OUT;
    case EASEL_API_ERROR_CONFLICT:
      return EASEL_RETRY_REASON_CONFLICT;
    case EASEL_API_ERROR_NETWORK:
      return EASEL_RETRY_REASON_CONNECTION;
    default:
      /* x-should-retry can make any status retryable: name it by status. */
      if (easel_api_error_get_status (why) >= 500)
        return EASEL_RETRY_REASON_SERVER_ERROR;
      return EASEL_RETRY_REASON_OTHER;
    }
}
