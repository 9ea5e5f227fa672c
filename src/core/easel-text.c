/* easel-text.c: text from outside, made safe to show
 *
 * A server, a library record or a file name can hold ESC sequences that
 * clear the screen, retitle the terminal or fake a success line; or a
 * megabyte of text. Everything such goes through here before it is shown.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-text"

#include "config.h"

#include <string.h>

#include "easel-text.h"

static gboolean
needs_unicode_escape (gunichar c)
{
  return (c >= 0x80 && c <= 0x9f) ||        /* C1: CSI (0x9b), OSC (0x9d), … */
         c == 0x2028 || c == 0x2029 ||      /* line and paragraph separators */
         (c >= 0x202a && c <= 0x202e) ||    /* bidi embeddings and overrides */
         (c >= 0x2066 && c <= 0x2069) ||    /* bidi isolates */
         c == 0x200e || c == 0x200f ||      /* LRM, RLM */
         c == 0x061c;                       /* ALM */
}

char *
easel_text_escape_untrusted_full (const char           *text,
                                  gssize                len,
                                  gsize                 max_chars,
                                  EaselTextEscapeFlags  flags)
{
  g_autoptr(GString) out = NULL;
  const char *p;
  const char *end;
  gsize shown = 0;
  gsize more = 0;

  if (text == NULL)
    return NULL;

  if (len < 0)
    len = (gssize) strlen (text);
  end = text + len;
  out = g_string_sized_new (MIN ((gsize) len, max_chars > 0 ? max_chars * 2 : (gsize) len) + 1);

  for (p = text; p < end;)
    {
      /* GLib calls an embedded NUL invalid; it is a control like any other. */
      gunichar c = *p == '\0' ? 0 : g_utf8_get_char_validated (p, end - p);
      gsize step;

      if (c == (gunichar) -1 || c == (gunichar) -2)
        step = 1;   /* one invalid byte, one replacement character */
      else
        step = g_utf8_next_char (p) - p;

      if (max_chars > 0 && shown >= max_chars)
        {
          more++;
          p += step;
          continue;
        }
      shown++;

      if (c == (gunichar) -1 || c == (gunichar) -2)
        g_string_append (out, "\xef\xbf\xbd");  /* U+FFFD */
      else if (c == '\n' && (flags & EASEL_TEXT_ESCAPE_KEEP_NEWLINES))
        g_string_append_c (out, '\n');
      else if (c < 0x20 || c == 0x7f)
        g_string_append_printf (out, "\\x%02x", c);
      else if (needs_unicode_escape (c))
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_len (out, p, step);

      p += step;
    }

  if (more > 0)
    g_string_append_printf (out, "… (%" G_GSIZE_FORMAT " more character%s)", more, more == 1 ? "" : "s");

  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
easel_text_escape_untrusted (const char *text,
                             gsize       max_chars)
{
  return easel_text_escape_untrusted_full (text, -1, max_chars, EASEL_TEXT_ESCAPE_DEFAULT);
}
