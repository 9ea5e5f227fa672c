/* hostile-server.h: an in-process server that misbehaves on purpose
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A SoupServer on 127.0.0.1, serving on the caller's thread-default main
 * context, that answers every request with one chosen bad behaviour. Bodies
 * that could be endless are produced one chunk at a time, as the client
 * reads them, and stop at a hard limit so that a client without the fix
 * fails its test instead of hanging or eating memory.
 */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef enum
{
  EASEL_HOSTILE_DEEP_JSON,         /* 200 JSON nested 100 000 deep */
  EASEL_HOSTILE_DEEP_EVENT,        /* one SSE event nested 100 000 deep */
  EASEL_HOSTILE_OVERSIZE_EVENT,    /* "data: AAAA…" without end, 64 KiB a chunk */
  EASEL_HOSTILE_ENDLESS_PARTIALS,  /* partial_image events without end */
  EASEL_HOSTILE_ENDLESS_FINALS,    /* image_generation.completed events without end */
  EASEL_HOSTILE_STALL,             /* 200 text/event-stream headers, then nothing */
  EASEL_HOSTILE_STALL_JSON,        /* 200 application/json headers, then nothing */
  EASEL_HOSTILE_CONTROL_CHARS,     /* 400 error whose fields hold escapes, CR, NUL */
  EASEL_HOSTILE_REDIRECT,          /* 307 to a second server on another port */
  EASEL_HOSTILE_GZIP_BOMB,         /* 200 JSON, gzip, inflating to 64 MiB */
  EASEL_HOSTILE_ENDLESS_ERROR,     /* 500 with an error body without end */
} EaselHostileMode;

typedef struct _EaselHostileServer EaselHostileServer;

EaselHostileServer *easel_hostile_server_new          (EaselHostileMode mode,
                                                       GError         **error);
void                easel_hostile_server_free         (EaselHostileServer *self);
/* "http://127.0.0.1:PORT/v1" */
const char         *easel_hostile_server_get_base_url (EaselHostileServer *self);
/* Requests to the hostile server itself (not the redirect target). */
guint               easel_hostile_server_get_n_requests (EaselHostileServer *self);
/* Body bytes handed to libsoup so far (compressed bytes for the bomb). */
guint64             easel_hostile_server_get_bytes_sent (EaselHostileServer *self);
/* SSE events handed to libsoup so far. */
guint               easel_hostile_server_get_n_events_sent (EaselHostileServer *self);
/* Responses still being produced (0 once the client hung up). */
guint               easel_hostile_server_get_n_active (EaselHostileServer *self);
/* Requests the redirect target received, and the Authorization header of
 * the last one (NULL: none was sent). */
guint               easel_hostile_server_get_n_redirect_hits (EaselHostileServer *self);
const char         *easel_hostile_server_get_leaked_authorization (EaselHostileServer *self);
/* The bytes of a 1×1 PNG, as partials and finals carry it. */
#define EASEL_HOSTILE_PNG_B64 "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EaselHostileServer, easel_hostile_server_free)

G_END_DECLS
