/* easel-result.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-result"

#include "config.h"

#include "easel-result.h"
