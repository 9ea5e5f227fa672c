/* easel-sse.c: incremental Server-Sent Events parser
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-sse"

#include "config.h"

#include <string.h>

#include "easel-buffer-private.h"
#include "easel-sse.h"
#include "easel-sse-private.h"

/* Image events carry megabytes of base64 on one `data:` line, delivered in
 * network-sized chunks. Every byte is looked at once: the field name is
 * collected into a small fixed buffer, and the value is appended straight to
 * its destination (the data buffer, the event name, or nowhere), so a chunk
 * never causes a rescan of what came before. */

#define FIELD_NAME_MAX 16
/* Event names are short ("image_generation.partial_image"); more is junk. */
#define EVENT_NAME_MAX 256

typedef enum
{
  LINE_FIELD,   /* reading the field name, before any ':' */
  LINE_VALUE,   /* after the ':' */
  LINE_COMMENT, /* the line began with ':' */
} LineState;

typedef enum
{
  DEST_NONE,
  DEST_DATA,
  DEST_EVENT,
} Destination;

struct _EaselSseParser
{
  EaselSseEventFunc func;
  gpointer          user_data;

  EaselBuffer data;          /* the joined data lines of the current event */
  GString    *event_name;    /* the last `event:` value of the current event */
  gboolean    has_data;      /* a data field was seen: the event dispatches */
  gboolean    has_event;     /* an event field was seen */
  gboolean    pending;       /* any field of an unfinished event was seen */

  LineState   line_state;
  Destination dest;
  char        field[FIELD_NAME_MAX];
  guint       field_len;     /* may exceed FIELD_NAME_MAX: then it is unknown */
  gboolean    line_empty;    /* nothing but the terminator on this line so far */
  gboolean    value_start;   /* the next byte is the first of the value */
  gboolean    after_cr;      /* the previous line ended in CR: skip one LF */

  guint       bom_pos;       /* bytes of a leading BOM matched so far */
  gboolean    bom_done;

  gsize       max_event_size; /* 0: unlimited */
  gboolean    too_large;     /* an event outgrew max_event_size: sticky */

  gboolean    saw_done;
  gboolean    in_dispatch;
  guint64     n_events;
  guint64     bytes_scanned; /* bytes searched or copied: the work done */
};

static const guchar bom[] = { 0xEF, 0xBB, 0xBF };

EaselSseParser *
easel_sse_parser_new (EaselSseEventFunc func,
                      gpointer          user_data)
{
  EaselSseParser *self;

  g_return_val_if_fail (func != NULL, NULL);

  self = g_new0 (EaselSseParser, 1);
  self->func = func;
  self->user_data = user_data;
  _easel_buffer_init (&self->data);
  _easel_buffer_pool_hold ();
  self->event_name = g_string_new (NULL);
  self->line_state = LINE_FIELD;
  self->line_empty = TRUE;

  return self;
}

void
easel_sse_parser_free (EaselSseParser *self)
{
  if (self == NULL)
    return;

  _easel_buffer_clear (&self->data);
  _easel_buffer_pool_release ();
  if (self->event_name != NULL)
    g_string_free (self->event_name, TRUE);
  g_free (self);
}

static void
reset_event (EaselSseParser *self)
{
  self->data.len = 0;
  g_string_truncate (self->event_name, 0);
  self->has_data = FALSE;
  self->has_event = FALSE;
  self->pending = FALSE;
}

static void
dispatch_event (EaselSseParser *self)
{
  g_autoptr(GBytes) bytes = NULL;
  gsize len;

  if (self->too_large)
    {
      reset_event (self);
      return;
    }

  if (!self->has_data)
    {
      /* An event with no data field is not dispatched (SSE spec). */
      reset_event (self);
      return;
    }

  len = self->data.len;
  if (len == 6 && memcmp (self->data.data, "[DONE]", 6) == 0)
    {
      self->saw_done = TRUE;
      reset_event (self);
      return;
    }

  /* Hand the buffer over without copying it, NUL-terminated for callers
   * that want a string; the NUL is not part of the GBytes. */
  bytes = _easel_buffer_steal_terminated (&self->data);

  self->n_events++;
  self->in_dispatch = TRUE;
  self->func (self->has_event ? self->event_name->str : NULL, bytes, self->user_data);
  self->in_dispatch = FALSE;

  reset_event (self);
}

/* Called once the field name is known: at the ':' or at the end of a line
 * without one. */
static void
begin_value (EaselSseParser *self)
{
  self->dest = DEST_NONE;

  if (self->field_len == 4 && memcmp (self->field, "data", 4) == 0)
    {
      if (self->has_data && !self->too_large)
        {
          if (self->max_event_size > 0 && self->data.len >= self->max_event_size)
            self->too_large = TRUE;
          else
            _easel_buffer_append (&self->data, "\n", 1);
        }
      self->has_data = TRUE;
      self->pending = TRUE;
      self->dest = DEST_DATA;
    }
  else if (self->field_len == 5 && memcmp (self->field, "event", 5) == 0)
    {
      g_string_truncate (self->event_name, 0);
      self->has_event = TRUE;
      self->pending = TRUE;
      self->dest = DEST_EVENT;
    }
  else
    {
      /* id, retry and unknown fields are accepted and ignored; they still
       * mean an event was under way. */
      self->pending = TRUE;
    }
}

static void
end_line (EaselSseParser *self)
{
  if (self->line_empty)
    dispatch_event (self);
  else if (self->line_state == LINE_FIELD)
    begin_value (self); /* "data" alone: the field with an empty value */

  self->line_state = LINE_FIELD;
  self->dest = DEST_NONE;
  self->field_len = 0;
  self->line_empty = TRUE;
  self->value_start = FALSE;
}

static void
append_value (EaselSseParser *self,
              const char     *p,
              gsize           n)
{
  if (n == 0)
    return;

  if (self->value_start)
    {
      self->value_start = FALSE;
      if (*p == ' ')
        {
          p++;
          n--;
          if (n == 0)
            return;
        }
    }

  switch (self->dest)
    {
    case DEST_DATA:
      self->bytes_scanned += n;
      if (self->max_event_size > 0 && n > self->max_event_size - MIN (self->data.len, self->max_event_size))
        {
          /* Stop growing; the caller sees too_large and gives up. */
          self->too_large = TRUE;
          self->dest = DEST_NONE;
          break;
        }
      _easel_buffer_append (&self->data, p, n);
      break;
    case DEST_EVENT:
      self->bytes_scanned += n;
      if (self->event_name->len < EVENT_NAME_MAX)
        g_string_append_len (self->event_name, p, MIN (n, EVENT_NAME_MAX - self->event_name->len));
      break;
    case DEST_NONE:
    default:
      break;
    }
}

/* @p..@p+@n holds no line terminator. */
static void
consume_span (EaselSseParser *self,
              const char     *p,
              gsize           n)
{
  while (n > 0)
    {
      switch (self->line_state)
        {
        case LINE_VALUE:
          append_value (self, p, n);
          return;

        case LINE_COMMENT:
          return;

        case LINE_FIELD:
        default:
          if (self->line_empty && *p == ':')
            {
              self->line_empty = FALSE;
              self->line_state = LINE_COMMENT;
              return;
            }
          self->line_empty = FALSE;
          {
            const char *colon = memchr (p, ':', n);
            gsize name_len = colon != NULL ? (gsize) (colon - p) : n;

            self->bytes_scanned += colon != NULL ? name_len + 1 : n;
            gsize room = self->field_len < FIELD_NAME_MAX ? FIELD_NAME_MAX - self->field_len : 0;

            /* Once the name is known to be too long, field + field_len
             * points past the buffer: do not even form that pointer. */
            if (room > 0)
              memcpy (self->field + self->field_len, p, MIN (room, name_len));
            /* Saturating: a long name only needs to be known as too long. */
            self->field_len = MIN ((gsize) self->field_len + name_len, (gsize) FIELD_NAME_MAX + 1);

            if (colon == NULL)
              return;

            begin_value (self);
            self->line_state = LINE_VALUE;
            self->value_start = TRUE;
            p = colon + 1;
            n -= name_len + 1;
          }
          break;
        }
    }
}

static void
feed_bytes (EaselSseParser *self,
            const char     *buf,
            gsize           len)
{
  const char *p = buf;
  const char *end = buf + len;
  /* memchr results are kept until passed, so each byte is searched once per
   * terminator kind even when the chunk holds many short lines. */
  const char *next_lf = NULL;
  const char *next_cr = NULL;
  gboolean lf_done = FALSE;
  gboolean cr_done = FALSE;

  while (p < end)
    {
      const char *eol;

      if (self->after_cr)
        {
          self->after_cr = FALSE;
          if (*p == '\n')
            {
              p++;
              continue;
            }
        }

      if (!lf_done && (next_lf == NULL || next_lf < p))
        {
          next_lf = memchr (p, '\n', end - p);
          lf_done = next_lf == NULL;
          self->bytes_scanned += next_lf != NULL ? (gsize) (next_lf - p) + 1 : (gsize) (end - p);
        }
      if (!cr_done && (next_cr == NULL || next_cr < p))
        {
          next_cr = memchr (p, '\r', end - p);
          cr_done = next_cr == NULL;
          self->bytes_scanned += next_cr != NULL ? (gsize) (next_cr - p) + 1 : (gsize) (end - p);
        }

      if (next_lf != NULL && (next_cr == NULL || next_lf < next_cr))
        eol = next_lf;
      else
        eol = next_cr;

      if (eol == NULL)
        {
          consume_span (self, p, end - p);
          return;
        }

      consume_span (self, p, eol - p);
      if (*eol == '\r')
        self->after_cr = TRUE;
      p = eol + 1;
      end_line (self);
    }
}

void
easel_sse_parser_feed (EaselSseParser *self,
                       const char     *buf,
                       gsize           len)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (buf != NULL || len == 0);
  g_return_if_fail (!self->in_dispatch);

  /* A UTF-8 BOM may start the stream, possibly split across chunks. */
  while (!self->bom_done && len > 0)
    {
      if ((guchar) *buf == bom[self->bom_pos])
        {
          buf++;
          len--;
          if (++self->bom_pos == G_N_ELEMENTS (bom))
            self->bom_done = TRUE;
        }
      else
        {
          guint matched = self->bom_pos;

          self->bom_done = TRUE;
          if (matched > 0)
            feed_bytes (self, (const char *) bom, matched);
        }
    }

  feed_bytes (self, buf, len);
}

gboolean
easel_sse_parser_finish (EaselSseParser *self)
{
  gboolean truncated;

  g_return_val_if_fail (self != NULL, FALSE);

  /* A partial BOM alone is not an event. An unterminated non-comment line
   * or fields without the blank line mean an event was cut off. */
  truncated = self->pending ||
              (!self->line_empty && self->line_state != LINE_COMMENT);

  reset_event (self);
  self->line_state = LINE_FIELD;
  self->dest = DEST_NONE;
  self->field_len = 0;
  self->line_empty = TRUE;
  self->value_start = FALSE;
  self->after_cr = FALSE;

  return truncated;
}

gboolean
easel_sse_parser_saw_done (EaselSseParser *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->saw_done;
}

guint64
easel_sse_parser_get_n_events (EaselSseParser *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_events;
}

guint64
easel_sse_parser_get_bytes_scanned (EaselSseParser *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->bytes_scanned;
}


void
easel_sse_parser_set_max_event_size (EaselSseParser *self,
                                     gsize           max_event_size)
{
  g_return_if_fail (self != NULL);

  self->max_event_size = max_event_size;
}

gboolean
easel_sse_parser_is_too_large (EaselSseParser *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->too_large;
}
