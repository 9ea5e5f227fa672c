/* gui-test-widgets.c: widget lookups the studio's UI tests share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "gui-test-util.h"
#include "gui-test-widgets.h"

void
easel_test_backend_open (EaselTestBackend *b,
                         const char       *name,
                         guint             event_delay_ms,
                         int               image_size)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key = g_strdup_printf ("sk-test-%s", name);
  g_autofree char *template = g_strdup_printf ("easel-%s-XXXXXX", name);

  b->server = easel_fake_server_new (&error);
  g_assert_no_error (error);
  easel_fake_server_set_event_delay_ms (b->server, event_delay_ms);
  easel_fake_server_set_image_size (b->server, image_size, image_size);
  b->client = easel_client_new (easel_fake_server_get_base_url (b->server), key);

  b->dir = g_dir_make_tmp (template, &error);
  g_assert_no_error (error);
  b->store = easel_store_open (b->dir, &error);
  g_assert_no_error (error);
  b->library = easel_library_new_for_store (b->store);
}

void
easel_test_backend_close (EaselTestBackend *b)
{
  if (b->library != NULL)
    easel_library_flush (b->library);
  g_clear_object (&b->library);
  g_clear_object (&b->store);
  g_clear_object (&b->client);
  g_clear_pointer (&b->server, easel_fake_server_free);
  if (b->dir != NULL)
    easel_test_rm_rf (b->dir);
  g_clear_pointer (&b->dir, g_free);
}

GtkWindow *
easel_test_find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return window;
    }
  return NULL;
}
