/* gui-test-widgets.h: widget lookups the studio's UI tests share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "easel-core.h"
#include "fake-server.h"

G_BEGIN_DECLS

/* What a studio window under test talks to: the fake OpenAI server, a
 * client for it, and a library in a temporary folder. */
typedef struct
{
  EaselFakeServer *server;
  EaselClient     *client;
  char            *dir;
  EaselStore      *store;
  EaselLibrary    *library;
} EaselTestBackend;

/* Starts the server (@event_delay_ms between events, square images of
 * @image_size px) and opens a library in a folder named after @name. */
void easel_test_backend_open  (EaselTestBackend *b,
                               const char       *name,
                               guint             event_delay_ms,
                               int               image_size);
/* Waits for the library's writes, then stops and removes everything. */
void easel_test_backend_close (EaselTestBackend *b);

/* The first visible toplevel of @type (a dialog the code under test
 * opened), or NULL; GTK's list of toplevels keeps it alive. */
GtkWindow *easel_test_find_toplevel (GType type);

G_END_DECLS
