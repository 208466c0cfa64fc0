// SPDX-License-Identifier: Apache-2.0
/*
 * The events file and syslog sinks (issue 16) without a kernel: rotation
 * at line boundaries with logrotate's numbering; the RFC 5424 message
 * (PRI by facility and severity, six-digit timestamp, MSGID, the line as
 * MSG); --syslog forms; datagrams to a Unix socket and octet-counted
 * frames over TCP, both through real sockets; a full buffer drops and
 * counts instead of blocking. No root needed.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "agent/events_file.h"
#include "agent/ndjson.h"
#include "agent/syslog_out.h"
#include "tests/lib/tap.h"

/* A record as the pipeline hands it to the sinks (line not rendered). */
static struct sovd_event event(const char *type, const char *verdict, uint32_t pid)
{
	struct sovd_event ev = {
		.type = type, .wall_ns = 1764691200123456789ll, .pid = pid, .tid = pid,
		.exe = "", .cgroup = "/", .host = "h1", .body = "",
	};

	strcpy(ev.comm, "t");
	if (verdict) {
		ev.has_dst = 1;
		ev.verdict = verdict;
		ev.proto = "tcp";
		ev.dst = "192.0.2.1";
		ev.zone = "unknown";
		ev.hook = "connect";
	}
	return ev;
}

static size_t file_size(const char *p)
{
	struct stat st;

	return stat(p, &st) ? (size_t)-1 : (size_t)st.st_size;
}

static void test_rotation(const char *dir)
{
	struct events_file f = { .keep = 2 };
	struct sovd_sink s = events_file_sink(&f);
	char path[256], p1[300], p2[300], p3[300];
	struct sovd_event ev = event("agent", NULL, 1);
	size_t len;

	snprintf(path, sizeof(path), "%s/ev", dir);
	snprintf(p1, sizeof(p1), "%s.1", path);
	snprintf(p2, sizeof(p2), "%s.2", path);
	snprintf(p3, sizeof(p3), "%s.3", path);
	ndjson_line(&ev, &len);
	/* room for two lines and a half: each file takes two */
	f.max_size = len * 5 / 2;
	if (!ASSERT_OK(events_file_open(&f, path), "open the events file"))
		return;
	for (int i = 0; i < 9; i++) {
		struct sovd_event e = event("agent", NULL, 1);

		s.emit(s.ctx, &e);
		s.flush(s.ctx);
	}
	events_file_close(&f);
	/* 9 lines: FILE has 1, FILE.1 2, FILE.2 2, the 4 older ones gone */
	ASSERT_EQ(file_size(path), len, "FILE holds the newest line");
	ASSERT_EQ(file_size(p1), 2 * len, "FILE.1 holds two whole lines");
	ASSERT_EQ(file_size(p2), 2 * len, "FILE.2 holds two whole lines");
	ASSERT_EQ(file_size(p3), (size_t)-1, "no FILE.3 with --events-keep 2");
	ASSERT_EQ(f.rotations, 4, "four rotations");
	ASSERT_EQ(f.lines, 9, "nine lines written");
	ASSERT_EQ(f.dropped, 0, "none dropped");
}

/* /dev/null with a size limit: never renamed away. */
static void test_not_regular(void)
{
	struct events_file f = { .max_size = 10, .keep = 1 };
	struct sovd_sink s = events_file_sink(&f);
	struct stat st;

	if (!ASSERT_OK(events_file_open(&f, "/dev/null"), "open /dev/null"))
		return;
	for (int i = 0; i < 3; i++) {
		struct sovd_event e = event("agent", NULL, 1);

		s.emit(s.ctx, &e);
	}
	events_file_close(&f);
	ASSERT_TRUE(!stat("/dev/null", &st) && S_ISCHR(st.st_mode) && !f.rotations &&
		    f.lines == 3, "/dev/null is not rotated");
}

static void test_sizes(void)
{
	uint64_t v = 0;

	ASSERT_TRUE(!events_file_parse_size("100M", &v) && v == 100ull << 20, "100M");
	ASSERT_TRUE(!events_file_parse_size("4096", &v) && v == 4096, "4096 bytes");
	ASSERT_TRUE(events_file_parse_size("10X", &v) < 0, "10X is refused");
	ASSERT_TRUE(events_file_parse_size("0", &v) < 0, "0 is refused");
	ASSERT_TRUE(events_file_parse_size("-1M", &v) < 0, "-1M is refused");
}

static void test_parse(void)
{
	struct syslog_out s = {};
	char why[256];

	ASSERT_OK(syslog_out_parse(&s, "local", why, sizeof(why)), "local");
	ASSERT_TRUE(s.kind == SYSLOG_UNIX &&
		    !strcmp(((struct sockaddr_un *)&s.addr)->sun_path, "/dev/log"),
		    "local is the datagram socket /dev/log");
	ASSERT_OK(syslog_out_parse(&s, "tcp://127.0.0.1:514", why, sizeof(why)), "tcp://");
	ASSERT_TRUE(s.kind == SYSLOG_TCP && s.addr.ss_family == AF_INET &&
		    ntohs(((struct sockaddr_in *)&s.addr)->sin_port) == 514, "tcp://127.0.0.1:514");
	ASSERT_OK(syslog_out_parse(&s, "tls://[::1]:6514", why, sizeof(why)), "tls://[::1]");
	ASSERT_TRUE(s.kind == SYSLOG_TLS && s.addr.ss_family == AF_INET6 &&
		    !strcmp(s.host, "::1"), "tls://[::1]:6514 checks the name ::1");
	ASSERT_TRUE(syslog_out_parse(&s, "udp://127.0.0.1:514", why, sizeof(why)) < 0,
		    "udp:// is refused");
	ASSERT_STRSTR(why, "tcp://HOST:PORT", "and the error names the forms");
	ASSERT_TRUE(syslog_out_parse(&s, "tcp://127.0.0.1", why, sizeof(why)) < 0, "no port");
	ASSERT_TRUE(syslog_out_parse(&s, "tcp://127.0.0.1:0", why, sizeof(why)) < 0, "port 0");
	ASSERT_TRUE(syslog_out_parse(&s, "tcp://127.0.0.1:65536", why, sizeof(why)) < 0,
		    "port 65536");
	ASSERT_TRUE(syslog_out_parse(&s, "tls://[::1:6514", why, sizeof(why)) < 0,
		    "an unclosed bracket");
	ASSERT_TRUE(syslog_out_parse(&s, "unix:", why, sizeof(why)) < 0, "unix: without a path");
	ASSERT_EQ(syslog_out_facility("daemon"), 3, "daemon is 3");
	ASSERT_EQ(syslog_out_facility("local7"), 23, "local7 is 23");
	ASSERT_EQ(syslog_out_facility("kern"), -1, "kern is refused");
}

static void test_format(void)
{
	struct syslog_out s = { .facility = 3 };
	struct sovd_event ev;
	char m[2048], want[128];
	const char *msg;
	size_t n;

	snprintf(want, sizeof(want), "<28>1 2025-12-02T16:00:00.123456Z h1 sovd %d egress - {",
		 (int)getpid());
	ev = event("egress", "deny", 7);
	n = syslog_out_format(&s, &ev, m, sizeof(m));
	ASSERT_TRUE(n && !strncmp(m, want, strlen(want)), "deny: <28> (daemon, warning), header");
	if (n && strncmp(m, want, strlen(want)))
		printf("#   got \"%.120s\"\n", m);
	msg = strchr(m, '{');
	ASSERT_TRUE(n && msg && ev.line && strlen(msg) == ev.line_len - 1 &&
		    !strncmp(msg, ev.line, ev.line_len - 1), "MSG is the line without its newline");
	ev = event("egress", "audit", 7);
	syslog_out_format(&s, &ev, m, sizeof(m));
	ASSERT_TRUE(!strncmp(m, "<29>1 ", 6), "audit: notice");
	ev = event("egress", "allow", 7);
	syslog_out_format(&s, &ev, m, sizeof(m));
	ASSERT_TRUE(!strncmp(m, "<30>1 ", 6), "allow: informational");
	ev = event("tamper", NULL, 7);
	syslog_out_format(&s, &ev, m, sizeof(m));
	ASSERT_TRUE(!strncmp(m, "<26>1 ", 6), "tamper: critical");
	ev = event("loss", NULL, 7);
	syslog_out_format(&s, &ev, m, sizeof(m));
	ASSERT_TRUE(!strncmp(m, "<27>1 ", 6), "loss: error");
	s.facility = 16;
	ev = event("egress", "deny", 7);
	syslog_out_format(&s, &ev, m, sizeof(m));
	ASSERT_TRUE(!strncmp(m, "<132>1 ", 7), "local0 deny: <132>");
}

/* Datagrams to a Unix socket; with nobody there, drops beyond the bound. */
static void test_unix(const char *dir)
{
	struct syslog_out s = { .facility = 3, .cap = 4096 };
	struct sovd_sink k;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char spec[300], why[256], m[4096];
	int fd;
	ssize_t n;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s/log.sock", dir);
	snprintf(spec, sizeof(spec), "unix:%s", a.sun_path);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (!ASSERT_OK(bind(fd, (struct sockaddr *)&a, sizeof(a)), "bind a datagram socket"))
		return;
	ASSERT_OK(syslog_out_parse(&s, spec, why, sizeof(why)), "unix:PATH");
	ASSERT_OK(syslog_out_open(&s), "open the syslog sink");
	k = syslog_out_sink(&s);
	for (uint32_t i = 1; i <= 3; i++) {
		struct sovd_event ev = event("taint", NULL, i);

		k.emit(k.ctx, &ev);
	}
	k.flush(k.ctx);
	n = recv(fd, m, sizeof(m) - 1, MSG_DONTWAIT);
	m[n > 0 ? n : 0] = '\0';
	ASSERT_TRUE(n > 0 && !strncmp(m, "<30>1 ", 6) && strstr(m, "\"pid\":1,") &&
		    m[n - 1] == '}', "one message per datagram, no framing, no newline");
	ASSERT_TRUE(recv(fd, m, sizeof(m), MSG_DONTWAIT) > 0 &&
		    recv(fd, m, sizeof(m), MSG_DONTWAIT) > 0, "the next two");
	ASSERT_EQ(s.sent, 3, "three sent");
	/* the collector goes: messages wait, up to the bound, then drop */
	close(fd);
	unlink(a.sun_path);
	for (uint32_t i = 0; i < 40; i++) {
		struct sovd_event ev = event("taint", NULL, i);

		k.emit(k.ctx, &ev);
		k.flush(k.ctx);
	}
	ASSERT_TRUE(s.dropped > 0 && s.dropped < 40, "beyond 4 KiB: dropped and counted");
	printf("# dropped %llu of 40\n", (unsigned long long)s.dropped);
	syslog_out_close(&s, 0);
}

/* TCP: "LEN SP MSG" frames, LEN the MSG's bytes. */
static void test_tcp(void)
{
	struct syslog_out s = { .facility = 3 };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	char spec[64], why[256], buf[8192];
	struct sovd_sink k;
	int l = socket(AF_INET, SOCK_STREAM, 0), c = -1;
	size_t got = 0;
	unsigned len = 0;
	int off = 0;

	if (!ASSERT_OK(bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
		       getsockname(l, (struct sockaddr *)&a, &al), "listen on 127.0.0.1"))
		return;
	snprintf(spec, sizeof(spec), "tcp://127.0.0.1:%u", ntohs(a.sin_port));
	ASSERT_OK(syslog_out_parse(&s, spec, why, sizeof(why)), "tcp://127.0.0.1:PORT");
	ASSERT_OK(syslog_out_open(&s), "open the syslog sink");
	k = syslog_out_sink(&s);
	for (uint32_t i = 1; i <= 2; i++) {
		struct sovd_event ev = event("egress", "deny", i);

		k.emit(k.ctx, &ev);
	}
	/* connect, then send: a few steps of the loop */
	for (int i = 0; i < 100 && s.sent < 2; i++) {
		struct pollfd p = { .fd = l, .events = POLLIN };

		k.flush(k.ctx);
		if (c < 0 && poll(&p, 1, 10) > 0)
			c = accept(l, NULL, NULL);
	}
	ASSERT_EQ(s.sent, 2, "both messages sent");
	while (c >= 0 && got < sizeof(buf) - 1) {
		struct pollfd p = { .fd = c, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 200) <= 0)
			break;
		n = recv(c, buf + got, sizeof(buf) - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
		if (sscanf(buf, "%u %n", &len, &off) == 1 && got >= (size_t)off + len) {
			char *next = buf + off + len;
			unsigned len2;
			int off2;

			if (sscanf(next, "%u %n", &len2, &off2) == 1 &&
			    got == (size_t)(next - buf) + off2 + len2)
				break;
		}
	}
	ASSERT_TRUE(len && !strncmp(buf + off, "<28>1 ", 6) && buf[off + len - 1] == '}',
		    "octet counting: LEN SP MSG, MSG ends with the line's }");
	ASSERT_TRUE(len && buf[off + len] >= '1' && buf[off + len] <= '9',
		    "the next frame starts right after");
	syslog_out_close(&s, 100);
	if (c >= 0)
		close(c);
	close(l);
}

int main(void)
{
	char dir[] = "/tmp/sov-evout.XXXXXX";
	char cmd[64];

	if (!mkdtemp(dir))
		return 1;
	test_sizes();
	test_rotation(dir);
	test_not_regular();
	test_parse();
	test_format();
	test_unix(dir);
	test_tcp();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		printf("# failed to remove %s\n", dir);
	return tap_done();
}
