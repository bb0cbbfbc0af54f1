// SPDX-License-Identifier: MIT
/*
 * floor: the kernel's share of `sockview list -ta`.  It sends the same
 * sock_diag dump requests (SOCK_DIAG_BY_FAMILY, TCP, AF_INET then
 * AF_INET6, every state, the extensions src/sys/diag.c asks for: INFO,
 * CONG, VEGASINFO (bbr and dctcp answer it too), SKMEMINFO, TOS and
 * TCLASS (which bring the class id)) and throws the replies away, walking only the
 * netlink headers to find the end of each dump.  Nothing that lists
 * those sockets can be faster.  With -b it asks for no extension, as
 * the plain table (`list -ta`, `-tap`) does: its floor.
 *
 *   floor [-b] [-c]     -c: print the number of sockets received
 */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* Every TCP state through TCP_BOUND_INACTIVE (13), as sockview's -a. */
#define ALL_STATES ((1u << 14) - 1)

static char buf[1 << 20];

int main(int argc, char **argv)
{
	static const unsigned char families[] = { AF_INET, AF_INET6 };
	unsigned long n = 0;
	int bare = 0, count = 0;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "-b")) {
			bare = 1;
		} else if (!strcmp(argv[a], "-c")) {
			count = 1;
		} else {
			fprintf(stderr, "usage: floor [-b] [-c]\n");
			return 2;
		}
	}

	if (fd < 0) {
		perror("floor: socket");
		return 1;
	}
	for (unsigned i = 0; i < sizeof(families); i++) {
		struct {
			struct nlmsghdr h;
			struct inet_diag_req_v2 r;
		} req = {
			.h = { .nlmsg_len = sizeof(req),
			       .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			       .nlmsg_seq = i + 1 },
			.r = { .sdiag_family = families[i],
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

		if (send(fd, &req, sizeof(req), 0) != sizeof(req)) {
			perror("floor: send");
			return 1;
		}
		for (;;) {
			ssize_t len = recv(fd, buf, sizeof(buf), 0);
			struct nlmsghdr *h = (struct nlmsghdr *)buf;

			if (len < 0 && errno == EINTR)
				continue;
			if (len <= 0) {
				perror("floor: recv");
				return 1;
			}
			for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
				if (h->nlmsg_type == NLMSG_DONE)
					goto next;
				if (h->nlmsg_type == NLMSG_ERROR) {
					fprintf(stderr, "floor: dump failed\n");
					return 1;
				}
				n++;
			}
		}
next:;
	}
	if (count)
		printf("%lu\n", n);
	return 0;
}
