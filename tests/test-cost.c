/* test-cost.c: token table, estimates and dollars
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-cost"

#include "config.h"

#include <math.h>

#include "easel-cost.h"

/* The table in reference/002 ("Cost and latency"). */
static const struct { const char *quality, *size; gint64 tokens; } token_rows[] = {
  { "low", "1024x1024", 272 }, { "low", "1024x1536", 408 }, { "low", "1536x1024", 400 },
  { "medium", "1024x1024", 1056 }, { "medium", "1024x1536", 1584 }, { "medium", "1536x1024", 1568 },
  { "high", "1024x1024", 4160 }, { "high", "1024x1536", 6240 }, { "high", "1536x1024", 6208 },
};

static void
test_token_table (void)
{
  static const char * const models[] = {
    "gpt-image-2", "gpt-image-1.5", "gpt-image-1", "gpt-image-1-mini", "chatgpt-image-latest",
    "gpt-image-2-2026-04-21",
  };

  for (guint m = 0; m < G_N_ELEMENTS (models); m++)
    for (guint i = 0; i < G_N_ELEMENTS (token_rows); i++)
      g_assert_cmpint (easel_cost_image_tokens (models[m], token_rows[i].quality, token_rows[i].size),
                       ==, token_rows[i].tokens);

  g_assert_cmpint (easel_cost_image_tokens ("gpt-image-1", "auto", "1024x1024"), ==, -1);
  g_assert_cmpint (easel_cost_image_tokens ("gpt-image-1", "high", "auto"), ==, -1);
  g_assert_cmpint (easel_cost_image_tokens ("gpt-image-1", "ultra", "1024x1024"), ==, -1);
  g_assert_cmpint (easel_cost_image_tokens ("gpt-image-2", "high", "1536x864"), ==, -1);
  g_assert_cmpint (easel_cost_image_tokens ("dall-e-3", "hd", "1024x1024"), ==, -1);
  g_assert_cmpint (easel_cost_image_tokens ("unknown", "high", "1024x1024"), ==, -1);
  g_assert_cmpint (easel_cost_image_tokens (NULL, "high", "1024x1024"), ==, -1);
}

typedef struct
{
  const char *name;
  EaselApi    api;
  const char *model;
  const char *quality;
  const char *size;
  int         n;
  gboolean    stream;
  int         partial_images;
  gint64      output_tokens;
  gboolean    known;
  double      usd_per_image;
} EstimateRow;

static const EstimateRow estimate_rows[] = {
  { "high square", EASEL_API_IMAGES_GENERATE, "gpt-image-1.5", "high", "1024x1024", -1, FALSE, -1, 4160, TRUE, 0 },
  /* The NOTES.md §5(a) stream: 4160 + 2 × 100 = 4360. */
  { "stream 2 partials", EASEL_API_IMAGES_GENERATE, "gpt-image-1.5", "high", "1024x1024", -1, TRUE, 2, 4360, TRUE, 0 },
  { "partials need stream", EASEL_API_IMAGES_GENERATE, "gpt-image-1.5", "high", "1024x1024", -1, FALSE, 2, 4160, TRUE, 0 },
  { "n=3 partial 1", EASEL_API_IMAGES_GENERATE, "gpt-image-1", "low", "1536x1024", 3, TRUE, 1, 3 * (400 + 100), TRUE, 0 },
  { "n=4 medium portrait", EASEL_API_IMAGES_EDIT, "gpt-image-1-mini", "medium", "1024x1536", 4, FALSE, -1, 4 * 1584, TRUE, 0 },
  { "auto quality", EASEL_API_IMAGES_GENERATE, "gpt-image-1.5", "auto", "1024x1024", -1, FALSE, -1, 1056, FALSE, 0 },
  { "unset quality+size", EASEL_API_IMAGES_GENERATE, "gpt-image-1.5", NULL, NULL, 2, FALSE, -1, 2 * 1056, FALSE, 0 },
  { "auto size high", EASEL_API_IMAGES_GENERATE, "gpt-image-1", "high", "auto", -1, FALSE, -1, 4160, FALSE, 0 },
  { "custom size area", EASEL_API_IMAGES_GENERATE, "gpt-image-2", "high", "2048x1024", -1, FALSE, -1, 8320, FALSE, 0 },
  { "responses ignores n", EASEL_API_RESPONSES, "gpt-image-1.5", "low", "1024x1024", 3, TRUE, 3, 272 + 300, TRUE, 0 },
  { "unknown model", EASEL_API_IMAGES_GENERATE, "local-sd", "high", "1024x1024", -1, FALSE, -1, 4160, FALSE, 0 },
  { "dall-e-3 hd wide", EASEL_API_IMAGES_GENERATE, "dall-e-3", "hd", "1792x1024", -1, FALSE, -1, 0, TRUE, 0.12 },
  { "dall-e-3 default", EASEL_API_IMAGES_GENERATE, "dall-e-3", NULL, NULL, -1, FALSE, -1, 0, TRUE, 0.04 },
  { "dall-e-2 256 ×5", EASEL_API_IMAGES_GENERATE, "dall-e-2", NULL, "256x256", 5, FALSE, -1, 0, TRUE, 0.016 },
  { "dall-e-2 variation", EASEL_API_IMAGES_VARIATION, NULL, NULL, "512x512", 2, FALSE, -1, 0, TRUE, 0.018 },
  { "dall-e-3 bad size", EASEL_API_IMAGES_GENERATE, "dall-e-3", "hd", "256x256", -1, FALSE, -1, 0, FALSE, 0 },
};

static void
test_estimate (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (estimate_rows); i++)
    {
      const EstimateRow *row = &estimate_rows[i];
      g_autoptr(EaselRequest) r = easel_request_new (row->api);
      EaselCostEstimate est;
      int n = row->n > 0 && row->api != EASEL_API_RESPONSES ? row->n : 1;

      g_test_message ("row: %s", row->name);
      r->model = g_strdup (row->model);
      r->prompt = g_strdup ("A red fox in fresh snow");   /* 23 chars ≈ 6 tokens */
      r->quality = g_strdup (row->quality);
      r->size = g_strdup (row->size);
      r->n = row->n;
      r->stream = row->stream;
      r->partial_images = row->partial_images;

      easel_cost_estimate (r, &est);
      g_assert_cmpint (est.output_tokens, ==, row->output_tokens);
      g_assert_cmpint (est.known, ==, row->known);
      g_assert_cmpfloat_with_epsilon (est.usd_per_image, row->usd_per_image, 1e-9);

      if (row->usd_per_image > 0)
        g_assert_cmpfloat_with_epsilon (est.usd, row->usd_per_image * n, 1e-9);
      else if (g_strcmp0 (row->model, "local-sd") == 0 || !row->known)
        g_assert_cmpfloat (est.usd, >=, 0);
      else
        {
          g_assert_cmpint (est.input_tokens, ==, 6);
          g_assert_cmpfloat (est.usd, >, 0);
        }
    }
}

static void
test_estimate_prices (void)
{
  g_autoptr(EaselRequest) r = easel_request_new (EASEL_API_IMAGES_GENERATE);
  g_autoptr(EaselRequest) mini = NULL;
  EaselCostEstimate a, b;

  r->model = g_strdup ("gpt-image-1");
  r->prompt = g_strdup ("abcd");   /* 1 text token */
  r->quality = g_strdup ("high");
  r->size = g_strdup ("1024x1024");
  easel_cost_estimate (r, &a);
  /* 4160 × $40/1M + 1 × $5/1M */
  g_assert_cmpfloat_with_epsilon (a.usd, 4160 * 40e-6 + 5e-6, 1e-12);

  mini = easel_request_copy (r);
  g_free (mini->model);
  mini->model = g_strdup ("gpt-image-1-mini");
  easel_cost_estimate (mini, &b);
  g_assert_cmpint (a.output_tokens, ==, b.output_tokens);
  g_assert_cmpfloat (b.usd, <, a.usd);

  /* Input images add input tokens and dollars. */
  {
    g_autoptr(EaselRequest) edit = easel_request_copy (r);
    EaselCostEstimate c;
    edit->api = EASEL_API_IMAGES_EDIT;
    easel_request_add_image (edit, easel_input_image_new_file_id ("file-1"));
    easel_cost_estimate (edit, &c);
    g_assert_cmpint (c.input_tokens, >, a.input_tokens);
    g_assert_cmpfloat (c.usd, >, a.usd);
  }
}

static void
test_usage_usd (void)
{
  /* The completed event of images-generations-stream.sse. */
  EaselUsage stream_usage = { .present = TRUE, .input_tokens = 19, .input_text_tokens = 19,
                              .output_tokens = 4360, .total_tokens = 4379 };
  /* tool_usage.image_gen of the Responses transcript. */
  EaselUsage tool_usage = { .present = TRUE, .input_tokens = 56, .input_text_tokens = 56,
                            .output_tokens = 6440, .total_tokens = 6496 };
  EaselUsage no_details = { .present = TRUE, .input_tokens = 100, .output_tokens = 1000 };
  EaselUsage mixed = { .present = TRUE, .input_tokens = 1100, .input_text_tokens = 100,
                       .input_image_tokens = 1000, .output_tokens = 1050,
                       .output_image_tokens = 1000, .output_text_tokens = 50 };
  EaselUsage absent = { 0 };

  g_assert_cmpfloat_with_epsilon (easel_cost_usd_for_usage ("gpt-image-1.5", "high", "1024x1024", &stream_usage, 1),
                                  19 * 5e-6 + 4360 * 32e-6, 1e-12);
  g_assert_cmpfloat_with_epsilon (easel_cost_usd_for_usage ("gpt-image-1.5", NULL, NULL, &tool_usage, 1),
                                  56 * 5e-6 + 6440 * 32e-6, 1e-12);
  g_assert_cmpfloat_with_epsilon (easel_cost_usd_for_usage ("gpt-image-1", NULL, NULL, &no_details, 1),
                                  100 * 5e-6 + 1000 * 40e-6, 1e-12);
  g_assert_cmpfloat_with_epsilon (easel_cost_usd_for_usage ("gpt-image-1.5", NULL, NULL, &mixed, 1),
                                  100 * 5e-6 + 1000 * 8e-6 + 1000 * 32e-6 + 50 * 10e-6, 1e-12);
  /* No usage: fall back to the table × images. */
  g_assert_cmpfloat_with_epsilon (easel_cost_usd_for_usage ("gpt-image-1-mini", "low", "1024x1024", &absent, 3),
                                  3 * 272 * 8e-6, 1e-12);
  g_assert_cmpfloat_with_epsilon (easel_cost_usd_for_usage ("gpt-image-1-mini", "low", "1024x1024", NULL, 2),
                                  2 * 272 * 8e-6, 1e-12);
  /* Per-image models ignore usage. */
  g_assert_cmpfloat_with_epsilon (easel_cost_usd_for_usage ("dall-e-3", "hd", "1024x1792", &stream_usage, 1), 0.12, 1e-12);
  g_assert_cmpfloat_with_epsilon (easel_cost_usd_for_usage ("dall-e-3", "standard", "1024x1024", NULL, 1), 0.04, 1e-12);
  g_assert_cmpfloat_with_epsilon (easel_cost_usd_for_usage ("dall-e-2", NULL, "1024x1024", NULL, 4), 0.08, 1e-12);
  /* Unknown. */
  g_assert_cmpfloat (easel_cost_usd_for_usage ("local-sd", "high", "1024x1024", &stream_usage, 1), ==, -1);
  g_assert_cmpfloat (easel_cost_usd_for_usage ("dall-e-2", NULL, "640x480", NULL, 1), ==, -1);
}

static void
test_format (void)
{
  static const struct { double usd; const char *text; } usd_rows[] = {
    { 0.17, "$0.17" }, { 0.1664, "$0.17" }, { 12.5, "$12.50" }, { 0, "$0.00" },
    { 0.004, "$0.004" }, { -1, "—" }, { NAN, "—" },
  };
  static const struct { gint64 tokens; const char *text; } token_rows2[] = {
    { 4360, "≈ 4,360 tokens" }, { 272, "≈ 272 tokens" }, { 1234567, "≈ 1,234,567 tokens" },
    { 0, "≈ 0 tokens" }, { -1, "—" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (usd_rows); i++)
    {
      g_autofree char *s = easel_cost_format_usd (usd_rows[i].usd);
      g_assert_cmpstr (s, ==, usd_rows[i].text);
    }
  for (guint i = 0; i < G_N_ELEMENTS (token_rows2); i++)
    {
      g_autofree char *s = easel_cost_format_tokens (token_rows2[i].tokens);
      g_assert_cmpstr (s, ==, token_rows2[i].text);
    }
}

static void
test_service_tier (void)
{
  g_autoptr(EaselRequest) r = easel_request_new (EASEL_API_RESPONSES);
  EaselCostEstimate standard, tier;

  r->prompt = g_strdup ("a cat");
  r->model = g_strdup ("gpt-image-1.5");
  r->quality = g_strdup ("high");
  r->size = g_strdup ("1024x1024");
  easel_cost_estimate (r, &standard);
  g_assert_true (standard.known);
  g_assert_false (standard.tier_price_unknown);

  r->service_tier = g_strdup ("default");
  easel_cost_estimate (r, &tier);
  g_assert_true (tier.known);
  g_assert_cmpfloat (tier.usd, ==, standard.usd);
  g_free (r->service_tier);
  r->service_tier = g_strdup ("auto");
  easel_cost_estimate (r, &tier);
  g_assert_true (tier.known);
  g_assert_cmpfloat (tier.usd, ==, standard.usd);

  /* No known flex or priority image price: not known, no guessed factor. */
  for (guint i = 0; i < 2; i++)
    {
      g_free (r->service_tier);
      r->service_tier = g_strdup (i == 0 ? "flex" : "priority");
      easel_cost_estimate (r, &tier);
      g_assert_false (tier.known);
      g_assert_true (tier.tier_price_unknown);
      g_assert_cmpfloat (tier.usd, ==, standard.usd);
    }
}

static void
test_assumed_price (void)
{
  g_autoptr(EaselRequest) r = easel_request_new (EASEL_API_IMAGES_GENERATE);
  EaselCostEstimate estimate;

  g_assert_nonnull (easel_cost_price_assumption ("gpt-image-2"));
  g_assert_nonnull (easel_cost_price_assumption ("chatgpt-image-latest"));
  g_assert_null (easel_cost_price_assumption ("gpt-image-1.5"));
  g_assert_null (easel_cost_price_assumption ("my-local-model"));

  r->prompt = g_strdup ("a cat");
  r->model = g_strdup ("gpt-image-2");
  r->quality = g_strdup ("low");
  r->size = g_strdup ("1024x1024");
  easel_cost_estimate (r, &estimate);
  g_assert_true (estimate.price_assumed);
  g_free (r->model);
  r->model = g_strdup ("gpt-image-1.5");
  easel_cost_estimate (r, &estimate);
  g_assert_false (estimate.price_assumed);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/cost/token-table", test_token_table);
  g_test_add_func ("/core/cost/estimate", test_estimate);
  g_test_add_func ("/core/cost/estimate-prices", test_estimate_prices);
  g_test_add_func ("/core/cost/usage-usd", test_usage_usd);
  g_test_add_func ("/core/cost/format", test_format);
  g_test_add_func ("/core/cost/service-tier", test_service_tier);
  g_test_add_func ("/core/cost/assumed-price", test_assumed_price);

  return g_test_run ();
}
