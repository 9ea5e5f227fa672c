/* easel-png-meta.c: PNG iTXt text chunks (write and read)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Only chunk plumbing: the image data is never decoded here. CRCs come from
 * zlib's crc32(), compressed text from zlib's uncompress().
 */

#define G_LOG_DOMAIN "easel-png-meta"

#include "config.h"

#include <string.h>
#include <zlib.h>

#include "easel-png-meta.h"

G_DEFINE_QUARK (easel-png-meta-error-quark, easel_png_meta_error)

static const guint8 png_signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

/* Text chunks are capped so a hostile file cannot make us inflate gigabytes. */
#define MAX_INFLATED_TEXT (16 * 1024 * 1024)

typedef struct
{
  const guint8 *type;   /* 4 bytes */
  const guint8 *data;
  guint32       length;
  const guint8 *start;  /* the whole chunk: length, type, data, crc */
  gsize         total;
} Chunk;

static guint32
read_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static void
append_be32 (GByteArray *out, guint32 v)
{
  guint8 b[4] = { v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff };
  g_byte_array_append (out, b, 4);
}

/* Splits @data into chunks, checking lengths and CRCs. */
static GArray *
parse_chunks (const guint8 *data, gsize len, GError **error)
{
  g_autoptr(GArray) chunks = g_array_new (FALSE, FALSE, sizeof (Chunk));
  gsize pos = sizeof png_signature;
  gboolean seen_iend = FALSE;

  if (len < sizeof png_signature || memcmp (data, png_signature, sizeof png_signature) != 0)
    {
      g_set_error_literal (error, EASEL_PNG_META_ERROR, EASEL_PNG_META_ERROR_NOT_PNG,
                           "Not a PNG file");
      return NULL;
    }

  while (!seen_iend)
    {
      Chunk c;
      guint32 crc;

      if (len - pos < 12)
        goto truncated;
      c.start = data + pos;
      c.length = read_be32 (data + pos);
      if (c.length > 0x7fffffff || len - pos - 12 < c.length)
        goto truncated;
      c.type = data + pos + 4;
      c.data = data + pos + 8;
      c.total = 12 + (gsize) c.length;

      /* A chunk type is four ASCII letters; anything else is damage (and
       * must not reach an error message, which is UTF-8). */
      for (guint k = 0; k < 4; k++)
        if (!g_ascii_isalpha (c.type[k]))
          {
            g_set_error_literal (error, EASEL_PNG_META_ERROR, EASEL_PNG_META_ERROR_CORRUPT,
                                 "The PNG file has a damaged chunk");
            return NULL;
          }

      crc = crc32 (0L, c.type, 4 + c.length);
      if (crc != read_be32 (c.data + c.length))
        {
          g_set_error (error, EASEL_PNG_META_ERROR, EASEL_PNG_META_ERROR_CORRUPT,
                       "PNG chunk “%.4s” has a bad checksum", (const char *) c.type);
          return NULL;
        }

      g_array_append_val (chunks, c);
      pos += c.total;
      seen_iend = memcmp (c.type, "IEND", 4) == 0;
    }

  return g_steal_pointer (&chunks);

truncated:
  g_set_error_literal (error, EASEL_PNG_META_ERROR, EASEL_PNG_META_ERROR_CORRUPT,
                       "The PNG file is truncated");
  return NULL;
}

static gboolean
is_text_chunk (const Chunk *c)
{
  return memcmp (c->type, "tEXt", 4) == 0 ||
         memcmp (c->type, "iTXt", 4) == 0 ||
         memcmp (c->type, "zTXt", 4) == 0;
}

/* The keyword of a text chunk (up to its NUL), or NULL if malformed. */
static char *
chunk_keyword (const Chunk *c)
{
  const guint8 *nul = memchr (c->data, 0, MIN (c->length, 80));

  if (nul == NULL || nul == c->data)
    return NULL;
  return g_strndup ((const char *) c->data, nul - c->data);
}

static gboolean
keyword_is_valid (const char *key)
{
  gsize len = strlen (key);

  if (len < 1 || len > 79 || key[0] == ' ' || key[len - 1] == ' ')
    return FALSE;
  /* Printable ASCII is the portable subset of the Latin-1 keyword rule. */
  for (const char *p = key; *p; p++)
    if (*p < 0x20 || *p > 0x7e)
      return FALSE;
  return TRUE;
}

static void
append_chunk (GByteArray *out, const char *type, const guint8 *data, gsize len)
{
  guint32 crc;

  append_be32 (out, len);
  g_byte_array_append (out, (const guint8 *) type, 4);
  if (len > 0)
    g_byte_array_append (out, data, len);
  crc = crc32 (0L, (const guint8 *) type, 4);
  crc = crc32 (crc, data, len);
  append_be32 (out, crc);
}

GBytes *
easel_png_meta_write (GBytes *png, const char * const *pairs, GError **error)
{
  g_autoptr(GArray) chunks = NULL;
  g_autoptr(GByteArray) out = NULL;
  g_autoptr(GHashTable) keys = NULL;
  const guint8 *data;
  gsize len;
  gboolean inserted = FALSE;

  g_return_val_if_fail (png != NULL, NULL);
  g_return_val_if_fail (pairs != NULL, NULL);

  keys = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; pairs[i] != NULL; i += 2)
    {
      if (pairs[i + 1] == NULL)
        {
          g_set_error (error, EASEL_PNG_META_ERROR, EASEL_PNG_META_ERROR_INVALID,
                       "Text “%s” has no value", pairs[i]);
          return NULL;
        }
      if (!keyword_is_valid (pairs[i]) || !g_utf8_validate (pairs[i + 1], -1, NULL))
        {
          g_set_error (error, EASEL_PNG_META_ERROR, EASEL_PNG_META_ERROR_INVALID,
                       "Invalid PNG text keyword or value “%s”", pairs[i]);
          return NULL;
        }
      g_hash_table_add (keys, (gpointer) pairs[i]);
    }

  data = g_bytes_get_data (png, &len);
  if (!(chunks = parse_chunks (data, len, error)))
    return NULL;

  out = g_byte_array_sized_new (len + 1024);
  g_byte_array_append (out, png_signature, sizeof png_signature);

  for (guint i = 0; i < chunks->len; i++)
    {
      const Chunk *c = &g_array_index (chunks, Chunk, i);

      /* Before the first IDAT: after IHDR/PLTE, so readers that stop at the
       * image data still see the text. */
      if (!inserted && (memcmp (c->type, "IDAT", 4) == 0 || memcmp (c->type, "IEND", 4) == 0))
        {
          for (guint j = 0; pairs[j] != NULL; j += 2)
            {
              g_autoptr(GByteArray) body = g_byte_array_new ();
              static const guint8 flags[4] = { 0, 0, 0, 0 }; /* NUL, uncompressed, method 0, empty language NUL */

              g_byte_array_append (body, (const guint8 *) pairs[j], strlen (pairs[j]));
              g_byte_array_append (body, flags, 4);
              g_byte_array_append (body, (const guint8 *) "", 1); /* empty translated keyword */
              g_byte_array_append (body, (const guint8 *) pairs[j + 1], strlen (pairs[j + 1]));
              append_chunk (out, "iTXt", body->data, body->len);
            }
          inserted = TRUE;
        }

      if (is_text_chunk (c))
        {
          g_autofree char *key = chunk_keyword (c);

          if (key != NULL && g_hash_table_contains (keys, key))
            continue;
        }

      g_byte_array_append (out, c->start, c->total);
    }

  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static char *
inflate_text (const guint8 *data, gsize len)
{
  uLongf cap = MAX (len * 4, 256);

  /* uncompress() needs the output size up front: grow until it fits. */
  while (cap <= MAX_INFLATED_TEXT)
    {
      g_autofree char *buf = g_malloc (cap + 1);
      uLongf out_len = cap;
      int r = uncompress ((Bytef *) buf, &out_len, data, len);

      if (r == Z_OK)
        {
          buf[out_len] = '\0';
          return g_steal_pointer (&buf);
        }
      if (r != Z_BUF_ERROR)
        return NULL;
      cap *= 2;
    }
  return NULL;
}

GHashTable *
easel_png_meta_read (GBytes *png, GError **error)
{
  g_autoptr(GArray) chunks = NULL;
  g_autoptr(GHashTable) table = NULL;
  const guint8 *data;
  gsize len;

  g_return_val_if_fail (png != NULL, NULL);

  data = g_bytes_get_data (png, &len);
  if (!(chunks = parse_chunks (data, len, error)))
    return NULL;

  table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (guint i = 0; i < chunks->len; i++)
    {
      const Chunk *c = &g_array_index (chunks, Chunk, i);
      g_autofree char *key = NULL;
      g_autofree char *text = NULL;
      const guint8 *p, *end;

      if (!is_text_chunk (c) || !(key = chunk_keyword (c)))
        continue;

      p = c->data + strlen (key) + 1;
      end = c->data + c->length;

      if (memcmp (c->type, "tEXt", 4) == 0)
        {
          text = g_convert ((const char *) p, end - p, "UTF-8", "ISO-8859-1", NULL, NULL, NULL);
        }
      else if (memcmp (c->type, "zTXt", 4) == 0)
        {
          g_autofree char *latin1 = NULL;

          if (end - p < 1 || p[0] != 0)
            continue;
          latin1 = inflate_text (p + 1, end - p - 1);
          if (latin1 != NULL)
            text = g_convert (latin1, -1, "UTF-8", "ISO-8859-1", NULL, NULL, NULL);
        }
      else /* iTXt */
        {
          guint8 compressed, method;
          const guint8 *nul;

          if (end - p < 2)
            continue;
          compressed = p[0];
          method = p[1];
          p += 2;
          /* language tag, then translated keyword, both NUL-terminated */
          for (int k = 0; k < 2; k++)
            {
              nul = memchr (p, 0, end - p);
              if (nul == NULL)
                break;
              p = nul + 1;
            }
          if (nul == NULL)
            continue;
          if (compressed == 0)
            text = g_strndup ((const char *) p, end - p);
          else if (method == 0)
            text = inflate_text (p, end - p);
          if (text != NULL && !g_utf8_validate (text, -1, NULL))
            g_clear_pointer (&text, g_free);
        }

      if (text != NULL)
        g_hash_table_replace (table, g_steal_pointer (&key), g_steal_pointer (&text));
    }

  return g_steal_pointer (&table);
}
