/* SPDX-License-Identifier: MIT */
#ifndef SV_FILTER_H
#define SV_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/row.h" /* sv_proc_ref: what pid and comm match */

/*
 * The ss filter language: parsed once, compiled per inet family into
 * sock_diag bytecode (INET_DIAG_REQ_BYTECODE) so the kernel drops what
 * does not match, and checked again in user space for what the kernel
 * cannot see (processes, uid, inode, UNIX sockets).
 */

struct sv_filter;

struct sv_filter_error {
	char msg[256]; /* "filter: unexpected ')' at position 12" */
};

/*
 * Parses the trailing words of a command line (joined with single
 * spaces; positions in messages count in that joined text) or a whole
 * text (-F FILE).  Host names are resolved here.  Returns 0, -EINVAL
 * with err filled for a bad expression, or -ENOMEM.  An empty
 * expression gives a filter that matches everything.
 */
int sv_filter_parse_argv(int argc, char **argv, struct sv_filter **out,
			 struct sv_filter_error *err);
int sv_filter_parse_string(const char *text, struct sv_filter **out,
			   struct sv_filter_error *err);
void sv_filter_free(struct sv_filter *f);

/*
 * Host name lookups of the parser.  By default every name goes to
 * getaddrinfo(3) on libuv's threadpool, all at once.  Tests and the fuzz
 * targets install their own so that no word of an expression becomes a
 * DNS query: fn answers as getaddrinfo() does (0 or an EAI_* code) and
 * *res is released with freeaddrinfo().  NULL restores the default.
 */
struct addrinfo;
typedef int (*sv_filter_lookup_fn)(const char *name,
				   const struct addrinfo *hints,
				   struct addrinfo **res);
void sv_filter_set_lookup(sv_filter_lookup_fn fn);

/*
 * `dev NAME` names a device of this host, looked up while parsing;
 * with on set (--load) names are kept instead, for the interface table
 * of a capture: sv_filter_resolve_devs() then gives each its index
 * there, or fails naming the first one the table lacks (-EINVAL).
 */
struct sv_links;
void sv_filter_defer_devs(bool on);
int sv_filter_resolve_devs(struct sv_filter *f, struct sv_links *links,
			   struct sv_filter_error *err);

/*
 * The words of the language, from the tables the parser reads, for the
 * completions: the i-th keyword (state, dst, ..., and, or, not) and the
 * i-th state or state group that `state` and `exclude` take; NULL past
 * the last.  ss's alternative spellings are accepted but not listed.
 */
const char *sv_filter_keyword(size_t i);
const char *sv_filter_state_word(size_t i);

/*
 * The SV_SF() mask from `state` and `exclude`, or deflt when the
 * expression names no state.  As in ss, the first `state` starts from
 * nothing and the first `exclude` from all states.
 */
uint32_t sv_filter_states(const struct sv_filter *f, uint32_t deflt);

/*
 * Kernel bytecode for one inet dump (family AF_INET or AF_INET6).
 * *bc is malloc'ed (the caller frees it); *len 0 means no kernel
 * filtering (send no bytecode).  *exact is set when the kernel's verdict
 * is final for this family, so sv_filter_match() need not run.  A
 * program may reject everything (an IPv6 address asked of an IPv4 dump).
 * Returns 0 or -ENOMEM.
 *
 * `fwmark` compiles to INET_DIAG_BC_MARK_COND, which the kernel refuses
 * with EPERM without CAP_NET_ADMIN; without it the kernel does not report
 * marks either, so no fallback can answer: see sv_filter_uses_mark().
 */
int sv_filter_bytecode(const struct sv_filter *f, int family, void **bc,
		       size_t *len, bool *exact);

/*
 * The user-space check of one socket (UNIX sockets, /proc records, or
 * an inet socket whose bytecode was not exact).  procs lists the owning
 * processes: NULL when unknown (pid/comm then do not reject), or an
 * array of nprocs (0: no owner).  `autobound` and a mark the kernel did
 * not report cannot be decided here: when the kernel ran this filter's
 * bytecode on the socket they do not reject (it has checked them);
 * sv_filter_match_unchecked() is for records no kernel filtered (/proc,
 * a loaded capture), where such a condition is false.
 */
bool sv_filter_match(const struct sv_filter *f, const struct sv_sock *s,
		     const struct sv_proc_ref *procs, size_t nprocs);
bool sv_filter_match_unchecked(const struct sv_filter *f,
			       const struct sv_sock *s,
			       const struct sv_proc_ref *procs,
			       size_t nprocs);

/*
 * Kernel bytecode that passes inet sockets whose local port is one of
 * ports[0..n) (any order, repeats allowed): watch's dumps of one
 * process's sockets.  Neighbouring ports merge into ranges; beyond
 * max_ranges the last range widens, so the program may pass more, never
 * less.  With no port it passes nothing.  *bc is malloc'ed.  Returns 0
 * or -ENOMEM.
 */
#define SV_FILTER_PORT_RANGES_MAX 3000
int sv_filter_port_ranges(const uint16_t *ports, size_t n,
			  size_t max_ranges, uint8_t **bc, size_t *len);

bool sv_filter_needs_procs(const struct sv_filter *f); /* pid or comm */
bool sv_filter_uses_mark(const struct sv_filter *f);   /* needs NET_ADMIN */

/* The parsed expression as an s-expression, for debugging and tests.
 * Returns the length it needed, like snprintf. */
size_t sv_filter_format(const struct sv_filter *f, char *buf, size_t size);

/* ---- Internals shared by filter*.c ---- */

enum sv_fnode_type {
	SV_FN_TRUE,
	SV_FN_FALSE,
	SV_FN_AND,
	SV_FN_OR,
	SV_FN_NOT,
	SV_FN_HOST,	 /* src/dst [family:]addr[/prefix][:port] */
	SV_FN_PATH,	 /* src/dst of a UNIX socket, fnmatch pattern */
	SV_FN_PORT,	 /* sport/dport comparison */
	SV_FN_DEV,	 /* bound device index */
	SV_FN_MARK,	 /* (mark & mask) == value */
	SV_FN_CGROUP,	 /* cgroup v2 id */
	SV_FN_AUTOBOUND, /* port picked by the kernel */
	SV_FN_PID,
	SV_FN_COMM,
	SV_FN_UID,
	SV_FN_INODE,
	SV_FN_HOSTNAME, /* only while parsing: a name to resolve */
};

enum sv_fcmp {
	SV_FCMP_EQ,
	SV_FCMP_NE,
	SV_FCMP_LT,
	SV_FCMP_LE,
	SV_FCMP_GT,
	SV_FCMP_GE,
};

struct sv_fnode {
	uint8_t type;		/* enum sv_fnode_type */
	bool dst;		/* HOST, PATH, PORT: the peer's side */
	uint8_t cmp;		/* PORT: enum sv_fcmp */
	uint8_t family;		/* HOST: AF_UNSPEC, AF_INET, AF_INET6 */
	uint8_t prefix_len;	/* HOST: bits of addr that must match */
	bool strict;		/* HOST: inet: or inet6: given, no v4-mapped */
	int port;		/* HOST, PORT: -1 any, else the operand */
	uint8_t addr[16];	/* HOST: network order */
	uint32_t val, mask;	/* DEV, MARK, PID, UID */
	uint64_t val64;		/* CGROUP, INODE */
	char *str;		/* PATH, COMM: pattern; HOSTNAME: the name */
	unsigned pos;		/* 1-based offset in the text, for messages */
	struct sv_fnode *l, *r; /* AND, OR: both; NOT: l */
};

struct sv_filter {
	struct sv_fnode *root; /* NULL: matches everything */
	uint32_t states;
	bool has_states;
};

struct sv_fnode *sv_fnode_new(int type, unsigned pos);
void sv_fnode_free(struct sv_fnode *n);

#endif
