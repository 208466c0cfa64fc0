// SPDX-License-Identifier: Apache-2.0
/*
 * RFC 6962 Merkle tree: the Certificate Transparency test vectors (as
 * published in transparency-dev/merkle testonly/constants.go and
 * proof/verify_test.go), then sizes 0, 1, 2^k and 2^k +- 1 up to 1025 where
 * compact range, full tree and a direct recursive MTH must agree and every
 * generated proof must verify while tampered ones must not. Then trees
 * with a pruned prefix (retention): built from the frontier of the first P
 * leaves and the others, they must give the same roots and proofs for
 * every kept leaf and every tree size >= P, and -ENODATA where a proof
 * needs a pruned node.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "tests/lib/tap.h"
#include "agent/journal/jinternal.h"

static void unhex(const char *s, uint8_t *out)
{
	for (size_t i = 0; i < strlen(s) / 2; i++) {
		unsigned int v;

		sscanf(s + 2 * i, "%2x", &v);
		out[i] = v;
	}
}

static const char *leaf_hex[8] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
	"606162636465666768696a6b6c6d6e6f",
};

static const char *root_hex[9] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

struct vec {
	uint64_t a, b;		/* inclusion: leaf index (0-based), size; consistency: size1, size2 */
	int n;
	const char *h[3];
};

static const struct vec incl[] = {
	{ 0, 8, 3, { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
		     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		     "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
	{ 5, 8, 3, { "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
		     "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
		     "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
	{ 2, 3, 1, { "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125" } },
	{ 1, 5, 3, { "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		     "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
	{ 0, 1, 0, { 0 } },
};

static const struct vec cons[] = {
	{ 1, 1, 0, { 0 } },
	{ 1, 8, 3, { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
		     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		     "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
	{ 6, 8, 3, { "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
		     "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
		     "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
	{ 2, 5, 2, { "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		     "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
	{ 6, 7, 3, { "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
		     "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
		     "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
};

/* MTH straight from RFC 6962 section 2.1, independent of mtree/compact. */
static void naive_mth(const uint8_t *leaves, uint64_t n, uint8_t out[SOV_HASH_LEN])
{
	uint8_t l[SOV_HASH_LEN], r[SOV_HASH_LEN];
	uint64_t k = 1;

	if (n == 0) {
		sovj_hash_plain("", 0, out);
		return;
	}
	if (n == 1) {
		memcpy(out, leaves, SOV_HASH_LEN);
		return;
	}
	while (k * 2 < n)
		k *= 2;
	naive_mth(leaves, k, l);
	naive_mth(leaves + k * SOV_HASH_LEN, n - k, r);
	sovj_hash_node(l, r, out);
}

static void test_vectors(void)
{
	uint8_t leaves[8][SOV_HASH_LEN], want[SOV_HASH_LEN], got[SOV_HASH_LEN], raw[16];
	uint8_t proof[64][SOV_HASH_LEN], wantp[3][SOV_HASH_LEN];
	struct compact c;
	struct mtree t;
	char name[96];

	sovj_compact_reset(&c);
	for (int i = 0; i < 8; i++) {
		unhex(leaf_hex[i], raw);
		sovj_hash_leaf(raw, strlen(leaf_hex[i]) / 2, leaves[i]);
	}
	for (int n = 0; n <= 8; n++) {
		unhex(root_hex[n], want);
		if (n)
			sovj_compact_append(&c, leaves[n - 1]);
		sovj_compact_root(&c, got);
		snprintf(name, sizeof(name), "CT vector: root of size %d (compact range)", n);
		ASSERT_MEMEQ(got, want, SOV_HASH_LEN, name);
	}
	if (!ASSERT_OK(sovj_mtree_build(&t, leaves[0], 8), "build tree of 8"))
		return;
	for (int n = 0; n <= 8; n++) {
		unhex(root_hex[n], want);
		sovj_mtree_root(&t, n, got);
		snprintf(name, sizeof(name), "CT vector: root of size %d (full tree)", n);
		ASSERT_MEMEQ(got, want, SOV_HASH_LEN, name);
	}
	for (size_t i = 0; i < sizeof(incl) / sizeof(incl[0]); i++) {
		const struct vec *v = &incl[i];
		int np = sovj_mtree_inclusion(&t, v->a, v->b, proof);

		for (int k = 0; k < v->n; k++)
			unhex(v->h[k], wantp[k]);
		snprintf(name, sizeof(name), "CT vector: inclusion proof leaf %llu size %llu",
			 (unsigned long long)v->a, (unsigned long long)v->b);
		if (ASSERT_EQ(np, v->n, name))
			ASSERT_MEMEQ(proof, wantp, (size_t)np * SOV_HASH_LEN, name);
		unhex(root_hex[v->b], want);
		snprintf(name, sizeof(name), "CT vector: inclusion proof leaf %llu size %llu verifies",
			 (unsigned long long)v->a, (unsigned long long)v->b);
		ASSERT_OK(sovj_merkle_verify_inclusion(v->a, v->b, leaves[v->a], wantp, v->n, want), name);
	}
	for (size_t i = 0; i < sizeof(cons) / sizeof(cons[0]); i++) {
		const struct vec *v = &cons[i];
		uint8_t r1[SOV_HASH_LEN];
		int np = sovj_mtree_consistency(&t, v->a, v->b, proof);

		for (int k = 0; k < v->n; k++)
			unhex(v->h[k], wantp[k]);
		snprintf(name, sizeof(name), "CT vector: consistency proof %llu -> %llu",
			 (unsigned long long)v->a, (unsigned long long)v->b);
		if (ASSERT_EQ(np, v->n, name))
			ASSERT_MEMEQ(proof, wantp, (size_t)np * SOV_HASH_LEN, name);
		unhex(root_hex[v->a], r1);
		unhex(root_hex[v->b], want);
		snprintf(name, sizeof(name), "CT vector: consistency proof %llu -> %llu verifies",
			 (unsigned long long)v->a, (unsigned long long)v->b);
		ASSERT_OK(sovj_merkle_verify_consistency(v->a, v->b, r1, want, wantp, v->n), name);
	}
	sovj_mtree_free(&t);
}

/* Every proof of a tree of size n verifies; flipping a bit, dropping or
 * adding a hash, or claiming another index or twice the size makes it
 * fail. (A proof can also fit a size just above n: the signed checkpoint is
 * what binds a size to a root.) */
static void test_size(uint64_t n, const uint8_t *leaves, const struct mtree *t)
{
	uint8_t root[SOV_HASH_LEN], naive[SOV_HASH_LEN], proof[65][SOV_HASH_LEN];
	uint8_t r1[SOV_HASH_LEN];
	struct compact c;
	int incl_ok = 1, incl_bad = 0, cons_ok = 1, cons_bad = 0;
	char name[96];

	sovj_compact_reset(&c);
	for (uint64_t i = 0; i < n; i++)
		sovj_compact_append(&c, leaves + i * SOV_HASH_LEN);
	sovj_compact_root(&c, root);
	naive_mth(leaves, n, naive);
	snprintf(name, sizeof(name), "size %llu: compact root == RFC 6962 MTH", (unsigned long long)n);
	ASSERT_MEMEQ(root, naive, SOV_HASH_LEN, name);
	sovj_mtree_root(t, n, r1);
	snprintf(name, sizeof(name), "size %llu: full-tree root == RFC 6962 MTH", (unsigned long long)n);
	ASSERT_MEMEQ(r1, naive, SOV_HASH_LEN, name);

	for (uint64_t i = 0; i < n; i += n > 70 ? 13 : 1) {
		int np = sovj_mtree_inclusion(t, i, n, proof);

		if (np < 0 || sovj_merkle_verify_inclusion(i, n, leaves + i * SOV_HASH_LEN, proof, np, root)) {
			incl_ok = 0;
			continue;
		}
		if (np > 0) {
			proof[np - 1][5] ^= 0x10;
			incl_bad += !sovj_merkle_verify_inclusion(i, n, leaves + i * SOV_HASH_LEN, proof, np, root);
			proof[np - 1][5] ^= 0x10;
			incl_bad += !sovj_merkle_verify_inclusion(i, n, leaves + i * SOV_HASH_LEN, proof, np - 1, root);
			incl_bad += !sovj_merkle_verify_inclusion(i ^ 1, n, leaves + i * SOV_HASH_LEN, proof, np, root);
			incl_bad += !sovj_merkle_verify_inclusion(i, 2 * n, leaves + i * SOV_HASH_LEN, proof, np, root);
		}
		memcpy(proof[np], root, SOV_HASH_LEN);
		incl_bad += !sovj_merkle_verify_inclusion(i, n, leaves + i * SOV_HASH_LEN, proof, np + 1, root);
	}
	snprintf(name, sizeof(name), "size %llu: inclusion proofs verify", (unsigned long long)n);
	ASSERT_TRUE(incl_ok, name);
	snprintf(name, sizeof(name), "size %llu: tampered inclusion proofs are rejected", (unsigned long long)n);
	ASSERT_EQ(incl_bad, 0, name);

	for (uint64_t m = 1; m <= n; m += n > 70 ? 11 : 1) {
		int np = sovj_mtree_consistency(t, m, n, proof);

		sovj_mtree_root(t, m, r1);
		if (np < 0 || sovj_merkle_verify_consistency(m, n, r1, root, proof, np)) {
			cons_ok = 0;
			continue;
		}
		if (np > 0) {
			proof[0][0] ^= 1;
			cons_bad += !sovj_merkle_verify_consistency(m, n, r1, root, proof, np);
			proof[0][0] ^= 1;
			cons_bad += !sovj_merkle_verify_consistency(m, n, r1, root, proof, np - 1);
			cons_bad += !sovj_merkle_verify_consistency(m, n, root, r1, proof, np);
			if (m > 1)
				cons_bad += !sovj_merkle_verify_consistency(m - 1, n, r1, root, proof, np);
		}
	}
	snprintf(name, sizeof(name), "size %llu: consistency proofs verify", (unsigned long long)n);
	ASSERT_TRUE(cons_ok, name);
	snprintf(name, sizeof(name), "size %llu: tampered consistency proofs are rejected", (unsigned long long)n);
	ASSERT_EQ(cons_bad, 0, name);
}
/* Every n <= 40, every prefix P <= n. One result per (n, P), counted. */
static void test_pruned(const uint8_t *leaves)
{
	uint64_t cases = 0, bad = 0, nodata = 0, wrong_nodata = 0;

	for (uint64_t n = 1; n <= 40; n++) {
		struct mtree full;

		if (sovj_mtree_build(&full, leaves, n))
			bad++;
		for (uint64_t p = 0; p <= n; p++) {
			struct compact c;
			struct mtree t;
			uint8_t a[SOV_HASH_LEN], b[SOV_HASH_LEN];
			uint8_t pa[64][SOV_HASH_LEN], pb[64][SOV_HASH_LEN];

			sovj_compact_reset(&c);
			for (uint64_t i = 0; i < p; i++)
				sovj_compact_append(&c, leaves + i * SOV_HASH_LEN);
			if (sovj_mtree_build_pruned(&t, &c, leaves + p * SOV_HASH_LEN, n)) {
				bad++;
				continue;
			}
			cases++;
			for (uint64_t m = p ? p : 1; m <= n; m++) {
				int na, nb;

				if (sovj_mtree_root(&full, m, a) || sovj_mtree_root(&t, m, b) ||
				    memcmp(a, b, SOV_HASH_LEN))
					bad++;
				for (uint64_t i = p; i < m; i++) {
					na = sovj_mtree_inclusion(&full, i, m, pa);
					nb = sovj_mtree_inclusion(&t, i, m, pb);
					if (na != nb || na < 0 || memcmp(pa, pb, na * SOV_HASH_LEN))
						bad++;
				}
				na = sovj_mtree_consistency(&full, m, n, pa);
				nb = sovj_mtree_consistency(&t, m, n, pb);
				if (na != nb || na < 0 || memcmp(pa, pb, na * SOV_HASH_LEN))
					bad++;
			}
			/* Older sizes: either the same proof or -ENODATA. */
			for (uint64_t m = 1; m < p; m++) {
				int na = sovj_mtree_consistency(&full, m, n, pa);
				int nb = sovj_mtree_consistency(&t, m, n, pb);

				if (nb == -ENODATA)
					nodata++;
				else if (nb != na || memcmp(pa, pb, na * SOV_HASH_LEN))
					wrong_nodata++;
			}
			sovj_mtree_free(&t);
		}
		sovj_mtree_free(&full);
	}
	ASSERT_EQ(cases, 860, "pruned trees: every (n <= 40, P <= n) built");
	ASSERT_EQ(bad, 0, "pruned trees: roots, inclusion and consistency proofs from P on equal the full tree's");
	ASSERT_EQ(wrong_nodata, 0, "pruned trees: proofs from before P are the full tree's or -ENODATA");
	ASSERT_TRUE(nodata > 0, "pruned trees: some proofs from before P need pruned nodes (-ENODATA)");
}

int main(void)
{
	static const uint64_t sizes[] = { 0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33,
					  63, 64, 65, 127, 128, 129, 1023, 1024, 1025 };
	uint64_t max = 1025;
	uint8_t *leaves = malloc(max * SOV_HASH_LEN);
	struct mtree t;

	(void)tap__skipped;
	if (!ASSERT_TRUE(leaves, "alloc"))
		return tap_done();
	test_vectors();
	for (uint64_t i = 0; i < max; i++) {
		char d[32];

		snprintf(d, sizeof(d), "leaf %llu", (unsigned long long)i);
		sovj_hash_leaf(d, strlen(d), leaves + i * SOV_HASH_LEN);
	}
	test_pruned(leaves);
	if (ASSERT_OK(sovj_mtree_build(&t, leaves, max), "build tree of 1025")) {
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
			test_size(sizes[i], leaves, &t);
		sovj_mtree_free(&t);
	}
	free(leaves);
	return tap_done();
}
