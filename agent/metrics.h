/* SPDX-License-Identifier: Apache-2.0 */
/* --metrics ADDR:PORT: Prometheus text exposition over plain HTTP/1.0. */
#ifndef SOVD_METRICS_H
#define SOVD_METRICS_H

#include <stdint.h>
#include <sys/socket.h>
#include "agent/conn.h"
#include "agent/jbuf.h"
#include "agent/record.h"

struct sov_map_fds;
struct policy_life;
struct journal_glue;
struct selfaudit;
struct label_gc;
struct kpath;

#define METRICS_MAX_CONNS	128
#define METRICS_IDLE_MS		5000
/*
 * Series of sovd_decisions_total{verdict,class,zone}. Classes (64 at most)
 * and zones come from the policies sovd ran since it started, so their
 * number is bounded by what the operator wrote; this caps what a long run
 * through many policies keeps (3 verdicts x 64 classes x 64 zones). A
 * decision without room is counted in sovd_decision_series_full_total.
 */
#define METRICS_MAX_SERIES	12288
/*
 * A scrape within this long of the last rendering gets that response
 * again: however many clients scrape back to back, rendering takes at most
 * render time / this of the event loop (about 1 % at the series cap).
 */
#define METRICS_RENDER_MIN_MS	100

/* One series of sovd_decisions_total: names copied (a policy switch frees
 * the view's), verdict one of the three static strings. */
struct metrics_series {
	const char *verdict;
	char *class_name, *zone;
	uint64_t n;
};

struct events_file;
struct syslog_out;

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
	const struct kpath *kp;		/* build info, per-program run time; may be NULL */
	/* the output sinks' counters (sovd_sink_*); may be NULL / 0 */
	const struct events_file *events;
	const struct syslog_out *syslog;
	unsigned n_syslog;
	/* records seen by the pipeline, by type */
	uint64_t records[8];	/* per type, metrics.c rec_types, then "other" */
	uint64_t egress_aggregated;	/* flows in aggregate records (issue 14) */
	/* sovd_decisions_total{verdict,class,zone}, from egress records */
	struct metrics_series *series;	/* in the order they appeared */
	uint32_t n_series;
	uint32_t *index;		/* open addressing: series number + 1, 0 free */
	uint64_t series_full;		/* decisions without room for their series */
	/* the response, kept between scrapes (its size is the last one's) */
	struct jbuf out;
	size_t resp_off, resp_len;	/* the last response in out.s; 0: none */
	int64_t rendered_ms;		/* when it was rendered (conn_now_ms) */
	uint64_t scrapes, render_ns;	/* sovd_metrics_render_seconds_total */
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
/* The whole response (HTTP header and body) into m->out; returns where it
 * starts in m->out.s and its length, or NULL when out of memory. */
const char *metrics_render(struct metrics *m, size_t *len);
void metrics_close(struct metrics *m);

#endif
