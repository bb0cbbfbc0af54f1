// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <string.h>

#include "core/fields.h"
#include "core/util.h"
#include "fields_cmd.h"

void sv_fields_usage(FILE *f)
{
	fputs("Usage: sockview fields [--roff]\n"
	      "\n"
	      "Print every field sockview reports: its JSON key (nested keys\n"
	      "as object.key), group, unit, table heading and meaning.\n"
	      "  --roff   as the man page's field list\n",
	      f);
}

static void full_key(const struct sv_field *fl, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s", fl->obj ? fl->obj : "", fl->obj ? "." : "",
		 fl->key);
}

static const char *show_name(unsigned show)
{
	if (show & SV_SHOW_BASE)
		return "default";
	if (show & SV_SHOW_EXT)
		return "-e";
	if (show & SV_SHOW_MEM)
		return "-m";
	if (show & SV_SHOW_TIMER)
		return "-o";
	if (show & SV_SHOW_INFO)
		return "-i";
	return "json";
}

/* roff text, lines kept short: a leading dot or quote would start a
 * request, so such lines get a zero-width escape. */
static void roff_text(const char *s)
{
	size_t col = 0;

	for (; *s; s++) {
		if (col == 0 && (*s == '.' || *s == '\''))
			fputs("\\&", stdout);
		if (*s == ' ' && col > 60) {
			putchar('\n');
			col = 0;
			continue;
		}
		if (*s == '\\')
			fputs("\\e", stdout);
		else if (*s == '-')
			fputs("\\-", stdout);
		else
			putchar(*s);
		col++;
	}
}

int sv_cmd_fields(int argc, char **argv)
{
	int roff = 0;
	unsigned g;
	size_t i;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		sv_fields_usage(stdout);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--roff"))
		roff = 1;
	else if (argc > 1)
		sv_usage_die("fields: unknown argument '%s'", argv[1]);

	for (g = SV_GRP_IDENTITY; g <= SV_GRP_LINKS; g++) {
		if (roff)
			printf(".SS %s\n", sv_group_name(g));
		for (i = 0; i < sv_nfields; i++) {
			const struct sv_field *fl = &sv_fields[i];
			char key[64];

			if (fl->group != g)
				continue;
			full_key(fl, key, sizeof(key));
			if (!roff) {
				printf("%-28s %-8s %-9s %-8s %s\n", key,
				       sv_group_name(g), fl->unit ? fl->unit : "-",
				       show_name(fl->show), fl->desc);
				continue;
			}
			printf(".TP\n.B ");
			roff_text(key);
			printf("\n");
			if (fl->unit) {
				printf("(");
				roff_text(fl->unit);
				printf(")\n");
			}
			roff_text(fl->desc);
			if (fl->show)
				printf("\n[table: %s]\n", show_name(fl->show));
			else
				printf("\n[JSON only]\n");
		}
	}
	if (fflush(stdout) || ferror(stdout))
		sv_die("write error");
	return 0;
}
