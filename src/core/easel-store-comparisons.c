/* easel-store-comparisons.c: Compare sets in the library
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-store"

#include "config.h"

#include "easel-comparison.h"
#include "easel-store-private.h"

static void
rollback (EaselStore *self,
          GPtrArray  *gens)
{
  _easel_store_exec (self->db, "ROLLBACK", "write to", NULL);
  for (guint i = 0; gens != NULL && i < gens->len; i++)
    ((EaselGeneration *) gens->pdata[i])->id = 0;
}

gint64
easel_store_add_comparison (EaselStore  *self,
                            const char  *prompt,
                            guint        n_cells,
                            double       estimated_usd,
                            GError     **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (EASEL_IS_STORE (self), 0);

  if (!_easel_store_check_writable (self, error))
    return 0;

  locker = g_mutex_locker_new (&self->mutex);
  stmt = _easel_store_prepare (self,
                               "INSERT INTO comparisons (prompt, n_cells, estimated_usd, created) "
                               "VALUES (?1, ?2, ?3, ?4)", error);
  if (stmt == NULL)
    return 0;
  bind_text (stmt, 1, prompt ? prompt : "");
  sqlite3_bind_int (stmt, 2, (int) n_cells);
  bind_usd (stmt, 3, estimated_usd);
  sqlite3_bind_int64 (stmt, 4, g_get_real_time () / G_USEC_PER_SEC);
  if ((rc = sqlite3_step (stmt)) != SQLITE_DONE)
    {
      _easel_store_set_sqlite_error (error, self->db, rc, "write to");
      return 0;
    }
  return sqlite3_last_insert_rowid (self->db);
}

static gboolean
comparison_exists_locked (EaselStore  *self,
                          gint64       comparison,
                          GError     **error)
{
  g_autoptr(EaselStmt) stmt = _easel_store_prepare (self, "SELECT 1 FROM comparisons WHERE id = ?1", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, comparison);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return TRUE;
  if (rc == SQLITE_DONE)
    g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_NOT_FOUND,
                 "The library has no comparison %" G_GINT64_FORMAT, comparison);
  else
    _easel_store_set_sqlite_error (error, self->db, rc, "read");
  return FALSE;
}

GPtrArray *
easel_store_record_comparison_cell (EaselStore               *self,
                                    gint64                    comparison,
                                    guint                     cell,
                                    const EaselRequest       *request,
                                    const EaselResult        *result,
                                    const GError             *request_error,
                                    const EaselRecordOptions *options,
                                    GError                  **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(GPtrArray) gens = NULL;
  g_autoptr(GPtrArray) rels = NULL;
  g_autoptr(EaselStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);
  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (result != NULL || request_error != NULL, NULL);

  if (!_easel_store_check_writable (self, error))
    return NULL;

  /* The files are written first; an orphan left by a crash is swept. */
  if (!_easel_store_record_prepare (self, request, result, request_error, options, &gens, &rels, error))
    return NULL;

  locker = g_mutex_locker_new (&self->mutex);
  if (!_easel_store_exec (self->db, "BEGIN IMMEDIATE", "write to", error))
    return NULL;
  if (!comparison_exists_locked (self, comparison, error))
    {
      rollback (self, NULL);
      return NULL;
    }
  stmt = _easel_store_prepare (self,
                               "UPDATE generations SET comparison = ?2, comparison_cell = ?3 WHERE id = ?1",
                               error);
  if (stmt == NULL)
    {
      rollback (self, NULL);
      return NULL;
    }
  for (guint i = 0; i < gens->len; i++)
    {
      EaselGeneration *g = gens->pdata[i];

      if (!_easel_store_insert_generation_row (self, g, rels->pdata[i], error))
        {
          rollback (self, gens);
          return NULL;
        }
      sqlite3_reset (stmt);
      sqlite3_bind_int64 (stmt, 1, g->id);
      sqlite3_bind_int64 (stmt, 2, comparison);
      sqlite3_bind_int (stmt, 3, (int) cell);
      if ((rc = sqlite3_step (stmt)) != SQLITE_DONE)
        {
          _easel_store_set_sqlite_error (error, self->db, rc, "write to");
          rollback (self, gens);
          return NULL;
        }
    }
  if (!_easel_store_exec (self->db, "COMMIT", "write to", error))
    {
      rollback (self, gens);
      return NULL;
    }
  for (guint i = 0; i < gens->len; i++)
    {
      EaselGeneration *g = gens->pdata[i];

      if (rels->pdata[i] != NULL)
        {
          g_free (g->path);
          g->path = g_build_filename (self->dir, rels->pdata[i], NULL);
        }
    }
  _easel_store_queue_changed (self);
  return g_steal_pointer (&gens);
}

GPtrArray *
easel_store_list_comparison (EaselStore  *self,
                             gint64       comparison,
                             GArray     **out_cells,
                             GError     **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;
  g_autoptr(GPtrArray) gens = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GArray) cells = g_array_new (FALSE, FALSE, sizeof (guint));
  int rc;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);

  locker = g_mutex_locker_new (&self->mutex);
  if (!comparison_exists_locked (self, comparison, error))
    return NULL;
  stmt = _easel_store_prepare (self,
                               "SELECT " GEN_COLUMNS ", g.comparison_cell FROM generations g "
                               "WHERE g.comparison = ?1 AND g.deleted_at = 0 "
                               "ORDER BY g.comparison_cell, g.id", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, comparison);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      guint cell = (guint) sqlite3_column_int (stmt, sqlite3_column_count (stmt) - 1);

      g_ptr_array_add (gens, _easel_store_generation_from_row (self, stmt));
      g_array_append_val (cells, cell);
    }
  if (rc != SQLITE_DONE)
    {
      _easel_store_set_sqlite_error (error, self->db, rc, "read");
      return NULL;
    }
  if (out_cells != NULL)
    *out_cells = g_steal_pointer (&cells);
  return g_steal_pointer (&gens);
}
