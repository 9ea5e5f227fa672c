/* easel-text.h: text from outside, made safe to show
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* How much server text a message shows; --debug-http logs the rest. */
#define EASEL_TEXT_MAX_SHOWN 2000
/* The longest prompt a model takes (gpt-image-1: 32,000 characters). */
#define EASEL_TEXT_MAX_PROMPT 32000

typedef enum
{
  EASEL_TEXT_ESCAPE_DEFAULT       = 0,
  EASEL_TEXT_ESCAPE_KEEP_NEWLINES = 1 << 0, /* '\n' passes; every other control is escaped */
} EaselTextEscapeFlags;

/* Returns @text safe to print on a terminal or put in a label: C0 controls,
 * DEL and C1 controls become visible escapes ("\x1b", "\u009b"), as do
 * bidirectional overrides and line/paragraph separators; invalid UTF-8
 * becomes U+FFFD; and past @max_chars characters (0 = no cap) the rest is
 * replaced by "… (N more characters)". NULL gives NULL. */
char *easel_text_escape_untrusted      (const char           *text,
                                        gsize                 max_chars);
char *easel_text_escape_untrusted_full (const char           *text,
                                        gssize                len,
                                        gsize                 max_chars,
                                        EaselTextEscapeFlags  flags);

G_END_DECLS
