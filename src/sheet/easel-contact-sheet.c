/* easel-contact-sheet.c: a Compare grid as one labelled PNG
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-contact-sheet"

#include "config.h"

#include <string.h>
#include <cairo.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <pango/pangocairo.h>

#include "easel-contact-sheet.h"
#include "easel-image-size.h"
#include "easel-text.h"

#define MARGIN       24
#define GAP          16
#define HEADING_H    44
#define LABEL_H      52
#define DEFAULT_TILE 384
#define MAX_TILE     1024

EaselContactSheetItem *
easel_contact_sheet_item_new (GBytes     *image,
                              const char *title,
                              const char *detail)
{
  EaselContactSheetItem *self = g_new0 (EaselContactSheetItem, 1);

  self->image = image ? g_bytes_ref (image) : NULL;
  self->title = g_strdup (title);
  self->detail = g_strdup (detail);
  return self;
}

void
easel_contact_sheet_item_free (EaselContactSheetItem *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->image, g_bytes_unref);
  g_free (self->title);
  g_free (self->detail);
  g_free (self);
}

char *
easel_contact_sheet_cell_detail (EaselComparisonCell *cell)
{
  EaselComparisonCellState state = easel_comparison_cell_get_state (cell);
  const EaselResult *result = easel_comparison_cell_get_result (cell);
  double usd = easel_comparison_cell_get_actual_usd (cell);
  g_autoptr(GString) s = g_string_new (NULL);

  g_return_val_if_fail (EASEL_IS_COMPARISON_CELL (cell), NULL);

  if (state == EASEL_COMPARISON_CELL_FAILED)
    {
      const GError *error = easel_comparison_cell_get_error (cell);
      /* Server text: escaped and capped before it is drawn. */
      return easel_text_escape_untrusted (error ? error->message : "Failed", 120);
    }
  if (state == EASEL_COMPARISON_CELL_WAITING || state == EASEL_COMPARISON_CELL_CANCELLED ||
      state == EASEL_COMPARISON_CELL_RUNNING)
    {
      g_autofree char *est = easel_cost_format_usd (easel_comparison_cell_get_estimate (cell)->usd);

      return g_strdup_printf ("%s · est. %s", easel_comparison_cell_state_to_string (state), est);
    }

  if (usd >= 0)
    {
      g_autofree char *cost = easel_cost_format_usd (usd);
      g_string_append (s, cost);
    }
  else
    {
      g_autofree char *est = easel_cost_format_usd (easel_comparison_cell_get_estimate (cell)->usd);
      g_string_append_printf (s, "est. %s", est);
    }
  if (result != NULL && result->usage.present)
    {
      g_autofree char *tokens = easel_cost_format_tokens (result->usage.total_tokens > 0
                                                          ? result->usage.total_tokens
                                                          : result->usage.input_tokens + result->usage.output_tokens);
      /* "≈ 4,360 tokens" → "4,360 tokens": these are the reported ones. */
      g_string_append_printf (s, " · %s", g_str_has_prefix (tokens, "≈ ") ? tokens + strlen ("≈ ") : tokens);
    }
  g_string_append_printf (s, " · %.1f s", easel_comparison_cell_get_elapsed (cell));
  return g_string_free (g_steal_pointer (&s), FALSE);
}

GPtrArray *
easel_contact_sheet_items_for (EaselComparison *comparison)
{
  GPtrArray *items = g_ptr_array_new_with_free_func ((GDestroyNotify) easel_contact_sheet_item_free);

  g_return_val_if_fail (EASEL_IS_COMPARISON (comparison), items);

  for (guint i = 0; i < easel_comparison_get_n_cells (comparison); i++)
    {
      EaselComparisonCell *cell = easel_comparison_get_cell (comparison, i);
      g_autofree char *detail = easel_contact_sheet_cell_detail (cell);

      g_ptr_array_add (items, easel_contact_sheet_item_new (easel_comparison_cell_get_image (cell),
                                                            easel_comparison_cell_get_label (cell),
                                                            detail));
    }
  return items;
}

/* GdkPixbuf is RGB(A) unpremultiplied; cairo wants premultiplied ARGB32. */
static cairo_surface_t *
surface_from_pixbuf (GdkPixbuf *pixbuf)
{
  int width = gdk_pixbuf_get_width (pixbuf);
  int height = gdk_pixbuf_get_height (pixbuf);
  int channels = gdk_pixbuf_get_n_channels (pixbuf);
  int src_stride = gdk_pixbuf_get_rowstride (pixbuf);
  const guint8 *src = gdk_pixbuf_read_pixels (pixbuf);
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  guint8 *dst = cairo_image_surface_get_data (surface);
  int dst_stride = cairo_image_surface_get_stride (surface);

  cairo_surface_flush (surface);
  for (int y = 0; y < height; y++)
    {
      const guint8 *s = src + (gsize) y * src_stride;
      guint32 *d = (guint32 *) (dst + (gsize) y * dst_stride);

      for (int x = 0; x < width; x++, s += channels)
        {
          guint a = channels == 4 ? s[3] : 255;
          guint r = s[0] * a / 255, g = s[1] * a / 255, b = s[2] * a / 255;

          d[x] = (a << 24) | (r << 16) | (g << 8) | b;
        }
    }
  cairo_surface_mark_dirty (surface);
  return surface;
}

static GdkPixbuf *
decode_scaled (GBytes  *bytes,
               guint    tile,
               GError **error)
{
  g_autoptr(GInputStream) stream = NULL;
  int width, height;

  if (!easel_image_check_size (bytes, &width, &height, error))
    return NULL;
  stream = g_memory_input_stream_new_from_bytes (bytes);
  return gdk_pixbuf_new_from_stream_at_scale (stream, (int) tile, (int) tile, TRUE, NULL, error);
}

static void
draw_text (cairo_t    *cr,
           const char *text,
           const char *font,
           double      x,
           double      y,
           int         width,
           double      grey)
{
  g_autoptr(PangoLayout) layout = pango_cairo_create_layout (cr);
  g_autoptr(PangoFontDescription) desc = pango_font_description_from_string (font);

  pango_layout_set_font_description (layout, desc);
  pango_layout_set_width (layout, width * PANGO_SCALE);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_set_single_paragraph_mode (layout, TRUE);
  pango_layout_set_text (layout, text ? text : "", -1);
  cairo_set_source_rgb (cr, grey, grey, grey);
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);
}

static cairo_status_t
write_to_array (void                *closure,
                const unsigned char *data,
                unsigned int         length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

GBytes *
easel_contact_sheet_render (const char  *heading,
                            GPtrArray   *items,
                            guint        columns,
                            guint        tile,
                            GError     **error)
{
  cairo_surface_t *surface;
  cairo_t *cr;
  g_autoptr(GByteArray) png = g_byte_array_new ();
  cairo_status_t status;
  guint rows;
  int width, height;

  g_return_val_if_fail (items != NULL, NULL);

  if (items->len == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "A contact sheet needs at least one image");
      return NULL;
    }
  tile = tile == 0 ? DEFAULT_TILE : MIN (tile, MAX_TILE);
  columns = CLAMP (columns, 1, items->len);
  rows = (items->len + columns - 1) / columns;
  width = 2 * MARGIN + columns * tile + (columns - 1) * GAP;
  height = 2 * MARGIN + HEADING_H + rows * (tile + LABEL_H) + (rows - 1) * GAP;

  surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, width, height);
  cr = cairo_create (surface);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);

  {
    g_autofree char *safe = easel_text_escape_untrusted (heading ? heading : "", 300);
    draw_text (cr, safe, "Sans Bold 15", MARGIN, MARGIN, width - 2 * MARGIN, 0.1);
  }

  for (guint i = 0; i < items->len; i++)
    {
      EaselContactSheetItem *item = items->pdata[i];
      double x = MARGIN + (i % columns) * (tile + GAP);
      double y = MARGIN + HEADING_H + (i / columns) * (tile + LABEL_H + GAP);
      g_autoptr(GdkPixbuf) pixbuf = NULL;
      g_autoptr(GError) local_error = NULL;
      g_autofree char *detail = NULL;

      cairo_set_source_rgb (cr, 0.92, 0.92, 0.92);
      cairo_rectangle (cr, x, y, tile, tile);
      cairo_fill (cr);

      if (item->image != NULL && !(pixbuf = decode_scaled (item->image, tile, &local_error)))
        detail = g_strdup_printf ("Cannot show the image: %s", local_error->message);

      if (pixbuf != NULL)
        {
          cairo_surface_t *img = surface_from_pixbuf (pixbuf);
          int w = gdk_pixbuf_get_width (pixbuf), h = gdk_pixbuf_get_height (pixbuf);

          cairo_set_source_surface (cr, img, x + (tile - w) / 2.0, y + (tile - h) / 2.0);
          cairo_paint (cr);
          cairo_surface_destroy (img);
        }

      draw_text (cr, item->title, "Sans Bold 12", x, y + tile + 6, tile, 0.1);
      draw_text (cr, detail ? detail : item->detail, "Sans 11", x, y + tile + 28, tile, 0.35);
    }

  cairo_destroy (cr);
  status = cairo_surface_write_to_png_stream (surface, write_to_array, png);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot write the contact sheet: %s",
                   cairo_status_to_string (status));
      return NULL;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&png));
}

typedef struct
{
  char      *heading;
  GPtrArray *items;
  guint      columns;
  guint      tile;
} RenderData;

static void
render_data_free (RenderData *d)
{
  g_free (d->heading);
  g_clear_pointer (&d->items, g_ptr_array_unref);
  g_free (d);
}

static void
render_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  RenderData *d = task_data;
  GError *error = NULL;
  GBytes *png = easel_contact_sheet_render (d->heading, d->items, d->columns, d->tile, &error);

  if (png != NULL)
    g_task_return_pointer (task, png, (GDestroyNotify) g_bytes_unref);
  else
    g_task_return_error (task, error);
}

void
easel_contact_sheet_render_async (EaselComparison     *comparison,
                                  guint                tile,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  RenderData *d;

  g_return_if_fail (EASEL_IS_COMPARISON (comparison));

  d = g_new0 (RenderData, 1);
  d->heading = g_strdup (easel_comparison_get_base (comparison)->prompt);
  d->items = easel_contact_sheet_items_for (comparison);
  d->columns = easel_comparison_get_n_columns (comparison);
  d->tile = tile;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_contact_sheet_render_async);
  g_task_set_task_data (task, d, (GDestroyNotify) render_data_free);
  g_task_run_in_thread (task, render_thread);
}

GBytes *
easel_contact_sheet_render_finish (GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
