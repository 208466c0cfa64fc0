// SPDX-License-Identifier: Apache-2.0
/*
 * The label collector (label_gc.h).
 * Calls: host.c, log.c, libbpf. Called by main.c (once a second).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <bpf/bpf.h>
#include "agent/host.h"
#include "agent/label_gc.h"
#include "agent/log.h"

void label_gc_init(struct label_gc *g, int map_fd)
{
	memset(g, 0, sizeof(*g));
	g->map_fd = map_fd;
}

static void forget_devs(struct label_gc *g)
{
	for (size_t i = 0; i < g->n_devs; i++)
		if (g->devs[i].fd >= 0)
			close(g->devs[i].fd);
	g->n_devs = 0;
}

void label_gc_close(struct label_gc *g)
{
	forget_devs(g);
}

/* A mount of device dev (the kernel's s_dev), from the mount table: an
 * O_PATH fd of its mount point and the filesystem's handle layout, learnt
 * from the handle of the mount's root. */
static void learn_dev(struct label_gc_dev *d)
{
	char line[8192];
	FILE *f = fopen("/proc/self/mountinfo", "re");

	d->fd = -1;
	d->layout = HOST_FH_NONE;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *tok, *mnt = NULL, *fstype = NULL;
		unsigned int maj = 0, min = 0;
		int i;

		tok = strtok_r(line, " ", &save);		/* 1: mount id */
		for (i = 2; tok && i <= 5; i++) {
			tok = strtok_r(NULL, " ", &save);
			if (i == 3 && (!tok || sscanf(tok, "%u:%u", &maj, &min) != 2))
				tok = NULL;
			if (i == 5)
				mnt = tok;
		}
		if (!tok || (((uint64_t)maj << 20) | min) != d->dev)
			continue;
		while ((tok = strtok_r(NULL, " ", &save)) && strcmp(tok, "-"))
			;
		if (tok)
			fstype = strtok_r(NULL, " ", &save);
		host_mountinfo_unescape(mnt);
		{
			union {
				struct file_handle fh;
				unsigned char buf[sizeof(struct file_handle) + MAX_HANDLE_SZ];
			} h;
			struct stat st;
			/* not O_PATH: open_by_handle_at refuses an O_PATH mount fd
			 * (EBADF); a directory open never taints */
			int mid, fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

			if (fd < 0)
				continue;
			h.fh.handle_bytes = MAX_HANDLE_SZ;
			if (fstat(fd, &st) || kdev_from_user(st.st_dev) != d->dev ||
			    name_to_handle_at(fd, "", &h.fh, &mid, AT_EMPTY_PATH)) {
				close(fd);
				continue;
			}
			d->layout = host_fh_layout(h.fh.handle_type, h.fh.f_handle,
						   h.fh.handle_bytes, st.st_ino,
						   fstype && !strcmp(fstype, "xfs"));
			if (d->layout == HOST_FH_NONE) {
				close(fd);
				break;		/* the filesystem's, not the mount's */
			}
			d->fd = fd;
			break;
		}
	}
	fclose(f);
}

static struct label_gc_dev *dev_of(struct label_gc *g, uint64_t dev)
{
	struct label_gc_dev *d;

	for (size_t i = 0; i < g->n_devs; i++)
		if (g->devs[i].dev == dev)
			return &g->devs[i];
	if (g->n_devs == LABEL_GC_DEVS)
		return NULL;
	d = &g->devs[g->n_devs++];
	d->dev = dev;
	learn_dev(d);
	return d;
}

/* 1: the inode is gone, 0: it exists, -1: cannot tell. */
static int inode_gone(struct label_gc *g, const struct sov_inode_key *k, uint32_t gen)
{
	union {
		struct file_handle fh;
		unsigned char buf[sizeof(struct file_handle) + MAX_HANDLE_SZ];
	} h;
	struct label_gc_dev *d = dev_of(g, k->dev);
	int len, type, fd;

	if (!d || d->fd < 0)
		return -1;
	len = host_fh_make(d->layout, k->ino, gen, h.fh.f_handle, &type);
	if (len < 0)
		return -1;
	h.fh.handle_bytes = (unsigned int)len;
	h.fh.handle_type = type;
	/* O_PATH: no open hook judges it, nothing is read (not even on the
	 * tracing path's sys_exit: an O_PATH file has no FMODE_READ). */
	fd = open_by_handle_at(d->fd, &h.fh, O_PATH | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno == ESTALE ? 1 : -1;
}

static void visit(struct label_gc *g, const struct sov_inode_key *k)
{
	struct sov_label l, again;
	int gone;

	if (bpf_map_lookup_elem(g->map_fd, k, &l))
		return;
	g->checked++;
	if (!(l.flags & SOV_LABEL_GEN)) {
		g->unverifiable++;
		return;
	}
	gone = inode_gone(g, k, l.gen);
	if (gone < 0)
		g->unverifiable++;
	if (gone != 1)
		return;
	/* The kernel may have given the number to a new inode meanwhile and
	 * labelled it (another generation): that label stays. The window
	 * between this lookup and the delete remains (architecture.md). */
	if (bpf_map_lookup_elem(g->map_fd, k, &again) || again.gen != l.gen ||
	    !(again.flags & SOV_LABEL_GEN))
		return;
	if (!bpf_map_delete_elem(g->map_fd, k))
		g->reclaimed++;
}

size_t label_gc_step(struct label_gc *g, size_t budget)
{
	struct sov_inode_key k, next;
	struct sov_label l;
	uint64_t before = g->reclaimed;

	if (g->map_fd < 0)
		return 0;
	if (g->in_pass && bpf_map_lookup_elem(g->map_fd, &g->cursor, &l))
		g->in_pass = 0;		/* the next key went meanwhile: start over */
	if (!g->in_pass) {
		if (bpf_map_get_next_key(g->map_fd, NULL, &k))
			return 0;	/* empty */
		g->in_pass = 1;
	} else {
		k = g->cursor;
	}
	while (budget--) {
		/* the next key first: visit() may delete this one */
		int last = bpf_map_get_next_key(g->map_fd, &k, &next) != 0;

		visit(g, &k);
		if (last) {
			g->in_pass = 0;
			g->passes++;
			break;
		}
		k = next;
	}
	if (g->in_pass)
		g->cursor = k;
	/* An fd of a mount keeps it busy (umount: EBUSY): held only for
	 * the slice, the mount table read again for the next. */
	forget_devs(g);
	if (g->reclaimed > before)
		pr_debug("label collector: %llu labels of deleted inodes removed",
			 (unsigned long long)(g->reclaimed - before));
	return (size_t)(g->reclaimed - before);
}
