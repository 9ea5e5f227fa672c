/* easel-store.h: the library — every generation and conversation, in SQLite
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * (The library work fills in the rest of this API; the type and the
 * opening function are fixed so the app and CLI can code against them.)
 */
#pragma once

#include <gio/gio.h>
#include "easel-request.h"
#include "easel-result.h"

G_BEGIN_DECLS

#define EASEL_TYPE_STORE (easel_store_get_type ())
G_DECLARE_FINAL_TYPE (EaselStore, easel_store, EASEL, STORE, GObject)

/* Opens (creating, migrating) the library in @dir, or in
 * $XDG_DATA_HOME/easel when @dir is NULL. */
EaselStore *easel_store_open    (const char *dir, GError **error);
const char *easel_store_get_dir (EaselStore *self);

G_END_DECLS
