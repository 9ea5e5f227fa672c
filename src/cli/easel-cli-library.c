/* easel-cli-library.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-cli-library"

#include "config.h"

#include <stdio.h>

#include "easel-cli-library.h"

/* PLACEHOLDER until the store lands: replaced by the library work. */
int
easel_cli_library_main (int argc, char **argv)
{
  fprintf (stderr, "easel library: not available yet\n");
  return 2;
}

guint
easel_cli_library_record (const EaselRequest *request,
                          const EaselResult  *result,
                          const GError       *error,
                          const GPtrArray    *written_paths,
                          double              estimated_usd,
                          gboolean            enabled)
{
  return 0;
}

EaselResult *
easel_cli_library_lookup_cached (const EaselRequest *request)
{
  return NULL;
}
