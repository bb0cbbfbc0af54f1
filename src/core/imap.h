/* SPDX-License-Identifier: MIT */
#ifndef SV_IMAP_H
#define SV_IMAP_H

#include <stddef.h>
#include <stdint.h>

/* Socket inode -> small integer, open addressing; keys are never 0. */
struct sv_imap {
	uint64_t *keys;
	uint32_t *vals;
	size_t n, nslots; /* nslots: a power of two, at most half full */
};

int sv_imap_put(struct sv_imap *m, uint64_t key, uint32_t val);
/* Room for n keys without growing: 0 or -ENOMEM. */
int sv_imap_reserve(struct sv_imap *m, size_t n);
/* 1 and *val when present, else 0. */
int sv_imap_get(const struct sv_imap *m, uint64_t key, uint32_t *val);
int sv_imap_del(struct sv_imap *m, uint64_t key);
void sv_imap_clear(struct sv_imap *m);
void sv_imap_free(struct sv_imap *m);

#endif
