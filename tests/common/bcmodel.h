/* SPDX-License-Identifier: MIT */
/*
 * A model of the kernel's inet_diag bytecode checker and interpreter
 * (inet_diag_bc_audit() and inet_diag_bc_run() in net/ipv4/inet_diag.c),
 * written from their documented behaviour.  The unit tests and the
 * filter fuzz target both judge sockview's programs by it.
 */
#ifndef SV_TEST_BCMODEL_H
#define SV_TEST_BCMODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/sock.h"

/* What the kernel knows of an inet socket (struct inet_diag_entry). */
struct bcmodel_entry {
	int family;
	uint8_t saddr[16], daddr[16];
	unsigned sport, dport;
	uint32_t ifindex, mark;
	uint64_t cgroup_id;
	bool bindport_lock; /* SOCK_BINDPORT_LOCK: not autobound */
};

/* 0, -EINVAL for a program the kernel refuses, -EPERM for a mark
 * condition without CAP_NET_ADMIN. */
int bcmodel_audit(const uint8_t *bc, int len, bool net_admin);

/* Whether an audited program keeps the socket e. */
bool bcmodel_run(const uint8_t *bc, int len, const struct bcmodel_entry *e);

/* The entry of s; bindport_lock is left false. */
void bcmodel_entry_of(const struct sv_sock *s, struct bcmodel_entry *e);

#endif
