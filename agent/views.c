// SPDX-License-Identifier: Apache-2.0
/*
 * What the BPF programs must know about views of files before they load
 * (bpf/views.bpf.h, issue 11): how overlayfs keeps an open file's real
 * file. Linux 6.1 .. 6.12 store the real file in the overlay file's
 * private_data; from 6.13 on private_data points to a struct ovl_file
 * whose first member is the real file. The kernel's BTF says which when
 * it holds overlayfs (built in, or the overlay module loaded); otherwise
 * the kernel release decides (a stable kernel that took the 6.13 change
 * without the module loaded at start is the case this cannot see).
 *
 * Calls: libbpf (BTF). Called by kpath_lsm.c and kpath_tracing.c.
 */
#include <stdio.h>
#include <sys/utsname.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "agent/kpath.h"

static int has_ovl_file(const struct btf *btf)
{
	return btf__find_by_name_kind(btf, "ovl_file", BTF_KIND_STRUCT) > 0;
}

/* 1: struct ovl_file in private_data; 0: the real file itself. */
int kpath_ovl_file_struct(void)
{
	struct btf *vmlinux = btf__load_vmlinux_btf(), *mod;
	struct utsname u;
	int major = 0, minor = 0, r = -1;

	if (vmlinux && !libbpf_get_error(vmlinux)) {
		if (has_ovl_file(vmlinux) ||
		    btf__find_by_name_kind(vmlinux, "ovl_inode", BTF_KIND_STRUCT) > 0) {
			/* overlayfs built in: its types are in vmlinux */
			r = has_ovl_file(vmlinux);
		} else {
			mod = btf__load_module_btf("overlay", vmlinux);
			if (mod && !libbpf_get_error(mod)) {
				r = has_ovl_file(mod);
				btf__free(mod);
			}
		}
		btf__free(vmlinux);
	}
	if (r >= 0)
		return r;
	if (uname(&u) == 0 && sscanf(u.release, "%d.%d", &major, &minor) == 2)
		return major > 6 || (major == 6 && minor >= 13);
	return 1;
}
