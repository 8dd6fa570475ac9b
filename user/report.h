/* SPDX-License-Identifier: MIT */
/* Leak reports: text for people, JSON (same content) for tools, printed
 * from a report's model (model.h) alone. */
#ifndef LT_REPORT_H
#define LT_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "model.h"
#include "report_info.h"

void report_text(FILE *f, const struct lt_model *m, const struct report_info *ri);
/* Pieces of it, for -a's report by process (report_sys.c): the run's mode
 * and counters, and one process's body (from its own model). */
void report_run_text(FILE *f, const struct lt_totals *t, const struct report_info *ri);
void report_process_text(FILE *f, const struct lt_model *m, const struct report_info *ri);
/* The final report as JSON (schema in README.md). 0 or -errno. */
int report_json(FILE *f, const struct lt_model *m, const struct report_info *ri);
struct json;
void report_mode_json(struct json *j, const struct report_info *ri);
/* "drops": each drop counter (not failed allocations). */
void report_drops_json(struct json *j, const struct lt_totals *t);
void report_process_json(struct json *j, const struct lt_model *m, const struct report_info *ri);

#endif
