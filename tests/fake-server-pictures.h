/* fake-server-pictures.h: procedural pictures for the fake server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Private to tests/fake-server.c. Paints a landscape or a still life from
 * the words of a prompt with cairo: deterministic per (prompt, variant).
 */
#pragma once

#include <gdk-pixbuf/gdk-pixbuf.h>

G_BEGIN_DECLS

/* TRUE when this build can paint pictures (cairo was found). */
gboolean   easel_fake_pictures_available (void);

/* An opaque RGB picture of @width×@height for @prompt. @stage 0…2 gives a
 * partial image, coarser and blurrier the lower it is; 3 the final one.
 * @variant tells apart the n images of one request (and models). A
 * @low_quality final image is drawn at half size and scaled up: softer. */
GdkPixbuf *easel_fake_picture_render     (const char *prompt,
                                          int         width,
                                          int         height,
                                          guint       variant,
                                          guint       stage,
                                          gboolean    low_quality);

G_END_DECLS
