// SPDX-License-Identifier: MIT
/*
 * The option tables: well formed (one id, long name and letter per
 * option), the getopt tables made from them, and the filter words the
 * completions offer are words the parser takes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/options.h"
#include "filter/filter.h"
#include "fixture.h"

static const struct sv_cmd_doc *const all_docs[] = {
	&sv_main_doc,  &sv_list_doc,   &sv_metrics_doc, &sv_serve_doc,
	&sv_watch_doc, &sv_fields_doc, &sv_help_doc,
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void check_doc(const struct sv_cmd_doc *doc)
{
	const struct sv_option *o, *p;
	const struct sv_cmd_doc *b;
	size_t n = 1; /* help */

	for (o = doc->opts; o->name; o++, n++) {
		const char *c;

		/* help is every command's, added by the parser */
		assert_int_not_equal(o->id, 'h');
		assert_string_not_equal(o->name, "help");
		assert_true(o->id > 0);
		if (o->id < SV_OPT_LONG)
			assert_true(isalnum(o->id));
		assert_non_null(o->help);
		/* one short line in --help and the completions */
		assert_true(strlen(o->help) > 0 && strlen(o->help) < 56);
		assert_null(strchr(o->help, '\n'));
		for (c = o->name; *c; c++)
			assert_true(islower((unsigned char)*c) ||
				    isdigit((unsigned char)*c) || *c == '-');
		if (o->arg)
			for (c = o->arg; *c; c++)
				assert_true(isupper((unsigned char)*c) ||
					    *c == ':');
		else
			assert_int_equal(o->hint, SV_HINT_NONE);
		/* roff: a dash is \-, and no line starts a stray request */
		if (o->man)
			assert_null(strstr(o->man, "\n\n"));
		for (p = doc->opts; p != o; p++) {
			assert_int_not_equal(p->id, o->id);
			assert_string_not_equal(p->name, o->name);
		}
		/* nor any of a base command's */
		if (doc->base)
			assert_null(sv_opt_find(doc->base, o->id));
		for (b = doc->base; b; b = b->base)
			for (p = b->opts; p->name; p++)
				assert_string_not_equal(p->name, o->name);
	}
	for (b = doc->base; b; b = b->base)
		for (p = b->opts; p->name; p++)
			n++;
	assert_true(n <= SV_OPTS_MAX);
}

static void test_tables_well_formed(void **state)
{
	const struct sv_cmd_doc *const *c;
	size_t i, n = 0;

	(void)state;
	for (i = 0; i < COUNT(all_docs); i++)
		check_doc(all_docs[i]);
	for (c = sv_commands; *c; c++, n++) {
		assert_non_null((*c)->name);
		assert_non_null((*c)->summary);
	}
	/* main.c runs list, metrics, serve, watch, fields; help is main's */
	assert_int_equal(n, 6);
}

/* The getopt tables parse what the docs describe. */
static void test_getopt_from_table(void **state)
{
	char a0[] = "list", a1[] = "-tF", a2[] = "f.txt", a3[] = "--jsonl",
	     a4[] = "--netns-pid=42", a5[] = "--resolve-timeout", a6[] = "3",
	     a7[] = "dport", a8[] = "-a";
	char *argv[] = { a0, a1, a2, a3, a4, a5, a6, a7, a8, NULL };
	int argc = 9, c, seen[8] = { 0 }, n = 0;
	struct sv_getopt g;

	(void)state;
	sv_getopt_init(&g, &sv_list_doc);
	assert_int_equal(g.shortopts[0], ':');
	assert_non_null(strstr(g.shortopts, "F:"));
	assert_non_null(strchr(g.shortopts, 'h'));
	while ((c = sv_getopt_next(&g, argc, argv)) != -1) {
		assert_true(n < 8);
		seen[n++] = c;
		if (c == 'F')
			assert_string_equal(optarg, "f.txt");
		if (c == SV_OPT_NETNS_PID)
			assert_string_equal(optarg, "42");
		if (c == SV_OPT_RESOLVE_TIMEOUT)
			assert_string_equal(optarg, "3");
	}
	assert_int_equal(n, 6);
	assert_int_equal(seen[0], 't');
	assert_int_equal(seen[1], 'F');
	assert_int_equal(seen[2], SV_OPT_JSONL);
	assert_int_equal(seen[3], SV_OPT_NETNS_PID);
	assert_int_equal(seen[4], SV_OPT_RESOLVE_TIMEOUT);
	assert_int_equal(seen[5], 'a');
	/* the operand, permuted to the end */
	assert_int_equal(optind, argc - 1);
	assert_string_equal(argv[optind], "dport");
}

static void test_opt_word(void **state)
{
	(void)state;
	assert_int_equal(sv_opt_word(&sv_main_doc, "-V"), 'V');
	assert_int_equal(sv_opt_word(&sv_main_doc, "--version"), 'V');
	assert_int_equal(sv_opt_word(&sv_main_doc, "--help"), 'h');
	assert_int_equal(sv_opt_word(&sv_main_doc, "-h"), 'h');
	assert_int_equal(sv_opt_word(&sv_main_doc, "--vers"), 0);
	assert_int_equal(sv_opt_word(&sv_main_doc, "-Vh"), 0);
	assert_int_equal(sv_opt_word(&sv_main_doc, "list"), 0);
	assert_int_equal(sv_opt_word(&sv_main_doc, "-t"), 0);
}

static int no_lookup(const char *name, const struct addrinfo *hints,
		     struct addrinfo **res)
{
	(void)name;
	(void)hints;
	*res = NULL;
	return EAI_NONAME;
}

static int parses(const char *text)
{
	struct sv_filter_error err;
	struct sv_filter *f = NULL;
	int ret = sv_filter_parse_string(text, &f, &err);

	sv_filter_free(f);
	return ret == 0;
}

/* What completion offers after `state` is what the parser takes there,
 * and each keyword is one the parser knows. */
static void test_filter_words(void **state)
{
	char text[128];
	const char *w;
	size_t i;

	(void)state;
	for (i = 0; (w = sv_filter_state_word(i)); i++) {
		snprintf(text, sizeof(text), "state %s", w);
		assert_true(parses(text));
		snprintf(text, sizeof(text), "exclude %s", w);
		assert_true(parses(text));
	}
	assert_true(i >= 16);
	/* no word of an expression becomes a DNS query */
	sv_filter_set_lookup(no_lookup);
	for (i = 0; (w = sv_filter_keyword(i)); i++) {
		/* between two conditions a keyword may be incomplete or
		 * wrong, but never unknown */
		struct sv_filter_error err;
		struct sv_filter *f = NULL;
		char unknown[96];

		snprintf(text, sizeof(text), "autobound %s autobound", w);
		snprintf(unknown, sizeof(unknown), "unknown word '%s'", w);
		if (sv_filter_parse_string(text, &f, &err))
			assert_null(strstr(err.msg, unknown));
		sv_filter_free(f);
	}
	sv_filter_set_lookup(NULL);
	assert_true(i >= 17);
	/* the same check tells an unknown word */
	{
		struct sv_filter_error err;
		struct sv_filter *f = NULL;

		assert_int_not_equal(sv_filter_parse_string(
					     "autobound frobnicate autobound",
					     &f, &err),
				     0);
		assert_non_null(strstr(err.msg, "unknown word 'frobnicate'"));
		sv_filter_free(f);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables_well_formed),
		cmocka_unit_test(test_getopt_from_table),
		cmocka_unit_test(test_opt_word),
		cmocka_unit_test(test_filter_words),
	};

	if (unit_filter(argc, argv, tests, UNIT_COUNT(tests)))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
