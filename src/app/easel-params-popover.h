/* easel-params-popover.h: the generation parameters, next to the prompt
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>
#include "easel-params.h"

G_BEGIN_DECLS

#define EASEL_TYPE_PARAMS_POPOVER (easel_params_popover_get_type ())
G_DECLARE_FINAL_TYPE (EaselParamsPopover, easel_params_popover, EASEL, PARAMS_POPOVER, GtkPopover)

/* Property "params". Options the chosen model lacks are insensitive, with a
 * tooltip saying why (from easel_model_lookup). */
GtkWidget   *easel_params_popover_new        (void);
EaselParams *easel_params_popover_get_params (EaselParamsPopover *self);
void         easel_params_popover_set_params (EaselParamsPopover *self, EaselParams *params);
/* Why @option is unavailable for the current parameters, or NULL. */
char        *easel_params_unavailable_reason (EaselParams *params, const char *option);
/* The values offered for the string option @prop ("api-mode", "size", …)
 * with the current image model, NULL-terminated; @scratch (a GPtrArray with
 * no free func) holds a list built on the fly. Shared with Preferences. */
const char * const *easel_params_get_choices (EaselParams *params, const char *prop, GPtrArray *scratch);
/* What the user reads for the value @value of the string option @prop:
 * "Landscape (1536 × 1024)" for size "1536x1024", "High" for quality
 * "high", translated. Values without a label (model ids, a compatible
 * server's sizes) come back as they are. */
char        *easel_params_dup_option_label (const char *prop, const char *value);
/* An expression over a GtkStringObject holding a value of @prop, giving its
 * label: for a GtkDropDown or AdwComboRow whose model holds wire values. */
GtkExpression *easel_params_option_label_expression (const char *prop);

G_END_DECLS
