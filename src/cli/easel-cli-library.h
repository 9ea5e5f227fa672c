/* easel-cli-library.h: the CLI's bridge to the library store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "easel-core.h"

G_BEGIN_DECLS

/* `easel library list|search|show|export|delete …`; returns the exit code. */
int          easel_cli_library_main          (int argc, char **argv);

/* Records a finished, failed or moderated request into the library (no-op
 * when @enabled is FALSE). Returns the new generation ids' count; prints a
 * clear warning (and keeps going) if the library cannot be written. */
guint        easel_cli_library_record        (const EaselRequest *request,
                                              const EaselResult  *result,   /* NULL on failure */
                                              const GError       *error,    /* NULL on success */
                                              const GPtrArray    *written_paths, /* char*, may be NULL */
                                              double              estimated_usd,
                                              gboolean            enabled);

/* The identical-request cache: a previous result for exactly this request,
 * or NULL. */
EaselResult *easel_cli_library_lookup_cached (const EaselRequest *request);

G_END_DECLS
