/* easel-event.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-event"

#include "config.h"

#include "easel-event.h"
