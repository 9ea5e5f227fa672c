/* easel-canvas-studio.h: how the studio window sends masked edits and keeps the mask guard's results
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "easel-window.h"

G_BEGIN_DECLS

/* Called by the window's Send with the request it built for @turn. When the
 * canvas has a mask selection and @head an image, this takes over: the
 * request (stolen from *@request) becomes a masked edit of the canvas image
 * (validated, uploaded if large) and is sent once ready; errors are shown
 * as toasts and the prompt stays in the composer. Returns FALSE, changing
 * nothing, for an ordinary send. */
gboolean easel_canvas_studio_send          (EaselWindow      *window,
                                            EaselSessionTurn *head,
                                            EaselSessionTurn *turn,
                                            EaselRequest    **request);
/* Called when a turn finished: a masked edit's result goes through the
 * mask guard (drift report on the canvas). */
void     easel_canvas_studio_turn_finished (EaselWindow      *window,
                                            EaselSessionTurn *turn);
/* Connects the canvas's toasts and "restored" (saved to the library as a
 * new generation whose parent is the model's output). Call once. */
void     easel_canvas_studio_connect       (EaselWindow      *window);

G_END_DECLS
