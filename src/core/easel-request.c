/* easel-request.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-request"

#include "config.h"

#include "easel-request.h"
