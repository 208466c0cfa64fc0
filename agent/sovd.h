/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's state, shared by its parts:
 *   probe.c   what the kernel can do, which path to take
 *   loader.c  open, size, load, attach and pin a path's BPF object
 *   sync.c    the compiled policy into the maps; labels; /proc scan
 *   events.c  ring buffer records into NDJSON events (file, watchers, journal)
 *   api.c     the local socket: status, watch, policy apply
 *   main.c    options, start-up order, the event loop
 */
#ifndef SOVD_H
#define SOVD_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "sov/abi.h"
#include "policy/policy.h"

enum sovd_mode { SOVD_MODE_AUTO = 0, SOVD_MODE_LSM, SOVD_MODE_TRACING };

struct sovd_features {
	int btf;
	int bpf_lsm;		/* an lsm/ program loaded, attached and ran */
	int tp_btf;
	int trampolines;
	int ringbuf;
	char cgroup2[256];	/* cgroup2 mount point, "" if none */
};

struct sovd_opts {
	const char *policy;
	const char *journal;	/* NULL: default; "none": no journal */
	const char *key;
	const char *socket;
	const char *pin_dir;
	const char *events;	/* NULL: stdout */
	const char *locdb;
	const char *metrics;
	enum sovd_mode mode;
	uint64_t ringbuf_size;
	uint32_t max_procs;
	uint32_t max_labels;
	int probe_only;
};

struct bpf_object;
struct bpf_link;
struct ring_buffer;
struct sov_journal;

struct ulabel {
	uint64_t dev, ino, classes;
	uint32_t flags, used;
};

struct sovd {
	struct sovd_opts o;
	struct sovd_features feat;
	enum sovd_mode mode;		/* chosen: LSM or TRACING */
	void *skel;			/* struct sov_tracing or struct sov_lsm */
	struct bpf_object *obj;
	struct bpf_link **links;
	char **link_names;
	size_t n_links;
	struct ring_buffer *rb;

	struct sov_policy_image *img;
	uint32_t generation;
	time_t policy_loaded;

	int map_labels, map_label_devs, map_taint, map_config, map_zone4[2],
	    map_zone6[2], map_zone_rules, map_counters, map_scope, map_classes;

	/* boot-clock to wall-clock offset, for event times */
	int64_t boot_to_real_ns;

	FILE *events_out;
	struct sov_journal *journal;
	int journal_failed;

	/* labels sovd itself set from the policy's paths: (dev, ino) -> classes */
	struct ulabel *ulabels;
	size_t ulabels_cap, n_ulabels;
	uint64_t label_dirs;
	uint32_t rules_written[2];	/* rule slots written per half; 0 = unknown */
	uint32_t staged;		/* the half sync_policy_stage filled */

	int api_fd;
	int metrics_fd;
	int *watchers;
	size_t n_watchers;

	uint64_t lost_reported;		/* kernel-lost events already reported */
	uint64_t events_seen;
	uint64_t journal_errors;
};

/* probe.c */
int probe_features(struct sovd_features *f);
const char *cgroup2_mount(void);
int probe_print(const struct sovd_features *f, enum sovd_mode chosen, FILE *out);

/* loader.c */
int loader_open_load(struct sovd *d);
int loader_attach(struct sovd *d);
/* Clean stop: unpins links (detach) and state, keeping labels pinned. */
int loader_unpin_all(struct sovd *d);
void loader_destroy(struct sovd *d);
int loader_read_counters(struct sovd *d, struct sov_counters *sum);

/* sync.c */
uint64_t kdev_from_user(dev_t dev);
/*
 * A policy reaches the kernel in two steps: stage fills the zone tables'
 * inactive half (nothing in force changes; a failure leaves the old policy
 * whole), commit flips sov_config to it in one map write.
 */
int sync_policy_stage(struct sovd *d, const struct sov_policy_image *img);
int sync_policy_commit(struct sovd *d, const struct sov_policy_image *img, uint32_t generation);
/* Walks the policy's paths into d->ulabels (no kernel access). */
int sync_collect_labels(struct sovd *d, const struct sov_policy_image *img);
/* Writes d->ulabels into the label maps, merging with labels already there. */
int sync_write_labels(struct sovd *d);
int sync_scan_proc(struct sovd *d);
int sync_remap_classes(struct sovd *d, const struct sov_policy_image *img);
size_t sync_map_count(int map_fd);
size_t sync_gc_taint(struct sovd *d);

/* events.c */
int events_init(struct sovd *d);
int events_handle(void *ctx, void *data, size_t len);
/* An event made in user space (agent, policy, loss, start-up taint). The
 * body is the part after the common fields, without braces, may be "". */
void events_emit_user(struct sovd *d, const char *type, const char *body);
void events_emit_taint_user(struct sovd *d, pid_t pid, uint64_t classes,
			    const char *path, uint64_t dev, uint64_t ino);
void events_check_loss(struct sovd *d);
void events_emit_policy(struct sovd *d);
void events_emit_agent_start(struct sovd *d);
void policy_jdata(const struct sov_policy_image *img, char *buf, size_t len);
void events_close(struct sovd *d);
const char *mode_name(enum sovd_mode m);

/* metrics.c */
int metrics_listen(struct sovd *d);
void metrics_serve(struct sovd *d);

/* api.c */
int api_listen(struct sovd *d);
int api_accept(struct sovd *d);
void api_broadcast(struct sovd *d, const char *line, size_t len);
void api_close(struct sovd *d);
int apply_policy_file(struct sovd *d, const char *path, char *msg, size_t msglen);

#endif
