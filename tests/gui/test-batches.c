/* test-batches.c: the studio's Batches place against the fake OpenAI
 * server under Xvfb
 *
 * New Batch… checks every line and submits; the job's row follows the
 * fake server's compressed clock to "completed", its results are fetched
 * into the library, and the gallery shows them filtered by job. Another
 * job is cancelled through its row; a job left running is picked up again
 * by a new window over the same library (a restart).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-batches"

#include "config.h"

#include <adwaita.h>

#include "easel-application.h"
#include "easel-batch-dialog.h"
#include "easel-batch-private.h"
#include "easel-batch-list.h"
#include "easel-batch-row.h"
#include "easel-batches-page.h"
#include "easel-gallery.h"
#include "easel-gallery-private.h"
#include "easel-window.h"
#include "easel-window-private.h"
#include "fake-server.h"
#include "gui-test-util.h"
#include "gui-test-widgets.h"

typedef struct
{
  EaselTestBackend  b;       /* server, client, library */
  EaselWindow *window;
  EaselBatchItem *item;      /* the job under test */
  GPtrArray *statuses;       /* every status the item showed, in order */
  guint n_finished;          /* "job-finished" signals */
  guint want;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  easel_test_backend_open (&f->b, "batches", 5, 32);
  f->statuses = g_ptr_array_new_with_free_func (g_free);
}

static void
open_window (Fixture *f)
{
  f->window = g_object_new (EASEL_TYPE_WINDOW, "client", f->b.client, "library", f->b.library, NULL);
  gtk_window_present (GTK_WINDOW (f->window));
}

static void
close_window (Fixture *f)
{
  if (f->window == NULL)
    return;
  gtk_window_destroy (GTK_WINDOW (f->window));
  f->window = NULL;
  easel_test_spin_ms (50);
  easel_library_flush (f->b.library);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  close_window (f);
  g_clear_object (&f->item);
  g_clear_pointer (&f->statuses, g_ptr_array_unref);
  easel_test_backend_close (&f->b);
}

static EaselBatchList *
batches (Fixture *f)
{
  g_assert_nonnull (f->window->batches);
  return f->window->batches;
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

static gboolean
dialog_shown (gpointer type)
{
  return easel_test_find_toplevel (GPOINTER_TO_SIZE (type)) != NULL;
}

static EaselBatchDialog *
open_dialog (Fixture *f)
{
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.new-batch", NULL));
  g_assert_true (wait_for (dialog_shown, GSIZE_TO_POINTER (EASEL_TYPE_BATCH_DIALOG), 5000));
  return EASEL_BATCH_DIALOG (easel_test_find_toplevel (EASEL_TYPE_BATCH_DIALOG));
}

typedef struct
{
  EaselBatchDialog *dialog;
  guint n;
} ValidWait;

static gboolean
dialog_valid (ValidWait *w)
{
  return easel_batch_dialog_get_n_valid (w->dialog) == w->n;
}

static gboolean
has_items (Fixture *f)
{
  return g_list_model_get_n_items (G_LIST_MODEL (batches (f))) >= f->want;
}

static void
status_cb (EaselBatchItem *item,
           GParamSpec     *pspec,
           Fixture        *f)
{
  const char *status = easel_batch_item_get_status (item);

  if (f->statuses->len == 0 || g_strcmp0 (g_ptr_array_index (f->statuses, f->statuses->len - 1), status) != 0)
    g_ptr_array_add (f->statuses, g_strdup (status));
}

static void
finished_cb (EaselBatchList *list,
             EaselBatchItem *item,
             Fixture        *f)
{
  f->n_finished++;
}

/* Types @prompts into New Batch…, waits for every line to check out, and
 * submits; f->item is the new job. */
static void
submit_from_dialog (Fixture    *f,
                    const char *prompts,
                    guint       n_lines)
{
  EaselBatchDialog *dialog = open_dialog (f);
  ValidWait w = { dialog, n_lines };
  const char *summary;
  guint before = g_list_model_get_n_items (G_LIST_MODEL (batches (f)));

  easel_batch_dialog_set_text (dialog, prompts);
  g_assert_true (wait_for (dialog_valid, &w, 10000));
  summary = gtk_label_get_label (GTK_LABEL (child_of (dialog, EASEL_TYPE_BATCH_DIALOG, "summary_label")));
  g_assert_nonnull (strstr (summary, "at the batch price"));
  g_assert_nonnull (strstr (summary, "at the full price"));
  g_assert_true (gtk_widget_get_sensitive (child_of (dialog, EASEL_TYPE_BATCH_DIALOG, "submit_button")));

  g_signal_emit_by_name (child_of (dialog, EASEL_TYPE_BATCH_DIALOG, "submit_button"), "clicked");
  f->want = before + 1;
  g_assert_true (wait_for (has_items, f, 10000));
  g_clear_object (&f->item);
  f->item = g_list_model_get_item (G_LIST_MODEL (batches (f)), 0);
  g_assert_nonnull (easel_batch_item_get_batch_id (f->item));
  g_ptr_array_set_size (f->statuses, 0);
  status_cb (f->item, NULL, f);
  g_signal_connect (f->item, "notify::status", G_CALLBACK (status_cb), f);
  /* The dialog closed, the window shows the Batches place. */
  g_assert_null (easel_test_find_toplevel (EASEL_TYPE_BATCH_DIALOG));
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (f->window->view_stack), ==, "batches");
}

static gboolean
item_fetched (Fixture *f)
{
  return easel_batch_item_get_fetched (f->item) && !easel_batch_item_get_fetching (f->item);
}

static gboolean
collect_rows (GtkWidget  *widget,
              GPtrArray  *rows)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    {
      if (EASEL_IS_BATCH_ROW (child))
        g_ptr_array_add (rows, child);
      else
        collect_rows (child, rows);
    }
  return rows->len > 0;
}

static EaselBatchRow *
row_for (Fixture        *f,
         EaselBatchItem *item)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new ();

  collect_rows (f->window->batches_page, rows);
  for (guint i = 0; i < rows->len; i++)
    if (easel_batch_row_get_item (rows->pdata[i]) == item)
      return rows->pdata[i];
  return NULL;
}

static gboolean
row_shown (Fixture *f)
{
  return row_for (f, f->item) != NULL;
}

static guint
library_images (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) images = NULL;

  easel_library_flush (f->b.library);
  images = easel_store_list_batch_images (f->b.store, easel_batch_item_get_job_id (f->item), &error);
  g_assert_no_error (error);
  return images->len;
}

/* ---- 1. Submit, follow, fetch, show in the gallery ---- */

static gboolean
gallery_count_is (Fixture *f)
{
  GtkWidget *gallery = easel_window_get_gallery (f->window);
  EaselGalleryModel *model;

  if (gallery == NULL)
    return FALSE;
  model = _easel_gallery_get_model (EASEL_GALLERY (gallery));
  return !easel_gallery_model_get_loading (model) && g_list_model_get_n_items (G_LIST_MODEL (model)) == f->want;
}

static gboolean
studio_row_recorded (Fixture *f)
{
  g_autoptr(EaselStoreQuery) query = easel_store_query_new ();
  g_autoptr(GPtrArray) rows = easel_store_query (f->b.store, query, NULL, NULL);

  return rows != NULL && rows->len >= 1;
}

static void
test_submit_and_fetch (Fixture       *f,
                       gconstpointer  data)
{
  EaselBatchRow *row;
  GtkWidget *gallery;
  const char *counts;

  g_setenv ("EASEL_BATCH_POLL_MS", "30", TRUE);
  open_window (f);
  g_signal_connect (batches (f), "job-finished", G_CALLBACK (finished_cb), f);

  /* One image from the studio, so the gallery's filter has something to leave out. */
  easel_composer_set_text (easel_window_get_composer (f->window), "a studio image");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.send", NULL));
  g_assert_true (wait_for (studio_row_recorded, f, 20000));

  submit_from_dialog (f, "a red apple\na green pear\n\nFAIL a refused plum\na blue fig\n", 4);
  g_assert_cmpint (easel_batch_item_get_total (f->item), ==, 4);
  g_assert_cmpfloat (easel_batch_item_get_estimate (f->item), >, 0);
  g_assert_cmpfloat_with_epsilon (easel_batch_item_get_estimate (f->item) * 2,
                                  easel_batch_item_get_full_price (f->item), 1e-9);

  g_assert_true (wait_for (row_shown, f, 5000));
  g_assert_true (wait_for (item_fetched, f, 20000));

  /* It went through the server's steps, one per poll, to completed. */
  g_assert_cmpuint (f->statuses->len, >=, 3);
  g_assert_cmpstr (g_ptr_array_index (f->statuses, f->statuses->len - 1), ==, "completed");
  {
    gboolean saw_running = FALSE;

    for (guint i = 0; i < f->statuses->len; i++)
      saw_running |= g_str_equal (g_ptr_array_index (f->statuses, i), "in_progress") ||
                     g_str_equal (g_ptr_array_index (f->statuses, i), "finalizing");
    g_assert_true (saw_running);
  }
  g_assert_cmpint (easel_batch_item_get_completed (f->item), ==, 3);
  g_assert_cmpint (easel_batch_item_get_failed (f->item), ==, 1);
  g_assert_cmpuint (easel_batch_item_get_n_images (f->item), ==, 3);
  g_assert_cmpfloat (easel_batch_item_get_cost (f->item), >, 0);
  g_assert_false (easel_batch_item_get_can_cancel (f->item));
  g_assert_cmpuint (library_images (f), ==, 3);
  g_assert_cmpuint (f->n_finished, ==, 1);

  /* The row says so. */
  row = row_for (f, f->item);
  g_assert_nonnull (row);
  counts = gtk_label_get_label (GTK_LABEL (child_of (row, EASEL_TYPE_BATCH_ROW, "counts_label")));
  g_assert_cmpstr (counts, ==, "3 done, 1 failed of 4");
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (child_of (row, EASEL_TYPE_BATCH_ROW, "status_label"))), ==,
                   "Completed");
  g_assert_cmpfloat (gtk_progress_bar_get_fraction (GTK_PROGRESS_BAR (child_of (row, EASEL_TYPE_BATCH_ROW,
                                                                                "progress_bar"))), ==, 1.0);
  g_assert_false (gtk_widget_get_visible (child_of (row, EASEL_TYPE_BATCH_ROW, "cancel_button")));
  g_assert_true (gtk_widget_get_sensitive (child_of (row, EASEL_TYPE_BATCH_ROW, "gallery_button")));

  /* The gallery holds all four images; Show in Gallery narrows it to the job's three. */
  gallery = easel_window_get_gallery (f->window);
  g_assert_nonnull (gallery);
  f->want = 4;
  g_assert_true (wait_for (gallery_count_is, f, 10000));
  g_signal_emit_by_name (child_of (row, EASEL_TYPE_BATCH_ROW, "gallery_button"), "clicked");
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (f->window->view_stack), ==, "gallery");
  g_assert_cmpint (easel_gallery_model_get_batch_job (_easel_gallery_get_model (EASEL_GALLERY (gallery))), ==,
                   easel_batch_item_get_job_id (f->item));
  f->want = 3;
  g_assert_true (wait_for (gallery_count_is, f, 10000));
  g_assert_true (gtk_widget_get_visible (child_of (gallery, EASEL_TYPE_GALLERY, "batch_button")));

  /* Its button shows everything again. */
  g_signal_emit_by_name (child_of (gallery, EASEL_TYPE_GALLERY, "batch_button"), "clicked");
  f->want = 4;
  g_assert_true (wait_for (gallery_count_is, f, 10000));
  g_assert_false (gtk_widget_get_visible (child_of (gallery, EASEL_TYPE_GALLERY, "batch_button")));
}

/* ---- 2. A bad line: named, nothing sent ---- */

static gboolean
error_shown (GtkWidget *label)
{
  return gtk_widget_get_visible (label);
}

static void
test_bad_line (Fixture       *f,
               gconstpointer  data)
{
  EaselBatchDialog *dialog;
  GtkWidget *error_label;

  g_setenv ("EASEL_BATCH_POLL_MS", "30", TRUE);
  open_window (f);
  dialog = open_dialog (f);
  error_label = child_of (dialog, EASEL_TYPE_BATCH_DIALOG, "error_label");
  easel_batch_dialog_set_text (dialog, "a fine prompt\n{\"prompt\": \"x\", \"size\": \"13x13\"}\nanother\n");
  g_assert_true (wait_for (error_shown, error_label, 10000));
  g_assert_nonnull (strstr (gtk_label_get_label (GTK_LABEL (error_label)), "line 2"));
  g_assert_false (gtk_widget_get_sensitive (child_of (dialog, EASEL_TYPE_BATCH_DIALOG, "submit_button")));
  g_assert_cmpuint (easel_batch_dialog_get_n_valid (dialog), ==, 0);

  /* Clicking anyway sends nothing. */
  g_signal_emit_by_name (child_of (dialog, EASEL_TYPE_BATCH_DIALOG, "submit_button"), "clicked");
  easel_test_spin_ms (200);
  g_assert_cmpuint (easel_fake_server_count_requests (f->b.server, "POST", "/v1/files"), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (batches (f))), ==, 0);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* ---- 3. Cancel a job from its row ---- */

static gboolean
item_cancelled_and_fetched (Fixture *f)
{
  return g_strcmp0 (easel_batch_item_get_status (f->item), "cancelled") == 0 && item_fetched (f);
}

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  EaselBatchRow *row;
  AdwMessageDialog *confirm;

  /* Slow polls: the job is still running when the user cancels it. */
  g_setenv ("EASEL_BATCH_POLL_MS", "1500", TRUE);
  open_window (f);
  submit_from_dialog (f, "one\ntwo\nthree\nfour\n", 4);
  g_assert_true (wait_for (row_shown, f, 5000));
  g_assert_true (easel_batch_item_get_can_cancel (f->item));
  row = row_for (f, f->item);
  g_assert_true (gtk_widget_get_visible (child_of (row, EASEL_TYPE_BATCH_ROW, "cancel_button")));

  g_signal_emit_by_name (child_of (row, EASEL_TYPE_BATCH_ROW, "cancel_button"), "clicked");
  g_assert_true (wait_for (dialog_shown, GSIZE_TO_POINTER (ADW_TYPE_MESSAGE_DIALOG), 5000));
  confirm = ADW_MESSAGE_DIALOG (easel_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  /* Nothing is cancelled until the user confirms. */
  g_assert_cmpuint (easel_fake_server_count_requests (f->b.server, "POST", "/v1/batches/"), ==, 0);
  adw_message_dialog_response (confirm, "cancel-job");

  g_assert_true (wait_for (item_cancelled_and_fetched, f, 20000));
  g_assert_false (easel_batch_item_get_can_cancel (f->item));
  /* The fake server runs half the lines of a cancelled job. */
  g_assert_cmpint (easel_batch_item_get_completed (f->item), ==, 2);
  g_assert_cmpint (easel_batch_item_get_failed (f->item), ==, 2);
  g_assert_cmpuint (library_images (f), ==, 2);
  g_assert_cmpuint (easel_batch_item_get_n_lines_failed (f->item), ==, 2);
  {
    gboolean saw_cancelling = FALSE;

    for (guint i = 0; i < f->statuses->len; i++)
      saw_cancelling |= g_str_equal (g_ptr_array_index (f->statuses, i), "cancelling");
    g_assert_true (saw_cancelling);
  }
}

/* ---- 4. A job left running resumes in a new window (a restart) ---- */

static gboolean
list_loaded_with_one (Fixture *f)
{
  return easel_batch_list_get_loaded (batches (f)) &&
         g_list_model_get_n_items (G_LIST_MODEL (batches (f))) == 1;
}

static void
test_resume_after_restart (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *batch_id = NULL;
  g_autoptr(EaselBatchJob) job = NULL;
  g_autoptr(GError) error = NULL;

  /* The first run checks once, then would wait a minute: it quits before. */
  g_setenv ("EASEL_BATCH_POLL_MS", "60000", TRUE);
  open_window (f);
  submit_from_dialog (f, "alpha\nbeta\ngamma\ndelta\n", 4);
  batch_id = g_strdup (easel_batch_item_get_batch_id (f->item));
  easel_test_spin_ms (300);
  g_assert_false (easel_batch_item_get_finished (f->item));
  g_clear_object (&f->item);
  close_window (f);

  job = easel_store_get_batch (f->b.store, batch_id, &error);
  g_assert_no_error (error);
  g_assert_false (job->fetched);
  g_assert_cmpuint (job->n_lines_ok, ==, 0);

  g_setenv ("EASEL_BATCH_POLL_MS", "30", TRUE);
  open_window (f);
  g_assert_true (wait_for (list_loaded_with_one, f, 10000));
  f->item = g_list_model_get_item (G_LIST_MODEL (batches (f)), 0);
  g_assert_cmpstr (easel_batch_item_get_batch_id (f->item), ==, batch_id);
  g_assert_true (wait_for (item_fetched, f, 20000));
  g_assert_cmpstr (easel_batch_item_get_status (f->item), ==, "completed");
  g_assert_cmpuint (library_images (f), ==, 4);
  g_assert_true (wait_for (row_shown, f, 5000));
}

/* ---- 5. A submit interrupted after the create is found again ---- */

static void
result_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gboolean
has_result (GAsyncResult **result)
{
  return *result != NULL;
}

static void
test_interrupted_submit (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GBytes) jsonl = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(EaselBatchInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *file_id = NULL;
  const char *text = "one\ntwo\n";
  gint64 row;

  /* What an earlier run did before it was killed: uploaded, recorded the
   * job as "submitting", created the batch, and never recorded that. */
  entries = easel_batch_parse_input (text, strlen (text), NULL, &error);
  g_assert_no_error (error);
  jsonl = easel_batch_build_jsonl (entries, &error);
  g_assert_no_error (error);
  easel_batch_upload_async (f->b.client, jsonl, NULL, result_cb, &result);
  g_assert_true (wait_for (has_result, &result, 10000));
  file_id = easel_batch_upload_finish (f->b.client, result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  row = easel_store_add_batch (f->b.store, NULL, file_id, easel_client_get_base_url (f->b.client), entries, 0.01, 0.02,
                               &error);
  g_assert_no_error (error);
  easel_batch_create_async (f->b.client, file_id, NULL, result_cb, &result);
  g_assert_true (wait_for (has_result, &result, 10000));
  info = easel_batch_create_finish (f->b.client, result, &error);
  g_assert_no_error (error);

  g_setenv ("EASEL_BATCH_POLL_MS", "30", TRUE);
  open_window (f);
  g_assert_true (wait_for (list_loaded_with_one, f, 10000));
  f->item = g_list_model_get_item (G_LIST_MODEL (batches (f)), 0);
  g_assert_cmpint (easel_batch_item_get_job_id (f->item), ==, row);
  g_assert_true (wait_for (item_fetched, f, 20000));
  g_assert_cmpstr (easel_batch_item_get_batch_id (f->item), ==, info->id);
  g_assert_cmpuint (library_images (f), ==, 2);
}

/* ---- 6. A batch above the confirmation threshold asks first ---- */

static void
test_budget_confirmation (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GString) text = g_string_new (NULL);
  EaselBatchDialog *dialog;
  ValidWait w;
  AdwMessageDialog *confirm;

  g_setenv ("EASEL_BATCH_POLL_MS", "60000", TRUE);
  open_window (f);
  /* Forty high-quality wide images: well above the default $1 threshold
   * even at half price. */
  for (guint i = 1; i <= 40; i++)
    g_string_append_printf (text, "{\"prompt\": \"poster %u\", \"size\": \"1536x1024\", \"quality\": \"high\"}\n", i);
  dialog = open_dialog (f);
  w.dialog = dialog;
  w.n = 40;
  easel_batch_dialog_set_text (dialog, text->str);
  g_assert_true (wait_for (dialog_valid, &w, 10000));

  g_signal_emit_by_name (child_of (dialog, EASEL_TYPE_BATCH_DIALOG, "submit_button"), "clicked");
  g_assert_true (wait_for (dialog_shown, GSIZE_TO_POINTER (ADW_TYPE_MESSAGE_DIALOG), 5000));
  confirm = ADW_MESSAGE_DIALOG (easel_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_cmpstr (adw_message_dialog_get_heading (confirm), ==, "Expensive Batch");
  adw_message_dialog_response (confirm, "cancel");
  easel_test_spin_ms (200);
  g_assert_cmpuint (easel_fake_server_count_requests (f->b.server, "POST", "/v1/files"), ==, 0);
  g_assert_nonnull (easel_test_find_toplevel (EASEL_TYPE_BATCH_DIALOG));

  /* Confirmed: it goes. */
  g_signal_emit_by_name (child_of (dialog, EASEL_TYPE_BATCH_DIALOG, "submit_button"), "clicked");
  g_assert_true (wait_for (dialog_shown, GSIZE_TO_POINTER (ADW_TYPE_MESSAGE_DIALOG), 5000));
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (easel_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG)), "submit");
  f->want = 1;
  g_assert_true (wait_for (has_items, f, 10000));
  g_assert_cmpuint (easel_fake_server_count_requests (f->b.server, "POST", "/v1/files"), ==, 1);
  f->item = g_list_model_get_item (G_LIST_MODEL (batches (f)), 0);
  g_assert_cmpint (easel_batch_item_get_total (f->item), ==, 40);
  g_assert_cmpfloat (easel_batch_item_get_estimate (f->item), >, 1.0);
}

/* ---- 7. A job finished while no window is focused: a notification ---- */

static const char notifications_xml[] =
  "<node>"
  "  <interface name='org.freedesktop.Notifications'>"
  "    <method name='Notify'>"
  "      <arg type='s' direction='in'/><arg type='u' direction='in'/><arg type='s' direction='in'/>"
  "      <arg type='s' direction='in'/><arg type='s' direction='in'/><arg type='as' direction='in'/>"
  "      <arg type='a{sv}' direction='in'/><arg type='i' direction='in'/>"
  "      <arg type='u' direction='out'/>"
  "    </method>"
  "  </interface>"
  "</node>";

typedef struct
{
  char    *summary;
  char    *body;
  gboolean has_default;
} Notified;

static void
notify_method_cb (GDBusConnection       *connection,
                  const char            *sender,
                  const char            *path,
                  const char            *interface,
                  const char            *method,
                  GVariant              *parameters,
                  GDBusMethodInvocation *invocation,
                  gpointer               user_data)
{
  Notified *n = user_data;
  g_autofree const char **actions = NULL;

  g_clear_pointer (&n->summary, g_free);
  g_clear_pointer (&n->body, g_free);
  g_variant_get (parameters, "(&su&s&s&s^a&s@a{sv}i)", NULL, NULL, NULL, NULL, NULL, &actions, NULL, NULL);
  g_variant_get_child (parameters, 3, "s", &n->summary);
  g_variant_get_child (parameters, 4, "s", &n->body);
  for (guint i = 0; actions != NULL && actions[i] != NULL; i += 2)
    n->has_default |= g_str_equal (actions[i], "default");
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(u)", 1));
}

static gboolean
notified (Notified *n)
{
  return n->summary != NULL;
}

static gboolean
window_on_batches (EaselApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    {
      GList *windows = gtk_application_get_windows (GTK_APPLICATION (app));
      window = windows ? windows->data : NULL;
    }
  return window != NULL && EASEL_IS_WINDOW (window) &&
         g_strcmp0 (adw_view_stack_get_visible_child_name (EASEL_WINDOW (window)->view_stack), "batches") == 0;
}

static void
test_notification (void)
{
  static const GDBusInterfaceVTable vtable = { notify_method_cb, NULL, NULL, { 0 } };
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GDBusConnection) daemon = NULL;
  g_autoptr(EaselApplication) app = NULL;
  g_autoptr(EaselBatchItem) item = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data_home = g_dir_make_tmp ("easel-batches-notify-XXXXXX", NULL);
  EaselBatchJob job = { 0 };
  Notified n = { 0 };

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  if (bus == NULL)
    {
      g_test_skip ("no session bus");
      return;
    }
  daemon = easel_test_serve_on_session_bus ("org.freedesktop.Notifications", "/org/freedesktop/Notifications",
                                            notifications_xml, &vtable, &n, NULL);

  /* The application's own library, in a folder of the test's. */
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  app = easel_application_new ();
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);

  /* What EaselBatchList says when a watched job's results are in. */
  job.id = 1;
  job.batch_id = (char *) "batch_notified0123";
  job.status = (char *) "completed";
  job.n_total = 20;
  job.n_completed = 17;
  job.n_failed = 3;
  job.fetched = TRUE;
  job.n_lines = 20;
  job.n_lines_ok = 17;
  job.n_lines_failed = 3;
  job.estimated_usd = 0.5;
  job.full_usd = 1.0;
  job.actual_usd = 0.4;
  item = _easel_batch_item_new (&job);
  g_signal_emit_by_name (easel_application_get_batches (app), "job-finished", item);

  /* No window at all is focused. */
  g_assert_true (wait_for (notified, &n, 5000));
  g_assert_cmpstr (n.summary, ==, "Batch finished: 17 images, 3 failed");
  g_assert_nonnull (strstr (n.body, "batch_notified0123"));
  g_assert_true (n.has_default);

  /* Its default action brings up the Batches place. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "show-batches", NULL);
  g_assert_true (wait_for (window_on_batches, app, 5000));

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app)); l != NULL;
       l = gtk_application_get_windows (GTK_APPLICATION (app)))
    gtk_window_destroy (GTK_WINDOW (l->data));
  easel_test_spin_ms (50);
  easel_library_flush (easel_application_get_library (app));
  g_dbus_connection_close_sync (daemon, NULL, NULL);
  g_free (n.summary);
  g_free (n.body);
  g_clear_object (&app);
  easel_test_rm_rf (data_home);
}

int
main (int   argc,
      char *argv[])
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
  ADD ("/batches/submit-and-fetch", test_submit_and_fetch);
  ADD ("/batches/bad-line", test_bad_line);
  ADD ("/batches/cancel", test_cancel);
  ADD ("/batches/resume-after-restart", test_resume_after_restart);
  ADD ("/batches/interrupted-submit", test_interrupted_submit);
  ADD ("/batches/budget-confirmation", test_budget_confirmation);
#undef ADD
  g_test_add_func ("/batches/notification", test_notification);

  return g_test_run ();
}
