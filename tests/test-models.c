/* test-models.c: the capability table and request validation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-models"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "easel-models.h"

static GBytes *
make_image (int         width,
            int         height,
            gboolean    alpha,
            const char *format)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, alpha, 8, width, height);
  g_autoptr(GError) error = NULL;
  char *buffer = NULL;
  gsize len = 0;

  gdk_pixbuf_fill (pixbuf, 0x80808000u);
  gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &len, format, &error, NULL);
  g_assert_no_error (error);
  return g_bytes_new_take (buffer, len);
}

/* A PNG header claiming @size, padded with zeros to @megabytes: enough for
 * the size and header checks without encoding a huge image. */
static GBytes *
make_big_png (int size,
              int megabytes)
{
  gsize len = (gsize) megabytes * 1024 * 1024 + 1;
  guint8 *data = g_malloc0 (len);
  static const guint8 head[] = {
    0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
    0, 0, 0, 13, 'I', 'H', 'D', 'R',
  };

  memcpy (data, head, sizeof head);
  data[16] = (size >> 24) & 0xff; data[17] = (size >> 16) & 0xff;
  data[18] = (size >> 8) & 0xff; data[19] = size & 0xff;
  memcpy (data + 20, data + 16, 4);
  data[24] = 8;
  data[25] = 6;
  return g_bytes_new_take (data, len);
}

/* "png:16x16", "jpeg:8x8", "rgbpng:16x16" (no alpha), "gif:8x8",
 * "big:4" (a 4 MB+ square PNG), "id", "url". */
static EaselInputImage *
make_input (const char *spec)
{
  int w = 0, h = 0;
  const char *colon = strchr (spec, ':');

  if (g_str_equal (spec, "id"))
    return easel_input_image_new_file_id ("file-123");
  if (g_str_equal (spec, "url"))
    return easel_input_image_new_url ("https://example.com/a.png");
  g_assert_nonnull (colon);

  if (g_str_has_prefix (spec, "big:"))
    {
      g_autoptr(GBytes) bytes = make_big_png (1024, atoi (colon + 1));
      return easel_input_image_new_bytes (bytes, "big.png", "image/png");
    }

  g_assert_true (easel_parse_size (colon + 1, &w, &h));
  {
    g_autofree char *kind = g_strndup (spec, colon - spec);
    gboolean alpha = g_str_equal (kind, "png");
    const char *format = g_str_equal (kind, "rgbpng") ? "png" : kind;
    g_autoptr(GBytes) bytes = NULL;

    if (g_str_equal (kind, "gif"))
      bytes = g_bytes_new_static ("GIF89a\x08\0\x08\0\0\0\0;", 14);
    else
      bytes = make_image (w, h, alpha, format);
    return easel_input_image_new_bytes (bytes, NULL, NULL);
  }
}

typedef struct
{
  const char *name;
  EaselApi    api;
  const char *model;
  const char *params;        /* "key=value;key=value" */
  const char *images;        /* comma-separated make_input specs */
  const char *mask;
  int         code;          /* -1: valid */
  const char *message;       /* substring of the error message */
} ValidationRow;

#define OK -1
#define GEN EASEL_API_IMAGES_GENERATE
#define EDIT EASEL_API_IMAGES_EDIT
#define VAR EASEL_API_IMAGES_VARIATION
#define RESP EASEL_API_RESPONSES
#define E(x) EASEL_VALIDATION_ERROR_##x

static const ValidationRow rows[] = {
  /* sizes */
  { "gpt-image-1.5 standard size", GEN, "gpt-image-1.5", "size=1536x1024", NULL, NULL, OK, NULL },
  { "gpt-image-1.5 auto size", GEN, "gpt-image-1.5", "size=auto", NULL, NULL, OK, NULL },
  { "gpt-image-1.5 dall-e-2 size", GEN, "gpt-image-1.5", "size=256x256", NULL, NULL, E (INVALID_VALUE),
    "gpt-image-1.5 does not support size 256x256; choose 1024x1024, 1536x1024, 1024x1536 or auto" },
  { "gpt-image-1.5 custom size", GEN, "gpt-image-1.5", "size=1536x864", NULL, NULL, E (INVALID_VALUE), "1536x864" },
  { "gpt-image-2 custom size", GEN, "gpt-image-2", "size=1536x864", NULL, NULL, OK, NULL },
  { "gpt-image-2 snapshot custom size", GEN, "gpt-image-2-2026-04-21", "size=2560x1440", NULL, NULL, OK, NULL },
  { "gpt-image-2 max size", GEN, "gpt-image-2", "size=3840x2160", NULL, NULL, OK, NULL },
  { "gpt-image-2 not /16", GEN, "gpt-image-2", "size=1000x1000", NULL, NULL, E (INVALID_VALUE), "multiples of 16" },
  { "gpt-image-2 aspect", GEN, "gpt-image-2", "size=3840x1024", NULL, NULL, E (INVALID_VALUE), "1:3 and 3:1" },
  { "gpt-image-2 too big", GEN, "gpt-image-2", "size=3840x3840", NULL, NULL, E (INVALID_VALUE), "3840x2160" },
  { "size junk", GEN, "gpt-image-1", "size=big", NULL, NULL, E (INVALID_VALUE), "WIDTHxHEIGHT" },
  { "dall-e-3 wide", GEN, "dall-e-3", "size=1792x1024", NULL, NULL, OK, NULL },
  { "dall-e-3 gpt size", GEN, "dall-e-3", "size=1536x1024", NULL, NULL, E (INVALID_VALUE), "1024x1024, 1792x1024 or 1024x1792" },
  { "dall-e-2 512", GEN, "dall-e-2", "size=512x512", NULL, NULL, OK, NULL },
  { "dall-e-2 wide", GEN, "dall-e-2", "size=1792x1024", NULL, NULL, E (INVALID_VALUE), "256x256, 512x512 or 1024x1024" },
  /* quality */
  { "gpt quality high", GEN, "gpt-image-1-mini", "quality=high", NULL, NULL, OK, NULL },
  { "gpt quality hd", GEN, "gpt-image-1", "quality=hd", NULL, NULL, E (INVALID_VALUE), "low, medium, high or auto" },
  { "dall-e-3 hd", GEN, "dall-e-3", "quality=hd", NULL, NULL, OK, NULL },
  { "dall-e-3 high", GEN, "dall-e-3", "quality=high", NULL, NULL, E (INVALID_VALUE), "standard or hd" },
  { "dall-e-2 standard", GEN, "dall-e-2", "quality=standard", NULL, NULL, OK, NULL },
  { "dall-e-2 hd", GEN, "dall-e-2", "quality=hd", NULL, NULL, E (INVALID_VALUE), "dall-e-2" },
  /* n */
  { "dall-e-3 n=1", GEN, "dall-e-3", "n=1", NULL, NULL, OK, NULL },
  { "dall-e-3 n=2", GEN, "dall-e-3", "n=2", NULL, NULL, E (INVALID_VALUE), "at most 1 image" },
  { "gpt n=10", GEN, "gpt-image-1.5", "n=10", NULL, NULL, OK, NULL },
  { "n=11", GEN, "gpt-image-1.5", "n=11", NULL, NULL, E (INVALID_VALUE), "between 1 and 10" },
  { "n=0", GEN, NULL, "n=0", NULL, NULL, E (INVALID_VALUE), "between 1 and 10" },
  /* formats, background, compression */
  { "jpeg compression", GEN, "gpt-image-1.5", "output_format=jpeg;output_compression=60", NULL, NULL, OK, NULL },
  { "png compression", GEN, "gpt-image-1.5", "output_format=png;output_compression=60", NULL, NULL, E (UNSUPPORTED), "jpeg and webp" },
  { "default-format compression", GEN, "gpt-image-1.5", "output_compression=60", NULL, NULL, E (UNSUPPORTED), "png (the default)" },
  { "compression 101", GEN, "gpt-image-1.5", "output_format=webp;output_compression=101", NULL, NULL, E (INVALID_VALUE), "0 and 100" },
  { "transparent webp", GEN, "gpt-image-1.5", "background=transparent;output_format=webp", NULL, NULL, OK, NULL },
  { "transparent jpeg", GEN, "gpt-image-1.5", "background=transparent;output_format=jpeg", NULL, NULL, E (INVALID_VALUE), "png or webp" },
  { "transparent jpeg unknown model", GEN, "my-local-model", "background=transparent;output_format=jpeg", NULL, NULL, E (INVALID_VALUE), "png or webp" },
  { "gif format", GEN, "gpt-image-1.5", "output_format=gif", NULL, NULL, E (INVALID_VALUE), "png, jpeg or webp" },
  { "dall-e-3 output_format", GEN, "dall-e-3", "output_format=png", NULL, NULL, E (UNSUPPORTED), "dall-e-3 has no output format" },
  { "dall-e-2 background", GEN, "dall-e-2", "background=opaque", NULL, NULL, E (UNSUPPORTED), "background" },
  { "dall-e-3 moderation", GEN, "dall-e-3", "moderation=low", NULL, NULL, E (UNSUPPORTED), "moderation" },
  { "moderation bogus", GEN, "gpt-image-1", "moderation=none", NULL, NULL, E (INVALID_VALUE), "auto or low" },
  /* style and response_format */
  { "dall-e-3 style", GEN, "dall-e-3", "style=vivid;response_format=b64_json", NULL, NULL, OK, NULL },
  { "gpt style", GEN, "gpt-image-1.5", "style=vivid", NULL, NULL, E (UNSUPPORTED), "style" },
  { "gpt response_format", GEN, "gpt-image-1.5", "response_format=url", NULL, NULL, E (UNSUPPORTED), "response format" },
  { "dall-e-2 style", GEN, "dall-e-2", "style=natural", NULL, NULL, E (UNSUPPORTED), "style" },
  /* streaming */
  { "gpt stream", GEN, "gpt-image-1", "stream=1;partial_images=3", NULL, NULL, OK, NULL },
  { "partial 4", GEN, "gpt-image-1", "stream=1;partial_images=4", NULL, NULL, E (INVALID_VALUE), "between 0 and 3" },
  { "dall-e-3 stream", GEN, "dall-e-3", "stream=1", NULL, NULL, E (UNSUPPORTED), "stream" },
  { "dall-e-2 partial", GEN, "dall-e-2", "partial_images=1", NULL, NULL, E (UNSUPPORTED), "stream" },
  /* prompts */
  { "no prompt", GEN, "gpt-image-1", "noprompt=1", NULL, NULL, E (MISSING), "prompt" },
  { "blank prompt", GEN, "gpt-image-1", "prompt=   ", NULL, NULL, E (MISSING), "prompt" },
  { "dall-e-2 1000", GEN, "dall-e-2", "promptlen=1000", NULL, NULL, OK, NULL },
  { "dall-e-2 1001", GEN, "dall-e-2", "promptlen=1001", NULL, NULL, E (TOO_LONG), "at most 1000" },
  { "dall-e-3 4001", GEN, "dall-e-3", "promptlen=4001", NULL, NULL, E (TOO_LONG), "at most 4000" },
  { "gpt 32000", GEN, "gpt-image-1.5", "promptlen=32000", NULL, NULL, OK, NULL },
  { "gpt 32001", GEN, "gpt-image-1.5", "promptlen=32001", NULL, NULL, E (TOO_LONG), "at most 32000" },
  { "unknown long prompt", GEN, "other-model", "promptlen=40000", NULL, NULL, OK, NULL },
  { "generate with image", GEN, "gpt-image-1", NULL, "png:8x8", NULL, E (UNSUPPORTED), "edit" },
  /* edits */
  { "edit needs image", EDIT, "gpt-image-1.5", NULL, NULL, NULL, E (MISSING), "at least one image" },
  { "edit unknown model needs image", EDIT, "x", NULL, NULL, NULL, E (MISSING), "at least one image" },
  { "edit jpeg+png", EDIT, "gpt-image-1.5", "input_fidelity=high", "jpeg:8x8,png:8x6", "png:8x8", OK, NULL },
  { "edit gif", EDIT, "gpt-image-1", NULL, "gif:8x8", NULL, E (INVALID_VALUE), "PNG, JPEG or WebP" },
  { "edit 17 images", EDIT, "gpt-image-1.5", NULL,
    "png:2x2,png:2x2,png:2x2,png:2x2,png:2x2,png:2x2,png:2x2,png:2x2,png:2x2,png:2x2,png:2x2,png:2x2,png:2x2,png:2x2,png:2x2,png:2x2,png:2x2",
    NULL, E (INVALID_VALUE), "at most 16" },
  { "mini fidelity", EDIT, "gpt-image-1-mini", "input_fidelity=high", "png:8x8", NULL, E (UNSUPPORTED), "gpt-image-1-mini has no input fidelity" },
  { "fidelity bogus", EDIT, "gpt-image-1", "input_fidelity=max", "png:8x8", NULL, E (INVALID_VALUE), "high or low" },
  { "mask jpeg", EDIT, "gpt-image-1.5", NULL, "png:8x8", "jpeg:8x8", E (INVALID_VALUE), "mask must be a PNG" },
  { "mask without image", RESP, "gpt-image-1.5", NULL, NULL, "png:8x8", E (MISSING), "mask needs an image" },
  { "dall-e-3 edit", EDIT, "dall-e-3", NULL, "png:8x8", NULL, E (UNSUPPORTED), "dall-e-3 cannot edit" },
  { "dall-e-2 square png", EDIT, "dall-e-2", NULL, "png:16x16", "png:16x16", OK, NULL },
  { "dall-e-2 not square", EDIT, "dall-e-2", NULL, "png:16x8", NULL, E (INVALID_VALUE), "square PNG" },
  { "dall-e-2 jpeg", EDIT, "dall-e-2", NULL, "jpeg:16x16", NULL, E (INVALID_VALUE), "square PNG" },
  { "dall-e-2 two images", EDIT, "dall-e-2", NULL, "png:16x16,png:16x16", NULL, E (INVALID_VALUE), "at most 1 image" },
  { "dall-e-2 4 MB", EDIT, "dall-e-2", NULL, "big:4", NULL, E (TOO_LARGE), "under 4 MB" },
  { "gpt 4 MB fine", EDIT, "gpt-image-1.5", NULL, "big:4", NULL, OK, NULL },
  { "gpt 50 MB", EDIT, "gpt-image-1.5", NULL, "big:50", NULL, E (TOO_LARGE), "under 50 MB" },
  { "dall-e-2 file id", EDIT, "dall-e-2", NULL, "id", NULL, E (UNSUPPORTED), "file itself" },
  /* variations */
  { "variation dall-e-2", VAR, "dall-e-2", "n=4;size=512x512", "rgbpng:16x16", NULL, OK, NULL },
  { "variation default model", VAR, NULL, "size=1536x1024", "rgbpng:16x16", NULL, E (INVALID_VALUE), "dall-e-2 does not support size" },
  { "variation gpt", VAR, "gpt-image-1.5", NULL, "png:16x16", NULL, E (UNSUPPORTED), "only dall-e-2" },
  { "variation dall-e-3", VAR, "dall-e-3", NULL, "png:16x16", NULL, E (UNSUPPORTED), "only dall-e-2" },
  { "variation no image", VAR, "dall-e-2", NULL, NULL, NULL, E (MISSING), "exactly one image" },
  { "variation not square", VAR, "dall-e-2", NULL, "png:16x12", NULL, E (INVALID_VALUE), "square" },
  /* responses */
  { "responses text", RESP, "gpt-image-1.5", "action=generate", NULL, NULL, OK, NULL },
  { "responses image only", RESP, "gpt-image-1.5", "noprompt=1", "id", NULL, OK, NULL },
  { "responses refs only", RESP, NULL, "noprompt=1;refs=1", NULL, NULL, OK, NULL },
  { "responses nothing", RESP, "gpt-image-1.5", "noprompt=1", NULL, NULL, E (MISSING), "prompt or add an image" },
  { "responses dall-e-3", RESP, "dall-e-3", NULL, NULL, NULL, E (UNSUPPORTED), "Responses" },
  { "responses n=2", RESP, "gpt-image-1.5", "n=2", NULL, NULL, E (UNSUPPORTED), "one image" },
  { "responses bad action", RESP, "gpt-image-1.5", "action=paint", NULL, NULL, E (INVALID_VALUE), "auto, generate or edit" },
  { "responses gif input", RESP, "gpt-image-1", NULL, "gif:8x8", NULL, OK, NULL },
  { "responses mask", RESP, "gpt-image-1.5", NULL, "url", "id", OK, NULL },
  /* unknown models: generic checks only */
  { "unknown size", GEN, "my-local-model", "size=777x333;quality=ultra;n=5", NULL, NULL, OK, NULL },
  { "unset model", GEN, NULL, "size=256x256", NULL, NULL, OK, NULL },
};

static void
apply_params (EaselRequest *r,
              const char   *params)
{
  g_auto(GStrv) pairs = NULL;

  r->prompt = g_strdup ("A fox");
  if (params == NULL)
    return;

  pairs = g_strsplit (params, ";", -1);
  for (guint i = 0; pairs[i] != NULL; i++)
    {
      g_auto(GStrv) kv = g_strsplit (pairs[i], "=", 2);
      const char *k = kv[0];
      const char *v = kv[1];

#define STR(field) if (g_str_equal (k, #field)) { g_free (r->field); r->field = g_strdup (v); continue; }
      STR (prompt) STR (size) STR (quality) STR (background) STR (output_format) STR (moderation)
      STR (input_fidelity) STR (style) STR (response_format) STR (action)
#undef STR
      if (g_str_equal (k, "n")) r->n = atoi (v);
      else if (g_str_equal (k, "output_compression")) r->output_compression = atoi (v);
      else if (g_str_equal (k, "partial_images")) r->partial_images = atoi (v);
      else if (g_str_equal (k, "stream")) r->stream = TRUE;
      else if (g_str_equal (k, "noprompt")) g_clear_pointer (&r->prompt, g_free);
      else if (g_str_equal (k, "refs")) g_ptr_array_add (r->image_call_refs, g_strdup ("ig_1"));
      else if (g_str_equal (k, "promptlen"))
        {
          g_free (r->prompt);
          /* Multi-byte characters: the limit counts characters, not bytes. */
          g_autofree char *as = g_strnfill (atoi (v) - 1, 'a');
          r->prompt = g_strconcat (as, "é", NULL);
        }
      else
        g_error ("unknown test param %s", k);
    }
}

static void
test_validation_table (void)
{
  g_assert_cmpuint (G_N_ELEMENTS (rows), >=, 30);

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      const ValidationRow *row = &rows[i];
      g_autoptr(EaselRequest) r = easel_request_new (row->api);
      g_autoptr(GError) error = NULL;
      gboolean ok;

      g_test_message ("row %u: %s", i, row->name);
      r->model = g_strdup (row->model);
      apply_params (r, row->params);
      if (row->images)
        {
          g_auto(GStrv) specs = g_strsplit (row->images, ",", -1);
          for (guint j = 0; specs[j]; j++)
            easel_request_add_image (r, make_input (specs[j]));
        }
      if (row->mask)
        easel_request_set_mask (r, make_input (row->mask));

      ok = easel_request_validate (r, &error);
      if (row->code == OK)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
        }
      else
        {
          g_assert_false (ok);
          g_assert_error (error, EASEL_VALIDATION_ERROR, row->code);
          if (strstr (error->message, row->message) == NULL)
            g_error ("row %s: message “%s” lacks “%s”", row->name, error->message, row->message);
        }
    }
}

static void
test_lookup (void)
{
  const EaselModelInfo **list = easel_model_list ();
  static const char * const ids[] = {
    "gpt-image-2", "gpt-image-1.5", "gpt-image-1", "gpt-image-1-mini",
    "chatgpt-image-latest", "dall-e-3", "dall-e-2", NULL,
  };
  guint n = 0;

  for (; list[n] != NULL; n++)
    {
      g_assert_cmpstr (list[n]->id, ==, ids[n]);
      g_assert_true (easel_model_lookup (ids[n]) == list[n]);
      g_assert_nonnull (list[n]->display_name);
      g_assert_nonnull (list[n]->sizes);
      g_assert_nonnull (list[n]->qualities);
      g_assert_cmpint (list[n]->max_n, >=, 1);
      g_assert_true (list[n]->supports_generate);
    }
  g_assert_cmpuint (n, ==, g_strv_length ((char **) ids));

  g_assert_true (easel_model_lookup ("gpt-image-2-2026-04-21") == easel_model_lookup ("gpt-image-2"));
  g_assert_true (easel_model_lookup ("gpt-image-1-2025-04-23") == easel_model_lookup ("gpt-image-1"));
  g_assert_null (easel_model_lookup ("gpt-image-2.5"));
  g_assert_null (easel_model_lookup ("gpt-image-1-minix"));
  g_assert_null (easel_model_lookup ("gpt-image-2-20260421"));

  /* Names for people: a snapshot reads as its family, an unknown id as itself. */
  g_assert_cmpstr (easel_model_display_name ("gpt-image-1.5"), ==, easel_model_lookup ("gpt-image-1.5")->display_name);
  g_assert_cmpstr (easel_model_display_name ("gpt-image-2-2026-04-21"), ==, easel_model_lookup ("gpt-image-2")->display_name);
  g_assert_cmpstr (easel_model_display_name ("my-local-model"), ==, "my-local-model");
  g_assert_null (easel_model_display_name (NULL));
  g_assert_null (easel_model_lookup (NULL));

  g_assert_cmpstr (easel_model_default (EASEL_API_IMAGES_VARIATION), ==, "dall-e-2");
  g_assert_nonnull (easel_model_lookup (easel_model_default (EASEL_API_IMAGES_GENERATE)));
  g_assert_true (easel_model_lookup (easel_model_default (EASEL_API_RESPONSES))->supports_responses_tool);
  g_assert_true (easel_model_lookup (easel_model_default (EASEL_API_IMAGES_EDIT))->supports_edit);

  /* Only dall-e-2 makes variations; only GPT image models stream. */
  for (guint i = 0; list[i]; i++)
    {
      g_assert_cmpint (list[i]->supports_variation, ==, g_str_equal (list[i]->id, "dall-e-2"));
      g_assert_cmpint (list[i]->supports_stream, ==, list[i]->token_priced);
      g_assert_cmpint (list[i]->supports_responses_tool, ==, list[i]->token_priced);
    }
}

static void
test_supports_value (void)
{
  static const struct { const char *model, *option, *value; gboolean ok; } cases[] = {
    { "gpt-image-2", "size", "1536x864", TRUE },
    { "gpt-image-2", "size", "1537x864", FALSE },
    { "gpt-image-1.5", "size", "1536x864", FALSE },
    { "gpt-image-1.5", "size", "auto", TRUE },
    { "dall-e-3", "size", "auto", FALSE },
    { "dall-e-3", "quality", "standard", TRUE },
    { "dall-e-3", "style", "natural", TRUE },
    { "gpt-image-1", "style", "natural", FALSE },
    { "gpt-image-1-mini", "input_fidelity", "low", FALSE },
    { "gpt-image-1", "input_fidelity", "low", TRUE },
    { "gpt-image-1", "output_format", "webp", TRUE },
    { "dall-e-2", "output_format", "png", FALSE },
    { "dall-e-2", "response_format", "b64_json", TRUE },
    { "gpt-image-1", "bogus-option", "x", FALSE },
    { "gpt-image-1", "size", NULL, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (easel_model_supports_value (easel_model_lookup (cases[i].model),
                                                 cases[i].option, cases[i].value), ==, cases[i].ok);
}

static void
test_parse_size (void)
{
  int w = 0, h = 0;

  g_assert_true (easel_parse_size ("1536x864", &w, &h));
  g_assert_cmpint (w, ==, 1536);
  g_assert_cmpint (h, ==, 864);
  g_assert_false (easel_parse_size ("auto", NULL, NULL));
  g_assert_false (easel_parse_size ("1024", NULL, NULL));
  g_assert_false (easel_parse_size ("1024x", NULL, NULL));
  g_assert_false (easel_parse_size ("x1024", NULL, NULL));
  g_assert_false (easel_parse_size ("0x10", NULL, NULL));
  g_assert_false (easel_parse_size ("10x10x10", NULL, NULL));
  g_assert_false (easel_parse_size ("-5x10", NULL, NULL));
  g_assert_false (easel_parse_size (NULL, NULL, NULL));
}

static void
test_mask_matches (void)
{
  static const struct {
    const char *image;
    int iw, ih;
    const char *mask;    /* "png" with alpha, "rgb" png without, "jpeg" */
    int mw, mh;
    gboolean ok;
    const char *message;
  } cases[] = {
    { "png", 32, 24, "png", 32, 24, TRUE, NULL },
    { "jpeg", 40, 40, "png", 40, 40, TRUE, NULL },
    { "png", 32, 24, "png", 24, 32, FALSE, "The mask is 24×32 pixels but the image is 32×24" },
    { "jpeg", 64, 64, "png", 32, 32, FALSE, "same size" },
    { "png", 16, 16, "rgb", 16, 16, FALSE, "no alpha channel" },
    { "png", 16, 16, "jpeg", 16, 16, FALSE, "must be a PNG" },
    { "junk", 0, 0, "png", 16, 16, FALSE, "could not be read" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) image = NULL;
      g_autoptr(GBytes) mask = NULL;
      g_autoptr(GError) error = NULL;

      if (g_str_equal (cases[i].image, "junk"))
        image = g_bytes_new_static ("definitely not an image at all", 30);
      else
        image = make_image (cases[i].iw, cases[i].ih, FALSE, cases[i].image);

      if (g_str_equal (cases[i].mask, "rgb"))
        mask = make_image (cases[i].mw, cases[i].mh, FALSE, "png");
      else
        mask = make_image (cases[i].mw, cases[i].mh, g_str_equal (cases[i].mask, "png"), cases[i].mask);

      if (cases[i].ok)
        {
          g_assert_true (easel_validate_mask_matches_image (image, mask, &error));
          g_assert_no_error (error);
        }
      else
        {
          g_assert_false (easel_validate_mask_matches_image (image, mask, &error));
          g_assert_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_INVALID_VALUE);
          if (strstr (error->message, cases[i].message) == NULL)
            g_error ("case %u: “%s” lacks “%s”", i, error->message, cases[i].message);
        }
    }
}

static void
test_retirement (void)
{
  g_autoptr(GDateTime) before = g_date_time_new_utc (2026, 5, 11, 23, 59, 59);
  g_autoptr(GDateTime) on_day = g_date_time_new_utc (2026, 5, 12, 0, 0, 0);
  g_autoptr(GDateTime) between = g_date_time_new_utc (2026, 10, 22, 12, 0, 0);
  g_autoptr(GDateTime) after = g_date_time_new_utc (2026, 12, 6, 16, 45, 0);
  g_autoptr(GDateTime) date = NULL;
  g_autoptr(EaselRequest) r = easel_request_new (EASEL_API_IMAGES_GENERATE);
  g_autoptr(EaselRequest) variation = easel_request_new (EASEL_API_IMAGES_VARIATION);
  g_autoptr(GError) error = NULL;
  const EaselModelInfo *dalle3 = easel_model_lookup ("dall-e-3");
  const EaselModelInfo *dalle2 = easel_model_lookup ("dall-e-2");
  const EaselModelInfo *gpt1 = easel_model_lookup ("gpt-image-1");
  const EaselModelInfo *gpt15 = easel_model_lookup ("gpt-image-1.5");

  date = easel_model_get_retirement_date (dalle3);
  g_assert_nonnull (date);
  g_assert_cmpint (g_date_time_get_year (date), ==, 2026);
  g_assert_cmpint (g_date_time_get_month (date), ==, 5);
  g_assert_cmpint (g_date_time_get_day_of_month (date), ==, 12);
  g_assert_null (easel_model_get_retirement_date (gpt15));

  g_assert_false (easel_model_is_retired (dalle3, before));
  g_assert_true (easel_model_is_retired (dalle3, on_day));
  g_assert_true (easel_model_is_retired (dalle2, on_day));
  g_assert_false (easel_model_is_retired (gpt1, between));
  g_assert_true (easel_model_is_retired (gpt1, after));
  g_assert_false (easel_model_is_retired (gpt15, after));
  /* Dated snapshots share their family's date. */
  g_assert_true (easel_model_is_retired (easel_model_lookup ("gpt-image-1-2025-04-15"), after));

  r->prompt = g_strdup ("a fox");
  r->model = g_strdup ("gpt-image-1");
  g_assert_true (easel_request_check_retired (r, between, &error));
  g_assert_no_error (error);
  g_assert_false (easel_request_check_retired (r, after, &error));
  g_assert_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_RETIRED);
  g_assert_nonnull (strstr (error->message, "2026-10-23"));
  g_clear_error (&error);

  /* Unknown models (a compatible server's) are never retired. */
  g_free (r->model);
  r->model = g_strdup ("my-local-model");
  g_assert_true (easel_request_check_retired (r, after, &error));

  /* A variation without a model is dall-e-2's. */
  g_assert_false (easel_request_check_retired (variation, on_day, &error));
  g_assert_error (error, EASEL_VALIDATION_ERROR, EASEL_VALIDATION_ERROR_RETIRED);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/models/validation-table", test_validation_table);
  g_test_add_func ("/core/models/lookup", test_lookup);
  g_test_add_func ("/core/models/supports-value", test_supports_value);
  g_test_add_func ("/core/models/parse-size", test_parse_size);
  g_test_add_func ("/core/models/mask-matches", test_mask_matches);
  g_test_add_func ("/core/models/retirement", test_retirement);

  return g_test_run ();
}
