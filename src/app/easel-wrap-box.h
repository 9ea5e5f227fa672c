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
void       easel_wrap_box_remove_all (EaselWrapBox *self);
/* Makes a child of every item of @model with @create_func, and again
 * whenever @model changes; NULL unbinds (and removes the children). */
void       easel_wrap_box_bind_model (EaselWrapBox                       *self,
                                      GListModel                         *model,
                                      GtkFlowBoxCreateWidgetFunc          create_func,
                                      gpointer                            user_data,
                                      GDestroyNotify                      user_data_free);

G_END_DECLS
