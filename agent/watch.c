// SPDX-License-Identifier: Apache-2.0
/*
 * `sovctl watch` filters (the request's parser and encoder, the match of a
 * record) and the ring of recent events sovd replays (watch.h).
 *
 * Calls: libc only (inet_pton). Called by api.c (sovd evaluates each
 * watcher's filter and keeps the ring) and by tools/sovctl/cmd_agent.c
 * (sovctl checks and encodes the filter before it connects).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "agent/watch.h"

static const char *const key_names[WK_MAX] = {
	[WK_TYPE] = "type", [WK_VERDICT] = "verdict", [WK_CLASS] = "class",
	[WK_ZONE] = "zone", [WK_PID] = "pid", [WK_COMM] = "comm", [WK_DST] = "dst",
	[WK_PORT] = "port", [WK_CGROUP] = "cgroup", [WK_POD] = "pod",
	[WK_SINCE] = "since", [WK_FOLLOW] = "follow",
};

/* docs/events.md: every type a line can have */
static const char *const types[] = {
	"taint", "derive", "egress", "tamper", "agent", "policy", "loss", NULL
};
static const char *const verdicts[] = { "allow", "deny", "audit", NULL };

const char *watch_key_name(unsigned int k)
{
	return k < WK_MAX ? key_names[k] : NULL;
}

static int one_of(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(s, *set))
			return 1;
	return 0;
}

/* A decimal number and nothing else, at most max. */
static int parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || *end || *v > max ? -EINVAL : 0;
}

/* ADDR or ADDR/BITS, IPv4 or IPv6. */
static int parse_cidr(const char *s, struct watch_value *v)
{
	char a[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t bits;

	if (alen >= sizeof(a))
		return -EINVAL;
	memcpy(a, s, alen);
	a[alen] = '\0';
	if (inet_pton(AF_INET, a, v->addr) == 1)
		v->family = AF_INET;
	else if (inet_pton(AF_INET6, a, v->addr) == 1)
		v->family = AF_INET6;
	else
		return -EINVAL;
	bits = v->family == AF_INET ? 32 : 128;
	if (slash && parse_u64(slash + 1, bits, &bits))
		return -EINVAL;
	v->bits = bits;
	return 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The value [s, s + len) percent-decoded into out (WATCH_VALUE_MAX + 1). */
static int decode(const char *s, size_t len, char *out, const char **why)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int h, l;

			if (i + 2 >= len) {
				*why = "a '%' without two hex digits";
				return -EINVAL;
			}
			h = hexval(s[i + 1]);
			l = hexval(s[i + 2]);
			if (h < 0 || l < 0) {
				*why = "a '%' without two hex digits";
				return -EINVAL;
			}
			c = h << 4 | l;
			i += 2;
			if (!c) {
				*why = "a NUL byte";
				return -EINVAL;
			}
		} else if (c <= ' ' || c == 0x7f || c == '=') {
			*why = "a byte that must be percent-encoded";
			return -EINVAL;
		}
		if (o >= WATCH_VALUE_MAX) {
			*why = "longer than 255 bytes";
			return -EINVAL;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

/* Checks one decoded value of key k and fills v. */
static int check_value(struct watch_filter *f, unsigned int k, const char *s,
		       struct watch_value *v, char *why, size_t whylen)
{
	v->key = k;
	switch (k) {
	case WK_TYPE:
		if (one_of(s, types))
			return 0;
		snprintf(why, whylen, "unknown event type '%s' (taint, derive, egress, tamper, agent, policy, loss)", s);
		return -EINVAL;
	case WK_VERDICT:
		if (one_of(s, verdicts))
			return 0;
		snprintf(why, whylen, "unknown verdict '%s' (allow, deny, audit)", s);
		return -EINVAL;
	case WK_PID:
		if (!parse_u64(s, UINT32_MAX, &v->num) && v->num)
			return 0;
		snprintf(why, whylen, "pid '%s' is not a process id (1..4294967295)", s);
		return -EINVAL;
	case WK_PORT:
		if (!parse_u64(s, 65535, &v->num))
			return 0;
		snprintf(why, whylen, "port '%s' is not a port number (0..65535)", s);
		return -EINVAL;
	case WK_COMM:
		/* the kernel's comm: at most 15 bytes; a longer one never matches */
		if (strlen(s) <= 15)
			return 0;
		snprintf(why, whylen, "comm '%s' is longer than the kernel's 15 bytes", s);
		return -EINVAL;
	case WK_DST:
		if (!parse_cidr(s, v))
			return 0;
		snprintf(why, whylen, "dst '%s' is not an address or CIDR (10.20.0.0/16, fd00::1)", s);
		return -EINVAL;
	case WK_CGROUP:
		if (s[0] == '/')
			return 0;
		if (!parse_u64(s, UINT64_MAX, &v->num) && v->num)
			return 1;	/* an id: no text */
		snprintf(why, whylen, "cgroup '%s' is neither a path below the cgroup2 mount (/...) nor a cgroup id", s);
		return -EINVAL;
	case WK_SINCE:
		if (f->keys & 1u << WK_SINCE) {
			snprintf(why, whylen, "since given twice");
			return -EINVAL;
		}
		if (!parse_u64(s, UINT32_MAX, &f->since))
			return 1;
		snprintf(why, whylen, "since '%s' is not a number of events (0..4294967295)", s);
		return -EINVAL;
	case WK_FOLLOW:
		if (f->keys & 1u << WK_FOLLOW) {
			snprintf(why, whylen, "follow given twice");
			return -EINVAL;
		}
		if (!strcmp(s, "0") || !strcmp(s, "1")) {
			f->follow = s[0] == '1';
			return 1;
		}
		snprintf(why, whylen, "follow must be 0 or 1, not '%s'", s);
		return -EINVAL;
	default:	/* class, zone, pod: names */
		return 0;
	}
}

int watch_filter_parse(struct watch_filter *f, const char *args, char *why, size_t whylen)
{
	char val[WATCH_VALUE_MAX + 1];
	const char *p = args, *bad;
	int err;

	memset(f, 0, sizeof(*f));
	f->follow = 1;
	why[0] = '\0';
	for (;;) {
		const char *tok, *eq, *end;
		unsigned int k;

		while (*p == ' ')
			p++;
		if (!*p)
			return 0;
		tok = p;
		end = tok + strcspn(tok, " ");
		p = end;
		eq = memchr(tok, '=', end - tok);
		for (k = 0; eq && k < WK_MAX; k++)
			if (strlen(key_names[k]) == (size_t)(eq - tok) &&
			    !memcmp(tok, key_names[k], eq - tok))
				break;
		if (!eq || k == WK_MAX) {
			snprintf(why, whylen, "unknown watch filter '%.*s' (type, verdict, class, zone, pid, comm, dst, port, cgroup, pod, since, follow)",
				 (int)((eq ? eq : end) - tok > 64 ? 64 : (eq ? eq : end) - tok), tok);
			err = -EINVAL;
			goto fail;
		}
		for (const char *v = eq + 1; v <= end;) {
			size_t vl = strcspn(v, ", ");
			struct watch_value *wv;

			if (v + vl > end)
				vl = end - v;
			if (!vl) {
				snprintf(why, whylen, "an empty value of %s", key_names[k]);
				err = -EINVAL;
				goto fail;
			}
			if (decode(v, vl, val, &bad)) {
				snprintf(why, whylen, "a value of %s holds %s", key_names[k], bad);
				err = -EINVAL;
				goto fail;
			}
			if (f->n >= WATCH_MAX_VALUES) {
				snprintf(why, whylen, "more than %d filter values", WATCH_MAX_VALUES);
				err = -E2BIG;
				goto fail;
			}
			wv = &f->v[f->n];
			memset(wv, 0, sizeof(*wv));
			err = check_value(f, k, val, wv, why, whylen);
			if (err < 0)
				goto fail;
			f->keys |= 1u << k;
			if (k < WK_FILTERS) {
				/* a cgroup id has no text; a path loses its
				 * trailing '/' (but "/" stays) */
				if (!err) {
					size_t l = strlen(val);

					if (k == WK_CGROUP)
						while (l > 1 && val[l - 1] == '/')
							val[--l] = '\0';
					wv->s = strdup(val);
					if (!wv->s) {
						snprintf(why, whylen, "out of memory");
						err = -ENOMEM;
						goto fail;
					}
				}
				f->n++;
			}
			v += vl + 1;
		}
	}
fail:
	watch_filter_free(f);
	return err;
}

void watch_filter_free(struct watch_filter *f)
{
	for (unsigned int i = 0; i < f->n; i++) {
		free(f->v[i].s);
		f->v[i].s = NULL;
	}
	f->n = 0;
	f->keys = 0;
}

static int has_class(const char *classes, const char *name)
{
	for (const char *c = classes; c && *c; c += strlen(c) + 1)
		if (!strcmp(c, name))
			return 1;
	return 0;
}

static int prefix_match(const struct watch_value *v, const struct watch_rec *r)
{
	unsigned int full = v->bits / 8, rest = v->bits % 8;

	if (r->dst_family != v->family)
		return 0;
	if (memcmp(r->dst_addr, v->addr, full))
		return 0;
	return !rest || !((r->dst_addr[full] ^ v->addr[full]) & (0xff00 >> rest));
}

/* The cgroup, or one below it. */
static int cgroup_under(const char *cg, const char *top)
{
	size_t l = strlen(top);

	if (!cg)
		return 0;
	if (!strcmp(top, "/"))
		return cg[0] == '/';
	return !strncmp(cg, top, l) && (cg[l] == '\0' || cg[l] == '/');
}

static int value_match(const struct watch_value *v, const struct watch_rec *r)
{
	switch (v->key) {
	case WK_TYPE: return r->type && !strcmp(r->type, v->s);
	case WK_VERDICT: return r->verdict && !strcmp(r->verdict, v->s);
	case WK_CLASS: return has_class(r->classes, v->s);
	case WK_ZONE: return r->zone && !strcmp(r->zone, v->s);
	case WK_PID: return r->pid == v->num;
	case WK_COMM: return r->comm && !strcmp(r->comm, v->s);
	case WK_DST: return prefix_match(v, r);
	case WK_PORT: return r->has_dst && r->dport == v->num;
	/* an id sovd could not resolve has no path and matches nothing */
	case WK_CGROUP: return v->s && cgroup_under(r->cgroup, v->s);
	case WK_POD: return r->cgroup && watch_pod_match(r->cgroup, v->s);
	}
	return 0;
}

int watch_filter_match(const struct watch_filter *f, const struct watch_rec *rec)
{
	uint32_t left = f->keys & ((1u << WK_FILTERS) - 1);

	/* Values of one key are adjacent only by chance: a key is settled by
	 * its first matching value. */
	for (unsigned int i = 0; i < f->n && left; i++) {
		const struct watch_value *v = &f->v[i];

		if ((left & 1u << v->key) && value_match(v, rec))
			left &= ~(1u << v->key);
	}
	return !left;
}

int watch_request_add(char *buf, size_t len, unsigned int key, const char *value, int first)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = strlen(buf);
	int n;

	if (key >= WK_MAX)
		return -EINVAL;
	n = first ? snprintf(buf + o, len - o, " %s=", key_names[key]) :
		    snprintf(buf + o, len - o, ",");
	if (n < 0 || (size_t)n >= len - o)
		return -ENOSPC;
	o += n;
	for (const unsigned char *s = (const unsigned char *)value; *s; s++) {
		if (isalnum(*s) || strchr("._~/:-", *s)) {
			if (o + 1 >= len)
				return -ENOSPC;
			buf[o++] = *s;
		} else {
			if (o + 3 >= len)
				return -ENOSPC;
			buf[o++] = '%';
			buf[o++] = hex[*s >> 4];
			buf[o++] = hex[*s & 15];
		}
	}
	buf[o] = '\0';
	return 0;
}

/* ---- --pod: what a cgroup path says of pods and containers ---- */

static int all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* uid as a pod uid ('_' and '-' alike, case ignored). */
static int same_uid(const char *a, size_t alen, const char *b)
{
	if (strlen(b) != alen)
		return 0;
	for (size_t i = 0; i < alen; i++) {
		char x = a[i] == '_' ? '-' : a[i] >= 'A' && a[i] <= 'Z' ? a[i] + 32 : a[i];
		char y = b[i] == '_' ? '-' : b[i] >= 'A' && b[i] <= 'Z' ? b[i] + 32 : b[i];

		if (x != y)
			return 0;
	}
	return 1;
}

/* A 64-hex id: the value is it, or a prefix of 12 digits or more. */
static int id_match(const char *id, const char *value)
{
	size_t l = strlen(value);

	return l >= 12 && l <= 64 && !strncasecmp(id, value, l);
}

/* One component of a cgroup path against a --pod value; O(1) in the
 * component's length but for the final comparisons (every event of a
 * --pod watcher goes through here). */
static int component_match(const char *c, size_t len, const char *value)
{
	size_t vlen = strlen(value);

	/* systemd's unit suffixes */
	if (len > 6 && (!memcmp(c + len - 6, ".scope", 6) || !memcmp(c + len - 6, ".slice", 6)))
		len -= 6;
	/* a Kubernetes pod: pod<uid> (cgroupfs driver), ...-pod<uid>
	 * (systemd driver): the uid is the component's last 36 characters */
	if (vlen == 36 && len >= 39 && !memcmp(c + len - 39, "pod", 3) &&
	    (len == 39 || c[len - 40] == '-') && same_uid(c + len - 36, 36, value))
		return 1;
	/* a container or podman pod id: the last 64 characters, hex, after
	 * a '-' or '_' (docker-, cri-containerd-, crio-, libpod-,
	 * machine-libpod_pod_) or the whole component */
	if (len >= 64 && (len == 64 || c[len - 65] == '-' || c[len - 65] == '_') &&
	    id_match(c + len - 64, value) && all_hex(c + len - 64, 64))
		return 1;
	/* systemd-machined: machine-NAME.scope (nspawn, some VM managers) */
	return len > 8 && !memcmp(c, "machine-", 8) && vlen == len - 8 &&
	       !memcmp(c + 8, value, vlen);
}

int watch_pod_match(const char *cgroup, const char *value)
{
	const char *c = cgroup;

	if (!value[0])
		return 0;
	while (*c) {
		size_t len;

		while (*c == '/')
			c++;
		len = strcspn(c, "/");
		if (len && component_match(c, len, value))
			return 1;
		c += len;
	}
	return 0;
}

/* ---- the ring ---- */

struct watch_entry {
	struct watch_rec rec;
	size_t len;
	char line[];		/* the line, then the record's strings */
};

int watch_ring_init(struct watch_ring *r, size_t cap)
{
	memset(r, 0, sizeof(*r));
	if (!cap)
		return 0;
	r->e = calloc(cap, sizeof(*r->e));
	if (!r->e)
		return -ENOMEM;
	r->cap = cap;
	return 0;
}

static size_t slen(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

static size_t classes_len(const char *c)
{
	const char *p = c;

	if (!c)
		return 0;
	while (*p)
		p += strlen(p) + 1;
	return p - c + 1;
}

/* Copies s to *at, returns the copy (NULL for NULL). */
static const char *put(char **at, const char *s, size_t n)
{
	char *d = *at;

	if (!s)
		return NULL;
	memcpy(d, s, n);
	*at += n;
	return d;
}

int watch_ring_push(struct watch_ring *r, const struct watch_rec *rec, const char *line,
		    size_t len)
{
	size_t nt = slen(rec->type), nv = slen(rec->verdict), nz = slen(rec->zone);
	size_t nm = slen(rec->comm), ng = slen(rec->cgroup), nc = classes_len(rec->classes);
	struct watch_entry *e;
	char *at;

	if (!r->cap)
		return 0;
	e = malloc(sizeof(*e) + len + nt + nv + nz + nm + ng + nc);
	if (!e)
		return -ENOMEM;
	e->rec = *rec;
	e->len = len;
	memcpy(e->line, line, len);
	at = e->line + len;
	e->rec.type = put(&at, rec->type, nt);
	e->rec.verdict = put(&at, rec->verdict, nv);
	e->rec.zone = put(&at, rec->zone, nz);
	e->rec.comm = put(&at, rec->comm, nm);
	e->rec.cgroup = put(&at, rec->cgroup, ng);
	e->rec.classes = put(&at, rec->classes, nc);
	free(r->e[r->next]);
	r->e[r->next] = e;
	r->next = (r->next + 1) % r->cap;
	if (r->n < r->cap)
		r->n++;
	return 0;
}

const struct watch_rec *watch_ring_rec(const struct watch_ring *r, size_t i,
				       const char **line, size_t *len)
{
	const struct watch_entry *e;

	if (i >= r->n)
		return NULL;
	e = r->e[(r->next + r->cap - r->n + i) % r->cap];
	*line = e->line;
	*len = e->len;
	return &e->rec;
}

void watch_ring_free(struct watch_ring *r)
{
	for (size_t i = 0; i < r->cap; i++)
		free(r->e[i]);
	free(r->e);
	memset(r, 0, sizeof(*r));
}
