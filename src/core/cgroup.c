// SPDX-License-Identifier: MIT
/* Container and pod from a cgroup path: no I/O, so unit-tested on the
 * paths each runtime makes. */
#include <stdbool.h>
#include <string.h>

#include "core/cgroup.h"

static bool all_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && !memcmp(s + n - k, suffix, k);
}

/* PREFIX<64 hex>.scope */
static bool scope_id(const char *s, size_t n, const char *prefix,
		     struct sv_container *c, const char *runtime)
{
	size_t k = strlen(prefix);

	if (n != k + 64 + 6 || memcmp(s, prefix, k) ||
	    !ends_with(s, n, ".scope") || !all_hex(s + k, 64))
		return false;
	memcpy(c->id, s + k, 64);
	c->id[64] = '\0';
	c->runtime = runtime;
	return true;
}

/* 36 characters, hex and dashes at 8-4-4-4-12; systemd writes the
 * dashes as underscores. */
static bool pod_uid(const char *s, size_t n, struct sv_container *c)
{
	size_t i;

	if (n != 36)
		return false;
	for (i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		char ch = s[i];

		if (dash ? ch != '-' && ch != '_' : !all_hex(&ch, 1))
			return false;
		if (dash)
			ch = '-';
		c->pod_uid[i] = ch;
	}
	c->pod_uid[36] = '\0';
	return true;
}

static void segment(const char *s, size_t n, bool kube, const char *parent,
		    size_t pn, struct sv_container *c)
{
	const char *p;

	if (scope_id(s, n, "docker-", c, "docker") ||
	    scope_id(s, n, "cri-containerd-", c, "containerd") ||
	    scope_id(s, n, "crio-", c, "cri-o") ||
	    scope_id(s, n, "libpod-", c, "podman"))
		return;
	if (n == 64 && all_hex(s, 64)) {
		/* cgroupfs layouts: /docker/ID, /kubepods/.../podUID/ID */
		memcpy(c->id, s, 64);
		c->id[64] = '\0';
		c->runtime = pn == 6 && !memcmp(parent, "docker", 6) ? "docker"
								       : NULL;
		return;
	}
	if (!kube)
		return;
	/* kubepods-burstable-pod<uid>.slice or pod<uid> */
	if (ends_with(s, n, ".slice")) {
		p = memmem(s, n, "-pod", 4);
		if (p)
			pod_uid(p + 4, (size_t)(s + n - 6 - (p + 4)), c);
	} else if (n > 3 && !memcmp(s, "pod", 3)) {
		pod_uid(s + 3, n - 3, c);
	}
}

static void parse_path(const char *path, size_t n, struct sv_container *c)
{
	bool kube = memmem(path, n, "kubepods", 8) != NULL;
	const char *end = path + n, *s = path, *parent = "";
	size_t pn = 0;

	while (s < end) {
		const char *slash = memchr(s, '/', (size_t)(end - s));
		size_t len = (size_t)((slash ? slash : end) - s);

		if (len) {
			segment(s, len, kube, parent, pn, c);
			parent = s;
			pn = len;
		}
		s += len + 1;
	}
}

static int found(struct sv_container *c)
{
	memcpy(c->short_id, c->id, 12);
	c->short_id[12] = '\0';
	return c->id[0] || c->pod_uid[0];
}

int sv_cgroup_container(const char *text, size_t n, struct sv_container *c)
{
	const char *end = text + n, *line = text, *v1 = NULL;
	size_t v1n = 0;

	memset(c, 0, sizeof(*c));
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t len = (size_t)((nl ? nl : end) - line);
		const char *path = memchr(line, ':', len);

		path = path ? memchr(path + 1, ':', len - (size_t)(path + 1 - line))
			    : NULL;
		if (path && len >= 3 && !memcmp(line, "0::", 3)) {
			/* cgroup v2: the one hierarchy */
			parse_path(path + 1, len - (size_t)(path + 1 - line), c);
			return found(c);
		}
		if (path && !v1) {
			v1 = path + 1;
			v1n = len - (size_t)(path + 1 - line);
		}
		line += len + 1;
	}
	if (v1)
		parse_path(v1, v1n, c);
	return found(c);
}
