// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sys/procnet.h"

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

/*
 * Fields of a /proc/net/raw line, one at a time.  strtoull() rather
 * than sscanf(): a number out of range is an error, not undefined.
 */
static const char *skip_blank(const char *c)
{
	while (*c == ' ' || *c == '\t')
		c++;
	return c;
}

/* A number ending at one of stop (or a blank, or the end); a ':' or the
 * stop character is consumed. */
static int next_num(const char **p, int base, uint64_t max, char stop,
		    uint64_t *out)
{
	const char *c = skip_blank(*p);
	unsigned long long v;
	char *end;

	if (!isxdigit((unsigned char)*c))
		return -EINVAL;
	errno = 0;
	v = strtoull(c, &end, base);
	if (errno || v > max)
		return -EINVAL;
	if (*end == stop && stop)
		end++;
	else if (*end && *end != ' ' && *end != '\t' && *end != '\n')
		return -EINVAL;
	*out = v;
	*p = end;
	return 0;
}

/* An address as hex digits, then ':'. */
static int next_addr(const char **p, size_t words, char *hex)
{
	const char *c = skip_blank(*p);
	size_t i, n = 8 * words;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)c[i]))
			return -EINVAL;
	if (c[n] != ':')
		return -EINVAL;
	memcpy(hex, c, n);
	hex[n] = '\0';
	*p = c + n + 1;
	return 0;
}

static void skip_field(const char **p)
{
	const char *c = skip_blank(*p);

	while (*c && *c != ' ' && *c != '\t' && *c != '\n')
		c++;
	*p = c;
}

int sv_procnet_raw_parse(const char *line, int family, struct sv_sock *s)
{
	char laddr[33], raddr[33];
	uint64_t sl, lport, rport, state, txq, rxq, uid, inode, drops = 0;
	size_t words = family == AF_INET ? 1 : 4;
	const char *p = line;
	bool has_drops;

	/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref
	 * pointer drops */
	if (next_num(&p, 10, UINT64_MAX, ':', &sl) ||
	    next_addr(&p, words, laddr) ||
	    next_num(&p, 16, 0xffff, 0, &lport) ||
	    next_addr(&p, words, raddr) ||
	    next_num(&p, 16, 0xffff, 0, &rport) ||
	    next_num(&p, 16, 0xff, 0, &state) ||
	    next_num(&p, 16, UINT32_MAX, ':', &txq) ||
	    next_num(&p, 16, UINT32_MAX, 0, &rxq))
		return -EINVAL;
	skip_field(&p); /* tr:tm->when */
	skip_field(&p); /* retrnsmt */
	if (next_num(&p, 10, UINT32_MAX, 0, &uid))
		return -EINVAL;
	skip_field(&p); /* timeout */
	if (next_num(&p, 10, UINT64_MAX, 0, &inode))
		return -EINVAL;
	skip_field(&p); /* ref */
	skip_field(&p); /* pointer */
	has_drops = next_num(&p, 10, UINT64_MAX, 0, &drops) == 0;

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
		 SV_HAS_RAW_PROTO | SV_HAS_PROCNET;
	if (has_drops) {
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
