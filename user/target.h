/* SPDX-License-Identifier: MIT */
/* The traced process: checks before tracing, launch with a hold until the
 * probes are attached, exit detection. */
#ifndef LT_TARGET_H
#define LT_TARGET_H

#include <stdbool.h>

struct target {
	int pid;
	int pidfd;		/* readable once the process has exited */
	bool launched;		/* started by us (-- CMD) */
	bool exited;
	bool seized;		/* launch: ptrace-seized to hold it at exit */
	bool exiting;		/* held (at exit, or mapstop): mappings readable */
	bool mapstop;		/* held after mapping code (launch mode) */
	bool mapstops;		/* the BPF side stops it on code mappings */
	bool execd;		/* held at an exec (with mapstop): the old image is gone */
	int exit_status;	/* launch mode: CMD's status as a shell reports it */
	int go_fd;		/* launch: write end the child waits on */
	int exec_fd;		/* launch: CLOEXEC pipe carrying execve's errno */
	char comm[32];
};

/* Root or CAP_BPF+CAP_PERFMON, kernel BTF. 0 or -errno after a message. */
int preflight_check(void);
/* Validate a live user process. 0 or -errno after a message. */
int target_attach(struct target *t, int pid);
/* Fork CMD, held before execve until target_release(). 0 or -errno. */
int target_launch(struct target *t, char **argv);
/* Let the held child exec; -errno (after a message) if execve failed. */
int target_release(struct target *t);
/* True once the target has exited (reaps it in launch mode). In launch mode
 * the target is first held at its exit with t->exiting set: read what is
 * needed from /proc, then call target_resume_exit(). */
bool target_poll_exit(struct target *t);
/* Let a target held at exit or after a code mapping (t->exiting) go on. */
void target_resume_exit(struct target *t);
/* Launch mode at stop: end a child that still runs (SIGTERM, then SIGKILL)
 * and collect its status. */
void target_finish(struct target *t);
/* Current command name (kept once the process is gone). */
const char *target_comm(struct target *t);
void target_close(struct target *t);

#endif
