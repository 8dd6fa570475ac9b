/* SPDX-License-Identifier: MIT */
/* Command-line settings. */
#ifndef LT_ENV_H
#define LT_ENV_H

#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>

enum lt_mode {
	LT_MODE_AUTO = 0,	/* exact, or lite where exact cannot see (LTO Python) */
	LT_MODE_EXACT,
	LT_MODE_LITE,
};

#define LT_MAX_FILTER_PIDS 64
#define LT_MAX_FILTER_COMMS 8	/* as many as the BPF filter holds */

struct lt_env {
	int pid;		/* -p; 0 in launch mode and with -a */
	bool all;		/* -a: every process (sysmain.c) */
	int pids[LT_MAX_FILTER_PIDS];	/* -a --pid filter (and their forks) */
	int npids;
	const char *comms[LT_MAX_FILTER_COMMS];	/* -a --comm filter */
	int ncomms;
	long uid;		/* -a --uid filter; -1: any */
	const char *cgroup;	/* -a --cgroup filter: a cgroup v2 directory */
	uint32_t max_procs;	/* -a: processes traced at once */
	char **cmd;		/* -- CMD ARGS...; NULL in attach mode */
	double duration;	/* -d seconds; 0: until stopped */
	double interval;	/* -i seconds between reports */
	double min_age;		/* --min-age seconds */
	int top;		/* -t stacks per report */
	const char *json_path;	/* --json FILE or "-" */
	const char *folded_path;	/* --folded FILE */
	const char *flame_path;		/* --flamegraph FILE.svg / .html */
	const char *speedscope_path;	/* --speedscope FILE */
	const char *pprof_path;		/* --pprof FILE (gzipped) */
	bool export_every;		/* rewrite exports at every report */
	uint32_t max_allocs;	/* lt_allocs entries */
	uint32_t max_stacks;	/* lt_stacks entries */
	uint32_t max_agg;	/* lt_agg entries */
	bool native_all;	/* --all-frames: keep frames in no known mapping */
	bool native_frames;	/* --native-frames: show the interpreter's own frames */
	bool live;		/* --live: full-screen view */
	bool fds;		/* --fds: open file descriptors per stack */
	bool objects;		/* --objects: live GC objects per type */
	bool python_libc;	/* --python-malloc=libc: launch with PYTHONMALLOC=malloc */
	bool rss;		/* --rss: what drives RSS growth (page faults) */
	enum lt_mode mode;	/* --mode */
	double max_overhead;	/* --max-overhead percent; 0: no budget */
	uint64_t sample_bytes;	/* --sample-bytes: mean bytes between samples; 0: exact */
	/* continuous mode (continuous.h): a profile every period */
	bool continuous;	/* --continuous, or implied by --every/--out-dir/--push */
	double every;		/* --every seconds: the period (and report interval) */
	const char *out_dir;	/* --out-dir DIR */
	uint32_t max_files;	/* --max-files N in out_dir; 0: no cap */
	uint64_t max_bytes;	/* --max-bytes SIZE of out_dir; 0: no cap */
	double max_age;		/* --max-age seconds in out_dir; 0: no cap */
	const char *push_url;	/* --push URL */
	const char *service;	/* --service NAME; default: the process name */
	const char *hostname;	/* --hostname NAME; default: gethostname() */
	const char *spool_dir;	/* --spool DIR */
	uint64_t spool_max;	/* --spool-max SIZE */
};

/* Parse argv into env. 0, or -EINVAL after printing why (exit 1), or
 * 1 when --help/--version was printed (exit 0). */
int cli_parse(int argc, char **argv, struct lt_env *env);

/* From the one option table: --help, the man page (roff) and the bash completion. */
void cli_print_help(FILE *f);
void cli_print_man(FILE *f);
void cli_print_completion(FILE *f);

#endif
