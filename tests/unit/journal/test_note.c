// SPDX-License-Identifier: Apache-2.0
/* CRC32C, key files in the signed-note formats, and checkpoints as C2SP
 * signed notes: signatures verify, and any change to a note is refused. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tests/lib/tap.h"
#include "agent/journal/jinternal.h"
#include "agent/journal/journal.h"

static char tmpdir[] = "/tmp/sov-note-XXXXXX";

static void test_crc(void)
{
	uint8_t zeros[32] = { 0 }, buf[1000];
	uint32_t a, b;

	ASSERT_EQ(sovj_crc32c(0, "123456789", 9), 0xe3069283, "crc32c check value");
	ASSERT_EQ(sovj_crc32c(0, zeros, 32), 0x8a9136aa, "crc32c of 32 zero bytes (RFC 3720)");
	for (int i = 0; i < 1000; i++)
		buf[i] = i * 7;
	a = sovj_crc32c(0, buf, 1000);
	b = sovj_crc32c(sovj_crc32c(0, buf, 333), buf + 333, 667);
	ASSERT_EQ(a, b, "crc32c is incremental");
	{
		/* every length to 2000 at four alignments, random bytes and
		 * random initial crc: the three-stream loop agrees with the
		 * byte table */
		static unsigned char r[2100];
		int bad = 0;

		srand(14);
		for (size_t i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)rand();
		for (size_t len = 0; len <= 2000; len++)
			for (size_t al = 0; al < 4; al++) {
				uint32_t init = (uint32_t)rand();

				if (sovj_crc32c(init, r + al, len) != sovj_crc32c_sw(init, r + al, len))
					bad++;
			}
		ASSERT_EQ(bad, 0, "crc32c agrees with the byte table at every length to 2000");
	}
}

static void test_keys(void)
{
	char prefix[256], path[300], err[512], text[300];
	struct sov_signer s;
	struct sov_pubkey k;
	int n;

	snprintf(prefix, sizeof(prefix), "%s/k", tmpdir);
	ASSERT_OK(sov_journal_keygen(prefix, "sovd.test", err, sizeof(err)), "keygen");
	ASSERT_EQ(sov_journal_keygen(prefix, "sovd.test", err, sizeof(err)), -EEXIST,
		  "keygen refuses to overwrite");
	ASSERT_EQ(sov_journal_keygen("/nonexistent/dir/k", "bad name", err, sizeof(err)), -EINVAL,
		  "keygen refuses a key name with a space");
	snprintf(path, sizeof(path), "%s/default", tmpdir);
	if (ASSERT_OK(sov_journal_keygen(path, NULL, err, sizeof(err)), "keygen with the default name")) {
		strcat(path, ".pub");
		if (ASSERT_OK(sovj_pubkey_load(&k, path, err, sizeof(err)), "load it")) {
			ASSERT_TRUE(!strncmp(k.name, "sovd.", 5), "default name is sovd.<hostname>");
			sovj_pubkey_free(&k);
		}
	}
	snprintf(path, sizeof(path), "%s.key", prefix);
	{
		struct stat st;

		ASSERT_OK(stat(path, &st), "stat key");
		ASSERT_EQ(st.st_mode & 0777, 0600, "private key file is 0600");
	}
	if (!ASSERT_OK(sovj_signer_load(&s, path, err, sizeof(err)), "load private key"))
		return;
	snprintf(path, sizeof(path), "%s.pub", prefix);
	if (ASSERT_OK(sovj_pubkey_load(&k, path, err, sizeof(err)), "load public key")) {
		ASSERT_STREQ(k.name, "sovd.test", "key name");
		ASSERT_MEMEQ(k.pub, s.pub.pub, 32, "public key matches private key");
		n = sovj_pubkey_format(&k, text, sizeof(text));
		ASSERT_TRUE(n > 0 && !strncmp(text, "sovd.test+", 10), "public key format name+hash+b64");
		sovj_pubkey_free(&k);
	}
	/* The Go note package's published example key pair, as a fixed vector
	 * for the key hash and both text formats. */
	{
		const char *vk = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
		if (ASSERT_OK(sovj_pubkey_parse(&k, vk, strlen(vk), err, sizeof(err)),
			      "parse golang.org/x/mod/sumdb/note example verifier key")) {
			char re[200];

			sovj_pubkey_format(&k, re, sizeof(re));
			ASSERT_STREQ(re, vk, "example key round-trips");
			sovj_pubkey_free(&k);
		} else {
			printf("#   %s\n", err);
		}
	}
	snprintf(path, sizeof(path), "%s.key", prefix);
	chmod(path, 0640);
	sovj_signer_free(&s);
	ASSERT_EQ(sovj_signer_load(&s, path, err, sizeof(err)), -EPERM, "key readable by group refused");
	ASSERT_STRSTR(err, "chmod 600", "refusal says how to fix it");
	chmod(path, 0604);
	ASSERT_EQ(sovj_signer_load(&s, path, err, sizeof(err)), -EPERM, "key readable by others refused");
	chmod(path, 0400);
	if (ASSERT_OK(sovj_signer_load(&s, path, err, sizeof(err)), "key 0400 accepted"))
		sovj_signer_free(&s);
}

static void test_checkpoint(void)
{
	char prefix[256], path[300], err[512], note[CHECKPOINT_MAX], bad[CHECKPOINT_MAX];
	struct sov_signer s, other;
	struct checkpoint c = { .origin = "sovd.example/abc", .size = 12345 }, got;
	int n, rejected = 0, tries = 0;

	snprintf(prefix, sizeof(prefix), "%s/k", tmpdir);
	snprintf(path, sizeof(path), "%s.key", prefix);
	if (!ASSERT_OK(sovj_signer_load(&s, path, err, sizeof(err)), "load key"))
		return;
	for (int i = 0; i < SOV_HASH_LEN; i++)
		c.root[i] = i;
	n = sovj_checkpoint_sign(&s, &c, note, sizeof(note));
	ASSERT_TRUE(n > 0, "sign checkpoint");
	note[n] = 0;
	{
		static const char want[] = "sovd.example/abc\n12345\n"
			"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n\xe2\x80\x94 sovd.test ";

		ASSERT_TRUE(!strncmp(note, want, sizeof(want) - 1) && note[n - 1] == '\n' &&
			    n == (int)sizeof(want) - 1 + 92 + 1,
			    "checkpoint text: origin, size, base64 root, blank line, em-dash signature line");
	}
	ASSERT_OK(sovj_checkpoint_open(&s.pub, note, n, &got, err, sizeof(err)), "checkpoint verifies");
	ASSERT_EQ(got.size, 12345, "size parsed");
	ASSERT_STREQ(got.origin, "sovd.example/abc", "origin parsed");
	ASSERT_MEMEQ(got.root, c.root, SOV_HASH_LEN, "root parsed");
	/* Every single-bit change anywhere in the note is refused. */
	for (int i = 0; i < n; i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			memcpy(bad, note, n);
			bad[i] ^= 1 << bit;
			tries++;
			rejected += sovj_checkpoint_open(&s.pub, bad, n, &got, err, sizeof(err)) != 0;
		}
	}
	ASSERT_EQ(rejected, tries, "every bit flip in a checkpoint note is refused");
	ASSERT_TRUE(sovj_checkpoint_open(&s.pub, note, n - 1, &got, err, sizeof(err)) != 0,
		    "truncated note refused");
	{
		int sig = strstr(note, "\n\n") + 2 - note;

		memcpy(bad, note, n);
		memcpy(bad + n, note + sig, n - sig);
		ASSERT_TRUE(sovj_checkpoint_open(&s.pub, bad, n + n - sig, &got, err, sizeof(err)) != 0,
			    "note with a second signature line refused");
	}
	if (ASSERT_OK(sovj_signer_generate(&other, "sovd.test"), "generate another key of the same name")) {
		n = sovj_checkpoint_sign(&other, &c, note, sizeof(note));
		ASSERT_EQ(sovj_checkpoint_open(&s.pub, note, n, &got, err, sizeof(err)), -EKEYREJECTED,
			  "checkpoint signed by another key refused");
		ASSERT_STRSTR(err, "another key", "says it is another key");
		sovj_signer_free(&other);
	}
	sovj_signer_free(&s);
}

/* Signed-note key names: UTF-8 yes; no Unicode space, '+', control bytes. */
static void test_key_names(void)
{
	ASSERT_TRUE(!sovj_key_name_problem("sovd.example/0123abcd"), "ASCII name with '/' valid");
	ASSERT_TRUE(!sovj_key_name_problem("s\xc3\xb6vd.h\xc3\xb4st/\xe6\x97\xa5"),
		    "UTF-8 name valid (signed-note allows it)");
	ASSERT_STRSTR(sovj_key_name_problem("a b"), "space", "ASCII space refused");
	ASSERT_STRSTR(sovj_key_name_problem("a\xc2\xa0" "b"), "space", "U+00A0 refused as a space");
	ASSERT_STRSTR(sovj_key_name_problem("a\xe3\x80\x80" "b"), "space", "U+3000 refused as a space");
	ASSERT_STRSTR(sovj_key_name_problem("a+b"), "'+'", "'+' refused");
	ASSERT_STRSTR(sovj_key_name_problem(""), "empty", "empty name refused");
	ASSERT_STRSTR(sovj_key_name_problem("a\xff"), "UTF-8", "invalid UTF-8 refused");
	ASSERT_STRSTR(sovj_key_name_problem("a\xc0\xaf"), "UTF-8", "overlong UTF-8 refused");
	ASSERT_STRSTR(sovj_key_name_problem("a\xed\xa0\x80"), "UTF-8", "UTF-8 surrogate refused");
	ASSERT_STRSTR(sovj_key_name_problem("a\x01"), "control", "control byte refused");
}

/* cosignature/v1: a witness line verifies, unknown lines are ignored, a
 * flipped bit in a known witness's line is refused. */
static void test_cosign(void)
{
	char note[CHECKPOINT_MAX], line[256], err[512], one[CHECKPOINT_MAX];
	struct sov_signer log, w, w2;
	struct checkpoint c = { .origin = "sovd.example/abc", .size = 7 }, got;
	struct cosig cs[4];
	int n, l, l2, ncs, nign;
	size_t onelen;

	if (!ASSERT_OK(sovj_signer_generate(&log, "sovd.example/abc"), "log key") ||
	    !ASSERT_OK(sovj_signer_generate_alg(&w, "witness.example/w1", KEY_ALG_COSIG), "witness key") ||
	    !ASSERT_OK(sovj_signer_generate_alg(&w2, "witness.example/w2", KEY_ALG_COSIG), "witness 2"))
		return;
	ASSERT_TRUE(sovj_checkpoint_sign(&w, &c, note, sizeof(note)) < 0,
		    "a witness key does not sign checkpoints");
	n = sovj_checkpoint_sign(&log, &c, note, sizeof(note));
	l = sovj_cosign_line(&w, note, n, 1679315147, line, sizeof(line));
	ASSERT_TRUE(l > 0 && line[l - 1] == '\n' && !strncmp(line, "\xe2\x80\x94 witness.example/w1 ", 23),
		    "cosignature line: em dash, name, base64");
	ASSERT_EQ(l, 4 + 18 + 1 + 104 + 1, "76-byte blob: 104 base64 digits");
	memcpy(note + n, line, l);
	l2 = sovj_cosign_line(&w2, note, n, 1679315148, note + n + l, sizeof(note) - n - l);
	ASSERT_TRUE(l2 > 0, "second witness");
	ASSERT_OK(sovj_checkpoint_open_cosigned(&log.pub, &w.pub, 1, note, n + l + l2, &got, cs, 4,
						&ncs, &nign, one, &onelen, err, sizeof(err)),
		  "cosigned note opens with the log key and one witness");
	ASSERT_EQ(ncs, 1, "one valid cosignature");
	ASSERT_EQ(cs[0].time, 1679315147, "its time");
	ASSERT_EQ(nign, 1, "the other witness's line ignored (unknown key)");
	ASSERT_TRUE(onelen == (size_t)n && !memcmp(one, note, n), "log-only note is sovd's note");
	ASSERT_TRUE(sovj_checkpoint_open(&log.pub, note, n + l, &got, err, sizeof(err)) != 0,
		    "the strict reader still refuses the extra line (sovd's own notes)");
	for (int i = n + 23; i < n + l - 1; i += 7) {
		char bad[CHECKPOINT_MAX];

		memcpy(bad, note, n + l);
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		if (!ASSERT_TRUE(sovj_checkpoint_open_cosigned(&log.pub, &w.pub, 1, bad, n + l, &got,
							       cs, 4, &ncs, &nign, NULL, NULL, err,
							       sizeof(err)) != 0 || ncs == 0,
				 "a changed cosignature is refused (or, key id changed, not counted)"))
			break;
	}
	sovj_signer_free(&log);
	sovj_signer_free(&w);
	sovj_signer_free(&w2);
}

/* The worked example of docs/journal-format.md §7.1, computed there with
 * Python's cryptography package: the same bytes from this code. */
static void test_cosign_example(void)
{
	static const char key[] =
		"PRIVATE+KEY+witness.example/w1+20324abe+BCAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4/\n";
	static const char note[] = "sovd.example/0123456789abcdef0123456789abcdef\n2\n"
		"pZa+AzIDB2h6TRX9Sosre7JsAqNwAsHPXdQ/pXXCWHA=\n\n";
	static const char want[] = "\xe2\x80\x94 witness.example/w1 "
		"IDJKvgAAAABpVbkAOQWHXT+Z5NF8cfxd2kVhDsXnbqh+ceNxLhmB91/CUJd05zbOhZPezj0+toP32nQQK4OXLCHNZWG32ZO5GgaCCw==\n";
	char path[300], err[512], line[256], pub[256];
	struct sov_signer w;
	int fd, l;

	snprintf(path, sizeof(path), "%s/w1.key", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (!ASSERT_TRUE(fd >= 0 && write(fd, key, sizeof(key) - 1) == sizeof(key) - 1, "write key"))
		return;
	close(fd);
	if (!ASSERT_OK(sovj_signer_load(&w, path, err, sizeof(err)), "load the example witness key"))
		return;
	ASSERT_EQ(w.pub.alg, KEY_ALG_COSIG, "a witness key (type 0x04)");
	sovj_pubkey_format(&w.pub, pub, sizeof(pub));
	ASSERT_STREQ(pub, "witness.example/w1+20324abe+BCmsuuFBvMrwsi4alNNNC8c2HlJtC/4SyJeUvJMilm3X",
		     "its public key (vkey) as in the document");
	l = sovj_cosign_line(&w, note, sizeof(note) - 1, 1767225600, line, sizeof(line));
	ASSERT_TRUE(l == (int)sizeof(want) - 1 && !memcmp(line, want, l),
		    "the cosignature line of the worked example, byte for byte");
	sovj_signer_free(&w);
}

int main(void)
{
	char cmd[300];

	(void)tap__skipped;	/* tap.h declares it for TAP_SKIP users only */
	if (!ASSERT_TRUE(mkdtemp(tmpdir), "mkdtemp"))
		return tap_done();
	test_crc();
	test_keys();
	test_checkpoint();
	test_key_names();
	test_cosign();
	test_cosign_example();
	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx %s; rm -rf %s", tmpdir, tmpdir);
	if (system(cmd))
		printf("# failed to remove %s\n", tmpdir);
	return tap_done();
}
