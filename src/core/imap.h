/* SPDX-License-Identifier: MIT */
#ifndef SV_IMAP_H
#define SV_IMAP_H

#include <stddef.h>
#include <stdint.h>

/*
 * sockview's one hash table: a 64-bit key -> small integer (an index into
 * the caller's array), open addressing; keys are never 0.
 *
 * Keyed by socket inode it is a map (put/get/del).  For other keys
 * (addresses, label strings) the caller stores sv_hash_bytes() of its key
 * with add(), which allows one hash several entries, and walks them with
 * next() to compare its own entries: a hash collision is never taken for
 * a match.
 */
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
/* Another entry under key, even when key is present: 0 or -ENOMEM. */
int sv_imap_add(struct sv_imap *m, uint64_t key, uint32_t val);
/* The values under key one by one: *cursor starts at 0; 1 and *val while
 * there is another, then 0. */
int sv_imap_next(const struct sv_imap *m, uint64_t key, size_t *cursor,
		 uint32_t *val);
/* A key for arbitrary bytes (FNV-1a, folded away from 0). */
uint64_t sv_hash_bytes(uint64_t seed, const void *p, size_t n);
void sv_imap_free(struct sv_imap *m);

#endif
