/* test-retry.c: the SDK retry policy with a fake clock
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-retry"

#include "config.h"

#include <string.h>

#include "easel-error.h"
#include "easel-retry.h"

/* A fixed "now" for every case: 2026-11-21 08:00:00 UTC. */
#define NOW 1795248000

static SoupMessageHeaders *
make_headers (const char * const *pairs)
{
  SoupMessageHeaders *headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);

  for (guint i = 0; pairs != NULL && pairs[i] != NULL; i += 2)
    soup_message_headers_append (headers, pairs[i], pairs[i + 1]);
  return headers;
}

static char *
http_date (gint64 unix_time)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (unix_time);
  return soup_date_time_to_string (dt, SOUP_DATE_HTTP);
}

typedef struct
{
  const char *name;
  guint       status;
  const char *headers[7];
  const char *error_code;
  int         attempt;
  double      jitter;
  gint64      expected;   /* ms, -1 = no retry */
} DelayCase;

static const DelayCase delay_cases[] = {
  /* retryable statuses, exponential backoff without jitter */
  { "408 first", 408, { NULL }, NULL, 0, 0.0, 500 },
  { "409 second", 409, { NULL }, NULL, 1, 0.0, 1000 },
  { "429 third", 429, { NULL }, "rate_limit_exceeded", 2, 0.0, 2000 },
  { "500 fourth", 500, { NULL }, NULL, 3, 0.0, 4000 },
  { "connection error", 0, { NULL }, NULL, 0, 0.0, 500 },
  { "503 full jitter", 503, { NULL }, NULL, 0, 1.0, 375 },
  { "502 half jitter", 502, { NULL }, NULL, 1, 0.5, 875 },
  /* not retryable */
  { "400", 400, { NULL }, NULL, 0, 0.0, -1 },
  { "401", 401, { NULL }, NULL, 0, 0.0, -1 },
  { "404", 404, { NULL }, NULL, 0, 0.0, -1 },
  { "insufficient_quota", 429, { NULL }, "insufficient_quota", 0, 0.0, -1 },
  { "quota beats x-should-retry", 429, { "x-should-retry", "true", NULL }, "insufficient_quota", 0, 0.0, -1 },
  /* x-should-retry wins over the status */
  { "x-should-retry true on 400", 400, { "x-should-retry", "true", NULL }, NULL, 0, 0.0, 500 },
  { "x-should-retry false on 500", 500, { "x-should-retry", "false", NULL }, NULL, 0, 0.0, -1 },
  { "x-should-retry false on 429", 429, { "x-should-retry", "false", "retry-after", "1", NULL }, NULL, 0, 0.0, -1 },
  { "x-should-retry junk ignored", 500, { "x-should-retry", "maybe", NULL }, NULL, 0, 0.0, 500 },
  /* attempts exhausted (default max_retries 4: attempts 0..3) */
  { "attempt 4 exhausted", 500, { NULL }, NULL, 4, 0.0, -1 },
  { "attempt 9 exhausted", 429, { "retry-after", "1", NULL }, NULL, 9, 0.0, -1 },
  /* server-provided waits */
  { "retry-after seconds", 429, { "retry-after", "2", NULL }, NULL, 0, 0.0, 2000 },
  { "retry-after fractional", 429, { "retry-after", "1.5", NULL }, NULL, 0, 1.0, 1500 },
  { "retry-after-ms wins", 429, { "retry-after-ms", "250", "retry-after", "9", NULL }, NULL, 3, 0.0, 250 },
  { "retry-after-ms junk falls back", 429, { "retry-after-ms", "soon", "retry-after", "3", NULL }, NULL, 0, 0.0, 3000 },
  { "retry-after 60 s honoured", 503, { "retry-after", "60", NULL }, NULL, 0, 0.0, 60000 },
  { "retry-after 61 s ignored", 503, { "retry-after", "61", NULL }, NULL, 1, 0.0, 1000 },
  { "retry-after 0 ignored", 503, { "retry-after", "0", NULL }, NULL, 2, 0.0, 2000 },
  { "retry-after negative ignored", 503, { "retry-after", "-5", NULL }, NULL, 0, 0.0, 500 },
  { "retry-after junk ignored", 503, { "retry-after", "later", NULL }, NULL, 0, 0.0, 500 },
  { "retry-after on non-retryable", 400, { "retry-after", "2", NULL }, NULL, 0, 0.0, -1 },
};

static void
test_delay_table (void)
{
  EaselRetryPolicy policy;

  easel_retry_policy_init_default (&policy);
  g_assert_cmpint (policy.max_retries, ==, 4);
  g_assert_cmpint (policy.initial_delay_ms, ==, 500);
  g_assert_cmpint (policy.max_delay_ms, ==, 8000);

  for (guint i = 0; i < G_N_ELEMENTS (delay_cases); i++)
    {
      const DelayCase *c = &delay_cases[i];
      g_autoptr(SoupMessageHeaders) headers = make_headers (c->headers);
      gint64 got;

      g_test_message ("case: %s", c->name);
      got = easel_retry_delay_ms (&policy, c->attempt, c->status, headers, c->error_code, NOW, c->jitter);
      g_assert_cmpint (got, ==, c->expected);

      /* NULL policy means the default one. */
      got = easel_retry_delay_ms (NULL, c->attempt, c->status, headers, c->error_code, NOW, c->jitter);
      g_assert_cmpint (got, ==, c->expected);

      g_assert_cmpint (easel_retry_should_retry (c->status, headers, c->error_code), ==,
                       c->expected >= 0 || c->attempt >= 4);
    }
}

static void
test_backoff_cap (void)
{
  EaselRetryPolicy policy = { .max_retries = 40, .initial_delay_ms = 500, .max_delay_ms = 8000 };
  static const gint64 expected[] = { 500, 1000, 2000, 4000, 8000, 8000, 8000 };

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpint (easel_retry_delay_ms (&policy, (int) i, 500, NULL, NULL, NOW, 0.0), ==, expected[i]);
  /* No overflow for absurd attempt numbers. */
  g_assert_cmpint (easel_retry_delay_ms (&policy, 39, 500, NULL, NULL, NOW, 0.0), ==, 8000);
  /* max_retries 0 never retries. */
  policy.max_retries = 0;
  g_assert_cmpint (easel_retry_delay_ms (&policy, 0, 500, NULL, NULL, NOW, 0.0), ==, -1);
}

static void
test_jitter_bounds (void)
{
  EaselRetryPolicy policy;

  easel_retry_policy_init_default (&policy);
  for (int attempt = 0; attempt < 4; attempt++)
    {
      gint64 base = easel_retry_delay_ms (&policy, attempt, 500, NULL, NULL, NOW, 0.0);
      gint64 previous = base;

      for (int step = 0; step <= 20; step++)
        {
          double jitter = step / 20.0;
          gint64 d = easel_retry_delay_ms (&policy, attempt, 500, NULL, NULL, NOW, jitter);

          g_assert_cmpint (d, <=, base);
          g_assert_cmpint (d, >=, (base * 3) / 4);
          g_assert_cmpint (d, <=, previous);   /* more jitter, shorter wait */
          previous = d;
        }

      /* Out-of-range jitter is clamped. */
      g_assert_cmpint (easel_retry_delay_ms (&policy, attempt, 500, NULL, NULL, NOW, -3.0), ==, base);
      g_assert_cmpint (easel_retry_delay_ms (&policy, attempt, 500, NULL, NULL, NOW, 7.0), ==,
                       easel_retry_delay_ms (&policy, attempt, 500, NULL, NULL, NOW, 1.0));
    }
}

static void
test_http_date (void)
{
  struct { gint64 offset_s; gint64 expected_after; gint64 expected_delay; } cases[] = {
    { 5, 5000, 5000 },     /* five seconds ahead: honoured */
    { 60, 60000, 60000 },  /* the limit */
    { 90, 90000, 500 },    /* too far: backoff */
    { -30, 0, 500 },       /* in the past: "now", backoff */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *date = http_date (NOW + cases[i].offset_s);
      const char *pairs[] = { "retry-after", date, NULL };
      g_autoptr(SoupMessageHeaders) headers = make_headers (pairs);

      g_test_message ("retry-after: %s", date);
      g_assert_cmpint (easel_retry_after_ms (headers, NOW), ==, cases[i].expected_after);
      g_assert_cmpint (easel_retry_delay_ms (NULL, 0, 429, headers, NULL, NOW, 0.0), ==,
                       cases[i].expected_delay);
    }
}

static void
test_after_ms_alone (void)
{
  g_assert_cmpint (easel_retry_after_ms (NULL, NOW), ==, -1);
  {
    g_autoptr(SoupMessageHeaders) h = make_headers (NULL);
    g_assert_cmpint (easel_retry_after_ms (h, NOW), ==, -1);
  }
  {
    const char *pairs[] = { "retry-after-ms", " 12.2 ", NULL };
    g_autoptr(SoupMessageHeaders) h = make_headers (pairs);
    g_assert_cmpint (easel_retry_after_ms (h, NOW), ==, 13);
  }
  {
    const char *pairs[] = { "retry-after", "120", NULL };
    g_autoptr(SoupMessageHeaders) h = make_headers (pairs);
    /* Parsed as is; only the delay decides whether 120 s is honoured. */
    g_assert_cmpint (easel_retry_after_ms (h, NOW), ==, 120000);
  }
  {
    const char *pairs[] = { "retry-after", "Tue, 32 Foo 2026 99:00:00 GMT", NULL };
    g_autoptr(SoupMessageHeaders) h = make_headers (pairs);
    g_assert_cmpint (easel_retry_after_ms (h, NOW), ==, -1);
  }
}

static void
test_reason (void)
{
  static const char rate[] = "{\"error\":{\"message\":\"Rate limit\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}";
  static const char server[] = "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}";
  g_autoptr(GError) e429 = easel_api_error_from_http (429, "application/json", rate, strlen (rate), NULL, -1);
  g_autoptr(GError) e500 = easel_api_error_from_http (500, "application/json", server, strlen (server), NULL, -1);
  g_autoptr(GError) e502 = easel_api_error_from_http (502, "text/html", "<html>bad gateway</html>", 24, NULL, -1);
  g_autoptr(GError) refused = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, "Connection refused");
  g_autoptr(GError) network = easel_api_error_new_literal (EASEL_API_ERROR_NETWORK, "Could not connect");
  g_autoptr(GError) timeout = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "Timed out");

  g_assert_cmpint (easel_retry_reason_for_error (e429), ==, EASEL_RETRY_REASON_RATE_LIMITED);
  g_assert_cmpint (easel_retry_reason_for_error (e500), ==, EASEL_RETRY_REASON_SERVER_ERROR);
  g_assert_cmpint (easel_retry_reason_for_error (e502), ==, EASEL_RETRY_REASON_SERVER_ERROR);
  g_assert_cmpint (easel_retry_reason_for_error (refused), ==, EASEL_RETRY_REASON_CONNECTION);
  g_assert_cmpint (easel_retry_reason_for_error (network), ==, EASEL_RETRY_REASON_CONNECTION);
  g_assert_cmpint (easel_retry_reason_for_error (timeout), ==, EASEL_RETRY_REASON_TIMED_OUT);
  g_assert_cmpint (easel_retry_reason_for_error (NULL), ==, EASEL_RETRY_REASON_OTHER);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/retry/delay-table", test_delay_table);
  g_test_add_func ("/core/retry/backoff-cap", test_backoff_cap);
  g_test_add_func ("/core/retry/jitter-bounds", test_jitter_bounds);
  g_test_add_func ("/core/retry/http-date", test_http_date);
  g_test_add_func ("/core/retry/after-ms", test_after_ms_alone);
  g_test_add_func ("/core/retry/reason", test_reason);

  return g_test_run ();
}
