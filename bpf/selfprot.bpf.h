/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Self-protection (issue 12, LSM path only): while sovd runs, no other
 * process gets a writable fd of one of sovd's maps, detaches or updates one
 * of its links, changes its pin directory, or writes, truncates or removes
 * its journal or key (struct sov_self). Each refusal is EPERM and a tamper
 * event naming the process. What stays possible for root is in
 * docs/threat-model.md ("Tampering by root").
 */
#ifndef SOV_SELFPROT_BPF_H
#define SOV_SELFPROT_BPF_H

#include "derive.bpf.h"	/* file_of_fd() */

#define SOV_FMODE_WRITE		0x2
#define SOV_BPF_LINK_UPDATE	29
#define SOV_BPF_LINK_DETACH	34

extern const void bpf_link_fops __ksym;

/* The protection in force against the current process, or NULL: off,
 * or the current process is sovd. */
static __always_inline struct sov_self *self_guard(void)
{
	__u32 k = 0;
	struct sov_self *s = bpf_map_lookup_elem(&sov_self, &k);

	if (!s || !s->enabled)
		return NULL;
	if ((bpf_get_current_pid_tgid() >> 32) == s->tgid)
		return NULL;
	return s;
}

static __always_inline int self_refuse(__u16 hook, __u64 dev, __u64 ino, const char *name)
{
	struct sov_event *e = event_new(SOV_EV_TAMPER);

	if (e) {
		e->hook = hook;
		e->dev = dev;
		e->ino = ino;
		e->verdict = SOV_VERDICT_DENY;
		if (name)
			bpf_probe_read_kernel_str(e->path, sizeof(e->path), name);
		event_submit(e);
	}
	return -1;	/* EPERM */
}

static __always_inline int self_id(__u64 kind, __u32 id)
{
	__u64 key = kind << 32 | id;

	return bpf_map_lookup_elem(&sov_self_ids, &key) != NULL;
}

/* A writable fd of one of sovd's maps: by id or from a pin. */
SEC("lsm/bpf_map")
int BPF_PROG(sov_self_map, struct bpf_map *map, fmode_t fmode, int ret)
{
	if (ret)
		return ret;
	if (!(fmode & SOV_FMODE_WRITE))
		return 0;
	if (!self_guard() || !self_id(SOV_SELF_MAP, map->id))
		return 0;
	return self_refuse(SOV_HOOK_SELF_MAP, 0, map->id, map->name);
}

/* The link an fd of the current process names, if it is one of sovd's. */
static __always_inline int self_link_fd(int fd, __u32 *id)
{
	struct file *file = file_of_fd(sov_current_task(), fd);
	struct bpf_link *link;

	if (!file || BPF_CORE_READ(file, f_op) != &bpf_link_fops)
		return 0;
	link = BPF_CORE_READ(file, private_data);
	*id = BPF_CORE_READ(link, id);
	return self_id(SOV_SELF_LINK, *id);
}

/* BPF_LINK_DETACH and BPF_LINK_UPDATE of sovd's links. */
SEC("lsm/bpf")
int BPF_PROG(sov_self_bpf, int cmd, union bpf_attr *attr, unsigned int size, int ret)
{
	__u32 id = 0;
	int fd;

	if (ret)
		return ret;
	if (cmd != SOV_BPF_LINK_DETACH && cmd != SOV_BPF_LINK_UPDATE)
		return 0;
	if (!self_guard())
		return 0;
	fd = cmd == SOV_BPF_LINK_DETACH ? BPF_CORE_READ(attr, link_detach.link_fd) :
					  BPF_CORE_READ(attr, link_update.link_fd);
	if (!self_link_fd(fd, &id))
		return 0;
	return self_refuse(SOV_HOOK_SELF_LINK, 0, id, NULL);
}

/* The directory is sovd's pin directory (or its links/), or its journal's. */
static __always_inline __u16 self_dir(const struct sov_self *s, struct inode *dir)
{
	__u64 dev = BPF_CORE_READ(dir, i_sb, s_dev), ino = BPF_CORE_READ(dir, i_ino);

	if (dev == s->pin_dev && (ino == s->pin_ino || ino == s->links_ino))
		return SOV_HOOK_SELF_PIN;
	if (s->jdir_ino && dev == s->jdir_dev && ino == s->jdir_ino)
		return SOV_HOOK_SELF_JOURNAL;
	return 0;
}

/* The inode itself is the pin directory, its links/, the journal
 * directory or the key. */
static __always_inline __u16 self_inode(const struct sov_self *s, struct inode *inode)
{
	__u64 dev, ino;

	if (!inode)
		return 0;
	dev = BPF_CORE_READ(inode, i_sb, s_dev);
	ino = BPF_CORE_READ(inode, i_ino);
	if (dev == s->pin_dev && (ino == s->pin_ino || ino == s->links_ino))
		return SOV_HOOK_SELF_PIN;
	if (s->jdir_ino && dev == s->jdir_dev && ino == s->jdir_ino)
		return SOV_HOOK_SELF_JOURNAL;
	if (s->key_ino && dev == s->key_dev && ino == s->key_ino)
		return SOV_HOOK_SELF_JOURNAL;
	return 0;
}

static __always_inline int self_entry(struct inode *dir, struct dentry *dentry)
{
	struct sov_self *s = self_guard();
	struct inode *inode;
	__u16 hook;

	if (!s)
		return 0;
	inode = BPF_CORE_READ(dentry, d_inode);
	hook = self_dir(s, dir);
	if (!hook)
		hook = self_inode(s, inode);
	if (!hook)
		return 0;
	return self_refuse(hook, BPF_CORE_READ(dir, i_sb, s_dev),
			   inode ? BPF_CORE_READ(inode, i_ino) : 0,
			   (const char *)BPF_CORE_READ(dentry, d_name.name));
}

SEC("lsm/inode_unlink")
int BPF_PROG(sov_self_unlink, struct inode *dir, struct dentry *dentry, int ret)
{
	if (ret)
		return ret;
	return self_entry(dir, dentry);
}

SEC("lsm/inode_rmdir")
int BPF_PROG(sov_self_rmdir, struct inode *dir, struct dentry *dentry, int ret)
{
	if (ret)
		return ret;
	return self_entry(dir, dentry);
}

SEC("lsm/inode_rename")
int BPF_PROG(sov_self_rename, struct inode *old_dir, struct dentry *old_dentry,
	     struct inode *new_dir, struct dentry *new_dentry, int ret)
{
	int r;

	if (ret)
		return ret;
	r = self_entry(old_dir, old_dentry);
	if (r)
		return r;
	return self_entry(new_dir, new_dentry);
}

/* An open for writing of the key or of a file in the journal directory
 * (called from lsm/file_open). Returns -1 to refuse. */
static __always_inline int self_file_open(struct file *file)
{
	struct sov_self *s;
	struct inode *inode;
	__u16 hook;

	if (!(BPF_CORE_READ(file, f_mode) & SOV_FMODE_WRITE))
		return 0;
	s = self_guard();
	if (!s)
		return 0;
	inode = BPF_CORE_READ(file, f_inode);
	hook = self_inode(s, inode);
	if (!hook)
		hook = self_dir(s, BPF_CORE_READ(file, f_path.dentry, d_parent, d_inode));
	if (hook != SOV_HOOK_SELF_JOURNAL)
		return 0;
	return self_refuse(hook, BPF_CORE_READ(inode, i_sb, s_dev), BPF_CORE_READ(inode, i_ino),
			   (const char *)BPF_CORE_READ(file, f_path.dentry, d_name.name));
}

/* truncate(2) by path of the key or of a journal file. */
SEC("lsm/path_truncate")
int BPF_PROG(sov_self_truncate, const struct path *path, int ret)
{
	struct sov_self *s;
	struct dentry *d;
	struct inode *inode;
	__u16 hook;

	if (ret)
		return ret;
	s = self_guard();
	if (!s)
		return 0;
	d = BPF_CORE_READ(path, dentry);
	inode = BPF_CORE_READ(d, d_inode);
	hook = self_inode(s, inode);
	if (!hook)
		hook = self_dir(s, BPF_CORE_READ(d, d_parent, d_inode));
	if (hook != SOV_HOOK_SELF_JOURNAL)
		return 0;
	return self_refuse(hook, BPF_CORE_READ(inode, i_sb, s_dev), BPF_CORE_READ(inode, i_ino),
			   (const char *)BPF_CORE_READ(d, d_name.name));
}

#endif
