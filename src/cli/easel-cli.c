/* easel-cli.c: `easel`, the command line over the Easel core
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-cli"

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "easel-cli-library.h"
#include "easel-cli-private.h"

typedef struct
{
  const char *name;
  const char *help;
} Command;

static const Command commands[] = {
  { "generate",   "Generate images from a prompt" },
  { "edit",       "Edit images, optionally through a mask" },
  { "variations", "Make variations of an image (dall-e-2)" },
  { "chat",       "Draw in a conversation (Responses API); --continue to go on" },
  { "resume",     "Fetch the image of a turn still in progress on the server, by response id" },
  { "key",        "Set, clear or show the API key (keyring)" },
  { "library",    "List, search, show, export or delete past generations" },
  { "batch",      "Submit, wait for and fetch Batch API jobs at half price" },
  { "compare",    "One prompt across models × qualities: every image, a contact sheet, the costs" },
  { "budget",     "Show or set the daily and monthly spending limits" },
};

static void
print_usage (FILE *out)
{
  fprintf (out,
           "Usage:\n"
           "  easel COMMAND [OPTION…]\n"
           "\n"
           "Easel draws with OpenAI's image models.\n"
           "\n"
           "Commands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-11s %s\n", commands[i].name, commands[i].help);
  fprintf (out,
           "\n"
           "Options:\n"
           "  -h, --help     Show this help\n"
           "  --version      Show the version\n"
           "\n"
           "Run 'easel COMMAND --help' for a command's options.\n"
           "Example: easel generate --quality low \"a red fox in the snow\"\n");
}

/* Plain Levenshtein distance, for "did you mean". */
static guint
edit_distance (const char *a,
               const char *b)
{
  gsize la = strlen (a), lb = strlen (b);
  g_autofree guint *row = g_new (guint, lb + 1);

  for (gsize j = 0; j <= lb; j++)
    row[j] = j;

  for (gsize i = 1; i <= la; i++)
    {
      guint diagonal = row[0];

      row[0] = i;
      for (gsize j = 1; j <= lb; j++)
        {
          guint above = row[j];
          guint cost = a[i - 1] == b[j - 1] ? 0 : 1;

          row[j] = MIN (MIN (row[j] + 1, row[j - 1] + 1), diagonal + cost);
          diagonal = above;
        }
    }

  return row[lb];
}

static const char *
closest_command (const char *name)
{
  const char *best = NULL;
  guint best_distance = G_MAXUINT;

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      guint d = edit_distance (name, commands[i].name);

      if (g_str_has_prefix (commands[i].name, name))
        d = 0;
      if (d < best_distance)
        {
          best_distance = d;
          best = commands[i].name;
        }
    }

  return best_distance <= 3 ? best : NULL;
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *prgname = NULL;
  const char *command;
  int sub_argc;
  char **sub_argv;
  int ret;

  /* Before anything reads the key: a crash must not leave it in a core file. */
  easel_process_protect_secrets ();

  setlocale (LC_ALL, "");
  g_set_application_name ("Easel");
  /* stdout is for results (paths, --json); log lines such as --debug-http's
   * go to stderr, where GLib would otherwise only send warnings. */
  g_log_writer_default_set_use_stderr (TRUE);

  if (argc < 2)
    {
      print_usage (stderr);
      return EASEL_CLI_EXIT_USAGE;
    }

  command = argv[1];

  if (g_str_equal (command, "help") && argc > 2)
    {
      /* `easel help generate` is `easel generate --help`. */
      char *help_argv[] = { argv[0], argv[2], (char *) "--help", NULL };

      return main (3, help_argv);
    }

  if (g_str_equal (command, "--help") || g_str_equal (command, "-h") || g_str_equal (command, "help"))
    {
      print_usage (stdout);
      return EASEL_CLI_EXIT_OK;
    }

  if (g_str_equal (command, "--version") || g_str_equal (command, "-V") || g_str_equal (command, "version"))
    {
      printf ("easel %s\n", PACKAGE_VERSION);
      return EASEL_CLI_EXIT_OK;
    }

  /* The subcommand sees "easel generate" as its program name, so GOption's
   * help and errors read naturally. */
  prgname = g_strdup_printf ("easel %s", command);
  g_set_prgname (prgname);
  sub_argc = argc - 1;
  sub_argv = g_new0 (char *, argc);
  sub_argv[0] = prgname;
  for (int i = 2; i < argc; i++)
    sub_argv[i - 1] = argv[i];

  if (g_str_equal (command, "generate"))
    ret = easel_cli_request_main (EASEL_API_IMAGES_GENERATE, command, sub_argc, sub_argv);
  else if (g_str_equal (command, "edit"))
    ret = easel_cli_request_main (EASEL_API_IMAGES_EDIT, command, sub_argc, sub_argv);
  else if (g_str_equal (command, "variations") || g_str_equal (command, "variation"))
    ret = easel_cli_request_main (EASEL_API_IMAGES_VARIATION, "variations", sub_argc, sub_argv);
  else if (g_str_equal (command, "chat"))
    ret = easel_cli_request_main (EASEL_API_RESPONSES, command, sub_argc, sub_argv);
  else if (g_str_equal (command, "resume"))
    ret = easel_cli_request_main (EASEL_API_RESPONSES, command, sub_argc, sub_argv);
  else if (g_str_equal (command, "key"))
    ret = easel_cli_key_main (sub_argc, sub_argv);
  else if (g_str_equal (command, "library"))
    ret = easel_cli_library_main (sub_argc, sub_argv);
  else if (g_str_equal (command, "batch"))
    ret = easel_cli_batch_main (sub_argc, sub_argv);
  else if (g_str_equal (command, "compare"))
    ret = easel_cli_compare_main (sub_argc, sub_argv);
  else if (g_str_equal (command, "budget"))
    ret = easel_cli_budget_main (sub_argc, sub_argv);
  else
    {
      const char *suggestion = closest_command (command);

      if (command[0] == '-')
        fprintf (stderr, "easel: unknown option '%s'; a command comes first\n", command);
      else
        fprintf (stderr, "easel: unknown command '%s'\n", command);
      if (suggestion != NULL && command[0] != '-')
        fprintf (stderr, "Did you mean 'easel %s'?\n", suggestion);
      fprintf (stderr, "Run 'easel --help' for the list of commands.\n");
      ret = EASEL_CLI_EXIT_USAGE;
    }

  /* GOption may have shuffled the vector; the strings are argv's. */
  g_free (sub_argv);
  return ret;
}
