/* test-library.c: the studio's conversations in the library, under Xvfb
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window against the fake OpenAI server and a temporary library:
 * conversations stored as trees, continued in a new window, restored from
 * an exported PNG, and resent with the image when the server forgot the
 * previous response.
 */

#define G_LOG_DOMAIN "test-library"

#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>

#include "easel-session.h"
#include "easel-window.h"
#include "easel-window-private.h"
#include "fake-server.h"
#include "gui-test-util.h"

typedef struct
{
  EaselFakeServer *server;
  EaselClient *client;
  EaselStore *store;
  EaselLibrary *library;   /* over store: what the window writes through */
  char *dir;
  EaselWindow *window;
  /* wait_store_turns() arguments and answer */
  guint want_turns;
  gint64 conversation_id;
  GPtrArray *turns;
} Fixture;

static EaselSession *
session (Fixture *f)
{
  return easel_window_get_conversation (f->window);
}

static EaselSessionTurn *
head (Fixture *f)
{
  return easel_session_get_head (session (f));
}

static gboolean
head_settled (Fixture *f)
{
  EaselSessionTurn *turn = head (f);

  if (turn == NULL || !easel_session_turn_is_finished (turn) || easel_session_get_busy (session (f)))
    return FALSE;
  if (easel_session_turn_get_state (turn) == EASEL_TURN_DONE)
    return easel_session_turn_get_texture (turn) != NULL && !easel_session_turn_get_is_partial (turn);
  return TRUE;
}

static EaselWindow *
new_window (Fixture *f)
{
  EaselWindow *window = g_object_new (EASEL_TYPE_WINDOW, "client", f->client, "library", f->library, NULL);

  gtk_window_present (GTK_WINDOW (window));
  return window;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->server = easel_fake_server_new (&error);
  g_assert_no_error (error);
  easel_fake_server_set_event_delay_ms (f->server, 10);
  f->client = easel_client_new (easel_fake_server_get_base_url (f->server), "sk-test-gui");

  f->dir = g_dir_make_tmp ("easel-test-library-XXXXXX", &error);
  g_assert_no_error (error);
  f->store = easel_store_open (f->dir, &error);
  g_assert_no_error (error);
  f->library = easel_library_new_for_store (f->store);

  f->window = new_window (f);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->window)
    gtk_window_destroy (GTK_WINDOW (f->window));
  easel_test_spin_ms (50);
  g_clear_pointer (&f->turns, g_ptr_array_unref);
  if (f->library != NULL)
    easel_library_flush (f->library);
  g_clear_object (&f->library);
  g_clear_object (&f->store);
  g_clear_object (&f->client);
  g_clear_pointer (&f->server, easel_fake_server_free);
  easel_test_rm_rf (f->dir);
  g_free (f->dir);
}

static void
send_prompt (Fixture    *f,
             const char *prompt)
{
  easel_composer_set_text (easel_window_get_composer (f->window), prompt);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.send", NULL));
}

static JsonObject *
request_body (Fixture *f,
              guint    index,
              JsonNode **node)
{
  const EaselFakeRequest *request = easel_fake_server_get_request (f->server, index);

  g_assert_nonnull (request);
  g_assert_cmpstr (request->path, ==, "/v1/responses");
  *node = easel_fake_request_parse_json (request);
  g_assert_nonnull (*node);
  return json_node_get_object (*node);
}

static const char *
previous_id_of (JsonObject *body)
{
  if (!json_object_has_member (body, "previous_response_id") ||
      JSON_NODE_HOLDS_NULL (json_object_get_member (body, "previous_response_id")))
    return NULL;
  return json_object_get_string_member (body, "previous_response_id");
}

/* The newest stored conversation has f->want_turns turns, every one
 * finished (a response id, and a generation once it has an image). */
static gboolean
store_has_turns (Fixture *f)
{
  g_autoptr(GPtrArray) conversations = NULL;
  g_autoptr(GPtrArray) turns = NULL;
  EaselConversation *conversation;

  conversations = easel_store_list_conversations (f->store, NULL);
  if (conversations == NULL || conversations->len == 0)
    return FALSE;
  conversation = g_ptr_array_index (conversations, 0);
  turns = easel_store_list_turns (f->store, conversation->id, NULL);
  if (turns == NULL || turns->len != f->want_turns)
    return FALSE;
  for (guint i = 0; i < turns->len; i++)
    {
      EaselTurn *turn = g_ptr_array_index (turns, i);

      if (turn->response_id == NULL || turn->generation_id == 0)
        return FALSE;
    }
  f->conversation_id = conversation->id;
  g_clear_pointer (&f->turns, g_ptr_array_unref);
  f->turns = g_steal_pointer (&turns);
  return TRUE;
}

static EaselTurn *
stored_turn (Fixture *f,
             guint    index)
{
  g_assert_nonnull (f->turns);
  g_assert_cmpuint (index, <, f->turns->len);
  return g_ptr_array_index (f->turns, index);
}

static void
send_two_turns (Fixture *f)
{
  send_prompt (f, "a city park at dawn");
  g_assert_true (wait_for (head_settled, f, 20000));
  g_assert_cmpint (easel_session_turn_get_state (head (f)), ==, EASEL_TURN_DONE);
  send_prompt (f, "now add a fountain in the centre");
  g_assert_true (wait_for (head_settled, f, 20000));
  g_assert_cmpint (easel_session_turn_get_state (head (f)), ==, EASEL_TURN_DONE);

  f->want_turns = 2;
  g_assert_true (wait_for (store_has_turns, f, 20000));
}

static void
test_two_turns_stored (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(EaselConversation) conversation = NULL;
  EaselSessionTurn *second = head (f);
  EaselSessionTurn *first;
  EaselTurn *t0, *t1;

  send_two_turns (f);
  second = head (f);
  first = easel_session_turn_get_parent (second);
  g_assert_nonnull (first);

  conversation = easel_store_get_conversation (f->store, f->conversation_id, NULL);
  g_assert_nonnull (conversation);
  g_assert_cmpstr (conversation->title, ==, "a city park at dawn");

  t0 = stored_turn (f, 0);
  t1 = stored_turn (f, 1);
  g_assert_cmpint (t0->parent_turn_id, ==, 0);
  g_assert_cmpint (t1->parent_turn_id, ==, t0->id);
  g_assert_cmpstr (t0->user_text, ==, "a city park at dawn");
  g_assert_cmpstr (t1->user_text, ==, "now add a fountain in the centre");
  g_assert_cmpstr (t0->response_id, ==, easel_session_turn_get_response_id (first));
  g_assert_cmpstr (t1->response_id, ==, easel_session_turn_get_response_id (second));
  g_assert_null (t0->previous_response_id);
  g_assert_cmpstr (t1->previous_response_id, ==, t0->response_id);
  g_assert_cmpstr (t1->image_call_id, ==, easel_session_turn_get_image_call_id (second));

  /* Each generation points back at its conversation and turn, and the
   * second image was made from the first. */
  for (guint i = 0; i < 2; i++)
    {
      EaselTurn *turn = stored_turn (f, i);
      g_autoptr(EaselGeneration) generation = easel_store_get_generation (f->store, turn->generation_id, NULL);

      g_assert_nonnull (generation);
      g_assert_cmpint (generation->conversation_id, ==, f->conversation_id);
      g_assert_cmpint (generation->turn_id, ==, turn->id);
      g_assert_nonnull (generation->path);
      g_assert_true (g_file_test (generation->path, G_FILE_TEST_IS_REGULAR));
      g_assert_cmpint (generation->parent_generation_id, ==, i == 0 ? 0 : t0->generation_id);
    }
}

static gboolean
restored_from_first (Fixture *f)
{
  EaselSessionTurn *turn = head (f);

  return turn != NULL && f->turns != NULL &&
         g_strcmp0 (easel_session_turn_get_response_id (turn), stored_turn (f, 0)->response_id) == 0;
}

static GtkWidget *
find_list_view (GtkWidget *widget)
{
  /* The conversation's list, not a drop-down's popup list. */
  if (GTK_IS_DROP_DOWN (widget))
    return NULL;
  if (GTK_IS_LIST_VIEW (widget))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_list_view (child);

      if (found)
        return found;
    }
  return NULL;
}

static EaselSessionTurn *offscreen_turn;

static gboolean
offscreen_released (Fixture *f)
{
  return easel_session_turn_get_texture (offscreen_turn) == NULL;
}

static gboolean
offscreen_back (Fixture *f)
{
  return easel_session_turn_get_texture (offscreen_turn) != NULL &&
         easel_canvas_get_texture (easel_window_get_canvas (f->window)) ==
         easel_session_turn_get_texture (offscreen_turn);
}

static gboolean
canvas_empty_and_status (Fixture *f)
{
  return easel_canvas_get_texture (easel_window_get_canvas (f->window)) == NULL &&
         easel_session_turn_get_status (offscreen_turn) != NULL;
}

/* Once stored, a turn off the canvas keeps only its thumbnail; selecting it
 * brings the full image back from the library file. */
static void
test_offscreen_thumbnails (Fixture       *f,
                           gconstpointer  data)
{
  GtkSelectionModel *selection;
  EaselSessionTurn *second;
  GdkTexture *thumbnail;

  send_two_turns (f);
  second = head (f);
  offscreen_turn = easel_session_turn_get_parent (second);
  g_assert_nonnull (offscreen_turn);

  g_assert_true (wait_for (offscreen_released, f, 20000));
  thumbnail = easel_session_turn_get_thumbnail (offscreen_turn);
  g_assert_nonnull (thumbnail);
  g_assert_cmpint (MAX (gdk_texture_get_width (thumbnail), gdk_texture_get_height (thumbnail)), <=,
                   EASEL_SESSION_TURN_THUMBNAIL_SIZE);
  g_assert_null (easel_session_turn_get_image_bytes (offscreen_turn));
  g_assert_nonnull (easel_session_turn_get_image_file (offscreen_turn));
  /* The turn on the canvas keeps everything. */
  g_assert_nonnull (easel_session_turn_get_texture (second));
  g_assert_nonnull (easel_session_turn_get_image_bytes (second));

  selection = gtk_list_view_get_model (GTK_LIST_VIEW (find_list_view (GTK_WIDGET (f->window))));
  gtk_selection_model_select_item (selection, 0, TRUE);
  g_assert_true (wait_for (offscreen_back, f, 20000));
  g_assert_cmpint (gdk_texture_get_width (easel_session_turn_get_texture (offscreen_turn)), >,
                   gdk_texture_get_width (thumbnail));
  g_assert_nonnull (easel_session_turn_get_image_bytes (offscreen_turn));

  /* Still the head, the second turn keeps its image for the next send; a
   * turn that is neither would have let go (checked above). */
  g_assert_nonnull (easel_session_turn_get_texture (second));

  /* Back to the second turn: the first lets go again. Then its file goes
   * missing behind our back: selecting it must not leave the second turn's
   * image on the canvas, and the turn says what happened. */
  gtk_selection_model_select_item (selection, 1, TRUE);
  g_assert_true (wait_for (offscreen_released, f, 20000));
  g_assert_cmpint (g_unlink (g_file_peek_path (easel_session_turn_get_image_file (offscreen_turn))), ==, 0);
  gtk_selection_model_select_item (selection, 0, TRUE);
  g_assert_true (wait_for (canvas_empty_and_status, f, 20000));
  g_assert_null (easel_session_turn_get_texture (offscreen_turn));
  g_assert_nonnull (easel_session_turn_get_thumbnail (offscreen_turn));
  offscreen_turn = NULL;
}

static gboolean
restored_images_loaded (Fixture *f)
{
  GListModel *all = easel_session_get_all_turns (session (f));

  if (head (f) == NULL || easel_session_turn_get_texture (head (f)) == NULL)
    return FALSE;
  for (guint i = 0; i < g_list_model_get_n_items (all); i++)
    {
      g_autoptr(EaselSessionTurn) turn = g_list_model_get_item (all, i);

      if (easel_session_turn_get_thumbnail (turn) == NULL)
        return FALSE;
    }
  return TRUE;
}

static void
test_continue_in_new_window (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(JsonNode) node = NULL;
  GtkWidget *gallery;
  EaselSessionTurn *restored;
  gint64 first_id, conversation_id;

  send_two_turns (f);
  first_id = stored_turn (f, 0)->id;
  conversation_id = f->conversation_id;

  /* A fresh window on the same library, as after a restart. */
  gtk_window_destroy (GTK_WINDOW (f->window));
  easel_test_spin_ms (20);
  f->window = new_window (f);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (session (f))), ==, 0);

  /* "Continue this conversation" on the first image, from the gallery. */
  gallery = easel_window_get_gallery (f->window);
  g_assert_nonnull (gallery);
  g_signal_emit_by_name (gallery, "continue-conversation", conversation_id, first_id);
  g_assert_true (wait_for (restored_from_first, f, 20000));

  /* Both turns are back (every branch), the head is the chosen one, with
   * its image loaded from the library. */
  restored = head (f);
  g_assert_cmpuint (g_list_model_get_n_items (easel_session_get_all_turns (session (f))), ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (session (f))), ==, 1);
  g_assert_cmpstr (easel_session_turn_get_prompt (restored), ==, "a city park at dawn");
  /* Restored turns read only thumbnails; the one on the canvas decodes its
   * full image from the library file, off the main thread. */
  g_assert_true (wait_for (restored_images_loaded, f, 20000));
  g_assert_nonnull (easel_session_turn_get_image_bytes (restored));
  g_assert_true (easel_canvas_get_texture (easel_window_get_canvas (f->window)) ==
                 easel_session_turn_get_texture (restored));
  g_assert_cmpint (gdk_texture_get_width (easel_session_turn_get_texture (restored)), >,
                   gdk_texture_get_width (easel_session_turn_get_thumbnail (restored)));
  g_assert_cmpint (MAX (gdk_texture_get_width (easel_session_turn_get_thumbnail (restored)),
                        gdk_texture_get_height (easel_session_turn_get_thumbnail (restored))), <=,
                   EASEL_SESSION_TURN_THUMBNAIL_SIZE);
  {
    /* The other branch's turn is off the canvas: a thumbnail only. */
    GListModel *all = easel_session_get_all_turns (session (f));

    for (guint i = 0; i < g_list_model_get_n_items (all); i++)
      {
        g_autoptr(EaselSessionTurn) other = g_list_model_get_item (all, i);

        if (other == restored)
          continue;
        g_assert_nonnull (easel_session_turn_get_thumbnail (other));
        g_assert_null (easel_session_turn_get_texture (other));
        g_assert_null (easel_session_turn_get_image_bytes (other));
      }
  }

  easel_fake_server_clear_requests (f->server);
  send_prompt (f, "make it night instead");
  g_assert_true (wait_for (head_settled, f, 20000));
  g_assert_cmpint (easel_session_turn_get_state (head (f)), ==, EASEL_TURN_DONE);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
  g_assert_cmpstr (previous_id_of (request_body (f, 0, &node)), ==, stored_turn (f, 0)->response_id);

  /* The new turn is stored as a second branch off the first turn. */
  f->want_turns = 3;
  g_assert_true (wait_for (store_has_turns, f, 20000));
  g_assert_cmpint (f->conversation_id, ==, conversation_id);
  g_assert_cmpint (stored_turn (f, 2)->parent_turn_id, ==, first_id);
  g_assert_cmpstr (stored_turn (f, 2)->previous_response_id, ==, stored_turn (f, 0)->response_id);
}

static const char *import_response_id;

static gboolean
restored_import (Fixture *f)
{
  EaselSessionTurn *turn = head (f);

  return turn != NULL &&
         g_strcmp0 (easel_session_turn_get_response_id (turn), import_response_id) == 0 &&
         easel_session_turn_get_texture (turn) != NULL;
}

static void
test_import_exported_png (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GFile) png = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *second_id = NULL;

  send_two_turns (f);
  second_id = g_strdup (stored_turn (f, 1)->response_id);

  path = g_build_filename (f->dir, "exported.png", NULL);
  png = g_file_new_for_path (path);
  g_assert_true (easel_store_export (f->store, stored_turn (f, 1)->generation_id, png,
                                     EASEL_EXPORT_PNG, -1, &error));
  g_assert_no_error (error);

  /* A fresh window, and the PNG dropped on it. */
  gtk_window_destroy (GTK_WINDOW (f->window));
  easel_test_spin_ms (20);
  f->window = new_window (f);
  import_response_id = second_id;
  easel_window_import_file (f->window, png);
  g_assert_true (wait_for (restored_import, f, 20000));
  g_assert_cmpstr (easel_session_turn_get_prompt (head (f)), ==, "now add a fountain in the centre");

  /* …and the conversation goes on from the imported turn. */
  easel_fake_server_clear_requests (f->server);
  send_prompt (f, "and some ducks");
  g_assert_true (wait_for (head_settled, f, 20000));
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
  g_assert_cmpstr (previous_id_of (request_body (f, 0, &node)), ==, second_id);
}

static gboolean
two_requests_and_settled (Fixture *f)
{
  return easel_fake_server_get_n_requests (f->server) >= 2 && head_settled (f);
}

static gboolean
body_has_input_image (JsonObject *body)
{
  JsonNode *input = json_object_get_member (body, "input");
  g_autofree char *text = NULL;

  g_assert_nonnull (input);
  text = json_to_string (input, FALSE);
  return strstr (text, "\"input_image\"") != NULL;
}

static void
test_forgotten_response (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(JsonNode) first_node = NULL;
  g_autoptr(JsonNode) second_node = NULL;
  g_autofree char *first_id = NULL;
  EaselSessionTurn *first;
  JsonObject *body;
  const char *status;

  send_prompt (f, "a city park at dawn");
  g_assert_true (wait_for (head_settled, f, 20000));
  first = head (f);
  first_id = g_strdup (easel_session_turn_get_response_id (first));
  g_assert_nonnull (first_id);

  easel_fake_server_clear_requests (f->server);
  easel_fake_server_queue_reply (f->server, "/v1/responses",
                                 easel_fake_reply_new_error (400, "invalid_request_error",
                                                             "previous_response_not_found",
                                                             "Previous response with id 'resp_gone' not found."));
  send_prompt (f, "now add a fountain in the centre");
  g_assert_true (wait_for (two_requests_and_settled, f, 30000));

  /* The first try continued the conversation; the resend did not, and sent
   * the image instead. */
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 2);
  body = request_body (f, 0, &first_node);
  g_assert_cmpstr (previous_id_of (body), ==, first_id);
  g_assert_false (body_has_input_image (body));
  body = request_body (f, 1, &second_node);
  g_assert_null (previous_id_of (body));
  g_assert_true (body_has_input_image (body));

  /* The resent turn succeeded, hangs off the first one, and says why. */
  g_assert_cmpint (easel_session_turn_get_state (head (f)), ==, EASEL_TURN_DONE);
  g_assert_true (easel_session_turn_get_parent (head (f)) == first);
  g_assert_cmpuint (g_list_model_get_n_items (easel_session_get_all_turns (session (f))), ==, 3);
  status = easel_session_turn_get_status (head (f));
  g_assert_nonnull (status);
  g_assert_nonnull (strstr (status, "forgot"));
}

static GtkWidget *
find_button (GtkWidget  *widget,
             const char *label)
{
  if (GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_button (child, label);

      if (found)
        return found;
    }
  return NULL;
}

static EaselStore *
window_store (Fixture *f)
{
  g_autoptr(EaselLibrary) library = NULL;

  g_object_get (f->window, "library", &library, NULL);
  return library ? easel_library_get_store (library) : NULL;
}

static gboolean
window_has_store (Fixture *f)
{
  return window_store (f) != NULL;
}

static gboolean
library_settled (Fixture *f)
{
  return easel_library_get_state (f->library) != EASEL_LIBRARY_STATE_LOADING;
}

static gboolean
restored_has_input (Fixture *f)
{
  EaselSessionTurn *turn = head (f);

  return turn != NULL && g_list_model_get_n_items (easel_session_turn_get_inputs (turn)) > 0;
}

static void
test_corrupt_library_at_start (Fixture       *f,
                               gconstpointer  data)
{
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "easel", NULL);
  g_autofree char *db = g_build_filename (dir, "library.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselStore) broken = NULL;
  g_autoptr(EaselStore) store = NULL;
  g_autoptr(GPtrArray) conversations = NULL;
  GtkWidget *button;

  /* Not a database: opening it fails and must leave it alone. */
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (db, "this is not an sqlite file, it is a poem about SQLite", -1, NULL));
  broken = easel_store_open (NULL, &error);
  g_assert_null (broken);
  g_assert_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_CORRUPT);

  /* The window follows a library that could not be opened. */
  gtk_window_destroy (GTK_WINDOW (f->window));
  g_clear_object (&f->library);
  f->library = easel_library_new (NULL);
  easel_library_load (f->library);
  f->window = g_object_new (EASEL_TYPE_WINDOW, "client", f->client, "library", f->library, NULL);
  gtk_window_present (GTK_WINDOW (f->window));
  g_assert_true (wait_for (library_settled, f, 20000));
  g_assert_error (easel_library_get_error (f->library), EASEL_STORE_ERROR, EASEL_STORE_ERROR_CORRUPT);

  button = find_button (easel_window_get_gallery (f->window), "Back Up and Start New Library");
  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_visible (button));
  g_signal_emit_by_name (button, "clicked");
  g_assert_true (wait_for (window_has_store, f, 20000));

  /* The new library records what the studio does next. */
  store = g_object_ref (window_store (f));
  send_prompt (f, "a fresh start");
  g_assert_true (wait_for (head_settled, f, 20000));
  g_clear_object (&f->store);
  f->store = g_object_ref (store);
  f->want_turns = 1;
  g_assert_true (wait_for (store_has_turns, f, 20000));
  g_assert_cmpstr (stored_turn (f, 0)->user_text, ==, "a fresh start");
}

/* Retry on a restored turn: the request is rebuilt from the library and
 * sent again exactly as the first time (same body, input image included,
 * previous_response_id from the restored parent). */

typedef struct
{
  const char *name;
  gboolean cancel;            /* cancelled rather than failed */
} RetryCase;

static const RetryCase retry_cases[] = {
  { "failed", FALSE },
  { "cancelled", TRUE },
};

/* The newest conversation has two turns and two generation rows (the
 * second one failed or cancelled). */
static gboolean
store_has_failed_second (Fixture *f)
{
  g_autoptr(GPtrArray) conversations = easel_store_list_conversations (f->store, NULL);
  g_autoptr(GPtrArray) turns = NULL;
  g_autoptr(GPtrArray) generations = NULL;
  EaselConversation *conversation;

  if (conversations == NULL || conversations->len == 0)
    return FALSE;
  conversation = g_ptr_array_index (conversations, 0);
  turns = easel_store_list_turns (f->store, conversation->id, NULL);
  generations = easel_store_list_conversation_generations (f->store, conversation->id, NULL);
  if (turns == NULL || turns->len != 2 || generations == NULL || generations->len != 2)
    return FALSE;
  f->conversation_id = conversation->id;
  g_clear_pointer (&f->turns, g_ptr_array_unref);
  f->turns = g_steal_pointer (&turns);
  return TRUE;
}

static gboolean
two_requests_seen (Fixture *f)
{
  return easel_fake_server_get_n_requests (f->server) >= 2;
}

static gboolean
one_thumbnail (Fixture *f)
{
  return g_list_model_get_n_items (easel_composer_get_thumbnails (easel_window_get_composer (f->window))) == 1;
}

static gint64 restored_turn_id;

static gboolean
restored_second (Fixture *f)
{
  EaselSessionTurn *turn = head (f);

  return turn != NULL && easel_session_turn_get_parent (turn) != NULL &&
         f->turns != NULL && easel_session_turn_is_finished (turn) &&
         g_strcmp0 (easel_session_turn_get_prompt (turn), stored_turn (f, 1)->user_text) == 0;
}

static GBytes *
small_png (void)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 24, 16);
  g_autoptr(GError) error = NULL;
  char *buffer = NULL;
  gsize len = 0;

  gdk_pixbuf_fill (pixbuf, 0x3366ccff);
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &len, "png", &error, NULL));
  return g_bytes_new_take (buffer, len);
}

static GtkWidget *
find_visible_button (GtkWidget  *widget,
                     const char *label)
{
  if (GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0 &&
      gtk_widget_is_visible (widget) && gtk_widget_is_sensitive (widget))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_visible_button (child, label);

      if (found)
        return found;
    }
  return NULL;
}

static gboolean
retry_button_shown (Fixture *f)
{
  return find_visible_button (GTK_WIDGET (f->window), "_Retry") != NULL;
}

static gboolean
retried_and_settled (Fixture *f)
{
  return easel_fake_server_get_n_requests (f->server) >= 1 && head_settled (f);
}

static void
test_retry_restored (Fixture       *f,
                     gconstpointer  data)
{
  const RetryCase *c = data;
  g_autoptr(GBytes) png = small_png ();
  g_autoptr(JsonNode) first_node = NULL;
  g_autoptr(JsonNode) retry_node = NULL;
  g_autofree char *first_body = NULL;
  g_autofree char *retry_body = NULL;
  g_autofree char *first_response_id = NULL;
  EaselSessionTurn *restored;
  EaselSessionTurn *retried;

  send_prompt (f, "a city park at dawn");
  g_assert_true (wait_for (head_settled, f, 20000));
  first_response_id = g_strdup (easel_session_turn_get_response_id (head (f)));
  g_assert_nonnull (first_response_id);

  /* The second turn attaches an image, and fails or is cancelled. */
  easel_composer_add_image_bytes (easel_window_get_composer (f->window), png, "ducks.png", "image/png");
  g_assert_true (wait_for (one_thumbnail, f, 10000));
  if (!c->cancel)
    easel_fake_server_queue_reply (f->server, "/v1/responses",
                                   easel_fake_reply_new_error (400, "invalid_request_error", "invalid_value",
                                                               "Invalid value for 'size'."));
  send_prompt (f, "add some ducks from this picture");
  if (c->cancel)
    {
      g_assert_true (wait_for (two_requests_seen, f, 20000));
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.cancel", NULL));
    }
  g_assert_true (wait_for (head_settled, f, 20000));
  g_assert_cmpint (easel_session_turn_get_state (head (f)), ==, c->cancel ? EASEL_TURN_CANCELLED : EASEL_TURN_FAILED);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 2);
  first_body = json_to_string (first_node = easel_fake_request_parse_json (easel_fake_server_get_request (f->server, 1)), FALSE);
  g_assert_nonnull (strstr (first_body, "\"input_image\""));
  g_assert_true (wait_for (store_has_failed_second, f, 20000));

  /* A fresh window on the same library, as after a restart. */
  gtk_window_destroy (GTK_WINDOW (f->window));
  easel_test_spin_ms (20);
  f->window = new_window (f);
  restored_turn_id = stored_turn (f, 1)->id;
  easel_window_continue_conversation (f->window, f->conversation_id, restored_turn_id);
  g_assert_true (wait_for (restored_second, f, 20000));

  restored = head (f);
  g_assert_cmpint (easel_session_turn_get_state (restored), ==, c->cancel ? EASEL_TURN_CANCELLED : EASEL_TURN_FAILED);
  g_assert_nonnull (easel_session_turn_get_request (restored));
  /* Input thumbnails are decoded off the main loop after the restore. */
  g_assert_true (wait_for (restored_has_input, f, 20000));
  g_assert_cmpuint (g_list_model_get_n_items (easel_session_turn_get_inputs (restored)), ==, 1);
  g_assert_cmpstr (easel_session_turn_get_response_id (easel_session_turn_get_parent (restored)), ==, first_response_id);
  if (!c->cancel)
    {
      /* The failure reads as it did, with its Retry button. */
      g_assert_nonnull (easel_session_turn_get_error (restored));
      g_assert_nonnull (strstr (easel_session_turn_get_error_message (restored), "Invalid value for 'size'"));
      g_assert_cmpstr (easel_api_error_get_error_code (easel_session_turn_get_error (restored)), ==, "invalid_value");
      g_assert_true (wait_for (retry_button_shown, f, 10000));
    }

  easel_fake_server_clear_requests (f->server);
  if (!c->cancel)
    g_signal_emit_by_name (find_visible_button (GTK_WIDGET (f->window), "_Retry"), "clicked");
  else
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.retry-turn", "s",
                                               easel_session_turn_get_id (restored)));
  g_assert_true (wait_for (retried_and_settled, f, 20000));

  /* One request, byte for byte the body the first try sent. */
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->server), ==, 1);
  retry_node = easel_fake_request_parse_json (easel_fake_server_get_request (f->server, 0));
  g_assert_nonnull (retry_node);
  retry_body = json_to_string (retry_node, FALSE);
  g_assert_cmpstr (retry_body, ==, first_body);
  g_assert_cmpstr (previous_id_of (json_node_get_object (retry_node)), ==, first_response_id);

  /* The retry is a new sibling of the restored turn, and it worked. */
  retried = head (f);
  g_assert_true (retried != restored);
  g_assert_true (easel_session_turn_get_parent (retried) == easel_session_turn_get_parent (restored));
  g_assert_cmpint (easel_session_turn_get_state (retried), ==, EASEL_TURN_DONE);
}

/* The library opens in a worker at start: the window maps with a loading
 * page, then the gallery (or the corrupt-library page) replaces it, and a
 * turn sent meanwhile is written once the library is there. */

typedef struct
{
  const char *name;
  gboolean corrupt;
} OpenCase;

static const OpenCase open_cases[] = {
  { "good", FALSE },
  { "corrupt", TRUE },
};

static gboolean
gallery_page_shown (Fixture *f)
{
  return find_visible_button (easel_window_get_gallery (f->window) ?
                              easel_window_get_gallery (f->window) : GTK_WIDGET (f->window),
                              "Back Up and Start New Library") != NULL;
}

static void
test_store_opens_async (Fixture       *f,
                        gconstpointer  data)
{
  const OpenCase *c = data;
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "easel", NULL);
  g_autofree char *db = g_build_filename (dir, "library.db", NULL);
  g_autoptr(EaselApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselStore) store = NULL;
  g_autofree char *id = NULL;
  GtkWidget *loading;

  /* A library from an earlier case would be reused: start from nothing. */
  easel_test_rm_rf (dir);
  if (c->corrupt)
    {
      g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
      g_assert_true (g_file_set_contents (db, "not a database at all", -1, NULL));
    }

  gtk_window_destroy (GTK_WINDOW (f->window));
  g_setenv ("OPENAI_BASE_URL", easel_fake_server_get_base_url (f->server), TRUE);
  g_setenv ("OPENAI_API_KEY", "sk-test-gui", TRUE);
  app = easel_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  /* One id per case: an application object stays exported on the bus
   * until it is finalized. */
  id = g_strdup_printf ("%s.Test.%s", g_application_get_application_id (G_APPLICATION (app)), c->name);
  g_application_set_application_id (G_APPLICATION (app), id);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);

  f->window = easel_window_new (app);
  gtk_window_present (GTK_WINDOW (f->window));

  /* Nothing has been opened on the main loop yet: the window is up with a
   * loading page, not an error. */
  g_assert_cmpint (easel_library_get_state (easel_application_get_library (app)), ==, EASEL_LIBRARY_STATE_LOADING);
  g_assert_null (easel_library_get_error (easel_application_get_library (app)));
  g_assert_true (window_has_store (f) == FALSE);
  g_assert_null (easel_window_get_gallery (f->window));
  loading = adw_bin_get_child (f->window->gallery_bin);
  g_assert_true (ADW_IS_STATUS_PAGE (loading));
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (loading)), ==, "Opening the Library…");

  /* Sent before the library is open. */
  send_prompt (f, "sent while the library opens");

  if (c->corrupt)
    {
      g_assert_true (wait_for (gallery_page_shown, f, 20000));
      g_assert_error (easel_library_get_error (easel_application_get_library (app)),
                      EASEL_STORE_ERROR, EASEL_STORE_ERROR_CORRUPT);
      g_assert_true (wait_for (head_settled, f, 20000));
      g_signal_emit_by_name (find_visible_button (easel_window_get_gallery (f->window),
                                                  "Back Up and Start New Library"), "clicked");
    }
  g_assert_true (wait_for (window_has_store, f, 20000));
  g_assert_cmpint (easel_library_get_state (easel_application_get_library (app)), ==, EASEL_LIBRARY_STATE_READY);
  store = g_object_ref (window_store (f));
  g_assert_true (easel_library_get_store (easel_application_get_library (app)) == store);
  g_assert_true (g_str_has_prefix (easel_store_get_dir (store), dir));
  g_assert_nonnull (easel_window_get_gallery (f->window));
  g_assert_false (ADW_IS_STATUS_PAGE (adw_bin_get_child (f->window->gallery_bin)));

  /* The early turn reached the library. */
  g_assert_true (wait_for (head_settled, f, 20000));
  g_clear_object (&f->store);
  f->store = g_object_ref (store);
  f->want_turns = 1;
  g_assert_true (wait_for (store_has_turns, f, 20000));
  g_assert_cmpstr (stored_turn (f, 0)->user_text, ==, "sent while the library opens");

  gtk_window_destroy (GTK_WINDOW (f->window));
  f->window = NULL;
  g_unsetenv ("OPENAI_BASE_URL");
  g_unsetenv ("OPENAI_API_KEY");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  if (!gtk_init_check ())
    {
      g_printerr ("No display: the library UI tests need Xvfb; skipping\n");
      return 77;
    }
  adw_init ();

  g_test_add ("/gui/library/two-turns-stored", Fixture, NULL,
              fixture_setup, test_two_turns_stored, fixture_teardown);
  g_test_add ("/gui/library/offscreen-thumbnails", Fixture, NULL,
              fixture_setup, test_offscreen_thumbnails, fixture_teardown);
  g_test_add ("/gui/library/continue-in-new-window", Fixture, NULL,
              fixture_setup, test_continue_in_new_window, fixture_teardown);
  g_test_add ("/gui/library/import-exported-png", Fixture, NULL,
              fixture_setup, test_import_exported_png, fixture_teardown);
  g_test_add ("/gui/library/forgotten-response", Fixture, NULL,
              fixture_setup, test_forgotten_response, fixture_teardown);
  g_test_add ("/gui/library/corrupt-library-at-start", Fixture, NULL,
              fixture_setup, test_corrupt_library_at_start, fixture_teardown);

  for (guint i = 0; i < G_N_ELEMENTS (retry_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/gui/library/retry-restored/%s", retry_cases[i].name);
      g_test_add (path, Fixture, &retry_cases[i], fixture_setup, test_retry_restored, fixture_teardown);
    }
  for (guint i = 0; i < G_N_ELEMENTS (open_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/gui/library/store-opens-async/%s", open_cases[i].name);
      g_test_add (path, Fixture, &open_cases[i], fixture_setup, test_store_opens_async, fixture_teardown);
    }

  return g_test_run ();
}
