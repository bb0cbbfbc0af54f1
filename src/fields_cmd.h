/* SPDX-License-Identifier: MIT */
#ifndef SV_FIELDS_CMD_H
#define SV_FIELDS_CMD_H

#include <stdio.h>

/* The fields command: the field table as text or roff. */
int sv_cmd_fields(int argc, char **argv);
void sv_fields_usage(FILE *f);

#endif
