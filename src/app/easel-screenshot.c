/* easel-screenshot.c: a screenshot through the desktop portal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * org.freedesktop.portal.Screenshot, spoken over GDBus: the call returns a
 * request object at once and the answer comes later as its Response
 * signal. The signal is subscribed to before the call, on the request path
 * the portal will use (derived from our unique name and a token), so a
 * quick answer is never missed.
 */

#define G_LOG_DOMAIN "easel-screenshot"

#include "config.h"

#include <glib/gi18n.h>

#include "easel-screenshot.h"

#define PORTAL_BUS_NAME "org.freedesktop.portal.Desktop"
#define PORTAL_OBJECT_PATH "/org/freedesktop/portal/desktop"
#define PORTAL_SCREENSHOT "org.freedesktop.portal.Screenshot"
#define PORTAL_REQUEST "org.freedesktop.portal.Request"
#define TIMEOUT_MS 30000

/* Availability */

static void
version_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GVariant) reply = NULL;
  GError *error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);
  if (reply == NULL)
    {
      g_dbus_error_strip_remote_error (error);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
check_bus_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GDBusConnection) bus = NULL;
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;

  bus = g_bus_get_finish (result, &error);
  if (bus == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_dbus_connection_call (bus, PORTAL_BUS_NAME, PORTAL_OBJECT_PATH,
                          "org.freedesktop.DBus.Properties", "Get",
                          g_variant_new ("(ss)", PORTAL_SCREENSHOT, "version"),
                          G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, TIMEOUT_MS,
                          cancellable, version_cb, g_steal_pointer (&task));
}

void
easel_screenshot_check_async (GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, easel_screenshot_check_async);
  g_bus_get (G_BUS_TYPE_SESSION, cancellable, check_bus_cb, task);
}

gboolean
easel_screenshot_check_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Taking one */

typedef struct
{
  GDBusConnection *bus;
  guint response_id;
} TakeData;

static void
take_data_free (TakeData *data)
{
  if (data->response_id != 0)
    g_dbus_connection_signal_unsubscribe (data->bus, data->response_id);
  g_clear_object (&data->bus);
  g_free (data);
}

static void
response_cb (GDBusConnection *connection,
             const char      *sender_name,
             const char      *object_path,
             const char      *interface_name,
             const char      *signal_name,
             GVariant        *parameters,
             gpointer         user_data)
{
  GTask *task = user_data;
  TakeData *data = g_task_get_task_data (task);
  g_autoptr(GVariant) results = NULL;
  const char *uri = NULL;
  guint32 response = 2;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(ua{sv})")))
    return;
  /* One answer per request. */
  g_dbus_connection_signal_unsubscribe (data->bus, data->response_id);
  data->response_id = 0;

  g_variant_get (parameters, "(u@a{sv})", &response, &results);
  if (response == 1)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The screenshot was cancelled"));
  else if (response != 0 || !g_variant_lookup (results, "uri", "&s", &uri) ||
           !g_str_has_prefix (uri, "file://"))
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, _("The screenshot could not be taken"));
  else
    g_task_return_pointer (task, g_file_new_for_uri (uri), g_object_unref);
  g_object_unref (task);
}

static void
screenshot_called_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GVariant) reply = NULL;
  TakeData *data = g_task_get_task_data (task);
  GError *error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (object), result, &error);
  if (reply == NULL)
    {
      /* No answer will come: drop the subscription and its task reference. */
      if (data->response_id != 0)
        {
          g_dbus_connection_signal_unsubscribe (data->bus, data->response_id);
          data->response_id = 0;
          g_object_unref (task);
        }
      g_dbus_error_strip_remote_error (error);
      g_task_return_error (task, error);
    }
  /* Otherwise Response finishes the task. */
}

void
easel_screenshot_take_async (GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *sender = NULL;
  g_autofree char *request_path = NULL;
  GVariantBuilder options;
  TakeData *data;

  g_task_set_source_tag (task, easel_screenshot_take_async);
  data = g_new0 (TakeData, 1);
  g_task_set_task_data (task, data, (GDestroyNotify) take_data_free);

  data->bus = g_bus_get_sync (G_BUS_TYPE_SESSION, cancellable, &error);
  if (data->bus == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  token = g_strdup_printf ("easel%u", g_random_int ());
  sender = g_strdelimit (g_strdup (g_dbus_connection_get_unique_name (data->bus) + 1), ".", '_');
  request_path = g_strdup_printf ("/org/freedesktop/portal/desktop/request/%s/%s", sender, token);
  /* The subscription holds a task reference until Response arrives. */
  data->response_id = g_dbus_connection_signal_subscribe (data->bus, PORTAL_BUS_NAME, PORTAL_REQUEST,
                                                          "Response", request_path, NULL,
                                                          G_DBUS_SIGNAL_FLAGS_NONE,
                                                          response_cb, g_object_ref (task), NULL);

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "handle_token", g_variant_new_string (token));
  g_variant_builder_add (&options, "{sv}", "interactive", g_variant_new_boolean (TRUE));
  g_variant_builder_add (&options, "{sv}", "modal", g_variant_new_boolean (TRUE));
  g_dbus_connection_call (data->bus, PORTAL_BUS_NAME, PORTAL_OBJECT_PATH, PORTAL_SCREENSHOT, "Screenshot",
                          g_variant_new ("(sa{sv})", "", &options), G_VARIANT_TYPE ("(o)"),
                          G_DBUS_CALL_FLAGS_NONE, TIMEOUT_MS, cancellable,
                          screenshot_called_cb, g_object_ref (task));
}

GFile *
easel_screenshot_take_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
