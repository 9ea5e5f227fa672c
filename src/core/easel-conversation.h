/* easel-conversation.h: EaselTurn and EaselConversation, the records of a conversation (see easel-store.h)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* EaselTurn: one message exchange in a conversation. Turns form a tree via
 * parent_turn_id, so a conversation can branch (regenerate / edit earlier).
 */
#define EASEL_TYPE_TURN (easel_turn_get_type ())
G_DECLARE_FINAL_TYPE (EaselTurn, easel_turn, EASEL, TURN, GObject)

struct _EaselTurn
{
  GObject parent_instance;

  gint64  id;                    /* 0 until added */
  gint64  conversation_id;
  gint64  parent_turn_id;        /* 0 = root */
  char   *user_text;
  char   *assistant_text;
  char   *response_id;           /* Responses id of this turn's response */
  char   *previous_response_id;  /* what the request continued from */
  char   *image_call_id;         /* the image_generation_call id, for item_reference */
  gint64  generation_id;         /* the image this turn produced, 0 = none */
  gint64  created;               /* unix seconds */
};

EaselTurn *easel_turn_new (void);

/* ---------------------------------------------------------------------------
 * EaselConversation
 */
#define EASEL_TYPE_CONVERSATION (easel_conversation_get_type ())
G_DECLARE_FINAL_TYPE (EaselConversation, easel_conversation, EASEL, CONVERSATION, GObject)

struct _EaselConversation
{
  GObject parent_instance;

  gint64  id;
  char   *title;
  gint64  created;               /* unix seconds */
  gint64  updated;               /* unix seconds, bumped by every added turn */
  gint64  last_turn;             /* id of the newest turn (the tip to continue from), 0 = none */
};

G_END_DECLS
