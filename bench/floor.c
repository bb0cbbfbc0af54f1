// SPDX-License-Identifier: MIT
/*
 * floor: the kernel's share of `sockview list -ta`.  It sends the same
 * sock_diag dump requests (SOCK_DIAG_BY_FAMILY, TCP, AF_INET then
 * AF_INET6, every state, the extensions src/sys/diag.c asks for: INFO,
 * CONG, VEGASINFO (bbr and dctcp answer it too), SKMEMINFO, TOS and
 * TCLASS (which bring the class id)) and throws the replies away, walking only the
 * netlink headers to find the end of each dump.  Nothing that lists
 * those sockets one dump after the other can be faster.  With -b it asks
 * for no extension, as the plain table (`list -ta`, `-tap`) does: its
 * floor.  With -P the two dumps run at once, each on a socket and a
 * thread of its own, as sockview sends them without a filter: the floor
 * of a program that overlaps them on two cores.
 *
 *   floor [-b] [-P] [-c]     -c: print the number of sockets received
 */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* Every TCP state through TCP_BOUND_INACTIVE (13), as sockview's -a. */
#define ALL_STATES ((1u << 14) - 1)

static int bare;

struct dump {
	unsigned char family;
	char buf[1 << 20];
	unsigned long n; /* sockets received */
	int err;	 /* 0, or 1 when it failed (said on stderr) */
};

static struct dump dumps[2] = { { .family = AF_INET },
				 { .family = AF_INET6 } };

static void *run(void *arg)
{
	struct dump *d = arg;
	struct {
		struct nlmsghdr h;
		struct inet_diag_req_v2 r;
	} req = {
		.h = { .nlmsg_len = sizeof(req),
		       .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		       .nlmsg_seq = d->family },
		.r = { .sdiag_family = d->family,
		       .sdiag_protocol = IPPROTO_TCP,
		       .idiag_ext = bare ? 0 :
				    1 << (INET_DIAG_INFO - 1) |
				    1 << (INET_DIAG_CONG - 1) |
				    1 << (INET_DIAG_VEGASINFO - 1) |
				    1 << (INET_DIAG_SKMEMINFO - 1) |
				    1 << (INET_DIAG_TOS - 1) |
				    1 << (INET_DIAG_TCLASS - 1),
		       .idiag_states = ALL_STATES },
	};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

	d->err = 1;
	if (fd < 0) {
		perror("floor: socket");
		return NULL;
	}
	if (send(fd, &req, sizeof(req), 0) != sizeof(req)) {
		perror("floor: send");
		return NULL;
	}
	for (;;) {
		ssize_t len = recv(fd, d->buf, sizeof(d->buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)d->buf;

		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0) {
			perror("floor: recv");
			return NULL;
		}
		for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_DONE) {
				d->err = 0;
				return NULL;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				fprintf(stderr, "floor: dump failed\n");
				return NULL;
			}
			d->n++;
		}
	}
}

int main(int argc, char **argv)
{
	int count = 0, par = 0;
	pthread_t t;

	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "-b")) {
			bare = 1;
		} else if (!strcmp(argv[a], "-P")) {
			par = 1;
		} else if (!strcmp(argv[a], "-c")) {
			count = 1;
		} else {
			fprintf(stderr, "usage: floor [-b] [-P] [-c]\n");
			return 2;
		}
	}
	if (par) {
		int e = pthread_create(&t, NULL, run, &dumps[1]);

		if (e) {
			fprintf(stderr, "floor: pthread_create: %s\n",
				strerror(e));
			return 1;
		}
		run(&dumps[0]);
		pthread_join(t, NULL);
	} else {
		run(&dumps[0]);
		if (!dumps[0].err)
			run(&dumps[1]);
	}
	if (dumps[0].err || dumps[1].err)
		return 1;
	if (count)
		printf("%lu\n", dumps[0].n + dumps[1].n);
	return 0;
}
