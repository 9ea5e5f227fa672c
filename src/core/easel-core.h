/* easel-core.h: the GTK-free core of Easel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "easel-account.h"
#include "easel-batch.h"
#include "easel-budget.h"
#include "easel-client.h"
#include "easel-comparison.h"
#include "easel-config.h"
#include "easel-cost.h"
#include "easel-error.h"
#include "easel-event.h"
#include "easel-mask.h"
#include "easel-masked-edit.h"
#include "easel-models.h"
#include "easel-moderation.h"
#include "easel-png-meta.h"
#include "easel-request.h"
#include "easel-result.h"
#include "easel-retry.h"
#include "easel-sse.h"
#include "easel-store.h"
#include "easel-library.h"
#include "easel-json.h"
#include "easel-usage.h"
#include "easel-text.h"
#include "easel-local-file.h"
#include "easel-image-size.h"
