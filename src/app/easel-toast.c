/* easel-toast.c: toasts and labels for text that may come from outside
 *
 * A server's error message or revised prompt reaches the window as it is:
 * control characters, a megabyte of text, or "<" that Pango markup would
 * read. Everything such goes through here on its way to a widget.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-toast"

#include "config.h"

#include "easel-text.h"
#include "easel-toast.h"

AdwToast *
easel_toast_new_for_text (const char *text)
{
  g_autofree char *safe = easel_text_escape_untrusted (text ? text : "", EASEL_TOAST_MAX_CHARS);
  g_autofree char *markup = g_markup_escape_text (safe, -1);

  return adw_toast_new (markup);
}

char *
easel_label_text_for (const char *text,
                      gsize       max_chars)
{
  return easel_text_escape_untrusted_full (text ? text : "", -1,
                                           max_chars > 0 ? max_chars : EASEL_TEXT_MAX_SHOWN,
                                           EASEL_TEXT_ESCAPE_KEEP_NEWLINES);
}
