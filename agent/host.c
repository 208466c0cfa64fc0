// SPDX-License-Identifier: Apache-2.0
/*
 * What sovd reads of the host (see host.h). Calls only libc: every other
 * agent file may call it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "agent/host.h"

int64_t host_now_ns(int clock_id)
{
	struct timespec ts;

	clock_gettime(clock_id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

const char *host_name(void)
{
	static char name[256];

	if (!name[0] && gethostname(name, sizeof(name) - 1))
		snprintf(name, sizeof(name), "unknown");
	return name;
}

uint64_t kdev_from_user(dev_t dev)
{
	return ((uint64_t)major(dev) << 20) | minor(dev);
}

static uint32_t fh_u32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t fh_u64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

int host_fh_gen(int type, const unsigned char *fh, unsigned int len, uint64_t ino,
		uint32_t *gen)
{
	/* FILEID_INO32_GEN {ino32, gen}: ext2/3/4, xfs with 32-bit inodes */
	if (type == 1 && len == 8 && ino <= 0xffffffffu && fh_u32(fh) == ino) {
		*gen = fh_u32(fh + 4);
		return 0;
	}
	/* tmpfs (shmem_encode_fh, type 1): {gen, ino low, ino high} */
	if (type == 1 && len == 12 &&
	    (fh_u32(fh + 4) | (uint64_t)fh_u32(fh + 8) << 32) == ino) {
		*gen = fh_u32(fh);
		return 0;
	}
	/* xfs 64-bit inodes (0x81): {ino64, gen} */
	if (type == 0x81 && len == 12 && fh_u64(fh) == ino) {
		*gen = fh_u32(fh + 8);
		return 0;
	}
	/* btrfs (0x4d, 0x4e, 0x4f): {objectid, root, gen, ...} */
	if (type >= 0x4d && type <= 0x4f && len >= 20 && fh_u64(fh) == ino) {
		*gen = fh_u32(fh + 16);
		return 0;
	}
	return -1;
}

int host_fh_layout(int type, const unsigned char *fh, unsigned int len, uint64_t ino, int xfs)
{
	uint32_t gen;

	if (host_fh_gen(type, fh, len, ino, &gen))
		return HOST_FH_NONE;
	/* tmpfs ({gen, ino}, 12 bytes) finds an inode by handle only once a
	 * handle was made of it (shmem_encode_fh hashes it): ESTALE there
	 * does not mean gone, so it has no layout here. */
	if (type == 1 && len == 8)
		return xfs ? HOST_FH_XFS : HOST_FH_INO32_GEN;
	if (type == 0x81)
		return HOST_FH_XFS;
	return HOST_FH_NONE;
}

int host_fh_make(int layout, uint64_t ino, uint32_t gen, unsigned char *fh, int *type)
{
	uint32_t w[2] = { (uint32_t)ino, gen };

	switch (layout) {
	case HOST_FH_XFS:
		if (ino > 0xffffffffu) {
			memcpy(fh, &ino, 8);
			memcpy(fh + 8, &gen, 4);
			*type = 0x81;
			return 12;
		}
		/* xfs names 32-bit inodes like ext4 */
		__attribute__((fallthrough));
	case HOST_FH_INO32_GEN:
		if (ino > 0xffffffffu)
			return -1;
		memcpy(fh, w, sizeof(w));
		*type = 1;
		return sizeof(w);
	}
	return -1;
}

int host_inode_gen(const char *path, int follow, uint64_t ino, uint32_t *gen)
{
	union {
		struct file_handle fh;
		unsigned char buf[sizeof(struct file_handle) + MAX_HANDLE_SZ];
	} h;
	int mnt;

	h.fh.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mnt, follow ? AT_SYMLINK_FOLLOW : 0))
		return -1;
	return host_fh_gen(h.fh.handle_type, h.fh.f_handle, h.fh.handle_bytes, ino, gen);
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
void host_mountinfo_unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static char cg2_path[256];

/* Never assumed at /sys/fs/cgroup: hybrid hosts mount it at
 * /sys/fs/cgroup/unified. */
const char *cgroup2_mount(void)
{
	char line[4096];
	FILE *f;

	if (cg2_path[0])
		return cg2_path;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");
		char mnt[256];

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		/* field 5 is the mount point */
		if (sscanf(line, "%*s %*s %*s %*s %255s", mnt) == 1) {
			snprintf(cg2_path, sizeof(cg2_path), "%s", mnt);
			break;
		}
	}
	fclose(f);
	return cg2_path[0] ? cg2_path : NULL;
}

/* The id of a cgroup v2 directory is its inode number in cgroupfs. */
#define CG_CACHE 256
static struct { uint64_t id; char path[200]; } cg_cache[CG_CACHE];
static size_t cg_next;
static uint64_t cg_want;
static char cg_found[PATH_MAX];
static size_t cg_root_len;

static int cg_walk(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)f;
	if (type == FTW_D && (uint64_t)st->st_ino == cg_want) {
		snprintf(cg_found, sizeof(cg_found), "%s", path[cg_root_len] ? path + cg_root_len : "/");
		return FTW_STOP;
	}
	return FTW_CONTINUE;
}

const char *cgroup_path(uint64_t id)
{
	const char *root = cgroup2_mount();
	size_t i;

	for (i = 0; i < CG_CACHE; i++)
		if (cg_cache[i].id == id)
			return cg_cache[i].path;
	if (!root)
		return "";
	cg_want = id;
	cg_root_len = strlen(root);
	cg_found[0] = '\0';
	nftw(root, cg_walk, 32, FTW_PHYS | FTW_ACTIONRETVAL);
	/* Misses are cached too (as ""): a dead container's id must not
	 * cost a walk of the whole tree on every event. */
	i = cg_next++ % CG_CACHE;
	cg_cache[i].id = id;
	snprintf(cg_cache[i].path, sizeof(cg_cache[i].path), "%s", cg_found);
	return cg_cache[i].path;
}

void proc_cgroup(pid_t pid, char *out, size_t len)
{
	char path[64], line[512];
	FILE *f;

	snprintf(out, len, "/");
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/cgroup");
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, len, "%s", line + 3);
		}
	}
	if (f)
		fclose(f);
}

void proc_comm(pid_t pid, char *out, size_t len)
{
	char path[64];
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(out, len, f))
		out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

uint32_t proc_uid(pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	return stat(path, &st) ? (uint32_t)-1 : st.st_uid;
}

/* The fields of /proc/PID/stat after comm, read into buf (len bytes):
 * comm may hold spaces and parentheses, so fields count from the last ')'.
 * Returns a pointer to field 3 (state) in buf, or NULL if the process is
 * gone. */
const char *proc_stat_after_comm(uint32_t pid, char *buf, size_t len)
{
	char path[64], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p + 2 : NULL;
}

/* Field 22 of /proc/PID/stat (clock ticks since boot, CLOCK_BOOTTIME) in
 * ns; 0 if gone. A tick is 10 ms at USER_HZ 100 and the kernel rounds down,
 * so a process can look up to a tick older than it is. */
static uint64_t real_start_ns(uint32_t tgid)
{
	static long hz;
	char buf[1024];
	const char *p;
	unsigned long long start = 0;

	if (!hz)
		hz = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
	p = proc_stat_after_comm(tgid, buf, sizeof(buf));
	if (!p || sscanf(p, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
			 &start) != 1)
		return 0;
	/* A process started in the first tick of boot still exists. */
	return start ? start * (1000000000ull / hz) : 1;
}

static int real_exe(uint32_t tgid, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%u/exe", tgid);
	n = readlink(link, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static uint64_t real_now_ns(void)
{
	return host_now_ns(CLOCK_BOOTTIME);
}

static const struct host_proc_reader real_reader = {
	.start_ns = real_start_ns, .exe = real_exe, .now_ns = real_now_ns,
};
static const struct host_proc_reader *rd = &real_reader;

uint64_t proc_start_ns(uint32_t tgid)
{
	return rd->start_ns(tgid);
}

void host_set_proc_reader(const struct host_proc_reader *r)
{
	rd = r ? r : &real_reader;
}

#define EXE_CACHE 4096	/* a power of two */
static struct exe_entry {
	uint32_t tgid;
	uint64_t start_ns;	/* the process's start */
	uint64_t seen_ns;	/* it was alive at this boot time */
	char *exe;
} exe_cache[EXE_CACHE];

void proc_exe_reset(void)
{
	for (size_t i = 0; i < EXE_CACHE; i++) {
		free(exe_cache[i].exe);
		memset(&exe_cache[i], 0, sizeof(exe_cache[i]));
	}
}

const char *proc_exe(uint32_t tgid, uint64_t boot_ns)
{
	struct exe_entry *e = &exe_cache[(tgid * 2654435761u) & (EXE_CACHE - 1)];
	int known = e->tgid == tgid && e->exe;
	char buf[PATH_MAX], *exe;
	uint64_t now, start;

	/* The process was alive from start_ns to seen_ns: whatever of tgid
	 * happened in between was it. An event older than its start was an
	 * earlier process's. */
	if (known && boot_ns <= e->seen_ns)
		return boot_ns + 1000000000ull / 100 >= e->start_ns ? e->exe : "";
	/* Taken before /proc is read: the process read is alive at now. */
	now = rd->now_ns();
	start = rd->start_ns(tgid);
	if (!start || start > boot_ns) {
		/* Gone, or the pid now belongs to a process younger than the
		 * event: the last process seen under the pid, if any, is the
		 * event's (a pid is not reused while its process lives). */
		return known && boot_ns + 1000000000ull / 100 >= e->start_ns ? e->exe : "";
	}
	if (known && start == e->start_ns) {
		/* An execve keeps the start time: the link is read again. */
		if (!rd->exe(tgid, buf, sizeof(buf)) && strcmp(buf, e->exe)) {
			exe = strdup(buf);
			if (exe) {
				free(e->exe);
				e->exe = exe;
			}
		}
		e->seen_ns = now;
		return e->exe;
	}
	if (rd->exe(tgid, buf, sizeof(buf)))
		return "";
	exe = strdup(buf);
	if (!exe)
		return "";
	free(e->exe);
	e->exe = exe;
	e->tgid = tgid;
	e->start_ns = start;
	e->seen_ns = now;
	return e->exe;
}
