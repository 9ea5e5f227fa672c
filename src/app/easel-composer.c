/* easel-composer.c: the prompt, attachments, parameters and Send
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-composer"

#include "config.h"

#include <glib/gi18n.h>

#include "easel-composer.h"
#include "easel-local-file.h"
#include "easel-image-decoder.h"
#include "easel-params-popover.h"

struct _EaselComposer
{
  GtkWidget parent_instance;

  EaselParams *params;
  GSignalGroup *params_signals;
  GBindingGroup *params_bindings;
  GPtrArray *attachments;       /* EaselInputImage* */
  GListStore *thumbnails;       /* GdkTexture */
  GCancellable *cancellable;
  char *status;
  gboolean busy;
  gboolean send_with_ctrl_enter;  /* the old way: Enter adds a line */
  gboolean preedit;               /* an input method is composing: its Enter is its own */

  /* template */
  GtkTextView *text_view;
  GtkFlowBox *attachments_box;
  GtkWidget *attachments_revealer;
  EaselParamsPopover *params_popover;
  GtkToggleButton *conversation_toggle;
  GtkToggleButton *images_toggle;
  GtkLabel *cost_label;
  GtkLabel *status_label;
  GtkLabel *hint_label;
  char *target;            /* what Send will do, when it is not a plain send */
  GtkButton *send_button;
};

G_DEFINE_FINAL_TYPE (EaselComposer, easel_composer, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_PARAMS,
  PROP_BUSY,
  PROP_STATUS,
  PROP_TARGET,
  PROP_SEND_WITH_CTRL_ENTER,
  N_PROPS
};

enum {
  TOAST,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
update_cost (EaselComposer *self)
{
  g_autoptr(EaselRequest) request = NULL;
  g_autofree char *text = NULL;
  EaselCostEstimate estimate = { 0 };

  if (self->params == NULL)
    return;

  text = easel_composer_dup_text (self);
  request = easel_params_build_request (self->params, text, self->attachments->len);
  for (guint i = 0; i < self->attachments->len; i++)
    easel_request_add_image (request, easel_input_image_copy (g_ptr_array_index (self->attachments, i)));
  easel_cost_estimate (request, &estimate);

  if (estimate.usd > 0 || (estimate.output_tokens > 0 && estimate.usd >= 0))
    {
      g_autofree char *usd = easel_cost_format_usd (estimate.usd);
      g_autofree char *label = NULL;
      g_autoptr(GString) tooltip = g_string_new (NULL);

      if (estimate.output_tokens > 0)
        {
          /* Format the count outside _(): a G_GINT64_FORMAT macro inside the
           * literal would cut the msgid short for xgettext. */
          g_autofree char *tokens = g_strdup_printf ("%'" G_GINT64_FORMAT, estimate.output_tokens);

          if (estimate.known)
            /* Translators: an estimate before sending. The first %s is a dollar
             * amount such as "$0.04", the second the number of output tokens,
             * already formatted with digit grouping. */
            label = g_strdup_printf (ngettext ("≈ %s · %s token", "≈ %s · %s tokens",
                                               (gulong) MIN (estimate.output_tokens, G_MAXLONG)),
                                     usd, tokens);
          else
            /* Translators: an estimate when quality or size is "auto": %s is
             * a dollar amount such as "$0.04" */
            {
              gboolean auto_quality = request->quality == NULL || g_str_equal (request->quality, "auto");
              gboolean auto_size = request->size == NULL || g_str_equal (request->size, "auto");

              if (auto_quality && auto_size)
                label = g_strdup_printf (_("≈ %s · server picks quality and size"), usd);
              else if (auto_size)
                label = g_strdup_printf (_("≈ %s · server picks size"), usd);
              else
                label = g_strdup_printf (_("≈ %s · server picks quality"), usd);
            }
        }
      else
        /* Translators: %s is a dollar amount; models priced per image (dall-e) */
        label = g_strdup_printf (_("≈ %s · priced per image"), usd);

      /* With "auto" size or quality the server decides, so the figure is a
       * medium-quality square guess; say so in the label, not only here. */
      g_string_append (tooltip, estimate.known
                       ? _("Estimated from the model's price table, before sending")
                       : _("A guess: with “auto” size or quality the server decides; priced as medium quality at 1024×1024"));
      if (estimate.price_assumed)
        {
          g_autofree char *assumed = g_strdup_printf ("%s (%s)", label, _("assumed price"));

          g_free (label);
          label = g_steal_pointer (&assumed);
          g_string_append_printf (tooltip, "\n%s", easel_cost_price_assumption (request->model));
        }
      if (estimate.tier_price_unknown)
        g_string_append_printf (tooltip, "\n%s",
                                _("The processing tier's price is unknown; this is the default tier's"));
      gtk_label_set_label (self->cost_label, label);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->cost_label), tooltip->str);
    }
  else
    {
      gtk_label_set_label (self->cost_label, _("Cost unknown"));
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->cost_label),
                                   _("This model or size has no known price"));
    }
}

/* Each half of the API switch follows "api-mode" and sets it: the half
 * for @user_data's mode is active when that is the mode. A half turned off
 * (by code; a click cannot, they are grouped) means the other mode. */
static gboolean
api_mode_to_active (GBinding     *binding,
                    const GValue *from,
                    GValue       *to,
                    gpointer      user_data)
{
  g_value_set_boolean (to, g_strcmp0 (g_value_get_string (from), user_data) == 0);
  return TRUE;
}

static gboolean
active_to_api_mode (GBinding     *binding,
                    const GValue *from,
                    GValue       *to,
                    gpointer      user_data)
{
  const char *mode = user_data;

  if (g_value_get_boolean (from))
    g_value_set_string (to, mode);
  else
    g_value_set_string (to, g_str_equal (mode, "images") ? "responses" : "images");
  return TRUE;
}

static void
update_send (EaselComposer *self)
{
  GtkWidget *button = GTK_WIDGET (self->send_button);

  if (self->busy)
    {
      gtk_button_set_label (self->send_button, _("Cancel"));
      gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "win.cancel");
      gtk_widget_remove_css_class (button, "suggested-action");
      gtk_widget_add_css_class (button, "destructive-action");
      gtk_widget_set_tooltip_text (button, _("Stop this request (Escape)"));
    }
  else
    {
      gtk_button_set_label (self->send_button, _("Send"));
      gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "win.send");
      gtk_widget_remove_css_class (button, "destructive-action");
      gtk_widget_add_css_class (button, "suggested-action");
      gtk_widget_set_tooltip_text (button, self->send_with_ctrl_enter
                                           ? _("Send the prompt (Ctrl+Enter)")
                                           : _("Send the prompt (Enter)"));
    }
}

/* The empty composer says how to send; the hint is not part of the text. */
static void
update_hint (EaselComposer *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);

  gtk_label_set_label (self->hint_label, self->send_with_ctrl_enter
                                         ? _("Ctrl+Enter to send, Enter for a new line")
                                         : _("Enter to send, Shift+Enter for a new line"));
  gtk_widget_set_visible (GTK_WIDGET (self->hint_label),
                          gtk_text_buffer_get_char_count (buffer) == 0 && !self->preedit);
}

static void
preedit_changed_cb (EaselComposer *self,
                    const char    *preedit,
                    GtkTextView   *text_view)
{
  self->preedit = preedit != NULL && *preedit != '\0';
  update_hint (self);
}

/* Enter sends and Shift+Enter adds a line, unless the user asked for the
 * old way (then Enter adds a line). Ctrl+Enter sends either way. */
static gboolean
key_pressed_cb (EaselComposer         *self,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                GtkEventControllerKey *controller)
{
  GdkModifierType mods = state & (GDK_CONTROL_MASK | GDK_SHIFT_MASK | GDK_ALT_MASK | GDK_SUPER_MASK);

  if (keyval != GDK_KEY_Return && keyval != GDK_KEY_KP_Enter && keyval != GDK_KEY_ISO_Enter)
    return FALSE;
  if (self->preedit)
    return FALSE;

  if (mods == GDK_CONTROL_MASK || (mods == 0 && !self->send_with_ctrl_enter))
    {
      gtk_widget_activate_action (GTK_WIDGET (self), "win.send", NULL);
      return TRUE;
    }
  if (mods == GDK_SHIFT_MASK && !self->send_with_ctrl_enter)
    {
      GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);

      gtk_text_buffer_insert_interactive_at_cursor (buffer, "\n", 1, gtk_text_view_get_editable (self->text_view));
      gtk_text_view_scroll_mark_onscreen (self->text_view, gtk_text_buffer_get_insert (buffer));
      return TRUE;
    }
  return FALSE;
}

static void
add_attachment (EaselComposer   *self,
                EaselInputImage *image);

typedef struct
{
  EaselComposer *self;
  EaselInputImage *image;
} ThumbData;

static void
thumbnail_ready_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  ThumbData *data = user_data;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;

  texture = easel_image_decode_finish (result, &error);
  if (texture == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *message = g_strdup_printf (_("“%s” is not an image Easel can read"),
                                                      data->image->filename ? data->image->filename : "?");
          g_signal_emit (data->self, signals[TOAST], 0, message);
        }
    }
  else
    {
      g_ptr_array_add (data->self->attachments, g_steal_pointer (&data->image));
      g_list_store_append (data->self->thumbnails, texture);
      gtk_revealer_set_reveal_child (GTK_REVEALER (data->self->attachments_revealer), TRUE);
      update_cost (data->self);
    }

  g_clear_pointer (&data->image, easel_input_image_free);
  g_object_unref (data->self);
  g_free (data);
}

static void
add_attachment (EaselComposer   *self,
                EaselInputImage *image)
{
  ThumbData *data;
  const char *mime;
  gsize len = 0;
  const guint8 *contents = g_bytes_get_data (image->bytes, &len);

  /* What the image models read, by its bytes rather than its name: the
   * decoder below would also take an SVG or a TIFF, which no model does. */
  mime = easel_image_sniff_mime (contents, len);
  if (mime == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("“%s” is not a PNG, JPEG, WebP or GIF image"),
                                                  image->filename ? image->filename : _("The image"));

      g_signal_emit (self, signals[TOAST], 0, message);
      easel_input_image_free (image);
      return;
    }
  if (g_strcmp0 (image->mime_type, mime) != 0)
    {
      g_free (image->mime_type);
      image->mime_type = g_strdup (mime);
    }

  data = g_new0 (ThumbData, 1);
  data->self = g_object_ref (self);
  data->image = image;
  /* Decoding also proves it is an image before it is ever sent. */
  easel_image_decode_async (image->bytes, 96, self->cancellable, thumbnail_ready_cb, data);
}

void
easel_composer_add_image_bytes (EaselComposer *self,
                                GBytes        *bytes,
                                const char    *filename,
                                const char    *mime_type)
{
  g_return_if_fail (EASEL_IS_COMPOSER (self));
  g_return_if_fail (bytes != NULL);

  add_attachment (self, easel_input_image_new_bytes (bytes, filename, mime_type));
}

static void
file_loaded_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(EaselComposer) self = user_data;
  GFile *file = G_FILE (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *basename = NULL;
  g_autofree char *content_type = NULL;
  g_autofree char *mime = NULL;
  const guchar *contents;
  gsize len = 0;

  bytes = easel_local_file_load_finish (file, result, &error);
  if (bytes == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_signal_emit (self, signals[TOAST], 0, error->message);
      return;
    }

  basename = g_file_get_basename (file);
  contents = g_bytes_get_data (bytes, &len);
  content_type = g_content_type_guess (basename, contents, len, NULL);
  mime = g_content_type_get_mime_type (content_type);
  easel_composer_add_image_bytes (self, bytes,
                                  basename, mime ? mime : "image/png");
}

void
easel_composer_add_file (EaselComposer *self,
                         GFile         *file)
{
  g_return_if_fail (EASEL_IS_COMPOSER (self));
  g_return_if_fail (G_IS_FILE (file));

  /* Regular files of at most the largest limit any model takes: a FIFO or
   * /dev/zero dropped on the composer is refused, not read for ever. */
  easel_local_file_load_async (file, EASEL_LOCAL_FILE_MAX_IMAGE_BYTES, self->cancellable,
                               file_loaded_cb, g_object_ref (self));
}

static void
chooser_response_cb (EaselComposer        *self,
                     int                   response,
                     GtkFileChooserNative *chooser)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (chooser));

      for (guint i = 0; i < g_list_model_get_n_items (files); i++)
        {
          g_autoptr(GFile) file = g_list_model_get_item (files, i);
          easel_composer_add_file (self, file);
        }
    }
  gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (chooser));
  g_object_unref (chooser);
}

static void
attach_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  EaselComposer *self = EASEL_COMPOSER (widget);
  GtkFileChooserNative *chooser;
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  chooser = gtk_file_chooser_native_new (_("Attach Images"),
                                         GTK_WINDOW (gtk_widget_get_root (widget)),
                                         GTK_FILE_CHOOSER_ACTION_OPEN,
                                         _("_Attach"), NULL);
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (chooser), TRUE);
  gtk_file_filter_set_name (filter, _("Images"));
  gtk_file_filter_add_mime_type (filter, "image/png");
  gtk_file_filter_add_mime_type (filter, "image/jpeg");
  gtk_file_filter_add_mime_type (filter, "image/webp");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect_object (chooser, "response", G_CALLBACK (chooser_response_cb), self, G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
clear_attachments_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *param)
{
  EaselComposer *self = EASEL_COMPOSER (widget);

  g_ptr_array_set_size (self->attachments, 0);
  g_list_store_remove_all (self->thumbnails);
  gtk_revealer_set_reveal_child (GTK_REVEALER (self->attachments_revealer), FALSE);
  update_cost (self);
}

static gboolean
drop_cb (EaselComposer *self,
         const GValue  *value,
         double         x,
         double         y,
         GtkDropTarget *target)
{
  GSList *files;

  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  files = g_value_get_boxed (value);
  for (GSList *l = files; l; l = l->next)
    easel_composer_add_file (self, l->data);
  return files != NULL;
}

static void
pasted_png_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(EaselComposer) self = user_data;
  g_autoptr(GBytes) bytes = easel_image_encode_png_finish (result, NULL);

  if (bytes)
    easel_composer_add_image_bytes (self, bytes, "pasted.png", "image/png");
}

static void
clipboard_texture_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(EaselComposer) self = user_data;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;

  texture = gdk_clipboard_read_texture_finish (GDK_CLIPBOARD (object), result, &error);
  if (texture == NULL)
    {
      g_signal_emit (self, signals[TOAST], 0, _("The clipboard image could not be read"));
      return;
    }
  easel_image_encode_png_async (texture, self->cancellable, pasted_png_cb, g_object_ref (self));
}

static void
paste_clipboard_cb (EaselComposer *self,
                    GtkTextView   *text_view)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (text_view));
  GdkContentFormats *formats = gdk_clipboard_get_formats (clipboard);

  /* Text pastes as text; only a pure image becomes an attachment. */
  if (gdk_content_formats_contain_gtype (formats, GDK_TYPE_TEXTURE) &&
      !gdk_content_formats_contain_gtype (formats, G_TYPE_STRING))
    {
      g_signal_stop_emission_by_name (text_view, "paste-clipboard");
      gdk_clipboard_read_texture_async (clipboard, self->cancellable,
                                        clipboard_texture_cb, g_object_ref (self));
    }
}

static void
easel_composer_dispose (GObject *object)
{
  EaselComposer *self = (EaselComposer *)object;

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), EASEL_TYPE_COMPOSER);
  /* GTK 4.8 leaves unbound template children parented. */
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self));
       child != NULL;
       child = gtk_widget_get_first_child (GTK_WIDGET (self)))
    gtk_widget_unparent (child);
  g_clear_object (&self->params_signals);
  g_clear_object (&self->params_bindings);
  g_clear_object (&self->params);
  g_clear_object (&self->thumbnails);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (easel_composer_parent_class)->dispose (object);
}

static void
easel_composer_finalize (GObject *object)
{
  EaselComposer *self = (EaselComposer *)object;

  g_clear_pointer (&self->attachments, g_ptr_array_unref);
  g_clear_pointer (&self->status, g_free);
  g_clear_pointer (&self->target, g_free);

  G_OBJECT_CLASS (easel_composer_parent_class)->finalize (object);
}

static void
easel_composer_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  EaselComposer *self = EASEL_COMPOSER (object);

  switch (prop_id)
    {
    case PROP_PARAMS: g_value_set_object (value, self->params); break;
    case PROP_BUSY: g_value_set_boolean (value, self->busy); break;
    case PROP_STATUS: g_value_set_string (value, self->status); break;
    case PROP_TARGET: g_value_set_string (value, self->target); break;
    case PROP_SEND_WITH_CTRL_ENTER: g_value_set_boolean (value, self->send_with_ctrl_enter); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* While a request runs the label says how it is going; otherwise what
 * Send will do, when that is more than a plain send ("Edit turn 1 · mask
 * 12 %"). */
static void
update_status_label (EaselComposer *self)
{
  const char *text = self->status && *self->status ? self->status : self->target;

  gtk_label_set_label (self->status_label, text ? text : "");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->status_label), text && *text ? text : NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), text && *text);
}

static void
easel_composer_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  EaselComposer *self = EASEL_COMPOSER (object);

  switch (prop_id)
    {
    case PROP_PARAMS:
      easel_composer_set_params (self, g_value_get_object (value));
      break;
    case PROP_BUSY:
      if (self->busy != g_value_get_boolean (value))
        {
          self->busy = g_value_get_boolean (value);
          update_send (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_STATUS:
      g_free (self->status);
      self->status = g_value_dup_string (value);
      update_status_label (self);
      g_object_notify_by_pspec (object, pspec);
      break;
    case PROP_TARGET:
      g_free (self->target);
      self->target = g_value_dup_string (value);
      update_status_label (self);
      g_object_notify_by_pspec (object, pspec);
      break;
    case PROP_SEND_WITH_CTRL_ENTER:
      if (self->send_with_ctrl_enter != g_value_get_boolean (value))
        {
          self->send_with_ctrl_enter = g_value_get_boolean (value);
          update_send (self);
          update_hint (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_composer_class_init (EaselComposerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = easel_composer_dispose;
  object_class->finalize = easel_composer_finalize;
  object_class->get_property = easel_composer_get_property;
  object_class->set_property = easel_composer_set_property;

  properties[PROP_PARAMS] =
    g_param_spec_object ("params", NULL, NULL, EASEL_TYPE_PARAMS,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TARGET] =
    g_param_spec_string ("target", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATUS] =
    g_param_spec_string ("status", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SEND_WITH_CTRL_ENTER] =
    g_param_spec_boolean ("send-with-ctrl-enter", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[TOAST] = g_signal_new ("toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  g_type_ensure (EASEL_TYPE_PARAMS_POPOVER);
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/easel-composer.ui");
  gtk_widget_class_bind_template_child (widget_class, EaselComposer, text_view);
  gtk_widget_class_bind_template_child (widget_class, EaselComposer, attachments_box);
  gtk_widget_class_bind_template_child (widget_class, EaselComposer, attachments_revealer);
  gtk_widget_class_bind_template_child (widget_class, EaselComposer, params_popover);
  gtk_widget_class_bind_template_child (widget_class, EaselComposer, conversation_toggle);
  gtk_widget_class_bind_template_child (widget_class, EaselComposer, images_toggle);
  gtk_widget_class_bind_template_child (widget_class, EaselComposer, cost_label);
  gtk_widget_class_bind_template_child (widget_class, EaselComposer, status_label);
  gtk_widget_class_bind_template_child (widget_class, EaselComposer, send_button);
  gtk_widget_class_bind_template_child (widget_class, EaselComposer, hint_label);
  gtk_widget_class_bind_template_callback (widget_class, paste_clipboard_cb);
  gtk_widget_class_bind_template_callback (widget_class, preedit_changed_cb);

  gtk_widget_class_install_action (widget_class, "composer.attach", NULL, attach_action);
  gtk_widget_class_install_action (widget_class, "composer.clear-attachments", NULL, clear_attachments_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "easel-composer");
}

static GtkWidget *
create_attachment (gpointer item,
                   gpointer user_data)
{
  GtkWidget *picture = gtk_picture_new_for_paintable (GDK_PAINTABLE (item));

  gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
  gtk_picture_set_content_fit (GTK_PICTURE (picture), GTK_CONTENT_FIT_COVER);
  gtk_widget_set_size_request (picture, 56, 56);
  gtk_widget_set_overflow (picture, GTK_OVERFLOW_HIDDEN);
  gtk_widget_add_css_class (picture, "thumbnail");
  return picture;
}

static void
easel_composer_init (EaselComposer *self)
{
  GtkDropTarget *drop;
  GtkTextBuffer *buffer;
  GtkEventController *keys;

  self->attachments = g_ptr_array_new_with_free_func ((GDestroyNotify)easel_input_image_free);
  self->thumbnails = g_list_store_new (GDK_TYPE_TEXTURE);
  self->cancellable = g_cancellable_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  gtk_flow_box_bind_model (self->attachments_box, G_LIST_MODEL (self->thumbnails),
                           create_attachment, NULL, NULL);

  buffer = gtk_text_view_get_buffer (self->text_view);
  g_signal_connect_object (buffer, "changed", G_CALLBACK (update_cost), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (buffer, "changed", G_CALLBACK (update_hint), self, G_CONNECT_SWAPPED);

  /* Enter must beat the text view's own handling, which adds a line. */
  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect_object (keys, "key-pressed", G_CALLBACK (key_pressed_cb), self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->text_view), keys);

  drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect_object (drop, "drop", G_CALLBACK (drop_cb), self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));

  self->params_signals = g_signal_group_new (EASEL_TYPE_PARAMS);
  g_signal_group_connect_swapped (self->params_signals, "changed", G_CALLBACK (update_cost), self);

  self->params_bindings = g_binding_group_new ();
  g_binding_group_bind_full (self->params_bindings, "api-mode", self->conversation_toggle, "active",
                             G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL,
                             api_mode_to_active, active_to_api_mode, (gpointer)"responses", NULL);
  g_binding_group_bind_full (self->params_bindings, "api-mode", self->images_toggle, "active",
                             G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL,
                             api_mode_to_active, active_to_api_mode, (gpointer)"images", NULL);

  update_send (self);
  update_hint (self);
}

GtkWidget *
easel_composer_new (void)
{
  return g_object_new (EASEL_TYPE_COMPOSER, NULL);
}

EaselParams *
easel_composer_get_params (EaselComposer *self)
{
  g_return_val_if_fail (EASEL_IS_COMPOSER (self), NULL);
  return self->params;
}

void
easel_composer_set_params (EaselComposer *self,
                           EaselParams   *params)
{
  g_return_if_fail (EASEL_IS_COMPOSER (self));
  g_return_if_fail (!params || EASEL_IS_PARAMS (params));

  if (!g_set_object (&self->params, params))
    return;
  g_signal_group_set_target (self->params_signals, params);
  g_binding_group_set_source (self->params_bindings, params);
  easel_params_popover_set_params (self->params_popover, params);
  update_cost (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PARAMS]);
}

char *
easel_composer_dup_text (EaselComposer *self)
{
  GtkTextBuffer *buffer;
  GtkTextIter start, end;
  g_autofree char *text = NULL;

  g_return_val_if_fail (EASEL_IS_COMPOSER (self), NULL);

  buffer = gtk_text_view_get_buffer (self->text_view);
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  return g_strstrip (g_steal_pointer (&text));
}

void
easel_composer_set_text (EaselComposer *self,
                         const char    *text)
{
  g_return_if_fail (EASEL_IS_COMPOSER (self));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text_view), text ? text : "", -1);
}

GPtrArray *
easel_composer_get_attachments (EaselComposer *self)
{
  g_return_val_if_fail (EASEL_IS_COMPOSER (self), NULL);
  return self->attachments;
}

GListModel *
easel_composer_get_thumbnails (EaselComposer *self)
{
  g_return_val_if_fail (EASEL_IS_COMPOSER (self), NULL);
  return G_LIST_MODEL (self->thumbnails);
}

void
easel_composer_clear (EaselComposer *self)
{
  g_return_if_fail (EASEL_IS_COMPOSER (self));

  easel_composer_set_text (self, NULL);
  clear_attachments_action (GTK_WIDGET (self), NULL, NULL);
}

void
easel_composer_focus (EaselComposer *self)
{
  g_return_if_fail (EASEL_IS_COMPOSER (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->text_view));
}
