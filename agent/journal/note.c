// SPDX-License-Identifier: Apache-2.0
/*
 * Ed25519 keys and checkpoints as C2SP signed notes (c2sp.org/signed-note,
 * c2sp.org/tlog-checkpoint). Key files use the text formats of Go's
 * golang.org/x/mod/sumdb/note so that standard tooling reads them:
 *	public:  <name>+<8 hex key hash>+<base64(0x01 || 32-byte public key)>
 *	private: PRIVATE+KEY+<name>+<8 hex key hash>+<base64(0x01 || 32-byte seed)>
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include "agent/journal/jinternal.h"

#define ALG_ED25519	0x01
#define SIG_DASH	"\xe2\x80\x94 "		/* U+2014 EM DASH, space */
#define KEYFILE_MAX	1024

static int b64_encode(const uint8_t *in, size_t len, char *out, size_t outlen)
{
	if (outlen < 4 * ((len + 2) / 3) + 1)
		return -ENOSPC;
	return EVP_EncodeBlock((unsigned char *)out, in, len);
}

/* Strict: canonical padded standard base64 that decodes to exactly outlen
 * bytes. EVP_DecodeBlock ignores some malformations, so re-encode and compare. */
static int b64_decode(const char *in, size_t len, uint8_t *out, size_t outlen)
{
	unsigned char tmp[128];
	char re[192];
	int n;

	if (len == 0 || len % 4 || len / 4 * 3 > sizeof(tmp))
		return -EINVAL;
	n = EVP_DecodeBlock(tmp, (const unsigned char *)in, len);
	if (n < 0)
		return -EINVAL;
	n -= (in[len - 1] == '=') + (in[len - 2] == '=');
	if (n != (int)outlen)
		return -EINVAL;
	if (b64_encode(tmp, n, re, sizeof(re)) != (int)len || memcmp(re, in, len))
		return -EINVAL;
	memcpy(out, tmp, outlen);
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return 0;
}

static int key_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= SOV_KEYNAME_MAX)
		return 0;
	for (const char *p = name; *p; p++)
		if (*p <= ' ' || *p == '+' || *p == 0x7f)
			return 0;
	return 1;
}

static void key_hash(const char *name, const uint8_t pub[32], uint8_t out[4])
{
	uint8_t buf[SOV_KEYNAME_MAX + 2 + 32], md[SOV_HASH_LEN];
	size_t n = strnlen(name, SOV_KEYNAME_MAX - 1);

	memcpy(buf, name, n);
	buf[n] = '\n';
	buf[n + 1] = ALG_ED25519;
	memcpy(buf + n + 2, pub, 32);
	SHA256(buf, n + 2 + 32, md);
	memcpy(out, md, 4);
}

int sovj_pubkey_format(const struct sov_pubkey *k, char *out, size_t outlen)
{
	uint8_t raw[33];
	char b64[64], hh[9];
	int n;

	raw[0] = ALG_ED25519;
	memcpy(raw + 1, k->pub, 32);
	b64_encode(raw, sizeof(raw), b64, sizeof(b64));
	sovj_hex_encode(k->hash, 4, hh);
	n = snprintf(out, outlen, "%s+%s+%s", k->name, hh, b64);
	return n < 0 || (size_t)n >= outlen ? -ENOSPC : n;
}

/* Splits "<name>+<hash>+<b64>" and decodes the key bytes. */
static int parse_key_text(const char *text, size_t len, char *name, uint8_t hash[4],
			  uint8_t key[32])
{
	const char *p1, *p2, *end = text + len;
	uint8_t raw[33];
	char hh[9];

	p1 = memchr(text, '+', len);
	if (!p1 || p1 == text || (size_t)(p1 - text) >= SOV_KEYNAME_MAX)
		return -EINVAL;
	p2 = memchr(p1 + 1, '+', end - p1 - 1);
	if (!p2 || p2 - p1 - 1 != 8)
		return -EINVAL;
	memcpy(name, text, p1 - text);
	name[p1 - text] = 0;
	if (!key_name_valid(name))
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		unsigned int v;

		memcpy(hh, p1 + 1 + 2 * i, 2);
		hh[2] = 0;
		if (!strchr("0123456789abcdef", hh[0]) || !strchr("0123456789abcdef", hh[1]) ||
		    sscanf(hh, "%02x", &v) != 1)
			return -EINVAL;
		hash[i] = v;
	}
	if (b64_decode(p2 + 1, end - p2 - 1, raw, sizeof(raw)) || raw[0] != ALG_ED25519)
		return -EINVAL;
	memcpy(key, raw + 1, 32);
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

static size_t trim_newline(const char *s, size_t len)
{
	if (len && s[len - 1] == '\n')
		len--;
	return len;
}

int sovj_pubkey_parse(struct sov_pubkey *k, const char *text, size_t len, char *err, size_t errlen)
{
	uint8_t h[4];

	memset(k, 0, sizeof(*k));
	len = trim_newline(text, len);
	if (parse_key_text(text, len, k->name, k->hash, k->pub))
		return sovj_errf(err, errlen, -EINVAL,
				 "not a public key in signed-note format (name+hash+base64)");
	key_hash(k->name, k->pub, h);
	if (memcmp(h, k->hash, 4))
		return sovj_errf(err, errlen, -EINVAL, "key hash does not match name and key");
	k->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, k->pub, 32);
	if (!k->pkey)
		return sovj_errf(err, errlen, -EINVAL, "OpenSSL rejected the Ed25519 public key");
	return 0;
}

int sovj_pubkey_load(struct sov_pubkey *k, const char *path, char *err, size_t errlen)
{
	uint8_t *buf;
	size_t len;
	int ret;
	char why[200];

	ret = sovj_read_file(path, &buf, &len);
	if (ret)
		return sovj_errf(err, errlen, ret, "failed to read public key %s: %s", path,
				 strerror(-ret));
	ret = sovj_pubkey_parse(k, (char *)buf, len, why, sizeof(why));
	free(buf);
	if (ret)
		return sovj_errf(err, errlen, ret, "failed to parse public key %s: %s", path, why);
	return 0;
}

void sovj_pubkey_free(struct sov_pubkey *k)
{
	EVP_PKEY_free(k->pkey);
	k->pkey = NULL;
}

static int signer_from_seed(struct sov_signer *s, const char *name, const uint8_t seed[32])
{
	size_t publen = 32;

	memset(s, 0, sizeof(*s));
	s->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	if (!s->pkey || !EVP_PKEY_get_raw_public_key(s->pkey, s->pub.pub, &publen))
		goto fail;
	snprintf(s->pub.name, sizeof(s->pub.name), "%s", name);
	key_hash(name, s->pub.pub, s->pub.hash);
	s->pub.pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, s->pub.pub, 32);
	if (!s->pub.pkey)
		goto fail;
	return 0;
fail:
	sovj_signer_free(s);
	return -EINVAL;
}

int sovj_signer_load(struct sov_signer *s, const char *path, char *err, size_t errlen)
{
	char buf[KEYFILE_MAX + 1], name[SOV_KEYNAME_MAX];
	uint8_t seed[32], hash[4], want[4];
	static const char pfx[] = "PRIVATE+KEY+";
	struct stat st;
	ssize_t n;
	size_t len;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return sovj_errf(err, errlen, -errno, "failed to open key %s: %s", path, strerror(errno));
	if (fstat(fd, &st)) {
		ret = sovj_errf(err, errlen, -errno, "failed to stat key %s: %s", path, strerror(errno));
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = sovj_errf(err, errlen, -EINVAL, "failed to load key %s: not a regular file", path);
		goto cleanup;
	}
	if (st.st_mode & 077) {
		ret = sovj_errf(err, errlen, -EPERM,
				"refusing key %s: mode %04o lets group or others read it; run chmod 600 %s",
				path, st.st_mode & 07777, path);
		goto cleanup;
	}
	n = read(fd, buf, KEYFILE_MAX);
	if (n < 0) {
		ret = sovj_errf(err, errlen, -errno, "failed to read key %s: %s", path, strerror(errno));
		goto cleanup;
	}
	buf[n] = 0;
	len = trim_newline(buf, n);
	if (len < sizeof(pfx) - 1 || memcmp(buf, pfx, sizeof(pfx) - 1) ||
	    parse_key_text(buf + sizeof(pfx) - 1, len - (sizeof(pfx) - 1), name, hash, seed)) {
		ret = sovj_errf(err, errlen, -EINVAL,
				"failed to parse key %s: not a PRIVATE+KEY+name+hash+base64 signed-note key",
				path);
		goto cleanup;
	}
	if (signer_from_seed(s, name, seed)) {
		ret = sovj_errf(err, errlen, -EINVAL, "failed to load key %s: OpenSSL rejected it", path);
		goto cleanup;
	}
	key_hash(name, s->pub.pub, want);
	if (memcmp(want, hash, 4)) {
		sovj_signer_free(s);
		ret = sovj_errf(err, errlen, -EINVAL, "failed to load key %s: key hash does not match", path);
	}
cleanup:
	OPENSSL_cleanse(buf, sizeof(buf));
	OPENSSL_cleanse(seed, sizeof(seed));
	close(fd);
	return ret;
}

int sovj_signer_generate(struct sov_signer *s, const char *name)
{
	uint8_t seed[32];
	EVP_PKEY *p;
	size_t len = sizeof(seed);
	int ret;

	if (!key_name_valid(name))
		return -EINVAL;
	p = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!p)
		return -EIO;
	if (!EVP_PKEY_get_raw_private_key(p, seed, &len)) {
		EVP_PKEY_free(p);
		return -EIO;
	}
	EVP_PKEY_free(p);
	ret = signer_from_seed(s, name, seed);
	OPENSSL_cleanse(seed, sizeof(seed));
	return ret;
}

int sovj_signer_format(const struct sov_signer *s, char *out, size_t outlen)
{
	uint8_t raw[33];
	size_t len = 32;
	char b64[64], hh[9];
	int n = -EIO;

	raw[0] = ALG_ED25519;
	if (!EVP_PKEY_get_raw_private_key(s->pkey, raw + 1, &len))
		goto cleanup;
	b64_encode(raw, sizeof(raw), b64, sizeof(b64));
	sovj_hex_encode(s->pub.hash, 4, hh);
	n = snprintf(out, outlen, "PRIVATE+KEY+%s+%s+%s", s->pub.name, hh, b64);
	if (n < 0 || (size_t)n >= outlen)
		n = -ENOSPC;
cleanup:
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(b64, sizeof(b64));
	return n;
}

void sovj_signer_free(struct sov_signer *s)
{
	EVP_PKEY_free(s->pkey);
	sovj_pubkey_free(&s->pub);
	s->pkey = NULL;
}

static int body_format(const struct checkpoint *c, char *out, size_t outlen)
{
	char b64[64];
	int n;

	b64_encode(c->root, SOV_HASH_LEN, b64, sizeof(b64));
	n = snprintf(out, outlen, "%s\n%llu\n%s\n", c->origin, (unsigned long long)c->size, b64);
	return n < 0 || (size_t)n >= outlen ? -ENOSPC : n;
}

int sovj_checkpoint_sign(struct sov_signer *s, const struct checkpoint *c, char *out, size_t outlen)
{
	uint8_t sig[4 + SOV_SIG_LEN];
	size_t siglen = SOV_SIG_LEN;
	char b64[128];
	EVP_MD_CTX *ctx;
	int n, m;

	n = body_format(c, out, outlen);
	if (n < 0)
		return n;
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestSignInit(ctx, NULL, NULL, NULL, s->pkey) ||
	    !EVP_DigestSign(ctx, sig + 4, &siglen, (uint8_t *)out, n) || siglen != SOV_SIG_LEN) {
		EVP_MD_CTX_free(ctx);
		return -EIO;
	}
	EVP_MD_CTX_free(ctx);
	memcpy(sig, s->pub.hash, 4);
	b64_encode(sig, sizeof(sig), b64, sizeof(b64));
	m = snprintf(out + n, outlen - n, "\n" SIG_DASH "%s %s\n", s->pub.name, b64);
	if (m < 0 || (size_t)m >= outlen - n)
		return -ENOSPC;
	return n + m;
}

static int parse_u64_strict(const char *s, size_t len, uint64_t *v)
{
	uint64_t x = 0;

	if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (x > (UINT64_MAX - (s[i] - '0')) / 10)
			return -EINVAL;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return 0;
}

/* Strict parse: exactly the three body lines we write, one blank line and
 * exactly one signature line by k. Anything else is an error, so that every
 * byte of a stored note is accounted for. */
int sovj_checkpoint_open(const struct sov_pubkey *k, const char *note, size_t len,
			 struct checkpoint *c, char *err, size_t errlen)
{
	const char *end = note + len, *l1, *l2, *l3, *sl, *sp, *b;
	uint8_t sig[4 + SOV_SIG_LEN];
	size_t bodylen, namelen;
	EVP_MD_CTX *ctx;
	int ok;

	memset(c, 0, sizeof(*c));
	if (memchr(note, 0, len))
		return sovj_errf(err, errlen, -EINVAL, "checkpoint contains a NUL byte");
	l1 = memchr(note, '\n', len);
	l2 = l1 ? memchr(l1 + 1, '\n', end - l1 - 1) : NULL;
	l3 = l2 ? memchr(l2 + 1, '\n', end - l2 - 1) : NULL;
	if (!l3 || l3 + 1 >= end || l3[1] != '\n')
		return sovj_errf(err, errlen, -EINVAL,
				 "checkpoint is not origin, size, root hash and a blank line");
	if (l1 == note || (size_t)(l1 - note) >= sizeof(c->origin))
		return sovj_errf(err, errlen, -EINVAL, "checkpoint origin line is empty or too long");
	memcpy(c->origin, note, l1 - note);
	if (parse_u64_strict(l1 + 1, l2 - l1 - 1, &c->size))
		return sovj_errf(err, errlen, -EINVAL, "checkpoint tree size is not a decimal number");
	if (b64_decode(l2 + 1, l3 - l2 - 1, c->root, SOV_HASH_LEN))
		return sovj_errf(err, errlen, -EINVAL, "checkpoint root hash is not base64 of 32 bytes");
	bodylen = l3 + 1 - note;
	sl = l3 + 2;
	if (end - sl < 4 || memcmp(sl, SIG_DASH, 4) || end[-1] != '\n')
		return sovj_errf(err, errlen, -EINVAL, "checkpoint signature line is malformed");
	if (memchr(sl, '\n', end - sl) != end - 1)
		return sovj_errf(err, errlen, -EINVAL,
				 "checkpoint has more than one signature line");
	b = sl + 4;
	sp = memchr(b, ' ', end - 1 - b);
	if (!sp)
		return sovj_errf(err, errlen, -EINVAL, "checkpoint signature line is malformed");
	namelen = sp - b;
	if (namelen != strlen(k->name) || memcmp(b, k->name, namelen))
		return sovj_errf(err, errlen, -EKEYREJECTED,
				 "checkpoint is signed by key \"%.*s\", not by \"%s\"",
				 (int)(namelen > 100 ? 100 : namelen), b, k->name);
	if (b64_decode(sp + 1, end - 1 - sp - 1, sig, sizeof(sig)))
		return sovj_errf(err, errlen, -EINVAL, "checkpoint signature is not base64 of 68 bytes");
	if (memcmp(sig, k->hash, 4))
		return sovj_errf(err, errlen, -EKEYREJECTED,
				 "checkpoint is signed by another key named \"%s\" (key hash differs)",
				 k->name);
	ctx = EVP_MD_CTX_new();
	ok = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k->pkey) &&
	     EVP_DigestVerify(ctx, sig + 4, SOV_SIG_LEN, (const uint8_t *)note, bodylen) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return sovj_errf(err, errlen, -EKEYREJECTED, "checkpoint signature is invalid");
	return 0;
}
