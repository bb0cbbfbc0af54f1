/* SPDX-License-Identifier: MIT */
#ifndef SV_NLMSG_H
#define SV_NLMSG_H

#include <libmnl/libmnl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * mnl_nlmsg_ok() compares nlmsg_len with the bytes left as an int: a
 * length of 2 GiB or more reads as negative and passes, and
 * mnl_nlmsg_next() (and mnl_cb_run(), which uses both) then steps that
 * far past the buffer.  The kernel never sends such a length; a saved
 * capture or any other bytes from a file can.  This check compares
 * unsigned.
 */
static inline bool sv_nlmsg_ok(const struct nlmsghdr *nlh, int len)
{
	return len >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (unsigned int)len;
}

/* Whether mnl_cb_run() can walk buf safely: every message it would
 * reach has a length within the buffer, and a multiple of 4 as the
 * kernel pads them (libmnl reads attributes up to the padded end). */
static inline bool sv_nlmsg_buf_ok(const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	int rest;

	if (len > (size_t)INT32_MAX)
		return false;
	for (rest = (int)len; mnl_nlmsg_ok(nlh, rest);
	     nlh = mnl_nlmsg_next(nlh, &rest))
		if (!sv_nlmsg_ok(nlh, rest) ||
		    nlh->nlmsg_len != MNL_ALIGN(nlh->nlmsg_len))
			return false;
	return true;
}

#endif
