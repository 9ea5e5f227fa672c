/* seed-library.c: fill a library with N generations for benchmarks and the gallery
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage: seed-library [--sql] DIR [N=10000]
 * --sql writes the rows with straight SQL in one transaction (about 100,000
 * rows in seconds) instead of one easel_store_insert_generation() each; the
 * rows and image files are the same. Varied prompts (so FTS has work to do), models, dates over a year, costs,
 * some stars, failures and moderation, and real 256×256 PNG gradients: 97
 * distinct images reused (identical bytes are stored once, like the real
 * library), so the images folder stays small.
 */

#define G_LOG_DOMAIN "seed-library"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include <sqlite3.h>
#include <string.h>

#include "easel-store.h"

#define N_IMAGES 97

static const char * const subjects[] = {
  "a red fox", "a lighthouse", "an old harbour", "a tiny robot", "a mountain village", "a koi pond",
  "a cyberpunk street", "a bowl of ramen", "a paper crane", "a sleeping cat", "a desert caravan",
  "a glass greenhouse", "an astronaut", "a jazz trio", "a medieval map", "a coral reef",
};
static const char * const styles[] = {
  "in watercolour", "as an oil painting", "in pixel art", "as a pencil sketch", "in ukiyo-e style",
  "as a 3D render", "on a foggy morning", "at golden hour", "under neon lights", "in the snow",
};
static const char * const extras[] = {
  "", ", highly detailed", ", minimalist", ", wide angle", ", with soft shadows", ", café ambience",
};
static const char * const models[] = { "gpt-image-1", "gpt-image-1-mini", "dall-e-3", "dall-e-2" };
static const char * const sizes[] = { "1024x1024", "1024x1536", "1536x1024" };

static GBytes *
gradient_png (guint seed)
{
  g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 256, 256);
  guint8 *px = gdk_pixbuf_get_pixels (pb);
  int stride = gdk_pixbuf_get_rowstride (pb);
  char *buf = NULL;
  gsize len;

  for (int y = 0; y < 256; y++)
    for (int x = 0; x < 256; x++)
      {
        guint8 *p = px + y * stride + x * 3;
        p[0] = (x + seed * 37) & 0xff;
        p[1] = (y + seed * 11) & 0xff;
        p[2] = ((x ^ y) + seed * 5) & 0xff;
      }
  if (!gdk_pixbuf_save_to_buffer (pb, &buf, &len, "png", NULL, NULL))
    g_error ("could not encode a PNG");
  return g_bytes_new_take (buf, len);
}

int
main (int argc, char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselStore) store = NULL;
  GBytes *images[N_IMAGES];
  GRand *rand = g_rand_new_with_seed (20240601);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 start = g_get_monotonic_time ();
  gboolean sql = argc > 1 && strcmp (argv[1], "--sql") == 0;
  long n;
  char *paths[N_IMAGES];
  char *shas[N_IMAGES];
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  if (sql)
    {
      argv++;
      argc--;
    }
  n = argc > 2 ? strtol (argv[2], NULL, 10) : 10000;
  if (argc < 2 || n <= 0)
    {
      fprintf (stderr, "Usage: %s [--sql] DIR [N=10000]\n", argv[0]);
      return 2;
    }
  if (!(store = easel_store_open (argv[1], &error)))
    {
      fprintf (stderr, "seed-library: %s\n", error->message);
      return 1;
    }

  for (guint i = 0; i < N_IMAGES; i++)
    {
      images[i] = gradient_png (i);
      if (sql)
        {
          g_autofree char *abs = easel_store_store_image (store, images[i], "png", &shas[i], &error);

          if (abs == NULL)
            {
              fprintf (stderr, "seed-library: %s\n", error->message);
              return 1;
            }
          /* Rows keep the path relative to the library folder. */
          paths[i] = g_strdup (abs + strlen (easel_store_get_dir (store)) + 1);
        }
    }

  if (sql)
    {
      g_autofree char *db_path = g_build_filename (easel_store_get_dir (store), "library.db", NULL);

      if (sqlite3_open (db_path, &db) != SQLITE_OK ||
          sqlite3_busy_timeout (db, 10000) != SQLITE_OK ||
          sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
          sqlite3_prepare_v2 (db, "INSERT INTO generations (sha256, path, model, api, params_json, prompt, "
                              "revised_prompt, size, format, quality, output_tokens, estimated_usd, actual_usd, "
                              "created, starred, request_hash, status, error_message) VALUES "
                              "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &stmt, NULL) != SQLITE_OK)
        {
          fprintf (stderr, "seed-library: %s\n", sqlite3_errmsg (db));
          return 1;
        }
    }

  for (long i = 0; i < n; i++)
    {
      g_autoptr(EaselGeneration) g = easel_generation_new ();
      guint s = g_rand_int_range (rand, 0, G_N_ELEMENTS (subjects));
      guint st = g_rand_int_range (rand, 0, G_N_ELEMENTS (styles));
      guint e = g_rand_int_range (rand, 0, G_N_ELEMENTS (extras));
      int roll = g_rand_int_range (rand, 0, 100);

      g->prompt = g_strdup_printf ("%s %s%s #%ld", subjects[s], styles[st], extras[e], i);
      if (roll < 40)
        g->revised_prompt = g_strdup_printf ("A detailed depiction of %s, %s", subjects[s], styles[st]);
      g->model = g_strdup (models[g_rand_int_range (rand, 0, G_N_ELEMENTS (models))]);
      g->api = g_strdup ("generate");
      g->size = g_strdup (sizes[g_rand_int_range (rand, 0, G_N_ELEMENTS (sizes))]);
      g->quality = g_strdup ("medium");
      g->format = g_strdup ("png");
      g->params_json = g_strdup_printf ("{\"model\":\"%s\",\"size\":\"%s\",\"quality\":\"medium\"}", g->model, g->size);
      g->created = now - g_rand_int_range (rand, 0, 365 * 86400);
      g->estimated_usd = g_rand_int_range (rand, 1, 250) / 1000.0;
      if (roll % 3 != 0)
        g->actual_usd = g->estimated_usd * g_rand_double_range (rand, 0.8, 1.1);
      g->output_tokens = g_rand_int_range (rand, 272, 6240);
      g->request_hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, g->prompt, -1);
      g->starred = roll >= 92;
      if (roll < 3)
        g->status = EASEL_GENERATION_FAILED;
      else if (roll < 5)
        g->status = EASEL_GENERATION_MODERATED;
      if (g->status != EASEL_GENERATION_OK)
        g->error_message = g_strdup ("seeded failure");

      if (sql)
        {
          gboolean ok = g->status == EASEL_GENERATION_OK;

          sqlite3_reset (stmt);
          sqlite3_clear_bindings (stmt);
          if (ok)
            {
              sqlite3_bind_text (stmt, 1, shas[i % N_IMAGES], -1, SQLITE_STATIC);
              sqlite3_bind_text (stmt, 2, paths[i % N_IMAGES], -1, SQLITE_STATIC);
            }
          sqlite3_bind_text (stmt, 3, g->model, -1, SQLITE_STATIC);
          sqlite3_bind_text (stmt, 4, g->api, -1, SQLITE_STATIC);
          sqlite3_bind_text (stmt, 5, g->params_json, -1, SQLITE_STATIC);
          sqlite3_bind_text (stmt, 6, g->prompt, -1, SQLITE_STATIC);
          if (g->revised_prompt)
            sqlite3_bind_text (stmt, 7, g->revised_prompt, -1, SQLITE_STATIC);
          sqlite3_bind_text (stmt, 8, g->size, -1, SQLITE_STATIC);
          sqlite3_bind_text (stmt, 9, g->format, -1, SQLITE_STATIC);
          sqlite3_bind_text (stmt, 10, g->quality, -1, SQLITE_STATIC);
          sqlite3_bind_int64 (stmt, 11, g->output_tokens);
          sqlite3_bind_double (stmt, 12, g->estimated_usd);
          if (g->actual_usd >= 0)
            sqlite3_bind_double (stmt, 13, g->actual_usd);
          sqlite3_bind_int64 (stmt, 14, g->created);
          sqlite3_bind_int (stmt, 15, g->starred ? 1 : 0);
          sqlite3_bind_text (stmt, 16, g->request_hash, -1, SQLITE_STATIC);
          sqlite3_bind_text (stmt, 17, easel_generation_status_to_string (g->status), -1, SQLITE_STATIC);
          if (g->error_message)
            sqlite3_bind_text (stmt, 18, g->error_message, -1, SQLITE_STATIC);
          if (sqlite3_step (stmt) != SQLITE_DONE)
            {
              fprintf (stderr, "seed-library: %s\n", sqlite3_errmsg (db));
              return 1;
            }
        }
      else if (easel_store_insert_generation (store, g,
                                              g->status == EASEL_GENERATION_OK ? images[i % N_IMAGES] : NULL,
                                              &error) == 0)
        {
          fprintf (stderr, "seed-library: %s\n", error->message);
          return 1;
        }
      if ((i + 1) % 1000 == 0)
        fprintf (stderr, "\r%ld / %ld", i + 1, n);
    }

  if (sql)
    {
      sqlite3_finalize (stmt);
      if (sqlite3_exec (db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        {
          fprintf (stderr, "seed-library: %s\n", sqlite3_errmsg (db));
          return 1;
        }
      sqlite3_close (db);
      for (guint i = 0; i < N_IMAGES; i++)
        {
          g_free (paths[i]);
          g_free (shas[i]);
        }
    }

  fprintf (stderr, "\rseeded %ld generations in %s in %.1f s\n", n, argv[1],
           (g_get_monotonic_time () - start) / 1e6);
  for (guint i = 0; i < N_IMAGES; i++)
    g_bytes_unref (images[i]);
  g_rand_free (rand);
  return 0;
}
