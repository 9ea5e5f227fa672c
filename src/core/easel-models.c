/* easel-models.c: what each image model accepts, in one table
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Sources, cited per fact below:
 *   [spec]  ../shared/openai-spec/openai-images-subset.yaml (openai-openapi f85dbe22, 2026-08)
 *   [guide] ../shared/reference/002_*.txt (OpenAI "Image generation" guide, 2026)
 *   [ref]   ../shared/reference/001_*.txt (API reference digest, May 2025)
 *   [notes] ../shared/openai-spec/NOTES.md §3 (SDK 7.57.0 deprecations)
 */

#define G_LOG_DOMAIN "easel-models"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "easel-models.h"
#include "easel-image-size.h"

G_DEFINE_QUARK (easel-validation-error-quark, easel_validation_error)

/* [spec] ServiceTierResponses also lists scale, fast and ultrafast, which
 * are access-controlled or aliases; Easel offers the four any account has. */
const char * const easel_service_tiers[] = { "auto", "default", "flex", "priority", NULL };

/* [spec] CreateImageRequest.size: the three standard sizes are "supported by
 * the GPT image models; auto is supported for models that allow automatic
 * sizing"; [guide] lists auto as the default for GPT Image. */
static const char * const gpt_sizes[] = { "1024x1024", "1536x1024", "1024x1536", "auto", NULL };
/* [spec] "For dall-e-3, use one of 1024x1024, 1792x1024, or 1024x1792". */
static const char * const dalle3_sizes[] = { "1024x1024", "1792x1024", "1024x1792", NULL };
/* [spec] "For dall-e-2, use one of 256x256, 512x512, or 1024x1024". */
static const char * const dalle2_sizes[] = { "256x256", "512x512", "1024x1024", NULL };

/* [spec] CreateImageRequest.quality: low/medium/high for GPT image models,
 * hd/standard for dall-e-3, "standard is the only option for dall-e-2";
 * auto is the default. */
static const char * const gpt_qualities[] = { "low", "medium", "high", "auto", NULL };
static const char * const dalle3_qualities[] = { "standard", "hd", NULL };
static const char * const dalle2_qualities[] = { "standard", NULL };

/* [spec] output_format, background, moderation: GPT image models only. */
static const char * const gpt_formats[] = { "png", "jpeg", "webp", NULL };
static const char * const gpt_backgrounds[] = { "transparent", "opaque", "auto", NULL };
static const char * const gpt_moderations[] = { "auto", "low", NULL };
/* [spec] InputFidelity: "only supported for gpt-image-1 and gpt-image-1.5 and
 * later models, unsupported for gpt-image-1-mini". */
static const char * const fidelities[] = { "high", "low", NULL };
/* [spec] style: dall-e-3 only. */
static const char * const dalle3_styles[] = { "vivid", "natural", NULL };
/* [spec] response_format: dall-e only; GPT image models always return b64. */
static const char * const dalle_response_formats[] = { "url", "b64_json", NULL };

#define MB (1024 * 1024)

static const EaselModelInfo model_table[] = {
  {
    .id = "gpt-image-2",
    .display_name = "GPT Image 2",
    .token_priced = TRUE,
    .sizes = gpt_sizes,
    /* [spec] size: "For gpt-image-2 … arbitrary resolutions are supported as
     * WIDTHxHEIGHT … divisible by 16 … aspect ratio between 1:3 and 3:1 …
     * maximum supported resolution is 3840x2160". */
    .custom_sizes = TRUE,
    .qualities = gpt_qualities,
    .output_formats = gpt_formats,
    .backgrounds = gpt_backgrounds,   /* [spec] transparent is "in preview" for gpt-image-2 */
    .moderations = gpt_moderations,
    .input_fidelities = fidelities,   /* [spec] "gpt-image-1.5 and later models" */
    .max_n = 10,                      /* [spec] n: 1–10 */
    .max_prompt_chars = 32000,        /* [spec] prompt: 32000 for the GPT image models */
    .supports_generate = TRUE,
    .supports_edit = TRUE,            /* [spec] CreateImageEditRequest.model enum */
    .supports_stream = TRUE,          /* [spec] stream: GPT image models */
    .supports_compression = TRUE,     /* [spec] output_compression: GPT image models, jpeg/webp */
    .supports_responses_tool = TRUE,  /* [spec] ImageGenTool.model enum */
    .max_edit_images = 16,            /* [spec] "up to 16 images" */
    .max_image_bytes = 50 * MB,       /* [spec] "less than 50MB" */
  },
  {
    .id = "gpt-image-1.5",
    .display_name = "GPT Image 1.5",
    .token_priced = TRUE,
    .sizes = gpt_sizes,
    .qualities = gpt_qualities,
    .output_formats = gpt_formats,
    .backgrounds = gpt_backgrounds,   /* [guide] Transparency: gpt-image-1.5, -1, -1-mini */
    .moderations = gpt_moderations,   /* [guide] moderation: gpt-image-1.5, -1, -1-mini */
    .input_fidelities = fidelities,   /* [spec] InputFidelity */
    .max_n = 10,
    .max_prompt_chars = 32000,
    .supports_generate = TRUE,
    .supports_edit = TRUE,
    .supports_stream = TRUE,
    .supports_compression = TRUE,
    .supports_responses_tool = TRUE,  /* [guide] "The image generation tool … uses gpt-image-1.5, …" */
    .max_edit_images = 16,
    .max_image_bytes = 50 * MB,
  },
  {
    .id = "gpt-image-1",
    .display_name = "GPT Image 1",
    .token_priced = TRUE,
    .sizes = gpt_sizes,
    .qualities = gpt_qualities,
    .output_formats = gpt_formats,
    .backgrounds = gpt_backgrounds,
    .moderations = gpt_moderations,
    .input_fidelities = fidelities,   /* [spec] InputFidelity names gpt-image-1 */
    .max_n = 10,
    .max_prompt_chars = 32000,
    .supports_generate = TRUE,
    .supports_edit = TRUE,
    .supports_stream = TRUE,          /* [guide] streaming example uses gpt-image-1 */
    .supports_compression = TRUE,
    .supports_responses_tool = TRUE,
    .max_edit_images = 16,
    .max_image_bytes = 50 * MB,
    .retirement_date = "2026-10-23", /* [notes] "shut down on October 23, 2026" */
  },
  {
    .id = "gpt-image-1-mini",
    .display_name = "GPT Image 1 mini",
    .token_priced = TRUE,
    .sizes = gpt_sizes,
    .qualities = gpt_qualities,
    .output_formats = gpt_formats,
    .backgrounds = gpt_backgrounds,
    .moderations = gpt_moderations,
    .input_fidelities = NULL,         /* [spec] "unsupported for gpt-image-1-mini" */
    .max_n = 10,
    .max_prompt_chars = 32000,
    .supports_generate = TRUE,
    .supports_edit = TRUE,
    .supports_stream = TRUE,
    .supports_compression = TRUE,
    .supports_responses_tool = TRUE,
    .max_edit_images = 16,
    .max_image_bytes = 50 * MB,
  },
  {
    /* [spec] edits: "chatgpt-image-latest follows the same input constraints
     * as GPT image models"; it is not in the generations enum, but `model` is
     * an open string there, so generation is left to the server to refuse.
     * [guide] it takes the Responses `action` parameter. */
    .id = "chatgpt-image-latest",
    .display_name = "ChatGPT Image (latest)",
    .token_priced = TRUE,
    .sizes = gpt_sizes,
    .qualities = gpt_qualities,
    .output_formats = gpt_formats,
    .backgrounds = gpt_backgrounds,
    .moderations = gpt_moderations,
    .input_fidelities = fidelities,
    .max_n = 10,
    .max_prompt_chars = 32000,
    .supports_generate = TRUE,
    .supports_edit = TRUE,
    .supports_stream = TRUE,
    .supports_compression = TRUE,
    .supports_responses_tool = TRUE,  /* [spec] ImageGenTool.model description */
    .max_edit_images = 16,
    .max_image_bytes = 50 * MB,
  },
  {
    .id = "dall-e-3",
    .display_name = "DALL·E 3",
    .token_priced = FALSE,            /* [guide] "Cost for DALL·E 3 is fixed … per image" */
    .sizes = dalle3_sizes,
    .qualities = dalle3_qualities,
    .styles = dalle3_styles,
    .response_formats = dalle_response_formats,
    .max_n = 1,                       /* [spec] "For dall-e-3, only n=1 is supported" */
    .max_prompt_chars = 4000,         /* [spec] "4000 characters for dall-e-3" */
    .supports_generate = TRUE,        /* [ref] "Image API: Generations only" */
    .max_edit_images = 0,
    .retirement_date = "2026-05-12",  /* [notes] "retired May 12, 2026" */
  },
  {
    .id = "dall-e-2",
    .display_name = "DALL·E 2",
    .token_priced = FALSE,
    .sizes = dalle2_sizes,
    .qualities = dalle2_qualities,
    .response_formats = dalle_response_formats,
    .max_n = 10,                      /* [spec] n 1–10; [ref] "1-10" */
    .max_prompt_chars = 1000,         /* [spec] "1000 characters for dall-e-2" */
    .supports_generate = TRUE,
    .supports_edit = TRUE,
    .supports_variation = TRUE,       /* [spec] variations: "Only dall-e-2 is supported" */
    .max_edit_images = 1,             /* [spec] "For dall-e-2, you can only provide one image" */
    .max_image_bytes = 4 * MB,        /* [spec] "square png file less than 4MB" */
    .edit_needs_square_png = TRUE,
    .retirement_date = "2026-05-12",  /* [notes] "retired May 12, 2026" */
  },
};

const char *
easel_model_display_name (const char *model)
{
  const EaselModelInfo *info = easel_model_lookup (model);

  return info != NULL ? info->display_name : model;
}

const EaselModelInfo *
easel_model_lookup (const char *model)
{
  if (model == NULL)
    return NULL;

  for (guint i = 0; i < G_N_ELEMENTS (model_table); i++)
    {
      const char *id = model_table[i].id;
      gsize len = strlen (id);

      if (strcmp (model, id) == 0)
        return &model_table[i];

      /* Dated snapshots ("gpt-image-2-2026-04-21") share their family's row. */
      if (strncmp (model, id, len) == 0 && strlen (model) == len + 11 &&
          model[len] == '-' && g_ascii_isdigit (model[len + 1]) &&
          model[len + 5] == '-' && model[len + 8] == '-')
        return &model_table[i];
    }

  return NULL;
}

const EaselModelInfo **
easel_model_list (void)
{
  static const EaselModelInfo *list[G_N_ELEMENTS (model_table) + 1];
  static gsize once;

  if (g_once_init_enter (&once))
    {
      for (guint i = 0; i < G_N_ELEMENTS (model_table); i++)
        list[i] = &model_table[i];
      list[G_N_ELEMENTS (model_table)] = NULL;
      g_once_init_leave (&once, 1);
    }

  return list;
}

const char *
easel_model_default (EaselApi api)
{
  /* [spec] edits default to gpt-image-1.5; variations exist only for dall-e-2.
   * Generations default to dall-e-2 on the server, which is not what anyone
   * wants, so Easel always sends a model and picks gpt-image-1.5. */
  if (api == EASEL_API_IMAGES_VARIATION)
    return "dall-e-2";
  return "gpt-image-1.5";
}

/* ---- lifecycle ------------------------------------------------------ */

GDateTime *
easel_model_get_retirement_date (const EaselModelInfo *info)
{
  int year, month, day;

  g_return_val_if_fail (info != NULL, NULL);

  if (info->retirement_date == NULL ||
      sscanf (info->retirement_date, "%4d-%2d-%2d", &year, &month, &day) != 3)
    return NULL;
  return g_date_time_new_utc (year, month, day, 0, 0, 0);
}

gboolean
easel_model_is_retired (const EaselModelInfo *info,
                        GDateTime            *now)
{
  g_autoptr(GDateTime) retired = NULL;
  g_autoptr(GDateTime) current = NULL;

  g_return_val_if_fail (info != NULL, FALSE);

  if ((retired = easel_model_get_retirement_date (info)) == NULL)
    return FALSE;
  current = now ? g_date_time_ref (now) : g_date_time_new_now_utc ();
  return g_date_time_compare (current, retired) >= 0;
}

gboolean
easel_request_check_retired (const EaselRequest  *request,
                             GDateTime           *now,
                             GError             **error)
{
  const EaselModelInfo *info;
  g_autoptr(GDateTime) retired = NULL;
  g_autofree char *date = NULL;

  g_return_val_if_fail (request != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  info = easel_model_lookup (request->model);
  if (info == NULL && request->model == NULL && request->api == EASEL_API_IMAGES_VARIATION)
    info = easel_model_lookup ("dall-e-2");
  if (info == NULL || !easel_model_is_retired (info, now))
    return TRUE;

  retired = easel_model_get_retirement_date (info);
  date = g_date_time_format (retired, "%Y-%m-%d");
  g_set_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_RETIRED,
               "%s was retired on %s and OpenAI no longer serves it; nothing was sent. "
               "Choose %s instead",
               request->model ? request->model : info->id, date,
               request->api == EASEL_API_IMAGES_VARIATION
                 ? "an edit with gpt-image-1.5 (variations existed only for dall-e-2)"
                 : "gpt-image-1.5 or gpt-image-2");
  return FALSE;
}

/* ---- sizes ---------------------------------------------------------- */

gboolean
easel_parse_size (const char *size,
                  int        *width,
                  int        *height)
{
  const char *x;
  char *end = NULL;
  gint64 w, h;

  if (size == NULL || !g_ascii_isdigit (size[0]))
    return FALSE;
  x = strchr (size, 'x');
  if (x == NULL || !g_ascii_isdigit (x[1]))
    return FALSE;

  w = g_ascii_strtoll (size, &end, 10);
  if (end != x || w <= 0 || w > 100000)
    return FALSE;
  h = g_ascii_strtoll (x + 1, &end, 10);
  if (*end != '\0' || h <= 0 || h > 100000)
    return FALSE;

  if (width)
    *width = (int) w;
  if (height)
    *height = (int) h;
  return TRUE;
}

/* [spec] gpt-image-2 custom sizes: both edges divisible by 16, aspect ratio
 * between 1:3 and 3:1, at most 3840x2160. The server may have further pixel
 * limits ("the model's current pixel and edge limits") that we cannot know. */
#define CUSTOM_MAX_EDGE 3840
#define CUSTOM_MAX_PIXELS (3840 * 2160)

static gboolean
custom_size_problem (const char  *size,
                     char       **problem)
{
  int w, h;

  if (!easel_parse_size (size, &w, &h))
    {
      *problem = g_strdup ("it is not WIDTHxHEIGHT");
      return TRUE;
    }
  if (w % 16 != 0 || h % 16 != 0)
    {
      *problem = g_strdup ("width and height must both be multiples of 16");
      return TRUE;
    }
  if ((gint64) w > 3 * (gint64) h || (gint64) h > 3 * (gint64) w)
    {
      *problem = g_strdup ("the aspect ratio must be between 1:3 and 3:1");
      return TRUE;
    }
  if (w > CUSTOM_MAX_EDGE || h > CUSTOM_MAX_EDGE || (gint64) w * h > CUSTOM_MAX_PIXELS)
    {
      *problem = g_strdup ("the largest supported size is 3840x2160");
      return TRUE;
    }

  return FALSE;
}

static const char * const *
values_for_option (const EaselModelInfo *info,
                   const char           *option)
{
  if (g_str_equal (option, "size")) return info->sizes;
  if (g_str_equal (option, "quality")) return info->qualities;
  if (g_str_equal (option, "output_format")) return info->output_formats;
  if (g_str_equal (option, "background")) return info->backgrounds;
  if (g_str_equal (option, "moderation")) return info->moderations;
  if (g_str_equal (option, "input_fidelity")) return info->input_fidelities;
  if (g_str_equal (option, "style")) return info->styles;
  if (g_str_equal (option, "response_format")) return info->response_formats;
  return NULL;
}

gboolean
easel_model_supports_value (const EaselModelInfo *info,
                            const char           *option,
                            const char           *value)
{
  const char * const *values;

  g_return_val_if_fail (info != NULL, FALSE);
  g_return_val_if_fail (option != NULL, FALSE);

  if (value == NULL)
    return FALSE;

  values = values_for_option (info, option);
  if (values != NULL && g_strv_contains (values, value))
    return TRUE;

  if (g_str_equal (option, "size") && info->custom_sizes)
    {
      g_autofree char *problem = NULL;
      return !custom_size_problem (value, &problem);
    }

  return FALSE;
}

/* "a, b, c or d" */
static char *
join_choices (const char * const *values,
              gboolean            custom_sizes)
{
  g_autoptr(GString) s = g_string_new (NULL);
  guint n = values ? g_strv_length ((char **) values) : 0;
  guint total = n + (custom_sizes ? 1 : 0);

  for (guint i = 0; i < total; i++)
    {
      if (i > 0)
        g_string_append (s, i == total - 1 ? " or " : ", ");
      if (i < n)
        g_string_append (s, values[i]);
      else
        g_string_append (s, "a custom WIDTHxHEIGHT (multiples of 16, aspect 1:3 to 3:1, up to 3840x2160)");
    }

  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* Checks one option of a known model. NULL values are unset, so fine. */
static gboolean
check_option (const EaselModelInfo  *info,
              const char            *option,
              const char            *label,
              const char            *value,
              GError               **error)
{
  const char * const *values;
  g_autofree char *choices = NULL;

  if (value == NULL)
    return TRUE;

  values = values_for_option (info, option);
  if (values == NULL)
    {
      g_set_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_UNSUPPORTED,
                   "%s has no %s option; leave it unset", info->id, label);
      return FALSE;
    }

  if (easel_model_supports_value (info, option, value))
    return TRUE;

  choices = join_choices (values, g_str_equal (option, "size") && info->custom_sizes);

  if (g_str_equal (option, "size") && info->custom_sizes && easel_parse_size (value, NULL, NULL))
    {
      g_autofree char *problem = NULL;
      custom_size_problem (value, &problem);
      g_set_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_INVALID_VALUE,
                   "%s does not support size %s: %s; choose %s",
                   info->id, value, problem, choices);
      return FALSE;
    }

  g_set_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_INVALID_VALUE,
               "%s does not support %s %s; choose %s", info->id, label, value, choices);
  return FALSE;
}

/* ---- image facts ---------------------------------------------------- */

/* Width, height and alpha of a PNG straight from its header: no decoding. */
static gboolean
png_header (GBytes   *bytes,
            int      *width,
            int      *height,
            gboolean *has_alpha)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  gsize pos;
  guint8 color_type;

  if (len < 33 || memcmp (data, "\x89PNG\r\n\x1a\n", 8) != 0 || memcmp (data + 12, "IHDR", 4) != 0)
    return FALSE;

  *width = (int) GUINT32_FROM_BE (*(const guint32 *) (const void *) (data + 16));
  *height = (int) GUINT32_FROM_BE (*(const guint32 *) (const void *) (data + 20));
  color_type = data[25];
  /* 4 = grey+alpha, 6 = RGBA; palette/grey/RGB may carry alpha in tRNS. */
  *has_alpha = (color_type == 4 || color_type == 6);

  pos = 8;
  while (!*has_alpha && pos + 8 <= len)
    {
      guint32 chunk_len = GUINT32_FROM_BE (*(const guint32 *) (const void *) (data + pos));
      const guint8 *type = data + pos + 4;

      if (memcmp (type, "tRNS", 4) == 0)
        *has_alpha = TRUE;
      if (memcmp (type, "IDAT", 4) == 0 || memcmp (type, "IEND", 4) == 0)
        break;
      if (chunk_len > len)
        break;
      pos += 12 + (gsize) chunk_len;
    }

  return TRUE;
}

gboolean
easel_validate_mask_matches_image (GBytes  *image,
                                   GBytes  *mask,
                                   GError **error)
{
  g_autoptr(GError) local_error = NULL;
  int iw, ih, mw, mh;
  gboolean has_alpha = FALSE;

  g_return_val_if_fail (image != NULL, FALSE);
  g_return_val_if_fail (mask != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* [spec] mask: "Must be a valid PNG file … and have the same dimensions as image";
   * [guide] "The mask image must also contain an alpha channel". */
  if (!png_header (mask, &mw, &mh, &has_alpha))
    {
      g_set_error_literal (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_INVALID_VALUE,
                           "The mask must be a PNG image");
      return FALSE;
    }
  if (!easel_image_get_size (image, &iw, &ih, &local_error))
    {
      g_set_error_literal (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_INVALID_VALUE,
                           local_error->message);
      return FALSE;
    }

  if (iw != mw || ih != mh)
    {
      g_set_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_INVALID_VALUE,
                   "The mask is %d×%d pixels but the image is %d×%d; they must be the same size",
                   mw, mh, iw, ih);
      return FALSE;
    }
  if (!has_alpha)
    {
      g_set_error_literal (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_INVALID_VALUE,
                           "The mask has no alpha channel; its transparent areas mark what to "
                           "edit, so save it as a PNG with transparency");
      return FALSE;
    }

  return TRUE;
}

/* ---- validation ----------------------------------------------------- */

static const char *
image_mime (const EaselInputImage *image)
{
  gsize len;
  const guint8 *data;
  const char *sniffed;

  if (image->kind != EASEL_INPUT_IMAGE_BYTES || image->bytes == NULL)
    return NULL;
  data = g_bytes_get_data (image->bytes, &len);
  sniffed = easel_image_sniff_mime (data, len);
  return sniffed ? sniffed : image->mime_type;
}

static guint
count_images (const EaselRequest *request)
{
  return request->images ? request->images->len : 0;
}

static gboolean
is_blank (const char *str)
{
  if (str == NULL)
    return TRUE;
  for (; *str; str++)
    if (!g_ascii_isspace (*str))
      return FALSE;
  return TRUE;
}

static gboolean
check_size_syntax (const char  *size,
                   GError     **error)
{
  if (size == NULL || g_str_equal (size, "auto") || easel_parse_size (size, NULL, NULL))
    return TRUE;
  g_set_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_INVALID_VALUE,
               "Size %s is not WIDTHxHEIGHT (for example 1024x1024) or auto", size);
  return FALSE;
}

static gboolean
validate_generic (const EaselRequest  *request,
                  GError             **error)
{
  guint images = count_images (request);
  const char *format = request->output_format;

  switch (request->api)
    {
    case EASEL_API_IMAGES_GENERATE:
    case EASEL_API_IMAGES_EDIT:
      if (is_blank (request->prompt))
        {
          g_set_error_literal (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_MISSING,
                               "Write a prompt describing the image");
          return FALSE;
        }
      if (request->api == EASEL_API_IMAGES_EDIT && images == 0)
        {
          g_set_error_literal (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_MISSING,
                               "An edit needs at least one image");
          return FALSE;
        }
      if (request->api == EASEL_API_IMAGES_GENERATE && (images > 0 || request->mask != NULL))
        {
          g_set_error_literal (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_UNSUPPORTED,
                               "Generation does not take input images; use an edit instead");
          return FALSE;
        }
      break;

    case EASEL_API_IMAGES_VARIATION:
      if (images != 1)
        {
          g_set_error (error, EASEL_VALIDATION_ERROR,
                       images == 0 ? EASEL_VALIDATION_ERROR_MISSING : EASEL_VALIDATION_ERROR_INVALID_VALUE,
                       "A variation needs exactly one image (got %u)", images);
          return FALSE;
        }
      if (request->mask != NULL)
        {
          g_set_error_literal (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_UNSUPPORTED,
                               "Variations do not take a mask");
          return FALSE;
        }
      break;

    case EASEL_API_RESPONSES:
      if (is_blank (request->prompt) && images == 0 &&
          (request->image_call_refs == NULL || request->image_call_refs->len == 0))
        {
          g_set_error_literal (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_MISSING,
                               "Write a prompt or add an image");
          return FALSE;
        }
      if (request->n > 1)
        {
          g_set_error_literal (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_UNSUPPORTED,
                               "The Responses image tool makes one image per turn; n must be 1");
          return FALSE;
        }
      if (request->action != NULL &&
          !g_strv_contains ((const char * const[]) { "auto", "generate", "edit", NULL }, request->action))
        {
          g_set_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_INVALID_VALUE,
                       "Action %s is not one of auto, generate or edit", request->action);
          return FALSE;
        }
      break;

    default:
      g_set_error_literal (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_UNSUPPORTED,
                           "Unknown API");
      return FALSE;
    }

  if (request->service_tier != NULL)
    {
      if (request->api != EASEL_API_RESPONSES)
        {
          /* [spec] service_tier is a CreateResponse field; the Images API
           * requests have none. */
          g_set_error_literal (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_UNSUPPORTED,
                               "The processing tier (service_tier) applies to the Responses API only");
          return FALSE;
        }
      if (!g_strv_contains (easel_service_tiers, request->service_tier))
        {
          g_set_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_INVALID_VALUE,
                       "Processing tier %s is not one of auto, default, flex or priority",
                       request->service_tier);
          return FALSE;
        }
    }

  if (request->mask != NULL && images == 0)
    {
      g_set_error_literal (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_MISSING,
                           "A mask needs an image to apply to");
      return FALSE;
    }
  if (request->mask != NULL && request->mask->kind == EASEL_INPUT_IMAGE_BYTES &&
      g_strcmp0 (image_mime (request->mask), "image/png") != 0)
    {
      g_set_error_literal (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_INVALID_VALUE,
                           "The mask must be a PNG image with an alpha channel");
      return FALSE;
    }

  if (request->n == 0 || request->n > 10)
    {
      g_set_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_INVALID_VALUE,
                   "The number of images must be between 1 and 10 (got %d)", request->n);
      return FALSE;
    }
  if (request->partial_images > 3)
    {
      g_set_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_INVALID_VALUE,
                   "Partial images must be between 0 and 3 (got %d)", request->partial_images);
      return FALSE;
    }
  if (request->output_compression > 100)
    {
      g_set_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_INVALID_VALUE,
                   "Compression must be between 0 and 100 (got %d)", request->output_compression);
      return FALSE;
    }
  /* [spec] compression applies "with the webp or jpeg output formats";
   * the default output format is png. */
  if (request->output_compression >= 0 &&
      g_strcmp0 (format, "jpeg") != 0 && g_strcmp0 (format, "webp") != 0)
    {
      g_set_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_UNSUPPORTED,
                   "Compression only applies to jpeg and webp output, not %s; "
                   "choose jpeg or webp, or leave compression unset",
                   format ? format : "png (the default)");
      return FALSE;
    }
  /* [spec] background: "When using transparent, set the output format to png or webp". */
  if (g_strcmp0 (request->background, "transparent") == 0 && g_strcmp0 (format, "jpeg") == 0)
    {
      g_set_error_literal (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_INVALID_VALUE,
                           "A transparent background needs png or webp output; jpeg has no alpha");
      return FALSE;
    }

  return check_size_syntax (request->size, error);
}

static gboolean
check_input_image (const EaselModelInfo   *info,
                   const EaselRequest     *request,
                   const EaselInputImage  *image,
                   const char             *what,
                   GError                **error)
{
  const char *mime;
  gsize size;

  if (image->kind != EASEL_INPUT_IMAGE_BYTES || image->bytes == NULL)
    return TRUE;

  size = g_bytes_get_size (image->bytes);
  if (info->max_image_bytes > 0 && size >= info->max_image_bytes)
    {
      g_set_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_TOO_LARGE,
                   "The %s is %.1f MB; %s takes files under %" G_GSIZE_FORMAT " MB",
                   what, size / (double) MB, info->id, info->max_image_bytes / MB);
      return FALSE;
    }

  mime = image_mime (image);

  if (info->edit_needs_square_png &&
      (request->api == EASEL_API_IMAGES_EDIT || request->api == EASEL_API_IMAGES_VARIATION))
    {
      int w = 0, h = 0;
      gboolean alpha;

      if (!png_header (image->bytes, &w, &h, &alpha))
        {
          g_set_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_INVALID_VALUE,
                       "%s needs a square PNG; the %s is %s", info->id, what,
                       mime ? mime : "not an image");
          return FALSE;
        }
      if (w != h)
        {
          g_set_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_INVALID_VALUE,
                       "%s needs a square PNG; the %s is %d×%d", info->id, what, w, h);
          return FALSE;
        }
      return TRUE;
    }

  /* [spec] GPT image edits: "each image should be a png, webp, or jpg file";
   * the Responses API also reads GIF ([ref] "PNG, JPEG, WebP, GIF"). */
  if (request->api == EASEL_API_IMAGES_EDIT &&
      g_strcmp0 (mime, "image/png") != 0 && g_strcmp0 (mime, "image/jpeg") != 0 &&
      g_strcmp0 (mime, "image/webp") != 0)
    {
      g_set_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_INVALID_VALUE,
                   "%s edits take PNG, JPEG or WebP images; the %s is %s",
                   info->id, what, mime ? mime : "not a recognised image");
      return FALSE;
    }

  return TRUE;
}

static gboolean
validate_for_model (const EaselModelInfo  *info,
                    const EaselRequest    *request,
                    GError               **error)
{
  guint images = count_images (request);
  const char *id = info->id;

  switch (request->api)
    {
    case EASEL_API_IMAGES_GENERATE:
      if (!info->supports_generate)
        goto unsupported_api;
      break;
    case EASEL_API_IMAGES_EDIT:
      if (!info->supports_edit)
        goto unsupported_api;
      break;
    case EASEL_API_IMAGES_VARIATION:
      if (!info->supports_variation)
        {
          g_set_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_UNSUPPORTED,
                       "%s cannot make variations; only dall-e-2 can", id);
          return FALSE;
        }
      break;
    case EASEL_API_RESPONSES:
      if (!info->supports_responses_tool)
        goto unsupported_api;
      break;
    default:
      goto unsupported_api;
    }

  if (request->prompt != NULL && info->max_prompt_chars > 0 &&
      (gsize) g_utf8_strlen (request->prompt, -1) > info->max_prompt_chars)
    {
      g_set_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_TOO_LONG,
                   "The prompt is %ld characters; %s takes at most %" G_GSIZE_FORMAT,
                   g_utf8_strlen (request->prompt, -1), id, info->max_prompt_chars);
      return FALSE;
    }

  if (request->n > info->max_n)
    {
      g_set_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_INVALID_VALUE,
                   "%s makes at most %d image%s per request (n=%d)",
                   id, info->max_n, info->max_n == 1 ? "" : "s", request->n);
      return FALSE;
    }

  if (!check_option (info, "size", "size", request->size, error) ||
      !check_option (info, "quality", "quality", request->quality, error) ||
      !check_option (info, "output_format", "output format", request->output_format, error) ||
      !check_option (info, "background", "background", request->background, error) ||
      !check_option (info, "moderation", "moderation", request->moderation, error) ||
      !check_option (info, "input_fidelity", "input fidelity", request->input_fidelity, error))
    return FALSE;

  /* style and response_format are Images API fields; the tool has neither. */
  if (request->api != EASEL_API_RESPONSES &&
      (!check_option (info, "style", "style", request->style, error) ||
       !check_option (info, "response_format", "response format", request->response_format, error)))
    return FALSE;

  if (request->output_compression >= 0 && !info->supports_compression)
    {
      g_set_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_UNSUPPORTED,
                   "%s has no compression option; leave it unset", id);
      return FALSE;
    }
  if ((request->stream || request->partial_images > 0) && !info->supports_stream)
    {
      g_set_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_UNSUPPORTED,
                   "%s cannot stream partial images; only the GPT image models can", id);
      return FALSE;
    }

  if (request->api == EASEL_API_IMAGES_EDIT && images > (guint) info->max_edit_images)
    {
      g_set_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_INVALID_VALUE,
                   "%s edits take at most %d image%s (got %u)",
                   id, info->max_edit_images, info->max_edit_images == 1 ? "" : "s", images);
      return FALSE;
    }

  if (request->api != EASEL_API_RESPONSES)
    for (guint i = 0; i < images; i++)
      if (!check_input_image (info, request, g_ptr_array_index (request->images, i), "image", error))
        return FALSE;
  if (request->mask != NULL && request->mask->kind == EASEL_INPUT_IMAGE_BYTES &&
      info->max_image_bytes > 0 && g_bytes_get_size (request->mask->bytes) >= info->max_image_bytes)
    {
      g_set_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_TOO_LARGE,
                   "The mask is %.1f MB; %s takes files under %" G_GSIZE_FORMAT " MB",
                   g_bytes_get_size (request->mask->bytes) / (double) MB, id,
                   info->max_image_bytes / MB);
      return FALSE;
    }

  /* dall-e-2 edits go multipart: file ids and URLs cannot be uploaded. */
  if (!info->supports_responses_tool && request->api != EASEL_API_IMAGES_GENERATE)
    for (guint i = 0; i < images; i++)
      {
        const EaselInputImage *image = g_ptr_array_index (request->images, i);
        if (image->kind != EASEL_INPUT_IMAGE_BYTES)
          {
            g_set_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_UNSUPPORTED,
                         "%s needs the image file itself, not a file id or URL", id);
            return FALSE;
          }
      }

  return TRUE;

unsupported_api:
  {
    static const char * const what[] = {
      [EASEL_API_IMAGES_GENERATE] = "generate images",
      [EASEL_API_IMAGES_EDIT] = "edit images",
      [EASEL_API_IMAGES_VARIATION] = "make variations",
      [EASEL_API_RESPONSES] = "be used by the Responses image tool",
    };
    g_set_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_UNSUPPORTED,
                 "%s cannot %s", id,
                 (guint) request->api < G_N_ELEMENTS (what) ? what[request->api] : "do that");
    return FALSE;
  }
}

gboolean
easel_request_validate (const EaselRequest  *request,
                        GError             **error)
{
  const EaselModelInfo *info;
  const char *model;

  g_return_val_if_fail (request != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!validate_generic (request, error))
    return FALSE;

  /* Variations exist only for dall-e-2, which is also the server default. */
  model = request->model;
  if (model == NULL && request->api == EASEL_API_IMAGES_VARIATION)
    model = "dall-e-2";

  info = easel_model_lookup (model);
  if (info == NULL)
    return TRUE;   /* unknown or unset: compatible servers have their own rules */

  return validate_for_model (info, request, error);
}
