// SPDX-License-Identifier: Apache-2.0
/*
 * sovd: options, start-up order, the sink table and the event loop. Start-up
 * order matters:
 *  1. compile the policy (exit 1 on errors: nothing is touched);
 *  2. probe the kernel and choose a kernel path (exit 2 with cause and fix);
 *  3. walk the labelled paths (sizes the label map);
 *  4. load (reusing pinned maps), write policy and labels, attach, pin;
 *  5. taint processes that already hold labelled files;
 *  6. say "start" (and READY=1 to systemd: notify.h) and serve events until
 *     SIGTERM/SIGINT (SIGHUP reloads).
 *
 * main owns every module's state and hands each only what it needs. It may
 * call every module; no module calls main.
 */
#include <errno.h>
#include <malloc.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <bpf/libbpf.h>
#include "agent/api.h"
#include "agent/events_file.h"
#include "agent/devices.h"
#include "agent/features.h"
#include "agent/flows.h"
#include "agent/host.h"
#include "agent/jbuf.h"
#include "agent/journal_glue.h"
#include "agent/kpath.h"
#include "agent/label_gc.h"
#include "agent/label_watch.h"
#include "agent/labels.h"
#include "agent/lifecycle.h"
#include "agent/lineage.h"
#include "agent/log.h"
#include "agent/metrics.h"
#include "agent/notify.h"
#include "agent/pipeline.h"
#include "agent/policy_maps.h"
#include "agent/selfaudit.h"
#include "agent/selfprot.h"
#include "agent/syslog_out.h"
#include "agent/taint.h"
#include "policy/policy.h"
#include "sov_version.h"

struct sovd_opts {
	const char *policy;
	const char *journal;	/* NULL: default; "none": no journal */
	const char *key;
	const char *socket;
	const char *pin_dir;
	const char *events;	/* NULL: stdout */
	uint64_t events_max_size;	/* --events-max-size; 0: no rotation */
	unsigned events_keep;		/* --events-keep */
	struct syslog_out syslog[SYSLOG_MAX_TARGETS];	/* --syslog (issue 16) */
	unsigned n_syslog;
	const char *syslog_ca;		/* --syslog-ca, for every tls:// target */
	int syslog_facility;
	uint64_t syslog_buffer;
	const char *locdb;
	const char *metrics;
	enum sovd_kpath kpath;
	uint64_t ringbuf_size;
	uint32_t max_procs;
	int unlock;		/* --unlock: no self-protection (upgrades) */
	uint32_t max_labels;
	unsigned audit_interval;	/* seconds between self-audits */
	int probe_only;
	int bpf_build;		/* --bpf-build: -1 auto, 0 current, 1 the 5.10 build */
	int sc_hooks;		/* --syscall-hooks: SOVD_SC_AUTO, _RAW, _TRACEPOINTS */
	struct journal_retain retain;	/* --retain, --retain-unexported */
	uint32_t watch_ring;	/* --watch-ring: events kept for watch --since */
};

static void usage(FILE *o)
{
	fprintf(o,
"usage: sovd --policy FILE [--journal DIR|none] [--key FILE] [--socket PATH]\n"
"            [--metrics ADDR:PORT] [--pin-dir DIR] [--kernel-path auto|lsm|tracing]\n"
"            [--events FILE] [--events-max-size SIZE] [--events-keep N]\n"
"            [--syslog local|unix:PATH|tcp://HOST:PORT|tls://HOST:PORT]\n"
"            [--syslog-ca FILE] [--syslog-facility F] [--syslog-buffer SIZE]\n"
"            [--ringbuf-size BYTES] [--max-procs N]\n"
"            [--max-labels N] [--locdb FILE] [--audit-interval SECONDS]\n"
"            [--bpf-build auto|current|5.10] [--syscall-hooks auto|raw|tracepoints]\n"
"            [--retain AGE|SIZE] [--retain-unexported] [--watch-ring N] [--verbose]\n"
"       sovd --probe [--kernel-path auto|lsm|tracing] [--bpf-build B] [--syscall-hooks H]\n"
"       sovd --help | --version\n"
"\n"
"  --kernel-path P  the kernel programs to enforce with: lsm, tracing, or auto\n"
"                   (LSM where it runs); --mode is its old name, still accepted\n"
"  --bpf-build B    which build of those programs: current (Linux 5.17 and\n"
"                   later), 5.10, or auto (5.10 where bpf_loop() is missing)\n"
"  --syscall-hooks H  where the syscall programs attach: raw (sys_enter and\n"
"                   sys_exit: every syscall runs them), tracepoints (one per\n"
"                   syscall they decode; blind to ia32 and x32 syscalls), or\n"
"                   auto (tracepoints where no ia32 or x32 syscall runs);\n"
"                   default auto\n"
"  --metrics A:P    serve Prometheus metrics on IP address A, TCP port P\n"
"  --events-max-size SIZE  rotate the events file before it passes SIZE (100M)\n"
"  --events-keep N  rotated events files kept, FILE.1 (newest) .. FILE.N (default 5)\n"
"  --syslog S       each event also as an RFC 5424 message: local (/dev/log),\n"
"                   unix:PATH, tcp://HOST:PORT or tls://HOST:PORT (up to 4)\n"
"  --syslog-ca FILE  the CA certificates that check a tls:// collector\n"
"                   (default: the system's)\n"
"  --syslog-facility F  daemon (default), auth, authpriv, user, local0..local7\n"
"  --syslog-buffer SIZE  messages waiting for the collector (default 4M);\n"
"                   beyond it they are dropped and counted (a loss event)\n"
"  --audit-interval S  check sovd's links, programs and policy maps every S\n"
"                   seconds (1..3600, default 5)\n"
"  --retain R       prune sealed journal segments older than R (30d, 12h, 90m)\n"
"                   or the oldest while the journal takes more than R (10G,\n"
"                   512M), once `sovctl journal export` has covered them\n"
"  --retain-unexported  prune them even if no export covers them\n"
"  --watch-ring N   keep the last N events for `sovctl watch --since`\n"
"                   (0..1048576, default 1024; 0: no replay)\n"
"  --unlock         leave sovd's maps, links, pins and journal unprotected\n"
"                   (LSM path; for an upgrade or maintenance)\n");
}

enum {
	OPT_RINGBUF = 256, OPT_MAXPROCS, OPT_MAXLABELS, OPT_LOCDB, OPT_PROBE, OPT_METRICS,
	OPT_VERSION, OPT_AUDIT, OPT_UNLOCK, OPT_BPF_BUILD, OPT_SC_HOOKS, OPT_RETAIN,
	OPT_RETAIN_UNEXPORTED, OPT_WATCH_RING, OPT_EV_MAX, OPT_EV_KEEP, OPT_SYSLOG, OPT_SYSLOG_CA,
	OPT_SYSLOG_FAC, OPT_SYSLOG_BUF,
};

/* A whole number and nothing else: "8192junk" must not pass as 8192. */
static int parse_num(const char *s, unsigned long long *v)
{
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end ? -EINVAL : 0;
}

/* 0: go on; 1: done, exit 0 (--help, --version); <0: usage error, exit 2. */
static int parse_opts(struct sovd_opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "journal", required_argument, NULL, 'j' },
		{ "key", required_argument, NULL, 'k' },
		{ "socket", required_argument, NULL, 's' },
		{ "pin-dir", required_argument, NULL, 'P' },
		{ "kernel-path", required_argument, NULL, 'm' },
		{ "mode", required_argument, NULL, 'm' },	/* the old name */
		{ "events", required_argument, NULL, 'e' },
		{ "metrics", required_argument, NULL, OPT_METRICS },
		{ "ringbuf-size", required_argument, NULL, OPT_RINGBUF },
		{ "max-procs", required_argument, NULL, OPT_MAXPROCS },
		{ "max-labels", required_argument, NULL, OPT_MAXLABELS },
		{ "locdb", required_argument, NULL, OPT_LOCDB },
		{ "probe", no_argument, NULL, OPT_PROBE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "audit-interval", required_argument, NULL, OPT_AUDIT },
		{ "unlock", no_argument, NULL, OPT_UNLOCK },
		{ "bpf-build", required_argument, NULL, OPT_BPF_BUILD },
		{ "syscall-hooks", required_argument, NULL, OPT_SC_HOOKS },
		{ "retain", required_argument, NULL, OPT_RETAIN },
		{ "retain-unexported", no_argument, NULL, OPT_RETAIN_UNEXPORTED },
		{ "watch-ring", required_argument, NULL, OPT_WATCH_RING },
		{ "events-max-size", required_argument, NULL, OPT_EV_MAX },
		{ "events-keep", required_argument, NULL, OPT_EV_KEEP },
		{ "syslog", required_argument, NULL, OPT_SYSLOG },
		{ "syslog-ca", required_argument, NULL, OPT_SYSLOG_CA },
		{ "syslog-facility", required_argument, NULL, OPT_SYSLOG_FAC },
		{ "syslog-buffer", required_argument, NULL, OPT_SYSLOG_BUF },
		{}
	};
	struct sockaddr_storage ss;
	socklen_t sl;
	char why[256];
	int c, tls = 0;

	o->socket = "/run/sovd/sovd.sock";
	o->pin_dir = "/sys/fs/bpf/sovd";
	/* 2 MiB: ~15,400 egress events of 128 bytes (more than the 4 MiB of
	 * fixed 384-byte events held), at half the RSS (docs/performance.md) */
	o->ringbuf_size = 2 << 20;
	o->audit_interval = 5;
	o->bpf_build = -1;
	/* auto: the per-syscall tracepoints where nothing bypasses them (no
	 * ia32 or x32 syscall runs), raw sys_enter/sys_exit elsewhere
	 * (docs/kernels.md, "Where the syscall programs attach") */
	o->sc_hooks = SOVD_SC_AUTO;
	o->watch_ring = WATCH_RING_DEFAULT;
	o->events_keep = 5;
	o->syslog_facility = 3;	/* daemon */
	while ((c = getopt_long(argc, argv, "p:j:k:s:P:m:e:vh", lo, NULL)) != -1) {
		switch (c) {
		case 'p': o->policy = optarg; break;
		case 'j': o->journal = optarg; break;
		case 'k': o->key = optarg; break;
		case OPT_UNLOCK: o->unlock = 1; break;
		case 's': o->socket = optarg; break;
		case 'P': o->pin_dir = optarg; break;
		case 'e': o->events = optarg; break;
		case OPT_LOCDB: o->locdb = optarg; break;
		case OPT_PROBE: o->probe_only = 1; break;
		case 'v': log_threshold = LOG_DEBUG; break;
		case OPT_METRICS:
			/* Checked now: a typo must not bind some other port. */
			if (metrics_parse_addr(optarg, &ss, &sl, why, sizeof(why))) {
				fprintf(stderr, "sovd: %s\n", why);
				return -EINVAL;
			}
			o->metrics = optarg;
			break;
		case OPT_BPF_BUILD:
			if (!strcmp(optarg, "auto"))
				o->bpf_build = -1;
			else if (!strcmp(optarg, "current"))
				o->bpf_build = 0;
			else if (!strcmp(optarg, "5.10"))
				o->bpf_build = 1;
			else {
				fprintf(stderr, "sovd: --bpf-build must be auto, current or 5.10\n");
				return -EINVAL;
			}
			break;
		case OPT_SC_HOOKS:
			if (!strcmp(optarg, "auto"))
				o->sc_hooks = SOVD_SC_AUTO;
			else if (!strcmp(optarg, "raw"))
				o->sc_hooks = SOVD_SC_RAW;
			else if (!strcmp(optarg, "tracepoints"))
				o->sc_hooks = SOVD_SC_TRACEPOINTS;
			else {
				fprintf(stderr, "sovd: --syscall-hooks must be auto, raw or tracepoints\n");
				return -EINVAL;
			}
			break;
		case 'm':
			if (!strcmp(optarg, "auto"))
				o->kpath = SOVD_KPATH_AUTO;
			else if (!strcmp(optarg, "lsm"))
				o->kpath = SOVD_KPATH_LSM;
			else if (!strcmp(optarg, "tracing"))
				o->kpath = SOVD_KPATH_TRACING;
			else {
				fprintf(stderr, "sovd: --kernel-path must be auto, lsm or tracing\n");
				return -EINVAL;
			}
			break;
		case OPT_RINGBUF: {
			unsigned long long v;

			/* A ring buffer is a power-of-two number of pages. */
			if (parse_num(optarg, &v) || v < 4096 || (v & (v - 1)) || v > (1ull << 32)) {
				fprintf(stderr, "sovd: --ringbuf-size must be a power of two >= 4096\n");
				return -EINVAL;
			}
			o->ringbuf_size = v;
			break;
		}
		case OPT_MAXPROCS:
		case OPT_MAXLABELS: {
			unsigned long long v;

			if (parse_num(optarg, &v) || !v || v > (1ul << 26)) {
				fprintf(stderr, "sovd: --max-procs and --max-labels take 1..%lu\n", 1ul << 26);
				return -EINVAL;
			}
			if (c == OPT_MAXPROCS)
				o->max_procs = v;
			else
				o->max_labels = v;
			break;
		}
		case OPT_AUDIT: {
			unsigned long long v;

			if (parse_num(optarg, &v) || !v || v > 3600) {
				fprintf(stderr, "sovd: --audit-interval takes 1..3600 seconds\n");
				return -EINVAL;
			}
			o->audit_interval = v;
			break;
		}
		case OPT_RETAIN:
			if (journal_glue_parse_retain(optarg, &o->retain)) {
				fprintf(stderr, "sovd: --retain takes an age (30d, 12h, 90m, 3600s, 2w) or a size (10G, 512M, 64K, bytes)\n");
				return -EINVAL;
			}
			break;
		case OPT_RETAIN_UNEXPORTED: o->retain.force = 1; break;
		case OPT_WATCH_RING: {
			unsigned long long v;

			if (parse_num(optarg, &v) || v > WATCH_RING_MAX) {
				fprintf(stderr, "sovd: --watch-ring takes 0..%u events\n", WATCH_RING_MAX);
				return -EINVAL;
			}
			o->watch_ring = v;
			break;
		}
		case OPT_EV_MAX:
			if (events_file_parse_size(optarg, &o->events_max_size)) {
				fprintf(stderr, "sovd: --events-max-size takes a size (100M, 1G, 64K, bytes)\n");
				return -EINVAL;
			}
			break;
		case OPT_EV_KEEP: {
			unsigned long long v;

			if (parse_num(optarg, &v) || v > EVENTS_KEEP_MAX) {
				fprintf(stderr, "sovd: --events-keep takes 0..%d\n", EVENTS_KEEP_MAX);
				return -EINVAL;
			}
			o->events_keep = v;
			break;
		}
		case OPT_SYSLOG:
			if (o->n_syslog == SYSLOG_MAX_TARGETS) {
				fprintf(stderr, "sovd: --syslog at most %d times\n", SYSLOG_MAX_TARGETS);
				return -EINVAL;
			}
			if (syslog_out_parse(&o->syslog[o->n_syslog++], optarg, why, sizeof(why))) {
				fprintf(stderr, "sovd: %s\n", why);
				return -EINVAL;
			}
			break;
		case OPT_SYSLOG_CA: o->syslog_ca = optarg; break;
		case OPT_SYSLOG_FAC:
			o->syslog_facility = syslog_out_facility(optarg);
			if (o->syslog_facility < 0) {
				fprintf(stderr, "sovd: --syslog-facility takes daemon, auth, authpriv, user or local0..local7\n");
				return -EINVAL;
			}
			break;
		case OPT_SYSLOG_BUF: {
			uint64_t v;

			if (events_file_parse_size(optarg, &v) || v < SYSLOG_BUFFER_MIN || v > (1u << 30)) {
				fprintf(stderr, "sovd: --syslog-buffer takes %d bytes to 1G\n", SYSLOG_BUFFER_MIN);
				return -EINVAL;
			}
			o->syslog_buffer = v;
			break;
		}
		case 'h': usage(stdout); return 1;
		case OPT_VERSION: printf("sovd %s\n", SOV_VERSION); return 1;
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind != argc || (!o->policy && !o->probe_only)) {
		usage(stderr);
		return -EINVAL;
	}
	if (o->events_max_size && (!o->events || !strcmp(o->events, "-"))) {
		fprintf(stderr, "sovd: --events-max-size needs --events FILE (stdout is not rotated)\n");
		return -EINVAL;
	}
	for (unsigned i = 0; i < o->n_syslog; i++) {
		o->syslog[i].ca_file = o->syslog_ca;
		o->syslog[i].facility = o->syslog_facility;
		o->syslog[i].cap = o->syslog_buffer;
		tls += o->syslog[i].kind == SYSLOG_TLS;
	}
	if ((o->syslog_ca && !tls) || (o->syslog_buffer && !o->n_syslog)) {
		fprintf(stderr, "sovd: --syslog-ca needs --syslog tls://..., --syslog-buffer needs --syslog\n");
		return -EINVAL;
	}
	return 0;
}

/* Everything sovd runs with; each module gets its own part. */
struct sovd {
	struct sovd_opts o;
	struct sovd_features feat;
	struct kpath kp;
	struct ring_buffer *rb;
	struct policy_maps pmaps;
	struct label_table labels;
	struct taint_shm shm;		/* issue 11: shared memory labelled after it was mapped */
	struct policy_life life;
	struct pipeline pipe;
	struct events_file events;
	struct journal_glue journal;
	struct api api;
	struct metrics metrics;
	struct api_counts counts;
	struct label_watch lwatch;
	struct label_gc lgc;		/* issue 12: labels of deleted inodes */
	struct selfaudit audit;
	struct flows flows;		/* issue 14: aggregated allowed flows */
	uint64_t overflow_reported;	/* taint overflow classes already reported */
	uint64_t lost_labels_reported;	/* lost label classes already reported */
	uint64_t lost_ipc_reported;	/* IPC label classes already reported */
	struct sink_loss { uint64_t reported; int64_t last_ms; } events_loss,
		syslog_loss[SYSLOG_MAX_TARGETS];
};

/* epoll data tags (conn.h: tag << 32 | fd). */
enum { TAG_RB = 1, TAG_SIGNAL, TAG_API, TAG_API_CONN, TAG_METRICS, TAG_METRICS_CONN,
       TAG_LATE_PATHS, TAG_LATE_MOUNTS };

static volatile sig_atomic_t stop;

static int setup_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	sigdelset(&set, SIGPIPE);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* A loss event for classes the kernel could not store (map: taint,
 * labels or ipc), once per growth; journaled. The overflow holds the lost
 * labels' classes too: said once, with the labels. */
static void report_lost(struct sovd *d, const char *map, uint64_t lost, uint64_t *reported,
			const char *applied_to, const char *why)
{
	char body[160];

	if (!(lost & ~*reported))
		return;
	snprintf(body, sizeof(body),
		 "\"map\":\"%s\",\"classes_mask\":%llu,\"applied_to\":\"%s\"",
		 map, (unsigned long long)lost, applied_to);
	pr_warn("%s; classes 0x%llx now apply to %s", why, (unsigned long long)lost, applied_to);
	pipeline_emit_own(&d->pipe, "loss", body);
	*reported = lost;
	d->overflow_reported |= lost;
}

/* Events a sink could not deliver (issue 16: a write error, a collector
 * that is down): a loss event, journaled, within 100 ms of the first, then
 * at most one each 10 s while the sink keeps losing (its own loss event
 * may be lost too, and is counted in the next). */
static void report_sink_loss(struct sovd *d, const char *sink, const char *target,
			     uint64_t total, struct sink_loss *l, int64_t now)
{
	struct jbuf b;

	if (total <= l->reported || (l->last_ms && now - l->last_ms < 10000))
		return;
	jb_init(&b);
	jb_str(&b, "sink", sink);
	if (target)
		jb_str(&b, "target", target);
	jb_u64(&b, "lost", total - l->reported);
	jb_u64(&b, "total", total);
	pr_warn("the %s sink lost events: %s", sink, b.oom ? "" : b.s);
	l->reported = total;
	l->last_ms = now;
	if (!b.oom)
		pipeline_emit_own(&d->pipe, "loss", b.s);
	jb_free(&b);
}

static void check_sink_loss(struct sovd *d, int64_t now)
{
	report_sink_loss(d, "events", NULL, d->events.dropped, &d->events_loss, now);
	for (unsigned i = 0; i < d->o.n_syslog; i++)
		report_sink_loss(d, "syslog", d->o.syslog[i].target, d->o.syslog[i].dropped,
				 &d->syslog_loss[i], now);
}

/* Fail closed (issue 12): what the kernel could not store is applied at
 * egress; status and the journal say so. */
static void check_loss(struct sovd *d)
{
	struct sov_counters c;
	struct sov_taint_state st;

	if (!kpath_read_counters(&d->kp.fd, &c))
		pipeline_check_loss(&d->pipe, c.c[SOV_CNT_LOST]);
	taint_state_read(&d->kp.fd, &st);
	d->counts.overflow = st.overflow.classes;
	d->counts.labels_lost = st.labels_lost;
	d->counts.ipc_lost = st.ipc_lost;
	report_lost(d, "labels", st.labels_lost, &d->lost_labels_reported, "every process",
		    "label map full: a label was not stored (raise --max-labels and restart sovd with fresh pins)");
	report_lost(d, "ipc", st.ipc_lost, &d->lost_ipc_reported, "every process",
		    "IPC label map at its eviction point: a label may be evicted");
	report_lost(d, "taint", st.overflow.classes, &d->overflow_reported,
		    "every untracked process", "taint map overflow: a taint was not stored");
}

/* A loop that does not hear the ring buffer or the signals must not start. */
static int watch_fd(int ep, int fd, uint32_t tag, const char *what)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = conn_ev_data(tag, fd) };

	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
		int err = -errno;

		pr_err("failed to watch the %s: %s", what, strerror(-err));
		return err;
	}
	return 0;
}

/* Long work inside the loop (apply, SIGHUP) drains events between its
 * steps: the ring buffer must not fill while a policy is compiled. */
static void drain(void *ctx)
{
	struct sovd *d = ctx;

	ring_buffer__consume(d->rb);
	pipeline_flush(&d->pipe);
}

/* The aggregates of allowed flows (flows.h): every key's count since its
 * last record. any_generation 0: only the policy the view names (at a
 * policy switch, lifecycle.c). */
static void report_flows(struct sovd *d, int any_generation)
{
	flows_flush(&d->flows, &d->pipe, any_generation);
	d->counts.egress_aggregated = d->flows.aggregated;
	d->counts.egress_aggregates = d->flows.records;
	d->counts.flow_keys = d->flows.keys_seen;
}

static void report_flows_switch(void *ctx)
{
	report_flows(ctx, 0);
}

/* The label collector (label_gc.h), once a second: a slice of the label
 * map in chunks, the ring buffer drained between them. */
static void collect_labels(struct sovd *d)
{
	for (int i = 0; i < 8; i++) {
		uint64_t passes = d->lgc.passes;

		label_gc_step(&d->lgc, 512);
		drain(d);
		if (d->lgc.passes != passes || !d->lgc.in_pass)
			break;
	}
}

/* The periodic walk of the taint and label maps (a syscall per entry):
 * collects exited processes' taint and counts what status reports. */
static void walk_maps(struct sovd *d)
{
	d->counts.tainted = taint_gc(&d->kp.fd, host_now_ns(CLOCK_BOOTTIME));
	lineage_gc();
	drain(d);
	d->counts.labels = kpath_map_count(d->kp.fd.labels);
	d->counts.as_of_ns = host_now_ns(CLOCK_REALTIME);
	/* what a policy apply since (a compile of country prefixes, the
	 * label walk) left on the heap goes back to the system */
	malloc_trim(0);
}

static int event_loop(struct sovd *d, int ep, int sfd)
{
	struct epoll_event evs[64];
	int err = 0;
	int64_t last_tick = 0, last_gc = 0, last_devs = 0, last_audit = conn_now_ms();
	int64_t last_drain = 0, last_flows = conn_now_ms();
	int64_t last_retain = 0;

	while (!stop) {
		/* 50 ms: egress events do not wake sovd (bpf/events.bpf.h
		 * event_submit()); they are drained here at that pace */
		int n = epoll_wait(ep, evs, 64, 50);
		int64_t now;

		if (n < 0 && errno != EINTR) {
			err = -errno;
			break;
		}
		for (int i = 0; i < n; i++) {
			uint32_t tag = evs[i].data.u64 >> 32;
			int fd = (int)(uint32_t)evs[i].data.u64;

			switch (tag) {
			case TAG_RB:
				ring_buffer__consume(d->rb);
				pipeline_flush(&d->pipe);
				break;
			case TAG_SIGNAL: {
				struct signalfd_siginfo si;

				while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGHUP) {
						static char msg[65536];
						int rc;

						notify_reloading();
						/* logrotate's postrotate (docs/deployment.md) */
						events_file_reopen(&d->events);
						for (unsigned i = 0; i < d->o.n_syslog; i++)
							syslog_out_kick(&d->o.syslog[i]);
						rc = policy_apply_file(&d->life, d->o.policy, msg, sizeof(msg));

						/* sovd wrote the maps (a refused policy may
						 * have staged): the self-audit's reference. */
						selfaudit_record_maps(&d->audit);
						if (rc) {
							fprintf(stderr, "%s", msg);
							notify_ready("reload refused: the policy in force stays");
						} else {
							msg[strcspn(msg, "\n")] = '\0';
							pr_info("SIGHUP: reloaded %s: %s", d->o.policy, msg);
							notify_ready(msg);
						}
					} else {
						stop = 1;
					}
				}
				break;
			}
			case TAG_API: api_on_listen(&d->api); break;
			case TAG_API_CONN: api_on_conn(&d->api, fd, evs[i].events); break;
			case TAG_METRICS: metrics_on_listen(&d->metrics); break;
			case TAG_METRICS_CONN: metrics_on_conn(&d->metrics, fd, evs[i].events); break;
			case TAG_LATE_PATHS: label_watch_on_paths(&d->lwatch); break;
			case TAG_LATE_MOUNTS: label_watch_on_mounts(&d->lwatch); break;
			}
		}
		if (d->journal.failed) {
			err = -EIO;
			break;
		}
		now = conn_now_ms();
		if (now - last_drain >= 50) {
			last_drain = now;
			ring_buffer__consume(d->rb);
			pipeline_flush(&d->pipe);
		}
		/* after the drain: a key's first flow is in the events
		 * before its aggregates */
		if (now - last_flows >= FLOWS_INTERVAL_MS) {
			last_flows = now;
			report_flows(d, 1);
		}
		if (now - last_tick >= 100) {
			last_tick = now;
			check_loss(d);
			check_sink_loss(d, now);
			journal_glue_tick(&d->journal);
			api_expire(&d->api, now);
			metrics_expire(&d->metrics, now);
		}
		/* An RDMA module loaded since (issue 10): its dynamic major or
		 * rdma_cm's minor is governed within a second. */
		if (now - last_devs >= 1000) {
			last_devs = now;
			rdma_devs_sync(d->kp.fd.rdma_devs);
			label_watch_tick(&d->lwatch);
			collect_labels(d);
		}
		/* Self-audit (issue 12): links, programs, policy maps. */
		if (now - last_audit >= (int64_t)d->o.audit_interval * 1000) {
			last_audit = now;
			selfaudit_run(&d->audit);
		}
		if (now - last_gc >= 10000) {
			last_gc = now;
			walk_maps(d);
		}
		/* Journal retention (issue 15), once a minute. */
		if (now - last_retain >= 60000) {
			last_retain = now;
			journal_glue_retain(&d->journal, now);
		}
	}
	ring_buffer__consume(d->rb);
	pipeline_flush(&d->pipe);
	/* what the kernel counted until now; a flow after this is lost with
	 * the maps at a clean stop, as an event left in the ring is */
	report_flows(d, 1);
	return err;
}

static const struct kpath_ops *kpath_ops_of(enum sovd_kpath k)
{
	return k == SOVD_KPATH_LSM ? &kpath_lsm_ops : &kpath_tracing_ops;
}

/* open -> size -> load of the chosen kernel path. */
static int load_kpath(struct sovd *d, enum sovd_kpath k, const struct sov_policy_image *img)
{
	const struct kpath_sizes sz = {
		.max_labels = d->o.max_labels, .max_procs = d->o.max_procs,
		.n_v4 = (uint32_t)img->n_v4, .n_v6 = (uint32_t)img->n_v6,
		.ringbuf = d->o.ringbuf_size,
	};
	int err;

	d->kp.ops = kpath_ops_of(k);
	d->kp.k510 = d->feat.k510 > 0;
	d->kp.dev_switched = !d->feat.cgdev_pid;
	d->kp.sc_tp = d->feat.sc_hooks == SOVD_SC_TRACEPOINTS;
	err = kpath_prepare_pin_dir(d->o.pin_dir);
	if (err)
		return err;
	err = d->kp.ops->open(&d->kp, d->o.pin_dir);
	if (err)
		return err;
	err = kpath_size_maps(&d->kp, &sz);
	if (err)
		return err;
	return d->kp.ops->load(&d->kp);
}

static void unload_kpath(struct sovd *d)
{
	if (d->kp.ops && d->kp.obj)
		d->kp.ops->destroy(&d->kp);
}

static void emit_agent(struct sovd *d, const char *action)
{
	const struct sovd_features *f = &d->feat;
	struct jbuf b;

	jb_init(&b);
	jb_str(&b, "action", action);
	jb_str(&b, "kernel_path", kpath_name(d->kp.ops->id));
	if (!strcmp(action, "start")) {
		jb_str(&b, "version", SOV_VERSION);
		jb_str(&b, "bpf_build", d->kp.k510 ? "5.10" : "current");
		jb_str(&b, "syscall_hooks", kpath_sc_hooks_name(d->feat.sc_hooks));
		jb_raw(&b, ",\"features\":", 12);
		jb_open(&b);
		jb_raw(&b, f->btf ? "\"btf\":true" : "\"btf\":false", f->btf ? 10 : 11);
		jb_raw(&b, f->bpf_lsm ? ",\"bpf_lsm\":true" : ",\"bpf_lsm\":false",
		       f->bpf_lsm ? 15 : 16);
		jb_raw(&b, f->tp_btf ? ",\"tp_btf\":true" : ",\"tp_btf\":false",
		       f->tp_btf ? 14 : 15);
		jb_raw(&b, f->trampolines ? ",\"trampolines\":true" : ",\"trampolines\":false",
		       f->trampolines ? 19 : 20);
		jb_raw(&b, f->ringbuf ? ",\"ringbuf\":true" : ",\"ringbuf\":false",
		       f->ringbuf ? 15 : 16);
		b.first = 0;
		jb_str(&b, "cgroup2", f->cgroup2);
		jb_close(&b);
	}
	if (!b.oom)
		pipeline_emit_own(&d->pipe, "agent", b.s);
	jb_free(&b);
}

/* The sinks, in order: the journal first, as it stamps seq. */
static int add_sinks(struct sovd *d)
{
	struct sovd_sink s[] = {
		journal_glue_sink(&d->journal),
		events_file_sink(&d->events),
		api_watch_sink(&d->api),
		metrics_sink(&d->metrics),
	};
	struct sovd_sink shm = taint_shm_sink(&d->shm);	/* last: it may emit taint events */

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (pipeline_add_sink(&d->pipe, &s[i]))
			return -E2BIG;
	for (unsigned i = 0; i < d->o.n_syslog; i++) {
		struct sovd_sink sl = syslog_out_sink(&d->o.syslog[i]);

		if (pipeline_add_sink(&d->pipe, &sl))
			return -E2BIG;
	}
	return pipeline_add_sink(&d->pipe, &shm) ? -E2BIG : 0;
}

int main(int argc, char **argv)
{
	static struct sovd d;
	static char msg[65536];
	struct sov_policy_image *img = NULL;
	enum sovd_kpath chosen = SOVD_KPATH_AUTO;
	struct sov_counters cnt;
	int err = 0, sfd = -1, ep = -1, ret = 2, failed_before;

	d.api.listen_fd = -1;
	d.metrics.listen_fd = -1;
	d.lwatch.ino_fd = -1;
	d.lwatch.mi_fd = -1;
	err = parse_opts(&d.o, argc, argv);
	if (err)
		return err > 0 ? 0 : 2;
	/* before the compiler child forks: it must not inherit NOTIFY_SOCKET */
	if (!d.o.probe_only)
		notify_open();
	log_setup_libbpf();
	pipeline_init(&d.pipe);
	d.pmaps.fd = &d.kp.fd;
	d.pmaps.pin_dir = d.o.pin_dir;
	d.life = (struct policy_life){
		.locdb = d.o.locdb, .maps = &d.pmaps, .labels = &d.labels, .pipe = &d.pipe,
	};

	if (!d.o.probe_only) {
		err = policy_compile(&d.life, d.o.policy, &img, msg, sizeof(msg));
		fputs(msg, stderr);
		if (err == -EINVAL) {
			pr_err("policy %s is invalid; nothing was attached", d.o.policy);
			ret = 1;
			goto cleanup;
		}
		if (err) {	/* the compiler child failed (compile_child.h) */
			pr_err("failed to compile policy %s; nothing was attached", d.o.policy);
			goto cleanup;
		}
	}

	d.feat.sc_hooks = d.o.sc_hooks;
	probe_features(&d.feat);
	d.feat.k510 = d.o.bpf_build;
	err = probe_choose(&d.feat, d.o.kpath, &chosen);
	if (!err)
		err = probe_choose_sc_hooks(&d.feat, chosen);
	if (d.o.probe_only) {
		probe_print(&d.feat, err ? SOVD_KPATH_AUTO : chosen, stdout);
		ret = err ? 2 : 0;
		goto cleanup;
	}
	if (err)
		goto cleanup;
	pr_info("kernel: bpf_lsm=%s tp_btf=%s trampolines=%s cgroup2=%s; using the %s kernel path",
		d.feat.bpf_lsm ? "yes" : "no", d.feat.tp_btf ? "yes" : "no",
		d.feat.trampolines ? "yes" : "no", d.feat.cgroup2, kpath_name(chosen));
	pr_info("syscall programs on the %s tracepoints (%s)",
		d.feat.sc_hooks == SOVD_SC_TRACEPOINTS ? "per-syscall" : "raw sys_enter/sys_exit",
		d.feat.sc_why);
	if (d.feat.k510 > 0)
		pr_info("the 5.10 build of the programs (no bpf_loop(): docs/kernels.md, \"Linux 5.10\")");
	if (d.feat.k510 > 0 && d.feat.bpf_loop)
		pr_warn("--bpf-build 5.10 on a kernel with bpf_loop(): for tests only; it cannot find SysV shm mappings on 6.1 and later (no VMA rbtree)");

	err = policy_collect(&d.life, img);
	if (err)
		goto cleanup;
	if (!d.o.max_procs)
		d.o.max_procs = taint_default_size();
	if (!d.o.max_labels) {
		d.o.max_labels = d.labels.n * 4;
		if (d.o.max_labels < 131072)
			d.o.max_labels = 131072;
	}

	sfd = setup_signals();
	if (sfd < 0) {
		err = sfd;
		pr_err("failed to set up signals: %s", strerror(-sfd));
		goto cleanup;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		err = -errno;
		goto cleanup;
	}
	d.events.max_size = d.o.events_max_size;
	d.events.keep = d.o.events_keep;
	err = events_file_open(&d.events, d.o.events);
	if (err)
		goto cleanup;
	for (unsigned i = 0; i < d.o.n_syslog; i++) {
		err = syslog_out_open(&d.o.syslog[i]);
		if (err)
			goto cleanup;
	}
	err = journal_glue_open(&d.journal, d.o.journal, d.o.key);
	d.journal.retain = d.o.retain;
	if (err)
		goto cleanup;
	err = load_kpath(&d, chosen, img);
	if (err && d.o.kpath == SOVD_KPATH_AUTO && chosen == SOVD_KPATH_LSM) {
		/* The probe ran a tiny LSM program, but the real ones can still
		 * be refused (verifier differences between kernels): the
		 * tracing path enforces the same policy. */
		pr_warn("the LSM programs did not load (%s); falling back to the tracing path",
			strerror(-err));
		unload_kpath(&d);
		chosen = SOVD_KPATH_TRACING;
		err = load_kpath(&d, chosen, img);
	}
	if (err) {
		if (err == -EPERM)
			pr_err("the kernel refused the BPF programs: run sovd as root with CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN and CAP_NET_ADMIN");
		goto cleanup;
	}
	d.pmaps.scope_in_map = d.kp.ops->scope_in_map;
	err = kpath_ipc_arm(&d.kp);
	if (err) {
		pr_err("failed to write the IPC label maps' limits: %s", strerror(-err));
		goto cleanup;
	}
	d.pipe.report_held_rdma = chosen == SOVD_KPATH_TRACING;
	d.pipe.scan_fds = d.kp.k510;
	d.pipe.maps = &d.kp.fd;
	err = policy_install_first(&d.life, img);
	img = NULL;	/* the lifecycle owns it now */
	if (err)
		goto cleanup;
	/* RDMA devices beyond the fixed major, before any program attaches. */
	err = rdma_devs_sync(d.kp.fd.rdma_devs);
	if (err < 0)
		goto cleanup;
	err = 0;
	/* Losses counted before this run were reported by the run that saw them. */
	if (!kpath_read_counters(&d.kp.fd, &cnt))
		d.pipe.lost_reported = cnt.c[SOV_CNT_LOST];

	d.rb = ring_buffer__new(d.kp.fd.events, pipeline_kernel_event, &d.pipe, NULL);
	if (!d.rb) {
		err = -errno;
		pr_err("failed to open the event ring buffer: %s", strerror(-err));
		goto cleanup;
	}
	/* Everything that can fail for usage reasons before attach: a failed
	 * start must not leave programs pinned with nobody reading events. */
	d.api.view = (struct api_view){
		.kernel_path = kpath_name(chosen), .feat = &d.feat, .fd = &d.kp.fd,
		.journal = &d.journal, .pin_dir = d.o.pin_dir, .counts = &d.counts,
		.gc = &d.lgc,
	};
	d.counts.max_procs = kpath_map_capacity(d.kp.fd.taint);
	d.counts.max_exited = kpath_map_capacity(d.kp.fd.taint_exited);
	d.counts.max_labels = kpath_map_capacity(d.kp.fd.labels);
	label_gc_init(&d.lgc, d.kp.fd.labels);
	d.api.life = &d.life;
	err = api_listen(&d.api, d.o.socket);
	if (err)
		goto cleanup;
	d.api.ring_size = d.o.watch_ring;
	err = api_start(&d.api, ep, TAG_API, TAG_API_CONN);
	if (err)
		goto cleanup;
	d.metrics.kernel_path = kpath_name(chosen);
	d.metrics.fd = &d.kp.fd;
	d.metrics.kp = &d.kp;
	d.metrics.events = &d.events;
	d.metrics.syslog = d.o.syslog;
	d.metrics.n_syslog = d.o.n_syslog;
	d.metrics.life = &d.life;
	d.metrics.journal = &d.journal;
	d.metrics.gc = &d.lgc;
	err = metrics_listen(&d.metrics, d.o.metrics);
	if (err)
		goto cleanup;
	err = metrics_start(&d.metrics, ep, TAG_METRICS, TAG_METRICS_CONN);
	if (err)
		goto cleanup;
	d.metrics.api_pool = &d.api.pool;
	if (d.metrics.listen_fd >= 0)
		d.api.view.metrics_pool = &d.metrics.pool;
	taint_shm_init(&d.shm, &d.kp.fd, &d.labels, &d.pipe);
	err = add_sinks(&d);
	if (err)
		goto cleanup;
	d.life.drain = drain;
	d.life.drain_ctx = &d;
	d.flows = (struct flows){ .map_fd = d.kp.fd.flows, .seen_fd = d.kp.fd.flows_seen,
				  .taint_fd = d.kp.fd.taint };
	d.life.flows_flush = report_flows_switch;
	if ((err = watch_fd(ep, ring_buffer__epoll_fd(d.rb), TAG_RB, "event ring buffer")) ||
	    (err = watch_fd(ep, sfd, TAG_SIGNAL, "signals")))
		goto cleanup;
	err = d.kp.ops->attach(&d.kp, (const char *const *)d.life.img->scope_cgroups,
			       d.life.img->n_scope);
	if (err)
		goto cleanup;
	/* Policy paths and mounts that appear from now on (issue 11). */
	d.lwatch.life = &d.life;
	d.lwatch.fd = &d.kp.fd;
	d.lwatch.pin_dir = d.o.pin_dir;
	err = label_watch_start(&d.lwatch, ep, TAG_LATE_PATHS, TAG_LATE_MOUNTS);
	if (err) {
		pr_err("failed to watch for late policy paths and mounts: %s", strerror(-err));
		goto cleanup;
	}
	/* What the self-audit compares with: recorded right after attach. */
	d.audit = (struct selfaudit){
		.kp = &d.kp, .life = &d.life, .pm = &d.pmaps, .pipe = &d.pipe,
		.interval_s = d.o.audit_interval,
	};
	err = selfaudit_record(&d.audit);
	if (err)
		goto cleanup;
	d.api.audit = &d.audit;
	d.metrics.audit = &d.audit;
	err = selfprot_enable(&d.kp, d.o.journal, d.o.key, d.o.unlock);
	if (err)
		pr_warn("self-protection not enabled: %s", strerror(-err));
	err = taint_scan_proc(&d.kp.fd, &d.labels, &d.pipe);
	if (err)
		pr_warn("failed to scan /proc for open labelled files: %s", strerror(-err));

	walk_maps(&d);
	policy_announce(&d.life);
	/* The start-up's garbage (vmlinux BTF for CO-RE, the compiled
	 * policy's tables, the walk) goes back to the system (issue 14). */
	malloc_trim(0);
	emit_agent(&d, "start");
	selfaudit_run(&d.audit);
	pr_info("enforcing %s (sha256 %s) on the %s kernel path", d.o.policy,
		d.life.img->sha256_hex, kpath_name(chosen));
	snprintf(msg, sizeof(msg), "enforcing %s on the %s kernel path", d.o.policy,
		 kpath_name(chosen));
	notify_ready(msg);	/* attached, maps written: systemd may go on */

	err = event_loop(&d, ep, sfd);
	snprintf(msg, sizeof(msg), "stopping%s%s", err ? ": " : "", err ? strerror(-err) : "");
	notify_stopping(msg);
	check_loss(&d);
	d.events_loss.last_ms = 0;
	for (unsigned i = 0; i < d.o.n_syslog; i++)
		d.syslog_loss[i].last_ms = 0;
	check_sink_loss(&d, conn_now_ms());
	emit_agent(&d, "stop");
	/* A clean stop detaches: without pins, closing the links does. A
	 * failed journal is no clean stop: enforcement stays pinned. The
	 * journal is closed first, as the stop record and the final
	 * checkpoint can fail it too. */
	failed_before = d.journal.failed;
	if (journal_glue_close(&d.journal)) {
		err = -EIO;
		if (!failed_before)
			pr_err("JOURNAL FAILED at shutdown: the journal is not whole; kernel enforcement stays pinned under %s",
			       d.o.pin_dir);
	} else {
		kpath_unpin_all(d.o.pin_dir);
	}
	ret = err ? 2 : 0;
cleanup:
	if (ret == 2 && err && !d.o.probe_only)
		pr_err("sovd stopped: %s", strerror(-err));
	api_close(&d.api);
	metrics_close(&d.metrics);
	if (d.rb)
		ring_buffer__free(d.rb);
	unload_kpath(&d);
	selfaudit_free(&d.audit);
	flows_free(&d.flows);
	journal_glue_close(&d.journal);
	events_file_close(&d.events);
	/* the stop event is worth a second's wait for the collector */
	for (unsigned i = 0; i < d.o.n_syslog; i++)
		syslog_out_close(&d.o.syslog[i], 1000);
	if (sfd >= 0)
		close(sfd);
	if (ep >= 0)
		close(ep);
	label_watch_close(&d.lwatch);
	label_gc_close(&d.lgc);
	labels_free(&d.labels);
	policy_life_free(&d.life);
	sov_policy_free(img);
	notify_close();
	return ret;
}
