/* SPDX-License-Identifier: MIT */
/* The run's facts and the report's options: plain data, with the model
 * (model.h) all a renderer or exporter reads. */
#ifndef LT_REPORT_INFO_H
#define LT_REPORT_INFO_H

#include <stdbool.h>
#include <stdint.h>

struct lt_budget_info;

struct report_info {
	int pid;
	const char *comm;
	const char *mode;	/* "exact", "lite", or "sampled" (--sample-bytes) */
	const char *mode_why;	/* why that mode runs */
	const struct lt_budget_info *budget; /* lite's --max-overhead, or NULL */
	double duration_s;
	double min_age_s;
	int top;
	bool final;
	bool all_frames;	/* keep frames in no known mapping */
	bool target_exited;
	int probes, single_stepped;
	bool native_frames;	/* keep the interpreter's own native frames */
	bool fds;		/* --fds: report open descriptors */
	char python[24];	/* CPython version found in the target, or "" */
	/* a CPython whose frames cannot be read, and why (else ""): said in
	 * every report, never a silent native-only one */
	const char *python_unsupported;
	double exit_s;		/* the target began to exit this long after the start; < 0: not */
	bool export_failed;	/* the last report's exports could not be written */
	int64_t exec_gone_bytes; /* what its images before an exec held: gone with them */
	int64_t exec_gone_allocs;
	bool python_lto;	/* its small-object allocations are partly unseen */
	bool python_lite;	/* lite mode on CPython: pymalloc's blocks unseen */
	uint64_t sample_bytes;	/* --sample-bytes N: figures are estimates; 0: exact */
};

#endif
