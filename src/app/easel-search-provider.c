/* easel-search-provider.c: GNOME Shell's search over the library
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Shell asks for result ids as the user types, then for their names
 * and icons, and says which one was picked. Every question is answered
 * from the library's worker (the store is never read on the main loop);
 * the method invocation waits in the job's callback. Prompts come from a
 * server or from an imported file: they are escaped before the Shell
 * shows them.
 */

#define G_LOG_DOMAIN "easel-search-provider"

#include "config.h"

#include <glib/gi18n.h>

#include "easel-search-provider.h"
#include "easel-text.h"
#include "easel-thumbnailer.h"

#define MAX_RESULTS 20
#define MAX_NAME_CHARS 200

struct _EaselSearchProvider
{
  GObject parent_instance;

  GApplication *application;   /* unowned: the application owns the provider */
  EaselLibrary *library;
  char *thumbnail_dir;
  GDBusConnection *connection;
  guint registration_id;
};

G_DEFINE_FINAL_TYPE (EaselSearchProvider, easel_search_provider, G_TYPE_OBJECT)

enum {
  ACTIVATE_RESULT,
  LAUNCH_SEARCH,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char search_provider_xml[] =
  "<node>"
  "  <interface name='org.gnome.Shell.SearchProvider2'>"
  "    <method name='GetInitialResultSet'>"
  "      <arg type='as' name='terms' direction='in'/>"
  "      <arg type='as' name='results' direction='out'/>"
  "    </method>"
  "    <method name='GetSubsearchResultSet'>"
  "      <arg type='as' name='previous_results' direction='in'/>"
  "      <arg type='as' name='terms' direction='in'/>"
  "      <arg type='as' name='results' direction='out'/>"
  "    </method>"
  "    <method name='GetResultMetas'>"
  "      <arg type='as' name='identifiers' direction='in'/>"
  "      <arg type='aa{sv}' name='metas' direction='out'/>"
  "    </method>"
  "    <method name='ActivateResult'>"
  "      <arg type='s' name='identifier' direction='in'/>"
  "      <arg type='as' name='terms' direction='in'/>"
  "      <arg type='u' name='timestamp' direction='in'/>"
  "    </method>"
  "    <method name='LaunchSearch'>"
  "      <arg type='as' name='terms' direction='in'/>"
  "      <arg type='u' name='timestamp' direction='in'/>"
  "    </method>"
  "  </interface>"
  "</node>";

/* A call in flight: the invocation and the application held for it. */
typedef struct
{
  EaselSearchProvider *self;
  GDBusMethodInvocation *invocation;
} Call;

static Call *
call_new (EaselSearchProvider   *self,
          GDBusMethodInvocation *invocation)
{
  Call *call = g_new0 (Call, 1);

  call->self = g_object_ref (self);
  call->invocation = g_object_ref (invocation);
  /* A D-Bus activated instance must not quit half way through an answer. */
  if (self->application != NULL)
    g_application_hold (self->application);
  return call;
}

static void
call_free (Call *call)
{
  if (call->self->application != NULL)
    g_application_release (call->self->application);
  g_clear_object (&call->invocation);
  g_clear_object (&call->self);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Call, call_free)

static gboolean
parse_id (const char *text,
          gint64     *id)
{
  guint64 value = 0;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 1, G_MAXINT64, &value, NULL))
    return FALSE;
  *id = (gint64) value;
  return TRUE;
}

/* Searching */

static gpointer
search_in_worker (EaselStore  *store,
                  gpointer     data,
                  GError     **error)
{
  g_autoptr(EaselStoreQuery) query = easel_store_query_new ();
  g_autoptr(GPtrArray) generations = NULL;
  GPtrArray *ids;

  query->text = g_strdup (data);
  query->sort = EASEL_STORE_SORT_NEWEST;
  query->limit = MAX_RESULTS;
  generations = easel_store_query (store, query, NULL, error);
  if (generations == NULL)
    return NULL;

  ids = g_ptr_array_new_full (generations->len, g_free);
  for (guint i = 0; i < generations->len; i++)
    {
      EaselGeneration *generation = g_ptr_array_index (generations, i);

      g_ptr_array_add (ids, g_strdup_printf ("%" G_GINT64_FORMAT, generation->id));
    }
  return ids;
}

static void
search_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(Call) call = user_data;
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GError) error = NULL;

  ids = easel_library_run_finish (EASEL_LIBRARY (object), result, &error);
  if (ids == NULL)
    {
      /* The Shell logs it and shows no results. */
      g_dbus_method_invocation_return_gerror (call->invocation, error);
      return;
    }
  /* An empty array's pdata may be NULL: pass the length. */
  g_dbus_method_invocation_return_value (call->invocation,
                                         g_variant_new ("(@as)", g_variant_new_strv ((const char * const *) ids->pdata,
                                                                                     ids->len)));
}

static char *
join_terms (GVariant *terms)
{
  g_autofree const char **strv = g_variant_get_strv (terms, NULL);
  g_autofree char *joined = g_strjoinv (" ", (char **) strv);

  return g_strstrip (g_steal_pointer (&joined));
}

static void
search (EaselSearchProvider   *self,
        GVariant              *terms,
        GDBusMethodInvocation *invocation)
{
  g_autofree char *text = join_terms (terms);

  if (*text == '\0')
    {
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(as)", NULL));
      return;
    }
  easel_library_run_async (self->library, search_in_worker, g_steal_pointer (&text), g_free,
                           (GDestroyNotify) g_ptr_array_unref, NULL,
                           search_done_cb, call_new (self, invocation));
}

/* Result metas */

typedef struct
{
  char **ids;
  char *thumbnail_dir;
} MetasJob;

static void
metas_job_free (MetasJob *job)
{
  g_strfreev (job->ids);
  g_free (job->thumbnail_dir);
  g_free (job);
}

typedef struct
{
  EaselGeneration *generation;
  char *icon_path;      /* the cached thumbnail, else the image itself */
} Meta;

static void
meta_free (Meta *meta)
{
  g_clear_object (&meta->generation);
  g_free (meta->icon_path);
  g_free (meta);
}

static gpointer
metas_in_worker (EaselStore  *store,
                 gpointer     data,
                 GError     **error)
{
  MetasJob *job = data;
  GPtrArray *metas = g_ptr_array_new_with_free_func ((GDestroyNotify) meta_free);

  for (guint i = 0; job->ids[i] != NULL; i++)
    {
      g_autoptr(EaselGeneration) generation = NULL;
      Meta *meta;
      gint64 id;

      /* An id the Shell kept from an earlier search may be gone by now. */
      if (!parse_id (job->ids[i], &id) ||
          !(generation = easel_store_get_generation (store, id, NULL)) ||
          generation->deleted_at != 0)
        continue;

      meta = g_new0 (Meta, 1);
      if (generation->sha256 != NULL)
        {
          g_autofree char *name = g_strdup_printf ("%s-%d.png", generation->sha256, EASEL_THUMBNAIL_SIZE);
          g_autofree char *thumbnail = g_build_filename (job->thumbnail_dir, name, NULL);

          if (g_file_test (thumbnail, G_FILE_TEST_IS_REGULAR))
            meta->icon_path = g_steal_pointer (&thumbnail);
        }
      if (meta->icon_path == NULL && generation->path != NULL)
        meta->icon_path = g_strdup (generation->path);
      meta->generation = g_steal_pointer (&generation);
      g_ptr_array_add (metas, meta);
    }
  return metas;
}

static char *
describe (EaselGeneration *generation)
{
  g_autofree char *model = easel_text_escape_untrusted (generation->model ? generation->model : "", 60);
  g_autoptr(GDateTime) created = g_date_time_new_from_unix_local (generation->created);
  g_autofree char *date = created ? g_date_time_format (created, "%x") : NULL;

  if (date == NULL)
    return g_steal_pointer (&model);
  /* Translators: a search result's description: the model, then the date. */
  return g_strdup_printf (_("%s · %s"), model, date);
}

static void
metas_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(Call) call = user_data;
  g_autoptr(GPtrArray) metas = NULL;
  g_autoptr(GError) error = NULL;
  GVariantBuilder builder;

  metas = easel_library_run_finish (EASEL_LIBRARY (object), result, &error);
  if (metas == NULL)
    {
      g_dbus_method_invocation_return_gerror (call->invocation, error);
      return;
    }

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("(aa{sv})"));
  g_variant_builder_open (&builder, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < metas->len; i++)
    {
      Meta *meta = g_ptr_array_index (metas, i);
      EaselGeneration *generation = meta->generation;
      g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, generation->id);
      /* One line in the Shell: a prompt's line breaks become spaces. */
      g_autofree char *line = g_strdelimit (g_strdup (generation->prompt ? generation->prompt : ""), "\r\n\t", ' ');
      g_autofree char *name = easel_text_escape_untrusted (line, MAX_NAME_CHARS);
      g_autofree char *description = describe (generation);

      g_variant_builder_open (&builder, G_VARIANT_TYPE ("a{sv}"));
      g_variant_builder_add (&builder, "{sv}", "id", g_variant_new_string (id));
      g_variant_builder_add (&builder, "{sv}", "name", g_variant_new_string (name));
      g_variant_builder_add (&builder, "{sv}", "description", g_variant_new_string (description));
      if (meta->icon_path != NULL)
        {
          g_autoptr(GFile) file = g_file_new_for_path (meta->icon_path);
          g_autoptr(GIcon) icon = g_file_icon_new (file);
          g_autofree char *serialized = g_icon_to_string (icon);

          if (serialized != NULL)
            g_variant_builder_add (&builder, "{sv}", "gicon", g_variant_new_string (serialized));
        }
      g_variant_builder_close (&builder);
    }
  g_variant_builder_close (&builder);
  g_dbus_method_invocation_return_value (call->invocation, g_variant_builder_end (&builder));
}

static void
get_result_metas (EaselSearchProvider   *self,
                  GVariant              *ids,
                  GDBusMethodInvocation *invocation)
{
  MetasJob *job = g_new0 (MetasJob, 1);

  job->ids = g_variant_dup_strv (ids, NULL);
  job->thumbnail_dir = g_strdup (self->thumbnail_dir);
  easel_library_run_async (self->library, metas_in_worker, job, (GDestroyNotify) metas_job_free,
                           (GDestroyNotify) g_ptr_array_unref, NULL,
                           metas_done_cb, call_new (self, invocation));
}

/* The D-Bus object */

static void
method_call_cb (GDBusConnection       *connection,
                const char            *sender,
                const char            *object_path,
                const char            *interface_name,
                const char            *method_name,
                GVariant              *parameters,
                GDBusMethodInvocation *invocation,
                gpointer               user_data)
{
  EaselSearchProvider *self = EASEL_SEARCH_PROVIDER (user_data);

  if (g_str_equal (method_name, "GetInitialResultSet"))
    {
      g_autoptr(GVariant) terms = g_variant_get_child_value (parameters, 0);

      search (self, terms, invocation);
    }
  else if (g_str_equal (method_name, "GetSubsearchResultSet"))
    {
      /* The store's search is fast enough to run again from scratch. */
      g_autoptr(GVariant) terms = g_variant_get_child_value (parameters, 1);

      search (self, terms, invocation);
    }
  else if (g_str_equal (method_name, "GetResultMetas"))
    {
      g_autoptr(GVariant) ids = g_variant_get_child_value (parameters, 0);

      get_result_metas (self, ids, invocation);
    }
  else if (g_str_equal (method_name, "ActivateResult"))
    {
      const char *identifier = NULL;
      guint32 timestamp = 0;
      gint64 id = 0;

      g_variant_get (parameters, "(&sasu)", &identifier, NULL, &timestamp);
      if (!parse_id (identifier, &id))
        {
          g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                                 "Not a result of this provider");
          return;
        }
      g_signal_emit (self, signals[ACTIVATE_RESULT], 0, id, timestamp);
      g_dbus_method_invocation_return_value (invocation, NULL);
    }
  else if (g_str_equal (method_name, "LaunchSearch"))
    {
      g_autoptr(GVariant) terms = g_variant_get_child_value (parameters, 0);
      g_autofree char *text = join_terms (terms);
      guint32 timestamp = 0;

      g_variant_get_child (parameters, 1, "u", &timestamp);
      g_signal_emit (self, signals[LAUNCH_SEARCH], 0, text, timestamp);
      g_dbus_method_invocation_return_value (invocation, NULL);
    }
  else
    g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                           "Unknown method %s", method_name);
}

static const GDBusInterfaceVTable vtable = { method_call_cb, NULL, NULL, { 0 } };

gboolean
easel_search_provider_register (EaselSearchProvider  *self,
                                GDBusConnection      *connection,
                                const char           *object_path,
                                GError              **error)
{
  static GDBusNodeInfo *node;

  g_return_val_if_fail (EASEL_IS_SEARCH_PROVIDER (self), FALSE);
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), FALSE);
  g_return_val_if_fail (object_path != NULL, FALSE);
  g_return_val_if_fail (self->registration_id == 0, FALSE);

  if (g_once_init_enter (&node))
    g_once_init_leave (&node, g_dbus_node_info_new_for_xml (search_provider_xml, NULL));

  self->registration_id = g_dbus_connection_register_object (connection, object_path, node->interfaces[0],
                                                             &vtable, self, NULL, error);
  if (self->registration_id == 0)
    return FALSE;
  g_set_object (&self->connection, connection);
  return TRUE;
}

void
easel_search_provider_unregister (EaselSearchProvider *self)
{
  g_return_if_fail (EASEL_IS_SEARCH_PROVIDER (self));

  if (self->registration_id != 0 && self->connection != NULL)
    g_dbus_connection_unregister_object (self->connection, self->registration_id);
  self->registration_id = 0;
  g_clear_object (&self->connection);
}

static void
easel_search_provider_dispose (GObject *object)
{
  EaselSearchProvider *self = (EaselSearchProvider *)object;

  easel_search_provider_unregister (self);
  g_clear_object (&self->library);

  G_OBJECT_CLASS (easel_search_provider_parent_class)->dispose (object);
}

static void
easel_search_provider_finalize (GObject *object)
{
  EaselSearchProvider *self = (EaselSearchProvider *)object;

  g_clear_pointer (&self->thumbnail_dir, g_free);

  G_OBJECT_CLASS (easel_search_provider_parent_class)->finalize (object);
}

static void
easel_search_provider_class_init (EaselSearchProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = easel_search_provider_dispose;
  object_class->finalize = easel_search_provider_finalize;

  signals[ACTIVATE_RESULT] = g_signal_new ("activate-result", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT64, G_TYPE_UINT);
  signals[LAUNCH_SEARCH] = g_signal_new ("launch-search", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_UINT);
}

static void
easel_search_provider_init (EaselSearchProvider *self)
{
}

EaselSearchProvider *
easel_search_provider_new (GApplication *application,
                           EaselLibrary *library)
{
  EaselSearchProvider *self;

  g_return_val_if_fail (application == NULL || G_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (EASEL_IS_LIBRARY (library), NULL);

  self = g_object_new (EASEL_TYPE_SEARCH_PROVIDER, NULL);
  self->application = application;
  self->library = g_object_ref (library);
  /* Read here: the thumbnailer is the main thread's. */
  self->thumbnail_dir = g_strdup (easel_thumbnailer_get_cache_dir (easel_thumbnailer_get_default ()));
  return self;
}
