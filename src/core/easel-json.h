/* easel-json.h: JSON from outside, parsed with bounds
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * json-glib parses recursively: JSON nested tens of thousands of levels
 * deep overflows the stack. Everything Easel parses (server answers, SSE
 * events, imported PNG records, stored parameters) goes through here,
 * which rejects excessive nesting with a cheap scan before json-glib sees
 * the bytes. Real answers nest fewer than ten levels.
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define EASEL_JSON_MAX_DEPTH 64

/* FALSE with G_IO_ERROR_INVALID_DATA when @data (@len bytes, -1 = NUL
 * terminated) nests arrays/objects deeper than @max_depth. Strings are
 * skipped, escapes included. */
gboolean  easel_json_check_depth (const char  *data,
                                  gssize       len,
                                  guint        max_depth,
                                  GError     **error);

/* Checks the depth (EASEL_JSON_MAX_DEPTH), then parses. Returns the root
 * (transfer full) or NULL with @error (G_IO_ERROR_INVALID_DATA for the
 * depth, JSON_PARSER_ERROR otherwise). */
JsonNode *easel_json_parse       (const char  *data,
                                  gssize       len,
                                  GError     **error);

G_END_DECLS
