/* easel-store.c: the library — every generation and conversation, in SQLite
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Crash guarantee: an image file is written to a temp file in its final
 * directory, fsynced, renamed into place and the directory fsynced BEFORE
 * the row pointing at it is committed. So a crash at any point leaves either
 * no row, or a row whose file is complete. What a crash can leave behind is
 * an orphan (a complete file with no row) or a temp file; the orphan sweep
 * (easel_store_maintain(), daily and off the open path) removes both. The
 * database runs in WAL mode with synchronous=FULL so a committed row also
 * survives power loss, not just a process kill.
 *
 * This file: the EaselStore object, opening (validation, migration),
 * reset_with_backup, the "changed" signal and the helpers every part shares
 * (easel-store-private.h). The rest, one concern a file: easel-store-files.c
 * (image files, sweep, purge), easel-store-generations.c (record, read, star,
 * delete), easel-store-conversations.c, easel-store-query.c (query, search,
 * spend), easel-store-export.c (export, import), easel-store-rebuild.c.
 */

#define G_LOG_DOMAIN "easel-store"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "easel-store-private.h"

/* SQLite's default page cache is 2 MB: a search or count over a 100,000-row
 * library then rereads most pages from the OS on every query. The cache
 * only grows as pages are read. */
#define STORE_CACHE_PRAGMA "PRAGMA cache_size = -32768"

/* 'Esl1' in PRAGMA application_id: tells our database from a foreign one. */
#define EASEL_APPLICATION_ID 1165192241

G_DEFINE_QUARK (easel-store-error-quark, easel_store_error)

/* ------------------------------------------------------------------------- */
/* Schema: forward migrations, one step per version. Never edit a shipped
 * step; add a new one. Step i takes user_version i to i + 1. */

/* The columns of generations in schema 2, copied by the 2 → 3 step. */
#define V3_COLUMNS \
  "id, sha256, path, model, api, params_json, prompt, revised_prompt, action, size, format, " \
  "background, quality, usage_json, input_tokens, output_tokens, estimated_usd, actual_usd, " \
  "created, parent_generation_id, mask_sha256, conversation_id, turn_id, starred, request_hash, " \
  "status, error_type, error_code, error_message, response_id, image_call_id, deleted_at"
  
static const char * const schema_steps[] = {
  /* 0 → 1 */
  "PRAGMA application_id = 1165192241;\n" /* EASEL_APPLICATION_ID, 'Esl1' */
  "CREATE TABLE conversations (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  title TEXT NOT NULL DEFAULT '',\n"
  "  created INTEGER NOT NULL,\n"
  "  updated INTEGER NOT NULL,\n"
  "  last_turn INTEGER\n"
  ");\n"
  "CREATE TABLE turns (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,\n"
  "  parent_turn_id INTEGER REFERENCES turns(id) ON DELETE CASCADE,\n"
  "  user_text TEXT,\n"
  "  assistant_text TEXT,\n"
  "  response_id TEXT,\n"
  "  previous_response_id TEXT,\n"
  "  image_call_id TEXT,\n"
  "  generation_id INTEGER REFERENCES generations(id) ON DELETE SET NULL,\n"
  "  created INTEGER NOT NULL\n"
  ");\n"
  "CREATE TABLE generations (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  sha256 TEXT,\n"
  "  path TEXT,\n"
  "  model TEXT,\n"
  "  api TEXT,\n"
  "  params_json TEXT,\n"
  "  prompt TEXT NOT NULL DEFAULT '',\n"
  "  revised_prompt TEXT,\n"
  "  action TEXT,\n"
  "  size TEXT,\n"
  "  format TEXT,\n"
  "  background TEXT,\n"
  "  quality TEXT,\n"
  "  usage_json TEXT,\n"
  "  input_tokens INTEGER NOT NULL DEFAULT 0,\n"
  "  output_tokens INTEGER NOT NULL DEFAULT 0,\n"
  "  estimated_usd REAL,\n"
  "  actual_usd REAL,\n"
  "  created INTEGER NOT NULL,\n"
  "  parent_generation_id INTEGER REFERENCES generations(id) ON DELETE SET NULL,\n"
  "  mask_sha256 TEXT,\n"
  "  conversation_id INTEGER REFERENCES conversations(id) ON DELETE SET NULL,\n"
  "  turn_id INTEGER REFERENCES turns(id) ON DELETE SET NULL,\n"
  "  starred INTEGER NOT NULL DEFAULT 0,\n"
  "  request_hash TEXT,\n"
  "  status TEXT NOT NULL DEFAULT 'ok' CHECK (status IN ('ok','failed','moderated','cancelled')),\n"
  "  error_type TEXT,\n"
  "  error_code TEXT,\n"
  "  error_message TEXT,\n"
  "  response_id TEXT,\n"
  "  image_call_id TEXT\n"
  ");\n"
  "CREATE INDEX generations_created ON generations(created);\n"
  "CREATE INDEX generations_request_hash ON generations(request_hash);\n"
  "CREATE INDEX turns_conversation ON turns(conversation_id);\n",

  /* 1 → 2: soft delete, full-text search, the gallery's indexes */
  "ALTER TABLE generations ADD COLUMN deleted_at INTEGER NOT NULL DEFAULT 0;\n"
  "CREATE VIRTUAL TABLE generations_fts USING fts5(prompt, revised_prompt,\n"
  "  content='generations', content_rowid='id', tokenize='unicode61 remove_diacritics 2');\n"
  "CREATE TRIGGER generations_fts_ai AFTER INSERT ON generations BEGIN\n"
  "  INSERT INTO generations_fts(rowid, prompt, revised_prompt) VALUES (new.id, new.prompt, new.revised_prompt);\n"
  "END;\n"
  "CREATE TRIGGER generations_fts_ad AFTER DELETE ON generations BEGIN\n"
  "  INSERT INTO generations_fts(generations_fts, rowid, prompt, revised_prompt)\n"
  "    VALUES ('delete', old.id, old.prompt, old.revised_prompt);\n"
  "END;\n"
  "CREATE TRIGGER generations_fts_au AFTER UPDATE OF prompt, revised_prompt ON generations BEGIN\n"
  "  INSERT INTO generations_fts(generations_fts, rowid, prompt, revised_prompt)\n"
  "    VALUES ('delete', old.id, old.prompt, old.revised_prompt);\n"
  "  INSERT INTO generations_fts(rowid, prompt, revised_prompt) VALUES (new.id, new.prompt, new.revised_prompt);\n"
  "END;\n"
  "INSERT INTO generations_fts(generations_fts) VALUES ('rebuild');\n"
  "CREATE INDEX generations_model ON generations(model, created);\n"
  "CREATE INDEX generations_starred ON generations(starred, created);\n"
  "CREATE INDEX generations_cost ON generations(coalesce(actual_usd, estimated_usd, -1));\n"
  "CREATE INDEX generations_conversation ON generations(conversation_id);\n"
  "CREATE INDEX generations_sha256 ON generations(sha256);\n"
  "CREATE INDEX turns_parent ON turns(parent_turn_id);\n",

  /* 2 → 3: the "incomplete" status (a CHECK constraint cannot be altered, so
   * the table is rebuilt; foreign keys are off while migrating) and the
   * picked image of an n>1 answer. Every image recorded before was shown as
   * the answer: picked = 1. */
  "DROP TRIGGER generations_fts_ai;\n"
  "DROP TRIGGER generations_fts_ad;\n"
  "DROP TRIGGER generations_fts_au;\n"
  "CREATE TABLE generations_v3 (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  sha256 TEXT,\n"
  "  path TEXT,\n"
  "  model TEXT,\n"
  "  api TEXT,\n"
  "  params_json TEXT,\n"
  "  prompt TEXT NOT NULL DEFAULT '',\n"
  "  revised_prompt TEXT,\n"
  "  action TEXT,\n"
  "  size TEXT,\n"
  "  format TEXT,\n"
  "  background TEXT,\n"
  "  quality TEXT,\n"
  "  usage_json TEXT,\n"
  "  input_tokens INTEGER NOT NULL DEFAULT 0,\n"
  "  output_tokens INTEGER NOT NULL DEFAULT 0,\n"
  "  estimated_usd REAL,\n"
  "  actual_usd REAL,\n"
  "  created INTEGER NOT NULL,\n"
  "  parent_generation_id INTEGER REFERENCES generations(id) ON DELETE SET NULL,\n"
  "  mask_sha256 TEXT,\n"
  "  conversation_id INTEGER REFERENCES conversations(id) ON DELETE SET NULL,\n"
  "  turn_id INTEGER REFERENCES turns(id) ON DELETE SET NULL,\n"
  "  starred INTEGER NOT NULL DEFAULT 0,\n"
  "  request_hash TEXT,\n"
  "  status TEXT NOT NULL DEFAULT 'ok'\n"
  "    CHECK (status IN ('ok','failed','moderated','cancelled','incomplete')),\n"
  "  error_type TEXT,\n"
  "  error_code TEXT,\n"
  "  error_message TEXT,\n"
  "  response_id TEXT,\n"
  "  image_call_id TEXT,\n"
  "  deleted_at INTEGER NOT NULL DEFAULT 0,\n"
  "  picked INTEGER NOT NULL DEFAULT 0\n"
  ");\n"
"INSERT INTO generations_v3 (" V3_COLUMNS ", picked)\n"
  "  SELECT " V3_COLUMNS ", 1 FROM generations;\n"
  "DROP TABLE generations;\n"
  "ALTER TABLE generations_v3 RENAME TO generations;\n"
  "CREATE INDEX generations_created ON generations(created);\n"
  "CREATE INDEX generations_request_hash ON generations(request_hash);\n"
  "CREATE INDEX generations_model ON generations(model, created);\n"
  "CREATE INDEX generations_starred ON generations(starred, created);\n"
  "CREATE INDEX generations_cost ON generations(coalesce(actual_usd, estimated_usd, -1));\n"
  "CREATE INDEX generations_conversation ON generations(conversation_id);\n"
  "CREATE INDEX generations_sha256 ON generations(sha256);\n"
  "CREATE TRIGGER generations_fts_ai AFTER INSERT ON generations BEGIN\n"
  "  INSERT INTO generations_fts(rowid, prompt, revised_prompt) VALUES (new.id, new.prompt, new.revised_prompt);\n"
  "END;\n"
  "CREATE TRIGGER generations_fts_ad AFTER DELETE ON generations BEGIN\n"
  "  INSERT INTO generations_fts(generations_fts, rowid, prompt, revised_prompt)\n"
  "    VALUES ('delete', old.id, old.prompt, old.revised_prompt);\n"
  "END;\n"
  "CREATE TRIGGER generations_fts_au AFTER UPDATE OF prompt, revised_prompt ON generations BEGIN\n"
  "  INSERT INTO generations_fts(generations_fts, rowid, prompt, revised_prompt)\n"
  "    VALUES ('delete', old.id, old.prompt, old.revised_prompt);\n"
  "  INSERT INTO generations_fts(rowid, prompt, revised_prompt) VALUES (new.id, new.prompt, new.revised_prompt);\n"
  "END;\n"
  "INSERT INTO generations_fts(generations_fts) VALUES ('rebuild');\n",
  /* 3 → 4: when maintenance last ran (store_meta); the gallery's filter as
   * a partial index that also holds the filtered columns, so counting the
   * gallery reads only the index, never the table; and the few rows the
   * gallery hides, so a search counts its hidden matches without reading
   * every match's row. */
  "CREATE TABLE store_meta (\n"
  "  key TEXT PRIMARY KEY,\n"
  "  value INTEGER NOT NULL\n"
  ") WITHOUT ROWID;\n"
  "CREATE INDEX generations_gallery ON generations(created, deleted_at, status)\n"
  "  WHERE " GALLERY_FILTER ";\n"
  "CREATE INDEX generations_hidden ON generations(deleted_at, status)\n"
  "  WHERE " HIDDEN_FILTER ";\n",

  /* 4 → 5: Batch API jobs and their lines. A job is recorded once its
   * file is uploaded (batch_id NULL, status "submitting") and gets its id
   * when the batch is created. A line's images carry the job and
   * custom_id; the unique index is what makes a re-run fetch record each
   * image once. */
  "CREATE TABLE batches (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  batch_id TEXT UNIQUE,\n"
  "  base_url TEXT,\n"
  "  endpoint TEXT NOT NULL,\n"
  "  status TEXT NOT NULL,\n"
  "  input_file_id TEXT,\n"
  "  output_file_id TEXT,\n"
  "  error_file_id TEXT,\n"
  "  n_total INTEGER NOT NULL DEFAULT 0,\n"
  "  n_completed INTEGER NOT NULL DEFAULT 0,\n"
  "  n_failed INTEGER NOT NULL DEFAULT 0,\n"
  "  estimated_usd REAL,\n"
  "  full_usd REAL,\n"
  "  error_message TEXT,\n"
  "  created INTEGER NOT NULL,\n"
  "  updated INTEGER NOT NULL,\n"
  "  fetched INTEGER NOT NULL DEFAULT 0\n"
  ");\n"
  "CREATE TABLE batch_lines (\n"
  "  batch INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,\n"
  "  custom_id TEXT NOT NULL,\n"
  "  line_no INTEGER NOT NULL,\n"
  "  body_json TEXT NOT NULL,\n"
  "  estimated_usd REAL,\n"
  "  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','ok','failed')),\n"
  "  PRIMARY KEY (batch, custom_id)\n"
  ");\n"
  "ALTER TABLE generations ADD COLUMN batch INTEGER REFERENCES batches(id) ON DELETE SET NULL;\n"
  "ALTER TABLE generations ADD COLUMN custom_id TEXT;\n"
  "ALTER TABLE generations ADD COLUMN batch_index INTEGER;\n"
  "CREATE UNIQUE INDEX generations_batch_line ON generations(batch, custom_id, batch_index);\n",

  /* 5 → 6: Responses turns sent in background mode whose answer is not
   * recorded yet, so that a restart can fetch them (easel resume). */
  "CREATE TABLE pending_responses (\n"
  "  response_id TEXT PRIMARY KEY,\n"
  "  base_url TEXT NOT NULL DEFAULT '',\n"
  "  params_json TEXT,\n"
  "  conversation_id INTEGER REFERENCES conversations(id) ON DELETE SET NULL,\n"
  "  turn_id INTEGER REFERENCES turns(id) ON DELETE SET NULL,\n"
  "  created INTEGER NOT NULL\n"
  ");\n",

  /* 6 → 7: Compare grids. A comparison set is one prompt sent to several
   * models × qualities (× sizes); every image of a cell is a normal
   * generation that names its set and cell. */
  "CREATE TABLE comparisons (\n"
  "  id INTEGER PRIMARY KEY,\n"
  "  prompt TEXT NOT NULL DEFAULT '',\n"
  "  n_cells INTEGER NOT NULL DEFAULT 0,\n"
  "  estimated_usd REAL,\n"
  "  created INTEGER NOT NULL\n"
  ");\n"
  "ALTER TABLE generations ADD COLUMN comparison INTEGER REFERENCES comparisons(id) ON DELETE SET NULL;\n"
  "ALTER TABLE generations ADD COLUMN comparison_cell INTEGER;\n"
  "CREATE INDEX generations_comparison ON generations(comparison, comparison_cell);\n",
};

G_STATIC_ASSERT (G_N_ELEMENTS (schema_steps) == EASEL_STORE_SCHEMA_VERSION);

/* ------------------------------------------------------------------------- */
/* EaselStore */

enum {
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (EaselStore, easel_store, G_TYPE_OBJECT)

static void
easel_store_finalize (GObject *object)
{
  EaselStore *self = EASEL_STORE (object);

  if (self->db != NULL)
    sqlite3_close_v2 (self->db);
  g_clear_pointer (&self->dir, g_free);
  g_clear_pointer (&self->images_dir, g_free);
  g_clear_pointer (&self->db_path, g_free);
  g_clear_pointer (&self->fts_hits_query, g_free);
  g_clear_pointer (&self->fts_hits, g_array_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (easel_store_parent_class)->finalize (object);
}

static void
easel_store_class_init (EaselStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = easel_store_finalize;

  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
easel_store_init (EaselStore *self)
{
  g_mutex_init (&self->mutex);
}

const char *
easel_store_get_dir (EaselStore *self)
{
  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);
  return self->dir;
}

gboolean
easel_store_is_read_only (EaselStore *self)
{
  g_return_val_if_fail (EASEL_IS_STORE (self), TRUE);
  return self->read_only;
}

gboolean
_easel_store_check_writable (EaselStore  *self,
                             GError     **error)
{
  if (!self->read_only)
    return TRUE;
  g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_READ_ONLY,
               "The library “%s” is read-only", self->db_path);
  return FALSE;
}

static gboolean
emit_changed_cb (gpointer data)
{
  GWeakRef *ref = data;
  g_autoptr(EaselStore) self = g_weak_ref_get (ref);

  if (self != NULL)
    {
      g_atomic_int_set (&self->changed_pending, 0);
      g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
    }
  return G_SOURCE_REMOVE;
}

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

/* Safe from any thread: the signal is emitted on the store's context. A weak
 * reference, so a CLI without a main loop does not keep the store alive. */
void
_easel_store_queue_changed (EaselStore *self)
{
  GWeakRef *ref;
  g_autoptr(GSource) source = NULL;

  if (!g_atomic_int_compare_and_exchange (&self->changed_pending, 0, 1))
    return;

  ref = g_new0 (GWeakRef, 1);
  g_weak_ref_init (ref, self);
  source = g_idle_source_new ();
  g_source_set_static_name (source, "[easel-store] changed");
  g_source_set_callback (source, emit_changed_cb, ref, weak_ref_free);
  g_source_attach (source, self->context);
}

/* ------------------------------------------------------------------------- */
/* Errors */

static EaselStoreError
code_for_errno (int err)
{
  switch (err)
    {
    case EROFS:
    case EACCES:
    case EPERM:
      return EASEL_STORE_ERROR_READ_ONLY;
    default:
      return EASEL_STORE_ERROR_IO;
    }
}

void
_easel_store_set_errno_error (GError **error, int err, const char *what, const char *path)
{
  g_set_error (error, EASEL_STORE_ERROR, code_for_errno (err),
               "%s “%s”: %s", what, path, g_strerror (err));
}

void
_easel_store_set_sqlite_error (GError **error, sqlite3 *db, int rc, const char *what)
{
  EaselStoreError code;
  int sys_errno = db ? sqlite3_system_errno (db) : 0;

  switch (rc & 0xff)
    {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      code = EASEL_STORE_ERROR_CORRUPT;
      break;
    case SQLITE_READONLY:
    case SQLITE_PERM:
      code = EASEL_STORE_ERROR_READ_ONLY;
      break;
    case SQLITE_CANTOPEN:
      code = (sys_errno == EACCES || sys_errno == EROFS || sys_errno == EPERM)
             ? EASEL_STORE_ERROR_READ_ONLY : EASEL_STORE_ERROR_IO;
      break;
    case SQLITE_FULL:
    case SQLITE_IOERR:
      code = EASEL_STORE_ERROR_IO;
      break;
    default:
      code = EASEL_STORE_ERROR_FAILED;
    }

  g_set_error (error, EASEL_STORE_ERROR, code, "Could not %s the library: %s",
               what, db ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
}

/* ------------------------------------------------------------------------- */
/* SQLite helpers */

gboolean
_easel_store_exec (sqlite3 *db, const char *sql, const char *what, GError **error)
{
  int rc = sqlite3_exec (db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      _easel_store_set_sqlite_error (error, db, rc, what);
      return FALSE;
    }
  return TRUE;
}

sqlite3_stmt *
_easel_store_prepare (EaselStore *self, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    {
      _easel_store_set_sqlite_error (error, self->db, rc, "read");
      return NULL;
    }
  return stmt;
}

/* Runs an UPDATE that must touch exactly the row @id names. */
gboolean
_easel_store_step_update_one (EaselStore    *self,
                 sqlite3_stmt  *stmt,
                 const char    *what,
                 gint64         id,
                 GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE)
    {
      _easel_store_set_sqlite_error (error, self->db, rc, "write to");
      return FALSE;
    }
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_NOT_FOUND,
                   "There is no %s %" G_GINT64_FORMAT " in the library", what, id);
      return FALSE;
    }
  _easel_store_queue_changed (self);
  return TRUE;
}

static gboolean
ensure_dir (const char *dir, GError **error)
{
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int err = errno;

      if (err == ENOTDIR || err == EEXIST)
        g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_IO,
                     "Cannot use “%s” for the library: something in the way is not a folder", dir);
      else
        _easel_store_set_errno_error (error, err, "Could not create the library folder", dir);
      return FALSE;
    }
  if (g_access (dir, W_OK) != 0)
    {
      _easel_store_set_errno_error (error, errno, "Cannot write to the library folder", dir);
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------------- */
/* Opening */

static gboolean
query_int (sqlite3 *db, const char *sql, gint64 *out, int *rc_out)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);

  if (rc == SQLITE_OK)
    {
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          *out = sqlite3_column_int64 (stmt, 0);
          rc = SQLITE_OK;
        }
    }
  sqlite3_finalize (stmt);
  *rc_out = rc;
  return rc == SQLITE_OK;
}

static void
set_corrupt_error (GError **error, const char *db_path, const char *why)
{
  g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_CORRUPT,
               "The library “%s” %s. It was left untouched; "
               "you can move it aside and start a new library.", db_path, why);
}

/* The integrity check: it reads every page, so it runs in maintenance,
 * not on open. */
static gboolean
quick_check (sqlite3 *db, const char *db_path, GError **error)
{
  g_autoptr(EaselStmt) stmt = NULL;
  const char *res;
  int rc;

  rc = sqlite3_prepare_v2 (db, "PRAGMA quick_check", -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT)
        set_corrupt_error (error, db_path, "is damaged");
      else
        _easel_store_set_sqlite_error (error, db, rc, "check");
      return FALSE;
    }
  res = (const char *) sqlite3_column_text (stmt, 0);
  if (g_strcmp0 (res, "ok") != 0)
    {
      /* quick_check lists every bad page; the first line is enough. */
      g_autofree char *first = g_strndup (res ? res : "?", strcspn (res ? res : "?", "\n"));
      g_autofree char *why = g_strdup_printf ("is damaged (%s)", first);
      set_corrupt_error (error, db_path, why);
      return FALSE;
    }
  return TRUE;
}

/* Checks a database we did not create in this call, before anything writes to it. */
static gboolean
validate_db (sqlite3 *db, const char *db_path, gint64 *version, GError **error)
{
  gint64 n_objects = 0, app_id = 0;
  int rc;

  if (!query_int (db, "SELECT count(*) FROM sqlite_master", &n_objects, &rc))
    {
      if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT)
        set_corrupt_error (error, db_path, "is damaged or not a database");
      else
        _easel_store_set_sqlite_error (error, db, rc, "open");
      return FALSE;
    }
  if (!query_int (db, "PRAGMA application_id", &app_id, &rc) ||
      !query_int (db, "PRAGMA user_version", version, &rc))
    {
      _easel_store_set_sqlite_error (error, db, rc, "open");
      return FALSE;
    }

  if (n_objects == 0)
    {
      *version = 0;
      return TRUE;
    }
  if (app_id != EASEL_APPLICATION_ID)
    {
      set_corrupt_error (error, db_path, "is a database of another program, not an Easel library");
      return FALSE;
    }
  if (*version > EASEL_STORE_SCHEMA_VERSION)
    {
      g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_TOO_NEW,
                   "The library “%s” was written by a newer version of Easel (schema %" G_GINT64_FORMAT ")",
                   db_path, *version);
      return FALSE;
    }

  return TRUE;
}

/* Runs the schema steps from the version found INSIDE the write
 * transaction: several processes may open a new library at once, and only
 * the first to take the lock creates the tables; the others find them. */
static gboolean
migrate (sqlite3 *db, const char *db_path, GError **error)
{
  g_autofree char *set_version = NULL;
  gint64 version = 0, n_objects = 0, app_id = 0;
  int rc;

  if (!_easel_store_exec (db, "BEGIN IMMEDIATE", "update", error))
    return FALSE;

  if (!query_int (db, "SELECT count(*) FROM sqlite_master", &n_objects, &rc) ||
      !query_int (db, "PRAGMA application_id", &app_id, &rc) ||
      !query_int (db, "PRAGMA user_version", &version, &rc))
    {
      _easel_store_set_sqlite_error (error, db, rc, "update");
      goto fail;
    }
  if (n_objects > 0 && app_id != EASEL_APPLICATION_ID)
    {
      set_corrupt_error (error, db_path, "is a database of another program, not an Easel library");
      goto fail;
    }
  if (n_objects == 0)
    version = 0;
  if (version > EASEL_STORE_SCHEMA_VERSION)
    {
      g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_TOO_NEW,
                   "The library “%s” was written by a newer version of Easel (schema %" G_GINT64_FORMAT ")",
                   db_path, version);
      goto fail;
    }
  if (version == EASEL_STORE_SCHEMA_VERSION)
    {
      _easel_store_exec (db, "ROLLBACK", "update", NULL);
      return TRUE;
    }

  for (gint64 v = version; v < EASEL_STORE_SCHEMA_VERSION; v++)
    if (!_easel_store_exec (db, schema_steps[v], "update", error))
      goto fail;
  set_version = g_strdup_printf ("PRAGMA user_version = %d", EASEL_STORE_SCHEMA_VERSION);
  if (!_easel_store_exec (db, set_version, "update", error) ||
      !_easel_store_exec (db, "COMMIT", "update", error))
    goto fail;
  return TRUE;

fail:
  _easel_store_exec (db, "ROLLBACK", "update", NULL);
  return FALSE;
}

/* PRAGMA journal_mode = WAL needs a moment alone with the file; another
 * process opening the library at the same time makes it fail with BUSY
 * without waiting, so wait here. */
static gboolean
set_wal_mode (sqlite3 *db, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + BUSY_TIMEOUT_MS * (gint64) 1000;

  for (;;)
    {
      g_autoptr(EaselStmt) stmt = NULL;
      int rc = sqlite3_prepare_v2 (db, "PRAGMA journal_mode = WAL", -1, &stmt, NULL);

      if (rc == SQLITE_OK)
        rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW && g_ascii_strcasecmp ((const char *) sqlite3_column_text (stmt, 0), "wal") == 0)
        return TRUE;
      if ((rc == SQLITE_ROW || (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) &&
          g_get_monotonic_time () < deadline)
        {
          g_usleep (g_random_int_range (2000, 20000));
          continue;
        }
      if (rc == SQLITE_ROW)
        {
          g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_FAILED,
                       "Could not open the library: it stays in %s journal mode",
                       (const char *) sqlite3_column_text (stmt, 0));
          return FALSE;
        }
      _easel_store_set_sqlite_error (error, db, rc, "open");
      return FALSE;
    }
}

/* A library we may read but not write: the folder or library.db is not
 * writable (permissions, a read-only file system). A missing library is
 * not read-only: opening creates it, or fails. */
static gboolean
library_is_read_only (EaselStore *self)
{
  if (!g_file_test (self->db_path, G_FILE_TEST_IS_REGULAR))
    return FALSE;
  return g_access (self->dir, W_OK) != 0 || g_access (self->db_path, W_OK) != 0;
}

static gboolean
open_read_only (EaselStore *self, gint64 *version, GError **error)
{
  g_autofree char *uri = g_filename_to_uri (self->db_path, NULL, NULL);
  g_autofree char *immutable = NULL;
  g_autoptr(GError) local_error = NULL;
  int rc;

  rc = sqlite3_open_v2 (self->db_path, &self->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);
      sqlite3_extended_result_codes (self->db, 1);
      if (validate_db (self->db, self->db_path, version, &local_error))
        return TRUE;
      if (!g_error_matches (local_error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_READ_ONLY) &&
          !g_error_matches (local_error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_IO) &&
          !g_error_matches (local_error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_FAILED))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }
  else if (uri == NULL)
    {
      _easel_store_set_sqlite_error (error, self->db, rc, "open");
      return FALSE;
    }

  /* A WAL library whose -shm cannot be created in a read-only folder: read
   * the file as it is. Nobody can be writing it (nobody may). */
  g_clear_pointer (&self->db, sqlite3_close_v2);
  g_clear_error (&local_error);
  immutable = g_strconcat (uri, "?immutable=1", NULL);
  rc = sqlite3_open_v2 (immutable, &self->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_FULLMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      _easel_store_set_sqlite_error (error, self->db, rc, "open");
      return FALSE;
    }
  sqlite3_extended_result_codes (self->db, 1);
  return validate_db (self->db, self->db_path, version, error);
}

static EaselStore *
store_open_internal (const char *dir, GMainContext *context, GError **error)
{
  g_autoptr(EaselStore) self = g_object_new (EASEL_TYPE_STORE, NULL);
  gint64 version = 0;
  int rc;

  self->dir = dir ? g_strdup (dir) : g_build_filename (g_get_user_data_dir (), "easel", NULL);
  self->images_dir = g_build_filename (self->dir, "images", NULL);
  self->db_path = g_build_filename (self->dir, "library.db", NULL);
  self->context = context ? g_main_context_ref (context) : g_main_context_ref_thread_default ();

  if (library_is_read_only (self))
    {
      /* Listed, searched and exported; never migrated, swept or written. */
      self->read_only = TRUE;
      if (!open_read_only (self, &version, error) ||
          !_easel_store_exec (self->db, STORE_CACHE_PRAGMA, "open", error))
        return NULL;
      if (version < EASEL_STORE_SCHEMA_VERSION)
        {
          g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_READ_ONLY,
                       "The library “%s” is read-only and needs an update (schema %" G_GINT64_FORMAT ")",
                       self->db_path, version);
          return NULL;
        }
      return g_steal_pointer (&self);
    }

  if (!ensure_dir (self->dir, error) || !ensure_dir (self->images_dir, error))
    return NULL;

  rc = sqlite3_open_v2 (self->db_path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      _easel_store_set_sqlite_error (error, self->db, rc, "open");
      return NULL;
    }
  /* Before anything reads: another process may be creating the library. */
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);
  sqlite3_extended_result_codes (self->db, 1);
  if (sqlite3_db_readonly (self->db, "main") == 1)
    {
      g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_READ_ONLY,
                   "The library “%s” is read-only", self->db_path);
      return NULL;
    }

  if (!validate_db (self->db, self->db_path, &version, error))
    return NULL;

  /* Only now may anything write to the file. Foreign keys stay off while
   * migrating: a step may rebuild a table other tables point at. */
  if (!set_wal_mode (self->db, error) ||
      !_easel_store_exec (self->db, "PRAGMA synchronous = FULL", "open", error) ||
      !_easel_store_exec (self->db, STORE_CACHE_PRAGMA, "open", error) ||
      !_easel_store_exec (self->db, "PRAGMA foreign_keys = OFF", "open", error) ||
      (version < EASEL_STORE_SCHEMA_VERSION && !migrate (self->db, self->db_path, error)) ||
      !_easel_store_exec (self->db, "PRAGMA foreign_keys = ON", "open", error))
    return NULL;

  return g_steal_pointer (&self);
}

EaselStore *
easel_store_open (const char *dir, GError **error)
{
  return store_open_internal (dir, NULL, error);
}

static void
open_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;
  GMainContext *context = g_object_get_data (G_OBJECT (task), "context");
  EaselStore *store = store_open_internal (task_data, context, &error);

  if (store)
    g_task_return_pointer (task, store, g_object_unref);
  else
    g_task_return_error (task, error);
}

void
easel_store_open_async (const char          *dir,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, easel_store_open_async);
  g_task_set_task_data (task, g_strdup (dir), g_free);
  /* Signals belong to the caller's context, not the worker's. */
  g_object_set_data_full (G_OBJECT (task), "context",
                          g_main_context_ref_thread_default (),
                          (GDestroyNotify) g_main_context_unref);
  g_task_run_in_thread (task, open_thread);
}

EaselStore *
easel_store_open_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ------------------------------------------------------------------------- */
/* Maintenance: the integrity check and the orphan sweep. Both read the whole
 * library, so they are off the open path and run at most daily, on a
 * connection of their own so the store stays usable meanwhile. */

static gboolean
meta_get (sqlite3 *db, const char *key, gint64 *value, GError **error)
{
  g_autoptr(EaselStmt) stmt = NULL;
  int rc = sqlite3_prepare_v2 (db, "SELECT value FROM store_meta WHERE key = ?", -1, &stmt, NULL);

  if (rc == SQLITE_OK)
    {
      bind_text (stmt, 1, key);
      rc = sqlite3_step (stmt);
    }
  if (rc == SQLITE_ROW)
    *value = sqlite3_column_int64 (stmt, 0);
  else if (rc == SQLITE_DONE)
    *value = 0;
  else
    {
      _easel_store_set_sqlite_error (error, db, rc, "read");
      return FALSE;
    }
  return TRUE;
}

static gboolean
meta_set (sqlite3 *db, const char *key, gint64 value, GError **error)
{
  g_autoptr(EaselStmt) stmt = NULL;
  int rc = sqlite3_prepare_v2 (db, "INSERT OR REPLACE INTO store_meta (key, value) VALUES (?, ?)",
                               -1, &stmt, NULL);

  if (rc == SQLITE_OK)
    {
      bind_text (stmt, 1, key);
      sqlite3_bind_int64 (stmt, 2, value);
      rc = sqlite3_step (stmt);
    }
  if (rc != SQLITE_DONE)
    {
      _easel_store_set_sqlite_error (error, db, rc, "write to");
      return FALSE;
    }
  return TRUE;
}

gboolean
easel_store_maintain (EaselStore  *self,
                      gboolean     force,
                      GError     **error)
{
  sqlite3 *db = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 last_check = 0, last_sweep = 0, last_full_sweep = 0;
  gboolean ok = FALSE;
  int rc;

  g_return_val_if_fail (EASEL_IS_STORE (self), FALSE);

  /* Nothing may be written, not even a removed orphan. */
  if (self->read_only)
    return TRUE;

  rc = sqlite3_open_v2 (self->db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      _easel_store_set_sqlite_error (error, db, rc, "open");
      goto out;
    }
  sqlite3_busy_timeout (db, BUSY_TIMEOUT_MS);
  sqlite3_extended_result_codes (db, 1);

  if (!meta_get (db, "last_check", &last_check, error) ||
      !meta_get (db, "last_sweep", &last_sweep, error) ||
      !meta_get (db, "last_full_sweep", &last_full_sweep, error))
    goto out;

  if (force || now - last_check >= EASEL_STORE_MAINTENANCE_INTERVAL)
    {
      /* A damaged library is not written to: no time is recorded. */
      if (!quick_check (db, self->db_path, error) ||
          !meta_set (db, "last_check", now, error))
        goto out;
    }

  if (force || now - last_sweep >= EASEL_STORE_MAINTENANCE_INTERVAL)
    {
      /* Files in directories unchanged since the last sweep were looked at
       * then, unless they were still in their grace period. A row deleted
       * without its file (a purge cut short) leaves an orphan in an old
       * directory: a full sweep once a week catches those. */
      gboolean full = force || now - last_full_sweep >= EASEL_STORE_FULL_SWEEP_INTERVAL;
      gint64 since = full ? 0 : MAX (last_sweep - ORPHAN_GRACE_SECONDS, 1);

      if (_easel_store_sweep (self, db, ORPHAN_GRACE_SECONDS, since, error) < 0 ||
          !meta_set (db, "last_sweep", now, error) ||
          (full && !meta_set (db, "last_full_sweep", now, error)))
        goto out;
    }

  ok = TRUE;

out:
  sqlite3_close_v2 (db);
  return ok;
}

static void
maintain_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  GError *error = NULL;

  if (easel_store_maintain (source_object, GPOINTER_TO_INT (task_data), &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
easel_store_maintain_async (EaselStore          *self,
                            gboolean             force,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (EASEL_IS_STORE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_store_maintain_async);
  g_task_set_task_data (task, GINT_TO_POINTER (!!force), NULL);
  g_task_run_in_thread (task, maintain_thread);
}

gboolean
easel_store_maintain_finish (EaselStore    *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
easel_store_reset_with_backup (const char  *dir,
                               char       **backup_path,
                               GError     **error)
{
  g_autofree char *real_dir = NULL;
  g_autofree char *db_path = NULL;
  g_autofree char *backup = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  static const char * const suffixes[] = { "-wal", "-shm", "-journal" };

  real_dir = dir ? g_strdup (dir) : g_build_filename (g_get_user_data_dir (), "easel", NULL);
  db_path = g_build_filename (real_dir, "library.db", NULL);
  backup = g_strdup_printf ("%s.broken-%s", db_path, stamp);
  for (guint i = 2; g_file_test (backup, G_FILE_TEST_EXISTS); i++)
    {
      g_free (backup);
      backup = g_strdup_printf ("%s.broken-%s-%u", db_path, stamp, i);
    }

  if (g_rename (db_path, backup) != 0 && errno != ENOENT)
    {
      _easel_store_set_errno_error (error, errno, "Could not move aside", db_path);
      return FALSE;
    }
  /* The side files belong to the broken database: keep them with it, so a
   * fresh database never replays a stale WAL. */
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *from = g_strconcat (db_path, suffixes[i], NULL);
      g_autofree char *to = g_strconcat (backup, suffixes[i], NULL);

      if (g_rename (from, to) != 0 && errno != ENOENT)
        {
          _easel_store_set_errno_error (error, errno, "Could not move aside", from);
          return FALSE;
        }
    }
  _easel_store_fsync_dir (real_dir, NULL);

  if (backup_path)
    *backup_path = g_steal_pointer (&backup);
  return TRUE;
}
