/* SPDX-License-Identifier: MIT */
#ifndef SV_CGROUP_H
#define SV_CGROUP_H

#include <stddef.h>
#include <stdint.h>

/* The container a process runs in, as its cgroup path names it. */
struct sv_container {
	const char *runtime; /* "docker", "containerd", "cri-o", "podman";
			      * NULL when the path names an id only */
	char id[65];	     /* 64 hex digits, "" when none */
	char short_id[13];   /* its first 12 digits, for the table */
	char pod_uid[37];    /* Kubernetes pod UID, "" when none */
};

/*
 * Parses the text of /proc/PID/cgroup (n bytes): the cgroup v2 line, or
 * else any v1 line, naming a container (docker-ID.scope, /docker/ID,
 * cri-containerd-ID.scope, crio-ID.scope, libpod-ID.scope, a bare ID
 * under kubepods) or a Kubernetes pod (kubepods...-podUID.slice,
 * /kubepods/.../podUID).  1 when it found either, else 0.
 */
int sv_cgroup_container(const char *text, size_t n, struct sv_container *c);

/* --all-netns: the namespace a socket was read in, joined to it. */
struct sv_netns_label {
	uint64_t inode;
	const char *name; /* in /run/netns, or NULL */
};

#endif
