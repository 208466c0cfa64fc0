/* SPDX-License-Identifier: Apache-2.0 */
/* --metrics ADDR:PORT: Prometheus text exposition over plain HTTP/1.0. */
#ifndef SOVD_METRICS_H
#define SOVD_METRICS_H

#include <stdint.h>
#include <sys/socket.h>
#include "agent/conn.h"
#include "agent/record.h"

struct sov_map_fds;
struct policy_life;
struct journal_glue;
struct selfaudit;
struct label_gc;

#define METRICS_MAX_CONNS	128
#define METRICS_IDLE_MS		5000

struct metrics {
	int listen_fd;			/* -1: no --metrics */
	struct conn_pool pool;
	const char *kernel_path;
	const struct sov_map_fds *fd;
	const struct policy_life *life;
	const struct journal_glue *journal;
	const struct conn_pool *api_pool;
	const struct selfaudit *audit;	/* sovd_tamper_total; NULL before attach */
	const struct label_gc *gc;	/* sovd_labels_reclaimed_total{by="sovd"} */
	/* records seen by the pipeline, by type */
	uint64_t records[7];	/* per type, metrics.c rec_types */
	uint64_t egress_aggregated;	/* flows in aggregate records (issue 14) */
};

/*
 * Parses ADDR:PORT (IPv4, or [IPv6]:PORT), strictly: PORT is 1..65535 in
 * decimal. 0, or -EINVAL with the reason in err.
 */
int metrics_parse_addr(const char *spec, struct sockaddr_storage *ss, socklen_t *len,
		       char *err, size_t errlen);
int metrics_listen(struct metrics *m, const char *spec);
int metrics_start(struct metrics *m, int epfd, uint32_t listen_tag, uint32_t conn_tag);
void metrics_on_listen(struct metrics *m);
void metrics_on_conn(struct metrics *m, int fd, uint32_t events);
void metrics_expire(struct metrics *m, int64_t now_ms);
struct sovd_sink metrics_sink(struct metrics *m);
void metrics_close(struct metrics *m);

#endif
