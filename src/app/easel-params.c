/* easel-params.c: the generation parameters, persisted in GSettings
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-params"

#include "config.h"

#include "easel-json.h"

#include "easel-params.h"

struct _EaselParams
{
  GObject parent_instance;

  GSettings *settings;

  char *api_mode;
  char *responses_model;
  char *image_model;
  char *size;
  char *quality;
  char *background;
  char *output_format;
  int output_compression;
  char *moderation;
  int partial_images;
  char *action;
  char *input_fidelity;
  char *service_tier;
  int n;
};

G_DEFINE_FINAL_TYPE (EaselParams, easel_params, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_API_MODE,
  PROP_RESPONSES_MODEL,
  PROP_IMAGE_MODEL,
  PROP_SIZE,
  PROP_QUALITY,
  PROP_BACKGROUND,
  PROP_OUTPUT_FORMAT,
  PROP_OUTPUT_COMPRESSION,
  PROP_MODERATION,
  PROP_PARTIAL_IMAGES,
  PROP_ACTION,
  PROP_INPUT_FIDELITY,
  PROP_SERVICE_TIER,
  PROP_N,
  N_PROPS
};

enum {
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* The string properties, by property id, so get/set stay one switch. */
static char **
string_field (EaselParams *self,
              guint        prop_id)
{
  switch (prop_id)
    {
    case PROP_API_MODE: return &self->api_mode;
    case PROP_RESPONSES_MODEL: return &self->responses_model;
    case PROP_IMAGE_MODEL: return &self->image_model;
    case PROP_SIZE: return &self->size;
    case PROP_QUALITY: return &self->quality;
    case PROP_BACKGROUND: return &self->background;
    case PROP_OUTPUT_FORMAT: return &self->output_format;
    case PROP_MODERATION: return &self->moderation;
    case PROP_ACTION: return &self->action;
    case PROP_INPUT_FIDELITY: return &self->input_fidelity;
    case PROP_SERVICE_TIER: return &self->service_tier;
    default: return NULL;
    }
}

static int *
int_field (EaselParams *self,
           guint        prop_id)
{
  switch (prop_id)
    {
    case PROP_OUTPUT_COMPRESSION: return &self->output_compression;
    case PROP_PARTIAL_IMAGES: return &self->partial_images;
    case PROP_N: return &self->n;
    default: return NULL;
    }
}

static void
easel_params_finalize (GObject *object)
{
  EaselParams *self = (EaselParams *)object;

  for (guint i = 1; i < N_PROPS; i++)
    {
      char **field = string_field (self, i);
      if (field)
        g_clear_pointer (field, g_free);
    }
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (easel_params_parent_class)->finalize (object);
}

static void
easel_params_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  EaselParams *self = EASEL_PARAMS (object);
  char **str = string_field (self, prop_id);
  int *num = int_field (self, prop_id);

  if (str)
    g_value_set_string (value, *str ? *str : "");
  else if (num)
    g_value_set_int (value, *num);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
easel_params_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  EaselParams *self = EASEL_PARAMS (object);
  char **str = string_field (self, prop_id);
  int *num = int_field (self, prop_id);

  if (str)
    {
      const char *v = g_value_get_string (value);

      if (g_strcmp0 (*str, v ? v : "") == 0)
        return;
      g_free (*str);
      *str = g_strdup (v ? v : "");
    }
  else if (num)
    {
      if (*num == g_value_get_int (value))
        return;
      *num = g_value_get_int (value);
    }
  else
    {
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }

  g_object_notify_by_pspec (object, pspec);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
easel_params_class_init (EaselParamsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = easel_params_finalize;
  object_class->get_property = easel_params_get_property;
  object_class->set_property = easel_params_set_property;

  properties[PROP_API_MODE] = g_param_spec_string ("api-mode", NULL, NULL, "responses", rw);
  properties[PROP_RESPONSES_MODEL] = g_param_spec_string ("responses-model", NULL, NULL, "gpt-4.1", rw);
  properties[PROP_IMAGE_MODEL] = g_param_spec_string ("image-model", NULL, NULL, "gpt-image-1.5", rw);  /* the schema default; gpt-image-1 is retired */
  properties[PROP_SIZE] = g_param_spec_string ("size", NULL, NULL, "auto", rw);
  properties[PROP_QUALITY] = g_param_spec_string ("quality", NULL, NULL, "auto", rw);
  properties[PROP_BACKGROUND] = g_param_spec_string ("background", NULL, NULL, "auto", rw);
  properties[PROP_OUTPUT_FORMAT] = g_param_spec_string ("output-format", NULL, NULL, "png", rw);
  properties[PROP_OUTPUT_COMPRESSION] = g_param_spec_int ("output-compression", NULL, NULL, 0, 100, 100, rw);
  properties[PROP_MODERATION] = g_param_spec_string ("moderation", NULL, NULL, "auto", rw);
  properties[PROP_PARTIAL_IMAGES] = g_param_spec_int ("partial-images", NULL, NULL, 0, 3, 2, rw);
  properties[PROP_ACTION] = g_param_spec_string ("action", NULL, NULL, "auto", rw);
  properties[PROP_INPUT_FIDELITY] = g_param_spec_string ("input-fidelity", NULL, NULL, "", rw);
  properties[PROP_SERVICE_TIER] = g_param_spec_string ("service-tier", NULL, NULL, "auto", rw);
  properties[PROP_N] = g_param_spec_int ("n", NULL, NULL, 1, 10, 1, rw);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
easel_params_init (EaselParams *self)
{
  /* Defaults come from the pspecs so they are written down once. */
  for (guint i = 1; i < N_PROPS; i++)
    {
      char **str = string_field (self, i);
      int *num = int_field (self, i);

      if (str)
        *str = g_strdup (G_PARAM_SPEC_STRING (properties[i])->default_value);
      else if (num)
        *num = G_PARAM_SPEC_INT (properties[i])->default_value;
    }
}

GSettings *
easel_params_dup_default_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source == NULL)
    return NULL;
  schema = g_settings_schema_source_lookup (source, SETTINGS_SCHEMA_ID, TRUE);
  if (schema == NULL)
    return NULL;
  return g_settings_new_full (schema, NULL, NULL);
}

EaselParams *
easel_params_new (GSettings *settings)
{
  EaselParams *self;
  g_autoptr(GSettingsSchema) schema = NULL;

  g_return_val_if_fail (!settings || G_IS_SETTINGS (settings), NULL);

  self = g_object_new (EASEL_TYPE_PARAMS, NULL);
  if (settings == NULL)
    return self;

  self->settings = g_object_ref (settings);
  g_object_get (settings, "settings-schema", &schema, NULL);

  /* Bind only the keys the schema has, with types that match: the schema is
   * written elsewhere and may lag behind. */
  for (guint i = 1; i < N_PROPS; i++)
    {
      const char *key = g_param_spec_get_name (properties[i]);

      if (i == PROP_N || !g_settings_schema_has_key (schema, key))
        continue;
      g_settings_bind (settings, key, self, key, G_SETTINGS_BIND_DEFAULT);
    }

  return self;
}

gboolean
easel_params_is_images_api (EaselParams *self)
{
  g_return_val_if_fail (EASEL_IS_PARAMS (self), FALSE);
  return g_strcmp0 (self->api_mode, "images") == 0;
}

const char *
easel_params_get_image_model (EaselParams *self)
{
  g_return_val_if_fail (EASEL_IS_PARAMS (self), NULL);
  return self->image_model;
}

static char *
dup_set (const char *value)
{
  return (value && *value) ? g_strdup (value) : NULL;
}

EaselRequest *
easel_params_build_request (EaselParams *self,
                            const char  *prompt,
                            guint        n_images)
{
  const EaselModelInfo *info;
  EaselRequest *request;
  gboolean lossy;

  g_return_val_if_fail (EASEL_IS_PARAMS (self), NULL);

  info = easel_model_lookup (self->image_model);

  if (easel_params_is_images_api (self))
    {
      request = easel_request_new (n_images > 0 ? EASEL_API_IMAGES_EDIT : EASEL_API_IMAGES_GENERATE);
      request->n = self->n > 1 ? self->n : -1;
    }
  else
    {
      request = easel_request_new (EASEL_API_RESPONSES);
      request->responses_model = dup_set (self->responses_model);
      if (g_strcmp0 (self->action, "auto") != 0)
        request->action = dup_set (self->action);
      /* "auto" is what the server does without the field (as the CLI). */
      if (g_strcmp0 (self->service_tier, "auto") != 0)
        request->service_tier = dup_set (self->service_tier);
    }

  request->prompt = g_strdup (prompt);
  request->model = dup_set (self->image_model);
  request->size = dup_set (self->size);
  request->quality = dup_set (self->quality);

  /* Only send what the model takes: unknown models (compatible servers) get
   * everything the user set. */
  if (info == NULL || info->backgrounds != NULL)
    request->background = dup_set (self->background);
  if (info == NULL || info->output_formats != NULL)
    request->output_format = dup_set (self->output_format);
  if (info == NULL || info->moderations != NULL)
    request->moderation = dup_set (self->moderation);

  lossy = g_strcmp0 (self->output_format, "jpeg") == 0 || g_strcmp0 (self->output_format, "webp") == 0;
  if (lossy && (info == NULL || info->supports_compression))
    request->output_compression = self->output_compression;

  if (n_images > 0 && (info == NULL || info->input_fidelities != NULL))
    request->input_fidelity = dup_set (self->input_fidelity);

  if (info == NULL || info->supports_stream)
    {
      request->stream = TRUE;
      request->partial_images = self->partial_images;
    }

  return request;
}

void
easel_params_apply_json (EaselParams *self,
                         const char  *params_json)
{
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object;

  g_return_if_fail (EASEL_IS_PARAMS (self));

  if (params_json == NULL || !(root = easel_json_parse (params_json, -1, NULL)) || !JSON_NODE_HOLDS_OBJECT (root))
    return;
  object = json_node_get_object (root);

  g_object_freeze_notify (G_OBJECT (self));
  /* The API the stored request went to, not the one in use now. */
  if (json_object_has_member (object, "api"))
    {
      const char *api = json_object_get_string_member_with_default (object, "api", "");

      g_object_set (self, "api-mode", g_strcmp0 (api, "responses") == 0 ? "responses" : "images", NULL);
    }
  for (guint i = 1; i < N_PROPS; i++)
    {
      const char *key = g_param_spec_get_name (properties[i]);
      g_autofree char *wire = g_strdelimit (g_strdup (key), "-", '_');
      const char *json_key = i == PROP_IMAGE_MODEL ? "model" : wire;
      JsonNode *node = json_object_get_member (object, json_key);

      /* The tier is a preference, not part of what a picture was made
       * with: reusing parameters leaves it alone. */
      if (i == PROP_API_MODE || i == PROP_SERVICE_TIER)
        continue;
      /* A field the stored request did not set is not kept from the
       * current parameters: it goes back to "leave unset" (the default). */
      if (node == NULL || JSON_NODE_HOLDS_NULL (node))
        {
          if (i != PROP_IMAGE_MODEL && i != PROP_RESPONSES_MODEL)
            g_object_set_property (G_OBJECT (self), key, g_param_spec_get_default_value (properties[i]));
          continue;
        }
      if (!JSON_NODE_HOLDS_VALUE (node))
        continue;
      if (string_field (self, i) && json_node_get_value_type (node) == G_TYPE_STRING)
        g_object_set (self, key, json_node_get_string (node), NULL);
      else if (int_field (self, i) && json_node_get_value_type (node) == G_TYPE_INT64)
        {
          GParamSpecInt *ispec = G_PARAM_SPEC_INT (properties[i]);
          g_object_set (self, key, (int)CLAMP (json_node_get_int (node), ispec->minimum, ispec->maximum), NULL);
        }
    }
  g_object_thaw_notify (G_OBJECT (self));
}
