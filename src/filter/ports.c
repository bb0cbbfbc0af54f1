// SPDX-License-Identifier: MIT
/* Watch's kernel filter: the local ports of one process's inet sockets. */
#include <errno.h>
#include <linux/inet_diag.h>
#include <stdlib.h>
#include <string.h>

#include "filter/filter.h"

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static void put_op(uint8_t *p, uint8_t code, uint8_t yes, uint16_t no)
{
	struct inet_diag_bc_op op = { code, yes, no };

	memcpy(p, &op, sizeof(op));
}

/* Sorted ports to [lo, hi] ranges, at most max of them; returns count. */
static size_t ranges(const uint16_t *ports, size_t n, size_t max,
		     uint16_t *lo, uint16_t *hi)
{
	size_t nr = 0, i;

	for (i = 0; i < n; i++) {
		if (nr && ports[i] <= hi[nr - 1] + 1) {
			hi[nr - 1] = ports[i];
			continue;
		}
		if (nr == max) {
			/* over-approximate: widen the last range */
			hi[nr - 1] = ports[i];
			continue;
		}
		lo[nr] = hi[nr] = ports[i];
		nr++;
	}
	if (!nr) {
		/* no port: a range nothing is in */
		lo[0] = 1;
		hi[0] = 0;
		nr = 1;
	}
	return nr;
}

/*
 * Each range but the last: [S_GE lo][S_LE hi][JMP to the end]; a failed
 * test jumps to the next range, the last range's to past the end
 * (reject).  The kernel's audit follows the "yes" offsets, so those run
 * straight through every op, and JMP (always taking "no") does the
 * accepting jump.
 */
int sv_filter_port_ranges(const uint16_t *ports, size_t n,
			  size_t max_ranges, uint8_t **bc, size_t *len)
{
	uint16_t *sorted, *lo, *hi;
	size_t nr, i, total, off = 0;
	uint8_t *p;

	*bc = NULL;
	*len = 0;
	if (max_ranges < 1 || max_ranges > SV_FILTER_PORT_RANGES_MAX)
		max_ranges = SV_FILTER_PORT_RANGES_MAX;
	sorted = malloc((n + 1) * sizeof(*sorted));
	lo = malloc(max_ranges * sizeof(*lo));
	hi = malloc(max_ranges * sizeof(*hi));
	if (!sorted || !lo || !hi)
		goto nomem;
	if (n)
		memcpy(sorted, ports, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_u16);
	nr = ranges(sorted, n, max_ranges, lo, hi);
	/* ranges() gives at least one: 20 bytes each, the last 16 */
	total = 16 + 20 * (nr - 1);
	p = malloc(total);
	if (!p)
		goto nomem;
	for (i = 0; i < nr; i++) {
		size_t rest = total - off;
		bool last = i + 1 == nr;
		size_t next = last ? rest + 4 : 20;

		put_op(p + off, INET_DIAG_BC_S_GE, 8, (uint16_t)next);
		put_op(p + off + 4, INET_DIAG_BC_NOP, 0, lo[i]);
		put_op(p + off + 8, INET_DIAG_BC_S_LE, 8, (uint16_t)(next - 8));
		put_op(p + off + 12, INET_DIAG_BC_NOP, 0, hi[i]);
		if (!last)
			put_op(p + off + 16, INET_DIAG_BC_JMP, 4,
			       (uint16_t)(rest - 16));
		off += last ? 16 : 20;
	}
	free(sorted);
	free(lo);
	free(hi);
	*bc = p;
	*len = total;
	return 0;
nomem:
	free(sorted);
	free(lo);
	free(hi);
	return -ENOMEM;
}
