/* easel-moderation.h: the free moderation pre-check (POST /moderations)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The model the pre-check asks; the endpoint is free of charge. */
#define EASEL_MODERATION_MODEL "omni-moderation-latest"

/* At most this many categories are kept from one answer. */
#define EASEL_MODERATION_MAX_CATEGORIES 32

typedef struct
{
  gboolean  flagged;       /* any result flagged */
  GStrv     categories;    /* the categories set to true, deduplicated; never NULL */
  guint     n_unreadable;  /* true categories whose names were not plain identifiers */
  char     *id;            /* "modr-…", or NULL */
} EaselModeration;

/* The moderation request body for @text. */
JsonNode        *easel_moderation_request_to_json (const char *text);
/* Reads a CreateModerationResponse. The server is not trusted: category
 * names must be short identifiers ([a-z0-9/_-], at most 64 bytes) and at
 * most EASEL_MODERATION_MAX_CATEGORIES are kept. A body without a results
 * array is EASEL_API_ERROR_BAD_RESPONSE. */
EaselModeration *easel_moderation_new_from_json   (JsonNode   *root,
                                                   GError    **error);
void             easel_moderation_free            (EaselModeration *self);
/* "sexual, violence/graphic" (the categories joined), or "unspecified". */
char            *easel_moderation_format_categories (const EaselModeration *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EaselModeration, easel_moderation_free)

G_END_DECLS
