/* easel-window-library.c: the studio's conversations in the library
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every conversation and turn the studio makes is written to the store as
 * a tree (conversation → turns with their parents), and a stored
 * conversation can be loaded back into an EaselSession and continued.
 *
 * Store writes fsync, so they never run on the main loop: they go, in
 * order, through one worker thread. Order matters: a turn's row must exist
 * before its child's row names it as parent, and before the finished turn
 * is updated. The ids the store hands out live in small reference-counted
 * links attached to the EaselSession (the conversation) and to each
 * EaselSessionTurn; only the worker reads or writes their ids once a job
 * is queued, so they need no lock.
 */

#define G_LOG_DOMAIN "easel-window-library"

#include "config.h"

#include <glib/gi18n.h>

#include "easel-image-decoder.h"
#include "easel-thumbnailer.h"
#include "easel-window-private.h"

#include "easel-gallery.h"
#include "easel-spending-view.h"

#define FORGOTTEN_KEY "easel-library-forgotten"

/* The session hands its turns to the library; the window shows what
 * happened. */

static void
turn_stored_cb (EaselWindow      *self,
                EaselSessionTurn *turn)
{
  /* A stored image may leave memory once it is off the canvas. */
  _easel_window_trim_images (self);
  if (self->gallery && EASEL_IS_GALLERY (self->gallery))
    easel_gallery_reload (EASEL_GALLERY (self->gallery));
}

static void
library_error_cb (EaselWindow *self,
                  const char  *message)
{
  easel_window_toast (self, message);
}

void
_easel_window_library_attach (EaselWindow  *self,
                              EaselSession *conversation)
{
  easel_session_set_library (conversation, self->library);
  g_signal_connect_object (conversation, "turn-stored", G_CALLBACK (turn_stored_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (conversation, "library-error", G_CALLBACK (library_error_cb), self, G_CONNECT_SWAPPED);
}

/* The server forgot the response a turn continued from */

static gboolean
is_forgotten_response (const GError *error)
{
  g_autofree char *message = NULL;
  const char *code;

  if (error == NULL || error->domain != EASEL_API_ERROR)
    return FALSE;

  code = easel_api_error_get_error_code (error);
  if (g_strcmp0 (code, "previous_response_not_found") == 0)
    return TRUE;
  if (error->code != EASEL_API_ERROR_NOT_FOUND && error->code != EASEL_API_ERROR_BAD_REQUEST)
    return FALSE;

  message = g_utf8_strdown (error->message, -1);
  return strstr (message, "previous response") != NULL ||
         strstr (message, "previous_response") != NULL;
}

static const char *
forgotten_note (void)
{
  return _("The server forgot this conversation; sent the image instead");
}

static void
resend_without_previous (EaselWindow      *self,
                         EaselSessionTurn *turn,
                         GBytes           *parent_bytes)
{
  const EaselRequest *request = easel_session_turn_get_request (turn);
  EaselSessionTurn *parent = easel_session_turn_get_parent (turn);
  g_autoptr(EaselSessionTurn) resend = NULL;
  EaselRequest *copy;

  copy = easel_request_copy (request);
  g_clear_pointer (&copy->previous_response_id, g_free);

  resend = easel_session_turn_new (easel_session_turn_get_prompt (turn));
  g_object_set_data (G_OBJECT (resend), FORGOTTEN_KEY, GINT_TO_POINTER (TRUE));

  if (parent_bytes != NULL)
    {
      const char *mime = easel_session_turn_get_image_mime_type (parent);
      g_autofree char *name = g_strdup_printf ("previous.%s", easel_image_format_for_mime (mime));
      g_autoptr(EaselInputImage) image = NULL;

      image = easel_input_image_new_bytes (parent_bytes, name, mime ? mime : "image/png");
      if (easel_session_turn_get_thumbnail (parent))
        easel_session_turn_add_input (resend, easel_session_turn_get_thumbnail (parent), image);
      easel_request_add_image (copy, easel_input_image_copy (image));
    }

  /* The parent's response id is dead on the server: forget it here too, so
   * the session sends no previous_response_id and later sends from this
   * turn attach its image as well. */
  easel_session_turn_set_response_id (parent, NULL);
  easel_session_turn_set_status (turn, forgotten_note ());
  easel_session_set_head (self->conversation, parent);
  easel_session_send (self->conversation, self->client, resend, copy);
  easel_session_turn_set_status (resend, forgotten_note ());
}

typedef struct
{
  EaselWindow *window;
  EaselSessionTurn *turn;
} ForgottenData;

static void
forgotten_parent_loaded_cb (GObject      *object,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  ForgottenData *data = user_data;
  g_autoptr(EaselWindow) self = data->window;
  g_autoptr(EaselSessionTurn) turn = data->turn;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  g_free (data);
  bytes = easel_session_turn_load_image_bytes_finish (EASEL_SESSION_TURN (object), result, &error);
  if (bytes == NULL)
    g_warning ("Could not read the image to resend: %s", error->message);

  /* Another send may have started while the file was read. */
  if (self->conversation == NULL || easel_session_get_busy (self->conversation) ||
      easel_session_find_turn (self->conversation, easel_session_turn_get_id (turn)) != turn)
    return;
  resend_without_previous (self, turn, bytes);
}

gboolean
_easel_window_library_handle_forgotten (EaselWindow      *self,
                                        EaselSessionTurn *turn)
{
  const EaselRequest *request = easel_session_turn_get_request (turn);
  EaselSessionTurn *parent = easel_session_turn_get_parent (turn);
  ForgottenData *data;

  if (g_object_get_data (G_OBJECT (turn), FORGOTTEN_KEY) != NULL)
    {
      /* The resent turn finished: say why it looks different. */
      easel_session_turn_set_status (turn, forgotten_note ());
      return FALSE;
    }

  if (easel_session_turn_get_state (turn) != EASEL_TURN_FAILED ||
      request == NULL || request->api != EASEL_API_RESPONSES ||
      request->previous_response_id == NULL || parent == NULL ||
      !is_forgotten_response (easel_session_turn_get_error (turn)) ||
      easel_session_get_busy (self->conversation))
    return FALSE;

  if (easel_session_turn_get_image_bytes (parent) != NULL ||
      easel_session_turn_get_image_file (parent) == NULL)
    {
      resend_without_previous (self, turn, easel_session_turn_get_image_bytes (parent));
      return TRUE;
    }

  /* The parent is off the canvas and kept only its thumbnail: read its
   * image back from the library first. */
  data = g_new0 (ForgottenData, 1);
  data->window = g_object_ref (self);
  data->turn = g_object_ref (turn);
  easel_session_turn_load_image_bytes_async (parent, NULL, forgotten_parent_loaded_cb, data);
  return TRUE;
}

/* Continuing a stored conversation */

/* The window's conversation has at least one turn: a restore at start-up
 * must not replace it. */
static gboolean
conversation_started (EaselWindow *self)
{
  /* Images opened from Files count too, before they are even read. */
  if (self->files_opened)
    return TRUE;
  return self->conversation != NULL &&
         g_list_model_get_n_items (easel_session_get_all_turns (self->conversation)) > 0;
}

typedef struct
{
  EaselWindow *window;
  gboolean restoring;
} LoadData;

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  LoadData *data = user_data;
  g_autoptr(EaselWindow) self = data->window;
  gboolean restoring = data->restoring;
  g_autoptr(EaselStoredConversation) loaded = NULL;
  g_autoptr(EaselSession) session = NULL;
  g_autoptr(GError) error = NULL;

  g_free (data);
  loaded = easel_library_load_conversation_finish (EASEL_LIBRARY (object), result, &error);
  if (loaded == NULL)
    {
      g_autofree char *message = NULL;

      /* Reopening on an empty library is the ordinary first start. */
      if (restoring && g_error_matches (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_NOT_FOUND))
        return;
      message = g_strdup_printf (_("Could not open the conversation: %s"), error->message);
      easel_window_toast (self, message);
      return;
    }
  /* The window went away meanwhile; or something was started in it while
   * the last conversation was being read: what the user did wins over
   * what they left. */
  if (gtk_widget_in_destruction (GTK_WIDGET (self)) || (restoring && conversation_started (self)))
    return;

  session = easel_session_new_for_stored (loaded);
  _easel_window_set_conversation (self, session);
  adw_view_stack_set_visible_child_name (self->view_stack, "studio");
  easel_composer_focus (self->composer);
}

static void
load_conversation (EaselWindow *self,
                   gint64       conversation_id,
                   gint64       turn_id,
                   gboolean     restoring)
{
  LoadData *data = g_new0 (LoadData, 1);

  data->window = g_object_ref (self);
  data->restoring = restoring;
  easel_library_load_conversation_async (self->library, conversation_id, turn_id, NULL, loaded_cb, data);
}

/* Quit and reopen: the first window comes back on the conversation the
 * user was last working on. */
void
_easel_window_library_restore_last (EaselWindow *self)
{
  g_return_if_fail (EASEL_IS_WINDOW (self));

  if (!_easel_window_library_ready (self) || conversation_started (self))
    return;
  self->restore_last = FALSE;
  load_conversation (self, 0, 0, TRUE);
}

void
easel_window_continue_conversation (EaselWindow *self,
                                    gint64       conversation_id,
                                    gint64       turn_id)
{
  g_return_if_fail (EASEL_IS_WINDOW (self));

  if (!_easel_window_library_ready (self) || conversation_id <= 0)
    {
      easel_window_toast (self, _("This image belongs to no stored conversation"));
      return;
    }
  load_conversation (self, conversation_id, turn_id, FALSE);
}

/* Import by drop onto the window */

void
easel_window_import_file (EaselWindow *self,
                          GFile       *file)
{
  g_return_if_fail (EASEL_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  /* The gallery knows Easel PNGs: it restores the conversation and emits
   * "continue-conversation", or "use-as-input" for any other image; the
   * window follows both signals. */
  if (self->gallery && EASEL_IS_GALLERY (self->gallery))
    {
      easel_gallery_import_file (EASEL_GALLERY (self->gallery), file);
      return;
    }
  easel_composer_add_file (self->composer, file);
  adw_view_stack_set_visible_child_name (self->view_stack, "studio");
}

/* Open With */

static void
open_queued_files (EaselWindow *self)
{
  g_autoptr(GPtrArray) files = g_steal_pointer (&self->files_to_open);

  if (files == NULL)
    return;
  for (guint i = 0; i < files->len; i++)
    easel_window_import_file (self, g_ptr_array_index (files, i));
}

void
easel_window_open_files (EaselWindow  *self,
                         GFile       **files,
                         int           n_files)
{
  g_return_if_fail (EASEL_IS_WINDOW (self));
  g_return_if_fail (files != NULL || n_files == 0);

  if (n_files <= 0)
    return;

  /* What the user opened wins over the conversation they left. */
  self->files_opened = TRUE;
  self->restore_last = FALSE;
  _easel_window_new_conversation (self);
  gtk_widget_activate_action (GTK_WIDGET (self->composer), "composer.clear-attachments", NULL);
  adw_view_stack_set_visible_child_name (self->view_stack, "studio");
  easel_composer_focus (self->composer);

  if (self->files_to_open == NULL)
    self->files_to_open = g_ptr_array_new_with_free_func (g_object_unref);
  for (int i = 0; i < n_files; i++)
    g_ptr_array_add (self->files_to_open, g_object_ref (files[i]));

  /* Only the gallery knows Easel PNGs, and it exists once the library has
   * opened (or failed to): until then the files wait. */
  if (self->library == NULL || easel_library_get_state (self->library) != EASEL_LIBRARY_STATE_LOADING)
    open_queued_files (self);
}

static gboolean
window_drop_cb (GtkDropTarget *target,
                const GValue  *value,
                double         x,
                double         y,
                EaselWindow   *self)
{
  GSList *files;

  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  files = g_value_get_boxed (value);
  if (files == NULL)
    return FALSE;

  /* An Easel PNG restores one conversation; other images all attach. */
  for (GSList *l = files; l != NULL; l = l->next)
    easel_window_import_file (self, G_FILE (l->data));
  return TRUE;
}

void
_easel_window_library_init (EaselWindow *self)
{
  GtkDropTarget *target = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);

  g_signal_connect_object (target, "drop", G_CALLBACK (window_drop_cb), self, 0);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (target));
}

/* The library: the window follows its state */

static void
show_library_loading (EaselWindow *self)
{
  GtkWidget *page = adw_status_page_new ();
  GtkWidget *spinner = gtk_spinner_new ();

  gtk_spinner_start (GTK_SPINNER (spinner));
  gtk_widget_set_size_request (spinner, 32, 32);
  gtk_widget_set_halign (spinner, GTK_ALIGN_CENTER);
  adw_status_page_set_title (ADW_STATUS_PAGE (page), _("Opening the Library…"));
  adw_status_page_set_child (ADW_STATUS_PAGE (page), spinner);
  adw_bin_set_child (self->gallery_bin, page);
}

static void
ensure_gallery (EaselWindow *self)
{
  if (self->gallery != NULL)
    return;
  self->gallery = easel_gallery_new (self->library);
  adw_bin_set_child (self->gallery_bin, self->gallery);
  g_signal_connect_object (self->gallery, "toast", G_CALLBACK (easel_window_toast), self, G_CONNECT_SWAPPED);
  _easel_window_connect_gallery (self);
  if (self->gallery_search != NULL)
    {
      g_autofree char *text = g_steal_pointer (&self->gallery_search);

      easel_gallery_set_search_text (EASEL_GALLERY (self->gallery), text);
    }
}

/* GNOME Shell's search */

static gpointer
get_generation (EaselStore  *store,
                gpointer     data,
                GError     **error)
{
  return easel_store_get_generation (store, *(gint64 *) data, error);
}

static void
generation_loaded_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(EaselWindow) self = user_data;
  g_autoptr(EaselGeneration) generation = NULL;
  g_autoptr(GError) error = NULL;

  generation = easel_library_run_finish (EASEL_LIBRARY (object), result, &error);
  if (gtk_widget_in_destruction (GTK_WIDGET (self)))
    return;
  if (generation == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("Could not show the image: %s"), error->message);

      easel_window_toast (self, message);
      return;
    }
  ensure_gallery (self);
  adw_view_stack_set_visible_child_name (self->view_stack, "gallery");
  if (EASEL_IS_GALLERY (self->gallery))
    easel_gallery_show_generation (EASEL_GALLERY (self->gallery), generation);
}

void
easel_window_show_generation (EaselWindow *self,
                              gint64       generation_id)
{
  g_return_if_fail (EASEL_IS_WINDOW (self));

  if (self->library == NULL)
    return;
  adw_view_stack_set_visible_child_name (self->view_stack, "gallery");
  easel_library_run_async (self->library, get_generation, g_memdup2 (&generation_id, sizeof generation_id),
                           g_free, g_object_unref, self->cancellable, generation_loaded_cb, g_object_ref (self));
}

void
easel_window_search_gallery (EaselWindow *self,
                             const char  *text)
{
  g_return_if_fail (EASEL_IS_WINDOW (self));

  adw_view_stack_set_visible_child_name (self->view_stack, "gallery");
  if (self->gallery != NULL && EASEL_IS_GALLERY (self->gallery))
    easel_gallery_set_search_text (EASEL_GALLERY (self->gallery), text);
  else
    {
      g_free (self->gallery_search);
      self->gallery_search = g_strdup (text);
    }
}

/* The Spending page reads the library itself, in its worker, whatever
 * state it is in now. */
static void
ensure_spending (EaselWindow *self)
{
  g_autoptr(EaselSpending) spending = NULL;

  if (self->spending_view != NULL)
    return;
  spending = easel_spending_new (self->library, self->settings);
  self->spending_view = easel_spending_view_new (spending);
  adw_bin_set_child (self->spending_bin, self->spending_view);
  adw_view_stack_page_set_visible (self->spending_page, TRUE);
}

static void
library_state_cb (EaselWindow  *self,
                  GParamSpec   *pspec,
                  EaselLibrary *library)
{
  switch (easel_library_get_state (library))
    {
    case EASEL_LIBRARY_STATE_LOADING:
      if (self->gallery == NULL)
        show_library_loading (self);
      break;

    case EASEL_LIBRARY_STATE_READY:
      ensure_gallery (self);
      if (self->restore_last)
        {
          self->restore_last = FALSE;
          _easel_window_library_restore_last (self);
        }
      if (self->recover_pending)
        _easel_window_recover_pending (self);
      open_queued_files (self);
      break;

    case EASEL_LIBRARY_STATE_ERROR:
    default:
      /* The gallery shows why, with a way out (back up, start anew). */
      ensure_gallery (self);
      open_queued_files (self);
      break;
    }
  _easel_window_update_actions (self);
}

gboolean
_easel_window_library_ready (EaselWindow *self)
{
  return self->library != NULL && easel_library_get_state (self->library) == EASEL_LIBRARY_STATE_READY;
}

void
_easel_window_library_follow (EaselWindow *self,
                              gboolean     restore_last)
{
  g_return_if_fail (EASEL_IS_WINDOW (self));

  if (self->library == NULL)
    return;
  ensure_spending (self);
  self->restore_last = restore_last;
  g_signal_connect_object (self->library, "notify::state", G_CALLBACK (library_state_cb), self,
                           G_CONNECT_SWAPPED);
  library_state_cb (self, NULL, self->library);
}
