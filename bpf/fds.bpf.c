// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* --fds: descriptors as allocations of size 1. */
#include "lt_record.bpf.h"

/*
 * --fds: descriptors opened and closed, through syscall tracepoints. Each
 * open descriptor is an "allocation" of size 1 at LT_FD_TAG | fd, so stacks,
 * Python frames, ages and growth come from the same machinery; a number the
 * kernel hands out again proves the earlier descriptor was closed.
 */
static __always_inline void fd_opened(void *ctx, long fd)
{
	struct lt_proc *p;

	if (fd >= 0 && (p = target()))
		record_alloc(ctx, p, LT_FD_TAG | (__u64)fd, 1, LT_FD, 0);
}

#define LT_FD_EXIT(prog, call)                                            \
	SEC("tracepoint/syscalls/sys_exit_" #call)                        \
	int prog(struct trace_event_raw_sys_exit *ctx)                    \
	{                                                                 \
		fd_opened(ctx, ctx->ret);                                 \
		return 0;                                                 \
	}

LT_FD_EXIT(lt_fd_open, open)
LT_FD_EXIT(lt_fd_openat, openat)
LT_FD_EXIT(lt_fd_openat2, openat2)
LT_FD_EXIT(lt_fd_creat, creat)
LT_FD_EXIT(lt_fd_socket, socket)
LT_FD_EXIT(lt_fd_accept, accept)
LT_FD_EXIT(lt_fd_accept4, accept4)
LT_FD_EXIT(lt_fd_dup, dup)
LT_FD_EXIT(lt_fd_dup2, dup2)
LT_FD_EXIT(lt_fd_dup3, dup3)
LT_FD_EXIT(lt_fd_eventfd, eventfd2)
LT_FD_EXIT(lt_fd_epoll, epoll_create1)
LT_FD_EXIT(lt_fd_timerfd, timerfd_create)
LT_FD_EXIT(lt_fd_memfd, memfd_create)
LT_FD_EXIT(lt_fd_inotify, inotify_init1)
LT_FD_EXIT(lt_fd_signalfd, signalfd4)

/* pipe(), pipe2(), socketpair(): two descriptors written to user memory */
static __always_inline void fd_pair_enter(__u64 arr)
{
	struct lt_inflight *f;

	if (!is_target())
		return;
	f = inflight();
	if (f)
		f->fd_pair = arr;
}

static __always_inline void fd_pair_exit(void *ctx, long ret)
{
	struct lt_inflight *f;
	int fds[2] = { -1, -1 };

	if (!is_target())
		return;
	f = inflight();
	if (!f || !f->fd_pair)
		return;
	if (ret == 0 && !bpf_probe_read_user(fds, sizeof(fds), (void *)f->fd_pair)) {
		fd_opened(ctx, fds[0]);
		fd_opened(ctx, fds[1]);
	}
	f->fd_pair = 0;
}

#define LT_FD_PAIR(prog, call, arg)                                       \
	SEC("tracepoint/syscalls/sys_enter_" #call)                       \
	int prog##_in(struct trace_event_raw_sys_enter *ctx)              \
	{                                                                 \
		fd_pair_enter(ctx->args[arg]);                            \
		return 0;                                                 \
	}                                                                 \
	SEC("tracepoint/syscalls/sys_exit_" #call)                        \
	int prog(struct trace_event_raw_sys_exit *ctx)                    \
	{                                                                 \
		fd_pair_exit(ctx, ctx->ret);                              \
		return 0;                                                 \
	}

LT_FD_PAIR(lt_fd_pipe, pipe, 0)
LT_FD_PAIR(lt_fd_pipe2, pipe2, 0)
LT_FD_PAIR(lt_fd_spair, socketpair, 3)

SEC("tracepoint/syscalls/sys_enter_close")
int lt_fd_close(struct trace_event_raw_sys_enter *ctx)
{
	long fd = (long)ctx->args[0];
	struct lt_proc *p;

	if (fd >= 0 && (p = target()))
		record_free(LT_FD_TAG | (__u64)fd, p);
	return 0;
}
