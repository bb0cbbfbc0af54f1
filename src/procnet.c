// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "procnet.h"

/* /proc prints each 32-bit word of an address in host byte order. */
static int parse_addr(const char *hex, size_t words, uint8_t *out)
{
	size_t i;

	for (i = 0; i < words; i++) {
		char w[9];
		uint32_t v;
		char *end;

		memcpy(w, hex + 8 * i, 8);
		w[8] = '\0';
		v = (uint32_t)strtoul(w, &end, 16);
		if (*end)
			return -EINVAL;
		memcpy(out + 4 * i, &v, 4);
	}
	return 0;
}

int sv_procnet_raw_parse(const char *line, int family, struct sv_sock *s)
{
	char laddr[33], raddr[33];
	unsigned lport, rport, state, uid;
	unsigned long long inode, drops;
	unsigned long txq, rxq;
	size_t words = family == AF_INET ? 1 : 4;
	int n;

	n = sscanf(line,
		   " %*u: %32[0-9A-Fa-f]:%x %32[0-9A-Fa-f]:%x %x %lx:%lx %*x:%*x "
		   "%*x %u %*d %llu %*d %*x %llu",
		   laddr, &lport, raddr, &rport, &state, &txq, &rxq, &uid,
		   &inode, &drops);
	if (n < 9 || strlen(laddr) != 8 * words || strlen(raddr) != 8 * words)
		return -EINVAL;
	if (lport > 0xffff || rport > 0xffff || state > 0xff)
		return -EINVAL;

	memset(s, 0, offsetof(struct sv_sock, tcpi));
	s->tcpi_len = 0;
	s->proto = SV_PROTO_RAW;
	s->family = (uint8_t)family;
	s->type = SOCK_RAW;
	s->state = (uint8_t)state;
	if (parse_addr(laddr, words, s->local.addr) ||
	    parse_addr(raddr, words, s->peer.addr))
		return -EINVAL;
	/* A raw socket's "port" is its protocol, as raw_diag reports it. */
	s->local.port = (uint16_t)lport;
	s->peer.port = (uint16_t)rport;
	s->raw_proto = (uint8_t)lport;
	s->send_q = (uint32_t)txq;
	s->recv_q = (uint32_t)rxq;
	s->uid = uid;
	s->inode = inode;
	s->has = SV_HAS_PORTS | SV_HAS_QUEUES | SV_HAS_UID | SV_HAS_INODE |
		 SV_HAS_RAW_PROTO;
	if (n >= 10) {
		s->drops = drops;
		s->has |= SV_HAS_DROPS;
	}
	return 0;
}

int sv_procnet_raw_dump(const struct sv_diag_req *req, sv_sock_cb cb,
			void *arg)
{
	const char *path =
		req->family == AF_INET ? "/proc/net/raw" : "/proc/net/raw6";
	struct sv_sock s;
	char line[512];
	int ret = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	/* the header line */
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sv_procnet_raw_parse(line, req->family, &s))
			continue;
		if (!(req->states & SV_SF(s.state)))
			continue;
		ret = cb(&s, arg);
		if (ret)
			break;
	}
	if (ferror(f) && !ret)
		ret = -EIO;
	fclose(f);
	return ret;
}
