/* easel-result.c: the outcome of one request
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-result"

#include "config.h"

#include "easel-error.h"
#include "easel-event-private.h"
#include "easel-result.h"

G_DEFINE_BOXED_TYPE (EaselResult, easel_result, easel_result_copy, easel_result_free)

static void
set_str (char       **ptr,
         const char  *value)
{
  char *copy = g_strdup (value);

  g_free (*ptr);
  *ptr = copy;
}

EaselImage *
easel_image_new (void)
{
  return g_new0 (EaselImage, 1);
}

EaselImage *
easel_image_copy (const EaselImage *self)
{
  EaselImage *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = easel_image_new ();
  copy->bytes = self->bytes ? g_bytes_ref (self->bytes) : NULL;
  copy->url = g_strdup (self->url);
  copy->revised_prompt = g_strdup (self->revised_prompt);
  copy->item_id = g_strdup (self->item_id);
  copy->action = g_strdup (self->action);
  copy->size = g_strdup (self->size);
  copy->quality = g_strdup (self->quality);
  copy->background = g_strdup (self->background);
  copy->output_format = g_strdup (self->output_format);

  return copy;
}

void
easel_image_free (EaselImage *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->bytes, g_bytes_unref);
  g_free (self->url);
  g_free (self->revised_prompt);
  g_free (self->item_id);
  g_free (self->action);
  g_free (self->size);
  g_free (self->quality);
  g_free (self->background);
  g_free (self->output_format);
  g_free (self);
}

EaselResult *
easel_result_new (EaselApi api)
{
  EaselResult *self = g_new0 (EaselResult, 1);

  self->api = api;
  self->images = g_ptr_array_new_with_free_func ((GDestroyNotify) easel_image_free);

  return self;
}

EaselResult *
easel_result_copy (const EaselResult *self)
{
  EaselResult *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = easel_result_new (self->api);
  for (guint i = 0; i < self->images->len; i++)
    g_ptr_array_add (copy->images, easel_image_copy (g_ptr_array_index (self->images, i)));
  copy->response_id = g_strdup (self->response_id);
  copy->text = g_strdup (self->text);
  copy->usage = self->usage;
  copy->response_usage = self->response_usage;
  copy->request_id = g_strdup (self->request_id);
  copy->n_partials = self->n_partials;
  copy->created = self->created;

  return copy;
}

void
easel_result_free (EaselResult *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->images, g_ptr_array_unref);
  g_free (self->response_id);
  g_free (self->text);
  g_free (self->request_id);
  g_free (self);
}

/* Deltas already built the text when the done event arrives; only take the
 * done text when the deltas were missed. Several messages are concatenated. */
static void
merge_text (EaselResult *self,
            const char  *text)
{
  if (text == NULL || *text == '\0')
    return;

  if (self->text == NULL)
    self->text = g_strdup (text);
  else if (!g_str_has_suffix (self->text, text))
    {
      char *joined = g_strconcat (self->text, text, NULL);

      g_free (self->text);
      self->text = joined;
    }
}

static EaselImage *
image_from_event (const EaselEvent *event)
{
  EaselImage *image = easel_image_new ();

  image->bytes = event->image ? g_bytes_ref (event->image) : NULL;
  image->revised_prompt = g_strdup (event->revised_prompt);
  image->item_id = g_strdup (event->item_id);
  image->action = g_strdup (event->action);
  image->size = g_strdup (event->size);
  image->quality = g_strdup (event->quality);
  image->background = g_strdup (event->background);
  image->output_format = g_strdup (event->output_format);

  return image;
}

static void
add_image (EaselResult *self,
           EaselImage  *image)
{
  /* The same image call can be reported twice (a done item whose status
   * still said "generating", then again): keep the latest. */
  if (image->item_id != NULL)
    {
      for (guint i = 0; i < self->images->len; i++)
        {
          EaselImage *other = g_ptr_array_index (self->images, i);

          if (g_strcmp0 (other->item_id, image->item_id) == 0)
            {
              g_ptr_array_index (self->images, i) = image;
              easel_image_free (other);
              return;
            }
        }
    }

  g_ptr_array_add (self->images, image);
}

void
easel_result_add_event (EaselResult      *self,
                        const EaselEvent *event)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (event != NULL);

  if (self->created == 0 && event->created_at > 0)
    self->created = event->created_at;

  switch (event->kind)
    {
    case EASEL_EVENT_RESPONSE_CREATED:
    case EASEL_EVENT_RESPONSE_IN_PROGRESS:
    case EASEL_EVENT_RESPONSE_FAILED:
      if (event->response_id != NULL)
        set_str (&self->response_id, event->response_id);
      break;

    case EASEL_EVENT_RESPONSE_COMPLETED:
      if (event->response_id != NULL)
        set_str (&self->response_id, event->response_id);
      /* These are totals for the whole response, not increments. */
      if (event->usage.present)
        self->usage = event->usage;
      if (event->response_usage.present)
        self->response_usage = event->response_usage;
      break;

    case EASEL_EVENT_PARTIAL_IMAGE:
      self->n_partials++;
      break;

    case EASEL_EVENT_IMAGE_DONE:
      if (event->image != NULL)
        add_image (self, image_from_event (event));
      /* Images API: one completed event (with its usage) per image. */
      easel_usage_add (&self->usage, &event->usage);
      break;

    case EASEL_EVENT_TEXT_DELTA:
      if (event->text != NULL)
        {
          char *joined = g_strconcat (self->text ? self->text : "", event->text, NULL);

          g_free (self->text);
          self->text = joined;
        }
      break;

    case EASEL_EVENT_TEXT_DONE:
    case EASEL_EVENT_OUTPUT_ITEM_DONE:
      merge_text (self, event->text);
      break;

    case EASEL_EVENT_UNKNOWN:
    case EASEL_EVENT_OUTPUT_ITEM_ADDED:
    case EASEL_EVENT_IMAGE_CALL_IN_PROGRESS:
    case EASEL_EVENT_IMAGE_CALL_GENERATING:
    case EASEL_EVENT_IMAGE_CALL_COMPLETED:
    case EASEL_EVENT_ERROR:
    default:
      /* Errors are the caller's to report; the result holds successes. */
      break;
    }
}

static void
set_image_meta (EaselImage *image,
                JsonObject *object)
{
  const char *s;

  if ((s = _easel_json_get_string (object, "size")) != NULL)
    set_str (&image->size, s);
  if ((s = _easel_json_get_string (object, "quality")) != NULL)
    set_str (&image->quality, s);
  if ((s = _easel_json_get_string (object, "background")) != NULL)
    set_str (&image->background, s);
  if ((s = _easel_json_get_string (object, "output_format")) != NULL)
    set_str (&image->output_format, s);
  if ((s = _easel_json_get_string (object, "revised_prompt")) != NULL)
    set_str (&image->revised_prompt, s);
  if ((s = _easel_json_get_string (object, "action")) != NULL)
    set_str (&image->action, s);
}

static gboolean
parse_images_response (EaselResult  *self,
                       JsonObject   *root,
                       GError      **error)
{
  JsonArray *data = _easel_json_get_array (root, "data");
  guint n = data ? json_array_get_length (data) : 0;

  self->created = _easel_json_get_int (root, "created", 0);
  easel_usage_parse (json_object_get_member (root, "usage"), &self->usage);

  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (data, i);
      g_autoptr(EaselImage) image = NULL;
      JsonObject *entry;
      const char *b64;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      entry = json_node_get_object (node);

      image = easel_image_new ();
      set_image_meta (image, root);
      set_image_meta (image, entry);
      image->url = g_strdup (_easel_json_get_string (entry, "url"));

      if ((b64 = _easel_json_get_string (entry, "b64_json")) != NULL)
        {
          image->bytes = _easel_decode_image (b64, -1, error);
          if (image->bytes == NULL)
            return FALSE;
        }

      if (image->bytes == NULL && image->url == NULL)
        continue;

      g_ptr_array_add (self->images, g_steal_pointer (&image));
    }

  if (self->images->len == 0)
    {
      g_set_error_literal (error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE,
                           "The server answered without any image");
      return FALSE;
    }

  return TRUE;
}

static gboolean
parse_response_object (EaselResult  *self,
                       JsonObject   *root,
                       GError      **error)
{
  JsonArray *output = _easel_json_get_array (root, "output");
  JsonObject *tool_usage = _easel_json_get_object (root, "tool_usage");
  JsonObject *err = _easel_json_get_object (root, "error");
  guint n = output ? json_array_get_length (output) : 0;

  self->response_id = g_strdup (_easel_json_get_string (root, "id"));
  self->created = _easel_json_get_int (root, "created_at", 0);
  easel_usage_parse (json_object_get_member (root, "usage"), &self->response_usage);
  if (tool_usage != NULL)
    easel_usage_parse (json_object_get_member (tool_usage, "image_gen"), &self->usage);

  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (output, i);
      JsonObject *item;
      const char *type;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      item = json_node_get_object (node);
      type = _easel_json_get_string (item, "type");

      if (g_strcmp0 (type, "image_generation_call") == 0)
        {
          GError *item_error = NULL;
          g_autoptr(EaselImage) image = NULL;

          if (!_easel_image_item_classify (item, &item_error))
            {
              if (item_error != NULL)
                {
                  g_propagate_error (error, item_error);
                  return FALSE;
                }
              continue;
            }

          image = easel_image_new ();
          image->item_id = g_strdup (_easel_json_get_string (item, "id"));
          set_image_meta (image, item);
          image->bytes = _easel_decode_image (_easel_json_get_string (item, "result"), -1, error);
          if (image->bytes == NULL)
            return FALSE;
          g_ptr_array_add (self->images, g_steal_pointer (&image));
        }
      else if (g_strcmp0 (type, "message") == 0)
        {
          g_autofree char *text = _easel_message_item_text (item);

          if (text != NULL)
            {
              char *joined = g_strconcat (self->text ? self->text : "", text, NULL);

              g_free (self->text);
              self->text = joined;
            }
        }
    }

  if (err != NULL && self->images->len == 0)
    {
      g_propagate_error (error, easel_api_error_from_object (err, 0, EASEL_API_ERROR_FAILED));
      return FALSE;
    }

  return TRUE;
}

EaselResult *
easel_result_new_from_json (EaselApi   api,
                            JsonNode  *root,
                            GError   **error)
{
  g_autoptr(EaselResult) self = NULL;
  JsonObject *object;
  JsonObject *err;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, EASEL_API_ERROR, EASEL_API_ERROR_BAD_RESPONSE,
                           "The server answered with something that is not a JSON object");
      return NULL;
    }
  object = json_node_get_object (root);

  /* An error body handed over by mistake still reads as its error. */
  err = _easel_json_get_object (object, "error");
  if (err != NULL && api != EASEL_API_RESPONSES)
    {
      g_propagate_error (error, easel_api_error_from_object (err, 0, EASEL_API_ERROR_FAILED));
      return NULL;
    }

  self = easel_result_new (api);

  if (api == EASEL_API_RESPONSES)
    {
      if (!parse_response_object (self, object, error))
        return NULL;
    }
  else if (!parse_images_response (self, object, error))
    return NULL;

  return g_steal_pointer (&self);
}
