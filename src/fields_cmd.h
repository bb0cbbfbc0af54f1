/* SPDX-License-Identifier: MIT */
#ifndef SV_FIELDS_CMD_H
#define SV_FIELDS_CMD_H

#include <stdbool.h>
#include <stdio.h>

/* The fields command: the field table as text or roff. */
int sv_cmd_fields(int argc, char **argv);
/* The field table as text columns or as the man page's roff. */
void sv_fields_print(FILE *f, bool roff);

#endif
