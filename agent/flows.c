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

/* Room for n more entries of a key and a value array. */
static int grow(void **keys, void **vals, size_t ksz, size_t vsz, uint32_t *cap, uint32_t need)
{
	uint32_t cap2 = *cap ? *cap : 256;
	void *k, *v;

	if (need <= *cap)
		return 0;
	while (cap2 < need)
		cap2 *= 2;
	k = realloc(*keys, (size_t)cap2 * ksz);
	if (!k)
		return -ENOMEM;
	*keys = k;
	v = realloc(*vals, (size_t)cap2 * vsz);
	if (!v)
		return -ENOMEM;
	*vals = v;
	*cap = cap2;
	return 0;
}

/*
 * Every key and value of a hash map, in batches of a syscall each
 * (BPF_MAP_LOOKUP_BATCH, Linux 5.6): a flush must not cost a syscall per
 * idle key. Where the kernel refuses batches, a key at a time.
 */
static int read_all(int fd, size_t ksz, size_t vsz, void **keys, void **vals,
		    uint32_t *cap, uint32_t *n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	__u64 in = 0, out = 0;
	void *pin = NULL;
	int err;

	*n = 0;
	for (;;) {
		__u32 cnt;

		err = grow(keys, vals, ksz, vsz, cap, *n + 256);
		if (err)
			return err;
		cnt = *cap - *n;
		err = bpf_map_lookup_batch(fd, pin, &out, (char *)*keys + (size_t)*n * ksz,
					   (char *)*vals + (size_t)*n * vsz, &cnt, &o);
		if (err == -ENOSPC && cnt == 0) {
			/* a bucket holds more than the room left */
			err = grow(keys, vals, ksz, vsz, cap, *cap * 2);
			if (err)
				return err;
			continue;
		}
		if (err && err != -ENOENT)
			break;
		*n += cnt;
		if (err == -ENOENT)
			return 0;
		in = out;
		pin = &in;
	}
	if (err != -EINVAL && err != -EOPNOTSUPP && err != -524 /* ENOTSUPP */)
		return err;
	*n = 0;
	for (;;) {
		void *prev = *n ? (char *)*keys + (size_t)(*n - 1) * ksz : NULL;

		err = grow(keys, vals, ksz, vsz, cap, *n + 1);
		if (err)
			return err;
		if (prev)	/* grow() may have moved the array */
			prev = (char *)*keys + (size_t)(*n - 1) * ksz;
		err = bpf_map_get_next_key(fd, prev, (char *)*keys + (size_t)*n * ksz);
		if (err)
			return err == -ENOENT ? 0 : err;
		/* a key removed meanwhile is skipped: the next one follows
		 * the last key read */
		if (!bpf_map_lookup_elem(fd, (char *)*keys + (size_t)*n * ksz,
					 (char *)*vals + (size_t)*n * vsz))
			(*n)++;
		else if (!*n)
			return -EAGAIN;
	}
}

struct seen_ent {
	struct sov_flow_key k;
	struct sov_flow_seen s;
};

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct sov_flow_key));
}

/* The key's process instance has no thread left that could add to it. */
static int process_gone(const struct flows *f, const struct sov_flow_key *k)
{
	struct sov_taint t;

	return bpf_map_lookup_elem(f->taint_fd, &k->tgid, &t) || t.since_ns != k->since_ns;
}

int flows_flush(struct flows *f, struct pipeline *p, int any_generation)
{
	uint32_t gen = p->policy ? p->policy->generation : 0, n, ns = 0;
	int err, emitted = 0, check_gone;
	struct seen_ent *seen = NULL;

	if (f->map_fd < 0 || f->seen_fd < 0)
		return 0;
	check_gone = f->flushes++ % (f->gone_every ? f->gone_every : FLOWS_GONE_EVERY) == 0;
	err = read_all(f->map_fd, sizeof(*f->keys), sizeof(*f->vals), (void **)&f->keys,
		       (void **)&f->vals, &f->cap, &n);
	if (!err)
		err = read_all(f->seen_fd, sizeof(*f->skeys), sizeof(*f->svals),
			       (void **)&f->skeys, (void **)&f->svals, &f->scap, &ns);
	if (!err && ns && !(seen = malloc((size_t)ns * sizeof(*seen))))
		err = -ENOMEM;
	if (err) {
		pr_warn("failed to read the allowed-flow aggregates: %s", strerror(-err));
		return err;
	}
	for (uint32_t i = 0; i < ns; i++)
		seen[i] = (struct seen_ent){ f->skeys[i], f->svals[i] };
	if (ns)
		qsort(seen, ns, sizeof(*seen), key_cmp);
	f->keys_seen = n;
	for (uint32_t i = 0; i < n; i++) {
		const struct sov_flow_key *k = &f->keys[i];
		struct sov_flow_seen s = {}, nsn;
		struct sov_flow *v = &f->vals[i];
		const struct seen_ent *se;
		uint64_t cnt, first, last;
		int gone = 0, same_gen = k->generation == gen;

		if (!same_gen && !any_generation)
			continue;
		se = ns ? bsearch(k, seen, ns, sizeof(*seen), key_cmp) : NULL;
		if (se)
			s = se->s;
		/* gone, checked before the value it is judged by is read:
		 * nothing can add to the key after that read */
		if (check_gone && (gone = process_gone(f, k)) &&
		    bpf_map_lookup_elem(f->map_fd, k, v))
			continue;
		cnt = flows_window(v, &s, &first, &last);
		if (cnt) {
			nsn = (struct sov_flow_seen){ .count = v->count, .last_ns = last };
			err = bpf_map_update_elem(f->seen_fd, k, &nsn, BPF_ANY);
			if (err) {
				/* reported next time, never twice */
				pr_warn("failed to record an allowed-flow aggregate: %s", strerror(-err));
				continue;
			}
			pipeline_emit_flow(p, k, v, cnt, first, last, same_gen);
			f->aggregated += cnt;
			f->records++;
			emitted = 1;
		}
		if (gone) {
			bpf_map_delete_elem(f->map_fd, k);
			bpf_map_delete_elem(f->seen_fd, k);
		}
	}
	free(seen);
	if (emitted)
		pipeline_flush(p);
	return 0;
}

void flows_free(struct flows *f)
{
	free(f->keys);
	free(f->vals);
	free(f->skeys);
	free(f->svals);
	f->keys = NULL;
	f->vals = NULL;
	f->skeys = NULL;
	f->svals = NULL;
	f->cap = f->scap = 0;
}
