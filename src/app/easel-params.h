/* easel-params.h: the generation parameters, persisted in GSettings
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include "easel-core.h"

G_BEGIN_DECLS

#define EASEL_TYPE_PARAMS (easel_params_get_type ())
G_DECLARE_FINAL_TYPE (EaselParams, easel_params, EASEL, PARAMS, GObject)

/* Properties, each bound to the GSettings key of the same name when the
 * schema is installed: "api-mode" ("responses" or "images"),
 * "responses-model", "image-model", "size", "quality", "background",
 * "output-format", "output-compression", "moderation", "partial-images",
 * "action", "input-fidelity", "service-tier" (the processing tier, a
 * preference shared with Preferences and the CLI; Responses API only, and
 * not taken from easel_params_apply_json); and "n" (Images API only, not
 * persisted).
 * An empty string means "leave unset". The "changed" signal fires once for
 * any change, for the cost label. */
EaselParams  *easel_params_new                (GSettings *settings);
/* The settings of io.github.easelstudio.Easel, or NULL when the schema is
 * not installed (tests, uninstalled runs). */
GSettings    *easel_params_dup_default_settings (void);
gboolean      easel_params_is_images_api      (EaselParams *self);
const char   *easel_params_get_image_model    (EaselParams *self);
/* A request for @prompt: the Responses tool, or an Images generation (an
 * edit when @n_images > 0; the caller adds the images). */
EaselRequest *easel_params_build_request      (EaselParams *self,
                                               const char  *prompt,
                                               guint        n_images);
/* Applies the flat JSON object from easel_request_params_to_json (the
 * gallery's "reuse parameters"). */
void          easel_params_apply_json         (EaselParams *self,
                                               const char  *params_json);

G_END_DECLS
