// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: arbitrary text as a filter expression.  A parsed
 * filter is formatted, compiled for both inet families and matched
 * against a few fixed sockets.  Each program must pass the model of the
 * kernel's inet_diag_bc_audit() in tests/common/bcmodel.c, and running
 * it as inet_diag_bc_run() does must agree with sv_filter_match(): never
 * drop a socket user space accepts, and when the program is exact, never
 * keep one it rejects.
 *
 * Host names never reach DNS: sv_filter_set_lookup() installs a lookup
 * that answers from fixed numeric addresses (getaddrinfo() with
 * AI_NUMERICHOST does no I/O).
 */
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../common/bcmodel.h"
#include "filter/filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Names answer by their first letter; anything else does not exist. */
static int local_lookup(const char *name, const struct addrinfo *hints,
			struct addrinfo **res)
{
	struct addrinfo h = *hints;
	const char *addr;

	switch (name[0]) {
	case 'l':
		addr = hints->ai_family == AF_INET6 ? "::1" : "127.0.0.1";
		break;
	case 's':
		addr = hints->ai_family == AF_INET ? "192.0.2.7"
						   : "2001:db8::7";
		break;
	case 'm':
		/* every socket type: the same address three times */
		addr = hints->ai_family == AF_INET6 ? "::ffff:10.0.0.1"
						    : "10.0.0.1";
		h.ai_socktype = 0;
		break;
	default:
		return EAI_NONAME;
	}
	h.ai_flags |= AI_NUMERICHOST | AI_NUMERICSERV;
	return getaddrinfo(addr, NULL, &h, res);
}

/* What the kernel knows of an inet socket (struct inet_diag_entry). */
struct entry {
	struct sv_sock s;
	bool userlocks_port; /* SOCK_BINDPORT_LOCK: not autobound */
};

static struct entry inet_socks[4];
static struct sv_sock unix_socks[2];

static void set_inet(struct entry *e, int family, const char *src,
		     unsigned sport, const char *dst, unsigned dport)
{
	struct sv_sock *s = &e->s;

	memset(e, 0, sizeof(*e));
	s->proto = SV_PROTO_TCP;
	s->family = (uint8_t)family;
	s->type = SOCK_STREAM;
	s->state = SV_TCP_ESTABLISHED;
	inet_pton(family, src, s->local.addr);
	inet_pton(family, dst, s->peer.addr);
	s->local.port = (uint16_t)sport;
	s->peer.port = (uint16_t)dport;
	s->has = SV_HAS_PORTS | SV_HAS_QUEUES | SV_HAS_INODE | SV_HAS_UID |
		 SV_HAS_COOKIE | SV_HAS_MARK | SV_HAS_CGROUP;
}

static void setup(void)
{
	static const char abstract[] = "\0"
				       "1a2b3";
	static const char named[] = "/run/sv.sock";

	sv_filter_set_lookup(local_lookup);
	set_inet(&inet_socks[0], AF_INET, "127.0.0.1", 5000, "127.0.0.1",
		 49848);
	inet_socks[0].s.ifindex = 1;
	inet_socks[0].s.mark = 0x2a;
	inet_socks[0].s.cgroup_id = 1234;
	inet_socks[0].userlocks_port = true;
	set_inet(&inet_socks[1], AF_INET, "192.0.2.7", 0, "10.0.0.1", 65535);
	inet_socks[1].s.state = SV_TCP_LISTEN;
	set_inet(&inet_socks[2], AF_INET6, "::ffff:10.0.0.1", 443,
		 "2001:db8::7", 1);
	inet_socks[2].s.mark = 0xffffffff;
	inet_socks[2].s.ifindex = 7;
	set_inet(&inet_socks[3], AF_INET6, "::1", 22, "::", 0);
	inet_socks[3].s.state = SV_TCP_TIME_WAIT;
	inet_socks[3].s.has &= ~(uint32_t)(SV_HAS_INODE | SV_HAS_UID);
	inet_socks[3].userlocks_port = true;

	unix_socks[0].proto = SV_PROTO_UNIX;
	unix_socks[0].family = AF_UNIX;
	unix_socks[0].type = SOCK_DGRAM;
	unix_socks[0].state = SV_TCP_CLOSE;
	unix_socks[0].path = abstract;
	unix_socks[0].path_len = sizeof(abstract) - 1;
	unix_socks[0].has = SV_HAS_PATH | SV_HAS_INODE;
	unix_socks[0].inode = 99;
	unix_socks[1] = unix_socks[0];
	unix_socks[1].type = SOCK_STREAM;
	unix_socks[1].state = SV_TCP_LISTEN;
	unix_socks[1].path = named;
	unix_socks[1].path_len = sizeof(named) - 1;
}

/* The kernel's side: tests/common/bcmodel.c, shared with the unit tests. */
static bool bc_run(const uint8_t *bc, int len, const struct entry *e)
{
	struct bcmodel_entry m;

	bcmodel_entry_of(&e->s, &m);
	m.bindport_lock = e->userlocks_port;
	return bcmodel_run(bc, len, &m);
}

/* ---- The checks ---- */

static bool tree_has_autobound(const struct sv_fnode *n)
{
	if (!n)
		return false;
	return n->type == SV_FN_AUTOBOUND || tree_has_autobound(n->l) ||
	       tree_has_autobound(n->r);
}

static void check_family(const struct sv_filter *f, int family)
{
	struct sv_filter nostate = *f;
	void *bc;
	size_t len, i;
	bool exact, user, kernel;

	if (sv_filter_bytecode(f, family, &bc, &len, &exact))
		return;
	if (len &&
	    (len > 65528 || len % 4 || bcmodel_audit(bc, (int)len, true))) {
		fprintf(stderr, "family %d: the kernel refuses this program\n",
			family);
		abort();
	}
	/* states choose dumps; the program and the check do the rest */
	nostate.has_states = false;
	for (i = 0; i < sizeof(inet_socks) / sizeof(inet_socks[0]); i++) {
		const struct entry *e = &inet_socks[i];

		if (e->s.family != family)
			continue;
		user = sv_filter_match(&nostate, &e->s, NULL, 0);
		kernel = !len || bc_run(bc, (int)len, e);
		/* user space cannot see autobound: it lets it through */
		if (tree_has_autobound(f->root))
			continue;
		if ((user && !kernel) || (exact && kernel && !user)) {
			fprintf(stderr,
				"socket %zu family %d: kernel %d user %d "
				"exact %d\n",
				i, family, kernel, user, exact);
			abort();
		}
	}
	free(bc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	static const struct sv_proc_ref procs[] = {{ .pid = 1, .comm = "init" },
						      { .pid = 77, .comm = "we[i]rd*" }};
	struct sv_filter_error err;
	struct sv_filter *f;
	char *text, small[8], big[512];
	size_t i;

	if (!ready) {
		setup();
		ready = true;
	}
	if (size > 4096)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (sv_filter_parse_string(text, &f, &err) == 0) {
		sv_filter_format(f, small, sizeof(small));
		sv_filter_format(f, big, sizeof(big));
		sv_filter_format(f, NULL, 0);
		(void)sv_filter_states(f, SV_STATES_CONNECTED);
		(void)sv_filter_needs_procs(f);
		(void)sv_filter_uses_mark(f);
		check_family(f, AF_INET);
		check_family(f, AF_INET6);
		for (i = 0; i < 4; i++)
			(void)sv_filter_match(f, &inet_socks[i].s, procs,
					      i % 3);
		for (i = 0; i < 2; i++) {
			(void)sv_filter_match(f, &unix_socks[i], NULL, 0);
			(void)sv_filter_match(f, &unix_socks[i], procs, 2);
		}
		sv_filter_free(f);
	} else if (!memchr(err.msg, '\0', sizeof(err.msg))) {
		abort(); /* an error message must be a string */
	}
	free(text);
	return 0;
}
