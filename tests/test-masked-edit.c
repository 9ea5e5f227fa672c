/* test-masked-edit.c: a mask painted on an EaselMask reaches the server the way each API wants it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The fake server records every request; the checks decode what went over
 * the wire (the multipart `mask` part, the JSON `input_image_mask` data URL
 * or file id) and look at real pixels: a PNG with alpha at exactly the
 * image's size. With Prism available, the same requests are validated
 * against the official spec too.
 */

#define G_LOG_DOMAIN "test-masked-edit"

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "easel-core.h"
#include "fake-server.h"

#define TEST_KEY "sk-test-masked-edit"
#define W 96
#define H 64

/* ------------------------------------------------------------------------ */
/* Helpers */

static GBytes *
save_png (GdkPixbuf *pixbuf)
{
  g_autoptr(GError) error = NULL;
  char *buffer = NULL;
  gsize len = 0;

  gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &len, "png", &error, NULL);
  g_assert_no_error (error);
  return g_bytes_new_take (buffer, len);
}

/* An opaque RGB picture; @noise makes it incompressible (a big file). */
static GBytes *
make_image (int width, int height, gboolean noise)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  guint8 *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guint8 *p = pixels + y * stride + x * 3;

        if (noise)
          {
            guint32 r = g_rand_int (rand);
            p[0] = r; p[1] = r >> 8; p[2] = r >> 16;
          }
        else
          {
            p[0] = x * 255 / width; p[1] = y * 255 / height; p[2] = 128;
          }
      }

  return save_png (pixbuf);
}

static GdkPixbuf *
decode (GBytes *bytes)
{
  g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
  g_autoptr(GError) error = NULL;

  gdk_pixbuf_loader_write_bytes (loader, bytes, &error);
  g_assert_no_error (error);
  gdk_pixbuf_loader_close (loader, &error);
  g_assert_no_error (error);
  return g_object_ref (gdk_pixbuf_loader_get_pixbuf (loader));
}

static GBytes *
decode_data_url (const char *url)
{
  const char *comma;
  guchar *data;
  gsize len;

  g_assert_nonnull (url);
  g_assert_true (g_str_has_prefix (url, "data:image/png;base64,"));
  comma = strchr (url, ',');
  data = g_base64_decode (comma + 1, &len);
  return g_bytes_new_take (data, len);
}

/* The wire mask: PNG, alpha, the image's size, transparent exactly where
 * the EaselMask selected (no feather in these tests). */
static void
assert_wire_mask (GBytes *png, EaselMask *mask)
{
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  const guint8 *pixels;
  int stride;

  g_assert_cmpuint (g_bytes_get_size (png), >, 8);
  g_assert_cmpmem (g_bytes_get_data (png, NULL), 4, "\x89PNG", 4);

  pixbuf = decode (png);
  g_assert_true (gdk_pixbuf_get_has_alpha (pixbuf));
  g_assert_cmpint (gdk_pixbuf_get_width (pixbuf), ==, easel_mask_get_width (mask));
  g_assert_cmpint (gdk_pixbuf_get_height (pixbuf), ==, easel_mask_get_height (mask));

  pixels = gdk_pixbuf_read_pixels (pixbuf);
  stride = gdk_pixbuf_get_rowstride (pixbuf);
  for (int y = 0; y < easel_mask_get_height (mask); y += 3)
    for (int x = 0; x < easel_mask_get_width (mask); x += 3)
      g_assert_cmpuint (pixels[y * stride + x * 4 + 3], ==, 255 - easel_mask_get_value (mask, x, y));
}

static void
assert_wire_image (GBytes *bytes, int width, int height)
{
  g_autoptr(GdkPixbuf) pixbuf = decode (bytes);

  g_assert_cmpint (gdk_pixbuf_get_width (pixbuf), ==, width);
  g_assert_cmpint (gdk_pixbuf_get_height (pixbuf), ==, height);
}

static EaselMask *
painted_mask (int width, int height)
{
  EaselMask *mask = easel_mask_new (width, height);

  easel_mask_fill_rect (mask, width / 4, height / 4, width / 2, height / 2, FALSE);
  easel_mask_stroke_to (mask, 2, 2, 1.0, width / 3.0, height - 4.0, 1.0, 3, 1.0, FALSE);
  return mask;
}

typedef struct
{
  gboolean      done;
  EaselRequest *request;
  EaselResult  *result;
  GError       *error;
} Outcome;

static void
prepared_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Outcome *o = user_data;

  o->request = easel_masked_edit_prepare_finish (res, &o->error);
  o->done = TRUE;
}

static void
sent_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Outcome *o = user_data;

  o->result = easel_client_send_finish (EASEL_CLIENT (source), res, &o->error);
  o->done = TRUE;
}

static EaselRequest *
prepare (EaselClient *client, const EaselRequest *base, GBytes *image, GBytes *mask_png, GError **error)
{
  Outcome o = { 0 };

  easel_masked_edit_prepare_async (client, base, image, "image/png", mask_png, NULL, prepared_cb, &o);
  while (!o.done)
    g_main_context_iteration (NULL, TRUE);

  if (o.error != NULL)
    g_propagate_error (error, o.error);
  return o.request;
}

static gboolean
send (EaselClient *client, EaselRequest *request, GError **error)
{
  Outcome o = { 0 };

  easel_client_send_async (client, request, NULL, NULL, NULL, NULL, sent_cb, &o);
  while (!o.done)
    g_main_context_iteration (NULL, TRUE);

  g_clear_pointer (&o.result, easel_result_free);
  if (o.error != NULL)
    {
      g_propagate_error (error, o.error);
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  EaselFakeServer *server;
  EaselClient     *client;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->server = easel_fake_server_new (&error);
  g_assert_no_error (error);
  f->client = easel_client_new (easel_fake_server_get_base_url (f->server), TEST_KEY);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->client);
  g_clear_pointer (&f->server, easel_fake_server_free);
}

/* ------------------------------------------------------------------------ */
/* Images API: multipart image + mask + input_fidelity */

static void
test_images_multipart (Fixture *f, gconstpointer data)
{
  g_autoptr(EaselMask) mask = painted_mask (W, H);
  g_autoptr(GBytes) image = make_image (W, H, FALSE);
  g_autoptr(GBytes) mask_png = NULL;
  g_autoptr(EaselRequest) base = easel_request_new (EASEL_API_IMAGES_GENERATE);
  g_autoptr(EaselRequest) request = NULL;
  g_autoptr(GPtrArray) parts = NULL;
  g_autoptr(GError) error = NULL;
  const EaselFakeRequest *wire;
  EaselFakePart *image_part, *mask_part, *fidelity;

  mask_png = easel_mask_encode_png (mask, 0, &error);
  g_assert_no_error (error);

  base->model = g_strdup ("gpt-image-1.5");
  base->prompt = g_strdup ("put a flamingo in the pool");
  base->input_fidelity = g_strdup ("high");

  request = prepare (f->client, base, image, mask_png, &error);
  g_assert_no_error (error);
  g_assert_cmpint (request->api, ==, EASEL_API_IMAGES_EDIT);
  g_assert_true (easel_request_is_multipart (request));

  send (f->client, request, &error);
  g_assert_no_error (error);

  wire = easel_fake_server_get_last_request (f->server);
  g_assert_cmpstr (wire->path, ==, "/v1/images/edits");
  g_assert_cmpstr (wire->content_type, ==, "multipart/form-data");
  parts = easel_fake_request_parse_multipart (wire);
  g_assert_nonnull (parts);

  image_part = easel_fake_parts_find (parts, "image[]");
  if (image_part == NULL)
    image_part = easel_fake_parts_find (parts, "image");
  g_assert_nonnull (image_part);
  assert_wire_image (image_part->data, W, H);

  mask_part = easel_fake_parts_find (parts, "mask");
  g_assert_nonnull (mask_part);
  g_assert_nonnull (mask_part->filename);
  g_assert_cmpstr (mask_part->content_type, ==, "image/png");
  assert_wire_mask (mask_part->data, mask);

  fidelity = easel_fake_parts_find (parts, "input_fidelity");
  g_assert_nonnull (fidelity);
  g_assert_cmpmem (g_bytes_get_data (fidelity->data, NULL), g_bytes_get_size (fidelity->data), "high", 4);
}

/* ------------------------------------------------------------------------ */
/* Responses API */

static JsonObject *
image_tool (JsonObject *body)
{
  JsonArray *tools = json_object_get_array_member (body, "tools");

  g_assert_nonnull (tools);
  for (guint i = 0; i < json_array_get_length (tools); i++)
    {
      JsonObject *tool = json_array_get_object_element (tools, i);

      if (g_strcmp0 (json_object_get_string_member (tool, "type"), "image_generation") == 0)
        return tool;
    }
  g_assert_not_reached ();
}

/* The first input_image of the user message. */
static JsonObject *
first_input_image (JsonObject *body)
{
  JsonArray *input = json_object_get_array_member (body, "input");

  g_assert_nonnull (input);
  for (guint i = 0; i < json_array_get_length (input); i++)
    {
      JsonObject *item = json_array_get_object_element (input, i);
      JsonArray *content;

      if (!json_object_has_member (item, "content") ||
          !JSON_NODE_HOLDS_ARRAY (json_object_get_member (item, "content")))
        continue;
      content = json_object_get_array_member (item, "content");
      for (guint j = 0; j < json_array_get_length (content); j++)
        {
          JsonObject *part = json_array_get_object_element (content, j);

          if (g_strcmp0 (json_object_get_string_member (part, "type"), "input_image") == 0)
            return part;
        }
    }
  g_assert_not_reached ();
}

static EaselRequest *
responses_base (void)
{
  EaselRequest *base = easel_request_new (EASEL_API_RESPONSES);

  base->model = g_strdup ("gpt-image-1.5");
  base->prompt = g_strdup ("put a flamingo in the pool");
  base->action = g_strdup ("auto");
  return base;
}

static void
test_responses_inline (Fixture *f, gconstpointer data)
{
  g_autoptr(EaselMask) mask = painted_mask (W, H);
  g_autoptr(GBytes) image = make_image (W, H, FALSE);
  g_autoptr(GBytes) mask_png = NULL;
  g_autoptr(EaselRequest) base = responses_base ();
  g_autoptr(EaselRequest) request = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GBytes) wire_mask = NULL;
  g_autoptr(GBytes) wire_image = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *body, *tool, *mask_ref;

  mask_png = easel_mask_encode_png (mask, 0, &error);
  g_assert_no_error (error);

  request = prepare (f->client, base, image, mask_png, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (request->action, ==, "edit");

  send (f->client, request, &error);
  g_assert_no_error (error);

  /* Small files travel inline: nothing was uploaded. */
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
  node = easel_fake_request_parse_json (easel_fake_server_get_last_request (f->server));
  g_assert_nonnull (node);
  body = json_node_get_object (node);

  tool = image_tool (body);
  g_assert_cmpstr (json_object_get_string_member (tool, "action"), ==, "edit");
  mask_ref = json_object_get_object_member (tool, "input_image_mask");
  g_assert_nonnull (mask_ref);
  wire_mask = decode_data_url (json_object_get_string_member (mask_ref, "image_url"));
  assert_wire_mask (wire_mask, mask);

  wire_image = decode_data_url (json_object_get_string_member (first_input_image (body), "image_url"));
  assert_wire_image (wire_image, W, H);
  g_assert_true (g_bytes_equal (wire_image, image));
}

static void
test_responses_upload (Fixture *f, gconstpointer data)
{
  /* Noise does not compress: well over the inline limit. */
  const int size = 768;
  g_autoptr(EaselMask) mask = painted_mask (size, size);
  g_autoptr(GBytes) image = make_image (size, size, TRUE);
  g_autoptr(GBytes) mask_png = NULL;
  g_autoptr(EaselRequest) base = responses_base ();
  g_autoptr(EaselRequest) request = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) upload1 = NULL;
  g_autoptr(JsonNode) upload2 = NULL;
  g_autoptr(GPtrArray) parts1 = NULL;
  g_autoptr(GPtrArray) parts2 = NULL;
  g_autoptr(GError) error = NULL;
  const EaselFakeRequest *wire;
  JsonObject *body, *tool;
  const char *image_id, *mask_id;

  g_assert_cmpuint (g_bytes_get_size (image), >, EASEL_MASKED_EDIT_INLINE_LIMIT);
  mask_png = easel_mask_encode_png (mask, 0, &error);
  g_assert_no_error (error);

  request = prepare (f->client, base, image, mask_png, &error);
  g_assert_no_error (error);

  /* Two uploads, purpose vision, carrying the image and the mask. */
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 2);
  wire = easel_fake_server_get_request (f->server, 0);
  g_assert_cmpstr (wire->path, ==, "/v1/files");
  parts1 = easel_fake_request_parse_multipart (wire);
  g_assert_nonnull (parts1);
  g_assert_nonnull (easel_fake_parts_find (parts1, "purpose"));
  g_assert_cmpmem (g_bytes_get_data (easel_fake_parts_find (parts1, "purpose")->data, NULL),
                   g_bytes_get_size (easel_fake_parts_find (parts1, "purpose")->data), "vision", 6);
  g_assert_true (g_bytes_equal (easel_fake_parts_find (parts1, "file")->data, image));

  wire = easel_fake_server_get_request (f->server, 1);
  g_assert_cmpstr (wire->path, ==, "/v1/files");
  parts2 = easel_fake_request_parse_multipart (wire);
  assert_wire_mask (easel_fake_parts_find (parts2, "file")->data, mask);

  g_assert_cmpint (request->mask->kind, ==, EASEL_INPUT_IMAGE_FILE_ID);
  g_assert_cmpint (((EaselInputImage *) g_ptr_array_index (request->images, 0))->kind, ==,
                   EASEL_INPUT_IMAGE_FILE_ID);

  send (f->client, request, &error);
  g_assert_no_error (error);

  node = easel_fake_request_parse_json (easel_fake_server_get_last_request (f->server));
  body = json_node_get_object (node);
  tool = image_tool (body);
  g_assert_cmpstr (json_object_get_string_member (tool, "action"), ==, "edit");
  mask_id = json_object_get_string_member (json_object_get_object_member (tool, "input_image_mask"), "file_id");
  image_id = json_object_get_string_member (first_input_image (body), "file_id");
  g_assert_nonnull (mask_id);
  g_assert_nonnull (image_id);
  g_assert_cmpstr (mask_id, !=, image_id);
  g_assert_cmpstr (image_id, ==, ((EaselInputImage *) g_ptr_array_index (request->images, 0))->file_id);
  g_assert_cmpstr (mask_id, ==, request->mask->file_id);
}

/* ------------------------------------------------------------------------ */
/* Validation: each failure says what is wrong, and nothing is sent. */

typedef struct
{
  const char *name;
  const char *model;
  EaselApi    api;
  int         image_w, image_h;
  int         mask_w, mask_h;
  gboolean    empty_mask;
  gboolean    noise;
  int         code;
  const char *message_part;
} ValidationCase;

static const ValidationCase validation_cases[] = {
  { "empty", "gpt-image-1.5", EASEL_API_IMAGES_GENERATE, 64, 64, 64, 64, TRUE, FALSE,
    EASEL_MASK_ERROR_EMPTY, "selects nothing" },
  { "size-mismatch", "gpt-image-1.5", EASEL_API_RESPONSES, 64, 64, 80, 64, FALSE, FALSE,
    EASEL_MASK_ERROR_SIZE_MISMATCH, "exactly the image" },
  { "dall-e-2-square", "dall-e-2", EASEL_API_IMAGES_GENERATE, 96, 64, 96, 64, FALSE, FALSE,
    EASEL_MASK_ERROR_NOT_SQUARE_PNG, "square PNG" },
  { "dall-e-2-too-large", "dall-e-2", EASEL_API_IMAGES_GENERATE, 1300, 1300, 1300, 1300, FALSE, TRUE,
    EASEL_MASK_ERROR_TOO_LARGE, "4 MB" },
};

static void
test_validation (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < G_N_ELEMENTS (validation_cases); i++)
    {
      const ValidationCase *c = &validation_cases[i];
      g_autoptr(EaselMask) mask = easel_mask_new (c->mask_w, c->mask_h);
      g_autoptr(GBytes) image = make_image (c->image_w, c->image_h, c->noise);
      g_autoptr(GBytes) mask_png = NULL;
      g_autoptr(EaselRequest) base = easel_request_new (c->api);
      g_autoptr(EaselRequest) request = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("case %s", c->name);
      base->model = g_strdup (c->model);
      base->prompt = g_strdup ("x");

      if (c->empty_mask)
        {
          /* An all-opaque PNG: what a user would get by exporting nothing. */
          g_autoptr(GdkPixbuf) opaque = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, c->mask_w, c->mask_h);
          gdk_pixbuf_fill (opaque, 0x000000ff);
          mask_png = save_png (opaque);
        }
      else
        {
          easel_mask_fill_rect (mask, 0, 0, 8, 8, FALSE);
          mask_png = easel_mask_encode_png (mask, 0, &error);
          g_assert_no_error (error);
        }

      request = prepare (f->client, base, image, mask_png, &error);
      g_assert_null (request);
      g_assert_error (error, EASEL_MASK_ERROR, c->code);
      g_assert_nonnull (strstr (error->message, c->message_part));
    }

  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 0);
}

/* An empty EaselMask refuses to encode at all: the "nothing selected" the
 * canvas shows before anything is sent. */
static void
test_empty_mask_encode (void)
{
  g_autoptr(EaselMask) mask = easel_mask_new (32, 32);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) png = easel_mask_encode_png (mask, 4, &error);

  g_assert_null (png);
  g_assert_error (error, EASEL_MASK_ERROR, EASEL_MASK_ERROR_EMPTY);
}

/* ------------------------------------------------------------------------ */
/* Prism: the same requests against the official spec */

typedef struct
{
  GSubprocess *process;
  char        *log_path;
} Prism;

static char *
find_prism (void)
{
  const char *env = g_getenv ("EASEL_PRISM");
  g_autofree char *local = g_build_filename (TEST_SRCDIR, "..", "_build-prism", "node_modules", ".bin", "prism", NULL);

  if (env != NULL && env[0] != '\0')
    return g_file_test (env, G_FILE_TEST_IS_EXECUTABLE) ? g_strdup (env) : NULL;
  if (g_file_test (local, G_FILE_TEST_IS_EXECUTABLE))
    return g_steal_pointer (&local);
  return g_find_program_in_path ("prism");
}

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static guint
pick_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (socket, address, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static gboolean
port_open (guint port)
{
  g_autoptr(GSocketClient) sc = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;

  g_socket_client_set_timeout (sc, 1);
  conn = g_socket_client_connect_to_host (sc, "127.0.0.1", port, NULL, NULL);
  return conn != NULL;
}

/* Prism answers a valid request with 200 and a placeholder body the client
 * calls a bad response; anything the spec rejects is a 4xx. */
static gboolean
prism_accepted (const GError *error)
{
  return error == NULL || g_error_matches (error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE);
}

static void
test_prism (void)
{
  const char *shared = g_getenv ("EASEL_SHARED_DIR");
  g_autofree char *prism_path = find_prism ();
  g_autofree char *spec = NULL;
  g_autofree char *port_str = NULL;
  g_autofree char *base_url = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(EaselClient) client = NULL;
  g_autoptr(EaselMask) mask = painted_mask (W, H);
  g_autoptr(GBytes) image = make_image (W, H, FALSE);
  g_autoptr(GBytes) mask_png = NULL;
  g_autoptr(GError) error = NULL;
  Prism prism = { 0 };
  gint64 deadline;
  guint port;
  int fd;
  EaselApi apis[] = { EASEL_API_IMAGES_GENERATE, EASEL_API_RESPONSES };

  if (shared == NULL)
    {
      g_test_skip ("EASEL_SHARED_DIR is not set: no spec to validate against");
      return;
    }
  spec = g_build_filename (shared, "openai-spec", "openai-images-subset.yaml", NULL);
  if (!g_file_test (spec, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("openai-images-subset.yaml is absent");
      return;
    }
  if (prism_path == NULL)
    {
      g_test_skip ("Prism not found: set EASEL_PRISM or run npm ci in _build-prism");
      return;
    }

  port = pick_port ();
  port_str = g_strdup_printf ("%u", port);
  fd = g_file_open_tmp ("easel-prism-mask-XXXXXX.log", &prism.log_path, &error);
  g_assert_no_error (error);
  close (fd);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_stdout_file_path (launcher, prism.log_path);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  prism.process = g_subprocess_launcher_spawn (launcher, &error, prism_path, "mock", spec,
                                               "-h", "127.0.0.1", "-p", port_str, NULL);
  g_assert_no_error (error);

  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (!port_open (port))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (200 * 1000);
    }

  base_url = g_strdup_printf ("http://127.0.0.1:%u/v1", port);
  client = easel_client_new (base_url, TEST_KEY);

  mask_png = easel_mask_encode_png (mask, 2, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (apis); i++)
    {
      g_autoptr(EaselRequest) base = apis[i] == EASEL_API_RESPONSES ? responses_base ()
                                                                     : easel_request_new (apis[i]);
      g_autoptr(EaselRequest) request = NULL;
      g_autoptr(GError) send_error = NULL;

      if (base->model == NULL)
        {
          base->model = g_strdup ("gpt-image-1.5");
          base->prompt = g_strdup ("put a flamingo in the pool");
          base->input_fidelity = g_strdup ("high");
        }

      request = prepare (NULL, base, image, mask_png, &error);
      g_assert_no_error (error);
      send (client, request, &send_error);
      if (!prism_accepted (send_error))
        {
          g_autofree char *log = NULL;

          g_file_get_contents (prism.log_path, &log, NULL, NULL);
          g_printerr ("Prism log:\n%s\n", log ? log : "");
        }
      g_test_message ("%s: %s", easel_api_to_string (request->api),
                      send_error ? send_error->message : "accepted");
      g_assert_true (prism_accepted (send_error));
    }

  g_subprocess_send_signal (prism.process, SIGTERM);
  g_subprocess_wait (prism.process, NULL, NULL);
  g_clear_object (&prism.process);
  g_unlink (prism.log_path);
  g_free (prism.log_path);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/masked-edit/images/multipart", Fixture, NULL, fixture_setup, test_images_multipart, fixture_teardown);
  g_test_add ("/masked-edit/responses/inline", Fixture, NULL, fixture_setup, test_responses_inline, fixture_teardown);
  g_test_add ("/masked-edit/responses/upload", Fixture, NULL, fixture_setup, test_responses_upload, fixture_teardown);
  g_test_add ("/masked-edit/validation", Fixture, NULL, fixture_setup, test_validation, fixture_teardown);
  g_test_add_func ("/masked-edit/empty-mask-encode", test_empty_mask_encode);
  g_test_add_func ("/masked-edit/prism", test_prism);

  return g_test_run ();
}
