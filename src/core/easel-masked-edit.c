/* easel-masked-edit.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The canvas hands over the image on show and its painted mask; this file
 * checks them against the model's rules and shapes the request the way each
 * API wants a masked edit.
 */

#define G_LOG_DOMAIN "easel-masked-edit"

#include "config.h"

#include "easel-mask.h"
#include "easel-masked-edit.h"
#include "easel-models.h"

gboolean
easel_masked_edit_validate (const EaselRequest  *request,
                            GBytes              *image_bytes,
                            GBytes              *mask_png,
                            GError             **error)
{
  const EaselModelInfo *info;
  gsize max_bytes = 0;
  gboolean needs_square = FALSE;

  g_return_val_if_fail (request != NULL, FALSE);
  g_return_val_if_fail (image_bytes != NULL, FALSE);
  g_return_val_if_fail (mask_png != NULL, FALSE);

  info = easel_model_lookup (request->model);
  if (info != NULL)
    {
      max_bytes = info->max_image_bytes;
      /* Only the Images API edit endpoint has the dall-e-2 square-PNG rule. */
      needs_square = info->edit_needs_square_png && request->api != EASEL_API_RESPONSES;
    }

  return easel_mask_check_for_edit (image_bytes, mask_png, max_bytes, needs_square, error);
}

typedef struct
{
  EaselClient  *client;
  EaselRequest *request;
  GBytes       *image_bytes;
  char         *image_mime_type;
  GBytes       *mask_png;
  char         *image_file_id;
  guint         pending_uploads;
  GError       *upload_error;
} PrepareData;

static void
prepare_data_free (PrepareData *data)
{
  g_clear_object (&data->client);
  g_clear_pointer (&data->request, easel_request_free);
  g_clear_pointer (&data->image_bytes, g_bytes_unref);
  g_clear_pointer (&data->image_mime_type, g_free);
  g_clear_pointer (&data->mask_png, g_bytes_unref);
  g_clear_pointer (&data->image_file_id, g_free);
  g_clear_error (&data->upload_error);
  g_free (data);
}

/* The canvas image goes first: the API edits the first image with the mask. */
static void
insert_first_image (EaselRequest    *request,
                    EaselInputImage *image)
{
  if (request->images == NULL)
    easel_request_add_image (request, image);
  else
    g_ptr_array_insert (request->images, 0, image);
}

static void
finish_with_refs (GTask      *task,
                  const char *image_file_id,
                  const char *mask_file_id)
{
  PrepareData *data = g_task_get_task_data (task);

  insert_first_image (data->request, easel_input_image_new_file_id (image_file_id));
  easel_request_set_mask (data->request, easel_input_image_new_file_id (mask_file_id));
  g_task_return_pointer (task, g_steal_pointer (&data->request), (GDestroyNotify) easel_request_free);
}

static void
finish_inline (GTask *task)
{
  PrepareData *data = g_task_get_task_data (task);
  g_autofree char *filename = g_strdup_printf ("image.%s", easel_image_extension_for_mime (data->image_mime_type));

  insert_first_image (data->request,
                      easel_input_image_new_bytes (data->image_bytes, filename, data->image_mime_type));
  easel_request_set_mask (data->request,
                          easel_input_image_new_bytes (data->mask_png, "mask.png", "image/png"));
  g_task_return_pointer (task, g_steal_pointer (&data->request), (GDestroyNotify) easel_request_free);
}

static void
mask_uploaded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PrepareData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *mask_id = NULL;

  mask_id = easel_client_upload_file_finish (EASEL_CLIENT (object), result, &error);
  if (mask_id == NULL)
    {
      g_prefix_error (&error, "Uploading the mask failed: ");
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  finish_with_refs (task, data->image_file_id, mask_id);
}

static void
image_uploaded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PrepareData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  data->image_file_id = easel_client_upload_file_finish (EASEL_CLIENT (object), result, &error);
  if (data->image_file_id == NULL)
    {
      g_prefix_error (&error, "Uploading the image failed: ");
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* One after the other: a failed image upload should not leave an orphan
   * mask file behind. */
  easel_client_upload_file_async (data->client, data->mask_png, "mask.png", "image/png", "vision",
                                  g_task_get_cancellable (task),
                                  mask_uploaded_cb, g_object_ref (task));
}

static void
validate_thread (GTask        *task,
                 gpointer      source,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  PrepareData *data = task_data;
  GError *error = NULL;

  if (!easel_masked_edit_validate (data->request, data->image_bytes, data->mask_png, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
validated_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PrepareData *data = g_task_get_task_data (task);
  GError *error = NULL;
  gboolean small;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }

  if (g_task_return_error_if_cancelled (task))
    return;

  if (data->request->api != EASEL_API_RESPONSES)
    {
      /* Images API edits are multipart: the bytes travel in the body. */
      finish_inline (task);
      return;
    }

  g_clear_pointer (&data->request->action, g_free);
  data->request->action = g_strdup ("edit");

  small = g_bytes_get_size (data->image_bytes) < EASEL_MASKED_EDIT_INLINE_LIMIT &&
          g_bytes_get_size (data->mask_png) < EASEL_MASKED_EDIT_INLINE_LIMIT;

  if (small || data->client == NULL)
    {
      finish_inline (task);
      return;
    }

  {
    g_autofree char *filename = g_strdup_printf ("image.%s", easel_image_extension_for_mime (data->image_mime_type));

    GCancellable *cancellable = g_task_get_cancellable (task);

    easel_client_upload_file_async (data->client, data->image_bytes, filename, data->image_mime_type,
                                    "vision", cancellable,
                                    image_uploaded_cb, g_steal_pointer (&task));
  }
}

void
easel_masked_edit_prepare_async (EaselClient         *client,
                                 const EaselRequest  *request,
                                 GBytes              *image_bytes,
                                 const char          *image_mime_type,
                                 GBytes              *mask_png,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) check = NULL;
  PrepareData *data;

  g_return_if_fail (client == NULL || EASEL_IS_CLIENT (client));
  g_return_if_fail (request != NULL);
  g_return_if_fail (image_bytes != NULL);
  g_return_if_fail (mask_png != NULL);

  data = g_new0 (PrepareData, 1);
  data->client = client ? g_object_ref (client) : NULL;
  data->request = easel_request_copy (request);
  data->image_bytes = g_bytes_ref (image_bytes);
  data->mask_png = g_bytes_ref (mask_png);

  if (image_mime_type == NULL)
    {
      gsize len;
      const guint8 *bytes = g_bytes_get_data (image_bytes, &len);

      image_mime_type = easel_image_sniff_mime (bytes, len);
    }
  data->image_mime_type = g_strdup (image_mime_type ? image_mime_type : "image/png");

  if (data->request->api == EASEL_API_IMAGES_GENERATE)
    data->request->api = EASEL_API_IMAGES_EDIT;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_masked_edit_prepare_async);
  g_task_set_task_data (task, data, (GDestroyNotify) prepare_data_free);

  if (data->request->api != EASEL_API_IMAGES_EDIT && data->request->api != EASEL_API_RESPONSES)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               "A mask can only be sent with an edit or a Responses request");
      return;
    }

  /* The checks decode both images, so they run in a worker; the shared
   * data is only read there and not touched again until it returns. */
  check = g_task_new (NULL, cancellable, validated_cb, g_steal_pointer (&task));
  g_task_set_task_data (check, data, NULL);
  g_task_run_in_thread (check, validate_thread);
}

EaselRequest *
easel_masked_edit_prepare_finish (GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == easel_masked_edit_prepare_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
