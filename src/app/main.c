/* main.c: easel-studio entry point
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-studio"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "easel-application.h"
#include "easel-config.h"
#include "easel-image-decoder.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(EaselApplication) app = NULL;

  /* Before anything reads the key: a crash must not leave it in a core file. */
  easel_process_protect_secrets ();
  easel_image_tune_allocator ();
  setlocale (LC_ALL, "");
  {
    g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);

    bindtextdomain (GETTEXT_PACKAGE, easel_application_locale_dir (exe));
  }
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = easel_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
