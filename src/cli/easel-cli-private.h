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
int   easel_cli_batch_main   (int argc, char **argv);
int   easel_cli_compare_main (int argc, char **argv);
int   easel_cli_budget_main  (int argc, char **argv);

/* The spending limits and the confirmation threshold of `easel budget` for
 * a request, grid or job estimated at @estimate_usd (<= 0: unknown): NULL
 * to send, else why not, for stderr, each line starting with @who ("easel",
 * "easel compare") and ending in a newline; nothing may be sent then.
 * @yes confirms an estimate over the threshold (limits still apply). The
 * spend is read from @store, or from the library opened here when a limit
 * is set and @store is NULL. (easel-cli-budget.c) */
char    *easel_cli_budget_refusal (const char              *who,
                                  const EaselBudgetLimits *limits,
                                  double                   estimate_usd,
                                  gboolean                 yes,
                                  EaselStore              *store,
                                  const char              *api_key);

/* Shared helpers (easel-cli-output.c). */
char *easel_cli_mask_key            (const char *key);
int   easel_cli_exit_code_for_error (const GError *error);
void  easel_cli_print_error         (const GError *error, const char *api_key, gboolean debug_http);
/* Untrusted text for the terminal: redacted, escaped, capped. */
char *easel_cli_safe_text           (const char *text, const char *api_key);
void  easel_cli_warn                (const char *format, ...) G_GNUC_PRINTF (1, 2);
/* "WHO: No API key for …" and how to set one, said once. */
void  easel_cli_print_missing_key   (const char *who, const GError *error);
/* "png", "jpg", "webp": sniffed from @bytes when possible, else from @format. */
const char *easel_cli_extension_for (GBytes *bytes, const char *format);

/* Where images go: ./easel-<timestamp>[-k].<ext>, DIR/…, or PATH / stem-k.ext.
 * Names are claimed with O_EXCL when written: a name another run took
 * becomes <stem>_2[-k].<ext>, _3… A PATH the user gave for one image is
 * written as is (replaced atomically; a device or FIFO written in place). */
typedef struct _EaselCliOutput EaselCliOutput;

EaselCliOutput *easel_cli_output_new              (const char *option, GError **error);
void            easel_cli_output_free             (EaselCliOutput *self);
/* The name image @index (0-based) gets unless it is taken; @n_images decides
 * whether a -k suffix is added. */
char           *easel_cli_output_path_for_image   (EaselCliOutput *self,
                                                   guint           index,
                                                   guint           n_images,
                                                   const char     *extension);

/* Claims a name for final image @index (or partial image @k, 1-based:
 * <stem>-partial-<k>.<ext>) and writes @bytes to it atomically in a worker
 * thread. The finish returns the path written. */
void            easel_cli_output_write_image_async   (EaselCliOutput      *self,
                                                      guint                index,
                                                      guint                n_images,
                                                      GBytes              *bytes,
                                                      const char          *extension,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
void            easel_cli_output_write_partial_async (EaselCliOutput      *self,
                                                      guint                k,
                                                      GBytes              *bytes,
                                                      const char          *extension,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
char           *easel_cli_output_write_finish        (GAsyncResult        *result,
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
