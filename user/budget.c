// SPDX-License-Identifier: MIT
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "leaktrace.h"
#include "leaktrace.skel.h"
#include "budget.h"
#include "calib.h"
#include "loader.h"
#include "log.h"
#include "probecost.h"
#include "procfilter.h"
#include "runcost.h"
#include "util.h"

#define WINDOW_S 1.0	/* overhead is measured over windows this long */
#define FIRST_WINDOW_S 0.05	/* every probe on: a verdict soon */
#define CYCLE_S 1.0	/* a thinned duty cycle's shortest period */
#define MAX_CYCLE_S 2.5	/* and longest: each report interval should see an on-phase */
#define MIN_ON_S 0.02
/* on-time a rate is extrapolated from: half the shortest on-phase (on-time
 * is exact, so a 1% duty's phase counts) */
#define MIN_ON_RATE_S (MIN_ON_S / 2)
#define MIN_DUTY 0.01
#define MIN_CPU_NS 20e6	/* a window with less target CPU decides nothing */
#define MEASURE_S 0.2	/* unthinned: a phase of frees alone that measures the cost */
#define REMEASURE_S 30.0
/* A drain goes on while the on-phase's blocks are still being freed
 * (drain_goes_on()): up to DRAIN_MAX on-phases long, until at most DRAIN_HELD
 * of them are held or fewer than DRAIN_DYING died in the last DRAIN_SLICE_S.
 * Few held: a report at the drain's end lists no request in flight. */
#define DRAIN_MAX 4.0
#define DRAIN_HELD 0.005
#define DRAIN_DYING 0.01
#define DRAIN_SLICE_S 0.01
#define MIN_BIRTHS 50
#define DRAIN_WEIGHT 0.3	/* of the last drain in the judged length */
#define WIND_SLICE_S 0.005	/* ticks while the allocation probes leave */
/* idle: the target ran less than IDLE_SHARE of a CPU over the last IDLE_S */
#define IDLE_S 0.5
#define IDLE_SHARE 0.02

/* A group of probes that is switched on and off as one. */
struct probe_group {
	unsigned int links;	/* LT_LINK_* */
	bool on;
	double since;		/* on since */
	double on_s;		/* on-time in the current window */
	double full_ns;		/* its cost over a window if always on (estimate) */
	double off_at;		/* last switched off */
};

struct budget {
	struct loader *ld;
	struct lt_budget_info info;
	int stats_fd;
	int pid;
	long clk_tck;
	/* the current window */
	double win_start;
	double cpu_ns;		/* the target's CPU time at its start */
	struct lt_prog_stats alloc, frees;
	/* the duty cycle: allocations and frees on, then frees only (the
	 * drain: what was allocated last is mostly freed by then), then off */
	struct probe_group alloc_g, free_g;
	double free_duty;
	double cycle_start;
	double cycle_s;		/* long enough for the shortest on-phase to fit */
	double last_tick;
	unsigned int windows;	/* judged so far */
	bool reattach_said;	/* a failed re-attach was said */
	lt_loads_fn loads;	/* -a: per-process loads */
	lt_hits_fn hits;	/* -a: one process's probe hits */
	void *loads_arg;
	/* what the probes cost beyond their direct cost, read off the target
	 * (-a: the process that sets the duties) */
	struct probecost pc;
	int meter_pid;		/* -a: the process with the most free hits */
	double measure_until, measured_at;
	double next_s;		/* the next switch, when thinning */
	/* the allocation probes are leaving (meter()): their traps' cost at
	 * the last tick */
	bool winding;
	double wind_traps;
	/* the cycle's report point (budget_report_due()): the cycle it was
	 * last reached in, and whether by the last tick */
	double snap_cycle;
	bool snap_now;
	/* the drain: allocations and frees of the phase's blocks as the
	 * on-phase began; the last slice's start and frees */
	uint64_t gen_c0[2];
	double slice_at;
	uint64_t slice_births, slice_deaths;
	double a_off_cycle;	/* the cycle the allocation probes last went off in */
	double drain_len;	/* drains, in on-phases (decayed mean; 1 until one ends) */
	bool finishing;		/* the run waits for a last report point */
	/* idle (IDLE_S): nothing in flight, a report needs no report point */
	bool idle;
	double idle_at, idle_cpu;
	struct runcost run;	/* the cost since the start */
};

/* What a window's costs call for. */
struct verdict {
	double da, fduty;		/* allocation and free probe duties */
	double overhead_pct, full_pct;	/* as run, and with every probe on */
};

/* Busy time of every CPU (user, nice, system, irq, softirq, steal), in
 * clock ticks: what -a's probes are weighed against. */
static uint64_t host_cpu_ticks(void)
{
	unsigned long long v[8] = {};
	FILE *f = fopen("/proc/stat", "re");
	int n = f ? fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
			   &v[3], &v[4], &v[5], &v[6], &v[7]) : 0;

	if (f)
		fclose(f);
	return n == 8 ? v[0] + v[1] + v[2] + v[5] + v[6] + v[7] : 0;
}

/* utime + stime of the whole process (pid 0: the host), in clock ticks;
 * 0 once it is gone. */
uint64_t budget_cpu_ticks(int pid)
{
	unsigned long long ut = 0, st = 0;
	const char *p;
	char buf[1024];

	if (!pid)
		return host_cpu_ticks();
	if (proc_stat_fields(pid, buf, sizeof(buf), &p) ||
	    sscanf(p, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	return ut + st;
}

int budget_new(struct loader *ld, const char *libc_path, double budget_pct, int pid,
	       struct budget **out)
{
	struct budget *b;
	int err;

	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->ld = ld;
	b->stats_fd = -1;
	runcost_init(&b->run);
	b->pid = pid;
	b->clk_tck = sysconf(_SC_CLK_TCK);
	b->info.on = true;
	b->info.budget_pct = budget_pct;
	b->info.duty = b->info.free_duty = 1;
	b->info.cost_factor = 1;
	b->info.run_pct = -1;
	b->drain_len = 1;
	b->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (b->stats_fd < 0) {
		err = -errno;
		elog("cannot enable BPF run time statistics (for --max-overhead): %s\n",
		     strerror(-err));
		goto cleanup;
	}
	err = calib_traps(ld, libc_path, &b->info.trap_ns, &b->info.ret_trap_ns);
	if (err) {
		elog("cannot calibrate the probe cost (for --max-overhead): %s\n", strerror(-err));
		goto cleanup;
	}
	*out = b;
	return 0;
cleanup:
	budget_free(b);
	return err;
}

/* Probe hits' direct cost: BPF run time, and their traps. */
static struct lt_cost direct(const struct budget *b, const struct lt_prog_stats *d)
{
	return (struct lt_cost){ d->run_ns, (d->runs - d->rets) * b->info.trap_ns +
						    d->rets * b->info.ret_trap_ns };
}

/* The mean direct cost of one hit of these probes (a trap alone, if none
 * ran). */
static struct lt_cost hit(const struct budget *b, const struct lt_prog_stats *d)
{
	struct lt_cost c = direct(b, d);

	if (!d->runs)
		return (struct lt_cost){ 0, b->info.trap_ns };
	return (struct lt_cost){ c.run_ns / d->runs, c.trap_ns / d->runs };
}

/* n hits at c each */
static struct lt_cost times(struct lt_cost c, double n)
{
	return (struct lt_cost){ c.run_ns * n, c.trap_ns * n };
}

static struct lt_cost plus(struct lt_cost a, struct lt_cost b)
{
	return (struct lt_cost){ a.run_ns + b.run_ns, a.trap_ns + b.trap_ns };
}

/* The target's CPU time, to the ns (the first window is short); the host's
 * busy time with -a; < 0 once the target is gone. */
static double cpu_now_ns(const struct budget *b)
{
	return b->pid > 0 ? probecost_cpu_ns(b->pid) : budget_cpu_ticks(0) * 1e9 / b->clk_tck;
}

/* The base a window's deltas count from: the target's CPU time and the
 * probes' run totals. */
static void take_base(struct budget *b)
{
	b->cpu_ns = cpu_now_ns(b);
	if (loader_prog_stats(b->ld, &b->alloc, &b->frees)) {
		memset(&b->alloc, 0, sizeof(b->alloc));
		memset(&b->frees, 0, sizeof(b->frees));
	}
}

/* Start a measurement window at now; its base is the last one's end. */
static void window_start(struct budget *b, double now)
{
	b->win_start = now;
	b->alloc_g.on_s = b->free_g.on_s = 0;
}

/* A detach takes the breakpoints out before it returns to wait for the
 * handlers in flight (uprobe_unregister_nosync, then _sync): the probes
 * are off from the request on. */
static void account(struct probe_group *g, double now)
{
	if (g->on)
		g->on_s += now - g->since;
	g->since = now;
}

/* Switch group g on or off at now; returns the seconds that took. On, it
 * is on from when its attach returns (the first of a cycle takes ~15 ms
 * here: an on-phase counted from the request lost that much). */
static double set_group(struct budget *b, struct probe_group *g, bool on, double now)
{
	double took = 0;

	if (on == g->on)
		return 0;
	if (on) {
		/* what could not come back stays off; the rest is on */
		double t0 = lt_now_s();
		int err = loader_reattach(b->ld, g->links);

		took = lt_now_s() - t0;
		if (err && !b->reattach_said) {
			wlog("cannot re-attach some %s probes: %s; their allocations are not "
			     "traced from now on (run with -vv for which)\n",
			     g->links & LT_LINK_FREE ? "free" : "allocation", strerror(-err));
			b->reattach_said = true;
		}
	} else {
		account(g, now);
		loader_drop(b->ld, g->links);
		g->off_at = now;
	}
	g->on = on;
	g->since = now + took;
	return took;
}

/*
 * The duties that keep the probes' cost to a CPU time of cpu_ns within the
 * budget, given their costs this window (alloc_ns, free_ns) and the always-on
 * costs A and F they extrapolate to: allocation probes first (frees stay on,
 * so nothing freed is missed); when frees alone are too many, frees are
 * thinned too, each off-phase preceded by a drain with only frees on, as
 * long as drains have run. A block freed while frees are off stays counted
 * until the allocator hands its address out again, which proves the free.
 */
static void judge(const struct budget *b, double cpu_ns, double alloc_ns, double free_ns,
		  double A, double F, struct verdict *v)
{
	double base, B, da, fr = 1 + b->drain_len; /* frees on, in on-phases */

	/* The trap cost is an estimate: the probes cannot take more than the
	 * target's whole CPU time. */
	base = cpu_ns - free_ns - alloc_ns;
	if (base < cpu_ns * 0.05)
		base = cpu_ns * 0.05;
	B = b->info.budget_pct / 100 * base;
	v->overhead_pct = (free_ns + alloc_ns) / base * 100;
	v->full_pct = (F + A) / base * 100;
	v->da = v->fduty = 1;
	if (F + A <= B)
		return;
	da = (B - F) / A; /* frees always on */
	if (da < 1 / fr) {
		/* frees on for the on-phase and its drain, as drains have run */
		double d2 = B / (A + fr * F);

		if (d2 > da)
			da = fmin(d2, 1 / fr);
	}
	if (da < MIN_DUTY)
		da = MIN_DUTY;
	v->fduty = da * fr < 1 && (B - F) / A < da ? da * fr : 1;
	v->da = da;
}

/* -a: the most demanding process's verdict, if it asks more than v. Its
 * costs are its hits at this window's average BPF time per hit plus the
 * trap, extrapolated to always-on like the host's. */
static void judge_procs(struct budget *b, double span, const struct lt_prog_stats *da_,
			const struct lt_prog_stats *df_, struct verdict *v)
{
	struct lt_cost a_hit = hit(b, da_), f_hit = hit(b, df_);
	double sa = b->alloc_g.on_s >= MIN_ON_RATE_S ? span / fmin(b->alloc_g.on_s, span) : 0;
	double sf = b->free_g.on_s >= MIN_ON_RATE_S ? span / fmin(b->free_g.on_s, span) : 0;
	double k = probecost_factor(&b->pc);
	uint64_t most_frees = 0;
	struct lt_proc_load *l;
	size_t n = b->loads(b->loads_arg, &l);

	for (size_t i = 0; i < n; i++)
		runcost_add(&b->run, l[i].pid, l[i].cpu_ns,
			    plus(times(a_hit, l[i].alloc_runs), times(f_hit, l[i].free_runs)));
	b->info.hot_pid = 0;
	if (!sa || !sf)
		return; /* a group was off all window: no rate to extrapolate */
	for (size_t i = 0; i < n; i++) {
		double alloc_ns = lt_cost_at(times(a_hit, l[i].alloc_runs), k);
		double free_ns = lt_cost_at(times(f_hit, l[i].free_runs), k);
		struct verdict pv;

		if (l[i].cpu_ns < MIN_CPU_NS)
			continue;
		/* the busiest free caller gives the steadiest reading of the cost */
		if (l[i].free_runs > most_frees) {
			most_frees = l[i].free_runs;
			b->meter_pid = l[i].pid;
		}
		judge(b, l[i].cpu_ns, alloc_ns, free_ns, (alloc_ns ?: 1) * sa, free_ns * sf, &pv);
		dlog("pid %d: probe cost %.1f%% of its CPU (%.1f%% with every probe on)\n", l[i].pid,
		     pv.overhead_pct, pv.full_pct);
		if (pv.da < v->da || (pv.da == v->da && pv.overhead_pct > v->overhead_pct)) {
			*v = pv;
			b->info.hot_pid = l[i].pid;
		}
	}
}

/* -a: a window not judged still ends the processes' load windows. */
static void rebase_loads(struct budget *b)
{
	struct lt_proc_load *l;

	if (b->loads)
		b->loads(b->loads_arg, &l);
}

/* The run's cost so far: of the process the duties were last set for (-a;
 * the host's until there is one), or of the target. */
static void run_update(struct budget *b, double k)
{
	if (!b->loads || b->info.hot_pid || b->info.run_pct < 0) {
		double pct = runcost_pct(&b->run, b->info.hot_pid, k);

		if (pct >= 0)
			b->info.run_pct = pct;
	}
	runcost_window_end(&b->run);
}

/* Ends the window; true if it was judged (the target ran enough). */
static bool window_end(struct budget *b, double now)
{
	struct lt_prog_stats a, f, da_, df_;
	double cpu = cpu_now_ns(b), cpu_ns, free_ns, alloc_ns, span = now - b->win_start, A, F;
	double k = probecost_factor(&b->pc);
	struct verdict v;

	account(&b->alloc_g, now);
	account(&b->free_g, now);
	if (cpu < 0 || loader_prog_stats(b->ld, &a, &f)) {
		take_base(b);
		rebase_loads(b);
		return false;
	}
	/* this window's runs; its end is the next one's base */
	da_ = (struct lt_prog_stats){ a.run_ns - b->alloc.run_ns, a.runs - b->alloc.runs,
				      a.rets - b->alloc.rets };
	df_ = (struct lt_prog_stats){ f.run_ns - b->frees.run_ns, f.runs - b->frees.runs,
				      f.rets - b->frees.rets };
	cpu_ns = cpu - b->cpu_ns;
	free_ns = lt_cost_at(direct(b, &df_), k);
	alloc_ns = lt_cost_at(direct(b, &da_), k);
	b->info.cost_factor = k;
	b->info.cost_measured = b->pc.samples > 0;
	dlog("budget window %.2fs: target cpu %.1f ms, frees %.1f ms (%llu runs, on %.2fs), "
	     "allocs %.1f ms (%llu runs, on %.2fs), cost x%.2f (%u phases)\n", span,
	     cpu_ns / 1e6, free_ns / 1e6, (unsigned long long)df_.runs, b->free_g.on_s,
	     alloc_ns / 1e6, (unsigned long long)da_.runs, b->alloc_g.on_s, k, b->pc.samples);
	b->cpu_ns = cpu;
	b->alloc = a;
	b->frees = f;
	runcost_add(&b->run, 0, cpu_ns, plus(direct(b, &df_), direct(b, &da_)));
	if (cpu_ns < MIN_CPU_NS) {
		rebase_loads(b);
		/* Idle: too little to judge, and whatever the probes cost, they
		 * cost little now. Thinning fades out, so that the next burst
		 * (a request, a batch) is seen, and is judged anew. */
		b->info.duty = fmin(1, b->info.duty * 2);
		b->info.free_duty = b->free_duty = fmin(1, b->free_duty * 2);
		run_update(b, k);
		return false;
	}
	if (b->alloc_g.on_s >= MIN_ON_RATE_S)
		b->alloc_g.full_ns = alloc_ns * span / (b->alloc_g.on_s < span ? b->alloc_g.on_s : span);
	if (b->free_g.on_s >= MIN_ON_RATE_S)
		b->free_g.full_ns = free_ns * span / (b->free_g.on_s < span ? b->free_g.on_s : span);
	A = b->alloc_g.full_ns ?: 1;
	F = b->free_g.full_ns;
	judge(b, cpu_ns, alloc_ns, free_ns, A, F, &v);
	if (b->loads)
		judge_procs(b, span, &da_, &df_, &v);
	/* Not thinned, but over the budget were the probes to cost the most
	 * they can over their direct cost: measure what they do cost, with a
	 * short phase of frees alone, now and then. */
	if (v.da >= 1 && v.overhead_pct / k * PROBECOST_MAX_FACTOR > b->info.budget_pct &&
	    (!b->measured_at || now - b->measured_at >= REMEASURE_S)) {
		b->measure_until = now + MEASURE_S;
		b->measured_at = now;
	}
	b->info.overhead_pct = v.overhead_pct;
	b->info.full_pct = v.full_pct;
	b->info.duty = v.da;
	b->info.free_duty = b->free_duty = v.fduty;
	run_update(b, k);
	if (v.da < 1)
		vlog("probe cost %.1f%% of pid %d's CPU (%.1f%% with every probe on, %.1f%% since "
		     "the start): allocation probes on %.0f%% of the time, frees %.0f%%\n",
		     v.overhead_pct, b->info.hot_pid ?: b->pid, v.full_pct, b->info.run_pct,
		     v.da * 100, v.fduty * 100);
	return true;
}

static void gen_counters(struct budget *b, uint64_t c[2])
{
	c[0] = loader_counter(b->ld, LT_CNT_ALLOCS);
	c[1] = loader_counter(b->ld, LT_CNT_GEN_FREES);
}

/* An on-phase of the allocation probes begins: a new generation of blocks. */
static void gen_begin(struct budget *b)
{
	loader_skel(b->ld)->bss->lt_gen++;
	gen_counters(b, b->gen_c0);
	b->slice_at = 0;
}

/*
 * The on-phase is over: does its drain go on? A block of the on-phase still
 * held when frees go off is freed unseen if it dies before they are on
 * again, and counts, as if leaked, until its address is freed or handed out
 * while they are. So the drain goes on while the allocation probes still
 * hit (a detach winds down), and while the phase's blocks are still dying
 * (a request's a little longer than the phase); it ends once few are held
 * or none died in the last slice: the rest live long, and no drain would
 * see them go. Blocks that die at once (a hot malloc/free loop's) need no
 * more than the winding down. Too few blocks to tell: as long as the
 * on-phase. Its cost is counted as the frees' (judge()).
 */
static bool drain_goes_on(struct budget *b, double now, double a_len)
{
	uint64_t c[2], births, deaths, dying;
	double t = now - b->alloc_g.off_at;
	bool born;

	if (t >= a_len * DRAIN_MAX)
		return false;
	gen_counters(b, c);
	births = c[0] - b->gen_c0[0];
	deaths = c[1] - b->gen_c0[1];
	if (births < MIN_BIRTHS)
		return t < a_len;
	if (b->slice_at && now - b->slice_at < DRAIN_SLICE_S)
		return true;
	born = !b->slice_at || births != b->slice_births;
	dying = deaths - b->slice_deaths;
	b->slice_at = now;
	b->slice_births = births;
	b->slice_deaths = deaths;
	if (born)
		return true;
	return deaths < births * (1 - DRAIN_HELD) && dying >= births * DRAIN_DYING;
}

/* A drain ended: what it left held, and how long it ran. */
static void drain_end(struct budget *b, double now, double a_len)
{
	uint64_t c[2], births, deaths;

	gen_counters(b, c);
	births = c[0] - b->gen_c0[0];
	deaths = c[1] - b->gen_c0[1];
	b->info.drain = (now - b->alloc_g.off_at) / a_len;
	b->drain_len = b->drain_len * (1 - DRAIN_WEIGHT) + b->info.drain * DRAIN_WEIGHT;
	b->info.drain_survivors = births && deaths < births ? (double)(births - deaths) / births : 0;
}

/* The counters of the process whose probe cost is measured. */
static int snap(struct budget *b, int pid, struct pc_snap *s)
{
	struct lt_prog_stats a, f;
	uint64_t ah, fh;

	s->cpu_ns = probecost_cpu_ns(pid);
	if (s->cpu_ns < 0 || loader_prog_stats(b->ld, &a, &f))
		return -ESRCH;
	if (!b->hits) {
		s->free_hits = f.runs;
		s->alloc = direct(b, &a);
		return 0;
	}
	/* -a: the process's own hits, at every process's mean cost a hit */
	if (b->hits(b->loads_arg, pid, &ah, &fh))
		return -ESRCH;
	s->free_hits = fh;
	s->alloc = times(hit(b, &a), ah);
	return 0;
}

/* Tell the cost meter which probes are on now: allocations and frees, or
 * frees alone (off from the detach request on, see account()). */
static void meter(struct budget *b)
{
	int pid = b->hits ? b->meter_pid : b->pid;
	enum pc_phase ph = PC_NONE;
	struct pc_snap s;

	if (pid <= 0)
		return;
	probecost_track(&b->pc, pid);
	/* the first window, every probe on, is the target's start too (its
	 * caches, a ring still filling): no pace to compare */
	if (!b->windows)
		ph = PC_NONE;
	else if (b->alloc_g.on && b->free_g.on)
		ph = PC_ALLOC_FREE;
	else if (!b->alloc_g.on && b->free_g.on)
		ph = PC_FREE_ONLY;
	if (ph == b->pc.phase)
		return;
	if (snap(b, pid, &s))
		ph = PC_NONE, s = (struct pc_snap){};
	/* A detach takes out the breakpoints over the next ms (~15 here, its
	 * threads starting), and the probes still hit meanwhile: a phase of
	 * frees alone counted from the request has them, and the allocation
	 * probes' cost reads low. It begins at the first tick that saw none. */
	if (ph == PC_FREE_ONLY && b->pc.phase == PC_ALLOC_FREE) {
		b->winding = true;
		b->wind_traps = s.alloc.trap_ns;
		ph = PC_NONE;
	} else if (ph == PC_FREE_ONLY && b->winding) {
		b->winding = s.alloc.trap_ns != b->wind_traps;
		b->wind_traps = s.alloc.trap_ns;
		if (b->winding)
			return;
	} else {
		b->winding = false;
	}
	if (lt_verbosity >= 3)
		dlog("phase %d -> %d: cpu %.1f ms, frees %.0f, alloc direct %.1f ms\n", b->pc.phase, ph,
		     (s.cpu_ns - b->pc.at.cpu_ns) / 1e6, s.free_hits - b->pc.at.free_hits,
		     (s.alloc.run_ns + s.alloc.trap_ns - b->pc.at.alloc.run_ns - b->pc.at.alloc.trap_ns) /
			     1e6);
	probecost_phase(&b->pc, ph, &s);
}

void budget_tick(struct budget *b, double now)
{
	double t, a_len, on_from, a_end, snap;
	bool thinning, measuring, was_f, want_a, a_done, draining, drained;

	if (!b)
		return;
	if (!b->win_start) {
		b->alloc_g = (struct probe_group){ .links = LT_LINK_ALLOC, .on = true, .since = now };
		b->free_g = (struct probe_group){ .links = LT_LINK_FREE, .on = true, .since = now };
		b->free_duty = 1;
		b->cycle_start = b->last_tick = now;
		b->cycle_s = CYCLE_S;
		take_base(b);
		window_start(b, now);
		return;
	}
	if (!b->alloc_g.on)
		b->info.thinned_s += now - b->last_tick;
	if (now - b->idle_at >= IDLE_S) {
		double cpu = cpu_now_ns(b);

		b->idle = cpu >= 0 && b->idle_at > 0 &&
			  cpu - b->idle_cpu < IDLE_SHARE * (now - b->idle_at) * 1e9;
		b->idle_at = now;
		b->idle_cpu = cpu;
	}
	b->last_tick = now;
	/* A window is one duty cycle [allocations + frees][frees only][off],
	 * so that each measures the mix as it runs. */
	t = now - b->cycle_start;
	thinning = b->info.duty < 1 || b->free_duty < 1;
	/* the first window is short: an expensive start is cut early */
	if (thinning ? t >= b->cycle_s
		     : now - b->win_start >= (b->windows ? WINDOW_S : FIRST_WINDOW_S)) {
		if (loader_detaching(b->ld))
			return; /* the last detach is not over: wait */
		/* finishing: the duties stay as judged, for the final report */
		if (!b->finishing) {
			b->windows += window_end(b, now);
			window_start(b, now);
		}
		b->cycle_start = now;
		t = 0;
		/* long enough for the shortest on-phase: a detach takes the
		 * breakpoints out at once (its wait for handlers in flight goes
		 * on behind), and a cycle that ends while one runs waits (above) */
		b->cycle_s = fmin(fmax(MIN_ON_S / b->info.duty, CYCLE_S), MAX_CYCLE_S);
	}
	/* The allocation probes' on-phase: a_len from when their attach
	 * returned, once a cycle; a_end is where it ends in the cycle. */
	a_len = fmax(b->info.duty * b->cycle_s, MIN_ON_S);
	on_from = fmax(b->alloc_g.since, b->cycle_start);
	a_done = b->a_off_cycle == b->cycle_start;
	a_end = a_done ? b->alloc_g.off_at - b->cycle_start
		       : (b->alloc_g.on ? on_from - b->cycle_start : t) + a_len;
	/* The cycle's report point: what a report reads depends on where in
	 * the cycle it is taken (blocks of an on-phase still in flight; blocks
	 * freed while frees were off), and reports that drift through the
	 * cycles would see growth that is not there. Taken at one point of
	 * each cycle they compare like with like: as the drain ends, the last
	 * moment frees are on, or late in the off-phase if frees stay on; the
	 * on-phase's short-lived blocks are freed by then, and seen freed. */
	snap = a_end + 0.75 * (b->cycle_s - a_end);
	measuring = now < b->measure_until;
	was_f = b->free_g.on;
	want_a = !measuring && (b->info.duty >= 1 ||
				(!a_done && (!b->alloc_g.on || now - on_from < a_len)));
	if (want_a) { /* frees first: nothing allocated goes unseen freed */
		now += set_group(b, &b->free_g, true, now);
		if (thinning && !b->alloc_g.on)
			gen_begin(b); /* the on-phase's blocks: a generation */
		now += set_group(b, &b->alloc_g, true, now);
	} else if (b->alloc_g.on) {
		set_group(b, &b->alloc_g, false, now);
		if (thinning)
			b->a_off_cycle = b->cycle_start;
	}
	draining = !measuring && b->free_duty < 1 && b->free_g.on && !b->alloc_g.on &&
		   b->a_off_cycle == b->cycle_start && t < b->cycle_s &&
		   drain_goes_on(b, now, a_len);
	set_group(b, &b->free_g, measuring || b->free_duty >= 1 || b->alloc_g.on || draining, now);
	drained = thinning && was_f && !b->free_g.on && !b->alloc_g.on;
	if (drained)
		drain_end(b, now, a_len);
	b->snap_now = thinning && (b->free_duty < 1 ? drained : t >= snap) &&
		      b->snap_cycle != b->cycle_start;
	if (b->snap_now)
		b->snap_cycle = b->cycle_start;
	meter(b);
	/* a tick can be 50 ms late, and an on-phase is ~0.1 s: wake on time */
	b->next_s = 0;
	if (measuring)
		b->next_s = b->measure_until;
	else if (draining || b->winding)
		b->next_s = now + (b->winding ? WIND_SLICE_S : DRAIN_SLICE_S);
	else if (thinning) {
		double ends[] = { a_end, snap, b->cycle_s };

		for (int i = 0; i < 3; i++)
			if (ends[i] > t && (!b->next_s || b->cycle_start + ends[i] < b->next_s))
				b->next_s = b->cycle_start + ends[i];
	}
}

int budget_wait_ms(const struct budget *b, double now, int max_ms)
{
	double ms;

	if (!b || !b->next_s)
		return max_ms;
	ms = ceil((b->next_s - now) * 1000);
	return ms < 1 ? 1 : ms < max_ms ? (int)ms : max_ms;
}

void budget_set_loads(struct budget *b, lt_loads_fn fn, lt_hits_fn hits, void *arg)
{
	if (!b)
		return;
	b->loads = fn;
	b->hits = hits;
	b->loads_arg = arg;
}

double budget_run_pct(const struct budget *b, int pid)
{
	if (!b)
		return -1;
	if (!b->loads)
		return pid == b->pid ? b->info.run_pct : -1;
	return runcost_pct(&b->run, pid, probecost_factor(&b->pc));
}

double budget_finish_s(struct budget *b)
{
	if (!b)
		return 0;
	b->finishing = true;
	return b->cycle_s;
}

bool budget_at_report_point(const struct budget *b)
{
	return !b || (b->info.duty >= 1 && b->free_duty >= 1) || b->snap_now || b->idle;
}

bool budget_report_due(const struct budget *b, double since_last, double interval)
{
	/* an idle target has nothing in flight: any moment is a report point */
	if (!b || (b->info.duty >= 1 && b->free_duty >= 1) || b->idle)
		return since_last >= interval;
	/* at the report point of the cycle that ends the interval, or nearly */
	return b->snap_now && since_last >= 0.75 * interval;
}

bool budget_allocs_seen_since(const struct budget *b, double t)
{
	return !b || b->alloc_g.on || b->alloc_g.off_at > t;
}

const struct lt_budget_info *budget_info(const struct budget *b)
{
	return &b->info;
}

void budget_free(struct budget *b)
{
	if (!b)
		return;
	if (b->stats_fd >= 0)
		close(b->stats_fd);
	runcost_free(&b->run);
	free(b);
}
