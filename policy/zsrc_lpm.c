// SPDX-License-Identifier: Apache-2.0
/*
 * Precedence builder: prefixes of every zone source go into one
 * path-compressed binary trie (each node holds a value per tier), and the
 * smallest equivalent LPM table is read out of it with ORTC (Draves, King,
 * Venkatachary, Zill: "Constructing optimal IP routing tables", 1999).
 *
 * The "value" of an address is the precedence answer: walking down from the
 * root, each tier remembers the zone of its longest matching prefix (a hole
 * resets it to "no claim"); the first tier with a claim answers. ORTC works on
 * the full binary trie with that value at its leaves; here the single-child
 * chains that path compression skips are handled in closed form, which is
 * what keeps a million explicit prefixes cheap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/zsrc.h"

/* ORTC candidate sets are truncated to this many zones: the output stays
 * exact (leaves are singletons), only optimality can suffer, and policies
 * whose sets would grow past it are rare. */
#define SET_MAX 4

struct node {
	uint64_t k[2];		/* prefix, bit 0 = MSB of k[0]; host bits zero */
	uint32_t child[2];	/* node index; 0 = none (the root is never a child) */
	uint32_t vidx;		/* 1 + index into vals; 0 = no value */
	uint32_t eff;		/* precedence answer at this node (compile) */
	uint8_t plen;
	uint8_t nset;
};

struct vals {
	uint32_t v[ZSRC_TIERS];
	uint8_t mask;		/* tiers that have a value here */
};

struct zsrc_lpm {
	int family;
	unsigned int width;
	struct node *nodes;
	size_t n_nodes, cap_nodes;
	struct vals *vals;
	size_t n_vals, cap_vals;
	size_t n_input;
	/* compile scratch */
	uint32_t (*sets)[SET_MAX];
	struct zsrc_entry *out;
	size_t n_out, cap_out;
};

static void key_load(const struct zsrc_lpm *t, const uint8_t *addr, uint64_t k[2])
{
	unsigned int nbytes = t->width / 8;
	uint8_t b[16] = { 0 };

	memcpy(b, addr, nbytes);
	k[0] = k[1] = 0;
	for (int i = 0; i < 8; i++) {
		k[0] = k[0] << 8 | b[i];
		k[1] = k[1] << 8 | b[8 + i];
	}
}

static void key_store(const uint64_t k[2], uint8_t addr[16])
{
	for (int i = 0; i < 8; i++) {
		addr[i] = k[0] >> (56 - 8 * i);
		addr[8 + i] = k[1] >> (56 - 8 * i);
	}
}

static void key_mask(uint64_t k[2], unsigned int plen)
{
	if (plen == 0) {
		k[0] = k[1] = 0;
	} else if (plen < 64) {
		k[0] &= ~0ULL << (64 - plen);
		k[1] = 0;
	} else if (plen == 64) {
		k[1] = 0;
	} else if (plen < 128) {
		k[1] &= ~0ULL << (128 - plen);
	}
}

static unsigned int key_bit(const uint64_t k[2], unsigned int i)
{
	return (k[i / 64] >> (63 - i % 64)) & 1;
}

static void key_set_bit(uint64_t k[2], unsigned int i)
{
	k[i / 64] |= 1ULL << (63 - i % 64);
}

/* Length of the common leading bits of a and b. */
static unsigned int key_common(const uint64_t a[2], const uint64_t b[2])
{
	uint64_t x = a[0] ^ b[0];

	if (x)
		return __builtin_clzll(x);
	x = a[1] ^ b[1];
	return x ? 64 + __builtin_clzll(x) : 128;
}

static int key_cmp(const uint64_t a[2], const uint64_t b[2])
{
	if (a[0] != b[0])
		return a[0] < b[0] ? -1 : 1;
	if (a[1] != b[1])
		return a[1] < b[1] ? -1 : 1;
	return 0;
}

static long node_new(struct zsrc_lpm *t, const uint64_t k[2], unsigned int plen)
{
	struct node *n;

	if (t->n_nodes == t->cap_nodes) {
		size_t cap = t->cap_nodes ? t->cap_nodes * 2 : 1024;
		struct node *nn;

		if (cap > UINT32_MAX)
			return -ENOMEM;
		nn = realloc(t->nodes, cap * sizeof(*nn));
		if (!nn)
			return -ENOMEM;
		t->nodes = nn;
		t->cap_nodes = cap;
	}
	n = &t->nodes[t->n_nodes];
	memset(n, 0, sizeof(*n));
	n->k[0] = k[0];
	n->k[1] = k[1];
	n->plen = plen;
	return t->n_nodes++;
}

struct zsrc_lpm *zsrc_lpm_new(int family)
{
	static const uint64_t zero[2];
	struct zsrc_lpm *t;

	if (family != AF_INET && family != AF_INET6) {
		errno = EAFNOSUPPORT;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->family = family;
	t->width = family == AF_INET ? 32 : 128;
	if (node_new(t, zero, 0) < 0) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

void zsrc_lpm_free(struct zsrc_lpm *t)
{
	if (!t)
		return;
	free(t->out);
	free(t->sets);
	free(t->vals);
	free(t->nodes);
	free(t);
}

int zsrc_lpm_family(const struct zsrc_lpm *t)
{
	return t->family;
}

/* Index of the node for k/plen, created (with a branch node if needed). */
static long node_find_or_insert(struct zsrc_lpm *t, const uint64_t k[2],
				unsigned int plen)
{
	uint32_t x = 0;

	for (;;) {
		struct node *xn = &t->nodes[x];
		unsigned int b, cl;
		uint32_t c;
		long n, br;

		if (xn->plen == plen)
			return x;
		b = key_bit(k, xn->plen);
		c = xn->child[b];
		if (!c) {
			n = node_new(t, k, plen);
			if (n >= 0)
				t->nodes[x].child[b] = n;
			return n;
		}
		cl = key_common(k, t->nodes[c].k);
		if (cl > plen)
			cl = plen;
		if (cl >= t->nodes[c].plen) {
			x = c;
			continue;
		}
		if (cl == plen) {
			/* The new prefix sits between x and c. */
			n = node_new(t, k, plen);
			if (n < 0)
				return n;
			t->nodes[n].child[key_bit(t->nodes[c].k, plen)] = c;
			t->nodes[x].child[b] = n;
			return n;
		}
		/* k and c diverge at bit cl: a branch node holds both. */
		{
			uint64_t bk[2] = { k[0], k[1] };

			key_mask(bk, cl);
			br = node_new(t, bk, cl);
			if (br < 0)
				return br;
			n = node_new(t, k, plen);
			if (n < 0)
				return n;
			t->nodes[br].child[key_bit(k, cl)] = n;
			t->nodes[br].child[key_bit(t->nodes[c].k, cl)] = c;
			t->nodes[x].child[b] = br;
			return n;
		}
	}
}

int zsrc_lpm_add(struct zsrc_lpm *t, const uint8_t *addr, unsigned int plen,
		 enum zsrc_tier tier, uint32_t zone, uint32_t *other)
{
	struct vals *v;
	uint64_t k[2];
	long n;

	if (plen > t->width || (unsigned int)tier >= ZSRC_TIERS)
		return -EINVAL;
	key_load(t, addr, k);
	key_mask(k, plen);
	n = node_find_or_insert(t, k, plen);
	if (n < 0)
		return n;
	if (!t->nodes[n].vidx) {
		if (t->n_vals == t->cap_vals) {
			size_t cap = t->cap_vals ? t->cap_vals * 2 : 1024;
			struct vals *nv = realloc(t->vals, cap * sizeof(*nv));

			if (!nv)
				return -ENOMEM;
			t->vals = nv;
			t->cap_vals = cap;
		}
		memset(&t->vals[t->n_vals], 0, sizeof(t->vals[0]));
		t->nodes[n].vidx = ++t->n_vals;
	}
	v = &t->vals[t->nodes[n].vidx - 1];
	if (v->mask & (1u << tier)) {
		if (v->v[tier] == zone)
			return 0;
		if (other)
			*other = v->v[tier];
		return -EEXIST;
	}
	v->mask |= 1u << tier;
	v->v[tier] = zone;
	t->n_input++;
	return 0;
}

static void vals_apply(const struct zsrc_lpm *t, const struct node *n,
		       uint32_t inh[ZSRC_TIERS])
{
	const struct vals *v;

	if (!n->vidx)
		return;
	v = &t->vals[n->vidx - 1];
	for (int i = 0; i < ZSRC_TIERS; i++)
		if (v->mask & (1u << i))
			inh[i] = v->v[i];
}

static uint32_t vals_answer(const uint32_t inh[ZSRC_TIERS])
{
	for (int i = 0; i < ZSRC_TIERS; i++)
		if (inh[i] != ZSRC_HOLE)
			return inh[i];
	return 0;
}

uint32_t zsrc_lpm_resolve(const struct zsrc_lpm *t, const uint8_t *addr)
{
	uint32_t inh[ZSRC_TIERS] = { 0 };
	uint64_t k[2];
	uint32_t x = 0;

	key_load(t, addr, k);
	for (;;) {
		const struct node *xn = &t->nodes[x];
		uint32_t c;

		vals_apply(t, xn, inh);
		if (xn->plen == t->width)
			break;
		c = xn->child[key_bit(k, xn->plen)];
		if (!c || key_common(k, t->nodes[c].k) < t->nodes[c].plen)
			break;
		x = c;
	}
	return vals_answer(inh);
}

/* ---- ORTC ---- */

struct zset {
	uint32_t v[SET_MAX];
	unsigned int n;
};

static int zset_has(const struct zset *s, uint32_t z)
{
	for (unsigned int i = 0; i < s->n; i++)
		if (s->v[i] == z)
			return 1;
	return 0;
}

static void zset_one(struct zset *s, uint32_t z)
{
	s->v[0] = z;
	s->n = 1;
}

/* a := a with z added (dropped when full; see SET_MAX). */
static void zset_add(struct zset *s, uint32_t z)
{
	if (!zset_has(s, z) && s->n < SET_MAX)
		s->v[s->n++] = z;
}

/* ORTC's second pass: the intersection if not empty, else the union. */
static void zset_combine(struct zset *out, const struct zset *a, const struct zset *b)
{
	out->n = 0;
	for (unsigned int i = 0; i < a->n; i++)
		if (zset_has(b, a->v[i]))
			out->v[out->n++] = a->v[i];
	if (out->n)
		return;
	*out = *a;
	for (unsigned int i = 0; i < b->n; i++)
		zset_add(out, b->v[i]);
}

static void zset_load(const struct zsrc_lpm *t, uint32_t x, struct zset *s)
{
	s->n = t->nodes[x].nset;
	memcpy(s->v, t->sets[x], sizeof(s->v));
}

/*
 * Set of the binary node just below a node whose answer is e, on the way to
 * child c (plen gap m = c.plen - parent.plen - 1): the skipped chain nodes
 * each have a missing sibling answering e, so one chain node adds e to c's
 * set, and from the second one up the set is {e}.
 */
static void chain_set(const struct zsrc_lpm *t, uint32_t c, unsigned int m,
		      uint32_t e, struct zset *s)
{
	if (m >= 2) {
		zset_one(s, e);
		return;
	}
	zset_load(t, c, s);
	if (m == 1) {
		if (zset_has(s, e))
			zset_one(s, e);
		else
			zset_add(s, e);
	}
}

/* Pass 1 + 2: answers top-down, candidate sets bottom-up. */
static void ortc_sets(struct zsrc_lpm *t, uint32_t x, const uint32_t up[ZSRC_TIERS])
{
	uint32_t inh[ZSRC_TIERS];
	struct zset side[2], s;
	struct node *xn = &t->nodes[x];
	uint32_t e;

	memcpy(inh, up, sizeof(inh));
	vals_apply(t, xn, inh);
	e = xn->eff = vals_answer(inh);
	if (xn->plen == t->width) {
		zset_one(&s, e);
		goto out;
	}
	for (int b = 0; b < 2; b++) {
		uint32_t c = t->nodes[x].child[b];

		if (!c) {
			zset_one(&side[b], e);
			continue;
		}
		ortc_sets(t, c, inh);
		chain_set(t, c, t->nodes[c].plen - t->nodes[x].plen - 1, e, &side[b]);
	}
	zset_combine(&s, &side[0], &side[1]);
out:
	t->nodes[x].nset = s.n;
	memcpy(t->sets[x], s.v, sizeof(s.v));
}

static int emit(struct zsrc_lpm *t, const uint64_t k[2], unsigned int plen,
		uint32_t zone)
{
	struct zsrc_entry *e;

	if (t->n_out == t->cap_out) {
		size_t cap = t->cap_out ? t->cap_out * 2 : 256;
		struct zsrc_entry *n = realloc(t->out, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		t->out = n;
		t->cap_out = cap;
	}
	e = &t->out[t->n_out++];
	memset(e, 0, sizeof(*e));
	key_store(k, e->addr);
	if (t->width == 32)
		memset(e->addr + 4, 0, 12);
	e->plen = plen;
	e->zone = zone;
	return 0;
}

/* k/plen extended by one bit b. */
static void key_child(const uint64_t k[2], unsigned int plen, unsigned int b,
		      uint64_t out[2])
{
	out[0] = k[0];
	out[1] = k[1];
	if (b)
		key_set_bit(out, plen);
}

/*
 * Pass 3, top-down: h is what the table built so far answers here. Entries
 * come out in (addr, plen) order: a prefix before what it contains, the
 * lower half before the upper one.
 */
static int ortc_emit(struct zsrc_lpm *t, uint32_t x, uint32_t h)
{
	struct zset s;
	uint64_t ck[2], sk[2];
	unsigned int plen = t->nodes[x].plen;
	uint32_t e = t->nodes[x].eff, v = h;
	int err;

	zset_load(t, x, &s);
	if (!zset_has(&s, h)) {
		v = s.v[0];
		err = emit(t, t->nodes[x].k, plen, v);
		if (err)
			return err;
	}
	if (plen == t->width)
		return 0;
	for (unsigned int b = 0; b < 2; b++) {
		uint32_t c = t->nodes[x].child[b], cur = v;
		unsigned int m, sb;
		struct zset cs;

		key_child(t->nodes[x].k, plen, b, ck);
		if (!c) {
			if (v != e && (err = emit(t, ck, plen + 1, e)))
				return err;
			continue;
		}
		m = t->nodes[c].plen - plen - 1;
		if (m == 0) {
			err = ortc_emit(t, c, v);
			if (err)
				return err;
			continue;
		}
		chain_set(t, c, m, e, &cs);
		if (!zset_has(&cs, cur)) {
			cur = cs.v[0];
			if ((err = emit(t, ck, plen + 1, cur)))
				return err;
		}
		if (m >= 2) {
			/* cur == e now: the rest of the chain needs nothing. */
			err = ortc_emit(t, c, cur);
			if (err)
				return err;
			continue;
		}
		/* m == 1: the chain node's other child answers e. */
		sb = !key_bit(t->nodes[c].k, plen + 1);
		key_child(ck, plen + 1, sb, sk);
		if (cur != e && sb == 0 && (err = emit(t, sk, plen + 2, e)))
			return err;
		err = ortc_emit(t, c, cur);
		if (err)
			return err;
		if (cur != e && sb == 1 && (err = emit(t, sk, plen + 2, e)))
			return err;
	}
	return 0;
}

size_t zsrc_lpm_map_bytes(int family, size_t n_nodes)
{
	/*
	 * The kernel's lpm_trie allocates one struct lpm_trie_node (40 bytes)
	 * plus key data plus value per entry, and the same without value for
	 * each intermediate node; with our 8-byte value every one of them
	 * falls in the 64-byte kmalloc class for both families.
	 */
	size_t data = family == AF_INET ? 4 : 16;
	size_t sz = 40 + data + 8;
	size_t cls = 8;

	while (cls < sz)
		cls *= 2;
	return n_nodes * cls;
}

/*
 * Nodes of the kernel's path-compressed trie for a sorted table: the entries
 * plus one intermediate node where two adjacent entries branch apart at a
 * prefix that is not an entry itself. Each branch point comes from exactly
 * one adjacent pair (the last entry of its lower half, the first of its
 * upper half).
 */
static size_t kernel_nodes(const struct zsrc_lpm *t, const struct zsrc_entry *v, size_t n)
{
	uint64_t (*stk)[2];
	uint8_t *stk_plen;
	size_t depth = 0, count = n;
	uint64_t prev[2] = { 0, 0 };

	stk = malloc(130 * sizeof(*stk));
	stk_plen = malloc(130);
	if (!stk || !stk_plen) {
		/* Without scratch memory report the upper bound. */
		free(stk);
		free(stk_plen);
		return n ? 2 * n - 1 : 0;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t k[2];
		unsigned int cl;

		key_load(t, v[i].addr, k);
		/* Keep on the stack only the entries that contain v[i]. */
		while (depth) {
			cl = key_common(stk[depth - 1], k);
			if (cl >= stk_plen[depth - 1] && stk_plen[depth - 1] <= v[i].plen)
				break;
			depth--;
		}
		if (i > 0) {
			cl = key_common(prev, k);
			if (cl < v[i - 1].plen && cl < v[i].plen) {
				int is_entry = 0;

				for (size_t j = depth; j-- > 0;)
					if (stk_plen[j] == cl) {
						is_entry = 1;
						break;
					}
				count += !is_entry;
			}
		}
		if (depth < 130) {
			stk[depth][0] = k[0];
			stk[depth][1] = k[1];
			stk_plen[depth++] = v[i].plen;
		}
		prev[0] = k[0];
		prev[1] = k[1];
	}
	free(stk_plen);
	free(stk);
	return count;
}

int zsrc_lpm_compile(struct zsrc_lpm *t, struct zsrc_entry **out, size_t *n,
		     struct zsrc_lpm_stats *st)
{
	static const uint32_t none[ZSRC_TIERS];
	int err;

	*out = NULL;
	*n = 0;
	free(t->sets);
	t->sets = malloc(t->n_nodes * sizeof(*t->sets));
	if (!t->sets)
		return -ENOMEM;
	t->out = NULL;
	t->n_out = t->cap_out = 0;

	ortc_sets(t, 0, none);
	/* Above the root the table answers unknown. */
	err = ortc_emit(t, 0, 0);
	free(t->sets);
	t->sets = NULL;
	if (err) {
		free(t->out);
		t->out = NULL;
		return err;
	}
	if (st) {
		st->n_input = t->n_input;
		st->n_output = t->n_out;
		st->n_kernel_nodes = kernel_nodes(t, t->out, t->n_out);
		st->map_bytes = zsrc_lpm_map_bytes(t->family, st->n_kernel_nodes);
	}
	*out = t->out;
	*n = t->n_out;
	t->out = NULL;
	t->n_out = t->cap_out = 0;
	return 0;
}

uint32_t zsrc_table_lookup(const struct zsrc_entry *v, size_t n, int family,
			   const uint8_t *addr)
{
	unsigned int nbytes = family == AF_INET ? 4 : 16;
	uint64_t a[2], k[2];
	size_t lo = 0, hi = n;
	struct zsrc_lpm t = { .width = nbytes * 8 };

	key_load(&t, addr, a);
	/* Last entry sorting at or before addr/width... */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		key_load(&t, v[mid].addr, k);
		if (key_cmp(k, a) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* ...then back: the first entry containing addr is the longest, as
	 * whatever lies between it and addr is inside it. */
	while (lo-- > 0) {
		key_load(&t, v[lo].addr, k);
		if (key_common(k, a) >= v[lo].plen)
			return v[lo].zone;
	}
	return 0;
}
