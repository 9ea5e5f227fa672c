/* easel-client.c: the async OpenAI image client over libsoup 3
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-client"

#include "config.h"

#include "easel-json.h"

#include <string.h>

#include "easel-client.h"
#include "easel-client-private.h"
#include "easel-error.h"
#include "easel-event.h"
#include "easel-models.h"
#include "easel-moderation.h"
#include "easel-sse.h"

/* Limits on what a server may send. All sizes count decoded bytes, after
 * libsoup's SoupContentDecoder, so a gzip bomb meets the same caps.
 * - One SSE event: a final 4096×4096 PNG in base64 is about 90 MB.
 * - A non-streamed body: n images of that size.
 * - An error body: an OpenAI error is a few hundred bytes.
 * - Idle: no byte for this long once the headers arrived. The session
 *   timeout still bounds connecting and waiting for the headers. */
#define READ_CHUNK_SIZE        (64 * 1024)
#define DEFAULT_MAX_EVENT      ((gsize) 128 * 1024 * 1024)
#define DEFAULT_MAX_BODY       ((gsize) 512 * 1024 * 1024)
#define MAX_MODERATION_BODY    ((gsize) 1024 * 1024)
#define DEFAULT_MAX_ERROR_BODY ((gsize) 1024 * 1024)
/* A download to a file: a batch's output file with thousands of images. */
#define MAX_DOWNLOAD_TO_FILE   ((guint64) 64 * 1024 * 1024 * 1024)
#define DEFAULT_IDLE_TIMEOUT_S 60
#define SESSION_TIMEOUT_S      600
/* Parsed events waiting for the caller's context: reading pauses past it,
 * so a fast server cannot queue events faster than they are handled. */
#define MAX_PENDING_EVENTS     8
/* partial_images allows 0-3; unset means the server's default. */
#define MAX_PARTIALS_PER_IMAGE 3
/* The Responses API has no `n`: a turn may call the image tool a few times. */
#define MAX_RESPONSE_IMAGES    16
/* Resuming a background response: reconnections in a row without a new
 * event, and in all; then polls of GET /responses/{id}. A response id goes
 * into a URL path, so it is bounded and checked. */
#define MAX_RESUMES_IN_A_ROW   5
#define MAX_RESUMES            30
#define MAX_POLLS              120
#define MAX_POLL_DELAY_MS      15000
#define MAX_RESPONSE_ID_LEN    256
/* How long a user cancel waits for POST /responses/{id}/cancel. */
#define SERVER_CANCEL_TIMEOUT_S 5

struct _EaselClient
{
  GObject parent_instance;

  SoupSession      *session;
  char             *base_url;
  char             *api_key;
  char             *organization;
  char             *user_agent;
  EaselRetryPolicy  retry_policy;
  gboolean          debug;
  gboolean          allow_retired;
  guint             idle_timeout_s;
  gsize             max_event_size;
  gsize             max_body_size;
  gsize             max_error_body_size;
  gboolean          background_mode;     /* send Responses streams in background mode */
  gboolean          background_refused;  /* the server said no, once; reset with the URL */
  EaselClientExchangeFunc exchange_func; /* tests */
  gpointer          exchange_data;
};

G_DEFINE_FINAL_TYPE (EaselClient, easel_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_BASE_URL,
  PROP_API_KEY,
  PROP_ORGANIZATION,
  PROP_USER_AGENT,
  N_PROPS
};

enum {
  RETRYING,
  RECONNECTING,
  BACKGROUND_REFUSED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static GThread *last_parse_thread;
static guint n_main_thread_parses;
static GThread *main_thread;

GThread *
_easel_client_get_last_parse_thread (void)
{
  return g_atomic_pointer_get (&last_parse_thread);
}

guint
_easel_client_get_n_main_thread_parses (void)
{
  return g_atomic_int_get (&n_main_thread_parses);
}

static void
note_parse_thread (void)
{
  GThread *self = g_thread_self ();

  g_atomic_pointer_set (&last_parse_thread, self);
  if (self == main_thread)
    g_atomic_int_inc (&n_main_thread_parses);
}

/* ------------------------------------------------------------------------ */
/* One operation: a request with its retries, body reading and, when
 * streaming, the ordered parse worker. Reference-counted because worker
 * threads and pending async calls hold it; everything but `ready` and
 * `finished` is touched on the caller's context only. */

typedef enum
{
  OP_SEND,
  OP_UPLOAD,
  OP_MODELS,
  OP_FETCH,
  OP_JSON,
  OP_DOWNLOAD,
  OP_MODERATE,
  OP_CANCEL,
} OpKind;

typedef enum
{
  PHASE_NONE,
  PHASE_ERROR_BODY,
  PHASE_BODY,
  PHASE_SSE,
} OpPhase;

typedef struct
{
  OpKind        kind;
  EaselClient  *client;
  GTask        *task;
  GMainContext *context;
  GCancellable *io_cancellable;
  GSource      *cancel_source;
  GSource      *retry_source;
  char         *api_key;

  char         *method;
  char         *url;
  GBytes       *body;
  char         *content_type;
  gboolean      send_auth;
  gboolean      streaming;
  gboolean      no_network_retry;  /* EASEL_CALL_NOT_IDEMPOTENT */
  EaselRequest *request;
  guint         n_expected_images;

  EaselEventFunc event_func;
  gpointer       event_data;
  GDestroyNotify event_data_destroy;

  int            attempt;
  SoupMessage   *msg;
  GInputStream  *stream;
  GSource       *idle_source;
  gboolean       read_paused;
  OpPhase        phase;
  GByteArray    *buffer;
  gsize          limit;
  guint          status;
  char          *request_id;

  GOutputStream  *out;               /* OP_DOWNLOAD: writes @part, renamed to @dest when complete */
  GFile          *part;
  GFile          *dest;
  guint64         n_written;
  GBytes         *writing;           /* the chunk being written */

  EaselSseParser *parser;
  guint64         n_sse_events;
  GThreadPool    *pool;
  guint           n_pending;
  gboolean        eof;
  GError         *stream_error;
  EaselResult    *result;
  guint           n_images_done;
  guint           n_partials;        /* all partials of this stream */
  guint           n_partials_since_done;
  gboolean        saw_completed;

  /* Background responses (Responses API streams) */
  gboolean        background;        /* sent with background: true */
  char           *response_id;       /* from response.created */
  gint64          last_seq;          /* last sequence_number delivered, -1: none */
  gboolean        resuming;          /* this attempt is a GET of response_id */
  gboolean        polling;           /* ... without streaming */
  guint           n_resumes;
  guint           n_resumes_in_a_row;
  guint           n_polls;
  guint64         n_events_at_resume;
  GError         *resume_cause;      /* why the stream first broke */

  GMutex          mutex;
  GQueue          ready;             /* ParsedItem*, under mutex */
  gboolean        ready_scheduled;   /* under mutex */

  int             finished;          /* atomic */
} Op;

typedef struct
{
  EaselEvent *event;
  GError     *error;
} ParsedItem;

typedef struct
{
  Op     *op;
  GBytes *data;
} WorkItem;

static void op_start_attempt (Op *op);
static void op_read_next     (Op *op);
static Op  *op_new           (EaselClient *self, OpKind kind, GTask *task,
                              const char *method, const char *path_or_url, gboolean absolute);
static gboolean op_try_resume (Op *op, const GError *why);
static void op_fail_resume (Op *op, GError *error);
static void op_set_multipart (Op *op, SoupMultipart *multipart);

static void
parsed_item_free (gpointer data)
{
  ParsedItem *item = data;

  g_clear_pointer (&item->event, easel_event_free);
  g_clear_error (&item->error);
  g_free (item);
}

static void
op_clear (gpointer data)
{
  Op *op = data;

  g_assert (op->task == NULL || g_atomic_int_get (&op->finished));
  g_clear_object (&op->task);
  g_clear_object (&op->client);
  g_clear_pointer (&op->context, g_main_context_unref);
  g_clear_object (&op->io_cancellable);
  if (op->cancel_source != NULL)
    g_source_destroy (op->cancel_source);
  g_clear_pointer (&op->cancel_source, g_source_unref);
  if (op->retry_source != NULL)
    g_source_destroy (op->retry_source);
  g_clear_pointer (&op->retry_source, g_source_unref);
  if (op->idle_source != NULL)
    g_source_destroy (op->idle_source);
  g_clear_pointer (&op->idle_source, g_source_unref);
  g_clear_pointer (&op->api_key, g_free);
  g_clear_pointer (&op->method, g_free);
  g_clear_pointer (&op->url, g_free);
  g_clear_pointer (&op->body, g_bytes_unref);
  g_clear_pointer (&op->content_type, g_free);
  g_clear_pointer (&op->request, easel_request_free);
  if (op->event_data_destroy != NULL)
    op->event_data_destroy (op->event_data);
  g_clear_object (&op->msg);
  g_clear_object (&op->stream);
  if (op->out != NULL && !g_output_stream_is_closed (op->out))
    {
      /* Never finished: closing cancelled leaves the destination as it was. */
      g_autoptr(GCancellable) abandon = g_cancellable_new ();

      g_cancellable_cancel (abandon);
      g_output_stream_close (op->out, abandon, NULL);
      if (op->part != NULL)
        g_file_delete (op->part, NULL, NULL);
    }
  g_clear_object (&op->out);
  g_clear_object (&op->part);
  g_clear_object (&op->dest);
  g_clear_pointer (&op->writing, g_bytes_unref);
  if (op->buffer != NULL)
    g_byte_array_unref (op->buffer);
  g_clear_pointer (&op->request_id, g_free);
  g_clear_pointer (&op->response_id, g_free);
  g_clear_error (&op->resume_cause);
  g_clear_pointer (&op->parser, easel_sse_parser_free);
  if (op->pool != NULL)
    g_thread_pool_free (op->pool, TRUE, FALSE);
  g_clear_error (&op->stream_error);
  g_clear_pointer (&op->result, easel_result_free);
  g_queue_clear_full (&op->ready, parsed_item_free);
  g_mutex_clear (&op->mutex);
}

static Op *
op_ref (Op *op)
{
  return g_atomic_rc_box_acquire (op);
}

static void
op_unref (gpointer op)
{
  g_atomic_rc_box_release_full (op, op_clear);
}

static gboolean
op_is_finished (Op *op)
{
  return g_atomic_int_get (&op->finished) != 0;
}

static gboolean
client_debug_enabled (EaselClient *self)
{
  return self->debug || g_strcmp0 (g_getenv ("EASEL_DEBUG_HTTP"), "1") == 0;
}

/* Every message that leaves the client goes through here, so a server that
 * echoes the key (a 401 body does) cannot leak it into the UI or logs. */
static void
redact_error (GError *error, const char *api_key)
{
  easel_error_redact (error, api_key);
}

/* Stops all I/O and the worker; called once, before returning. */
static gboolean
op_mark_finished (Op *op)
{
  if (!g_atomic_int_compare_and_exchange (&op->finished, 0, 1))
    return FALSE;

  g_cancellable_cancel (op->io_cancellable);
  if (op->cancel_source != NULL)
    g_source_destroy (op->cancel_source);
  if (op->retry_source != NULL)
    g_source_destroy (op->retry_source);
  if (op->idle_source != NULL)
    g_source_destroy (op->idle_source);
  if (op->pool != NULL)
    {
      /* Drops queued work without waiting for a parse in progress: the
       * worker sees `finished` and throws its result away. */
      g_thread_pool_free (op->pool, TRUE, FALSE);
      op->pool = NULL;
    }
  g_mutex_lock (&op->mutex);
  g_queue_clear_full (&op->ready, parsed_item_free);
  g_mutex_unlock (&op->mutex);
  return TRUE;
}

static void
op_return_error (Op     *op,
                 GError *error)
{
  g_autoptr(GTask) task = NULL;

  if (!op_mark_finished (op))
    {
      g_error_free (error);
      return;
    }

  redact_error (error, op->api_key);
  task = g_steal_pointer (&op->task);
  g_task_return_error (task, error);
}

static void
op_return_pointer (Op             *op,
                   gpointer        value,
                   GDestroyNotify  destroy)
{
  g_autoptr(GTask) task = NULL;

  if (!op_mark_finished (op))
    {
      if (destroy != NULL && value != NULL)
        destroy (value);
      return;
    }

  task = g_steal_pointer (&op->task);
  g_task_return_pointer (task, value, destroy);
}

static void
on_server_cancelled (GObject      *source,
                     GAsyncResult *res,
                     gpointer      user_data)
{
  Op *op = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = g_task_propagate_pointer (G_TASK (res), &error);
  g_autoptr(GTask) task = g_steal_pointer (&op->task);

  if (body == NULL)
    g_debug ("Could not cancel response %s on the server: %s", op->response_id, error->message);
  else
    g_debug ("Cancelled response %s on the server", op->response_id);

  if (task != NULL)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
  op_unref (op);
}

static gboolean
on_server_cancel_timeout (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

/* A background response lives on when the connection closes, and keeps
 * being billed: ask the server to stop it, and only then report the
 * cancellation, so that a program that exits right after does not cut the
 * request short. Bounded by SERVER_CANCEL_TIMEOUT_S. */
static void
op_cancel_on_server (Op *op)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GTask) task = NULL;
  g_autofree char *path = NULL;
  GSource *timeout;
  Op *cancel;

  g_assert (op->response_id != NULL);

  if (!op_mark_finished (op))
    return;

  path = g_strdup_printf ("/responses/%s/cancel", op->response_id);
  task = g_task_new (op->client, cancellable, on_server_cancelled, op_ref (op));
  g_task_set_source_tag (task, op_cancel_on_server);

  timeout = g_timeout_source_new_seconds (SERVER_CANCEL_TIMEOUT_S);
  g_source_set_name (timeout, "[easel] server cancel timeout");
  g_source_set_callback (timeout, on_server_cancel_timeout,
                         g_object_ref (cancellable), g_object_unref);
  g_source_attach (timeout, op->context);
  g_source_unref (timeout);

  cancel = op_new (op->client, OP_CANCEL, task, "POST", path, FALSE);
  if (!op_is_finished (cancel))
    op_start_attempt (cancel);
  op_unref (cancel);
}

static gboolean
on_user_cancelled (GCancellable *cancellable,
                   gpointer      user_data)
{
  Op *op = user_data;

  if (op->kind == OP_SEND && op->background && op->response_id != NULL && !op_is_finished (op))
    {
      op_cancel_on_server (op);
      return G_SOURCE_REMOVE;
    }

  op_return_error (op, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                            "Operation was cancelled"));
  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------------ */
/* Logging */

static void
log_headers (SoupMessageHeaders *headers,
             const char         *prefix)
{
  SoupMessageHeadersIter iter;
  const char *name;
  const char *value;

  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      if (g_ascii_strcasecmp (name, "Authorization") == 0)
        g_debug ("%s %s: Bearer [redacted]", prefix, name);
      else
        {
          g_autofree char *safe = easel_redact (value, NULL);
          g_debug ("%s %s: %s", prefix, name, safe);
        }
    }
}

static void
log_request (Op *op)
{
  if (!client_debug_enabled (op->client))
    return;
  g_debug ("> %s %s (attempt %d)", op->method, op->url, op->attempt + 1);
  log_headers (soup_message_get_request_headers (op->msg), ">");
}

static void
log_response (Op *op)
{
  if (!client_debug_enabled (op->client))
    return;
  g_debug ("< %u %s %s", soup_message_get_status (op->msg),
           soup_message_get_reason_phrase (op->msg), op->url);
  log_headers (soup_message_get_response_headers (op->msg), "<");
}

/* ------------------------------------------------------------------------ */
/* Retries */

static gboolean
on_retry_timeout (gpointer user_data)
{
  Op *op = user_data;

  g_clear_pointer (&op->retry_source, g_source_unref);
  if (!op_is_finished (op))
    op_start_attempt (op);
  return G_SOURCE_REMOVE;
}

/* Takes @error; retries if the policy allows it, else fails with it. */
static void
op_retry_or_fail (Op                 *op,
                  guint               status,
                  SoupMessageHeaders *headers,
                  GError             *error)
{
  g_autoptr(SoupMessageHeaders) empty = NULL;
  const char *code = NULL;
  gint64 delay;

  /* A GET of a background response bills nothing: try again, or poll. */
  if (op->resuming)
    {
      if (!op_try_resume (op, error))
        op_fail_resume (op, error);
      else
        g_error_free (error);
      return;
    }

  /* Once an event was parsed the user has seen output: a retry would
   * replay it (and bill twice). */
  if (op->n_sse_events > 0)
    {
      op_return_error (op, error);
      return;
    }

  /* No answer at all: the server may have acted on a call that must not
   * happen twice (creating a batch). The caller finds out instead. */
  if (status == 0 && op->no_network_retry)
    {
      op_return_error (op, error);
      return;
    }

  if (headers == NULL)
    headers = empty = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  if (error->domain == EASEL_API_ERROR)
    code = easel_api_error_get_error_code (error);

  delay = easel_retry_delay_ms (&op->client->retry_policy, op->attempt, status,
                                headers, code, g_get_real_time () / G_USEC_PER_SEC,
                                g_random_double ());
  if (delay < 0)
    {
      op_return_error (op, error);
      return;
    }

  op->attempt++;
  redact_error (error, op->api_key);
  g_debug ("Retrying %s in %" G_GINT64_FORMAT " ms (retry %d): %s",
           op->url, delay, op->attempt, error->message);
  g_signal_emit (op->client, signals[RETRYING], 0, (guint) op->attempt, delay, error);
  g_error_free (error);

  if (op_is_finished (op))
    return;

  op->retry_source = g_timeout_source_new ((guint) delay);
  g_source_set_name (op->retry_source, "[easel] retry wait");
  g_source_set_callback (op->retry_source, on_retry_timeout, op_ref (op), op_unref);
  g_source_attach (op->retry_source, op->context);
}

/* ------------------------------------------------------------------------ */
/* Background responses: a broken stream is picked up again with
 * GET /responses/{id}?stream=true&starting_after=N, never by a second POST;
 * when the server cannot stream it any more, the response is polled. */

static char *
client_url (EaselClient *self,
            const char  *path)
{
  const char *base = self->base_url ? self->base_url : "https://api.openai.com/v1";
  gsize len = strlen (base);

  while (len > 0 && base[len - 1] == '/')
    len--;
  return g_strdup_printf ("%.*s%s", (int) len, base, path);
}

/* The id goes into a URL path: only what OpenAI ids are made of. */
static gboolean
is_valid_response_id (const char *id)
{
  gsize len;

  if (id == NULL || (len = strlen (id)) == 0 || len > MAX_RESPONSE_ID_LEN)
    return FALSE;
  for (const char *p = id; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-')
      return FALSE;
  return TRUE;
}

static void
op_set_resume_url (Op *op)
{
  g_autofree char *path = NULL;

  if (op->polling)
    path = g_strdup_printf ("/responses/%s", op->response_id);
  else if (op->last_seq >= 0)
    path = g_strdup_printf ("/responses/%s?stream=true&starting_after=%" G_GINT64_FORMAT,
                            op->response_id, op->last_seq);
  else
    path = g_strdup_printf ("/responses/%s?stream=true", op->response_id);

  g_free (op->method);
  op->method = g_strdup ("GET");
  g_free (op->url);
  op->url = client_url (op->client, path);
  g_clear_pointer (&op->body, g_bytes_unref);
  g_clear_pointer (&op->content_type, g_free);
  op->resuming = TRUE;
  op->streaming = !op->polling;
}

static gboolean
is_client_error (guint status)
{
  return status >= 400 && status < 500 &&
         status != SOUP_STATUS_REQUEST_TIMEOUT && status != 429;
}

/* Called once a stream of a background response broke (@status 0) or a
 * GET of it failed with @status. Schedules the next GET and returns TRUE,
 * or returns FALSE when there is nothing to resume or it is time to give
 * up; @why is the caller's. */
static gboolean
op_try_resume_status (Op           *op,
                      const GError *why,
                      guint         status)
{
  gint64 delay;
  guint attempt;

  if (op->kind != OP_SEND || !op->background || op->response_id == NULL || op_is_finished (op))
    return FALSE;
  if (g_error_matches (why, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;
  if (op->resume_cause == NULL && why != NULL)
    op->resume_cause = g_error_copy (why);

  /* A reconnection that brought new events was worth it. */
  if (op->n_sse_events > op->n_events_at_resume)
    op->n_resumes_in_a_row = 0;
  op->n_events_at_resume = op->n_sse_events;

  if (op->polling)
    {
      if (is_client_error (status) || op->n_polls >= MAX_POLLS)
        return FALSE;
    }
  else if (is_client_error (status) ||
           op->n_resumes_in_a_row >= MAX_RESUMES_IN_A_ROW ||
           op->n_resumes >= MAX_RESUMES)
    op->polling = TRUE;

  if (op->polling)
    {
      delay = MIN ((gint64) 1000 << MIN (op->n_polls, 5u), (gint64) MAX_POLL_DELAY_MS);
      op->n_polls++;
    }
  else
    {
      /* The first reconnection at once: the connection broke, the server
       * did not. */
      delay = op->n_resumes_in_a_row == 0 ? 0 : (gint64) 250 << MIN (op->n_resumes_in_a_row - 1, 4u);
      op->n_resumes++;
      op->n_resumes_in_a_row++;
    }
  attempt = op->n_resumes + op->n_polls;

  op_set_resume_url (op);
  op->eof = FALSE;
  g_clear_error (&op->stream_error);
  g_clear_object (&op->stream);
  if (g_cancellable_is_cancelled (op->io_cancellable))
    {
      g_object_unref (op->io_cancellable);
      op->io_cancellable = g_cancellable_new ();
    }

  g_debug ("Reconnecting to response %s in %" G_GINT64_FORMAT " ms (%s, attempt %u): %s",
           op->response_id, delay, op->polling ? "polling" : "streaming", attempt,
           why ? why->message : "stream ended early");
  g_signal_emit (op->client, signals[RECONNECTING], 0, attempt, delay, why);
  if (op_is_finished (op))
    return TRUE;

  if (op->retry_source != NULL)
    g_source_destroy (op->retry_source);
  g_clear_pointer (&op->retry_source, g_source_unref);
  op->retry_source = g_timeout_source_new ((guint) delay);
  g_source_set_name (op->retry_source, "[easel] reconnect wait");
  g_source_set_callback (op->retry_source, on_retry_timeout, op_ref (op), op_unref);
  g_source_attach (op->retry_source, op->context);
  return TRUE;
}

static gboolean
op_try_resume (Op           *op,
               const GError *why)
{
  return op_try_resume_status (op, why, 0);
}

/* Takes @error: reconnecting gave up. The user learns first what broke,
 * with its code, then why it could not be picked up again. */
static void
op_fail_resume (Op     *op,
                GError *error)
{
  GError *cause = op->resume_cause;

  if (cause == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      op_return_error (op, error);
      return;
    }
  op_return_error (op, g_error_new (cause->domain, cause->code,
                                    "%s; reconnecting to response %s failed: %s",
                                    cause->message, op->response_id, error->message));
  g_error_free (error);
}

/* A server that does not know background mode: 400 or 422 about the
 * top-level `background` parameter. The image tool has a `background`
 * (transparent, opaque) too; its errors name tools[…] as the param or
 * talk about transparency, and are not taken for this. */
static gboolean
is_background_refusal (guint         status,
                       const GError *error)
{
  const char *param;
  g_autofree char *lower = NULL;

  if (status != SOUP_STATUS_BAD_REQUEST && status != SOUP_STATUS_UNPROCESSABLE_ENTITY)
    return FALSE;
  if (error == NULL || error->domain != EASEL_API_ERROR)
    return FALSE;

  param = easel_api_error_get_param (error);
  if (param != NULL && param[0] != '\0')
    return g_strcmp0 (param, "background") == 0;

  lower = g_ascii_strdown (error->message, -1);
  return strstr (lower, "background") != NULL &&
         strstr (lower, "transparen") == NULL &&
         strstr (lower, "opaque") == NULL &&
         strstr (lower, "tools") == NULL;
}

static gboolean
op_build_send_body (Op      *op,
                    GError **error)
{
  g_clear_pointer (&op->body, g_bytes_unref);
  g_clear_pointer (&op->content_type, g_free);

  if (easel_request_is_multipart (op->request))
    {
      g_autoptr(SoupMultipart) multipart = easel_request_to_multipart (op->request, error);

      if (multipart == NULL)
        return FALSE;
      op_set_multipart (op, multipart);
    }
  else
    {
      g_autoptr(JsonNode) node = easel_request_to_json (op->request, error);
      char *json;

      if (node == NULL)
        return FALSE;
      json = json_to_string (node, FALSE);
      op->body = g_bytes_new_take (json, strlen (json));
      op->content_type = g_strdup ("application/json");
    }
  return TRUE;
}

/* Takes @why. The refusal billed nothing: send the same turn again at
 * once as a plain stream, and remember for the next ones. */
static void
op_fall_back_to_plain_stream (Op     *op,
                              GError *why)
{
  g_autoptr(GError) error = NULL;

  redact_error (why, op->api_key);
  op->client->background_refused = TRUE;
  op->background = FALSE;
  op->request->run_in_background = FALSE;
  g_debug ("The server refused background mode, sending a plain stream: %s", why->message);
  g_signal_emit (op->client, signals[BACKGROUND_REFUSED], 0, why);
  g_error_free (why);

  if (op_is_finished (op))
    return;
  if (!op_build_send_body (op, &error))
    {
      op_return_error (op, g_steal_pointer (&error));
      return;
    }
  op_start_attempt (op);
}

/* ------------------------------------------------------------------------ */
/* Streaming: SSE frames go to one worker thread, in order; parsed events
 * come back to the caller's context in the same order. */

static gboolean
op_check_terminal (Op      *op,
                   GError **error)
{
  if (op->kind != OP_SEND || op->request == NULL)
    return TRUE;

  if (op->request->api == EASEL_API_RESPONSES)
    {
      if (op->saw_completed)
        return TRUE;
      g_set_error (error, EASEL_API_ERROR, EASEL_API_ERROR_TRUNCATED,
                   "The response stream ended before it completed (%u partial %s received)",
                   op->result->n_partials,
                   op->result->n_partials == 1 ? "image" : "images");
      return FALSE;
    }

  if (op->n_images_done >= op->n_expected_images)
    return TRUE;

  g_set_error (error, EASEL_API_ERROR, EASEL_API_ERROR_TRUNCATED,
               "The image stream ended before the final image (%u of %u images, %u partial %s received)",
               op->n_images_done, op->n_expected_images, op->result->n_partials,
               op->result->n_partials == 1 ? "image" : "images");
  return FALSE;
}

static void
op_maybe_complete_stream (Op *op)
{
  g_autoptr(GError) error = NULL;
  EaselResult *result;

  if (op_is_finished (op) || !op->eof || op->n_pending > 0)
    return;

  if (op->stream_error != NULL)
    {
      if (!op_check_terminal (op, &error))
        {
          g_autoptr(GError) lost = g_steal_pointer (&op->stream_error);

          if (op_try_resume (op, lost))
            return;
          if (op->resume_cause != NULL)
            {
              op_fail_resume (op, g_error_new (error->domain, error->code, "%s (%s)",
                                               error->message, lost->message));
              return;
            }
          op_return_error (op, g_error_new (EASEL_API_ERROR, EASEL_API_ERROR_TRUNCATED,
                                            "%s (%s)", error->message, lost->message));
          return;
        }
      g_clear_error (&op->stream_error);
    }

  if (!op_check_terminal (op, &error))
    {
      if (op_try_resume (op, error))
        return;
      if (op->resume_cause != NULL)
        op_fail_resume (op, g_steal_pointer (&error));
      else
        op_return_error (op, g_steal_pointer (&error));
      return;
    }

  result = g_steal_pointer (&op->result);
  g_free (result->request_id);
  result->request_id = g_strdup (op->request_id);
  op_return_pointer (op, result, (GDestroyNotify) easel_result_free);
}

/* A server that sends more images than asked for is broken or hostile:
 * without this, a client saving partials writes files until the disk is
 * full. Stops the stream (through op_return_error) and returns FALSE. */
static gboolean
op_check_counts (Op               *op,
                 const EaselEvent *event)
{
  gboolean responses = op->request != NULL && op->request->api == EASEL_API_RESPONSES;
  guint per_image = MAX_PARTIALS_PER_IMAGE;

  if (op->request != NULL && op->request->partial_images >= 0)
    per_image = (guint) op->request->partial_images;

  if (event->kind == EASEL_EVENT_PARTIAL_IMAGE)
    {
      /* Images API: partials of the n images may interleave. Responses: one
       * image call at a time. */
      guint allowed = responses ? per_image : per_image * op->n_expected_images;
      guint seen = responses ? op->n_partials_since_done : op->n_partials;

      if (seen >= allowed)
        {
          op_return_error (op, g_error_new (EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE,
                                                    "The server sent more partial images than the %u requested; the stream was stopped",
                                                    allowed));
          return FALSE;
        }
    }
  else if (event->kind == EASEL_EVENT_IMAGE_DONE)
    {
      guint allowed = responses ? MAX_RESPONSE_IMAGES : op->n_expected_images;

      if (op->n_images_done >= allowed)
        {
          op_return_error (op, g_error_new (EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE,
                                                    "The server sent more final images than the %u %s; the stream was stopped",
                                                    allowed, responses ? "allowed in one response" : "requested"));
          return FALSE;
        }
    }
  return TRUE;
}

static void
op_deliver_event (Op         *op,
                  EaselEvent *event)
{
  if (op->background && event->sequence_number >= 0)
    {
      /* A server that replays what came before starting_after. */
      if (event->sequence_number <= op->last_seq)
        return;
      op->last_seq = event->sequence_number;
    }
  if (event->kind == EASEL_EVENT_RESPONSE_CREATED && op->response_id == NULL &&
      is_valid_response_id (event->response_id))
    op->response_id = g_strdup (event->response_id);

  if (event->kind == EASEL_EVENT_ERROR || event->kind == EASEL_EVENT_RESPONSE_FAILED)
    {
      GError *error = event->error != NULL
        ? g_error_copy (event->error)
        : g_error_new (EASEL_API_ERROR, EASEL_API_ERROR_STREAM,
                       "The server reported an error in the stream (%s)",
                       event->type ? event->type : "error");
      op_return_error (op, error);
      return;
    }

  if (!op_check_counts (op, event))
    return;

  if (event->kind == EASEL_EVENT_IMAGE_DONE)
    {
      op->n_images_done++;
      op->n_partials_since_done = 0;
    }
  if (event->kind == EASEL_EVENT_PARTIAL_IMAGE)
    {
      op->n_partials++;
      op->n_partials_since_done++;
    }
  if (event->kind == EASEL_EVENT_RESPONSE_COMPLETED)
    op->saw_completed = TRUE;

  easel_result_add_event (op->result, event);

  if (op->event_func != NULL && event->kind != EASEL_EVENT_UNKNOWN)
    op->event_func (event, op->event_data);
}

static gboolean
on_events_ready (gpointer user_data)
{
  Op *op = user_data;
  GQueue items = G_QUEUE_INIT;

  g_mutex_lock (&op->mutex);
  items = op->ready;
  g_queue_init (&op->ready);
  op->ready_scheduled = FALSE;
  g_mutex_unlock (&op->mutex);

  while (!g_queue_is_empty (&items))
    {
      ParsedItem *item = g_queue_pop_head (&items);

      g_assert (op->n_pending > 0);
      op->n_pending--;

      /* An event_func may cancel; check after every call. */
      if (!op_is_finished (op))
        {
          if (item->error != NULL)
            op_return_error (op, g_steal_pointer (&item->error));
          else
            op_deliver_event (op, item->event);
        }
      parsed_item_free (item);
    }

  if (op->read_paused && !op_is_finished (op) && op->n_pending < MAX_PENDING_EVENTS)
    {
      op->read_paused = FALSE;
      op_read_next (op);
    }

  op_maybe_complete_stream (op);
  return G_SOURCE_REMOVE;
}

static void
parse_worker (gpointer data,
              gpointer user_data)
{
  WorkItem *work = data;
  Op *op = work->op;
  ParsedItem *item;
  gsize len;
  const char *str;

  if (!op_is_finished (op))
    {
      item = g_new0 (ParsedItem, 1);
      str = g_bytes_get_data (work->data, &len);
      note_parse_thread ();
      item->event = easel_event_parse (str, len, &item->error);
      if (item->event == NULL && item->error == NULL)
        item->error = easel_api_error_new_literal (EASEL_API_ERROR_BAD_RESPONSE,
                                                   "The server sent an event that could not be read");

      g_mutex_lock (&op->mutex);
      if (op_is_finished (op))
        parsed_item_free (item);
      else
        {
          g_queue_push_tail (&op->ready, item);
          if (!op->ready_scheduled)
            {
              GSource *source = g_idle_source_new ();

              op->ready_scheduled = TRUE;
              g_source_set_name (source, "[easel] deliver events");
              g_source_set_priority (source, G_PRIORITY_DEFAULT);
              g_source_set_callback (source, on_events_ready, op_ref (op), op_unref);
              g_source_attach (source, op->context);
              g_source_unref (source);
            }
        }
      g_mutex_unlock (&op->mutex);
    }

  g_bytes_unref (work->data);
  op_unref (work->op);
  g_free (work);
}

static void
work_item_free (gpointer data)
{
  WorkItem *work = data;

  g_bytes_unref (work->data);
  op_unref (work->op);
  g_free (work);
}

static void
on_sse_event (const char *event_name,
              GBytes     *data,
              gpointer    user_data)
{
  Op *op = user_data;
  WorkItem *work;

  if (op_is_finished (op))
    return;

  op->n_sse_events++;

  if (op->pool == NULL)
    op->pool = g_thread_pool_new_full (parse_worker, NULL, work_item_free, 1, FALSE, NULL);

  work = g_new0 (WorkItem, 1);
  work->op = op_ref (op);
  work->data = g_bytes_ref (data);
  op->n_pending++;
  g_thread_pool_push (op->pool, work, NULL);
}

/* ------------------------------------------------------------------------ */
/* Non-streamed bodies: parsed in a worker thread */

typedef struct
{
  OpKind    kind;
  EaselApi  api;
  GBytes   *body;
  gboolean  poll;      /* a GET of a background response: mind its status */
} ParseJob;

static void
parse_job_free (gpointer data)
{
  ParseJob *job = data;

  g_bytes_unref (job->body);
  g_free (job);
}

static JsonNode *
parse_json_body (GBytes  *body,
                 GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local_error = NULL;
  gsize len;
  const char *data = g_bytes_get_data (body, &len);

  if (!easel_json_check_depth (data, len, EASEL_JSON_MAX_DEPTH, &local_error) ||
      !json_parser_load_from_data (parser, data ? data : "", len, &local_error))
    {
      g_set_error (error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE,
                   "The server sent a response that is not valid JSON: %s",
                   local_error->message);
      return NULL;
    }
  if (json_parser_get_root (parser) == NULL)
    {
      /* An empty or all-whitespace body parses to no root at all. */
      g_set_error_literal (error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE,
                           "The server sent an empty response");
      return NULL;
    }
  return json_node_ref (json_parser_get_root (parser));
}

/* The status of a retrieved Response: queued and in_progress are
 * G_IO_ERROR_PENDING (poll again); failed, cancelled and incomplete are
 * errors; completed, or no status from a lenient server, reads on. */
static gboolean
check_response_status (JsonNode  *root,
                       GError   **error)
{
  JsonObject *obj = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  const char *status = obj ? json_object_get_string_member_with_default (obj, "status", NULL) : NULL;
  JsonNode *err = obj ? json_object_get_member (obj, "error") : NULL;

  if (g_strcmp0 (status, "queued") == 0 || g_strcmp0 (status, "in_progress") == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PENDING,
                           "The response is still in progress on the server");
      return FALSE;
    }
  if (g_strcmp0 (status, "failed") == 0)
    {
      if (err != NULL && JSON_NODE_HOLDS_OBJECT (err))
        *error = easel_api_error_from_object (json_node_get_object (err), 0, EASEL_API_ERROR_FAILED);
      else
        g_set_error_literal (error, EASEL_API_ERROR, EASEL_API_ERROR_FAILED,
                             "The response failed on the server");
      return FALSE;
    }
  if (g_strcmp0 (status, "cancelled") == 0)
    {
      g_set_error_literal (error, EASEL_API_ERROR, EASEL_API_ERROR_FAILED,
                           "The response was cancelled on the server");
      return FALSE;
    }
  if (g_strcmp0 (status, "incomplete") == 0)
    {
      g_set_error_literal (error, EASEL_API_ERROR, EASEL_API_ERROR_TRUNCATED,
                           "The response ended incomplete on the server");
      return FALSE;
    }
  return TRUE;
}

static void
parse_body_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  ParseJob *job = task_data;
  g_autoptr(JsonNode) root = NULL;
  GError *error = NULL;

  note_parse_thread ();

  if (!(root = parse_json_body (job->body, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  switch (job->kind)
    {
    case OP_SEND:
      {
        EaselResult *result;

        if (job->poll && !check_response_status (root, &error))
          {
            g_task_return_error (task, error);
            break;
          }
        result = easel_result_new_from_json (job->api, root, &error);

        if (result == NULL)
          {
            if (error == NULL)
              error = easel_api_error_new_literal (EASEL_API_ERROR_BAD_RESPONSE,
                                                   "The server sent a response that could not be read");
            g_task_return_error (task, error);
          }
        else
          g_task_return_pointer (task, result, (GDestroyNotify) easel_result_free);
      }
      break;

    case OP_UPLOAD:
      {
        JsonObject *obj = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
        const char *id = obj ? json_object_get_string_member_with_default (obj, "id", NULL) : NULL;

        if (id == NULL || *id == '\0')
          g_task_return_new_error (task, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE,
                                   "The server did not return a file id");
        else
          g_task_return_pointer (task, g_strdup (id), g_free);
      }
      break;

    case OP_MODELS:
      {
        JsonObject *obj = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
        JsonNode *data = obj ? json_object_get_member (obj, "data") : NULL;
        g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

        if (data == NULL || !JSON_NODE_HOLDS_ARRAY (data))
          {
            g_task_return_new_error (task, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE,
                                     "The server did not return a model list");
            break;
          }
        for (guint i = 0; i < json_array_get_length (json_node_get_array (data)); i++)
          {
            JsonNode *el = json_array_get_element (json_node_get_array (data), i);
            const char *id;

            if (!JSON_NODE_HOLDS_OBJECT (el))
              continue;
            id = json_object_get_string_member_with_default (json_node_get_object (el), "id", NULL);
            if (id != NULL)
              g_strv_builder_add (builder, id);
          }
        g_task_return_pointer (task, g_strv_builder_end (builder), (GDestroyNotify) g_strfreev);
      }
      break;

    case OP_JSON:
      if (!JSON_NODE_HOLDS_OBJECT (root))
        g_task_return_new_error (task, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE,
                                 "The server did not return a JSON object");
      else
        g_task_return_pointer (task, g_steal_pointer (&root), (GDestroyNotify) json_node_unref);
      break;

    case OP_MODERATE:
      {
        EaselModeration *moderation = easel_moderation_new_from_json (root, &error);

        if (moderation == NULL)
          g_task_return_error (task, error);
        else
          g_task_return_pointer (task, moderation, (GDestroyNotify) easel_moderation_free);
      }
      break;

    case OP_FETCH:
    case OP_CANCEL:
    default:
      g_assert_not_reached ();
    }
}

static void
on_body_parsed (GObject      *source,
                GAsyncResult *res,
                gpointer      user_data)
{
  Op *op = user_data;
  GError *error = NULL;
  gpointer value;

  value = g_task_propagate_pointer (G_TASK (res), &error);

  if (op_is_finished (op))
    {
      g_clear_error (&error);
      if (value != NULL)
        {
          if (op->kind == OP_SEND)
            easel_result_free (value);
          else if (op->kind == OP_UPLOAD)
            g_free (value);
          else if (op->kind == OP_JSON)
            json_node_unref (value);
          else if (op->kind == OP_MODERATE)
            easel_moderation_free (value);
          else
            g_strfreev (value);
        }
    }
  else if (value == NULL)
    {
      if (op->resuming && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PENDING))
        {
          op->polling = TRUE;
          if (op_try_resume (op, error))
            g_clear_error (&error);
          else
            {
              g_clear_error (&error);
              error = g_error_new (EASEL_API_ERROR, EASEL_API_ERROR_TIMEOUT,
                                   "The response %s was still in progress after %u checks; "
                                   "fetch it later with its id",
                                   op->response_id, op->n_polls);
            }
        }
      if (error != NULL)
        op_return_error (op, error);
    }
  else if (op->kind == OP_SEND)
    {
      EaselResult *result = value;

      /* Partials that came before the stream broke still count. */
      if (op->result != NULL)
        result->n_partials = MAX (result->n_partials, op->result->n_partials);
      g_free (result->request_id);
      result->request_id = g_strdup (op->request_id);
      op_return_pointer (op, result, (GDestroyNotify) easel_result_free);
    }
  else if (op->kind == OP_UPLOAD)
    op_return_pointer (op, value, g_free);
  else if (op->kind == OP_JSON)
    op_return_pointer (op, value, (GDestroyNotify) json_node_unref);
  else if (op->kind == OP_MODERATE)
    op_return_pointer (op, value, (GDestroyNotify) easel_moderation_free);
  else
    op_return_pointer (op, value, (GDestroyNotify) g_strfreev);

  op_unref (op);
}

static void
op_finish_body (Op *op)
{
  g_autoptr(GBytes) body = g_byte_array_free_to_bytes (g_steal_pointer (&op->buffer));
  g_autoptr(GTask) task = NULL;
  ParseJob *job;

  if (op->kind == OP_FETCH || op->kind == OP_CANCEL)
    {
      op_return_pointer (op, g_steal_pointer (&body), (GDestroyNotify) g_bytes_unref);
      return;
    }
  if (op->kind == OP_DOWNLOAD)
    {
      g_autoptr(GError) error = NULL;

      /* Only a complete file gets the destination's name. */
      if (!g_output_stream_close (op->out, op->io_cancellable, &error) ||
          !g_file_move (op->part, op->dest, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, &error))
        op_return_error (op, g_steal_pointer (&error));
      else
        op_return_pointer (op, GINT_TO_POINTER (TRUE), NULL);
      return;
    }

  job = g_new0 (ParseJob, 1);
  job->kind = op->kind;
  job->poll = op->kind == OP_SEND && op->resuming;
  job->api = op->request ? op->request->api : EASEL_API_IMAGES_GENERATE;
  job->body = g_steal_pointer (&body);

  task = g_task_new (NULL, op->io_cancellable, on_body_parsed, op_ref (op));
  g_task_set_source_tag (task, op_finish_body);
  g_task_set_task_data (task, job, parse_job_free);
  g_task_run_in_thread (task, parse_body_thread);
}

static void
op_finish_error_body (Op *op)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (op->msg);
  const char *content_type = soup_message_headers_get_content_type (headers, NULL);
  gint64 retry_after = easel_retry_after_ms (headers, g_get_real_time () / G_USEC_PER_SEC);
  GError *error;

  error = easel_api_error_from_http (op->status, content_type,
                                     (const char *) op->buffer->data, op->buffer->len,
                                     op->request_id, retry_after);
  if (error == NULL)
    error = g_error_new (EASEL_API_ERROR, EASEL_API_ERROR_FAILED,
                         "The server answered %u %s", op->status,
                         soup_message_get_reason_phrase (op->msg));
  g_byte_array_set_size (op->buffer, 0);

  if (op->kind == OP_SEND && op->background && !op->resuming &&
      is_background_refusal (op->status, error))
    {
      op_fall_back_to_plain_stream (op, error);
      return;
    }
  if (op->resuming)
    {
      if (op->status == SOUP_STATUS_NOT_FOUND || !op_try_resume_status (op, error, op->status))
        op_fail_resume (op, error);
      else
        g_error_free (error);
      return;
    }
  op_retry_or_fail (op, op->status, headers, error);
}

/* ------------------------------------------------------------------------ */
/* Reading */

static GError *
network_error (Op           *op,
               const GError *cause)
{
  g_autoptr(GUri) uri = g_uri_parse (op->url, G_URI_FLAGS_NONE, NULL);
  const char *host = uri && g_uri_get_host (uri) ? g_uri_get_host (uri) : op->url;

  /* libsoup's own message often names the host already ("Could not
   * connect to 127.0.0.1: Connection refused"): say it once. */
  if (strstr (cause->message, host) != NULL)
    return g_error_new (EASEL_API_ERROR, EASEL_API_ERROR_NETWORK, "Could not reach the server: %s", cause->message);
  return g_error_new (EASEL_API_ERROR, EASEL_API_ERROR_NETWORK, "Could not reach %s: %s", host, cause->message);
}

/* "128 MiB": plain ASCII, so the message can be matched and read in a log. */
static char *
format_limit (gsize bytes)
{
  if (bytes % (1024 * 1024) == 0)
    return g_strdup_printf ("%" G_GSIZE_FORMAT " MiB", bytes / (1024 * 1024));
  if (bytes % 1024 == 0)
    return g_strdup_printf ("%" G_GSIZE_FORMAT " KiB", bytes / 1024);
  return g_strdup_printf ("%" G_GSIZE_FORMAT " bytes", bytes);
}

static void
op_disarm_idle (Op *op)
{
  if (op->idle_source != NULL)
    g_source_destroy (op->idle_source);
  g_clear_pointer (&op->idle_source, g_source_unref);
}

static gboolean
on_idle_timeout (gpointer user_data)
{
  Op *op = user_data;
  guint seconds = op->client->idle_timeout_s;

  g_clear_pointer (&op->idle_source, g_source_unref);
  if (op_is_finished (op))
    return G_SOURCE_REMOVE;

  if (op->phase == PHASE_ERROR_BODY)
    {
      /* The answer is an error anyway: report what arrived, and let the
       * retry policy judge the status as usual. */
      g_clear_object (&op->stream);
      g_cancellable_cancel (op->io_cancellable);
      g_object_unref (op->io_cancellable);
      op->io_cancellable = g_cancellable_new ();
      op_finish_error_body (op);
    }
  else if (op->phase == PHASE_SSE && (op->n_sse_events > 0 || op->resuming))
    {
      op->stream_error = g_error_new (EASEL_API_ERROR, EASEL_API_ERROR_NETWORK,
                                      "The server stopped sending for %u s; not retried because it may have been billed",
                                      seconds);
      op->eof = TRUE;
      easel_sse_parser_finish (op->parser);
      g_clear_object (&op->stream);
      g_cancellable_cancel (op->io_cancellable);
      op_maybe_complete_stream (op);
    }
  else
    {
      GError *error = g_error_new (EASEL_API_ERROR, EASEL_API_ERROR_NETWORK,
                                   "The server stopped sending for %u s; not retried because it may have been billed",
                                   seconds);

      if (op->resuming)
        {
          g_clear_object (&op->stream);
          g_cancellable_cancel (op->io_cancellable);
          if (op_try_resume (op, error))
            {
              g_error_free (error);
              return G_SOURCE_REMOVE;
            }
          op_fail_resume (op, error);
          return G_SOURCE_REMOVE;
        }
      op_return_error (op, error);
    }
  return G_SOURCE_REMOVE;
}

/* Armed while a read is outstanding: a server that stops sending after
 * its headers is cut after idle_timeout_s, not after the session's 600 s. */
static void
op_arm_idle (Op *op)
{
  op_disarm_idle (op);
  if (op->client->idle_timeout_s == 0)
    return;
  op->idle_source = g_timeout_source_new_seconds (op->client->idle_timeout_s);
  g_source_set_name (op->idle_source, "[easel] idle timeout");
  g_source_set_callback (op->idle_source, on_idle_timeout, op_ref (op), op_unref);
  g_source_attach (op->idle_source, op->context);
}

static void
on_written (GObject      *source,
            GAsyncResult *res,
            gpointer      user_data)
{
  Op *op = user_data;
  g_autoptr(GError) error = NULL;
  gsize written = 0;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), res, &written, &error))
    {
      if (!op_is_finished (op))
        op_return_error (op, g_steal_pointer (&error));
    }
  else if (!op_is_finished (op))
    {
      op->n_written += written;
      g_clear_pointer (&op->writing, g_bytes_unref);
      op_read_next (op);
    }
  op_unref (op);
}

static void
on_read (GObject      *source,
         GAsyncResult *res,
         gpointer      user_data)
{
  Op *op = user_data;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), res, &error);

  op_disarm_idle (op);

  /* The idle timeout gave up on this stream already. */
  if (op_is_finished (op) || G_INPUT_STREAM (source) != op->stream)
    goto out;

  if (bytes == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        op_return_error (op, g_steal_pointer (&error));
      else if (op->resuming && op->phase == PHASE_BODY)
        {
          g_autoptr(GError) net = network_error (op, error);

          if (!op_try_resume (op, net))
            op_fail_resume (op, g_steal_pointer (&net));
        }
      else if (op->phase == PHASE_SSE && (op->n_sse_events > 0 || op->resuming))
        {
          /* Deliver what was parsed, then fail or reconnect. */
          op->stream_error = network_error (op, error);
          op->eof = TRUE;
          easel_sse_parser_finish (op->parser);
          op_maybe_complete_stream (op);
        }
      else if (op->phase == PHASE_SSE || op->phase == PHASE_BODY)
        {
          /* The server accepted the request: re-sending could bill twice. */
          g_autoptr(GError) net = network_error (op, error);

          op_return_error (op, g_error_new (EASEL_API_ERROR, EASEL_API_ERROR_NETWORK,
                                            "%s; not retried because it may have been billed",
                                            net->message));
        }
      else
        op_retry_or_fail (op, 0, NULL, network_error (op, error));
      goto out;
    }

  if (g_bytes_get_size (bytes) == 0)
    {
      g_clear_object (&op->stream);
      switch (op->phase)
        {
        case PHASE_SSE:
          easel_sse_parser_finish (op->parser);
          op->eof = TRUE;
          op_maybe_complete_stream (op);
          break;
        case PHASE_ERROR_BODY:
          op_finish_error_body (op);
          break;
        case PHASE_BODY:
          op_finish_body (op);
          break;
        case PHASE_NONE:
        default:
          g_assert_not_reached ();
        }
      goto out;
    }

  if (op->phase == PHASE_SSE)
    {
      gsize len;
      const char *data = g_bytes_get_data (bytes, &len);

      easel_sse_parser_feed (op->parser, data, len);
      if (easel_sse_parser_is_too_large (op->parser))
        {
          g_autofree char *limit = format_limit (op->client->max_event_size);

          op_return_error (op, g_error_new (EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE,
                                            "The server sent a stream event larger than the %s limit; the stream was stopped",
                                            limit));
          goto out;
        }
      if (op->n_pending >= MAX_PENDING_EVENTS)
        {
          /* on_events_ready resumes once the caller caught up. */
          op->read_paused = TRUE;
          goto out;
        }
    }
  else if (op->phase == PHASE_ERROR_BODY)
    {
      /* Keep the start of an over-long error body and stop there: what
       * follows is never needed, and a server could send it forever. */
      gsize room = op->limit > op->buffer->len ? op->limit - op->buffer->len : 0;
      gsize len = MIN (room, g_bytes_get_size (bytes));

      g_byte_array_append (op->buffer, g_bytes_get_data (bytes, NULL), len);
      if (op->buffer->len >= op->limit)
        {
          g_clear_object (&op->stream);
          op_finish_error_body (op);
          goto out;
        }
    }
  else if (op->kind == OP_DOWNLOAD)
    {
      if (g_bytes_get_size (bytes) > MAX_DOWNLOAD_TO_FILE - op->n_written)
        {
          op_return_error (op, g_error_new (EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE,
                                            "The server sent a file larger than %" G_GUINT64_FORMAT " GiB",
                                            MAX_DOWNLOAD_TO_FILE / (1024 * 1024 * 1024)));
          goto out;
        }
      /* Reading resumes once the chunk is on disk. */
      op->writing = g_steal_pointer (&bytes);
      g_output_stream_write_all_async (op->out, g_bytes_get_data (op->writing, NULL),
                                       g_bytes_get_size (op->writing), G_PRIORITY_DEFAULT,
                                       op->io_cancellable, on_written, op_ref (op));
      goto out;
    }
  else
    {
      if (g_bytes_get_size (bytes) > op->limit - MIN (op->buffer->len, op->limit))
        {
          g_autofree char *limit = format_limit (op->limit);

          op_return_error (op, g_error_new (EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE,
                                            "The server sent a response larger than the %s limit",
                                            limit));
          goto out;
        }
      g_byte_array_append (op->buffer, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
    }

  if (!op_is_finished (op))
    op_read_next (op);

out:
  op_unref (op);
}

static void
op_read_next (Op *op)
{
  op_arm_idle (op);
  g_input_stream_read_bytes_async (op->stream, READ_CHUNK_SIZE, G_PRIORITY_DEFAULT,
                                   op->io_cancellable, on_read, op_ref (op));
}

static gboolean
is_event_stream (SoupMessage *msg)
{
  const char *ct = soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL);

  return ct != NULL && g_ascii_strcasecmp (ct, "text/event-stream") == 0;
}

/* Following a redirect would send the Authorization header wherever the
 * server points, so API calls never follow one; the error names the target
 * without its query, which may carry tokens. */
static GError *
redirect_error (Op                 *op,
                SoupMessageHeaders *headers)
{
  const char *location = soup_message_headers_get_one (headers, "Location");
  g_autoptr(GUri) base = g_uri_parse (op->url, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GUri) target = NULL;
  g_autofree char *shown = NULL;

  if (location != NULL && base != NULL)
    target = g_uri_parse_relative (base, location, G_URI_FLAGS_NONE, NULL);
  if (target != NULL)
    shown = g_uri_join (G_URI_FLAGS_NONE, g_uri_get_scheme (target), NULL,
                        g_uri_get_host (target), g_uri_get_port (target),
                        g_uri_get_path (target), NULL, NULL);
  else if (location != NULL)
    shown = g_strdup ("an address that is not a valid URL");
  else
    shown = g_strdup ("nowhere (no Location header)");

  return g_error_new (EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE,
                      "The server answered %u and redirected to %s; API calls do not follow redirects, "
                      "so the key is not sent elsewhere. Check the server address",
                      op->status, shown);
}

static void
on_sent (GObject      *source,
         GAsyncResult *res,
         gpointer      user_data)
{
  Op *op = user_data;
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers;

  stream = soup_session_send_finish (SOUP_SESSION (source), res, &error);

  if (op_is_finished (op))
    goto out;

  if (stream == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        op_return_error (op, g_steal_pointer (&error));
      else
        op_retry_or_fail (op, 0, NULL, network_error (op, error));
      goto out;
    }

  log_response (op);

  headers = soup_message_get_response_headers (op->msg);
  op->status = soup_message_get_status (op->msg);
  if (op->client->exchange_func != NULL)
    op->client->exchange_func (op->method, op->url, op->status, op->client->exchange_data);
  g_free (op->request_id);
  op->request_id = g_strdup (soup_message_headers_get_one (headers, "x-request-id"));
  g_clear_object (&op->stream);
  op->stream = g_steal_pointer (&stream);
  if (op->buffer != NULL)
    g_byte_array_unref (op->buffer);
  op->buffer = g_byte_array_new ();

  if (SOUP_STATUS_IS_REDIRECTION (op->status))
    {
      op_return_error (op, redirect_error (op, headers));
      goto out;
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (op->status))
    {
      op->phase = PHASE_ERROR_BODY;
      op->limit = op->client->max_error_body_size;
    }
  else if (op->streaming && is_event_stream (op->msg))
    {
      op->phase = PHASE_SSE;
      g_clear_pointer (&op->parser, easel_sse_parser_free);
      op->parser = easel_sse_parser_new (on_sse_event, op);
      easel_sse_parser_set_max_event_size (op->parser, op->client->max_event_size);
      /* A reconnection carries on with what the broken stream gave. */
      if (!op->resuming || op->result == NULL)
        {
          g_clear_pointer (&op->result, easel_result_free);
          op->result = easel_result_new (op->request->api);
        }
    }
  else
    {
      /* A compatible server may ignore `stream` and answer JSON; a
       * reconnection answered so is polled from then on. */
      if (op->resuming)
        op->polling = TRUE;
      op->phase = PHASE_BODY;
      op->limit = op->client->max_body_size;
      /* A moderation answer is a few hundred bytes; images are not. */
      if (op->kind == OP_MODERATE)
        op->limit = MIN (op->limit, MAX_MODERATION_BODY);
    }

  op_read_next (op);

out:
  op_unref (op);
}

static void
op_start_attempt (Op *op)
{
  SoupMessageHeaders *headers;

  g_clear_object (&op->msg);
  op->msg = soup_message_new (op->method, op->url);
  if (op->msg == NULL)
    {
      op_return_error (op, g_error_new (EASEL_API_ERROR, EASEL_API_ERROR_NETWORK,
                                        "The server address “%s” is not a valid URL", op->url));
      return;
    }

  /* Also keeps libsoup from resending the body and key to another host;
   * a plain download without the key may follow a CDN's redirects. */
  if (op->send_auth || op->kind != OP_FETCH)
    soup_message_add_flags (op->msg, SOUP_MESSAGE_NO_REDIRECT);

  headers = soup_message_get_request_headers (op->msg);
  if (op->send_auth && op->api_key != NULL && op->api_key[0] != '\0')
    {
      g_autofree char *auth = g_strdup_printf ("Bearer %s", op->api_key);
      soup_message_headers_replace (headers, "Authorization", auth);
    }
  if (op->send_auth && op->client->organization != NULL && op->client->organization[0] != '\0')
    soup_message_headers_replace (headers, "OpenAI-Organization", op->client->organization);
  /* A reconnection takes the stream or, from a server that cannot stream
   * it again, the Response object: both are handled. */
  soup_message_headers_replace (headers, "Accept",
                                op->streaming && op->resuming ? "text/event-stream, application/json;q=0.9" :
                                op->streaming ? "text/event-stream" : "application/json");
  if (op->body != NULL)
    soup_message_set_request_body_from_bytes (op->msg, op->content_type, op->body);

  log_request (op);

  op->phase = PHASE_NONE;
  soup_session_send_async (op->client->session, op->msg, G_PRIORITY_DEFAULT,
                           op->io_cancellable, on_sent, op_ref (op));
}

static Op *
op_new (EaselClient  *self,
        OpKind        kind,
        GTask        *task,
        const char   *method,
        const char   *path_or_url,
        gboolean      absolute)
{
  Op *op = g_atomic_rc_box_new0 (Op);
  GCancellable *cancellable = g_task_get_cancellable (task);

  g_mutex_init (&op->mutex);
  g_queue_init (&op->ready);
  op->kind = kind;
  op->client = g_object_ref (self);
  op->task = g_object_ref (task);
  op->context = g_main_context_ref_thread_default ();
  op->io_cancellable = g_cancellable_new ();
  op->api_key = g_strdup (self->api_key);
  op->method = g_strdup (method);
  op->n_expected_images = 1;
  op->last_seq = -1;

  if (absolute)
    {
      op->url = g_strdup (path_or_url);
      /* Only send the key back to our own API host, never to an image CDN. */
      op->send_auth = self->base_url != NULL && g_str_has_prefix (path_or_url, self->base_url);
    }
  else
    {
      op->url = client_url (self, path_or_url);
      op->send_auth = TRUE;
    }

  if (cancellable != NULL)
    {
      op->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_name (op->cancel_source, "[easel] cancel");
      g_source_set_callback (op->cancel_source, G_SOURCE_FUNC (on_user_cancelled),
                             op_ref (op), op_unref);
      g_source_attach (op->cancel_source, op->context);
    }

  return op;
}

static void
op_set_multipart (Op            *op,
                  SoupMultipart *multipart)
{
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_MULTIPART);
  GBytes *body = NULL;

  soup_multipart_to_message (multipart, headers, &body);
  op->body = body;
  op->content_type = g_strdup (soup_message_headers_get_one (headers, "Content-Type"));
}

/* ------------------------------------------------------------------------ */
/* GObject */

static gboolean
is_loopback_url (const char *url)
{
  g_autoptr(GUri) uri = NULL;
  const char *host;
  g_autoptr(GInetAddress) addr = NULL;

  if (url == NULL || !(uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL)))
    return FALSE;
  if ((host = g_uri_get_host (uri)) == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  if ((addr = g_inet_address_new_from_string (host)) != NULL)
    return g_inet_address_get_is_loopback (addr);
  return FALSE;
}

static void
easel_client_update_proxy (EaselClient *self)
{
  if (is_loopback_url (self->base_url))
    {
      /* libproxy may route even 127.0.0.1 through a configured proxy. */
      g_autoptr(GProxyResolver) direct = g_simple_proxy_resolver_new (NULL, NULL);
      soup_session_set_proxy_resolver (self->session, direct);
    }
  else
    soup_session_set_proxy_resolver (self->session, g_proxy_resolver_get_default ());
}

static void
easel_client_finalize (GObject *object)
{
  EaselClient *self = (EaselClient *) object;

  g_clear_object (&self->session);
  g_clear_pointer (&self->base_url, g_free);
  if (self->api_key != NULL)
    memset (self->api_key, 0, strlen (self->api_key));
  g_clear_pointer (&self->api_key, g_free);
  g_clear_pointer (&self->organization, g_free);
  g_clear_pointer (&self->user_agent, g_free);

  G_OBJECT_CLASS (easel_client_parent_class)->finalize (object);
}

static void
easel_client_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  EaselClient *self = EASEL_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      g_value_set_string (value, self->base_url);
      break;
    case PROP_ORGANIZATION:
      g_value_set_string (value, self->organization);
      break;
    case PROP_USER_AGENT:
      g_value_set_string (value, self->user_agent);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_client_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  EaselClient *self = EASEL_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      easel_client_set_base_url (self, g_value_get_string (value));
      break;
    case PROP_API_KEY:
      easel_client_set_api_key (self, g_value_get_string (value));
      break;
    case PROP_ORGANIZATION:
      easel_client_set_organization (self, g_value_get_string (value));
      break;
    case PROP_USER_AGENT:
      g_free (self->user_agent);
      self->user_agent = g_value_get_string (value)
        ? g_value_dup_string (value)
        : g_strdup ("Easel/" PACKAGE_VERSION);
      soup_session_set_user_agent (self->session, self->user_agent);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_client_class_init (EaselClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = easel_client_finalize;
  object_class->get_property = easel_client_get_property;
  object_class->set_property = easel_client_set_property;

  properties[PROP_BASE_URL] =
    g_param_spec_string ("base-url", NULL, NULL, "https://api.openai.com/v1",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_API_KEY] =
    g_param_spec_string ("api-key", NULL, NULL, NULL,
                         G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_ORGANIZATION] =
    g_param_spec_string ("organization", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_USER_AGENT] =
    g_param_spec_string ("user-agent", NULL, NULL, "Easel/" PACKAGE_VERSION,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[RETRYING] =
    g_signal_new ("retrying",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3,
                  G_TYPE_UINT, G_TYPE_INT64, G_TYPE_ERROR);

  signals[RECONNECTING] =
    g_signal_new ("reconnecting",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3,
                  G_TYPE_UINT, G_TYPE_INT64, G_TYPE_ERROR);

  signals[BACKGROUND_REFUSED] =
    g_signal_new ("background-refused",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1,
                  G_TYPE_ERROR);

  if (main_thread == NULL)
    main_thread = g_thread_self ();
}

static gsize
parse_env_size (const char *name,
                gsize       fallback)
{
  const char *value = g_getenv (name);
  guint64 n;

  if (value == NULL || !g_ascii_string_to_unsigned (value, 10, 1, G_MAXSIZE, &n, NULL))
    return fallback;
  return (gsize) n;
}

/* For tests of programs built on the client (the CLI): small limits
 * without a debug flag. Not meant for users. */
static void
apply_test_overrides (EaselClient *self)
{
  self->idle_timeout_s = (guint) MIN (parse_env_size ("EASEL_TEST_IDLE_TIMEOUT_S", self->idle_timeout_s), G_MAXUINT);
  self->max_event_size = parse_env_size ("EASEL_TEST_MAX_EVENT_SIZE", self->max_event_size);
  self->max_body_size = parse_env_size ("EASEL_TEST_MAX_BODY_SIZE", self->max_body_size);
  self->max_error_body_size = parse_env_size ("EASEL_TEST_MAX_ERROR_BODY_SIZE", self->max_error_body_size);
}

static void
easel_client_init (EaselClient *self)
{
  self->session = soup_session_new ();
  soup_session_set_timeout (self->session, SESSION_TIMEOUT_S);
  self->base_url = g_strdup ("https://api.openai.com/v1");
  self->user_agent = g_strdup ("Easel/" PACKAGE_VERSION);
  soup_session_set_user_agent (self->session, self->user_agent);
  easel_retry_policy_init_default (&self->retry_policy);
  self->idle_timeout_s = DEFAULT_IDLE_TIMEOUT_S;
  self->max_event_size = DEFAULT_MAX_EVENT;
  self->max_body_size = DEFAULT_MAX_BODY;
  self->max_error_body_size = DEFAULT_MAX_ERROR_BODY;
  self->background_mode = TRUE;
  apply_test_overrides (self);
  easel_client_update_proxy (self);
}

EaselClient *
easel_client_new (const char *base_url,
                  const char *api_key)
{
  EaselClient *self = g_object_new (EASEL_TYPE_CLIENT, NULL);

  if (base_url != NULL)
    easel_client_set_base_url (self, base_url);
  easel_client_set_api_key (self, api_key);
  return self;
}

const char *
easel_client_get_base_url (EaselClient *self)
{
  g_return_val_if_fail (EASEL_IS_CLIENT (self), NULL);
  return self->base_url;
}

void
easel_client_set_base_url (EaselClient *self,
                           const char  *base_url)
{
  g_return_if_fail (EASEL_IS_CLIENT (self));

  if (base_url == NULL || base_url[0] == '\0')
    base_url = "https://api.openai.com/v1";
  if (g_strcmp0 (self->base_url, base_url) == 0)
    return;
  g_free (self->base_url);
  self->base_url = g_strdup (base_url);
  /* Another server may well know background mode. */
  self->background_refused = FALSE;
  easel_client_update_proxy (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BASE_URL]);
}

void
easel_client_set_api_key (EaselClient *self,
                          const char  *api_key)
{
  g_return_if_fail (EASEL_IS_CLIENT (self));

  if (self->api_key != NULL)
    memset (self->api_key, 0, strlen (self->api_key));
  g_free (self->api_key);
  self->api_key = g_strdup (api_key);
}

gboolean
easel_client_has_api_key (EaselClient *self)
{
  g_return_val_if_fail (EASEL_IS_CLIENT (self), FALSE);
  return self->api_key != NULL && self->api_key[0] != '\0';
}

void
easel_client_set_organization (EaselClient *self,
                               const char  *organization)
{
  g_return_if_fail (EASEL_IS_CLIENT (self));

  if (g_strcmp0 (self->organization, organization) == 0)
    return;
  g_free (self->organization);
  self->organization = g_strdup (organization);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ORGANIZATION]);
}

void
easel_client_set_retry_policy (EaselClient            *self,
                               const EaselRetryPolicy *policy)
{
  g_return_if_fail (EASEL_IS_CLIENT (self));

  if (policy != NULL)
    self->retry_policy = *policy;
  else
    easel_retry_policy_init_default (&self->retry_policy);
}

void
easel_client_set_idle_timeout (EaselClient *self,
                               guint        seconds)
{
  g_return_if_fail (EASEL_IS_CLIENT (self));
  self->idle_timeout_s = seconds;
}

guint
easel_client_get_idle_timeout (EaselClient *self)
{
  g_return_val_if_fail (EASEL_IS_CLIENT (self), 0);
  return self->idle_timeout_s;
}

void
_easel_client_set_limits (EaselClient *self,
                          gsize        max_event_size,
                          gsize        max_body_size,
                          gsize        max_error_body_size)
{
  g_return_if_fail (EASEL_IS_CLIENT (self));

  self->max_event_size = max_event_size > 0 ? max_event_size : DEFAULT_MAX_EVENT;
  self->max_body_size = max_body_size > 0 ? max_body_size : DEFAULT_MAX_BODY;
  self->max_error_body_size = max_error_body_size > 0 ? max_error_body_size : DEFAULT_MAX_ERROR_BODY;
}

void
easel_client_set_background_mode (EaselClient *self,
                                  gboolean     background_mode)
{
  g_return_if_fail (EASEL_IS_CLIENT (self));
  self->background_mode = !!background_mode;
}

gboolean
easel_client_get_background_refused (EaselClient *self)
{
  g_return_val_if_fail (EASEL_IS_CLIENT (self), FALSE);
  return self->background_refused;
}

void
_easel_client_set_exchange_func (EaselClient             *self,
                                 EaselClientExchangeFunc  func,
                                 gpointer                 user_data)
{
  g_return_if_fail (EASEL_IS_CLIENT (self));
  self->exchange_func = func;
  self->exchange_data = user_data;
}

void
easel_client_set_debug (EaselClient *self,
                        gboolean     debug)
{
  g_return_if_fail (EASEL_IS_CLIENT (self));
  self->debug = !!debug;
}

void
easel_client_set_allow_retired (EaselClient *self,
                                gboolean     allow_retired)
{
  g_return_if_fail (EASEL_IS_CLIENT (self));
  self->allow_retired = !!allow_retired;
}

/* ------------------------------------------------------------------------ */
/* Public operations */

void
easel_client_send_async (EaselClient         *self,
                         const EaselRequest  *request,
                         EaselEventFunc       event_func,
                         gpointer             event_data,
                         GDestroyNotify       event_data_destroy,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  Op *op;

  g_return_if_fail (EASEL_IS_CLIENT (self));
  g_return_if_fail (request != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_client_send_async);

  if (!easel_request_validate (request, &error) ||
      (!self->allow_retired && !easel_request_check_retired (request, NULL, &error)))
    {
      if (event_data_destroy != NULL)
        event_data_destroy (event_data);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  op = op_new (self, OP_SEND, task, "POST", easel_request_get_path (request), FALSE);
  op->request = easel_request_copy (request);
  op->streaming = request->stream;
  op->n_expected_images = request->n > 0 ? (guint) request->n : 1;
  op->event_func = event_func;
  op->event_data = event_data;
  op->event_data_destroy = event_data_destroy;

  /* A streamed turn lives on the server in background mode, so that a
   * broken stream can be resumed instead of paid for twice. */
  op->background = request->api == EASEL_API_RESPONSES && request->stream &&
                   self->background_mode && !self->background_refused;
  op->request->run_in_background = op->background;

  if (!op_build_send_body (op, &error))
    op_return_error (op, g_steal_pointer (&error));
  else if (!op_is_finished (op))
    op_start_attempt (op);

  op_unref (op);
}

EaselResult *
easel_client_send_finish (EaselClient   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (EASEL_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
easel_client_upload_file_async (EaselClient         *self,
                                GBytes              *bytes,
                                const char          *filename,
                                const char          *mime_type,
                                const char          *purpose,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(SoupMultipart) multipart = NULL;
  Op *op;

  g_return_if_fail (EASEL_IS_CLIENT (self));
  g_return_if_fail (bytes != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_client_upload_file_async);

  multipart = soup_multipart_new ("multipart/form-data");
  soup_multipart_append_form_string (multipart, "purpose", purpose ? purpose : "vision");
  soup_multipart_append_form_file (multipart, "file",
                                   filename ? filename : "image.png",
                                   mime_type ? mime_type : "application/octet-stream",
                                   bytes);

  op = op_new (self, OP_UPLOAD, task, "POST", "/files", FALSE);
  op_set_multipart (op, multipart);
  if (!op_is_finished (op))
    op_start_attempt (op);
  op_unref (op);
}

char *
easel_client_upload_file_finish (EaselClient   *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (EASEL_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
easel_client_list_models_async (EaselClient         *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Op *op;

  g_return_if_fail (EASEL_IS_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_client_list_models_async);

  op = op_new (self, OP_MODELS, task, "GET", "/models", FALSE);
  if (!op_is_finished (op))
    op_start_attempt (op);
  op_unref (op);
}

GStrv
easel_client_list_models_finish (EaselClient   *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (EASEL_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
easel_client_moderate_async (EaselClient         *self,
                             const char          *text,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonNode) node = NULL;
  char *json;
  Op *op;

  g_return_if_fail (EASEL_IS_CLIENT (self));
  g_return_if_fail (text != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_client_moderate_async);

  node = easel_moderation_request_to_json (text);
  json = json_to_string (node, FALSE);

  op = op_new (self, OP_MODERATE, task, "POST", "/moderations", FALSE);
  op->body = g_bytes_new_take (json, strlen (json));
  op->content_type = g_strdup ("application/json");
  if (!op_is_finished (op))
    op_start_attempt (op);
  op_unref (op);
}

EaselModeration *
easel_client_moderate_finish (EaselClient   *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (EASEL_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
easel_client_fetch_url_async (EaselClient         *self,
                              const char          *url,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Op *op;

  g_return_if_fail (EASEL_IS_CLIENT (self));
  g_return_if_fail (url != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_client_fetch_url_async);

  op = op_new (self, OP_FETCH, task, "GET", url, TRUE);
  if (!op_is_finished (op))
    op_start_attempt (op);
  op_unref (op);
}

GBytes *
easel_client_fetch_url_finish (EaselClient   *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (EASEL_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
easel_client_call_json_async (EaselClient         *self,
                              const char          *method,
                              const char          *path,
                              JsonNode            *body,
                              EaselCallFlags       flags,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Op *op;

  g_return_if_fail (EASEL_IS_CLIENT (self));
  g_return_if_fail (method != NULL);
  g_return_if_fail (path != NULL && path[0] == '/');
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_client_call_json_async);

  op = op_new (self, OP_JSON, task, method, path, FALSE);
  op->no_network_retry = (flags & EASEL_CALL_NOT_IDEMPOTENT) != 0;
  if (body != NULL)
    {
      char *json = json_to_string (body, FALSE);

      op->body = g_bytes_new_take (json, strlen (json));
      op->content_type = g_strdup ("application/json");
    }
  if (!op_is_finished (op))
    op_start_attempt (op);
  op_unref (op);
}

JsonNode *
easel_client_call_json_finish (EaselClient   *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (EASEL_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
easel_client_is_safe_id (const char *id)
{
  gsize len;

  if (id == NULL || (len = strlen (id)) == 0 || len > 128)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (id[i]) && id[i] != '-' && id[i] != '_')
      return FALSE;
  return TRUE;
}

void
easel_client_download_file_async (EaselClient         *self,
                                  const char          *file_id,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *path = NULL;
  Op *op;

  g_return_if_fail (EASEL_IS_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_client_download_file_async);

  /* The id usually comes from the server: it never picks the path. */
  if (!easel_client_is_safe_id (file_id))
    {
      g_task_return_new_error (task, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE,
                               "The server named a file with an invalid id");
      return;
    }

  path = g_strdup_printf ("/files/%s/content", file_id);
  op = op_new (self, OP_FETCH, task, "GET", path, FALSE);
  if (!op_is_finished (op))
    op_start_attempt (op);
  op_unref (op);
}

GBytes *
easel_client_download_file_finish (EaselClient   *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (EASEL_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
easel_client_download_file_to_async (EaselClient         *self,
                                     const char          *file_id,
                                     GFile               *dest,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *part_path = NULL;
  g_autoptr(GFile) part = NULL;
  GFileOutputStream *out;
  Op *op;

  g_return_if_fail (EASEL_IS_CLIENT (self));
  g_return_if_fail (G_IS_FILE (dest) && g_file_peek_path (dest) != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_client_download_file_to_async);

  if (!easel_client_is_safe_id (file_id))
    {
      g_task_return_new_error (task, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE,
                               "The server named a file with an invalid id");
      return;
    }
  /* Opening a local file for writing: the rest of the I/O is async. */
  part_path = g_strconcat (g_file_peek_path (dest), ".part", NULL);
  part = g_file_new_for_path (part_path);
  out = g_file_replace (part, NULL, FALSE, G_FILE_CREATE_PRIVATE, cancellable, &error);
  if (out == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  path = g_strdup_printf ("/files/%s/content", file_id);
  op = op_new (self, OP_DOWNLOAD, task, "GET", path, FALSE);
  op->out = G_OUTPUT_STREAM (out);
  op->part = g_steal_pointer (&part);
  op->dest = g_object_ref (dest);
  if (!op_is_finished (op))
    op_start_attempt (op);
  op_unref (op);
}

gboolean
easel_client_download_file_to_finish (EaselClient   *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (EASEL_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_pointer (G_TASK (result), error) != NULL;
}

void
easel_client_resume_async (EaselClient         *self,
                           const char          *response_id,
                           gint64               starting_after,
                           EaselEventFunc       event_func,
                           gpointer             event_data,
                           GDestroyNotify       event_data_destroy,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Op *op;

  g_return_if_fail (EASEL_IS_CLIENT (self));
  g_return_if_fail (response_id != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_client_resume_async);

  if (!is_valid_response_id (response_id))
    {
      if (event_data_destroy != NULL)
        event_data_destroy (event_data);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "“%s” is not a response id (resp_…)", response_id);
      return;
    }

  op = op_new (self, OP_SEND, task, "GET", "/responses", FALSE);
  op->request = easel_request_new (EASEL_API_RESPONSES);
  op->request->stream = TRUE;
  op->request->run_in_background = TRUE;
  op->background = TRUE;
  op->response_id = g_strdup (response_id);
  op->last_seq = MAX (starting_after, -1);
  op->result = easel_result_new (EASEL_API_RESPONSES);
  op->event_func = event_func;
  op->event_data = event_data;
  op->event_data_destroy = event_data_destroy;
  op_set_resume_url (op);

  if (!op_is_finished (op))
    op_start_attempt (op);
  op_unref (op);
}

EaselResult *
easel_client_resume_finish (EaselClient   *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (EASEL_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
