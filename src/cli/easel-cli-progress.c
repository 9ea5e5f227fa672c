/* easel-cli-progress.c: the progress line on stderr
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-cli"

#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "easel-cli-private.h"

struct _EaselCliProgress
{
  gboolean  tty;
  gboolean  quiet;
  gboolean  line_shown;
  int       partials_expected;
  guint     partials_seen;
  gint64    started_us;
  char     *stage;
  char     *estimate;
  guint     tick_id;
};

static double
elapsed_seconds (EaselCliProgress *self)
{
  return (g_get_monotonic_time () - self->started_us) / (double) G_USEC_PER_SEC;
}

static void
clear_line (EaselCliProgress *self)
{
  if (self->tty && self->line_shown)
    {
      fputs ("\r\033[K", stderr);
      fflush (stderr);
      self->line_shown = FALSE;
    }
}

static void
redraw (EaselCliProgress *self)
{
  static const char spinner[] = "|/-\\";
  guint frame;

  if (!self->tty || self->quiet || self->stage == NULL)
    return;

  frame = (guint) (elapsed_seconds (self) * 5) % 4;
  fprintf (stderr, "\r\033[K%c %s  %.1f s", spinner[frame], self->stage, elapsed_seconds (self));
  if (self->estimate != NULL)
    fprintf (stderr, "  (est. %s)", self->estimate);
  fflush (stderr);
  self->line_shown = TRUE;
}

static gboolean
tick_cb (gpointer user_data)
{
  redraw (user_data);
  return G_SOURCE_CONTINUE;
}

EaselCliProgress *
easel_cli_progress_new (gboolean    quiet,
                        int         partials_expected,
                        const char *estimate)
{
  EaselCliProgress *self = g_new0 (EaselCliProgress, 1);

  self->tty = isatty (STDERR_FILENO);
  self->quiet = quiet;
  self->partials_expected = partials_expected;
  self->started_us = g_get_monotonic_time ();
  self->estimate = g_strdup (estimate);

  if (self->tty && !quiet)
    self->tick_id = g_timeout_add (200, tick_cb, self);

  return self;
}

void
easel_cli_progress_free (EaselCliProgress *self)
{
  if (self == NULL)
    return;

  easel_cli_progress_done (self);
  g_free (self->stage);
  g_free (self->estimate);
  g_free (self);
}

void
easel_cli_progress_stage (EaselCliProgress *self,
                          const char       *stage)
{
  g_return_if_fail (self != NULL);

  if (g_strcmp0 (self->stage, stage) == 0)
    return;

  g_free (self->stage);
  self->stage = g_strdup (stage);

  if (self->quiet)
    return;

  if (self->tty)
    redraw (self);
  else
    {
      /* Off a terminal (logs, CI), one plain line per stage change. */
      fprintf (stderr, "easel: %s (%.1f s)\n", stage, elapsed_seconds (self));
      fflush (stderr);
    }
}

void
easel_cli_progress_event (EaselCliProgress *self,
                          const EaselEvent *event)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (event != NULL);

  switch (event->kind)
    {
    case EASEL_EVENT_RESPONSE_CREATED:
    case EASEL_EVENT_RESPONSE_IN_PROGRESS:
      easel_cli_progress_stage (self, "queued");
      break;

    case EASEL_EVENT_IMAGE_CALL_IN_PROGRESS:
    case EASEL_EVENT_IMAGE_CALL_GENERATING:
      easel_cli_progress_stage (self, "generating");
      break;

    case EASEL_EVENT_TEXT_DELTA:
      easel_cli_progress_stage (self, "writing the reply");
      break;

    case EASEL_EVENT_PARTIAL_IMAGE:
      {
        g_autofree char *stage = NULL;

        self->partials_seen++;
        if (self->partials_expected > 0)
          stage = g_strdup_printf ("partial %u/%d", self->partials_seen, self->partials_expected);
        else
          stage = g_strdup_printf ("partial %u", self->partials_seen);
        easel_cli_progress_stage (self, stage);
      }
      break;

    case EASEL_EVENT_IMAGE_CALL_COMPLETED:
    case EASEL_EVENT_IMAGE_DONE:
      easel_cli_progress_stage (self, "image received");
      break;

    case EASEL_EVENT_RESPONSE_COMPLETED:
      easel_cli_progress_stage (self, "finishing");
      break;

    case EASEL_EVENT_UNKNOWN:
    case EASEL_EVENT_RESPONSE_FAILED:
    case EASEL_EVENT_OUTPUT_ITEM_ADDED:
    case EASEL_EVENT_OUTPUT_ITEM_DONE:
    case EASEL_EVENT_TEXT_DONE:
    case EASEL_EVENT_ERROR:
    default:
      break;
    }
}

void
easel_cli_progress_retrying (EaselCliProgress *self,
                             const char       *reason,
                             guint             attempt,
                             guint             max_attempts,
                             gint64            delay_ms)
{
  g_autofree char *stage = NULL;

  g_return_if_fail (self != NULL);

  stage = g_strdup_printf ("%s, retrying in %.1f s (attempt %u/%u)",
                           reason, delay_ms / 1000.0, attempt, max_attempts);
  easel_cli_progress_stage (self, stage);
}

void
easel_cli_progress_print (EaselCliProgress *self,
                          const char       *format,
                          ...)
{
  g_autofree char *message = NULL;
  va_list args;

  g_return_if_fail (self != NULL);

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  clear_line (self);
  fprintf (stderr, "%s\n", message);
  fflush (stderr);
  redraw (self);
}

void
easel_cli_progress_done (EaselCliProgress *self)
{
  g_return_if_fail (self != NULL);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  clear_line (self);
  g_clear_pointer (&self->stage, g_free);
}
