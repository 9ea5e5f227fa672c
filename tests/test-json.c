/* test-json.c: JSON from outside is parsed with a bounded depth
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "easel-core.h"

static char *
nested (guint depth,
        char  open,
        char  close)
{
  GString *s = g_string_sized_new (depth * 2 + 2);

  for (guint i = 0; i < depth; i++)
    g_string_append_c (s, open);
  for (guint i = 0; i < depth; i++)
    g_string_append_c (s, close);
  return g_string_free (s, FALSE);
}

static void
test_depth_scan (void)
{
  g_autofree char *deep = nested (80000, '[', ']');
  g_autofree char *ok = nested (EASEL_JSON_MAX_DEPTH, '[', ']');
  g_autofree char *one_more = nested (EASEL_JSON_MAX_DEPTH + 1, '[', ']');
  g_autoptr(GError) error = NULL;

  g_assert_false (easel_json_check_depth (deep, -1, EASEL_JSON_MAX_DEPTH, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "64"));
  g_clear_error (&error);
  g_assert_true (easel_json_check_depth (ok, -1, EASEL_JSON_MAX_DEPTH, NULL));
  g_assert_false (easel_json_check_depth (one_more, -1, EASEL_JSON_MAX_DEPTH, NULL));

  /* Brackets inside strings, escaped quotes included, are not nesting. */
  {
    GString *s = g_string_new ("{\"a\":\"");
    for (guint i = 0; i < 1000; i++)
      g_string_append (s, "[{\\\"");
    g_string_append (s, "\"}");
    g_assert_true (easel_json_check_depth (s->str, s->len, EASEL_JSON_MAX_DEPTH, NULL));
    g_string_free (s, TRUE);
  }
}

/* Through every door: a parsed document, a server's error body and an SSE
 * event, each 80,000 levels deep, give an error, not a stack overflow. */
static void
test_deep_documents (void)
{
  g_autofree char *array = nested (80000, '[', ']');
  g_autofree char *event = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  EaselEvent *parsed;

  root = easel_json_parse (array, -1, &error);
  g_assert_null (root);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  event = g_strdup_printf ("{\"type\":\"response.created\",\"response\":%s}", array);
  parsed = easel_event_parse (event, strlen (event), &error);
  g_assert_null (parsed);
  g_assert_error (error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE);
  g_assert_nonnull (strstr (error->message, "levels deep"));
  g_clear_error (&error);

  root = easel_json_parse ("{\"ok\":[1,2,{\"a\":null}]}", -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/json/depth-scan", test_depth_scan);
  g_test_add_func ("/json/deep-documents", test_deep_documents);
  return g_test_run ();
}
