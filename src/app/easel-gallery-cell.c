/* easel-gallery-cell.c: one thumbnail in the gallery grid
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "easel-gallery-cell"

#include "config.h"

#include <glib/gi18n.h>

#include "easel-gallery-cell.h"
#include "easel-thumbnailer.h"

struct _EaselGalleryCell
{
  GtkWidget         parent_instance;

  GtkOverlay       *overlay;
  GtkPicture       *picture;
  GtkImage         *placeholder;
  GtkLabel         *failed_label;
  GtkImage         *star;

  EaselGalleryItem *item;
  GSignalGroup     *item_signals;
  GCancellable     *cancellable;
};

enum {
  PROP_0,
  PROP_ITEM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (EaselGalleryCell, easel_gallery_cell, GTK_TYPE_WIDGET)

static void
on_thumbnail_loaded (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(EaselGalleryCell) self = user_data;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;

  texture = easel_thumbnailer_load_finish (EASEL_THUMBNAILER (object), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_clear_object (&self->cancellable);

  if (texture == NULL)
    {
      g_debug ("No thumbnail: %s", error->message);
      gtk_image_set_from_icon_name (self->placeholder, "image-missing-symbolic");
      return;
    }

  gtk_picture_set_paintable (self->picture, GDK_PAINTABLE (texture));
  gtk_widget_set_visible (GTK_WIDGET (self->placeholder), FALSE);
}

static void
easel_gallery_cell_sync (EaselGalleryCell *self)
{
  EaselGeneration *record = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  EaselThumbnailer *thumbnailer = easel_thumbnailer_get_default ();

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  gtk_picture_set_paintable (self->picture, NULL);
  gtk_image_set_from_icon_name (self->placeholder, "image-x-generic-symbolic");
  gtk_widget_set_visible (GTK_WIDGET (self->placeholder), TRUE);

  if (self->item != NULL)
    record = easel_gallery_item_get_generation (self->item);

  gtk_widget_set_visible (GTK_WIDGET (self->star), self->item && easel_gallery_item_get_starred (self->item));
  gtk_widget_set_visible (GTK_WIDGET (self->failed_label), record != NULL && record->status != EASEL_GENERATION_OK);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  record && record->prompt ? record->prompt : _("Loading"),
                                  -1);

  if (record == NULL)
    return;

  if (record->path == NULL || record->sha256 == NULL)
    {
      gtk_image_set_from_icon_name (self->placeholder,
                                    record->status != EASEL_GENERATION_OK ? "dialog-warning-symbolic" : "image-missing-symbolic");
      return;
    }

  /* The memory LRU makes scrolling back and forth instant without a thread. */
  texture = easel_thumbnailer_lookup (thumbnailer, record->sha256);
  if (texture != NULL)
    {
      gtk_picture_set_paintable (self->picture, GDK_PAINTABLE (texture));
      gtk_widget_set_visible (GTK_WIDGET (self->placeholder), FALSE);
    }
  else
    {
      g_autoptr(GFile) file = g_file_new_for_path (record->path);

      self->cancellable = g_cancellable_new ();
      easel_thumbnailer_load_async (thumbnailer, file, record->sha256, self->cancellable,
                                    on_thumbnail_loaded, g_object_ref (self));
    }
}

/* The prompt is asked for on hover: gtk_widget_set_tooltip_text() in GTK 4.8
 * re-runs the tooltip query, a round trip to the display server to find the
 * pointer, for every cell bound while the grid fills or scrolls. */
static gboolean
easel_gallery_cell_query_tooltip (GtkWidget  *widget,
                                  int         x,
                                  int         y,
                                  gboolean    keyboard_tooltip,
                                  GtkTooltip *tooltip)
{
  EaselGalleryCell *self = EASEL_GALLERY_CELL (widget);
  EaselGeneration *record = self->item ? easel_gallery_item_get_generation (self->item) : NULL;

  if (record == NULL || record->prompt == NULL || *record->prompt == '\0')
    return FALSE;

  gtk_tooltip_set_text (tooltip, record->prompt);
  return TRUE;
}

static void
on_item_loaded (EaselGalleryCell *self)
{
  easel_gallery_cell_sync (self);
}

static void
on_item_starred (EaselGalleryCell *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->star),
                          self->item && easel_gallery_item_get_starred (self->item));
}

static void
easel_gallery_cell_dispose (GObject *object)
{
  EaselGalleryCell *self = EASEL_GALLERY_CELL (object);
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->item_signals)
    g_signal_group_set_target (self->item_signals, NULL);
  g_clear_object (&self->item_signals);
  g_clear_object (&self->item);

  gtk_widget_dispose_template (GTK_WIDGET (self), EASEL_TYPE_GALLERY_CELL);
  /* Unnamed template children are not unparented by dispose_template. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))))
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (easel_gallery_cell_parent_class)->dispose (object);
}

static void
easel_gallery_cell_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  EaselGalleryCell *self = EASEL_GALLERY_CELL (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      g_value_set_object (value, self->item);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_gallery_cell_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  EaselGalleryCell *self = EASEL_GALLERY_CELL (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      easel_gallery_cell_set_item (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_gallery_cell_class_init (EaselGalleryCellClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = easel_gallery_cell_dispose;
  object_class->get_property = easel_gallery_cell_get_property;
  object_class->set_property = easel_gallery_cell_set_property;
  widget_class->query_tooltip = easel_gallery_cell_query_tooltip;

  properties[PROP_ITEM] =
    g_param_spec_object ("item", NULL, NULL, EASEL_TYPE_GALLERY_ITEM,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/easel-gallery-cell.ui");
  gtk_widget_class_bind_template_child (widget_class, EaselGalleryCell, overlay);
  gtk_widget_class_bind_template_child (widget_class, EaselGalleryCell, picture);
  gtk_widget_class_bind_template_child (widget_class, EaselGalleryCell, placeholder);
  gtk_widget_class_bind_template_child (widget_class, EaselGalleryCell, failed_label);
  gtk_widget_class_bind_template_child (widget_class, EaselGalleryCell, star);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "easelgallerycell");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
easel_gallery_cell_init (EaselGalleryCell *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);

  self->item_signals = g_signal_group_new (EASEL_TYPE_GALLERY_ITEM);
  g_signal_group_connect_object (self->item_signals, "notify::loaded",
                                 G_CALLBACK (on_item_loaded), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->item_signals, "notify::starred",
                                 G_CALLBACK (on_item_starred), self, G_CONNECT_SWAPPED);
}

GtkWidget *
easel_gallery_cell_new (void)
{
  return g_object_new (EASEL_TYPE_GALLERY_CELL, NULL);
}

EaselGalleryItem *
easel_gallery_cell_get_item (EaselGalleryCell *self)
{
  g_return_val_if_fail (EASEL_IS_GALLERY_CELL (self), NULL);

  return self->item;
}

void
easel_gallery_cell_set_item (EaselGalleryCell *self,
                             EaselGalleryItem *item)
{
  g_return_if_fail (EASEL_IS_GALLERY_CELL (self));
  g_return_if_fail (!item || EASEL_IS_GALLERY_ITEM (item));

  if (!g_set_object (&self->item, item))
    return;

  g_signal_group_set_target (self->item_signals, item);
  easel_gallery_cell_sync (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ITEM]);
}

gboolean
easel_gallery_cell_has_texture (EaselGalleryCell *self)
{
  g_return_val_if_fail (EASEL_IS_GALLERY_CELL (self), FALSE);

  return gtk_picture_get_paintable (self->picture) != NULL;
}
