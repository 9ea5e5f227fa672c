/* gallery-bench.c: seed a large library, then time the gallery's first paint and RSS while scrolling
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage:
 *   gallery-bench --seed 10000 DIR     fill DIR with synthetic generations (distinct 256 px images)
 *   gallery-bench DIR                  open a window on DIR, print the time to the first gallery
 *                                      paint, scroll to the end, print peak RSS, quit
 *   gallery-bench --stay DIR           open the window and keep it (for screenshots)
 */
#define G_LOG_DOMAIN "gallery-bench"

#include "config.h"

#include <adwaita.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "easel-gallery-model.h"
#include "easel-gallery-private.h"
#include "easel-image-decoder.h"
#include "easel-library.h"

static gint64 t_start;
static gboolean stay;
static guint n_seed;
static EaselGallery *gallery;
static GtkWidget *window;
static gint64 t_first_paint;
static gint64 t_map;
static guint scroll_step;

static const char *words[] = {
  "fox", "lighthouse", "harbour", "neon", "city", "forest", "watercolor", "portrait", "robot",
  "teapot", "mountain", "dusk", "glass", "origami", "whale", "desert", "garden", "pixel", "cat",
  "isometric", "poster", "sunrise", "koi", "library", "bicycle", "storm", "lantern", "meadow",
};

static GBytes *
make_image (guint i)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 256, 256);
  guchar *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  double hue = (i * 0.61803398875);
  char *buffer = NULL;
  gsize len = 0;

  hue -= (int) hue;
  for (int y = 0; y < 256; y++)
    for (int x = 0; x < 256; x++)
      {
        double dx = x - 128 - 40 * ((i % 5) - 2), dy = y - 110;
        gboolean disc = dx * dx + dy * dy < 60 * 60 + (i % 7) * 300;
        guchar *p = pixels + y * stride + x * 3;
        double t = (double) y / 255;

        p[0] = (guchar) (255 * (disc ? 1 - hue * 0.3 : hue * (1 - t) + 0.2 * t));
        p[1] = (guchar) (255 * (disc ? 0.85 : (1 - hue) * 0.6 * (1 - t) + 0.1));
        p[2] = (guchar) (255 * (disc ? 0.4 + 0.5 * hue : 0.5 + 0.5 * t * hue));
      }

  gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &len, "png", NULL, NULL);
  return g_bytes_new_take (buffer, len);
}

static int
seed (const char *dir,
      guint       n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselStore) store = easel_store_open (dir, &error);
  const char *models[] = { "gpt-image-1", "gpt-image-1-mini", "dall-e-3" };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (store == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EaselGeneration) gen = easel_generation_new ();
      g_autoptr(GBytes) png = make_image (i);
      const char *model = models[i % G_N_ELEMENTS (models)];

      gen->model = g_strdup (model);
      gen->api = g_strdup ("generate");
      gen->prompt = g_strdup_printf ("a %s %s with a %s, %s style",
                                     words[i % G_N_ELEMENTS (words)],
                                     words[(i / 3) % G_N_ELEMENTS (words)],
                                     words[(i / 7) % G_N_ELEMENTS (words)],
                                     words[(i / 11) % G_N_ELEMENTS (words)]);
      gen->params_json = g_strdup_printf ("{\"model\":\"%s\",\"size\":\"1024x1024\",\"quality\":\"medium\"}", model);
      gen->size = g_strdup ("1024x1024");
      gen->quality = g_strdup ("medium");
      gen->format = g_strdup ("png");
      gen->input_tokens = 20 + i % 50;
      gen->output_tokens = 1056;
      gen->actual_usd = 0.01 + (i % 40) * 0.001;
      gen->created = now - (gint64) (n - i) * 600;
      gen->status = EASEL_GENERATION_OK;

      if (easel_store_insert_generation (store, gen, png, &error) == 0)
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
      if (i % 7 == 0)
        easel_store_set_starred (store, gen->id, TRUE, NULL);
      if ((i + 1) % 1000 == 0)
        g_printerr ("seeded %u\n", i + 1);
    }

  return 0;
}

static long
peak_rss_kb (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "VmHWM:");
  return line ? strtol (line + 6, NULL, 10) : -1;
}

static gboolean
scroll_tick (gpointer data)
{
  GtkGridView *grid = _easel_gallery_get_grid_view (gallery);
  GtkAdjustment *adj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (grid));
  double value = gtk_adjustment_get_value (adj);
  double upper = gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj);

  scroll_step++;
  /* About a screen per tick, like a fast fling. */
  gtk_adjustment_set_value (adj, value + gtk_adjustment_get_page_size (adj) * 0.9);

  if (value >= upper - 1)
    {
      g_print ("scrolled to the end in %u steps; peak RSS %.1f MB\n",
               scroll_step, peak_rss_kb () / 1024.0);
      gtk_window_destroy (GTK_WINDOW (window));
      return G_SOURCE_REMOVE;
    }

  return G_SOURCE_CONTINUE;
}

static void
on_after_paint (GdkFrameClock *clock,
                gpointer       user_data)
{
  EaselGalleryModel *model = _easel_gallery_get_model (gallery);

  if (t_first_paint != 0 || easel_gallery_model_get_loading (model) ||
      g_list_model_get_n_items (G_LIST_MODEL (model)) == 0)
    return;

  t_first_paint = g_get_monotonic_time ();
  g_print ("first gallery paint (%u items): %.1f ms after start, %.1f ms after the window mapped; RSS %.1f MB\n",
           g_list_model_get_n_items (G_LIST_MODEL (model)),
           (t_first_paint - t_start) / 1000.0, (t_first_paint - t_map) / 1000.0,
           peak_rss_kb () / 1024.0);
  g_signal_handlers_disconnect_by_func (clock, on_after_paint, user_data);

  if (!stay)
    g_timeout_add (30, scroll_tick, NULL);
}

static void
on_map (GtkWidget *widget)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);

  t_map = g_get_monotonic_time ();
  g_print ("window mapped: %.1f ms\n", (t_map - t_start) / 1000.0);
  g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), NULL);
}

static void
on_loading (EaselGalleryModel *model)
{
  if (!easel_gallery_model_get_loading (model))
    g_print ("first page and count: %.1f ms\n", (g_get_monotonic_time () - t_start) / 1000.0);

  /* For screenshots of the details pane. */
  if (!easel_gallery_model_get_loading (model) && g_getenv ("BENCH_SELECT") != NULL)
    gtk_selection_model_select_item (_easel_gallery_get_selection (gallery),
                                     (guint) atoi (g_getenv ("BENCH_SELECT")), TRUE);
}

static void
activate (GtkApplication *app,
          const char     *dir)
{
  g_autoptr(EaselLibrary) library = NULL;
  GtkWidget *header;
  GtkWidget *box;

  g_print ("activate: %.1f ms\n", (g_get_monotonic_time () - t_start) / 1000.0);
  /* As EaselApplication does: the library opens in its worker, and the
   * gallery follows its state. */
  library = easel_library_new (dir);
  easel_library_load (library);

  window = adw_application_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (window), 1200, 800);
  gtk_window_set_title (GTK_WINDOW (window), "Easel");
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  header = adw_header_bar_new ();
  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header), adw_window_title_new ("Gallery", NULL));
  gtk_box_append (GTK_BOX (box), header);

  gallery = EASEL_GALLERY (easel_gallery_new (library));
  g_print ("gallery created: %.1f ms\n", (g_get_monotonic_time () - t_start) / 1000.0);
  g_signal_connect (_easel_gallery_get_model (gallery), "notify::loading", G_CALLBACK (on_loading), NULL);
  gtk_widget_set_vexpand (GTK_WIDGET (gallery), TRUE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (gallery));
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), box);

  g_signal_connect_after (window, "map", G_CALLBACK (on_map), NULL);
  gtk_window_present (GTK_WINDOW (window));

}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(AdwApplication) app = NULL;
  const char *dir = NULL;

  t_start = g_get_monotonic_time ();
  easel_image_tune_allocator ();   /* as easel-studio's main () does */

  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--seed") && i + 1 < argc)
        n_seed = (guint) atoi (argv[++i]);
      else if (g_str_equal (argv[i], "--stay"))
        stay = TRUE;
      else
        dir = argv[i];
    }

  if (dir == NULL)
    {
      g_printerr ("usage: gallery-bench [--seed N | --stay] DIR\n");
      return 2;
    }

  if (n_seed > 0)
    return seed (dir, n_seed);

  app = adw_application_new ("io.github.easelstudio.Easel.GalleryBench", G_APPLICATION_NON_UNIQUE);
  g_signal_connect (app, "activate", G_CALLBACK (activate), (gpointer) dir);
  return g_application_run (G_APPLICATION (app), 1, argv);
}
