// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include "leaktrace.h"
#include "leaktrace.skel.h"
#include "leaktrace.h"
#include "elfsym.h"
#include "loader.h"
#include "log.h"
#include "probe_place.h"
#include "procmaps.h"
#include "sample.h"
#include "session.h"

#define MAX_LINKS 96

struct loader {
	struct leaktrace_bpf *skel;
	struct bpf_link *links[MAX_LINKS];
	int nlinks;
	int tgid;
	int nprobes, nsinglestep;
	/* --sample-bytes on a kernel with uprobe sessions: the allocators with a
	 * return probe get one session program instead (links as plain fds) */
	bool session;
	int session_fds[MAX_LINKS];
	int nsession;
};

/* One libc allocator probe. */
struct probe_spec {
	const char *sym;
	const char *prog;	/* entry program name */
	enum lt_kind kind;	/* attach cookie */
	unsigned int regs;	/* argument registers the entry program reads */
	bool ret;		/* also a uretprobe at the same site */
	bool optional;		/* old libcs lack it */
	const char *ret_prog;	/* return program; NULL: lt_ret */
};

static const struct probe_spec probes[] = {
	{ "malloc", "lt_size_rdi", LT_MALLOC, PP_RDI, true },
	{ "calloc", "lt_calloc", LT_CALLOC, PP_RDI | PP_RSI, true },
	{ "realloc", "lt_realloc", LT_REALLOC, PP_RDI | PP_RSI, true },
	/* Only marks the realloc it tail-jumps to; realloc reads the args. */
	{ "reallocarray", "lt_reallocarr", LT_REALLOCARRAY, 0, false, true },
	{ "posix_memalign", "lt_posix_memal", LT_POSIX_MEMALIGN, PP_RDI | PP_RSI | PP_RDX, true },
	{ "aligned_alloc", "lt_size_rsi", LT_ALIGNED_ALLOC, PP_RDI | PP_RSI, true, true },
	{ "memalign", "lt_size_rsi", LT_MEMALIGN, PP_RDI | PP_RSI, true, true },
	{ "valloc", "lt_size_rdi", LT_VALLOC, PP_RDI, true, true },
	{ "pvalloc", "lt_size_rdi", LT_PVALLOC, PP_RDI, true, true },
	{ "free", "lt_free", 0, PP_RDI, false },
};

/* Sampled mode with sessions: the entry programs that have a session twin
 * ("lt_size_rdi" -> "lt_ss_size_rdi"), and lt_ret, are not loaded. */
static const char *const session_twins[][2] = {
	{ "lt_size_rdi", "lt_ss_size_rdi" }, { "lt_size_rsi", "lt_ss_size_rsi" },
	{ "lt_calloc", "lt_ss_calloc" },     { "lt_realloc", "lt_ss_realloc" },
	{ "lt_posix_memal", "lt_ss_posix_mem" },
};

static const char *session_twin(const char *prog)
{
	for (size_t i = 0; i < sizeof(session_twins) / sizeof(session_twins[0]); i++)
		if (!strcmp(prog, session_twins[i][0]))
			return session_twins[i][1];
	return NULL;
}

static bool session_replaces(const char *prog)
{
	return !strcmp(prog, "lt_ret") || session_twin(prog);
}

static int attach_link(struct loader *l, struct bpf_link *link, const char *what)
{
	int err;

	if (!link) {
		err = -errno;
		elog("cannot attach %s: %s\n", what, strerror(-err));
		return err;
	}
	if (l->nlinks == MAX_LINKS) {
		bpf_link__destroy(link);
		return -E2BIG;
	}
	l->links[l->nlinks++] = link;
	return 0;
}

int loader_open(const struct lt_env *env, int tgid, struct loader **out)
{
	struct bpf_program *prog;
	struct loader *l;
	int err;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->tgid = tgid;
	l->skel = leaktrace_bpf__open();
	if (!l->skel) {
		err = -errno;
		elog("cannot open BPF object: %s\n", strerror(-err));
		goto cleanup;
	}
	l->skel->rodata->target_tgid = tgid;
	bpf_map__set_max_entries(l->skel->maps.lt_allocs, env->max_allocs);
	bpf_map__set_max_entries(l->skel->maps.lt_stacks, env->max_stacks);
	bpf_map__set_max_entries(l->skel->maps.lt_agg, env->max_agg);
	if (env->objects) {
		bpf_map__set_max_entries(l->skel->maps.lt_objs, env->max_allocs);
		bpf_map__set_max_entries(l->skel->maps.lt_objagg, env->max_agg);
	}
	if (env->sample_bytes) {
		err = sample_tables(env->sample_bytes, (__u64 *)l->skel->rodata->sample_draws,
				    (__u64 *)l->skel->rodata->sample_g);
		if (err) {
			elog("invalid --sample-bytes %llu\n", (unsigned long long)env->sample_bytes);
			goto cleanup;
		}
		l->skel->rodata->sample_bytes = env->sample_bytes;
	}

	l->session = env->sample_bytes && session_supported();
	/* Leave out what this run does not use: each program costs verifier
	 * time at start (the descriptor ones inline the whole record path). */
	bpf_object__for_each_program(prog, l->skel->obj) {
		const char *name = bpf_program__name(prog);

		if ((!env->fds && !strncmp(name, "lt_fd_", 6)) ||
		    (!env->objects && !strncmp(name, "lt_gc_", 6)))
			bpf_program__set_autoload(prog, false);
		if (!strncmp(name, "lt_ss_", 6)) {
			if (!l->session)
				bpf_program__set_autoload(prog, false);
			else if ((err = session_prepare(prog)))
				goto cleanup;
		} else if (l->session && session_replaces(name)) {
			bpf_program__set_autoload(prog, false);
		}
	}
	err = leaktrace_bpf__load(l->skel);
	if (err) {
		elog("cannot load BPF programs: %s%s\n", strerror(-err),
		     err == -EPERM ? " (needs root, or CAP_BPF and CAP_PERFMON)" : "");
		goto cleanup;
	}
	*out = l;
	return 0;
cleanup:
	loader_destroy(l);
	return err;
}

/* Read the first bytes of sym from the file and choose the probe site. */
static int place(struct elfsym *es, int fd, const struct probe_spec *p, uint64_t *file_off,
		 struct pp_result *res)
{
	struct pp_request req = { .need_regs = p->regs, .need_ret_slot = p->ret };
	struct elfsym_sym sym;
	uint8_t code[64];
	size_t len;
	ssize_t n;
	int err;

	err = elfsym_find(es, p->sym, &sym);
	if (err)
		return err;
	err = elfsym_vaddr_to_offset(es, sym.addr, file_off);
	if (err)
		return err;
	len = sym.size && sym.size < sizeof(code) ? sym.size : sizeof(code);
	n = pread(fd, code, len, *file_off);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	return probe_place_code(code, n, sym.addr, &req, res);
}

/* Syscall tracepoints need tracefs, which fresh systems may not mount. */
static int ensure_tracefs(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	int err;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char p[64];

		snprintf(p, sizeof(p), "%s/events/syscalls", dirs[i]);
		if (!access(p, F_OK))
			return 0;
	}
	if (mount("tracefs", dirs[0], "tracefs", 0, NULL)) {
		err = -errno;
		elog("cannot mount tracefs on %s (needed for the mmap tracepoints): %s\n", dirs[0],
		     strerror(-err));
		return err;
	}
	vlog("mounted tracefs on %s\n", dirs[0]);
	return 0;
}

/* Attach the entry (and return) probes of a table on one module. */
static int attach_table(struct loader *l, const char *path, const struct probe_spec *tab, size_t n)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo);
	struct bpf_link *link;
	struct elfsym *es = NULL;
	uint64_t done_off[32];
	int fd = -1, err, ndone = 0;
	char what[128];

	err = elfsym_open(path, &es);
	if (err) {
		elog("cannot read symbols of %s: %s\n", path, strerror(-err));
		goto cleanup;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		elog("cannot open %s: %s\n", path, strerror(-err));
		goto cleanup;
	}

	for (size_t i = 0; i < n; i++) {
		const struct probe_spec *p = &tab[i];
		struct bpf_program *prog;
		struct pp_result res;
		uint64_t off;
		bool dup = false;

		err = place(es, fd, p, &off, &res);
		if (err) {
			if (p->optional) {
				vlog("%s not found in %s: not traced\n", p->sym, path);
				err = 0;
				continue;
			}
			elog("cannot find %s in %s: %s\n", p->sym, path, strerror(-err));
			goto cleanup;
		}
		/* aligned_alloc and memalign are one function in glibc. */
		for (int k = 0; k < ndone; k++)
			dup |= done_off[k] == off;
		if (dup) {
			vlog("%s shares its code with an allocator already probed\n", p->sym);
			continue;
		}
		if (ndone < (int)(sizeof(done_off) / sizeof(done_off[0])))
			done_off[ndone++] = off;
		if (!res.emulated) {
			wlog("%s: no emulated instruction to probe (%s); probing +0, "
			     "single-stepped (~25 us per call)\n", p->sym, res.why);
			l->nsinglestep++;
		}
		vlog("probe %s+%llu (%s)%s\n", p->sym, (unsigned long long)res.offset, res.insn,
		     !p->ret ? "" : l->session && !p->ret_prog && session_twin(p->prog) ?
		     " as a uprobe session" : " + uretprobe");
		if (l->session && p->ret && !p->ret_prog && session_twin(p->prog)) {
			int fd;

			if (l->nsession == MAX_LINKS) {
				err = -E2BIG;
				goto cleanup;
			}
			prog = bpf_object__find_program_by_name(l->skel->obj, session_twin(p->prog));
			fd = session_attach(prog, path, off + res.offset, p->kind, l->tgid);
			if (fd < 0) {
				err = fd;
				elog("cannot attach uprobe session %s+%llu: %s\n", p->sym,
				     (unsigned long long)res.offset, strerror(-err));
				goto cleanup;
			}
			l->session_fds[l->nsession++] = fd;
			l->nprobes++;
			continue;
		}
		prog = bpf_object__find_program_by_name(l->skel->obj, p->prog);
		uo.bpf_cookie = p->kind;
		uo.retprobe = false;
		link = bpf_program__attach_uprobe_opts(prog, l->tgid, path, off + res.offset, &uo);
		snprintf(what, sizeof(what), "uprobe %s+%llu", p->sym, (unsigned long long)res.offset);
		err = attach_link(l, link, what);
		if (err)
			goto cleanup;
		l->nprobes++;
		if (!p->ret)
			continue;
		/* Same site as the entry: one trap serves both, and %rsp still
		 * points at the return address there (need_ret_slot). */
		uo.bpf_cookie = 0;
		uo.retprobe = true;
		prog = p->ret_prog ? bpf_object__find_program_by_name(l->skel->obj, p->ret_prog)
				   : l->skel->progs.lt_ret;
		link = bpf_program__attach_uprobe_opts(prog, l->tgid, path, off + res.offset, &uo);
		snprintf(what, sizeof(what), "uretprobe %s", p->sym);
		err = attach_link(l, link, what);
		if (err)
			goto cleanup;
	}
cleanup:
	if (fd >= 0)
		close(fd);
	elfsym_close(es);
	return err;
}

int loader_attach(struct loader *l, const char *libc_path)
{
	int err;

	err = attach_table(l, libc_path, probes, sizeof(probes) / sizeof(probes[0]));
	err = err ?: ensure_tracefs();
	err = err ?: attach_link(l, bpf_program__attach(l->skel->progs.lt_mmap_enter), "sys_enter_mmap");
	err = err ?: attach_link(l, bpf_program__attach(l->skel->progs.lt_mmap_exit), "sys_exit_mmap");
	err = err ?: attach_link(l, bpf_program__attach(l->skel->progs.lt_munmap), "sys_enter_munmap");
	return err;
}

int loader_attach_fds(struct loader *l)
{
	struct bpf_program *prog;
	int err = ensure_tracefs();

	bpf_object__for_each_program(prog, l->skel->obj) {
		if (err || strncmp(bpf_program__name(prog), "lt_fd_", 6))
			continue;
		err = attach_link(l, bpf_program__attach(prog), bpf_program__name(prog));
	}
	return err;
}

/*
 * CPython's allocator domains. Each allocation is counted once, at the
 * outermost layer (PyObject_Malloc falling back to malloc nests inside it).
 * The exported Free wrappers have no instruction the kernel emulates: probe
 * pymalloc's _PyObject_Free (frees of both PyObject_ and PyMem_ domains; the
 * pointer is its second argument), a local symbol; raw frees reach libc free.
 */
static const struct probe_spec py_probes[] = {
	{ "PyMem_RawMalloc", "lt_size_rdi", LT_PYMEM_RAW_MALLOC, PP_RDI, true },
	{ "PyMem_RawCalloc", "lt_calloc", LT_PYMEM_RAW_CALLOC, PP_RDI | PP_RSI, true },
	{ "PyMem_RawRealloc", "lt_realloc", LT_PYMEM_RAW_REALLOC, PP_RDI | PP_RSI, true },
	{ "PyMem_Malloc", "lt_size_rdi", LT_PYMEM_MALLOC, PP_RDI, true },
	{ "PyMem_Calloc", "lt_calloc", LT_PYMEM_CALLOC, PP_RDI | PP_RSI, true },
	{ "PyMem_Realloc", "lt_realloc", LT_PYMEM_REALLOC, PP_RDI | PP_RSI, true },
	{ "PyObject_Malloc", "lt_size_rdi", LT_PYOBJECT_MALLOC, PP_RDI, true },
	{ "PyObject_Calloc", "lt_calloc", LT_PYOBJECT_CALLOC, PP_RDI | PP_RSI, true },
	{ "PyObject_Realloc", "lt_realloc", LT_PYOBJECT_REALLOC, PP_RDI | PP_RSI, true },
};

static const struct probe_spec py_free_internal[] = {
	{ "_PyObject_Free", "lt_free_rsi", 0, PP_RSI, false },
};

/* Stripped builds: only the wrappers have names. */
static const struct probe_spec py_free_wrappers[] = {
	{ "PyObject_Free", "lt_free", 0, PP_RDI, false },
	{ "PyMem_Free", "lt_free", 0, PP_RDI, false },
};

/* --objects: GC object allocation (type in, object out) and release. */
static const struct probe_spec py_gc_probes[] = {
	{ "_PyObject_GC_New", "lt_gc_new", 0, PP_RDI, true, false, "lt_gc_ret" },
	{ "_PyObject_GC_NewVar", "lt_gc_new", 0, PP_RDI, true, false, "lt_gc_ret" },
	{ "PyType_GenericAlloc", "lt_gc_new", 0, PP_RDI, true, false, "lt_gc_ret" },
	{ "PyObject_GC_Del", "lt_gc_del", 0, PP_RDI, false },
};

int loader_attach_python(struct loader *l, const char *path, bool stripped, bool objects)
{
	int err;

	err = attach_table(l, path, py_probes, sizeof(py_probes) / sizeof(py_probes[0]));
	if (!err && objects)
		err = attach_table(l, path, py_gc_probes,
				   sizeof(py_gc_probes) / sizeof(py_gc_probes[0]));
	if (err)
		return err;
	if (!stripped)
		return attach_table(l, path, py_free_internal, 1);
	return attach_table(l, path, py_free_wrappers,
			    sizeof(py_free_wrappers) / sizeof(py_free_wrappers[0]));
}

void loader_detach(struct loader *l)
{
	if (!l)
		return;
	for (int i = 0; i < l->nlinks; i++)
		bpf_link__destroy(l->links[i]);
	l->nlinks = 0;
	for (int i = 0; i < l->nsession; i++)
		close(l->session_fds[i]);
	l->nsession = 0;
}

void loader_destroy(struct loader *l)
{
	if (!l)
		return;
	loader_detach(l);
	leaktrace_bpf__destroy(l->skel);
	free(l);
}

struct leaktrace_bpf *loader_skel(struct loader *l)
{
	return l->skel;
}

double loader_start_clock(struct loader *l)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	l->skel->data->t0_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void loader_probe_stats(const struct loader *l, int *attached, int *single_stepped)
{
	*attached = l->nprobes;
	*single_stepped = l->nsinglestep;
}

static bool is_libc(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	/* libc.so.6, or libc-2.31.so on older distributions */
	return !strncmp(base, "libc.so", 7) ||
	       (!strncmp(base, "libc-", 5) && strstr(base, ".so"));
}

bool loader_is_runtime_module(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	/* ld-linux-x86-64.so.2, ld-2.31.so */
	return is_libc(path) || (!strncmp(base, "ld-", 3) && strstr(base, ".so"));
}

int loader_find_libc(int pid, char *buf, size_t len)
{
	struct lt_maps maps = {};
	int err;

	err = procmaps_read(pid, &maps);
	if (err)
		return err;
	err = -ENOENT;
	for (size_t i = 0; i < maps.n; i++) {
		const struct lt_map *m = &maps.v[i];

		if (!m->x || !m->path[0] || m->path[0] != '/' || !is_libc(m->path))
			continue;
		snprintf(buf, len, "/proc/%d/root%s", pid, m->path);
		err = 0;
		break;
	}
	procmaps_free(&maps);
	return err;
}
