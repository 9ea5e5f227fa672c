/* easel-gallery-item.c: one generation in the gallery, a placeholder until its page loads
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "easel-gallery-item"

#include "config.h"

#include "easel-gallery-item.h"

struct _EaselGalleryItem
{
  GObject          parent_instance;
  guint            position;
  gboolean         starred;
  EaselGeneration *generation;
};

enum {
  PROP_0,
  PROP_POSITION,
  PROP_LOADED,
  PROP_GENERATION,
  PROP_STARRED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (EaselGalleryItem, easel_gallery_item, G_TYPE_OBJECT)

static void
easel_gallery_item_dispose (GObject *object)
{
  EaselGalleryItem *self = EASEL_GALLERY_ITEM (object);

  g_clear_object (&self->generation);

  G_OBJECT_CLASS (easel_gallery_item_parent_class)->dispose (object);
}

static void
easel_gallery_item_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  EaselGalleryItem *self = EASEL_GALLERY_ITEM (object);

  switch (prop_id)
    {
    case PROP_POSITION:
      g_value_set_uint (value, self->position);
      break;
    case PROP_LOADED:
      g_value_set_boolean (value, self->generation != NULL);
      break;
    case PROP_GENERATION:
      g_value_set_object (value, self->generation);
      break;
    case PROP_STARRED:
      g_value_set_boolean (value, self->starred);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_gallery_item_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  EaselGalleryItem *self = EASEL_GALLERY_ITEM (object);

  switch (prop_id)
    {
    case PROP_POSITION:
      self->position = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_gallery_item_class_init (EaselGalleryItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = easel_gallery_item_dispose;
  object_class->get_property = easel_gallery_item_get_property;
  object_class->set_property = easel_gallery_item_set_property;

  properties[PROP_POSITION] =
    g_param_spec_uint ("position", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADED] =
    g_param_spec_boolean ("loaded", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_GENERATION] =
    g_param_spec_object ("generation", NULL, NULL, EASEL_TYPE_GENERATION,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_STARRED] =
    g_param_spec_boolean ("starred", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
easel_gallery_item_init (EaselGalleryItem *self)
{
}

EaselGalleryItem *
easel_gallery_item_new (guint position)
{
  return g_object_new (EASEL_TYPE_GALLERY_ITEM, "position", position, NULL);
}

guint
easel_gallery_item_get_position (EaselGalleryItem *self)
{
  g_return_val_if_fail (EASEL_IS_GALLERY_ITEM (self), 0);

  return self->position;
}

gboolean
easel_gallery_item_get_loaded (EaselGalleryItem *self)
{
  g_return_val_if_fail (EASEL_IS_GALLERY_ITEM (self), FALSE);

  return self->generation != NULL;
}

EaselGeneration *
easel_gallery_item_get_generation (EaselGalleryItem *self)
{
  g_return_val_if_fail (EASEL_IS_GALLERY_ITEM (self), NULL);

  return self->generation;
}

void
easel_gallery_item_set_generation (EaselGalleryItem *self,
                                   EaselGeneration  *generation)
{
  g_return_if_fail (EASEL_IS_GALLERY_ITEM (self));
  g_return_if_fail (!generation || EASEL_IS_GENERATION (generation));

  if (!g_set_object (&self->generation, generation))
    return;

  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GENERATION]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
  easel_gallery_item_set_starred (self, generation ? generation->starred : FALSE);
  g_object_thaw_notify (G_OBJECT (self));
}

gint64
easel_gallery_item_get_id (EaselGalleryItem *self)
{
  g_return_val_if_fail (EASEL_IS_GALLERY_ITEM (self), 0);

  return self->generation ? self->generation->id : 0;
}

gboolean
easel_gallery_item_get_starred (EaselGalleryItem *self)
{
  g_return_val_if_fail (EASEL_IS_GALLERY_ITEM (self), FALSE);

  return self->starred;
}

void
easel_gallery_item_set_starred (EaselGalleryItem *self,
                                gboolean          starred)
{
  g_return_if_fail (EASEL_IS_GALLERY_ITEM (self));

  starred = !!starred;
  if (self->starred == starred)
    return;

  self->starred = starred;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STARRED]);
}

GFile *
easel_gallery_item_dup_file (EaselGalleryItem *self)
{
  g_return_val_if_fail (EASEL_IS_GALLERY_ITEM (self), NULL);

  if (self->generation == NULL || self->generation->path == NULL)
    return NULL;

  return g_file_new_for_path (self->generation->path);
}
