/* easel-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-client"

#include "config.h"

#include "easel-client.h"
