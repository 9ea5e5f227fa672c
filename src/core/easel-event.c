/* easel-event.c: typed streaming events of both image APIs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-event"

#include "config.h"

#include "easel-json.h"

#include <string.h>

#include "easel-buffer-private.h"
#include "easel-error.h"
#include "easel-event.h"
#include "easel-event-private.h"

G_DEFINE_BOXED_TYPE (EaselEvent, easel_event, easel_event_copy, easel_event_free)

/* Accessors that tolerate anything: a missing member, null, or a value of
 * the wrong type all read as "absent". The wire has nulls everywhere. */

const char *
_easel_json_get_string (JsonObject *object,
                        const char *name)
{
  JsonNode *node;

  if (object == NULL)
    return NULL;

  node = json_object_get_member (object, name);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

gint64
_easel_json_get_int (JsonObject *object,
                     const char *name,
                     gint64      fallback)
{
  JsonNode *node;

  if (object == NULL)
    return fallback;

  node = json_object_get_member (object, name);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return fallback;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      return json_node_get_int (node);
    case G_TYPE_DOUBLE:
      {
        double d = json_node_get_double (node);

        if (d >= (double) G_MININT32 && d <= (double) G_MAXINT64 / 2)
          return (gint64) d;
        return fallback;
      }
    default:
      return fallback;
    }
}

JsonObject *
_easel_json_get_object (JsonObject *object,
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

JsonArray *
_easel_json_get_array (JsonObject *object,
                       const char *name)
{
  JsonNode *node;

  if (object == NULL)
    return NULL;

  node = json_object_get_member (object, name);
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;

  return json_node_get_array (node);
}

static void
set_str (char       **ptr,
         const char  *value)
{
  char *copy = g_strdup (value);

  g_free (*ptr);
  *ptr = copy;
}

static int
get_index (JsonObject *object,
           const char *name)
{
  gint64 v = _easel_json_get_int (object, name, -1);

  if (v < 0 || v > G_MAXINT)
    return -1;
  return (int) v;
}

static gboolean
looks_like_image (const guint8 *data,
                  gsize         len)
{
  static const guint8 png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  gsize i;

  if (len >= sizeof png && memcmp (data, png, sizeof png) == 0)
    return TRUE;
  if (len >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
    return TRUE;
  if (len >= 12 && memcmp (data, "RIFF", 4) == 0 && memcmp (data + 8, "WEBP", 4) == 0)
    return TRUE;
  if (len >= 6 && (memcmp (data, "GIF87a", 6) == 0 || memcmp (data, "GIF89a", 6) == 0))
    return TRUE;

  /* SVG output (newer models): XML text. */
  for (i = 0; i < len && i < 256; i++)
    {
      if (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n')
        continue;
      if (i + 3 <= len && data[i] == 0xEF && data[i + 1] == 0xBB && data[i + 2] == 0xBF)
        {
          i += 2;
          continue;
        }
      return data[i] == '<';
    }

  return FALSE;
}

/* g_base64_decode() skips characters outside the alphabet, so corrupt data
 * would decode to garbage instead of failing; and validating first, then
 * decoding, reads multi-megabyte images twice. This decoder does both in one
 * pass and is strict: standard alphabet, no whitespace, length a multiple of
 * 4, and '=' only as the final one or two characters. Like
 * g_base64_decode_step(), it ignores the bits that the padding leaves unused,
 * so "QR==" decodes as "QQ==" would. */

#define B64_BAD 0xFF
/* A quad's 24 bits are assembled from four tables holding each character's
 * rank already shifted into place; a bad character sets bit 24 instead, so
 * one test of the OR covers all four (1.5x the speed of shifting ranks). */
#define B64_BAD_BIT 0x01000000u

static guint8 base64_rank[256];
static guint32 base64_quad[4][256];

static gpointer
init_base64_rank (gpointer data)
{
  static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

  memset (base64_rank, B64_BAD, sizeof base64_rank);
  for (guint k = 0; k < 4; k++)
    for (guint c = 0; c < 256; c++)
      base64_quad[k][c] = B64_BAD_BIT;
  for (guint i = 0; i < 64; i++)
    {
      guchar c = (guchar) alphabet[i];

      base64_rank[c] = i;
      base64_quad[0][c] = i << 18;
      base64_quad[1][c] = i << 12;
      base64_quad[2][c] = i << 6;
      base64_quad[3][c] = i;
    }

  return NULL;
}

gboolean
_easel_base64_decode_strict (const char *in,
                             gsize       len,
                             guint8     *out,
                             gsize      *out_len)
{
  static GOnce once = G_ONCE_INIT;
  const guchar *s = (const guchar *) in;
  guint8 *o = out;
  guint a, b, c, d;

  g_once (&once, init_base64_rank, NULL);

  if (len == 0 || len % 4 != 0)
    return FALSE;

  /* Every quad but the last: four alphabet characters. Each writes four
   * bytes and keeps three: the fourth is the next quad's first, and the
   * last quad always writes at least one, so nothing lands past the end. */
  for (const guchar *end = s + len - 4; s < end; s += 4)
    {
      guint32 w = base64_quad[0][s[0]] | base64_quad[1][s[1]] |
                  base64_quad[2][s[2]] | base64_quad[3][s[3]];
      guint32 be;

      if (G_UNLIKELY (w & B64_BAD_BIT))
        return FALSE;
      be = GUINT32_TO_BE (w << 8);
      memcpy (o, &be, 4);
      o += 3;
    }

  /* The last quad: "xxxx", "xxx=" or "xx==". */
  a = base64_rank[s[0]];
  b = base64_rank[s[1]];
  if ((a | b) & 0x80)
    return FALSE;
  *o++ = (guint8) (a << 2 | b >> 4);
  if (s[2] == '=')
    {
      if (s[3] != '=')
        return FALSE;
    }
  else
    {
      c = base64_rank[s[2]];
      if (c & 0x80)
        return FALSE;
      *o++ = (guint8) (b << 4 | c >> 2);
      if (s[3] != '=')
        {
          d = base64_rank[s[3]];
          if (d & 0x80)
            return FALSE;
          *o++ = (guint8) (c << 6 | d);
        }
    }

  *out_len = o - out;
  return TRUE;
}

GBytes *
_easel_decode_image (const char  *b64,
                     gssize       b64_len,
                     GError     **error)
{
  EaselBuffer out;
  guint8 *decoded;
  gsize len;
  gsize out_len = 0;

  if (b64 == NULL)
    {
      g_set_error_literal (error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE,
                           "The server sent an image call without image data");
      return NULL;
    }

  len = b64_len < 0 ? strlen (b64) : (gsize) b64_len;
  /* A multi-megabyte image gets a mapping of its own (easel-buffer.c). */
  _easel_buffer_init (&out);
  decoded = _easel_buffer_reserve (&out, (len / 4) * 3 + 3);
  if (!_easel_base64_decode_strict (b64, len, decoded, &out_len))
    {
      _easel_buffer_clear (&out);
      g_set_error_literal (error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE,
                           "The server sent an image that is not valid base64");
      return NULL;
    }

  if (out_len == 0 || !looks_like_image (decoded, out_len))
    {
      _easel_buffer_clear (&out);
      g_set_error_literal (error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE,
                           "The server sent image data that is not a PNG, JPEG or WebP image");
      return NULL;
    }

  out.len = out_len;
  return _easel_buffer_steal_terminated (&out);
}

/* json-glib copies every string through its scanner byte by byte, which
 * dominates the cost of a multi-megabyte image event. So before parsing,
 * long strings without escapes (the base64 images) are cut out of the text
 * and replaced by a short marker; the image decoder reads them straight from
 * the original buffer, and any other lifted member is put back afterwards. */

/* The fuzzer build lowers it so that small inputs exercise lifting. */
#ifndef EASEL_LIFT_MIN_LEN
# define EASEL_LIFT_MIN_LEN (64 * 1024)
#endif
#define LIFT_MARKER   "\001easel-lifted:"

typedef struct
{
  const char *start;
  gsize       len;
} Slice;

typedef struct
{
  GArray *slices;  /* Slice */
} Lifted;

static void
lifted_clear (Lifted *lifted)
{
  g_clear_pointer (&lifted->slices, g_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Lifted, lifted_clear)

/* Returns the text to parse: @data itself, or a shortened copy. Invalid JSON
 * stays invalid: only the inside of well-delimited strings is replaced. */
static char *
lift_long_strings (const char *data,
                   gsize       len,
                   Lifted     *lifted,
                   gsize      *out_len)
{
  const char *p = data;
  const char *end = data + len;
  const char *copied = data;
  GString *out = NULL;

  while (p < end)
    {
      const char *open = memchr (p, '"', end - p);
      const char *close;
      const char *q;

      if (open == NULL)
        break;

      /* Find the closing quote, skipping escaped ones. */
      q = open + 1;
      for (;;)
        {
          const char *bs;

          close = memchr (q, '"', end - q);
          if (close == NULL)
            break;
          bs = close;
          while (bs > open + 1 && bs[-1] == '\\')
            bs--;
          if (((close - bs) & 1) == 0)
            break;
          q = close + 1;
        }
      if (close == NULL)
        break;

      if ((gsize) (close - open - 1) >= EASEL_LIFT_MIN_LEN &&
          memchr (open + 1, '\\', close - open - 1) == NULL)
        {
          Slice slice = { open + 1, close - open - 1 };

          if (out == NULL)
            {
              out = g_string_sized_new (4096);
              lifted->slices = g_array_new (FALSE, FALSE, sizeof (Slice));
            }
          g_string_append_len (out, copied, open + 1 - copied);
          g_string_append_printf (out, "\\u0001easel-lifted:%u", lifted->slices->len);
          g_array_append_val (lifted->slices, slice);
          copied = close;
        }

      p = close + 1;
    }

  if (out == NULL)
    return NULL;

  g_string_append_len (out, copied, end - copied);
  *out_len = out->len;
  return g_string_free (out, FALSE);
}

static const Slice *
lifted_lookup (const Lifted *lifted,
               const char   *value)
{
  guint64 index;
  char *endptr;

  if (lifted->slices == NULL || value == NULL || !g_str_has_prefix (value, LIFT_MARKER))
    return NULL;

  value += strlen (LIFT_MARKER);
  index = g_ascii_strtoull (value, &endptr, 10);
  if (endptr == value || *endptr != '\0' || index >= lifted->slices->len)
    return NULL;

  return &g_array_index (lifted->slices, Slice, index);
}

static gboolean
is_image_member (const char *name)
{
  return g_str_equal (name, "b64_json") ||
         g_str_equal (name, "partial_image_b64") ||
         g_str_equal (name, "result");
}

/* Puts lifted strings back into every member the decoder does not read from
 * the slices directly (say, a very long revised_prompt). */
static void
restore_lifted (const Lifted *lifted,
                JsonNode     *node,
                const char   *member)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_node_get_object (node);
      JsonObjectIter iter;
      const char *name;
      JsonNode *child;

      json_object_iter_init (&iter, object);
      while (json_object_iter_next (&iter, &name, &child))
        restore_lifted (lifted, child, name);
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        restore_lifted (lifted, json_array_get_element (array, i), NULL);
    }
  else if (json_node_get_value_type (node) == G_TYPE_STRING &&
           (member == NULL || !is_image_member (member)))
    {
      const Slice *slice = lifted_lookup (lifted, json_node_get_string (node));

      if (slice != NULL)
        {
          if (g_utf8_validate_len (slice->start, slice->len, NULL))
            {
              g_autofree char *text = g_strndup (slice->start, slice->len);

              json_node_set_string (node, text);
            }
          else
            json_node_init_null (node);
        }
    }
}

static void
set_image_meta (EaselEvent *event,
                JsonObject *object)
{
  const char *s;

  if ((s = _easel_json_get_string (object, "size")) != NULL)
    set_str (&event->size, s);
  if ((s = _easel_json_get_string (object, "quality")) != NULL)
    set_str (&event->quality, s);
  if ((s = _easel_json_get_string (object, "background")) != NULL)
    set_str (&event->background, s);
  if ((s = _easel_json_get_string (object, "output_format")) != NULL)
    set_str (&event->output_format, s);
  if ((s = _easel_json_get_string (object, "revised_prompt")) != NULL)
    set_str (&event->revised_prompt, s);
  if ((s = _easel_json_get_string (object, "action")) != NULL)
    set_str (&event->action, s);
}

static gboolean
decode_member (EaselEvent    *event,
               const Lifted  *lifted,
               JsonObject    *object,
               const char    *member,
               GError       **error)
{
  const char *b64 = _easel_json_get_string (object, member);
  const Slice *slice = lifted_lookup (lifted, b64);

  if (slice != NULL)
    {
      event->image = _easel_decode_image (slice->start, slice->len, error);
      return event->image != NULL;
    }

  if (b64 == NULL)
    {
      g_set_error (error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE,
                   "The server sent a “%s” event without image data", event->type);
      return FALSE;
    }

  event->image = _easel_decode_image (b64, -1, error);
  return event->image != NULL;
}

/* Text of a message output item: its output_text parts, joined. */
char *
_easel_message_item_text (JsonObject *item)
{
  JsonArray *content = _easel_json_get_array (item, "content");
  g_autoptr(GString) text = NULL;
  guint n;

  if (content == NULL)
    return NULL;

  n = json_array_get_length (content);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (content, i);
      JsonObject *part;
      const char *s;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      part = json_node_get_object (node);
      if (g_strcmp0 (_easel_json_get_string (part, "type"), "output_text") != 0)
        continue;
      if ((s = _easel_json_get_string (part, "text")) == NULL)
        continue;
      if (text == NULL)
        text = g_string_new (NULL);
      g_string_append (text, s);
    }

  return text != NULL ? g_string_free (g_steal_pointer (&text), FALSE) : NULL;
}

/* An image_generation_call item, from output_item.done or a Response's
 * output[]. A non-null result is the final image whatever the status says
 * (live streams have sent status "generating" with the result filled in). */
gboolean
_easel_image_item_classify (JsonObject  *item,
                            GError     **item_error)
{
  const char *status = _easel_json_get_string (item, "status");
  JsonObject *err = _easel_json_get_object (item, "error");

  if (_easel_json_get_string (item, "result") != NULL)
    return TRUE;

  if (err != NULL)
    *item_error = easel_api_error_from_object (err, 0, EASEL_API_ERROR_STREAM);
  else if (g_strcmp0 (status, "failed") == 0)
    *item_error = easel_api_error_new_literal (EASEL_API_ERROR_STREAM,
                                               "The image generation failed");
  return FALSE;
}

static gboolean
parse_image_item_done (EaselEvent    *event,
                       const Lifted  *lifted,
                       JsonObject    *item,
                       GError       **error)
{
  GError *item_error = NULL;

  set_str (&event->item_id, _easel_json_get_string (item, "id"));
  set_str (&event->status, _easel_json_get_string (item, "status"));

  if (_easel_image_item_classify (item, &item_error))
    {
      event->kind = EASEL_EVENT_IMAGE_DONE;
      set_image_meta (event, item);
      return decode_member (event, lifted, item, "result", error);
    }

  if (item_error != NULL)
    {
      event->kind = EASEL_EVENT_ERROR;
      event->error = item_error;
      return TRUE;
    }

  event->kind = EASEL_EVENT_OUTPUT_ITEM_DONE;
  return TRUE;
}

static void
parse_response (EaselEvent *event,
                JsonObject *root)
{
  JsonObject *response = _easel_json_get_object (root, "response");
  JsonObject *tool_usage;

  if (response == NULL)
    return;

  set_str (&event->response_id, _easel_json_get_string (response, "id"));
  set_str (&event->status, _easel_json_get_string (response, "status"));
  event->created_at = _easel_json_get_int (response, "created_at", 0);
  easel_usage_parse (json_object_get_member (response, "usage"), &event->response_usage);
  tool_usage = _easel_json_get_object (response, "tool_usage");
  if (tool_usage != NULL)
    easel_usage_parse (json_object_get_member (tool_usage, "image_gen"), &event->usage);
}

static GError *
response_failure (JsonObject *root,
                  const char *type)
{
  JsonObject *response = _easel_json_get_object (root, "response");
  JsonObject *err = _easel_json_get_object (response, "error");
  JsonObject *incomplete = _easel_json_get_object (response, "incomplete_details");
  const char *reason;

  if (err != NULL)
    return easel_api_error_from_object (err, 0, EASEL_API_ERROR_STREAM);

  reason = _easel_json_get_string (incomplete, "reason");
  if (g_strcmp0 (type, "response.incomplete") == 0)
    return g_error_new (EASEL_API_ERROR, EASEL_API_ERROR_STREAM,
                        "The response is incomplete (%s)", reason ? reason : "no reason given");

  return easel_api_error_new_literal (EASEL_API_ERROR_STREAM, "The response failed");
}

EaselEvent *
easel_event_parse (const char  *data,
                   gsize        len,
                   GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(EaselEvent) event = NULL;
  g_autoptr(GError) local_error = NULL;
  g_auto(Lifted) lifted = { NULL };
  g_autofree char *short_text = NULL;
  gsize short_len = 0;
  JsonNode *root_node;
  JsonObject *root;
  JsonObject *item;
  const char *type;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Not the immutable parser: sealing hashes every string, images included. */
  parser = json_parser_new ();
  short_text = lift_long_strings (data, len, &lifted, &short_len);
  if (short_text != NULL)
    {
      data = short_text;
      len = short_len;
    }
  if (len > G_MAXSSIZE ||
      !easel_json_check_depth (data, (gssize) len, EASEL_JSON_MAX_DEPTH, &local_error) ||
      !json_parser_load_from_data (parser, data, (gssize) len, &local_error))
    {
      g_set_error (error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE,
                   "The server sent an event that is not valid JSON: %s",
                   local_error ? local_error->message : "too large");
      return NULL;
    }

  root_node = json_parser_get_root (parser);
  if (root_node == NULL || !JSON_NODE_HOLDS_OBJECT (root_node))
    {
      g_set_error_literal (error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE,
                           "The server sent an event that is not a JSON object");
      return NULL;
    }
  root = json_node_get_object (root_node);
  if (lifted.slices != NULL)
    restore_lifted (&lifted, root_node, NULL);

  event = g_new0 (EaselEvent, 1);
  event->kind = EASEL_EVENT_UNKNOWN;
  type = _easel_json_get_string (root, "type");
  event->type = g_strdup (type);
  event->sequence_number = _easel_json_get_int (root, "sequence_number", -1);
  event->output_index = get_index (root, "output_index");
  event->partial_image_index = get_index (root, "partial_image_index");
  event->item_id = g_strdup (_easel_json_get_string (root, "item_id"));
  event->created_at = _easel_json_get_int (root, "created_at", 0);

  if (type == NULL)
    {
      /* As the SDK does: anything carrying an error object is an error. */
      JsonObject *err = _easel_json_get_object (root, "error");

      if (err != NULL)
        {
          event->kind = EASEL_EVENT_ERROR;
          event->error = easel_api_error_from_object (err, 0, EASEL_API_ERROR_STREAM);
        }
      return g_steal_pointer (&event);
    }

  if (g_str_equal (type, "image_generation.partial_image") ||
      g_str_equal (type, "image_edit.partial_image"))
    {
      event->kind = EASEL_EVENT_PARTIAL_IMAGE;
      set_image_meta (event, root);
      if (!decode_member (event, &lifted, root, "b64_json", error))
        return NULL;
    }
  else if (g_str_equal (type, "image_generation.completed") ||
           g_str_equal (type, "image_edit.completed"))
    {
      event->kind = EASEL_EVENT_IMAGE_DONE;
      set_image_meta (event, root);
      easel_usage_parse (json_object_get_member (root, "usage"), &event->usage);
      if (!decode_member (event, &lifted, root, "b64_json", error))
        return NULL;
    }
  else if (g_str_equal (type, "response.image_generation_call.partial_image"))
    {
      event->kind = EASEL_EVENT_PARTIAL_IMAGE;
      set_image_meta (event, root);
      if (!decode_member (event, &lifted, root, "partial_image_b64", error))
        return NULL;
    }
  else if (g_str_equal (type, "response.image_generation_call.in_progress"))
    event->kind = EASEL_EVENT_IMAGE_CALL_IN_PROGRESS;
  else if (g_str_equal (type, "response.image_generation_call.generating"))
    event->kind = EASEL_EVENT_IMAGE_CALL_GENERATING;
  else if (g_str_equal (type, "response.image_generation_call.completed"))
    event->kind = EASEL_EVENT_IMAGE_CALL_COMPLETED;
  else if (g_str_equal (type, "response.created"))
    {
      event->kind = EASEL_EVENT_RESPONSE_CREATED;
      parse_response (event, root);
    }
  else if (g_str_equal (type, "response.in_progress") ||
           g_str_equal (type, "response.queued"))
    {
      event->kind = EASEL_EVENT_RESPONSE_IN_PROGRESS;
      parse_response (event, root);
    }
  else if (g_str_equal (type, "response.completed"))
    {
      event->kind = EASEL_EVENT_RESPONSE_COMPLETED;
      parse_response (event, root);
    }
  else if (g_str_equal (type, "response.failed") ||
           g_str_equal (type, "response.incomplete"))
    {
      event->kind = EASEL_EVENT_RESPONSE_FAILED;
      parse_response (event, root);
      event->error = response_failure (root, type);
    }
  else if (g_str_equal (type, "response.output_item.added"))
    {
      item = _easel_json_get_object (root, "item");
      event->kind = EASEL_EVENT_OUTPUT_ITEM_ADDED;
      set_str (&event->item_id, _easel_json_get_string (item, "id"));
      set_str (&event->status, _easel_json_get_string (item, "status"));
    }
  else if (g_str_equal (type, "response.output_item.done"))
    {
      item = _easel_json_get_object (root, "item");
      if (g_strcmp0 (_easel_json_get_string (item, "type"), "image_generation_call") == 0)
        {
          if (!parse_image_item_done (event, &lifted, item, error))
            return NULL;
        }
      else
        {
          event->kind = EASEL_EVENT_OUTPUT_ITEM_DONE;
          set_str (&event->item_id, _easel_json_get_string (item, "id"));
          set_str (&event->status, _easel_json_get_string (item, "status"));
          if (g_strcmp0 (_easel_json_get_string (item, "type"), "message") == 0)
            event->text = _easel_message_item_text (item);
        }
    }
  else if (g_str_equal (type, "response.output_text.delta"))
    {
      event->kind = EASEL_EVENT_TEXT_DELTA;
      event->text = g_strdup (_easel_json_get_string (root, "delta"));
    }
  else if (g_str_equal (type, "response.output_text.done"))
    {
      event->kind = EASEL_EVENT_TEXT_DONE;
      event->text = g_strdup (_easel_json_get_string (root, "text"));
    }
  else if (g_str_equal (type, "error"))
    {
      /* The live stream nests the error object; the spec documents it flat. */
      JsonObject *err = _easel_json_get_object (root, "error");

      event->kind = EASEL_EVENT_ERROR;
      event->error = easel_api_error_from_object (err != NULL ? err : root, 0,
                                                  EASEL_API_ERROR_STREAM);
    }

  return g_steal_pointer (&event);
}

EaselEvent *
easel_event_copy (const EaselEvent *self)
{
  EaselEvent *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new0 (EaselEvent, 1);
  *copy = *self;
  copy->type = g_strdup (self->type);
  copy->item_id = g_strdup (self->item_id);
  copy->response_id = g_strdup (self->response_id);
  copy->status = g_strdup (self->status);
  copy->image = self->image ? g_bytes_ref (self->image) : NULL;
  copy->size = g_strdup (self->size);
  copy->quality = g_strdup (self->quality);
  copy->background = g_strdup (self->background);
  copy->output_format = g_strdup (self->output_format);
  copy->revised_prompt = g_strdup (self->revised_prompt);
  copy->action = g_strdup (self->action);
  copy->text = g_strdup (self->text);
  copy->error = self->error ? g_error_copy (self->error) : NULL;

  return copy;
}

void
easel_event_free (EaselEvent *self)
{
  if (self == NULL)
    return;

  g_free (self->type);
  g_free (self->item_id);
  g_free (self->response_id);
  g_free (self->status);
  g_clear_pointer (&self->image, g_bytes_unref);
  g_free (self->size);
  g_free (self->quality);
  g_free (self->background);
  g_free (self->output_format);
  g_free (self->revised_prompt);
  g_free (self->action);
  g_free (self->text);
  g_clear_error (&self->error);
  g_free (self);
}

const char *
easel_event_kind_to_string (EaselEventKind kind)
{
  switch (kind)
    {
    case EASEL_EVENT_UNKNOWN: return "unknown";
    case EASEL_EVENT_RESPONSE_CREATED: return "response-created";
    case EASEL_EVENT_RESPONSE_IN_PROGRESS: return "response-in-progress";
    case EASEL_EVENT_RESPONSE_COMPLETED: return "response-completed";
    case EASEL_EVENT_RESPONSE_FAILED: return "response-failed";
    case EASEL_EVENT_OUTPUT_ITEM_ADDED: return "output-item-added";
    case EASEL_EVENT_OUTPUT_ITEM_DONE: return "output-item-done";
    case EASEL_EVENT_IMAGE_CALL_IN_PROGRESS: return "image-call-in-progress";
    case EASEL_EVENT_IMAGE_CALL_GENERATING: return "image-call-generating";
    case EASEL_EVENT_IMAGE_CALL_COMPLETED: return "image-call-completed";
    case EASEL_EVENT_PARTIAL_IMAGE: return "partial-image";
    case EASEL_EVENT_IMAGE_DONE: return "image-done";
    case EASEL_EVENT_TEXT_DELTA: return "text-delta";
    case EASEL_EVENT_TEXT_DONE: return "text-done";
    case EASEL_EVENT_ERROR: return "error";
    default: return "invalid";
    }
}
