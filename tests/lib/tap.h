/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Minimal TAP producer for the unit tests. Each ASSERT_* prints one "ok" or
 * "not ok" line and, on failure, what it expected and what it got. They
 * return true on success so they can be used as
 *	if (!ASSERT_OK(err, "load")) goto out;
 * Call tap_done() at the end of main(): it prints the plan and returns the
 * exit status.
 */
#ifndef SOV_TESTS_TAP_H
#define SOV_TESTS_TAP_H

#include <stdio.h>
#include <string.h>
#include <stdint.h>

static int tap__n, tap__failed, tap__skipped __attribute__((unused));

static inline int tap__report(int ok, const char *name, const char *file, int line)
{
	tap__n++;
	if (!ok)
		tap__failed++;
	printf("%sok %d - %s\n", ok ? "" : "not ", tap__n, name);
	if (!ok)
		printf("#   at %s:%d\n", file, line);
	fflush(stdout);
	return ok;
}

#define ASSERT_TRUE(cond, name) ({ \
	int ___ok = !!(cond); \
	tap__report(___ok, name, __FILE__, __LINE__) || \
		(printf("#   expected true: %s\n", #cond), 0); })

#define ASSERT_OK(err, name) ({ \
	long long ___e = (long long)(err); \
	tap__report(___e == 0, name, __FILE__, __LINE__) || \
		(printf("#   expected 0, got %lld\n", ___e), 0); })

#define ASSERT_EQ(got, want, name) ({ \
	long long ___g = (long long)(got), ___w = (long long)(want); \
	tap__report(___g == ___w, name, __FILE__, __LINE__) || \
		(printf("#   expected %lld, got %lld\n", ___w, ___g), 0); })

#define ASSERT_NEQ(got, notwant, name) ({ \
	long long ___g = (long long)(got), ___w = (long long)(notwant); \
	tap__report(___g != ___w, name, __FILE__, __LINE__) || \
		(printf("#   expected not %lld, got %lld\n", ___w, ___g), 0); })

#define ASSERT_STREQ(got, want, name) ({ \
	const char *___g = (got), *___w = (want); \
	int ___ok = ___g && ___w && strcmp(___g, ___w) == 0; \
	tap__report(___ok, name, __FILE__, __LINE__) || \
		(printf("#   expected \"%s\", got \"%s\"\n", ___w ? ___w : "(null)", \
			___g ? ___g : "(null)"), 0); })

#define ASSERT_STRSTR(hay, needle, name) ({ \
	const char *___h = (hay), *___n = (needle); \
	int ___ok = ___h && ___n && strstr(___h, ___n) != NULL; \
	tap__report(___ok, name, __FILE__, __LINE__) || \
		(printf("#   expected to contain \"%s\", got \"%s\"\n", ___n, \
			___h ? ___h : "(null)"), 0); })

#define ASSERT_MEMEQ(got, want, len, name) ({ \
	int ___ok = memcmp((got), (want), (len)) == 0; \
	tap__report(___ok, name, __FILE__, __LINE__) || \
		(printf("#   memory differs (%zu bytes)\n", (size_t)(len)), 0); })

/* A skip is reported with its reason and counted by prove. */
#define TAP_SKIP(name, reason) do { \
	tap__n++; tap__skipped++; \
	printf("ok %d - %s # SKIP %s\n", tap__n, name, reason); \
} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap__n);
	return tap__failed ? 1 : 0;
}

#endif
