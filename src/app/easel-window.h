/* easel-window.h: the studio window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>
#include "easel-application.h"
#include "easel-canvas.h"
#include "easel-composer.h"
#include "easel-session.h"

G_BEGIN_DECLS

#define EASEL_TYPE_WINDOW (easel_window_get_type ())
G_DECLARE_FINAL_TYPE (EaselWindow, easel_window, EASEL, WINDOW, AdwApplicationWindow)

/* Construct properties: "client" (EaselClient), "store" (EaselStore or
 * NULL), "settings" (GSettings or NULL). easel_window_new takes them from
 * the application; tests pass their own. */
EaselWindow       *easel_window_new              (EaselApplication *app);
EaselSession *easel_window_get_conversation (EaselWindow *self);
EaselCanvas       *easel_window_get_canvas       (EaselWindow *self);
EaselComposer     *easel_window_get_composer     (EaselWindow *self);
EaselClient       *easel_window_get_client       (EaselWindow *self);
void               easel_window_toast            (EaselWindow *self, const char *message);

/* The library (easel-window-library.c). */
/* Loads the stored conversation's turns (every branch) into a new session
 * with @turn_id (0 = the newest turn) as the head, and shows the studio. */
void               easel_window_continue_conversation (EaselWindow *self,
                                                       gint64       conversation_id,
                                                       gint64       turn_id);
/* What a file dropped on the window does: an Easel PNG restores its
 * conversation (then continues it), any other image becomes an input. */
void               easel_window_import_file      (EaselWindow *self, GFile *file);
/* Open With: starts a new conversation with the images attached (an Easel
 * PNG resumes its conversation instead); waits for the library if it is
 * still opening, and wins over reopening the last conversation. */
void               easel_window_open_files       (EaselWindow *self, GFile **files, int n_files);
/* GNOME Shell's search: the gallery with one generation in its details
 * pane (read from the library's worker), or with @text searched. */
void               easel_window_show_generation  (EaselWindow *self, gint64 generation_id);
void               easel_window_search_gallery   (EaselWindow *self, const char *text);
/* A notification's "Open": shows the turn (EaselSessionTurn id) in the
 * studio; FALSE when this window's conversation no longer has it. */
gboolean           easel_window_show_turn        (EaselWindow *self, const char *turn_id);
/* The gallery widget (EaselGallery, or a placeholder without one). */
GtkWidget         *easel_window_get_gallery      (EaselWindow *self);
/* The Compare page (EaselComparePage). */
GtkWidget         *easel_window_get_compare_page (EaselWindow *self);

/* Shows the Batches place (a notification's default action). */
void               easel_window_show_batches        (EaselWindow *self);

G_END_DECLS
