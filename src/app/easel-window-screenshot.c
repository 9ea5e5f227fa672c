/* easel-window-screenshot.c: New From Screenshot
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The desktop's screenshot portal takes the picture; the file it saved is
 * opened as Open With opens one: a new conversation with it attached.
 * Where no portal answers, the action stays off and the button says why.
 */

#define G_LOG_DOMAIN "easel-window-screenshot"

#include "config.h"

#include <glib/gi18n.h>

#include "easel-screenshot.h"
#include "easel-window-private.h"

static void
taken_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(EaselWindow) self = user_data;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;

  file = easel_screenshot_take_finish (result, &error);
  if (gtk_widget_in_destruction (GTK_WIDGET (self)))
    return;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.new-from-screenshot", TRUE);
  if (file == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        easel_window_toast (self, error->message);
      return;
    }
  easel_window_open_files (self, &file, 1);
}

static void
new_from_screenshot_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *param)
{
  EaselWindow *self = EASEL_WINDOW (widget);

  /* One dialog at a time. */
  gtk_widget_action_set_enabled (widget, "win.new-from-screenshot", FALSE);
  easel_screenshot_take_async (self->cancellable, taken_cb, g_object_ref (self));
}

static void
checked_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(EaselWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean available = easel_screenshot_check_finish (result, &error);

  if (gtk_widget_in_destruction (GTK_WIDGET (self)) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.new-from-screenshot", available);
  if (available)
    gtk_widget_set_tooltip_text (self->screenshot_button, _("New From Screenshot"));
  else
    {
      g_debug ("No screenshot portal: %s", error->message);
      gtk_widget_set_tooltip_text (self->screenshot_button,
                                   _("New From Screenshot is unavailable: no screenshot portal answers on this desktop (xdg-desktop-portal)"));
    }
}

void
_easel_window_screenshot_init (EaselWindow *self)
{
  /* Off until the portal has answered. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.new-from-screenshot", FALSE);
  easel_screenshot_check_async (self->cancellable, checked_cb, g_object_ref (self));
}

void
_easel_window_screenshot_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.new-from-screenshot", NULL, new_from_screenshot_action);
}
