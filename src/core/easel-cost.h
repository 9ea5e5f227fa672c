/* easel-cost.h: what a request will cost before it is sent, and what it cost after
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "easel-request.h"
#include "easel-usage.h"

G_BEGIN_DECLS

typedef struct
{
  gboolean known;             /* FALSE for unknown models or "auto" sizes we cannot price exactly */
  gint64   output_tokens;     /* image output tokens incl. 100 per partial image, times n */
  gint64   input_tokens;      /* rough estimate of text (and image) input tokens */
  double   usd;               /* estimated dollars */
  double   usd_per_image;     /* dall-e per-image price, or 0 */
  gboolean price_assumed;     /* the model's price is borrowed from another model */
  gboolean tier_price_unknown; /* flex/priority: usd is the default tier's price, the tier's is unknown */
} EaselCostEstimate;

/* Output tokens for one image, per the token table; -1 when unknown. */
gint64   easel_cost_image_tokens (const char *model,
                                  const char *quality,
                                  const char *size);
void     easel_cost_estimate     (const EaselRequest *request,
                                  EaselCostEstimate  *estimate);
/* Dollars for actual usage (token-priced models), or the per-image price for
 * dall-e × @n_images. -1 when the model's price is unknown. */
double   easel_cost_usd_for_usage (const char       *model,
                                   const char       *quality,
                                   const char       *size,
                                   const EaselUsage *usage,
                                   guint             n_images);
/* NULL when @model's price is a list price Easel knows; otherwise why the
 * price shown is an assumption ("assumed equal to gpt-image-1.5"), for UIs
 * to show next to any estimate for that model. */
const char *easel_cost_price_assumption (const char *model);
/* "$0.17" / "≈ 4,360 tokens" helpers for UIs. */
/* "$0.17", "$0.004" below a cent, "—" when unknown (negative). */
char    *easel_cost_format_usd    (double usd);
/* "≈ 4,360 tokens", "—" when negative. */
char    *easel_cost_format_tokens (gint64 tokens);

/* Estimates: "auto" quality/size are priced as medium 1024x1024 with
 * known = FALSE; gpt-image-2 custom sizes scale the square row by area
 * (known = FALSE); input tokens are rough (≈4 chars per text token, a fixed
 * guess per input image). Responses estimates cover the image tool only,
 * not the mainline model's own tokens. Prices are list prices at the
 * reference date, for display only. The flex and priority tiers have no
 * known image price: their estimate is the default tier's, with known =
 * FALSE and tier_price_unknown = TRUE; "auto" is priced as "default", the
 * tier a project uses unless configured otherwise. */

G_END_DECLS
