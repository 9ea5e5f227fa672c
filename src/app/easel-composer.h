/* easel-composer.h: the prompt, attachments, parameters and Send
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>
#include "easel-params.h"

G_BEGIN_DECLS

#define EASEL_TYPE_COMPOSER (easel_composer_get_type ())
G_DECLARE_FINAL_TYPE (EaselComposer, easel_composer, EASEL, COMPOSER, GtkWidget)

/* Properties: "params" (EaselParams), "busy" (Send becomes Cancel),
 * "status" (the running request's stage line). Send activates win.send,
 * Cancel win.cancel. Signal "toast" (const char *message). */
GtkWidget   *easel_composer_new              (void);
EaselParams *easel_composer_get_params       (EaselComposer *self);
void         easel_composer_set_params       (EaselComposer *self, EaselParams *params);
char        *easel_composer_dup_text         (EaselComposer *self);
void         easel_composer_set_text         (EaselComposer *self, const char *text);
/* The attached images (EaselInputImage*) and their thumbnails (GdkTexture). */
GPtrArray   *easel_composer_get_attachments  (EaselComposer *self);
GListModel  *easel_composer_get_thumbnails   (EaselComposer *self);
void         easel_composer_add_file         (EaselComposer *self, GFile *file);
void         easel_composer_add_image_bytes  (EaselComposer *self, GBytes *bytes,
                                              const char *filename, const char *mime_type);
/* Empties the prompt and the attachments after a send. */
void         easel_composer_clear            (EaselComposer *self);
void         easel_composer_focus            (EaselComposer *self);

G_END_DECLS
