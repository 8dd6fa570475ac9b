// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "loader.h"
#include "log.h"
#include "proclinks.h"
#include "util.h"

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
};

static void flush(struct proclinks *pl, bool wait);

int proclinks_new(struct loader *ld, const char *host_libc, struct proclinks **out)
{
	struct proclinks *pl = calloc(1, sizeof(*pl));

	if (!pl)
		return -ENOMEM;
	/* an exec that matches is held until its links are on (procs.c) */
	loader_hold_new_images(ld);
	pl->ld = ld;
	pl->libc = strdup(host_libc);
	if (!pl->libc) {
		free(pl);
		return -ENOMEM;
	}
	*out = pl;
	return 0;
}

void proclinks_free(struct proclinks *pl)
{
	if (!pl)
		return;
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
