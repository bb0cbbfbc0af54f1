// SPDX-License-Identifier: MIT
/*
 * holder: opens and keeps one share of the benchmark's socket population,
 * inside whatever network namespace it is started in (bench/run.py starts
 * it in a private one).
 *
 *   holder -g FIRST -n COUNT -p PORT [-t TIMEWAIT] [-u UDP] [-f PORT:CONNS]
 *
 * COUNT loopback TCP connections, both ends kept open here (2 fds each),
 * numbered FIRST .. FIRST+COUNT-1 across all holders.  Connection g binds
 * its client end explicitly (no ephemeral port search):
 *
 *   source 127.0.0.(2 + g % 32), port 1024 + g / 32   (IPv4)
 *   source [::1],                port 1024 + g / 32   (IPv6, g % 64 == 63)
 *
 * and connects to this holder's listeners 0.0.0.0:PORT / [::]:PORT.
 * Below 20000, so never in ip_local_port_range as run.py sets it.
 *
 * Variety: g % 8 == 0 leaves 1000..3999 unread bytes in the server end's
 * receive queue, g % 8 == 4 leaves 500 bytes in the client end's; g % 256
 * == 128 half-closes the client end (FIN-WAIT-2 / CLOSE-WAIT).
 * -t makes TIMEWAIT sockets in TIME-WAIT (they expire after 60 s), -u
 * opens UDP sockets (half connected, a quarter with an unread datagram),
 * -f adds a listener on PORT with CONNS connections, for filter tests.
 *
 * Prints "ready TCP_SOCKETS TIMEWAIT UDP" once everything is open, then
 * holds it all until its standard input reaches end of file (or its
 * parent dies) and exits.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define NSRC 32
#define PORT_BASE 1024
#define CHUNK 256

static void die(const char *what)
{
	fprintf(stderr, "holder: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int listener(int family, int port)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6) {
		struct sockaddr_in6 a = { .sin6_family = AF_INET6,
					  .sin6_port = htons(port),
					  .sin6_addr = IN6ADDR_ANY_INIT };

		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)))
			die("bind listener6");
	} else {
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_port = htons(port) };

		if (bind(fd, (struct sockaddr *)&a, sizeof(a)))
			die("bind listener");
	}
	if (listen(fd, 4096))
		die("listen");
	return fd;
}

/* A client socket for connection g (bound as the header says), or with
 * g < 0 an unbound one (ephemeral port on connect). */
static int client(int family, long g, int port)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	if (family == AF_INET6) {
		struct sockaddr_in6 a = { .sin6_family = AF_INET6,
					  .sin6_addr = IN6ADDR_LOOPBACK_INIT };

		if (g >= 0) {
			a.sin6_port = htons(PORT_BASE + g / NSRC);
			if (bind(fd, (struct sockaddr *)&a, sizeof(a)))
				die("bind client6");
		}
		a.sin6_port = htons(port);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
			die("connect6");
	} else {
		struct sockaddr_in a = { .sin_family = AF_INET };

		if (g >= 0) {
			a.sin_addr.s_addr = htonl(0x7f000002 + g % NSRC);
			a.sin_port = htons(PORT_BASE + g / NSRC);
			if (bind(fd, (struct sockaddr *)&a, sizeof(a)))
				die("bind client");
		}
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a.sin_port = htons(port);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
			die("connect");
	}
	return fd;
}

static int accept_one(int l)
{
	int fd;

	while ((fd = accept4(l, NULL, NULL, SOCK_CLOEXEC)) < 0)
		if (errno != EINTR)
			die("accept");
	return fd;
}

static void put(int fd, const char *buf, size_t n)
{
	if (write(fd, buf, n) != (ssize_t)n)
		die("write");
}

static void raise_nofile(long need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		die("getrlimit");
	if ((long)rl.rlim_max < need)
		rl.rlim_max = need; /* root only; fails harmlessly otherwise */
	if ((long)rl.rlim_cur < need)
		rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit RLIMIT_NOFILE (too many connections per holder?)");
}

int main(int argc, char **argv)
{
	static char data[4000];
	long first = -1, count = 0, tw = 0, udp = 0, fconns = 0;
	int port = 0, fport = 0, opt, l4, l6, cl[CHUNK];
	long g, i, done;
	char c;

	while ((opt = getopt(argc, argv, "g:n:p:t:u:f:")) != -1) {
		switch (opt) {
		case 'g': first = atol(optarg); break;
		case 'n': count = atol(optarg); break;
		case 'p': port = atoi(optarg); break;
		case 't': tw = atol(optarg); break;
		case 'u': udp = atol(optarg); break;
		case 'f':
			if (sscanf(optarg, "%d:%ld", &fport, &fconns) != 2)
				return 2;
			break;
		default:
			return 2;
		}
	}
	if (first < 0 || count < 0 || port <= 0 || port > 65535) {
		fprintf(stderr, "usage: holder -g FIRST -n COUNT -p PORT "
				"[-t TIMEWAIT] [-u UDP] [-f PORT:CONNS]\n");
		return 2;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	raise_nofile(2 * (count + fconns) + udp + CHUNK + 64);
	memset(data, 'x', sizeof(data));

	l4 = listener(AF_INET, port);
	l6 = listener(AF_INET6, port);

	/* Connect a chunk, then accept it: the accept queue never fills. */
	for (done = 0; done < count; done += CHUNK) {
		long n = count - done < CHUNK ? count - done : CHUNK;
		long n6 = 0;

		for (i = 0; i < n; i++) {
			g = first + done + i;
			if (g % 64 == 63) {
				cl[i] = client(AF_INET6, g, port);
				n6++;
			} else {
				cl[i] = client(AF_INET, g, port);
			}
			if (g % 8 == 0)
				put(cl[i], data, 1000 + g % 3000);
		}
		for (i = 0; i < n; i++) {
			g = first + done + i;
			/* accepted ends come in their own order; any server
			 * end will do for the queue */
			int s = accept_one(i < n - n6 ? l4 : l6);

			if (g % 8 == 4)
				put(s, data, 500);
			if (g % 256 == 128 && shutdown(cl[i], SHUT_WR))
				die("shutdown");
		}
	}

	if (fport) {
		int lf = listener(AF_INET, fport);

		for (i = 0; i < fconns; i++) {
			client(AF_INET, -1, fport);
			accept_one(lf);
		}
	}

	/* TIME-WAIT: the client closes first, then the server. */
	for (done = 0; done < tw; done += CHUNK) {
		long n = tw - done < CHUNK ? tw - done : CHUNK;
		int sv[CHUNK];

		for (i = 0; i < n; i++) {
			cl[i] = client(AF_INET, -1, port);
			sv[i] = accept_one(l4);
		}
		for (i = 0; i < n; i++)
			close(cl[i]);
		for (i = 0; i < n; i++)
			close(sv[i]);
	}

	for (i = 0; i < udp; i++) {
		static struct sockaddr_in prev;
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t alen = sizeof(a);
		int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		if (u < 0 || bind(u, (struct sockaddr *)&a, sizeof(a)) ||
		    getsockname(u, (struct sockaddr *)&a, &alen))
			die("udp socket");
		if (i % 2 == 1 &&
		    connect(u, (struct sockaddr *)&prev, sizeof(prev)))
			die("udp connect");
		if (i % 4 == 3 && sendto(u, data, 100, 0,
					 (struct sockaddr *)&prev,
					 sizeof(prev)) != 100)
			die("udp send");
		prev = a;
	}

	printf("ready %ld %ld %ld\n", 2 * (count + fconns) + 2 + (fport ? 1 : 0),
	       tw, udp);
	fflush(stdout);
	/* Hold until run.py closes our stdin (or dies). */
	for (;;) {
		ssize_t r = read(0, &c, 1);

		if (r == 0 || (r < 0 && errno != EINTR))
			return 0;
	}
}
