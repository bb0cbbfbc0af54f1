/* SPDX-License-Identifier: MIT */
#ifndef SV_OPTIONS_H
#define SV_OPTIONS_H

#include <getopt.h>
#include <stdio.h>

/*
 * Every command's options, described once.  The parser's getopt tables,
 * --help, the man page's OPTIONS section and the bash, zsh and fish
 * completions are all made from these tables, so they cannot drift apart.
 *
 * To add an option to a command:
 *   1. add one entry to its table in core/options.c, in the --help group
 *      it belongs to: the short letter (or a new SV_OPT_* below for a
 *      long-only option), the long name, the value's metavar (NULL for
 *      none), what completes the value, a help line and the man text;
 *   2. handle its id in the command's switch (list/list.c,
 *      list/metrics.c, serve/serve.c, watch/watch.c);
 *   3. `make docs` regenerates the man page section and the completions;
 *      `make check` fails while they are stale.
 * -h, --help is added to every command by the parser: leave it out.
 */

/* Ids of long-only options: past every short letter. */
enum sv_opt_id {
	SV_OPT_LONG = 256,
	SV_OPT_JSON = SV_OPT_LONG,
	SV_OPT_JSONL,
	SV_OPT_NETNS,
	SV_OPT_NETNS_PID,
	SV_OPT_RESOLVER_THREADS,
	SV_OPT_RESOLVE_TIMEOUT,
	SV_OPT_SAVE,
	SV_OPT_LOAD,
	SV_OPT_INTERVAL,
	SV_OPT_COUNT,
	SV_OPT_DURATION,
	SV_OPT_ROFF,
	SV_OPT_TOP,
	SV_OPT_PER_SOCKET,
	SV_OPT_MAX_SERIES,
	SV_OPT_OPENMETRICS,
	SV_OPT_LISTEN,
	SV_OPT_SCRAPE_TIMEOUT,
	SV_OPT_MAX_CONNECTIONS,
	SV_OPT_ALL_NETNS,
	SV_OPT_SAMPLES,
	SV_OPT_EVENTS,
	SV_OPT_EDGE_RATE,
};

/* serve's port when --listen names none: outside 9100-9999, the range
 * Prometheus' list of exporter ports has given out entirely. */
#define SV_SERVE_PORT 19153

/* What completes an option's value or a command's operands. */
enum sv_hint {
	SV_HINT_NONE,	  /* nothing to offer (a number, a word) */
	SV_HINT_FILES,	  /* file names */
	SV_HINT_PIDS,	  /* process ids */
	SV_HINT_NETNS,	  /* names in /run/netns */
	SV_HINT_FILTER,	  /* filter keywords; state names after state */
	SV_HINT_COMMANDS, /* the names of the commands */
};

struct sv_option {
	int id;		    /* the short letter, or SV_OPT_* when long-only */
	const char *name;   /* long name, without the dashes */
	const char *arg;    /* the value's metavar ("FILE"), NULL: no value */
	enum sv_hint hint;  /* what completes the value */
	const char *group;  /* a --help heading this option starts, or NULL */
	const char *help;   /* one short line for --help and completions */
	const char *man;    /* the man page's paragraph (roff), NULL: help */
};

struct sv_cmd_doc {
	const char *name;     /* "list"; NULL for sockview itself */
	const char *operands; /* after [OPTIONS] in the usage line */
	const char *summary;  /* its line in `sockview --help` */
	const char *about;    /* --help: the paragraph under the usage line */
	const char *footer;   /* --help: text after the options, or NULL */
	const char *man;      /* man OPTIONS: roff before the options, or NULL */
	enum sv_hint operand_hint;
	const struct sv_option *opts; /* ends with an entry named NULL */
	/* A command built on another takes its options too, first (ids
	 * stay unique across the chain); its --help lists its own and
	 * those of the commands between it and the root of the chain. */
	const struct sv_cmd_doc *base;
};

extern const struct sv_cmd_doc sv_main_doc;
extern const struct sv_cmd_doc sv_list_doc;
extern const struct sv_cmd_doc sv_metrics_doc;
extern const struct sv_cmd_doc sv_serve_doc;
extern const struct sv_cmd_doc sv_watch_doc;
extern const struct sv_cmd_doc sv_fields_doc;
extern const struct sv_cmd_doc sv_help_doc;
/* The commands in `sockview --help` order, NULL-terminated. */
extern const struct sv_cmd_doc *const sv_commands[];

/* The help entry every command has. */
extern const struct sv_option sv_opt_help;

/* Most options a command may have, help included. */
#define SV_OPTS_MAX 48

/* A command's getopt_long tables, made from its doc. */
struct sv_getopt {
	const struct sv_cmd_doc *doc;
	char shortopts[2 * SV_OPTS_MAX + 2];
	struct option longopts[SV_OPTS_MAX + 1];
};

void sv_getopt_init(struct sv_getopt *g, const struct sv_cmd_doc *doc);

/*
 * The next option's id (its short letter or SV_OPT_*), its value in
 * optarg; -1 when the options end, optind then indexes the first operand.
 * A usage error ends the program with one line saying what is wrong; -h
 * or --help prints the command's help and exits 0.
 */
int sv_getopt_next(struct sv_getopt *g, int argc, char **argv);

/* The entry of an option by id, base commands' too, or NULL. */
const struct sv_option *sv_opt_find(const struct sv_cmd_doc *doc, int id);

/* The id of the option a whole word spells ("-V", "--version"), or 0:
 * for sockview's own options, which come before any command. */
int sv_opt_word(const struct sv_cmd_doc *doc, const char *word);

/* The command's --help text. */
void sv_cmd_usage(const struct sv_cmd_doc *doc, FILE *f);

#endif
