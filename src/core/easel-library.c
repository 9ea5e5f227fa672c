/* easel-library.c: the one owner of the store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-library"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "easel-error.h"
#include "easel-library.h"

/* ---------------------------------------------------------------------------
 * Links
 */

struct _EaselLibraryLink
{
  gatomicrefcount ref;
  gint64 id;               /* written by the worker, read anywhere: link_lock */
  gint64 generation_id;
};

G_DEFINE_BOXED_TYPE (EaselLibraryLink, easel_library_link,
                     easel_library_link_ref, easel_library_link_unref)

EaselLibraryLink *
easel_library_link_new (gint64 id)
{
  EaselLibraryLink *self = g_new0 (EaselLibraryLink, 1);

  g_atomic_ref_count_init (&self->ref);
  easel_library_link_set_id (self, id);
  return self;
}

EaselLibraryLink *
easel_library_link_ref (EaselLibraryLink *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref);
  return self;
}

void
easel_library_link_unref (EaselLibraryLink *self)
{
  if (self != NULL && g_atomic_ref_count_dec (&self->ref))
    g_free (self);
}

/* The worker writes the ids, anything may read them: a lock (GLib has no
 * 64-bit atomics before 2.80), taken a few times per turn. */
static GMutex link_lock;

static gint64
link_read (const gint64 *field)
{
  gint64 value;

  g_mutex_lock (&link_lock);
  value = *field;
  g_mutex_unlock (&link_lock);
  return value;
}

static void
link_write (gint64 *field,
            gint64  value)
{
  g_mutex_lock (&link_lock);
  *field = value;
  g_mutex_unlock (&link_lock);
}

gint64
easel_library_link_get_id (EaselLibraryLink *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return link_read (&self->id);
}

void
easel_library_link_set_id (EaselLibraryLink *self,
                           gint64            id)
{
  g_return_if_fail (self != NULL);
  link_write (&self->id, id);
}

gint64
easel_library_link_get_generation_id (EaselLibraryLink *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return link_read (&self->generation_id);
}

void
easel_library_link_set_generation_id (EaselLibraryLink *self,
                                      gint64            id)
{
  g_return_if_fail (self != NULL);
  link_write (&self->generation_id, id);
}

static gint64
link_id (EaselLibraryLink *link)
{
  return link ? easel_library_link_get_id (link) : 0;
}

/* ---------------------------------------------------------------------------
 * Stored conversations
 */

static void
stored_turn_info_free (EaselStoredTurnInfo *info)
{
  g_clear_pointer (&info->request, easel_request_free);
  g_clear_object (&info->generation);
  g_clear_error (&info->error);
  g_free (info);
}

void
easel_stored_conversation_free (EaselStoredConversation *self)
{
  if (self == NULL)
    return;
  g_clear_object (&self->conversation);
  g_clear_pointer (&self->turns, g_ptr_array_unref);
  g_clear_pointer (&self->infos, g_ptr_array_unref);
  g_free (self);
}

G_DEFINE_ENUM_TYPE (EaselLibraryState, easel_library_state,
  G_DEFINE_ENUM_VALUE (EASEL_LIBRARY_STATE_LOADING, "loading"),
  G_DEFINE_ENUM_VALUE (EASEL_LIBRARY_STATE_READY, "ready"),
  G_DEFINE_ENUM_VALUE (EASEL_LIBRARY_STATE_ERROR, "error"))

/* ---------------------------------------------------------------------------
 * The object
 */

struct _EaselLibrary
{
  GObject parent_instance;

  char *dir;
  GThreadPool *pool;           /* one thread: jobs run in the order queued */

  /* Main context side */
  GMainContext *context;
  EaselLibraryState state;
  EaselStore *store;
  GError *error;
  gboolean load_started;

  /* Worker side: only jobs touch it */
  EaselStore *worker_store;
};

G_DEFINE_FINAL_TYPE (EaselLibrary, easel_library, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATE,
  PROP_STORE,
  PROP_ERROR,
  PROP_DIR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct _Job Job;
typedef void (*JobFunc) (EaselLibrary *self, GTask *task, Job *job);

typedef enum
{
  JOB_OPEN,
  JOB_RESET,
  JOB_ADD_TURN,
  JOB_FINISH_TURN,
  JOB_SAVE_RESTORED,
  JOB_PICK,
  JOB_LOAD,
  JOB_RUN,
  JOB_FLUSH,
} JobKind;

struct _Job
{
  JobKind kind;

  EaselLibraryLink *conversation;
  EaselLibraryLink *turn;
  EaselLibraryLink *parent;

  /* ADD_TURN */
  char *user_text;
  char *previous_response_id;

  /* FINISH_TURN, SAVE_RESTORED */
  EaselRequest *request;
  EaselResult *result;
  GError *request_error;
  GBytes *partial;
  char *partial_format;
  guint picked;
  char *base_url;
  char *assistant_text;
  char *response_id;
  char *image_call_id;
  double estimated_usd;
  gint64 parent_generation_id;
  int width, height;

  /* LOAD */
  gint64 conversation_id;
  gint64 turn_id;

  /* RESET */
  char *backup_path;

  /* RUN */
  EaselLibraryFunc func;
  gpointer data;
  GDestroyNotify data_free;
  GDestroyNotify result_free;

  /* FLUSH */
  GMutex *flush_lock;
  GCond *flush_cond;
  gboolean *flushed;
};

static void
job_free (Job *job)
{
  g_clear_pointer (&job->conversation, easel_library_link_unref);
  g_clear_pointer (&job->turn, easel_library_link_unref);
  g_clear_pointer (&job->parent, easel_library_link_unref);
  g_free (job->user_text);
  g_free (job->previous_response_id);
  g_clear_pointer (&job->request, easel_request_free);
  g_clear_pointer (&job->result, easel_result_free);
  g_clear_error (&job->request_error);
  g_clear_pointer (&job->partial, g_bytes_unref);
  g_free (job->partial_format);
  g_free (job->base_url);
  g_free (job->assistant_text);
  g_free (job->response_id);
  g_free (job->image_call_id);
  g_free (job->backup_path);
  if (job->data_free && job->data)
    job->data_free (job->data);
  g_free (job);
}

static Job *
job_new (JobKind kind)
{
  Job *job = g_new0 (Job, 1);

  job->kind = kind;
  job->estimated_usd = -1;
  return job;
}

/* The rows a job writes under; each link may be NULL. */
static void
job_set_links (Job              *job,
               EaselLibraryLink *conversation,
               EaselLibraryLink *turn,
               EaselLibraryLink *parent)
{
  job->conversation = conversation ? easel_library_link_ref (conversation) : NULL;
  job->turn = turn ? easel_library_link_ref (turn) : NULL;
  job->parent = parent ? easel_library_link_ref (parent) : NULL;
}

/* The row id a job returned (add_turn, pick, save_restored); 0 on error. */
static gint64
finish_id (EaselLibrary  *self,
           GAsyncResult  *result,
           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), 0);
  return (gint64) g_task_propagate_int (G_TASK (result), error);
}

static EaselStore *
worker_store (EaselLibrary  *self,
              GError       **error)
{
  if (self->worker_store == NULL)
    g_set_error_literal (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_FAILED,
                         _("The library is not open"));
  return self->worker_store;
}

/* Worker: opening and resetting */

static void
run_open (EaselLibrary *self,
          GTask        *task,
          Job          *job)
{
  GError *error = NULL;

  if (self->worker_store == NULL)
    self->worker_store = easel_store_open (self->dir, &error);
  if (self->worker_store == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_object_ref (self->worker_store), g_object_unref);
}

static void
run_reset (EaselLibrary *self,
           GTask        *task,
           Job          *job)
{
  GError *error = NULL;

  /* A store that is open keeps its database: nothing to reset. */
  if (self->worker_store == NULL &&
      !easel_store_reset_with_backup (self->dir, &job->backup_path, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  run_open (self, task, job);
}

/* Worker: turns */

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
run_add_turn (EaselLibrary *self,
              GTask        *task,
              Job          *job)
{
  g_autoptr(EaselTurn) turn = easel_turn_new ();
  EaselStore *store;
  GError *error = NULL;

  if (!(store = worker_store (self, &error)))
    goto fail;

  if (easel_library_link_get_id (job->conversation) == 0)
    {
      g_autoptr(EaselConversation) conversation = NULL;
      g_autofree char *title = title_from_prompt (job->user_text);

      conversation = easel_store_create_conversation (store, title, &error);
      if (conversation == NULL)
        goto fail;
      easel_library_link_set_id (job->conversation, conversation->id);
    }

  turn->conversation_id = easel_library_link_get_id (job->conversation);
  /* A parent whose own row could not be written leaves this one a root
   * rather than losing it. */
  turn->parent_turn_id = link_id (job->parent);
  turn->user_text = g_strdup (job->user_text);
  turn->previous_response_id = g_strdup (job->previous_response_id);
  if (easel_store_add_turn (store, turn, &error) == 0)
    goto fail;
  easel_library_link_set_id (job->turn, turn->id);
  g_task_return_int (task, turn->id);
  return;

fail:
  g_task_return_error (task, error);
}

/* The result to record for @job: the client's own, or, for a stream that
 * broke after a partial, that partial as the one (incomplete) image. */
static EaselResult *
outcome_result (Job      *job,
                gboolean *incomplete)
{
  EaselResult *result;
  EaselImage *image;

  *incomplete = FALSE;
  if (job->request_error == NULL)
    return job->result ? easel_result_copy (job->result) : NULL;

  if (job->partial == NULL ||
      g_error_matches (job->request_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return NULL;

  result = job->result ? easel_result_copy (job->result) : easel_result_new (job->request->api);
  if (result->images->len == 0)
    {
      image = easel_image_new ();
      image->bytes = g_bytes_ref (job->partial);
      image->output_format = g_strdup (job->partial_format ? job->partial_format
                                                           : job->request->output_format);
      image->item_id = g_strdup (job->image_call_id);
      g_ptr_array_add (result->images, image);
    }
  if (result->response_id == NULL)
    result->response_id = g_strdup (job->response_id);
  *incomplete = TRUE;
  return result;
}

static gboolean
has_image (EaselGeneration *generation)
{
  return generation->path != NULL &&
         (generation->status == EASEL_GENERATION_OK ||
          generation->status == EASEL_GENERATION_INCOMPLETE);
}

static void
run_finish_turn (EaselLibrary *self,
                 GTask        *task,
                 Job          *job)
{
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(EaselTurn) turn = NULL;
  EaselStore *store;
  GError *error = NULL;
  gint64 turn_id = link_id (job->turn);

  if (!(store = worker_store (self, &error)))
    goto fail;

  if (job->request != NULL && (job->result != NULL || job->request_error != NULL))
    {
      g_autoptr(EaselResult) result = NULL;
      EaselRecordOptions options = { 0, };
      gboolean incomplete;

      result = outcome_result (job, &incomplete);
      options.conversation_id = link_id (job->conversation);
      options.turn_id = turn_id;
      options.parent_generation_id = job->parent ? easel_library_link_get_generation_id (job->parent) : 0;
      options.estimated_usd = job->estimated_usd;
      options.base_url = job->base_url;
      options.incomplete = incomplete;
      options.picked_index = (int) job->picked;

      rows = easel_store_record (store, job->request, result,
                                 result != NULL && incomplete ? NULL : job->request_error,
                                 &options, &error);
      if (rows == NULL)
        goto fail;

      if (job->turn != NULL)
        {
          EaselGeneration *shown = NULL;

          if (job->picked < rows->len && has_image (g_ptr_array_index (rows, job->picked)))
            shown = g_ptr_array_index (rows, job->picked);
          for (guint i = 0; shown == NULL && i < rows->len; i++)
            if (has_image (g_ptr_array_index (rows, i)))
              shown = g_ptr_array_index (rows, i);
          /* A failure has its row too, but it is no image to build on. */
          easel_library_link_set_generation_id (job->turn, shown ? shown->id : 0);
        }
    }
  else
    rows = g_ptr_array_new_with_free_func (g_object_unref);

  if (turn_id != 0)
    {
      turn = easel_turn_new ();
      turn->id = turn_id;
      turn->assistant_text = g_strdup (job->assistant_text);
      turn->response_id = g_strdup (job->response_id);
      turn->image_call_id = g_strdup (job->image_call_id);
      turn->generation_id = easel_library_link_get_generation_id (job->turn);
      if (!easel_store_update_turn (store, turn, &error))
        goto fail;
    }

  g_task_return_pointer (task, g_steal_pointer (&rows), (GDestroyNotify) g_ptr_array_unref);
  return;

fail:
  g_task_return_error (task, error);
}

static void
run_save_restored (EaselLibrary *self,
                   GTask        *task,
                   Job          *job)
{
  g_autoptr(EaselGeneration) generation = easel_generation_new ();
  g_autoptr(JsonNode) params = NULL;
  EaselStore *store;
  GError *error = NULL;

  if (!(store = worker_store (self, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  params = easel_request_params_to_json (job->request);
  generation->model = g_strdup (job->request->model);
  generation->api = g_strdup (easel_api_to_string (job->request->api));
  generation->params_json = params ? json_to_string (params, FALSE) : NULL;
  generation->prompt = g_strdup (job->request->prompt);
  generation->action = g_strdup ("restore-protected");
  generation->size = g_strdup_printf ("%dx%d", job->width, job->height);
  generation->format = g_strdup ("png");
  generation->estimated_usd = 0;
  generation->actual_usd = 0;
  generation->parent_generation_id = job->parent_generation_id;
  generation->conversation_id = link_id (job->conversation);
  generation->turn_id = link_id (job->turn);
  generation->status = EASEL_GENERATION_OK;
  generation->picked = TRUE;
  /* No request hash: this row must never answer an identical-request lookup. */

  if (easel_store_insert_generation (store, generation, job->partial, &error) == 0 ||
      (generation->turn_id != 0 && !easel_store_set_turn_image (store, generation->turn_id, generation->id, &error)))
    {
      g_task_return_error (task, error);
      return;
    }
  /* A later edit of the turn builds on the restored image. */
  if (job->turn != NULL)
    easel_library_link_set_generation_id (job->turn, generation->id);
  g_task_return_int (task, generation->id);
}

static void
run_pick (EaselLibrary *self,
          GTask        *task,
          Job          *job)
{
  g_autoptr(GPtrArray) rows = NULL;
  EaselStore *store;
  GError *error = NULL;
  gint64 turn_id = link_id (job->turn);
  guint position = 0;

  if (!(store = worker_store (self, &error)))
    goto fail;
  if (turn_id == 0 || link_id (job->conversation) == 0)
    {
      g_set_error_literal (&error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_NOT_FOUND,
                           _("This turn is not in the library"));
      goto fail;
    }
  rows = easel_store_list_conversation_generations (store, link_id (job->conversation), &error);
  if (rows == NULL)
    goto fail;
  /* Oldest id first: the answer's images in the server's order. */
  for (guint i = 0; i < rows->len; i++)
    {
      EaselGeneration *row = g_ptr_array_index (rows, i);

      if (row->turn_id != turn_id || !has_image (row))
        continue;
      if (position++ == job->picked)
        {
          if (!easel_store_pick (store, row->id, &error))
            goto fail;
          easel_library_link_set_generation_id (job->turn, row->id);
          g_task_return_int (task, row->id);
          return;
        }
    }
  g_set_error (&error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_NOT_FOUND,
               _("The library has no image %u for this turn"), job->picked + 1);

fail:
  g_task_return_error (task, error);
}

/* Worker: reading a conversation back */

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

static GPtrArray *
load_infos (EaselStore *store,
            gint64      conversation_id,
            GPtrArray  *turns)
{
  GPtrArray *infos = g_ptr_array_new_with_free_func ((GDestroyNotify) stored_turn_info_free);
  g_autoptr(GPtrArray) generations = NULL;
  g_autoptr(GHashTable) by_id = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr(GHashTable) by_turn = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr(GError) error = NULL;

  generations = easel_store_list_conversation_generations (store, conversation_id, &error);
  if (generations == NULL)
    g_warning ("Could not read the requests of conversation %" G_GINT64_FORMAT ": %s",
               conversation_id, error->message);
  g_clear_error (&error);
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
      EaselStoredTurnInfo *info = g_new0 (EaselStoredTurnInfo, 1);
      EaselGeneration *outcome = NULL;

      info->status = EASEL_GENERATION_OK;
      g_ptr_array_add (infos, info);

      if (turn->generation_id > 0)
        {
          EaselGeneration *image = g_hash_table_lookup (by_id, &turn->generation_id);

          info->generation = image ? g_object_ref (image) : NULL;
          outcome = image;
        }
      if (outcome == NULL)
        outcome = g_hash_table_lookup (by_turn, &turn->id);
      if (outcome == NULL)
        {
          info->interrupted = turn->response_id == NULL && turn->generation_id == 0;
          if (info->interrupted)
            info->status = EASEL_GENERATION_CANCELLED;
          continue;
        }

      info->status = outcome->status;
      if (outcome->status == EASEL_GENERATION_FAILED || outcome->status == EASEL_GENERATION_MODERATED)
        info->error = error_for_generation (outcome);

      info->request = easel_store_rebuild_request (store, outcome, &error);
      if (info->request == NULL)
        {
          /* Rows from before input images were kept: no Retry for them. */
          g_debug ("No Retry for turn %" G_GINT64_FORMAT ": %s", turn->id, error->message);
          g_clear_error (&error);
        }
    }

  return infos;
}

static void
run_load (EaselLibrary *self,
          GTask        *task,
          Job          *job)
{
  g_autoptr(EaselStoredConversation) loaded = g_new0 (EaselStoredConversation, 1);
  EaselStore *store;
  GError *error = NULL;
  gint64 conversation_id = job->conversation_id;

  if (!(store = worker_store (self, &error)))
    goto fail;

  if (conversation_id == 0)
    {
      g_autoptr(GPtrArray) conversations = easel_store_list_conversations (store, &error);

      if (conversations == NULL)
        goto fail;
      if (conversations->len == 0)
        {
          g_set_error_literal (&error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_NOT_FOUND,
                               _("The library has no conversations yet"));
          goto fail;
        }
      conversation_id = ((EaselConversation *) g_ptr_array_index (conversations, 0))->id;
    }

  loaded->conversation = easel_store_get_conversation (store, conversation_id, &error);
  if (loaded->conversation == NULL)
    goto fail;
  loaded->turns = easel_store_list_turns (store, conversation_id, &error);
  if (loaded->turns == NULL)
    goto fail;
  if (loaded->turns->len == 0)
    {
      g_set_error_literal (&error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_NOT_FOUND,
                           _("This conversation has no turns in the library"));
      goto fail;
    }
  loaded->target_turn_id = job->turn_id ? job->turn_id : loaded->conversation->last_turn;
  /* Only rows are read: images stay on disk until something shows them. */
  loaded->infos = load_infos (store, conversation_id, loaded->turns);
  g_task_return_pointer (task, g_steal_pointer (&loaded), (GDestroyNotify) easel_stored_conversation_free);
  return;

fail:
  g_task_return_error (task, error);
}

static void
run_func (EaselLibrary *self,
          GTask        *task,
          Job          *job)
{
  EaselStore *store;
  GError *error = NULL;
  gpointer result;

  if (!(store = worker_store (self, &error)))
    {
      g_task_return_error (task, error);
      return;
    }
  result = job->func (store, job->data, &error);
  if (error != NULL)
    {
      if (result && job->result_free)
        job->result_free (result);
      g_task_return_error (task, error);
    }
  else
    g_task_return_pointer (task, result, job->result_free);
}

static void
run_flush (EaselLibrary *self,
           GTask        *task,
           Job          *job)
{
  g_mutex_lock (job->flush_lock);
  *job->flushed = TRUE;
  g_cond_signal (job->flush_cond);
  g_mutex_unlock (job->flush_lock);
  g_task_return_boolean (task, TRUE);
}

static void
worker (gpointer data,
        gpointer user_data)
{
  g_autoptr(GTask) task = data;
  EaselLibrary *self = g_task_get_source_object (task);
  Job *job = g_task_get_task_data (task);

  switch (job->kind)
    {
    case JOB_OPEN:          run_open (self, task, job); break;
    case JOB_RESET:         run_reset (self, task, job); break;
    case JOB_ADD_TURN:      run_add_turn (self, task, job); break;
    case JOB_FINISH_TURN:   run_finish_turn (self, task, job); break;
    case JOB_SAVE_RESTORED: run_save_restored (self, task, job); break;
    case JOB_PICK:          run_pick (self, task, job); break;
    case JOB_LOAD:          run_load (self, task, job); break;
    case JOB_RUN:           run_func (self, task, job); break;
    case JOB_FLUSH:         run_flush (self, task, job); break;
    default:                g_assert_not_reached ();
    }
}

/* Writes are never cancelled once queued: a row half-way through its job
 * must still land. @cancellable only stops the callback from seeing it. */
static void
queue (EaselLibrary        *self,
       Job                 *job,
       GCancellable        *cancellable,
       gpointer             source_tag,
       GAsyncReadyCallback  callback,
       gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  g_task_set_check_cancellable (task, cancellable != NULL);
  g_thread_pool_push (self->pool, task, NULL);
}

/* Main context: state */

static void
set_state (EaselLibrary      *self,
           EaselLibraryState  state,
           EaselStore        *store,
           const GError      *error)
{
  g_object_freeze_notify (G_OBJECT (self));
  if (g_set_object (&self->store, store))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORE]);
  if (self->error != error)
    {
      g_clear_error (&self->error);
      self->error = error ? g_error_copy (error) : NULL;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
    }
  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

static void
maintained_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!easel_store_maintain_finish (EASEL_STORE (object), result, &error))
    g_message ("Library maintenance failed: %s", error->message);
}

static void
opened_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  EaselLibrary *self = EASEL_LIBRARY (object);
  g_autoptr(EaselStore) store = NULL;
  g_autoptr(GError) error = NULL;

  store = g_task_propagate_pointer (G_TASK (result), &error);
  if (store != NULL)
    {
      set_state (self, EASEL_LIBRARY_STATE_READY, store, NULL);
      /* The check and the sweep, at most daily, once the library is shown. */
      easel_store_maintain_async (store, FALSE, NULL, maintained_cb, NULL);
    }
  else
    {
      g_message ("The library could not be opened: %s", error->message);
      set_state (self, EASEL_LIBRARY_STATE_ERROR, NULL, error);
    }
}

/* GObject */

static void
easel_library_finalize (GObject *object)
{
  EaselLibrary *self = EASEL_LIBRARY (object);

  /* Every queued job holds a reference: the queue is empty here. This may
   * run on the worker itself (it dropped the last reference), so don't
   * wait for it. */
  g_thread_pool_free (self->pool, FALSE, FALSE);
  g_clear_object (&self->worker_store);
  g_clear_object (&self->store);
  g_clear_error (&self->error);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self->dir);

  G_OBJECT_CLASS (easel_library_parent_class)->finalize (object);
}

static void
easel_library_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  EaselLibrary *self = EASEL_LIBRARY (object);

  switch (prop_id)
    {
    case PROP_STATE: g_value_set_enum (value, self->state); break;
    case PROP_STORE: g_value_set_object (value, self->store); break;
    case PROP_ERROR: g_value_set_boxed (value, self->error); break;
    case PROP_DIR: g_value_set_string (value, self->dir); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_library_class_init (EaselLibraryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = easel_library_finalize;
  object_class->get_property = easel_library_get_property;

  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, EASEL_TYPE_LIBRARY_STATE,
                                              EASEL_LIBRARY_STATE_LOADING, ro);
  properties[PROP_STORE] = g_param_spec_object ("store", NULL, NULL, EASEL_TYPE_STORE, ro);
  properties[PROP_ERROR] = g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR, ro);
  properties[PROP_DIR] = g_param_spec_string ("dir", NULL, NULL, NULL, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
easel_library_init (EaselLibrary *self)
{
  self->pool = g_thread_pool_new (worker, NULL, 1, FALSE, NULL);
  self->context = g_main_context_ref_thread_default ();
  self->state = EASEL_LIBRARY_STATE_LOADING;
}

EaselLibrary *
easel_library_new (const char *dir)
{
  EaselLibrary *self = g_object_new (EASEL_TYPE_LIBRARY, NULL);

  self->dir = g_strdup (dir);
  return self;
}

EaselLibrary *
easel_library_new_for_store (EaselStore *store)
{
  EaselLibrary *self;

  g_return_val_if_fail (EASEL_IS_STORE (store), NULL);

  self = g_object_new (EASEL_TYPE_LIBRARY, NULL);
  self->dir = g_strdup (easel_store_get_dir (store));
  self->load_started = TRUE;
  self->worker_store = g_object_ref (store);
  self->store = g_object_ref (store);
  self->state = EASEL_LIBRARY_STATE_READY;
  return self;
}

void
easel_library_load (EaselLibrary *self)
{
  g_return_if_fail (EASEL_IS_LIBRARY (self));

  if (self->load_started)
    return;
  self->load_started = TRUE;
  queue (self, job_new (JOB_OPEN), NULL, easel_library_load, opened_cb, NULL);
}

EaselLibraryState
easel_library_get_state (EaselLibrary *self)
{
  g_return_val_if_fail (EASEL_IS_LIBRARY (self), EASEL_LIBRARY_STATE_ERROR);
  return self->state;
}

EaselStore *
easel_library_get_store (EaselLibrary *self)
{
  g_return_val_if_fail (EASEL_IS_LIBRARY (self), NULL);
  return self->store;
}

const GError *
easel_library_get_error (EaselLibrary *self)
{
  g_return_val_if_fail (EASEL_IS_LIBRARY (self), NULL);
  return self->error;
}

const char *
easel_library_get_dir (EaselLibrary *self)
{
  g_return_val_if_fail (EASEL_IS_LIBRARY (self), NULL);
  return self->dir;
}

/* Reset */

static void
reset_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  EaselLibrary *self = EASEL_LIBRARY (object);
  g_autoptr(GTask) outer = user_data;
  Job *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(EaselStore) store = NULL;
  GError *error = NULL;

  store = g_task_propagate_pointer (G_TASK (result), &error);
  if (store == NULL)
    {
      set_state (self, EASEL_LIBRARY_STATE_ERROR, NULL, error);
      g_task_return_error (outer, error);
      return;
    }
  set_state (self, EASEL_LIBRARY_STATE_READY, store, NULL);
  g_task_return_pointer (outer, g_steal_pointer (&job->backup_path), g_free);
}

void
easel_library_reset_async (EaselLibrary        *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  GTask *outer;

  g_return_if_fail (EASEL_IS_LIBRARY (self));

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, easel_library_reset_async);
  self->load_started = TRUE;
  set_state (self, EASEL_LIBRARY_STATE_LOADING, NULL, NULL);
  queue (self, job_new (JOB_RESET), NULL, easel_library_reset_async, reset_cb, outer);
}

gboolean
easel_library_reset_finish (EaselLibrary  *self,
                            GAsyncResult  *result,
                            char         **backup_path,
                            GError       **error)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  path = g_task_propagate_pointer (G_TASK (result), &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (backup_path)
    *backup_path = g_steal_pointer (&path);
  return TRUE;
}

/* Turns */

void
easel_library_add_turn_async (EaselLibrary        *self,
                              EaselLibraryLink    *conversation,
                              EaselLibraryLink    *turn,
                              EaselLibraryLink    *parent,
                              const char          *user_text,
                              const char          *previous_response_id,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  Job *job;

  g_return_if_fail (EASEL_IS_LIBRARY (self));
  g_return_if_fail (conversation != NULL);
  g_return_if_fail (turn != NULL);

  job = job_new (JOB_ADD_TURN);
  job_set_links (job, conversation, turn, parent);
  job->user_text = g_strdup (user_text);
  job->previous_response_id = g_strdup (previous_response_id);
  queue (self, job, NULL, easel_library_add_turn_async, callback, user_data);
}

gint64
easel_library_add_turn_finish (EaselLibrary  *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  return finish_id (self, result, error);
}

void
easel_library_finish_turn_async (EaselLibrary           *self,
                                 EaselLibraryLink       *conversation,
                                 EaselLibraryLink       *turn,
                                 EaselLibraryLink       *parent,
                                 const EaselTurnOutcome *outcome,
                                 GAsyncReadyCallback     callback,
                                 gpointer                user_data)
{
  Job *job;

  g_return_if_fail (EASEL_IS_LIBRARY (self));
  g_return_if_fail (outcome != NULL);

  job = job_new (JOB_FINISH_TURN);
  job_set_links (job, conversation, turn, parent);
  job->request = outcome->request ? easel_request_copy (outcome->request) : NULL;
  job->result = outcome->result ? easel_result_copy (outcome->result) : NULL;
  job->request_error = outcome->error ? g_error_copy (outcome->error) : NULL;
  job->partial = outcome->partial ? g_bytes_ref (outcome->partial) : NULL;
  job->partial_format = g_strdup (outcome->partial_format);
  job->picked = outcome->picked;
  job->base_url = g_strdup (outcome->base_url);
  job->assistant_text = g_strdup (outcome->assistant_text);
  job->response_id = g_strdup (outcome->response_id);
  job->image_call_id = g_strdup (outcome->image_call_id);
  job->estimated_usd = outcome->estimated_usd;
  queue (self, job, NULL, easel_library_finish_turn_async, callback, user_data);
}

GPtrArray *
easel_library_finish_turn_finish (EaselLibrary  *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
easel_library_pick_async (EaselLibrary        *self,
                          EaselLibraryLink    *conversation,
                          EaselLibraryLink    *turn,
                          guint                position,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  Job *job;

  g_return_if_fail (EASEL_IS_LIBRARY (self));
  g_return_if_fail (conversation != NULL);
  g_return_if_fail (turn != NULL);

  job = job_new (JOB_PICK);
  job_set_links (job, conversation, turn, NULL);
  job->picked = position;
  queue (self, job, NULL, easel_library_pick_async, callback, user_data);
}

gint64
easel_library_pick_finish (EaselLibrary  *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  return finish_id (self, result, error);
}

void
easel_library_save_restored_async (EaselLibrary        *self,
                                   EaselLibraryLink    *conversation,
                                   EaselLibraryLink    *turn,
                                   gint64               parent_generation_id,
                                   const EaselRequest  *request,
                                   GBytes              *png,
                                   int                  width,
                                   int                  height,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  Job *job;

  g_return_if_fail (EASEL_IS_LIBRARY (self));
  g_return_if_fail (request != NULL);
  g_return_if_fail (png != NULL);

  job = job_new (JOB_SAVE_RESTORED);
  job_set_links (job, conversation, turn, NULL);
  job->parent_generation_id = parent_generation_id;
  job->request = easel_request_copy (request);
  job->partial = g_bytes_ref (png);
  job->width = width;
  job->height = height;
  queue (self, job, NULL, easel_library_save_restored_async, callback, user_data);
}

gint64
easel_library_save_restored_finish (EaselLibrary  *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return finish_id (self, result, error);
}

void
easel_library_load_conversation_async (EaselLibrary        *self,
                                       gint64               conversation_id,
                                       gint64               turn_id,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  Job *job;

  g_return_if_fail (EASEL_IS_LIBRARY (self));

  job = job_new (JOB_LOAD);
  job->conversation_id = conversation_id;
  job->turn_id = turn_id;
  queue (self, job, cancellable, easel_library_load_conversation_async, callback, user_data);
}

EaselStoredConversation *
easel_library_load_conversation_finish (EaselLibrary  *self,
                                        GAsyncResult  *result,
                                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
easel_library_run_async (EaselLibrary        *self,
                         EaselLibraryFunc     func,
                         gpointer             data,
                         GDestroyNotify       data_free,
                         GDestroyNotify       result_free,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  Job *job;

  g_return_if_fail (EASEL_IS_LIBRARY (self));
  g_return_if_fail (func != NULL);

  job = job_new (JOB_RUN);
  job->func = func;
  job->data = data;
  job->data_free = data_free;
  job->result_free = result_free;
  queue (self, job, cancellable, easel_library_run_async, callback, user_data);
}

gpointer
easel_library_run_finish (EaselLibrary  *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
easel_library_flush (EaselLibrary *self)
{
  GMutex lock;
  GCond cond;
  gboolean flushed = FALSE;
  Job *job;

  g_return_if_fail (EASEL_IS_LIBRARY (self));

  g_mutex_init (&lock);
  g_cond_init (&cond);
  job = job_new (JOB_FLUSH);
  job->flush_lock = &lock;
  job->flush_cond = &cond;
  job->flushed = &flushed;
  queue (self, job, NULL, easel_library_flush, NULL, NULL);

  g_mutex_lock (&lock);
  while (!flushed)
    g_cond_wait (&cond, &lock);
  g_mutex_unlock (&lock);
  g_mutex_clear (&lock);
  g_cond_clear (&cond);
}
