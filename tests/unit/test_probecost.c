// SPDX-License-Identifier: MIT
/* probecost: the trap factor read off a target's free-call rate. The target
 * of these cases makes 10 frees per µs of its own work; its allocation
 * probes take a known share of its time with both probe sets on. */
#include <math.h>
#include "probecost.h"
#include "unit.h"

/* Cycles of [both on: 100 ms][frees only: 100 ms] at CPU time; share: the
 * allocation probes' real share of the time with both on; bpf and trap:
 * their BPF run time's and their calibrated traps'. */
static double run(double share, double bpf, double trap, int cycles)
{
	struct probecost pc = {};
	struct pc_snap s = {};
	const double rate = 10e-3; /* frees per ns of the target's own work */

	probecost_track(&pc, 1234);
	for (int i = 0; i < cycles; i++) {
		probecost_phase(&pc, PC_ALLOC_FREE, &s);
		s.cpu_ns += 100e6;
		s.free_hits += 100e6 * (1 - share) * rate;
		s.alloc.run_ns += 100e6 * bpf;
		s.alloc.trap_ns += 100e6 * trap;
		probecost_phase(&pc, PC_FREE_ONLY, &s);
		s.cpu_ns += 100e6;
		s.free_hits += 100e6 * rate;
	}
	probecost_phase(&pc, PC_NONE, &s);
	return probecost_factor(&pc);
}

UT_TEST(probecost_factor_from_the_free_rate)
{
	/* the probes take 30%, BPF 10% of it: their traps, calibrated at
	 * 10%, cost twice that */
	CHECK(fabs(run(0.30, 0.10, 0.10, 4) - 2.0) < 1e-6);
	/* they cost what they cost directly */
	CHECK(fabs(run(0.20, 0.10, 0.10, 4) - 1.0) < 1e-6);
	/* the trap was calibrated high for this program */
	CHECK(fabs(run(0.15, 0.10, 0.10, 4) - 0.5) < 1e-6);
	/* BPF's share is measured, not scaled: the same drop with more of it
	 * in BPF leaves the traps less */
	CHECK(fabs(run(0.30, 0.20, 0.05, 4) - 2.0) < 1e-6);
}

UT_TEST(probecost_bounds)
{
	/* nothing to go on yet: direct costs as they are */
	CHECK(run(0.30, 0.05, 0.10, 0) == 1.0);
	/* allocation probes too cheap to show in the rate: not measured */
	CHECK(run(0.001, 0.0025, 0.0025, 8) == 1.0);
	/* a rate that rose with the probes on (other work): held at the bound */
	CHECK(run(-0.5, 0.05, 0.05, 4) == 0.5);
	CHECK(run(0.90, 0.05, 0.05, 4) == PROBECOST_MAX_FACTOR);
}

UT_TEST(probecost_new_process_keeps_the_factor)
{
	struct probecost pc = {};
	struct pc_snap s = { .cpu_ns = 0 };

	probecost_track(&pc, 1);
	pc.factor = 1.7;
	pc.samples = 3;
	pc.af_cpu = 1e9;
	probecost_track(&pc, 2);
	CHECK(pc.factor == 1.7 && pc.af_cpu == 0 && pc.pid == 2);
	/* counters that went back (another process's) are no phase */
	probecost_phase(&pc, PC_ALLOC_FREE, &(struct pc_snap){ .cpu_ns = 5e9, .free_hits = 1e6 });
	probecost_phase(&pc, PC_FREE_ONLY, &s);
	CHECK(pc.af_cpu == 0);
}
