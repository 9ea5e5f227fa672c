/* gui-test-util.h: main-loop and file helpers every UI test needs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef gboolean (*EaselTestCondition) (gpointer data);

/* Iterates the default main context (without blocking, 1 ms apart) until
 * @cond (@data) holds; FALSE if @timeout_ms passed first. */
gboolean easel_test_wait_until (EaselTestCondition cond,
                                gpointer           data,
                                guint              timeout_ms);
/* Iterates the default main context for @ms milliseconds. */
void     easel_test_spin_ms    (guint ms);
/* Removes @path and everything under it (symlinks are not followed). */
void     easel_test_rm_rf      (const char *path);
/* TRUE if a regular file under @dir holds @needle; counts the files read
 * in @n_files and names the culprit in a test message. */
gboolean easel_test_tree_contains (GFile      *dir,
                                   const char *needle,
                                   guint      *n_files);

/* Becomes a desktop service for the code under test: serves the first
 * interface of @xml at @object_path as @bus_name, on a connection of its
 * own to the session bus, and returns that connection once the name is
 * settled (close or drop it to go away). @owned, if not NULL, says whether
 * the name was got (FALSE: another service had it); without @owned, not
 * getting it fails the test. */
GDBusConnection *easel_test_serve_on_session_bus (const char                 *bus_name,
                                                  const char                 *object_path,
                                                  const char                 *xml,
                                                  const GDBusInterfaceVTable *vtable,
                                                  gpointer                    user_data,
                                                  gboolean                   *owned);

/* The tests' conditions take their own fixture type. */
#define wait_for(cond, data, timeout_ms) \
  easel_test_wait_until ((EaselTestCondition) (cond), (data), (timeout_ms))

G_END_DECLS
