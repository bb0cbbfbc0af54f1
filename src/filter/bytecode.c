// SPDX-License-Identifier: MIT
/*
 * The filter tree -> sock_diag bytecode (INET_DIAG_REQ_BYTECODE).
 *
 * Every op is a conditional jump forward: on success to op + yes, on
 * failure to op + no.  Running off the end accepts the socket; jumping
 * 4 bytes past it rejects.  inet_diag_bc_audit() wants every yes to be
 * the op's own length (the chain of yes offsets must end exactly at the
 * end) and every no to land on an op of that chain, on the end, or 4
 * past the end.  Each fragment compiled here keeps that shape: its
 * "false" exits jump to its end + 4, its "true" exits reach its end.
 */
#include <errno.h>
#include <linux/inet_diag.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "filter/filter.h"
#include "sys/diag.h"

/* What one INET_DIAG_REQ_BYTECODE attribute holds. */
#define BC_MAX SV_DIAG_BYTECODE_MAX

enum { K_CODE = -1, K_NO = 0, K_YES = 1 };

struct frag {
	uint8_t *p;
	size_t len;
	int k; /* K_CODE, or the constant the fragment folded to */
};

struct bc_ctx {
	int family;
	bool exact;
	int err; /* -ENOMEM, or -E2BIG for a program too long to send */
};

static void frag_free(struct frag *f)
{
	free(f->p);
	f->p = NULL;
	f->len = 0;
}

static struct frag konst(int k)
{
	struct frag f = {NULL, 0, k};

	return f;
}

static struct inet_diag_bc_op *op_at(const struct frag *f, size_t off)
{
	return (struct inet_diag_bc_op *)(f->p + off);
}

/* One op and its argument; failure jumps just past the end. */
static struct frag emit(struct bc_ctx *c, uint8_t code, const void *arg,
			size_t alen)
{
	struct frag f = {NULL, sizeof(struct inet_diag_bc_op) + alen, K_CODE};
	struct inet_diag_bc_op *op;

	f.p = calloc(1, f.len);
	if (!f.p) {
		c->err = -ENOMEM;
		return konst(K_YES);
	}
	op = op_at(&f, 0);
	op->code = code;
	op->yes = (unsigned char)f.len;
	op->no = (unsigned short)(f.len + 4);
	if (alen)
		memcpy(f.p + sizeof(*op), arg, alen);
	return f;
}

static int join(struct bc_ctx *c, struct frag *a, const void *mid, size_t mlen,
		struct frag *b, struct frag *out)
{
	size_t len = a->len + mlen + b->len;
	uint8_t *p;

	if (len > BC_MAX) {
		c->err = c->err ?: -E2BIG;
		return -1;
	}
	p = malloc(len);
	if (!p) {
		c->err = -ENOMEM;
		return -1;
	}
	memcpy(p, a->p, a->len);
	if (mlen)
		memcpy(p + a->len, mid, mlen);
	if (b->len)
		memcpy(p + a->len + mlen, b->p, b->len);
	out->p = p;
	out->len = len;
	out->k = K_CODE;
	return 0;
}

static struct frag fail_frag(struct frag *a, struct frag *b)
{
	frag_free(a);
	frag_free(b);
	return konst(K_YES);
}

/* a and b: a's failures now skip b as well. */
static struct frag and_frag(struct bc_ctx *c, struct frag a, struct frag b)
{
	struct frag out;
	size_t off;

	if (c->err)
		return fail_frag(&a, &b);
	if (a.k == K_NO || b.k == K_NO) {
		frag_free(&a);
		frag_free(&b);
		return konst(K_NO);
	}
	if (a.k == K_YES)
		return b;
	if (b.k == K_YES)
		return a;
	for (off = 0; off < a.len; off += op_at(&a, off)->yes) {
		struct inet_diag_bc_op *op = op_at(&a, off);

		if (off + op->no == a.len + 4)
			op->no = (unsigned short)(op->no + b.len);
	}
	if (join(c, &a, NULL, 0, &b, &out))
		return fail_frag(&a, &b);
	frag_free(&a);
	frag_free(&b);
	return out;
}

/* a or b: a's failures land on b; a's success takes a jump over b. */
static struct frag or_frag(struct bc_ctx *c, struct frag a, struct frag b)
{
	struct inet_diag_bc_op jmp = {INET_DIAG_BC_JMP, 4, 0};
	struct frag out;

	if (c->err)
		return fail_frag(&a, &b);
	if (a.k == K_YES || b.k == K_YES) {
		frag_free(&a);
		frag_free(&b);
		return konst(K_YES);
	}
	if (a.k == K_NO)
		return b;
	if (b.k == K_NO)
		return a;
	jmp.no = (unsigned short)(4 + b.len);
	if (join(c, &a, &jmp, sizeof(jmp), &b, &out))
		return fail_frag(&a, &b);
	frag_free(&a);
	frag_free(&b);
	return out;
}

/* not a: a's success meets a jump to failure; its failures land on
 * the end, which is success. */
static struct frag not_frag(struct bc_ctx *c, struct frag a)
{
	struct inet_diag_bc_op jmp = {INET_DIAG_BC_JMP, 4, 8};
	struct frag none = konst(K_YES), out;

	if (c->err)
		return fail_frag(&a, &none);
	if (a.k != K_CODE)
		return konst(!a.k);
	if (join(c, &a, &jmp, sizeof(jmp), &none, &out))
		return fail_frag(&a, &none);
	frag_free(&a);
	return out;
}

static struct frag host_frag(struct bc_ctx *c, const struct sv_fnode *n)
{
	/* a hostcond and its address: the struct ends in a flexible array,
	 * so the two are put side by side in bytes */
	uint8_t arg[sizeof(struct inet_diag_hostcond) + 16];
	struct inet_diag_hostcond h;
	size_t alen = n->family == AF_INET ? 4 : n->family == AF_INET6 ? 16 : 0;

	/* the kernel matches IPv4 conditions on v4-mapped IPv6 sockets,
	 * never IPv6 conditions on IPv4 sockets */
	if (n->family == AF_INET6 && c->family == AF_INET)
		return konst(K_NO);
	/* inet: and inet6: leave the other family's sockets out, v4-mapped
	 * ones too */
	if (n->strict && n->family != c->family)
		return konst(K_NO);
	if (n->port == -1 && (n->family == AF_UNSPEC ||
			      (n->family == c->family && n->prefix_len == 0)))
		return konst(K_YES);
	memset(&h, 0, sizeof(h));
	h.family = n->family;
	h.prefix_len = n->prefix_len;
	h.port = n->port;
	memcpy(arg, &h, sizeof(h));
	memcpy(arg + sizeof(h), n->addr, alen);
	return emit(c, n->dst ? INET_DIAG_BC_D_COND : INET_DIAG_BC_S_COND, arg,
		    sizeof(h) + alen);
}

/* Port tests carry the port in the no field of a second op. */
static struct frag port_op(struct bc_ctx *c, bool dst, int cmp, int port)
{
	struct inet_diag_bc_op arg = {0, 0, (unsigned short)port};
	uint8_t code;

	switch (cmp) {
	case SV_FCMP_LT:
		if (port == 0)
			return konst(K_NO);
		arg.no = (unsigned short)(port - 1);
		code = dst ? INET_DIAG_BC_D_LE : INET_DIAG_BC_S_LE;
		break;
	case SV_FCMP_LE:
		code = dst ? INET_DIAG_BC_D_LE : INET_DIAG_BC_S_LE;
		break;
	case SV_FCMP_GT:
		if (port == 65535)
			return konst(K_NO);
		arg.no = (unsigned short)(port + 1);
		code = dst ? INET_DIAG_BC_D_GE : INET_DIAG_BC_S_GE;
		break;
	case SV_FCMP_GE:
		code = dst ? INET_DIAG_BC_D_GE : INET_DIAG_BC_S_GE;
		break;
	default:
		code = dst ? INET_DIAG_BC_D_EQ : INET_DIAG_BC_S_EQ;
		break;
	}
	return emit(c, code, &arg, sizeof(arg));
}

static struct frag compile(struct bc_ctx *c, const struct sv_fnode *n, int sup);

/* "a or b or c ..." leans left as deep as it is long: walk its spine in
 * a loop so that only parentheses and "not" cost stack. */
static struct frag compile_chain(struct bc_ctx *c, const struct sv_fnode *n,
				 int sup)
{
	const struct sv_fnode *m, **spine;
	size_t k = 0, i;
	struct frag f;

	for (m = n; m->type == n->type; m = m->l)
		k++;
	spine = malloc(k * sizeof(*spine));
	if (!spine) {
		c->err = -ENOMEM;
		return konst(K_YES);
	}
	for (m = n, i = 0; i < k; m = m->l)
		spine[i++] = m;
	f = compile(c, m, sup);
	while (i--) {
		struct frag r = compile(c, spine[i]->r, sup);

		f = n->type == SV_FN_AND ? and_frag(c, f, r) : or_frag(c, f, r);
	}
	free(spine);
	return f;
}

/* sup: the constant standing for what only user space can decide, so
 * that the program accepts a superset of the true answer. */
static struct frag compile(struct bc_ctx *c, const struct sv_fnode *n, int sup)
{
	struct inet_diag_markcond mc;
	struct frag f;

	switch (n->type) {
	case SV_FN_TRUE:
		return konst(K_YES);
	case SV_FN_FALSE:
		return konst(K_NO);
	case SV_FN_AND:
	case SV_FN_OR:
		return compile_chain(c, n, sup);
	case SV_FN_NOT:
		return not_frag(c, compile(c, n->l, !sup));
	case SV_FN_HOST:
		return host_frag(c, n);
	case SV_FN_PATH:
		return konst(K_NO); /* UNIX names never meet inet sockets */
	case SV_FN_PORT:
		/* "*": every inet socket has a port */
		if (n->port < 0)
			return konst(n->cmp == SV_FCMP_NE ? K_NO : K_YES);
		f = port_op(c, n->dst, n->cmp, n->port);
		return n->cmp == SV_FCMP_NE ? not_frag(c, f) : f;
	case SV_FN_DEV:
		return emit(c, INET_DIAG_BC_DEV_COND, &n->val, sizeof(n->val));
	case SV_FN_MARK:
		mc.mark = n->val;
		mc.mask = n->mask;
		return emit(c, INET_DIAG_BC_MARK_COND, &mc, sizeof(mc));
	case SV_FN_CGROUP:
		return emit(c, INET_DIAG_BC_CGROUP_COND, &n->val64,
			    sizeof(n->val64));
	case SV_FN_AUTOBOUND:
		return emit(c, INET_DIAG_BC_AUTO, NULL, 0);
	}
	/* pid, comm, uid, inode: not in the kernel's view of a socket */
	c->exact = false;
	return konst(sup);
}

int sv_filter_bytecode(const struct sv_filter *f, int family, void **bc,
		       size_t *len, bool *exact)
{
	struct bc_ctx c = {.family = family, .exact = true};
	struct frag r;

	*bc = NULL;
	*len = 0;
	*exact = true;
	if (!f || !f->root)
		return 0;
	r = compile(&c, f->root, K_YES);
	if (c.err) {
		frag_free(&r);
		if (c.err == -ENOMEM)
			return -ENOMEM;
		/* too long to send: user space does all of it */
		*exact = false;
		return 0;
	}
	if (r.k == K_YES) {
		*exact = c.exact;
		return 0;
	}
	if (r.k == K_NO) {
		/* a superset that is empty is exact: one jump to reject */
		struct inet_diag_bc_op jmp = {INET_DIAG_BC_JMP, 4, 8};

		r.len = sizeof(jmp);
		r.p = malloc(r.len); /* program text: bytes */
		if (!r.p)
			return -ENOMEM;
		memcpy(r.p, &jmp, sizeof(jmp));
		c.exact = true;
	}
	*bc = r.p;
	*len = r.len;
	*exact = c.exact;
	return 0;
}
