// SPDX-License-Identifier: Apache-2.0
/* agent/notify.c, the sd_notify datagrams, against sockets of the test's
 * own: a path and an abstract name (NOTIFY_SOCKET=@...), the lines of each
 * state, the variable unset after open, a NOTIFY_SOCKET that is no socket
 * name refused, and nothing sent (and no error) without one. No root. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "agent/notify.h"
#include "tests/lib/tap.h"

/* A bound datagram socket: path "/..." or abstract "@..." (as systemd
 * writes it in NOTIFY_SOCKET). */
static int bind_dgram(const char *name)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	size_t n = strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memcpy(a.sun_path, name, n);
	if (name[0] == '@')
		a.sun_path[0] = '\0';
	if (fd < 0 || bind(fd, (struct sockaddr *)&a,
			   offsetof(struct sockaddr_un, sun_path) + n + (name[0] == '/')))
		return -1;
	return fd;
}

/* The next datagram, or "" when none is waiting. */
static const char *recv_msg(int fd)
{
	static char buf[2048];
	ssize_t r = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	buf[r > 0 ? r : 0] = '\0';
	return buf;
}

int main(void)
{
	char path[] = "/tmp/sov-notify-XXXXXX", sock[64], abs_name[64];
	const char *m;
	int fd;

	/* a path */
	if (!mkdtemp(path))
		return 1;
	snprintf(sock, sizeof(sock), "%s/notify", path);
	fd = bind_dgram(sock);
	ASSERT_TRUE(fd >= 0, "bind a path datagram socket");
	setenv("NOTIFY_SOCKET", sock, 1);
	ASSERT_OK(notify_open(), "notify_open with a path");
	ASSERT_TRUE(getenv("NOTIFY_SOCKET") == NULL, "NOTIFY_SOCKET unset after open");
	notify_ready("enforcing p.yaml on the tracing kernel path");
	ASSERT_STREQ(recv_msg(fd), "READY=1\nSTATUS=enforcing p.yaml on the tracing kernel path\n",
		     "READY=1 and STATUS in one datagram");
	notify_reloading();
	m = recv_msg(fd);
	ASSERT_TRUE(!strncmp(m, "RELOADING=1\nMONOTONIC_USEC=", 27) &&
		    strstr(m, "\nSTATUS=reloading the policy\n"),
		    "RELOADING=1 with MONOTONIC_USEC and STATUS");
	notify_status("two\nlines");
	ASSERT_STREQ(recv_msg(fd), "STATUS=two\n", "a STATUS text is cut at its first newline");
	notify_stopping("stopping");
	ASSERT_STREQ(recv_msg(fd), "STOPPING=1\nSTATUS=stopping\n", "STOPPING=1");
	notify_close();
	close(fd);
	unlink(sock);
	rmdir(path);

	/* an abstract name */
	snprintf(abs_name, sizeof(abs_name), "@sov-notify-test-%d", (int)getpid());
	fd = bind_dgram(abs_name);
	ASSERT_TRUE(fd >= 0, "bind an abstract datagram socket");
	setenv("NOTIFY_SOCKET", abs_name, 1);
	ASSERT_OK(notify_open(), "notify_open with an abstract name (@...)");
	notify_ready(NULL);
	ASSERT_STREQ(recv_msg(fd), "READY=1\n", "READY=1 alone, to the abstract name");
	notify_close();
	close(fd);

	/* no socket name, no variable */
	setenv("NOTIFY_SOCKET", "vsock:2:1", 1);
	ASSERT_EQ(notify_open(), -EINVAL, "NOTIFY_SOCKET=vsock:2:1 is refused");
	ASSERT_TRUE(getenv("NOTIFY_SOCKET") == NULL, "and unset");
	ASSERT_OK(notify_send((const char *[]){ "READY=1" }, 1), "sending without a socket is a no-op");
	unsetenv("NOTIFY_SOCKET");
	ASSERT_OK(notify_open(), "notify_open without NOTIFY_SOCKET: 0");
	return tap_done();
}
