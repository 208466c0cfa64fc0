/* SPDX-License-Identifier: Apache-2.0 */
/* Export file pieces shared by the exporter and the verifier (exportfmt.c). */
#ifndef SOV_JOURNAL_EXPORT_H
#define SOV_JOURNAL_EXPORT_H

#include <stddef.h>
#include <stdint.h>
#include "agent/journal/jinternal.h"

struct export_manifest {
	int version;	/* 2 or 3 (the format's number); 0 formats as 3 */
	char origin[256];
	char key[256];
	uint64_t tree_size, first, count, checkpoints;
	/* The requested window; has_*: 0 for an open end (null). */
	int has_since, has_until;
	int64_t since_ns, until_ns;
};

/* Canonical manifest JSON; returns its length or -ENOSPC. */
int sovj_export_manifest_format(const struct export_manifest *m, const char *origin,
				const char *key, char *out, size_t outlen);
int sovj_export_manifest_parse(const uint8_t *p, size_t len, struct export_manifest *m,
			       char *err, size_t errlen);
/* Reads and parses the manifest of the export file at path (no
 * verification: call sov_journal_verify first). */
int sovj_export_manifest_read(const char *path, struct export_manifest *m, char *err, size_t errlen);
/* Proof payload: u64le a, u64le b, then 32-byte hashes. */
size_t sovj_export_proof_put(uint8_t *out, uint64_t a, uint64_t b,
			     const uint8_t proof[][SOV_HASH_LEN], int n);
int sovj_export_proof_parse(const uint8_t *p, size_t len, uint64_t *a, uint64_t *b,
			    uint8_t proof[][SOV_HASH_LEN], int max);
/* Range proof payload (G): u64le lo, u64le hi, u64le n, then 32-byte
 * hashes; parse returns a pointer to the hashes in p and their count. */
size_t sovj_export_range_put(uint8_t *out, uint64_t lo, uint64_t hi, uint64_t n,
			     const uint8_t proof[][SOV_HASH_LEN], int k);
int sovj_export_range_parse(const uint8_t *p, size_t len, uint64_t *lo, uint64_t *hi,
			    uint64_t *n, const uint8_t **hashes);

#endif
