/* studio-screenshots.c: takes the README/metainfo screenshots of the real app
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Not a test. Run under Xvfb (see meson.build) with an output directory:
 * starts the in-process fake server, drives the studio through a short
 * conversation and captures the screen with ImageMagick's `import`.
 */

#define G_LOG_DOMAIN "studio-screenshots"

#include "config.h"

#include <adwaita.h>

#include "easel-application.h"
#include "easel-preferences-window.h"
#include "easel-session.h"
#include "easel-window.h"
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
shoot (const char *dir,
       const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *command = g_strdup_printf ("import -window root -crop 1280x860+0+0 +repage %s", path);
  g_autoptr(GError) error = NULL;

  spin_ms (700);  /* let animations and fades settle */
  if (!g_spawn_command_line_sync (command, NULL, NULL, NULL, &error))
    g_error ("%s", error->message);
  g_print ("%s\n", path);
}

static void
send (EaselWindow *window,
      const char  *prompt)
{
  easel_composer_set_text (easel_window_get_composer (window), prompt);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.send", NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(EaselFakeServer) server = NULL;
  g_autoptr(EaselApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  EaselWindow *window;
  EaselSession *session;
  const char *dir = argc > 1 ? argv[1] : ".";

  server = easel_fake_server_new (&error);
  g_assert_no_error (error);
  easel_fake_server_set_event_delay_ms (server, 500);
  easel_fake_server_set_image_size (server, 1536, 1024);
  g_setenv ("OPENAI_BASE_URL", easel_fake_server_get_base_url (server), TRUE);
  g_setenv ("OPENAI_API_KEY", "sk-screenshot", TRUE);

  app = easel_application_new ();
  if (!g_application_register (G_APPLICATION (app), NULL, &error))
    g_error ("%s", error->message);

  window = easel_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 860);
  gtk_window_present (GTK_WINDOW (window));
  session = easel_window_get_conversation (window);
  spin_ms (500);

  send (window, "A city park at dawn, soft watercolour, long shadows across the grass");
  wait_until (session, FALSE);
  send (window, "Now add a stone fountain in the centre");
  wait_until (session, TRUE);
  shoot (dir, "studio-mid-stream.png");
  wait_until (session, FALSE);
  send (window, "Make it autumn, with orange leaves on the paths");
  wait_until (session, FALSE);
  shoot (dir, "studio-conversation.png");

  easel_application_show_preferences (app, FALSE);
  shoot (dir, "preferences.png");

  return 0;
}
