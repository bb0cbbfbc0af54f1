// SPDX-License-Identifier: MIT
/*
 * ss's table words: -A QUERY and -f FAMILY.  A word sockview knows but
 * has no table for is refused by name, so that "-A sctp" never answers
 * with an empty list that looks like "no SCTP sockets".
 */
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "core/util.h"
#include "list/list.h"

#define P(x) (1u << SV_PROTO_##x)
#define U(x) (1u << SOCK_##x)
#define U_ALL (U(STREAM) | U(DGRAM) | U(SEQPACKET))
#define K_ALL (U(RAW) | U(DGRAM))

struct query_word {
	const char *name;
	unsigned protos;     /* 1 << SV_PROTO_*; 0: no table here */
	unsigned unix_types; /* with SV_PROTO_UNIX: 1 << SOCK_* */
	unsigned packet_types; /* with SV_PROTO_PACKET: 1 << SOCK_* */
};

/* ss(8)'s words, its short netids included. */
static const struct query_word words[] = {
	{ "all", P(TCP) | P(UDP) | P(RAW) | P(UNIX) | P(NETLINK) | P(PACKET) |
			 P(MPTCP),
	  U_ALL, K_ALL },
	{ "inet", P(TCP) | P(UDP) | P(RAW) | P(MPTCP), 0, 0 },
	{ "tcp", P(TCP), 0, 0 },
	{ "udp", P(UDP), 0, 0 },
	{ "raw", P(RAW), 0, 0 },
	{ "unix", P(UNIX), U_ALL, 0 },
	{ "unix_stream", P(UNIX), U(STREAM), 0 },
	{ "u_str", P(UNIX), U(STREAM), 0 },
	{ "unix_dgram", P(UNIX), U(DGRAM), 0 },
	{ "u_dgr", P(UNIX), U(DGRAM), 0 },
	{ "unix_seqpacket", P(UNIX), U(SEQPACKET), 0 },
	{ "u_seq", P(UNIX), U(SEQPACKET), 0 },
	{ "packet", P(PACKET), 0, K_ALL },
	{ "packet_raw", P(PACKET), 0, U(RAW) },
	{ "p_raw", P(PACKET), 0, U(RAW) },
	{ "packet_dgram", P(PACKET), 0, U(DGRAM) },
	{ "p_dgr", P(PACKET), 0, U(DGRAM) },
	{ "netlink", P(NETLINK), 0, 0 },
	{ "mptcp", P(MPTCP), 0, 0 },
	{ "sctp", 0, 0, 0 },
	{ "dccp", 0, 0, 0 },
	{ "vsock", 0, 0, 0 },
	{ "vsock_stream", 0, 0, 0 },
	{ "v_str", 0, 0, 0 },
	{ "vsock_dgram", 0, 0, 0 },
	{ "v_dgr", 0, 0, 0 },
	{ "tipc", 0, 0, 0 },
	{ "xdp", 0, 0, 0 },
};

static const struct query_word *find_word(const char *w, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i].name) == n && !memcmp(words[i].name, w, n))
			return &words[i];
	return NULL;
}

/* Each word adds its tables, "!word" takes them away, left to right,
 * as ss does. */
void sv_list_query(struct list_opts *lo, const char *arg)
{
	const char *p = arg;

	do {
		size_t n = strcspn(p, ",");
		bool off = *p == '!';
		const struct query_word *w = find_word(p + off, n - off);

		if (!w)
			sv_usage_die("list: -A takes ss's table words (all, "
				     "inet, tcp, udp, raw, unix, unix_stream, "
				     "unix_dgram, unix_seqpacket, packet, "
				     "packet_raw, packet_dgram, netlink, mptcp), "
				     "not '%.*s'",
				     (int)n, p);
		/* "all" means every table sockview has */
		if (!w->protos && strcmp(w->name, "all"))
			sv_usage_die("list: sockview cannot list %s sockets "
				     "(-A %.*s): it has no %s table",
				     w->name, (int)n, p, w->name);
		if (off) {
			/* "!unix_stream" leaves the other UNIX types; the
			 * table goes when no type is left (below) */
			lo->protos &= ~(w->protos & ~P(UNIX) & ~P(PACKET));
			if (!w->unix_types && !w->packet_types)
				lo->protos &= ~w->protos;
			lo->unix_types &= ~w->unix_types;
			lo->packet_types &= ~w->packet_types;
		} else {
			lo->protos |= w->protos;
			lo->unix_types |= w->unix_types;
			lo->packet_types |= w->packet_types;
		}
		p += n;
	} while (*p++ == ',');
	/* every type of a table taken away: not that table */
	if (!lo->unix_types)
		lo->protos &= ~P(UNIX);
	if (!lo->packet_types)
		lo->protos &= ~P(PACKET);
}

/* -f: ss's family words; inet and inet6 as -4 and -6. */
void sv_list_family(struct list_opts *lo, const char *arg)
{
	static const char *const none[] = { "vsock", "tipc", "xdp" };
	size_t i;

	if (!strcmp(arg, "inet")) {
		lo->families |= SV_FAM_INET;
		return;
	}
	if (!strcmp(arg, "inet6")) {
		lo->families |= SV_FAM_INET6;
		return;
	}
	if (!strcmp(arg, "unix")) {
		lo->families |= SV_FAM_UNIX;
		return;
	}
	if (!strcmp(arg, "link")) {
		lo->families |= SV_FAM_LINK;
		return;
	}
	if (!strcmp(arg, "netlink")) {
		lo->families |= SV_FAM_NETLINK;
		return;
	}
	for (i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		if (!strcmp(arg, none[i]))
			sv_usage_die("list: sockview cannot list %s sockets "
				     "(-f %s)",
				     arg, arg);
	sv_usage_die("list: -f takes inet, inet6, unix, link or netlink, not "
		     "'%s'",
		     arg);
}
