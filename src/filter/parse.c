// SPDX-License-Identifier: MIT
/* The ss filter language: words -> tokens -> tree, host names resolved. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <uv.h>

#include "core/util.h"
#include "filter/filter.h"
#include "sys/links.h"

struct tok {
	char *s;
	unsigned pos; /* 1-based offset in the text */
	bool word;    /* false: parenthesis or operator */
	bool quoted;  /* a quoted word is never a keyword */
};

struct parser {
	struct tok *t;
	size_t n, i;
	struct sv_filter *f;
	struct sv_filter_error *err;
	struct sv_links *links;
	bool links_loaded;
	struct sv_fnode **names; /* SV_FN_HOSTNAME nodes to resolve */
	size_t nnames;
	unsigned depth;
};

/* The tree is walked recursively: bound its depth and size. */
#define MAX_DEPTH  200
#define MAX_TOKENS 20000

/*
 * Fills in the message; callers return -EINVAL themselves, visibly: a
 * static analyser does not follow a variadic call to learn its result.
 */
__attribute__((format(printf, 2, 3))) static void fail(struct parser *p,
						       const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(p->err->msg, sizeof(p->err->msg), "filter: ");
	va_start(ap, fmt);
	vsnprintf(p->err->msg + n, sizeof(p->err->msg) - (size_t)n, fmt, ap);
	va_end(ap);
}

/* ---- Tokens ---- */

static bool is_special(char c)
{
	return c && strchr("()!&|=<>\"'", c);
}

static int push_tok(struct parser *p, const char *s, size_t len, size_t off,
		    bool word, bool quoted)
{
	struct tok *t;

	if (p->n >= MAX_TOKENS) {
		fail(p, "expression too long at position %zu", off + 1);
		return -EINVAL;
	}
	if ((p->n & 15) == 0) {
		t = realloc(p->t, (p->n + 16) * sizeof(*t));
		if (!t)
			return -ENOMEM;
		p->t = t;
	}
	t = &p->t[p->n];
	t->s = strndup(s, len);
	if (!t->s)
		return -ENOMEM;
	t->pos = (unsigned)off + 1;
	t->word = word;
	t->quoted = quoted;
	p->n++;
	return 0;
}

static int tokenize(struct parser *p, const char *text)
{
	static const char *const two[] = {"&&", "||", "==", "!=", "<=", ">="};
	size_t i = 0, j, k;
	int err;

	while (text[i]) {
		char c = text[i];

		if (isspace((unsigned char)c)) {
			i++;
			continue;
		}
		/* -F files may carry comments */
		if (c == '#') {
			while (text[i] && text[i] != '\n')
				i++;
			continue;
		}
		if (c == '"' || c == '\'') {
			const char *q = strchr(text + i + 1, c);

			if (!q) {
				fail(p, "unterminated quote at position %zu",
				     i + 1);
				return -EINVAL;
			}
			err = push_tok(p, text + i + 1,
				       (size_t)(q - text) - i - 1, i, true,
				       true);
			if (err)
				return err;
			i = (size_t)(q - text) + 1;
			continue;
		}
		if (is_special(c)) {
			for (k = 0; k < sizeof(two) / sizeof(two[0]); k++)
				if (strncmp(text + i, two[k], 2) == 0)
					break;
			/* a single '&' or '|' is "and" or "or", as in ss */
			j = k < sizeof(two) / sizeof(two[0]) ? 2 : 1;
			err = push_tok(p, text + i, j, i, false, false);
			if (err)
				return err;
			i += j;
			continue;
		}
		for (j = i; text[j] && !isspace((unsigned char)text[j]) &&
			    !is_special(text[j]);
		     j++)
			;
		err = push_tok(p, text + i, j - i, i, true, false);
		if (err)
			return err;
		i = j;
	}
	return 0;
}

static struct tok *peek(struct parser *p)
{
	return p->i < p->n ? &p->t[p->i] : NULL;
}

/* The token just consumed, for messages about what follows it. */
static const struct tok *prev_tok(const struct parser *p)
{
	static char empty[] = "";
	static const struct tok none = {empty, 0, false, false};

	return p->i && p->t ? &p->t[p->i - 1] : &none;
}

/* Is the next token the keyword or operator kw (one of a ',' list)? */
static bool at(struct parser *p, const char *kw)
{
	struct tok *t = peek(p);
	size_t len;

	if (!t || t->quoted)
		return false;
	len = strlen(t->s);
	while (*kw) {
		const char *bar = strchr(kw, ',');
		size_t n = bar ? (size_t)(bar - kw) : strlen(kw);

		if (n == len && strncmp(kw, t->s, n) == 0)
			return true;
		kw += n + (bar != NULL);
	}
	return false;
}

/* The operand word after tokens like "src" or "dport =". */
static int operand(struct parser *p, const struct tok *kw, struct tok **out)
{
	struct tok *t = peek(p);

	if (!t) {
		fail(p, "missing value after '%.64s' at position %u", kw->s,
		     kw->pos);
		return -EINVAL;
	}
	if (!t->word) {
		fail(p, "unexpected '%s' at position %u", t->s, t->pos);
		return -EINVAL;
	}
	p->i++;
	*out = t;
	return 0;
}

/* ---- Values ---- */

/* The state groups `state` and `exclude` take besides state names. */
static const struct {
	const char *name;
	uint32_t mask;
	bool alias; /* ss's other spelling: not offered for completion */
} state_groups[] = {
	{"all", SV_STATES_ALL, false},
	/* as ss spells the groups: its usage text and parse_state() */
	{"connected",
	 SV_STATES_ALL & ~(SV_SF(SV_TCP_LISTEN) | SV_SF(SV_TCP_CLOSE)), false},
	{"synchronized",
	 SV_STATES_ALL & ~(SV_SF(SV_TCP_LISTEN) | SV_SF(SV_TCP_CLOSE) |
			   SV_SF(SV_TCP_SYN_SENT)), false},
	{"bucket", SV_SF(SV_TCP_SYN_RECV) | SV_SF(SV_TCP_NEW_SYN_RECV) |
			   SV_SF(SV_TCP_TIME_WAIT), false},
	{"big", SV_STATES_ALL & ~(SV_SF(SV_TCP_SYN_RECV) |
				  SV_SF(SV_TCP_NEW_SYN_RECV) |
				  SV_SF(SV_TCP_TIME_WAIT)), false},
	{"close", SV_SF(SV_TCP_CLOSE), true},
	{"unconnected", SV_SF(SV_TCP_CLOSE), true},
	{"syn-rcv", SV_SF(SV_TCP_SYN_RECV) | SV_SF(SV_TCP_NEW_SYN_RECV), true},
	{"listen", SV_SF(SV_TCP_LISTEN), true},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int state_mask(const char *w)
{
	char low[32];
	size_t i;
	int st;

	for (i = 0; i < sizeof(low) - 1 && w[i]; i++)
		low[i] = (char)tolower((unsigned char)w[i]);
	low[i] = '\0';
	for (i = 0; i < COUNT(state_groups); i++)
		if (strcmp(low, state_groups[i].name) == 0)
			return (int)state_groups[i].mask;
	st = sv_state_parse(low);
	if (st < 0)
		return -1;
	/* the kernel reports embryonic sockets as NEW_SYN_RECV */
	if (st == SV_TCP_SYN_RECV)
		return (int)(SV_SF(st) | SV_SF(SV_TCP_NEW_SYN_RECV));
	return (int)SV_SF(st);
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/*
 * "80", "0x50", "ssh", "*" or "" (-1, any).  Numbers are read as ss
 * reads them (strtol with base 0): hex with 0x, octal with a leading 0.
 */
static int parse_port(const char *s, int *port)
{
	struct servent *se;
	unsigned long v;
	char *end;

	if (!*s || strcmp(s, "*") == 0) {
		*port = -1;
		return 0;
	}
	if (isdigit((unsigned char)*s)) {
		errno = 0;
		v = strtoul(s, &end, 0);
		if (errno || *end || v > 65535)
			return -EINVAL;
		*port = (int)v;
		return 0;
	}
	se = getservbyname(s, "tcp");
	if (!se)
		se = getservbyname(s, "udp");
	if (!se)
		return -EINVAL;
	*port = ntohs((uint16_t)se->s_port);
	return 0;
}

static struct sv_fnode *new_node(struct parser *p, int type, unsigned pos)
{
	struct sv_fnode *n = sv_fnode_new(type, pos);

	if (!n)
		fail(p, "out of memory");
	return n;
}

static int add_name(struct parser *p, struct sv_fnode *n)
{
	struct sv_fnode **v;

	v = realloc(p->names, (p->nnames + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	v[p->nnames++] = n;
	p->names = v;
	return 0;
}

/*
 * An IPv4 address as iproute2 reads one (get_addr_ipv4() in its
 * lib/utils.c): one to four numbers, each strtoul() with base 0, the
 * missing ones zero.  So "10" is 10.0.0.0 and "127.1" is 127.1.0.0 (not
 * inet_aton()'s 127.0.0.1), "0x7f.1" is 127.1.0.0 and "010.1" 8.1.0.0.
 */
static int parse_ipv4(const char *s, uint8_t addr[4])
{
	unsigned long v;
	char *end;
	int i;

	memset(addr, 0, 4);
	for (i = 0; i < 4; i++) {
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		errno = 0;
		v = strtoul(s, &end, 0);
		if (errno || v > 255)
			return -EINVAL;
		addr[i] = (uint8_t)v;
		if (!*end)
			return 0;
		if (i == 3 || *end != '.')
			return -EINVAL;
		s = end + 1;
	}
	return -EINVAL;
}

/* "/24", "/0x18" or a contiguous netmask "/255.255.255.0", as ss takes
 * a prefix (iproute2's get_netmask()). */
static int parse_prefix_len(const char *s, unsigned max, unsigned *out)
{
	uint8_t m[4];
	uint32_t mask;
	unsigned long v;
	char *end;

	if (isdigit((unsigned char)*s)) {
		errno = 0;
		v = strtoul(s, &end, 0);
		if (!errno && !*end) {
			if (v > max)
				return -EINVAL;
			*out = (unsigned)v;
			return 0;
		}
	}
	if (parse_ipv4(s, m))
		return -EINVAL;
	mask = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 |
	       (uint32_t)m[2] << 8 | m[3];
	/* contiguous: the inverted mask plus one is a power of two */
	if ((~mask & (~mask + 1)) != 0)
		return -EINVAL;
	v = mask ? 32 - (unsigned)__builtin_ctz(mask) : 0;
	if (v > max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

/* Splits "ADDR[/PREFIX][:PORT]" or "[ADDR][/PREFIX][:PORT]" in place. */
static int split_addr(char *a, char **addr, char **plen, char **port)
{
	char *c;

	*addr = a;
	*plen = *port = NULL;
	if (a[0] == '[') {
		c = strchr(a, ']');
		if (!c)
			return -EINVAL;
		*c++ = '\0';
		*addr = a + 1;
		if (*c == '/') {
			*c++ = '\0';
			*plen = c;
			c = strchr(c, ':');
		}
		if (c && *c == ':') {
			*c = '\0';
			*port = c + 1;
		} else if (c && *c) {
			return -EINVAL;
		}
		/* "[2001:db8::/32]" */
		if (!*plen && (c = strchr(*addr, '/'))) {
			*c = '\0';
			*plen = c + 1;
		}
		return 0;
	}
	/* one colon: host and port ("10.0.0.1:" any port); more: a bare
	 * IPv6 address */
	if ((c = strchr(a, ':')) && !strchr(c + 1, ':')) {
		*c = '\0';
		*port = c + 1;
	}
	if ((c = strchr(a, '/'))) {
		*c = '\0';
		*plen = c + 1;
	}
	return 0;
}

/*
 * [family:]ADDR[/PREFIX][:PORT], "*" for any address, IPv6 (or IPv4) in
 * brackets, a path (/..., @abstract, unix:...) for UNIX sockets, or a
 * host name.  inet: and inet6: restrict the condition to that family.
 */
static int parse_addr(struct parser *p, const struct tok *t, bool dst,
		      struct sv_fnode **out)
{
	char buf[300], *a = buf, *port, *plen;
	int family = AF_UNSPEC;
	unsigned bits, v;
	struct sv_fnode *n;

	*out = NULL;
	if ((size_t)snprintf(buf, sizeof(buf), "%s", t->s) >= sizeof(buf))
		goto bad;
	if (strncmp(a, "unix:", 5) == 0 || a[0] == '/' || a[0] == '@') {
		n = new_node(p, SV_FN_PATH, t->pos);
		if (!n)
			return -ENOMEM;
		n->dst = dst;
		n->str = strdup(strncmp(a, "unix:", 5) ? a : a + 5);
		*out = n;
		return n->str ? 0 : -ENOMEM;
	}
	if (strncmp(a, "inet:", 5) == 0) {
		family = AF_INET;
		a += 5;
	} else if (strncmp(a, "inet6:", 6) == 0) {
		family = AF_INET6;
		a += 6;
	}
	if (split_addr(a, &a, &plen, &port))
		goto bad;

	n = new_node(p, SV_FN_HOST, t->pos);
	if (!n)
		return -ENOMEM;
	*out = n;
	n->dst = dst;
	n->port = -1;
	n->family = (uint8_t)family;
	n->strict = family != AF_UNSPEC;
	if (port && parse_port(port, &n->port)) {
		fail(p, "bad port '%.64s' at position %u", port, t->pos);
		return -EINVAL;
	}
	if (!*a || strcmp(a, "*") == 0) {
		if (plen)
			goto bad;
		return 0;
	}
	if (family != AF_INET6 && !strchr(a, ':') && parse_ipv4(a, n->addr) == 0) {
		n->family = AF_INET;
		bits = 32;
	} else if (family != AF_INET && inet_pton(AF_INET6, a, n->addr) == 1) {
		n->family = AF_INET6;
		bits = 128;
	} else {
		/* digits and dots that are no address are no host name
		 * either: getaddrinfo() would read "10.256" as inet_aton() */
		if (plen || strchr(a, ':') || !a[strspn(a, "0123456789.")])
			goto bad;
		n->type = SV_FN_HOSTNAME;
		n->str = strdup(a);
		if (!n->str)
			return -ENOMEM;
		return add_name(p, n);
	}
	n->prefix_len = (uint8_t)bits;
	if (plen) {
		if (parse_prefix_len(plen, bits, &v))
			goto bad;
		n->prefix_len = (uint8_t)v;
	}
	return 0;
bad:
	fail(p, "bad address '%.64s' at position %u", t->s, t->pos);
	return -EINVAL;
}

/* An optional "=" (or "==", "eq") or "!=" ("ne", "neq"): *neg for the
 * latter. */
static void opt_equal(struct parser *p, bool *neg)
{
	*neg = false;
	if (at(p, "=,==,eq")) {
		p->i++;
	} else if (at(p, "!=,ne,neq")) {
		*neg = true;
		p->i++;
	}
}

static int port_cond(struct parser *p, const struct tok *kw, bool dst,
		     struct sv_fnode **out)
{
	static const struct {
		const char *words;
		int cmp;
	} ops[] = {
		{"=,==,eq", SV_FCMP_EQ}, {"!=,ne,neq", SV_FCMP_NE},
		{"<,lt", SV_FCMP_LT},	 {"<=,le,leq", SV_FCMP_LE},
		{">,gt", SV_FCMP_GT},	 {">=,ge,geq", SV_FCMP_GE},
	};
	size_t i, before = p->i;
	struct sv_fnode *n;
	struct tok *t;
	const char *s;
	int cmp = SV_FCMP_EQ, err;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (at(p, ops[i].words)) {
			cmp = ops[i].cmp;
			p->i++;
			break;
		}
	}
	err = operand(p, p->i > before ? prev_tok(p) : kw, &t);
	if (err)
		return err;
	n = new_node(p, SV_FN_PORT, kw->pos);
	if (!n)
		return -ENOMEM;
	*out = n;
	n->dst = dst;
	n->cmp = (uint8_t)cmp;
	/* ss writes ports as host conditions: ":443", "*:443" */
	s = t->s;
	if (s[0] == '*' && s[1] == ':')
		s++;
	if (s[0] == ':')
		s++;
	/* "*": any port, which only = and != can ask about */
	if (parse_port(s, &n->port) ||
	    (n->port < 0 && cmp != SV_FCMP_EQ && cmp != SV_FCMP_NE)) {
		fail(p, "bad port '%.64s' at position %u", t->s, t->pos);
		return -EINVAL;
	}
	return 0;
}

static bool defer_devs;

void sv_filter_defer_devs(bool on)
{
	defer_devs = on;
}

static int dev_cond(struct parser *p, const struct tok *t, struct sv_fnode *n)
{
	uint64_t v;

	if (isdigit((unsigned char)t->s[0])) {
		if (sv_parse_u64(t->s, 1, UINT32_MAX, &v))
			goto bad;
		n->val = (uint32_t)v;
		return 0;
	}
	if (defer_devs) {
		/* a name of the capture's host: see sv_filter_resolve_devs */
		n->str = strdup(t->s);
		return n->str ? 0 : -ENOMEM;
	}
	if (!p->links_loaded) {
		p->links_loaded = true;
		if (sv_links_load(&p->links))
			p->links = NULL;
	}
	n->val = sv_links_index(p->links, t->s);
	if (n->val)
		return 0;
bad:
	fail(p, "no such device '%.64s' at position %u", t->s, t->pos);
	return -EINVAL;
}

static int resolve_devs(struct sv_fnode *n, struct sv_links *links,
			struct sv_filter_error *err)
{
	if (!n)
		return 0;
	if (n->type == SV_FN_DEV && n->str) {
		n->val = sv_links_index(links, n->str);
		if (!n->val) {
			snprintf(err->msg, sizeof(err->msg),
				 "filter: no device '%.64s' in the capture's "
				 "interface table",
				 n->str);
			return -EINVAL;
		}
		return 0;
	}
	if (resolve_devs(n->l, links, err))
		return -EINVAL;
	return resolve_devs(n->r, links, err);
}

int sv_filter_resolve_devs(struct sv_filter *f, struct sv_links *links,
			   struct sv_filter_error *err)
{
	return f ? resolve_devs(f->root, links, err) : 0;
}

static int mark_cond(struct parser *p, const struct tok *t, struct sv_fnode *n)
{
	char buf[64], *slash;
	uint64_t mark, mask = UINT32_MAX;

	if ((size_t)snprintf(buf, sizeof(buf), "%s", t->s) >= sizeof(buf))
		goto bad;
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (parse_u64(buf, UINT32_MAX, &mark) ||
	    (slash && parse_u64(slash, UINT32_MAX, &mask)))
		goto bad;
	n->val = (uint32_t)mark;
	n->mask = (uint32_t)mask;
	return 0;
bad:
	fail(p, "bad mark '%.64s' at position %u", t->s, t->pos);
	return -EINVAL;
}

/* Where the cgroup v2 hierarchy is mounted. */
static void cgroup2_root(char *buf, size_t size)
{
	char line[4096], mnt[4096];
	FILE *fp = fopen("/proc/self/mountinfo", "re");

	snprintf(buf, size, "/sys/fs/cgroup");
	if (!fp)
		return;
	while (fgets(line, sizeof(line), fp)) {
		const char *sep = strstr(line, " - cgroup2 ");

		if (sep && sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1) {
			snprintf(buf, size, "%s", mnt);
			break;
		}
	}
	fclose(fp);
}

/* The cgroup v2 id is the inode number of its directory. */
static int cgroup_cond(struct parser *p, const struct tok *t,
		       struct sv_fnode *n)
{
	char root[4096], path[8192];
	const char *rel = t->s;
	struct stat st;

	cgroup2_root(root, sizeof(root));
	while (*rel == '/')
		rel++;
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (stat(path, &st) != 0) {
		fail(p, "bad cgroup '%.64s' at position %u: %s", t->s, t->pos,
		     strerror(errno));
		return -EINVAL;
	}
	if (!S_ISDIR(st.st_mode)) {
		fail(p, "bad cgroup '%.64s' at position %u: %s", t->s, t->pos,
		     strerror(ENOTDIR));
		return -EINVAL;
	}
	n->val64 = st.st_ino;
	return 0;
}

static int number_cond(struct parser *p, const struct tok *t,
		       struct sv_fnode *n)
{
	struct passwd *pw;
	uint64_t v;

	if (sv_parse_u64(t->s, 0,
			 n->type == SV_FN_INODE ? UINT64_MAX : UINT32_MAX,
			 &v) == 0) {
		if (n->type == SV_FN_INODE)
			n->val64 = v;
		else
			n->val = (uint32_t)v;
		return 0;
	}
	if (n->type == SV_FN_UID && (pw = getpwnam(t->s))) {
		n->val = pw->pw_uid;
		return 0;
	}
	fail(p, "bad number '%.64s' at position %u", t->s, t->pos);
	return -EINVAL;
}

static struct sv_fnode *wrap(int type, struct sv_fnode *l, struct sv_fnode *r)
{
	struct sv_fnode *n = sv_fnode_new(type, l->pos);

	if (!n) {
		sv_fnode_free(l);
		sv_fnode_free(r);
		return NULL;
	}
	n->l = l;
	n->r = r;
	return n;
}

/* A condition that takes one value after an optional "=" or "!=". */
static int value_cond(struct parser *p, struct tok *kw, int type,
		      struct sv_fnode **out)
{
	struct sv_fnode *n = NULL;
	size_t before = p->i;
	struct tok *t;
	bool neg;
	int err;

	*out = NULL;
	opt_equal(p, &neg);
	err = operand(p, p->i > before ? prev_tok(p) : kw, &t);
	if (err)
		return err;
	if (type == SV_FN_HOST)
		err = parse_addr(p, t, strcmp(kw->s, "dst") == 0, &n);
	else if (!(n = new_node(p, type, kw->pos)))
		err = -ENOMEM;
	if (err) {
		*out = n;
		return err;
	}
	switch (type) {
	case SV_FN_DEV:
		err = dev_cond(p, t, n);
		break;
	case SV_FN_MARK:
		err = mark_cond(p, t, n);
		break;
	case SV_FN_CGROUP:
		err = cgroup_cond(p, t, n);
		break;
	case SV_FN_COMM:
		n->str = strdup(t->s);
		err = n->str ? 0 : -ENOMEM;
		break;
	case SV_FN_PID:
	case SV_FN_UID:
	case SV_FN_INODE:
		err = number_cond(p, t, n);
		break;
	}
	if (!err && neg) {
		n = wrap(SV_FN_NOT, n, NULL);
		if (!n)
			err = -ENOMEM;
	}
	*out = n;
	return err;
}

/* ---- The words of the language ---- */

/* What a keyword starts: a value condition (SV_FN_*) or one of these. */
enum { KW_STATE = -1, KW_EXCLUDE = -2, KW_PORT = -3, KW_AUTOBOUND = -4 };

static const struct {
	const char *word;
	int kind;   /* SV_FN_* or KW_* */
	bool alias; /* ss's other spelling: not offered for completion */
} keywords[] = {
	{"state", KW_STATE, false},
	{"exclude", KW_EXCLUDE, false},
	{"excl", KW_EXCLUDE, true},
	{"dst", SV_FN_HOST, false},
	{"src", SV_FN_HOST, false},
	{"dport", KW_PORT, false},
	{"sport", KW_PORT, false},
	{"dev", SV_FN_DEV, false},
	{"fwmark", SV_FN_MARK, false},
	{"cgroup", SV_FN_CGROUP, false},
	{"autobound", KW_AUTOBOUND, false},
	{"pid", SV_FN_PID, false},
	{"comm", SV_FN_COMM, false},
	{"uid", SV_FN_UID, false},
	{"inode", SV_FN_INODE, false},
};

enum { CONN_AND, CONN_OR, CONN_NOT };

/* The connectives: a word, and every spelling at() accepts. */
static const struct {
	const char *word;
	const char *spellings;
} connectives[] = {
	[CONN_AND] = {"and", "and,&&,&"},
	[CONN_OR] = {"or", "or,||,|"},
	[CONN_NOT] = {"not", "not,!"},
};

const char *sv_filter_keyword(size_t i)
{
	size_t k;

	for (k = 0; k < COUNT(keywords); k++)
		if (!keywords[k].alias && i-- == 0)
			return keywords[k].word;
	return i < COUNT(connectives) ? connectives[i].word : NULL;
}

const char *sv_filter_state_word(size_t i)
{
	unsigned st;
	size_t k;

	/* a state's JSON name, once (syn-recv names two kernel states) */
	for (st = 0; st < SV_TCP_MAX_STATES; st++)
		if (sv_state_parse(sv_state_name(st)) == (int)st && i-- == 0)
			return sv_state_name(st);
	for (k = 0; k < COUNT(state_groups); k++)
		if (!state_groups[k].alias && i-- == 0)
			return state_groups[k].name;
	return NULL;
}

static int parse_or(struct parser *p, struct sv_fnode **out);

/* A state or exclude condition: it narrows the dumps. */
static int state_cond(struct parser *p, struct tok *t, bool exclude,
		      struct sv_fnode **out)
{
	struct tok *v;
	int err, mask;

	err = operand(p, t, &v);
	if (err)
		return err;
	mask = state_mask(v->s);
	if (mask < 0) {
		fail(p, "unknown state '%.64s' at position %u", v->s, v->pos);
		return -EINVAL;
	}
	if (!exclude) {
		if (!p->f->has_states)
			p->f->states = 0;
		p->f->states |= (uint32_t)mask;
	} else {
		if (!p->f->has_states)
			p->f->states = SV_STATES_ALL;
		p->f->states &= ~(uint32_t)mask;
	}
	p->f->has_states = true;
	/* a marked "true": state selects dumps, it is no test */
	*out = new_node(p, SV_FN_TRUE, t->pos);
	if (*out)
		(*out)->val = 1;
	return *out ? 0 : -ENOMEM;
}

static int parse_primary(struct parser *p, struct sv_fnode **out)
{
	struct tok *t = peek(p);
	int err;
	size_t i;

	*out = NULL;
	if (!t) {
		fail(p,
		     "unexpected end of expression after '%.64s' "
		     "at position %u",
		     prev_tok(p)->s, prev_tok(p)->pos);
		return -EINVAL;
	}
	p->i++;
	if (!t->quoted && strcmp(t->s, "(") == 0) {
		if (++p->depth > MAX_DEPTH) {
			fail(p, "too deeply nested at position %u", t->pos);
			return -EINVAL;
		}
		err = parse_or(p, out);
		p->depth--;
		if (err)
			return err;
		if (!at(p, ")")) {
			fail(p, "missing ')' for '(' at position %u", t->pos);
			return -EINVAL;
		}
		p->i++;
		return 0;
	}
	if (!t->word || t->quoted)
		goto unexpected;
	for (i = 0; i < COUNT(keywords); i++)
		if (strcmp(t->s, keywords[i].word) == 0)
			break;
	if (i == COUNT(keywords)) {
		fail(p, "unknown word '%.64s' at position %u", t->s, t->pos);
		return -EINVAL;
	}
	switch (keywords[i].kind) {
	case KW_PORT:
		return port_cond(p, t, t->s[0] == 'd', out);
	case KW_AUTOBOUND:
		*out = new_node(p, SV_FN_AUTOBOUND, t->pos);
		return *out ? 0 : -ENOMEM;
	case KW_STATE:
	case KW_EXCLUDE:
		return state_cond(p, t, keywords[i].kind == KW_EXCLUDE, out);
	default:
		return value_cond(p, t, keywords[i].kind, out);
	}
unexpected:
	fail(p, "unexpected '%.64s' at position %u", t->s, t->pos);
	return -EINVAL;
}

static int parse_unary(struct parser *p, struct sv_fnode **out)
{
	struct sv_fnode *c;
	int err;

	*out = NULL;
	if (at(p, connectives[CONN_NOT].spellings)) {
		if (++p->depth > MAX_DEPTH) {
			fail(p, "too deeply nested at position %u",
			     p->t[p->i].pos);
			return -EINVAL;
		}
		p->i++;
		err = parse_unary(p, &c);
		p->depth--;
		if (err) {
			*out = c;
			return err;
		}
		*out = wrap(SV_FN_NOT, c, NULL);
		return *out ? 0 : -ENOMEM;
	}
	return parse_primary(p, out);
}

static int parse_and(struct parser *p, struct sv_fnode **out)
{
	struct sv_fnode *l, *r;
	int err;

	err = parse_unary(p, &l);
	while (!err) {
		if (at(p, connectives[CONN_AND].spellings))
			p->i++;
		else if (!peek(p) || at(p, ")") ||
			 at(p, connectives[CONN_OR].spellings))
			break;
		/* two conditions side by side: an implicit "and" */
		err = parse_unary(p, &r);
		if (err) {
			sv_fnode_free(r);
			break;
		}
		l = wrap(SV_FN_AND, l, r);
		if (!l)
			err = -ENOMEM;
	}
	*out = l;
	return err;
}

static int parse_or(struct parser *p, struct sv_fnode **out)
{
	struct sv_fnode *l, *r;
	int err;

	err = parse_and(p, &l);
	while (!err && at(p, connectives[CONN_OR].spellings)) {
		p->i++;
		err = parse_and(p, &r);
		if (err) {
			sv_fnode_free(r);
			break;
		}
		l = wrap(SV_FN_OR, l, r);
		if (!l)
			err = -ENOMEM;
	}
	*out = l;
	return err;
}

/* `state` narrows the dumps; under `or` or `not` it would mean a test. */
static int check_states(struct parser *p, struct sv_fnode *n, bool under)
{
	if (!n)
		return 0;
	if (n->type == SV_FN_TRUE && n->val && under) {
		fail(p,
		     "'state' cannot be used under 'or' or 'not' "
		     "at position %u",
		     n->pos);
		return -EINVAL;
	}
	if (n->type == SV_FN_AND)
		return check_states(p, n->l, under)
			       ?: check_states(p, n->r, under);
	if (n->type == SV_FN_OR || n->type == SV_FN_NOT)
		return check_states(p, n->l, true)
			       ?: check_states(p, n->r, true);
	return 0;
}

/* Drops the "true" left by state clauses from the and-chains. */
static struct sv_fnode *drop_true(struct sv_fnode *n)
{
	struct sv_fnode *keep;

	if (!n || n->type != SV_FN_AND)
		return n;
	n->l = drop_true(n->l);
	n->r = drop_true(n->r);
	if (n->l->type != SV_FN_TRUE && n->r->type != SV_FN_TRUE)
		return n;
	keep = n->l->type == SV_FN_TRUE ? n->r : n->l;
	if (keep == n->l)
		n->l = NULL;
	else
		n->r = NULL;
	sv_fnode_free(n);
	return keep;
}

/* ---- Host names, on the libuv threadpool all at once ---- */

struct lookup {
	uv_getaddrinfo_t req;
	struct addrinfo *res;
	int status;
};

static void lookup_done(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct lookup *l = (struct lookup *)req;

	l->status = status;
	l->res = res;
}

/* Turns a HOSTNAME node into the HOST (or an OR of HOSTs) it names. */
static int expand_name(struct sv_fnode *n, const struct addrinfo *res)
{
	struct sv_fnode *alt = NULL, *h, *o;
	const struct addrinfo *ai;

	for (ai = res; ai; ai = ai->ai_next) {
		uint8_t addr[16] = {0};
		int fam = ai->ai_family;
		bool dup = false;

		if (fam == AF_INET)
			memcpy(addr,
			       &((struct sockaddr_in *)ai->ai_addr)->sin_addr,
			       4);
		else if (fam == AF_INET6)
			memcpy(addr,
			       &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr,
			       16);
		else
			continue;
		for (o = alt; o && !dup;
		     o = o->type == SV_FN_OR ? o->r : NULL) {
			h = o->type == SV_FN_OR ? o->l : o;
			dup = h->family == fam && !memcmp(h->addr, addr, 16);
		}
		if (dup)
			continue;
		h = sv_fnode_new(SV_FN_HOST, n->pos);
		if (!h) {
			sv_fnode_free(alt);
			return -ENOMEM;
		}
		h->dst = n->dst;
		h->strict = n->strict;
		h->port = n->port;
		h->family = (uint8_t)fam;
		h->prefix_len = fam == AF_INET ? 32 : 128;
		memcpy(h->addr, addr, 16);
		if (alt) {
			o = wrap(SV_FN_OR, h, alt);
			if (!o)
				return -ENOMEM;
			alt = o;
		} else {
			alt = h;
		}
	}
	if (!alt)
		return -ENOENT;
	free(n->str);
	*n = *alt;
	free(alt);
	return 0;
}

static sv_filter_lookup_fn lookup_hook;

void sv_filter_set_lookup(sv_filter_lookup_fn fn)
{
	lookup_hook = fn;
}

/* The installed lookup, one name after another: it answers locally. */
static void lookup_with_hook(struct parser *p, struct lookup *l)
{
	size_t i;

	for (i = 0; i < p->nnames; i++) {
		struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
					 .ai_family = p->names[i]->family};

		l[i].res = NULL;
		if (lookup_hook(p->names[i]->str, &hints, &l[i].res))
			l[i].status = UV_EAI_NONAME;
	}
}

static int lookup_with_uv(struct parser *p, struct lookup *l)
{
	uv_loop_t loop;
	size_t i;

	/* a private loop: the caller's default loop may hold live handles;
	 * the work still runs on libuv's shared threadpool */
	if (uv_loop_init(&loop))
		return -ENOMEM;
	for (i = 0; i < p->nnames; i++) {
		struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
					 .ai_family = p->names[i]->family};

		l[i].status = uv_getaddrinfo(&loop, &l[i].req, lookup_done,
					     p->names[i]->str, NULL, &hints);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return 0;
}

static int resolve_names(struct parser *p)
{
	struct lookup *l;
	size_t i;
	int err = 0;

	if (!p->nnames)
		return 0;
	l = calloc(p->nnames, sizeof(*l));
	if (!l)
		return -ENOMEM;
	if (lookup_hook) {
		lookup_with_hook(p, l);
	} else if (lookup_with_uv(p, l)) {
		free(l);
		return -ENOMEM;
	}
	for (i = 0; i < p->nnames; i++) {
		struct sv_fnode *n = p->names[i];
		int e = l[i].status;

		if (!err && !e) {
			e = expand_name(n, l[i].res);
			if (e == -ENOMEM)
				err = e;
			else if (e)
				e = UV_EAI_NONAME;
		}
		if (!err && e) {
			fail(p, "cannot resolve '%.64s' at position %u: %s",
			     n->str, n->pos, uv_strerror(e));
			err = -EINVAL;
		}
		uv_freeaddrinfo(l[i].res);
	}
	free(l);
	return err;
}

/* ---- Entry points ---- */

static int parse_text(const char *text, struct sv_filter **out,
		      struct sv_filter_error *err)
{
	struct parser p = {.err = err};
	struct sv_fnode *root = NULL;
	size_t i;
	int ret;

	*out = NULL;
	err->msg[0] = '\0';
	p.f = calloc(1, sizeof(*p.f));
	if (!p.f)
		return -ENOMEM;
	ret = tokenize(&p, text);
	if (!ret && p.n) {
		ret = parse_or(&p, &root);
		if (!ret && p.i < p.n) {
			fail(&p, "unexpected '%.64s' at position %u",
			     p.t[p.i].s, p.t[p.i].pos);
			ret = -EINVAL;
		}
	}
	if (!ret)
		ret = check_states(&p, root, false);
	if (!ret)
		ret = resolve_names(&p);
	if (!ret) {
		root = drop_true(root);
		if (root && root->type == SV_FN_TRUE) {
			sv_fnode_free(root);
			root = NULL;
		}
		p.f->root = root;
		*out = p.f;
	} else {
		sv_fnode_free(root);
		free(p.f);
		if (ret == -ENOMEM)
			snprintf(err->msg, sizeof(err->msg),
				 "filter: out of memory");
	}
	for (i = 0; i < p.n; i++)
		free(p.t[i].s);
	free(p.t);
	free(p.names);
	sv_links_free(p.links);
	return ret;
}

int sv_filter_parse_string(const char *text, struct sv_filter **out,
			   struct sv_filter_error *err)
{
	return parse_text(text, out, err);
}

int sv_filter_parse_argv(int argc, char **argv, struct sv_filter **out,
			 struct sv_filter_error *err)
{
	size_t len = 1, off = 0;
	char *text;
	int i, ret;

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	text = malloc(len);
	if (!text) {
		snprintf(err->msg, sizeof(err->msg), "filter: out of memory");
		return -ENOMEM;
	}
	text[0] = '\0';
	/* positions in messages count in this joined text */
	for (i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);

		memcpy(text + off, argv[i], n);
		off += n;
		text[off++] = i + 1 < argc ? ' ' : '\0';
	}
	if (!argc)
		text[0] = '\0';
	ret = parse_text(text, out, err);
	free(text);
	return ret;
}
