/* easel-canvas-toolbar.c: the floating tool palette of the canvas
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-canvas-toolbar"

#include "config.h"

#include <glib/gi18n.h>

#include "easel-canvas.h"
#include "easel-canvas-toolbar.h"

struct _EaselCanvasToolbar
{
  GtkWidget parent_instance;

  EaselCanvas *canvas;        /* weak: the canvas owns us */
  GBindingGroup *bindings;

  /* template */
  GtkAdjustment *size_adjustment;
  GtkAdjustment *hardness_adjustment;
  GtkAdjustment *feather_adjustment;
  GtkAdjustment *opacity_adjustment;
  GtkDropDown   *color_dropdown;
  GtkLabel *zoom_label;
};

G_DEFINE_FINAL_TYPE (EaselCanvasToolbar, easel_canvas_toolbar, GTK_TYPE_WIDGET)

enum { PROP_0, PROP_CANVAS, N_PROPS };
static GParamSpec *properties[N_PROPS];

/* The dropdown's rows, in the order of its string list; the canvas's
 * "mask-color" holds the names. */
static const char * const mask_colors[] = { "blue", "red", "green", "magenta", "yellow" };

static gboolean
color_to_selected (GBinding     *binding,
                   const GValue *from,
                   GValue       *to,
                   gpointer      user_data)
{
  for (guint i = 0; i < G_N_ELEMENTS (mask_colors); i++)
    if (g_strcmp0 (g_value_get_string (from), mask_colors[i]) == 0)
      {
        g_value_set_uint (to, i);
        return TRUE;
      }
  g_value_set_uint (to, 0);
  return TRUE;
}

static gboolean
selected_to_color (GBinding     *binding,
                   const GValue *from,
                   GValue       *to,
                   gpointer      user_data)
{
  guint i = g_value_get_uint (from);

  if (i >= G_N_ELEMENTS (mask_colors))
    return FALSE;
  g_value_set_string (to, mask_colors[i]);
  return TRUE;
}

static gboolean
zoom_to_label (GBinding     *binding,
               const GValue *from,
               GValue       *to,
               gpointer      user_data)
{
  /* Translators: a zoom level, e.g. "150 %" */
  g_value_take_string (to, g_strdup_printf (_("%.0f %%"), g_value_get_double (from) * 100));
  return TRUE;
}

static void
easel_canvas_toolbar_dispose (GObject *object)
{
  EaselCanvasToolbar *self = EASEL_CANVAS_TOOLBAR (object);
  GtkWidget *child;

  if (self->bindings != NULL)
    g_binding_group_set_source (self->bindings, NULL);
  g_clear_object (&self->bindings);
  gtk_widget_dispose_template (GTK_WIDGET (self), EASEL_TYPE_CANVAS_TOOLBAR);
  /* The palette box has no id, so the template does not drop it. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))))
    gtk_widget_unparent (child);
  self->canvas = NULL;

  G_OBJECT_CLASS (easel_canvas_toolbar_parent_class)->dispose (object);
}

static void
easel_canvas_toolbar_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  EaselCanvasToolbar *self = EASEL_CANVAS_TOOLBAR (object);

  switch (prop_id)
    {
    case PROP_CANVAS: g_value_set_object (value, self->canvas); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_canvas_toolbar_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  EaselCanvasToolbar *self = EASEL_CANVAS_TOOLBAR (object);

  switch (prop_id)
    {
    case PROP_CANVAS: easel_canvas_toolbar_set_canvas (self, g_value_get_object (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_canvas_toolbar_class_init (EaselCanvasToolbarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = easel_canvas_toolbar_dispose;
  object_class->get_property = easel_canvas_toolbar_get_property;
  object_class->set_property = easel_canvas_toolbar_set_property;

  properties[PROP_CANVAS] =
    g_param_spec_object ("canvas", NULL, NULL, GTK_TYPE_WIDGET,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/easel-canvas-toolbar.ui");
  gtk_widget_class_bind_template_child (widget_class, EaselCanvasToolbar, size_adjustment);
  gtk_widget_class_bind_template_child (widget_class, EaselCanvasToolbar, hardness_adjustment);
  gtk_widget_class_bind_template_child (widget_class, EaselCanvasToolbar, feather_adjustment);
  gtk_widget_class_bind_template_child (widget_class, EaselCanvasToolbar, opacity_adjustment);
  gtk_widget_class_bind_template_child (widget_class, EaselCanvasToolbar, color_dropdown);
  gtk_widget_class_bind_template_child (widget_class, EaselCanvasToolbar, zoom_label);
  /* Looked up by the narrow-window test: which half of the palette shows. */
  gtk_widget_class_bind_template_child_full (widget_class, "tail_squeezer", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "wide_tail", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "narrow_tail", FALSE, 0);
  gtk_widget_class_bind_template_child_full (widget_class, "more_button", FALSE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "easel-canvas-toolbar");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_TOOLBAR);
}

static void
easel_canvas_toolbar_init (EaselCanvasToolbar *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->bindings = g_binding_group_new ();
  g_binding_group_bind (self->bindings, "brush-size", self->size_adjustment, "value",
                        G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_binding_group_bind (self->bindings, "hardness", self->hardness_adjustment, "value",
                        G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_binding_group_bind (self->bindings, "feather-radius", self->feather_adjustment, "value",
                        G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_binding_group_bind (self->bindings, "mask-opacity", self->opacity_adjustment, "value",
                        G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_binding_group_bind_full (self->bindings, "mask-color", self->color_dropdown, "selected",
                             G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE,
                             color_to_selected, selected_to_color, NULL, NULL);
  g_binding_group_bind_full (self->bindings, "zoom", self->zoom_label, "label",
                             G_BINDING_SYNC_CREATE, zoom_to_label, NULL, NULL, NULL);
}

GtkWidget *
easel_canvas_toolbar_new (void)
{
  return g_object_new (EASEL_TYPE_CANVAS_TOOLBAR, NULL);
}

EaselCanvas *
easel_canvas_toolbar_get_canvas (EaselCanvasToolbar *self)
{
  g_return_val_if_fail (EASEL_IS_CANVAS_TOOLBAR (self), NULL);
  return self->canvas;
}

void
easel_canvas_toolbar_set_canvas (EaselCanvasToolbar *self,
                                 EaselCanvas        *canvas)
{
  g_return_if_fail (EASEL_IS_CANVAS_TOOLBAR (self));
  g_return_if_fail (canvas == NULL || EASEL_IS_CANVAS (canvas));

  if (self->canvas == canvas)
    return;
  self->canvas = canvas;
  g_binding_group_set_source (self->bindings, canvas);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CANVAS]);
}
