/* easel-toast.h: toasts and labels for text that may come from outside
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "easel-text.h"

G_BEGIN_DECLS

/* How much of a server's text a toast shows; the turn row has the rest. */
#define EASEL_TOAST_MAX_CHARS 300

/* A toast for plain @text (an error message, a file name): controls escaped,
 * capped, and escaped for the markup AdwToast's title is parsed as. */
AdwToast *easel_toast_new_for_text (const char *text);
/* Plain @text for a label: controls escaped except line breaks, capped at
 * @max_chars (0: EASEL_TEXT_MAX_SHOWN). */
char     *easel_label_text_for     (const char *text, gsize max_chars);

G_END_DECLS
