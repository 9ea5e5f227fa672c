/* easel-store.c: the library — every generation and conversation, in SQLite
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Crash guarantee: an image file is written to a temp file in its final
 * directory, fsynced, renamed into place and the directory fsynced BEFORE
 * the row pointing at it is committed. So a crash at any point leaves either
 * no row, or a row whose file is complete. What a crash can leave behind is
 * an orphan (a complete file with no row) or a temp file; the sweep on open
 * removes both. The database runs in WAL mode with synchronous=FULL so a
 * committed row also survives power loss, not just a process kill.
 */

#define G_LOG_DOMAIN "easel-store"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <utime.h>

#include <glib/gstdio.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "easel-cost.h"
#include "easel-error.h"
#include "easel-png-meta.h"
#include "easel-store.h"

/* 'Esl1' in PRAGMA application_id: tells our database from a foreign one. */
#define EASEL_APPLICATION_ID 1165192241
/* Orphan image files younger than this are kept: another process may be
 * between writing the file and committing its row. */
#define ORPHAN_GRACE_SECONDS (15 * 60)
#define BUSY_TIMEOUT_MS 10000

G_DEFINE_QUARK (easel-store-error-quark, easel_store_error)

/* ------------------------------------------------------------------------- */
/* Schema: forward migrations, one step per version. Never edit a shipped
 * step; add a new one. Step i takes user_version i to i + 1. */

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
};

G_STATIC_ASSERT (G_N_ELEMENTS (schema_steps) == EASEL_STORE_SCHEMA_VERSION);

/* ------------------------------------------------------------------------- */
/* Status strings */

static const char * const status_names[] = { "ok", "failed", "moderated", "cancelled" };

const char *
easel_generation_status_to_string (EaselGenerationStatus status)
{
  g_return_val_if_fail (status <= EASEL_GENERATION_CANCELLED, "failed");
  return status_names[status];
}

gboolean
easel_generation_status_from_string (const char            *str,
                                     EaselGenerationStatus *status)
{
  for (guint i = 0; str != NULL && i < G_N_ELEMENTS (status_names); i++)
    if (g_str_equal (str, status_names[i]))
      {
        if (status)
          *status = i;
        return TRUE;
      }
  return FALSE;
}

gboolean
easel_export_format_from_string (const char        *str,
                                 EaselExportFormat *format)
{
  EaselExportFormat f;

  if (str == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (str, "png") == 0)
    f = EASEL_EXPORT_PNG;
  else if (g_ascii_strcasecmp (str, "jpeg") == 0 || g_ascii_strcasecmp (str, "jpg") == 0)
    f = EASEL_EXPORT_JPEG;
  else if (g_ascii_strcasecmp (str, "webp") == 0)
    f = EASEL_EXPORT_WEBP;
  else
    return FALSE;
  if (format)
    *format = f;
  return TRUE;
}

/* ------------------------------------------------------------------------- */
/* EaselGeneration */

enum {
  GEN_PROP_0,
  GEN_PROP_ID,
  GEN_PROP_PROMPT,
  GEN_PROP_REVISED_PROMPT,
  GEN_PROP_MODEL,
  GEN_PROP_PATH,
  GEN_PROP_SIZE,
  GEN_PROP_CREATED,
  GEN_PROP_STARRED,
  GEN_PROP_STATUS,
  GEN_PROP_COST,
  GEN_N_PROPS
};

static GParamSpec *gen_props[GEN_N_PROPS];

G_DEFINE_FINAL_TYPE (EaselGeneration, easel_generation, G_TYPE_OBJECT)

static void
easel_generation_finalize (GObject *object)
{
  EaselGeneration *self = EASEL_GENERATION (object);

  g_clear_pointer (&self->sha256, g_free);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->model, g_free);
  g_clear_pointer (&self->api, g_free);
  g_clear_pointer (&self->params_json, g_free);
  g_clear_pointer (&self->prompt, g_free);
  g_clear_pointer (&self->revised_prompt, g_free);
  g_clear_pointer (&self->action, g_free);
  g_clear_pointer (&self->size, g_free);
  g_clear_pointer (&self->format, g_free);
  g_clear_pointer (&self->background, g_free);
  g_clear_pointer (&self->quality, g_free);
  g_clear_pointer (&self->usage_json, g_free);
  g_clear_pointer (&self->mask_sha256, g_free);
  g_clear_pointer (&self->request_hash, g_free);
  g_clear_pointer (&self->error_type, g_free);
  g_clear_pointer (&self->error_code, g_free);
  g_clear_pointer (&self->error_message, g_free);
  g_clear_pointer (&self->response_id, g_free);
  g_clear_pointer (&self->image_call_id, g_free);

  G_OBJECT_CLASS (easel_generation_parent_class)->finalize (object);
}

static void
easel_generation_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  EaselGeneration *self = EASEL_GENERATION (object);

  switch (prop_id)
    {
    case GEN_PROP_ID: g_value_set_int64 (value, self->id); break;
    case GEN_PROP_PROMPT: g_value_set_string (value, self->prompt); break;
    case GEN_PROP_REVISED_PROMPT: g_value_set_string (value, self->revised_prompt); break;
    case GEN_PROP_MODEL: g_value_set_string (value, self->model); break;
    case GEN_PROP_PATH: g_value_set_string (value, self->path); break;
    case GEN_PROP_SIZE: g_value_set_string (value, self->size); break;
    case GEN_PROP_CREATED: g_value_set_int64 (value, self->created); break;
    case GEN_PROP_STARRED: g_value_set_boolean (value, self->starred); break;
    case GEN_PROP_STATUS: g_value_set_string (value, easel_generation_status_to_string (self->status)); break;
    case GEN_PROP_COST: g_value_set_double (value, easel_generation_get_cost (self)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_generation_class_init (EaselGenerationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags f = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = easel_generation_finalize;
  object_class->get_property = easel_generation_get_property;

  gen_props[GEN_PROP_ID] = g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0, f);
  gen_props[GEN_PROP_PROMPT] = g_param_spec_string ("prompt", NULL, NULL, NULL, f);
  gen_props[GEN_PROP_REVISED_PROMPT] = g_param_spec_string ("revised-prompt", NULL, NULL, NULL, f);
  gen_props[GEN_PROP_MODEL] = g_param_spec_string ("model", NULL, NULL, NULL, f);
  gen_props[GEN_PROP_PATH] = g_param_spec_string ("path", NULL, NULL, NULL, f);
  gen_props[GEN_PROP_SIZE] = g_param_spec_string ("size", NULL, NULL, NULL, f);
  gen_props[GEN_PROP_CREATED] = g_param_spec_int64 ("created", NULL, NULL, G_MININT64, G_MAXINT64, 0, f);
  gen_props[GEN_PROP_STARRED] = g_param_spec_boolean ("starred", NULL, NULL, FALSE, f);
  gen_props[GEN_PROP_STATUS] = g_param_spec_string ("status", NULL, NULL, NULL, f);
  gen_props[GEN_PROP_COST] = g_param_spec_double ("cost", NULL, NULL, -1, G_MAXDOUBLE, -1, f);
  g_object_class_install_properties (object_class, GEN_N_PROPS, gen_props);
}

static void
easel_generation_init (EaselGeneration *self)
{
  self->estimated_usd = -1;
  self->actual_usd = -1;
}

EaselGeneration *
easel_generation_new (void)
{
  return g_object_new (EASEL_TYPE_GENERATION, NULL);
}

double
easel_generation_get_cost (EaselGeneration *self)
{
  g_return_val_if_fail (EASEL_IS_GENERATION (self), -1);

  if (self->actual_usd >= 0)
    return self->actual_usd;
  return self->estimated_usd >= 0 ? self->estimated_usd : -1;
}

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
  g_free (self);
}

/* ------------------------------------------------------------------------- */
/* EaselStore */

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
};

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
static void
queue_changed (EaselStore *self)
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

static void
set_errno_error (GError **error, int err, const char *what, const char *path)
{
  g_set_error (error, EASEL_STORE_ERROR, code_for_errno (err),
               "%s “%s”: %s", what, path, g_strerror (err));
}

static void
set_sqlite_error (GError **error, sqlite3 *db, int rc, const char *what)
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

static gboolean
exec_sql (sqlite3 *db, const char *sql, const char *what, GError **error)
{
  int rc = sqlite3_exec (db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      set_sqlite_error (error, db, rc, what);
      return FALSE;
    }
  return TRUE;
}

static sqlite3_stmt *
prepare (EaselStore *self, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    {
      set_sqlite_error (error, self->db, rc, "read");
      return NULL;
    }
  return stmt;
}

typedef sqlite3_stmt EaselStmt;
static void stmt_finalize (EaselStmt *stmt) { sqlite3_finalize (stmt); }
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EaselStmt, stmt_finalize)

static void
bind_text (sqlite3_stmt *stmt, int idx, const char *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, idx, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, idx);
}

static void
bind_id (sqlite3_stmt *stmt, int idx, gint64 id)
{
  if (id > 0)
    sqlite3_bind_int64 (stmt, idx, id);
  else
    sqlite3_bind_null (stmt, idx);
}

static void
bind_usd (sqlite3_stmt *stmt, int idx, double usd)
{
  if (usd >= 0)
    sqlite3_bind_double (stmt, idx, usd);
  else
    sqlite3_bind_null (stmt, idx);
}

static char *
col_text (sqlite3_stmt *stmt, int i)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, i));
}

static double
col_usd (sqlite3_stmt *stmt, int i)
{
  if (sqlite3_column_type (stmt, i) == SQLITE_NULL)
    return -1;
  return sqlite3_column_double (stmt, i);
}

/* ------------------------------------------------------------------------- */
/* Files */

static gboolean
fsync_dir (const char *dir, GError **error)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0 || fsync (fd) != 0)
    {
      int err = errno;

      if (fd >= 0)
        close (fd);
      set_errno_error (error, err, "Could not sync the folder", dir);
      return FALSE;
    }
  close (fd);
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
        set_errno_error (error, err, "Could not create the library folder", dir);
      return FALSE;
    }
  if (g_access (dir, W_OK) != 0)
    {
      set_errno_error (error, errno, "Cannot write to the library folder", dir);
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_all (int fd, const guint8 *data, gsize len)
{
  while (len > 0)
    {
      gssize n = write (fd, data, MIN (len, (gsize) G_MAXSSIZE));

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return FALSE;
        }
      data += n;
      len -= n;
    }
  return TRUE;
}

static const char *
format_from_bytes (GBytes *bytes)
{
  gsize len;
  const guint8 *d = g_bytes_get_data (bytes, &len);

  if (len >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff)
    return "jpeg";
  if (len >= 12 && memcmp (d, "RIFF", 4) == 0 && memcmp (d + 8, "WEBP", 4) == 0)
    return "webp";
  return "png";
}

static const char *
normalize_format (const char *format, GBytes *bytes)
{
  if (format != NULL)
    {
      if (g_ascii_strcasecmp (format, "png") == 0)
        return "png";
      if (g_ascii_strcasecmp (format, "jpeg") == 0 || g_ascii_strcasecmp (format, "jpg") == 0)
        return "jpeg";
      if (g_ascii_strcasecmp (format, "webp") == 0)
        return "webp";
    }
  return bytes ? format_from_bytes (bytes) : "png";
}

/* Writes the file without touching the database. Returns the path relative
 * to the library dir ("images/ab/ab….png"). */
static char *
store_image_file (EaselStore  *self,
                  GBytes      *bytes,
                  const char  *format,
                  char       **out_sha256,
                  GError     **error)
{
  g_autofree char *sha = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
  const char *ext = normalize_format (format, bytes);
  g_autofree char *prefix = g_strndup (sha, 2);
  g_autofree char *rel = g_strdup_printf ("images/%s/%s.%s", prefix, sha, ext);
  g_autofree char *path = g_build_filename (self->dir, rel, NULL);
  g_autofree char *subdir = g_build_filename (self->images_dir, prefix, NULL);
  g_autofree char *tmp = NULL;
  gboolean new_subdir;
  const guint8 *data;
  gsize len;
  struct stat st;
  int fd;

  data = g_bytes_get_data (bytes, &len);

  /* Identical bytes are stored once. Touching the file marks it young, so a
   * concurrent orphan sweep leaves it alone until our row commits. */
  if (stat (path, &st) == 0 && S_ISREG (st.st_mode) && (gsize) st.st_size == len &&
      utime (path, NULL) == 0)
    goto done;

  new_subdir = !g_file_test (subdir, G_FILE_TEST_IS_DIR);
  if (new_subdir && g_mkdir (subdir, 0700) != 0 && errno != EEXIST)
    {
      set_errno_error (error, errno, "Could not create the folder", subdir);
      return NULL;
    }

  /* The pid in the name lets the sweep remove temp files of dead writers. */
  tmp = g_strdup_printf ("%s/.tmp-%d-XXXXXX", subdir, (int) getpid ());
  fd = g_mkstemp_full (tmp, O_RDWR | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      set_errno_error (error, errno, "Could not create a file in", subdir);
      return NULL;
    }

  if (!write_all (fd, data, len) || fsync (fd) != 0)
    {
      int err = errno;

      close (fd);
      g_unlink (tmp);
      set_errno_error (error, err, "Could not write the image", path);
      return NULL;
    }
  if (close (fd) != 0)
    {
      int err = errno;

      g_unlink (tmp);
      set_errno_error (error, err, "Could not write the image", path);
      return NULL;
    }
  if (g_rename (tmp, path) != 0)
    {
      int err = errno;

      g_unlink (tmp);
      set_errno_error (error, err, "Could not write the image", path);
      return NULL;
    }
  if (!fsync_dir (subdir, error))
    return NULL;
  if (new_subdir && !fsync_dir (self->images_dir, error))
    return NULL;

done:
  if (out_sha256)
    *out_sha256 = g_steal_pointer (&sha);
  return g_steal_pointer (&rel);
}

char *
easel_store_store_image (EaselStore  *self,
                         GBytes      *bytes,
                         const char  *format,
                         char       **out_sha256,
                         GError     **error)
{
  g_autofree char *rel = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);
  g_return_val_if_fail (bytes != NULL, NULL);

  if (!(rel = store_image_file (self, bytes, format, out_sha256, error)))
    return NULL;
  return g_build_filename (self->dir, rel, NULL);
}

static gboolean
pid_is_alive (int pid)
{
  return pid > 0 && (kill (pid, 0) == 0 || errno == EPERM);
}

/* The input images of every row, from params_json: images[].sha256 of
 * kind "bytes". A row whose params_json is not JSON contributes nothing. */
#define INPUT_SHA_JOIN \
  "generations gi, json_each(CASE WHEN json_valid(gi.params_json) THEN gi.params_json ELSE '{}' END, " \
  "'$.images') ji"
#define INPUT_SHA_COLUMN "json_extract(ji.value, '$.sha256')"

/* Called with the mutex held. */
static int
sweep_locked (EaselStore *self, gint64 grace_seconds, GError **error)
{
  g_autoptr(GHashTable) refs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GDir) images = NULL;
  g_autoptr(EaselStmt) stmt = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const char *sub;
  int removed = 0;
  int rc;

  /* Hold the write lock so no other process commits a row for a file while
   * we decide it is an orphan. */
  if (!exec_sql (self->db, "BEGIN IMMEDIATE", "lock", error))
    return -1;

  stmt = prepare (self, "SELECT sha256 FROM generations WHERE sha256 IS NOT NULL "
                        "UNION SELECT mask_sha256 FROM generations WHERE mask_sha256 IS NOT NULL "
                        "UNION SELECT " INPUT_SHA_COLUMN " FROM " INPUT_SHA_JOIN, error);
  if (stmt == NULL)
    goto fail;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_hash_table_add (refs, col_text (stmt, 0));
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (error, self->db, rc, "read");
      goto fail;
    }

  images = g_dir_open (self->images_dir, 0, NULL);
  while (images != NULL && (sub = g_dir_read_name (images)))
    {
      g_autofree char *subdir = g_build_filename (self->images_dir, sub, NULL);
      g_autoptr(GDir) d = NULL;
      const char *name;

      if (strlen (sub) != 2 || !(d = g_dir_open (subdir, 0, NULL)))
        continue;

      while ((name = g_dir_read_name (d)))
        {
          g_autofree char *path = g_build_filename (subdir, name, NULL);
          g_autofree char *sha = NULL;
          struct stat st;
          gboolean old;

          if (lstat (path, &st) != 0 || !S_ISREG (st.st_mode))
            continue;
          old = now - (gint64) st.st_mtime >= grace_seconds;

          if (g_str_has_prefix (name, ".tmp-"))
            {
              int pid = atoi (name + 5);

              if (old || !pid_is_alive (pid))
                removed += g_unlink (path) == 0;
              continue;
            }

          sha = g_strndup (name, strcspn (name, "."));
          if (!g_hash_table_contains (refs, sha) && old)
            {
              /* Re-check right before unlinking: a writer that just reused
               * the file touched it. */
              if (stat (path, &st) == 0 && now - (gint64) st.st_mtime >= grace_seconds)
                removed += g_unlink (path) == 0;
            }
        }
    }

  exec_sql (self->db, "ROLLBACK", "unlock", NULL);
  return removed;

fail:
  exec_sql (self->db, "ROLLBACK", "unlock", NULL);
  return -1;
}

int
easel_store_sweep_orphans (EaselStore *self, gint64 grace_seconds, GError **error)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (self), -1);

  locker = g_mutex_locker_new (&self->mutex);
  return sweep_locked (self, grace_seconds, error);
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
        set_sqlite_error (error, db, rc, "open");
      return FALSE;
    }
  if (!query_int (db, "PRAGMA application_id", &app_id, &rc) ||
      !query_int (db, "PRAGMA user_version", version, &rc))
    {
      set_sqlite_error (error, db, rc, "open");
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

  {
    g_autoptr(EaselStmt) stmt = NULL;
    const char *res;

    rc = sqlite3_prepare_v2 (db, "PRAGMA quick_check", -1, &stmt, NULL);
    if (rc == SQLITE_OK)
      rc = sqlite3_step (stmt);
    if (rc != SQLITE_ROW)
      {
        if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT)
          set_corrupt_error (error, db_path, "is damaged");
        else
          set_sqlite_error (error, db, rc, "check");
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
  }

  return TRUE;
}

static gboolean
migrate (sqlite3 *db, gint64 from, GError **error)
{
  g_autofree char *set_version = NULL;

  if (from >= EASEL_STORE_SCHEMA_VERSION)
    return TRUE;

  if (!exec_sql (db, "BEGIN IMMEDIATE", "update", error))
    return FALSE;
  for (gint64 v = from; v < EASEL_STORE_SCHEMA_VERSION; v++)
    if (!exec_sql (db, schema_steps[v], "update", error))
      {
        exec_sql (db, "ROLLBACK", "update", NULL);
        return FALSE;
      }
  set_version = g_strdup_printf ("PRAGMA user_version = %d", EASEL_STORE_SCHEMA_VERSION);
  if (!exec_sql (db, set_version, "update", error) ||
      !exec_sql (db, "COMMIT", "update", error))
    {
      exec_sql (db, "ROLLBACK", "update", NULL);
      return FALSE;
    }
  return TRUE;
}

static EaselStore *
store_open_internal (const char *dir, GMainContext *context, GError **error)
{
  g_autoptr(EaselStore) self = g_object_new (EASEL_TYPE_STORE, NULL);
  g_autoptr(GError) sweep_error = NULL;
  gint64 version = 0;
  int rc;

  self->dir = dir ? g_strdup (dir) : g_build_filename (g_get_user_data_dir (), "easel", NULL);
  self->images_dir = g_build_filename (self->dir, "images", NULL);
  self->db_path = g_build_filename (self->dir, "library.db", NULL);
  self->context = context ? g_main_context_ref (context) : g_main_context_ref_thread_default ();

  if (!ensure_dir (self->dir, error) || !ensure_dir (self->images_dir, error))
    return NULL;

  rc = sqlite3_open_v2 (self->db_path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      set_sqlite_error (error, self->db, rc, "open");
      return NULL;
    }
  if (sqlite3_db_readonly (self->db, "main") == 1)
    {
      g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_READ_ONLY,
                   "The library “%s” is read-only", self->db_path);
      return NULL;
    }
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);
  sqlite3_extended_result_codes (self->db, 1);

  if (!validate_db (self->db, self->db_path, &version, error))
    return NULL;

  /* Only now may anything write to the file. */
  if (!exec_sql (self->db, "PRAGMA journal_mode = WAL", "open", error) ||
      !exec_sql (self->db, "PRAGMA synchronous = FULL", "open", error) ||
      !exec_sql (self->db, "PRAGMA foreign_keys = ON", "open", error) ||
      !migrate (self->db, version, error))
    return NULL;

  if (sweep_locked (self, ORPHAN_GRACE_SECONDS, &sweep_error) < 0)
    g_warning ("Could not clean up the library: %s", sweep_error->message);

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
      set_errno_error (error, errno, "Could not move aside", db_path);
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
          set_errno_error (error, errno, "Could not move aside", from);
          return FALSE;
        }
    }
  fsync_dir (real_dir, NULL);

  if (backup_path)
    *backup_path = g_steal_pointer (&backup);
  return TRUE;
}

/* ------------------------------------------------------------------------- */
/* Generations */

#define GEN_COLUMNS \
  "g.id, g.sha256, g.path, g.model, g.api, g.params_json, g.prompt, g.revised_prompt, " \
  "g.action, g.size, g.format, g.background, g.quality, g.usage_json, g.input_tokens, " \
  "g.output_tokens, g.estimated_usd, g.actual_usd, g.created, g.parent_generation_id, " \
  "g.mask_sha256, g.conversation_id, g.turn_id, g.starred, g.request_hash, g.status, " \
  "g.error_type, g.error_code, g.error_message, g.response_id, g.image_call_id, g.deleted_at"

static EaselGeneration *
generation_from_row (EaselStore *self, sqlite3_stmt *stmt)
{
  EaselGeneration *g = easel_generation_new ();
  g_autofree char *rel = NULL;
  g_autofree char *status = NULL;

  g->id = sqlite3_column_int64 (stmt, 0);
  g->sha256 = col_text (stmt, 1);
  rel = col_text (stmt, 2);
  if (rel != NULL)
    g->path = g_build_filename (self->dir, rel, NULL);
  g->model = col_text (stmt, 3);
  g->api = col_text (stmt, 4);
  g->params_json = col_text (stmt, 5);
  g->prompt = col_text (stmt, 6);
  g->revised_prompt = col_text (stmt, 7);
  g->action = col_text (stmt, 8);
  g->size = col_text (stmt, 9);
  g->format = col_text (stmt, 10);
  g->background = col_text (stmt, 11);
  g->quality = col_text (stmt, 12);
  g->usage_json = col_text (stmt, 13);
  g->input_tokens = sqlite3_column_int64 (stmt, 14);
  g->output_tokens = sqlite3_column_int64 (stmt, 15);
  g->estimated_usd = col_usd (stmt, 16);
  g->actual_usd = col_usd (stmt, 17);
  g->created = sqlite3_column_int64 (stmt, 18);
  g->parent_generation_id = sqlite3_column_int64 (stmt, 19);
  g->mask_sha256 = col_text (stmt, 20);
  g->conversation_id = sqlite3_column_int64 (stmt, 21);
  g->turn_id = sqlite3_column_int64 (stmt, 22);
  g->starred = sqlite3_column_int (stmt, 23) != 0;
  g->request_hash = col_text (stmt, 24);
  status = col_text (stmt, 25);
  if (!easel_generation_status_from_string (status, &g->status))
    g->status = EASEL_GENERATION_FAILED;
  g->error_type = col_text (stmt, 26);
  g->error_code = col_text (stmt, 27);
  g->error_message = col_text (stmt, 28);
  g->response_id = col_text (stmt, 29);
  g->image_call_id = col_text (stmt, 30);
  g->deleted_at = sqlite3_column_int64 (stmt, 31);
  return g;
}

/* Inside a transaction, mutex held; the image file is already durable. */
static gboolean
insert_generation_row (EaselStore      *self,
                       EaselGeneration *g,
                       const char      *rel_path,
                       GError         **error)
{
  g_autoptr(EaselStmt) stmt = NULL;
  int rc;

  stmt = prepare (self,
                  "INSERT INTO generations (sha256, path, model, api, params_json, prompt, revised_prompt, "
                  "action, size, format, background, quality, usage_json, input_tokens, output_tokens, "
                  "estimated_usd, actual_usd, created, parent_generation_id, mask_sha256, conversation_id, "
                  "turn_id, starred, request_hash, status, error_type, error_code, error_message, "
                  "response_id, image_call_id, deleted_at) VALUES "
                  "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, "
                  "?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31)", error);
  if (stmt == NULL)
    return FALSE;

  if (g->created == 0)
    g->created = g_get_real_time () / G_USEC_PER_SEC;

  bind_text (stmt, 1, g->sha256);
  bind_text (stmt, 2, rel_path);
  bind_text (stmt, 3, g->model);
  bind_text (stmt, 4, g->api);
  bind_text (stmt, 5, g->params_json);
  bind_text (stmt, 6, g->prompt ? g->prompt : "");
  bind_text (stmt, 7, g->revised_prompt);
  bind_text (stmt, 8, g->action);
  bind_text (stmt, 9, g->size);
  bind_text (stmt, 10, g->format);
  bind_text (stmt, 11, g->background);
  bind_text (stmt, 12, g->quality);
  bind_text (stmt, 13, g->usage_json);
  sqlite3_bind_int64 (stmt, 14, g->input_tokens);
  sqlite3_bind_int64 (stmt, 15, g->output_tokens);
  bind_usd (stmt, 16, g->estimated_usd);
  bind_usd (stmt, 17, g->actual_usd);
  sqlite3_bind_int64 (stmt, 18, g->created);
  bind_id (stmt, 19, g->parent_generation_id);
  bind_text (stmt, 20, g->mask_sha256);
  bind_id (stmt, 21, g->conversation_id);
  bind_id (stmt, 22, g->turn_id);
  sqlite3_bind_int (stmt, 23, g->starred ? 1 : 0);
  bind_text (stmt, 24, g->request_hash);
  bind_text (stmt, 25, easel_generation_status_to_string (g->status));
  bind_text (stmt, 26, g->error_type);
  bind_text (stmt, 27, g->error_code);
  bind_text (stmt, 28, g->error_message);
  bind_text (stmt, 29, g->response_id);
  bind_text (stmt, 30, g->image_call_id);
  sqlite3_bind_int64 (stmt, 31, g->deleted_at);

  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (error, self->db, rc, "write to");
      return FALSE;
    }
  g->id = sqlite3_last_insert_rowid (self->db);
  return TRUE;
}

/* Inserts several generations whose files are already written, in one
 * transaction. @rel_paths parallels @gens (NULL entries: no file). */
static gboolean
insert_generations (EaselStore *self,
                    GPtrArray  *gens,
                    GPtrArray  *rel_paths,
                    GError    **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->mutex);

  if (!exec_sql (self->db, "BEGIN IMMEDIATE", "write to", error))
    return FALSE;
  for (guint i = 0; i < gens->len; i++)
    if (!insert_generation_row (self, gens->pdata[i], rel_paths->pdata[i], error))
      {
        exec_sql (self->db, "ROLLBACK", "write to", NULL);
        for (guint j = 0; j < gens->len; j++)
          ((EaselGeneration *) gens->pdata[j])->id = 0;
        return FALSE;
      }
  if (!exec_sql (self->db, "COMMIT", "write to", error))
    {
      exec_sql (self->db, "ROLLBACK", "write to", NULL);
      for (guint j = 0; j < gens->len; j++)
        ((EaselGeneration *) gens->pdata[j])->id = 0;
      return FALSE;
    }
  for (guint i = 0; i < gens->len; i++)
    {
      EaselGeneration *g = gens->pdata[i];

      if (rel_paths->pdata[i] != NULL)
        {
          g_free (g->path);
          g->path = g_build_filename (self->dir, rel_paths->pdata[i], NULL);
        }
    }
  queue_changed (self);
  return TRUE;
}

gint64
easel_store_insert_generation (EaselStore      *self,
                               EaselGeneration *generation,
                               GBytes          *image_bytes,
                               GError         **error)
{
  g_autoptr(GPtrArray) gens = g_ptr_array_new ();
  g_autoptr(GPtrArray) rels = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (EASEL_IS_STORE (self), 0);
  g_return_val_if_fail (EASEL_IS_GENERATION (generation), 0);
  g_return_val_if_fail (generation->id == 0, 0);

  if (image_bytes != NULL)
    {
      char *sha = NULL;
      char *rel = store_image_file (self, image_bytes, generation->format, &sha, error);

      if (rel == NULL)
        return 0;
      g_free (generation->sha256);
      generation->sha256 = sha;
      if (generation->format == NULL)
        generation->format = g_strdup (normalize_format (NULL, image_bytes));
      g_ptr_array_add (rels, rel);
    }
  else
    g_ptr_array_add (rels, NULL);

  g_ptr_array_add (gens, generation);
  if (!insert_generations (self, gens, rels, error))
    return 0;
  return generation->id;
}

static char *
usage_to_json (const EaselUsage *usage, const EaselUsage *response_usage)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
#define U(name) json_builder_set_member_name (b, #name); json_builder_add_int_value (b, usage->name);
  U (input_tokens) U (input_text_tokens) U (input_image_tokens)
  U (output_tokens) U (output_text_tokens) U (output_image_tokens) U (total_tokens)
#undef U
  if (response_usage != NULL && response_usage->present)
    {
      json_builder_set_member_name (b, "response");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "input_tokens");
      json_builder_add_int_value (b, response_usage->input_tokens);
      json_builder_set_member_name (b, "output_tokens");
      json_builder_add_int_value (b, response_usage->output_tokens);
      json_builder_set_member_name (b, "total_tokens");
      json_builder_add_int_value (b, response_usage->total_tokens);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static EaselGeneration *
generation_for_request (const EaselRequest       *request,
                        const EaselRecordOptions *options,
                        gint64                    created)
{
  EaselGeneration *g = easel_generation_new ();
  g_autoptr(JsonNode) params = easel_request_params_to_json (request);

  g->model = g_strdup (request->model ? request->model : request->responses_model);
  g->api = g_strdup (easel_api_to_string (request->api));
  g->params_json = params ? json_to_string (params, FALSE) : NULL;
  g->prompt = g_strdup (request->prompt);
  g->action = g_strdup (request->action);
  g->size = g_strdup (request->size);
  g->format = g_strdup (request->output_format);
  g->background = g_strdup (request->background);
  g->quality = g_strdup (request->quality);
  g->request_hash = easel_request_hash (request);
  g->created = created;
  if (options)
    {
      g->parent_generation_id = options->parent_generation_id;
      g->conversation_id = options->conversation_id;
      g->turn_id = options->turn_id;
    }
  return g;
}

static void
set_if (char **field, const char *value)
{
  if (value != NULL)
    {
      g_free (*field);
      *field = g_strdup (value);
    }
}

GPtrArray *
easel_store_record (EaselStore               *self,
                    const EaselRequest       *request,
                    const EaselResult        *result,
                    const GError             *request_error,
                    const EaselRecordOptions *options,
                    GError                  **error)
{
  g_autoptr(GPtrArray) gens = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) rels = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *mask_sha = NULL;
  gint64 created = g_get_real_time () / G_USEC_PER_SEC;
  double estimated = -1;
  guint n_images = 0;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);
  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (result != NULL || request_error != NULL, NULL);

  if (options != NULL && options->estimated_usd >= 0)
    estimated = options->estimated_usd;
  else
    {
      EaselCostEstimate est = { 0 };

      easel_cost_estimate (request, &est);
      if (est.known)
        estimated = est.usd;
    }

  if (request->mask != NULL && request->mask->kind == EASEL_INPUT_IMAGE_BYTES && request->mask->bytes)
    {
      g_autofree char *rel = store_image_file (self, request->mask->bytes, "png", &mask_sha, error);

      if (rel == NULL)
        return NULL;
    }

  /* Input images are kept too, so the request can be sent again from the
   * library (Retry on a restored conversation). params_json names them by
   * sha256, which is also their file name. */
  for (guint i = 0; request->images != NULL && i < request->images->len; i++)
    {
      const EaselInputImage *input = request->images->pdata[i];
      g_autofree char *rel = NULL;

      if (input->kind != EASEL_INPUT_IMAGE_BYTES || input->bytes == NULL)
        continue;
      rel = store_image_file (self, input->bytes, NULL, NULL, error);
      if (rel == NULL)
        return NULL;
    }

  if (result != NULL)
    for (guint i = 0; result->images && i < result->images->len; i++)
      n_images++;

  if (request_error != NULL || n_images == 0)
    {
      EaselGeneration *g = generation_for_request (request, options, created);

      g->estimated_usd = estimated;
      g->mask_sha256 = g_strdup (mask_sha);
      if (request_error == NULL)
        g->status = EASEL_GENERATION_OK;
      else if (g_error_matches (request_error, EASEL_API_ERROR, EASEL_API_ERROR_MODERATION))
        g->status = EASEL_GENERATION_MODERATED;
      else if (g_error_matches (request_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g->status = EASEL_GENERATION_CANCELLED;
      else
        g->status = EASEL_GENERATION_FAILED;

      if (request_error != NULL)
        {
          if (request_error->domain == EASEL_API_ERROR)
            {
              g->error_type = g_strdup (easel_api_error_get_error_type (request_error));
              g->error_code = g_strdup (easel_api_error_get_error_code (request_error));
            }
          g->error_message = easel_redact (request_error->message, NULL);
        }
      if (result != NULL)
        {
          g->response_id = g_strdup (result->response_id);
          if (result->usage.present)
            {
              g->usage_json = usage_to_json (&result->usage, &result->response_usage);
              g->input_tokens = result->usage.input_tokens;
              g->output_tokens = result->usage.output_tokens;
              g->actual_usd = easel_cost_usd_for_usage (g->model, request->quality, request->size,
                                                        &result->usage, 0);
            }
        }
      g_ptr_array_add (gens, g);
      g_ptr_array_add (rels, NULL);
    }
  else
    {
      double actual = -1;
      g_autofree char *usage_json = NULL;

      if (result->usage.present)
        {
          actual = easel_cost_usd_for_usage (request->model, request->quality, request->size,
                                             &result->usage, n_images);
          usage_json = usage_to_json (&result->usage, &result->response_usage);
        }

      for (guint i = 0; i < n_images; i++)
        {
          const EaselImage *image = result->images->pdata[i];
          EaselGeneration *g = generation_for_request (request, options, created);
          char *rel = NULL;

          set_if (&g->size, image->size);
          set_if (&g->quality, image->quality);
          set_if (&g->background, image->background);
          set_if (&g->format, image->output_format);
          set_if (&g->action, image->action);
          g->revised_prompt = g_strdup (image->revised_prompt);
          g->image_call_id = g_strdup (image->item_id);
          g->response_id = g_strdup (result->response_id);
          g->mask_sha256 = g_strdup (mask_sha);
          g->status = EASEL_GENERATION_OK;
          g->usage_json = g_strdup (usage_json);
          /* One request's usage and cost, split over its images so the
           * ledger sums to the request's total. */
          g->estimated_usd = estimated >= 0 ? estimated / n_images : -1;
          g->actual_usd = actual >= 0 ? actual / n_images : -1;
          if (result->usage.present)
            {
              g->input_tokens = result->usage.input_tokens / n_images +
                                (i == 0 ? result->usage.input_tokens % n_images : 0);
              g->output_tokens = result->usage.output_tokens / n_images +
                                 (i == 0 ? result->usage.output_tokens % n_images : 0);
            }

          if (image->bytes != NULL)
            {
              rel = store_image_file (self, image->bytes, g->format, &g->sha256, error);
              if (rel == NULL)
                {
                  g_object_unref (g);
                  return NULL;
                }
              if (g->format == NULL)
                g->format = g_strdup (normalize_format (NULL, image->bytes));
            }
          g_ptr_array_add (gens, g);
          g_ptr_array_add (rels, rel);
        }
    }

  if (!insert_generations (self, gens, rels, error))
    return NULL;
  return g_steal_pointer (&gens);
}

typedef struct
{
  EaselRequest       *request;
  EaselResult        *result;
  GError             *request_error;
  EaselRecordOptions  options;
  gboolean            has_options;
} RecordData;

static void
record_data_free (RecordData *d)
{
  g_clear_pointer (&d->request, easel_request_free);
  g_clear_pointer (&d->result, easel_result_free);
  g_clear_error (&d->request_error);
  g_free (d);
}

static void
record_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  RecordData *d = task_data;
  GError *error = NULL;
  GPtrArray *gens;

  gens = easel_store_record (source_object, d->request, d->result, d->request_error,
                             d->has_options ? &d->options : NULL, &error);
  if (gens)
    g_task_return_pointer (task, gens, (GDestroyNotify) g_ptr_array_unref);
  else
    g_task_return_error (task, error);
}

void
easel_store_record_async (EaselStore               *self,
                          const EaselRequest       *request,
                          const EaselResult        *result,
                          const GError             *request_error,
                          const EaselRecordOptions *options,
                          GCancellable             *cancellable,
                          GAsyncReadyCallback       callback,
                          gpointer                  user_data)
{
  g_autoptr(GTask) task = NULL;
  RecordData *d;

  g_return_if_fail (EASEL_IS_STORE (self));
  g_return_if_fail (request != NULL);

  d = g_new0 (RecordData, 1);
  d->request = easel_request_copy (request);
  d->result = result ? easel_result_copy (result) : NULL;
  d->request_error = request_error ? g_error_copy (request_error) : NULL;
  if (options)
    {
      d->options = *options;
      d->has_options = TRUE;
    }

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_store_record_async);
  g_task_set_task_data (task, d, (GDestroyNotify) record_data_free);
  g_task_run_in_thread (task, record_thread);
}

GPtrArray *
easel_store_record_finish (EaselStore   *self,
                           GAsyncResult *result,
                           GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static EaselGeneration *
get_generation_locked (EaselStore *self, gint64 id, GError **error)
{
  g_autoptr(EaselStmt) stmt = prepare (self, "SELECT " GEN_COLUMNS " FROM generations g WHERE g.id = ?1", error);
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return generation_from_row (self, stmt);
  if (rc == SQLITE_DONE)
    g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_NOT_FOUND,
                 "There is no image %" G_GINT64_FORMAT " in the library", id);
  else
    set_sqlite_error (error, self->db, rc, "read");
  return NULL;
}

EaselGeneration *
easel_store_get_generation (EaselStore *self, gint64 id, GError **error)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);

  locker = g_mutex_locker_new (&self->mutex);
  return get_generation_locked (self, id, error);
}

/* Collects every row of @stmt; NULL on error. */
static GPtrArray *
collect_generations (EaselStore *self, sqlite3_stmt *stmt, GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_object_unref);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (out, generation_from_row (self, stmt));
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (error, self->db, rc, "read");
      return NULL;
    }
  return g_steal_pointer (&out);
}

EaselGeneration *
easel_store_lookup_cached (EaselStore *self, const char *request_hash, GError **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;
  g_autoptr(GPtrArray) rows = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);
  g_return_val_if_fail (request_hash != NULL, NULL);

  locker = g_mutex_locker_new (&self->mutex);
  stmt = prepare (self, "SELECT " GEN_COLUMNS " FROM generations g WHERE g.request_hash = ?1 "
                        "AND g.status = 'ok' AND g.deleted_at = 0 AND g.sha256 IS NOT NULL "
                        "ORDER BY g.created DESC, g.id DESC LIMIT 1", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, request_hash, -1, SQLITE_TRANSIENT);
  if (!(rows = collect_generations (self, stmt, error)) || rows->len == 0)
    return NULL;
  return g_object_ref (rows->pdata[0]);
}

GPtrArray *
easel_store_lookup_cached_all (EaselStore *self, const char *request_hash, GError **error)
{
  g_autoptr(EaselGeneration) newest = NULL;
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;
  GError *local_error = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);
  g_return_val_if_fail (request_hash != NULL, NULL);

  newest = easel_store_lookup_cached (self, request_hash, &local_error);
  if (local_error)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  if (newest == NULL)
    return g_ptr_array_new_with_free_func (g_object_unref);

  /* The images of one request share its hash and its creation second. */
  locker = g_mutex_locker_new (&self->mutex);
  stmt = prepare (self, "SELECT " GEN_COLUMNS " FROM generations g WHERE g.request_hash = ?1 "
                        "AND g.created = ?2 AND g.status = 'ok' AND g.deleted_at = 0 "
                        "AND g.sha256 IS NOT NULL ORDER BY g.id", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, request_hash, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, newest->created);
  return collect_generations (self, stmt, error);
}

GPtrArray *
easel_store_list_conversation_generations (EaselStore *self, gint64 conversation_id, GError **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);

  locker = g_mutex_locker_new (&self->mutex);
  stmt = prepare (self, "SELECT " GEN_COLUMNS " FROM generations g WHERE g.conversation_id = ?1 "
                        "ORDER BY g.id", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, conversation_id);
  return collect_generations (self, stmt, error);
}

/* ------------------------------------------------------------------------- */
/* Rebuilding a request from its row */

static const char *
json_string_member (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static int
json_int_member (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return -1;
  return (int) CLAMP (json_node_get_int (node), -1, G_MAXINT);
}

/* Called with the mutex held or not: it only reads image files. Input
 * images are content-addressed like results, under their sha256. */
static EaselInputImage *
input_image_from_json (EaselStore  *self,
                       JsonNode    *node,
                       GError     **error)
{
  static const char * const exts[] = { "png", "jpeg", "webp" };
  JsonObject *object;
  const char *kind, *sha;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    goto invalid;
  object = json_node_get_object (node);
  kind = json_string_member (object, "kind");
  sha = json_string_member (object, "sha256");

  if (g_strcmp0 (kind, "file_id") == 0 && json_string_member (object, "file_id"))
    return easel_input_image_new_file_id (json_string_member (object, "file_id"));
  if (g_strcmp0 (kind, "url") == 0 && json_string_member (object, "url"))
    return easel_input_image_new_url (json_string_member (object, "url"));

  /* Bytes: the file by its hash. (A data: URL was not kept, and its hash
   * is that of the URL text, so it cannot be found.) */
  if (g_strcmp0 (kind, "bytes") == 0 && sha != NULL && strlen (sha) == 64 && strspn (sha, "0123456789abcdef") == 64)
    {
      g_autofree char *prefix = g_strndup (sha, 2);

      for (guint i = 0; i < G_N_ELEMENTS (exts); i++)
        {
          g_autofree char *name = g_strdup_printf ("%s.%s", sha, exts[i]);
          g_autofree char *path = g_build_filename (self->images_dir, prefix, name, NULL);
          g_autofree char *contents = NULL;
          gsize len = 0;
          g_autoptr(GBytes) bytes = NULL;
          const char *mime, *filename;

          if (!g_file_get_contents (path, &contents, &len, NULL))
            continue;
          bytes = g_bytes_new_take (g_steal_pointer (&contents), len);
          mime = json_string_member (object, "mime_type");
          if (mime == NULL)
            mime = easel_image_sniff_mime (g_bytes_get_data (bytes, NULL), len);
          filename = json_string_member (object, "filename");
          return easel_input_image_new_bytes (bytes, filename ? filename : name, mime ? mime : "image/png");
        }
      g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_NOT_FOUND,
                   "An input image of this request is not in the library");
      return NULL;
    }

invalid:
  g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID,
               "The library row describes an input image it cannot restore");
  return NULL;
}

EaselRequest *
easel_store_rebuild_request (EaselStore       *self,
                             EaselGeneration  *generation,
                             GError          **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(EaselRequest) request = NULL;
  JsonObject *object;
  JsonNode *member;
  EaselApi api;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);
  g_return_val_if_fail (EASEL_IS_GENERATION (generation), NULL);

  if (generation->params_json == NULL ||
      !(root = json_from_string (generation->params_json, NULL)) ||
      !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID,
                   "The library has no parameters for image %" G_GINT64_FORMAT, generation->id);
      return NULL;
    }
  object = json_node_get_object (root);

  if (!easel_api_from_string (json_string_member (object, "api"), &api) &&
      !easel_api_from_string (generation->api, &api))
    {
      g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID,
                   "Image %" G_GINT64_FORMAT " names no known API", generation->id);
      return NULL;
    }

  request = easel_request_new (api);
#define STR(field, name) request->field = g_strdup (json_string_member (object, name))
  STR (model, "model");
  STR (prompt, "prompt");
  STR (size, "size");
  STR (quality, "quality");
  STR (background, "background");
  STR (output_format, "output_format");
  STR (moderation, "moderation");
  STR (response_format, "response_format");
  STR (style, "style");
  STR (user, "user");
  STR (input_fidelity, "input_fidelity");
  STR (responses_model, "responses_model");
  STR (action, "action");
  STR (previous_response_id, "previous_response_id");
  STR (instructions, "instructions");
#undef STR
  request->n = json_int_member (object, "n");
  request->output_compression = json_int_member (object, "output_compression");
  request->partial_images = json_int_member (object, "partial_images");
  member = json_object_get_member (object, "stream");
  request->stream = member && JSON_NODE_HOLDS_VALUE (member) &&
                    json_node_get_value_type (member) == G_TYPE_BOOLEAN && json_node_get_boolean (member);
  if (request->prompt == NULL)
    request->prompt = g_strdup (generation->prompt);

  member = json_object_get_member (object, "images");
  if (member != NULL && JSON_NODE_HOLDS_ARRAY (member))
    {
      JsonArray *images = json_node_get_array (member);

      for (guint i = 0; i < json_array_get_length (images); i++)
        {
          EaselInputImage *image = input_image_from_json (self, json_array_get_element (images, i), error);

          if (image == NULL)
            return NULL;
          easel_request_add_image (request, image);
        }
    }

  member = json_object_get_member (object, "mask");
  if (member != NULL)
    {
      EaselInputImage *mask = input_image_from_json (self, member, error);

      if (mask == NULL)
        return NULL;
      easel_request_set_mask (request, mask);
    }

  member = json_object_get_member (object, "image_call_refs");
  if (member != NULL && JSON_NODE_HOLDS_ARRAY (member))
    {
      JsonArray *refs = json_node_get_array (member);

      for (guint i = 0; i < json_array_get_length (refs); i++)
        {
          const char *ref = json_array_get_string_element (refs, i);

          if (ref != NULL)
            g_ptr_array_add (request->image_call_refs, g_strdup (ref));
        }
    }

  return g_steal_pointer (&request);
}

/* Runs an UPDATE that must touch exactly the row @id names. */
static gboolean
step_update_one (EaselStore    *self,
                 sqlite3_stmt  *stmt,
                 const char    *what,
                 gint64         id,
                 GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (error, self->db, rc, "write to");
      return FALSE;
    }
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_NOT_FOUND,
                   "There is no %s %" G_GINT64_FORMAT " in the library", what, id);
      return FALSE;
    }
  queue_changed (self);
  return TRUE;
}

static gboolean
update_one (EaselStore *self, const char *sql, gint64 id, gint64 value, GError **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->mutex);
  g_autoptr(EaselStmt) stmt = prepare (self, sql, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, value);
  sqlite3_bind_int64 (stmt, 2, id);
  return step_update_one (self, stmt, "image", id, error);
}

gboolean
easel_store_set_starred (EaselStore *self, gint64 id, gboolean starred, GError **error)
{
  g_return_val_if_fail (EASEL_IS_STORE (self), FALSE);
  return update_one (self, "UPDATE generations SET starred = ?1 WHERE id = ?2", id, starred ? 1 : 0, error);
}

gboolean
easel_store_delete (EaselStore *self, gint64 id, GError **error)
{
  g_return_val_if_fail (EASEL_IS_STORE (self), FALSE);
  /* max(…, 1): deleted_at must stay non-zero even with a bogus clock. */
  return update_one (self, "UPDATE generations SET deleted_at = max(?1, 1) WHERE id = ?2",
                     id, g_get_real_time () / G_USEC_PER_SEC, error);
}

gboolean
easel_store_undelete (EaselStore *self, gint64 id, GError **error)
{
  g_return_val_if_fail (EASEL_IS_STORE (self), FALSE);
  return update_one (self, "UPDATE generations SET deleted_at = ?1 WHERE id = ?2", id, 0, error);
}

int
easel_store_purge (EaselStore *self, gint64 deleted_before, GError **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  int purged;
  int rc;

  g_return_val_if_fail (EASEL_IS_STORE (self), -1);

  if (deleted_before <= 0)
    deleted_before = G_MAXINT64;

  locker = g_mutex_locker_new (&self->mutex);
  if (!exec_sql (self->db, "BEGIN IMMEDIATE", "write to", error))
    return -1;

  /* Files only the purged rows use. */
  stmt = prepare (self, "SELECT DISTINCT d.path FROM generations d WHERE d.deleted_at > 0 "
                        "AND d.deleted_at < ?1 AND d.path IS NOT NULL AND NOT EXISTS "
                        "(SELECT 1 FROM generations o WHERE o.sha256 = d.sha256 AND NOT "
                        "(o.deleted_at > 0 AND o.deleted_at < ?1)) AND NOT EXISTS "
                        "(SELECT 1 FROM generations m WHERE m.mask_sha256 = d.sha256) AND NOT EXISTS "
                        "(SELECT 1 FROM " INPUT_SHA_JOIN " WHERE " INPUT_SHA_COLUMN " = d.sha256)", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, deleted_before);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (files, g_build_filename (self->dir, sqlite3_column_text (stmt, 0), NULL));
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (error, self->db, rc, "read");
      goto fail;
    }
  g_clear_pointer (&stmt, sqlite3_finalize);

  stmt = prepare (self, "DELETE FROM generations WHERE deleted_at > 0 AND deleted_at < ?1", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, deleted_before);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (error, self->db, rc, "write to");
      goto fail;
    }
  purged = sqlite3_changes (self->db);
  if (!exec_sql (self->db, "COMMIT", "write to", error))
    goto fail;

  /* Rows are gone first: a crash here leaves orphans, which the sweep removes,
   * never rows pointing at missing files. */
  for (guint i = 0; i < files->len; i++)
    g_unlink (files->pdata[i]);

  queue_changed (self);
  return purged;

fail:
  exec_sql (self->db, "ROLLBACK", "write to", NULL);
  return -1;
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
    g_string_append (s, " AND g.status = 'ok'");
  if (q->model)
    g_string_append (s, " AND g.model = :model");
  if (q->since)
    g_string_append (s, " AND g.created >= :since");
  if (q->until)
    g_string_append (s, " AND g.created < :until");
  if (q->conversation_id)
    g_string_append (s, " AND g.conversation_id = :conv");
  if (q->starred_only)
    g_string_append (s, " AND g.starred = 1");
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
  if ((i = sqlite3_bind_parameter_index (stmt, ":limit")))
    sqlite3_bind_int64 (stmt, i, q->limit ? (gint64) q->limit : -1);
  if ((i = sqlite3_bind_parameter_index (stmt, ":offset")))
    sqlite3_bind_int64 (stmt, i, q->offset);
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

  sql = g_strdup_printf ("SELECT " GEN_COLUMNS " FROM generations g%s ORDER BY %s LIMIT :limit OFFSET :offset",
                         where, order);
  if (!(stmt = prepare (self, sql, error)))
    return NULL;
  bind_query (stmt, query, fts);
  if (!(rows = collect_generations (self, stmt, error)))
    return NULL;

  if (total_count != NULL)
    {
      g_autofree char *count_sql = g_strdup_printf ("SELECT count(*) FROM generations g%s", where);
      g_autoptr(EaselStmt) count = NULL;
      int rc;

      if (!(count = prepare (self, count_sql, error)))
        return NULL;
      bind_query (count, query, fts);
      rc = sqlite3_step (count);
      if (rc != SQLITE_ROW)
        {
          set_sqlite_error (error, self->db, rc, "read");
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
  QueryResult *r = g_new0 (QueryResult, 1);
  GError *error = NULL;

  r->rows = easel_store_query (source_object, task_data, &r->total, &error);
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

static gboolean
spend_rows (EaselStore *self, const char *key_expr, const char *order, gint64 since,
            GPtrArray *out, EaselSpendRow *single, GError **error)
{
  g_autofree char *sql = NULL;
  g_autoptr(EaselStmt) stmt = NULL;
  int rc;

  sql = g_strdup_printf ("SELECT %s AS k, sum(c), "
                         "sum(CASE WHEN status IN ('failed','moderated') THEN c ELSE 0 END), "
                         "sum(status = 'ok'), sum(status = 'failed'), sum(status = 'moderated'), "
                         "sum(status = 'cancelled'), "
                         "sum(actual_usd IS NULL AND estimated_usd IS NOT NULL AND status != 'cancelled'), "
                         "sum(input_tokens), sum(output_tokens) "
                         "FROM (SELECT *, " SPEND_COST " AS c FROM generations WHERE created >= ?1) "
                         "%s%s%s",
                         key_expr,
                         single ? "" : "GROUP BY k ORDER BY ", single ? "" : order, "");
  if (!(stmt = prepare (self, sql, error)))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, since);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      EaselSpendRow *row = single ? single : g_new0 (EaselSpendRow, 1);

      row->key = single ? NULL : col_text (stmt, 0);
      row->usd = sqlite3_column_double (stmt, 1);
      row->failed_usd = sqlite3_column_double (stmt, 2);
      row->n_ok = sqlite3_column_int (stmt, 3);
      row->n_failed = sqlite3_column_int (stmt, 4);
      row->n_moderated = sqlite3_column_int (stmt, 5);
      row->n_cancelled = sqlite3_column_int (stmt, 6);
      row->n_estimated = sqlite3_column_int (stmt, 7);
      row->input_tokens = sqlite3_column_int64 (stmt, 8);
      row->output_tokens = sqlite3_column_int64 (stmt, 9);
      if (!single)
        g_ptr_array_add (out, row);
    }
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (error, self->db, rc, "read");
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

  locker = g_mutex_locker_new (&self->mutex);
  /* One read transaction so the three views agree. */
  if (!exec_sql (self->db, "BEGIN", "read", error))
    return NULL;
  if (!spend_rows (self, "NULL", NULL, since, NULL, &spend->total, error) ||
      !spend_rows (self, "date(created, 'unixepoch', 'localtime')", "k DESC", since,
                   spend->per_day, NULL, error) ||
      !spend_rows (self, "coalesce(model, '')", "sum(c) DESC, k", since,
                   spend->per_model, NULL, error))
    {
      exec_sql (self->db, "ROLLBACK", "read", NULL);
      return NULL;
    }
  exec_sql (self->db, "COMMIT", "read", NULL);
  return g_steal_pointer (&spend);
}

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
      set_sqlite_error (error, self->db, rc, "read");
      return NULL;
    }
  return g_steal_pointer (&out);
}

static EaselConversation *
get_conversation_locked (EaselStore *self, gint64 id, GError **error)
{
  g_autoptr(EaselStmt) stmt = prepare (self, "SELECT " CONV_COLUMNS " FROM conversations WHERE id = ?1", error);
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
  return get_conversation_locked (self, id, error);
}

EaselConversation *
easel_store_create_conversation (EaselStore *self, const char *title, GError **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  int rc;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);

  locker = g_mutex_locker_new (&self->mutex);
  if (!(stmt = prepare (self, "INSERT INTO conversations (title, created, updated) VALUES (?1, ?2, ?2)", error)))
    return NULL;
  sqlite3_bind_text (stmt, 1, title ? title : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, now);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (error, self->db, rc, "write to");
      return NULL;
    }
  queue_changed (self);
  return get_conversation_locked (self, sqlite3_last_insert_rowid (self->db), error);
}

GPtrArray *
easel_store_list_conversations (EaselStore *self, GError **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);

  locker = g_mutex_locker_new (&self->mutex);
  if (!(stmt = prepare (self, "SELECT " CONV_COLUMNS " FROM conversations ORDER BY updated DESC, id DESC", error)))
    return NULL;
  return collect (self, stmt, (gpointer) conversation_from_row, error);
}

gboolean
easel_store_rename_conversation (EaselStore *self, gint64 id, const char *title, GError **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (self), FALSE);

  locker = g_mutex_locker_new (&self->mutex);
  if (!(stmt = prepare (self, "UPDATE conversations SET title = ?1 WHERE id = ?2", error)))
    return FALSE;
  sqlite3_bind_text (stmt, 1, title ? title : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, id);
  return step_update_one (self, stmt, "conversation", id, error);
}

static gboolean
add_turn_locked (EaselStore *self, EaselTurn *turn, GError **error)
{
  g_autoptr(EaselStmt) stmt = NULL;
  int rc;

  if (turn->parent_turn_id > 0)
    {
      gint64 parent_conv;

      if (!(stmt = prepare (self, "SELECT conversation_id FROM turns WHERE id = ?1", error)))
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, turn->parent_turn_id);
      rc = sqlite3_step (stmt);
      if (rc != SQLITE_ROW)
        {
          if (rc == SQLITE_DONE)
            g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_NOT_FOUND,
                         "There is no turn %" G_GINT64_FORMAT " in the library", turn->parent_turn_id);
          else
            set_sqlite_error (error, self->db, rc, "read");
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

  if (!(stmt = prepare (self, "INSERT INTO turns (conversation_id, parent_turn_id, user_text, assistant_text, "
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
        set_sqlite_error (error, self->db, rc, "write to");
      return FALSE;
    }
  turn->id = sqlite3_last_insert_rowid (self->db);
  g_clear_pointer (&stmt, sqlite3_finalize);

  if (!(stmt = prepare (self, "UPDATE conversations SET updated = ?1, last_turn = ?2 WHERE id = ?3", error)))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, turn->created);
  sqlite3_bind_int64 (stmt, 2, turn->id);
  sqlite3_bind_int64 (stmt, 3, turn->conversation_id);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (error, self->db, rc, "write to");
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

  locker = g_mutex_locker_new (&self->mutex);
  if (!exec_sql (self->db, "BEGIN IMMEDIATE", "write to", error))
    return 0;
  if (!add_turn_locked (self, turn, error) || !exec_sql (self->db, "COMMIT", "write to", error))
    {
      exec_sql (self->db, "ROLLBACK", "write to", NULL);
      turn->id = 0;
      return 0;
    }
  queue_changed (self);
  return turn->id;
}

gboolean
easel_store_update_turn (EaselStore *self, EaselTurn *turn, GError **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (self), FALSE);
  g_return_val_if_fail (EASEL_IS_TURN (turn), FALSE);

  locker = g_mutex_locker_new (&self->mutex);
  if (!(stmt = prepare (self, "UPDATE turns SET assistant_text = ?1, response_id = ?2, image_call_id = ?3, "
                              "generation_id = ?4 WHERE id = ?5", error)))
    return FALSE;
  bind_text (stmt, 1, turn->assistant_text);
  bind_text (stmt, 2, turn->response_id);
  bind_text (stmt, 3, turn->image_call_id);
  bind_id (stmt, 4, turn->generation_id);
  sqlite3_bind_int64 (stmt, 5, turn->id);
  return step_update_one (self, stmt, "turn", turn->id, error);
}

GPtrArray *
easel_store_list_turns (EaselStore *self, gint64 conversation_id, GError **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(EaselStmt) stmt = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);

  locker = g_mutex_locker_new (&self->mutex);
  if (!(stmt = prepare (self, "SELECT " TURN_COLUMNS " FROM turns WHERE conversation_id = ?1 ORDER BY id", error)))
    return NULL;
  sqlite3_bind_int64 (stmt, 1, conversation_id);
  return collect (self, stmt, (gpointer) turn_from_row, error);
}

static GPtrArray *
turn_path_locked (EaselStore *self, gint64 turn_id, GError **error)
{
  g_autoptr(EaselStmt) stmt = NULL;
  g_autoptr(GPtrArray) rows = NULL;

  /* Walk up the tree; depth bounds a (corrupt) cycle. */
  if (!(stmt = prepare (self, "WITH RECURSIVE up(id, depth) AS ("
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
  return turn_path_locked (self, turn_id, error);
}

/* ------------------------------------------------------------------------- */
/* Export and import */

#define EASEL_RECORD_KEY "easel:record"

static void
add_string_member (JsonBuilder *b, const char *name, const char *value)
{
  if (value == NULL)
    return;
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

static char *
build_record_json (EaselGeneration *g, EaselConversation *conv, GPtrArray *turns)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, 1);

  json_builder_set_member_name (b, "generation");
  json_builder_begin_object (b);
  add_string_member (b, "sha256", g->sha256);
  add_string_member (b, "model", g->model);
  add_string_member (b, "api", g->api);
  add_string_member (b, "params_json", g->params_json);
  add_string_member (b, "prompt", g->prompt);
  add_string_member (b, "revised_prompt", g->revised_prompt);
  add_string_member (b, "action", g->action);
  add_string_member (b, "size", g->size);
  add_string_member (b, "format", g->format);
  add_string_member (b, "background", g->background);
  add_string_member (b, "quality", g->quality);
  add_string_member (b, "usage_json", g->usage_json);
  add_string_member (b, "request_hash", g->request_hash);
  add_string_member (b, "response_id", g->response_id);
  add_string_member (b, "image_call_id", g->image_call_id);
  add_string_member (b, "mask_sha256", g->mask_sha256);
  json_builder_set_member_name (b, "input_tokens");
  json_builder_add_int_value (b, g->input_tokens);
  json_builder_set_member_name (b, "output_tokens");
  json_builder_add_int_value (b, g->output_tokens);
  json_builder_set_member_name (b, "estimated_usd");
  json_builder_add_double_value (b, g->estimated_usd);
  json_builder_set_member_name (b, "actual_usd");
  json_builder_add_double_value (b, g->actual_usd);
  json_builder_set_member_name (b, "created");
  json_builder_add_int_value (b, g->created);
  json_builder_end_object (b);

  if (conv != NULL)
    {
      json_builder_set_member_name (b, "conversation");
      json_builder_begin_object (b);
      add_string_member (b, "title", conv->title);
      json_builder_set_member_name (b, "created");
      json_builder_add_int_value (b, conv->created);
      json_builder_end_object (b);
    }

  if (turns != NULL)
    {
      json_builder_set_member_name (b, "turns");
      json_builder_begin_array (b);
      for (guint i = 0; i < turns->len; i++)
        {
          EaselTurn *t = turns->pdata[i];

          json_builder_begin_object (b);
          add_string_member (b, "user_text", t->user_text);
          add_string_member (b, "assistant_text", t->assistant_text);
          add_string_member (b, "response_id", t->response_id);
          add_string_member (b, "previous_response_id", t->previous_response_id);
          add_string_member (b, "image_call_id", t->image_call_id);
          json_builder_set_member_name (b, "created");
          json_builder_add_int_value (b, t->created);
          json_builder_set_member_name (b, "this_image");
          json_builder_add_boolean_value (b, t->generation_id == g->id);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }

  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static GBytes *
encode_pixbuf (GdkPixbuf *pixbuf, const char *type, int quality, GError **error)
{
  g_autofree char *buf = NULL;
  g_autofree char *q = g_strdup_printf ("%d", CLAMP (quality, 0, 100));
  g_autoptr(GdkPixbuf) flat = NULL;
  gsize len = 0;

  /* JPEG has no alpha: flatten onto white rather than onto whatever the
   * transparent pixels happen to hold. */
  if (g_str_equal (type, "jpeg") && gdk_pixbuf_get_has_alpha (pixbuf))
    {
      int w = gdk_pixbuf_get_width (pixbuf), h = gdk_pixbuf_get_height (pixbuf);

      flat = gdk_pixbuf_composite_color_simple (pixbuf, w, h, GDK_INTERP_NEAREST, 255, 8,
                                                0xffffffff, 0xffffffff);
      pixbuf = flat;
    }

  if (g_str_equal (type, "png"))
    {
      if (!gdk_pixbuf_save_to_buffer (pixbuf, &buf, &len, "png", error, NULL))
        return NULL;
    }
  else if (!gdk_pixbuf_save_to_buffer (pixbuf, &buf, &len, type, error, "quality", q, NULL))
    return NULL;

  return g_bytes_new_take (g_steal_pointer (&buf), len);
}

gboolean
easel_store_export (EaselStore        *self,
                    gint64             id,
                    GFile             *dest,
                    EaselExportFormat  format,
                    int                quality,
                    GError           **error)
{
  g_autoptr(EaselGeneration) g = NULL;
  g_autoptr(EaselConversation) conv = NULL;
  g_autoptr(GPtrArray) turns = NULL;
  g_autoptr(GBytes) source = NULL;
  g_autoptr(GBytes) out = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (self), FALSE);
  g_return_val_if_fail (G_IS_FILE (dest), FALSE);

  if (quality < 0)
    quality = 90;

  {
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->mutex);

    if (!(g = get_generation_locked (self, id, error)))
      return FALSE;
    if (g->conversation_id > 0)
      conv = get_conversation_locked (self, g->conversation_id, NULL);
    if (g->turn_id > 0)
      turns = turn_path_locked (self, g->turn_id, NULL);
  }

  if (g->path == NULL)
    {
      g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID,
                   "Library entry %" G_GINT64_FORMAT " has no image to export", id);
      return FALSE;
    }

  file = g_file_new_for_path (g->path);
  if (!(source = g_file_load_bytes (file, NULL, NULL, &local_error)))
    {
      g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_IO,
                   "Could not read the image of entry %" G_GINT64_FORMAT ": %s", id, local_error->message);
      return FALSE;
    }

  if (format == EASEL_EXPORT_PNG)
    {
      g_autoptr(GBytes) png = NULL;
      g_autofree char *record = build_record_json (g, conv, turns);
      g_autofree char *conv_id = g->conversation_id ? g_strdup_printf ("%" G_GINT64_FORMAT, g->conversation_id) : NULL;
      g_autoptr(EaselGeneration) parent = NULL;
      g_autoptr(GPtrArray) pairs = g_ptr_array_new ();

      if (g_strcmp0 (g->format, "png") == 0 || g_str_equal (format_from_bytes (source), "png"))
        png = g_bytes_ref (source);
      else
        {
          g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();

          if (!gdk_pixbuf_loader_write_bytes (loader, source, error) ||
              !gdk_pixbuf_loader_close (loader, error) ||
              !(png = encode_pixbuf (gdk_pixbuf_loader_get_pixbuf (loader), "png", 0, error)))
            return FALSE;
        }

      if (g->parent_generation_id > 0)
        parent = easel_store_get_generation (self, g->parent_generation_id, NULL);

#define PAIR(k, v) if ((v) != NULL) { g_ptr_array_add (pairs, (gpointer) (k)); g_ptr_array_add (pairs, (gpointer) (v)); }
      PAIR ("Software", "Easel " PACKAGE_VERSION);
      PAIR ("Description", g->prompt);
      PAIR ("easel:prompt", g->prompt);
      PAIR ("easel:revised-prompt", g->revised_prompt);
      PAIR ("easel:model", g->model);
      PAIR ("easel:params", g->params_json);
      PAIR ("easel:response-id", g->response_id);
      PAIR ("easel:conversation-id", conv_id);
      PAIR ("easel:parent-sha256", parent ? parent->sha256 : NULL);
      PAIR (EASEL_RECORD_KEY, record);
#undef PAIR
      g_ptr_array_add (pairs, NULL);

      if (!(out = easel_png_meta_write (png, (const char * const *) pairs->pdata, error)))
        return FALSE;
    }
  else
    {
      g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();

      if (!gdk_pixbuf_loader_write_bytes (loader, source, error) ||
          !gdk_pixbuf_loader_close (loader, error) ||
          !(out = encode_pixbuf (gdk_pixbuf_loader_get_pixbuf (loader),
                                 format == EASEL_EXPORT_JPEG ? "jpeg" : "webp", quality, error)))
        return FALSE;
    }

  /* g_file_replace_contents writes a temp file and renames it: atomic. */
  return g_file_replace_contents (dest, g_bytes_get_data (out, NULL), g_bytes_get_size (out),
                                  NULL, FALSE, G_FILE_CREATE_NONE, NULL, NULL, error);
}

typedef struct
{
  gint64             id;
  GFile             *dest;
  EaselExportFormat  format;
  int                quality;
} ExportData;

static void
export_data_free (ExportData *d)
{
  g_clear_object (&d->dest);
  g_free (d);
}

static void
export_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ExportData *d = task_data;
  GError *error = NULL;

  if (easel_store_export (source_object, d->id, d->dest, d->format, d->quality, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
easel_store_export_async (EaselStore          *self,
                          gint64               id,
                          GFile               *dest,
                          EaselExportFormat    format,
                          int                  quality,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ExportData *d;

  g_return_if_fail (EASEL_IS_STORE (self));
  g_return_if_fail (G_IS_FILE (dest));

  d = g_new0 (ExportData, 1);
  d->id = id;
  d->dest = g_object_ref (dest);
  d->format = format;
  d->quality = quality;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_store_export_async);
  g_task_set_task_data (task, d, (GDestroyNotify) export_data_free);
  g_task_run_in_thread (task, export_thread);
}

gboolean
easel_store_export_finish (EaselStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static char *
member_string (JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  if (n == NULL || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return g_strdup (json_node_get_string (n));
}

static gint64
member_int (JsonObject *o, const char *name, gint64 fallback)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n))
    return fallback;
  return json_node_get_int (n);
}

static double
member_double (JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n))
    return -1;
  return json_node_get_double (n);
}

EaselGeneration *
easel_store_import (EaselStore *self, GFile *png, GError **error)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GHashTable) meta = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(EaselGeneration) g = easel_generation_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *rel = NULL;
  JsonObject *root, *go, *co;
  JsonArray *turns;
  const char *record;

  g_return_val_if_fail (EASEL_IS_STORE (self), NULL);
  g_return_val_if_fail (G_IS_FILE (png), NULL);

  if (!(bytes = g_file_load_bytes (png, NULL, NULL, &local_error)))
    {
      g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_IO, "Could not read “%s”: %s",
                   g_file_peek_path (png), local_error->message);
      return NULL;
    }
  if (!(meta = easel_png_meta_read (bytes, &local_error)))
    {
      g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID, "Cannot import “%s”: %s",
                   g_file_peek_path (png), local_error->message);
      return NULL;
    }
  record = g_hash_table_lookup (meta, EASEL_RECORD_KEY);
  if (record == NULL || !json_parser_load_from_data (parser, record, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID,
                   "“%s” is not an image exported by Easel", g_file_peek_path (png));
      return NULL;
    }

  root = json_node_get_object (json_parser_get_root (parser));
  go = json_object_has_member (root, "generation") ? json_object_get_object_member (root, "generation") : NULL;
  co = json_object_has_member (root, "conversation") ? json_object_get_object_member (root, "conversation") : NULL;
  turns = json_object_has_member (root, "turns") ? json_object_get_array_member (root, "turns") : NULL;
  if (go == NULL)
    {
      g_set_error (error, EASEL_STORE_ERROR, EASEL_STORE_ERROR_INVALID,
                   "“%s” has damaged Easel metadata", g_file_peek_path (png));
      return NULL;
    }

  g->model = member_string (go, "model");
  g->api = member_string (go, "api");
  g->params_json = member_string (go, "params_json");
  g->prompt = member_string (go, "prompt");
  g->revised_prompt = member_string (go, "revised_prompt");
  g->action = member_string (go, "action");
  g->size = member_string (go, "size");
  g->format = g_strdup ("png");
  g->background = member_string (go, "background");
  g->quality = member_string (go, "quality");
  g->usage_json = member_string (go, "usage_json");
  g->request_hash = member_string (go, "request_hash");
  g->response_id = member_string (go, "response_id");
  g->image_call_id = member_string (go, "image_call_id");
  g->input_tokens = member_int (go, "input_tokens", 0);
  g->output_tokens = member_int (go, "output_tokens", 0);
  g->estimated_usd = member_double (go, "estimated_usd");
  g->actual_usd = member_double (go, "actual_usd");
  g->created = member_int (go, "created", 0);
  g->status = EASEL_GENERATION_OK;

  /* The file first (with its metadata: it is what the user had), then all
   * rows in one transaction. */
  if (!(rel = store_image_file (self, bytes, "png", &g->sha256, error)))
    return NULL;

  {
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->mutex);
    g_autoptr(EaselTurn) image_turn = NULL;
    gint64 conv_id = 0, parent_turn = 0;

    if (!exec_sql (self->db, "BEGIN IMMEDIATE", "write to", error))
      return NULL;

    if (turns != NULL && json_array_get_length (turns) > 0)
      {
        g_autoptr(EaselStmt) stmt = NULL;
        g_autofree char *title = member_string (co, "title");
        int rc;

        if (!(stmt = prepare (self, "INSERT INTO conversations (title, created, updated) VALUES (?1, ?2, ?2)", error)))
          goto fail;
        sqlite3_bind_text (stmt, 1, title ? title : "", -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64 (stmt, 2, member_int (co, "created", g_get_real_time () / G_USEC_PER_SEC));
        if ((rc = sqlite3_step (stmt)) != SQLITE_DONE)
          {
            set_sqlite_error (error, self->db, rc, "write to");
            goto fail;
          }
        conv_id = sqlite3_last_insert_rowid (self->db);

        for (guint i = 0; i < json_array_get_length (turns); i++)
          {
            JsonObject *to = json_array_get_object_element (turns, i);
            g_autoptr(EaselTurn) t = easel_turn_new ();
            JsonNode *this_image;

            if (to == NULL)
              continue;
            t->conversation_id = conv_id;
            t->parent_turn_id = parent_turn;
            t->user_text = member_string (to, "user_text");
            t->assistant_text = member_string (to, "assistant_text");
            t->response_id = member_string (to, "response_id");
            t->previous_response_id = member_string (to, "previous_response_id");
            t->image_call_id = member_string (to, "image_call_id");
            t->created = member_int (to, "created", 0);
            if (!add_turn_locked (self, t, error))
              goto fail;
            parent_turn = t->id;
            this_image = json_object_get_member (to, "this_image");
            if (this_image && JSON_NODE_HOLDS_VALUE (this_image) && json_node_get_boolean (this_image))
              g_set_object (&image_turn, t);
          }
      }

    g->conversation_id = conv_id;
    g->turn_id = image_turn ? image_turn->id : parent_turn;
    if (!insert_generation_row (self, g, rel, error))
      goto fail;

    if (g->turn_id > 0)
      {
        g_autoptr(EaselStmt) stmt = prepare (self, "UPDATE turns SET generation_id = ?1 WHERE id = ?2", error);

        if (stmt == NULL)
          goto fail;
        sqlite3_bind_int64 (stmt, 1, g->id);
        sqlite3_bind_int64 (stmt, 2, g->turn_id);
        if (sqlite3_step (stmt) != SQLITE_DONE)
          {
            set_sqlite_error (error, self->db, sqlite3_errcode (self->db), "write to");
            goto fail;
          }
      }

    if (!exec_sql (self->db, "COMMIT", "write to", error))
      goto fail;

    g_free (g->path);
    g->path = g_build_filename (self->dir, rel, NULL);
    queue_changed (self);
    return g_steal_pointer (&g);

  fail:
    exec_sql (self->db, "ROLLBACK", "write to", NULL);
    return NULL;
  }
}
