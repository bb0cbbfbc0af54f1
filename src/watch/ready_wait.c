// SPDX-License-Identifier: MIT
/*
 * The thread that waits in our epoll instance (see ready.h): it blocks in
 * epoll_wait, copies what it returns with the time into a ring, and tells
 * the loop.  It does nothing else, so it can run at real-time priority:
 * it sleeps until the target's sockets wake, each wakeup costs it a copy,
 * and with the ring full it waits for the loop instead of spinning (the
 * wakeups stay in the kernel's ready list meanwhile, as without it).  The
 * kernel's real-time throttling bounds it anyway.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "watch/ready.h"

#define RING 4096	/* wakeups queued before the thread waits */
#define BATCH 256	/* per epoll_wait */
#define STOP_KEY 0	/* no socket has inode 0 */
#define TWIN_BATCH (1u << 31) /* the twin's batches: never the first's */

struct sv_ready_waiter {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t freed;
	int epfd, stopfd;
	bool stop;
	_Atomic unsigned hold_ms;
	void (*notify)(void *arg);
	void *arg;
	size_t head, tail; /* head - tail queued, both only grow */
	uint32_t batch;
	struct sv_ready_wake ring[RING];
};

uint64_t sv_ready_real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void put(struct sv_ready_waiter *wt, const struct epoll_event *ev,
		uint64_t ns)
{
	struct sv_ready_wake *k = &wt->ring[wt->head++ % RING];

	k->key = ev->data.u64;
	k->events = ev->events;
	k->batch = wt->batch;
	k->real_ns = ns;
}

/* Room for how many more; waits while there is none. */
static size_t room(struct sv_ready_waiter *wt)
{
	size_t n;

	pthread_mutex_lock(&wt->mu);
	while (!wt->stop && wt->head - wt->tail == RING)
		pthread_cond_wait(&wt->freed, &wt->mu);
	n = wt->stop ? 0 : RING - (wt->head - wt->tail);
	pthread_mutex_unlock(&wt->mu);
	return n < BATCH ? n : BATCH;
}

/* Main entries first: a hangup there explains the output entry's. */
static bool queue(struct sv_ready_waiter *wt, const struct epoll_event *ev,
		  int n, uint64_t ns)
{
	bool stop = false;
	int i;

	pthread_mutex_lock(&wt->mu);
	wt->batch++;
	for (i = 0; i < n; i++) {
		if (ev[i].data.u64 == STOP_KEY)
			stop = true;
		else if (!(ev[i].data.u64 & SV_READY_OUT))
			put(wt, &ev[i], ns);
	}
	for (i = 0; i < n; i++)
		if (ev[i].data.u64 & SV_READY_OUT)
			put(wt, &ev[i], ns);
	stop = stop || wt->stop;
	pthread_mutex_unlock(&wt->mu);
	return stop;
}

static void hold(struct sv_ready_waiter *wt)
{
	unsigned ms = atomic_load_explicit(&wt->hold_ms, memory_order_relaxed);
	struct timespec ts = { .tv_nsec = (long)ms * 1000000L };

	/* a signal cuts it short: that only makes this batch smaller */
	if (ms)
		nanosleep(&ts, NULL);
}

static void *wait_main(void *arg)
{
	struct sv_ready_waiter *wt = arg;
	struct epoll_event ev[BATCH];
	size_t max;
	int n;

	while ((max = room(wt)) > 0) {
		n = epoll_wait(wt->epfd, ev, (int)max, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (queue(wt, ev, n, sv_ready_real_ns()))
			break;
		wt->notify(wt->arg);
		hold(wt);
	}
	return NULL;
}

static int init_sync(struct sv_ready_waiter *wt)
{
	pthread_mutexattr_t ma;
	int err;

	/* the loop may hold the lock when the thread wants it: lend it the
	 * thread's priority rather than let other work run first */
	err = pthread_mutexattr_init(&ma);
	if (err)
		return -err;
	err = pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_INHERIT);
	if (!err)
		err = pthread_mutex_init(&wt->mu, &ma);
	pthread_mutexattr_destroy(&ma);
	if (err)
		return -err;
	err = pthread_cond_init(&wt->freed, NULL);
	if (err) {
		pthread_mutex_destroy(&wt->mu);
		return -err;
	}
	return 0;
}

/* SCHED_FIFO 1 where permitted (root, CAP_SYS_NICE, RLIMIT_RTPRIO), else
 * the process's own policy and nice. */
static int start_thread(struct sv_ready_waiter *wt, int *rt_err)
{
	struct sched_param sp = { .sched_priority = 1 };
	pthread_attr_t at;
	int err;

	err = pthread_attr_init(&at);
	if (err)
		return -err;
	err = pthread_attr_setinheritsched(&at, PTHREAD_EXPLICIT_SCHED);
	if (!err)
		err = pthread_attr_setschedpolicy(&at, SCHED_FIFO);
	if (!err)
		err = pthread_attr_setschedparam(&at, &sp);
	if (!err)
		err = pthread_create(&wt->thread, &at, wait_main, wt);
	pthread_attr_destroy(&at);
	*rt_err = -err;
	if (err)
		err = pthread_create(&wt->thread, NULL, wait_main, wt);
	return -err;
}

static struct sv_ready_waiter *waiter_start(int epfd, uint32_t batch,
					    void (*notify)(void *arg),
					    void *arg, int *rt_err, int *err)
{
	struct epoll_event stop = { .events = EPOLLIN,
				    .data.u64 = STOP_KEY };
	struct sv_ready_waiter *wt = calloc(1, sizeof(*wt));

	*err = 0;
	if (!wt) {
		*err = -ENOMEM;
		return NULL;
	}
	wt->epfd = epfd;
	wt->batch = batch;
	wt->notify = notify;
	wt->arg = arg;
	wt->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (wt->stopfd < 0) {
		*err = -errno;
		free(wt);
		return NULL;
	}
	*err = init_sync(wt);
	if (!*err && epoll_ctl(epfd, EPOLL_CTL_ADD, wt->stopfd, &stop) < 0)
		*err = -errno;
	if (!*err) {
		*err = start_thread(wt, rt_err);
		if (*err)
			epoll_ctl(epfd, EPOLL_CTL_DEL, wt->stopfd, NULL);
	}
	if (*err) {
		close(wt->stopfd);
		free(wt);
		return NULL;
	}
	return wt;
}

static void waiter_stop(struct sv_ready_waiter *wt)
{
	uint64_t one = 1;

	pthread_mutex_lock(&wt->mu);
	wt->stop = true;
	pthread_cond_signal(&wt->freed);
	pthread_mutex_unlock(&wt->mu);
	/* wakes its epoll_wait; cannot fail short of a full counter */
	if (write(wt->stopfd, &one, sizeof(one)) != sizeof(one))
		pthread_cancel(wt->thread);
	pthread_join(wt->thread, NULL);
	close(wt->stopfd);
	pthread_cond_destroy(&wt->freed);
	pthread_mutex_destroy(&wt->mu);
	free(wt);
}

int sv_ready_wait_start(struct sv_ready *r, void (*notify)(void *arg),
			void *arg, int *rt_err)
{
	int err, twin_rt;

	*rt_err = 0;
	if (r->waiter)
		return -EBUSY;
	r->waiter = waiter_start(r->epfd, 0, notify, arg, rt_err, &err);
	if (!r->waiter)
		return err;
	/* the twin helps only at real-time priority, beside the first */
	if (r->twin_epfd >= 0 && !*rt_err)
		r->twin = waiter_start(r->twin_epfd, TWIN_BATCH, notify, arg,
				       &twin_rt, &err);
	if (!r->twin && r->twin_epfd >= 0) {
		close(r->twin_epfd);
		r->twin_epfd = -1;
	}
	return 0;
}

int sv_ready_wait_add(struct sv_ready *r, int fd, uint64_t key)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET,
				  .data.u64 = key | SV_READY_OTHER };

	if (!r->waiter)
		return -ENOTCONN;
	return epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static size_t take_from(struct sv_ready_waiter *wt, struct sv_ready_wake *out,
			size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&wt->mu);
	while (n < max && wt->tail != wt->head)
		out[n++] = wt->ring[wt->tail++ % RING];
	if (n)
		pthread_cond_signal(&wt->freed);
	pthread_mutex_unlock(&wt->mu);
	return n;
}

size_t sv_ready_take(struct sv_ready *r, struct sv_ready_wake *out,
		     size_t max)
{
	struct sv_ready_wake a[SV_READY_TAKE_MAX], b[SV_READY_TAKE_MAX];
	size_t na, nb, i = 0, j = 0, n = 0;

	if (!r->waiter)
		return 0;
	if (max > SV_READY_TAKE_MAX)
		max = SV_READY_TAKE_MAX;
	if (!r->twin)
		return take_from(r->waiter, out, max);
	/* each ring is in time order: merge them */
	na = take_from(r->waiter, a, max - max / 2);
	nb = take_from(r->twin, b, max - na);
	while (i < na || j < nb)
		out[n++] = j == nb || (i < na && a[i].real_ns <= b[j].real_ns)
				   ? a[i++]
				   : b[j++];
	return n;
}

void sv_ready_wait_hold(struct sv_ready *r, unsigned ms)
{
	if (r->waiter)
		atomic_store_explicit(&r->waiter->hold_ms, ms,
				      memory_order_relaxed);
	if (r->twin)
		atomic_store_explicit(&r->twin->hold_ms, ms,
				      memory_order_relaxed);
}

void sv_ready_wait_stop(struct sv_ready *r)
{
	if (r->twin)
		waiter_stop(r->twin);
	if (r->waiter)
		waiter_stop(r->waiter);
	r->twin = r->waiter = NULL;
}
