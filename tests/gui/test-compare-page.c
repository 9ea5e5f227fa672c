/* test-compare-page.c: the studio's Compare page against the fake OpenAI
 * server under Xvfb: a 2 × 2 grid with its estimates, live partials, each
 * cell's cost, the set in the library and the gallery, the contact sheet,
 * and a cell continued in the studio
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-compare-page"

#include "config.h"

#include <string.h>
#include <adwaita.h>

#include "easel-compare-cell.h"
#include "easel-compare-page.h"
#include "easel-gallery.h"
#include "easel-gallery-private.h"
#include "easel-gallery-model.h"
#include "easel-params.h"
#include "easel-window.h"
#include "easel-window-private.h"
#include "fake-server.h"
#include "gui-test-util.h"
#include "gui-test-widgets.h"

typedef struct
{
  EaselTestBackend  b;       /* server, client, library */
  EaselWindow      *window;
  EaselComparePage *page;
  GAsyncResult     *result;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  /* Slow enough that partials are on screen before the final images. */
  easel_test_backend_open (&f->b, "compare-page", 120, 64);

  f->window = g_object_new (EASEL_TYPE_WINDOW, "client", f->b.client, "library", f->b.library, NULL);
  gtk_window_present (GTK_WINDOW (f->window));
  f->page = EASEL_COMPARE_PAGE (easel_window_get_compare_page (f->window));
  g_assert_nonnull (f->page);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  easel_test_spin_ms (20);
  g_clear_object (&f->result);
  easel_test_backend_close (&f->b);
}

static GtkWidget *
page_child (Fixture    *f,
            const char *id)
{
  GObject *child = gtk_widget_get_template_child (GTK_WIDGET (f->page), EASEL_TYPE_COMPARE_PAGE, id);

  g_assert_nonnull (child);
  return GTK_WIDGET (child);
}

static EaselCompareCell *
cell_widget (Fixture *f,
             guint    index)
{
  GtkFlowBoxChild *child = gtk_flow_box_get_child_at_index (GTK_FLOW_BOX (page_child (f, "grid_box")), (int) index);

  g_assert_nonnull (child);
  return EASEL_COMPARE_CELL (gtk_flow_box_child_get_child (child));
}

static const char *
cell_detail (Fixture *f,
             guint    index)
{
  GObject *label = gtk_widget_get_template_child (GTK_WIDGET (cell_widget (f, index)), EASEL_TYPE_COMPARE_CELL,
                                                  "detail_label");

  return gtk_label_get_text (GTK_LABEL (label));
}

static const char *
total_text (Fixture *f)
{
  return gtk_label_get_text (GTK_LABEL (page_child (f, "total_label")));
}

/* A cell still running shows a partial image. */
static gboolean
partial_on_screen (Fixture *f)
{
  EaselComparison *cmp = easel_compare_page_get_comparison (f->page);

  for (guint i = 0; i < easel_comparison_get_n_cells (cmp); i++)
    {
      EaselComparisonCell *cell = easel_comparison_get_cell (cmp, i);

      if (easel_comparison_cell_get_state (cell) == EASEL_COMPARISON_CELL_RUNNING &&
          easel_comparison_cell_get_n_partials (cell) > 0 &&
          easel_compare_cell_has_picture (cell_widget (f, i)) &&
          strstr (cell_detail (f, i), "partial") != NULL)
        return TRUE;
    }
  return FALSE;
}

static gboolean
finished (Fixture *f)
{
  EaselComparison *cmp = easel_compare_page_get_comparison (f->page);

  return !easel_comparison_get_running (cmp) &&
         easel_comparison_get_n_finished (cmp) == easel_comparison_get_n_cells (cmp);
}

static guint want_items;

static gboolean
gallery_has_items (Fixture *f)
{
  GtkWidget *gallery = easel_window_get_gallery (f->window);

  return gallery != NULL && EASEL_IS_GALLERY (gallery) &&
         g_list_model_get_n_items (G_LIST_MODEL (_easel_gallery_get_model (EASEL_GALLERY (gallery)))) == want_items;
}

/* An image from before, not part of any comparison. */
static void
add_other_image (Fixture *f)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 8, 8);
  g_autoptr(EaselGeneration) g = easel_generation_new ();
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  char *buffer = NULL;
  gsize len = 0;

  gdk_pixbuf_fill (pixbuf, 0x336699ff);
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &len, "png", &error, NULL));
  bytes = g_bytes_new_take (buffer, len);
  g->model = g_strdup ("gpt-image-1.5");
  g->prompt = g_strdup ("an older picture");
  g_assert_cmpint (easel_store_insert_generation (f->b.store, g, bytes, &error), >, 0);
  g_assert_no_error (error);
}

static gboolean
composer_has_input (Fixture *f)
{
  return g_list_model_get_n_items (easel_composer_get_thumbnails (f->window->composer)) == 1;
}

static gboolean
has_result (Fixture *f)
{
  return f->result != NULL;
}

static void
exported_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Fixture *f = user_data;

  f->result = g_object_ref (result);
}

static void
test_grid_2x2 (Fixture       *f,
               gconstpointer  data)
{
  const char *models[] = { "gpt-image-1.5", "gpt-image-1-mini", NULL };
  const char *qualities[] = { "low", "high", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autofree char *sheet_path = g_build_filename (f->b.dir, "sheet.png", NULL);
  g_autoptr(GFile) sheet = g_file_new_for_path (sheet_path);
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autofree char *total_est = NULL;
  EaselComparison *cmp;
  gboolean known;

  add_other_image (f);
  adw_view_stack_set_visible_child_name (f->window->view_stack, "compare");
  /* No prompt: no grid, and nothing to send. */
  easel_compare_page_set_prompt (f->page, "");
  g_assert_null (easel_compare_page_get_comparison (f->page));
  gtk_widget_activate_action (GTK_WIDGET (f->page), "compare.send", NULL);
  easel_test_spin_ms (100);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->b.server), ==, 0);

  easel_compare_page_set_prompt (f->page, "a red fox in the snow");
  easel_compare_page_select (f->page, models, qualities);
  cmp = easel_compare_page_get_comparison (f->page);
  g_assert_nonnull (cmp);
  g_assert_cmpuint (easel_comparison_get_n_cells (cmp), ==, 4);

  /* Before sending: every cell's estimate and the total. */
  total_est = easel_cost_format_usd (easel_comparison_get_estimate_usd (cmp, &known));
  g_assert_nonnull (strstr (total_text (f), "4 cells"));
  g_assert_nonnull (strstr (total_text (f), total_est));
  for (guint i = 0; i < 4; i++)
    {
      EaselComparisonCell *cell = easel_comparison_get_cell (cmp, i);
      g_autofree char *est = easel_cost_format_usd (easel_comparison_cell_get_estimate (cell)->usd);

      g_assert_true (easel_compare_cell_get_cell (cell_widget (f, i)) == cell);
      g_assert_true (g_str_has_prefix (cell_detail (f, i), "Estimate"));
      g_assert_nonnull (strstr (cell_detail (f, i), est));
    }
  /* Titles say the model and quality as the pickers do. */
  {
    GObject *title = gtk_widget_get_template_child (GTK_WIDGET (cell_widget (f, 0)), EASEL_TYPE_COMPARE_CELL,
                                                    "title_label");
    const char *text = gtk_label_get_text (GTK_LABEL (title));

    g_assert_true (g_str_has_prefix (text, "GPT Image"));
    g_assert_true (g_str_has_suffix (text, "· Low") || g_str_has_suffix (text, "· High") ||
                   g_str_has_suffix (text, "· Medium"));
  }
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->b.server), ==, 0);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "compare.send", NULL));
  g_assert_true (easel_comparison_get_running (cmp));
  /* The choices are frozen while it runs. */
  g_assert_false (gtk_editable_get_editable (GTK_EDITABLE (page_child (f, "prompt_entry"))));
  g_assert_false (gtk_widget_get_sensitive (page_child (f, "models_box")));

  g_assert_true (wait_for (partial_on_screen, f, 20000));
  g_assert_true (wait_for (finished, f, 30000));
  easel_library_flush (f->b.library);
  easel_test_spin_ms (50);

  /* Bounded: three at a time by default. */
  g_assert_cmpuint (easel_comparison_get_max_concurrent (cmp), ==, 3);
  g_assert_cmpuint (easel_fake_server_count_requests (f->b.server, "POST", "/v1/images/generations"), ==, 4);
  for (guint i = 0; i < 4; i++)
    {
      EaselComparisonCell *cell = easel_comparison_get_cell (cmp, i);
      g_autofree char *cost = easel_cost_format_usd (easel_comparison_cell_get_actual_usd (cell));

      g_assert_cmpint (easel_comparison_cell_get_state (cell), ==, EASEL_COMPARISON_CELL_DONE);
      g_assert_true (easel_compare_cell_has_picture (cell_widget (f, i)));
      /* Cost, tokens and time when done. */
      g_assert_true (g_str_has_prefix (cell_detail (f, i), cost));
      g_assert_nonnull (strstr (cell_detail (f, i), "tokens"));
      g_assert_true (g_str_has_suffix (cell_detail (f, i), " s"));
      g_assert_cmpint (easel_comparison_cell_get_generation_id (cell), >, 0);
    }
  g_assert_nonnull (strstr (total_text (f), "4 of 4 cells done"));
  g_assert_true (gtk_editable_get_editable (GTK_EDITABLE (page_child (f, "prompt_entry"))));

  /* One comparison set in the library; the images are in the gallery. */
  rows = easel_store_list_comparison (f->b.store, easel_comparison_get_id (cmp), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 4);
  {
    GtkWidget *gallery = easel_window_get_gallery (f->window);
    GObject *chip = gtk_widget_get_template_child (gallery, EASEL_TYPE_GALLERY, "comparison_button");

    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "compare.show-in-gallery", NULL));
    g_assert_cmpstr (adw_view_stack_get_visible_child_name (f->window->view_stack), ==, "gallery");
    g_assert_cmpint (easel_gallery_model_get_comparison_id (_easel_gallery_get_model (EASEL_GALLERY (gallery))), ==,
                     easel_comparison_get_id (cmp));
    g_assert_true (gtk_widget_get_visible (GTK_WIDGET (chip)));
    want_items = 4;
    g_assert_true (wait_for (gallery_has_items, f, 10000));
    /* The chip shows every image again, the older one too. */
    g_signal_emit_by_name (chip, "clicked");
    g_assert_false (gtk_widget_get_visible (GTK_WIDGET (chip)));
    want_items = 5;
    g_assert_true (wait_for (gallery_has_items, f, 10000));
  }
  adw_view_stack_set_visible_child_name (f->window->view_stack, "compare");

  /* The contact sheet, as Export writes it after its file dialog. */
  easel_compare_page_export_sheet_async (f->page, sheet, NULL, exported_cb, f);
  g_assert_true (wait_for (has_result, f, 20000));
  g_assert_true (easel_compare_page_export_sheet_finish (f->page, f->result, &error));
  g_assert_no_error (error);
  pixbuf = gdk_pixbuf_new_from_file (sheet_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_pixbuf_get_width (pixbuf), ==, 2 * 24 + 2 * 384 + 16);
  g_assert_cmpint (gdk_pixbuf_get_height (pixbuf), ==, 2 * 24 + 44 + 2 * (384 + 52) + 16);

  /* Clicking a cell continues from it in the studio: its image as input,
   * its model and its prompt. */
  g_signal_emit_by_name (page_child (f, "grid_box"), "child-activated",
                         gtk_flow_box_get_child_at_index (GTK_FLOW_BOX (page_child (f, "grid_box")), 3));
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (f->window->view_stack), ==, "studio");
  g_assert_true (wait_for (composer_has_input, f, 10000));
  g_assert_cmpstr (easel_params_get_image_model (f->window->params), ==, "gpt-image-1-mini");

  /* Back on the page, the grid that ran is still there, and the image now
   * attached in the studio is offered as the input of the next one. */
  {
    gint64 first = easel_comparison_get_id (cmp);

    adw_view_stack_set_visible_child_name (f->window->view_stack, "compare");
    g_assert_true (easel_compare_page_get_comparison (f->page) == cmp);
    g_assert_true (gtk_widget_get_visible (page_child (f, "inputs_check")));

    /* Compare again: a new set (edits of that image); the first one stays. */
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "compare.send", NULL));
    g_assert_true (easel_compare_page_get_comparison (f->page) != cmp);
    g_assert_true (wait_for (finished, f, 30000));
    easel_library_flush (f->b.library);
    g_assert_cmpint (easel_comparison_get_id (easel_compare_page_get_comparison (f->page)), >, first);
    g_assert_cmpuint (easel_fake_server_count_requests (f->b.server, "POST", "/v1/images/edits"), ==, 4);
    g_assert_cmpuint (easel_fake_server_count_requests (f->b.server, "POST", "/v1/images/generations"), ==, 4);
    g_clear_pointer (&rows, g_ptr_array_unref);
    rows = easel_store_list_comparison (f->b.store, first, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (rows->len, ==, 4);
  }
}

static AdwMessageDialog *
find_dialog (void)
{
  return (AdwMessageDialog *) easel_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
}

static gboolean
dialog_shown (Fixture *f)
{
  return find_dialog () != NULL;
}

static gboolean
dialog_gone (Fixture *f)
{
  return find_dialog () == NULL;
}

static gboolean
all_sent (Fixture *f)
{
  return easel_fake_server_count_requests (f->b.server, "POST", "/v1/images/generations") == 4 && finished (f);
}

/* The spending limits apply to the whole grid, before anything is sent. */
static void
test_budget (Fixture       *f,
             gconstpointer  data)
{
  const char *models[] = { "gpt-image-1.5", "gpt-image-1-mini", NULL };
  const char *qualities[] = { "low", "high", NULL };
  g_autoptr(GSettings) settings = g_settings_new (SETTINGS_SCHEMA_ID);
  AdwMessageDialog *dialog;

  /* A window whose settings say $0.05 a day; each cell alone is cheaper
   * than the grid (≈ $0.19). */
  gtk_window_destroy (GTK_WINDOW (f->window));
  g_settings_set_double (settings, "budget-daily-usd", 0.05);
  f->window = g_object_new (EASEL_TYPE_WINDOW, "client", f->b.client, "library", f->b.library,
                            "settings", settings, NULL);
  gtk_window_present (GTK_WINDOW (f->window));
  f->page = EASEL_COMPARE_PAGE (easel_window_get_compare_page (f->window));
  adw_view_stack_set_visible_child_name (f->window->view_stack, "compare");

  easel_compare_page_set_prompt (f->page, "a red fox in the snow");
  easel_compare_page_select (f->page, models, qualities);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "compare.send", NULL));
  g_assert_true (wait_for (dialog_shown, f, 10000));
  dialog = find_dialog ();
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "daily limit"));
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->b.server), ==, 0);

  /* A click answers, then closes the dialog. */
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_true (wait_for (dialog_gone, f, 10000));
  easel_test_spin_ms (100);
  g_assert_cmpuint (easel_fake_server_get_n_requests (f->b.server), ==, 0);
  g_assert_false (easel_comparison_get_running (easel_compare_page_get_comparison (f->page)));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "compare.send", NULL));
  g_assert_true (wait_for (dialog_shown, f, 10000));
  dialog = find_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Over Budget");
  adw_message_dialog_response (dialog, "send");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_true (wait_for (all_sent, f, 30000));
  g_settings_reset (settings, "budget-daily-usd");
}

static gboolean
attached (Fixture *f)
{
  return easel_composer_get_attachments (f->window->composer)->len == 1;
}

/* With images attached in the studio, the grid can compare edits of them. */
static void
test_edit_inputs (Fixture       *f,
                  gconstpointer  data)
{
  const char *models[] = { "gpt-image-1.5", NULL };
  const char *qualities[] = { "low", "medium", NULL };
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 32, 32);
  g_autofree char *path = g_build_filename (f->b.dir, "input.png", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  GtkWidget *check = page_child (f, "inputs_check");
  EaselComparison *cmp;

  gdk_pixbuf_fill (pixbuf, 0x884422ff);
  g_assert_true (gdk_pixbuf_save (pixbuf, path, "png", &error, NULL));
  g_assert_no_error (error);

  /* Nothing attached: a plain generation grid, no choice offered. */
  adw_view_stack_set_visible_child_name (f->window->view_stack, "compare");
  g_assert_false (gtk_widget_get_visible (check));

  adw_view_stack_set_visible_child_name (f->window->view_stack, "studio");
  easel_composer_add_file (f->window->composer, file);
  g_assert_true (wait_for (attached, f, 10000));
  adw_view_stack_set_visible_child_name (f->window->view_stack, "compare");
  g_assert_true (gtk_widget_get_visible (check));
  g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (check)));

  easel_compare_page_set_prompt (f->page, "the same, in winter");
  easel_compare_page_select (f->page, models, qualities);
  cmp = easel_compare_page_get_comparison (f->page);
  g_assert_cmpint (easel_comparison_get_base (cmp)->api, ==, EASEL_API_IMAGES_EDIT);
  g_assert_cmpuint (easel_comparison_get_base (cmp)->images->len, ==, 1);

  /* Unchecked: generations again. */
  gtk_check_button_set_active (GTK_CHECK_BUTTON (check), FALSE);
  g_assert_cmpint (easel_comparison_get_base (easel_compare_page_get_comparison (f->page))->api, ==,
                   EASEL_API_IMAGES_GENERATE);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (check), TRUE);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "compare.send", NULL));
  g_assert_true (wait_for (finished, f, 30000));
  g_assert_cmpuint (easel_fake_server_count_requests (f->b.server, "POST", "/v1/images/edits"), ==, 2);
  g_assert_cmpuint (easel_fake_server_count_requests (f->b.server, "POST", "/v1/images/generations"), ==, 0);
  cmp = easel_compare_page_get_comparison (f->page);
  for (guint i = 0; i < 2; i++)
    g_assert_cmpint (easel_comparison_cell_get_state (easel_comparison_get_cell (cmp, i)), ==,
                     EASEL_COMPARISON_CELL_DONE);
}

static gboolean
batch_sent (Fixture *f)
{
  return easel_fake_server_count_requests (f->b.server, "POST", "/v1/batches") == 1 &&
         f->window->batches != NULL &&
         g_list_model_get_n_items (G_LIST_MODEL (f->window->batches)) == 1;
}

/* "Half price, within 24 h": the grid goes out as one Batch API job (its
 * JSONL one line per cell), at the batch estimate, and the Batches place
 * follows it; no image request is sent directly. */
static void
test_half_price_batch (Fixture       *f,
                       gconstpointer  data)
{
  const char *models[] = { "gpt-image-1.5", "gpt-image-1-mini", NULL };
  const char *qualities[] = { "low", "high", NULL };
  GtkSwitch *batch_switch = GTK_SWITCH (page_child (f, "batch_switch"));
  const EaselFakeRequest *upload = NULL;
  g_autofree char *half = NULL;
  gsize len = 0;
  const char *body;
  guint lines = 0;
  EaselComparison *cmp;

  adw_view_stack_set_visible_child_name (f->window->view_stack, "compare");
  g_assert_true (gtk_widget_get_visible (page_child (f, "batch_box")));
  easel_compare_page_set_prompt (f->page, "a red fox in the snow");
  easel_compare_page_select (f->page, models, qualities);
  cmp = easel_compare_page_get_comparison (f->page);
  gtk_switch_set_active (batch_switch, TRUE);
  half = easel_cost_format_usd (easel_comparison_get_estimate_usd (cmp, NULL) * 0.5);
  g_assert_nonnull (strstr (total_text (f), "as a batch job"));
  g_assert_nonnull (strstr (total_text (f), half));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "compare.send", NULL));
  g_assert_true (wait_for (batch_sent, f, 20000));
  g_assert_cmpuint (easel_fake_server_count_requests (f->b.server, "POST", "/v1/images/generations"), ==, 0);
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (f->window->view_stack), ==, "batches");

  for (guint i = 0; i < easel_fake_server_get_n_requests (f->b.server); i++)
    {
      const EaselFakeRequest *req = easel_fake_server_get_request (f->b.server, i);

      if (g_strcmp0 (req->path, "/v1/files") == 0)
        upload = req;
    }
  g_assert_nonnull (upload);
  body = g_bytes_get_data (upload->body, &len);
  for (gsize i = 0; i + 9 < len; i++)
    if (memcmp (body + i, "custom_id", 9) == 0)
      lines++;
  g_assert_cmpuint (lines, ==, 4);
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

  g_test_add ("/compare-page/grid-2x2", Fixture, NULL, fixture_setup, test_grid_2x2, fixture_teardown);
  g_test_add ("/compare-page/edit-inputs", Fixture, NULL, fixture_setup, test_edit_inputs, fixture_teardown);
  g_test_add ("/compare-page/budget", Fixture, NULL, fixture_setup, test_budget, fixture_teardown);

  g_test_add ("/compare-page/half-price-batch", Fixture, NULL, fixture_setup, test_half_price_batch, fixture_teardown);
  return g_test_run ();
}
