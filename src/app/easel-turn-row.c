/* easel-turn-row.c: one turn in the conversation pane
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-turn-row"

#include "config.h"

#include <glib/gi18n.h>

#include "easel-toast.h"
#include "easel-turn-row.h"
#include "easel-wrap-box.h"

struct _EaselTurnRow
{
  GtkWidget parent_instance;

  EaselSessionTurn *item;
  GSignalGroup *item_signals;
  GSignalGroup *candidate_signals;

  /* template */
  GtkLabel *prompt_label;
  EaselWrapBox *inputs_box;
  GtkWidget *spinner;
  GtkLabel *status_label;
  GtkWidget *branch_box;
  GtkLabel *branch_label;
  GtkWidget *branch_prev;
  GtkWidget *branch_next;
  GtkPicture *result_picture;
  GtkWidget *result_frame;
  GtkFlowBox *candidates_box;
  GtkLabel *assistant_label;
  GtkLabel *revised_label;
  GtkLabel *meta_label;
  GtkWidget *error_box;
  GtkLabel *error_label;
  GtkWidget *keys_button;
  GtkWidget *billing_button;
  GtkWidget *retry_button;
};

G_DEFINE_FINAL_TYPE (EaselTurnRow, easel_turn_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_ITEM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GtkWidget *
create_thumbnail (gpointer item,
                  gpointer user_data)
{
  GtkWidget *picture = gtk_picture_new_for_paintable (GDK_PAINTABLE (item));
  int size = GPOINTER_TO_INT (user_data);

  gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
  gtk_picture_set_content_fit (GTK_PICTURE (picture), GTK_CONTENT_FIT_COVER);
  gtk_widget_set_size_request (picture, size, size);
  gtk_widget_add_css_class (picture, "thumbnail");
  gtk_widget_set_overflow (picture, GTK_OVERFLOW_HIDDEN);
  return picture;
}

static char *
format_moderation (const GError *error)
{
  const char * const *categories = easel_api_error_get_categories (error);
  g_autofree char *message = easel_label_text_for (error->message, 0);
  g_autofree char *raw = NULL;
  g_autofree char *joined = NULL;

  if (categories == NULL || categories[0] == NULL)
    return g_steal_pointer (&message);
  raw = g_strjoinv (", ", (char **)categories);
  joined = easel_label_text_for (raw, 0);
  /* Translators: the first %s is the server's message, the second a list of categories */
  return g_strdup_printf (_("%s\nBlocked by moderation: %s"), message, joined);
}

static void
update (EaselTurnRow *self)
{
  EaselSessionTurn *turn = self->item;
  EaselTurnState state;
  const GError *error;
  const char *text;
  g_autoptr(GString) meta = NULL;
  guint n_siblings, sibling;
  GdkTexture *picture;

  if (turn == NULL)
    return;

  state = easel_session_turn_get_state (turn);
  error = easel_session_turn_get_error (turn);

  gtk_label_set_label (self->prompt_label, easel_session_turn_get_prompt (turn));

  gtk_widget_set_visible (self->spinner, state == EASEL_TURN_RUNNING);
  gtk_spinner_set_spinning (GTK_SPINNER (self->spinner), state == EASEL_TURN_RUNNING);
  text = easel_session_turn_get_status (turn);
  gtk_label_set_label (self->status_label, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), text && *text);

  g_object_get (turn, "n-siblings", &n_siblings, "sibling-index", &sibling, NULL);
  gtk_widget_set_visible (self->branch_box, n_siblings > 1);
  if (n_siblings > 1)
    {
      g_autofree char *label = g_strdup_printf (_("Branch %u of %u"), sibling + 1, n_siblings);
      gtk_label_set_label (self->branch_label, label);
      gtk_widget_set_sensitive (self->branch_prev, sibling > 0);
      gtk_widget_set_sensitive (self->branch_next, sibling + 1 < n_siblings);
    }

  /* Rows show the thumbnail: cheap to paint while frames stream, and all
   * that is left of a turn once it is off the canvas. */
  picture = easel_session_turn_get_thumbnail (turn);
  if (picture == NULL)
    picture = easel_session_turn_get_texture (turn);
  gtk_picture_set_paintable (self->result_picture, GDK_PAINTABLE (picture));
  gtk_widget_set_visible (self->result_frame, picture != NULL);
  if (easel_session_turn_get_is_partial (turn) && state == EASEL_TURN_RUNNING)
    gtk_widget_add_css_class (self->result_frame, "refining");
  else
    gtk_widget_remove_css_class (self->result_frame, "refining");

  gtk_widget_set_visible (GTK_WIDGET (self->candidates_box),
                          g_list_model_get_n_items (easel_session_turn_get_candidates (turn)) > 1);

  text = easel_session_turn_get_assistant_text (turn);
  {
    g_autofree char *assistant = text ? easel_label_text_for (text, EASEL_TEXT_MAX_PROMPT) : NULL;
    gtk_label_set_label (self->assistant_label, assistant);
  }
  gtk_widget_set_visible (GTK_WIDGET (self->assistant_label), text && *text);

  text = easel_session_turn_get_revised_prompt (turn);
  if (text && *text)
    {
      g_autofree char *revised = easel_label_text_for (text, 0);
      g_autofree char *label = g_strdup_printf (_("Revised prompt: %s"), revised);
      gtk_label_set_label (self->revised_label, label);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->revised_label), text && *text);

  meta = g_string_new (NULL);
  text = easel_session_turn_get_action (turn);
  if (g_strcmp0 (text, "edit") == 0)
    g_string_append (meta, _("Edited"));
  else if (g_strcmp0 (text, "generate") == 0)
    g_string_append (meta, _("Generated"));
  if (easel_session_turn_get_tokens (turn) >= 0)
    {
      if (meta->len)
        g_string_append (meta, " · ");
      gint64 n_tokens = easel_session_turn_get_tokens (turn);
      g_autofree char *tokens = g_strdup_printf ("%'" G_GINT64_FORMAT, n_tokens);

      /* Translators: %s is a token count, already formatted with digit
       * grouping, e.g. "4,160". */
      g_string_append_printf (meta, ngettext ("%s token", "%s tokens", (gulong) MIN (n_tokens, G_MAXLONG)),
                              tokens);
    }
  if (easel_session_turn_get_cost (turn) >= 0)
    {
      g_autofree char *usd = easel_cost_format_usd (easel_session_turn_get_cost (turn));
      if (meta->len)
        g_string_append (meta, " · ");
      g_string_append (meta, usd);
    }
  /* The status line above usually says it already; say it once. */
  text = easel_session_turn_get_status (turn);
  if (state == EASEL_TURN_CANCELLED)
    g_string_assign (meta, "");  /* the box below says it */
  else if (state == EASEL_TURN_INCOMPLETE)
    {
      const EaselRequest *request = easel_session_turn_get_request (turn);

      /* A Responses turn was asked for by id; the Images API has no id to
       * ask by, so its last partial is all there will be. */
      if (request != NULL && request->api != EASEL_API_RESPONSES)
        g_string_assign (meta, _("Incomplete: the connection was lost, and the Images API cannot resume a broken "
                                 "stream; this is the last partial image, kept in the library"));
      else
        g_string_assign (meta, _("Incomplete: the connection was lost, this is the last partial image"));
    }
  gtk_label_set_label (self->meta_label, meta->str);
  gtk_widget_set_visible (GTK_WIDGET (self->meta_label), meta->len > 0);

  /* A cancelled turn has no error, but says so, and can be sent again. */
  gtk_widget_set_visible (self->error_box, error != NULL || state == EASEL_TURN_CANCELLED);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), error != NULL || state == EASEL_TURN_CANCELLED);
  if (state == EASEL_TURN_CANCELLED)
    gtk_label_set_label (self->error_label, _("Cancelled before it finished. Retry sends the same prompt again."));
  gtk_widget_set_visible (self->keys_button, FALSE);
  gtk_widget_set_visible (self->billing_button, FALSE);
  /* The same prompt would be refused again: it is back in the composer to
   * change instead. */
  gtk_widget_set_visible (self->retry_button, !g_error_matches (error, EASEL_API_ERROR, EASEL_API_ERROR_MODERATION));
  if (error != NULL && state != EASEL_TURN_CANCELLED)
    {
      g_autofree char *message = NULL;

      if (g_error_matches (error, EASEL_API_ERROR, EASEL_API_ERROR_MODERATION))
        message = format_moderation (error);
      else
        message = easel_label_text_for (error->message, 0);
      gtk_label_set_label (self->error_label, message);
      gtk_widget_set_visible (self->keys_button,
                              g_error_matches (error, EASEL_API_ERROR, EASEL_API_ERROR_AUTHENTICATION) ||
                              g_error_matches (error, EASEL_CONFIG_ERROR, EASEL_CONFIG_ERROR_NO_KEY));
      gtk_widget_set_visible (self->billing_button,
                              g_error_matches (error, EASEL_API_ERROR, EASEL_API_ERROR_QUOTA));
    }
}

/* Where an OpenAI account adds credit (insufficient_quota). */
#define EASEL_BILLING_URL "https://platform.openai.com/settings/organization/billing/overview"

static void
forward_action (EaselTurnRow *self,
                const char   *win_action)
{
  if (self->item)
    gtk_widget_activate_action (GTK_WIDGET (self), win_action, "s", easel_session_turn_get_id (self->item));
}

static void
turn_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  EaselTurnRow *self = EASEL_TURN_ROW (widget);

  if (self->item == NULL)
    return;

  if (g_str_equal (action_name, "turn.continue"))
    forward_action (self, "win.continue-from");
  else if (g_str_equal (action_name, "turn.retry"))
    forward_action (self, "win.retry-turn");
  else if (g_str_equal (action_name, "turn.edit"))
    forward_action (self, "win.edit-turn");
  else if (g_str_equal (action_name, "turn.show-keys"))
    gtk_widget_activate_action (widget, "win.show-key-preferences", NULL);
  else if (g_str_equal (action_name, "turn.open-billing"))
    gtk_show_uri (GTK_WINDOW (gtk_widget_get_root (widget)), EASEL_BILLING_URL, GDK_CURRENT_TIME);
  else if (g_str_equal (action_name, "turn.branch-prev") || g_str_equal (action_name, "turn.branch-next"))
    gtk_widget_activate_action (widget, "win.switch-branch", "(si)",
                                easel_session_turn_get_id (self->item),
                                g_str_equal (action_name, "turn.branch-prev") ? -1 : 1);
}

static void
candidate_activated_cb (EaselTurnRow    *self,
                        GtkFlowBoxChild *child,
                        GtkFlowBox      *box)
{
  if (self->item)
    easel_session_turn_pick_candidate (self->item, gtk_flow_box_child_get_index (child));
}

static void
easel_turn_row_dispose (GObject *object)
{
  EaselTurnRow *self = (EaselTurnRow *)object;

  gtk_widget_dispose_template (GTK_WIDGET (self), EASEL_TYPE_TURN_ROW);
  /* GTK 4.8 leaves unbound template children parented. */
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self));
       child != NULL;
       child = gtk_widget_get_first_child (GTK_WIDGET (self)))
    gtk_widget_unparent (child);
  g_clear_object (&self->item_signals);
  g_clear_object (&self->candidate_signals);
  g_clear_object (&self->item);

  G_OBJECT_CLASS (easel_turn_row_parent_class)->dispose (object);
}

static void
easel_turn_row_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  EaselTurnRow *self = EASEL_TURN_ROW (object);

  switch (prop_id)
    {
    case PROP_ITEM: g_value_set_object (value, self->item); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_turn_row_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  EaselTurnRow *self = EASEL_TURN_ROW (object);

  switch (prop_id)
    {
    case PROP_ITEM: easel_turn_row_set_item (self, g_value_get_object (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_turn_row_class_init (EaselTurnRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = easel_turn_row_dispose;
  object_class->get_property = easel_turn_row_get_property;
  object_class->set_property = easel_turn_row_set_property;

  g_type_ensure (EASEL_TYPE_WRAP_BOX);

  properties[PROP_ITEM] =
    g_param_spec_object ("item", NULL, NULL, EASEL_TYPE_SESSION_TURN,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/easel-turn-row.ui");
  gtk_widget_class_bind_template_child (widget_class, EaselTurnRow, prompt_label);
  gtk_widget_class_bind_template_child (widget_class, EaselTurnRow, inputs_box);
  gtk_widget_class_bind_template_child (widget_class, EaselTurnRow, spinner);
  gtk_widget_class_bind_template_child (widget_class, EaselTurnRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, EaselTurnRow, branch_box);
  gtk_widget_class_bind_template_child (widget_class, EaselTurnRow, branch_label);
  gtk_widget_class_bind_template_child (widget_class, EaselTurnRow, branch_prev);
  gtk_widget_class_bind_template_child (widget_class, EaselTurnRow, branch_next);
  gtk_widget_class_bind_template_child (widget_class, EaselTurnRow, result_picture);
  gtk_widget_class_bind_template_child (widget_class, EaselTurnRow, result_frame);
  gtk_widget_class_bind_template_child (widget_class, EaselTurnRow, candidates_box);
  gtk_widget_class_bind_template_child (widget_class, EaselTurnRow, assistant_label);
  gtk_widget_class_bind_template_child (widget_class, EaselTurnRow, revised_label);
  gtk_widget_class_bind_template_child (widget_class, EaselTurnRow, meta_label);
  gtk_widget_class_bind_template_child (widget_class, EaselTurnRow, error_box);
  gtk_widget_class_bind_template_child (widget_class, EaselTurnRow, error_label);
  gtk_widget_class_bind_template_child (widget_class, EaselTurnRow, keys_button);
  gtk_widget_class_bind_template_child (widget_class, EaselTurnRow, billing_button);
  gtk_widget_class_bind_template_child (widget_class, EaselTurnRow, retry_button);
  gtk_widget_class_bind_template_callback (widget_class, candidate_activated_cb);

  gtk_widget_class_install_action (widget_class, "turn.continue", NULL, turn_action);
  gtk_widget_class_install_action (widget_class, "turn.retry", NULL, turn_action);
  gtk_widget_class_install_action (widget_class, "turn.edit", NULL, turn_action);
  gtk_widget_class_install_action (widget_class, "turn.show-keys", NULL, turn_action);
  gtk_widget_class_install_action (widget_class, "turn.open-billing", NULL, turn_action);
  gtk_widget_class_install_action (widget_class, "turn.branch-prev", NULL, turn_action);
  gtk_widget_class_install_action (widget_class, "turn.branch-next", NULL, turn_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "easel-turn-row");
}

static void
easel_turn_row_init (EaselTurnRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->item_signals = g_signal_group_new (EASEL_TYPE_SESSION_TURN);
  g_signal_group_connect_swapped (self->item_signals, "notify", G_CALLBACK (update), self);
  self->candidate_signals = g_signal_group_new (G_TYPE_LIST_STORE);
  g_signal_group_connect_swapped (self->candidate_signals, "items-changed", G_CALLBACK (update), self);
}

GtkWidget *
easel_turn_row_new (void)
{
  return g_object_new (EASEL_TYPE_TURN_ROW, NULL);
}

EaselSessionTurn *
easel_turn_row_get_item (EaselTurnRow *self)
{
  g_return_val_if_fail (EASEL_IS_TURN_ROW (self), NULL);
  return self->item;
}

void
easel_turn_row_set_item (EaselTurnRow *self,
                         EaselSessionTurn    *item)
{
  g_return_if_fail (EASEL_IS_TURN_ROW (self));
  g_return_if_fail (!item || EASEL_IS_SESSION_TURN (item));

  if (!g_set_object (&self->item, item))
    return;

  g_signal_group_set_target (self->item_signals, item);
  g_signal_group_set_target (self->candidate_signals, item ? easel_session_turn_get_candidates (item) : NULL);
  easel_wrap_box_bind_model (self->inputs_box, item ? easel_session_turn_get_inputs (item) : NULL,
                             create_thumbnail, GINT_TO_POINTER (48), NULL);
  gtk_flow_box_bind_model (self->candidates_box, item ? easel_session_turn_get_candidates (item) : NULL,
                           create_thumbnail, GINT_TO_POINTER (64), NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->inputs_box),
                          item && g_list_model_get_n_items (easel_session_turn_get_inputs (item)) > 0);
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ITEM]);
}
