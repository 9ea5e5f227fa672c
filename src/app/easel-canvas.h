/* easel-canvas.h: the image being worked on, its inpainting mask and the mask guard
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>
#include "easel-core.h"

G_BEGIN_DECLS

#define EASEL_TYPE_CANVAS (easel_canvas_get_type ())
G_DECLARE_FINAL_TYPE (EaselCanvas, easel_canvas, EASEL, CANVAS, GtkWidget)

/* Properties: "texture" (GdkTexture), "refining" (partials are still
 * arriving), "incomplete" (the stream broke: this is the last partial),
 * "status" (a short line shown in the badge while refining),
 * "tool" ("brush", "eraser", "rectangle", "lasso"), "brush-size" (diameter
 * in image pixels), "hardness" (0..1), "feather-radius" (pixels, applied
 * when the mask is sent), "mask-opacity" (0..1), "show-mask", "show-drift",
 * "zoom" (1.0 = 100 %), "zoom-to-fit", "mask" (EaselMask, read-only),
 * "has-selection" (read-only), "drift-summary" (read-only, "" when none).
 *
 * Actions: canvas.tool (string state), canvas.invert, canvas.clear,
 * canvas.fill-all, canvas.undo, canvas.redo, canvas.zoom-in, canvas.zoom-out,
 * canvas.zoom-fit, canvas.zoom-100, canvas.show-mask, canvas.show-drift,
 * canvas.import-mask, canvas.restore-protected.
 *
 * Signals:
 *   "restored" (GdkTexture *texture, GBytes *png): "Restore protected
 *     pixels" finished; @png is the composite, to be saved as a new
 *     generation whose parent is the model's output.
 *   "restore-undone": undo went back to the model's output.
 *   "message" (const char *text): something to tell the user (a toast). */
GtkWidget  *easel_canvas_new            (void);
GdkTexture *easel_canvas_get_texture    (EaselCanvas *self);
void        easel_canvas_set_texture    (EaselCanvas *self, GdkTexture *texture);
gboolean    easel_canvas_get_refining   (EaselCanvas *self);
void        easel_canvas_set_refining   (EaselCanvas *self, gboolean refining);
gboolean    easel_canvas_get_incomplete (EaselCanvas *self);
void        easel_canvas_set_incomplete (EaselCanvas *self, gboolean incomplete);
const char *easel_canvas_get_status     (EaselCanvas *self);
void        easel_canvas_set_status     (EaselCanvas *self, const char *status);
/* Where the image is drawn, in widget coordinates; FALSE without an image. */
gboolean    easel_canvas_get_image_rect (EaselCanvas *self, graphene_rect_t *rect);

const char *easel_canvas_get_tool       (EaselCanvas *self);
void        easel_canvas_set_tool       (EaselCanvas *self, const char *tool);
double      easel_canvas_get_zoom       (EaselCanvas *self);
void        easel_canvas_set_zoom       (EaselCanvas *self, double zoom);

/* The mask at the image's pixel size (NULL without an image). It survives
 * a new texture of the same size and is recreated for another size. */
EaselMask  *easel_canvas_get_mask           (EaselCanvas *self);
/* An empty mask with no history in place of the current one: for another
 * conversation, whose images the old strokes have nothing to do with. */
void        easel_canvas_reset_mask         (EaselCanvas *self);
gboolean    easel_canvas_has_mask_selection (EaselCanvas *self);
double      easel_canvas_get_feather_radius (EaselCanvas *self);

/* The mask as the API wants it (feathered, PNG with alpha, transparent =
 * replace), encoded in a worker. Fails with EASEL_MASK_ERROR_EMPTY when
 * nothing is selected. */
void        easel_canvas_export_mask_png_async  (EaselCanvas         *self,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
GBytes     *easel_canvas_export_mask_png_finish (EaselCanvas   *self,
                                                 GAsyncResult  *result,
                                                 GError       **error);

/* For the studio's Send: turns @request into a masked edit of @image_bytes
 * (the file behind the texture on show) with the canvas mask: exports the
 * mask, validates it against the model (clear EASEL_MASK_ERROR messages),
 * and uploads through @client when the Responses API needs it. Also arms
 * the mask guard: easel_canvas_check_result() then compares the result
 * with @image_bytes outside the mask. */
void          easel_canvas_prepare_masked_edit_async  (EaselCanvas         *self,
                                                       EaselClient         *client,
                                                       const EaselRequest  *request,
                                                       GBytes              *image_bytes,
                                                       const char          *image_mime_type,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
EaselRequest *easel_canvas_prepare_masked_edit_finish (EaselCanvas   *self,
                                                       GAsyncResult  *result,
                                                       GError       **error);

/* The mask guard: call with the final image of a masked edit. Runs the drift
 * comparison in a worker, then shows the summary and enables
 * canvas.show-drift and canvas.restore-protected. Does nothing unless a
 * masked edit was prepared. */
void        easel_canvas_check_result   (EaselCanvas *self, GBytes *result_bytes);
/* Forgets the armed guard and the drift report. */
void        easel_canvas_reset_guard    (EaselCanvas *self);
const char *easel_canvas_get_drift_summary (EaselCanvas *self);

G_END_DECLS
