/* easel-wrap-box.h: children in a row that wraps onto new lines
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define EASEL_TYPE_WRAP_BOX (easel_wrap_box_get_type ())
G_DECLARE_FINAL_TYPE (EaselWrapBox, easel_wrap_box, EASEL, WRAP_BOX, GtkWidget)

GtkWidget *easel_wrap_box_new    (void);
void       easel_wrap_box_append (EaselWrapBox *self,
                                  GtkWidget    *child);

G_END_DECLS
