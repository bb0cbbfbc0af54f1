/* SPDX-License-Identifier: MIT */
#ifndef SV_TERM_H
#define SV_TERM_H

/* The size of the terminal on fd: 0, or -errno (not a terminal, or it
 * reports no size) with *rows and *cols left as they were, so callers
 * set their default first. */
int sv_term_size(int fd, unsigned *rows, unsigned *cols);

#endif
