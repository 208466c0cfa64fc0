// SPDX-License-Identifier: Apache-2.0
/*
 * Canonical JSON encoding of records: fixed key order, no whitespace, every
 * number in plain decimal, strings as UTF-8 with only '"', '\\' and control
 * bytes escaped. Bytes that are not valid UTF-8 (paths may hold anything)
 * are written as \u00XX with XX >= 80, a form that valid input never
 * produces, so the original bytes can be recovered. The exact rules are in
 * docs/journal-format.md; the hashed bytes are these bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "agent/journal/jinternal.h"
#include "agent/journal/journal.h"
#include "sov/json.h"

struct out {
	char *p, *end;
};

static inline void put(struct out *o, const char *s, size_t n)
{
	/* Overflow is sticky: once past the end, nothing more is written. */
	if (o->p > o->end || (size_t)(o->end - o->p) < n) {
		o->p = o->end + 1;	/* mark overflow */
		return;
	}
	memcpy(o->p, s, n);
	o->p += n;
}

#define PUTS(o, lit) put(o, lit, sizeof(lit) - 1)

/* boot_ns and seq are long numbers in every record (sov_u64_dec()). */
static void put_u64(struct out *o, uint64_t v)
{
	char tmp[SOV_U64_DEC_MAX];

	put(o, tmp, sov_u64_dec(tmp, v));
}

static void put_i64(struct out *o, int64_t v)
{
	if (v < 0) {
		PUTS(o, "-");
		put_u64(o, -(uint64_t)v);
	} else {
		put_u64(o, v);
	}
}

/*
 * The one escaper (include/sov/json.h). Straight into the buffer when the
 * worst case fits; otherwise through a bounded scratch buffer, so a string
 * that does not fit overflows (sticky) exactly where it used to.
 */
static void put_str(struct out *o, const char *str)
{
	char tmp[SOV_JSON_ESC_MAX(256)];
	size_t n = strlen(str), k;

	PUTS(o, "\"");
	if (o->p <= o->end && (size_t)(o->end - o->p) / 6 >= n) {
		o->p += sov_json_escape(o->p, str, n);
	} else {
		while (n && o->p <= o->end) {
			k = sov_json_piece(str, n, 256);
			put(o, tmp, sov_json_escape(tmp, str, k));
			str += k;
			n -= k;
		}
	}
	PUTS(o, "\"");
}

static void put_key_str(struct out *o, const char *key, size_t keylen, const char *v)
{
	if (!v)
		return;
	put(o, key, keylen);
	put_str(o, v);
}

#define KEY_STR(o, lit, v) put_key_str(o, lit, sizeof(lit) - 1, v)

static void put_list(struct out *o, const char *key, size_t keylen,
		     const char *const *v, uint32_t n)
{
	if (!n)
		return;
	put(o, key, keylen);
	PUTS(o, "[");
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			PUTS(o, ",");
		put_str(o, v[i] ? v[i] : "");
	}
	PUTS(o, "]");
}

static const char *const rec_types[] = {
	SOV_REC_AGENT, SOV_REC_POLICY, SOV_REC_TAINT, SOV_REC_DERIVE, SOV_REC_EGRESS,
	SOV_REC_LOSS, SOV_REC_HEARTBEAT, SOV_REC_RECOVERY, SOV_REC_TAMPER,
	SOV_REC_PRUNE,
};

static int type_valid(const char *t)
{
	for (size_t i = 0; t && i < sizeof(rec_types) / sizeof(rec_types[0]); i++)
		if (!strcmp(t, rec_types[i]))
			return 1;
	return 0;
}

/* gmtime_r is costly next to everything else a record needs; the date and
 * time of day change once a second, so keep the last one. */
static void put_time(struct out *o, struct rec_ctx *x, uint64_t ns)
{
	int64_t sec = ns / 1000000000ull;
	uint32_t frac = ns % 1000000000ull;
	char f[11];

	if (sec != x->cached_sec) {
		struct tm tm;
		time_t t = sec;

		gmtime_r(&t, &tm);
		x->cached_prefix_len = strftime(x->cached_prefix, sizeof(x->cached_prefix),
						"%Y-%m-%dT%H:%M:%S", &tm);
		x->cached_sec = sec;
	}
	PUTS(o, "\"");
	put(o, x->cached_prefix, x->cached_prefix_len);
	f[0] = '.';
	for (int i = 9; i >= 1; i--) {
		f[i] = '0' + frac % 10;
		frac /= 10;
	}
	f[10] = 'Z';
	put(o, f, 11);
	PUTS(o, "\"");
}

int sovj_record_encode(struct rec_ctx *x, const struct sov_record *r, uint64_t seq,
		       uint64_t wall_ns, uint64_t boot_ns, char *buf, size_t buflen)
{
	struct out o = { buf, buf + buflen };

	if (!type_valid(r->type))
		return -EINVAL;
	PUTS(&o, "{\"seq\":");
	put_u64(&o, seq);
	PUTS(&o, ",\"type\":\"");
	put(&o, r->type, strlen(r->type));
	PUTS(&o, "\",\"time\":");
	put_time(&o, x, wall_ns);
	PUTS(&o, ",\"boot_ns\":");
	put_u64(&o, boot_ns);
	if (!x->hb_len) {
		struct out h = { x->hb, x->hb + sizeof(x->hb) };

		KEY_STR(&h, ",\"host\":", x->host);
		KEY_STR(&h, ",\"boot\":", x->boot);
		KEY_STR(&h, ",\"version\":", x->version);
		x->hb_len = h.p > h.end ? -1 : h.p - x->hb;
	}
	if (x->hb_len > 0) {
		put(&o, x->hb, x->hb_len);
	} else if (x->hb_len < 0) {
		KEY_STR(&o, ",\"host\":", x->host);
		KEY_STR(&o, ",\"boot\":", x->boot);
		KEY_STR(&o, ",\"version\":", x->version);
	}
	if (r->has & SOV_HAS_ACTOR) {
		PUTS(&o, ",\"pid\":");
		put_i64(&o, r->pid);
		PUTS(&o, ",\"uid\":");
		put_u64(&o, r->uid);
		KEY_STR(&o, ",\"comm\":", r->comm);
		KEY_STR(&o, ",\"exe\":", r->exe);
		KEY_STR(&o, ",\"cgroup\":", r->cgroup);
	}
	if (r->has & SOV_HAS_OBJECT) {
		PUTS(&o, ",\"dev\":");
		put_u64(&o, r->dev);
		PUTS(&o, ",\"ino\":");
		put_u64(&o, r->ino);
		KEY_STR(&o, ",\"path\":", r->path);
	}
	put_list(&o, ",\"classes\":", 11, r->classes, r->nclasses);
	if (r->has & SOV_HAS_DEST) {
		KEY_STR(&o, ",\"dst\":", r->dst ? r->dst : "");
		PUTS(&o, ",\"dport\":");
		put_u64(&o, r->dport);
		KEY_STR(&o, ",\"proto\":", r->proto);
		KEY_STR(&o, ",\"zone\":", r->zone);
	}
	KEY_STR(&o, ",\"verdict\":", r->verdict);
	put_list(&o, ",\"violated\":", 12, r->violated, r->nviolated);
	KEY_STR(&o, ",\"hook\":", r->hook);
	KEY_STR(&o, ",\"policy_sha256\":", r->policy_sha256);
	KEY_STR(&o, ",\"jdata\":", r->jdata);
	KEY_STR(&o, ",\"detail\":", r->detail);
	PUTS(&o, "}");
	if (o.p > o.end)
		return -ENOSPC;
	return o.p - buf;
}

int sovj_json_string(const char *s, char *out, size_t outlen)
{
	struct out o = { out, out + outlen - 1 };

	put_str(&o, s);
	if (o.p > o.end)
		return -ENOSPC;
	*o.p = 0;
	return o.p - out;
}

int sovj_record_seq(const uint8_t *rec, size_t len, uint64_t *seq)
{
	static const char pfx[] = "{\"seq\":";
	uint64_t v = 0;
	size_t i = sizeof(pfx) - 1;

	if (len < i + 2 || memcmp(rec, pfx, i))
		return -EINVAL;
	if (rec[i] == '0' && rec[i + 1] != ',')
		return -EINVAL;
	for (; i < len && rec[i] >= '0' && rec[i] <= '9'; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (rec[i] - '0');
	}
	if (i == sizeof(pfx) - 1 || i >= len || rec[i] != ',')
		return -EINVAL;
	*seq = v;
	return 0;
}

static int parse_rfc3339(const char *s, size_t len, int64_t *ns);

int sovj_record_time(const uint8_t *rec, size_t len, int64_t *wall_ns)
{
	static const char key[] = ",\"time\":\"";
	const uint8_t *p = memmem(rec, len, key, sizeof(key) - 1), *q;

	if (!p)
		return -EINVAL;
	p += sizeof(key) - 1;
	q = memchr(p, '"', rec + len - p);
	if (!q)
		return -EINVAL;
	return parse_rfc3339((const char *)p, q - p, wall_ns);
}

static int digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

static int parse_rfc3339(const char *s, size_t len, int64_t *ns)
{
	struct tm tm = { 0 };
	int y, mo, d, h = 0, mi = 0, se = 0, oh, om;
	int64_t frac = 0, secs;
	size_t i;

	if (len < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d))
		return -EINVAL;
	i = 10;
	if (len > 10) {
		if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || len < 19 ||
		    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) ||
		    s[16] != ':' || digits(s + 17, 2, &se))
			return -EINVAL;
		i = 19;
		if (i < len && s[i] == '.') {
			int nd = 0;

			for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, nd++)
				if (nd < 9)
					frac = frac * 10 + (s[i] - '0');
			if (nd == 0)
				return -EINVAL;
			for (; nd < 9; nd++)
				frac *= 10;
		}
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	secs = timegm(&tm);
	if (i < len) {
		if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == len) {
			/* UTC */
		} else if ((s[i] == '+' || s[i] == '-') && len - i == 6 &&
			   !digits(s + i + 1, 2, &oh) && s[i + 3] == ':' &&
			   !digits(s + i + 4, 2, &om)) {
			int off = (oh * 60 + om) * 60;

			secs -= s[i] == '+' ? off : -off;
		} else {
			return -EINVAL;
		}
	} else if (len > 10) {
		return -EINVAL;		/* a time of day needs its offset */
	}
	*ns = secs * 1000000000ll + frac;
	return 0;
}

int sov_journal_parse_time(const char *s, int64_t *ns)
{
	return parse_rfc3339(s, strlen(s), ns);
}

int sovj_format_rfc3339(int64_t ns, char *out, size_t outlen)
{
	struct rec_ctx x = { .cached_sec = -1 };
	struct out o = { out, out + outlen - 1 };

	if (ns < 0)
		return -EINVAL;
	put_time(&o, &x, ns);
	if (o.p > o.end)
		return -ENOSPC;
	/* drop the quotes put_time adds for JSON */
	memmove(out, out + 1, o.p - out - 2);
	out[o.p - out - 2] = 0;
	return 0;
}
