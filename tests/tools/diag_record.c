// SPDX-License-Identifier: MIT
/*
 * Records the raw sock_diag reply to one dump request, for unit-test
 * fixtures:  diag_record tcp|udp|unix inet|inet6 > reply.bin
 * Each recv(2) is written as is: netlink messages back to back.
 */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct {
		struct nlmsghdr nlh;
		union {
			struct inet_diag_req_v2 in;
			struct unix_diag_req un;
		};
	} req;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	static char buf[65536];
	int fd, done = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: diag_record tcp|udp|unix inet|inet6\n");
		return 2;
	}
	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nlh.nlmsg_seq = 1;
	if (!strcmp(argv[1], "unix")) {
		req.nlh.nlmsg_len = NLMSG_LENGTH(sizeof(req.un));
		req.un.sdiag_family = AF_UNIX;
		req.un.udiag_states = ~0u;
		req.un.udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_VFS |
				    UDIAG_SHOW_PEER | UDIAG_SHOW_RQLEN |
				    UDIAG_SHOW_MEMINFO | UDIAG_SHOW_UID;
	} else {
		req.nlh.nlmsg_len = NLMSG_LENGTH(sizeof(req.in));
		req.in.sdiag_family =
			!strcmp(argv[2], "inet6") ? AF_INET6 : AF_INET;
		req.in.sdiag_protocol =
			!strcmp(argv[1], "udp") ? IPPROTO_UDP : IPPROTO_TCP;
		req.in.idiag_states = ~0u;
		req.in.idiag_ext = 1 << (INET_DIAG_SKMEMINFO - 1) |
				   1 << (INET_DIAG_INFO - 1) |
				   1 << (INET_DIAG_CONG - 1);
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0 || sendto(fd, &req, req.nlh.nlmsg_len, 0,
			     (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("diag_record");
		return 1;
	}
	while (!done) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;
		int len;

		if (n < 0) {
			perror("recv");
			return 1;
		}
		len = (int)n;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len))
			if (h->nlmsg_type == NLMSG_DONE ||
			    h->nlmsg_type == NLMSG_ERROR)
				done = 1;
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) {
			perror("write");
			return 1;
		}
	}
	return fflush(stdout) ? 1 : 0;
}
