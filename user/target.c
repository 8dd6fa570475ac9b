// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <gelf.h>
#include <libelf.h>
#include "log.h"
#include "procfilter.h"
#include "target.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

extern char **environ;

static bool has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1U << (cap % 32));
}

int preflight_check(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = {};

	if (geteuid() != 0) {
		if (syscall(SYS_capget, &hdr, data) ||
		    !((has_cap(data, CAP_BPF) && has_cap(data, CAP_PERFMON)) ||
		      has_cap(data, CAP_SYS_ADMIN))) {
			elog("must run as root (or with CAP_BPF and CAP_PERFMON, plus "
			     "CAP_SYS_PTRACE for other users' processes): try sudo\n");
			return -EPERM;
		}
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		elog("kernel has no BTF (/sys/kernel/btf/vmlinux): leaktrace needs a kernel "
		     "built with CONFIG_DEBUG_INFO_BTF=y\n");
		return -ENOTSUP;
	}
	return 0;
}

static void read_comm(struct target *t)
{
	char path[64], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", t->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	snprintf(t->comm, sizeof(t->comm), "%s", buf);
}

static void target_init(struct target *t, int pid)
{
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->pidfd = t->go_fd = t->exec_fd = -1;
}

#define PF_KTHREAD 0x00200000

/* State letter, flags and thread-group id from /proc/PID/stat and status. */
static int read_stat(int pid, char *state, unsigned long *flags, int *tgid)
{
	char path[64], buf[1024];
	const char *p;
	FILE *f;
	int err;

	err = proc_stat_fields(pid, buf, sizeof(buf), &p);
	if (err)
		return err;
	if (sscanf(p, " %c %*d %*d %*d %*d %*d %lu", state, flags) != 2)
		return -EINVAL;
	*tgid = pid;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "Tgid: %d", tgid) == 1)
			break;
	fclose(f);
	return 0;
}

int target_attach(struct target *t, int pid)
{
	unsigned long flags;
	char state;
	int tgid, err;

	target_init(t, pid);
	err = read_stat(pid, &state, &flags, &tgid);
	if (err) {
		elog("no such process: %d\n", pid);
		return -ESRCH;
	}
	if (tgid != pid) {
		vlog("%d is a thread of process %d: tracing the process\n", pid, tgid);
		t->pid = pid = tgid;
	}
	read_comm(t);
	if (flags & PF_KTHREAD) {
		elog("pid %d (%s) is a kernel thread: it has no user memory to trace\n", pid,
		     t->comm);
		return -EINVAL;
	}
	if (state == 'Z' || state == 'X') {
		elog("process %d (%s) has exited (zombie): nothing left to trace\n", pid, t->comm);
		return -ESRCH;
	}
	t->pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (t->pidfd < 0) {
		int err = -errno;

		elog("cannot watch pid %d: %s\n", pid,
		     err == -ESRCH ? "no such process" : strerror(-err));
		return err;
	}
	return 0;
}

/* Resolve CMD like the shell would, before fork: the child must not
 * allocate between release and execve, or those allocations (gone with the
 * old image) would be recorded as outstanding. */
static int resolve_cmd(const char *cmd, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];

	if (strchr(cmd, '/')) {
		snprintf(out, len, "%s", cmd);
		return access(out, X_OK) ? -errno : 0;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n ? (int)n : 1, n ? path : ".", cmd);
		if (!access(buf, X_OK)) {
			snprintf(out, len, "%s", buf);
			return 0;
		}
		path += n + (path[n] == ':');
	}
	return -ENOENT;
}

/* A static executable never maps libc, so its allocator can't be probed:
 * say so before starting it. Scripts (#!) and unreadable files pass. */
static bool is_static_elf(const char *path)
{
	bool has_interp = false, is_exec = false;
	Elf *elf = NULL;
	size_t n = 0;
	GElf_Ehdr eh;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) ||
	    elf_getphdrnum(elf, &n))
		goto out;
	is_exec = eh.e_type == ET_EXEC || eh.e_type == ET_DYN;
	for (size_t i = 0; i < n && i < 4096; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, i, &ph) && ph.p_type == PT_INTERP)
			has_interp = true;
	}
out:
	elf_end(elf);
	close(fd);
	return is_exec && !has_interp;
}

int target_launch(struct target *t, char **argv)
{
	int go[2] = { -1, -1 }, ex[2] = { -1, -1 }, err;
	char path[PATH_MAX];
	pid_t pid;

	target_init(t, 0);
	err = resolve_cmd(argv[0], path, sizeof(path));
	if (err) {
		elog("cannot run %s: %s\n", argv[0], strerror(-err));
		return err;
	}
	if (is_static_elf(path)) {
		elog("no libc found in %s: it is statically linked; leaktrace traces the "
		     "C library's allocator\n", path);
		return -ENOENT;
	}
	if (pipe2(go, O_CLOEXEC) || pipe2(ex, O_CLOEXEC)) {
		err = -errno;
		goto cleanup;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		goto cleanup;
	}
	if (pid == 0) {
		char c;
		int e;

		close(go[1]);
		close(ex[0]);
		/* Hold until every probe is attached; EOF means the tracer gave up. */
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		execve(path, argv, environ);
		e = errno;
		if (write(ex[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(ex[1]);
	/* Stop the child at its exit while its mappings still exist, so the
	 * final report can symbolize a program that exits right away. */
	if (ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_TRACEEXIT | PTRACE_O_TRACEEXEC))
		vlog("cannot ptrace the command (%s): a command that exits before the "
		     "next report may lose symbols\n", strerror(errno));
	else
		t->seized = true;
	t->pid = pid;
	t->launched = true;
	t->go_fd = go[1];
	t->exec_fd = ex[0];
	snprintf(t->comm, sizeof(t->comm), "%.31s", strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
	return 0;
cleanup:
	for (int i = 0; i < 2; i++) {
		if (go[i] >= 0)
			close(go[i]);
		if (ex[i] >= 0)
			close(ex[i]);
	}
	elog("cannot start %s: %s\n", argv[0], strerror(-err));
	return err;
}

int target_release(struct target *t)
{
	int e = 0;
	ssize_t n;

	if (!t->launched)
		return 0;
	if (write(t->go_fd, "g", 1) != 1)
		return -errno;
	close(t->go_fd);
	t->go_fd = -1;
	/* EOF: execve succeeded and closed the CLOEXEC end. */
	n = read(t->exec_fd, &e, sizeof(e));
	close(t->exec_fd);
	t->exec_fd = -1;
	if (n == sizeof(e)) {
		elog("cannot run the command: %s\n", strerror(e));
		waitpid(t->pid, NULL, 0);
		t->exited = true;
		return -e;
	}
	read_comm(t);
	return 0;
}

static void set_status(struct target *t, int status)
{
	t->exited = true;
	t->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool target_poll_exit(struct target *t)
{
	int status;

	if (t->exited)
		return true;
	if (t->launched) {
		while (!t->exiting && waitpid(t->pid, &status, WNOHANG) == t->pid) {
			if (!WIFSTOPPED(status)) {
				set_status(t, status);
				break;
			}
			if (status >> 16 == PTRACE_EVENT_EXIT) {
				t->exiting = true; /* resumed by target_resume_exit() */
			} else if (status >> 16 == PTRACE_EVENT_EXEC && t->mapstops) {
				/* the new image runs no code until resumed */
				t->exiting = t->mapstop = t->execd = true;
			} else if (status >> 16 == PTRACE_EVENT_EXEC) {
				ptrace(PTRACE_CONT, t->pid, 0, 0);
			} else if (status >> 16 == PTRACE_EVENT_STOP) {
				ptrace(PTRACE_LISTEN, t->pid, 0, 0); /* group stop */
			} else if (WSTOPSIG(status) == SIGSTOP && t->mapstops) {
				/* ours, after an executable mapping: held until
				 * target_resume_exit(), then suppressed */
				t->exiting = true;
				t->mapstop = true;
			} else { /* signal-delivery stop: pass the signal on */
				ptrace(PTRACE_CONT, t->pid, 0, WSTOPSIG(status));
			}
		}
		return t->exited;
	}
	if (t->pidfd >= 0) {
		/* A pidfd polls readable once the process has exited. */
		fd_set fds;
		struct timeval tv = {};

		FD_ZERO(&fds);
		FD_SET(t->pidfd, &fds);
		if (select(t->pidfd + 1, &fds, NULL, NULL, &tv) > 0)
			t->exited = true;
		return t->exited;
	}
	t->exited = kill(t->pid, 0) && errno == ESRCH;
	return t->exited;
}

void target_resume_exit(struct target *t)
{
	if (!t->exiting)
		return;
	t->exiting = false;
	if (t->mapstop) {
		t->mapstop = false;
		ptrace(PTRACE_CONT, t->pid, 0, 0);
		return;
	}
	t->seized = false;
	ptrace(PTRACE_DETACH, t->pid, 0, 0);
}

void target_finish(struct target *t)
{
	int status;

	if (!t->launched || t->exited)
		return;
	if (t->seized) {
		target_resume_exit(t);
		if (ptrace(PTRACE_DETACH, t->pid, 0, 0) && errno == ESRCH) {
			/* not in a ptrace stop: interrupt, then detach */
			ptrace(PTRACE_INTERRUPT, t->pid, 0, 0);
			waitpid(t->pid, &status, 0);
			ptrace(PTRACE_DETACH, t->pid, 0, 0);
		}
		t->seized = false;
	}
	if (!target_poll_exit(t))
		kill(t->pid, SIGTERM);
	for (int i = 0; i < 40 && !t->exited; i++) { /* up to 2 s to exit cleanly */
		if (waitpid(t->pid, &status, WNOHANG) == t->pid) {
			set_status(t, status);
			return;
		}
		usleep(50000);
	}
	if (t->exited)
		return;
	kill(t->pid, SIGKILL);
	if (waitpid(t->pid, &status, 0) == t->pid)
		set_status(t, status);
}

const char *target_comm(struct target *t)
{
	if (!t->exited)
		read_comm(t);
	return t->comm;
}

void target_close(struct target *t)
{
	if (t->pidfd >= 0)
		close(t->pidfd);
	if (t->go_fd >= 0)
		close(t->go_fd); /* a held child sees EOF and exits */
	if (t->exec_fd >= 0)
		close(t->exec_fd);
	target_finish(t);
	t->pidfd = t->go_fd = t->exec_fd = -1;
}
