// SPDX-License-Identifier: Apache-2.0
/*
 * Clients of sovd's sockets for tests/agent/sockets.t:
 *   clients burst unix:PATH N        N simultaneous non-blocking connects;
 *                                    prints "connected=X eagain=Y other=Z"
 *   clients hold ADDR N MS [TEXT]    N connections that send nothing (or
 *                                    only TEXT) and read nothing, for MS
 *                                    ms (0: until killed); prints
 *                                    "holding N" once all are open
 *   clients request ADDR TEXT        sends TEXT, prints the whole answer;
 *                                    "elapsed_ms=N" on stderr
 * ADDR is unix:PATH or tcp:IPV4:PORT. Exit 0 when everything worked.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

static int open_addr(const char *addr, int flags)
{
	struct sockaddr_storage ss = {};
	socklen_t len;
	int fd;

	if (!strncmp(addr, "unix:", 5)) {
		struct sockaddr_un *su = (struct sockaddr_un *)&ss;

		su->sun_family = AF_UNIX;
		snprintf(su->sun_path, sizeof(su->sun_path), "%s", addr + 5);
		len = sizeof(*su);
	} else if (!strncmp(addr, "tcp:", 4)) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		char host[64];
		const char *colon = strrchr(addr + 4, ':');

		if (!colon)
			return -EINVAL;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - addr - 4), addr + 4);
		s4->sin_family = AF_INET;
		s4->sin_port = htons(atoi(colon + 1));
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return -EINVAL;
		len = sizeof(*s4);
	} else {
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "burst")) {
		int n = atoi(argv[3]), ok = 0, eagain = 0, other = 0;
		int *fds = calloc(n, sizeof(int));

		for (int i = 0; i < n; i++) {
			fds[i] = open_addr(argv[2], SOCK_NONBLOCK);
			if (fds[i] >= 0)
				ok++;
			else if (fds[i] == -EAGAIN)
				eagain++;
			else
				other++;
		}
		printf("connected=%d eagain=%d other=%d\n", ok, eagain, other);
		for (int i = 0; i < n; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		return ok == n ? 0 : 1;
	}
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "hold")) {
		int n = atoi(argv[3]), ms = atoi(argv[4]);
		int *fds = calloc(n, sizeof(int));

		for (int i = 0; i < n; i++) {
			fds[i] = open_addr(argv[2], 0);
			if (fds[i] < 0) {
				printf("connection %d of %d failed: %s\n", i + 1, n, strerror(-fds[i]));
				return 1;
			}
			if (argc == 6 && write(fds[i], argv[5], strlen(argv[5])) != (ssize_t)strlen(argv[5])) {
				printf("connection %d of %d: send failed\n", i + 1, n);
				return 1;
			}
		}
		printf("holding %d\n", n);
		fflush(stdout);
		if (!ms)
			for (;;)
				pause();
		usleep(ms * 1000);
		for (int i = 0; i < n; i++)
			close(fds[i]);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "request")) {
		int64_t t0 = now_ms();
		char buf[65536];
		ssize_t r;
		int fd = open_addr(argv[2], 0);

		if (fd < 0) {
			fprintf(stderr, "connect %s: %s\n", argv[2], strerror(-fd));
			return 1;
		}
		/* sovd may answer and close before all of it is sent (a
		 * request too long): what it answered is read all the same. */
		signal(SIGPIPE, SIG_IGN);
		if (write(fd, argv[3], strlen(argv[3])) == (ssize_t)strlen(argv[3]))
			(void)!write(fd, "\n", 1);
		while ((r = read(fd, buf, sizeof(buf))) > 0)
			fwrite(buf, 1, r, stdout);
		close(fd);
		fprintf(stderr, "elapsed_ms=%lld\n", (long long)(now_ms() - t0));
		return r < 0;
	}
	fprintf(stderr, "usage: clients burst|hold|request ... (see tests/agent/clients.c)\n");
	return 2;
}
