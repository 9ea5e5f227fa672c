/* fake-server.c: an in-process fake OpenAI server for tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-fake-server"

#include "config.h"

#include <string.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "fake-server.h"
#include "fake-server-pictures.h"

struct _EaselFakeReply
{
  guint       status;
  char       *content_type;
  GBytes     *body;
  GPtrArray  *headers;      /* name, value, name, value… */
  gsize       chunk_size;
  guint       delay_ms;
  gboolean    split_events;
  gssize      truncate_at;  /* -1: whole body */
  gboolean    abort;
};

struct _EaselFakeServer
{
  SoupServer   *server;
  char         *base_url;
  guint         port;
  GHashTable   *queues;      /* path → GQueue of EaselFakeReply */
  GQueue        any_queue;
  GPtrArray    *requests;    /* EaselFakeRequest */
  GPtrArray    *active;      /* Playback */
  guint         event_delay_ms;
  gsize         chunk_size;
  guint         fail_first;
  guint         fail_first_status; /* 429 unless set */
  int           image_width;
  int           image_height;
  guint         image_noise;
  gboolean      pictures;
  GHashTable   *picture_prompts; /* response id → the prompt it was painted from */
  gboolean      verbose;
  guint64       counter;
  GHashTable   *files;         /* id → FakeFile */
  GHashTable   *batches;       /* id → FakeBatch */
  GPtrArray    *batch_order;   /* ids, creation order */
  char         *batch_outcome; /* NULL (complete), "fail", "expire", "cancel" */
  gssize        content_abort; /* the next content download drops at this offset; -1: none */
  gsize         content_chunk; /* content downloads in pieces of this size (0: at once) */
  guint         content_delay_ms;
  GHashTable   *stored;      /* response id → StoredResponse (background mode) */
  gboolean      refuse_background;
  guint         drop_after_partial;
  guint         n_in_progress_polls;
  gboolean      refuse_resume_stream;
  gboolean      forget_responses;
};

/* A background response: its whole SSE body, where each event starts (the
 * index is the sequence_number), and its Response object in progress and
 * done, for GET /responses/{id}. */
typedef struct
{
  GBytes   *sse;
  GArray   *offsets;       /* gsize */
  char     *in_progress_json;
  char     *final_json;
  gboolean  cancelled;
} StoredResponse;

static void
stored_response_free (gpointer data)
{
  StoredResponse *stored = data;

  g_bytes_unref (stored->sse);
  g_array_unref (stored->offsets);
  g_free (stored->in_progress_json);
  g_free (stored->final_json);
  g_free (stored);
}

/* ------------------------------------------------------------------------ */
/* Replies */

EaselFakeReply *
easel_fake_reply_new (guint       status,
                      const char *content_type,
                      GBytes     *body)
{
  EaselFakeReply *self = g_new0 (EaselFakeReply, 1);

  self->status = status;
  self->content_type = g_strdup (content_type);
  self->body = body ? g_bytes_ref (body) : g_bytes_new (NULL, 0);
  self->headers = g_ptr_array_new_with_free_func (g_free);
  self->truncate_at = -1;
  return self;
}

EaselFakeReply *
easel_fake_reply_new_json (guint       status,
                           const char *json)
{
  g_autoptr(GBytes) body = g_bytes_new (json, strlen (json));
  return easel_fake_reply_new (status, "application/json", body);
}

EaselFakeReply *
easel_fake_reply_new_sse (GBytes *body)
{
  return easel_fake_reply_new (200, "text/event-stream", body);
}

static void
append_sse_frame (GString    *out,
                  const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *type = "message";

  if (json_parser_load_from_data (parser, json, -1, NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    type = json_object_get_string_member_with_default (json_node_get_object (json_parser_get_root (parser)),
                                                      "type", "message");
  g_string_append_printf (out, "event: %s\ndata: %s\n\n", type, json);
}

EaselFakeReply *
easel_fake_reply_new_sse_events (const char * const *json_events)
{
  GString *out = g_string_new (NULL);
  g_autoptr(GBytes) body = NULL;

  for (guint i = 0; json_events && json_events[i]; i++)
    append_sse_frame (out, json_events[i]);
  body = g_string_free_to_bytes (out);
  return easel_fake_reply_new_sse (body);
}

EaselFakeReply *
easel_fake_reply_new_error (guint       status,
                            const char *type,
                            const char *code,
                            const char *message)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, type);
  json_builder_set_member_name (b, "param");
  json_builder_add_null_value (b);
  json_builder_set_member_name (b, "code");
  if (code)
    json_builder_add_string_value (b, code);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json = json_to_string (root, FALSE);
  return easel_fake_reply_new_json (status, json);
}

EaselFakeReply *
easel_fake_reply_new_from_file (const char  *path,
                                GError     **error)
{
  g_autofree char *contents = NULL;
  gsize len;
  g_autoptr(GBytes) body = NULL;
  EaselFakeReply *reply;
  const char *p;
  const char *end;
  guint status = 0;

  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;

  if (g_str_has_suffix (path, ".sse"))
    {
      body = g_bytes_new (contents, len);
      return easel_fake_reply_new_sse (body);
    }

  /* HTTP/1.1 STATUS Reason\r?\n headers… \r?\n\r?\n body */
  if (!g_str_has_prefix (contents, "HTTP/") || sscanf (contents, "HTTP/%*s %u", &status) != 1)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: not an HTTP transcript", path);
      return NULL;
    }

  reply = easel_fake_reply_new (status, NULL, NULL);
  p = strchr (contents, '\n');
  p = p ? p + 1 : contents + len;
  while (p < contents + len && *p != '\n' && *p != '\r')
    {
      g_autofree char *line = NULL;
      char *colon;

      end = strchr (p, '\n');
      if (end == NULL)
        end = contents + len;
      line = g_strndup (p, end - p);
      g_strchomp (line);
      p = end < contents + len ? end + 1 : end;
      if ((colon = strchr (line, ':')) == NULL)
        continue;
      *colon = '\0';
      if (g_ascii_strcasecmp (line, "content-length") == 0)
        continue;
      if (g_ascii_strcasecmp (line, "content-type") == 0)
        {
          g_free (reply->content_type);
          reply->content_type = g_strdup (g_strstrip (colon + 1));
        }
      else
        easel_fake_reply_add_header (reply, g_strstrip (line), g_strstrip (colon + 1));
    }
  if (p < contents + len && *p == '\r')
    p++;
  if (p < contents + len && *p == '\n')
    p++;
  g_bytes_unref (reply->body);
  reply->body = g_bytes_new (p, contents + len - p);
  return reply;
}

void
easel_fake_reply_add_header (EaselFakeReply *self,
                             const char     *name,
                             const char     *value)
{
  g_ptr_array_add (self->headers, g_strdup (name));
  g_ptr_array_add (self->headers, g_strdup (value));
}

void
easel_fake_reply_set_chunking (EaselFakeReply *self,
                               gsize           chunk_size,
                               guint           delay_ms)
{
  self->chunk_size = chunk_size;
  self->delay_ms = delay_ms;
}

void
easel_fake_reply_set_event_delay (EaselFakeReply *self,
                                  guint           delay_ms)
{
  self->split_events = TRUE;
  self->delay_ms = delay_ms;
}

void
easel_fake_reply_set_truncate (EaselFakeReply *self,
                               gsize           offset)
{
  self->truncate_at = (gssize) offset;
  self->abort = FALSE;
}

void
easel_fake_reply_set_abort (EaselFakeReply *self,
                            gsize           offset)
{
  self->truncate_at = (gssize) offset;
  self->abort = TRUE;
}

void
easel_fake_reply_free (EaselFakeReply *self)
{
  if (self == NULL)
    return;
  g_free (self->content_type);
  g_bytes_unref (self->body);
  g_ptr_array_unref (self->headers);
  g_free (self);
}

/* ------------------------------------------------------------------------ */
/* Requests */

static void
fake_request_free (gpointer data)
{
  EaselFakeRequest *req = data;

  g_free (req->method);
  g_free (req->path);
  g_free (req->query);
  g_clear_pointer (&req->headers, soup_message_headers_unref);
  g_clear_pointer (&req->body, g_bytes_unref);
  g_free (req->content_type);
  g_free (req);
}

void
easel_fake_part_free (EaselFakePart *part)
{
  if (part == NULL)
    return;
  g_free (part->name);
  g_free (part->filename);
  g_free (part->content_type);
  g_clear_pointer (&part->data, g_bytes_unref);
  g_free (part);
}

GPtrArray *
easel_fake_request_parse_multipart (const EaselFakeRequest *request)
{
  g_autoptr(SoupMultipart) multipart = NULL;
  GPtrArray *parts;

  g_return_val_if_fail (request != NULL, NULL);

  if (g_strcmp0 (request->content_type, "multipart/form-data") != 0)
    return NULL;
  multipart = soup_multipart_new_from_message (request->headers, request->body);
  if (multipart == NULL)
    return NULL;

  parts = g_ptr_array_new_with_free_func ((GDestroyNotify) easel_fake_part_free);
  for (int i = 0; i < soup_multipart_get_length (multipart); i++)
    {
      SoupMessageHeaders *headers = NULL;
      GBytes *body = NULL;
      g_autoptr(GHashTable) params = NULL;
      g_autofree char *disposition = NULL;
      EaselFakePart *part;

      if (!soup_multipart_get_part (multipart, i, &headers, &body))
        continue;
      part = g_new0 (EaselFakePart, 1);
      if (soup_message_headers_get_content_disposition (headers, &disposition, &params))
        {
          part->name = g_strdup (g_hash_table_lookup (params, "name"));
          part->filename = g_strdup (g_hash_table_lookup (params, "filename"));
        }
      part->content_type = g_strdup (soup_message_headers_get_content_type (headers, NULL));
      part->data = g_bytes_ref (body);
      g_ptr_array_add (parts, part);
    }
  return parts;
}

EaselFakePart *
easel_fake_parts_find (GPtrArray  *parts,
                       const char *name)
{
  for (guint i = 0; parts && i < parts->len; i++)
    {
      EaselFakePart *part = g_ptr_array_index (parts, i);
      if (g_strcmp0 (part->name, name) == 0)
        return part;
    }
  return NULL;
}

guint
easel_fake_parts_count (GPtrArray  *parts,
                        const char *name)
{
  guint n = 0;

  for (guint i = 0; parts && i < parts->len; i++)
    {
      EaselFakePart *part = g_ptr_array_index (parts, i);
      if (g_strcmp0 (part->name, name) == 0)
        n++;
    }
  return n;
}

JsonNode *
easel_fake_request_parse_json (const EaselFakeRequest *request)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize len;
  const char *data;

  g_return_val_if_fail (request != NULL, NULL);

  if (request->body == NULL)
    return NULL;
  data = g_bytes_get_data (request->body, &len);
  if (!json_parser_load_from_data (parser, data ? data : "", len, NULL))
    return NULL;
  return json_node_ref (json_parser_get_root (parser));
}

const char *
easel_fake_request_get_header (const EaselFakeRequest *request,
                               const char             *name)
{
  return soup_message_headers_get_one (request->headers, name);
}

/* ------------------------------------------------------------------------ */
/* Playback of a reply body over time */

typedef struct
{
  EaselFakeServer   *server;
  SoupServerMessage *msg;
  GPtrArray         *chunks;   /* GBytes */
  guint              next;
  guint              delay_ms;
  gboolean           abort;
  gboolean           done;
  GSource           *source;
  gulong             finished_id;
  gulong             wrote_id;
  gsize              n_queued;   /* body bytes handed to libsoup */
  gsize              n_written;  /* … and written to the socket */
} Playback;

static void
playback_free (Playback *pb)
{
  if (pb->source != NULL)
    {
      g_source_destroy (pb->source);
      g_source_unref (pb->source);
    }
  if (pb->finished_id != 0)
    g_signal_handler_disconnect (pb->msg, pb->finished_id);
  if (pb->wrote_id != 0)
    g_signal_handler_disconnect (pb->msg, pb->wrote_id);
  g_clear_object (&pb->msg);
  g_ptr_array_unref (pb->chunks);
  g_free (pb);
}

static void
playback_remove (Playback *pb)
{
  /* Frees it through the array's free func. */
  g_ptr_array_remove (pb->server->active, pb);
}

static void
on_playback_finished (SoupServerMessage *msg,
                      gpointer           user_data)
{
  Playback *pb = user_data;

  playback_remove (pb);
}

static gboolean playback_tick (gpointer user_data);
static void     playback_schedule (Playback *pb, guint delay_ms);

static void
on_playback_wrote (SoupServerMessage *msg,
                   guint              chunk_size,
                   gpointer           user_data)
{
  Playback *pb = user_data;

  pb->n_written += chunk_size;
  if (pb->abort && pb->next >= pb->chunks->len && pb->n_written >= pb->n_queued && pb->source == NULL)
    playback_schedule (pb, 0);
}

static void
playback_schedule (Playback *pb,
                   guint     delay_ms)
{
  if (pb->source != NULL)
    {
      g_source_destroy (pb->source);
      g_source_unref (pb->source);
    }
  pb->source = delay_ms > 0 ? g_timeout_source_new (delay_ms) : g_idle_source_new ();
  g_source_set_priority (pb->source, G_PRIORITY_DEFAULT);
  g_source_set_callback (pb->source, playback_tick, pb, NULL);
  g_source_attach (pb->source, g_main_context_get_thread_default ());
}

static gboolean
playback_tick (gpointer user_data)
{
  Playback *pb = user_data;
  SoupMessageBody *body = soup_server_message_get_response_body (pb->msg);

  g_clear_pointer (&pb->source, g_source_unref);

  if (pb->next < pb->chunks->len)
    {
      GBytes *chunk = g_ptr_array_index (pb->chunks, pb->next++);

      soup_message_body_append_bytes (body, chunk);
      pb->n_queued += g_bytes_get_size (chunk);
      soup_server_message_unpause (pb->msg);
      playback_schedule (pb, pb->delay_ms);
      return G_SOURCE_REMOVE;
    }

  if (pb->abort)
    {
      /* Drop the connection without finishing the chunked body, once what
       * came before reached the socket (else the client may not even see
       * the headers). */
      g_autoptr(GIOStream) stream = NULL;

      if (pb->n_written < pb->n_queued)
        return G_SOURCE_REMOVE;
      g_signal_handler_disconnect (pb->msg, pb->finished_id);
      pb->finished_id = 0;
      stream = soup_server_message_steal_connection (pb->msg);
      if (stream != NULL)
        g_io_stream_close (stream, NULL, NULL);
      playback_remove (pb);
      return G_SOURCE_REMOVE;
    }

  soup_message_body_complete (body);
  soup_server_message_unpause (pb->msg);
  return G_SOURCE_REMOVE;
}

static GPtrArray *
split_body (GBytes   *body,
            gsize     limit,
            gsize     chunk_size,
            gboolean  split_events)
{
  GPtrArray *chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  gsize offset = 0;

  len = MIN (len, limit);
  while (offset < len)
    {
      gsize n;

      if (split_events)
        {
          const char *sep = g_strstr_len (data + offset, len - offset, "\n\n");
          n = sep ? (gsize) (sep - (data + offset)) + 2 : len - offset;
          if (chunk_size > 0)
            n = MIN (n, chunk_size);
        }
      else
        n = chunk_size > 0 ? MIN (chunk_size, len - offset) : len - offset;

      g_ptr_array_add (chunks, g_bytes_new_from_bytes (body, offset, n));
      offset += n;
    }
  return chunks;
}

static void
serve_reply (EaselFakeServer   *self,
             SoupServerMessage *msg,
             EaselFakeReply    *reply)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  gsize len = g_bytes_get_size (reply->body);
  Playback *pb;

  soup_server_message_set_status (msg, reply->status, NULL);
  for (guint i = 0; i + 1 < reply->headers->len; i += 2)
    soup_message_headers_append (headers, g_ptr_array_index (reply->headers, i),
                                 g_ptr_array_index (reply->headers, i + 1));
  if (soup_message_headers_get_one (headers, "x-request-id") == NULL)
    {
      g_autofree char *id = g_strdup_printf ("req_fake%08" G_GINT64_MODIFIER "x", ++self->counter);
      soup_message_headers_replace (headers, "x-request-id", id);
    }

  if (reply->chunk_size == 0 && !reply->split_events && reply->delay_ms == 0 &&
      reply->truncate_at < 0)
    {
      if (reply->content_type)
        soup_message_headers_set_content_type (headers, reply->content_type, NULL);
      soup_message_body_append_bytes (soup_server_message_get_response_body (msg), reply->body);
      return;
    }

  if (reply->content_type)
    soup_message_headers_replace (headers, "Content-Type", reply->content_type);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);

  pb = g_new0 (Playback, 1);
  pb->server = self;
  pb->msg = g_object_ref (msg);
  pb->chunks = split_body (reply->body, reply->truncate_at >= 0 ? (gsize) reply->truncate_at : len,
                           reply->chunk_size, reply->split_events);
  pb->delay_ms = reply->delay_ms;
  pb->abort = reply->abort;
  pb->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (on_playback_finished), pb);
  pb->wrote_id = g_signal_connect (msg, "wrote-body-data", G_CALLBACK (on_playback_wrote), pb);
  g_ptr_array_add (self->active, pb);
  soup_server_message_pause (msg);
  playback_schedule (pb, 0);
}

/* ------------------------------------------------------------------------ */
/* Smart defaults */

typedef struct
{
  char *model;
  char *prompt;
  int   n;
  int   width;
  int   height;
  char *size;
  char *quality;
  char *background;
  char *output_format;
  int   partial_images;
  gboolean stream;
  gboolean run_in_background;
  char *response_format;
  char *previous_response_id;
  char *action;
  guint n_input_images;
  guint noise;
  gboolean pictures;
  char *picture_prompt;  /* what pictures are painted from, if not the prompt */
} Params;

static void
params_clear (Params *p)
{
  g_free (p->model);
  g_free (p->prompt);
  g_free (p->size);
  g_free (p->quality);
  g_free (p->background);
  g_free (p->output_format);
  g_free (p->response_format);
  g_free (p->previous_response_id);
  g_free (p->action);
  g_free (p->picture_prompt);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Params, params_clear)

static char *
random_id (EaselFakeServer *self,
           const char      *prefix,
           guint            n_hex)
{
  GString *s = g_string_new (prefix);

  self->counter++;
  for (guint i = 0; i < n_hex; i++)
    g_string_append_c (s, "0123456789abcdef"[g_random_int_range (0, 16)]);
  return g_string_free (s, FALSE);
}

static const char *
obj_string (JsonObject *obj,
            const char *name)
{
  JsonNode *node = obj ? json_object_get_member (obj, name) : NULL;

  if (node && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return json_node_get_string (node);
  return NULL;
}

static gint64
obj_int (JsonObject *obj,
         const char *name,
         gint64      fallback)
{
  JsonNode *node = obj ? json_object_get_member (obj, name) : NULL;

  if (node && JSON_NODE_HOLDS_VALUE (node))
    {
      GType t = json_node_get_value_type (node);
      if (t == G_TYPE_INT64 || t == G_TYPE_DOUBLE)
        return json_node_get_int (node);
      if (t == G_TYPE_STRING)
        return g_ascii_strtoll (json_node_get_string (node), NULL, 10);
    }
  return fallback;
}

static gboolean
obj_bool (JsonObject *obj,
          const char *name)
{
  JsonNode *node = obj ? json_object_get_member (obj, name) : NULL;

  if (node && JSON_NODE_HOLDS_VALUE (node))
    {
      if (json_node_get_value_type (node) == G_TYPE_BOOLEAN)
        return json_node_get_boolean (node);
      if (json_node_get_value_type (node) == G_TYPE_STRING)
        return g_strcmp0 (json_node_get_string (node), "true") == 0;
    }
  return FALSE;
}

static void
params_set_size (EaselFakeServer *self,
                 Params          *p,
                 const char      *size)
{
  int w = 0, h = 0;

  p->size = g_strdup (size && strcmp (size, "auto") != 0 ? size : "1024x1024");
  if (sscanf (p->size, "%dx%d", &w, &h) != 2 || w <= 0 || h <= 0 || w > 8192 || h > 8192)
    w = h = 1024;
  p->width = w;
  p->height = h;
  p->noise = self->image_noise;
  p->pictures = self->pictures;
  if (self->image_width > 0 && self->image_height > 0)
    {
      p->width = self->image_width;
      p->height = self->image_height;
    }
}

/* Images API: a JSON body (generations) or multipart fields (edits). */
static void
params_from_images (EaselFakeServer        *self,
                    const EaselFakeRequest *req,
                    Params                 *p)
{
  g_autoptr(JsonObject) obj = NULL;

  if (g_strcmp0 (req->content_type, "multipart/form-data") == 0)
    {
      g_autoptr(GPtrArray) parts = easel_fake_request_parse_multipart (req);

      obj = json_object_new ();
      for (guint i = 0; parts && i < parts->len; i++)
        {
          EaselFakePart *part = g_ptr_array_index (parts, i);

          if (part->filename != NULL)
            {
              if (g_str_has_prefix (part->name, "image"))
                p->n_input_images++;
              continue;
            }
          if (part->name)
            {
              g_autofree char *value = g_strndup (g_bytes_get_data (part->data, NULL),
                                                  g_bytes_get_size (part->data));
              json_object_set_string_member (obj, part->name, value);
            }
        }
    }
  else
    {
      g_autoptr(JsonNode) root = easel_fake_request_parse_json (req);

      if (root && JSON_NODE_HOLDS_OBJECT (root))
        obj = json_object_ref (json_node_get_object (root));
      else
        obj = json_object_new ();
    }

  p->model = g_strdup (obj_string (obj, "model") ?: "gpt-image-1");
  p->prompt = g_strdup (obj_string (obj, "prompt") ?: "");
  p->n = CLAMP (obj_int (obj, "n", 1), 1, 10);
  params_set_size (self, p, obj_string (obj, "size"));
  p->quality = g_strdup (obj_string (obj, "quality") ?: "high");
  if (strcmp (p->quality, "auto") == 0 || strcmp (p->quality, "standard") == 0 || strcmp (p->quality, "hd") == 0)
    {
      g_free (p->quality);
      p->quality = g_strdup ("high");
    }
  p->background = g_strdup (obj_string (obj, "background") ?: "opaque");
  if (strcmp (p->background, "auto") == 0)
    {
      g_free (p->background);
      p->background = g_strdup ("opaque");
    }
  p->output_format = g_strdup (obj_string (obj, "output_format") ?: "png");
  p->partial_images = CLAMP (obj_int (obj, "partial_images", 0), 0, 3);
  p->stream = obj_bool (obj, "stream");
  p->response_format = g_strdup (obj_string (obj, "response_format"));
}

static GBytes *
make_image (const Params *p,
            guint         index)
{
  static const guint32 palette[] = {
    0xd94c4cff, 0x4cd94cff, 0x4c4cd9ff, 0xd9c44cff, 0xb04cd9ff, 0x4cc4d9ff,
  };
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GError) error = NULL;
  const char *type = "png";
  char *buffer = NULL;
  gsize len = 0;

  /* Pictures: index / 4 is the image of the request, index % 4 its stage
   * (0…2 partials, 3 final), as the callers number them. */
  if (p->pictures)
    pixbuf = easel_fake_picture_render (p->picture_prompt ? p->picture_prompt : p->prompt, p->width, p->height,
                                        index / 4 + (p->model ? g_str_hash (p->model) : 0), index % 4,
                                        g_strcmp0 (p->quality, "low") == 0);
  if (pixbuf == NULL)
    {
      pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, p->width, p->height);
      gdk_pixbuf_fill (pixbuf, palette[index % G_N_ELEMENTS (palette)]);
    }
  if (p->noise > 0)
    {
      /* Grain, so the PNG weighs what a photo-like one does (megabytes,
       * not the few kilobytes of a flat colour). xorshift: cheap enough for
       * millions of pixels per frame. */
      guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
      int stride = gdk_pixbuf_get_rowstride (pixbuf);
      guint32 state = 0x9e3779b9u ^ (index * 2654435761u);

      for (int y = 0; y < p->height; y++)
        for (int x = 0; x < p->width * 3; x++)
          {
            guint8 *px = pixels + (gsize)y * stride + x;

            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            *px = (guint8)MIN (255u, *px + (state % (p->noise + 1)));
          }
    }
  if (g_strcmp0 (p->output_format, "jpeg") == 0)
    type = "jpeg";
  if (p->noise > 0 && g_strcmp0 (type, "png") == 0 ?
      !gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &len, type, &error, "compression", "1", NULL) :
      !gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &len, type, &error, NULL))
    {
      g_warning ("Could not encode a fake image: %s", error->message);
      return g_bytes_new (NULL, 0);
    }
  return g_bytes_new_take (buffer, len);
}

static char *
make_image_b64 (const Params *p,
                guint         index)
{
  g_autoptr(GBytes) bytes = make_image (p, index);
  return g_base64_encode (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static gint64
output_tokens_for (const Params *p)
{
  gint64 base;
  gint64 pixels = (gint64) p->width * p->height;

  if (g_strcmp0 (p->quality, "low") == 0)
    base = 272;
  else if (g_strcmp0 (p->quality, "medium") == 0)
    base = 1056;
  else
    base = 4160;
  /* Scale with area relative to 1024²; previews cost 100 each. */
  return MAX (16, base * pixels / (1024 * 1024)) + 100 * p->partial_images;
}

static void
add_usage (JsonBuilder  *b,
           const Params *p,
           gboolean      with_output_details)
{
  gint64 text = MAX (1, (gint64) strlen (p->prompt ? p->prompt : "") / 4);
  gint64 image = 388 * p->n_input_images;
  gint64 out = output_tokens_for (p);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "input_tokens");
  json_builder_add_int_value (b, text + image);
  json_builder_set_member_name (b, "input_tokens_details");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "text_tokens");
  json_builder_add_int_value (b, text);
  json_builder_set_member_name (b, "image_tokens");
  json_builder_add_int_value (b, image);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "output_tokens");
  json_builder_add_int_value (b, out);
  if (with_output_details)
    {
      json_builder_set_member_name (b, "output_tokens_details");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "image_tokens");
      json_builder_add_int_value (b, out);
      json_builder_set_member_name (b, "text_tokens");
      json_builder_add_int_value (b, 0);
      json_builder_end_object (b);
    }
  json_builder_set_member_name (b, "total_tokens");
  json_builder_add_int_value (b, text + image + out);
  json_builder_end_object (b);
}

static void
add_string (JsonBuilder *b,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (b, name);
  if (value)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_int (JsonBuilder *b,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
add_image_meta (JsonBuilder  *b,
                const Params *p)
{
  add_string (b, "size", p->size);
  add_string (b, "quality", p->quality);
  add_string (b, "background", p->background);
  add_string (b, "output_format", p->output_format);
}

static char *
builder_to_string (JsonBuilder *b)
{
  g_autoptr(JsonNode) root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static void
frame (GString     *out,
       const char  *type,
       JsonBuilder *b)
{
  g_autofree char *json = builder_to_string (b);
  g_string_append_printf (out, "event: %s\ndata: %s\n\n", type, json);
}

static EaselFakeReply *
default_images (EaselFakeServer        *self,
                const EaselFakeRequest *req,
                gboolean                edit)
{
  g_auto(Params) p = { 0 };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const char *prefix = edit ? "image_edit" : "image_generation";

  params_from_images (self, req, &p);

  if (p.stream)
    {
      GString *out = g_string_new (NULL);
      g_autoptr(GBytes) body = NULL;
      EaselFakeReply *reply;

      for (int img = 0; img < p.n; img++)
        {
          for (int i = 0; i < p.partial_images; i++)
            {
              g_autoptr(JsonBuilder) b = json_builder_new ();
              g_autofree char *b64 = make_image_b64 (&p, img * 4 + i);
              g_autofree char *type = g_strdup_printf ("%s.partial_image", prefix);

              json_builder_begin_object (b);
              add_string (b, "type", type);
              add_string (b, "b64_json", b64);
              add_int (b, "created_at", now);
              add_image_meta (b, &p);
              add_int (b, "partial_image_index", i);
              json_builder_end_object (b);
              frame (out, type, b);
            }
          {
            g_autoptr(JsonBuilder) b = json_builder_new ();
            g_autofree char *b64 = make_image_b64 (&p, img * 4 + 3);
            g_autofree char *type = g_strdup_printf ("%s.completed", prefix);

            json_builder_begin_object (b);
            add_string (b, "type", type);
            add_string (b, "b64_json", b64);
            add_int (b, "created_at", now);
            add_image_meta (b, &p);
            json_builder_set_member_name (b, "usage");
            add_usage (b, &p, FALSE);
            json_builder_end_object (b);
            frame (out, type, b);
          }
        }
      body = g_string_free_to_bytes (out);
      reply = easel_fake_reply_new_sse (body);
      if (self->event_delay_ms > 0)
        easel_fake_reply_set_event_delay (reply, self->event_delay_ms);
      if (self->chunk_size > 0)
        {
          reply->chunk_size = self->chunk_size;
          reply->split_events = TRUE;
        }
      return reply;
    }
  else
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autofree char *json = NULL;
      gboolean url = g_strcmp0 (p.response_format, "url") == 0;

      json_builder_begin_object (b);
      add_int (b, "created", now);
      json_builder_set_member_name (b, "data");
      json_builder_begin_array (b);
      for (int img = 0; img < p.n; img++)
        {
          json_builder_begin_object (b);
          if (url)
            {
              g_autofree char *u = g_strdup_printf ("%s/fake-images/%d.png", self->base_url, img);
              add_string (b, "url", u);
            }
          else
            {
              g_autofree char *b64 = make_image_b64 (&p, img * 4 + 3);
              add_string (b, "b64_json", b64);
            }
          if (g_str_has_prefix (p.model, "dall-e-3"))
            {
              g_autofree char *revised = g_strdup_printf ("A detailed picture of %s", p.prompt);
              add_string (b, "revised_prompt", revised);
            }
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      if (!g_str_has_prefix (p.model, "dall-e"))
        {
          add_image_meta (b, &p);
          json_builder_set_member_name (b, "usage");
          add_usage (b, &p, TRUE);
        }
      json_builder_end_object (b);
      json = builder_to_string (b);
      return easel_fake_reply_new_json (200, json);
    }
}

/* Responses API */

typedef struct
{
  char *resp_id;
  char *ig_id;
  char *msg_id;
  char *model;
  char *b64;
  char *revised_prompt;
  char *text;
  gint64 created_at;
} RespState;

static void
resp_state_clear (RespState *s)
{
  g_free (s->resp_id);
  g_free (s->ig_id);
  g_free (s->msg_id);
  g_free (s->model);
  g_free (s->b64);
  g_free (s->revised_prompt);
  g_free (s->text);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RespState, resp_state_clear)

static void
add_image_item (JsonBuilder     *b,
                const Params    *p,
                const RespState *s,
                gboolean         done)
{
  json_builder_begin_object (b);
  add_string (b, "id", s->ig_id);
  add_string (b, "type", "image_generation_call");
  add_string (b, "status", done ? "completed" : "in_progress");
  if (done)
    {
      add_string (b, "action", p->action);
      add_image_meta (b, p);
      add_string (b, "revised_prompt", s->revised_prompt);
      add_string (b, "result", s->b64);
    }
  else
    add_string (b, "result", NULL);
  json_builder_end_object (b);
}

static void
add_message_item (JsonBuilder     *b,
                  const RespState *s,
                  gboolean         done)
{
  json_builder_begin_object (b);
  add_string (b, "id", s->msg_id);
  add_string (b, "type", "message");
  add_string (b, "status", done ? "completed" : "in_progress");
  add_string (b, "role", "assistant");
  json_builder_set_member_name (b, "content");
  json_builder_begin_array (b);
  if (done)
    {
      json_builder_begin_object (b);
      add_string (b, "type", "output_text");
      add_string (b, "text", s->text);
      json_builder_set_member_name (b, "annotations");
      json_builder_begin_array (b);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
}

static void
add_response (JsonBuilder     *b,
              const Params    *p,
              const RespState *s,
              gboolean         done)
{
  json_builder_begin_object (b);
  add_string (b, "id", s->resp_id);
  add_string (b, "object", "response");
  add_int (b, "created_at", s->created_at);
  add_string (b, "status", done ? "completed" : "in_progress");
  add_string (b, "model", s->model);
  add_string (b, "previous_response_id", p->previous_response_id);
  json_builder_set_member_name (b, "output");
  json_builder_begin_array (b);
  if (done)
    {
      add_image_item (b, p, s, TRUE);
      add_message_item (b, s, TRUE);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "usage");
  if (done)
    {
      json_builder_begin_object (b);
      add_int (b, "input_tokens", 2297);
      add_int (b, "output_tokens", 61);
      add_int (b, "total_tokens", 2358);
      json_builder_end_object (b);
    }
  else
    json_builder_add_null_value (b);
  if (done)
    {
      json_builder_set_member_name (b, "tool_usage");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "image_gen");
      add_usage (b, p, FALSE);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
}

static void
params_from_responses (EaselFakeServer        *self,
                       const EaselFakeRequest *req,
                       Params                 *p,
                       char                  **model)
{
  g_autoptr(JsonNode) root = easel_fake_request_parse_json (req);
  JsonObject *obj = root && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  JsonObject *tool = NULL;
  JsonNode *input;
  JsonNode *tools;

  *model = g_strdup (obj_string (obj, "model") ?: "gpt-4.1");
  p->stream = obj_bool (obj, "stream");
  p->run_in_background = obj_bool (obj, "background");
  p->previous_response_id = g_strdup (obj_string (obj, "previous_response_id"));

  input = obj ? json_object_get_member (obj, "input") : NULL;
  if (input && JSON_NODE_HOLDS_VALUE (input))
    p->prompt = g_strdup (json_node_get_string (input));
  else if (input && JSON_NODE_HOLDS_ARRAY (input))
    {
      JsonArray *items = json_node_get_array (input);

      /* The last input_text is the prompt; count input_images. */
      for (guint i = 0; i < json_array_get_length (items); i++)
        {
          JsonNode *item = json_array_get_element (items, i);
          JsonNode *content;

          if (!JSON_NODE_HOLDS_OBJECT (item))
            continue;
          content = json_object_get_member (json_node_get_object (item), "content");
          if (content && JSON_NODE_HOLDS_VALUE (content))
            {
              g_free (p->prompt);
              p->prompt = g_strdup (json_node_get_string (content));
            }
          else if (content && JSON_NODE_HOLDS_ARRAY (content))
            for (guint j = 0; j < json_array_get_length (json_node_get_array (content)); j++)
              {
                JsonNode *part = json_array_get_element (json_node_get_array (content), j);
                JsonObject *po = JSON_NODE_HOLDS_OBJECT (part) ? json_node_get_object (part) : NULL;
                const char *type = obj_string (po, "type");

                if (g_strcmp0 (type, "input_text") == 0)
                  {
                    g_free (p->prompt);
                    p->prompt = g_strdup (obj_string (po, "text"));
                  }
                else if (g_strcmp0 (type, "input_image") == 0)
                  p->n_input_images++;
              }
        }
    }
  if (p->prompt == NULL)
    p->prompt = g_strdup ("");

  tools = obj ? json_object_get_member (obj, "tools") : NULL;
  if (tools && JSON_NODE_HOLDS_ARRAY (tools))
    for (guint i = 0; i < json_array_get_length (json_node_get_array (tools)); i++)
      {
        JsonNode *t = json_array_get_element (json_node_get_array (tools), i);
        if (JSON_NODE_HOLDS_OBJECT (t) &&
            g_strcmp0 (obj_string (json_node_get_object (t), "type"), "image_generation") == 0)
          tool = json_node_get_object (t);
      }

  p->model = g_strdup (obj_string (tool, "model") ?: "gpt-image-1");
  p->n = 1;
  params_set_size (self, p, obj_string (tool, "size"));
  p->quality = g_strdup (obj_string (tool, "quality") ?: "high");
  if (strcmp (p->quality, "auto") == 0)
    {
      g_free (p->quality);
      p->quality = g_strdup ("high");
    }
  p->background = g_strdup (obj_string (tool, "background") ?: "opaque");
  if (strcmp (p->background, "auto") == 0)
    {
      g_free (p->background);
      p->background = g_strdup ("opaque");
    }
  p->output_format = g_strdup (obj_string (tool, "output_format") ?: "png");
  p->partial_images = CLAMP (obj_int (tool, "partial_images", 0), 0, 3);
  p->action = g_strdup (obj_string (tool, "action"));
  if (p->action == NULL || strcmp (p->action, "auto") == 0)
    {
      g_free (p->action);
      p->action = g_strdup (p->previous_response_id || p->n_input_images > 0 ? "edit" : "generate");
    }
}

static EaselFakeReply *
default_responses (EaselFakeServer        *self,
                   const EaselFakeRequest *req)
{
  g_auto(Params) p = { 0 };
  g_auto(RespState) s = { 0 };
  GString *out;
  g_autoptr(GBytes) body = NULL;
  EaselFakeReply *reply;
  gint64 seq = 0;
  g_auto(GStrv) words = NULL;
  g_autoptr(GArray) offsets = g_array_new (FALSE, FALSE, sizeof (gsize));
  gssize drop_at = -1;

  params_from_responses (self, req, &p, &s.model);
  s.resp_id = random_id (self, "resp_", 48);
  s.ig_id = random_id (self, "ig_", 48);
  s.msg_id = random_id (self, "msg_", 48);
  s.created_at = g_get_real_time () / G_USEC_PER_SEC;
  if (p.pictures)
    {
      /* Paint a follow-up from the whole thread, so "now add a fox" keeps
       * the lighthouse of the turn before. */
      const char *before = p.previous_response_id ?
        g_hash_table_lookup (self->picture_prompts, p.previous_response_id) : NULL;

      p.picture_prompt = before ? g_strconcat (before, "\n", p.prompt, NULL) : g_strdup (p.prompt);
      g_hash_table_insert (self->picture_prompts, g_strdup (s.resp_id), g_strdup (p.picture_prompt));
    }
  s.b64 = make_image_b64 (&p, p.pictures ? 3 : 3 + (self->counter % 3));
  s.revised_prompt = g_strdup_printf ("A detailed image of %s", p.prompt);
  s.text = g_strdup ("Here is the image you asked for.");

  if (!p.stream)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autofree char *json = NULL;

      add_response (b, &p, &s, TRUE);
      json = builder_to_string (b);
      return easel_fake_reply_new_json (200, json);
    }

  out = g_string_new (NULL);

#define BEGIN_EVENT(type_) \
  G_STMT_START { \
    g_autoptr(JsonBuilder) b = json_builder_new (); \
    const char *ev_type = (type_); \
    json_builder_begin_object (b); \
    g_array_append_val (offsets, out->len); \
    add_string (b, "type", ev_type); \
    add_int (b, "sequence_number", seq++);
#define END_EVENT() \
    json_builder_end_object (b); \
    frame (out, ev_type, b); \
  } G_STMT_END

  BEGIN_EVENT ("response.created");
  json_builder_set_member_name (b, "response");
  add_response (b, &p, &s, FALSE);
  END_EVENT ();

  BEGIN_EVENT ("response.in_progress");
  json_builder_set_member_name (b, "response");
  add_response (b, &p, &s, FALSE);
  END_EVENT ();

  BEGIN_EVENT ("response.output_item.added");
  add_int (b, "output_index", 0);
  json_builder_set_member_name (b, "item");
  add_image_item (b, &p, &s, FALSE);
  END_EVENT ();

  BEGIN_EVENT ("response.image_generation_call.in_progress");
  add_int (b, "output_index", 0);
  add_string (b, "item_id", s.ig_id);
  END_EVENT ();

  BEGIN_EVENT ("response.image_generation_call.generating");
  add_int (b, "output_index", 0);
  add_string (b, "item_id", s.ig_id);
  END_EVENT ();

  for (int i = 0; i < p.partial_images; i++)
    {
      g_autofree char *b64 = make_image_b64 (&p, i);

      BEGIN_EVENT ("response.image_generation_call.partial_image");
      add_int (b, "output_index", 0);
      add_string (b, "item_id", s.ig_id);
      add_int (b, "partial_image_index", i);
      add_string (b, "partial_image_b64", b64);
      add_image_meta (b, &p);
      END_EVENT ();
      if (i == 0)
        drop_at = (gssize) out->len;
    }

  BEGIN_EVENT ("response.image_generation_call.completed");
  add_int (b, "output_index", 0);
  add_string (b, "item_id", s.ig_id);
  END_EVENT ();

  BEGIN_EVENT ("response.output_item.done");
  add_int (b, "output_index", 0);
  json_builder_set_member_name (b, "item");
  add_image_item (b, &p, &s, TRUE);
  END_EVENT ();

  BEGIN_EVENT ("response.output_item.added");
  add_int (b, "output_index", 1);
  json_builder_set_member_name (b, "item");
  add_message_item (b, &s, FALSE);
  END_EVENT ();

  words = g_strsplit (s.text, " ", -1);
  for (guint i = 0; words[i]; i++)
    {
      g_autofree char *delta = g_strdup_printf ("%s%s", i > 0 ? " " : "", words[i]);

      BEGIN_EVENT ("response.output_text.delta");
      add_string (b, "item_id", s.msg_id);
      add_int (b, "output_index", 1);
      add_int (b, "content_index", 0);
      add_string (b, "delta", delta);
      END_EVENT ();
    }

  BEGIN_EVENT ("response.output_text.done");
  add_string (b, "item_id", s.msg_id);
  add_int (b, "output_index", 1);
  add_int (b, "content_index", 0);
  add_string (b, "text", s.text);
  END_EVENT ();

  BEGIN_EVENT ("response.output_item.done");
  add_int (b, "output_index", 1);
  json_builder_set_member_name (b, "item");
  add_message_item (b, &s, TRUE);
  END_EVENT ();

  BEGIN_EVENT ("response.completed");
  json_builder_set_member_name (b, "response");
  add_response (b, &p, &s, TRUE);
  END_EVENT ();

#undef BEGIN_EVENT
#undef END_EVENT

  body = g_string_free_to_bytes (out);
  reply = easel_fake_reply_new_sse (body);

  if (p.run_in_background)
    {
      StoredResponse *stored = g_new0 (StoredResponse, 1);
      g_autoptr(JsonBuilder) b1 = json_builder_new ();
      g_autoptr(JsonBuilder) b2 = json_builder_new ();

      stored->sse = g_bytes_ref (body);
      stored->offsets = g_array_ref (offsets);
      add_response (b1, &p, &s, FALSE);
      stored->in_progress_json = builder_to_string (b1);
      add_response (b2, &p, &s, TRUE);
      stored->final_json = builder_to_string (b2);
      if (self->forget_responses)
        stored_response_free (stored);
      else
        g_hash_table_replace (self->stored, g_strdup (s.resp_id), stored);

      if (self->drop_after_partial > 0 && drop_at >= 0)
        {
          self->drop_after_partial--;
          easel_fake_reply_set_abort (reply, (gsize) drop_at);
        }
    }

  if (self->event_delay_ms > 0)
    easel_fake_reply_set_event_delay (reply, self->event_delay_ms);
  if (self->chunk_size > 0)
    {
      reply->chunk_size = self->chunk_size;
      reply->split_events = TRUE;
    }
  return reply;
}

/* ------------------------------------------------------------------------ */
/* Files and batches: a compressed clock, one step per retrieve */

typedef struct
{
  char   *id;
  char   *filename;
  char   *purpose;
  GBytes *bytes;
  gint64  created_at;
} FakeFile;

static void
fake_file_free (gpointer data)
{
  FakeFile *f = data;

  g_free (f->id);
  g_free (f->filename);
  g_free (f->purpose);
  g_bytes_unref (f->bytes);
  g_free (f);
}

typedef struct
{
  char   *id;
  char   *input_file_id;
  char   *output_file_id;
  char   *error_file_id;
  char   *status;
  char   *endpoint;
  char   *completion_window;
  char   *error_message;
  gint64  n_total;
  gint64  n_completed;
  gint64  n_failed;
  gint64  created_at;
} FakeBatch;

static void
fake_batch_free (gpointer data)
{
  FakeBatch *b = data;

  g_free (b->id);
  g_free (b->input_file_id);
  g_free (b->output_file_id);
  g_free (b->error_file_id);
  g_free (b->status);
  g_free (b->endpoint);
  g_free (b->completion_window);
  g_free (b->error_message);
  g_free (b);
}

static FakeFile *
add_file (EaselFakeServer *self,
          const char      *filename,
          const char      *purpose,
          GBytes          *bytes)
{
  FakeFile *f = g_new0 (FakeFile, 1);

  f->id = random_id (self, "file-", 22);
  f->filename = g_strdup (filename ? filename : "upload");
  f->purpose = g_strdup (purpose ? purpose : "vision");
  f->bytes = g_bytes_ref (bytes);
  f->created_at = g_get_real_time () / G_USEC_PER_SEC;
  g_hash_table_insert (self->files, f->id, f);
  return f;
}

static char *
file_json (const FakeFile *f)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  add_string (b, "id", f->id);
  add_string (b, "object", "file");
  add_int (b, "bytes", g_bytes_get_size (f->bytes));
  add_int (b, "created_at", f->created_at);
  add_string (b, "filename", f->filename);
  add_string (b, "purpose", f->purpose);
  add_string (b, "status", "processed");
  json_builder_end_object (b);
  return builder_to_string (b);
}

static void
add_batch_object (JsonBuilder     *b,
                  const FakeBatch *batch)
{
  json_builder_begin_object (b);
  add_string (b, "id", batch->id);
  add_string (b, "object", "batch");
  add_string (b, "endpoint", batch->endpoint);
  json_builder_set_member_name (b, "errors");
  if (batch->error_message != NULL)
    {
      json_builder_begin_object (b);
      add_string (b, "object", "list");
      json_builder_set_member_name (b, "data");
      json_builder_begin_array (b);
      json_builder_begin_object (b);
      add_string (b, "code", "invalid_request");
      add_string (b, "message", batch->error_message);
      json_builder_end_object (b);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  else
    json_builder_add_null_value (b);
  add_string (b, "input_file_id", batch->input_file_id);
  add_string (b, "completion_window", batch->completion_window);
  add_string (b, "status", batch->status);
  add_string (b, "output_file_id", batch->output_file_id);
  add_string (b, "error_file_id", batch->error_file_id);
  add_int (b, "created_at", batch->created_at);
  add_int (b, "expires_at", batch->created_at + 24 * 3600);
  json_builder_set_member_name (b, "request_counts");
  json_builder_begin_object (b);
  add_int (b, "total", batch->n_total);
  add_int (b, "completed", batch->n_completed);
  add_int (b, "failed", batch->n_failed);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "metadata");
  json_builder_add_null_value (b);
  json_builder_end_object (b);
}

static EaselFakeReply *
batch_reply (const FakeBatch *batch)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *json = NULL;

  add_batch_object (b, batch);
  json = builder_to_string (b);
  return easel_fake_reply_new_json (200, json);
}

/* One output or error line in the shape of the spec's BatchRequestOutput. */
static void
append_output_line (EaselFakeServer *self,
                    GString         *out,
                    const char      *custom_id,
                    guint            status,
                    GBytes          *body)
{
  g_autofree char *req_id = random_id (self, "batch_req_", 24);
  g_autofree char *request_id = random_id (self, "req_", 24);

  g_string_append_printf (out, "{\"id\":\"%s\",\"custom_id\":", req_id);
  {
    g_autoptr(JsonNode) node = json_node_init_string (json_node_alloc (), custom_id ? custom_id : "");
    g_autofree char *quoted = json_to_string (node, FALSE);
    g_string_append (out, quoted);
  }
  g_string_append_printf (out, ",\"response\":{\"status_code\":%u,\"request_id\":\"%s\",\"body\":", status, request_id);
  g_string_append_len (out, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_string_append (out, "},\"error\":null}\n");
}

/* Runs every line of the input: prompts containing "FAIL" fail with a 400;
 * with @upto < total only the first @upto lines run, the rest are
 * reported with @rest_code. */
static void
run_batch (EaselFakeServer *self,
           FakeBatch       *batch,
           gint64           upto,
           const char      *rest_code)
{
  FakeFile *input = g_hash_table_lookup (self->files, batch->input_file_id);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GString) err = g_string_new (NULL);
  g_auto(GStrv) lines = NULL;
  gint64 k = 0;

  if (input == NULL)
    return;
  {
    g_autofree char *text = g_strndup (g_bytes_get_data (input->bytes, NULL), g_bytes_get_size (input->bytes));
    lines = g_strsplit (text, "\n", -1);
  }

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonNode) root = NULL;
      JsonObject *obj;
      JsonNode *body;
      const char *custom_id;

      if (lines[i][0] == '\0')
        continue;
      root = json_from_string (lines[i], NULL);
      if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
        continue;
      obj = json_node_get_object (root);
      custom_id = obj_string (obj, "custom_id");
      body = json_object_get_member (obj, "body");

      if (k++ >= upto)
        {
          g_autofree char *json = g_strdup_printf ("{\"error\":{\"message\":\"This request could not be executed "
                                                   "before the batch %s.\",\"type\":\"invalid_request_error\","
                                                   "\"param\":null,\"code\":\"%s\"}}",
                                                   g_strcmp0 (rest_code, "batch_expired") == 0 ? "expired" : "was cancelled",
                                                   rest_code);
          g_autoptr(GBytes) bytes = g_bytes_new (json, strlen (json));

          append_output_line (self, err, custom_id, 400, bytes);
          batch->n_failed++;
          continue;
        }

      {
        g_autofree char *body_json = body ? json_to_string (body, FALSE) : g_strdup ("{}");
        const char *prompt = body && JSON_NODE_HOLDS_OBJECT (body) ? obj_string (json_node_get_object (body), "prompt") : NULL;

        if (prompt != NULL && strstr (prompt, "FAIL") != NULL)
          {
            const char *json = "{\"error\":{\"message\":\"Your request was rejected by the safety system (fake).\","
                               "\"type\":\"image_generation_user_error\",\"param\":null,\"code\":\"moderation_blocked\"}}";
            g_autoptr(GBytes) bytes = g_bytes_new_static (json, strlen (json));

            append_output_line (self, err, custom_id, 400, bytes);
            batch->n_failed++;
          }
        else
          {
            EaselFakeRequest req = { 0 };
            EaselFakeReply *reply;

            req.method = (char *) "POST";
            req.path = (char *) "/v1/images/generations";
            req.content_type = (char *) "application/json";
            req.body = g_bytes_new (body_json, strlen (body_json));
            reply = default_images (self, &req, FALSE);
            append_output_line (self, out, custom_id, reply->status, reply->body);
            easel_fake_reply_free (reply);
            g_bytes_unref (req.body);
            batch->n_completed++;
          }
      }
    }

  if (out->len > 0)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (out->str, out->len);
      batch->output_file_id = g_strdup (add_file (self, "batch_output.jsonl", "batch_output", bytes)->id);
    }
  if (err->len > 0)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (err->str, err->len);
      batch->error_file_id = g_strdup (add_file (self, "batch_errors.jsonl", "batch_output", bytes)->id);
    }
}

static gboolean
fake_status_is_terminal (const char *status)
{
  return g_strcmp0 (status, "completed") == 0 || g_strcmp0 (status, "failed") == 0 ||
         g_strcmp0 (status, "expired") == 0 || g_strcmp0 (status, "cancelled") == 0;
}

static void
set_status (FakeBatch  *batch,
            const char *status)
{
  g_free (batch->status);
  batch->status = g_strdup (status);
}

/* The compressed clock: every retrieve moves the job one step on. */
static void
advance_batch (EaselFakeServer *self,
               FakeBatch       *batch)
{
  const char *outcome = self->batch_outcome;

  if (g_strcmp0 (batch->status, "validating") == 0)
    {
      if (g_strcmp0 (outcome, "fail") == 0)
        {
          set_status (batch, "failed");
          batch->error_message = g_strdup ("The input file is not valid (fake).");
        }
      else
        set_status (batch, "in_progress");
    }
  else if (g_strcmp0 (batch->status, "in_progress") == 0)
    {
      if (g_strcmp0 (outcome, "expire") == 0)
        {
          run_batch (self, batch, batch->n_total / 2, "batch_expired");
          set_status (batch, "expired");
        }
      else if (g_strcmp0 (outcome, "cancel") == 0)
        {
          set_status (batch, "cancelling");
        }
      else
        set_status (batch, "finalizing");
    }
  else if (g_strcmp0 (batch->status, "finalizing") == 0)
    {
      run_batch (self, batch, G_MAXINT64, NULL);
      set_status (batch, "completed");
    }
  else if (g_strcmp0 (batch->status, "cancelling") == 0)
    {
      run_batch (self, batch, batch->n_total / 2, "batch_cancelled");
      set_status (batch, "cancelled");
    }
}

static EaselFakeReply *
default_batches (EaselFakeServer        *self,
                 const EaselFakeRequest *req)
{
  const char *rest = req->path + strlen ("/v1/batches");
  FakeBatch *batch;

  if (g_strcmp0 (req->method, "POST") == 0 && *rest == '\0')
    {
      g_autoptr(JsonNode) root = easel_fake_request_parse_json (req);
      JsonObject *obj = root && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
      const char *input = obj_string (obj, "input_file_id");
      const char *endpoint = obj_string (obj, "endpoint");
      const char *window = obj_string (obj, "completion_window");
      FakeFile *file = input ? g_hash_table_lookup (self->files, input) : NULL;

      if (file == NULL || g_strcmp0 (file->purpose, "batch") != 0)
        return easel_fake_reply_new_error (400, "invalid_request_error", "invalid_file",
                                           "The input file does not exist or was not uploaded with purpose batch.");
      if (endpoint == NULL || g_strcmp0 (window, "24h") != 0)
        return easel_fake_reply_new_error (400, "invalid_request_error", NULL,
                                           "endpoint and completion_window=24h are required.");

      batch = g_new0 (FakeBatch, 1);
      batch->id = random_id (self, "batch_", 24);
      batch->input_file_id = g_strdup (input);
      batch->endpoint = g_strdup (endpoint);
      batch->completion_window = g_strdup (window);
      batch->status = g_strdup ("validating");
      batch->created_at = g_get_real_time () / G_USEC_PER_SEC;
      {
        gsize len;
        const char *data = g_bytes_get_data (file->bytes, &len);

        for (gsize i = 0; i < len; i++)
          if (data[i] == '\n' || (i + 1 == len && data[i] != '\n'))
            batch->n_total++;
      }
      g_hash_table_insert (self->batches, batch->id, batch);
      g_ptr_array_add (self->batch_order, g_strdup (batch->id));
      return batch_reply (batch);
    }

  if (g_strcmp0 (req->method, "GET") == 0 && *rest == '\0')
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autofree char *json = NULL;

      json_builder_begin_object (b);
      add_string (b, "object", "list");
      json_builder_set_member_name (b, "data");
      json_builder_begin_array (b);
      for (guint i = self->batch_order->len; i > 0; i--)
        add_batch_object (b, g_hash_table_lookup (self->batches, self->batch_order->pdata[i - 1]));
      json_builder_end_array (b);
      json_builder_set_member_name (b, "has_more");
      json_builder_add_boolean_value (b, FALSE);
      json_builder_end_object (b);
      json = builder_to_string (b);
      return easel_fake_reply_new_json (200, json);
    }

  if (*rest == '/')
    {
      g_autofree char *id = g_strdup (rest + 1);
      char *slash = strchr (id, '/');
      gboolean cancel = FALSE;

      if (slash != NULL)
        {
          cancel = g_strcmp0 (slash, "/cancel") == 0;
          *slash = '\0';
          if (!cancel)
            goto unknown;
        }
      batch = g_hash_table_lookup (self->batches, id);
      if (batch == NULL)
        return easel_fake_reply_new_error (404, "invalid_request_error", NULL, "No batch found with that id.");

      if (cancel && g_strcmp0 (req->method, "POST") == 0)
        {
          if (!fake_status_is_terminal (batch->status))
            set_status (batch, "cancelling");
          return batch_reply (batch);
        }
      if (!cancel && g_strcmp0 (req->method, "GET") == 0)
        {
          advance_batch (self, batch);
          return batch_reply (batch);
        }
    }

unknown:
  return easel_fake_reply_new_error (404, "invalid_request_error", "unknown_url",
                                     "Unknown request URL. Please check the URL for typos.");
}

static EaselFakeReply *
default_file_get (EaselFakeServer        *self,
                  const EaselFakeRequest *req)
{
  g_autofree char *id = g_strdup (req->path + strlen ("/v1/files/"));
  char *slash = strchr (id, '/');
  gboolean content = FALSE;
  FakeFile *file;
  EaselFakeReply *reply;

  if (slash != NULL)
    {
      if (g_strcmp0 (slash, "/content") != 0)
        return easel_fake_reply_new_error (404, "invalid_request_error", "unknown_url", "Unknown request URL.");
      content = TRUE;
      *slash = '\0';
    }
  file = g_hash_table_lookup (self->files, id);
  if (file == NULL)
    return easel_fake_reply_new_error (404, "invalid_request_error", NULL, "No such File object.");

  if (!content)
    {
      g_autofree char *json = file_json (file);
      return easel_fake_reply_new_json (200, json);
    }

  reply = easel_fake_reply_new (200, "application/octet-stream", file->bytes);
  if (self->content_chunk > 0)
    easel_fake_reply_set_chunking (reply, self->content_chunk, self->content_delay_ms);
  if (self->content_abort >= 0)
    {
      easel_fake_reply_set_abort (reply, (gsize) self->content_abort);
      self->content_abort = -1;
    }
  return reply;
}

static EaselFakeReply *
default_files (EaselFakeServer        *self,
               const EaselFakeRequest *req)
{
  g_autoptr(GPtrArray) parts = easel_fake_request_parse_multipart (req);
  EaselFakePart *file = easel_fake_parts_find (parts, "file");
  EaselFakePart *purpose = easel_fake_parts_find (parts, "purpose");
  g_autofree char *purpose_str = NULL;
  g_autofree char *json = NULL;
  FakeFile *f;

  if (file == NULL)
    return easel_fake_reply_new_error (400, "invalid_request_error", NULL,
                                       "Missing required parameter: 'file'.");

  purpose_str = purpose ? g_strndup (g_bytes_get_data (purpose->data, NULL),
                                     g_bytes_get_size (purpose->data))
                        : g_strdup ("vision");
  f = add_file (self, file->filename, purpose_str, file->data);
  json = file_json (f);
  return easel_fake_reply_new_json (200, json);
}

static EaselFakeReply *
default_models (void)
{
  return easel_fake_reply_new_json (200,
    "{\"object\":\"list\",\"data\":["
    "{\"id\":\"gpt-image-1\",\"object\":\"model\",\"created\":1745000000,\"owned_by\":\"system\"},"
    "{\"id\":\"gpt-image-1-mini\",\"object\":\"model\",\"created\":1759000000,\"owned_by\":\"system\"},"
    "{\"id\":\"gpt-image-1.5\",\"object\":\"model\",\"created\":1765000000,\"owned_by\":\"system\"},"
    "{\"id\":\"dall-e-3\",\"object\":\"model\",\"created\":1698785189,\"owned_by\":\"system\"},"
    "{\"id\":\"dall-e-2\",\"object\":\"model\",\"created\":1698798177,\"owned_by\":\"system\"},"
    "{\"id\":\"gpt-4.1\",\"object\":\"model\",\"created\":1744316542,\"owned_by\":\"system\"}]}");
}

/* POST /v1/moderations: flags any input containing EASEL_FAKE_FLAG_WORD,
 * with the categories "violence" and "harassment/threatening"; anything
 * else passes. */
static EaselFakeReply *
default_moderations (EaselFakeServer        *self,
                     const EaselFakeRequest *req)
{
  static const char * const names[] = {
    "sexual", "sexual/minors", "harassment", "harassment/threatening", "hate",
    "hate/threatening", "illicit", "illicit/violent", "self-harm", "self-harm/intent",
    "self-harm/instructions", "violence", "violence/graphic",
  };
  g_autoptr(JsonNode) body = easel_fake_request_parse_json (req);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *id = NULL;
  g_autofree char *json = NULL;
  JsonObject *obj = body && JSON_NODE_HOLDS_OBJECT (body) ? json_node_get_object (body) : NULL;
  JsonNode *input = obj ? json_object_get_member (obj, "input") : NULL;
  const char *text;
  gboolean flagged;

  if (input == NULL || !JSON_NODE_HOLDS_VALUE (input) || json_node_get_value_type (input) != G_TYPE_STRING)
    return easel_fake_reply_new_error (400, "invalid_request_error", NULL,
                                       "Missing required parameter: 'input'.");
  text = json_node_get_string (input);
  flagged = strstr (text, EASEL_FAKE_FLAG_WORD) != NULL;

  id = random_id (self, "modr-", 24);
  json_builder_begin_object (b);
  add_string (b, "id", id);
  add_string (b, "model", "omni-moderation-latest");
  json_builder_set_member_name (b, "results");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "flagged");
  json_builder_add_boolean_value (b, flagged);
  json_builder_set_member_name (b, "categories");
  json_builder_begin_object (b);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      json_builder_set_member_name (b, names[i]);
      json_builder_add_boolean_value (b, flagged && (g_str_equal (names[i], "violence") ||
                                                     g_str_equal (names[i], "harassment/threatening")));
    }
  json_builder_end_object (b);
  json_builder_set_member_name (b, "category_scores");
  json_builder_begin_object (b);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      json_builder_set_member_name (b, names[i]);
      json_builder_add_double_value (b, flagged && g_str_equal (names[i], "violence") ? 0.97 : 0.0001);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_end_array (b);
  json_builder_end_object (b);
  json = builder_to_string (b);
  return easel_fake_reply_new_json (200, json);
}

static EaselFakeReply *
retrieve_response (EaselFakeServer        *self,
                   const EaselFakeRequest *req,
                   const char             *id)
{
  StoredResponse *stored = g_hash_table_lookup (self->stored, id);
  g_autoptr(GHashTable) params = NULL;
  const char *after;
  gint64 starting_after = -1;
  gsize start;
  g_autoptr(GBytes) rest = NULL;
  EaselFakeReply *reply;

  if (stored == NULL)
    return easel_fake_reply_new_error (404, "invalid_request_error", NULL,
                                       "No response found with that id.");

  if (req->query != NULL)
    params = g_uri_parse_params (req->query, -1, "&", G_URI_PARAMS_NONE, NULL);

  if (params == NULL || g_strcmp0 (g_hash_table_lookup (params, "stream"), "true") != 0)
    {
      if (stored->cancelled)
        return easel_fake_reply_new_json (200, stored->in_progress_json);
      if (self->n_in_progress_polls > 0)
        {
          self->n_in_progress_polls--;
          return easel_fake_reply_new_json (200, stored->in_progress_json);
        }
      return easel_fake_reply_new_json (200, stored->final_json);
    }

  if (self->refuse_resume_stream)
    return easel_fake_reply_new_error (400, "invalid_request_error", "unsupported_parameter",
                                       "Streaming this response is not supported.");

  after = g_hash_table_lookup (params, "starting_after");
  if (after != NULL && !g_ascii_string_to_signed (after, 10, 0, G_MAXINT, &starting_after, NULL))
    return easel_fake_reply_new_error (400, "invalid_request_error", "invalid_value",
                                       "Invalid starting_after.");

  /* Offsets are indexed by sequence_number. */
  if (starting_after + 1 >= (gint64) stored->offsets->len)
    start = g_bytes_get_size (stored->sse);
  else
    start = g_array_index (stored->offsets, gsize, starting_after + 1);
  rest = g_bytes_new_from_bytes (stored->sse, start, g_bytes_get_size (stored->sse) - start);
  reply = easel_fake_reply_new_sse (rest);
  if (self->event_delay_ms > 0)
    easel_fake_reply_set_event_delay (reply, self->event_delay_ms);
  return reply;
}

static EaselFakeReply *
cancel_response (EaselFakeServer *self,
                 const char      *id)
{
  StoredResponse *stored = g_hash_table_lookup (self->stored, id);
  g_autofree char *json = NULL;

  if (stored == NULL)
    return easel_fake_reply_new_error (404, "invalid_request_error", NULL,
                                       "No response found with that id.");
  stored->cancelled = TRUE;
  json = g_strdup_printf ("{\"id\":\"%s\",\"object\":\"response\",\"status\":\"cancelled\","
                          "\"background\":true,\"output\":[]}", id);
  return easel_fake_reply_new_json (200, json);
}

static gboolean
wants_background (const EaselFakeRequest *req)
{
  g_autoptr(JsonNode) root = easel_fake_request_parse_json (req);

  return root != NULL && JSON_NODE_HOLDS_OBJECT (root) &&
         obj_bool (json_node_get_object (root), "background");
}

static EaselFakeReply *
default_reply (EaselFakeServer        *self,
               const EaselFakeRequest *req)
{
  const char *auth = easel_fake_request_get_header (req, "Authorization");

  if (g_str_has_prefix (req->path, "/v1/fake-images/"))
    {
      Params p = { .width = 64, .height = 64, .output_format = (char *) "png" };
      g_autoptr(GBytes) png = make_image (&p, 2);
      return easel_fake_reply_new (200, "image/png", png);
    }

  if (auth == NULL || !g_str_has_prefix (auth, "Bearer ") || auth[7] == '\0')
    return easel_fake_reply_new_error (401, "invalid_request_error", NULL,
                                       "You didn't provide an API key. You need to provide your API key in an "
                                       "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).");

  if (self->fail_first > 0)
    {
      EaselFakeReply *reply;

      self->fail_first--;
      if (self->fail_first_status >= 500)
        reply = easel_fake_reply_new_error (self->fail_first_status, "server_error", NULL,
                                            "The server had an error while processing your request (fake server).");
      else
        reply = easel_fake_reply_new_error (429, "requests", "rate_limit_exceeded",
                                            "Rate limit reached for requests (fake server). Please try again in 1s.");
      easel_fake_reply_add_header (reply, "retry-after", "1");
      return reply;
    }

  if (g_strcmp0 (req->method, "POST") == 0 && g_strcmp0 (req->path, "/v1/images/generations") == 0)
    return default_images (self, req, FALSE);
  if (g_strcmp0 (req->method, "POST") == 0 && g_strcmp0 (req->path, "/v1/images/edits") == 0)
    return default_images (self, req, TRUE);
  if (g_strcmp0 (req->method, "POST") == 0 && g_strcmp0 (req->path, "/v1/images/variations") == 0)
    return default_images (self, req, FALSE);
  if (g_strcmp0 (req->method, "POST") == 0 && g_strcmp0 (req->path, "/v1/responses") == 0)
    {
      if (self->refuse_background && wants_background (req))
        return easel_fake_reply_new_error (400, "invalid_request_error", "unknown_parameter",
                                           "Unknown parameter: 'background'.");
      return default_responses (self, req);
    }
  if (g_str_has_prefix (req->path, "/v1/responses/"))
    {
      const char *id = req->path + strlen ("/v1/responses/");
      const char *slash = strchr (id, '/');

      if (g_strcmp0 (req->method, "GET") == 0 && slash == NULL)
        return retrieve_response (self, req, id);
      if (g_strcmp0 (req->method, "POST") == 0 && g_strcmp0 (slash, "/cancel") == 0)
        {
          g_autofree char *bare = g_strndup (id, slash - id);
          return cancel_response (self, bare);
        }
    }
  if (g_strcmp0 (req->method, "POST") == 0 && g_strcmp0 (req->path, "/v1/files") == 0)
    return default_files (self, req);
  if (g_strcmp0 (req->method, "GET") == 0 && g_strcmp0 (req->path, "/v1/models") == 0)
    return default_models ();
  if (g_strcmp0 (req->method, "GET") == 0 && g_str_has_prefix (req->path, "/v1/files/"))
    return default_file_get (self, req);
  if (g_strcmp0 (req->path, "/v1/batches") == 0 || g_str_has_prefix (req->path, "/v1/batches/"))
    return default_batches (self, req);
  if (g_strcmp0 (req->method, "POST") == 0 && g_strcmp0 (req->path, "/v1/moderations") == 0)
    return default_moderations (self, req);

  return easel_fake_reply_new_error (404, "invalid_request_error", "unknown_url",
                                     "Unknown request URL. Please check the URL for typos.");
}

/* ------------------------------------------------------------------------ */

static void
server_callback (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  EaselFakeServer *self = user_data;
  EaselFakeRequest *req = g_new0 (EaselFakeRequest, 1);
  SoupMessageHeaders *in = soup_server_message_get_request_headers (msg);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  GQueue *queue;
  EaselFakeReply *reply = NULL;

  req->method = g_strdup (soup_server_message_get_method (msg));
  req->path = g_strdup (path);
  req->query = g_strdup (g_uri_get_query (soup_server_message_get_uri (msg)));
  req->headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  {
    SoupMessageHeadersIter iter;
    const char *name, *value;

    soup_message_headers_iter_init (&iter, in);
    while (soup_message_headers_iter_next (&iter, &name, &value))
      soup_message_headers_append (req->headers, name, value);
  }
  req->body = soup_message_body_flatten (body);
  req->content_type = g_strdup (soup_message_headers_get_content_type (in, NULL));
  g_ptr_array_add (self->requests, req);

  if (self->verbose)
    g_printerr ("fake-server: %s %s (%" G_GSIZE_FORMAT " bytes)\n",
                req->method, req->path, g_bytes_get_size (req->body));

  if ((queue = g_hash_table_lookup (self->queues, path)) && !g_queue_is_empty (queue))
    reply = g_queue_pop_head (queue);
  else if (!g_queue_is_empty (&self->any_queue))
    reply = g_queue_pop_head (&self->any_queue);
  else
    reply = default_reply (self, req);

  serve_reply (self, msg, reply);
  easel_fake_reply_free (reply);
}

static void
free_queue (gpointer data)
{
  GQueue *queue = data;
  g_queue_free_full (queue, (GDestroyNotify) easel_fake_reply_free);
}

EaselFakeServer *
easel_fake_server_new_on_port (guint    port,
                               GError **error)
{
  EaselFakeServer *self = g_new0 (EaselFakeServer, 1);
  GSList *uris;

  self->server = soup_server_new ("server-header", "easel-fake-server ", NULL);
  self->queues = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, free_queue);
  g_queue_init (&self->any_queue);
  self->requests = g_ptr_array_new_with_free_func (fake_request_free);
  self->active = g_ptr_array_new_with_free_func ((GDestroyNotify) playback_free);
  self->files = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, fake_file_free);
  self->batches = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, fake_batch_free);
  self->batch_order = g_ptr_array_new_with_free_func (g_free);
  self->content_abort = -1;
  self->stored = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, stored_response_free);
  self->picture_prompts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  soup_server_add_handler (self->server, NULL, server_callback, self, NULL);

  {
    g_autoptr(GInetAddress) addr = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) sa = g_inet_socket_address_new (addr, port);

    if (!soup_server_listen (self->server, sa, 0, error))
      {
        easel_fake_server_free (self);
        return NULL;
      }
  }

  uris = soup_server_get_uris (self->server);
  if (uris != NULL)
    self->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  self->base_url = g_strdup_printf ("http://127.0.0.1:%u/v1", self->port);
  return self;
}

EaselFakeServer *
easel_fake_server_new (GError **error)
{
  return easel_fake_server_new_on_port (0, error);
}

void
easel_fake_server_free (EaselFakeServer *self)
{
  if (self == NULL)
    return;
  g_ptr_array_set_size (self->active, 0);
  if (self->server)
    soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  g_ptr_array_unref (self->active);
  g_clear_pointer (&self->queues, g_hash_table_unref);
  g_queue_clear_full (&self->any_queue, (GDestroyNotify) easel_fake_reply_free);
  g_ptr_array_unref (self->requests);
  g_clear_pointer (&self->batches, g_hash_table_unref);
  g_clear_pointer (&self->files, g_hash_table_unref);
  g_clear_pointer (&self->batch_order, g_ptr_array_unref);
  g_free (self->batch_outcome);
  g_clear_pointer (&self->stored, g_hash_table_unref);
  g_clear_pointer (&self->picture_prompts, g_hash_table_unref);
  g_free (self->base_url);
  g_free (self);
}

const char *
easel_fake_server_get_base_url (EaselFakeServer *self)
{
  return self->base_url;
}

guint
easel_fake_server_get_port (EaselFakeServer *self)
{
  return self->port;
}

void
easel_fake_server_queue_reply (EaselFakeServer *self,
                               const char      *path,
                               EaselFakeReply  *reply)
{
  GQueue *queue;

  if (path == NULL)
    {
      g_queue_push_tail (&self->any_queue, reply);
      return;
    }
  if (!(queue = g_hash_table_lookup (self->queues, path)))
    {
      queue = g_queue_new ();
      g_hash_table_insert (self->queues, g_strdup (path), queue);
    }
  g_queue_push_tail (queue, reply);
}

guint
easel_fake_server_get_n_queued (EaselFakeServer *self)
{
  GHashTableIter iter;
  gpointer value;
  guint n = self->any_queue.length;

  g_hash_table_iter_init (&iter, self->queues);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    n += ((GQueue *) value)->length;
  return n;
}

void
easel_fake_server_set_event_delay_ms (EaselFakeServer *self,
                                      guint            delay_ms)
{
  self->event_delay_ms = delay_ms;
}

void
easel_fake_server_set_chunk_size (EaselFakeServer *self,
                                  gsize            chunk_size)
{
  self->chunk_size = chunk_size;
}

void
easel_fake_server_set_fail_first (EaselFakeServer *self,
                                  guint            n)
{
  self->fail_first = n;
}

void
easel_fake_server_set_fail_first_status (EaselFakeServer *self,
                                         guint            status)
{
  self->fail_first_status = status;
}

gboolean
easel_fake_server_set_pictures (EaselFakeServer *self,
                                gboolean         pictures)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (pictures && !easel_fake_pictures_available ())
    return FALSE;
  self->pictures = pictures;
  return TRUE;
}

void
easel_fake_server_set_image_noise (EaselFakeServer *self,
                                   guint            amplitude)
{
  g_return_if_fail (self != NULL);
  self->image_noise = MIN (amplitude, 255);
}

void
easel_fake_server_set_image_size (EaselFakeServer *self,
                                  int              width,
                                  int              height)
{
  self->image_width = width;
  self->image_height = height;
}

void
easel_fake_server_set_verbose (EaselFakeServer *self,
                               gboolean         verbose)
{
  self->verbose = verbose;
}

guint
easel_fake_server_get_n_requests (EaselFakeServer *self)
{
  return self->requests->len;
}

const EaselFakeRequest *
easel_fake_server_get_request (EaselFakeServer *self,
                               guint            index)
{
  g_return_val_if_fail (index < self->requests->len, NULL);
  return g_ptr_array_index (self->requests, index);
}

const EaselFakeRequest *
easel_fake_server_get_last_request (EaselFakeServer *self)
{
  if (self->requests->len == 0)
    return NULL;
  return g_ptr_array_index (self->requests, self->requests->len - 1);
}

void
easel_fake_server_clear_requests (EaselFakeServer *self)
{
  g_ptr_array_set_size (self->requests, 0);
}

guint
easel_fake_server_get_n_active (EaselFakeServer *self)
{
  return self->active->len;
}

void
easel_fake_server_set_batch_outcome (EaselFakeServer *self,
                                     const char      *outcome)
{
  g_free (self->batch_outcome);
  self->batch_outcome = g_strdup (outcome);
}

void
easel_fake_server_set_content_abort (EaselFakeServer *self,
                                     gssize           offset)
{
  self->content_abort = offset;
}

void
easel_fake_server_set_refuse_background (EaselFakeServer *self,
                                         gboolean         refuse)
{
  self->refuse_background = refuse;
}

void
easel_fake_server_set_drop_after_partial (EaselFakeServer *self,
                                          guint            n_streams)
{
  self->drop_after_partial = n_streams;
}

void
easel_fake_server_set_in_progress_polls (EaselFakeServer *self,
                                         guint            n)
{
  self->n_in_progress_polls = n;
}

void
easel_fake_server_set_refuse_resume_stream (EaselFakeServer *self,
                                            gboolean         refuse)
{
  self->refuse_resume_stream = refuse;
}

guint
easel_fake_server_count_requests (EaselFakeServer *self,
                                  const char      *method,
                                  const char      *path_prefix)
{
  guint n = 0;

  for (guint i = 0; i < self->requests->len; i++)
    {
      const EaselFakeRequest *req = g_ptr_array_index (self->requests, i);
      gboolean prefix = g_str_has_suffix (path_prefix, "/");

      if ((method == NULL || g_strcmp0 (req->method, method) == 0) &&
          (prefix ? g_str_has_prefix (req->path, path_prefix) : g_str_equal (req->path, path_prefix)))
        n++;
    }
  return n;
}

void
easel_fake_server_set_content_chunking (EaselFakeServer *self,
                                        gsize            chunk_size,
                                        guint            delay_ms)
{
  self->content_chunk = chunk_size;
  self->content_delay_ms = delay_ms;
}

gboolean
easel_fake_server_is_cancelled (EaselFakeServer *self,
                                const char      *response_id)
{
  StoredResponse *stored = g_hash_table_lookup (self->stored, response_id);

  return stored != NULL && stored->cancelled;
}

void
easel_fake_server_set_forget_responses (EaselFakeServer *self,
                                        gboolean         forget)
{
  self->forget_responses = forget;
}
