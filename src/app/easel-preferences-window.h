/* easel-preferences-window.h: the API key, the server and the default parameters
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>
#include "easel-application.h"

G_BEGIN_DECLS

#define EASEL_TYPE_PREFERENCES_WINDOW (easel_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (EaselPreferencesWindow, easel_preferences_window, EASEL, PREFERENCES_WINDOW, AdwPreferencesWindow)

EaselPreferencesWindow *easel_preferences_window_new       (EaselApplication *app,
                                                            GtkWindow        *parent);
/* Scrolls to and focuses the API key row (first run, 401). */
void                    easel_preferences_window_focus_key (EaselPreferencesWindow *self);

G_END_DECLS
