/* SPDX-License-Identifier: MIT */
/* Small helpers shared across user/. */
#ifndef LT_UTIL_H
#define LT_UTIL_H

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Room for one more element in *v (n used of *cap, each size bytes),
 * doubling: 0 or -ENOMEM (v unchanged). */
static inline int lt_grow(void *v, size_t *cap, size_t n, size_t size)
{
	void **p = v, *q;
	size_t c = *cap ? *cap * 2 : 16;

	if (n < *cap)
		return 0;
	q = realloc(*p, c * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

/* pid names no process any more: one that exited while we attached to it
 * (not worth an error) */
static inline bool lt_pid_gone(int pid)
{
	return pid > 0 && kill(pid, 0) && errno == ESRCH;
}

/* 64-bit finalizer (MurmurHash3's) for open-addressing tables. */
static inline uint64_t lt_mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

/* CLOCK_MONOTONIC, in seconds. */
static inline double lt_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The birth bucket width (ms) for a run this long: buckets only ever widen
 * (so they nest) and keep ~64 per stack. */
static inline uint32_t lt_bucket_width(double elapsed_s)
{
	uint32_t w = 100;

	while (elapsed_s * 1000 / w > 64 && w < (1U << 30))
		w *= 2;
	return w;
}

/* Bytes for people: "812 B", "4.0 KiB", "-1.5 MiB". */
static inline const char *lt_human_bytes(double b, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double a = b < 0 ? -b : b;
	int u = 0;

	while (a >= 1024 && u < 4) {
		a /= 1024;
		b /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", b, units[u]);
	return buf;
}

/* The tracer's own peak RSS in KiB: VmHWM, not getrusage()'s ru_maxrss,
 * which keeps what the process that forked us held before our exec. -1 if
 * unknown. */
static inline long lt_peak_rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[128];
	long kib = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

#endif
