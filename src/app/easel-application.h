/* easel-application.h: the studio application
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>
#include "easel-core.h"
#include "easel-batch-list.h"

G_BEGIN_DECLS

#define EASEL_TYPE_APPLICATION (easel_application_get_type ())
G_DECLARE_FINAL_TYPE (EaselApplication, easel_application, EASEL, APPLICATION, AdwApplication)

/* Properties: "client" (EaselClient, shared by every window), "account"
 * (EaselAccount: the key and the server, which configures the client),
 * "library" (EaselLibrary). */
EaselApplication *easel_application_new            (void);
/* Where the translations are: the build tree's for a binary that runs
 * from it (@exe_path, e.g. /proc/self/exe), else the installed LOCALEDIR. */
const char       *easel_application_locale_dir     (const char       *exe_path);
EaselClient      *easel_application_get_client     (EaselApplication *self);
/* The one owner of the key and the server; widgets follow it. */
EaselAccount     *easel_application_get_account    (EaselApplication *self);
/* The library (the one owner of the store). The first call starts opening
 * it in its worker; its "state" and "store" say when it is ready. */
EaselLibrary     *easel_application_get_library    (EaselApplication *self);
GSettings        *easel_application_get_settings   (EaselApplication *self);
/* Every batch job of the library, polled and fetched while the application
 * runs (created with the library on first use). Its "job-finished" sends a
 * notification when no window is focused; app.show-batches brings the
 * Batches place up. */
EaselBatchList   *easel_application_get_batches    (EaselApplication *self);
void              easel_application_show_preferences (EaselApplication *self,
                                                      gboolean          focus_key);

G_END_DECLS
