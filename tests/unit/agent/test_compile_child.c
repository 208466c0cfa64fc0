// SPDX-License-Identifier: Apache-2.0
/*
 * sovd's compile in a child (agent/compile_child.c): the scenario policy
 * with `countries: [EU]` (when the location database is on the machine,
 * else without it, the skip saying why) compiles in the child to exactly
 * the image of an in-process compile (same packed bytes, JSON and return
 * code) while this process's peak RSS barely moves; an invalid policy
 * gives the same diagnostics and -EINVAL; a child that crashes, is killed
 * or exits early is -ECHILD with its reason and no image; the wait
 * callback runs while the child works.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/compile_child.h"
#include "policy/policy.h"
#include "policy/zsrc.h"
#include "tests/lib/tap.h"

static char dir[] = "/tmp/sovt-compile-child-XXXXXX";

static const char scenario[] =
	"version: 1\n"
	"mode: enforce\n"
	"zones:\n"
	"  eu:\n"
	"%s"
	"    cidrs: [10.10.0.0/16, \"fd00:10::/32\"]\n"
	"  us:\n"
	"    cidrs: [10.20.0.0/16, \"fd00:20::/32\"]\n"
	"  local:\n"
	"    cidrs: [127.0.0.0/8, \"::1/128\"]\n"
	"classes:\n"
	"  pii-eu:\n"
	"    paths: [\"%s/pii\"]\n"
	"    allow: [eu, local]\n"
	"    action: block\n"
	"  audited:\n"
	"    paths: [\"%s/aud\"]\n"
	"    allow: [eu]\n"
	"    action: audit\n";

static long hwm_kib(void)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

static char *diags_text(const struct sov_diags *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	sov_diags_print(d, f);
	fclose(f);
	return buf;
}

static char *json(const struct sov_policy_image *img)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (img && sov_policy_write_json(img, f)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	return buf;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) ? -errno : 0;
}

static int waits;

static void count_wait(void *ctx)
{
	(void)ctx;
	waits++;
}

/* The child compiles path; so does this process; the results must agree. */
static void compare(const char *name, const char *path, int want_rc, int measure)
{
	struct sov_policy_image *a = NULL, *b = NULL;
	struct sov_diags da, db;
	void *pa = NULL, *pb = NULL;
	size_t na = 0, nb = 0;
	char what[256], why[256], *ta, *tb;
	struct timespec t0, t1, t2;
	long h0, h1, h2;
	int ra, rb;

	sov_diags_init(&da);
	sov_diags_init(&db);
	/* the child first: this process's peak is still that of the test */
	h0 = hwm_kib();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rb = compile_child_policy(path, NULL, &b, &db, count_wait, NULL, why, sizeof(why));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	h1 = hwm_kib();
	ra = sov_policy_compile_file(path, NULL, &a, &da);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	h2 = hwm_kib();
	snprintf(what, sizeof(what), "%s: in-process return code", name);
	ASSERT_EQ(ra, want_rc, what);
	snprintf(what, sizeof(what), "%s: the child's return code is the same", name);
	if (!ASSERT_EQ(rb, ra, what))
		printf("#   child: %s\n", why);
	snprintf(what, sizeof(what), "%s: no reason for a child that worked", name);
	ASSERT_STREQ(why, "", what);
	ta = diags_text(&da);
	tb = diags_text(&db);
	snprintf(what, sizeof(what), "%s: the same diagnostics", name);
	ASSERT_STREQ(tb, ta, what);
	free(ta);
	free(tb);
	snprintf(what, sizeof(what), "%s: an image from both or neither", name);
	ASSERT_EQ(a != NULL, b != NULL, what);
	if (a && b) {
		snprintf(what, sizeof(what), "%s: the same packed bytes", name);
		if (ASSERT_OK(sov_policy_pack(ra, a, &da, &pa, &na) ||
			      sov_policy_pack(rb, b, &db, &pb, &nb), "pack both"))
			ASSERT_TRUE(na == nb && !memcmp(pa, pb, na), what);
		if (measure)
			printf("# packed image: %zu bytes (%zu IPv4 and %zu IPv6 entries)\n", na,
			       a->n_v4, a->n_v6);
		ta = json(a);
		tb = json(b);
		snprintf(what, sizeof(what), "%s: the same JSON image", name);
		ASSERT_TRUE(ta && tb && !strcmp(ta, tb), what);
		free(ta);
		free(tb);
	}
	if (measure) {
		/* The point of the child: its peak is not ours. Only a bound
		 * far from both sides (the in-process compile adds tens of
		 * MiB here), not a performance figure. */
		printf("# wall: %.3f s in the child, %.3f s in-process (a report, not a test)\n",
		       t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9,
		       t2.tv_sec - t1.tv_sec + (t2.tv_nsec - t1.tv_nsec) / 1e9);
		printf("# VmHWM %ld kB, after the child's compile %ld kB, after the in-process compile %ld kB\n",
		       h0, h1, h2);
		snprintf(what, sizeof(what), "%s: the child's compile leaves this process's peak within 8 MiB", name);
		ASSERT_TRUE(h1 - h0 < 8 * 1024, what);
		snprintf(what, sizeof(what), "%s: (the in-process compile raises it by more than 16 MiB)", name);
		ASSERT_TRUE(h2 - h1 > 16 * 1024, what);
	}
	sov_policy_free(a);
	sov_policy_free(b);
	sov_diags_free(&da);
	sov_diags_free(&db);
	free(pa);
	free(pb);
}

static void test_scenario(void)
{
	char path[sizeof(dir) + 32], text[4096];
	int locdb = access(ZSRC_LOCDB_DEFAULT, R_OK) == 0;

	snprintf(path, sizeof(path), "%s/policy.yaml", dir);
	snprintf(text, sizeof(text), scenario, "", dir, dir);
	ASSERT_OK(write_file(path, text), "write the scenario policy");
	compare("scenario", path, 0, 0);
	if (!locdb) {
		TAP_SKIP("scenario with countries: [EU]", "no location database at " ZSRC_LOCDB_DEFAULT);
		return;
	}
	snprintf(path, sizeof(path), "%s/policy-eu.yaml", dir);
	snprintf(text, sizeof(text), scenario, "    countries: [EU]\n", dir, dir);
	ASSERT_OK(write_file(path, text), "write the scenario policy with countries");
	waits = 0;
	compare("scenario with countries: [EU]", path, 0, 1);
	ASSERT_TRUE(waits > 0, "the wait callback ran while the child walked the database");
}

static void test_invalid(void)
{
	char path[sizeof(dir) + 32];

	snprintf(path, sizeof(path), "%s/bad.yaml", dir);
	ASSERT_OK(write_file(path, "version: 1\nzones:\n  a:\n    cidrs: [10.0.0.0/33]\n"
			     "classes:\n  c:\n    paths: [relative]\n    allow: [nowhere]\n"),
		  "write an invalid policy");
	compare("invalid", path, -EINVAL, 0);
	snprintf(path, sizeof(path), "%s/missing.yaml", dir);
	compare("missing file", path, -ENOENT, 0);
}

static int crash(void *ctx, struct sov_policy_image **img, struct sov_diags *d)
{
	(void)img;
	(void)d;
	raise(*(int *)ctx);
	pause();
	return 0;
}

static int quit(void *ctx, struct sov_policy_image **img, struct sov_diags *d)
{
	(void)ctx;
	(void)img;
	sov_diags_add(d, SOV_DIAG_ERROR, NULL, 0, 0, "never seen");
	_exit(7);
}

/* Works for 300 ms, then fails as an invalid policy would. */
static int slow(void *ctx, struct sov_policy_image **img, struct sov_diags *d)
{
	(void)ctx;
	(void)img;
	(void)d;
	usleep(300 * 1000);
	return -EINVAL;
}

static void test_failures(void)
{
	struct sov_policy_image *img = (void *)1;
	struct sov_diags d;
	char why[256];
	int sig, err;

	sov_diags_init(&d);
	sig = SIGSEGV;
	err = compile_child_run(crash, &sig, &img, &d, NULL, NULL, why, sizeof(why));
	ASSERT_EQ(err, -ECHILD, "a crashing child is -ECHILD");
	ASSERT_TRUE(img == NULL, "a crashing child gives no image");
	ASSERT_STRSTR(why, "killed by signal 11 (Segmentation fault)", "a crashing child: its signal");
	ASSERT_EQ(d.n, 0, "a crashing child adds no diagnostics");

	sig = SIGKILL;
	err = compile_child_run(crash, &sig, &img, &d, NULL, NULL, why, sizeof(why));
	ASSERT_EQ(err, -ECHILD, "a killed child is -ECHILD");
	ASSERT_STRSTR(why, "killed by signal 9", "a killed child: its signal");

	err = compile_child_run(quit, NULL, &img, &d, NULL, NULL, why, sizeof(why));
	ASSERT_EQ(err, -ECHILD, "a child that exits without a result is -ECHILD");
	ASSERT_STRSTR(why, "exited with status 7", "a child that exits early: its status");
	ASSERT_EQ(d.n, 0, "a child that exits early adds no diagnostics");

	waits = 0;
	err = compile_child_run(slow, NULL, &img, &d, count_wait, NULL, why, sizeof(why));
	ASSERT_EQ(err, -EINVAL, "the child's return code comes back");
	ASSERT_STREQ(why, "", "no reason when the child worked");
	ASSERT_TRUE(waits >= 3, "the wait callback runs every 50 ms while the child works");
	sov_diags_free(&d);
}

int main(void)
{
	char cmd[256];

	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/pii' '%s/aud'", dir, dir);
	if (system(cmd))
		printf("# failed to create the class directories\n");
	test_scenario();
	test_invalid();
	test_failures();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		printf("# failed to remove %s\n", dir);
	return tap_done();
}
