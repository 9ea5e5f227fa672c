/* easel-mask.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-mask"

#include "config.h"

#include <math.h>
#include <string.h>
#include <zlib.h>

#include "easel-mask.h"
#include "easel-image-size.h"

G_DEFINE_QUARK (easel-mask-error-quark, easel_mask_error)

/* One undo step: the pixels of @rect before (undo) or after (redo) it. */
typedef struct
{
  EaselMaskRect rect;
  guint8       *pixels;
} HistoryStep;

struct _EaselMask
{
  GObject  parent_instance;

  int      width;
  int      height;
  guint8  *data;

  GQueue   undo;            /* HistoryStep*, newest at head */
  GQueue   redo;
  gsize    history_bytes;
  gsize    history_limit;

  /* An open stroke: the whole mask before it, and the area it touched. */
  guint8  *stroke_before;
  gboolean stroke_dirty;
  EaselMaskRect stroke_rect;
};

G_DEFINE_FINAL_TYPE (EaselMask, easel_mask, G_TYPE_OBJECT)

enum { CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
history_step_free (HistoryStep *step)
{
  g_free (step->pixels);
  g_free (step);
}

static gsize
history_step_size (const HistoryStep *step)
{
  return (gsize) step->rect.width * step->rect.height + sizeof *step;
}

static void
clear_queue (EaselMask *self, GQueue *queue)
{
  HistoryStep *step;

  while ((step = g_queue_pop_head (queue)))
    {
      self->history_bytes -= history_step_size (step);
      history_step_free (step);
    }
}

static void
easel_mask_finalize (GObject *object)
{
  EaselMask *self = EASEL_MASK (object);

  clear_queue (self, &self->undo);
  clear_queue (self, &self->redo);
  g_clear_pointer (&self->data, g_free);
  g_clear_pointer (&self->stroke_before, g_free);

  G_OBJECT_CLASS (easel_mask_parent_class)->finalize (object);
}

static void
easel_mask_class_init (EaselMaskClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = easel_mask_finalize;

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
easel_mask_init (EaselMask *self)
{
  g_queue_init (&self->undo);
  g_queue_init (&self->redo);
  /* Bounded by bytes, not steps: most steps are small stroke rectangles,
   * and 96 MB still holds 60 full-size steps of a 1536×1024 mask. */
  self->history_limit = 96 * 1024 * 1024;
}

EaselMask *
easel_mask_new (int width, int height)
{
  EaselMask *self;

  g_return_val_if_fail (width > 0 && height > 0, NULL);

  self = g_object_new (EASEL_TYPE_MASK, NULL);
  self->width = width;
  self->height = height;
  self->data = g_malloc0 ((gsize) width * height);

  return self;
}

int
easel_mask_get_width (EaselMask *self)
{
  g_return_val_if_fail (EASEL_IS_MASK (self), 0);
  return self->width;
}

int
easel_mask_get_height (EaselMask *self)
{
  g_return_val_if_fail (EASEL_IS_MASK (self), 0);
  return self->height;
}

const guint8 *
easel_mask_get_data (EaselMask *self)
{
  g_return_val_if_fail (EASEL_IS_MASK (self), NULL);
  return self->data;
}

guint8
easel_mask_get_value (EaselMask *self, int x, int y)
{
  g_return_val_if_fail (EASEL_IS_MASK (self), 0);

  if (x < 0 || y < 0 || x >= self->width || y >= self->height)
    return 0;

  return self->data[(gsize) y * self->width + x];
}

guint64
easel_mask_count_selected (EaselMask *self)
{
  gsize n = (gsize) self->width * self->height;
  guint64 count = 0;

  g_return_val_if_fail (EASEL_IS_MASK (self), 0);

  for (gsize i = 0; i < n; i++)
    count += self->data[i] != 0;

  return count;
}

gboolean
easel_mask_is_empty (EaselMask *self)
{
  gsize n;

  g_return_val_if_fail (EASEL_IS_MASK (self), TRUE);

  n = (gsize) self->width * self->height;
  for (gsize i = 0; i < n; i++)
    if (self->data[i] != 0)
      return FALSE;

  return TRUE;
}

static gboolean
rect_clip (EaselMask *self, EaselMaskRect *rect)
{
  int x0 = MAX (rect->x, 0);
  int y0 = MAX (rect->y, 0);
  int x1 = MIN (rect->x + rect->width, self->width);
  int y1 = MIN (rect->y + rect->height, self->height);

  if (x1 <= x0 || y1 <= y0)
    return FALSE;

  *rect = (EaselMaskRect) { x0, y0, x1 - x0, y1 - y0 };
  return TRUE;
}

static void
rect_union (EaselMaskRect *dest, const EaselMaskRect *src)
{
  int x0, y0, x1, y1;

  if (dest->width == 0 || dest->height == 0)
    {
      *dest = *src;
      return;
    }

  x0 = MIN (dest->x, src->x);
  y0 = MIN (dest->y, src->y);
  x1 = MAX (dest->x + dest->width, src->x + src->width);
  y1 = MAX (dest->y + dest->height, src->y + src->height);
  *dest = (EaselMaskRect) { x0, y0, x1 - x0, y1 - y0 };
}

static guint8 *
copy_rect (const guint8 *buffer, int stride, const EaselMaskRect *rect)
{
  guint8 *out = g_malloc ((gsize) rect->width * rect->height);

  for (int row = 0; row < rect->height; row++)
    memcpy (out + (gsize) row * rect->width,
            buffer + (gsize) (rect->y + row) * stride + rect->x,
            rect->width);

  return out;
}

static void
paste_rect (guint8 *buffer, int stride, const EaselMaskRect *rect, const guint8 *pixels)
{
  for (int row = 0; row < rect->height; row++)
    memcpy (buffer + (gsize) (rect->y + row) * stride + rect->x,
            pixels + (gsize) row * rect->width,
            rect->width);
}

static void
trim_history (EaselMask *self)
{
  while (self->history_bytes > self->history_limit &&
         g_queue_get_length (&self->undo) > 1)
    {
      HistoryStep *oldest = g_queue_pop_tail (&self->undo);

      self->history_bytes -= history_step_size (oldest);
      history_step_free (oldest);
    }
}

static void
push_undo (EaselMask *self, const EaselMaskRect *rect, guint8 *before /* transfer full */)
{
  HistoryStep *step = g_new0 (HistoryStep, 1);

  step->rect = *rect;
  step->pixels = before;
  g_queue_push_head (&self->undo, step);
  self->history_bytes += history_step_size (step);
  clear_queue (self, &self->redo);
  trim_history (self);
}

static void
emit_changed (EaselMask *self, const EaselMaskRect *rect)
{
  EaselMaskRect area = *rect;

  g_signal_emit (self, signals[CHANGED], 0, &area);
}

/* Runs a whole-rect operation as one undo step. */
typedef void (*RectOp) (EaselMask *self, const EaselMaskRect *rect, gpointer data);

static void
apply_undoable (EaselMask *self, EaselMaskRect rect, RectOp op, gpointer data)
{
  if (!rect_clip (self, &rect))
    return;

  if (self->stroke_before != NULL)
    {
      /* Inside a stroke group the snapshot already holds the old pixels. */
      op (self, &rect, data);
      rect_union (&self->stroke_rect, &rect);
      self->stroke_dirty = TRUE;
    }
  else
    {
      guint8 *before = copy_rect (self->data, self->width, &rect);

      op (self, &rect, data);
      push_undo (self, &rect, before);
    }

  emit_changed (self, &rect);
}

static void
op_set (EaselMask *self, const EaselMaskRect *rect, gpointer data)
{
  guint8 value = GPOINTER_TO_UINT (data);

  for (int y = rect->y; y < rect->y + rect->height; y++)
    memset (self->data + (gsize) y * self->width + rect->x, value, rect->width);
}

static void
op_invert (EaselMask *self, const EaselMaskRect *rect, gpointer data)
{
  for (int y = rect->y; y < rect->y + rect->height; y++)
    {
      guint8 *row = self->data + (gsize) y * self->width;

      for (int x = rect->x; x < rect->x + rect->width; x++)
        row[x] = 255 - row[x];
    }
}

void
easel_mask_fill_rect (EaselMask *self, int x, int y, int width, int height, gboolean erase)
{
  g_return_if_fail (EASEL_IS_MASK (self));

  if (width < 0) { x += width; width = -width; }
  if (height < 0) { y += height; height = -height; }

  apply_undoable (self, (EaselMaskRect) { x, y, width, height }, op_set,
                  GUINT_TO_POINTER (erase ? 0 : 255));
}

void
easel_mask_invert (EaselMask *self)
{
  g_return_if_fail (EASEL_IS_MASK (self));
  apply_undoable (self, (EaselMaskRect) { 0, 0, self->width, self->height }, op_invert, NULL);
}

void
easel_mask_clear (EaselMask *self)
{
  g_return_if_fail (EASEL_IS_MASK (self));
  apply_undoable (self, (EaselMaskRect) { 0, 0, self->width, self->height }, op_set, GUINT_TO_POINTER (0));
}

void
easel_mask_fill_all (EaselMask *self)
{
  g_return_if_fail (EASEL_IS_MASK (self));
  apply_undoable (self, (EaselMaskRect) { 0, 0, self->width, self->height }, op_set, GUINT_TO_POINTER (255));
}

typedef struct
{
  const EaselMaskPoint *points;
  guint n_points;
  guint8 value;
} PolygonOp;

static int
compare_double (gconstpointer a, gconstpointer b)
{
  double da = *(const double *) a, db = *(const double *) b;
  return (da > db) - (da < db);
}

/* Even-odd scanline fill, sampling at pixel centres. */
static void
op_polygon (EaselMask *self, const EaselMaskRect *rect, gpointer data)
{
  const PolygonOp *poly = data;
  g_autofree double *xs = g_new (double, poly->n_points);

  for (int y = rect->y; y < rect->y + rect->height; y++)
    {
      double cy = y + 0.5;
      guint n = 0;

      for (guint i = 0; i < poly->n_points; i++)
        {
          const EaselMaskPoint *a = &poly->points[i];
          const EaselMaskPoint *b = &poly->points[(i + 1) % poly->n_points];

          if ((a->y <= cy && b->y > cy) || (b->y <= cy && a->y > cy))
            xs[n++] = a->x + (cy - a->y) * (b->x - a->x) / (b->y - a->y);
        }

      qsort (xs, n, sizeof (double), compare_double);

      for (guint i = 0; i + 1 < n; i += 2)
        {
          int x0 = MAX ((int) ceil (xs[i] - 0.5), rect->x);
          int x1 = MIN ((int) floor (xs[i + 1] - 0.5), rect->x + rect->width - 1);

          if (x1 >= x0)
            memset (self->data + (gsize) y * self->width + x0, poly->value, x1 - x0 + 1);
        }
    }
}

void
easel_mask_fill_polygon (EaselMask *self, const EaselMaskPoint *points, guint n_points, gboolean erase)
{
  double min_x = G_MAXDOUBLE, min_y = G_MAXDOUBLE, max_x = -G_MAXDOUBLE, max_y = -G_MAXDOUBLE;
  PolygonOp poly = { points, n_points, erase ? 0 : 255 };

  g_return_if_fail (EASEL_IS_MASK (self));
  g_return_if_fail (points != NULL || n_points == 0);

  if (n_points < 3)
    return;

  for (guint i = 0; i < n_points; i++)
    {
      min_x = MIN (min_x, points[i].x);
      min_y = MIN (min_y, points[i].y);
      max_x = MAX (max_x, points[i].x);
      max_y = MAX (max_y, points[i].y);
    }

  apply_undoable (self,
                  (EaselMaskRect) { (int) floor (min_x), (int) floor (min_y),
                                    (int) ceil (max_x) - (int) floor (min_x) + 1,
                                    (int) ceil (max_y) - (int) floor (min_y) + 1 },
                  op_polygon, &poly);
}

void
easel_mask_begin_stroke (EaselMask *self)
{
  g_return_if_fail (EASEL_IS_MASK (self));

  if (self->stroke_before != NULL)
    easel_mask_end_stroke (self);

  self->stroke_before = g_memdup2 (self->data, (gsize) self->width * self->height);
  self->stroke_rect = (EaselMaskRect) { 0, 0, 0, 0 };
  self->stroke_dirty = FALSE;
}

void
easel_mask_end_stroke (EaselMask *self)
{
  g_return_if_fail (EASEL_IS_MASK (self));

  if (self->stroke_before == NULL)
    return;

  if (self->stroke_dirty)
    push_undo (self, &self->stroke_rect,
               copy_rect (self->stroke_before, self->width, &self->stroke_rect));

  g_clear_pointer (&self->stroke_before, g_free);
  self->stroke_dirty = FALSE;
}

typedef struct
{
  double cx, cy, radius, hardness;
  gboolean erase;
} Dab;

/* Coverage of a round brush: 1 inside radius·hardness, then a smooth falloff
 * to 0 at the radius. Painting takes the max, erasing lowers to 1 − coverage. */
static void
op_dab (EaselMask *self, const EaselMaskRect *rect, gpointer data)
{
  const Dab *dab = data;
  double inner = dab->radius * CLAMP (dab->hardness, 0.0, 1.0);
  double falloff = MAX (dab->radius - inner, 1e-6);

  for (int y = rect->y; y < rect->y + rect->height; y++)
    {
      guint8 *row = self->data + (gsize) y * self->width;
      double dy = y + 0.5 - dab->cy;

      for (int x = rect->x; x < rect->x + rect->width; x++)
        {
          double dx = x + 0.5 - dab->cx;
          double d = sqrt (dx * dx + dy * dy);
          double coverage;
          guint8 value;

          if (d >= dab->radius)
            continue;

          if (d <= inner)
            coverage = 1.0;
          else
            {
              double t = (d - inner) / falloff;
              coverage = 1.0 - t * t * (3.0 - 2.0 * t);
            }

          value = (guint8) lround (coverage * 255.0);

          if (dab->erase)
            row[x] = MIN (row[x], 255 - value);
          else
            row[x] = MAX (row[x], value);
        }
    }
}

void
easel_mask_stroke_to (EaselMask *self,
                      double x0, double y0, double p0,
                      double x1, double y1, double p1,
                      double radius, double hardness,
                      gboolean erase)
{
  gboolean own_group;
  double length, spacing;
  int steps;

  g_return_if_fail (EASEL_IS_MASK (self));

  if (radius <= 0)
    return;

  own_group = self->stroke_before == NULL;
  if (own_group)
    easel_mask_begin_stroke (self);

  /* Dabs a quarter of the smallest radius apart keep the edge smooth
   * however fast the pointer moved between motion events. */
  length = hypot (x1 - x0, y1 - y0);
  spacing = MAX (0.5, radius * MIN (CLAMP (p0, 0.05, 1.0), CLAMP (p1, 0.05, 1.0)) * 0.25);
  steps = MAX (1, (int) ceil (length / spacing));

  for (int i = 0; i <= steps; i++)
    {
      double t = (double) i / steps;
      double pressure = CLAMP (p0 + (p1 - p0) * t, 0.05, 1.0);
      Dab dab = { x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, radius * pressure, hardness, erase };
      EaselMaskRect area = {
        (int) floor (dab.cx - dab.radius), (int) floor (dab.cy - dab.radius),
        (int) ceil (dab.radius * 2) + 2, (int) ceil (dab.radius * 2) + 2,
      };

      apply_undoable (self, area, op_dab, &dab);
    }

  if (own_group)
    easel_mask_end_stroke (self);
}

guint8 *
easel_selection_from_pixbuf (GdkPixbuf  *mask_image,
                             int         expected_width,
                             int         expected_height,
                             GError    **error)
{
  int width, height, stride, channels;
  gboolean has_alpha;
  const guint8 *pixels;
  guint8 *selection;

  g_return_val_if_fail (GDK_IS_PIXBUF (mask_image), NULL);

  width = gdk_pixbuf_get_width (mask_image);
  height = gdk_pixbuf_get_height (mask_image);

  if (expected_width > 0 && (width != expected_width || height != expected_height))
    {
      g_set_error (error, EASEL_MASK_ERROR, EASEL_MASK_ERROR_SIZE_MISMATCH,
                   "The mask is %d×%d pixels but the image is %d×%d; a mask must be exactly the image’s size",
                   width, height, expected_width, expected_height);
      return NULL;
    }

  stride = gdk_pixbuf_get_rowstride (mask_image);
  channels = gdk_pixbuf_get_n_channels (mask_image);
  has_alpha = gdk_pixbuf_get_has_alpha (mask_image);
  pixels = gdk_pixbuf_read_pixels (mask_image);
  selection = g_malloc ((gsize) width * height);

  for (int y = 0; y < height; y++)
    {
      const guint8 *p = pixels + (gsize) y * stride;

      for (int x = 0; x < width; x++, p += channels)
        {
          guint8 value;

          if (has_alpha)
            value = 255 - p[3];
          else
            /* Rec. 601 luma: white means "edit here". */
            value = (guint8) ((p[0] * 299 + p[1] * 587 + p[2] * 114 + 500) / 1000);

          selection[(gsize) y * width + x] = value;
        }
    }

  return selection;
}

gboolean
easel_mask_set_from_pixbuf (EaselMask *self, GdkPixbuf *mask_image, GError **error)
{
  g_autofree guint8 *selection = NULL;
  EaselMaskRect all;

  g_return_val_if_fail (EASEL_IS_MASK (self), FALSE);

  selection = easel_selection_from_pixbuf (mask_image, self->width, self->height, error);
  if (selection == NULL)
    return FALSE;

  all = (EaselMaskRect) { 0, 0, self->width, self->height };
  push_undo (self, &all, copy_rect (self->data, self->width, &all));
  memcpy (self->data, selection, (gsize) self->width * self->height);
  emit_changed (self, &all);

  return TRUE;
}

static gboolean
swap_step (EaselMask *self, GQueue *from, GQueue *to)
{
  HistoryStep *step;
  guint8 *current;

  if (self->stroke_before != NULL)
    easel_mask_end_stroke (self);

  step = g_queue_pop_head (from);
  if (step == NULL)
    return FALSE;

  current = copy_rect (self->data, self->width, &step->rect);
  paste_rect (self->data, self->width, &step->rect, step->pixels);
  g_free (step->pixels);
  step->pixels = current;
  g_queue_push_head (to, step);

  emit_changed (self, &step->rect);
  return TRUE;
}

gboolean
easel_mask_undo (EaselMask *self)
{
  g_return_val_if_fail (EASEL_IS_MASK (self), FALSE);
  return swap_step (self, &self->undo, &self->redo);
}

gboolean
easel_mask_redo (EaselMask *self)
{
  g_return_val_if_fail (EASEL_IS_MASK (self), FALSE);
  return swap_step (self, &self->redo, &self->undo);
}

gboolean
easel_mask_can_undo (EaselMask *self)
{
  g_return_val_if_fail (EASEL_IS_MASK (self), FALSE);
  return !g_queue_is_empty (&self->undo) || self->stroke_dirty;
}

gboolean
easel_mask_can_redo (EaselMask *self)
{
  g_return_val_if_fail (EASEL_IS_MASK (self), FALSE);
  return !g_queue_is_empty (&self->redo);
}

gsize
easel_mask_get_history_bytes (EaselMask *self)
{
  g_return_val_if_fail (EASEL_IS_MASK (self), 0);
  return self->history_bytes;
}

guint
easel_mask_get_undo_depth (EaselMask *self)
{
  g_return_val_if_fail (EASEL_IS_MASK (self), 0);
  return g_queue_get_length (&self->undo);
}

void
easel_mask_set_history_limit (EaselMask *self, gsize max_bytes)
{
  g_return_if_fail (EASEL_IS_MASK (self));

  self->history_limit = max_bytes;
  trim_history (self);
}

/* Separable Gaussian, sigma = radius / 2, kernel cut at 3 sigma. Both
 * passes run along rows (the vertical one accumulates whole rows), which
 * keeps memory access linear and lets the compiler vectorise the inner
 * loops: several times faster than a column walk at 1536×1024. */
void
easel_selection_feather (guint8 *selection, int width, int height, double radius)
{
  g_autofree float *kernel = NULL;
  g_autofree float *tmp = NULL;
  g_autofree float *pad = NULL;
  g_autofree float *acc = NULL;
  double sigma;
  int half;
  float sum = 0;

  g_return_if_fail (selection != NULL);

  if (radius <= 0.0)
    return;

  sigma = radius / 2.0;
  half = MAX (1, (int) ceil (sigma * 3.0));
  kernel = g_new (float, 2 * half + 1);

  for (int i = -half; i <= half; i++)
    {
      kernel[i + half] = (float) exp (-(i * i) / (2.0 * sigma * sigma));
      sum += kernel[i + half];
    }
  for (int i = 0; i < 2 * half + 1; i++)
    kernel[i] /= sum;

  tmp = g_new (float, (gsize) width * height);
  pad = g_new (float, (gsize) width + 2 * half);
  acc = g_new (float, width);

  /* Edges clamp, so a mask that reaches the border stays selected there. */
  for (int y = 0; y < height; y++)
    {
      const guint8 *row = selection + (gsize) y * width;
      float *out = tmp + (gsize) y * width;

      for (int x = -half; x < width + half; x++)
        pad[x + half] = row[CLAMP (x, 0, width - 1)];

      memset (out, 0, sizeof (float) * width);
      for (int k = 0; k <= 2 * half; k++)
        {
          const float w = kernel[k];
          const float *src = pad + k;

          for (int x = 0; x < width; x++)
            out[x] += w * src[x];
        }
    }

  for (int y = 0; y < height; y++)
    {
      guint8 *out = selection + (gsize) y * width;

      memset (acc, 0, sizeof (float) * width);
      for (int k = -half; k <= half; k++)
        {
          const float w = kernel[k + half];
          const float *src = tmp + (gsize) CLAMP (y + k, 0, height - 1) * width;

          for (int x = 0; x < width; x++)
            acc[x] += w * src[x];
        }

      for (int x = 0; x < width; x++)
        out[x] = (guint8) CLAMP ((int) (acc[x] + 0.5f), 0, 255);
    }
}

guint8 *
easel_mask_dup_feathered (EaselMask *self, double radius)
{
  guint8 *copy;

  g_return_val_if_fail (EASEL_IS_MASK (self), NULL);

  copy = g_memdup2 (self->data, (gsize) self->width * self->height);
  easel_selection_feather (copy, self->width, self->height, radius);

  return copy;
}

static void
put_be32 (guint8 *p, guint32 value)
{
  p[0] = value >> 24;
  p[1] = value >> 16;
  p[2] = value >> 8;
  p[3] = value;
}

/* Appends one PNG chunk: length, type, data, CRC over type and data. */
static void
append_chunk (GByteArray *png, const char *type, const guint8 *data, gsize len)
{
  guint8 header[8], crc_bytes[4];
  uLong crc;

  put_be32 (header, (guint32) len);
  memcpy (header + 4, type, 4);
  g_byte_array_append (png, header, 8);
  if (len > 0)
    g_byte_array_append (png, data, len);

  crc = crc32 (0L, (const Bytef *) type, 4);
  if (len > 0)
    crc = crc32 (crc, data, len);
  put_be32 (crc_bytes, (guint32) crc);
  g_byte_array_append (png, crc_bytes, 4);
}

/* The wire mask as an 8-bit RGBA PNG: black, opaque where kept, transparent
 * where replaced. Written directly with zlib rather than through
 * GdkPixbuf/libpng: every row after the first uses the PNG "Up" filter, so
 * the flat areas a mask is made of become runs of zeros that the fastest
 * deflate level squeezes almost for free (about 5× faster at 1536×1024). */
static GBytes *
encode_selection_png (const guint8 *selection, int width, int height, GError **error)
{
  static const guint8 signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  gsize row_bytes = (gsize) width * 4 + 1;
  g_autofree guint8 *row = g_malloc (row_bytes);
  g_autofree guint8 *previous = g_malloc0 (row_bytes);
  g_autofree guint8 *filtered = g_malloc (row_bytes);
  g_autofree guint8 *compressed = NULL;
  g_autoptr(GByteArray) png = NULL;
  guint8 ihdr[13];
  z_stream zs = { 0 };
  uLong bound;
  int zret;

  if (deflateInit (&zs, Z_BEST_SPEED) != Z_OK)
    {
      g_set_error_literal (error, EASEL_MASK_ERROR, EASEL_MASK_ERROR_NOT_IMAGE, "Cannot start PNG compression");
      return NULL;
    }

  bound = deflateBound (&zs, (uLong) (row_bytes * height));
  compressed = g_malloc (bound);
  zs.next_out = compressed;
  zs.avail_out = bound;

  for (int y = 0; y < height; y++)
    {
      const guint8 *s = selection + (gsize) y * width;
      guint8 *p = row + 1;

      for (int x = 0; x < width; x++, p += 4)
        {
          p[0] = p[1] = p[2] = 0;
          p[3] = 255 - s[x];
        }

      if (y == 0)
        {
          row[0] = 0;  /* filter: None */
          memcpy (filtered, row, row_bytes);
        }
      else
        {
          filtered[0] = 2;  /* filter: Up */
          for (gsize i = 1; i < row_bytes; i++)
            filtered[i] = (guint8) (row[i] - previous[i]);
        }

      zs.next_in = filtered;
      zs.avail_in = row_bytes;
      zret = deflate (&zs, y == height - 1 ? Z_FINISH : Z_NO_FLUSH);
      if (zret == Z_STREAM_ERROR || (y == height - 1 && zret != Z_STREAM_END))
        {
          deflateEnd (&zs);
          g_set_error_literal (error, EASEL_MASK_ERROR, EASEL_MASK_ERROR_NOT_IMAGE, "PNG compression failed");
          return NULL;
        }

      memcpy (previous, row, row_bytes);
    }

  png = g_byte_array_sized_new (zs.total_out + 64);
  g_byte_array_append (png, signature, 8);

  put_be32 (ihdr, width);
  put_be32 (ihdr + 4, height);
  ihdr[8] = 8;    /* bit depth */
  ihdr[9] = 6;    /* colour type: RGBA */
  ihdr[10] = 0;   /* deflate */
  ihdr[11] = 0;   /* adaptive filtering */
  ihdr[12] = 0;   /* no interlace */
  append_chunk (png, "IHDR", ihdr, sizeof ihdr);
  append_chunk (png, "IDAT", compressed, zs.total_out);
  append_chunk (png, "IEND", NULL, 0);
  deflateEnd (&zs);

  return g_byte_array_free_to_bytes (g_steal_pointer (&png));
}

static gboolean
selection_is_empty (const guint8 *selection, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (selection[i] != 0)
      return FALSE;
  return TRUE;
}

GBytes *
easel_mask_encode_png (EaselMask *self, double feather_radius, GError **error)
{
  g_autofree guint8 *selection = NULL;

  g_return_val_if_fail (EASEL_IS_MASK (self), NULL);

  selection = easel_mask_dup_feathered (self, feather_radius);

  if (selection_is_empty (selection, (gsize) self->width * self->height))
    {
      g_set_error_literal (error, EASEL_MASK_ERROR, EASEL_MASK_ERROR_EMPTY,
                           "Nothing is selected: paint over the part of the image to change");
      return NULL;
    }

  return encode_selection_png (selection, self->width, self->height, error);
}

typedef struct
{
  guint8 *selection;
  int width, height;
  double feather;
} EncodeJob;

static void
encode_job_free (EncodeJob *job)
{
  g_free (job->selection);
  g_free (job);
}

static void
encode_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  EncodeJob *job = data;
  GError *error = NULL;
  GBytes *png;

  easel_selection_feather (job->selection, job->width, job->height, job->feather);

  if (selection_is_empty (job->selection, (gsize) job->width * job->height))
    {
      g_task_return_new_error (task, EASEL_MASK_ERROR, EASEL_MASK_ERROR_EMPTY,
                               "Nothing is selected: paint over the part of the image to change");
      return;
    }

  png = encode_selection_png (job->selection, job->width, job->height, &error);
  if (png == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, png, (GDestroyNotify) g_bytes_unref);
}

void
easel_mask_encode_png_async (EaselMask           *self,
                             double               feather_radius,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  EncodeJob *job;

  g_return_if_fail (EASEL_IS_MASK (self));

  /* The worker gets its own copy so painting can go on meanwhile. */
  job = g_new0 (EncodeJob, 1);
  job->selection = g_memdup2 (self->data, (gsize) self->width * self->height);
  job->width = self->width;
  job->height = self->height;
  job->feather = feather_radius;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_mask_encode_png_async);
  g_task_set_task_data (task, job, (GDestroyNotify) encode_job_free);
  g_task_run_in_thread (task, encode_thread);
}

GBytes *
easel_mask_encode_png_finish (EaselMask *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static GdkPixbuf *
load_pixbuf (GBytes *bytes, GError **error)
{
  g_autoptr(GdkPixbufLoader) loader = NULL;
  g_autoptr(GError) size_error = NULL;
  GdkPixbuf *pixbuf;

  if (!easel_image_check_size (bytes, NULL, NULL, &size_error))
    {
      g_set_error_literal (error, EASEL_MASK_ERROR,
                           g_error_matches (size_error, EASEL_IMAGE_ERROR, EASEL_IMAGE_ERROR_TOO_LARGE)
                             ? EASEL_MASK_ERROR_TOO_LARGE : EASEL_MASK_ERROR_NOT_IMAGE,
                           size_error->message);
      return NULL;
    }

  loader = gdk_pixbuf_loader_new ();
  if (!gdk_pixbuf_loader_write_bytes (loader, bytes, error) ||
      !gdk_pixbuf_loader_close (loader, error))
    return NULL;

  pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);
  if (pixbuf == NULL)
    {
      g_set_error_literal (error, EASEL_MASK_ERROR, EASEL_MASK_ERROR_NOT_IMAGE, "Not an image");
      return NULL;
    }

  return g_object_ref (pixbuf);
}

static gboolean
is_png (GBytes *bytes)
{
  static const guint8 signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  return len >= 8 && memcmp (data, signature, 8) == 0;
}

gboolean
easel_mask_check_for_edit (GBytes    *image_bytes,
                           GBytes    *mask_png,
                           gsize      max_bytes,
                           gboolean   needs_square_png,
                           GError   **error)
{
  g_autoptr(GdkPixbuf) image = NULL;
  g_autoptr(GdkPixbuf) mask = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree guint8 *selection = NULL;
  int width, height;

  g_return_val_if_fail (image_bytes != NULL && mask_png != NULL, FALSE);

  if (max_bytes > 0)
    {
      if (g_bytes_get_size (image_bytes) > max_bytes || g_bytes_get_size (mask_png) > max_bytes)
        {
          g_set_error (error, EASEL_MASK_ERROR, EASEL_MASK_ERROR_TOO_LARGE,
                       "The image or mask is larger than this model’s limit of %" G_GSIZE_FORMAT " MB",
                       max_bytes / (1024 * 1024));
          return FALSE;
        }
    }

  if (!is_png (mask_png))
    {
      g_set_error_literal (error, EASEL_MASK_ERROR, EASEL_MASK_ERROR_NOT_IMAGE,
                           "The mask must be a PNG with an alpha channel");
      return FALSE;
    }

  if (!(image = load_pixbuf (image_bytes, &local_error)))
    {
      if (g_error_matches (local_error, EASEL_MASK_ERROR, EASEL_MASK_ERROR_TOO_LARGE))
        g_set_error (error, EASEL_MASK_ERROR, EASEL_MASK_ERROR_TOO_LARGE,
                     "The image is too large: %s", local_error->message);
      else
        g_set_error (error, EASEL_MASK_ERROR, EASEL_MASK_ERROR_NOT_IMAGE,
                     "The image cannot be read: %s", local_error->message);
      return FALSE;
    }

  if (!(mask = load_pixbuf (mask_png, &local_error)))
    {
      if (g_error_matches (local_error, EASEL_MASK_ERROR, EASEL_MASK_ERROR_TOO_LARGE))
        g_set_error (error, EASEL_MASK_ERROR, EASEL_MASK_ERROR_TOO_LARGE,
                     "The mask is too large: %s", local_error->message);
      else
        g_set_error (error, EASEL_MASK_ERROR, EASEL_MASK_ERROR_NOT_IMAGE,
                     "The mask cannot be read: %s", local_error->message);
      return FALSE;
    }

  width = gdk_pixbuf_get_width (image);
  height = gdk_pixbuf_get_height (image);

  if (needs_square_png && (width != height || !is_png (image_bytes)))
    {
      g_set_error (error, EASEL_MASK_ERROR, EASEL_MASK_ERROR_NOT_SQUARE_PNG,
                   "dall-e-2 edits need a square PNG image; this one is %d×%d%s",
                   width, height, is_png (image_bytes) ? "" : " and not a PNG");
      return FALSE;
    }

  if (!gdk_pixbuf_get_has_alpha (mask))
    {
      g_set_error_literal (error, EASEL_MASK_ERROR, EASEL_MASK_ERROR_NOT_IMAGE,
                           "The mask has no alpha channel; transparent areas mark what to replace");
      return FALSE;
    }

  selection = easel_selection_from_pixbuf (mask, width, height, error);
  if (selection == NULL)
    return FALSE;

  if (selection_is_empty (selection, (gsize) width * height))
    {
      g_set_error_literal (error, EASEL_MASK_ERROR, EASEL_MASK_ERROR_EMPTY,
                           "The mask selects nothing: no pixel is transparent");
      return FALSE;
    }

  return TRUE;
}

void
easel_drift_report_free (EaselDriftReport *report)
{
  if (report == NULL)
    return;

  g_clear_pointer (&report->heatmap, g_bytes_unref);
  g_free (report);
}

static GdkPixbuf *
to_rgba_at_size (GdkPixbuf *pixbuf, int width, int height)
{
  g_autoptr(GdkPixbuf) with_alpha = NULL;

  if (gdk_pixbuf_get_width (pixbuf) != width || gdk_pixbuf_get_height (pixbuf) != height)
    pixbuf = with_alpha = gdk_pixbuf_scale_simple (pixbuf, width, height, GDK_INTERP_BILINEAR);

  if (gdk_pixbuf_get_has_alpha (pixbuf) && gdk_pixbuf_get_n_channels (pixbuf) == 4)
    return g_object_ref (pixbuf);

  return gdk_pixbuf_add_alpha (pixbuf, FALSE, 0, 0, 0);
}

EaselDriftReport *
easel_drift_compare (GdkPixbuf    *original,
                     GdkPixbuf    *result,
                     const guint8 *selection,
                     int           width,
                     int           height,
                     int           threshold)
{
  g_autoptr(GdkPixbuf) a = NULL;
  g_autoptr(GdkPixbuf) b = NULL;
  EaselDriftReport *report;
  guint8 *heat;
  int stride_a, stride_b;
  const guint8 *pa, *pb;
  double delta_sum = 0;

  g_return_val_if_fail (GDK_IS_PIXBUF (original), NULL);
  g_return_val_if_fail (GDK_IS_PIXBUF (result), NULL);
  g_return_val_if_fail (selection != NULL, NULL);
  g_return_val_if_fail (gdk_pixbuf_get_width (original) == width &&
                        gdk_pixbuf_get_height (original) == height, NULL);

  a = to_rgba_at_size (original, width, height);
  b = to_rgba_at_size (result, width, height);
  stride_a = gdk_pixbuf_get_rowstride (a);
  stride_b = gdk_pixbuf_get_rowstride (b);
  pa = gdk_pixbuf_read_pixels (a);
  pb = gdk_pixbuf_read_pixels (b);

  report = g_new0 (EaselDriftReport, 1);
  report->width = width;
  report->height = height;
  heat = g_malloc0 ((gsize) width * height * 4);

  for (int y = 0; y < height; y++)
    {
      const guint8 *ra = pa + (gsize) y * stride_a;
      const guint8 *rb = pb + (gsize) y * stride_b;
      const guint8 *rs = selection + (gsize) y * width;
      guint8 *rh = heat + (gsize) y * width * 4;

      for (int x = 0; x < width; x++)
        {
          int d = 0;

          /* Only pixels the mask protects: half-selected feather pixels
           * were allowed to change. */
          if (rs[x] >= 128)
            continue;

          for (int c = 0; c < 4; c++)
            d = MAX (d, ABS ((int) ra[x * 4 + c] - (int) rb[x * 4 + c]));

          report->protected_pixels++;
          delta_sum += d;

          if (d > threshold)
            {
              report->drifted_pixels++;
              rh[x * 4 + 0] = 255;
              rh[x * 4 + 1] = (guint8) (255 - MIN (255, d * 2));
              rh[x * 4 + 2] = 0;
              rh[x * 4 + 3] = (guint8) MIN (255, 96 + d);
            }
        }
    }

  if (report->protected_pixels > 0)
    {
      report->drift_percent = 100.0 * report->drifted_pixels / report->protected_pixels;
      report->mean_delta = delta_sum / report->protected_pixels;
    }

  report->heatmap = g_bytes_new_take (heat, (gsize) width * height * 4);
  return report;
}

typedef struct
{
  GdkPixbuf *original;
  GdkPixbuf *result;
  guint8 *selection;
  int width, height, threshold;
} DriftJob;

static void
drift_job_free (DriftJob *job)
{
  g_clear_object (&job->original);
  g_clear_object (&job->result);
  g_free (job->selection);
  g_free (job);
}

static void
drift_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  DriftJob *job = data;

  g_task_return_pointer (task,
                         easel_drift_compare (job->original, job->result, job->selection,
                                              job->width, job->height, job->threshold),
                         (GDestroyNotify) easel_drift_report_free);
}

void
easel_drift_compare_async (GdkPixbuf           *original,
                           GdkPixbuf           *result,
                           EaselMask           *mask,
                           int                  threshold,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  DriftJob *job;

  g_return_if_fail (GDK_IS_PIXBUF (original));
  g_return_if_fail (GDK_IS_PIXBUF (result));
  g_return_if_fail (EASEL_IS_MASK (mask));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_drift_compare_async);

  if (gdk_pixbuf_get_width (original) != mask->width || gdk_pixbuf_get_height (original) != mask->height)
    {
      g_task_return_new_error (task, EASEL_MASK_ERROR, EASEL_MASK_ERROR_SIZE_MISMATCH,
                               "The mask is %d×%d pixels but the input image is %d×%d",
                               mask->width, mask->height,
                               gdk_pixbuf_get_width (original), gdk_pixbuf_get_height (original));
      return;
    }

  job = g_new0 (DriftJob, 1);
  job->original = g_object_ref (original);
  job->result = g_object_ref (result);
  job->selection = g_memdup2 (mask->data, (gsize) mask->width * mask->height);
  job->width = mask->width;
  job->height = mask->height;
  job->threshold = threshold;

  g_task_set_task_data (task, job, (GDestroyNotify) drift_job_free);
  g_task_run_in_thread (task, drift_thread);
}

EaselDriftReport *
easel_drift_compare_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

GdkPixbuf *
easel_restore_protected (GdkPixbuf    *original,
                         GdkPixbuf    *result,
                         const guint8 *selection,
                         int           width,
                         int           height,
                         double        feather_radius)
{
  g_autoptr(GdkPixbuf) a = NULL;
  g_autoptr(GdkPixbuf) b = NULL;
  g_autofree guint8 *soft = NULL;
  GdkPixbuf *out;
  int stride_a, stride_b, stride_o;
  const guint8 *pa, *pb;
  guint8 *po;

  g_return_val_if_fail (GDK_IS_PIXBUF (original), NULL);
  g_return_val_if_fail (GDK_IS_PIXBUF (result), NULL);
  g_return_val_if_fail (selection != NULL, NULL);
  g_return_val_if_fail (gdk_pixbuf_get_width (original) == width &&
                        gdk_pixbuf_get_height (original) == height, NULL);

  a = to_rgba_at_size (original, width, height);
  b = to_rgba_at_size (result, width, height);
  soft = g_memdup2 (selection, (gsize) width * height);
  easel_selection_feather (soft, width, height, feather_radius);

  out = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, width, height);
  stride_a = gdk_pixbuf_get_rowstride (a);
  stride_b = gdk_pixbuf_get_rowstride (b);
  stride_o = gdk_pixbuf_get_rowstride (out);
  pa = gdk_pixbuf_read_pixels (a);
  pb = gdk_pixbuf_read_pixels (b);
  po = gdk_pixbuf_get_pixels (out);

  for (int y = 0; y < height; y++)
    {
      const guint8 *ra = pa + (gsize) y * stride_a;
      const guint8 *rb = pb + (gsize) y * stride_b;
      const guint8 *rs = soft + (gsize) y * width;
      guint8 *ro = po + (gsize) y * stride_o;

      for (int x = 0; x < width; x++)
        {
          int s = rs[x];

          for (int c = 0; c < 4; c++)
            ro[x * 4 + c] = (guint8) ((rb[x * 4 + c] * s + ra[x * 4 + c] * (255 - s) + 127) / 255);
        }
    }

  return out;
}

GBytes *
easel_mask_prepare_for_edit (GBytes    *image_bytes,
                             GBytes    *mask_bytes,
                             gsize      max_bytes,
                             gboolean   needs_square_png,
                             gboolean  *converted,
                             GError   **error)
{
  g_autoptr(GdkPixbuf) image = NULL;
  g_autoptr(GdkPixbuf) mask = NULL;
  g_autoptr(GBytes) mask_png = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree guint8 *selection = NULL;

  g_return_val_if_fail (image_bytes != NULL && mask_bytes != NULL, NULL);

  if (converted != NULL)
    *converted = FALSE;

  mask_png = g_bytes_ref (mask_bytes);

  /* A black-and-white mask (no alpha: white = edit) becomes the alpha mask
   * the API wants, exactly as importing it into the canvas does. */
  if ((image = load_pixbuf (image_bytes, &local_error)) != NULL &&
      (mask = load_pixbuf (mask_bytes, NULL)) != NULL &&
      !gdk_pixbuf_get_has_alpha (mask))
    {
      selection = easel_selection_from_pixbuf (mask,
                                               gdk_pixbuf_get_width (image),
                                               gdk_pixbuf_get_height (image),
                                               error);
      if (selection == NULL)
        return NULL;

      g_clear_pointer (&mask_png, g_bytes_unref);
      mask_png = encode_selection_png (selection, gdk_pixbuf_get_width (image),
                                       gdk_pixbuf_get_height (image), error);
      if (mask_png == NULL)
        return NULL;
      if (converted != NULL)
        *converted = TRUE;
    }

  if (!easel_mask_check_for_edit (image_bytes, mask_png, max_bytes, needs_square_png, error))
    return NULL;

  return g_steal_pointer (&mask_png);
}
