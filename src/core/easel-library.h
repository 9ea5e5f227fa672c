/* easel-library.h: the one owner of the store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * EaselLibrary is a non-widget object the application owns. It opens the
 * store (in a worker), says how far it got ("state": loading, ready or
 * error), resets a broken one, and is the only thing that writes to it.
 * Every write and load runs on one worker thread of its own, in the order
 * it was asked for: a turn's row exists before its child names it as
 * parent, and before the finished turn is updated.
 *
 * Sessions hand it finished turns as the client answered them
 * (EaselTurnOutcome): every image of an n>1 answer becomes a row, the
 * picked one marked; usage and actual cost are recorded; a stream that
 * broke after a partial keeps that partial as an "incomplete" image; a
 * turn with no image never gets a row that pretends to have one.
 *
 * Ids the store hands out live in EaselLibraryLink cells: small reference
 * counted boxes the session keeps for its conversation and each turn, and
 * that the worker fills in when the row is written. Jobs queued before an
 * id is known read it when they run, after the job that sets it.
 *
 * GTK-free: the CLI and unit tests use it without a display.
 */
#pragma once

#include <gio/gio.h>
#include "easel-store.h"

G_BEGIN_DECLS

typedef enum
{
  EASEL_LIBRARY_STATE_LOADING,   /* not opened yet, or opening in the worker */
  EASEL_LIBRARY_STATE_READY,     /* "store" is set */
  EASEL_LIBRARY_STATE_ERROR,     /* "error" says why; easel_library_reset_async() may help */
} EaselLibraryState;

GType easel_library_state_get_type (void) G_GNUC_CONST;
#define EASEL_TYPE_LIBRARY_STATE (easel_library_state_get_type ())

/* ---------------------------------------------------------------------------
 * EaselLibraryLink: a store id that a later job fills in. Thread-safe.
 */
typedef struct _EaselLibraryLink EaselLibraryLink;

#define EASEL_TYPE_LIBRARY_LINK (easel_library_link_get_type ())
GType             easel_library_link_get_type          (void) G_GNUC_CONST;
EaselLibraryLink *easel_library_link_new               (gint64 id);
EaselLibraryLink *easel_library_link_ref               (EaselLibraryLink *self);
void              easel_library_link_unref             (EaselLibraryLink *self);
/* The row's id, 0 until written (or when writing it failed). */
gint64            easel_library_link_get_id           (EaselLibraryLink *self);
void              easel_library_link_set_id            (EaselLibraryLink *self, gint64 id);
/* For a turn: the generation row of the image it shows, 0 = none. */
gint64            easel_library_link_get_generation_id (EaselLibraryLink *self);
void              easel_library_link_set_generation_id (EaselLibraryLink *self, gint64 id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EaselLibraryLink, easel_library_link_unref)

/* ---------------------------------------------------------------------------
 * What a finished turn hands to the library. Everything is copied.
 */
typedef struct
{
  const EaselRequest *request;        /* what was sent (required) */
  const EaselResult  *result;         /* the client's answer as it came, NULL when it failed */
  const GError       *error;          /* why it failed / was cancelled; NULL on success */
  GBytes             *partial;        /* the last partial image the user saw, or NULL */
  const char         *partial_format; /* its output_format ("png", …; NULL = the request's) */
  guint               picked;         /* the image of an n>1 answer the user picked */
  const char         *base_url;       /* the server it went to (the cache key) */
  const char         *assistant_text; /* the turn's text, for its row */
  const char         *response_id;
  const char         *image_call_id;
  double              estimated_usd;  /* < 0: estimated from the request */
} EaselTurnOutcome;

/* ---------------------------------------------------------------------------
 * A stored conversation, read back for the studio.
 */
typedef struct
{
  EaselRequest          *request;      /* rebuilt for Retry; NULL when it cannot be */
  EaselGeneration       *generation;   /* the turn's image row, or NULL */
  EaselGenerationStatus  status;       /* how the request ended */
  GError                *error;        /* for failed and moderated turns */
  gboolean               interrupted;  /* no outcome at all: Easel closed mid-request */
} EaselStoredTurnInfo;

typedef struct
{
  EaselConversation *conversation;
  GPtrArray         *turns;            /* EaselTurn*, creation order */
  GPtrArray         *infos;            /* EaselStoredTurnInfo*, parallel to turns */
  gint64             target_turn_id;   /* the turn to show */
} EaselStoredConversation;

void easel_stored_conversation_free (EaselStoredConversation *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EaselStoredConversation, easel_stored_conversation_free)

/* ---------------------------------------------------------------------------
 * EaselLibrary
 *
 * Properties (read-only, notify on the main context that created it):
 *   "state" (EaselLibraryState), "store" (EaselStore or NULL),
 *   "error" (GError boxed or NULL), "dir" (string or NULL = the default).
 */
#define EASEL_TYPE_LIBRARY (easel_library_get_type ())
G_DECLARE_FINAL_TYPE (EaselLibrary, easel_library, EASEL, LIBRARY, GObject)

/* @dir: the library directory, NULL = $XDG_DATA_HOME/easel. Nothing is
 * opened until easel_library_load(). */
EaselLibrary      *easel_library_new            (const char   *dir);
/* A library over a store that is already open (tests, the CLI): READY. */
EaselLibrary      *easel_library_new_for_store  (EaselStore   *store);

/* Starts opening the store in the worker, once; "state" follows. */
void               easel_library_load           (EaselLibrary *self);
EaselLibraryState  easel_library_get_state      (EaselLibrary *self);
EaselStore        *easel_library_get_store      (EaselLibrary *self);
const GError      *easel_library_get_error      (EaselLibrary *self);
const char        *easel_library_get_dir        (EaselLibrary *self);

/* Moves a broken library.db aside (easel_store_reset_with_backup) and opens
 * a fresh one. @backup_path (nullable) gets the old file's new name. */
void               easel_library_reset_async    (EaselLibrary         *self,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean           easel_library_reset_finish   (EaselLibrary         *self,
                                                 GAsyncResult         *result,
                                                 char                **backup_path,
                                                 GError              **error);

/* A new turn: creates the conversation row if @conversation has no id yet
 * (titled from @user_text), then the turn's row under @parent (nullable;
 * a parent whose row failed leaves this one a root). Fills in the links.
 * @callback may be NULL. Returns the turn id through _finish. */
void               easel_library_add_turn_async  (EaselLibrary         *self,
                                                  EaselLibraryLink     *conversation,
                                                  EaselLibraryLink     *turn,
                                                  EaselLibraryLink     *parent,
                                                  const char           *user_text,
                                                  const char           *previous_response_id,
                                                  GAsyncReadyCallback   callback,
                                                  gpointer              user_data);
gint64             easel_library_add_turn_finish (EaselLibrary         *self,
                                                  GAsyncResult         *result,
                                                  GError              **error);

/* A finished turn: records @outcome (see EaselTurnOutcome) and updates the
 * turn's row with its text, ids and image. Writes are never cancelled half
 * way. Returns the rows (EaselGeneration*, transfer full) through _finish;
 * the turn link's generation id is the picked image's row. */
void               easel_library_finish_turn_async  (EaselLibrary           *self,
                                                     EaselLibraryLink       *conversation,
                                                     EaselLibraryLink       *turn,
                                                     EaselLibraryLink       *parent,
                                                     const EaselTurnOutcome *outcome,
                                                     GAsyncReadyCallback     callback,
                                                     gpointer                user_data);
GPtrArray         *easel_library_finish_turn_finish (EaselLibrary           *self,
                                                     GAsyncResult           *result,
                                                     GError                **error);

/* The user picked the @position-th image (server order) of the n>1 answer
 * of @turn in @conversation: the library marks it picked and the turn
 * shows it. Its generation id through _finish (0 and an error on failure). */
void               easel_library_pick_async   (EaselLibrary        *self,
                                               EaselLibraryLink    *conversation,
                                               EaselLibraryLink    *turn,
                                               guint                position,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gint64             easel_library_pick_finish  (EaselLibrary        *self,
                                               GAsyncResult        *result,
                                               GError             **error);

/* The protected pixels of a masked edit put back: a new row for @png, a
 * child of @parent_generation_id (the image that was edited), and the
 * image @turn (nullable) shows from now on, in @conversation (nullable).
 * Its id through _finish. */
void               easel_library_save_restored_async  (EaselLibrary        *self,
                                                       EaselLibraryLink    *conversation,
                                                       EaselLibraryLink    *turn,
                                                       gint64               parent_generation_id,
                                                       const EaselRequest  *request,
                                                       GBytes              *png,
                                                       int                  width,
                                                       int                  height,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gint64             easel_library_save_restored_finish (EaselLibrary        *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

/* Reads a stored conversation: @conversation_id 0 = the most recently
 * updated one (NOT_FOUND when there is none); @turn_id 0 = its last turn. */
void               easel_library_load_conversation_async  (EaselLibrary        *self,
                                                           gint64               conversation_id,
                                                           gint64               turn_id,
                                                           GCancellable        *cancellable,
                                                           GAsyncReadyCallback  callback,
                                                           gpointer             user_data);
EaselStoredConversation *
                   easel_library_load_conversation_finish (EaselLibrary        *self,
                                                           GAsyncResult        *result,
                                                           GError             **error);

/* Any other store work, in order with the writes: @func runs on the worker
 * with the open store and returns a pointer (freed with @result_free if
 * nobody takes it) or NULL with @error set. */
typedef gpointer (*EaselLibraryFunc) (EaselStore  *store,
                                      gpointer     data,
                                      GError     **error);

void               easel_library_run_async  (EaselLibrary        *self,
                                             EaselLibraryFunc     func,
                                             gpointer             data,
                                             GDestroyNotify       data_free,
                                             GDestroyNotify       result_free,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gpointer           easel_library_run_finish (EaselLibrary        *self,
                                             GAsyncResult        *result,
                                             GError             **error);

/* Blocks until every job queued so far has run (tests, quitting). */
void               easel_library_flush      (EaselLibrary        *self);

G_END_DECLS
