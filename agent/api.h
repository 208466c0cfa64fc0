/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The local API on a unix socket: status, watch (the NDJSON stream, a sink
 * of the pipeline), policy apply.
 */
#ifndef SOVD_API_H
#define SOVD_API_H

#include <stddef.h>
#include <stdint.h>
#include "agent/conn.h"
#include "agent/record.h"
#include "agent/watch.h"

struct sovd_features;
struct sov_map_fds;
struct policy_life;
struct journal_glue;
struct selfaudit;
struct label_gc;

/* Counts that cost a walk of a kernel map: taken by the loop's periodic
 * walk (main.c), reported "as of" then, so status never walks a map. */
struct api_counts {
	uint64_t tainted;	/* live tainted processes */
	uint64_t labels;	/* entries of the label map (sovd's and derived) */
	int64_t as_of_ns;	/* CLOCK_REALTIME of the walk; 0: none yet */
	uint64_t overflow;	/* classes of taints (and labels) the kernel could not store */
	uint64_t labels_lost;	/* classes of labels the kernel could not store */
	uint64_t ipc_lost;	/* classes of IPC labels an LRU map may have evicted */
	uint32_t max_procs;	/* taint map size (live processes) */
	uint32_t max_exited;	/* the exited processes' LRU */
	uint32_t max_labels;	/* label map size */
	uint64_t egress_aggregated;	/* issue 14: allowed flows reported in aggregates */
	uint64_t egress_aggregates;	/* the aggregate records */
	uint64_t flow_keys;		/* keys in the aggregation map at the last flush */
};

/* What status reports, owned by others. */
struct api_view {
	const char *kernel_path;
	const struct sovd_features *feat;
	const struct sov_map_fds *fd;
	const struct journal_glue *journal;
	const char *pin_dir;
	const struct api_counts *counts;
	const struct conn_pool *metrics_pool;	/* NULL: no --metrics */
	const struct label_gc *gc;		/* the label collector */
};

#define API_MAX_CONNS		128
#define API_MAX_WATCHERS	128
#define API_IDLE_MS		5000

/* A `watch` client: its filter, and what waits to be written to it (a
 * replay, and the lines that came while it drained). */
struct watcher {
	int fd;
	int close_when_sent;	/* follow=0: close once out is written */
	struct watch_filter f;
	char *out;
	size_t out_len, out_off;
};

/* All watchers together queue at most this much. */
#define API_WATCH_QUEUED_MAX	(16u << 20)

struct api {
	const char *path;
	int listen_fd;
	struct conn_pool pool;
	struct watcher *watchers;
	size_t n_watchers;
	size_t queued;			/* bytes in every watcher's out */
	size_t ring_size;		/* --watch-ring, set before api_start */
	struct watch_ring ring;		/* the recent events for --since */
	struct api_view view;
	struct policy_life *life;	/* apply */
	struct selfaudit *audit;	/* status runs one; NULL before attach */
};

int api_listen(struct api *a, const char *path);
/* Registers the listening socket (listen_tag) and connections (conn_tag). */
int api_start(struct api *a, int epfd, uint32_t listen_tag, uint32_t conn_tag);
void api_on_listen(struct api *a);
void api_on_conn(struct api *a, int fd, uint32_t events);
void api_expire(struct api *a, int64_t now_ms);
struct sovd_sink api_watch_sink(struct api *a);
void api_close(struct api *a);

#endif
