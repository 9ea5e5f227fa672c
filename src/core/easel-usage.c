/* easel-usage.c: token usage as reported by the API
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-usage"

#include "config.h"

#include "easel-usage.h"

/* Integers may be missing or null (in-progress objects), or even arrive as
 * doubles from some proxies: take what is usable, 0 otherwise. */
static gint64
get_int (JsonObject *object,
         const char *name)
{
  JsonNode *node;

  if (object == NULL)
    return 0;

  node = json_object_get_member (object, name);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      return MAX (json_node_get_int (node), 0);
    case G_TYPE_DOUBLE:
      {
        double d = json_node_get_double (node);

        if (d >= 0 && d < (double) G_MAXINT64)
          return (gint64) d;
        return 0;
      }
    default:
      return 0;
    }
}

static JsonObject *
get_object (JsonObject *object,
            const char *name)
{
  JsonNode *node;

  if (object == NULL)
    return NULL;

  node = json_object_get_member (object, name);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;

  return json_node_get_object (node);
}

void
easel_usage_parse (JsonNode   *node,
                   EaselUsage *usage)
{
  JsonObject *object;
  JsonObject *input_details;
  JsonObject *output_details;

  g_return_if_fail (usage != NULL);

  *usage = (EaselUsage) { 0 };

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;

  object = json_node_get_object (node);
  input_details = get_object (object, "input_tokens_details");
  output_details = get_object (object, "output_tokens_details");

  usage->present = TRUE;
  usage->input_tokens = get_int (object, "input_tokens");
  usage->output_tokens = get_int (object, "output_tokens");
  usage->total_tokens = get_int (object, "total_tokens");
  usage->input_text_tokens = get_int (input_details, "text_tokens");
  usage->input_image_tokens = get_int (input_details, "image_tokens");
  usage->output_text_tokens = get_int (output_details, "text_tokens");
  usage->output_image_tokens = get_int (output_details, "image_tokens");

  /* Older bodies omit total_tokens. */
  if (usage->total_tokens == 0 && !json_object_has_member (object, "total_tokens"))
    usage->total_tokens = usage->input_tokens + usage->output_tokens;
}

static gint64
add_sat (gint64 a,
         gint64 b)
{
  if (b > 0 && a > G_MAXINT64 - b)
    return G_MAXINT64;
  return a + b;
}

void
easel_usage_add (EaselUsage       *total,
                 const EaselUsage *usage)
{
  g_return_if_fail (total != NULL);
  g_return_if_fail (usage != NULL);

  if (!usage->present)
    return;

  total->present = TRUE;
  total->input_tokens = add_sat (total->input_tokens, usage->input_tokens);
  total->input_text_tokens = add_sat (total->input_text_tokens, usage->input_text_tokens);
  total->input_image_tokens = add_sat (total->input_image_tokens, usage->input_image_tokens);
  total->output_tokens = add_sat (total->output_tokens, usage->output_tokens);
  total->output_text_tokens = add_sat (total->output_text_tokens, usage->output_text_tokens);
  total->output_image_tokens = add_sat (total->output_image_tokens, usage->output_image_tokens);
  total->total_tokens = add_sat (total->total_tokens, usage->total_tokens);
}
