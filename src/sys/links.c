// SPDX-License-Identifier: MIT
#include <errno.h>
#include <net/if.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "sys/links.h"

struct sv_link {
	unsigned index;
	char name[IF_NAMESIZE];
};

struct sv_links {
	size_t n, cap;
	struct sv_link *v;
};

struct sv_links *sv_links_new(void)
{
	return calloc(1, sizeof(struct sv_links));
}

int sv_links_add(struct sv_links *l, unsigned index, const char *name)
{
	struct sv_link *v;

	if (sv_grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v)))
		return -ENOMEM;
	v = &l->v[l->n++];
	v->index = index;
	strncpy(v->name, name, sizeof(v->name) - 1);
	v->name[sizeof(v->name) - 1] = '\0';
	return 0;
}

size_t sv_links_count(const struct sv_links *l)
{
	return l ? l->n : 0;
}

const char *sv_links_at(const struct sv_links *l, size_t i, unsigned *index)
{
	*index = l->v[i].index;
	return l->v[i].name;
}

static void add_link(struct nl_object *obj, void *arg)
{
	struct rtnl_link *link = (struct rtnl_link *)obj;
	const char *name = rtnl_link_get_name(link);

	if (name)
		sv_links_add(arg, (unsigned)rtnl_link_get_ifindex(link), name);
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
	l = sv_links_new();
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
