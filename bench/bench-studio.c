/* bench-studio.c: main-loop stalls per streamed partial, and memory over a long conversation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs the real EaselWindow (no EaselApplication) against the in-process fake
 * server, which streams Responses API turns with 1536×1024 PNG partials. The
 * fake server runs on its own thread and main context, so building its
 * streams never shows up as app main-loop work.
 *
 * What is measured, on the app's main thread:
 *
 *  - Every main-loop iteration's *work*: the time from one poll() returning to
 *    the next poll() being entered (check + dispatch + prepare). A poll
 *    function wrapper installed on the default GMainContext takes the
 *    timestamps. Time spent blocked in poll() is idle and is not counted.
 *  - Markers, set by signal handlers inside those iterations:
 *      arrival: the session's "stage" turns to "Partial k/N". The session sets
 *               it in its event callback, right before handing the frame to
 *               the decoder thread, so it marks the event's delivery.
 *      swap:    the canvas's "texture" changes to a partial frame (the
 *               decoded GdkTexture landed; the window binds the turn's texture
 *               to the canvas).
 *      paint:   the window's frame clock before-paint → after-paint; the
 *               first paint after a swap is the one that uploads and draws
 *               the new 1536×1024 texture.
 *  - Per partial: the work of the iteration that delivered the event, the
 *    work of the iteration that swapped the texture, the sum of all main-loop
 *    work between arrival and swap (inclusive; an upper bound for the path,
 *    since unrelated sources such as the status tick also count), the first
 *    paint after the swap, and the wall time arrival → swap (mostly the
 *    worker-thread decode).
 *  - The longest single iteration while streaming: the stall a user feels.
 *
 * Memory: VmRSS and VmHWM from /proc/self/status after every --every turns.
 * The fake server shares the process, so it is told to forget each response
 * once streamed: the app sends Responses turns in background mode, and the
 * fake server would otherwise keep every one's whole SSE body and final JSON
 * for resume (a 32 MB and an 8 MB buffer per turn at 1536×1024), which the
 * bench would count as the app's.
 *
 * Usage: bench-studio [--turns N] [--every K] [--width W --height H]
 *                     [--delay MS] [--partials P] [--no-animations]
 * Run it with bench/run-studio.sh (Xvfb, private D-Bus, throwaway $HOME).
 */

#define G_LOG_DOMAIN "bench-studio"

#include "config.h"

#include <stdio.h>
#include <time.h>
#include <string.h>
#include <adwaita.h>

#include "easel-image-decoder.h"
#include "easel-session.h"
#include "easel-window.h"
#include "fake-server.h"

/* ---- Main-loop iteration timing ---- */

enum { MARK_ARRIVAL = 1 << 0, MARK_SWAP = 1 << 1, MARK_PAINT = 1 << 2 };

typedef struct
{
  gint64 start;   /* poll() returned */
  gint64 end;     /* next poll() entered */
  guint  marks;
  gint64 cpu;     /* the main thread's CPU time in it */
} Iteration;

#define LOST (G_MAXUINT - 1)

typedef struct
{
  EaselSessionTurn *turn;  /* not a reference: only compared */
  guint  arrival_iter;
  gint64 arrival_time;
  guint  swap_iter;       /* G_MAXUINT until the frame lands; LOST if a
                           * newer frame or the final replaced it first */
  gint64 swap_time;
  gint64 paint_us;        /* first paint after the swap; -1 until seen */
  gint64 paint_cpu_us;    /* the main thread's CPU time in that paint */
} Partial;

static GArray *iterations;       /* Iteration */
static GArray *partials;         /* Partial */
static gint64  iter_start;       /* start of the iteration in progress */
static gint64  iter_cpu_start;
static gint64  thread_cpu_usec (void);
static guint   iter_marks;
static gboolean streaming;       /* only keep iterations while a turn runs */
static gint64  paint_start;
static gint64  paint_cpu_start;
static gint    pending_paint = -1; /* partial waiting for its first paint */

static int
timed_poll (GPollFD *fds,
            guint    nfds,
            int      timeout)
{
  gint64 now = g_get_monotonic_time ();
  int ret;

  if (iter_start != 0 && streaming)
    {
      Iteration it = { iter_start, now, iter_marks, thread_cpu_usec () - iter_cpu_start };
      g_array_append_val (iterations, it);
    }

  ret = g_poll (fds, nfds, timeout);

  iter_start = g_get_monotonic_time ();
  iter_cpu_start = thread_cpu_usec ();
  iter_marks = 0;
  return ret;
}

static guint
current_iter (void)
{
  /* The iteration in progress is appended when it ends. */
  return iterations->len;
}

/* ---- Fake server on its own thread ---- */

typedef struct
{
  int width, height;
  guint delay_ms;
  GMutex lock;
  GCond cond;
  GMainLoop *loop;
  char *base_url;
  guint noise;
} ServerThread;

static gpointer
server_thread_main (gpointer user_data)
{
  ServerThread *st = user_data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GError) error = NULL;
  EaselFakeServer *server;

  g_main_context_push_thread_default (context);
  server = easel_fake_server_new (&error);
  if (server == NULL)
    g_error ("fake server: %s", error->message);
  easel_fake_server_set_image_size (server, st->width, st->height);
  easel_fake_server_set_event_delay_ms (server, st->delay_ms);
  easel_fake_server_set_image_noise (server, st->noise);
  /* The bench never resumes or cancels a response (see "Memory" above). */
  easel_fake_server_set_forget_responses (server, TRUE);

  g_mutex_lock (&st->lock);
  st->loop = g_main_loop_new (context, FALSE);
  st->base_url = g_strdup (easel_fake_server_get_base_url (server));
  g_cond_signal (&st->cond);
  g_mutex_unlock (&st->lock);

  g_main_loop_run (st->loop);

  easel_fake_server_free (server);
  g_main_context_pop_thread_default (context);
  return NULL;
}

/* ---- Markers ---- */

static void
stage_cb (EaselSession *session,
          GParamSpec   *pspec,
          gpointer      user_data)
{
  const char *stage = easel_session_get_stage (session);
  Partial p = { 0, };

  if (stage == NULL || !g_str_has_prefix (stage, "Partial"))
    return;
  p.turn = easel_session_get_running_turn (session);
  p.arrival_iter = current_iter ();
  p.arrival_time = g_get_monotonic_time ();
  p.swap_iter = G_MAXUINT;
  p.paint_us = -1;
  g_array_append_val (partials, p);
  iter_marks |= MARK_ARRIVAL;
}

/* Textures shown on the canvas that are still alive, by kind: tells which
 * frames something keeps after the turn moved on. */
static guint n_partials_alive, n_finals_alive;

static void
partial_gone_cb (gpointer data, GObject *where_the_object_was)
{
  n_partials_alive--;
}

static void
final_gone_cb (gpointer data, GObject *where_the_object_was)
{
  n_finals_alive--;
}

static void
texture_cb (EaselCanvas *canvas,
            GParamSpec  *pspec,
            EaselWindow *window)
{
  EaselSessionTurn *turn = easel_session_get_head (easel_window_get_conversation (window));
  GdkTexture *texture = easel_canvas_get_texture (canvas);

  if (turn == NULL || texture == NULL)
    return;

  if (!easel_session_turn_get_is_partial (turn))
    {
      /* The final is up: this turn's partials that never landed are lost. */
      for (guint i = 0; i < partials->len; i++)
        {
          Partial *p = &g_array_index (partials, Partial, i);

          if (p->turn == turn && p->swap_iter == G_MAXUINT)
            p->swap_iter = LOST;
        }
      if (g_object_get_data (G_OBJECT (texture), "bench-seen") == NULL)
        {
          g_object_set_data (G_OBJECT (texture), "bench-seen", GINT_TO_POINTER (1));
          g_object_weak_ref (G_OBJECT (texture), final_gone_cb, NULL);
          n_finals_alive++;
        }
      return;
    }
  if (g_object_get_data (G_OBJECT (texture), "bench-seen") == NULL)
    {
      g_object_set_data (G_OBJECT (texture), "bench-seen", GINT_TO_POINTER (1));
      g_object_weak_ref (G_OBJECT (texture), partial_gone_cb, NULL);
      n_partials_alive++;
    }

  /* The oldest partial that has not landed yet. */
  for (guint i = 0; i < partials->len; i++)
    {
      Partial *p = &g_array_index (partials, Partial, i);

      if (p->turn == turn && p->swap_iter == G_MAXUINT)
        {
          p->swap_iter = current_iter ();
          p->swap_time = g_get_monotonic_time ();
          pending_paint = i;
          break;
        }
    }
  iter_marks |= MARK_SWAP;
}

/* On a shared machine a paint's wall time includes waiting for a core; its
 * CPU time does not. */
static gint64
thread_cpu_usec (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64)ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static void
before_paint_cb (GdkFrameClock *clock,
                 gpointer       user_data)
{
  paint_start = g_get_monotonic_time ();
  paint_cpu_start = thread_cpu_usec ();
}

static void
after_paint_cb (GdkFrameClock *clock,
                gpointer       user_data)
{
  gint64 now = g_get_monotonic_time ();

  iter_marks |= MARK_PAINT;
  if (pending_paint >= 0 && paint_start != 0)
    {
      g_array_index (partials, Partial, pending_paint).paint_us = now - paint_start;
      g_array_index (partials, Partial, pending_paint).paint_cpu_us = thread_cpu_usec () - paint_cpu_start;
      pending_paint = -1;
    }
}

/* ---- Statistics ---- */

static int
cmp_double (gconstpointer a,
            gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void
print_stats (const char *what,
             GArray     *values)   /* double, ms */
{
  double median, p95, max;

  if (values->len == 0)
    {
      g_print ("  %-52s n=0\n", what);
      return;
    }
  g_array_sort (values, cmp_double);
  median = g_array_index (values, double, values->len / 2);
  p95 = g_array_index (values, double, MIN (values->len - 1, (guint)(values->len * 0.95)));
  max = g_array_index (values, double, values->len - 1);
  g_print ("  %-52s n=%-4u median %7.2f  p95 %7.2f  max %7.2f ms\n", what, values->len, median, p95, max);
}

static double
iter_ms (guint index)
{
  const Iteration *it;

  if (index >= iterations->len)
    return 0;
  it = &g_array_index (iterations, Iteration, index);
  return (it->end - it->start) / 1000.0;
}

static double
iter_cpu_ms (guint index)
{
  if (index >= iterations->len)
    return 0;
  return g_array_index (iterations, Iteration, index).cpu / 1000.0;
}

static void
report_stalls (void)
{
  g_autoptr(GArray) arrival = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) swap = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) path = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) paint = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) paint_cpu = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) arrival_cpu = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) swap_cpu = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) wall = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) all = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) painting = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) other = g_array_new (FALSE, FALSE, sizeof (double));
  guint n_over_4 = 0, n_lost = 0;

  for (guint i = 0; i < partials->len; i++)
    {
      const Partial *p = &g_array_index (partials, Partial, i);
      double v, sum = 0;

      v = iter_ms (p->arrival_iter);
      g_array_append_val (arrival, v);
      v = iter_cpu_ms (p->arrival_iter);
      g_array_append_val (arrival_cpu, v);
      if (p->swap_iter == G_MAXUINT || p->swap_iter == LOST)
        {
          n_lost++;   /* superseded or cancelled before it landed */
          continue;
        }
      v = iter_ms (p->swap_iter);
      g_array_append_val (swap, v);
      v = iter_cpu_ms (p->swap_iter);
      g_array_append_val (swap_cpu, v);
      for (guint k = p->arrival_iter; k <= p->swap_iter && k < iterations->len; k++)
        sum += iter_ms (k);
      g_array_append_val (path, sum);
      v = (p->swap_time - p->arrival_time) / 1000.0;
      g_array_append_val (wall, v);
      if (p->paint_us >= 0)
        {
          v = p->paint_us / 1000.0;
          g_array_append_val (paint, v);
          v = p->paint_cpu_us / 1000.0;
          g_array_append_val (paint_cpu, v);
        }
    }
  for (guint k = 0; k < iterations->len; k++)
    {
      double v = iter_ms (k);
      g_array_append_val (all, v);
      if (g_array_index (iterations, Iteration, k).marks & MARK_PAINT)
        g_array_append_val (painting, v);
      else
        g_array_append_val (other, v);
      if (v > 4.0)
        n_over_4++;
    }

  g_print ("Main-loop work per partial (%u partials, %u never shown):\n", partials->len, n_lost);
  print_stats ("iteration delivering the event", arrival);
  print_stats ("  main thread CPU time in it", arrival_cpu);
  print_stats ("iteration swapping the texture in", swap);
  print_stats ("  main thread CPU time in it", swap_cpu);
  print_stats ("sum of all iterations, arrival..swap", path);
  print_stats ("first paint after the swap (frame clock)", paint);
  print_stats ("  main thread CPU time in that paint", paint_cpu);
  print_stats ("wall time arrival -> swap (incl. worker decode)", wall);
  g_print ("All main-loop iterations while streaming:\n");
  print_stats ("iteration work", all);
  print_stats ("  iterations that painted a frame", painting);
  print_stats ("  iterations that did not paint", other);
  g_print ("  iterations over 4 ms: %u of %u\n", n_over_4, iterations->len);
}

static void
report_memory (guint turns)
{
  g_autofree char *status = NULL;
  g_auto(GStrv) lines = NULL;
  const char *rss = "?", *hwm = "?";

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return;
  lines = g_strsplit (status, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      if (g_str_has_prefix (lines[i], "VmRSS:"))
        rss = g_strstrip (lines[i] + 6);
      else if (g_str_has_prefix (lines[i], "VmHWM:"))
        hwm = g_strstrip (lines[i] + 6);
    }
  g_print ("after %3u turns: VmRSS %s, VmHWM %s; shown textures still alive: %u partial, %u final\n",
           turns, rss, hwm, n_partials_alive, n_finals_alive);
}

/* ---- Driving the window ---- */

static gboolean
head_settled (EaselSession *session)
{
  EaselSessionTurn *turn = easel_session_get_head (session);

  if (turn == NULL || !easel_session_turn_is_finished (turn) || easel_session_get_busy (session))
    return FALSE;
  if (easel_session_turn_get_state (turn) == EASEL_TURN_DONE)
    return easel_session_turn_get_texture (turn) != NULL && !easel_session_turn_get_is_partial (turn);
  return TRUE;
}

static void
spin_until_settled (EaselSession *session)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (!head_settled (session))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("a turn did not finish within 60 s");
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
spin_ms (guint ms)
{
  gint64 until = g_get_monotonic_time () + (gint64)ms * 1000;

  while (g_get_monotonic_time () < until)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
}

static gboolean
keep_awake_cb (gpointer user_data)
{
  /* Bounds g_main_context_iteration (TRUE) so the settle check reruns. */
  return G_SOURCE_CONTINUE;
}

int
main (int   argc,
      char *argv[])
{
  gboolean no_animations = FALSE;
  int turns = 10, every = 10, width = 1536, height = 1024, delay_ms = 150, n_partials = 2;
  int noise = 24;
  gboolean no_store = FALSE;
  GOptionEntry entries[] = {
    { "turns", 0, 0, G_OPTION_ARG_INT, &turns, "Turns to run (10)", "N" },
    { "every", 0, 0, G_OPTION_ARG_INT, &every, "Report memory every K turns (10)", "K" },
    { "width", 0, 0, G_OPTION_ARG_INT, &width, "Image width (1536)", "W" },
    { "height", 0, 0, G_OPTION_ARG_INT, &height, "Image height (1024)", "H" },
    { "delay", 0, 0, G_OPTION_ARG_INT, &delay_ms, "Delay between SSE events (150 ms)", "MS" },
    { "partials", 0, 0, G_OPTION_ARG_INT, &n_partials, "Partial images per turn (2)", "P" },
    { "no-animations", 0, 0, G_OPTION_ARG_NONE, &no_animations, "Turn animations off (no cross-fade between frames)", NULL },
    { "noise", 0, 0, G_OPTION_ARG_INT, &noise, "Grain per channel in the images, so PNGs weigh megabytes like photos (24; 0: flat colours)", "N" },
    { "no-store", 0, 0, G_OPTION_ARG_NONE, &no_store, "Run without a library (turns then never fall back to thumbnails)", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) options = g_option_context_new ("- studio main-loop and memory bench");
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselClient) client = NULL;
  g_autoptr(GThread) thread = NULL;
  g_autoptr(GSettings) settings = NULL;
  ServerThread st = { 0, };
  g_autoptr(EaselLibrary) library = NULL;
  g_autofree char *store_dir = NULL;
  EaselWindow *window;
  EaselSession *session;
  EaselCanvas *canvas;
  GdkFrameClock *clock;
  gint64 t0;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (!gtk_init_check ())
    {
      g_printerr ("No display: run this with bench/run-studio.sh\n");
      return 77;
    }
  easel_image_tune_allocator ();   /* as easel-studio's main () does */
  adw_init ();
  if (no_animations)
    g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  /* The window reads its defaults from GSettings (memory backend here). */
  settings = g_settings_new ("io.github.easelstudio.Easel");
  g_settings_set_int (settings, "partial-images", n_partials);

  iterations = g_array_new (FALSE, FALSE, sizeof (Iteration));
  partials = g_array_new (FALSE, FALSE, sizeof (Partial));

  st.width = width;
  st.height = height;
  st.delay_ms = delay_ms;
  st.noise = MAX (noise, 0);
  g_mutex_init (&st.lock);
  g_cond_init (&st.cond);
  thread = g_thread_new ("fake-server", server_thread_main, &st);
  g_mutex_lock (&st.lock);
  while (st.base_url == NULL)
    g_cond_wait (&st.cond, &st.lock);
  g_mutex_unlock (&st.lock);

  client = easel_client_new (st.base_url, "sk-bench");
  /* As in the app, finished turns are saved to a library ($HOME is a
   * throwaway directory): that is what lets off-canvas turns drop their
   * images and keep thumbnails. */
  if (!no_store)
    {
      store_dir = g_build_filename (g_get_user_data_dir (), "easel-bench-library", NULL);
      g_autoptr(EaselStore) store = easel_store_open (store_dir, &error);

      if (store == NULL)
        g_error ("library: %s", error->message);
      library = easel_library_new_for_store (store);
    }
  window = g_object_new (EASEL_TYPE_WINDOW, "client", client, "library", library, NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 900);
  gtk_window_present (GTK_WINDOW (window));
  session = easel_window_get_conversation (window);
  canvas = easel_window_get_canvas (window);
  spin_ms (500);   /* map, first frames */

  clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  g_assert (clock != NULL);
  g_signal_connect (clock, "before-paint", G_CALLBACK (before_paint_cb), NULL);
  g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), NULL);
  g_signal_connect (session, "notify::stage", G_CALLBACK (stage_cb), NULL);
  g_signal_connect (canvas, "notify::texture", G_CALLBACK (texture_cb), window);
  g_timeout_add (50, keep_awake_cb, NULL);
  g_main_context_set_poll_func (NULL, timed_poll);

  g_print ("bench-studio: %d turns, %d×%d, %d partials per turn, %d ms between events, grain %d, %s, GSK_RENDERER=%s%s\n",
           turns, width, height, n_partials, delay_ms, noise, library ? "library" : "no library",
           g_getenv ("GSK_RENDERER") ?: "(default)", no_animations ? ", animations off" : "");
  report_memory (0);
  t0 = g_get_monotonic_time ();

  for (int i = 1; i <= turns; i++)
    {
      g_autofree char *prompt = g_strdup_printf ("turn %d: a city park at dawn, now with %d fountains", i, i);

      easel_composer_set_text (easel_window_get_composer (window), prompt);
      if (!gtk_widget_activate_action (GTK_WIDGET (window), "win.send", NULL))
        g_error ("win.send is not enabled");
      streaming = TRUE;
      spin_until_settled (session);
      streaming = FALSE;
      if (easel_session_turn_get_state (easel_session_get_head (session)) != EASEL_TURN_DONE)
        g_printerr ("turn %d ended in state %d: %s\n", i,
                    easel_session_turn_get_state (easel_session_get_head (session)),
                    easel_session_turn_get_error_message (easel_session_get_head (session)) ?: "");
      spin_ms (100);   /* the final's paint */
      if (i % every == 0 || i == turns)
        report_memory (i);
    }

  g_print ("%d turns in %.1f s\n", turns, (g_get_monotonic_time () - t0) / 1e6);
  report_stalls ();

  g_main_context_set_poll_func (NULL, g_poll);
  g_signal_handlers_disconnect_by_func (clock, before_paint_cb, NULL);
  g_signal_handlers_disconnect_by_func (clock, after_paint_cb, NULL);
  gtk_window_destroy (GTK_WINDOW (window));
  spin_ms (50);
  g_main_loop_quit (st.loop);
  g_thread_join (g_steal_pointer (&thread));
  g_main_loop_unref (st.loop);
  g_free (st.base_url);
  g_array_unref (iterations);
  g_array_unref (partials);
  return 0;
}
