/* easel-sse.h: incremental Server-Sent Events parser
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _EaselSseParser EaselSseParser;

/* Called once per complete event (a blank line ends it). @event_name is the
 * last `event:` field or NULL. @data is the joined `data:` lines (without the
 * trailing newline); the parser keeps ownership, g_bytes_ref() it to keep it.
 * The bytes are followed by a NUL (not counted in the size), so they can be
 * read as a string.
 * Events whose data is exactly "[DONE]" are not delivered; see
 * easel_sse_parser_saw_done(). */
typedef void (*EaselSseEventFunc) (const char *event_name,
                                   GBytes     *data,
                                   gpointer    user_data);

EaselSseParser *easel_sse_parser_new      (EaselSseEventFunc func,
                                           gpointer          user_data);
void            easel_sse_parser_free     (EaselSseParser   *self);
/* Feed any number of bytes; cost is linear in @len whatever the chunking. */
void            easel_sse_parser_feed     (EaselSseParser   *self,
                                           const char       *buf,
                                           gsize             len);
/* End of input. An event not terminated by a blank line is discarded
 * (as the SSE spec says); returns TRUE if such a partial event was pending,
 * which the caller can treat as a truncated stream. */
gboolean        easel_sse_parser_finish   (EaselSseParser   *self);
gboolean        easel_sse_parser_saw_done (EaselSseParser   *self);
guint64         easel_sse_parser_get_n_events (EaselSseParser *self);
/* Caps the joined data of one event at @max_event_size bytes (0, the
 * default: no cap). Past it the parser stops storing and dispatching
 * anything and easel_sse_parser_is_too_large() turns TRUE for good; the
 * caller should stop feeding and fail. */
void            easel_sse_parser_set_max_event_size (EaselSseParser *self,
                                                     gsize           max_event_size);
gboolean        easel_sse_parser_is_too_large       (EaselSseParser *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EaselSseParser, easel_sse_parser_free)

G_END_DECLS
