/* test-studio-library.c: what the studio records in the library, and which
 * image a masked edit applies to, against the fake OpenAI server under Xvfb
 *
 * The window hands finished turns to the EaselLibrary; these cases read
 * the library back (and run the `easel` CLI over it) to check that what
 * the user paid for is there, attributed to the right turn and image.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-studio-library"

#include "config.h"

#include <adwaita.h>

#include "easel-application.h"
#include "easel-gallery.h"
#include "easel-gallery-private.h"
#include "easel-gallery-details.h"
#include "easel-params.h"
#include "easel-params-popover.h"
#include "easel-session.h"
#include "easel-turn-row.h"
#include "easel-window.h"
#include "easel-window-private.h"
#include "fake-server.h"
#include "gui-test-util.h"

typedef struct
{
  EaselFakeServer *server;
  EaselClient *client;
  char *dir;
  EaselStore *store;
  EaselLibrary *library;
  EaselWindow *window;
  EaselCanvas *canvas;
  EaselComposer *composer;
  guint want_rows;
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

static GPtrArray *
all_rows (Fixture *f)
{
  g_autoptr(EaselStoreQuery) query = easel_store_query_new ();
  g_autoptr(GError) error = NULL;
  GPtrArray *rows;

  query->include_failed = TRUE;
  query->sort = EASEL_STORE_SORT_OLDEST;
  rows = easel_store_query (f->store, query, NULL, &error);
  g_assert_no_error (error);
  return rows;
}

static gboolean
has_rows (Fixture *f)
{
  g_autoptr(GPtrArray) rows = all_rows (f);

  return rows->len >= f->want_rows;
}

static void
wait_rows (Fixture *f,
           guint    n)
{
  f->want_rows = n;
  g_assert_true (wait_for (has_rows, f, 20000));
  /* Let the turn's own row update land too. */
  easel_library_flush (f->library);
}

static void
send_prompt (Fixture    *f,
             const char *prompt)
{
  easel_composer_set_text (f->composer, prompt);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.send", NULL));
}

static void
send_and_settle (Fixture    *f,
                 const char *prompt)
{
  send_prompt (f, prompt);
  g_assert_true (wait_for (head_settled, f, 20000));
}

static GtkWidget *
child_of (gpointer    widget,
          GType       template_type,
          const char *id)
{
  GObject *child = gtk_widget_get_template_child (GTK_WIDGET (widget), template_type, id);

  g_assert_nonnull (child);
  return GTK_WIDGET (child);
}

static void
set_images_mode (Fixture  *f,
                 gboolean  images)
{
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (child_of (f->composer, EASEL_TYPE_COMPOSER, "images_toggle")),
                                images);
}

static GtkWidget *
params_child (Fixture    *f,
              const char *id)
{
  return child_of (child_of (f->composer, EASEL_TYPE_COMPOSER, "params_popover"),
                   EASEL_TYPE_PARAMS_POPOVER, id);
}

/* ---- Fixture ---- */

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->server = easel_fake_server_new (&error);
  g_assert_no_error (error);
  easel_fake_server_set_event_delay_ms (f->server, 5);
  easel_fake_server_set_image_size (f->server, 64, 64);
  f->client = easel_client_new (easel_fake_server_get_base_url (f->server), "sk-test-studio-library");

  f->dir = g_dir_make_tmp ("easel-studio-library-XXXXXX", &error);
  g_assert_no_error (error);
  f->store = easel_store_open (f->dir, &error);
  g_assert_no_error (error);
  f->library = easel_library_new_for_store (f->store);

  f->window = g_object_new (EASEL_TYPE_WINDOW, "client", f->client, "library", f->library, NULL);
  gtk_window_present (GTK_WINDOW (f->window));
  f->canvas = easel_window_get_canvas (f->window);
  f->composer = easel_window_get_composer (f->window);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  easel_test_spin_ms (20);
  easel_library_flush (f->library);
  g_clear_object (&f->library);
  g_clear_object (&f->store);
  g_clear_object (&f->client);
  g_clear_pointer (&f->server, easel_fake_server_free);
  easel_test_rm_rf (f->dir);
  g_free (f->dir);
}

/* ---- 1. Usage and cost of a studio generation ---- */

static gboolean
gallery_shows_item (Fixture *f)
{
  GtkWidget *gallery = easel_window_get_gallery (f->window);

  return gallery != NULL &&
         g_list_model_get_n_items (G_LIST_MODEL (_easel_gallery_get_model (EASEL_GALLERY (gallery)))) > 0;
}

static char *
run_cli (Fixture     *f,
         const char  *first,
         ...)
{
  const char *cli = g_getenv ("EASEL_CLI");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_auto(GStrv) envp = g_get_environ ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) cli);
  va_start (ap, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  envp = g_environ_setenv (envp, "EASEL_LIBRARY_DIR", f->dir, TRUE);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, envp, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("easel %s failed: %s", first, err);
  return g_steal_pointer (&out);
}

static void
test_usage_recorded (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *spend_json = NULL;
  EaselGalleryDetails *details;
  EaselSessionTurn *turn;
  EaselGeneration *row;
  JsonObject *total;
  GtkWidget *gallery;
  const char *subtitle;

  send_and_settle (f, "a lighthouse at dusk");
  turn = head (f);
  g_assert_cmpint (easel_session_turn_get_tokens (turn), >, 0);
  g_assert_cmpfloat (easel_session_turn_get_cost (turn), >, 0);

  wait_rows (f, 1);
  rows = all_rows (f);
  g_assert_cmpuint (rows->len, ==, 1);
  row = g_ptr_array_index (rows, 0);
  g_assert_cmpint (row->status, ==, EASEL_GENERATION_OK);
  g_assert_nonnull (row->path);
  /* What the server reported, not zeros. */
  g_assert_cmpint (row->input_tokens, >, 0);
  g_assert_cmpint (row->output_tokens, >, 0);
  g_assert_nonnull (row->usage_json);
  g_assert_cmpfloat (row->actual_usd, >, 0);
  /* The turn's row in the library points at it. */
  g_assert_cmpint (row->turn_id, ==, easel_library_link_get_id (easel_session_turn_get_library_link (turn)));
  g_assert_cmpstr (row->response_id, ==, easel_session_turn_get_response_id (turn));

  /* The gallery shows its tokens and its cost. */
  g_assert_true (wait_for (gallery_shows_item, f, 20000));
  gallery = easel_window_get_gallery (f->window);
  details = _easel_gallery_get_details (EASEL_GALLERY (gallery));
  gtk_selection_model_select_item (_easel_gallery_get_selection (EASEL_GALLERY (gallery)), 0, TRUE);
  easel_test_spin_ms (50);
  subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (child_of (details, EASEL_TYPE_GALLERY_DETAILS, "tokens_row")));
  g_test_message ("tokens row: %s", subtitle);
  g_assert_nonnull (subtitle);
  g_assert_nonnull (strstr (subtitle, "in"));
  g_assert_null (strstr (subtitle, "0 in · 0 out"));
  subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (child_of (details, EASEL_TYPE_GALLERY_DETAILS, "cost_row")));
  g_test_message ("cost row: %s", subtitle);
  g_assert_nonnull (subtitle);
  g_assert_null (strstr (subtitle, "unknown"));

  /* `easel library spend` counts it, at its actual cost. */
  if (g_getenv ("EASEL_CLI") == NULL)
    {
      g_test_message ("EASEL_CLI not set: the CLI half is skipped");
      return;
    }
  spend_json = run_cli (f, "library", "spend", "--json", NULL);
  g_assert_true (json_parser_load_from_data (parser, spend_json, -1, &error));
  g_assert_no_error (error);
  total = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "total");
  g_assert_nonnull (total);
  g_assert_cmpint (json_object_get_int_member (total, "ok"), ==, 1);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (total, "usd"), row->actual_usd, 1e-4);
  g_assert_cmpint (json_object_get_int_member (total, "estimated_only"), ==, 0);
}

/* ---- 2. Every image of an n=3 answer, the picked one marked ---- */

static gboolean
head_has_three_candidates (Fixture *f)
{
  return head (f) != NULL && head_settled (f) &&
         g_list_model_get_n_items (easel_session_turn_get_candidates (head (f))) == 3;
}

static gboolean
third_is_picked (Fixture *f)
{
  g_autoptr(GPtrArray) rows = all_rows (f);

  return rows->len == 3 && ((EaselGeneration *) g_ptr_array_index (rows, 2))->picked &&
         !((EaselGeneration *) g_ptr_array_index (rows, 0))->picked;
}

static void
test_n3_all_recorded (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) turns = NULL;
  g_autoptr(GError) error = NULL;
  EaselSessionTurn *turn;
  gint64 tokens = 0;

  set_images_mode (f, TRUE);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (params_child (f, "n_spin")), 3);
  send_prompt (f, "three takes on a teapot");
  g_assert_true (wait_for (head_has_three_candidates, f, 20000));
  turn = head (f);

  wait_rows (f, 3);
  rows = all_rows (f);
  g_assert_cmpuint (rows->len, ==, 3);
  for (guint i = 0; i < rows->len; i++)
    {
      EaselGeneration *row = g_ptr_array_index (rows, i);

      g_assert_cmpint (row->status, ==, EASEL_GENERATION_OK);
      g_assert_nonnull (row->path);
      g_assert_cmpint (row->picked, ==, i == 0);
      tokens += row->output_tokens;
    }
  g_assert_cmpint (tokens, >, 0);
  /* Three different images, not one stored three times. */
  g_assert_cmpstr (((EaselGeneration *) g_ptr_array_index (rows, 0))->sha256, !=,
                   ((EaselGeneration *) g_ptr_array_index (rows, 1))->sha256);

  /* Picking the third in the strip moves the mark, and the turn's row
   * shows it from now on. */
  easel_session_turn_pick_candidate (turn, 2);
  g_assert_true (wait_for (third_is_picked, f, 20000));
  easel_library_flush (f->library);
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = all_rows (f);
  turns = easel_store_list_turns (f->store, ((EaselGeneration *) g_ptr_array_index (rows, 2))->conversation_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (turns->len, ==, 1);
  g_assert_cmpint (((EaselTurn *) g_ptr_array_index (turns, 0))->generation_id, ==,
                   ((EaselGeneration *) g_ptr_array_index (rows, 2))->id);
}

/* ---- 3. A stream cut after a partial keeps that partial ---- */

static char *
png_base64 (guint32 rgba,
            int     width,
            int     height)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  g_autofree char *buffer = NULL;
  gsize len = 0;

  gdk_pixbuf_fill (pixbuf, rgba);
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &len, "png", NULL, NULL));
  return g_base64_encode ((const guchar *) buffer, len);
}

static void
test_interrupted_keeps_partial (Fixture       *f,
                                gconstpointer  data)
{
  g_autofree char *partial = png_base64 (0x3080c0ff, 32, 32);
  g_autofree char *partial_event = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GBytes) on_disk = NULL;
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guchar *expected = NULL;
  gsize expected_len = 0;
  EaselFakeReply *reply;
  EaselGeneration *row;
  GString *sse = g_string_new (NULL);

  partial_event = g_strdup_printf ("{\"type\":\"response.image_generation_call.partial_image\",\"sequence_number\":2,"
                                   "\"output_index\":0,\"item_id\":\"ig_cut\",\"partial_image_index\":0,"
                                   "\"partial_image_b64\":\"%s\"}", partial);
  g_string_append (sse, "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,"
                        "\"response\":{\"id\":\"resp_cut\",\"object\":\"response\",\"status\":\"in_progress\","
                        "\"output\":[]}}\n\n");
  g_string_append (sse, "event: response.output_item.added\ndata: {\"type\":\"response.output_item.added\","
                        "\"sequence_number\":1,\"output_index\":0,\"item\":{\"id\":\"ig_cut\","
                        "\"type\":\"image_generation_call\",\"status\":\"in_progress\",\"result\":null}}\n\n");
  g_string_append_printf (sse, "event: response.image_generation_call.partial_image\ndata: %s\n\n", partial_event);
  body = g_string_free_to_bytes (sse);
  reply = easel_fake_reply_new_sse (body);
  easel_fake_reply_set_event_delay (reply, 20);
  easel_fake_reply_set_abort (reply, g_bytes_get_size (body));
  easel_fake_server_queue_reply (f->server, "/v1/responses", reply);

  send_and_settle (f, "a stream that breaks");
  g_assert_cmpint (easel_session_turn_get_state (head (f)), ==, EASEL_TURN_INCOMPLETE);

  wait_rows (f, 1);
  rows = all_rows (f);
  g_assert_cmpuint (rows->len, ==, 1);
  row = g_ptr_array_index (rows, 0);
  /* Never "ok", never an empty tile: the partial the user saw. */
  g_assert_cmpint (row->status, ==, EASEL_GENERATION_INCOMPLETE);
  g_assert_nonnull (row->path);
  /* The server may have billed it: its cost is unknown, or the estimate. */
  g_assert_cmpfloat (row->actual_usd, <, 0);
  g_test_message ("incomplete row: estimated $%.3f", row->estimated_usd);
  g_assert_cmpstr (row->response_id, ==, "resp_cut");
  mapped = g_mapped_file_new (row->path, FALSE, &error);
  g_assert_no_error (error);
  on_disk = g_mapped_file_get_bytes (mapped);
  expected = g_base64_decode (partial, &expected_len);
  g_assert_cmpmem (g_bytes_get_data (on_disk, NULL), g_bytes_get_size (on_disk), expected, expected_len);
}

/* ---- 4. A masked edit applies to the image on the canvas ---- */

static gboolean
canvas_has_mask (Fixture *f)
{
  EaselMask *mask = easel_canvas_get_mask (f->canvas);

  return mask != NULL && easel_mask_get_width (mask) == 64;
}

static gboolean
canvas_shows_first (gpointer data)
{
  Fixture *f = data;
  EaselSessionTurn *first = g_object_get_data (G_OBJECT (f->window), "test-first");

  return easel_canvas_get_texture (f->canvas) != NULL &&
         easel_canvas_get_texture (f->canvas) == easel_session_turn_get_texture (first);
}

static void
paint_mask (Fixture *f)
{
  EaselMask *mask;

  g_assert_true (wait_for (canvas_has_mask, f, 5000));
  mask = easel_canvas_get_mask (f->canvas);
  easel_mask_fill_rect (mask, 0, 0, 32, 32, FALSE);
  g_assert_true (easel_canvas_has_mask_selection (f->canvas));
}

static gboolean
target_is_turn_one (Fixture *f)
{
  g_autofree char *target = NULL;

  g_object_get (f->composer, "target", &target, NULL);
  /* A no-break space keeps the number with its sign. */
  return g_strcmp0 (target, "Edit turn 1 · mask 25\u00a0%") == 0;
}

static gboolean
three_turns_settled (Fixture *f)
{
  return g_list_model_get_n_items (easel_session_get_all_turns (session (f))) == 3 && head_settled (f);
}

static void
test_masked_edit_of_older_turn (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(EaselSessionTurn) first = NULL;
  g_autoptr(EaselSessionTurn) second = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  EaselSessionTurn *edit;
  gint64 first_generation;
  const char *previous;

  send_and_settle (f, "a red apple");
  first = g_object_ref (head (f));
  send_and_settle (f, "make it green");
  second = g_object_ref (head (f));
  g_assert_true (easel_session_turn_get_parent (second) == first);
  wait_rows (f, 2);

  /* The user clicks turn 1: its image is on the canvas. */
  g_object_set_data (G_OBJECT (f->window), "test-first", first);
  gtk_single_selection_set_selected (f->window->selection, 0);
  g_assert_true (wait_for (canvas_shows_first, f, 5000));
  g_object_set_data (G_OBJECT (f->window), "test-first", NULL);

  paint_mask (f);
  /* The composer says what Send will do before it is pressed. */
  g_assert_true (wait_for (target_is_turn_one, f, 5000));
  send_prompt (f, "add a leaf");
  /* The mask is encoded in a worker before the request goes. */
  g_assert_true (wait_for (three_turns_settled, f, 20000));
  edit = head (f);
  g_test_message ("edit '%s' parent '%s', mask request: %d", easel_session_turn_get_prompt (edit),
                  easel_session_turn_get_parent (edit) ? easel_session_turn_get_prompt (easel_session_turn_get_parent (edit)) : "(none)",
                  easel_session_turn_get_request (edit) && easel_session_turn_get_request (edit)->mask != NULL);

  /* The edit is built on turn 1, not on the newest turn. */
  g_assert_true (easel_session_turn_get_parent (edit) == first);
  body = easel_fake_request_parse_json (easel_fake_server_get_last_request (f->server));
  previous = json_object_get_string_member_with_default (json_node_get_object (body), "previous_response_id", NULL);
  g_assert_cmpstr (previous, ==, easel_session_turn_get_response_id (first));
  g_assert_cmpstr (previous, !=, easel_session_turn_get_response_id (second));

  /* And the library says so too. */
  wait_rows (f, 3);
  first_generation = easel_library_link_get_generation_id (easel_session_turn_get_library_link (first));
  g_assert_cmpint (first_generation, >, 0);
  rows = all_rows (f);
  g_assert_cmpuint (rows->len, ==, 3);
  g_assert_cmpint (((EaselGeneration *) g_ptr_array_index (rows, 2))->parent_generation_id, ==, first_generation);
  g_assert_nonnull (((EaselGeneration *) g_ptr_array_index (rows, 2))->mask_sha256);
}

/* ---- 5. A new conversation clears the mask, the guard and the target ---- */

static gboolean
two_turns_settled (Fixture *f)
{
  return g_list_model_get_n_items (easel_session_get_all_turns (session (f))) == 2 && head_settled (f);
}

static gboolean
drift_reported (Fixture *f)
{
  return *easel_canvas_get_drift_summary (f->canvas) != '\0';
}

static void
test_new_conversation_clears_mask (Fixture       *f,
                                   gconstpointer  data)
{
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *json = NULL;
  EaselMask *mask;

  /* A masked edit, so the guard has something to report. */
  send_and_settle (f, "a blue door");
  paint_mask (f);
  send_prompt (f, "paint the door red");
  g_assert_true (wait_for (two_turns_settled, f, 20000));
  g_assert_true (wait_for (drift_reported, f, 20000));
  g_test_message ("guard: %s", easel_canvas_get_drift_summary (f->canvas));
  /* The mask went with that edit: the next Send is no masked edit unless
   * the user paints again; undo brings the strokes back. */
  g_assert_false (easel_canvas_has_mask_selection (f->canvas));
  g_assert_true (easel_mask_undo (easel_canvas_get_mask (f->canvas)));
  easel_test_spin_ms (20);
  g_assert_true (easel_canvas_has_mask_selection (f->canvas));

  /* Ctrl+N, as the user types it. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.new-conversation", NULL));
  easel_test_spin_ms (50);
  mask = easel_canvas_get_mask (f->canvas);
  g_assert_true (mask == NULL || easel_mask_is_empty (mask));
  g_assert_false (easel_canvas_has_mask_selection (f->canvas));
  g_assert_cmpstr (easel_canvas_get_drift_summary (f->canvas), ==, "");

  /* The next send is an ordinary generation, not a masked edit of the
   * other conversation's image. */
  send_and_settle (f, "a yellow window");
  g_assert_null (easel_session_turn_get_parent (head (f)));
  g_assert_null (easel_session_turn_get_request (head (f))->mask);
  body = easel_fake_request_parse_json (easel_fake_server_get_last_request (f->server));
  json = json_to_string (body, FALSE);
  g_assert_null (strstr (json, "input_image_mask"));
  g_assert_null (strstr (json, "previous_response_id"));
  /* And the guard reports nothing about it. */
  easel_test_spin_ms (100);
  g_assert_cmpstr (easel_canvas_get_drift_summary (f->canvas), ==, "");
}

/* Continue Conversation and Reuse Parameters switch to a stored
 * conversation: the mask painted in the one before (and its undo history)
 * and its drift report stay behind. */
static void
test_switch_conversation_clears_mask (Fixture       *f,
                                      gconstpointer  data)
{
  g_autoptr(EaselSession) other = easel_session_new ();
  EaselMask *mask;

  send_and_settle (f, "a blue door");
  paint_mask (f);
  send_prompt (f, "paint the door red");
  g_assert_true (wait_for (two_turns_settled, f, 20000));
  g_assert_true (wait_for (drift_reported, f, 20000));
  paint_mask (f);
  g_assert_true (easel_canvas_has_mask_selection (f->canvas));

  _easel_window_set_conversation (f->window, other);
  easel_test_spin_ms (50);
  mask = easel_canvas_get_mask (f->canvas);
  g_assert_nonnull (mask);
  g_assert_true (easel_mask_is_empty (mask));
  g_assert_false (easel_mask_can_undo (mask));
  g_assert_false (easel_canvas_has_mask_selection (f->canvas));
  g_assert_cmpstr (easel_canvas_get_drift_summary (f->canvas), ==, "");
}

/* ---- 6. Continue From Here shows the turn it continues from ---- */

static gboolean
canvas_shows_turn (gpointer data)
{
  Fixture *f = data;
  EaselSessionTurn *turn = g_object_get_data (G_OBJECT (f->window), "test-turn");

  return easel_session_turn_get_texture (turn) != NULL &&
         easel_canvas_get_texture (f->canvas) == easel_session_turn_get_texture (turn);
}

static void
test_continue_from_shows_turn (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(EaselSessionTurn) first = NULL;
  EaselSessionTurn *selected;

  send_and_settle (f, "a castle");
  first = g_object_ref (head (f));
  send_and_settle (f, "at night");
  /* The newest turn is on the canvas. */
  g_assert_true (easel_canvas_get_texture (f->canvas) == easel_session_turn_get_texture (head (f)));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.continue-from", "s",
                                             easel_session_turn_get_id (first)));
  g_assert_true (head (f) == first);
  /* The later turn is hidden: its image is not left on the canvas. */
  easel_session_turn_ensure_texture (first);
  g_object_set_data (G_OBJECT (f->window), "test-turn", first);
  g_assert_true (wait_for (canvas_shows_turn, f, 5000));
  g_object_set_data (G_OBJECT (f->window), "test-turn", NULL);
  selected = gtk_single_selection_get_selected_item (f->window->selection);
  g_assert_true (selected == first);
}

/* ---- 7. Reuse Parameters takes the API, every field and the prompt ---- */

static void
test_reuse_parameters (Fixture       *f,
                       gconstpointer  data)
{
  EaselParams *params = easel_composer_get_params (f->composer);
  g_autoptr(EaselRequest) request = easel_request_new (EASEL_API_IMAGES_GENERATE);
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *json = NULL;
  g_autofree char *text = NULL;
  g_autofree char *quality = NULL;
  g_autofree char *background = NULL;
  g_autofree char *api_mode = NULL;
  g_autofree char *model = NULL;
  GtkWidget *gallery;
  EaselSession *before;

  /* An open conversation with a turn in it... */
  send_and_settle (f, "a lighthouse");
  before = session (f);

  /* The studio is in Responses mode with a background set... */
  g_object_set (params, "api-mode", "responses", "background", "transparent", "quality", "low", NULL);
  g_assert_false (easel_params_is_images_api (params));

  /* ...and the stored item is an Images API request without a background. */
  request->model = g_strdup ("gpt-image-1.5");
  request->prompt = g_strdup ("a kite over the sea");
  request->quality = g_strdup ("high");
  request->size = g_strdup ("1536x1024");
  node = easel_request_params_to_json (request);
  json = json_to_string (node, FALSE);

  gallery = easel_window_get_gallery (f->window);
  g_assert_nonnull (gallery);
  g_signal_emit_by_name (gallery, "reuse-parameters", json);

  g_object_get (params, "api-mode", &api_mode, "quality", &quality, "background", &background,
                "image-model", &model, NULL);
  g_assert_cmpstr (api_mode, ==, "images");
  g_assert_cmpstr (quality, ==, "high");
  g_assert_cmpstr (model, ==, "gpt-image-1.5");
  /* Not kept from before: the stored request did not set it, so it is
   * back to its default. */
  g_assert_cmpstr (background, ==, "auto");
  text = easel_composer_dup_text (f->composer);
  g_assert_cmpstr (text, ==, "a kite over the sea");
  /* …and a fresh conversation for it, not a follow-up to the lighthouse. */
  g_assert_true (session (f) != before);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (session (f))), ==, 0);
}

/* ---- 8. Restore acts on the guarded image; the turn follows it ---- */

static void
restored_flag_cb (EaselCanvas *canvas,
                  GdkTexture  *texture,
                  GBytes      *png,
                  gboolean    *flag)
{
  *flag = TRUE;
}

static gboolean
restored_row_exists (Fixture *f)
{
  g_autoptr(GPtrArray) rows = all_rows (f);

  for (guint i = 0; i < rows->len; i++)
    if (g_strcmp0 (((EaselGeneration *) g_ptr_array_index (rows, i))->action, "restore-protected") == 0)
      return TRUE;
  return FALSE;
}

static gboolean
flag_set (gboolean *flag)
{
  return *flag;
}

static void
test_restore_follows_turn (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GBytes) before = NULL;
  EaselSessionTurn *edit;
  EaselGeneration *restored = NULL;
  gint64 edited_generation;
  gboolean done = FALSE;
  gulong id;

  send_and_settle (f, "a green field");
  paint_mask (f);
  send_prompt (f, "add a red barn");
  g_assert_true (wait_for (two_turns_settled, f, 20000));
  g_assert_true (wait_for (drift_reported, f, 20000));
  edit = head (f);
  wait_rows (f, 2);
  edited_generation = easel_library_link_get_generation_id (easel_session_turn_get_library_link (edit));
  g_assert_cmpint (edited_generation, >, 0);
  before = g_bytes_ref (easel_session_turn_get_image_bytes (edit) ? easel_session_turn_get_image_bytes (edit)
                                                                   : g_bytes_new (NULL, 0));

  id = g_signal_connect (f->canvas, "restored", G_CALLBACK (restored_flag_cb), &done);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->canvas), "canvas.restore-protected", NULL));
  g_assert_true (wait_for (flag_set, &done, 20000));
  g_signal_handler_disconnect (f->canvas, id);

  /* The library keeps the restored image as a new version of the edit. */
  g_assert_true (wait_for (restored_row_exists, f, 20000));
  easel_library_flush (f->library);
  rows = all_rows (f);
  for (guint i = 0; i < rows->len; i++)
    if (g_strcmp0 (((EaselGeneration *) g_ptr_array_index (rows, i))->action, "restore-protected") == 0)
      restored = g_ptr_array_index (rows, i);
  g_assert_nonnull (restored);
  g_assert_cmpint (restored->parent_generation_id, ==, edited_generation);
  g_assert_null (restored->request_hash);

  /* The turn shows the restored pixels: its bytes, and what a later edit
   * of it builds on. */
  easel_test_spin_ms (100);
  g_assert_nonnull (easel_session_turn_get_image_bytes (edit));
  g_assert_false (g_bytes_equal (easel_session_turn_get_image_bytes (edit), before));
  g_assert_cmpint (easel_library_link_get_generation_id (easel_session_turn_get_library_link (edit)), ==,
                   restored->id);

  /* And so does the turn's row: after a restart it shows the restored image. */
  {
    g_autoptr(GPtrArray) turns = NULL;
    g_autoptr(GError) error = NULL;
    gint64 turn_id = easel_library_link_get_id (easel_session_turn_get_library_link (edit));

    g_assert_cmpint (restored->turn_id, ==, turn_id);
    turns = easel_store_list_turns (f->store, restored->conversation_id, &error);
    g_assert_no_error (error);
    for (guint i = 0; i < turns->len; i++)
      if (((EaselTurn *) g_ptr_array_index (turns, i))->id == turn_id)
        g_assert_cmpint (((EaselTurn *) g_ptr_array_index (turns, i))->generation_id, ==, restored->id);
  }
}

/* ---- 9. An Images API edit applies to the image on the canvas ---- */

static gboolean
target_is_edit_turn_one (Fixture *f)
{
  g_autofree char *target = NULL;

  g_object_get (f->composer, "target", &target, NULL);
  return g_strcmp0 (target, "Edit turn 1") == 0;
}

static void
test_images_edit_of_older_turn (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(EaselSessionTurn) first = NULL;
  EaselParams *params = easel_composer_get_params (f->composer);

  set_images_mode (f, TRUE);
  send_and_settle (f, "a violet vase");
  first = g_object_ref (head (f));
  send_and_settle (f, "a teal vase");

  g_object_set_data (G_OBJECT (f->window), "test-turn", first);
  gtk_single_selection_set_selected (f->window->selection, 0);
  g_assert_true (wait_for (canvas_shows_turn, f, 5000));
  g_object_set_data (G_OBJECT (f->window), "test-turn", NULL);

  g_object_set (params, "action", "edit", NULL);
  g_assert_true (wait_for (target_is_edit_turn_one, f, 5000));
  send_prompt (f, "with flowers");
  g_assert_true (wait_for (three_turns_settled, f, 20000));

  g_assert_cmpstr (easel_fake_server_get_last_request (f->server)->path, ==, "/v1/images/edits");
  g_assert_true (easel_session_turn_get_parent (head (f)) == first);
  g_assert_cmpuint (easel_session_turn_get_request (head (f))->images->len, ==, 1);
  g_assert_true (g_bytes_equal (((EaselInputImage *) g_ptr_array_index (easel_session_turn_get_request (head (f))->images, 0))->bytes,
                                easel_session_turn_get_image_bytes (first)));
}

/* ---- Restart: a turn left in progress on the server ---- */

static void
sent_for_recover_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  EaselResult **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = easel_client_send_finish (EASEL_CLIENT (object), result, &error);
  g_assert_no_error (error);
}

static gboolean
no_pending (Fixture *f)
{
  g_autoptr(GPtrArray) pending = easel_store_list_pending_responses (f->store, NULL, 0, NULL);

  return pending != NULL && pending->len == 0;
}

/* The library lists a response as in progress (an earlier run died): the
 * window fetches it by id, records its image and unlists it. */
static void
test_restart_fetches_pending (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(EaselRequest) request = easel_request_new (EASEL_API_RESPONSES);
  g_autoptr(EaselResult) sent = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;
  EaselGeneration *row;

  request->model = g_strdup ("gpt-image-1.5");
  request->prompt = g_strdup ("a lantern left running");
  request->stream = TRUE;
  easel_client_send_async (f->client, request, NULL, NULL, NULL, NULL, sent_for_recover_cb, &sent);
  while (sent == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (easel_store_add_pending_response (f->store, sent->response_id,
                                                   easel_fake_server_get_base_url (f->server),
                                                   request, 0, 0, &error));
  g_assert_no_error (error);

  f->window->recover_pending = TRUE;
  _easel_window_recover_pending (f->window);
  wait_rows (f, 1);
  g_assert_true (wait_for (no_pending, f, 20000));

  rows = all_rows (f);
  g_assert_cmpuint (rows->len, ==, 1);
  row = g_ptr_array_index (rows, 0);
  g_assert_cmpint (row->status, ==, EASEL_GENERATION_OK);
  g_assert_cmpstr (row->prompt, ==, "a lantern left running");
  g_assert_cmpstr (row->response_id, ==, sent->response_id);
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "POST", "/v1/responses"), ==, 1);
  g_assert_cmpuint (easel_fake_server_count_requests (f->server, "GET", "/v1/responses/"), ==, 1);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  if (!gtk_init_check ())
    {
      /* 77: meson counts the test as skipped. */
      g_printerr ("No display: the studio UI tests need Xvfb; skipping\n");
      return 77;
    }
  adw_init ();

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/studio-library/usage-recorded", test_usage_recorded);
  ADD ("/studio-library/restart-fetches-pending", test_restart_fetches_pending);
  ADD ("/studio-library/n3-all-recorded", test_n3_all_recorded);
  ADD ("/studio-library/interrupted-keeps-partial", test_interrupted_keeps_partial);
  ADD ("/studio-library/masked-edit-of-older-turn", test_masked_edit_of_older_turn);
  ADD ("/studio-library/new-conversation-clears-mask", test_new_conversation_clears_mask);
  ADD ("/studio-library/switch-conversation-clears-mask", test_switch_conversation_clears_mask);
  ADD ("/studio-library/continue-from-shows-turn", test_continue_from_shows_turn);
  ADD ("/studio-library/reuse-parameters", test_reuse_parameters);
  ADD ("/studio-library/restore-follows-turn", test_restore_follows_turn);
  ADD ("/studio-library/images-edit-of-older-turn", test_images_edit_of_older_turn);
#undef ADD

  return g_test_run ();
}
