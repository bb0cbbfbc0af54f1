// SPDX-License-Identifier: MIT
/* The kernel's bytecode checker and interpreter, modelled: bcmodel.h. */
#include <errno.h>
#include <linux/inet_diag.h>
#include <string.h>
#include <sys/socket.h>

#include "bcmodel.h"

static struct inet_diag_bc_op model_op(const uint8_t *p)
{
	struct inet_diag_bc_op op;

	memcpy(&op, p, sizeof(op));
	return op;
}

/* Does a chain of yes steps from the start reach `left` bytes to go? */
static bool model_on_chain(const uint8_t *bc, int len, int left)
{
	int at = 0;

	while (len - at >= 0) {
		struct inet_diag_bc_op op;

		if (len - at == left)
			return true;
		if (len - at < left || len - at < 4)
			return false;
		op = model_op(bc + at);
		if (op.yes < 4 || op.yes % 4)
			return false;
		at += op.yes;
	}
	return false;
}

int bcmodel_audit(const uint8_t *bc, int len, bool net_admin)
{
	int at = 0;

	if (len < 4)
		return -EINVAL;
	while (at < len) {
		struct inet_diag_bc_op op = model_op(bc + at);
		int left = len - at, need = 4;

		switch (op.code) {
		case INET_DIAG_BC_S_COND:
		case INET_DIAG_BC_D_COND: {
			struct inet_diag_hostcond h;
			int alen;

			need += sizeof(h);
			if (left < need)
				return -EINVAL;
			memcpy(&h, bc + at + 4, sizeof(h));
			alen = h.family == AF_UNSPEC  ? 0
			       : h.family == AF_INET  ? 4
			       : h.family == AF_INET6 ? 16
						      : -1;
			if (alen < 0)
				return -EINVAL;
			need += alen;
			if (left < need || h.prefix_len > 8 * alen)
				return -EINVAL;
			break;
		}
		case INET_DIAG_BC_DEV_COND:
			need += 4;
			break;
		case INET_DIAG_BC_S_EQ:
		case INET_DIAG_BC_S_GE:
		case INET_DIAG_BC_S_LE:
		case INET_DIAG_BC_D_EQ:
		case INET_DIAG_BC_D_GE:
		case INET_DIAG_BC_D_LE:
			need += 4;
			break;
		case INET_DIAG_BC_MARK_COND:
			if (!net_admin)
				return -EPERM;
			need += 8;
			break;
		case INET_DIAG_BC_CGROUP_COND:
			need += 8;
			break;
		case INET_DIAG_BC_AUTO:
		case INET_DIAG_BC_JMP:
		case INET_DIAG_BC_NOP:
			break;
		default:
			return -EINVAL;
		}
		if (left < need)
			return -EINVAL;
		if (op.code != INET_DIAG_BC_NOP) {
			if (op.no < need || op.no > left + 4 || op.no % 4)
				return -EINVAL;
			if (op.no < left &&
			    !model_on_chain(bc, len, left - op.no))
				return -EINVAL;
		}
		if (op.yes < need || op.yes > left + 4 || op.yes % 4)
			return -EINVAL;
		at += op.yes;
	}
	return at == len ? 0 : -EINVAL;
}

static bool model_prefix(const uint8_t *a, const uint8_t *b, int bits)
{
	int i;

	for (i = 0; i < bits; i++) {
		int m = 0x80 >> (i % 8);

		if ((a[i / 8] & m) != (b[i / 8] & m))
			return false;
	}
	return true;
}

bool bcmodel_run(const uint8_t *bc, int len, const struct bcmodel_entry *e)
{
	static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
	int at = 0;

	while (at < len) {
		struct inet_diag_bc_op op = model_op(bc + at);
		bool yes = true;
		unsigned arg = 0;

		/* port tests keep their operand in a second op */
		if (op.code >= INET_DIAG_BC_S_GE &&
		    op.code <= INET_DIAG_BC_D_LE)
			arg = model_op(bc + at + 4).no;
		if (op.code == INET_DIAG_BC_S_EQ ||
		    op.code == INET_DIAG_BC_D_EQ)
			arg = model_op(bc + at + 4).no;

		switch (op.code) {
		case INET_DIAG_BC_JMP:
			yes = false;
			break;
		case INET_DIAG_BC_S_EQ:
			yes = e->sport == arg;
			break;
		case INET_DIAG_BC_S_GE:
			yes = e->sport >= arg;
			break;
		case INET_DIAG_BC_S_LE:
			yes = e->sport <= arg;
			break;
		case INET_DIAG_BC_D_EQ:
			yes = e->dport == arg;
			break;
		case INET_DIAG_BC_D_GE:
			yes = e->dport >= arg;
			break;
		case INET_DIAG_BC_D_LE:
			yes = e->dport <= arg;
			break;
		case INET_DIAG_BC_AUTO:
			yes = !e->bindport_lock;
			break;
		case INET_DIAG_BC_S_COND:
		case INET_DIAG_BC_D_COND: {
			bool src = op.code == INET_DIAG_BC_S_COND;
			const uint8_t *addr = src ? e->saddr : e->daddr;
			struct inet_diag_hostcond h;
			const uint8_t *want = bc + at + 4 + sizeof(h);

			memcpy(&h, bc + at + 4, sizeof(h));
			if (h.port != -1 &&
			    (unsigned)h.port != (src ? e->sport : e->dport))
				yes = false;
			else if (h.family != AF_UNSPEC && h.family != e->family)
				yes = e->family == AF_INET6 &&
				      h.family == AF_INET &&
				      !memcmp(addr, mapped, 12) &&
				      model_prefix(addr + 12, want,
						   h.prefix_len);
			else
				yes = model_prefix(addr, want, h.prefix_len);
			break;
		}
		case INET_DIAG_BC_DEV_COND: {
			uint32_t ifindex;

			memcpy(&ifindex, bc + at + 4, 4);
			yes = ifindex == e->ifindex;
			break;
		}
		case INET_DIAG_BC_MARK_COND: {
			struct inet_diag_markcond m;

			memcpy(&m, bc + at + 4, sizeof(m));
			yes = (e->mark & m.mask) == m.mark;
			break;
		}
		case INET_DIAG_BC_CGROUP_COND: {
			uint64_t id;

			memcpy(&id, bc + at + 4, 8);
			yes = id == e->cgroup_id;
			break;
		}
		}
		at += yes ? op.yes : op.no;
	}
	return at == len;
}

void bcmodel_entry_of(const struct sv_sock *s, struct bcmodel_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->family = s->family;
	memcpy(e->saddr, s->local.addr, 16);
	memcpy(e->daddr, s->peer.addr, 16);
	e->sport = s->local.port;
	e->dport = s->peer.port;
	e->ifindex = s->ifindex;
	e->mark = s->mark;
	e->cgroup_id = s->cgroup_id;
}
