/* easel-canvas-studio.c: how the studio window sends masked edits and keeps the mask guard's results
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Kept apart from the window so that the window's Send stays one call away
 * from the canvas's masked edit, and the guard's library entry lives with
 * the guard.
 */

#define G_LOG_DOMAIN "easel-canvas-studio"

#include "config.h"

#include <glib/gi18n.h>

#include "easel-canvas-studio.h"

typedef struct
{
  EaselWindow      *window;
  EaselSessionTurn *turn;
} SendData;

static void
send_data_free (SendData *data)
{
  g_clear_object (&data->window);
  g_clear_object (&data->turn);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SendData, send_data_free)

static void
masked_edit_ready_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(SendData) data = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EaselRequest) request = NULL;
  EaselSession *session = easel_window_get_conversation (data->window);

  request = easel_canvas_prepare_masked_edit_finish (EASEL_CANVAS (object), result, &error);
  if (request == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        easel_window_toast (data->window, error->message);
      return;
    }

  if (easel_session_get_busy (session))
    {
      easel_window_toast (data->window, _("Another request is running; the masked edit was not sent"));
      return;
    }

  easel_session_send (session, easel_window_get_client (data->window), data->turn, g_steal_pointer (&request));
  easel_composer_clear (easel_window_get_composer (data->window));
}

/* The canvas image the request may already carry (the window adds it for
 * Images API edits): the masked edit puts it first itself. */
static void
drop_image (EaselRequest *request,
            GBytes       *bytes)
{
  if (request->images == NULL)
    return;

  for (guint i = 0; i < request->images->len; i++)
    {
      EaselInputImage *image = g_ptr_array_index (request->images, i);

      if (image->kind == EASEL_INPUT_IMAGE_BYTES && image->bytes != NULL && g_bytes_equal (image->bytes, bytes))
        {
          g_ptr_array_remove_index (request->images, i);
          return;
        }
    }
}

gboolean
easel_canvas_studio_send (EaselWindow       *window,
                          EaselSessionTurn  *head,
                          EaselSessionTurn  *turn,
                          EaselRequest     **request)
{
  EaselCanvas *canvas;
  GBytes *bytes;
  SendData *data;

  g_return_val_if_fail (EASEL_IS_WINDOW (window), FALSE);
  g_return_val_if_fail (request != NULL && *request != NULL, FALSE);

  canvas = easel_window_get_canvas (window);
  /* A failed or cancelled head is edited on the finished image it built
   * on (the session keeps that turn's bytes in memory). */
  while (head != NULL && easel_session_turn_get_image_bytes (head) == NULL)
    head = easel_session_turn_get_parent (head);
  bytes = head ? easel_session_turn_get_image_bytes (head) : NULL;

  if (bytes == NULL || !easel_canvas_has_mask_selection (canvas))
    {
      /* An ordinary send: an old drift report would describe another image. */
      easel_canvas_reset_guard (canvas);
      return FALSE;
    }

  drop_image (*request, bytes);

  data = g_new0 (SendData, 1);
  data->window = g_object_ref (window);
  data->turn = g_object_ref (turn);
  easel_canvas_prepare_masked_edit_async (canvas, easel_window_get_client (window), *request, bytes,
                                          easel_session_turn_get_image_mime_type (head),
                                          NULL, masked_edit_ready_cb, data);
  g_clear_pointer (request, easel_request_free);
  return TRUE;
}

void
easel_canvas_studio_turn_finished (EaselWindow      *window,
                                   EaselSessionTurn *turn)
{
  const EaselRequest *request;
  GBytes *bytes;

  g_return_if_fail (EASEL_IS_WINDOW (window));

  request = easel_session_turn_get_request (turn);
  bytes = easel_session_turn_get_image_bytes (turn);
  if (easel_session_turn_get_state (turn) != EASEL_TURN_DONE || request == NULL ||
      request->mask == NULL || bytes == NULL)
    return;

  easel_canvas_check_result (easel_window_get_canvas (window), bytes);
}

/* ------------------------------------------------------------------------ */
/* The restored composite in the library */

typedef struct
{
  EaselStore   *store;
  EaselRequest *request;   /* the masked edit whose output was restored */
  GBytes       *png;
  int           width, height;
} SaveJob;

static void
save_job_free (SaveJob *job)
{
  g_clear_object (&job->store);
  g_clear_pointer (&job->request, easel_request_free);
  g_clear_pointer (&job->png, g_bytes_unref);
  g_free (job);
}

static void
save_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  SaveJob *job = task_data;
  g_autoptr(EaselGeneration) parent = NULL;
  g_autoptr(EaselGeneration) generation = easel_generation_new ();
  g_autoptr(JsonNode) params = NULL;
  g_autofree char *hash = NULL;
  GError *error = NULL;

  /* The model's output is the newest row recorded for the very same request. */
  hash = easel_request_hash (job->request);
  parent = easel_store_lookup_cached (job->store, hash, &error);
  if (error != NULL)
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
  generation->parent_generation_id = parent ? parent->id : 0;
  generation->status = EASEL_GENERATION_OK;
  /* No request hash: this row must never answer an identical-request lookup. */

  if (easel_store_insert_generation (job->store, generation, job->png, &error) == 0)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, parent != NULL);
}

static void
saved_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(EaselWindow) window = user_data;
  g_autoptr(GError) error = NULL;
  gboolean has_parent = g_task_propagate_boolean (G_TASK (result), &error);

  if (error != NULL)
    {
      g_autofree char *message = g_strdup_printf (_("Could not save to the library: %s"), error->message);
      easel_window_toast (window, message);
      return;
    }

  easel_window_toast (window, has_parent ? _("Protected pixels restored and saved as a new version")
                                         : _("Protected pixels restored and saved to the library"));
}

static void
restored_cb (EaselWindow *window,
             GdkTexture  *texture,
             GBytes      *png,
             EaselCanvas *canvas)
{
  g_autoptr(EaselStore) store = NULL;
  g_autoptr(GTask) task = NULL;
  EaselSessionTurn *running;
  EaselSessionTurn *head;
  const EaselRequest *request;
  SaveJob *job;

  g_object_get (window, "store", &store, NULL);
  head = easel_session_get_head (easel_window_get_conversation (window));
  running = easel_session_get_running_turn (easel_window_get_conversation (window));
  request = head && head != running ? easel_session_turn_get_request (head) : NULL;

  if (store == NULL || request == NULL)
    {
      easel_window_toast (window, _("Protected pixels restored (no library to save it to)"));
      return;
    }

  job = g_new0 (SaveJob, 1);
  job->store = g_object_ref (store);
  job->request = easel_request_copy (request);
  job->png = g_bytes_ref (png);
  job->width = gdk_texture_get_width (texture);
  job->height = gdk_texture_get_height (texture);

  task = g_task_new (NULL, NULL, saved_cb, g_object_ref (window));
  g_task_set_source_tag (task, restored_cb);
  g_task_set_task_data (task, job, (GDestroyNotify) save_job_free);
  g_task_run_in_thread (task, save_thread);
}

static void
message_cb (EaselWindow *window,
            const char  *message,
            EaselCanvas *canvas)
{
  easel_window_toast (window, message);
}

void
easel_canvas_studio_connect (EaselWindow *window)
{
  EaselCanvas *canvas;

  g_return_if_fail (EASEL_IS_WINDOW (window));

  canvas = easel_window_get_canvas (window);
  g_signal_connect_object (canvas, "restored", G_CALLBACK (restored_cb), window, G_CONNECT_SWAPPED);
  g_signal_connect_object (canvas, "message", G_CALLBACK (message_cb), window, G_CONNECT_SWAPPED);
}
