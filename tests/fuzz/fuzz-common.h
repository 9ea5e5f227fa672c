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
 * json-glib's g_return_if_fail: a caller that did not check a type.) */
static inline void
fuzz_make_warnings_fatal (void)
{
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
}
