/* easel-cost.c: what a request will cost before it is sent, and what it cost after
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-cost"

#include "config.h"

#include <math.h>
#include <string.h>

#include "easel-cost.h"
#include "easel-models.h"

/* Image output tokens per image. Source: ../shared/reference/002_*.txt
 * ("Cost and latency") and 001_*.txt ("GPT-Image-1 Token Costs"): one table
 * for the GPT Image family; neither document gives different numbers for
 * gpt-image-1-mini, -1.5 or -2, so all token-priced models share it. */
typedef struct
{
  const char *quality;
  gint64      square;     /* 1024x1024 */
  gint64      portrait;   /* 1024x1536 */
  gint64      landscape;  /* 1536x1024 */
} TokenRow;

static const TokenRow token_table[] = {
  { "low",     272,  408,  400 },
  { "medium", 1056, 1584, 1568 },
  { "high",   4160, 6240, 6208 },
};

/* [guide] "each partial image will incur an additional 100 image output tokens". */
#define PARTIAL_IMAGE_TOKENS 100

/* What "auto" is estimated as. The server picks per prompt; medium 1024x1024
 * is the middle of the table, so the estimate is neither alarming nor
 * flattering, and `known` says it is a guess. */
#define AUTO_QUALITY "medium"
#define AUTO_SIZE    "1024x1024"

/* Rough input-image tokens per input image, only to put a number on edits.
 * The reference docs give no formula for GPT image input; this is a guess. */
#define INPUT_IMAGE_TOKENS_GUESS 1000

/* Dollars per 1M tokens. The reference documents carry no dollar figures,
 * so these are OpenAI's published list prices as remembered at the
 * reference date (2026); they are estimates for display, not billing.
 * gpt-image-2 and chatgpt-image-latest: assumed equal to gpt-image-1.5. */
typedef struct
{
  const char *model;
  double      text_input;
  double      image_input;
  double      image_output;
  double      text_output;
  const char *assumption;   /* non-NULL: not a known price, and why */
} TokenPrice;

#define ASSUMED_AS_15 "price assumed equal to gpt-image-1.5's; no list price is known"

static const TokenPrice token_prices[] = {
  { "gpt-image-2",          5.00, 8.00,  32.00, 10.00, ASSUMED_AS_15 },
  { "gpt-image-1.5",        5.00, 8.00,  32.00, 10.00, NULL },
  { "gpt-image-1",          5.00, 10.00, 40.00, 0.00,  NULL },
  { "gpt-image-1-mini",     2.00, 2.50,  8.00,  0.00,  NULL },
  { "chatgpt-image-latest", 5.00, 8.00,  32.00, 10.00, ASSUMED_AS_15 },
};

/* Dollars per image for the per-image (dall-e) models, list prices as above.
 * quality NULL matches any quality for that model. */
typedef struct
{
  const char *model;
  const char *quality;
  const char *size;
  double      usd;
} ImagePrice;

static const ImagePrice image_prices[] = {
  { "dall-e-3", "standard", "1024x1024", 0.040 },
  { "dall-e-3", "standard", "1792x1024", 0.080 },
  { "dall-e-3", "standard", "1024x1792", 0.080 },
  { "dall-e-3", "hd",       "1024x1024", 0.080 },
  { "dall-e-3", "hd",       "1792x1024", 0.120 },
  { "dall-e-3", "hd",       "1024x1792", 0.120 },
  { "dall-e-2", NULL,       "256x256",   0.016 },
  { "dall-e-2", NULL,       "512x512",   0.018 },
  { "dall-e-2", NULL,       "1024x1024", 0.020 },
};

static const TokenRow *
token_row (const char *quality)
{
  for (guint i = 0; i < G_N_ELEMENTS (token_table); i++)
    if (g_strcmp0 (token_table[i].quality, quality) == 0)
      return &token_table[i];
  return NULL;
}

static gint64
row_tokens (const TokenRow *row,
            const char     *size)
{
  if (g_strcmp0 (size, "1024x1024") == 0)
    return row->square;
  if (g_strcmp0 (size, "1024x1536") == 0)
    return row->portrait;
  if (g_strcmp0 (size, "1536x1024") == 0)
    return row->landscape;
  return -1;
}

static const TokenPrice *
token_price (const EaselModelInfo *info)
{
  for (guint i = 0; info != NULL && i < G_N_ELEMENTS (token_prices); i++)
    if (g_str_equal (token_prices[i].model, info->id))
      return &token_prices[i];
  return NULL;
}

static double
image_price (const EaselModelInfo *info,
             const char           *quality,
             const char           *size)
{
  if (info == NULL)
    return -1;

  /* The dall-e defaults: 1024x1024, standard quality. */
  if (size == NULL)
    size = "1024x1024";
  if (quality == NULL || g_str_equal (quality, "auto"))
    quality = "standard";

  for (guint i = 0; i < G_N_ELEMENTS (image_prices); i++)
    {
      const ImagePrice *p = &image_prices[i];
      if (g_str_equal (p->model, info->id) && g_str_equal (p->size, size) &&
          (p->quality == NULL || g_str_equal (p->quality, quality)))
        return p->usd;
    }
  return -1;
}

gint64
easel_cost_image_tokens (const char *model,
                         const char *quality,
                         const char *size)
{
  const EaselModelInfo *info = easel_model_lookup (model);
  const TokenRow *row;

  if (info == NULL || !info->token_priced)
    return -1;
  if ((row = token_row (quality)) == NULL)
    return -1;
  return row_tokens (row, size);
}

/* Tokens for one image of a token-priced model, guessing for auto and for
 * gpt-image-2 custom sizes (scaled by area from the square row). */
static gint64
estimate_image_tokens (const char *quality,
                       const char *size,
                       gboolean   *exact)
{
  const TokenRow *row;
  gint64 tokens;
  int w, h;

  *exact = TRUE;
  if (quality == NULL || g_str_equal (quality, "auto"))
    {
      quality = AUTO_QUALITY;
      *exact = FALSE;
    }
  if (size == NULL || g_str_equal (size, "auto"))
    {
      size = AUTO_SIZE;
      *exact = FALSE;
    }

  row = token_row (quality);
  if (row == NULL)
    {
      row = token_row (AUTO_QUALITY);
      *exact = FALSE;
    }

  tokens = row_tokens (row, size);
  if (tokens >= 0)
    return tokens;

  *exact = FALSE;
  if (easel_parse_size (size, &w, &h))
    return (gint64) llround ((double) row->square * ((double) w * h) / (1024.0 * 1024.0));
  return row->square;
}

static gint64
estimate_text_tokens (const char *text)
{
  /* About four characters per token for English text. */
  return text ? (gint64) ceil (strlen (text) / 4.0) : 0;
}

void
easel_cost_estimate (const EaselRequest *request,
                     EaselCostEstimate  *estimate)
{
  const EaselModelInfo *info;
  const TokenPrice *price;
  gint64 per_image;
  gint64 n;
  gint64 partials = 0;
  gint64 text_tokens;
  gint64 image_tokens;
  guint n_inputs;
  gboolean exact;

  g_return_if_fail (request != NULL);
  g_return_if_fail (estimate != NULL);

  memset (estimate, 0, sizeof *estimate);

  n = request->n > 0 ? request->n : 1;
  if (request->api == EASEL_API_RESPONSES)
    n = 1;   /* the tool makes one image per call */

  info = easel_model_lookup (request->model ? request->model : easel_model_default (request->api));

  n_inputs = request->images ? request->images->len : 0;
  text_tokens = estimate_text_tokens (request->prompt) + estimate_text_tokens (request->instructions);
  image_tokens = (gint64) n_inputs * INPUT_IMAGE_TOKENS_GUESS;
  estimate->input_tokens = text_tokens + image_tokens;

  if (info != NULL && !info->token_priced)
    {
      double each = image_price (info, request->quality, request->size);

      estimate->known = each >= 0;
      estimate->usd_per_image = each >= 0 ? each : 0;
      estimate->usd = each >= 0 ? each * n : 0;
      estimate->output_tokens = 0;
      estimate->input_tokens = 0;
      return;
    }

  /* Token-priced, or unknown (a compatible server): count tokens with the
   * GPT Image table, but only price what we know. */
  per_image = estimate_image_tokens (request->quality, request->size, &exact);
  if (request->stream && request->partial_images > 0)
    partials = request->partial_images;
  estimate->output_tokens = (per_image + PARTIAL_IMAGE_TOKENS * partials) * n;

  price = token_price (info);
  estimate->known = price != NULL && exact;
  estimate->price_assumed = price != NULL && price->assumption != NULL;
  /* No reference gives flex or priority prices for image tokens; say so
   * instead of scaling by a guessed factor. */
  if (g_strcmp0 (request->service_tier, "flex") == 0 ||
      g_strcmp0 (request->service_tier, "priority") == 0)
    {
      estimate->known = FALSE;
      estimate->tier_price_unknown = TRUE;
    }
  if (price != NULL)
    estimate->usd = estimate->output_tokens * price->image_output / 1e6 +
                    text_tokens * price->text_input / 1e6 +
                    image_tokens * price->image_input / 1e6;
}

double
easel_cost_usd_for_usage (const char       *model,
                          const char       *quality,
                          const char       *size,
                          const EaselUsage *usage,
                          guint             n_images)
{
  const EaselModelInfo *info = easel_model_lookup (model);
  const TokenPrice *price;
  gint64 in_text, in_image, out_image, out_text;

  if (info == NULL)
    return -1;

  if (!info->token_priced)
    {
      double each = image_price (info, quality, size);
      return each >= 0 ? each * n_images : -1;
    }

  if ((price = token_price (info)) == NULL)
    return -1;

  if (usage == NULL || !usage->present)
    {
      gboolean exact;
      gint64 tokens = estimate_image_tokens (quality, size, &exact);
      return tokens * (double) n_images * price->image_output / 1e6;
    }

  /* Without details all input is text and all output is image tokens
   * (ImagesUsage in stream events has no output details). */
  in_text = usage->input_text_tokens;
  in_image = usage->input_image_tokens;
  if (in_text + in_image == 0)
    in_text = usage->input_tokens;
  out_image = usage->output_image_tokens;
  out_text = usage->output_text_tokens;
  if (out_image + out_text == 0)
    out_image = usage->output_tokens;

  return (in_text * price->text_input + in_image * price->image_input +
          out_image * price->image_output + out_text * price->text_output) / 1e6;
}

const char *
easel_cost_price_assumption (const char *model)
{
  const TokenPrice *price = token_price (easel_model_lookup (model));

  return price != NULL ? price->assumption : NULL;
}

char *
easel_cost_format_usd (double usd)
{
  if (usd < 0 || isnan (usd))
    return g_strdup ("—");
  if (usd == 0)
    return g_strdup ("$0.00");
  if (usd < 0.01)
    return g_strdup_printf ("$%.3f", usd);
  return g_strdup_printf ("$%.2f", usd);
}

char *
easel_cost_format_tokens (gint64 tokens)
{
  g_autoptr(GString) digits = NULL;
  g_autofree char *plain = NULL;
  gsize len;

  if (tokens < 0)
    return g_strdup ("—");

  plain = g_strdup_printf ("%" G_GINT64_FORMAT, tokens);
  len = strlen (plain);
  digits = g_string_new (NULL);
  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        g_string_append_c (digits, ',');
      g_string_append_c (digits, plain[i]);
    }

  return g_strdup_printf ("≈ %s tokens", digits->str);
}
