/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Late policy paths and late mounts (issue 11): a policy path that did not
 * exist when sovd started is labelled when it appears (inotify on its
 * nearest existing ancestor), and a filesystem mounted at or below a
 * policy directory after start is walked and labelled when it appears
 * (the mount table, /proc/self/mountinfo, polled for changes). Both are
 * asynchronous: docs/architecture.md gives the window.
 */
#ifndef SOVD_LABEL_WATCH_H
#define SOVD_LABEL_WATCH_H

#include <stddef.h>
#include <stdint.h>

struct sov_map_fds;
struct policy_life;

struct label_watch {
	int ino_fd;			/* inotify, or -1 */
	int mi_fd;			/* /proc/self/mountinfo, or -1 */
	const struct policy_life *life;	/* its img is the policy in force */
	const struct sov_map_fds *fd;
	const char *pin_dir;
	char **missing;			/* policy paths absent at the last scan */
	size_t n_missing;
	char **mounts;			/* "ID PATH" of the mounts at the last read */
	size_t n_mounts;
	const void *img_seen;		/* the policy the missing paths are of */
};

/* Takes the state at start (the paths labelled at start, the mounts
 * present) and registers its two fds with epoll under the tags. */
int label_watch_start(struct label_watch *w, int ep, uint32_t tag_paths, uint32_t tag_mounts);
/* One of the fds is ready: labels what appeared. */
void label_watch_on_paths(struct label_watch *w);
void label_watch_on_mounts(struct label_watch *w);
/* Once a second: a policy applied since has its missing paths watched. */
void label_watch_tick(struct label_watch *w);
void label_watch_close(struct label_watch *w);

#endif
