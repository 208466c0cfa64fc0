/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The result of a compile (return code, diagnostics, image and its lookup
 * index) as one flat buffer and back (policy.h, sov_policy_pack): sovd
 * compiles in a short-lived child process (agent/compile_child.c) and
 * takes the image over a pipe in this form, so that the compile's peak
 * memory (the location database walk) never lands in sovd.
 *
 * Layout: "SOVPACK1", a u32 format version and the u32 size of struct
 * sov_policy_image (both ends are the same binary, so host byte order and
 * the same structs), then every field in a fixed order: integers as they
 * are in memory, strings as a u32 length (UINT32_MAX: NULL) and their
 * bytes, arrays as a u64 count and their elements field by field (no
 * padding bytes travel). The reader checks every length against what is
 * left and every count against the limits of the image, so a short or
 * garbled buffer is -EBADMSG, never a crash or a huge allocation.
 *
 * Calls: diag.c (sov_diags_add), compile.c (sov_policy_free).
 * Called by: agent/compile_child.c, tests/unit/policy/test_pack.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "policy/tables.h"

#define PACK_MAGIC	"SOVPACK1"
#define PACK_VERSION	2u	/* 2: the included files */
#define PACK_NULL	UINT32_MAX

/*
 * A new field in the image must be packed too: this fails to build when
 * the struct changes size, as a reminder to extend pack_image/unpack_image
 * (and PACK_VERSION).
 */
_Static_assert(sizeof(struct sov_policy_image) == 384,
	       "struct sov_policy_image changed: update policy/pack.c");

/* ---- writer ---- */

struct pk {
	uint8_t *p;
	size_t n, cap;
	int oom;
};

static void put(struct pk *w, const void *v, size_t n)
{
	if (w->oom || !n)
		return;
	if (w->n + n > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		uint8_t *p;

		while (cap < w->n + n)
			cap *= 2;
		p = realloc(w->p, cap);
		if (!p) {
			w->oom = 1;
			return;
		}
		w->p = p;
		w->cap = cap;
	}
	memcpy(w->p + w->n, v, n);
	w->n += n;
}

static void put_u32(struct pk *w, uint32_t v) { put(w, &v, sizeof(v)); }
static void put_i32(struct pk *w, int32_t v) { put(w, &v, sizeof(v)); }
static void put_u64(struct pk *w, uint64_t v) { put(w, &v, sizeof(v)); }

static void put_str(struct pk *w, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n >= PACK_NULL) {
		w->oom = 1;
		return;
	}
	put_u32(w, s ? (uint32_t)n : PACK_NULL);
	put(w, s, n);
}

static void pack_image(struct pk *w, const struct sov_policy_image *img)
{
	const struct sov_policy_lpm *l = img->lpm;
	size_t i, j;

	put_str(w, img->path);
	put_u64(w, img->n_includes);
	for (i = 0; i < img->n_includes; i++)
		put_str(w, img->includes[i]);
	put(w, img->sha256, sizeof(img->sha256));
	put(w, img->sha256_hex, sizeof(img->sha256_hex));
	put_u32(w, img->mode);

	put_u64(w, img->n_scope);
	for (i = 0; i < img->n_scope; i++)
		put_str(w, img->scope_cgroups[i]);

	put_u64(w, img->n_zones);
	for (i = 0; i < img->n_zones; i++) {
		put_str(w, img->zones[i].name);
		put_u32(w, img->zones[i].id);
	}

	put_u64(w, img->n_classes);
	for (i = 0; i < img->n_classes; i++) {
		const struct sov_img_class *cl = &img->classes[i];

		put_str(w, cl->name);
		put_u32(w, cl->bit);
		put_u32(w, cl->action);
		put_i32(w, cl->derive);
		put_i32(w, cl->allow_any);
		put_u64(w, cl->n_allow);
		for (j = 0; j < cl->n_allow; j++)
			put_u32(w, cl->allow_zones[j]);
		put_u64(w, cl->n_paths);
		for (j = 0; j < cl->n_paths; j++)
			put_str(w, cl->paths[j]);
		put_u32(w, cl->channels);
	}

	put_u64(w, img->n_v4);
	for (i = 0; i < img->n_v4; i++) {
		put(w, img->v4[i].addr, sizeof(img->v4[i].addr));
		put(w, &img->v4[i].plen, 1);
		put_u32(w, img->v4[i].zone);
	}
	put_u64(w, img->n_v6);
	for (i = 0; i < img->n_v6; i++) {
		put(w, img->v6[i].addr, sizeof(img->v6[i].addr));
		put(w, &img->v6[i].plen, 1);
		put_u32(w, img->v6[i].zone);
	}

	/* zone_allowed has n_zones entries */
	put_u32(w, img->zone_allowed != NULL);
	if (img->zone_allowed)
		put(w, img->zone_allowed, img->n_zones * sizeof(*img->zone_allowed));
	put_u64(w, img->block_classes);
	put_u64(w, img->derive_classes);
	put(w, img->chan_allowed, sizeof(img->chan_allowed));

	put_u64(w, img->n_sources);
	for (i = 0; i < img->n_sources; i++) {
		put_str(w, img->sources[i].kind);
		put_str(w, img->sources[i].file);
		put_str(w, img->sources[i].version);
	}
	put_str(w, img->locdb_path);
	for (i = 0; i < 2; i++) {
		put_u64(w, img->table_stats[i].n_input);
		put_u64(w, img->table_stats[i].n_output);
		put_u64(w, img->table_stats[i].n_kernel_nodes);
		put_u64(w, img->table_stats[i].map_bytes);
	}

	put_u32(w, l != NULL);
	if (l) {
		put_u64(w, l->n4);
		put(w, l->start4, l->n4 * sizeof(*l->start4));
		put(w, l->zone4, l->n4 * sizeof(*l->zone4));
		put_u64(w, l->n6);
		put(w, l->start6, l->n6 * sizeof(*l->start6));
		put(w, l->zone6, l->n6 * sizeof(*l->zone6));
	}
}

int sov_policy_pack(int rc, const struct sov_policy_image *img, const struct sov_diags *d,
		    void **buf, size_t *len)
{
	struct pk w = { 0 };

	*buf = NULL;
	*len = 0;
	put(&w, PACK_MAGIC, 8);
	put_u32(&w, PACK_VERSION);
	put_u32(&w, sizeof(struct sov_policy_image));
	put_i32(&w, rc);
	put_u64(&w, d ? d->n : 0);
	put_u64(&w, d ? d->n_errors : 0);
	for (size_t i = 0; d && i < d->n; i++) {
		put_u32(&w, d->v[i].level);
		put_str(&w, d->v[i].file);
		put_i32(&w, d->v[i].line);
		put_i32(&w, d->v[i].column);
		put_str(&w, d->v[i].msg);
	}
	put_u32(&w, img != NULL);
	if (img)
		pack_image(&w, img);
	if (w.oom) {
		free(w.p);
		return -ENOMEM;
	}
	*buf = w.p;
	*len = w.n;
	return 0;
}

/* ---- reader ---- */

struct rd {
	const uint8_t *p;
	size_t n, off;
	int bad;	/* -EBADMSG or -ENOMEM once anything failed */
};

static int get(struct rd *r, void *v, size_t n)
{
	if (r->bad || n > r->n - r->off) {
		if (!r->bad)
			r->bad = -EBADMSG;
		memset(v, 0, n);
		return -1;
	}
	memcpy(v, r->p + r->off, n);
	r->off += n;
	return 0;
}

static uint32_t get_u32(struct rd *r) { uint32_t v; get(r, &v, sizeof(v)); return v; }
static int32_t get_i32(struct rd *r) { int32_t v; get(r, &v, sizeof(v)); return v; }
static uint64_t get_u64(struct rd *r) { uint64_t v; get(r, &v, sizeof(v)); return v; }

/*
 * A count of elements of at least min_size bytes each: more than the rest
 * of the buffer could hold (or than max) is a garbled buffer.
 */
static size_t get_count(struct rd *r, size_t min_size, size_t max)
{
	uint64_t c = get_u64(r);

	if (r->bad)
		return 0;
	if (c > max || (min_size && c > (r->n - r->off) / min_size)) {
		r->bad = -EBADMSG;
		return 0;
	}
	return (size_t)c;
}

static void *get_array(struct rd *r, size_t count, size_t size)
{
	void *v;

	if (r->bad)
		return NULL;
	if (count > (r->n - r->off) / (size ? size : 1)) {
		r->bad = -EBADMSG;
		return NULL;
	}
	v = malloc(count && size ? count * size : 1);
	if (!v) {
		r->bad = -ENOMEM;
		return NULL;
	}
	get(r, v, count * size);
	return v;
}

/* Into *out (NULL for a packed NULL); 0, or -1 with r->bad set. */
static int get_str(struct rd *r, char **out)
{
	uint32_t n = get_u32(r);
	char *s;

	*out = NULL;
	if (r->bad)
		return -1;
	if (n == PACK_NULL)
		return 0;
	if (n > r->n - r->off) {
		r->bad = -EBADMSG;
		return -1;
	}
	if (memchr(r->p + r->off, '\0', n)) {
		r->bad = -EBADMSG;
		return -1;
	}
	s = malloc((size_t)n + 1);
	if (!s) {
		r->bad = -ENOMEM;
		return -1;
	}
	get(r, s, n);
	s[n] = '\0';
	*out = s;
	return 0;
}

/* A string into a fixed buffer of len bytes (with its NUL). */
static void get_name(struct rd *r, char *buf, size_t len)
{
	char *s;

	if (get_str(r, &s))
		return;
	if (!s || strlen(s) >= len)
		r->bad = -EBADMSG;
	else
		memcpy(buf, s, strlen(s) + 1);
	free(s);
}

static void unpack_lpm(struct rd *r, struct sov_policy_image *img)
{
	struct sov_policy_lpm *l = calloc(1, sizeof(*l));

	if (!l) {
		r->bad = -ENOMEM;
		return;
	}
	img->lpm = l;
	l->n4 = get_count(r, sizeof(*l->start4) + sizeof(*l->zone4), SIZE_MAX);
	l->start4 = get_array(r, l->n4, sizeof(*l->start4));
	l->zone4 = get_array(r, l->n4, sizeof(*l->zone4));
	l->n6 = get_count(r, sizeof(*l->start6) + sizeof(*l->zone6), SIZE_MAX);
	l->start6 = get_array(r, l->n6, sizeof(*l->start6));
	l->zone6 = get_array(r, l->n6, sizeof(*l->zone6));
}

/* Fills img; on failure r->bad is set and img is whole enough to free. */
static void unpack_image(struct rd *r, struct sov_policy_image *img)
{
	size_t i, j;

	get_str(r, &img->path);
	j = get_count(r, 4, SIZE_MAX);
	img->includes = calloc(j + 1, sizeof(*img->includes));
	if (!img->includes) {
		r->bad = -ENOMEM;
		return;
	}
	img->n_includes = j;
	for (i = 0; i < img->n_includes && !r->bad; i++)
		get_str(r, &img->includes[i]);
	get(r, img->sha256, sizeof(img->sha256));
	get(r, img->sha256_hex, sizeof(img->sha256_hex));
	if (!r->bad && img->sha256_hex[sizeof(img->sha256_hex) - 1])
		r->bad = -EBADMSG;
	img->mode = get_u32(r);

	img->n_scope = get_count(r, 4, SIZE_MAX);
	img->scope_cgroups = calloc(img->n_scope + 1, sizeof(*img->scope_cgroups));
	if (!img->scope_cgroups) {
		img->n_scope = 0;
		r->bad = -ENOMEM;
		return;
	}
	for (i = 0; i < img->n_scope && !r->bad; i++)
		get_str(r, &img->scope_cgroups[i]);

	img->n_zones = get_count(r, 8, SOV_POLICY_MAX_ZONES);
	img->zones = calloc(img->n_zones + 1, sizeof(*img->zones));
	if (!img->zones) {
		r->bad = -ENOMEM;
		return;
	}
	for (i = 0; i < img->n_zones && !r->bad; i++) {
		get_name(r, img->zones[i].name, sizeof(img->zones[i].name));
		img->zones[i].id = get_u32(r);
	}

	/* sov_policy_free() walks all SOV_POLICY_MAX_CLASSES entries */
	img->classes = calloc(SOV_POLICY_MAX_CLASSES, sizeof(*img->classes));
	if (!img->classes) {
		r->bad = -ENOMEM;
		return;
	}
	img->n_classes = get_count(r, 40, SOV_POLICY_MAX_CLASSES);
	for (i = 0; i < img->n_classes && !r->bad; i++) {
		struct sov_img_class *cl = &img->classes[i];

		get_name(r, cl->name, sizeof(cl->name));
		cl->bit = get_u32(r);
		cl->action = get_u32(r);
		cl->derive = get_i32(r);
		cl->allow_any = get_i32(r);
		cl->n_allow = get_count(r, 4, SOV_POLICY_MAX_ZONES);
		cl->allow_zones = get_array(r, cl->n_allow, sizeof(*cl->allow_zones));
		if (!cl->allow_zones)
			cl->n_allow = 0;
		j = get_count(r, 4, SIZE_MAX);
		cl->paths = calloc(j + 1, sizeof(*cl->paths));
		if (!cl->paths) {
			r->bad = -ENOMEM;
			return;
		}
		cl->n_paths = j;
		for (j = 0; j < cl->n_paths && !r->bad; j++)
			get_str(r, &cl->paths[j]);
		cl->channels = get_u32(r);
	}

	img->n_v4 = get_count(r, 4 + 1 + 4, SIZE_MAX);
	img->v4 = calloc(img->n_v4 + 1, sizeof(*img->v4));
	if (!img->v4) {
		r->bad = -ENOMEM;
		return;
	}
	for (i = 0; i < img->n_v4 && !r->bad; i++) {
		get(r, img->v4[i].addr, sizeof(img->v4[i].addr));
		get(r, &img->v4[i].plen, 1);
		img->v4[i].zone = get_u32(r);
	}
	img->n_v6 = get_count(r, 16 + 1 + 4, SIZE_MAX);
	img->v6 = calloc(img->n_v6 + 1, sizeof(*img->v6));
	if (!img->v6) {
		r->bad = -ENOMEM;
		return;
	}
	for (i = 0; i < img->n_v6 && !r->bad; i++) {
		get(r, img->v6[i].addr, sizeof(img->v6[i].addr));
		get(r, &img->v6[i].plen, 1);
		img->v6[i].zone = get_u32(r);
	}

	if (get_u32(r))
		img->zone_allowed = get_array(r, img->n_zones, sizeof(*img->zone_allowed));
	img->block_classes = get_u64(r);
	img->derive_classes = get_u64(r);
	get(r, img->chan_allowed, sizeof(img->chan_allowed));

	j = get_count(r, 12, SIZE_MAX);
	img->sources = calloc(j + 1, sizeof(*img->sources));
	if (!img->sources) {
		r->bad = -ENOMEM;
		return;
	}
	img->n_sources = j;
	for (i = 0; i < img->n_sources && !r->bad; i++) {
		get_str(r, &img->sources[i].kind);
		get_str(r, &img->sources[i].file);
		get_str(r, &img->sources[i].version);
	}
	get_str(r, &img->locdb_path);
	for (i = 0; i < 2; i++) {
		img->table_stats[i].n_input = get_u64(r);
		img->table_stats[i].n_output = get_u64(r);
		img->table_stats[i].n_kernel_nodes = get_u64(r);
		img->table_stats[i].map_bytes = get_u64(r);
	}
	if (get_u32(r) && !r->bad)
		unpack_lpm(r, img);
}

int sov_policy_unpack(const void *buf, size_t len, int *rc,
		      struct sov_policy_image **out, struct sov_diags *d)
{
	struct rd r = { .p = buf, .n = len };
	struct sov_policy_image *img = NULL;
	char magic[8];
	size_t n, n_errors, i, base = d->n_errors;
	int err;

	*out = NULL;
	*rc = 0;
	get(&r, magic, sizeof(magic));
	if (r.bad || memcmp(magic, PACK_MAGIC, sizeof(magic)) ||
	    get_u32(&r) != PACK_VERSION || get_u32(&r) != sizeof(struct sov_policy_image))
		return -EBADMSG;
	*rc = get_i32(&r);
	n = get_count(&r, 4 + 4 + 4 + 4 + 4, SIZE_MAX);
	n_errors = get_u64(&r);
	/* the diagnostics go to d as they come: what was found is kept even
	 * when the image after them is garbled */
	for (i = 0; i < n && !r.bad; i++) {
		uint32_t lvl = get_u32(&r);
		char *file, *msg = NULL;
		int line, col;

		get_str(&r, &file);
		line = get_i32(&r);
		col = get_i32(&r);
		get_str(&r, &msg);
		if (!r.bad && (lvl > SOV_DIAG_WARNING || !msg))
			r.bad = -EBADMSG;
		if (!r.bad)
			sov_diags_add(d, lvl, file, line, col, "%s", msg);
		free(file);
		free(msg);
	}
	/* errors the compile counted but could not record (out of memory) */
	if (!r.bad && d->n_errors - base < n_errors)
		d->n_errors = base + n_errors;
	if (get_u32(&r) && !r.bad) {
		img = calloc(1, sizeof(*img));
		if (!img)
			return -ENOMEM;
		unpack_image(&r, img);
	}
	if (!r.bad && r.off != r.n)
		r.bad = -EBADMSG;	/* trailing bytes */
	if (r.bad) {
		err = r.bad;
		sov_policy_free(img);
		*rc = 0;
		return err;
	}
	*out = img;
	return 0;
}
