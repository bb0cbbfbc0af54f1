// SPDX-License-Identifier: MIT
#include <dlfcn.h>
#include <stddef.h>

#include "core/util.h"
#include "serve/mhd.h"

/* The soname of libmicrohttpd's ABI since 0.9.x (2014); Debian's
 * libmicrohttpd12, Fedora's libmicrohttpd. */
#define SV_MHD_SONAME "libmicrohttpd.so.12"

const struct sv_mhd *sv_mhd(void)
{
	static struct sv_mhd api;
	static void *lib;
	const char *why;

	if (lib)
		return &api;
	lib = dlopen(SV_MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		why = dlerror();
		sv_die("serve needs libmicrohttpd (%s), which cannot be "
		       "loaded: %s",
		       SV_MHD_SONAME, why ? why : "unknown error");
	}
#define SV_MHD_LOAD(f)                                                         \
	*(void **)&api.f = dlsym(lib, #f);                                     \
	if (!api.f)                                                            \
		sv_die("serve: %s has no %s", SV_MHD_SONAME, #f);
	SV_MHD_FUNCS(SV_MHD_LOAD)
#undef SV_MHD_LOAD
	return &api;
}
