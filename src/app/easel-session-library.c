/* easel-session-library.c: a conversation hands its turns to the library
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The session, not the window, is where a turn is known to be sent and
 * finished, so it is the session that hands turns to its EaselLibrary: a
 * row as soon as a turn is sent, the client's own answer once it
 * finished (every image, the usage, the last partial of a broken stream),
 * and another pick of an n>1 answer. The window only shows what happened
 * ("turn-stored", "library-error").
 *
 * Turns made while the library is still opening, or broken, get their
 * rows as soon as it is ready: nothing is lost for being early.
 */

#define G_LOG_DOMAIN "easel-session-library"

#include "config.h"

#include <glib/gi18n.h>

#include "easel-image-decoder.h"
#include "easel-session-private.h"
#include "easel-thumbnailer.h"

static gboolean
library_ready (EaselSession *self)
{
  EaselLibrary *library = _easel_session_peek_library (self);

  return library != NULL && easel_library_get_state (library) == EASEL_LIBRARY_STATE_READY;
}

static void
write_failed (EaselSession *self,
              const GError *error)
{
  g_autofree char *message = g_strdup_printf (_("Could not save to the library: %s"), error->message);

  g_warning ("%s", message);
  _easel_session_emit_library_signal (self, 1, NULL, message);
}

static void
turn_added_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(EaselSession) self = user_data;
  g_autoptr(GError) error = NULL;

  if (easel_library_add_turn_finish (EASEL_LIBRARY (object), result, &error) == 0)
    write_failed (self, error);
}

static void
picked_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(EaselSession) self = user_data;
  g_autoptr(GError) error = NULL;

  if (easel_library_pick_finish (EASEL_LIBRARY (object), result, &error) == 0)
    write_failed (self, error);
  else
    _easel_session_emit_library_signal (self, 0, NULL, NULL);
}

/* Another image of an n>1 answer picked after it was recorded. */
static void
turn_picked_cb (EaselSession     *self,
                GParamSpec       *pspec,
                EaselSessionTurn *turn)
{
  EaselLibraryLink *link = easel_session_turn_get_library_link (turn);

  if (!library_ready (self) || link == NULL || !easel_session_turn_is_finished (turn))
    return;
  easel_library_pick_async (_easel_session_peek_library (self), easel_session_get_library_link (self), link,
                            easel_session_turn_get_picked (turn), picked_cb, g_object_ref (self));
}

static void
persist_new_turn (EaselSession     *self,
                  EaselSessionTurn *turn)
{
  const EaselRequest *request = easel_session_turn_get_request (turn);
  EaselSessionTurn *parent = easel_session_turn_get_parent (turn);
  g_autoptr(EaselLibraryLink) link = easel_library_link_new (0);

  easel_session_turn_set_library_link (turn, link);
  g_signal_connect_object (turn, "notify::picked", G_CALLBACK (turn_picked_cb), self, G_CONNECT_SWAPPED);
  easel_library_add_turn_async (_easel_session_peek_library (self),
                                easel_session_get_library_link (self),
                                link,
                                parent ? easel_session_turn_get_library_link (parent) : NULL,
                                easel_session_turn_get_prompt (turn),
                                request ? request->previous_response_id : NULL,
                                turn_added_cb, g_object_ref (self));
}

void
_easel_session_library_turns_added (GListModel   *all_turns,
                                    guint         position,
                                    guint         removed,
                                    guint         added,
                                    EaselSession *self)
{
  if (!library_ready (self))
    return;

  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(EaselSessionTurn) turn = g_list_model_get_item (all_turns, i);

      /* Turns restored from the library already have their row. */
      if (easel_session_turn_get_library_link (turn) == NULL)
        persist_new_turn (self, turn);
    }
}

typedef struct
{
  EaselSession *session;
  GWeakRef turn;
} FinishData;

static void
turn_recorded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  FinishData *data = user_data;
  g_autoptr(EaselSession) self = data->session;
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
      write_failed (self, error);
      return;
    }

  /* Recorded: the answer as it came (every image of it) and the last
   * partial are in the library now, not held by the turn any more. */
  if (turn != NULL)
    {
      easel_session_turn_set_result (turn, NULL);
      easel_session_turn_set_partial_bytes (turn, NULL);
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
        }
    }
  _easel_session_emit_library_signal (self, 0, turn, NULL);
}

/* Finished turns: the client's answer goes to the library as it came. */
void
_easel_session_library_turn_finished (EaselSession     *self,
                                      EaselSessionTurn *turn)
{
  EaselSessionTurn *parent = easel_session_turn_get_parent (turn);
  EaselTurnState state = easel_session_turn_get_state (turn);
  g_autoptr(GError) cancelled = NULL;
  EaselTurnOutcome outcome = { 0, };
  FinishData *data;

  if (!library_ready (self) || easel_session_turn_get_request (turn) == NULL ||
      easel_session_turn_get_library_link (turn) == NULL)
    return;

  outcome.request = easel_session_turn_get_request (turn);
  outcome.estimated_usd = easel_session_turn_get_estimated_usd (turn);
  outcome.base_url = easel_session_turn_get_server (turn);
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
  data->session = g_object_ref (self);
  g_weak_ref_init (&data->turn, turn);
  easel_library_finish_turn_async (_easel_session_peek_library (self),
                                   easel_session_get_library_link (self),
                                   easel_session_turn_get_library_link (turn),
                                   parent ? easel_session_turn_get_library_link (parent) : NULL,
                                   &outcome, turn_recorded_cb, data);
}

typedef struct
{
  char         *response_id;
  char         *base_url;
  EaselRequest *request;   /* NULL: remove */
} PendingJob;

static void
pending_job_free (gpointer data)
{
  PendingJob *job = data;

  g_free (job->response_id);
  g_free (job->base_url);
  g_clear_pointer (&job->request, easel_request_free);
  g_free (job);
}

static gpointer
pending_job_run (EaselStore  *store,
                 gpointer     data,
                 GError     **error)
{
  PendingJob *job = data;
  gboolean ok;

  if (job->request != NULL)
    ok = easel_store_add_pending_response (store, job->response_id, job->base_url, job->request, 0, 0, error);
  else
    ok = easel_store_remove_pending_response (store, job->response_id, error);
  return ok ? GINT_TO_POINTER (1) : NULL;
}

static void
pending_job_done_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* Only a restart would miss it: not worth a toast. */
  if (easel_library_run_finish (EASEL_LIBRARY (object), result, &error) == NULL)
    g_warning ("Could not keep the response in progress in the library: %s", error->message);
}

void
_easel_session_library_set_pending (EaselSession       *self,
                                    const char         *response_id,
                                    const char         *base_url,
                                    const EaselRequest *request)
{
  PendingJob *job;

  if (!library_ready (self) || response_id == NULL)
    return;

  job = g_new0 (PendingJob, 1);
  job->response_id = g_strdup (response_id);
  job->base_url = g_strdup (base_url);
  job->request = request ? easel_request_copy (request) : NULL;
  easel_library_run_async (_easel_session_peek_library (self), pending_job_run, job, pending_job_free,
                           NULL, NULL, pending_job_done_cb, NULL);
}

/* Turns made before the library was ready (or while it was broken) have
 * no rows yet: hand them over now, in order. */
static void
persist_pending_turns (EaselSession *self)
{
  GListModel *all_turns = easel_session_get_all_turns (self);

  for (guint i = 0; i < g_list_model_get_n_items (all_turns); i++)
    {
      g_autoptr(EaselSessionTurn) turn = g_list_model_get_item (all_turns, i);

      if (easel_session_turn_get_library_link (turn) != NULL)
        continue;
      persist_new_turn (self, turn);
      if (easel_session_turn_is_finished (turn))
        _easel_session_library_turn_finished (self, turn);
    }
}

static void
library_state_cb (EaselSession *self)
{
  if (library_ready (self))
    persist_pending_turns (self);
}

void
easel_session_set_library (EaselSession *self,
                           EaselLibrary *library)
{
  EaselLibrary *old;

  g_return_if_fail (EASEL_IS_SESSION (self));
  g_return_if_fail (!library || EASEL_IS_LIBRARY (library));

  old = _easel_session_peek_library (self);
  if (old == library)
    return;
  if (old != NULL)
    g_signal_handlers_disconnect_by_func (old, library_state_cb, self);
  _easel_session_take_library (self, library);
  if (library != NULL)
    {
      g_signal_connect_object (library, "notify::state", G_CALLBACK (library_state_cb), self,
                               G_CONNECT_SWAPPED);
      library_state_cb (self);
    }
}

EaselLibrary *
easel_session_get_library (EaselSession *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION (self), NULL);
  return _easel_session_peek_library (self);
}

/* A stored conversation, read back */

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

EaselSession *
easel_session_new_for_stored (EaselStoredConversation *loaded)
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

