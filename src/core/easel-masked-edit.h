/* easel-masked-edit.h: turning an image and a painted mask into an edit request
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include "easel-client.h"
#include "easel-request.h"

G_BEGIN_DECLS

/* Files at most this large travel inline as data URLs in a Responses
 * request; larger ones are uploaded through the Files API first. */
#define EASEL_MASKED_EDIT_INLINE_LIMIT (1024 * 1024)

/* Builds the masked edit from @request (copied, not changed):
 *  - @image_bytes (the canvas image) becomes the first input image and
 *    @mask_png (easel_mask_encode_png: alpha, transparent = replace) the mask;
 *  - EASEL_API_IMAGES_GENERATE becomes EASEL_API_IMAGES_EDIT (multipart
 *    image[] + mask); EASEL_API_RESPONSES gets action "edit" and the mask as
 *    the tool's input_image_mask, inline when both files are under
 *    EASEL_MASKED_EDIT_INLINE_LIMIT, otherwise uploaded through @client
 *    (purpose "vision") and referenced by file id.
 * Validation runs in a worker thread first (easel_mask_check_for_edit with
 * the model's limits): EASEL_MASK_ERROR with a message fit for the user.
 * @client may be NULL when nothing needs uploading. */
void          easel_masked_edit_prepare_async  (EaselClient         *client,
                                                const EaselRequest  *request,
                                                GBytes              *image_bytes,
                                                const char          *image_mime_type,
                                                GBytes              *mask_png,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
EaselRequest *easel_masked_edit_prepare_finish (GAsyncResult  *result,
                                                GError       **error);

/* The synchronous checks alone (decodes both images: not for the main loop). */
gboolean      easel_masked_edit_validate       (const EaselRequest  *request,
                                                GBytes              *image_bytes,
                                                GBytes              *mask_png,
                                                GError             **error);

G_END_DECLS
