/* gui-test-util.c: main-loop and file helpers every UI test needs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define _GNU_SOURCE  /* memmem */
#define G_LOG_DOMAIN "gui-test-util"

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "gui-test-util.h"

gboolean
easel_test_wait_until (EaselTestCondition cond,
                       gpointer           data,
                       guint              timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64)timeout_ms * 1000;

  while (!cond (data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return TRUE;
}

void
easel_test_spin_ms (guint ms)
{
  gint64 until = g_get_monotonic_time () + (gint64)ms * 1000;

  while (g_get_monotonic_time () < until)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

void
easel_test_rm_rf (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileEnumerator) children = NULL;
  GFileInfo *info;

  children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  while (children && (info = g_file_enumerator_next_file (children, NULL, NULL)))
    {
      g_autofree char *child = g_build_filename (path, g_file_info_get_name (info), NULL);

      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
        easel_test_rm_rf (child);
      else
        g_unlink (child);
      g_object_unref (info);
    }
  g_rmdir (path);
}

gboolean
easel_test_tree_contains (GFile      *dir,
                          const char *needle,
                          guint      *n_files)
{
  g_autoptr(GFileEnumerator) enumerator = NULL;
  GFileInfo *info;
  GFile *child;

  enumerator = g_file_enumerate_children (dir, G_FILE_ATTRIBUTE_STANDARD_NAME "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                          G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  if (enumerator == NULL)
    return FALSE;

  while (g_file_enumerator_iterate (enumerator, &info, &child, NULL, NULL) && info != NULL)
    {
      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
        {
          if (easel_test_tree_contains (child, needle, n_files))
            return TRUE;
        }
      else if (g_file_info_get_file_type (info) == G_FILE_TYPE_REGULAR)
        {
          g_autofree char *contents = NULL;
          gsize len = 0;

          (*n_files)++;
          if (g_file_load_contents (child, NULL, &contents, &len, NULL, NULL) &&
              memmem (contents, len, needle, strlen (needle)) != NULL)
            {
              g_autofree char *path = g_file_get_path (child);
              g_test_message ("found in %s", path);
              return TRUE;
            }
        }
    }
  return FALSE;
}

static void
name_acquired_cb (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  *(int *) user_data = 1;
}

static void
name_lost_cb (GDBusConnection *connection,
              const char      *name,
              gpointer         user_data)
{
  *(int *) user_data = -1;
}

static gboolean
name_settled (gpointer user_data)
{
  return *(int *) user_data != 0;
}

GDBusConnection *
easel_test_serve_on_session_bus (const char                 *bus_name,
                                 const char                 *object_path,
                                 const char                 *xml,
                                 const GDBusInterfaceVTable *vtable,
                                 gpointer                    user_data,
                                 gboolean                   *owned)
{
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GDBusNodeInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  int *state = g_new0 (int, 1);
  gboolean got;

  address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  connection = g_dbus_connection_new_for_address_sync (address,
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, &error);
  g_assert_no_error (error);
  info = g_dbus_node_info_new_for_xml (xml, &error);
  g_assert_no_error (error);
  g_dbus_connection_register_object (connection, object_path, info->interfaces[0], vtable, user_data, NULL, &error);
  g_assert_no_error (error);
  /* Owned for the rest of the test: the name, @state and the connection
   * go when the process does. */
  g_bus_own_name_on_connection (connection, bus_name, G_BUS_NAME_OWNER_FLAGS_NONE,
                                name_acquired_cb, name_lost_cb, state, g_free);
  g_assert_true (easel_test_wait_until (name_settled, state, 10000));
  got = *state == 1;
  if (owned != NULL)
    *owned = got;
  else
    g_assert_true (got);
  return g_steal_pointer (&connection);
}
