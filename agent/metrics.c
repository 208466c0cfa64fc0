// SPDX-License-Identifier: Apache-2.0
/*
 * --metrics ADDR:PORT: Prometheus text exposition (format 0.0.4, every
 * family with HELP and TYPE) over plain HTTP/1.0, one response per
 * connection, from the kernel's per-CPU counters, the kernel's per-program
 * statistics and the records of the pipeline (decisions by verdict, class
 * and zone; records by type). Connections never block the event loop.
 *
 * Calls: conn.c, jbuf.c, kpath_load.c (counters), libbpf (program info),
 * log.c. Called by main.c; records arrive through the sink table.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "agent/host.h"
#include "agent/events_file.h"
#include "agent/journal_glue.h"
#include "agent/kpath.h"
#include "agent/lifecycle.h"
#include "agent/log.h"
#include "agent/metrics.h"
#include "agent/label_gc.h"
#include "agent/selfaudit.h"
#include "agent/syslog_out.h"
#include "sov_version.h"

/* the record types of docs/events.md; the last one counts any other */
static const char *const rec_types[] = { "taint", "derive", "egress", "agent", "policy", "loss",
					 "tamper", "other" };
static const char rec_allow[] = "allow", rec_deny[] = "deny", rec_audit[] = "audit";

int metrics_parse_addr(const char *spec, struct sockaddr_storage *ss, socklen_t *len,
		       char *err, size_t errlen)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	const char *colon = strrchr(spec, ':'), *p;
	unsigned long port = 0;
	char host[128];
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof(host)) {
		snprintf(err, errlen, "--metrics wants ADDR:PORT, got '%s'", spec);
		return -EINVAL;
	}
	for (p = colon + 1; *p; p++) {
		if (*p < '0' || *p > '9' || port > 65535)
			break;
		port = port * 10 + (*p - '0');
	}
	if (p == colon + 1 || *p || port < 1 || port > 65535) {
		snprintf(err, errlen, "--metrics: the port in '%s' must be a number from 1 to 65535",
			 spec);
		return -EINVAL;
	}
	hl = colon - spec;
	memcpy(host, spec, hl);
	host[hl] = '\0';
	if (host[0] == '[') {
		if (hl < 2 || host[hl - 1] != ']') {
			snprintf(err, errlen, "--metrics: '%s' is not an IP address", host);
			return -EINVAL;
		}
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1) {
			snprintf(err, errlen, "--metrics: '%s' is not an IPv6 address", host);
			return -EINVAL;
		}
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
	} else {
		snprintf(err, errlen, "--metrics: '%s' is not an IP address", host);
		return -EINVAL;
	}
	return 0;
}

int metrics_listen(struct metrics *m, const char *spec)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char why[256];
	int fd, one = 1, err;

	m->listen_fd = -1;
	if (!spec)
		return 0;
	err = metrics_parse_addr(spec, &ss, &len, why, sizeof(why));
	if (err) {
		pr_err("%s", why);
		return err;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, SOMAXCONN)) {
		err = -errno;
		pr_err("failed to listen for metrics on %s: %s", spec, strerror(-err));
		close(fd);
		return err;
	}
	m->listen_fd = fd;
	return 0;
}

int metrics_start(struct metrics *m, int epfd, uint32_t listen_tag, uint32_t conn_tag)
{
	int err;

	if (m->listen_fd < 0)
		return 0;
	err = conn_pool_init(&m->pool, m->listen_fd, epfd, listen_tag, conn_tag,
			     METRICS_MAX_CONNS, METRICS_IDLE_MS, 1);
	if (err)
		pr_err("failed to watch the metrics socket: %s", strerror(-err));
	return err;
}

/* printf onto the response; a line is never longer than this. */
static void mp(struct jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void mp(struct jbuf *b, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(line)) {
		b->oom = 1;
		return;
	}
	jb_raw(b, line, (size_t)n);
}

/* A family's HELP and TYPE lines (text format 0.0.4). */
static void family(struct jbuf *b, const char *name, const char *type, const char *help)
{
	mp(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void counter1(struct jbuf *b, const char *name, const char *help, uint64_t v)
{
	family(b, name, "counter", help);
	mp(b, "%s %llu\n", name, (unsigned long long)v);
}

/*
 * A label value: policy names are plain words (policy.md), but a value is
 * escaped the way 0.0.4 wants (backslash, double quote, line feed) so
 * that no name can break the exposition.
 */
static void label_value(struct jbuf *b, const char *v)
{
	const char *run = v;

	for (; *v; v++) {
		const char *esc = *v == '\\' ? "\\\\" : *v == '"' ? "\\\"" : *v == '\n' ? "\\n" : NULL;

		if (!esc)
			continue;
		jb_raw(b, run, (size_t)(v - run));
		jb_raw(b, esc, 2);
		run = v + 1;
	}
	jb_raw(b, run, (size_t)(v - run));
}

/* One sample NAME{sink="SINK",target="TARGET"} V (sink NULL: no sink label). */
static void sink_sample(struct jbuf *b, const char *name, const char *sink, const char *target,
			uint64_t v)
{
	mp(b, "%s{", name);
	if (sink)
		mp(b, "sink=\"%s\",", sink);
	mp(b, "target=\"");
	label_value(b, target);
	mp(b, "\"} %llu\n", (unsigned long long)v);
}

/*
 * The output sinks (docs/events.md): what each delivered and lost. A loss
 * is also journaled (a `loss` record with its sink); these counters let an
 * alert see it without reading the journal.
 */
static void sinks(const struct metrics *m, struct jbuf *b)
{
	const struct events_file *e = m->events;
	const char *ep = e && e->path ? e->path : "-";

	if (!e && !m->n_syslog)
		return;
	family(b, "sovd_sink_lines_total", "counter",
	       "Lines an output sink delivered: written to the events file, handed to a syslog socket.");
	if (e)
		sink_sample(b, "sovd_sink_lines_total", "events", ep, e->lines);
	for (unsigned i = 0; i < m->n_syslog; i++)
		sink_sample(b, "sovd_sink_lines_total", "syslog", m->syslog[i].target,
			    m->syslog[i].sent);
	family(b, "sovd_sink_lines_dropped_total", "counter",
	       "Lines an output sink lost (write or open errors, a syslog buffer full or a send failed); each loss is also journaled as a loss record.");
	if (e)
		sink_sample(b, "sovd_sink_lines_dropped_total", "events", ep, e->dropped);
	for (unsigned i = 0; i < m->n_syslog; i++)
		sink_sample(b, "sovd_sink_lines_dropped_total", "syslog", m->syslog[i].target,
			    m->syslog[i].dropped);
	if (e)
		counter1(b, "sovd_events_file_rotations_total",
			 "Times the events file was rotated by size (--events-max-size).", e->rotations);
	if (m->n_syslog) {
		family(b, "sovd_syslog_connects_total", "counter",
		       "Connections a syslog sink made to its collector (the first one included).");
		for (unsigned i = 0; i < m->n_syslog; i++)
			sink_sample(b, "sovd_syslog_connects_total", NULL, m->syslog[i].target,
				    m->syslog[i].connects);
	}
}

static void pools(const struct metrics *m, struct jbuf *b)
{
	const struct conn_pool *p[2] = { m->api_pool, &m->pool };
	static const char *const name[2] = { "api", "metrics" };
	static const char *const reason[4] = { "idle", "evicted", "too_long", "refused" };
	struct conn_stats st[2] = {};

	for (int i = 0; i < 2; i++)
		if (p[i])
			conn_pool_stats(p[i], &st[i]);
	family(b, "sovd_connections", "gauge",
	       "Open connections to the API socket and the metrics port (watchers not counted).");
	for (int i = 0; i < 2; i++)
		mp(b, "sovd_connections{socket=\"%s\"} %llu\n", name[i],
		   (unsigned long long)st[i].open);
	family(b, "sovd_connections_closed_total", "counter",
	       "Connections sovd closed: idle for too long, evicted from a full pool, a request too long, refused.");
	for (int i = 0; i < 2; i++) {
		uint64_t v[4] = { st[i].dropped_idle, st[i].evicted, st[i].too_long, st[i].refused };

		for (int r = 0; r < 4; r++)
			mp(b, "sovd_connections_closed_total{socket=\"%s\",reason=\"%s\"} %llu\n",
			   name[i], reason[r], (unsigned long long)v[r]);
	}
	family(b, "sovd_accept_paused_total", "counter",
	       "Times a listener sat out a tick because sovd was out of file descriptors.");
	for (int i = 0; i < 2; i++)
		mp(b, "sovd_accept_paused_total{socket=\"%s\"} %llu\n", name[i],
		   (unsigned long long)st[i].accept_paused);
}

/* kernel.bpf_stats_enabled: the kernel times programs only while it is on. */
static int bpf_stats_enabled(void)
{
	char c = '0';
	int fd = open("/proc/sys/kernel/bpf_stats_enabled", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (read(fd, &c, 1) != 1)
		c = '0';
	close(fd);
	return c == '1';
}

/*
 * Run time and runs per program, from the kernel's own statistics
 * (bpf_prog_info run_time_ns and run_cnt): one BPF_OBJ_GET_INFO_BY_FD per
 * program and scrape, nothing on the hooks' path. The kernel counts only
 * while kernel.bpf_stats_enabled is 1 (it costs every BPF program on the
 * host two clock reads a run), so the families are there only then.
 */
static void prog_stats(const struct metrics *m, struct jbuf *b)
{
	struct bpf_program *prog;
	int enabled = bpf_stats_enabled();

	family(b, "sovd_bpf_stats_enabled", "gauge",
	       "1 while kernel.bpf_stats_enabled is on: only then are the sovd_bpf_prog_* families there.");
	mp(b, "sovd_bpf_stats_enabled %d\n", enabled);
	if (!enabled || !m->kp || !m->kp->obj)
		return;
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 0)
			family(b, "sovd_bpf_prog_run_seconds_total", "counter",
			       "Time sovd's BPF programs ran, by program, while kernel.bpf_stats_enabled was on.");
		else
			family(b, "sovd_bpf_prog_runs_total", "counter",
			       "Runs of sovd's BPF programs, by program, while kernel.bpf_stats_enabled was on.");
		bpf_object__for_each_program(prog, m->kp->obj) {
			struct bpf_prog_info info = {};
			__u32 len = sizeof(info);
			int fd = bpf_program__fd(prog);

			/* not loaded (autoload off on this path or kernel) */
			if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
				continue;
			if (pass == 0)
				mp(b, "sovd_bpf_prog_run_seconds_total{program=\"%s\"} %llu.%09llu\n",
				   bpf_program__name(prog),
				   (unsigned long long)(info.run_time_ns / 1000000000ull),
				   (unsigned long long)(info.run_time_ns % 1000000000ull));
			else
				mp(b, "sovd_bpf_prog_runs_total{program=\"%s\"} %llu\n",
				   bpf_program__name(prog), (unsigned long long)info.run_cnt);
		}
	}
}

static void decisions(const struct metrics *m, struct jbuf *b, const struct sov_counters *k)
{
	static const char *const verdict[3] = { "allow", "deny", "audit" };
	const uint64_t kv[3] = { k->c[SOV_CNT_ALLOW], k->c[SOV_CNT_DENY], k->c[SOV_CNT_AUDIT] };

	family(b, "sovd_kernel_decisions_total", "counter",
	       "Egress decisions the kernel programs made, by verdict (per-CPU counters: exact, also when events are lost).");
	for (int i = 0; i < 3; i++)
		mp(b, "sovd_kernel_decisions_total{verdict=\"%s\"} %llu\n", verdict[i],
		   (unsigned long long)kv[i]);
	family(b, "sovd_decisions_total", "counter",
	       "Egress decisions in the records sovd received, by verdict, class and zone; a decision involving several classes counts once for each.");
	for (uint32_t i = 0; i < m->n_series; i++) {
		const struct metrics_series *s = &m->series[i];

		mp(b, "sovd_decisions_total{verdict=\"%s\",class=\"", s->verdict);
		label_value(b, s->class_name);
		jb_raw(b, "\",zone=\"", 8);
		label_value(b, s->zone);
		mp(b, "\"} %llu\n", (unsigned long long)s->n);
	}
	counter1(b, "sovd_decision_series_full_total",
		 "Decisions not counted in sovd_decisions_total: its series limit was reached.",
		 m->series_full);
}

static void build_info(const struct metrics *m, struct jbuf *b)
{
	family(b, "sovd_build_info", "gauge",
	       "Always 1: the version of sovd, its kernel path, the build of its BPF programs and where its syscall programs attach.");
	mp(b, "sovd_build_info{version=\"%s\",bpf_path=\"%s\",bpf_build=\"%s\",syscall_hooks=\"%s\",libbpf=\"%s\"} 1\n",
	   SOV_VERSION, m->kernel_path, m->kp && m->kp->k510 ? "5.10" : "current",
	   m->kp && m->kp->sc_tp ? "tracepoints" : "raw", libbpf_version_string());
	family(b, "sovd_kernel_path_info", "gauge", "The kernel path sovd enforces with (lsm or tracing).");
	mp(b, "sovd_kernel_path_info{kernel_path=\"%s\"} 1\n", m->kernel_path);
	family(b, "sovd_mode_info", "gauge",
	       "Deprecated: use sovd_kernel_path_info; removed in the next release.");
	mp(b, "sovd_mode_info{mode=\"%s\"} 1\n", m->kernel_path);
}

/*
 * The response is rendered on the event loop, at once, into a buffer kept
 * between scrapes, and sent from a copy without blocking (conn.c). The
 * number of series is capped (METRICS_MAX_SERIES), so a rendering costs the
 * loop a bounded time (about 1 ms at 6,000 series, docs/performance.md
 * "Metrics"; exported as sovd_metrics_render_seconds_total), and serve()
 * renders at most every METRICS_RENDER_MIN_MS. A snapshot written by a
 * thread would cost a lock or a copy of the series on the record path to
 * save that millisecond: the ring buffer holds seconds of events.
 */
const char *metrics_render(struct metrics *m, size_t *len)
{
	/* room for the HTTP header, written in front of the body at the end */
	enum { HDR = 128 };
	struct jbuf *b = &m->out;
	struct sov_counters k = {};
	int64_t t0 = host_now_ns(CLOCK_MONOTONIC);
	char hdr[HDR];
	int h;

	jb_reset(b);
	b->oom = 0;
	memset(hdr, ' ', sizeof(hdr));
	jb_raw(b, hdr, sizeof(hdr));
	kpath_read_counters(m->fd, &k);
	build_info(m, b);
	counter1(b, "sovd_events_total", "Events the kernel programs put in the ring buffer.",
		 k.c[SOV_CNT_EVENTS]);
	counter1(b, "sovd_events_lost_total",
		 "Events the kernel programs lost because the ring buffer was full.",
		 k.c[SOV_CNT_LOST]);
	decisions(m, b, &k);
	counter1(b, "sovd_taints_total", "Processes tainted by the kernel programs.",
		 k.c[SOV_CNT_TAINT]);
	counter1(b, "sovd_derivations_total", "Files labelled as derivatives by the kernel programs.",
		 k.c[SOV_CNT_DERIVE]);
	counter1(b, "sovd_packets_dropped_total",
		 "Packets dropped by the tracing path's packet filter (late taint).",
		 k.c[SOV_CNT_PKT_DROP]);
	counter1(b, "sovd_map_full_total",
		 "Labels or taints the kernel could not store because a map was full (failed closed).",
		 k.c[SOV_CNT_MAP_FULL]);
	family(b, "sovd_labels_reclaimed_total", "counter",
	       "Labels of deleted inodes removed, by the kernel (LSM path) or by sovd's collector.");
	mp(b, "sovd_labels_reclaimed_total{by=\"kernel\"} %llu\nsovd_labels_reclaimed_total{by=\"sovd\"} %llu\n",
	   (unsigned long long)k.c[SOV_CNT_LABEL_GONE],
	   (unsigned long long)(m->gc ? m->gc->reclaimed : 0));
	family(b, "sovd_policy_generation", "gauge", "The generation of the policy in force.");
	mp(b, "sovd_policy_generation %u\n", m->life->generation);
	family(b, "sovd_journal_failed", "gauge", "1 once the journal failed (sovd stops).");
	mp(b, "sovd_journal_failed %d\n", m->journal->failed);
	counter1(b, "sovd_journal_errors_total", "Journal write failures.", m->journal->errors);
	family(b, "sovd_records_total", "counter",
	       "Records through sovd's pipeline (the events of docs/events.md), by type.");
	for (size_t i = 0; i < sizeof(rec_types) / sizeof(rec_types[0]); i++)
		mp(b, "sovd_records_total{type=\"%s\"} %llu\n", rec_types[i],
		   (unsigned long long)m->records[i]);
	if (m->audit) {
		counter1(b, "sovd_tamper_total",
			 "Differences the self-audit found in sovd's links, pins, programs and policy maps (tamper events).",
			 m->audit->tamper_total);
		family(b, "sovd_audit_ok", "gauge",
		       "1 when the last self-audit found sovd's programs and maps as it left them.");
		mp(b, "sovd_audit_ok %d\n", !strcmp(selfaudit_state(m->audit), "enforcing"));
	}
	counter1(b, "sovd_egress_aggregated_total",
		 "Allowed flows reported in aggregate egress records (issue 14), not one record each.",
		 m->egress_aggregated);
	sinks(m, b);
	pools(m, b);
	prog_stats(m, b);
	family(b, "sovd_metrics_render_seconds_total", "counter",
	       "Time the event loop spent rendering the responses before this one.");
	mp(b, "sovd_metrics_render_seconds_total %llu.%09llu\n",
	   (unsigned long long)(m->render_ns / 1000000000ull),
	   (unsigned long long)(m->render_ns % 1000000000ull));
	counter1(b, "sovd_metrics_scrapes_total",
		 "Responses rendered before this one (a scrape within 100 ms of the last one gets it again).",
		 m->scrapes);
	if (b->oom)
		return NULL;
	h = snprintf(hdr, sizeof(hdr),
		     "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: %zu\r\n\r\n",
		     b->len - HDR);
	if (h < 0 || h >= HDR)
		return NULL;
	memcpy(b->s + HDR - h, hdr, (size_t)h);
	*len = b->len - HDR + (size_t)h;
	m->scrapes++;
	m->render_ns += (uint64_t)(host_now_ns(CLOCK_MONOTONIC) - t0);
	return b->s + HDR - h;
}

static void serve(struct metrics *m, struct conn *c)
{
	static const char err500[] = "HTTP/1.0 500 Internal Server Error\r\n\r\n";
	int64_t now = conn_now_ms();
	const char *r;

	if (m->resp_len && now - m->rendered_ms >= 0 && now - m->rendered_ms < METRICS_RENDER_MIN_MS) {
		conn_reply(&m->pool, c, m->out.s + m->resp_off, m->resp_len);
		return;
	}
	r = metrics_render(m, &m->resp_len);
	if (!r) {
		m->resp_len = 0;
		conn_reply(&m->pool, c, err500, sizeof(err500) - 1);
		return;
	}
	m->resp_off = (size_t)(r - m->out.s);
	m->rendered_ms = now;
	conn_reply(&m->pool, c, r, m->resp_len);
}

void metrics_on_listen(struct metrics *m)
{
	conn_pool_accept(&m->pool);
}

void metrics_on_conn(struct metrics *m, int fd, uint32_t events)
{
	struct conn *c = conn_pool_io(&m->pool, fd, events);

	if (c)
		serve(m, c);
}

void metrics_expire(struct metrics *m, int64_t now_ms)
{
	if (m->listen_fd >= 0)
		conn_pool_expire(&m->pool, now_ms);
}

/* FNV-1a over the three names of a series. */
static uint32_t series_hash(const char *verdict, const char *cls, const char *zone)
{
	const char *part[3] = { verdict, cls, zone };
	uint32_t h = 2166136261u;

	for (int i = 0; i < 3; i++) {
		for (const char *p = part[i]; *p; p++)
			h = (h ^ (uint8_t)*p) * 16777619u;
		h = (h ^ 0xff) * 16777619u;	/* "a","bc" is not "ab","c" */
	}
	return h;
}

/* a power of two, at least twice the series: a probe always ends */
#define METRICS_INDEX_SIZE	32768
_Static_assert((METRICS_INDEX_SIZE & (METRICS_INDEX_SIZE - 1)) == 0 &&
	       METRICS_INDEX_SIZE >= 2 * METRICS_MAX_SERIES, "index size");

/* Adds n to {verdict, cls, zone}; its series is made on first use. */
static void series_add(struct metrics *m, const char *verdict, const char *cls,
		       const char *zone, uint64_t n)
{
	uint32_t i = series_hash(verdict, cls, zone) & (METRICS_INDEX_SIZE - 1);
	struct metrics_series *s;

	if (!m->index) {
		m->index = calloc(METRICS_INDEX_SIZE, sizeof(*m->index));
		m->series = calloc(METRICS_MAX_SERIES, sizeof(*m->series));
		if (!m->index || !m->series) {
			free(m->index);
			free(m->series);
			m->index = NULL;
			m->series = NULL;
			m->series_full += n;
			return;
		}
	}
	for (;; i = (i + 1) & (METRICS_INDEX_SIZE - 1)) {
		if (!m->index[i])
			break;
		s = &m->series[m->index[i] - 1];
		if (s->verdict == verdict && !strcmp(s->class_name, cls) && !strcmp(s->zone, zone)) {
			s->n += n;
			return;
		}
	}
	if (m->n_series >= METRICS_MAX_SERIES) {
		m->series_full += n;
		return;
	}
	s = &m->series[m->n_series];
	s->class_name = strdup(cls);
	s->zone = strdup(zone);
	if (!s->class_name || !s->zone) {
		free(s->class_name);
		free(s->zone);
		s->class_name = s->zone = NULL;
		m->series_full += n;
		return;
	}
	s->verdict = verdict;
	s->n = n;
	m->index[i] = ++m->n_series;
}

/*
 * An egress record's decision, once for each class it involves: the
 * classes a deny or an audit violates (the reason for the verdict), all
 * the process's classes for an allow. An aggregate record stands for
 * agg_count allowed flows (issue 14); the key's first flow was its own
 * record. So every decision the kernel counts is counted here once its
 * record arrives: the sums by verdict follow sovd_kernel_decisions_total
 * (for one class a decision) except for lost events, and for RDMA devices
 * held at taint time, which sovd audits itself (pipeline.c).
 */
static void count_decision(struct metrics *m, const struct sovd_event *ev)
{
	const char *verdict = !strcmp(ev->verdict, "deny") ? rec_deny :
			      !strcmp(ev->verdict, "audit") ? rec_audit : rec_allow;
	uint64_t n = ev->has_agg ? ev->agg_count : 1;
	uint64_t mask = verdict != rec_allow && ev->violated ? ev->violated : ev->classes;
	const char *zone = ev->zone ? ev->zone : "unknown";

	if (!mask) {
		series_add(m, verdict, "none", zone, n);
		return;
	}
	for (int bit = 0; bit < SOV_MAX_CLASSES; bit++) {
		const char *name;

		if (!(mask & (1ull << bit)))
			continue;
		name = ev->policy && ev->policy->class_name[bit] ? ev->policy->class_name[bit] :
								   "unknown";
		series_add(m, verdict, name, zone, n);
	}
}

static void count(void *ctx, struct sovd_event *ev)
{
	struct metrics *m = ctx;
	size_t i;

	for (i = 0; i < sizeof(rec_types) / sizeof(rec_types[0]) - 1; i++)
		if (!strcmp(ev->type, rec_types[i]))
			break;
	m->records[i]++;
	if (ev->has_agg)
		m->egress_aggregated += ev->agg_count;
	/* without --metrics nobody reads them: no series table */
	if (ev->has_dst && ev->verdict && m->listen_fd >= 0)
		count_decision(m, ev);
}

struct sovd_sink metrics_sink(struct metrics *m)
{
	return (struct sovd_sink){ .name = "metrics", .emit = count, .ctx = m };
}

void metrics_close(struct metrics *m)
{
	if (m->listen_fd < 0)
		return;
	conn_pool_close(&m->pool);
	close(m->listen_fd);
	m->listen_fd = -1;
	for (uint32_t i = 0; i < m->n_series; i++) {
		free(m->series[i].class_name);
		free(m->series[i].zone);
	}
	free(m->series);
	free(m->index);
	m->series = NULL;
	m->index = NULL;
	m->n_series = 0;
	jb_free(&m->out);
}
