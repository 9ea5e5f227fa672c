/* fuzz-rebuild-request.c: libFuzzer harness for rebuilding a stored request
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input is the params_json of a library row (what a damaged or
 * hand-edited library.db, or an imported PNG, could hold). The library is
 * created once per process, with one stored image whose hash inputs can
 * name. A rebuilt request is taken through everything a retry does with
 * it (cache key, body, multipart), and its parameters, stored again, must
 * rebuild to the same parameters.
 */

#define G_LOG_DOMAIN "fuzz-rebuild-request"

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "easel-store.h"
#include "fuzz-common.h"

static EaselStore *store;
static char *tmp_dir;

static void
rm_rf (const char *path)
{
  g_autoptr(GDir) d = g_dir_open (path, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        rm_rf (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
remove_library (void)
{
  g_clear_object (&store);
  if (tmp_dir != NULL)
    rm_rf (tmp_dir);
}

/* A 1×1 PNG, sha256 fa3b693059daa1f77754db7b97c790aba2c920a7311a33282189042af054be25:
 * the seed corpus names it as an input image. */
static const guint8 tiny_png[] = {
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
  0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
  0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0xf8, 0xdf, 0xc0, 0xf0,
  0x1f, 0x00, 0x06, 0x80, 0x02, 0x7f, 0xcf, 0x12, 0x09, 0xf1, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
  0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
};

static void
setup (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = g_bytes_new_static (tiny_png, sizeof tiny_png);
  g_autofree char *lib = NULL;
  g_autofree char *path = NULL;

  fuzz_make_warnings_fatal ();
  tmp_dir = g_dir_make_tmp ("easel-fuzz-rebuild-XXXXXX", &error);
  g_assert_no_error (error);
  lib = g_build_filename (tmp_dir, "library", NULL);
  store = easel_store_open (lib, &error);
  g_assert_no_error (error);
  path = easel_store_store_image (store, png, "png", NULL, &error);
  g_assert_no_error (error);
  atexit (remove_library);
}

/* A data: URL input is the image itself: the library does not keep it
 * (easel_request_params_to_json), so such a request cannot rebuild. */
static gboolean
has_data_url (EaselRequest *request)
{
  for (guint i = 0; i < request->images->len; i++)
    {
      EaselInputImage *image = request->images->pdata[i];

      if (image->kind == EASEL_INPUT_IMAGE_URL && g_str_has_prefix (image->url, "data:"))
        return TRUE;
    }
  return request->mask != NULL && request->mask->kind == EASEL_INPUT_IMAGE_URL &&
         g_str_has_prefix (request->mask->url, "data:");
}

static char *
params_of (EaselRequest *request)
{
  g_autoptr(JsonNode) params = easel_request_params_to_json (request);

  g_assert_true (JSON_NODE_HOLDS_OBJECT (params));
  return json_to_string (params, FALSE);
}

static void
check_round_trip (EaselGeneration *g,
                  EaselRequest    *request)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselGeneration) g2 = easel_generation_new ();
  g_autoptr(EaselRequest) request2 = NULL;
  g_autofree char *params = params_of (request);
  g_autofree char *params2 = NULL;

  g2->id = 2;
  g2->api = g_strdup (g->api);
  g2->prompt = g_strdup (g->prompt);
  g2->params_json = g_strdup (params);
  request2 = easel_store_rebuild_request (store, g2, &error);
  if (request2 == NULL)
    g_error ("Stored parameters do not rebuild: %s\n%s", error->message, params);
  params2 = params_of (request2);
  if (!g_str_equal (params, params2))
    g_error ("Stored parameters change when rebuilt:\n%s\n%s", params, params2);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselGeneration) g = NULL;
  g_autoptr(EaselRequest) request = NULL;
  g_autoptr(EaselRequest) copy = NULL;
  g_autofree char *key = NULL;

  if (store == NULL)
    setup ();

  g = easel_generation_new ();
  g->id = 1;
  g->api = g_strdup ("generate");
  g->prompt = g_strdup ("a stored prompt");
  g->params_json = g_strndup ((const char *) data, size);

  request = easel_store_rebuild_request (store, g, &error);
  g_assert ((request == NULL) != (error == NULL));
  if (request == NULL)
    {
      g_assert_true (error->domain == EASEL_STORE_ERROR);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }

  /* What a retry does with it. */
  copy = easel_request_copy (request);
  key = easel_request_cache_key (copy, NULL);
  g_assert_nonnull (key);
  if (easel_request_is_multipart (request))
    {
      g_autoptr(GError) body_error = NULL;
      SoupMultipart *multipart = easel_request_to_multipart (request, &body_error);

      g_assert ((multipart == NULL) != (body_error == NULL));
      g_clear_pointer (&multipart, soup_multipart_free);
    }
  else
    {
      g_autoptr(GError) body_error = NULL;
      g_autoptr(JsonNode) body = easel_request_to_json (request, &body_error);

      g_assert ((body == NULL) != (body_error == NULL));
    }

  /* Stored again, the parameters rebuild to themselves. */
  if (!has_data_url (request))
    check_round_trip (g, request);

  return 0;
}
