// SPDX-License-Identifier: Apache-2.0
/*
 * The local API on a unix socket (default /run/sovd/sovd.sock, mode 0600):
 * one request line per connection.
 *   status          -> one JSON object, then close
 *   watch [FILTER]  -> the event stream (NDJSON) until the client goes, the
 *                      lines that pass FILTER (watch.h), after a replay of
 *                      the recent ones it asks for
 *                      (or "error" + why, for a bad filter)
 *   apply PATH      -> "ok generation=N sha256=H" or "error" + diagnostics
 * Connections never block the event loop (conn.c). A watcher that cannot
 * keep up is disconnected rather than allowed to stall it.
 *
 * Calls: conn.c, lifecycle.c (apply), kpath_load.c (counters),
 * ndjson.c, jbuf.c, log.c, watch.c (filters, the ring), host.c (cgroup
 * ids). Called by main.c; records arrive through the sink table.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "agent/api.h"
#include "agent/label_gc.h"
#include "agent/features.h"
#include "agent/host.h"
#include "agent/jbuf.h"
#include "agent/journal_glue.h"
#include "agent/kpath.h"
#include "agent/lifecycle.h"
#include "agent/log.h"
#include "agent/ndjson.h"
#include "agent/selfaudit.h"
#include "policy/policy.h"

int api_listen(struct api *a, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)];
	char *slash;
	int fd, err;

	a->listen_fd = -1;
	a->path = path;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		pr_err("socket path %s is too long", path);
		return -ENAMETOOLONG;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* SOMAXCONN: a burst of clients (monitoring, scripts) must queue, not
	 * be refused with EAGAIN while the loop drains events. */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0600) ||
	    listen(fd, SOMAXCONN)) {
		err = -errno;
		pr_err("failed to listen on %s: %s", path, strerror(-err));
		close(fd);
		return err;
	}
	a->listen_fd = fd;
	return 0;
}

int api_start(struct api *a, int epfd, uint32_t listen_tag, uint32_t conn_tag)
{
	int err = watch_ring_init(&a->ring, a->ring_size);

	if (err) {
		pr_err("failed to allocate the watch ring of %zu events: %s", a->ring_size,
		       strerror(-err));
		return err;
	}
	err = conn_pool_init(&a->pool, a->listen_fd, epfd, listen_tag, conn_tag,
			     API_MAX_CONNS, API_IDLE_MS, 0);
	if (err)
		pr_err("failed to watch the API socket: %s", strerror(-err));
	return err;
}

static void pool_json(struct jbuf *b, const char *name, const struct conn_pool *p)
{
	struct conn_stats st;

	conn_pool_stats(p, &st);
	jb_key(b, name);
	jb_open(b);
	jb_u64(b, "open", st.open);
	jb_u64(b, "dropped_idle", st.dropped_idle);
	jb_u64(b, "evicted", st.evicted);
	jb_u64(b, "too_long", st.too_long);
	jb_u64(b, "refused", st.refused);
	jb_u64(b, "accept_paused", st.accept_paused);
	jb_close(b);
}

static void status_json(struct api *a, struct jbuf *b)
{
	static const char *const cnames[] = {
		"events", "lost", "allow", "deny", "audit", "taint", "derive", "packets_dropped",
		"map_full", "labels_reclaimed",
	};
	const struct api_view *v = &a->view;
	const struct sov_policy_image *img = a->life->img;
	const char *ast;
	int jfailed = v->journal->failed;
	struct sov_counters c = {};

	_Static_assert(sizeof(cnames) / sizeof(cnames[0]) == SOV_CNT_MAX, "a name per counter");
	kpath_read_counters(v->fd, &c);
	jb_open(b);
	/* "enforcing" only when the self-audit, run for this request, passed. */
	ast = a->audit ? selfaudit_state(a->audit) : "audit-stale";
	jb_str(b, "state", strcmp(ast, "enforcing") ? ast :
			   jfailed ? "enforcing-journal-failed" : "enforcing");
	jb_str(b, "kernel_path", v->kernel_path);
	jb_str(b, "bpf_build", v->feat && v->feat->k510 > 0 ? "5.10" : "current");
	jb_u64(b, "pid", getpid());
	jb_key(b, "policy");
	jb_open(b);
	jb_str(b, "path", img->path);
	jb_str(b, "sha256", img->sha256_hex);
	jb_str(b, "mode", img->mode == SOV_POLICY_AUDIT ? "audit" : "enforce");
	jb_u64(b, "generation", a->life->generation);
	jb_u64(b, "classes", img->n_classes);
	jb_u64(b, "zones", img->n_zones);
	jb_u64(b, "prefixes_v4", img->n_v4);
	jb_u64(b, "prefixes_v6", img->n_v6);
	jb_close(b);
	jb_key(b, "features");
	jb_open(b);
	jb_str(b, "btf", v->feat->btf ? "yes" : "no");
	jb_str(b, "bpf_lsm", v->feat->bpf_lsm ? "yes" : "no");
	jb_str(b, "tp_btf", v->feat->tp_btf ? "yes" : "no");
	jb_str(b, "trampolines", v->feat->trampolines ? "yes" : "no");
	jb_str(b, "ringbuf", v->feat->ringbuf ? "yes" : "no");
	jb_str(b, "cgroup2", v->feat->cgroup2);
	jb_close(b);
	jb_key(b, "counters");
	jb_open(b);
	for (int i = 0; i < SOV_CNT_MAX; i++)
		jb_u64(b, cnames[i], c.c[i]);
	jb_close(b);
	/* Walking the maps here would stall the drain: the loop's last
	 * periodic walk, and when it was. */
	jb_u64(b, "tainted_processes", v->counts->tainted);
	jb_u64(b, "labels", v->counts->labels);
	jb_u64(b, "counts_as_of_ns", (uint64_t)v->counts->as_of_ns);
	/* issue 12: sizes chosen from the host, and the fail-closed state */
	jb_key(b, "map_sizes");
	jb_open(b);
	jb_u64(b, "taint", v->counts->max_procs);
	jb_u64(b, "taint_exited", v->counts->max_exited);
	jb_u64(b, "labels", v->counts->max_labels);
	jb_close(b);
	jb_u64(b, "taint_overflow_classes", v->counts->overflow);
	jb_u64(b, "labels_lost_classes", v->counts->labels_lost);
	jb_u64(b, "ipc_lost_classes", v->counts->ipc_lost);
	/* issue 14: allowed flows counted in the kernel, reported by sovd */
	jb_key(b, "flows");
	jb_open(b);
	jb_u64(b, "egress_aggregated", v->counts->egress_aggregated);
	jb_u64(b, "aggregate_records", v->counts->egress_aggregates);
	jb_u64(b, "keys", v->counts->flow_keys);
	jb_close(b);
	if (v->gc) {
		/* labels of deleted inodes: the kernel's are counters.labels_reclaimed */
		jb_key(b, "label_gc");
		jb_open(b);
		jb_u64(b, "reclaimed", v->gc->reclaimed);
		jb_u64(b, "checked", v->gc->checked);
		jb_u64(b, "unverifiable", v->gc->unverifiable);
		jb_u64(b, "passes", v->gc->passes);
		jb_close(b);
	}
	jb_u64(b, "watchers", a->n_watchers);
	/* issue 16: the events `watch --since` can replay */
	jb_key(b, "watch_ring");
	jb_open(b);
	jb_u64(b, "size", a->ring.cap);
	jb_u64(b, "held", a->ring.n);
	jb_close(b);
	jb_key(b, "connections");
	jb_open(b);
	pool_json(b, "api", &a->pool);
	if (v->metrics_pool)
		pool_json(b, "metrics", v->metrics_pool);
	jb_close(b);
	jb_str(b, "journal", v->journal->j ? (jfailed ? "failed" : "ok") : "off");
	jb_u64(b, "journal_errors", v->journal->errors);
	jb_str(b, "pin_dir", v->pin_dir);
	if (a->audit)
		selfaudit_status_json(a->audit, b);
	jb_close(b);
	jb_raw(b, "\n", 1);
}

/* Epoll interest of a watcher: hangups always, writability while output
 * waits. */
static int watcher_arm(struct api *a, struct watcher *w, int op)
{
	struct epoll_event ev = { .events = EPOLLRDHUP };

	if (w->out_off < w->out_len)
		ev.events |= EPOLLOUT;
	ev.data.u64 = conn_ev_data(a->pool.conn_tag, w->fd);
	return epoll_ctl(a->pool.epfd, op, w->fd, &ev);
}

static void drop_watcher(struct api *a, size_t i)
{
	struct watcher *w = &a->watchers[i];

	epoll_ctl(a->pool.epfd, EPOLL_CTL_DEL, w->fd, NULL);
	close(w->fd);
	a->queued -= w->out_len - w->out_off;
	free(w->out);
	watch_filter_free(&w->f);
	*w = a->watchers[--a->n_watchers];
}

/*
 * Writes what waits for watcher i without blocking. 0: kept; -1: dropped
 * (gone, or done after its replay).
 */
static int watcher_flush(struct api *a, size_t i)
{
	struct watcher *w = &a->watchers[i];
	int was_waiting = w->out_off < w->out_len;

	while (w->out_off < w->out_len) {
		ssize_t n = send(w->fd, w->out + w->out_off, w->out_len - w->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0) {
			drop_watcher(a, i);
			return -1;
		}
		w->out_off += n;
		a->queued -= n;
	}
	w->out_off = w->out_len = 0;
	if (w->close_when_sent) {
		drop_watcher(a, i);
		return -1;
	}
	if (was_waiting)
		watcher_arm(a, w, EPOLL_CTL_MOD);
	return 0;
}

/* Queues a line for watcher i; -1 when that drops it (too far behind). */
static int watcher_queue(struct api *a, size_t i, const char *line, size_t len)
{
	struct watcher *w = &a->watchers[i];
	size_t waiting = w->out_len - w->out_off;
	char *nb;

	if (waiting + len > WATCH_OUT_MAX || a->queued + len > API_WATCH_QUEUED_MAX) {
		drop_watcher(a, i);
		return -1;
	}
	if (w->out_off) {
		memmove(w->out, w->out + w->out_off, waiting);
		w->out_off = 0;
		w->out_len = waiting;
	}
	nb = realloc(w->out, waiting + len);
	if (!nb) {
		drop_watcher(a, i);
		return -1;
	}
	w->out = nb;
	memcpy(w->out + waiting, line, len);
	w->out_len = waiting + len;
	a->queued += len;
	if (!waiting)
		watcher_arm(a, w, EPOLL_CTL_MOD);
	return 0;
}

/* One line to watcher i: at once when nothing waits, else after what does.
 * A partial write leaves the rest queued. -1: dropped. */
static int watcher_send(struct api *a, size_t i, const char *line, size_t len)
{
	struct watcher *w = &a->watchers[i];
	ssize_t n = 0;

	if (w->out_off == w->out_len) {
		n = send(w->fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == (ssize_t)len)
			return 0;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			drop_watcher(a, i);
			return -1;
		}
		if (n < 0)
			n = 0;
	}
	return watcher_queue(a, i, line + n, len - n);
}

/*
 * The ring's last f->since events that pass f, oldest first, into w->out
 * (at most WATCH_OUT_MAX bytes: the newest that fit).
 */
static int replay(struct api *a, struct watcher *w)
{
	size_t start = a->ring.n, matched = 0, bytes = 0, len;
	const struct watch_rec *r;
	const char *line;

	for (size_t j = a->ring.n; j-- > 0 && matched < w->f.since;) {
		r = watch_ring_rec(&a->ring, j, &line, &len);
		if (!watch_filter_match(&w->f, r))
			continue;
		if (bytes + len > WATCH_OUT_MAX || a->queued + bytes + len > API_WATCH_QUEUED_MAX)
			break;
		bytes += len;
		matched++;
		start = j;
	}
	if (!bytes)
		return 0;
	w->out = malloc(bytes);
	if (!w->out)
		return -ENOMEM;
	for (size_t j = start; j < a->ring.n && w->out_len < bytes; j++) {
		r = watch_ring_rec(&a->ring, j, &line, &len);
		if (!watch_filter_match(&w->f, r))
			continue;
		memcpy(w->out + w->out_len, line, len);
		w->out_len += len;
	}
	a->queued += w->out_len;
	return 0;
}

/*
 * "watch" and its filter (watch.h): refused with "error\n" and the reason
 * before anything is streamed; a plain "watch" has no filter and no replay.
 */
static void add_watcher(struct api *a, struct conn *c, const char *args)
{
	char msg[512], why[400];
	struct watcher *nw, *w;
	int fd;

	if (a->n_watchers >= API_MAX_WATCHERS) {
		conn_reply(&a->pool, c, "error\ntoo many watchers\n", 24);
		return;
	}
	nw = realloc(a->watchers, (a->n_watchers + 1) * sizeof(*nw));
	if (!nw) {
		conn_reply(&a->pool, c, "error\nout of memory\n", 20);
		return;
	}
	a->watchers = nw;
	w = &a->watchers[a->n_watchers];
	memset(w, 0, sizeof(*w));
	if (watch_filter_parse(&w->f, args, why, sizeof(why))) {
		snprintf(msg, sizeof(msg), "error\n%s\n", why);
		conn_reply(&a->pool, c, msg, strlen(msg));
		return;
	}
	/* A cgroup id names the cgroup whose path events carry. */
	for (unsigned int i = 0; i < w->f.n; i++) {
		struct watch_value *v = &w->f.v[i];
		const char *path;

		if (v->key != WK_CGROUP || v->s)
			continue;
		path = cgroup_path(v->num);
		if (!path[0] || !(v->s = strdup(path))) {
			snprintf(msg, sizeof(msg), "error\nno cgroup with id %llu below the cgroup2 mount\n",
				 (unsigned long long)v->num);
			conn_reply(&a->pool, c, msg, strlen(msg));
			watch_filter_free(&w->f);
			return;
		}
	}
	if (replay(a, w)) {
		conn_reply(&a->pool, c, "error\nout of memory\n", 20);
		watch_filter_free(&w->f);
		return;
	}
	w->close_when_sent = !w->f.follow;
	/* The fd is non-blocking (accept4): writes never wait. It is watched
	 * for hangups (a client that goes frees its slot at once, not at the
	 * next event) and, while output waits, for room to write. */
	fd = conn_take(&a->pool, c);
	w->fd = fd;
	if (watcher_arm(a, w, EPOLL_CTL_ADD)) {
		close(fd);
		a->queued -= w->out_len;
		free(w->out);
		watch_filter_free(&w->f);
		return;
	}
	a->n_watchers++;
	watcher_flush(a, a->n_watchers - 1);
}

static void handle(struct api *a, struct conn *c)
{
	static char msg[65536 + 8];
	struct jbuf b;

	if (!strcmp(c->in, "status")) {
		if (a->audit)
			selfaudit_run(a->audit);
		jb_init(&b);
		status_json(a, &b);
		if (!b.oom)
			conn_reply(&a->pool, c, b.s, b.len);
		else
			conn_reply(&a->pool, c, "", 0);
		jb_free(&b);
	} else if (!strcmp(c->in, "watch") || !strncmp(c->in, "watch ", 6)) {
		add_watcher(a, c, c->in + 5);
	} else if (!strncmp(c->in, "apply ", 6)) {
		char *m = msg + 8;
		int err = policy_apply_file(a->life, c->in + 6, m, sizeof(msg) - 8);
		const char *pre = err ? "error\n" : "ok ";
		size_t pl = strlen(pre);

		/* What the self-audit compares the maps with, after sovd's
		 * write (a refused apply may have written the inactive half). */
		if (a->audit)
			selfaudit_record_maps(a->audit);

		/* The status word goes right before the message. */
		memcpy(m - pl, pre, pl);
		conn_reply(&a->pool, c, m - pl, pl + strlen(m));
	} else {
		conn_reply(&a->pool, c, "error\nunknown request\n", 22);
	}
}

void api_on_listen(struct api *a)
{
	conn_pool_accept(&a->pool);
}

void api_on_conn(struct api *a, int fd, uint32_t events)
{
	struct conn *c;

	for (size_t i = 0; i < a->n_watchers; i++) {
		if (a->watchers[i].fd == fd) {
			if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
				drop_watcher(a, i);
			else if (events & EPOLLOUT)
				watcher_flush(a, i);
			return;
		}
	}
	c = conn_pool_io(&a->pool, fd, events);

	if (c)
		handle(a, c);
}

void api_expire(struct api *a, int64_t now_ms)
{
	conn_pool_expire(&a->pool, now_ms);
}

/* The fields filters read, from a record; names holds its class names. */
static void watch_rec_of(const struct sovd_event *ev, struct watch_rec *r, char *names,
			 size_t len)
{
	const struct sovd_policy_view *v = ev->policy;
	size_t o = 0;

	memset(r, 0, sizeof(*r));
	r->type = ev->type;
	r->pid = ev->pid;
	r->comm = ev->comm;
	r->cgroup = ev->cgroup;
	for (int bit = 0; v && bit < SOV_MAX_CLASSES; bit++) {
		size_t n;

		if (!(ev->classes & (1ull << bit)) || !v->class_name[bit])
			continue;
		n = strlen(v->class_name[bit]) + 1;
		if (o + n + 1 > len)
			break;
		memcpy(names + o, v->class_name[bit], n);
		o += n;
	}
	names[o] = '\0';
	r->classes = names;
	if (ev->has_dst) {
		r->has_dst = 1;
		r->verdict = ev->verdict;
		r->zone = ev->zone;
		r->dport = ev->dport;
		if (ev->dst && inet_pton(AF_INET, ev->dst, r->dst_addr) == 1)
			r->dst_family = AF_INET;
		else if (ev->dst && inet_pton(AF_INET6, ev->dst, r->dst_addr) == 1)
			r->dst_family = AF_INET6;
	}
}

static void watch_emit(void *ctx, struct sovd_event *ev)
{
	struct api *a = ctx;
	char names[SOV_MAX_CLASSES * 64 + 1];
	struct watch_rec r;
	const char *line;
	size_t len;

	if (!a->n_watchers && !a->ring.cap)
		return;
	line = ndjson_line(ev, &len);
	if (!line)
		return;
	watch_rec_of(ev, &r, names, sizeof(names));
	/* sovd stays up without its ring: a replay then lacks the event */
	if (watch_ring_push(&a->ring, &r, line, len))
		pr_warn("failed to keep an event for watch --since: out of memory");
	for (size_t i = 0; i < a->n_watchers;) {
		/* Filtered here, before writing: a client is never sent
		 * what it did not ask for. A watcher still sending its
		 * replay without follow takes nothing new. */
		if (a->watchers[i].close_when_sent ||
		    !watch_filter_match(&a->watchers[i].f, &r) ||
		    !watcher_send(a, i, line, len))
			i++;
		/* else dropped: gone, or too far behind; a partial line
		 * never reaches its stream */
	}
}

struct sovd_sink api_watch_sink(struct api *a)
{
	return (struct sovd_sink){ .name = "watchers", .emit = watch_emit, .ctx = a };
}

void api_close(struct api *a)
{
	while (a->n_watchers)
		drop_watcher(a, 0);
	watch_ring_free(&a->ring);
	free(a->watchers);
	a->watchers = NULL;
	a->n_watchers = 0;
	conn_pool_close(&a->pool);
	if (a->listen_fd >= 0) {
		close(a->listen_fd);
		unlink(a->path);
	}
	a->listen_fd = -1;
}
