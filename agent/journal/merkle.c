// SPDX-License-Identifier: Apache-2.0
/* RFC 6962 Merkle tree hashing, compact ranges and proofs. The proof
 * algorithms follow RFC 6962 section 2.1.1/2.1.2 (generation) and RFC 9162
 * section 2.1.3.2/2.1.4.2 (verification).
 *
 * SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP,
 * but EVP's per-digest provider dispatch costs ~60 ns, two thirds of a
 * 65-byte node hash with SHA-NI, on a path taken twice per record. Both run
 * the same SHA-256 code. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>
#include "agent/journal/jinternal.h"

static void hash3(const void *a, size_t alen, const void *b, size_t blen, uint8_t *out)
{
	SHA256_CTX c;

	SHA256_Init(&c);
	SHA256_Update(&c, a, alen);
	if (blen)
		SHA256_Update(&c, b, blen);
	SHA256_Final(out, &c);
}

void sovj_hash_plain(const void *data, size_t len, uint8_t out[SOV_HASH_LEN])
{
	hash3(data, len, NULL, 0, out);
}

void sovj_hash_leaf(const void *data, size_t len, uint8_t out[SOV_HASH_LEN])
{
	static const uint8_t zero = 0x00;

	hash3(&zero, 1, data, len, out);
}

void sovj_hash_node(const uint8_t l[SOV_HASH_LEN],
		    const uint8_t r[SOV_HASH_LEN], uint8_t out[SOV_HASH_LEN])
{
	uint8_t buf[1 + 2 * SOV_HASH_LEN];

	buf[0] = 0x01;
	memcpy(buf + 1, l, SOV_HASH_LEN);
	memcpy(buf + 1 + SOV_HASH_LEN, r, SOV_HASH_LEN);
	hash3(buf, sizeof(buf), NULL, 0, out);
}

void sovj_compact_reset(struct compact *c)
{
	c->size = 0;
	c->n = 0;
}

/* The entries are the perfect subtrees for the set bits of size, largest
 * first; adding a leaf merges equal-sized trailing subtrees, as many as
 * there are trailing one bits in the old size. */
void sovj_compact_append(struct compact *c, const uint8_t leaf[SOV_HASH_LEN])
{
	uint64_t s = c->size;

	memcpy(c->h[c->n++], leaf, SOV_HASH_LEN);
	while (s & 1) {
		sovj_hash_node(c->h[c->n - 2], c->h[c->n - 1], c->h[c->n - 2]);
		c->n--;
		s >>= 1;
	}
	c->size++;
}

void sovj_compact_root(const struct compact *c, uint8_t out[SOV_HASH_LEN])
{
	uint8_t acc[SOV_HASH_LEN];

	if (c->n == 0) {
		sovj_hash_plain("", 0, out);
		return;
	}
	memcpy(acc, c->h[c->n - 1], SOV_HASH_LEN);
	for (int i = c->n - 2; i >= 0; i--)
		sovj_hash_node(c->h[i], acc, acc);
	memcpy(out, acc, SOV_HASH_LEN);
}

int sovj_mtree_build(struct mtree *t, const uint8_t *leaves, uint64_t n)
{
	struct compact none = { 0 };

	return sovj_mtree_build_pruned(t, &none, leaves, n);
}

/* Level l holds the nodes from index pruned >> l on: those end after the
 * pruned prefix. A node that ends inside it is known only when it is one
 * of the frontier's (the maximal perfect subtrees of the prefix). */
static const uint8_t *node_at(const struct mtree *t, int l, uint64_t i)
{
	uint64_t base = t->pruned >> l;

	if (i >= base)
		return t->lvl[l] + (i - base) * SOV_HASH_LEN;
	/* Frontier entry for bit l of pruned, if set: the node just before
	 * base at this level; entries are largest first. */
	if (!((t->pruned >> l) & 1) || i != base - 1)
		return NULL;
	return t->front.h[__builtin_popcountll(t->pruned >> (l + 1))];
}

int sovj_mtree_build_pruned(struct mtree *t, const struct compact *front,
			    const uint8_t *kept, uint64_t n)
{
	uint64_t p = front->size;
	int k;

	memset(t, 0, sizeof(*t));
	if (p > n || front->n != __builtin_popcountll(p))
		return -EINVAL;
	t->n = n;
	t->pruned = p;
	t->front = *front;
	for (k = 0; (n >> k) > 0; k++)
		;
	t->nlevels = k;
	t->lvl = calloc(k ? k : 1, sizeof(*t->lvl));
	if (!t->lvl)
		return -ENOMEM;
	for (int l = 0; l < k; l++) {
		uint64_t base = p >> l, cnt = (n >> l) - base;

		t->lvl[l] = malloc(cnt ? cnt * SOV_HASH_LEN : 1);
		if (!t->lvl[l]) {
			sovj_mtree_free(t);
			return -ENOMEM;
		}
		if (l == 0) {
			memcpy(t->lvl[0], kept, cnt * SOV_HASH_LEN);
			continue;
		}
		/* Both children of a node that ends after the prefix are known:
		 * the left one either ends after it too or is a frontier node. */
		for (uint64_t i = 0; i < cnt; i++)
			sovj_hash_node(node_at(t, l - 1, 2 * (base + i)),
				       node_at(t, l - 1, 2 * (base + i) + 1),
				       t->lvl[l] + i * SOV_HASH_LEN);
	}
	return 0;
}

void sovj_mtree_free(struct mtree *t)
{
	for (int l = 0; t->lvl && l < t->nlevels; l++)
		free(t->lvl[l]);
	free(t->lvl);
	memset(t, 0, sizeof(*t));
}

/* Largest power of two strictly smaller than n (n >= 2). */
static uint64_t split_point(uint64_t n)
{
	uint64_t k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

/* MTH(D[lo:hi]). In RFC 6962 recursion every left part is a perfect subtree
 * aligned on its size, so only the right edge needs recursion. */
static int mth(const struct mtree *t, uint64_t lo, uint64_t hi,
	       uint8_t out[SOV_HASH_LEN])
{
	uint64_t n = hi - lo, k;
	uint8_t l[SOV_HASH_LEN], r[SOV_HASH_LEN];

	if (n == 0) {
		sovj_hash_plain("", 0, out);
		return 0;
	}
	if ((n & (n - 1)) == 0 && (lo & (n - 1)) == 0) {
		int lv = __builtin_ctzll(n);
		const uint8_t *h = node_at(t, lv, lo >> lv);

		/* Inside the pruned prefix and not a frontier node. */
		if (!h)
			return -ENODATA;
		memcpy(out, h, SOV_HASH_LEN);
		return 0;
	}
	k = split_point(n);
	if (mth(t, lo, lo + k, l) || mth(t, lo + k, hi, r))
		return -ENODATA;
	sovj_hash_node(l, r, out);
	return 0;
}

int sovj_mtree_root(const struct mtree *t, uint64_t size, uint8_t out[SOV_HASH_LEN])
{
	return mth(t, 0, size, out);
}

/* PATH(m, D[lo:hi]) of RFC 6962 2.1.1, appending bottom-up. */
static int path(const struct mtree *t, uint64_t m, uint64_t lo,
		uint64_t hi, uint8_t out[][SOV_HASH_LEN], int n)
{
	uint64_t k;

	if (hi - lo <= 1)
		return n;
	k = split_point(hi - lo);
	if (m < k) {
		n = path(t, m, lo, lo + k, out, n);
		if (n < 0 || mth(t, lo + k, hi, out[n]))
			return -ENODATA;
	} else {
		n = path(t, m - k, lo + k, hi, out, n);
		if (n < 0 || mth(t, lo, lo + k, out[n]))
			return -ENODATA;
	}
	return n + 1;
}

int sovj_mtree_inclusion(const struct mtree *t, uint64_t index,
			 uint64_t size, uint8_t out[][SOV_HASH_LEN])
{
	if (size > t->n || index >= size)
		return -EINVAL;
	return path(t, index, 0, size, out, 0);
}

/* SUBPROOF(m, D[lo:hi], b) of RFC 6962 2.1.2. */
static int subproof(const struct mtree *t, uint64_t m, uint64_t lo,
		    uint64_t hi, int b, uint8_t out[][SOV_HASH_LEN], int n)
{
	uint64_t k;

	if (m == hi - lo) {
		if (b)
			return n;
		return mth(t, lo, hi, out[n]) ? -ENODATA : n + 1;
	}
	k = split_point(hi - lo);
	if (m <= k) {
		n = subproof(t, m, lo, lo + k, b, out, n);
		if (n < 0 || mth(t, lo + k, hi, out[n]))
			return -ENODATA;
	} else {
		n = subproof(t, m - k, lo + k, hi, 0, out, n);
		if (n < 0 || mth(t, lo, lo + k, out[n]))
			return -ENODATA;
	}
	return n + 1;
}

int sovj_mtree_consistency(const struct mtree *t, uint64_t size1,
			   uint64_t size2, uint8_t out[][SOV_HASH_LEN])
{
	if (size2 > t->n || size1 > size2)
		return -EINVAL;
	if (size1 == 0 || size1 == size2)
		return 0;
	return subproof(t, size1, 0, size2, 1, out, 0);
}

int sovj_merkle_verify_inclusion(uint64_t index, uint64_t size,
				 const uint8_t leaf[SOV_HASH_LEN], const uint8_t proof[][SOV_HASH_LEN],
				 int nproof, const uint8_t root[SOV_HASH_LEN])
{
	uint64_t fn = index, sn;
	uint8_t r[SOV_HASH_LEN];

	if (index >= size)
		return -EINVAL;
	sn = size - 1;
	memcpy(r, leaf, SOV_HASH_LEN);
	for (int i = 0; i < nproof; i++) {
		if (sn == 0)
			return -EINVAL;
		if ((fn & 1) || fn == sn) {
			sovj_hash_node(proof[i], r, r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			sovj_hash_node(r, proof[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0 || memcmp(r, root, SOV_HASH_LEN))
		return -EINVAL;
	return 0;
}

int sovj_merkle_verify_consistency(uint64_t size1, uint64_t size2,
				   const uint8_t root1[SOV_HASH_LEN], const uint8_t root2[SOV_HASH_LEN],
				   const uint8_t proof[][SOV_HASH_LEN], int nproof)
{
	uint8_t fr[SOV_HASH_LEN], sr[SOV_HASH_LEN];
	uint64_t fn, sn;
	int i = 0;

	if (size1 > size2)
		return -EINVAL;
	if (size1 == size2)
		return nproof == 0 && !memcmp(root1, root2, SOV_HASH_LEN) ? 0 : -EINVAL;
	if (size1 == 0) {
		/* The empty tree's root is SHA-256 of nothing (RFC 6962 2.1). */
		uint8_t empty[SOV_HASH_LEN];

		SHA256(NULL, 0, empty);
		return nproof == 0 && !memcmp(root1, empty, SOV_HASH_LEN) ? 0 : -EINVAL;
	}
	if (nproof == 0)
		return -EINVAL;
	fn = size1 - 1;
	sn = size2 - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	/* When the old tree is a perfect left subtree of the new one, the proof
	 * omits its root: start from root1 itself. */
	if ((size1 & (size1 - 1)) == 0) {
		memcpy(fr, root1, SOV_HASH_LEN);
	} else {
		memcpy(fr, proof[0], SOV_HASH_LEN);
		i = 1;
	}
	memcpy(sr, fr, SOV_HASH_LEN);
	for (; i < nproof; i++) {
		if (sn == 0)
			return -EINVAL;
		if ((fn & 1) || fn == sn) {
			sovj_hash_node(proof[i], fr, fr);
			sovj_hash_node(proof[i], sr, sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			sovj_hash_node(sr, proof[i], sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0 || memcmp(fr, root1, SOV_HASH_LEN) || memcmp(sr, root2, SOV_HASH_LEN))
		return -EINVAL;
	return 0;
}

/* ---- range proofs (exports, docs/journal-format.md section 10.5) ----
 * The leaves [lo, hi) of a tree of size n plus the frontier of [0, lo)
 * and the maximal aligned perfect subtrees of [hi, n) give the root of
 * size n: appended in order to a compact range they make the frontier of
 * [0, n), whose right fold is the root. */

/* Appends the root of the perfect subtree of 2^height leaves that starts
 * at c->size (which must be a multiple of 2^height). */
void sovj_compact_append_subtree(struct compact *c, const uint8_t h[SOV_HASH_LEN], int height)
{
	uint64_t s = c->size >> height;

	memcpy(c->h[c->n++], h, SOV_HASH_LEN);
	while (s & 1) {
		sovj_hash_node(c->h[c->n - 2], c->h[c->n - 1], c->h[c->n - 2]);
		c->n--;
		s >>= 1;
	}
	c->size += 1ull << height;
}

/* The next maximal aligned perfect subtree of [at, n), at < n: its
 * height. */
int sovj_range_right_height(uint64_t at, uint64_t n)
{
	int k = at ? __builtin_ctzll(at) : 63;

	while ((1ull << k) > n - at)
		k--;
	return k;
}

/* How many hashes a range proof for [lo, hi) in a tree of size n holds. */
int sovj_range_proof_len(uint64_t lo, uint64_t hi, uint64_t n)
{
	int cnt = __builtin_popcountll(lo);

	while (hi < n) {
		hi += 1ull << sovj_range_right_height(hi, n);
		cnt++;
	}
	return cnt;
}

int sovj_mtree_range_proof(const struct mtree *t, uint64_t lo, uint64_t hi, uint64_t n,
			   uint8_t out[][SOV_HASH_LEN])
{
	uint64_t at = 0;
	int cnt = 0;

	if (lo > hi || hi > n || n > t->n)
		return -EINVAL;
	for (int k = 63; k >= 0; k--) {
		if (lo >> k & 1) {
			/* -ENODATA: inside a pruned prefix, lo < pruned */
			if (mth(t, at, at + (1ull << k), out[cnt++]))
				return -ENODATA;
			at += 1ull << k;
		}
	}
	while (hi < n) {
		int k = sovj_range_right_height(hi, n);

		if (mth(t, hi, hi + (1ull << k), out[cnt++]))
			return -ENODATA;
		hi += 1ull << k;
	}
	return cnt;
}
