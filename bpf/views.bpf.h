/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Views of files (issue 11): a label applies to the data, not to one view
 * of it.
 *
 * Overlayfs: an fd opened through an overlay names the overlay's file
 * (the overlay's device and its own inode); the data lives in the real
 * (upper or lower) file that the overlay opened behind it. real_file()
 * gives that real file, so labels are looked up, and derivatives stored,
 * on the real inode; the callers are on_open() and receive_label()
 * (open.bpf.h) and derive_file() (derive.bpf.h), before they call into the
 * label layer. The overlay's own inode is judged too (view_label(): a
 * policy path that is itself an overlay view labels the overlay's inodes).
 *
 * io_uring: the program sov_uring_complete at tp_btf/io_uring_complete,
 * included by tracing.bpf.c and lsm.bpf.c with SOV_VIEWS_PROGS defined
 * (the LSM path sees io_uring's opens at file_open; it needs the program
 * for the reads and writes of fixed files).
 */
#ifndef SOV_VIEWS_BPF_H
#define SOV_VIEWS_BPF_H

#define SOV_OVERLAYFS_MAGIC	0x794c7630	/* OVERLAYFS_SUPER_MAGIC */
#define SOV_VIEW_S_IFMT		00170000
#define SOV_VIEW_S_IFREG	0100000
#define SOV_VIEW_DEPTH		2	/* an overlay over an overlay, at most */

/*
 * Set by sovd before load (agent/views.c): 1 when overlayfs keeps a
 * struct ovl_file (whose first member is the real file) in an open file's
 * private_data (Linux 6.13 and later, or what the kernel's BTF says), 0
 * when private_data is the real file itself (6.1 .. 6.12).
 */
const volatile __u32 sov_ovl_file_struct = 0;

/*
 * Scratch space for what only overlay files need (the overlay inode's own
 * label, the lower file of a copy-up): a per-CPU array, so the callers'
 * stacks do not grow (tp_btf/sys_exit and its recvmsg walk callback are
 * near the 512-byte limit on 6.1 and 6.12). Files of other filesystems
 * never look it up.
 */
struct sov_view_scratch {
	struct sov_inode_key vkey;	/* the overlay inode */
	struct sov_inode_key lkey;	/* the lower inode of a copy-up */
	struct sov_inode_key ukey;	/* the upper (real) inode */
	struct sov_label nl;		/* the label the upper file takes */
	__u64 classes;
	__u32 flags;
	__u32 zero;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sov_view_scratch);
} sov_view_scratch SEC(".maps");

static const __u32 sov_view_zero = 0;

/*
 * The real file behind an overlayfs regular file, or the file itself.
 * A file of any other filesystem costs three loads (f_inode, i_sb,
 * s_magic) and no map lookup. An overlay file whose real file is not
 * (yet) known, as at lsm/file_open before ovl_open() ran, is returned as
 * is: the LSM path sees the real file at its own file_open. The result is
 * an untrusted pointer (probe reads only, never bpf_d_path()).
 */
__noinline __u64 sov_real_file(__u64 addr)
{
	struct file *real = (struct file *)addr, *p;
	unsigned long magic;
	int i;

	for (i = 0; i < SOV_VIEW_DEPTH; i++) {
		magic = BPF_CORE_READ(real, f_inode, i_sb, s_magic);
		if (magic != SOV_OVERLAYFS_MAGIC)
			break;
		/* directories keep a struct ovl_dir_file there */
		if ((BPF_CORE_READ(real, f_inode, i_mode) & SOV_VIEW_S_IFMT) != SOV_VIEW_S_IFREG)
			break;
		p = BPF_CORE_READ(real, private_data);
		if (p && sov_ovl_file_struct &&
		    bpf_probe_read_kernel(&p, sizeof(p), p))
			p = NULL;
		if (!p)
			break;
		real = p;
	}
	return (__u64)(unsigned long)real;
}

/*
 * A file pointer as the scalar a global function takes. An LSM hook's
 * file is a trusted BTF pointer, which 6.1's verifier refuses as a scalar
 * argument ("R1 is not a scalar"): it is read back from the stack with a
 * probe read (0 if that fails). On the tracing path files come from probe
 * reads and are scalars already.
 */
static __always_inline __u64 file_addr(struct file *file)
{
	__u64 a = (__u64)(unsigned long)file;
#ifdef SOV_LSM_PATH
	if (bpf_probe_read_kernel(&a, sizeof(a), &file))
		a = 0;
#endif
	return a;
}

/* A global function (verified once, called, not inlined): its loads and
 * temporaries stay off the callers' stacks (see sov_view_scratch). The
 * file itself when it is no view (its trusted pointer kept on LSM). */
static __always_inline struct file *real_file(struct file *file)
{
	__u64 fa = file_addr(file), ra;

	if (!fa)
		return file;
	ra = sov_real_file(fa);
	return ra == fa ? file : (struct file *)(unsigned long)ra;
}

/*
 * The lower file an overlayfs inode was copied up from (or still is):
 * 6.1 keeps it in struct ovl_inode's lowerpath, 6.5 on in ovl_inode->oe's
 * first lower layer. The types are overlayfs's (vmlinux when it is built
 * in, the overlay module's BTF when it is loaded at sovd's start); without
 * them the lookup is compiled out (bpf_core_type_exists()) and returns
 * NULL. 'inode' is the overlay inode (an overlay file's f_inode).
 */
struct ovl_path___sov {
	struct dentry *dentry;
} __attribute__((preserve_access_index));

struct ovl_entry___sov {
	unsigned int __numlower;
	struct ovl_path___sov __lowerstack[1];
} __attribute__((preserve_access_index));

struct ovl_inode___sov {
	struct inode vfs_inode;
	struct ovl_entry___sov *oe;		/* 6.5 on */
	struct ovl_path___sov lowerpath;	/* 6.1 .. 6.4 */
} __attribute__((preserve_access_index));

static __always_inline struct inode *ovl_lower_inode(struct inode *inode)
{
	struct ovl_inode___sov *oi;
	struct ovl_entry___sov *oe;
	struct dentry *d = NULL;

	if (!bpf_core_type_exists(struct ovl_inode___sov)) {
#ifdef SOV_K510
		/* 5.10 has no module BTF (5.11) and overlayfs is a module:
		 * its 5.10 layout, struct ovl_inode { ...; struct inode
		 * vfs_inode; struct dentry *__upperdentry; struct inode
		 * *lower; }, checked to be another filesystem's inode */
		struct inode *lower = NULL;
		__u64 at = (__u64)(unsigned long)inode + bpf_core_type_size(struct inode) + 8;

		if (bpf_probe_read_kernel(&lower, sizeof(lower), (void *)(unsigned long)at) ||
		    !lower || BPF_CORE_READ(lower, i_sb, s_magic) == SOV_OVERLAYFS_MAGIC)
			return NULL;
		return lower;
#else
		return NULL;
#endif
	}
	oi = (void *)((char *)inode - bpf_core_field_offset(struct ovl_inode___sov, vfs_inode));
	if (bpf_core_field_exists(oi->oe)) {
		oe = BPF_CORE_READ(oi, oe);
		if (!oe || !BPF_CORE_READ(oe, __numlower))
			return NULL;
		d = BPF_CORE_READ(oe, __lowerstack[0].dentry);
	} else if (bpf_core_field_exists(oi->lowerpath)) {
		d = BPF_CORE_READ(oi, lowerpath.dentry);
	}
	return d ? BPF_CORE_READ(d, d_inode) : NULL;
}

#endif /* SOV_VIEWS_BPF_H */

/* ------------------------------------------------------------ programs */
#if defined(SOV_VIEWS_PROGS) && !defined(SOV_VIEWS_PROGS_DONE)
#define SOV_VIEWS_PROGS_DONE 1

/* uapi io_uring.h's opcodes (stable numbers, 6.1 .. 6.18) */
#define SOV_IORING_OP_READV		1
#define SOV_IORING_OP_WRITEV		2
#define SOV_IORING_OP_READ_FIXED	4
#define SOV_IORING_OP_WRITE_FIXED	5
#define SOV_IORING_OP_OPENAT		18
#define SOV_IORING_OP_READ		22
#define SOV_IORING_OP_WRITE		23
#define SOV_IORING_OP_OPENAT2		28
#define SOV_IORING_OP_READ_MULTISHOT	49
#define SOV_IORING_OP_FIXED_FD_INSTALL	54
#define SOV_IORING_OP_READV_FIXED	60
#define SOV_IORING_OP_WRITEV_FIXED	61

/* io_uring/openclose.c's per-request state of an open (first in the
 * request, over the union with req->file): file_slot is the fixed-table
 * slot + 1 of a direct open, 0 for an open that returns an fd. */
struct io_open___sov {
	struct file *file;
	int dfd;
	__u32 file_slot;
} __attribute__((preserve_access_index));

/*
 * Every io_uring completion (tp_btf/io_uring_complete: 6.1's prototype
 * (ctx, req, user_data, res, cflags, extra1, extra2) and 6.18's (ctx, req,
 * cqe) both have the request second; its result is read from req->cqe.res,
 * the same on all). It runs in the ring owner's thread group (the
 * submitting task, its io-wq workers or its SQPOLL thread), before the
 * CQE is visible, so before the process can use what it read.
 *  - (tracing path) OPENAT/OPENAT2 returning an fd (not a direct open into the fixed
 *    table): the fd is in the owner's table; judged as an open (on_open()),
 *    so it taints and derives like openat().
 *  - (tracing path) FIXED_FD_INSTALL: a fixed file installed as an fd, judged as a
 *    received fd (taint by reading, derive by writing).
 *  - read ops (READ, READV, READ_FIXED, READV_FIXED, READ_MULTISHOT) that
 *    read something: the request's file (fixed or not) taints as an open
 *    for reading does: a direct open into the fixed table is seen here.
 *  - write ops (WRITE, WRITEV, WRITE_FIXED, WRITEV_FIXED) that wrote: the
 *    file derives when the owner is tainted (one taint lookup).
 * Other ops cost a load of the opcode and compares; an untainted read of
 * an unlabelled file the label lookups of file_label().
 */
SEC("tp_btf/io_uring_complete")
int sov_uring_complete(__u64 *ctx)
{
	struct io_kiocb *req = (struct io_kiocb *)ctx[1];
	struct sov_inode_key key = {};
	struct file *file;
	__u8 op;
	int res;

#ifdef SOV_K510
	/* 5.10's io_uring_complete has no request (ctx, user_data, res):
	 * io_uring's file operations are not seen there (docs/kernels.md) */
	(void)req; (void)key; (void)file; (void)op; (void)res;
	return 0;
#endif
	op = BPF_CORE_READ(req, opcode);
	if (op != SOV_IORING_OP_OPENAT && op != SOV_IORING_OP_OPENAT2 &&
	    op != SOV_IORING_OP_FIXED_FD_INSTALL &&
	    op != SOV_IORING_OP_READ && op != SOV_IORING_OP_READV &&
	    op != SOV_IORING_OP_READ_FIXED && op != SOV_IORING_OP_READV_FIXED &&
	    op != SOV_IORING_OP_READ_MULTISHOT &&
	    op != SOV_IORING_OP_WRITE && op != SOV_IORING_OP_WRITEV &&
	    op != SOV_IORING_OP_WRITE_FIXED && op != SOV_IORING_OP_WRITEV_FIXED)
		return 0;
	res = BPF_CORE_READ(req, cqe.res);
	if (res < 0)
		return 0;
#ifndef SOV_LSM_PATH
	/* The LSM path saw these at file_open and file_receive. */
	if (op == SOV_IORING_OP_OPENAT || op == SOV_IORING_OP_OPENAT2) {
		struct io_open___sov *o = (void *)req;

		if (BPF_CORE_READ(o, file_slot))
			return 0;	/* direct: seen at its reads and writes */
		file = file_of_fd(sov_current_task(), res);
		if (file)
			on_open(file, res, NULL, -1);
		return 0;
	}
	if (op == SOV_IORING_OP_FIXED_FD_INSTALL) {
		file = file_of_fd(sov_current_task(), res);
		if (file) {
			on_receive(receive_label(file, &key), &key, res);
			receive_write(file, res);
		}
		return 0;
	}
#endif
	file = BPF_CORE_READ(req, file);
	if (!file || !res)
		return 0;
	if (op == SOV_IORING_OP_WRITE || op == SOV_IORING_OP_WRITEV ||
	    op == SOV_IORING_OP_WRITE_FIXED || op == SOV_IORING_OP_WRITEV_FIXED) {
		receive_write(file, -1);
		return 0;
	}
	on_receive(receive_label(file, &key), &key, -1);
	return 0;
}

#endif /* SOV_VIEWS_PROGS */
