/* hostile-server.c: an in-process server that misbehaves on purpose
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "hostile-server"

#include "config.h"

#include <string.h>

#include "hostile-server.h"

#define CHUNK_SIZE        (64 * 1024)
#define DEEP              100000
/* Where an endless body really ends, so an unfixed client fails, not hangs. */
#define HARD_STOP_BYTES   ((guint64) 256 * 1024 * 1024)
#define HARD_STOP_EVENTS  10000
#define BOMB_SIZE         ((gsize) 64 * 1024 * 1024)

struct _EaselHostileServer
{
  EaselHostileMode  mode;
  SoupServer       *server;
  SoupServer       *target;        /* the redirect's other port */
  char             *base_url;
  char             *target_url;
  GPtrArray        *active;        /* Producer* */
  GBytes           *bomb;          /* gzip of BOMB_SIZE spaces */
  guint             n_requests;
  guint64           bytes_sent;
  guint             n_events_sent;
  guint             n_redirect_hits;
  char             *leaked_authorization;
};

typedef struct
{
  EaselHostileServer *server;
  SoupServerMessage  *msg;
  guint64             offset;      /* bytes of this body produced */
  guint               n_events;
  GSource            *source;
  gulong              wrote_id;
  gulong              finished_id;
} Producer;

static void
producer_free (Producer *p)
{
  if (p->source != NULL)
    {
      g_source_destroy (p->source);
      g_source_unref (p->source);
    }
  g_signal_handler_disconnect (p->msg, p->wrote_id);
  g_signal_handler_disconnect (p->msg, p->finished_id);
  g_object_unref (p->msg);
  g_free (p);
}

static GBytes *
sse_event (const char *type,
           const char *json)
{
  return g_bytes_new_take (g_strdup_printf ("event: %s\ndata: %s\n\n", type, json),
                           strlen (type) + strlen (json) + 16);
}

/* The next piece of the body, or NULL at its end. */
static GBytes *
produce (Producer *p)
{
  EaselHostileServer *self = p->server;

  switch (self->mode)
    {
    case EASEL_HOSTILE_OVERSIZE_EVENT:
    case EASEL_HOSTILE_ENDLESS_ERROR:
      {
        const char *head = self->mode == EASEL_HOSTILE_OVERSIZE_EVENT
          ? "event: image_generation.completed\ndata: {\"type\":\"image_generation.completed\",\"b64_json\":\""
          : "{\"error\":{\"message\":\"";
        char *buf;

        if (p->offset >= HARD_STOP_BYTES)
          return NULL;
        if (p->offset == 0)
          return g_bytes_new (head, strlen (head));
        buf = g_malloc (CHUNK_SIZE);
        memset (buf, 'A', CHUNK_SIZE);
        return g_bytes_new_take (buf, CHUNK_SIZE);
      }

    case EASEL_HOSTILE_ENDLESS_PARTIALS:
    case EASEL_HOSTILE_ENDLESS_FINALS:
      {
        gboolean partial = self->mode == EASEL_HOSTILE_ENDLESS_PARTIALS;
        g_autofree char *json = NULL;

        if (p->n_events >= HARD_STOP_EVENTS)
          return NULL;
        json = g_strdup_printf ("{\"type\":\"image_generation.%s\",\"b64_json\":\"%s\","
                                "\"partial_image_index\":%u,\"output_format\":\"png\","
                                "\"size\":\"1024x1024\",\"quality\":\"low\",\"background\":\"opaque\","
                                "\"created_at\":1700000000}",
                                partial ? "partial_image" : "completed",
                                EASEL_HOSTILE_PNG_B64, p->n_events);
        p->n_events++;
        self->n_events_sent++;
        return sse_event (partial ? "image_generation.partial_image" : "image_generation.completed", json);
      }

    case EASEL_HOSTILE_GZIP_BOMB:
      {
        gsize len = g_bytes_get_size (self->bomb);
        gsize n;

        if (p->offset >= len)
          return NULL;
        n = MIN ((gsize) 16 * 1024, len - (gsize) p->offset);
        return g_bytes_new_from_bytes (self->bomb, (gsize) p->offset, n);
      }

    default:
      return NULL;
    }
}

static gboolean
producer_tick (gpointer user_data)
{
  Producer *p = user_data;
  SoupMessageBody *body = soup_server_message_get_response_body (p->msg);
  g_autoptr(GBytes) chunk = NULL;

  g_clear_pointer (&p->source, g_source_unref);

  chunk = produce (p);
  if (chunk == NULL)
    soup_message_body_complete (body);
  else
    {
      p->offset += g_bytes_get_size (chunk);
      p->server->bytes_sent += g_bytes_get_size (chunk);
      soup_message_body_append_bytes (body, chunk);
    }
  soup_server_message_unpause (p->msg);
  return G_SOURCE_REMOVE;
}

static void
producer_schedule (Producer *p)
{
  if (p->source != NULL)
    return;
  p->source = g_idle_source_new ();
  g_source_set_callback (p->source, producer_tick, p, NULL);
  g_source_attach (p->source, g_main_context_get_thread_default ());
}

/* The next chunk is made once the previous one went out, so a client that
 * stops reading stops the server too: nothing piles up in memory. */
static void
on_wrote_chunk (SoupServerMessage *msg,
                gpointer           user_data)
{
  producer_schedule (user_data);
}

static void
on_finished (SoupServerMessage *msg,
             gpointer           user_data)
{
  Producer *p = user_data;

  g_ptr_array_remove (p->server->active, p);
}

static void
start_producer (EaselHostileServer *self,
                SoupServerMessage  *msg)
{
  Producer *p = g_new0 (Producer, 1);

  soup_message_headers_set_encoding (soup_server_message_get_response_headers (msg),
                                     SOUP_ENCODING_CHUNKED);
  p->server = self;
  p->msg = g_object_ref (msg);
  p->wrote_id = g_signal_connect (msg, "wrote-chunk", G_CALLBACK (on_wrote_chunk), p);
  p->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (on_finished), p);
  g_ptr_array_add (self->active, p);
  soup_server_message_pause (msg);
  producer_schedule (p);
}

static char *
deep_json (void)
{
  GString *s = g_string_sized_new (2 * DEEP + 16);

  g_string_append (s, "{\"data\":");
  for (guint i = 0; i < DEEP; i++)
    g_string_append_c (s, '[');
  for (guint i = 0; i < DEEP; i++)
    g_string_append_c (s, ']');
  g_string_append_c (s, '}');
  return g_string_free (s, FALSE);
}

static void
set_body (SoupServerMessage *msg,
          guint              status,
          const char        *content_type,
          char              *body)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_TAKE, body, strlen (body));
}

static void
server_callback (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  EaselHostileServer *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  self->n_requests++;
  soup_message_headers_replace (headers, "x-request-id", "req_hostile");

  switch (self->mode)
    {
    case EASEL_HOSTILE_DEEP_JSON:
      set_body (msg, 200, "application/json", deep_json ());
      break;

    case EASEL_HOSTILE_DEEP_EVENT:
      {
        g_autofree char *json = deep_json ();

        set_body (msg, 200, "text/event-stream",
                  g_strdup_printf ("event: image_generation.completed\ndata: %s\n\n", json));
      }
      break;

    case EASEL_HOSTILE_CONTROL_CHARS:
      set_body (msg, 400, "application/json", g_strdup (
        "{\"error\":{\"message\":\"Bad \\u001b[31mred\\u001b[0m\\r\\nForged: line\\u0007 \\u009b2J end\","
        "\"type\":\"invalid_request_error\\u001b]0;title\\u0007\","
        "\"code\":\"bad\\u0000code\",\"param\":\"p\\u001b[2J\"}}"));
      break;

    case EASEL_HOSTILE_REDIRECT:
      {
        g_autofree char *location = g_strdup_printf ("%s/images/generations?sig=SECRETQUERY", self->target_url);

        soup_server_message_set_status (msg, 307, NULL);
        soup_message_headers_replace (headers, "Location", location);
      }
      break;

    case EASEL_HOSTILE_STALL:
    case EASEL_HOSTILE_STALL_JSON:
      /* Headers go out, the body never comes: the message is never
       * unpaused after the first (empty) write. */
      soup_server_message_set_status (msg, 200, NULL);
      soup_message_headers_set_content_type (headers,
                                             self->mode == EASEL_HOSTILE_STALL
                                               ? "text/event-stream" : "application/json", NULL);
      soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
      break;

    case EASEL_HOSTILE_GZIP_BOMB:
      soup_server_message_set_status (msg, 200, NULL);
      soup_message_headers_set_content_type (headers, "application/json", NULL);
      soup_message_headers_replace (headers, "Content-Encoding", "gzip");
      start_producer (self, msg);
      break;

    case EASEL_HOSTILE_ENDLESS_ERROR:
      soup_server_message_set_status (msg, 500, NULL);
      soup_message_headers_set_content_type (headers, "application/json", NULL);
      start_producer (self, msg);
      break;

    case EASEL_HOSTILE_OVERSIZE_EVENT:
    case EASEL_HOSTILE_ENDLESS_PARTIALS:
    case EASEL_HOSTILE_ENDLESS_FINALS:
    default:
      soup_server_message_set_status (msg, 200, NULL);
      soup_message_headers_set_content_type (headers, "text/event-stream", NULL);
      start_producer (self, msg);
      break;
    }
}

static void
target_callback (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  EaselHostileServer *self = user_data;
  const char *auth = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                   "Authorization");

  self->n_redirect_hits++;
  g_free (self->leaked_authorization);
  self->leaked_authorization = g_strdup (auth);
  set_body (msg, 200, "application/json",
            g_strdup ("{\"created\":1700000000,\"data\":[{\"b64_json\":\"" EASEL_HOSTILE_PNG_B64 "\"}]}"));
}

static GBytes *
make_bomb (void)
{
  g_autoptr(GZlibCompressor) compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 9);
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autofree char *in = g_malloc (CHUNK_SIZE);
  char buf[CHUNK_SIZE];
  gsize fed = 0;

  memset (in, ' ', CHUNK_SIZE);
  for (;;)
    {
      gboolean last = fed + CHUNK_SIZE >= BOMB_SIZE;
      gsize read = 0, written = 0;
      GConverterResult r;

      r = g_converter_convert (G_CONVERTER (compressor), in, last ? BOMB_SIZE - fed : CHUNK_SIZE,
                               buf, sizeof buf, last ? G_CONVERTER_INPUT_AT_END : G_CONVERTER_NO_FLAGS,
                               &read, &written, NULL);
      g_assert (r != G_CONVERTER_ERROR);
      g_byte_array_append (out, (guint8 *) buf, written);
      fed += read;
      if (r == G_CONVERTER_FINISHED)
        break;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static SoupServer *
listen_local (SoupServerCallback  callback,
              gpointer            user_data,
              char              **base_url,
              GError            **error)
{
  g_autoptr(SoupServer) server = soup_server_new ("server-header", "easel-hostile ", NULL);
  g_autoptr(GInetAddress) addr = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) sa = g_inet_socket_address_new (addr, 0);
  GSList *uris;

  soup_server_add_handler (server, NULL, callback, user_data, NULL);
  if (!soup_server_listen (server, sa, 0, error))
    return NULL;
  uris = soup_server_get_uris (server);
  *base_url = g_strdup_printf ("http://127.0.0.1:%u/v1", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return g_steal_pointer (&server);
}

EaselHostileServer *
easel_hostile_server_new (EaselHostileMode   mode,
                          GError           **error)
{
  EaselHostileServer *self = g_new0 (EaselHostileServer, 1);

  self->mode = mode;
  self->active = g_ptr_array_new_with_free_func ((GDestroyNotify) producer_free);
  if (mode == EASEL_HOSTILE_GZIP_BOMB)
    self->bomb = make_bomb ();

  self->server = listen_local (server_callback, self, &self->base_url, error);
  if (self->server != NULL && mode == EASEL_HOSTILE_REDIRECT)
    self->target = listen_local (target_callback, self, &self->target_url, error);
  if (self->server == NULL || (mode == EASEL_HOSTILE_REDIRECT && self->target == NULL))
    {
      easel_hostile_server_free (self);
      return NULL;
    }
  return self;
}

void
easel_hostile_server_free (EaselHostileServer *self)
{
  if (self == NULL)
    return;

  if (self->server != NULL)
    soup_server_disconnect (self->server);
  if (self->target != NULL)
    soup_server_disconnect (self->target);
  g_ptr_array_unref (self->active);
  g_clear_object (&self->server);
  g_clear_object (&self->target);
  g_clear_pointer (&self->bomb, g_bytes_unref);
  g_free (self->base_url);
  g_free (self->target_url);
  g_free (self->leaked_authorization);
  g_free (self);
}

const char *
easel_hostile_server_get_base_url (EaselHostileServer *self)
{
  return self->base_url;
}

guint
easel_hostile_server_get_n_requests (EaselHostileServer *self)
{
  return self->n_requests;
}

guint64
easel_hostile_server_get_bytes_sent (EaselHostileServer *self)
{
  return self->bytes_sent;
}

guint
easel_hostile_server_get_n_events_sent (EaselHostileServer *self)
{
  return self->n_events_sent;
}

guint
easel_hostile_server_get_n_active (EaselHostileServer *self)
{
  return self->active->len;
}

guint
easel_hostile_server_get_n_redirect_hits (EaselHostileServer *self)
{
  return self->n_redirect_hits;
}

const char *
easel_hostile_server_get_leaked_authorization (EaselHostileServer *self)
{
  return self->leaked_authorization;
}
