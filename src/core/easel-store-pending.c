/* easel-store-pending.c: Responses turns still running on the server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-store"

#include "config.h"

#include <string.h>

#include "easel-store-private.h"

#define MAX_PENDING_LIST   100
#define MAX_RESPONSE_ID    256

void
easel_pending_response_free (EaselPendingResponse *self)
{
  if (self == NULL)
    return;
  g_free (self->response_id);
  g_free (self->base_url);
  g_free (self->params_json);
  g_free (self);
}

/* The id is used in a URL path later: only what OpenAI ids are made of. */
static gboolean
check_response_id (const char  *response_id,
                   GError     **error)
{
  gsize len = response_id ? strlen (response_id) : 0;

  if (len > 0 && len <= MAX_RESPONSE_ID)
    {
      const char *p;

      for (p = response_id; *p; p++)
        if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-')
          break;
      if (*p == '\0')
        return TRUE;
    }
  g_set_error_literal (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID,
                       "Not a response id");
  return FALSE;
}

/* Compared without trailing slashes; NULL and "" are the default server. */
static char *
normalize_base_url (const char *base_url)
{
  char *url = g_strdup (base_url ? base_url : "");
  gsize len = strlen (url);

  while (len > 0 && url[len - 1] == '/')
    url[--len] = '\0';
  return url;
}

static char *
dup_column_text (sqlite3_stmt *stmt,
                 int           column)
{
  const char *text = (const char *) sqlite3_column_text (stmt, column);

  return text ? g_strdup (text) : NULL;
}

static EaselPendingResponse *
pending_from_row (sqlite3_stmt *stmt)
{
  EaselPendingResponse *pending = g_new0 (EaselPendingResponse, 1);

  pending->response_id = dup_column_text (stmt, 0);
  pending->base_url = dup_column_text (stmt, 1);
  pending->params_json = dup_column_text (stmt, 2);
  pending->conversation_id = sqlite3_column_int64 (stmt, 3);
  pending->turn_id = sqlite3_column_int64 (stmt, 4);
  pending->created = sqlite3_column_int64 (stmt, 5);
  return pending;
}

#define PENDING_COLUMNS "response_id, base_url, params_json, coalesce(conversation_id, 0), coalesce(turn_id, 0), created"

gboolean
easel_store_add_pending_response (EaselStore         *self,
                                  const char         *response_id,
                                  const char         *base_url,
                                  const EaselRequest *request,
                                  gint64              conversation_id,
                                  gint64              turn_id,
                                  GError            **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;
  g_autoptr(JsonNode) params = NULL;
  g_autofree char *params_json = NULL;
  g_autofree char *url = NULL;
  int rc;

  g_return_val_if_fail (EASEL_IS_STORE (self), FALSE);
  g_return_val_if_fail (request != NULL, FALSE);

  if (!check_response_id (response_id, error) || !_easel_store_check_writable (self, error))
    return FALSE;

  params = easel_request_params_to_json (request);
  params_json = json_to_string (params, FALSE);
  url = normalize_base_url (base_url);

  locker = g_mutex_locker_new (&self->mutex);
  if (!(stmt = _easel_store_prepare (self,
                                     "INSERT OR REPLACE INTO pending_responses "
                                     "(response_id, base_url, params_json, conversation_id, turn_id, created) "
                                     "VALUES (?1, ?2, ?3, nullif(?4, 0), nullif(?5, 0), ?6)", error)))
    return FALSE;
  sqlite3_bind_text (stmt, 1, response_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, url, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, params_json, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, conversation_id);
  sqlite3_bind_int64 (stmt, 5, turn_id);
  sqlite3_bind_int64 (stmt, 6, g_get_real_time () / G_USEC_PER_SEC);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    {
      _easel_store_set_sqlite_error (error, self->db, rc, "write");
      return FALSE;
    }
  return TRUE;
}

gboolean
easel_store_remove_pending_response (EaselStore  *self,
                                     const char  *response_id,
                                     GError     **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (EASEL_IS_STORE (self), FALSE);

  if (!check_response_id (response_id, error) || !_easel_store_check_writable (self, error))
    return FALSE;

  locker = g_mutex_locker_new (&self->mutex);
  if (!(stmt = _easel_store_prepare (self, "DELETE FROM pending_responses WHERE response_id = ?1", error)))
    return FALSE;
  sqlite3_bind_text (stmt, 1, response_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    {
      _easel_store_set_sqlite_error (error, self->db, rc, "write");
      return FALSE;
    }
  return TRUE;
}

GPtrArray *
easel_store_list_pending_responses (EaselStore  *self,
                                    const char  *base_url,
                                    guint        limit,
                                    GError     **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) easel_pending_response_free);
  g_autofree char *url = base_url ? normalize_base_url (base_url) : NULL;
  int rc;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);

  if (limit == 0 || limit > MAX_PENDING_LIST)
    limit = MAX_PENDING_LIST;

  locker = g_mutex_locker_new (&self->mutex);
  if (!(stmt = _easel_store_prepare (self,
                                     "SELECT " PENDING_COLUMNS " FROM pending_responses "
                                     "WHERE ?1 IS NULL OR base_url = ?1 ORDER BY created, rowid LIMIT ?2", error)))
    return NULL;
  if (url != NULL)
    sqlite3_bind_text (stmt, 1, url, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 2, (int) limit);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (rows, pending_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      _easel_store_set_sqlite_error (error, self->db, rc, "read");
      return NULL;
    }
  return g_steal_pointer (&rows);
}

EaselPendingResponse *
easel_store_get_pending_response (EaselStore  *self,
                                  const char  *response_id,
                                  GError     **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);

  if (!check_response_id (response_id, error))
    return NULL;

  locker = g_mutex_locker_new (&self->mutex);
  if (!(stmt = _easel_store_prepare (self,
                                     "SELECT " PENDING_COLUMNS " FROM pending_responses WHERE response_id = ?1",
                                     error)))
    return NULL;
  sqlite3_bind_text (stmt, 1, response_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return pending_from_row (stmt);
  if (rc == SQLITE_DONE)
    g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_NOT_FOUND,
                 "The library has no pending response %s", response_id);
  else
    _easel_store_set_sqlite_error (error, self->db, rc, "read");
  return NULL;
}
