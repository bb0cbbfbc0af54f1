/* SPDX-License-Identifier: MIT */
#ifndef SV_RESOLVE_H
#define SV_RESOLVE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Reverse DNS for many addresses at once: every distinct address gets its
 * own uv_getnameinfo() on libuv's threadpool, so lookups overlap instead
 * of queueing one after another.  A lookup that has not answered by the
 * deadline leaves its address numeric; nothing waits for it.
 */
struct sv_resolver;

/* threads: lookups at once (0: as libuv's pool allows, UV_THREADPOOL_SIZE
 * or 4 threads, of which libuv gives DNS work at most half). */
int sv_resolver_new(struct sv_resolver **out, unsigned threads,
		    unsigned timeout_ms);
int sv_resolver_add(struct sv_resolver *r, int family, const uint8_t *addr);
/* Runs every lookup; returns when all answered or the deadline passed. */
int sv_resolver_run(struct sv_resolver *r);
/* The name, NULL if none (no answer, not yet, or not asked). */
const char *sv_resolver_host(const struct sv_resolver *r, int family,
			     const uint8_t *addr);
size_t sv_resolver_pending(const struct sv_resolver *r);
/*
 * For a loop that runs anyway (watch): the name when known; otherwise
 * starts one lookup on loop (once per address) and returns NULL at once.
 */
struct uv_loop_s;
const char *sv_resolver_name_async(struct sv_resolver *r,
				   struct uv_loop_s *loop, int family,
				   const uint8_t *addr);
/* Frees what is safe; lookups still running keep their own memory. */
void sv_resolver_free(struct sv_resolver *r);

/* Service name of a port from the services database, cached. */
const char *sv_service_name(unsigned port, int udp);

#endif
