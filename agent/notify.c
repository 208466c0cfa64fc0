// SPDX-License-Identifier: Apache-2.0
/*
 * sd_notify(3) without libsystemd: one AF_UNIX datagram of "NAME=VALUE"
 * lines to $NOTIFY_SOCKET (a path, or an abstract name written with a
 * leading '@'). systemd documents this protocol as stable and meant to be
 * reimplemented; linking libsystemd for one sendto() would load its
 * dependencies (lz4, zstd, lzma, gcrypt, libcap) into a root daemon, and the
 * arm64 sysroot and the VM guests' initramfs would have to carry them all.
 * Called by main.c only; calls log.c.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "agent/log.h"
#include "agent/notify.h"

static int notify_fd = -1;
static struct sockaddr_un notify_addr;
static socklen_t notify_len;
static int notify_warned;

int notify_open(void)
{
	const char *e = getenv("NOTIFY_SOCKET");
	size_t n;

	if (!e || !*e)
		return 0;
	n = strlen(e);
	if ((e[0] != '/' && e[0] != '@') || n < 2 || n >= sizeof(notify_addr.sun_path)) {
		/* vsock: (systemd 254) and anything else: not ours to guess */
		pr_warn("NOTIFY_SOCKET=%s is not a socket path or abstract name: no readiness notification", e);
		unsetenv("NOTIFY_SOCKET");
		return -EINVAL;
	}
	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, e, n);
	if (e[0] == '@')
		notify_addr.sun_path[0] = '\0';
	/* an abstract name is exactly n bytes long, no terminating NUL */
	notify_len = offsetof(struct sockaddr_un, sun_path) + n + (e[0] == '/');
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd < 0) {
		int err = -errno;

		pr_warn("failed to open the notify socket: %s", strerror(-err));
		return err;
	}
	/* the policy compiler child and anything it runs are not the service */
	unsetenv("NOTIFY_SOCKET");
	return 0;
}

int notify_send(const char *const *lines, int n)
{
	char buf[1024];
	size_t len = 0;

	if (notify_fd < 0)
		return 0;
	for (int i = 0; i < n; i++) {
		size_t l = strlen(lines[i]);

		if (len + l + 1 > sizeof(buf))
			return -E2BIG;
		memcpy(buf + len, lines[i], l);
		len += l;
		buf[len++] = '\n';
	}
	if (sendto(notify_fd, buf, len, MSG_NOSIGNAL, (struct sockaddr *)&notify_addr,
		   notify_len) < 0) {
		int err = -errno;

		if (!notify_warned++)
			pr_warn("failed to notify systemd: %s", strerror(-err));
		return err;
	}
	return 0;
}

/* STATUS=text on one line: a newline would start another assignment. */
static const char *status_line(char *buf, size_t sz, const char *status)
{
	snprintf(buf, sz, "STATUS=%s", status);
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

void notify_ready(const char *status)
{
	char st[256];
	const char *l[] = { "READY=1", status_line(st, sizeof(st), status ? status : "") };

	notify_send(l, status ? 2 : 1);
}

void notify_reloading(void)
{
	char mono[64];
	struct timespec ts;
	const char *l[] = { "RELOADING=1", mono, "STATUS=reloading the policy" };

	/* systemd 253 and later want the reload's start time with it */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(mono, sizeof(mono), "MONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ull + ts.tv_nsec / 1000);
	notify_send(l, 3);
}

void notify_stopping(const char *status)
{
	char st[256];
	const char *l[] = { "STOPPING=1", status_line(st, sizeof(st), status ? status : "") };

	notify_send(l, status ? 2 : 1);
}

void notify_status(const char *status)
{
	char st[256];
	const char *l[] = { status_line(st, sizeof(st), status) };

	notify_send(l, 1);
}

void notify_close(void)
{
	if (notify_fd >= 0)
		close(notify_fd);
	notify_fd = -1;
}
