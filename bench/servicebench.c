// SPDX-License-Identifier: MIT
/*
 * servicebench SECONDS [-w] [-t FILE]: a service-like loop for issue 15's
 * budget rows.
 * Each request does ~20 us of work (dependent reads over a working set, as
 * request handling does) and makes three allocations of mixed
 * sizes that live a while: they go into a ring of pending requests and are
 * freed when their slot comes round again. One request in LEAK_EVERY also
 * opens a session that is never closed (open_session(): the slow leak the
 * tracer must find). Prints
 *   servicebench: 123456 requests 8123.4 ns/request 8011.2 cpu-ns/request 483 leaked
 * timed around the loop only, by the clock and by the process's CPU time
 * (which counts the probes' traps, run in its threads, and not the time
 * other jobs on a busy machine take from it). -w blocks until SIGUSR1
 * before the loop, so a tracer can attach first, and after it, so that the
 * tracer reports while the leak is held. -t writes, every 64 requests, the
 * clock, the CPU time and the requests so far (ns ns n, a line each), so that
 * bench/phases.sh can lay its pace against a tracer's phases.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "benchwait.h"

#define WS_WORDS (1u << 18)	/* 2 MiB working set: the caches a request warms */
#define LOADS 1500		/* dependent loads per request: ~20 us here */
#define RING 4096		/* requests in flight: each block lives that long */
#define LEAK_EVERY 256
#define TRACE_MAX (1u << 18)	/* -t: samples kept, 64 requests apart */

struct pending {
	void *hdr, *body, *reply;
};

static struct pending ring[RING];
static uint64_t *ws;
void *volatile sink;
static void *sessions;	/* the leak: a list nobody ever frees */
static struct sample {
	double t, cpu, n;
} *trace;
static unsigned int ntrace;

static double clock_ns(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static __attribute__((noinline)) void open_session(uint64_t id)
{
	void **s = malloc(320); /* LEAK:session */

	if (!s)
		exit(1);
	memset(s, (int)id, 320);
	s[0] = sessions;
	sessions = s;
}

static __attribute__((noinline)) uint64_t handle(uint64_t x, uint64_t id)
{
	struct pending *p = &ring[id % RING];

	for (int i = 0; i < LOADS; i++)
		x = ws[(x + i * 7919u) & (WS_WORDS - 1)];
	free(p->hdr);
	free(p->body);
	free(p->reply);
	p->hdr = malloc(48 + (x & 15));
	p->body = malloc(600 + (x & 255));
	p->reply = malloc(3000 + (x & 1023));
	if (!p->hdr || !p->body || !p->reply)
		exit(1);
	memset(p->body, 1, 64);
	if (id % LEAK_EVERY == 0)
		open_session(id);
	return x;
}

static int write_trace(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	for (unsigned int i = 0; i < ntrace; i++)
		fprintf(f, "%.0f %.0f %.0f\n", trace[i].t, trace[i].cpu, trace[i].n);
	return fclose(f);
}

int main(int argc, char **argv)
{
	double secs, t0, t1, c0;
	uint64_t x = 1, n = 0;
	const char *trace_path = NULL;
	bool wait = false;

	if (argc < 2 || (secs = strtod(argv[1], NULL)) <= 0) {
		fprintf(stderr, "usage: servicebench SECONDS [-w] [-t FILE]\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "-w"))
			wait = true;
		else if (!strcmp(argv[i], "-t") && i + 1 < argc)
			trace_path = argv[++i];
	}
	if (trace_path && !(trace = calloc(TRACE_MAX, sizeof(*trace))))
		return 1;
	ws = malloc(WS_WORDS * sizeof(*ws));
	if (!ws)
		return 1;
	for (uint64_t i = 0; i < WS_WORDS; i++)
		ws[i] = (i * 2654435761u) & (WS_WORDS - 1);
	if (wait && bench_wait("servicebench", "waiting for SIGUSR1", false))
		return 1;
	t0 = clock_ns(CLOCK_MONOTONIC);
	c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	do {
		for (int i = 0; i < 64; i++)
			x = handle(x, n++);
		t1 = clock_ns(CLOCK_MONOTONIC);
		if (trace && ntrace < TRACE_MAX)
			trace[ntrace++] = (struct sample){ t1, clock_ns(CLOCK_PROCESS_CPUTIME_ID), n };
	} while (t1 - t0 < secs * 1e9);
	sink = (void *)(uintptr_t)x;
	printf("servicebench: %llu requests %.1f ns/request %.1f cpu-ns/request %llu leaked\n",
	       (unsigned long long)n, (t1 - t0) / n, (clock_ns(CLOCK_PROCESS_CPUTIME_ID) - c0) / n,
	       (unsigned long long)(n + LEAK_EVERY - 1) / LEAK_EVERY);
	fflush(stdout);
	if (trace_path && write_trace(trace_path))
		perror(trace_path);
	/* -w: hold the leak until the tracer's final report is taken */
	if (wait)
		bench_wait("servicebench", "done, waiting for SIGUSR1 to exit", false);
	return 0;
}
