/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Devices (issue 10): RDMA. NCCL and GPUDirect RDMA move data over
 * InfiniBand/RoCE verbs, which no socket hook sees: a process sets up its
 * queue pairs through /dev/infiniband/uverbs* (write() and ioctl() commands,
 * mmap'd queues and doorbells), connections through /dev/infiniband/rdma_cm
 * (write() commands) and management datagrams through umad/issm. A tainted
 * process is judged for an RDMA device as the channel SOV_CHAN_RDMA (rules.h
 * sov_channel_rule(): a block class refuses it unless the class allows the
 * channel), reported with hook SOV_HOOK_DEVICE and the device's number.
 *
 * Where each path stops it (docs/architecture.md):
 *  - LSM path: file_open refuses the open; a device held since before the
 *    taint is refused at file_ioctl, file_permission (read/write: the verbs
 *    and rdma_cm command channel) and mmap_file. Queues mapped before the
 *    taint stay mapped: a hardware HCA then moves data by doorbell writes
 *    into that memory without any system call.
 *  - Tracing path: cgroup/dev refuses the open (inode_permission runs the
 *    device cgroup check before the driver's open). Nothing on this path
 *    sees an fd opened before the taint.
 *
 * Every function here starts with filters that cost no map lookup (a
 * character device, a read/write access), then the taint lookup; only a
 * tainted process's character device pays for the device lookups.
 */
#ifndef SOV_DEVICE_BPF_H
#define SOV_DEVICE_BPF_H

#include "taint.bpf.h"
#include "egress.bpf.h"

#define SOV_S_IFMT	00170000
#define SOV_S_IFCHR	0020000

static __always_inline int rdma_dev_known(__u32 key)
{
	return bpf_map_lookup_elem(&sov_rdma_devs, &key) != NULL;
}

/* rules.h sov_rdma_dev() with the kernel's lookup. */
static __always_inline int rdma_dev(__u32 major, __u32 minor)
{
	return sov_rdma_dev(major, minor, rdma_dev_known);
}

/*
 * The verdict for a tainted process's RDMA device, counted and reported
 * (always at an open; for a held device once per process, device and
 * verdict, as a socket's sends are). Returns SOV_VERDICT_*.
 */
static __always_inline int device_decide(const struct sov_taint *t, const struct sov_config *cfg,
					 __u32 major, __u32 minor, int held,
					 const struct sov_cur *cur)
{
	struct sov_dst dst = { .hook = SOV_HOOK_DEVICE, .channel = SOV_CHAN_RDMA };
	struct sov_dev_seen_key k;
	struct sov_event *e;
	__u64 violated = 0;
	__u32 *seen, state;
	int verdict;

	verdict = channel_verdict(t, cfg, &dst, &violated);
	if (held) {
		if (verdict == SOV_VERDICT_ALLOW)
			return verdict;
		k.tgid = bpf_get_current_pid_tgid() >> 32;
		k.dev = SOV_DEV(major, minor);
		state = sov_sock_state(verdict);
		seen = bpf_map_lookup_elem(&sov_dev_seen, &k);
		if (seen && !sov_sock_reports(*seen, verdict))
			return verdict;
		if (seen)
			*seen = state;
		else
			bpf_map_update_elem(&sov_dev_seen, &k, &state, BPF_ANY);
	}
	count_verdict(verdict);
	/* cur: the opener where the current-task helpers are missing */
	e = cur ? event_new_cur(SOV_EV_EGRESS, cur) : event_new(SOV_EV_EGRESS);
	if (!e)
		return verdict;
	egress_fill(e, t, &dst, verdict, SOV_ZONE_UNKNOWN, violated);
	e->dev = SOV_DEV(major, minor);
	event_submit(e);
	return verdict;
}

#ifdef SOV_LSM_PATH
/* LSM hooks are global: the scope cgroups are checked here (the tracing
 * path's cgroup/dev program is attached at them instead). */
static __always_inline long dev_under_scope(__u32 i)
{
	return bpf_current_task_under_cgroup(&sov_scope, i);
}

/*
 * LSM path: 1 when the current process must be refused this file because
 * it is an RDMA character device and the process's taint does not allow
 * the rdma channel; 0 otherwise. held: the file was opened earlier
 * (file_ioctl, file_permission, mmap_file), 0 at file_open. Any other file
 * costs a few loads; an untainted process's character device one lookup.
 * Named for the lead's merge: file_permission's program calls it beside
 * the socket checks of another part of issue 10.
 */
static __always_inline int dev_permission_check(struct file *file, int held)
{
	struct sov_config *cfg;
	struct sov_taint *t;
	struct inode *inode;
	__u32 tgid, rdev;

	/* Probe reads: mmap_file passes NULL for an anonymous mapping, and a
	 * verifier that takes the hook's argument as never NULL drops the
	 * check and loads through it directly (6.12 oopsed). */
	if (!file)
		return 0;
	inode = BPF_CORE_READ(file, f_inode);
	if (!inode || (BPF_CORE_READ(inode, i_mode) & SOV_S_IFMT) != SOV_S_IFCHR)
		return 0;
	tgid = bpf_get_current_pid_tgid() >> 32;
	t = taint_judged(&tgid);
	if (!t)
		return 0;
	rdev = BPF_CORE_READ(inode, i_rdev);
	if (!rdma_dev(rdev >> SOV_MINORBITS, rdev & SOV_DEV_ANY_MINOR))
		return 0;
	cfg = sov_cfg();
	if (!cfg || !sov_in_scope(cfg, dev_under_scope))
		return 0;
	return device_decide(t, cfg, rdev >> SOV_MINORBITS, rdev & SOV_DEV_ANY_MINOR,
			     held, NULL) == SOV_VERDICT_DENY;
}
#endif

#endif
