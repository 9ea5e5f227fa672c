/* easel-usage.h: token usage as reported by the API
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct
{
  gboolean present;
  gint64   input_tokens;
  gint64   input_text_tokens;
  gint64   input_image_tokens;
  gint64   output_tokens;
  gint64   output_text_tokens;
  gint64   output_image_tokens;
  gint64   total_tokens;
} EaselUsage;

/* Parses an ImagesUsage / ResponseUsage / tool_usage.image_gen object.
 * A NULL or non-object node leaves @usage zeroed with present = FALSE. */
void easel_usage_parse (JsonNode *node, EaselUsage *usage);
void easel_usage_add   (EaselUsage *total, const EaselUsage *usage);

G_END_DECLS
