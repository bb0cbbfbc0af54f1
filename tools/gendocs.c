// SPDX-License-Identifier: MIT
/*
 * gendocs DIR: writes what the documentation takes from the option and
 * field tables (src/core/options.c, src/core/fields.c) and the filter
 * parser's words under DIR: man/options.roff, man/fields.roff and the
 * bash, zsh and fish completions.  `make docs` runs it on the tree;
 * `make check` runs it on a temporary directory and compares.  The
 * output is kept in the tree so that building the man page never runs a
 * freshly built program (a cross build cannot).
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/options.h"
#include "fields_cmd.h"
#include "filter/filter.h"

#define GENERATED "Generated from src/core/options.c by 'make docs': " \
		  "edit that, not this."

static const char *outdir;

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt,
								 ...)
{
	va_list ap;

	fputs("gendocs: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* Files are written whole, then renamed: a reader never sees half. */
struct out {
	FILE *f;
	char path[4096], tmp[4112];
};

static void mkdir_p(char *dir)
{
	char *slash;

	for (slash = strchr(dir + 1, '/');; slash = strchr(slash + 1, '/')) {
		if (slash)
			*slash = '\0';
		if (mkdir(dir, 0777) && errno != EEXIST)
			die("cannot create %s: %s", dir, strerror(errno));
		if (!slash)
			return;
		*slash = '/';
	}
}

static FILE *out_open(struct out *o, const char *name)
{
	char dir[4096];

	memset(o, 0, sizeof(*o));
	snprintf(o->path, sizeof(o->path), "%s/%s", outdir, name);
	snprintf(o->tmp, sizeof(o->tmp), "%s.tmp", o->path);
	snprintf(dir, sizeof(dir), "%s", o->path);
	*strrchr(dir, '/') = '\0';
	mkdir_p(dir);
	o->f = fopen(o->tmp, "w");
	if (!o->f)
		die("cannot write %s: %s", o->tmp, strerror(errno));
	return o->f;
}

static void out_close(struct out *o)
{
	if (ferror(o->f) | fclose(o->f))
		die("cannot write %s", o->tmp);
	if (rename(o->tmp, o->path))
		die("cannot rename %s: %s", o->tmp, strerror(errno));
}

/* ---- What the tables say ---- */

#define for_each_opt(o, doc) for ((o) = (doc)->opts; (o)->name; (o)++)

/* A command's options as its parser has them: a base command's first. */
struct optlist {
	const struct sv_option *v[SV_OPTS_MAX];
	size_t n;
};

#define for_all_opts(o, l, i)                                                  \
	for ((i) = 0; (i) < (l)->n && ((o) = (l)->v[(i)]); (i)++)

static void collect(struct optlist *l, const struct sv_cmd_doc *doc)
{
	const struct sv_option *o;

	if (!doc)
		return;
	collect(l, doc->base);
	for_each_opt(o, doc)
		if (l->n < SV_OPTS_MAX)
			l->v[l->n++] = o;
}

static bool has_short(const struct sv_option *o)
{
	return o->id < SV_OPT_LONG;
}

/* Prints the words a hint stands for, each after sep. */
static void hint_words(FILE *f, enum sv_hint hint, const char *sep)
{
	const struct sv_cmd_doc *const *c;
	const char *w;
	size_t i;

	switch (hint) {
	case SV_HINT_FILTER:
		for (i = 0; (w = sv_filter_keyword(i)); i++)
			fprintf(f, "%s%s", i ? sep : "", w);
		break;
	case SV_HINT_COMMANDS:
		/* what `help` takes: every command with options */
		for (c = sv_commands, i = 0; *c; c++)
			if (*c != &sv_help_doc)
				fprintf(f, "%s%s", i++ ? sep : "", (*c)->name);
		break;
	default:
		break;
	}
}

static void state_words(FILE *f, const char *sep)
{
	const char *w;
	size_t i;

	for (i = 0; (w = sv_filter_state_word(i)); i++)
		fprintf(f, "%s%s", i ? sep : "", w);
}

/* ---- The man page's OPTIONS ---- */

static void roff_word(FILE *f, const char *s)
{
	for (; *s; s++)
		if (*s == '-')
			fputs("\\-", f);
		else
			putc(*s, f);
}

static void roff_metavar(FILE *f, const char *s)
{
	fputs(" \" ", f);
	for (; *s; s++)
		putc(tolower((unsigned char)*s), f);
	putc('"', f);
}

static void man_option(FILE *f, const struct sv_option *o)
{
	fputs(".TP\n", f);
	fputs(o->arg ? ".BI " : has_short(o) ? ".BR " : ".B ", f);
	if (has_short(o))
		fprintf(f, "\\-%c \", \" ", o->id);
	fputs("\\-\\-", f);
	roff_word(f, o->name);
	if (o->arg)
		roff_metavar(f, o->arg);
	fprintf(f, "\n%s\n", o->man ? o->man : o->help);
}

static void man_command(FILE *f, const struct sv_cmd_doc *doc)
{
	const struct sv_option *o;

	if (!doc->name) {
		fputs(".SS sockview\n", f);
		man_option(f, &sv_opt_help);
	} else {
		if (!doc->opts->name)
			return;
		fprintf(f, ".SS sockview %s\n", doc->name);
	}
	if (doc->man)
		fprintf(f, "%s\n", doc->man);
	for_each_opt(o, doc)
		man_option(f, o);
}

static void gen_man(void)
{
	const struct sv_cmd_doc *const *c;
	struct out o;
	FILE *f = out_open(&o, "man/options.roff");

	fprintf(f, ".\\\" %s\n", GENERATED);
	man_command(f, &sv_main_doc);
	for (c = sv_commands; *c; c++)
		man_command(f, *c);
	out_close(&o);

	f = out_open(&o, "man/fields.roff");
	fputs(".\\\" Generated from src/core/fields.c by 'make docs': edit "
	      "that, not this.\n",
	      f);
	sv_fields_print(f, true);
	out_close(&o);
}

/* ---- bash ---- */

static void bash_names(FILE *f, const struct sv_option *o)
{
	if (has_short(o))
		fprintf(f, "-%c|", o->id);
	fprintf(f, "--%s", o->name);
}

/* The values of options that take one, by hint: a case on $prev. */
static void bash_values(FILE *f, const struct sv_cmd_doc *doc)
{
	static const char *const action[] = {
		[SV_HINT_NONE] = "return",
		[SV_HINT_FILES] = "COMPREPLY=($(compgen -f -- \"$cur\")); "
				  "return",
		[SV_HINT_PIDS] = "COMPREPLY=($(_sockview_pids)); return",
		[SV_HINT_NETNS] = "COMPREPLY=($(compgen -W \"$(ls /run/netns "
				  "2>/dev/null)\" -- \"$cur\")); return",
	};
	const struct sv_option *o;
	struct optlist l = { .n = 0 };
	bool any = false;
	unsigned h;
	size_t i;
	int n;

	collect(&l, doc);
	for_all_opts(o, &l, i)
		any |= o->arg != NULL;
	if (!any)
		return;
	fputs("\tcase $prev in\n", f);
	for (h = SV_HINT_NONE; h <= SV_HINT_NETNS; h++) {
		n = 0;
		for_all_opts(o, &l, i) {
			if (!o->arg || o->hint != h)
				continue;
			fputs(n++ ? "|" : "\t", f);
			bash_names(f, o);
		}
		if (n)
			fprintf(f, ")\n\t\t%s ;;\n", action[h]);
	}
	fputs("\tesac\n", f);
}

static void bash_command(FILE *f, const struct sv_cmd_doc *doc)
{
	const struct sv_option *o;
	struct optlist l = { .n = 0 };
	size_t i;

	collect(&l, doc);
	fprintf(f, "\n_sockview_%s()\n{\n", doc->name);
	if (doc != &sv_help_doc) {
		bash_values(f, doc);
		fputs("\tif [[ $cur == -* ]]; then\n"
		      "\t\tCOMPREPLY=($(compgen -W \"",
		      f);
		for_all_opts(o, &l, i) {
			if (has_short(o))
				fprintf(f, "-%c ", o->id);
			fprintf(f, "--%s ", o->name);
		}
		fputs("-h --help $1\" -- \"$cur\"))\n\t\treturn\n\tfi\n", f);
	}
	switch (doc->operand_hint) {
	case SV_HINT_FILTER:
		fputs("\tcase $prev in\n\tstate|exclude)\n"
		      "\t\tCOMPREPLY=($(compgen -W \"",
		      f);
		state_words(f, " ");
		fputs("\" -- \"$cur\"))\n\t\treturn ;;\n\tesac\n", f);
		/* fall through */
	case SV_HINT_COMMANDS:
		fputs("\tCOMPREPLY=($(compgen -W \"", f);
		hint_words(f, doc->operand_hint, " ");
		fputs("\" -- \"$cur\"))\n", f);
		break;
	case SV_HINT_PIDS:
		fputs("\tCOMPREPLY=($(_sockview_pids))\n", f);
		break;
	default:
		fputs("\treturn 0\n", f);
		break;
	}
	fputs("}\n", f);
}

/* A sockview option list does not have too: the first word's
 * completion offers list's options and these. */
static bool main_only(const struct sv_option *o)
{
	const struct sv_option *l = sv_opt_find(&sv_list_doc, o->id);

	return !l || strcmp(l->name, o->name) != 0;
}

static void gen_bash(void)
{
	const struct sv_cmd_doc *const *c;
	const struct sv_option *o;
	struct out out;
	FILE *f = out_open(&out, "completions/sockview.bash");

	fprintf(f, "# bash completion for sockview\n# %s\n\n", GENERATED);
	fputs("_sockview_pids()\n{\n\tlocal p\n"
	      "\tfor p in /proc/[0-9]*; do\n\t\tp=${p#/proc/}\n"
	      "\t\t[[ $p == \"$cur\"* ]] && echo \"$p\"\n\tdone\n}\n",
	      f);
	for (c = sv_commands; *c; c++)
		bash_command(f, *c);
	fputs("\n_sockview()\n{\n"
	      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} "
	      "prev=${COMP_WORDS[COMP_CWORD-1]}\n\n"
	      "\tif ((COMP_CWORD == 1)); then\n"
	      "\t\tif [[ $cur == -* ]]; then\n"
	      "\t\t\t# options alone mean list\n"
	      "\t\t\t_sockview_list \"",
	      f);
	for_each_opt(o, &sv_main_doc) {
		if (!main_only(o))
			continue;
		if (has_short(o))
			fprintf(f, "-%c ", o->id);
		fprintf(f, "--%s%s", o->name, o[1].name ? " " : "");
	}
	fputs("\"\n\t\telse\n\t\t\tCOMPREPLY=($(compgen -W \"", f);
	for (c = sv_commands; *c; c++)
		fprintf(f, "%s%s", c == sv_commands ? "" : " ", (*c)->name);
	fputs("\" -- \"$cur\"))\n\t\tfi\n\t\treturn\n\tfi\n"
	      "\tcase ${COMP_WORDS[1]} in\n\t-*) _sockview_list ;;\n",
	      f);
	for (c = sv_commands; *c; c++)
		fprintf(f, "\t%s) _sockview_%s ;;\n", (*c)->name, (*c)->name);
	fputs("\tesac\n}\ncomplete -F _sockview sockview\n", f);
	out_close(&out);
}

/* ---- zsh ---- */

/* Text inside '...' and an _arguments [description]. */
static void zsh_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else if (*s == '[' || *s == ']' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else
			putc(*s, f);
	}
}

static void zsh_option(FILE *f, const struct sv_option *o, const char *indent)
{
	static const char *const action[] = {
		[SV_HINT_NONE] = "",
		[SV_HINT_FILES] = "_files",
		[SV_HINT_PIDS] = "_pids",
		[SV_HINT_NETNS] = "_files -W /run/netns",
	};
	const char *s;

	if (has_short(o))
		fprintf(f, " \\\n%s'(-%c --%s)'{-%c,--%s}'[", indent, o->id,
			o->name, o->id, o->name);
	else
		fprintf(f, " \\\n%s'--%s[", indent, o->name);
	zsh_text(f, o->help);
	putc(']', f);
	if (o->arg) {
		putc(':', f);
		for (s = o->arg; *s; s++)
			putc(tolower((unsigned char)*s), f);
		fprintf(f, ":%s", o->hint <= SV_HINT_NETNS ? action[o->hint]
							   : "");
	}
	putc('\'', f);
}

static void zsh_command(FILE *f, const struct sv_cmd_doc *doc)
{
	const struct sv_option *o;
	struct optlist l = { .n = 0 };
	size_t i;

	collect(&l, doc);
	fprintf(f, "\n_sockview_%s() {\n\t_arguments -s \"$@\"", doc->name);
	for_all_opts(o, &l, i)
		zsh_option(f, o, "\t\t");
	if (doc != &sv_help_doc)
		zsh_option(f, &sv_opt_help, "\t\t");
	switch (doc->operand_hint) {
	case SV_HINT_FILTER:
		fputs(" \\\n\t\t'*:filter:_sockview_filter'", f);
		break;
	case SV_HINT_PIDS:
		fputs(" \\\n\t\t'1:pid:_pids'", f);
		break;
	case SV_HINT_COMMANDS:
		fputs(" \\\n\t\t'1:command:(", f);
		hint_words(f, SV_HINT_COMMANDS, " ");
		fputs(")'", f);
		break;
	default:
		break;
	}
	fputs("\n}\n", f);
}

static void gen_zsh(void)
{
	const struct sv_cmd_doc *const *c;
	const struct sv_option *o;
	struct out out;
	FILE *f = out_open(&out, "completions/_sockview");

	fprintf(f, "#compdef sockview\n# zsh completion for sockview\n# %s\n",
		GENERATED);
	fputs("\n_sockview_filter() {\n"
	      "\tif [[ $words[CURRENT-1] == (state|exclude) ]]; then\n"
	      "\t\tcompadd -- ",
	      f);
	state_words(f, " ");
	fputs("\n\telse\n\t\tcompadd -- ", f);
	hint_words(f, SV_HINT_FILTER, " ");
	fputs("\n\tfi\n}\n", f);
	for (c = sv_commands; *c; c++)
		zsh_command(f, *c);
	fputs("\n_sockview() {\n\tlocal -a commands\n\tcommands=(\n", f);
	for (c = sv_commands; *c; c++) {
		fprintf(f, "\t\t'%s:", (*c)->name);
		zsh_text(f, (*c)->summary);
		fputs("'\n", f);
	}
	fputs("\t)\n\tif (( CURRENT == 2 )); then\n"
	      "\t\tif [[ $words[2] == -* ]]; then\n"
	      "\t\t\t# options alone mean list\n\t\t\t_sockview_list",
	      f);
	for_each_opt(o, &sv_main_doc)
		if (main_only(o))
			zsh_option(f, o, "\t\t\t\t");
	fputs("\n\t\telse\n"
	      "\t\t\t_describe -t commands 'sockview command' commands\n"
	      "\t\tfi\n\t\treturn\n\tfi\n\tcase $words[2] in\n",
	      f);
	for (c = sv_commands; *c; c++)
		fprintf(f, "\t%s) shift words; (( CURRENT-- )); _sockview_%s ;;\n",
			(*c)->name, (*c)->name);
	fputs("\t-*) _sockview_list ;;\n\tesac\n}\n\n_sockview \"$@\"\n", f);
	out_close(&out);
}

/* ---- fish ---- */

static void fish_text(FILE *f, const char *s)
{
	putc('\'', f);
	for (; *s; s++) {
		if (*s == '\'' || *s == '\\')
			putc('\\', f);
		putc(*s, f);
	}
	putc('\'', f);
}

static void fish_option(FILE *f, const char *cond, const struct sv_option *o)
{
	static const char *const action[] = {
		[SV_HINT_NONE] = " -x",
		[SV_HINT_FILES] = " -r -F",
		[SV_HINT_PIDS] = " -x -a '(__fish_complete_pids)'",
		[SV_HINT_NETNS] = " -x -a '(ls /run/netns 2>/dev/null)'",
	};

	fprintf(f, "complete -c sockview -n %s", cond);
	if (has_short(o))
		fprintf(f, " -s %c", o->id);
	fprintf(f, " -l %s", o->name);
	if (o->arg)
		fputs(o->hint <= SV_HINT_NETNS ? action[o->hint] : " -x", f);
	fputs(" -d ", f);
	fish_text(f, o->help);
	putc('\n', f);
}

static void fish_command(FILE *f, const struct sv_cmd_doc *doc)
{
	const struct sv_option *o;
	struct optlist l = { .n = 0 };
	char cond[128];
	size_t i;

	collect(&l, doc);
	snprintf(cond, sizeof(cond), "'__fish_seen_subcommand_from %s'",
		 doc->name);
	fprintf(f, "\n# %s\n", doc->name);
	for_all_opts(o, &l, i)
		fish_option(f, cond, o);
	if (doc != &sv_help_doc)
		fish_option(f, cond, &sv_opt_help);
	switch (doc->operand_hint) {
	case SV_HINT_FILTER:
		fprintf(f, "complete -c sockview -n '__fish_seen_subcommand_from "
			   "%s; and not __fish_prev_arg_in state exclude' -a '",
			doc->name);
		hint_words(f, SV_HINT_FILTER, " ");
		fputs("' -d 'filter word'\n", f);
		fprintf(f, "complete -c sockview -n '__fish_seen_subcommand_from "
			   "%s; and __fish_prev_arg_in state exclude' -a '",
			doc->name);
		state_words(f, " ");
		fputs("' -d 'state'\n", f);
		break;
	case SV_HINT_PIDS:
		fprintf(f, "complete -c sockview -n %s -a "
			   "'(__fish_complete_pids)'\n",
			cond);
		break;
	case SV_HINT_COMMANDS:
		fprintf(f, "complete -c sockview -n %s -a '", cond);
		hint_words(f, SV_HINT_COMMANDS, " ");
		fputs("'\n", f);
		break;
	default:
		break;
	}
}

static void gen_fish(void)
{
	const struct sv_cmd_doc *const *c;
	const struct sv_option *o;
	struct out out;
	FILE *f = out_open(&out, "completions/sockview.fish");
	const char *top = "\"not __fish_seen_subcommand_from $cmds\"";

	fprintf(f, "# fish completion for sockview\n# %s\n", GENERATED);
	fputs("set -l cmds", f);
	for (c = sv_commands; *c; c++)
		fprintf(f, " %s", (*c)->name);
	fputs("\ncomplete -c sockview -f\n", f);
	for (c = sv_commands; *c; c++) {
		fprintf(f, "complete -c sockview -n %s -a %s -d ", top,
			(*c)->name);
		fish_text(f, (*c)->summary);
		putc('\n', f);
	}
	for_each_opt(o, &sv_main_doc)
		fish_option(f, top, o);
	fish_option(f, top, &sv_opt_help);
	for (c = sv_commands; *c; c++)
		fish_command(f, *c);
	out_close(&out);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		die("usage: gendocs DIR (the top of the tree, or where to "
		    "write its generated files)");
	outdir = argv[1];
	gen_man();
	gen_bash();
	gen_zsh();
	gen_fish();
	return 0;
}
