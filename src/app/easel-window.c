/* easel-window.c: the studio window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Layout and wiring only: the behaviour lives in easel-window-actions.c,
 * the state in EaselSession and EaselParams.
 */

#define G_LOG_DOMAIN "easel-window"

#include "config.h"

#include <glib/gi18n.h>

#include "easel-toast.h"
#include "easel-canvas-studio.h"
#include "easel-turn-row.h"
#include "easel-window-private.h"

#include "easel-gallery.h"

G_DEFINE_FINAL_TYPE (EaselWindow, easel_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_LIBRARY,
  PROP_BATCHES,
  PROP_SETTINGS,
  PROP_CONVERSATION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update_canvas_state (EaselWindow *self)
{
  EaselSessionTurn *turn = gtk_single_selection_get_selected_item (self->selection);
  EaselTurnState state = turn ? easel_session_turn_get_state (turn) : EASEL_TURN_PENDING;

  easel_canvas_set_refining (self->canvas,
                             turn && state == EASEL_TURN_RUNNING && easel_session_turn_get_is_partial (turn));
  easel_canvas_set_incomplete (self->canvas,
                               turn && (state == EASEL_TURN_INCOMPLETE ||
                                        (state == EASEL_TURN_CANCELLED && easel_session_turn_get_is_partial (turn))));
}

/* The canvas shows the selected turn's full texture. A turn that fell back
 * to its thumbnail decodes its image again; until it lands the canvas keeps
 * what it had rather than flashing empty. */
static void
sync_canvas_texture (EaselWindow *self)
{
  EaselSessionTurn *selected = gtk_single_selection_get_selected_item (self->selection);
  /* A turn with no frame yet (queued, failed, cancelled early) shows the
   * image it builds on instead of an empty canvas. */
  EaselSessionTurn *turn = easel_session_turn_find_image_turn (selected);
  GdkTexture *texture = turn ? easel_session_turn_get_texture (turn) : NULL;

  /* Before the first turn, the attached image (easel-window-preview.c). */
  if (turn == NULL && self->preview_texture != NULL)
    texture = self->preview_texture;
  /* The shown turn may be an ancestor still decoding its image. */
  g_signal_group_set_target (self->image_signals, turn != selected ? turn : NULL);
  if (texture == NULL && turn != NULL &&
      (easel_session_turn_get_image_bytes (turn) != NULL ||
       easel_session_turn_get_image_file (turn) != NULL))
    {
      easel_session_turn_ensure_texture (turn);
      return;
    }
  easel_canvas_set_texture (self->canvas, texture);
}

void
_easel_window_trim_images (EaselWindow *self)
{
  g_return_if_fail (EASEL_IS_WINDOW (self));

  if (self->conversation != NULL)
    easel_session_trim_images (self->conversation,
                               easel_session_turn_find_image_turn (gtk_single_selection_get_selected_item (self->selection)));
}

/* How much of its image @mask covers, in %; a mask that covers anything
 * says at least 1 %. */
static double
mask_percent (EaselMask *mask)
{
  double area = (double) easel_mask_get_width (mask) * easel_mask_get_height (mask);
  double percent = area > 0 ? 100.0 * (double) easel_mask_count_selected (mask) / area : 0;

  return percent > 0 && percent < 1 ? 1 : percent;
}

/* What Send will do, shown by the composer before it is pressed: with a
 * mask on the canvas, a masked edit of the turn whose image is shown. */
static gboolean
update_send_target (gpointer user_data)
{
  EaselWindow *self = user_data;
  EaselSessionTurn *selected = gtk_single_selection_get_selected_item (self->selection);
  EaselSessionTurn *shown = easel_session_turn_find_image_turn (selected);
  EaselMask *mask = easel_canvas_get_mask (self->canvas);
  g_autofree char *target = NULL;

  self->target_idle = 0;
  if (shown != NULL)
    {
      guint n = g_list_model_get_n_items (G_LIST_MODEL (self->conversation));
      g_autofree char *action = NULL;
      guint number = 0;

      for (guint i = 0; i < n && number == 0; i++)
        {
          g_autoptr(EaselSessionTurn) turn = g_list_model_get_item (G_LIST_MODEL (self->conversation), i);

          if (turn == shown)
            number = i + 1;
        }
      if (self->params != NULL)
        g_object_get (self->params, "action", &action, NULL);

      if (mask != NULL && easel_canvas_has_mask_selection (self->canvas))
        /* Translators: what Send will do; the first number is the turn,
         * the second how much of its image the mask covers. */
        target = g_strdup_printf (_("Edit turn %u · mask %.0f\u00a0%%"), number, mask_percent (mask));
      else if (self->params != NULL && easel_params_is_images_api (self->params) &&
               g_strcmp0 (action, "edit") == 0 &&
               easel_composer_get_attachments (self->composer)->len == 0)
        /* Translators: what Send will do: an edit of turn %u's image. */
        target = g_strdup_printf (_("Edit turn %u"), number);
    }
  if (target == NULL && self->editing)
    target = g_strdup (_("Editing a sent prompt · Escape cancels"));
  else if (target == NULL && mask != NULL && easel_canvas_has_mask_selection (self->canvas) &&
           _easel_window_preview_get_bytes (self, NULL) != NULL)
    /* Translators: what Send will do; how much of the attached image the mask covers. */
    target = g_strdup_printf (_("Edit the attached image · mask %.0f\u00a0%%"), mask_percent (mask));
  g_object_set (self->composer, "target", target, NULL);
  return G_SOURCE_REMOVE;
}

void
_easel_window_queue_send_target (EaselWindow *self)
{
  /* Painting changes the mask many times a second: count it once. */
  if (self->target_idle == 0)
    self->target_idle = g_timeout_add_full (G_PRIORITY_LOW, 100, update_send_target, self, NULL);
}

void
_easel_window_end_edit (EaselWindow *self)
{
  if (!self->editing)
    return;
  self->editing = FALSE;
  g_weak_ref_set (&self->edit_return_head, NULL);
  _easel_window_update_actions (self);
  _easel_window_queue_send_target (self);
}

static void
canvas_mask_cb (EaselWindow *self)
{
  g_signal_group_set_target (self->mask_signals, easel_canvas_get_mask (self->canvas));
  _easel_window_queue_send_target (self);
}

static void
selection_changed_cb (EaselWindow *self)
{
  EaselSessionTurn *turn = gtk_single_selection_get_selected_item (self->selection);

  g_signal_group_set_target (self->selected_signals, turn);
  sync_canvas_texture (self);
  update_canvas_state (self);
  _easel_window_trim_images (self);
  _easel_window_queue_send_target (self);
}

/* The newest turn grows while it runs (partials, the final image, text):
 * keep it in view, as chat apps do, rather than only scrolling when it
 * was added. */
static void
follow_newest_turn (EaselWindow *self)
{
  guint n = self->conversation ? g_list_model_get_n_items (G_LIST_MODEL (self->conversation)) : 0;

  if (n > 0 && gtk_single_selection_get_selected (self->selection) == n - 1)
    gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", n - 1);
}

static void
conversation_items_changed_cb (EaselWindow *self,
                               guint        position,
                               guint        removed,
                               guint        added,
                               GListModel  *model)
{
  guint n = g_list_model_get_n_items (model);

  gtk_widget_set_visible (self->empty_conversation, n == 0);
  /* The first turn takes the canvas from the attached image. */
  _easel_window_preview_sync (self);
  /* Follow the newest turn: that is the one being drawn. */
  if (added > 0 && n > 0)
    {
      gtk_single_selection_set_selected (self->selection, n - 1);
      gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", n - 1);
    }
}

/* AdwFlap folds while it is being allocated. Showing the header's toggle
 * right then resizes the already allocated header bar in the middle of the
 * frame (GTK 4.8: "Trying to snapshot AdwHeaderBar without a current
 * allocation"), so the toggle follows on the next idle instead. */
static gboolean
sync_flap_toggle (gpointer user_data)
{
  EaselWindow *self = user_data;
  GObject *toggle = gtk_widget_get_template_child (GTK_WIDGET (self), EASEL_TYPE_WINDOW, "flap_toggle");

  if (toggle != NULL && self->flap != NULL)
    gtk_widget_set_visible (GTK_WIDGET (toggle), adw_flap_get_folded (self->flap));
  return G_SOURCE_REMOVE;
}

static void
flap_folded_cb (EaselWindow *self)
{
  /* High: a focused text view repaints every frame while its cursor blinks
   * (~10 s), and a default-priority idle waits all that time. */
  g_idle_add_full (G_PRIORITY_HIGH_IDLE, sync_flap_toggle, g_object_ref (self), g_object_unref);
}

static void
update_key_state (EaselWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
  const char *error = NULL;
  gboolean has_key = easel_client_has_api_key (self->client);

  /* A window made without the application (tests) follows its client. */
  if (EASEL_IS_APPLICATION (app))
    {
      EaselAccount *account = easel_application_get_account (EASEL_APPLICATION (app));

      error = easel_account_get_key_error (account);
      /* Until the keyring answered, do not flash the welcome page. */
      has_key = !easel_account_get_checked (account) || easel_account_get_has_key (account);
    }

  /* The key may come after the library: fetch earlier turns then. */
  if (self->recover_pending && easel_client_has_api_key (self->client))
    _easel_window_recover_pending (self);

  gtk_stack_set_visible_child_name (self->studio_stack, has_key ? "studio" : "welcome");
  gtk_label_set_label (self->welcome_detail, error ? error : "");
  gtk_widget_set_visible (GTK_WIDGET (self->welcome_detail), error != NULL);
}

/* On the studio a toast sits over the canvas, lifted above its toolbar
 * (style.css), so it never hides the composer's Send or Cancel. The gallery,
 * the welcome page and a folded flap (which covers the canvas) keep the
 * window-wide overlay. Takes @toast. */
void
_easel_window_add_toast (EaselWindow *self,
                         AdwToast    *toast)
{
  AdwToastOverlay *overlay = self->toast_overlay;

  if (g_strcmp0 (adw_view_stack_get_visible_child_name (self->view_stack), "studio") == 0 &&
      g_strcmp0 (gtk_stack_get_visible_child_name (self->studio_stack), "studio") == 0 &&
      !adw_flap_get_folded (self->flap))
    overlay = self->canvas_toast_overlay;
  adw_toast_overlay_add_toast (overlay, toast);
}

void
easel_window_toast (EaselWindow *self,
                    const char  *message)
{
  g_return_if_fail (EASEL_IS_WINDOW (self));
  _easel_window_add_toast (self, easel_toast_new_for_text (message));
}

static void
toast_cb (EaselWindow *self,
          const char  *message)
{
  easel_window_toast (self, message);
}

void
_easel_window_set_conversation (EaselWindow  *self,
                                EaselSession *conversation)
{
  if (!g_set_object (&self->conversation, conversation))
    return;
  /* Another conversation starts clean: no mask painted on another image
   * (not even in its undo history), no drift report about it, and so no
   * masked edit of it for the next Send. */
  easel_canvas_reset_mask (self->canvas);
  easel_canvas_reset_guard (self->canvas);
  g_weak_ref_set (&self->guard_turn, NULL);
  _easel_window_end_edit (self);
  if (self->settings != NULL)
    g_settings_bind (self->settings, "moderation-check", conversation, "moderation-check", G_SETTINGS_BIND_GET);
  _easel_window_library_attach (self, conversation);
  gtk_single_selection_set_model (self->selection, G_LIST_MODEL (conversation));
  /* A restored conversation opens on its head, the turn the next send
   * continues from, not on its first turn. */
  if (g_list_model_get_n_items (G_LIST_MODEL (conversation)) > 0)
    {
      guint last = g_list_model_get_n_items (G_LIST_MODEL (conversation)) - 1;

      gtk_single_selection_set_selected (self->selection, last);
      gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", last);
    }
  g_signal_group_set_target (self->conversation_signals, conversation);
  g_binding_group_set_source (self->conversation_bindings, conversation);
  gtk_widget_set_visible (self->empty_conversation,
                          g_list_model_get_n_items (G_LIST_MODEL (conversation)) == 0);
  selection_changed_cb (self);
  _easel_window_update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONVERSATION]);
}

void
_easel_window_new_conversation (EaselWindow *self)
{
  g_autoptr(EaselSession) conversation = easel_session_new ();

  if (self->conversation)
    easel_session_cancel (self->conversation);
  /* It starts clean (_easel_window_set_conversation). */
  _easel_window_set_conversation (self, conversation);
}

static void
easel_window_constructed (GObject *object)
{
  EaselWindow *self = (EaselWindow *)object;

  G_OBJECT_CLASS (easel_window_parent_class)->constructed (object);

  if (self->client == NULL)
    self->client = easel_client_new (EASEL_DEFAULT_BASE_URL, NULL);

  self->params = easel_params_new (self->settings);
  easel_composer_set_params (self->composer, self->params);
  g_signal_connect_object (self->params, "changed", G_CALLBACK (_easel_window_queue_send_target), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (easel_composer_get_thumbnails (self->composer), "items-changed",
                           G_CALLBACK (_easel_window_queue_send_target), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (easel_composer_get_thumbnails (self->composer), "items-changed",
                           G_CALLBACK (_easel_window_preview_sync), self, G_CONNECT_SWAPPED);

  if (self->settings)
    {
      g_settings_bind (self->settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (self->settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (self->settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (self->settings, "send-with-ctrl-enter", self->composer, "send-with-ctrl-enter",
                       G_SETTINGS_BIND_GET);
    }

  _easel_window_batches_init (self);
  _easel_window_notify_init (self);
  _easel_window_new_conversation (self);
  /* A window made without the application (tests) still follows its
   * library; easel_window_new() says whether to reopen the last
   * conversation. */
  _easel_window_library_follow (self, FALSE);
  _easel_window_compare_init (self);
  update_key_state (self);
  easel_composer_focus (self->composer);
}

static void
easel_window_dispose (GObject *object)
{
  EaselWindow *self = (EaselWindow *)object;

  g_cancellable_cancel (self->cancellable);
  if (self->conversation)
    easel_session_cancel (self->conversation);
  _easel_window_preview_dispose (self);

  gtk_widget_dispose_template (GTK_WIDGET (self), EASEL_TYPE_WINDOW);
  g_clear_object (&self->selected_signals);
  g_clear_object (&self->image_signals);
  g_clear_object (&self->mask_signals);
  g_clear_handle_id (&self->target_idle, g_source_remove);
  g_clear_object (&self->conversation_signals);
  g_clear_object (&self->conversation_bindings);
  g_clear_object (&self->selection);
  g_clear_object (&self->conversation);
  g_clear_object (&self->params);
  g_clear_object (&self->client);
  g_clear_object (&self->library);
  g_clear_object (&self->batches);
  g_clear_pointer (&self->files_to_open, g_ptr_array_unref);
  g_clear_pointer (&self->gallery_search, g_free);
  g_weak_ref_set (&self->guard_turn, NULL);
  g_weak_ref_set (&self->edit_return_head, NULL);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (easel_window_parent_class)->dispose (object);
}

static void
easel_window_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  EaselWindow *self = EASEL_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CLIENT: g_value_set_object (value, self->client); break;
    case PROP_LIBRARY: g_value_set_object (value, self->library); break;
    case PROP_BATCHES: g_value_set_object (value, self->batches); break;
    case PROP_SETTINGS: g_value_set_object (value, self->settings); break;
    case PROP_CONVERSATION: g_value_set_object (value, self->conversation); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_window_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  EaselWindow *self = EASEL_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CLIENT: self->client = g_value_dup_object (value); break;
    case PROP_LIBRARY: self->library = g_value_dup_object (value); break;
    case PROP_BATCHES: self->batches = g_value_dup_object (value); break;
    case PROP_SETTINGS: self->settings = g_value_dup_object (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_window_class_init (EaselWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = easel_window_constructed;
  object_class->dispose = easel_window_dispose;
  object_class->get_property = easel_window_get_property;
  object_class->set_property = easel_window_set_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, EASEL_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LIBRARY] =
    g_param_spec_object ("library", NULL, NULL, EASEL_TYPE_LIBRARY,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BATCHES] =
    g_param_spec_object ("batches", NULL, NULL, EASEL_TYPE_BATCH_LIST,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONVERSATION] =
    g_param_spec_object ("conversation", NULL, NULL, EASEL_TYPE_SESSION,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (EASEL_TYPE_CANVAS);
  g_type_ensure (EASEL_TYPE_COMPOSER);
  g_type_ensure (EASEL_TYPE_TURN_ROW);
  g_type_ensure (EASEL_TYPE_SESSION_TURN);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/ui/easel-window.ui");
  gtk_widget_class_bind_template_child (widget_class, EaselWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, EaselWindow, canvas_toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, EaselWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, EaselWindow, studio_stack);
  gtk_widget_class_bind_template_child (widget_class, EaselWindow, flap);
  gtk_widget_class_bind_template_child_full (widget_class, "flap_toggle", FALSE, 0);
  gtk_widget_class_bind_template_child (widget_class, EaselWindow, list_view);
  gtk_widget_class_bind_template_child (widget_class, EaselWindow, empty_conversation);
  gtk_widget_class_bind_template_child (widget_class, EaselWindow, composer);
  gtk_widget_class_bind_template_child (widget_class, EaselWindow, canvas);
  gtk_widget_class_bind_template_child (widget_class, EaselWindow, gallery_bin);
  gtk_widget_class_bind_template_child (widget_class, EaselWindow, spending_page);
  gtk_widget_class_bind_template_child (widget_class, EaselWindow, spending_bin);
  gtk_widget_class_bind_template_child (widget_class, EaselWindow, compare_bin);
  gtk_widget_class_bind_template_child (widget_class, EaselWindow, batches_bin);
  gtk_widget_class_bind_template_child (widget_class, EaselWindow, welcome_page);
  gtk_widget_class_bind_template_child (widget_class, EaselWindow, welcome_detail);
  gtk_widget_class_bind_template_child (widget_class, EaselWindow, screenshot_button);
  gtk_widget_class_bind_template_callback (widget_class, toast_cb);

  _easel_window_class_init_actions (widget_class);
  _easel_window_class_init_batches (widget_class);
  _easel_window_screenshot_class_init (widget_class);
}

static void
easel_window_init (EaselWindow *self)
{
  self->cancellable = g_cancellable_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect_object (self->flap, "notify::folded", G_CALLBACK (flap_folded_cb), self, G_CONNECT_SWAPPED);

  self->selection = gtk_single_selection_new (NULL);
  gtk_single_selection_set_autoselect (self->selection, TRUE);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect_object (self->selection, "notify::selected-item",
                           G_CALLBACK (selection_changed_cb), self, G_CONNECT_SWAPPED);

  self->mask_signals = g_signal_group_new (EASEL_TYPE_MASK);
  g_signal_group_connect_swapped (self->mask_signals, "changed", G_CALLBACK (_easel_window_queue_send_target), self);
  g_signal_connect_object (self->canvas, "notify::mask", G_CALLBACK (canvas_mask_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->canvas, "notify::has-selection", G_CALLBACK (_easel_window_queue_send_target), self,
                           G_CONNECT_SWAPPED);

  self->image_signals = g_signal_group_new (EASEL_TYPE_SESSION_TURN);
  g_signal_group_connect_swapped (self->image_signals, "notify::texture", G_CALLBACK (sync_canvas_texture), self);
  self->selected_signals = g_signal_group_new (EASEL_TYPE_SESSION_TURN);
  g_signal_group_connect_swapped (self->selected_signals, "notify::texture", G_CALLBACK (sync_canvas_texture), self);
  g_signal_group_connect_swapped (self->selected_signals, "notify::state", G_CALLBACK (update_canvas_state), self);
  g_signal_group_connect_swapped (self->selected_signals, "notify::is-partial", G_CALLBACK (update_canvas_state), self);
  g_signal_group_connect_swapped (self->selected_signals, "notify::texture", G_CALLBACK (follow_newest_turn), self);
  g_signal_group_connect_swapped (self->selected_signals, "notify::state", G_CALLBACK (follow_newest_turn), self);

  self->conversation_bindings = g_binding_group_new ();
  g_binding_group_bind (self->conversation_bindings, "busy", self->composer, "busy", G_BINDING_SYNC_CREATE);
  g_binding_group_bind (self->conversation_bindings, "status", self->composer, "status", G_BINDING_SYNC_CREATE);
  self->conversation_signals = g_signal_group_new (EASEL_TYPE_SESSION);
  g_signal_group_connect_swapped (self->conversation_signals, "items-changed",
                                  G_CALLBACK (conversation_items_changed_cb), self);
  g_signal_group_connect_swapped (self->conversation_signals, "turn-finished",
                                  G_CALLBACK (_easel_window_turn_finished), self);
  g_signal_group_connect_swapped (self->conversation_signals, "notify::busy",
                                  G_CALLBACK (_easel_window_update_actions), self);
  easel_canvas_studio_connect (self);
  _easel_window_library_init (self);
  _easel_window_screenshot_init (self);

  if (g_strcmp0 (PROFILE, "development") == 0)
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
}

EaselWindow *
easel_window_new (EaselApplication *app)
{
  EaselWindow *self;
  EaselAccount *account;

  g_return_val_if_fail (EASEL_IS_APPLICATION (app), NULL);

  /* "application" is not a construct property of GtkWindow, so everything
   * constructed() needs is passed explicitly. */
  self = g_object_new (EASEL_TYPE_WINDOW,
                       "application", app,
                       "client", easel_application_get_client (app),
                       "settings", easel_application_get_settings (app),
                       "library", easel_application_get_library (app),
                       "batches", easel_application_get_batches (app),
                       NULL);
  /* The library opens in its worker: the gallery waits for it, one that
   * could not be opened gets its error page and a way out, and only the
   * first window reopens the last conversation (a New Window starts empty). */
  self->restore_last = g_list_length (gtk_application_get_windows (GTK_APPLICATION (app))) <= 1;
  self->recover_pending = self->restore_last;
  if (self->restore_last)
    _easel_window_library_restore_last (self);
  account = easel_application_get_account (app);
  g_signal_connect_object (account, "notify::checked", G_CALLBACK (update_key_state), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (account, "notify::has-key", G_CALLBACK (update_key_state), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (account, "notify::key-error", G_CALLBACK (update_key_state), self, G_CONNECT_SWAPPED);
  update_key_state (self);
  return self;
}

EaselSession *
easel_window_get_conversation (EaselWindow *self)
{
  g_return_val_if_fail (EASEL_IS_WINDOW (self), NULL);
  return self->conversation;
}

GtkWidget *
easel_window_get_gallery (EaselWindow *self)
{
  g_return_val_if_fail (EASEL_IS_WINDOW (self), NULL);
  return self->gallery;
}

EaselCanvas *
easel_window_get_canvas (EaselWindow *self)
{
  g_return_val_if_fail (EASEL_IS_WINDOW (self), NULL);
  return self->canvas;
}

EaselComposer *
easel_window_get_composer (EaselWindow *self)
{
  g_return_val_if_fail (EASEL_IS_WINDOW (self), NULL);
  return self->composer;
}

EaselClient *
easel_window_get_client (EaselWindow *self)
{
  g_return_val_if_fail (EASEL_IS_WINDOW (self), NULL);
  return self->client;
}
