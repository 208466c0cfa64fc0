/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A kernel path: the BPF programs sovd enforces with (the LSM path, or the
 * tracing path of tp_btf + cgroup programs), behind one table of
 * operations. Each path lives in its own file with its typed skeleton
 * (bpf/lsm.bpf.c + kpath_lsm.c, bpf/tracing.bpf.c + kpath_tracing.c); what
 * they share (bpffs, sizing, links and pins, counters) is kpath_load.c.
 * "Kernel path" is the choice of programs; "mode" is the policy's
 * enforce/audit.
 */
#ifndef SOVD_KPATH_H
#define SOVD_KPATH_H

#include <stddef.h>
#include <stdint.h>
#include "sov/abi.h"

enum sovd_kpath { SOVD_KPATH_AUTO = 0, SOVD_KPATH_LSM, SOVD_KPATH_TRACING };

static inline const char *kpath_name(enum sovd_kpath k)
{
	return k == SOVD_KPATH_LSM ? "lsm" : k == SOVD_KPATH_TRACING ? "tracing" : "auto";
}

/* The maps user space writes or reads, as fds (the same in both paths). */
struct sov_map_fds {
	int labels, label_devs, taint, config, zone4[2], zone6[2], zone_rules,
	    counters, scope, classes, events;
	int rdma_devs;		/* issue 10: RDMA devices beyond the fixed major */
	int taint_exited, taint_state;	/* issue 12: exited processes, lost taints */
	int self, self_ids;		/* issue 12: self-protection (LSM path) */
	int ipc, ipc_names, ipc_state;	/* issue 12: IPC labels that may be evicted */
	int flows, flows_seen;		/* issue 14: aggregated allowed flows */
};

/* The maps whose size sovd chooses before load. */
struct kpath_sized_maps {
	struct bpf_map *labels, *taint, *taint_exited, *zone4[2], *zone6[2], *events;
	struct bpf_map *ipc, *ipc_names;
};

struct kpath_sizes {
	uint32_t max_labels, max_procs;
	uint32_t n_v4, n_v6;		/* the policy's prefixes */
	uint64_t ringbuf;
};

struct bpf_object;
struct bpf_link;
struct bpf_program;
struct bpf_map;
struct sov_lsm;
struct sov_tracing;
struct kpath;

struct kpath_ops {
	enum sovd_kpath id;
	/* 1: the hooks check the scope cgroups themselves (sov_scope map);
	 * 0: the programs are attached to each scope cgroup instead. */
	int scope_in_map;
	/* Opens the skeleton (maps reused from pin_dir) and fills kp->sized. */
	int (*open)(struct kpath *kp, const char *pin_dir);
	/* Loads the programs and fills kp->fd. */
	int (*load)(struct kpath *kp);
	/* Attaches every program (cgroup ones to each scope cgroup). */
	int (*attach)(struct kpath *kp, const char *const *scope, size_t n_scope);
	void (*destroy)(struct kpath *kp);
};

extern const struct kpath_ops kpath_lsm_ops;
extern const struct kpath_ops kpath_tracing_ops;

struct kpath {
	const struct kpath_ops *ops;
	const char *pin_dir;
	union {
		struct sov_lsm *lsm;
		struct sov_tracing *tracing;
	} skel;
	struct bpf_object *obj;
	int k510;		/* the 5.10 build of the programs (bpf/compat.bpf.h) */
	int dev_switched;	/* tracing: cgroup/dev without the pid helper: sov_dev_switched
				 * and sov_sched_switch instead of sov_dev */
	int sc_tp;		/* the syscall programs on the per-syscall tracepoints
				 * (sov_sc_enter/exit) instead of the raw ones (issue 14) */
	struct kpath_sized_maps sized;
	struct sov_map_fds fd;
	struct bpf_link **links;
	char **link_names;
	size_t n_links;
};

/*
 * T_open(oo, k510): skeleton T (sov_tracing, sov_lsm) opened from the
 * current build's ELF, or with k510 from the 5.10 build's
 * (T_k510__elf_bytes() of the generated *-k510.skel.h): the same
 * programs, maps and globals under the same names, which mk/bpf.mk checks.
 */
#define KPATH_DEFINE_SKEL_OPEN(T)					\
static struct T *T##_open(const struct bpf_object_open_opts *oo, int k510) \
{									\
	struct T *s;							\
	int err;							\
									\
	if (!k510)							\
		return T##__open_opts(oo);				\
	s = calloc(1, sizeof(*s));					\
	if (!s)								\
		return NULL;						\
	err = T##__create_skeleton(s);					\
	if (!err) {							\
		s->skeleton->data = T##_k510__elf_bytes(&s->skeleton->data_sz); \
		err = bpf_object__open_skeleton(s->skeleton, oo);	\
	}								\
	if (err) {							\
		T##__destroy(s);					\
		errno = -err;						\
		return NULL;						\
	}								\
	return s;							\
}

/* Both skeletons name their maps alike: one way to take them. */
#define KPATH_TAKE_SIZED(kp, s) do {					\
	(kp)->sized.labels = (s)->maps.sov_labels;			\
	(kp)->sized.taint = (s)->maps.sov_taint;			\
	(kp)->sized.taint_exited = (s)->maps.sov_taint_exited;		\
	(kp)->sized.zone4[0] = (s)->maps.sov_zone4_0;			\
	(kp)->sized.zone4[1] = (s)->maps.sov_zone4_1;			\
	(kp)->sized.zone6[0] = (s)->maps.sov_zone6_0;			\
	(kp)->sized.zone6[1] = (s)->maps.sov_zone6_1;			\
	(kp)->sized.events = (s)->maps.sov_events;			\
	(kp)->sized.ipc = (s)->maps.sov_ipc;				\
	(kp)->sized.ipc_names = (s)->maps.sov_ipc_names;		\
} while (0)

#define KPATH_TAKE_FDS(kp, s) do {					\
	(kp)->fd.labels = bpf_map__fd((s)->maps.sov_labels);		\
	(kp)->fd.label_devs = bpf_map__fd((s)->maps.sov_label_devs);	\
	(kp)->fd.taint = bpf_map__fd((s)->maps.sov_taint);		\
	(kp)->fd.config = bpf_map__fd((s)->maps.sov_config);		\
	(kp)->fd.zone4[0] = bpf_map__fd((s)->maps.sov_zone4_0);	\
	(kp)->fd.zone4[1] = bpf_map__fd((s)->maps.sov_zone4_1);	\
	(kp)->fd.zone6[0] = bpf_map__fd((s)->maps.sov_zone6_0);	\
	(kp)->fd.zone6[1] = bpf_map__fd((s)->maps.sov_zone6_1);	\
	(kp)->fd.zone_rules = bpf_map__fd((s)->maps.sov_zone_rules);	\
	(kp)->fd.counters = bpf_map__fd((s)->maps.sov_counters);	\
	(kp)->fd.scope = bpf_map__fd((s)->maps.sov_scope);		\
	(kp)->fd.classes = bpf_map__fd((s)->maps.sov_classes);		\
	(kp)->fd.events = bpf_map__fd((s)->maps.sov_events);		\
	(kp)->fd.rdma_devs = bpf_map__fd((s)->maps.sov_rdma_devs);	\
	(kp)->fd.taint_exited = bpf_map__fd((s)->maps.sov_taint_exited); \
	(kp)->fd.taint_state = bpf_map__fd((s)->maps.sov_taint_state);	\
	(kp)->fd.self = bpf_map__fd((s)->maps.sov_self);		\
	(kp)->fd.self_ids = bpf_map__fd((s)->maps.sov_self_ids);	\
	(kp)->fd.ipc = bpf_map__fd((s)->maps.sov_ipc);			\
	(kp)->fd.ipc_names = bpf_map__fd((s)->maps.sov_ipc_names);	\
	(kp)->fd.ipc_state = bpf_map__fd((s)->maps.sov_ipc_state);	\
	(kp)->fd.flows = bpf_map__fd((s)->maps.sov_flows);		\
	(kp)->fd.flows_seen = bpf_map__fd((s)->maps.sov_flows_seen);	\
} while (0)

/* kpath_load.c: below both paths. */
int kpath_prepare_pin_dir(const char *pin_dir);
/* views.c: overlayfs keeps a struct ovl_file in private_data (bpf/views.bpf.h) */
int kpath_ovl_file_struct(void);
int kpath_size_maps(struct kpath *kp, const struct kpath_sizes *sz);
/* After load, before attach: tells the IPC programs how many labels each
 * LRU map holds before it may evict (bpf/ipc.bpf.h ipc_put()). */
int kpath_ipc_arm(struct kpath *kp);
void kpath_load_failed(const struct kpath *kp, int err);
int kpath_attach_prog(struct kpath *kp, struct bpf_program *prog, int cg_fd, const char *name);
/* Tracks an attached link under name (pinned by kpath_pin_links()); on
 * failure destroys it. */
int kpath_add_link(struct kpath *kp, struct bpf_link *link, const char *name);
int kpath_open_scope_cgroup(const char *rel);

/*
 * The syscall programs (kpath_syscalls.c, issue 14). Which hooks carry
 * them: the raw tracepoints sys_enter/sys_exit (every syscall of the host
 * runs them), or the per-syscall tracepoints of the native syscalls the
 * path's parts name (build sov_sc_hooks.h; an unrelated syscall runs no
 * BPF).
 */
enum sovd_sc_hooks { SOVD_SC_AUTO = -1, SOVD_SC_RAW = 0, SOVD_SC_TRACEPOINTS = 1 };

static inline const char *kpath_sc_hooks_name(int h)
{
	return h == SOVD_SC_TRACEPOINTS ? "tracepoints" : h == SOVD_SC_RAW ? "raw" : "auto";
}

/* Mounts tracefs at /sys/kernel/tracing where no tracefs is mounted. */
int kpath_prepare_tracefs(void);
/* 0 when every syscall the path's programs name has both per-syscall
 * tracepoints; else -ENOENT and the first one missing in missing. */
int kpath_sc_missing(enum sovd_kpath k, char *missing, size_t len);
/* Attaches the raw pair or, with kp->sc_tp, enter/exit to each tracepoint. */
int kpath_attach_syscalls(struct kpath *kp, struct bpf_program *raw_enter,
			  struct bpf_program *raw_exit, struct bpf_program *tp_enter,
			  struct bpf_program *tp_exit);
int kpath_pin_links(struct kpath *kp);
/* Clean stop: unpins links (detach) and state, keeping labels pinned. */
int kpath_unpin_all(const char *pin_dir);
void kpath_free_links(struct kpath *kp);
int kpath_read_counters(const struct sov_map_fds *fd, struct sov_counters *sum);
size_t kpath_map_count(int map_fd);
/* The map's max_entries (a reused pin keeps the size it had); 0 if unknown. */
uint32_t kpath_map_capacity(int map_fd);

#endif
