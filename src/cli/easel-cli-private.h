/* easel-cli-private.h: what the `easel` command's files share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "easel-core.h"

G_BEGIN_DECLS

typedef enum
{
  EASEL_CLI_EXIT_OK        = 0,
  EASEL_CLI_EXIT_FAILED    = 1,   /* API or network error */
  EASEL_CLI_EXIT_USAGE     = 2,   /* usage, configuration or validation error */
  EASEL_CLI_EXIT_CANCELLED = 130, /* Ctrl-C */
} EaselCliExit;

/* Subcommands; each returns the process exit code. */
int   easel_cli_request_main (EaselApi api, const char *command, int argc, char **argv);
int   easel_cli_key_main     (int argc, char **argv);

/* Shared helpers (easel-cli-output.c). */
char *easel_cli_mask_key            (const char *key);
int   easel_cli_exit_code_for_error (const GError *error);
void  easel_cli_print_error         (const GError *error, const char *api_key);
void  easel_cli_warn                (const char *format, ...) G_GNUC_PRINTF (1, 2);
/* "png", "jpg", "webp": sniffed from @bytes when possible, else from @format. */
const char *easel_cli_extension_for (GBytes *bytes, const char *format);

/* Where images go: ./easel-<timestamp>[-k].<ext>, DIR/…, or PATH / stem-k.ext. */
typedef struct _EaselCliOutput EaselCliOutput;

EaselCliOutput *easel_cli_output_new              (const char *option, GError **error);
void            easel_cli_output_free             (EaselCliOutput *self);
/* @index is 0-based; @n_images decides whether a -k suffix is added. */
char           *easel_cli_output_path_for_image   (EaselCliOutput *self,
                                                   guint           index,
                                                   guint           n_images,
                                                   const char     *extension);
/* <stem>-partial-<k>.<ext>, @k 1-based. */
char           *easel_cli_output_path_for_partial (EaselCliOutput *self,
                                                   guint           k,
                                                   const char     *extension);

/* Writes @bytes atomically (temp file, fsync, rename) in a worker thread. */
void            easel_cli_write_file_async        (const char          *path,
                                                   GBytes              *bytes,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean        easel_cli_write_file_finish       (GAsyncResult        *result,
                                                   GError             **error);

/* The progress line on stderr (easel-cli-progress.c). */
typedef struct _EaselCliProgress EaselCliProgress;

EaselCliProgress *easel_cli_progress_new      (gboolean          quiet,
                                               int               partials_expected,
                                               const char       *estimate);
void              easel_cli_progress_free     (EaselCliProgress *self);
void              easel_cli_progress_stage    (EaselCliProgress *self,
                                               const char       *stage);
void              easel_cli_progress_event    (EaselCliProgress *self,
                                               const EaselEvent *event);
void              easel_cli_progress_retrying (EaselCliProgress *self,
                                               const char       *reason,
                                               guint             attempt,
                                               guint             max_attempts,
                                               gint64            delay_ms);
/* Prints a whole line above the progress line (or plainly off a TTY). */
void              easel_cli_progress_print    (EaselCliProgress *self,
                                               const char       *format,
                                               ...) G_GNUC_PRINTF (2, 3);
/* Clears the line for good. */
void              easel_cli_progress_done     (EaselCliProgress *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EaselCliOutput, easel_cli_output_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EaselCliProgress, easel_cli_progress_free)

G_END_DECLS
