// SPDX-License-Identifier: MIT
/* The filter tree and its check in user space. */
#include <arpa/inet.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "filter/filter.h"

struct sv_fnode *sv_fnode_new(int type, unsigned pos)
{
	struct sv_fnode *n = calloc(1, sizeof(*n));

	if (n) {
		n->type = (uint8_t)type;
		n->pos = pos;
		n->port = -1;
		n->mask = UINT32_MAX;
	}
	return n;
}

void sv_fnode_free(struct sv_fnode *n)
{
	if (!n)
		return;
	sv_fnode_free(n->l);
	sv_fnode_free(n->r);
	free(n->str);
	free(n);
}

void sv_filter_free(struct sv_filter *f)
{
	if (!f)
		return;
	sv_fnode_free(f->root);
	free(f);
}

uint32_t sv_filter_states(const struct sv_filter *f, uint32_t deflt)
{
	return f && f->has_states ? f->states : deflt;
}

static bool tree_has(const struct sv_fnode *n, int t1, int t2)
{
	if (!n)
		return false;
	return n->type == t1 || n->type == t2 || tree_has(n->l, t1, t2) ||
	       tree_has(n->r, t1, t2);
}

bool sv_filter_needs_procs(const struct sv_filter *f)
{
	return f && tree_has(f->root, SV_FN_PID, SV_FN_COMM);
}

bool sv_filter_uses_mark(const struct sv_filter *f)
{
	return f && tree_has(f->root, SV_FN_MARK, SV_FN_MARK);
}

/* ---- Matching: three values, as some facts are the kernel's alone ---- */

enum { NO, YES, UNKNOWN };

/* The first bits bits of a and b agree (network order). */
static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned bytes = bits / 8, rest = bits % 8;

	if (memcmp(a, b, bytes))
		return false;
	if (!rest)
		return true;
	return ((a[bytes] ^ b[bytes]) & (0xff00 >> rest)) == 0;
}

/* As the kernel's INET_DIAG_BC_S_COND/D_COND, inet_diag_bc_run(). */
static int match_host(const struct sv_fnode *n, const struct sv_sock *s)
{
	static const uint8_t v4mapped[12] = {[10] = 0xff, [11] = 0xff};
	const struct sv_endpoint *e = n->dst ? &s->peer : &s->local;

	/* a socket without ports (UNIX) has none to match */
	if (n->port != -1 &&
	    (!(s->has & SV_HAS_PORTS) || n->port != e->port))
		return NO;
	if (n->family == AF_UNSPEC)
		return YES;
	if (s->family != n->family) {
		if (n->strict)
			return NO;
		/* an IPv4 condition also matches v4-mapped IPv6 addresses */
		if (s->family == AF_INET6 && n->family == AF_INET &&
		    !memcmp(e->addr, v4mapped, 12) &&
		    prefix_match(e->addr + 12, n->addr, n->prefix_len))
			return YES;
		return NO;
	}
	return prefix_match(e->addr, n->addr, n->prefix_len) ? YES : NO;
}

/* UNIX names: an abstract one shows as "@name", as ss prints it. */
static int match_path(const struct sv_fnode *n, const struct sv_sock *s)
{
	char name[110];
	size_t len;

	if (s->family != AF_UNIX)
		return NO;
	/* the peer's name is not in the record: only "*" can match it */
	if (n->dst)
		return strcmp(n->str, "*") == 0 ? YES : NO;
	len = (s->has & SV_HAS_PATH) ? s->path_len : 0;
	if (len >= sizeof(name))
		len = sizeof(name) - 1;
	memcpy(name, s->path, len);
	name[len] = '\0';
	if (len && name[0] == '\0')
		name[0] = '@';
	/* case-insensitive, as ss(8) documents */
	return fnmatch(n->str, name, FNM_CASEFOLD) == 0 ? YES : NO;
}

static int match_port(const struct sv_fnode *n, const struct sv_sock *s)
{
	const struct sv_endpoint *e = n->dst ? &s->peer : &s->local;
	int port = e->port;
	bool r = false;

	/* no port at all (UNIX): no comparison holds, not even != */
	if (!(s->has & SV_HAS_PORTS))
		return NO;
	if (n->port == -1)
		return n->cmp == SV_FCMP_NE ? NO : YES;
	switch (n->cmp) {
	case SV_FCMP_EQ:
		r = port == n->port;
		break;
	case SV_FCMP_NE:
		r = port != n->port;
		break;
	case SV_FCMP_LT:
		r = port < n->port;
		break;
	case SV_FCMP_LE:
		r = port <= n->port;
		break;
	case SV_FCMP_GT:
		r = port > n->port;
		break;
	case SV_FCMP_GE:
		r = port >= n->port;
		break;
	}
	return r ? YES : NO;
}

/* A UNIX autobind name is an abstract "@" and five hex digits. */
static int unix_autobound(const struct sv_sock *s)
{
	size_t i;

	if (!(s->has & SV_HAS_PATH) || s->path_len != 6 || s->path[0])
		return NO;
	for (i = 1; i < 6; i++)
		if (!strchr("0123456789abcdef", s->path[i]) || !s->path[i])
			return NO;
	return YES;
}

static int match_procs(const struct sv_fnode *n,
		       const struct sv_proc_ref *procs, size_t nprocs)
{
	size_t i;

	if (!procs)
		return UNKNOWN;
	for (i = 0; i < nprocs; i++) {
		if (n->type == SV_FN_PID && procs[i].pid == (int)n->val)
			return YES;
		if (n->type == SV_FN_COMM && procs[i].comm &&
		    fnmatch(n->str, procs[i].comm, 0) == 0)
			return YES;
	}
	return NO;
}

struct ectx {
	const struct sv_sock *s;
	const struct sv_proc_ref *procs;
	size_t nprocs;
	int lacking; /* a fact no source gave: UNKNOWN or NO */
};

static int eval(const struct sv_fnode *n, const struct ectx *c)
{
	const struct sv_sock *s = c->s;
	int a, b;

	switch (n->type) {
	case SV_FN_TRUE:
		return YES;
	case SV_FN_FALSE:
		return NO;
	case SV_FN_AND:
		a = eval(n->l, c);
		if (a == NO)
			return NO;
		b = eval(n->r, c);
		return b == NO ? NO : a == YES && b == YES ? YES : UNKNOWN;
	case SV_FN_OR:
		a = eval(n->l, c);
		if (a == YES)
			return YES;
		b = eval(n->r, c);
		return b == YES ? YES : a == NO && b == NO ? NO : UNKNOWN;
	case SV_FN_NOT:
		a = eval(n->l, c);
		return a == UNKNOWN ? UNKNOWN : a == YES ? NO : YES;
	case SV_FN_HOST:
		return match_host(n, s);
	case SV_FN_PATH:
		return match_path(n, s);
	case SV_FN_PORT:
		return match_port(n, s);
	case SV_FN_DEV:
		return s->ifindex == n->val ? YES : NO;
	case SV_FN_MARK:
		/* marks reach us only with CAP_NET_ADMIN: the kernel's call */
		if (!(s->has & SV_HAS_MARK))
			return s->family == AF_UNIX ? NO : c->lacking;
		return (s->mark & n->mask) == n->val ? YES : NO;
	case SV_FN_CGROUP:
		/* no id reported: a minisock, 0 to the kernel too */
		return ((s->has & SV_HAS_CGROUP) ? s->cgroup_id : 0) == n->val64
			       ? YES
			       : NO;
	case SV_FN_AUTOBOUND:
		/* sk_userlocks is not in any reply */
		return s->family == AF_UNIX ? unix_autobound(s) : c->lacking;
	case SV_FN_PID:
	case SV_FN_COMM:
		return match_procs(n, c->procs, c->nprocs);
	case SV_FN_UID:
		return (s->has & SV_HAS_UID) && s->uid == n->val ? YES : NO;
	case SV_FN_INODE:
		return (s->has & SV_HAS_INODE) && s->inode == n->val64 ? YES
								       : NO;
	}
	return NO;
}

static bool state_in(unsigned state, uint32_t mask)
{
	if (state == SV_TCP_NEW_SYN_RECV)
		state = SV_TCP_SYN_RECV;
	return state < 32 && (mask & SV_SF(state));
}

static bool match(const struct sv_filter *f, const struct ectx *c)
{
	if (!f)
		return true;
	if (f->has_states && !state_in(c->s->state, f->states))
		return false;
	/* undecided here means decided by the kernel, which let it through */
	return !f->root || eval(f->root, c) != NO;
}

bool sv_filter_match(const struct sv_filter *f, const struct sv_sock *s,
		     const struct sv_proc_ref *procs, size_t nprocs)
{
	struct ectx c = {s, procs, nprocs, UNKNOWN};

	return match(f, &c);
}

/* No kernel ran the bytecode: a condition on a fact the record lacks
 * (a /proc/net/raw line has no mark) is simply false. */
bool sv_filter_match_unchecked(const struct sv_filter *f,
			       const struct sv_sock *s,
			       const struct sv_proc_ref *procs,
			       size_t nprocs)
{
	struct ectx c = {s, procs, nprocs, NO};

	return match(f, &c);
}

/* ---- Formatting ---- */

struct fmt {
	char *buf;
	size_t size, len;
};

__attribute__((format(printf, 2, 3))) static void put(struct fmt *o,
						      const char *f, ...)
{
	size_t room = o->len < o->size ? o->size - o->len : 0;
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(room ? o->buf + o->len : NULL, room, f, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

static void format_node(struct fmt *o, const struct sv_fnode *n)
{
	static const char *const cmps[] = {"=", "!=", "<", "<=", ">", ">="};
	const char *side = n->dst ? "dst" : "src";
	char a[INET6_ADDRSTRLEN];

	switch (n->type) {
	case SV_FN_TRUE:
		put(o, "true");
		break;
	case SV_FN_FALSE:
		put(o, "false");
		break;
	case SV_FN_AND:
	case SV_FN_OR:
		put(o, "(%s ", n->type == SV_FN_AND ? "and" : "or");
		format_node(o, n->l);
		put(o, " ");
		format_node(o, n->r);
		put(o, ")");
		break;
	case SV_FN_NOT:
		put(o, "(not ");
		format_node(o, n->l);
		put(o, ")");
		break;
	case SV_FN_HOST:
		if (n->family == AF_UNSPEC)
			snprintf(a, sizeof(a), "*");
		else
			inet_ntop(n->family, n->addr, a, sizeof(a));
		put(o, "%s %s%s%s%s/%u:", side,
		    !n->strict		       ? ""
		    : n->family == AF_INET ? "inet:"
					   : "inet6:",
		    n->family == AF_INET6 ? "[" : "", a,
		    n->family == AF_INET6 ? "]" : "", n->prefix_len);
		if (n->port < 0)
			put(o, "*");
		else
			put(o, "%d", n->port);
		break;
	case SV_FN_PATH:
		put(o, "%s unix:%s", side, n->str);
		break;
	case SV_FN_PORT:
		if (n->port < 0)
			put(o, "%cport %s *", n->dst ? 'd' : 's', cmps[n->cmp]);
		else
			put(o, "%cport %s %d", n->dst ? 'd' : 's',
			    cmps[n->cmp], n->port);
		break;
	case SV_FN_DEV:
		put(o, "dev %u", n->val);
		break;
	case SV_FN_MARK:
		put(o, "fwmark 0x%x/0x%x", n->val, n->mask);
		break;
	case SV_FN_CGROUP:
		put(o, "cgroup %llu", (unsigned long long)n->val64);
		break;
	case SV_FN_AUTOBOUND:
		put(o, "autobound");
		break;
	case SV_FN_PID:
		put(o, "pid %u", n->val);
		break;
	case SV_FN_COMM:
		put(o, "comm %s", n->str);
		break;
	case SV_FN_UID:
		put(o, "uid %u", n->val);
		break;
	case SV_FN_INODE:
		put(o, "inode %llu", (unsigned long long)n->val64);
		break;
	default:
		put(o, "?");
		break;
	}
}

size_t sv_filter_format(const struct sv_filter *f, char *buf, size_t size)
{
	struct fmt o = {buf, size, 0};

	if (size)
		buf[0] = '\0';
	if (f && f->root)
		format_node(&o, f->root);
	else
		put(&o, "true");
	return o.len;
}
