// SPDX-License-Identifier: Apache-2.0
/*
 * The taint map from user space (taint.h).
 * Calls: labels.c, pipeline.c, host.c, log.c, libbpf. Called by main.c and
 * api.c (count).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include "agent/host.h"
#include "agent/kpath.h"
#include "agent/labels.h"
#include "agent/log.h"
#include "agent/pipeline.h"
#include "agent/record.h"
#include "agent/taint.h"

/* O_WRONLY opens do not taint; /proc/PID/fdinfo/N has the flags in octal. */
static int fd_readable(const char *pid, const char *fd)
{
	char path[600], line[128];
	int readable = 1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", pid, fd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long flags;

		if (sscanf(line, "flags: %lo", &flags) == 1) {
			readable = (flags & O_ACCMODE) != O_WRONLY;
			break;
		}
	}
	fclose(f);
	return readable;
}

/*
 * One entry of /proc/PID/fd (fdinfo given: O_WRONLY does not taint) or of
 * /proc/PID/map_files (fdinfo NULL: a file mapping, any mapping reads).
 * Returns 1 when the process's taint grew.
 */
static int scan_entry(const struct sov_map_fds *fd, const struct label_table *labels,
		      struct pipeline *p, long pid, const char *fpath, const char *pid_s,
		      const char *fdinfo)
{
	char target[PATH_MAX];
	const struct ulabel *l;
	struct stat st;
	ssize_t n;

	if (stat(fpath, &st) || S_ISDIR(st.st_mode))
		return 0;
	/* The kernel's labels, derived ones included (they outlive a clean
	 * restart), and sovd's own. */
	struct sov_inode_key k = {
		.dev = kdev_from_user(st.st_dev), .ino = st.st_ino,
	};
	struct sov_label kl = {};
	uint64_t classes = 0;

	uint32_t gen = 0;
	int known = 0, in_map;

	/* A label of another generation is a deleted file's whose inode
	 * number this one reuses: no label. The generation is read only for
	 * a file with a label (a process maps tens of unlabelled files). */
	l = labels_find(labels, k.dev, k.ino);
	in_map = !bpf_map_lookup_elem(fd->labels, &k, &kl);
	if (!l && !in_map)
		return 0;
	known = !host_inode_gen(fpath, 1, k.ino, &gen);
	if (l && !(known && (l->flags & SOV_LABEL_GEN) && l->gen != gen))
		classes |= l->classes;
	if (in_map && !(known && (kl.flags & SOV_LABEL_GEN) && kl.gen != gen))
		classes |= kl.classes;
	if (!classes || (fdinfo && !fd_readable(pid_s, fdinfo)))
		return 0;

	__u32 tgid = pid;
	struct sov_taint t = {};

	if (bpf_map_lookup_elem(fd->taint, &tgid, &t)) {
		memset(&t, 0, sizeof(t));
		t.dev = k.dev;
		t.ino = k.ino;
	}
	if ((t.classes | classes) == t.classes)
		return 0;
	t.classes |= classes;
	if (bpf_map_update_elem(fd->taint, &tgid, &t, BPF_ANY)) {
		pr_warn("failed to taint pid %ld: %s", pid, strerror(errno));
		return 0;
	}
	n = readlink(fpath, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	pipeline_emit_taint_user(p, pid, t.classes, target, k.dev, k.ino);
	return 1;
}

/*
 * Taints processes that already hold a labelled file open for reading, or
 * mapped (issue 11: a file mapped and its fd closed before sovd started is
 * read through the mapping; /proc/PID/map_files names each file mapping,
 * root only, which sovd is).
 */
int taint_scan_proc(const struct sov_map_fds *fd, const struct label_table *labels,
		    struct pipeline *p)
{
	static const char *const dirs[] = { "fd", "map_files" };
	struct dirent *pe, *fe;
	size_t tainted = 0;
	DIR *proc, *fds;
	char path[300];
	pid_t self = getpid();

	proc = opendir("/proc");
	if (!proc)
		return -errno;
	while ((pe = readdir(proc))) {
		char *end;
		long pid = strtol(pe->d_name, &end, 10);

		if (*end || pid <= 0 || pid == self)
			continue;
		for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
			snprintf(path, sizeof(path), "/proc/%ld/%s", pid, dirs[d]);
			fds = opendir(path);
			if (!fds)
				continue;
			while ((fe = readdir(fds))) {
				char fpath[600];

				if (fe->d_name[0] == '.')
					continue;
				snprintf(fpath, sizeof(fpath), "%s/%s", path, fe->d_name);
				tainted += scan_entry(fd, labels, p, pid, fpath, pe->d_name,
						      d == 0 ? fe->d_name : NULL);
			}
			closedir(fds);
		}
	}
	closedir(proc);
	if (tainted)
		pr_info("tainted %zu running processes holding labelled files", tainted);
	return 0;
}

/*
 * Exited processes' taint lives in sov_taint_exited (an LRU: exited
 * processes never take the room of live ones) for SOV_TAINT_LINGER_S
 * (their sockets may still send queued data); afterwards gc removes it.
 * Entries of the live map marked exited come from a run before issue 12
 * (or an exit whose move failed) and are collected the same way. Reading
 * the count (status) must not change the maps: only the event loop's
 * periodic gc deletes.
 */
static size_t walk_map(int map, int collect, uint64_t now)
{
	__u32 cur, next, *prev = NULL;
	__u32 stale[256];
	size_t live = 0, nstale = 0;

	while (bpf_map_get_next_key(map, prev, &next) == 0) {
		struct sov_taint t;

		cur = next;
		prev = &cur;
		if (bpf_map_lookup_elem(map, &cur, &t))
			continue;
		if (!t.exited_ns)
			live++;
		else if (collect && now > t.exited_ns &&
			 now - t.exited_ns > SOV_TAINT_LINGER_S * 1000000000ull &&
			 nstale < sizeof(stale) / sizeof(stale[0]))
			stale[nstale++] = cur;
	}
	for (size_t i = 0; i < nstale; i++)
		bpf_map_delete_elem(map, &stale[i]);
	return live;
}

size_t taint_gc(const struct sov_map_fds *fd, uint64_t now_ns)
{
	if (fd->taint_exited >= 0)
		walk_map(fd->taint_exited, 1, now_ns);
	return walk_map(fd->taint, 1, now_ns);
}

size_t taint_count(const struct sov_map_fds *fd)
{
	return walk_map(fd->taint, 0, 0);
}

void taint_state_read(const struct sov_map_fds *fd, struct sov_taint_state *st)
{
	__u32 zero = 0;

	if (fd->taint_state < 0 || bpf_map_lookup_elem(fd->taint_state, &zero, st))
		memset(st, 0, sizeof(*st));
}

/*
 * Live tainted processes can never outnumber the host's processes: the
 * taint map is sized to hold them all, min(pid_max, threads-max), so that
 * it cannot fill (exited ones go to the LRU). At least 1024, at most 2^22.
 */
static uint64_t read_u64_file(const char *path)
{
	unsigned long long v = 0;
	FILE *f = fopen(path, "re");

	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

uint32_t taint_default_size(void)
{
	uint64_t pid_max = read_u64_file("/proc/sys/kernel/pid_max");
	uint64_t threads = read_u64_file("/proc/sys/kernel/threads-max");
	uint64_t n = 65536;

	if (pid_max && threads)
		n = pid_max < threads ? pid_max : threads;
	else if (pid_max || threads)
		n = pid_max ? pid_max : threads;
	if (n < 1024)
		n = 1024;
	if (n > (1u << 22))
		n = 1u << 22;
	return (uint32_t)n;
}

/*
 * Shared memory labelled after it was mapped (issue 11): the kernel
 * programs label a SysV segment at a tainted process's writable shmat(),
 * a memfd at a tainted process's memfd_create(), a /dev/shm file at its
 * open for writing; a process that attached, mapped or received it before
 * then reads what is written later through its mapping or fd without any
 * hook. On the derive event of such an inode (on the internal shmem mount
 * of SysV segments and memfds, or on /dev/shm), sovd finds the processes
 * that map it (/proc/PID/map_files) or hold it open for reading
 * (/proc/PID/fd) and taints them as the start-up scan does. It runs after
 * the event, so bytes read in between are not caught (docs/architecture.md).
 */
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 1U
#endif

void taint_shm_init(struct taint_shm *s, const struct sov_map_fds *fd,
		    const struct label_table *labels, struct pipeline *p)
{
	struct stat st;
	int mfd;

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->labels = labels;
	s->p = p;
	mfd = (int)syscall(SYS_memfd_create, "sovd-shm-probe", MFD_CLOEXEC);
	if (mfd >= 0) {
		if (!fstat(mfd, &st))
			s->devs[s->n_devs++] = kdev_from_user(st.st_dev);
		close(mfd);
	}
	if (!stat("/dev/shm", &st) && S_ISDIR(st.st_mode))
		s->devs[s->n_devs++] = kdev_from_user(st.st_dev);
}

static int shm_dev(const struct taint_shm *s, uint64_t dev)
{
	for (size_t i = 0; i < s->n_devs; i++)
		if (s->devs[i] == dev)
			return 1;
	return 0;
}

static void shm_scan(struct taint_shm *s, uint32_t deriver, uint64_t dev, uint64_t ino)
{
	static const char *const dirs[] = { "fd", "map_files" };
	struct dirent *pe, *fe;
	DIR *proc, *ents;
	char path[300], fpath[600];
	pid_t self = getpid();
	struct stat st;
	size_t n = 0;

	proc = opendir("/proc");
	if (!proc)
		return;
	while ((pe = readdir(proc))) {
		char *end;
		long pid = strtol(pe->d_name, &end, 10);

		if (*end || pid <= 0 || pid == self || pid == (long)deriver)
			continue;
		for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
			snprintf(path, sizeof(path), "/proc/%ld/%s", pid, dirs[d]);
			ents = opendir(path);
			if (!ents)
				continue;
			while ((fe = readdir(ents))) {
				if (fe->d_name[0] == '.')
					continue;
				snprintf(fpath, sizeof(fpath), "%s/%s", path, fe->d_name);
				if (stat(fpath, &st) || st.st_ino != ino ||
				    kdev_from_user(st.st_dev) != dev)
					continue;
				n += scan_entry(s->fd, s->labels, s->p, pid, fpath, pe->d_name,
						d == 0 ? fe->d_name : NULL);
			}
			closedir(ents);
		}
	}
	closedir(proc);
	if (n)
		pr_info("tainted %zu processes that mapped or held shared memory labelled after", n);
}

static void shm_emit(void *ctx, struct sovd_event *ev)
{
	struct taint_shm *s = ctx;

	/* a kernel derive event (sovd's own events have no object) */
	if (strcmp(ev->type, "derive") || !ev->has_object || !shm_dev(s, ev->dev))
		return;
	shm_scan(s, ev->pid, ev->dev, ev->ino);
}

struct sovd_sink taint_shm_sink(struct taint_shm *s)
{
	return (struct sovd_sink){ .name = "shm", .emit = shm_emit, .ctx = s };
}
