/* easel-cost.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-cost"

#include "config.h"

#include "easel-cost.h"
