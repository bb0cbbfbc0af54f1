// SPDX-License-Identifier: MIT
/* A process's threads, read from /proc/PID/task. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/util.h"
#include "sys/tasks.h"

/* Decimal or 0x-hex unsigned number at *p; advances *p. */
static int parse_num(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	int base = 10, digits = 0;

	*v = 0;
	if (end - s > 2 && s[0] == '0' && s[1] == 'x') {
		base = 16;
		s += 2;
	}
	for (; s < end; s++) {
		int d = *s >= '0' && *s <= '9'		       ? *s - '0'
			: base == 16 && *s >= 'a' && *s <= 'f' ? *s - 'a' + 10
							       : -1;

		if (d < 0)
			break;
		*v = *v * (uint64_t)base + (uint64_t)d;
		digits++;
	}
	*p = s;
	return digits ? 0 : -EINVAL;
}

/*
 * The kernel writes "running" for a thread on a CPU, "-1 SP PC" for one
 * stopped outside a system call, and "NR ARG0 ... ARG5 SP PC" (numbers
 * after NR in hex) for one blocked in system call NR.
 */
int sv_task_call_parse(const char *text, size_t n, struct sv_task_call *c)
{
	const char *p = text, *end = text + n;
	uint64_t v;

	memset(c, 0, sizeof(*c));
	if (n >= 7 && !memcmp(text, "running", 7)) {
		c->where = SV_CALL_RUNNING;
		return 0;
	}
	if (n >= 2 && !memcmp(text, "-1", 2) && (n == 2 || text[2] == ' ')) {
		c->where = SV_CALL_USER;
		return 0;
	}
	if (parse_num(&p, end, &v) || v > 100000 || p == end || *p != ' ')
		return -EINVAL;
	c->where = SV_CALL_SYSCALL;
	c->nr = (long)v;
	p++;
	if (parse_num(&p, end, &v))
		return -EINVAL;
	c->arg0 = v;
	return 0;
}

static const struct {
	long nr;
	const char *name;
} syscalls[] = {
#define C(x) { SYS_##x, #x }
	C(read), C(write), C(pread64), C(pwrite64), C(readv), C(writev),
	C(preadv), C(pwritev), C(openat), C(close), C(fstat), C(newfstatat),
	C(statx), C(lseek), C(fsync), C(fdatasync), C(ftruncate),
	C(getdents64), C(renameat), C(unlinkat), C(mkdirat), C(fchmodat),
	C(fchownat), C(readlinkat), C(utimensat), C(faccessat), C(sendfile),
	C(copy_file_range), C(fallocate), C(socket), C(connect), C(bind),
	C(accept4), C(sendto), C(recvfrom), C(sendmsg), C(recvmsg),
	C(sendmmsg), C(recvmmsg), C(ppoll), C(pselect6), C(epoll_pwait),
	C(futex), C(nanosleep), C(clock_nanosleep), C(mmap), C(munmap),
	C(mprotect), C(madvise), C(brk), C(getrandom), C(wait4), C(waitid),
	C(ioctl), C(fcntl), C(flock), C(io_uring_enter), C(exit),
#ifdef SYS_poll
	C(poll),
#endif
#ifdef SYS_select
	C(select),
#endif
#ifdef SYS_open
	C(open),
#endif
#ifdef SYS_stat
	C(stat), C(lstat),
#endif
#ifdef SYS_rename
	C(rename), C(unlink), C(mkdir),
#endif
#ifdef SYS_epoll_wait
	C(epoll_wait),
#endif
#ifdef SYS_epoll_pwait2
	C(epoll_pwait2),
#endif
#undef C
};

const char *sv_syscall_name(long nr)
{
	size_t i;

	for (i = 0; i < sizeof(syscalls) / sizeof(syscalls[0]); i++)
		if (syscalls[i].nr == nr)
			return syscalls[i].name;
	return NULL;
}

bool sv_syscall_is_epoll_wait(long nr)
{
#ifdef SYS_epoll_wait
	if (nr == SYS_epoll_wait)
		return true;
#endif
#ifdef SYS_epoll_pwait2
	if (nr == SYS_epoll_pwait2)
		return true;
#endif
	return nr == SYS_epoll_pwait;
}

bool sv_syscall_is_futex(long nr)
{
	return nr == SYS_futex;
}

int sv_task_schedstat_parse(const char *text, size_t n, struct sv_task_time *t)
{
	const char *p = text, *end = text + n;

	memset(t, 0, sizeof(*t));
	if (parse_num(&p, end, &t->run_ns) || p == end || *p++ != ' ' ||
	    parse_num(&p, end, &t->wait_ns))
		return -EINVAL;
	t->have_wait = true;
	return 0;
}

/* Fields after the last ')': state is the 3rd of stat, utime the 14th,
 * stime the 15th. */
int sv_task_stat_parse(const char *text, size_t n, uint64_t *ticks)
{
	const char *p = text + n, *end = text + n;
	uint64_t ut = 0, st = 0, v;
	int field = 2;

	while (p > text && p[-1] != ')')
		p--;
	if (p == text)
		return -EINVAL;
	while (p < end && field < 15) {
		while (p < end && *p == ' ')
			p++;
		field++;
		if (field == 14 || field == 15) {
			if (parse_num(&p, end, &v))
				return -EINVAL;
			*(field == 14 ? &ut : &st) = v;
		}
		while (p < end && *p != ' ')
			p++;
	}
	if (field != 15)
		return -EINVAL;
	*ticks = ut + st;
	return 0;
}

int sv_environ_find(const char *env, size_t n, const char *name,
		    const char **val, size_t *vlen)
{
	size_t nl = strlen(name), i = 0;

	while (i < n) {
		const char *e = env + i;
		const char *z = memchr(e, '\0', n - i);
		size_t len = z ? (size_t)(z - e) : n - i;

		if (len > nl && !memcmp(e, name, nl) && e[nl] == '=') {
			*val = e + nl + 1;
			*vlen = len - nl - 1;
			return 1;
		}
		i += len + 1;
	}
	return 0;
}

/* I/O */

int sv_tasks_list(int pid, int **tids, size_t *n, size_t *cap)
{
	char path[40];
	struct dirent *d;
	DIR *dir;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	*n = 0;
	while ((d = readdir(dir))) {
		uint64_t tid;

		if (sv_parse_u64(d->d_name, 1, 4194304, &tid))
			continue;
		if (sv_grow((void **)tids, cap, *n + 1, sizeof(**tids))) {
			err = -ENOMEM;
			break;
		}
		(*tids)[(*n)++] = (int)tid;
	}
	closedir(dir);
	return err;
}

static int open_task_file(int pid, int tid, const char *file)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", pid, tid, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* The file's text from its start, NUL-terminated: its length. */
static ssize_t read_again(int fd, char *buf, size_t len)
{
	ssize_t r = pread(fd, buf, len - 1, 0);

	if (r < 0)
		return -errno;
	buf[r] = '\0';
	return r;
}

int sv_task_comm(int pid, int tid, char *comm, size_t len)
{
	int fd = open_task_file(pid, tid, "comm");
	ssize_t r;

	if (fd < 0)
		return fd;
	r = read_again(fd, comm, len);
	close(fd);
	if (r < 0)
		return (int)r;
	if (r > 0 && comm[r - 1] == '\n')
		comm[r - 1] = '\0';
	return 0;
}

int sv_task_open_call(int pid, int tid)
{
	return open_task_file(pid, tid, "syscall");
}

int sv_task_read_call(int fd, struct sv_task_call *c)
{
	char buf[256];
	ssize_t r = read_again(fd, buf, sizeof(buf));

	if (r < 0)
		return (int)r;
	if (r == 0)
		return -ESRCH; /* the thread is gone */
	return sv_task_call_parse(buf, (size_t)r, c);
}

bool sv_wchan_is_epoll_wait(const char *text, size_t n)
{
	/* ep_poll, or do_epoll_wait where the compiler inlined it */
	return (n >= 7 && !strncmp(text, "ep_poll", 7)) ||
	       (n >= 13 && !strncmp(text, "do_epoll_wait", 13));
}

int sv_task_sleeps_in_epoll(int pid, int tid)
{
	char buf[64];
	int fd = open_task_file(pid, tid, "wchan");
	ssize_t r;

	if (fd < 0)
		return fd;
	r = read_again(fd, buf, sizeof(buf));
	close(fd);
	if (r < 0)
		return (int)r;
	return sv_wchan_is_epoll_wait(buf, (size_t)r);
}

int sv_task_open_cputime(int pid, int tid, bool *from_stat)
{
	int fd = open_task_file(pid, tid, "schedstat");

	*from_stat = fd == -ENOENT;
	if (*from_stat)
		fd = open_task_file(pid, tid, "stat");
	return fd;
}

int sv_task_read_cputime(int fd, bool from_stat, struct sv_task_time *t)
{
	char buf[1024];
	ssize_t r = read_again(fd, buf, sizeof(buf));
	long hz;
	int err;

	if (r < 0)
		return (int)r;
	if (r == 0)
		return -ESRCH;
	if (!from_stat)
		return sv_task_schedstat_parse(buf, (size_t)r, t);
	memset(t, 0, sizeof(*t));
	err = sv_task_stat_parse(buf, (size_t)r, &t->run_ns);
	hz = sysconf(_SC_CLK_TCK);
	if (!err)
		t->run_ns *= 1000000000ull / (uint64_t)(hz > 0 ? hz : 100);
	return err;
}

int sv_proc_getenv(int pid, const char *name, char *val, size_t len)
{
	char path[40], *buf = NULL;
	size_t n = 0, cap = 0, vlen;
	const char *v;
	int fd, found;
	ssize_t r;

	snprintf(path, sizeof(path), "/proc/%d/environ", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do {
		if (sv_grow((void **)&buf, &cap, n + 4096, 1)) {
			close(fd);
			free(buf);
			return -ENOMEM;
		}
		r = read(fd, buf + n, cap - n);
		if (r > 0)
			n += (size_t)r;
	} while (r > 0);
	if (r < 0) {
		r = -errno;
		close(fd);
		free(buf);
		return (int)r;
	}
	close(fd);
	found = sv_environ_find(buf, n, name, &v, &vlen);
	if (found) {
		if (vlen >= len)
			vlen = len - 1;
		memcpy(val, v, vlen);
		val[vlen] = '\0';
	}
	free(buf);
	return found;
}
