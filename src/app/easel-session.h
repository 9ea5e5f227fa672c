/* easel-session.h: a tree of turns, the branch on show, and the running request
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include "easel-core.h"
#include "easel-session-turn.h"

G_BEGIN_DECLS

#define EASEL_TYPE_SESSION (easel_session_get_type ())
G_DECLARE_FINAL_TYPE (EaselSession, easel_session, EASEL, SESSION, GObject)

/* An EaselSession is a GListModel of the EaselTurns on the branch from
 * the first turn to the head. Every turn ever made stays in the tree.
 *
 * Properties: "head" (EaselSessionTurn: the next send continues from it), "busy",
 * "running-turn", "stage" (queued, generating, partial k/N, finishing…),
 * "status" (stage · elapsed · estimate, ticking while busy), "n-turns",
 * "moderation-check" (read-write: each send first asks the free moderation
 * endpoint; a flagged prompt fails its turn with EASEL_API_ERROR_MODERATION
 * and its categories, and nothing paid is sent or counted).
 * Signals: "turn-finished" (EaselSessionTurn *turn): done, failed, cancelled or
 * incomplete; "turn-partial" (EaselSessionTurn *turn, guint index): a partial frame
 * reached the turn's texture. */
EaselSession *easel_session_new          (void);
GListModel  *easel_session_get_all_turns      (EaselSession *self);
EaselSessionTurn   *easel_session_get_head           (EaselSession *self);
/* "Continue from here": the next send forks from @turn. NULL starts over. */
void         easel_session_set_head           (EaselSession *self,
                                                    EaselSessionTurn         *turn);
EaselSessionTurn   *easel_session_find_turn          (EaselSession *self,
                                                    const char        *turn_id);
/* Moves to the sibling branch @delta (-1, +1) away from @turn's, showing its
 * most recent leaf. */
void         easel_session_switch_branch      (EaselSession *self,
                                                    EaselSessionTurn         *turn,
                                                    int                delta);
/* Adds @turn as a child of the head and runs @request for it (transfer
 * full). A Responses request gets the head's response id as
 * previous_response_id. */
void         easel_session_send               (EaselSession *self,
                                                    EaselClient       *client,
                                                    EaselSessionTurn         *turn,
                                                    EaselRequest      *request);
/* Sends @turn's request again, as a new sibling of @turn. */
EaselSessionTurn   *easel_session_retry              (EaselSession *self,
                                                    EaselClient       *client,
                                                    EaselSessionTurn         *turn);
void         easel_session_cancel             (EaselSession *self);
gboolean     easel_session_get_busy           (EaselSession *self);
EaselSessionTurn   *easel_session_get_running_turn   (EaselSession *self);
const char  *easel_session_get_stage          (EaselSession *self);
const char  *easel_session_get_status         (EaselSession *self);
/* Adds an already finished turn (restoring from the library). */
void         easel_session_add_turn           (EaselSession *self,
                                                    EaselSessionTurn         *parent,
                                                    EaselSessionTurn         *turn);

/* Lets every finished, stored turn but @keep, the head and the running one
 * fall back to its thumbnail (see easel_session_turn_release_image()).
 * Returns how many turns let go of an image. */
guint        easel_session_trim_images        (EaselSession *self,
                                                    EaselSessionTurn         *keep);

/* The conversation's row in the library: id 0 until its first turn is
 * written (a restored conversation has it from the start). */
EaselLibraryLink *easel_session_get_library_link (EaselSession *self);

/* easel-session-library.c: where finished turns go. With a library, the
 * session hands it a row for each turn as it is sent, and the client's own
 * answer once it finished (see EaselLibrary); turns made while the library
 * opens are handed over once it is ready. Signals: "turn-stored"
 * (EaselSessionTurn *turn or NULL): the library has it; "library-error"
 * (const char *message): a write failed, the turn itself is kept. */
void          easel_session_set_library      (EaselSession *self, EaselLibrary *library);
EaselLibrary *easel_session_get_library      (EaselSession *self);
/* A session rebuilt from a stored conversation: its turns, their rows,
 * images (thumbnails load in the background), failures and Retry. */
EaselSession *easel_session_new_for_stored   (EaselStoredConversation *stored);

G_END_DECLS
