/* easel-local-file.c: reading a file someone handed us, bounded
 *
 * `--image /dev/zero` or a FIFO must not hang or fill memory: the type and
 * size come from fstat() of the opened descriptor (O_NONBLOCK, so opening a
 * FIFO with no writer returns at once) before a single byte is read.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-local-file"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "easel-local-file.h"

#define MB (1024.0 * 1024.0)

static char *
display_name (GFile *file)
{
  char *name = g_file_get_basename (file);

  if (name == NULL || name[0] == '\0')
    {
      g_free (name);
      name = g_strdup ("file");
    }
  return name;
}

static gboolean
check_size (const char  *name,
            goffset      size,
            gsize        max_bytes,
            GError     **error)
{
  if (size >= 0 && (guint64) size <= max_bytes)
    return TRUE;

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
               "“%s” is %.1f MB; files of up to %.0f MB are accepted",
               name, size / MB, max_bytes / MB);
  return FALSE;
}

static gboolean
not_regular (const char  *name,
             GError     **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
               "“%s” is not a regular file (a pipe, device or directory); choose an image file",
               name);
  return FALSE;
}

static GBytes *
load_native (const char    *path,
             const char    *name,
             gsize          max_bytes,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autofree guint8 *data = NULL;
  struct stat st;
  gsize len = 0;
  gsize cap;
  int fd;
  int saved_errno;

  fd = g_open (path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not read “%s”: %s", name, g_strerror (saved_errno));
      return NULL;
    }

  if (fstat (fd, &st) != 0)
    {
      saved_errno = errno;
      close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not read “%s”: %s", name, g_strerror (saved_errno));
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      close (fd);
      not_regular (name, error);
      return NULL;
    }
  if (!check_size (name, st.st_size, max_bytes, error))
    {
      close (fd);
      return NULL;
    }

  /* The file may change between fstat and read: never take more than the
   * limit plus one byte, which tells that it grew past it. */
  cap = MIN ((gsize) st.st_size, max_bytes) + 1;
  data = g_malloc (cap);
  while (len < cap)
    {
      gssize n;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          close (fd);
          return NULL;
        }

      n = read (fd, data + len, cap - len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          saved_errno = errno;
          close (fd);
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       "Could not read “%s”: %s", name, g_strerror (saved_errno));
          return NULL;
        }
      if (n == 0)
        break;
      len += n;
    }
  close (fd);

  if (len > max_bytes)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                   "“%s” grew past %.0f MB while being read", name, max_bytes / MB);
      return NULL;
    }

  return g_bytes_new_take (g_steal_pointer (&data), len);
}

/* A file with no local path (a GVfs mount): the same checks through GIO. */
static GBytes *
load_gio (GFile         *file,
          const char    *name,
          gsize          max_bytes,
          GCancellable  *cancellable,
          GError       **error)
{
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GFileInputStream) stream = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) local_error = NULL;

  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_TYPE "," G_FILE_ATTRIBUTE_STANDARD_SIZE,
                            G_FILE_QUERY_INFO_NONE, cancellable, &local_error);
  if (info == NULL)
    {
      g_set_error (error, local_error->domain, local_error->code,
                   "Could not read “%s”: %s", name, local_error->message);
      return NULL;
    }
  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    {
      not_regular (name, error);
      return NULL;
    }
  if (!check_size (name, g_file_info_get_size (info), max_bytes, error))
    return NULL;

  stream = g_file_read (file, cancellable, &local_error);
  if (stream != NULL)
    bytes = g_input_stream_read_bytes (G_INPUT_STREAM (stream), max_bytes + 1, cancellable, &local_error);
  if (bytes == NULL)
    {
      g_set_error (error, local_error->domain, local_error->code,
                   "Could not read “%s”: %s", name, local_error->message);
      return NULL;
    }
  if (g_bytes_get_size (bytes) > max_bytes)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                   "“%s” grew past %.0f MB while being read", name, max_bytes / MB);
      return NULL;
    }

  return g_steal_pointer (&bytes);
}

GBytes *
easel_local_file_load (GFile         *file,
                       gsize          max_bytes,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;

  g_return_val_if_fail (G_IS_FILE (file), NULL);
  g_return_val_if_fail (max_bytes < G_MAXSIZE, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  name = display_name (file);
  path = g_file_get_path (file);
  if (path != NULL)
    return load_native (path, name, max_bytes, cancellable, error);
  return load_gio (file, name, max_bytes, cancellable, error);
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;
  GBytes *bytes;

  bytes = easel_local_file_load (G_FILE (source_object), GPOINTER_TO_SIZE (task_data),
                                 cancellable, &error);
  if (bytes == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, bytes, (GDestroyNotify) g_bytes_unref);
}

void
easel_local_file_load_async (GFile               *file,
                             gsize                max_bytes,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (G_IS_FILE (file));

  task = g_task_new (file, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_local_file_load_async);
  g_task_set_task_data (task, GSIZE_TO_POINTER (max_bytes), NULL);
  g_task_run_in_thread (task, load_thread);
}

GBytes *
easel_local_file_load_finish (GFile         *file,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, file), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
