// SPDX-License-Identifier: MIT
/*
 * Per-mode validation of the parsed options: what only launch, exact,
 * continuous, system-wide (-a) or one-process mode takes, said plainly.
 */
#include <errno.h>
#include "cli_check.h"
#include "cli_opt.h"
#include "env.h"
#include "log.h"

/* What only launch mode does. */
static int check_launch(const struct lt_env *env)
{
	if (env->python_libc && !env->cmd) {
		elog("--python-malloc=libc needs launch mode (-- CMD): a running interpreter "
		     "keeps its allocator\n");
		return -EINVAL;
	}
	return 0;
}

/* What only exact mode does: lite mode probes the C allocator and mmap alone, and thins
 * them its own way (--max-overhead). */
static int check_exact(const struct lt_env *env)
{
	if (env->sample_bytes && env->mode == LT_MODE_LITE) {
		elog("--sample-bytes samples exact mode: lite mode has --max-overhead instead\n");
		return -EINVAL;
	}
	if (env->objects && env->mode == LT_MODE_LITE) {
		elog("--objects needs exact mode: it probes every GC object allocation\n");
		return -EINVAL;
	}
	return 0;
}

/* Continuous mode's options hang together; say what is missing. */
static int check_continuous(struct lt_env *env, unsigned int seen)
{
	if ((seen & SEEN_CAPS) && !env->out_dir) {
		elog("--max-files, --max-bytes and --max-age cap --out-dir: give --out-dir DIR\n");
		return -EINVAL;
	}
	if ((seen & SEEN_SPOOL) && !env->push_url) {
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
	if ((seen & SEEN_INTERVAL) && env->interval != env->every) {
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
static int check_all(struct lt_env *env, unsigned int seen)
{
	const char *bad = env->cmd ? "a command (-- CMD)" : env->live ? "--live" :
			  env->rss ? "--rss" : env->objects ? "--objects" :
			  env->folded_path ? "--folded" : env->flame_path ? "--flamegraph" :
			  env->speedscope_path ? "--speedscope" : env->pprof_path ? "--pprof" :
			  env->python_libc ? "--python-malloc" : NULL;

	/* a host holds more than one process: larger maps by default */
	if (!(seen & SEEN_MAX_ALLOCS))
		env->max_allocs = 1 << 20;
	if (!(seen & SEEN_MAX_AGG))
		env->max_agg = 1 << 18;
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

/* One process: -p PID or -- CMD, exactly one of them. */
static int check_one(const struct lt_env *env)
{
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


int cli_check(struct lt_env *env, unsigned int seen)
{
	int err = check_launch(env);

	if (!err)
		err = check_exact(env);
	if (!err)
		err = check_continuous(env, seen);
	if (err)
		return err;
	if (env->all || env->ncomms || env->uid >= 0 || env->cgroup)
		return check_all(env, seen);
	return check_one(env);
}
