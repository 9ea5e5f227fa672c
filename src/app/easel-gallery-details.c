/* easel-gallery-details.c: the side pane showing one generation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "easel-gallery-details"

#include "config.h"

#include "easel-toast.h"
#include "easel-json.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "easel-cost.h"
#include "easel-gallery-details.h"
#include "easel-params-popover.h"

struct _EaselGalleryDetails
{
  GtkWidget         parent_instance;

  GtkToggleButton  *star_button;
  GtkPicture       *picture;
  GtkButton        *continue_button;
  GtkLabel         *prompt_label;
  GtkWidget        *revised_group;
  GtkLabel         *revised_label;
  AdwActionRow     *model_row;
  AdwActionRow     *created_row;
  AdwActionRow     *tokens_row;
  AdwActionRow     *cost_row;
  AdwActionRow     *conversation_row;
  GtkListBox       *params_list;
  GtkScrolledWindow *scroller;

  EaselGalleryItem *item;
  EaselStore       *store;
  GSignalGroup     *item_signals;
  GCancellable     *cancellable;
};

enum {
  PROP_0,
  PROP_ITEM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (EaselGalleryDetails, easel_gallery_details, GTK_TYPE_WIDGET)

static void
load_texture_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  GError *error = NULL;
  GdkTexture *texture = gdk_texture_new_from_file (G_FILE (task_data), &error);

  if (texture == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, texture, g_object_unref);
}

static void
on_texture_loaded (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;
  EaselGalleryDetails *self;

  texture = g_task_propagate_pointer (G_TASK (result), &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = EASEL_GALLERY_DETAILS (object);
  if (texture == NULL)
    g_debug ("Could not load the image: %s", error->message);
  gtk_picture_set_paintable (self->picture, GDK_PAINTABLE (texture));
}

typedef struct
{
  EaselStore *store;
  gint64      id;
} ConversationLookup;

static void
conversation_lookup_free (gpointer data)
{
  ConversationLookup *lookup = data;

  g_clear_object (&lookup->store);
  g_free (lookup);
}

static void
conversation_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  ConversationLookup *lookup = task_data;
  GError *error = NULL;
  EaselConversation *conversation = easel_store_get_conversation (lookup->store, lookup->id, &error);

  if (conversation == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, conversation, g_object_unref);
}

static void
on_conversation_loaded (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(EaselConversation) conversation = NULL;
  g_autoptr(GError) error = NULL;
  EaselGalleryDetails *self;

  conversation = g_task_propagate_pointer (G_TASK (result), &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || conversation == NULL)
    return;

  self = EASEL_GALLERY_DETAILS (object);
  if (conversation->title != NULL && *conversation->title != '\0')
    {
      g_autofree char *title = easel_label_text_for (conversation->title, 200);

      adw_action_row_set_subtitle (self->conversation_row, title);
    }
}

/* The stored parameters' names as a person reads them. */
static const struct { const char *key; const char *label; } param_labels[] = {
  { "model", N_("Model") },
  { "api", N_("API") },
  { "n", N_("Images") },
  { "size", N_("Size") },
  { "quality", N_("Quality") },
  { "background", N_("Background") },
  { "output_format", N_("Format") },
  { "output_compression", N_("Compression") },
  { "moderation", N_("Moderation") },
  { "stream", N_("Streamed") },
  { "partial_images", N_("Partial images") },
  { "responses_model", N_("Conversation model") },
  { "action", N_("Action") },
  { "previous_response_id", N_("Continues response") },
  { "instructions", N_("Instructions") },
  { "service_tier", N_("Processing tier") },
  { "let_model_decide", N_("Image tool") },
  { "images", N_("Input images") },
  { "mask", N_("Mask") },
  { "input_fidelity", N_("Input fidelity") },
  { "style", N_("Style") },
  { "user", N_("End user") },
  { "response_format", N_("Response format") },
  { "image_call_refs", N_("Referenced images") },
};

/* A known name's label, or an unknown one made readable ("foo_bar" →
 * "Foo bar"): the library may come from a newer Easel. */
static char *
param_label (const char *name)
{
  g_autofree char *spaced = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (param_labels); i++)
    if (g_str_equal (name, param_labels[i].key))
      return g_strdup (_(param_labels[i].label));

  spaced = g_strdelimit (g_strdup (name), "_-", ' ');
  if (spaced[0] != '\0' && g_ascii_islower (spaced[0]))
    spaced[0] = g_ascii_toupper (spaced[0]);
  return g_steal_pointer (&spaced);
}

/* A stored string as the pickers say it: a model's name, "High" for
 * quality "high", "Landscape (1536 × 1024)"; values without a label (ids,
 * a compatible server's own) as they are. */
static char *
string_value (const char *name,
              const char *value)
{
  g_autofree char *prop = NULL;

  if (g_str_equal (name, "model") || g_str_equal (name, "responses_model"))
    return g_strdup (easel_model_display_name (value));
  if (g_str_equal (name, "api"))
    {
      /* The studio's own name for it, from the API switch's labels. */
      if (g_str_equal (value, "responses"))
        return easel_params_dup_option_label ("api-mode", "responses");
      if (g_str_equal (value, "generate"))
        return g_strdup (_("Single image, generated (Images API)"));
      if (g_str_equal (value, "edit"))
        return g_strdup (_("Single image, edited (Images API)"));
      if (g_str_equal (value, "variation"))
        return g_strdup (_("Variation (Images API)"));
      return g_strdup (value);
    }
  /* Stored names use underscores, the options' properties dashes. */
  prop = g_strdelimit (g_strdup (name), "_", '-');
  return easel_params_dup_option_label (prop, value);
}

/* A value as a person reads it: yes/no, a count for lists. */
static char *
param_value (const char *name,
             JsonNode   *node)
{
  if (JSON_NODE_HOLDS_VALUE (node))
    {
      GType type = json_node_get_value_type (node);

      if (type == G_TYPE_STRING)
        return string_value (name, json_node_get_string (node));
      if (type == G_TYPE_BOOLEAN)
        {
          if (g_str_equal (name, "let_model_decide"))
            return g_strdup (json_node_get_boolean (node) ? _("The model decides") : _("Always used"));
          return g_strdup (json_node_get_boolean (node) ? _("Yes") : _("No"));
        }
    }
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      guint n = json_array_get_length (json_node_get_array (node));

      return g_strdup_printf (ngettext ("%u item", "%u items", n), n);
    }
  if (JSON_NODE_HOLDS_OBJECT (node))
    return g_strdup (_("Attached"));
  return json_to_string (node, FALSE);
}

static void
add_param_row (EaselGalleryDetails *self,
               const char          *name,
               const char          *value)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *label = param_label (name);
  g_autofree char *safe_name = easel_label_text_for (label, 200);
  g_autofree char *safe_value = easel_label_text_for (value, 0);

  /* Stored parameters may come from an imported library. */
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), safe_name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), safe_value);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  gtk_widget_add_css_class (row, "property");
  gtk_list_box_append (self->params_list, row);
}

static void
fill_params (EaselGalleryDetails *self,
             const char          *params_json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  GtkWidget *child;
  JsonObject *object;
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->params_list))))
    gtk_list_box_remove (self->params_list, child);

  if (params_json == NULL || !easel_json_check_depth (params_json, -1, EASEL_JSON_MAX_DEPTH, NULL) ||
      !json_parser_load_from_data (parser, params_json, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      gtk_widget_set_visible (GTK_WIDGET (self->params_list), FALSE);
      return;
    }

  gtk_widget_set_visible (GTK_WIDGET (self->params_list), TRUE);
  object = json_node_get_object (json_parser_get_root (parser));
  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &name, &node))
    {
      g_autofree char *value = NULL;

      /* The prompt has its own section. */
      if (g_str_equal (name, "prompt") || JSON_NODE_HOLDS_NULL (node))
        continue;

      value = param_value (name, node);

      add_param_row (self, name, value);
    }
}

static void
easel_gallery_details_sync (EaselGalleryDetails *self)
{
  EaselGeneration *gen = self->item ? easel_gallery_item_get_generation (self->item) : NULL;
  g_autofree char *created = NULL;
  g_autofree char *tokens = NULL;
  g_autofree char *cost = NULL;
  g_autofree char *conversation = NULL;
  g_autofree char *model = NULL;
  g_autofree char *prompt = NULL;
  g_autofree char *revised = NULL;
  double usd;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  gtk_picture_set_paintable (self->picture, NULL);

  if (gen == NULL)
    {
      gtk_label_set_text (self->prompt_label, "");
      gtk_widget_set_visible (self->revised_group, FALSE);
      fill_params (self, NULL);
      return;
    }

  self->cancellable = g_cancellable_new ();

  if (gen->path != NULL)
    {
      g_autoptr(GTask) task = g_task_new (self, self->cancellable, on_texture_loaded, NULL);

      g_task_set_source_tag (task, easel_gallery_details_sync);
      g_task_set_task_data (task, g_file_new_for_path (gen->path), g_object_unref);
      g_task_run_in_thread (task, load_texture_thread);
    }

  /* A record may be the server's words or an imported library's. */
  prompt = easel_label_text_for (gen->prompt, EASEL_TEXT_MAX_PROMPT);
  revised = easel_label_text_for (gen->revised_prompt, 0);
  gtk_label_set_text (self->prompt_label, prompt);
  gtk_widget_set_visible (self->revised_group, gen->revised_prompt != NULL && *gen->revised_prompt != '\0');
  gtk_label_set_text (self->revised_label, revised);

  {
    g_autofree char *name = gen->model ? string_value ("model", gen->model) : g_strdup ("?");

    if (gen->size != NULL && gen->quality != NULL)
      {
        g_autofree char *size = string_value ("size", gen->size);
        g_autofree char *quality = string_value ("quality", gen->quality);

        model = g_strdup_printf ("%s · %s · %s", name, size, quality);
      }
    else
      model = g_steal_pointer (&name);
  }
  {
    /* The model and size may come from an imported library. */
    g_autofree char *safe = easel_label_text_for (model, 200);

    adw_action_row_set_subtitle (self->model_row, safe);
  }

  if (gen->created > 0)
    {
      g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (gen->created);

      created = g_date_time_format (dt, "%x %X");
    }
  adw_action_row_set_subtitle (self->created_row, created ? created : "");

  {
    g_autofree char *in = g_strdup_printf ("%" G_GINT64_FORMAT, gen->input_tokens);
    g_autofree char *out = g_strdup_printf ("%" G_GINT64_FORMAT, gen->output_tokens);

    /* Translators: input and output token counts; the first %s is the
     * number of input tokens, the second the number of output tokens. */
    tokens = g_strdup_printf (_("%s in · %s out"), in, out);
  }
  adw_action_row_set_subtitle (self->tokens_row, tokens);

  usd = easel_generation_get_cost (gen);
  if (usd < 0)
    cost = g_strdup (_("Unknown"));
  else if (gen->actual_usd >= 0)
    cost = easel_cost_format_usd (usd);
  else
    {
      g_autofree char *formatted = easel_cost_format_usd (usd);

      /* Translators: the cost was estimated, not reported by the API. */
      cost = g_strdup_printf (_("%s (estimated)"), formatted);
    }
  if (gen->status == EASEL_GENERATION_INCOMPLETE)
    {
      g_autofree char *plain = g_steal_pointer (&cost);

      /* Translators: %s is a cost ("Unknown" or "$0.04 (estimated)") of an
       * image whose stream broke: what is kept is its last partial. */
      cost = g_strdup_printf (_("%s · incomplete: the last partial image, the server may have billed it"), plain);
    }
  adw_action_row_set_subtitle (self->cost_row, cost);

  if (gen->conversation_id != 0)
    {
      g_autoptr(GTask) task = NULL;
      ConversationLookup *lookup;

      g_autofree char *number = g_strdup_printf ("%" G_GINT64_FORMAT, gen->conversation_id);

      /* Translators: a fallback title for an untitled conversation;
       * %s is its number in the library. */
      conversation = g_strdup_printf (_("Conversation %s"), number);

      if (self->store != NULL)
        {
          lookup = g_new0 (ConversationLookup, 1);
          lookup->store = g_object_ref (self->store);
          lookup->id = gen->conversation_id;
          task = g_task_new (self, self->cancellable, on_conversation_loaded, NULL);
          g_task_set_source_tag (task, conversation_thread);
          g_task_set_task_data (task, lookup, conversation_lookup_free);
          g_task_run_in_thread (task, conversation_thread);
        }
    }
  adw_action_row_set_subtitle (self->conversation_row, conversation ? conversation : _("None"));

  fill_params (self, gen->params_json);
}

static void
on_item_starred (EaselGalleryDetails *self)
{
  gboolean starred = self->item && easel_gallery_item_get_starred (self->item);

  gtk_toggle_button_set_active (self->star_button, starred);
  gtk_button_set_icon_name (GTK_BUTTON (self->star_button),
                            starred ? "starred-symbolic" : "non-starred-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->star_button), starred ? _("Unstar") : _("Star"));
}

static void
easel_gallery_details_dispose (GObject *object)
{
  EaselGalleryDetails *self = EASEL_GALLERY_DETAILS (object);
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->item_signals)
    g_signal_group_set_target (self->item_signals, NULL);
  g_clear_object (&self->item_signals);
  g_clear_object (&self->item);
  g_clear_object (&self->store);

  gtk_widget_dispose_template (GTK_WIDGET (self), EASEL_TYPE_GALLERY_DETAILS);
  /* Unnamed template children are not unparented by dispose_template. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))))
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (easel_gallery_details_parent_class)->dispose (object);
}

static void
easel_gallery_details_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  EaselGalleryDetails *self = EASEL_GALLERY_DETAILS (object);

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
easel_gallery_details_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  EaselGalleryDetails *self = EASEL_GALLERY_DETAILS (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      easel_gallery_details_set_item (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_gallery_details_class_init (EaselGalleryDetailsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = easel_gallery_details_dispose;
  object_class->get_property = easel_gallery_details_get_property;
  object_class->set_property = easel_gallery_details_set_property;

  properties[PROP_ITEM] =
    g_param_spec_object ("item", NULL, NULL, EASEL_TYPE_GALLERY_ITEM,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/easel-gallery-details.ui");
  gtk_widget_class_bind_template_child (widget_class, EaselGalleryDetails, star_button);
  gtk_widget_class_bind_template_child (widget_class, EaselGalleryDetails, picture);
  gtk_widget_class_bind_template_child (widget_class, EaselGalleryDetails, continue_button);
  gtk_widget_class_bind_template_child (widget_class, EaselGalleryDetails, prompt_label);
  gtk_widget_class_bind_template_child (widget_class, EaselGalleryDetails, revised_group);
  gtk_widget_class_bind_template_child (widget_class, EaselGalleryDetails, revised_label);
  gtk_widget_class_bind_template_child (widget_class, EaselGalleryDetails, model_row);
  gtk_widget_class_bind_template_child (widget_class, EaselGalleryDetails, created_row);
  gtk_widget_class_bind_template_child (widget_class, EaselGalleryDetails, tokens_row);
  gtk_widget_class_bind_template_child (widget_class, EaselGalleryDetails, cost_row);
  gtk_widget_class_bind_template_child (widget_class, EaselGalleryDetails, conversation_row);
  gtk_widget_class_bind_template_child (widget_class, EaselGalleryDetails, params_list);
  gtk_widget_class_bind_template_child (widget_class, EaselGalleryDetails, scroller);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "easelgallerydetails");
}

static void
easel_gallery_details_init (EaselGalleryDetails *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* Their subtitles are plain text from the library, never markup. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (self->model_row), FALSE);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (self->created_row), FALSE);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (self->tokens_row), FALSE);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (self->cost_row), FALSE);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (self->conversation_row), FALSE);

  self->item_signals = g_signal_group_new (EASEL_TYPE_GALLERY_ITEM);
  g_signal_group_connect_object (self->item_signals, "notify::generation",
                                 G_CALLBACK (easel_gallery_details_sync), self, G_CONNECT_SWAPPED);
  g_signal_group_connect_object (self->item_signals, "notify::starred",
                                 G_CALLBACK (on_item_starred), self, G_CONNECT_SWAPPED);
}

EaselGalleryItem *
easel_gallery_details_get_item (EaselGalleryDetails *self)
{
  g_return_val_if_fail (EASEL_IS_GALLERY_DETAILS (self), NULL);

  return self->item;
}

void
easel_gallery_details_set_item (EaselGalleryDetails *self,
                                EaselGalleryItem    *item)
{
  g_return_if_fail (EASEL_IS_GALLERY_DETAILS (self));
  g_return_if_fail (!item || EASEL_IS_GALLERY_ITEM (item));

  if (!g_set_object (&self->item, item))
    return;

  g_signal_group_set_target (self->item_signals, item);
  /* Each item's details start at the top, not where the last one was. */
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->scroller), 0);
  easel_gallery_details_sync (self);
  on_item_starred (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ITEM]);
}

void
easel_gallery_details_set_store (EaselGalleryDetails *self,
                                 EaselStore          *store)
{
  g_return_if_fail (EASEL_IS_GALLERY_DETAILS (self));

  g_set_object (&self->store, store);
}
