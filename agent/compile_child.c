// SPDX-License-Identifier: Apache-2.0
/*
 * The policy compile in a short-lived child (compile_child.h). The child
 * is a plain fork: it compiles, packs the result (policy/pack.c), writes
 * its length and bytes into a pipe and _exits; sovd reads the pipe while
 * it drains its own events, reaps the child and unpacks. Whatever the
 * compile allocated or mapped (about 30 MiB of tables and the 55 MB
 * location database for the EU member states) goes with the child.
 *
 * The child holds nothing of sovd's: its inherited descriptors other than
 * stdio are closed, its signals unblocked, it dies with sovd
 * (PR_SET_PDEATHSIG) and it is the OOM killer's first choice.
 *
 * Calls: policy/ (compile, pack, unpack). Called by lifecycle.c
 * (start-up, SIGHUP and apply) and tests/unit/agent/test_compile_child.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "agent/compile_child.h"
#include "policy/policy.h"

/* A packed image larger than this is garbage (1M prefixes pack to ~70 MiB). */
#define RESULT_MAX	(1ull << 30)
#define WAIT_MS		50

/* Child exit codes other than 0 */
#define CHILD_ENOMEM	3
#define CHILD_EWRITE	4
#define CHILD_ORPHAN	5

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void oom_first(void)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		(void)!write(fd, "1000", 4);
		close(fd);
	}
}

static void __attribute__((noreturn))
child_main(int wfd, pid_t parent, compile_child_fn fn, void *ctx)
{
	struct sov_policy_image *img = NULL;
	struct sov_diags d;
	sigset_t none;
	uint64_t hdr;
	size_t len;
	void *buf;
	int rc;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(CHILD_ORPHAN);
	prctl(PR_SET_NAME, "sovd-compile");
	/* the pipe on 3, nothing of sovd's above it (best effort: the
	 * child only reads files and writes this pipe) */
	if (wfd != 3) {
		if (dup2(wfd, 3) < 0)
			_exit(CHILD_EWRITE);
		close(wfd);
	}
	close_range(4, ~0u, 0);
	oom_first();

	sov_diags_init(&d);
	rc = fn(ctx, &img, &d);
	if (sov_policy_pack(rc, img, &d, &buf, &len))
		_exit(CHILD_ENOMEM);
	hdr = len;
	if (write_all(3, &hdr, sizeof(hdr)) || write_all(3, buf, len))
		_exit(CHILD_EWRITE);
	/* no free, no atexit handlers, no stdio flush: sovd's buffers are not ours */
	_exit(0);
}

/*
 * Reads the length and the bytes the child writes; wait() runs whenever
 * the pipe stays quiet for WAIT_MS. -EPIPE when the child closed it early.
 */
static int read_result(int fd, void (*wait)(void *), void *wait_ctx, uint8_t **out,
		       size_t *out_len)
{
	uint64_t hdr = 0;
	uint8_t *buf = NULL, *dst = (uint8_t *)&hdr;
	size_t got = 0, want = sizeof(hdr);
	int err;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, WAIT_MS);
		ssize_t n;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			goto fail;
		}
		if (r == 0) {
			if (wait)
				wait(wait_ctx);
			continue;
		}
		n = read(fd, dst + got, want - got);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			err = -errno;
			goto fail;
		}
		if (n == 0) {
			err = -EPIPE;
			goto fail;
		}
		got += (size_t)n;
		if (got < want)
			continue;
		if (buf)
			break;
		if (hdr > RESULT_MAX) {
			err = -EBADMSG;
			goto fail;
		}
		buf = malloc(hdr ? hdr : 1);
		if (!buf) {
			err = -ENOMEM;
			goto fail;
		}
		dst = buf;
		got = 0;
		want = hdr;
		if (!want)
			break;
	}
	*out = buf;
	*out_len = want;
	return 0;
fail:
	free(buf);
	return err;
}

static size_t cd_errors_added(const struct sov_diags *d)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n; i++)
		n += d->v[i].level == SOV_DIAG_ERROR;
	return n;
}

int compile_child_run(compile_child_fn fn, void *ctx, struct sov_policy_image **img,
		      struct sov_diags *d, void (*wait)(void *), void *wait_ctx,
		      char *why, size_t len)
{
	pid_t parent = getpid(), pid, w;
	uint8_t *buf = NULL;
	size_t n = 0;
	struct sov_diags cd = { 0 };
	int fds[2], status = 0, err, rerr, rc = 0;

	*img = NULL;
	why[0] = '\0';
	if (pipe2(fds, O_CLOEXEC)) {
		err = -errno;
		snprintf(why, len, "failed to start the policy compiler: pipe: %s", strerror(-err));
		return err;
	}
	pid = fork();
	if (pid < 0) {
		err = -errno;
		snprintf(why, len, "failed to start the policy compiler: fork: %s", strerror(-err));
		close(fds[0]);
		close(fds[1]);
		return err;
	}
	if (pid == 0) {
		close(fds[0]);
		child_main(fds[1], parent, fn, ctx);
	}
	close(fds[1]);
	rerr = read_result(fds[0], wait, wait_ctx, &buf, &n);
	close(fds[0]);
	if (rerr && rerr != -EPIPE)
		kill(pid, SIGKILL);	/* it has nowhere to put its result */
	do
		w = waitpid(pid, &status, 0);
	while (w < 0 && errno == EINTR);
	if (w < 0) {
		err = -errno;
		snprintf(why, len, "failed to wait for the policy compiler (pid %d): %s", (int)pid,
			 strerror(-err));
		goto out;
	}
	err = -ECHILD;
	if (WIFSIGNALED(status)) {
		snprintf(why, len, "the policy compiler (pid %d) was killed by signal %d (%s)",
			 (int)pid, WTERMSIG(status), strsignal(WTERMSIG(status)));
		goto out;
	}
	if (WEXITSTATUS(status)) {
		snprintf(why, len, "the policy compiler (pid %d) exited with status %d%s", (int)pid,
			 WEXITSTATUS(status),
			 WEXITSTATUS(status) == CHILD_ENOMEM ? " (out of memory)" :
			 WEXITSTATUS(status) == CHILD_EWRITE ? " (failed to write its result)" : "");
		goto out;
	}
	if (rerr) {
		snprintf(why, len, "failed to read the policy compiler's result (pid %d): %s",
			 (int)pid, rerr == -EPIPE ? "it ended early" : strerror(-rerr));
		goto out;
	}
	/* whole, from a child that exited 0: into the image and d */
	sov_diags_init(&cd);
	err = sov_policy_unpack(buf, n, &rc, img, &cd);
	if (err) {
		snprintf(why, len, "failed to read the policy compiler's result (pid %d): %s",
			 (int)pid, strerror(-err));
		if (err != -ENOMEM)
			err = -ECHILD;
		goto out;
	}
	for (size_t i = 0; i < cd.n; i++)
		sov_diags_add(d, cd.v[i].level, cd.v[i].file, cd.v[i].line, cd.v[i].column,
			      "%s", cd.v[i].msg);
	/* errors counted but not recorded (out of memory in the child) */
	d->n_errors += cd.n_errors - cd_errors_added(&cd);
	err = rc;
out:
	sov_diags_free(&cd);
	free(buf);
	return err;
}

struct policy_args {
	const char *path;
	const struct sov_policy_opts *opts;
};

static int compile_policy(void *ctx, struct sov_policy_image **img, struct sov_diags *d)
{
	const struct policy_args *a = ctx;

	return sov_policy_compile_file(a->path, a->opts, img, d);
}

int compile_child_policy(const char *path, const struct sov_policy_opts *opts,
			 struct sov_policy_image **img, struct sov_diags *d,
			 void (*wait)(void *), void *wait_ctx, char *why, size_t len)
{
	struct policy_args a = { .path = path, .opts = opts };

	return compile_child_run(compile_policy, &a, img, d, wait, wait_ctx, why, len);
}
