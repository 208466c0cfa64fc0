// SPDX-License-Identifier: Apache-2.0
/*
 * The local API on a unix socket (default /run/sovd/sovd.sock, mode 0600):
 * one request line per connection.
 *   status          -> one JSON object, then close
 *   watch           -> the event stream (NDJSON) until the client goes
 *   apply PATH      -> "ok generation=N sha256=H" or "error" + diagnostics
 * A watcher that cannot keep up is disconnected rather than allowed to
 * stall the event loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <bpf/bpf.h>
#include "agent/jbuf.h"
#include "agent/log.h"
#include "agent/sovd.h"

int api_listen(struct sovd *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)];
	char *slash;
	int fd, err;

	if (strlen(d->o.socket) >= sizeof(sa.sun_path)) {
		pr_err("socket path %s is too long", d->o.socket);
		return -ENAMETOOLONG;
	}
	snprintf(dir, sizeof(dir), "%s", d->o.socket);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", d->o.socket);
	unlink(d->o.socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(d->o.socket, 0600) ||
	    listen(fd, 16)) {
		err = -errno;
		pr_err("failed to listen on %s: %s", d->o.socket, strerror(-err));
		close(fd);
		return err;
	}
	d->api_fd = fd;
	return 0;
}

static void write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);

		if (w <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			return;
		}
		s += w;
		n -= w;
	}
}

static void status_json(struct sovd *d, struct jbuf *b)
{
	static const char *const cnames[] = {
		"events", "lost", "allow", "deny", "audit", "taint", "derive", "packets_dropped",
		"map_full",
	};
	struct sov_counters c = {};
	char num[32];

	_Static_assert(sizeof(cnames) / sizeof(cnames[0]) == SOV_CNT_MAX, "a name per counter");
	loader_read_counters(d, &c);
	jb_open(b);
	jb_str(b, "state", d->journal_failed ? "enforcing-journal-failed" : "enforcing");
	jb_str(b, "mode", mode_name(d->mode));
	jb_u64(b, "pid", getpid());
	jb_key(b, "policy");
	jb_open(b);
	jb_str(b, "path", d->img->path);
	jb_str(b, "sha256", d->img->sha256_hex);
	jb_u64(b, "generation", d->generation);
	jb_u64(b, "classes", d->img->n_classes);
	jb_u64(b, "zones", d->img->n_zones);
	jb_u64(b, "prefixes_v4", d->img->n_v4);
	jb_u64(b, "prefixes_v6", d->img->n_v6);
	jb_close(b);
	jb_key(b, "features");
	jb_open(b);
	jb_str(b, "btf", d->feat.btf ? "yes" : "no");
	jb_str(b, "bpf_lsm", d->feat.bpf_lsm ? "yes" : "no");
	jb_str(b, "tp_btf", d->feat.tp_btf ? "yes" : "no");
	jb_str(b, "trampolines", d->feat.trampolines ? "yes" : "no");
	jb_str(b, "ringbuf", d->feat.ringbuf ? "yes" : "no");
	jb_str(b, "cgroup2", d->feat.cgroup2);
	jb_close(b);
	jb_key(b, "counters");
	jb_open(b);
	for (int i = 0; i < SOV_CNT_MAX; i++)
		jb_u64(b, cnames[i], c.c[i]);
	jb_close(b);
	jb_u64(b, "tainted_processes", sync_gc_taint(d));
	jb_u64(b, "labels", sync_map_count(d->map_labels));
	jb_u64(b, "watchers", d->n_watchers);
	jb_str(b, "journal", d->journal ? (d->journal_failed ? "failed" : "ok") : "off");
	jb_u64(b, "journal_errors", d->journal_errors);
	snprintf(num, sizeof(num), "%s", d->o.pin_dir);
	jb_str(b, "pin_dir", d->o.pin_dir);
	jb_close(b);
	jb_raw(b, "\n", 1);
}

static void add_watcher(struct sovd *d, int fd)
{
	int *nw = realloc(d->watchers, (d->n_watchers + 1) * sizeof(int));

	if (!nw) {
		close(fd);
		return;
	}
	d->watchers = nw;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	d->watchers[d->n_watchers++] = fd;
}

int api_accept(struct sovd *d)
{
	struct timeval tv = { .tv_usec = 500000 };
	char req[4200], msg[65536];
	struct jbuf b;
	ssize_t n = 0, r;
	int fd;

	fd = accept4(d->api_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* Requests are one short line; a client that says nothing in 0.5 s
	 * is dropped. */
	while (n < (ssize_t)sizeof(req) - 1) {
		r = recv(fd, req + n, sizeof(req) - 1 - n, 0);
		if (r <= 0)
			break;
		n += r;
		if (memchr(req, '\n', n))
			break;
	}
	req[n] = '\0';
	req[strcspn(req, "\r\n")] = '\0';

	if (!strcmp(req, "status")) {
		jb_init(&b);
		status_json(d, &b);
		if (!b.oom)
			write_all(fd, b.s, b.len);
		jb_free(&b);
	} else if (!strcmp(req, "watch")) {
		add_watcher(d, fd);
		return 0;
	} else if (!strncmp(req, "apply ", 6)) {
		int err = apply_policy_file(d, req + 6, msg, sizeof(msg));

		write_all(fd, err ? "error\n" : "ok ", err ? 6 : 3);
		write_all(fd, msg, strlen(msg));
	} else {
		write_all(fd, "error\nunknown request\n", 22);
	}
	close(fd);
	return 0;
}

void api_broadcast(struct sovd *d, const char *line, size_t len)
{
	for (size_t i = 0; i < d->n_watchers;) {
		ssize_t w = send(d->watchers[i], line, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w == (ssize_t)len) {
			i++;
			continue;
		}
		/* Gone, or too slow to keep up: a partial line would corrupt
		 * its stream, so the watcher is dropped. */
		close(d->watchers[i]);
		d->watchers[i] = d->watchers[--d->n_watchers];
	}
}

void api_close(struct sovd *d)
{
	for (size_t i = 0; i < d->n_watchers; i++)
		close(d->watchers[i]);
	free(d->watchers);
	d->watchers = NULL;
	d->n_watchers = 0;
	if (d->api_fd >= 0) {
		close(d->api_fd);
		unlink(d->o.socket);
	}
	d->api_fd = -1;
}

/* Same scope, same classes in the same bit positions (appending is fine):
 * labels and taint in the kernel are class bits and must keep meaning. */
static int compatible(const struct sov_policy_image *a, const struct sov_policy_image *b,
		      char *msg, size_t len)
{
	if (a->n_scope != b->n_scope)
		goto scope;
	for (size_t i = 0; i < a->n_scope; i++)
		if (strcmp(a->scope_cgroups[i], b->scope_cgroups[i]))
			goto scope;
	if (b->n_classes < a->n_classes)
		goto classes;
	for (size_t i = 0; i < a->n_classes; i++)
		if (strcmp(a->classes[i].name, b->classes[i].name))
			goto classes;
	return 0;
scope:
	snprintf(msg, len, "the new policy changes scope.cgroups; restart sovd to change the scope\n");
	return -EINVAL;
classes:
	snprintf(msg, len, "the new policy removes or reorders classes; classes can only be appended while sovd runs (restart sovd to renumber them)\n");
	return -EINVAL;
}

/*
 * Compiles the new policy completely before anything is written: a policy
 * with errors never reaches the maps and the old one keeps enforcing.
 */
int apply_policy_file(struct sovd *d, const char *path, char *msg, size_t len)
{
	struct sov_policy_opts po = { .locdb_path = d->o.locdb };
	struct sov_policy_image *img = NULL, *old = d->img;
	struct sov_diags diags;
	FILE *mf;
	int err;

	msg[0] = '\0';
	sov_diags_init(&diags);
	err = sov_policy_compile_file(path, &po, &img, &diags);
	if (err) {
		mf = fmemopen(msg, len, "w");
		if (mf) {
			sov_diags_print(&diags, mf);
			fclose(mf);
		}
		pr_warn("policy %s rejected; the current policy stays in force", path);
		goto out;
	}
	err = compatible(old, img, msg, len);
	if (err)
		goto out;
	/* Collect and stage everything before anything is in force. */
	err = sync_collect_labels(d, img);
	if (err) {
		snprintf(msg, len, "failed to label the new policy's paths: %s\n", strerror(-err));
		goto out;
	}
	err = sync_policy_stage(d, img);
	if (err) {
		snprintf(msg, len, "failed to write the policy into the kernel: %s\n", strerror(-err));
		goto out;
	}
	err = sync_write_labels(d);
	if (err) {
		snprintf(msg, len, "failed to write the new policy's labels: %s\n", strerror(-err));
		goto out;
	}
	err = sync_policy_commit(d, img, d->generation + 1);
	if (err) {
		snprintf(msg, len, "failed to switch to the new policy: %s\n", strerror(-err));
		goto out;
	}
	d->img = img;
	img = NULL;
	d->generation++;
	if (sync_remap_classes(d, d->img))
		pr_warn("failed to record the class names of generation %u", d->generation);
	sov_policy_free(old);
	snprintf(msg, len, "generation=%u sha256=%s\n", d->generation, d->img->sha256_hex);
	events_emit_policy(d);
	pr_info("policy %s applied, generation %u", path, d->generation);
	err = 0;
out:
	sov_policy_free(img);
	sov_diags_free(&diags);
	return err;
}
