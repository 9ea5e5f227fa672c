/* easel-request.c: one request to the OpenAI image APIs, and its wire form
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-request"

#include "config.h"

#include <string.h>

#include "easel-local-file.h"
#include "easel-request.h"

/* ---- EaselApi ------------------------------------------------------- */

static const char * const api_names[] = {
  [EASEL_API_IMAGES_GENERATE] = "generate",
  [EASEL_API_IMAGES_EDIT] = "edit",
  [EASEL_API_IMAGES_VARIATION] = "variation",
  [EASEL_API_RESPONSES] = "responses",
};

const char *
easel_api_to_string (EaselApi api)
{
  if ((guint) api < G_N_ELEMENTS (api_names))
    return api_names[api];
  return NULL;
}

gboolean
easel_api_from_string (const char *str,
                       EaselApi   *api)
{
  g_return_val_if_fail (api != NULL, FALSE);

  if (str == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (api_names); i++)
    {
      if (g_strcmp0 (str, api_names[i]) == 0)
        {
          *api = (EaselApi) i;
          return TRUE;
        }
    }

  return FALSE;
}

/* ---- EaselInputImage ------------------------------------------------ */

const char *
easel_image_sniff_mime (const guint8 *data,
                        gsize         len)
{
  if (data == NULL)
    return NULL;
  if (len >= 8 && memcmp (data, "\x89PNG\r\n\x1a\n", 8) == 0)
    return "image/png";
  if (len >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
    return "image/jpeg";
  if (len >= 12 && memcmp (data, "RIFF", 4) == 0 && memcmp (data + 8, "WEBP", 4) == 0)
    return "image/webp";
  if (len >= 6 && (memcmp (data, "GIF87a", 6) == 0 || memcmp (data, "GIF89a", 6) == 0))
    return "image/gif";
  return NULL;
}

const char *
easel_image_extension_for_mime (const char *mime_type)
{
  if (g_strcmp0 (mime_type, "image/jpeg") == 0)
    return "jpg";
  if (g_strcmp0 (mime_type, "image/webp") == 0)
    return "webp";
  if (g_strcmp0 (mime_type, "image/gif") == 0)
    return "gif";
  return "png";
}

const char *
easel_image_mime_for_format (const char *format)
{
  if (g_strcmp0 (format, "jpeg") == 0 || g_strcmp0 (format, "jpg") == 0)
    return "image/jpeg";
  if (g_strcmp0 (format, "webp") == 0)
    return "image/webp";
  return "image/png";
}

const char *
easel_image_format_for_mime (const char *mime_type)
{
  if (g_strcmp0 (mime_type, "image/jpeg") == 0)
    return "jpeg";
  if (g_strcmp0 (mime_type, "image/webp") == 0)
    return "webp";
  return "png";
}

EaselInputImage *
easel_input_image_new_bytes (GBytes     *bytes,
                             const char *filename,
                             const char *mime_type)
{
  EaselInputImage *self;

  g_return_val_if_fail (bytes != NULL, NULL);

  self = g_new0 (EaselInputImage, 1);
  self->kind = EASEL_INPUT_IMAGE_BYTES;
  self->bytes = g_bytes_ref (bytes);

  if (mime_type != NULL)
    self->mime_type = g_strdup (mime_type);
  else
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (bytes, &len);
      const char *sniffed = easel_image_sniff_mime (data, len);
      self->mime_type = g_strdup (sniffed ? sniffed : "image/png");
    }

  if (filename != NULL)
    self->filename = g_strdup (filename);
  else
    self->filename = g_strdup_printf ("image.%s", easel_image_extension_for_mime (self->mime_type));

  return self;
}

EaselInputImage *
easel_input_image_new_file_id (const char *file_id)
{
  EaselInputImage *self;

  g_return_val_if_fail (file_id != NULL, NULL);

  self = g_new0 (EaselInputImage, 1);
  self->kind = EASEL_INPUT_IMAGE_FILE_ID;
  self->file_id = g_strdup (file_id);
  return self;
}

EaselInputImage *
easel_input_image_new_url (const char *url)
{
  EaselInputImage *self;

  g_return_val_if_fail (url != NULL, NULL);

  self = g_new0 (EaselInputImage, 1);
  self->kind = EASEL_INPUT_IMAGE_URL;
  self->url = g_strdup (url);
  return self;
}

EaselInputImage *
easel_input_image_new_from_file (GFile   *file,
                                 GError **error)
{
  return easel_input_image_new_from_file_full (file, EASEL_LOCAL_FILE_MAX_IMAGE_BYTES, error);
}

EaselInputImage *
easel_input_image_new_from_file_full (GFile   *file,
                                      gsize    max_bytes,
                                      GError **error)
{
  const char *contents;
  g_autofree char *basename = NULL;
  g_autofree char *content_type = NULL;
  g_autofree char *guessed_mime = NULL;
  g_autoptr(GBytes) bytes = NULL;
  const char *mime;
  gboolean uncertain = FALSE;
  gsize len = 0;

  g_return_val_if_fail (G_IS_FILE (file), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  basename = g_file_get_basename (file);
  if (basename == NULL)
    basename = g_strdup ("image");

  /* Regular files only, and never more than the limit: not a FIFO that
   * blocks for ever, nor /dev/zero read until memory runs out. */
  bytes = easel_local_file_load (file, max_bytes, NULL, error);
  if (bytes == NULL)
    return NULL;
  contents = g_bytes_get_data (bytes, &len);

  if (len == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "“%s” is empty, not an image", basename);
      return NULL;
    }

  /* Magic bytes are authoritative; the name-based guess only words the error. */
  mime = easel_image_sniff_mime ((const guint8 *) contents, len);
  if (mime == NULL)
    {
      /* Guess from the contents only: a text file named .png is still text. */
      content_type = g_content_type_guess (NULL, (const guchar *) contents, len, &uncertain);
      guessed_mime = content_type ? g_content_type_get_mime_type (content_type) : NULL;

      if (guessed_mime != NULL && g_str_has_prefix (guessed_mime, "image/"))
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                     "“%s” is a %s image; OpenAI accepts PNG, JPEG, WebP or GIF",
                     basename, guessed_mime + strlen ("image/"));
      else
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                     "“%s” is not an image (its contents look like %s); choose a PNG, JPEG, WebP or GIF file",
                     basename, guessed_mime ? guessed_mime : "unknown data");
      return NULL;
    }

  return easel_input_image_new_bytes (bytes, basename, mime);
}

EaselInputImage *
easel_input_image_copy (const EaselInputImage *self)
{
  EaselInputImage *copy;

  if (self == NULL)
    return NULL;

  copy = g_new0 (EaselInputImage, 1);
  copy->kind = self->kind;
  copy->bytes = self->bytes ? g_bytes_ref (self->bytes) : NULL;
  copy->filename = g_strdup (self->filename);
  copy->mime_type = g_strdup (self->mime_type);
  copy->file_id = g_strdup (self->file_id);
  copy->url = g_strdup (self->url);
  return copy;
}

void
easel_input_image_free (EaselInputImage *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->bytes, g_bytes_unref);
  g_clear_pointer (&self->filename, g_free);
  g_clear_pointer (&self->mime_type, g_free);
  g_clear_pointer (&self->file_id, g_free);
  g_clear_pointer (&self->url, g_free);
  g_free (self);
}

char *
easel_input_image_to_data_url (const EaselInputImage *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  switch (self->kind)
    {
    case EASEL_INPUT_IMAGE_BYTES:
      {
        gsize len = 0;
        const guint8 *data = self->bytes ? g_bytes_get_data (self->bytes, &len) : NULL;
        g_autofree char *b64 = g_base64_encode (data, len);
        return g_strdup_printf ("data:%s;base64,%s",
                                self->mime_type ? self->mime_type : "image/png", b64);
      }
    case EASEL_INPUT_IMAGE_URL:
      return g_strdup (self->url);
    case EASEL_INPUT_IMAGE_FILE_ID:
    default:
      return NULL;
    }
}

char *
easel_input_image_hash (const EaselInputImage *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  switch (self->kind)
    {
    case EASEL_INPUT_IMAGE_BYTES:
      {
        gsize len = 0;
        const guint8 *data = self->bytes ? g_bytes_get_data (self->bytes, &len) : NULL;
        return g_compute_checksum_for_data (G_CHECKSUM_SHA256, data ? data : (const guint8 *) "", len);
      }
    case EASEL_INPUT_IMAGE_FILE_ID:
      return g_compute_checksum_for_string (G_CHECKSUM_SHA256, self->file_id ? self->file_id : "", -1);
    case EASEL_INPUT_IMAGE_URL:
    default:
      return g_compute_checksum_for_string (G_CHECKSUM_SHA256, self->url ? self->url : "", -1);
    }
}

/* ---- EaselRequest --------------------------------------------------- */

G_DEFINE_BOXED_TYPE (EaselRequest, easel_request, easel_request_copy, easel_request_free)

EaselRequest *
easel_request_new (EaselApi api)
{
  EaselRequest *self = g_new0 (EaselRequest, 1);

  self->api = api;
  self->n = -1;
  self->output_compression = -1;
  self->partial_images = -1;
  self->images = g_ptr_array_new_with_free_func ((GDestroyNotify) easel_input_image_free);
  self->image_call_refs = g_ptr_array_new_with_free_func (g_free);

  return self;
}

EaselRequest *
easel_request_copy (const EaselRequest *self)
{
  EaselRequest *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = easel_request_new (self->api);
  copy->model = g_strdup (self->model);
  copy->prompt = g_strdup (self->prompt);
  copy->n = self->n;
  copy->size = g_strdup (self->size);
  copy->quality = g_strdup (self->quality);
  copy->background = g_strdup (self->background);
  copy->output_format = g_strdup (self->output_format);
  copy->output_compression = self->output_compression;
  copy->moderation = g_strdup (self->moderation);
  copy->response_format = g_strdup (self->response_format);
  copy->style = g_strdup (self->style);
  copy->user = g_strdup (self->user);
  copy->input_fidelity = g_strdup (self->input_fidelity);
  copy->stream = self->stream;
  copy->partial_images = self->partial_images;

  for (guint i = 0; self->images != NULL && i < self->images->len; i++)
    g_ptr_array_add (copy->images, easel_input_image_copy (g_ptr_array_index (self->images, i)));
  copy->mask = easel_input_image_copy (self->mask);

  copy->responses_model = g_strdup (self->responses_model);
  copy->action = g_strdup (self->action);
  copy->previous_response_id = g_strdup (self->previous_response_id);
  for (guint i = 0; self->image_call_refs != NULL && i < self->image_call_refs->len; i++)
    g_ptr_array_add (copy->image_call_refs, g_strdup (g_ptr_array_index (self->image_call_refs, i)));
  copy->instructions = g_strdup (self->instructions);
  copy->service_tier = g_strdup (self->service_tier);
  copy->let_model_decide = self->let_model_decide;
  copy->run_in_background = self->run_in_background;

  return copy;
}

void
easel_request_free (EaselRequest *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->model, g_free);
  g_clear_pointer (&self->prompt, g_free);
  g_clear_pointer (&self->size, g_free);
  g_clear_pointer (&self->quality, g_free);
  g_clear_pointer (&self->background, g_free);
  g_clear_pointer (&self->output_format, g_free);
  g_clear_pointer (&self->moderation, g_free);
  g_clear_pointer (&self->response_format, g_free);
  g_clear_pointer (&self->style, g_free);
  g_clear_pointer (&self->user, g_free);
  g_clear_pointer (&self->input_fidelity, g_free);
  g_clear_pointer (&self->images, g_ptr_array_unref);
  g_clear_pointer (&self->mask, easel_input_image_free);
  g_clear_pointer (&self->responses_model, g_free);
  g_clear_pointer (&self->action, g_free);
  g_clear_pointer (&self->previous_response_id, g_free);
  g_clear_pointer (&self->image_call_refs, g_ptr_array_unref);
  g_clear_pointer (&self->instructions, g_free);
  g_clear_pointer (&self->service_tier, g_free);
  g_free (self);
}

void
easel_request_add_image (EaselRequest    *self,
                         EaselInputImage *image)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (image != NULL);

  if (self->images == NULL)
    self->images = g_ptr_array_new_with_free_func ((GDestroyNotify) easel_input_image_free);
  g_ptr_array_add (self->images, image);
}

void
easel_request_set_mask (EaselRequest    *self,
                        EaselInputImage *mask)
{
  g_return_if_fail (self != NULL);

  g_clear_pointer (&self->mask, easel_input_image_free);
  self->mask = mask;
}

static guint
n_images (const EaselRequest *self)
{
  return self->images != NULL ? self->images->len : 0;
}

static guint
n_image_refs (const EaselRequest *self)
{
  return self->image_call_refs != NULL ? self->image_call_refs->len : 0;
}

static gboolean
all_inputs_are_bytes (const EaselRequest *self)
{
  for (guint i = 0; i < n_images (self); i++)
    {
      const EaselInputImage *image = g_ptr_array_index (self->images, i);
      if (image->kind != EASEL_INPUT_IMAGE_BYTES)
        return FALSE;
    }
  return self->mask == NULL || self->mask->kind == EASEL_INPUT_IMAGE_BYTES;
}

const char *
easel_request_get_path (const EaselRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  switch (self->api)
    {
    case EASEL_API_IMAGES_GENERATE: return "/images/generations";
    case EASEL_API_IMAGES_EDIT: return "/images/edits";
    case EASEL_API_IMAGES_VARIATION: return "/images/variations";
    case EASEL_API_RESPONSES: return "/responses";
    default: return NULL;
    }
}

gboolean
easel_request_is_multipart (const EaselRequest *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (self->api == EASEL_API_IMAGES_VARIATION)
    return TRUE;
  /* Edits that reference file ids or URLs use the JSON edit body; uploads
   * of bytes use multipart as the SDKs do. */
  if (self->api == EASEL_API_IMAGES_EDIT)
    return all_inputs_are_bytes (self);
  return FALSE;
}

/* ---- JSON ----------------------------------------------------------- */

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  if (value == NULL)
    return;
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

static void
add_int (JsonBuilder *builder,
         const char  *name,
         int          value)
{
  if (value < 0)
    return;
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

static void
add_stream (JsonBuilder        *builder,
            const EaselRequest *self)
{
  if (!self->stream)
    return;
  json_builder_set_member_name (builder, "stream");
  json_builder_add_boolean_value (builder, TRUE);
  /* partial_images means nothing without streaming; the server may reject it. */
  add_int (builder, "partial_images", self->partial_images);
}

/* {"image_url": …} or {"file_id": …}: the ImageRefParam / input_image_mask shape. */
static void
add_image_ref (JsonBuilder           *builder,
               const EaselInputImage *image)
{
  json_builder_begin_object (builder);
  if (image->kind == EASEL_INPUT_IMAGE_FILE_ID)
    add_string (builder, "file_id", image->file_id);
  else
    {
      g_autofree char *url = easel_input_image_to_data_url (image);
      add_string (builder, "image_url", url);
    }
  json_builder_end_object (builder);
}

static void
build_images_generate (JsonBuilder        *builder,
                       const EaselRequest *self)
{
  add_string (builder, "model", self->model);
  add_string (builder, "prompt", self->prompt);
  add_int (builder, "n", self->n);
  add_string (builder, "size", self->size);
  add_string (builder, "quality", self->quality);
  add_string (builder, "background", self->background);
  add_string (builder, "output_format", self->output_format);
  add_int (builder, "output_compression", self->output_compression);
  add_string (builder, "moderation", self->moderation);
  add_string (builder, "response_format", self->response_format);
  add_string (builder, "style", self->style);
  add_string (builder, "user", self->user);
  add_stream (builder, self);
}

/* EditImageBodyJsonParam: only for GPT image models, for file ids and URLs. */
static void
build_images_edit_json (JsonBuilder        *builder,
                        const EaselRequest *self)
{
  add_string (builder, "model", self->model);
  add_string (builder, "prompt", self->prompt);
  json_builder_set_member_name (builder, "images");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n_images (self); i++)
    add_image_ref (builder, g_ptr_array_index (self->images, i));
  json_builder_end_array (builder);
  if (self->mask != NULL)
    {
      json_builder_set_member_name (builder, "mask");
      add_image_ref (builder, self->mask);
    }
  add_int (builder, "n", self->n);
  add_string (builder, "size", self->size);
  add_string (builder, "quality", self->quality);
  add_string (builder, "background", self->background);
  add_string (builder, "output_format", self->output_format);
  add_int (builder, "output_compression", self->output_compression);
  add_string (builder, "moderation", self->moderation);
  add_string (builder, "input_fidelity", self->input_fidelity);
  add_string (builder, "user", self->user);
  add_stream (builder, self);
}

static void
build_responses (JsonBuilder        *builder,
                 const EaselRequest *self)
{
  add_string (builder, "model",
              self->responses_model ? self->responses_model : EASEL_DEFAULT_RESPONSES_MODEL);

  json_builder_set_member_name (builder, "input");
  if (n_images (self) == 0 && n_image_refs (self) == 0)
    json_builder_add_string_value (builder, self->prompt ? self->prompt : "");
  else
    {
      json_builder_begin_array (builder);

      if (self->prompt != NULL || n_images (self) > 0)
        {
          json_builder_begin_object (builder);
          add_string (builder, "role", "user");
          json_builder_set_member_name (builder, "content");
          json_builder_begin_array (builder);
          if (self->prompt != NULL)
            {
              json_builder_begin_object (builder);
              add_string (builder, "type", "input_text");
              add_string (builder, "text", self->prompt);
              json_builder_end_object (builder);
            }
          for (guint i = 0; i < n_images (self); i++)
            {
              const EaselInputImage *image = g_ptr_array_index (self->images, i);

              json_builder_begin_object (builder);
              add_string (builder, "type", "input_image");
              if (image->kind == EASEL_INPUT_IMAGE_FILE_ID)
                add_string (builder, "file_id", image->file_id);
              else
                {
                  g_autofree char *url = easel_input_image_to_data_url (image);
                  add_string (builder, "image_url", url);
                }
              /* Required by the spec's InputImageContent (NOTES.md §8). */
              add_string (builder, "detail", "auto");
              json_builder_end_object (builder);
            }
          json_builder_end_array (builder);
          json_builder_end_object (builder);
        }

      /* A bare {"type":"image_generation_call","id":…} is rejected by the
       * spec (it wants status and result); item_reference is accepted. */
      for (guint i = 0; i < n_image_refs (self); i++)
        {
          json_builder_begin_object (builder);
          add_string (builder, "type", "item_reference");
          add_string (builder, "id", g_ptr_array_index (self->image_call_refs, i));
          json_builder_end_object (builder);
        }

      json_builder_end_array (builder);
    }

  json_builder_set_member_name (builder, "tools");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  add_string (builder, "type", "image_generation");
  add_string (builder, "model", self->model);
  add_string (builder, "action", self->action);
  add_string (builder, "size", self->size);
  add_string (builder, "quality", self->quality);
  add_string (builder, "background", self->background);
  add_string (builder, "output_format", self->output_format);
  add_int (builder, "output_compression", self->output_compression);
  add_string (builder, "moderation", self->moderation);
  if (self->stream)
    add_int (builder, "partial_images", self->partial_images);
  add_string (builder, "input_fidelity", self->input_fidelity);
  if (self->mask != NULL)
    {
      json_builder_set_member_name (builder, "input_image_mask");
      add_image_ref (builder, self->mask);
    }
  json_builder_end_object (builder);
  json_builder_end_array (builder);

  /* Without it the model may answer in text only, and the turn is billed
   * all the same. */
  if (!self->let_model_decide)
    {
      json_builder_set_member_name (builder, "tool_choice");
      json_builder_begin_object (builder);
      add_string (builder, "type", "image_generation");
      json_builder_end_object (builder);
    }

  if (self->run_in_background)
    {
      json_builder_set_member_name (builder, "background");
      json_builder_add_boolean_value (builder, TRUE);
    }
  if (self->stream)
    {
      json_builder_set_member_name (builder, "stream");
      json_builder_add_boolean_value (builder, TRUE);
    }
  add_string (builder, "previous_response_id", self->previous_response_id);
  add_string (builder, "instructions", self->instructions);
  add_string (builder, "user", self->user);
  add_string (builder, "service_tier", self->service_tier);
}

JsonNode *
easel_request_to_json (const EaselRequest  *self,
                       GError             **error)
{
  g_autoptr(JsonBuilder) builder = NULL;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (self->api == EASEL_API_IMAGES_VARIATION)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "Image variations are sent as multipart/form-data, not JSON");
      return NULL;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);

  switch (self->api)
    {
    case EASEL_API_IMAGES_GENERATE:
      build_images_generate (builder, self);
      break;
    case EASEL_API_IMAGES_EDIT:
      build_images_edit_json (builder, self);
      break;
    case EASEL_API_RESPONSES:
      build_responses (builder, self);
      break;
    case EASEL_API_IMAGES_VARIATION:
    default:
      g_assert_not_reached ();
    }

  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* ---- multipart ------------------------------------------------------ */

static void
form_string (SoupMultipart *multipart,
             const char    *name,
             const char    *value)
{
  if (value != NULL)
    soup_multipart_append_form_string (multipart, name, value);
}

static void
form_int (SoupMultipart *multipart,
          const char    *name,
          int            value)
{
  char buf[16];

  if (value < 0)
    return;
  g_snprintf (buf, sizeof buf, "%d", value);
  soup_multipart_append_form_string (multipart, name, buf);
}

static gboolean
form_file (SoupMultipart          *multipart,
           const char             *name,
           const EaselInputImage  *image,
           const char             *what,
           GError                **error)
{
  const char *mime;
  g_autofree char *filename = NULL;

  if (image->kind != EASEL_INPUT_IMAGE_BYTES || image->bytes == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "The %s is a %s; a multipart upload needs the image’s bytes",
                   what, image->kind == EASEL_INPUT_IMAGE_FILE_ID ? "file id" : "URL");
      return FALSE;
    }

  mime = image->mime_type;
  if (mime == NULL)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (image->bytes, &len);
      mime = easel_image_sniff_mime (data, len);
    }
  if (mime == NULL)
    mime = "application/octet-stream";

  filename = image->filename ? g_path_get_basename (image->filename)
                             : g_strdup_printf ("image.%s", easel_image_extension_for_mime (mime));

  soup_multipart_append_form_file (multipart, name, filename, mime, image->bytes);
  return TRUE;
}

SoupMultipart *
easel_request_to_multipart (const EaselRequest  *self,
                            GError             **error)
{
  g_autoptr(SoupMultipart) multipart = NULL;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (self->api != EASEL_API_IMAGES_EDIT && self->api != EASEL_API_IMAGES_VARIATION)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "Only image edits and variations are sent as multipart, not “%s”",
                   easel_api_to_string (self->api));
      return NULL;
    }

  if (n_images (self) == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           self->api == EASEL_API_IMAGES_EDIT
                           ? "An edit needs at least one image"
                           : "A variation needs an image");
      return NULL;
    }

  multipart = soup_multipart_new (SOUP_FORM_MIME_TYPE_MULTIPART);

  if (self->api == EASEL_API_IMAGES_VARIATION)
    {
      if (n_images (self) > 1)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "A variation takes exactly one image");
          return NULL;
        }
      if (!form_file (multipart, "image", g_ptr_array_index (self->images, 0), "image", error))
        return NULL;
      form_string (multipart, "model", self->model);
      form_int (multipart, "n", self->n);
      form_string (multipart, "size", self->size);
      form_string (multipart, "response_format", self->response_format);
      form_string (multipart, "user", self->user);
      return g_steal_pointer (&multipart);
    }

  /* One file goes as `image`, several as repeated `image[]`, exactly as the
   * SDKs' uploads.js does (NOTES.md §3). */
  for (guint i = 0; i < n_images (self); i++)
    if (!form_file (multipart, n_images (self) == 1 ? "image" : "image[]",
                    g_ptr_array_index (self->images, i), "image", error))
      return NULL;
  if (self->mask != NULL && !form_file (multipart, "mask", self->mask, "mask", error))
    return NULL;

  form_string (multipart, "prompt", self->prompt);
  form_string (multipart, "model", self->model);
  form_int (multipart, "n", self->n);
  form_string (multipart, "size", self->size);
  form_string (multipart, "quality", self->quality);
  form_string (multipart, "background", self->background);
  form_string (multipart, "output_format", self->output_format);
  form_int (multipart, "output_compression", self->output_compression);
  form_string (multipart, "moderation", self->moderation);
  form_string (multipart, "input_fidelity", self->input_fidelity);
  form_string (multipart, "user", self->user);
  form_string (multipart, "response_format", self->response_format);
  if (self->stream)
    {
      form_string (multipart, "stream", "true");
      form_int (multipart, "partial_images", self->partial_images);
    }

  return g_steal_pointer (&multipart);
}

/* ---- hash and params ----------------------------------------------- */

/* Each field goes in as "name=<len>:value;" so no two different requests
 * can produce the same byte stream; an unset field is "name=-;". */
static void
hash_string (GChecksum  *checksum,
             const char *name,
             const char *value)
{
  g_autofree char *chunk = NULL;

  if (value == NULL)
    chunk = g_strdup_printf ("%s=-;", name);
  else
    chunk = g_strdup_printf ("%s=%zu:%s;", name, strlen (value), value);
  g_checksum_update (checksum, (const guchar *) chunk, -1);
}

static void
hash_int (GChecksum  *checksum,
          const char *name,
          int         value)
{
  g_autofree char *str = value < 0 ? NULL : g_strdup_printf ("%d", value);
  hash_string (checksum, name, str);
}

static void
hash_image (GChecksum             *checksum,
            const char            *name,
            const EaselInputImage *image)
{
  g_autofree char *digest = NULL;
  g_autofree char *value = NULL;
  static const char * const kinds[] = { "bytes", "file_id", "url" };

  if (image == NULL)
    {
      hash_string (checksum, name, NULL);
      return;
    }

  digest = easel_input_image_hash (image);
  value = g_strdup_printf ("%s:%s", kinds[MIN ((guint) image->kind, 2u)], digest);
  hash_string (checksum, name, value);
}

/* The cache key covers everything that can change the resulting image.
 * `stream` and `partial_images` are left out on purpose: they only change
 * how the same final image is delivered (previews on the way), and
 * `service_tier` only how fast and at what price it is made, so a
 * streamed and an unstreamed request for the same thing share one key.
 * Fields are hashed in sorted name order, and the "v1" prefix lets a
 * future change of scheme invalidate old keys. */
char *
easel_request_hash (const EaselRequest *self)
{
  g_autoptr(GChecksum) checksum = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (checksum, (const guchar *) "easel-request-v1;", -1);

  hash_string (checksum, "action", self->action);
  hash_string (checksum, "api", easel_api_to_string (self->api));
  hash_string (checksum, "background", self->background);
  for (guint i = 0; i < n_image_refs (self); i++)
    hash_string (checksum, "image_call_ref", g_ptr_array_index (self->image_call_refs, i));
  hash_int (checksum, "image_call_refs", (int) n_image_refs (self));
  for (guint i = 0; i < n_images (self); i++)
    hash_image (checksum, "image", g_ptr_array_index (self->images, i));
  hash_int (checksum, "images", (int) n_images (self));
  hash_string (checksum, "input_fidelity", self->input_fidelity);
  hash_string (checksum, "instructions", self->instructions);
  /* Only when set, so that the keys of earlier requests stay valid. */
  if (self->let_model_decide)
    hash_int (checksum, "let_model_decide", 1);
  hash_image (checksum, "mask", self->mask);
  hash_string (checksum, "model", self->model);
  hash_string (checksum, "moderation", self->moderation);
  hash_int (checksum, "n", self->n);
  hash_int (checksum, "output_compression", self->output_compression);
  hash_string (checksum, "output_format", self->output_format);
  hash_string (checksum, "previous_response_id", self->previous_response_id);
  hash_string (checksum, "prompt", self->prompt);
  hash_string (checksum, "quality", self->quality);
  hash_string (checksum, "response_format", self->response_format);
  hash_string (checksum, "responses_model", self->responses_model);
  hash_string (checksum, "size", self->size);
  hash_string (checksum, "style", self->style);
  hash_string (checksum, "user", self->user);

  return g_strdup (g_checksum_get_string (checksum));
}

/* The library's cache key: the request hash bound to the server it was
 * sent to. Another server is another request, so it never answers from
 * this one's images. The base URL is compared without trailing slashes;
 * NULL means the default server. */
char *
easel_request_cache_key (const EaselRequest *self,
                         const char         *base_url)
{
  g_autoptr(GChecksum) checksum = NULL;
  g_autofree char *request_hash = NULL;
  g_autofree char *server = NULL;
  gsize len;

  g_return_val_if_fail (self != NULL, NULL);

  server = g_strdup (base_url && *base_url ? base_url : "https://api.openai.com/v1");
  len = strlen (server);
  while (len > 0 && server[len - 1] == '/')
    server[--len] = 0;

  request_hash = easel_request_hash (self);
  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (checksum, (const guchar *) "easel-cache-v2;", -1);
  hash_string (checksum, "server", server);
  hash_string (checksum, "request", request_hash);
  return g_strdup (g_checksum_get_string (checksum));
}

static void
add_image_description (JsonBuilder           *builder,
                       const EaselInputImage *image)
{
  g_autofree char *digest = easel_input_image_hash (image);

  json_builder_begin_object (builder);
  switch (image->kind)
    {
    case EASEL_INPUT_IMAGE_BYTES:
      add_string (builder, "kind", "bytes");
      add_string (builder, "filename", image->filename);
      add_string (builder, "mime_type", image->mime_type);
      json_builder_set_member_name (builder, "size_bytes");
      json_builder_add_int_value (builder, image->bytes ? (gint64) g_bytes_get_size (image->bytes) : 0);
      break;
    case EASEL_INPUT_IMAGE_FILE_ID:
      add_string (builder, "kind", "file_id");
      add_string (builder, "file_id", image->file_id);
      break;
    case EASEL_INPUT_IMAGE_URL:
    default:
      add_string (builder, "kind", "url");
      /* A data: URL is the image itself; keep the library row small. */
      if (image->url != NULL && !g_str_has_prefix (image->url, "data:"))
        add_string (builder, "url", image->url);
      break;
    }
  add_string (builder, "sha256", digest);
  json_builder_end_object (builder);
}

JsonNode *
easel_request_params_to_json (const EaselRequest *self)
{
  g_autoptr(JsonBuilder) builder = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  add_string (builder, "api", easel_api_to_string (self->api));
  add_string (builder, "model", self->model);
  add_string (builder, "prompt", self->prompt);
  add_int (builder, "n", self->n);
  add_string (builder, "size", self->size);
  add_string (builder, "quality", self->quality);
  add_string (builder, "background", self->background);
  add_string (builder, "output_format", self->output_format);
  add_int (builder, "output_compression", self->output_compression);
  add_string (builder, "moderation", self->moderation);
  add_string (builder, "response_format", self->response_format);
  add_string (builder, "style", self->style);
  add_string (builder, "user", self->user);
  add_string (builder, "input_fidelity", self->input_fidelity);
  json_builder_set_member_name (builder, "stream");
  json_builder_add_boolean_value (builder, self->stream);
  add_int (builder, "partial_images", self->partial_images);
  add_string (builder, "responses_model", self->responses_model);
  add_string (builder, "action", self->action);
  add_string (builder, "previous_response_id", self->previous_response_id);
  add_string (builder, "instructions", self->instructions);
  add_string (builder, "service_tier", self->service_tier);
  if (self->let_model_decide)
    {
      json_builder_set_member_name (builder, "let_model_decide");
      json_builder_add_boolean_value (builder, TRUE);
    }

  if (n_images (self) > 0)
    {
      json_builder_set_member_name (builder, "images");
      json_builder_begin_array (builder);
      for (guint i = 0; i < n_images (self); i++)
        add_image_description (builder, g_ptr_array_index (self->images, i));
      json_builder_end_array (builder);
    }
  if (self->mask != NULL)
    {
      json_builder_set_member_name (builder, "mask");
      add_image_description (builder, self->mask);
    }
  if (n_image_refs (self) > 0)
    {
      json_builder_set_member_name (builder, "image_call_refs");
      json_builder_begin_array (builder);
      for (guint i = 0; i < n_image_refs (self); i++)
        json_builder_add_string_value (builder, g_ptr_array_index (self->image_call_refs, i));
      json_builder_end_array (builder);
    }

  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}
