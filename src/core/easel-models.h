/* easel-models.h: what each image model accepts, in one table
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "easel-request.h"

G_BEGIN_DECLS

#define EASEL_VALIDATION_ERROR (easel_validation_error_quark ())

typedef enum
{
  EASEL_VALIDATION_ERROR_INVALID_VALUE,   /* a size, quality, format… the model does not take */
  EASEL_VALIDATION_ERROR_UNSUPPORTED,     /* an option or endpoint the model lacks */
  EASEL_VALIDATION_ERROR_MISSING,         /* prompt, image… required */
  EASEL_VALIDATION_ERROR_TOO_LONG,        /* prompt over the model's limit */
  EASEL_VALIDATION_ERROR_TOO_LARGE,       /* an input file over the size limit */
  EASEL_VALIDATION_ERROR_RETIRED,         /* the model is past its retirement date */
} EaselValidationErrorCode;

GQuark easel_validation_error_quark (void);

/* "auto", "default", "flex", "priority": the service_tier values offered. */
extern const char * const easel_service_tiers[];

typedef struct
{
  const char         *id;
  const char         *display_name;
  gboolean            token_priced;        /* gpt-image-*: tokens, dall-e: per image */
  const char * const *sizes;               /* NULL-terminated */
  gboolean            custom_sizes;        /* accepts other WxH within limits */
  const char * const *qualities;
  const char * const *output_formats;      /* NULL: the model has no output_format */
  const char * const *backgrounds;         /* NULL: no background option */
  const char * const *moderations;
  const char * const *input_fidelities;    /* NULL: not supported */
  const char * const *styles;              /* dall-e-3 */
  const char * const *response_formats;    /* dall-e */
  int                 max_n;
  gsize               max_prompt_chars;
  gboolean            supports_generate;
  gboolean            supports_edit;
  gboolean            supports_variation;
  gboolean            supports_stream;     /* stream + partial_images */
  gboolean            supports_compression;
  gboolean            supports_responses_tool;
  int                 max_edit_images;
  gsize               max_image_bytes;     /* per input file */
  gboolean            edit_needs_square_png;
  const char         *retirement_date;     /* "YYYY-MM-DD" (UTC) when OpenAI stops serving it, or NULL */
} EaselModelInfo;

/* NULL for an unknown model: compatible servers may have their own. */
const EaselModelInfo  *easel_model_lookup (const char *model);
/* The model's name as people read it ("GPT Image 1.5"), or @model itself
 * when Easel does not know it (a compatible server's own model). */
const char            *easel_model_display_name (const char *model);
/* NULL-terminated list of every known model, in display order. */
const EaselModelInfo **easel_model_list   (void);
const char            *easel_model_default (EaselApi api);

/* The day the model stops being served, as UTC midnight, or NULL when none
 * is announced. */
GDateTime *easel_model_get_retirement_date (const EaselModelInfo *info);
/* TRUE once @now (NULL: the current time) is on or after the retirement
 * date. Pickers use it to mark or hide a model. */
gboolean   easel_model_is_retired          (const EaselModelInfo *info,
                                            GDateTime            *now);

gboolean easel_model_supports_value (const EaselModelInfo *info,
                                     const char           *option,  /* "size", "quality", … */
                                     const char           *value);

/* Checks @request against its model before anything is sent. Unknown models
 * pass, with only model-independent checks (prompt present, partial_images
 * 0–3, transparent only with png/webp, compression 0–100…). */
gboolean easel_request_validate (const EaselRequest *request,
                                 GError            **error);

/* EASEL_VALIDATION_ERROR_RETIRED when @request's image model is retired at
 * @now (NULL: the current time). Kept apart from easel_request_validate()
 * because a compatible server may still serve a model OpenAI retired; the
 * client runs both before it sends anything. */
gboolean easel_request_check_retired (const EaselRequest *request,
                                      GDateTime          *now,
                                      GError            **error);

/* "1536x864" → 1536, 864. FALSE for "auto" or anything not WIDTHxHEIGHT. */
gboolean easel_parse_size (const char *size,
                           int        *width,
                           int        *height);

/* The mask must be a PNG with an alpha channel and the image's pixel size.
 * Reads headers only (GdkPixbufLoader size-prepared, PNG IHDR/tRNS), so it
 * is cheap even for large files. EASEL_VALIDATION_ERROR_INVALID_VALUE. */
gboolean easel_validate_mask_matches_image (GBytes  *image,
                                            GBytes  *mask,
                                            GError **error);

G_END_DECLS
