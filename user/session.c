// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "session.h"

/* From the kernel's uapi (6.13+); Debian 12's headers are older. */
#define LT_BPF_TRACE_UPROBE_SESSION 57

/* union bpf_attr's link_create, as far as the uprobe_multi member */
struct lt_link_create_attr {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__aligned_u64 path;
	__aligned_u64 offsets;
	__aligned_u64 ref_ctr_offsets;
	__aligned_u64 cookies;
	__u32 cnt;
	__u32 multi_flags;
	__u32 pid;
};

bool session_supported(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool ok;

	if (!btf)
		return false;
	ok = btf__find_by_name_kind(btf, "bpf_session_is_return", BTF_KIND_FUNC) > 0;
	btf__free(btf);
	return ok;
}

int session_prepare(struct bpf_program *prog)
{
	return bpf_program__set_expected_attach_type(prog, LT_BPF_TRACE_UPROBE_SESSION);
}

int session_attach(const struct bpf_program *prog, const char *path, uint64_t off,
		   uint64_t cookie, int pid)
{
	struct lt_link_create_attr attr;
	__u64 offs = off, cookies = cookie;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_fd = bpf_program__fd(prog);
	attr.attach_type = LT_BPF_TRACE_UPROBE_SESSION;
	attr.path = (uintptr_t)path;
	attr.offsets = (uintptr_t)&offs;
	attr.cookies = (uintptr_t)&cookies;
	attr.cnt = 1;
	attr.pid = pid;
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}
