// SPDX-License-Identifier: MIT
/*
 * The filter language: parsing, state masks, the user-space check, and
 * the kernel bytecode -- run through the model of the kernel's
 * inet_diag_bc_audit()/inet_diag_bc_run() in tests/common/bcmodel.c,
 * and through the real
 * kernel in a private network namespace when we are root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/bcmodel.h"
#include "filter/filter.h"
#include "fixture.h"
#include "sys/diag.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static struct sv_filter *parse_ok(const char *text)
{
	struct sv_filter_error err;
	struct sv_filter *f = NULL;
	int ret = sv_filter_parse_string(text, &f, &err);

	if (ret)
		fail_msg("parse '%s': %d %s", text, ret, err.msg);
	assert_non_null(f);
	return f;
}

static void expect_tree(const char *text, const char *want)
{
	struct sv_filter *f = parse_ok(text);
	char got[512];

	sv_filter_format(f, got, sizeof(got));
	if (strcmp(got, want) != 0)
		fail_msg("'%s': got '%s', want '%s'", text, got, want);
	sv_filter_free(f);
}

static void expect_error(const char *text, const char *want)
{
	struct sv_filter_error err;
	struct sv_filter *f = (struct sv_filter *)1;
	int ret = sv_filter_parse_string(text, &f, &err);

	if (ret != -EINVAL)
		fail_msg("'%s': want -EINVAL, got %d", text, ret);
	assert_null(f);
	if (strcmp(err.msg, want) != 0)
		fail_msg("'%s': got \"%s\", want \"%s\"", text, err.msg, want);
}

/* ---- Parsing ---- */

static void test_port_operators(void **state)
{
	static const char *const forms[][2] = {
		{"dport = :443", "dport = 443"},
		{"dport == :443", "dport = 443"},
		{"dport eq :443", "dport = 443"},
		{"dport :443", "dport = 443"},
		{"dport 443", "dport = 443"},
		{"dport = *:443", "dport = 443"},
		{"dport != :443", "dport != 443"},
		{"dport ne :443", "dport != 443"},
		{"dport neq 443", "dport != 443"},
		{"sport < :1024", "sport < 1024"},
		{"sport lt 1024", "sport < 1024"},
		{"sport <= :1024", "sport <= 1024"},
		{"sport le :1024", "sport <= 1024"},
		{"sport > :1024", "sport > 1024"},
		{"sport gt :1024", "sport > 1024"},
		{"sport >= :1024", "sport >= 1024"},
		{"sport ge :1024", "sport >= 1024"},
		{"sport = :ssh", "sport = 22"},
		{"sport>=:1024", "sport >= 1024"},
		{"dport=:0", "dport = 0"},
		{"dport = :65535", "dport = 65535"},
		/* as ss reads them: geq/leq, ports in hex or octal, "*" */
		{"sport geq :1024", "sport >= 1024"},
		{"sport leq :1024", "sport <= 1024"},
		{"dport = :0x50", "dport = 80"},
		{"dport = 0x1bb", "dport = 443"},
		{"dport = :010", "dport = 8"},
		{"dport = :*", "dport = *"},
		{"dport = *", "dport = *"},
		{"dport != *:*", "dport != *"},
		{"dport = :", "dport = *"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(forms); i++)
		expect_tree(forms[i][0], forms[i][1]);
}

/*
 * Names in test_addresses come from this table, not from the host's
 * /etc/hosts, which may or may not map localhost to ::1 as well.
 */
static bool hosts_v6;

static int hosts_lookup(const char *name, const struct addrinfo *hints,
			struct addrinfo **res)
{
	struct addrinfo h = *hints, *v4 = NULL, *v6 = NULL;
	int fam = hints->ai_family;

	if (strcmp(name, "localhost") != 0)
		return EAI_NONAME;
	h.ai_flags |= AI_NUMERICHOST;
	if (fam != AF_INET6 && getaddrinfo("127.0.0.1", NULL, &h, &v4))
		return EAI_FAIL;
	if (fam != AF_INET && hosts_v6 &&
	    getaddrinfo("::1", NULL, &h, &v6)) {
		freeaddrinfo(v4);
		return EAI_FAIL;
	}
	if (!v4 && !v6)
		return EAI_NONAME;
	if (v4) {
		/* glibc frees a chain node by node: two chains join */
		struct addrinfo *last = v4;

		while (last->ai_next)
			last = last->ai_next;
		last->ai_next = v6;
	}
	*res = v4 ? v4 : v6;
	return 0;
}

static void test_addresses(void **state)
{
	static const char *const forms[][2] = {
		{"dst 10.0.0.0/8", "dst 10.0.0.0/8:*"},
		{"dst = 10.0.0.0/8", "dst 10.0.0.0/8:*"},
		{"dst != 10.0.0.0/8", "(not dst 10.0.0.0/8:*)"},
		{"src 127.0.0.1:80", "src 127.0.0.1/32:80"},
		{"src 127.0.0.1/8:http", "src 127.0.0.1/8:80"},
		{"dst [::1]:443", "dst [::1]/128:443"},
		{"dst [::1]", "dst [::1]/128:*"},
		{"dst ::1", "dst [::1]/128:*"},
		{"dst [2001:db8::]/32", "dst [2001:db8::]/32:*"},
		{"dst [2001:db8::/32]:80", "dst [2001:db8::]/32:80"},
		{"dst 2001:db8::/32", "dst [2001:db8::]/32:*"},
		{"src *:80", "src */0:80"},
		{"src :80", "src */0:80"},
		{"src *", "src */0:*"},
		{"src *:*", "src */0:*"},
		{"src inet:*:80", "src inet:0.0.0.0/0:80"},
		{"src inet6:*", "src inet6:[::]/0:*"},
		{"dst inet6:[::1]:22", "dst inet6:[::1]/128:22"},
		{"dst inet:10.1.2.3", "dst inet:10.1.2.3/32:*"},
		{"src /run/x.sock", "src unix:/run/x.sock"},
		{"src unix:@abstract", "src unix:@abstract"},
		{"src @abs*", "src unix:@abs*"},
		{"dst localhost:22", "dst 127.0.0.1/32:22"},
		/* iproute2's reading of short IPv4 forms and netmasks */
		{"dst 10/8", "dst 10.0.0.0/8:*"},
		{"dst 193.233.7/24", "dst 193.233.7.0/24:*"},
		{"dst 127.1", "dst 127.1.0.0/32:*"},
		{"dst 0x7f.1", "dst 127.1.0.0/32:*"},
		{"dst 010.1.2.3", "dst 8.1.2.3/32:*"},
		{"dst 10.0.0.1/255.255.255.0", "dst 10.0.0.1/24:*"},
		{"dst 10.0.0.1/255.255.255.255", "dst 10.0.0.1/32:*"},
		{"dst 10.0.0.1/0.0.0.0", "dst 10.0.0.1/0:*"},
		{"dst 10.0.0.1/0x10", "dst 10.0.0.1/16:*"},
		{"dst 10.0.0.1:", "dst 10.0.0.1/32:*"},
		{"dst 10.0.0.1:0x50", "dst 10.0.0.1/32:80"},
		{"dst [10.0.0.1]", "dst 10.0.0.1/32:*"},
		{"dst [10.0.0.1]:80", "dst 10.0.0.1/32:80"},
		{"dst [10.0.0.0/8]:80", "dst 10.0.0.0/8:80"},
		{"dst [::1]:", "dst [::1]/128:*"},
		{"src 10.0.0.1:*", "src 10.0.0.1/32:*"},
		{"src inet:10/8", "src inet:10.0.0.0/8:*"},
		{"src inet6:[::1]", "src inet6:[::1]/128:*"},
	};
	struct sv_filter *f;
	char got[512];
	size_t i;

	(void)state;
	hosts_v6 = false;
	sv_filter_set_lookup(hosts_lookup);
	for (i = 0; i < COUNT(forms); i++)
		expect_tree(forms[i][0], forms[i][1]);
	/* Debian's stock /etc/hosts: localhost is ::1 too, either matches
	 * (in either order) */
	hosts_v6 = true;
	f = parse_ok("dst localhost:22");
	sv_filter_format(f, got, sizeof(got));
	if (strcmp(got, "(or dst 127.0.0.1/32:22 dst [::1]/128:22)") != 0 &&
	    strcmp(got, "(or dst [::1]/128:22 dst 127.0.0.1/32:22)") != 0)
		fail_msg("localhost as 127.0.0.1 and ::1: got '%s'", got);
	sv_filter_free(f);
	expect_tree("dst inet:localhost", "dst inet:127.0.0.1/32:*");
}

static int lookup_default(void **state)
{
	(void)state;
	sv_filter_set_lookup(NULL);
	return 0;
}

static void test_other_conditions(void **state)
{
	char want[64];
	struct stat st;
	unsigned lo = if_nametoindex("lo");

	(void)state;
	expect_tree("dev 3", "dev 3");
	if (lo) {
		snprintf(want, sizeof(want), "dev %u", lo);
		expect_tree("dev lo", want);
		expect_tree("dev = lo", want);
		snprintf(want, sizeof(want), "(not dev %u)", lo);
		expect_tree("dev != lo", want);
	}
	expect_tree("fwmark 0x10/0xff", "fwmark 0x10/0xff");
	expect_tree("fwmark = 5", "fwmark 0x5/0xffffffff");
	expect_tree("autobound", "autobound");
	expect_tree("pid 42", "pid 42");
	expect_tree("pid = 42", "pid 42");
	expect_tree("comm nginx", "comm nginx");
	expect_tree("comm \"my prog\"", "comm my prog");
	expect_tree("comm 'and'", "comm and");
	expect_tree("uid 1000", "uid 1000");
	expect_tree("uid root", "uid 0");
	expect_tree("inode 123456789012", "inode 123456789012");
	expect_tree("", "true");
	expect_tree("  # only a comment\n", "true");
	expect_tree("sport = :1 # why\n or sport = :2",
		    "(or sport = 1 sport = 2)");

	/* the cgroup v2 id is its directory's inode number */
	{
		char root[4096] = "/sys/fs/cgroup", line[4096];
		FILE *fp = fopen("/proc/self/mountinfo", "r");

		while (fp && fgets(line, sizeof(line), fp))
			if (strstr(line, " - cgroup2 ") &&
			    sscanf(line, "%*s %*s %*s %*s %4095s", root) == 1)
				break;
		if (fp)
			fclose(fp);
		if (stat(root, &st) == 0) {
			snprintf(want, sizeof(want), "cgroup %llu",
				 (unsigned long long)st.st_ino);
			expect_tree("cgroup /", want);
			expect_tree("cgroup = /", want);
		}
	}
}

static void test_precedence(void **state)
{
	(void)state;
	expect_tree("sport = :1 or sport = :2 and sport = :3",
		    "(or sport = 1 (and sport = 2 sport = 3))");
	expect_tree("sport = :1 and sport = :2 or sport = :3",
		    "(or (and sport = 1 sport = 2) sport = 3)");
	expect_tree("not sport = :1 and sport = :2",
		    "(and (not sport = 1) sport = 2)");
	expect_tree("! ( sport = :1 || sport = :2 ) && dport = :3",
		    "(and (not (or sport = 1 sport = 2)) dport = 3)");
	expect_tree("sport = :1 dport = :2", "(and sport = 1 dport = 2)");
	expect_tree("sport = :1 or sport = :2 or sport = :3",
		    "(or (or sport = 1 sport = 2) sport = 3)");
	expect_tree("not not sport = :1", "(not (not sport = 1))");
	/* a single & or | is and, or, as in ss */
	expect_tree("sport = :1 | sport = :2 & sport = :3",
		    "(or sport = 1 (and sport = 2 sport = 3))");
	expect_tree("sport=:1|sport=:2", "(or sport = 1 sport = 2)");
	expect_tree("sport = :1&dport = :2", "(and sport = 1 dport = 2)");
	expect_tree("!dport = :1", "(not dport = 1)");
	expect_tree("(dport=:443||sport=:8080)",
		    "(or dport = 443 sport = 8080)");
	expect_tree("((dport = :1))", "dport = 1");
	expect_tree("sport = :1 ( dport = :2 or dport = :3 ) autobound",
		    "(and (and sport = 1 (or dport = 2 dport = 3)) autobound)");
	expect_tree(
		"not dport = :1 or not dport = :2 and not dport = :3",
		"(or (not dport = 1) (and (not dport = 2) (not dport = 3)))");
}

static void test_argv_words(void **state)
{
	char *words[] = {"state", "established", "( dport = :443", "or",
			 "sport", "=",		 ":8080",	   ")"};
	char *bad[] = {"dport", "=", ":443", ")"};
	char *bad2[] = {"dport = :443", "or", "frob"};
	struct sv_filter_error err;
	struct sv_filter *f;
	char got[256];

	(void)state;
	assert_int_equal(sv_filter_parse_argv(COUNT(words), words, &f, &err),
			 0);
	sv_filter_format(f, got, sizeof(got));
	assert_string_equal(got, "(or dport = 443 sport = 8080)");
	assert_int_equal(sv_filter_states(f, 0), SV_SF(SV_TCP_ESTABLISHED));
	sv_filter_free(f);

	assert_int_equal(sv_filter_parse_argv(COUNT(bad), bad, &f, &err),
			 -EINVAL);
	assert_string_equal(err.msg, "filter: unexpected ')' at position 14");
	assert_int_equal(sv_filter_parse_argv(COUNT(bad2), bad2, &f, &err),
			 -EINVAL);
	assert_string_equal(err.msg,
			    "filter: unknown word 'frob' at position 17");
	assert_int_equal(sv_filter_parse_argv(0, NULL, &f, &err), 0);
	assert_true(sv_filter_match(f, &(struct sv_sock){0}, NULL, 0));
	sv_filter_free(f);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("dport = :443 )", "filter: unexpected ')' at position 14");
	expect_error("( dport = :443",
		     "filter: missing ')' for '(' at position 1");
	expect_error("()", "filter: unexpected ')' at position 2");
	expect_error("dport = :99999",
		     "filter: bad port ':99999' at position 9");
	expect_error("sport = :nosuchservice",
		     "filter: bad port ':nosuchservice' at position 9");
	expect_error("frob", "filter: unknown word 'frob' at position 1");
	expect_error("dport = :1 and",
		     "filter: unexpected end of expression after 'and' at "
		     "position 12");
	expect_error("not", "filter: unexpected end of expression after "
			    "'not' at position 1");
	expect_error("dport", "filter: missing value after 'dport' at "
			      "position 1");
	expect_error("dport =",
		     "filter: missing value after '=' at position 7");
	expect_error("dport = )", "filter: unexpected ')' at position 9");
	expect_error("src 1.2.3.4/33",
		     "filter: bad address '1.2.3.4/33' at position 5");
	expect_error("src [::1", "filter: bad address '[::1' at position 5");
	expect_error("src 1.2.3.4:99999",
		     "filter: bad port '99999' at position 5");
	expect_error("state bogus",
		     "filter: unknown state 'bogus' at position 7");
	expect_error("sport = :1 or state listening",
		     "filter: 'state' cannot be used under 'or' or 'not' at "
		     "position 15");
	expect_error("not state listening",
		     "filter: 'state' cannot be used under 'or' or 'not' at "
		     "position 5");
	expect_error("dev nosuchdev0",
		     "filter: no such device 'nosuchdev0' at position 5");
	expect_error("dev 0", "filter: no such device '0' at position 5");
	expect_error("fwmark x", "filter: bad mark 'x' at position 8");
	expect_error("fwmark 1/0x1ffffffff",
		     "filter: bad mark '1/0x1ffffffff' at position 8");
	expect_error("cgroup /nonexistent-cgroup-xyz",
		     "filter: bad cgroup '/nonexistent-cgroup-xyz' at position "
		     "8: No such file or directory");
	expect_error("pid x", "filter: bad number 'x' at position 5");
	expect_error("uid nosuchuser-xyz",
		     "filter: bad number 'nosuchuser-xyz' at position 5");
	expect_error("sport = :1 & | dport = :2",
		     "filter: unexpected '|' at position 14");
	expect_error("dport < *", "filter: bad port '*' at position 9");
	expect_error("dport = :0x10000",
		     "filter: bad port ':0x10000' at position 9");
	expect_error("dst 10.0.0.1/255.0.255.0",
		     "filter: bad address '10.0.0.1/255.0.255.0' at position 5");
	expect_error("dst 10.256", "filter: bad address '10.256' at position 5");
	expect_error("dst inet:[::1]",
		     "filter: bad address 'inet:[::1]' at position 5");
	expect_error("comm \"unterminated",
		     "filter: unterminated quote at position 6");
	expect_error("\"dport\" = :1",
		     "filter: unexpected 'dport' at position 1");
	/* the resolver's own words vary with the network: check ours */
	{
		static const char want[] =
			"filter: cannot resolve "
			"'nonexistent.invalid' at position 5: ";
		struct sv_filter_error err;
		struct sv_filter *f;

		assert_int_equal(sv_filter_parse_string(
					 "src nonexistent.invalid", &f, &err),
				 -EINVAL);
		assert_memory_equal(err.msg, want, sizeof(want) - 1);
	}
}

static void test_limits(void **state)
{
	char *text = malloc(200000);
	size_t i;

	(void)state;
	text[0] = '\0';
	for (i = 0; i < 300; i++)
		strcat(text, "(");
	expect_error(text, "filter: too deeply nested at position 201");
	text[0] = '\0';
	for (i = 0; i < 300; i++)
		strcat(text, "not ");
	strcat(text, "autobound");
	expect_error(text, "filter: too deeply nested at position 801");
	text[0] = '\0';
	for (i = 0; i < 20001; i++)
		strcat(text, "( ");
	expect_error(text, "filter: expression too long at position 40001");
	/* the longest accepted chain still compiles and frees */
	text[0] = '\0';
	for (i = 0; i < 9999; i++)
		strcat(text, "autobound or ");
	strcat(text, "autobound");
	{
		struct sv_filter *f = parse_ok(text);
		size_t len;
		bool exact;
		void *bc;

		struct sv_sock s = {.family = AF_INET};
		char *tree = malloc(200000);

		/* 10000 x (op + jump) is past the attribute's limit */
		assert_int_equal(
			sv_filter_bytecode(f, AF_INET, &bc, &len, &exact), 0);
		assert_int_equal(len, 0);
		assert_false(exact);
		assert_true(sv_filter_match(f, &s, NULL, 0));
		assert_true(sv_filter_format(f, tree, 200000) > 100000);
		free(tree);
		sv_filter_free(f);
	}
	text[0] = '\0';
	for (i = 0; i < 8000; i++)
		strcat(text, "autobound or ");
	strcat(text, "autobound");
	{
		struct sv_filter *f = parse_ok(text);
		size_t len;
		bool exact;
		void *bc;

		assert_int_equal(
			sv_filter_bytecode(f, AF_INET, &bc, &len, &exact), 0);
		assert_int_equal(len, 8001 * 8 - 4);
		assert_int_equal(bcmodel_audit(bc, (int)len, true), 0);
		free(bc);
		sv_filter_free(f);
	}
	free(text);
}

static void test_state_masks(void **state)
{
	static const struct {
		const char *text;
		uint32_t mask;
	} cases[] = {
		{"state established", SV_SF(SV_TCP_ESTABLISHED)},
		{"state ESTABLISHED", SV_SF(SV_TCP_ESTABLISHED)},
		{"state syn-sent", SV_SF(SV_TCP_SYN_SENT)},
		{"state syn-recv",
		 SV_SF(SV_TCP_SYN_RECV) | SV_SF(SV_TCP_NEW_SYN_RECV)},
		{"state fin-wait-1", SV_SF(SV_TCP_FIN_WAIT1)},
		{"state fin-wait-2", SV_SF(SV_TCP_FIN_WAIT2)},
		{"state time-wait", SV_SF(SV_TCP_TIME_WAIT)},
		{"state closed", SV_SF(SV_TCP_CLOSE)},
		{"state close", SV_SF(SV_TCP_CLOSE)},
		{"state unconnected", SV_SF(SV_TCP_CLOSE)},
		{"state close-wait", SV_SF(SV_TCP_CLOSE_WAIT)},
		{"state last-ack", SV_SF(SV_TCP_LAST_ACK)},
		{"state listening", SV_SF(SV_TCP_LISTEN)},
		{"state closing", SV_SF(SV_TCP_CLOSING)},
		{"state all", SV_STATES_ALL},
		{"state connected",
		 SV_STATES_ALL & ~(SV_SF(SV_TCP_LISTEN) | SV_SF(SV_TCP_CLOSE))},
		{"state synchronized",
		 SV_STATES_ALL & ~(SV_SF(SV_TCP_LISTEN) | SV_SF(SV_TCP_CLOSE) |
				   SV_SF(SV_TCP_SYN_SENT))},
		{"state bucket", SV_SF(SV_TCP_SYN_RECV) |
					 SV_SF(SV_TCP_NEW_SYN_RECV) |
					 SV_SF(SV_TCP_TIME_WAIT)},
		{"state big", SV_STATES_ALL & ~(SV_SF(SV_TCP_SYN_RECV) |
						SV_SF(SV_TCP_NEW_SYN_RECV) |
						SV_SF(SV_TCP_TIME_WAIT))},
		{"state listening state established",
		 SV_SF(SV_TCP_LISTEN) | SV_SF(SV_TCP_ESTABLISHED)},
		{"exclude listening", SV_STATES_ALL & ~SV_SF(SV_TCP_LISTEN)},
		{"excl listening", SV_STATES_ALL & ~SV_SF(SV_TCP_LISTEN)},
		{"state connected exclude time-wait",
		 SV_STATES_ALL & ~(SV_SF(SV_TCP_LISTEN) | SV_SF(SV_TCP_CLOSE) |
				   SV_SF(SV_TCP_TIME_WAIT))},
		{"exclude bucket state listening",
		 (SV_STATES_ALL &
		  ~(SV_SF(SV_TCP_SYN_RECV) | SV_SF(SV_TCP_NEW_SYN_RECV) |
		    SV_SF(SV_TCP_TIME_WAIT))) |
			 SV_SF(SV_TCP_LISTEN)},
		{"sport = :22 and state listening", SV_SF(SV_TCP_LISTEN)},
		{"( state listening sport = :22 )", SV_SF(SV_TCP_LISTEN)},
	};
	struct sv_sock s = {.family = AF_INET, .has = SV_HAS_PORTS};
	struct sv_filter *f;
	char got[128];
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(cases); i++) {
		f = parse_ok(cases[i].text);
		if (sv_filter_states(f, 0xdead) != cases[i].mask)
			fail_msg("'%s': mask 0x%x, want 0x%x", cases[i].text,
				 sv_filter_states(f, 0xdead), cases[i].mask);
		sv_filter_free(f);
	}
	f = parse_ok("sport = :22");
	assert_int_equal(sv_filter_states(f, 0xdead), 0xdead);
	sv_filter_free(f);

	/* state clauses leave no trace in the tree; match honours them */
	f = parse_ok("state listening sport = :22");
	sv_filter_format(f, got, sizeof(got));
	assert_string_equal(got, "sport = 22");
	s.local.port = 22;
	s.state = SV_TCP_LISTEN;
	assert_true(sv_filter_match(f, &s, NULL, 0));
	s.state = SV_TCP_ESTABLISHED;
	assert_false(sv_filter_match(f, &s, NULL, 0));
	sv_filter_free(f);
	f = parse_ok("state syn-recv");
	s.state = SV_TCP_NEW_SYN_RECV;
	assert_true(sv_filter_match(f, &s, NULL, 0));
	sv_filter_free(f);
}

/* ---- The user-space check ---- */

static void inet_sock(struct sv_sock *s, int family, const char *src, int sport,
		      const char *dst, int dport)
{
	memset(s, 0, sizeof(*s));
	s->family = (uint8_t)family;
	s->proto = SV_PROTO_TCP;
	s->state = SV_TCP_ESTABLISHED;
	s->has = SV_HAS_PORTS | SV_HAS_UID | SV_HAS_INODE | SV_HAS_MARK;
	inet_pton(family, src, s->local.addr);
	inet_pton(family, dst, s->peer.addr);
	s->local.port = (uint16_t)sport;
	s->peer.port = (uint16_t)dport;
}

static bool match_text(const char *text, const struct sv_sock *s,
		       const struct sv_proc_ref *procs, size_t n)
{
	struct sv_filter *f = parse_ok(text);
	bool r = sv_filter_match(f, s, procs, n);

	sv_filter_free(f);
	return r;
}

static void test_match_inet(void **state)
{
	struct sv_proc_ref procs[] = { { .pid = 10, .comm = "sshd" },
				       { .pid = 11, .comm = "nginx" } };
	struct sv_sock s;

	(void)state;
	inet_sock(&s, AF_INET, "10.1.2.3", 443, "192.168.7.9", 50000);
	s.uid = 1000;
	s.inode = 777;
	s.mark = 0x12;
	s.ifindex = 2;
	assert_true(match_text("sport = :443", &s, NULL, 0));
	assert_true(match_text("src 10.0.0.0/8", &s, NULL, 0));
	assert_false(match_text("src 11.0.0.0/8", &s, NULL, 0));
	assert_true(match_text("src 10.1.2.0/23:443", &s, NULL, 0));
	assert_false(match_text("src 10.1.2.0/23:444", &s, NULL, 0));
	assert_true(match_text("dst 192.168.7.9/31", &s, NULL, 0));
	assert_false(match_text("dst ::/0", &s, NULL, 0));
	assert_true(match_text("dst *:50000", &s, NULL, 0));
	assert_true(
		match_text("dport > :49999 and dport < :50001", &s, NULL, 0));
	assert_true(match_text("uid 1000 and inode 777", &s, NULL, 0));
	assert_true(match_text("fwmark 0x2/0xf", &s, NULL, 0));
	assert_false(match_text("fwmark 0x12/0xf", &s, NULL, 0));
	assert_true(match_text("dev 2", &s, NULL, 0));
	assert_true(match_text("pid 11", &s, procs, 2));
	assert_false(match_text("pid 12", &s, procs, 2));
	assert_true(match_text("comm ngi*", &s, procs, 2));
	assert_false(match_text("comm apache", &s, procs, 2));
	assert_false(match_text("comm apache", &s, procs, 0));
	/* processes not known: user space cannot say no */
	assert_true(match_text("comm apache", &s, NULL, 0));
	assert_true(match_text("not comm apache", &s, NULL, 0));
	assert_false(match_text("comm apache and sport = :1", &s, NULL, 0));
	/* marks not reported, autobound never: the kernel's verdict */
	s.has &= ~SV_HAS_MARK;
	assert_true(match_text("fwmark 0x99", &s, NULL, 0));
	assert_true(match_text("autobound", &s, NULL, 0));
	assert_true(match_text("not autobound", &s, NULL, 0));
	assert_false(match_text("autobound and sport = :1", &s, NULL, 0));
	/* a minisock has no owner and no inode */
	s.has &= ~(SV_HAS_UID | SV_HAS_INODE);
	s.uid = 0;
	assert_false(match_text("uid 0", &s, NULL, 0));
	assert_true(match_text("not uid 0", &s, NULL, 0));

	/* IPv4 conditions match v4-mapped addresses, not the reverse */
	inet_sock(&s, AF_INET6, "::ffff:127.0.0.1", 80, "::ffff:10.9.9.9", 5);
	assert_true(match_text("src 127.0.0.1", &s, NULL, 0));
	assert_true(match_text("dst 10.0.0.0/8:5", &s, NULL, 0));
	assert_true(match_text("src [::ffff:127.0.0.1]", &s, NULL, 0));
	assert_true(match_text("src *", &s, NULL, 0));
	/* inet: names the family: a v4-mapped IPv6 socket is not IPv4 */
	assert_false(match_text("src inet:*", &s, NULL, 0));
	assert_false(match_text("src inet:127.0.0.1", &s, NULL, 0));
	assert_true(match_text("src inet6:*", &s, NULL, 0));
	inet_sock(&s, AF_INET, "127.0.0.1", 80, "10.9.9.9", 5);
	assert_false(match_text("src [::ffff:127.0.0.1]", &s, NULL, 0));
	assert_false(match_text("src inet6:*", &s, NULL, 0));
	inet_sock(&s, AF_INET6, "2001:db8::1", 80, "::1", 5);
	assert_false(match_text("src 0.0.0.0/0", &s, NULL, 0));
	assert_true(match_text("src 2001:db8::/33 and dst ::1", &s, NULL, 0));
	assert_false(match_text("src 2001:db9::/32", &s, NULL, 0));
}

static void test_match_unix(void **state)
{
	struct sv_sock s = {0};

	(void)state;
	s.family = AF_UNIX;
	s.proto = SV_PROTO_UNIX;
	s.state = SV_TCP_LISTEN;
	s.has = SV_HAS_PATH | SV_HAS_INODE | SV_HAS_UID;
	s.path = "/run/app/ctl.sock";
	s.path_len = strlen(s.path);
	s.inode = 4242;
	s.uid = 7;
	assert_true(match_text("src /run/app/ctl.sock", &s, NULL, 0));
	assert_true(match_text("src /run/*", &s, NULL, 0));
	assert_false(match_text("src /tmp/*", &s, NULL, 0));
	assert_true(match_text("src unix:/run/app/*", &s, NULL, 0));
	assert_true(match_text("inode 4242 uid 7", &s, NULL, 0));
	assert_true(match_text("state listening", &s, NULL, 0));
	assert_false(match_text("state established", &s, NULL, 0));
	assert_false(match_text("src 127.0.0.1", &s, NULL, 0));
	assert_true(match_text("src *", &s, NULL, 0));
	assert_false(match_text("dst /x", &s, NULL, 0));
	assert_false(match_text("autobound", &s, NULL, 0));
	assert_false(match_text("fwmark 0/0", &s, NULL, 0));
	s.path = "\0"
		 "0001f";
	s.path_len = 6;
	assert_true(match_text("autobound", &s, NULL, 0));
	assert_true(match_text("src @0001f", &s, NULL, 0));
	assert_true(match_text("src @*", &s, NULL, 0));

	/* globs ignore case, as ss(8) says */
	s.path = "/Run/App.SOCK";
	s.path_len = strlen(s.path);
	assert_true(match_text("src /run/app.sock", &s, NULL, 0));
	assert_true(match_text("src /RUN/*.sock", &s, NULL, 0));
	assert_false(match_text("src /run/app.sockx", &s, NULL, 0));

	/* a UNIX socket has no port: no port comparison holds */
	assert_false(match_text("sport = :0", &s, NULL, 0));
	assert_false(match_text("sport != :22", &s, NULL, 0));
	assert_false(match_text("dport < :1024", &s, NULL, 0));
	assert_false(match_text("sport >= :0", &s, NULL, 0));
	assert_false(match_text("sport = *", &s, NULL, 0));
	assert_false(match_text("src *:0", &s, NULL, 0));
	assert_false(match_text("dst *:22", &s, NULL, 0));
	assert_true(match_text("not sport = :22", &s, NULL, 0));
	assert_true(match_text("src *:*", &s, NULL, 0));
}

/* Compiles text for family, audits it, returns the kernel's verdict. */
static bool model_verdict(const struct sv_filter *f, int family,
			  const struct sv_sock *s, bool *exact)
{
	struct bcmodel_entry e;
	size_t len;
	void *bc;
	bool r;

	assert_int_equal(sv_filter_bytecode(f, family, &bc, &len, exact), 0);
	if (!len)
		return true;
	assert_int_equal(bcmodel_audit(bc, (int)len, true), 0);
	bcmodel_entry_of(s, &e);
	r = bcmodel_run(bc, (int)len, &e);
	free(bc);
	return r;
}

/* Does the port-range program pass local port p? */
static bool ports_pass(const uint8_t *bc, size_t len, unsigned p)
{
	struct bcmodel_entry e;

	memset(&e, 0, sizeof(e));
	e.family = AF_INET;
	e.sport = p;
	e.dport = 40000;
	return bcmodel_run(bc, (int)len, &e);
}

/* watch's filter: exactly the ports given while the ranges fit, a
 * superset when they do not, nothing for no port; always audited. */
static void test_port_ranges(void **state)
{
	static const uint16_t few[] = { 8080, 22, 8081, 65535, 0, 22, 443 };
	uint16_t many[4000];
	size_t len, i;
	uint8_t *bc;
	unsigned p;

	(void)state;
	assert_int_equal(sv_filter_port_ranges(few, 7, 3000, &bc, &len), 0);
	assert_int_equal(bcmodel_audit(bc, (int)len, false), 0);
	for (p = 0; p <= 65535; p++) {
		bool want = p == 0 || p == 22 || p == 443 || p == 8080 ||
			    p == 8081 || p == 65535;

		assert_int_equal(ports_pass(bc, len, p), want);
	}
	free(bc);

	assert_int_equal(sv_filter_port_ranges(NULL, 0, 3000, &bc, &len), 0);
	assert_int_equal(bcmodel_audit(bc, (int)len, false), 0);
	for (p = 0; p <= 65535; p += 97)
		assert_false(ports_pass(bc, len, p));
	free(bc);

	/* every other port: 4,000 ranges wanted, 3,000 allowed */
	for (i = 0; i < 4000; i++)
		many[i] = (uint16_t)(1000 + 2 * i);
	assert_int_equal(sv_filter_port_ranges(many, 4000, 3000, &bc, &len),
			 0);
	assert_int_equal(bcmodel_audit(bc, (int)len, false), 0);
	assert_true(len <= 65535);
	for (i = 0; i < 4000; i++)
		assert_true(ports_pass(bc, len, many[i]));
	assert_false(ports_pass(bc, len, 999));
	assert_false(ports_pass(bc, len, 1001));
	assert_false(ports_pass(bc, len, 9000));
	free(bc);

	/* a small limit widens the last range */
	assert_int_equal(sv_filter_port_ranges(few, 7, 2, &bc, &len), 0);
	assert_int_equal(bcmodel_audit(bc, (int)len, false), 0);
	assert_true(ports_pass(bc, len, 0) && ports_pass(bc, len, 443) &&
		    ports_pass(bc, len, 65535) && ports_pass(bc, len, 30000));
	free(bc);
}

static void test_bytecode_shapes(void **state)
{
	struct sv_filter *f;
	struct sv_sock s;
	size_t len;
	bool exact;
	void *bc;

	(void)state;
	/* nothing to ask the kernel */
	f = parse_ok("state listening");
	assert_int_equal(sv_filter_bytecode(f, AF_INET, &bc, &len, &exact), 0);
	assert_int_equal(len, 0);
	assert_true(exact);
	sv_filter_free(f);
	f = parse_ok("src *");
	assert_int_equal(sv_filter_bytecode(f, AF_INET, &bc, &len, &exact), 0);
	assert_int_equal(len, 0);
	sv_filter_free(f);

	/* pid alone: the kernel can only say yes; not exact */
	f = parse_ok("pid 1");
	assert_int_equal(sv_filter_bytecode(f, AF_INET, &bc, &len, &exact), 0);
	assert_int_equal(len, 0);
	assert_false(exact);
	sv_filter_free(f);

	/* an IPv6 address asked of an IPv4 dump: one jump to reject */
	f = parse_ok("dst ::1");
	assert_int_equal(sv_filter_bytecode(f, AF_INET, &bc, &len, &exact), 0);
	assert_int_equal(len, 4);
	assert_true(exact);
	assert_int_equal(bcmodel_audit(bc, (int)len, true), 0);
	inet_sock(&s, AF_INET, "127.0.0.1", 1, "127.0.0.1", 2);
	{
		struct bcmodel_entry e;

		bcmodel_entry_of(&s, &e);
		assert_false(bcmodel_run(bc, (int)len, &e));
	}
	free(bc);
	assert_int_equal(sv_filter_bytecode(f, AF_INET6, &bc, &len, &exact), 0);
	assert_int_equal(len, 4 + 8 + 16);
	free(bc);
	sv_filter_free(f);

	/* not pid: the user-space part stands for "false" under not */
	f = parse_ok("not pid 1 and sport = :5");
	inet_sock(&s, AF_INET, "127.0.0.1", 5, "127.0.0.1", 2);
	assert_true(model_verdict(f, AF_INET, &s, &exact));
	assert_false(exact);
	sv_filter_free(f);

	/* autobound: the kernel's userlocks decide */
	f = parse_ok("autobound");
	assert_int_equal(sv_filter_bytecode(f, AF_INET, &bc, &len, &exact), 0);
	assert_int_equal(len, 4);
	assert_true(exact);
	{
		struct bcmodel_entry e = {.family = AF_INET};

		assert_true(bcmodel_run(bc, (int)len, &e));
		e.bindport_lock = true;
		assert_false(bcmodel_run(bc, (int)len, &e));
	}
	free(bc);
	sv_filter_free(f);

	/* mark conditions need CAP_NET_ADMIN */
	f = parse_ok("fwmark 1");
	assert_true(sv_filter_uses_mark(f));
	assert_false(sv_filter_needs_procs(f));
	assert_int_equal(sv_filter_bytecode(f, AF_INET, &bc, &len, &exact), 0);
	assert_int_equal(bcmodel_audit(bc, (int)len, false), -EPERM);
	free(bc);
	sv_filter_free(f);
	f = parse_ok("comm x or pid 2");
	assert_true(sv_filter_needs_procs(f));
	sv_filter_free(f);
}

/* A deep expression either compiles or leaves it all to user space. */
static void test_bytecode_long(void **state)
{
	size_t n = 4000, len, i;
	char *text = malloc(n * 32);
	struct sv_filter *f;
	bool exact;
	void *bc;

	(void)state;
	text[0] = '\0';
	for (i = 0; i < n; i++)
		sprintf(text + strlen(text), "%sdst 10.0.%zu.%zu",
			i ? " or " : "", i / 256, i % 256);
	f = parse_ok(text);
	assert_int_equal(sv_filter_bytecode(f, AF_INET, &bc, &len, &exact), 0);
	assert_int_equal(len, 0);
	assert_false(exact);
	sv_filter_free(f);
	/* 3000 x 20 bytes (a condition and a jump) fits */
	text[0] = '\0';
	for (i = 0; i < 3000; i++)
		sprintf(text + strlen(text), "%sdst 10.0.%zu.%zu",
			i ? " or " : "", i / 256, i % 256);
	f = parse_ok(text);
	assert_int_equal(sv_filter_bytecode(f, AF_INET, &bc, &len, &exact), 0);
	assert_true(len > 0 && len <= 65528);
	assert_true(exact);
	assert_int_equal(bcmodel_audit(bc, (int)len, true), 0);
	free(bc);
	sv_filter_free(f);
	free(text);
}

/* ---- Random expressions: the model kernel and match() must agree ---- */

static unsigned rnd_state = 12345;

static unsigned rnd(unsigned n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

static const char *const v4s[] = {"127.0.0.1", "10.1.2.3", "10.1.3.3",
				  "192.168.1.1", "0.0.0.0"};
static const char *const v6s[] = {"::1",
				  "2001:db8::1",
				  "2001:db8:1::1",
				  "::ffff:10.1.2.3",
				  "::ffff:127.0.0.1",
				  "::"};
static const int ports[] = {0, 22, 80, 443, 1023, 1024, 8080, 65535};

static void rnd_atom(char *buf, size_t size)
{
	static const char *const ops[] = {"=",	"!=", "<",  "<=", ">",
					  ">=", "eq", "ne", "lt", "le",
					  "gt", "ge", "==", "neq"};
	const char *side = rnd(2) ? "src" : "dst";
	int port = ports[rnd(COUNT(ports))];

	switch (rnd(19)) {
	case 13:
		snprintf(buf, size, "%s %s10.1/16%s", side,
			 rnd(2) ? "inet:" : "", rnd(2) ? ":" : "");
		break;
	case 14:
		snprintf(buf, size, "%s [%s]:%s", side, v4s[rnd(COUNT(v4s))],
			 rnd(2) ? "*" : "0x50");
		break;
	case 15:
		snprintf(buf, size, "%s %s/255.255.%s.0", side,
			 v4s[rnd(COUNT(v4s))], rnd(2) ? "255" : "0");
		break;
	case 16:
		snprintf(buf, size, "%cport %s %s", rnd(2) ? 's' : 'd',
			 rnd(2) ? "geq" : "leq", rnd(2) ? ":0x400" : "1024");
		break;
	case 17:
		snprintf(buf, size, "%cport %s %s", rnd(2) ? 's' : 'd',
			 rnd(2) ? "=" : "!=", rnd(2) ? "*" : ":*");
		break;
	case 18:
		snprintf(buf, size, "%s inet6:[%s]/%u", side,
			 v6s[rnd(COUNT(v6s))], rnd(129));
		break;
	case 0:
		snprintf(buf, size, "%s %s/%u", side, v4s[rnd(COUNT(v4s))],
			 rnd(33));
		break;
	case 1:
		snprintf(buf, size, "%s [%s]/%u:%d", side, v6s[rnd(COUNT(v6s))],
			 rnd(129), port);
		break;
	case 2:
		snprintf(buf, size, "%s %s:%d", side, v4s[rnd(COUNT(v4s))],
			 port);
		break;
	case 3:
		snprintf(buf, size, "%s %s*:%d", side,
			 rnd(3) == 0   ? "inet:"
			 : rnd(2) == 0 ? "inet6:"
				       : "",
			 port);
		break;
	case 4:
	case 5:
		snprintf(buf, size, "%cport %s :%d", rnd(2) ? 's' : 'd',
			 ops[rnd(COUNT(ops))], port);
		break;
	case 6:
		snprintf(buf, size, "dev %u", 1 + rnd(2));
		break;
	case 7:
		snprintf(buf, size, "fwmark 0x%x/0x%x", rnd(3),
			 rnd(2) ? 0xf : 1);
		break;
	case 8:
		snprintf(buf, size, "cgroup /");
		break;
	case 9:
		snprintf(buf, size, "uid %u", rnd(2) * 1000);
		break;
	case 10:
		snprintf(buf, size, "inode %u", rnd(2) * 4242);
		break;
	case 11:
		snprintf(buf, size, "pid %u", 1 + rnd(3));
		break;
	default:
		snprintf(buf, size, "comm %s", rnd(2) ? "sshd" : "ngi*");
		break;
	}
}

static void rnd_expr(char *buf, size_t size, int depth)
{
	static const char *const ands[] = {" and ", " && ", " ", " & "};
	static const char *const ors[] = {" or ", " || ", " | "};
	char a[1024], b[1024];

	if (depth <= 0 || rnd(3) == 0) {
		rnd_atom(buf, size);
		return;
	}
	rnd_expr(a, sizeof(a), depth - 1);
	rnd_expr(b, sizeof(b), depth - 1);
	switch (rnd(4)) {
	case 0:
		snprintf(buf, size, "%s%s%s", a, ands[rnd(4)], b);
		break;
	case 1:
		snprintf(buf, size, "%s%s%s", a, ors[rnd(3)], b);
		break;
	case 2:
		snprintf(buf, size, "%s ( %s )", rnd(2) ? "not" : "!", a);
		break;
	default:
		snprintf(buf, size, "( %s )", a);
		break;
	}
}

static void rnd_sock(struct sv_sock *s, uint64_t cg_root)
{
	int fam = rnd(2) ? AF_INET : AF_INET6;
	const char *const *pool = fam == AF_INET ? v4s : v6s;
	size_t n = fam == AF_INET ? COUNT(v4s) : COUNT(v6s);

	inet_sock(s, fam, pool[rnd((unsigned)n)], ports[rnd(COUNT(ports))],
		  pool[rnd((unsigned)n)], ports[rnd(COUNT(ports))]);
	s->ifindex = rnd(3);
	s->mark = rnd(4);
	s->has |= SV_HAS_CGROUP;
	s->cgroup_id = rnd(2) ? cg_root : 99999;
	s->uid = rnd(2) * 1000;
	s->inode = rnd(2) * 4242;
}

static void test_bytecode_agrees(void **state)
{
	static const struct sv_proc_ref procs[][1] = {
		{ { .pid = 1, .comm = "sshd" } }, { { .pid = 2, .comm = "nginx" } }
	};
	uint64_t cg_root = 0;
	unsigned exact_n = 0, inexact_n = 0, yes_n = 0, no_n = 0;
	struct sv_filter *f;
	char text[1024], tree[4096];
	int e, k, fi;

	(void)state;
	/* the id "cgroup /" stands for */
	f = parse_ok("cgroup /");
	cg_root = f->root->val64;
	sv_filter_free(f);

	for (e = 0; e < 3000; e++) {
		rnd_expr(text, sizeof(text), 4);
		f = parse_ok(text);
		for (fi = 0; fi < 2; fi++) {
			int fam = fi ? AF_INET6 : AF_INET;
			struct sv_sock s;
			bool exact = false, kern, user;

			for (k = 0; k < 40; k++) {
				const struct sv_proc_ref *pp = procs[rnd(2)];

				do
					rnd_sock(&s, cg_root);
				while (s.family != fam);
				kern = model_verdict(f, fam, &s, &exact);
				user = sv_filter_match(f, &s, pp, 1);
				if (exact ? kern != user : user && !kern) {
					sv_filter_format(f, tree, sizeof(tree));
					fail_msg("'%s' (%s) fam %d exact %d: "
						 "kernel %d user %d",
						 text, tree, fam, exact, kern,
						 user);
				}
				exact ? exact_n++ : inexact_n++;
				user ? yes_n++ : no_n++;
			}
		}
		sv_filter_free(f);
	}
	/* the test means something only if both answers were common */
	assert_true(exact_n > 10000 && inexact_n > 10000);
	assert_true(yes_n > 10000 && no_n > 10000);
}

/* ---- The real kernel, in a private network namespace ---- */

#define KMAX 64

struct kset {
	size_t n;
	struct sv_sock s[KMAX];
};

static int collect(struct sv_sock *s, void *arg)
{
	struct kset *k = arg;

	if (k->n < KMAX)
		k->s[k->n++] = *s;
	return 0;
}

static bool same_sock(const struct sv_sock *a, const struct sv_sock *b)
{
	return a->family == b->family && a->state == b->state &&
	       a->local.port == b->local.port && a->peer.port == b->peer.port &&
	       !memcmp(a->local.addr, b->local.addr, 16) &&
	       !memcmp(a->peer.addr, b->peer.addr, 16);
}

static void rep(int fd, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 && write(fd, buf, (size_t)n) < 0)
		_exit(3);
}

static int lo_up(void)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int ret = -1;

	strcpy(ifr.ifr_name, "lo");
	if (fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	if (fd >= 0)
		close(fd);
	return ret;
}

static int tcp_listen(int fam, const char *addr, int port, uint32_t mark)
{
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6};
	struct sockaddr_in a4 = {.sin_family = AF_INET};
	int fd = socket(fam, SOCK_STREAM, 0), one = 1, zero = 0;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (mark)
		setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark));
	if (fam == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		inet_pton(AF_INET6, addr, &a6.sin6_addr);
		a6.sin6_port = htons((uint16_t)port);
		if (bind(fd, (struct sockaddr *)&a6, sizeof(a6)))
			return -1;
	} else {
		inet_pton(AF_INET, addr, &a4.sin_addr);
		a4.sin_port = htons((uint16_t)port);
		if (bind(fd, (struct sockaddr *)&a4, sizeof(a4)))
			return -1;
	}
	return listen(fd, 8) ? -1 : fd;
}

/* Connects (bound to bport first when non-zero) and accepts the peer. */
static int tcp_pair(int lfd, int fam, const char *to, int port, int bport,
		    bool bind_lo, uint32_t mark)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int fd = socket(fam, SOCK_STREAM, 0), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (mark)
		setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark));
	if (bind_lo)
		setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3);
	if (fam == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		len = sizeof(*a);
		if (bport) {
			a->sin6_port = htons((uint16_t)bport);
			if (bind(fd, (struct sockaddr *)a, len))
				return -1;
		}
		inet_pton(AF_INET6, to, &a->sin6_addr);
		a->sin6_port = htons((uint16_t)port);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		len = sizeof(*a);
		if (bport) {
			a->sin_port = htons((uint16_t)bport);
			if (bind(fd, (struct sockaddr *)a, len))
				return -1;
		}
		inet_pton(AF_INET, to, &a->sin_addr);
		a->sin_port = htons((uint16_t)port);
	}
	if (connect(fd, (struct sockaddr *)&ss, len))
		return -1;
	return accept(lfd, NULL, NULL) < 0 ? -1 : fd;
}

static const char *const kernel_exprs[] = {
	"sport = :5001",
	"dport = :5001",
	"sport != :5001",
	"sport < :5002",
	"sport <= :5002",
	"sport > :5002",
	"sport >= :5002 and sport <= :5003",
	"dport gt :1024",
	"src 127.0.0.1",
	"src 127.0.0.0/8:5001",
	"dst 127.0.0.2",
	"src ::1",
	"dst [::1]:5002",
	"src [::]/0",
	"src inet:*",
	"src inet6:*",
	"src inet:127/8",
	"dst inet6:[::ffff:127.0.0.1]",
	"src [127.0.0.1]:0x1389",
	"src 127.0.0.1/255.0.0.0:",
	"sport geq :5002 & sport leq :5002",
	"sport = :5001 | dport = *",
	"dport != :*",
	"src *:5002",
	"dst 127.0.0.1 and not dport = :5001",
	"( sport = :5001 or sport = :5002 ) and not dst 0.0.0.0",
	"not ( src 127.0.0.1 or src ::1 )",
	"dev lo",
	"not dev lo",
	"dev lo or sport = :5003",
	"fwmark 0x11",
	"fwmark 0x1/0x1",
	"not fwmark 0/0xffffffff",
	"fwmark 0x5 or fwmark 0x11",
	"cgroup /",
	"not cgroup /",
	"src 127.0.0.1 and uid 0",
	"not inode 1 and sport = :5001",
	"dst ::2",
	"sport > :65535",
	"src localhost",
};

/* In the child: builds sockets, runs every expression, reports. */
static void kernel_child(int out)
{
	struct kset *all = calloc(1, sizeof(*all));
	struct kset *got = calloc(1, sizeof(*got));
	int l1, l2, l3, fams[] = {AF_INET, AF_INET6};
	unsigned narrowed = 0, fails = 0;
	struct sv_diag *d;
	size_t i, j, m;
	int fi;

	if (unshare(CLONE_NEWNET) || lo_up()) {
		rep(out, "SKIP cannot set up a network namespace: %s\n",
		    strerror(errno));
		_exit(0);
	}
	l1 = tcp_listen(AF_INET, "127.0.0.1", 5001, 0);
	l2 = tcp_listen(AF_INET6, "::", 5002, 0);
	l3 = tcp_listen(AF_INET, "127.0.0.2", 5003, 0x11);
	if (l1 < 0 || l2 < 0 || l3 < 0 ||
	    tcp_pair(l1, AF_INET, "127.0.0.1", 5001, 0, false, 0) < 0 ||
	    tcp_pair(l2, AF_INET, "127.0.0.1", 5002, 0, false, 0) < 0 ||
	    tcp_pair(l2, AF_INET6, "::1", 5002, 0, false, 0) < 0 ||
	    tcp_pair(l3, AF_INET, "127.0.0.2", 5003, 6000, true, 0x5) < 0 ||
	    sv_diag_open(&d)) {
		rep(out, "FAIL socket setup: %s\n", strerror(errno));
		_exit(1);
	}
	for (i = 0; i < COUNT(kernel_exprs); i++) {
		struct sv_filter_error err;
		struct sv_filter *f;

		if (sv_filter_parse_string(kernel_exprs[i], &f, &err)) {
			rep(out, "FAIL %s: %s\n", kernel_exprs[i], err.msg);
			fails++;
			continue;
		}
		for (fi = 0; fi < 2; fi++) {
			struct sv_diag_req req = {.proto = SV_PROTO_TCP,
						  .family = (uint8_t)fams[fi],
						  .states = SV_STATES_ALL};
			size_t len, want = 0;
			bool exact;
			void *bc;
			int ret;

			all->n = got->n = 0;
			ret = sv_diag_dump(d, &req, collect, all);
			if (!ret)
				ret = sv_filter_bytecode(f, fams[fi], &bc, &len,
							 &exact);
			if (ret) {
				rep(out, "FAIL %s: dump %d\n", kernel_exprs[i],
				    ret);
				fails++;
				continue;
			}
			req.bytecode = bc;
			req.bytecode_len = len;
			ret = sv_diag_dump(d, &req, collect, got);
			free(bc);
			if (ret) {
				rep(out,
				    "FAIL '%s' family %d: kernel refused "
				    "the program: %s\n",
				    kernel_exprs[i], fams[fi], strerror(-ret));
				fails++;
				continue;
			}
			/* the kernel returns exactly what match() accepts */
			for (j = 0; j < all->n; j++) {
				bool in = false;

				for (m = 0; m < got->n && !in; m++)
					in = same_sock(&all->s[j], &got->s[m]);
				if (sv_filter_match(f, &all->s[j], NULL, 0) ==
				    in) {
					want += in;
					continue;
				}
				if (!exact && in)
					continue; /* a superset is allowed */
				rep(out,
				    "FAIL '%s' family %d: socket %u->%u "
				    "kernel %d\n",
				    kernel_exprs[i], fams[fi],
				    all->s[j].local.port, all->s[j].peer.port,
				    in);
				fails++;
			}
			if (got->n < all->n)
				narrowed++;
			rep(out, "ok '%s' family %d: %zu of %zu (%s)\n",
			    kernel_exprs[i], fams[fi], got->n, all->n,
			    exact ? "exact" : "superset");
			(void)want;
		}
		sv_filter_free(f);
	}

	/* autobound: 3 connect()ed without bind(), 4 accepted */
	{
		struct sv_filter_error err;
		struct sv_filter *f;
		size_t n = 0, len;
		bool exact;
		void *bc;

		sv_filter_parse_string("autobound", &f, &err);
		for (fi = 0; fi < 2; fi++) {
			struct sv_diag_req req = {.proto = SV_PROTO_TCP,
						  .family = (uint8_t)fams[fi],
						  .states = SV_STATES_ALL};

			sv_filter_bytecode(f, fams[fi], &bc, &len, &exact);
			req.bytecode = bc;
			req.bytecode_len = len;
			got->n = 0;
			if (sv_diag_dump(d, &req, collect, got))
				fails++;
			free(bc);
			for (m = 0; m < got->n; m++) {
				const struct sv_sock *s = &got->s[m];

				/* listeners and the bind()-to-6000 client
				 * hold their ports; accepted children drop
				 * the lock in the kernel's clone */
				if (s->local.port == 6000 ||
				    s->state != SV_TCP_ESTABLISHED) {
					rep(out,
					    "FAIL autobound: %u state %u\n",
					    s->local.port, s->state);
					fails++;
				}
			}
			n += got->n;
		}
		rep(out, "ok 'autobound': %zu sockets\n", n);
		if (n != 7) {
			rep(out, "FAIL autobound: %zu sockets, want 7\n", n);
			fails++;
		}
		sv_filter_free(f);
	}
	if (narrowed < 20) {
		rep(out, "FAIL only %u programs narrowed the dump\n", narrowed);
		fails++;
	}
	sv_diag_close(d);
	free(all);
	free(got);
	rep(out, fails ? "FAIL %u\n" : "PASS\n", fails);
	_exit(fails ? 1 : 0);
}

static void test_bytecode_kernel(void **state)
{
	char buf[16384];
	size_t len = 0;
	ssize_t n;
	int fds[2], status;
	pid_t pid;

	(void)state;
	if (geteuid() != 0) {
		printf("SKIP test_bytecode_kernel: needs root for a private "
		       "network namespace\n");
		skip();
	}
	assert_int_equal(pipe(fds), 0);
	fflush(stdout);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		alarm(60);
		kernel_child(fds[1]);
	}
	close(fds[1]);
	while (len < sizeof(buf) - 1 &&
	       (n = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	fputs(buf, stdout);
	if (strncmp(buf, "SKIP", 4) == 0)
		skip();
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_non_null(strstr(buf, "PASS\n"));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port_operators),
		cmocka_unit_test_teardown(test_addresses, lookup_default),
		cmocka_unit_test(test_other_conditions),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_argv_words),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_state_masks),
		cmocka_unit_test(test_match_inet),
		cmocka_unit_test(test_match_unix),
		cmocka_unit_test(test_bytecode_shapes),
		cmocka_unit_test(test_bytecode_long),
		cmocka_unit_test(test_bytecode_agrees),
		cmocka_unit_test(test_bytecode_kernel),
		cmocka_unit_test(test_port_ranges),
	};

	if (unit_filter(argc, argv, tests, UNIT_COUNT(tests)))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
