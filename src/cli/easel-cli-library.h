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
 * when @enabled is FALSE) under the cache key for @base_url (the server the
 * request went to). Returns the new rows (EaselGeneration*: one per image of
 * @result, in order, or one for a failure), or NULL when nothing was
 * recorded; prints a clear warning (and keeps going) if the library cannot
 * be written. */
GPtrArray   *easel_cli_library_record        (const EaselRequest *request,
                                              const EaselResult  *result,   /* NULL on failure */
                                              const GError       *error,    /* NULL on success */
                                              const char         *base_url,
                                              double              estimated_usd,
                                              gboolean            enabled);
/* As above; @incomplete: @result holds the last partial of a stream that
 * broke (with @error), recorded as an "incomplete" image. */
GPtrArray   *easel_cli_library_record_full   (const EaselRequest *request,
                                              const EaselResult  *result,
                                              const GError       *error,
                                              const char         *base_url,
                                              double              estimated_usd,
                                              gboolean            incomplete,
                                              gboolean            enabled);

/* The identical-request cache: a previous result for exactly this request
 * sent to @base_url, or NULL. @out_generations (nullable) receives the rows
 * the images come from, in order. */
EaselResult *easel_cli_library_lookup_cached (const EaselRequest  *request,
                                              const char          *base_url,
                                              GPtrArray          **out_generations);

/* Background turns still running on the server (see EaselPendingResponse):
 * kept from response.created until recorded. Warnings go to stderr; the
 * caller keeps going. */
void          easel_cli_library_add_pending     (const EaselRequest *request,
                                                 const char         *response_id,
                                                 const char         *base_url);
void          easel_cli_library_remove_pending  (const char         *response_id);
/* EaselPendingResponse* for @base_url, oldest first, at most @limit; never NULL. */
GPtrArray    *easel_cli_library_list_pending    (const char         *base_url,
                                                 guint               limit);
/* The request of a pending turn, or NULL when the library has none. */
EaselRequest *easel_cli_library_pending_request (const char         *response_id);

G_END_DECLS
