/* easel-store.h: the library — every generation and conversation, in SQLite
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Layout of a library directory:
 *   <dir>/library.db                 SQLite (WAL), schema versioned by user_version
 *   <dir>/images/ab/abcdef….png      image files, content-addressed by sha256
 *
 * Threading: every EaselStore method may be called from any thread; database
 * access is serialised by a mutex inside the store. The plain functions do
 * blocking I/O: call them from a worker thread, or use the _async variants
 * from the main loop (the GUI must).
 *
 * Failure: when the library cannot be written (disk full, read-only data
 * directory, corrupt database) the functions return FALSE/NULL with a clear
 * EASEL_STORE_ERROR and leave nothing half-written: an image file is either
 * complete or absent, and a row is only committed after its image file is
 * durable on disk. The CALLER KEEPS ITS IN-MEMORY RESULT (EaselResult bytes,
 * already-written output files) and should just show the error; nothing is
 * lost but the library entry.
 *
 * Records (EaselGeneration, EaselTurn, EaselConversation) are snapshots: the
 * store never changes them after returning them. Re-query after a change;
 * the "changed" signal says when.
 */
#pragma once

#include <gio/gio.h>
#include "easel-conversation.h"
#include "easel-generation.h"
#include "easel-request.h"
#include "easel-result.h"

G_BEGIN_DECLS

/* PRAGMA user_version of the schema this build writes. */
#define EASEL_STORE_SCHEMA_VERSION 7

#define EASEL_STORE_ERROR (easel_store_error_quark ())

typedef enum
{
  EASEL_STORE_ERROR_FAILED,     /* anything else (SQLite error text in the message) */
  EASEL_STORE_ERROR_CORRUPT,    /* library.db is corrupt or not an Easel library: it is left untouched;
                                 * offer easel_store_reset_with_backup() */
  EASEL_STORE_ERROR_TOO_NEW,    /* written by a newer Easel (schema version above ours) */
  EASEL_STORE_ERROR_IO,         /* disk full, I/O error writing an image or the db */
  EASEL_STORE_ERROR_READ_ONLY,  /* the data directory or db cannot be written */
  EASEL_STORE_ERROR_NOT_FOUND,  /* no such generation / turn / conversation */
  EASEL_STORE_ERROR_INVALID,    /* bad argument, or a PNG without Easel metadata on import */
} EaselStoreError;

GQuark easel_store_error_quark (void);

/* ---------------------------------------------------------------------------
 * Queries
 */
typedef enum
{
  EASEL_STORE_SORT_NEWEST,
  EASEL_STORE_SORT_OLDEST,
  EASEL_STORE_SORT_COST,         /* most expensive first (actual, else estimate) */
} EaselStoreSort;

typedef struct
{
  char          *text;             /* FTS5 search over prompt + revised prompt; NULL/"" = all.
                                    * Plain words, each matched as a prefix, all required. */
  char          *model;            /* exact model; NULL = any */
  gint64         since;            /* created >= since (unix seconds); 0 = unbounded */
  gint64         until;            /* created < until; 0 = unbounded */
  gint64         conversation_id;  /* 0 = any */
  gint64         batch_job;        /* the library's row of a batch job (EaselBatchJob.id); 0 = any */
  gboolean       starred_only;
  gboolean       include_failed;   /* FALSE: rows with an image only, status "ok" or
                                    * "incomplete" (the gallery); TRUE: every status */
  gboolean       deleted_only;     /* TRUE: only soft-deleted rows (a trash view); else live only */
  EaselStoreSort sort;
  guint          offset;           /* paging */
  gint64         comparison_id;    /* one Compare set (easel-comparison.h); 0 = any */
  guint          limit;            /* 0 = no limit */
  gboolean       skip_count;       /* easel_store_query_async (): no total (a later page) */
} EaselStoreQuery;

EaselStoreQuery *easel_store_query_new  (void);
EaselStoreQuery *easel_store_query_copy (const EaselStoreQuery *self);
void             easel_store_query_free (EaselStoreQuery *self);
GType            easel_store_query_get_type (void) G_GNUC_CONST;

/* ---------------------------------------------------------------------------
 * The spend ledger. A row's cost is its actual_usd when usage was reported,
 * else its estimated_usd. Failed and moderated requests are counted (and
 * their cost included: the request was sent and may have been billed);
 * cancelled ones are counted but cost only what usage says; incomplete ones
 * (a broken stream) are counted and priced by their estimate.
 */
typedef struct
{
  char   *key;                   /* "2025-01-31" (local date) or the model name; NULL for the total */
  double  usd;                   /* all statuses */
  double  failed_usd;            /* the part of usd from failed + moderated rows */
  guint   n_ok;
  guint   n_failed;
  guint   n_moderated;
  guint   n_cancelled;
  guint   n_estimated;           /* rows priced by estimate because no usage was reported */
  guint   n_incomplete;          /* broken streams (priced by estimate, in usd, not in failed_usd) */
  gint64  input_tokens;
  gint64  output_tokens;
  char   *model;                 /* per_day_model rows only: the model ("" when unknown), key the day */
} EaselSpendRow;

typedef struct
{
  EaselSpendRow  total;
  GPtrArray     *per_day;        /* EaselSpendRow*, newest day first */
  GPtrArray     *per_model;      /* EaselSpendRow*, most expensive first */
  GPtrArray     *per_day_model;  /* EaselSpendRow*, newest day first, then most expensive model
                                  * first: what a chart stacks per day */
} EaselSpend;

void easel_spend_free (EaselSpend *self);

/* ---------------------------------------------------------------------------
 * Recording
 */
typedef struct
{
  gint64 conversation_id;        /* 0 = none */
  gint64 turn_id;                /* 0 = none */
  gint64 parent_generation_id;   /* 0 = none */
  double estimated_usd;          /* < 0: computed with easel_cost_estimate() */
  const char *base_url;          /* the server the request went to, for the cache key
                                  * (easel_request_cache_key); NULL = the default server */
  gboolean incomplete;           /* the stream broke: @result holds the last partial image;
                                  * its rows get status "incomplete" and no actual cost */
  int picked_index;              /* the image of an n>1 answer the user picked (0 = the first) */
} EaselRecordOptions;

typedef enum
{
  EASEL_EXPORT_PNG,              /* with iTXt metadata (prompt, model, params, ids, easel: JSON) */
  EASEL_EXPORT_JPEG,
  EASEL_EXPORT_WEBP,
} EaselExportFormat;

gboolean easel_export_format_from_string (const char *str, EaselExportFormat *format);

/* ---------------------------------------------------------------------------
 * EaselStore
 *
 * Signal "changed" (no arguments): something was recorded, starred,
 * deleted or imported. Emitted on the main context that was the thread
 * default when the store was opened, never from a worker thread.
 */
#define EASEL_TYPE_STORE (easel_store_get_type ())
G_DECLARE_FINAL_TYPE (EaselStore, easel_store, EASEL, STORE, GObject)

/* Opens (creating, migrating) the library in @dir, or in
 * $XDG_DATA_HOME/easel when @dir is NULL. The integrity check and the
 * orphan sweep are not part of opening: see easel_store_maintain().
 * A corrupt or foreign library.db fails with EASEL_STORE_ERROR_CORRUPT and is
 * never modified. Safe when several processes open (even create) the same
 * library at once. An existing library that cannot be written opens
 * read-only (easel_store_is_read_only()); a new one in a folder that cannot
 * be written fails with EASEL_STORE_ERROR_READ_ONLY. */
EaselStore *easel_store_open    (const char *dir, GError **error);
const char *easel_store_get_dir (EaselStore *self);
/* TRUE when the library's folder or library.db cannot be written: it was
 * opened read-only (no migration, no sweep). Listing, searching, reading and
 * exporting work; every write fails with EASEL_STORE_ERROR_READ_ONLY. */
gboolean    easel_store_is_read_only (EaselStore *self);
void        easel_store_open_async  (const char          *dir,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
EaselStore *easel_store_open_finish (GAsyncResult        *result,
                                     GError             **error);

/* Moves a broken <dir>/library.db (and its -wal/-shm) aside to
 * library.db.broken-<timestamp> and leaves the place free, so the next
 * easel_store_open() starts a fresh library. Images are kept.
 * @backup_path (nullable) receives the new name of the old file. */
gboolean    easel_store_reset_with_backup (const char  *dir,
                                           char       **backup_path,
                                           GError     **error);

/* Maintenance, at most once a day unless @force: PRAGMA quick_check, then
 * the orphan sweep (temp files and image files no row points to, older
 * than a grace period; only image folders changed since the last sweep,
 * all of them once a week or when @force). Runs on its own connection, so
 * the store stays usable meanwhile; call the async version from a main
 * loop. A damaged library fails with EASEL_STORE_ERROR_CORRUPT and is not
 * written to. A read-only library is left alone (TRUE). */
#define EASEL_STORE_MAINTENANCE_INTERVAL (24 * 60 * 60)
#define EASEL_STORE_FULL_SWEEP_INTERVAL  (7 * 24 * 60 * 60)
gboolean    easel_store_maintain        (EaselStore          *self,
                                         gboolean             force,
                                         GError             **error);
void        easel_store_maintain_async  (EaselStore          *self,
                                         gboolean             force,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
gboolean    easel_store_maintain_finish (EaselStore          *self,
                                         GAsyncResult        *result,
                                         GError             **error);

/* Runs the orphan sweep again; files younger than @grace_seconds are kept
 * (another process may be about to commit their row). Returns the number of
 * files removed, or -1 on error. */
int         easel_store_sweep_orphans (EaselStore *self,
                                       gint64      grace_seconds,
                                       GError    **error);

/* Writes @bytes to images/ab/<sha256>.<format> atomically (temp file, fsync,
 * rename, fsync dir) unless identical bytes are already stored. @format is
 * the extension ("png", "jpeg", "webp"; NULL = "png"). Returns the absolute
 * path; @out_sha256 (nullable) gets the hash. */
char       *easel_store_store_image (EaselStore  *self,
                                     GBytes      *bytes,
                                     const char  *format,
                                     char       **out_sha256,
                                     GError     **error);

/* Low level: inserts @generation (id must be 0) after storing @image_bytes
 * (nullable) and filling in sha256/path. Sets generation->id and, when 0,
 * generation->created. Returns the new id, or 0 on error. */
gint64      easel_store_insert_generation (EaselStore      *self,
                                           EaselGeneration *generation,
                                           GBytes          *image_bytes,
                                           GError         **error);

/* High level: records the outcome of one request. @result is NULL on failure,
 * @request_error NULL on success (EASEL_API_ERROR_MODERATION → "moderated",
 * G_IO_ERROR_CANCELLED → "cancelled", else "failed"). One row per final
 * image with bytes; one row for a failure. A result without any image (a
 * text-only answer) is a "failed" row with error_code "no_image", its usage
 * and actual cost kept: a row is never "ok" without an image file. With
 * options->incomplete, the result's images are "incomplete" rows (actual
 * cost unknown, the estimate kept) even when @request_error is set.
 * Usage and actual cost are split across the images; the image at
 * options->picked_index is picked, the others not. request_hash is
 * easel_request_cache_key (request, options->base_url). Image files are
 * written before their rows commit.
 * Returns EaselGeneration* (element-type EaselGeneration, transfer full). */
GPtrArray  *easel_store_record (EaselStore               *self,
                                const EaselRequest       *request,
                                const EaselResult        *result,
                                const GError             *request_error,
                                const EaselRecordOptions *options,   /* nullable */
                                GError                  **error);
void        easel_store_record_async  (EaselStore               *self,
                                       const EaselRequest       *request,   /* copied */
                                       const EaselResult        *result,    /* copied */
                                       const GError             *request_error,
                                       const EaselRecordOptions *options,
                                       GCancellable             *cancellable,
                                       GAsyncReadyCallback       callback,
                                       gpointer                  user_data);
GPtrArray  *easel_store_record_finish (EaselStore               *self,
                                       GAsyncResult             *result,
                                       GError                  **error);

EaselGeneration *easel_store_get_generation (EaselStore *self,
                                             gint64      id,
                                             GError    **error);   /* NOT_FOUND when absent */
/* The newest "ok", not-deleted generation recorded for exactly this cache
 * key (easel_request_cache_key()), or NULL (no error) when there is none.
 * Incomplete, failed and imported rows never answer. */
EaselGeneration *easel_store_lookup_cached  (EaselStore *self,
                                             const char *request_hash,
                                             GError    **error);
/* All ok generations of that newest cached request (n > 1 images), oldest id first. */
GPtrArray       *easel_store_lookup_cached_all (EaselStore *self,
                                                const char *request_hash,
                                                GError    **error);

/* Every generation recorded for the conversation (any status, deleted
 * ones included), oldest id first: a failed turn has its row only here. */
GPtrArray       *easel_store_list_conversation_generations (EaselStore *self,
                                                            gint64      conversation_id,
                                                            GError    **error);
/* The request that produced @generation, rebuilt from its params_json and
 * the input images and mask the library kept (blocking: a worker thread).
 * Hashes like the original (easel_request_hash). NOT_FOUND when an input
 * image was not kept (rows from before input images were stored),
 * INVALID when the row has no usable parameters. */
EaselRequest    *easel_store_rebuild_request (EaselStore       *self,
                                              EaselGeneration  *generation,
                                              GError          **error);

/* Marks @id the picked image of its n>1 answer (its siblings unpicked) and
 * the image its turn shows. INVALID for a row without an image. */
gboolean    easel_store_pick        (EaselStore *self, gint64 id, GError **error);
gboolean    easel_store_set_starred (EaselStore *self, gint64 id, gboolean starred, GError **error);
/* Soft delete (sets deleted_at) and its undo. */
gboolean    easel_store_delete      (EaselStore *self, gint64 id, GError **error);
gboolean    easel_store_undelete    (EaselStore *self, gint64 id, GError **error);
/* Removes soft-deleted rows deleted before @deleted_before (0 = all) and the
 * image files no other row uses. Returns the number of rows purged, -1 on error. */
int         easel_store_purge       (EaselStore *self, gint64 deleted_before, GError **error);

/* Returns EaselGeneration* (transfer full); @total_count (nullable) gets the
 * number of rows matching the query without offset/limit. */
GPtrArray  *easel_store_query        (EaselStore            *self,
                                      const EaselStoreQuery *query,
                                      guint                 *total_count,
                                      GError               **error);
void        easel_store_query_async  (EaselStore            *self,
                                      const EaselStoreQuery *query,   /* copied */
                                      GCancellable          *cancellable,
                                      GAsyncReadyCallback    callback,
                                      gpointer               user_data);
GPtrArray  *easel_store_query_finish (EaselStore            *self,
                                      GAsyncResult          *result,
                                      guint                 *total_count,
                                      GError               **error);

/* Ledger since @since (unix seconds, 0 = all time), deleted rows included
 * (deleting an image does not refund it). */
EaselSpend *easel_store_get_spend (EaselStore *self, gint64 since, GError **error);
/* The models of the generations the gallery shows, sorted; for its filter. */
GStrv       easel_store_list_models (EaselStore *self, GError **error);

/* Conversations and turns */
EaselConversation *easel_store_create_conversation (EaselStore *self, const char *title, GError **error);
EaselConversation *easel_store_get_conversation    (EaselStore *self, gint64 id, GError **error);
/* Newest updated first. */
GPtrArray         *easel_store_list_conversations  (EaselStore *self, GError **error);
gboolean           easel_store_rename_conversation (EaselStore *self, gint64 id, const char *title, GError **error);
/* Inserts @turn (id must be 0; conversation_id set; parent_turn_id 0 or a
 * turn of the same conversation). Sets turn->id/created, bumps the
 * conversation's updated/last_turn. Returns the id, 0 on error. */
gint64             easel_store_add_turn            (EaselStore *self, EaselTurn *turn, GError **error);
/* Updates assistant_text, response_id, image_call_id and generation_id of an
 * existing turn (e.g. once the response finished). */
gboolean           easel_store_update_turn         (EaselStore *self, EaselTurn *turn, GError **error);
/* Only the image the turn shows (e.g. its restored version). */
gboolean           easel_store_set_turn_image      (EaselStore *self, gint64 turn_id, gint64 generation_id, GError **error);
/* Every turn of the conversation, in id (creation) order. */
GPtrArray         *easel_store_list_turns          (EaselStore *self, gint64 conversation_id, GError **error);
/* The branch from the root down to @turn_id, root first. */
GPtrArray         *easel_store_get_turn_path       (EaselStore *self, gint64 turn_id, GError **error);

/* Pending responses: a Responses turn sent in background mode lives on the
 * server until it finishes. Its id is kept from response.created until the
 * answer is recorded, so that a program that died (or lost the network)
 * can fetch it later with easel_client_resume_async(). */
typedef struct
{
  char   *response_id;
  char   *base_url;           /* as given to add; "" = the default server */
  char   *params_json;        /* easel_request_params_to_json() of the turn */
  gint64  conversation_id;    /* 0 = none */
  gint64  turn_id;            /* 0 = none */
  gint64  created;
} EaselPendingResponse;

void        easel_pending_response_free (EaselPendingResponse *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EaselPendingResponse, easel_pending_response_free)

/* Adds or replaces the row of @response_id (a resp_… id: INVALID otherwise). */
gboolean    easel_store_add_pending_response    (EaselStore         *self,
                                                 const char         *response_id,
                                                 const char         *base_url,
                                                 const EaselRequest *request,
                                                 gint64              conversation_id,
                                                 gint64              turn_id,
                                                 GError            **error);
/* Removing a row that is not there is not an error. */
gboolean    easel_store_remove_pending_response (EaselStore *self,
                                                 const char *response_id,
                                                 GError    **error);
/* Oldest first, at most @limit (0: 100) rows; @base_url NULL: any server,
 * else only that server's (compared without trailing slashes). */
GPtrArray  *easel_store_list_pending_responses  (EaselStore *self,
                                                 const char *base_url,
                                                 guint       limit,
                                                 GError    **error);
/* NOT_FOUND when there is no such row. */
EaselPendingResponse *easel_store_get_pending_response (EaselStore *self,
                                                        const char *response_id,
                                                        GError    **error);
/* The turn's request from the row's parameters, for recording its answer.
 * Input images the library did not keep are left out (the row then hashes
 * unlike the original). INVALID when the row has no usable parameters. */
EaselRequest *easel_store_rebuild_pending_request (EaselStore                 *self,
                                                   const EaselPendingResponse *pending,
                                                   GError                    **error);

/* Export: PNG (with iTXt metadata), JPEG or WebP via GdkPixbuf; @quality
 * 0-100 for lossy formats (-1 = 90). Written atomically to @dest. */
gboolean    easel_store_export        (EaselStore        *self,
                                       gint64             id,
                                       GFile             *dest,
                                       EaselExportFormat  format,
                                       int                quality,
                                       GError           **error);
void        easel_store_export_async  (EaselStore        *self,
                                       gint64             id,
                                       GFile             *dest,
                                       EaselExportFormat  format,
                                       int                quality,
                                       GCancellable      *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer           user_data);
gboolean    easel_store_export_finish (EaselStore        *self,
                                       GAsyncResult      *result,
                                       GError           **error);

/* Import: reads the easel: iTXt metadata of a PNG exported by Easel and
 * recreates the conversation, turn and generation so it can be continued.
 * The imported row's request_hash is NULL: a file's claim is never trusted
 * as a cache key. Returns the new generation. INVALID for a PNG without
 * Easel metadata. */
EaselGeneration *easel_store_import (EaselStore *self, GFile *png, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EaselStoreQuery, easel_store_query_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EaselSpend, easel_spend_free)

G_END_DECLS
