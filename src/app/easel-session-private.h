/* easel-session-private.h: shared between easel-session*.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "easel-session.h"

G_BEGIN_DECLS

/* easel-session.c */
EaselLibrary *_easel_session_peek_library          (EaselSession     *self);
void          _easel_session_take_library          (EaselSession     *self,
                                                    EaselLibrary     *library);
/* @which 0: "turn-stored" (@turn); 1: "library-error" (@message). */
void          _easel_session_emit_library_signal   (EaselSession     *self,
                                                    guint             which,
                                                    EaselSessionTurn *turn,
                                                    const char       *message);

/* easel-session-library.c */
void          _easel_session_library_turns_added   (GListModel       *all_turns,
                                                    guint             position,
                                                    guint             removed,
                                                    guint             added,
                                                    EaselSession     *self);
void          _easel_session_library_turn_finished (EaselSession     *self,
                                                    EaselSessionTurn *turn);
/* Lists (@request set) or unlists (@request NULL) a background response as
 * still in progress, so that `easel chat` or `easel resume` can fetch it if
 * the app dies before it finishes. */
void          _easel_session_library_set_pending   (EaselSession       *self,
                                                    const char         *response_id,
                                                    const char         *base_url,
                                                    const EaselRequest *request);

G_END_DECLS
