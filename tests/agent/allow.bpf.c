// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/* tamper.t: a foreign program for sovd's cgroup hooks; it allows all. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("cgroup/connect4")
int sovt_allow(struct bpf_sock_addr *ctx)
{
	return 1;
}
