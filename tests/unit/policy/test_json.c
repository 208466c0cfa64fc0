// SPDX-License-Identifier: Apache-2.0
/*
 * The JSON image (docs/policy.md): key order, values, and that
 * `sovctl policy compile -o json` prints exactly the library's document.
 * Also sovctl's policy and zone commands: output and exit status.
 */
#include <json-c/json.h>
#include <limits.h>
#include <sys/wait.h>

#include "tests/lib/tap.h"
#include "tests/unit/policy/helpers.h"

static char demo[PATH_MAX + 64];

static char *image_json(const struct sov_policy_image *img)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (sov_policy_write_json(img, f)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	return buf;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

static long long jint(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return -1;
	return json_object_get_int64(v);
}

static json_object *jget(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (o)
		json_object_object_get_ex(o, key, &v);
	return v;
}

static json_object *jidx(json_object *a, size_t i)
{
	if (!a || !json_object_is_type(a, json_type_array) || i >= json_object_array_length(a))
		return NULL;
	return json_object_array_get_idx(a, i);
}

static void check_library_json(const struct sov_policy_image *img, const char *text)
{
	static const char *const order[] = {
		"format", "path", "includes", "sha256", "mode", "scope", "classes", "zones",
		"block_classes", "derive_classes", "channels", "v4", "v6", "sources", "locdb",
		"counts", "kernel_memory_bytes",
	};
	json_object *root = json_tokener_parse(text), *c, *z;
	char keys[512] = "", want[512] = "";
	size_t i;

	if (!ASSERT_TRUE(root != NULL, "json: parses"))
		return;
	json_object_object_foreach(root, k, v) {
		(void)v;
		strncat(keys, k, sizeof(keys) - strlen(keys) - 2);
		strcat(keys, ",");
	}
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		strcat(want, order[i]);
		strcat(want, ",");
	}
	ASSERT_STREQ(keys, want, "json: top-level keys in documented order");
	ASSERT_EQ(jint(root, "format"), 1, "json: format 1");
	ASSERT_STREQ(jstr(root, "sha256"), img->sha256_hex, "json: sha256");
	ASSERT_STREQ(jstr(root, "mode"), "enforce", "json: mode");
	ASSERT_STREQ(json_object_get_string(jidx(jget(jget(root, "scope"), "cgroups"), 0)), "/",
		     "json: scope.cgroups[0]");
	c = jidx(jget(root, "classes"), 1);
	ASSERT_STREQ(jstr(c, "name"), "weights-restricted", "json: classes[1].name");
	ASSERT_EQ(jint(c, "bit"), 1, "json: classes[1].bit");
	ASSERT_STREQ(jstr(c, "mask"), "0x0000000000000002", "json: classes[1].mask");
	ASSERT_STREQ(jstr(c, "action"), "audit", "json: classes[1].action");
	ASSERT_EQ(json_object_get_boolean(jget(c, "derive")), 0, "json: classes[1].derive");
	ASSERT_STREQ(json_object_get_string(jidx(jget(c, "allow"), 0)), "eu", "json: classes[1].allow");
	ASSERT_STREQ(json_object_get_string(jidx(jget(c, "paths"), 0)), "/srv/sovd-demo/weights",
		     "json: classes[1].paths");
	z = jidx(jget(root, "zones"), 1);
	ASSERT_STREQ(jstr(z, "name"), "eu", "json: zones[1].name");
	ASSERT_EQ(jint(z, "id"), 1, "json: zones[1].id");
	ASSERT_STREQ(jstr(z, "allowed"), "0x0000000000000003", "json: zones[1].allowed");
	ASSERT_STREQ(json_object_get_string(jidx(jget(z, "allowed_classes"), 1)),
		     "weights-restricted", "json: zones[1].allowed_classes");
	ASSERT_EQ(jint(z, "v4_prefixes"), 1, "json: zones[1].v4_prefixes");
	ASSERT_STREQ(jstr(jidx(jget(root, "zones"), 0), "name"), "unknown", "json: zones[0] is unknown");
	ASSERT_STREQ(jstr(root, "block_classes"), "0x0000000000000001", "json: block_classes");
	ASSERT_EQ(json_object_array_length(jget(c, "channels")), 0,
		  "json: classes[1].channels: none allowed (no channels: key)");
	ASSERT_EQ(json_object_array_length(jget(root, "channels")), 6, "json: 6 channels");
	z = jidx(jget(root, "channels"), 1);
	ASSERT_STREQ(jstr(z, "name"), "ping", "json: channels[1] is ping");
	ASSERT_EQ(jint(z, "id"), 2, "json: channels[1].id is SOV_CHAN_PING");
	ASSERT_STREQ(jstr(z, "allowed"), "0x0000000000000000", "json: channels[1].allowed");
	ASSERT_EQ(json_object_array_length(jget(z, "allowed_classes")), 0,
		  "json: channels[1].allowed_classes");
	ASSERT_STREQ(jstr(jidx(jget(root, "channels"), 5), "name"), "rdma", "json: channels[5] is rdma");
	ASSERT_EQ(json_object_array_length(jget(root, "v4")), 3, "json: 3 v4 entries");
	ASSERT_STREQ(jstr(jidx(jget(root, "v4"), 1), "prefix"), "10.20.0.0/16", "json: v4[1].prefix");
	ASSERT_STREQ(jstr(jidx(jget(root, "v4"), 1), "zone"), "us", "json: v4[1].zone");
	ASSERT_EQ(jint(jidx(jget(root, "v6"), 0), "zone_id"), 3, "json: v6[0] (::1) is local");
	ASSERT_STREQ(jstr(jidx(jget(root, "v6"), 1), "prefix"), "fd00:10::/32", "json: v6[1].prefix");
	ASSERT_EQ(json_object_array_length(jget(root, "sources")), 0, "json: no sources");
	ASSERT_TRUE(jget(root, "locdb") == NULL, "json: locdb null");
	ASSERT_EQ(jint(jget(root, "counts"), "v6"), 3, "json: counts.v6");
	ASSERT_EQ(jint(jget(root, "counts"), "zones"), 4, "json: counts.zones");
	ASSERT_TRUE(jint(jget(root, "kernel_memory_bytes"), "total") > 0, "json: memory estimate");
	json_object_put(root);
}

/* Runs a shell command; returns its exit status and its stdout (and stderr). */
static int run(const char *cmd, char **out)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *p = popen(cmd, "r"), *o;
	int st, ch;

	*out = NULL;
	if (!p)
		return -1;
	o = open_memstream(&buf, &len);
	if (!o) {
		pclose(p);
		return -1;
	}
	while ((ch = fgetc(p)) != EOF)
		fputc(ch, o);
	fclose(o);
	st = pclose(p);
	*out = buf;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void check_sovctl(const char *lib_json)
{
	const char *build = getenv("SOV_BUILD");
	char sovctl[PATH_MAX], cmd[4 * PATH_MAX + 1024], bad[PATH_MAX + 64];
	char *out = NULL;
	int rc;

	if (!build || !*build)
		build = "build";
	snprintf(sovctl, sizeof(sovctl), "%s/sovctl", build);
	if (access(sovctl, X_OK)) {
		TAP_SKIP("sovctl checks", "sovctl is not built");
		return;
	}
	snprintf(bad, sizeof(bad), "%s/tests/data/policy/bad/class-alow.yaml", top_dir());

	snprintf(cmd, sizeof(cmd), "'%s' policy compile '%s' -o json 2>/dev/null", sovctl, demo);
	rc = run(cmd, &out);
	ASSERT_EQ(rc, 0, "sovctl policy compile -o json: exit 0");
	ASSERT_STREQ(out, lib_json, "sovctl policy compile -o json: the library's document");
	free(out);

	snprintf(cmd, sizeof(cmd), "'%s' policy compile -o text '%s' 2>/dev/null", sovctl, demo);
	rc = run(cmd, &out);
	ASSERT_EQ(rc, 0, "sovctl policy compile -o text: exit 0");
	ASSERT_STRSTR(out, "bit 1  weights-restricted", "sovctl policy compile -o text: classes");
	free(out);

	snprintf(cmd, sizeof(cmd), "'%s' policy check '%s' 2>&1", sovctl, demo);
	rc = run(cmd, &out);
	ASSERT_EQ(rc, 0, "sovctl policy check good: exit 0");
	ASSERT_STRSTR(out, "ok (2 classes, 3 zones", "sovctl policy check good: summary");
	free(out);

	snprintf(cmd, sizeof(cmd), "'%s' policy check '%s' '%s' 2>&1", sovctl, demo, bad);
	rc = run(cmd, &out);
	ASSERT_EQ(rc, 1, "sovctl policy check bad: exit 1");
	snprintf(cmd, sizeof(cmd), "%s:7:5: error: unknown key 'alow' in class 'pii-eu' (did you mean 'allow'?)", bad);
	ASSERT_STRSTR(out, cmd, "sovctl policy check bad: FILE:LINE:COL: error: message");
	snprintf(cmd, sizeof(cmd), "%s:5:3: error: class 'pii-eu' needs 'allow'", bad);
	ASSERT_STRSTR(out, cmd, "sovctl policy check bad: the second error too");
	free(out);

	snprintf(cmd, sizeof(cmd), "'%s' policy check /nonexistent/sovd.yaml 2>&1", sovctl);
	rc = run(cmd, &out);
	ASSERT_EQ(rc, 1, "sovctl policy check missing file: exit 1");
	ASSERT_STRSTR(out, "/nonexistent/sovd.yaml: error: failed to open policy",
		      "sovctl policy check missing file: message");
	free(out);

	snprintf(cmd, sizeof(cmd), "'%s' policy compile '%s' -o yaml 2>&1", sovctl, demo);
	rc = run(cmd, &out);
	ASSERT_EQ(rc, 2, "sovctl policy compile -o yaml: exit 2");
	free(out);

	snprintf(cmd, sizeof(cmd), "'%s' policy check 2>&1", sovctl);
	rc = run(cmd, &out);
	ASSERT_EQ(rc, 2, "sovctl policy check without FILE: exit 2");
	free(out);

	snprintf(cmd, sizeof(cmd),
		 "'%s' zone lookup --policy '%s' 10.10.1.1 ::ffff:10.20.0.1 fd00:10::1 ::1 192.0.2.1 2>&1",
		 sovctl, demo);
	rc = run(cmd, &out);
	ASSERT_EQ(rc, 0, "sovctl zone lookup: exit 0");
	ASSERT_STREQ(out, "10.10.1.1 eu\n::ffff:10.20.0.1 us\nfd00:10::1 eu\n::1 local\n192.0.2.1 unknown\n",
		     "sovctl zone lookup: ADDR ZONE per line");
	free(out);

	snprintf(cmd, sizeof(cmd), "'%s' zone lookup --policy '%s' 10.10.1.1 10.10.1.300 2>&1",
		 sovctl, demo);
	rc = run(cmd, &out);
	ASSERT_EQ(rc, 2, "sovctl zone lookup bad address: exit 2");
	ASSERT_STRSTR(out, "'10.10.1.300' is not an IPv4 or IPv6 address",
		      "sovctl zone lookup bad address: message");
	free(out);

	snprintf(cmd, sizeof(cmd), "'%s' zone lookup --policy '%s' 10.0.0.1 2>&1", sovctl, bad);
	rc = run(cmd, &out);
	ASSERT_EQ(rc, 1, "sovctl zone lookup invalid policy: exit 1");
	free(out);
}

int main(void)
{
	struct sov_policy_image *img = NULL;
	struct sov_diags d;
	char *text = NULL;
	int err;

	snprintf(demo, sizeof(demo), "%s/policy/examples/demo.yaml", top_dir());
	sov_diags_init(&d);
	err = sov_policy_compile_file(demo, NULL, &img, &d);
	if (!ASSERT_OK(err, "demo compiles")) {
		dump_diags(&d);
		goto cleanup;
	}
	text = image_json(img);
	if (!ASSERT_TRUE(text != NULL, "write the JSON image"))
		goto cleanup;
	check_library_json(img, text);
	check_sovctl(text);
cleanup:
	free(text);
	sov_policy_free(img);
	sov_diags_free(&d);
	return tap_done();
}
