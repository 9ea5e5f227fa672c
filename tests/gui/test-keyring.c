/* test-keyring.c: the API key goes to the keyring and nowhere else
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Runs the same calls Preferences makes (easel_secret_*_async) against the
 * session's Secret Service, then reads every file under $HOME looking for
 * the key. Skips when there is no Secret Service.
 */

#define G_LOG_DOMAIN "test-keyring"

#include "config.h"

#include "easel-core.h"
#include "gui-test-util.h"

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static void
got_result (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  *(GAsyncResult **)user_data = g_object_ref (result);
}

static void
test_key_round_trip (void)
{
  const char *base_url = "http://127.0.0.1:9/v1";
  g_autofree char *key = g_strdup_printf ("sk-easel-test-%08x%08x", g_random_int (), g_random_int ());
  g_autoptr(GAsyncResult) stored = NULL;
  g_autoptr(GAsyncResult) looked_up = NULL;
  g_autoptr(GAsyncResult) cleared = NULL;
  g_autoptr(GAsyncResult) gone = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) home = g_file_new_for_path (g_get_home_dir ());
  g_autofree char *found = NULL;
  g_autofree char *after = NULL;
  guint n_files = 0;

  easel_secret_store_async (base_url, key, NULL, got_result, &stored);
  if (!easel_secret_store_finish (wait_result (&stored), &error))
    {
      g_autofree char *why = g_strdup_printf ("No usable Secret Service: %s", error->message);
      g_test_skip (why);
      return;
    }

  easel_secret_lookup_async (base_url, NULL, got_result, &looked_up);
  found = easel_secret_lookup_finish (wait_result (&looked_up), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found, ==, key);

  /* Whatever the keyring wrote under $HOME is encrypted: the key's text
   * must not appear in any file. */
  g_assert_false (easel_test_tree_contains (home, key, &n_files));
  g_test_message ("%u files under $HOME checked", n_files);

  easel_secret_clear_async (base_url, NULL, got_result, &cleared);
  g_assert_true (easel_secret_clear_finish (wait_result (&cleared), &error));
  g_assert_no_error (error);

  easel_secret_lookup_async (base_url, NULL, got_result, &gone);
  after = easel_secret_lookup_finish (wait_result (&gone), &error);
  g_assert_no_error (error);
  g_assert_null (after);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gui/keyring/round-trip-not-in-home", test_key_round_trip);
  return g_test_run ();
}
