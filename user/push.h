/* SPDX-License-Identifier: MIT */
/*
 * --push URL: profiles go to a Pyroscope-compatible /ingest endpoint from a
 * worker thread, through an on-disk spool, so the tracing loop never waits
 * on the network and nothing is lost while the backend is away:
 *
 *   POST URL/ingest?name=SERVICE%7Bservice_name%3D...%7D&from=T0&until=T1
 *        &format=pprof&spyName=leaktrace
 *   Content-Type: multipart/form-data
 *     profile            the gzipped pprof (1f 8b ...)
 *     sample_type_config JSON: every sample type non-cumulative
 *
 * The spool (--spool DIR) holds one file per undelivered profile, named
 * "<ms since the epoch>-<pid>-<seq>.push" (so names sort by age), holding a
 * "LTSPOOL1 <query string>\n" line then the body. Files appear by atomic
 * rename and go once delivered, oldest first; past --spool-max bytes the
 * oldest are dropped (counted and logged). A 2xx delivers; connection
 * errors, timeouts (2 s connect, 10 s in all), 408, 429 and 5xx are retried
 * with backoff (1 s doubling up to the cap); other 4xx are dropped as
 * rejected. Files left at exit are delivered by the next run.
 */
#ifndef LT_PUSH_H
#define LT_PUSH_H

#include <stddef.h>
#include <stdint.h>

struct pusher;

struct push_stats {
	uint64_t spooled, pushed, dropped, rejected, left;
};

/* url: the server's base URL ("/ingest" is appended unless present).
 * Creates spool_dir; starts the worker, which first delivers what an
 * earlier run left there. 0 or -errno after a message. */
int pusher_new(const char *url, const char *spool_dir, uint64_t spool_max, double max_backoff_s,
	       struct pusher **out);
/* Spool one profile for delivery; query: the URL-encoded query string.
 * Returns at once. 0 or -errno (logged; the profile is lost). */
int pusher_submit(struct pusher *p, const char *query, const void *body, size_t len);
/* Stop: one last delivery attempt of the spool, in order, then join the
 * worker. Fills st if not NULL. */
void pusher_free(struct pusher *p, struct push_stats *st);

#endif
