/* easel-screenshot.h: a screenshot through the desktop portal
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Whether org.freedesktop.portal.Screenshot answers on the session bus
 * (D-Bus may start the portal to find out). FALSE with the reason in
 * @error. */
void     easel_screenshot_check_async  (GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
gboolean easel_screenshot_check_finish (GAsyncResult         *result,
                                        GError              **error);

/* Asks the portal for an interactive screenshot. Returns the file it
 * saved, or G_IO_ERROR_CANCELLED when the user dismissed the dialog. */
void     easel_screenshot_take_async   (GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
GFile   *easel_screenshot_take_finish  (GAsyncResult         *result,
                                        GError              **error);

G_END_DECLS
