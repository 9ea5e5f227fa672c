/* easel-turn-row.h: one turn in the conversation pane
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>
#include "easel-session-turn.h"

G_BEGIN_DECLS

#define EASEL_TYPE_TURN_ROW (easel_turn_row_get_type ())
G_DECLARE_FINAL_TYPE (EaselTurnRow, easel_turn_row, EASEL, TURN_ROW, GtkWidget)

/* Property "item" (EaselSessionTurn). The row's buttons activate win.continue-from,
 * win.retry-turn, win.switch-branch, win.pick-candidate and
 * win.show-key-preferences with the turn's id. */
GtkWidget *easel_turn_row_new      (void);
EaselSessionTurn *easel_turn_row_get_item (EaselTurnRow *self);
void       easel_turn_row_set_item (EaselTurnRow *self, EaselSessionTurn *item);

G_END_DECLS
