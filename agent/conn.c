// SPDX-License-Identifier: Apache-2.0
/*
 * Non-blocking connections (conn.h).
 * Calls: libc only. Called by api.c and metrics.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "agent/conn.h"

int64_t conn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int conn_pool_init(struct conn_pool *p, int listen_fd, int epfd, uint32_t listen_tag,
		   uint32_t conn_tag, size_t max, int idle_ms, int http)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = conn_ev_data(listen_tag, listen_fd) };

	memset(p, 0, sizeof(*p));
	p->c = calloc(max, sizeof(*p->c));
	if (!p->c)
		return -ENOMEM;
	for (size_t i = 0; i < max; i++)
		p->c[i].fd = -1;
	p->listen_fd = listen_fd;
	p->epfd = epfd;
	p->listen_tag = listen_tag;
	p->conn_tag = conn_tag;
	p->max = max;
	p->idle_ms = idle_ms;
	p->http = http;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev)) {
		int err = -errno;

		free(p->c);
		p->c = NULL;
		return err;
	}
	return 0;
}

static void drop(struct conn_pool *p, struct conn *c)
{
	epoll_ctl(p->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->out);
	c->out = NULL;
	c->fd = -1;
}

void conn_pool_accept(struct conn_pool *p)
{
	for (;;) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
		struct conn *c = NULL;
		int fd = accept4(p->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			/* Out of fds: the pending connection stays pending and
			 * the listener would wake the loop at once, forever.
			 * It sits out until the next tick. */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				epoll_ctl(p->epfd, EPOLL_CTL_DEL, p->listen_fd, NULL);
				p->paused = 1;
				p->st.accept_paused++;
			}
			return;
		}
		for (size_t i = 0; i < p->max && !c; i++)
			if (p->c[i].fd < 0)
				c = &p->c[i];
		if (!c) {
			/* Full: the connection whose last activity is the
			 * oldest makes room, so that idle clients cannot lock
			 * out a real one. One being answered is left alone. */
			for (size_t i = 0; i < p->max; i++)
				if (!p->c[i].out && (!c || p->c[i].last_ms < c->last_ms))
					c = &p->c[i];
			if (c) {
				p->st.evicted++;
				drop(p, c);
			}
		}
		ev.data.u64 = conn_ev_data(p->conn_tag, fd);
		if (!c || epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			p->st.refused++;
			close(fd);
			continue;
		}
		c->fd = fd;
		c->in_len = 0;
		c->out_len = c->out_off = 0;
		c->last_ms = conn_now_ms();
	}
}

static struct conn *find(struct conn_pool *p, int fd)
{
	for (size_t i = 0; i < p->max; i++)
		if (p->c[i].fd == fd)
			return &p->c[i];
	return NULL;
}

/* 1 when the request in c->in is complete (and cut at its end), -1 when
 * it cannot be: the buffer is full and has no end. */
static int complete(const struct conn_pool *p, struct conn *c, int eof)
{
	char *end;

	c->in[c->in_len] = '\0';
	if (p->http) {
		end = strstr(c->in, "\r\n\r\n");
		if (!end)
			end = strstr(c->in, "\n\n");
	} else {
		end = memchr(c->in, '\n', c->in_len);
	}
	if (end) {
		*end = '\0';
	} else if (c->in_len >= CONN_IN_MAX) {
		return -1;
	} else if (!eof) {
		return 0;
	}
	if (!p->http)
		c->in[strcspn(c->in, "\r\n")] = '\0';
	return 1;
}

static void flush_out(struct conn_pool *p, struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct epoll_event ev = {
				.events = EPOLLOUT,
				.data.u64 = conn_ev_data(p->conn_tag, c->fd),
			};

			epoll_ctl(p->epfd, EPOLL_CTL_MOD, c->fd, &ev);
			return;
		}
		if (w <= 0)
			break;
		c->out_off += w;
		c->last_ms = conn_now_ms();
	}
	drop(p, c);
}

static void too_long(struct conn_pool *p, struct conn *c)
{
	static const char api[] = "error\nrequest too long\n";
	static const char http[] =
		"HTTP/1.0 431 Request Header Fields Too Large\r\nContent-Length: 17\r\n\r\nrequest too long\n";

	char scratch[4096];

	p->st.too_long++;
	/* The rest of the request is read and dropped first: closing with
	 * unread input resets the connection, and the client could lose the
	 * answer. */
	while (recv(c->fd, scratch, sizeof(scratch), MSG_DONTWAIT) > 0)
		;
	/* Never cut and served: "apply <long path>" would apply another path. */
	if (p->http)
		conn_reply(p, c, http, sizeof(http) - 1);
	else
		conn_reply(p, c, api, sizeof(api) - 1);
}

struct conn *conn_pool_io(struct conn_pool *p, int fd, uint32_t events)
{
	struct conn *c = find(p, fd);
	ssize_t r;
	int done;

	if (!c)
		return NULL;
	if (c->out) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			flush_out(p, c);
		return NULL;
	}
	for (;;) {
		r = recv(fd, c->in + c->in_len, CONN_IN_MAX - c->in_len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			done = complete(p, c, 0);
			break;
		}
		if (r < 0 || (r == 0 && !c->in_len)) {
			drop(p, c);
			return NULL;
		}
		if (r == 0) {
			done = complete(p, c, 1);
			break;
		}
		c->in_len += r;
		c->last_ms = conn_now_ms();
		done = complete(p, c, 0);
		if (done)
			break;
	}
	if (done < 0) {
		too_long(p, c);
		return NULL;
	}
	return done ? c : NULL;
}

void conn_reply(struct conn_pool *p, struct conn *c, const char *buf, size_t len)
{
	struct epoll_event ev = { .events = 0, .data.u64 = conn_ev_data(p->conn_tag, c->fd) };

	c->out = malloc(len ? len : 1);
	if (!c->out) {
		drop(p, c);
		return;
	}
	memcpy(c->out, buf, len);
	c->out_len = len;
	c->out_off = 0;
	/* No more reading: only EPOLLOUT matters from here on. */
	epoll_ctl(p->epfd, EPOLL_CTL_MOD, c->fd, &ev);
	c->last_ms = conn_now_ms();
	flush_out(p, c);
}

int conn_take(struct conn_pool *p, struct conn *c)
{
	int fd = c->fd;

	epoll_ctl(p->epfd, EPOLL_CTL_DEL, fd, NULL);
	c->fd = -1;
	return fd;
}

void conn_pool_expire(struct conn_pool *p, int64_t now_ms)
{
	if (p->paused) {
		struct epoll_event ev = {
			.events = EPOLLIN, .data.u64 = conn_ev_data(p->listen_tag, p->listen_fd),
		};

		if (!epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->listen_fd, &ev))
			p->paused = 0;
	}
	for (size_t i = 0; i < p->max; i++) {
		if (p->c[i].fd >= 0 && now_ms - p->c[i].last_ms > p->idle_ms) {
			p->st.dropped_idle++;
			drop(p, &p->c[i]);
		}
	}
}

size_t conn_pool_active(const struct conn_pool *p)
{
	size_t n = 0;

	for (size_t i = 0; p->c && i < p->max; i++)
		n += p->c[i].fd >= 0;
	return n;
}

void conn_pool_stats(const struct conn_pool *p, struct conn_stats *st)
{
	*st = p->st;
	st->open = conn_pool_active(p);
}

void conn_pool_close(struct conn_pool *p)
{
	if (p->c && !p->paused)
		epoll_ctl(p->epfd, EPOLL_CTL_DEL, p->listen_fd, NULL);
	for (size_t i = 0; p->c && i < p->max; i++)
		if (p->c[i].fd >= 0)
			drop(p, &p->c[i]);
	free(p->c);
	p->c = NULL;
}
