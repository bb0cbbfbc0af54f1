/* SPDX-License-Identifier: MIT */
#ifndef SV_UTIL_H
#define SV_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Exit codes: runtime failure and usage error. */
#define SV_EXIT_FAIL 1
#define SV_EXIT_USAGE 2

extern const char *sv_progname;
/* The version main.c was built with (only it knows it). */
extern const char *sv_version;

__attribute__((format(printf, 1, 2), noreturn)) void sv_die(const char *fmt,
								...);
__attribute__((format(printf, 1, 2), noreturn)) void
sv_usage_die(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void sv_warn(const char *fmt, ...);
/* Something the user should know that changes no result's meaning. */
__attribute__((format(printf, 1, 2))) void sv_note(const char *fmt, ...);

void *sv_xcalloc(size_t n, size_t size);

/* Makes room for need elements of size bytes in *p (capacity *cap),
 * doubling; 0 or -ENOMEM (then *p is unchanged). */
int sv_grow(void **p, size_t *cap, size_t need, size_t size);

/* Strict decimal parse: the whole string, within [min, max]. */
int sv_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* Decimal text of v into buf (at least 21 bytes); returns its length. */
size_t sv_u64_to_text(uint64_t v, char *buf);


/*
 * The threadpool size libuv picks from a UV_THREADPOOL_SIZE value (NULL:
 * unset): atoi() as libuv does, 0 counts as 1, at most 1024 (a
 * negative value too, as libuv keeps it unsigned); unset is
 * libuv's default of 4.
 */
#define SV_UV_THREADPOOL_DEFAULT 4
unsigned sv_uv_threadpool_size(const char *value);

#endif
