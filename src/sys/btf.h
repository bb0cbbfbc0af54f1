/* SPDX-License-Identifier: MIT */
#ifndef SV_BTF_H
#define SV_BTF_H

#include <stdint.h>

/*
 * The kernel's own type information (/sys/kernel/btf/vmlinux), read for
 * the few names a BPF program needs: a function's type id and the
 * offsets of struct members in the running kernel.
 */
struct sv_btf;

/* 0, or -errno (-ENOENT: the kernel has no BTF; -EPROTO: not readable) */
int sv_btf_load(struct sv_btf **out, const char *path);
void sv_btf_free(struct sv_btf *b);

/* The id of the first type of kind (BTF_KIND_*) called name: 0, or
 * -ENOENT. */
int sv_btf_find(const struct sv_btf *b, unsigned kind, const char *name,
		uint32_t *id);

/*
 * Member name of the struct or union id, looked for in its anonymous
 * members too: its byte offset and the size of its type (typedefs and
 * qualifiers followed; a pointer is 8 bytes, an array all its
 * elements).  0, or -ENOENT (no such member, or a bit field).
 */
int sv_btf_member(const struct sv_btf *b, uint32_t id, const char *name,
		  uint32_t *off, uint32_t *size);

#endif
