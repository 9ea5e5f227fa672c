/* test-narrow.c: every view of the studio at 360 × 640, the size of a
 * phone held upright: nothing the user needs is cut off or pushed out of
 * the window, and the canvas toolbar folds its tools into a menu
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-narrow"

#include "config.h"

#include <adwaita.h>

#include "easel-canvas.h"
#include "easel-canvas-toolbar.h"
#include "easel-composer.h"
#include "easel-batch-dialog.h"
#include "easel-batch-list.h"
#include "easel-compare-page.h"
#include "easel-gallery.h"
#include "easel-gallery-model.h"
#include "easel-gallery-private.h"
#include "easel-session.h"
#include "easel-window.h"
#include "easel-window-private.h"
#include "fake-server.h"
#include "gui-test-util.h"
#include "gui-test-widgets.h"

#define PHONE_WIDTH  360
#define PHONE_HEIGHT 640

typedef struct
{
  EaselTestBackend  b;       /* server, client, library */
  EaselWindow     *window;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  easel_test_backend_open (&f->b, "narrow", 10, 64);

  f->window = g_object_new (EASEL_TYPE_WINDOW, "client", f->b.client, "library", f->b.library, NULL);
  gtk_window_present (GTK_WINDOW (f->window));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  easel_test_spin_ms (20);
  easel_test_backend_close (&f->b);
}

/* Lists the widgets that ask for more than @limit pixels of width: the
 * message names the ones to fold when the assertion below fails. */
static guint
report_wide (GtkWidget *widget,
             int        limit,
             int        depth)
{
  guint n = 0;
  int min = 0;

  if (!gtk_widget_get_visible (widget))
    return 0;
  gtk_widget_measure (widget, GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
  if (min <= limit)
    return 0;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    n += report_wide (child, limit, depth + 1);
  if (n == 0)
    {
      g_autoptr(GString) path = g_string_new (NULL);

      for (GtkWidget *w = widget; w != NULL; w = gtk_widget_get_parent (w))
        g_string_prepend (path, G_OBJECT_TYPE_NAME (w)), g_string_prepend (path, " / ");
      g_test_message ("%s asks for %d px", path->str, min);
    }
  return n + 1;
}

/* Every control on show lies across the window's width, with room for its
 * own minimum width: nothing hangs off an edge for a sideways scroll to
 * find (lists scroll down, which is fine). Returns the number checked. */
static guint
assert_controls_inside (GtkWidget *root,
                        GtkWidget *widget,
                        int        width)
{
  guint n = 0;

  if (!gtk_widget_get_mapped (widget))
    return 0;
  if (GTK_IS_BUTTON (widget) || GTK_IS_MENU_BUTTON (widget) || GTK_IS_DROP_DOWN (widget) ||
      GTK_IS_EDITABLE (widget) || GTK_IS_TEXT_VIEW (widget))
    {
      graphene_rect_t bounds;
      int min = 0;

      g_assert_true (gtk_widget_compute_bounds (widget, root, &bounds));
      gtk_widget_measure (widget, GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
      if (bounds.origin.x < 0 || bounds.origin.x + bounds.size.width > width + 0.5 ||
          bounds.size.width + 0.5 < min)
        g_error ("%s “%s” is cut off: x %.0f, width %.0f (needs %d) in a %d px window",
                 G_OBJECT_TYPE_NAME (widget),
                 gtk_widget_get_tooltip_text (widget) ? gtk_widget_get_tooltip_text (widget) : "",
                 bounds.origin.x, bounds.size.width, min, width);
      n++;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    n += assert_controls_inside (root, child, width);
  return n;
}

/* The window itself can be that narrow, and the page on show fits it. */
static void
assert_fits (Fixture    *f,
             const char *what)
{
  GtkWidget *window = GTK_WIDGET (f->window);
  GtkWidget *content = adw_application_window_get_content (ADW_APPLICATION_WINDOW (f->window));
  int min = 0;
  guint n;

  easel_test_spin_ms (200);
  /* The content: the window adds its decorations around it. */
  gtk_widget_measure (content, GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
  g_test_message ("%s: the content asks for %d px and is %d px wide", what, min, gtk_widget_get_width (content));
  if (min > PHONE_WIDTH)
    report_wide (window, PHONE_WIDTH, 0);
  g_assert_cmpint (min, <=, PHONE_WIDTH);
  g_assert_cmpint (gtk_widget_get_width (content), <=, PHONE_WIDTH);
  n = assert_controls_inside (content, content, gtk_widget_get_width (content));
  g_test_message ("%s: %u controls inside", what, n);
  g_assert_cmpuint (n, >, 3);
}

static gboolean
head_done (Fixture *f)
{
  EaselSessionTurn *turn = easel_session_get_head (easel_window_get_conversation (f->window));

  return turn != NULL && easel_session_turn_is_finished (turn) &&
         easel_session_turn_get_texture (turn) != NULL && !easel_session_turn_get_is_partial (turn);
}

static gboolean
toolbar_shown (Fixture *f)
{
  GObject *toolbar = gtk_widget_get_template_child (GTK_WIDGET (easel_window_get_canvas (f->window)),
                                                    EASEL_TYPE_CANVAS, "toolbar");

  return gtk_widget_get_mapped (GTK_WIDGET (toolbar));
}

static GtkWidget *
toolbar_child (Fixture    *f,
               const char *id)
{
  GObject *toolbar = gtk_widget_get_template_child (GTK_WIDGET (easel_window_get_canvas (f->window)),
                                                    EASEL_TYPE_CANVAS, "toolbar");
  GObject *child = gtk_widget_get_template_child (GTK_WIDGET (toolbar), EASEL_TYPE_CANVAS_TOOLBAR, id);

  g_assert_nonnull (child);
  return GTK_WIDGET (child);
}

static gboolean
menu_has_action (GMenuModel *menu,
                 const char *action)
{
  for (int i = 0; i < g_menu_model_get_n_items (menu); i++)
    {
      g_autofree char *name = NULL;
      g_autoptr(GMenuModel) section = g_menu_model_get_item_link (menu, i, G_MENU_LINK_SECTION);

      if (section != NULL && menu_has_action (section, action))
        return TRUE;
      if (g_menu_model_get_item_attribute (menu, i, G_MENU_ATTRIBUTE_ACTION, "s", &name) &&
          g_strcmp0 (name, action) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
comparison_done (Fixture *f)
{
  EaselComparison *cmp = easel_compare_page_get_comparison (EASEL_COMPARE_PAGE (easel_window_get_compare_page (f->window)));

  return cmp != NULL && easel_comparison_get_n_cells (cmp) > 0 && !easel_comparison_get_running (cmp);
}

static GtkWindow *
batch_dialog (void)
{
  return easel_test_find_toplevel (EASEL_TYPE_BATCH_DIALOG);
}

static gboolean
batch_dialog_shown (Fixture *f)
{
  return batch_dialog () != NULL;
}

static gboolean
batch_dialog_ready (Fixture *f)
{
  GtkWindow *dialog = batch_dialog ();

  return dialog != NULL && easel_batch_dialog_get_n_valid (EASEL_BATCH_DIALOG (dialog)) == 2;
}

static gboolean
batch_listed (Fixture *f)
{
  return g_list_model_get_n_items (G_LIST_MODEL (f->window->batches)) == 1;
}

static gboolean
gallery_loaded (Fixture *f)
{
  EaselGallery *gallery = EASEL_GALLERY (easel_window_get_gallery (f->window));

  return g_list_model_get_n_items (G_LIST_MODEL (_easel_gallery_get_model (gallery))) >= 3;
}

/* What each place holds once used: a comparison, a batch job's row with
 * its costs, a generation's details. */
static void
fill_every_place (Fixture *f)
{
  const char *models[] = { "gpt-image-1.5", "gpt-image-1-mini", NULL };
  const char *qualities[] = { "low", NULL };
  EaselComparePage *compare = EASEL_COMPARE_PAGE (easel_window_get_compare_page (f->window));
  EaselGallery *gallery;
  g_autoptr(EaselGalleryItem) item = NULL;
  GtkWindow *dialog;

  easel_compare_page_set_prompt (compare, "a red fox in the snow");
  easel_compare_page_select (compare, models, qualities);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (compare), "compare.send", NULL));
  g_assert_true (wait_for (comparison_done, f, 20000));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.new-batch", NULL));
  g_assert_true (wait_for (batch_dialog_shown, f, 5000));
  dialog = batch_dialog ();
  g_assert_nonnull (dialog);
  easel_batch_dialog_set_text (EASEL_BATCH_DIALOG (dialog),
                               "a lighthouse in a storm at night with waves breaking on the rocks\n"
                               "a still life of lemons in a white bowl on a wooden table\n");
  g_assert_true (wait_for (batch_dialog_ready, f, 10000));
  /* The dialog fits a phone too. */
  {
    int min = 0;

    gtk_widget_measure (GTK_WIDGET (dialog), GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
    g_test_message ("New Batch… asks for %d px", min);
    if (min > PHONE_WIDTH)
      report_wide (GTK_WIDGET (dialog), PHONE_WIDTH, 0);
    g_assert_cmpint (min, <=, PHONE_WIDTH);
  }
  g_signal_emit_by_name (gtk_widget_get_template_child (GTK_WIDGET (dialog), EASEL_TYPE_BATCH_DIALOG, "submit_button"),
                         "clicked");
  g_assert_true (wait_for (batch_listed, f, 10000));

  gallery = EASEL_GALLERY (easel_window_get_gallery (f->window));
  g_assert_true (wait_for (gallery_loaded, f, 10000));
  item = g_list_model_get_item (G_LIST_MODEL (_easel_gallery_get_model (gallery)), 0);
  easel_gallery_show_generation (gallery, easel_gallery_item_get_generation (item));
}

static gboolean
drift_reported (Fixture *f)
{
  return *easel_canvas_get_drift_summary (easel_window_get_canvas (f->window)) != '\0';
}

static gboolean
flap_settled (Fixture *f)
{
  AdwFlap *flap = ADW_FLAP (gtk_widget_get_template_child (GTK_WIDGET (f->window), EASEL_TYPE_WINDOW, "flap"));
  double progress = adw_flap_get_reveal_progress (flap);

  return adw_flap_get_folded (flap) && progress == (adw_flap_get_reveal_flap (flap) ? 1.0 : 0.0);
}

static void
test_every_view (Fixture       *f,
                 gconstpointer  data)
{
  static const char *const views[] = { "gallery", "batches", "compare", "spending" };
  EaselComposer *composer = easel_window_get_composer (f->window);
  AdwSqueezer *squeezer;
  AdwFlap *gallery_flap;
  GMenuModel *more;
  GtkToggleButton *flap_toggle = GTK_TOGGLE_BUTTON (gtk_widget_get_template_child (GTK_WIDGET (f->window),
                                                                                   EASEL_TYPE_WINDOW, "flap_toggle"));

  /* An image on the canvas first: its toolbar is the widest thing there. */
  easel_composer_set_text (composer, "a lighthouse on a cliff");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.send", NULL));
  g_assert_true (wait_for (head_done, f, 20000));
  g_assert_true (wait_for (toolbar_shown, f, 5000));

  /* A masked edit: the mask guard's report sits over the canvas too. */
  easel_mask_fill_rect (easel_canvas_get_mask (easel_window_get_canvas (f->window)), 0, 0, 32, 32, FALSE);
  easel_composer_set_text (composer, "a red door");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.send", NULL));
  g_assert_true (wait_for (drift_reported, f, 20000));

  fill_every_place (f);
  adw_view_stack_set_visible_child_name (f->window->view_stack, "studio");

  /* Wide, the toolbar shows every tool. */
  squeezer = ADW_SQUEEZER (toolbar_child (f, "tail_squeezer"));
  g_assert_true (adw_squeezer_get_visible_child (squeezer) == toolbar_child (f, "wide_tail"));

  gtk_window_set_default_size (GTK_WINDOW (f->window), PHONE_WIDTH, PHONE_HEIGHT);
  easel_test_spin_ms (300);
  /* Names what keeps the window wide when the next step fails. */
  report_wide (adw_application_window_get_content (ADW_APPLICATION_WINDOW (f->window)), PHONE_WIDTH, 0);

  /* The studio with the conversation folded away: the canvas and its
   * toolbar, whose mask and view tools went into a menu. */
  gtk_toggle_button_set_active (flap_toggle, FALSE);
  g_assert_true (wait_for (flap_settled, f, 5000));
  assert_fits (f, "studio, canvas");
  g_assert_true (adw_squeezer_get_visible_child (squeezer) == toolbar_child (f, "narrow_tail"));
  g_assert_true (gtk_widget_get_mapped (toolbar_child (f, "more_button")));
  more = gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (toolbar_child (f, "more_button")));
  g_assert_true (menu_has_action (more, "canvas.invert"));
  g_assert_true (menu_has_action (more, "canvas.clear"));
  g_assert_true (menu_has_action (more, "canvas.redo"));
  g_assert_true (menu_has_action (more, "canvas.zoom-100"));

  /* The drift report's close button fits, and closes it. */
  g_assert_true (drift_reported (f));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (easel_window_get_canvas (f->window)),
                                             "canvas.dismiss-drift", NULL));
  g_assert_false (drift_reported (f));

  /* …and with the conversation over it: the composer's buttons fit. */
  gtk_toggle_button_set_active (flap_toggle, TRUE);
  g_assert_true (wait_for (flap_settled, f, 5000));
  assert_fits (f, "studio, conversation");
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (composer)));

  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    {
      adw_view_stack_set_visible_child_name (f->window->view_stack, views[i]);
      assert_fits (f, views[i]);
    }

  /* Wide again: the gallery's details stay closed with nothing selected
   * (AdwFlap opened them on its own when it unfolded)… */
  g_assert_true (gtk_widget_activate_action (easel_window_get_gallery (f->window), "gallery.close-details", NULL));
  easel_test_spin_ms (100);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1280, 820);
  adw_view_stack_set_visible_child_name (f->window->view_stack, "gallery");
  easel_test_spin_ms (300);
  gallery_flap = ADW_FLAP (gtk_widget_get_template_child (easel_window_get_gallery (f->window),
                                                          EASEL_TYPE_GALLERY, "flap"));
  g_assert_false (adw_flap_get_folded (gallery_flap));
  g_assert_false (adw_flap_get_reveal_flap (gallery_flap));

  /* …and the whole toolbar is back. */
  adw_view_stack_set_visible_child_name (f->window->view_stack, "studio");
  easel_test_spin_ms (300);
  g_assert_true (adw_squeezer_get_visible_child (squeezer) == toolbar_child (f, "wide_tail"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  if (!gtk_init_check ())
    {
      g_printerr ("No display: the narrow-window tests need Xvfb; skipping\n");
      return 77;
    }
  adw_init ();

  g_test_add ("/gui/narrow/every-view", Fixture, NULL,
              fixture_setup, test_every_view, fixture_teardown);

  return g_test_run ();
}
