/* easel-store-conversations.c: conversations and their turns
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-store"

#include "config.h"

#include "easel-store-private.h"

/* ------------------------------------------------------------------------- */
/* Conversations and turns */

#define CONV_COLUMNS "id, title, created, updated, last_turn"
#define TURN_COLUMNS "id, conversation_id, parent_turn_id, user_text, assistant_text, response_id, " \
                     "previous_response_id, image_call_id, generation_id, created"

static EaselConversation *
conversation_from_row (sqlite3_stmt *stmt)
{
  EaselConversation *c = g_object_new (EASEL_TYPE_CONVERSATION, NULL);

  c->id = sqlite3_column_int64 (stmt, 0);
  c->title = col_text (stmt, 1);
  c->created = sqlite3_column_int64 (stmt, 2);
  c->updated = sqlite3_column_int64 (stmt, 3);
  c->last_turn = sqlite3_column_int64 (stmt, 4);
  return c;
}

static EaselTurn *
turn_from_row (sqlite3_stmt *stmt)
{
  EaselTurn *t = easel_turn_new ();

  t->id = sqlite3_column_int64 (stmt, 0);
  t->conversation_id = sqlite3_column_int64 (stmt, 1);
  t->parent_turn_id = sqlite3_column_int64 (stmt, 2);
  t->user_text = col_text (stmt, 3);
  t->assistant_text = col_text (stmt, 4);
  t->response_id = col_text (stmt, 5);
  t->previous_response_id = col_text (stmt, 6);
  t->image_call_id = col_text (stmt, 7);
  t->generation_id = sqlite3_column_int64 (stmt, 8);
  t->created = sqlite3_column_int64 (stmt, 9);
  return t;
}

static GPtrArray *
collect (EaselStore *self, sqlite3_stmt *stmt, gpointer (*from_row) (sqlite3_stmt *), GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_object_unref);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (out, from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      _easel_store_set_sqlite_error (error, self->db, rc, "read");
      return NULL;
    }
  return g_steal_pointer (&out);
}

EaselConversation *
_easel_store_get_conversation_locked (EaselStore *self, gint64 id, GError **error)
{
  g_autoptr(EaselStmt) stmt = _easel_store_prepare (self, "SELECT " CONV_COLUMNS " FROM conversations WHERE id = ?1", error);
  g_autoptr(GPtrArray) rows = NULL;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, id);
  if (!(rows = collect (self, stmt, (gpointer) conversation_from_row, error)))
    return NULL;
  if (rows->len == 0)
    {
      g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_NOT_FOUND,
                   "There is no conversation %" G_GINT64_FORMAT " in the library", id);
      return NULL;
    }
  return g_object_ref (rows->pdata[0]);
}

EaselConversation *
easel_store_get_conversation (EaselStore *self, gint64 id, GError **error)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);

  locker = g_mutex_locker_new (&self->mutex);
  return _easel_store_get_conversation_locked (self, id, error);
}

EaselConversation *
easel_store_create_conversation (EaselStore *self, const char *title, GError **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  int rc;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);

  if (!_easel_store_check_writable (self, error))
    return NULL;
  locker = g_mutex_locker_new (&self->mutex);
  if (!(stmt = _easel_store_prepare (self, "INSERT INTO conversations (title, created, updated) VALUES (?1, ?2, ?2)", error)))
    return NULL;
  sqlite3_bind_text (stmt, 1, title ? title : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, now);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    {
      _easel_store_set_sqlite_error (error, self->db, rc, "write to");
      return NULL;
    }
  _easel_store_queue_changed (self);
  return _easel_store_get_conversation_locked (self, sqlite3_last_insert_rowid (self->db), error);
}

GPtrArray *
easel_store_list_conversations (EaselStore *self, GError **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);

  locker = g_mutex_locker_new (&self->mutex);
  if (!(stmt = _easel_store_prepare (self, "SELECT " CONV_COLUMNS " FROM conversations ORDER BY updated DESC, id DESC", error)))
    return NULL;
  return collect (self, stmt, (gpointer) conversation_from_row, error);
}

gboolean
easel_store_rename_conversation (EaselStore *self, gint64 id, const char *title, GError **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (self), FALSE);

  if (!_easel_store_check_writable (self, error))
    return FALSE;
  locker = g_mutex_locker_new (&self->mutex);
  if (!(stmt = _easel_store_prepare (self, "UPDATE conversations SET title = ?1 WHERE id = ?2", error)))
    return FALSE;
  sqlite3_bind_text (stmt, 1, title ? title : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, id);
  return _easel_store_step_update_one (self, stmt, "conversation", id, error);
}

gboolean
_easel_store_add_turn_locked (EaselStore *self, EaselTurn *turn, GError **error)
{
  g_autoptr(EaselStmt) stmt = NULL;
  int rc;

  if (turn->parent_turn_id > 0)
    {
      gint64 parent_conv;

      if (!(stmt = _easel_store_prepare (self, "SELECT conversation_id FROM turns WHERE id = ?1", error)))
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, turn->parent_turn_id);
      rc = sqlite3_step (stmt);
      if (rc != SQLITE_ROW)
        {
          if (rc == SQLITE_DONE)
            g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_NOT_FOUND,
                         "There is no turn %" G_GINT64_FORMAT " in the library", turn->parent_turn_id);
          else
            _easel_store_set_sqlite_error (error, self->db, rc, "read");
          return FALSE;
        }
      parent_conv = sqlite3_column_int64 (stmt, 0);
      g_clear_pointer (&stmt, sqlite3_finalize);
      if (parent_conv != turn->conversation_id)
        {
          g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID,
                       "Turn %" G_GINT64_FORMAT " belongs to another conversation", turn->parent_turn_id);
          return FALSE;
        }
    }

  if (turn->created == 0)
    turn->created = g_get_real_time () / G_USEC_PER_SEC;

  if (!(stmt = _easel_store_prepare (self, "INSERT INTO turns (conversation_id, parent_turn_id, user_text, assistant_text, "
                              "response_id, previous_response_id, image_call_id, generation_id, created) "
                              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", error)))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, turn->conversation_id);
  bind_id (stmt, 2, turn->parent_turn_id);
  bind_text (stmt, 3, turn->user_text);
  bind_text (stmt, 4, turn->assistant_text);
  bind_text (stmt, 5, turn->response_id);
  bind_text (stmt, 6, turn->previous_response_id);
  bind_text (stmt, 7, turn->image_call_id);
  bind_id (stmt, 8, turn->generation_id);
  sqlite3_bind_int64 (stmt, 9, turn->created);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    {
      if ((rc & 0xff) == SQLITE_CONSTRAINT)
        g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_NOT_FOUND,
                     "There is no conversation %" G_GINT64_FORMAT " (or image) for this turn",
                     turn->conversation_id);
      else
        _easel_store_set_sqlite_error (error, self->db, rc, "write to");
      return FALSE;
    }
  turn->id = sqlite3_last_insert_rowid (self->db);
  g_clear_pointer (&stmt, sqlite3_finalize);

  if (!(stmt = _easel_store_prepare (self, "UPDATE conversations SET updated = ?1, last_turn = ?2 WHERE id = ?3", error)))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, turn->created);
  sqlite3_bind_int64 (stmt, 2, turn->id);
  sqlite3_bind_int64 (stmt, 3, turn->conversation_id);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    {
      _easel_store_set_sqlite_error (error, self->db, rc, "write to");
      return FALSE;
    }
  return TRUE;
}

gint64
easel_store_add_turn (EaselStore *self, EaselTurn *turn, GError **error)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (self), 0);
  g_return_val_if_fail (EASEL_IS_TURN (turn), 0);
  g_return_val_if_fail (turn->id == 0, 0);

  if (!_easel_store_check_writable (self, error))
    return 0;
  locker = g_mutex_locker_new (&self->mutex);
  if (!_easel_store_exec (self->db, "BEGIN IMMEDIATE", "write to", error))
    return 0;
  if (!_easel_store_add_turn_locked (self, turn, error) || !_easel_store_exec (self->db, "COMMIT", "write to", error))
    {
      _easel_store_exec (self->db, "ROLLBACK", "write to", NULL);
      turn->id = 0;
      return 0;
    }
  _easel_store_queue_changed (self);
  return turn->id;
}

gboolean
easel_store_update_turn (EaselStore *self, EaselTurn *turn, GError **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (self), FALSE);
  g_return_val_if_fail (EASEL_IS_TURN (turn), FALSE);

  if (!_easel_store_check_writable (self, error))
    return FALSE;
  locker = g_mutex_locker_new (&self->mutex);
  if (!(stmt = _easel_store_prepare (self, "UPDATE turns SET assistant_text = ?1, response_id = ?2, image_call_id = ?3, "
                              "generation_id = ?4 WHERE id = ?5", error)))
    return FALSE;
  bind_text (stmt, 1, turn->assistant_text);
  bind_text (stmt, 2, turn->response_id);
  bind_text (stmt, 3, turn->image_call_id);
  bind_id (stmt, 4, turn->generation_id);
  sqlite3_bind_int64 (stmt, 5, turn->id);
  return _easel_store_step_update_one (self, stmt, "turn", turn->id, error);
}

gboolean
easel_store_set_turn_image (EaselStore  *self,
                            gint64       turn_id,
                            gint64       generation_id,
                            GError     **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (self), FALSE);

  if (!_easel_store_check_writable (self, error))
    return FALSE;
  locker = g_mutex_locker_new (&self->mutex);
  if (!(stmt = _easel_store_prepare (self, "UPDATE turns SET generation_id = ?1 WHERE id = ?2", error)))
    return FALSE;
  bind_id (stmt, 1, generation_id);
  sqlite3_bind_int64 (stmt, 2, turn_id);
  return _easel_store_step_update_one (self, stmt, "turn", turn_id, error);
}

GPtrArray *
easel_store_list_turns (EaselStore *self, gint64 conversation_id, GError **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);

  locker = g_mutex_locker_new (&self->mutex);
  if (!(stmt = _easel_store_prepare (self, "SELECT " TURN_COLUMNS " FROM turns WHERE conversation_id = ?1 ORDER BY id", error)))
    return NULL;
  sqlite3_bind_int64 (stmt, 1, conversation_id);
  return collect (self, stmt, (gpointer) turn_from_row, error);
}

GPtrArray *
_easel_store_turn_path_locked (EaselStore *self, gint64 turn_id, GError **error)
{
  g_autoptr(EaselStmt) stmt = NULL;
  g_autoptr(GPtrArray) rows = NULL;

  /* Walk up the tree; depth bounds a (corrupt) cycle. */
  if (!(stmt = _easel_store_prepare (self, "WITH RECURSIVE up(id, depth) AS ("
                              "  SELECT ?1, 0 UNION ALL"
                              "  SELECT t.parent_turn_id, up.depth + 1 FROM turns t JOIN up ON t.id = up.id"
                              "  WHERE t.parent_turn_id IS NOT NULL AND up.depth < 100000) "
                              "SELECT t.id, t.conversation_id, t.parent_turn_id, t.user_text, t.assistant_text, "
                              "t.response_id, t.previous_response_id, t.image_call_id, t.generation_id, t.created "
                              "FROM up JOIN turns t ON t.id = up.id ORDER BY up.depth DESC", error)))
    return NULL;
  sqlite3_bind_int64 (stmt, 1, turn_id);
  if (!(rows = collect (self, stmt, (gpointer) turn_from_row, error)))
    return NULL;
  if (rows->len == 0)
    {
      g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_NOT_FOUND,
                   "There is no turn %" G_GINT64_FORMAT " in the library", turn_id);
      return NULL;
    }
  return g_steal_pointer (&rows);
}

GPtrArray *
easel_store_get_turn_path (EaselStore *self, gint64 turn_id, GError **error)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);

  locker = g_mutex_locker_new (&self->mutex);
  return _easel_store_turn_path_locked (self, turn_id, error);
}
