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

#define FORGOTTEN_KEY "easel-library-forgotten"

/* Writes: the window hands turns to the library, which records them */

static void
library_write_failed (EaselWindow  *self,
                      const GError *error)
{
  g_autofree char *message = g_strdup_printf (_("Could not save to the library: %s"), error->message);

  g_warning ("%s", message);
  easel_window_toast (self, message);
}

static void
turn_added_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(EaselWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (easel_library_add_turn_finish (EASEL_LIBRARY (object), result, &error) == 0)
    library_write_failed (self, error);
}

static void
picked_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(EaselWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (easel_library_pick_finish (EASEL_LIBRARY (object), result, &error) == 0)
    library_write_failed (self, error);
  else if (self->gallery && EASEL_IS_GALLERY (self->gallery))
    easel_gallery_reload (EASEL_GALLERY (self->gallery));
}

/* Another image of an n>1 answer picked after it was recorded: the
 * library marks it, and the turn's row shows it from now on. */
static void
turn_picked_cb (EaselWindow      *self,
                GParamSpec       *pspec,
                EaselSessionTurn *turn)
{
  EaselLibraryLink *link = easel_session_turn_get_library_link (turn);

  if (!_easel_window_library_ready (self) || link == NULL || self->conversation == NULL ||
      !easel_session_turn_is_finished (turn))
    return;
  easel_library_pick_async (self->library, easel_session_get_library_link (self->conversation), link,
                            easel_session_turn_get_picked (turn), picked_cb, g_object_ref (self));
}

/* New turns: a row as soon as the turn is sent */
static void
persist_new_turn (EaselWindow      *self,
                  EaselSessionTurn *turn)
{
  const EaselRequest *request = easel_session_turn_get_request (turn);
  EaselSessionTurn *parent = easel_session_turn_get_parent (turn);
  g_autoptr(EaselLibraryLink) link = easel_library_link_new (0);

  easel_session_turn_set_library_link (turn, link);
  g_signal_connect_object (turn, "notify::picked", G_CALLBACK (turn_picked_cb), self, G_CONNECT_SWAPPED);
  easel_library_add_turn_async (self->library,
                                easel_session_get_library_link (self->conversation),
                                link,
                                parent ? easel_session_turn_get_library_link (parent) : NULL,
                                easel_session_turn_get_prompt (turn),
                                request ? request->previous_response_id : NULL,
                                turn_added_cb, g_object_ref (self));
}

static void
all_turns_changed_cb (EaselWindow *self,
                      guint        position,
                      guint        removed,
                      guint        added,
                      GListModel  *all_turns)
{
  if (!_easel_window_library_ready (self) || self->conversation == NULL ||
      easel_session_get_all_turns (self->conversation) != all_turns)
    return;

  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(EaselSessionTurn) turn = g_list_model_get_item (all_turns, i);

      /* Turns restored from the library already have their row. */
      if (easel_session_turn_get_library_link (turn) == NULL)
        persist_new_turn (self, turn);
    }
}

void
_easel_window_library_attach (EaselWindow  *self,
                              EaselSession *conversation)
{
  g_signal_connect_object (easel_session_get_all_turns (conversation), "items-changed",
                           G_CALLBACK (all_turns_changed_cb), self, G_CONNECT_SWAPPED);
}

typedef struct
{
  EaselWindow *window;
  GWeakRef turn;
} FinishData;

static void
turn_recorded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  FinishData *data = user_data;
  g_autoptr(EaselWindow) self = data->window;
  g_autoptr(EaselSessionTurn) turn = g_weak_ref_get (&data->turn);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;
  EaselLibraryLink *link;
  gint64 shown;

  g_weak_ref_clear (&data->turn);
  g_free (data);

  rows = easel_library_finish_turn_finish (EASEL_LIBRARY (object), result, &error);
  if (rows == NULL)
    {
      library_write_failed (self, error);
      return;
    }

  link = turn ? easel_session_turn_get_library_link (turn) : NULL;
  shown = link ? easel_library_link_get_generation_id (link) : 0;
  for (guint i = 0; turn != NULL && shown != 0 && i < rows->len; i++)
    {
      EaselGeneration *row = g_ptr_array_index (rows, i);

      /* The library has the image now: the turn may let go of its bytes
       * and full texture once it is off the canvas. An incomplete turn
       * keeps showing the partial it has. */
      if (row->id == shown && row->path != NULL && row->status == EASEL_GENERATION_OK)
        {
          g_autoptr(GFile) file = g_file_new_for_path (row->path);

          easel_session_turn_set_image_file (turn, file, NULL);
          _easel_window_trim_images (self);
        }
    }

  if (self->gallery && EASEL_IS_GALLERY (self->gallery))
    easel_gallery_reload (EASEL_GALLERY (self->gallery));
}

/* Finished turns: the client's answer goes to the library as it came */
void
_easel_window_library_turn_finished (EaselWindow      *self,
                                     EaselSessionTurn *turn)
{
  EaselSessionTurn *parent = easel_session_turn_get_parent (turn);
  EaselTurnState state = easel_session_turn_get_state (turn);
  g_autoptr(GError) cancelled = NULL;
  EaselTurnOutcome outcome = { 0, };
  FinishData *data;

  if (!_easel_window_library_ready (self) || easel_session_turn_get_request (turn) == NULL)
    return;

  outcome.request = easel_session_turn_get_request (turn);
  outcome.estimated_usd = -1;
  outcome.base_url = self->client ? easel_client_get_base_url (self->client) : NULL;
  outcome.assistant_text = easel_session_turn_get_assistant_text (turn);
  outcome.response_id = easel_session_turn_get_response_id (turn);
  outcome.image_call_id = easel_session_turn_get_image_call_id (turn);
  outcome.picked = easel_session_turn_get_picked (turn);

  switch (state)
    {
    case EASEL_TURN_DONE:
      outcome.result = easel_session_turn_get_result (turn);
      if (outcome.result == NULL)
        return;
      break;
    case EASEL_TURN_CANCELLED:
      cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
      outcome.error = cancelled;
      break;
    case EASEL_TURN_INCOMPLETE:
    case EASEL_TURN_FAILED:
      outcome.error = easel_session_turn_get_error (turn);
      if (outcome.error == NULL)
        return;
      /* The stream broke after a partial: the library keeps what the
       * user saw, as an incomplete image. */
      if (state == EASEL_TURN_INCOMPLETE)
        {
          outcome.partial = easel_session_turn_get_partial_bytes (turn);
          outcome.partial_format = outcome.request->output_format;
        }
      break;
    case EASEL_TURN_PENDING:
    case EASEL_TURN_RUNNING:
    default:
      return;
    }

  data = g_new0 (FinishData, 1);
  data->window = g_object_ref (self);
  g_weak_ref_init (&data->turn, turn);
  easel_library_finish_turn_async (self->library,
                                   self->conversation ? easel_session_get_library_link (self->conversation) : NULL,
                                   easel_session_turn_get_library_link (turn),
                                   parent ? easel_session_turn_get_library_link (parent) : NULL,
                                   &outcome, turn_recorded_cb, data);
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

static void
thumbnail_loaded_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(EaselSessionTurn) turn = user_data;
  g_autoptr(GdkTexture) thumbnail = NULL;
  g_autoptr(GError) error = NULL;

  thumbnail = easel_thumbnailer_load_finish (EASEL_THUMBNAILER (object), result, &error);
  if (thumbnail == NULL)
    {
      /* The turn's text still restores; say that its image is gone. */
      g_autofree char *message = g_strdup_printf (_("The image of this turn could not be read: %s"),
                                                  error->message);

      g_message ("%s", message);
      easel_session_turn_set_status (turn, message);
      return;
    }
  if (easel_session_turn_get_thumbnail (turn) == NULL)
    easel_session_turn_set_thumbnail (turn, thumbnail);
}

static void
load_thumbnail (EaselSessionTurn *turn,
                GFile            *file,
                const char       *sha256)
{
  EaselThumbnailer *thumbnailer = easel_thumbnailer_get_default ();
  GdkTexture *cached = sha256 ? easel_thumbnailer_lookup (thumbnailer, sha256) : NULL;

  if (cached != NULL)
    easel_session_turn_set_thumbnail (turn, cached);
  else
    easel_thumbnailer_load_async (thumbnailer, file, sha256, NULL, thumbnail_loaded_cb, g_object_ref (turn));
}

/* The window's conversation has at least one turn: a restore at start-up
 * must not replace it. */
static gboolean
conversation_started (EaselWindow *self)
{
  return self->conversation != NULL &&
         g_list_model_get_n_items (easel_session_get_all_turns (self->conversation)) > 0;
}

static void
input_thumbnail_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(EaselSessionTurn) turn = user_data;
  g_autoptr(GdkTexture) thumbnail = NULL;
  g_autoptr(GError) error = NULL;

  thumbnail = easel_image_decode_finish (result, &error);
  if (thumbnail != NULL)
    easel_session_turn_add_input (turn, thumbnail, NULL);
  else
    g_debug ("Could not show an input image of a restored turn: %s", error->message);
}

/* On the main thread: how the turn ended, and what Retry would send. */
static void
restore_turn_info (EaselSessionTurn    *turn,
                   EaselStoredTurnInfo *info)
{
  EaselGeneration *generation = info->generation;

  if (generation != NULL)
    {
      easel_session_turn_set_revised_prompt (turn, generation->revised_prompt);
      easel_session_turn_set_action (turn, generation->action);
      if (generation->input_tokens + generation->output_tokens > 0 || generation->actual_usd >= 0)
        easel_session_turn_set_usage (turn, generation->input_tokens + generation->output_tokens,
                                      easel_generation_get_cost (generation));
      if (generation->path != NULL)
        {
          g_autoptr(GFile) file = g_file_new_for_path (generation->path);

          easel_session_turn_set_image_file (turn, file, easel_image_mime_for_format (generation->format));
          load_thumbnail (turn, file, generation->sha256);
        }
    }

  for (guint j = 0; info->request != NULL && info->request->images != NULL && j < info->request->images->len; j++)
    {
      EaselInputImage *image = g_ptr_array_index (info->request->images, j);

      if (image->bytes != NULL)
        easel_image_decode_async (image->bytes, 96, NULL, input_thumbnail_cb, g_object_ref (turn));
    }
  if (info->request != NULL)
    easel_session_turn_set_request (turn, info->request);
  if (info->error != NULL)
    easel_session_turn_set_error (turn, info->error);

  switch (info->status)
    {
    case EASEL_GENERATION_CANCELLED:
      easel_session_turn_set_state (turn, EASEL_TURN_CANCELLED);
      break;
    case EASEL_GENERATION_FAILED:
    case EASEL_GENERATION_MODERATED:
      easel_session_turn_set_state (turn, EASEL_TURN_FAILED);
      break;
    case EASEL_GENERATION_INCOMPLETE:
      easel_session_turn_set_state (turn, EASEL_TURN_INCOMPLETE);
      easel_session_turn_set_status (turn, _("Incomplete: the connection was lost"));
      break;
    case EASEL_GENERATION_OK:
    default:
      break;
    }
  if (info->interrupted)
    easel_session_turn_set_status (turn, _("Interrupted: Easel was closed before this finished"));
}

static EaselSession *
session_from_stored (EaselStoredConversation *loaded)
{
  g_autoptr(GHashTable) by_id = g_hash_table_new (g_int64_hash, g_int64_equal);
  EaselSession *session = easel_session_new ();
  EaselSessionTurn *target = NULL;

  easel_library_link_set_id (easel_session_get_library_link (session), loaded->conversation->id);

  for (guint i = 0; i < loaded->turns->len; i++)
    {
      EaselTurn *stored = g_ptr_array_index (loaded->turns, i);
      EaselStoredTurnInfo *info = g_ptr_array_index (loaded->infos, i);
      EaselSessionTurn *parent = g_hash_table_lookup (by_id, &stored->parent_turn_id);
      g_autoptr(EaselSessionTurn) turn = easel_session_turn_new (stored->user_text ? stored->user_text : "");
      g_autoptr(EaselLibraryLink) link = easel_library_link_new (stored->id);

      easel_library_link_set_generation_id (link, stored->generation_id);
      easel_session_turn_set_library_link (turn, link);
      if (stored->assistant_text)
        easel_session_turn_set_assistant_text (turn, stored->assistant_text);
      easel_session_turn_set_response_id (turn, stored->response_id);
      easel_session_turn_set_image_call_id (turn, stored->image_call_id);
      easel_session_turn_set_state (turn, EASEL_TURN_DONE);
      restore_turn_info (turn, info);
      easel_session_add_turn (session, parent, turn);
      /* The session holds the turn; the table borrows it. */
      g_hash_table_insert (by_id, &stored->id, turn);
      if (stored->id == loaded->target_turn_id)
        target = turn;
    }

  if (target != NULL)
    easel_session_set_head (session, target);
  return session;
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

  session = session_from_stored (loaded);
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

/* Turns sent before the library was open (or while it was broken) have no
 * rows yet: hand them over now, in order, so the conversation is not lost. */
static void
persist_pending_turns (EaselWindow *self)
{
  GListModel *all_turns;

  if (self->conversation == NULL)
    return;
  all_turns = easel_session_get_all_turns (self->conversation);
  for (guint i = 0; i < g_list_model_get_n_items (all_turns); i++)
    {
      g_autoptr(EaselSessionTurn) turn = g_list_model_get_item (all_turns, i);

      if (easel_session_turn_get_library_link (turn) != NULL)
        continue;
      persist_new_turn (self, turn);
      if (easel_session_turn_is_finished (turn))
        _easel_window_library_turn_finished (self, turn);
    }
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
      persist_pending_turns (self);
      if (self->restore_last)
        {
          self->restore_last = FALSE;
          _easel_window_library_restore_last (self);
        }
      break;

    case EASEL_LIBRARY_STATE_ERROR:
    default:
      /* The gallery shows why, with a way out (back up, start anew). */
      ensure_gallery (self);
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
  self->restore_last = restore_last;
  g_signal_connect_object (self->library, "notify::state", G_CALLBACK (library_state_cb), self,
                           G_CONNECT_SWAPPED);
  library_state_cb (self, NULL, self->library);
}
