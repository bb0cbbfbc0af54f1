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

static void parse_samples(const char *arg, struct sv_watch *w)
{
	if (!strcmp(arg, "changed"))
		w->samples = SV_SAMPLES_CHANGED;
	else if (!strcmp(arg, "all"))
		w->samples = SV_SAMPLES_ALL;
	else if (!strcmp(arg, "none"))
		w->samples = SV_SAMPLES_NONE;
	else
		sv_usage_die("watch: --samples takes changed, all or none, "
			     "not '%s'",
			     arg);
}

static void parse_events(const char *arg, struct sv_watch *w)
{
	char name[32];
	const char *p = arg;

	while (*p) {
		size_t n = strcspn(p, ",");
		int k;

		if (n == 0 || n >= sizeof(name))
			sv_usage_die("watch: --events takes a comma-separated "
				     "list of event kinds, not '%s'",
				     arg);
		memcpy(name, p, n);
		name[n] = '\0';
		k = sv_watch_event_kind(name);
		if (k < 0)
			sv_usage_die("watch: --events: no event is called "
				     "'%s'",
				     name);
		w->events_mask |= 1u << k;
		p += n + (p[n] == ',');
	}
	if (!w->events_mask)
		sv_usage_die("watch: --events needs at least one kind");
}

void sv_watch_parse_opts(int argc, char **argv, struct sv_watch *w)
{
	struct sv_getopt g;
	uint64_t v;
	char *end;
	int c;

	w->interval_ms = 1000;
	w->edge_rate = SV_WATCH_EDGE_RATE;
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
		case SV_OPT_SAMPLES:
			parse_samples(optarg, w);
			break;
		case SV_OPT_EVENTS:
			parse_events(optarg, w);
			break;
		case SV_OPT_EDGE_RATE:
			if (sv_parse_u64(optarg, 0, 1000000, &v))
				sv_usage_die("watch: --edge-rate takes events "
					     "per socket and second (0 to "
					     "1000000), not '%s'",
					     optarg);
			w->edge_rate = v;
			break;
		}
	}
	/* per interval, at least one */
	w->edge_limit = (w->edge_rate * w->interval_ms + 999) / 1000;
	if (optind >= argc)
		sv_usage_die("watch: which process? (a PID is needed)");
	if (optind + 1 < argc)
		sv_usage_die("watch: unexpected argument '%s'", argv[optind + 1]);
	if (sv_parse_u64(argv[optind], 1, 4194304, &v))
		sv_usage_die("watch: '%s' is not a process id", argv[optind]);
	w->pid = (int)v;
}
