/* fake-server.h: an in-process fake OpenAI server for tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A SoupServer on 127.0.0.1 serving on the caller's thread-default main
 * context (spin it: the client under test is async too). Scripted replies
 * are served first, in order, per path; otherwise a smart default answers
 * like OpenAI would (real PNG images, full SSE sequences, ids, usage).
 *
 *   g_autoptr(EaselFakeServer) server = easel_fake_server_new (NULL);
 *   easel_fake_server_queue_reply (server, "/v1/images/generations",
 *                                  easel_fake_reply_new_json (429, "{…}"));
 *   client = easel_client_new (easel_fake_server_get_base_url (server), "sk-test");
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* The smart default's POST /v1/moderations flags any input containing this. */
#define EASEL_FAKE_FLAG_WORD "FLAGME"

typedef struct _EaselFakeServer EaselFakeServer;
typedef struct _EaselFakeReply  EaselFakeReply;

/* ---- Scripted replies ---- */

EaselFakeReply *easel_fake_reply_new       (guint status, const char *content_type, GBytes *body);
EaselFakeReply *easel_fake_reply_new_json  (guint status, const char *json);
/* 200 text/event-stream with @body replayed as is. */
EaselFakeReply *easel_fake_reply_new_sse   (GBytes *body);
/* Builds an SSE body from `event: TYPE / data: JSON` frames, one per element
 * of @json_events (NULL-terminated; the "type" member names the event). */
EaselFakeReply *easel_fake_reply_new_sse_events (const char * const *json_events);
/* Loads a transcript: *.sse (200, event stream) or *.http (status line,
 * headers, blank line, body). */
EaselFakeReply *easel_fake_reply_new_from_file (const char *path, GError **error);
/* An OpenAI error body {"error":{message,type,param,code}}. */
EaselFakeReply *easel_fake_reply_new_error (guint status, const char *type,
                                            const char *code, const char *message);
void            easel_fake_reply_add_header (EaselFakeReply *self, const char *name, const char *value);
/* Sends the body in pieces of @chunk_size bytes (0: all at once) with
 * @delay_ms between them. */
void            easel_fake_reply_set_chunking (EaselFakeReply *self, gsize chunk_size, guint delay_ms);
/* Splits the body at SSE event boundaries with @delay_ms between events. */
void            easel_fake_reply_set_event_delay (EaselFakeReply *self, guint delay_ms);
/* Ends the body cleanly after @offset bytes (a stream cut short). */
void            easel_fake_reply_set_truncate (EaselFakeReply *self, gsize offset);
/* Like set_truncate, but drops the connection instead of ending the body. */
void            easel_fake_reply_set_abort    (EaselFakeReply *self, gsize offset);
void            easel_fake_reply_free (EaselFakeReply *self);

/* ---- Recorded requests ---- */

typedef struct
{
  char               *method;
  char               *path;          /* "/v1/images/generations" */
  char               *query;         /* raw query string, or NULL */
  SoupMessageHeaders *headers;
  GBytes             *body;
  char               *content_type;  /* without parameters */
} EaselFakeRequest;

typedef struct
{
  char   *name;
  char   *filename;      /* NULL for a plain field */
  char   *content_type;
  GBytes *data;
} EaselFakePart;

/* The parts of a multipart/form-data body (EaselFakePart*), or NULL. */
GPtrArray     *easel_fake_request_parse_multipart (const EaselFakeRequest *request);
/* The first part named @name in @parts, or NULL. */
EaselFakePart *easel_fake_parts_find              (GPtrArray *parts, const char *name);
guint          easel_fake_parts_count             (GPtrArray *parts, const char *name);
/* The JSON body, or NULL. */
JsonNode      *easel_fake_request_parse_json      (const EaselFakeRequest *request);
const char    *easel_fake_request_get_header      (const EaselFakeRequest *request, const char *name);

/* ---- The server ---- */

EaselFakeServer *easel_fake_server_new          (GError **error);
/* Listens on 127.0.0.1:@port (0: any free port). */
EaselFakeServer *easel_fake_server_new_on_port  (guint port, GError **error);
void             easel_fake_server_free         (EaselFakeServer *self);
/* "http://127.0.0.1:PORT/v1" */
const char      *easel_fake_server_get_base_url (EaselFakeServer *self);
guint            easel_fake_server_get_port     (EaselFakeServer *self);

/* Queues @reply (transfer full) for the next request to @path (e.g.
 * "/v1/images/generations"); NULL matches any path. Replies for a path
 * are used in FIFO order, before any-path replies. */
void             easel_fake_server_queue_reply  (EaselFakeServer *self,
                                                 const char      *path,
                                                 EaselFakeReply  *reply);
guint            easel_fake_server_get_n_queued (EaselFakeServer *self);

/* Options for the smart default. */
void easel_fake_server_set_event_delay_ms (EaselFakeServer *self, guint delay_ms);
void easel_fake_server_set_chunk_size     (EaselFakeServer *self, gsize chunk_size);
/* The first @n API requests get 429 rate_limit_exceeded with retry-after: 1. */
void easel_fake_server_set_fail_first     (EaselFakeServer *self, guint n);
/* What those first requests get: 429 (default) or a 5xx status. */
void easel_fake_server_set_fail_first_status (EaselFakeServer *self, guint status);
/* Overrides the size of generated images (0×0: the requested size). */
void easel_fake_server_set_image_size     (EaselFakeServer *self, int width, int height);
/* Adds grain of up to @amplitude per channel to generated images, so they
 * weigh what photo-like images do (0: flat colours, the default). */
void easel_fake_server_set_image_noise    (EaselFakeServer *self, guint amplitude);
/* Paints procedural pictures from each prompt's words (a landscape or a
 * still life) instead of flat colours, with partial images that are blurred
 * versions of the final one. Off by default: tests compare colours.
 * Returns FALSE, leaving colours on, when built without cairo. */
gboolean easel_fake_server_set_pictures   (EaselFakeServer *self, gboolean pictures);
/* Echo debug lines about every request on stderr. */
void easel_fake_server_set_verbose        (EaselFakeServer *self, gboolean verbose);

/* Batches: every retrieve moves a job one step (validating → in_progress →
 * finalizing → completed). Prompts containing "FAIL" fail with a 400 in the
 * error file. @outcome: NULL (complete), "fail" (at validation), "expire"
 * or "cancel" (half the lines run, the rest go to the error file). */
void  easel_fake_server_set_batch_outcome (EaselFakeServer *self, const char *outcome);
/* The next /files/{id}/content download drops the connection after
 * @offset bytes (-1: none). One-shot. */
void  easel_fake_server_set_content_abort (EaselFakeServer *self, gssize offset);
/* Every content download comes in pieces of @chunk_size bytes, @delay_ms apart. */
void  easel_fake_server_set_content_chunking (EaselFakeServer *self, gsize chunk_size, guint delay_ms);
/* Background responses (`background: true`) are kept by id: GET
 * /v1/responses/{id} answers the Response (completed, unless cancelled or
 * in-progress polls are left), GET …?stream=true&starting_after=N replays
 * the events after N, POST …/cancel marks it cancelled. */
/* A POST asking for background mode gets 400 (param "background"). */
void easel_fake_server_set_refuse_background    (EaselFakeServer *self, gboolean refuse);
/* The next @n_streams background POST streams drop the connection right
 * after their first partial image. */
void easel_fake_server_set_drop_after_partial   (EaselFakeServer *self, guint n_streams);
/* The next @n plain GETs of a response say it is still in progress. */
void easel_fake_server_set_in_progress_polls    (EaselFakeServer *self, guint n);
/* GET …?stream=true gets 400: the client has to poll. */
void easel_fake_server_set_refuse_resume_stream (EaselFakeServer *self, gboolean refuse);
/* Background responses are not kept: GET and cancel answer 404. */
void easel_fake_server_set_forget_responses     (EaselFakeServer *self, gboolean forget);
gboolean easel_fake_server_is_cancelled         (EaselFakeServer *self, const char *response_id);
/* Recorded requests with @method (NULL: any) to @path_prefix: the same
 * path, or any path under it when it ends with "/". */
guint easel_fake_server_count_requests          (EaselFakeServer *self, const char *method,
                                                 const char *path_prefix);

guint                   easel_fake_server_get_n_requests     (EaselFakeServer *self);
const EaselFakeRequest *easel_fake_server_get_request        (EaselFakeServer *self, guint index);
const EaselFakeRequest *easel_fake_server_get_last_request   (EaselFakeServer *self);
void                    easel_fake_server_clear_requests     (EaselFakeServer *self);
/* Responses bodies being replayed right now (tests of cancellation). */
guint                   easel_fake_server_get_n_active       (EaselFakeServer *self);

void easel_fake_part_free (EaselFakePart *part);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EaselFakeServer, easel_fake_server_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EaselFakeReply, easel_fake_reply_free)

G_END_DECLS
