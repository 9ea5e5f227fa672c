/* test-library.c: EaselLibrary, the one owner of the store, without widgets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-library"

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "easel-core.h"
#include "easel-library.h"

typedef struct
{
  char *dir;
  EaselStore *store;
  EaselLibrary *library;
} Fixture;

static void
rm_rf (const char *path)
{
  g_autoptr(GDir) d = g_dir_open (path, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        rm_rf (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static GBytes *
make_png (guint seed)
{
  g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 8, 8);
  g_autoptr(GError) error = NULL;
  char *buf = NULL;
  gsize len;

  gdk_pixbuf_fill (pb, (seed * 0x01234567u) | 0xff);
  g_assert_true (gdk_pixbuf_save_to_buffer (pb, &buf, &len, "png", &error, NULL));
  return g_bytes_new_take (buf, len);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("easel-library-XXXXXX", &error);
  g_assert_no_error (error);
  f->store = easel_store_open (f->dir, &error);
  g_assert_no_error (error);
  f->library = easel_library_new_for_store (f->store);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  easel_library_flush (f->library);
  g_clear_object (&f->library);
  g_clear_object (&f->store);
  rm_rf (f->dir);
  g_free (f->dir);
}

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static void
store_result_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static EaselRequest *
make_request (const char *prompt,
              int         n)
{
  EaselRequest *request = easel_request_new (EASEL_API_IMAGES_GENERATE);

  request->model = g_strdup ("gpt-image-1");
  request->prompt = g_strdup (prompt);
  request->size = g_strdup ("1024x1024");
  request->quality = g_strdup ("medium");
  request->n = n;
  return request;
}

static EaselResult *
make_result (guint n_images)
{
  EaselResult *result = easel_result_new (EASEL_API_IMAGES_GENERATE);

  for (guint i = 0; i < n_images; i++)
    {
      EaselImage *image = easel_image_new ();

      image->bytes = make_png (i + 1);
      image->output_format = g_strdup ("png");
      image->revised_prompt = g_strdup_printf ("revised %u", i);
      g_ptr_array_add (result->images, image);
    }
  result->usage.present = TRUE;
  result->usage.input_tokens = 50;
  result->usage.input_text_tokens = 50;
  result->usage.output_tokens = 1056 * n_images;
  result->usage.output_image_tokens = 1056 * n_images;
  result->usage.total_tokens = 50 + 1056 * n_images;
  return result;
}

/* Adds a conversation with one turn and records @outcome for it. */
static GPtrArray *
record_turn (Fixture                *f,
             EaselLibraryLink       *conversation,
             EaselLibraryLink       *turn,
             const EaselTurnOutcome *outcome)
{
  g_autoptr(GAsyncResult) added = NULL;
  g_autoptr(GAsyncResult) finished = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *rows;

  easel_library_add_turn_async (f->library, conversation, turn, NULL,
                                outcome->request->prompt, NULL, store_result_cb, &added);
  easel_library_finish_turn_async (f->library, conversation, turn, NULL, outcome,
                                   store_result_cb, &finished);
  g_assert_cmpint (easel_library_add_turn_finish (f->library, wait_result (&added), &error), >, 0);
  g_assert_no_error (error);
  rows = easel_library_finish_turn_finish (f->library, wait_result (&finished), &error);
  g_assert_no_error (error);
  g_assert_nonnull (rows);
  return rows;
}

static void
test_usage_and_cost (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(EaselRequest) request = make_request ("a red fox", 1);
  g_autoptr(EaselResult) result = make_result (1);
  g_autoptr(EaselLibraryLink) conversation = easel_library_link_new (0);
  g_autoptr(EaselLibraryLink) turn = easel_library_link_new (0);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(EaselSpend) spend = NULL;
  g_autoptr(GError) error = NULL;
  EaselTurnOutcome outcome = { 0, };
  EaselGeneration *row;
  double expected;

  outcome.request = request;
  outcome.result = result;
  outcome.estimated_usd = -1;
  outcome.response_id = "resp_1";
  rows = record_turn (f, conversation, turn, &outcome);

  g_assert_cmpuint (rows->len, ==, 1);
  row = g_ptr_array_index (rows, 0);
  g_assert_cmpint (row->status, ==, EASEL_GENERATION_OK);
  g_assert_nonnull (row->path);
  g_assert_cmpint (row->input_tokens, ==, 50);
  g_assert_cmpint (row->output_tokens, ==, 1056);
  expected = easel_cost_usd_for_usage ("gpt-image-1", "medium", "1024x1024", &result->usage, 1);
  g_assert_cmpfloat (expected, >, 0);
  g_assert_cmpfloat_with_epsilon (row->actual_usd, expected, 1e-9);
  g_assert_cmpstr (row->revised_prompt, ==, "revised 0");
  g_assert_cmpint (row->conversation_id, ==, easel_library_link_get_id (conversation));
  g_assert_cmpint (row->turn_id, ==, easel_library_link_get_id (turn));
  g_assert_cmpint (easel_library_link_get_generation_id (turn), ==, row->id);

  /* The ledger counts it as an actual, not an estimated, cost. */
  spend = easel_store_get_spend (f->store, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (spend->total.n_ok, ==, 1);
  g_assert_cmpuint (spend->total.n_estimated, ==, 0);
  g_assert_cmpfloat_with_epsilon (spend->total.usd, expected, 1e-9);
  g_assert_cmpint (spend->total.output_tokens, ==, 1056);
}

static void
test_n3_three_rows (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(EaselRequest) request = make_request ("three cats", 3);
  g_autoptr(EaselResult) result = make_result (3);
  g_autoptr(EaselLibraryLink) conversation = easel_library_link_new (0);
  g_autoptr(EaselLibraryLink) turn = easel_library_link_new (0);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) turns = NULL;
  g_autoptr(GError) error = NULL;
  EaselTurnOutcome outcome = { 0, };
  gint64 tokens = 0;

  outcome.request = request;
  outcome.result = result;
  outcome.estimated_usd = -1;
  outcome.picked = 1;
  rows = record_turn (f, conversation, turn, &outcome);

  g_assert_cmpuint (rows->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      EaselGeneration *row = g_ptr_array_index (rows, i);

      g_assert_cmpint (row->status, ==, EASEL_GENERATION_OK);
      g_assert_nonnull (row->path);
      g_assert_cmpint (row->picked, ==, i == 1);
      tokens += row->output_tokens;
    }
  /* The usage is split over the images, not counted three times. */
  g_assert_cmpint (tokens, ==, 3 * 1056);

  /* The turn shows the picked image. */
  g_assert_cmpint (easel_library_link_get_generation_id (turn), ==,
                   ((EaselGeneration *) g_ptr_array_index (rows, 1))->id);
  turns = easel_store_list_turns (f->store, easel_library_link_get_id (conversation), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (turns->len, ==, 1);
  g_assert_cmpint (((EaselTurn *) g_ptr_array_index (turns, 0))->generation_id, ==,
                   ((EaselGeneration *) g_ptr_array_index (rows, 1))->id);

  /* Picking the third one afterwards moves the mark and the turn's image. */
  {
    g_autoptr(GAsyncResult) picked = NULL;
    g_autoptr(GPtrArray) after = NULL;
    g_autoptr(GPtrArray) turns2 = NULL;
    gint64 third = ((EaselGeneration *) g_ptr_array_index (rows, 2))->id;

    easel_library_pick_async (f->library, conversation, turn, 2, store_result_cb, &picked);
    g_assert_cmpint (easel_library_pick_finish (f->library, wait_result (&picked), &error), ==, third);
    g_assert_no_error (error);
    g_assert_cmpint (easel_library_link_get_generation_id (turn), ==, third);
    after = easel_store_list_conversation_generations (f->store, easel_library_link_get_id (conversation), &error);
    g_assert_no_error (error);
    g_assert_cmpuint (after->len, ==, 3);
    for (guint i = 0; i < 3; i++)
      g_assert_cmpint (((EaselGeneration *) g_ptr_array_index (after, i))->picked, ==, i == 2);
    turns2 = easel_store_list_turns (f->store, easel_library_link_get_id (conversation), &error);
    g_assert_no_error (error);
    g_assert_cmpint (((EaselTurn *) g_ptr_array_index (turns2, 0))->generation_id, ==, third);
  }
}

static void
test_interrupted_keeps_partial (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(EaselRequest) request = make_request ("a lighthouse", 1);
  g_autoptr(EaselLibraryLink) conversation = easel_library_link_new (0);
  g_autoptr(EaselLibraryLink) turn = easel_library_link_new (0);
  g_autoptr(GBytes) partial = make_png (42);
  g_autoptr(GError) broke = easel_api_error_new_literal (EASEL_API_ERROR_TRUNCATED, "The stream ended early");
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GBytes) on_disk = NULL;
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselStoreQuery) query = easel_store_query_new ();
  g_autoptr(GPtrArray) gallery = NULL;
  g_autoptr(EaselGeneration) cached = NULL;
  g_autofree char *key = NULL;
  EaselTurnOutcome outcome = { 0, };
  EaselGeneration *row;

  outcome.request = request;
  outcome.error = broke;
  outcome.partial = partial;
  outcome.partial_format = "png";
  outcome.estimated_usd = -1;
  rows = record_turn (f, conversation, turn, &outcome);

  g_assert_cmpuint (rows->len, ==, 1);
  row = g_ptr_array_index (rows, 0);
  g_assert_cmpint (row->status, ==, EASEL_GENERATION_INCOMPLETE);
  g_assert_nonnull (row->path);
  /* The server may have billed it: no actual cost, but an estimate. */
  g_assert_cmpfloat (row->actual_usd, <, 0);
  g_assert_cmpfloat (row->estimated_usd, >, 0);
  mapped = g_mapped_file_new (row->path, FALSE, &error);
  g_assert_no_error (error);
  on_disk = g_mapped_file_get_bytes (mapped);
  g_assert_true (g_bytes_equal (on_disk, partial));
  g_assert_cmpint (easel_library_link_get_generation_id (turn), ==, row->id);

  /* The gallery shows it; an identical request is never answered by it. */
  gallery = easel_store_query (f->store, query, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gallery->len, ==, 1);
  key = easel_request_cache_key (request, NULL);
  cached = easel_store_lookup_cached (f->store, key, &error);
  g_assert_no_error (error);
  g_assert_null (cached);
}

static void
test_failure_records_no_image (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(EaselRequest) request = make_request ("a boat", 1);
  g_autoptr(EaselLibraryLink) conversation = easel_library_link_new (0);
  g_autoptr(EaselLibraryLink) turn = easel_library_link_new (0);
  g_autoptr(GError) failed = easel_api_error_new_literal (EASEL_API_ERROR_SERVER, "The server had an error");
  g_autoptr(GError) cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
  g_autoptr(GBytes) partial = make_png (7);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) rows2 = NULL;
  g_autoptr(GPtrArray) gallery = NULL;
  g_autoptr(EaselStoreQuery) query = easel_store_query_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselLibraryLink) turn2 = easel_library_link_new (0);
  EaselTurnOutcome outcome = { 0, };
  EaselGeneration *row;

  outcome.request = request;
  outcome.error = failed;
  outcome.estimated_usd = -1;
  rows = record_turn (f, conversation, turn, &outcome);
  g_assert_cmpuint (rows->len, ==, 1);
  row = g_ptr_array_index (rows, 0);
  g_assert_cmpint (row->status, ==, EASEL_GENERATION_FAILED);
  g_assert_null (row->path);
  g_assert_null (row->sha256);
  g_assert_nonnull (row->error_message);
  g_assert_cmpint (easel_library_link_get_generation_id (turn), ==, 0);

  /* Cancelled, even after a partial: a cancelled row, no image. */
  outcome.error = cancelled;
  outcome.partial = partial;
  rows2 = record_turn (f, conversation, turn2, &outcome);
  g_assert_cmpuint (rows2->len, ==, 1);
  row = g_ptr_array_index (rows2, 0);
  g_assert_cmpint (row->status, ==, EASEL_GENERATION_CANCELLED);
  g_assert_null (row->path);
  g_assert_cmpint (easel_library_link_get_generation_id (turn2), ==, 0);

  gallery = easel_store_query (f->store, query, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gallery->len, ==, 0);
}

static void
test_no_image_is_not_ok (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(EaselRequest) request = make_request ("just text", 1);
  g_autoptr(EaselResult) result = make_result (0);
  g_autoptr(EaselLibraryLink) conversation = easel_library_link_new (0);
  g_autoptr(EaselLibraryLink) turn = easel_library_link_new (0);
  g_autoptr(GPtrArray) rows = NULL;
  EaselTurnOutcome outcome = { 0, };
  EaselGeneration *row;

  result->usage.output_tokens = 12;
  outcome.request = request;
  outcome.result = result;
  outcome.estimated_usd = -1;
  rows = record_turn (f, conversation, turn, &outcome);
  g_assert_cmpuint (rows->len, ==, 1);
  row = g_ptr_array_index (rows, 0);
  g_assert_null (row->path);
  g_assert_cmpint (row->status, !=, EASEL_GENERATION_OK);
  g_assert_cmpint (easel_library_link_get_generation_id (turn), ==, 0);
}

static void
test_turn_tree_and_load (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(EaselRequest) request = make_request ("first", 1);
  g_autoptr(EaselResult) result = make_result (1);
  g_autoptr(EaselLibraryLink) conversation = easel_library_link_new (0);
  g_autoptr(EaselLibraryLink) t1 = easel_library_link_new (0);
  g_autoptr(EaselLibraryLink) t2 = easel_library_link_new (0);
  g_autoptr(GAsyncResult) loaded_result = NULL;
  g_autoptr(EaselStoredConversation) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) failed = easel_api_error_new_literal (EASEL_API_ERROR_SERVER, "boom");
  EaselTurnOutcome outcome = { 0, };
  EaselStoredTurnInfo *info;
  EaselTurn *second;

  /* Queued back to back, before any id is known: order does the rest. */
  easel_library_add_turn_async (f->library, conversation, t1, NULL, "first", NULL, NULL, NULL);
  outcome.request = request;
  outcome.result = result;
  outcome.estimated_usd = -1;
  outcome.response_id = "resp_a";
  easel_library_finish_turn_async (f->library, conversation, t1, NULL, &outcome, NULL, NULL);
  easel_library_add_turn_async (f->library, conversation, t2, t1, "second", "resp_a", NULL, NULL);
  outcome.result = NULL;
  outcome.error = failed;
  outcome.response_id = NULL;
  easel_library_finish_turn_async (f->library, conversation, t2, t1, &outcome, NULL, NULL);

  easel_library_load_conversation_async (f->library, 0, 0, NULL, store_result_cb, &loaded_result);
  loaded = easel_library_load_conversation_finish (f->library, wait_result (&loaded_result), &error);
  g_assert_no_error (error);
  g_assert_cmpint (loaded->conversation->id, ==, easel_library_link_get_id (conversation));
  g_assert_cmpstr (loaded->conversation->title, ==, "first");
  g_assert_cmpuint (loaded->turns->len, ==, 2);
  second = g_ptr_array_index (loaded->turns, 1);
  g_assert_cmpint (second->parent_turn_id, ==, easel_library_link_get_id (t1));
  g_assert_cmpstr (second->previous_response_id, ==, "resp_a");
  g_assert_cmpint (loaded->target_turn_id, ==, easel_library_link_get_id (t2));

  info = g_ptr_array_index (loaded->infos, 0);
  g_assert_nonnull (info->generation);
  g_assert_cmpint (info->status, ==, EASEL_GENERATION_OK);
  g_assert_nonnull (info->request);
  info = g_ptr_array_index (loaded->infos, 1);
  g_assert_null (info->generation);
  g_assert_cmpint (info->status, ==, EASEL_GENERATION_FAILED);
  g_assert_nonnull (info->error);
  g_assert_nonnull (strstr (info->error->message, "boom"));
  /* The edit continued from the first image. */
  {
    g_autoptr(GPtrArray) all = easel_store_list_conversation_generations (f->store, loaded->conversation->id, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (all->len, ==, 2);
    g_assert_cmpint (((EaselGeneration *) g_ptr_array_index (all, 1))->parent_generation_id, ==,
                     ((EaselGeneration *) g_ptr_array_index (all, 0))->id);
  }
}

static void
state_cb (GObject    *object,
          GParamSpec *pspec,
          gpointer    user_data)
{
  (*(guint *) user_data)++;
}

static void
test_state_and_reset (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("easel-library-XXXXXX", &error);
  g_autofree char *db = g_build_filename (dir, "library.db", NULL);
  g_autoptr(EaselLibrary) library = NULL;
  g_autoptr(GAsyncResult) reset = NULL;
  g_autofree char *backup = NULL;
  guint notified = 0;

  g_assert_no_error (error);
  /* Not a database: the library says so and touches nothing. */
  g_assert_true (g_file_set_contents (db, "this is not sqlite, not at all, really not", -1, NULL));

  library = easel_library_new (dir);
  g_signal_connect (library, "notify::state", G_CALLBACK (state_cb), &notified);
  g_assert_cmpint (easel_library_get_state (library), ==, EASEL_LIBRARY_STATE_LOADING);
  easel_library_load (library);
  while (easel_library_get_state (library) == EASEL_LIBRARY_STATE_LOADING)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (easel_library_get_state (library), ==, EASEL_LIBRARY_STATE_ERROR);
  g_assert_null (easel_library_get_store (library));
  g_assert_error (easel_library_get_error (library), EASEL_STORE_ERROR, EASEL_STORE_ERROR_CORRUPT);
  g_assert_cmpuint (notified, ==, 1);

  easel_library_reset_async (library, NULL, store_result_cb, &reset);
  g_assert_true (easel_library_reset_finish (library, wait_result (&reset), &backup, &error));
  g_assert_no_error (error);
  g_assert_cmpint (easel_library_get_state (library), ==, EASEL_LIBRARY_STATE_READY);
  g_assert_nonnull (easel_library_get_store (library));
  g_assert_null (easel_library_get_error (library));
  g_assert_nonnull (backup);
  g_assert_true (g_file_test (backup, G_FILE_TEST_EXISTS));

  easel_library_flush (library);
  g_clear_object (&library);
  {
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name (d)))
      {
        g_autofree char *child = g_build_filename (dir, name, NULL);
        if (g_file_test (child, G_FILE_TEST_IS_DIR))
          rm_rf (child);
        else
          g_unlink (child);
      }
    g_rmdir (dir);
  }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/library/usage-and-cost", test_usage_and_cost);
  ADD ("/library/n3-three-rows", test_n3_three_rows);
  ADD ("/library/interrupted-keeps-partial", test_interrupted_keeps_partial);
  ADD ("/library/failure-records-no-image", test_failure_records_no_image);
  ADD ("/library/no-image-is-not-ok", test_no_image_is_not_ok);
  ADD ("/library/turn-tree-and-load", test_turn_tree_and_load);
#undef ADD
  g_test_add_func ("/library/state-and-reset", test_state_and_reset);

  return g_test_run ();
}
