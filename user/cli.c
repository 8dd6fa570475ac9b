// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <pwd.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "env.h"
#include "log.h"

#define LT_VERSION "0.1.0"

static const char usage[] =
	"Usage: leaktrace [OPTIONS] -p PID\n"
	"       leaktrace [OPTIONS] -- CMD [ARGS...]\n"
	"       leaktrace [OPTIONS] -a [--comm NAME] [--pid PID] [--uid UID] [--cgroup PATH]\n"
	"Find memory leaks in a running process with eBPF: every allocation that is\n"
	"still outstanding, grouped by the stack that made it.\n"
	"\n"
	"  -p, --pid PID          attach to a running process\n"
	"  -a, --all              every process on the host, those started later too\n"
	"                         (lite mode with --max-overhead's budget by default);\n"
	"                         reports group by process. Filters (all must match):\n"
	"      --comm NAME        process name (repeatable, up to 8)\n"
	"      --pid PID          with -a: these processes and what they fork (repeatable)\n"
	"      --uid UID          real user id or name\n"
	"      --cgroup PATH      cgroup v2 directory and below (a container, a unit)\n"
	"      --max-procs N      processes traced at once (default 16384)\n"
	"  -d, --duration SEC     stop after SEC seconds (default: until Ctrl-C or exit)\n"
	"  -i, --interval SEC     print a report every SEC seconds (default 5)\n"
	"  -t, --top N            stacks per report (default 10)\n"
	"      --min-age SEC      leave out allocations younger than SEC seconds\n"
	"      --json FILE        write the final report as JSON to FILE ('-': stdout)\n"
	"      --folded FILE      flamegraph.pl input (root first; outstanding bytes)\n"
	"      --flamegraph FILE  self-contained interactive flame graph (.svg or .html)\n"
	"      --speedscope FILE  speedscope file (https://www.speedscope.app)\n"
	"      --pprof FILE       gzipped pprof heap profile (go tool pprof, Pyroscope, Parca)\n"
	"      --export-every     rewrite the exports at every report, not only at the end\n"
	"      --max-allocs N     outstanding allocations tracked (default 524288; -a: 1048576)\n"
	"      --max-stacks N     distinct stacks stored (default 131072)\n"
	"      --max-agg N        (stack, age bucket) aggregates (default 65536; -a: 262144)\n"
	"      --all-frames       keep frames that are in no known mapping\n"
	"      --native-frames    show the Python interpreter's own native frames\n"
	"      --objects          Python: live GC objects per type, by growth\n"
	"      --fds              also track open file descriptors per stack (unclosed files)\n"
	"      --rss              also show what drives RSS growth: pages first written, by\n"
	"                         stack, and memory allocated but never touched\n"
	"      --live             full-screen view (keys: g/b sort, Enter expand, q quit)\n"
	"      --mode MODE        exact: every allocation, CPython's small objects too;\n"
	"                         lite: the C allocator and mmap only, cheap enough for\n"
	"                         production (default: exact; lite for LTO Pythons)\n"
	"      --max-overhead PCT lite: slow the target by at most PCT% (default 5; 0: no\n"
	"                         limit): hot allocation probes are duty-cycled beyond it\n"
	"      --python-malloc=libc  launch CMD with PYTHONMALLOC=malloc, so every Python\n"
	"                         allocation goes through libc (for LTO interpreters)\n"
	"Continuous mode (a pprof heap profile every period, until stopped):\n"
	"      --continuous       on; implied by --every, --out-dir and --push\n"
	"      --every SEC        the period, also the report interval (default 60)\n"
	"      --out-dir DIR      keep each period's profile in DIR, oldest removed past:\n"
	"      --max-files N      files (default 100; 0: no cap)\n"
	"      --max-bytes SIZE   total size, e.g. 512M (default: no cap)\n"
	"      --max-age SEC      age (default: no cap)\n"
	"      --push URL         push to Pyroscope (URL/ingest) from a background thread\n"
	"      --service NAME     service_name label (default: the process name)\n"
	"      --hostname NAME    hostname label (default: this host's; in a pod: the node's)\n"
	"      --spool DIR        undelivered profiles, sent once the server is back\n"
	"                         (default: DIR/spool with --out-dir, else /var/spool/leaktrace)\n"
	"      --spool-max SIZE   spool cap, oldest dropped past it (default 64M)\n"
	"      --sample-bytes N   sample one allocation per N bytes on average (Poisson,\n"
	"                         like Go and tcmalloc): far cheaper; figures are estimates\n"
	"  -v, --verbose          more detail on stderr (-vv: debug)\n"
	"  -q, --quiet            errors only on stderr\n"
	"  -h, --help             this help\n"
	"  -V, --version          print the version\n"
	"\n"
	"Launch mode holds CMD until every probe is attached, so its first allocation\n"
	"is seen, and exits with CMD's exit status. Needs root, or as little as\n"
	"CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE (see README.md).\n";

enum {
	OPT_MIN_AGE = 256,
	OPT_JSON,
	OPT_MAX_ALLOCS,
	OPT_MAX_STACKS,
	OPT_MAX_AGG,
	OPT_ALL_FRAMES,
	OPT_NATIVE_FRAMES,
	OPT_OBJECTS,
	OPT_LIVE,
	OPT_FDS,
	OPT_FOLDED,
	OPT_FLAME,
	OPT_SPEEDSCOPE,
	OPT_PPROF,
	OPT_EXPORT_EVERY,
	OPT_PYTHON_MALLOC,
	OPT_MODE,
	OPT_MAX_OVERHEAD,
	OPT_CONTINUOUS,
	OPT_EVERY,
	OPT_OUT_DIR,
	OPT_MAX_FILES,
	OPT_MAX_BYTES,
	OPT_MAX_AGE,
	OPT_PUSH,
	OPT_SERVICE,
	OPT_SPOOL,
	OPT_SPOOL_MAX,
	OPT_RSS,
	OPT_SAMPLE_BYTES,
	OPT_COMM,
	OPT_UID,
	OPT_CGROUP,
	OPT_MAX_PROCS,
	OPT_HOSTNAME,
};

static const struct option opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "all", no_argument, NULL, 'a' },
	{ "comm", required_argument, NULL, OPT_COMM },
	{ "uid", required_argument, NULL, OPT_UID },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "max-procs", required_argument, NULL, OPT_MAX_PROCS },
	{ "duration", required_argument, NULL, 'd' },
	{ "interval", required_argument, NULL, 'i' },
	{ "top", required_argument, NULL, 't' },
	{ "min-age", required_argument, NULL, OPT_MIN_AGE },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "max-allocs", required_argument, NULL, OPT_MAX_ALLOCS },
	{ "max-stacks", required_argument, NULL, OPT_MAX_STACKS },
	{ "max-agg", required_argument, NULL, OPT_MAX_AGG },
	{ "all-frames", no_argument, NULL, OPT_ALL_FRAMES },
	{ "native-frames", no_argument, NULL, OPT_NATIVE_FRAMES },
	{ "objects", no_argument, NULL, OPT_OBJECTS },
	{ "live", no_argument, NULL, OPT_LIVE },
	{ "fds", no_argument, NULL, OPT_FDS },
	{ "folded", required_argument, NULL, OPT_FOLDED },
	{ "flamegraph", required_argument, NULL, OPT_FLAME },
	{ "speedscope", required_argument, NULL, OPT_SPEEDSCOPE },
	{ "pprof", required_argument, NULL, OPT_PPROF },
	{ "export-every", no_argument, NULL, OPT_EXPORT_EVERY },
	{ "python-malloc", required_argument, NULL, OPT_PYTHON_MALLOC },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "max-overhead", required_argument, NULL, OPT_MAX_OVERHEAD },
	{ "continuous", no_argument, NULL, OPT_CONTINUOUS },
	{ "every", required_argument, NULL, OPT_EVERY },
	{ "out-dir", required_argument, NULL, OPT_OUT_DIR },
	{ "max-files", required_argument, NULL, OPT_MAX_FILES },
	{ "max-bytes", required_argument, NULL, OPT_MAX_BYTES },
	{ "max-age", required_argument, NULL, OPT_MAX_AGE },
	{ "push", required_argument, NULL, OPT_PUSH },
	{ "service", required_argument, NULL, OPT_SERVICE },
	{ "hostname", required_argument, NULL, OPT_HOSTNAME },
	{ "spool", required_argument, NULL, OPT_SPOOL },
	{ "spool-max", required_argument, NULL, OPT_SPOOL_MAX },
	{ "rss", no_argument, NULL, OPT_RSS },
	{ "sample-bytes", required_argument, NULL, OPT_SAMPLE_BYTES },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{},
};

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

/* Continuous mode's options hang together; say what is missing. */
static int check_continuous(struct lt_env *env, bool interval_set, bool caps_set, bool push_opts)
{
	if (caps_set && !env->out_dir) {
		elog("--max-files, --max-bytes and --max-age cap --out-dir: give --out-dir DIR\n");
		return -EINVAL;
	}
	if (push_opts && !env->push_url) {
		elog("--spool and --spool-max hold what --push could not deliver: give --push URL\n");
		return -EINVAL;
	}
	if ((env->service || env->hostname) && !env->continuous) {
		elog("--service and --hostname label the profiles of continuous mode: give --out-dir "
		     "or --push\n");
		return -EINVAL;
	}
	if (!env->continuous)
		return 0;
	if (!env->out_dir && !env->push_url) {
		elog("continuous mode needs somewhere to put its profiles: give --out-dir DIR "
		     "and/or --push URL\n");
		return -EINVAL;
	}
	if (interval_set && env->interval != env->every) {
		elog("in continuous mode reports come every period: give --every SEC, not -i\n");
		return -EINVAL;
	}
	if (env->live) {
		elog("--live is interactive; continuous mode runs unattended\n");
		return -EINVAL;
	}
	env->interval = env->every;
	return 0;
}

/* -a: what system-wide mode does not do (yet), said plainly. */
static int check_all(struct lt_env *env)
{
	const char *bad = env->cmd ? "a command (-- CMD)" : env->live ? "--live" :
			  env->rss ? "--rss" : env->objects ? "--objects" :
			  env->folded_path ? "--folded" : env->flame_path ? "--flamegraph" :
			  env->speedscope_path ? "--speedscope" : env->pprof_path ? "--pprof" :
			  env->python_libc ? "--python-malloc" : NULL;

	if (!env->all) {
		elog("--comm, --uid and --cgroup filter system-wide tracing: add -a\n");
		return -EINVAL;
	}
	if (bad) {
		elog("-a does not take %s%s\n", bad,
		     env->pprof_path || env->folded_path || env->flame_path || env->speedscope_path
			     ? ": per-process profiles come with --continuous --out-dir DIR"
			     : "");
		return -EINVAL;
	}
	env->pid = 0; /* --pid filters */
	return 0;
}

static const char *opts_name(int val)
{
	for (const struct option *o = opts; o->name; o++)
		if (o->val == val)
			return o->name;
	return "?";
}

int cli_parse(int argc, char **argv, struct lt_env *env)
{
	bool interval_set = false, caps_set = false, push_opts = false;
	unsigned int sizes_set = 0;
	long v;
	int c, err = 0;

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

	/* '+': stop at the first non-option so CMD's own options stay its own. */
	while ((c = getopt_long(argc, argv, "+ap:d:i:t:vqhV", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			err = parse_uint("pid", optarg, 1, INT_MAX, &v);
			if (!err && env->npids == LT_MAX_FILTER_PIDS) {
				elog("too many --pid: at most %d\n", LT_MAX_FILTER_PIDS);
				err = -EINVAL;
			}
			if (!err)
				env->pids[env->npids++] = env->pid = v;
			break;
		case 'a':
			env->all = true;
			break;
		case OPT_COMM:
			if (!*optarg || strlen(optarg) > 15 || env->ncomms == LT_MAX_FILTER_COMMS) {
				elog(!*optarg || strlen(optarg) > 15 ?
				     "invalid comm '%s': a process name has 1 to 15 characters\n" :
				     "too many --comm ('%s'): at most 8\n", optarg);
				err = -EINVAL;
			}
			env->comms[env->ncomms++ % LT_MAX_FILTER_COMMS] = optarg;
			break;
		case OPT_UID: {
			struct passwd *pw = getpwnam(optarg);

			if (pw)
				env->uid = pw->pw_uid;
			else
				err = parse_uint("uid (a number or a user name)", optarg, 0,
						 UINT32_MAX - 1, &env->uid);
			break;
		}
		case OPT_CGROUP:
			if (!*optarg) {
				elog("invalid cgroup: empty\n");
				err = -EINVAL;
			}
			env->cgroup = optarg;
			break;
		case OPT_MAX_PROCS:
			err = parse_uint("max-procs", optarg, 16, 1 << 20, &v);
			env->max_procs = v;
			break;
		case 'd':
			err = parse_seconds("duration", optarg, false, &env->duration);
			break;
		case 'i':
			err = parse_seconds("interval", optarg, false, &env->interval);
			interval_set = true;
			break;
		case 't':
			err = parse_uint("top", optarg, 1, 100000, &v);
			env->top = v;
			break;
		case OPT_MIN_AGE:
			err = parse_seconds("min-age", optarg, true, &env->min_age);
			break;
		case OPT_JSON:
			if (!*optarg) {
				elog("invalid json: empty file name\n");
				err = -EINVAL;
			}
			env->json_path = optarg;
			break;
		case OPT_MAX_ALLOCS:
			err = parse_uint("max-allocs", optarg, 1024, 1 << 26, &v);
			env->max_allocs = v;
			sizes_set |= 1;
			break;
		case OPT_MAX_STACKS:
			err = parse_uint("max-stacks", optarg, 64, 1 << 22, &v);
			env->max_stacks = v;
			break;
		case OPT_MAX_AGG:
			err = parse_uint("max-agg", optarg, 1024, 1 << 24, &v);
			env->max_agg = v;
			sizes_set |= 2;
			break;
		case OPT_ALL_FRAMES:
			env->native_all = true;
			break;
		case OPT_NATIVE_FRAMES:
			env->native_frames = true;
			break;
		case OPT_OBJECTS:
			env->objects = true;
			break;
		case OPT_LIVE:
			env->live = true;
			break;
		case OPT_FDS:
			env->fds = true;
			break;
		case OPT_FOLDED:
		case OPT_FLAME:
		case OPT_SPEEDSCOPE:
		case OPT_PPROF:
			if (!*optarg || !strcmp(optarg, "-")) {
				elog("invalid %s file '%s': give a file name\n", opts_name(c), optarg);
				err = -EINVAL;
			}
			*(c == OPT_FOLDED ? &env->folded_path : c == OPT_FLAME ? &env->flame_path :
			  c == OPT_SPEEDSCOPE ? &env->speedscope_path : &env->pprof_path) = optarg;
			break;
		case OPT_EXPORT_EVERY:
			env->export_every = true;
			break;
		case OPT_PYTHON_MALLOC:
			if (strcmp(optarg, "libc")) {
				elog("invalid python-malloc '%s': only 'libc' is supported\n", optarg);
				err = -EINVAL;
			}
			env->python_libc = true;
			break;
		case OPT_MODE:
			if (!strcmp(optarg, "exact")) {
				env->mode = LT_MODE_EXACT;
			} else if (!strcmp(optarg, "lite")) {
				env->mode = LT_MODE_LITE;
			} else {
				elog("invalid mode '%s': expected exact or lite\n", optarg);
				err = -EINVAL;
			}
			break;
		case OPT_MAX_OVERHEAD: {
			char *end;

			errno = 0;
			env->max_overhead = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(env->max_overhead) ||
			    env->max_overhead < 0 || env->max_overhead > 1000) {
				elog("invalid max-overhead '%s': expected a percentage in [0, 1000]\n",
				     optarg);
				err = -EINVAL;
			}
			break;
		}
		case OPT_CONTINUOUS:
			env->continuous = true;
			break;
		case OPT_EVERY:
			err = parse_seconds("every", optarg, false, &env->every);
			if (!err && env->every < 1) {
				elog("invalid every '%s': at least 1 second (Pyroscope counts in "
				     "seconds)\n", optarg);
				err = -EINVAL;
			}
			env->continuous = true;
			break;
		case OPT_OUT_DIR:
		case OPT_SPOOL:
		case OPT_PUSH:
		case OPT_SERVICE:
		case OPT_HOSTNAME:
			if (!*optarg) {
				elog("invalid %s: empty\n", opts_name(c));
				err = -EINVAL;
			}
			if (c == OPT_OUT_DIR)
				env->out_dir = optarg;
			else if (c == OPT_SPOOL)
				env->spool_dir = optarg;
			else if (c == OPT_PUSH)
				env->push_url = optarg;
			else if (c == OPT_HOSTNAME)
				env->hostname = optarg;
			else
				env->service = optarg;
			env->continuous |= c == OPT_OUT_DIR || c == OPT_PUSH;
			push_opts |= c == OPT_SPOOL;
			break;
		case OPT_MAX_FILES:
			err = parse_uint("max-files", optarg, 0, INT_MAX, &v);
			env->max_files = v;
			caps_set = true;
			break;
		case OPT_MAX_BYTES:
			err = parse_size("max-bytes", optarg, 0, &env->max_bytes);
			caps_set = true;
			break;
		case OPT_MAX_AGE:
			err = parse_seconds("max-age", optarg, true, &env->max_age);
			caps_set = true;
			break;
		case OPT_SPOOL_MAX:
			err = parse_size("spool-max", optarg, 1024, &env->spool_max);
			push_opts = true;
			break;
		case OPT_RSS:
			env->rss = true;
			break;
		case OPT_SAMPLE_BYTES: /* the bound keeps the BPF fixed point in range */
			err = parse_uint("sample-bytes", optarg, 1, 1L << 30, &v);
			env->sample_bytes = v;
			break;
		case 'v':
			lt_verbosity = lt_verbosity < 0 ? 1 : lt_verbosity + 1;
			break;
		case 'q':
			lt_verbosity = -1;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		case 'V':
			printf("leaktrace %s\n", LT_VERSION);
			return 1;
		default:
			fputs("Try 'leaktrace --help'.\n", stderr);
			return -EINVAL;
		}
		if (err)
			return err;
	}
	if (optind < argc)
		env->cmd = &argv[optind];
	if (env->python_libc && !env->cmd) {
		elog("--python-malloc=libc needs launch mode (-- CMD): a running interpreter "
		     "keeps its allocator\n");
		return -EINVAL;
	}
	if (env->sample_bytes && env->mode == LT_MODE_LITE) {
		elog("--sample-bytes samples exact mode: lite mode has --max-overhead instead\n");
		return -EINVAL;
	}
	if (env->objects && env->mode == LT_MODE_LITE) {
		elog("--objects needs exact mode: it probes every GC object allocation\n");
		return -EINVAL;
	}
	err = check_continuous(env, interval_set, caps_set, push_opts);
	if (err)
		return err;
	if (env->all || env->ncomms || env->uid >= 0 || env->cgroup) {
		/* a host holds more than one process: larger maps by default */
		if (!(sizes_set & 1))
			env->max_allocs = 1 << 20;
		if (!(sizes_set & 2))
			env->max_agg = 1 << 18;
		return check_all(env);
	}
	if (env->npids > 1) {
		elog("one -p PID at a time; several processes: -a --pid PID --pid PID...\n");
		return -EINVAL;
	}
	if (!env->pid == !env->cmd) {
		elog("%s\nTry 'leaktrace --help'.\n", env->pid ? "give either -p PID or a command, not both"
							    : "nothing to trace: give -p PID or -- CMD [ARGS...]");
		return -EINVAL;
	}
	return 0;
}
