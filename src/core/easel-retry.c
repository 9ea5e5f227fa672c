/* easel-retry.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-retry"

#include "config.h"

#include "easel-retry.h"
