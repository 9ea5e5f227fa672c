/* studio-screenshots.c: takes the README/metainfo screenshots of the real app
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Not a test. Run under Xvfb (see meson.build) with an output directory:
 * starts the in-process fake server with pictures on (landscapes painted
 * from the prompts, partials that sharpen as they stream), drives the
 * studio through a conversation, a masked edit checked by the guard,
 * Compare, a batch and the gallery, in light and dark, and captures the
 * screen with ImageMagick's `import`.
 */

#define G_LOG_DOMAIN "studio-screenshots"

#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>

#include "easel-application.h"
#include "easel-batch-dialog.h"
#include "easel-batch-item.h"
#include "easel-batch-list.h"
#include "easel-compare-page.h"
#include "easel-preferences-window.h"
#include "easel-session.h"
#include "gui-test-widgets.h"
#include "easel-window.h"
#include "easel-window-private.h"
#include "fake-server.h"

static void
spin_ms (guint ms)
{
  gint64 until = g_get_monotonic_time () + (gint64)ms * 1000;

  while (g_get_monotonic_time () < until)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

static void
wait_until (EaselSession *session,
            gboolean      want_partial);

static void
wait_until (EaselSession *session,
            gboolean      want_partial)
{
  gint64 deadline = g_get_monotonic_time () + 90 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      EaselSessionTurn *turn = easel_session_get_head (session);

      if (turn && want_partial && easel_session_turn_get_texture (turn) && easel_session_turn_get_is_partial (turn))
        return;
      if (turn && !want_partial && easel_session_turn_is_finished (turn) &&
          easel_session_turn_get_texture (turn) && !easel_session_turn_get_is_partial (turn))
        return;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_spawn_command_line_sync ("import -window root /tmp/shots/timeout.png", NULL, NULL, NULL, NULL);
  g_error ("timed out: head %p, state %d, %s", easel_session_get_head (session),
           easel_session_get_head (session) ? (int)easel_session_turn_get_state (easel_session_get_head (session)) : -1,
           easel_session_get_head (session) ? easel_session_turn_get_error_message (easel_session_get_head (session)) : "no turn");
}

static void
shoot_area (const char *dir,
            const char *name,
            int         width,
            int         height)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *command = g_strdup_printf ("import -window root -crop %dx%d+0+0 +repage %s", width, height, path);
  g_autoptr(GError) error = NULL;

  spin_ms (700);  /* let animations and fades settle */
  if (!g_spawn_command_line_sync (command, NULL, NULL, NULL, &error))
    g_error ("%s", error->message);
  g_print ("%s\n", path);
}

static void
shoot (const char *dir,
       const char *name)
{
  shoot_area (dir, name, 1280, 860);
}

/* Two phone-sized shots side by side, as one picture. */
static void
shoot_narrow (const char  *dir,
              EaselWindow *window)
{
  g_autofree char *studio = g_build_filename (dir, "narrow-studio.png", NULL);
  g_autofree char *gallery = g_build_filename (dir, "narrow-gallery.png", NULL);
  g_autofree char *both = g_build_filename (dir, "studio-narrow.png", NULL);
  g_autofree char *command = NULL;
  g_autoptr(GError) error = NULL;

  gtk_window_set_default_size (GTK_WINDOW (window), 360, 640);
  adw_view_stack_set_visible_child_name (window->view_stack, "studio");
  spin_ms (800);
  shoot_area (dir, "narrow-studio.png", 366, 646);
  adw_view_stack_set_visible_child_name (window->view_stack, "gallery");
  spin_ms (1500);
  shoot_area (dir, "narrow-gallery.png", 366, 646);

  command = g_strdup_printf ("convert %s %s -background none -splice 24x0 +append -chop 24x0 %s", studio, gallery, both);
  if (!g_spawn_command_line_sync (command, NULL, NULL, NULL, &error))
    g_error ("%s", error->message);
  g_unlink (studio);
  g_unlink (gallery);
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 860);
  spin_ms (800);
}

static void
send (EaselWindow *window,
      const char  *prompt)
{
  easel_composer_set_text (easel_window_get_composer (window), prompt);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.send", NULL);
}

static void
wait_for (gboolean   (*done) (gpointer data),
          gpointer     data,
          const char  *what)
{
  gint64 deadline = g_get_monotonic_time () + 90 * G_USEC_PER_SEC;

  while (!done (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting for %s", what);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static gboolean
drift_reported (gpointer data)
{
  return *easel_canvas_get_drift_summary (data) != '\0';
}

static gboolean
comparison_done (gpointer data)
{
  EaselComparison *cmp = easel_compare_page_get_comparison (data);

  return cmp != NULL && !easel_comparison_get_running (cmp);
}

static gboolean
batch_dialog_shown (gpointer data)
{
  return easel_test_find_toplevel (EASEL_TYPE_BATCH_DIALOG) != NULL;
}

static gboolean
batch_dialog_valid (gpointer data)
{
  return easel_batch_dialog_get_n_valid (EASEL_BATCH_DIALOG (easel_test_find_toplevel (EASEL_TYPE_BATCH_DIALOG))) ==
         GPOINTER_TO_UINT (data);
}

static gboolean
batch_fetched (gpointer data)
{
  EaselBatchList *list = data;
  g_autoptr(EaselBatchItem) item = g_list_model_get_n_items (G_LIST_MODEL (list)) > 0 ?
                                   g_list_model_get_item (G_LIST_MODEL (list), 0) : NULL;

  return item && easel_batch_item_get_fetched (item) && !easel_batch_item_get_fetching (item);
}

/* Toasts ("Batch submitted", "Comparison finished") would cover what the
 * screenshot is about: close every one on show. */
static void
dismiss_toasts_under (GtkWidget *widget)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      if (g_str_equal (G_OBJECT_TYPE_NAME (child), "AdwToastWidget"))
        {
          g_autoptr(AdwToast) toast = NULL;

          g_object_get (child, "toast", &toast, NULL);
          if (toast)
            adw_toast_dismiss (toast);
        }
      else
        dismiss_toasts_under (child);
    }
}

static void
dismiss_toasts (GtkWidget *window)
{
  /* Not while one is still sliding in. */
  spin_ms (800);
  dismiss_toasts_under (window);
}

/* Paints the mask the way a brush would: overlapping strokes over the box
 * (in image pixels) where the fox will go. */
static void
paint_mask (EaselCanvas *canvas,
            double       x0,
            double       y0,
            double       x1,
            double       y1)
{
  EaselMask *mask = easel_canvas_get_mask (canvas);
  double radius = (y1 - y0) / 6;

  g_assert (mask != NULL);
  easel_canvas_set_tool (canvas, "brush");
  easel_mask_begin_stroke (mask);
  for (double y = y0 + radius; y <= y1 - radius * 0.5; y += radius * 1.2)
    easel_mask_stroke_to (mask, x0 + radius, y, 1, x1 - radius, y + radius * 0.3, 1, radius, 0.8, FALSE);
  easel_mask_end_stroke (mask);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(EaselFakeServer) server = NULL;
  g_autoptr(EaselApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  const char *models[] = { "gpt-image-1.5", "gpt-image-1-mini", NULL };
  const char *qualities[] = { "low", "high", NULL };
  const char *batch = "A still life: a blue vase with flowers and fruit on a table\n"
                      "A cottage in a meadow with yellow flowers on a summer morning\n"
                      "Snowy mountains over a small town at night\n"
                      "A sailing boat on the sea at dawn\n"
                      "A park with a stone fountain and trees in autumn\n";
  EaselWindow *window;
  EaselSession *session;
  EaselCanvas *canvas;
  EaselComparePage *compare;
  EaselBatchDialog *dialog;
  const char *dir = argc > 1 ? argv[1] : ".";

  server = easel_fake_server_new (&error);
  g_assert_no_error (error);
  if (!easel_fake_server_set_pictures (server, TRUE))
    g_error ("the fake server was built without cairo: no pictures to show");
  easel_fake_server_set_event_delay_ms (server, 700);
  easel_fake_server_set_image_size (server, 1536, 1024);
  g_setenv ("OPENAI_BASE_URL", easel_fake_server_get_base_url (server), TRUE);
  g_setenv ("OPENAI_API_KEY", "sk-screenshot", TRUE);
  g_setenv ("EASEL_BATCH_POLL_MS", "400", TRUE);

  app = easel_application_new ();
  if (!g_application_register (G_APPLICATION (app), NULL, &error))
    g_error ("%s", error->message);

  window = easel_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 860);
  gtk_window_present (GTK_WINDOW (window));
  session = easel_window_get_conversation (window);
  canvas = easel_window_get_canvas (window);
  spin_ms (500);

  /* A conversation: each follow-up is painted over the same composition. */
  send (window, "A lighthouse on a cliff at dusk, red and white stripes, a calm sea");
  wait_until (session, FALSE);
  send (window, "Add a small cottage beside it with warm lit windows");
  wait_until (session, TRUE);
  shoot (dir, "studio-mid-stream.png");
  wait_until (session, FALSE);

  /* A masked edit: the brush over the grass between the cottage and the
   * lighthouse, then the guard's report on what changed outside the mask. */
  paint_mask (canvas, 170, 410, 350, 565);
  spin_ms (300);
  send (window, "Add a fox sitting on the grass");
  wait_until (session, FALSE);
  wait_for (drift_reported, canvas, "the mask guard");
  g_print ("guard: %s\n", easel_canvas_get_drift_summary (canvas));
  dismiss_toasts (GTK_WIDGET (window));
  shoot (dir, "studio-mask-guard.png");

  easel_mask_clear (easel_canvas_get_mask (canvas));
  send (window, "Make it night, the beam sweeping over the water");
  wait_until (session, FALSE);
  dismiss_toasts (GTK_WIDGET (window));
  shoot (dir, "studio-conversation.png");

  easel_application_show_preferences (app, FALSE);
  shoot (dir, "preferences.png");
  {
    GtkWindow *prefs = easel_test_find_toplevel (EASEL_TYPE_PREFERENCES_WINDOW);

    if (prefs)
      gtk_window_close (prefs);
    spin_ms (300);
  }

  /* Compare: two models × two qualities of one prompt, square as asked. */
  easel_fake_server_set_image_size (server, 0, 0);
  compare = EASEL_COMPARE_PAGE (easel_window_get_compare_page (window));
  adw_view_stack_set_visible_child_name (window->view_stack, "compare");
  easel_compare_page_set_prompt (compare, "A fox in an autumn forest at dusk, golden light");
  easel_compare_page_select (compare, models, qualities);
  spin_ms (300);
  gtk_widget_activate_action (GTK_WIDGET (compare), "compare.send", NULL);
  spin_ms (500);
  wait_for (comparison_done, compare, "the comparison");
  spin_ms (1500);
  dismiss_toasts (GTK_WIDGET (window));
  shoot (dir, "studio-compare.png");

  /* Batches: five prompts through New Batch…, polled to completion. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.new-batch", NULL);
  wait_for (batch_dialog_shown, NULL, "the batch dialog");
  dialog = EASEL_BATCH_DIALOG (easel_test_find_toplevel (EASEL_TYPE_BATCH_DIALOG));
  easel_batch_dialog_set_text (dialog, batch);
  wait_for (batch_dialog_valid, GUINT_TO_POINTER (5), "the batch lines");
  g_signal_emit_by_name (gtk_widget_get_template_child (GTK_WIDGET (dialog), EASEL_TYPE_BATCH_DIALOG,
                                                        "submit_button"), "clicked");
  wait_for (batch_fetched, window->batches, "the batch results");
  /* and a second one, still on its way */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.new-batch", NULL);
  wait_for (batch_dialog_shown, NULL, "the batch dialog");
  dialog = EASEL_BATCH_DIALOG (easel_test_find_toplevel (EASEL_TYPE_BATCH_DIALOG));
  easel_batch_dialog_set_text (dialog, "A lighthouse in a storm at night\nA fox under a blossom tree in spring\n"
                                       "A still life of lemons in a white bowl\n");
  wait_for (batch_dialog_valid, GUINT_TO_POINTER (3), "the batch lines");
  g_signal_emit_by_name (gtk_widget_get_template_child (GTK_WIDGET (dialog), EASEL_TYPE_BATCH_DIALOG,
                                                        "submit_button"), "clicked");
  adw_view_stack_set_visible_child_name (window->view_stack, "batches");
  /* Let the "Batch submitted" toast time out: dismissing it here crashes
   * libadwaita 1.2 (the toast that finished before is still animating). */
  spin_ms (6000);
  shoot (dir, "studio-batches.png");

  adw_view_stack_set_visible_child_name (window->view_stack, "gallery");
  spin_ms (2500);  /* thumbnails load in workers */
  shoot (dir, "studio-gallery.png");

  /* A phone held upright: the canvas with its folded toolbar, the gallery. */
  shoot_narrow (dir, window);

  /* Dark: a new conversation in the studio. */
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  adw_view_stack_set_visible_child_name (window->view_stack, "studio");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.new-conversation", NULL);
  spin_ms (300);
  session = easel_window_get_conversation (window);
  send (window, "A cottage in a meadow with yellow flowers and a tree on a summer morning");
  wait_until (session, FALSE);
  send (window, "Add a fox in the foreground and a sign that says \"Easel\"");
  wait_until (session, FALSE);
  shoot (dir, "studio-dark.png");

  return 0;
}
