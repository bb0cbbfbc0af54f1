// SPDX-License-Identifier: MIT
/*
 * The options of every command, each described once (see options.h):
 * the parser, --help, the man page and the completions are made from
 * these tables.  Man text is roff: "\\-" for a dash, ".B word" for bold.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/options.h"
#include "core/util.h"

static const struct sv_option main_opts[] = {
	{ 'V', "version", NULL, SV_HINT_NONE, NULL,
	  "print the version and exit",
	  "Print the version and exit." },
	{ 0 },
};

static const struct sv_option list_opts[] = {
	{ 't', "tcp", NULL, SV_HINT_NONE, "Tables:",
	  "TCP sockets",
	  "TCP sockets." },
	{ 'u', "udp", NULL, SV_HINT_NONE, NULL,
	  "UDP sockets",
	  "UDP sockets." },
	{ 'w', "raw", NULL, SV_HINT_NONE, NULL,
	  "RAW sockets",
	  "RAW sockets.\n"
	  "On kernels built without raw_diag they are read from\n"
	  ".I /proc/net/raw\n"
	  "and\n"
	  ".IR /proc/net/raw6 ,\n"
	  "which carry addresses, state, queues, uid, inode and drops only." },
	{ 'x', "unix", NULL, SV_HINT_NONE, NULL,
	  "UNIX sockets",
	  "UNIX sockets (stream, dgram, seqpacket)." },
	{ '4', "ipv4", NULL, SV_HINT_NONE, NULL,
	  "only IPv4",
	  "Only IPv4 sockets.\n"
	  "Without a protocol option, \\-4 and \\-6 select TCP, UDP and RAW." },
	{ '6', "ipv6", NULL, SV_HINT_NONE, NULL,
	  "only IPv6",
	  "Only IPv6 sockets." },
	{ 'f', "family", "FAMILY", SV_HINT_NONE, NULL,
	  "only this family: inet, inet6, unix, link, netlink",
	  "Only sockets of this family, as\n"
	  ".BR ss (8)\n"
	  "names it:\n"
	  ".B inet\n"
	  "(as\n"
	  ".BR \\-4 ),\n"
	  ".B inet6\n"
	  "(as\n"
	  ".BR \\-6 ),\n"
	  ".BR unix ,\n"
	  ".B link\n"
	  "(packet sockets) or\n"
	  ".BR netlink ;\n"
	  "repeat it for several.\n"
	  "Alone, inet and inet6 select TCP, UDP and RAW, the others their "
	  "table.\n"
	  "ss's other families (vsock, tipc, xdp) are refused with\n"
	  "exit status 2: sockview has no table for them." },
	{ 'A', "query", "QUERY", SV_HINT_NONE, NULL,
	  "tables by ss's words: all, inet, tcp, unix_dgram...",
	  "The tables to list, in\n"
	  ".BR ss (8)'s\n"
	  "words, comma separated:\n"
	  ".BR all ,\n"
	  ".B inet\n"
	  "(TCP, UDP, RAW, MPTCP),\n"
	  ".BR tcp ,\n"
	  ".BR udp ,\n"
	  ".BR raw ,\n"
	  ".BR unix ,\n"
	  ".BR unix_stream ,\n"
	  ".BR unix_dgram ,\n"
	  ".BR unix_seqpacket ,\n"
	  ".BR packet ,\n"
	  ".BR packet_raw ,\n"
	  ".BR packet_dgram ,\n"
	  ".BR netlink ,\n"
	  ".B mptcp\n"
	  "(and ss's short forms u_str, u_dgr, u_seq, p_raw, p_dgr).\n"
	  "A word after\n"
	  ".B !\n"
	  "takes its tables away\n"
	  ".RB ( \"\\-A all,!unix\" ).\n"
	  ".B all\n"
	  "means every table sockview has.\n"
	  "Netlink and packet sockets have no connections: like UNCONN in ss "
	  "they\n"
	  "are closed, listed with\n"
	  ".B \\-a\n"
	  "or\n"
	  ".BR \\-l .\n"
	  "ss's words for tables sockview does not have (sctp, dccp, vsock,\n"
	  "tipc, xdp and their short forms) are refused with exit status 2,\n"
	  "never answered with an empty list." },
	{ 'l', "listening", NULL, SV_HINT_NONE,
	  "States (default: connected sockets only):",
	  "listening and unconnected sockets only",
	  "Only listening and unconnected sockets (closed: UDP and RAW "
	  "sockets without a peer, TCP sockets bound but neither listening "
	  "nor connecting)." },
	{ 'a', "all", NULL, SV_HINT_NONE, NULL,
	  "every state",
	  "Sockets in every state." },
	{ 'e', "extended", NULL, SV_HINT_NONE,
	  "Table details (JSON always carries every group):",
	  "inode, uid, cookie, interface, cgroup, shutdown",
	  "Table: add the interface, IPv6 scope, inode, uid, cookie, cgroup "
	  "id and path,\n"
	  "shutdown state, mark, v6only, tos, tclass, class id and inet "
	  "sockopt\n"
	  "columns, and for UNIX sockets the bound file's inode and a "
	  "listener's\n"
	  "pending connections." },
	{ 'm', "memory", NULL, SV_HINT_NONE, NULL,
	  "socket memory (skmeminfo)",
	  "Table: add the socket memory columns (skmeminfo)." },
	{ 'i', "info", NULL, SV_HINT_NONE, NULL,
	  "TCP internals and sequence space",
	  "Table: add a detail line under each TCP socket with every\n"
	  ".B tcp_info\n"
	  "field the kernel returned and the relative sequence numbers." },
	{ 'o', "options", NULL, SV_HINT_NONE, NULL,
	  "timers",
	  "Table: add the timer columns." },
	{ 'p', "processes", NULL, SV_HINT_NONE, NULL,
	  "owning processes (pid, command, fd)",
	  "Show the processes that hold each socket: pid, command name and\n"
	  "descriptor, one entry per descriptor (a socket shared by several\n"
	  "processes lists them all).\n"
	  "With CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN (root), and a "
	  "kernel with\n"
	  "BTF, the owners come from one pass of the kernel's task_file "
	  "iterator: a\n"
	  "BPF program of a few loads that writes each socket descriptor's "
	  "pid, fd,\n"
	  "inode and process command name, a tenth of the time of reading "
	  "/proc on\n"
	  "120,000 sockets.\n"
	  "It also finds the sockets of a thread that has a descriptor "
	  "table of its\n"
	  "own (unshare(CLONE_FILES)), under its process.\n"
	  "Otherwise (without those rights, in a pid namespace other than "
	  "the first,\n"
	  "when the kernel refuses the program, or with "
	  "SOCKVIEW_OWNERS=proc) all of\n"
	  "/proc/*/fd is read once per run.\n"
	  "Processes whose descriptors may not be read are skipped, and one "
	  "note on\n"
	  "standard error says how many.\n"
	  "Owners are found in any network namespace, since processes "
	  "belong to the\n"
	  "pid namespace." },
	{ 'n', "numeric", NULL, SV_HINT_NONE, "Names:",
	  "do not resolve names (the default)",
	  "Do not resolve names (the default; accepted for ss habits)." },
	{ 'r', "resolve", NULL, SV_HINT_NONE, NULL,
	  "host names (reverse DNS) and service names",
	  "Show host names (reverse DNS) for addresses and service names for "
	  "ports.\n"
	  "Every distinct address is looked up at once on libuv's threadpool; "
	  "the\n"
	  "answers are cached for the run.\n"
	  "An address whose lookup has not answered within the timeout stays\n"
	  "numeric, and the run does not wait for it." },
	{ SV_OPT_RESOLVER_THREADS, "resolver-threads", "N", SV_HINT_NONE, NULL,
	  "lookups at once on libuv's threadpool",
	  "Run up to\n"
	  ".I n\n"
	  "lookups at once (1 to 512).\n"
	  "libuv lets name lookups use at most half of its threadpool, so this "
	  "sets\n"
	  "the pool to 2\\fIn\\fR threads.\n"
	  "Without it the pool has UV_THREADPOOL_SIZE threads (libuv's "
	  "default: 4),\n"
	  "so half as many lookups run at once." },
	{ SV_OPT_RESOLVE_TIMEOUT, "resolve-timeout", "SECONDS", SV_HINT_NONE,
	  NULL,
	  "leave addresses numeric after this (default 2)",
	  "How long\n"
	  ".B \\-r\n"
	  "waits for answers (default 2; fractions allowed)." },
	{ 'N', "netns", "NAME", SV_HINT_NETNS, "Namespaces:",
	  "the network namespace /run/netns/NAME",
	  "List the sockets of the network namespace\n"
	  ".IR /run/netns/name ,\n"
	  "as\n"
	  ".B ip netns\n"
	  "names them." },
	{ SV_OPT_NETNS_PID, "netns-pid", "PID", SV_HINT_PIDS, NULL,
	  "the network namespace of process PID",
	  "List the sockets of the network namespace of process\n"
	  ".IR pid ,\n"
	  "such as a container's.\n"
	  "Entering another namespace needs CAP_SYS_ADMIN." },
	{ SV_OPT_ALL_NETNS, "all-netns", NULL, SV_HINT_NONE, NULL,
	  "every network namespace, each socket labeled with it",
	  "Every network namespace of the host, each once: see NAMESPACES.\n"
	  "Each socket carries its namespace (and container) in JSON, and\n"
	  "under\n"
	  ".B \\-e\n"
	  "in the table; metrics carry it as a label." },
	{ 'F', "filter-file", "FILE", SV_HINT_FILES, "Filter:",
	  "read the filter expression from FILE",
	  "Read the filter expression from\n"
	  ".I file\n"
	  "(quotes and # comments allowed) instead of the command line." },
	{ SV_OPT_SAVE, "save", "FILE", SV_HINT_FILES, "Capture:",
	  "also write what the kernel answered to FILE",
	  "Also write what the kernel answered (the raw sock_diag replies, and "
	  "the\n"
	  "interface table and process map the run used) to\n"
	  ".IR file ,\n"
	  "so it can be inspected later, elsewhere: see CAPTURES." },
	{ SV_OPT_LOAD, "load", "FILE", SV_HINT_FILES, NULL,
	  "read sockets from a saved FILE, not the kernel",
	  "Read the sockets from a capture instead of the kernel, with any "
	  "options\n"
	  "and filter (applied by sockview, not the kernel; only what was saved "
	  "can\n"
	  "be shown).\n"
	  "A file that is not a capture, is truncated, or comes from a newer\n"
	  "sockview is refused with exit status 1 and a message saying which." },
	{ SV_OPT_JSON, "json", NULL, SV_HINT_NONE, "Output:",
	  "one JSON array of socket objects",
	  "Print one JSON array of socket objects.\n"
	  "JSON always carries every group; the detail options only shape the "
	  "table." },
	{ SV_OPT_JSONL, "jsonl", NULL, SV_HINT_NONE, NULL,
	  "one JSON object per line",
	  "Print one JSON object per line." },
	{ 'H', "no-header", NULL, SV_HINT_NONE, NULL,
	  "table: no header line",
	  "Table: leave out the header line." },
	{ 'O', "oneline", NULL, SV_HINT_NONE, NULL,
	  "table: -i details on the socket's own line",
	  "Table: print what\n"
	  ".B \\-i\n"
	  "adds on the socket's own line, after its columns, instead of on\n"
	  "a line of its own." },
	{ 's', "summary", NULL, SV_HINT_NONE, NULL,
	  "counts per protocol, family and state, as ss -s",
	  "Print counts instead of sockets: the total, and per table its "
	  "sockets\n"
	  "by family (IPv4, IPv6) and by state; with\n"
	  ".B \\-\\-json\n"
	  "one object (see JSON).\n"
	  "Every state is counted unless\n"
	  ".BR \\-l ,\n"
	  ".B \\-a\n"
	  "or a filter says otherwise; the other options and the filter "
	  "select\n"
	  "what is counted, as they select what is listed.\n"
	  "Unlike\n"
	  ".BR \"ss \\-s\" ,\n"
	  "which reads\n"
	  ".I /proc/net/sockstat\n"
	  "and\n"
	  ".IR /proc/net/snmp ,\n"
	  "the counts come from the same dumps as the list, so they agree "
	  "with it." },
	{ 'E', "events", NULL, SV_HINT_NONE, NULL,
	  "follow sockets as they are destroyed (TCP, UDP)",
	  "Do not list: follow sockets as the kernel destroys them, each "
	  "printed at\n"
	  "once with its final record (its last state, queues and "
	  ".BR tcp_info ),\n"
	  "until interrupted (SIGINT or SIGTERM; exit status 0).\n"
	  "The kernel announces TCP and UDP sockets only, on sock_diag's "
	  "destroy\n"
	  "groups, which need CAP_NET_ADMIN.\n"
	  "The options and the filter select what is printed (every state "
	  "unless\n"
	  ".BR \\-l ,\n"
	  ".B \\-a\n"
	  "or a state says otherwise); with\n"
	  ".B \\-\\-json\n"
	  "or\n"
	  ".BR \\-\\-jsonl ,\n"
	  "one object a line (NDJSON).\n"
	  "The table's columns widen as wider rows come.\n"
	  "A destroyed socket has no owner:\n"
	  ".B \\-p\n"
	  "and pid or comm conditions are refused." },
	{ 'V', "version", NULL, SV_HINT_NONE, NULL,
	  "print the version and exit",
	  "Print the version and exit." },
	{ 0 },
};

static const struct sv_option metrics_opts[] = {
	{ SV_OPT_TOP, "top", "N", SV_HINT_NONE, "Metrics:",
	  "sockets of the N command names holding most",
	  "Add the number of sockets held by the\n"
	  ".I n\n"
	  "command names that hold most.\n"
	  "Reads /proc as\n"
	  ".B \\-p\n"
	  "does;\n"
	  ".B \\-p\n"
	  "alone means\n"
	  ".BR \"\\-\\-top 10\" ." },
	{ SV_OPT_PER_SOCKET, "per-socket", "FILTER", SV_HINT_NONE, NULL,
	  "also one series per socket FILTER selects",
	  "Also one series per socket that\n"
	  ".I filter\n"
	  "(the language of FILTER, as one argument) selects." },
	{ SV_OPT_MAX_SERIES, "max-series", "N", SV_HINT_NONE, NULL,
	  "at most N sockets get series (with --per-socket)",
	  "At most\n"
	  ".I n\n"
	  "sockets get their own series; required with\n"
	  ".BR \\-\\-per\\-socket ." },
	{ SV_OPT_OPENMETRICS, "openmetrics", NULL, SV_HINT_NONE, NULL,
	  "OpenMetrics 1.0 text, not Prometheus text 0.0.4",
	  "Print OpenMetrics 1.0 text (counter families without\n"
	  ".IR _total ,\n"
	  ".B # UNIT\n"
	  "lines, a final\n"
	  ".BR \"# EOF\" )\n"
	  "instead of the Prometheus text format 0.0.4." },
	{ 0 },
};

#define STR(x) #x
#define XSTR(x) STR(x)

static const struct sv_option serve_opts[] = {
	{ SV_OPT_LISTEN, "listen", "ADDR:PORT", SV_HINT_NONE, "Server:",
	  "where to listen (default 127.0.0.1:" XSTR(SV_SERVE_PORT) ")",
	  "Listen there\n"
	  ".RI ( [addr6]:port\n"
	  "for IPv6).\n"
	  "The default is\n"
	  ".BR 127.0.0.1:" XSTR(SV_SERVE_PORT) " ,\n"
	  "a port outside 9100\\(en9999, the range Prometheus' list of "
	  "exporter\n"
	  "ports has given out.\n"
	  "sockview listens on an address that is not loopback only when "
	  "this\n"
	  "option names one, and then says so on standard error." },
	{ SV_OPT_SCRAPE_TIMEOUT, "scrape-timeout", "SECONDS", SV_HINT_NONE, NULL,
	  "budget of one scrape (default 5)",
	  "The budget of one scrape (default 5): past it the scrape is cut "
	  "short\n"
	  "and answered with 503.\n"
	  "A scraper that sends\n"
	  ".I X\\-Prometheus\\-Scrape\\-Timeout\\-Seconds\n"
	  "(Prometheus does) lowers it to nine tenths of its own timeout." },
	{ SV_OPT_MAX_CONNECTIONS, "max-connections", "N", SV_HINT_NONE, NULL,
	  "clients at once (default 16)",
	  "Clients at once (default 16)." },
	{ 0 },
};

static const struct sv_option watch_opts[] = {
	{ SV_OPT_INTERVAL, "interval", "MS", SV_HINT_NONE, NULL,
	  "refresh every MS milliseconds (default 1000)",
	  "Refresh every\n"
	  ".I ms\n"
	  "milliseconds (default 1000)." },
	{ SV_OPT_COUNT, "count", "N", SV_HINT_NONE, NULL,
	  "stop after N events (samples not counted)",
	  "Stop after\n"
	  ".I n\n"
	  "events (samples are not counted)." },
	{ SV_OPT_DURATION, "duration", "SECONDS", SV_HINT_NONE, NULL,
	  "stop after this long",
	  "Stop after this long." },
	{ 'n', "numeric", NULL, SV_HINT_NONE, NULL,
	  "do not resolve peer names",
	  "Do not resolve peer names (by default they are looked up on "
	  "libuv's\n"
	  "threadpool, and the view never waits for them)." },
	{ SV_OPT_JSON, "json", NULL, SV_HINT_NONE, NULL,
	  "NDJSON: one event object per line",
	  "NDJSON: one event object per line." },
	{ SV_OPT_SAMPLES, "samples", "MODE", SV_HINT_NONE, NULL,
	  "changed (default), all or none: sampled sockets",
	  "Which sockets get a\n"
	  ".B sample\n"
	  "each tick: those whose counters or state moved since their last "
	  "sample\n"
	  "(changed, the default; every socket at the first tick), all the "
	  "sockets\n"
	  "the tick read, or none.\n"
	  "Plain output's table has the same rows." },
	{ SV_OPT_EVENTS, "events", "LIST", SV_HINT_NONE, NULL,
	  "only these kinds of event (comma separated)",
	  "Only these kinds of event, comma separated (see WATCH), for "
	  "example\n"
	  ".BR open,close,state ." },
	{ SV_OPT_EDGE_RATE, "edge-rate", "N", SV_HINT_NONE, NULL,
	  "readiness events per socket and second (default 100)",
	  "Readiness events (readable, writable, rdhup, hup, error, pri) "
	  "said one\n"
	  "by one per socket and second (default 100; 0: no limit).\n"
	  "Beyond\n"
	  ".I n\n"
	  "times the interval in seconds, a socket's further edges of the "
	  "interval\n"
	  "are counted and said at its end in one line per kind with\n"
	  ".B count\n"
	  "and the first one's time (before the socket's close, if it "
	  "closes first).\n"
	  "open, close and state are never summed." },
	{ 0 },
};

static const struct sv_option fields_opts[] = {
	{ SV_OPT_ROFF, "roff", NULL, SV_HINT_NONE, NULL,
	  "as the man page's field list",
	  "Print the list as roff, as in FIELDS below." },
	{ 0 },
};

static const struct sv_option no_opts[] = {
	{ 0 },
};

const struct sv_option sv_opt_help = {
	'h', "help", NULL, SV_HINT_NONE, NULL,
	"this help",
	"Print the options and exit: after a command, that command's options\n"
	"(as\n"
	".B sockview help\n"
	".I command\n"
	"does).",
};

const struct sv_cmd_doc sv_main_doc = {
	.name = NULL,
	.operands = "COMMAND [OPTIONS]",
	.footer = "\nWith no command, or options only, sockview runs 'list'.\n",
	.operand_hint = SV_HINT_COMMANDS,
	.opts = main_opts,
};

const struct sv_cmd_doc sv_list_doc = {
	.name = "list",
	.operands = "[FILTER]",
	.summary = "list sockets with their buffers, state and TCP internals",
	.about = "List sockets the kernel reports through sock_diag.  FILTER is\n"
		 "ss's filter language (state, dst, src, dport, sport, dev,\n"
		 "fwmark, cgroup, autobound, and, or, not, parentheses) plus "
		 "pid,\n"
		 "comm, uid and inode; the kernel applies what it can.\n",
	.man = "Options of\n"
	       ".B list\n"
	       "follow\n"
	       ".BR ss (8),\n"
	       "so habits carry over; short options combine\n"
	       ".RB ( \"sockview list \\-tanoiem\" ).",
	.operand_hint = SV_HINT_FILTER,
	.opts = list_opts,
};

const struct sv_cmd_doc sv_metrics_doc = {
	.name = "metrics",
	.operands = "[FILTER]",
	.summary = "print socket metrics for Prometheus (text exposition)",
	.about = "Print the sockets as one Prometheus text exposition (for\n"
		 "node_exporter's textfile collector) and exit.  Every series\n"
		 "is an aggregate with bounded labels: sockets by protocol,\n"
		 "family, state and namespace; per listener its accept queue,\n"
		 "backlog, SYN-RECV requests and drops; queue bytes,\n"
		 "retransmits and zero windows in total.  Every state is read\n"
		 "unless -l, -a or FILTER says otherwise.  list's options\n"
		 "select the sockets (see sockview list --help).\n",
	.man = ".B metrics\n"
	       "takes the options of\n"
	       ".B list\n"
	       "that select sockets, and these:",
	.operand_hint = SV_HINT_FILTER,
	.opts = metrics_opts,
	.base = &sv_list_doc,
};

const struct sv_cmd_doc sv_serve_doc = {
	.name = "serve",
	.operands = "[FILTER]",
	.summary = "answer Prometheus scrapes over HTTP (GET /metrics)",
	.about = "Answer GET /metrics over HTTP with the exposition of\n"
		 "'sockview metrics', computed anew for each scrape.  Only GET\n"
		 "(and HEAD) of /metrics and / are answered.  list's options\n"
		 "and FILTER select the sockets.  An address that is not\n"
		 "loopback is listened on only when --listen names it;\n"
		 "[::1]:PORT listens on IPv6.  A scraper's own timeout lowers\n"
		 "--scrape-timeout.\n",
	.man = ".B serve\n"
	       "takes the options of\n"
	       ".B metrics\n"
	       "(but\n"
	       ".BR \\-\\-load ),\n"
	       "and these:",
	.operand_hint = SV_HINT_FILTER,
	.opts = serve_opts,
	.base = &sv_metrics_doc,
};

const struct sv_cmd_doc sv_watch_doc = {
	.name = "watch",
	.operands = "PID",
	.summary = "show one process's sockets live, with its readiness events",
	.about = "Show one process's sockets live: rates, state changes, and the\n"
		 "readiness events its own event loop receives.\n",
	.footer = "\nIn a terminal: a full-screen view (q quits, s changes the "
		  "sort).\n"
		  "Otherwise: one line per event and the socket table each "
		  "tick.\n",
	.operand_hint = SV_HINT_PIDS,
	.opts = watch_opts,
};

const struct sv_cmd_doc sv_fields_doc = {
	.name = "fields",
	.operands = "",
	.summary = "describe every field: JSON key, group, unit, meaning",
	.about = "Print every field sockview reports: its JSON key (nested keys\n"
		 "as object.key), group, unit, where the table shows it and its\n"
		 "meaning.\n",
	.opts = fields_opts,
};

const struct sv_cmd_doc sv_help_doc = {
	.name = "help",
	.operands = "[COMMAND]",
	.summary = "print the options of a command",
	.operand_hint = SV_HINT_COMMANDS,
	.opts = no_opts,
};

const struct sv_cmd_doc *const sv_commands[] = {
	&sv_list_doc,  &sv_metrics_doc, &sv_serve_doc,
	&sv_watch_doc, &sv_fields_doc,	&sv_help_doc,
	NULL,
};

/* ---- The parser's tables ---- */

static void add_opt(struct sv_getopt *g, size_t *n, char **s,
		    const struct sv_option *o)
{
	/* a table longer than the arrays is a programming error, which
	 * the option unit test catches first */
	if (*n == SV_OPTS_MAX)
		abort();
	g->longopts[*n] = (struct option){
		o->name, o->arg ? required_argument : no_argument, NULL, o->id
	};
	(*n)++;
	if (o->id < SV_OPT_LONG) {
		*(*s)++ = (char)o->id;
		if (o->arg)
			*(*s)++ = ':';
	}
}

/* A base command's options first, then the command's own. */
static void add_opts(struct sv_getopt *g, size_t *n, char **s,
		     const struct sv_cmd_doc *doc)
{
	const struct sv_option *o;

	if (doc->base)
		add_opts(g, n, s, doc->base);
	for (o = doc->opts; o->name; o++)
		add_opt(g, n, s, o);
}

void sv_getopt_init(struct sv_getopt *g, const struct sv_cmd_doc *doc)
{
	size_t n = 0;
	char *s;

	memset(g, 0, sizeof(*g));
	s = g->shortopts;
	g->doc = doc;
	/* ':' first: a missing value is told apart from an unknown option */
	*s++ = ':';
	add_opts(g, &n, &s, doc);
	add_opt(g, &n, &s, &sv_opt_help);
	/* messages are ours, one line each */
	opterr = 0;
	optind = 1;
}

const struct sv_option *sv_opt_find(const struct sv_cmd_doc *doc, int id)
{
	const struct sv_option *o;

	if (id == sv_opt_help.id)
		return &sv_opt_help;
	for (; doc; doc = doc->base)
		for (o = doc->opts; o->name; o++)
			if (o->id == id)
				return o;
	return NULL;
}

int sv_opt_word(const struct sv_cmd_doc *doc, const char *word)
{
	const struct sv_option *o;

	if (word[0] != '-')
		return 0;
	if (word[1] != '-') {
		if (!word[1] || word[2])
			return 0;
		o = sv_opt_find(doc, (unsigned char)word[1]);
		return o ? o->id : 0;
	}
	if (!strcmp(word + 2, sv_opt_help.name))
		return sv_opt_help.id;
	for (o = doc->opts; o->name; o++)
		if (!strcmp(word + 2, o->name))
			return o->id;
	return 0;
}

/* ---- Usage errors ---- */

/* An argument as a message may show it: printable ASCII, the rest as
 * \xHH, at most about 64 bytes of it, up to any '='. */
static void safe_word(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (; *in && *in != '=' && o + 5 < size && o < 64; in++) {
		unsigned char c = (unsigned char)*in;

		if (isprint(c) && c < 0x80)
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
	}
	out[o] = '\0';
}

static const char *cmd_name(const struct sv_getopt *g)
{
	return g->doc->name ? g->doc->name : "sockview";
}

/* getopt_long's "?": unknown, ambiguous, or a value given to an option
 * that takes none (then optopt is that option's id). */
__attribute__((noreturn)) static void bad_option(struct sv_getopt *g,
						 char **argv)
{
	const struct sv_option *o = NULL;
	char word[80], names[256] = "";
	size_t i, len, nmatch = 0, used = 0;

	if (optopt >= SV_OPT_LONG ||
	    (optopt > 0 && strchr(g->shortopts + 1, optopt)))
		o = sv_opt_find(g->doc, optopt);
	/* a known short letter never comes back as "?" unless it came as
	 * --name=value */
	if (o)
		sv_usage_die("%s: option '--%s' doesn't allow an argument",
			     cmd_name(g), o->name);
	if (optopt) {
		safe_word((char[]){ (char)optopt, '\0' }, word, sizeof(word));
		sv_usage_die("%s: unknown option '-%s'", cmd_name(g), word);
	}
	safe_word(argv[optind - 1], word, sizeof(word));
	len = strlen(word);
	for (i = 0; g->longopts[i].name && len > 2; i++) {
		if (strncmp(g->longopts[i].name, word + 2, len - 2))
			continue;
		nmatch++;
		if (used < sizeof(names))
			used += (size_t)snprintf(names + used,
						 sizeof(names) - used, "%s--%s",
						 used ? ", " : "",
						 g->longopts[i].name);
	}
	if (nmatch > 1)
		sv_usage_die("%s: option '%s' is ambiguous (%s)", cmd_name(g),
			     word, names);
	sv_usage_die("%s: unknown option '%s'", cmd_name(g), word);
}

/* getopt_long's ":": the option was the last argument, so argv[optind -
 * 1] is it, as typed. */
__attribute__((noreturn)) static void missing_value(struct sv_getopt *g,
						    char **argv)
{
	const char *typed = argv[optind - 1];
	char word[80];

	if (typed[0] == '-' && typed[1] == '-')
		safe_word(typed, word, sizeof(word));
	else
		snprintf(word, sizeof(word), "-%c", optopt);
	sv_usage_die("%s: option '%s' needs a value", cmd_name(g), word);
}

int sv_getopt_next(struct sv_getopt *g, int argc, char **argv)
{
	int c = getopt_long(argc, argv, g->shortopts, g->longopts, NULL);

	switch (c) {
	case ':':
		missing_value(g, argv);
	case '?':
		bad_option(g, argv);
	case 'h':
		/* main.c checks stdout at exit: a failed write is an error */
		sv_cmd_usage(g->doc, stdout);
		exit(0);
	default:
		return c;
	}
}

/* ---- --help ---- */

/* Where help lines start; a longer option puts its help underneath. */
#define HELP_COL 24

static void usage_opt(const struct sv_option *o, FILE *f)
{
	int n;

	if (o->id < SV_OPT_LONG)
		n = fprintf(f, "  -%c, --%s", o->id, o->name);
	else
		n = fprintf(f, "      --%s", o->name);
	if (o->arg)
		n += fprintf(f, " %s", o->arg);
	if (n > HELP_COL - 2)
		fprintf(f, "\n%*s%s\n", HELP_COL, "", o->help);
	else
		fprintf(f, "%*s%s\n", HELP_COL - n, "", o->help);
}

void sv_cmd_usage(const struct sv_cmd_doc *doc, FILE *f)
{
	const struct sv_cmd_doc *const *c, *d;
	const struct sv_option *o;

	if (!doc->name) {
		fprintf(f, "Usage: sockview %s\n"
			   "       sockview help COMMAND\n\nCommands:\n",
			doc->operands);
		for (c = sv_commands; *c; c++)
			fprintf(f, "  %-8s %s\n", (*c)->name, (*c)->summary);
		fputs("\nOptions:\n", f);
	} else {
		fprintf(f, "Usage: sockview %s [OPTIONS]%s%s\n\n", doc->name,
			*doc->operands ? " " : "", doc->operands);
		if (doc->about)
			fprintf(f, "%s\n", doc->about);
	}
	/* a command's own options, and those of the commands it is built
	 * on, up to the root of the chain, whose --help lists its own */
	for (d = doc; d && (d == doc || d->base); d = d->base) {
		for (o = d->opts; o->name; o++) {
			if (o->group)
				fprintf(f, "%s\n", o->group);
			usage_opt(o, f);
		}
	}
	usage_opt(&sv_opt_help, f);
	if (doc->footer)
		fputs(doc->footer, f);
}
