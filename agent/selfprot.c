// SPDX-License-Identifier: Apache-2.0
/*
 * Self-protection (selfprot.h). Calls: kpath maps, host.c, log.c, libbpf.
 * Called by main.c once the programs are attached and pinned.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "agent/host.h"
#include "agent/kpath.h"
#include "agent/log.h"
#include "agent/selfprot.h"

#define DEFAULT_JOURNAL	"/var/lib/sovd/journal"	/* journal_glue.c */
#define DEFAULT_KEY	"/etc/sovd/journal.key"

static void inode_of(const char *path, __u64 *dev, __u64 *ino)
{
	struct stat st;

	*dev = *ino = 0;
	if (path && !stat(path, &st)) {
		*dev = kdev_from_user(st.st_dev);
		*ino = st.st_ino;
	}
}

int selfprot_enable(struct kpath *kp, const char *jdir, const char *key, int unlock)
{
	struct sov_self s = {};
	char links[600];
	__u32 zero = 0, one = 1;
	struct bpf_map *map;
	__u64 dummy;

	if (kp->fd.self <= 0 || kp->fd.self_ids <= 0)
		return 0;
	/* sovd's links and maps (an earlier run's ids are stale) */
	for (;;) {
		__u64 k;

		if (bpf_map_get_next_key(kp->fd.self_ids, NULL, &k))
			break;
		bpf_map_delete_elem(kp->fd.self_ids, &k);
	}
	for (size_t i = 0; i < kp->n_links; i++) {
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);
		__u64 k;

		if (bpf_obj_get_info_by_fd(bpf_link__fd(kp->links[i]), &info, &len))
			continue;
		k = SOV_SELF_LINK << 32 | info.id;
		if (bpf_map_update_elem(kp->fd.self_ids, &k, &one, BPF_ANY))
			pr_warn("self-protection: link %u not recorded: %s", info.id,
				strerror(errno));
	}
	bpf_object__for_each_map(map, kp->obj) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		__u64 k;

		if (bpf_map__fd(map) < 0 ||
		    bpf_obj_get_info_by_fd(bpf_map__fd(map), &info, &len))
			continue;
		k = SOV_SELF_MAP << 32 | info.id;
		if (bpf_map_update_elem(kp->fd.self_ids, &k, &one, BPF_ANY))
			pr_warn("self-protection: map %u not recorded: %s", info.id,
				strerror(errno));
	}
	s.tgid = getpid();
	s.enabled = !unlock;
	inode_of(kp->pin_dir, &s.pin_dev, &s.pin_ino);
	snprintf(links, sizeof(links), "%s/links", kp->pin_dir);
	inode_of(links, &dummy, &s.links_ino);
	if (!jdir || strcmp(jdir, "none")) {
		inode_of(jdir ? jdir : DEFAULT_JOURNAL, &s.jdir_dev, &s.jdir_ino);
		inode_of(key ? key : DEFAULT_KEY, &s.key_dev, &s.key_ino);
	}
	if (bpf_map_update_elem(kp->fd.self, &zero, &s, BPF_ANY))
		return -errno;
	if (unlock)
		pr_warn("--unlock: sovd's maps, links, pins and journal are not protected");
	return 0;
}
