/* easel-event.h: typed streaming events of both image APIs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include "easel-usage.h"

G_BEGIN_DECLS

typedef enum
{
  EASEL_EVENT_UNKNOWN = 0,          /* any type we do not know: ignored */
  EASEL_EVENT_RESPONSE_CREATED,     /* response.created: response_id */
  EASEL_EVENT_RESPONSE_IN_PROGRESS,
  EASEL_EVENT_RESPONSE_COMPLETED,   /* response.completed: response_id, usage (tool_usage.image_gen), response_usage */
  EASEL_EVENT_RESPONSE_FAILED,      /* response.failed / response.incomplete: error */
  EASEL_EVENT_OUTPUT_ITEM_ADDED,
  EASEL_EVENT_OUTPUT_ITEM_DONE,     /* a non-image item (message, reasoning) is done */
  EASEL_EVENT_IMAGE_CALL_IN_PROGRESS,
  EASEL_EVENT_IMAGE_CALL_GENERATING,
  EASEL_EVENT_IMAGE_CALL_COMPLETED, /* carries no image */
  EASEL_EVENT_PARTIAL_IMAGE,        /* image_generation.partial_image, image_edit.partial_image, response.image_generation_call.partial_image */
  EASEL_EVENT_IMAGE_DONE,           /* image_generation.completed, image_edit.completed, or an image_generation_call item done with a non-null result */
  EASEL_EVENT_TEXT_DELTA,           /* response.output_text.delta */
  EASEL_EVENT_TEXT_DONE,            /* response.output_text.done */
  EASEL_EVENT_ERROR,                /* `error` event (nested or flat), or an image call that failed (moderation) */
} EaselEventKind;

typedef struct
{
  EaselEventKind kind;
  char   *type;                 /* the JSON "type" */
  gint64  sequence_number;      /* -1 when absent */
  int     output_index;         /* -1 when absent */
  int     partial_image_index;  /* -1 when absent */
  char   *item_id;              /* ig_… / msg_… */
  char   *response_id;          /* for response.* events */
  char   *status;
  GBytes *image;                /* decoded image bytes (partial or final) */
  char   *size;
  char   *quality;
  char   *background;
  char   *output_format;
  char   *revised_prompt;
  char   *action;
  char   *text;                 /* delta, or the full text */
  gint64  created_at;
  EaselUsage usage;             /* image usage: images *.completed, or tool_usage.image_gen */
  EaselUsage response_usage;    /* the Responses model's own usage */
  GError *error;                /* EASEL_EVENT_ERROR and RESPONSE_FAILED: EASEL_API_ERROR */
} EaselEvent;

#define EASEL_TYPE_EVENT (easel_event_get_type ())

GType       easel_event_get_type (void) G_GNUC_CONST;
/* Parses one SSE `data:` payload (JSON), dispatching on its "type" and
 * decoding base64 images. Heavy for big events: call it from a worker thread.
 * Fails (EASEL_API_ERROR_BAD_RESPONSE) for invalid JSON or bad base64. */
EaselEvent *easel_event_parse    (const char *data, gsize len, GError **error);
EaselEvent *easel_event_copy     (const EaselEvent *self);
void        easel_event_free     (EaselEvent *self);
const char *easel_event_kind_to_string (EaselEventKind kind);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EaselEvent, easel_event_free)

G_END_DECLS
