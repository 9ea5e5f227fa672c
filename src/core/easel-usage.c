/* easel-usage.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-usage"

#include "config.h"

#include "easel-usage.h"
