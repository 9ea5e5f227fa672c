/* easel-png-meta.h: PNG iTXt text chunks (write and read)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define EASEL_PNG_META_ERROR (easel_png_meta_error_quark ())

typedef enum
{
  EASEL_PNG_META_ERROR_NOT_PNG,   /* no PNG signature */
  EASEL_PNG_META_ERROR_CORRUPT,   /* truncated chunk, bad CRC, no IEND */
  EASEL_PNG_META_ERROR_INVALID,   /* bad keyword (1-79 Latin-1 chars) */
} EaselPngMetaError;

GQuark  easel_png_meta_error_quark (void);

/* Returns a copy of @png with one uncompressed UTF-8 iTXt chunk per
 * (keyword, text) pair inserted before the first IDAT. @pairs is a NULL
 * terminated array: key, value, key, value, …, NULL. Existing tEXt/iTXt/zTXt
 * chunks with the same keywords are dropped. */
GBytes     *easel_png_meta_write (GBytes              *png,
                                  const char * const  *pairs,
                                  GError             **error);

/* Every tEXt, zTXt and iTXt chunk of @png as keyword → UTF-8 text (tEXt
 * Latin-1 is converted). CRCs are checked. */
GHashTable *easel_png_meta_read  (GBytes              *png,
                                  GError             **error);

G_END_DECLS
