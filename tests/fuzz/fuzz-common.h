/* fuzz-common.h: what every harness shares
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdint.h>
#include <stdlib.h>

#include <glib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* A GLib critical or warning is a finding: abort, so libFuzzer (or the
 * replay) reports it with the input that caused it. (A Json-CRITICAL is
 * json-glib's g_return_if_fail: a caller that did not check a type.)
 * GLib's own fatal path raises SIGTRAP, which libFuzzer does not catch;
 * this writer prints the message and calls abort() instead. */
static GLogWriterOutput
fuzz_log_writer (GLogLevelFlags   log_level,
                 const GLogField *fields,
                 gsize            n_fields,
                 gpointer         user_data)
{
  if (log_level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    {
      g_log_writer_standard_streams (log_level, fields, n_fields, user_data);
      abort ();
    }
  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

static inline void
fuzz_make_warnings_fatal (void)
{
  g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
}
