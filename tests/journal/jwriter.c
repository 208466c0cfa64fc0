// SPDX-License-Identifier: Apache-2.0
/*
 * Test writer: appends records through libsovjournal the way sovd does, so
 * the tamper, crash and full-disk tests exercise the real writer.
 *   jwriter --dir D --key K [--count N | --forever] [--host-id H] [--boot-id B]
 *           [--origin O] [--segment-max BYTES] [--compress] [--ckpt-records N]
 *           [--ckpt-ms MS] [--heartbeat-ms MS] [--time-base NS] [--step-ns NS]
 *           [--tick-every N] [--sleep-us US] [--detail TEXT]
 *           [--retain-bytes N] [--retain-age-ns NS] [--retain-force]
 *   jwriter --dir D --key K --records FILE [--time-base NS] [--step-ns NS]
 * --detail writes minimal "agent" records carrying TEXT (the worked example
 * in docs/journal-format.md); otherwise records look like taint/egress events.
 * --records writes the records FILE gives, one JSON object a line with the
 * fields of struct sov_record by their journal names (type, pid, uid, comm,
 * exe, cgroup, path, dev, ino, classes, dst, dport, proto, zone, verdict,
 * violated, hook, detail: a string, or an object written as its text), an
 * actor always, an object with "path", a destination with "verdict"
 * (tests/sovctl/lineage.t).
 * --retain-*: after writing, prune as sovd --retain does (sov_journal_prune
 * by size or by segment age), and print what was pruned.
 * Exit: 0 done, 1 the journal failed (fail closed), 2 usage or open error.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include "agent/journal/journal.h"

static void logcb(int level, const char *msg, void *ctx)
{
	(void)ctx;
	fprintf(stderr, "jwriter: %s: %s\n",
		level == SOV_JLOG_ERR ? "error" : level == SOV_JLOG_WARN ? "warning" : "info", msg);
}

static const char *str_of(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v))
		return NULL;
	if (json_object_is_type(v, json_type_object))
		return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
						      JSON_C_TO_STRING_NOSLASHESCAPE);
	return json_object_get_string(v);
}

static uint32_t strs_of(struct json_object *o, const char *k, const char **out, uint32_t max)
{
	struct json_object *v;
	uint32_t n = 0;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(v) && n < max; i++)
		out[n++] = json_object_get_string(json_object_array_get_idx(v, i));
	return n;
}

/* --records FILE: each line one record (above). */
static int write_records(struct sov_journal *j, const char *file, uint64_t time_base,
			 uint64_t step)
{
	char line[65536];
	FILE *f = fopen(file, "re");
	uint64_t i = 0;
	int ret = 0;

	if (!f) {
		fprintf(stderr, "jwriter: %s: %s\n", file, strerror(errno));
		return 2;
	}
	while (!ret && fgets(line, sizeof(line), f)) {
		struct json_object *o = json_tokener_parse(line);
		const char *classes[64], *violated[64];
		struct sov_record r = { .has = SOV_HAS_ACTOR };

		if (!o) {
			fprintf(stderr, "jwriter: %s: line %llu is not JSON\n", file,
				(unsigned long long)i + 1);
			ret = 2;
			break;
		}
		r.type = str_of(o, "type");
		r.pid = json_object_get_int(json_object_object_get(o, "pid"));
		r.uid = json_object_get_int(json_object_object_get(o, "uid"));
		r.comm = str_of(o, "comm");
		r.exe = str_of(o, "exe");
		r.cgroup = str_of(o, "cgroup");
		r.nclasses = strs_of(o, "classes", classes, 64);
		r.classes = classes;
		if (json_object_object_get(o, "path")) {
			r.has |= SOV_HAS_OBJECT;
			r.path = str_of(o, "path");
			r.dev = json_object_get_uint64(json_object_object_get(o, "dev"));
			r.ino = json_object_get_uint64(json_object_object_get(o, "ino"));
		}
		if (json_object_object_get(o, "verdict")) {
			r.has |= SOV_HAS_DEST;
			r.dst = str_of(o, "dst");
			r.dport = (uint16_t)json_object_get_int(json_object_object_get(o, "dport"));
			r.proto = str_of(o, "proto");
			r.zone = str_of(o, "zone");
			r.verdict = str_of(o, "verdict");
			r.hook = str_of(o, "hook");
			r.nviolated = strs_of(o, "violated", violated, 64);
			r.violated = violated;
		}
		r.detail = str_of(o, "detail");
		if (time_base) {
			r.wall_ns = time_base + i * step;
			r.boot_ns = 1000000000ull + i * step;
		}
		ret = sov_journal_append(j, &r) ? 1 : 0;
		if (ret)
			fprintf(stderr, "jwriter: line %llu: the journal refused it\n",
				(unsigned long long)i + 1);
		json_object_put(o);
		i++;
	}
	fclose(f);
	return ret;
}

int main(int argc, char **argv)
{
	struct sov_journal_opts o = { .log = logcb };
	const char *detail = NULL, *records = NULL;
	uint64_t count = 100, time_base = 0, step = 1000, tick_every = 1000, sleep_us = 0;
	int forever = 0, ret;
	struct sov_prune_opts po = { 0 };
	struct sov_journal *j;
	const char *classes[] = { "pii-eu", "health-de" };
	const char *violated[] = { "pii-eu" };

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--forever")) { forever = 1; continue; }
		if (!strcmp(a, "--compress")) { o.compress_sealed = 1; continue; }
		if (!strcmp(a, "--retain-force")) { po.force = 1; continue; }
		if (!v) {
			fprintf(stderr, "jwriter: %s needs a value\n", a);
			return 2;
		}
		i++;
		if (!strcmp(a, "--dir")) o.dir = v;
		else if (!strcmp(a, "--key")) o.key_path = v;
		else if (!strcmp(a, "--count")) count = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--host-id")) o.host_id = v;
		else if (!strcmp(a, "--boot-id")) o.boot_id = v;
		else if (!strcmp(a, "--origin")) o.origin = v;
		else if (!strcmp(a, "--agent-version")) o.agent_version = v;
		else if (!strcmp(a, "--segment-max")) o.segment_max_bytes = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--ckpt-records")) o.checkpoint_every_records = strtoul(v, NULL, 0);
		else if (!strcmp(a, "--ckpt-ms")) o.checkpoint_interval_ms = strtoul(v, NULL, 0);
		else if (!strcmp(a, "--heartbeat-ms")) o.heartbeat_interval_ms = strtoul(v, NULL, 0);
		else if (!strcmp(a, "--time-base")) time_base = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--step-ns")) step = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--tick-every")) tick_every = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--sleep-us")) sleep_us = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--detail")) detail = v;
		else if (!strcmp(a, "--records")) records = v;
		else if (!strcmp(a, "--retain-bytes")) po.max_bytes = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--retain-age-ns")) po.sealed_before_ns = strtoll(v, NULL, 0);
		else {
			fprintf(stderr, "jwriter: unknown option %s\n", a);
			return 2;
		}
	}
	if (!o.dir || !o.key_path || !tick_every) {
		fprintf(stderr, "jwriter: --dir and --key are required\n");
		return 2;
	}
	ret = sov_journal_open(&j, &o);
	if (ret) {
		fprintf(stderr, "jwriter: failed to open journal: %s\n", strerror(-ret));
		return 2;
	}
	if (records) {
		ret = write_records(j, records, time_base, step);
		if (sov_journal_close(j) && !ret)
			ret = 1;
		return ret;
	}
	for (uint64_t i = 0; forever || i < count; i++) {
		char path[64], dst[32];
		struct sov_record r = {
			.type = i % 3 ? SOV_REC_EGRESS : SOV_REC_TAINT,
			.has = SOV_HAS_ACTOR | (i % 3 ? SOV_HAS_DEST : SOV_HAS_OBJECT),
			.pid = 1000 + i % 50, .uid = 1000, .comm = "trainer",
			.exe = "/usr/bin/python3", .cgroup = "/system.slice/job.service",
			.dev = 2049, .ino = 100000 + i, .path = path,
			.classes = classes, .nclasses = 1 + i % 2,
			.dst = dst, .dport = 443, .proto = "tcp", .zone = i % 2 ? "us" : "eu",
			.verdict = i % 3 ? (i % 2 ? "deny" : "allow") : NULL,
			.violated = i % 2 ? violated : NULL, .nviolated = i % 2 && i % 3,
			.policy_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			.jdata = "libloc-2026-11-20",
		};

		if (detail)
			r = (struct sov_record){ .type = SOV_REC_AGENT, .detail = detail };
		if (time_base) {
			r.wall_ns = time_base + i * step;
			r.boot_ns = 1000000000ull + i * step;
		}
		snprintf(path, sizeof(path), "/srv/data/customers/part-%05llu.parquet",
			 (unsigned long long)(i % 100000));
		snprintf(dst, sizeof(dst), "10.%u.%u.%u", i % 2 ? 20 : 10,
			 (unsigned)(i >> 8) & 255, (unsigned)i & 255);
		ret = sov_journal_append(j, &r);
		if (!ret && (i + 1) % tick_every == 0)
			ret = sov_journal_tick(j);
		if (ret) {
			struct sov_journal_stats st;

			sov_journal_stats(j, &st);
			fprintf(stderr, "jwriter: append failed after %llu records: %s (write_errors=%llu)\n",
				(unsigned long long)i, strerror(-ret), (unsigned long long)st.write_errors);
			sov_journal_close(j);
			return 1;
		}
		if (sleep_us)
			usleep(sleep_us);
	}
	if (po.max_bytes || po.sealed_before_ns) {
		struct sov_prune_report pr;
		char err[512];

		if (po.sealed_before_ns) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			po.sealed_before_ns = ts.tv_sec * 1000000000ll + ts.tv_nsec - po.sealed_before_ns;
		}
		ret = sov_journal_prune(j, &po, &pr, err, sizeof(err));
		if (ret) {
			fprintf(stderr, "jwriter: prune failed: %s\n", err);
			sov_journal_close(j);
			return 1;
		}
		if (pr.record_seq != UINT64_MAX)
			printf("pruned segments %u..%u records %llu..%llu record %llu\n", pr.seg_from,
			       pr.seg_to - 1, (unsigned long long)pr.from,
			       (unsigned long long)pr.before - 1, (unsigned long long)pr.record_seq);
		if (pr.held_back)
			printf("held back: exported up to %llu\n", (unsigned long long)pr.exported);
	}
	ret = sov_journal_close(j);
	if (ret) {
		fprintf(stderr, "jwriter: failed to close journal: %s\n", strerror(-ret));
		return 1;
	}
	return 0;
}
