/* easel-window-actions.c: what the studio window does (win.* actions)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-window-actions"

#include "config.h"

#include "easel-toast.h"
#include "easel-json.h"

#include <glib/gi18n.h>

#include "easel-canvas-studio.h"
#include "easel-window-private.h"

#include "easel-gallery.h"

static EaselInputImage *
canvas_input_image (EaselSessionTurn *turn)
{
  GBytes *bytes = turn ? easel_session_turn_get_image_bytes (turn) : NULL;
  const char *mime = turn ? easel_session_turn_get_image_mime_type (turn) : NULL;
  g_autofree char *name = g_strdup_printf ("canvas.%s", easel_image_format_for_mime (mime));

  if (bytes == NULL)
    return NULL;
  return easel_input_image_new_bytes (bytes, name, mime);
}

static void
send_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  EaselWindow *self = EASEL_WINDOW (widget);
  g_autofree char *prompt = easel_composer_dup_text (self->composer);
  GPtrArray *attachments = easel_composer_get_attachments (self->composer);
  GListModel *thumbnails = easel_composer_get_thumbnails (self->composer);
  EaselSessionTurn *head = easel_session_get_head (self->conversation);
  g_autoptr(EaselRequest) request = NULL;
  g_autoptr(EaselSessionTurn) turn = NULL;
  g_autoptr(EaselInputImage) canvas_image = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *action = NULL;
  guint n_images;

  if (easel_session_get_busy (self->conversation))
    return;

  if (prompt == NULL || *prompt == 0)
    {
      easel_window_toast (self, _("Describe what you want first"));
      easel_composer_focus (self->composer);
      return;
    }

  if (!easel_client_has_api_key (self->client))
    {
      gtk_widget_activate_action (widget, "win.show-key-preferences", NULL);
      return;
    }

  /* An edit applies to the image on the canvas, whichever turn it came
   * from (a masked edit, or an Images API edit): it continues from that
   * turn, as Continue From Here does. */
  g_object_get (self->params, "action", &action, NULL);
  if (easel_canvas_has_mask_selection (self->canvas) ||
      (easel_params_is_images_api (self->params) && g_strcmp0 (action, "edit") == 0 && attachments->len == 0))
    {
      EaselSessionTurn *shown = easel_session_turn_find_image_turn (gtk_single_selection_get_selected_item (self->selection));

      if (shown != NULL && shown != head)
        {
          easel_session_set_head (self->conversation, shown);
          head = shown;
        }
    }

  /* Editing the image on the canvas: the Images API needs it sent again;
   * the Responses API already has it through previous_response_id, unless
   * the turn has no response id (restored from the library). */
  if (head != NULL && attachments->len == 0 &&
      ((easel_params_is_images_api (self->params) && g_strcmp0 (action, "edit") == 0) ||
       (!easel_params_is_images_api (self->params) && easel_session_turn_get_response_id (head) == NULL)))
    canvas_image = canvas_input_image (head);

  n_images = attachments->len + (canvas_image ? 1 : 0);
  request = easel_params_build_request (self->params, prompt, n_images);
  if (canvas_image)
    easel_request_add_image (request, easel_input_image_copy (canvas_image));
  for (guint i = 0; i < attachments->len; i++)
    easel_request_add_image (request, easel_input_image_copy (g_ptr_array_index (attachments, i)));

  if (!easel_request_validate (request, &error) ||
      !easel_request_check_retired (request, NULL, &error))
    {
      easel_window_toast (self, error->message);
      return;
    }

  if (!_easel_window_budget_approved (self, request))
    return;
  /* An edited prompt goes out now (as a plain or a masked turn). */
  _easel_window_end_edit (self);

  turn = easel_session_turn_new (prompt);
  for (guint i = 0; i < g_list_model_get_n_items (thumbnails); i++)
    {
      g_autoptr(GdkTexture) thumb = g_list_model_get_item (thumbnails, i);
      easel_session_turn_add_input (turn, thumb, g_ptr_array_index (attachments, i));
    }

  /* A mask on the canvas turns this into a masked edit (easel-canvas-studio.c). */
  if (easel_canvas_studio_send (self, head, turn, &request))
    return;

  easel_session_send (self->conversation, self->client, turn, g_steal_pointer (&request));
  easel_composer_clear (self->composer);
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  EaselWindow *self = EASEL_WINDOW (widget);

  /* Escape while editing a sent prompt: the edit is dropped and the branch
   * that was on show comes back. Otherwise it stops a running request. */
  if (self->editing && !easel_session_get_busy (self->conversation))
    {
      g_autoptr(EaselSessionTurn) back = g_weak_ref_get (&self->edit_return_head);

      _easel_window_end_edit (self);
      if (back != NULL)
        easel_session_set_head (self->conversation, back);
      easel_composer_set_text (self->composer, "");
      return;
    }
  easel_session_cancel (self->conversation);
}

static void
new_conversation_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *param)
{
  EaselWindow *self = EASEL_WINDOW (widget);

  _easel_window_new_conversation (self);
  adw_view_stack_set_visible_child_name (self->view_stack, "studio");
  easel_composer_focus (self->composer);
}

static EaselSessionTurn *
turn_from_param (EaselWindow *self,
                 GVariant    *param)
{
  return easel_session_find_turn (self->conversation, g_variant_get_string (param, NULL));
}

static void
continue_from_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  EaselWindow *self = EASEL_WINDOW (widget);
  EaselSessionTurn *turn = turn_from_param (self, param);

  if (turn == NULL || easel_session_get_busy (self->conversation))
    return;
  easel_session_set_head (self->conversation, turn);
  easel_window_toast (self, _("The next message continues from this turn, on a new branch"));
  easel_composer_focus (self->composer);
}

/* Edit a sent prompt, as ChatGPT's edit does: the prompt comes back into
 * the composer, and sending it makes a new branch beside the turn (from
 * the turn's parent), so the original stays one branch away. */
static void
edit_turn_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  EaselWindow *self = EASEL_WINDOW (widget);
  EaselSessionTurn *turn = turn_from_param (self, param);

  if (turn == NULL || easel_session_get_busy (self->conversation))
    return;
  /* Escape brings back the branch that was on show (cancel_action). */
  if (!self->editing)
    g_weak_ref_set (&self->edit_return_head, easel_session_get_head (self->conversation));
  self->editing = TRUE;
  _easel_window_update_actions (self);
  easel_session_set_head (self->conversation, easel_session_turn_get_parent (turn));
  easel_composer_set_text (self->composer, easel_session_turn_get_prompt (turn));
  easel_window_toast (self, _("Edit the prompt and send it: it goes out as a new branch beside the old one"));
  _easel_window_queue_send_target (self);
  easel_composer_focus (self->composer);
}

static void
retry_turn_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  EaselWindow *self = EASEL_WINDOW (widget);
  EaselSessionTurn *turn = turn_from_param (self, param);

  g_autofree char *current = NULL;

  if (turn == NULL || easel_session_get_busy (self->conversation))
    return;
  /* The failed prompt was put back into the composer; it is being sent
   * again now, so it leaves the composer (an edited one stays). */
  current = easel_composer_dup_text (self->composer);
  if (current != NULL && g_strcmp0 (g_strstrip (current), easel_session_turn_get_prompt (turn)) == 0)
    easel_composer_set_text (self->composer, "");
  easel_session_retry (self->conversation, self->client, turn);
  /* The row's Retry button hides with its error; left to GTK, focus would
   * fall on a selectable label nearby, which selects all its text. */
  easel_composer_focus (self->composer);
}

static void
switch_branch_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  EaselWindow *self = EASEL_WINDOW (widget);
  const char *id = NULL;
  int delta = 0;
  EaselSessionTurn *turn;

  g_variant_get (param, "(&si)", &id, &delta);
  turn = easel_session_find_turn (self->conversation, id);
  if (turn == NULL || easel_session_get_busy (self->conversation))
    return;
  easel_session_switch_branch (self->conversation, turn, delta);
}

static void
show_key_preferences_action (GtkWidget  *widget,
                             const char *action_name,
                             GVariant   *param)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (widget));

  if (EASEL_IS_APPLICATION (app))
    easel_application_show_preferences (EASEL_APPLICATION (app), TRUE);
}

static void
search_gallery_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  EaselWindow *self = EASEL_WINDOW (widget);

  adw_view_stack_set_visible_child_name (self->view_stack, "gallery");
  if (EASEL_IS_GALLERY (self->gallery))
    easel_gallery_focus_search (EASEL_GALLERY (self->gallery));
}

static void
canvas_history_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  EaselWindow *self = EASEL_WINDOW (widget);

  /* The prompt keeps its own text undo; elsewhere Ctrl+Z means the canvas. */
  gtk_widget_activate_action (GTK_WIDGET (self->canvas),
                              g_str_equal (action_name, "win.canvas-undo") ? "canvas.undo" : "canvas.redo",
                              NULL);
}

void
_easel_window_update_actions (EaselWindow *self)
{
  gboolean busy = self->conversation && easel_session_get_busy (self->conversation);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.send", !busy);
  /* Escape stops a request, or drops an edit of a sent prompt. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.cancel", busy || self->editing);
}

/* Finished turns: library, notification, errors */

/* The session hands the turn to the library itself (easel-session-library.c). */

void
_easel_window_turn_finished (EaselWindow      *self,
                             EaselSessionTurn *turn)
{
  EaselTurnState state = easel_session_turn_get_state (turn);
  const GError *error = easel_session_turn_get_error (turn);

  easel_canvas_studio_turn_finished (self, turn);

  /* A 404 for the previous response: resent at once with the image. */
  if (_easel_window_library_handle_forgotten (self, turn))
    return;

  /* What the user wrote is not lost: a failed or cancelled prompt goes
   * back into an empty composer, ready to change and send again. */
  if ((state == EASEL_TURN_FAILED || state == EASEL_TURN_CANCELLED) &&
      easel_session_turn_get_prompt (turn) != NULL)
    {
      g_autofree char *current = easel_composer_dup_text (self->composer);

      if (current == NULL || *g_strstrip (current) == '\0')
        easel_composer_set_text (self->composer, easel_session_turn_get_prompt (turn));
    }

  /* The error itself is in the turn, in full, with its actions; the toast
   * only points there, so a long message never covers the conversation. */
  if (state == EASEL_TURN_FAILED && error != NULL)
    {
      gboolean auth = g_error_matches (error, EASEL_API_ERROR, EASEL_API_ERROR_AUTHENTICATION);
      AdwToast *toast = adw_toast_new (auth ? _("The API key was refused: the conversation says why")
                                            : _("The image could not be made: the conversation says why"));

      if (auth)
        {
          adw_toast_set_button_label (toast, _("Set Key"));
          adw_toast_set_action_name (toast, "win.show-key-preferences");
        }
      else
        {
          adw_toast_set_button_label (toast, _("Retry"));
          adw_toast_set_action_name (toast, "win.retry-turn");
          adw_toast_set_action_target_value (toast, g_variant_new_string (easel_session_turn_get_id (turn)));
        }
      adw_toast_set_timeout (toast, 8);
      _easel_window_add_toast (self, toast);
    }

  _easel_window_notify_turn (self, turn);
}

static void
gallery_continue_cb (EaselWindow *self,
                     gint64       conversation_id,
                     gint64       turn_id)
{
  easel_window_continue_conversation (self, conversation_id, turn_id);
}

static void
gallery_reuse_cb (EaselWindow *self,
                  const char  *params_json)
{
  g_autoptr(JsonNode) root = params_json ? easel_json_parse (params_json, -1, NULL) : NULL;
  const char *prompt = NULL;

  /* A fresh generation, not a follow-up in whatever conversation is open
   * (one that is drawing is left to finish). */
  if (self->conversation != NULL && !easel_session_get_busy (self->conversation) &&
      g_list_model_get_n_items (G_LIST_MODEL (self->conversation)) > 0)
    _easel_window_new_conversation (self);

  /* The API, every parameter the request set (the others back to their
   * defaults) and the prompt: ready to send again or to change. */
  easel_params_apply_json (self->params, params_json);
  if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
    prompt = json_object_get_string_member_with_default (json_node_get_object (root), "prompt", NULL);
  if (prompt != NULL)
    easel_composer_set_text (self->composer, prompt);
  adw_view_stack_set_visible_child_name (self->view_stack, "studio");
  easel_composer_focus (self->composer);
  easel_window_toast (self, _("Parameters and prompt reused"));
}

static void
gallery_use_as_input_cb (EaselWindow *self,
                         GFile       *file)
{
  easel_composer_add_file (self->composer, file);
  adw_view_stack_set_visible_child_name (self->view_stack, "studio");
  easel_composer_focus (self->composer);
}

void
_easel_window_connect_gallery (EaselWindow *self)
{
  g_signal_connect_object (self->gallery, "continue-conversation", G_CALLBACK (gallery_continue_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->gallery, "reuse-parameters", G_CALLBACK (gallery_reuse_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->gallery, "use-as-input", G_CALLBACK (gallery_use_as_input_cb), self, G_CONNECT_SWAPPED);
}

void
_easel_window_class_init_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.send", NULL, send_action);
  gtk_widget_class_install_action (widget_class, "win.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "win.new-conversation", NULL, new_conversation_action);
  gtk_widget_class_install_action (widget_class, "win.continue-from", "s", continue_from_action);
  gtk_widget_class_install_action (widget_class, "win.retry-turn", "s", retry_turn_action);
  gtk_widget_class_install_action (widget_class, "win.edit-turn", "s", edit_turn_action);
  gtk_widget_class_install_action (widget_class, "win.switch-branch", "(si)", switch_branch_action);
  gtk_widget_class_install_action (widget_class, "win.show-key-preferences", NULL, show_key_preferences_action);
  gtk_widget_class_install_action (widget_class, "win.search-gallery", NULL, search_gallery_action);
  gtk_widget_class_install_action (widget_class, "win.canvas-undo", NULL, canvas_history_action);
  gtk_widget_class_install_action (widget_class, "win.canvas-redo", NULL, canvas_history_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "win.cancel", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "win.new-conversation", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "win.search-gallery", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "win.send", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Enter, GDK_CONTROL_MASK, "win.send", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_z, GDK_CONTROL_MASK, "win.canvas-undo", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_z, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.canvas-redo", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Z, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.canvas-redo", NULL);
}
