/* easel-sse.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-sse"

#include "config.h"

#include "easel-sse.h"
