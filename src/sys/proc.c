// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "sys/fditer.h"
#include "sys/proc.h"

/* 16 bytes: -p on the bench's 120,000 connections finds 240,000 */
struct entry {
	uint64_t inode;
	int pid;
	int fd;
};

/* A process's comm name, an offset into the pool. */
struct proc_comm {
	int pid;
	uint32_t comm;
};

struct sv_proc_map {
	struct entry *v; /* while it is built; NULL once finished */
	size_t n, cap;
	char *pool; /* NUL-terminated comm names, one per process */
	size_t pool_len, pool_cap;
	struct proc_comm *procs; /* sorted by pid once finished */
	size_t nprocs, procs_cap;
	/* once finished, sorted by inode: each entry's inode and owner */
	uint64_t *ino;
	struct sv_proc_ref *refs;
	/* inode -> its first entry: open addressing over entry numbers
	 * alone, the inode read from ino[], at most half full; a key
	 * beside each was 8 bytes more a slot */
	uint32_t *index;
	size_t index_mask;
	size_t unreadable;
	int err; /* a failure that makes the scan incomplete: -errno */
};

static void release(struct sv_proc_map *m)
{
	free(m->v);
	free(m->pool);
	free(m->procs);
	free(m->ino);
	free(m->refs);
	free(m->index);
}

/* "socket:[12345]" -> 12345 */
int sv_proc_socket_inode(const char *link, size_t n, uint64_t *ino)
{
	uint64_t v = 0;
	size_t i;

	if (n < 10 || memcmp(link, "socket:[", 8) != 0 || link[n - 1] != ']')
		return 0;
	for (i = 8; i < n - 1; i++) {
		unsigned d = (unsigned)(link[i] - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	*ino = v;
	return 1;
}

static uint32_t pool_add(struct sv_proc_map *m, const char *s, size_t n)
{
	uint32_t off;

	if (sv_grow((void **)&m->pool, &m->pool_cap, m->pool_len + n + 1, 1))
		return 0;
	off = (uint32_t)m->pool_len;
	memcpy(m->pool + off, s, n);
	m->pool[off + n] = '\0';
	m->pool_len += n + 1;
	return off;
}

static int add_proc(struct sv_proc_map *m, int pid, uint32_t comm)
{
	if (sv_grow((void **)&m->procs, &m->procs_cap, m->nprocs + 1,
		    sizeof(*m->procs)))
		return -ENOMEM;
	m->procs[m->nprocs].pid = pid;
	m->procs[m->nprocs++].comm = comm;
	return 0;
}

static uint32_t add_comm(struct sv_proc_map *m, int pidfd)
{
	char buf[64];
	ssize_t n = -1;
	int fd = openat(pidfd, "comm", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n < 0)
		n = 0;
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	return pool_add(m, buf, (size_t)n);
}

static int add_entry(struct sv_proc_map *m, uint64_t ino, int pid, int fd)
{
	if (sv_grow((void **)&m->v, &m->cap, m->n + 1, sizeof(*m->v)))
		return -ENOMEM;
	m->v[m->n].inode = ino;
	m->v[m->n].pid = pid;
	m->v[m->n].fd = fd;
	m->n++;
	return 0;
}

/*
 * The owners from the kernel's iterator (sv_fditer_open): whole records,
 * a process's descriptors together, so its name is added once a run.
 */
static int read_owners(struct sv_proc_map *m, int fd)
{
	enum { BATCH = 2048 };
	struct sv_fd_owner *rec = malloc(BATCH * sizeof(*rec));
	size_t have = 0, i, nrec;
	uint32_t last = 0;
	ssize_t r;
	int err = 0;

	if (!rec)
		return -ENOMEM;
	for (;;) {
		r = read(fd, (char *)rec + have, BATCH * sizeof(*rec) - have);
		/* EAGAIN: a million descriptors went by without a socket;
		 * the next read goes on from there */
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0) {
			err = r < 0 ? -errno : have ? -EPROTO : 0;
			break;
		}
		have += (size_t)r;
		nrec = have / sizeof(*rec);
		for (i = 0; i < nrec && !err; i++) {
			const struct sv_fd_owner *o = &rec[i];

			if (o->pid > INT32_MAX || o->fd > INT32_MAX)
				continue;
			if ((!m->nprocs || o->pid != last) &&
			    add_proc(m, (int)o->pid,
				     pool_add(m, o->comm,
					      strnlen(o->comm,
						      sizeof(o->comm)))))
				err = -ENOMEM;
			last = o->pid;
			if (!err && add_entry(m, o->inode, (int)o->pid,
					      (int)o->fd))
				err = -ENOMEM;
		}
		if (err)
			break;
		/* a record cut by the read: keep its head */
		have -= nrec * sizeof(*rec);
		memmove(rec, rec + nrec, have);
	}
	free(rec);
	return err;
}

/* The map from the iterator; on failure m is left empty. */
static int from_iterator(struct sv_proc_map *m)
{
	int fd = sv_fditer_open();
	int err = fd < 0 ? fd : read_owners(m, fd);

	if (fd >= 0)
		close(fd);
	if (err) {
		release(m);
		memset(m, 0, sizeof(*m));
	}
	return err;
}

/*
 * Out of file descriptors or memory, the scan would go on and quietly
 * miss owners: that is an error, not a process that exited or hides.
 */
static void scan_failed(struct sv_proc_map *m, int e)
{
	if (e == EMFILE || e == ENFILE || e == ENOMEM)
		m->err = -e;
}

static void scan_pid(struct sv_proc_map *m, int procfd, const char *name,
		     int pid)
{
	int pidfd = openat(procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fdfd;
	DIR *d;
	struct dirent *de;
	bool named = false;

	if (pidfd < 0) {
		scan_failed(m, errno); /* ENOENT: exited meanwhile */
		return;
	}
	fdfd = openat(pidfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fdfd < 0) {
		if (errno == EACCES || errno == EPERM)
			m->unreadable++;
		else
			scan_failed(m, errno);
		close(pidfd);
		return;
	}
	d = fdopendir(fdfd);
	if (!d) {
		scan_failed(m, errno);
		close(fdfd);
		close(pidfd);
		return;
	}
	while ((de = readdir(d))) {
		char link[64];
		ssize_t n;
		uint64_t ino, fd;

		if (sv_parse_u64(de->d_name, 0, INT32_MAX, &fd))
			continue;
		n = readlinkat(fdfd, de->d_name, link, sizeof(link));
		if (n < 0 && (errno == EACCES || errno == EPERM)) {
			/* listing allowed, reading not: count it, once */
			m->unreadable++;
			break;
		}
		if (n <= 0 || !sv_proc_socket_inode(link, (size_t)n, &ino))
			continue;
		if (!named && add_proc(m, pid, add_comm(m, pidfd))) {
			m->err = -ENOMEM;
			break;
		}
		named = true;
		if (add_entry(m, ino, pid, (int)fd)) {
			m->err = -ENOMEM;
			break;
		}
	}
	closedir(d);
	close(pidfd);
}

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return (x->fd > y->fd) - (x->fd < y->fd);
}

#define NO_ENTRY UINT32_MAX

static size_t index_slot(const struct sv_proc_map *m, uint64_t inode)
{
	/* inodes come in sequence; a multiplicative hash spreads them */
	return (size_t)((inode * 0x9e3779b97f4a7c15ull) >> 17) & m->index_mask;
}

/* Each inode's first entry, in a table at most half full. */
static int index_entries(struct sv_proc_map *m, size_t distinct)
{
	size_t nslots = 64, i, h;

	if (m->n >= NO_ENTRY)
		return -ENOMEM;
	while (nslots < 2 * distinct)
		nslots *= 2;
	m->index = malloc(nslots * sizeof(*m->index));
	if (!m->index)
		return -ENOMEM;
	memset(m->index, 0xff, nslots * sizeof(*m->index));
	m->index_mask = nslots - 1;
	for (i = 0; i < m->n; i++) {
		if (i && m->ino[i - 1] == m->ino[i])
			continue;
		for (h = index_slot(m, m->ino[i]); m->index[h] != NO_ENTRY;
		     h = (h + 1) & m->index_mask)
			;
		m->index[h] = (uint32_t)i;
	}
	return 0;
}

static int cmp_proc(const void *a, const void *b)
{
	const struct proc_comm *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* The comm name of pid (procs sorted by pid). */
static const char *comm_of(const struct sv_proc_map *m, int pid)
{
	struct proc_comm key = { .pid = pid };
	const struct proc_comm *p =
		bsearch(&key, m->procs, m->nprocs, sizeof(*m->procs), cmp_proc);

	return p ? m->pool + p->comm : "";
}

/*
 * The sorted entries become the inodes and the owners the lookups
 * return, and the index of each inode's first entry, sized for the
 * distinct inodes.  The owners are written over the entries they come
 * from, one for one, rather than beside them.
 */
static int build_index(struct sv_proc_map *m)
{
	struct sv_proc_ref *refs = (struct sv_proc_ref *)m->v;
	size_t i, distinct = 0;

	_Static_assert(sizeof(struct sv_proc_ref) == sizeof(struct entry),
		       "an owner takes the place of the entry it comes from");
	m->ino = malloc((m->n ? m->n : 1) * sizeof(*m->ino));
	if (!m->ino)
		return -ENOMEM;
	if (m->nprocs)
		qsort(m->procs, m->nprocs, sizeof(*m->procs), cmp_proc);
	for (i = 0; i < m->n; i++) {
		/* byte copies: the compiler may not move the read of an
		 * entry past the write over it */
		struct sv_proc_ref r;
		struct entry e;

		memcpy(&e, &m->v[i], sizeof(e));
		m->ino[i] = e.inode;
		distinct += !i || m->ino[i - 1] != e.inode;
		r.pid = e.pid;
		r.fd = e.fd;
		r.comm = comm_of(m, e.pid);
		memcpy(&refs[i], &r, sizeof(r));
	}
	m->v = NULL;
	m->cap = 0;
	m->refs = refs;
	return index_entries(m, distinct);
}

/*
 * The scan on threads: /proc is listed first, then each thread takes the
 * next process (descriptor counts differ by thousands, so halves would
 * not balance) into a map of its own; the maps are merged at the join.
 * Most of the cost is the kernel's (getdents, readlinkat), which threads
 * on other cores do beside the caller's sock_diag dump.
 */
struct scan_part {
	struct sv_proc_scan *scan;
	struct sv_proc_map m;
	pthread_t t;
	bool started;
};

struct sv_proc_scan {
	int procfd;
	int *pids;
	size_t npids, next;
	pthread_mutex_t mu;
	bool stop; /* a thread failed: the others stop too */
	/* what the threads found, each process's entries added at once */
	struct sv_proc_map map;
	size_t nparts;
	/* two more than the threads: the joining thread's own, and the
	 * iterator's thread's when it walks /proc after all */
	struct scan_part part[SV_PROC_SCAN_MAX_THREADS + 2];
	unsigned nthreads;
	int err;
	/* the kernel's iterator, tried first on a thread of its own */
	pthread_t iter;
	bool iter_started;
	pthread_cond_t decided_cv;
	bool decided; /* the iterator gave the map, or the walk began */
	bool by_iter;
};

static bool scan_next(struct sv_proc_scan *sc, int *pid)
{
	bool more;

	pthread_mutex_lock(&sc->mu);
	more = !sc->stop && sc->next < sc->npids;
	if (more)
		*pid = sc->pids[sc->next++];
	pthread_mutex_unlock(&sc->mu);
	return more;
}

/* Part p's entries and comm names appended to m. */
static int append_part(struct sv_proc_map *m, const struct sv_proc_map *p)
{
	uint32_t base = (uint32_t)m->pool_len;
	size_t i;

	if (sv_grow((void **)&m->v, &m->cap, m->n + p->n, sizeof(*m->v)) ||
	    sv_grow((void **)&m->pool, &m->pool_cap, m->pool_len + p->pool_len,
		    1) ||
	    sv_grow((void **)&m->procs, &m->procs_cap, m->nprocs + p->nprocs,
		    sizeof(*m->procs)))
		return -ENOMEM;
	if (p->pool_len)
		memcpy(m->pool + m->pool_len, p->pool, p->pool_len);
	m->pool_len += p->pool_len;
	if (p->n)
		memcpy(m->v + m->n, p->v, p->n * sizeof(*p->v));
	m->n += p->n;
	for (i = 0; i < p->nprocs; i++) {
		m->procs[m->nprocs] = p->procs[i];
		m->procs[m->nprocs++].comm += base;
	}
	return 0;
}

/*
 * One process's entries, found into the thread's own buffer, added to
 * the scan's one map: a map per thread merged at the join held every
 * entry twice there.
 */
static void publish(struct sv_proc_scan *sc, struct sv_proc_map *p)
{
	int err;

	pthread_mutex_lock(&sc->mu);
	err = append_part(&sc->map, p);
	pthread_mutex_unlock(&sc->mu);
	if (err)
		p->err = err;
	p->n = 0;
	p->nprocs = 0;
	p->pool_len = 0;
}

static void *scan_worker(void *arg)
{
	struct scan_part *p = arg;
	struct sv_proc_scan *sc = p->scan;
	char name[16];
	int pid;

	while (scan_next(sc, &pid)) {
		snprintf(name, sizeof(name), "%d", pid);
		scan_pid(&p->m, sc->procfd, name, pid);
		if (!p->m.err && p->m.n)
			publish(sc, &p->m);
		if (p->m.err) {
			pthread_mutex_lock(&sc->mu);
			sc->stop = true;
			pthread_mutex_unlock(&sc->mu);
			break;
		}
	}
	return NULL;
}

/* The process ids in /proc, in its order. */
static int list_pids(struct sv_proc_scan *sc)
{
	int dirfd = dup(sc->procfd);
	DIR *d = dirfd < 0 ? NULL : fdopendir(dirfd);
	struct dirent *de;
	size_t cap = 0;
	int err = 0;

	if (!d) {
		err = -errno;
		if (dirfd >= 0)
			close(dirfd);
		return err;
	}
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0 || pid > INT32_MAX)
			continue;
		if (sv_grow((void **)&sc->pids, &cap, sc->npids + 1,
			    sizeof(*sc->pids))) {
			err = -ENOMEM;
			break;
		}
		sc->pids[sc->npids++] = (int)pid;
	}
	closedir(d);
	return err;
}

/* The walk of /proc: its process ids, then threads taking them. */
static int start_walk(struct sv_proc_scan *sc, unsigned nthreads)
{
	int err = list_pids(sc);
	unsigned i;

	for (i = 0; !err && i < nthreads; i++) {
		struct scan_part *p = &sc->part[sc->nparts];

		p->scan = sc;
		if (pthread_create(&p->t, NULL, scan_worker, p))
			break; /* fewer threads: the join scans the rest */
		p->started = true;
		sc->nparts++;
	}
	return err;
}

/*
 * The iterator gives every owner in a tenth of the walk's time; when it
 * cannot be had (not root, no BTF, another pid namespace), this thread
 * starts the walk and takes part in it.
 */
static void *iter_worker(void *arg)
{
	struct sv_proc_scan *sc = arg;
	struct scan_part *self = NULL;
	int err = from_iterator(&sc->map);

	pthread_mutex_lock(&sc->mu);
	if (!err) {
		sc->by_iter = true;
	} else {
		sc->err = start_walk(sc, sc->nthreads - 1);
		if (!sc->err) {
			self = &sc->part[sc->nparts++];
			self->scan = sc;
		}
	}
	sc->decided = true;
	pthread_cond_broadcast(&sc->decided_cv);
	pthread_mutex_unlock(&sc->mu);
	if (self)
		scan_worker(self);
	return NULL;
}

int sv_proc_scan_start(struct sv_proc_scan **out, const char *proc_root,
		       unsigned nthreads)
{
	struct sv_proc_scan *sc = calloc(1, sizeof(*sc));
	int err;

	if (!sc)
		return -ENOMEM;
	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > SV_PROC_SCAN_MAX_THREADS)
		nthreads = SV_PROC_SCAN_MAX_THREADS;
	sc->nthreads = nthreads;
	pthread_mutex_init(&sc->mu, NULL);
	pthread_cond_init(&sc->decided_cv, NULL);
	sc->procfd = open(proc_root ? proc_root : "/proc",
			  O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sc->procfd < 0) {
		err = -errno;
		pthread_cond_destroy(&sc->decided_cv);
		pthread_mutex_destroy(&sc->mu);
		free(sc);
		return err;
	}
	if (!proc_root && pthread_create(&sc->iter, NULL, iter_worker, sc) == 0) {
		sc->iter_started = true;
	} else {
		sc->err = start_walk(sc, nthreads);
		sc->decided = true;
	}
	*out = sc;
	return 0;
}

int sv_proc_scan_join(struct sv_proc_scan *sc, struct sv_proc_map **out)
{
	struct sv_proc_map *m = calloc(1, sizeof(*m));
	size_t i;
	int err;

	pthread_mutex_lock(&sc->mu);
	while (!sc->decided)
		pthread_cond_wait(&sc->decided_cv, &sc->mu);
	err = sc->err;
	pthread_mutex_unlock(&sc->mu);
	/* the joining thread takes what is left of a walk rather than wait
	 * (all of it when no thread could start) */
	if (!err && !sc->by_iter) {
		sc->part[sc->nparts].scan = sc;
		scan_worker(&sc->part[sc->nparts++]);
	}
	if (sc->iter_started)
		pthread_join(sc->iter, NULL);
	for (i = 0; i < sc->nparts; i++)
		if (sc->part[i].started)
			pthread_join(sc->part[i].t, NULL);
	if (!m && !err)
		err = -ENOMEM;
	for (i = 0; i < sc->nparts; i++) {
		struct sv_proc_map *p = &sc->part[i].m;

		if (!err && p->err)
			err = p->err;
		sc->map.unreadable += p->unreadable;
		free(p->v);
		free(p->pool);
		free(p->procs);
	}
	if (m)
		*m = sc->map;
	else
		release(&sc->map);
	close(sc->procfd);
	free(sc->pids);
	pthread_cond_destroy(&sc->decided_cv);
	pthread_mutex_destroy(&sc->mu);
	free(sc);
	if (!err)
		err = sv_proc_map_finish(m);
	if (err) {
		sv_proc_map_free(m);
		return err;
	}
	*out = m;
	return 0;
}

int sv_proc_map_build(struct sv_proc_map **out, const char *proc_root)
{
	struct sv_proc_map *m = calloc(1, sizeof(*m));
	int procfd, dirfd;
	DIR *d;
	struct dirent *de;
	int err;

	if (!m)
		return -ENOMEM;
	if (!proc_root && from_iterator(m) == 0) {
		err = sv_proc_map_finish(m);
		if (err) {
			sv_proc_map_free(m);
			return err;
		}
		*out = m;
		return 0;
	}
	procfd = open(proc_root ? proc_root : "/proc",
		      O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0) {
		err = -errno;
		free(m);
		return err;
	}
	dirfd = dup(procfd);
	d = dirfd < 0 ? NULL : fdopendir(dirfd);
	if (!d) {
		err = -errno;
		if (dirfd >= 0)
			close(dirfd);
		close(procfd);
		free(m);
		return err;
	}
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		scan_pid(m, procfd, de->d_name, (int)pid);
		if (m->err)
			break;
	}
	closedir(d);
	close(procfd);
	err = m->err ? m->err : sv_proc_map_finish(m);
	if (err) {
		sv_proc_map_free(m);
		return err;
	}
	*out = m;
	return 0;
}

struct sv_proc_map *sv_proc_map_new(void)
{
	return calloc(1, sizeof(struct sv_proc_map));
}

int sv_proc_map_add(struct sv_proc_map *m, uint64_t inode, int pid, int fd,
		    const char *comm)
{
	/* a capture lists a process's descriptors together: its name
	 * once for each run of them */
	if ((!m->nprocs || m->procs[m->nprocs - 1].pid != pid) &&
	    add_proc(m, pid, pool_add(m, comm, strlen(comm))))
		return -ENOMEM;
	return add_entry(m, inode, pid, fd);
}

/* A descriptor seen twice (the iterator reports a thread that has a
 * table of its own, a copy of its process's) is one owner. */
static void dedupe(struct sv_proc_map *m)
{
	size_t i, k = 0;

	for (i = 0; i < m->n; i++)
		if (!k || cmp_entry(&m->v[k - 1], &m->v[i]) != 0)
			m->v[k++] = m->v[i];
	m->n = k;
}

int sv_proc_map_finish(struct sv_proc_map *m)
{
	if (!m->pool && sv_grow((void **)&m->pool, &m->pool_cap, 1, 1) == 0)
		m->pool[0] = '\0';
	if (m->n)
		qsort(m->v, m->n, sizeof(*m->v), cmp_entry);
	dedupe(m);
	return m->pool ? build_index(m) : -ENOMEM;
}

const struct sv_proc_ref *sv_proc_map_at(const struct sv_proc_map *m,
					 size_t i, uint64_t *inode)
{
	*inode = m->ino[i];
	return &m->refs[i];
}

size_t sv_proc_map_unreadable(const struct sv_proc_map *m)
{
	return m->unreadable;
}

size_t sv_proc_map_count(const struct sv_proc_map *m)
{
	return m->n;
}

const struct sv_proc_ref *sv_proc_map_find(const struct sv_proc_map *m,
					   uint64_t inode, size_t *n)
{
	uint32_t i;
	size_t h, j;

	*n = 0;
	if (!m->index)
		return NULL;
	for (h = index_slot(m, inode); (i = m->index[h]) != NO_ENTRY;
	     h = (h + 1) & m->index_mask)
		if (m->ino[i] == inode)
			break;
	if (i == NO_ENTRY)
		return NULL;
	for (j = i; j < m->n && m->ino[j] == inode; j++)
		;
	*n = j - i;
	return &m->refs[i];
}

#define RADIX_BITS 11
#define RADIX_MASK ((1u << RADIX_BITS) - 1)

/* keys sorted by their high 32 bits (stable: a least significant digit
 * first radix sort, three passes of 11 bits at most), through tmp. */
static void sort_keys(uint64_t *keys, uint64_t *tmp, size_t n)
{
	uint64_t *src = keys, *dst = tmp, *t, all = 0;
	unsigned shift;
	size_t i;

	for (i = 0; i < n; i++)
		all |= keys[i];
	for (shift = 32; shift < 64 && all >> shift; shift += RADIX_BITS) {
		size_t pos[1u << RADIX_BITS] = { 0 }, sum = 0, c;

		for (i = 0; i < n; i++)
			pos[(src[i] >> shift) & RADIX_MASK]++;
		for (i = 0; i <= RADIX_MASK; i++) {
			c = pos[i];
			pos[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[pos[(src[i] >> shift) & RADIX_MASK]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != keys)
		memcpy(keys, src, n * sizeof(*keys));
}

/*
 * -tap's rows looked their owners up one hash probe each, in the dump's
 * order, which is random in the map's: half of the rows' time after the
 * scan (22 ms of the bench's 121,031), on one core.  Sorted, the same
 * lookups are one walk along ino[].
 */
int sv_proc_map_find_all(const struct sv_proc_map *m, uint64_t *keys,
			 size_t n, struct sv_proc_hit *hits)
{
	uint64_t *tmp = malloc((n ? n : 1) * sizeof(*tmp));
	size_t i, j = 0, e;

	if (!tmp)
		return -ENOMEM;
	sort_keys(keys, tmp, n);
	free(tmp);
	for (i = 0; i < n; i++) {
		uint64_t ino = keys[i] >> 32;
		uint32_t k = (uint32_t)keys[i];

		while (j < m->n && m->ino[j] < ino)
			j++;
		for (e = j; e < m->n && m->ino[e] == ino; e++)
			;
		hits[k].first = (uint32_t)j;
		hits[k].n = (uint32_t)(e - j);
	}
	return 0;
}

const struct sv_proc_ref *sv_proc_map_hit(const struct sv_proc_map *m,
					  struct sv_proc_hit h)
{
	return h.n ? &m->refs[h.first] : NULL;
}

void sv_proc_map_free(struct sv_proc_map *m)
{
	if (!m)
		return;
	release(m);
	free(m);
}
