/* easel-search-provider.h: GNOME Shell's search over the library
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include "easel-library.h"

G_BEGIN_DECLS

#define EASEL_TYPE_SEARCH_PROVIDER (easel_search_provider_get_type ())
G_DECLARE_FINAL_TYPE (EaselSearchProvider, easel_search_provider, EASEL, SEARCH_PROVIDER, GObject)

/* org.gnome.Shell.SearchProvider2 over @library: prompts and revised
 * prompts through the store's full-text search, run on the library's
 * worker. Result ids are generation ids. Activating a result or launching
 * a search emits "activate-result" (gint64 generation_id, guint timestamp)
 * or "launch-search" (const char *text, guint timestamp) on the main
 * context; @application is held while a call is answered. */
EaselSearchProvider *easel_search_provider_new        (GApplication        *application,
                                                       EaselLibrary        *library);
gboolean             easel_search_provider_register   (EaselSearchProvider *self,
                                                       GDBusConnection     *connection,
                                                       const char          *object_path,
                                                       GError             **error);
void                 easel_search_provider_unregister (EaselSearchProvider *self);

G_END_DECLS
