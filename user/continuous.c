// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "continuous.h"
#include "export_pprof.h"
#include "log.h"
#include "outdir.h"
#include "profile.h"
#include "push.h"

#define DEFAULT_SPOOL "/var/spool/leaktrace"

struct continuous {
	struct outdir *od;
	struct pusher *push;
	double last_until;	/* UNIX seconds (whole): where the next window starts */
	uint64_t periods;
};

static double now_real(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Copy s, with the characters that would break "name{k=v,...}" replaced. */
static void safe_copy(char *dst, size_t len, const char *s)
{
	size_t i = 0;

	for (; s && *s && i + 1 < len; s++)
		dst[i++] = (strchr("{}=,\"", *s) || (unsigned char)*s < 0x20) ? '_' : *s;
	dst[i] = '\0';
}

void labels_update(struct lt_labels *lb, int pid, const char *comm, const char *service,
		   const char *hostname)
{
	char path[64], line[1024];
	FILE *f;

	lb->pid = pid;
	if (comm && *comm)
		safe_copy(lb->comm, sizeof(lb->comm), comm);
	safe_copy(lb->service, sizeof(lb->service), service && *service ? service : lb->comm);
	if (!lb->service[0])
		snprintf(lb->service, sizeof(lb->service), "leaktrace");
	if (hostname && *hostname)
		safe_copy(lb->hostname, sizeof(lb->hostname), hostname);
	else if (!lb->hostname[0] && !gethostname(line, sizeof(line))) {
		line[sizeof(line) - 1] = '\0';
		safe_copy(lb->hostname, sizeof(lb->hostname), line);
	}
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		safe_copy(lb->cgroup, sizeof(lb->cgroup), line + 3);
	}
	if (f)
		fclose(f);
}

/* Percent-encode s (RFC 3986 unreserved characters stay) onto f. */
static void url_encode(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = *s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    strchr("-._~", ch))
			fputc(ch, f);
		else
			fprintf(f, "%%%02X", ch);
	}
}

/* The /ingest query string (malloc'ed). Pyroscope takes whole seconds: the
 * window is [floor(from), floor(until)], at least one second long, so
 * consecutive periods share their boundary. */
static char *ingest_query(const struct lt_labels *lb, double from, double until)
{
	long long f0 = (long long)from, u0 = (long long)until;
	char *q = NULL, name[1200];
	size_t len = 0;
	FILE *f;

	if (u0 <= f0)
		u0 = f0 + 1;
	snprintf(name, sizeof(name), "%s{service_name=%s,pid=%d,comm=%s,cgroup=%s,hostname=%s}",
		 lb->service, lb->service, lb->pid, lb->comm, lb->cgroup, lb->hostname);
	f = open_memstream(&q, &len);
	if (!f)
		return NULL;
	fputs("name=", f);
	url_encode(f, name);
	fprintf(f, "&from=%lld&until=%lld&format=pprof&spyName=leaktrace", f0, u0);
	if (fclose(f)) {
		free(q);
		return NULL;
	}
	return q;
}

int continuous_new(const struct lt_env *env, struct continuous **out)
{
	struct continuous *c = calloc(1, sizeof(*c));
	char *spool = NULL;
	int err = 0;

	if (!c)
		return -ENOMEM;
	c->last_until = (long long)now_real();
	if (env->out_dir)
		err = outdir_new(env->out_dir, env->max_files, env->max_bytes, env->max_age, &c->od);
	if (!err && env->push_url) {
		if (env->spool_dir)
			spool = strdup(env->spool_dir);
		else if (env->out_dir && asprintf(&spool, "%s/spool", env->out_dir) < 0)
			spool = NULL;
		else if (!env->out_dir)
			spool = strdup(DEFAULT_SPOOL);
		/* retries back off up to a period (30 s at most) */
		err = spool ? pusher_new(env->push_url, spool, env->spool_max,
					 env->every < 30 ? env->every : 30, &c->push)
			    : -ENOMEM;
	}
	free(spool);
	if (err) {
		continuous_free(c);
		return err;
	}
	*out = c;
	return 0;
}

int continuous_submit(struct continuous *c, const struct lt_labels *lb, const struct lt_profile *p,
		      double from, double until)
{
	char *buf = NULL, *query = NULL, name[256], stamp[32];
	size_t len = 0;
	time_t secs = (time_t)until;
	struct tm tm;
	FILE *f;
	int err;

	f = open_memstream(&buf, &len);
	if (!f)
		return -errno;
	err = export_pprof(f, p);
	if (fclose(f) && !err)
		err = -ENOMEM;
	if (err) {
		elog("cannot build the period's pprof: %s\n", strerror(-err));
		goto out;
	}
	c->periods++;
	if (c->od) {
		gmtime_r(&secs, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
		snprintf(name, sizeof(name), "%s.%03dZ-%s-%d.pb.gz", stamp,
			 (int)((until - secs) * 1000), lb->service, lb->pid);
		for (char *s = name; *s; s++)
			if (*s == '/')
				*s = '_';
		outdir_write(c->od, name, buf, len); /* logs; tracing goes on */
	}
	if (c->push) {
		query = ingest_query(lb, from, until);
		if (query)
			pusher_submit(c->push, query, buf, len); /* logs; tracing goes on */
		else
			elog("out of memory: a period's profile is lost\n");
	}
out:
	free(query);
	free(buf);
	return err;
}

void continuous_window(struct continuous *c, double *from, double *until)
{
	/* whole seconds, each window at least one: a period a little short of
	 * --every (reports take varying time) must not end where it began */
	*until = (long long)now_real();
	if (*until < c->last_until + 1)
		*until = c->last_until + 1;
	*from = c->last_until;
	c->last_until = *until;
}

int continuous_profile(struct continuous *c, const struct lt_labels *lb,
		       const struct lt_model *m, const struct report_info *ri, double from,
		       double until)
{
	struct lt_profile prof;
	int err;

	err = profile_of(m, ri, &prof);
	if (err)
		return err;
	err = continuous_submit(c, lb, &prof, from, until);
	profile_free(&prof);
	return err;
}

int continuous_period(struct continuous *c, const struct lt_labels *lb, const struct lt_model *m,
		      const struct report_info *ri)
{
	double from, until;

	continuous_window(c, &from, &until);
	return continuous_profile(c, lb, m, ri, from, until);
}

void continuous_free(struct continuous *c)
{
	struct push_stats st = {};

	if (!c)
		return;
	if (c->push) {
		pusher_free(c->push, &st);
		if (lt_verbosity >= 0)
			fprintf(stderr, "leaktrace: continuous: %" PRIu64 " profiles, %" PRIu64
				" pushed, %" PRIu64 " dropped, %" PRIu64 " rejected, %" PRIu64
				" left in the spool\n", c->periods, st.pushed, st.dropped,
				st.rejected, st.left);
	} else if (lt_verbosity >= 0 && c->od) {
		fprintf(stderr, "leaktrace: continuous: %" PRIu64 " profiles\n", c->periods);
	}
	outdir_free(c->od);
	free(c);
}
