// SPDX-License-Identifier: MIT
/*
 * /proc/PID/maps parser. A line looks like
 *
 *   55e87b154000-55e87b159000 r-xp 00002000 fe:00 247134      /usr/bin/cat
 *   7ffd1c2d3000-7ffd1c2f4000 rw-p 00000000 00:00 0           [stack]
 *   7f0000000000-7f0000001000 rw-p 00000000 00:00 0
 *
 * The path is whatever the target named its files (spaces allowed; the
 * kernel escapes '\n' as "\012"), so it is taken verbatim up to the end of
 * the line after the padding. Every number has a digit limit, every line a
 * length limit, and the whole result a line limit, so a hostile target can
 * make us skip lines but not overflow or allocate without bound.
 *
 * All paths of a result live in the same allocation as the array
 * (lt_maps.v), so procmaps_free() is a single free().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
#include "procmaps.h"

#define MAPS_MAX_LINES (1u << 20)
#define MAPS_MAX_PATH 4096		/* PATH_MAX, including the NUL */
#define MAPS_MAX_LINE (MAPS_MAX_PATH + 256)
#define MAPS_MAX_PATH_BYTES (256u << 20) /* all paths together */

static const char deleted_sfx[] = " (deleted)";

/* Parse state: entries grow in `v`, paths in `arena`; until the end an
 * entry's path field holds its arena offset. */
struct maps_builder {
	struct lt_map *v;
	size_t n, cap;
	char *arena;
	size_t alen, acap;
	size_t last_off, last_len; /* previous path, reused when repeated */
	size_t skipped;
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parse 1..maxdig hex digits at *p (bounded by end). */
static int parse_hex(const char **p, const char *end, int maxdig, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int n = 0, d;

	while (s < end && (d = hexval(*s)) >= 0) {
		if (++n > maxdig)
			return -EINVAL;
		v = v << 4 | (uint64_t)d;
		s++;
	}
	if (!n)
		return -EINVAL;
	*p = s;
	*out = v;
	return 0;
}

static int parse_dec(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int n = 0;

	while (s < end && *s >= '0' && *s <= '9') {
		unsigned int d = *s - '0';

		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
		s++;
		n++;
	}
	if (!n)
		return -EINVAL;
	*p = s;
	*out = v;
	return 0;
}

static int expect(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return -EINVAL;
	(*p)++;
	return 0;
}

static int parse_perm(const char **p, const char *end, char yes, bool *out)
{
	if (*p >= end)
		return -EINVAL;
	if (**p == yes)
		*out = true;
	else if (**p == '-')
		*out = false;
	else
		return -EINVAL;
	(*p)++;
	return 0;
}

/* Fill m from one line (without '\n'); path is returned as [*path, +*plen).
 * -EINVAL if malformed. */
static int parse_line(const char *s, const char *end, struct lt_map *m, const char **path,
		      size_t *plen)
{
	uint64_t maj, min;
	size_t len;

	memset(m, 0, sizeof(*m));
	if (parse_hex(&s, end, 16, &m->start) || expect(&s, end, '-') ||
	    parse_hex(&s, end, 16, &m->end) || expect(&s, end, ' '))
		return -EINVAL;
	if (m->start >= m->end)
		return -EINVAL;
	if (parse_perm(&s, end, 'r', &m->r) || parse_perm(&s, end, 'w', &m->w) ||
	    parse_perm(&s, end, 'x', &m->x))
		return -EINVAL;
	if (s >= end || (*s != 'p' && *s != 's'))
		return -EINVAL;
	m->shared = *s++ == 's';
	if (expect(&s, end, ' ') || parse_hex(&s, end, 16, &m->pgoff) || expect(&s, end, ' '))
		return -EINVAL;
	if (parse_hex(&s, end, 8, &maj) || expect(&s, end, ':') || parse_hex(&s, end, 8, &min) ||
	    expect(&s, end, ' '))
		return -EINVAL;
	m->dev_major = (uint32_t)maj;
	m->dev_minor = (uint32_t)min;
	if (parse_dec(&s, end, &m->inode))
		return -EINVAL;
	/* Anonymous mappings end right after the inode or after padding. */
	if (s < end && *s != ' ')
		return -EINVAL;
	while (s < end && *s == ' ')
		s++;
	len = end - s;
	if (memchr(s, '\0', len))
		return -EINVAL;
	if (len >= sizeof(deleted_sfx) - 1 &&
	    !memcmp(end - (sizeof(deleted_sfx) - 1), deleted_sfx, sizeof(deleted_sfx) - 1)) {
		m->deleted = true;
		len -= sizeof(deleted_sfx) - 1;
	}
	if (len >= MAPS_MAX_PATH)
		return -EINVAL;
	*path = s;
	*plen = len;
	return 0;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem, size_t init)
{
	size_t ncap = *cap ? *cap : init;
	void *np;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	np = reallocarray(*p, ncap, elem);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

static int builder_add_line(struct maps_builder *b, const char *s, const char *end)
{
	const char *path;
	size_t plen, off;
	struct lt_map m;
	int err;

	if (end - s > MAPS_MAX_LINE || parse_line(s, end, &m, &path, &plen)) {
		b->skipped++;
		return 0;
	}
	if (b->n >= MAPS_MAX_LINES || b->alen + plen + 1 > MAPS_MAX_PATH_BYTES) {
		b->skipped++;
		return 0;
	}
	/* Consecutive mappings of one file share its path. */
	if (b->alen && plen == b->last_len && !memcmp(b->arena + b->last_off, path, plen)) {
		off = b->last_off;
	} else {
		err = grow((void **)&b->arena, &b->acap, b->alen + plen + 1, 1, 4096);
		if (err)
			return err;
		off = b->alen;
		memcpy(b->arena + off, path, plen);
		b->arena[off + plen] = '\0';
		b->alen += plen + 1;
		b->last_off = off;
		b->last_len = plen;
	}
	err = grow((void **)&b->v, &b->cap, b->n + 1, sizeof(*b->v), 64);
	if (err)
		return err;
	m.path = (char *)(uintptr_t)off;
	b->v[b->n++] = m;
	return 0;
}

static int cmp_start(const void *a, const void *b)
{
	const struct lt_map *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	/* Same start only in crafted input: keep the order deterministic. */
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return 0;
}

/* Sort, drop overlaps (only crafted input has them) and move array and
 * paths into one allocation. */
static int builder_finish(struct maps_builder *b, struct lt_maps *out)
{
	size_t i, n = 0, vbytes;
	struct lt_map *v;
	char *arena;

	out->v = NULL;
	out->n = 0;
	if (!b->n)
		return 0;
	qsort(b->v, b->n, sizeof(*b->v), cmp_start);
	for (i = 0; i < b->n; i++) {
		if (n && b->v[i].start < b->v[n - 1].end)
			continue;
		b->v[n++] = b->v[i];
	}
	vbytes = n * sizeof(*v);
	v = malloc(vbytes + b->alen);
	if (!v)
		return -ENOMEM;
	memcpy(v, b->v, vbytes);
	arena = (char *)v + vbytes;
	memcpy(arena, b->arena, b->alen);
	for (i = 0; i < n; i++)
		v[i].path = arena + (uintptr_t)v[i].path;
	out->v = v;
	out->n = n;
	return 0;
}

static void builder_free(struct maps_builder *b)
{
	free(b->v);
	free(b->arena);
}

int procmaps_parse(const char *buf, size_t len, struct lt_maps *out)
{
	struct maps_builder b = {};
	const char *s = buf, *end = buf + len, *nl;
	int err = 0;

	out->v = NULL;
	out->n = 0;
	while (s < end) {
		nl = memchr(s, '\n', end - s);
		if (!nl)
			nl = end;
		err = builder_add_line(&b, s, nl);
		if (err)
			goto cleanup;
		s = nl + 1;
	}
	err = builder_finish(&b, out);
cleanup:
	builder_free(&b);
	return err;
}

/* Stream the file through a fixed buffer so memory stays proportional to
 * the result, whatever the target's mapping count and path lengths. */
static int read_maps_fd(int fd, struct lt_maps *out)
{
	struct maps_builder b = {};
	size_t cap = 2 * MAPS_MAX_LINE, have = 0;
	bool discarding = false; /* inside an overlong line */
	char *buf = NULL, *s, *nl;
	ssize_t r;
	int err = 0;

	out->v = NULL;
	out->n = 0;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		r = read(fd, buf + have, cap - have);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto cleanup;
		}
		have += r;
		s = buf;
		while ((nl = memchr(s, '\n', buf + have - s))) {
			if (discarding) {
				discarding = false;
			} else {
				err = builder_add_line(&b, s, nl);
				if (err)
					goto cleanup;
			}
			s = nl + 1;
		}
		have -= s - buf;
		memmove(buf, s, have);
		if (r == 0)
			break;
		if (have > MAPS_MAX_LINE) {
			/* No newline within the limit: drop this line's bytes. */
			if (!discarding)
				b.skipped++;
			discarding = true;
			have = 0;
		}
	}
	if (have && !discarding) {
		err = builder_add_line(&b, buf, buf + have);
		if (err)
			goto cleanup;
	}
	if (b.skipped)
		dlog("procmaps: skipped %zu malformed or oversized lines\n", b.skipped);
	err = builder_finish(&b, out);
cleanup:
	builder_free(&b);
	free(buf);
	return err;
}

int procmaps_read_fd(int fd, struct lt_maps *out)
{
	return read_maps_fd(fd, out);
}

int procmaps_read(int pid, struct lt_maps *out)
{
	char path[64];
	int fd, err;

	out->v = NULL;
	out->n = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = read_maps_fd(fd, out);
	close(fd);
	return err;
}

void procmaps_free(struct lt_maps *m)
{
	if (!m)
		return;
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

const struct lt_map *procmaps_find(const struct lt_maps *m, uint64_t addr)
{
	size_t lo = 0, hi, mid;

	if (!m || !m->n)
		return NULL;
	hi = m->n;
	/* First entry with start > addr; the one before may contain addr. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (m->v[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || addr >= m->v[lo - 1].end)
		return NULL;
	return &m->v[lo - 1];
}
