/* SPDX-License-Identifier: MIT */
#ifndef SV_LINKS_H
#define SV_LINKS_H

#include <stddef.h>

/* Interface names from one libnl-route link cache, read once a run. */
struct sv_links;

int sv_links_load(struct sv_links **out);
/* NULL when no such interface (it may have gone since the dump). */
const char *sv_links_name(struct sv_links *l, unsigned ifindex);
unsigned sv_links_index(struct sv_links *l, const char *name);
void sv_links_free(struct sv_links *l);

/* A table built by hand (from a capture), and its entries. */
struct sv_links *sv_links_new(void);
int sv_links_add(struct sv_links *l, unsigned index, const char *name);
size_t sv_links_count(const struct sv_links *l);
const char *sv_links_at(const struct sv_links *l, size_t i, unsigned *index);

#endif
