// SPDX-License-Identifier: Apache-2.0
/*
 * Self-audit (selfaudit.h). What is checked, and what is repaired:
 *  - each link sovd created: its link info still names sovd's program (id
 *    recorded at attach), a cgroup link is still attached to its scope
 *    cgroup (a detached one reads cgroup id 0: re-attached), its pin under
 *    PIN_DIR/links still names the same link id (re-pinned);
 *  - the program behind each link still carries the tag recorded at load;
 *  - foreign programs on the cgroup hooks sovd uses (bpf_prog_query on each
 *    scope cgroup): reported, not removed; link-attached cgroup programs
 *    are multi-attach and every program must allow, so they cannot weaken
 *    sovd's verdicts (they can refuse more);
 *  - the policy maps (config, both halves of the zone tables and rules,
 *    class names) against an order-independent hash recorded after each
 *    write by sovd: rewritten from the policy in force. The scope map of
 *    the LSM path (a cgroup array) cannot be read from user space: it is
 *    rewritten at each audit instead.
 *
 * Calls: kpath_load.c, policy_maps.c, pipeline.c, jbuf.c, host.c, log.c,
 * libbpf. Called by main.c (tick, start-up, SIGHUP) and api.c (status,
 * apply).
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "agent/host.h"
#include "agent/jbuf.h"
#include "agent/kpath.h"
#include "agent/lifecycle.h"
#include "agent/log.h"
#include "agent/pipeline.h"
#include "agent/policy_maps.h"
#include "agent/selfaudit.h"
#include "policy/policy.h"

static const char *const map_names[SELFAUDIT_MAPS] = {
	"sov_config", "sov_zone4_0", "sov_zone4_1", "sov_zone6_0", "sov_zone6_1",
	"sov_zone_rules", "sov_classes",
};

static int map_fd(const struct sov_map_fds *f, int i)
{
	const int fds[SELFAUDIT_MAPS] = {
		f->config, f->zone4[0], f->zone4[1], f->zone6[0], f->zone6[1],
		f->zone_rules, f->classes,
	};

	return fds[i];
}

static int64_t mono_ms(void)
{
	return host_now_ns(CLOCK_MONOTONIC) / 1000000;
}

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/*
 * The sum of a mixed hash of each (key, value), plus the count: the same
 * entries give the same hash whatever order the map walks them in. Not a
 * cryptographic hash: it finds changes, it does not resist forgery (root
 * that can forge it can also rewrite sovd's memory).
 */
static uint64_t map_hash(int fd)
{
	unsigned char key[256], next[256], val[1024];
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	uint64_t sum = 0, n = 0;
	void *prev = NULL;

	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.key_size > sizeof(key) ||
	    info.value_size > sizeof(val))
		return 0;
	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		uint64_t h = 0xcbf29ce484222325ull;

		memcpy(key, next, info.key_size);
		prev = key;
		if (bpf_map_lookup_elem(fd, key, val))
			continue;
		h = fnv(h, key, info.key_size);
		h = fnv(h, val, info.value_size);
		sum += mix(h);
		n++;
	}
	return mix(sum ^ mix(n + 1));
}

static uint32_t active_half(const struct selfaudit *a)
{
	struct sov_config cfg = {};
	__u32 k = 0;

	bpf_map_lookup_elem(a->kp->fd.config, &k, &cfg);
	return cfg.active;
}

void selfaudit_record_maps(struct selfaudit *a)
{
	a->active = active_half(a);
	for (int i = 0; i < SELFAUDIT_MAPS; i++)
		a->map_hash[i] = map_hash(map_fd(&a->kp->fd, i));
}

static int link_info(int fd, struct bpf_link_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(fd, info, &len) ? -errno : 0;
}

static int prog_tag(uint32_t id, uint8_t tag[8], char name[16])
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id), err = 0;

	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		err = -errno;
	} else {
		memcpy(tag, info.tag, 8);
		if (name)
			memcpy(name, info.name, 16);
	}
	close(fd);
	return err;
}

static void record_link(struct selfaudit *a, size_t i)
{
	struct selfaudit_link *l = &a->links[i];
	struct bpf_link_info info;
	const char *at = strchr(a->kp->link_names[i], '@');

	memset(l, 0, sizeof(*l));
	l->scope = at ? atoi(at + 1) : -1;
	if (link_info(bpf_link__fd(a->kp->links[i]), &info))
		return;
	l->link_id = info.id;
	l->prog_id = info.prog_id;
	l->type = info.type;
	if (info.type == BPF_LINK_TYPE_CGROUP) {
		l->cgroup_id = info.cgroup.cgroup_id;
		l->attach_type = info.cgroup.attach_type;
	} else {
		l->scope = -1;
	}
	prog_tag(l->prog_id, l->tag, l->prog_name);
	l->prog_name[15] = '\0';
}

int selfaudit_record(struct selfaudit *a)
{
	struct selfaudit_link *nl = calloc(a->kp->n_links ? a->kp->n_links : 1, sizeof(*nl));

	if (!nl)
		return -ENOMEM;
	free(a->links);
	a->links = nl;
	a->n_links = a->kp->n_links;
	for (size_t i = 0; i < a->n_links; i++)
		record_link(a, i);
	selfaudit_record_maps(a);
	a->recorded = 1;
	return 0;
}

/* --- findings --- */

struct audit_run {
	struct selfaudit *a;
	char findings[SELFAUDIT_FINDINGS];
	size_t flen;
	char keys[SELFAUDIT_FINDINGS];
	size_t klen;
	int n;
};

/*
 * One finding: body is the JSON object's members (without braces), key
 * names it across audits. New findings are events; all are in the status.
 */
static void finding(struct audit_run *r, const char *key, int repaired, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void finding(struct audit_run *r, const char *key, int repaired, const char *fmt, ...)
{
	struct selfaudit *a = r->a;
	char body[1024], ev[1200], k[200];
	va_list ap;
	int fresh;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	snprintf(ev, sizeof(ev), "{%s,\"repaired\":%s}", body, repaired ? "true" : "false");
	snprintf(k, sizeof(k), "|%s|", key);
	r->n++;
	if (r->flen + strlen(ev) + 2 < sizeof(r->findings))
		r->flen += snprintf(r->findings + r->flen, sizeof(r->findings) - r->flen, "%s%s",
				    r->flen ? "," : "", ev);
	/* A repaired finding is fixed: seen again, it is tampering again. */
	fresh = repaired || !strstr(a->reported, k);
	if (!repaired && r->klen + strlen(k) + 1 < sizeof(r->keys))
		r->klen += snprintf(r->keys + r->klen, sizeof(r->keys) - r->klen, "%s", k);
	if (!fresh)
		return;
	a->tamper_total++;
	pr_warn("tamper: %s", body);
	/* The event body is the finding's members, repaired included. */
	ev[strlen(ev) - 1] = '\0';
	pipeline_emit_own(a->pipe, "tamper", ev + 1);
}

static const char *flags_name(uint32_t f)
{
	return f & BPF_F_ALLOW_MULTI ? "multi" : f & BPF_F_ALLOW_OVERRIDE ? "override" : "none";
}

/* A detached cgroup link: attach the same program to the same scope
 * cgroup again, in the link's slot; the caller re-pins. */
static int reattach(struct selfaudit *a, size_t i)
{
	struct kpath *kp = a->kp;
	struct selfaudit_link *l = &a->links[i];
	struct sov_policy_image *img = a->life->img;
	struct bpf_program *prog, *found = NULL;
	struct bpf_link *link;
	int cg;

	if (l->scope < 0 || (size_t)l->scope >= img->n_scope)
		return -EINVAL;
	bpf_object__for_each_program(prog, kp->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (bpf_program__fd(prog) >= 0 &&
		    !bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) &&
		    info.id == l->prog_id)
			found = prog;
	}
	if (!found)
		return -ENOENT;
	cg = kpath_open_scope_cgroup(img->scope_cgroups[l->scope]);
	if (cg < 0)
		return cg;
	link = bpf_program__attach_cgroup(found, cg);
	close(cg);
	if (!link)
		return -errno;
	bpf_link__destroy(kp->links[i]);
	kp->links[i] = link;
	record_link(a, i);
	return 0;
}

static int is_ours(const struct selfaudit *a, uint32_t prog_id)
{
	for (size_t i = 0; i < a->n_links; i++)
		if (a->links[i].prog_id == prog_id)
			return 1;
	return 0;
}

static void check_links(struct audit_run *r)
{
	struct selfaudit *a = r->a;
	struct kpath *kp = a->kp;
	int repin = 0;
	char path[768], key[160];

	for (size_t i = 0; i < a->n_links; i++) {
		struct selfaudit_link *l = &a->links[i];
		const char *name = kp->link_names[i];
		struct bpf_link_info info;
		uint8_t tag[8];
		int fd;

		if (link_info(bpf_link__fd(kp->links[i]), &info)) {
			snprintf(key, sizeof(key), "link:%s:gone", name);
			finding(r, key, 0, "\"what\":\"link\",\"name\":\"%s\",\"change\":\"link info unreadable\",\"expected_link_id\":%u,\"note\":\"not repaired: restart sovd\"",
				name, l->link_id);
			continue;
		}
		if (info.prog_id != l->prog_id) {
			snprintf(key, sizeof(key), "link:%s:prog", name);
			finding(r, key, 0, "\"what\":\"link\",\"name\":\"%s\",\"change\":\"runs another program\",\"link_id\":%u,\"expected_prog_id\":%u,\"found_prog_id\":%u,\"note\":\"not repaired: restart sovd\"",
				name, l->link_id, l->prog_id, info.prog_id);
		} else if (prog_tag(l->prog_id, tag, NULL) || memcmp(tag, l->tag, 8)) {
			snprintf(key, sizeof(key), "prog:%s:tag", name);
			finding(r, key, 0, "\"what\":\"program\",\"name\":\"%s\",\"change\":\"tag differs or program gone\",\"prog_id\":%u,\"note\":\"not repaired: restart sovd\"",
				name, l->prog_id);
		}
		if (l->scope >= 0 && info.cgroup.cgroup_id != l->cgroup_id) {
			uint32_t old_id = l->link_id;
			uint64_t found_cg = info.cgroup.cgroup_id;
			int err = reattach(a, i);

			snprintf(key, sizeof(key), "link:%s:cgroup", name);
			if (!err)
				repin = 1;
			finding(r, key, !err, "\"what\":\"link\",\"name\":\"%s\",\"change\":\"%s\",\"link_id\":%u,\"expected_cgroup_id\":%llu,\"found_cgroup_id\":%llu,\"new_link_id\":%u%s",
				name, found_cg ? "attached to another cgroup" : "detached", old_id,
				(unsigned long long)l->cgroup_id, (unsigned long long)found_cg,
				err ? 0 : a->links[i].link_id,
				err ? ",\"note\":\"not repaired: restart sovd\"" : "");
			continue;
		}
		snprintf(path, sizeof(path), "%s/links/%s", kp->pin_dir, name);
		fd = bpf_obj_get(path);
		if (fd < 0) {
			snprintf(key, sizeof(key), "pin:%s:gone", name);
			repin = 1;
			finding(r, key, 1, "\"what\":\"pin\",\"name\":\"%s\",\"path\":\"%s\",\"change\":\"removed\",\"expected_link_id\":%u",
				name, path, l->link_id);
			continue;
		}
		if (link_info(fd, &info) || info.id != l->link_id) {
			snprintf(key, sizeof(key), "pin:%s:id", name);
			repin = 1;
			finding(r, key, 1, "\"what\":\"pin\",\"name\":\"%s\",\"path\":\"%s\",\"change\":\"names another link\",\"expected_link_id\":%u,\"found_link_id\":%u",
				name, path, l->link_id, info.id);
		}
		close(fd);
	}
	if (repin && kpath_pin_links(kp))
		pr_err("self-audit: failed to re-pin the links under %s/links", kp->pin_dir);
}

/* Another sovd's program: the name sovd's own program on that hook has. */
static int other_sovd(const struct selfaudit *a, uint32_t attach_type, uint32_t id)
{
	uint8_t tag[8];
	char name[16] = "";

	if (prog_tag(id, tag, name))
		return 0;
	name[15] = '\0';
	for (size_t i = 0; i < a->n_links; i++)
		if (a->links[i].scope >= 0 && a->links[i].attach_type == attach_type &&
		    !strcmp(a->links[i].prog_name, name))
			return 1;
	return 0;
}

/*
 * Foreign programs on the cgroup hooks sovd uses: the programs in effect
 * for each scope cgroup (its own and its ancestors'), with the flags of
 * those attached to the scope cgroup itself ("inherited": an ancestor's).
 */
static void check_foreign(struct audit_run *r)
{
	struct selfaudit *a = r->a;
	struct sov_policy_image *img = a->life->img;
	uint64_t others = 0;
	char key[160];

	for (size_t s = 0; s < img->n_scope; s++) {
		uint32_t types[64];
		size_t nt = 0;
		int cg = -1;

		for (size_t i = 0; i < a->n_links; i++) {
			size_t j;

			if (a->links[i].scope != (int)s)
				continue;
			for (j = 0; j < nt && types[j] != a->links[i].attach_type; j++)
				;
			if (j == nt && nt < 64)
				types[nt++] = a->links[i].attach_type;
		}
		if (!nt)
			continue;
		cg = kpath_open_scope_cgroup(img->scope_cgroups[s]);
		if (cg < 0)
			continue;
		for (size_t t = 0; t < nt; t++) {
			__u32 ids[64], own[64], pflags[64];
			LIBBPF_OPTS(bpf_prog_query_opts, q, .prog_ids = own,
				    .prog_attach_flags = pflags, .prog_cnt = 64);
			LIBBPF_OPTS(bpf_prog_query_opts, qe, .query_flags = BPF_F_QUERY_EFFECTIVE,
				    .prog_ids = ids, .prog_cnt = 64);

			memset(pflags, 0, sizeof(pflags));
			if (bpf_prog_query_opts(cg, types[t], &q))
				q.prog_cnt = 0;
			if (bpf_prog_query_opts(cg, types[t], &qe))
				continue;
			for (__u32 k = 0; k < qe.prog_cnt && k < 64; k++) {
				const char *fl = "inherited";

				if (is_ours(a, ids[k]))
					continue;
				if (other_sovd(a, types[t], ids[k])) {
					others++;
					continue;
				}
				for (__u32 m = 0; m < q.prog_cnt && m < 64; m++)
					if (own[m] == ids[k])
						fl = flags_name(pflags[m] | q.attach_flags);
				snprintf(key, sizeof(key), "foreign:%zu:%u:%u", s, types[t], ids[k]);
				finding(r, key, 0, "\"what\":\"foreign_program\",\"cgroup\":\"%s\",\"attach_type\":\"%s\",\"found_prog_id\":%u,\"attach_flags\":\"%s\",\"note\":\"not removed; it cannot make sovd allow what sovd refuses (every cgroup program must allow), but a sock_addr program can rewrite the destination after sovd's check\"",
					img->scope_cgroups[s], libbpf_bpf_attach_type_str(types[t]) ?: "?",
					ids[k], fl);
			}
		}
		close(cg);
	}
	a->other_sovd_progs = others;
}

/* The policy in force, written again with the same generation: staged
 * and committed (the config whole), then staged into the other half too,
 * so that both halves hold it; and the class names. */
static int rewrite_policy(struct selfaudit *a)
{
	struct sov_policy_image *img = a->life->img;
	int err;

	/* Ends on the half sovd had in force (a_active), both halves whole:
	 * stage (inactive half), commit; again if that is not the half. */
	if ((err = policy_maps_stage(a->pm, img)) ||
	    (err = policy_maps_commit(a->pm, img, a->life->generation)))
		return err;
	if (active_half(a) != a->active) {
		if ((err = policy_maps_stage(a->pm, img)) ||
		    (err = policy_maps_commit(a->pm, img, a->life->generation)))
			return err;
	} else if ((err = policy_maps_stage(a->pm, img))) {
		return err;
	}
	for (__u32 b = 0; b < SOV_MAX_CLASSES; b++) {
		struct sov_class_name nm = {};

		if (b < img->n_classes)
			snprintf(nm.name, sizeof(nm.name), "%s", img->classes[b].name);
		if (bpf_map_update_elem(a->kp->fd.classes, &b, &nm, BPF_ANY))
			return -errno;
	}
	return 0;
}

static void check_maps(struct audit_run *r)
{
	struct selfaudit *a = r->a;
	uint64_t found[SELFAUDIT_MAPS];
	char changed[256] = "";
	size_t cl = 0;
	int err;

	for (int i = 0; i < SELFAUDIT_MAPS; i++) {
		found[i] = map_hash(map_fd(&a->kp->fd, i));
		if (found[i] != a->map_hash[i])
			cl += snprintf(changed + cl, sizeof(changed) - cl, "%s\"%s\"", cl ? "," : "",
				       map_names[i]);
	}
	if (!cl)
		return;
	err = rewrite_policy(a);
	/* A failed rewrite keeps the old reference: the difference stays a
	 * finding (one event) until it is gone. */
	if (!err)
		selfaudit_record_maps(a);
	finding(r, "maps", !err, "\"what\":\"maps\",\"maps\":[%s],\"change\":\"content differs from what sovd wrote\",\"generation\":%u%s",
		changed, a->life->generation,
		err ? ",\"note\":\"not repaired: restart sovd\"" : "");
}

/* LSM path: sov_scope (a cgroup array) cannot be read back; written again. */
static void reassert_scope(struct selfaudit *a)
{
	struct sov_policy_image *img = a->life->img;
	const char *root = cgroup2_mount();

	if (!a->pm->scope_in_map)
		return;
	for (size_t i = 0; i < img->n_scope; i++)
		if (!strcmp(img->scope_cgroups[i], "/"))
			return;
	for (__u32 i = 0; i < img->n_scope && i < SOV_MAX_SCOPE; i++) {
		char path[512];
		int cg;

		snprintf(path, sizeof(path), "%s%s", root ? root : "", img->scope_cgroups[i]);
		cg = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cg < 0)
			continue;
		bpf_map_update_elem(a->kp->fd.scope, &i, &cg, BPF_ANY);
		close(cg);
	}
}

int selfaudit_run(struct selfaudit *a)
{
	struct audit_run *r;
	int n;

	if (!a->recorded)
		return 0;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->a = a;
	check_links(r);
	check_foreign(r);
	check_maps(r);
	reassert_scope(a);
	n = r->n;
	a->audits++;
	a->last_check_ns = host_now_ns(CLOCK_REALTIME);
	a->last_check_mono_ms = mono_ms();
	/* Findings stay in the status for an interval after they are gone
	 * (repaired): a status right after a repair still shows it. */
	if (n) {
		a->last_finding_mono_ms = a->last_check_mono_ms;
		memcpy(a->findings, r->findings, sizeof(a->findings));
	} else if (a->last_check_mono_ms - a->last_finding_mono_ms >
		   (int64_t)a->interval_s * 1000) {
		a->findings[0] = '\0';
	}
	memcpy(a->reported, r->keys, sizeof(a->reported));
	free(r);
	a->ok = n == 0;
	if (a->ok) {
		a->last_ok_ns = a->last_check_ns;
		a->last_ok_mono_ms = a->last_check_mono_ms;
	}
	return n;
}

const char *selfaudit_state(const struct selfaudit *a)
{
	if (!a->recorded || !a->audits)
		return "audit-stale";
	if (!a->ok)
		return "tampered";
	if (a->last_finding_mono_ms &&
	    mono_ms() - a->last_finding_mono_ms <= (int64_t)a->interval_s * 1000)
		return "repaired";
	if (mono_ms() - a->last_ok_mono_ms > (int64_t)a->interval_s * 1000 + 1000)
		return "audit-stale";
	return "enforcing";
}

void selfaudit_status_json(const struct selfaudit *a, struct jbuf *b)
{
	jb_key(b, "audit");
	jb_open(b);
	jb_raw(b, a->ok && a->audits ? "\"ok\":true" : "\"ok\":false", a->ok && a->audits ? 9 : 10);
	b->first = 0;
	jb_str(b, "state", selfaudit_state(a));
	jb_u64(b, "interval_s", a->interval_s);
	jb_u64(b, "last_check_ns", (uint64_t)a->last_check_ns);
	jb_u64(b, "last_ok_ns", (uint64_t)a->last_ok_ns);
	jb_u64(b, "audits", a->audits);
	jb_u64(b, "tamper_total", a->tamper_total);
	jb_u64(b, "links", a->n_links);
	jb_u64(b, "other_sovd_programs", a->other_sovd_progs);
	jb_raw(b, ",\"findings\":[", 13);
	jb_raw(b, a->findings, strlen(a->findings));
	jb_raw(b, "]", 1);
	jb_close(b);
}

void selfaudit_free(struct selfaudit *a)
{
	free(a->links);
	a->links = NULL;
	a->n_links = 0;
}
