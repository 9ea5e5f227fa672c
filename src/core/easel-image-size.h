/* easel-image-size.h: an image's pixel size, read from its header
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The largest image Easel decodes. The API's own images are at most
 * 3840×2160; inputs are photos and scans. A 16384-pixel edge and 64
 * megapixels (256 MiB as RGBA) leave room for both, while a few hundred
 * bytes of PNG that claim 60000×60000 (a decompression bomb) are refused
 * before any pixel buffer exists. */
#define EASEL_IMAGE_MAX_EDGE   16384
#define EASEL_IMAGE_MAX_PIXELS (64 * 1024 * 1024)

#define EASEL_IMAGE_ERROR (easel_image_error_quark ())

typedef enum
{
  EASEL_IMAGE_ERROR_NOT_IMAGE,
  EASEL_IMAGE_ERROR_TOO_LARGE,
} EaselImageError;

GQuark   easel_image_error_quark (void);

gboolean easel_image_get_size    (GBytes  *bytes,
                                  int     *width,
                                  int     *height,
                                  GError **error);
gboolean easel_image_check_size  (GBytes  *bytes,
                                  int     *width,
                                  int     *height,
                                  GError **error);

G_END_DECLS
