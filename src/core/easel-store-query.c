/* easel-store-query.c: gallery queries, full-text search and the spend ledger
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-store"

#include "config.h"

#include "easel-store-private.h"

/* ------------------------------------------------------------------------- */
/* EaselStoreQuery, EaselSpend */

EaselStoreQuery *
easel_store_query_new (void)
{
  return g_new0 (EaselStoreQuery, 1);
}

EaselStoreQuery *
easel_store_query_copy (const EaselStoreQuery *self)
{
  EaselStoreQuery *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_memdup2 (self, sizeof *self);
  copy->text = g_strdup (self->text);
  copy->model = g_strdup (self->model);
  return copy;
}

void
easel_store_query_free (EaselStoreQuery *self)
{
  if (self == NULL)
    return;
  g_free (self->text);
  g_free (self->model);
  g_free (self);
}

G_DEFINE_BOXED_TYPE (EaselStoreQuery, easel_store_query, easel_store_query_copy, easel_store_query_free)

static void
spend_row_free (EaselSpendRow *row)
{
  g_free (row->key);
  g_free (row->model);
  g_free (row);
}

void
easel_spend_free (EaselSpend *self)
{
  if (self == NULL)
    return;
  g_free (self->total.key);
  g_clear_pointer (&self->per_day, g_ptr_array_unref);
  g_clear_pointer (&self->per_model, g_ptr_array_unref);
  g_clear_pointer (&self->per_day_model, g_ptr_array_unref);
  g_free (self);
}

/* ------------------------------------------------------------------------- */
/* Queries */

/* Turns free text into an FTS5 query: every word a quoted prefix term, all
 * required. Quoting keeps FTS5 syntax (AND, NEAR, ", *) out of user input. */
static char *
fts_query_for_text (const char *text)
{
  g_autoptr(GString) q = g_string_new (NULL);
  const char *p = text;

  while (p && *p)
    {
      const char *start;

      while (*p && !g_unichar_isalnum (g_utf8_get_char (p)))
        p = g_utf8_next_char (p);
      start = p;
      while (*p && g_unichar_isalnum (g_utf8_get_char (p)))
        p = g_utf8_next_char (p);
      if (p > start)
        {
          if (q->len)
            g_string_append_c (q, ' ');
          g_string_append_c (q, '"');
          g_string_append_len (q, start, p - start);
          g_string_append (q, "\"*");
        }
    }
  return q->len ? g_string_free (g_steal_pointer (&q), FALSE) : NULL;
}

static char *
build_where (const EaselStoreQuery *q, const char *fts)
{
  GString *s = g_string_new (fts ? " JOIN generations_fts f ON f.rowid = g.id WHERE generations_fts MATCH :fts"
                                 : " WHERE 1");

  g_string_append (s, q->deleted_only ? " AND g.deleted_at > 0" : " AND g.deleted_at = 0");
  if (!q->include_failed)
    g_string_append (s, " AND g.status IN ('ok', 'incomplete')");
  if (q->model)
    g_string_append (s, " AND g.model = :model");
  if (q->since)
    g_string_append (s, " AND g.created >= :since");
  if (q->until)
    g_string_append (s, " AND g.created < :until");
  if (q->conversation_id)
    g_string_append (s, " AND g.conversation_id = :conv");
  if (q->batch_job)
    g_string_append (s, " AND g.batch = :batch");
  if (q->starred_only)
    g_string_append (s, " AND g.starred = 1");
  if (q->comparison_id)
    g_string_append (s, " AND g.comparison = :cmp");
  return g_string_free (s, FALSE);
}

static void
bind_query (sqlite3_stmt *stmt, const EaselStoreQuery *q, const char *fts)
{
  int i;

  if ((i = sqlite3_bind_parameter_index (stmt, ":fts")))
    sqlite3_bind_text (stmt, i, fts, -1, SQLITE_TRANSIENT);
  if ((i = sqlite3_bind_parameter_index (stmt, ":model")))
    sqlite3_bind_text (stmt, i, q->model, -1, SQLITE_TRANSIENT);
  if ((i = sqlite3_bind_parameter_index (stmt, ":since")))
    sqlite3_bind_int64 (stmt, i, q->since);
  if ((i = sqlite3_bind_parameter_index (stmt, ":until")))
    sqlite3_bind_int64 (stmt, i, q->until);
  if ((i = sqlite3_bind_parameter_index (stmt, ":conv")))
    sqlite3_bind_int64 (stmt, i, q->conversation_id);
  if ((i = sqlite3_bind_parameter_index (stmt, ":cmp")))
    sqlite3_bind_int64 (stmt, i, q->comparison_id);
  if ((i = sqlite3_bind_parameter_index (stmt, ":batch")))
    sqlite3_bind_int64 (stmt, i, q->batch_job);
  if ((i = sqlite3_bind_parameter_index (stmt, ":limit")))
    sqlite3_bind_int64 (stmt, i, q->limit ? (gint64) q->limit : -1);
  if ((i = sqlite3_bind_parameter_index (stmt, ":offset")))
    sqlite3_bind_int64 (stmt, i, q->offset);
}

/* Searches with more FTS matches than this page through the gallery's index
 * instead of sorting every match. Below it, looking each match up is
 * cheaper than walking an index of the whole gallery. */
#define FTS_WALK_INDEX_MIN 2000

/* Text search in what the gallery shows by default: nothing but the text
 * narrows it, and deleted and failed generations are left out. */
static gboolean
is_plain_gallery_search (const EaselStoreQuery *q)
{
  return !q->deleted_only && !q->include_failed && q->model == NULL && q->since == 0 &&
         q->until == 0 && q->conversation_id == 0 && q->batch_job == 0 && !q->starred_only &&
         q->comparison_id == 0;
}

static gboolean
read_int64 (EaselStore  *self,
            const char  *sql,
            gint64      *value,
            GError     **error)
{
  g_autoptr(EaselStmt) stmt = NULL;
  int rc;

  if (!(stmt = _easel_store_prepare (self, sql, error)))
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      _easel_store_set_sqlite_error (error, self->db, rc, "read");
      return FALSE;
    }
  *value = sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

/* easel_fts_hit (id): whether @id is among the last search's matches. A
 * binary search in an array, where a temporary table cost an insert per
 * match (9 of the 13 ms of a search matching half of 100,000 rows). */
static void
fts_hit_func (sqlite3_context  *ctx,
              int               argc,
              sqlite3_value   **argv)
{
  EaselStore *self = sqlite3_user_data (ctx);
  GArray *hits = self->fts_hits;
  gint64 id = sqlite3_value_int64 (argv[0]);
  guint lo = 0;
  guint hi = hits != NULL ? hits->len : 0;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      gint64 v = g_array_index (hits, gint64, mid);

      if (v == id)
        {
          sqlite3_result_int (ctx, 1);
          return;
        }
      if (v < id)
        lo = mid + 1;
      else
        hi = mid;
    }
  sqlite3_result_int (ctx, 0);
}

/* easel_fts_collect (rowid): an aggregate that appends every rowid to
 * self->fts_hits, so that reading 50,000 matches is one sqlite3_step ()
 * instead of 50,000. */
static void
fts_collect_step (sqlite3_context  *ctx,
                  int               argc,
                  sqlite3_value   **argv)
{
  EaselStore *self = sqlite3_user_data (ctx);
  gint64 id = sqlite3_value_int64 (argv[0]);

  g_array_append_val (self->fts_hits, id);
}

static void
fts_collect_final (sqlite3_context *ctx)
{
  sqlite3_result_null (ctx);
}

static int
compare_int64 (gconstpointer a,
               gconstpointer b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return (x > y) - (x < y);
}

/* Reads the rowids matching @fts into self->fts_hits and returns how many
 * there are. Counting hidden matches and paging then test ids against it
 * (easel_fts_hit), where each used to build the match list again from the
 * FTS index; the next pages of the same search reuse it until anything is
 * written. Called with the mutex. */
static gboolean
fill_fts_hits (EaselStore  *self,
               const char  *fts,
               gint64      *n_matches,
               GError     **error)
{
  g_autoptr(EaselStmt) select = NULL;
  gint64 data_version = 0;
  gboolean sorted = TRUE;
  int rc;

  if (!read_int64 (self, "PRAGMA data_version", &data_version, error))
    return FALSE;

  if (self->fts_hits_query != NULL && g_str_equal (self->fts_hits_query, fts) &&
      self->fts_hits_changes == sqlite3_total_changes64 (self->db) &&
      self->fts_hits_data_version == data_version)
    {
      *n_matches = self->fts_hits_count;
      return TRUE;
    }

  if (self->fts_hit_db != self->db)
    {
      /* Only for the statements below, never from a trigger or view. */
      rc = sqlite3_create_function_v2 (self->db, "easel_fts_hit", 1,
                                       SQLITE_UTF8 | SQLITE_DIRECTONLY, self,
                                       fts_hit_func, NULL, NULL, NULL);
      if (rc == SQLITE_OK)
        rc = sqlite3_create_function_v2 (self->db, "easel_fts_collect", 1,
                                         SQLITE_UTF8 | SQLITE_DIRECTONLY, self,
                                         NULL, fts_collect_step, fts_collect_final, NULL);
      if (rc != SQLITE_OK)
        {
          _easel_store_set_sqlite_error (error, self->db, rc, "search");
          return FALSE;
        }
      self->fts_hit_db = self->db;
    }

  g_clear_pointer (&self->fts_hits_query, g_free);
  if (self->fts_hits == NULL)
    self->fts_hits = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_array_set_size (self->fts_hits, 0);

  if (!(select = _easel_store_prepare (self, "SELECT easel_fts_collect (rowid) FROM generations_fts "
                                             "WHERE generations_fts MATCH :fts", error)))
    return FALSE;
  sqlite3_bind_text (select, sqlite3_bind_parameter_index (select, ":fts"), fts, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (select);
  if (rc != SQLITE_ROW)
    {
      g_array_set_size (self->fts_hits, 0);
      _easel_store_set_sqlite_error (error, self->db, rc, "search");
      return FALSE;
    }

  /* FTS5 gives rowids in ascending order; do not depend on it. */
  for (guint i = 1; i < self->fts_hits->len && sorted; i++)
    sorted = g_array_index (self->fts_hits, gint64, i - 1) < g_array_index (self->fts_hits, gint64, i);
  if (!sorted)
    g_array_sort (self->fts_hits, compare_int64);

  self->fts_hits_count = self->fts_hits->len;
  self->fts_hits_changes = sqlite3_total_changes64 (self->db);
  self->fts_hits_data_version = data_version;
  self->fts_hits_query = g_strdup (fts);
  *n_matches = self->fts_hits_count;
  return TRUE;
}

GPtrArray *
easel_store_query (EaselStore            *self,
                   const EaselStoreQuery *query,
                   guint                 *total_count,
                   GError               **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;
  g_autofree char *fts = NULL;
  g_autofree char *where = NULL;
  g_autofree char *sql = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  const char *order;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);
  g_return_val_if_fail (query != NULL, NULL);

  fts = fts_query_for_text (query->text);
  where = build_where (query, fts);
  switch (query->sort)
    {
    case EASEL_STORE_SORT_OLDEST:
      order = "g.created ASC, g.id ASC";
      break;
    case EASEL_STORE_SORT_COST:
      order = "coalesce(g.actual_usd, g.estimated_usd, -1) DESC, g.id DESC";
      break;
    case EASEL_STORE_SORT_NEWEST:
    default:
      order = "g.created DESC, g.id DESC";
    }

  locker = g_mutex_locker_new (&self->mutex);

  if (fts != NULL && is_plain_gallery_search (query))
    {
      /* A common word matches tens of thousands of rows; joining each to
       * its row and sorting them all was most of a search. Count the
       * matches in the FTS index alone and subtract the hidden ones (a
       * small partial index); page by walking the gallery's index in
       * order until enough matches came by, when there are many. */
      gint64 n_matches = 0;

      if (!fill_fts_hits (self, fts, &n_matches, error))
        return NULL;

      if (n_matches >= FTS_WALK_INDEX_MIN && query->sort != EASEL_STORE_SORT_COST)
        {
          const char *inner_order = query->sort == EASEL_STORE_SORT_OLDEST
                                    ? "g2.created ASC, g2.id ASC" : "g2.created DESC, g2.id DESC";

          sql = g_strdup_printf ("SELECT " GEN_COLUMNS " FROM generations g WHERE g.id IN "
                                 "(SELECT g2.id FROM generations g2 INDEXED BY generations_gallery "
                                 "WHERE easel_fts_hit (g2.id) "
                                 "AND g2.deleted_at = 0 AND g2.status IN ('ok', 'incomplete') ORDER BY %s LIMIT :limit OFFSET :offset) "
                                 "ORDER BY %s", inner_order, order);
        }
      else
        sql = g_strdup_printf ("SELECT " GEN_COLUMNS " FROM generations g%s ORDER BY %s LIMIT :limit OFFSET :offset",
                               where, order);
      if (!(stmt = _easel_store_prepare (self, sql, error)))
        return NULL;
      bind_query (stmt, query, fts);
      if (!(rows = _easel_store_collect_generations (self, stmt, error)))
        return NULL;

      if (total_count != NULL)
        {
          gint64 n_hidden = 0;

          if (!read_int64 (self,
                           "SELECT count(*) FROM generations g INDEXED BY generations_hidden "
                           "WHERE (" HIDDEN_FILTER ") AND easel_fts_hit (g.id)",
                           &n_hidden, error))
            return NULL;
          *total_count = (guint) (n_matches - n_hidden);
        }

      return g_steal_pointer (&rows);
    }

  sql = g_strdup_printf ("SELECT " GEN_COLUMNS " FROM generations g%s ORDER BY %s LIMIT :limit OFFSET :offset",
                         where, order);
  if (!(stmt = _easel_store_prepare (self, sql, error)))
    return NULL;
  bind_query (stmt, query, fts);
  if (!(rows = _easel_store_collect_generations (self, stmt, error)))
    return NULL;

  if (total_count != NULL)
    {
      g_autofree char *count_sql = g_strdup_printf ("SELECT count(*) FROM generations g%s", where);
      g_autoptr(EaselStmt) count = NULL;
      int rc;

      if (!(count = _easel_store_prepare (self, count_sql, error)))
        return NULL;
      bind_query (count, query, fts);
      rc = sqlite3_step (count);
      if (rc != SQLITE_ROW)
        {
          _easel_store_set_sqlite_error (error, self->db, rc, "read");
          return NULL;
        }
      *total_count = sqlite3_column_int64 (count, 0);
    }

  return g_steal_pointer (&rows);
}

typedef struct
{
  GPtrArray *rows;
  guint      total;
} QueryResult;

static void
query_result_free (QueryResult *r)
{
  g_clear_pointer (&r->rows, g_ptr_array_unref);
  g_free (r);
}

static void
query_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  const EaselStoreQuery *query = task_data;
  QueryResult *r;
  GError *error = NULL;

  /* A search replaced by another one while it waited (the gallery cancels on reset). */
  if (g_task_return_error_if_cancelled (task))
    return;

  r = g_new0 (QueryResult, 1);
  r->rows = easel_store_query (source_object, query, query->skip_count ? NULL : &r->total, &error);
  if (r->rows)
    g_task_return_pointer (task, r, (GDestroyNotify) query_result_free);
  else
    {
      query_result_free (r);
      g_task_return_error (task, error);
    }
}

void
easel_store_query_async (EaselStore            *self,
                         const EaselStoreQuery *query,
                         GCancellable          *cancellable,
                         GAsyncReadyCallback    callback,
                         gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (EASEL_IS_STORE (self));
  g_return_if_fail (query != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_store_query_async);
  g_task_set_task_data (task, easel_store_query_copy (query), (GDestroyNotify) easel_store_query_free);
  g_task_run_in_thread (task, query_thread);
}

GPtrArray *
easel_store_query_finish (EaselStore   *self,
                          GAsyncResult *result,
                          guint        *total_count,
                          GError      **error)
{
  QueryResult *r;
  GPtrArray *rows;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  if (!(r = g_task_propagate_pointer (G_TASK (result), error)))
    return NULL;
  if (total_count)
    *total_count = r->total;
  rows = g_steal_pointer (&r->rows);
  query_result_free (r);
  return rows;
}

/* ------------------------------------------------------------------------- */
/* Spend ledger */

#define SPEND_COST \
  "CASE WHEN actual_usd IS NOT NULL THEN actual_usd " \
  "WHEN status = 'cancelled' THEN 0 ELSE coalesce(estimated_usd, 0) END"

/* @model_expr: a second grouping column, read into row->model (NULL: none). */
static gboolean
spend_rows (EaselStore *self, const char *key_expr, const char *model_expr, const char *order, gint64 since,
            GPtrArray *out, EaselSpendRow *single, GError **error)
{
  g_autofree char *sql = NULL;
  g_autoptr(EaselStmt) stmt = NULL;
  int rc;

  sql = g_strdup_printf ("SELECT %s AS k, %s AS m, sum(c), "
                         "sum(CASE WHEN status IN ('failed','moderated') THEN c ELSE 0 END), "
                         "sum(status = 'ok'), sum(status = 'failed'), sum(status = 'moderated'), "
                         "sum(status = 'cancelled'), "
                         "sum(actual_usd IS NULL AND estimated_usd IS NOT NULL AND status != 'cancelled'), "
                         "sum(input_tokens), sum(output_tokens), sum(status = 'incomplete') "
                         "FROM (SELECT *, " SPEND_COST " AS c FROM generations WHERE created >= ?1) "
                         "%s%s%s",
                         key_expr, model_expr ? model_expr : "NULL",
                         single ? "" : "GROUP BY k, m ORDER BY ", single ? "" : order, "");
  if (!(stmt = _easel_store_prepare (self, sql, error)))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, since);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      EaselSpendRow *row = single ? single : g_new0 (EaselSpendRow, 1);

      row->key = single ? NULL : col_text (stmt, 0);
      row->model = model_expr && !single ? col_text (stmt, 1) : NULL;
      row->usd = sqlite3_column_double (stmt, 2);
      row->failed_usd = sqlite3_column_double (stmt, 3);
      row->n_ok = sqlite3_column_int (stmt, 4);
      row->n_failed = sqlite3_column_int (stmt, 5);
      row->n_moderated = sqlite3_column_int (stmt, 6);
      row->n_cancelled = sqlite3_column_int (stmt, 7);
      row->n_estimated = sqlite3_column_int (stmt, 8);
      row->input_tokens = sqlite3_column_int64 (stmt, 9);
      row->output_tokens = sqlite3_column_int64 (stmt, 10);
      row->n_incomplete = sqlite3_column_int (stmt, 11);
      if (!single)
        g_ptr_array_add (out, row);
    }
  if (rc != SQLITE_DONE)
    {
      _easel_store_set_sqlite_error (error, self->db, rc, "read");
      return FALSE;
    }
  return TRUE;
}

EaselSpend *
easel_store_get_spend (EaselStore *self, gint64 since, GError **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselSpend) spend = g_new0 (EaselSpend, 1);

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);

  spend->per_day = g_ptr_array_new_with_free_func ((GDestroyNotify) spend_row_free);
  spend->per_model = g_ptr_array_new_with_free_func ((GDestroyNotify) spend_row_free);
  spend->per_day_model = g_ptr_array_new_with_free_func ((GDestroyNotify) spend_row_free);

  locker = g_mutex_locker_new (&self->mutex);
  /* One read transaction so the four views agree. */
  if (!_easel_store_exec (self->db, "BEGIN", "read", error))
    return NULL;
  if (!spend_rows (self, "NULL", NULL, NULL, since, NULL, &spend->total, error) ||
      !spend_rows (self, "date(created, 'unixepoch', 'localtime')", NULL, "k DESC", since,
                   spend->per_day, NULL, error) ||
      !spend_rows (self, "coalesce(model, '')", NULL, "sum(c) DESC, k", since,
                   spend->per_model, NULL, error) ||
      !spend_rows (self, "date(created, 'unixepoch', 'localtime')", "coalesce(model, '')",
                   "k DESC, sum(c) DESC, m", since, spend->per_day_model, NULL, error))
    {
      _easel_store_exec (self->db, "ROLLBACK", "read", NULL);
      return NULL;
    }
  _easel_store_exec (self->db, "COMMIT", "read", NULL);
  return g_steal_pointer (&spend);
}

/* At most this many names: a library imported from elsewhere could hold
 * any number of made-up models. */
#define MAX_LISTED_MODELS 64

GStrv
easel_store_list_models (EaselStore  *self,
                         GError     **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  int rc;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);

  locker = g_mutex_locker_new (&self->mutex);
  if (!(stmt = _easel_store_prepare (self,
                                     "SELECT DISTINCT model FROM generations WHERE " GALLERY_FILTER
                                     " AND model IS NOT NULL AND model != '' ORDER BY model LIMIT "
                                     G_STRINGIFY (MAX_LISTED_MODELS), error)))
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *model = (const char *) sqlite3_column_text (stmt, 0);

      if (model != NULL && g_utf8_validate (model, -1, NULL))
        g_strv_builder_add (builder, model);
    }
  if (rc != SQLITE_DONE)
    {
      _easel_store_set_sqlite_error (error, self->db, rc, "read");
      return NULL;
    }
  return g_strv_builder_end (builder);
}
