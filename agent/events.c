// SPDX-License-Identifier: Apache-2.0
/*
 * Ring buffer records into events: NDJSON lines (the contract's "Events"),
 * to the events file, to `sovctl watch` clients and to the journal.
 */
#define _XOPEN_SOURCE 700
#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include "agent/jbuf.h"
#include "agent/log.h"
#include "agent/sovd.h"
#include "agent/record.h"

/* The versions of the jurisdiction data behind the zones: evidence. */
void policy_jdata(const struct sov_policy_image *img, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; img && i < img->n_sources && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s:%s", i ? ";" : "",
				img->sources[i].kind, img->sources[i].version);
	if (!buf[0])
		snprintf(buf, len, "explicit");
}

void events_emit_agent_start(struct sovd *d)
{
	struct jbuf b;

	jb_init(&b);
	jb_str(&b, "action", "start");
	jb_str(&b, "mode", mode_name(d->mode));
	jb_raw(&b, ",\"features\":", 12);
	jb_open(&b);
	jb_raw(&b, d->feat.btf ? "\"btf\":true" : "\"btf\":false", d->feat.btf ? 10 : 11);
	jb_raw(&b, d->feat.bpf_lsm ? ",\"bpf_lsm\":true" : ",\"bpf_lsm\":false",
	       d->feat.bpf_lsm ? 15 : 16);
	jb_raw(&b, d->feat.tp_btf ? ",\"tp_btf\":true" : ",\"tp_btf\":false",
	       d->feat.tp_btf ? 14 : 15);
	jb_raw(&b, d->feat.trampolines ? ",\"trampolines\":true" : ",\"trampolines\":false",
	       d->feat.trampolines ? 19 : 20);
	jb_raw(&b, d->feat.ringbuf ? ",\"ringbuf\":true" : ",\"ringbuf\":false",
	       d->feat.ringbuf ? 15 : 16);
	b.first = 0;
	jb_str(&b, "cgroup2", d->feat.cgroup2);
	jb_close(&b);
	if (!b.oom)
		events_emit_user(d, "agent", b.s);
	jb_free(&b);
}

void events_emit_policy(struct sovd *d)
{
	struct jbuf b;
	char jd[1024];

	policy_jdata(d->img, jd, sizeof(jd));
	jb_init(&b);
	jb_str(&b, "sha256", d->img->sha256_hex);
	jb_u64(&b, "generation", d->generation);
	jb_str(&b, "path", d->img->path);
	jb_str(&b, "jdata", jd);
	if (!b.oom)
		events_emit_user(d, "policy", b.s);
	jb_free(&b);
}

const char *mode_name(enum sovd_mode m)
{
	return m == SOVD_MODE_LSM ? "lsm" : m == SOVD_MODE_TRACING ? "tracing" : "auto";
}

static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int events_init(struct sovd *d)
{
	d->boot_to_real_ns = now_ns(CLOCK_REALTIME) - now_ns(CLOCK_BOOTTIME);
	if (d->o.events && strcmp(d->o.events, "-")) {
		d->events_out = fopen(d->o.events, "ae");
		if (!d->events_out) {
			int err = -errno;

			pr_err("failed to open events file %s: %s", d->o.events, strerror(-err));
			return err;
		}
	} else {
		d->events_out = stdout;
	}
	return 0;
}

void events_close(struct sovd *d)
{
	if (d->events_out && d->events_out != stdout)
		fclose(d->events_out);
	else if (d->events_out)
		fflush(d->events_out);
	d->events_out = NULL;
}

/* RFC 3339, UTC, nanoseconds. */
static void fmt_time(int64_t wall_ns, char *buf, size_t len)
{
	time_t sec = wall_ns / 1000000000;
	struct tm tm;
	size_t n;

	gmtime_r(&sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%09lldZ", (long long)(wall_ns % 1000000000));
}

/* cgroup id -> path below the cgroup2 mount, cached. The id of a cgroup v2
 * directory is its inode number in cgroupfs. */
#define CG_CACHE 256
static struct { uint64_t id; char path[200]; } cg_cache[CG_CACHE];
static size_t cg_next;
static uint64_t cg_want;
static char cg_found[PATH_MAX];
static size_t cg_root_len;

static int cg_walk(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)f;
	if (type == FTW_D && (uint64_t)st->st_ino == cg_want) {
		snprintf(cg_found, sizeof(cg_found), "%s", path[cg_root_len] ? path + cg_root_len : "/");
		return FTW_STOP;
	}
	return FTW_CONTINUE;
}

static const char *cgroup_path(uint64_t id)
{
	const char *root = cgroup2_mount();
	size_t i;

	for (i = 0; i < CG_CACHE; i++)
		if (cg_cache[i].id == id)
			return cg_cache[i].path;
	if (!root)
		return "";
	cg_want = id;
	cg_root_len = strlen(root);
	cg_found[0] = '\0';
	nftw(root, cg_walk, 32, FTW_PHYS | FTW_ACTIONRETVAL);
	/* Misses are cached too (as ""): a dead container's id must not
	 * cost a walk of the whole tree on every event. */
	i = cg_next++ % CG_CACHE;
	cg_cache[i].id = id;
	snprintf(cg_cache[i].path, sizeof(cg_cache[i].path), "%s", cg_found);
	return cg_cache[i].path;
}

static void classes_array(struct sovd *d, struct jbuf *b, const char *key, uint64_t mask)
{
	int first = 1;

	jb_array_begin(b, key);
	for (size_t i = 0; d->img && i < d->img->n_classes; i++) {
		if (!(mask & (1ull << d->img->classes[i].bit)))
			continue;
		jb_array_str(b, d->img->classes[i].name, first);
		first = 0;
	}
	jb_array_end(b);
}

static void common(struct sovd *d, struct jbuf *b, const char *type, int64_t wall_ns,
		   uint32_t pid, uint32_t tid, const char *comm, size_t comm_len,
		   const char *cgroup, uint64_t classes)
{
	char ts[64];

	fmt_time(wall_ns, ts, sizeof(ts));
	jb_reset(b);
	jb_open(b);
	jb_str(b, "time", ts);
	jb_str(b, "type", type);
	jb_u64(b, "pid", pid);
	jb_u64(b, "tid", tid);
	jb_key(b, "comm");
	jb_strn(b, comm, comm_len);
	jb_str(b, "cgroup", cgroup);
	classes_array(d, b, "classes", classes);
}

static void emit_line(struct sovd *d, struct jbuf *b)
{
	jb_close(b);
	jb_raw(b, "\n", 1);
	if (b->oom)
		return;
	if (d->events_out)
		fwrite(b->s, 1, b->len, d->events_out);
	api_broadcast(d, b->s, b->len);
	d->events_seen++;
}

/* The file of a taint/derive event: the fd's path when it still names the
 * same inode, else the path the hook saw (made absolute with the cwd). */
static void file_path(const struct sov_event *e, char *out, size_t len)
{
	char link[64], cwd[PATH_MAX];
	struct stat st;
	ssize_t n;

	if ((int32_t)e->fd >= 0) {
		snprintf(link, sizeof(link), "/proc/%u/fd/%u", e->tgid, e->fd);
		n = readlink(link, out, len - 1);
		if (n > 0) {
			out[n] = '\0';
			if (out[0] == '/' && !stat(link, &st) &&
			    kdev_from_user(st.st_dev) == e->dev && st.st_ino == e->ino)
				return;
		}
	}
	if (e->path[0] == '/' || !e->path[0]) {
		snprintf(out, len, "%.*s", (int)sizeof(e->path), e->path);
		return;
	}
	/* A relative path: relative to openat's dirfd, or to the cwd. */
	if (e->dirfd == -100)
		snprintf(link, sizeof(link), "/proc/%u/cwd", e->tgid);
	else
		snprintf(link, sizeof(link), "/proc/%u/fd/%d", e->tgid, e->dirfd);
	n = e->dirfd == -1 ? -1 : readlink(link, cwd, sizeof(cwd) - 1);
	if (n <= 0 || cwd[0] != '/') {
		snprintf(out, len, "%.*s", (int)sizeof(e->path), e->path);
		return;
	}
	cwd[n] = '\0';
	if (snprintf(out, len, "%s/%.*s", cwd, (int)sizeof(e->path), e->path) >= (int)len)
		out[len - 1] = '\0';
}

static const char *verdict_name(uint32_t v)
{
	return v == SOV_VERDICT_DENY ? "deny" : v == SOV_VERDICT_AUDIT ? "audit" : "allow";
}

static const char *hook_name(uint32_t h)
{
	return h == SOV_HOOK_CONNECT ? "connect" : h == SOV_HOOK_SENDMSG ? "sendmsg" :
	       h == SOV_HOOK_SKB ? "skb" : "open";
}

int events_handle(void *ctx, void *data, size_t len)
{
	static struct jbuf b;
	struct sovd *d = ctx;
	const struct sov_event *e = data;
	struct sov_rec r = {};
	char path[PATH_MAX], dst[INET6_ADDRSTRLEN];
	const char *type, *cg;

	if (len < sizeof(*e))
		return 0;
	type = e->type == SOV_EV_TAINT ? "taint" : e->type == SOV_EV_DERIVE ? "derive" : "egress";
	cg = cgroup_path(e->cgroup_id);
	r.type = type;
	r.wall_ns = e->ts_boot_ns + d->boot_to_real_ns;
	r.boot_ns = e->ts_boot_ns;
	r.pid = e->tgid;
	r.tid = e->pid;
	r.uid = e->uid;
	snprintf(r.comm, sizeof(r.comm), "%.*s", (int)sizeof(e->comm), e->comm);
	r.cgroup = cg;
	r.classes = e->classes;

	common(d, &b, type, r.wall_ns, e->tgid, e->pid, e->comm, sizeof(e->comm), cg, e->classes);
	if (e->type == SOV_EV_TAINT || e->type == SOV_EV_DERIVE) {
		file_path(e, path, sizeof(path));
		jb_str(&b, "path", path);
		jb_u64(&b, "dev", e->dev);
		jb_u64(&b, "ino", e->ino);
		r.path = path;
		r.dev = e->dev;
		r.ino = e->ino;
		r.has_object = 1;
	} else {
		inet_ntop(e->family == 2 ? AF_INET : AF_INET6, e->daddr, dst, sizeof(dst));
		jb_str(&b, "verdict", verdict_name(e->verdict));
		jb_str(&b, "proto", e->proto == 17 ? "udp" : e->proto == 6 ? "tcp" : "other");
		jb_str(&b, "dst", dst);
		jb_u64(&b, "dport", e->dport);
		jb_str(&b, "zone", d->img ? sov_policy_zone_name(d->img, e->zone) : "unknown");
		classes_array(d, &b, "violated", e->violated);
		jb_str(&b, "hook", hook_name(e->hook));
		r.verdict = verdict_name(e->verdict);
		r.proto = e->proto == 17 ? "udp" : e->proto == 6 ? "tcp" : "other";
		r.dst = dst;
		r.dport = e->dport;
		r.zone = d->img ? sov_policy_zone_name(d->img, e->zone) : "unknown";
		r.violated = e->violated;
		r.has_dst = 1;
	}
	emit_line(d, &b);
	record_journal(d, &r);
	return 0;
}

static void self_common(struct sovd *d, struct jbuf *b, const char *type, struct sov_rec *r)
{
	static char self_cg[512];
	char comm[16] = "sovd";

	if (!self_cg[0]) {
		char line[512];
		FILE *f = fopen("/proc/self/cgroup", "re");

		snprintf(self_cg, sizeof(self_cg), "/");
		while (f && fgets(line, sizeof(line), f)) {
			if (!strncmp(line, "0::", 3)) {
				line[strcspn(line, "\n")] = '\0';
				snprintf(self_cg, sizeof(self_cg), "%s", line + 3);
			}
		}
		if (f)
			fclose(f);
	}
	r->type = type;
	r->wall_ns = now_ns(CLOCK_REALTIME);
	r->boot_ns = now_ns(CLOCK_BOOTTIME);
	r->pid = r->tid = getpid();
	r->uid = getuid();
	snprintf(r->comm, sizeof(r->comm), "%s", comm);
	r->cgroup = self_cg;
	common(d, b, type, r->wall_ns, getpid(), getpid(), comm, sizeof(comm), self_cg, 0);
}

void events_emit_user(struct sovd *d, const char *type, const char *body)
{
	static struct jbuf b, detail;
	struct sov_rec r = {};

	self_common(d, &b, type, &r);
	if (body && body[0]) {
		jb_raw(&b, ",", 1);
		jb_raw(&b, body, strlen(body));
	}
	/* The journal keeps the event's own fields as one JSON object. */
	jb_reset(&detail);
	jb_open(&detail);
	if (body)
		jb_raw(&detail, body, strlen(body));
	jb_close(&detail);
	r.detail = detail.oom ? body : detail.s;
	emit_line(d, &b);
	if (d->events_out)
		fflush(d->events_out);
	record_journal(d, &r);
}

void events_emit_taint_user(struct sovd *d, pid_t pid, uint64_t classes,
			    const char *path, uint64_t dev, uint64_t ino)
{
	static struct jbuf b;
	struct sov_rec r = {};
	char comm[32] = "", cpath[64], cg[512] = "/", line[512];
	FILE *f;

	snprintf(cpath, sizeof(cpath), "/proc/%d/comm", pid);
	f = fopen(cpath, "re");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	snprintf(cpath, sizeof(cpath), "/proc/%d/cgroup", pid);
	f = fopen(cpath, "re");
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(cg, sizeof(cg), "%s", line + 3);
		}
	}
	if (f)
		fclose(f);
	r.type = "taint";
	r.wall_ns = now_ns(CLOCK_REALTIME);
	r.boot_ns = now_ns(CLOCK_BOOTTIME);
	r.pid = r.tid = pid;
	snprintf(r.comm, sizeof(r.comm), "%s", comm);
	r.cgroup = cg;
	r.classes = classes;
	r.path = path;
	r.dev = dev;
	r.ino = ino;
	r.has_object = 1;
	common(d, &b, "taint", r.wall_ns, pid, pid, comm, sizeof(comm), cg, classes);
	jb_str(&b, "path", path);
	jb_u64(&b, "dev", dev);
	jb_u64(&b, "ino", ino);
	emit_line(d, &b);
	record_journal(d, &r);
}

/* Kernel events dropped because the ring buffer was full are never silent:
 * each increase of the counter becomes a loss event and a journal record. */
void events_check_loss(struct sovd *d)
{
	struct sov_counters c;
	char body[128];

	if (loader_read_counters(d, &c))
		return;
	if (c.c[SOV_CNT_LOST] <= d->lost_reported)
		return;
	snprintf(body, sizeof(body), "\"lost\":%llu,\"total\":%llu",
		 (unsigned long long)(c.c[SOV_CNT_LOST] - d->lost_reported),
		 (unsigned long long)c.c[SOV_CNT_LOST]);
	d->lost_reported = c.c[SOV_CNT_LOST];
	pr_warn("kernel events lost: %s", body);
	events_emit_user(d, "loss", body);
}
