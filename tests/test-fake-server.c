/* test-fake-server.c: the fake server's pictures mode
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Screenshots are taken against the fake server with pictures on. These
 * check that what it paints is a picture (not a flat colour), that each
 * prompt always gives the same one, and that the partial images of a stream
 * are blurrier versions of the final image, sharpening as they come.
 */

#define G_LOG_DOMAIN "test-fake-server"

#include "config.h"

#include <math.h>
#include <string.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "fake-server.h"

typedef struct
{
  GPtrArray *partials;   /* GdkPixbuf */
  GdkPixbuf *final;
} Stream;

static void
stream_clear (Stream *s)
{
  g_clear_pointer (&s->partials, g_ptr_array_unref);
  g_clear_object (&s->final);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Stream, stream_clear)

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GBytes **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_assert_no_error (error);
}

static GdkPixbuf *
decode_b64 (const char *b64)
{
  g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  g_autofree guchar *data = g_base64_decode (b64, &len);

  gdk_pixbuf_loader_write (loader, data, len, &error);
  g_assert_no_error (error);
  gdk_pixbuf_loader_close (loader, &error);
  g_assert_no_error (error);
  return g_object_ref (gdk_pixbuf_loader_get_pixbuf (loader));
}

/* Streams one generation of @prompt and collects its images. */
static void
generate (EaselFakeServer *server,
          const char      *prompt,
          const char      *format,
          Stream          *out)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strdup_printf ("%s/images/generations", easel_fake_server_get_base_url (server));
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) frames = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, "gpt-image-1");
  json_builder_set_member_name (b, "prompt");
  json_builder_add_string_value (b, prompt);
  json_builder_set_member_name (b, "size");
  json_builder_add_string_value (b, "512x512");
  json_builder_set_member_name (b, "output_format");
  json_builder_add_string_value (b, format);
  json_builder_set_member_name (b, "stream");
  json_builder_add_boolean_value (b, TRUE);
  json_builder_set_member_name (b, "partial_images");
  json_builder_add_int_value (b, 3);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json = json_generator_to_data (gen, NULL);

  soup_message_headers_append (soup_message_get_request_headers (msg), "Authorization", "Bearer sk-test");
  soup_message_set_request_body_from_bytes (msg, "application/json",
                                            g_bytes_new_static (json, strlen (json)));
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, on_read, &body);
  while (body == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);

  out->partials = g_ptr_array_new_with_free_func (g_object_unref);
  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  frames = g_strsplit (text, "\n\n", -1);
  for (guint i = 0; frames[i]; i++)
    {
      const char *data = strstr (frames[i], "data: ");
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      JsonObject *event;
      const char *type;

      if (data == NULL)
        continue;
      json_parser_load_from_data (parser, data + 6, -1, &error);
      g_assert_no_error (error);
      event = json_node_get_object (json_parser_get_root (parser));
      type = json_object_get_string_member (event, "type");
      if (g_str_has_suffix (type, ".partial_image"))
        g_ptr_array_add (out->partials, decode_b64 (json_object_get_string_member (event, "b64_json")));
      else if (g_str_has_suffix (type, ".completed"))
        out->final = decode_b64 (json_object_get_string_member (event, "b64_json"));
    }
  g_assert_nonnull (out->final);
}

/* Mean absolute difference between neighbouring pixels: how sharp it is. */
static double
sharpness (GdkPixbuf *pb)
{
  int w = gdk_pixbuf_get_width (pb), h = gdk_pixbuf_get_height (pb);
  int n = gdk_pixbuf_get_n_channels (pb), stride = gdk_pixbuf_get_rowstride (pb);
  const guint8 *px = gdk_pixbuf_read_pixels (pb);
  double sum = 0;

  for (int y = 0; y < h - 1; y++)
    for (int x = 0; x < w - 1; x++)
      for (int c = 0; c < 3; c++)
        {
          const guint8 *p = px + (gsize) y * stride + x * n + c;

          sum += abs (p[0] - p[n]) + abs (p[0] - p[stride]);
        }
  return sum / ((double) (w - 1) * (h - 1) * 3);
}

/* The standard deviation of the luminance, and the mean of each channel. */
static double
spread (GdkPixbuf *pb,
        double     mean_rgb[3])
{
  int w = gdk_pixbuf_get_width (pb), h = gdk_pixbuf_get_height (pb);
  int n = gdk_pixbuf_get_n_channels (pb), stride = gdk_pixbuf_get_rowstride (pb);
  const guint8 *px = gdk_pixbuf_read_pixels (pb);
  double sum = 0, sum2 = 0, rgb[3] = { 0 };

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        const guint8 *p = px + (gsize) y * stride + x * n;
        double l = 0.3 * p[0] + 0.59 * p[1] + 0.11 * p[2];

        sum += l;
        sum2 += l * l;
        for (int c = 0; c < 3; c++)
          rgb[c] += p[c];
      }
  for (int c = 0; c < 3 && mean_rgb; c++)
    mean_rgb[c] = rgb[c] / ((double) w * h);
  sum /= (double) w * h;
  return sqrt (MAX (0, sum2 / ((double) w * h) - sum * sum));
}

static guint
n_colours (GdkPixbuf *pb)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);
  int w = gdk_pixbuf_get_width (pb), h = gdk_pixbuf_get_height (pb);
  int n = gdk_pixbuf_get_n_channels (pb), stride = gdk_pixbuf_get_rowstride (pb);
  const guint8 *px = gdk_pixbuf_read_pixels (pb);

  for (int y = 0; y < h; y += 2)
    for (int x = 0; x < w; x += 2)
      {
        const guint8 *p = px + (gsize) y * stride + x * n;

        g_hash_table_add (seen, GUINT_TO_POINTER (1 + (p[0] << 16 | p[1] << 8 | p[2])));
      }
  return g_hash_table_size (seen);
}

static gboolean
same_pixels (GdkPixbuf *a,
             GdkPixbuf *b)
{
  int h = gdk_pixbuf_get_height (a), stride = gdk_pixbuf_get_rowstride (a);

  g_assert_cmpint (gdk_pixbuf_get_rowstride (b), ==, stride);
  return memcmp (gdk_pixbuf_read_pixels (a), gdk_pixbuf_read_pixels (b), (gsize) stride * (h - 1)) == 0;
}

static EaselFakeServer *
new_server (gboolean pictures)
{
  g_autoptr(GError) error = NULL;
  EaselFakeServer *server = easel_fake_server_new (&error);

  g_assert_no_error (error);
  if (pictures && !easel_fake_server_set_pictures (server, TRUE))
    {
      easel_fake_server_free (server);
      return NULL;
    }
  return server;
}

static void
test_default_is_flat (void)
{
  g_autoptr(EaselFakeServer) server = new_server (FALSE);
  g_auto(Stream) s = { 0 };

  generate (server, "A lighthouse on a cliff at dusk", "png", &s);
  g_assert_cmpfloat (spread (s.final, NULL), <, 0.5);
  g_assert_cmpuint (n_colours (s.final), ==, 1);
}

static void
test_picture (void)
{
  g_autoptr(EaselFakeServer) server = new_server (TRUE);
  g_auto(Stream) s = { 0 };
  double final_rgb[3];

  if (server == NULL)
    {
      g_test_skip ("built without cairo");
      return;
    }
  generate (server, "A red lighthouse on a cliff at dusk, a fox on the grass", "png", &s);
  g_assert_cmpint (gdk_pixbuf_get_width (s.final), ==, 512);
  g_assert_cmpint (gdk_pixbuf_get_height (s.final), ==, 512);
  g_assert_cmpfloat (spread (s.final, final_rgb), >, 20);
  g_assert_cmpuint (n_colours (s.final), >, 500);

  /* Three partials, each sharper than the one before and all blurrier than
   * the final image, yet the same picture: the mean colour hardly moves. */
  g_assert_cmpuint (s.partials->len, ==, 3);
  for (guint i = 0; i < s.partials->len; i++)
    {
      GdkPixbuf *partial = g_ptr_array_index (s.partials, i);
      double rgb[3];
      double sharp = sharpness (partial);

      g_assert_cmpint (gdk_pixbuf_get_width (partial), ==, 512);
      g_assert_false (same_pixels (partial, s.final));
      g_assert_cmpfloat (sharp, <, sharpness (s.final) * 0.8);
      if (i > 0)
        g_assert_cmpfloat (sharp, >, sharpness (g_ptr_array_index (s.partials, i - 1)));
      spread (partial, rgb);
      for (int c = 0; c < 3; c++)
        g_assert_cmpfloat (fabs (rgb[c] - final_rgb[c]), <, 12);
    }
  g_assert_cmpfloat (sharpness (g_ptr_array_index (s.partials, 0)) * 2, <, sharpness (s.final));
}

static void
test_deterministic (void)
{
  g_autoptr(EaselFakeServer) server = new_server (TRUE);
  g_auto(Stream) a = { 0 };
  g_auto(Stream) b = { 0 };
  g_auto(Stream) c = { 0 };
  g_auto(Stream) jpeg = { 0 };

  if (server == NULL)
    {
      g_test_skip ("built without cairo");
      return;
    }
  generate (server, "A still life: a blue vase and fruit on a table", "png", &a);
  generate (server, "A still life: a blue vase and fruit on a table", "png", &b);
  generate (server, "Snowy mountains at night over a small town", "png", &c);
  g_assert_true (same_pixels (a.final, b.final));
  g_assert_false (same_pixels (a.final, c.final));
  g_assert_cmpuint (n_colours (c.final), >, 100);

  /* Other formats still come as asked. */
  generate (server, "Snowy mountains at night over a small town", "jpeg", &jpeg);
  g_assert_cmpfloat (spread (jpeg.final, NULL), >, 10);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/fake-server/pictures/default-is-flat", test_default_is_flat);
  g_test_add_func ("/fake-server/pictures/picture-and-partials", test_picture);
  g_test_add_func ("/fake-server/pictures/deterministic", test_deterministic);

  return g_test_run ();
}
