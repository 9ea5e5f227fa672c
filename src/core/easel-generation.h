/* easel-generation.h: EaselGeneration, one row of the library (see easel-store.h)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum
{
  EASEL_GENERATION_OK,
  EASEL_GENERATION_FAILED,
  EASEL_GENERATION_MODERATED,
  EASEL_GENERATION_CANCELLED,
  EASEL_GENERATION_INCOMPLETE,  /* the stream broke: the image is the last partial the user saw;
                                 * the server may have billed it (cost is the estimate) */
} EaselGenerationStatus;

const char *easel_generation_status_to_string   (EaselGenerationStatus status); /* "ok", "failed", "moderated", "cancelled", "incomplete" */
gboolean    easel_generation_status_from_string (const char *str, EaselGenerationStatus *status);

/* ---------------------------------------------------------------------------
 * EaselGeneration: one row of `generations` (one image, or one failed request).
 * A GObject so it can sit in a GListStore for a GtkGridView. Fields are
 * public and read-only by convention; a few are also properties for
 * <lookup> bindings in .ui files.
 *
 * Properties (read-only): "id" (int64), "prompt", "revised-prompt", "model",
 * "path" (absolute image path or NULL), "size", "created" (int64 unix
 * seconds), "starred" (boolean), "status" (string), "cost" (double: actual
 * dollars, else the estimate, else -1).
 */
#define EASEL_TYPE_GENERATION (easel_generation_get_type ())
G_DECLARE_FINAL_TYPE (EaselGeneration, easel_generation, EASEL, GENERATION, GObject)

struct _EaselGeneration
{
  GObject parent_instance;

  gint64  id;                    /* 0 until inserted */
  char   *sha256;                /* image file hash; NULL for a failed request */
  char   *path;                  /* absolute path of the image file, NULL if none */
  char   *model;
  char   *api;                   /* easel_api_to_string(): "generate", "edit", … */
  char   *params_json;           /* easel_request_params_to_json(), every parameter */
  char   *prompt;
  char   *revised_prompt;
  char   *action;                /* Responses: generate / edit */
  char   *size;
  char   *format;                /* png, jpeg, webp */
  char   *background;
  char   *quality;
  char   *usage_json;            /* the usage object as reported, or NULL */
  gint64  input_tokens;          /* this row's share of the request's usage */
  gint64  output_tokens;
  double  estimated_usd;         /* -1 when unknown */
  double  actual_usd;            /* from usage; -1 when no usage was reported */
  gint64  created;               /* unix seconds */
  gint64  parent_generation_id;  /* 0 = none (edits/variations of a library image) */
  char   *mask_sha256;           /* the edit mask, stored like an image; NULL if none */
  gint64  conversation_id;       /* 0 = none */
  gint64  turn_id;               /* 0 = none */
  gboolean starred;
  char   *request_hash;          /* easel_request_cache_key(): the identical-request cache key;
                                 * NULL for imported rows (they never answer the cache) */
  EaselGenerationStatus status;
  char   *error_type;            /* for failed/moderated: "invalid_request_error", … */
  char   *error_code;            /* "moderation_blocked", … */
  char   *error_message;
  char   *response_id;           /* Responses */
  char   *image_call_id;         /* Responses image_generation_call id */
  gint64  deleted_at;            /* 0 = live; unix seconds when soft-deleted */
  gboolean picked;               /* the image of an n>1 answer the user picked (always TRUE for n=1) */
};

/* An empty record (numbers 0, costs -1, picked TRUE) for easel_store_insert_generation(). */
EaselGeneration *easel_generation_new      (void);
/* actual_usd when known, else estimated_usd, else -1. */
double           easel_generation_get_cost (EaselGeneration *self);

G_END_DECLS
