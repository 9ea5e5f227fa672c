/* easel-event-private.h: JSON helpers shared by events and results
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "easel-event.h"

G_BEGIN_DECLS

/* Each returns NULL / @fallback for a missing member, null, or a value of the
 * wrong type; @object may be NULL. */
const char *_easel_json_get_string (JsonObject *object, const char *name);
gint64      _easel_json_get_int    (JsonObject *object, const char *name, gint64 fallback);
JsonObject *_easel_json_get_object (JsonObject *object, const char *name);
JsonArray  *_easel_json_get_array  (JsonObject *object, const char *name);

/* Strict base64 (alphabet, padding, length) and a PNG/JPEG/WebP/GIF/SVG
 * signature check; EASEL_API_ERROR_BAD_RESPONSE otherwise. */
GBytes     *_easel_decode_image    (const char *b64, gssize len, GError **error);
/* One strict pass; @out holds at least (@len / 4) * 3 bytes. FALSE on a bad
 * character, bad padding or a length that is 0 or not a multiple of 4. */
gboolean    _easel_base64_decode_strict (const char *in, gsize len,
                                         guint8 *out, gsize *out_len);

char       *_easel_message_item_text (JsonObject *item);
/* TRUE if the image_generation_call @item carries its final image; else
 * sets *@item_error if the call failed (left NULL if merely unfinished). */
gboolean    _easel_image_item_classify (JsonObject *item, GError **item_error);

G_END_DECLS
