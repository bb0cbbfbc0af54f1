/* SPDX-License-Identifier: MIT */
#ifndef SV_SERVE_CMD_H
#define SV_SERVE_CMD_H

#include <stdio.h>

/* serve: the metrics over HTTP, one exposition per scrape. */
int sv_cmd_serve(int argc, char **argv);

#endif
