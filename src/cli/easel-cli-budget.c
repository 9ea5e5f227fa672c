/* easel-cli-budget.c: `easel budget` — the spending limits and where they stand
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "easel-cli"

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "easel-cli-private.h"

static GSettings *
settings_or_complain (void)
{
  GSettings *settings = easel_config_dup_settings ();

  if (settings == NULL)
    fprintf (stderr, "easel budget: the settings schema %s is not installed "
                     "(an uninstalled build needs GSETTINGS_SCHEMA_DIR=<build>/data)\n",
             SETTINGS_SCHEMA_ID);
  return settings;
}

static char *
limit_text (double usd)
{
  return usd > 0 ? easel_cost_format_usd (usd) : g_strdup ("none");
}

static void
add_usd (JsonBuilder *b,
         const char  *name,
         double       usd)
{
  json_builder_set_member_name (b, name);
  if (usd > 0)
    json_builder_add_double_value (b, usd);
  else
    json_builder_add_null_value (b);
}

static int
cmd_show (int    argc,
          char **argv)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- the limits and this day's and month's spend");
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(EaselStore) store = NULL;
  EaselBudgetLimits limits;
  EaselBudgetState state = { 0 };
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { NULL }
  };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "easel budget: %s\n", error->message);
      return EASEL_CLI_EXIT_USAGE;
    }
  if (!(settings = settings_or_complain ()))
    return EASEL_CLI_EXIT_USAGE;
  easel_budget_limits_from_settings (&limits, settings);

  if (!(store = easel_store_open (g_getenv ("EASEL_LIBRARY_DIR"), &error)) ||
      !easel_budget_check_sync (store, &limits, 0, NULL, &state, &error))
    {
      fprintf (stderr, "easel budget: cannot read the library's spend: %s\n", error->message);
      return EASEL_CLI_EXIT_FAILED;
    }

  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_object (b);
      add_usd (b, "daily_limit_usd", limits.daily_usd);
      add_usd (b, "monthly_limit_usd", limits.monthly_usd);
      add_usd (b, "confirm_above_usd", limits.confirm_usd);
      json_builder_set_member_name (b, "spent_today_usd");
      json_builder_add_double_value (b, state.spent_today);
      json_builder_set_member_name (b, "spent_month_usd");
      json_builder_add_double_value (b, state.spent_month);
      json_builder_set_member_name (b, "daily_reached");
      json_builder_add_boolean_value (b, (state.flags & EASEL_BUDGET_CROSSES_DAILY) != 0);
      json_builder_set_member_name (b, "monthly_reached");
      json_builder_add_boolean_value (b, (state.flags & EASEL_BUDGET_CROSSES_MONTHLY) != 0);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      text = json_to_string (root, TRUE);
      printf ("%s\n", text);
      return EASEL_CLI_EXIT_OK;
    }

  {
    g_autofree char *daily = limit_text (limits.daily_usd);
    g_autofree char *monthly = limit_text (limits.monthly_usd);
    g_autofree char *confirm = limit_text (limits.confirm_usd);
    g_autofree char *today = easel_cost_format_usd (state.spent_today);
    g_autofree char *month = easel_cost_format_usd (state.spent_month);

    printf ("today:         %s of %s%s\n", today, daily,
            state.flags & EASEL_BUDGET_CROSSES_DAILY ? "  (limit reached)" : "");
    printf ("this month:    %s of %s%s\n", month, monthly,
            state.flags & EASEL_BUDGET_CROSSES_MONTHLY ? "  (limit reached)" : "");
    printf ("confirm above: %s per request\n", confirm);
    printf ("(spend is the library's ledger: actual cost where the server reported usage, else the\n"
            " estimate; failed and moderated requests count. Requests sent with --no-library are not in it.)\n");
  }
  return EASEL_CLI_EXIT_OK;
}

static gboolean
parse_usd (const char  *text,
           double      *usd,
           GError     **error)
{
  char *end = NULL;
  double value;

  if (text == NULL)
    return TRUE;
  if (text[0] == '$')
    text++;
  value = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0' || !isfinite (value) || value < 0 || value > 1000000)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "“%s” is not an amount in dollars between 0 and 1000000 (0 means none)", text);
      return FALSE;
    }
  *usd = value;
  return TRUE;
}

static int
cmd_set (int    argc,
         char **argv)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- set the limits (0 removes one)");
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_autofree char *daily = NULL;
  g_autofree char *monthly = NULL;
  g_autofree char *confirm = NULL;
  double daily_usd = -1, monthly_usd = -1, confirm_usd = -1;
  GOptionEntry entries[] = {
    { "daily", 0, 0, G_OPTION_ARG_STRING, &daily, "Daily limit in dollars (0: none)", "USD" },
    { "monthly", 0, 0, G_OPTION_ARG_STRING, &monthly, "Monthly limit in dollars (0: none)", "USD" },
    { "confirm-above", 0, 0, G_OPTION_ARG_STRING, &confirm, "Ask for --yes above this per request (0: never)", "USD" },
    { NULL }
  };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) ||
      !parse_usd (daily, &daily_usd, &error) ||
      !parse_usd (monthly, &monthly_usd, &error) ||
      !parse_usd (confirm, &confirm_usd, &error))
    {
      fprintf (stderr, "easel budget set: %s\n", error->message);
      return EASEL_CLI_EXIT_USAGE;
    }
  if (daily == NULL && monthly == NULL && confirm == NULL)
    {
      fprintf (stderr, "easel budget set: give --daily, --monthly or --confirm-above\n");
      return EASEL_CLI_EXIT_USAGE;
    }
  if (!(settings = settings_or_complain ()))
    return EASEL_CLI_EXIT_USAGE;

  g_settings_delay (settings);
  if (daily_usd >= 0)
    g_settings_set_double (settings, "budget-daily-usd", daily_usd);
  if (monthly_usd >= 0)
    g_settings_set_double (settings, "budget-monthly-usd", monthly_usd);
  if (confirm_usd >= 0)
    g_settings_set_double (settings, "budget-confirm-usd", confirm_usd);
  g_settings_apply (settings);
  g_settings_sync ();

  return cmd_show (1, (char *[]) { (char *) "show", NULL });
}

int
easel_cli_budget_main (int    argc,
                       char **argv)
{
  const char *cmd = argc > 1 ? argv[1] : "show";

  if (g_str_equal (cmd, "show") || g_str_equal (cmd, "--json"))
    return cmd_show (argc > 1 && g_str_equal (cmd, "show") ? argc - 1 : argc,
                     argc > 1 && g_str_equal (cmd, "show") ? argv + 1 : argv);
  if (g_str_equal (cmd, "set"))
    return cmd_set (argc - 1, argv + 1);
  if (g_str_equal (cmd, "--help") || g_str_equal (cmd, "-h"))
    {
      printf ("Usage:\n"
              "  easel budget [show] [--json]\n"
              "  easel budget set [--daily USD] [--monthly USD] [--confirm-above USD]\n"
              "\n"
              "The limits live in the app's settings, shared with the window. A request whose\n"
              "estimate would cross the daily or monthly limit is refused (exit 2) unless\n"
              "--over-budget; one above the confirmation threshold (default $1) needs --yes.\n");
      return EASEL_CLI_EXIT_OK;
    }

  fprintf (stderr, "easel budget: unknown command '%s'; expected show or set\n", cmd);
  return EASEL_CLI_EXIT_USAGE;
}

char *
easel_cli_budget_refusal (const char              *who,
                          const EaselBudgetLimits *limits,
                          double                   estimate_usd,
                          gboolean                 yes,
                          EaselStore              *store,
                          const char              *api_key)
{
  g_autoptr(EaselStore) own = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *why = NULL;
  EaselBudgetState state = { 0 };
  EaselBudgetFlags blocking;

  state.limits = *limits;
  state.estimate_usd = estimate_usd > 0 ? estimate_usd : -1;
  if (limits->daily_usd > 0 || limits->monthly_usd > 0)
    {
      if (store == NULL)
        store = own = easel_store_open (g_getenv ("EASEL_LIBRARY_DIR"), &error);
      if (store == NULL ||
          !easel_budget_check_sync (store, limits, state.estimate_usd, NULL, &state, &error))
        {
          g_autofree char *safe = easel_cli_safe_text (error->message, api_key);

          return g_strdup_printf ("%s: cannot read the library's spend to check the budget: %s\n"
                                  "%s: not sent; --over-budget sends anyway\n", who, safe, who);
        }
    }
  else
    easel_budget_evaluate (&state);

  blocking = state.flags;
  if (yes)
    blocking &= ~EASEL_BUDGET_OVER_THRESHOLD;
  if (blocking == EASEL_BUDGET_OK)
    return NULL;

  why = easel_budget_describe (&state);
  if (blocking & (EASEL_BUDGET_CROSSES_DAILY | EASEL_BUDGET_CROSSES_MONTHLY))
    return g_strdup_printf ("%s: not sent. %s\n"
                            "%s: --over-budget sends it anyway; `easel budget` shows and sets the limits\n",
                            who, why, who);
  return g_strdup_printf ("%s: not sent. %s\n"
                          "%s: --yes confirms it; `easel budget set --confirm-above USD` changes the threshold\n",
                          who, why, who);
}
