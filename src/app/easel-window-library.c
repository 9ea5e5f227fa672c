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

#include "easel-thumbnailer.h"
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
  GWeakRef session_turn;    /* EaselSessionTurn: told where its image went */
  char *image_path;         /* out: the stored image file */

  /* JOB_LOAD */
  gboolean restore_last;    /* start-up: id 0 means the newest conversation */
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
  g_weak_ref_clear (&job->session_turn);
  g_free (job->image_path);
  g_free (job);
}

static void
unref_object_or_null (gpointer object)
{
  if (object != NULL)
    g_object_unref (object);
}

/* What JOB_LOAD hands back to the main thread. */
typedef struct
{
  EaselConversation *conversation;
  GPtrArray *turns;         /* EaselTurn*, creation order */
  GPtrArray *generations;   /* EaselGeneration* or NULL, parallel to turns */
  GPtrArray *retry;         /* RetryInfo*, parallel to turns (Retry on restored turns) */
  gint64 target_turn_id;
} Loaded;

static void
loaded_free (Loaded *loaded)
{
  g_clear_object (&loaded->conversation);
  g_clear_pointer (&loaded->turns, g_ptr_array_unref);
  g_clear_pointer (&loaded->generations, g_ptr_array_unref);
  g_clear_pointer (&loaded->retry, g_ptr_array_unref);
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
            {
              job->turn->generation_id = generation->id;
              job->image_path = g_strdup (generation->path);
            }
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

/* Retry on restored turns: the request each turn sent, rebuilt from the
 * library, and how it ended. Built in the worker with the rest of JOB_LOAD. */

typedef struct
{
  EaselRequest *request;       /* NULL when it cannot be rebuilt */
  GPtrArray *input_thumbs;     /* GdkTexture*, one per kept input image */
  EaselTurnState state;
  GError *error;               /* for FAILED */
  gboolean interrupted;        /* no generation row: Easel closed mid-request */
} RetryInfo;

static void
retry_info_free (RetryInfo *info)
{
  g_clear_pointer (&info->request, easel_request_free);
  g_clear_pointer (&info->input_thumbs, g_ptr_array_unref);
  g_clear_error (&info->error);
  g_free (info);
}

/* What the turn row shows for a stored failure: the same GError the live
 * request had, as far as the row kept it (type, code, message). */
static GError *
error_for_generation (EaselGeneration *generation)
{
  g_autoptr(JsonObject) object = json_object_new ();

  if (generation->status == EASEL_GENERATION_MODERATED)
    return easel_api_error_new_literal (EASEL_API_ERROR_MODERATION,
                                        generation->error_message ? generation->error_message
                                                                  : _("Blocked by moderation"));
  if (generation->error_type)
    json_object_set_string_member (object, "type", generation->error_type);
  if (generation->error_code)
    json_object_set_string_member (object, "code", generation->error_code);
  json_object_set_string_member (object, "message",
                                 generation->error_message ? generation->error_message
                                                           : _("The request failed"));
  return easel_api_error_from_object (object, 0, EASEL_API_ERROR_FAILED);
}

static GdkTexture *
input_thumbnail (GBytes *bytes)
{
  g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (bytes);
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new_from_stream_at_scale (stream, 96, 96, TRUE, NULL, NULL);

  return pixbuf ? gdk_texture_new_for_pixbuf (pixbuf) : NULL;
}

/* Runs in the store worker. Returns RetryInfo*, parallel to @turns. */
static GPtrArray *
load_retry_info (EaselStore *store,
                 gint64      conversation_id,
                 GPtrArray  *turns)
{
  GPtrArray *infos = g_ptr_array_new_with_free_func ((GDestroyNotify)retry_info_free);
  g_autoptr(GPtrArray) generations = NULL;
  g_autoptr(GHashTable) by_id = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr(GHashTable) by_turn = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr(GError) error = NULL;

  generations = easel_store_list_conversation_generations (store, conversation_id, &error);
  if (generations == NULL)
    g_warning ("Could not read the requests of conversation %" G_GINT64_FORMAT ": %s",
               conversation_id, error->message);
  for (guint i = 0; generations != NULL && i < generations->len; i++)
    {
      EaselGeneration *generation = g_ptr_array_index (generations, i);

      g_hash_table_insert (by_id, &generation->id, generation);
      /* Oldest first, so the newest row of a turn wins. */
      if (generation->turn_id > 0)
        g_hash_table_insert (by_turn, &generation->turn_id, generation);
    }

  for (guint i = 0; i < turns->len; i++)
    {
      EaselTurn *turn = g_ptr_array_index (turns, i);
      RetryInfo *info = g_new0 (RetryInfo, 1);
      EaselGeneration *generation = NULL;

      info->state = EASEL_TURN_DONE;
      g_ptr_array_add (infos, info);

      if (turn->generation_id > 0)
        generation = g_hash_table_lookup (by_id, &turn->generation_id);
      if (generation == NULL)
        generation = g_hash_table_lookup (by_turn, &turn->id);
      if (generation == NULL)
        {
          info->interrupted = turn->response_id == NULL && turn->generation_id == 0;
          if (info->interrupted)
            info->state = EASEL_TURN_CANCELLED;
          continue;
        }

      switch (generation->status)
        {
        case EASEL_GENERATION_CANCELLED:
          info->state = EASEL_TURN_CANCELLED;
          break;
        case EASEL_GENERATION_FAILED:
        case EASEL_GENERATION_MODERATED:
          info->state = EASEL_TURN_FAILED;
          info->error = error_for_generation (generation);
          break;
        case EASEL_GENERATION_OK:
        default:
          break;
        }

      info->request = easel_store_rebuild_request (store, generation, &error);
      if (info->request == NULL)
        {
          /* Rows from before input images were kept: no Retry for them. */
          g_debug ("No Retry for turn %" G_GINT64_FORMAT ": %s", turn->id, error->message);
          g_clear_error (&error);
          continue;
        }

      info->input_thumbs = g_ptr_array_new_with_free_func (g_object_unref);
      for (guint j = 0; info->request->images != NULL && j < info->request->images->len; j++)
        {
          EaselInputImage *image = g_ptr_array_index (info->request->images, j);
          GdkTexture *thumb = image->bytes ? input_thumbnail (image->bytes) : NULL;

          if (thumb != NULL)
            g_ptr_array_add (info->input_thumbs, thumb);
        }
    }

  return infos;
}

/* On the main thread, once the restored turn is built. */
static void
restore_retry_info (EaselSessionTurn *turn,
                    RetryInfo        *info)
{
  if (info == NULL)
    return;

  for (guint i = 0; info->input_thumbs != NULL && i < info->input_thumbs->len; i++)
    easel_session_turn_add_input (turn, g_ptr_array_index (info->input_thumbs, i), NULL);
  if (info->request != NULL)
    easel_session_turn_set_request (turn, info->request);
  if (info->error != NULL)
    easel_session_turn_set_error (turn, info->error);
  if (info->interrupted)
    easel_session_turn_set_status (turn, _("Interrupted: Easel was closed before this finished"));
  if (info->state != EASEL_TURN_DONE)
    easel_session_turn_set_state (turn, info->state);
}

static Loaded *
run_load (Job     *job,
          GError **error)
{
  Loaded *loaded = g_new0 (Loaded, 1);

  if (job->load_conversation_id == 0)
    {
      /* Start-up: the most recently updated conversation, if any. */
      g_autoptr(GPtrArray) conversations = easel_store_list_conversations (job->store, error);

      if (conversations == NULL)
        goto fail;
      if (conversations->len == 0)
        {
          g_set_error_literal (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_NOT_FOUND,
                               _("The library has no conversations yet"));
          goto fail;
        }
      job->load_conversation_id = ((EaselConversation *)g_ptr_array_index (conversations, 0))->id;
    }

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

  /* Only rows are read here. Images stay on disk: each turn shows a cached
   * thumbnail, and the one on the canvas decodes its file when selected. */
  for (guint i = 0; i < loaded->turns->len; i++)
    {
      EaselTurn *turn = g_ptr_array_index (loaded->turns, i);
      EaselGeneration *generation = NULL;

      if (turn->generation_id > 0)
        generation = easel_store_get_generation (job->store, turn->generation_id, NULL);
      g_ptr_array_add (loaded->generations, generation);
    }
  loaded->retry = load_retry_info (job->store, job->load_conversation_id, loaded->turns);
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
  Job *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *message = g_strdup_printf (_("Could not save to the library: %s"), error->message);

      g_warning ("%s", message);
      if (self->store != NULL)
        easel_window_toast (self, message);
      return;
    }

  if (job->kind == JOB_FINISH_TURN && job->image_path != NULL)
    {
      g_autoptr(EaselSessionTurn) turn = g_weak_ref_get (&job->session_turn);

      /* The library has the image now: the turn may let go of its bytes
       * and full texture once it is off the canvas. */
      if (turn != NULL)
        {
          g_autoptr(GFile) file = g_file_new_for_path (job->image_path);

          easel_session_turn_set_image_file (turn, file, NULL);
          _easel_window_trim_images (self);
        }
    }

#ifdef HAVE_EASEL_GALLERY
  if (self->gallery && EASEL_IS_GALLERY (self->gallery) && job->kind == JOB_FINISH_TURN)
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
  g_weak_ref_init (&job->session_turn, turn);

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
          image->output_format = g_strdup (easel_image_format_for_mime (mime));
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
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  EaselWindow *self = EASEL_WINDOW (object);
  gboolean restoring = ((Job *)g_task_get_task_data (G_TASK (result)))->restore_last;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) by_id = NULL;
  g_autoptr(EaselSession) session = NULL;
  Loaded *loaded;
  ConvLink *conv;
  EaselSessionTurn *target = NULL;

  loaded = g_task_propagate_pointer (G_TASK (result), &error);
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
  if (self->store == NULL)   /* the window went away meanwhile */
    {
      loaded_free (loaded);
      return;
    }
  /* Something was started in this window while the last conversation was
   * being read: what the user did wins over what they left. */
  if (restoring && conversation_started (self))
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
          if (generation->input_tokens + generation->output_tokens > 0)
            easel_session_turn_set_usage (turn, generation->input_tokens + generation->output_tokens,
                                          easel_generation_get_cost (generation));
        }
      if (generation != NULL && generation->path != NULL)
        {
          g_autoptr(GFile) file = g_file_new_for_path (generation->path);

          easel_session_turn_set_image_file (turn, file, easel_image_mime_for_format (generation->format));
          load_thumbnail (turn, file, generation->sha256);
        }
      easel_session_turn_set_state (turn, EASEL_TURN_DONE);
      restore_retry_info (turn, loaded->retry ? g_ptr_array_index (loaded->retry, i) : NULL);
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

/* Quit and reopen: the first window comes back on the conversation the
 * user was last working on. */
void
_easel_window_library_restore_last (EaselWindow *self)
{
  Job *job;

  g_return_if_fail (EASEL_IS_WINDOW (self));

  if (self->store == NULL || conversation_started (self))
    return;

  job = g_new0 (Job, 1);
  job->kind = JOB_LOAD;
  job->restore_last = TRUE;
  queue_job (self, job, loaded_cb);
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

static void persist_pending_turns (EaselWindow *self);

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
  persist_pending_turns (self);
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

/* The library opening at start (in a worker, see easel-application.c) */

static void
show_store_loading (EaselWindow *self)
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

/* Turns sent before the library was open have no rows yet: write them now,
 * in order, so the conversation is not lost. */
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

      if (turn_link_get (turn) != NULL)
        continue;
      persist_new_turn (self, turn);
      if (easel_session_turn_is_finished (turn))
        _easel_window_library_turn_finished (self, turn);
    }
}

static void
store_ready (EaselWindow *self,
             EaselStore  *store)
{
  if (!g_set_object (&self->store, store))
    return;

#ifdef HAVE_EASEL_GALLERY
  self->gallery = easel_gallery_new (store);
  adw_bin_set_child (self->gallery_bin, self->gallery);
  g_signal_connect_object (self->gallery, "toast", G_CALLBACK (easel_window_toast), self, G_CONNECT_SWAPPED);
  _easel_window_connect_gallery (self);
#else
  adw_bin_set_child (self->gallery_bin, NULL);
#endif
  persist_pending_turns (self);
  if (self->restore_last)
    {
      self->restore_last = FALSE;
      _easel_window_library_restore_last (self);
    }
  g_object_notify (G_OBJECT (self), "store");
}

static void
app_store_loading_cb (EaselWindow      *self,
                      GParamSpec       *pspec,
                      EaselApplication *app)
{
  EaselStore *store;

  if (easel_application_get_store_loading (app))
    return;
  g_signal_handlers_disconnect_by_func (app, app_store_loading_cb, self);
  if (self->store != NULL)
    return;

  store = easel_application_get_store (app);
  if (store != NULL)
    store_ready (self, store);
  else
    _easel_window_show_store_error (self, easel_application_get_store_error (app));
}

void
_easel_window_library_wait_for_store (EaselWindow      *self,
                                      EaselApplication *app)
{
  GList *windows;

  g_return_if_fail (EASEL_IS_WINDOW (self));
  g_return_if_fail (EASEL_IS_APPLICATION (app));

  /* Only the first window reopens the last conversation; a New Window
   * starts empty. */
  windows = gtk_application_get_windows (GTK_APPLICATION (app));
  self->restore_last = windows == NULL || (windows->data == self && windows->next == NULL);

  if (easel_application_get_store_loading (app))
    {
      show_store_loading (self);
      g_signal_connect_object (app, "notify::store-loading", G_CALLBACK (app_store_loading_cb), self,
                               G_CONNECT_SWAPPED);
      return;
    }
  if (easel_application_get_store (app) != NULL)
    store_ready (self, easel_application_get_store (app));
  else
    _easel_window_show_store_error (self, easel_application_get_store_error (app));
}
