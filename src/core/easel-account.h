/* easel-account.h: the key and the server the studio talks to
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * EaselAccount is a non-widget object the application owns. It resolves
 * the server (OPENAI_BASE_URL, then the GSettings "base-url", then
 * OpenAI's), finds the key (OPENAI_API_KEY, then the keyring) and is the
 * one owner of both: the EaselClient it is given gets its base URL, key
 * and organization from it. Widgets follow its properties.
 *
 * The key itself is never a property, never logged and never returned.
 *
 * GTK-free: unit tests use it without a display.
 */
#pragma once

#include <gio/gio.h>
#include "easel-client.h"
#include "easel-config.h"

G_BEGIN_DECLS

#define EASEL_TYPE_ACCOUNT (easel_account_get_type ())
G_DECLARE_FINAL_TYPE (EaselAccount, easel_account, EASEL, ACCOUNT, GObject)

/* Read-only properties, notified when they change:
 *   "client"       EaselClient  the client this account configures
 *   "settings"     GSettings    or NULL (construct-only)
 *   "base-url"     string       the resolved server, normalised, no trailing slash
 *   "base-url-from-environment" boolean  OPENAI_BASE_URL chose it
 *   "key-source"   EaselKeySource
 *   "has-key"      boolean      the client has a key
 *   "key-error"    string       why the keyring could not be read, or NULL
 *   "checked"      boolean      FALSE until the keyring (or the environment) answered */
EaselAccount   *easel_account_new                       (GSettings    *settings,
                                                         EaselClient  *client);
EaselClient    *easel_account_get_client                (EaselAccount *self);
GSettings      *easel_account_get_settings              (EaselAccount *self);
const char     *easel_account_get_base_url              (EaselAccount *self);
gboolean        easel_account_get_base_url_from_environment (EaselAccount *self);
EaselKeySource  easel_account_get_key_source            (EaselAccount *self);
gboolean        easel_account_get_has_key               (EaselAccount *self);
const char     *easel_account_get_key_error             (EaselAccount *self);
gboolean        easel_account_get_checked               (EaselAccount *self);
/* Resolves the server again and reads the key again: OPENAI_API_KEY at
 * once, else the keyring, asynchronously. A newer reload supersedes an
 * older one still waiting for the keyring. Called by itself when the
 * "base-url" or "organization" setting changes; call it after storing or
 * removing a key. */
void            easel_account_reload                    (EaselAccount *self);

G_END_DECLS
