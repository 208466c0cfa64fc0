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
	uint32_t ent;		/* 1 + index into ents; 0 = a branch node */
	uint32_t eff;		/* precedence answer at this node (compile) */
	uint8_t plen;
	uint8_t nset;
};

/* One distinct prefix with its value in each tier that has one. */
struct ent {
	uint64_t k[2];
	uint32_t v[ZSRC_TIERS];
	uint8_t plen;
	uint8_t mask;		/* tiers that have a value here */
};

struct zsrc_lpm {
	int family;
	unsigned int width;
	/* Prefixes as added: an open-addressing hash finds a prefix again
	 * (duplicates, conflicts) in O(1), and nothing is ordered until the
	 * trie is built from the sorted entries in one linear pass. */
	struct ent *ents;
	size_t n_ents, cap_ents;
	uint32_t *slots;	/* 1 + index into ents; 0 = empty */
	size_t n_slots;		/* power of two */
	int slots_stale;	/* ents were reordered: rebuild before use */
	size_t n_input;
	/* The trie, built on demand (trie_dirty after an add). */
	struct node *nodes;
	size_t n_nodes, cap_nodes;
	int trie_dirty;
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

struct zsrc_lpm *sov_zsrc_lpm_new(int family)
{
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
	t->trie_dirty = 1;
	return t;
}

void sov_zsrc_lpm_free(struct zsrc_lpm *t)
{
	if (!t)
		return;
	free(t->out);
	free(t->sets);
	free(t->nodes);
	free(t->slots);
	free(t->ents);
	free(t);
}

int sov_zsrc_lpm_family(const struct zsrc_lpm *t)
{
	return t->family;
}

static size_t ent_hash(const uint64_t k[2], unsigned int plen, size_t n_slots)
{
	/* MurmurHash3's 64-bit finalizer: masked prefixes have long runs of
	 * zero bits, and every input bit must reach the low bits used here. */
	uint64_t h = k[0] ^ (k[1] * 0x9e3779b97f4a7c15ULL) ^ plen;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h & (n_slots - 1);
}

static int slots_rebuild(struct zsrc_lpm *t, size_t n_slots)
{
	uint32_t *s = calloc(n_slots, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_ents; i++) {
		size_t h = ent_hash(t->ents[i].k, t->ents[i].plen, n_slots);

		while (s[h])
			h = (h + 1) & (n_slots - 1);
		s[h] = i + 1;
	}
	free(t->slots);
	t->slots = s;
	t->n_slots = n_slots;
	t->slots_stale = 0;
	return 0;
}

/* The entry of k/plen, created empty when new; NULL when out of memory. */
static struct ent *ent_get(struct zsrc_lpm *t, const uint64_t k[2], unsigned int plen)
{
	struct ent *e;
	size_t h;

	if (t->slots_stale || t->n_ents + 1 > t->n_slots / 2) {
		size_t n = t->n_slots ? t->n_slots : 1024;

		while (t->n_ents + 1 > n / 2)
			n *= 2;
		if (t->n_ents + 1 > UINT32_MAX || slots_rebuild(t, n))
			return NULL;
	}
	h = ent_hash(k, plen, t->n_slots);
	while (t->slots[h]) {
		e = &t->ents[t->slots[h] - 1];
		if (e->plen == plen && e->k[0] == k[0] && e->k[1] == k[1])
			return e;
		h = (h + 1) & (t->n_slots - 1);
	}
	if (t->n_ents == t->cap_ents) {
		size_t cap = t->cap_ents ? t->cap_ents * 2 : 1024;
		struct ent *ne = realloc(t->ents, cap * sizeof(*ne));

		if (!ne)
			return NULL;
		t->ents = ne;
		t->cap_ents = cap;
	}
	e = &t->ents[t->n_ents];
	memset(e, 0, sizeof(*e));
	e->k[0] = k[0];
	e->k[1] = k[1];
	e->plen = plen;
	t->slots[h] = ++t->n_ents;
	return e;
}

int sov_zsrc_lpm_add(struct zsrc_lpm *t, const uint8_t *addr, unsigned int plen,
		     enum zsrc_tier tier, uint32_t zone, uint32_t *other)
{
	struct ent *e;
	uint64_t k[2];

	if (plen > t->width || (unsigned int)tier >= ZSRC_TIERS)
		return -EINVAL;
	key_load(t, addr, k);
	key_mask(k, plen);
	e = ent_get(t, k, plen);
	if (!e)
		return -ENOMEM;
	if (e->mask & (1u << tier)) {
		if (e->v[tier] == zone)
			return 0;
		if (other)
			*other = e->v[tier];
		return -EEXIST;
	}
	e->mask |= 1u << tier;
	e->v[tier] = zone;
	t->n_input++;
	t->trie_dirty = 1;
	return 0;
}

static int ent_cmp(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;
	int c = key_cmp(x->k, y->k);

	return c ? c : (int)x->plen - (int)y->plen;
}

static int node_has(const struct node *n, const uint64_t k[2], unsigned int plen)
{
	return n->plen <= plen && key_common(n->k, k) >= n->plen;
}

/*
 * Builds the path-compressed trie from the entries sorted by (addr, plen),
 * keeping the path from the root to the last node on a stack: that path is
 * the only place the next prefix can hang from. Nodes come out in pre-order,
 * which is also the order the ORTC passes walk them in.
 */
static int trie_build(struct zsrc_lpm *t)
{
	static const uint64_t zero[2];
	uint32_t stack[130];
	size_t depth = 0;
	long r;

	if (t->n_ents > 1) {
		qsort(t->ents, t->n_ents, sizeof(*t->ents), ent_cmp);
		t->slots_stale = 1;
	}
	t->n_nodes = 0;
	r = node_new(t, zero, 0);
	if (r < 0)
		return r;
	stack[depth++] = 0;
	for (size_t i = 0; i < t->n_ents; i++) {
		const struct ent *e = &t->ents[i];
		uint32_t last = 0, top;
		unsigned int cl;
		long n;

		if (e->plen == 0) {
			t->nodes[0].ent = i + 1;
			continue;
		}
		while (!node_has(&t->nodes[stack[depth - 1]], e->k, e->plen))
			last = stack[--depth];
		top = stack[depth - 1];
		if (last) {
			/* last is top's upper child; where e leaves its path,
			 * a branch node takes both unless that is top itself. */
			cl = key_common(t->nodes[last].k, e->k);
			if (cl > t->nodes[top].plen) {
				uint64_t bk[2] = { e->k[0], e->k[1] };

				key_mask(bk, cl);
				n = node_new(t, bk, cl);
				if (n < 0)
					return n;
				t->nodes[n].child[key_bit(t->nodes[last].k, cl)] = last;
				t->nodes[top].child[key_bit(bk, t->nodes[top].plen)] = n;
				stack[depth++] = top = n;
			}
		}
		n = node_new(t, e->k, e->plen);
		if (n < 0)
			return n;
		t->nodes[n].ent = i + 1;
		t->nodes[top].child[key_bit(e->k, t->nodes[top].plen)] = n;
		stack[depth++] = n;
	}
	t->trie_dirty = 0;
	return 0;
}

static void vals_apply(const struct zsrc_lpm *t, const struct node *n,
		       uint32_t inh[ZSRC_TIERS])
{
	const struct ent *e;

	if (!n->ent)
		return;
	e = &t->ents[n->ent - 1];
	for (int i = 0; i < ZSRC_TIERS; i++)
		if (e->mask & (1u << i))
			inh[i] = e->v[i];
}

static uint32_t vals_answer(const uint32_t inh[ZSRC_TIERS])
{
	for (int i = 0; i < ZSRC_TIERS; i++)
		if (inh[i] != ZSRC_HOLE)
			return inh[i];
	return 0;
}

uint32_t sov_zsrc_lpm_resolve(struct zsrc_lpm *t, const uint8_t *addr)
{
	uint32_t inh[ZSRC_TIERS] = { 0 };
	uint64_t k[2];
	uint32_t x = 0;

	/* Out of memory building the trie: no answer is better than a
	 * wrong one, and compile reports the error. */
	if (t->trie_dirty && trie_build(t))
		return 0;
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

/* Kernel memory estimate for n_nodes LPM trie nodes of the family. */
static size_t zsrc_lpm_map_bytes(int family, size_t n_nodes)
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

int sov_zsrc_lpm_compile(struct zsrc_lpm *t, struct zsrc_entry **out, size_t *n,
			 struct zsrc_lpm_stats *st)
{
	static const uint32_t none[ZSRC_TIERS];
	int err;

	*out = NULL;
	*n = 0;
	if (t->trie_dirty) {
		err = trie_build(t);
		if (err)
			return err;
	}
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

uint32_t sov_zsrc_table_lookup(const struct zsrc_entry *v, size_t n, int family,
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
