/* easel-cli-output.c: output file names, claimed and written atomically; error printing
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-cli"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "easel-cli-private.h"

struct _EaselCliOutput
{
  char *dir;
  char *stem;
  char *extension;   /* the user's own extension for --output PATH, or NULL */
  char *exact_path;  /* --output PATH: used as is for a single image */
};

char *
easel_cli_mask_key (const char *key)
{
  gsize len;

  if (key == NULL || *key == '\0')
    return g_strdup ("(none)");

  len = strlen (key);
  /* Short keys would give too much away with four visible characters. */
  if (len < 12)
    return g_strdup ("…");

  if (g_str_has_prefix (key, "sk-"))
    return g_strdup_printf ("sk-…%s", key + len - 4);

  return g_strdup_printf ("…%s", key + len - 4);
}

void
easel_cli_warn (const char *format,
                ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  fprintf (stderr, "easel: %s\n", message);
}

int
easel_cli_exit_code_for_error (const GError *error)
{
  if (error == NULL)
    return EASEL_CLI_EXIT_OK;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return EASEL_CLI_EXIT_CANCELLED;

  if (error->domain == EASEL_VALIDATION_ERROR ||
      error->domain == EASEL_CONFIG_ERROR ||
      error->domain == G_OPTION_ERROR)
    return EASEL_CLI_EXIT_USAGE;

  return EASEL_CLI_EXIT_FAILED;
}

/* Server text on the terminal: the key redacted (the server may echo it in
 * any field), control sequences made visible, and a length anyone can read. */
char *
easel_cli_safe_text (const char *text,
                     const char *api_key)
{
  g_autofree char *redacted = easel_redact (text, api_key);

  return easel_text_escape_untrusted (redacted, EASEL_TEXT_MAX_SHOWN);
}

static void
print_field (const char *label,
             const char *value,
             const char *api_key)
{
  g_autofree char *safe = NULL;

  if (value == NULL)
    return;
  safe = easel_cli_safe_text (value, api_key);
  fprintf (stderr, "  %s: %s\n", label, safe);
}

/* How to give Easel a key, unless @message (the core's) said it already. */
static void
print_key_hint (const char *message)
{
  if (strstr (message, "easel key set") != NULL && strstr (message, "OPENAI_API_KEY") != NULL)
    fprintf (stderr, "  `easel key set` reads the key from stdin and keeps it in the keyring.\n");
  else
    fprintf (stderr,
             "  Store a key in the keyring with `easel key set` (it reads the key from stdin),\n"
             "  or export OPENAI_API_KEY=sk-… for this shell.\n");
}

void
easel_cli_print_error (const GError *error,
                       const char   *api_key,
                       gboolean      debug_http)
{
  g_autofree char *message = NULL;

  g_return_if_fail (error != NULL);

  /* A server may echo the key back (401 "Incorrect API key provided: sk-…"). */
  message = easel_cli_safe_text (error->message, api_key);
  fprintf (stderr, "easel: error: %s\n", message);

  /* The whole message, still redacted and escaped, for whoever debugs. */
  if (debug_http && g_utf8_strlen (error->message, -1) > EASEL_TEXT_MAX_SHOWN)
    {
      g_autofree char *redacted = easel_redact (error->message, api_key);
      g_autofree char *full = easel_text_escape_untrusted (redacted, 0);

      fprintf (stderr, "easel: debug: the whole error message: %s\n", full);
    }

  if (error->domain == EASEL_API_ERROR)
    {
      const char * const *categories = easel_api_error_get_categories (error);
      const char *stage = easel_api_error_get_moderation_stage (error);
      guint status = easel_api_error_get_status (error);

      print_field ("type", easel_api_error_get_error_type (error), api_key);
      print_field ("code", easel_api_error_get_error_code (error), api_key);
      print_field ("param", easel_api_error_get_param (error), api_key);
      if (categories != NULL && categories[0] != NULL)
        {
          g_autofree char *joined = g_strjoinv (", ", (char **) categories);
          g_autofree char *safe_joined = easel_cli_safe_text (joined, api_key);
          g_autofree char *safe_stage = easel_cli_safe_text (stage, api_key);

          if (safe_stage != NULL)
            fprintf (stderr, "  moderation categories: %s (stage: %s)\n", safe_joined, safe_stage);
          else
            fprintf (stderr, "  moderation categories: %s\n", safe_joined);
        }
      if (status != 0)
        fprintf (stderr, "  HTTP status: %u\n", status);
      print_field ("request id", easel_api_error_get_request_id (error), api_key);

      if (g_error_matches (error, EASEL_API_ERROR, EASEL_API_ERROR_AUTHENTICATION))
        fprintf (stderr, "  hint: check the key with `easel key status`, or set a new one with `easel key set`\n");
      else if (g_error_matches (error, EASEL_API_ERROR, EASEL_API_ERROR_QUOTA))
        fprintf (stderr, "  hint: the account is out of credit; retrying will not help\n");
    }
  else if (g_error_matches (error, EASEL_CONFIG_ERROR, EASEL_CONFIG_ERROR_NO_KEY) ||
           g_error_matches (error, EASEL_CONFIG_ERROR, EASEL_CONFIG_ERROR_NO_SECRET_SERVICE))
    print_key_hint (error->message);
}

void
easel_cli_print_missing_key (const char   *who,
                             const GError *error)
{
  const char *message = error != NULL ? error->message : "No API key is set";

  fprintf (stderr, "%s: %s\n", who, message);
  print_key_hint (message);
}

const char *
easel_cli_extension_for (GBytes     *bytes,
                         const char *format)
{
  const char *mime = NULL;

  /* What the bytes are wins over what was asked for. */
  if (bytes != NULL)
    {
      gsize len = 0;
      const guint8 *data = g_bytes_get_data (bytes, &len);

      mime = easel_image_sniff_mime (data, len);
    }
  if (mime == NULL || g_str_equal (mime, "image/gif"))
    mime = easel_image_mime_for_format (format);
  return easel_image_extension_for_mime (mime);
}

static gboolean
stem_is_taken (const char *dir,
               const char *stem)
{
  static const char * const extensions[] = { "png", "jpg", "webp" };
  static const char * const suffixes[] = { "", "-1", "-partial-1" };

  for (guint i = 0; i < G_N_ELEMENTS (extensions); i++)
    for (guint j = 0; j < G_N_ELEMENTS (suffixes); j++)
      {
        g_autofree char *name = g_strdup_printf ("%s%s.%s", stem, suffixes[j], extensions[i]);
        g_autofree char *path = g_build_filename (dir, name, NULL);

        if (g_file_test (path, G_FILE_TEST_EXISTS))
          return TRUE;
      }

  return FALSE;
}

/* easel-<timestamp>; two runs within one second must not overwrite each
 * other, so a taken stem gets a _2, _3… */
static char *
make_timestamp_stem (const char *dir)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *base = g_date_time_format (now, "easel-%Y%m%d-%H%M%S");

  if (!stem_is_taken (dir, base))
    return g_steal_pointer (&base);

  for (guint i = 2; i < 1000; i++)
    {
      g_autofree char *stem = g_strdup_printf ("%s_%u", base, i);

      if (!stem_is_taken (dir, stem))
        return g_steal_pointer (&stem);
    }

  return g_steal_pointer (&base);
}

static char *
build_path (const char *dir,
            const char *name)
{
  /* easel-….png, not ./easel-….png, for the default folder. */
  if (g_strcmp0 (dir, ".") == 0)
    return g_strdup (name);

  return g_build_filename (dir, name, NULL);
}

EaselCliOutput *
easel_cli_output_new (const char  *option,
                      GError     **error)
{
  g_autoptr(EaselCliOutput) self = g_new0 (EaselCliOutput, 1);

  if (option == NULL || *option == '\0')
    {
      self->dir = g_strdup (".");
      self->stem = make_timestamp_stem (self->dir);
      return g_steal_pointer (&self);
    }

  if (g_file_test (option, G_FILE_TEST_IS_DIR) || g_str_has_suffix (option, G_DIR_SEPARATOR_S))
    {
      if (g_mkdir_with_parents (option, 0755) != 0)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       "Cannot create the output folder %s: %s", option, g_strerror (saved_errno));
          return NULL;
        }
      self->dir = g_strdup (option);
      self->stem = make_timestamp_stem (self->dir);
      return g_steal_pointer (&self);
    }
  else
    {
      g_autofree char *base = g_path_get_basename (option);
      const char *dot = strrchr (base, '.');

      self->dir = g_path_get_dirname (option);
      if (!g_file_test (self->dir, G_FILE_TEST_IS_DIR))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                       "The folder %s does not exist", self->dir);
          return NULL;
        }

      if (dot != NULL && dot != base)
        {
          self->stem = g_strndup (base, dot - base);
          self->extension = g_strdup (dot + 1);
          self->exact_path = g_strdup (option);
        }
      else
        {
          self->stem = g_strdup (base);
          /* A device or a pipe (/dev/stdout) is written as named, not as
           * a new file beside it called <name>.png. */
          if (g_file_test (option, G_FILE_TEST_EXISTS) && !g_file_test (option, G_FILE_TEST_IS_REGULAR))
            self->exact_path = g_strdup (option);
        }
      return g_steal_pointer (&self);
    }
}

void
easel_cli_output_free (EaselCliOutput *self)
{
  if (self == NULL)
    return;

  g_free (self->dir);
  g_free (self->stem);
  g_free (self->extension);
  g_free (self->exact_path);
  g_free (self);
}

char *
easel_cli_output_path_for_image (EaselCliOutput *self,
                                 guint           index,
                                 guint           n_images,
                                 const char     *extension)
{
  g_autofree char *name = NULL;
  const char *ext;

  g_return_val_if_fail (self != NULL, NULL);

  if (n_images <= 1 && self->exact_path != NULL)
    return g_strdup (self->exact_path);

  /* The user's own extension wins: they asked for that name. */
  ext = self->extension != NULL ? self->extension : extension;

  if (n_images <= 1)
    name = g_strdup_printf ("%s.%s", self->stem, ext);
  else
    name = g_strdup_printf ("%s-%u.%s", self->stem, index + 1, ext);

  return build_path (self->dir, name);
}

/* ---- writing ------------------------------------------------------------ */

typedef struct
{
  char   *exact_path;  /* the user named this file: write it, whatever is there */
  char   *dir;         /* otherwise claim <stem><suffix>.<ext> in @dir, or the next free one */
  char   *stem;
  char   *suffix;      /* "", "-2", "-partial-1" */
  char   *extension;
  GBytes *bytes;
} WriteData;

static void
write_data_free (WriteData *data)
{
  g_free (data->exact_path);
  g_free (data->dir);
  g_free (data->stem);
  g_free (data->suffix);
  g_free (data->extension);
  g_bytes_unref (data->bytes);
  g_free (data);
}

static gboolean
set_error_from_errno (GError     **error,
                      int          saved_errno,
                      const char  *what,
                      const char  *path)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               "Could not %s %s: %s", what, path, g_strerror (saved_errno));
  return FALSE;
}

/* For what is not a regular file (a device, a FIFO): no temp file beside
 * it, no rename over it. */
static gboolean
write_in_place (const char  *path,
                GBytes      *bytes,
                GError     **error)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  int fd;

  fd = g_open (path, O_WRONLY | O_TRUNC | O_CLOEXEC, 0);
  if (fd < 0)
    return set_error_from_errno (error, errno, "open", path);

  while (len > 0)
    {
      gssize n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;

          close (fd);
          return set_error_from_errno (error, saved_errno, "write", path);
        }
      data += n;
      len -= n;
    }

  if (close (fd) != 0)
    return set_error_from_errno (error, errno, "write", path);
  return TRUE;
}

static gboolean
write_exact (const char  *path,
             GBytes      *bytes,
             GError     **error)
{
  GStatBuf st;
  gsize len = 0;
  const char *contents = g_bytes_get_data (bytes, &len);

  if (g_stat (path, &st) == 0 && !S_ISREG (st.st_mode))
    return write_in_place (path, bytes, error);

  /* CONSISTENT: a temp file, fsync and rename, so a crash or Ctrl-C never
   * leaves a half-written image under the final name. */
  return g_file_set_contents_full (path, contents, len, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

/* Claims a name nobody else has (O_EXCL), <stem><suffix>.<ext> or else
 * <stem>_2<suffix>.<ext>, _3…, then fills it: a temp file renamed onto the
 * name we own, so the image appears whole. Another easel writing into the
 * same folder at the same second gets a name of its own. */
static char *
claim_and_write (WriteData  *data,
                 GError    **error)
{
  gsize len = 0;
  const char *contents = g_bytes_get_data (data->bytes, &len);

  for (guint i = 1; i < 1000; i++)
    {
      g_autofree char *name = NULL;
      g_autofree char *path = NULL;
      int fd;

      if (i == 1)
        name = g_strdup_printf ("%s%s.%s", data->stem, data->suffix, data->extension);
      else
        name = g_strdup_printf ("%s_%u%s.%s", data->stem, i, data->suffix, data->extension);
      path = build_path (data->dir, name);

      fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd < 0 && errno == EEXIST)
        continue;
      if (fd < 0)
        {
          set_error_from_errno (error, errno, "create", path);
          return NULL;
        }
      close (fd);

      if (!g_file_set_contents_full (path, contents, len, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error))
        {
          /* Give the name back rather than leave an empty file. */
          g_unlink (path);
          return NULL;
        }
      return g_steal_pointer (&path);
    }

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
               "No free file name for %s%s.%s in %s", data->stem, data->suffix, data->extension, data->dir);
  return NULL;
}

static void
write_file_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  WriteData *data = task_data;
  GError *error = NULL;
  char *path;

  if (data->exact_path != NULL)
    path = write_exact (data->exact_path, data->bytes, &error) ? g_strdup (data->exact_path) : NULL;
  else
    path = claim_and_write (data, &error);

  if (path == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, path, g_free);
}

static void
write_async (EaselCliOutput      *self,
             WriteData           *data,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, write_async);
  /* The worker gets copies: @self stays the main thread's. */
  data->dir = g_strdup (self->dir);
  data->stem = g_strdup (self->stem);
  g_task_set_task_data (task, data, (GDestroyNotify) write_data_free);
  g_task_run_in_thread (task, write_file_thread);
}

void
easel_cli_output_write_image_async (EaselCliOutput      *self,
                                    guint                index,
                                    guint                n_images,
                                    GBytes              *bytes,
                                    const char          *extension,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  WriteData *data;

  g_return_if_fail (self != NULL);
  g_return_if_fail (bytes != NULL);

  data = g_new0 (WriteData, 1);
  data->bytes = g_bytes_ref (bytes);
  if (n_images <= 1 && self->exact_path != NULL)
    data->exact_path = g_strdup (self->exact_path);
  /* The user's own extension wins: they asked for that name. */
  data->extension = g_strdup (self->extension != NULL ? self->extension : extension);
  data->suffix = n_images <= 1 ? g_strdup ("") : g_strdup_printf ("-%u", index + 1);

  write_async (self, data, cancellable, callback, user_data);
}

void
easel_cli_output_write_partial_async (EaselCliOutput      *self,
                                      guint                k,
                                      GBytes              *bytes,
                                      const char          *extension,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  WriteData *data;

  g_return_if_fail (self != NULL);
  g_return_if_fail (bytes != NULL);

  data = g_new0 (WriteData, 1);
  data->bytes = g_bytes_ref (bytes);
  data->extension = g_strdup (extension);
  data->suffix = g_strdup_printf ("-partial-%u", k);

  write_async (self, data, cancellable, callback, user_data);
}

char *
easel_cli_output_write_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == write_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
