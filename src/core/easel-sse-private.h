/* easel-sse-private.h: test hooks of the SSE parser
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "easel-sse.h"

G_BEGIN_DECLS

/* Bytes the parser has searched (memchr) or copied since it was created.
 * Lets tests check that the work is linear in the input, without timing. */
guint64 easel_sse_parser_get_bytes_scanned (EaselSseParser *self);

G_END_DECLS
