/* easel-application.h: the studio application
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>
#include "easel-core.h"

G_BEGIN_DECLS

#define EASEL_TYPE_APPLICATION (easel_application_get_type ())
G_DECLARE_FINAL_TYPE (EaselApplication, easel_application, EASEL, APPLICATION, AdwApplication)

/* Properties: "client" (EaselClient, shared by every window), "key-source"
 * (EaselKeySource as int), "key-error" (why the keyring could not be read,
 * e.g. no Secret Service), "settings" (GSettings or NULL), "library"
 * (EaselLibrary). */
EaselApplication *easel_application_new            (void);
EaselClient      *easel_application_get_client     (EaselApplication *self);
/* The library (the one owner of the store). The first call starts opening
 * it in its worker; its "state" and "store" say when it is ready. */
EaselLibrary     *easel_application_get_library    (EaselApplication *self);
GSettings        *easel_application_get_settings   (EaselApplication *self);
EaselKeySource    easel_application_get_key_source (EaselApplication *self);
const char       *easel_application_get_key_error  (EaselApplication *self);
/* FALSE until the keyring answered. */
gboolean          easel_application_get_key_checked (EaselApplication *self);
/* The resolved base URL (OPENAI_BASE_URL, then the setting, then OpenAI). */
char             *easel_application_dup_base_url   (EaselApplication *self);
/* Reads the key again (after Preferences stored or removed one). */
void              easel_application_reload_key     (EaselApplication *self);
void              easel_application_show_preferences (EaselApplication *self,
                                                      gboolean          focus_key);

G_END_DECLS
