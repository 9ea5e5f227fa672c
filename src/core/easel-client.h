/* easel-client.h: the async OpenAI image client over libsoup 3
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include "easel-moderation.h"
#include "easel-request.h"
#include "easel-result.h"
#include "easel-retry.h"

G_BEGIN_DECLS

#define EASEL_TYPE_CLIENT (easel_client_get_type ())
G_DECLARE_FINAL_TYPE (EaselClient, easel_client, EASEL, CLIENT, GObject)

/* Called on the thread-default main context of the caller, in stream order,
 * for every event, after JSON and base64 were handled in a worker thread. */
typedef void (*EaselEventFunc) (const EaselEvent *event, gpointer user_data);

/* Properties: "base-url", "api-key" (write-only, never logged),
 * "organization", "user-agent". Signals:
 *   "retrying" (guint attempt, gint64 delay_ms, GError *why): a retry is scheduled.
 *   "reconnecting" (guint attempt, gint64 delay_ms, GError *why): the stream of a
 *     background response broke after response.created; it is fetched again
 *     with GET /responses/{id} (never a second POST). Show "Reconnecting…".
 *   "background-refused" (GError *why): the server refused background mode;
 *     this turn and the next ones to this server go as plain streams, which
 *     cannot be resumed. Emitted once per client and server. */
EaselClient *easel_client_new               (const char *base_url, const char *api_key);
const char  *easel_client_get_base_url      (EaselClient *self);
void         easel_client_set_base_url      (EaselClient *self, const char *base_url);
void         easel_client_set_api_key       (EaselClient *self, const char *api_key);
gboolean     easel_client_has_api_key       (EaselClient *self);
void         easel_client_set_organization  (EaselClient *self, const char *organization);
void         easel_client_set_retry_policy  (EaselClient *self, const EaselRetryPolicy *policy);
/* Fails a request whose server sends no byte for @seconds once the response
 * headers arrived (default 60; 0: never). Such a request is not re-sent: it
 * may have been billed. Connecting and waiting for the headers are bounded
 * by the session's 600 s instead. The limits on sizes are fixed: 128 MiB per
 * stream event, 512 MiB per body, 1 MiB kept of an error body, all counted
 * after gzip decoding. API calls never follow redirects. */
void         easel_client_set_idle_timeout  (EaselClient *self, guint seconds);
guint        easel_client_get_idle_timeout  (EaselClient *self);
/* Streamed Responses turns are sent with `background: true` (default TRUE)
 * so that a broken stream can be resumed and a cancel reaches the server. */
void         easel_client_set_background_mode    (EaselClient *self, gboolean background_mode);
/* TRUE once the current server refused background mode. */
gboolean     easel_client_get_background_refused (EaselClient *self);
/* Logs requests with g_debug, Authorization redacted (EASEL_DEBUG_HTTP=1 too). */
void         easel_client_set_debug         (EaselClient *self, gboolean debug);
/* By default a request to a model past its retirement date fails locally
 * (EASEL_VALIDATION_ERROR_RETIRED) before anything is sent; a compatible
 * server that still serves the model can allow it. */
void         easel_client_set_allow_retired (EaselClient *self, gboolean allow_retired);

/* Validates, sends, retries per the SDK policy (never once a stream has
 * delivered an event) and, when @request->stream is set, parses SSE
 * incrementally. */
void         easel_client_send_async        (EaselClient         *self,
                                             const EaselRequest  *request,
                                             EaselEventFunc       event_func,
                                             gpointer             event_data,
                                             GDestroyNotify       event_data_destroy,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
EaselResult *easel_client_send_finish       (EaselClient   *self,
                                             GAsyncResult  *result,
                                             GError       **error);

/* Fetches a background response by id: streams its events after
 * @starting_after (-1: all of them) with GET /responses/{id}?stream=true,
 * reconnecting and then polling as send does, to the same result. For a turn
 * that was in progress when a program died. Cancelling it cancels the
 * response on the server. */
void         easel_client_resume_async      (EaselClient         *self,
                                             const char          *response_id,
                                             gint64               starting_after,
                                             EaselEventFunc       event_func,
                                             gpointer             event_data,
                                             GDestroyNotify       event_data_destroy,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
EaselResult *easel_client_resume_finish     (EaselClient   *self,
                                             GAsyncResult  *result,
                                             GError       **error);

/* POST /files (multipart, purpose "vision" by default). Returns the file id. */
void         easel_client_upload_file_async  (EaselClient         *self,
                                              GBytes              *bytes,
                                              const char          *filename,
                                              const char          *mime_type,
                                              const char          *purpose,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
char        *easel_client_upload_file_finish (EaselClient   *self,
                                              GAsyncResult  *result,
                                              GError       **error);

/* GET /models: a cheap way to test a key. Returns the model ids. */
void         easel_client_list_models_async  (EaselClient         *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GStrv        easel_client_list_models_finish (EaselClient   *self,
                                              GAsyncResult  *result,
                                              GError       **error);

/* POST /moderations with @text (free of charge): the pre-check a caller
 * runs before a paid request when the "moderation-check" setting is on. */
void             easel_client_moderate_async  (EaselClient         *self,
                                               const char          *text,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
EaselModeration *easel_client_moderate_finish (EaselClient   *self,
                                               GAsyncResult  *result,
                                               GError       **error);

/* Downloads an image URL returned by dall-e (response_format=url). */
void         easel_client_fetch_url_async    (EaselClient         *self,
                                              const char          *url,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GBytes      *easel_client_fetch_url_finish   (EaselClient   *self,
                                              GAsyncResult  *result,
                                              GError       **error);

typedef enum
{
  EASEL_CALL_DEFAULT        = 0,
  /* A call that must not happen twice (creating a batch): a network error,
   * where the server may have acted without answering, is not retried.
   * Answers such as 429 and 5xx still are. */
  EASEL_CALL_NOT_IDEMPOTENT = 1 << 0,
} EaselCallFlags;

/* Any other JSON call (the Batch API): @method @path (e.g. "/batches") with
 * @body (nullable) as JSON. Retries, redaction and size caps as above.
 * Returns the JSON object the server answered (transfer full). */
void         easel_client_call_json_async    (EaselClient         *self,
                                              const char          *method,
                                              const char          *path,
                                              JsonNode            *body,
                                              EaselCallFlags       flags,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
JsonNode    *easel_client_call_json_finish   (EaselClient   *self,
                                              GAsyncResult  *result,
                                              GError       **error);

/* GET /files/{id}/content with the key. @file_id must pass
 * easel_client_is_safe_id() (it often comes from the server). Bounded by
 * the body limit (512 MiB). */
void         easel_client_download_file_async  (EaselClient         *self,
                                                const char          *file_id,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
GBytes      *easel_client_download_file_finish (EaselClient   *self,
                                                GAsyncResult  *result,
                                                GError       **error);

/* The same, streamed to the local file @dest: written as "@dest.part" and
 * renamed to @dest once complete, so @dest is never a partial file (a
 * process killed mid-way leaves only the .part, which the next download
 * replaces). For files beyond the body limit: up to 64 GiB. */
void         easel_client_download_file_to_async  (EaselClient         *self,
                                                   const char          *file_id,
                                                   GFile               *dest,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean     easel_client_download_file_to_finish (EaselClient   *self,
                                                   GAsyncResult  *result,
                                                   GError       **error);

/* An id fit for a URL path: 1-128 of [A-Za-z0-9_-]. */
gboolean     easel_client_is_safe_id          (const char *id);

G_END_DECLS
