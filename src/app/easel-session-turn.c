/* easel-session-turn.c: one exchange of a studio conversation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-session-turn"

#include "config.h"

#include <glib/gi18n.h>

#include "easel-image-decoder.h"
#include "easel-session-turn.h"

struct _EaselSessionTurn
{
  GObject parent_instance;

  char *id;
  EaselSessionTurn *parent;            /* weak: the conversation owns every turn */
  char *prompt;
  GString *assistant_text;
  GdkTexture *texture;
  GdkTexture *thumbnail;
  GBytes *image_bytes;
  GFile *image_file;            /* the library's copy, once stored */
  GCancellable *loading;        /* ensure_texture in flight */
  char *image_mime_type;
  char *revised_prompt;
  char *action;
  char *response_id;
  char *image_call_id;
  char *status;
  gint64 tokens;
  double cost;
  EaselTurnState state;
  GError *error;
  GListStore *inputs;
  GPtrArray *input_images;      /* EaselInputImage* */
  GListStore *candidates;
  GPtrArray *candidate_bytes;   /* GBytes*, parallel to candidates */
  GArray *candidate_index;      /* guint: each one's place in the server's answer */
  EaselRequest *request;
  guint sibling_index;
  guint n_siblings;
  EaselResult *result;          /* the client's answer, as it came */
  GBytes *partial_bytes;        /* the last partial image received */
  guint picked;                 /* the candidate on show, in the server's order */
  EaselLibraryLink *library_link;  /* its rows in the library, once handed over */
  char *server;                 /* the base URL the request went to */
  double estimated_usd;         /* the estimate shown before it was sent, -1 = none */
  guint is_partial : 1;
};

G_DEFINE_FINAL_TYPE (EaselSessionTurn, easel_session_turn, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_PROMPT,
  PROP_ASSISTANT_TEXT,
  PROP_TEXTURE,
  PROP_THUMBNAIL,
  PROP_IS_PARTIAL,
  PROP_REVISED_PROMPT,
  PROP_ACTION,
  PROP_TOKENS,
  PROP_COST,
  PROP_STATE,
  PROP_ERROR_MESSAGE,
  PROP_RESPONSE_ID,
  PROP_STATUS,
  PROP_SIBLING_INDEX,
  PROP_N_SIBLINGS,
  PROP_PICKED,
  PROP_INPUTS,
  PROP_CANDIDATES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

GType
easel_turn_state_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    { EASEL_TURN_PENDING, "EASEL_TURN_PENDING", "pending" },
    { EASEL_TURN_RUNNING, "EASEL_TURN_RUNNING", "running" },
    { EASEL_TURN_DONE, "EASEL_TURN_DONE", "done" },
    { EASEL_TURN_CANCELLED, "EASEL_TURN_CANCELLED", "cancelled" },
    { EASEL_TURN_FAILED, "EASEL_TURN_FAILED", "failed" },
    { EASEL_TURN_INCOMPLETE, "EASEL_TURN_INCOMPLETE", "incomplete" },
    { 0, NULL, NULL }
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("EaselTurnState", values));
  return type;
}

static void
easel_session_turn_finalize (GObject *object)
{
  EaselSessionTurn *self = (EaselSessionTurn *)object;

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->prompt, g_free);
  g_string_free (self->assistant_text, TRUE);
  if (self->loading)
    g_cancellable_cancel (self->loading);
  g_clear_object (&self->loading);
  g_clear_object (&self->texture);
  g_clear_object (&self->thumbnail);
  g_clear_pointer (&self->image_bytes, g_bytes_unref);
  g_clear_object (&self->image_file);
  g_clear_pointer (&self->image_mime_type, g_free);
  g_clear_pointer (&self->revised_prompt, g_free);
  g_clear_pointer (&self->action, g_free);
  g_clear_pointer (&self->response_id, g_free);
  g_clear_pointer (&self->image_call_id, g_free);
  g_clear_pointer (&self->status, g_free);
  g_clear_error (&self->error);
  g_clear_object (&self->inputs);
  g_clear_pointer (&self->input_images, g_ptr_array_unref);
  g_clear_object (&self->candidates);
  g_clear_pointer (&self->candidate_bytes, g_ptr_array_unref);
  g_clear_pointer (&self->candidate_index, g_array_unref);
  g_clear_pointer (&self->result, easel_result_free);
  g_clear_pointer (&self->partial_bytes, g_bytes_unref);
  g_clear_pointer (&self->library_link, easel_library_link_unref);
  g_clear_pointer (&self->server, g_free);
  g_clear_pointer (&self->request, easel_request_free);

  G_OBJECT_CLASS (easel_session_turn_parent_class)->finalize (object);
}

static void
easel_session_turn_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  EaselSessionTurn *self = EASEL_SESSION_TURN (object);

  switch (prop_id)
    {
    case PROP_ID: g_value_set_string (value, self->id); break;
    case PROP_PROMPT: g_value_set_string (value, self->prompt); break;
    case PROP_ASSISTANT_TEXT: g_value_set_string (value, self->assistant_text->str); break;
    case PROP_TEXTURE: g_value_set_object (value, self->texture); break;
    case PROP_THUMBNAIL: g_value_set_object (value, self->thumbnail); break;
    case PROP_IS_PARTIAL: g_value_set_boolean (value, self->is_partial); break;
    case PROP_REVISED_PROMPT: g_value_set_string (value, self->revised_prompt); break;
    case PROP_ACTION: g_value_set_string (value, self->action); break;
    case PROP_TOKENS: g_value_set_int64 (value, self->tokens); break;
    case PROP_COST: g_value_set_double (value, self->cost); break;
    case PROP_STATE: g_value_set_enum (value, self->state); break;
    case PROP_ERROR_MESSAGE: g_value_set_string (value, easel_session_turn_get_error_message (self)); break;
    case PROP_RESPONSE_ID: g_value_set_string (value, self->response_id); break;
    case PROP_STATUS: g_value_set_string (value, self->status); break;
    case PROP_SIBLING_INDEX: g_value_set_uint (value, self->sibling_index); break;
    case PROP_N_SIBLINGS: g_value_set_uint (value, self->n_siblings); break;
    case PROP_PICKED: g_value_set_uint (value, self->picked); break;
    case PROP_INPUTS: g_value_set_object (value, self->inputs); break;
    case PROP_CANDIDATES: g_value_set_object (value, self->candidates); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_session_turn_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  EaselSessionTurn *self = EASEL_SESSION_TURN (object);

  switch (prop_id)
    {
    case PROP_PROMPT:
      g_free (self->prompt);
      self->prompt = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_session_turn_class_init (EaselSessionTurnClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = easel_session_turn_finalize;
  object_class->get_property = easel_session_turn_get_property;
  object_class->set_property = easel_session_turn_set_property;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, ro);
  properties[PROP_PROMPT] =
    g_param_spec_string ("prompt", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ASSISTANT_TEXT] = g_param_spec_string ("assistant-text", NULL, NULL, NULL, ro);
  properties[PROP_TEXTURE] = g_param_spec_object ("texture", NULL, NULL, GDK_TYPE_TEXTURE, ro);
  properties[PROP_THUMBNAIL] = g_param_spec_object ("thumbnail", NULL, NULL, GDK_TYPE_TEXTURE, ro);
  properties[PROP_IS_PARTIAL] = g_param_spec_boolean ("is-partial", NULL, NULL, FALSE, ro);
  properties[PROP_REVISED_PROMPT] = g_param_spec_string ("revised-prompt", NULL, NULL, NULL, ro);
  properties[PROP_ACTION] = g_param_spec_string ("action", NULL, NULL, NULL, ro);
  properties[PROP_TOKENS] = g_param_spec_int64 ("tokens", NULL, NULL, -1, G_MAXINT64, -1, ro);
  properties[PROP_COST] = g_param_spec_double ("cost", NULL, NULL, -1, G_MAXDOUBLE, -1, ro);
  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, EASEL_TYPE_TURN_STATE, EASEL_TURN_PENDING, ro);
  properties[PROP_ERROR_MESSAGE] = g_param_spec_string ("error-message", NULL, NULL, NULL, ro);
  properties[PROP_RESPONSE_ID] = g_param_spec_string ("response-id", NULL, NULL, NULL, ro);
  properties[PROP_STATUS] = g_param_spec_string ("status", NULL, NULL, NULL, ro);
  properties[PROP_SIBLING_INDEX] = g_param_spec_uint ("sibling-index", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_N_SIBLINGS] = g_param_spec_uint ("n-siblings", NULL, NULL, 0, G_MAXUINT, 1, ro);
  properties[PROP_PICKED] = g_param_spec_uint ("picked", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_INPUTS] = g_param_spec_object ("inputs", NULL, NULL, G_TYPE_LIST_MODEL, ro);
  properties[PROP_CANDIDATES] = g_param_spec_object ("candidates", NULL, NULL, G_TYPE_LIST_MODEL, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
easel_session_turn_init (EaselSessionTurn *self)
{
  self->id = g_uuid_string_random ();
  self->assistant_text = g_string_new (NULL);
  self->tokens = -1;
  self->cost = -1;
  self->n_siblings = 1;
  self->inputs = g_list_store_new (GDK_TYPE_TEXTURE);
  self->input_images = g_ptr_array_new_with_free_func ((GDestroyNotify)easel_input_image_free);
  self->estimated_usd = -1;
  self->candidates = g_list_store_new (GDK_TYPE_TEXTURE);
  self->candidate_bytes = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
  self->candidate_index = g_array_new (FALSE, FALSE, sizeof (guint));
}

EaselSessionTurn *
easel_session_turn_new (const char *prompt)
{
  return g_object_new (EASEL_TYPE_SESSION_TURN, "prompt", prompt, NULL);
}

/* g_set_str() arrived in GLib 2.76; we target 2.74. */
static gboolean
replace_str (char       **field,
             const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static void
set_string (EaselSessionTurn  *self,
            char      **field,
            const char *value,
            int         prop)
{
  if (replace_str (field, value))
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

const char *
easel_session_turn_get_id (EaselSessionTurn *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), NULL);
  return self->id;
}

EaselSessionTurn *
easel_session_turn_get_parent (EaselSessionTurn *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), NULL);
  return self->parent;
}

void
easel_session_turn_set_parent (EaselSessionTurn *self,
                       EaselSessionTurn *parent)
{
  g_return_if_fail (EASEL_IS_SESSION_TURN (self));
  g_return_if_fail (!parent || EASEL_IS_SESSION_TURN (parent));
  self->parent = parent;
}

const char *
easel_session_turn_get_prompt (EaselSessionTurn *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), NULL);
  return self->prompt;
}

EaselTurnState
easel_session_turn_get_state (EaselSessionTurn *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), EASEL_TURN_PENDING);
  return self->state;
}

void
easel_session_turn_set_state (EaselSessionTurn      *self,
                      EaselTurnState  state)
{
  g_return_if_fail (EASEL_IS_SESSION_TURN (self));
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

gboolean
easel_session_turn_is_finished (EaselSessionTurn *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), FALSE);
  return self->state != EASEL_TURN_PENDING && self->state != EASEL_TURN_RUNNING;
}

const char *
easel_session_turn_get_assistant_text (EaselSessionTurn *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), NULL);
  return self->assistant_text->str;
}

void
easel_session_turn_append_text (EaselSessionTurn  *self,
                        const char *delta)
{
  g_return_if_fail (EASEL_IS_SESSION_TURN (self));
  if (delta == NULL || *delta == 0)
    return;
  g_string_append (self->assistant_text, delta);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ASSISTANT_TEXT]);
}

void
easel_session_turn_set_assistant_text (EaselSessionTurn  *self,
                               const char *text)
{
  g_return_if_fail (EASEL_IS_SESSION_TURN (self));
  if (g_strcmp0 (self->assistant_text->str, text) == 0)
    return;
  g_string_assign (self->assistant_text, text ? text : "");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ASSISTANT_TEXT]);
}

GdkTexture *
easel_session_turn_get_texture (EaselSessionTurn *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), NULL);
  return self->texture;
}

gboolean
easel_session_turn_get_is_partial (EaselSessionTurn *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), FALSE);
  return self->is_partial;
}

void
easel_session_turn_set_texture (EaselSessionTurn  *self,
                        GdkTexture *texture,
                        gboolean    is_partial)
{
  g_return_if_fail (EASEL_IS_SESSION_TURN (self));
  g_return_if_fail (!texture || GDK_IS_TEXTURE (texture));

  g_object_freeze_notify (G_OBJECT (self));
  if (g_set_object (&self->texture, texture))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEXTURE]);
  if (self->is_partial != !!is_partial)
    {
      self->is_partial = !!is_partial;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IS_PARTIAL]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

GBytes *
easel_session_turn_get_image_bytes (EaselSessionTurn *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), NULL);
  return self->image_bytes;
}

const char *
easel_session_turn_get_image_mime_type (EaselSessionTurn *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), NULL);
  return self->image_mime_type ? self->image_mime_type : "image/png";
}

void
easel_session_turn_set_image_bytes (EaselSessionTurn  *self,
                            GBytes     *bytes,
                            const char *mime_type)
{
  g_return_if_fail (EASEL_IS_SESSION_TURN (self));
  if (bytes)
    g_bytes_ref (bytes);
  g_clear_pointer (&self->image_bytes, g_bytes_unref);
  self->image_bytes = bytes;
  replace_str (&self->image_mime_type, mime_type);
}

EaselSessionTurn *
easel_session_turn_find_image_turn (EaselSessionTurn *self)
{
  g_return_val_if_fail (!self || EASEL_IS_SESSION_TURN (self), NULL);

  for (EaselSessionTurn *turn = self; turn != NULL; turn = turn->parent)
    if (turn->texture != NULL || turn->image_bytes != NULL || turn->image_file != NULL)
      return turn;
  return NULL;
}

GdkTexture *
easel_session_turn_get_thumbnail (EaselSessionTurn *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), NULL);
  return self->thumbnail;
}

void
easel_session_turn_set_thumbnail (EaselSessionTurn *self,
                                  GdkTexture       *thumbnail)
{
  g_return_if_fail (EASEL_IS_SESSION_TURN (self));
  g_return_if_fail (!thumbnail || GDK_IS_TEXTURE (thumbnail));

  if (g_set_object (&self->thumbnail, thumbnail))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_THUMBNAIL]);
}

GFile *
easel_session_turn_get_image_file (EaselSessionTurn *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), NULL);
  return self->image_file;
}

void
easel_session_turn_set_image_file (EaselSessionTurn *self,
                                   GFile            *file,
                                   const char       *mime_type)
{
  g_return_if_fail (EASEL_IS_SESSION_TURN (self));
  g_return_if_fail (!file || G_IS_FILE (file));

  g_set_object (&self->image_file, file);
  if (mime_type != NULL)
    replace_str (&self->image_mime_type, mime_type);
}

gboolean
easel_session_turn_release_image (EaselSessionTurn *self)
{
  gboolean released;

  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), FALSE);

  /* Only what can be had again is let go: a finished image that the
   * library holds, with a thumbnail standing in for it meanwhile. A running
   * turn's frames, or an image not yet on disk, stay. */
  if (self->image_file == NULL || self->thumbnail == NULL ||
      self->state == EASEL_TURN_RUNNING || self->state == EASEL_TURN_PENDING ||
      self->is_partial)
    return FALSE;

  if (self->loading)
    g_cancellable_cancel (self->loading);
  g_clear_object (&self->loading);

  released = self->texture != NULL || self->image_bytes != NULL;
  g_clear_pointer (&self->image_bytes, g_bytes_unref);
  if (self->texture != NULL)
    {
      g_clear_object (&self->texture);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEXTURE]);
    }
  return released;
}

typedef struct
{
  EaselSessionTurn *turn;
  gboolean replace;   /* a picked candidate replaces what is on show */
} LoadData;

static void
load_data_free (LoadData *data)
{
  g_clear_object (&data->turn);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LoadData, load_data_free)

static LoadData *
load_data_new (EaselSessionTurn *turn,
               gboolean          replace)
{
  LoadData *data = g_new0 (LoadData, 1);

  data->turn = g_object_ref (turn);
  data->replace = replace;
  return data;
}

static void
full_texture_decoded_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(LoadData) data = user_data;
  EaselSessionTurn *self = data->turn;
  g_autoptr(GdkTexture) thumbnail = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;

  texture = easel_image_decode_frame_finish (result, &thumbnail, &error);
  if (texture == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_warning ("Could not decode the image of a turn: %s", error->message);
          g_clear_object (&self->loading);
        }
      return;
    }

  g_clear_object (&self->loading);
  if (self->texture == NULL || data->replace)
    easel_session_turn_set_texture (self, texture, FALSE);
  if (self->thumbnail == NULL)
    easel_session_turn_set_thumbnail (self, thumbnail);
}

static void
image_file_loaded_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(LoadData) data = user_data;
  EaselSessionTurn *self = data->turn;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  bytes = g_file_load_bytes_finish (G_FILE (object), result, NULL, &error);
  if (bytes == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *message = g_strdup_printf (_("The image file is missing from the library: %s"),
                                                      error->message);

          /* A user-facing condition (the status says it), not a bug. */
          g_message ("%s", message);
          easel_session_turn_set_status (self, message);
          g_clear_object (&self->loading);
          /* Nothing to load any more: whoever waits for "texture" (the
           * canvas) stops waiting and shows that there is no image. */
          g_clear_object (&self->image_file);
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEXTURE]);
        }
      return;
    }

  if (g_cancellable_is_cancelled (self->loading))
    return;
  if (self->image_bytes == NULL)
    self->image_bytes = g_bytes_ref (bytes);
  easel_image_decode_frame_async (bytes, EASEL_SESSION_TURN_THUMBNAIL_SIZE, self->loading,
                                  full_texture_decoded_cb, g_steal_pointer (&data));
}

static void
load_texture (EaselSessionTurn *self,
              gboolean          replace)
{
  if (self->loading)
    g_cancellable_cancel (self->loading);
  g_clear_object (&self->loading);

  self->loading = g_cancellable_new ();
  if (self->image_bytes != NULL)
    easel_image_decode_frame_async (self->image_bytes, EASEL_SESSION_TURN_THUMBNAIL_SIZE, self->loading,
                                    full_texture_decoded_cb, load_data_new (self, replace));
  else
    g_file_load_bytes_async (self->image_file, self->loading,
                             image_file_loaded_cb, load_data_new (self, replace));
}

void
easel_session_turn_ensure_texture (EaselSessionTurn *self)
{
  g_return_if_fail (EASEL_IS_SESSION_TURN (self));

  if (self->texture != NULL || self->loading != NULL)
    return;
  if (self->image_bytes == NULL && self->image_file == NULL)
    return;
  load_texture (self, FALSE);
}

static void
image_bytes_loaded_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GBytes *bytes;
  GError *error = NULL;

  bytes = g_file_load_bytes_finish (G_FILE (object), result, NULL, &error);
  if (bytes == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, bytes, (GDestroyNotify)g_bytes_unref);
}

void
easel_session_turn_load_image_bytes_async (EaselSessionTurn    *self,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (EASEL_IS_SESSION_TURN (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_session_turn_load_image_bytes_async);

  if (self->image_bytes != NULL)
    g_task_return_pointer (task, g_bytes_ref (self->image_bytes), (GDestroyNotify)g_bytes_unref);
  else if (self->image_file != NULL)
    g_file_load_bytes_async (self->image_file, cancellable, image_bytes_loaded_cb, g_steal_pointer (&task));
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s", _("This turn has no image"));
}

GBytes *
easel_session_turn_load_image_bytes_finish (EaselSessionTurn  *self,
                                            GAsyncResult      *result,
                                            GError           **error)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

const char *
easel_session_turn_get_revised_prompt (EaselSessionTurn *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), NULL);
  return self->revised_prompt;
}

void
easel_session_turn_set_revised_prompt (EaselSessionTurn  *self,
                               const char *revised_prompt)
{
  g_return_if_fail (EASEL_IS_SESSION_TURN (self));
  set_string (self, &self->revised_prompt, revised_prompt, PROP_REVISED_PROMPT);
}

const char *
easel_session_turn_get_action (EaselSessionTurn *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), NULL);
  return self->action;
}

void
easel_session_turn_set_action (EaselSessionTurn  *self,
                       const char *action)
{
  g_return_if_fail (EASEL_IS_SESSION_TURN (self));
  set_string (self, &self->action, action, PROP_ACTION);
}

const char *
easel_session_turn_get_response_id (EaselSessionTurn *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), NULL);
  return self->response_id;
}

void
easel_session_turn_set_response_id (EaselSessionTurn  *self,
                            const char *response_id)
{
  g_return_if_fail (EASEL_IS_SESSION_TURN (self));
  set_string (self, &self->response_id, response_id, PROP_RESPONSE_ID);
}

const char *
easel_session_turn_get_image_call_id (EaselSessionTurn *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), NULL);
  return self->image_call_id;
}

void
easel_session_turn_set_image_call_id (EaselSessionTurn  *self,
                              const char *item_id)
{
  g_return_if_fail (EASEL_IS_SESSION_TURN (self));
  replace_str (&self->image_call_id, item_id);
}

gint64
easel_session_turn_get_tokens (EaselSessionTurn *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), -1);
  return self->tokens;
}

double
easel_session_turn_get_cost (EaselSessionTurn *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), -1);
  return self->cost;
}

void
easel_session_turn_set_usage (EaselSessionTurn *self,
                      gint64     tokens,
                      double     cost_usd)
{
  g_return_if_fail (EASEL_IS_SESSION_TURN (self));

  g_object_freeze_notify (G_OBJECT (self));
  if (self->tokens != tokens)
    {
      self->tokens = tokens;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOKENS]);
    }
  if (self->cost != cost_usd)
    {
      self->cost = cost_usd;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COST]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

const GError *
easel_session_turn_get_error (EaselSessionTurn *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), NULL);
  return self->error;
}

const char *
easel_session_turn_get_error_message (EaselSessionTurn *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), NULL);
  return self->error ? self->error->message : NULL;
}

void
easel_session_turn_set_error (EaselSessionTurn    *self,
                      const GError *error)
{
  g_return_if_fail (EASEL_IS_SESSION_TURN (self));
  g_clear_error (&self->error);
  if (error)
    self->error = g_error_copy (error);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR_MESSAGE]);
}

const char *
easel_session_turn_get_status (EaselSessionTurn *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), NULL);
  return self->status;
}

void
easel_session_turn_set_status (EaselSessionTurn  *self,
                       const char *status)
{
  g_return_if_fail (EASEL_IS_SESSION_TURN (self));
  set_string (self, &self->status, status, PROP_STATUS);
}

GListModel *
easel_session_turn_get_inputs (EaselSessionTurn *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), NULL);
  return G_LIST_MODEL (self->inputs);
}

void
easel_session_turn_add_input (EaselSessionTurn             *self,
                      GdkTexture            *thumbnail,
                      const EaselInputImage *image)
{
  g_return_if_fail (EASEL_IS_SESSION_TURN (self));
  if (thumbnail)
    g_list_store_append (self->inputs, thumbnail);
  if (image)
    g_ptr_array_add (self->input_images, easel_input_image_copy (image));
}

GPtrArray *
easel_session_turn_get_input_images (EaselSessionTurn *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), NULL);
  return self->input_images;
}

GListModel *
easel_session_turn_get_candidates (EaselSessionTurn *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), NULL);
  return G_LIST_MODEL (self->candidates);
}

void
easel_session_turn_add_candidate (EaselSessionTurn *self,
                                  guint             index,
                                  GdkTexture       *texture,
                                  GBytes           *bytes)
{
  guint position = 0;

  g_return_if_fail (EASEL_IS_SESSION_TURN (self));
  g_return_if_fail (GDK_IS_TEXTURE (texture));

  /* Decodes finish in any order; the strip keeps the server's. */
  while (position < self->candidate_index->len &&
         g_array_index (self->candidate_index, guint, position) < index)
    position++;
  g_array_insert_val (self->candidate_index, position, index);
  g_ptr_array_insert (self->candidate_bytes, position, bytes ? g_bytes_ref (bytes) : g_bytes_new (NULL, 0));
  g_list_store_insert (self->candidates, position, texture);
}

void
easel_session_turn_pick_candidate (EaselSessionTurn *self,
                           guint      position)
{
  g_autoptr(GdkTexture) texture = NULL;

  g_return_if_fail (EASEL_IS_SESSION_TURN (self));
  texture = g_list_model_get_item (G_LIST_MODEL (self->candidates), position);
  if (texture == NULL)
    return;
  if (self->picked != position)
    {
      self->picked = position;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PICKED]);
    }
  /* The strip holds thumbnails; the full image is decoded again from the
   * candidate's bytes and replaces the one on show when it is ready. */
  easel_session_turn_set_image_bytes (self, g_ptr_array_index (self->candidate_bytes, position), self->image_mime_type);
  g_clear_object (&self->image_file);
  easel_session_turn_set_thumbnail (self, texture);
  load_texture (self, TRUE);
}

const EaselRequest *
easel_session_turn_get_request (EaselSessionTurn *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), NULL);
  return self->request;
}

void
easel_session_turn_set_request (EaselSessionTurn          *self,
                        const EaselRequest *request)
{
  g_return_if_fail (EASEL_IS_SESSION_TURN (self));
  g_clear_pointer (&self->request, easel_request_free);
  if (request)
    self->request = easel_request_copy (request);
}

void
easel_session_turn_set_siblings (EaselSessionTurn *self,
                         guint      index,
                         guint      n_siblings)
{
  g_return_if_fail (EASEL_IS_SESSION_TURN (self));

  g_object_freeze_notify (G_OBJECT (self));
  if (self->sibling_index != index)
    {
      self->sibling_index = index;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIBLING_INDEX]);
    }
  if (self->n_siblings != n_siblings)
    {
      self->n_siblings = n_siblings;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_SIBLINGS]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

/* What the library records */

const EaselResult *
easel_session_turn_get_result (EaselSessionTurn *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), NULL);
  return self->result;
}

void
easel_session_turn_set_result (EaselSessionTurn  *self,
                               const EaselResult *result)
{
  g_return_if_fail (EASEL_IS_SESSION_TURN (self));
  g_clear_pointer (&self->result, easel_result_free);
  if (result != NULL)
    self->result = easel_result_copy (result);
}

GBytes *
easel_session_turn_get_partial_bytes (EaselSessionTurn *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), NULL);
  return self->partial_bytes;
}

void
easel_session_turn_set_partial_bytes (EaselSessionTurn *self,
                                      GBytes           *bytes)
{
  g_return_if_fail (EASEL_IS_SESSION_TURN (self));
  if (bytes != NULL)
    g_bytes_ref (bytes);
  g_clear_pointer (&self->partial_bytes, g_bytes_unref);
  self->partial_bytes = bytes;
}

guint
easel_session_turn_get_picked (EaselSessionTurn *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), 0);
  return self->picked;
}

EaselLibraryLink *
easel_session_turn_get_library_link (EaselSessionTurn *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), NULL);
  return self->library_link;
}

void
easel_session_turn_set_library_link (EaselSessionTurn *self,
                                     EaselLibraryLink *link)
{
  g_return_if_fail (EASEL_IS_SESSION_TURN (self));
  if (link != NULL)
    easel_library_link_ref (link);
  g_clear_pointer (&self->library_link, easel_library_link_unref);
  self->library_link = link;
}

const char *
easel_session_turn_get_server (EaselSessionTurn *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), NULL);
  return self->server;
}

double
easel_session_turn_get_estimated_usd (EaselSessionTurn *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (self), -1);
  return self->estimated_usd;
}

void
easel_session_turn_set_sent (EaselSessionTurn *self,
                             const char       *server,
                             double            estimated_usd)
{
  g_return_if_fail (EASEL_IS_SESSION_TURN (self));
  g_free (self->server);
  self->server = g_strdup (server);
  self->estimated_usd = estimated_usd;
}
