/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the policy unit tests: fixtures, substitution, diagnostics. */
#ifndef SOV_TESTS_POLICY_HELPERS_H
#define SOV_TESTS_POLICY_HELPERS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

/* The repository root: $SOV_TOP (set by tools/run-tests) or the cwd. */
static inline const char *top_dir(void)
{
	const char *t = getenv("SOV_TOP");

	return t && *t ? t : ".";
}

static inline char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		size_t r;

		if (n + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = (n + 4096 + 1) * 2);

			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Replaces every occurrence of key in s by val; returns a new string. */
static inline char *subst(const char *s, const char *key, const char *val)
{
	size_t kl = strlen(key), vl = strlen(val), n = 0;
	const char *p;
	char *out, *o;

	for (p = s; (p = strstr(p, key)); p += kl)
		n++;
	out = malloc(strlen(s) + n * (vl >= kl ? vl - kl : 0) + 1);
	if (!out)
		return NULL;
	for (o = out, p = s; *p;) {
		if (!strncmp(p, key, kl)) {
			memcpy(o, val, vl);
			o += vl;
			p += kl;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

/* Diagnostics as printed, for messages of failed assertions. */
static inline void dump_diags(const struct sov_diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		printf("#   %s %s:%d:%d %s\n",
		       d->v[i].level == SOV_DIAG_ERROR ? "error" : "warning",
		       d->v[i].file ? d->v[i].file : "-", d->v[i].line,
		       d->v[i].column, d->v[i].msg);
}

/* Compiles a fixture with @DATA@ replaced by the test data directory. */
static inline int compile_fixture(const char *path, struct sov_policy_image **img,
				  struct sov_diags *d)
{
	char data[4096], *raw, *text;
	size_t len;
	int err;

	snprintf(data, sizeof(data), "%s/tests/data/policy", top_dir());
	raw = read_all(path, &len);
	if (!raw)
		return -errno;
	text = subst(raw, "@DATA@", data);
	free(raw);
	if (!text)
		return -ENOMEM;
	err = sov_policy_compile_buffer(path, text, strlen(text), NULL, img, d);
	free(text);
	return err;
}

#endif
