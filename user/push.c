// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include "log.h"
#include "outdir.h"
#include "dirlist.h"
#include "push.h"

#define SPOOL_MAGIC "LTSPOOL1 "
#define SPOOL_SUFFIX ".push"
#define SPOOL_NAME_MAX 64	/* name buffers below; longer names are not ours */
#define MAX_SPOOL_FILE ((size_t)256 << 20)

/* Every type is a value at the end of its period, not a running counter
 * for the server to difference (Pyroscope's default for alloc_*): inuse_*
 * are snapshots, alloc_* totals since tracing started. */
static const char sample_type_config[] =
	"{\"alloc_objects\":{\"units\":\"objects\",\"aggregation\":\"average\","
	"\"display-name\":\"alloc_objects\",\"cumulative\":false},"
	"\"alloc_space\":{\"units\":\"bytes\",\"aggregation\":\"average\","
	"\"display-name\":\"alloc_space\",\"cumulative\":false},"
	"\"inuse_objects\":{\"units\":\"objects\",\"aggregation\":\"average\","
	"\"display-name\":\"inuse_objects\",\"cumulative\":false},"
	"\"inuse_space\":{\"units\":\"bytes\",\"aggregation\":\"average\","
	"\"display-name\":\"inuse_space\",\"cumulative\":false}}";

struct pusher {
	char *url;		/* ends in /ingest */
	char *url_log;		/* the same with its user:password@ shown as ***@ */
	struct curl_slist *auth; /* "Authorization: Bearer TOKEN", or NULL */
	char *dir;
	uint64_t max;
	double max_backoff;
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	char sending[64];	/* the file in flight: never dropped under it */
	unsigned int seq;
	struct push_stats st;
	bool failing;		/* the last attempt failed (warned once per outage) */
	CURL *curl;
};

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool is_spool_file(const char *name)
{
	size_t n = strlen(name), m = strlen(SPOOL_SUFFIX);

	return n > m && n < SPOOL_NAME_MAX && name[0] >= '0' &&
	       name[0] <= '9' && !strcmp(name + n - m, SPOOL_SUFFIX);
}

/* Spool files, oldest first; *bytes: their total size. Caller frees. */
static int spool_list(const struct pusher *p, struct lt_dfile **out, size_t *n, uint64_t *bytes)
{
	return dirlist(p->dir, is_spool_file, out, n, bytes);
}

static void spool_path(const struct pusher *p, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", p->dir, name);
}

/* The oldest spool file's name into name (lock held); false if none. */
static bool spool_oldest(struct pusher *p, char *name, size_t len)
{
	struct lt_dfile *v = NULL;
	uint64_t bytes;
	size_t n = 0;
	bool found;

	spool_list(p, &v, &n, &bytes);
	found = n > 0;
	if (found) { /* is_spool_file() keeps names short */
		size_t k = strnlen(v[0].name, len - 1);

		memcpy(name, v[0].name, k);
		name[k] = '\0';
	}
	free(v);
	return found;
}

/* Read a spool file: its query string and body (one malloc'ed buffer). */
static int spool_read(const struct pusher *p, const char *name, char **buf, char **query,
		      const char **body, size_t *blen)
{
	char path[4096], *nl;
	struct stat st;
	FILE *f;
	int fd, err = 0;

	*buf = NULL;
	spool_path(p, name, path, sizeof(path));
	/* a symlink or a FIFO planted in the spool is no profile of ours */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP ? -EBADMSG : -errno;
	f = fdopen(fd, "rb");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		err = -EBADMSG;
		goto out;
	}
	if ((size_t)st.st_size > MAX_SPOOL_FILE) {
		err = -EFBIG;
		goto out;
	}
	*buf = malloc(st.st_size + 1);
	if (!*buf) {
		err = -ENOMEM;
		goto out;
	}
	if (fread(*buf, 1, st.st_size, f) != (size_t)st.st_size) {
		err = -EIO;
		goto out;
	}
	(*buf)[st.st_size] = '\0';
	nl = memchr(*buf, '\n', st.st_size);
	if (!nl || strncmp(*buf, SPOOL_MAGIC, strlen(SPOOL_MAGIC))) {
		err = -EBADMSG;
		goto out;
	}
	*nl = '\0';
	*query = *buf + strlen(SPOOL_MAGIC);
	*body = nl + 1;
	*blen = st.st_size - (nl + 1 - *buf);
out:
	fclose(f);
	if (err) {
		free(*buf);
		*buf = NULL;
	}
	return err;
}

static size_t discard(char *ptr, size_t size, size_t n, void *arg)
{
	return size * n;
}

enum post_result { POST_OK, POST_RETRY, POST_REJECTED };

/* One POST; why: what went wrong, for the log. */
static enum post_result post(struct pusher *p, const char *query, const char *body, size_t len,
			     char *why, size_t whylen)
{
	curl_mime *mime = NULL;
	curl_mimepart *part;
	char *url = NULL;
	long code = 0;
	CURLcode rc;
	enum post_result res = POST_RETRY;

	if (!p->curl)
		p->curl = curl_easy_init();
	if (!p->curl || asprintf(&url, "%s?%s", p->url, query) < 0) {
		url = NULL;
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	mime = curl_mime_init(p->curl);
	part = curl_mime_addpart(mime);
	curl_mime_name(part, "profile");
	curl_mime_filename(part, "profile.pprof");
	curl_mime_type(part, "application/octet-stream");
	curl_mime_data(part, body, len);
	part = curl_mime_addpart(mime);
	curl_mime_name(part, "sample_type_config");
	curl_mime_filename(part, "sample_type_config.json");
	curl_mime_type(part, "application/json");
	curl_mime_data(part, sample_type_config, CURL_ZERO_TERMINATED);

	curl_easy_reset(p->curl);
	curl_easy_setopt(p->curl, CURLOPT_URL, url);
	curl_easy_setopt(p->curl, CURLOPT_MIMEPOST, mime);
	curl_easy_setopt(p->curl, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM timeouts */
	curl_easy_setopt(p->curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	curl_easy_setopt(p->curl, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(p->curl, CURLOPT_USERAGENT, "leaktrace");
	if (p->auth)
		curl_easy_setopt(p->curl, CURLOPT_HTTPHEADER, p->auth);
	curl_easy_setopt(p->curl, CURLOPT_WRITEFUNCTION, discard);
	rc = curl_easy_perform(p->curl);
	if (rc != CURLE_OK) {
		snprintf(why, whylen, "%s", curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(p->curl, CURLINFO_RESPONSE_CODE, &code);
	snprintf(why, whylen, "HTTP %ld", code);
	/* Only a profile the server cannot take is dropped: an auth outage
	 * (401, 403), a route not there yet (404) or an overload keeps it. */
	if (code >= 200 && code < 300)
		res = POST_OK;
	else if (code == 400 || code == 413)
		res = POST_REJECTED;
out:
	curl_mime_free(mime);
	free(url);
	return res;
}

/* Deliver the oldest spool file (lock held, dropped during the POST).
 * 1: delivered or gone, 0: none left, -EAGAIN: failed, retry later. */
static int deliver_one(struct pusher *p)
{
	char name[64], path[4096], why[128], *buf, *query = NULL;
	const char *body = NULL;
	enum post_result res;
	size_t len = 0;
	int err;

	if (!spool_oldest(p, name, sizeof(name)))
		return 0;
	spool_path(p, name, path, sizeof(path));
	err = spool_read(p, name, &buf, &query, &body, &len);
	if (err == -ENOENT) /* gone since the listing (another run's worker) */
		return 1;
	if (err) {
		wlog("dropping unreadable spool file %s: %s\n", path, strerror(-err));
		unlink(path);
		p->st.dropped++;
		return 1;
	}
	snprintf(p->sending, sizeof(p->sending), "%s", name);
	pthread_mutex_unlock(&p->lock);
	res = post(p, query, body, len, why, sizeof(why));
	pthread_mutex_lock(&p->lock);
	p->sending[0] = '\0';
	free(buf);
	if (res == POST_RETRY) {
		if (!p->failing)
			wlog("cannot push to %s: %s; profiles wait in %s\n", p->url_log, why, p->dir);
		else
			vlog("push to %s: %s\n", p->url_log, why);
		p->failing = true;
		return -EAGAIN;
	}
	if (p->failing)
		wlog("push to %s works again\n", p->url_log);
	p->failing = false;
	unlink(path);
	if (res == POST_REJECTED) {
		wlog("%s rejected a profile (%s): dropped\n", p->url_log, why);
		p->st.rejected++;
	} else {
		dlog("pushed %s\n", name);
		p->st.pushed++;
	}
	return 1;
}

static void *worker(void *arg)
{
	struct pusher *p = arg;
	double backoff = 0, next_try = 0;

	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		struct timespec ts;
		double t = now_mono();
		int r;

		if (t < next_try) {
			/* new profiles wake us, but the backoff holds */
			clock_gettime(CLOCK_REALTIME, &ts);
			t = ts.tv_sec + ts.tv_nsec / 1e9 + (next_try - t);
			ts.tv_sec = (time_t)t;
			ts.tv_nsec = (long)((t - ts.tv_sec) * 1e9);
			pthread_cond_timedwait(&p->cond, &p->lock, &ts);
			continue;
		}
		r = deliver_one(p);
		if (r > 0) {
			backoff = 0;
			continue;
		}
		if (r == 0) {
			pthread_cond_wait(&p->cond, &p->lock);
			continue;
		}
		backoff = backoff ? backoff * 2 : 1;
		if (backoff > p->max_backoff)
			backoff = p->max_backoff;
		next_try = now_mono() + backoff;
	}
	/* stopping: one attempt, in order, up to the first failure */
	while (deliver_one(p) > 0)
		;
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int pusher_submit(struct pusher *p, const char *query, const void *body, size_t len)
{
	struct lt_dfile *v = NULL;
	char name[64], path[4096], *hdr = NULL;
	struct timespec ts;
	uint64_t bytes = 0, need;
	size_t n = 0, i;
	int hlen, err;

	hlen = asprintf(&hdr, SPOOL_MAGIC "%s\n", query);
	if (hlen < 0)
		return -ENOMEM;
	need = hlen + len;
	pthread_mutex_lock(&p->lock);
	err = spool_list(p, &v, &n, &bytes);
	if (err) {
		elog("cannot list the spool %s: %s\n", p->dir, strerror(-err));
		goto out;
	}
	/* room for the new one: drop the oldest (not the one in flight) */
	for (i = 0; i < n && bytes + need > p->max; i++) {
		if (!strcmp(v[i].name, p->sending))
			continue;
		spool_path(p, v[i].name, path, sizeof(path));
		if (unlink(path))
			continue;
		bytes -= v[i].size;
		p->st.dropped++;
		wlog("spool %s is full (--spool-max %" PRIu64 "): dropped its oldest profile, "
		     "%" PRIu64 " dropped so far\n", p->dir, p->max, p->st.dropped);
	}
	if (bytes + need > p->max) {
		p->st.dropped++;
		wlog("a %zu-byte profile does not fit in --spool-max %" PRIu64 ": dropped, "
		     "%" PRIu64 " dropped so far\n", (size_t)need, p->max, p->st.dropped);
		goto out;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(name, sizeof(name), "%013llu-%d-%06u" SPOOL_SUFFIX,
		 (unsigned long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, (int)getpid(),
		 p->seq++ % 1000000);
	spool_path(p, name, path, sizeof(path));
	err = write_atomic(path, hdr, hlen, body, len);
	if (err) {
		elog("cannot write %s: %s (profile lost)\n", path, strerror(-err));
		p->st.dropped++;
		goto out;
	}
	p->st.spooled++;
	pthread_cond_signal(&p->cond);
out:
	pthread_mutex_unlock(&p->lock);
	free(v);
	free(hdr);
	return err;
}

/* The spool is read back and its files sent: only we may write there. */
static int spool_dir_safe(const char *dir)
{
	struct stat st;

	if (lstat(dir, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode)) {
		elog("the spool %s is not a directory (a symlink?): choose another with --spool "
		     "DIR\n", dir);
		return -ENOTDIR;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 022)) {
		elog("the spool %s is owned by uid %u with mode %04o: others could plant "
		     "profiles there; use a directory of ours, not group- or world-writable "
		     "(--spool DIR)\n", dir, (unsigned int)st.st_uid,
		     (unsigned int)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

/* LEAKTRACE_PUSH_TOKEN, else the first line of LEAKTRACE_PUSH_TOKEN_FILE:
 * sent as a bearer token, never logged. NULL: none; -errno in *err. */
static struct curl_slist *auth_header(int *err)
{
	const char *tok = getenv("LEAKTRACE_PUSH_TOKEN"), *file;
	char buf[4096] = "", *hdr = NULL;
	struct curl_slist *l;
	FILE *f;

	*err = 0;
	file = getenv("LEAKTRACE_PUSH_TOKEN_FILE");
	if ((!tok || !*tok) && file && *file) {
		f = fopen(file, "re");
		if (!f || !fgets(buf, sizeof(buf), f)) {
			*err = f ? -EINVAL : -errno;
			elog("cannot read the push token from LEAKTRACE_PUSH_TOKEN_FILE=%s: %s\n",
			     file, f ? "empty" : strerror(errno));
			if (f)
				fclose(f);
			return NULL;
		}
		fclose(f);
		buf[strcspn(buf, "\r\n")] = 0;
		tok = buf;
	}
	if (!tok || !*tok)
		return NULL;
	if (asprintf(&hdr, "Authorization: Bearer %s", tok) < 0) {
		*err = -ENOMEM;
		return NULL;
	}
	l = curl_slist_append(NULL, hdr);
	explicit_bzero(hdr, strlen(hdr));
	explicit_bzero(buf, sizeof(buf));
	free(hdr);
	if (!l)
		*err = -ENOMEM;
	return l;
}

/* url with any user:password@ shown as ***@, for the log. */
static char *redact_url(const char *url)
{
	const char *host = strstr(url, "://"), *at, *end;
	char *out = NULL;

	if (!host)
		return strdup(url);
	host += 3;
	end = host + strcspn(host, "/?#");
	at = memchr(host, '@', end - host);
	if (!at)
		return strdup(url);
	if (asprintf(&out, "%.*s***%s", (int)(host - url), url, at) < 0)
		return NULL;
	return out;
}

int pusher_new(const char *url, const char *spool_dir, uint64_t spool_max, double max_backoff_s,
	       struct pusher **out)
{
	struct pusher *p;
	struct lt_dfile *v = NULL;
	uint64_t bytes;
	size_t n = 0, ul = strlen(url);
	int err;

	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) {
		elog("invalid --push URL: expected http://HOST:PORT or https://...\n");
		return -EINVAL;
	}
	err = mkdir_p(spool_dir, 0700);
	if (!err && access(spool_dir, W_OK | X_OK))
		err = -errno;
	if (err) {
		elog("cannot use the spool %s: %s (choose another with --spool DIR)\n", spool_dir,
		     strerror(-err));
		return err;
	}
	err = spool_dir_safe(spool_dir);
	if (err)
		return err;
	/* not thread-safe: before any thread of ours exists */
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		elog("cannot initialize libcurl\n");
		return -ENOMEM;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	while (ul && url[ul - 1] == '/')
		ul--;
	if (ul >= 7 && !strncmp(url + ul - 7, "/ingest", 7))
		p->url = strndup(url, ul);
	else if (asprintf(&p->url, "%.*s/ingest", (int)ul, url) < 0)
		p->url = NULL;
	p->dir = strdup(spool_dir);
	p->url_log = p->url ? redact_url(p->url) : NULL;
	p->max = spool_max;
	p->max_backoff = max_backoff_s < 1 ? 1 : max_backoff_s;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->auth = auth_header(&err);
	if (err)
		goto cleanup;
	if (!p->url || !p->dir || !p->url_log) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (!spool_list(p, &v, &n, &bytes) && n)
		wlog("%zu profiles (%" PRIu64 " bytes) from an earlier run wait in %s: delivering "
		     "them first\n", n, bytes, spool_dir);
	free(v);
	err = -pthread_create(&p->thread, NULL, worker, p);
	if (err) {
		elog("cannot start the push thread: %s\n", strerror(-err));
		goto cleanup;
	}
	p->started = true;
	*out = p;
	return 0;
cleanup:
	pusher_free(p, NULL);
	return err;
}

void pusher_free(struct pusher *p, struct push_stats *st)
{
	struct lt_dfile *v = NULL;
	uint64_t bytes;
	size_t n = 0;

	if (!p)
		return;
	if (p->started) {
		pthread_mutex_lock(&p->lock);
		p->stop = true;
		pthread_cond_signal(&p->cond);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->thread, NULL);
		if (p->dir && !spool_list(p, &v, &n, &bytes))
			p->st.left = n;
		free(v);
		if (st)
			*st = p->st;
	}
	if (p->curl)
		curl_easy_cleanup(p->curl);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	curl_slist_free_all(p->auth);
	free(p->url);
	free(p->url_log);
	free(p->dir);
	free(p);
	curl_global_cleanup();
}
