/* SPDX-License-Identifier: MIT */
#ifndef SV_LIST_CMD_H
#define SV_LIST_CMD_H

#include <stdio.h>

/* The list command: argv after "list". */
int sv_cmd_list(int argc, char **argv);

/* metrics: the same sockets as one Prometheus exposition. */
int sv_cmd_metrics(int argc, char **argv);

#endif
