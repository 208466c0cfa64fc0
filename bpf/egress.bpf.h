/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Egress: the verdict for a tainted process's destination. The zone comes
 * from the LPM tries of the half in force, the rule from sov_zone_rules,
 * the verdict from sov_egress_rule() (bpf/rules.h): violated = taint &
 * ~allowed, deny only for a block class in enforce mode. Every reported
 * verdict is one counter and one egress event.
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

/* Decide and report: the syscall-time hooks (connect, sendmsg with an address). */
static __always_inline int egress_decide(const struct sov_taint *t,
					 const struct sov_config *cfg,
					 const struct sov_dst *dst)
{
	__u64 violated = 0;
	__u32 zone = 0;
	int verdict;

	verdict = egress_verdict(t, cfg, dst, &zone, &violated);
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
