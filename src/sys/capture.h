/* SPDX-License-Identifier: MIT */
#ifndef SV_CAPTURE_H
#define SV_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * A capture: what one `list` run read, so it can be rendered again
 * elsewhere with any options.  Little-endian, 4-byte aligned:
 *
 *   header   "sockview capture" (16 bytes), u32 version (1), u32 0
 *   records  u32 type, u32 length, length bytes, padding to 4
 *   end      a record of type END and length 0: without it the file is
 *            truncated
 *
 *   REQ  (1)  u8 protocol (0 tcp, 1 udp, 2 raw, 3 unix), u8 family,
 *             u8 internal (1: a listener dump of our own, written by older
 *             versions and skipped on load; now always 0),
 *             u8 0, u32 state mask: a sock_diag request; the NL records
 *             that follow are its replies
 *   NL   (2)  bytes of one recv(2) on the sock_diag socket
 *   RAW  (3)  u8 family, 3 bytes 0, one line of /proc/net/raw or raw6
 *             (kernels without raw_diag)
 *   LINK (4)  u32 ifindex, the interface name
 *   PROC (5)  u64 inode, i32 pid, i32 fd, the command name
 *   END  (6)
 */

#define SV_CAPTURE_VERSION 1

/* The format's integers: little-endian whatever the host. */
static inline void sv_cap_put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static inline uint32_t sv_cap_get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

enum sv_capture_type {
	SV_CAP_REQ = 1,
	SV_CAP_NL,
	SV_CAP_RAW,
	SV_CAP_LINK,
	SV_CAP_PROC,
	SV_CAP_END,
};

struct sv_capture_writer {
	FILE *f;
	const char *path;
};

int sv_capture_create(struct sv_capture_writer *w, const char *path);
void sv_capture_put(struct sv_capture_writer *w, unsigned type,
		    const void *a, size_t alen, const void *b, size_t blen);
/* Writes END and closes; 0 or -errno. */
int sv_capture_finish(struct sv_capture_writer *w);

/* A capture read whole into memory, checked record by record. */
struct sv_capture {
	unsigned char *data;
	size_t len;
};

struct sv_capture_rec {
	unsigned type;
	const unsigned char *p;
	size_t len;
};

/* 0, or -errno with *why saying what is wrong with the file. */
int sv_capture_load(struct sv_capture *c, const char *path, const char **why);
/* Iterates records: *off starts at 0; returns 0 at END. */
int sv_capture_next(const struct sv_capture *c, size_t *off,
		    struct sv_capture_rec *r);
void sv_capture_free(struct sv_capture *c);

#endif
