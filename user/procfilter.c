// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "leaktrace.h"
#include "leaktrace.skel.h"
#include "log.h"
#include "procfilter.h"

#define CGROUP2_SUPER_MAGIC 0x63677270

/* Where cgroup v2 is mounted: /sys/fs/cgroup, or its "unified" directory
 * on hybrid systems. 0 or -ENOENT. */
static int cgroup2_root(char *buf, size_t len)
{
	char line[4096], mnt[4096], fstype[64];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int err = -ENOENT;

	while (f && fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - ");

		/* id parent maj:min root mountpoint opts... - fstype source opts */
		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(sep + 3, "%63s", fstype) != 1 || strcmp(fstype, "cgroup2"))
			continue;
		snprintf(buf, len, "%s", mnt);
		err = 0;
		break;
	}
	if (f)
		fclose(f);
	return err;
}

int procfilter_cgroup(const char *path, struct lt_cgroup *out)
{
	char root[4096], full[8300];
	struct statfs sfs;
	struct stat st;
	const char *rel = path;
	size_t n, rn;

	if (cgroup2_root(root, sizeof(root)) || statfs(root, &sfs) ||
	    sfs.f_type != CGROUP2_SUPER_MAGIC) {
		elog("--cgroup needs cgroup v2, which is not mounted\n");
		return -ENOTSUP;
	}
	/* ROOT/a/b, /a/b and a/b all name a/b */
	rn = strlen(root);
	if (!strncmp(rel, root, rn) && (!rel[rn] || rel[rn] == '/'))
		rel += rn;
	while (*rel == '/')
		rel++;
	snprintf(out->rel, sizeof(out->rel), "/%s", rel);
	n = strlen(out->rel);
	while (n > 1 && out->rel[n - 1] == '/')
		out->rel[--n] = '\0';
	snprintf(full, sizeof(full), "%s%s", root, out->rel);
	if (stat(full, &st) || !S_ISDIR(st.st_mode)) {
		elog("invalid cgroup '%s': %s is no cgroup v2 directory\n", path, full);
		return -ENOENT;
	}
	out->id = st.st_ino;
	out->level = 0;
	for (const char *p = out->rel; *p; p++)
		out->level += *p == '/' && p[1];
	if (n == 1)
		out->level = 0; /* the root: every process */
	return 0;
}

int procfilter_to_bpf(const struct lt_env *env, struct leaktrace_bpf *skel)
{
	struct lt_cgroup cg;
	int err;

	skel->rodata->self_tgid = getpid();
	skel->rodata->filter_uid = env->uid >= 0 ? (uint32_t)env->uid : ~0U;
	skel->rodata->filter_ncomm = env->ncomms;
	skel->rodata->filter_known_only = env->npids > 0;
	for (int i = 0; i < env->ncomms; i++)
		strncpy((char *)skel->rodata->filter_comm[i], env->comms[i], 15);
	if (env->cgroup) {
		err = procfilter_cgroup(env->cgroup, &cg);
		if (err)
			return err;
		skel->rodata->filter_cgroup = cg.id;
		skel->rodata->filter_cgroup_level = cg.level;
	}
	return 0;
}

int proc_cgroup_path(int pid, char *buf, size_t len)
{
	char path[64], line[4200];
	FILE *f;
	int err = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(buf, len, "%s", line + 3);
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

static int read_small(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return 0;
}

int proc_stat_fields(int pid, char *buf, size_t len, const char **fields)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: fields resume after the last ')' */
	*fields = strrchr(buf, ')');
	if (!*fields)
		return -EINVAL;
	(*fields)++;
	return 0;
}

int proc_start_ticks(int pid, unsigned long long *out)
{
	const char *p;
	char buf[1024];
	int err;

	err = proc_stat_fields(pid, buf, sizeof(buf), &p);
	if (err)
		return err;
	/* state, 5 ids, 7 counts, 6 more (cutime .. itrealvalue), starttime */
	if (sscanf(p, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u"
		   " %*d %*d %*d %*d %*d %*d %llu", out) != 1)
		return -EINVAL;
	return 0;
}

int proc_comm(int pid, char *buf, size_t len)
{
	char path[64], comm[64];
	int err;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	err = read_small(path, comm, sizeof(comm));
	if (err)
		return err;
	comm[strcspn(comm, "\n")] = '\0';
	snprintf(buf, len, "%s", comm);
	return 0;
}

static long proc_uid(int pid)
{
	char path[64], buf[2048], *p;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_small(path, buf, sizeof(buf)) || !(p = strstr(buf, "\nUid:")))
		return -1;
	return strtol(p + 5, NULL, 10); /* the real uid comes first */
}

bool procfilter_any(const struct lt_env *env)
{
	return env->npids || env->ncomms || env->uid >= 0 || env->cgroup;
}

bool procfilter_match(const struct lt_env *env, const struct lt_cgroup *cg, int pid)
{
	char buf[4200];
	bool ok;

	if (env->npids) {
		ok = false;
		for (int i = 0; i < env->npids; i++)
			ok |= env->pids[i] == pid;
		if (!ok)
			return false;
	}
	if (env->ncomms) {
		if (proc_comm(pid, buf, sizeof(buf)))
			return false;
		ok = false;
		for (int i = 0; i < env->ncomms; i++)
			ok |= !strncmp(buf, env->comms[i], 15);
		if (!ok)
			return false;
	}
	if (env->uid >= 0 && proc_uid(pid) != env->uid)
		return false;
	if (cg && cg->level) {
		size_t n = strlen(cg->rel);

		if (proc_cgroup_path(pid, buf, sizeof(buf)) || strncmp(buf, cg->rel, n) ||
		    (buf[n] && buf[n] != '/'))
			return false;
	}
	return true;
}
