// SPDX-License-Identifier: Apache-2.0
/*
 * --metrics ADDR:PORT: Prometheus text exposition over plain HTTP/1.0, one
 * response per connection, from the kernel's per-CPU counters.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "agent/log.h"
#include "agent/sovd.h"

int metrics_listen(struct sovd *d)
{
	struct sockaddr_storage ss = {};
	char host[128];
	const char *colon;
	socklen_t len;
	int fd, one = 1, port;

	d->metrics_fd = -1;
	if (!d->o.metrics)
		return 0;
	colon = strrchr(d->o.metrics, ':');
	if (!colon || colon == d->o.metrics || (size_t)(colon - d->o.metrics) >= sizeof(host)) {
		pr_err("--metrics wants ADDR:PORT, got %s", d->o.metrics);
		return -EINVAL;
	}
	snprintf(host, sizeof(host), "%.*s", (int)(colon - d->o.metrics), d->o.metrics);
	port = atoi(colon + 1);
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
		len = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
		len = sizeof(struct sockaddr_in6);
	} else {
		pr_err("--metrics: %s is not an IP address", host);
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 8)) {
		int err = -errno;

		pr_err("failed to listen for metrics on %s: %s", d->o.metrics, strerror(-err));
		close(fd);
		return err;
	}
	d->metrics_fd = fd;
	return 0;
}

void metrics_serve(struct sovd *d)
{
	struct sov_counters c = {};
	char body[2048], head[128], req[1024];
	struct timeval tv = { .tv_sec = 1 };
	int fd, n;

	fd = accept4(d->metrics_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (recv(fd, req, sizeof(req), 0) < 0) {
		close(fd);
		return;
	}
	loader_read_counters(d, &c);
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
		"# TYPE sovd_policy_generation gauge\nsovd_policy_generation %u\n"
		"# TYPE sovd_journal_failed gauge\nsovd_journal_failed %d\n"
		"# TYPE sovd_journal_errors_total counter\nsovd_journal_errors_total %llu\n"
		"# TYPE sovd_mode_info gauge\nsovd_mode_info{mode=\"%s\"} 1\n",
		(unsigned long long)c.c[SOV_CNT_EVENTS], (unsigned long long)c.c[SOV_CNT_LOST],
		(unsigned long long)c.c[SOV_CNT_ALLOW], (unsigned long long)c.c[SOV_CNT_DENY],
		(unsigned long long)c.c[SOV_CNT_AUDIT], (unsigned long long)c.c[SOV_CNT_TAINT],
		(unsigned long long)c.c[SOV_CNT_DERIVE], (unsigned long long)c.c[SOV_CNT_PKT_DROP],
		(unsigned long long)c.c[SOV_CNT_MAP_FULL],
		d->generation, d->journal_failed, (unsigned long long)d->journal_errors,
		mode_name(d->mode));
	snprintf(head, sizeof(head),
		 "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: %d\r\n\r\n", n);
	if (send(fd, head, strlen(head), MSG_NOSIGNAL) > 0)
		send(fd, body, n, MSG_NOSIGNAL);
	close(fd);
}
