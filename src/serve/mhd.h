/* SPDX-License-Identifier: MIT */
#ifndef SV_SERVE_MHD_H
#define SV_SERVE_MHD_H

#include <microhttpd.h>

/*
 * libmicrohttpd, loaded by serve when it starts rather than linked: the
 * library brings GnuTLS and eight more (p11-kit, nettle, gmp, ...), whose
 * loading and constructors cost every command, list and watch too, about
 * 2.7 ms at start (4.6 ms against 1.9 ms for `sockview --version`).
 */
#define SV_MHD_FUNCS(X)                                                        \
	X(MHD_start_daemon)                                                    \
	X(MHD_stop_daemon)                                                     \
	X(MHD_run)                                                             \
	X(MHD_get_timeout)                                                     \
	X(MHD_get_daemon_info)                                                 \
	X(MHD_lookup_connection_value)                                         \
	X(MHD_create_response_from_buffer)                                     \
	X(MHD_add_response_header)                                             \
	X(MHD_queue_response)                                                  \
	X(MHD_destroy_response)

/* Each function as the header declares it. */
struct sv_mhd {
#define SV_MHD_MEMBER(f) __typeof__(f) *(f);
	SV_MHD_FUNCS(SV_MHD_MEMBER)
#undef SV_MHD_MEMBER
};

/* The library's functions, loaded on first call; dies, naming the
 * library and why, when it cannot be loaded. */
const struct sv_mhd *sv_mhd(void);

#endif
