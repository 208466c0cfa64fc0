// SPDX-License-Identifier: Apache-2.0
/*
 * sovctl lineage export --openlineage: the verified records of a journal as
 * OpenLineage RunEvents (spec 2-0-2, docs/lineage.md "OpenLineage"), one
 * JSON object per line, or POSTed to an OpenLineage endpoint with libcurl
 * (http and https, proxies, redirects: what Marquez and other consumers
 * behind a TLS proxy need; a hand-written client would do plain HTTP only).
 *
 * A run is a process (host, boot, pid, executable); its job is the
 * executable in namespace sovd://HOST; inputs are the labelled files it
 * read (its taint records, and the sources of its derives, which hold what
 * it inherited); outputs are the files it derived and the network
 * destinations it sent to. The custom facet "sovd" (schema
 * docs/openlineage/sovd-facet.schema.json) carries classes, verdicts, zones,
 * journal seqs and the checkpoint that signs them.
 *
 * Calls: cmd_lineage.c (the loaded records), json-c, OpenSSL (run ids),
 * libcurl. Called by cmd_lineage.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef SOV_HAVE_CURL
#include <curl/curl.h>
#else
typedef void CURL;
#endif
#include <json-c/json.h>
#include <openssl/evp.h>
#include "sov_version.h"
#include "tools/sovctl/lineage.h"
#include "tools/sovctl/sovctl.h"

#define OL_SCHEMA	"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
#define OL_PRODUCER	"https://sovd.invalid/sovctl/" SOV_VERSION
#define FACET_URL	"file:///usr/local/share/sovd/openlineage-sovd-facet.schema.json"

struct ol {
	const struct lineage *l;
	const char *host, *facet_url;
	FILE *out;
	CURL *curl;
	const char *url;
	uint64_t events, posted;
	int failed;
};

static struct json_object *jstr(const char *s)
{
	return json_object_new_string(s ? s : "");
}

/* A run id that a re-export gives again: the first 16 bytes of
 * SHA-256(host, boot, pid, executable) as an RFC 9562 version 8 UUID. */
static void run_id(const struct lrec *r, char out[37])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char in[8192];
	int n;

	n = snprintf(in, sizeof(in), "sovd-run%c%s%c%s%c%lld%c%s", 0, r->host ? r->host : "", 0,
		     r->boot ? r->boot : "", 0, (long long)r->pid, 0, r->exe ? r->exe : "");
	if (n < 0 || n >= (int)sizeof(in))
		n = sizeof(in) - 1;
	EVP_Digest(in, (size_t)n, md, &mdlen, EVP_sha256(), NULL);
	md[6] = (md[6] & 0x0f) | 0x80;	/* version 8 */
	md[8] = (md[8] & 0x3f) | 0x80;	/* variant 10 */
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7], md[8], md[9], md[10],
		 md[11], md[12], md[13], md[14], md[15]);
}

static struct json_object *facet(const struct ol *o, const char *def)
{
	struct json_object *f = json_object_new_object();
	char url[1024];

	snprintf(url, sizeof(url), "%s#/$defs/%s", o->facet_url, def);
	json_object_object_add(f, "_producer", jstr(OL_PRODUCER));
	json_object_object_add(f, "_schemaURL", jstr(url));
	return f;
}

static struct json_object *checkpoint(const struct ol *o)
{
	struct json_object *c = json_object_new_object();

	json_object_object_add(c, "origin", jstr(o->l->origin));
	json_object_object_add(c, "tree_size", json_object_new_uint64(o->l->tree_size));
	return c;
}

/* Adds name to a JSON array of strings unless it holds it. */
static void add_unique(struct json_object *a, const char *name)
{
	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(a, i)), name))
			return;
	json_object_array_add(a, jstr(name));
}

static void add_classes(struct json_object *a, const struct lrec *r)
{
	for (int i = 0; i < r->nclasses; i++)
		add_unique(a, r->classes[i]);
}

/* A file or channel as a dataset: files in file://HOST by path, channels
 * (pipe:[N], socket:[N], /proc/PID/mem) in sovd://HOST. */
static struct json_object *file_dataset(const struct ol *o, const char *path, uint64_t dev,
					uint64_t ino, struct json_object **fac, const char *key)
{
	struct json_object *d = json_object_new_object();
	char ns[512], name[4200];

	if (path && path[0] == '/' && (dev || ino)) {
		snprintf(ns, sizeof(ns), "file://%s", o->host);
		snprintf(name, sizeof(name), "%s", path);
	} else {
		snprintf(ns, sizeof(ns), "sovd://%s", o->host);
		if (path && path[0])
			snprintf(name, sizeof(name), "%s", path);
		else
			snprintf(name, sizeof(name), "inode:%llu:%llu", (unsigned long long)dev,
				 (unsigned long long)ino);
	}
	json_object_object_add(d, "namespace", jstr(ns));
	json_object_object_add(d, "name", jstr(name));
	*fac = facet(o, "SovdDatasetFacet");
	json_object_object_add(*fac, "dev", json_object_new_uint64(dev));
	json_object_object_add(*fac, "ino", json_object_new_uint64(ino));
	json_object_object_add(*fac, "classes", json_object_new_array());
	json_object_object_add(*fac, "seq", json_object_new_array());
	{
		struct json_object *fs = json_object_new_object();

		json_object_object_add(fs, "sovd", *fac);
		json_object_object_add(d, key, fs);
	}
	return d;
}

/* The dataset of (path, dev, ino) in arr, made if missing; its facet. */
static struct json_object *file_in(const struct ol *o, struct json_object *arr, const char *path,
				   uint64_t dev, uint64_t ino, const char *key)
{
	struct json_object *d, *fs, *f;

	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		d = json_object_array_get_idx(arr, i);
		json_object_object_get_ex(json_object_object_get(d, key), "sovd", &f);
		if ((uint64_t)json_object_get_uint64(json_object_object_get(f, "dev")) == dev &&
		    (uint64_t)json_object_get_uint64(json_object_object_get(f, "ino")) == ino &&
		    (dev || ino || !strcmp(json_object_get_string(json_object_object_get(d, "name")),
					   path ? path : "")))
			return f;
	}
	d = file_dataset(o, path, dev, ino, &f, key);
	json_object_array_add(arr, d);
	(void)fs;
	return f;
}

/* A network destination: namespace PROTO://ADDR:PORT (IPv6 in brackets),
 * name "/"; an aggregate of allowed flows has no address: namespace
 * sovd-zone://ZONE, name PROTO; a channel: sovd://HOST, name PROTO. */
static struct json_object *dest_in(const struct ol *o, struct json_object *arr,
				   const struct lrec *r)
{
	struct json_object *d, *fs, *f;
	char ns[512], name[128];

	if (r->dst && r->dst[0]) {
		snprintf(ns, sizeof(ns), strchr(r->dst, ':') ? "%s://[%s]:%llu" : "%s://%s:%llu",
			 r->proto ? r->proto : "ip", r->dst, (unsigned long long)r->dport);
		snprintf(name, sizeof(name), "/");
	} else if (r->agg) {
		snprintf(ns, sizeof(ns), "sovd-zone://%s", r->zone ? r->zone : "unknown");
		snprintf(name, sizeof(name), "%s", r->proto ? r->proto : "ip");
	} else {
		snprintf(ns, sizeof(ns), "sovd://%s", o->host);
		snprintf(name, sizeof(name), "channel:%s", r->proto ? r->proto : "other");
	}
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		d = json_object_array_get_idx(arr, i);
		json_object_object_get_ex(json_object_object_get(d, "outputFacets"), "sovd", &f);
		if (!strcmp(json_object_get_string(json_object_object_get(d, "namespace")), ns) &&
		    !strcmp(json_object_get_string(json_object_object_get(d, "name")), name) &&
		    json_object_object_get(f, "verdict") &&
		    !strcmp(json_object_get_string(json_object_object_get(f, "verdict")),
			    r->verdict ? r->verdict : ""))
			return f;
	}
	d = json_object_new_object();
	json_object_object_add(d, "namespace", jstr(ns));
	json_object_object_add(d, "name", jstr(name));
	f = facet(o, "SovdDatasetFacet");
	json_object_object_add(f, "verdict", jstr(r->verdict));
	json_object_object_add(f, "zone", jstr(r->zone));
	json_object_object_add(f, "hook", jstr(r->hook));
	json_object_object_add(f, "violated", json_object_new_array());
	json_object_object_add(f, "classes", json_object_new_array());
	json_object_object_add(f, "flows", json_object_new_uint64(0));
	json_object_object_add(f, "seq", json_object_new_array());
	fs = json_object_new_object();
	json_object_object_add(fs, "sovd", f);
	json_object_object_add(d, "outputFacets", fs);
	json_object_array_add(arr, d);
	return f;
}

static void add_seq(struct json_object *f, uint64_t seq)
{
	json_object_array_add(json_object_object_get(f, "seq"), json_object_new_uint64(seq));
}

#ifdef SOV_HAVE_CURL
static size_t discard(void *p, size_t sz, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return sz * n;
}
#endif

static void emit(struct ol *o, struct json_object *ev)
{
	const char *s = json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
	o->events++;
	if (!o->curl) {
		fprintf(o->out, "%s\n", s);
		return;
	}
#ifdef SOV_HAVE_CURL
	long code = 0;
	CURLcode rc;

	curl_easy_setopt(o->curl, CURLOPT_POSTFIELDS, s);
	curl_easy_setopt(o->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(s));
	rc = curl_easy_perform(o->curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(o->curl, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK || code < 200 || code > 299) {
		if (!o->failed)
			fprintf(stderr, "sovctl lineage export: POST %s: %s\n", o->url,
				rc != CURLE_OK ? curl_easy_strerror(rc) : "not a 2xx answer");
		if (rc == CURLE_OK)
			fprintf(stderr, "sovctl lineage export: POST %s: HTTP %ld\n", o->url, code);
		o->failed = 1;
		return;
	}
	o->posted++;
#endif
}

/* The two events of one process: records l->r[i] with lrec_same_proc(). */
static void run_events(struct ol *o, const struct lrec *first, const char *class)
{
	const struct lineage *l = o->l;
	const struct lrec *last = first;
	struct json_object *inputs = json_object_new_array(), *outputs = json_object_new_array();
	struct json_object *classes = json_object_new_array(), *seqs = json_object_new_array();
	char id[37], name[4200];
	const char *sha = NULL;
	int matches = !class;

	for (size_t i = 0; i < l->n; i++) {
		const struct lrec *r = &l->r[i];
		struct json_object *f;

		if (!lrec_same_proc(r, first))
			continue;
		last = r;
		matches |= class && lrec_has_class(r, class);
		add_classes(classes, r);
		json_object_array_add(seqs, json_object_new_uint64(r->seq));
		if (r->type == LREC_TAINT) {
			f = file_in(o, inputs, r->path, r->dev, r->ino, "inputFacets");
			add_classes(json_object_object_get(f, "classes"), r);
			add_seq(f, r->seq);
		} else if (r->type == LREC_DERIVE) {
			for (int k = 0; k < r->nsrc; k++)
				file_in(o, inputs, r->src[k].path, r->src[k].dev, r->src[k].ino,
					"inputFacets");
			f = file_in(o, outputs, r->path, r->dev, r->ino, "outputFacets");
			add_classes(json_object_object_get(f, "classes"), r);
			add_seq(f, r->seq);
			if (r->cmdline_sha256 && r->cmdline_sha256[0])
				sha = r->cmdline_sha256;
		} else {
			f = dest_in(o, outputs, r);
			add_classes(json_object_object_get(f, "classes"), r);
			for (int k = 0; k < r->nviolated; k++)
				add_unique(json_object_object_get(f, "violated"), r->violated[k]);
			json_object_object_add(f, "flows", json_object_new_uint64(
				json_object_get_uint64(json_object_object_get(f, "flows")) + r->flows));
			add_seq(f, r->seq);
		}
	}
	if (!matches) {
		json_object_put(inputs);
		json_object_put(outputs);
		json_object_put(classes);
		json_object_put(seqs);
		return;
	}
	run_id(first, id);
	if (first->exe && first->exe[0])
		snprintf(name, sizeof(name), "%s", first->exe);
	else
		snprintf(name, sizeof(name), "%s", first->comm && first->comm[0] ? first->comm : "unknown");
	for (int phase = 0; phase < 2; phase++) {
		const struct lrec *at = phase ? last : first;
		struct json_object *ev = json_object_new_object(), *run = json_object_new_object(),
				   *job = json_object_new_object(), *rf = json_object_new_object(),
				   *f = facet(o, "SovdRunFacet");
		char ns[512];

		json_object_object_add(ev, "eventType", jstr(phase ? "COMPLETE" : "START"));
		json_object_object_add(ev, "eventTime", jstr(at->time));
		json_object_object_add(run, "runId", jstr(id));
		json_object_object_add(f, "host", jstr(first->host));
		json_object_object_add(f, "boot", jstr(first->boot));
		json_object_object_add(f, "pid", json_object_new_int64(first->pid));
		json_object_object_add(f, "comm", jstr(first->comm));
		json_object_object_add(f, "exe", jstr(first->exe));
		if (sha)
			json_object_object_add(f, "cmdline_sha256", jstr(sha));
		json_object_object_add(f, "classes", json_object_get(classes));
		json_object_object_add(f, "seq", json_object_get(seqs));
		json_object_object_add(f, "checkpoint", checkpoint(o));
		json_object_object_add(rf, "sovd", f);
		json_object_object_add(run, "facets", rf);
		json_object_object_add(ev, "run", run);
		snprintf(ns, sizeof(ns), "sovd://%s", o->host);
		json_object_object_add(job, "namespace", jstr(ns));
		json_object_object_add(job, "name", jstr(name));
		json_object_object_add(ev, "job", job);
		json_object_object_add(ev, "inputs", phase ? json_object_get(inputs) :
						     json_object_new_array());
		json_object_object_add(ev, "outputs", phase ? json_object_get(outputs) :
						      json_object_new_array());
		json_object_object_add(ev, "producer", jstr(OL_PRODUCER));
		json_object_object_add(ev, "schemaURL", jstr(OL_SCHEMA));
		emit(o, ev);
		json_object_put(ev);
	}
	json_object_put(inputs);
	json_object_put(outputs);
	json_object_put(classes);
	json_object_put(seqs);
}

int lineage_openlineage(const struct lineage *l, const char *class, FILE *out, const char *url,
			const char *facet_url)
{
	struct ol o = { .l = l, .out = out, .url = url,
			.facet_url = facet_url ? facet_url : FACET_URL };
	char host[256];
#ifdef SOV_HAVE_CURL
	struct curl_slist *hdr = NULL;
#endif

	o.host = lineage_host(l, host, sizeof(host));
#ifndef SOV_HAVE_CURL
	if (url) {
		fprintf(stderr, "sovctl lineage export: --url: this sovctl was built without libcurl\n");
		return SOVCTL_USAGE;
	}
#else
	if (url) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) || !(o.curl = curl_easy_init())) {
			fprintf(stderr, "sovctl lineage export: libcurl failed to start\n");
			return SOVCTL_USAGE;
		}
		hdr = curl_slist_append(NULL, "Content-Type: application/json");
		curl_easy_setopt(o.curl, CURLOPT_URL, url);
		curl_easy_setopt(o.curl, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(o.curl, CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(o.curl, CURLOPT_TIMEOUT, 30L);
		curl_easy_setopt(o.curl, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(o.curl, CURLOPT_PROTOCOLS_STR, "http,https");
	}
#endif
	/* each process once, in the order of its first record */
	for (size_t i = 0; i < l->n; i++) {
		size_t k;

		for (k = 0; k < i && !lrec_same_proc(&l->r[k], &l->r[i]); k++)
			;
		if (k == i)
			run_events(&o, &l->r[i], class);
	}
#ifdef SOV_HAVE_CURL
	if (o.curl) {
		curl_easy_cleanup(o.curl);
		curl_slist_free_all(hdr);
		curl_global_cleanup();
		fprintf(stderr, "sovctl lineage export: %llu of %llu event(s) posted to %s\n",
			(unsigned long long)o.posted, (unsigned long long)o.events, url);
	}
#endif
	if (!o.events)
		fprintf(stderr, "sovctl lineage export: no process in the verified records%s%s\n",
			class ? " carries class " : "", class ? class : "");
	return o.failed ? SOVCTL_BAD : SOVCTL_OK;
}
