/* SPDX-License-Identifier: Apache-2.0 */
/*
 * enforce: micro-benchmarks of the system calls sovd hooks, run by
 * tools/bench/enforce.sh once without and once with sovd attached.
 *
 *   enforce serve ADDR PORT SECONDS        accept-and-close loop
 *   enforce connect ADDR PORT N [TAINT]    ns per connect()
 *   enforce open PATH N [TAINT]            ns per open()+close()
 *   enforce open-creat PATH N              ns per open(O_WRONLY|O_CREAT)+close()
 *   enforce open-trunc PATH N              ns per open(O_WRONLY|O_CREAT|O_TRUNC)+close()
 *                                          (issue 11: the creation walk)
 *   enforce getppid N                      ns per getppid()
 *   enforce socket FAMILY N [TAINT]        ns per socket()+close(): FAMILY
 *                                          udp (the owner record), ping
 *                                          (a channel: its verdict when tainted)
 *   enforce udp ADDR PORT N [TAINT]        ns per send() of a 64-byte datagram
 *                                          on a connected UDP socket: one packet
 *                                          through cgroup_skb/egress each
 *   enforce write PATH N [TAINT]           ns per write() of 64 bytes (PATH:
 *                                          /dev/null): a send-capable syscall
 *                                          that is not a socket
 *   enforce recvfd N [FILE]                ns per sendmsg()+recvmsg() of a
 *                                          1-byte datagram on an AF_UNIX pair,
 *                                          carrying an fd of FILE (SCM_RIGHTS,
 *                                          then closed) when given, else no
 *                                          control data (issue 11)
 *   enforce pipe N [TAINT]                 ns per write()+read() of 1 byte
 *                                          through a pipe (issue 11: the IPC
 *                                          programs of bpf/ipc.bpf.h)
 *   enforce shards DIR N                   creates DIR/shard-NNNNN, N files of
 *                                          64 KiB (the loader's data set)
 *   enforce loader DIR N ADDR PORT C       the GPU data-loader workload (issue
 *                                          14): open and read N shards, then C
 *                                          connects to ADDR:PORT; prints the
 *                                          wall time in ns
 *   enforce flood RATE SECONDS PROCS TAINT denies at RATE/s for SECONDS (issue
 *                                          14, pipeline_lossless): PROCS
 *                                          children, each tainted by TAINT,
 *                                          UDP-connect to distinct addresses of
 *                                          10.20.0.0/16 (the "us" zone); prints
 *                                          nothing a tainted process produced
 *
 * TAINT is a file read once before measuring, so the process measures as a
 * tainted one (with a labelled file, once sovd runs). Each command prints
 * "<what> <ns/op>".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int taint_with(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		fprintf(stderr, "enforce: failed to open %s: %s\n", path, strerror(errno));
		return -errno;
	}
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	return 0;
}

static int make_addr(const char *addr, const char *port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(atoi(port));
	if (inet_pton(AF_INET, addr, &sa->sin_addr) != 1) {
		fprintf(stderr, "enforce: bad IPv4 address %s\n", addr);
		return -EINVAL;
	}
	return 0;
}

static int serve(const char *addr, const char *port, long seconds)
{
	struct sockaddr_in sa;
	int fd, one = 1;
	double end;

	if (make_addr(addr, port, &sa))
		return 2;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4096)) {
		fprintf(stderr, "enforce: failed to listen on %s:%s: %s\n", addr, port,
			strerror(errno));
		return 2;
	}
	printf("serve %s:%s ready\n", addr, port);
	fflush(stdout);
	end = now_ns() + seconds * 1e9;
	while (now_ns() < end) {
		int c = accept(fd, NULL, NULL);

		if (c >= 0)
			close(c);
	}
	close(fd);
	return 0;
}

static int bench_connect(const char *addr, const char *port, long n)
{
	struct linger lin = { .l_onoff = 1, .l_linger = 0 };
	struct sockaddr_in sa;
	double total = 0, t0;
	long i;

	if (make_addr(addr, port, &sa))
		return 2;
	for (i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0) {
			fprintf(stderr, "enforce: failed to create socket: %s\n", strerror(errno));
			return 2;
		}
		t0 = now_ns();
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			fprintf(stderr, "enforce: failed to connect to %s:%s: %s\n", addr, port,
				strerror(errno));
			close(fd);
			return 2;
		}
		total += now_ns() - t0;
		/* RST instead of FIN: no TIME_WAIT pile-up over thousands of runs. */
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
		close(fd);
	}
	printf("connect %.0f\n", total / n);
	return 0;
}

static int bench_open(const char *path, long n, int flags)
{
	double t0;
	long i;

	t0 = now_ns();
	for (i = 0; i < n; i++) {
		int fd = open(path, flags, 0644);

		if (fd < 0) {
			fprintf(stderr, "enforce: failed to open %s: %s\n", path, strerror(errno));
			return 2;
		}
		close(fd);
	}
	printf("open %.0f\n", (now_ns() - t0) / n);
	return 0;
}

static int bench_getppid(long n)
{
	double t0;
	long i;

	t0 = now_ns();
	/* syscall() rather than getppid(): no libc may answer from a cache. */
	for (i = 0; i < n; i++)
		syscall(SYS_getppid);
	printf("getppid %.1f\n", (now_ns() - t0) / n);
	return 0;
}

static int bench_socket(const char *family, long n)
{
	int type = SOCK_DGRAM, proto = 0;
	double t0;
	long i;

	if (!strcmp(family, "ping"))
		proto = IPPROTO_ICMP;
	else if (strcmp(family, "udp")) {
		fprintf(stderr, "enforce: socket family %s: udp or ping\n", family);
		return 2;
	}
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		int fd = socket(AF_INET, type, proto);

		if (fd < 0) {
			fprintf(stderr, "enforce: failed to create a %s socket: %s\n", family,
				strerror(errno));
			return 2;
		}
		close(fd);
	}
	printf("socket %.0f\n", (now_ns() - t0) / n);
	return 0;
}

static int bench_udp(const char *addr, const char *port, long n)
{
	struct sockaddr_in sa;
	char buf[64] = "sovd bench datagram";
	double t0;
	long i;
	int fd;

	if (make_addr(addr, port, &sa))
		return 2;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "enforce: failed to connect UDP to %s:%s: %s\n", addr, port,
			strerror(errno));
		return 2;
	}
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		/* ECONNREFUSED from an earlier ICMP error is not a failure here:
		 * the datagram was still built and passed the egress hooks. */
		if (send(fd, buf, sizeof(buf), 0) < 0 && errno != ECONNREFUSED) {
			fprintf(stderr, "enforce: send to %s:%s failed: %s\n", addr, port,
				strerror(errno));
			close(fd);
			return 2;
		}
	}
	printf("udp %.0f\n", (now_ns() - t0) / n);
	close(fd);
	return 0;
}

static int bench_write(const char *path, long n)
{
	char buf[64] = { 0 };
	double t0;
	long i;
	int fd = open(path, O_WRONLY);

	if (fd < 0) {
		fprintf(stderr, "enforce: failed to open %s: %s\n", path, strerror(errno));
		return 2;
	}
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		if (write(fd, buf, sizeof(buf)) < 0) {
			fprintf(stderr, "enforce: write to %s failed: %s\n", path, strerror(errno));
			close(fd);
			return 2;
		}
	}
	printf("write %.1f\n", (now_ns() - t0) / n);
	close(fd);
	return 0;
}

/* issue 11: the recvmsg exit of the tracing path (bench-recv) */
static int bench_recvfd(long n, const char *path)
{
	union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } sc, rc;
	char b = 'x';
	struct iovec iov = { .iov_base = &b, .iov_len = 1 };
	struct msghdr sm = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct msghdr rm = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	int sv[2], fd = -1, got;
	double t0;
	long i;

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv)) {
		fprintf(stderr, "enforce: socketpair: %s\n", strerror(errno));
		return 2;
	}
	if (path) {
		fd = open(path, O_RDONLY);
		if (fd < 0) {
			fprintf(stderr, "enforce: failed to open %s: %s\n", path, strerror(errno));
			return 2;
		}
		memset(&sc, 0, sizeof(sc));
		sm.msg_control = sc.buf;
		sm.msg_controllen = sizeof(sc.buf);
		cm = CMSG_FIRSTHDR(&sm);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		rm.msg_control = rc.buf;
		rm.msg_controllen = sizeof(rc.buf);
		if (sendmsg(sv[0], &sm, 0) != 1 || recvmsg(sv[1], &rm, 0) != 1) {
			fprintf(stderr, "enforce: sendmsg/recvmsg: %s\n", strerror(errno));
			return 2;
		}
		cm = CMSG_FIRSTHDR(&rm);
		if (cm && cm->cmsg_type == SCM_RIGHTS) {
			memcpy(&got, CMSG_DATA(cm), sizeof(int));
			close(got);
		}
	}
	printf("recvfd %.1f\n", (now_ns() - t0) / n);
	close(sv[0]);
	close(sv[1]);
	if (fd >= 0)
		close(fd);
	return 0;
}

/* issue 11: the IPC write entry and read exit (bench-ipc) */
static int bench_pipe(long n)
{
	char b = 'x';
	int p[2];
	double t0;
	long i;

	if (pipe(p)) {
		fprintf(stderr, "enforce: pipe: %s\n", strerror(errno));
		return 2;
	}
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		if (write(p[1], &b, 1) != 1 || read(p[0], &b, 1) != 1) {
			fprintf(stderr, "enforce: pipe write/read: %s\n", strerror(errno));
			return 2;
		}
	}
	printf("pipe %.1f\n", (now_ns() - t0) / n);
	close(p[0]);
	close(p[1]);
	return 0;
}

/* issue 14: the loader's data set, written by an untainted process */
static int make_shards(const char *dir, long n)
{
	static char buf[64 << 10];
	char path[4096];
	long i;

	memset(buf, 'x', sizeof(buf));
	for (i = 0; i < n; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/shard-%05ld", dir, i);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
			fprintf(stderr, "enforce: failed to write %s: %s\n", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return 2;
		}
		close(fd);
	}
	return 0;
}

/* issue 14: open and read N labelled 64 KiB shards, then C connects to an
 * allowed zone (the process is tainted from the first shard on). */
static int loader(const char *dir, long n, const char *addr, const char *port, long c)
{
	static char buf[64 << 10];
	struct linger lin = { .l_onoff = 1, .l_linger = 0 };
	struct sockaddr_in sa;
	char path[4096];
	double t0;
	long i;

	if (make_addr(addr, port, &sa))
		return 2;
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/shard-%05ld", dir, i);
		fd = open(path, O_RDONLY);
		if (fd < 0) {
			fprintf(stderr, "enforce: failed to open %s: %s\n", path, strerror(errno));
			return 2;
		}
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
	for (i = 0; i < c; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			fprintf(stderr, "enforce: failed to connect to %s:%s: %s\n", addr, port,
				strerror(errno));
			return 2;
		}
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
		close(fd);
	}
	printf("loader %.0f\n", now_ns() - t0);
	return 0;
}

/* One flood child: UDP connect()s to distinct 10.20.x.y:port destinations,
 * paced to `rate` per second. A connect the policy refuses fails at once
 * (cgroup/connect4 or lsm/socket_connect) and is one deny event; nothing
 * is sent. */
static void flood_child(int idx, double rate, double seconds, const char *taint)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	double t0, t, elapsed;
	unsigned long k = 0;
	int fd;

	if (taint_with(taint))
		_exit(2);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		_exit(2);
	t0 = now_ns();
	for (;;) {
		t = now_ns();
		elapsed = (t - t0) / 1e9;
		if (elapsed >= seconds)
			break;
		if (k >= elapsed * rate) {
			struct timespec ts = { 0, 50000 };

			nanosleep(&ts, NULL);
			continue;
		}
		/* A burst of up to 64 between clock reads. */
		for (int b = 0; b < 64 && k < elapsed * rate + 64; b++, k++) {
			sa.sin_addr.s_addr = htonl(0x0a140000u | (k & 0xffff));
			sa.sin_port = htons(1024 + (idx * 977 + (k >> 16)) % 60000);
			connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		}
	}
	_exit(0);
}

static int flood(double rate, double seconds, int procs, const char *taint)
{
	int i, st, ret = 0;

	if (procs < 1 || rate <= 0) {
		fprintf(stderr, "enforce: flood needs RATE > 0 and PROCS >= 1\n");
		return 2;
	}
	fflush(stdout);
	for (i = 0; i < procs; i++) {
		pid_t p = fork();

		if (p < 0) {
			fprintf(stderr, "enforce: fork: %s\n", strerror(errno));
			return 2;
		}
		if (p == 0)
			flood_child(i, rate / procs, seconds, taint);
	}
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			ret = 2;
	return ret;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "serve"))
		return serve(argv[2], argv[3], atol(argv[4]));
	if (argc >= 5 && !strcmp(argv[1], "connect")) {
		if (argc > 5 && taint_with(argv[5]))
			return 2;
		return bench_connect(argv[2], argv[3], atol(argv[4]));
	}
	if (argc >= 4 && !strcmp(argv[1], "open")) {
		if (argc > 4 && taint_with(argv[4]))
			return 2;
		return bench_open(argv[2], atol(argv[3]), O_RDONLY);
	}
	if (argc >= 4 && !strcmp(argv[1], "open-creat"))
		return bench_open(argv[2], atol(argv[3]), O_WRONLY | O_CREAT);
	if (argc >= 4 && !strcmp(argv[1], "open-trunc"))
		return bench_open(argv[2], atol(argv[3]), O_WRONLY | O_CREAT | O_TRUNC);
	if (argc >= 3 && !strcmp(argv[1], "getppid"))
		return bench_getppid(atol(argv[2]));
	if (argc >= 4 && !strcmp(argv[1], "socket")) {
		if (argc > 4 && taint_with(argv[4]))
			return 2;
		return bench_socket(argv[2], atol(argv[3]));
	}
	if (argc >= 5 && !strcmp(argv[1], "udp")) {
		if (argc > 5 && taint_with(argv[5]))
			return 2;
		return bench_udp(argv[2], argv[3], atol(argv[4]));
	}
	if (argc >= 4 && !strcmp(argv[1], "write")) {
		if (argc > 4 && taint_with(argv[4]))
			return 2;
		return bench_write(argv[2], atol(argv[3]));
	}
	if (argc >= 3 && !strcmp(argv[1], "recvfd"))
		return bench_recvfd(atol(argv[2]), argc > 3 ? argv[3] : NULL);
	if (argc >= 3 && !strcmp(argv[1], "pipe")) {
		if (argc > 3 && taint_with(argv[3]))
			return 2;
		return bench_pipe(atol(argv[2]));
	}
	/* issue 14 (make bench) */
	if (argc >= 4 && !strcmp(argv[1], "shards"))
		return make_shards(argv[2], atol(argv[3]));
	if (argc >= 7 && !strcmp(argv[1], "loader"))
		return loader(argv[2], atol(argv[3]), argv[4], argv[5], atol(argv[6]));
	if (argc >= 6 && !strcmp(argv[1], "flood"))
		return flood(atof(argv[2]), atof(argv[3]), atoi(argv[4]), argv[5]);
	fprintf(stderr,
		"usage: enforce serve ADDR PORT SECONDS\n"
		"       enforce connect ADDR PORT N [TAINT_FILE]\n"
		"       enforce open PATH N [TAINT_FILE]\n"
		"       enforce open-creat PATH N\n"
		"       enforce open-trunc PATH N\n"
		"       enforce getppid N\n"
		"       enforce socket udp|ping N [TAINT_FILE]\n"
		"       enforce udp ADDR PORT N [TAINT_FILE]\n"
		"       enforce write PATH N [TAINT_FILE]\n"
		"       enforce recvfd N [FILE]\n"
		"       enforce pipe N [TAINT_FILE]\n"
		"       enforce shards DIR N\n"
		"       enforce loader DIR N ADDR PORT CONNECTS\n"
		"       enforce flood RATE SECONDS PROCS TAINT_FILE\n");
	return 2;
}
