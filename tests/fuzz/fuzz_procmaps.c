// SPDX-License-Identifier: MIT
/* libFuzzer: procmaps_parse() on arbitrary bytes, then check the result's
 * invariants (sorted, non-overlapping, findable, bounded paths), and that
 * the streaming reader procmaps_read_fd() gives the same result. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "procmaps.h"

static void same_as_stream(const uint8_t *data, size_t size, const struct lt_maps *m)
{
	struct lt_maps r;
	size_t i;
	int fd;

	fd = memfd_create("fuzz-maps", MFD_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET)) {
		close(fd);
		return;
	}
	if (procmaps_read_fd(fd, &r))
		abort();
	close(fd);
	if (r.n != m->n)
		abort();
	for (i = 0; i < r.n; i++) {
		const struct lt_map *x = &r.v[i], *y = &m->v[i];

		if (x->start != y->start || x->end != y->end || x->pgoff != y->pgoff ||
		    x->inode != y->inode || x->dev_major != y->dev_major ||
		    x->dev_minor != y->dev_minor || x->r != y->r || x->w != y->w || x->x != y->x ||
		    x->shared != y->shared || x->deleted != y->deleted || strcmp(x->path, y->path))
			abort();
	}
	procmaps_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lt_maps m;
	size_t i;

	if (procmaps_parse((const char *)data, size, &m))
		return 0;
	for (i = 0; i < m.n; i++) {
		const struct lt_map *e = &m.v[i];

		if (e->start >= e->end || (i && e->start < m.v[i - 1].end))
			abort();
		if (strlen(e->path) >= 4096)
			abort();
		if (procmaps_find(&m, e->start) != e || procmaps_find(&m, e->end - 1) != e)
			abort();
		if (procmaps_find(&m, e->start - 1) == e)
			abort();
	}
	procmaps_find(&m, 0);
	procmaps_find(&m, UINT64_MAX);
	same_as_stream(data, size, &m);
	procmaps_free(&m);
	return 0;
}
