// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/imap.h"
#include "core/strbuf.h"
#include "sys/cgpath.h"

/* Deeper than any real hierarchy; a bound, not a guess at one. */
#define CG_DEPTH_MAX 64

struct sv_cgpaths {
	struct sv_imap ids;  /* id -> offset in text */
	struct sv_strbuf text; /* NUL-terminated paths */
};

static int id_of(int dirfd, const char *name, uint64_t *id)
{
	struct {
		struct file_handle fh;
		unsigned char room[64];
	} h;
	int mnt;

	h.fh.handle_bytes = sizeof(h.room);
	if (name_to_handle_at(dirfd, name, &h.fh, &mnt, 0) < 0)
		return -errno;
	/* cgroupfs hands out the 64-bit kernfs id, nothing else */
	if (h.fh.handle_bytes != 8)
		return -EOPNOTSUPP;
	memcpy(id, h.fh.f_handle, 8);
	return 0;
}

static int add(struct sv_cgpaths *c, uint64_t id, const char *path, size_t n)
{
	uint32_t off = (uint32_t)c->text.len;

	if (!id || c->text.len > UINT32_MAX / 2 || n > PATH_MAX)
		return 0;
	sv_strbuf_grow(&c->text, n + 1);
	if (!c->text.p) /* never: grow dies first; tells the analyser so */
		return -ENOMEM;
	sv_strbuf_add(&c->text, path, n);
	sv_strbuf_addc(&c->text, '\0');
	return sv_imap_put(&c->ids, id, off);
}

/* path holds the directory's name relative to the root ("" for it). */
static int walk(struct sv_cgpaths *c, int fd0, char *path, size_t len,
		size_t cap, int depth)
{
	DIR *d;
	struct dirent *e;
	int err = 0;

	if (depth > CG_DEPTH_MAX)
		return 0;
	d = fdopendir(fd0);
	if (!d) {
		close(fd0);
		return -errno;
	}
	while (!err && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		uint64_t id = 0;
		int fd;

		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		if (len + 1 + n + 1 > cap)
			continue; /* no real cgroup path is this long */
		if (id_of(dirfd(d), e->d_name, &id))
			continue; /* gone meanwhile */
		path[len] = '/';
		memcpy(path + len + 1, e->d_name, n + 1);
		err = add(c, id, path, len + 1 + n);
		if (err)
			break;
		fd = openat(dirfd(d), e->d_name,
			    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0)
			err = walk(c, fd, path, len + 1 + n, cap, depth + 1);
		if (err == -ENOENT || err == -EACCES)
			err = 0;
	}
	closedir(d);
	return err;
}

/* A mount point as /proc/self/mounts writes it: \040 for a space. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
				      (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* The first cgroup2 mount: /sys/fs/cgroup, or .../unified on hybrid
 * hosts; into buf (PATH_MAX). */
static int find_cgroup2(char *buf)
{
	FILE *f = fopen("/proc/self/mounts", "re");
	char line[4096], dir[4096], type[64];
	int err = -ENOENT;

	_Static_assert(sizeof(dir) <= PATH_MAX, "a mount point fits buf");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %4095s %63s", dir, type) != 2 ||
		    strcmp(type, "cgroup2"))
			continue;
		unescape(dir);
		/* dir is shorter than PATH_MAX: it came from 4095 bytes */
		memcpy(buf, dir, strlen(dir) + 1);
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

int sv_cgpaths_load(struct sv_cgpaths **out, const char *root)
{
	struct sv_cgpaths *c = calloc(1, sizeof(*c));
	char *path = malloc(PATH_MAX);
	uint64_t id = 0;
	int fd, err;

	if (!c || !path) {
		free(c);
		free(path);
		return -ENOMEM;
	}
	if (!root) {
		err = find_cgroup2(path);
		if (err)
			goto fail;
		root = path;
	}
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	err = id_of(AT_FDCWD, root, &id);
	if (!err)
		err = add(c, id, "/", 1);
	if (err) {
		close(fd);
		goto fail;
	}
	path[0] = '\0';
	err = walk(c, fd, path, 0, PATH_MAX, 0);
	if (err)
		goto fail;
	free(path);
	*out = c;
	return 0;
fail:
	free(path);
	sv_cgpaths_free(c);
	return err;
}

const char *sv_cgpaths_find(const struct sv_cgpaths *c, uint64_t id)
{
	uint32_t off;

	if (!c || !sv_imap_get(&c->ids, id, &off))
		return NULL;
	return c->text.p + off;
}

void sv_cgpaths_free(struct sv_cgpaths *c)
{
	if (!c)
		return;
	sv_imap_free(&c->ids);
	sv_strbuf_free(&c->text);
	free(c);
}
