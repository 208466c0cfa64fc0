// SPDX-License-Identifier: Apache-2.0
/*
 * The local API on a unix socket (default /run/sovd/sovd.sock, mode 0600):
 * one request line per connection.
 *   status          -> one JSON object, then close
 *   watch           -> the event stream (NDJSON) until the client goes
 *   apply PATH      -> "ok generation=N sha256=H" or "error" + diagnostics
 * Connections never block the event loop (conn.c). A watcher that cannot
 * keep up is disconnected rather than allowed to stall it.
 *
 * Calls: conn.c, lifecycle.c (apply), kpath_load.c (counters),
 * ndjson.c, jbuf.c, log.c. Called by main.c; records arrive through the
 * sink table.
 */
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
	int err = conn_pool_init(&a->pool, a->listen_fd, epfd, listen_tag, conn_tag,
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

static void add_watcher(struct api *a, struct conn *c)
{
	struct epoll_event ev = { .events = EPOLLRDHUP };
	int *nw, fd;

	if (a->n_watchers >= API_MAX_WATCHERS) {
		conn_reply(&a->pool, c, "error\ntoo many watchers\n", 24);
		return;
	}
	nw = realloc(a->watchers, (a->n_watchers + 1) * sizeof(int));
	if (!nw) {
		conn_reply(&a->pool, c, "error\nout of memory\n", 20);
		return;
	}
	a->watchers = nw;
	/* The fd is non-blocking (accept4): broadcasts never wait. It is
	 * watched for hangups only, so a client that goes frees its slot at
	 * once, not at the next event. */
	fd = conn_take(&a->pool, c);
	ev.data.u64 = conn_ev_data(a->pool.conn_tag, fd);
	if (epoll_ctl(a->pool.epfd, EPOLL_CTL_ADD, fd, &ev)) {
		close(fd);
		return;
	}
	a->watchers[a->n_watchers++] = fd;
}

static void drop_watcher(struct api *a, size_t i)
{
	epoll_ctl(a->pool.epfd, EPOLL_CTL_DEL, a->watchers[i], NULL);
	close(a->watchers[i]);
	a->watchers[i] = a->watchers[--a->n_watchers];
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
	} else if (!strcmp(c->in, "watch")) {
		add_watcher(a, c);
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
		if (a->watchers[i] == fd) {
			if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
				drop_watcher(a, i);
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

static void watch_emit(void *ctx, struct sovd_event *ev)
{
	struct api *a = ctx;
	const char *line;
	size_t len;

	if (!a->n_watchers)
		return;
	line = ndjson_line(ev, &len);
	if (!line)
		return;
	for (size_t i = 0; i < a->n_watchers;) {
		ssize_t w = send(a->watchers[i], line, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w == (ssize_t)len) {
			i++;
			continue;
		}
		/* Gone, or too slow to keep up: a partial line would corrupt
		 * its stream, so the watcher is dropped. */
		drop_watcher(a, i);
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
