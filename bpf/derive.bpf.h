/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Derivation: a file written by a tainted process becomes a labelled
 * derivative carrying the taint's derivable classes (cfg->derive_classes).
 * Two ways in: an open for writing by a tainted process, and, when a
 * process becomes tainted, the files it already holds open for writing.
 */
#ifndef SOV_DERIVE_BPF_H
#define SOV_DERIVE_BPF_H

#include "label.bpf.h"
#include "taint.bpf.h"
#include "views.bpf.h"

/* bpf_loop's own bound: the fd walk's only cap (one step per word of the
 * open_fds bitmap and one per open fd: 1 << 20 fds, the default nr_open,
 * take 1 << 14 + the open fds steps). */
#define SOV_FD_WALK_STEPS	(1U << 23)

/* files[fd] of a task, or NULL. */
static __always_inline struct file *file_of_fd(struct task_struct *task, long fd)
{
	struct file **fds, *file;
	struct fdtable *fdt;

	if (fd < 0)
		return NULL;
	fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_core_read(&file, sizeof(file), &fds[fd]) || !file)
		return NULL;
	return file;
}

/* The struct sock of a file when it is an AF_INET/AF_INET6 socket, as a
 * scalar (probe reads), else 0. A file is a socket when its inode is
 * S_IFSOCK (sockfs); only then is private_data a struct socket. */
static __always_inline __u64 inet_sock_of_file(struct file *file)
{
	struct socket *sock;
	struct sock *sk;
	__u16 family;

	if (!file)
		return 0;
	if ((BPF_CORE_READ(file, f_inode, i_mode) & SOV_S_IFMT) != SOV_S_IFSOCK)
		return 0;
	sock = BPF_CORE_READ(file, private_data);
	if (!sock)
		return 0;
	sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != SOV_AF_INET && family != SOV_AF_INET6)
		return 0;
	return (__u64)(unsigned long)sk;
}

/*
 * Derivation of one file: it gets 'add' (the taint's derivable classes).
 * One derive event per inode and new class set.
 */
static __always_inline void derive_inode(__u64 add, struct sov_inode_key *key, __u32 gen,
					 __u32 i_mode, struct file *file, int fd,
					 const char *upath, int dirfd, int trusted)
{
	struct sov_label *lab;

	lab = label_of(key);
	/* A stale label (a deleted file's, the inode number reused) is
	 * replaced below as if there were none. */
	if (lab && sov_label_current(lab, gen)) {
		if (!sov_classes_grow(lab->classes, add))
			return;
		sov_or(&lab->classes, add);
		lab->flags |= SOV_LABEL_DERIVED;
		add = lab->classes;
	} else {
		struct sov_label nl = sov_label_derived(add, i_mode);

		sov_label_stamp(&nl, gen);
		if (bpf_map_update_elem(&sov_labels, key, &nl, BPF_ANY)) {
			/* Not stored: no derive event; the classes are judged
			 * on every process from now on (fail closed). */
			overflow_add(add, SOV_LOST_LABEL);
			return;
		}
	}
	count(SOV_CNT_DERIVE);
	file_event(SOV_EV_DERIVE, add, trusted ? file : NULL, key, fd, upath, dirfd);
}

static __always_inline void derive_file(__u64 add, struct file *file, int fd,
					const char *upath, int dirfd, int trusted)
{
	struct sov_inode_key key = {};
	struct inode *inode;
	__u32 i_mode;

	/* The real file behind an overlayfs file: a write through the view
	 * (after copy-up: the upper file) derives the data's own inode
	 * (views.bpf.h). file stays the view for the event's path. */
	inode = BPF_CORE_READ(real_file(file), f_inode);
	if (!inode)
		return;
	/* Only data becomes a derivative (sov_label_kind(): both callers
	 * already pass regular files only; this keeps it so for any other). */
	i_mode = BPF_CORE_READ(inode, i_mode);
	if (!sov_label_kind(i_mode))
		return;
	key.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	key.ino = BPF_CORE_READ(inode, i_ino);
	derive_inode(add, &key, BPF_CORE_READ(inode, i_generation), i_mode, file, fd, upath,
		     dirfd, trusted);
}

/*
 * The files the process mapped shared and writable while it was untainted
 * (sov_maps_held, noted by maps_held_note()): writes through those
 * mappings reach the files whether or not their fds are still open.
 * Mappings of an earlier image (before an exec) are not the process's.
 */
static __always_inline void derive_maps_held(__u64 add)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct task_struct *task = sov_current_task();
	struct sov_maps_held *h = bpf_map_lookup_elem(&sov_maps_held, &tgid);
	__u32 i;

	if (!h || h->mm != (__u64)BPF_CORE_READ(task, mm))
		return;
	for (i = 0; i < SOV_MAPS_HELD; i++) {
		struct sov_inode_key key;

		if (i >= h->n)
			break;
		key = h->f[i].key;
		derive_inode(add, &key, h->f[i].gen, h->f[i].mode, NULL, -1, NULL, -1, 0);
	}
}

/*
 * When a process becomes tainted, files it already holds open for writing
 * become derivatives too: `sh -c 'cat data > out'` opens out before cat
 * reads the data. The fd table is walked once per taint change (rare), up
 * to max_fds (no other limit), with bpf_loop so the verifier sees one
 * iteration: a step loads the next word of the open_fds bitmap (64 fds;
 * an empty word costs one step), or takes the lowest open fd of the
 * loaded word and derives it when it is a regular file open for writing.
 */
struct fd_walk {
	struct file **fds;
	const unsigned long *open_fds;
	__u64 add;
	/* The walk's state: it starts with the first word of the bitmap,
	 * read by a probe read (derive_open_fds()), so the verifier sees
	 * unknown values. Before 6.7 it checks the callback once with the
	 * caller's stack; known zeros would prove the fd steps dead (see
	 * recv_walk in tracing.bpf.c). No zeroed copy: the stack of the
	 * sys_exit program and its callbacks is near the 512-byte limit. */
	__u64 bits;		/* open fds of word 'word' - 1 not yet taken */
	__u32 word;		/* the next word to load */
	__u32 words;		/* max_fds / 64 */
};

/* Index of the lowest set bit of a non-zero word. */
static __always_inline __u32 sov_low_bit(__u64 b)
{
	__u32 n = 0;

	if (!(b & 0xffffffffULL)) { n += 32; b >>= 32; }
	if (!(b & 0xffffULL)) { n += 16; b >>= 16; }
	if (!(b & 0xffULL)) { n += 8; b >>= 8; }
	if (!(b & 0xfULL)) { n += 4; b >>= 4; }
	if (!(b & 0x3ULL)) { n += 2; b >>= 2; }
	if (!(b & 0x1ULL))
		n += 1;
	return n;
}

static long derive_fd_cb(__u32 i, void *ctx)
{
	struct fd_walk *w = ctx;
	struct file *file = NULL;
	__u64 word = 0;
	unsigned int fmode;
	__u32 fd;

	(void)i;
	if (!w->bits) {
		/* the next word of the bitmap */
		if (w->word >= w->words)
			return 1;
		if (bpf_probe_read_kernel(&word, sizeof(word), w->open_fds + w->word))
			return 1;
		w->bits = word;
		w->word++;
		return 0;
	}
	fd = (w->word - 1) * 64 + sov_low_bit(w->bits);
	w->bits &= w->bits - 1;
	if (bpf_probe_read_kernel(&file, sizeof(file), w->fds + fd) || !file)
		return 0;
	/* The inode is read only for a descriptor open for writing. */
	fmode = BPF_CORE_READ(file, f_mode);
	if (!sov_open_writes(fmode) ||
	    !sov_fd_writes(fmode, BPF_CORE_READ(file, f_inode, i_mode)))
		return 0;
	derive_file(w->add, file, (int)fd, NULL, -1, 0);
	return 0;
}
SOV_WALK_FN(derive_fd_cb, struct fd_walk, SOV_WALK_SLOT_FDS)

static __always_inline void derive_open_fds(__u64 add)
{
	struct task_struct *task = sov_current_task();
	struct fdtable *fdt;
	struct fd_walk w = { .add = add, .word = 1 };

	fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || !add)
		return;
	w.fds = BPF_CORE_READ(fdt, fd);
	w.open_fds = BPF_CORE_READ(fdt, open_fds);
	/* max_fds is a multiple of BITS_PER_LONG (64 here), at least 64 */
	w.words = BPF_CORE_READ(fdt, max_fds) / 64;
	if (!w.words || bpf_probe_read_kernel(&w.bits, sizeof(w.bits), w.open_fds))
		return;
	sov_walk(SOV_FD_WALK_STEPS, SOV_K510_FD_STEPS, derive_fd_cb, &w, SOV_WALK_SLOT_FDS);
}

/* The process's taint just grew to 'taint': derive what it holds open. */
static __always_inline void derive_on_taint(__u64 taint)
{
	struct sov_config *cfg = sov_cfg();

	if (cfg && sov_derivable(taint, cfg)) {
		derive_open_fds(sov_derivable(taint, cfg));
		derive_maps_held(sov_derivable(taint, cfg));
	}
}

/* An open for writing (trusted: file may go to bpf_d_path()), or a
 * received fd open for writing (not trusted): the file derives when the
 * process is tainted. */
static __always_inline void derive_on_write(__u32 tgid, struct file *file, int fd,
					    const char *upath, int dirfd, int trusted)
{
	struct sov_taint *t = taint_of(&tgid);
	struct sov_config *cfg;

	if (!t)
		return;
	cfg = sov_cfg();
	if (cfg && sov_derivable(t->classes, cfg))
		derive_file(sov_derivable(t->classes, cfg), file, fd, upath, dirfd, trusted);
}

/*
 * A writable shared mapping of a file (sov_map_writes(), checked by the
 * caller first): writes through it reach the file as write() does, so it
 * derives as an open for writing does: a regular file open for writing
 * (mmap refuses a shared writable mapping of a file not open for writing)
 * of a tainted process. The gap it closes: an fd opened for writing before
 * the taint and mapped after it once closed, or never in the fd walk's
 * reach. LSM: mmap_file (fd -1); tracing: the mmap exit with the fd.
 */
static const struct sov_maps_held sov_maps_held_zero;
_Static_assert(SOV_MAPS_HELD == 4, "maps_held_note() masks the slot index with 3");

/*
 * An untainted process maps a file shared and writable: remembered (one
 * lookup, rare: libraries are mapped private), so that its taint later
 * derives the file even once the fd is closed (derive_maps_held()).
 * Beyond SOV_MAPS_HELD files the entry says overflow and sovd's scan of
 * /proc/PID/maps on the taint event finds the rest.
 */
static __always_inline void maps_held_note(__u32 tgid, struct file *file)
{
	struct task_struct *task = sov_current_task();
	__u64 mm = (__u64)BPF_CORE_READ(task, mm);
	struct sov_maps_held *h;
	struct inode *inode;
	__u64 dev, ino;
	__u32 i, n;

	h = bpf_map_lookup_elem(&sov_maps_held, &tgid);
	if (!h) {
		if (bpf_map_update_elem(&sov_maps_held, &tgid, &sov_maps_held_zero, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&sov_maps_held, &tgid)) {
			count(SOV_CNT_MAP_FULL);
			return;
		}
		h = bpf_map_lookup_elem(&sov_maps_held, &tgid);
		if (!h)
			return;
	}
	if (h->mm != mm) {
		/* a new image (exec) or a new entry: the old mappings are gone */
		h->mm = mm;
		h->n = 0;
		h->overflow = 0;
	}
	inode = BPF_CORE_READ(file, f_inode);
	dev = BPF_CORE_READ(inode, i_sb, s_dev);
	ino = BPF_CORE_READ(inode, i_ino);
	n = h->n;
	for (i = 0; i < SOV_MAPS_HELD; i++) {
		if (i >= n)
			break;
		if (h->f[i].key.dev == dev && h->f[i].key.ino == ino)
			return;
	}
	if (n >= SOV_MAPS_HELD) {
		h->overflow = 1;
		return;
	}
	/* 6.1's verifier walks an impossible branch (umin 4, umax 3) of the
	 * index without a mask the compiler cannot drop */
	asm volatile("%0 &= 3" : "+r"(n));
	h->f[n].key.dev = dev;
	h->f[n].key.ino = ino;
	h->f[n].gen = BPF_CORE_READ(inode, i_generation);
	h->f[n].mode = BPF_CORE_READ(inode, i_mode);
	h->n = n + 1;
}

static __always_inline void derive_on_map(struct file *file, int fd)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (!sov_fd_writes(BPF_CORE_READ(file, f_mode), BPF_CORE_READ(file, f_inode, i_mode)))
		return;
	if (!taint_of(&tgid)) {
		maps_held_note(tgid, file);
		return;
	}
	derive_on_write(tgid, file, fd, NULL, -1, 0);
}

#endif
