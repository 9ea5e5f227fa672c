/* easel-window-notify.c: a desktop notification when a turn finishes out of sight
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * When a turn finishes while the window does not have the focus, the
 * application sends a GNotification: what happened, the prompt, the turn's
 * thumbnail as its icon (encoded off the main loop), and a default action,
 * app.show-turn, that brings that conversation back up: in the window that
 * ran it while it still shows it, else loaded from the library.
 */

#define G_LOG_DOMAIN "easel-window-notify"

#include "config.h"

#include <glib/gi18n.h>

#include "easel-image-decoder.h"
#include "easel-text.h"
#include "easel-window-private.h"

#define NOTIFICATION_ID "generation-finished"
#define MAX_BODY_CHARS 200

static void
send_notification (EaselWindow   *self,
                   GNotification *notification)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  if (app == NULL)
    return;
  g_application_send_notification (G_APPLICATION (app), NOTIFICATION_ID, notification);
  self->notified = TRUE;
}

/* Back in the window, the news is stale. */
static void
is_active_cb (EaselWindow *self,
              GParamSpec  *pspec,
              gpointer     user_data)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  if (!self->notified || app == NULL || !gtk_window_is_active (GTK_WINDOW (self)))
    return;
  self->notified = FALSE;
  g_application_withdraw_notification (G_APPLICATION (app), NOTIFICATION_ID);
}

void
_easel_window_notify_init (EaselWindow *self)
{
  g_signal_connect (self, "notify::is-active", G_CALLBACK (is_active_cb), NULL);
}

typedef struct
{
  EaselWindow *window;
  GNotification *notification;
} IconData;

static void
icon_encoded_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  IconData *data = user_data;
  g_autoptr(EaselWindow) self = data->window;
  g_autoptr(GNotification) notification = data->notification;
  g_autoptr(GBytes) png = NULL;

  g_free (data);
  png = easel_image_encode_png_finish (result, NULL);
  if (png != NULL)
    {
      g_autoptr(GIcon) icon = g_bytes_icon_new (png);

      g_notification_set_icon (notification, icon);
    }
  /* Without its thumbnail the news is still worth telling. */
  send_notification (self, notification);
}

void
_easel_window_notify_turn (EaselWindow      *self,
                           EaselSessionTurn *turn)
{
  EaselTurnState state = easel_session_turn_get_state (turn);
  EaselLibraryLink *conversation_link;
  EaselLibraryLink *turn_link;
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *body = NULL;
  GdkTexture *thumbnail;

  g_return_if_fail (EASEL_IS_WINDOW (self));
  g_return_if_fail (EASEL_IS_SESSION_TURN (turn));

  if (gtk_window_get_application (GTK_WINDOW (self)) == NULL ||
      gtk_window_is_active (GTK_WINDOW (self)) ||
      (state != EASEL_TURN_DONE && state != EASEL_TURN_FAILED))
    return;

  notification = g_notification_new (state == EASEL_TURN_DONE ? _("Your image is ready")
                                                              : _("The image could not be made"));
  /* A restored or imported prompt came from outside. */
  body = easel_text_escape_untrusted_full (easel_session_turn_get_prompt (turn), -1, MAX_BODY_CHARS,
                                           EASEL_TEXT_ESCAPE_KEEP_NEWLINES);
  if (body != NULL)
    g_notification_set_body (notification, body);

  /* The window that ran it while it still shows it; else the library's
   * copy (ids 0 until the library wrote the rows). */
  conversation_link = self->conversation ? easel_session_get_library_link (self->conversation) : NULL;
  turn_link = easel_session_turn_get_library_link (turn);
  g_notification_set_default_action_and_target (notification, "app.show-turn", "(usxx)",
                                                gtk_application_window_get_id (GTK_APPLICATION_WINDOW (self)),
                                                easel_session_turn_get_id (turn),
                                                conversation_link ? easel_library_link_get_id (conversation_link) : (gint64) 0,
                                                turn_link ? easel_library_link_get_id (turn_link) : (gint64) 0);
  g_notification_add_button_with_target (notification, _("Open"), "app.show-turn", "(usxx)",
                                         gtk_application_window_get_id (GTK_APPLICATION_WINDOW (self)),
                                         easel_session_turn_get_id (turn),
                                         conversation_link ? easel_library_link_get_id (conversation_link) : (gint64) 0,
                                         turn_link ? easel_library_link_get_id (turn_link) : (gint64) 0);

  thumbnail = easel_session_turn_get_thumbnail (turn);
  if (thumbnail == NULL)
    {
      send_notification (self, notification);
      return;
    }

  {
    IconData *data = g_new0 (IconData, 1);

    data->window = g_object_ref (self);
    data->notification = g_steal_pointer (&notification);
    easel_image_encode_png_async (thumbnail, NULL, icon_encoded_cb, data);
  }
}

gboolean
easel_window_show_turn (EaselWindow *self,
                        const char  *turn_id)
{
  EaselSessionTurn *turn;
  GListModel *branch;

  g_return_val_if_fail (EASEL_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (turn_id != NULL, FALSE);

  if (self->conversation == NULL ||
      (turn = easel_session_find_turn (self->conversation, turn_id)) == NULL)
    return FALSE;

  adw_view_stack_set_visible_child_name (self->view_stack, "studio");
  branch = G_LIST_MODEL (self->conversation);
  for (guint i = 0; i < g_list_model_get_n_items (branch); i++)
    {
      g_autoptr(EaselSessionTurn) item = g_list_model_get_item (branch, i);

      if (item == turn)
        {
          gtk_single_selection_set_selected (self->selection, i);
          gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", i);
          break;
        }
    }
  return TRUE;
}
