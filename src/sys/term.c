// SPDX-License-Identifier: MIT
#include <errno.h>
#include <sys/ioctl.h>

#include "sys/term.h"

int sv_term_size(int fd, unsigned *rows, unsigned *cols)
{
	struct winsize ws = { 0 };

	if (ioctl(fd, TIOCGWINSZ, &ws) < 0)
		return -errno;
	if (!ws.ws_row || !ws.ws_col)
		return -ENOTTY;
	*rows = ws.ws_row;
	*cols = ws.ws_col;
	return 0;
}
