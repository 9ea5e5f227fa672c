/* test-error.c: OpenAI error bodies → EASEL_API_ERROR, and redaction
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-error"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "easel-error.h"

/* The bodies of ../shared/openai-spec/transcripts/NAME.http, embedded so the
 * test runs without the shared folder; when it is there, the files are
 * also parsed and must map the same way. */
typedef struct
{
  const char        *file;
  guint              status;
  const char        *content_type;
  const char        *body;
  const char        *request_id;
  gint64             retry_after_ms;
  EaselApiErrorCode  code;
  const char        *type;
  const char        *error_code;
  const char        *param;
  const char        *message_contains;
  const char        *categories;       /* comma separated, NULL for none */
  const char        *stage;
} HttpCase;

#define REQ "req_0123456789abcdef0123456789abcdef"

static const HttpCase http_cases[] = {
  { "error-400-invalid-value.http", 400, "application/json",
    "{\n  \"error\": {\n    \"message\": \"Invalid value: 'ultra'. Supported values are: 'low', 'medium', 'high', and 'auto'.\",\n"
    "    \"type\": \"invalid_request_error\",\n    \"param\": \"quality\",\n    \"code\": \"invalid_value\"\n  }\n}",
    REQ, -1, EASEL_API_ERROR_BAD_REQUEST, "invalid_request_error", "invalid_value", "quality",
    "Invalid value: 'ultra'", NULL, NULL },
  { "error-400-moderation-blocked.http", 400, "application/json",
    "{\n  \"error\": {\n    \"message\": \"Your request was rejected by the safety system. If you believe this is an error, contact us at help.openai.com and include the request ID 3f1c2a9e-6d0b-4f57-9a1e-8c2b7d4e5f60. safety_violations=[sexual].\",\n"
    "    \"type\": \"image_generation_user_error\",\n    \"param\": null,\n    \"code\": \"moderation_blocked\",\n"
    "    \"moderation_details\": {\n      \"moderation_stage\": \"input\",\n      \"categories\": [\n        \"sexual\"\n      ]\n    }\n  }\n}",
    REQ, -1, EASEL_API_ERROR_MODERATION, "image_generation_user_error", "moderation_blocked", NULL,
    "rejected by the safety system", "sexual", "input" },
  { "error-400-tool-not-supported.http", 400, "application/json",
    "{\n  \"error\": {\n    \"message\": \"Hosted tool 'image_generation' is not supported with gpt-4.o.\",\n"
    "    \"type\": \"invalid_request_error\",\n    \"param\": \"tools\",\n    \"code\": null\n  }\n}",
    REQ, -1, EASEL_API_ERROR_BAD_REQUEST, "invalid_request_error", NULL, "tools",
    "Hosted tool 'image_generation' is not supported", NULL, NULL },
  { "error-401-invalid-api-key.http", 401, "application/json",
    "{\n  \"error\": {\n    \"message\": \"Incorrect API key provided: sk-test. You can find your API key at https://platform.openai.com/account/api-keys.\",\n"
    "    \"type\": \"invalid_request_error\",\n    \"param\": null,\n    \"code\": \"invalid_api_key\"\n  }\n}",
    REQ, -1, EASEL_API_ERROR_AUTHENTICATION, "invalid_request_error", "invalid_api_key", NULL,
    "Incorrect API key provided: sk-…redacted. You can find", NULL, NULL },
  { "error-429-insufficient-quota.http", 429, "application/json",
    "{\n  \"error\": {\n    \"message\": \"You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.\",\n"
    "    \"type\": \"insufficient_quota\",\n    \"param\": null,\n    \"code\": \"insufficient_quota\"\n  }\n}",
    REQ, -1, EASEL_API_ERROR_QUOTA, "insufficient_quota", "insufficient_quota", NULL,
    "You exceeded your current quota", NULL, NULL },
  { "error-429-rate-limit.http", 429, "application/json",
    "{\n  \"error\": {\n    \"message\": \"Rate limit reached for gpt-image-1.5 in organization org-XXXXXXXXXXXXXXXXXXXXXXXX on tokens per min (TPM): Limit 100000, Used 98110, Requested 4360. Please try again in 1.482s. Visit https://platform.openai.com/account/rate-limits to learn more.\",\n"
    "    \"type\": \"tokens\",\n    \"param\": null,\n    \"code\": \"rate_limit_exceeded\"\n  }\n}",
    REQ, 2000, EASEL_API_ERROR_RATE_LIMIT, "tokens", "rate_limit_exceeded", NULL,
    "Rate limit reached for gpt-image-1.5", NULL, NULL },

  /* Not in the transcripts folder. */
  { NULL, 502, "text/html",
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n",
    NULL, -1, EASEL_API_ERROR_SERVER, NULL, NULL, NULL,
    "The server returned HTTP 502 Bad Gateway (an HTML page, not an OpenAI error)", NULL, NULL },
  { NULL, 503, NULL, "", NULL, 1000, EASEL_API_ERROR_SERVER, NULL, NULL, NULL,
    "HTTP 503 Service Unavailable (an empty body", NULL, NULL },
  { NULL, 418, "text/plain", "teapot", NULL, -1, EASEL_API_ERROR_BAD_RESPONSE, NULL, NULL, NULL,
    "HTTP 418", NULL, NULL },
  { NULL, 403, "application/json",
    "{\"error\":{\"message\":\"Your organization must be verified to use the model `gpt-image-1`. Please go to: https://platform.openai.com/settings/organization/general and click on Verify Organization. If you just verified, it can take up to 15 minutes for access to propagate.\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}",
    "req_403", -1, EASEL_API_ERROR_PERMISSION, "invalid_request_error", NULL, NULL,
    "Your organization must be verified", NULL, NULL },
  { NULL, 403, "application/json", "{\"error\":{\"type\":\"permission_error\",\"code\":null}}",
    NULL, -1, EASEL_API_ERROR_PERMISSION, "permission_error", NULL, NULL,
    "verified organisation", NULL, NULL },
  { NULL, 404, "application/json",
    "{\"error\":{\"message\":\"The model `gpt-image-9` does not exist or you do not have access to it.\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"model_not_found\"}}",
    NULL, -1, EASEL_API_ERROR_NOT_FOUND, "invalid_request_error", "model_not_found", NULL,
    "gpt-image-9", NULL, NULL },
  { NULL, 400, "application/json",
    "{\"error\":{\"message\":\"The requested model 'gpt-4.o' does not exist.\",\"type\":\"invalid_request_error\",\"param\":\"model\",\"code\":\"model_not_found\"}}",
    NULL, -1, EASEL_API_ERROR_NOT_FOUND, "invalid_request_error", "model_not_found", "model",
    "does not exist", NULL, NULL },
  { NULL, 408, "application/json", "{\"error\":{\"message\":\"Request timed out.\",\"type\":\"timeout\",\"param\":null,\"code\":null}}",
    NULL, -1, EASEL_API_ERROR_TIMEOUT, "timeout", NULL, NULL, "timed out", NULL, NULL },
  { NULL, 409, "application/json", "{\"error\":{\"message\":\"Conflict.\",\"type\":\"conflict\",\"param\":null,\"code\":null}}",
    NULL, -1, EASEL_API_ERROR_CONFLICT, "conflict", NULL, NULL, "Conflict", NULL, NULL },
  { NULL, 422, "application/problem+json", "{\"type\":\"https://stoplight.io/prism/errors#UNPROCESSABLE_ENTITY\",\"title\":\"Invalid request\",\"status\":422}",
    NULL, -1, EASEL_API_ERROR_UNPROCESSABLE, NULL, NULL, NULL, "HTTP 422", NULL, NULL },
  { NULL, 500, "application/json", "{\"error\":{\"message\":\"The server had an error while processing your request. Sorry about that!\",\"type\":\"server_error\",\"param\":\"\",\"code\":null}}",
    NULL, -1, EASEL_API_ERROR_SERVER, "server_error", NULL, NULL, "The server had an error", NULL, NULL },
  /* Older/Azure moderation body: no moderation_details, param "". */
  { NULL, 400, "application/json", "{\"error\":{\"message\":\"Rejected. safety_violations=[violence, self-harm].\",\"type\":\"image_generation_user_error\",\"param\":\"\",\"code\":\"moderation_blocked\"}}",
    NULL, -1, EASEL_API_ERROR_MODERATION, "image_generation_user_error", "moderation_blocked", NULL,
    "Rejected", "violence,self-harm", NULL },
  /* A compatible server's {"error": "text"}. */
  { NULL, 401, "application/json", "{\"error\":\"bad key sk-proj-abcdef123\"}", NULL, -1,
    EASEL_API_ERROR_AUTHENTICATION, NULL, NULL, NULL, "bad key sk-…redacted", NULL, NULL },
};

static void
check_http_error (const HttpCase *c,
                  GError         *error)
{
  const char * const *categories;

  g_assert_nonnull (error);
  g_assert_true (error->domain == EASEL_API_ERROR);
  g_assert_cmpint (error->code, ==, c->code);
  g_assert_nonnull (strstr (error->message, c->message_contains));
  g_assert_null (strstr (error->message, "sk-test"));
  g_assert_null (strstr (error->message, "sk-proj"));
  g_assert_cmpstr (easel_api_error_get_error_type (error), ==, c->type);
  g_assert_cmpstr (easel_api_error_get_error_code (error), ==, c->error_code);
  g_assert_cmpstr (easel_api_error_get_param (error), ==, c->param);
  g_assert_cmpuint (easel_api_error_get_status (error), ==, c->status);
  g_assert_cmpint (easel_api_error_get_retry_after_ms (error), ==, c->retry_after_ms);
  g_assert_cmpstr (easel_api_error_get_request_id (error), ==, c->request_id);
  g_assert_cmpstr (easel_api_error_get_moderation_stage (error), ==, c->stage);

  categories = easel_api_error_get_categories (error);
  if (c->categories == NULL)
    g_assert_true (categories == NULL || categories[0] == NULL);
  else
    {
      g_autofree char *joined = NULL;
      g_assert_nonnull (categories);
      joined = g_strjoinv (",", (char **) categories);
      g_assert_cmpstr (joined, ==, c->categories);
    }
}

static void
test_http_embedded (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (http_cases); i++)
    {
      const HttpCase *c = &http_cases[i];
      g_autoptr(GError) error = NULL;
      g_autoptr(GError) copy = NULL;

      g_test_message ("case %u: HTTP %u %s", i, c->status, c->file ? c->file : "");
      error = easel_api_error_from_http (c->status, c->content_type, c->body, strlen (c->body),
                                         c->request_id, c->retry_after_ms);
      check_http_error (c, error);

      /* The extended data survives g_error_copy. */
      copy = g_error_copy (error);
      check_http_error (c, copy);
    }
}

/* Parses a raw .http transcript: status line, headers, blank line, body. */
static gboolean
parse_http (const char  *text,
            guint       *status,
            char       **content_type,
            char       **request_id,
            gint64      *retry_after_ms,
            const char **body)
{
  g_auto(GStrv) lines = NULL;
  const char *sep = strstr (text, "\r\n\r\n");
  gsize skip = 4;
  g_autofree char *head = NULL;

  if (sep == NULL)
    {
      sep = strstr (text, "\n\n");
      skip = 2;
    }
  if (sep == NULL)
    return FALSE;

  head = g_strndup (text, sep - text);
  *body = sep + skip;
  lines = g_strsplit (head, "\n", -1);
  if (sscanf (lines[0], "HTTP/%*s %u", status) != 1)
    return FALSE;

  *retry_after_ms = -1;
  for (guint i = 1; lines[i] != NULL; i++)
    {
      char *colon = strchr (lines[i], ':');
      g_autofree char *raw_name = NULL;
      g_autofree char *name = NULL;
      g_autofree char *value = NULL;

      if (colon == NULL)
        continue;
      raw_name = g_strndup (lines[i], colon - lines[i]);
      name = g_ascii_strdown (g_strstrip (raw_name), -1);
      value = g_strstrip (g_strdup (colon + 1));
      if (g_str_equal (name, "content-type"))
        *content_type = g_strdup (value);
      else if (g_str_equal (name, "x-request-id"))
        *request_id = g_strdup (value);
      else if (g_str_equal (name, "retry-after"))
        *retry_after_ms = g_ascii_strtoll (value, NULL, 10) * 1000;
    }

  return TRUE;
}

static void
test_http_transcripts (void)
{
  const char *shared = g_getenv ("EASEL_SHARED_DIR");
  g_autofree char *dir_path = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;
  guint seen = 0;

  if (shared == NULL)
    {
      g_test_skip ("EASEL_SHARED_DIR is not set");
      return;
    }
  dir_path = g_build_filename (shared, "openai-spec", "transcripts", NULL);
  dir = g_dir_open (dir_path, 0, NULL);
  if (dir == NULL)
    {
      g_test_skip ("no transcripts folder");
      return;
    }

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *text = NULL;
      g_autofree char *content_type = NULL;
      g_autofree char *request_id = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GError) mapped = NULL;
      const HttpCase *c = NULL;
      const char *body = NULL;
      gint64 retry_after_ms;
      guint status;

      if (!g_str_has_suffix (name, ".http"))
        continue;

      for (guint i = 0; i < G_N_ELEMENTS (http_cases); i++)
        if (g_strcmp0 (http_cases[i].file, name) == 0)
          c = &http_cases[i];
      /* Every transcript must have a row in the table above. */
      g_assert_nonnull (c);

      path = g_build_filename (dir_path, name, NULL);
      g_file_get_contents (path, &text, NULL, &error);
      g_assert_no_error (error);
      g_assert_true (parse_http (text, &status, &content_type, &request_id, &retry_after_ms, &body));
      g_assert_cmpuint (status, ==, c->status);

      mapped = easel_api_error_from_http (status, content_type, body, strlen (body),
                                          request_id, retry_after_ms);
      check_http_error (c, mapped);
      seen++;
    }

  g_assert_cmpuint (seen, >=, 6);
}

/* Stream error events: nested (live) and flat (spec) shapes, status 0. */
typedef struct
{
  const char        *json;
  EaselApiErrorCode  fallback;
  EaselApiErrorCode  code;
  const char        *message_contains;
  const char        *categories;
} ObjectCase;

static const ObjectCase object_cases[] = {
  { "{\"type\":\"too_many_requests\",\"code\":\"too_many_requests\",\"message\":\"Too Many Requests\",\"param\":null}",
    EASEL_API_ERROR_STREAM, EASEL_API_ERROR_RATE_LIMIT, "Too Many Requests", NULL },
  { "{\"type\":\"server_error\",\"code\":\"server_error\",\"message\":\"The server had an error.\",\"param\":null}",
    EASEL_API_ERROR_STREAM, EASEL_API_ERROR_SERVER, "server had an error", NULL },
  { "{\"type\":\"image_generation_user_error\",\"code\":\"moderation_blocked\",\"message\":\"Blocked.\","
    "\"moderation_details\":{\"moderation_stage\":\"output\",\"categories\":[\"violence\",\"gore\"]}}",
    EASEL_API_ERROR_STREAM, EASEL_API_ERROR_MODERATION, "Blocked.", "violence,gore" },
  { "{\"code\":\"invalid_prompt\",\"message\":\"Invalid prompt.\"}",
    EASEL_API_ERROR_STREAM, EASEL_API_ERROR_STREAM, "Invalid prompt.", NULL },
  { "{}", EASEL_API_ERROR_STREAM, EASEL_API_ERROR_STREAM, "reported an error", NULL },
};

static void
test_from_object (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (object_cases); i++)
    {
      const ObjectCase *c = &object_cases[i];
      g_autoptr(JsonNode) node = json_from_string (c->json, NULL);
      g_autoptr(GError) error = NULL;
      const char * const *categories;

      g_assert_nonnull (node);
      error = easel_api_error_from_object (json_node_get_object (node), 0, c->fallback);
      g_assert_error (error, EASEL_API_ERROR, (int) c->code);
      g_assert_nonnull (strstr (error->message, c->message_contains));
      g_assert_cmpuint (easel_api_error_get_status (error), ==, 0);
      g_assert_cmpint (easel_api_error_get_retry_after_ms (error), ==, -1);

      categories = easel_api_error_get_categories (error);
      if (c->categories)
        {
          g_autofree char *joined = g_strjoinv (",", (char **) categories);
          g_assert_cmpstr (joined, ==, c->categories);
          g_assert_cmpstr (easel_api_error_get_moderation_stage (error), ==, "output");
        }
      else
        g_assert_true (categories == NULL || categories[0] == NULL);
    }
}

static void
test_getters_on_other_errors (void)
{
  g_autoptr(GError) io = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "x");
  g_autoptr(GError) lit = easel_api_error_new_literal (EASEL_API_ERROR_NETWORK, "down sk-abc123xyz");

  g_assert_null (easel_api_error_get_error_type (io));
  g_assert_cmpint (easel_api_error_get_retry_after_ms (io), ==, -1);
  g_assert_cmpuint (easel_api_error_get_status (io), ==, 0);
  g_assert_null (easel_api_error_get_categories (NULL));

  g_assert_error (lit, EASEL_API_ERROR, EASEL_API_ERROR_NETWORK);
  g_assert_cmpstr (lit->message, ==, "down sk-…redacted");
  g_assert_cmpint (easel_api_error_get_retry_after_ms (lit), ==, -1);
}

typedef struct
{
  const char *text;
  const char *secret;
  const char *expected;
} RedactCase;

static const RedactCase redact_cases[] = {
  { "Incorrect API key provided: sk-test. You can find", NULL,
    "Incorrect API key provided: sk-…redacted. You can find" },
  { "key sk-proj-AbC_123-xyz end", NULL, "key sk-…redacted end" },
  { "echo sk-abc1***********wxyz.", NULL, "echo sk-…redacted." },
  { "Authorization: Bearer mysecretvalue", "mysecretvalue", "Authorization: Bearer sk-…redacted" },
  { "twice mysecret and mysecret", "mysecret", "twice sk-…redacted and sk-…redacted" },
  { "nothing here", "", "nothing here" },
  { "sk- is not a key, nor sk-ab", NULL, "sk- is not a key, nor sk-ab" },
  { "ask-me-anything", NULL, "ask-me-anything" },
  { "", "x", "" },
  { "already sk-…redacted", NULL, "already sk-…redacted" },
};

static void
test_redact (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (redact_cases); i++)
    {
      g_autofree char *out = easel_redact (redact_cases[i].text, redact_cases[i].secret);
      g_assert_cmpstr (out, ==, redact_cases[i].expected);
    }
  g_assert_null (easel_redact (NULL, "x"));
}

/* A server that echoes the key in every field it controls. */
static void
test_redact_every_field (void)
{
  const char *key = "sk-proj-ECHOEDabcdef0123456789";
  g_autofree char *body = g_strdup_printf ("{\"error\":{\"message\":\"m %s\",\"type\":\"%s\","
                                           "\"code\":\"c %s\",\"param\":\"%s\","
                                           "\"moderation_details\":{\"moderation_stage\":\"%s\","
                                           "\"categories\":[\"%s\"]}}}",
                                           key, key, key, key, key, key);
  g_autoptr(GError) error = easel_api_error_from_http (400, "application/json", body, strlen (body),
                                                        key, -1);
  g_autoptr(GError) plain = easel_api_error_from_http (502, "text/html", "<html>", 6, key, -1);
  const char * const *categories;

  g_assert_null (strstr (error->message, "ECHOED"));
  g_assert_cmpstr (easel_api_error_get_error_type (error), ==, "sk-…redacted");
  g_assert_cmpstr (easel_api_error_get_error_code (error), ==, "c sk-…redacted");
  g_assert_cmpstr (easel_api_error_get_param (error), ==, "sk-…redacted");
  g_assert_cmpstr (easel_api_error_get_request_id (error), ==, "sk-…redacted");
  g_assert_cmpstr (easel_api_error_get_moderation_stage (error), ==, "sk-…redacted");
  categories = easel_api_error_get_categories (error);
  g_assert_nonnull (categories);
  g_assert_cmpstr (categories[0], ==, "sk-…redacted");
  g_assert_cmpstr (easel_api_error_get_request_id (plain), ==, "sk-…redacted");
}

/* Text that is not UTF-8 (from a server or a file) is still redacted and
 * never turns into NULL. */
static void
test_redact_invalid_utf8 (void)
{
  g_autofree char *out = easel_redact ("bad \377 byte sk-proj-abcdefghijklmnopqrstuvwxyz012345", NULL);

  g_assert_nonnull (out);
  g_assert_true (g_utf8_validate (out, -1, NULL));
  g_assert_null (strstr (out, "abcdefghijklmnop"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/error/http-embedded", test_http_embedded);
  g_test_add_func ("/core/error/http-transcripts", test_http_transcripts);
  g_test_add_func ("/core/error/from-object", test_from_object);
  g_test_add_func ("/core/error/other-errors", test_getters_on_other_errors);
  g_test_add_func ("/core/error/redact", test_redact);
  g_test_add_func ("/core/error/redact-every-field", test_redact_every_field);

  g_test_add_func ("/core/error/redact-invalid-utf8", test_redact_invalid_utf8);
  return g_test_run ();
}
