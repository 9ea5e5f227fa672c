/* easel-store-private.h: what the easel-store*.c files share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Not installed, not for the app or the CLI: only src/core/easel-store*.c
 * include it. Functions named _easel_store_*_locked must be called with
 * self->mutex held.
 */
#pragma once

#include <sqlite3.h>

#include "easel-store.h"

G_BEGIN_DECLS

/* Orphan image files younger than this are kept: another process may be
 * between writing the file and committing its row. */
#define ORPHAN_GRACE_SECONDS (15 * 60)
#define BUSY_TIMEOUT_MS 10000

struct _EaselStore
{
  GObject       parent_instance;

  char         *dir;
  char         *images_dir;
  char         *db_path;
  sqlite3      *db;
  GMutex        mutex;          /* serialises every use of db */
  GMainContext *context;        /* where "changed" is emitted */
  gint          changed_pending;
  gboolean      read_only;      /* opened read-only: every write fails with READ_ONLY */

  /* The last plain search's matches, rowids in ascending order, which SQL
   * tests through easel_fts_hit() (mutex) */
  GArray       *fts_hits;
  sqlite3      *fts_hit_db;            /* the connection easel_fts_hit() is defined on */
  char         *fts_hits_query;
  gint64        fts_hits_count;
  gint64        fts_hits_changes;      /* sqlite3_total_changes64 () after filling it */
  gint64        fts_hits_data_version; /* PRAGMA data_version then: other connections' writes */
};

/* The gallery's rows, and the rest, as the partial indexes of schema 4
 * spell them: a query must use the same text for SQLite to use the index.
 * deleted_at is 0 or a time; status is NOT NULL. */
#define GALLERY_FILTER "deleted_at = 0 AND status IN ('ok', 'incomplete')"
#define HIDDEN_FILTER  "deleted_at <> 0 OR status NOT IN ('ok', 'incomplete')"

/* The columns generation_from_row() reads, in its order; "g" is generations. */
#define GEN_COLUMNS \
  "g.id, g.sha256, g.path, g.model, g.api, g.params_json, g.prompt, g.revised_prompt, " \
  "g.action, g.size, g.format, g.background, g.quality, g.usage_json, g.input_tokens, " \
  "g.output_tokens, g.estimated_usd, g.actual_usd, g.created, g.parent_generation_id, " \
  "g.mask_sha256, g.conversation_id, g.turn_id, g.starred, g.request_hash, g.status, " \
  "g.error_type, g.error_code, g.error_message, g.response_id, g.image_call_id, g.deleted_at, g.picked"

/* easel-store.c: the "changed" signal, errors, SQL */
/* FALSE with EASEL_STORE_ERROR_READ_ONLY when the library was opened read-only. */
gboolean      _easel_store_check_writable   (EaselStore    *self,
                                             GError       **error);
void          _easel_store_queue_changed    (EaselStore    *self);
void          _easel_store_set_errno_error  (GError       **error,
                                             int            err,
                                             const char    *what,
                                             const char    *path);
void          _easel_store_set_sqlite_error (GError       **error,
                                             sqlite3       *db,
                                             int            rc,
                                             const char    *what);
gboolean      _easel_store_exec             (sqlite3       *db,
                                             const char    *sql,
                                             const char    *what,
                                             GError       **error);
sqlite3_stmt *_easel_store_prepare          (EaselStore    *self,
                                             const char    *sql,
                                             GError       **error);
gboolean      _easel_store_step_update_one  (EaselStore    *self,
                                             sqlite3_stmt  *stmt,
                                             const char    *what,
                                             gint64         id,
                                             GError       **error);

/* easel-store-files.c */
gboolean      _easel_store_fsync_dir         (const char   *dir,
                                              GError      **error);
const char   *_easel_store_format_from_bytes (GBytes       *bytes);
const char   *_easel_store_normalize_format  (const char   *format,
                                              GBytes       *bytes);
char         *_easel_store_store_image_file  (EaselStore   *self,
                                              GBytes       *bytes,
                                              const char   *format,
                                              char        **out_sha256,
                                              GError      **error);
/* With self->mutex held when @db is self->db. */
int           _easel_store_sweep             (EaselStore   *self,
                                              sqlite3      *db,
                                              gint64        grace_seconds,
                                              gint64        since,
                                              GError      **error);

/* easel-store-generations.c */
EaselGeneration *_easel_store_generation_from_row     (EaselStore      *self,
                                                       sqlite3_stmt    *stmt);
GPtrArray       *_easel_store_collect_generations     (EaselStore      *self,
                                                       sqlite3_stmt    *stmt,
                                                       GError         **error);
EaselGeneration *_easel_store_get_generation_locked   (EaselStore      *self,
                                                       gint64           id,
                                                       GError         **error);
gboolean         _easel_store_insert_generation_row   (EaselStore      *self,
                                                       EaselGeneration *g,
                                                       const char      *rel_path,
                                                       GError         **error);
/* easel_store_record() up to the insert: the files are written, the rows
 * built (ids 0); @out_rel_paths parallels @out_gens (NULL: no file). */
gboolean         _easel_store_record_prepare          (EaselStore               *self,
                                                       const EaselRequest       *request,
                                                       const EaselResult        *result,
                                                       const GError             *request_error,
                                                       const EaselRecordOptions *options,
                                                       GPtrArray               **out_gens,
                                                       GPtrArray               **out_rel_paths,
                                                       GError                  **error);

/* easel-store-conversations.c */
EaselConversation *_easel_store_get_conversation_locked (EaselStore  *self,
                                                         gint64       id,
                                                         GError     **error);
GPtrArray         *_easel_store_turn_path_locked        (EaselStore  *self,
                                                         gint64       turn_id,
                                                         GError     **error);
gboolean           _easel_store_add_turn_locked         (EaselStore  *self,
                                                         EaselTurn   *turn,
                                                         GError     **error);

/* Statements finalize themselves: g_autoptr(EaselStmt). */
typedef sqlite3_stmt EaselStmt;
static inline void
easel_stmt_finalize (EaselStmt *stmt)
{
  sqlite3_finalize (stmt);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EaselStmt, easel_stmt_finalize)

static inline void
bind_text (sqlite3_stmt *stmt, int idx, const char *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, idx, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, idx);
}

/* 0 (none) is stored as NULL: the foreign keys allow it. */
static inline void
bind_id (sqlite3_stmt *stmt, int idx, gint64 id)
{
  if (id > 0)
    sqlite3_bind_int64 (stmt, idx, id);
  else
    sqlite3_bind_null (stmt, idx);
}

/* A negative (unknown) cost is stored as NULL. */
static inline void
bind_usd (sqlite3_stmt *stmt, int idx, double usd)
{
  if (usd >= 0)
    sqlite3_bind_double (stmt, idx, usd);
  else
    sqlite3_bind_null (stmt, idx);
}

static inline char *
col_text (sqlite3_stmt *stmt, int i)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, i));
}

static inline double
col_usd (sqlite3_stmt *stmt, int i)
{
  if (sqlite3_column_type (stmt, i) == SQLITE_NULL)
    return -1;
  return sqlite3_column_double (stmt, i);
}

G_END_DECLS
