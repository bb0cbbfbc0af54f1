// SPDX-License-Identifier: MIT
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmds.h"
#include "diag.h"
#include "fields.h"
#include "links.h"
#include "outbuf.h"
#include "render.h"
#include "util.h"

struct list_opts {
	unsigned protos;   /* 1 << SV_PROTO_* */
	unsigned families; /* bit 0: inet, bit 1: inet6 */
	uint32_t states;
	unsigned show;	   /* SV_SHOW_* */
	int json;	   /* 0, SV_JSON_ARRAY + 1, SV_JSON_LINES + 1 */
};

struct list_run {
	struct sv_render *render;
	struct sv_links *links;
	bool links_tried;
};

enum { OPT_JSON = 256, OPT_JSONL, OPT_HELP };

static const struct option long_opts[] = {
	{ "tcp", no_argument, NULL, 't' },
	{ "udp", no_argument, NULL, 'u' },
	{ "raw", no_argument, NULL, 'w' },
	{ "unix", no_argument, NULL, 'x' },
	{ "ipv4", no_argument, NULL, '4' },
	{ "ipv6", no_argument, NULL, '6' },
	{ "all", no_argument, NULL, 'a' },
	{ "listening", no_argument, NULL, 'l' },
	{ "numeric", no_argument, NULL, 'n' },
	{ "extended", no_argument, NULL, 'e' },
	{ "memory", no_argument, NULL, 'm' },
	{ "info", no_argument, NULL, 'i' },
	{ "options", no_argument, NULL, 'o' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "jsonl", no_argument, NULL, OPT_JSONL },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

void sv_list_usage(FILE *f)
{
	fputs("Usage: sockview list [OPTIONS]\n"
	      "\n"
	      "List sockets the kernel reports through sock_diag.\n"
	      "\n"
	      "Tables:\n"
	      "  -t, --tcp         TCP sockets\n"
	      "  -u, --udp         UDP sockets\n"
	      "  -w, --raw         RAW sockets\n"
	      "  -x, --unix        UNIX sockets\n"
	      "  -4, --ipv4        only IPv4\n"
	      "  -6, --ipv6        only IPv6\n"
	      "States:\n"
	      "  (default)         connected sockets only\n"
	      "  -l, --listening   listening and unconnected sockets only\n"
	      "  -a, --all         every state\n"
	      "Table details (JSON always carries every group):\n"
	      "  -e, --extended    inode, uid, cookie, interface, cgroup, "
	      "shutdown\n"
	      "  -m, --memory      socket memory (skmeminfo)\n"
	      "  -i, --info        TCP internals and sequence space\n"
	      "  -o, --options     timers\n"
	      "  -n, --numeric     do not resolve names (the default)\n"
	      "Output:\n"
	      "      --json        one JSON array of socket objects\n"
	      "      --jsonl       one JSON object per line\n"
	      "  -h, --help        this help\n",
	      f);
}

static void parse_opts(int argc, char **argv, struct list_opts *lo)
{
	int c;

	memset(lo, 0, sizeof(*lo));
	lo->states = SV_STATES_CONNECTED;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":tuwx46alnemioh", long_opts,
				NULL)) != -1) {
		switch (c) {
		case 't':
			lo->protos |= 1u << SV_PROTO_TCP;
			break;
		case 'u':
			lo->protos |= 1u << SV_PROTO_UDP;
			break;
		case 'w':
			lo->protos |= 1u << SV_PROTO_RAW;
			break;
		case 'x':
			lo->protos |= 1u << SV_PROTO_UNIX;
			break;
		case '4':
			lo->families |= 1;
			break;
		case '6':
			lo->families |= 2;
			break;
		case 'a':
			lo->states = SV_STATES_ALL;
			break;
		case 'l':
			lo->states = SV_STATES_LISTENING;
			break;
		case 'n':
			break;
		case 'e':
			lo->show |= SV_SHOW_EXT;
			break;
		case 'm':
			lo->show |= SV_SHOW_MEM;
			break;
		case 'i':
			lo->show |= SV_SHOW_INFO;
			break;
		case 'o':
			lo->show |= SV_SHOW_TIMER;
			break;
		case OPT_JSON:
			lo->json = SV_JSON_ARRAY + 1;
			break;
		case OPT_JSONL:
			lo->json = SV_JSON_LINES + 1;
			break;
		case 'h':
			sv_list_usage(stdout);
			exit(0);
		case ':':
			sv_usage_die("list: option '%s' needs a value",
				     argv[optind - 1]);
		default:
			if (optopt)
				sv_usage_die("list: unknown option '-%c'",
					     optopt);
			sv_usage_die("list: unknown option '%s'",
				     argv[optind - 1]);
		}
	}
	if (optind < argc)
		sv_usage_die("list: unexpected argument '%s'", argv[optind]);

	if (!lo->families)
		lo->families = 3;
	if (!lo->protos) {
		lo->protos = 1u << SV_PROTO_TCP | 1u << SV_PROTO_UDP |
			     1u << SV_PROTO_RAW;
		/* ss habit: -4/-6 alone mean the inet tables */
		if (lo->families == 3)
			lo->protos |= 1u << SV_PROTO_UNIX;
	}
}

static int on_sock(struct sv_sock *s, void *arg)
{
	struct list_run *run = arg;

	/* Join: device names come from one link cache, loaded only when
	 * some socket is bound to a device. */
	if (s->ifindex) {
		if (!run->links_tried) {
			run->links_tried = true;
			if (sv_links_load(&run->links))
				sv_warn("cannot read interface names");
		}
		s->ifname = sv_links_name(run->links, s->ifindex);
	}
	run->render->sock(run->render, s);
	return 0;
}

static void dump_one(struct sv_diag *d, const struct sv_diag_req *req,
		     struct list_run *run)
{
	int err = sv_diag_dump(d, req, on_sock, run);

	if (err == -ENOENT && req->proto != SV_PROTO_RAW) {
		/* no sock_diag handler for this protocol in this kernel */
		sv_warn("the kernel cannot list %s sockets (no sock_diag "
			"support)",
			sv_proto_name(req->proto));
		return;
	}
	if (err < 0)
		sv_die("cannot list %s%s sockets: %s", sv_proto_name(req->proto),
		       req->family == AF_INET6 ? "6" : "", strerror(-err));
}

int sv_cmd_list(int argc, char **argv)
{
	static const uint8_t inet_families[] = { AF_INET, AF_INET6 };
	static struct sv_out out;
	struct list_opts lo;
	struct list_run run = { 0 };
	struct sv_diag *d;
	unsigned p, fi;
	int err;

	parse_opts(argc, argv, &lo);
	sv_out_init(&out, STDOUT_FILENO);
	err = sv_diag_open(&d);
	if (err)
		sv_die("cannot open a sock_diag netlink socket: %s",
		       strerror(-err));
	run.render = lo.json ? sv_json_new(&out, lo.json - 1)
			     : sv_table_new(&out, lo.show);

	for (p = 0; p < SV_PROTO_UNIX; p++) {
		if (!(lo.protos & (1u << p)))
			continue;
		for (fi = 0; fi < 2; fi++) {
			struct sv_diag_req req = {
				.proto = (uint8_t)p,
				.family = inet_families[fi],
				.states = lo.states,
			};

			if (lo.families & (1u << fi))
				dump_one(d, &req, &run);
		}
	}
	if (lo.protos & (1u << SV_PROTO_UNIX)) {
		struct sv_diag_req req = { .proto = SV_PROTO_UNIX,
					   .family = AF_UNIX,
					   .states = lo.states };

		dump_one(d, &req, &run);
	}

	run.render->end(run.render);
	sv_out_flush(&out);
	run.render->free(run.render);
	sv_links_free(run.links);
	sv_diag_close(d);
	return 0;
}
