/* easel-store-export.c: export (PNG with metadata, JPEG, WebP) and import
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-store"

#include "config.h"

#include "easel-json.h"

#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <json-glib/json-glib.h>

#include "easel-image-size.h"
#include "easel-local-file.h"
#include "easel-png-meta.h"
#include "easel-store-private.h"

gboolean
easel_export_format_from_string (const char        *str,
                                 EaselExportFormat *format)
{
  EaselExportFormat f;

  if (str == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (str, "png") == 0)
    f = EASEL_EXPORT_PNG;
  else if (g_ascii_strcasecmp (str, "jpeg") == 0 || g_ascii_strcasecmp (str, "jpg") == 0)
    f = EASEL_EXPORT_JPEG;
  else if (g_ascii_strcasecmp (str, "webp") == 0)
    f = EASEL_EXPORT_WEBP;
  else
    return FALSE;
  if (format)
    *format = f;
  return TRUE;
}

/* ------------------------------------------------------------------------- */
/* Export and import */

#define EASEL_RECORD_KEY "easel:record"

static void
add_string_member (JsonBuilder *b, const char *name, const char *value)
{
  if (value == NULL)
    return;
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

static char *
build_record_json (EaselGeneration *g, EaselConversation *conv, GPtrArray *turns)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, 1);

  json_builder_set_member_name (b, "generation");
  json_builder_begin_object (b);
  add_string_member (b, "sha256", g->sha256);
  add_string_member (b, "model", g->model);
  add_string_member (b, "api", g->api);
  add_string_member (b, "params_json", g->params_json);
  add_string_member (b, "prompt", g->prompt);
  add_string_member (b, "revised_prompt", g->revised_prompt);
  add_string_member (b, "action", g->action);
  add_string_member (b, "size", g->size);
  add_string_member (b, "format", g->format);
  add_string_member (b, "background", g->background);
  add_string_member (b, "quality", g->quality);
  add_string_member (b, "usage_json", g->usage_json);
  add_string_member (b, "request_hash", g->request_hash);
  add_string_member (b, "response_id", g->response_id);
  add_string_member (b, "image_call_id", g->image_call_id);
  add_string_member (b, "mask_sha256", g->mask_sha256);
  json_builder_set_member_name (b, "input_tokens");
  json_builder_add_int_value (b, g->input_tokens);
  json_builder_set_member_name (b, "output_tokens");
  json_builder_add_int_value (b, g->output_tokens);
  json_builder_set_member_name (b, "estimated_usd");
  json_builder_add_double_value (b, g->estimated_usd);
  json_builder_set_member_name (b, "actual_usd");
  json_builder_add_double_value (b, g->actual_usd);
  json_builder_set_member_name (b, "created");
  json_builder_add_int_value (b, g->created);
  add_string_member (b, "status", easel_generation_status_to_string (g->status));
  json_builder_set_member_name (b, "picked");
  json_builder_add_boolean_value (b, g->picked);
  json_builder_end_object (b);

  if (conv != NULL)
    {
      json_builder_set_member_name (b, "conversation");
      json_builder_begin_object (b);
      add_string_member (b, "title", conv->title);
      json_builder_set_member_name (b, "created");
      json_builder_add_int_value (b, conv->created);
      json_builder_end_object (b);
    }

  if (turns != NULL)
    {
      json_builder_set_member_name (b, "turns");
      json_builder_begin_array (b);
      for (guint i = 0; i < turns->len; i++)
        {
          EaselTurn *t = turns->pdata[i];

          json_builder_begin_object (b);
          add_string_member (b, "user_text", t->user_text);
          add_string_member (b, "assistant_text", t->assistant_text);
          add_string_member (b, "response_id", t->response_id);
          add_string_member (b, "previous_response_id", t->previous_response_id);
          add_string_member (b, "image_call_id", t->image_call_id);
          json_builder_set_member_name (b, "created");
          json_builder_add_int_value (b, t->created);
          json_builder_set_member_name (b, "this_image");
          json_builder_add_boolean_value (b, t->generation_id == g->id);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }

  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

/* Decodes a stored image for transcoding. The file came from a server or an
 * import, so its header is checked before any pixels are allocated. */
static GdkPixbuf *
decode_source (GBytes *source, GError **error)
{
  g_autoptr(GdkPixbufLoader) loader = NULL;
  GdkPixbuf *pixbuf;
  GError *local_error = NULL;

  if (!easel_image_check_size (source, NULL, NULL, &local_error))
    {
      g_set_error_literal (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID, local_error->message);
      g_error_free (local_error);
      return NULL;
    }

  loader = gdk_pixbuf_loader_new ();
  if (!gdk_pixbuf_loader_write_bytes (loader, source, error) ||
      !gdk_pixbuf_loader_close (loader, error))
    return NULL;
  if ((pixbuf = gdk_pixbuf_loader_get_pixbuf (loader)) == NULL)
    {
      g_set_error_literal (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID, "Not an image");
      return NULL;
    }
  return g_object_ref (pixbuf);
}

static GBytes *
encode_pixbuf (GdkPixbuf *pixbuf, const char *type, int quality, GError **error)
{
  g_autofree char *buf = NULL;
  g_autofree char *q = g_strdup_printf ("%d", CLAMP (quality, 0, 100));
  g_autoptr(GdkPixbuf) flat = NULL;
  gsize len = 0;

  /* JPEG has no alpha: flatten onto white rather than onto whatever the
   * transparent pixels happen to hold. */
  if (g_str_equal (type, "jpeg") && gdk_pixbuf_get_has_alpha (pixbuf))
    {
      int w = gdk_pixbuf_get_width (pixbuf), h = gdk_pixbuf_get_height (pixbuf);

      flat = gdk_pixbuf_composite_color_simple (pixbuf, w, h, GDK_INTERP_NEAREST, 255, 8,
                                                0xffffffff, 0xffffffff);
      pixbuf = flat;
    }

  if (g_str_equal (type, "png"))
    {
      if (!gdk_pixbuf_save_to_buffer (pixbuf, &buf, &len, "png", error, NULL))
        return NULL;
    }
  else if (!gdk_pixbuf_save_to_buffer (pixbuf, &buf, &len, type, error, "quality", q, NULL))
    return NULL;

  return g_bytes_new_take (g_steal_pointer (&buf), len);
}

gboolean
easel_store_export (EaselStore        *self,
                    gint64             id,
                    GFile             *dest,
                    EaselExportFormat  format,
                    int                quality,
                    GError           **error)
{
  g_autoptr(EaselGeneration) g = NULL;
  g_autoptr(EaselConversation) conv = NULL;
  g_autoptr(GPtrArray) turns = NULL;
  g_autoptr(GBytes) source = NULL;
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (self), FALSE);
  g_return_val_if_fail (G_IS_FILE (dest), FALSE);

  if (quality < 0)
    quality = 90;

  {
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->mutex);

    if (!(g = _easel_store_get_generation_locked (self, id, error)))
      return FALSE;
    if (g->conversation_id > 0)
      conv = _easel_store_get_conversation_locked (self, g->conversation_id, NULL);
    if (g->turn_id > 0)
      turns = _easel_store_turn_path_locked (self, g->turn_id, NULL);
  }

  if (g->path == NULL)
    {
      g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID,
                   "Library entry %" G_GINT64_FORMAT " has no image to export", id);
      return FALSE;
    }

  file = g_file_new_for_path (g->path);
  if (!(source = g_file_load_bytes (file, NULL, NULL, &local_error)))
    {
      g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_IO,
                   "Could not read the image of entry %" G_GINT64_FORMAT ": %s", id, local_error->message);
      return FALSE;
    }

  if (format == EASEL_EXPORT_PNG)
    {
      g_autoptr(GBytes) png = NULL;
      g_autofree char *record = build_record_json (g, conv, turns);
      g_autofree char *conv_id = g->conversation_id ? g_strdup_printf ("%" G_GINT64_FORMAT, g->conversation_id) : NULL;
      g_autoptr(EaselGeneration) parent = NULL;
      g_autoptr(GPtrArray) pairs = g_ptr_array_new ();

      if (g_strcmp0 (g->format, "png") == 0 || g_str_equal (_easel_store_format_from_bytes (source), "png"))
        png = g_bytes_ref (source);
      else
        {
          g_autoptr(GdkPixbuf) pixbuf = decode_source (source, error);

          if (pixbuf == NULL || !(png = encode_pixbuf (pixbuf, "png", 0, error)))
            return FALSE;
        }

      if (g->parent_generation_id > 0)
        parent = easel_store_get_generation (self, g->parent_generation_id, NULL);

#define PAIR(k, v) if ((v) != NULL) { g_ptr_array_add (pairs, (gpointer) (k)); g_ptr_array_add (pairs, (gpointer) (v)); }
      PAIR ("Software", "Easel " PACKAGE_VERSION);
      PAIR ("Description", g->prompt);
      PAIR ("easel:prompt", g->prompt);
      PAIR ("easel:revised-prompt", g->revised_prompt);
      PAIR ("easel:model", g->model);
      PAIR ("easel:params", g->params_json);
      PAIR ("easel:response-id", g->response_id);
      PAIR ("easel:conversation-id", conv_id);
      PAIR ("easel:parent-sha256", parent ? parent->sha256 : NULL);
      PAIR (EASEL_RECORD_KEY, record);
#undef PAIR
      g_ptr_array_add (pairs, NULL);

      if (!(out = easel_png_meta_write (png, (const char * const *) pairs->pdata, error)))
        return FALSE;
    }
  else
    {
      g_autoptr(GdkPixbuf) pixbuf = decode_source (source, error);

      if (pixbuf == NULL ||
          !(out = encode_pixbuf (pixbuf, format == EASEL_EXPORT_JPEG ? "jpeg" : "webp", quality, error)))
        return FALSE;
    }

  /* g_file_replace_contents renames a temp file over an existing file, but
   * writes a new one in place, where a reader (a drop target, a file
   * manager) can see it half-written; a local file is always written to a
   * temp file and renamed. */
  {
    g_autofree char *path = g_file_get_path (dest);

    if (path != NULL)
      return g_file_set_contents_full (path, g_bytes_get_data (out, NULL), g_bytes_get_size (out),
                                       G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
  }
  return g_file_replace_contents (dest, g_bytes_get_data (out, NULL), g_bytes_get_size (out),
                                  NULL, FALSE, G_FILE_CREATE_NONE, NULL, NULL, error);
}

typedef struct
{
  gint64             id;
  GFile             *dest;
  EaselExportFormat  format;
  int                quality;
} ExportData;

static void
export_data_free (ExportData *d)
{
  g_clear_object (&d->dest);
  g_free (d);
}

static void
export_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ExportData *d = task_data;
  GError *error = NULL;

  if (easel_store_export (source_object, d->id, d->dest, d->format, d->quality, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
easel_store_export_async (EaselStore          *self,
                          gint64               id,
                          GFile               *dest,
                          EaselExportFormat    format,
                          int                  quality,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ExportData *d;

  g_return_if_fail (EASEL_IS_STORE (self));
  g_return_if_fail (G_IS_FILE (dest));

  d = g_new0 (ExportData, 1);
  d->id = id;
  d->dest = g_object_ref (dest);
  d->format = format;
  d->quality = quality;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_store_export_async);
  g_task_set_task_data (task, d, (GDestroyNotify) export_data_free);
  g_task_run_in_thread (task, export_thread);
}

gboolean
easel_store_export_finish (EaselStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* An imported record is checked against what build_record_json() writes
 * before anything is read from it or written: every member Easel knows has
 * its JSON type, strings are valid UTF-8 of sane length, numbers are in
 * range. Unknown members are ignored. */

#define MAX_RECORD_LEN  (16 * 1024 * 1024)
#define MAX_ID_LEN      256              /* model, api, ids, status, … */
#define MAX_TEXT_LEN    (1024 * 1024)    /* prompts, answers, titles, params and usage JSON */
#define MAX_TURNS       10000
#define MAX_TIMESTAMP   G_GINT64_CONSTANT (253402300799) /* 9999-12-31 */
#define MAX_TOKENS      G_GINT64_CONSTANT (1000000000000)
#define MAX_USD         1e9

typedef enum
{
  MEMBER_ID,         /* short string */
  MEMBER_TEXT,       /* long string */
  MEMBER_JSON,       /* string holding a JSON object */
  MEMBER_SHA256,     /* 64 lowercase hex digits */
  MEMBER_STATUS,     /* a generation status name */
  MEMBER_TIMESTAMP,  /* integer, 0 … MAX_TIMESTAMP */
  MEMBER_COUNT,      /* integer, 0 … MAX_TOKENS */
  MEMBER_USD,        /* number, -1 (unknown) or 0 … MAX_USD */
  MEMBER_BOOLEAN,
} MemberKind;

typedef struct
{
  const char *name;
  MemberKind  kind;
} MemberSpec;

static const MemberSpec generation_members[] = {
  { "sha256", MEMBER_SHA256 },
  { "model", MEMBER_ID },
  { "api", MEMBER_ID },
  { "params_json", MEMBER_JSON },
  { "prompt", MEMBER_TEXT },
  { "revised_prompt", MEMBER_TEXT },
  { "action", MEMBER_ID },
  { "size", MEMBER_ID },
  { "format", MEMBER_ID },
  { "background", MEMBER_ID },
  { "quality", MEMBER_ID },
  { "usage_json", MEMBER_JSON },
  { "request_hash", MEMBER_ID },   /* checked, then ignored */
  { "response_id", MEMBER_ID },
  { "image_call_id", MEMBER_ID },
  { "mask_sha256", MEMBER_SHA256 },
  { "input_tokens", MEMBER_COUNT },
  { "output_tokens", MEMBER_COUNT },
  { "estimated_usd", MEMBER_USD },
  { "actual_usd", MEMBER_USD },
  { "created", MEMBER_TIMESTAMP },
  { "status", MEMBER_STATUS },
  { "picked", MEMBER_BOOLEAN },
};

static const MemberSpec conversation_members[] = {
  { "title", MEMBER_TEXT },
  { "created", MEMBER_TIMESTAMP },
};

static const MemberSpec turn_members[] = {
  { "user_text", MEMBER_TEXT },
  { "assistant_text", MEMBER_TEXT },
  { "response_id", MEMBER_ID },
  { "previous_response_id", MEMBER_ID },
  { "image_call_id", MEMBER_ID },
  { "created", MEMBER_TIMESTAMP },
  { "this_image", MEMBER_BOOLEAN },
};

static gboolean
check_member (JsonNode *node, MemberKind kind)
{
  GType type;

  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  type = json_node_get_value_type (node);

  switch (kind)
    {
    case MEMBER_ID:
    case MEMBER_TEXT:
    case MEMBER_JSON:
    case MEMBER_SHA256:
    case MEMBER_STATUS:
      {
        const char *str;
        gsize len;

        if (type != G_TYPE_STRING)
          return FALSE;
        str = json_node_get_string (node);
        len = strlen (str);
        if (len > (kind == MEMBER_TEXT || kind == MEMBER_JSON ? MAX_TEXT_LEN : MAX_ID_LEN) ||
            !g_utf8_validate_len (str, len, NULL))
          return FALSE;
        if (kind == MEMBER_SHA256)
          return len == 64 && strspn (str, "0123456789abcdef") == 64;
        if (kind == MEMBER_STATUS)
          return easel_generation_status_from_string (str, NULL);
        if (kind == MEMBER_JSON)
          {
            g_autoptr(JsonNode) root = easel_json_parse (str, len, NULL);

            return root != NULL && JSON_NODE_HOLDS_OBJECT (root);
          }
        return TRUE;
      }

    case MEMBER_TIMESTAMP:
    case MEMBER_COUNT:
      {
        gint64 v;

        if (type != G_TYPE_INT64)
          return FALSE;
        v = json_node_get_int (node);
        return v >= 0 && v <= (kind == MEMBER_TIMESTAMP ? MAX_TIMESTAMP : MAX_TOKENS);
      }

    case MEMBER_USD:
      {
        double v;

        if (type == G_TYPE_INT64)
          v = (double) json_node_get_int (node);
        else if (type == G_TYPE_DOUBLE)
          v = json_node_get_double (node);
        else
          return FALSE;
        return v == -1 || (v >= 0 && v <= MAX_USD);
      }

    case MEMBER_BOOLEAN:
      return type == G_TYPE_BOOLEAN;

    default:
      g_assert_not_reached ();
    }
}

static gboolean
check_object (JsonNode *node, const MemberSpec *specs, guint n_specs, const char *what, GError **error)
{
  JsonObject *object;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID, "its %s is not an object", what);
      return FALSE;
    }
  object = json_node_get_object (node);
  for (guint i = 0; i < n_specs; i++)
    {
      JsonNode *member = json_object_get_member (object, specs[i].name);

      if (member != NULL && !check_member (member, specs[i].kind))
        {
          g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID,
                       "its %s has an invalid “%s”", what, specs[i].name);
          return FALSE;
        }
    }
  return TRUE;
}

/* The parsed record, or NULL with an error that names what is wrong. */
static JsonObject *
check_record (JsonNode *root, GError **error)
{
  JsonObject *object;
  JsonNode *member;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID, "its record is not an object");
      return NULL;
    }
  object = json_node_get_object (root);

  member = json_object_get_member (object, "version");
  if (member == NULL || !JSON_NODE_HOLDS_VALUE (member) || json_node_get_value_type (member) != G_TYPE_INT64 ||
      json_node_get_int (member) < 1)
    {
      g_set_error_literal (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID, "its record has no valid version");
      return NULL;
    }

  if (!check_object (json_object_get_member (object, "generation"), generation_members,
                     G_N_ELEMENTS (generation_members), "generation", error))
    return NULL;

  member = json_object_get_member (object, "conversation");
  if (member != NULL &&
      !check_object (member, conversation_members, G_N_ELEMENTS (conversation_members), "conversation", error))
    return NULL;

  member = json_object_get_member (object, "turns");
  if (member != NULL)
    {
      JsonArray *turns;

      if (!JSON_NODE_HOLDS_ARRAY (member) || json_array_get_length (json_node_get_array (member)) > MAX_TURNS)
        {
          g_set_error_literal (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID, "its turns are not a list");
          return NULL;
        }
      turns = json_node_get_array (member);
      for (guint i = 0; i < json_array_get_length (turns); i++)
        if (!check_object (json_array_get_element (turns, i), turn_members, G_N_ELEMENTS (turn_members),
                           "turn", error))
          return NULL;
    }

  return object;
}

/* The readers below run on a checked record: a member is absent or has its
 * type. */
static char *
member_string (JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n ? g_strdup (json_node_get_string (n)) : NULL;
}

static gint64
member_int (JsonObject *o, const char *name, gint64 fallback)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n ? json_node_get_int (n) : fallback;
}

static double
member_double (JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n ? json_node_get_double (n) : -1;
}

static gboolean
member_boolean (JsonObject *o, const char *name, gboolean fallback)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n ? json_node_get_boolean (n) : fallback;
}

EaselGeneration *
easel_store_import (EaselStore *self, GFile *png, GError **error)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GHashTable) meta = NULL;
  g_autoptr(JsonNode) root_node = NULL;
  g_autoptr(EaselGeneration) g = easel_generation_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *rel = NULL;
  JsonObject *root = NULL, *go, *co;
  JsonArray *turns;
  JsonNode *member;
  const char *record;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);
  g_return_val_if_fail (G_IS_FILE (png), NULL);

  if (!_easel_store_check_writable (self, error))
    return NULL;

  /* The file comes from outside (a drop, Open With): a FIFO or /dev/zero
   * named .png must not hold the store's worker for ever. */
  if (!(bytes = easel_local_file_load (png, EASEL_LOCAL_FILE_MAX_IMAGE_BYTES, NULL, &local_error)))
    {
      g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_IO, "Could not read “%s”: %s",
                   g_file_peek_path (png), local_error->message);
      return NULL;
    }
  if (!(meta = easel_png_meta_read (bytes, &local_error)))
    {
      g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID, "Cannot import “%s”: %s",
                   g_file_peek_path (png), local_error->message);
      return NULL;
    }
  record = g_hash_table_lookup (meta, EASEL_RECORD_KEY);
  if (record == NULL)
    {
      g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID,
                   "“%s” is not an image exported by Easel", g_file_peek_path (png));
      return NULL;
    }
  /* The parser's message may quote the record: it is not repeated. */
  if (strlen (record) > MAX_RECORD_LEN)
    g_set_error_literal (&local_error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID, "its record is too long");
  else if (!(root_node = easel_json_parse (record, -1, NULL)))
    g_set_error_literal (&local_error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID, "its record is not JSON");
  else
    root = check_record (root_node, &local_error);
  if (root == NULL)
    {
      g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID,
                   "“%s” has damaged Easel metadata: %s", g_file_peek_path (png), local_error->message);
      return NULL;
    }

  go = json_object_get_object_member (root, "generation");
  member = json_object_get_member (root, "conversation");
  co = member ? json_node_get_object (member) : NULL;
  member = json_object_get_member (root, "turns");
  turns = member ? json_node_get_array (member) : NULL;

  g->model = member_string (go, "model");
  g->api = member_string (go, "api");
  g->params_json = member_string (go, "params_json");
  g->prompt = member_string (go, "prompt");
  g->revised_prompt = member_string (go, "revised_prompt");
  g->action = member_string (go, "action");
  g->size = member_string (go, "size");
  g->format = g_strdup ("png");
  g->background = member_string (go, "background");
  g->quality = member_string (go, "quality");
  g->usage_json = member_string (go, "usage_json");
  /* Never the file's request_hash: anyone can write one, and an imported
   * row must not answer a request as if this library had sent it. */
  g->request_hash = NULL;
  g->response_id = member_string (go, "response_id");
  g->image_call_id = member_string (go, "image_call_id");
  g->input_tokens = member_int (go, "input_tokens", 0);
  g->output_tokens = member_int (go, "output_tokens", 0);
  g->estimated_usd = member_double (go, "estimated_usd");
  g->actual_usd = member_double (go, "actual_usd");
  g->created = member_int (go, "created", 0);
  /* It has an image, so only ok or incomplete make sense. */
  {
    g_autofree char *status = member_string (go, "status");

    if (status == NULL || !easel_generation_status_from_string (status, &g->status) ||
        g->status != EASEL_GENERATION_INCOMPLETE)
      g->status = EASEL_GENERATION_OK;
  }
  g->picked = member_boolean (go, "picked", TRUE);

  /* The file first (with its metadata: it is what the user had), then all
   * rows in one transaction. */
  if (!(rel = _easel_store_store_image_file (self, bytes, "png", &g->sha256, error)))
    return NULL;

  {
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->mutex);
    g_autoptr(EaselTurn) image_turn = NULL;
    gint64 conv_id = 0, parent_turn = 0;

    if (!_easel_store_exec (self->db, "BEGIN IMMEDIATE", "write to", error))
      return NULL;

    if (turns != NULL && json_array_get_length (turns) > 0)
      {
        g_autoptr(EaselStmt) stmt = NULL;
        g_autofree char *title = member_string (co, "title");
        int rc;

        if (!(stmt = _easel_store_prepare (self, "INSERT INTO conversations (title, created, updated) VALUES (?1, ?2, ?2)", error)))
          goto fail;
        sqlite3_bind_text (stmt, 1, title ? title : "", -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64 (stmt, 2, member_int (co, "created", g_get_real_time () / G_USEC_PER_SEC));
        if ((rc = sqlite3_step (stmt)) != SQLITE_DONE)
          {
            _easel_store_set_sqlite_error (error, self->db, rc, "write to");
            goto fail;
          }
        conv_id = sqlite3_last_insert_rowid (self->db);

        for (guint i = 0; i < json_array_get_length (turns); i++)
          {
            JsonObject *to = json_array_get_object_element (turns, i);
            g_autoptr(EaselTurn) t = easel_turn_new ();
            t->conversation_id = conv_id;
            t->parent_turn_id = parent_turn;
            t->user_text = member_string (to, "user_text");
            t->assistant_text = member_string (to, "assistant_text");
            t->response_id = member_string (to, "response_id");
            t->previous_response_id = member_string (to, "previous_response_id");
            t->image_call_id = member_string (to, "image_call_id");
            t->created = member_int (to, "created", 0);
            if (!_easel_store_add_turn_locked (self, t, error))
              goto fail;
            parent_turn = t->id;
            if (member_boolean (to, "this_image", FALSE))
              g_set_object (&image_turn, t);
          }
      }

    g->conversation_id = conv_id;
    g->turn_id = image_turn ? image_turn->id : parent_turn;
    if (!_easel_store_insert_generation_row (self, g, rel, error))
      goto fail;

    if (g->turn_id > 0)
      {
        g_autoptr(EaselStmt) stmt = _easel_store_prepare (self, "UPDATE turns SET generation_id = ?1 WHERE id = ?2", error);

        if (stmt == NULL)
          goto fail;
        sqlite3_bind_int64 (stmt, 1, g->id);
        sqlite3_bind_int64 (stmt, 2, g->turn_id);
        if (sqlite3_step (stmt) != SQLITE_DONE)
          {
            _easel_store_set_sqlite_error (error, self->db, sqlite3_errcode (self->db), "write to");
            goto fail;
          }
      }

    if (!_easel_store_exec (self->db, "COMMIT", "write to", error))
      goto fail;

    g_free (g->path);
    g->path = g_build_filename (self->dir, rel, NULL);
    _easel_store_queue_changed (self);
    return g_steal_pointer (&g);

  fail:
    _easel_store_exec (self->db, "ROLLBACK", "write to", NULL);
    return NULL;
  }
}
