/* easel-session-turn.h: one exchange of a studio conversation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>
#include "easel-core.h"

G_BEGIN_DECLS

/* Rows, strips and restored turns show this; only the turn on the canvas,
 * the head and the running turn keep their full-size texture. */
#define EASEL_SESSION_TURN_THUMBNAIL_SIZE 256

typedef enum
{
  EASEL_TURN_PENDING,     /* built, not sent yet */
  EASEL_TURN_RUNNING,
  EASEL_TURN_DONE,
  EASEL_TURN_CANCELLED,
  EASEL_TURN_FAILED,
  EASEL_TURN_INCOMPLETE,  /* the stream broke; the last partial is kept */
} EaselTurnState;

GType easel_turn_state_get_type (void) G_GNUC_CONST;
#define EASEL_TYPE_TURN_STATE (easel_turn_state_get_type ())

#define EASEL_TYPE_SESSION_TURN (easel_session_turn_get_type ())
G_DECLARE_FINAL_TYPE (EaselSessionTurn, easel_session_turn, EASEL, SESSION_TURN, GObject)

/* Properties (all notify): "id", "prompt", "assistant-text", "texture",
 * "is-partial", "revised-prompt", "action", "tokens", "cost", "state",
 * "error-message", "response-id", "status", "n-siblings", "sibling-index",
 * "inputs" (GListModel of GdkTexture thumbnails), "candidates" (GListModel of
 * GdkTexture: the n>1 strip of the Images API). */
EaselSessionTurn     *easel_session_turn_new                 (const char *prompt);
const char    *easel_session_turn_get_id              (EaselSessionTurn *self);
EaselSessionTurn     *easel_session_turn_get_parent          (EaselSessionTurn *self);
void           easel_session_turn_set_parent          (EaselSessionTurn *self, EaselSessionTurn *parent);
const char    *easel_session_turn_get_prompt          (EaselSessionTurn *self);
EaselTurnState easel_session_turn_get_state           (EaselSessionTurn *self);
void           easel_session_turn_set_state           (EaselSessionTurn *self, EaselTurnState state);
gboolean       easel_session_turn_is_finished         (EaselSessionTurn *self);
const char    *easel_session_turn_get_assistant_text  (EaselSessionTurn *self);
void           easel_session_turn_append_text         (EaselSessionTurn *self, const char *delta);
void           easel_session_turn_set_assistant_text  (EaselSessionTurn *self, const char *text);
GdkTexture    *easel_session_turn_get_texture         (EaselSessionTurn *self);
gboolean       easel_session_turn_get_is_partial      (EaselSessionTurn *self);
void           easel_session_turn_set_texture         (EaselSessionTurn *self, GdkTexture *texture, gboolean is_partial);
GBytes        *easel_session_turn_get_image_bytes     (EaselSessionTurn *self);
void           easel_session_turn_set_image_bytes     (EaselSessionTurn *self, GBytes *bytes, const char *mime_type);
const char    *easel_session_turn_get_image_mime_type (EaselSessionTurn *self);
/* @self if it has an image (a frame, bytes or a stored file), else the
 * nearest ancestor that has: what a queued, failed or cancelled turn builds
 * on and shows. NULL if none. */
EaselSessionTurn *easel_session_turn_find_image_turn (EaselSessionTurn *self);
/* "thumbnail": the image at most EASEL_SESSION_TURN_THUMBNAIL_SIZE square.
 * It stays when the full texture is released. */
GdkTexture    *easel_session_turn_get_thumbnail       (EaselSessionTurn *self);
void           easel_session_turn_set_thumbnail       (EaselSessionTurn *self, GdkTexture *thumbnail);
/* The library's copy of the image, once it is stored. */
GFile         *easel_session_turn_get_image_file      (EaselSessionTurn *self);
void           easel_session_turn_set_image_file      (EaselSessionTurn *self, GFile *file, const char *mime_type);
/* Drops the full texture and the encoded bytes of a finished turn whose
 * image is in the library, keeping the thumbnail. TRUE if anything went. */
gboolean       easel_session_turn_release_image       (EaselSessionTurn *self);
/* Brings the full texture back (from the bytes, else the library file),
 * decoded in a worker; "texture" notifies when it lands. */
void           easel_session_turn_ensure_texture      (EaselSessionTurn *self);
/* The encoded image, from memory or read from the library file. */
void           easel_session_turn_load_image_bytes_async  (EaselSessionTurn *self, GCancellable *cancellable,
                                                           GAsyncReadyCallback callback, gpointer user_data);
GBytes        *easel_session_turn_load_image_bytes_finish (EaselSessionTurn *self, GAsyncResult *result,
                                                           GError **error);
const char    *easel_session_turn_get_revised_prompt  (EaselSessionTurn *self);
void           easel_session_turn_set_revised_prompt  (EaselSessionTurn *self, const char *revised_prompt);
const char    *easel_session_turn_get_action          (EaselSessionTurn *self);
void           easel_session_turn_set_action          (EaselSessionTurn *self, const char *action);
const char    *easel_session_turn_get_response_id     (EaselSessionTurn *self);
void           easel_session_turn_set_response_id     (EaselSessionTurn *self, const char *response_id);
const char    *easel_session_turn_get_image_call_id   (EaselSessionTurn *self);
void           easel_session_turn_set_image_call_id   (EaselSessionTurn *self, const char *item_id);
gint64         easel_session_turn_get_tokens          (EaselSessionTurn *self);
double         easel_session_turn_get_cost            (EaselSessionTurn *self);
void           easel_session_turn_set_usage           (EaselSessionTurn *self, gint64 tokens, double cost_usd);
const GError  *easel_session_turn_get_error           (EaselSessionTurn *self);
const char    *easel_session_turn_get_error_message   (EaselSessionTurn *self);
void           easel_session_turn_set_error           (EaselSessionTurn *self, const GError *error);
const char    *easel_session_turn_get_status          (EaselSessionTurn *self);
void           easel_session_turn_set_status          (EaselSessionTurn *self, const char *status);
GListModel    *easel_session_turn_get_inputs          (EaselSessionTurn *self);
void           easel_session_turn_add_input           (EaselSessionTurn *self, GdkTexture *thumbnail, const EaselInputImage *image);
GPtrArray     *easel_session_turn_get_input_images    (EaselSessionTurn *self);
GListModel    *easel_session_turn_get_candidates      (EaselSessionTurn *self);
/* @index orders the strip as the server sent the images (decodes finish in any order). */
void           easel_session_turn_add_candidate       (EaselSessionTurn *self, guint index, GdkTexture *texture, GBytes *bytes);
void           easel_session_turn_pick_candidate      (EaselSessionTurn *self, guint position);
/* The request as sent, for Retry and for the library. */
const EaselRequest *easel_session_turn_get_request    (EaselSessionTurn *self);
void           easel_session_turn_set_request         (EaselSessionTurn *self, const EaselRequest *request);
void           easel_session_turn_set_siblings        (EaselSessionTurn *self, guint index, guint n_siblings);

/* What the library records: the client's answer as it came (NULL until it
 * finished well), the last partial image received (kept if the stream
 * breaks), and which candidate of an n>1 answer is on show. */
const EaselResult *easel_session_turn_get_result       (EaselSessionTurn *self);
void               easel_session_turn_set_result       (EaselSessionTurn *self, const EaselResult *result);
GBytes            *easel_session_turn_get_partial_bytes (EaselSessionTurn *self);
void               easel_session_turn_set_partial_bytes (EaselSessionTurn *self, GBytes *bytes);
guint              easel_session_turn_get_picked       (EaselSessionTurn *self);
/* The turn's rows in the library: NULL until it was handed to the library. */
EaselLibraryLink  *easel_session_turn_get_library_link (EaselSessionTurn *self);
void               easel_session_turn_set_library_link (EaselSessionTurn *self, EaselLibraryLink *link);

/* Where the request went and what it was estimated to cost before it was
 * sent (-1 = unknown): the library keys its cache on the one and records
 * the other. */
const char        *easel_session_turn_get_server        (EaselSessionTurn *self);
double             easel_session_turn_get_estimated_usd (EaselSessionTurn *self);
void               easel_session_turn_set_sent          (EaselSessionTurn *self,
                                                         const char       *server,
                                                         double            estimated_usd);

G_END_DECLS
