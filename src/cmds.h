/* SPDX-License-Identifier: MIT */
#ifndef SV_CMDS_H
#define SV_CMDS_H

#include <stdio.h>

int sv_cmd_list(int argc, char **argv);
void sv_list_usage(FILE *f);
int sv_cmd_watch(int argc, char **argv);
void sv_watch_usage(FILE *f);
int sv_cmd_fields(int argc, char **argv);
void sv_fields_usage(FILE *f);

#endif
