// SPDX-License-Identifier: MIT
#include <errno.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/capability.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sys/btf.h"
#include "sys/fditer.h"

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"
/* PROC_PID_INIT_INO: the inode of the first pid namespace */
#define INIT_PID_NS_INO 0xEFFFFFFCu

/* SOCKFS_MAGIC: the file system every socket's inode belongs to */
#define SOCKFS_MAGIC 0x534F434B
/* capability numbers, for headers older than them */
#define CAP_NUM_SYS_ADMIN 21
#define CAP_NUM_PERFMON 38
#define CAP_NUM_BPF 39

/* Where the program reads, in this kernel's own layout. */
struct layout {
	uint32_t func; /* bpf_iter_task_file, the iterator's type id */
	int16_t ctx_meta, ctx_task, ctx_fd, ctx_file;
	int16_t meta_seq, task_tgid, task_leader, task_comm, file_inode,
		inode_mode, inode_sb, inode_ino, sb_magic;
};

/* off: member name of struct id, which must be size bytes (at least
 * size when at_least) and reachable by a 16-bit offset. */
static int field(const struct sv_btf *b, uint32_t id, const char *name,
		 uint32_t size, int at_least, int16_t *off)
{
	uint32_t o, sz;

	if (sv_btf_member(b, id, name, &o, &sz))
		return -EINVAL;
	if (at_least ? sz < size : sz != size)
		return -EINVAL;
	if (o > INT16_MAX - 16)
		return -EINVAL;
	*off = (int16_t)o;
	return 0;
}

static int find_layout(struct layout *l)
{
	struct sv_btf *b;
	uint32_t ctx, meta, task, file, inode, sb;
	int err = sv_btf_load(&b, VMLINUX_BTF);

	if (err)
		return err == -ENOENT ? -ENOENT : -EINVAL;
	if (sv_btf_find(b, BTF_KIND_FUNC, "bpf_iter_task_file", &l->func) ||
	    sv_btf_find(b, BTF_KIND_STRUCT, "bpf_iter__task_file", &ctx) ||
	    sv_btf_find(b, BTF_KIND_STRUCT, "bpf_iter_meta", &meta) ||
	    sv_btf_find(b, BTF_KIND_STRUCT, "task_struct", &task) ||
	    sv_btf_find(b, BTF_KIND_STRUCT, "file", &file) ||
	    sv_btf_find(b, BTF_KIND_STRUCT, "inode", &inode) ||
	    sv_btf_find(b, BTF_KIND_STRUCT, "super_block", &sb) ||
	    field(b, ctx, "meta", 8, 0, &l->ctx_meta) ||
	    field(b, ctx, "task", 8, 0, &l->ctx_task) ||
	    field(b, ctx, "fd", 4, 0, &l->ctx_fd) ||
	    field(b, ctx, "file", 8, 0, &l->ctx_file) ||
	    field(b, meta, "seq", 8, 0, &l->meta_seq) ||
	    field(b, task, "tgid", 4, 0, &l->task_tgid) ||
	    field(b, task, "group_leader", 8, 0, &l->task_leader) ||
	    field(b, task, "comm", 16, 1, &l->task_comm) ||
	    field(b, file, "f_inode", 8, 0, &l->file_inode) ||
	    field(b, inode, "i_mode", 2, 0, &l->inode_mode) ||
	    field(b, inode, "i_sb", 8, 0, &l->inode_sb) ||
	    field(b, inode, "i_ino", 8, 0, &l->inode_ino) ||
	    field(b, sb, "s_magic", 8, 0, &l->sb_magic))
		err = -EINVAL;
	sv_btf_free(b);
	return err;
}

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src,
			    int16_t off, int32_t imm)
{
	struct bpf_insn i = { .code = code, .off = off, .imm = imm };

	i.dst_reg = dst & 0xf;
	i.src_reg = src & 0xf;
	return i;
}

static struct bpf_insn ldx(uint8_t size, uint8_t dst, uint8_t src,
			   int16_t off)
{
	return insn(BPF_LDX | BPF_MEM | size, dst, src, off, 0);
}

static struct bpf_insn stx(uint8_t size, uint8_t dst, uint8_t src,
			   int16_t off)
{
	return insn(BPF_STX | BPF_MEM | size, dst, src, off, 0);
}

/* dst op= imm, on 64 bits */
static struct bpf_insn alu(uint8_t op, uint8_t dst, int32_t imm)
{
	return insn(BPF_ALU64 | op | BPF_K, dst, 0, 0, imm);
}

static struct bpf_insn mov_reg(uint8_t dst, uint8_t src)
{
	return insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}

/* if dst op imm: skip off instructions */
static struct bpf_insn jmp(uint8_t op, uint8_t dst, int32_t imm,
			   int16_t off)
{
	return insn(BPF_JMP | op | BPF_K, dst, 0, off, imm);
}

#define REC(member) ((int16_t)(offsetof(struct sv_fd_owner, member) - \
			       sizeof(struct sv_fd_owner)))

/*
 * For each descriptor of each process (threads sharing its table are
 * skipped by the kernel): if its inode is a socket's, on sockfs (an
 * O_PATH descriptor of a socket's file elsewhere has the mode but not
 * the file system, and /proc shows it as a path), write pid, fd, inode
 * and the command of the process (its leader's, as /proc/PID/comm).
 * r6 ctx, r7 task, r8 file, the record on the stack.
 */
static int build(const struct layout *l, struct bpf_insn *p, size_t cap)
{
	enum { OUT = 29 };
	struct bpf_insn prog[] = {
		mov_reg(6, 1),
		ldx(BPF_DW, 7, 6, l->ctx_task),
		jmp(BPF_JEQ, 7, 0, OUT - 3),
		ldx(BPF_DW, 8, 6, l->ctx_file),
		jmp(BPF_JEQ, 8, 0, OUT - 5),
		ldx(BPF_DW, 1, 8, l->file_inode),
		ldx(BPF_H, 2, 1, l->inode_mode),
		alu(BPF_AND, 2, S_IFMT),
		jmp(BPF_JNE, 2, S_IFSOCK, OUT - 9),
		ldx(BPF_DW, 2, 1, l->inode_sb),
		ldx(BPF_DW, 2, 2, l->sb_magic),
		jmp(BPF_JNE, 2, SOCKFS_MAGIC, OUT - 12),
		ldx(BPF_DW, 2, 1, l->inode_ino),
		stx(BPF_DW, 10, 2, REC(inode)),
		ldx(BPF_W, 2, 7, l->task_tgid),
		stx(BPF_W, 10, 2, REC(pid)),
		ldx(BPF_W, 2, 6, l->ctx_fd),
		stx(BPF_W, 10, 2, REC(fd)),
		ldx(BPF_DW, 3, 7, l->task_leader),
		ldx(BPF_DW, 2, 3, l->task_comm),
		stx(BPF_DW, 10, 2, REC(comm)),
		ldx(BPF_DW, 2, 3, (int16_t)(l->task_comm + 8)),
		stx(BPF_DW, 10, 2, (int16_t)(REC(comm) + 8)),
		ldx(BPF_DW, 1, 6, l->ctx_meta),
		ldx(BPF_DW, 1, 1, l->meta_seq),
		mov_reg(2, 10),
		alu(BPF_ADD, 2, -(int32_t)sizeof(struct sv_fd_owner)),
		alu(BPF_MOV, 3, sizeof(struct sv_fd_owner)),
		insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_seq_write),
		/* OUT: */
		alu(BPF_MOV, 0, 0),
		insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	size_t n = sizeof(prog) / sizeof(prog[0]);

	_Static_assert(sizeof(struct sv_fd_owner) == 32, "the stack record");
	if (n > cap || prog[OUT].code != alu(BPF_MOV, 0, 0).code)
		return -EINVAL;
	memcpy(p, prog, sizeof(prog));
	return (int)n;
}

static int sys_bpf(int cmd, union bpf_attr *a)
{
	long r = syscall(__NR_bpf, cmd, a, sizeof(*a));

	return r < 0 ? -errno : (int)r;
}

/*
 * Loading a tracing program needs CAP_BPF and CAP_PERFMON, or
 * CAP_SYS_ADMIN: asked first, so that a user without them does not read
 * the kernel's BTF only to be refused.
 */
static int may_trace(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];
	uint64_t eff;

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d))
		return -errno;
	eff = (uint64_t)d[1].effective << 32 | d[0].effective;
	if (eff >> CAP_NUM_SYS_ADMIN & 1)
		return 0;
	if ((eff >> CAP_NUM_BPF & 1) && (eff >> CAP_NUM_PERFMON & 1))
		return 0;
	return -EPERM;
}

static int in_first_pid_ns(void)
{
	struct stat st;

	if (stat("/proc/self/ns/pid", &st))
		return -errno;
	return st.st_ino == INIT_PID_NS_INO ? 0 : -EXDEV;
}

int sv_fditer_open(void)
{
	struct bpf_insn prog[40];
	struct layout l;
	union bpf_attr a;
	int n, pfd, lfd, ifd, err;
	/* the helper writing the records is GPL-only */
	static const char license[] = "Dual MIT/GPL";

	err = may_trace();
	if (!err)
		err = in_first_pid_ns();
	if (err)
		return err;
	err = find_layout(&l);
	if (err)
		return err;
	n = build(&l, prog, sizeof(prog) / sizeof(prog[0]));
	if (n < 0)
		return n;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_TRACING;
	a.expected_attach_type = BPF_TRACE_ITER;
	a.attach_btf_id = l.func;
	a.insns = (uint64_t)(uintptr_t)prog;
	a.insn_cnt = (uint32_t)n;
	a.license = (uint64_t)(uintptr_t)license;
	memcpy(a.prog_name, "sv_fd_owners", sizeof("sv_fd_owners"));
	pfd = sys_bpf(BPF_PROG_LOAD, &a);
	if (pfd < 0) /* the verifier refuses with EACCES or EINVAL */
		return pfd == -EPERM ? -EPERM : -EINVAL;
	memset(&a, 0, sizeof(a));
	a.link_create.prog_fd = (uint32_t)pfd;
	a.link_create.attach_type = BPF_TRACE_ITER;
	lfd = sys_bpf(BPF_LINK_CREATE, &a);
	close(pfd);
	if (lfd < 0)
		return lfd == -EPERM ? -EPERM : -EINVAL;
	memset(&a, 0, sizeof(a));
	a.iter_create.link_fd = (uint32_t)lfd;
	ifd = sys_bpf(BPF_ITER_CREATE, &a);
	close(lfd);
	if (ifd < 0)
		return ifd == -EPERM ? -EPERM : -EINVAL;
	return ifd;
}
