/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Non-blocking request/response connections for the event loop (the local
 * API, the metrics endpoint): a client that connects and sends nothing, or
 * reads nothing, costs the event path nothing. A pool holds at most max
 * connections, each with a bounded request buffer, drops the ones without
 * activity for longer than idle_ms, and when full makes room by dropping
 * the one whose last activity is the oldest.
 */
#ifndef SOVD_CONN_H
#define SOVD_CONN_H

#include <stddef.h>
#include <stdint.h>

#define CONN_IN_MAX	4224	/* "apply " + a path of PATH_MAX */

struct conn {
	int fd;			/* -1: free slot */
	int64_t last_ms;	/* last activity: accepted, read, written */
	size_t in_len;
	char in[CONN_IN_MAX + 1];
	char *out;
	size_t out_len, out_off;
};

/* What the pool did, for status and metrics. */
struct conn_stats {
	uint64_t open;		/* connections in the pool now */
	uint64_t dropped_idle;	/* no activity for idle_ms */
	uint64_t evicted;	/* made room for a new one in a full pool */
	uint64_t too_long;	/* a request longer than CONN_IN_MAX */
	uint64_t refused;	/* closed at once (no room, epoll failure) */
	uint64_t accept_paused;	/* accept failed for lack of fds: a tick without */
};

struct conn_pool {
	int listen_fd, epfd;
	uint32_t listen_tag, conn_tag;	/* epoll data: tag << 32 | fd */
	int http;		/* a request ends with an empty line, not '\n' */
	int idle_ms;
	int paused;		/* the listener is out of epoll until the next tick */
	size_t max;
	struct conn *c;
	struct conn_stats st;
};

/* epoll data for fd under tag, and back. */
static inline uint64_t conn_ev_data(uint32_t tag, int fd)
{
	return (uint64_t)tag << 32 | (uint32_t)fd;
}

/* Also registers listen_fd (listen_tag) with epfd. 0 or -errno. */
int conn_pool_init(struct conn_pool *p, int listen_fd, int epfd, uint32_t listen_tag,
		   uint32_t conn_tag, size_t max, int idle_ms, int http);
/* Accepts every pending connection. */
void conn_pool_accept(struct conn_pool *p);
/*
 * Handles epoll events of one of p's connections; returns it when its
 * request is complete (NUL-terminated in c->in, line end stripped). A
 * request that does not fit is answered ("error\nrequest too long\n", or
 * 431 over HTTP) and closed.
 */
struct conn *conn_pool_io(struct conn_pool *p, int fd, uint32_t events);
/* Sends buf (copied) and then closes; never blocks. */
void conn_reply(struct conn_pool *p, struct conn *c, const char *buf, size_t len);
/* Hands the connection's fd over (a watcher): p forgets it. */
int conn_take(struct conn_pool *p, struct conn *c);
/* Drops connections idle past idle_ms; re-arms a paused listener. Call on
 * every tick. */
void conn_pool_expire(struct conn_pool *p, int64_t now_ms);
size_t conn_pool_active(const struct conn_pool *p);
void conn_pool_stats(const struct conn_pool *p, struct conn_stats *st);
void conn_pool_close(struct conn_pool *p);
int64_t conn_now_ms(void);

#endif
