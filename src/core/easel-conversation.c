/* easel-conversation.c: EaselTurn and EaselConversation, the records of a conversation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-store"

#include "config.h"

#include "easel-conversation.h"

/* ------------------------------------------------------------------------- */
/* EaselTurn, EaselConversation */

G_DEFINE_FINAL_TYPE (EaselTurn, easel_turn, G_TYPE_OBJECT)

static void
easel_turn_finalize (GObject *object)
{
  EaselTurn *self = EASEL_TURN (object);

  g_clear_pointer (&self->user_text, g_free);
  g_clear_pointer (&self->assistant_text, g_free);
  g_clear_pointer (&self->response_id, g_free);
  g_clear_pointer (&self->previous_response_id, g_free);
  g_clear_pointer (&self->image_call_id, g_free);

  G_OBJECT_CLASS (easel_turn_parent_class)->finalize (object);
}

static void
easel_turn_class_init (EaselTurnClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = easel_turn_finalize;
}

static void
easel_turn_init (EaselTurn *self)
{
}

EaselTurn *
easel_turn_new (void)
{
  return g_object_new (EASEL_TYPE_TURN, NULL);
}

G_DEFINE_FINAL_TYPE (EaselConversation, easel_conversation, G_TYPE_OBJECT)

static void
easel_conversation_finalize (GObject *object)
{
  EaselConversation *self = EASEL_CONVERSATION (object);

  g_clear_pointer (&self->title, g_free);

  G_OBJECT_CLASS (easel_conversation_parent_class)->finalize (object);
}

static void
easel_conversation_class_init (EaselConversationClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = easel_conversation_finalize;
}

static void
easel_conversation_init (EaselConversation *self)
{
}
