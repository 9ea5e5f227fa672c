/* fuzz-error-body.c: libFuzzer harness for OpenAI error responses
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The first bytes choose the HTTP status, the content type and the
 * Retry-After; the rest is the body given to easel_api_error_from_http().
 * The message is then redacted as every shown message is. A message must be
 * UTF-8 and must not carry the key once redacted.
 */

#define G_LOG_DOMAIN "fuzz-error-body"

#include "config.h"

#include <string.h>

#include "easel-error.h"
#include "fuzz-common.h"

#define SECRET "sk-proj-FuzzSecretKey0123456789abcdefABCDEF"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const char * const content_types[] = {
    "application/json", "application/json; charset=utf-8", "text/html", "text/plain", NULL,
  };
  static const guint statuses[] = { 400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 502, 503, 504 };
  g_autoptr(GError) error = NULL;
  g_autofree char *redacted = NULL;
  g_autofree char *body = NULL;
  const char *request_id;
  guint status;
  guint8 b0, b1;

  static gboolean once;

  if (!once)
    {
      fuzz_make_warnings_fatal ();
      once = TRUE;
    }

  if (size < 2)
    return 0;
  b0 = data[0];
  b1 = data[1];
  data += 2;
  size -= 2;

  /* Mostly real statuses, sometimes any number. */
  status = (b0 & 0x80) ? 100u + (guint) (b0 & 0x7f) * 4u + (guint) (b1 >> 6) : statuses[(b0 & 0x7f) % G_N_ELEMENTS (statuses)];
  request_id = (b1 & 0x08) ? "req_fuzz" : NULL;

  /* The body is not NUL-terminated: an exact-size copy lets ASan see reads
   * past @size. */
  body = g_memdup2 (data, size);
  error = easel_api_error_from_http (status, content_types[(b1 & 0x07) % G_N_ELEMENTS (content_types)],
                                     body, size, request_id, (b1 & 0x10) ? (gint64) (b1 >> 5) * 1000 : -1);

  g_assert_nonnull (error);
  g_assert_true (error->domain == EASEL_API_ERROR);
  g_assert_nonnull (error->message);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_assert_cmpuint (easel_api_error_get_status (error), ==, status);
  (void) easel_api_error_get_error_type (error);
  (void) easel_api_error_get_error_code (error);
  (void) easel_api_error_get_param (error);
  (void) easel_api_error_get_categories (error);
  (void) easel_api_error_get_moderation_stage (error);
  (void) easel_api_error_get_retry_after_ms (error);
  (void) easel_api_error_get_request_id (error);

  redacted = easel_redact (error->message, SECRET);
  g_assert_nonnull (redacted);
  g_assert_true (g_utf8_validate (redacted, -1, NULL));
  g_assert_null (strstr (redacted, SECRET));

  return 0;
}
