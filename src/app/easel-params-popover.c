/* easel-params-popover.c: the generation parameters, next to the prompt
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-params-popover"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "easel-params-popover.h"

#define N_DROPDOWNS 10

struct _EaselParamsPopover
{
  GtkPopover parent_instance;

  EaselParams *params;
  GSignalGroup *params_signals;
  gboolean updating;

  /* template, in the order of dropdown_props[] */
  GtkDropDown *dropdowns[N_DROPDOWNS];
  GtkWidget *labels[N_DROPDOWNS];
  GtkSpinButton *compression_spin;
  GtkWidget *compression_label;
  GtkSpinButton *partials_spin;
  GtkWidget *partials_label;
  GtkSpinButton *n_spin;
  GtkWidget *n_label;
  GtkWidget *tier_note;
  GtkLabel *api_note;
};

G_DEFINE_FINAL_TYPE (EaselParamsPopover, easel_params_popover, GTK_TYPE_POPOVER)

enum {
  PROP_0,
  PROP_PARAMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Property name, template id suffix. */
static const char * const dropdown_props[N_DROPDOWNS] = {
  "responses-model", "image-model", "size", "quality", "background",
  "output-format", "moderation", "action", "input-fidelity", "service-tier",
};

static const char * const responses_models[] = { "gpt-5", "gpt-5-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4o", "o3", NULL };
static const char * const default_sizes[] = { "auto", "1024x1024", "1536x1024", "1024x1536", NULL };
static const char * const default_qualities[] = { "auto", "low", "medium", "high", NULL };
static const char * const default_backgrounds[] = { "auto", "opaque", "transparent", NULL };
static const char * const default_formats[] = { "png", "jpeg", "webp", NULL };
static const char * const default_moderations[] = { "auto", "low", NULL };
static const char * const actions[] = { "auto", "generate", "edit", NULL };
static const char * const default_fidelities[] = { "low", "high", NULL };
static const char * const service_tiers[] = { "auto", "default", "flex", "priority", NULL };

/* What the user reads for a wire value. The values themselves (sent,
 * stored, matched by tests) never change; only these are translated. */
static const struct
{
  const char *prop;
  const char *value;
  const char *context;  /* NULL: none */
  const char *label;
} option_labels[] = {
  { "api-mode", "responses", NULL, N_("Conversation (Responses API)") },
  { "api-mode", "images", NULL, N_("Single Image (Images API)") },
  { "size", "auto", "size", NC_("size", "Auto") },
  { "quality", "auto", "quality", NC_("quality", "Auto") },
  { "quality", "low", "quality", NC_("quality", "Low") },
  { "quality", "medium", "quality", NC_("quality", "Medium") },
  { "quality", "high", "quality", NC_("quality", "High") },
  { "quality", "standard", "quality", NC_("quality", "Standard") },
  { "quality", "hd", "quality", NC_("quality", "HD") },
  { "background", "auto", "background", NC_("background", "Auto") },
  { "background", "transparent", "background", NC_("background", "Transparent") },
  { "background", "opaque", "background", NC_("background", "Opaque") },
  { "output-format", "png", "format", NC_("format", "PNG") },
  { "output-format", "jpeg", "format", NC_("format", "JPEG") },
  { "output-format", "webp", "format", NC_("format", "WebP") },
  { "moderation", "auto", "moderation", NC_("moderation", "Auto") },
  { "moderation", "low", "moderation", NC_("moderation", "Low") },
  { "action", "auto", "action", NC_("action", "Auto") },
  { "action", "generate", "action", NC_("action", "Generate") },
  { "action", "edit", "action", NC_("action", "Edit") },
  { "input-fidelity", "low", "fidelity", NC_("fidelity", "Low") },
  { "input-fidelity", "high", "fidelity", NC_("fidelity", "High") },
  { "service-tier", "auto", "tier", NC_("tier", "Automatic") },
  { "service-tier", "default", "tier", NC_("tier", "Default") },
  { "service-tier", "flex", "tier", NC_("tier", "Flex") },
  { "service-tier", "priority", "tier", NC_("tier", "Priority") },
};

char *
easel_params_dup_option_label (const char *prop,
                               const char *value)
{
  int width = 0, height = 0;
  char end = 0;

  g_return_val_if_fail (prop != NULL, NULL);

  if (value == NULL)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (option_labels); i++)
    if (g_str_equal (option_labels[i].prop, prop) && g_str_equal (option_labels[i].value, value))
      {
        if (option_labels[i].context == NULL)
          return g_strdup (_(option_labels[i].label));
        return g_strdup (g_dpgettext2 (NULL, option_labels[i].context, option_labels[i].label));
      }

  if (g_str_equal (prop, "size") && sscanf (value, "%dx%d%c", &width, &height, &end) == 2 &&
      width > 0 && height > 0)
    {
      /* Translators: pixels of an image size, width × height */
      g_autofree char *pixels = g_strdup_printf (_("%d × %d"), width, height);

      if (width == height)
        /* Translators: an image size; %s is its pixels, such as "1024 × 1024" */
        return g_strdup_printf (_("Square (%s)"), pixels);
      if (width > height)
        /* Translators: an image size; %s is its pixels, such as "1536 × 1024" */
        return g_strdup_printf (_("Landscape (%s)"), pixels);
      /* Translators: an image size; %s is its pixels, such as "1024 × 1536" */
      return g_strdup_printf (_("Portrait (%s)"), pixels);
    }

  /* Model ids and values of compatible servers are shown as they are. */
  return g_strdup (value);
}

static char *
option_label_cb (GtkStringObject *item,
                 const char      *prop)
{
  return easel_params_dup_option_label (prop, gtk_string_object_get_string (item));
}

GtkExpression *
easel_params_option_label_expression (const char *prop)
{
  g_return_val_if_fail (prop != NULL, NULL);

  return gtk_cclosure_expression_new (G_TYPE_STRING, NULL, 0, NULL, G_CALLBACK (option_label_cb),
                                      (gpointer)g_intern_string (prop), NULL);
}

static char *
get_string (EaselParams *params,
            const char  *prop)
{
  char *value = NULL;
  g_object_get (params, prop, &value, NULL);
  return value;
}

char *
easel_params_unavailable_reason (EaselParams *params,
                                 const char  *option)
{
  g_autofree char *model = NULL;
  g_autofree char *format = NULL;
  const EaselModelInfo *info;
  gboolean images = easel_params_is_images_api (params);
  const char *name;

  g_return_val_if_fail (EASEL_IS_PARAMS (params), NULL);

  model = get_string (params, "image-model");
  info = easel_model_lookup (model);
  name = easel_model_display_name (model);

  if (g_str_equal (option, "responses-model") || g_str_equal (option, "action") ||
      g_str_equal (option, "service-tier"))
    return images ? g_strdup (_("Only used by the Responses API")) : NULL;
  if (g_str_equal (option, "n"))
    {
      if (!images)
        return g_strdup (_("The Responses API makes one image per turn"));
      if (info && info->max_n <= 1)
        return g_strdup_printf (_("%s makes one image per request"), name);
      return NULL;
    }
  if (info == NULL)
    return NULL;

  if (g_str_equal (option, "background") && info->backgrounds == NULL)
    return g_strdup_printf (_("%s has no background option"), name);
  if (g_str_equal (option, "output-format") && info->output_formats == NULL)
    return g_strdup_printf (_("%s has no output format option"), name);
  if (g_str_equal (option, "moderation") && info->moderations == NULL)
    return g_strdup_printf (_("%s has no moderation option"), name);
  if (g_str_equal (option, "input-fidelity") && info->input_fidelities == NULL)
    return g_strdup_printf (_("%s does not support input fidelity"), name);
  if (g_str_equal (option, "partial-images") && !info->supports_stream)
    return g_strdup_printf (_("%s does not stream partial images"), name);
  if (g_str_equal (option, "output-compression"))
    {
      if (!info->supports_compression)
        return g_strdup_printf (_("%s does not support compression"), name);
      format = get_string (params, "output-format");
      if (g_strcmp0 (format, "jpeg") != 0 && g_strcmp0 (format, "webp") != 0)
        return g_strdup (_("Compression applies to JPEG and WebP only"));
    }
  return NULL;
}

static const char * const api_modes[] = { "responses", "images", NULL };

const char * const *
easel_params_get_choices (EaselParams *params,
                          const char  *prop,
                          GPtrArray   *scratch)
{
  g_autofree char *model = NULL;
  const EaselModelInfo *info;

  g_return_val_if_fail (EASEL_IS_PARAMS (params), NULL);
  g_return_val_if_fail (prop != NULL, NULL);
  g_return_val_if_fail (scratch != NULL, NULL);

  model = get_string (params, "image-model");
  info = easel_model_lookup (model);

  if (g_str_equal (prop, "api-mode"))
    return api_modes;
  if (g_str_equal (prop, "responses-model"))
    return responses_models;
  if (g_str_equal (prop, "image-model"))
    {
      const EaselModelInfo **models = easel_model_list ();
      gboolean images = easel_params_is_images_api (params);

      /* Retired models are not offered: Send would refuse them. One still
       * set in the settings shows as no choice here (Preferences lists it)
       * and Send says when it was retired. */
      for (guint i = 0; models && models[i]; i++)
        if ((images ? (models[i]->supports_generate || models[i]->supports_edit)
                    : models[i]->supports_responses_tool) &&
            !easel_model_is_retired (models[i], NULL))
          g_ptr_array_add (scratch, (gpointer)models[i]->id);
      if (scratch->len == 0)
        g_ptr_array_add (scratch, (gpointer)"gpt-image-1.5");
      g_ptr_array_add (scratch, NULL);
      return (const char * const *)scratch->pdata;
    }
  if (g_str_equal (prop, "size"))
    return info && info->sizes ? info->sizes : default_sizes;
  if (g_str_equal (prop, "quality"))
    return info && info->qualities ? info->qualities : default_qualities;
  if (g_str_equal (prop, "background"))
    return info && info->backgrounds ? info->backgrounds : default_backgrounds;
  if (g_str_equal (prop, "output-format"))
    return info && info->output_formats ? info->output_formats : default_formats;
  if (g_str_equal (prop, "moderation"))
    return info && info->moderations ? info->moderations : default_moderations;
  if (g_str_equal (prop, "action"))
    return actions;
  if (g_str_equal (prop, "input-fidelity"))
    return info && info->input_fidelities ? info->input_fidelities : default_fidelities;
  if (g_str_equal (prop, "service-tier"))
    return service_tiers;
  return NULL;
}

static gboolean
same_strings (GListModel         *model,
              const char * const *values)
{
  guint n = g_list_model_get_n_items (model);

  if (n != g_strv_length ((char **)values))
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (gtk_string_list_get_string (GTK_STRING_LIST (model), i), values[i]) != 0)
      return FALSE;
  return TRUE;
}

static void
set_unavailable (GtkWidget  *widget,
                 GtkWidget  *label,
                 const char *reason)
{
  gtk_widget_set_sensitive (widget, reason == NULL);
  gtk_widget_set_sensitive (label, reason == NULL);
  gtk_widget_set_tooltip_text (widget, reason);
  gtk_widget_set_tooltip_text (label, reason);
}

static void
refresh (EaselParamsPopover *self)
{
  int value;

  if (self->params == NULL || self->updating)
    return;
  self->updating = TRUE;

  for (guint i = 0; i < N_DROPDOWNS; i++)
    {
      g_autoptr(GPtrArray) scratch = g_ptr_array_new ();
      g_autofree char *current = get_string (self->params, dropdown_props[i]);
      g_autofree char *reason = easel_params_unavailable_reason (self->params, dropdown_props[i]);
      const char * const *values = easel_params_get_choices (self->params, dropdown_props[i], scratch);
      GListModel *model = gtk_drop_down_get_model (self->dropdowns[i]);
      guint position = GTK_INVALID_LIST_POSITION;

      if (model == NULL || !same_strings (model, values))
        {
          g_autoptr(GtkStringList) list = gtk_string_list_new ((const char * const *)values);
          gtk_drop_down_set_model (self->dropdowns[i], G_LIST_MODEL (list));
        }
      for (guint j = 0; values[j]; j++)
        if (g_strcmp0 (values[j], current) == 0)
          position = j;

      /* A value the new model does not take is replaced by its first, so a
       * model switch never leaves a request that will be refused. Custom
       * responses models are kept. */
      if (position == GTK_INVALID_LIST_POSITION && reason == NULL && values[0] &&
          !g_str_equal (dropdown_props[i], "responses-model") &&
          !g_str_equal (dropdown_props[i], "image-model"))
        {
          position = 0;
          g_object_set (self->params, dropdown_props[i], values[0], NULL);
        }
      gtk_drop_down_set_selected (self->dropdowns[i], position);
      if (g_str_equal (dropdown_props[i], "service-tier"))
        {
          /* The Images API has no tier at all: hide it rather than dim it,
           * so nobody wonders why a paid setting cannot be changed. */
          gboolean shown = reason == NULL;
          gboolean unpriced = g_strcmp0 (current, "flex") == 0 || g_strcmp0 (current, "priority") == 0;

          gtk_widget_set_visible (GTK_WIDGET (self->dropdowns[i]), shown);
          gtk_widget_set_visible (self->labels[i], shown);
          gtk_widget_set_visible (self->tier_note, shown && unpriced);
        }
      else
        set_unavailable (GTK_WIDGET (self->dropdowns[i]), self->labels[i], reason);
    }

  gtk_label_set_label (self->api_note,
                       easel_params_is_images_api (self->params)
                       ? _("Single image: one Images API request per Send, with masks and several candidates.")
                       : _("Conversation: refine over turns; the model may rewrite your prompt."));

  g_object_get (self->params, "output-compression", &value, NULL);
  gtk_spin_button_set_value (self->compression_spin, value);
  {
    g_autofree char *reason = easel_params_unavailable_reason (self->params, "output-compression");
    set_unavailable (GTK_WIDGET (self->compression_spin), self->compression_label, reason);
  }
  g_object_get (self->params, "partial-images", &value, NULL);
  gtk_spin_button_set_value (self->partials_spin, value);
  {
    g_autofree char *reason = easel_params_unavailable_reason (self->params, "partial-images");
    set_unavailable (GTK_WIDGET (self->partials_spin), self->partials_label, reason);
  }
  g_object_get (self->params, "n", &value, NULL);
  gtk_spin_button_set_value (self->n_spin, value);
  {
    g_autofree char *reason = easel_params_unavailable_reason (self->params, "n");
    const EaselModelInfo *info = easel_model_lookup (easel_params_get_image_model (self->params));
    set_unavailable (GTK_WIDGET (self->n_spin), self->n_label, reason);
    gtk_spin_button_set_range (self->n_spin, 1, info && info->max_n > 0 ? info->max_n : 10);
  }

  self->updating = FALSE;
}

static void
dropdown_selected_cb (EaselParamsPopover *self,
                      GParamSpec         *pspec,
                      GtkDropDown        *dropdown)
{
  GtkStringObject *item;

  if (self->updating || self->params == NULL)
    return;
  item = gtk_drop_down_get_selected_item (dropdown);
  if (item == NULL)
    return;

  for (guint i = 0; i < N_DROPDOWNS; i++)
    if (self->dropdowns[i] == dropdown)
      g_object_set (self->params, dropdown_props[i], gtk_string_object_get_string (item), NULL);
}

static void
spin_changed_cb (EaselParamsPopover *self,
                 GtkSpinButton      *spin)
{
  const char *prop;

  if (self->updating || self->params == NULL)
    return;
  if (spin == self->compression_spin)
    prop = "output-compression";
  else if (spin == self->partials_spin)
    prop = "partial-images";
  else
    prop = "n";
  g_object_set (self->params, prop, gtk_spin_button_get_value_as_int (spin), NULL);
}

static void
easel_params_popover_dispose (GObject *object)
{
  EaselParamsPopover *self = (EaselParamsPopover *)object;

  gtk_widget_dispose_template (GTK_WIDGET (self), EASEL_TYPE_PARAMS_POPOVER);
  g_clear_object (&self->params_signals);
  g_clear_object (&self->params);

  G_OBJECT_CLASS (easel_params_popover_parent_class)->dispose (object);
}

static void
easel_params_popover_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  EaselParamsPopover *self = EASEL_PARAMS_POPOVER (object);

  switch (prop_id)
    {
    case PROP_PARAMS: g_value_set_object (value, self->params); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_params_popover_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  EaselParamsPopover *self = EASEL_PARAMS_POPOVER (object);

  switch (prop_id)
    {
    case PROP_PARAMS: easel_params_popover_set_params (self, g_value_get_object (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_params_popover_class_init (EaselParamsPopoverClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = easel_params_popover_dispose;
  object_class->get_property = easel_params_popover_get_property;
  object_class->set_property = easel_params_popover_set_property;

  properties[PROP_PARAMS] =
    g_param_spec_object ("params", NULL, NULL, EASEL_TYPE_PARAMS,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/easel-params-popover.ui");
  gtk_widget_class_bind_template_child (widget_class, EaselParamsPopover, compression_spin);
  gtk_widget_class_bind_template_child (widget_class, EaselParamsPopover, compression_label);
  gtk_widget_class_bind_template_child (widget_class, EaselParamsPopover, partials_spin);
  gtk_widget_class_bind_template_child (widget_class, EaselParamsPopover, partials_label);
  gtk_widget_class_bind_template_child (widget_class, EaselParamsPopover, n_spin);
  gtk_widget_class_bind_template_child (widget_class, EaselParamsPopover, n_label);
  gtk_widget_class_bind_template_child (widget_class, EaselParamsPopover, tier_note);
  gtk_widget_class_bind_template_child (widget_class, EaselParamsPopover, api_note);
  gtk_widget_class_bind_template_callback (widget_class, spin_changed_cb);

  for (guint i = 0; i < N_DROPDOWNS; i++)
    {
      g_autofree char *base = g_strdelimit (g_strdup (dropdown_props[i]), "-", '_');
      g_autofree char *dd_name = g_strconcat (base, "_dropdown", NULL);
      g_autofree char *label_name = g_strconcat (base, "_label", NULL);

      /* Offset 0: looked up by name in init. */
      gtk_widget_class_bind_template_child_full (widget_class, g_intern_string (dd_name), FALSE, 0);
      gtk_widget_class_bind_template_child_full (widget_class, g_intern_string (label_name), FALSE, 0);
    }
}

static void
easel_params_popover_init (EaselParamsPopover *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  /* The dropdowns are named after their property: "size_dropdown",
   * "size_label"… so one loop wires them all. */
  for (guint i = 0; i < N_DROPDOWNS; i++)
    {
      g_autofree char *base = g_strdelimit (g_strdup (dropdown_props[i]), "-", '_');
      g_autofree char *dd_name = g_strconcat (base, "_dropdown", NULL);
      g_autofree char *label_name = g_strconcat (base, "_label", NULL);

      self->dropdowns[i] = GTK_DROP_DOWN (gtk_widget_get_template_child (GTK_WIDGET (self),
                                                                         EASEL_TYPE_PARAMS_POPOVER,
                                                                         dd_name));
      self->labels[i] = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (self),
                                                                   EASEL_TYPE_PARAMS_POPOVER,
                                                                   label_name));
      g_assert (self->dropdowns[i] != NULL && self->labels[i] != NULL);
      /* The list holds wire values; the user reads their labels. */
      {
        g_autoptr(GtkExpression) label = easel_params_option_label_expression (dropdown_props[i]);
        gtk_drop_down_set_expression (self->dropdowns[i], label);
      }
      g_signal_connect_object (self->dropdowns[i], "notify::selected",
                               G_CALLBACK (dropdown_selected_cb), self, G_CONNECT_SWAPPED);
    }

  self->params_signals = g_signal_group_new (EASEL_TYPE_PARAMS);
  g_signal_group_connect_swapped (self->params_signals, "changed", G_CALLBACK (refresh), self);
}

GtkWidget *
easel_params_popover_new (void)
{
  return g_object_new (EASEL_TYPE_PARAMS_POPOVER, NULL);
}

EaselParams *
easel_params_popover_get_params (EaselParamsPopover *self)
{
  g_return_val_if_fail (EASEL_IS_PARAMS_POPOVER (self), NULL);
  return self->params;
}

void
easel_params_popover_set_params (EaselParamsPopover *self,
                                 EaselParams        *params)
{
  g_return_if_fail (EASEL_IS_PARAMS_POPOVER (self));
  g_return_if_fail (!params || EASEL_IS_PARAMS (params));

  if (!g_set_object (&self->params, params))
    return;
  g_signal_group_set_target (self->params_signals, params);
  refresh (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PARAMS]);
}
