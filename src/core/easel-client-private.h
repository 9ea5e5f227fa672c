/* easel-client-private.h: test hooks of EaselClient
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "easel-client.h"

G_BEGIN_DECLS

/* The thread that last parsed a response body or an SSE event (JSON and
 * base64), for tests that check the work stays off the main thread. Only
 * compare the pointer; never dereference it. */
GThread *_easel_client_get_last_parse_thread (void);
/* How many parse jobs (events or bodies) ran on the main thread: should stay 0. */
guint    _easel_client_get_n_main_thread_parses (void);

/* Size caps in bytes (0: the default): one SSE event, a whole body, the
 * part of an error body kept. The env vars EASEL_TEST_MAX_EVENT_SIZE,
 * EASEL_TEST_MAX_BODY_SIZE, EASEL_TEST_MAX_ERROR_BODY_SIZE and
 * EASEL_TEST_IDLE_TIMEOUT_S set the same for a spawned program. */
void     _easel_client_set_limits (EaselClient *self,
                                   gsize        max_event_size,
                                   gsize        max_body_size,
                                   gsize        max_error_body_size);

/* Called with every response's status line (before its body), for tests
 * that check each request a operation made. */
typedef void (*EaselClientExchangeFunc) (const char *method,
                                         const char *url,
                                         guint       status,
                                         gpointer    user_data);
void     _easel_client_set_exchange_func (EaselClient             *self,
                                          EaselClientExchangeFunc  func,
                                          gpointer                 user_data);

G_END_DECLS
