/* SPDX-License-Identifier: MIT */
#ifndef SV_WATCH_H
#define SV_WATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "core/imap.h"
#include "core/row.h"
#include "core/strbuf.h"
#include "out/outbuf.h"
#include "sys/diag.h"
#include "sys/resolve.h"
#include "watch/edges.h"
#include "watch/loop.h"
#include "watch/ready.h"
#include "watch/target.h"

/* How a watch reports: a full-screen view, plain lines, or NDJSON. */
enum sv_watch_mode {
	SV_WATCH_TERM,
	SV_WATCH_PLAIN,
	SV_WATCH_JSON,
};

/* One of the target's sockets, followed from tick to tick. */
struct wsock {
	uint64_t inode;
	int fd;
	uint32_t seen_scan; /* last fd-table scan that listed it */
	uint32_t seen_tick; /* last tick whose diag reply had it */
	bool have;	    /* cur holds a diag reply */
	bool named;	    /* or at least the names the socket gave us */
	bool unnamed;	    /* inet without a port yet: ask again */
	bool peer_unknown;  /* TCP whose peer's name is gone or not yet */
	uint64_t fd_gone_mono; /* left the fd table then: its close waits
				* for the destroy message */
	uint64_t fd_gone_ns;   /* the same, wall clock */
	bool closing;	    /* a hangup: look until the target closes it */
	bool cookie_known;  /* in by_cookie */
	bool touched;	    /* readiness edges since its last reply */
	bool recheck;	    /* left the kernel's replies: read its link */
	uint32_t queued_gen; /* the light tick that asks for it */
	bool have_prev;	    /* prev holds the one before */
	bool registered;    /* in the readiness epoll (or tried) */
	bool dup_failed;    /* gone before it could be duplicated */
	bool absorbed;	    /* a destroy message said its open and close */
	bool pending_open;  /* its open event waits for a diag reply */
	struct sv_edge_state edge; /* what the last wakeup showed */
#define SV_WATCH_REG_EDGES 4
	struct sv_edge reg_edges[SV_WATCH_REG_EDGES]; /* after its open */
	uint8_t nreg_edges;
#define SV_WATCH_HELD_HUP 2
	struct sv_edge held_hup[SV_WATCH_HELD_HUP]; /* until a look */
	uint8_t nheld_hup;
	uint64_t hup_mono_ns;
	bool twin_reg;	      /* the twin entry's first report is state */
	uint64_t main_out_ns; /* the main output entry's last wakeup */
	uint64_t twin_ns;     /* a twin wakeup waiting for TWIN_PAIR_NS */
	uint64_t out_hup_ns;  /* an output entry's first hangup */
	uint64_t sampled;	/* hash of what its last sample showed */
	uint32_t held[6];	/* edges folded, by kind: output full or
				 * over --edge-rate this tick */
	uint64_t held_ns[6];	/* the first one's time */
	uint8_t held_src[6];	/* 1 << enum sv_edge_source of each */
	bool held_full;		/* some folded because the output was full */
	uint32_t tick_edges;	/* readiness events said this tick */
	uint32_t edges_unclaimed; /* listener: a seen edge no accept used */
	uint64_t found_ns;  /* wall clock when a look first found it */
	uint16_t port;	    /* local port from getsockname or diag */
	uint8_t family;	    /* AF_*, 0 unknown, SV_FAMILY_OTHER: no diag */
	uint8_t proto;	    /* SV_PROTO_*, SV_PROTO_MAX unknown */
	uint64_t cur_ns, prev_ns; /* when cur and prev were read (monotonic) */
	struct sv_sock cur, prev;
	struct sv_joins joins; /* cur's: rates, epoll interest, peer name */
	char path[112]; /* cur.path points here (UNIX name) */
};

/* --edge-rate's default: readiness events per socket and second said
 * one by one; beyond it they are summed per interval ("count") */
#define SV_WATCH_EDGE_RATE 100

/* Neither inet nor unix as far as we can tell: not worth a full dump */
#define SV_FAMILY_OTHER 255

/* The latest events, for the full-screen view. */
#define SV_WATCH_EVENT_LINES 200

struct sv_watch {
	/* options */
	int pid;
	uint64_t interval_ms;
	uint64_t count;	      /* stop after this many events, 0 = never */
	double duration;      /* seconds, 0 = until stopped */
	bool numeric;
	enum sv_watch_mode mode;
	enum { SV_SAMPLES_CHANGED, SV_SAMPLES_ALL, SV_SAMPLES_NONE } samples;
	uint32_t events_mask; /* --events: 1 << sv_watch_event_kind(); 0 all */
	uint64_t edge_rate;   /* --edge-rate: per socket and second, 0 none */
	uint64_t edge_limit;  /* the same per interval */
	uint64_t edge_window_ns; /* when the interval's count began */

	/* the target */
	char comm[64];
	uint64_t netns;

	/* libuv */
	uv_loop_t *loop;
	uv_timer_t tick_timer, look_timer, stop_timer;
	uv_poll_t diag_poll, ready_poll, pidfd_poll, destroy_poll;
	uv_async_t ready_async; /* the waiting thread queued wakeups */
	uv_timer_t twin_timer;	/* says twin wakeups no main one paired */
	uv_signal_t sigint, sigterm, sigwinch;
	uv_check_t check;
	uv_tty_t tty_in;
	bool tty_in_on;
	bool stopping;
	int exit_code;

	/* loop statistics for the header */
	uint64_t iterations, wakeups, events;
	uint64_t drains; /* of our epoll: edges of one drain are one moment */
	/* the drain whose writables read the target's interest again, and
	 * whether that read worked */
	uint64_t interest_drain;
	bool interest_fresh;
	unsigned threadpool;

	/* sockets */
	struct sv_diag *diag;
	struct sv_ready ready;
	bool ready_ok; /* readiness from epoll (else inferred) */
	bool ready_waiting; /* a thread collects it (else a nested poll) */
	uint32_t wake_batch; /* the last queued batch taken */
	/* sockets with a twin wakeup waiting (their inodes), oldest first */
#define SV_WATCH_TWINS 64
	uint64_t twins[SV_WATCH_TWINS];
	unsigned ntwins;
	uint64_t said_ns;    /* the latest time an event said */
	/* when destroy messages arrived (the waiting thread saw the socket
	 * readable), oldest first, for the messages still to be read */
#define SV_WATCH_DESTROY_TIMES 256
	uint64_t destroy_at[SV_WATCH_DESTROY_TIMES];
	unsigned destroy_first, destroy_n;
	uint64_t destroy_ns;	  /* the message being read's, 0: now */
	uint64_t destroy_floor_ns; /* no later message came before it */
	/* destroy-only connections no socket gone before its duplicate
	 * has claimed yet (monotonic times), oldest first */
#define SV_WATCH_UNCLAIMED 64
	uint64_t unclaimed[SV_WATCH_UNCLAIMED];
	unsigned unclaimed_first, nunclaimed;
	struct sv_target_scan scan;
	struct wsock **socks;
	size_t nsocks, capsocks;
	struct sv_imap by_inode; /* inode -> index in socks */
	uint32_t scan_gen, tick_gen;
	bool first_scan_done;
	bool scan_fresh;       /* w->scan was just read: use it */
	bool need_scan;	       /* a socket left the kernel's replies */
	uint64_t last_scan_ns; /* the last read of every link */
	bool links_all;	       /* the next scan reads every link */
#define SV_WATCH_FREED_FDS 64
	int freed_fds[SV_WATCH_FREED_FDS]; /* numbers closes left since */
	size_t nfreed_fds;		   /* the last scan */
	size_t new_socks; /* opened since the last scan */
	bool maybe_unread;    /* a socket may have no reply yet */
	uint64_t touch_seen;  /* edge activity when touched ones were asked */
	bool touch_left;      /* and some were touched then */
	uint64_t diag_wakeups; /* of the wakeups, our sock_diag socket's */
	struct wsock_suspect {
		int fd;
		uint64_t inode;
	} *susp;	       /* the sockets a look reads again */
	size_t nsusp, capsusp;
	uint64_t susp_key[4];  /* what they were found with */
	bool susp_valid;
	uint64_t have_gen;     /* sockets that had their first reply */
	uint64_t *top;	       /* the screen's rows by fd, as inodes */
	size_t ntop, captop;
	uint64_t top_key[4];   /* what they were found with */
	bool top_valid;
	uint32_t state_count[SV_TCP_MAX_STATES]; /* with a reply, by state */
	unsigned accepts_due; /* listener edges no new socket explained yet */
	unsigned closings;    /* sockets that hung up, still held */
	unsigned look_delay_ms;
	uint64_t look_until_ns;
	bool netns_moved;     /* said once: the target left our view */

	/* sock_diag's destroy groups: each TCP/UDP socket's last record */
	int destroy_fd;
	bool destroy_overrun;
	struct sv_imap by_cookie; /* cookie -> index in socks */
	struct sv_watch_gone {
		uint64_t cookie;
		uint8_t family;
		uint16_t port, peer_port;
		uint8_t peer[16];
	} gone[256]; /* recently closed without a cookie: by names */
	size_t gone_next;
	/* recently closed, by cookie: their destroy is no news.  A
	 * destroy message can come long after the close under load. */
#define SV_WATCH_GONE_COOKIES 8192
	uint64_t gone_cookie[SV_WATCH_GONE_COOKIES];
	size_t gone_cookie_next;
	struct sv_imap gone_by_cookie; /* cookie -> index in gone_cookie */

	/* the tick under way */
	bool tick_busy;
	bool tick_again; /* a rescan asked for a tick while one ran */
	int phase;	 /* enum in tick.c */
	bool full_dump;
	bool need_dump[4]; /* tcp4, tcp6, udp4, udp6: any socket there? */
	size_t table_n[2];     /* tcp4, tcp6: the target's sockets there */
	bool table_named[2];   /* all of them with addresses and ports */
	bool table_exact[2];   /* this pass reads it by exact requests */
	bool table_missed[2];  /* which missed a socket: dump it next */
	const struct sv_sock **table_q; /* a table read by exact requests */
	bool light;	   /* this tick reads only the sockets on screen */
	bool exact_missed; /* a light tick's request found no socket */
	uint64_t last_full_ns;
	uint64_t full_cost_ns; /* our CPU time in the last full tick's
				* requests */
	uint64_t pass_cpu_ns;  /* the same, of the tick under way */
	const struct sv_sock **exact[2]; /* light tick: TCP, UDP on screen */
	size_t nexact[2];
	bool unix_ready; /* unix_q was filled for this tick */
	uint8_t *bytecode[2]; /* TCP's ports, UDP's */
	size_t bytecode_len[2];
	uint64_t *unix_q;
	size_t unix_n, unix_off;
	uint64_t tick_mono_ns; /* when the tick began */
	uint64_t *tick_read;   /* inodes this tick's replies had */
	size_t tick_read_n, tick_read_cap;
	bool tick_read_lost;   /* out of memory: take them all */
	uint64_t window_edges; /* readiness events counted this window */

	struct sv_resolver *names;
	bool asked_names; /* the threadpool has run lookups */

	/* the target's event loop and threadpool (watch/loop.c) */
	struct sv_loopwatch loopw;

	/* output (watch/output.c) */
	struct sv_out out;
	struct sv_strbuf q; /* NDJSON and plain lines not yet written */
	size_t q_off;
	int out_fd;
	uv_poll_t out_poll;
	bool out_poll_init, out_waiting;
	uint64_t dropped;    /* left out since the last line written */
	size_t held_edges;   /* sockets with edges folded while full */
	struct sv_strbuf screen;
	char *event_lines[SV_WATCH_EVENT_LINES]; /* for the view to read */
	size_t event_head, event_count;
	int sort; /* 0 none, 1 recv_q, 2 send_q, 3 in/s, 4 out/s */
};

/* watch/watch.c: setup, and the one way to end */
void sv_watch_stop(struct sv_watch *w);
uint64_t sv_watch_now_ns(void);	 /* wall clock, for event times */
uint64_t sv_watch_mono_ns(void); /* monotonic, for rates and periods */

/* watch/options.c */
void sv_watch_parse_opts(int argc, char **argv, struct sv_watch *w);

/*
 * watch/socks.c: the socket set and the target's fd table.  A table of
 * up to SV_WATCH_LINKS_ALL_MAX descriptors has every link read on each
 * look; a larger one at least once a second (tick.c) and, between,
 * only the links that may have changed.
 */
#define SV_WATCH_LINKS_ALL_MAX 1024
struct wsock *sv_watch_find(struct sv_watch *w, uint64_t inode);
int sv_watch_scan_fds(struct sv_watch *w);
void sv_watch_socks_free(struct sv_watch *w);
/* The target closed it: its events, and it is forgotten.  source:
 * NULL (seen in the fd table) or "destroy" (with its final record). */
/* A socket's open (time 0: now; fd_time: when the fd table showed it),
 * then the edges its registration saw. */
void sv_watch_announce(struct sv_watch *w, struct wsock *ws, uint64_t time_ns,
		       bool fd_time);
void sv_watch_closed(struct sv_watch *w, struct wsock *ws,
		     const char *source);
/* Its destroy message was reported already (a reply read before it
 * came): the socket is gone, and said to be. */
bool sv_watch_gone_cookie(const struct sv_watch *w, uint64_t cookie);
/* Dropped without an event (its close was reported). */
void sv_watch_forget(struct sv_watch *w, struct wsock *ws);
/* Gone from the fd table: true when its close waits for its destroy
 * message (which has the addresses it lacks), false: close it now. */
bool sv_watch_close_later(struct sv_watch *w, struct wsock *ws);
/* A diag reply gave its cookie: destroy messages find it by that. */
void sv_watch_cookie(struct sv_watch *w, struct wsock *ws);
void sv_watch_on_destroy(uv_poll_t *p, int status, int events);
/* Peer names for a socket about to be shown (never waits). */
void sv_watch_join_names(struct sv_watch *w, struct wsock *ws);
/* The sockets in display order: by fd, or by the chosen key. */
struct wsock **sv_watch_ordered(struct sv_watch *w);
/* Those this tick's replies had (n of them), in that order. */
struct wsock **sv_watch_ordered_read(struct sv_watch *w, size_t *n);
/* The first max sockets with a reply, in that order (n of them). */
struct wsock **sv_watch_ordered_top(struct sv_watch *w, size_t max,
				    size_t *n);
/* Changes whenever a wakeup may have touched a socket. */
uint64_t sv_watch_edge_activity(const struct sv_watch *w);
/* Its state in or out of the header's counts (d 1 or -1). */
void sv_watch_count_state(struct sv_watch *w, const struct wsock *ws, int d);
/* A reply of this tick had it. */
void sv_watch_mark_read(struct sv_watch *w, struct wsock *ws);

/* watch/readiness.c: edges from our epoll of the target's sockets */
void sv_watch_register(struct sv_watch *w, struct wsock *ws);
int sv_watch_ready_start(struct sv_watch *w);
/* Before a destroy message is handled: sets w->destroy_ns to when it
 * arrived, where the waiting thread saw that (else 0: now). */
void sv_watch_destroy_arrived(struct sv_watch *w);
/* After the destroy socket was read empty. */
void sv_watch_destroy_drained(struct sv_watch *w);
void sv_watch_ready_stop(struct sv_watch *w);
void sv_watch_drain_ready(struct sv_watch *w);
void sv_watch_look_for_accept(struct sv_watch *w);
/* The slow look of a listening target between bursts (readiness.c). */
void sv_watch_idle_look(struct sv_watch *w);
void sv_watch_rename(struct sv_watch *w, struct wsock *ws);
/* A held hangup whose socket the target still holds: said now. */
void sv_watch_release_hangups(struct sv_watch *w, struct wsock *ws);
/* At a close: the end of file only an output entry saw, said first. */
void sv_watch_fin_unseen(struct sv_watch *w, struct wsock *ws);

/* watch/tick.c: the scheduler */
void sv_watch_start_tick(struct sv_watch *w);
void sv_watch_on_tick(uv_timer_t *t);
void sv_watch_on_diag(uv_poll_t *p, int status, int events);
void sv_watch_tick_free(struct sv_watch *w);

/* watch/output.c: a queue that never blocks */
#define SV_WATCH_OUT_BOUND (4u << 20)
enum sv_watch_class {
	SV_CLASS_VITAL,	 /* open, close, state, exit...: never dropped */
	SV_CLASS_EDGE,	 /* readiness: folded per socket when full */
	SV_CLASS_SAMPLE, /* dropped first */
};
void sv_watch_output_init(struct sv_watch *w);
void sv_watch_flush(struct sv_watch *w);
void sv_watch_output_end(struct sv_watch *w);
size_t sv_watch_queued(const struct sv_watch *w);
bool sv_watch_room(const struct sv_watch *w, enum sv_watch_class c);

/* watch/events.c: every event, and the samples of a tick */
struct sv_watch_ev {
	const char *event;
	const struct wsock *ws;
	const char *source;	  /* epoll, inferred, destroy; NULL: none */
	uint64_t time_ns;	  /* wall clock; 0: now */
	bool kernel_time;	  /* from the kernel's "ms ago" counters */
	bool fd_time;		  /* when a look at the fd table showed it,
				   * earlier than the line */
	bool wakeup_time;	  /* the wakeup's time, earlier than lines
				   * already written */
	bool before_registration; /* happened before we registered it */
	bool final;		  /* close: print the final record */
	bool no_state;		  /* the socket's state is not this event's */
	int8_t interest;	  /* 1, 0: the target waits for it; -1 ? */
	const char *key, *val;	  /* one more text member, or NULL */
	const char *numkey;	  /* one more number, or NULL */
	uint64_t num;
	uint64_t count;		  /* edges this line stands for (> 1) */
};
void sv_watch_emit(struct sv_watch *w, const struct sv_watch_ev *e);
/* --events: the index of a kind of event, -1 if none is called that */
int sv_watch_event_kind(const char *name);
bool sv_watch_event_wanted(const struct sv_watch *w, const char *name);
const char *sv_watch_edge_name(uint32_t bit);
void sv_watch_event_sock(struct sv_watch *w, const char *event,
			 const struct wsock *ws, const char *source,
			 const char *extra_key, const char *extra_val,
			 const char *extra_key2, uint64_t extra_num);
void sv_watch_event_state(struct sv_watch *w, const struct wsock *ws,
			  unsigned from, unsigned to);
void sv_watch_event_exit(struct sv_watch *w);
void sv_watch_samples(struct sv_watch *w);
bool sv_watch_sample_due(struct sv_watch *w, struct wsock *ws);
void sv_watch_diff(struct sv_watch *w, struct wsock *ws);
void sv_watch_rates(struct wsock *ws);
void sv_watch_readiness(struct sv_watch *w, struct wsock *ws, uint32_t ev,
			const char *source);
void sv_watch_edges(struct sv_watch *w, struct wsock *ws,
		    const struct sv_edge *e, size_t n);
void sv_watch_events_free(struct sv_watch *w);
/* Folded edges, one line per socket and kind with their count: those
 * folded while the output was full, and at a tick's end (tick_end) the
 * ones over --edge-rate too. */
void sv_watch_release_edges(struct sv_watch *w, bool tick_end);
/* One socket's folded edges, before its close. */
void sv_watch_release_sock_edges(struct sv_watch *w, struct wsock *ws);
/* The latest event lines, oldest first: i < w->event_count. */
const char *sv_watch_event_line(const struct sv_watch *w, size_t i);
/* An NDJSON object with time and event keys, then the caller's keys. */
void sv_watch_json_begin(struct sv_watch *w, const char *event, bool *first);
void sv_watch_json_end(struct sv_watch *w);

/* watch/loop.c: the tick's "loop" object (NDJSON only) */
void sv_watch_event_loop(struct sv_watch *w);

/* watch/view.c: the table, as plain text or full screen */
void sv_watch_view_tick(struct sv_watch *w);
void sv_watch_view_begin(struct sv_watch *w);
void sv_watch_view_end(struct sv_watch *w);
size_t sv_watch_table_rows(void);

/*
 * watch/hooks.c: work beside the sockets, once per tick, and what it
 * adds to the header (the target's loop thread and threadpool).
 */
void sv_watch_hooks_tick(struct sv_watch *w);
void sv_watch_hooks_header(struct sv_watch *w, struct sv_strbuf *b);

#endif
