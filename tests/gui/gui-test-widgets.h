/* gui-test-widgets.h: widget lookups the studio's UI tests share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The first visible toplevel of @type (a dialog the code under test
 * opened), or NULL; GTK's list of toplevels keeps it alive. */
GtkWindow *easel_test_find_toplevel (GType type);

G_END_DECLS
