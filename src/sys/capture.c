// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "sys/capture.h"

static const char magic[16] = "sockview capture";

#define HEADER_LEN 24
/* Far beyond a capture of a million sockets (about 700 MB). */
#define SV_CAPTURE_MAX ((size_t)1 << 30)

static void put_all(struct sv_capture_writer *w, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, w->f) != n)
		sv_die("cannot write %s: %s", w->path, strerror(errno));
}

int sv_capture_create(struct sv_capture_writer *w, const char *path)
{
	unsigned char hdr[HEADER_LEN];

	w->path = path;
	w->f = fopen(path, "we");
	if (!w->f)
		return -errno;
	memcpy(hdr, magic, sizeof(magic));
	sv_cap_put32(hdr + 16, SV_CAPTURE_VERSION);
	sv_cap_put32(hdr + 20, 0);
	put_all(w, hdr, sizeof(hdr));
	return 0;
}

void sv_capture_put(struct sv_capture_writer *w, unsigned type,
		    const void *a, size_t alen, const void *b, size_t blen)
{
	static const unsigned char zero[4];
	unsigned char rec[8];
	size_t len = alen + blen;

	sv_cap_put32(rec, type);
	sv_cap_put32(rec + 4, (uint32_t)len);
	put_all(w, rec, sizeof(rec));
	put_all(w, a, alen);
	put_all(w, b, blen);
	put_all(w, zero, (4 - len % 4) % 4);
}

int sv_capture_finish(struct sv_capture_writer *w)
{
	int err = 0;

	sv_capture_put(w, SV_CAP_END, NULL, 0, NULL, 0);
	if (fflush(w->f) || ferror(w->f))
		err = -errno;
	if (fclose(w->f) && !err)
		err = -errno;
	w->f = NULL;
	return err;
}

/* Reads up to n bytes, fewer only at end of file; the count or -errno. */
static ssize_t read_full(int fd, unsigned char *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static int load_fd(struct sv_capture *c, int fd, const char **why)
{
	size_t cap = HEADER_LEN;
	ssize_t n;

	c->data = malloc(cap);
	if (!c->data)
		return -ENOMEM;
	/* the header first: /dev/zero or a stray 2 GB file is refused
	 * before anything else is read */
	n = read_full(fd, c->data, HEADER_LEN);
	if (n < 0)
		return (int)n;
	c->len = (size_t)n;
	if (c->len < sizeof(magic) || memcmp(c->data, magic, sizeof(magic))) {
		*why = "not a sockview capture";
		return -EINVAL;
	}
	if (c->len < HEADER_LEN) {
		*why = "truncated (the header is incomplete)";
		return -EINVAL;
	}
	for (;;) {
		if (c->len == SV_CAPTURE_MAX) {
			*why = "larger than a capture may be (1 GiB)";
			return -EFBIG;
		}
		if (sv_grow((void **)&c->data, &cap, c->len + 65536, 1))
			return -ENOMEM;
		if (cap > SV_CAPTURE_MAX)
			cap = SV_CAPTURE_MAX;
		n = read_full(fd, c->data + c->len, cap - c->len);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return 0;
		c->len += (size_t)n;
	}
}

int sv_capture_load(struct sv_capture *c, const char *path, const char **why)
{
	struct stat st;
	struct sv_capture_rec r;
	size_t off = 0;
	int fd, ret;

	memset(c, 0, sizeof(*c));
	*why = NULL;
	/* non-blocking open: a FIFO with no writer must not hang us; read
	 * then sees end of file at once */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || fcntl(fd, F_SETFL, 0) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		*why = "a directory, not a capture";
		return -EISDIR;
	}
	ret = load_fd(c, fd, why);
	close(fd);
	if (ret) {
		sv_capture_free(c);
		return ret;
	}
	if (sv_cap_get32(c->data + 16) > SV_CAPTURE_VERSION) {
		*why = "from a newer sockview (capture format version above 1)";
		return -EINVAL;
	}
	/* every record must fit, and the last must be END */
	while ((ret = sv_capture_next(c, &off, &r)) > 0)
		;
	if (ret < 0) {
		*why = "truncated (a record runs past the end, or END is "
		       "missing)";
		return -EINVAL;
	}
	return 0;
}

int sv_capture_next(const struct sv_capture *c, size_t *off,
		    struct sv_capture_rec *r)
{
	size_t at = *off ? *off : HEADER_LEN;
	size_t len;

	if (c->len < at + 8)
		return -EINVAL;
	r->type = sv_cap_get32(c->data + at);
	len = sv_cap_get32(c->data + at + 4);
	if (len > c->len - at - 8)
		return -EINVAL;
	r->p = c->data + at + 8;
	r->len = len;
	*off = at + 8 + ((len + 3) & ~(size_t)3);
	if (r->type == SV_CAP_END)
		return 0;
	return 1;
}

void sv_capture_free(struct sv_capture *c)
{
	free(c->data);
	memset(c, 0, sizeof(*c));
}
