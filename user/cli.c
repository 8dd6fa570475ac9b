// SPDX-License-Identifier: MIT
/*
 * The command line. One table, cli_opts[], holds every option: its names,
 * argument, parser, the field it sets and its help. getopt's tables, --help,
 * the man page (--gen-man) and the bash completion (--gen-completion) are all
 * made from it, so they cannot drift apart. The row is cli_opt.h's, the
 * printing cli_help's, the per-mode checks after parsing cli_check's.
 */
#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <pwd.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli_check.h"
#include "cli_help.h"
#include "cli_opt.h"
#include "env.h"
#include "log.h"

#ifndef LT_VERSION
#define LT_VERSION "unknown" /* the Makefile passes debian/changelog's */
#endif

static int parse_seconds(const char *opt, const char *s, bool allow_zero, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0 || (!allow_zero && v == 0) ||
	    v > 365.0 * 24 * 3600) {
		elog("invalid %s '%s': expected a number of seconds%s\n", opt, s,
		     allow_zero ? "" : " > 0");
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_uint(const char *opt, const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		elog("invalid %s '%s': expected an integer in [%ld, %ld]\n", opt, s, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* Bytes with an optional K, M or G suffix (powers of 1024). */
static int parse_size(const char *opt, const char *s, uint64_t min, uint64_t *out)
{
	char *end;
	double v;
	int shift = 0;

	errno = 0;
	v = strtod(s, &end);
	if (*end && !end[1])
		shift = *end == 'K' || *end == 'k' ? 10 : *end == 'M' || *end == 'm' ? 20 :
			*end == 'G' || *end == 'g' ? 30 : -1;
	else if (*end)
		shift = -1;
	v *= (double)(1ULL << (shift > 0 ? shift : 0));
	if (errno || end == s || shift < 0 || !isfinite(v) || v < min || v > 1e15) {
		elog("invalid %s '%s': expected a size in bytes >= %" PRIu64 " (suffix K, M or G "
		     "allowed)\n", opt, s, min);
		return -EINVAL;
	}
	*out = (uint64_t)v;
	return 0;
}

static void *field(const struct cli_opt *o, struct cli_state *st)
{
	return (char *)st->env + o->off;
}

/* The parsers: 0, -EINVAL after saying why, or 1 when output was printed (exit 0). */

static int p_flag(const struct cli_opt *o, const char *arg, struct cli_state *st)
{
	*(bool *)field(o, st) = true;
	return 0;
}

static int p_seconds(const struct cli_opt *o, const char *arg, struct cli_state *st)
{
	return parse_seconds(o->name, arg, false, field(o, st));
}

static int p_seconds0(const struct cli_opt *o, const char *arg, struct cli_state *st)
{
	return parse_seconds(o->name, arg, true, field(o, st));
}

/* An integer in [min, max] into an int, uint32_t or uint64_t field. */
static int p_uint(const struct cli_opt *o, const char *arg, struct cli_state *st)
{
	long v;
	int err = parse_uint(o->name, arg, o->min, o->max, &v);

	if (err)
		return err;
	if (o->size == sizeof(uint64_t))
		*(uint64_t *)field(o, st) = v;
	else
		*(uint32_t *)field(o, st) = v; /* int and uint32_t alike: v is in range */
	return 0;
}

static int p_size(const struct cli_opt *o, const char *arg, struct cli_state *st)
{
	return parse_size(o->name, arg, o->min, field(o, st));
}

static int p_string(const struct cli_opt *o, const char *arg, struct cli_state *st)
{
	if (!*arg) {
		elog("invalid %s: empty\n", o->name);
		return -EINVAL;
	}
	*(const char **)field(o, st) = arg;
	return 0;
}

static int p_json(const struct cli_opt *o, const char *arg, struct cli_state *st)
{
	if (!*arg) {
		elog("invalid json: empty file name\n");
		return -EINVAL;
	}
	st->env->json_path = arg;
	return 0;
}

/* Exports are written atomically through a temporary file: no stdout. */
static int p_export(const struct cli_opt *o, const char *arg, struct cli_state *st)
{
	if (!*arg || !strcmp(arg, "-")) {
		elog("invalid %s file '%s': give a file name\n", o->name, arg);
		return -EINVAL;
	}
	*(const char **)field(o, st) = arg;
	return 0;
}

/* -p PID, or with -a a --pid filter (repeatable). */
static int p_pid(const struct cli_opt *o, const char *arg, struct cli_state *st)
{
	struct lt_env *env = st->env;
	long v;
	int err = parse_uint("pid", arg, 1, INT_MAX, &v);

	if (err)
		return err;
	if (env->npids == LT_MAX_FILTER_PIDS) {
		elog("too many --pid: at most %d\n", LT_MAX_FILTER_PIDS);
		return -EINVAL;
	}
	env->pids[env->npids++] = env->pid = v;
	return 0;
}

static int p_comm(const struct cli_opt *o, const char *arg, struct cli_state *st)
{
	struct lt_env *env = st->env;

	if (!*arg || strlen(arg) > 15) { /* TASK_COMM_LEN */
		elog("invalid comm '%s': a process name has 1 to 15 characters\n", arg);
		return -EINVAL;
	}
	if (env->ncomms == LT_MAX_FILTER_COMMS) {
		elog("too many --comm ('%s'): at most %d\n", arg, LT_MAX_FILTER_COMMS);
		return -EINVAL;
	}
	env->comms[env->ncomms++] = arg;
	return 0;
}

static int p_uid(const struct cli_opt *o, const char *arg, struct cli_state *st)
{
	struct passwd *pw = getpwnam(arg);

	if (!pw)
		return parse_uint("uid (a number or a user name)", arg, 0, UINT32_MAX - 1,
				  &st->env->uid);
	st->env->uid = pw->pw_uid;
	return 0;
}

static int p_mode(const struct cli_opt *o, const char *arg, struct cli_state *st)
{
	if (!strcmp(arg, "exact")) {
		st->env->mode = LT_MODE_EXACT;
	} else if (!strcmp(arg, "lite")) {
		st->env->mode = LT_MODE_LITE;
	} else {
		elog("invalid mode '%s': expected exact or lite\n", arg);
		return -EINVAL;
	}
	return 0;
}

static int p_overhead(const struct cli_opt *o, const char *arg, struct cli_state *st)
{
	struct lt_env *env = st->env;
	char *end;

	errno = 0;
	env->max_overhead = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(env->max_overhead) ||
	    env->max_overhead < 0 || env->max_overhead > 1000) {
		elog("invalid max-overhead '%s': expected a percentage in [0, 1000]\n", arg);
		return -EINVAL;
	}
	return 0;
}

static int p_every(const struct cli_opt *o, const char *arg, struct cli_state *st)
{
	int err = parse_seconds("every", arg, false, &st->env->every);

	if (!err && st->env->every < 1) {
		elog("invalid every '%s': at least 1 second (Pyroscope counts in seconds)\n", arg);
		err = -EINVAL;
	}
	return err;
}

static int p_python_malloc(const struct cli_opt *o, const char *arg, struct cli_state *st)
{
	if (strcmp(arg, "libc")) {
		elog("invalid python-malloc '%s': only 'libc' is supported\n", arg);
		return -EINVAL;
	}
	st->env->python_libc = true;
	return 0;
}

static int p_verbose(const struct cli_opt *o, const char *arg, struct cli_state *st)
{
	lt_verbosity = lt_verbosity < 0 ? 1 : lt_verbosity + 1;
	return 0;
}

static int p_quiet(const struct cli_opt *o, const char *arg, struct cli_state *st)
{
	lt_verbosity = -1;
	return 0;
}

static int p_help(const struct cli_opt *o, const char *arg, struct cli_state *st)
{
	cli_print_help(stdout);
	return 1;
}

static int p_version(const struct cli_opt *o, const char *arg, struct cli_state *st)
{
	printf("leaktrace %s\n", LT_VERSION);
	return 1;
}

static int p_gen_man(const struct cli_opt *o, const char *arg, struct cli_state *st)
{
	cli_print_man(stdout);
	return 1;
}

static int p_gen_completion(const struct cli_opt *o, const char *arg, struct cli_state *st)
{
	cli_print_completion(stdout);
	return 1;
}

#define F(f) .off = offsetof(struct lt_env, f), .size = sizeof(((struct lt_env *)0)->f)
#define HEADING(text) { .help = text }

/* In --help's order. */
static const struct cli_opt cli_opts[] = {
	{ "pid", 'p', "PID", p_pid, .complete = CMP_PID, .help = "attach to a running process" },
	{ "all", 'a', NULL, p_flag, F(all),
	  .help = "every process on the host, those started later too\n"
		  "(lite mode with --max-overhead's budget by default);\n"
		  "reports group by process. Filters (all must match):" },
	{ "comm", 0, "NAME", p_comm, .complete = CMP_COMM,
	  .help = "process name (repeatable, up to 8)" },
	{ "pid", 0, "PID", .flags = CLI_DOC,
	  .help = "with -a: these processes and what they fork (repeatable)" },
	{ "uid", 0, "UID", p_uid, .complete = CMP_USER, .help = "real user id or name" },
	{ "cgroup", 0, "PATH", p_string, F(cgroup), .complete = CMP_DIR,
	  .help = "cgroup v2 directory and below (a container, a unit)" },
	{ "max-procs", 0, "N", p_uint, F(max_procs), 16, 1 << 20,
	  .help = "processes traced at once (default 16384)" },
	{ "duration", 'd', "SEC", p_seconds, F(duration),
	  .help = "stop after SEC seconds (default: until Ctrl-C or exit)" },
	{ "interval", 'i', "SEC", p_seconds, F(interval), .seen = SEEN_INTERVAL,
	  .help = "print a report every SEC seconds (default 5)" },
	{ "top", 't', "N", p_uint, F(top), 1, 100000, .help = "stacks per report (default 10)" },
	{ "min-age", 0, "SEC", p_seconds0, F(min_age),
	  .help = "leave out allocations younger than SEC seconds" },
	{ "json", 0, "FILE", p_json, .complete = CMP_FILE,
	  .help = "write the final report as JSON to FILE ('-': stdout)" },
	{ "folded", 0, "FILE", p_export, F(folded_path), .complete = CMP_FILE,
	  .help = "flamegraph.pl input (root first; outstanding bytes)" },
	{ "flamegraph", 0, "FILE", p_export, F(flame_path), .complete = CMP_FILE,
	  .help = "self-contained interactive flame graph (.svg or .html)" },
	{ "speedscope", 0, "FILE", p_export, F(speedscope_path), .complete = CMP_FILE,
	  .help = "speedscope file (https://www.speedscope.app)" },
	{ "pprof", 0, "FILE", p_export, F(pprof_path), .complete = CMP_FILE,
	  .help = "gzipped pprof heap profile (go tool pprof, Pyroscope, Parca)" },
	{ "export-every", 0, NULL, p_flag, F(export_every),
	  .help = "rewrite the exports at every report, not only at the end" },
	{ "max-allocs", 0, "N", p_uint, F(max_allocs), 1024, 1 << 26, .seen = SEEN_MAX_ALLOCS,
	  .help = "outstanding allocations tracked (default 524288; -a: 1048576)" },
	{ "max-stacks", 0, "N", p_uint, F(max_stacks), 64, 1 << 22,
	  .help = "distinct stacks stored (default 131072)" },
	{ "max-agg", 0, "N", p_uint, F(max_agg), 1024, 1 << 24, .seen = SEEN_MAX_AGG,
	  .help = "(stack, age bucket) aggregates (default 65536; -a: 262144)" },
	{ "all-frames", 0, NULL, p_flag, F(native_all),
	  .help = "keep frames that are in no known mapping" },
	{ "native-frames", 0, NULL, p_flag, F(native_frames),
	  .help = "show the Python interpreter's own native frames" },
	{ "objects", 0, NULL, p_flag, F(objects),
	  .help = "Python: live GC objects per type, by growth" },
	{ "fds", 0, NULL, p_flag, F(fds),
	  .help = "also track open file descriptors per stack (unclosed files)" },
	{ "rss", 0, NULL, p_flag, F(rss),
	  .help = "also show what drives RSS growth: pages first written, by\n"
		  "stack, and memory allocated but never touched" },
	{ "live", 0, NULL, p_flag, F(live),
	  .help = "full-screen view (keys: g/b sort, Enter expand, q quit)" },
	{ "mode", 0, "MODE", p_mode, .complete = CMP_WORDS, .words = "exact lite",
	  .help = "exact: every allocation, CPython's small objects too;\n"
		  "lite: the C allocator and mmap only, cheap enough for\n"
		  "production (default: exact; lite for LTO Pythons)" },
	{ "max-overhead", 0, "PCT", p_overhead,
	  .help = "lite: slow the target by at most PCT% (default 5; 0: no\n"
		  "limit): hot allocation probes are duty-cycled beyond it" },
	{ "python-malloc", 0, "libc", p_python_malloc, .flags = CLI_ARG_EQ,
	  .complete = CMP_WORDS, .words = "libc",
	  .help = "launch CMD with PYTHONMALLOC=malloc, so every Python\n"
		  "allocation goes through libc (for LTO interpreters)" },
	HEADING("Continuous mode (a pprof heap profile every period, until stopped):"),
	{ "continuous", 0, NULL, p_flag, F(continuous),
	  .help = "on; implied by --every, --out-dir and --push" },
	{ "every", 0, "SEC", p_every, .seen = SEEN_CONTINUOUS,
	  .help = "the period, also the report interval (default 60)" },
	{ "out-dir", 0, "DIR", p_string, F(out_dir), .seen = SEEN_CONTINUOUS, .complete = CMP_DIR,
	  .help = "keep each period's profile in DIR, oldest removed past:" },
	{ "max-files", 0, "N", p_uint, F(max_files), 0, INT_MAX, .seen = SEEN_CAPS,
	  .help = "files (default 100; 0: no cap)" },
	{ "max-bytes", 0, "SIZE", p_size, F(max_bytes), 0, .seen = SEEN_CAPS,
	  .help = "total size, e.g. 512M (default: no cap)" },
	{ "max-age", 0, "SEC", p_seconds0, F(max_age), .seen = SEEN_CAPS,
	  .help = "age (default: no cap)" },
	{ "push", 0, "URL", p_string, F(push_url), .seen = SEEN_CONTINUOUS,
	  .help = "push to Pyroscope (URL/ingest) from a background thread" },
	{ "service", 0, "NAME", p_string, F(service),
	  .help = "service_name label (default: the process name)" },
	{ "hostname", 0, "NAME", p_string, F(hostname),
	  .help = "hostname label (default: this host's; in a pod: the node's)" },
	{ "spool", 0, "DIR", p_string, F(spool_dir), .seen = SEEN_SPOOL, .complete = CMP_DIR,
	  .help = "undelivered profiles, sent once the server is back\n"
		  "(default: DIR/spool with --out-dir, else /var/spool/leaktrace)" },
	{ "spool-max", 0, "SIZE", p_size, F(spool_max), 1024, .seen = SEEN_SPOOL,
	  .help = "spool cap, oldest dropped past it (default 64M)" },
	/* the bound keeps the BPF fixed point in range */
	{ "sample-bytes", 0, "N", p_uint, F(sample_bytes), 1, 1L << 30,
	  .help = "sample one allocation per N bytes on average (Poisson,\n"
		  "like Go and tcmalloc): far cheaper; figures are estimates" },
	{ "verbose", 'v', NULL, p_verbose, .help = "more detail on stderr (-vv: debug)" },
	{ "quiet", 'q', NULL, p_quiet, .help = "errors only on stderr" },
	{ "help", 'h', NULL, p_help, .help = "this help" },
	{ "version", 'V', NULL, p_version, .help = "print the version" },
	/* build time: leaktrace.8 and the bash completion (Makefile) */
	{ "gen-man", 0, NULL, p_gen_man, .flags = CLI_HIDDEN,
	  .help = "print the man page source (roff)" },
	{ "gen-completion", 0, NULL, p_gen_completion, .flags = CLI_HIDDEN,
	  .help = "print the bash completion script" },
};

#define N_OPTS (sizeof(cli_opts) / sizeof(cli_opts[0]))
#define OPT_INDEX 256 /* getopt's val for cli_opts[i]: OPT_INDEX + i */

void cli_print_help(FILE *f)
{
	cli_help_print(f, cli_opts, N_OPTS);
}

void cli_print_man(FILE *f)
{
	cli_help_man(f, cli_opts, N_OPTS, LT_VERSION);
}

void cli_print_completion(FILE *f)
{
	cli_help_completion(f, cli_opts, N_OPTS);
}

/* getopt_long's tables from cli_opts[]; '+': stop at the first non-option, so CMD's own
 * options stay its own. */
static void getopt_tables(struct option *lopts, char *shorts)
{
	*shorts++ = '+';
	for (size_t i = 0; i < N_OPTS; i++) {
		const struct cli_opt *o = &cli_opts[i];

		if (!cli_opt_parsed(o))
			continue;
		*lopts++ = (struct option){ o->name, o->arg ? required_argument : no_argument,
					    NULL, OPT_INDEX + i };
		if (o->key) {
			*shorts++ = o->key;
			if (o->arg)
				*shorts++ = ':';
		}
	}
	*lopts = (struct option){};
	*shorts = 0;
}

static const struct cli_opt *find_opt(int c)
{
	if (c >= OPT_INDEX && c < OPT_INDEX + (int)N_OPTS)
		return &cli_opts[c - OPT_INDEX];
	for (const struct cli_opt *o = cli_opts; o < cli_opts + N_OPTS; o++)
		if (c && o->key == c && cli_opt_parsed(o))
			return o;
	return NULL;
}

static void set_defaults(struct lt_env *env)
{
	memset(env, 0, sizeof(*env));
	env->interval = 5;
	env->max_overhead = 5;
	env->top = 10;
	env->max_allocs = 524288;
	env->max_stacks = 131072;
	env->max_agg = 65536;
	env->every = 60;
	env->max_files = 100;
	env->spool_max = 64 << 20;
	env->uid = -1;
	env->max_procs = 16384;
}

int cli_parse(int argc, char **argv, struct lt_env *env)
{
	struct option lopts[N_OPTS + 1];
	char shorts[2 * N_OPTS + 2];
	struct cli_state st = { .env = env };
	int c, err;

	set_defaults(env);
	getopt_tables(lopts, shorts);
	while ((c = getopt_long(argc, argv, shorts, lopts, NULL)) != -1) {
		const struct cli_opt *o = find_opt(c);

		if (!o) { /* getopt said what */
			fputs("Try 'leaktrace --help'.\n", stderr);
			return -EINVAL;
		}
		err = o->parse(o, optarg, &st);
		if (err)
			return err;
		st.seen |= o->seen;
	}
	if (optind < argc)
		env->cmd = &argv[optind];
	if (st.seen & SEEN_CONTINUOUS)
		env->continuous = true;

	return cli_check(env, st.seen);
}
