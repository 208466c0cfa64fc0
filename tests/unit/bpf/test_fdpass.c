// SPDX-License-Identifier: Apache-2.0
/*
 * The SCM_RIGHTS walk of bpf/rules.h (issue 11), compiled for user space
 * and run over control buffers built with the C library's own CMSG_*
 * macros: the fds the tracing path's recvmsg exit finds are exactly the
 * ones the message carries, other message types are skipped, and a
 * malformed or truncated buffer stops the walk.
 */
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "tests/lib/tap.h"
#include "bpf/rules.h"

/* The walk as recv_walk_cb() runs it, over a buffer in memory: writes the
 * fds found into out, returns their number. */
static int walk(const unsigned char *ctl, uint64_t ctl_len, int *out, int max)
{
	__u64 pos = 0, next = 0, fd_end = 0;
	int n = 0, steps = 0, step;

	if (!sov_recv_may_have_fds((uint64_t)(uintptr_t)ctl, ctl_len))
		return 0;
	while (steps++ < 1024) {
		if (fd_end) {
			if (pos + SOV_CMSG_FD > fd_end) {
				pos = sov_cmsg_after(fd_end);
				fd_end = 0;
				continue;
			}
			if (n < max)
				memcpy(&out[n], ctl + pos, sizeof(int));
			n++;
			pos += SOV_CMSG_FD;
			continue;
		}
		if (!sov_cmsg_fits(pos, ctl_len))
			break;
		struct cmsghdr cm;
		memcpy(&cm, ctl + pos, sizeof(cm));
		step = sov_cmsg_step(pos, ctl_len, cm.cmsg_len, cm.cmsg_level, cm.cmsg_type, &next);
		if (step < 0)
			break;
		if (step) {
			fd_end = next;
			pos += SOV_CMSG_HDR;
		} else {
			pos = next;
		}
	}
	return n;
}

static void test_layout(void)
{
	ASSERT_EQ(sizeof(struct cmsghdr), SOV_CMSG_HDR, "layout: cmsg header size");
	ASSERT_EQ(CMSG_LEN(0), SOV_CMSG_HDR, "layout: CMSG_LEN(0)");
	ASSERT_EQ(SOL_SOCKET, SOV_SOL_SOCKET, "layout: SOL_SOCKET");
	ASSERT_EQ(SCM_RIGHTS, SOV_SCM_RIGHTS, "layout: SCM_RIGHTS");
	ASSERT_EQ(sov_cmsg_after(CMSG_LEN(3 * sizeof(int))), CMSG_SPACE(3 * sizeof(int)),
		  "layout: the next header after 3 fds is CMSG_SPACE");
}

static void test_walk(void)
{
	union { unsigned char b[512]; struct cmsghdr a; } u;
	struct msghdr mh = { .msg_control = u.b, .msg_controllen = sizeof(u.b) };
	struct cmsghdr *cm;
	int fds[8], got[8] = { 0 }, n;
	struct ucred cred = { 1, 2, 3 };

	memset(&u, 0, sizeof(u));
	for (n = 0; n < 8; n++)
		fds[n] = 100 + n;

	ASSERT_TRUE(!sov_recv_may_have_fds(0, 64), "fast path: no buffer");
	ASSERT_TRUE(!sov_recv_may_have_fds(1, 0), "fast path: nothing written");
	ASSERT_TRUE(!sov_recv_may_have_fds(1, SOV_CMSG_HDR + 3), "fast path: no room for an fd");
	ASSERT_TRUE(sov_recv_may_have_fds(1, CMSG_LEN(sizeof(int))), "fast path: one fd fits");

	/* one SCM_RIGHTS with one fd */
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), fds, sizeof(int));
	n = walk(u.b, CMSG_SPACE(sizeof(int)), got, 8);
	ASSERT_EQ(n, 1, "walk: one fd");
	ASSERT_EQ(got[0], 100, "walk: that fd");
	/* the kernel writes msg_controllen = the unaligned end of the last one */
	ASSERT_EQ(walk(u.b, CMSG_LEN(sizeof(int)), got, 8), 1, "walk: unaligned used length");

	/* SCM_CREDENTIALS first, then SCM_RIGHTS with 5 fds */
	memset(&u, 0, sizeof(u));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_CREDENTIALS;
	cm->cmsg_len = CMSG_LEN(sizeof(cred));
	memcpy(CMSG_DATA(cm), &cred, sizeof(cred));
	cm = CMSG_NXTHDR(&mh, cm);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(5 * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, 5 * sizeof(int));
	n = walk(u.b, (unsigned char *)cm - u.b + cm->cmsg_len, got, 8);
	ASSERT_EQ(n, 5, "walk: credentials skipped, 5 fds");
	ASSERT_EQ(got[4], 104, "walk: the fifth fd");

	/* a header that claims more than was written stops the walk */
	ASSERT_EQ(walk(u.b, (unsigned char *)cm - u.b + cm->cmsg_len - 4, got, 8), 0,
		  "walk: truncated SCM_RIGHTS is not read past the used length");
	/* a zero-length header stops it (no endless loop) */
	memset(&u, 0, sizeof(u));
	ASSERT_EQ(walk(u.b, 64, got, 8), 0, "walk: zero cmsg_len stops");
	/* another level with type 1 is not SCM_RIGHTS */
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = 41;	/* SOL_IPV6 */
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	ASSERT_EQ(walk(u.b, CMSG_SPACE(sizeof(int)), got, 8), 0, "walk: level other than SOL_SOCKET");
	ASSERT_TRUE(!sov_cmsg_fits(~0ull - 4, 8), "fits: no overflow past the end");
}

int main(void)
{
	test_layout();
	test_walk();
	return tap_done();
}
