// SPDX-License-Identifier: Apache-2.0
/*
 * Late policy paths and late mounts (label_watch.h).
 * Calls: labels.c, log.c. Called by main.c.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include "agent/conn.h"
#include "agent/host.h"
#include "agent/label_watch.h"
#include "agent/labels.h"
#include "agent/lifecycle.h"
#include "agent/log.h"
#include "policy/policy.h"

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int strv_has(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return 1;
	return 0;
}

static int strv_add(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	if (!(nv[*n] = strdup(s)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

/* Labels 'path' with 'classes' (walking a directory), merged into the maps. */
static int label_now(const struct label_watch *w, const char *path, uint64_t classes)
{
	struct label_table t = {};
	int err = labels_collect_path(&t, path, classes);

	if (!err)
		err = labels_write(&t, w->fd, w->pin_dir, NULL);
	labels_free(&t);
	return err;
}

/* Watches the nearest existing ancestor of a missing path for entries
 * created or moved in (a watch on the same inode is the same watch). */
static void watch_ancestor(struct label_watch *w, const char *path)
{
	char dir[PATH_MAX];
	struct stat st;
	char *slash;

	if (w->ino_fd < 0 || strlen(path) >= sizeof(dir))
		return;
	strcpy(dir, path);
	for (;;) {
		slash = strrchr(dir, '/');
		if (!slash)
			return;
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (!stat(dir, &st) && S_ISDIR(st.st_mode))
			break;
		if (slash == dir)
			return;
	}
	if (inotify_add_watch(w->ino_fd, dir, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR) < 0)
		pr_warn("failed to watch %s for the policy path %s: %s", dir, path, strerror(errno));
}

/*
 * The policy's paths: one that exists now and was missing at the last scan
 * is labelled; one that is missing is (re)watched. 'initial': record only.
 */
static void scan_paths(struct label_watch *w, int initial)
{
	const struct sov_policy_image *img = w->life->img;
	char **missing = NULL;
	size_t n_missing = 0;
	struct stat st;

	if (!img)
		return;
	for (size_t c = 0; c < img->n_classes; c++) {
		const struct sov_img_class *cl = &img->classes[c];

		for (size_t p = 0; p < cl->n_paths; p++) {
			const char *path = cl->paths[p];
			int err;

			if (stat(path, &st)) {
				watch_ancestor(w, path);
				/* made between the stat and the watch: no event
				 * will come for it */
				if (initial || stat(path, &st)) {
					if (!strv_has(missing, n_missing, path))
						strv_add(&missing, &n_missing, path);
					continue;
				}
			} else if (initial || !strv_has(w->missing, w->n_missing, path)) {
				continue;
			}
			err = label_now(w, path, 1ull << cl->bit);
			if (err)
				pr_err("failed to label the late policy path %s (class %s): %s",
				       path, cl->name, strerror(-err));
			else
				pr_info("policy path %s appeared: labelled as class %s", path,
					cl->name);
		}
	}
	strv_free(w->missing, w->n_missing);
	w->missing = missing;
	w->n_missing = n_missing;
	w->img_seen = img;
}

/* The mounts of the mount table as "ID PATH" (fields 1 and 5 of
 * mountinfo): a mount replaced at the same place between two reads is a
 * new one. */
static int read_mounts(int fd, char ***v, size_t *n)
{
	FILE *f;
	char line[8192];
	int dup_fd = dup(fd);

	*v = NULL;
	*n = 0;
	if (dup_fd < 0)
		return -errno;
	if (lseek(dup_fd, 0, SEEK_SET) < 0 || !(f = fdopen(dup_fd, "r"))) {
		close(dup_fd);
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *id = strtok_r(line, " ", &save), *tok = id;
		char key[8192 + 32];

		for (int i = 1; tok && i < 5; i++)
			tok = strtok_r(NULL, " ", &save);
		if (!tok)
			continue;
		host_mountinfo_unescape(tok);
		snprintf(key, sizeof(key), "%s %s", id, tok);
		if (strv_add(v, n, key)) {
			fclose(f);
			return -ENOMEM;
		}
	}
	fclose(f);
	return 0;
}

/* 'mnt' is 'dir' or lies below it. */
static int path_below(const char *mnt, const char *dir)
{
	size_t l = strlen(dir);

	while (l > 1 && dir[l - 1] == '/')
		l--;
	return !strncmp(mnt, dir, l) && (mnt[l] == '\0' || mnt[l] == '/' || l == 1);
}

/* A mount point new since the last read, at or below a policy directory:
 * everything on it takes that policy path's classes. */
static void scan_mounts(struct label_watch *w, int initial)
{
	const struct sov_policy_image *img = w->life->img;
	char **mounts;
	size_t n;

	if (w->mi_fd < 0 || read_mounts(w->mi_fd, &mounts, &n))
		return;
	for (size_t m = 0; !initial && img && m < n; m++) {
		const char *mnt = strchr(mounts[m], ' ') + 1;

		if (strv_has(w->mounts, w->n_mounts, mounts[m]))
			continue;
		for (size_t c = 0; c < img->n_classes; c++) {
			const struct sov_img_class *cl = &img->classes[c];

			for (size_t p = 0; p < cl->n_paths; p++) {
				int err;

				if (!path_below(mnt, cl->paths[p]))
					continue;
				err = label_now(w, mnt, 1ull << cl->bit);
				if (err)
					pr_err("failed to label the late mount %s below %s (class %s): %s",
					       mnt, cl->paths[p], cl->name, strerror(-err));
				else
					pr_info("late mount %s below %s: labelled as class %s",
						mnt, cl->paths[p], cl->name);
			}
		}
	}
	strv_free(w->mounts, w->n_mounts);
	w->mounts = mounts;
	w->n_mounts = n;
	/* a mount can make a missing policy path appear */
	if (!initial && w->n_missing)
		scan_paths(w, 0);
}

int label_watch_start(struct label_watch *w, int ep, uint32_t tag_paths, uint32_t tag_mounts)
{
	struct epoll_event ev;

	w->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->ino_fd < 0)
		pr_warn("failed to start inotify: %s; policy paths created later are not labelled",
			strerror(errno));
	w->mi_fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (w->mi_fd < 0)
		pr_warn("failed to open /proc/self/mountinfo: %s; filesystems mounted later are not labelled",
			strerror(errno));
	scan_paths(w, 1);
	scan_mounts(w, 1);
	if (w->ino_fd >= 0) {
		ev = (struct epoll_event){ .events = EPOLLIN,
					   .data.u64 = conn_ev_data(tag_paths, w->ino_fd) };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, w->ino_fd, &ev))
			return -errno;
	}
	if (w->mi_fd >= 0) {
		/* the mount table signals a change with POLLPRI | POLLERR */
		ev = (struct epoll_event){ .events = EPOLLPRI | EPOLLERR,
					   .data.u64 = conn_ev_data(tag_mounts, w->mi_fd) };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, w->mi_fd, &ev))
			return -errno;
	}
	return 0;
}

void label_watch_on_paths(struct label_watch *w)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(w->ino_fd, buf, sizeof(buf)) > 0)
		;
	scan_paths(w, 0);
}

void label_watch_on_mounts(struct label_watch *w)
{
	scan_mounts(w, 0);
}

void label_watch_tick(struct label_watch *w)
{
	/* A policy applied since: its paths were labelled by the apply; the
	 * missing ones are watched from now on. */
	if (w->life->img != w->img_seen)
		scan_paths(w, 1);
}

void label_watch_close(struct label_watch *w)
{
	if (w->ino_fd >= 0)
		close(w->ino_fd);
	if (w->mi_fd >= 0)
		close(w->mi_fd);
	strv_free(w->missing, w->n_missing);
	strv_free(w->mounts, w->n_mounts);
	memset(w, 0, sizeof(*w));
	w->ino_fd = w->mi_fd = -1;
}
