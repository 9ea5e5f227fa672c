/* easel-buffer.c: growable byte buffers for multi-megabyte stream data
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#ifndef _GNU_SOURCE
# define _GNU_SOURCE /* mremap */
#endif

#define G_LOG_DOMAIN "easel-buffer"

#include "config.h"

#include <string.h>

/* AddressSanitizer does not see overruns inside a mapping of our own: the
 * fuzzing builds keep every buffer on the heap. */
#if defined(__SANITIZE_ADDRESS__)
# undef HAVE_MREMAP
#elif defined(__has_feature)
# if __has_feature(address_sanitizer)
#  undef HAVE_MREMAP
# endif
#endif

#ifdef HAVE_MREMAP
# include <sys/mman.h>
#endif

#include "easel-buffer-private.h"

#define HUGE_PAGE_SIZE (2 * 1024 * 1024)
#define TRIM_WASTE_MIN (4 * 1024 * 1024)

void
_easel_buffer_init (EaselBuffer *self)
{
  memset (self, 0, sizeof *self);
}

#ifdef HAVE_MREMAP
typedef struct
{
  gpointer data;
  gsize    size;
} Mapping;

/* Mappings let go of while streams run are kept for the next event
 * instead of being unmapped: their pages are already there, so the next
 * event causes no page faults. The pool is kept while a user holds it (an
 * SSE parser does, for its lifetime) and for POOL_LINGER_MS after the last
 * one lets go, so that the next stream started at once (the next turn, a
 * retry) finds it; then it is emptied, so an idle app keeps nothing. */
#define POOL_MAX        4
#define POOL_MAX_BYTES  ((gsize) 96 * 1024 * 1024)
#define POOL_LINGER_MS  3000

static GMutex   pool_lock;
static guint    pool_users;
static Mapping  pool[POOL_MAX];
static guint    pool_len;
static gsize    pool_bytes;
static GSource *pool_trim_source;

/* Under pool_lock: empties the pool into @out, returns how many. */
static guint
pool_steal_all (Mapping *out)
{
  guint n = pool_len;

  memcpy (out, pool, n * sizeof (Mapping));
  pool_len = 0;
  pool_bytes = 0;
  return n;
}

static void
unmap_all (Mapping *mappings,
           guint    n)
{
  for (guint i = 0; i < n; i++)
    munmap (mappings[i].data, mappings[i].size);
}

static gboolean
pool_trim_cb (gpointer user_data)
{
  Mapping unmap[POOL_MAX];
  guint n_unmap = 0;

  g_mutex_lock (&pool_lock);
  /* A hold since then replaced or dropped this source: nothing to do. */
  if (pool_trim_source != NULL && pool_trim_source == g_main_current_source ())
    {
      g_clear_pointer (&pool_trim_source, g_source_unref);
      if (pool_users == 0)
        n_unmap = pool_steal_all (unmap);
    }
  g_mutex_unlock (&pool_lock);

  unmap_all (unmap, n_unmap);
  return G_SOURCE_REMOVE;
}

void
_easel_buffer_pool_hold (void)
{
  g_mutex_lock (&pool_lock);
  pool_users++;
  if (pool_trim_source != NULL)
    {
      g_source_destroy (pool_trim_source);
      g_clear_pointer (&pool_trim_source, g_source_unref);
    }
  g_mutex_unlock (&pool_lock);
}

void
_easel_buffer_pool_release (void)
{
  g_mutex_lock (&pool_lock);
  g_assert (pool_users > 0);
  if (--pool_users == 0 && pool_len > 0 && pool_trim_source == NULL)
    {
      /* The default context: the app's and the CLI's main loop. */
      pool_trim_source = g_timeout_source_new (POOL_LINGER_MS);
      g_source_set_name (pool_trim_source, "[easel] trim stream buffers");
      g_source_set_callback (pool_trim_source, pool_trim_cb, NULL, NULL);
      g_source_attach (pool_trim_source, NULL);
    }
  g_mutex_unlock (&pool_lock);
}

/* Empties the pool now (tests, and callers about to go idle for long). */
void
_easel_buffer_pool_trim (void)
{
  Mapping unmap[POOL_MAX];
  guint n_unmap;

  g_mutex_lock (&pool_lock);
  n_unmap = pool_steal_all (unmap);
  if (pool_trim_source != NULL)
    {
      g_source_destroy (pool_trim_source);
      g_clear_pointer (&pool_trim_source, g_source_unref);
    }
  g_mutex_unlock (&pool_lock);

  unmap_all (unmap, n_unmap);
}

static void
pool_put (gpointer data,
          gsize    size)
{
  g_mutex_lock (&pool_lock);
  if ((pool_users > 0 || pool_trim_source != NULL) &&
      pool_len < POOL_MAX && size <= POOL_MAX_BYTES - pool_bytes)
    {
      pool[pool_len].data = data;
      pool[pool_len].size = size;
      pool_len++;
      pool_bytes += size;
      data = NULL;
    }
  g_mutex_unlock (&pool_lock);

  if (data != NULL)
    munmap (data, size);
}

/* A buffer that grows takes the largest pooled mapping, which is the most
 * likely to hold all of it; a buffer of a known size the smallest one of at
 * least @size bytes, else the largest. */
static gboolean
pool_take (gsize    size,
           gboolean growing,
           Mapping *out)
{
  gint best = -1;

  g_mutex_lock (&pool_lock);
  for (guint i = 0; i < pool_len; i++)
    {
      gboolean fits = pool[i].size >= size;

      if (best < 0)
        best = i;
      else if (growing || !fits)
        {
          if (pool[i].size > pool[best].size && (growing || pool[best].size < size))
            best = i;
        }
      else if (pool[best].size < size || pool[i].size < pool[best].size)
        best = i;
    }
  if (best >= 0)
    {
      *out = pool[best];
      pool_bytes -= pool[best].size;
      pool[best] = pool[--pool_len];
    }
  g_mutex_unlock (&pool_lock);

  return best >= 0;
}

guint
_easel_buffer_pool_get_size (void)
{
  guint n;

  g_mutex_lock (&pool_lock);
  n = pool_len;
  g_mutex_unlock (&pool_lock);
  return n;
}

static void
mapping_free (gpointer user_data)
{
  Mapping *mapping = user_data;

  pool_put (mapping->data, mapping->size);
  g_free (mapping);
}

static void
advise (gpointer data,
        gsize    size)
{
# ifdef MADV_HUGEPAGE
  /* A hint: without transparent huge pages this changes nothing. */
  madvise (data, size, MADV_HUGEPAGE);
# endif
}

static gboolean
grow_mapped (EaselBuffer *self,
             gsize        capacity,
             gboolean     growing)
{
  gpointer p;

  /* Whole huge pages: trimming or growing never splits one. */
  if (capacity > G_MAXSIZE - HUGE_PAGE_SIZE)
    g_error ("%s: a buffer cannot grow to %" G_GSIZE_FORMAT " bytes", G_STRLOC, capacity);
  capacity = (capacity + HUGE_PAGE_SIZE - 1) / HUGE_PAGE_SIZE * HUGE_PAGE_SIZE;

  if (self->mapped)
    {
      p = mremap (self->data, self->capacity, capacity, MREMAP_MAYMOVE);
      if (p == MAP_FAILED)
        g_error ("%s: failed to grow a buffer to %" G_GSIZE_FORMAT " bytes", G_STRLOC, capacity);
    }
  else
    {
      Mapping reuse;

      if (pool_take (capacity, growing, &reuse))
        {
          p = reuse.data;
          if (reuse.size < capacity)
            {
              p = mremap (reuse.data, reuse.size, capacity, MREMAP_MAYMOVE);
              if (p == MAP_FAILED)
                {
                  munmap (reuse.data, reuse.size);
                  return FALSE;
                }
            }
          else if (!growing && reuse.size - capacity > MAX (TRIM_WASTE_MIN, capacity / 2))
            {
              /* Much more than a kept image needs: give the rest back. A
               * little more is kept whole, so that the next event of the
               * stream can reuse the mapping without faulting it in. */
              munmap ((guint8 *) reuse.data + capacity, reuse.size - capacity);
            }
          else
            capacity = reuse.size;
        }
      else
        {
          p = mmap (NULL, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
          if (p == MAP_FAILED)
            return FALSE;
        }
      if (self->len > 0)
        memcpy (p, self->data, self->len);
      g_free (self->data);
      self->mapped = TRUE;
    }

  advise (p, capacity);
  self->data = p;
  self->capacity = capacity;
  return TRUE;
}
#else
void _easel_buffer_pool_hold (void) { }
void _easel_buffer_pool_release (void) { }
void _easel_buffer_pool_trim (void) { }
guint _easel_buffer_pool_get_size (void) { return 0; }
#endif

static void
grow (EaselBuffer *self,
      gsize        needed)
{
  gsize capacity = self->capacity <= G_MAXSIZE / 2 ? self->capacity * 2 : needed;

  capacity = MAX (capacity, needed);
  capacity = MAX (capacity, 64);

#ifdef HAVE_MREMAP
  /* Growing again (not the first reservation): likely to keep growing. */
  if (capacity >= EASEL_BUFFER_MAP_MIN && grow_mapped (self, capacity, self->capacity > 0))
    return;
  g_assert (!self->mapped);
#endif

  self->data = g_realloc (self->data, capacity);
  self->capacity = capacity;
}

/* Makes room for @extra more bytes and returns where they go; the caller
 * writes them and adds what it wrote to len. */
guint8 *
_easel_buffer_reserve (EaselBuffer *self,
                       gsize        extra)
{
  if (extra > G_MAXSIZE - self->len)
    g_error ("%s: a buffer of %" G_GSIZE_FORMAT " bytes cannot grow by %" G_GSIZE_FORMAT,
             G_STRLOC, self->len, extra);
  if (self->len + extra > self->capacity)
    grow (self, self->len + extra);

  return self->data + self->len;
}

void
_easel_buffer_append (EaselBuffer *self,
                      const void  *data,
                      gsize        n)
{
  if (n == 0)
    return;
  memcpy (_easel_buffer_reserve (self, n), data, n);
  self->len += n;
}

/* Hands the contents over as a GBytes, without a copy, with a NUL after
 * them (not counted) for callers that read a string; the buffer is empty
 * afterwards. */
GBytes *
_easel_buffer_steal_terminated (EaselBuffer *self)
{
  GBytes *bytes;

  *_easel_buffer_reserve (self, 1) = '\0';

#ifdef HAVE_MREMAP
  if (self->mapped)
    {
      Mapping *mapping = g_new (Mapping, 1);

      mapping->data = self->data;
      mapping->size = self->capacity;
      bytes = g_bytes_new_with_free_func (self->data, self->len, mapping_free, mapping);
      _easel_buffer_init (self);
      return bytes;
    }
#endif

  bytes = g_bytes_new_take (self->data, self->len);
  _easel_buffer_init (self);
  return bytes;
}

void
_easel_buffer_clear (EaselBuffer *self)
{
#ifdef HAVE_MREMAP
  if (self->mapped)
    pool_put (self->data, self->capacity);
  else
#endif
    g_free (self->data);

  _easel_buffer_init (self);
}
