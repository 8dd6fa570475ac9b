// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "leaktrace.h"
#include "leaktrace.skel.h"
#include "elfsym.h"
#include "links.h"
#include "loader.h"
#include "log.h"
#include "mapfile.h"
#include "probe_place.h"
#include "procfilter.h"
#include "procmaps.h"
#include "rss.h"
#include "sample.h"
#include "session.h"
#include "tracefs.h"
#include "unwind_maps.h"
#include "util.h"

struct loader {
	struct leaktrace_bpf *skel;
	bool multi;		/* uprobes through uprobe_multi links */
	struct links *links;
	int tgid;
	int nprobes, nsinglestep;
	/* --sample-bytes on a kernel with uprobe sessions: the allocators with a
	 * return probe get one session program instead (links as plain fds) */
	bool session;
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
	/* the process begins to exit: what it holds then is the final report */
	{ "exit", "lt_exit", 0, 0, false, true },
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

static int attach_prog(struct loader *l, struct bpf_program *prog, const char *what)
{
	struct lt_link k = { .prog = prog, .group = LT_LINK_OTHER };

	return links_attach(l->links, &k, what);
}

static bool libbpf_quiet;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (libbpf_quiet || (level == LIBBPF_DEBUG && lt_verbosity < 2))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* A bench knob: NAME=1 in the environment. */
static bool env_on(const char *name)
{
	const char *v = getenv(name);

	return v && !strcmp(v, "1");
}

/* vm.mmap_min_addr: no frame pointer below it can be read (bpf's
 * get_ret_stack() stops there); 0 when unknown, which stops nowhere. */
/* /proc/PID/stat's start time is shifted by the time namespace's offset:
 * comparable with the kernel's only in ours. */
static bool same_time_ns(int pid)
{
	char path[64];
	struct stat a, b;

	snprintf(path, sizeof(path), "/proc/%d/ns/time", pid);
	return !stat("/proc/self/ns/time", &a) && !stat(path, &b) && a.st_ino == b.st_ino &&
	       a.st_dev == b.st_dev;
}

static __u64 min_map_addr(void)
{
	unsigned long long v = 0;
	FILE *f = fopen("/proc/sys/vm/mmap_min_addr", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/* Open, size and load the BPF object; multi: uprobes as uprobe_multi. */
static int open_load(struct loader *l, const struct lt_env *env, bool multi)
{
	struct bpf_program *prog;
	int err;

	l->multi = multi;
	l->skel = leaktrace_bpf__open();
	if (!l->skel)
		return -errno;
	l->skel->rodata->target_tgid = l->tgid;
	/* which process that pid is: another that takes it later is not */
	if (l->tgid && same_time_ns(l->tgid) &&
	    !proc_start_ticks(l->tgid, &l->skel->rodata->target_start_ticks))
		l->skel->rodata->tick_ns = 1000000000ULL / sysconf(_SC_CLK_TCK);
	l->skel->rodata->min_map_addr = min_map_addr();
	l->skel->rodata->time_py_walk = env_on("LEAKTRACE_TIME_PYWALK");
	l->skel->rodata->uw_stats = env_on("LEAKTRACE_UNWIND_STATS");
	l->skel->rodata->uw_nocache = env_on("LEAKTRACE_UNWIND_NOCACHE");
	l->skel->rodata->noop_probes = env_on("LEAKTRACE_NOOP_PROBES");
	if (!l->tgid) { /* -a */
		bpf_map__set_max_entries(l->skel->maps.lt_procs, env->max_procs);
		err = procfilter_to_bpf(env, l->skel);
		if (err)
			return err;
	}
	unwind_maps_size(l->skel, l->tgid ? 0 : env->max_procs);
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
			return err;
		}
		l->skel->rodata->sample_bytes = env->sample_bytes;
	}

	l->session = env->sample_bytes && session_supported();
	/* Leave out what this run does not use: each program costs verifier
	 * time at start (the descriptor ones inline the whole record path). */
	bpf_object__for_each_program(prog, l->skel->obj) {
		const char *name = bpf_program__name(prog);

		if ((!env->fds && !strncmp(name, "lt_fd_", 6)) ||
		    (!env->objects && !strncmp(name, "lt_gc_", 6)) ||
		    (!env->rss && !strncmp(name, "lt_rss_", 7)) ||
		    (!env->all && !strncmp(name, "lt_proc_", 8)) ||
		    (env->all && !strcmp(name, "lt_img_exec")))
			bpf_program__set_autoload(prog, false);
		if (!strncmp(name, "lt_ss_", 6)) {
			if (!l->session)
				bpf_program__set_autoload(prog, false);
			else if ((err = session_prepare(prog)))
				return err;
		} else if (l->session && session_replaces(name)) {
			bpf_program__set_autoload(prog, false);
		} else if (multi && bpf_program__type(prog) == BPF_PROG_TYPE_KPROBE) {
			bpf_program__set_expected_attach_type(prog, LT_TRACE_UPROBE_MULTI);
		}
	}
	if (env->rss) {
		int err = rss_configure(l->skel, env->cmd ? 0 : l->tgid);

		if (err)
			return err;
	}
	return leaktrace_bpf__load(l->skel);
}

int loader_open(const struct lt_env *env, int tgid, struct loader **out)
{
	struct loader *l;
	int err;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->tgid = tgid;
	libbpf_set_print(libbpf_print);
	/* uprobe_multi where the kernel has it (6.6+), perf-event uprobes
	 * elsewhere; LEAKTRACE_NO_UPROBE_MULTI=1 forces the latter. */
	if (!env_on("LEAKTRACE_NO_UPROBE_MULTI")) {
		libbpf_quiet = true; /* a kernel without it fails the load */
		err = open_load(l, env, true);
		libbpf_quiet = false;
		if (!err)
			goto done;
		vlog("no uprobe_multi (%s): perf-event uprobes\n", strerror(-err));
		leaktrace_bpf__destroy(l->skel);
	}
	err = open_load(l, env, false);
	if (err) {
		elog("cannot load BPF programs: %s%s\n", strerror(-err),
		     err == -EPERM ? " (needs root, or CAP_BPF and CAP_PERFMON)" : "");
		goto cleanup;
	}
done:
	vlog("uprobes attach through %s\n", l->multi ? "uprobe_multi links" : "perf events");
	err = links_new(l->multi, &l->links);
	if (err)
		goto cleanup;
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

/* Attach the entry (and return) probes of a table on one module. */
/* Place tab's probes in path and attach them for pid (0: every process);
 * calib: the calibration child's, forgotten once detached. */
static int attach_table(struct loader *l, const char *path, const struct probe_spec *tab, size_t n,
			int pid, bool calib)
{
	struct lt_link k = { .pid = pid, .n = 1 };
	struct elfsym *es = NULL;
	struct lt_file *f = NULL;
	uint64_t done_off[32];
	int err, ndone = 0;
	char what[128];

	err = links_hold_file(l->links, path, &f);
	if (err) {
		if (!lt_pid_gone(pid)) /* a process that exited meanwhile: no error */
			elog("cannot open %s: %s\n", path, strerror(-err));
		return err;
	}
	k.path = f->at;
	k.name = f->name;
	/* by its name: debug files are searched next to it, or in its root */
	err = elfsym_open(path, &es);
	if (err) {
		if (!lt_pid_gone(pid))
			elog("cannot read symbols of %s: %s\n", path, strerror(-err));
		goto cleanup;
	}

	for (size_t i = 0; i < n; i++) {
		const struct probe_spec *p = &tab[i];
		struct pp_result res;
		uint64_t off;
		bool dup = false;

		err = place(es, f->fd, p, &off, &res);
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
			struct bpf_program *prog;
			int fd;

			prog = bpf_object__find_program_by_name(l->skel->obj, session_twin(p->prog));
			fd = session_attach(prog, f->at, off + res.offset, p->kind, pid);
			if (fd < 0) {
				err = fd;
				elog("cannot attach uprobe session %s+%llu: %s\n", p->sym,
				     (unsigned long long)res.offset, strerror(-err));
				goto cleanup;
			}
			err = links_add_fd(l->links, fd);
			if (err) {
				close(fd);
				goto cleanup;
			}
			l->nprobes++;
			continue;
		}
		/* frees are never thinned: a missed free would be a false leak;
		 * nor is exit(), called once */
		k.group = calib ? LT_LINK_CALIB :
			  !strncmp(p->prog, "lt_free", 7) || !strcmp(p->prog, "lt_gc_del") ||
					  !strcmp(p->prog, "lt_exit") ? LT_LINK_FREE : LT_LINK_ALLOC;
		k.offs[0] = off + res.offset;
		if (p->ret) {
			/* Same site as the entry: one trap serves both, and %rsp
			 * still points at the return address there
			 * (need_ret_slot). Attached first (see flush_pending()). */
			k.cookies[0] = 0;
			k.ret = true;
			k.prog = p->ret_prog ? bpf_object__find_program_by_name(l->skel->obj, p->ret_prog)
					     : l->skel->progs.lt_ret;
			snprintf(what, sizeof(what), "uretprobe %s", p->sym);
			err = links_add_site(l->links, &k, what);
			if (err)
				goto cleanup;
		}
		k.prog = bpf_object__find_program_by_name(l->skel->obj, p->prog);
		k.cookies[0] = p->kind;
		k.ret = false;
		snprintf(what, sizeof(what), "uprobe %s+%llu", p->sym, (unsigned long long)res.offset);
		err = links_add_site(l->links, &k, what);
		if (err)
			goto cleanup;
		if (!calib)
			l->nprobes++;
	}
cleanup:
	if (l->multi) {
		int e = links_flush(l->links);

		err = err ?: e;
	}
	elfsym_close(es);
	return err;
}

int loader_attach_libc(struct loader *l, const char *libc_path)
{
	return attach_table(l, libc_path, probes, sizeof(probes) / sizeof(probes[0]), l->tgid,
			    false);
}

int loader_attach_libc_pid(struct loader *l, const char *libc_path, int pid)
{
	return attach_table(l, libc_path, probes, sizeof(probes) / sizeof(probes[0]), pid, false);
}

const char *loader_held_path(struct loader *l, dev_t dev, ino_t ino)
{
	return links_held_at(l->links, dev, ino);
}

void loader_hold_new_images(struct loader *l, bool on)
{
	l->skel->bss->hold_new_images = on;
}

int loader_held_fd(struct loader *l)
{
	return bpf_map__fd(l->skel->maps.lt_held);
}

void loader_forget_pids(struct loader *l, const int *pids, size_t n)
{
	links_forget_pids(l->links, pids, n);
}

int loader_attach(struct loader *l, const char *libc_path)
{
	int err;

	err = libc_path ? loader_attach_libc(l, libc_path) : 0;
	err = err ?: attach_prog(l, l->skel->progs.lt_mmap_enter, "sys_enter_mmap");
	err = err ?: attach_prog(l, l->skel->progs.lt_mmap_exit, "sys_exit_mmap");
	err = err ?: attach_prog(l, l->skel->progs.lt_munmap, "sys_enter_munmap");
	if (!err && bpf_program__autoload(l->skel->progs.lt_img_exec)) /* not -a's */
		err = attach_prog(l, l->skel->progs.lt_img_exec, "lt_img_exec");
	return err;
}

/* The tracepoint programs whose names start with prefix. */
static int attach_prefixed(struct loader *l, const char *prefix)
{
	struct bpf_program *prog;
	int err = 0;

	bpf_object__for_each_program(prog, l->skel->obj) {
		if (err || strncmp(bpf_program__name(prog), prefix, strlen(prefix)))
			continue;
		err = attach_prog(l, prog, bpf_program__name(prog));
	}
	return err;
}

int loader_attach_procs(struct loader *l)
{
	return attach_prefixed(l, "lt_proc_");
}

int loader_attach_rss(struct loader *l)
{
	return attach_prefixed(l, "lt_rss_");
}

int loader_attach_fds(struct loader *l)
{
	return attach_prefixed(l, "lt_fd_");
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

int loader_attach_python(struct loader *l, const char *path, bool stripped, bool objects, int pid)
{
	int err;

	pid = pid ?: l->tgid;
	err = attach_table(l, path, py_probes, sizeof(py_probes) / sizeof(py_probes[0]), pid,
			   false);
	if (!err && objects)
		err = attach_table(l, path, py_gc_probes,
				   sizeof(py_gc_probes) / sizeof(py_gc_probes[0]), pid, false);
	if (err)
		return err;
	if (!stripped)
		return attach_table(l, path, py_free_internal, 1, pid, false);
	return attach_table(l, path, py_free_wrappers,
			    sizeof(py_free_wrappers) / sizeof(py_free_wrappers[0]), pid, false);
}

int loader_prog_stats(struct loader *l, struct lt_prog_stats *alloc, struct lt_prog_stats *frees)
{
	struct bpf_program *prog;

	memset(alloc, 0, sizeof(*alloc));
	memset(frees, 0, sizeof(*frees));
	bpf_object__for_each_program(prog, l->skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		const char *name = bpf_program__name(prog);
		struct lt_prog_stats *st;
		int fd = bpf_program__fd(prog);

		/* uprobes only: the tracepoints run for every process */
		if (fd < 0 || bpf_program__type(prog) != BPF_PROG_TYPE_KPROBE)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len))
			return -errno;
		st = !strncmp(name, "lt_free", 7) || !strcmp(name, "lt_gc_del") ? frees : alloc;
		st->run_ns += info.run_time_ns;
		st->runs += info.run_cnt;
		if (!strcmp(bpf_program__section_name(prog), "uretprobe"))
			st->rets += info.run_cnt;
	}
	return 0;
}

uint64_t loader_counter(struct loader *l, unsigned int k)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *v, sum = 0;

	v = ncpu > 0 ? calloc(ncpu, sizeof(*v)) : NULL;
	if (v && !bpf_map_lookup_elem(bpf_map__fd(l->skel->maps.lt_counters), &k, v))
		for (int c = 0; c < ncpu; c++)
			sum += v[c];
	free(v);
	return sum;
}

int loader_attach_calib(struct loader *l, const char *libc_path, int pid, unsigned int what)
{
	static const struct probe_spec calib[] = {
		{ "malloc", "lt_size_rdi", LT_MALLOC, PP_RDI, true },
		{ "free", "lt_free", 0, PP_RDI, false },
	};
	int err = 0;

	if (what & LT_CALIB_MALLOC)
		err = attach_table(l, libc_path, calib, 1, pid, true);
	if (!err && (what & LT_CALIB_FREE))
		err = attach_table(l, libc_path, calib + 1, 1, pid, true);
	return err;
}

void loader_detach(struct loader *l)
{
	if (l && l->links)
		links_detach(l->links);
}

void loader_destroy(struct loader *l)
{
	if (!l)
		return;
	links_free(l->links);
	leaktrace_bpf__destroy(l->skel);
	free(l);
}

bool loader_detaching(struct loader *l)
{
	return links_detaching(l->links);
}

int loader_drop(struct loader *l, unsigned int groups)
{
	return links_drop(l->links, groups);
}

int loader_reattach(struct loader *l, unsigned int groups)
{
	if (groups & LT_LINK_ALLOC) /* calls in flight since the detach are stale */
		l->skel->bss->probe_gen++;
	return links_reattach(l->links, groups);
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

		if (!m->x || m->path[0] != '/' || !is_libc(m->path))
			continue;
		/* the very file mapped: probes go on its inode (mapfile.h) */
		err = mapfile_path(pid, m, buf, len);
		break;
	}
	procmaps_free(&maps);
	return err;
}

int loader_follow_libc(struct loader *l, int pid)
{
	char libc[4096];
	struct stat st;
	int err;

	err = loader_find_libc(pid, libc, sizeof(libc));
	if (err)
		return err == -ENOENT ? 0 : err; /* not mapped yet */
	if (stat(libc, &st))
		return -errno;
	if (links_holds(l->links, st.st_dev, st.st_ino))
		return 0;
	err = loader_attach_libc(l, libc);
	if (err)
		return err;
	vlog("probing the allocator of %s (pid %d)\n", libc, pid);
	return 1;
}
