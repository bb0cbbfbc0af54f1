/* SPDX-License-Identifier: MIT */
#ifndef SV_WATCH_CMD_H
#define SV_WATCH_CMD_H

#include <stdio.h>

/* The watch command: argv after "watch". */
int sv_cmd_watch(int argc, char **argv);

#endif
