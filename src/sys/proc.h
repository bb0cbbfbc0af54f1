/* SPDX-License-Identifier: MIT */
#ifndef SV_PROC_H
#define SV_PROC_H

#include <stddef.h>
#include <stdint.h>

#include "core/row.h" /* struct sv_proc_ref */

/* The inode of a /proc/PID/fd link text of n bytes ("socket:[123]", no
 * NUL needed): 1 and *ino, or 0 when it names no socket. */
int sv_proc_socket_inode(const char *link, size_t n, uint64_t *ino);

/*
 * Socket inode -> owning processes, from one scan of /proc/[pid]/fd.
 * A socket shared by several processes (or descriptors) has them all.
 */
struct sv_proc_map;

/*
 * proc_root NULL is this system's: its owners come from the kernel's
 * task_file iterator (sys/fditer.h) when it can be had, else from a walk
 * of /proc, as they always do for a proc_root given ("/proc" included).
 * unreadable: processes whose descriptors we may not read (EACCES).
 */
int sv_proc_map_build(struct sv_proc_map **out, const char *proc_root);
size_t sv_proc_map_unreadable(const struct sv_proc_map *m);
size_t sv_proc_map_count(const struct sv_proc_map *m);
/* The references for inode, contiguous; *n = 0 when none. */
const struct sv_proc_ref *sv_proc_map_find(const struct sv_proc_map *m,
					   uint64_t inode, size_t *n);
void sv_proc_map_free(struct sv_proc_map *m);

/* One socket's owners, from sv_proc_map_find_all. */
struct sv_proc_hit {
	uint32_t first; /* the first entry's number */
	uint32_t n;	/* entries; 0: no owner */
};

/*
 * The owners of many sockets at once: keys[k] = inode << 32 | k for each
 * k < n (every socket's inode is below 2^32), in any order, sorted here;
 * hits[k] gets socket k's.  A sort and one walk along the map's own
 * order instead of a hash lookup each.  0, or -ENOMEM.
 */
int sv_proc_map_find_all(const struct sv_proc_map *m, uint64_t *keys,
			 size_t n, struct sv_proc_hit *hits);
/* The references of a hit, contiguous. */
const struct sv_proc_ref *sv_proc_map_hit(const struct sv_proc_map *m,
					  struct sv_proc_hit h);

/*
 * The same on nthreads threads (at most SV_PROC_SCAN_MAX_THREADS)
 * while the caller does something else; join waits for them and gives
 * the map sv_proc_map_build() would have.  Start fails only when /proc
 * cannot be opened; join always frees the scan.
 */
#define SV_PROC_SCAN_MAX_THREADS 8
struct sv_proc_scan;
int sv_proc_scan_start(struct sv_proc_scan **out, const char *proc_root,
		       unsigned nthreads);
int sv_proc_scan_join(struct sv_proc_scan *sc, struct sv_proc_map **out);

/* A map built by hand (from a capture): add entries, then finish. */
struct sv_proc_map *sv_proc_map_new(void);
int sv_proc_map_add(struct sv_proc_map *m, uint64_t inode, int pid, int fd,
		    const char *comm);
int sv_proc_map_finish(struct sv_proc_map *m);
/* Entry i of sv_proc_map_count(), for saving the map. */
const struct sv_proc_ref *sv_proc_map_at(const struct sv_proc_map *m,
					 size_t i, uint64_t *inode);

#endif
