// SPDX-License-Identifier: Apache-2.0
/* Journal directory layout: naming, listing, reading (with zlib for sealed
 * segments), segment headers (the frontier a pruned journal starts from)
 * and the crash-safe file publication the writer relies on. Called by the
 * writer, the verifier, the exporter and prune.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <openssl/sha.h>
#include "agent/journal/jinternal.h"

/* Accepts exactly the names the writer produces: "seg-%06u.log[.z]". */
static int parse_seg_name(const char *name, uint32_t *no, int *z)
{
	char canon[64];
	unsigned long v;
	char *end;

	if (strncmp(name, SEG_PREFIX, 4) || name[4] < '0' || name[4] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(name + 4, &end, 10);
	if (errno || v > UINT32_MAX)
		return -EINVAL;
	if (!strcmp(end, SEG_LOG_SUFFIX))
		*z = 0;
	else if (!strcmp(end, SEG_Z_SUFFIX))
		*z = 1;
	else
		return -EINVAL;
	snprintf(canon, sizeof(canon), SEG_PREFIX "%06lu%s", v, *z ? SEG_Z_SUFFIX : SEG_LOG_SUFFIX);
	if (strcmp(canon, name))
		return -EINVAL;
	*no = v;
	return 0;
}

static int seg_cmp(const void *a, const void *b)
{
	const struct seg_file *x = a, *y = b;

	if (x->no != y->no)
		return x->no < y->no ? -1 : 1;
	return x->compressed - y->compressed;
}

int sovj_dir_list(const char *dir, struct seg_file **segs, int *nseg, char *err, size_t errlen)
{
	struct seg_file *v = NULL, *nv;
	struct dirent *de;
	int n = 0, cap = 0, ret = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return sovj_errf(err, errlen, -errno, "failed to open journal directory %s: %s", dir,
				 strerror(errno));
	while ((errno = 0, de = readdir(d))) {
		struct seg_file s = { 0 };

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, CHECKPOINT_FILE) || !strcmp(de->d_name, PUBKEY_FILE))
			continue;
		if (parse_seg_name(de->d_name, &s.no, &s.compressed)) {
			ret = sovj_errf(err, errlen, -EBADMSG,
					"unexpected file \"%s\" in journal directory (not part of a journal)",
					de->d_name);
			goto cleanup;
		}
		/* parse_seg_name accepted it, so it fits */
		memcpy(s.name, de->d_name, strnlen(de->d_name, sizeof(s.name) - 1));
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				ret = -ENOMEM;
				goto cleanup;
			}
			v = nv;
		}
		v[n++] = s;
	}
	if (errno) {
		ret = sovj_errf(err, errlen, -errno, "failed to read journal directory %s: %s", dir,
				strerror(errno));
		goto cleanup;
	}
	if (n)
		qsort(v, n, sizeof(*v), seg_cmp);
	*segs = v;
	*nseg = n;
	v = NULL;
cleanup:
	free(v);
	closedir(d);
	return ret;
}

#define INFLATE_MAX	((size_t)1 << 31)

static int inflate_all(const uint8_t *in, size_t inlen, uint8_t **out, size_t *outlen,
		       size_t *consumed)
{
	z_stream zs = { 0 };
	size_t cap = inlen * 4 + 4096, len = 0;
	uint8_t *b = malloc(cap), *nb;
	int zr, ret = 0;

	if (!b)
		return -ENOMEM;
	if (inflateInit(&zs) != Z_OK) {
		free(b);
		return -ENOMEM;
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = inlen;
	do {
		if (len == cap) {
			/* A sealed segment is at most a few segment sizes: a
			 * "zip bomb" is refused before its seal is checked. */
			if (cap >= INFLATE_MAX) {
				ret = -EFBIG;
				goto cleanup;
			}
			cap *= 2;
			nb = realloc(b, cap);
			if (!nb) {
				ret = -ENOMEM;
				goto cleanup;
			}
			b = nb;
		}
		zs.next_out = b + len;
		zs.avail_out = cap - len;
		zr = inflate(&zs, Z_NO_FLUSH);
		len = cap - zs.avail_out;
		if (zr != Z_OK && zr != Z_STREAM_END && !(zr == Z_BUF_ERROR && len == cap)) {
			ret = -EBADMSG;
			goto cleanup;
		}
	} while (zr != Z_STREAM_END);
	*consumed = inlen - zs.avail_in;
	*out = b;
	*outlen = len;
	b = NULL;
cleanup:
	inflateEnd(&zs);
	free(b);
	return ret;
}

int sovj_seg_read(const char *dir, const struct seg_file *s, uint8_t **buf, size_t *len,
		  struct seg_seal *seal, char *err, size_t errlen)
{
	uint8_t *b = NULL;
	size_t cap = 0;
	int ret = sovj_seg_read_into(dir, s, &b, &cap, len, seal, err, errlen);

	if (ret) {
		free(b);
		return ret;
	}
	*buf = b;
	return 0;
}

int sovj_seg_read_into(const char *dir, const struct seg_file *s, uint8_t **buf, size_t *bufcap,
		       size_t *len, struct seg_seal *seal, char *err, size_t errlen)
{
	char path[4096];
	uint8_t *raw;
	size_t rawlen, used;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", dir, s->name);
	if (!s->compressed) {
		ret = sovj_read_file_into(path, buf, bufcap, len);
		if (ret)
			return sovj_errf(err, errlen, ret, "failed to read %s: %s", s->name,
					 strerror(-ret));
		return 0;
	}
	ret = sovj_read_file(path, &raw, &rawlen);
	if (ret)
		return sovj_errf(err, errlen, ret, "failed to read %s: %s", s->name, strerror(-ret));
	free(*buf);
	*buf = NULL;
	*bufcap = 0;
	ret = inflate_all(raw, rawlen, buf, len, &used);
	if (ret == -EBADMSG) {
		free(raw);
		return sovj_errf(err, errlen, ret, "%s: zlib stream is damaged", s->name);
	}
	if (ret) {
		free(raw);
		return sovj_errf(err, errlen, ret, "failed to decompress %s: %s", s->name, strerror(-ret));
	}
	if (!seal) {
		free(raw);
		return 0;
	}
	SHA256(raw, used, seal->zhash);
	seal->note = raw + used;
	seal->notelen = rawlen - used;
	seal->raw = raw;
	return 0;
}

int sovj_seghdr_encode(const struct seghdr *s, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, SEGHDR_MAGIC "\nsegment %u\nfirst %llu\nfrontier",
			 s->no, (unsigned long long)s->first);

	for (int i = 0; i < s->frontier.n; i++) {
		if (n + 2 + 2 * SOV_HASH_LEN >= (int)outlen)
			return -ENOSPC;
		out[n++] = ' ';
		sovj_hex_encode(s->frontier.h[i], SOV_HASH_LEN, out + n);
		n += 2 * SOV_HASH_LEN;
	}
	if (n + 2 >= (int)outlen)
		return -ENOSPC;
	out[n++] = '\n';
	out[n] = 0;
	return n;
}

/* The header payload of section 5, in canonical form only (what the writer
 * would write for the state it describes). p NULL: not a header frame. */
int sovj_seghdr_parse(const uint8_t *p, size_t len, struct seghdr *sh)
{
	char buf[SEGHDR_MAX], re[SEGHDR_MAX];
	unsigned int no;
	unsigned long long first;
	char *q;
	int n;

	if (!p || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, p, len);
	buf[len] = 0;
	if (sscanf(buf, SEGHDR_MAGIC "\nsegment %u\nfirst %llu\n", &no, &first) != 2)
		return -EINVAL;
	q = strstr(buf, "\nfrontier");
	if (!q)
		return -EINVAL;
	q += 9;
	memset(sh, 0, sizeof(*sh));
	sh->no = no;
	sh->first = first;
	sh->frontier.size = first;
	while (*q == ' ' && sh->frontier.n < COMPACT_MAX) {
		uint8_t *h = sh->frontier.h[sh->frontier.n++];

		for (int i = 0; i < SOV_HASH_LEN; i++) {
			unsigned int v;

			if (sscanf(q + 1 + 2 * i, "%2x", &v) != 1)
				return -EINVAL;
			h[i] = v;
		}
		q += 1 + 2 * SOV_HASH_LEN;
	}
	if (sh->frontier.n != __builtin_popcountll(first))
		return -EINVAL;
	n = sovj_seghdr_encode(sh, re, sizeof(re));
	if (n != (int)len || memcmp(re, p, n))
		return -EINVAL;
	return 0;
}

/* Only the first frame: at most SEGHDR_MAX + a frame's overhead bytes,
 * inflated from the start of the zlib stream for a sealed segment. */
int sovj_seg_read_header(const char *dir, const struct seg_file *s, struct seghdr *sh,
			 char *err, size_t errlen)
{
	uint8_t raw[2 * SEGHDR_MAX], out[SEGHDR_MAX + FRAME_OVERHEAD];
	char path[4096];
	size_t got = 0;
	struct frame f;
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, s->name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sovj_errf(err, errlen, -errno, "failed to open %s: %s", s->name, strerror(errno));
	r = read(fd, raw, sizeof(raw));
	close(fd);
	if (r < 0)
		return sovj_errf(err, errlen, -errno, "failed to read %s: %s", s->name, strerror(errno));
	if (!s->compressed) {
		got = (size_t)r < sizeof(out) ? (size_t)r : sizeof(out);
		memcpy(out, raw, got);
	} else {
		z_stream zs = { 0 };
		int zr;

		if (inflateInit(&zs) != Z_OK)
			return -ENOMEM;
		zs.next_in = raw;
		zs.avail_in = r;
		zs.next_out = out;
		zs.avail_out = sizeof(out);
		zr = inflate(&zs, Z_SYNC_FLUSH);
		got = sizeof(out) - zs.avail_out;
		inflateEnd(&zs);
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
			return sovj_errf(err, errlen, -EBADMSG, "%s: zlib stream is damaged", s->name);
	}
	if (sovj_frame_get(out, got, 0, &f) != FRAME_OK || f.kind != FRAME_SEGHDR ||
	    sovj_seghdr_parse(f.payload, f.len, sh) || sh->no != s->no)
		return sovj_errf(err, errlen, -EBADMSG, "%s: damaged segment header", s->name);
	return 0;
}
