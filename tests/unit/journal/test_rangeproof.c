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
		sovj_mtree_free(&t);
	}
	free(leaves);
	return tap_done();
}
