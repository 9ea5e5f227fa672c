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
#include "easel-image-decoder.h"
#include "easel-window-private.h"

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
  /* The mask went with this edit; the next Send is not another masked edit
   * unless the user paints again (Ctrl+Z brings these strokes back). The
   * guard kept its own copy of the selection. */
  if (easel_canvas_get_mask (easel_window_get_canvas (data->window)) != NULL)
    easel_mask_clear (easel_canvas_get_mask (easel_window_get_canvas (data->window)));
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
  const char *mime_type = NULL;
  SendData *data;

  g_return_val_if_fail (EASEL_IS_WINDOW (window), FALSE);
  g_return_val_if_fail (request != NULL && *request != NULL, FALSE);

  canvas = easel_window_get_canvas (window);
  /* A failed or cancelled head is edited on the finished image it built
   * on (the session keeps that turn's bytes in memory). */
  while (head != NULL && easel_session_turn_get_image_bytes (head) == NULL)
    head = easel_session_turn_get_parent (head);
  bytes = head ? easel_session_turn_get_image_bytes (head) : NULL;
  if (bytes != NULL)
    mime_type = easel_session_turn_get_image_mime_type (head);
  else
    /* No turn yet: the attached image on the canvas (easel-window-preview.c). */
    bytes = _easel_window_preview_get_bytes (window, &mime_type);

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
                                          mime_type, NULL, masked_edit_ready_cb, data);
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

  g_weak_ref_set (&window->guard_turn, turn);
  easel_canvas_check_result (easel_window_get_canvas (window), bytes);
}

/* ------------------------------------------------------------------------ */
/* The restored composite: the turn shows it, the library keeps it */

typedef struct
{
  EaselWindow *window;
  GWeakRef turn;
} RestoreData;

static void
restore_data_free (RestoreData *data)
{
  g_clear_object (&data->window);
  g_weak_ref_clear (&data->turn);
  g_free (data);
}

static RestoreData *
restore_data_new (EaselWindow      *window,
                  EaselSessionTurn *turn)
{
  RestoreData *data = g_new0 (RestoreData, 1);

  data->window = g_object_ref (window);
  g_weak_ref_init (&data->turn, turn);
  return data;
}

static void
saved_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  RestoreData *data = user_data;
  g_autoptr(GError) error = NULL;

  if (easel_library_save_restored_finish (EASEL_LIBRARY (object), result, &error) == 0)
    {
      g_autofree char *message = g_strdup_printf (_("Could not save to the library: %s"), error->message);

      easel_window_toast (data->window, message);
    }
  else
    easel_window_toast (data->window, _("Protected pixels restored and saved as a new version"));
  restore_data_free (data);
}

static void
restored_decoded_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  RestoreData *data = user_data;
  g_autoptr(EaselSessionTurn) turn = g_weak_ref_get (&data->turn);
  g_autoptr(GdkTexture) thumbnail = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;

  texture = easel_image_decode_frame_finish (result, &thumbnail, &error);
  if (texture != NULL && turn != NULL)
    {
      easel_session_turn_set_texture (turn, texture, FALSE);
      easel_session_turn_set_thumbnail (turn, thumbnail);
    }
  restore_data_free (data);
}

static void
restored_cb (EaselWindow *window,
             GdkTexture  *texture,
             GBytes      *png,
             EaselCanvas *canvas)
{
  EaselLibrary *library = NULL;
  g_autoptr(EaselSessionTurn) turn = g_weak_ref_get (&window->guard_turn);
  const EaselRequest *request = turn ? easel_session_turn_get_request (turn) : NULL;
  EaselLibraryLink *link = turn ? easel_session_turn_get_library_link (turn) : NULL;

  /* The guard checked this turn's output: the turn shows the restored
   * pixels from now on, so its row, the canvas and what a later edit
   * sends all agree. */
  if (turn != NULL)
    {
      easel_session_turn_set_image_bytes (turn, png, "image/png");
      easel_image_decode_frame_async (png, EASEL_SESSION_TURN_THUMBNAIL_SIZE, NULL,
                                      restored_decoded_cb, restore_data_new (window, turn));
    }

  library = window->library;
  if (library == NULL || easel_library_get_state (library) != EASEL_LIBRARY_STATE_READY || request == NULL)
    {
      easel_window_toast (window, _("Protected pixels restored (no library to save it to)"));
      return;
    }

  easel_library_save_restored_async (library,
                                     easel_session_get_library_link (easel_window_get_conversation (window)), link,
                                     link ? easel_library_link_get_generation_id (link) : 0,
                                     request, png,
                                     gdk_texture_get_width (texture), gdk_texture_get_height (texture),
                                     saved_cb, restore_data_new (window, turn));
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
