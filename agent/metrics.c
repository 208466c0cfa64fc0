// SPDX-License-Identifier: Apache-2.0
/*
 * --metrics ADDR:PORT: Prometheus text exposition over plain HTTP/1.0, one
 * response per connection, from the kernel's per-CPU counters and the
 * pipeline's record counts. Connections never block the event loop.
 *
 * Calls: conn.c, kpath_load.c (counters), log.c. Called by main.c; records
 * arrive through the sink table.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "agent/journal_glue.h"
#include "agent/kpath.h"
#include "agent/lifecycle.h"
#include "agent/log.h"
#include "agent/metrics.h"
#include "agent/label_gc.h"
#include "agent/selfaudit.h"

static const char *const rec_types[] = { "taint", "derive", "egress", "agent", "policy", "loss",
					 "tamper" };

int metrics_parse_addr(const char *spec, struct sockaddr_storage *ss, socklen_t *len,
		       char *err, size_t errlen)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	const char *colon = strrchr(spec, ':'), *p;
	unsigned long port = 0;
	char host[128];
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof(host)) {
		snprintf(err, errlen, "--metrics wants ADDR:PORT, got '%s'", spec);
		return -EINVAL;
	}
	for (p = colon + 1; *p; p++) {
		if (*p < '0' || *p > '9' || port > 65535)
			break;
		port = port * 10 + (*p - '0');
	}
	if (p == colon + 1 || *p || port < 1 || port > 65535) {
		snprintf(err, errlen, "--metrics: the port in '%s' must be a number from 1 to 65535",
			 spec);
		return -EINVAL;
	}
	hl = colon - spec;
	memcpy(host, spec, hl);
	host[hl] = '\0';
	if (host[0] == '[') {
		if (hl < 2 || host[hl - 1] != ']') {
			snprintf(err, errlen, "--metrics: '%s' is not an IP address", host);
			return -EINVAL;
		}
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1) {
			snprintf(err, errlen, "--metrics: '%s' is not an IPv6 address", host);
			return -EINVAL;
		}
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
	} else {
		snprintf(err, errlen, "--metrics: '%s' is not an IP address", host);
		return -EINVAL;
	}
	return 0;
}

int metrics_listen(struct metrics *m, const char *spec)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char why[256];
	int fd, one = 1, err;

	m->listen_fd = -1;
	if (!spec)
		return 0;
	err = metrics_parse_addr(spec, &ss, &len, why, sizeof(why));
	if (err) {
		pr_err("%s", why);
		return err;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, SOMAXCONN)) {
		err = -errno;
		pr_err("failed to listen for metrics on %s: %s", spec, strerror(-err));
		close(fd);
		return err;
	}
	m->listen_fd = fd;
	return 0;
}

int metrics_start(struct metrics *m, int epfd, uint32_t listen_tag, uint32_t conn_tag)
{
	int err;

	if (m->listen_fd < 0)
		return 0;
	err = conn_pool_init(&m->pool, m->listen_fd, epfd, listen_tag, conn_tag,
			     METRICS_MAX_CONNS, METRICS_IDLE_MS, 1);
	if (err)
		pr_err("failed to watch the metrics socket: %s", strerror(-err));
	return err;
}

static int pools(const struct metrics *m, char *body, size_t size, int n)
{
	const struct conn_pool *p[2] = { m->api_pool, &m->pool };
	static const char *const name[2] = { "api", "metrics" };
	struct conn_stats st[2] = {};

	if (n < 0 || n >= (int)size)
		return n;
	for (int i = 0; i < 2; i++)
		if (p[i])
			conn_pool_stats(p[i], &st[i]);
	n += snprintf(body + n, size - n,
		"# HELP sovd_connections Open connections to the API socket and the metrics port.\n"
		"# TYPE sovd_connections gauge\n"
		"sovd_connections{socket=\"api\"} %llu\nsovd_connections{socket=\"metrics\"} %llu\n"
		"# HELP sovd_connections_closed_total Connections sovd closed: idle for too long, evicted from a full pool, a request too long, refused.\n"
		"# TYPE sovd_connections_closed_total counter\n",
		(unsigned long long)st[0].open, (unsigned long long)st[1].open);
	for (int i = 0; i < 2 && n > 0 && n < (int)size; i++)
		n += snprintf(body + n, size - n,
			"sovd_connections_closed_total{socket=\"%s\",reason=\"idle\"} %llu\n"
			"sovd_connections_closed_total{socket=\"%s\",reason=\"evicted\"} %llu\n"
			"sovd_connections_closed_total{socket=\"%s\",reason=\"too_long\"} %llu\n"
			"sovd_connections_closed_total{socket=\"%s\",reason=\"refused\"} %llu\n",
			name[i], (unsigned long long)st[i].dropped_idle,
			name[i], (unsigned long long)st[i].evicted,
			name[i], (unsigned long long)st[i].too_long,
			name[i], (unsigned long long)st[i].refused);
	if (n > 0 && n < (int)size)
		n += snprintf(body + n, size - n,
			"# HELP sovd_accept_paused_total Times a listener sat out a tick because sovd was out of file descriptors.\n"
			"# TYPE sovd_accept_paused_total counter\n"
			"sovd_accept_paused_total{socket=\"api\"} %llu\nsovd_accept_paused_total{socket=\"metrics\"} %llu\n",
			(unsigned long long)st[0].accept_paused, (unsigned long long)st[1].accept_paused);
	return n;
}

static void serve(struct metrics *m, struct conn *c)
{
	struct sov_counters k = {};
	char body[8192], resp[8448];
	int n, h;

	kpath_read_counters(m->fd, &k);
	n = snprintf(body, sizeof(body),
		"# TYPE sovd_events_total counter\nsovd_events_total %llu\n"
		"# TYPE sovd_events_lost_total counter\nsovd_events_lost_total %llu\n"
		"# TYPE sovd_decisions_total counter\n"
		"sovd_decisions_total{verdict=\"allow\"} %llu\n"
		"sovd_decisions_total{verdict=\"deny\"} %llu\n"
		"sovd_decisions_total{verdict=\"audit\"} %llu\n"
		"# TYPE sovd_taints_total counter\nsovd_taints_total %llu\n"
		"# TYPE sovd_derivations_total counter\nsovd_derivations_total %llu\n"
		"# TYPE sovd_packets_dropped_total counter\nsovd_packets_dropped_total %llu\n"
		"# TYPE sovd_map_full_total counter\nsovd_map_full_total %llu\n"
		"# HELP sovd_labels_reclaimed_total Labels of deleted inodes removed, by the kernel (LSM path) or by sovd's collector.\n"
		"# TYPE sovd_labels_reclaimed_total counter\n"
		"sovd_labels_reclaimed_total{by=\"kernel\"} %llu\nsovd_labels_reclaimed_total{by=\"sovd\"} %llu\n"
		"# TYPE sovd_policy_generation gauge\nsovd_policy_generation %u\n"
		"# TYPE sovd_journal_failed gauge\nsovd_journal_failed %d\n"
		"# TYPE sovd_journal_errors_total counter\nsovd_journal_errors_total %llu\n"
		"# HELP sovd_kernel_path_info The kernel path sovd enforces with (lsm or tracing).\n"
		"# TYPE sovd_kernel_path_info gauge\nsovd_kernel_path_info{kernel_path=\"%s\"} 1\n"
		"# HELP sovd_mode_info Deprecated: use sovd_kernel_path_info; removed in the next release.\n"
		"# TYPE sovd_mode_info gauge\nsovd_mode_info{mode=\"%s\"} 1\n"
		"# TYPE sovd_records_total counter\n",
		(unsigned long long)k.c[SOV_CNT_EVENTS], (unsigned long long)k.c[SOV_CNT_LOST],
		(unsigned long long)k.c[SOV_CNT_ALLOW], (unsigned long long)k.c[SOV_CNT_DENY],
		(unsigned long long)k.c[SOV_CNT_AUDIT], (unsigned long long)k.c[SOV_CNT_TAINT],
		(unsigned long long)k.c[SOV_CNT_DERIVE], (unsigned long long)k.c[SOV_CNT_PKT_DROP],
		(unsigned long long)k.c[SOV_CNT_MAP_FULL],
		(unsigned long long)k.c[SOV_CNT_LABEL_GONE],
		(unsigned long long)(m->gc ? m->gc->reclaimed : 0),
		m->life->generation, m->journal->failed, (unsigned long long)m->journal->errors,
		m->kernel_path, m->kernel_path);
	for (size_t i = 0; i < sizeof(rec_types) / sizeof(rec_types[0]) &&
			   n > 0 && n < (int)sizeof(body); i++)
		n += snprintf(body + n, sizeof(body) - n, "sovd_records_total{type=\"%s\"} %llu\n",
			      rec_types[i], (unsigned long long)m->records[i]);
	if (n > 0 && n < (int)sizeof(body) && m->audit)
		n += snprintf(body + n, sizeof(body) - n,
			      "# HELP sovd_tamper_total Differences the self-audit found in sovd's links, pins, programs and policy maps (tamper events).\n"
			      "# TYPE sovd_tamper_total counter\nsovd_tamper_total %llu\n"
			      "# HELP sovd_audit_ok 1 when the last self-audit found sovd's programs and maps as it left them.\n"
			      "# TYPE sovd_audit_ok gauge\nsovd_audit_ok %d\n",
			      (unsigned long long)m->audit->tamper_total,
			      !strcmp(selfaudit_state(m->audit), "enforcing"));
	if (n > 0 && n < (int)sizeof(body))
		n += snprintf(body + n, sizeof(body) - n,
			      "# HELP sovd_egress_aggregated_total Allowed flows reported in aggregate egress records (issue 14), not one record each.\n"
			      "# TYPE sovd_egress_aggregated_total counter\nsovd_egress_aggregated_total %llu\n",
			      (unsigned long long)m->egress_aggregated);
	n = pools(m, body, sizeof(body), n);
	if (n < 0 || n >= (int)sizeof(body)) {
		conn_reply(&m->pool, c, "HTTP/1.0 500 Internal Server Error\r\n\r\n", 38);
		return;
	}
	h = snprintf(resp, sizeof(resp),
		     "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: %d\r\n\r\n%s",
		     n, body);
	conn_reply(&m->pool, c, resp, h < (int)sizeof(resp) ? h : (int)sizeof(resp) - 1);
}

void metrics_on_listen(struct metrics *m)
{
	conn_pool_accept(&m->pool);
}

void metrics_on_conn(struct metrics *m, int fd, uint32_t events)
{
	struct conn *c = conn_pool_io(&m->pool, fd, events);

	if (c)
		serve(m, c);
}

void metrics_expire(struct metrics *m, int64_t now_ms)
{
	if (m->listen_fd >= 0)
		conn_pool_expire(&m->pool, now_ms);
}

static void count(void *ctx, struct sovd_event *ev)
{
	struct metrics *m = ctx;

	for (size_t i = 0; i < sizeof(rec_types) / sizeof(rec_types[0]); i++)
		if (!strcmp(ev->type, rec_types[i]))
			m->records[i]++;
	if (ev->has_agg)
		m->egress_aggregated += ev->agg_count;
}

struct sovd_sink metrics_sink(struct metrics *m)
{
	return (struct sovd_sink){ .name = "metrics", .emit = count, .ctx = m };
}

void metrics_close(struct metrics *m)
{
	if (m->listen_fd < 0)
		return;
	conn_pool_close(&m->pool);
	close(m->listen_fd);
	m->listen_fd = -1;
}
