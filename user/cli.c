// SPDX-License-Identifier: MIT
#include <errno.h>
#include <getopt.h>
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
	"Find memory leaks in a running process with eBPF: every allocation that is\n"
	"still outstanding, grouped by the stack that made it.\n"
	"\n"
	"  -p, --pid PID          attach to a running process\n"
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
	"      --max-allocs N     outstanding allocations tracked (default 524288)\n"
	"      --max-stacks N     distinct stacks stored (default 131072)\n"
	"      --max-agg N        (stack, age bucket) aggregates (default 65536)\n"
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
	"      --sample-bytes N   sample one allocation per N bytes on average (Poisson,\n"
	"                         like Go and tcmalloc): far cheaper; figures are estimates\n"
	"  -v, --verbose          more detail on stderr (-vv: debug)\n"
	"  -q, --quiet            errors only on stderr\n"
	"  -h, --help             this help\n"
	"  -V, --version          print the version\n"
	"\n"
	"Launch mode holds CMD until every probe is attached, so its first allocation\n"
	"is seen, and exits with CMD's exit status. Needs root (CAP_BPF, CAP_PERFMON).\n";

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
	OPT_RSS,
	OPT_SAMPLE_BYTES,
};

static const struct option opts[] = {
	{ "pid", required_argument, NULL, 'p' },
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

static const char *opts_name(int val)
{
	for (const struct option *o = opts; o->name; o++)
		if (o->val == val)
			return o->name;
	return "?";
}

int cli_parse(int argc, char **argv, struct lt_env *env)
{
	long v;
	int c, err = 0;

	memset(env, 0, sizeof(*env));
	env->interval = 5;
	env->max_overhead = 5;
	env->top = 10;
	env->max_allocs = 524288;
	env->max_stacks = 131072;
	env->max_agg = 65536;

	/* '+': stop at the first non-option so CMD's own options stay its own. */
	while ((c = getopt_long(argc, argv, "+p:d:i:t:vqhV", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			err = parse_uint("pid", optarg, 1, INT_MAX, &v);
			env->pid = v;
			break;
		case 'd':
			err = parse_seconds("duration", optarg, false, &env->duration);
			break;
		case 'i':
			err = parse_seconds("interval", optarg, false, &env->interval);
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
			break;
		case OPT_MAX_STACKS:
			err = parse_uint("max-stacks", optarg, 64, 1 << 22, &v);
			env->max_stacks = v;
			break;
		case OPT_MAX_AGG:
			err = parse_uint("max-agg", optarg, 1024, 1 << 24, &v);
			env->max_agg = v;
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
	if (!env->pid == !env->cmd) {
		elog("%s\nTry 'leaktrace --help'.\n", env->pid ? "give either -p PID or a command, not both"
							    : "nothing to trace: give -p PID or -- CMD [ARGS...]");
		return -EINVAL;
	}
	return 0;
}
