// SPDX-License-Identifier: Apache-2.0
/*
 * The compiled policy into the maps (policy_maps.h): zone tables, per-zone
 * rules, scope, configuration, class names.
 * Calls: host.c, log.c, libbpf. Called by lifecycle.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "agent/host.h"
#include "agent/kpath.h"
#include "agent/log.h"
#include "agent/policy_maps.h"
#include "policy/policy.h"

/* The policy library numbers channels as the kernel does. */
_Static_assert(SOV_POLICY_CHAN_RAW == SOV_CHAN_RAW && SOV_POLICY_CHAN_PING == SOV_CHAN_PING &&
	       SOV_POLICY_CHAN_PACKET == SOV_CHAN_PACKET && SOV_POLICY_CHAN_XDP == SOV_CHAN_XDP &&
	       SOV_POLICY_CHAN_OTHER == SOV_CHAN_OTHER && SOV_POLICY_CHAN_RDMA == SOV_CHAN_RDMA &&
	       SOV_POLICY_CHAN_MAX == SOV_CHAN_MAX, "policy channels are the kernel's SOV_CHAN_*");

/* Empties an LPM trie (the inactive half, before it is filled). */
static int lpm_clear(int fd, size_t ksz)
{
	unsigned char key[sizeof(struct sov_lpm6_key)];

	/* Deleting the first key each time avoids iterating a changing map. */
	while (bpf_map_get_next_key(fd, NULL, key) == 0) {
		if (bpf_map_delete_elem(fd, key) && errno != ENOENT)
			return -errno;
	}
	(void)ksz;
	return 0;
}

static int lpm_fill(int fd, const void *keys, const uint32_t *zones, size_t n, size_t ksz)
{
	for (size_t i = 0; i < n; i++) {
		struct sov_zone_val v = { .zone = zones[i] };

		if (bpf_map_update_elem(fd, (const char *)keys + i * ksz, &v, BPF_ANY)) {
			int err = -errno;

			pr_err("failed to write zone prefix %zu of %zu: %s", i, n, strerror(-err));
			return err;
		}
	}
	return 0;
}

static int read_config(const struct sov_map_fds *fd, struct sov_config *cfg)
{
	__u32 key0 = 0;

	memset(cfg, 0, sizeof(*cfg));
	return bpf_map_lookup_elem(fd->config, &key0, cfg) ? -errno : 0;
}

int policy_maps_stage(struct policy_maps *pm, const struct sov_policy_image *img)
{
	struct sov_lpm4_key *k4 = NULL;
	struct sov_lpm6_key *k6 = NULL;
	uint32_t *z4 = NULL, *z6 = NULL, half, nrules;
	struct sov_config cur;
	int err = 0;

	if (img->n_zones > SOV_MAX_ZONES) {
		pr_err("policy has %zu zones; at most %d are supported", img->n_zones, SOV_MAX_ZONES);
		return -E2BIG;
	}
	err = read_config(pm->fd, &cur);
	if (err)
		return err;
	half = !cur.active;
	/* Check capacity before writing anything. */
	if (img->n_v4 > kpath_map_capacity(pm->fd->zone4[half]) ||
	    img->n_v6 > kpath_map_capacity(pm->fd->zone6[half])) {
		pr_err("the policy has %zu IPv4 and %zu IPv6 zone entries; the kernel tables hold %u and %u: restart sovd to grow them",
		       img->n_v4, img->n_v6, kpath_map_capacity(pm->fd->zone4[half]),
		       kpath_map_capacity(pm->fd->zone6[half]));
		return -E2BIG;
	}
	k4 = calloc(img->n_v4 + 1, sizeof(*k4));
	z4 = calloc(img->n_v4 + 1, sizeof(*z4));
	k6 = calloc(img->n_v6 + 1, sizeof(*k6));
	z6 = calloc(img->n_v6 + 1, sizeof(*z6));
	if (!k4 || !z4 || !k6 || !z6) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < img->n_v4; i++) {
		k4[i].prefixlen = img->v4[i].plen;
		memcpy(k4[i].addr, img->v4[i].addr, 4);
		z4[i] = img->v4[i].zone;
	}
	for (size_t i = 0; i < img->n_v6; i++) {
		k6[i].prefixlen = img->v6[i].plen;
		memcpy(k6[i].addr, img->v6[i].addr, 16);
		z6[i] = img->v6[i].zone;
	}

	/* Rules of the inactive half; slots past the policy's zones allow
	 * nothing. Every slot once per half and run, then only the used ones. */
	nrules = pm->rules_written[half] ? pm->rules_written[half] : SOV_MAX_ZONES;
	if (nrules < img->n_zones)
		nrules = img->n_zones;
	for (uint32_t z = 0; z < nrules; z++) {
		struct sov_zone_rule r = { .allowed = z < img->n_zones ? img->zone_allowed[z] : 0 };
		__u32 idx = half * SOV_MAX_ZONES + z;

		if (bpf_map_update_elem(pm->fd->zone_rules, &idx, &r, BPF_ANY)) {
			err = -errno;
			pr_err("failed to write zone rule %u: %s", z, strerror(-err));
			goto out;
		}
	}
	pm->rules_written[half] = img->n_zones;

	if ((err = lpm_clear(pm->fd->zone4[half], sizeof(*k4))) ||
	    (err = lpm_clear(pm->fd->zone6[half], sizeof(*k6))) ||
	    (err = lpm_fill(pm->fd->zone4[half], k4, z4, img->n_v4, sizeof(*k4))) ||
	    (err = lpm_fill(pm->fd->zone6[half], k6, z6, img->n_v6, sizeof(*k6))))
		goto out;

	/* The scope cgroups, where the kernel path's hooks check them. */
	if (pm->scope_in_map) {
		const char *root = cgroup2_mount();
		int all = 0;

		for (size_t i = 0; i < img->n_scope; i++)
			all |= !strcmp(img->scope_cgroups[i], "/");
		if (!all && img->n_scope > SOV_MAX_SCOPE) {
			pr_err("at most %d scope cgroups are supported", SOV_MAX_SCOPE);
			err = -E2BIG;
			goto out;
		}
		for (__u32 i = 0; !all && i < img->n_scope; i++) {
			char path[512];
			int cg;

			snprintf(path, sizeof(path), "%s%s", root ? root : "", img->scope_cgroups[i]);
			cg = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (cg < 0 || bpf_map_update_elem(pm->fd->scope, &i, &cg, BPF_ANY)) {
				err = -errno;
				pr_err("failed to add scope cgroup %s: %s", path, strerror(-err));
				if (cg >= 0)
					close(cg);
				goto out;
			}
			close(cg);
		}
	}
	pm->staged = half;
out:
	free(k4);
	free(z4);
	free(k6);
	free(z6);
	return err;
}

int policy_maps_commit(struct policy_maps *pm, const struct sov_policy_image *img,
		       uint32_t generation)
{
	struct sov_config cfg = {};
	__u32 key0 = 0;
	int all = 0;

	for (size_t i = 0; i < img->n_scope; i++)
		all |= !strcmp(img->scope_cgroups[i], "/");
	cfg.n_scope = pm->scope_in_map && !all ? img->n_scope : 0;
	cfg.block_classes = img->block_classes;
	cfg.derive_classes = img->derive_classes;
	for (size_t i = 0; i < img->n_classes; i++)
		cfg.all_classes |= 1ull << img->classes[i].bit;
	cfg.mode = img->mode == SOV_POLICY_AUDIT ? SOV_MODE_AUDIT : SOV_MODE_ENFORCE;
	cfg.generation = generation;
	cfg.active = pm->staged;
	memcpy(&cfg.policy_hash, img->sha256, sizeof(cfg.policy_hash));
	/* The channels each class allows (bpf/rules.h sov_channel_allowed()):
	 * in the same write as the rest, so they change with the policy. */
	for (uint32_t ch = SOV_CHAN_NONE + 1; ch < SOV_CHAN_MAX; ch++)
		cfg.chan_allow[ch] = img->chan_allowed[ch];
	/* One write: the hooks see the old policy or the new one, whole. */
	if (bpf_map_update_elem(pm->fd->config, &key0, &cfg, BPF_ANY)) {
		int err = -errno;

		pr_err("failed to write config: %s", strerror(-err));
		return err;
	}
	return 0;
}

static uint64_t remap_mask(uint64_t m, const int *to)
{
	uint64_t out = 0;

	for (int b = 0; b < SOV_MAX_CLASSES; b++)
		if ((m & (1ull << b)) && to[b] >= 0)
			out |= 1ull << to[b];
	return out;
}

static void remap_label(int fd, const void *key, const int *to)
{
	struct sov_label v;

	if (bpf_map_lookup_elem(fd, key, &v))
		return;
	v.classes = remap_mask(v.classes, to);
	bpf_map_update_elem(fd, key, &v, BPF_EXIST);
}

static void remap_taint(int fd, const void *key, const int *to)
{
	struct sov_taint t;

	if (bpf_map_lookup_elem(fd, key, &t))
		return;
	t.classes = remap_mask(t.classes, to);
	bpf_map_update_elem(fd, key, &t, BPF_EXIST);
}

static int key_cmp(const void *a, const void *b, void *ksz)
{
	return memcmp(a, b, *(size_t *)ksz);
}

/*
 * Every key first, then the rewrites: an update replaces a hash map element
 * by a new one at the head of its bucket, so a walk with get_next_key that
 * updates as it goes visits the bucket's earlier elements again, and with
 * two elements in one bucket never ends (a restart over 2,000 pinned labels
 * hung in here). The programs may change the map during the walk (a policy
 * apply): a deleted key makes get_next_key start over, so the walk stops at
 * the map's capacity and the keys are made unique, since a rewrite applied
 * twice would map the bits twice. Returns how many entries were rewritten.
 */
static size_t remap_map(int fd, size_t ksz, const int *to,
			void (*fn)(int fd, const void *key, const int *to))
{
	size_t cap = 1024, cnt = 0, u = 0, max = kpath_map_capacity(fd);
	unsigned char *keys = malloc(cap * ksz), *nk;

	while (keys && cnt < max &&
	       !bpf_map_get_next_key(fd, cnt ? keys + (cnt - 1) * ksz : NULL, keys + cnt * ksz)) {
		if (++cnt == cap) {
			nk = realloc(keys, 2 * cap * ksz);
			if (!nk)
				break;
			keys = nk;
			cap *= 2;
		}
	}
	if (!keys) {
		pr_err("failed to rewrite pinned class bits: out of memory");
		return 0;
	}
	qsort_r(keys, cnt, ksz, key_cmp, &ksz);
	for (size_t i = 0; i < cnt; i++) {
		if (i && !memcmp(keys + i * ksz, keys + (i - 1) * ksz, ksz))
			continue;
		fn(fd, keys + i * ksz, to);
		u++;
	}
	free(keys);
	return u;
}

/*
 * Labels outlive sovd (derived labels are pinned across a clean restart),
 * but class bits are policy order. sov_classes says what each pinned bit
 * meant; bits are renumbered by name, and classes the new policy no longer
 * has are dropped (with a warning: nothing enforces them any more).
 */
int policy_maps_remap_classes(struct policy_maps *pm, const struct sov_policy_image *img)
{
	int to[SOV_MAX_CLASSES], identity = 1, fd;
	size_t n = 0;

	fd = pm->fd->classes;
	for (__u32 b = 0; b < SOV_MAX_CLASSES; b++) {
		struct sov_class_name old = {};

		to[b] = -1;
		if (bpf_map_lookup_elem(fd, &b, &old) || !old.name[0])
			continue;
		for (size_t c = 0; c < img->n_classes; c++)
			if (!strncmp(old.name, img->classes[c].name, sizeof(old.name)))
				to[b] = img->classes[c].bit;
		if (to[b] != (int)b)
			identity = 0;
		if (to[b] < 0)
			pr_warn("class %.63s is no longer in the policy: its labels are dropped", old.name);
	}
	if (!identity) {
		size_t nt = 0;

		pr_info("policy renumbers classes: rewriting pinned labels and taint");
		n = remap_map(pm->fd->labels, sizeof(struct sov_inode_key), to, remap_label);
		/* live and exited processes' taint, and the lost taints' union */
		if (pm->fd->taint >= 0)
			nt += remap_map(pm->fd->taint, sizeof(__u32), to, remap_taint);
		if (pm->fd->taint_exited >= 0)
			nt += remap_map(pm->fd->taint_exited, sizeof(__u32), to, remap_taint);
		{
			struct sov_taint_state st;
			__u32 zero = 0;

			if (pm->fd->taint_state >= 0 &&
			    !bpf_map_lookup_elem(pm->fd->taint_state, &zero, &st) &&
			    st.overflow.classes) {
				st.overflow.classes = remap_mask(st.overflow.classes, to);
				bpf_map_update_elem(pm->fd->taint_state, &zero, &st, BPF_ANY);
			}
		}
		pr_info("rewrote %zu labels and %zu taint entries", n, nt);
	}
	for (__u32 b = 0; b < SOV_MAX_CLASSES; b++) {
		struct sov_class_name nm = {};

		if (b < img->n_classes)
			snprintf(nm.name, sizeof(nm.name), "%s", img->classes[b].name);
		if (bpf_map_update_elem(fd, &b, &nm, BPF_ANY))
			return -errno;
	}
	return 0;
}

