/* fake-server-pictures.c: procedural pictures for the fake server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Screenshots of flat colour rectangles sell nothing, so the fake server
 * can paint something that looks like what was asked: a sky whose time of
 * day comes from the prompt, hills or sea, and a few shapes for the nouns
 * it knows (lighthouse, tree, house, fox, fountain, boat, city, mountain;
 * vase and fruit for a still life). Quoted words are painted on a sign.
 * Everything is drawn from a seed hashed from the prompt, so one prompt
 * always gives the same picture.
 */

#define G_LOG_DOMAIN "easel-fake-server"

#include "config.h"

#include <math.h>
#include <string.h>

#include "fake-server-pictures.h"

#if defined(__has_include)
# if __has_include(<cairo.h>)
#  define HAVE_CAIRO 1
#  include <cairo.h>
# endif
# if defined(HAVE_CAIRO) && __has_include(<pango/pangocairo.h>)
#  define HAVE_PANGOCAIRO 1
#  include <pango/pangocairo.h>
# endif
#endif

#ifdef HAVE_CAIRO

typedef enum { DAY, DAWN, DUSK, NIGHT } TimeOfDay;
typedef enum { SUMMER, AUTUMN, WINTER, SPRING } Season;

typedef struct { double r, g, b; } Rgb;

typedef struct
{
  const char *text;    /* lower case */
  guint32     rng;
  double      w, h;    /* pixels */
  double      horizon; /* y of the horizon */
  TimeOfDay   tod;
  Season      season;
  gboolean    has_accent;
  Rgb         accent;
  Rgb         sky_top, sky_low;
  Rgb         light;   /* colour of the light falling on things */
  double      sun_x, sun_y;
  double      hill[3][3]; /* base, amplitude, phase of each hill layer */
} Scene;

static gboolean
has (const Scene *s,
     const char  *word)
{
  return strstr (s->text, word) != NULL;
}

static double
rnd (Scene *s)
{
  s->rng ^= s->rng << 13;
  s->rng ^= s->rng >> 17;
  s->rng ^= s->rng << 5;
  return (s->rng & 0xffffff) / (double) 0x1000000;
}

static Rgb
mix (Rgb a, Rgb b, double t)
{
  return (Rgb) { a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t };
}

static Rgb
shade (Rgb c, double k)
{
  return (Rgb) { CLAMP (c.r * k, 0, 1), CLAMP (c.g * k, 0, 1), CLAMP (c.b * k, 0, 1) };
}

static void
set_rgb (cairo_t *cr, Rgb c)
{
  cairo_set_source_rgb (cr, c.r, c.g, c.b);
}

static void
set_rgba (cairo_t *cr, Rgb c, double a)
{
  cairo_set_source_rgba (cr, c.r, c.g, c.b, a);
}

/* How a lit surface of colour @c looks in this scene's light. */
static Rgb
lit (const Scene *s, Rgb c)
{
  switch (s->tod)
    {
    case NIGHT: return mix (shade (c, 0.30), (Rgb) { 0.10, 0.14, 0.30 }, 0.35);
    case DUSK:  return mix (shade (c, 0.70), (Rgb) { 0.55, 0.25, 0.35 }, 0.25);
    case DAWN:  return mix (c, (Rgb) { 1.0, 0.75, 0.65 }, 0.20);
    case DAY:
    default:    return c;
    }
}

static void
scene_read_words (Scene *s)
{
  static const struct { const char *word; Rgb rgb; } colours[] = {
    { "crimson", { 0.75, 0.10, 0.18 } }, { "red", { 0.80, 0.16, 0.14 } },
    { "orange", { 0.95, 0.52, 0.12 } },  { "gold", { 0.90, 0.70, 0.20 } },
    { "yellow", { 0.96, 0.82, 0.22 } },  { "green", { 0.22, 0.62, 0.30 } },
    { "teal", { 0.10, 0.55, 0.55 } },    { "turquoise", { 0.20, 0.72, 0.70 } },
    { "blue", { 0.18, 0.38, 0.80 } },    { "purple", { 0.50, 0.25, 0.65 } },
    { "violet", { 0.55, 0.35, 0.80 } },  { "pink", { 0.95, 0.50, 0.65 } },
    { "white", { 0.95, 0.95, 0.93 } },   { "black", { 0.12, 0.12, 0.14 } },
    { "brown", { 0.50, 0.32, 0.18 } },
  };
  const char *first = NULL;

  if (has (s, "night") || has (s, "midnight") || has (s, "moon") || has (s, "stars") || has (s, "starry"))
    s->tod = NIGHT;
  else if (has (s, "dusk") || has (s, "sunset") || has (s, "evening") || has (s, "twilight"))
    s->tod = DUSK;
  else if (has (s, "dawn") || has (s, "sunrise") || has (s, "morning"))
    s->tod = DAWN;
  else
    s->tod = DAY;

  if (has (s, "autumn") || has (s, "fall ") || has (s, "leaves") || has (s, "october"))
    s->season = AUTUMN;
  else if (has (s, "winter") || has (s, "snow") || has (s, "frost"))
    s->season = WINTER;
  else if (has (s, "spring") || has (s, "blossom") || has (s, "flower"))
    s->season = SPRING;
  else
    s->season = SUMMER;

  /* The first colour word in the text wins. */
  for (guint i = 0; i < G_N_ELEMENTS (colours); i++)
    {
      const char *at = strstr (s->text, colours[i].word);

      if (at && (first == NULL || at < first))
        {
          first = at;
          s->accent = colours[i].rgb;
          s->has_accent = TRUE;
        }
    }

  switch (s->tod)
    {
    case NIGHT:
      s->sky_top = (Rgb) { 0.02, 0.04, 0.13 };
      s->sky_low = (Rgb) { 0.13, 0.20, 0.38 };
      s->light = (Rgb) { 0.75, 0.80, 1.0 };
      break;
    case DUSK:
      s->sky_top = (Rgb) { 0.17, 0.16, 0.40 };
      s->sky_low = (Rgb) { 0.99, 0.56, 0.30 };
      s->light = (Rgb) { 1.0, 0.62, 0.35 };
      break;
    case DAWN:
      s->sky_top = (Rgb) { 0.42, 0.55, 0.82 };
      s->sky_low = (Rgb) { 1.0, 0.80, 0.66 };
      s->light = (Rgb) { 1.0, 0.82, 0.62 };
      break;
    case DAY:
    default:
      s->sky_top = (Rgb) { 0.26, 0.53, 0.88 };
      s->sky_low = (Rgb) { 0.78, 0.89, 0.98 };
      s->light = (Rgb) { 1.0, 0.97, 0.86 };
      break;
    }
}

static void
paint_sky (cairo_t *cr, Scene *s)
{
  cairo_pattern_t *sky = cairo_pattern_create_linear (0, 0, 0, s->horizon);
  gboolean low_sun = s->tod == DAWN || s->tod == DUSK;

  cairo_pattern_add_color_stop_rgb (sky, 0, s->sky_top.r, s->sky_top.g, s->sky_top.b);
  cairo_pattern_add_color_stop_rgb (sky, 1, s->sky_low.r, s->sky_low.g, s->sky_low.b);
  cairo_set_source (cr, sky);
  cairo_paint (cr);
  cairo_pattern_destroy (sky);

  s->sun_x = s->w * (0.55 + 0.3 * rnd (s));
  s->sun_y = low_sun ? s->horizon - s->h * 0.07 : s->h * (0.14 + 0.08 * rnd (s));

  if (s->tod == NIGHT)
    {
      int n = 160;

      for (int i = 0; i < n; i++)
        {
          double x = rnd (s) * s->w, y = rnd (s) * s->horizon * 0.95, r = 0.4 + rnd (s) * 1.4;

          cairo_set_source_rgba (cr, 1, 1, 0.95, 0.35 + 0.6 * rnd (s) * (1 - y / s->horizon));
          cairo_arc (cr, x, y, r * s->h / 700, 0, 2 * G_PI);
          cairo_fill (cr);
        }
    }

  /* The glow, then the disc: sun, or moon at night. */
  {
    double r = s->h * (s->tod == NIGHT ? 0.05 : low_sun ? 0.085 : 0.06);
    Rgb disc = s->tod == NIGHT ? (Rgb) { 0.96, 0.95, 0.86 }
             : low_sun ? (Rgb) { 1.0, 0.72, 0.40 } : (Rgb) { 1.0, 0.98, 0.85 };
    cairo_pattern_t *glow = cairo_pattern_create_radial (s->sun_x, s->sun_y, r * 0.8,
                                                         s->sun_x, s->sun_y, r * 6);

    cairo_pattern_add_color_stop_rgba (glow, 0, disc.r, disc.g, disc.b, s->tod == NIGHT ? 0.25 : 0.55);
    cairo_pattern_add_color_stop_rgba (glow, 1, disc.r, disc.g, disc.b, 0);
    cairo_set_source (cr, glow);
    cairo_paint (cr);
    cairo_pattern_destroy (glow);
    set_rgb (cr, disc);
    cairo_arc (cr, s->sun_x, s->sun_y, r, 0, 2 * G_PI);
    cairo_fill (cr);
    if (s->tod == NIGHT)
      {
        /* a few maria */
        cairo_set_source_rgba (cr, 0.55, 0.55, 0.55, 0.25);
        cairo_arc (cr, s->sun_x - r * 0.3, s->sun_y - r * 0.2, r * 0.28, 0, 2 * G_PI);
        cairo_fill (cr);
        cairo_arc (cr, s->sun_x + r * 0.25, s->sun_y + r * 0.3, r * 0.2, 0, 2 * G_PI);
        cairo_fill (cr);
      }
  }

  /* Soft clouds: rows of overlapping ellipses, lit by the sky. */
  if (s->tod != NIGHT || has (s, "cloud"))
    {
      int n = 3 + (int) (rnd (s) * 4);
      Rgb cloud = s->tod == DUSK ? (Rgb) { 0.98, 0.70, 0.60 }
                : s->tod == DAWN ? (Rgb) { 1.0, 0.88, 0.85 }
                : s->tod == NIGHT ? (Rgb) { 0.35, 0.40, 0.55 } : (Rgb) { 1, 1, 1 };

      for (int i = 0; i < n; i++)
        {
          double cx = rnd (s) * s->w, cy = s->horizon * (0.12 + 0.55 * rnd (s));
          double len = s->w * (0.08 + 0.14 * rnd (s));

          for (int k = 0; k < 7; k++)
            {
              double px = cx + (k - 3) * len / 6 + (rnd (s) - 0.5) * len * 0.1;
              double rx = len * (0.18 + 0.12 * rnd (s)), ry = rx * (0.35 + 0.15 * rnd (s));

              cairo_save (cr);
              cairo_translate (cr, px, cy - ry * 0.3 * (1 - abs (k - 3) / 3.0));
              cairo_scale (cr, rx, ry);
              cairo_arc (cr, 0, 0, 1, 0, 2 * G_PI);
              cairo_restore (cr);
              set_rgba (cr, cloud, 0.22);
              cairo_fill (cr);
            }
        }
    }
}

/* A ridge line across the picture: y at x for layer @seed. */
static double
ridge (double x, double w, double base, double amp, double phase)
{
  double t = x / w * 2 * G_PI;

  return base - amp * (0.55 * sin (t * 1.1 + phase) + 0.30 * sin (t * 2.7 + phase * 1.7) +
                       0.15 * sin (t * 6.3 + phase * 0.3));
}

static Rgb
ground_colour (const Scene *s)
{
  Rgb g;

  switch (s->season)
    {
    case AUTUMN: g = (Rgb) { 0.72, 0.45, 0.16 }; break;
    case WINTER: g = (Rgb) { 0.88, 0.91, 0.95 }; break;
    case SPRING: g = (Rgb) { 0.42, 0.72, 0.32 }; break;
    case SUMMER:
    default:     g = (Rgb) { 0.30, 0.58, 0.25 }; break;
    }
  if (s->has_accent && !has (s, "sky"))
    g = mix (g, s->accent, 0.15);
  return g;
}

static void
paint_mountains (cairo_t *cr, Scene *s)
{
  Rgb rock = mix (lit (s, (Rgb) { 0.45, 0.48, 0.58 }), s->sky_low, 0.35);
  int n = 4 + (int) (rnd (s) * 3);
  double x = -s->w * 0.1;

  cairo_move_to (cr, x, s->horizon + s->h * 0.05);
  for (int i = 0; i < n; i++)
    {
      double step = s->w * 1.2 / n;
      double peak = s->horizon - s->h * (0.18 + 0.2 * rnd (s));

      cairo_line_to (cr, x + step * 0.5, peak);
      x += step;
      cairo_line_to (cr, x, s->horizon - s->h * 0.04 * rnd (s));
    }
  cairo_line_to (cr, s->w * 1.1, s->horizon + s->h * 0.05);
  cairo_close_path (cr);
  set_rgb (cr, rock);
  cairo_fill_preserve (cr);

  /* Snow on what rises above the snow line. */
  cairo_save (cr);
  cairo_clip (cr);
  set_rgba (cr, lit (s, (Rgb) { 0.97, 0.97, 1.0 }), 0.9);
  cairo_rectangle (cr, 0, 0, s->w, s->horizon - s->h * 0.22);
  cairo_fill (cr);
  cairo_restore (cr);
}

static void
paint_hills (cairo_t *cr, Scene *s, int layers, double from_x, double to_x)
{
  Rgb ground = ground_colour (s);

  for (int l = 0; l < layers; l++)
    {
      double depth = (double) (layers - 1 - l) / MAX (1, layers - 1);   /* 1: far */
      double base = s->horizon + s->h * (0.02 + 0.10 * l);
      double amp = s->h * (0.05 + 0.03 * rnd (s));
      double phase = rnd (s) * 10;
      Rgb c = mix (lit (s, shade (ground, 0.85 + 0.1 * l)), s->sky_low, 0.55 * depth);
      cairo_pattern_t *fill;

      if (l < 3)
        {
          s->hill[l][0] = base;
          s->hill[l][1] = amp;
          s->hill[l][2] = phase;
        }

      cairo_move_to (cr, from_x, s->h);
      for (double x = from_x; x <= to_x + 4; x += 4)
        cairo_line_to (cr, x, ridge (x, s->w, base, amp, phase));
      cairo_line_to (cr, to_x, s->h);
      cairo_close_path (cr);
      fill = cairo_pattern_create_linear (0, base - amp, 0, s->h);
      cairo_pattern_add_color_stop_rgb (fill, 0, c.r, c.g, c.b);
      c = shade (c, 0.7);
      cairo_pattern_add_color_stop_rgb (fill, 1, c.r, c.g, c.b);
      cairo_set_source (cr, fill);
      cairo_fill (cr);
      cairo_pattern_destroy (fill);
    }
}

/* Where things standing on hill layer @l at @x put their feet. */
static double
hill_y (const Scene *s, int l, double x)
{
  return ridge (x, s->w, s->hill[l][0], s->hill[l][1], s->hill[l][2]) + s->h * 0.015;
}

static void
paint_sea (cairo_t *cr, Scene *s)
{
  Rgb deep = lit (s, s->has_accent && (has (s, "blue") || has (s, "teal")) ? shade (s->accent, 0.6)
                                                                           : (Rgb) { 0.08, 0.30, 0.48 });
  Rgb near = mix (s->sky_low, deep, 0.45);
  cairo_pattern_t *sea = cairo_pattern_create_linear (0, s->horizon, 0, s->h);

  cairo_pattern_add_color_stop_rgb (sea, 0, near.r, near.g, near.b);
  cairo_pattern_add_color_stop_rgb (sea, 1, deep.r * 0.7, deep.g * 0.7, deep.b * 0.7);
  cairo_rectangle (cr, 0, s->horizon, s->w, s->h - s->horizon);
  cairo_set_source (cr, sea);
  cairo_fill (cr);
  cairo_pattern_destroy (sea);

  /* Glints under the sun or moon, and waves everywhere else. */
  for (int i = 0; i < 260; i++)
    {
      double t = rnd (s);
      double y = s->horizon + (s->h - s->horizon) * t * t;
      double spread = s->w * (0.03 + 0.18 * t);
      double x = s->sun_x + (rnd (s) - 0.5) * 2 * spread;
      double len = s->w * (0.006 + 0.03 * t) * (0.5 + rnd (s));

      set_rgba (cr, s->tod == NIGHT ? (Rgb) { 0.9, 0.9, 0.8 } : s->light, 0.5 * (1 - fabs (x - s->sun_x) / (spread + 1)));
      cairo_set_line_width (cr, 1 + 2.5 * t * s->h / 1024);
      cairo_move_to (cr, x - len / 2, y);
      cairo_line_to (cr, x + len / 2, y);
      cairo_stroke (cr);
    }
  for (int i = 0; i < 120; i++)
    {
      double t = rnd (s);
      double y = s->horizon + (s->h - s->horizon) * t;
      double x = rnd (s) * s->w;
      double len = s->w * (0.01 + 0.03 * t);

      set_rgba (cr, shade (deep, 0.6), 0.35);
      cairo_set_line_width (cr, 1 + 2 * t * s->h / 1024);
      cairo_move_to (cr, x, y);
      cairo_curve_to (cr, x + len * 0.3, y - len * 0.08, x + len * 0.7, y - len * 0.08, x + len, y);
      cairo_stroke (cr);
    }
}

/* A headland on the left, falling into the sea; returns where its top is. */
static double
paint_headland (cairo_t *cr, Scene *s, double *top_x)
{
  Rgb cliff = lit (s, (Rgb) { 0.50, 0.44, 0.38 });
  Rgb grass = lit (s, ground_colour (s));
  double top = s->horizon - s->h * 0.06;
  double edge = s->w * 0.38;

  cairo_move_to (cr, 0, top + s->h * 0.02);
  cairo_curve_to (cr, s->w * 0.12, top - s->h * 0.02, s->w * 0.25, top, edge * 0.85, top + s->h * 0.01);
  cairo_line_to (cr, edge, s->h * 0.78);
  cairo_curve_to (cr, edge * 1.05, s->h * 0.9, edge * 1.15, s->h, edge * 1.2, s->h);
  cairo_line_to (cr, 0, s->h);
  cairo_close_path (cr);
  set_rgb (cr, cliff);
  cairo_fill (cr);

  cairo_move_to (cr, 0, top + s->h * 0.02);
  cairo_curve_to (cr, s->w * 0.12, top - s->h * 0.02, s->w * 0.25, top, edge * 0.85, top + s->h * 0.01);
  cairo_line_to (cr, edge * 0.88, top + s->h * 0.05);
  cairo_curve_to (cr, s->w * 0.2, top + s->h * 0.08, s->w * 0.1, top + s->h * 0.05, 0, top + s->h * 0.07);
  cairo_close_path (cr);
  set_rgb (cr, grass);
  cairo_fill (cr);

  /* strata */
  for (int i = 0; i < 8; i++)
    {
      double y = top + s->h * (0.08 + 0.06 * i);

      set_rgba (cr, shade (cliff, 0.7), 0.5);
      cairo_set_line_width (cr, s->h / 400);
      cairo_move_to (cr, 0, y);
      cairo_line_to (cr, edge * (0.9 + 0.1 * rnd (s)), y + s->h * 0.01 * (rnd (s) - 0.5));
      cairo_stroke (cr);
    }
  *top_x = s->w * 0.24;
  return top;
}

static void
paint_lighthouse (cairo_t *cr, Scene *s, double x, double ground)
{
  double h = s->h * 0.30, bw = s->h * 0.055, tw = s->h * 0.035;
  Rgb stripe = s->has_accent ? s->accent : (Rgb) { 0.80, 0.14, 0.14 };

  cairo_save (cr);
  cairo_move_to (cr, x - bw, ground);
  cairo_line_to (cr, x - tw, ground - h);
  cairo_line_to (cr, x + tw, ground - h);
  cairo_line_to (cr, x + bw, ground);
  cairo_close_path (cr);
  cairo_clip_preserve (cr);
  set_rgb (cr, lit (s, (Rgb) { 0.96, 0.95, 0.92 }));
  cairo_fill (cr);
  for (int i = 0; i < 4; i++)
    {
      cairo_rectangle (cr, x - bw, ground - h * (0.12 + 0.24 * i), 2 * bw, h * 0.12);
      set_rgb (cr, lit (s, stripe));
      cairo_fill (cr);
    }
  /* shading on the side away from the light */
  cairo_rectangle (cr, x + bw * 0.2, ground - h, bw, h);
  cairo_set_source_rgba (cr, 0, 0, 0.1, 0.18);
  cairo_fill (cr);
  cairo_restore (cr);

  /* lamp room and roof */
  set_rgb (cr, lit (s, (Rgb) { 0.2, 0.2, 0.22 }));
  cairo_rectangle (cr, x - tw * 1.3, ground - h - tw * 0.2, tw * 2.6, tw * 0.25);
  cairo_fill (cr);
  cairo_set_source_rgb (cr, 1.0, 0.92, 0.55);
  cairo_rectangle (cr, x - tw * 0.8, ground - h - tw * 1.3, tw * 1.6, tw * 1.1);
  cairo_fill (cr);
  set_rgb (cr, lit (s, stripe));
  cairo_move_to (cr, x - tw * 1.1, ground - h - tw * 1.3);
  cairo_line_to (cr, x, ground - h - tw * 2.3);
  cairo_line_to (cr, x + tw * 1.1, ground - h - tw * 1.3);
  cairo_close_path (cr);
  cairo_fill (cr);

  if (s->tod == NIGHT || s->tod == DUSK)
    {
      double ly = ground - h - tw * 0.75;
      cairo_pattern_t *beam = cairo_pattern_create_linear (x, ly, s->w, ly);

      cairo_pattern_add_color_stop_rgba (beam, 0, 1, 0.95, 0.7, 0.55);
      cairo_pattern_add_color_stop_rgba (beam, 1, 1, 0.95, 0.7, 0);
      cairo_move_to (cr, x, ly);
      cairo_line_to (cr, s->w, ly + s->h * 0.04);
      cairo_line_to (cr, s->w, ly + s->h * 0.16);
      cairo_close_path (cr);
      cairo_set_source (cr, beam);
      cairo_fill (cr);
      cairo_pattern_destroy (beam);
    }
}

static void
paint_tree (cairo_t *cr, Scene *s, double x, double ground, double size)
{
  Rgb leaf;

  switch (s->season)
    {
    case AUTUMN: leaf = rnd (s) < 0.5 ? (Rgb) { 0.90, 0.45, 0.10 } : (Rgb) { 0.85, 0.28, 0.10 }; break;
    case WINTER: leaf = (Rgb) { 0.40, 0.36, 0.32 }; break;
    case SPRING: leaf = (Rgb) { 0.98, 0.72, 0.80 }; break;
    case SUMMER:
    default:     leaf = (Rgb) { 0.18, 0.48, 0.20 }; break;
    }

  set_rgb (cr, lit (s, (Rgb) { 0.35, 0.24, 0.15 }));
  cairo_move_to (cr, x - size * 0.06, ground);
  cairo_line_to (cr, x - size * 0.03, ground - size * 0.6);
  cairo_line_to (cr, x + size * 0.03, ground - size * 0.6);
  cairo_line_to (cr, x + size * 0.06, ground);
  cairo_close_path (cr);
  cairo_fill (cr);

  if (has (s, "pine") || has (s, "forest") || s->season == WINTER)
    {
      for (int i = 0; i < 3; i++)
        {
          double y = ground - size * (0.25 + 0.28 * i), half = size * (0.42 - 0.1 * i);

          set_rgb (cr, lit (s, s->season == WINTER ? (Rgb) { 0.14, 0.32, 0.22 } : shade (leaf, 0.8)));
          cairo_move_to (cr, x - half, y);
          cairo_line_to (cr, x, y - size * 0.45);
          cairo_line_to (cr, x + half, y);
          cairo_close_path (cr);
          cairo_fill (cr);
          if (s->season == WINTER)
            {
              set_rgba (cr, lit (s, (Rgb) { 1, 1, 1 }), 0.85);
              cairo_move_to (cr, x - half * 0.4, y - size * 0.27);
              cairo_line_to (cr, x, y - size * 0.45);
              cairo_line_to (cr, x + half * 0.4, y - size * 0.27);
              cairo_close_path (cr);
              cairo_fill (cr);
            }
        }
      return;
    }

  for (int i = 0; i < 9; i++)
    {
      double a = rnd (s) * 2 * G_PI, d = size * 0.22 * rnd (s);
      double cx = x + cos (a) * d * 1.3, cy = ground - size * 0.75 + sin (a) * d;
      double r = size * (0.18 + 0.1 * rnd (s));
      cairo_pattern_t *ball = cairo_pattern_create_radial (cx - r * 0.4, cy - r * 0.4, r * 0.1, cx, cy, r);
      Rgb hi = lit (s, mix (leaf, s->light, 0.3)), lo = lit (s, shade (leaf, 0.65));

      cairo_pattern_add_color_stop_rgb (ball, 0, hi.r, hi.g, hi.b);
      cairo_pattern_add_color_stop_rgb (ball, 1, lo.r, lo.g, lo.b);
      cairo_arc (cr, cx, cy, r, 0, 2 * G_PI);
      cairo_set_source (cr, ball);
      cairo_fill (cr);
      cairo_pattern_destroy (ball);
    }
}

static void
paint_house (cairo_t *cr, Scene *s, double x, double ground, double size)
{
  Rgb wall = lit (s, (Rgb) { 0.93, 0.88, 0.78 });
  Rgb roof = lit (s, s->has_accent ? shade (s->accent, 0.85) : (Rgb) { 0.62, 0.20, 0.16 });
  gboolean lamps = s->tod == NIGHT || s->tod == DUSK;

  set_rgb (cr, wall);
  cairo_rectangle (cr, x - size * 0.5, ground - size * 0.6, size, size * 0.6);
  cairo_fill (cr);
  cairo_set_source_rgba (cr, 0, 0, 0.1, 0.15);
  cairo_rectangle (cr, x + size * 0.15, ground - size * 0.6, size * 0.35, size * 0.6);
  cairo_fill (cr);
  set_rgb (cr, roof);
  cairo_move_to (cr, x - size * 0.62, ground - size * 0.58);
  cairo_line_to (cr, x - size * 0.1, ground - size * 1.05);
  cairo_line_to (cr, x + size * 0.62, ground - size * 1.05 + size * 0.05);
  cairo_line_to (cr, x + size * 0.62, ground - size * 0.58);
  cairo_close_path (cr);
  cairo_fill (cr);
  /* chimney, door, windows */
  set_rgb (cr, shade (roof, 0.7));
  cairo_rectangle (cr, x + size * 0.28, ground - size * 1.15, size * 0.1, size * 0.3);
  cairo_fill (cr);
  set_rgb (cr, lit (s, (Rgb) { 0.35, 0.22, 0.14 }));
  cairo_rectangle (cr, x - size * 0.08, ground - size * 0.32, size * 0.16, size * 0.32);
  cairo_fill (cr);
  for (int i = 0; i < 2; i++)
    {
      double wx = x + (i ? size * 0.22 : -size * 0.38);

      if (lamps)
        cairo_set_source_rgb (cr, 1.0, 0.82, 0.40);
      else
        set_rgb (cr, lit (s, (Rgb) { 0.45, 0.60, 0.75 }));
      cairo_rectangle (cr, wx, ground - size * 0.45, size * 0.16, size * 0.16);
      cairo_fill (cr);
    }
}

static void
paint_fox (cairo_t *cr, Scene *s, double x, double ground, double size)
{
  Rgb fur = lit (s, has (s, "white fox") || has (s, "arctic") ? (Rgb) { 0.93, 0.93, 0.95 }
                                                            : (Rgb) { 0.88, 0.42, 0.10 });
  Rgb cream = lit (s, (Rgb) { 0.97, 0.93, 0.85 });
  Rgb dark = lit (s, (Rgb) { 0.15, 0.10, 0.08 });

  /* tail, curled round the body */
  set_rgb (cr, fur);
  cairo_move_to (cr, x - size * 0.25, ground - size * 0.1);
  cairo_curve_to (cr, x - size * 0.9, ground - size * 0.05, x - size * 0.9, ground - size * 0.55,
                  x - size * 0.55, ground - size * 0.5);
  cairo_curve_to (cr, x - size * 0.7, ground - size * 0.3, x - size * 0.5, ground - size * 0.15,
                  x - size * 0.1, ground - size * 0.2);
  cairo_close_path (cr);
  cairo_fill (cr);
  set_rgb (cr, cream);
  cairo_arc (cr, x - size * 0.6, ground - size * 0.47, size * 0.07, 0, 2 * G_PI);
  cairo_fill (cr);

  /* body: a sitting pear */
  set_rgb (cr, fur);
  cairo_save (cr);
  cairo_translate (cr, x, ground - size * 0.32);
  cairo_scale (cr, size * 0.3, size * 0.34);
  cairo_arc (cr, 0, 0, 1, 0, 2 * G_PI);
  cairo_restore (cr);
  cairo_fill (cr);
  set_rgb (cr, cream);
  cairo_save (cr);
  cairo_translate (cr, x + size * 0.12, ground - size * 0.38);
  cairo_scale (cr, size * 0.12, size * 0.22);
  cairo_arc (cr, 0, 0, 1, 0, 2 * G_PI);
  cairo_restore (cr);
  cairo_fill (cr);
  /* legs */
  set_rgb (cr, dark);
  cairo_rectangle (cr, x + size * 0.02, ground - size * 0.14, size * 0.07, size * 0.14);
  cairo_rectangle (cr, x + size * 0.16, ground - size * 0.14, size * 0.07, size * 0.14);
  cairo_fill (cr);

  /* head: a triangle muzzle with two ears */
  {
    double hx = x + size * 0.14, hy = ground - size * 0.72;

    set_rgb (cr, fur);
    cairo_move_to (cr, hx - size * 0.2, hy - size * 0.05);
    cairo_line_to (cr, hx + size * 0.2, hy - size * 0.05);
    cairo_line_to (cr, hx + size * 0.02, hy + size * 0.22);
    cairo_close_path (cr);
    cairo_fill (cr);
    cairo_move_to (cr, hx - size * 0.2, hy - size * 0.05);
    cairo_line_to (cr, hx - size * 0.16, hy - size * 0.28);
    cairo_line_to (cr, hx - size * 0.04, hy - size * 0.06);
    cairo_move_to (cr, hx + size * 0.2, hy - size * 0.05);
    cairo_line_to (cr, hx + size * 0.18, hy - size * 0.28);
    cairo_line_to (cr, hx + size * 0.05, hy - size * 0.06);
    cairo_fill (cr);
    set_rgb (cr, cream);
    cairo_move_to (cr, hx - size * 0.12, hy + size * 0.04);
    cairo_line_to (cr, hx + size * 0.14, hy + size * 0.04);
    cairo_line_to (cr, hx + size * 0.02, hy + size * 0.22);
    cairo_close_path (cr);
    cairo_fill (cr);
    set_rgb (cr, dark);
    cairo_arc (cr, hx + size * 0.02, hy + size * 0.21, size * 0.025, 0, 2 * G_PI);
    cairo_fill (cr);
    cairo_arc (cr, hx - size * 0.07, hy + size * 0.02, size * 0.018, 0, 2 * G_PI);
    cairo_arc (cr, hx + size * 0.1, hy + size * 0.02, size * 0.018, 0, 2 * G_PI);
    cairo_fill (cr);
  }
}

static void
paint_fountain (cairo_t *cr, Scene *s, double x, double ground, double size)
{
  Rgb stone = lit (s, (Rgb) { 0.72, 0.70, 0.66 });
  Rgb water = lit (s, (Rgb) { 0.65, 0.85, 0.97 });

  set_rgb (cr, shade (stone, 0.8));
  cairo_save (cr);
  cairo_translate (cr, x, ground - size * 0.1);
  cairo_scale (cr, size * 0.7, size * 0.14);
  cairo_arc (cr, 0, 0, 1, 0, 2 * G_PI);
  cairo_restore (cr);
  cairo_fill (cr);
  set_rgb (cr, stone);
  cairo_rectangle (cr, x - size * 0.7, ground - size * 0.3, size * 1.4, size * 0.2);
  cairo_fill (cr);
  set_rgb (cr, water);
  cairo_save (cr);
  cairo_translate (cr, x, ground - size * 0.3);
  cairo_scale (cr, size * 0.7, size * 0.1);
  cairo_arc (cr, 0, 0, 1, 0, 2 * G_PI);
  cairo_restore (cr);
  cairo_fill (cr);
  set_rgb (cr, stone);
  cairo_rectangle (cr, x - size * 0.06, ground - size * 0.85, size * 0.12, size * 0.55);
  cairo_fill (cr);
  cairo_save (cr);
  cairo_translate (cr, x, ground - size * 0.85);
  cairo_scale (cr, size * 0.3, size * 0.06);
  cairo_arc (cr, 0, 0, 1, 0, 2 * G_PI);
  cairo_restore (cr);
  cairo_fill (cr);
  /* jets */
  cairo_set_line_width (cr, size * 0.025);
  for (int i = -3; i <= 3; i++)
    {
      set_rgba (cr, water, 0.8);
      cairo_move_to (cr, x, ground - size * 0.95);
      cairo_curve_to (cr, x + i * size * 0.05, ground - size * 1.3,
                      x + i * size * 0.12, ground - size * 1.1, x + i * size * 0.14, ground - size * 0.32);
      cairo_stroke (cr);
    }
}

static void
paint_boat (cairo_t *cr, Scene *s, double x, double y, double size)
{
  Rgb sail = lit (s, s->has_accent ? s->accent : (Rgb) { 0.97, 0.96, 0.92 });

  set_rgb (cr, lit (s, (Rgb) { 0.30, 0.20, 0.16 }));
  cairo_move_to (cr, x - size * 0.5, y);
  cairo_line_to (cr, x + size * 0.5, y);
  cairo_line_to (cr, x + size * 0.35, y + size * 0.15);
  cairo_line_to (cr, x - size * 0.38, y + size * 0.15);
  cairo_close_path (cr);
  cairo_fill (cr);
  cairo_rectangle (cr, x - size * 0.01, y - size * 0.9, size * 0.02, size * 0.9);
  cairo_fill (cr);
  set_rgb (cr, sail);
  cairo_move_to (cr, x + size * 0.02, y - size * 0.88);
  cairo_curve_to (cr, x + size * 0.35, y - size * 0.5, x + size * 0.4, y - size * 0.2, x + size * 0.42, y - size * 0.06);
  cairo_line_to (cr, x + size * 0.02, y - size * 0.06);
  cairo_close_path (cr);
  cairo_fill (cr);
  cairo_move_to (cr, x - size * 0.02, y - size * 0.75);
  cairo_line_to (cr, x - size * 0.3, y - size * 0.06);
  cairo_line_to (cr, x - size * 0.02, y - size * 0.06);
  cairo_close_path (cr);
  cairo_fill (cr);
}

static void
paint_city (cairo_t *cr, Scene *s)
{
  double x = 0;
  Rgb body = mix (lit (s, (Rgb) { 0.32, 0.34, 0.42 }), s->sky_low, s->tod == NIGHT ? 0.1 : 0.35);

  while (x < s->w)
    {
      double bw = s->w * (0.03 + 0.05 * rnd (s)), bh = s->h * (0.08 + 0.28 * rnd (s));

      set_rgb (cr, shade (body, 0.85 + 0.3 * rnd (s)));
      cairo_rectangle (cr, x, s->horizon - bh, bw - 2, bh + s->h * 0.05);
      cairo_fill (cr);
      for (double wy = s->horizon - bh + s->h * 0.015; wy < s->horizon; wy += s->h * 0.025)
        for (double wx = x + bw * 0.15; wx < x + bw * 0.8; wx += bw * 0.22)
          if (rnd (s) < (s->tod == NIGHT || s->tod == DUSK ? 0.45 : 0.2))
            {
              if (s->tod == NIGHT || s->tod == DUSK)
                cairo_set_source_rgba (cr, 1, 0.85, 0.45, 0.9);
              else
                cairo_set_source_rgba (cr, 0.8, 0.9, 1, 0.5);
              cairo_rectangle (cr, wx, wy, bw * 0.1, s->h * 0.01);
              cairo_fill (cr);
            }
      x += bw;
    }
}

/* Meadow flowers or fallen leaves, scattered over the foreground. */
static void
paint_speckles (cairo_t *cr, Scene *s)
{
  gboolean flowers = has (s, "flower") || has (s, "meadow") || s->season == SPRING;
  gboolean leaves = s->season == AUTUMN;
  Rgb c = s->has_accent ? s->accent : (Rgb) { 0.95, 0.85, 0.30 };

  if (!flowers && !leaves)
    return;
  for (int i = 0; i < 400; i++)
    {
      double t = rnd (s);
      double y = s->h * (0.8 + 0.2 * t), x = rnd (s) * s->w;
      Rgb k = leaves ? (rnd (s) < 0.5 ? (Rgb) { 0.92, 0.50, 0.12 } : (Rgb) { 0.75, 0.25, 0.08 }) : c;

      set_rgba (cr, lit (s, k), 0.9);
      cairo_arc (cr, x, y, s->h * (0.002 + 0.004 * t), 0, 2 * G_PI);
      cairo_fill (cr);
    }
}

static void
paint_still_life (cairo_t *cr, Scene *s)
{
  Rgb wall = s->tod == NIGHT ? (Rgb) { 0.16, 0.12, 0.10 } : lit (s, (Rgb) { 0.62, 0.55, 0.46 });
  Rgb wood = lit (s, (Rgb) { 0.45, 0.28, 0.16 });
  Rgb vase = lit (s, s->has_accent ? s->accent : (Rgb) { 0.20, 0.35, 0.65 });
  double table = s->h * 0.62;
  cairo_pattern_t *p;

  /* wall with the light falling from the upper left (a candle at night) */
  p = cairo_pattern_create_radial (s->w * 0.25, s->h * 0.2, 0, s->w * 0.25, s->h * 0.2, s->w * 0.9);
  cairo_pattern_add_color_stop_rgb (p, 0, MIN (1, wall.r * 1.35), MIN (1, wall.g * 1.3), MIN (1, wall.b * 1.2));
  cairo_pattern_add_color_stop_rgb (p, 1, wall.r * 0.45, wall.g * 0.45, wall.b * 0.5);
  cairo_set_source (cr, p);
  cairo_paint (cr);
  cairo_pattern_destroy (p);

  /* table top and its front edge */
  p = cairo_pattern_create_linear (0, table, 0, s->h);
  cairo_pattern_add_color_stop_rgb (p, 0, wood.r * 1.2, wood.g * 1.2, wood.b * 1.2);
  cairo_pattern_add_color_stop_rgb (p, 1, wood.r * 0.6, wood.g * 0.6, wood.b * 0.6);
  cairo_rectangle (cr, 0, table, s->w, s->h - table);
  cairo_set_source (cr, p);
  cairo_fill (cr);
  cairo_pattern_destroy (p);
  set_rgb (cr, shade (wood, 0.5));
  cairo_rectangle (cr, 0, s->h * 0.86, s->w, s->h * 0.14);
  cairo_fill (cr);
  for (int i = 0; i < 20; i++)
    {
      double y = table + (s->h * 0.86 - table) * rnd (s);

      set_rgba (cr, shade (wood, 0.7), 0.4);
      cairo_set_line_width (cr, s->h / 600);
      cairo_move_to (cr, 0, y);
      cairo_curve_to (cr, s->w * 0.3, y + 4, s->w * 0.6, y - 4, s->w, y + 2);
      cairo_stroke (cr);
    }

  /* the vase */
  {
    double vx = s->w * 0.42, vb = s->h * 0.74, vh = s->h * 0.48, vw = s->h * 0.16;
    cairo_pattern_t *body = cairo_pattern_create_linear (vx - vw, 0, vx + vw, 0);
    Rgb hi = mix (vase, (Rgb) { 1, 1, 1 }, 0.35), lo = shade (vase, 0.45);

    cairo_set_source_rgba (cr, 0, 0, 0, 0.3);
    cairo_save (cr);
    cairo_translate (cr, vx + vw * 0.5, vb);
    cairo_scale (cr, vw * 1.4, vw * 0.2);
    cairo_arc (cr, 0, 0, 1, 0, 2 * G_PI);
    cairo_restore (cr);
    cairo_fill (cr);

    cairo_pattern_add_color_stop_rgb (body, 0, vase.r, vase.g, vase.b);
    cairo_pattern_add_color_stop_rgb (body, 0.3, hi.r, hi.g, hi.b);
    cairo_pattern_add_color_stop_rgb (body, 1, lo.r, lo.g, lo.b);
    cairo_move_to (cr, vx - vw * 0.5, vb);
    cairo_curve_to (cr, vx - vw * 1.3, vb - vh * 0.3, vx - vw * 0.9, vb - vh * 0.6, vx - vw * 0.3, vb - vh * 0.8);
    cairo_line_to (cr, vx - vw * 0.4, vb - vh);
    cairo_line_to (cr, vx + vw * 0.4, vb - vh);
    cairo_line_to (cr, vx + vw * 0.3, vb - vh * 0.8);
    cairo_curve_to (cr, vx + vw * 0.9, vb - vh * 0.6, vx + vw * 1.3, vb - vh * 0.3, vx + vw * 0.5, vb);
    cairo_close_path (cr);
    cairo_set_source (cr, body);
    cairo_fill (cr);
    cairo_pattern_destroy (body);

    /* stems and blooms */
    for (int i = 0; i < 7; i++)
      {
        double a = -1.1 + 2.2 * i / 6.0 + (rnd (s) - 0.5) * 0.2;
        double len = vh * (0.45 + 0.2 * rnd (s));
        double fx = vx + sin (a) * len, fy = vb - vh - cos (a) * len * 0.8;
        Rgb bloom = s->season == AUTUMN ? (Rgb) { 0.90, 0.50, 0.15 }
                  : i % 3 == 0 ? (Rgb) { 0.97, 0.85, 0.30 } : i % 3 == 1 ? (Rgb) { 0.92, 0.35, 0.40 }
                  : (Rgb) { 0.98, 0.96, 0.92 };

        set_rgb (cr, lit (s, (Rgb) { 0.25, 0.45, 0.20 }));
        cairo_set_line_width (cr, s->h / 300);
        cairo_move_to (cr, vx, vb - vh * 0.9);
        cairo_curve_to (cr, vx, vb - vh * 1.1, fx, fy + len * 0.3, fx, fy);
        cairo_stroke (cr);
        for (int k = 0; k < 6; k++)
          {
            double pa = k * G_PI / 3 + a;

            set_rgb (cr, lit (s, shade (bloom, 0.85 + 0.15 * (k % 2))));
            cairo_arc (cr, fx + cos (pa) * vw * 0.18, fy + sin (pa) * vw * 0.18, vw * 0.16, 0, 2 * G_PI);
            cairo_fill (cr);
          }
        set_rgb (cr, lit (s, (Rgb) { 0.45, 0.28, 0.10 }));
        cairo_arc (cr, fx, fy, vw * 0.1, 0, 2 * G_PI);
        cairo_fill (cr);
      }
  }

  /* fruit on the table */
  for (int i = 0; i < 4; i++)
    {
      double r = s->h * (0.055 + 0.02 * rnd (s));
      double fx = s->w * (0.58 + 0.1 * i) + (rnd (s) - 0.5) * s->w * 0.03, fy = s->h * 0.79 - r;
      Rgb f = has (s, "lemon") ? (Rgb) { 0.96, 0.84, 0.22 }
            : i % 2 ? (Rgb) { 0.80, 0.12, 0.12 } : has (s, "pear") ? (Rgb) { 0.70, 0.75, 0.25 }
            : (Rgb) { 0.95, 0.55, 0.12 };
      cairo_pattern_t *ball = cairo_pattern_create_radial (fx - r * 0.4, fy - r * 0.4, r * 0.1, fx, fy, r);
      Rgb hi = lit (s, mix (f, (Rgb) { 1, 1, 1 }, 0.4)), lo = lit (s, shade (f, 0.45));

      cairo_set_source_rgba (cr, 0, 0, 0, 0.3);
      cairo_save (cr);
      cairo_translate (cr, fx + r * 0.4, fy + r * 0.95);
      cairo_scale (cr, r * 1.2, r * 0.2);
      cairo_arc (cr, 0, 0, 1, 0, 2 * G_PI);
      cairo_restore (cr);
      cairo_fill (cr);
      cairo_pattern_add_color_stop_rgb (ball, 0, hi.r, hi.g, hi.b);
      cairo_pattern_add_color_stop_rgb (ball, 1, lo.r, lo.g, lo.b);
      cairo_arc (cr, fx, fy, r, 0, 2 * G_PI);
      cairo_set_source (cr, ball);
      cairo_fill (cr);
      cairo_pattern_destroy (ball);
    }
}

/* Words in "quotes" in the prompt, painted on a small wooden sign. */
static void
paint_sign (cairo_t *cr, Scene *s, gboolean indoors)
{
#ifdef HAVE_PANGOCAIRO
  const char *open = strchr (s->text, '"');
  const char *close = open ? strchr (open + 1, '"') : NULL;
  g_autofree char *words = NULL;
  g_autofree char *font = NULL;
  PangoLayout *layout;
  PangoFontDescription *desc;
  int tw, th;
  double x, y, pad;

  if (open == NULL || close == NULL || close == open + 1)
    return;
  words = g_utf8_strup (open + 1, close - open - 1);

  layout = pango_cairo_create_layout (cr);
  font = g_strdup_printf ("Serif Bold %dpx", (int) (s->h * 0.05));
  desc = pango_font_description_from_string (font);
  pango_layout_set_font_description (layout, desc);
  pango_font_description_free (desc);
  pango_layout_set_text (layout, words, -1);
  pango_layout_get_pixel_size (layout, &tw, &th);
  pad = s->h * 0.02;
  x = s->w * 0.08;
  y = s->h * (indoors ? 0.76 : 0.74);

  if (!indoors)
    {
      set_rgb (cr, lit (s, (Rgb) { 0.30, 0.20, 0.12 }));
      cairo_rectangle (cr, x + tw / 2.0 - s->h * 0.008, y, s->h * 0.016, s->h - y);
      cairo_fill (cr);
    }
  set_rgb (cr, lit (s, indoors ? (Rgb) { 0.95, 0.92, 0.84 } : (Rgb) { 0.55, 0.38, 0.22 }));
  cairo_rectangle (cr, x - pad, y - th - pad, tw + 2 * pad, th + 2 * pad);
  cairo_fill (cr);
  set_rgb (cr, lit (s, indoors ? (Rgb) { 0.20, 0.15, 0.12 } : (Rgb) { 0.98, 0.94, 0.84 }));
  cairo_move_to (cr, x, y - th);
  pango_cairo_show_layout (cr, layout);
  g_object_unref (layout);
#endif
}

static void
paint_scene (cairo_t *cr, Scene *s)
{
  gboolean sea = has (s, "sea") || has (s, "ocean") || has (s, "coast") || has (s, "beach") ||
                 has (s, "lighthouse") || has (s, "harbour") || has (s, "harbor") || has (s, "lake") ||
                 has (s, "boat");
  gboolean indoors = has (s, "still life") || has (s, "vase") || has (s, "fruit") || has (s, "bowl") ||
                     has (s, "apple") || has (s, "table");
  cairo_pattern_t *vignette;

  if (indoors)
    paint_still_life (cr, s);
  else
    {
      s->horizon = s->h * (sea ? 0.55 : 0.50 + 0.08 * rnd (s));
      paint_sky (cr, s);
      if (has (s, "mountain") || has (s, "alps") || has (s, "peak"))
        paint_mountains (cr, s);
      if (has (s, "city") || has (s, "skyline") || has (s, "town"))
        paint_city (cr, s);
      if (sea)
        {
          double top_x = 0, top;

          paint_sea (cr, s);
          if (has (s, "boat") || has (s, "sail"))
            paint_boat (cr, s, s->w * 0.7, s->horizon + s->h * 0.12, s->h * 0.16);
          top = paint_headland (cr, s, &top_x);
          if (has (s, "lighthouse"))
            paint_lighthouse (cr, s, top_x, top + s->h * 0.02);
          if (has (s, "house") || has (s, "cottage"))
            paint_house (cr, s, s->w * 0.08, top + s->h * 0.04, s->h * 0.12);
          if (has (s, "tree"))
            paint_tree (cr, s, s->w * 0.33, top + s->h * 0.04, s->h * 0.15);
          if (has (s, "fox"))
            paint_fox (cr, s, s->w * 0.19, top + s->h * 0.045, s->h * 0.12);
        }
      else
        {
          paint_hills (cr, s, 3, 0, s->w);
          if (has (s, "house") || has (s, "cottage") || has (s, "village") || has (s, "farm"))
            paint_house (cr, s, s->w * 0.3, hill_y (s, 1, s->w * 0.3), s->h * 0.13);
          if (has (s, "tree") || has (s, "forest") || has (s, "park") || has (s, "wood") || has (s, "leaves"))
            {
              int n = has (s, "forest") ? 9 : 4;

              for (int i = 0; i < n; i++)
                {
                  double x = s->w * (0.05 + 0.9 * (i + 0.5 * rnd (s)) / n);

                  paint_tree (cr, s, x, hill_y (s, 1 + i % 2, x), s->h * (0.16 + 0.08 * rnd (s)));
                }
            }
          if (has (s, "fountain"))
            paint_fountain (cr, s, s->w * 0.52, s->h * 0.86, s->h * 0.24);
          paint_speckles (cr, s);
          if (has (s, "fox"))
            paint_fox (cr, s, s->w * 0.72, s->h * 0.94, s->h * 0.28);
        }
    }
  paint_sign (cr, s, indoors);

  vignette = cairo_pattern_create_radial (s->w / 2, s->h / 2, s->h * 0.45, s->w / 2, s->h / 2, s->w * 0.75);
  cairo_pattern_add_color_stop_rgba (vignette, 0, 0, 0, 0, 0);
  cairo_pattern_add_color_stop_rgba (vignette, 1, 0, 0, 0, 0.35);
  cairo_set_source (cr, vignette);
  cairo_paint (cr);
  cairo_pattern_destroy (vignette);
}

static GdkPixbuf *
pixbuf_from_surface (cairo_surface_t *surface)
{
  int w = cairo_image_surface_get_width (surface);
  int h = cairo_image_surface_get_height (surface);
  int sstride = cairo_image_surface_get_stride (surface);
  const guint8 *src = cairo_image_surface_get_data (surface);
  GdkPixbuf *pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, w, h);
  guint8 *dst = gdk_pixbuf_get_pixels (pixbuf);
  int dstride = gdk_pixbuf_get_rowstride (pixbuf);

  cairo_surface_flush (surface);
  for (int y = 0; y < h; y++)
    {
      const guint32 *in = (const guint32 *) (src + (gsize) y * sstride);
      guint8 *out = dst + (gsize) y * dstride;

      for (int x = 0; x < w; x++)
        {
          out[3 * x + 0] = (in[x] >> 16) & 0xff;
          out[3 * x + 1] = (in[x] >> 8) & 0xff;
          out[3 * x + 2] = in[x] & 0xff;
        }
    }
  return pixbuf;
}

gboolean
easel_fake_pictures_available (void)
{
  return TRUE;
}

GdkPixbuf *
easel_fake_picture_render (const char *prompt,
                           int         width,
                           int         height,
                           guint       variant,
                           guint       stage,
                           gboolean    low_quality)
{
  /* How much smaller each partial is drawn before it is blown up again:
   * the first is a blur of colour fields, the last nearly sharp. */
  static const int shrink[] = { 40, 14, 5 };
  g_autofree char *text = g_utf8_strdown (prompt ? prompt : "", -1);
  Scene s = { .text = text, .w = width, .h = height, .horizon = height * 0.55 };
  cairo_surface_t *surface;
  cairo_t *cr;
  GdkPixbuf *final;

  g_return_val_if_fail (width > 0 && height > 0, NULL);

  /* The seed comes from the first line only: a follow-up ("\nnow add a
   * fox") keeps the clouds and hills where they were. */
  {
    g_autofree char *first = g_strndup (text, strcspn (text, "\n"));

    s.rng = g_str_hash (first) ^ (variant * 0x9e3779b9u);
  }
  if (s.rng == 0)
    s.rng = 0x2545f491u;
  scene_read_words (&s);

  surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, width, height);
  cr = cairo_create (surface);
  paint_scene (cr, &s);
  cairo_destroy (cr);
  final = pixbuf_from_surface (surface);
  cairo_surface_destroy (surface);

  if (stage < G_N_ELEMENTS (shrink) || low_quality)
    {
      int k = stage < G_N_ELEMENTS (shrink) ? shrink[stage] : 2;
      int sw = MAX (4, width / k), sh = MAX (4, height / k);
      g_autoptr(GdkPixbuf) small = gdk_pixbuf_scale_simple (final, sw, sh, GDK_INTERP_HYPER);
      GdkPixbuf *blurry = gdk_pixbuf_scale_simple (small, width, height, GDK_INTERP_BILINEAR);

      g_object_unref (final);
      return blurry;
    }
  return final;
}

#else /* !HAVE_CAIRO */

gboolean
easel_fake_pictures_available (void)
{
  return FALSE;
}

GdkPixbuf *
easel_fake_picture_render (const char *prompt,
                           int         width,
                           int         height,
                           guint       variant,
                           guint       stage,
                           gboolean    low_quality)
{
  return NULL;
}

#endif
