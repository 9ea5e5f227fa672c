/* easel-export.h: export generations as PNG (with metadata), JPEG or WebP
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "easel-store.h"

G_BEGIN_DECLS

const char *easel_export_format_extension (EaselExportFormat format);
/* "easel-42-a-red-fox.png": the id keeps names unique in a folder. */
char       *easel_export_suggest_name     (EaselGeneration   *generation,
                                           EaselExportFormat  format);

/* Exports every generation into @folder (no dialog). The result is the number
 * written; the first error fails the task after the others were tried. */
void        easel_export_to_folder_async  (EaselStore          *store,
                                           GPtrArray           *generations,  /* EaselGeneration* */
                                           GFile               *folder,
                                           EaselExportFormat    format,
                                           int                  quality,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
guint       easel_export_to_folder_finish (GAsyncResult        *result,
                                           GError             **error);

/* The whole flow: a dialog for the format and quality, then a
 * GtkFileChooserNative (a file for one image, a folder for several), then
 * the export in a worker thread. Cancelling a dialog fails with
 * G_IO_ERROR_CANCELLED. The result is the number of images written. */
void        easel_export_run_async        (GtkWidget           *parent,
                                           EaselStore          *store,
                                           GPtrArray           *generations,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
/* Where the export chooser opens: the last export's folder while it
 * exists, else Pictures, else home. */
GFile      *easel_export_dup_start_folder (void);
guint       easel_export_run_finish       (GAsyncResult        *result,
                                           GFile              **destination,
                                           GError             **error);

G_END_DECLS
