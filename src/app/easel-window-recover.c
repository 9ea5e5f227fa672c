/* easel-window-recover.c: images of turns that were still running on the
 * server when the app last stopped
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A Responses turn sent in background mode is listed in the library from
 * response.created until it is recorded (easel-session-library.c). Once
 * the library is open and a key is known, the first window fetches what
 * is still listed for its server with GET /responses/{id} (no second
 * request, nothing paid twice) and records it in the library.
 */

#define G_LOG_DOMAIN "easel-window"

#include "config.h"

#include <glib/gi18n.h>

#include "easel-window-private.h"

/* Fetched per start; the rest waits for the next one. */
#define MAX_RECOVER 3

typedef struct
{
  GWeakRef   window;
  GPtrArray *pending;     /* EaselPendingResponse* */
  guint      next;
  guint      n_fetched;
} Recover;

static void
recover_free (Recover *recover)
{
  g_weak_ref_clear (&recover->window);
  g_clear_pointer (&recover->pending, g_ptr_array_unref);
  g_free (recover);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Recover, recover_free)

static void recover_next (Recover *recover);

/* ---- worker jobs -------------------------------------------------------- */

static gpointer
list_pending_job (EaselStore  *store,
                  gpointer     data,
                  GError     **error)
{
  return easel_store_list_pending_responses (store, data, MAX_RECOVER, error);
}

typedef struct
{
  EaselPendingResponse *pending;   /* borrowed from Recover, which outlives the job */
  EaselResult          *result;    /* NULL: only unlist */
  char                 *base_url;
} RecordJob;

static void
record_job_free (gpointer data)
{
  RecordJob *job = data;

  g_clear_pointer (&job->result, easel_result_free);
  g_free (job->base_url);
  g_free (job);
}

static gpointer
record_job (EaselStore  *store,
            gpointer     data,
            GError     **error)
{
  RecordJob *job = data;
  g_autoptr(EaselRequest) request = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  EaselRecordOptions options = { .estimated_usd = -1, .base_url = job->base_url };

  if (job->result != NULL)
    {
      if (!(request = easel_store_rebuild_pending_request (store, job->pending, error)) ||
          !(rows = easel_store_record (store, request, job->result, NULL, &options, error)))
        return NULL;
    }
  if (!easel_store_remove_pending_response (store, job->pending->response_id, error))
    return NULL;
  return GUINT_TO_POINTER (rows != NULL ? MAX (rows->len, 1) : 1);
}

/* ---- main thread --------------------------------------------------------- */

static gboolean
may_still_finish (const GError *error)
{
  return g_error_matches (error, EASEL_API_ERROR, EASEL_API_ERROR_NETWORK) ||
         g_error_matches (error, EASEL_API_ERROR, EASEL_API_ERROR_TRUNCATED) ||
         g_error_matches (error, EASEL_API_ERROR, EASEL_API_ERROR_TIMEOUT) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
recorded_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Recover *recover = user_data;
  g_autoptr(GError) error = NULL;

  if (easel_library_run_finish (EASEL_LIBRARY (object), result, &error) == NULL)
    g_warning ("Could not record an earlier turn: %s", error->message);

  recover->next++;
  recover_next (recover);
}

static void
resumed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Recover *recover = user_data;
  g_autoptr(EaselWindow) self = g_weak_ref_get (&recover->window);
  EaselPendingResponse *pending = g_ptr_array_index (recover->pending, recover->next);
  g_autoptr(EaselResult) res = NULL;
  g_autoptr(GError) error = NULL;
  RecordJob *job;

  res = easel_client_resume_finish (EASEL_CLIENT (object), result, &error);

  if (self == NULL || (res == NULL && may_still_finish (error)))
    {
      /* Still listed: the next start tries again. */
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Earlier turn %s not fetched: %s", pending->response_id, error->message);
      if (self == NULL)
        {
          recover_free (recover);
          return;
        }
      recover->next++;
      recover_next (recover);
      return;
    }

  if (res != NULL && res->images != NULL && res->images->len > 0)
    recover->n_fetched++;
  else if (res == NULL)
    g_debug ("Earlier turn %s ended without an image: %s", pending->response_id, error->message);

  job = g_new0 (RecordJob, 1);
  job->pending = pending;
  job->result = g_steal_pointer (&res);
  job->base_url = g_strdup (easel_client_get_base_url (self->client));
  easel_library_run_async (self->library, record_job, job, record_job_free, NULL,
                           NULL, recorded_cb, recover);
}

static void
recover_next (Recover *recover)
{
  g_autoptr(EaselWindow) self = g_weak_ref_get (&recover->window);
  EaselPendingResponse *pending;

  if (self == NULL)
    {
      recover_free (recover);
      return;
    }

  if (recover->next >= recover->pending->len)
    {
      if (recover->n_fetched > 0)
        {
          g_autofree char *message =
            g_strdup_printf (ngettext ("Fetched %u image from an earlier session into the gallery",
                                       "Fetched %u images from an earlier session into the gallery",
                                       recover->n_fetched), recover->n_fetched);
          easel_window_toast (self, message);
        }
      recover_free (recover);
      return;
    }

  pending = g_ptr_array_index (recover->pending, recover->next);
  easel_client_resume_async (self->client, pending->response_id, -1, NULL, NULL, NULL,
                             self->cancellable, resumed_cb, recover);
}

static void
listed_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(Recover) recover = user_data;
  g_autoptr(GError) error = NULL;

  recover->pending = easel_library_run_finish (EASEL_LIBRARY (object), result, &error);
  if (recover->pending == NULL)
    {
      /* Closed or reset meanwhile, or broken: the window shows the
       * library's own state; the turns are read at the next start. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("Could not read the turns in progress from the library: %s", error->message);
      return;
    }
  if (recover->pending->len == 0)
    return;
  recover_next (g_steal_pointer (&recover));
}

void
_easel_window_recover_pending (EaselWindow *self)
{
  Recover *recover;

  g_return_if_fail (EASEL_IS_WINDOW (self));

  if (self->pending_recovered || !_easel_window_library_ready (self) ||
      !easel_client_has_api_key (self->client))
    return;
  self->pending_recovered = TRUE;

  recover = g_new0 (Recover, 1);
  g_weak_ref_init (&recover->window, self);
  easel_library_run_async (self->library, list_pending_job,
                           g_strdup (easel_client_get_base_url (self->client)), g_free,
                           (GDestroyNotify) g_ptr_array_unref, self->cancellable, listed_cb, recover);
}
