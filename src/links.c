// SPDX-License-Identifier: MIT
#include <errno.h>
#include <net/if.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <stdlib.h>
#include <string.h>

#include "links.h"

struct sv_link {
	unsigned index;
	char name[IF_NAMESIZE];
};

struct sv_links {
	size_t n, cap;
	struct sv_link *v;
};

static void add_link(struct nl_object *obj, void *arg)
{
	struct rtnl_link *link = (struct rtnl_link *)obj;
	struct sv_links *l = arg;
	const char *name = rtnl_link_get_name(link);
	struct sv_link *v;

	if (!name)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;

		v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return;
		l->v = v;
		l->cap = cap;
	}
	v = &l->v[l->n++];
	v->index = (unsigned)rtnl_link_get_ifindex(link);
	strncpy(v->name, name, sizeof(v->name) - 1);
	v->name[sizeof(v->name) - 1] = '\0';
}

int sv_links_load(struct sv_links **out)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_cache *cache = NULL;
	struct sv_links *l;
	int err;

	if (!sk)
		return -ENOMEM;
	err = nl_connect(sk, NETLINK_ROUTE);
	if (!err)
		err = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache);
	if (err) {
		nl_socket_free(sk);
		return -EIO;
	}
	l = calloc(1, sizeof(*l));
	if (l)
		nl_cache_foreach(cache, add_link, l);
	nl_cache_free(cache);
	nl_socket_free(sk);
	if (!l)
		return -ENOMEM;
	*out = l;
	return 0;
}

const char *sv_links_name(struct sv_links *l, unsigned ifindex)
{
	size_t i;

	for (i = 0; l && i < l->n; i++)
		if (l->v[i].index == ifindex)
			return l->v[i].name;
	return NULL;
}

unsigned sv_links_index(struct sv_links *l, const char *name)
{
	size_t i;

	for (i = 0; l && i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return l->v[i].index;
	return 0;
}

void sv_links_free(struct sv_links *l)
{
	if (!l)
		return;
	free(l->v);
	free(l);
}
