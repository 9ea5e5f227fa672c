/* easel-cli-key.c: `easel key set|clear|status`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-cli"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "easel-cli-private.h"

/* Reads one line from stdin. On a terminal, echo is off so the key never
 * shows on screen or in a screen recording; it is never taken from argv,
 * where `ps` and the shell history would see it. */
static char *
read_key_from_stdin (GError **error)
{
  g_autoptr(GString) line = g_string_new (NULL);
  struct termios saved, quiet;
  gboolean tty = isatty (STDIN_FILENO);
  gboolean echo_off = FALSE;
  int c;

  if (tty)
    {
      fprintf (stderr, "Paste the OpenAI API key and press Enter: ");
      fflush (stderr);
      if (tcgetattr (STDIN_FILENO, &saved) == 0)
        {
          quiet = saved;
          quiet.c_lflag &= ~(ECHO | ECHONL);
          quiet.c_lflag |= ICANON;
          echo_off = tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
        }
    }

  while ((c = getchar ()) != EOF && c != '\n')
    g_string_append_c (line, (char) c);

  if (echo_off)
    tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);
  if (tty)
    fputc ('\n', stderr);

  g_strstrip (line->str);
  line->len = strlen (line->str);

  if (line->len == 0)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "No key was read from stdin");
      return NULL;
    }

  return g_string_free (g_steal_pointer (&line), FALSE);
}

static void
wipe_and_free (char *secret)
{
  if (secret != NULL)
    {
      memset (secret, 0, strlen (secret));
      g_free (secret);
    }
}

static int
key_set (const char *base_url)
{
  g_autoptr(GError) error = NULL;
  char *key;

  key = read_key_from_stdin (&error);
  if (key == NULL)
    {
      fprintf (stderr, "easel key set: %s\n", error->message);
      return EASEL_CLI_EXIT_USAGE;
    }

  if (!g_str_has_prefix (key, "sk-"))
    fprintf (stderr, "easel key set: warning: OpenAI keys start with sk-; storing it anyway\n");

  if (!easel_secret_store_sync (base_url, key, NULL, &error))
    {
      wipe_and_free (key);
      fprintf (stderr, "easel key set: could not store the key in the keyring: %s\n", error->message);
      fprintf (stderr, "  Without a keyring, export OPENAI_API_KEY=sk-… instead.\n");
      return EASEL_CLI_EXIT_FAILED;
    }

  {
    g_autofree char *masked = easel_cli_mask_key (key);

    printf ("Stored %s in the keyring for %s\n", masked, base_url);
  }
  wipe_and_free (key);

  if (g_getenv ("OPENAI_API_KEY") != NULL)
    fprintf (stderr, "easel key set: note: OPENAI_API_KEY is set and takes precedence over the keyring\n");

  return EASEL_CLI_EXIT_OK;
}

static int
key_clear (const char *base_url)
{
  g_autoptr(GError) error = NULL;

  if (!easel_secret_clear_sync (base_url, NULL, &error))
    {
      fprintf (stderr, "easel key clear: %s\n", error->message);
      return EASEL_CLI_EXIT_FAILED;
    }

  printf ("Removed the key for %s from the keyring\n", base_url);
  if (g_getenv ("OPENAI_API_KEY") != NULL)
    fprintf (stderr, "easel key clear: note: OPENAI_API_KEY is still set in this environment\n");

  return EASEL_CLI_EXIT_OK;
}

static int
key_status (const char *base_url)
{
  g_autoptr(GError) error = NULL;
  EaselKeySource source = EASEL_KEY_SOURCE_NONE;
  char *key;

  key = easel_config_get_api_key_sync (base_url, &source, &error);

  printf ("Base URL: %s\n", base_url);

  if (key == NULL || *key == '\0')
    {
      wipe_and_free (key);
      printf ("Key: none\n");
      /* NO_KEY's own message repeats the hint below; other errors explain why. */
      if (error != NULL && !g_error_matches (error, EASEL_CONFIG_ERROR, EASEL_CONFIG_ERROR_NO_KEY))
        printf ("Keyring: %s\n", error->message);
      printf ("Set one with `easel key set` (reads stdin) or export OPENAI_API_KEY=sk-…\n");
      return EASEL_CLI_EXIT_FAILED;
    }

  {
    g_autofree char *masked = easel_cli_mask_key (key);
    const char *where = source == EASEL_KEY_SOURCE_ENVIRONMENT ? "environment (OPENAI_API_KEY)"
                      : source == EASEL_KEY_SOURCE_KEYRING ? "keyring"
                      : "unknown";

    printf ("Key: %s\n", masked);
    printf ("Source: %s\n", where);
  }
  wipe_and_free (key);

  return EASEL_CLI_EXIT_OK;
}

int
easel_cli_key_main (int    argc,
                    char **argv)
{
  g_autofree char *explicit_url = NULL;
  g_autofree char *base_url = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = {
    { "base-url", 0, 0, G_OPTION_ARG_STRING, &explicit_url, "The server the key is for (default: $OPENAI_BASE_URL or " EASEL_DEFAULT_BASE_URL ")", "URL" },
    { NULL }
  };

  context = g_option_context_new ("set|clear|status");
  g_option_context_set_summary (context,
    "Manages the OpenAI API key in the keyring.\n\n"
    "  set     read a key from stdin (echo off on a terminal) and store it\n"
    "  clear   remove the stored key\n"
    "  status  show where the key comes from, masked");
  g_option_context_add_main_entries (context, entries, NULL);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "easel key: %s\nRun 'easel key --help' for the options.\n", error->message);
      return EASEL_CLI_EXIT_USAGE;
    }

  if (argc != 2)
    {
      fprintf (stderr, "easel key: expected one of set, clear, status\n"
                       "The key itself is never an argument: `easel key set` reads it from stdin.\n");
      return EASEL_CLI_EXIT_USAGE;
    }

  base_url = easel_config_resolve_base_url (explicit_url, NULL, &error);
  if (base_url == NULL)
    {
      fprintf (stderr, "easel key: %s\n", error->message);
      return EASEL_CLI_EXIT_USAGE;
    }

  if (g_str_equal (argv[1], "set"))
    return key_set (base_url);
  if (g_str_equal (argv[1], "clear"))
    return key_clear (base_url);
  if (g_str_equal (argv[1], "status"))
    return key_status (base_url);

  fprintf (stderr, "easel key: unknown action '%s'; expected set, clear or status\n", argv[1]);
  return EASEL_CLI_EXIT_USAGE;
}
