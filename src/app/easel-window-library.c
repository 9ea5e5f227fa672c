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

#include "easel-window-private.h"

#ifdef HAVE_EASEL_GALLERY
# include "easel-gallery.h"
#endif

#define CONV_LINK_KEY "easel-library-conversation"
#define TURN_LINK_KEY "easel-library-turn"
#define FORGOTTEN_KEY "easel-library-forgotten"

typedef struct
{
  gatomicrefcount ref;
  gint64 id;              /* conversations.id, 0 until created */
} ConvLink;

typedef struct
{
  gatomicrefcount ref;
  gint64 id;              /* turns.id, 0 until added (or if adding failed) */
  gint64 generation_id;   /* the image it produced, 0 = none yet */
} TurnLink;

static ConvLink *
conv_link_ref (ConvLink *link)
{
  g_atomic_ref_count_inc (&link->ref);
  return link;
}

static void
conv_link_unref (ConvLink *link)
{
  if (g_atomic_ref_count_dec (&link->ref))
    g_free (link);
}

static TurnLink *
turn_link_ref (TurnLink *link)
{
  g_atomic_ref_count_inc (&link->ref);
  return link;
}

static void
turn_link_unref (TurnLink *link)
{
  if (g_atomic_ref_count_dec (&link->ref))
    g_free (link);
}

static ConvLink *
conv_link_for (EaselSession *session)
{
  ConvLink *link = g_object_get_data (G_OBJECT (session), CONV_LINK_KEY);

  if (link == NULL)
    {
      link = g_new0 (ConvLink, 1);
      g_atomic_ref_count_init (&link->ref);
      g_object_set_data_full (G_OBJECT (session), CONV_LINK_KEY, link, (GDestroyNotify)conv_link_unref);
    }
  return link;
}

static TurnLink *
turn_link_get (EaselSessionTurn *turn)
{
  return turn ? g_object_get_data (G_OBJECT (turn), TURN_LINK_KEY) : NULL;
}

static TurnLink *
turn_link_attach (EaselSessionTurn *turn)
{
  TurnLink *link = g_new0 (TurnLink, 1);

  g_atomic_ref_count_init (&link->ref);
  g_object_set_data_full (G_OBJECT (turn), TURN_LINK_KEY, link, (GDestroyNotify)turn_link_unref);
  return link;
}

/* Jobs */

typedef enum
{
  JOB_ADD_TURN,
  JOB_FINISH_TURN,
  JOB_LOAD,
} JobKind;

typedef struct
{
  JobKind kind;
  EaselStore *store;
  ConvLink *conv;
  TurnLink *turn;
  TurnLink *parent;

  /* JOB_ADD_TURN */
  char *title;
  char *user_text;
  char *previous_response_id;

  /* JOB_FINISH_TURN */
  EaselRequest *request;
  EaselResult *result;
  GError *request_error;
  char *assistant_text;
  char *response_id;
  char *image_call_id;

  /* JOB_LOAD */
  gint64 load_conversation_id;
  gint64 load_turn_id;
} Job;

static void
job_free (Job *job)
{
  g_clear_object (&job->store);
  g_clear_pointer (&job->conv, conv_link_unref);
  g_clear_pointer (&job->turn, turn_link_unref);
  g_clear_pointer (&job->parent, turn_link_unref);
  g_free (job->title);
  g_free (job->user_text);
  g_free (job->previous_response_id);
  g_clear_pointer (&job->request, easel_request_free);
  g_clear_pointer (&job->result, easel_result_free);
  g_clear_error (&job->request_error);
  g_free (job->assistant_text);
  g_free (job->response_id);
  g_free (job->image_call_id);
  g_free (job);
}

static void
unref_object_or_null (gpointer object)
{
  if (object != NULL)
    g_object_unref (object);
}

static void
unref_bytes_or_null (gpointer bytes)
{
  if (bytes != NULL)
    g_bytes_unref (bytes);
}

/* What JOB_LOAD hands back to the main thread. */
typedef struct
{
  EaselConversation *conversation;
  GPtrArray *turns;         /* EaselTurn*, creation order */
  GPtrArray *generations;   /* EaselGeneration* or NULL, parallel to turns */
  GPtrArray *images;        /* GBytes* or NULL */
  GPtrArray *textures;      /* GdkTexture* or NULL */
  gint64 target_turn_id;
} Loaded;

static void
loaded_free (Loaded *loaded)
{
  g_clear_object (&loaded->conversation);
  g_clear_pointer (&loaded->turns, g_ptr_array_unref);
  g_clear_pointer (&loaded->generations, g_ptr_array_unref);
  g_clear_pointer (&loaded->images, g_ptr_array_unref);
  g_clear_pointer (&loaded->textures, g_ptr_array_unref);
  g_free (loaded);
}

static gboolean
run_add_turn (Job     *job,
              GError **error)
{
  g_autoptr(EaselTurn) turn = easel_turn_new ();

  if (job->conv->id == 0)
    {
      g_autoptr(EaselConversation) conversation = NULL;

      conversation = easel_store_create_conversation (job->store, job->title, error);
      if (conversation == NULL)
        return FALSE;
      job->conv->id = conversation->id;
    }

  turn->conversation_id = job->conv->id;
  /* A parent whose own row could not be written leaves this one a root
   * rather than losing it. */
  turn->parent_turn_id = job->parent ? job->parent->id : 0;
  turn->user_text = g_strdup (job->user_text);
  turn->previous_response_id = g_strdup (job->previous_response_id);
  if (easel_store_add_turn (job->store, turn, error) == 0)
    return FALSE;
  job->turn->id = turn->id;
  return TRUE;
}

static gboolean
run_finish_turn (Job     *job,
                 GError **error)
{
  g_autoptr(EaselTurn) turn = NULL;

  if (job->request != NULL && (job->result != NULL || job->request_error != NULL))
    {
      EaselRecordOptions options = { 0, 0, 0, -1 };
      g_autoptr(GPtrArray) rows = NULL;

      options.conversation_id = job->conv ? job->conv->id : 0;
      options.turn_id = job->turn ? job->turn->id : 0;
      options.parent_generation_id = job->parent ? job->parent->generation_id : 0;
      rows = easel_store_record (job->store, job->request, job->result, job->request_error, &options, error);
      if (rows == NULL)
        return FALSE;
      if (rows->len > 0 && job->turn != NULL)
        {
          EaselGeneration *generation = g_ptr_array_index (rows, 0);

          /* A failed request has a row too, but it is no image to build on. */
          if (generation->status == EASEL_GENERATION_OK)
            job->turn->generation_id = generation->id;
        }
    }

  if (job->turn == NULL || job->turn->id == 0)
    return TRUE;

  turn = easel_turn_new ();
  turn->id = job->turn->id;
  turn->assistant_text = g_strdup (job->assistant_text);
  turn->response_id = g_strdup (job->response_id);
  turn->image_call_id = g_strdup (job->image_call_id);
  turn->generation_id = job->turn->generation_id;
  return easel_store_update_turn (job->store, turn, error);
}

static const char *
mime_for_format (const char *format)
{
  if (g_strcmp0 (format, "jpeg") == 0 || g_strcmp0 (format, "jpg") == 0)
    return "image/jpeg";
  if (g_strcmp0 (format, "webp") == 0)
    return "image/webp";
  return "image/png";
}

static Loaded *
run_load (Job     *job,
          GError **error)
{
  Loaded *loaded = g_new0 (Loaded, 1);

  loaded->conversation = easel_store_get_conversation (job->store, job->load_conversation_id, error);
  if (loaded->conversation == NULL)
    goto fail;
  loaded->turns = easel_store_list_turns (job->store, job->load_conversation_id, error);
  if (loaded->turns == NULL)
    goto fail;
  if (loaded->turns->len == 0)
    {
      g_set_error_literal (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_NOT_FOUND,
                           _("This conversation has no turns in the library"));
      goto fail;
    }

  loaded->target_turn_id = job->load_turn_id ? job->load_turn_id : loaded->conversation->last_turn;
  loaded->generations = g_ptr_array_new_with_free_func (unref_object_or_null);
  loaded->images = g_ptr_array_new_with_free_func (unref_bytes_or_null);
  loaded->textures = g_ptr_array_new_with_free_func (unref_object_or_null);

  for (guint i = 0; i < loaded->turns->len; i++)
    {
      EaselTurn *turn = g_ptr_array_index (loaded->turns, i);
      g_autoptr(EaselGeneration) generation = NULL;
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GdkTexture) texture = NULL;

      if (turn->generation_id > 0)
        generation = easel_store_get_generation (job->store, turn->generation_id, NULL);
      if (generation != NULL && generation->path != NULL)
        {
          g_autoptr(GFile) file = g_file_new_for_path (generation->path);
          g_autoptr(GError) local_error = NULL;

          bytes = g_file_load_bytes (file, NULL, NULL, &local_error);
          if (bytes != NULL)
            texture = gdk_texture_new_from_bytes (bytes, &local_error);
          if (texture == NULL)
            {
              /* The turn's text still restores; the image is just missing. */
              g_warning ("Could not load the image of turn %" G_GINT64_FORMAT ": %s",
                         turn->id, local_error->message);
              g_clear_pointer (&bytes, g_bytes_unref);
            }
        }
      g_ptr_array_add (loaded->generations, g_steal_pointer (&generation));
      g_ptr_array_add (loaded->images, g_steal_pointer (&bytes));
      g_ptr_array_add (loaded->textures, g_steal_pointer (&texture));
    }
  return loaded;

fail:
  loaded_free (loaded);
  return NULL;
}

static void
store_worker (gpointer data,
              gpointer user_data)
{
  g_autoptr(GTask) task = data;
  Job *job = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  switch (job->kind)
    {
    case JOB_ADD_TURN:
      if (run_add_turn (job, &error))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, g_steal_pointer (&error));
      break;

    case JOB_FINISH_TURN:
      if (run_finish_turn (job, &error))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, g_steal_pointer (&error));
      break;

    case JOB_LOAD:
      {
        Loaded *loaded = run_load (job, &error);

        if (loaded)
          g_task_return_pointer (task, loaded, (GDestroyNotify)loaded_free);
        else
          g_task_return_error (task, g_steal_pointer (&error));
      }
      break;

    default:
      g_assert_not_reached ();
    }
}

/* One worker for every window: jobs run strictly in the order queued. It
 * lives as long as the process, so a window closing never waits for it. */
static void
queue_job (EaselWindow         *self,
           Job                 *job,
           GAsyncReadyCallback  callback)
{
  static GThreadPool *pool;
  GTask *task;

  if (g_once_init_enter (&pool))
    g_once_init_leave (&pool, g_thread_pool_new (store_worker, NULL, 1, FALSE, NULL));

  job->store = g_object_ref (self->store);
  /* Writes are not cancellable: a row half-way through its job must still
   * land. Only what the main thread does with the answer is skipped. */
  task = g_task_new (self, NULL, callback, NULL);
  g_task_set_source_tag (task, queue_job);
  g_task_set_task_data (task, job, (GDestroyNotify)job_free);
  g_thread_pool_push (pool, task, NULL);
}

static void
write_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  EaselWindow *self = EASEL_WINDOW (object);
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *message = g_strdup_printf (_("Could not save to the library: %s"), error->message);

      g_warning ("%s", message);
      if (self->store != NULL)
        easel_window_toast (self, message);
      return;
    }

#ifdef HAVE_EASEL_GALLERY
  if (self->gallery && EASEL_IS_GALLERY (self->gallery) &&
      ((Job *)g_task_get_task_data (G_TASK (result)))->kind == JOB_FINISH_TURN)
    easel_gallery_reload (EASEL_GALLERY (self->gallery));
#endif
}

/* New turns: a row as soon as the turn is sent */

static char *
title_from_prompt (const char *prompt)
{
  g_autofree char *stripped = g_strstrip (g_strdup (prompt ? prompt : ""));
  char *newline = strchr (stripped, '\n');

  if (newline)
    *newline = 0;
  if (g_utf8_strlen (stripped, -1) > 60)
    {
      g_autofree char *cut = g_utf8_substring (stripped, 0, 59);
      return g_strconcat (cut, "…", NULL);
    }
  return g_steal_pointer (&stripped);
}

static void
persist_new_turn (EaselWindow      *self,
                  EaselSessionTurn *turn)
{
  const EaselRequest *request = easel_session_turn_get_request (turn);
  TurnLink *parent = turn_link_get (easel_session_turn_get_parent (turn));
  Job *job;

  job = g_new0 (Job, 1);
  job->kind = JOB_ADD_TURN;
  job->conv = conv_link_ref (conv_link_for (self->conversation));
  job->turn = turn_link_ref (turn_link_attach (turn));
  job->parent = parent ? turn_link_ref (parent) : NULL;
  job->title = title_from_prompt (easel_session_turn_get_prompt (turn));
  job->user_text = g_strdup (easel_session_turn_get_prompt (turn));
  job->previous_response_id = g_strdup (request ? request->previous_response_id : NULL);
  queue_job (self, job, write_done_cb);
}

static void
all_turns_changed_cb (EaselWindow *self,
                      guint        position,
                      guint        removed,
                      guint        added,
                      GListModel  *all_turns)
{
  if (self->store == NULL || self->conversation == NULL ||
      easel_session_get_all_turns (self->conversation) != all_turns)
    return;

  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(EaselSessionTurn) turn = g_list_model_get_item (all_turns, i);

      /* Turns restored from the library already have their row. */
      if (turn_link_get (turn) == NULL)
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

/* Finished turns: the generation row, then the turn's row updated */

void
_easel_window_library_turn_finished (EaselWindow      *self,
                                     EaselSessionTurn *turn)
{
  const EaselRequest *request = easel_session_turn_get_request (turn);
  EaselTurnState state = easel_session_turn_get_state (turn);
  TurnLink *link = turn_link_get (turn);
  TurnLink *parent = turn_link_get (easel_session_turn_get_parent (turn));
  ConvLink *conv = self->conversation ? g_object_get_data (G_OBJECT (self->conversation), CONV_LINK_KEY) : NULL;
  Job *job;

  if (self->store == NULL || request == NULL)
    return;

  job = g_new0 (Job, 1);
  job->kind = JOB_FINISH_TURN;
  job->conv = conv ? conv_link_ref (conv) : NULL;
  job->turn = link ? turn_link_ref (link) : NULL;
  job->parent = parent ? turn_link_ref (parent) : NULL;
  job->request = easel_request_copy (request);
  job->assistant_text = g_strdup (easel_session_turn_get_assistant_text (turn));
  job->response_id = g_strdup (easel_session_turn_get_response_id (turn));
  job->image_call_id = g_strdup (easel_session_turn_get_image_call_id (turn));

  if (state == EASEL_TURN_DONE || state == EASEL_TURN_INCOMPLETE)
    {
      GBytes *bytes = easel_session_turn_get_image_bytes (turn);
      const char *mime = easel_session_turn_get_image_mime_type (turn);
      EaselImage *image;

      job->result = easel_result_new (request->api);
      if (bytes != NULL)
        {
          image = easel_image_new ();
          image->bytes = g_bytes_ref (bytes);
          image->output_format = g_strdup (g_strcmp0 (mime, "image/jpeg") == 0 ? "jpeg" :
                                           g_strcmp0 (mime, "image/webp") == 0 ? "webp" : "png");
          image->revised_prompt = g_strdup (easel_session_turn_get_revised_prompt (turn));
          image->action = g_strdup (easel_session_turn_get_action (turn));
          image->item_id = g_strdup (easel_session_turn_get_image_call_id (turn));
          g_ptr_array_add (job->result->images, image);
        }
      job->result->response_id = g_strdup (easel_session_turn_get_response_id (turn));
      job->result->text = g_strdup (easel_session_turn_get_assistant_text (turn));
    }
  else if (state == EASEL_TURN_CANCELLED)
    job->request_error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
  else if (easel_session_turn_get_error (turn) != NULL)
    job->request_error = g_error_copy (easel_session_turn_get_error (turn));

  queue_job (self, job, write_done_cb);
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

gboolean
_easel_window_library_handle_forgotten (EaselWindow      *self,
                                        EaselSessionTurn *turn)
{
  const EaselRequest *request = easel_session_turn_get_request (turn);
  EaselSessionTurn *parent = easel_session_turn_get_parent (turn);
  g_autoptr(EaselSessionTurn) resend = NULL;
  EaselRequest *copy;
  GBytes *bytes;

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

  copy = easel_request_copy (request);
  g_clear_pointer (&copy->previous_response_id, g_free);

  resend = easel_session_turn_new (easel_session_turn_get_prompt (turn));
  g_object_set_data (G_OBJECT (resend), FORGOTTEN_KEY, GINT_TO_POINTER (TRUE));

  bytes = easel_session_turn_get_image_bytes (parent);
  if (bytes != NULL)
    {
      const char *mime = easel_session_turn_get_image_mime_type (parent);
      g_autoptr(EaselInputImage) image = NULL;

      image = easel_input_image_new_bytes (bytes,
                                           g_strcmp0 (mime, "image/jpeg") == 0 ? "previous.jpeg" :
                                           g_strcmp0 (mime, "image/webp") == 0 ? "previous.webp" : "previous.png",
                                           mime ? mime : "image/png");
      if (easel_session_turn_get_texture (parent))
        easel_session_turn_add_input (resend, easel_session_turn_get_texture (parent), image);
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
  return TRUE;
}

/* Continuing a stored conversation */

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  EaselWindow *self = EASEL_WINDOW (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) by_id = NULL;
  g_autoptr(EaselSession) session = NULL;
  Loaded *loaded;
  ConvLink *conv;
  EaselSessionTurn *target = NULL;

  loaded = g_task_propagate_pointer (G_TASK (result), &error);
  if (loaded == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("Could not open the conversation: %s"), error->message);

      easel_window_toast (self, message);
      return;
    }
  if (self->store == NULL)   /* the window went away meanwhile */
    {
      loaded_free (loaded);
      return;
    }

  session = easel_session_new ();
  conv = conv_link_for (session);
  conv->id = loaded->conversation->id;
  by_id = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, g_object_unref);

  for (guint i = 0; i < loaded->turns->len; i++)
    {
      EaselTurn *stored = g_ptr_array_index (loaded->turns, i);
      EaselGeneration *generation = g_ptr_array_index (loaded->generations, i);
      GBytes *bytes = g_ptr_array_index (loaded->images, i);
      GdkTexture *texture = g_ptr_array_index (loaded->textures, i);
      EaselSessionTurn *parent = g_hash_table_lookup (by_id, &stored->parent_turn_id);
      EaselSessionTurn *turn = easel_session_turn_new (stored->user_text ? stored->user_text : "");
      TurnLink *link = turn_link_attach (turn);

      link->id = stored->id;
      link->generation_id = stored->generation_id;
      if (stored->assistant_text)
        easel_session_turn_set_assistant_text (turn, stored->assistant_text);
      easel_session_turn_set_response_id (turn, stored->response_id);
      easel_session_turn_set_image_call_id (turn, stored->image_call_id);
      if (generation != NULL)
        {
          easel_session_turn_set_revised_prompt (turn, generation->revised_prompt);
          easel_session_turn_set_action (turn, generation->action);
        }
      if (bytes != NULL && texture != NULL)
        {
          easel_session_turn_set_image_bytes (turn, bytes, mime_for_format (generation ? generation->format : NULL));
          easel_session_turn_set_texture (turn, texture, FALSE);
        }
      easel_session_turn_set_state (turn, EASEL_TURN_DONE);
      easel_session_add_turn (session, parent, turn);
      g_hash_table_insert (by_id, &link->id, turn);
      if (stored->id == loaded->target_turn_id)
        target = turn;
    }

  if (target != NULL)
    easel_session_set_head (session, target);

  loaded_free (loaded);

  _easel_window_set_conversation (self, session);
  adw_view_stack_set_visible_child_name (self->view_stack, "studio");
  easel_composer_focus (self->composer);
}

void
easel_window_continue_conversation (EaselWindow *self,
                                    gint64       conversation_id,
                                    gint64       turn_id)
{
  Job *job;

  g_return_if_fail (EASEL_IS_WINDOW (self));

  if (self->store == NULL || conversation_id <= 0)
    {
      easel_window_toast (self, _("This image belongs to no stored conversation"));
      return;
    }

  job = g_new0 (Job, 1);
  job->kind = JOB_LOAD;
  job->load_conversation_id = conversation_id;
  job->load_turn_id = turn_id;
  queue_job (self, job, loaded_cb);
}

/* Import by drop onto the window */

void
easel_window_import_file (EaselWindow *self,
                          GFile       *file)
{
  g_return_if_fail (EASEL_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

#ifdef HAVE_EASEL_GALLERY
  /* The gallery knows Easel PNGs: it restores the conversation and emits
   * "continue-conversation", or "use-as-input" for any other image; the
   * window follows both signals. */
  if (self->gallery && EASEL_IS_GALLERY (self->gallery))
    {
      easel_gallery_import_file (EASEL_GALLERY (self->gallery), file);
      return;
    }
#endif
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

/* A library that could not be opened at start */

#ifdef HAVE_EASEL_GALLERY
static void
gallery_store_cb (EaselWindow *self,
                  GParamSpec  *pspec,
                  GtkWidget   *gallery)
{
  EaselStore *store = easel_gallery_get_store (EASEL_GALLERY (gallery));
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  if (store == NULL || !g_set_object (&self->store, store))
    return;
  if (EASEL_IS_APPLICATION (app))
    easel_application_set_store (EASEL_APPLICATION (app), store);
  /* Turns sent before this have no rows; the next ones do. */
  g_object_notify (G_OBJECT (self), "store");
}
#endif

void
_easel_window_show_store_error (EaselWindow  *self,
                                const GError *error)
{
#ifdef HAVE_EASEL_GALLERY
  if (self->store != NULL || error == NULL)
    return;

  self->gallery = easel_gallery_new (NULL);
  adw_bin_set_child (self->gallery_bin, self->gallery);
  g_signal_connect_object (self->gallery, "toast", G_CALLBACK (easel_window_toast), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->gallery, "notify::store", G_CALLBACK (gallery_store_cb), self, G_CONNECT_SWAPPED);
  _easel_window_connect_gallery (self);
  easel_gallery_show_open_error (EASEL_GALLERY (self->gallery), NULL, error);
#endif
}
