// SPDX-License-Identifier: Apache-2.0
/*
 * The event pipeline (pipeline.h): struct sov_event and sovd's own events
 * into struct sovd_event, once, then to every registered sink.
 *
 * Calls: host.c, log.c, devices.c (held RDMA devices), lineage.c (the
 * sources of derives), policy/ (zone names). Called by main.c (ring buffer, agent events, loss), lifecycle.c
 * (policy events), taint.c (start-up taint). Sinks are reached only through the table.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include "agent/devices.h"
#include "agent/host.h"
#include "agent/lineage.h"
#include "agent/log.h"
#include "agent/mapscan.h"
#include "agent/ndjson.h"
#include "agent/pipeline.h"
#include "policy/policy.h"

void pipeline_init(struct pipeline *p)
{
	memset(p, 0, sizeof(*p));
	p->boot_to_real_ns = host_now_ns(CLOCK_REALTIME) - host_now_ns(CLOCK_BOOTTIME);
}

int pipeline_add_sink(struct pipeline *p, const struct sovd_sink *s)
{
	if (p->n_sinks >= PIPELINE_MAX_SINKS)
		return -E2BIG;
	p->sinks[p->n_sinks++] = *s;
	return 0;
}

void pipeline_set_policy(struct pipeline *p, const struct sovd_policy_view *v)
{
	p->policy = v;
}

static void dispatch(struct pipeline *p, struct sovd_event *ev)
{
	const char *sources;

	ev->policy = p->policy;
	ev->host = host_name();
	/* a taint joins its process's sources; a derive gets them (lineage.h) */
	sources = ev->has_object ? lineage_event(p->maps, ev) : NULL;
	if (sources)
		ev->body = sources;
	for (size_t i = 0; i < p->n_sinks; i++)
		p->sinks[i].emit(p->sinks[i].ctx, ev);
}

void pipeline_flush(struct pipeline *p)
{
	for (size_t i = 0; i < p->n_sinks; i++)
		if (p->sinks[i].flush)
			p->sinks[i].flush(p->sinks[i].ctx);
}

/* The kernel's device number of pipefs (kind 0) or sockfs (1), learnt once
 * from a pipe and a socket of our own; 0 when unknown. */
static uint64_t pseudo_dev(int kind)
{
	static uint64_t dev[2];
	static int known;
	struct stat st;
	int fds[2];

	if (!known) {
		known = 1;
		if (!pipe(fds)) {
			if (!fstat(fds[0], &st))
				dev[0] = kdev_from_user(st.st_dev);
			close(fds[0]);
			close(fds[1]);
		}
		fds[0] = socket(AF_UNIX, SOCK_DGRAM, 0);
		if (fds[0] >= 0) {
			if (!fstat(fds[0], &st))
				dev[1] = kdev_from_user(st.st_dev);
			close(fds[0]);
		}
	}
	return dev[kind];
}

/* The file of a taint/derive event: the fd's path when it still names the
 * same inode, else the path the hook saw (made absolute with the cwd). A
 * taint by data read from a pipe or socket (issue 11): the fd's link, or
 * when the fd is gone, "pipe:[N]"/"socket:[N]" as /proc writes them (a
 * FIFO on a filesystem then gives "", its dev and ino name it). */
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
			/* data read from a pipe or socket (issue 11): the fd's
			 * link names it ("pipe:[N]", "socket:[N]", a FIFO's path) */
			if (e->hook == SOV_HOOK_IPC || e->hook == SOV_HOOK_URING)
				return;
			if (out[0] == '/' && !stat(link, &st) &&
			    kdev_from_user(st.st_dev) == e->dev && st.st_ino == e->ino)
				return;
		}
	}
	if (e->hook == SOV_HOOK_IPC && e->dev && (e->dev == pseudo_dev(0) || e->dev == pseudo_dev(1))) {
		snprintf(out, len, "%s:[%llu]", e->dev == pseudo_dev(0) ? "pipe" : "socket",
			 (unsigned long long)e->ino);
		return;
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
	       h == SOV_HOOK_SKB ? "skb" : h == SOV_HOOK_SOCKET ? "socket" :
	       h == SOV_HOOK_SEND ? "send" : h == SOV_HOOK_DEVICE ? "device" :
	       h == SOV_HOOK_IPC ? "ipc" : h == SOV_HOOK_URING ? "io_uring" : "open";
}

/* The egress event's proto: the channel's name for a socket that is not
 * judged by destination, else the transport. */
static const char *proto_name(const struct sov_event *e)
{
	switch (e->channel) {
	case SOV_CHAN_RAW:
		return "raw";
	case SOV_CHAN_PING:
		return e->family == AF_INET6 ? "icmpv6" : "icmp";
	case SOV_CHAN_PACKET:
		return "packet";
	case SOV_CHAN_XDP:
		return "xdp";
	case SOV_CHAN_RDMA:
		return "rdma";
	case SOV_CHAN_OTHER:
		if (e->family != AF_INET && e->family != AF_INET6)
			return e->family == AF_VSOCK ? "vsock" : e->family == AF_TIPC ? "tipc" :
			       e->family == AF_RDS ? "rds" : e->family == 43 ? "smc" :
			       e->family == AF_KCM ? "kcm" : "other";
		return e->proto == IPPROTO_SCTP ? "sctp" : e->proto == IPPROTO_UDPLITE ? "udplite" :
		       e->proto == 262 ? "mptcp" : "other";
	}
	return e->proto == 17 ? "udp" : e->proto == 6 ? "tcp" : "other";
}

static int addr_is_zero(const uint8_t a[16])
{
	for (int i = 0; i < 16; i++)
		if (a[i])
			return 0;
	return 1;
}

/*
 * Tracing path: RDMA devices the newly tainted process already holds. No
 * hook of that path sees their commands (cgroup/dev judges opens), so the
 * use is not refused: reported as an audit of the rdma channel, like an
 * AF_PACKET socket there. Read from /proc after the event: a process that
 * closed the device or exited meanwhile is not reported.
 */
static void report_held_rdma(struct pipeline *p, const struct sovd_event *taint)
{
	uint32_t devs[8];
	uint64_t allowed = 0, violated;
	size_t n;

	/* the classes whose channels: allows rdma (rules.h sov_channel_rule()) */
	if (p->policy && p->policy->img)
		allowed = p->policy->img->chan_allowed[SOV_CHAN_RDMA];
	violated = taint->classes & ~allowed;
	if (!violated)
		return;
	n = rdma_held_devs(taint->pid, devs, 8);

	for (size_t i = 0; i < n; i++) {
		struct sovd_event ev = *taint;

		ev.type = "egress";
		ev.line = NULL;
		ev.line_len = 0;
		ev.has_seq = 0;
		ev.seq = 0;
		ev.has_object = 0;
		ev.dev = ev.ino = 0;
		ev.path = NULL;
		ev.has_dst = 1;
		ev.verdict = "audit";
		ev.proto = "rdma";
		ev.dst = "";
		ev.dport = 0;
		ev.zone = "unknown";
		ev.violated = violated;
		ev.hook = "device";
		ev.has_device = 1;
		ev.device = devs[i];
		dispatch(p, &ev);
	}
}

/* The process a kernel event names: times, ids, comm, exe, cgroup. */
static void kernel_actor(const struct pipeline *p, const struct sov_event *e,
			 struct sovd_event *ev)
{
	ev->wall_ns = e->ts_boot_ns + p->boot_to_real_ns;
	ev->boot_ns = e->ts_boot_ns;
	ev->pid = e->tgid;
	ev->tid = e->pid;
	ev->uid = e->uid;
	snprintf(ev->comm, sizeof(ev->comm), "%.*s", (int)sizeof(e->comm), e->comm);
	/* a process tainted through process_vm_writev: the kernel knew only
	 * its number (bpf/procmem.bpf.h) */
	if (!ev->comm[0])
		proc_comm((pid_t)e->tgid, ev->comm, sizeof(ev->comm));
	ev->exe = proc_exe(e->tgid, ev->boot_ns);
	ev->cgroup = cgroup_path(e->cgroup_id);
}

/*
 * A refused attempt on sovd itself (LSM path, bpf/selfprot.bpf.h): the
 * process that tried, what it tried, on what. Journaled like every event.
 */
static int tamper_event(struct pipeline *p, const struct sov_event *e)
{
	static const char *const what[] = {
		[SOV_HOOK_SELF_MAP] = "map-write", [SOV_HOOK_SELF_LINK] = "link-detach",
		[SOV_HOOK_SELF_PIN] = "pin-change", [SOV_HOOK_SELF_JOURNAL] = "journal-write",
	};
	struct sovd_event ev = {};
	char body[512], name[sizeof(e->path) + 1];
	const char *w = e->hook < sizeof(what) / sizeof(what[0]) && what[e->hook] ?
			what[e->hook] : "unknown";
	size_t j = 0;

	/* the object's name, kept to characters that need no JSON escape */
	for (size_t i = 0; i < sizeof(e->path) && e->path[i]; i++)
		if (e->path[i] >= 0x20 && e->path[i] < 0x7f && e->path[i] != '"' &&
		    e->path[i] != '\\')
			name[j++] = e->path[i];
	name[j] = '\0';
	snprintf(body, sizeof(body),
		 "\"action\":\"%s\",\"object\":\"%s\",\"id\":%llu,\"dev\":%llu,\"refused\":true",
		 w, name, (unsigned long long)e->ino, (unsigned long long)e->dev);
	ev.type = "tamper";
	kernel_actor(p, e, &ev);
	ev.body = body;
	dispatch(p, &ev);
	pipeline_flush(p);
	return 0;
}

int pipeline_kernel_event(void *ctx, void *data, size_t len)
{
	struct pipeline *p = ctx;
	const struct sov_event *e = data;
	struct sovd_event ev = {};
	char path[PATH_MAX], dst[INET6_ADDRSTRLEN];
	struct sov_event whole;

	if (len < SOV_EVENT_SMALL)
		return 0;
	/* an egress event without its path (abi.h SOV_EVENT_SMALL) */
	if (len < sizeof(*e)) {
		memcpy(&whole, data, len);
		memset((char *)&whole + len, 0, sizeof(whole) - len);
		e = &whole;
	}
	if (e->type == SOV_EV_TAMPER)
		return tamper_event(p, e);
	ev.type = e->type == SOV_EV_TAINT ? "taint" : e->type == SOV_EV_DERIVE ? "derive" : "egress";
	kernel_actor(p, e, &ev);
	ev.classes = e->classes;
	if (e->type == SOV_EV_TAINT || e->type == SOV_EV_DERIVE) {
		file_path(e, path, sizeof(path));
		ev.has_object = 1;
		ev.path = path;
		ev.dev = e->dev;
		ev.ino = e->ino;
	} else {
		/* A channel refused at creation (or a send without an address)
		 * has no destination. */
		if (e->channel != SOV_CHAN_NONE && addr_is_zero(e->daddr))
			dst[0] = '\0';
		else
			inet_ntop(e->family == 2 ? AF_INET : AF_INET6, e->daddr, dst, sizeof(dst));
		ev.has_dst = 1;
		ev.verdict = verdict_name(e->verdict);
		ev.proto = proto_name(e);
		if (e->channel == SOV_CHAN_RDMA) {
			ev.has_device = 1;
			ev.device = (uint32_t)e->dev;
		} else if (e->channel != SOV_CHAN_NONE) {
			ev.has_channel = 1;
			ev.sock_family = e->family;
			ev.sock_type = e->sotype;
			ev.sock_protocol = e->proto;
		}
		ev.dst = dst;
		ev.dport = e->dport;
		ev.zone = p->policy && p->policy->img ?
			  sov_policy_zone_name(p->policy->img, e->zone) : "unknown";
		ev.violated = e->violated;
		ev.hook = hook_name(e->hook);
	}
	dispatch(p, &ev);
	if (p->report_held_rdma && e->type == SOV_EV_TAINT)
		report_held_rdma(p, &ev);
	/* shared writable mappings made before the taint (mapscan.h) */
	if (p->maps && e->type == SOV_EV_TAINT)
		mapscan_derive(p->maps, p, (pid_t)e->tgid, e->classes);
	/* fds beyond the 5.10 build's bounded walk (docs/kernels.md) */
	if (p->maps && p->scan_fds && e->type == SOV_EV_TAINT)
		mapscan_derive_fds(p->maps, p, (pid_t)e->tgid, e->classes);
	return 0;
}

void pipeline_emit_flow(struct pipeline *p, const struct sov_flow_key *k,
			const struct sov_flow *v, uint64_t count, uint64_t first_ns,
			uint64_t last_ns, int named)
{
	struct sov_event e = {};
	struct sovd_event ev = {};
	char body[192], t0[64], t1[64];

	/* the actor as the key's first flow recorded it, at the window's end */
	e.ts_boot_ns = last_ns;
	e.tgid = e.pid = k->tgid;
	e.uid = v->uid;
	e.cgroup_id = v->cgroup_id;
	memcpy(e.comm, v->comm, sizeof(e.comm));
	e.proto = k->proto;
	ev.type = "egress";
	kernel_actor(p, &e, &ev);
	ev.classes = k->classes;
	ev.has_dst = 1;
	ev.verdict = "allow";
	ev.proto = proto_name(&e);
	ev.dst = "";
	ev.dport = 0;
	/* a key of a policy no longer in force (only after a crash of an
	 * earlier sovd): its zone ids are not this policy's */
	ev.zone = named && p->policy && p->policy->img ?
		  sov_policy_zone_name(p->policy->img, k->zone) : "unknown";
	ev.hook = hook_name(k->hook);
	ev.has_agg = 1;
	ev.agg_count = count;
	ev.agg_first_wall_ns = (int64_t)first_ns + p->boot_to_real_ns;
	ev.agg_last_wall_ns = (int64_t)last_ns + p->boot_to_real_ns;
	/* rendered once, as an own event's fields: after the egress fields
	 * in the line, the record's detail in the journal */
	ndjson_time(ev.agg_first_wall_ns, t0, sizeof(t0));
	ndjson_time(ev.agg_last_wall_ns, t1, sizeof(t1));
	snprintf(body, sizeof(body), "\"count\":%llu,\"first\":\"%s\",\"last\":\"%s\"",
		 (unsigned long long)count, t0, t1);
	ev.body = body;
	dispatch(p, &ev);
}

void pipeline_emit_own(struct pipeline *p, const char *type, const char *body)
{
	static char self_cg[512], self_exe[PATH_MAX];
	struct sovd_event ev = {};
	ssize_t n;

	if (!self_cg[0]) {
		proc_cgroup(0, self_cg, sizeof(self_cg));
		n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
		self_exe[n > 0 ? n : 0] = '\0';
	}
	ev.type = type;
	ev.wall_ns = host_now_ns(CLOCK_REALTIME);
	ev.boot_ns = host_now_ns(CLOCK_BOOTTIME);
	ev.pid = ev.tid = getpid();
	ev.uid = getuid();
	snprintf(ev.comm, sizeof(ev.comm), "sovd");
	ev.exe = self_exe;
	ev.cgroup = self_cg;
	ev.body = body ? body : "";
	dispatch(p, &ev);
	/* sovd's own events are rare and matter: out at once. */
	pipeline_flush(p);
}

void pipeline_emit_file_user(struct pipeline *p, const char *type, pid_t pid,
			     uint64_t classes, const char *path, uint64_t dev, uint64_t ino)
{
	struct sovd_event ev = {};
	char cg[512];

	proc_comm(pid, ev.comm, sizeof(ev.comm));
	proc_cgroup(pid, cg, sizeof(cg));
	ev.type = type;
	ev.wall_ns = host_now_ns(CLOCK_REALTIME);
	ev.boot_ns = host_now_ns(CLOCK_BOOTTIME);
	ev.pid = ev.tid = pid;
	ev.uid = proc_uid(pid);
	ev.exe = proc_exe(pid, ev.boot_ns);
	ev.cgroup = cg;
	ev.classes = classes;
	ev.has_object = 1;
	ev.path = path;
	ev.dev = dev;
	ev.ino = ino;
	dispatch(p, &ev);
}

void pipeline_emit_taint_user(struct pipeline *p, pid_t pid, uint64_t classes,
			      const char *path, uint64_t dev, uint64_t ino)
{
	pipeline_emit_file_user(p, "taint", pid, classes, path, dev, ino);
}

void pipeline_check_loss(struct pipeline *p, uint64_t lost_total)
{
	char body[128];

	if (lost_total <= p->lost_reported)
		return;
	snprintf(body, sizeof(body), "\"lost\":%llu,\"total\":%llu",
		 (unsigned long long)(lost_total - p->lost_reported),
		 (unsigned long long)lost_total);
	p->lost_reported = lost_total;
	pr_warn("kernel events lost: %s", body);
	pipeline_emit_own(p, "loss", body);
}
