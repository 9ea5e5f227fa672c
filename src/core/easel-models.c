/* easel-models.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-models"

#include "config.h"

#include "easel-models.h"
