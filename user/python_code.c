// SPDX-License-Identifier: MIT
/* CPython code objects read from the target (name, file, line table), kept
 * in a budgeted cache, and frames turned into function, file and line. */
#include <errno.h>
#include <poll.h>
#include <unistd.h>
#include <sys/uio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "log.h"
#include "py_linetable.h"
#include "python_code.h"
#include "python_state.h"
#include "util.h"

/*
 * Reads go by pid; the pidfd taken at detection says whether that pid is
 * still our process. Checked after the read: a process alive then was alive
 * during it, so its pid cannot have named another process meanwhile.
 */
int python_read(const struct python *py, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)addr, len };
	struct pollfd pfd = { .fd = py->pidfd, .events = POLLIN };

	if (!addr)
		return -EFAULT;
	if (process_vm_readv(py->pid, &local, 1, &remote, 1, 0) != (ssize_t)len)
		return -EFAULT;
	if (py->pidfd >= 0 && poll(&pfd, 1, 0) > 0) /* POLLIN: it exited */
		return -ESRCH;
	return 0;
}

uint64_t py_rd64(const struct python *py, uint64_t addr)
{
	uint64_t v = 0;

	python_read(py, addr, &v, sizeof(v));
	return v;
}

uint32_t py_rd32(const struct python *py, uint64_t addr)
{
	uint32_t v = 0;

	python_read(py, addr, &v, sizeof(v));
	return v;
}

static void py_code_free(struct py_code *c)
{
	free(c->name);
	free(c->file);
	free(c->lines);
}

/* A str object's text as UTF-8 (compact strings; others give NULL). */
static char *read_str(const struct python *py, uint64_t obj)
{
	const struct py_offsets *o = py->off;
	uint64_t len = py_rd64(py, obj + o->unicode_length);
	uint32_t state = py_rd32(py, obj + o->unicode_state);
	unsigned int kind = (state >> 2) & 7, compact = (state >> 5) & 1, ascii = (state >> 6) & 1;
	uint8_t raw[MAX_STR * 4];
	char *s, *p;

	if (!obj || !compact || len > MAX_STR || (kind != 1 && kind != 2 && kind != 4))
		return NULL;
	if (ascii) {
		s = calloc(1, len + 1);
		if (s && python_read(py, obj + o->unicode_ascii_data, s, len)) {
			free(s);
			return NULL;
		}
		return s;
	}
	if (python_read(py, obj + o->unicode_compact_data, raw, len * kind))
		return NULL;
	s = p = calloc(1, len * 4 + 1);
	if (!s)
		return NULL;
	for (uint64_t i = 0; i < len; i++) {
		uint32_t c = kind == 1 ? raw[i] : kind == 2 ? ((uint16_t *)raw)[i] : ((uint32_t *)raw)[i];

		if (c < 0x80) {
			*p++ = c;
		} else if (c < 0x800) {
			*p++ = 0xc0 | c >> 6;
			*p++ = 0x80 | (c & 0x3f);
		} else if (c < 0x10000) {
			*p++ = 0xe0 | c >> 12;
			*p++ = 0x80 | ((c >> 6) & 0x3f);
			*p++ = 0x80 | (c & 0x3f);
		} else {
			*p++ = 0xf0 | c >> 18;
			*p++ = 0x80 | ((c >> 12) & 0x3f);
			*p++ = 0x80 | ((c >> 6) & 0x3f);
			*p++ = 0x80 | (c & 0x3f);
		}
	}
	return s;
}

static uint8_t *read_bytes(const struct python *py, uint64_t obj, size_t *len)
{
	uint64_t n = py_rd64(py, obj + py->off->ob_size);
	uint8_t *b;

	if (!obj || n > MAX_LINETABLE)
		return NULL;
	b = malloc(n ? n : 1);
	if (b && python_read(py, obj + py->off->bytes_sval, b, n)) {
		free(b);
		return NULL;
	}
	*len = n;
	return b;
}

static uint64_t code_hash(uint64_t addr, uint32_t check)
{
	return lt_mix64(addr ^ ((uint64_t)check << 48));
}

static size_t code_size(const struct py_code *c)
{
	return sizeof(*c) + (c->name ? strlen(c->name) : 0) + (c->file ? strlen(c->file) : 0) +
	       c->nlines;
}

/* hmap_retain()'s: keep what a frame named since the last sweep, and
 * count it again; the rest go with their strings. */
static bool code_kept(void *ent, void *arg)
{
	struct py_code *c = ent;
	struct python *py = arg;

	if (!c->used) {
		py_code_free(c);
		py->evicted++;
		return false;
	}
	c->used = false;
	py->ncodes++;
	py->code_bytes += code_size(c);
	return true;
}

/* Over budget: drop what no frame named since the last sweep. Only between
 * reports (python_prefetch()): a report's frames keep pointing at the
 * strings of the entries they named. */
static void code_sweep(struct python *py)
{
	size_t before = py->ncodes;

	if (py->code_bytes <= py->code_budget)
		return;
	py->ncodes = py->code_bytes = 0;
	hmap_retain(&py->codes, code_kept, py);
	vlog("python: code objects over %zu KiB: %zu of %zu dropped, %zu KiB kept\n",
	     py->code_budget >> 10, before - py->ncodes, before, py->code_bytes >> 10);
}

struct code_key {
	uint64_t addr;
	uint32_t check;
};

static bool code_eq(const void *key, const void *ent, void *ctx)
{
	const struct code_key *k = key;
	const struct py_code *c = ent;

	(void)ctx;
	return c->addr == k->addr && c->check == k->check;
}

static struct py_code *code_slot(struct python *py, uint64_t addr, uint32_t check)
{
	struct py_code *c;
	int r;

	if (!py->codes.esz) {
		hmap_init(&py->codes, sizeof(struct py_code), 0, 256);
		hmap_set_eq(&py->codes, code_eq, NULL);
	}
	r = hmap_get(&py->codes, code_hash(addr, check), &(struct code_key){ addr, check },
		     (void **)&c);
	if (r < 0)
		return NULL;
	if (r) {
		c->addr = addr;
		c->check = check;
		py->ncodes++;
		py->code_bytes += sizeof(*c);
	}
	return c;
}

/* Read the code object once, while the target is alive (see
 * python_prefetch()); a failed read stays failed. */
static void code_read(struct python *py, struct py_code *c)
{
	const struct py_offsets *o = py->off;
	uint64_t addr = c->addr;
	uint32_t lt_off = o->co_linetable != PY_OFF_NONE ? o->co_linetable : o->co_lnotab;
	uint64_t fp;

	c->read = true;
	/* 3.13 entry frames hold None, not code */
	if (py->code_type && py_rd64(py, addr + o->ob_type) != py->code_type)
		return;
	fp = py_rd64(py, addr + o->co_firstlineno);
	c->firstlineno = (uint32_t)fp;
	if (lt_code_check(fp) != c->check) {
		c->freed = true; /* freed since, another code object took its place */
		return;
	}
	c->flags = py_rd32(py, addr + o->co_flags);
	if (o->co_qualname != PY_OFF_NONE)
		c->name = read_str(py, py_rd64(py, addr + o->co_qualname));
	if (!c->name)
		c->name = read_str(py, py_rd64(py, addr + o->co_name));
	c->file = read_str(py, py_rd64(py, addr + o->co_filename));
	c->lines = read_bytes(py, py_rd64(py, addr + lt_off), &c->nlines);
	/* Every code object has a name and a file: without them this is one
	 * freed and another being built at its address, read half made. */
	if (!c->name || !c->name[0] || !c->file) {
		c->freed = true;
		return;
	}
	c->valid = true;
	py->code_bytes += code_size(c) - sizeof(*c);
}

#define CO_NO_MONITORING_EVENTS 0x2000000 /* 3.13 _Py_InitCleanup shim */

bool python_frame(struct python *py, const struct lt_py_frame *f, struct py_frame_info *out)
{
	struct py_code *c = code_slot(py, f->code, f->check);
	int line;

	memset(out, 0, sizeof(*out));
	if (!c)
		return false;
	c->used = true;
	if (!c->read)
		code_read(py, c);
	if (c->freed) {
		out->function = "<code object freed>";
		return true;
	}
	if (!c->valid)
		return false; /* not a code object (3.13 entry frames), or unreadable */
	if (py->minor >= 13 && (c->flags & CO_NO_MONITORING_EVENTS))
		return false;
	line = py_line(py->minor >= 11 ? PY_LT_311 : py->minor == 10 ? PY_LT_310 : PY_LT_LNOTAB,
		       c->lines, c->nlines, c->firstlineno, f->pos);
	out->function = c->name;
	out->file = c->file;
	/* Instructions without a location (a function's prologue: MAKE_CELL,
	 * COPY_FREE_VARS, RESUME) belong to its def line. */
	out->line = line > 0 ? line : (int)c->firstlineno;
	return true;
}

/* true the first time id is seen; false again, or without memory (as if
 * seen: the stack is not prefetched). Id 0 is no stack: always new. */
static bool seen_add(struct python *py, uint64_t id)
{
	uint64_t *e;

	if (!id)
		return true;
	if (!py->seen.esz)
		hmap_init(&py->seen, sizeof(id), sizeof(id), 1024);
	return hmap_get(&py->seen, lt_mix64(id), &id, (void **)&e) == 1;
}

static void prefetch_frames(struct python *py, const struct lt_stack *st)
{
	struct py_frame_info fi;

	for (int i = 0; i < st->py_depth && i < LT_MAX_PY_DEPTH; i++)
		python_frame(py, &st->py[i], &fi);
}

void python_prefetch_one(struct python *py, int fd, uint64_t key)
{
	struct lt_stack st;

	code_sweep(py);
	if (!seen_add(py, key) || bpf_map_lookup_elem(fd, &key, &st))
		return;
	prefetch_frames(py, &st);
}

void python_prefetch_stack(struct python *py, uint64_t key, const struct lt_stack *st)
{
	code_sweep(py);
	if (seen_add(py, key))
		prefetch_frames(py, st);
}

void python_prefetch(struct python *py, int fd)
{
	struct lt_stack st;
	uint64_t key, next;
	int err;

	code_sweep(py);
	for (err = bpf_map_get_next_key(fd, NULL, &next); !err;
	     err = bpf_map_get_next_key(fd, &key, &next)) {
		key = next;
		if (!seen_add(py, key) || bpf_map_lookup_elem(fd, &key, &st))
			continue;
		if (st.tgid != (uint32_t)py->pid) /* -a: another process's */
			continue;
		prefetch_frames(py, &st);
	}
}

void python_codes_free(struct python *py)
{
	struct py_code *c;

	for (size_t i = 0; (c = hmap_next(&py->codes, &i));)
		py_code_free(c);
	hmap_free(&py->codes);
	hmap_free(&py->seen);
}
