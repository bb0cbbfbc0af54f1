/* SPDX-License-Identifier: MIT */
#ifndef SV_FDITER_H
#define SV_FDITER_H

#include <stdint.h>

/* One socket descriptor of one process, as the iterator writes it. */
struct sv_fd_owner {
	uint32_t pid; /* thread group id */
	uint32_t fd;
	uint64_t inode;
	char comm[16]; /* untrusted; NUL-padded, TASK_COMM_LEN */
};

/*
 * Every socket descriptor of every process, in one pass of the kernel's
 * task_file iterator (a BPF program of a few loads, no /proc walk): a
 * descriptor whose read() gives whole struct sv_fd_owner records, a
 * process's together, until 0 at the end.
 *
 * -errno when it cannot be had, and the caller walks /proc instead:
 * -EPERM without CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN), -ENOENT
 * without BTF, -EXDEV in a pid namespace other than the first (the
 * program sees pids as the first one numbers them), -EINVAL when the
 * kernel refuses the program.
 */
int sv_fditer_open(void);

#endif
