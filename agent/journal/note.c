// SPDX-License-Identifier: Apache-2.0
/*
 * Ed25519 keys and checkpoints as C2SP signed notes (c2sp.org/signed-note,
 * c2sp.org/tlog-checkpoint). Key files use the text formats of Go's
 * golang.org/x/mod/sumdb/note so that standard tooling reads them:
 *	public:  <name>+<8 hex key hash>+<base64(0x01 || 32-byte public key)>
 *	private: PRIVATE+KEY+<name>+<8 hex key hash>+<base64(0x01 || 32-byte seed)>
 * A witness's key has the type byte 0x04 in place of 0x01 (its vkey form in
 * c2sp.org/tlog-cosignature; the private form is ours, the same shape).
 * Witness cosignatures (cosignature/v1) are read and written here too.
 * Called by the writer, the verifier, the exporter and sovctl.
 */
#include <ctype.h>
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

#define ALG_ED25519	KEY_ALG_ED25519
#define COSIG_HDR	"cosignature/v1\ntime "
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

/* The next UTF-8 sequence at p (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF): its code point, or -1 if invalid. */
static int32_t utf8_next(const unsigned char *p, const unsigned char *end, size_t *n)
{
	uint32_t c = p[0], min;
	size_t k;

	if (c < 0x80) {
		*n = 1;
		return c;
	}
	if (c >= 0xc2 && c <= 0xdf)
		k = 1, c &= 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		k = 2, c &= 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		k = 3, c &= 0x07, min = 0x10000;
	else
		return -1;
	if ((size_t)(end - p) <= k)
		return -1;
	for (size_t i = 1; i <= k; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		c = c << 6 | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*n = k + 1;
	return c;
}

/* Unicode White_Space: what Go's unicode.IsSpace, which golang.org/x/mod's
 * note package applies to key names, counts as space. */
static int unicode_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 ||
	       c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
	       c == 0x202f || c == 0x205f || c == 0x3000;
}

const char *sovj_key_name_problem(const char *name)
{
	const unsigned char *p = (const unsigned char *)name, *end;
	size_t n = strlen(name), k;
	int32_t c;

	if (n == 0)
		return "the key name is empty";
	if (n >= SOV_KEYNAME_MAX)
		return "the key name is longer than 127 bytes";
	for (end = p + n; p < end; p += k) {
		c = utf8_next(p, end, &k);
		if (c < 0)
			return "the key name is not valid UTF-8";
		if (unicode_space(c))
			return "the key name holds a space (signed-note key names may not)";
		if (c == '+')
			return "the key name holds '+' (it separates the fields of a key)";
		if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
			return "the key name holds a control character";
	}
	return NULL;
}

static int key_name_valid(const char *name)
{
	return !sovj_key_name_problem(name);
}

static int alg_known(int alg)
{
	return alg == KEY_ALG_ED25519 || alg == KEY_ALG_COSIG;
}

static void key_hash(const char *name, int alg, const uint8_t pub[32], uint8_t out[4])
{
	uint8_t buf[SOV_KEYNAME_MAX + 2 + 32], md[SOV_HASH_LEN];
	size_t n = strnlen(name, SOV_KEYNAME_MAX - 1);

	memcpy(buf, name, n);
	buf[n] = '\n';
	buf[n + 1] = alg;
	memcpy(buf + n + 2, pub, 32);
	SHA256(buf, n + 2 + 32, md);
	memcpy(out, md, 4);
}

int sovj_pubkey_format(const struct sov_pubkey *k, char *out, size_t outlen)
{
	uint8_t raw[33];
	char b64[64], hh[9];
	int n;

	raw[0] = k->alg ? k->alg : ALG_ED25519;
	memcpy(raw + 1, k->pub, 32);
	b64_encode(raw, sizeof(raw), b64, sizeof(b64));
	sovj_hex_encode(k->hash, 4, hh);
	n = snprintf(out, outlen, "%s+%s+%s", k->name, hh, b64);
	return n < 0 || (size_t)n >= outlen ? -ENOSPC : n;
}

/* Splits "<name>+<hash>+<b64>" and decodes the key bytes. */
static int parse_key_text(const char *text, size_t len, char *name, uint8_t hash[4],
			  uint8_t key[32], int *alg)
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
	if (b64_decode(p2 + 1, end - p2 - 1, raw, sizeof(raw)) || !alg_known(raw[0]))
		return -EINVAL;
	*alg = raw[0];
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
	if (parse_key_text(text, len, k->name, k->hash, k->pub, &k->alg))
		return sovj_errf(err, errlen, -EINVAL,
				 "not a public key in signed-note format (name+hash+base64)");
	key_hash(k->name, k->alg, k->pub, h);
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

static int signer_from_seed(struct sov_signer *s, const char *name, int alg,
			    const uint8_t seed[32])
{
	size_t publen = 32;

	memset(s, 0, sizeof(*s));
	s->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	if (!s->pkey || !EVP_PKEY_get_raw_public_key(s->pkey, s->pub.pub, &publen))
		goto fail;
	snprintf(s->pub.name, sizeof(s->pub.name), "%s", name);
	s->pub.alg = alg;
	key_hash(name, alg, s->pub.pub, s->pub.hash);
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
	int fd, alg = 0, ret = 0;

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
	    parse_key_text(buf + sizeof(pfx) - 1, len - (sizeof(pfx) - 1), name, hash, seed,
			   &alg)) {
		ret = sovj_errf(err, errlen, -EINVAL,
				"failed to parse key %s: not a PRIVATE+KEY+name+hash+base64 signed-note key",
				path);
		goto cleanup;
	}
	if (signer_from_seed(s, name, alg, seed)) {
		ret = sovj_errf(err, errlen, -EINVAL, "failed to load key %s: OpenSSL rejected it", path);
		goto cleanup;
	}
	key_hash(name, alg, s->pub.pub, want);
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
	return sovj_signer_generate_alg(s, name, ALG_ED25519);
}

int sovj_signer_generate_alg(struct sov_signer *s, const char *name, int alg)
{
	uint8_t seed[32];
	EVP_PKEY *p;
	size_t len = sizeof(seed);
	int ret;

	if (!key_name_valid(name) || !alg_known(alg))
		return -EINVAL;
	p = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!p)
		return -EIO;
	if (!EVP_PKEY_get_raw_private_key(p, seed, &len)) {
		EVP_PKEY_free(p);
		return -EIO;
	}
	EVP_PKEY_free(p);
	ret = signer_from_seed(s, name, alg, seed);
	OPENSSL_cleanse(seed, sizeof(seed));
	return ret;
}

int sovj_signer_format(const struct sov_signer *s, char *out, size_t outlen)
{
	uint8_t raw[33];
	size_t len = 32;
	char b64[64], hh[9];
	int n = -EIO;

	raw[0] = s->pub.alg;
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

	if (s->pub.alg != ALG_ED25519)
		return -EINVAL;		/* a witness key signs cosignatures only */
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
	if (k->alg == KEY_ALG_COSIG)
		return sovj_errf(err, errlen, -EKEYREJECTED,
				 "key \"%s\" is a witness key (cosignature/v1), not the log's key",
				 k->name);
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

static int ed25519_verify(EVP_PKEY *pkey, const uint8_t sig[SOV_SIG_LEN], const void *msg,
			  size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	ok = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) &&
	     EVP_DigestVerify(ctx, sig, SOV_SIG_LEN, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* The cosigned message: "cosignature/v1\ntime <t>\n" || note body. */
static uint8_t *cosig_message(const char *body, size_t bodylen, uint64_t t, size_t *len)
{
	uint8_t *m = malloc(sizeof(COSIG_HDR) + 24 + bodylen);
	int n;

	if (!m)
		return NULL;
	n = sprintf((char *)m, COSIG_HDR "%llu\n", (unsigned long long)t);
	memcpy(m + n, body, bodylen);
	*len = n + bodylen;
	return m;
}

int sovj_note_body_len(const char *note, size_t len)
{
	const char *b = memmem(note, len, "\n\n", 2);

	return b && b - note + 1 <= 0x7fffffff ? (int)(b - note + 1) : -EINVAL;
}

int sovj_checkpoint_open_cosigned(const struct sov_pubkey *k, const struct sov_pubkey *w, int nw,
				  const char *note, size_t len, struct checkpoint *c,
				  struct cosig *cs, int maxcs, int *ncs, int *nignored,
				  char *logonly, size_t *logonly_len, char *err, size_t errlen)
{
	const char *end = note + len, *p, *nl, *sp, *logline = NULL;
	int bodylen, lines = 0, ret;
	char why[256];

	*ncs = 0;
	*nignored = 0;
	memset(c, 0, sizeof(*c));
	if (k->alg == KEY_ALG_COSIG)
		return sovj_errf(err, errlen, -EKEYREJECTED,
				 "key \"%s\" is a witness key (cosignature/v1), not the log's key",
				 k->name);
	/* signed-note: valid UTF-8, no control characters but newline. */
	for (p = note; p < end;) {
		size_t n;
		int32_t ch = utf8_next((const unsigned char *)p, (const unsigned char *)end, &n);

		if (ch < 0 || (ch < 0x20 && ch != '\n') || ch == 0x7f)
			return sovj_errf(err, errlen, -EINVAL,
					 "checkpoint is not valid UTF-8 text or holds a control character at byte %zu",
					 (size_t)(p - note));
		p += n;
	}
	bodylen = sovj_note_body_len(note, len);
	if (bodylen < 0)
		return sovj_errf(err, errlen, -EINVAL,
				 "checkpoint is not origin, size, root hash and a blank line");
	if (len == 0 || end[-1] != '\n')
		return sovj_errf(err, errlen, -EINVAL, "checkpoint signature line is malformed");
	for (p = note + bodylen + 1; p < end; p = nl + 1) {
		uint8_t blob[4 + 8 + SOV_SIG_LEN], id[6];
		size_t namelen, b64len;
		const char *b64;
		int known = -1, islog;

		nl = memchr(p, '\n', end - p);
		if (++lines > COSIG_MAX_LINES)
			return sovj_errf(err, errlen, -EINVAL,
					 "checkpoint has more than %d signature lines", COSIG_MAX_LINES);
		if (nl - p < 4 || memcmp(p, SIG_DASH, 4) || !(sp = memchr(p + 4, ' ', nl - p - 4)) ||
		    sp == p + 4 || sp + 1 >= nl)
			return sovj_errf(err, errlen, -EINVAL,
					 "checkpoint signature line %d is malformed", lines);
		namelen = sp - (p + 4);
		b64 = sp + 1;
		b64len = nl - b64;
		if (memchr(b64, ' ', b64len) || b64len < 8)
			return sovj_errf(err, errlen, -EINVAL,
					 "checkpoint signature line %d is malformed", lines);
		/* Every line is base64 (RFC 4648, padded), known key or not. */
		for (size_t i = 0; i < b64len; i++) {
			char ch = b64[i];
			int pad = i >= b64len - 2 && ch == '=' && (i == b64len - 1 || b64[i + 1] == '=');

			if (b64len % 4 || !(isalnum((unsigned char)ch) || ch == '+' || ch == '/' || pad))
				return sovj_errf(err, errlen, -EINVAL,
						 "checkpoint signature line %d is not base64", lines);
		}
		/* The key id is in the first 6 bytes that 8 base64 digits give. */
		if (EVP_DecodeBlock(id, (const unsigned char *)b64, 8) != 6)
			return sovj_errf(err, errlen, -EINVAL,
					 "checkpoint signature line %d is not base64", lines);
		islog = namelen == strlen(k->name) && !memcmp(p + 4, k->name, namelen) &&
			!memcmp(id, k->hash, 4);
		for (int i = 0; !islog && i < nw; i++)
			if (namelen == strlen(w[i].name) && !memcmp(p + 4, w[i].name, namelen) &&
			    !memcmp(id, w[i].hash, 4) && w[i].alg == KEY_ALG_COSIG)
				known = i;
		if (islog) {
			if (b64_decode(b64, b64len, blob, 4 + SOV_SIG_LEN))
				return sovj_errf(err, errlen, -EINVAL,
						 "checkpoint signature is not base64 of 68 bytes");
			if (!ed25519_verify(k->pkey, blob + 4, note, bodylen))
				return sovj_errf(err, errlen, -EKEYREJECTED,
						 "checkpoint signature is invalid");
			logline = p;
		} else if (known >= 0) {
			uint64_t t = 0;
			uint8_t *m;
			size_t mlen;
			int ok, dup = 0;

			if (b64_decode(b64, b64len, blob, sizeof(blob)))
				return sovj_errf(err, errlen, -EINVAL,
						 "cosignature by witness \"%s\" is not base64 of 76 bytes (key id, time, signature)",
						 w[known].name);
			for (int i = 0; i < 8; i++)
				t = t << 8 | blob[4 + i];
			if (t > INT64_MAX)
				return sovj_errf(err, errlen, -EINVAL,
						 "cosignature by witness \"%s\" has a time above 2^63-1",
						 w[known].name);
			m = cosig_message(note, bodylen, t, &mlen);
			if (!m)
				return -ENOMEM;
			ok = ed25519_verify(w[known].pkey, blob + 12, m, mlen);
			free(m);
			if (!ok)
				return sovj_errf(err, errlen, -EKEYREJECTED,
						 "cosignature by witness \"%s\" (time %llu) is invalid: the checkpoint or the cosignature was altered",
						 w[known].name, (unsigned long long)t);
			for (int i = 0; i < *ncs; i++)
				dup |= cs[i].witness == known;
			if (!dup && *ncs < maxcs)
				cs[(*ncs)++] = (struct cosig){ .witness = known, .time = t };
		} else {
			(*nignored)++;
		}
	}
	if (!lines)
		return sovj_errf(err, errlen, -EINVAL, "checkpoint has no signature line");
	if (!logline)
		return sovj_errf(err, errlen, -EKEYREJECTED,
				 "checkpoint carries no signature by key \"%s\" (%d signature line(s) by other keys ignored)",
				 k->name, *nignored);
	/* The body: exactly what sovd writes, parsed by the strict reader
	 * against a note holding only the log's line. */
	{
		char one[CHECKPOINT_MAX];
		size_t ll = (const char *)memchr(logline, '\n', end - logline) + 1 - logline;

		if (bodylen + 1 + ll > sizeof(one))
			return sovj_errf(err, errlen, -EINVAL, "checkpoint is too long");
		memcpy(one, note, bodylen + 1);
		memcpy(one + bodylen + 1, logline, ll);
		ret = sovj_checkpoint_open(k, one, bodylen + 1 + ll, c, why, sizeof(why));
		if (ret)
			return sovj_errf(err, errlen, ret, "%s", why);
		if (logonly) {
			memcpy(logonly, one, bodylen + 1 + ll);
			*logonly_len = bodylen + 1 + ll;
		}
	}
	return 0;
}

int sovj_cosign_line(const struct sov_signer *s, const char *note, size_t len, uint64_t t,
		     char *out, size_t outlen)
{
	uint8_t blob[4 + 8 + SOV_SIG_LEN], *m;
	size_t siglen = SOV_SIG_LEN, mlen;
	char b64[128];
	EVP_MD_CTX *ctx;
	int bodylen = sovj_note_body_len(note, len), n, ok;

	if (s->pub.alg != KEY_ALG_COSIG || bodylen < 0 || t > INT64_MAX)
		return -EINVAL;
	m = cosig_message(note, bodylen, t, &mlen);
	if (!m)
		return -ENOMEM;
	ctx = EVP_MD_CTX_new();
	ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, s->pkey) &&
	     EVP_DigestSign(ctx, blob + 12, &siglen, m, mlen) && siglen == SOV_SIG_LEN;
	EVP_MD_CTX_free(ctx);
	free(m);
	if (!ok)
		return -EIO;
	memcpy(blob, s->pub.hash, 4);
	for (int i = 0; i < 8; i++)
		blob[4 + i] = t >> (56 - 8 * i);
	b64_encode(blob, sizeof(blob), b64, sizeof(b64));
	n = snprintf(out, outlen, SIG_DASH "%s %s\n", s->pub.name, b64);
	return n < 0 || (size_t)n >= outlen ? -ENOSPC : n;
}
