// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include "loader.h"
#include "log.h"
#include "procfilter.h"
#include "proclinks.h"
#include "util.h"

#define MAX_HELD 4096	/* lt_held's size */

/* A file probed for a process */
struct pl_ent {
	dev_t dev;
	ino_t ino;
	int pid;
};

struct proclinks {
	struct loader *ld;
	char *libc;
	struct pl_ent *v;
	size_t n, cap;
	int *gone;		/* exited since the last flush */
	size_t ngone, cgone;
	int held_fd;		/* lt_held: the images held at exec */
	int guard_fd;		/* its guardian's pipe: closed, the guardian acts */
	pid_t guard;
};

static void flush(struct proclinks *pl, bool wait);

/*
 * Continue every image still held: lt_held's entries, each only if the
 * process by that number started when the held one did (a number taken
 * again is another process), and forget them.
 */
static void continue_held(int fd)
{
	static __u32 keys[MAX_HELD];
	long tck = sysconf(_SC_CLK_TCK);
	__u32 key, next;
	size_t n = 0;

	for (int err = bpf_map_get_next_key(fd, NULL, &next); !err && n < MAX_HELD;
	     err = bpf_map_get_next_key(fd, &key, &next))
		keys[n++] = key = next;
	for (size_t i = 0; i < n; i++) {
		unsigned long long ticks;
		__u64 start;

		if (!bpf_map_lookup_elem(fd, &keys[i], &start) && tck > 0 &&
		    !proc_start_ticks(keys[i], &ticks) && ticks == start / (1000000000ULL / tck))
			kill(keys[i], SIGCONT);
		bpf_map_delete_elem(fd, &keys[i]);
	}
}

/*
 * The guardian: a child that outlives a leaktrace killed (SIGKILL, the OOM
 * killer) between an image's hold and its release, and continues what is
 * held then. It keeps only lt_held and its end of a pipe whose other end
 * leaktrace holds; end of file is leaktrace gone. No probe or link of ours
 * outlives us through it.
 */
static int guardian_start(struct proclinks *pl)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pl->guard = fork();
	if (pl->guard < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pl->guard == 0) {
		char c;

		/* fds 3 and 4 only: the map and the pipe */
		if (dup2(pl->held_fd, 3) < 0 || dup2(p[0], 4) < 0)
			_exit(1);
		syscall(SYS_close_range, 5, ~0U, 0);
		prctl(PR_SET_NAME, "leaktrace-guard");
		/* the terminal's Ctrl-C is for leaktrace, which then releases */
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		while (read(4, &c, 1) != 0 && (errno == EINTR || errno == EAGAIN))
			;
		/* a hold in flight as leaktrace went lands a moment later */
		continue_held(3);
		usleep(50000);
		continue_held(3);
		_exit(0);
	}
	close(p[0]);
	pl->guard_fd = p[1];
	return 0;
}

int proclinks_new(struct loader *ld, const char *host_libc, struct proclinks **out)
{
	struct proclinks *pl = calloc(1, sizeof(*pl));
	int err;

	if (!pl)
		return -ENOMEM;
	pl->ld = ld;
	pl->guard_fd = -1;
	pl->libc = strdup(host_libc);
	if (!pl->libc) {
		free(pl);
		return -ENOMEM;
	}
	/* an exec that matches is held until its links are on (procs.c);
	 * the guardian first, for a hold never to outlive us */
	pl->held_fd = loader_held_fd(ld);
	err = guardian_start(pl);
	if (err) {
		elog("cannot start the process that releases held execs: %s\n", strerror(-err));
		proclinks_free(pl);
		return err;
	}
	loader_hold_new_images(ld, true);
	*out = pl;
	return 0;
}

void proclinks_release(struct proclinks *pl, int pid)
{
	__u32 key = pid;

	/* a SIGSTOP still pending is dropped by this: never stopped */
	kill(pid, SIGCONT);
	bpf_map_delete_elem(pl->held_fd, &key);
}

void proclinks_free(struct proclinks *pl)
{
	if (!pl)
		return;
	/* no more holds; what is held runs on */
	loader_hold_new_images(pl->ld, false);
	continue_held(pl->held_fd);
	if (pl->guard_fd >= 0)
		close(pl->guard_fd);
	if (pl->guard > 0)
		waitpid(pl->guard, NULL, 0);
	free(pl->libc);
	free(pl->v);
	free(pl->gone);
	free(pl);
}

/* Links on st's file: pid's own (others false), or another process's */
static bool on_file(const struct proclinks *pl, const struct stat *st, int pid, bool others)
{
	for (size_t i = 0; i < pl->n; i++)
		if ((pl->v[i].pid != pid) == others && pl->v[i].dev == st->st_dev &&
		    pl->v[i].ino == st->st_ino)
			return true;
	return false;
}

/* The allocator probes on path for pid, once per (file, process). A file
 * probed before is reached through our own descriptor: the path pid gave
 * (its /proc/PID/map_files entry) ends with it. */
static int add_one(struct proclinks *pl, const char *path, int pid)
{
	const char *held;
	struct stat st;
	int err;

	if (stat(path, &st))
		return lt_pid_gone(pid) ? 0 : -errno;
	if (on_file(pl, &st, pid, false))
		return 0;
	held = loader_held_path(pl->ld, st.st_dev, st.st_ino);
	err = lt_grow(&pl->v, &pl->cap, pl->n, sizeof(*pl->v));
	if (err)
		return err;
	err = loader_attach_libc_pid(pl->ld, held ?: path, pid);
	if (err)
		return lt_pid_gone(pid) ? 0 : err;
	pl->v[pl->n++] = (struct pl_ent){ st.st_dev, st.st_ino, pid };
	dlog("pid %d: allocator probes on %s\n", pid, path);
	if (!on_file(pl, &st, pid, true)) /* a libc no process had: said as without a filter */
		vlog("probing the allocator of %s (pid %d)\n", path, pid);
	return 1;
}

int proclinks_add(struct proclinks *pl, int pid)
{
	char libc[4096];
	int err;

	/* its number came back before the last one's links went: they go
	 * first (forgetting by pid later would take the new one's too) */
	for (size_t j = 0; j < pl->ngone; j++) {
		if (pl->gone[j] == pid) {
			flush(pl, true);
			break;
		}
	}
	/* the libc it maps; none yet (an image just exec'd): the host's, on
	 * which the uprobes are placed as the process maps it */
	err = loader_find_libc(pid, libc, sizeof(libc));
	if (err && err != -ENOENT)
		return err;
	return add_one(pl, err ? pl->libc : libc, pid);
}

void proclinks_gone(struct proclinks *pl, int pid)
{
	/* links of an attach that failed half way go too */
	for (size_t j = 0; j < pl->ngone; j++)
		if (pl->gone[j] == pid)
			return;
	if (!lt_grow(&pl->gone, &pl->cgone, pl->ngone, sizeof(*pl->gone)))
		pl->gone[pl->ngone++] = pid;
}

static void flush(struct proclinks *pl, bool wait)
{
	size_t had = 0;

	/* a detach still waiting in the kernel: not behind it, while an exec
	 * may be held for its links (the gone wait for the next tick) */
	if (!pl || !pl->ngone || (!wait && loader_detaching(pl->ld)))
		return;
	loader_forget_pids(pl->ld, pl->gone, pl->ngone);
	for (size_t j = 0; j < pl->ngone; j++) {
		bool found = false;

		for (size_t i = 0; i < pl->n;) {
			if (pl->v[i].pid == pl->gone[j]) {
				pl->v[i] = pl->v[--pl->n];
				found = true;
			} else {
				i++;
			}
		}
		had += found;
	}
	if (had)
		dlog("links of %zu exited processes detached\n", had);
	pl->ngone = 0;
}

void proclinks_flush(struct proclinks *pl)
{
	flush(pl, false);
}
