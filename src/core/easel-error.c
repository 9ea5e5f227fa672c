/* easel-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-error"

#include "config.h"

#include "easel-error.h"
