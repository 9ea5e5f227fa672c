/* easel-generation.c: EaselGeneration, one row of the library
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-store"

#include "config.h"

#include "easel-generation.h"

/* ------------------------------------------------------------------------- */
/* Status strings */

static const char * const status_names[] = { "ok", "failed", "moderated", "cancelled", "incomplete" };

G_STATIC_ASSERT (G_N_ELEMENTS (status_names) == EASEL_GENERATION_INCOMPLETE + 1);

const char *
easel_generation_status_to_string (EaselGenerationStatus status)
{
  g_return_val_if_fail (status <= EASEL_GENERATION_INCOMPLETE, "failed");
  return status_names[status];
}

gboolean
easel_generation_status_from_string (const char            *str,
                                     EaselGenerationStatus *status)
{
  for (guint i = 0; str != NULL && i < G_N_ELEMENTS (status_names); i++)
    if (g_str_equal (str, status_names[i]))
      {
        if (status)
          *status = i;
        return TRUE;
      }
  return FALSE;
}

/* ------------------------------------------------------------------------- */
/* EaselGeneration */

enum {
  GEN_PROP_0,
  GEN_PROP_ID,
  GEN_PROP_PROMPT,
  GEN_PROP_REVISED_PROMPT,
  GEN_PROP_MODEL,
  GEN_PROP_PATH,
  GEN_PROP_SIZE,
  GEN_PROP_CREATED,
  GEN_PROP_STARRED,
  GEN_PROP_STATUS,
  GEN_PROP_COST,
  GEN_N_PROPS
};

static GParamSpec *gen_props[GEN_N_PROPS];

G_DEFINE_FINAL_TYPE (EaselGeneration, easel_generation, G_TYPE_OBJECT)

static void
easel_generation_finalize (GObject *object)
{
  EaselGeneration *self = EASEL_GENERATION (object);

  g_clear_pointer (&self->sha256, g_free);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->model, g_free);
  g_clear_pointer (&self->api, g_free);
  g_clear_pointer (&self->params_json, g_free);
  g_clear_pointer (&self->prompt, g_free);
  g_clear_pointer (&self->revised_prompt, g_free);
  g_clear_pointer (&self->action, g_free);
  g_clear_pointer (&self->size, g_free);
  g_clear_pointer (&self->format, g_free);
  g_clear_pointer (&self->background, g_free);
  g_clear_pointer (&self->quality, g_free);
  g_clear_pointer (&self->usage_json, g_free);
  g_clear_pointer (&self->mask_sha256, g_free);
  g_clear_pointer (&self->request_hash, g_free);
  g_clear_pointer (&self->error_type, g_free);
  g_clear_pointer (&self->error_code, g_free);
  g_clear_pointer (&self->error_message, g_free);
  g_clear_pointer (&self->response_id, g_free);
  g_clear_pointer (&self->image_call_id, g_free);

  G_OBJECT_CLASS (easel_generation_parent_class)->finalize (object);
}

static void
easel_generation_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  EaselGeneration *self = EASEL_GENERATION (object);

  switch (prop_id)
    {
    case GEN_PROP_ID: g_value_set_int64 (value, self->id); break;
    case GEN_PROP_PROMPT: g_value_set_string (value, self->prompt); break;
    case GEN_PROP_REVISED_PROMPT: g_value_set_string (value, self->revised_prompt); break;
    case GEN_PROP_MODEL: g_value_set_string (value, self->model); break;
    case GEN_PROP_PATH: g_value_set_string (value, self->path); break;
    case GEN_PROP_SIZE: g_value_set_string (value, self->size); break;
    case GEN_PROP_CREATED: g_value_set_int64 (value, self->created); break;
    case GEN_PROP_STARRED: g_value_set_boolean (value, self->starred); break;
    case GEN_PROP_STATUS: g_value_set_string (value, easel_generation_status_to_string (self->status)); break;
    case GEN_PROP_COST: g_value_set_double (value, easel_generation_get_cost (self)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_generation_class_init (EaselGenerationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags f = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = easel_generation_finalize;
  object_class->get_property = easel_generation_get_property;

  gen_props[GEN_PROP_ID] = g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0, f);
  gen_props[GEN_PROP_PROMPT] = g_param_spec_string ("prompt", NULL, NULL, NULL, f);
  gen_props[GEN_PROP_REVISED_PROMPT] = g_param_spec_string ("revised-prompt", NULL, NULL, NULL, f);
  gen_props[GEN_PROP_MODEL] = g_param_spec_string ("model", NULL, NULL, NULL, f);
  gen_props[GEN_PROP_PATH] = g_param_spec_string ("path", NULL, NULL, NULL, f);
  gen_props[GEN_PROP_SIZE] = g_param_spec_string ("size", NULL, NULL, NULL, f);
  gen_props[GEN_PROP_CREATED] = g_param_spec_int64 ("created", NULL, NULL, G_MININT64, G_MAXINT64, 0, f);
  gen_props[GEN_PROP_STARRED] = g_param_spec_boolean ("starred", NULL, NULL, FALSE, f);
  gen_props[GEN_PROP_STATUS] = g_param_spec_string ("status", NULL, NULL, NULL, f);
  gen_props[GEN_PROP_COST] = g_param_spec_double ("cost", NULL, NULL, -1, G_MAXDOUBLE, -1, f);
  g_object_class_install_properties (object_class, GEN_N_PROPS, gen_props);
}

static void
easel_generation_init (EaselGeneration *self)
{
  self->estimated_usd = -1;
  self->actual_usd = -1;
  self->picked = TRUE;
}

EaselGeneration *
easel_generation_new (void)
{
  return g_object_new (EASEL_TYPE_GENERATION, NULL);
}

double
easel_generation_get_cost (EaselGeneration *self)
{
  g_return_val_if_fail (EASEL_IS_GENERATION (self), -1);

  if (self->actual_usd >= 0)
    return self->actual_usd;
  return self->estimated_usd >= 0 ? self->estimated_usd : -1;
}
