/* easel-config.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-config"

#include "config.h"

#include "easel-config.h"
