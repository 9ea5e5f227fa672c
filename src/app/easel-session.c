/* easel-session.c: a tree of turns, the branch on show, and the running request
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-session"

#include "config.h"

#include <glib/gi18n.h>

#include "easel-session.h"
#include "easel-session-private.h"
#include "easel-image-decoder.h"

typedef struct _SendOp SendOp;

struct _EaselSession
{
  GObject parent_instance;

  GListStore *all_turns;   /* every turn, in creation order */
  GListStore *branch;      /* root … head */
  EaselSessionTurn *head;

  SendOp *op;              /* the running request, or NULL */
  char *stage;
  char *status;
  guint status_timeout;
  EaselLibraryLink *library_link;  /* the conversation's row in the library */
  EaselLibrary *library;           /* where finished turns go (easel-session-library.c) */
  gboolean moderation_check;       /* ask the free moderation endpoint before each paid send */
};

/* One request in flight. Reference counted because decodes and the send
 * callback may outlive a cancel. */
struct _SendOp
{
  gatomicrefcount ref;
  EaselSession *self;   /* weak; cleared when the op finishes */
  EaselSessionTurn *turn;
  EaselClient *client;
  GCancellable *cancellable;
  gulong retrying_id;
  gulong reconnecting_id;
  gboolean pending_listed;   /* the library lists the response as in progress */
  gint64 started;
  gint64 retry_at;           /* monotonic, while waiting for a retry */
  EaselRetryReason retry_reason;
  guint  retry_status;       /* the HTTP status that made it retry; 0: none */
  EaselCostEstimate estimate;
  int partials_expected;
  guint partials_seen;
  guint next_frame;          /* frames handed to the decoder */
  guint shown_frame;         /* the newest frame on the turn */
  guint n_finals;
  gboolean want_candidates;
  gboolean final_shown;
  gboolean finished;
  char *model;
  char *quality;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (EaselSession, easel_session, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_HEAD,
  PROP_BUSY,
  PROP_RUNNING_TURN,
  PROP_STAGE,
  PROP_STATUS,
  PROP_N_TURNS,
  PROP_MODERATION_CHECK,
  N_PROPS
};

enum {
  TURN_FINISHED,
  TURN_STORED,
  LIBRARY_ERROR,
  TURN_PARTIAL,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static SendOp *
send_op_ref (SendOp *op)
{
  g_atomic_ref_count_inc (&op->ref);
  return op;
}

static void
send_op_unref (SendOp *op)
{
  if (!g_atomic_ref_count_dec (&op->ref))
    return;
  if (op->retrying_id && op->client)
    g_clear_signal_handler (&op->retrying_id, op->client);
  if (op->reconnecting_id && op->client)
    g_clear_signal_handler (&op->reconnecting_id, op->client);
  g_clear_object (&op->turn);
  g_clear_object (&op->client);
  g_clear_object (&op->cancellable);
  g_clear_pointer (&op->model, g_free);
  g_clear_pointer (&op->quality, g_free);
  g_free (op);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SendOp, send_op_unref)

/* GListModel: the branch on show. */

static GType
get_item_type (GListModel *model)
{
  return EASEL_TYPE_SESSION_TURN;
}

static guint
get_n_items (GListModel *model)
{
  return g_list_model_get_n_items (G_LIST_MODEL (EASEL_SESSION (model)->branch));
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  return g_list_model_get_item (G_LIST_MODEL (EASEL_SESSION (model)->branch), position);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
branch_items_changed_cb (EaselSession *self,
                         guint              position,
                         guint              removed,
                         guint              added,
                         GListModel        *branch)
{
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
}

/* Tree helpers */

static GPtrArray *
collect_children (EaselSession *self,
                  EaselSessionTurn         *parent)
{
  GPtrArray *children = g_ptr_array_new ();
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->all_turns));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EaselSessionTurn) turn = g_list_model_get_item (G_LIST_MODEL (self->all_turns), i);

      if (easel_session_turn_get_parent (turn) == parent)
        g_ptr_array_add (children, turn);
    }
  return children;
}

static void
update_siblings (EaselSession *self,
                 EaselSessionTurn         *parent)
{
  g_autoptr(GPtrArray) children = collect_children (self, parent);

  for (guint i = 0; i < children->len; i++)
    easel_session_turn_set_siblings (g_ptr_array_index (children, i), i, children->len);
}

static void
rebuild_branch (EaselSession *self)
{
  g_autoptr(GPtrArray) path = g_ptr_array_new ();
  guint n_old = g_list_model_get_n_items (G_LIST_MODEL (self->branch));
  guint common = 0;

  for (EaselSessionTurn *t = self->head; t != NULL; t = easel_session_turn_get_parent (t))
    g_ptr_array_insert (path, 0, t);

  /* Keep the shared prefix so rows above the fork are not rebuilt. */
  while (common < n_old && common < path->len)
    {
      g_autoptr(EaselSessionTurn) old = g_list_model_get_item (G_LIST_MODEL (self->branch), common);

      if (old != g_ptr_array_index (path, common))
        break;
      common++;
    }

  g_list_store_splice (self->branch, common, n_old - common,
                       path->pdata + common, path->len - common);
}

/* Status line */

static void
set_stage (EaselSession *self,
           const char        *stage)
{
  if (g_strcmp0 (self->stage, stage) == 0)
    return;
  g_free (self->stage);
  self->stage = g_strdup (stage);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STAGE]);
}

/* The cause each retry line names, as the CLI does. */
static char *
retry_reason_text (EaselRetryReason reason,
                   guint            status)
{
  switch (reason)
    {
    case EASEL_RETRY_REASON_RATE_LIMITED:
      return g_strdup (_("Rate limited"));
    case EASEL_RETRY_REASON_SERVER_ERROR:
      if (status > 0)
        /* Translators: %u is an HTTP status such as 500 */
        return g_strdup_printf (_("Server error (HTTP %u)"), status);
      return g_strdup (_("Server error"));
    case EASEL_RETRY_REASON_TIMED_OUT:
      return g_strdup (_("The server did not answer in time"));
    case EASEL_RETRY_REASON_CONFLICT:
      return g_strdup (_("The server reported a conflict"));
    case EASEL_RETRY_REASON_CONNECTION:
      return g_strdup (_("Could not connect to the server"));
    case EASEL_RETRY_REASON_OTHER:
    default:
      if (status > 0)
        return g_strdup_printf (_("The request failed (HTTP %u)"), status);
      return g_strdup (_("The request failed"));
    }
}

static void
update_status (EaselSession *self)
{
  g_autofree char *status = NULL;
  SendOp *op = self->op;

  if (op == NULL)
    status = g_strdup ("");
  else
    {
      gint64 now = g_get_monotonic_time ();
      guint elapsed = (guint)((now - op->started) / G_USEC_PER_SEC);
      g_autofree char *estimate = NULL;

      if (op->retry_at > now)
        {
          guint wait = (guint)((op->retry_at - now + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);

          g_autofree char *why = retry_reason_text (op->retry_reason, op->retry_status);

          /* Translators: the reason ("Rate limited", "Server error (HTTP 500)", …)
           * and the seconds until the request is sent again */
          status = g_strdup_printf (ngettext ("%s, retrying in %u second",
                                              "%s, retrying in %u seconds", wait), why, wait);
          easel_session_turn_set_status (op->turn, status);
        }
      else
        {
          if (op->estimate.known)
            estimate = easel_cost_format_usd (op->estimate.usd);
          if (estimate)
            /* Translators: stage · elapsed time · estimated cost */
            status = g_strdup_printf (_("%s · %u s · ≈ %s"), self->stage, elapsed, estimate);
          else
            status = g_strdup_printf (_("%s · %u s"), self->stage, elapsed);
          easel_session_turn_set_status (op->turn, self->stage);
        }
    }

  if (g_strcmp0 (status, self->status) != 0)
    {
      g_free (self->status);
      self->status = g_steal_pointer (&status);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
    }
}

static gboolean
status_timeout_cb (gpointer user_data)
{
  update_status (EASEL_SESSION (user_data));
  return G_SOURCE_CONTINUE;
}

static void
finish_op (EaselSession *self,
           SendOp            *op,
           EaselTurnState     state,
           const GError      *error)
{
  g_autoptr(EaselSessionTurn) turn = NULL;
  gboolean unlist;

  if (op->finished)
    return;
  op->finished = TRUE;
  /* Read now: the op may be released below. */
  unlist = op->pending_listed && state != EASEL_TURN_INCOMPLETE;

  turn = g_object_ref (op->turn);
  if (op->retrying_id)
    g_clear_signal_handler (&op->retrying_id, op->client);
  if (op->reconnecting_id)
    g_clear_signal_handler (&op->reconnecting_id, op->client);

  if (error)
    easel_session_turn_set_error (turn, error);
  easel_session_turn_set_state (turn, state);

  switch (state)
    {
    case EASEL_TURN_CANCELLED: easel_session_turn_set_status (turn, _("Cancelled")); break;
    case EASEL_TURN_INCOMPLETE: easel_session_turn_set_status (turn, _("Incomplete: the connection was lost")); break;
    case EASEL_TURN_FAILED: easel_session_turn_set_status (turn, _("Failed")); break;
    case EASEL_TURN_PENDING:
    case EASEL_TURN_RUNNING:
    case EASEL_TURN_DONE:
    default: easel_session_turn_set_status (turn, NULL); break;
    }

  if (self->op == op)
    {
      self->op = NULL;
      op->self = NULL;
      g_clear_handle_id (&self->status_timeout, g_source_remove);
      set_stage (self, NULL);
      update_status (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING_TURN]);
      send_op_unref (op);
    }

  /* The library first: what was paid for is recorded before anything
   * else reacts to the turn. A turn whose stream broke for good may still
   * finish on the server: it stays listed for `easel resume`. */
  _easel_session_library_turn_finished (self, turn);
  if (unlist)
    _easel_session_library_set_pending (self, easel_session_turn_get_response_id (turn), NULL, NULL);
  g_signal_emit (self, signals[TURN_FINISHED], 0, turn);
}

/* Frames */

typedef struct
{
  SendOp *op;
  GBytes *bytes;
  guint frame;
  gboolean is_partial;
  int partial_index;
} FrameData;

static void
frame_data_free (FrameData *data)
{
  g_clear_pointer (&data->op, send_op_unref);
  g_clear_pointer (&data->bytes, g_bytes_unref);
  g_free (data);
}

static void
frame_decoded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  FrameData *data = user_data;
  SendOp *op = data->op;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GdkTexture) thumbnail = NULL;
  g_autoptr(GError) error = NULL;

  texture = easel_image_decode_frame_finish (result, &thumbnail, &error);

  if (texture == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Could not decode an image from the server: %s", error->message);
      frame_data_free (data);
      return;
    }

  if (!data->is_partial && op->want_candidates)
    easel_session_turn_add_candidate (op->turn, data->frame, thumbnail, data->bytes);

  /* Decodes finish out of order; never let an older frame, or a partial
   * after the final, replace what is on show. A cancelled turn keeps the
   * last partial it had. */
  if (data->frame > op->shown_frame &&
      !(data->is_partial && op->final_shown) &&
      !(op->final_shown && !data->is_partial) &&
      easel_session_turn_get_state (op->turn) != EASEL_TURN_CANCELLED)
    {
      op->shown_frame = data->frame;
      if (!data->is_partial)
        op->final_shown = TRUE;
      easel_session_turn_set_texture (op->turn, texture, data->is_partial);
      easel_session_turn_set_thumbnail (op->turn, thumbnail);
      if (data->is_partial && op->self != NULL)
        g_signal_emit (op->self, signals[TURN_PARTIAL], 0, op->turn, (guint)data->partial_index);
    }

  frame_data_free (data);
}

static void
decode_frame (SendOp  *op,
              GBytes  *bytes,
              gboolean is_partial,
              int      partial_index)
{
  FrameData *data = g_new0 (FrameData, 1);

  data->op = send_op_ref (op);
  data->bytes = g_bytes_ref (bytes);
  data->frame = ++op->next_frame;
  data->is_partial = is_partial;
  data->partial_index = partial_index;
  /* The final frame must land even after the request finished, so only
   * partials are tied to the cancellable. */
  easel_image_decode_frame_async (bytes, EASEL_SESSION_TURN_THUMBNAIL_SIZE,
                                  is_partial ? op->cancellable : NULL, frame_decoded_cb, data);
}

static void
take_final_image (SendOp     *op,
                  GBytes     *bytes,
                  const char *output_format,
                  const char *revised_prompt,
                  const char *action,
                  const char *item_id)
{
  op->n_finals++;
  if (op->n_finals == 1)
    {
      easel_session_turn_set_image_bytes (op->turn, bytes, easel_image_mime_for_format (output_format));
      if (revised_prompt)
        easel_session_turn_set_revised_prompt (op->turn, revised_prompt);
      if (action)
        easel_session_turn_set_action (op->turn, action);
      if (item_id)
        easel_session_turn_set_image_call_id (op->turn, item_id);
    }
  decode_frame (op, bytes, FALSE, -1);
}

static void
event_cb (const EaselEvent *event,
          gpointer          user_data)
{
  SendOp *op = user_data;
  EaselSession *self = op->self;
  g_autofree char *stage = NULL;

  if (op->finished || self == NULL)
    return;

  op->retry_at = 0;

  switch (event->kind)
    {
    case EASEL_EVENT_RESPONSE_CREATED:
      if (event->response_id)
        {
          const EaselRequest *request = easel_session_turn_get_request (op->turn);

          easel_session_turn_set_response_id (op->turn, event->response_id);
          /* In background mode the response outlives the app. */
          if (request != NULL && request->stream && !easel_client_get_background_refused (op->client))
            {
              _easel_session_library_set_pending (self, event->response_id,
                                                  easel_client_get_base_url (op->client), request);
              op->pending_listed = TRUE;
            }
        }
      set_stage (self, _("Queued"));
      break;

    case EASEL_EVENT_IMAGE_CALL_IN_PROGRESS:
    case EASEL_EVENT_IMAGE_CALL_GENERATING:
      set_stage (self, _("Generating"));
      break;

    case EASEL_EVENT_PARTIAL_IMAGE:
      op->partials_seen++;
      if (op->partials_expected > 0)
        /* Translators: partial image k of N */
        stage = g_strdup_printf (_("Partial %u/%d"), op->partials_seen, op->partials_expected);
      else
        stage = g_strdup_printf (_("Partial %u"), op->partials_seen);
      set_stage (self, stage);
      if (event->image)
        {
          /* Kept: if the stream breaks, this is what the user saw and
           * what the library keeps. */
          easel_session_turn_set_partial_bytes (op->turn, event->image);
          decode_frame (op, event->image,  TRUE, event->partial_image_index);
        }
      break;

    case EASEL_EVENT_IMAGE_CALL_COMPLETED:
      set_stage (self, _("Finishing"));
      break;

    case EASEL_EVENT_IMAGE_DONE:
      set_stage (self, _("Finishing"));
      if (event->image)
        take_final_image (op, event->image, event->output_format,
                          event->revised_prompt, event->action, event->item_id);
      break;

    case EASEL_EVENT_TEXT_DELTA:
      set_stage (self, _("Writing"));
      easel_session_turn_append_text (op->turn, event->text);
      break;

    case EASEL_EVENT_TEXT_DONE:
      if (event->text && *easel_session_turn_get_assistant_text (op->turn) == 0)
        easel_session_turn_set_assistant_text (op->turn, event->text);
      break;

    case EASEL_EVENT_RESPONSE_COMPLETED:
    case EASEL_EVENT_RESPONSE_IN_PROGRESS:
    case EASEL_EVENT_RESPONSE_FAILED:
    case EASEL_EVENT_OUTPUT_ITEM_ADDED:
    case EASEL_EVENT_OUTPUT_ITEM_DONE:
    case EASEL_EVENT_ERROR:
    case EASEL_EVENT_UNKNOWN:
    default:
      break;
    }

  update_status (self);
}

static void
retrying_cb (EaselClient  *client,
             guint         attempt,
             gint64        delay_ms,
             const GError *why,
             gpointer      user_data)
{
  SendOp *op = user_data;

  if (op->finished || op->self == NULL)
    return;
  op->retry_at = g_get_monotonic_time () + delay_ms * 1000;
  op->retry_reason = easel_retry_reason_for_error (why);
  op->retry_status = why != NULL && why->domain == EASEL_API_ERROR ? easel_api_error_get_status (why) : 0;
  set_stage (op->self, _("Waiting to retry"));
  update_status (op->self);
}

/* The stream of a background response broke: the client fetches the rest
 * of it (no second request, nothing paid twice). */
static void
reconnecting_cb (EaselClient  *client,
                 guint         attempt,
                 gint64        delay_ms,
                 const GError *why,
                 gpointer      user_data)
{
  SendOp *op = user_data;

  if (op->finished || op->self == NULL)
    return;
  if (g_error_matches (why, G_IO_ERROR, G_IO_ERROR_PENDING))
    set_stage (op->self, _("Still in progress on the server"));
  else
    set_stage (op->self, _("Reconnecting…"));
  update_status (op->self);
}

static void
send_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(SendOp) op = user_data;
  g_autoptr(EaselResult) res = NULL;
  g_autoptr(GError) error = NULL;
  EaselSession *self = op->self;
  EaselTurnState state;

  res = easel_client_send_finish (EASEL_CLIENT (object), result, &error);

  if (op->finished || self == NULL)
    return;

  if (res != NULL)
    {
      gint64 tokens = 0;
      double cost;

      easel_session_turn_set_result (op->turn, res);
      /* Finished well: the partials were only previews. */
      easel_session_turn_set_partial_bytes (op->turn, NULL);

      if (res->response_id)
        easel_session_turn_set_response_id (op->turn, res->response_id);
      if (res->text && *easel_session_turn_get_assistant_text (op->turn) == 0)
        easel_session_turn_set_assistant_text (op->turn, res->text);

      /* Non-streamed replies, or a stream whose done item we missed. */
      if (op->n_finals == 0 && res->images != NULL)
        for (guint i = 0; i < res->images->len; i++)
          {
            EaselImage *image = g_ptr_array_index (res->images, i);

            if (image->bytes)
              take_final_image (op, image->bytes, image->output_format,
                                image->revised_prompt, image->action, image->item_id);
          }
      if (res->images && res->images->len > 0)
        {
          EaselImage *image = g_ptr_array_index (res->images, 0);

          if (image->revised_prompt && !easel_session_turn_get_revised_prompt (op->turn))
            easel_session_turn_set_revised_prompt (op->turn, image->revised_prompt);
          if (image->action && !easel_session_turn_get_action (op->turn))
            easel_session_turn_set_action (op->turn, image->action);
        }

      if (res->usage.present)
        tokens += res->usage.total_tokens;
      if (res->response_usage.present)
        tokens += res->response_usage.total_tokens;
      cost = easel_cost_usd_for_usage (op->model, op->quality,
                                       easel_session_turn_get_request (op->turn)->size,
                                       &res->usage,
                                       res->images ? res->images->len : 0);
      easel_session_turn_set_usage (op->turn, tokens, cost);

      state = EASEL_TURN_DONE;
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    state = EASEL_TURN_CANCELLED;
  /* A partial that arrived is kept even if its decode is still running
   * when the stream breaks: it lands on the incomplete turn afterwards. */
  else if (g_error_matches (error, EASEL_API_ERROR, EASEL_API_ERROR_TRUNCATED) &&
           (op->partials_seen > 0 || easel_session_turn_get_texture (op->turn) != NULL))
    state = EASEL_TURN_INCOMPLETE;
  else
    state = EASEL_TURN_FAILED;

  finish_op (self, op, state, state == EASEL_TURN_DONE || state == EASEL_TURN_CANCELLED ? NULL : error);
}

/* The moderation pre-check (the "moderation-check" setting): nothing paid
 * is sent until the free endpoint has passed the prompt. */

static void
start_send (SendOp             *op,
            const EaselRequest *request)
{
  easel_client_send_async (op->client, request,
                           event_cb, send_op_ref (op), (GDestroyNotify)send_op_unref,
                           op->cancellable,
                           send_cb, send_op_ref (op));
}

static GError *
flagged_error (const EaselModeration *moderation)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, "moderation_blocked");
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, _("The moderation pre-check flagged the prompt: it was not sent and nothing was charged"));
  json_builder_set_member_name (builder, "moderation_details");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "moderation_stage");
  json_builder_add_string_value (builder, "pre-check");
  json_builder_set_member_name (builder, "categories");
  json_builder_begin_array (builder);
  for (guint i = 0; moderation->categories[i] != NULL; i++)
    json_builder_add_string_value (builder, moderation->categories[i]);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);

  /* The categories came from the server: the error's own checks and the
   * turn row's escaping apply to them as to any moderation error. */
  return easel_api_error_from_object (json_node_get_object (root), 0, EASEL_API_ERROR_MODERATION);
}

static void
moderated_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(SendOp) op = user_data;
  g_autoptr(EaselModeration) moderation = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) why = NULL;
  g_autofree char *server = NULL;
  EaselSession *self = op->self;

  moderation = easel_client_moderate_finish (EASEL_CLIENT (object), result, &error);
  if (op->finished || self == NULL)
    return;

  if (moderation != NULL && !moderation->flagged)
    {
      set_stage (self, _("Sending"));
      update_status (self);
      start_send (op, easel_session_turn_get_request (op->turn));
      return;
    }

  /* Nothing paid went out: the library must not count the estimate. */
  server = g_strdup (easel_session_turn_get_server (op->turn));
  easel_session_turn_set_sent (op->turn, server, 0);
  if (moderation != NULL)
    why = flagged_error (moderation);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      finish_op (self, op, EASEL_TURN_CANCELLED, NULL);
      return;
    }
  else
    why = g_error_new (error->domain, error->code,
                       _("The moderation pre-check failed, so the prompt was not sent: %s"), error->message);
  finish_op (self, op, EASEL_TURN_FAILED, why);
}

/* GObject */

static void
easel_session_dispose (GObject *object)
{
  EaselSession *self = (EaselSession *)object;

  if (self->op)
    {
      SendOp *op = g_steal_pointer (&self->op);

      g_cancellable_cancel (op->cancellable);
      op->self = NULL;
      op->finished = TRUE;
      send_op_unref (op);
    }
  g_clear_handle_id (&self->status_timeout, g_source_remove);
  self->head = NULL;
  g_clear_object (&self->branch);
  g_clear_object (&self->all_turns);

  G_OBJECT_CLASS (easel_session_parent_class)->dispose (object);
}

static void
easel_session_finalize (GObject *object)
{
  EaselSession *self = (EaselSession *)object;

  g_clear_pointer (&self->stage, g_free);
  g_clear_pointer (&self->status, g_free);
  g_clear_pointer (&self->library_link, easel_library_link_unref);
  g_clear_object (&self->library);

  G_OBJECT_CLASS (easel_session_parent_class)->finalize (object);
}

static void
easel_session_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  EaselSession *self = EASEL_SESSION (object);

  switch (prop_id)
    {
    case PROP_HEAD: g_value_set_object (value, self->head); break;
    case PROP_BUSY: g_value_set_boolean (value, self->op != NULL); break;
    case PROP_RUNNING_TURN: g_value_set_object (value, self->op ? self->op->turn : NULL); break;
    case PROP_STAGE: g_value_set_string (value, self->stage); break;
    case PROP_STATUS: g_value_set_string (value, self->status); break;
    case PROP_N_TURNS: g_value_set_uint (value, g_list_model_get_n_items (G_LIST_MODEL (self->all_turns))); break;
    case PROP_MODERATION_CHECK: g_value_set_boolean (value, self->moderation_check); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_session_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  EaselSession *self = EASEL_SESSION (object);

  switch (prop_id)
    {
    case PROP_MODERATION_CHECK:
      if (self->moderation_check != g_value_get_boolean (value))
        {
          self->moderation_check = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_session_class_init (EaselSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = easel_session_dispose;
  object_class->finalize = easel_session_finalize;
  object_class->get_property = easel_session_get_property;
  object_class->set_property = easel_session_set_property;

  properties[PROP_HEAD] = g_param_spec_object ("head", NULL, NULL, EASEL_TYPE_SESSION_TURN, ro);
  properties[PROP_BUSY] = g_param_spec_boolean ("busy", NULL, NULL, FALSE, ro);
  properties[PROP_RUNNING_TURN] = g_param_spec_object ("running-turn", NULL, NULL, EASEL_TYPE_SESSION_TURN, ro);
  properties[PROP_STAGE] = g_param_spec_string ("stage", NULL, NULL, NULL, ro);
  properties[PROP_STATUS] = g_param_spec_string ("status", NULL, NULL, "", ro);
  properties[PROP_N_TURNS] = g_param_spec_uint ("n-turns", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_MODERATION_CHECK] =
    g_param_spec_boolean ("moderation-check", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[TURN_FINISHED] =
    g_signal_new ("turn-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, EASEL_TYPE_SESSION_TURN);
  signals[TURN_STORED] =
    g_signal_new ("turn-stored", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, EASEL_TYPE_SESSION_TURN);
  signals[LIBRARY_ERROR] =
    g_signal_new ("library-error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[TURN_PARTIAL] =
    g_signal_new ("turn-partial", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, EASEL_TYPE_SESSION_TURN, G_TYPE_UINT);
}

static void
easel_session_init (EaselSession *self)
{
  self->all_turns = g_list_store_new (EASEL_TYPE_SESSION_TURN);
  self->branch = g_list_store_new (EASEL_TYPE_SESSION_TURN);
  self->status = g_strdup ("");
  self->library_link = easel_library_link_new (0);
  g_signal_connect (self->all_turns, "items-changed", G_CALLBACK (_easel_session_library_turns_added), self);
  g_signal_connect_object (self->branch, "items-changed",
                           G_CALLBACK (branch_items_changed_cb), self, G_CONNECT_SWAPPED);
}

EaselSession *
easel_session_new (void)
{
  return g_object_new (EASEL_TYPE_SESSION, NULL);
}

GListModel *
easel_session_get_all_turns (EaselSession *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION (self), NULL);
  return G_LIST_MODEL (self->all_turns);
}

EaselSessionTurn *
easel_session_get_head (EaselSession *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION (self), NULL);
  return self->head;
}

void
easel_session_set_head (EaselSession *self,
                             EaselSessionTurn         *turn)
{
  g_return_if_fail (EASEL_IS_SESSION (self));
  g_return_if_fail (!turn || EASEL_IS_SESSION_TURN (turn));

  if (self->head == turn)
    return;
  self->head = turn;
  rebuild_branch (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HEAD]);
}

EaselSessionTurn *
easel_session_find_turn (EaselSession *self,
                              const char        *turn_id)
{
  guint n;

  g_return_val_if_fail (EASEL_IS_SESSION (self), NULL);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->all_turns));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EaselSessionTurn) turn = g_list_model_get_item (G_LIST_MODEL (self->all_turns), i);

      if (g_strcmp0 (easel_session_turn_get_id (turn), turn_id) == 0)
        return turn;
    }
  return NULL;
}

void
easel_session_switch_branch (EaselSession *self,
                                  EaselSessionTurn         *turn,
                                  int                delta)
{
  g_autoptr(GPtrArray) siblings = NULL;
  EaselSessionTurn *target;
  guint index = 0;

  g_return_if_fail (EASEL_IS_SESSION (self));
  g_return_if_fail (EASEL_IS_SESSION_TURN (turn));

  siblings = collect_children (self, easel_session_turn_get_parent (turn));
  if (!g_ptr_array_find (siblings, turn, &index))
    return;
  if ((int)index + delta < 0 || (int)index + delta >= (int)siblings->len)
    return;
  target = g_ptr_array_index (siblings, index + delta);

  /* Follow the newest child down to that branch's leaf. */
  for (;;)
    {
      g_autoptr(GPtrArray) children = collect_children (self, target);

      if (children->len == 0)
        break;
      target = g_ptr_array_index (children, children->len - 1);
    }

  easel_session_set_head (self, target);
}

void
easel_session_add_turn (EaselSession *self,
                             EaselSessionTurn         *parent,
                             EaselSessionTurn         *turn)
{
  g_return_if_fail (EASEL_IS_SESSION (self));
  g_return_if_fail (EASEL_IS_SESSION_TURN (turn));

  easel_session_turn_set_parent (turn, parent);
  g_list_store_append (self->all_turns, turn);
  update_siblings (self, parent);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_TURNS]);
  easel_session_set_head (self, turn);
}

void
easel_session_send (EaselSession *self,
                         EaselClient       *client,
                         EaselSessionTurn         *turn,
                         EaselRequest      *request)
{
  g_autoptr(EaselRequest) owned = request;
  SendOp *op;

  g_return_if_fail (EASEL_IS_SESSION (self));
  g_return_if_fail (EASEL_IS_CLIENT (client));
  g_return_if_fail (EASEL_IS_SESSION_TURN (turn));
  g_return_if_fail (request != NULL);

  if (self->op != NULL)
    easel_session_cancel (self);

  if (request->api == EASEL_API_RESPONSES && self->head != NULL)
    {
      EaselSessionTurn *from = self->head;
      const char *previous;

      /* A cancelled or failed turn may hold the id from response.created,
       * but that response never finished on the server: continue from the
       * newest turn before it that did. The new turn still hangs below the
       * head, so the pane keeps showing what happened. */
      while (from != NULL &&
             (easel_session_turn_get_state (from) == EASEL_TURN_CANCELLED ||
              easel_session_turn_get_state (from) == EASEL_TURN_FAILED))
        from = easel_session_turn_get_parent (from);
      previous = from ? easel_session_turn_get_response_id (from) : NULL;

      g_clear_pointer (&request->previous_response_id, g_free);
      request->previous_response_id = g_strdup (previous);
    }

  easel_session_turn_set_request (turn, request);
  easel_session_add_turn (self, self->head, turn);
  easel_session_turn_set_state (turn, EASEL_TURN_RUNNING);

  op = g_new0 (SendOp, 1);
  g_atomic_ref_count_init (&op->ref);
  op->self = self;
  op->turn = g_object_ref (turn);
  op->client = g_object_ref (client);
  op->cancellable = g_cancellable_new ();
  op->started = g_get_monotonic_time ();
  op->partials_expected = request->stream ? request->partial_images : 0;
  op->want_candidates = request->n > 1;
  op->model = g_strdup (request->model);
  op->quality = g_strdup (request->quality);
  easel_cost_estimate (request, &op->estimate);
  easel_session_turn_set_sent (turn, easel_client_get_base_url (client),
                               op->estimate.known ? op->estimate.usd : -1);
  op->retrying_id = g_signal_connect (client, "retrying", G_CALLBACK (retrying_cb), op);
  op->reconnecting_id = g_signal_connect (client, "reconnecting", G_CALLBACK (reconnecting_cb), op);
  self->op = op;

  set_stage (self, _("Sending"));
  update_status (self);
  self->status_timeout = g_timeout_add_seconds (1, status_timeout_cb, self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING_TURN]);

  if (self->moderation_check && request->prompt != NULL && *request->prompt != '\0')
    {
      set_stage (self, _("Checking the prompt"));
      update_status (self);
      easel_client_moderate_async (client, request->prompt, op->cancellable, moderated_cb, send_op_ref (op));
      return;
    }
  start_send (op, request);
}

EaselSessionTurn *
easel_session_retry (EaselSession *self,
                          EaselClient       *client,
                          EaselSessionTurn         *turn)
{
  const EaselRequest *request;
  EaselSessionTurn *retry;

  g_return_val_if_fail (EASEL_IS_SESSION (self), NULL);
  g_return_val_if_fail (EASEL_IS_SESSION_TURN (turn), NULL);

  request = easel_session_turn_get_request (turn);
  if (request == NULL)
    return NULL;

  retry = easel_session_turn_new (easel_session_turn_get_prompt (turn));
  for (guint i = 0; i < g_list_model_get_n_items (easel_session_turn_get_inputs (turn)); i++)
    {
      g_autoptr(GdkTexture) thumb = g_list_model_get_item (easel_session_turn_get_inputs (turn), i);
      easel_session_turn_add_input (retry, thumb, NULL);
    }

  easel_session_set_head (self, easel_session_turn_get_parent (turn));
  easel_session_send (self, client, retry, easel_request_copy (request));
  g_object_unref (retry);
  return retry;
}

void
easel_session_cancel (EaselSession *self)
{
  g_return_if_fail (EASEL_IS_SESSION (self));

  if (self->op == NULL)
    return;

  /* Mark it at once: the UI must not wait for the socket to close. Late
   * events and the send callback see op->finished and do nothing. */
  g_cancellable_cancel (self->op->cancellable);
  finish_op (self, self->op, EASEL_TURN_CANCELLED, NULL);
}

gboolean
easel_session_get_busy (EaselSession *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION (self), FALSE);
  return self->op != NULL;
}

EaselSessionTurn *
easel_session_get_running_turn (EaselSession *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION (self), NULL);
  return self->op ? self->op->turn : NULL;
}

const char *
easel_session_get_stage (EaselSession *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION (self), NULL);
  return self->stage;
}

const char *
easel_session_get_status (EaselSession *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION (self), NULL);
  return self->status;
}

/* The head, and up from it to the first finished turn: the image that a
 * masked edit or a resend from the head builds on. */
static gboolean
builds_on (EaselSession     *self,
           EaselSessionTurn *turn)
{
  for (EaselSessionTurn *t = self->head; t != NULL; t = easel_session_turn_get_parent (t))
    {
      if (t == turn)
        return TRUE;
      if (easel_session_turn_get_state (t) == EASEL_TURN_DONE)
        break;
    }
  return FALSE;
}

guint
easel_session_trim_images (EaselSession     *self,
                           EaselSessionTurn *keep)
{
  guint n_released = 0;
  guint n;

  g_return_val_if_fail (EASEL_IS_SESSION (self), 0);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->all_turns));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(EaselSessionTurn) turn = g_list_model_get_item (G_LIST_MODEL (self->all_turns), i);

      if (turn == keep || turn == easel_session_get_running_turn (self) || builds_on (self, turn))
        continue;
      if (easel_session_turn_release_image (turn))
        n_released++;
    }
  return n_released;
}

EaselLibraryLink *
easel_session_get_library_link (EaselSession *self)
{
  g_return_val_if_fail (EASEL_IS_SESSION (self), NULL);
  return self->library_link;
}

EaselLibrary *
_easel_session_peek_library (EaselSession *self)
{
  return self->library;
}

void
_easel_session_take_library (EaselSession *self,
                             EaselLibrary *library)
{
  g_set_object (&self->library, library);
}

void
_easel_session_emit_library_signal (EaselSession     *self,
                                    guint             which,
                                    EaselSessionTurn *turn,
                                    const char       *message)
{
  if (which == 0)
    g_signal_emit (self, signals[TURN_STORED], 0, turn);
  else
    g_signal_emit (self, signals[LIBRARY_ERROR], 0, message);
}
