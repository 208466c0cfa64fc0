// SPDX-License-Identifier: Apache-2.0
/*
 * The connection pool of the API and metrics sockets (agent/conn.c) over
 * AF_UNIX sockets in the abstract namespace (no root): a full pool evicts
 * the connection whose last activity is the oldest, idle connections
 * time out from their last activity, a request longer than the buffer is
 * refused rather than cut, requests and replies may come in pieces.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "agent/conn.h"
#include "tests/lib/tap.h"

static struct sockaddr_un addr = { .sun_family = AF_UNIX };
static socklen_t addr_len;

static int listener(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1, "sovd-test-conn-%d", getpid());
	addr_len = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(addr.sun_path + 1);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, addr_len) || listen(fd, 64))
		return -1;
	return fd;
}

static int client(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, addr_len))
		return -1;
	return fd;
}

/* The server side of the connection accepted last. */
static struct conn *newest(struct conn_pool *p)
{
	struct conn *c = NULL;

	for (size_t i = 0; i < p->max; i++)
		if (p->c[i].fd >= 0 && (!c || p->c[i].fd > c->fd))
			c = &p->c[i];
	return c;
}

/* 1: the peer closed (EOF or reset), 0: still open, nothing to read. */
static int closed(int fd)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	char b;

	if (poll(&pf, 1, 0) <= 0)
		return 0;
	return recv(fd, &b, 1, MSG_DONTWAIT) <= 0;
}

static ssize_t read_all(int fd, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;

	while (n < len && (r = read(fd, buf + n, len - n)) > 0)
		n += r;
	return n;
}

int main(void)
{
	struct conn_pool p;
	struct conn *c, *ca;
	struct conn_stats st;
	char buf[8192], big[CONN_IN_MAX + 200];
	int lfd, ep, a, b, d, fa, fb;
	int64_t t;

	lfd = listener();
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (!ASSERT_TRUE(lfd >= 0 && ep >= 0, "an abstract unix listener and an epoll set"))
		return tap_done();

	/* Eviction by last activity. */
	ASSERT_OK(conn_pool_init(&p, lfd, ep, 1, 2, 2, 60000, 0), "a pool of 2");
	a = client();
	conn_pool_accept(&p);
	fa = newest(&p)->fd;
	usleep(20000);
	b = client();
	conn_pool_accept(&p);
	fb = newest(&p)->fd;
	ASSERT_TRUE(fb != fa, "b is a connection of its own");
	ASSERT_EQ(conn_pool_active(&p), 2, "two connections accepted");
	usleep(20000);
	/* a, the older one, is active now: b has been idle the longest. */
	ASSERT_EQ(write(a, "sta", 3), 3, "a sends part of a request");
	ASSERT_TRUE(conn_pool_io(&p, fa, EPOLLIN) == NULL, "a part is not a request");
	usleep(20000);
	d = client();
	conn_pool_accept(&p);
	conn_pool_stats(&p, &st);
	ASSERT_EQ(st.evicted, 1, "a third connection to a full pool evicts one");
	ASSERT_EQ(st.dropped_idle, 0, "eviction is not counted as an idle timeout");
	ASSERT_TRUE(closed(b), "the one idle the longest (b) is gone");
	ASSERT_TRUE(!closed(a), "the older but active one (a) stays");
	ASSERT_EQ(write(a, "tus\n", 4), 4, "a sends the rest");
	ca = conn_pool_io(&p, fa, EPOLLIN);
	ASSERT_TRUE(ca != NULL, "a request in two pieces is complete");
	ASSERT_STREQ(ca ? ca->in : NULL, "status", "and whole, line end stripped");

	/* A reply larger than the socket buffer goes out in pieces. */
	{
		size_t len = 4 << 20, got = 0;
		char *out = malloc(len), *in = malloc(len);

		for (size_t i = 0; i < len; i++)
			out[i] = 'a' + i % 26;
		conn_reply(&p, ca, out, len);
		ASSERT_TRUE(ca->fd == fa && ca->out, "a reply the client does not read yet waits");
		while (got < len) {
			ssize_t r = recv(a, in + got, len - got, MSG_DONTWAIT);

			if (r > 0)
				got += r;
			else if (r == 0)
				break;
			if (ca->fd == fa)
				conn_pool_io(&p, fa, EPOLLOUT);
		}
		ASSERT_EQ(got, len, "the whole reply arrives");
		ASSERT_TRUE(!memcmp(in, out, len), "unchanged");
		ASSERT_TRUE(closed(a), "then the connection closes");
		free(out);
		free(in);
	}
	close(a);
	close(b);

	/* Idle timeout from the last activity. */
	c = newest(&p);
	ASSERT_TRUE(c && !closed(d), "d is open");
	t = c->last_ms;
	conn_pool_expire(&p, t + 60000);
	ASSERT_TRUE(!closed(d), "not dropped at exactly the idle limit");
	ASSERT_EQ(write(d, "x", 1), 1, "d is active");
	usleep(20000);
	conn_pool_io(&p, c->fd, EPOLLIN);
	ASSERT_TRUE(c->last_ms > t, "activity moves its last activity");
	conn_pool_expire(&p, t + 60001);
	ASSERT_TRUE(!closed(d), "so the old deadline does not drop it");
	conn_pool_expire(&p, c->last_ms + 60001);
	conn_pool_stats(&p, &st);
	ASSERT_TRUE(closed(d), "idle past the limit since its last activity: dropped");
	ASSERT_EQ(st.dropped_idle, 1, "counted as idle");
	ASSERT_EQ(st.open, 0, "none open");
	close(d);

	/* A request longer than the buffer. */
	memset(big, 'x', sizeof(big));
	memcpy(big, "apply /", 7);
	big[sizeof(big) - 1] = '\n';
	a = client();
	conn_pool_accept(&p);
	fa = newest(&p)->fd;
	ASSERT_EQ(write(a, big, sizeof(big)), (ssize_t)sizeof(big), "send an over-long request");
	ASSERT_TRUE(conn_pool_io(&p, fa, EPOLLIN) == NULL, "it is never handed over as a request");
	memset(buf, 0, sizeof(buf));
	read_all(a, buf, sizeof(buf) - 1);
	ASSERT_STREQ(buf, "error\nrequest too long\n", "the answer says so");
	conn_pool_stats(&p, &st);
	ASSERT_EQ(st.too_long, 1, "counted as too long");
	close(a);

	/* A request that fits exactly is still served. */
	a = client();
	conn_pool_accept(&p);
	fa = newest(&p)->fd;
	big[CONN_IN_MAX - 1] = '\n';
	ASSERT_EQ(write(a, big, CONN_IN_MAX), CONN_IN_MAX, "send a request of the buffer's size");
	c = conn_pool_io(&p, fa, EPOLLIN);
	ASSERT_TRUE(c != NULL, "it is a request");
	ASSERT_EQ(c ? strlen(c->in) : 0, CONN_IN_MAX - 1, "whole");
	close(a);
	conn_pool_close(&p);

	/* Over HTTP: 431. */
	ASSERT_OK(conn_pool_init(&p, lfd, ep, 1, 2, 4, 60000, 1), "an HTTP pool");
	a = client();
	conn_pool_accept(&p);
	fa = newest(&p)->fd;
	memcpy(big, "GET /", 5);
	ASSERT_EQ(write(a, big, sizeof(big)), (ssize_t)sizeof(big), "send an over-long HTTP request");
	ASSERT_TRUE(conn_pool_io(&p, fa, EPOLLIN) == NULL, "not served");
	memset(buf, 0, sizeof(buf));
	read_all(a, buf, sizeof(buf) - 1);
	ASSERT_STRSTR(buf, "HTTP/1.0 431 ", "answered 431");
	close(a);
	conn_pool_close(&p);

	/* Out of fds: the listener sits out a tick instead of waking the
	 * loop forever. */
	{
		struct epoll_event ev;
		struct rlimit old, low;
		int fill[64], nfill = 0, x;

		ASSERT_OK(conn_pool_init(&p, lfd, ep, 1, 2, 4, 60000, 0), "a pool again");
		a = client();
		while (nfill < 64 && (x = dup(0)) >= 0 && x < a)
			fill[nfill++] = x;
		if (x > a)
			close(x);
		getrlimit(RLIMIT_NOFILE, &old);
		low = old;
		low.rlim_cur = a + 1;
		ASSERT_OK(setrlimit(RLIMIT_NOFILE, &low), "no fd left for accept");
		ASSERT_EQ(epoll_wait(ep, &ev, 1, 0), 1, "a pending connection wakes the loop");
		conn_pool_accept(&p);
		conn_pool_stats(&p, &st);
		ASSERT_EQ(st.accept_paused, 1, "accept failed for lack of fds: counted");
		ASSERT_EQ(st.open, 0, "nothing accepted");
		ASSERT_EQ(epoll_wait(ep, &ev, 1, 0), 0, "the listener no longer wakes the loop");
		setrlimit(RLIMIT_NOFILE, &old);
		conn_pool_expire(&p, conn_now_ms());
		ASSERT_EQ(epoll_wait(ep, &ev, 1, 0), 1, "the next tick watches it again");
		conn_pool_accept(&p);
		ASSERT_EQ(conn_pool_active(&p), 1, "and the connection is accepted");
		while (nfill)
			close(fill[--nfill]);
		close(a);
		conn_pool_close(&p);
	}
	close(ep);
	close(lfd);
	return tap_done();
}
