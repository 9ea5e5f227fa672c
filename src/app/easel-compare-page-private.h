/* easel-compare-page-private.h: what the easel-compare-page*.c files share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "easel-compare-page.h"
#include "easel-batch-list.h"

G_BEGIN_DECLS

struct _EaselComparePage
{
  AdwBin           parent_instance;

  EaselClient     *client;
  EaselLibrary    *library;
  GSettings       *settings;        /* the budget's limits; NULL: the defaults */
  gboolean         budget_pending;  /* reading the spend before a send */
  EaselComparison *comparison;
  GSignalGroup    *comparison_signals;
  GCancellable    *cancellable;     /* the run; cancelled on dispose */
  GPtrArray       *model_checks;    /* GtkCheckButton*, "easel-value" = model id */
  GPtrArray       *quality_checks;
  GPtrArray       *inputs;          /* EaselInputImage*: the studio's attachments, edited when checked */
  char            *build_error;
  EaselBatchList  *batch_list;      /* "half price" sends the grid here; NULL: no switch */

  /* template */
  GtkEntry        *prompt_entry;
  GtkFlowBox      *models_box;
  GtkFlowBox      *qualities_box;
  GtkDropDown     *size_dropdown;
  GtkCheckButton  *inputs_check;
  GtkLabel        *total_label;
  GtkWidget       *batch_box;
  GtkSwitch       *batch_switch;
  GtkFlowBox      *grid_box;
};

gboolean _easel_compare_page_is_running   (EaselComparePage *self);
gboolean _easel_compare_page_has_run      (EaselComparePage *self);
void     _easel_compare_page_update_state (EaselComparePage *self);
/* The grid from the prompt and the choices (not while one runs). */
void     _easel_compare_page_rebuild      (EaselComparePage *self);
void     _easel_compare_page_toast        (EaselComparePage *self,
                                           const char       *message);

/* easel-compare-page-send.c: compare.send, after the budget check */
void     _easel_compare_page_send_action  (GtkWidget        *widget,
                                           const char       *action_name,
                                           GVariant         *parameter);

/* easel-compare-page-export.c: compare.export-sheet */
void     _easel_compare_page_export_sheet_action (GtkWidget  *widget,
                                                  const char *action_name,
                                                  GVariant   *parameter);

G_END_DECLS
