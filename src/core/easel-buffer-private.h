/* easel-buffer-private.h: growable byte buffers for multi-megabyte stream data
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A byte buffer like GByteArray, for the few buffers that reach megabytes:
 * an image event's SSE data and a decoded image. Small buffers live on the
 * heap. From EASEL_BUFFER_MAP_MIN on, a buffer is its own anonymous mapping,
 * marked for transparent huge pages where the system offers them, and grows
 * with mremap(): no copy when it grows, and a page fault per 2 MiB instead
 * of one per 4 KiB when it is first written (on the shared VM the project is
 * measured on, faults were most of the time of a 16 MB event; see
 * bench/README.md). The data is handed on as a GBytes without a copy.
 *
 * While the pool is held (an SSE parser holds it for its lifetime) and for a
 * few seconds after, the mappings of freed buffers are kept, up to four, and
 * the next large buffer reuses one: its pages are already in memory. */

#define EASEL_BUFFER_MAP_MIN (256 * 1024)

typedef struct
{
  guint8  *data;
  gsize    len;
  gsize    capacity;
  gboolean mapped;
} EaselBuffer;

void    _easel_buffer_init             (EaselBuffer  *self);
void    _easel_buffer_clear            (EaselBuffer  *self);
guint8 *_easel_buffer_reserve          (EaselBuffer  *self,
                                        gsize         extra);
void    _easel_buffer_append           (EaselBuffer  *self,
                                        const void   *data,
                                        gsize         n);
GBytes *_easel_buffer_steal_terminated (EaselBuffer  *self);

void    _easel_buffer_pool_hold        (void);
void    _easel_buffer_pool_release     (void);
void    _easel_buffer_pool_trim        (void);
guint   _easel_buffer_pool_get_size    (void);

G_END_DECLS
