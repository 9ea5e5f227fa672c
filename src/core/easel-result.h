/* easel-result.h: the outcome of one request
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>
#include "easel-event.h"
#include "easel-request.h"

G_BEGIN_DECLS

typedef struct
{
  GBytes *bytes;           /* decoded image; NULL if the server gave only a url */
  char   *url;
  char   *revised_prompt;
  char   *item_id;         /* the image_generation_call id (Responses) */
  char   *action;
  char   *size;
  char   *quality;
  char   *background;
  char   *output_format;
} EaselImage;

EaselImage *easel_image_new  (void);
EaselImage *easel_image_copy (const EaselImage *self);
void        easel_image_free (EaselImage *self);

typedef struct
{
  EaselApi    api;
  GPtrArray  *images;          /* EaselImage*, final images only */
  char       *response_id;     /* Responses */
  char       *text;            /* the assistant's text (Responses) */
  EaselUsage  usage;           /* image tokens: Images usage, or tool_usage.image_gen */
  EaselUsage  response_usage;  /* the Responses model's own tokens */
  char       *request_id;      /* x-request-id */
  guint       n_partials;      /* partial images received */
  gint64      created;
} EaselResult;

#define EASEL_TYPE_RESULT (easel_result_get_type ())

GType        easel_result_get_type   (void) G_GNUC_CONST;
EaselResult *easel_result_new        (EaselApi api);
EaselResult *easel_result_copy       (const EaselResult *self);
void         easel_result_free       (EaselResult *self);
/* Folds one streamed event into the result (final images, ids, text, usage). */
void         easel_result_add_event  (EaselResult *self, const EaselEvent *event);
/* Parses a non-streamed body: an ImagesResponse or a Response object.
 * An image_generation_call that failed becomes an error. */
EaselResult *easel_result_new_from_json (EaselApi api, JsonNode *root, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EaselImage, easel_image_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EaselResult, easel_result_free)

G_END_DECLS
