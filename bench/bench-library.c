/* bench-library.c: FTS search and paging latency of the library store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage: bench-library DIR [ROUNDS=200]   (DIR seeded by seed-library)
 * Prints median and p95 per query kind, in milliseconds, for the full
 * easel_store_query() call (SQL, row decoding, count): wall time, and the
 * thread's CPU time, which says more on a machine shared with other work.
 */

#define G_LOG_DOMAIN "bench-library"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "easel-store.h"

static const char * const terms[] = {
  "fox", "lighthouse", "harb", "robot watercolour", "cat snow", "ramen", "café", "pixel", "golden hour",
  "astronaut neon", "detailed", "map", "reef", "crane sketch", "village", "nomatchatall",
};

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
thread_cpu_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void
report (const char *name, double *ms, double *cpu, guint n, guint rows)
{
  qsort (ms, n, sizeof *ms, cmp_double);
  qsort (cpu, n, sizeof *cpu, cmp_double);
  printf ("%-34s median %7.3f ms   p95 %7.3f ms   CPU median %7.3f ms   p95 %7.3f ms   (%u runs, last page %u rows)\n",
          name, ms[n / 2], ms[(n * 95) / 100], cpu[n / 2], cpu[(n * 95) / 100], n, rows);
}

typedef void (*Setup) (EaselStoreQuery *q, guint i);

static void setup_fts (EaselStoreQuery *q, guint i) { g_free (q->text); q->text = g_strdup (terms[i % G_N_ELEMENTS (terms)]); q->limit = 60; }
static void setup_fts_deep (EaselStoreQuery *q, guint i) { setup_fts (q, i); q->offset = 600; }
static void setup_page_first (EaselStoreQuery *q, guint i) { q->limit = 60; }
static void setup_page_deep (EaselStoreQuery *q, guint i) { q->limit = 60; q->offset = 60 * (i % 150); }
static void setup_cost (EaselStoreQuery *q, guint i) { q->limit = 60; q->sort = EASEL_STORE_SORT_COST; q->offset = 60 * (i % 20); }
static void setup_model_starred (EaselStoreQuery *q, guint i) { q->limit = 60; q->model = g_strdup ("gpt-image-1"); q->starred_only = TRUE; }

int
main (int argc, char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselStore) store = NULL;
  guint rounds = argc > 2 ? (guint) strtoul (argv[2], NULL, 10) : 200;
  struct { const char *name; Setup setup; } kinds[] = {
    { "fts search (60 rows + count)", setup_fts },
    { "fts search, offset 600", setup_fts_deep },
    { "page 1, newest (60 + count)", setup_page_first },
    { "random page, newest (offset<9000)", setup_page_deep },
    { "sort by cost, pages 1-20", setup_cost },
    { "model + starred filter", setup_model_starred },
  };

  if (argc < 2 || rounds == 0)
    {
      fprintf (stderr, "Usage: %s DIR [ROUNDS=200]\n", argv[0]);
      return 2;
    }
  if (!(store = easel_store_open (argv[1], &error)))
    {
      fprintf (stderr, "bench-library: %s\n", error->message);
      return 1;
    }

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      g_autofree double *ms = g_new0 (double, rounds);
      g_autofree double *cpu = g_new0 (double, rounds);
      guint rows = 0;

      for (guint i = 0; i < rounds; i++)
        {
          g_autoptr(EaselStoreQuery) q = easel_store_query_new ();
          g_autoptr(GPtrArray) page = NULL;
          guint total;
          gint64 t0;
          double c0;

          kinds[k].setup (q, i);
          t0 = g_get_monotonic_time ();
          c0 = thread_cpu_ms ();
          page = easel_store_query (store, q, &total, &error);
          cpu[i] = thread_cpu_ms () - c0;
          ms[i] = (g_get_monotonic_time () - t0) / 1000.0;
          if (page == NULL)
            {
              fprintf (stderr, "bench-library: %s\n", error->message);
              return 1;
            }
          rows = page->len;
        }
      report (kinds[k].name, ms, cpu, rounds, rows);
    }
  return 0;
}
