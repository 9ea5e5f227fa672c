/* easel-window-private.h: shared between easel-window*.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "easel-batch-list.h"
#include "easel-params.h"
#include "easel-window.h"

G_BEGIN_DECLS

struct _EaselWindow
{
  AdwApplicationWindow parent_instance;

  EaselClient *client;
  EaselLibrary *library;     /* the application's: the window never writes the store */
  EaselBatchList *batches;   /* the application's (a window made without one makes its own) */
  GSettings *settings;
  EaselParams *params;
  EaselSession *conversation;
  GSignalGroup *conversation_signals;
  GBindingGroup *conversation_bindings;
  GSignalGroup *selected_signals;
  GSignalGroup *image_signals;
  GSignalGroup *mask_signals;    /* the canvas's mask: what Send will do follows it */
  guint target_idle;   /* the ancestor whose image a frameless turn shows */
  GtkSingleSelection *selection;
  gboolean restore_last;     /* reopen the newest conversation once the store is up */
  gboolean recover_pending;  /* fetch turns an earlier run left in progress (first window) */
  gboolean pending_recovered;
  gboolean files_opened;     /* Open With started something: no restore over it */
  GPtrArray *files_to_open;  /* GFile, opened once the library is up */
  char *gallery_search;      /* a Shell search for the gallery it has yet to make */
  gboolean notified;         /* a notification of ours may be up (easel-window-notify.c) */
  GCancellable *cancellable;
  GWeakRef guard_turn;       /* the masked edit whose output the mask guard checked */
  gboolean budget_approved;  /* the next win.send skips the budget check (easel-window-budget.c) */
  gboolean budget_pending;   /* a budget check is reading the spend */
  /* Edit and Send Again in progress: the head to go back to when the edit
   * is cancelled (Escape), or NULL; the composer's footer says so. */
  gboolean editing;
  GWeakRef edit_return_head;
  /* the single attachment, shown on the canvas before the first turn
   * (easel-window-preview.c) */
  GBytes *preview_bytes;
  char *preview_mime;
  GdkTexture *preview_texture;
  GCancellable *preview_cancellable;

  /* template */
  AdwToastOverlay *toast_overlay;
  AdwToastOverlay *canvas_toast_overlay;
  AdwViewStack *view_stack;
  GtkStack *studio_stack;
  AdwFlap *flap;
  GtkListView *list_view;
  GtkWidget *empty_conversation;
  EaselComposer *composer;
  EaselCanvas *canvas;
  AdwBin *gallery_bin;
  AdwBin *batches_bin;
  GtkWidget *batches_page;
  GtkWidget *gallery;
  AdwViewStackPage *spending_page;
  AdwBin *spending_bin;
  GtkWidget *spending_view;   /* follows an EaselSpending over the library */
  AdwBin *compare_bin;
  GtkWidget *compare_page;
  AdwStatusPage *welcome_page;
  GtkLabel *welcome_detail;
  GtkWidget *screenshot_button;
};

void _easel_window_class_init_actions (GtkWidgetClass *widget_class);
void _easel_window_update_actions     (EaselWindow *self);
void _easel_window_add_toast          (EaselWindow *self, AdwToast *toast);
void _easel_window_turn_finished      (EaselWindow *self, EaselSessionTurn *turn);
void _easel_window_new_conversation   (EaselWindow *self);
void _easel_window_connect_gallery    (EaselWindow *self);
void _easel_window_set_conversation   (EaselWindow *self, EaselSession *conversation);
/* The composer's footer says again what Send will do (on the next idle). */
void _easel_window_queue_send_target  (EaselWindow *self);
/* An Edit and Send Again is over: sent, cancelled or left behind. */
void _easel_window_end_edit           (EaselWindow *self);
/* Lets turns off the canvas fall back to thumbnails. */
void _easel_window_trim_images        (EaselWindow *self);

/* easel-window-preview.c: follows the composer's attachments and the
 * conversation; the attached image's bytes while the canvas shows it. */
void    _easel_window_preview_sync      (EaselWindow *self);
GBytes *_easel_window_preview_get_bytes (EaselWindow *self, const char **mime_type);
void    _easel_window_preview_dispose   (EaselWindow *self);

/* easel-window-budget.c: TRUE to send @request now; FALSE when a budget
 * check or its dialog will run win.send again once the user agrees. */
gboolean _easel_window_budget_approved (EaselWindow *self, const EaselRequest *request);

/* easel-window-library.c */
void     _easel_window_library_init             (EaselWindow *self);
void     _easel_window_library_attach           (EaselWindow *self, EaselSession *conversation);
gboolean _easel_window_library_handle_forgotten (EaselWindow *self, EaselSessionTurn *turn);
/* Follows the library's state: loading page, gallery, pending turns, and
 * (when @restore_last) the conversation the user left. */
void     _easel_window_library_follow           (EaselWindow *self, gboolean restore_last);
gboolean _easel_window_library_ready            (EaselWindow *self);
/* Reopens the most recently updated conversation (quit and reopen). */
void     _easel_window_library_restore_last     (EaselWindow *self);

/* easel-window-compare.c: the Compare page; a clicked cell continues in
 * the studio from its image, with its model and quality. */
void     _easel_window_compare_init             (EaselWindow *self);
/* easel-window-notify.c: a GNotification when @turn finished while the
 * window was not focused; its "Open" brings the conversation back up. */
void     _easel_window_notify_turn              (EaselWindow *self, EaselSessionTurn *turn);
/* Withdraws it once the user is back in the window. */
void     _easel_window_notify_init              (EaselWindow *self);

/* easel-window-screenshot.c: win.new-from-screenshot, on while the
 * screenshot portal answers. */
void     _easel_window_screenshot_class_init    (GtkWidgetClass *widget_class);
void     _easel_window_screenshot_init          (EaselWindow *self);

/* easel-window-recover.c: once the library is ready and a key is set,
 * fetches the images of turns an earlier run left in progress on the
 * server; a toast says how many. Runs once per window. */
void     _easel_window_recover_pending          (EaselWindow *self);

/* easel-window-batches.c: the Batches place, "New Batch…" (win.new-batch),
 * and the gallery's filter by job. */
void     _easel_window_class_init_batches       (GtkWidgetClass *widget_class);
void     _easel_window_batches_init             (EaselWindow *self);

G_END_DECLS
