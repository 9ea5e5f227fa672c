/* easel-store-files.c: image files: atomic writes, the orphan sweep and the purge
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
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

#include "easel-store-private.h"

/* ------------------------------------------------------------------------- */
/* Files */

gboolean
_easel_store_fsync_dir (const char *dir, GError **error)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0 || fsync (fd) != 0)
    {
      int err = errno;

      if (fd >= 0)
        close (fd);
      _easel_store_set_errno_error (error, err, "Could not sync the folder", dir);
      return FALSE;
    }
  close (fd);
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

const char *
_easel_store_format_from_bytes (GBytes *bytes)
{
  gsize len;
  const guint8 *d = g_bytes_get_data (bytes, &len);

  if (len >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff)
    return "jpeg";
  if (len >= 12 && memcmp (d, "RIFF", 4) == 0 && memcmp (d + 8, "WEBP", 4) == 0)
    return "webp";
  return "png";
}

const char *
_easel_store_normalize_format (const char *format, GBytes *bytes)
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
  return bytes ? _easel_store_format_from_bytes (bytes) : "png";
}

/* Writes the file without touching the database. Returns the path relative
 * to the library dir ("images/ab/ab….png"). */
char *
_easel_store_store_image_file (EaselStore  *self,
                  GBytes      *bytes,
                  const char  *format,
                  char       **out_sha256,
                  GError     **error)
{
  g_autofree char *sha = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
  const char *ext = _easel_store_normalize_format (format, bytes);
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
      _easel_store_set_errno_error (error, errno, "Could not create the folder", subdir);
      return NULL;
    }

  /* The pid in the name lets the sweep remove temp files of dead writers. */
  tmp = g_strdup_printf ("%s/.tmp-%d-XXXXXX", subdir, (int) getpid ());
  fd = g_mkstemp_full (tmp, O_RDWR | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      _easel_store_set_errno_error (error, errno, "Could not create a file in", subdir);
      return NULL;
    }

  if (!write_all (fd, data, len) || fsync (fd) != 0)
    {
      int err = errno;

      close (fd);
      g_unlink (tmp);
      _easel_store_set_errno_error (error, err, "Could not write the image", path);
      return NULL;
    }
  if (close (fd) != 0)
    {
      int err = errno;

      g_unlink (tmp);
      _easel_store_set_errno_error (error, err, "Could not write the image", path);
      return NULL;
    }
  if (g_rename (tmp, path) != 0)
    {
      int err = errno;

      g_unlink (tmp);
      _easel_store_set_errno_error (error, err, "Could not write the image", path);
      return NULL;
    }
  if (!_easel_store_fsync_dir (subdir, error))
    return NULL;
  if (new_subdir && !_easel_store_fsync_dir (self->images_dir, error))
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

  if (!_easel_store_check_writable (self, error))
    return NULL;
  if (!(rel = _easel_store_store_image_file (self, bytes, format, out_sha256, error)))
    return NULL;
  return g_build_filename (self->dir, rel, NULL);
}

static gboolean
pid_is_alive (int pid)
{
  return pid > 0 && (kill (pid, 0) == 0 || errno == EPERM);
}

/* The input images of every row, from params_json: images[].sha256 of
 * kind "bytes". A row whose params_json is not JSON, or whose images are
 * not a list of objects, contributes nothing: json_extract() on a scalar
 * is "malformed JSON", which would fail the whole query. (CASE evaluates
 * lazily; AND need not.) */
#define INPUT_SHA_JOIN \
  "generations gi, json_each(CASE WHEN json_valid(gi.params_json) THEN " \
  "CASE WHEN json_type(gi.params_json, '$.images') = 'array' THEN gi.params_json ELSE '{}' END " \
  "ELSE '{}' END, '$.images') ji"
#define INPUT_SHA_COLUMN "CASE WHEN ji.type = 'object' THEN json_extract(ji.value, '$.sha256') END"

/* Subdirectories of images/ whose mtime is at least @since (0: all). A file
 * created, renamed in or removed from a directory moves its mtime. */
static GPtrArray *
subdirs_changed_since (const char *images_dir,
                       gint64      since)
{
  g_autoptr(GPtrArray) subdirs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) images = g_dir_open (images_dir, 0, NULL);
  const char *sub;

  while (images != NULL && (sub = g_dir_read_name (images)))
    {
      g_autofree char *subdir = NULL;
      struct stat st;

      if (strlen (sub) != 2)
        continue;
      subdir = g_build_filename (images_dir, sub, NULL);
      if (lstat (subdir, &st) != 0 || !S_ISDIR (st.st_mode))
        continue;
      if (since > 0 && (gint64) st.st_mtime < since)
        continue;
      g_ptr_array_add (subdirs, g_steal_pointer (&subdir));
    }

  return g_steal_pointer (&subdirs);
}

/* @db is the store's connection (mutex held) or a maintenance connection of
 * its own. Only subdirectories changed since @since are looked at. */
int
_easel_store_sweep (EaselStore  *self,
                    sqlite3     *db,
                    gint64       grace_seconds,
                    gint64       since,
                    GError     **error)
{
  g_autoptr(GHashTable) refs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) subdirs = NULL;
  g_autoptr(EaselStmt) stmt = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  int removed = 0;
  int rc;

  /* Hold the write lock so no other process commits a row for a file while
   * we decide it is an orphan. */
  if (!_easel_store_exec (db, "BEGIN IMMEDIATE", "lock", error))
    return -1;

  subdirs = subdirs_changed_since (self->images_dir, since);
  if (subdirs->len == 0)
    goto out;

  rc = sqlite3_prepare_v2 (db, "SELECT sha256 FROM generations WHERE sha256 IS NOT NULL "
                           "UNION SELECT mask_sha256 FROM generations WHERE mask_sha256 IS NOT NULL "
                           "UNION SELECT " INPUT_SHA_COLUMN " FROM " INPUT_SHA_JOIN, -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      _easel_store_set_sqlite_error (error, db, rc, "read");
      goto fail;
    }
  /* An input image without a sha256 gives NULL. */
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    if (sqlite3_column_type (stmt, 0) == SQLITE_TEXT)
      g_hash_table_add (refs, col_text (stmt, 0));
  if (rc != SQLITE_DONE)
    {
      _easel_store_set_sqlite_error (error, db, rc, "read");
      goto fail;
    }

  for (guint i = 0; i < subdirs->len; i++)
    {
      const char *subdir = g_ptr_array_index (subdirs, i);
      g_autoptr(GDir) d = g_dir_open (subdir, 0, NULL);
      const char *name;

      while (d != NULL && (name = g_dir_read_name (d)))
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

out:
  _easel_store_exec (db, "ROLLBACK", "unlock", NULL);
  return removed;

fail:
  _easel_store_exec (db, "ROLLBACK", "unlock", NULL);
  return -1;
}

int
easel_store_sweep_orphans (EaselStore *self, gint64 grace_seconds, GError **error)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (EASEL_IS_STORE (self), -1);

  if (!_easel_store_check_writable (self, error))
    return -1;
  locker = g_mutex_locker_new (&self->mutex);
  return _easel_store_sweep (self, self->db, grace_seconds, 0, error);
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

  if (!_easel_store_check_writable (self, error))
    return -1;
  if (deleted_before <= 0)
    deleted_before = G_MAXINT64;

  locker = g_mutex_locker_new (&self->mutex);
  if (!_easel_store_exec (self->db, "BEGIN IMMEDIATE", "write to", error))
    return -1;

  /* Files only the purged rows use. */
  stmt = _easel_store_prepare (self, "SELECT DISTINCT d.path FROM generations d WHERE d.deleted_at > 0 "
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
      _easel_store_set_sqlite_error (error, self->db, rc, "read");
      goto fail;
    }
  g_clear_pointer (&stmt, sqlite3_finalize);

  stmt = _easel_store_prepare (self, "DELETE FROM generations WHERE deleted_at > 0 AND deleted_at < ?1", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, deleted_before);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    {
      _easel_store_set_sqlite_error (error, self->db, rc, "write to");
      goto fail;
    }
  purged = sqlite3_changes (self->db);
  if (!_easel_store_exec (self->db, "COMMIT", "write to", error))
    goto fail;

  /* Rows are gone first: a crash here leaves orphans, which the sweep removes,
   * never rows pointing at missing files. */
  for (guint i = 0; i < files->len; i++)
    g_unlink (files->pdata[i]);

  _easel_store_queue_changed (self);
  return purged;

fail:
  _easel_store_exec (self->db, "ROLLBACK", "write to", NULL);
  return -1;
}
