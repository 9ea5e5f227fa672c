/* test-open.c: Open With and `easel-studio FILE…`, through the real application, under Xvfb
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The application is run with files on its command line, as Files and a
 * terminal start it, and is handed more files while it runs, as a second
 * `easel-studio FILE` does through GApplication. An ordinary image starts a
 * new conversation with it attached; a PNG Easel exported resumes its
 * conversation; a FIFO named .png is refused without holding the library;
 * a file opened at start-up wins over reopening the last conversation; and
 * one opened while the window is drawing gets a window of its own.
 */

#define G_LOG_DOMAIN "test-open"

#include "config.h"

#include <adwaita.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "easel-canvas.h"
#include "easel-composer.h"
#include "easel-session.h"
#include "easel-window.h"
#include "easel-window-private.h"
#include "fake-server.h"
#include "gui-test-util.h"

#define TIMEOUT_MS 20000
#define LIGHTHOUSE "a lighthouse in the fog"

typedef struct _Fixture Fixture;
typedef void (*Steps) (Fixture *f);

struct _Fixture
{
  char *dir;
  char *plain_png;
  char *easel_png;
  char *fifo_png;
  EaselFakeServer *server;
  EaselApplication *app;
  EaselWindow *window;
  Steps steps;
};

static GBytes *
make_png (guint32 rgba)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, 48, 32);
  g_autoptr(GError) error = NULL;
  char *buffer = NULL;
  gsize len = 0;

  gdk_pixbuf_fill (pixbuf, rgba);
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &len, "png", &error, NULL));
  g_assert_no_error (error);
  return g_bytes_new_take (buffer, len);
}

/* A PNG as Easel exports it: a one-turn conversation in a scratch library,
 * exported with its metadata. */
static void
make_easel_png (Fixture *f)
{
  g_autofree char *store_dir = g_build_filename (f->dir, "other-library", NULL);
  g_autoptr(EaselStore) store = NULL;
  g_autoptr(EaselConversation) conv = NULL;
  g_autoptr(EaselTurn) turn = easel_turn_new ();
  g_autoptr(EaselGeneration) gen = easel_generation_new ();
  g_autoptr(GBytes) png = make_png (0x3060a0ff);
  g_autoptr(GFile) dest = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id;

  store = easel_store_open (store_dir, &error);
  g_assert_no_error (error);
  conv = easel_store_create_conversation (store, LIGHTHOUSE, &error);
  g_assert_no_error (error);

  turn->conversation_id = conv->id;
  turn->user_text = g_strdup (LIGHTHOUSE);
  turn->response_id = g_strdup ("resp_lighthouse");
  g_assert_cmpint (easel_store_add_turn (store, turn, &error), >, 0);
  g_assert_no_error (error);

  gen->model = g_strdup ("gpt-image-1");
  gen->api = g_strdup ("responses");
  gen->prompt = g_strdup (LIGHTHOUSE);
  gen->params_json = g_strdup ("{\"model\":\"gpt-image-1\",\"prompt\":\"" LIGHTHOUSE "\"}");
  gen->size = g_strdup ("1024x1024");
  gen->format = g_strdup ("png");
  gen->response_id = g_strdup ("resp_lighthouse");
  gen->conversation_id = conv->id;
  gen->turn_id = turn->id;
  gen->created = 1700000000;
  gen->status = EASEL_GENERATION_OK;
  id = easel_store_insert_generation (store, gen, png, &error);
  g_assert_no_error (error);
  g_assert_true (easel_store_set_turn_image (store, turn->id, id, &error));
  g_assert_no_error (error);

  dest = g_file_new_for_path (f->easel_png);
  g_assert_true (easel_store_export (store, id, dest, EASEL_EXPORT_PNG, -1, &error));
  g_assert_no_error (error);
}

static void
fixture_init (Fixture *f)
{
  g_autoptr(GBytes) plain = make_png (0xc08020ff);
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("easel-open-XXXXXX", &error);
  g_assert_no_error (error);
  f->plain_png = g_build_filename (f->dir, "holiday.png", NULL);
  f->easel_png = g_build_filename (f->dir, "lighthouse.png", NULL);
  f->fifo_png = g_build_filename (f->dir, "fifo.png", NULL);
  g_assert_true (g_file_set_contents (f->plain_png, g_bytes_get_data (plain, NULL),
                                      g_bytes_get_size (plain), &error));
  g_assert_no_error (error);
  make_easel_png (f);
  g_assert_cmpint (mkfifo (f->fifo_png, 0600), ==, 0);
}

static void
fixture_clear (Fixture *f)
{
  easel_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->plain_png);
  g_free (f->easel_png);
  g_free (f->fifo_png);
}

/* Conditions */

static GPtrArray *
attachments (Fixture *f)
{
  return easel_composer_get_attachments (easel_window_get_composer (f->window));
}

static gboolean
one_attachment (Fixture *f)
{
  return attachments (f)->len == 1;
}

static guint
n_turns (Fixture *f)
{
  return g_list_model_get_n_items (easel_session_get_all_turns (easel_window_get_conversation (f->window)));
}

static gboolean
lighthouse_resumed (Fixture *f)
{
  EaselSessionTurn *head = easel_session_get_head (easel_window_get_conversation (f->window));

  return head != NULL && g_strcmp0 (easel_session_turn_get_prompt (head), LIGHTHOUSE) == 0;
}

static gboolean
library_ready (Fixture *f)
{
  return _easel_window_library_ready (f->window);
}

static const char *
visible_page (Fixture *f)
{
  return adw_view_stack_get_visible_child_name (f->window->view_stack);
}

static void
open_path (Fixture    *f,
           const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  GFile *files[] = { file };

  g_application_open (G_APPLICATION (f->app), files, 1, "");
}

/* The first start: an Easel PNG on the command line, while the library is
 * still opening. */
static void
first_run (Fixture *f)
{
  EaselInputImage *image;
  EaselSession *resumed;

  g_assert_true (wait_for (lighthouse_resumed, f, TIMEOUT_MS));
  g_assert_cmpuint (n_turns (f), ==, 1);
  g_assert_cmpstr (easel_session_turn_get_response_id (easel_session_get_head (easel_window_get_conversation (f->window))),
                   ==, "resp_lighthouse");
  g_assert_cmpuint (attachments (f)->len, ==, 0);
  g_assert_cmpstr (visible_page (f), ==, "studio");
  resumed = easel_window_get_conversation (f->window);

  /* A FIFO named .png: refused at once, and the library's worker is not
   * held (the image opened after it still arrives). */
  open_path (f, f->fifo_png);
  open_path (f, f->plain_png);
  g_assert_true (wait_for (one_attachment, f, TIMEOUT_MS));
  easel_test_spin_ms (200);
  g_assert_cmpuint (attachments (f)->len, ==, 1);

  /* An ordinary image: a new conversation with the image attached. */
  g_assert_true (easel_window_get_conversation (f->window) != resumed);
  g_assert_cmpuint (n_turns (f), ==, 0);
  image = g_ptr_array_index (attachments (f), 0);
  g_assert_cmpstr (image->filename, ==, "holiday.png");
  g_assert_cmpstr (image->mime_type, ==, "image/png");
  g_assert_cmpstr (visible_page (f), ==, "studio");

  /* Opening it again starts over rather than piling up attachments. */
  open_path (f, f->plain_png);
  easel_test_spin_ms (300);
  g_assert_true (wait_for (one_attachment, f, TIMEOUT_MS));
}

static gboolean
canvas_shows_attachment (Fixture *f)
{
  GdkTexture *texture = easel_canvas_get_texture (easel_window_get_canvas (f->window));

  return texture != NULL && gdk_texture_get_width (texture) == 48 && gdk_texture_get_height (texture) == 32;
}

static gboolean
target_is_attachment (Fixture *f)
{
  g_autofree char *target = NULL;

  g_object_get (easel_window_get_composer (f->window), "target", &target, NULL);
  return target != NULL && strstr (target, "attached image") != NULL;
}

static gboolean
first_turn_done (Fixture *f)
{
  EaselSessionTurn *head = easel_session_get_head (easel_window_get_conversation (f->window));

  return head != NULL && easel_session_turn_is_finished (head);
}

/* The second start: the library now holds the lighthouse conversation,
 * which a plain start would reopen; the image on the command line wins. */
static void
second_run (Fixture *f)
{
  EaselCanvas *canvas;
  EaselSessionTurn *head;
  const EaselFakeRequest *request;
  g_autofree char *body = NULL;

  g_assert_true (wait_for (one_attachment, f, TIMEOUT_MS));
  g_assert_true (wait_for (library_ready, f, TIMEOUT_MS));
  easel_test_spin_ms (500);
  g_assert_cmpuint (n_turns (f), ==, 0);
  g_assert_cmpuint (attachments (f)->len, ==, 1);
  g_assert_cmpstr (((EaselInputImage *) g_ptr_array_index (attachments (f), 0))->filename, ==, "holiday.png");

  /* Ready for a mask before anything is sent: the opened image is on the
   * canvas, and a mask painted on it makes the first Send a masked edit
   * of it. */
  canvas = easel_window_get_canvas (f->window);
  g_assert_true (wait_for (canvas_shows_attachment, f, TIMEOUT_MS));
  g_assert_nonnull (easel_canvas_get_mask (canvas));
  g_assert_cmpint (easel_mask_get_width (easel_canvas_get_mask (canvas)), ==, 48);
  easel_mask_fill_rect (easel_canvas_get_mask (canvas), 0, 0, 24, 32, FALSE);
  g_assert_true (wait_for (target_is_attachment, f, TIMEOUT_MS));
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (f->window->empty_conversation)), ==, "Edit This Image");

  easel_fake_server_clear_requests (f->server);
  easel_composer_set_text (easel_window_get_composer (f->window), "a storm over the left half");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.send", NULL));
  g_assert_true (wait_for (first_turn_done, f, TIMEOUT_MS));
  head = easel_session_get_head (easel_window_get_conversation (f->window));
  g_assert_cmpint (easel_session_turn_get_state (head), ==, EASEL_TURN_DONE);

  /* One request: the image and its mask, sent once. */
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "POST", "/v1/responses"), ==, 1);
  request = easel_fake_server_get_request (f->server, 0);
  body = g_strndup (g_bytes_get_data (request->body, NULL), g_bytes_get_size (request->body));
  g_assert_nonnull (strstr (body, "input_image_mask"));
  g_assert_nonnull (strstr (body, "\"type\":\"input_image\""));
  /* The attachment was sent as the edited image, not a second time beside it. */
  g_assert_null (strstr (strstr (body, "\"type\":\"input_image\"") + 1, "\"type\":\"input_image\""));
  g_assert_cmpuint (attachments (f)->len, ==, 0);
}

static gboolean
busy (Fixture *f)
{
  return easel_session_get_busy (easel_window_get_conversation (f->window));
}

static gboolean
two_windows (Fixture *f)
{
  return g_list_length (gtk_application_get_windows (GTK_APPLICATION (f->app))) == 2;
}

static EaselWindow *other;

static gboolean
other_has_attachment (Fixture *f)
{
  return easel_composer_get_attachments (easel_window_get_composer (other))->len == 1;
}

static gboolean
head_done (Fixture *f)
{
  EaselSessionTurn *head = easel_session_get_head (easel_window_get_conversation (f->window));

  return !busy (f) && head != NULL && easel_session_turn_get_state (head) == EASEL_TURN_DONE;
}

/* An image opened while the window is drawing: the drawing goes on, and the
 * image gets a new window rather than cancelling it. */
static void
busy_run (Fixture *f)
{
  g_assert_true (wait_for (one_attachment, f, TIMEOUT_MS));
  gtk_widget_activate_action (GTK_WIDGET (easel_window_get_composer (f->window)),
                              "composer.clear-attachments", NULL);
  easel_fake_server_set_event_delay_ms (f->server, 150);
  easel_composer_set_text (easel_window_get_composer (f->window), "a slow harbour");
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.send", NULL);
  g_assert_true (wait_for (busy, f, TIMEOUT_MS));

  open_path (f, f->plain_png);
  g_assert_true (wait_for (two_windows, f, TIMEOUT_MS));
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (f->app)); l; l = l->next)
    if (l->data != (gpointer) f->window)
      other = EASEL_WINDOW (l->data);
  g_assert_nonnull (other);
  g_assert_true (wait_for (other_has_attachment, f, TIMEOUT_MS));
  g_assert_true (busy (f));
  g_assert_true (wait_for (head_done, f, TIMEOUT_MS));
  gtk_window_destroy (GTK_WINDOW (other));
}

/* Running an instance */

static gboolean
run_steps_cb (gpointer user_data)
{
  Fixture *f = user_data;

  f->steps (f);
  gtk_window_close (GTK_WINDOW (f->window));
  g_application_quit (G_APPLICATION (f->app));
  return G_SOURCE_REMOVE;
}

static void
open_cb (GApplication  *app,
         GFile        **files,
         int            n_files,
         const char    *hint,
         Fixture       *f)
{
  if (f->window != NULL)
    return;
  f->window = EASEL_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_assert_true (EASEL_IS_WINDOW (f->window));
  g_object_add_weak_pointer (G_OBJECT (f->window), (gpointer *)&f->window);
  g_idle_add (run_steps_cb, f);
}

static void
activate_cb (GApplication *app,
             Fixture      *f)
{
  g_error ("A start with files must open them, not activate");
}

static gboolean
app_gone (Fixture *f)
{
  return f->app == NULL;
}

static void
run_instance (Fixture    *f,
              const char *path,
              Steps       steps)
{
  char *argv[] = { (char *) "easel-studio", (char *) path, NULL };
  int status;

  f->steps = steps;
  f->app = easel_application_new ();
  g_object_add_weak_pointer (G_OBJECT (f->app), (gpointer *)&f->app);
  g_signal_connect_after (f->app, "open", G_CALLBACK (open_cb), f);
  g_signal_connect (f->app, "activate", G_CALLBACK (activate_cb), f);

  status = g_application_run (G_APPLICATION (f->app), 2, argv);
  g_assert_cmpint (status, ==, 0);
  g_object_unref (f->app);
  g_assert_true (wait_for (app_gone, f, TIMEOUT_MS));
  f->window = NULL;
}

static void
test_open_with (void)
{
  g_autoptr(GError) error = NULL;
  Fixture f = { 0 };

  f.server = easel_fake_server_new (&error);
  g_assert_no_error (error);
  g_setenv ("OPENAI_BASE_URL", easel_fake_server_get_base_url (f.server), TRUE);
  g_setenv ("OPENAI_API_KEY", "sk-test-open", TRUE);
  fixture_init (&f);

  run_instance (&f, f.easel_png, first_run);
  run_instance (&f, f.plain_png, second_run);
  run_instance (&f, f.plain_png, busy_run);

  fixture_clear (&f);
  easel_fake_server_free (f.server);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  if (!gtk_init_check ())
    {
      g_printerr ("No display: the Open With UI test needs Xvfb; skipping\n");
      return 77;
    }

  g_test_add_func ("/gui/open/with", test_open_with);

  return g_test_run ();
}
