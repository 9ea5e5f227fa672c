/* test-request.c: request bodies (JSON, multipart), hashing, input images
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-request"

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "easel-models.h"
#include "easel-request.h"

static GBytes *
make_image (int         width,
            int         height,
            gboolean    alpha,
            const char *format,
            guint8      shade)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, alpha, 8, width, height);
  g_autoptr(GError) error = NULL;
  char *buffer = NULL;
  gsize len = 0;

  gdk_pixbuf_fill (pixbuf, 0x10203000u | shade);
  gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &len, format, &error, NULL);
  g_assert_no_error (error);
  return g_bytes_new_take (buffer, len);
}

static JsonObject *
member_object (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);
  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_node_get_object (node);
}

static JsonArray *
member_array (JsonObject *object,
              const char *name)
{
  JsonNode *node = json_object_get_member (object, name);
  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (node));
  return json_node_get_array (node);
}

/* Serialises and parses back, so the test sees what goes on the wire. */
static JsonNode *
roundtrip (const EaselRequest *request)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = easel_request_to_json (request, &error);
  g_autofree char *text = NULL;
  JsonNode *parsed;

  g_assert_no_error (error);
  g_assert_nonnull (node);
  text = json_to_string (node, FALSE);
  parsed = json_from_string (text, &error);
  g_assert_no_error (error);
  return parsed;
}

static void
assert_members (JsonObject         *object,
                const char * const *expected)
{
  g_autoptr(GList) members = json_object_get_members (object);

  g_assert_cmpuint (g_list_length (members), ==, g_strv_length ((char **) expected));
  for (guint i = 0; expected[i] != NULL; i++)
    if (!json_object_has_member (object, expected[i]))
      g_error ("member %s missing", expected[i]);
}

/* ---- api names ------------------------------------------------------ */

static void
test_api_names (void)
{
  static const struct { EaselApi api; const char *name; const char *path; } rows[] = {
    { EASEL_API_IMAGES_GENERATE, "generate", "/images/generations" },
    { EASEL_API_IMAGES_EDIT, "edit", "/images/edits" },
    { EASEL_API_IMAGES_VARIATION, "variation", "/images/variations" },
    { EASEL_API_RESPONSES, "responses", "/responses" },
  };
  EaselApi api;

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autoptr(EaselRequest) r = easel_request_new (rows[i].api);

      g_assert_cmpstr (easel_api_to_string (rows[i].api), ==, rows[i].name);
      g_assert_true (easel_api_from_string (rows[i].name, &api));
      g_assert_cmpint (api, ==, rows[i].api);
      g_assert_cmpstr (easel_request_get_path (r), ==, rows[i].path);
    }
  g_assert_false (easel_api_from_string ("bogus", &api));
  g_assert_false (easel_api_from_string (NULL, &api));
}

/* ---- generations ---------------------------------------------------- */

static void
test_generate_minimal (void)
{
  g_autoptr(EaselRequest) r = easel_request_new (EASEL_API_IMAGES_GENERATE);
  g_autoptr(JsonNode) node = NULL;
  JsonObject *o;

  r->model = g_strdup ("gpt-image-1.5");
  r->prompt = g_strdup ("A red fox");
  /* partial_images without stream is not sent */
  r->partial_images = 2;

  g_assert_false (easel_request_is_multipart (r));
  node = roundtrip (r);
  o = json_node_get_object (node);
  assert_members (o, (const char * const[]) { "model", "prompt", NULL });
  g_assert_cmpstr (json_object_get_string_member (o, "prompt"), ==, "A red fox");
}

static void
test_generate_full (void)
{
  g_autoptr(EaselRequest) r = easel_request_new (EASEL_API_IMAGES_GENERATE);
  g_autoptr(JsonNode) node = NULL;
  JsonObject *o;

  r->model = g_strdup ("gpt-image-1.5");
  r->prompt = g_strdup ("A red fox in fresh snow");
  r->n = 2;
  r->size = g_strdup ("1024x1024");
  r->quality = g_strdup ("high");
  r->background = g_strdup ("opaque");
  r->output_format = g_strdup ("webp");
  r->output_compression = 0;   /* 0 is a value, not unset */
  r->moderation = g_strdup ("low");
  r->user = g_strdup ("user-1");
  r->stream = TRUE;
  r->partial_images = 0;
  /* Fields /images/generations does not take are not sent even if set. */
  r->input_fidelity = g_strdup ("high");
  r->action = g_strdup ("edit");

  node = roundtrip (r);
  o = json_node_get_object (node);
  assert_members (o, (const char * const[]) {
    "model", "prompt", "n", "size", "quality", "background", "output_format",
    "output_compression", "moderation", "user", "stream", "partial_images", NULL });
  g_assert_cmpint (json_object_get_int_member (o, "n"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (o, "output_compression"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (o, "partial_images"), ==, 0);
  g_assert_true (json_object_get_boolean_member (o, "stream"));
  g_assert_cmpstr (json_object_get_string_member (o, "output_format"), ==, "webp");
}

static void
test_generate_dalle3 (void)
{
  g_autoptr(EaselRequest) r = easel_request_new (EASEL_API_IMAGES_GENERATE);
  g_autoptr(JsonNode) node = NULL;
  JsonObject *o;

  r->model = g_strdup ("dall-e-3");
  r->prompt = g_strdup ("a white siamese cat");
  r->size = g_strdup ("1792x1024");
  r->quality = g_strdup ("hd");
  r->style = g_strdup ("natural");
  r->response_format = g_strdup ("b64_json");

  node = roundtrip (r);
  o = json_node_get_object (node);
  assert_members (o, (const char * const[]) {
    "model", "prompt", "size", "quality", "style", "response_format", NULL });
  g_assert_cmpstr (json_object_get_string_member (o, "style"), ==, "natural");
  g_assert_cmpstr (json_object_get_string_member (o, "response_format"), ==, "b64_json");
}

/* ---- responses ------------------------------------------------------ */

static void
test_responses_text_only (void)
{
  g_autoptr(EaselRequest) r = easel_request_new (EASEL_API_RESPONSES);
  g_autoptr(JsonNode) node = NULL;
  JsonObject *o, *tool;
  JsonArray *tools;

  /* The NOTES.md §5(b) request. */
  r->responses_model = g_strdup ("gpt-4.1");
  r->prompt = g_strdup ("Draw a red fox in the snow");
  r->stream = TRUE;
  r->model = g_strdup ("gpt-image-1.5");
  r->partial_images = 2;
  r->size = g_strdup ("1024x1536");
  r->quality = g_strdup ("high");
  r->background = g_strdup ("opaque");
  r->output_format = g_strdup ("png");

  node = roundtrip (r);
  o = json_node_get_object (node);
  assert_members (o, (const char * const[]) { "model", "input", "stream", "tools", "tool_choice", NULL });
  g_assert_cmpstr (json_object_get_string_member (member_object (o, "tool_choice"), "type"), ==, "image_generation");
  g_assert_cmpstr (json_object_get_string_member (o, "model"), ==, "gpt-4.1");
  g_assert_cmpstr (json_object_get_string_member (o, "input"), ==, "Draw a red fox in the snow");
  tools = member_array (o, "tools");
  g_assert_cmpuint (json_array_get_length (tools), ==, 1);
  tool = json_array_get_object_element (tools, 0);
  assert_members (tool, (const char * const[]) {
    "type", "model", "partial_images", "size", "quality", "background", "output_format", NULL });
  g_assert_cmpstr (json_object_get_string_member (tool, "type"), ==, "image_generation");
  g_assert_cmpint (json_object_get_int_member (tool, "partial_images"), ==, 2);
}

static void
test_responses_default_model (void)
{
  g_autoptr(EaselRequest) r = easel_request_new (EASEL_API_RESPONSES);
  g_autoptr(JsonNode) node = NULL;
  JsonObject *o, *tool;

  r->prompt = g_strdup ("a cat");
  r->partial_images = 3;   /* not streaming: not sent */
  node = roundtrip (r);
  o = json_node_get_object (node);
  assert_members (o, (const char * const[]) { "model", "input", "tools", "tool_choice", NULL });
  g_assert_cmpstr (json_object_get_string_member (o, "model"), ==, EASEL_DEFAULT_RESPONSES_MODEL);
  tool = json_array_get_object_element (member_array (o, "tools"), 0);
  assert_members (tool, (const char * const[]) { "type", NULL });
}

static void
test_responses_tool_choice_and_background (void)
{
  g_autoptr(EaselRequest) r = easel_request_new (EASEL_API_RESPONSES);
  g_autofree char *hash_forced = NULL;
  g_autofree char *hash_free = NULL;

  r->prompt = g_strdup ("a cat");
  r->stream = TRUE;
  r->let_model_decide = TRUE;
  r->run_in_background = TRUE;
  {
    g_autoptr(JsonNode) node = roundtrip (r);
    JsonObject *o = json_node_get_object (node);

    assert_members (o, (const char * const[]) { "model", "input", "tools", "background", "stream", NULL });
    g_assert_true (json_object_get_boolean_member (o, "background"));
  }

  /* Letting the model answer in text may give another result; background
   * mode only changes the delivery. */
  hash_free = easel_request_hash (r);
  r->let_model_decide = FALSE;
  hash_forced = easel_request_hash (r);
  g_assert_cmpstr (hash_free, !=, hash_forced);
  r->run_in_background = FALSE;
  {
    g_autofree char *hash_plain = easel_request_hash (r);
    g_assert_cmpstr (hash_plain, ==, hash_forced);
  }
}

static void
test_responses_images_and_refs (void)
{
  g_autoptr(EaselRequest) r = easel_request_new (EASEL_API_RESPONSES);
  g_autoptr(GBytes) png = make_image (4, 4, TRUE, "png", 1);
  g_autoptr(GBytes) mask = make_image (4, 4, TRUE, "png", 2);
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *expected_url = NULL;
  JsonObject *o, *message, *part, *ref, *tool, *tool_mask;
  JsonArray *input, *content;

  r->responses_model = g_strdup ("gpt-5");
  r->prompt = g_strdup ("Add a hat");
  r->model = g_strdup ("gpt-image-1.5");
  r->action = g_strdup ("edit");
  r->input_fidelity = g_strdup ("high");
  r->moderation = g_strdup ("auto");
  r->output_compression = 80;
  r->previous_response_id = g_strdup ("resp_123");
  r->instructions = g_strdup ("Keep the style");
  easel_request_add_image (r, easel_input_image_new_bytes (png, "cat.png", NULL));
  easel_request_add_image (r, easel_input_image_new_file_id ("file-abc"));
  easel_request_add_image (r, easel_input_image_new_url ("https://example.com/a.jpg"));
  easel_request_set_mask (r, easel_input_image_new_file_id ("file-mask"));
  g_ptr_array_add (r->image_call_refs, g_strdup ("ig_1"));
  g_ptr_array_add (r->image_call_refs, g_strdup ("ig_2"));

  node = roundtrip (r);
  o = json_node_get_object (node);
  assert_members (o, (const char * const[]) {
    "model", "input", "tools", "tool_choice", "previous_response_id", "instructions", NULL });

  input = member_array (o, "input");
  g_assert_cmpuint (json_array_get_length (input), ==, 3);

  message = json_array_get_object_element (input, 0);
  assert_members (message, (const char * const[]) { "role", "content", NULL });
  g_assert_cmpstr (json_object_get_string_member (message, "role"), ==, "user");
  content = member_array (message, "content");
  g_assert_cmpuint (json_array_get_length (content), ==, 4);

  part = json_array_get_object_element (content, 0);
  assert_members (part, (const char * const[]) { "type", "text", NULL });
  g_assert_cmpstr (json_object_get_string_member (part, "type"), ==, "input_text");
  g_assert_cmpstr (json_object_get_string_member (part, "text"), ==, "Add a hat");

  part = json_array_get_object_element (content, 1);
  assert_members (part, (const char * const[]) { "type", "image_url", "detail", NULL });
  g_assert_cmpstr (json_object_get_string_member (part, "type"), ==, "input_image");
  g_assert_cmpstr (json_object_get_string_member (part, "detail"), ==, "auto");
  {
    g_autofree char *b64 = g_base64_encode (g_bytes_get_data (png, NULL), g_bytes_get_size (png));
    expected_url = g_strconcat ("data:image/png;base64,", b64, NULL);
  }
  g_assert_cmpstr (json_object_get_string_member (part, "image_url"), ==, expected_url);

  part = json_array_get_object_element (content, 2);
  assert_members (part, (const char * const[]) { "type", "file_id", "detail", NULL });
  g_assert_cmpstr (json_object_get_string_member (part, "file_id"), ==, "file-abc");

  part = json_array_get_object_element (content, 3);
  assert_members (part, (const char * const[]) { "type", "image_url", "detail", NULL });
  g_assert_cmpstr (json_object_get_string_member (part, "image_url"), ==, "https://example.com/a.jpg");

  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *id = g_strdup_printf ("ig_%u", i + 1);
      ref = json_array_get_object_element (input, i + 1);
      assert_members (ref, (const char * const[]) { "type", "id", NULL });
      g_assert_cmpstr (json_object_get_string_member (ref, "type"), ==, "item_reference");
      g_assert_cmpstr (json_object_get_string_member (ref, "id"), ==, id);
    }

  tool = json_array_get_object_element (member_array (o, "tools"), 0);
  assert_members (tool, (const char * const[]) {
    "type", "model", "action", "output_compression", "moderation", "input_fidelity",
    "input_image_mask", NULL });
  tool_mask = member_object (tool, "input_image_mask");
  assert_members (tool_mask, (const char * const[]) { "file_id", NULL });
  g_assert_cmpstr (json_object_get_string_member (tool_mask, "file_id"), ==, "file-mask");

  /* A BYTES mask becomes a data URL. */
  easel_request_set_mask (r, easel_input_image_new_bytes (mask, "mask.png", "image/png"));
  {
    g_autoptr(JsonNode) node2 = roundtrip (r);
    JsonObject *t = json_array_get_object_element (member_array (json_node_get_object (node2), "tools"), 0);
    JsonObject *m = member_object (t, "input_image_mask");
    assert_members (m, (const char * const[]) { "image_url", NULL });
    g_assert_true (g_str_has_prefix (json_object_get_string_member (m, "image_url"), "data:image/png;base64,"));
  }
}

static void
test_responses_refs_only (void)
{
  g_autoptr(EaselRequest) r = easel_request_new (EASEL_API_RESPONSES);
  g_autoptr(JsonNode) node = NULL;
  JsonArray *input;
  JsonObject *message;

  r->prompt = g_strdup ("Now make it realistic");
  g_ptr_array_add (r->image_call_refs, g_strdup ("ig_abc"));
  node = roundtrip (r);
  input = member_array (json_node_get_object (node), "input");
  g_assert_cmpuint (json_array_get_length (input), ==, 2);
  message = json_array_get_object_element (input, 0);
  g_assert_cmpuint (json_array_get_length (member_array (message, "content")), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (input, 1), "type"),
                   ==, "item_reference");
}

/* ---- edits ---------------------------------------------------------- */

typedef struct
{
  const char *name;
  const char *filename;
  const char *content_type;
  char       *value;   /* for string fields */
  gsize       size;
} Part;

static GArray *
parts_of (SoupMultipart *multipart)
{
  GArray *parts = g_array_new (FALSE, TRUE, sizeof (Part));

  g_array_set_clear_func (parts, (GDestroyNotify) NULL);
  for (int i = 0; i < soup_multipart_get_length (multipart); i++)
    {
      SoupMessageHeaders *headers = NULL;
      GBytes *body = NULL;
      g_autofree char *disposition = NULL;
      g_autoptr(GHashTable) params = NULL;
      Part part = { 0 };

      g_assert_true (soup_multipart_get_part (multipart, i, &headers, &body));
      g_assert_true (soup_message_headers_get_content_disposition (headers, &disposition, &params));
      g_assert_cmpstr (disposition, ==, "form-data");
      part.name = g_intern_string (g_hash_table_lookup (params, "name"));
      part.filename = g_intern_string (g_hash_table_lookup (params, "filename"));
      part.content_type = g_intern_string (soup_message_headers_get_content_type (headers, NULL));
      part.size = g_bytes_get_size (body);
      if (part.filename == NULL)
        part.value = g_strndup (g_bytes_get_data (body, NULL), part.size);
      g_array_append_val (parts, part);
    }

  return parts;
}

static void
free_parts (GArray *parts)
{
  for (guint i = 0; i < parts->len; i++)
    g_free (g_array_index (parts, Part, i).value);
  g_array_unref (parts);
}

static const Part *
find_part (GArray     *parts,
           const char *name,
           guint       nth)
{
  for (guint i = 0; i < parts->len; i++)
    {
      const Part *p = &g_array_index (parts, Part, i);
      if (g_strcmp0 (p->name, name) == 0 && nth-- == 0)
        return p;
    }
  return NULL;
}

static void
test_edit_multipart_several (void)
{
  g_autoptr(EaselRequest) r = easel_request_new (EASEL_API_IMAGES_EDIT);
  g_autoptr(GBytes) png = make_image (8, 8, TRUE, "png", 1);
  g_autoptr(GBytes) jpeg = make_image (8, 8, FALSE, "jpeg", 2);
  g_autoptr(GBytes) mask = make_image (8, 8, TRUE, "png", 3);
  g_autoptr(SoupMultipart) multipart = NULL;
  g_autoptr(GError) error = NULL;
  GArray *parts;
  static const struct { const char *name; const char *value; } fields[] = {
    { "prompt", "Gift basket" }, { "model", "gpt-image-1.5" }, { "n", "2" },
    { "size", "1536x1024" }, { "quality", "medium" }, { "background", "transparent" },
    { "output_format", "webp" }, { "output_compression", "70" }, { "moderation", "low" },
    { "input_fidelity", "high" }, { "user", "u-9" }, { "stream", "true" }, { "partial_images", "1" },
  };

  r->prompt = g_strdup ("Gift basket");
  r->model = g_strdup ("gpt-image-1.5");
  r->n = 2;
  r->size = g_strdup ("1536x1024");
  r->quality = g_strdup ("medium");
  r->background = g_strdup ("transparent");
  r->output_format = g_strdup ("webp");
  r->output_compression = 70;
  r->moderation = g_strdup ("low");
  r->input_fidelity = g_strdup ("high");
  r->user = g_strdup ("u-9");
  r->stream = TRUE;
  r->partial_images = 1;
  easel_request_add_image (r, easel_input_image_new_bytes (png, "/home/me/lotion.png", NULL));
  easel_request_add_image (r, easel_input_image_new_bytes (jpeg, NULL, NULL));
  easel_request_set_mask (r, easel_input_image_new_bytes (mask, "mask.png", NULL));

  g_assert_true (easel_request_is_multipart (r));
  multipart = easel_request_to_multipart (r, &error);
  g_assert_no_error (error);
  parts = parts_of (multipart);

  g_assert_cmpuint (parts->len, ==, 3 + G_N_ELEMENTS (fields));
  g_assert_null (find_part (parts, "image", 0));
  g_assert_cmpstr (find_part (parts, "image[]", 0)->filename, ==, "lotion.png");
  g_assert_cmpstr (find_part (parts, "image[]", 0)->content_type, ==, "image/png");
  g_assert_cmpuint (find_part (parts, "image[]", 0)->size, ==, g_bytes_get_size (png));
  g_assert_cmpstr (find_part (parts, "image[]", 1)->filename, ==, "image.jpg");
  g_assert_cmpstr (find_part (parts, "image[]", 1)->content_type, ==, "image/jpeg");
  g_assert_cmpstr (find_part (parts, "mask", 0)->filename, ==, "mask.png");
  g_assert_cmpstr (find_part (parts, "mask", 0)->content_type, ==, "image/png");

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      const Part *p = find_part (parts, fields[i].name, 0);
      g_assert_nonnull (p);
      g_assert_null (p->filename);
      g_assert_cmpstr (p->value, ==, fields[i].value);
    }

  free_parts (parts);
}

static void
test_edit_multipart_single (void)
{
  g_autoptr(EaselRequest) r = easel_request_new (EASEL_API_IMAGES_EDIT);
  g_autoptr(GBytes) png = make_image (8, 8, TRUE, "png", 1);
  g_autoptr(SoupMultipart) multipart = NULL;
  g_autoptr(GError) error = NULL;
  GArray *parts;

  r->prompt = g_strdup ("A flamingo");
  r->model = g_strdup ("dall-e-2");
  r->response_format = g_strdup ("url");
  r->partial_images = 2;   /* not streaming: not sent */
  easel_request_add_image (r, easel_input_image_new_bytes (png, "lounge.png", "image/png"));

  multipart = easel_request_to_multipart (r, &error);
  g_assert_no_error (error);
  parts = parts_of (multipart);
  g_assert_cmpuint (parts->len, ==, 4);
  g_assert_null (find_part (parts, "image[]", 0));
  g_assert_cmpstr (find_part (parts, "image", 0)->filename, ==, "lounge.png");
  g_assert_cmpstr (find_part (parts, "response_format", 0)->value, ==, "url");
  g_assert_null (find_part (parts, "stream", 0));
  g_assert_null (find_part (parts, "partial_images", 0));
  g_assert_null (find_part (parts, "mask", 0));
  free_parts (parts);
}

static void
test_variation_multipart (void)
{
  g_autoptr(EaselRequest) r = easel_request_new (EASEL_API_IMAGES_VARIATION);
  g_autoptr(GBytes) png = make_image (16, 16, FALSE, "png", 1);
  g_autoptr(SoupMultipart) multipart = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) json = NULL;
  GArray *parts;

  r->model = g_strdup ("dall-e-2");
  r->n = 3;
  r->size = g_strdup ("512x512");
  r->response_format = g_strdup ("b64_json");
  r->user = g_strdup ("u");
  r->prompt = g_strdup ("ignored");        /* variations have no prompt */
  r->quality = g_strdup ("standard");      /* nor quality */
  easel_request_add_image (r, easel_input_image_new_bytes (png, "corgi.png", NULL));

  g_assert_true (easel_request_is_multipart (r));
  json = easel_request_to_json (r, &error);
  g_assert_null (json);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);

  multipart = easel_request_to_multipart (r, &error);
  g_assert_no_error (error);
  parts = parts_of (multipart);
  g_assert_cmpuint (parts->len, ==, 6);
  g_assert_cmpstr (find_part (parts, "image", 0)->filename, ==, "corgi.png");
  g_assert_cmpstr (find_part (parts, "image", 0)->content_type, ==, "image/png");
  g_assert_cmpstr (find_part (parts, "model", 0)->value, ==, "dall-e-2");
  g_assert_cmpstr (find_part (parts, "n", 0)->value, ==, "3");
  g_assert_cmpstr (find_part (parts, "size", 0)->value, ==, "512x512");
  g_assert_cmpstr (find_part (parts, "response_format", 0)->value, ==, "b64_json");
  g_assert_cmpstr (find_part (parts, "user", 0)->value, ==, "u");
  g_assert_null (find_part (parts, "prompt", 0));
  free_parts (parts);
}

static void
test_multipart_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = make_image (8, 8, TRUE, "png", 1);

  {
    g_autoptr(EaselRequest) r = easel_request_new (EASEL_API_IMAGES_EDIT);
    g_autoptr(SoupMultipart) m = NULL;
    r->prompt = g_strdup ("x");
    m = easel_request_to_multipart (r, &error);
    g_assert_null (m);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
  }
  {
    /* Only BYTES can be uploaded. */
    g_autoptr(EaselRequest) r = easel_request_new (EASEL_API_IMAGES_EDIT);
    g_autoptr(SoupMultipart) m = NULL;
    r->prompt = g_strdup ("x");
    easel_request_add_image (r, easel_input_image_new_file_id ("file-1"));
    g_assert_false (easel_request_is_multipart (r));
    m = easel_request_to_multipart (r, &error);
    g_assert_null (m);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
    g_assert_nonnull (strstr (error->message, "file id"));
    g_clear_error (&error);
  }
  {
    g_autoptr(EaselRequest) r = easel_request_new (EASEL_API_IMAGES_EDIT);
    g_autoptr(SoupMultipart) m = NULL;
    r->prompt = g_strdup ("x");
    easel_request_add_image (r, easel_input_image_new_bytes (png, NULL, NULL));
    easel_request_set_mask (r, easel_input_image_new_url ("https://example.com/m.png"));
    g_assert_false (easel_request_is_multipart (r));
    m = easel_request_to_multipart (r, &error);
    g_assert_null (m);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
    g_assert_nonnull (strstr (error->message, "mask"));
    g_clear_error (&error);
  }
  {
    g_autoptr(EaselRequest) r = easel_request_new (EASEL_API_IMAGES_GENERATE);
    g_autoptr(SoupMultipart) m = NULL;
    r->prompt = g_strdup ("x");
    m = easel_request_to_multipart (r, &error);
    g_assert_null (m);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
    g_clear_error (&error);
  }
  {
    g_autoptr(EaselRequest) r = easel_request_new (EASEL_API_IMAGES_VARIATION);
    g_autoptr(SoupMultipart) m = NULL;
    easel_request_add_image (r, easel_input_image_new_bytes (png, NULL, NULL));
    easel_request_add_image (r, easel_input_image_new_bytes (png, NULL, NULL));
    m = easel_request_to_multipart (r, &error);
    g_assert_null (m);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
  }
}

static void
test_edit_json (void)
{
  g_autoptr(EaselRequest) r = easel_request_new (EASEL_API_IMAGES_EDIT);
  g_autoptr(GBytes) png = make_image (4, 4, TRUE, "png", 1);
  g_autoptr(JsonNode) node = NULL;
  JsonObject *o;
  JsonArray *images;

  r->model = g_strdup ("gpt-image-1.5");
  r->prompt = g_strdup ("Add a watercolor effect");
  r->input_fidelity = g_strdup ("low");
  easel_request_add_image (r, easel_input_image_new_file_id ("file-1"));
  easel_request_add_image (r, easel_input_image_new_bytes (png, NULL, NULL));
  easel_request_set_mask (r, easel_input_image_new_url ("https://example.com/m.png"));

  node = roundtrip (r);
  o = json_node_get_object (node);
  assert_members (o, (const char * const[]) { "model", "prompt", "images", "mask", "input_fidelity", NULL });
  images = member_array (o, "images");
  g_assert_cmpuint (json_array_get_length (images), ==, 2);
  assert_members (json_array_get_object_element (images, 0), (const char * const[]) { "file_id", NULL });
  assert_members (json_array_get_object_element (images, 1), (const char * const[]) { "image_url", NULL });
  g_assert_cmpstr (json_object_get_string_member (member_object (o, "mask"), "image_url"),
                   ==, "https://example.com/m.png");
}

/* ---- hash ----------------------------------------------------------- */

static EaselRequest *
base_request (void)
{
  EaselRequest *r = easel_request_new (EASEL_API_IMAGES_EDIT);
  g_autoptr(GBytes) png = make_image (4, 4, TRUE, "png", 1);
  g_autoptr(GBytes) mask = make_image (4, 4, TRUE, "png", 9);

  r->model = g_strdup ("gpt-image-1.5");
  r->prompt = g_strdup ("A fox");
  easel_request_add_image (r, easel_input_image_new_bytes (png, "a.png", NULL));
  easel_request_set_mask (r, easel_input_image_new_bytes (mask, "m.png", NULL));
  return r;
}

typedef void (*Mutate) (EaselRequest *r);

#define SET_STR(field, value) \
  static void mutate_##field (EaselRequest *r) { g_free (r->field); r->field = g_strdup (value); }
#define SET_INT(field, value) \
  static void mutate_##field (EaselRequest *r) { r->field = value; }

SET_STR (model, "gpt-image-1")
SET_STR (prompt, "A fox.")
SET_INT (n, 2)
SET_STR (size, "1024x1024")
SET_STR (quality, "low")
SET_STR (background, "opaque")
SET_STR (output_format, "jpeg")
SET_INT (output_compression, 50)
SET_STR (moderation, "low")
SET_STR (response_format, "url")
SET_STR (style, "vivid")
SET_STR (user, "u1")
SET_STR (input_fidelity, "high")
SET_STR (responses_model, "gpt-5")
SET_STR (action, "edit")
SET_STR (previous_response_id, "resp_1")
SET_STR (instructions, "be nice")

static void mutate_api (EaselRequest *r) { r->api = EASEL_API_RESPONSES; }
static void mutate_prompt_unset (EaselRequest *r) { g_clear_pointer (&r->prompt, g_free); }
static void mutate_prompt_empty (EaselRequest *r) { g_free (r->prompt); r->prompt = g_strdup (""); }
static void mutate_compression_zero (EaselRequest *r) { r->output_compression = 0; }
static void mutate_image_refs (EaselRequest *r) { g_ptr_array_add (r->image_call_refs, g_strdup ("ig_1")); }
static void mutate_no_mask (EaselRequest *r) { easel_request_set_mask (r, NULL); }
static void mutate_extra_image (EaselRequest *r)
{
  g_autoptr(GBytes) png = make_image (4, 4, TRUE, "png", 1);
  easel_request_add_image (r, easel_input_image_new_bytes (png, "a.png", NULL));
}
static void mutate_image_bytes (EaselRequest *r)
{
  g_autoptr(GBytes) png = make_image (4, 4, TRUE, "png", 2);
  g_ptr_array_remove_index (r->images, 0);
  easel_request_add_image (r, easel_input_image_new_bytes (png, "a.png", NULL));
}
static void mutate_mask_bytes (EaselRequest *r)
{
  g_autoptr(GBytes) png = make_image (4, 4, TRUE, "png", 10);
  easel_request_set_mask (r, easel_input_image_new_bytes (png, "m.png", NULL));
}
static void mutate_image_as_file_id (EaselRequest *r)
{
  g_ptr_array_remove_index (r->images, 0);
  easel_request_add_image (r, easel_input_image_new_file_id ("file-1"));
}
static void mutate_image_as_url (EaselRequest *r)
{
  g_ptr_array_remove_index (r->images, 0);
  easel_request_add_image (r, easel_input_image_new_url ("file-1"));
}
/* Not image-changing: must keep the hash. */
static void keep_stream (EaselRequest *r) { r->stream = TRUE; r->partial_images = 3; }
static void keep_filename (EaselRequest *r)
{
  EaselInputImage *image = g_ptr_array_index (r->images, 0);
  g_free (image->filename);
  image->filename = g_strdup ("renamed.png");
}

static void
test_hash (void)
{
  static const struct { const char *name; Mutate mutate; } changes[] = {
    { "api", mutate_api }, { "model", mutate_model }, { "prompt", mutate_prompt },
    { "prompt-unset", mutate_prompt_unset }, { "prompt-empty", mutate_prompt_empty },
    { "n", mutate_n }, { "size", mutate_size }, { "quality", mutate_quality },
    { "background", mutate_background }, { "output_format", mutate_output_format },
    { "output_compression", mutate_output_compression }, { "compression-0", mutate_compression_zero },
    { "moderation", mutate_moderation }, { "response_format", mutate_response_format },
    { "style", mutate_style }, { "user", mutate_user }, { "input_fidelity", mutate_input_fidelity },
    { "responses_model", mutate_responses_model }, { "action", mutate_action },
    { "previous_response_id", mutate_previous_response_id }, { "instructions", mutate_instructions },
    { "image_call_refs", mutate_image_refs }, { "no-mask", mutate_no_mask },
    { "extra-image", mutate_extra_image }, { "image-bytes", mutate_image_bytes },
    { "mask-bytes", mutate_mask_bytes }, { "image-file-id", mutate_image_as_file_id },
    { "image-url", mutate_image_as_url },
  };
  static const struct { const char *name; Mutate mutate; } keeps[] = {
    { "stream", keep_stream }, { "filename", keep_filename },
  };
  g_autoptr(EaselRequest) base = base_request ();
  g_autoptr(EaselRequest) copy = easel_request_copy (base);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *base_hash = easel_request_hash (base);
  g_autofree char *again = NULL;
  g_autofree char *copy_hash = easel_request_hash (copy);

  g_assert_cmpuint (strlen (base_hash), ==, 64);
  again = easel_request_hash (base);
  g_assert_cmpstr (base_hash, ==, again);
  g_assert_cmpstr (base_hash, ==, copy_hash);
  g_hash_table_add (seen, g_strdup (base_hash));

  for (guint i = 0; i < G_N_ELEMENTS (changes); i++)
    {
      g_autoptr(EaselRequest) r = base_request ();
      g_autofree char *h = NULL;

      changes[i].mutate (r);
      h = easel_request_hash (r);
      g_test_message ("change %s → %s", changes[i].name, h);
      /* Different from the base and from every other single change. */
      g_assert_false (g_hash_table_contains (seen, h));
      g_hash_table_add (seen, g_steal_pointer (&h));
    }

  for (guint i = 0; i < G_N_ELEMENTS (keeps); i++)
    {
      g_autoptr(EaselRequest) r = base_request ();
      g_autofree char *h = NULL;

      keeps[i].mutate (r);
      h = easel_request_hash (r);
      g_assert_cmpstr (h, ==, base_hash);
    }
}

/* The library's cache key: the request hash bound to the server. */
static void
test_cache_key (void)
{
  g_autoptr(EaselRequest) r = base_request ();
  g_autoptr(EaselRequest) other = base_request ();
  g_autofree char *hash = easel_request_hash (r);
  g_autofree char *openai = easel_request_cache_key (r, "https://api.openai.com/v1");
  g_autofree char *openai_slash = easel_request_cache_key (r, "https://api.openai.com/v1/");
  g_autofree char *openai_slashes = easel_request_cache_key (r, "https://api.openai.com/v1//");
  g_autofree char *default_server = easel_request_cache_key (r, NULL);
  g_autofree char *empty_server = easel_request_cache_key (r, "");
  g_autofree char *local = easel_request_cache_key (r, "http://127.0.0.1:8080/v1");
  g_autofree char *local_other_port = easel_request_cache_key (r, "http://127.0.0.1:8081/v1");
  g_autofree char *azure = easel_request_cache_key (r, "https://example.openai.azure.com/openai/v1");
  g_autofree char *other_prompt = NULL;
  g_autofree char *again = easel_request_cache_key (r, "http://127.0.0.1:8080/v1");

  g_assert_cmpuint (strlen (openai), ==, 64);
  /* Stable, and not the plain request hash. */
  g_assert_cmpstr (local, ==, again);
  g_assert_cmpstr (openai, !=, hash);

  /* Another server is another request. */
  g_assert_cmpstr (openai, !=, local);
  g_assert_cmpstr (local, !=, local_other_port);
  g_assert_cmpstr (openai, !=, azure);
  g_assert_cmpstr (local, !=, azure);

  /* Trailing slashes do not make another server. */
  g_assert_cmpstr (openai, ==, openai_slash);
  g_assert_cmpstr (openai, ==, openai_slashes);

  /* NULL (and "") is the default server. */
  g_assert_cmpstr (default_server, ==, openai);
  g_assert_cmpstr (empty_server, ==, openai);

  /* The request still counts: same server, another prompt, another key. */
  g_free (other->prompt);
  other->prompt = g_strdup ("A fox.");
  other_prompt = easel_request_cache_key (other, "http://127.0.0.1:8080/v1");
  g_assert_cmpstr (other_prompt, !=, local);
}

/* ---- input images --------------------------------------------------- */

static void
test_input_image_kinds (void)
{
  g_autoptr(GBytes) png = make_image (2, 2, FALSE, "png", 1);
  g_autoptr(GBytes) webp_header = g_bytes_new_static ("RIFF\0\0\0\0WEBPVP8 ", 16);
  g_autoptr(EaselInputImage) bytes = easel_input_image_new_bytes (png, NULL, NULL);
  g_autoptr(EaselInputImage) webp = easel_input_image_new_bytes (webp_header, NULL, NULL);
  g_autoptr(EaselInputImage) id = easel_input_image_new_file_id ("file-xyz");
  g_autoptr(EaselInputImage) url = easel_input_image_new_url ("https://example.com/x.png");
  g_autoptr(EaselInputImage) copy = easel_input_image_copy (bytes);
  g_autofree char *data_url = easel_input_image_to_data_url (bytes);
  g_autofree char *url_url = easel_input_image_to_data_url (url);
  g_autofree char *id_url = easel_input_image_to_data_url (id);
  g_autofree char *hash_bytes = easel_input_image_hash (bytes);
  g_autofree char *hash_copy = easel_input_image_hash (copy);
  g_autofree char *expected = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, png);
  g_autofree char *hash_id = easel_input_image_hash (id);
  g_autofree char *expected_id = g_compute_checksum_for_string (G_CHECKSUM_SHA256, "file-xyz", -1);
  g_autofree char *b64 = g_base64_encode (g_bytes_get_data (png, NULL), g_bytes_get_size (png));
  g_autofree char *expected_url = g_strconcat ("data:image/png;base64,", b64, NULL);

  g_assert_cmpstr (bytes->mime_type, ==, "image/png");
  g_assert_cmpstr (bytes->filename, ==, "image.png");
  g_assert_cmpstr (webp->mime_type, ==, "image/webp");
  g_assert_cmpstr (webp->filename, ==, "image.webp");
  g_assert_cmpstr (data_url, ==, expected_url);
  g_assert_cmpstr (url_url, ==, "https://example.com/x.png");
  g_assert_null (id_url);
  g_assert_cmpstr (hash_bytes, ==, expected);
  g_assert_cmpstr (hash_copy, ==, expected);
  g_assert_cmpstr (hash_id, ==, expected_id);
  g_assert_true (copy->bytes == bytes->bytes);
}

static void
test_input_image_from_file (void)
{
  g_autofree char *dir = g_dir_make_tmp ("easel-request-XXXXXX", NULL);
  static const struct {
    const char *name;
    const char *format;      /* gdk-pixbuf saver, or NULL for raw contents */
    const char *raw;
    const char *mime;        /* NULL: must fail */
    int         domain_code;
  } rows[] = {
    { "photo.jpg", "jpeg", NULL, "image/jpeg", 0 },
    { "art.png", "png", NULL, "image/png", 0 },
    { "misnamed.txt", "png", NULL, "image/png", 0 },   /* bytes win over the name */
    { "notes.txt", NULL, "hello, this is text\n", NULL, G_IO_ERROR_INVALID_DATA },
    { "fake.png", NULL, "not really a png", NULL, G_IO_ERROR_INVALID_DATA },
    { "empty.png", NULL, "", NULL, G_IO_ERROR_INVALID_DATA },
    { "pic.bmp", "bmp", NULL, NULL, G_IO_ERROR_NOT_SUPPORTED },
  };

  g_assert_nonnull (dir);

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autofree char *path = g_build_filename (dir, rows[i].name, NULL);
      g_autoptr(GFile) file = g_file_new_for_path (path);
      g_autoptr(EaselInputImage) image = NULL;
      g_autoptr(GError) error = NULL;

      if (rows[i].format)
        {
          g_autoptr(GBytes) b = make_image (3, 3, FALSE, rows[i].format, 5);
          g_file_set_contents (path, g_bytes_get_data (b, NULL), g_bytes_get_size (b), &error);
        }
      else
        g_file_set_contents (path, rows[i].raw, -1, &error);
      g_assert_no_error (error);

      image = easel_input_image_new_from_file (file, &error);
      if (rows[i].mime)
        {
          g_assert_no_error (error);
          g_assert_cmpint (image->kind, ==, EASEL_INPUT_IMAGE_BYTES);
          g_assert_cmpstr (image->mime_type, ==, rows[i].mime);
          g_assert_cmpstr (image->filename, ==, rows[i].name);
        }
      else
        {
          g_assert_null (image);
          g_assert_error (error, G_IO_ERROR, rows[i].domain_code);
          g_assert_nonnull (strstr (error->message, rows[i].name));
        }
      g_unlink (path);
    }

  {
    g_autofree char *path = g_build_filename (dir, "missing.png", NULL);
    g_autoptr(GFile) file = g_file_new_for_path (path);
    g_autoptr(GError) error = NULL;
    g_autoptr(EaselInputImage) image = easel_input_image_new_from_file (file, &error);

    g_assert_null (image);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, "missing.png"));
  }

  g_rmdir (dir);
}

/* ---- copy / params -------------------------------------------------- */

static void
test_copy_and_params (void)
{
  g_autoptr(EaselRequest) r = base_request ();
  g_autoptr(EaselRequest) copy = NULL;
  g_autoptr(JsonNode) params = NULL;
  g_autofree char *text = NULL;
  JsonObject *o;
  JsonArray *images;
  GType type = easel_request_get_type ();
  EaselRequest *boxed;

  r->stream = TRUE;
  r->partial_images = 2;
  g_ptr_array_add (r->image_call_refs, g_strdup ("ig_7"));
  easel_request_add_image (r, easel_input_image_new_url ("data:image/png;base64,AAAA"));

  copy = easel_request_copy (r);
  g_assert_true (copy->images != r->images);
  g_assert_cmpuint (copy->images->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (copy->image_call_refs, 0), ==, "ig_7");
  g_assert_true (copy->mask != r->mask);
  g_assert_true (copy->stream);

  g_assert_true (G_TYPE_IS_BOXED (type));
  boxed = g_boxed_copy (type, r);
  g_assert_cmpstr (boxed->prompt, ==, "A fox");
  g_boxed_free (type, boxed);

  params = easel_request_params_to_json (r);
  o = json_node_get_object (params);
  g_assert_cmpstr (json_object_get_string_member (o, "api"), ==, "edit");
  g_assert_cmpstr (json_object_get_string_member (o, "model"), ==, "gpt-image-1.5");
  g_assert_true (json_object_get_boolean_member (o, "stream"));
  g_assert_cmpint (json_object_get_int_member (o, "partial_images"), ==, 2);
  g_assert_false (json_object_has_member (o, "n"));
  images = member_array (o, "images");
  g_assert_cmpuint (json_array_get_length (images), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (images, 0), "kind"), ==, "bytes");
  /* data: URLs are not copied into the library row. */
  g_assert_false (json_object_has_member (json_array_get_object_element (images, 1), "url"));
  g_assert_cmpstr (json_object_get_string_member (member_object (o, "mask"), "kind"), ==, "bytes");

  /* No image bytes anywhere: the serialised params stay small. */
  text = json_to_string (params, FALSE);
  g_assert_cmpuint (strlen (text), <, 1024);
  g_assert_null (strstr (text, "base64"));
}

/* One mapping between output_format, MIME type and file extension, used by
 * the studio, the CLI and the masked edit. */
static void
test_image_type_names (void)
{
  static const struct { const char *format, *mime, *back, *ext; } rows[] = {
    { "png", "image/png", "png", "png" },
    { "jpeg", "image/jpeg", "jpeg", "jpg" },
    { "jpg", "image/jpeg", "jpeg", "jpg" },
    { "webp", "image/webp", "webp", "webp" },
    { NULL, "image/png", "png", "png" },
    { "tiff", "image/png", "png", "png" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      const char *mime = easel_image_mime_for_format (rows[i].format);

      g_assert_cmpstr (mime, ==, rows[i].mime);
      g_assert_cmpstr (easel_image_format_for_mime (mime), ==, rows[i].back);
      g_assert_cmpstr (easel_image_extension_for_mime (mime), ==, rows[i].ext);
    }
  g_assert_cmpstr (easel_image_extension_for_mime ("image/gif"), ==, "gif");
  g_assert_cmpstr (easel_image_format_for_mime (NULL), ==, "png");
}

static void
test_service_tier (void)
{
  g_autoptr(EaselRequest) r = easel_request_new (EASEL_API_RESPONSES);
  g_autoptr(EaselRequest) copy = NULL;
  g_autoptr(EaselRequest) images = easel_request_new (EASEL_API_IMAGES_GENERATE);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) params = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *flex_hash = NULL;
  JsonObject *o;

  r->prompt = g_strdup ("a cat");
  hash = easel_request_hash (r);

  /* [spec] a top-level CreateResponse field, not the tool's. */
  r->service_tier = g_strdup ("flex");
  g_assert_true (easel_request_validate (r, &error));
  g_assert_no_error (error);
  node = roundtrip (r);
  o = json_node_get_object (node);
  assert_members (o, (const char * const[]) { "model", "input", "tools", "tool_choice", "service_tier", NULL });
  g_assert_cmpstr (json_object_get_string_member (o, "service_tier"), ==, "flex");
  g_assert_false (json_object_has_member (json_array_get_object_element (member_array (o, "tools"), 0),
                                          "service_tier"));

  /* The same image at another speed: one cache key. */
  flex_hash = easel_request_hash (r);
  g_assert_cmpstr (hash, ==, flex_hash);

  copy = easel_request_copy (r);
  g_assert_cmpstr (copy->service_tier, ==, "flex");
  params = easel_request_params_to_json (r);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (params), "service_tier"), ==, "flex");

  g_free (r->service_tier);
  r->service_tier = g_strdup ("scale");
  g_assert_false (easel_request_validate (r, &error));
  g_assert_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_INVALID_VALUE);
  g_clear_error (&error);

  /* The Images API requests have no service_tier in the spec. */
  images->prompt = g_strdup ("a cat");
  images->model = g_strdup ("gpt-image-1.5");
  images->service_tier = g_strdup ("priority");
  g_assert_false (easel_request_validate (images, &error));
  g_assert_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_UNSUPPORTED);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/request/api-names", test_api_names);
  g_test_add_func ("/core/request/image-type-names", test_image_type_names);
  g_test_add_func ("/core/request/generate-minimal", test_generate_minimal);
  g_test_add_func ("/core/request/generate-full", test_generate_full);
  g_test_add_func ("/core/request/generate-dalle3", test_generate_dalle3);
  g_test_add_func ("/core/request/responses-text", test_responses_text_only);
  g_test_add_func ("/core/request/responses-default-model", test_responses_default_model);
  g_test_add_func ("/core/request/responses-tool-choice-background", test_responses_tool_choice_and_background);
  g_test_add_func ("/core/request/responses-images", test_responses_images_and_refs);
  g_test_add_func ("/core/request/responses-refs-only", test_responses_refs_only);
  g_test_add_func ("/core/request/edit-multipart-several", test_edit_multipart_several);
  g_test_add_func ("/core/request/edit-multipart-single", test_edit_multipart_single);
  g_test_add_func ("/core/request/variation-multipart", test_variation_multipart);
  g_test_add_func ("/core/request/multipart-errors", test_multipart_errors);
  g_test_add_func ("/core/request/edit-json", test_edit_json);
  g_test_add_func ("/core/request/hash", test_hash);
  g_test_add_func ("/core/request/cache-key", test_cache_key);
  g_test_add_func ("/core/request/input-image-kinds", test_input_image_kinds);
  g_test_add_func ("/core/request/input-image-from-file", test_input_image_from_file);
  g_test_add_func ("/core/request/copy-params", test_copy_and_params);
  g_test_add_func ("/core/request/service-tier", test_service_tier);

  return g_test_run ();
}
