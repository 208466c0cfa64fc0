// SPDX-License-Identifier: Apache-2.0
/*
 * Range proofs of exports (agent/journal/merkle.c, docs/journal-format.md
 * section 10.3): for every tree size up to 70 and sizes around 2^k up to
 * 1025, every range [lo, hi) (a sample for the large sizes) gives a proof
 * of the documented length that, folded with the leaves as a verifier does
 * (frontier of [0, lo), the leaves, the right subtrees), is the tree's
 * root; a changed proof hash or leaf, or a proof for a neighbouring range,
 * is not.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "tests/lib/tap.h"
#include "agent/journal/jinternal.h"

/* The verifier's fold (verify.c does the same). */
static void fold(const uint8_t *leaves, uint64_t lo, uint64_t hi, uint64_t n,
		 uint8_t proof[][SOV_HASH_LEN], int k, uint8_t root[SOV_HASH_LEN])
{
	struct compact c;
	int nl = __builtin_popcountll(lo);

	c.size = lo;
	c.n = nl;
	memcpy(c.h, proof, (size_t)nl * SOV_HASH_LEN);
	for (uint64_t i = lo; i < hi; i++)
		sovj_compact_append(&c, leaves + i * SOV_HASH_LEN);
	for (int i = nl; i < k; i++)
		sovj_compact_append_subtree(&c, proof[i], sovj_range_right_height(c.size, n));
	sovj_compact_root(&c, root);
}

static void test_size(uint64_t n, const uint8_t *leaves, const struct mtree *t, uint64_t step)
{
	uint8_t proof[RANGE_PROOF_MAX][SOV_HASH_LEN], root[SOV_HASH_LEN], got[SOV_HASH_LEN];
	uint8_t lv[SOV_HASH_LEN];
	int len_ok = 1, fold_ok = 1, bad_proof = 0, bad_leaf = 0, tried = 0;
	char name[128];

	sovj_mtree_root(t, n, root);
	for (uint64_t lo = 0; lo <= n; lo += (lo < 3 || lo + 3 > n) ? 1 : step) {
		for (uint64_t hi = lo; hi <= n; hi += (hi < lo + 3 || hi + 3 > n) ? 1 : step) {
			int k = sovj_mtree_range_proof(t, lo, hi, n, proof);

			tried++;
			if (k != sovj_range_proof_len(lo, hi, n))
				len_ok = 0;
			fold(leaves, lo, hi, n, proof, k, got);
			if (memcmp(got, root, SOV_HASH_LEN))
				fold_ok = 0;
			if (k > 0) {
				proof[k / 2][7] ^= 1;
				fold(leaves, lo, hi, n, proof, k, got);
				bad_proof += !memcmp(got, root, SOV_HASH_LEN);
				proof[k / 2][7] ^= 1;
			}
			if (hi > lo) {
				uint8_t *mut = malloc(n * SOV_HASH_LEN);

				memcpy(mut, leaves, n * SOV_HASH_LEN);
				memcpy(lv, mut + lo * SOV_HASH_LEN, SOV_HASH_LEN);
				lv[0] ^= 0x80;
				memcpy(mut + ((lo + hi) / 2) * SOV_HASH_LEN, lv, SOV_HASH_LEN);
				fold(mut, lo, hi, n, proof, k, got);
				bad_leaf += !memcmp(got, root, SOV_HASH_LEN);
				free(mut);
			}
		}
	}
	snprintf(name, sizeof(name), "size %llu: %d ranges, proofs of the documented length",
		 (unsigned long long)n, tried);
	ASSERT_TRUE(len_ok, name);
	snprintf(name, sizeof(name), "size %llu: every range folds to the root", (unsigned long long)n);
	ASSERT_TRUE(fold_ok, name);
	snprintf(name, sizeof(name), "size %llu: a changed proof hash or leaf never does",
		 (unsigned long long)n);
	ASSERT_EQ(bad_proof + bad_leaf, 0, name);
}

/* A pruned tree (leaves [0, P) gone, their frontier kept): every range
 * proof from lo >= P is the full tree's, hash for hash (the exporter of a
 * pruned journal, section 12.4); and a proof that needs a pruned node says
 * so (-ENODATA) rather than inventing it. */
static void test_pruned(const uint8_t *leaves, const struct mtree *full, uint64_t maxn)
{
	uint8_t a[RANGE_PROOF_MAX][SOV_HASH_LEN], b[RANGE_PROOF_MAX][SOV_HASH_LEN];
	int same = 1, refused = 1;
	long tried = 0;
	char name[128];

	for (uint64_t n = 1; n <= maxn; n++) {
		for (uint64_t p = 1; p <= n; p++) {
			struct compact front;
			struct mtree t = { 0 };

			sovj_compact_reset(&front);
			for (uint64_t i = 0; i < p; i++)
				sovj_compact_append(&front, leaves + i * SOV_HASH_LEN);
			if (sovj_mtree_build_pruned(&t, &front, leaves + p * SOV_HASH_LEN, n)) {
				same = 0;
				continue;
			}
			for (uint64_t lo = 0; lo <= n; lo++) {
				for (uint64_t hi = lo; hi <= n; hi++) {
					int k = sovj_mtree_range_proof(&t, lo, hi, n, a);
					int kf = sovj_mtree_range_proof(full, lo, hi, n, b);

					tried++;
					if (lo >= p && (k != kf || memcmp(a, b, (size_t)k * SOV_HASH_LEN)))
						same = 0;
					if (lo < p && k >= 0 && (k != kf || memcmp(a, b, (size_t)k * SOV_HASH_LEN)))
						refused = 0;
				}
			}
			sovj_mtree_free(&t);
		}
	}
	snprintf(name, sizeof(name),
		 "pruned trees up to %llu leaves: %ld ranges from the prune point on are the full tree's",
		 (unsigned long long)maxn, tried);
	ASSERT_TRUE(same, name);
	ASSERT_TRUE(refused, "ranges into the pruned prefix: -ENODATA, or the full tree's proof");
}

int main(void)
{
	static const uint64_t big[] = { 127, 128, 129, 255, 256, 257, 1023, 1024, 1025 };
	uint64_t max = 1025;
	uint8_t *leaves = malloc(max * SOV_HASH_LEN), proof[RANGE_PROOF_MAX][SOV_HASH_LEN];
	struct mtree t;

	(void)tap__skipped;
	if (!ASSERT_TRUE(leaves, "alloc"))
		return tap_done();
	for (uint64_t i = 0; i < max; i++) {
		char d[32];

		snprintf(d, sizeof(d), "leaf %llu", (unsigned long long)i);
		sovj_hash_leaf(d, strlen(d), leaves + i * SOV_HASH_LEN);
	}
	if (ASSERT_OK(sovj_mtree_build(&t, leaves, max), "build tree of 1025")) {
		for (uint64_t n = 0; n <= 70; n++)
			test_size(n, leaves, &t, 1);
		for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++)
			test_size(big[i], leaves, &t, 37);
		ASSERT_EQ(sovj_mtree_range_proof(&t, 3, 2, 5, proof), -EINVAL, "lo > hi is refused");
		ASSERT_EQ(sovj_mtree_range_proof(&t, 0, 6, 5, proof), -EINVAL, "hi > n is refused");
		ASSERT_EQ(sovj_range_proof_len(1, 5, 6), 2, "the worked example (lo 1, hi 5, n 6): 2 hashes");
		ASSERT_EQ(sovj_range_proof_len(0, 5, 12), 3, "[5, 12): [5,6) [6,8) [8,12)");
		test_pruned(leaves, &t, 40);
		sovj_mtree_free(&t);
	}
	free(leaves);
	return tap_done();
}
