// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "calib.h"
#include "leaktrace.h"
#include "loader.h"
#include "log.h"

/*
 * The calibration child: runs n malloc(64)/free pairs per request and
 * answers with the time they took. A hot loop: what a trap costs a real
 * program beyond that (the caches and TLB it disturbs) is measured in the
 * target itself (probecost.h), and a loop that also read memory was at the
 * mercy of whatever else the machine ran. Calls go through volatile
 * pointers so that the compiler keeps every one.
 */
static void __attribute__((noreturn)) calib_child(int rfd, int wfd)
{
	void *(*volatile m)(size_t) = malloc;
	void (*volatile f)(void *) = free;
	uint32_t n;

	while (read(rfd, &n, sizeof(n)) == sizeof(n)) {
		struct timespec a, b;
		uint64_t ns;

		clock_gettime(CLOCK_MONOTONIC, &a);
		for (uint32_t i = 0; i < n; i++)
			f(m(64 + (i & 1)));
		clock_gettime(CLOCK_MONOTONIC, &b);
		ns = (b.tv_sec - a.tv_sec) * 1000000000ULL + b.tv_nsec - a.tv_nsec;
		if (write(wfd, &ns, sizeof(ns)) != sizeof(ns))
			break;
	}
	_exit(0);
}

/* Best of CALIB_RUNS runs of n pairs, in ns per pair; < 0 on error. The
 * other jobs on a machine only ever slow a run down: the best is the
 * least disturbed. */
#define CALIB_RUNS 11
static double calib_run(int wfd, int rfd, uint32_t n)
{
	double best = -1;

	for (int i = 0; i < CALIB_RUNS; i++) {
		uint64_t ns;

		if (write(wfd, &n, sizeof(n)) != sizeof(n) || read(rfd, &ns, sizeof(ns)) != sizeof(ns))
			return -1;
		if (best < 0 || (double)ns / n < best)
			best = (double)ns / n;
	}
	return best;
}

int calib_traps(struct loader *ld, const char *libc_path, double *trap_ns, double *ret_trap_ns)
{
	struct lt_prog_stats a0, f0, a1, f1, a2, f2;
	int to_child[2] = { -1, -1 }, from_child[2] = { -1, -1 };
	double untraced, frees, both, bpf_f, bpf_m;
	const uint32_t n = 8000;
	pid_t child = -1;
	int err;

	if (pipe2(to_child, O_CLOEXEC) || pipe2(from_child, O_CLOEXEC)) {
		err = -errno;
		goto cleanup;
	}
	child = fork();
	if (child < 0) {
		err = -errno;
		goto cleanup;
	}
	if (child == 0) {
		close(to_child[1]);
		close(from_child[0]);
		calib_child(to_child[0], from_child[1]);
	}
	close(to_child[0]);
	close(from_child[1]);
	to_child[0] = from_child[1] = -1;

	untraced = calib_run(to_child[1], from_child[0], n);
	err = untraced < 0 ? -EIO : loader_attach_calib(ld, libc_path, child, LT_CALIB_FREE);
	err = err ?: loader_prog_stats(ld, &a0, &f0);
	if (err)
		goto cleanup;
	frees = calib_run(to_child[1], from_child[0], n);
	err = frees < 0 ? -EIO : loader_prog_stats(ld, &a1, &f1);
	err = err ?: loader_attach_calib(ld, libc_path, child, LT_CALIB_MALLOC);
	if (err)
		goto cleanup;
	both = calib_run(to_child[1], from_child[0], n);
	err = both < 0 ? -EIO : loader_prog_stats(ld, &a2, &f2);
	if (err)
		goto cleanup;
	bpf_f = (double)(f1.run_ns - f0.run_ns) / ((double)CALIB_RUNS * n);
	bpf_m = (double)(a2.run_ns - a1.run_ns + f2.run_ns - f1.run_ns) / ((double)CALIB_RUNS * n) - bpf_f;
	/* below 50 ns is noise: a trap costs more than that anywhere */
	*trap_ns = fmax(frees - untraced - bpf_f, 50);
	*ret_trap_ns = fmax(both - frees - bpf_m - *trap_ns, 50);
	vlog("calibration: malloc+free %.1f ns untraced, %.1f ns with free "
	     "probed, %.1f ns with malloc too (BPF %.1f + %.1f ns): %.0f ns an entry trap, %.0f ns "
	     "a return trap\n", untraced, frees, both, bpf_f, bpf_m, *trap_ns,
	     *ret_trap_ns);
cleanup:
	for (int i = 0; i < 2; i++) {
		if (to_child[i] >= 0)
			close(to_child[i]);
		if (from_child[i] >= 0)
			close(from_child[i]);
	}
	if (child > 0)
		waitpid(child, NULL, 0);
	loader_drop(ld, LT_LINK_CALIB);
	return err;
}
