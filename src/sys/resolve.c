// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/imap.h"
#include "sys/resolve.h"

struct name {
	uint8_t family;
	uint8_t done;
	uint8_t addr[16];
	char *host;
};

struct sv_resolver {
	uv_loop_t loop;
	uv_timer_t timer;
	unsigned timeout_ms;
	struct name *v;
	size_t n, cap;
	struct sv_imap index; /* hash of an address -> its entry in v */
	size_t pending;
	uv_getnameinfo_t *reqs; /* owned by libuv once started */
	int running;
	int timer_on;
};

static size_t alen(int family)
{
	return family == AF_INET ? 4 : 16;
}

static uint64_t hash_addr(int family, const uint8_t *a)
{
	return sv_hash_bytes((uint64_t)family, a, alen(family));
}

static struct name *lookup(const struct sv_resolver *r, int family,
			   const uint8_t *a)
{
	size_t cursor = 0;
	uint32_t i;

	while (sv_imap_next(&r->index, hash_addr(family, a), &cursor, &i)) {
		struct name *e = &r->v[i];

		if (e->family == family && !memcmp(e->addr, a, alen(family)))
			return e;
	}
	return NULL;
}

int sv_resolver_new(struct sv_resolver **out, unsigned threads,
		    unsigned timeout_ms)
{
	struct sv_resolver *r = calloc(1, sizeof(*r));
	char num[16];
	int err;

	if (!r)
		return -ENOMEM;
	/* libuv sizes its pool from the environment on first use, and lets
	 * DNS work (slow I/O) take at most half the pool: twice the threads
	 * asked for makes that many lookups run at once. */
	if (threads) {
		snprintf(num, sizeof(num), "%u", 2 * threads);
		if (setenv("UV_THREADPOOL_SIZE", num, 1) < 0) {
			free(r);
			return -errno;
		}
	}
	err = uv_loop_init(&r->loop);
	if (err) {
		free(r);
		return err;
	}
	r->timeout_ms = timeout_ms;
	*out = r;
	return 0;
}

int sv_resolver_add(struct sv_resolver *r, int family, const uint8_t *addr)
{
	struct name *e;

	if (r->running || (family != AF_INET && family != AF_INET6))
		return -EINVAL;
	if (lookup(r, family, addr))
		return 0;
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		struct name *v = realloc(r->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->v = v;
		r->cap = cap;
	}
	e = &r->v[r->n];
	memset(e, 0, sizeof(*e));
	e->family = (uint8_t)family;
	memcpy(e->addr, addr, alen(family));
	if (sv_imap_add(&r->index, hash_addr(family, addr), (uint32_t)r->n))
		return -ENOMEM;
	r->n++;
	return 0;
}

static void on_name(uv_getnameinfo_t *req, int status, const char *host,
		    const char *service)
{
	struct sv_resolver *r = req->loop->data;
	struct name *e = &r->v[req - r->reqs];

	(void)service;
	e->done = 1;
	if (status == 0 && host && *host)
		e->host = strdup(host);
	if (--r->pending == 0)
		uv_timer_stop(&r->timer);
}

static void on_deadline(uv_timer_t *t)
{
	/* Leave the rest numeric: stop the loop with lookups in flight. */
	uv_stop(t->loop);
}

int sv_resolver_run(struct sv_resolver *r)
{
	size_t i;
	int err;

	r->running = 1;
	r->loop.data = r;
	if (!r->n)
		return 0;
	r->reqs = calloc(r->n, sizeof(*r->reqs));
	if (!r->reqs)
		return -ENOMEM;
	for (i = 0; i < r->n; i++) {
		struct sockaddr_storage ss;
		struct name *e = &r->v[i];

		memset(&ss, 0, sizeof(ss));
		if (e->family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

			sin->sin_family = AF_INET;
			memcpy(&sin->sin_addr, e->addr, 4);
		} else {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

			sin6->sin6_family = AF_INET6;
			memcpy(&sin6->sin6_addr, e->addr, 16);
		}
		/* NI_NAMEREQD: no name is no answer, not the number again */
		err = uv_getnameinfo(&r->loop, &r->reqs[i], on_name,
				     (struct sockaddr *)&ss, NI_NAMEREQD);
		if (err)
			e->done = 1;
		else
			r->pending++;
	}
	if (!r->pending)
		return 0;
	uv_timer_init(&r->loop, &r->timer);
	r->timer_on = 1;
	uv_timer_start(&r->timer, on_deadline, r->timeout_ms, 0);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	return 0;
}

struct async_req {
	uv_getnameinfo_t req;
	struct sv_resolver *r;
	uint32_t idx;
};

static void on_async_name(uv_getnameinfo_t *req, int status,
			  const char *host, const char *service)
{
	struct async_req *a = (struct async_req *)req;
	struct name *e = &a->r->v[a->idx];

	(void)service;
	e->done = 1;
	if (status == 0 && host && *host)
		e->host = strdup(host);
	a->r->pending--;
	free(a);
}

const char *sv_resolver_name_async(struct sv_resolver *r, uv_loop_t *loop,
				   int family, const uint8_t *addr)
{
	struct sockaddr_storage ss;
	struct async_req *a;
	struct name *e = lookup(r, family, addr);

	if (e)
		return e->host;
	if (sv_resolver_add(r, family, addr))
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->r = r;
	a->idx = (uint32_t)(r->n - 1);
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, addr, 4);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, addr, 16);
	}
	if (uv_getnameinfo(loop, &a->req, on_async_name,
			   (struct sockaddr *)&ss, NI_NAMEREQD)) {
		r->v[a->idx].done = 1;
		free(a);
		return NULL;
	}
	r->pending++;
	return NULL;
}

const char *sv_resolver_host(const struct sv_resolver *r, int family,
			     const uint8_t *addr)
{
	const struct name *e = lookup(r, family, addr);

	return e ? e->host : NULL;
}

size_t sv_resolver_pending(const struct sv_resolver *r)
{
	return r->pending;
}

void sv_resolver_free(struct sv_resolver *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++)
		free(r->v[i].host);
	sv_imap_free(&r->index);
	if (r->pending) {
		/* Threads still hold the requests and the loop: leave them
		 * to the process exit rather than free what they use. */
		return;
	}
	if (r->timer_on)
		uv_close((uv_handle_t *)&r->timer, NULL);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	uv_loop_close(&r->loop);
	free(r->v);
	free(r->reqs);
	free(r);
}

/* getservbyport per port is a file scan: remember every answer. */
static const char **service_cache[2];
static const char no_service[] = "";

const char *sv_service_name(unsigned port, int udp)
{
	const char **c;
	struct servent *se;

	if (port > 65535)
		return NULL;
	c = service_cache[!!udp];
	if (!c) {
		c = calloc(65536, sizeof(*c));
		if (!c)
			return NULL;
		service_cache[!!udp] = c;
	}
	if (!c[port]) {
		se = getservbyport(htons((uint16_t)port), udp ? "udp" : "tcp");
		c[port] = se && se->s_name ? strdup(se->s_name) : no_service;
		if (!c[port])
			c[port] = no_service;
	}
	return c[port] == no_service ? NULL : c[port];
}
