/* easel-moderation.c: the free moderation pre-check (POST /moderations)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-moderation"

#include "config.h"

#include <string.h>

#include "easel-error.h"
#include "easel-moderation.h"

/* Results beyond this are not looked at: one prompt gives one result. */
#define MAX_RESULTS 16
#define MAX_CATEGORY_NAME 64

JsonNode *
easel_moderation_request_to_json (const char *text)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "model");
  json_builder_add_string_value (builder, EASEL_MODERATION_MODEL);
  json_builder_set_member_name (builder, "input");
  json_builder_add_string_value (builder, text ? text : "");
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

static gboolean
is_category_name (const char *name)
{
  gsize len = strlen (name);

  if (len == 0 || len > MAX_CATEGORY_NAME)
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '/' && *p != '_' && *p != '-')
      return FALSE;
  return TRUE;
}

EaselModeration *
easel_moderation_new_from_json (JsonNode  *root,
                                GError   **error)
{
  g_autoptr(EaselModeration) self = NULL;
  g_autoptr(GPtrArray) categories = NULL;
  JsonObject *obj;
  JsonNode *results;
  JsonArray *array;
  guint n;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  obj = root && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  results = obj ? json_object_get_member (obj, "results") : NULL;
  if (results == NULL || !JSON_NODE_HOLDS_ARRAY (results))
    {
      g_set_error_literal (error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE,
                           "The server did not return moderation results");
      return NULL;
    }

  self = g_new0 (EaselModeration, 1);
  categories = g_ptr_array_new_with_free_func (g_free);
  if (json_object_has_member (obj, "id") &&
      JSON_NODE_HOLDS_VALUE (json_object_get_member (obj, "id")) &&
      json_node_get_value_type (json_object_get_member (obj, "id")) == G_TYPE_STRING)
    {
      const char *id = json_object_get_string_member (obj, "id");

      if (strlen (id) <= 128 && g_utf8_validate (id, -1, NULL))
        self->id = g_strdup (id);
    }

  array = json_node_get_array (results);
  n = MIN (json_array_get_length (array), MAX_RESULTS);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *el = json_array_get_element (array, i);
      JsonObject *result, *cats;
      JsonNode *flagged, *cats_node;
      g_autoptr(GList) names = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (el))
        continue;
      result = json_node_get_object (el);
      flagged = json_object_get_member (result, "flagged");
      if (flagged != NULL && JSON_NODE_HOLDS_VALUE (flagged) &&
          json_node_get_value_type (flagged) == G_TYPE_BOOLEAN && json_node_get_boolean (flagged))
        self->flagged = TRUE;

      cats_node = json_object_get_member (result, "categories");
      if (cats_node == NULL || !JSON_NODE_HOLDS_OBJECT (cats_node))
        continue;
      cats = json_node_get_object (cats_node);
      names = json_object_get_members (cats);
      for (GList *l = names; l != NULL; l = l->next)
        {
          const char *name = l->data;
          JsonNode *value = json_object_get_member (cats, name);
          gboolean seen = FALSE;

          if (value == NULL || !JSON_NODE_HOLDS_VALUE (value) ||
              json_node_get_value_type (value) != G_TYPE_BOOLEAN || !json_node_get_boolean (value))
            continue;
          if (!is_category_name (name))
            {
              self->n_unreadable++;
              continue;
            }
          for (guint k = 0; k < categories->len && !seen; k++)
            seen = g_str_equal (g_ptr_array_index (categories, k), name);
          if (!seen && categories->len < EASEL_MODERATION_MAX_CATEGORIES)
            g_ptr_array_add (categories, g_strdup (name));
        }
    }

  g_ptr_array_add (categories, NULL);
  self->categories = (GStrv) g_ptr_array_free (g_steal_pointer (&categories), FALSE);
  return g_steal_pointer (&self);
}

void
easel_moderation_free (EaselModeration *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->categories, g_strfreev);
  g_clear_pointer (&self->id, g_free);
  g_free (self);
}

char *
easel_moderation_format_categories (const EaselModeration *self)
{
  g_autoptr(GString) text = g_string_new (NULL);

  g_return_val_if_fail (self != NULL, NULL);

  for (guint i = 0; self->categories != NULL && self->categories[i] != NULL; i++)
    {
      if (text->len > 0)
        g_string_append (text, ", ");
      g_string_append (text, self->categories[i]);
    }
  if (self->n_unreadable > 0)
    g_string_append_printf (text, "%s%u unreadable", text->len > 0 ? ", " : "", self->n_unreadable);
  if (text->len == 0)
    g_string_append (text, "unspecified");
  return g_string_free (g_steal_pointer (&text), FALSE);
}
