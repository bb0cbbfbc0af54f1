/* SPDX-License-Identifier: MIT */
#ifndef SV_CGPATH_H
#define SV_CGPATH_H

#include <stdint.h>

/*
 * cgroup v2 id -> path, as sock_diag's INET_DIAG_CGROUP_ID names the
 * creating process's cgroup.  The id is the cgroup directory's kernfs
 * node id, which name_to_handle_at() returns as its 8-byte handle; the
 * hierarchy under /sys/fs/cgroup is walked once, on first use.
 */
struct sv_cgpaths;

/* Walks the hierarchy at root (NULL: the first cgroup2 mount, as
 * /proc/self/mounts lists them; -ENOENT when there is none): 0 or
 * -errno. */
int sv_cgpaths_load(struct sv_cgpaths **out, const char *root);
/* The path of id relative to the root, "/" for the root itself, or
 * NULL when no directory has that id (gone since, or not cgroup v2). */
const char *sv_cgpaths_find(const struct sv_cgpaths *c, uint64_t id);
void sv_cgpaths_free(struct sv_cgpaths *c);

#endif
