/* easel-store-rebuild.c: the request that produced a library row, rebuilt
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-store"

#include "config.h"

#include "easel-json.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "easel-store-private.h"

/* ------------------------------------------------------------------------- */
/* Rebuilding a request from its row */

static const char *
json_string_member (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  /* json-glib turns octal escapes into raw bytes: a string that is not
   * UTF-8 is as good as absent. */
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING ||
      !g_utf8_validate (json_node_get_string (node), -1, NULL))
    return NULL;
  return json_node_get_string (node);
}

static int
json_int_member (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return -1;
  return (int) CLAMP (json_node_get_int (node), -1, G_MAXINT);
}

/* Called with the mutex held or not: it only reads image files. Input
 * images are content-addressed like results, under their sha256. */
static EaselInputImage *
input_image_from_json (EaselStore  *self,
                       JsonNode    *node,
                       GError     **error)
{
  static const char * const exts[] = { "png", "jpeg", "webp" };
  JsonObject *object;
  const char *kind, *sha;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    goto invalid;
  object = json_node_get_object (node);
  kind = json_string_member (object, "kind");
  sha = json_string_member (object, "sha256");

  if (g_strcmp0 (kind, "file_id") == 0 && json_string_member (object, "file_id"))
    return easel_input_image_new_file_id (json_string_member (object, "file_id"));
  if (g_strcmp0 (kind, "url") == 0 && json_string_member (object, "url"))
    return easel_input_image_new_url (json_string_member (object, "url"));

  /* Bytes: the file by its hash. (A data: URL was not kept, and its hash
   * is that of the URL text, so it cannot be found.) */
  if (g_strcmp0 (kind, "bytes") == 0 && sha != NULL && strlen (sha) == 64 && strspn (sha, "0123456789abcdef") == 64)
    {
      g_autofree char *prefix = g_strndup (sha, 2);

      for (guint i = 0; i < G_N_ELEMENTS (exts); i++)
        {
          g_autofree char *name = g_strdup_printf ("%s.%s", sha, exts[i]);
          g_autofree char *path = g_build_filename (self->images_dir, prefix, name, NULL);
          g_autofree char *contents = NULL;
          gsize len = 0;
          g_autoptr(GBytes) bytes = NULL;
          const char *mime, *filename;

          if (!g_file_get_contents (path, &contents, &len, NULL))
            continue;
          bytes = g_bytes_new_take (g_steal_pointer (&contents), len);
          mime = json_string_member (object, "mime_type");
          if (mime == NULL)
            mime = easel_image_sniff_mime (g_bytes_get_data (bytes, NULL), len);
          filename = json_string_member (object, "filename");
          return easel_input_image_new_bytes (bytes, filename ? filename : name, mime ? mime : "image/png");
        }
      g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_NOT_FOUND,
                   "An input image of this request is not in the library");
      return NULL;
    }

invalid:
  g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID,
               "The library row describes an input image it cannot restore");
  return NULL;
}

/* @lenient: input images that were not kept are left out instead of
 * failing. @what names the row in errors. */
static EaselRequest *
request_from_params (EaselStore  *self,
                     const char  *params_json,
                     const char  *fallback_api,
                     const char  *fallback_prompt,
                     gboolean     lenient,
                     const char  *what,
                     GError     **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(EaselRequest) request = NULL;
  JsonObject *object;
  JsonNode *member;
  EaselApi api;

  if (params_json == NULL ||
      !(root = easel_json_parse (params_json, -1, NULL)) ||
      !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID,
                   "The library has no parameters for %s", what);
      return NULL;
    }
  object = json_node_get_object (root);

  if (!easel_api_from_string (json_string_member (object, "api"), &api) &&
      !easel_api_from_string (fallback_api, &api))
    {
      g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID,
                   "%s names no known API", what);
      return NULL;
    }

  request = easel_request_new (api);
#define STR(field, name) request->field = g_strdup (json_string_member (object, name))
  STR (model, "model");
  STR (prompt, "prompt");
  STR (size, "size");
  STR (quality, "quality");
  STR (background, "background");
  STR (output_format, "output_format");
  STR (moderation, "moderation");
  STR (response_format, "response_format");
  STR (style, "style");
  STR (user, "user");
  STR (input_fidelity, "input_fidelity");
  STR (responses_model, "responses_model");
  STR (action, "action");
  STR (previous_response_id, "previous_response_id");
  STR (instructions, "instructions");
#undef STR
  request->n = json_int_member (object, "n");
  request->output_compression = json_int_member (object, "output_compression");
  request->partial_images = json_int_member (object, "partial_images");
  member = json_object_get_member (object, "stream");
  request->stream = member && JSON_NODE_HOLDS_VALUE (member) &&
                    json_node_get_value_type (member) == G_TYPE_BOOLEAN && json_node_get_boolean (member);
  member = json_object_get_member (object, "let_model_decide");
  request->let_model_decide = member && JSON_NODE_HOLDS_VALUE (member) &&
                              json_node_get_value_type (member) == G_TYPE_BOOLEAN && json_node_get_boolean (member);
  if (request->prompt == NULL)
    request->prompt = g_strdup (fallback_prompt);

  member = json_object_get_member (object, "images");
  if (member != NULL && JSON_NODE_HOLDS_ARRAY (member))
    {
      JsonArray *images = json_node_get_array (member);

      for (guint i = 0; i < json_array_get_length (images); i++)
        {
          g_autoptr(GError) local_error = NULL;
          EaselInputImage *image = input_image_from_json (self, json_array_get_element (images, i), &local_error);

          if (image == NULL && lenient)
            continue;
          if (image == NULL)
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return NULL;
            }
          easel_request_add_image (request, image);
        }
    }

  member = json_object_get_member (object, "mask");
  if (member != NULL)
    {
      g_autoptr(GError) local_error = NULL;
      EaselInputImage *mask = input_image_from_json (self, member, &local_error);

      if (mask != NULL)
        easel_request_set_mask (request, mask);
      else if (!lenient)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
    }

  member = json_object_get_member (object, "image_call_refs");
  if (member != NULL && JSON_NODE_HOLDS_ARRAY (member))
    {
      JsonArray *refs = json_node_get_array (member);

      for (guint i = 0; i < json_array_get_length (refs); i++)
        {
          JsonNode *ref = json_array_get_element (refs, i);

          if (JSON_NODE_HOLDS_VALUE (ref) && json_node_get_value_type (ref) == G_TYPE_STRING &&
              g_utf8_validate (json_node_get_string (ref), -1, NULL))
            g_ptr_array_add (request->image_call_refs, g_strdup (json_node_get_string (ref)));
        }
    }

  return g_steal_pointer (&request);
}

EaselRequest *
easel_store_rebuild_request (EaselStore       *self,
                             EaselGeneration  *generation,
                             GError          **error)
{
  g_autofree char *what = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);
  g_return_val_if_fail (EASEL_IS_GENERATION (generation), NULL);

  what = g_strdup_printf ("image %" G_GINT64_FORMAT, generation->id);
  return request_from_params (self, generation->params_json, generation->api,
                              generation->prompt, FALSE, what, error);
}

EaselRequest *
easel_store_rebuild_pending_request (EaselStore                 *self,
                                     const EaselPendingResponse *pending,
                                     GError                    **error)
{
  g_autofree char *what = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);
  g_return_val_if_fail (pending != NULL, NULL);

  what = g_strdup_printf ("response %s", pending->response_id);
  return request_from_params (self, pending->params_json, "responses", "", TRUE, what, error);
}
