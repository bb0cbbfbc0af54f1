// SPDX-License-Identifier: MIT
#include <stdbool.h>
#include <stdio.h>

#include "core/fields.h"
#include "core/options.h"
#include "core/util.h"
#include "fields_cmd.h"

static void full_key(const struct sv_field *fl, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s", fl->obj ? fl->obj : "", fl->obj ? "." : "",
		 fl->key);
}

/* Where the table shows a field: its default columns, the option that
 * adds it, watch's table, or nowhere (JSON only). */
static const char *show_name(unsigned show)
{
	if (show & SV_SHOW_BASE)
		return "default";
	if (show & SV_SHOW_EXT)
		return "-e";
	if (show & SV_SHOW_NETNS)
		return "-e --all-netns";
	if (show & SV_SHOW_MEM)
		return "-m";
	if (show & SV_SHOW_TIMER)
		return "-o";
	if (show & SV_SHOW_INFO)
		return "-i";
	if (show & SV_SHOW_PROC)
		return "-p";
	if (show & SV_SHOW_WATCH)
		return "watch";
	return "json";
}

/* The roff note of where a field appears.  JSON carries every field a
 * socket has, but -p's processes exist only when asked for and watch's
 * rates and interest only in watch. */
static const char *show_note(unsigned show)
{
	if (show & SV_SHOW_PROC)
		return "[table and JSON: with -p]";
	if (show & SV_SHOW_WATCH)
		return "[watch only: its table and JSON samples]";
	if (!show)
		return "[JSON only]";
	return NULL;
}

/* roff text, lines kept short: a leading dot or quote would start a
 * request, so such lines get a zero-width escape. */
static void roff_text(const char *s, FILE *f)
{
	size_t col = 0;

	for (; *s; s++) {
		if (col == 0 && (*s == '.' || *s == '\''))
			fputs("\\&", f);
		if (*s == ' ' && col > 60) {
			putc('\n', f);
			col = 0;
			continue;
		}
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			putc(*s, f);
		col++;
	}
}

static void print_field(const struct sv_field *fl, bool roff, FILE *f)
{
	const char *note = show_note(fl->show);
	char key[64];

	full_key(fl, key, sizeof(key));
	if (!roff) {
		fprintf(f, "%-28s %-8s %-9s %-8s %s\n", key,
			sv_group_name(fl->group), fl->unit ? fl->unit : "-",
			show_name(fl->show), fl->desc);
		return;
	}
	fputs(".TP\n.B ", f);
	roff_text(key, f);
	putc('\n', f);
	if (fl->unit) {
		putc('(', f);
		roff_text(fl->unit, f);
		fputs(")\n", f);
	}
	roff_text(fl->desc, f);
	if (note)
		fprintf(f, "\n%s\n", note);
	else
		fprintf(f, "\n[table: %s]\n", show_name(fl->show));
}

void sv_fields_print(FILE *f, bool roff)
{
	unsigned g;
	size_t i;

	for (g = SV_GRP_IDENTITY; g <= SV_GRP_LINKS; g++) {
		if (roff)
			fprintf(f, ".SS %s\n", sv_group_name(g));
		for (i = 0; i < sv_nfields; i++)
			if (sv_fields[i].group == g)
				print_field(&sv_fields[i], roff, f);
	}
}

int sv_cmd_fields(int argc, char **argv)
{
	struct sv_getopt g;
	bool roff = false;
	int c;

	sv_getopt_init(&g, &sv_fields_doc);
	while ((c = sv_getopt_next(&g, argc, argv)) != -1)
		if (c == SV_OPT_ROFF)
			roff = true;
	if (optind < argc)
		sv_usage_die("fields: unexpected argument '%s'", argv[optind]);
	sv_fields_print(stdout, roff);
	if (fflush(stdout) || ferror(stdout))
		sv_die("write error");
	return 0;
}
