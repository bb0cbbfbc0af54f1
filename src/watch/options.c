// SPDX-License-Identifier: MIT
/* watch's options: described in core/options.c, read here. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/options.h"
#include "core/util.h"
#include "watch/cmd.h"
#include "watch/watch.h"

void sv_watch_parse_opts(int argc, char **argv, struct sv_watch *w)
{
	struct sv_getopt g;
	uint64_t v;
	char *end;
	int c;

	w->interval_ms = 1000;
	sv_getopt_init(&g, &sv_watch_doc);
	while ((c = sv_getopt_next(&g, argc, argv)) != -1) {
		switch (c) {
		case SV_OPT_INTERVAL:
			if (sv_parse_u64(optarg, 1, 3600000, &v))
				sv_usage_die("watch: --interval takes "
					     "milliseconds (1 to 3600000), not "
					     "'%s'",
					     optarg);
			w->interval_ms = v;
			break;
		case SV_OPT_COUNT:
			if (sv_parse_u64(optarg, 1, UINT64_MAX, &v))
				sv_usage_die("watch: --count takes a positive "
					     "number, not '%s'",
					     optarg);
			w->count = v;
			break;
		case SV_OPT_DURATION:
			w->duration = strtod(optarg, &end);
			if (end == optarg || *end || !(w->duration > 0) ||
			    w->duration > 31536000)
				sv_usage_die("watch: --duration takes seconds, "
					     "not '%s'",
					     optarg);
			break;
		case 'n':
			w->numeric = true;
			break;
		case SV_OPT_JSON:
			w->mode = SV_WATCH_JSON;
			break;
		}
	}
	if (optind >= argc)
		sv_usage_die("watch: which process? (a PID is needed)");
	if (optind + 1 < argc)
		sv_usage_die("watch: unexpected argument '%s'", argv[optind + 1]);
	if (sv_parse_u64(argv[optind], 1, 4194304, &v))
		sv_usage_die("watch: '%s' is not a process id", argv[optind]);
	w->pid = (int)v;
}
