/* easel-wrap-box.c: children in a row that wraps onto new lines
 *
 * A filter bar or a row of buttons that must fit a phone-wide window
 * without hiding anything. Children keep their natural widths and are
 * placed left to right; one that does not fit on the line starts the next.
 * The room left on a line goes to its children that expand horizontally,
 * as in a GtkBox. Unlike GtkFlowBox there are no columns: each line takes
 * its own children's widths, and the children are plain widgets.
 * (libadwaita 1.7's AdwWrapBox does this; Debian 12 ships 1.2.)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-wrap-box"

#include "config.h"

#include "easel-wrap-box.h"

struct _EaselWrapBox
{
  GtkWidget parent_instance;

  int spacing;      /* between children on a line */
  int line_spacing; /* between lines */

  /* easel_wrap_box_bind_model() */
  GListModel *model;
  GtkFlowBoxCreateWidgetFunc create_func;
  gpointer user_data;
  GDestroyNotify user_data_free;
};

static void easel_wrap_box_buildable_init (GtkBuildableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (EaselWrapBox, easel_wrap_box, GTK_TYPE_WIDGET,
                               G_IMPLEMENT_INTERFACE (GTK_TYPE_BUILDABLE, easel_wrap_box_buildable_init))

enum { PROP_0, PROP_SPACING, PROP_LINE_SPACING, N_PROPS };
static GParamSpec *properties[N_PROPS];

static GtkBuildableIface *parent_buildable_iface;

/* The width a child takes on a line @width wide. */
static int
child_width (GtkWidget *child,
             int        width,
             int       *min_out)
{
  int min = 0, nat = 0;

  gtk_widget_measure (child, GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat, NULL, NULL);
  if (min_out != NULL)
    *min_out = min;
  return MAX (min, MIN (nat, width));
}

/* Walks the lines for @width: calls @place (if not NULL) for every child
 * with its line's geometry, and returns the total height. */
typedef void (*PlaceFunc) (GtkWidget *child, int x, int y, int w, int h);

static int
layout_lines (EaselWrapBox *self,
              int           width,
              PlaceFunc     place)
{
  GtkWidget *first = gtk_widget_get_first_child (GTK_WIDGET (self));
  int y = 0;
  gboolean any_line = FALSE;

  while (first != NULL)
    {
      GtkWidget *end = first;
      int used = 0, n_expand = 0, height = 0, count = 0;

      /* Take children while they fit; a line holds at least one. */
      for (; end != NULL; end = gtk_widget_get_next_sibling (end))
        {
          int w, h = 0;

          if (!gtk_widget_should_layout (end))
            continue;
          w = child_width (end, width, NULL);
          if (count > 0 && used + self->spacing + w > width)
            break;
          used += (count > 0 ? self->spacing : 0) + w;
          gtk_widget_measure (end, GTK_ORIENTATION_VERTICAL, w, &h, NULL, NULL, NULL);
          height = MAX (height, h);
          n_expand += gtk_widget_compute_expand (end, GTK_ORIENTATION_HORIZONTAL);
          count++;
        }
      if (count == 0)
        break;
      if (any_line)
        y += self->line_spacing;
      any_line = TRUE;

      if (place != NULL)
        {
          int extra = MAX (0, width - used);
          int x = 0;

          for (GtkWidget *child = first; child != end; child = gtk_widget_get_next_sibling (child))
            {
              int w;

              if (!gtk_widget_should_layout (child))
                continue;
              w = child_width (child, width, NULL);
              if (n_expand > 0 && gtk_widget_compute_expand (child, GTK_ORIENTATION_HORIZONTAL))
                {
                  int share = extra / n_expand;

                  w += share;
                  extra -= share;
                  n_expand--;
                }
              place (child, x, y, w, height);
              x += w + self->spacing;
            }
        }
      y += height;
      first = end;
    }
  return y;
}

static void
place_child (GtkWidget *child,
             int        x,
             int        y,
             int        w,
             int        h)
{
  gtk_widget_size_allocate (child, &(GtkAllocation) { x, y, w, h }, -1);
}

static GtkSizeRequestMode
easel_wrap_box_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
easel_wrap_box_measure (GtkWidget      *widget,
                        GtkOrientation  orientation,
                        int             for_size,
                        int            *minimum,
                        int            *natural,
                        int            *minimum_baseline,
                        int            *natural_baseline)
{
  EaselWrapBox *self = EASEL_WRAP_BOX (widget);

  *minimum = *natural = 0;
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      /* At least the widest child; at best all of them on one line. */
      int n = 0;

      for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
        {
          int min = 0, nat = 0;

          if (!gtk_widget_should_layout (child))
            continue;
          gtk_widget_measure (child, GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat, NULL, NULL);
          *minimum = MAX (*minimum, min);
          *natural += (n++ > 0 ? self->spacing : 0) + nat;
        }
    }
  else
    {
      int width = for_size, min_width = 0;

      /* No width given: as wide as it would like to be. */
      if (width < 0)
        easel_wrap_box_measure (widget, GTK_ORIENTATION_HORIZONTAL, -1, &min_width, &width, NULL, NULL);
      *minimum = *natural = layout_lines (self, width, NULL);
    }
}

static void
easel_wrap_box_size_allocate (GtkWidget *widget,
                              int        width,
                              int        height,
                              int        baseline)
{
  layout_lines (EASEL_WRAP_BOX (widget), width, place_child);
}

static void
easel_wrap_box_dispose (GObject *object)
{
  easel_wrap_box_bind_model (EASEL_WRAP_BOX (object), NULL, NULL, NULL, NULL);
  easel_wrap_box_remove_all (EASEL_WRAP_BOX (object));
  G_OBJECT_CLASS (easel_wrap_box_parent_class)->dispose (object);
}

static void
easel_wrap_box_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  EaselWrapBox *self = EASEL_WRAP_BOX (object);

  switch (prop_id)
    {
    case PROP_SPACING: g_value_set_int (value, self->spacing); break;
    case PROP_LINE_SPACING: g_value_set_int (value, self->line_spacing); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_wrap_box_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  EaselWrapBox *self = EASEL_WRAP_BOX (object);
  int *field = prop_id == PROP_SPACING ? &self->spacing : &self->line_spacing;

  if (prop_id != PROP_SPACING && prop_id != PROP_LINE_SPACING)
    {
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }
  if (*field == g_value_get_int (value))
    return;
  *field = g_value_get_int (value);
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (object, pspec);
}

static void
easel_wrap_box_buildable_add_child (GtkBuildable *buildable,
                                    GtkBuilder   *builder,
                                    GObject      *child,
                                    const char   *type)
{
  if (GTK_IS_WIDGET (child) && type == NULL)
    easel_wrap_box_append (EASEL_WRAP_BOX (buildable), GTK_WIDGET (child));
  else
    parent_buildable_iface->add_child (buildable, builder, child, type);
}

static void
easel_wrap_box_buildable_init (GtkBuildableIface *iface)
{
  parent_buildable_iface = g_type_interface_peek_parent (iface);
  iface->add_child = easel_wrap_box_buildable_add_child;
}

static void
easel_wrap_box_class_init (EaselWrapBoxClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = easel_wrap_box_dispose;
  object_class->get_property = easel_wrap_box_get_property;
  object_class->set_property = easel_wrap_box_set_property;
  widget_class->get_request_mode = easel_wrap_box_get_request_mode;
  widget_class->measure = easel_wrap_box_measure;
  widget_class->size_allocate = easel_wrap_box_size_allocate;

  properties[PROP_SPACING] =
    g_param_spec_int ("spacing", NULL, NULL, 0, G_MAXINT, 0,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LINE_SPACING] =
    g_param_spec_int ("line-spacing", NULL, NULL, 0, G_MAXINT, 0,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "easel-wrap-box");
}

static void
easel_wrap_box_init (EaselWrapBox *self)
{
}

GtkWidget *
easel_wrap_box_new (void)
{
  return g_object_new (EASEL_TYPE_WRAP_BOX, NULL);
}

void
easel_wrap_box_append (EaselWrapBox *self,
                       GtkWidget    *child)
{
  g_return_if_fail (EASEL_IS_WRAP_BOX (self));
  g_return_if_fail (GTK_IS_WIDGET (child));
  g_return_if_fail (gtk_widget_get_parent (child) == NULL);

  gtk_widget_insert_before (child, GTK_WIDGET (self), NULL);
}

void
easel_wrap_box_remove_all (EaselWrapBox *self)
{
  GtkWidget *child;

  g_return_if_fail (EASEL_IS_WRAP_BOX (self));

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))))
    gtk_widget_unparent (child);
}

/* A few thumbnails at most: every change rebuilds them all. */
static void
model_changed_cb (EaselWrapBox *self)
{
  guint n = g_list_model_get_n_items (self->model);

  easel_wrap_box_remove_all (self);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (self->model, i);

      easel_wrap_box_append (self, self->create_func (item, self->user_data));
    }
}

void
easel_wrap_box_bind_model (EaselWrapBox               *self,
                           GListModel                 *model,
                           GtkFlowBoxCreateWidgetFunc  create_func,
                           gpointer                    user_data,
                           GDestroyNotify              user_data_free)
{
  g_return_if_fail (EASEL_IS_WRAP_BOX (self));
  g_return_if_fail (model == NULL || create_func != NULL);

  if (self->model != NULL)
    {
      g_signal_handlers_disconnect_by_func (self->model, model_changed_cb, self);
      g_clear_object (&self->model);
      easel_wrap_box_remove_all (self);
    }
  if (self->user_data_free != NULL)
    self->user_data_free (self->user_data);
  self->create_func = create_func;
  self->user_data = user_data;
  self->user_data_free = user_data_free;
  if (model == NULL)
    return;
  self->model = g_object_ref (model);
  g_signal_connect_swapped (model, "items-changed", G_CALLBACK (model_changed_cb), self);
  model_changed_cb (self);
}
