/* SPDX-License-Identifier: MIT */
#ifndef SV_CONTAINERS_H
#define SV_CONTAINERS_H

/*
 * pid -> the container its cgroup names (core/cgroup.c), read from
 * /proc/PID/cgroup the first time a pid is asked for and kept for the
 * map's life: one read per process per run, and only for processes
 * that hold a socket being shown.
 */
struct sv_container;
struct sv_containers;

struct sv_containers *sv_containers_new(void);
/* NULL when its cgroup names no container or pod, or cannot be read
 * (the process is gone). */
const struct sv_container *sv_containers_get(struct sv_containers *m,
					     int pid);
void sv_containers_free(struct sv_containers *m);

#endif
