// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/imap.h"

static size_t slot_of(uint64_t key, size_t nslots)
{
	/* inodes come in sequence; a multiplicative hash spreads them */
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 17) & (nslots - 1);
}

static int resize(struct sv_imap *m, size_t nslots)
{
	uint64_t *keys = calloc(nslots, sizeof(*keys));
	uint32_t *vals = calloc(nslots, sizeof(*vals));
	size_t i;

	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	for (i = 0; i < m->nslots; i++) {
		size_t h;

		if (!m->keys[i])
			continue;
		h = slot_of(m->keys[i], nslots);
		while (keys[h])
			h = (h + 1) & (nslots - 1);
		keys[h] = m->keys[i];
		vals[h] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->nslots = nslots;
	return 0;
}

int sv_imap_reserve(struct sv_imap *m, size_t n)
{
	size_t nslots = m->nslots ? m->nslots : 64;

	while (nslots < 2 * n)
		nslots *= 2;
	return nslots > m->nslots ? resize(m, nslots) : 0;
}

static int insert(struct sv_imap *m, uint64_t key, uint32_t val, bool dup)
{
	size_t h;

	if (!key)
		return -EINVAL;
	if (2 * (m->n + 1) > m->nslots &&
	    resize(m, m->nslots ? 2 * m->nslots : 64))
		return -ENOMEM;
	h = slot_of(key, m->nslots);
	while (m->keys[h] && (dup || m->keys[h] != key))
		h = (h + 1) & (m->nslots - 1);
	if (!m->keys[h])
		m->n++;
	m->keys[h] = key;
	m->vals[h] = val;
	return 0;
}

int sv_imap_put(struct sv_imap *m, uint64_t key, uint32_t val)
{
	return insert(m, key, val, false);
}

int sv_imap_add(struct sv_imap *m, uint64_t key, uint32_t val)
{
	return insert(m, key, val, true);
}

int sv_imap_next(const struct sv_imap *m, uint64_t key, size_t *cursor,
		 uint32_t *val)
{
	size_t h;

	if (!m->nslots || !key)
		return 0;
	/* the cursor is the next slot to look at, plus one */
	h = *cursor ? *cursor - 1 : slot_of(key, m->nslots);
	while (m->keys[h]) {
		size_t at = h;

		h = (h + 1) & (m->nslots - 1);
		if (m->keys[at] == key) {
			*val = m->vals[at];
			*cursor = h + 1;
			return 1;
		}
	}
	return 0;
}

uint64_t sv_hash_bytes(uint64_t seed, const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 14695981039346656037ull ^ seed;

	while (n--)
		h = (h ^ *b++) * 1099511628211ull;
	return h ? h : 1;
}

int sv_imap_get(const struct sv_imap *m, uint64_t key, uint32_t *val)
{
	size_t h;

	if (!m->nslots || !key)
		return 0;
	h = slot_of(key, m->nslots);
	while (m->keys[h]) {
		if (m->keys[h] == key) {
			*val = m->vals[h];
			return 1;
		}
		h = (h + 1) & (m->nslots - 1);
	}
	return 0;
}

int sv_imap_del(struct sv_imap *m, uint64_t key)
{
	size_t h, j;

	if (!m->nslots || !key)
		return 0;
	h = slot_of(key, m->nslots);
	while (m->keys[h] && m->keys[h] != key)
		h = (h + 1) & (m->nslots - 1);
	if (!m->keys[h])
		return 0;
	m->keys[h] = 0;
	m->n--;
	/* re-place the rest of the cluster (linear probing deletion) */
	for (j = (h + 1) & (m->nslots - 1); m->keys[j];
	     j = (j + 1) & (m->nslots - 1)) {
		uint64_t k = m->keys[j];
		uint32_t v = m->vals[j];

		m->keys[j] = 0;
		m->n--;
		insert(m, k, v, true); /* keeps entries sharing a key */
	}
	return 1;
}

void sv_imap_clear(struct sv_imap *m)
{
	if (m->nslots)
		memset(m->keys, 0, m->nslots * sizeof(*m->keys));
	m->n = 0;
}

void sv_imap_free(struct sv_imap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}
