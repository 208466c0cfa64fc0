// SPDX-License-Identifier: Apache-2.0
/*
 * Aggregates of allowed egress flows (flows.h, issue 14).
 *
 * Nothing counted is lost between the kernel's add and sovd's read: the
 * kernel only ever adds to a key's count (atomic add) and sovd never
 * writes sov_flows (an update of a hash value from user space replaces
 * the element, and an add in flight on another CPU would land in the old
 * one). What sovd has reported of a key lives in sov_flows_seen, a map
 * only sovd writes; an aggregate is the difference, recorded in
 * sov_flows_seen *before* the record is emitted, so a failed write there
 * leaves the flows to the next flush rather than reporting them twice.
 * Both maps are pinned: a sovd that crashed and restarts reports what is
 * left, once. A key is removed only when its process instance is gone
 * (sov_taint no longer holds that tgid with that since_ns: the exit hook
 * moved it out, or the tgid was reused), checked *before* the final read,
 * so that no thread can add to it after that read.
 *
 * Calls: libbpf (map syscalls), pipeline.c. Called by main.c (the loop's
 * timer, stop) and through policy_life (lifecycle.c, a policy switch).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "agent/flows.h"
#include "agent/log.h"
#include "agent/pipeline.h"

uint64_t flows_window(const struct sov_flow *v, const struct sov_flow_seen *s,
		      uint64_t *first_ns, uint64_t *last_ns)
{
	uint64_t start = s->last_ns ? s->last_ns : v->first_ns;

	if (v->count <= s->count)
		return 0;
	*first_ns = start;
	/* last_ns is a plain store made after the add: a flow racing the
	 * read may be counted before its time is; the window never ends
	 * before it began. */
	*last_ns = v->last_ns > start ? v->last_ns : start;
	return v->count - s->count;
}

/* The keys in the map now: iterating while removing would restart the
 * walk (a hash's next key after a removed one is its first). */
static int collect_keys(struct flows *f, uint32_t *n)
{
	struct sov_flow_key k, *prev = NULL;
	int err;

	*n = 0;
	while (!(err = bpf_map_get_next_key(f->map_fd, prev, &k))) {
		if (*n == f->cap) {
			uint32_t cap = f->cap ? 2 * f->cap : 256;
			struct sov_flow_key *b = realloc(f->buf, cap * sizeof(*b));

			if (!b)
				return -ENOMEM;
			f->buf = b;
			f->cap = cap;
		}
		f->buf[(*n)++] = k;
		prev = &f->buf[*n - 1];
	}
	return err == -ENOENT ? 0 : err;
}

/* The key's process instance has no thread left that could add to it. */
static int process_gone(const struct flows *f, const struct sov_flow_key *k)
{
	struct sov_taint t;

	return bpf_map_lookup_elem(f->taint_fd, &k->tgid, &t) || t.since_ns != k->since_ns;
}

int flows_flush(struct flows *f, struct pipeline *p, int any_generation)
{
	uint32_t gen = p->policy ? p->policy->generation : 0, n;
	int err, emitted = 0;

	if (f->map_fd < 0 || f->seen_fd < 0)
		return 0;
	err = collect_keys(f, &n);
	if (err) {
		pr_warn("failed to read the allowed-flow aggregates: %s", strerror(-err));
		return err;
	}
	f->keys = n;
	for (uint32_t i = 0; i < n; i++) {
		const struct sov_flow_key *k = &f->buf[i];
		struct sov_flow_seen s = {}, ns;
		uint64_t cnt, first, last;
		struct sov_flow v;
		int gone, same_gen = k->generation == gen;

		if (!same_gen && !any_generation)
			continue;
		gone = process_gone(f, k);
		if (bpf_map_lookup_elem(f->map_fd, k, &v))
			continue;
		bpf_map_lookup_elem(f->seen_fd, k, &s);
		cnt = flows_window(&v, &s, &first, &last);
		if (cnt) {
			ns = (struct sov_flow_seen){ .count = v.count, .last_ns = last };
			err = bpf_map_update_elem(f->seen_fd, k, &ns, BPF_ANY);
			if (err) {
				/* reported next time, never twice */
				pr_warn("failed to record an allowed-flow aggregate: %s", strerror(-err));
				continue;
			}
			pipeline_emit_flow(p, k, &v, cnt, first, last, same_gen);
			f->aggregated += cnt;
			f->records++;
			emitted = 1;
		}
		if (gone) {
			bpf_map_delete_elem(f->map_fd, k);
			bpf_map_delete_elem(f->seen_fd, k);
		}
	}
	if (emitted)
		pipeline_flush(p);
	return 0;
}

void flows_free(struct flows *f)
{
	free(f->buf);
	f->buf = NULL;
	f->cap = 0;
}
