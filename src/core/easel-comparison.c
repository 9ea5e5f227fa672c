/* easel-comparison.c: Compare — one prompt across models × qualities (× sizes)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-comparison"

#include "config.h"

#include "easel-comparison-private.h"
#include "easel-models.h"

/* ------------------------------------------------------------------------- */
/* EaselComparison */

struct _EaselComparison
{
  GObject          parent_instance;

  EaselRequest    *base;
  GListStore      *cells;
  guint            n_columns;
  guint            max_concurrent;
  gint64           id;
  gboolean         running;
  gboolean         ran;
  guint            n_finished;

  /* While running */
  GTask           *task;
  EaselClient     *client;
  EaselLibrary    *library;
  char            *base_url;
  guint            next;             /* the next cell to send */
  guint            n_in_flight;      /* sent, or being recorded */
};

G_DEFINE_FINAL_TYPE (EaselComparison, easel_comparison, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_MAX_CONCURRENT,
  PROP_ID,
  PROP_RUNNING,
  PROP_N_FINISHED,
  PROP_ACTUAL_USD,
  N_PROPS
};

enum {
  CELL_FINISHED,
  N_SIGNALS
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

static void
easel_comparison_finalize (GObject *object)
{
  EaselComparison *self = EASEL_COMPARISON (object);

  /* A running comparison is kept alive by its task. */
  g_assert (self->task == NULL);
  g_clear_pointer (&self->base, easel_request_free);
  g_clear_object (&self->cells);
  g_clear_object (&self->client);
  g_clear_object (&self->library);
  g_clear_pointer (&self->base_url, g_free);
  G_OBJECT_CLASS (easel_comparison_parent_class)->finalize (object);
}

static void
easel_comparison_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  EaselComparison *self = EASEL_COMPARISON (object);

  switch (prop_id)
    {
    case PROP_MAX_CONCURRENT: g_value_set_uint (value, self->max_concurrent); break;
    case PROP_ID:             g_value_set_int64 (value, self->id); break;
    case PROP_RUNNING:        g_value_set_boolean (value, self->running); break;
    case PROP_N_FINISHED:     g_value_set_uint (value, self->n_finished); break;
    case PROP_ACTUAL_USD:     g_value_set_double (value, easel_comparison_get_actual_usd (self)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_comparison_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  EaselComparison *self = EASEL_COMPARISON (object);

  switch (prop_id)
    {
    case PROP_MAX_CONCURRENT: easel_comparison_set_max_concurrent (self, g_value_get_uint (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
easel_comparison_class_init (EaselComparisonClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = easel_comparison_finalize;
  object_class->get_property = easel_comparison_get_property;
  object_class->set_property = easel_comparison_set_property;

  props[PROP_MAX_CONCURRENT] = g_param_spec_uint ("max-concurrent", NULL, NULL, 1, 8,
                                                  EASEL_COMPARISON_DEFAULT_CONCURRENCY,
                                                  G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  props[PROP_ID] = g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0, ro);
  props[PROP_RUNNING] = g_param_spec_boolean ("running", NULL, NULL, FALSE, ro);
  props[PROP_N_FINISHED] = g_param_spec_uint ("n-finished", NULL, NULL, 0, G_MAXUINT, 0, ro);
  props[PROP_ACTUAL_USD] = g_param_spec_double ("actual-usd", NULL, NULL, 0, G_MAXDOUBLE, 0, ro);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[CELL_FINISHED] = g_signal_new ("cell-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 1, EASEL_TYPE_COMPARISON_CELL);
}

static void
easel_comparison_init (EaselComparison *self)
{
  self->cells = g_list_store_new (EASEL_TYPE_COMPARISON_CELL);
  self->max_concurrent = EASEL_COMPARISON_DEFAULT_CONCURRENCY;
}

static gboolean
strv_empty (const char * const *strv)
{
  return strv == NULL || strv[0] == NULL;
}


EaselComparison *
easel_comparison_new (const EaselRequest *base,
                      const char * const *models,
                      const char * const *qualities,
                      const char * const *sizes,
                      gboolean            allow_retired,
                      GError            **error)
{
  g_autoptr(EaselComparison) self = NULL;
  const char * const no_sizes[] = { NULL, NULL };
  guint n_models, n_qualities, n_sizes, index = 0;

  g_return_val_if_fail (base != NULL, NULL);

  if (strv_empty (models) || strv_empty (qualities))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "A comparison needs at least one model and one quality");
      return NULL;
    }
  if (base->api != EASEL_API_IMAGES_GENERATE && base->api != EASEL_API_IMAGES_EDIT)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "A comparison sends image generations or edits only");
      return NULL;
    }
  n_models = g_strv_length ((char **) models);
  n_qualities = g_strv_length ((char **) qualities);
  n_sizes = strv_empty (sizes) ? 1 : g_strv_length ((char **) sizes);
  if ((guint64) n_models * n_qualities * n_sizes > EASEL_COMPARISON_MAX_CELLS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "A comparison of %u cells is too large (at most %u)",
                   n_models * n_qualities * n_sizes, EASEL_COMPARISON_MAX_CELLS);
      return NULL;
    }
  if (strv_empty (sizes))
    sizes = no_sizes;

  self = g_object_new (EASEL_TYPE_COMPARISON, NULL);
  self->base = easel_request_copy (base);
  self->n_columns = n_qualities * n_sizes;

  for (guint m = 0; m < n_models; m++)
    for (guint q = 0; q < n_qualities; q++)
      for (guint s = 0; s < n_sizes; s++)
        {
          g_autoptr(EaselComparisonCell) cell = _easel_comparison_cell_new (base, index++, models[m], qualities[q],
                                                                            sizes[s], n_sizes > 1);
          g_autoptr(GError) local_error = NULL;

          if (!easel_request_validate (cell->request, &local_error) ||
              (!allow_retired && !easel_request_check_retired (cell->request, NULL, &local_error)))
            {
              g_set_error (error, local_error->domain, local_error->code, "%s: %s",
                           cell->label, local_error->message);
              return NULL;
            }
          g_list_store_append (self->cells, cell);
        }

  return g_steal_pointer (&self);
}

const EaselRequest *
easel_comparison_get_base (EaselComparison *self)
{
  g_return_val_if_fail (EASEL_IS_COMPARISON (self), NULL);
  return self->base;
}

GListModel *
easel_comparison_get_cells (EaselComparison *self)
{
  g_return_val_if_fail (EASEL_IS_COMPARISON (self), NULL);
  return G_LIST_MODEL (self->cells);
}

guint
easel_comparison_get_n_cells (EaselComparison *self)
{
  g_return_val_if_fail (EASEL_IS_COMPARISON (self), 0);
  return g_list_model_get_n_items (G_LIST_MODEL (self->cells));
}

/* Borrowed: the list keeps the cell. */
EaselComparisonCell *
easel_comparison_get_cell (EaselComparison *self,
                           guint            index)
{
  EaselComparisonCell *cell;

  g_return_val_if_fail (EASEL_IS_COMPARISON (self), NULL);
  cell = g_list_model_get_item (G_LIST_MODEL (self->cells), index);
  if (cell != NULL)
    g_object_unref (cell);
  return cell;
}

guint
easel_comparison_get_n_columns (EaselComparison *self)
{
  g_return_val_if_fail (EASEL_IS_COMPARISON (self), 1);
  return self->n_columns;
}

double
easel_comparison_get_estimate_usd (EaselComparison *self,
                                   gboolean        *known)
{
  double total = 0;
  gboolean all_known = TRUE;

  g_return_val_if_fail (EASEL_IS_COMPARISON (self), -1);

  for (guint i = 0; i < easel_comparison_get_n_cells (self); i++)
    {
      EaselComparisonCell *cell = easel_comparison_get_cell (self, i);

      if (cell->estimate.usd >= 0)
        total += cell->estimate.usd;
      all_known = all_known && cell->estimate.known;
    }
  if (known != NULL)
    *known = all_known;
  return total;
}

double
easel_comparison_get_actual_usd (EaselComparison *self)
{
  double total = 0;

  g_return_val_if_fail (EASEL_IS_COMPARISON (self), 0);

  for (guint i = 0; i < easel_comparison_get_n_cells (self); i++)
    {
      EaselComparisonCell *cell = easel_comparison_get_cell (self, i);

      if (cell->actual_usd > 0)
        total += cell->actual_usd;
    }
  return total;
}

guint
easel_comparison_get_max_concurrent (EaselComparison *self)
{
  g_return_val_if_fail (EASEL_IS_COMPARISON (self), 1);
  return self->max_concurrent;
}

void
easel_comparison_set_max_concurrent (EaselComparison *self,
                                     guint            max_concurrent)
{
  g_return_if_fail (EASEL_IS_COMPARISON (self));

  max_concurrent = CLAMP (max_concurrent, 1, 8);
  if (self->max_concurrent == max_concurrent)
    return;
  self->max_concurrent = max_concurrent;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_MAX_CONCURRENT]);
}

gint64
easel_comparison_get_id (EaselComparison *self)
{
  g_return_val_if_fail (EASEL_IS_COMPARISON (self), 0);
  return self->id;
}

gboolean
easel_comparison_get_running (EaselComparison *self)
{
  g_return_val_if_fail (EASEL_IS_COMPARISON (self), FALSE);
  return self->running;
}

guint
easel_comparison_get_n_finished (EaselComparison *self)
{
  g_return_val_if_fail (EASEL_IS_COMPARISON (self), 0);
  return self->n_finished;
}

/* ---- running ------------------------------------------------------------ */

static void start_next (EaselComparison *self);

static void
set_running (EaselComparison *self,
             gboolean         running)
{
  if (self->running == running)
    return;
  self->running = running;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_RUNNING]);
}

/* Every cell ended and was recorded: the run is over. */
static void
maybe_complete (EaselComparison *self)
{
  g_autoptr(GTask) task = NULL;
  GCancellable *cancellable;

  if (self->task == NULL || self->n_in_flight > 0)
    return;
  cancellable = g_task_get_cancellable (self->task);
  if (self->next < easel_comparison_get_n_cells (self) && !g_cancellable_is_cancelled (cancellable))
    return;

  task = g_steal_pointer (&self->task);
  /* Cells never sent: cancelled. */
  for (; self->next < easel_comparison_get_n_cells (self); self->next++)
    {
      EaselComparisonCell *cell = easel_comparison_get_cell (self, self->next);

      _easel_comparison_cell_cancel (cell);
      self->n_finished++;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_N_FINISHED]);
      g_signal_emit (self, signals[CELL_FINISHED], 0, cell);
    }
  g_clear_object (&self->client);
  g_clear_object (&self->library);
  set_running (self, FALSE);
  if (g_cancellable_is_cancelled (cancellable))
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The comparison was cancelled");
  else
    g_task_return_boolean (task, TRUE);
}

static void
cell_ended (EaselComparison     *self,
            EaselComparisonCell *cell)
{
  self->n_finished++;
  self->n_in_flight--;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_N_FINISHED]);
  g_signal_emit (self, signals[CELL_FINISHED], 0, cell);
  start_next (self);
  maybe_complete (self);
}

typedef struct
{
  gint64              comparison;
  guint               cell;
  EaselRequest       *request;
  EaselResult        *result;
  GError             *error;
  char               *base_url;
  double              estimated_usd;
} RecordJob;

static void
record_job_free (RecordJob *job)
{
  g_clear_pointer (&job->request, easel_request_free);
  g_clear_pointer (&job->result, easel_result_free);
  g_clear_error (&job->error);
  g_free (job->base_url);
  g_free (job);
}

static gpointer
record_cell_func (EaselStore  *store,
                  gpointer     data,
                  GError     **error)
{
  RecordJob *job = data;
  EaselRecordOptions options = {
    .estimated_usd = job->estimated_usd,
    .base_url = job->base_url,
  };

  return easel_store_record_comparison_cell (store, job->comparison, job->cell, job->request,
                                             job->result, job->error, &options, error);
}

typedef struct
{
  EaselComparison     *self;
  EaselComparisonCell *cell;
} CellOp;

static void
cell_op_free (CellOp *op)
{
  g_clear_object (&op->self);
  g_clear_object (&op->cell);
  g_free (op);
}

static CellOp *
cell_op_new (EaselComparison     *self,
             EaselComparisonCell *cell)
{
  CellOp *op = g_new0 (CellOp, 1);

  op->self = g_object_ref (self);
  op->cell = g_object_ref (cell);
  return op;
}

static void
recorded_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  CellOp *op = user_data;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;

  rows = easel_library_run_finish (EASEL_LIBRARY (source), result, &error);
  if (rows == NULL)
    g_warning ("The library could not record cell %u of comparison %" G_GINT64_FORMAT ": %s",
               op->cell->index, op->self->id, error->message);
  else if (rows->len > 0)
    {
      EaselGeneration *row = rows->pdata[0];

      _easel_comparison_cell_set_recorded (op->cell, row->id, row->path);
    }
  cell_ended (op->self, op->cell);
  cell_op_free (op);
}

static void
on_event (const EaselEvent *event,
          gpointer          user_data)
{
  EaselComparisonCell *cell = user_data;

  if (event->kind != EASEL_EVENT_PARTIAL_IMAGE || event->image == NULL)
    return;
  _easel_comparison_cell_add_partial (cell, event->image);
}

static void
sent_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  CellOp *op = user_data;
  EaselComparisonCell *cell = op->cell;
  EaselComparison *self = op->self;
  g_autoptr(EaselResult) answer = NULL;
  g_autoptr(GError) error = NULL;

  answer = easel_client_send_finish (EASEL_CLIENT (source), result, &error);
  _easel_comparison_cell_finish (cell, answer, error);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_ACTUAL_USD]);

  if (self->library != NULL && self->id > 0)
    {
      RecordJob *job = g_new0 (RecordJob, 1);

      job->comparison = self->id;
      job->cell = cell->index;
      job->request = easel_request_copy (cell->request);
      job->result = answer ? easel_result_copy (answer) : NULL;
      job->error = error ? g_error_copy (error) : NULL;
      job->base_url = g_strdup (self->base_url);
      job->estimated_usd = cell->estimate.usd;
      /* Writes are never cancelled half way: no cancellable. */
      easel_library_run_async (self->library, record_cell_func, job, (GDestroyNotify) record_job_free,
                               (GDestroyNotify) g_ptr_array_unref, NULL, recorded_cb, op);
      return;
    }

  cell_ended (self, cell);
  cell_op_free (op);
}

static void
start_next (EaselComparison *self)
{
  GCancellable *cancellable;

  if (self->task == NULL)
    return;
  cancellable = g_task_get_cancellable (self->task);
  while (self->n_in_flight < self->max_concurrent &&
         self->next < easel_comparison_get_n_cells (self) &&
         !g_cancellable_is_cancelled (cancellable))
    {
      EaselComparisonCell *cell = easel_comparison_get_cell (self, self->next++);

      self->n_in_flight++;
      _easel_comparison_cell_start (cell);
      easel_client_send_async (self->client, cell->request, on_event, g_object_ref (cell), g_object_unref,
                               cancellable, sent_cb, cell_op_new (self, cell));
    }
}

typedef struct
{
  char   *prompt;
  guint   n_cells;
  double  estimated_usd;
} AddJob;

static void
add_job_free (AddJob *job)
{
  g_free (job->prompt);
  g_free (job);
}

static gpointer
add_comparison_func (EaselStore  *store,
                     gpointer     data,
                     GError     **error)
{
  AddJob *job = data;
  gint64 id = easel_store_add_comparison (store, job->prompt, job->n_cells, job->estimated_usd, error);

  return id > 0 ? g_memdup2 (&id, sizeof id) : NULL;
}

static void
added_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(EaselComparison) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree gint64 *id = easel_library_run_finish (EASEL_LIBRARY (source), result, &error);

  if (id == NULL)
    {
      g_autoptr(GTask) task = g_steal_pointer (&self->task);

      g_clear_object (&self->client);
      g_clear_object (&self->library);
      set_running (self, FALSE);
      g_prefix_error (&error, "The library cannot record the comparison, nothing was sent: ");
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  self->id = *id;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_ID]);
  start_next (self);
  maybe_complete (self);
}

void
easel_comparison_run_async (EaselComparison     *self,
                            EaselClient         *client,
                            EaselLibrary        *library,
                            const char          *base_url,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (EASEL_IS_COMPARISON (self));
  g_return_if_fail (EASEL_IS_CLIENT (client));
  g_return_if_fail (library == NULL || EASEL_IS_LIBRARY (library));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, easel_comparison_run_async);
  if (self->ran)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_BUSY, "A comparison runs only once");
      return;
    }
  self->ran = TRUE;
  /* The task keeps the comparison alive until every cell ended. */
  g_task_set_task_data (task, g_object_ref (self), g_object_unref);
  self->task = g_steal_pointer (&task);
  self->client = g_object_ref (client);
  self->library = library ? g_object_ref (library) : NULL;
  self->base_url = g_strdup (base_url);
  set_running (self, TRUE);

  if (library != NULL)
    {
      AddJob *job = g_new0 (AddJob, 1);

      job->prompt = g_strdup (self->base->prompt);
      job->n_cells = easel_comparison_get_n_cells (self);
      job->estimated_usd = easel_comparison_get_estimate_usd (self, NULL);
      easel_library_run_async (library, add_comparison_func, job, (GDestroyNotify) add_job_free,
                               g_free, NULL, added_cb, g_object_ref (self));
      return;
    }

  start_next (self);
  maybe_complete (self);
}

gboolean
easel_comparison_run_finish (EaselComparison  *self,
                             GAsyncResult     *result,
                             GError          **error)
{
  g_return_val_if_fail (EASEL_IS_COMPARISON (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == easel_comparison_run_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
