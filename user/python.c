// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <bpf/bpf.h>
#include "elfsym.h"
#include "log.h"
#include "mapfile.h"
#include "procmaps.h"
#include "py_debug_offsets.h"
#include "py_linetable.h"
#include "py_offsets.h"
#include "python.h"
#include "python_state.h"
#include "util.h"

/* glibc 2.x x86-64 pthread-specific data, from __pthread_getspecific: keys
 * below 32 live in the TCB's specific_1stblock, the rest behind specific[]. */
#define GLIBC_TSD_FIRST 0x310
#define GLIBC_TSD_SECOND 0x510





/* "libpython3.11.so.1.0" / "python3.11" / "python3.11d" -> 3, 11 */
static bool parse_version(const char *base, unsigned int *major, unsigned int *minor)
{
	const char *p = strstr(base, "python");

	return p && sscanf(p + 6, "%u.%u", major, minor) == 2 && *major == 3;
}

static const char *basename_of(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

/* Load bias of a module: where its file offset 0 is mapped minus the
 * vaddr of that offset (0 for a non-PIE executable). */
static int load_bias(const struct lt_maps *maps, const char *path, struct elfsym *es,
		     uint64_t *bias)
{
	uint64_t v0;

	if (!elfsym_is_dyn(es)) {
		*bias = 0;
		return 0;
	}
	if (elfsym_offset_to_vaddr(es, 0, &v0))
		v0 = 0;
	for (size_t i = 0; i < maps->n; i++) {
		if (maps->v[i].pgoff == 0 && !strcmp(maps->v[i].path, path)) {
			*bias = maps->v[i].start - v0;
			return 0;
		}
	}
	return -ENOENT;
}

/* elfsym names functions only; CPython's anchors are data (_PyRuntime,
 * PyCode_Type, Py_Version): look them up in .dynsym/.symtab directly. */
struct data_syms {
	const char *name;
	uint64_t vaddr;		/* 0: not found */
};

static void find_data_syms(const char *path, struct data_syms *want, size_t n)
{
	Elf_Scn *scn = NULL;
	struct stat st;
	Elf *elf;
	int fd;

	/* a FIFO or device put where the target's file was must not block us */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return;
	}
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	while (elf && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		size_t cnt;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		cnt = sh.sh_size / sh.sh_entsize;
		for (size_t i = 0; data && i < cnt && i < (1u << 24); i++) {
			GElf_Sym sym;
			const char *nm;

			if (!gelf_getsym(data, i, &sym) || !sym.st_value || sym.st_shndx == SHN_UNDEF)
				continue;
			nm = elf_strptr(elf, sh.sh_link, sym.st_name);
			for (size_t k = 0; nm && k < n; k++)
				if (!want[k].vaddr && !strcmp(nm, want[k].name))
					want[k].vaddr = sym.st_value;
		}
	}
	elf_end(elf);
	close(fd);
}

/* Python version from Py_Version (3.11+ exports PY_VERSION_HEX). */
static int read_py_version(struct python *py, uint64_t addr)
{
	uint32_t hex;

	if (!addr)
		return -ENOENT;
	hex = py_rd32(py, addr);
	if (hex >> 24 != 3)
		return -EINVAL;
	py->major = 3;
	py->minor = (hex >> 16) & 0xff;
	return 0;
}

/* Say once why this interpreter's frames cannot be read: native stacks only. */
static int unsupported(char *why, size_t len, const char *fmt, ...)
{
	char reason[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (why && len)
		snprintf(why, len, "%s; native stacks only", reason);
	wlog("%s; native stacks only\n", reason);
	return -ENOTSUP;
}

/*
 * 3.13+: the offsets from the interpreter's own _Py_DebugOffsets, read from
 * its memory (what runs), else from the file's .PyRuntime section (launch
 * mode may look before the data is paged in; both hold the same bytes).
 */
static int read_debug_offsets(struct python *py, const uint8_t *file_tab, size_t file_len,
			      char *why, size_t whylen)
{
	uint8_t tab[PY_DEBUG_OFFSETS_MAX];
	struct py_debug_info info;
	const uint8_t *t = tab;
	size_t len = sizeof(tab);
	char reason[128];
	int err;

	if (python_read(py, py->runtime, tab, len)) {
		t = file_tab;
		len = file_len;
	}
	err = py_debug_offsets_parse(t, len, &py->dbg_off, &info, reason, sizeof(reason));
	if (err == -ENOTSUP || (err && info.version))
		return unsupported(why, whylen, "Python %s (debug offsets v0x%08llx): not supported "
				   "(%s)", info.version_str, (unsigned long long)info.version,
				   reason);
	if (err)
		return unsupported(why, whylen, "Python %s: its _Py_DebugOffsets cannot be read "
				   "(%s)", py->version, reason);
	py->off = &py->dbg_off;
	py->major = 3;
	py->minor = py->dbg_off.minor;
	snprintf(py->version, sizeof(py->version), "%s", info.version_str);
	vlog("Python %s: offsets from its own _Py_DebugOffsets (v0x%08llx)\n", py->version,
	     (unsigned long long)info.version);
	return 0;
}

static bool env_has_pythonmalloc_malloc(int pid)
{
	char path[64], buf[65536];
	size_t n = 0;
	ssize_t r;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/environ", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	r = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	if (r <= 0)
		return false;
	buf[r] = 0;
	while (n < (size_t)r) {
		const char *v = buf + n;

		if (!strncmp(v, "PYTHONMALLOC=", 13))
			return !strncmp(v + 13, "malloc", 6);
		n += strlen(v) + 1;
	}
	return false;
}

int python_detect(int pid, struct python **out, char *why, size_t whylen)
{
	struct data_syms syms[] = { { "_PyRuntime" }, { "PyCode_Type" }, { "Py_Version" },
				    { "PyType_Type" } };
	uint8_t file_tab[PY_DEBUG_OFFSETS_MAX];
	struct lt_maps maps = {};
	struct elfsym *es = NULL;
	struct python *py;
	uint64_t bias, sect = 0;
	size_t file_len = 0;
	bool has_table;	/* the file's .PyRuntime starts with _Py_DebugOffsets */
	char exe[PATH_MAX], link[64];
	const char *mod = NULL;
	ssize_t n;
	int err;

	if (why && whylen)
		why[0] = 0;
	py = calloc(1, sizeof(*py));
	if (!py)
		return -ENOMEM;
	py->pid = pid;
	py->pidfd = syscall(SYS_pidfd_open, pid, 0); /* -1: reads by pid alone */
	/* LEAKTRACE_PY_CODE_BYTES: a smaller budget, for the tests */
	py->code_budget = getenv("LEAKTRACE_PY_CODE_BYTES") ?
				  strtoull(getenv("LEAKTRACE_PY_CODE_BYTES"), NULL, 10) : 0;
	if (!py->code_budget)
		py->code_budget = PY_CODE_BYTES;
	err = procmaps_read(pid, &maps);
	if (err)
		goto cleanup;
	for (size_t i = 0; i < maps.n && !mod; i++)
		if (maps.v[i].x && !strncmp(basename_of(maps.v[i].path), "libpython3.", 11))
			mod = maps.v[i].path;
	if (!mod) { /* an interpreter with libpython linked in? */
		snprintf(link, sizeof(link), "/proc/%d/exe", pid);
		n = readlink(link, exe, sizeof(exe) - 1);
		if (n <= 0) {
			err = -ENOENT;
			goto cleanup;
		}
		exe[n] = 0;
		for (size_t i = 0; i < maps.n && !mod; i++)
			if (!strcmp(maps.v[i].path, exe))
				mod = maps.v[i].path;
	}
	if (!mod) {
		err = -ENOENT;
		goto cleanup;
	}
	snprintf(py->path, sizeof(py->path), "%s", mod);
	/* the very file mapped (mapfile.h), in whatever root the target runs */
	for (size_t i = 0; i < maps.n && !py->root_path[0]; i++)
		if (maps.v[i].path == mod)
			mapfile_path(pid, &maps.v[i], py->root_path, sizeof(py->root_path));
	if (!py->root_path[0]) {
		err = -ENOENT;
		goto cleanup;
	}
	find_data_syms(py->root_path, syms, sizeof(syms) / sizeof(syms[0]));
	/* 3.13+: .PyRuntime holds _PyRuntime, its table first: found without
	 * symbols too */
	py_runtime_section(py->root_path, &sect, file_tab, sizeof(file_tab), &file_len);
	has_table = file_len >= 8 && !memcmp(file_tab, "xdebugpy", 8);
	if (!syms[0].vaddr)
		syms[0].vaddr = sect;
	if (!syms[0].vaddr) {
		err = -ENOENT; /* not a CPython */
		goto cleanup;
	}
	err = elfsym_open(py->root_path, &es);
	err = err ?: load_bias(&maps, py->path, es, &bias);
	if (err)
		goto cleanup;
	py->runtime = bias + syms[0].vaddr;
	py->code_type = syms[1].vaddr ? bias + syms[1].vaddr : 0;
	py->type_type = syms[3].vaddr ? bias + syms[3].vaddr : 0;
	if (read_py_version(py, syms[2].vaddr ? bias + syms[2].vaddr : 0) &&
	    !parse_version(basename_of(py->path), &py->major, &py->minor) &&
	    !has_table) {
		err = unsupported(why, whylen, "%s looks like CPython but its version is unknown",
				  py->path);
		goto cleanup;
	}
	snprintf(py->version, sizeof(py->version), "%u.%u", py->major, py->minor);
	if (has_table || py->minor >= 13) {
		err = read_debug_offsets(py, file_tab, file_len, why, whylen);
		if (err)
			goto cleanup;
	} else {
		py->off = py_offsets_find(py->major, py->minor);
		if (!py->off) {
			err = unsupported(why, whylen, "Python %s: not supported (leaktrace reads "
					  "3.8 and later)", py->version);
			goto cleanup;
		}
	}
	/* pymalloc's static functions are named only in .symtab; without it
	 * (stripped, and LTO inlines the fast path) most small objects are
	 * allocated where no probe can see them. */
	py->lto_stripped = elfsym_find(es, "_PyObject_Free", &(struct elfsym_sym){}) != 0;
	py->libc_malloc = env_has_pythonmalloc_malloc(pid);
	vlog("Python %s in %s, _PyRuntime at 0x%llx%s\n", py->version, py->path,
	     (unsigned long long)py->runtime, py->lto_stripped ? " (stripped build)" : "");
	*out = py;
	py = NULL;
	err = 0;
cleanup:
	elfsym_close(es);
	procmaps_free(&maps);
	python_free(py);
	return err;
}

void python_free(struct python *py)
{
	if (!py)
		return;
	if (py->pidfd >= 0)
		close(py->pidfd);
	python_codes_free(py);
	for (size_t i = 0; i < sizeof(py->types) / sizeof(py->types[0]); i++)
		free(py->types[i].name);
	free(py);
}

const char *python_type_name(struct python *py, uint64_t type)
{
	size_t cap = sizeof(py->types) / sizeof(py->types[0]), j = lt_mix64(type) & (cap - 1);
	uint64_t p;
	char buf[128] = "";

	for (size_t n = 0; n < cap && py->types[j].addr; n++, j = (j + 1) & (cap - 1))
		if (py->types[j].addr == type)
			return py->types[j].name;
	p = py_rd64(py, type + py->off->tp_name);
	/* tp_name is a C string; it may end near the end of a mapping */
	for (size_t n = sizeof(buf) - 1; p && n >= 8 && python_read(py, p, buf, n); n /= 2)
		memset(buf, 0, sizeof(buf));
	buf[sizeof(buf) - 1] = 0;
	if (!buf[0])
		return "?";
	if (py->types[j].addr) /* full: no caching */
		return "?";
	py->types[j].addr = type;
	py->types[j].name = strdup(buf);
	return py->types[j].name ? py->types[j].name : "?";
}

const struct py_offsets *python_offsets(const struct python *py)
{
	return py->off;
}

uint64_t python_type_type(const struct python *py)
{
	return py->type_type;
}

unsigned int python_minor(const struct python *py)
{
	return py->minor;
}

const char *python_module(const struct python *py)
{
	return py->root_path;
}

const char *python_module_path(const struct python *py)
{
	return py->path;
}

const char *python_version(const struct python *py)
{
	return py->version;
}

bool python_lto_stripped(const struct python *py)
{
	return py->lto_stripped;
}

bool python_uses_libc_malloc(const struct python *py)
{
	return py->libc_malloc;
}

void python_fill_cfg(const struct python *py, struct lt_py_cfg *c)
{
	const struct py_offsets *o = py->off;
	bool v311 = o->frame_instr != PY_OFF_NONE;

	memset(c, 0, sizeof(*c));
	c->runtime = py->runtime;
	c->version = py->major << 8 | py->minor;
	if (o->rt_tss_key != PY_OFF_NONE) { /* <= 3.12 */
		c->tss_key = o->rt_tss_key;
		c->tsd_first = GLIBC_TSD_FIRST;
		c->tsd_second = GLIBC_TSD_SECOND;
		c->ts_thread_id = o->ts_thread_id;
	} else { /* 3.13+: the thread lists, by native thread id */
		c->tstate_walk = 1;
		c->rt_interp_head = o->rt_interpreters_head;
		c->interp_next = o->interp_next;
		c->interp_threads = o->interp_threads_head;
		c->ts_next = o->ts_next;
		c->ts_native_tid = o->ts_native_thread_id;
		c->ts_base_frame = o->ts_base_frame;
	}
	if (o->ts_current_frame != PY_OFF_NONE) { /* 3.13+ */
		c->ts_frame = o->ts_current_frame;
		c->cframe_frame = ~0U;
	} else if (o->ts_cframe != PY_OFF_NONE && v311) { /* 3.11, 3.12 */
		c->ts_frame = o->ts_cframe;
		c->cframe_frame = o->cframe_current_frame;
	} else { /* 3.8 - 3.10: PyFrameObject chain */
		c->ts_frame = o->ts_frame;
		c->cframe_frame = ~0U;
	}
	c->frame_back = o->frame_back;
	c->frame_code = o->frame_code;
	c->frame_pos = v311 ? o->frame_instr : o->frame_lasti;
	c->pos_is_ptr = v311;
	c->code_first_instr = v311 ? o->co_code_adaptive : 0;
	c->code_firstlineno = o->co_firstlineno;
	c->frame_owner = o->frame_owner != PY_OFF_NONE && o->owner_cstack != PY_OFF_NONE ?
				 o->frame_owner : ~0U;
	c->owner_skip = o->owner_cstack;
	c->exec_tag = o->exec_tag;
	c->type_flags = o->tp_flags;
	c->rt_finalizing = o->rt_finalizing;
	c->frame_span = python_frame_span(c);
	c->enabled = c->frame_span <= LT_PY_FRAME_WIN;
}

/* The bytes of a frame the walker reads: 8 past its last field's start
 * (the fields are read as 8-byte words, masked). */
uint32_t python_frame_span(const struct lt_py_cfg *c)
{
	uint32_t span = c->frame_back > c->frame_code ? c->frame_back : c->frame_code;

	if (c->frame_pos > span)
		span = c->frame_pos;
	if (c->frame_owner != ~0U && c->frame_owner > span)
		span = c->frame_owner;
	return span + 8;
}
