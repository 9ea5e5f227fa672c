/* easel-export.c: export generations as PNG (with metadata), JPEG or WebP
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "easel-export"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "easel-export.h"
#include "easel-config.h"

typedef struct
{
  EaselStore        *store;
  GPtrArray         *generations;
  GFile             *dest;          /* a file for one image from the dialog, else a folder */
  gboolean           dest_is_file;
  EaselExportFormat  format;
  int                quality;
  GtkWidget         *parent;
  GtkDropDown       *format_dropdown;
  GtkScale          *quality_scale;
  GtkFileChooserNative *chooser;
} ExportJob;

static void
export_job_free (gpointer data)
{
  ExportJob *job = data;

  g_clear_object (&job->store);
  g_clear_pointer (&job->generations, g_ptr_array_unref);
  g_clear_object (&job->dest);
  g_clear_object (&job->parent);
  if (job->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (job->chooser));
  g_clear_object (&job->chooser);
  g_free (job);
}

const char *
easel_export_format_extension (EaselExportFormat format)
{
  switch (format)
    {
    case EASEL_EXPORT_JPEG:
      return "jpg";
    case EASEL_EXPORT_WEBP:
      return "webp";
    case EASEL_EXPORT_PNG:
    default:
      return "png";
    }
}

char *
easel_export_suggest_name (EaselGeneration   *generation,
                           EaselExportFormat  format)
{
  GString *slug = g_string_new (NULL);
  const char *p;
  guint words = 0;
  gboolean gap = FALSE;

  g_return_val_if_fail (EASEL_IS_GENERATION (generation), NULL);

  /* The first few words of the prompt, ASCII letters and digits only, so
   * the name is safe on every file system. */
  for (p = generation->prompt; p != NULL && *p != '\0' && slug->len < 40; p++)
    {
      if (g_ascii_isalnum (*p))
        {
          if (gap && slug->len > 0)
            {
              if (++words >= 6)
                break;
              g_string_append_c (slug, '-');
            }
          g_string_append_c (slug, g_ascii_tolower (*p));
          gap = FALSE;
        }
      else
        gap = TRUE;
    }

  if (slug->len == 0)
    g_string_append (slug, "image");

  return g_strdup_printf ("easel-%" G_GINT64_FORMAT "-%s.%s",
                          generation->id, slug->str, easel_export_format_extension (format));
}

static void
export_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ExportJob *job = task_data;
  g_autoptr(GError) first_error = NULL;
  guint n_written = 0;

  for (guint i = 0; i < job->generations->len; i++)
    {
      EaselGeneration *gen = g_ptr_array_index (job->generations, i);
      g_autoptr(GFile) dest = NULL;
      g_autoptr(GError) error = NULL;

      if (g_cancellable_is_cancelled (cancellable))
        break;

      if (job->dest_is_file)
        dest = g_object_ref (job->dest);
      else
        {
          g_autofree char *name = easel_export_suggest_name (gen, job->format);

          dest = g_file_get_child (job->dest, name);
        }

      if (easel_store_export (job->store, gen->id, dest, job->format, job->quality, &error))
        n_written++;
      else if (first_error == NULL)
        first_error = g_steal_pointer (&error);
    }

  if (g_task_return_error_if_cancelled (task))
    return;

  if (first_error != NULL)
    g_task_return_error (task, g_steal_pointer (&first_error));
  else
    g_task_return_int (task, n_written);
}

void
easel_export_to_folder_async (EaselStore          *store,
                              GPtrArray           *generations,
                              GFile               *folder,
                              EaselExportFormat    format,
                              int                  quality,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ExportJob *job;

  g_return_if_fail (EASEL_IS_STORE (store));
  g_return_if_fail (generations != NULL);
  g_return_if_fail (G_IS_FILE (folder));

  job = g_new0 (ExportJob, 1);
  job->store = g_object_ref (store);
  job->generations = g_ptr_array_ref (generations);
  job->dest = g_object_ref (folder);
  job->format = format;
  job->quality = quality;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_export_to_folder_async);
  g_task_set_task_data (task, job, export_job_free);
  g_task_run_in_thread (task, export_thread);
}

guint
easel_export_to_folder_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), 0);

  return (guint) MAX (0, g_task_propagate_int (G_TASK (result), error));
}

/* The interactive flow. */

static void
on_export_done (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  gssize n = g_task_propagate_int (G_TASK (result), &error);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_int (task, n);
}

/* Where the chooser opens: the last export's folder, else Pictures, else
 * home; never the process's working directory. */
GFile *
easel_export_dup_start_folder (void)
{
  g_autoptr(GSettings) settings = easel_config_dup_settings ();
  g_autofree char *last = settings ? g_settings_get_string (settings, "last-export-folder") : NULL;
  const char *pictures = g_get_user_special_dir (G_USER_DIRECTORY_PICTURES);

  if (last != NULL && *last != '\0' && g_file_test (last, G_FILE_TEST_IS_DIR))
    return g_file_new_for_path (last);
  if (pictures != NULL && g_file_test (pictures, G_FILE_TEST_IS_DIR))
    return g_file_new_for_path (pictures);
  return g_file_new_for_path (g_get_home_dir ());
}

static void
remember_folder (GFile *folder)
{
  g_autoptr(GSettings) settings = easel_config_dup_settings ();
  g_autofree char *path = folder ? g_file_get_path (folder) : NULL;

  if (settings != NULL && path != NULL)
    g_settings_set_string (settings, "last-export-folder", path);
}

static void
on_chooser_response (GtkNativeDialog *chooser,
                     int              response,
                     gpointer         user_data)
{
  g_autoptr(GTask) task = user_data;
  ExportJob *job = g_task_get_task_data (task);
  g_autoptr(GTask) worker = NULL;

  if (response != GTK_RESPONSE_ACCEPT)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
      return;
    }

  job->dest = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (job->dest == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
      return;
    }
  if (job->dest_is_file)
    {
      g_autoptr(GFile) parent = g_file_get_parent (job->dest);

      remember_folder (parent);
    }
  else
    remember_folder (job->dest);

  worker = g_task_new (NULL, g_task_get_cancellable (task), on_export_done, g_object_ref (task));
  g_task_set_source_tag (worker, export_thread);
  g_task_set_task_data (worker, job, NULL); /* owned by task, which outlives worker */
  g_task_run_in_thread (worker, export_thread);
}

static void
on_options_response (AdwMessageDialog *dialog,
                     const char       *response,
                     gpointer          user_data)
{
  g_autoptr(GTask) task = user_data;
  ExportJob *job = g_task_get_task_data (task);
  GtkRoot *root = gtk_widget_get_root (job->parent);
  GtkWindow *window = GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;

  if (g_strcmp0 (response, "export") != 0)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
      return;
    }

  job->format = (EaselExportFormat) gtk_drop_down_get_selected (job->format_dropdown);
  job->quality = (int) gtk_range_get_value (GTK_RANGE (job->quality_scale));

  if (job->generations->len == 1)
    {
      g_autofree char *name = easel_export_suggest_name (g_ptr_array_index (job->generations, 0), job->format);

      job->dest_is_file = TRUE;
      job->chooser = gtk_file_chooser_native_new (_("Export Image"), window,
                                                  GTK_FILE_CHOOSER_ACTION_SAVE,
                                                  _("_Export"), _("_Cancel"));
      gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (job->chooser), name);
    }
  else
    {
      job->chooser = gtk_file_chooser_native_new (_("Export Images to Folder"), window,
                                                  GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                                  _("_Export"), _("_Cancel"));
    }

  {
    g_autoptr(GFile) folder = easel_export_dup_start_folder ();

    gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (job->chooser), folder, NULL);
  }
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (job->chooser), TRUE);
  g_signal_connect (job->chooser, "response", G_CALLBACK (on_chooser_response), g_steal_pointer (&task));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (job->chooser));
}

static void
on_format_selected (GtkDropDown *dropdown,
                    GParamSpec  *pspec,
                    GtkWidget   *quality_row)
{
  /* PNG is lossless: the quality only means something for JPEG and WebP. */
  gtk_widget_set_sensitive (quality_row, gtk_drop_down_get_selected (dropdown) != EASEL_EXPORT_PNG);
}

void
easel_export_run_async (GtkWidget           *parent,
                        EaselStore          *store,
                        GPtrArray           *generations,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  const char * const formats[] = { "PNG", "JPEG", "WebP", NULL };
  GtkRoot *root;
  GtkWidget *dialog;
  GtkWidget *box;
  GtkWidget *row;
  GtkWidget *label;
  g_autofree char *body = NULL;
  ExportJob *job;

  g_return_if_fail (GTK_IS_WIDGET (parent));
  g_return_if_fail (EASEL_IS_STORE (store));
  g_return_if_fail (generations != NULL && generations->len > 0);

  job = g_new0 (ExportJob, 1);
  job->store = g_object_ref (store);
  job->generations = g_ptr_array_ref (generations);
  job->parent = g_object_ref (parent);
  job->quality = 90;

  task = g_task_new (parent, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_export_run_async);
  g_task_set_task_data (task, job, export_job_free);

  root = gtk_widget_get_root (parent);
  if (generations->len == 1)
    body = g_strdup (_("PNG keeps the prompt and parameters inside the file."));
  else
    body = g_strdup_printf (ngettext ("%u image will be written to a folder you choose.",
                                      "%u images will be written to a folder you choose.",
                                      generations->len), generations->len);

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   /* No number in the title, so not ngettext():
                                    * that would also clash with the plain
                                    * "Export Image" msgid used above. */
                                   generations->len == 1 ? _("Export Image") : _("Export Images"),
                                   body);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);

  row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  label = gtk_label_new (_("Format"));
  gtk_widget_set_hexpand (label, TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_box_append (GTK_BOX (row), label);
  job->format_dropdown = GTK_DROP_DOWN (gtk_drop_down_new_from_strings (formats));
  gtk_box_append (GTK_BOX (row), GTK_WIDGET (job->format_dropdown));
  gtk_box_append (GTK_BOX (box), row);

  row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  label = gtk_label_new (_("Quality"));
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_box_append (GTK_BOX (row), label);
  job->quality_scale = GTK_SCALE (gtk_scale_new_with_range (GTK_ORIENTATION_HORIZONTAL, 10, 100, 1));
  gtk_range_set_value (GTK_RANGE (job->quality_scale), 90);
  gtk_scale_set_draw_value (job->quality_scale, TRUE);
  gtk_scale_set_value_pos (job->quality_scale, GTK_POS_RIGHT);
  gtk_widget_set_hexpand (GTK_WIDGET (job->quality_scale), TRUE);
  gtk_box_append (GTK_BOX (row), GTK_WIDGET (job->quality_scale));
  gtk_widget_set_sensitive (row, FALSE);
  gtk_box_append (GTK_BOX (box), row);

  g_signal_connect_object (job->format_dropdown, "notify::selected",
                           G_CALLBACK (on_format_selected), row, 0);

  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "export", _("_Choose Destination…"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "export",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "export");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (on_options_response), g_steal_pointer (&task));
  gtk_window_present (GTK_WINDOW (dialog));
}

guint
easel_export_run_finish (GAsyncResult  *result,
                         GFile        **destination,
                         GError       **error)
{
  ExportJob *job;
  gssize n;

  g_return_val_if_fail (G_IS_TASK (result), 0);

  job = g_task_get_task_data (G_TASK (result));
  n = g_task_propagate_int (G_TASK (result), error);

  if (destination != NULL)
    *destination = (n >= 0 && job->dest) ? g_object_ref (job->dest) : NULL;

  return (guint) MAX (0, n);
}
