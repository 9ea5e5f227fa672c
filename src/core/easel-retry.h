/* easel-retry.h: when and how long to wait before retrying, as the official SDKs do
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct
{
  int    max_retries;       /* 4 */
  gint64 initial_delay_ms;  /* 500 */
  gint64 max_delay_ms;      /* 8000 */
} EaselRetryPolicy;

void     easel_retry_policy_init_default (EaselRetryPolicy *policy);

/* Whether this response may be retried: `x-should-retry` wins; otherwise
 * 408, 409, 429 and 5xx. @status 0 means a connection error (retried).
 * insufficient_quota is never retried. */
gboolean easel_retry_should_retry (guint               status,
                                   SoupMessageHeaders *headers,
                                   const char         *error_code);

/* The wait before retry number @attempt (0 for the first retry), or -1 when
 * no retry should happen (not retryable, or attempts exhausted).
 * `retry-after-ms`, then `retry-after` (seconds or an HTTP date, relative to
 * @now_unix) are honoured when 0 < wait <= 60 s; otherwise exponential backoff
 * min(initial * 2^attempt, max) reduced by up to 25 % of @jitter (0..1). */
gint64   easel_retry_delay_ms     (const EaselRetryPolicy *policy,
                                   int                     attempt,
                                   guint                   status,
                                   SoupMessageHeaders     *headers,
                                   const char             *error_code,
                                   gint64                  now_unix,
                                   double                  jitter);

/* Why a request is being retried, for the line the user sees: a refused
 * connection and an HTTP 500 are not "rate limited". */
typedef enum
{
  EASEL_RETRY_REASON_OTHER,
  EASEL_RETRY_REASON_RATE_LIMITED,  /* 429 */
  EASEL_RETRY_REASON_SERVER_ERROR,  /* 5xx */
  EASEL_RETRY_REASON_TIMED_OUT,     /* 408 or no answer in time */
  EASEL_RETRY_REASON_CONFLICT,      /* 409 */
  EASEL_RETRY_REASON_CONNECTION,    /* refused, reset, DNS: nothing reached the server */
} EaselRetryReason;

/* The reason for the error the client passes to its retry callback. */
EaselRetryReason easel_retry_reason_for_error (const GError *why);

/* Parses retry-after-ms / retry-after alone; -1 when absent or invalid. */
gint64   easel_retry_after_ms     (SoupMessageHeaders *headers, gint64 now_unix);

G_END_DECLS
