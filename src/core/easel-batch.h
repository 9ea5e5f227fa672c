/* easel-batch.h: image generations through the Batch API, at half price
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A job is built from lines (one EaselRequest each, validated with the
 * per-model rules), written as the JSONL of /v1/images/generations requests
 * (one custom_id per line), uploaded (/files, purpose "batch") and created
 * (/batches, completion_window "24h"). The library keeps the job and every
 * line (easel_store_add_batch), so fetching can resume: a line's images are
 * recorded in one transaction with the line's state, and a line already
 * recorded is skipped. Fetching the same job twice, or after being killed,
 * records each image exactly once.
 *
 * Everything the server sends is hostile: ids are checked before they go
 * into a URL, counts and sizes are bounded, text is stored redacted.
 *
 * Threading: the _async functions run on the caller's thread-default main
 * context; the fetch's store work (reading the downloaded file, recording)
 * runs as jobs of the EaselLibrary's worker. The easel_store_* functions
 * below block.
 *
 * Not done yet: batch edits (/v1/images/edits with file ids).
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include "easel-client.h"
#include "easel-store.h"
#include "easel-library.h"

G_BEGIN_DECLS

/* The Batch API's price, relative to the normal one. */
#define EASEL_BATCH_DISCOUNT 0.5
/* The Batch API's limit of requests per file. */
#define EASEL_BATCH_MAX_LINES 50000
/* A line of the user's input file. */
#define EASEL_BATCH_MAX_LINE_BYTES (64 * 1024)

#define EASEL_BATCH_ENDPOINT "/v1/images/generations"

/* ---------------------------------------------------------------------------
 * Building a job
 */
typedef struct
{
  guint         line_no;    /* 1-based line of the input */
  char         *custom_id;  /* "line-<line_no>" */
  EaselRequest *request;    /* generations, not streamed */
} EaselBatchEntry;

void easel_batch_entry_free (EaselBatchEntry *self);

/* One request object of a JSONL input line: "prompt" (required), "model",
 * "n", "size", "quality", "background", "output_format",
 * "output_compression", "moderation", "user", "style"; other members are
 * refused. Unset members come from @defaults (nullable). Not validated. */
EaselRequest *easel_batch_request_from_json (JsonObject          *object,
                                             const EaselRequest  *defaults,
                                             GError             **error);

/* Parses the user's input: one prompt per line, or one JSON request object
 * per line (a line starting with '{'). Blank lines are skipped. Every
 * request is validated (easel_request_validate); the first bad line fails
 * the whole input with "line N: …" (G_IO_ERROR_INVALID_DATA). Returns
 * EaselBatchEntry*. */
/* The same entries from requests a caller built (Compare's cells): each
 * made a non-streamed generation and validated as a line is; custom_id
 * "line-N" in order. Requests with input images or a mask are refused
 * (G_IO_ERROR_NOT_SUPPORTED): batch edits are not supported yet. */
GPtrArray    *easel_batch_entries_from_requests (const EaselRequest * const *requests,
                                                 guint                       n_requests,
                                                 GError                    **error);
GPtrArray    *easel_batch_parse_input       (const char          *text,
                                             gsize                length,
                                             const EaselRequest  *defaults,
                                             GError             **error);

/* The JSONL upload: {"custom_id","method":"POST","url":EASEL_BATCH_ENDPOINT,"body"}. */
GBytes       *easel_batch_build_jsonl       (GPtrArray           *entries,
                                             GError             **error);

/* The sum of the entries' estimates at the batch price and at the full
 * price; @known FALSE when a line could not be priced exactly. */
void          easel_batch_estimate          (GPtrArray           *entries,
                                             double              *batch_usd,
                                             double              *full_usd,
                                             gboolean            *known);

/* ---------------------------------------------------------------------------
 * The server's Batch object
 */
typedef struct
{
  char   *id;
  char   *status;          /* validating, failed, in_progress, finalizing, completed,
                            * expired, cancelling, cancelled */
  char   *input_file_id;
  char   *output_file_id;  /* NULL until there is one */
  char   *error_file_id;
  gint64  n_total;
  gint64  n_completed;
  gint64  n_failed;
  char   *error_message;   /* the first of errors.data, redacted */
  gint64  created_at;
} EaselBatchInfo;

/* NULL with EASEL_API_ERROR_BAD_RESPONSE unless @node is a Batch with a safe id. */
EaselBatchInfo *easel_batch_info_new_from_json (JsonNode             *node,
                                                GError              **error);
void            easel_batch_info_free          (EaselBatchInfo       *self);
/* completed, failed, expired, cancelled: nothing will change any more. */
gboolean        easel_batch_status_is_terminal (const char           *status);

/* Uploads @jsonl (purpose "batch") and creates the batch. */
void            easel_batch_submit_async       (EaselClient          *client,
                                                GBytes               *jsonl,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
EaselBatchInfo *easel_batch_submit_finish      (EaselClient          *client,
                                                GAsyncResult         *result,
                                                GError              **error);
/* The two halves of submit, so the job can be recorded in between:
 * POST /files (purpose "batch") returns the file id; POST /batches. */
void            easel_batch_upload_async       (EaselClient          *client,
                                                GBytes               *jsonl,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
char           *easel_batch_upload_finish      (EaselClient          *client,
                                                GAsyncResult         *result,
                                                GError              **error);
void            easel_batch_create_async       (EaselClient          *client,
                                                const char           *input_file_id,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
EaselBatchInfo *easel_batch_create_finish      (EaselClient          *client,
                                                GAsyncResult         *result,
                                                GError              **error);
/* GET /batches (the newest 100): EaselBatchInfo*. Finds the batch of a job
 * whose submit was interrupted after the create was sent. */
void            easel_batch_list_async         (EaselClient          *client,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
GPtrArray      *easel_batch_list_finish        (EaselClient          *client,
                                                GAsyncResult         *result,
                                                GError              **error);
/* GET /batches/{id}. */
void            easel_batch_retrieve_async     (EaselClient          *client,
                                                const char           *batch_id,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
EaselBatchInfo *easel_batch_retrieve_finish    (EaselClient          *client,
                                                GAsyncResult         *result,
                                                GError              **error);
/* POST /batches/{id}/cancel. */
void            easel_batch_cancel_async       (EaselClient          *client,
                                                const char           *batch_id,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
EaselBatchInfo *easel_batch_cancel_finish      (EaselClient          *client,
                                                GAsyncResult         *result,
                                                GError              **error);

/* ---------------------------------------------------------------------------
 * The job in the library. The store functions block: the window calls them
 * through easel_library_run_async(), the CLI from its own thread.
 */
typedef struct
{
  gint64  id;              /* the library's row */
  char   *batch_id;        /* NULL while "submitting" */
  char   *base_url;
  char   *status;
  char   *input_file_id;
  char   *output_file_id;
  char   *error_file_id;
  gint64  n_total;         /* as the server last said */
  gint64  n_completed;
  gint64  n_failed;
  double  estimated_usd;   /* at the batch price; -1 unknown */
  double  full_usd;        /* the same lines at the normal price */
  char   *error_message;
  gint64  created;
  gint64  updated;
  gboolean fetched;        /* every line of the output and error files is recorded */
  guint   n_lines;         /* from the library */
  guint   n_lines_ok;
  guint   n_lines_failed;
  double  actual_usd;      /* sum over the recorded rows, batch price; -1 none */
} EaselBatchJob;

void           easel_batch_job_free        (EaselBatchJob *self);

/* Records a job with its lines: one the server created (@info), or one
 * whose file is uploaded but whose batch is not created yet (@info NULL,
 * @input_file_id set: status "submitting", no batch_id until
 * easel_store_set_batch_created()). Returns the row id. */
gint64         easel_store_add_batch       (EaselStore           *self,
                                            const EaselBatchInfo *info,
                                            const char           *input_file_id,
                                            const char           *base_url,
                                            GPtrArray            *entries,
                                            double                estimated_usd,
                                            double                full_usd,
                                            GError              **error);
/* The batch of "submitting" job @id was created (@info). */
gboolean       easel_store_set_batch_created (EaselStore         *self,
                                            gint64                id,
                                            const EaselBatchInfo *info,
                                            GError              **error);
/* Forgets a "submitting" job whose create was refused. */
gboolean       easel_store_delete_batch    (EaselStore           *self,
                                            gint64                id,
                                            GError              **error);
/* Status, counts and file ids from the server. */
gboolean       easel_store_update_batch    (EaselStore           *self,
                                            const EaselBatchInfo *info,
                                            GError              **error);
gboolean       easel_store_set_batch_fetched (EaselStore         *self,
                                            gint64                id,
                                            GError              **error);
/* NOT_FOUND when the library has no such job. */
EaselBatchJob *easel_store_get_batch       (EaselStore           *self,
                                            const char           *batch_id,
                                            GError              **error);
/* Newest first. EaselBatchJob*. */
GPtrArray     *easel_store_list_batches    (EaselStore           *self,
                                            GError              **error);
/* Records the outcome of line @custom_id of job @id: @result's images, or a
 * failed row for @line_error, at the batch price, with the line's prompt
 * and parameters. Returns 1 when recorded, 0 when the line was recorded
 * before (or the job has no such line: nothing is written), -1 on error. */
int            easel_store_record_batch_line (EaselStore         *self,
                                            gint64                id,
                                            const char           *custom_id,
                                            const EaselResult    *result,
                                            const GError         *line_error,
                                            GError              **error);

/* The custom_ids of job @id's lines not recorded yet, in line order. */
GStrv          easel_store_list_pending_batch_lines (EaselStore  *self,
                                            gint64                id,
                                            GError              **error);

typedef struct
{
  char   *custom_id;
  int     index;            /* the image of the line */
  char   *path;             /* the image file in the library */
  char   *format;
} EaselBatchImage;

void           easel_batch_image_free      (EaselBatchImage *self);
/* Every image recorded for job @id, by custom_id then index. */
GPtrArray     *easel_store_list_batch_images (EaselStore         *self,
                                            gint64                id,
                                            GError              **error);

/* ---------------------------------------------------------------------------
 * Submitting into the library
 */
/* Submits a job and records it in @library (its one writer): uploads
 * @jsonl, records the job as "submitting" with @entries (so fetching can
 * resume and an interrupted submit is found again by its file), creates
 * the batch (sent once: not cancelled and never sent again once it left),
 * and records it as created. Returns the recorded job; @info (optional)
 * gets the server's batch whenever it was created, also when recording it
 * then failed (the error names its id). A create the server refused (4xx)
 * forgets the job; any other failure of the create sets @maybe_created: the
 * job stays "submitting" for a listing (easel_batch_list_async) to find. */
void            easel_batch_submit_to_library_async  (EaselClient          *client,
                                                      EaselLibrary         *library,
                                                      GPtrArray            *entries,
                                                      GBytes               *jsonl,
                                                      double                batch_usd,
                                                      double                full_usd,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
EaselBatchJob  *easel_batch_submit_to_library_finish (EaselClient          *client,
                                                      GAsyncResult         *result,
                                                      EaselBatchInfo      **info,
                                                      gboolean             *maybe_created,
                                                      GError              **error);

/* Finds on the server (GET /batches) the batches of jobs whose submit was
 * interrupted after the create ("submitting": an input file, no batch id),
 * by that file, and records them. Returns the jobs recorded
 * (EaselBatchJob*, maybe none); the server is not asked when no job was
 * interrupted. */
void            easel_batch_recover_submits_async  (EaselClient          *client,
                                                    EaselLibrary         *library,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
GPtrArray      *easel_batch_recover_submits_finish (EaselClient          *client,
                                                    GAsyncResult         *result,
                                                    GError              **error);

/* ---------------------------------------------------------------------------
 * Fetching
 */
typedef struct
{
  guint n_images;     /* recorded by this call */
  guint n_failed;     /* failed lines recorded by this call */
  guint n_skipped;    /* lines already in the library, or naming no line of the job */
  guint n_bad;        /* output lines that could not be read */
  guint n_missing;    /* lines the finished job gave no result for: recorded as failed */
} EaselBatchFetchStats;

/* Downloads the job's output and error files (kept under
 * <library>/batches/ once complete, so an interrupted import never downloads
 * them again) and records every line not recorded yet, on @library's worker
 * (its one writer). The job must be in the library and its server status
 * terminal (else G_IO_ERROR_PENDING). Marks it fetched when done; a job
 * fetched before is not downloaded again. Cancelling stops between lines. */
void                  easel_batch_fetch_async  (EaselClient          *client,
                                                EaselLibrary         *library,
                                                const char           *batch_id,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
EaselBatchFetchStats *easel_batch_fetch_finish (EaselClient          *client,
                                                GAsyncResult         *result,
                                                GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EaselBatchEntry, easel_batch_entry_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EaselBatchInfo, easel_batch_info_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EaselBatchJob, easel_batch_job_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EaselBatchImage, easel_batch_image_free)

G_END_DECLS
