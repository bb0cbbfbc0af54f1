// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <linux/btf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "sys/btf.h"

/*
 * One pass over the types records where each one starts; lookups walk
 * that table.  libbpf's loader checks and indexes every type, 12-17 ms
 * for this kernel's 5.5 MB; the few names needed here take a fraction.
 */
struct sv_btf {
	char *buf;
	size_t len;
	bool mapped; /* buf is the file's mapping, not a copy */
	const char *types; /* the type section */
	uint32_t types_len;
	const char *strs; /* the string section */
	uint32_t strs_len;
	uint32_t *at; /* type id -> its offset in types; id 0 is void */
	uint32_t ntypes;
};

/*
 * The file mapped where the kernel allows it (vmlinux BTF since 6.16):
 * a copy of its 5.5 MB was most of the time taken here, in page faults
 * and copying, on a host with few sockets.
 */
static int read_all(const char *path, char **out, size_t *len, bool *mapped)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 0, n = 0, first = 65536;
	char *buf = NULL;
	struct stat st;
	ssize_t r;

	if (fd < 0)
		return -errno;
	*mapped = false;
	if (fstat(fd, &st) == 0 && st.st_size > 0) {
		void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE,
			       fd, 0);

		if (p != MAP_FAILED) {
			close(fd);
			*out = p;
			*len = (size_t)st.st_size;
			*mapped = true;
			return 0;
		}
		/* sysfs gives the size of the blob; read on past it
		 * regardless */
		first = (size_t)st.st_size + 1;
	}
	for (;;) {
		if (sv_grow((void **)&buf, &cap, n ? n + 65536 : first, 1)) {
			r = -ENOMEM;
			break;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			r = r < 0 ? -errno : 0;
			break;
		}
		n += (size_t)r;
	}
	close(fd);
	if (r < 0) {
		free(buf);
		return (int)r;
	}
	*out = buf;
	*len = n;
	return 0;
}

/* The bytes that follow a type's header, or -1 for a kind not known. */
static long type_tail(const struct btf_type *t)
{
	unsigned vlen = BTF_INFO_VLEN(t->info);

	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return (long)vlen * (long)sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return (long)vlen * (long)sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO:
		return (long)vlen * (long)sizeof(struct btf_param);
	case BTF_KIND_DATASEC:
		return (long)vlen * (long)sizeof(struct btf_var_secinfo);
	case BTF_KIND_ENUM64:
		return (long)vlen * (long)sizeof(struct btf_enum64);
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	default:
		return -1;
	}
}

static int index_types(struct sv_btf *b)
{
	/* a type takes 12 bytes at least: room for all, touched as used */
	size_t cap = b->types_len / sizeof(struct btf_type) + 1, pos = 0;

	b->at = malloc(cap * sizeof(*b->at));
	if (!b->at)
		return -ENOMEM;
	b->at[0] = UINT32_MAX; /* void */
	b->ntypes = 1;
	while (pos < b->types_len) {
		struct btf_type t;
		long tail;

		if (b->types_len - pos < sizeof(t))
			return -EPROTO;
		memcpy(&t, b->types + pos, sizeof(t));
		tail = type_tail(&t);
		if (tail < 0 || (size_t)tail > b->types_len - pos - sizeof(t))
			return -EPROTO;
		if (b->ntypes >= cap)
			return -EPROTO;
		b->at[b->ntypes++] = (uint32_t)pos;
		pos += sizeof(t) + (size_t)tail;
	}
	return 0;
}

int sv_btf_load(struct sv_btf **out, const char *path)
{
	struct sv_btf *b = calloc(1, sizeof(*b));
	struct btf_header h;
	int err;

	if (!b)
		return -ENOMEM;
	err = read_all(path, &b->buf, &b->len, &b->mapped);
	if (err) {
		free(b);
		return err;
	}
	err = -EPROTO;
	if (b->len < sizeof(h))
		goto fail;
	memcpy(&h, b->buf, sizeof(h));
	if (h.magic != BTF_MAGIC || h.hdr_len < sizeof(h) ||
	    h.hdr_len > b->len ||
	    (uint64_t)h.type_off + h.type_len > b->len - h.hdr_len ||
	    (uint64_t)h.str_off + h.str_len > b->len - h.hdr_len ||
	    h.str_len == 0 || (h.hdr_len + h.type_off) % 4)
		goto fail;
	b->types = b->buf + h.hdr_len + h.type_off;
	b->types_len = h.type_len;
	b->strs = b->buf + h.hdr_len + h.str_off;
	b->strs_len = h.str_len;
	if (b->strs[b->strs_len - 1] != '\0')
		goto fail;
	err = index_types(b);
	if (err)
		goto fail;
	*out = b;
	return 0;
fail:
	sv_btf_free(b);
	return err;
}

void sv_btf_free(struct sv_btf *b)
{
	if (!b)
		return;
	free(b->at);
	if (b->mapped)
		munmap(b->buf, b->len);
	else
		free(b->buf);
	free(b);
}

static const struct btf_type *type_of(const struct sv_btf *b, uint32_t id)
{
	if (id == 0 || id >= b->ntypes)
		return NULL;
	return (const struct btf_type *)(const void *)(b->types + b->at[id]);
}

static const char *name_of(const struct sv_btf *b, uint32_t off)
{
	return off < b->strs_len ? b->strs + off : "";
}

int sv_btf_find(const struct sv_btf *b, unsigned kind, const char *name,
		uint32_t *id)
{
	uint32_t i;

	for (i = 1; i < b->ntypes; i++) {
		const struct btf_type *t = type_of(b, i);

		if (BTF_INFO_KIND(t->info) == kind &&
		    strcmp(name_of(b, t->name_off), name) == 0) {
			*id = i;
			return 0;
		}
	}
	return -ENOENT;
}

/* The type id after typedefs and qualifiers, or 0. */
static uint32_t resolve(const struct sv_btf *b, uint32_t id)
{
	unsigned hops;

	for (hops = 0; hops < 32; hops++) {
		const struct btf_type *t = type_of(b, id);

		if (!t)
			return 0;
		switch (BTF_INFO_KIND(t->info)) {
		case BTF_KIND_TYPEDEF:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_CONST:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_TYPE_TAG:
			id = t->type;
			break;
		default:
			return id;
		}
	}
	return 0;
}

static int size_of(const struct sv_btf *b, uint32_t id, unsigned depth,
		   uint32_t *size)
{
	const struct btf_type *t = type_of(b, resolve(b, id));
	struct btf_array a;
	uint32_t elem;

	if (!t || depth > 8)
		return -ENOENT;
	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_PTR:
		*size = 8;
		return 0;
	case BTF_KIND_ARRAY:
		memcpy(&a, t + 1, sizeof(a));
		if (size_of(b, a.type, depth + 1, &elem) ||
		    (uint64_t)elem * a.nelems > UINT32_MAX)
			return -ENOENT;
		*size = elem * a.nelems;
		return 0;
	case BTF_KIND_INT:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_FLOAT:
		*size = t->size;
		return 0;
	default:
		return -ENOENT;
	}
}

static int member(const struct sv_btf *b, uint32_t id, const char *name,
		  unsigned depth, uint32_t *off, uint32_t *size)
{
	const struct btf_type *t = type_of(b, resolve(b, id));
	const struct btf_member *m;
	unsigned i, kind;

	if (!t || depth > 8)
		return -ENOENT;
	kind = BTF_INFO_KIND(t->info);
	if (kind != BTF_KIND_STRUCT && kind != BTF_KIND_UNION)
		return -ENOENT;
	m = (const struct btf_member *)(t + 1);
	for (i = 0; i < BTF_INFO_VLEN(t->info); i++, m++) {
		uint32_t bits = BTF_INFO_KFLAG(t->info) ?
					BTF_MEMBER_BIT_OFFSET(m->offset) :
					m->offset;
		const char *n = name_of(b, m->name_off);

		if (*n && strcmp(n, name) != 0)
			continue;
		if (*n) {
			if (bits % 8 || (BTF_INFO_KFLAG(t->info) &&
					 BTF_MEMBER_BITFIELD_SIZE(m->offset)))
				return -ENOENT;
			*off = bits / 8;
			return size_of(b, m->type, 0, size);
		}
		/* an anonymous struct or union: its members are the
		 * outer one's */
		if (bits % 8 == 0 &&
		    member(b, m->type, name, depth + 1, off, size) == 0) {
			*off += bits / 8;
			return 0;
		}
	}
	return -ENOENT;
}

int sv_btf_member(const struct sv_btf *b, uint32_t id, const char *name,
		  uint32_t *off, uint32_t *size)
{
	return member(b, id, name, 0, off, size);
}
