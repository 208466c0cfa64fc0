/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Egress: the verdict for a tainted process's destination. The zone comes
 * from the LPM tries of the half in force, the rule from sov_zone_rules,
 * the verdict from sov_egress_rule() (bpf/rules.h): violated = taint &
 * ~allowed, deny only for a block class in enforce mode. Every reported
 * verdict is one counter and one egress event, but for repeated allowed
 * flows of one process, zone and class set, which are counted in
 * sov_flows and reported by sovd as one aggregate (egress_aggregate()).
 */
#ifndef SOV_EGRESS_BPF_H
#define SOV_EGRESS_BPF_H

#include "events.bpf.h"

#define AF_INET		SOV_AF_INET
#define AF_INET6	SOV_AF_INET6

/* The zone tables in force: half cfg->active of the double buffer. */
static __always_inline __u32 zone_of4(const struct sov_config *cfg, __u32 addr_be)
{
	struct sov_lpm4_key k = { .prefixlen = 32 };
	struct sov_zone_val *v;

	__builtin_memcpy(k.addr, &addr_be, 4);
	if (cfg->active)
		v = bpf_map_lookup_elem(&sov_zone4_1, &k);
	else
		v = bpf_map_lookup_elem(&sov_zone4_0, &k);
	return v ? v->zone : SOV_ZONE_UNKNOWN;
}

static __always_inline __u32 zone_of6(const struct sov_config *cfg, const __u32 a[4])
{
	struct sov_lpm6_key k = { .prefixlen = 128 };
	struct sov_zone_val *v;

	__builtin_memcpy(k.addr, a, 16);
	if (cfg->active)
		v = bpf_map_lookup_elem(&sov_zone6_1, &k);
	else
		v = bpf_map_lookup_elem(&sov_zone6_0, &k);
	return v ? v->zone : SOV_ZONE_UNKNOWN;
}

static __always_inline const struct sov_zone_rule *zone_rule(__u32 idx)
{
	return bpf_map_lookup_elem(&sov_zone_rules, &idx);
}

/* Returns SOV_VERDICT_*; the zone and violated classes come back for the event. */
static __always_inline int egress_verdict(const struct sov_taint *t,
					  const struct sov_config *cfg,
					  const struct sov_dst *dst,
					  __u32 *zone, __u64 *violated)
{
	return sov_egress_verdict(t->classes, cfg, dst, zone_of4, zone_of6, zone_rule,
				  zone, violated);
}

static __always_inline void egress_fill(struct sov_event *e, const struct sov_taint *t,
					const struct sov_dst *dst, int verdict,
					__u32 zone, __u64 violated)
{
	e->classes = t->classes;
	e->violated = violated;
	e->verdict = verdict;
	e->zone = zone;
	e->family = dst->family;
	e->proto = dst->proto;
	e->dport = dst->dport;
	e->hook = dst->hook;
	e->sotype = dst->sotype;
	e->channel = dst->channel;
	if (dst->family == AF_INET6 && sov_ip6_is_v4mapped(dst->addr)) {
		e->family = AF_INET;
		__builtin_memcpy(e->daddr, &dst->addr[3], 4);
	} else {
		__builtin_memcpy(e->daddr, dst->addr, 16);
	}
}

/* One event and one counter per reported decision (current task's context). */
static __always_inline void egress_emit(const struct sov_taint *t,
					const struct sov_dst *dst,
					int verdict, __u32 zone, __u64 violated)
{
	struct sov_event *e;

	count_verdict(verdict);
	e = event_new(SOV_EV_EGRESS);
	if (!e)
		return;
	egress_fill(e, t, dst, verdict, zone, violated);
	event_submit(e);
}

/*
 * Aggregation of allowed flows (issue 14; abi.h struct sov_flow_key). An
 * allowed flow judged by destination at a syscall-time hook, of a process
 * with a taint entry of its own (since_ns 0: the overflow's taint, which
 * names no process instance), is aggregated per key: the key's first flow
 * is its own event, every later one one atomic add in sov_flows, no
 * ring-buffer reservation. A deny or an audit never comes here.
 * Returns 1 when the flow was taken care of (counted or reported).
 * Map operations added per flow: one lookup of sov_flows; the first flow
 * of a key adds one update (BPF_NOEXIST), made only once its event is
 * reserved, so a key is in the map only when its first flow is in the
 * ring. A full map (or a race lost to another thread's first flow) leaves
 * the flow its own event, as without aggregation.
 */
static __always_inline int egress_aggregate(const struct sov_taint *t,
					    const struct sov_config *cfg,
					    const struct sov_dst *dst, __u32 zone)
{
	struct sov_flow_key k = {};
	struct sov_flow nf = {};
	struct sov_event *e;
	struct sov_flow *f;

	if (dst->channel != SOV_CHAN_NONE || !t->since_ns ||
	    (dst->hook != SOV_HOOK_CONNECT && dst->hook != SOV_HOOK_SENDMSG &&
	     dst->hook != SOV_HOOK_SEND))
		return 0;
	k.tgid = bpf_get_current_pid_tgid() >> 32;
	k.zone = zone;
	k.classes = t->classes;
	k.since_ns = t->since_ns;
	k.generation = cfg->generation;
	k.hook = dst->hook;
	k.proto = dst->proto;
	count_verdict(SOV_VERDICT_ALLOW);
	f = bpf_map_lookup_elem(&sov_flows, &k);
	if (f) {
		/* The count only grows, by atomic add (5.10 has it): sovd
		 * reports differences and never writes this entry. last_ns
		 * is a plain 8-byte store: the window's end, to within the
		 * flows racing on other CPUs. */
		__sync_fetch_and_add(&f->count, 1);
		f->last_ns = bpf_ktime_get_boot_ns();
		return 1;
	}
	e = event_new(SOV_EV_EGRESS);
	if (!e)
		return 1;
	egress_fill(e, t, dst, SOV_VERDICT_ALLOW, zone, 0);
	nf.first_ns = e->ts_boot_ns;
	nf.last_ns = e->ts_boot_ns;
	nf.cgroup_id = e->cgroup_id;
	nf.uid = e->uid;
	__builtin_memcpy(nf.comm, e->comm, sizeof(nf.comm));
	bpf_map_update_elem(&sov_flows, &k, &nf, BPF_NOEXIST);
	event_submit(e);
	return 1;
}

/* Decide and report: the syscall-time hooks (connect, sendmsg with an address). */
static __always_inline int egress_decide(const struct sov_taint *t,
					 const struct sov_config *cfg,
					 const struct sov_dst *dst)
{
	__u64 violated = 0;
	__u32 zone = 0;
	int verdict;

	verdict = egress_verdict(t, cfg, dst, &zone, &violated);
	if (verdict == SOV_VERDICT_ALLOW && egress_aggregate(t, cfg, dst, zone))
		return verdict;
	egress_emit(t, dst, verdict, zone, violated);
	return verdict;
}

/*
 * A channel that cannot be judged by destination (sov_channel()): the
 * verdict of sov_channel_rule(), whatever the destination; the event names
 * the channel and carries the destination if the hook knows one.
 */
static __always_inline int channel_verdict(const struct sov_taint *t,
					   const struct sov_config *cfg,
					   const struct sov_dst *dst, __u64 *violated)
{
	return sov_channel_rule(t->classes, cfg, dst->channel, violated);
}

/* Decide and report a channel at a syscall-time hook (socket creation). */
static __always_inline int channel_decide(const struct sov_taint *t,
					  const struct sov_config *cfg,
					  const struct sov_dst *dst)
{
	__u64 violated = 0;
	int verdict;

	verdict = channel_verdict(t, cfg, dst, &violated);
	egress_emit(t, dst, verdict, SOV_ZONE_UNKNOWN, violated);
	return verdict;
}

/*
 * A connected socket is judged at every send or packet once its owner is
 * tainted (late taint), but reported once per verdict: returns 1 when this
 * verdict is to be reported, and records on the socket that it was.
 */
static __always_inline int egress_sock_reports(struct sov_sock_owner *o, int verdict)
{
	if (!sov_sock_reports(o->denied, verdict))
		return 0;
	o->denied = sov_sock_state(verdict);
	return 1;
}

#endif
