/* easel-local-file.h: reading a file someone handed us, bounded
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The largest input image any image model takes ([spec] "less than 50MB"). */
#define EASEL_LOCAL_FILE_MAX_IMAGE_BYTES (50 * 1024 * 1024)

/* Reads @file whole, but only if it is a regular file of at most @max_bytes:
 * a FIFO, a device (/dev/zero), a directory or a socket is refused without
 * blocking, and a larger file is refused from its size before any read.
 * Never reads more than @max_bytes + 1 bytes, even from a file that grows.
 * Errors are G_IO_ERROR_NOT_REGULAR_FILE and G_IO_ERROR_MESSAGE_TOO_LARGE
 * (or the I/O error), with the file's name in the message. */
GBytes *easel_local_file_load        (GFile                *file,
                                      gsize                 max_bytes,
                                      GCancellable         *cancellable,
                                      GError              **error);
/* The same in a worker thread. */
void    easel_local_file_load_async  (GFile                *file,
                                      gsize                 max_bytes,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
GBytes *easel_local_file_load_finish (GFile                *file,
                                      GAsyncResult         *result,
                                      GError              **error);

G_END_DECLS
