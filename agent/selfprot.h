/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Self-protection (issue 12): tells the kernel which process is sovd,
 * which links are its own, and where its pins, journal and key are
 * (struct sov_self). The LSM path refuses other processes' attempts on
 * them (bpf/selfprot.bpf.h); the tracing path has no such hooks.
 */
#ifndef SOVD_SELFPROT_H
#define SOVD_SELFPROT_H

struct kpath;

/* jdir NULL: the default journal directory; "none": no journal. key NULL:
 * the default key. unlock: record sovd but leave the protection off.
 * Returns 0 or -errno. */
int selfprot_enable(struct kpath *kp, const char *jdir, const char *key, int unlock);

#endif
