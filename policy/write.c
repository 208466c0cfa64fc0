/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The compiled image for people (text) and programs (JSON). The JSON key
 * order is fixed and documented in docs/policy.md; tests compare it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy/policy.h"
#include "policy/prefix.h"
#include "sov/json.h"

/*
 * Approximate kernel memory of the tables: an LPM trie node is a 40-byte
 * header (rcu head, two children, prefix length, flags) plus key data and
 * value, from a power-of-two slab; a trie of n prefixes holds up to n-1
 * intermediate nodes on top of its n leaves.
 */
#define LPM_NODE_HDR	40
#define LPM_VALUE	8	/* struct sov_zone_val */

static size_t slab(size_t sz)
{
	size_t s = 8;

	while (s < sz)
		s <<= 1;
	return s;
}

static size_t lpm_bytes(size_t n, size_t addr_bytes)
{
	if (!n)
		return 0;
	return (2 * n - 1) * slab(LPM_NODE_HDR + addr_bytes + LPM_VALUE);
}

/*
 * Memory of one LPM map: the compiler's count of the kernel trie's nodes
 * (docs/zones.md) when the image has it, else the upper bound above.
 */
static size_t map_bytes(const struct sov_policy_image *img, int v6)
{
	const struct sov_img_table_stats *s = &img->table_stats[v6];
	size_t n = v6 ? img->n_v6 : img->n_v4;

	if (s->n_output == n && (s->map_bytes || !n))
		return s->map_bytes;
	return lpm_bytes(n, v6 ? 16 : 4);
}

/* The one escaper (include/sov/json.h), the journal's rules. */
static void json_str(FILE *o, const char *s)
{
	char tmp[SOV_JSON_ESC_MAX(256)];
	size_t n = strlen(s), k;

	fputc('"', o);
	while (n) {
		k = sov_json_piece(s, n, 256);
		fwrite(tmp, 1, sov_json_escape(tmp, s, k), o);
		s += k;
		n -= k;
	}
	fputc('"', o);
}

static void json_mask(FILE *o, uint64_t m)
{
	fprintf(o, "\"0x%016llx\"", (unsigned long long)m);
}

static void json_class_list(FILE *o, const struct sov_policy_image *img, uint64_t m)
{
	size_t i;
	int first = 1;

	fputc('[', o);
	for (i = 0; i < img->n_classes; i++) {
		if (!(m & (1ull << img->classes[i].bit)))
			continue;
		fputs(first ? "" : ", ", o);
		json_str(o, img->classes[i].name);
		first = 0;
	}
	fputc(']', o);
}

static void count_prefixes(const struct sov_policy_image *img, uint32_t z,
			   size_t *n4, size_t *n6)
{
	size_t i;

	*n4 = *n6 = 0;
	for (i = 0; i < img->n_v4; i++)
		*n4 += img->v4[i].zone == z;
	for (i = 0; i < img->n_v6; i++)
		*n6 += img->v6[i].zone == z;
}

int sov_policy_write_json(const struct sov_policy_image *img, FILE *o)
{
	size_t i, j, m4 = map_bytes(img, 0), m6 = map_bytes(img, 1);
	size_t rules = img->n_zones * 8;
	char buf[PREFIX_STR_MAX];
	int first;

	fputs("{\n  \"format\": 1,\n  \"path\": ", o);
	json_str(o, img->path ? img->path : "");
	fputs(",\n  \"includes\": [", o);
	for (i = 0; i < img->n_includes; i++) {
		fputs(i ? ", " : "", o);
		json_str(o, img->includes[i]);
	}
	fprintf(o, "],\n  \"sha256\": \"%s\",\n  \"mode\": \"%s\",\n  \"scope\": {\"cgroups\": [",
		img->sha256_hex, img->mode == SOV_POLICY_AUDIT ? "audit" : "enforce");
	for (i = 0; i < img->n_scope; i++) {
		fputs(i ? ", " : "", o);
		json_str(o, img->scope_cgroups[i]);
	}
	fputs("]},\n  \"classes\": [", o);
	for (i = 0; i < img->n_classes; i++) {
		const struct sov_img_class *c = &img->classes[i];

		fputs(i ? ",\n    {" : "\n    {", o);
		fputs("\"name\": ", o);
		json_str(o, c->name);
		fprintf(o, ", \"bit\": %u, \"mask\": ", c->bit);
		json_mask(o, 1ull << c->bit);
		fprintf(o, ", \"action\": \"%s\", \"derive\": %s, \"allow\": [",
			c->action == SOV_ACTION_BLOCK ? "block" : "audit",
			c->derive ? "true" : "false");
		if (c->allow_any)
			fputs("\"any\"", o);
		for (j = 0; j < c->n_allow; j++) {
			fputs(j || c->allow_any ? ", " : "", o);
			json_str(o, sov_policy_zone_name(img, c->allow_zones[j]));
		}
		fputs("], \"channels\": [", o);
		for (j = 1, first = 1; j < SOV_POLICY_CHAN_MAX; j++) {
			if (!(c->channels & (1u << j)))
				continue;
			fputs(first ? "" : ", ", o);
			json_str(o, sov_policy_channel_name((uint32_t)j));
			first = 0;
		}
		fputs("], \"paths\": [", o);
		for (j = 0; j < c->n_paths; j++) {
			fputs(j ? ", " : "", o);
			json_str(o, c->paths[j]);
		}
		fputs("]}", o);
	}
	fputs(img->n_classes ? "\n  ],\n  \"zones\": [" : "],\n  \"zones\": [", o);
	for (i = 0; i < img->n_zones; i++) {
		uint64_t allowed = img->zone_allowed ? img->zone_allowed[i] : 0;
		size_t n4, n6;

		count_prefixes(img, img->zones[i].id, &n4, &n6);
		fputs(i ? ",\n    {" : "\n    {", o);
		fputs("\"name\": ", o);
		json_str(o, img->zones[i].name);
		fprintf(o, ", \"id\": %u, \"allowed\": ", img->zones[i].id);
		json_mask(o, allowed);
		fputs(", \"allowed_classes\": ", o);
		json_class_list(o, img, allowed);
		fprintf(o, ", \"v4_prefixes\": %zu, \"v6_prefixes\": %zu}", n4, n6);
	}
	fputs(img->n_zones ? "\n  ],\n  \"block_classes\": " : "],\n  \"block_classes\": ", o);
	json_mask(o, img->block_classes);
	fputs(",\n  \"derive_classes\": ", o);
	json_mask(o, img->derive_classes);
	fputs(",\n  \"channels\": [", o);
	for (i = 1; i < SOV_POLICY_CHAN_MAX; i++) {
		fputs(i > 1 ? ",\n    {\"name\": " : "\n    {\"name\": ", o);
		json_str(o, sov_policy_channel_name((uint32_t)i));
		fprintf(o, ", \"id\": %zu, \"allowed\": ", i);
		json_mask(o, img->chan_allowed[i]);
		fputs(", \"allowed_classes\": ", o);
		json_class_list(o, img, img->chan_allowed[i]);
		fputc('}', o);
	}
	fputs("\n  ],\n  \"v4\": [", o);
	for (i = 0; i < img->n_v4; i++) {
		struct sov_prefix p = { .family = 4, .plen = img->v4[i].plen };

		memcpy(p.addr, img->v4[i].addr, 4);
		fprintf(o, "%s{\"prefix\": \"%s\", \"zone\": ", i ? ",\n    " : "\n    ",
			sovp_prefix_format(&p, buf, sizeof(buf)));
		json_str(o, sov_policy_zone_name(img, img->v4[i].zone));
		fprintf(o, ", \"zone_id\": %u}", img->v4[i].zone);
	}
	fputs(img->n_v4 ? "\n  ],\n  \"v6\": [" : "],\n  \"v6\": [", o);
	for (i = 0; i < img->n_v6; i++) {
		struct sov_prefix p = { .family = 6, .plen = img->v6[i].plen };

		memcpy(p.addr, img->v6[i].addr, 16);
		fprintf(o, "%s{\"prefix\": \"%s\", \"zone\": ", i ? ",\n    " : "\n    ",
			sovp_prefix_format(&p, buf, sizeof(buf)));
		json_str(o, sov_policy_zone_name(img, img->v6[i].zone));
		fprintf(o, ", \"zone_id\": %u}", img->v6[i].zone);
	}
	fputs(img->n_v6 ? "\n  ],\n  \"sources\": [" : "],\n  \"sources\": [", o);
	for (i = 0; i < img->n_sources; i++) {
		fputs(i ? ",\n    {\"kind\": " : "\n    {\"kind\": ", o);
		json_str(o, img->sources[i].kind ? img->sources[i].kind : "");
		fputs(", \"file\": ", o);
		json_str(o, img->sources[i].file ? img->sources[i].file : "");
		fputs(", \"version\": ", o);
		json_str(o, img->sources[i].version ? img->sources[i].version : "");
		fputc('}', o);
	}
	fputs(img->n_sources ? "\n  ],\n  \"locdb\": " : "],\n  \"locdb\": ", o);
	if (img->locdb_path)
		json_str(o, img->locdb_path);
	else
		fputs("null", o);
	fprintf(o, ",\n  \"counts\": {\"classes\": %zu, \"zones\": %zu, \"v4\": %zu, \"v6\": %zu, "
		"\"v4_before_merging\": %zu, \"v6_before_merging\": %zu, "
		"\"v4_kernel_nodes\": %zu, \"v6_kernel_nodes\": %zu},\n",
		img->n_classes, img->n_zones, img->n_v4, img->n_v6,
		img->table_stats[0].n_input, img->table_stats[1].n_input,
		img->table_stats[0].n_kernel_nodes, img->table_stats[1].n_kernel_nodes);
	fprintf(o, "  \"kernel_memory_bytes\": {\"lpm_v4\": %zu, \"lpm_v6\": %zu, \"zone_rules\": %zu, \"total\": %zu}\n}\n",
		m4, m6, rules, m4 + m6 + rules);
	return ferror(o) ? -EIO : 0;
}

int sov_policy_write_text(const struct sov_policy_image *img, FILE *o)
{
	char names[SOV_POLICY_MAX_CLASSES * SOV_POLICY_NAME_MAX], buf[PREFIX_STR_MAX];
	int first;
	size_t i, j, total = map_bytes(img, 0) + map_bytes(img, 1) + img->n_zones * 8;

	fprintf(o, "policy   %s\n", img->path ? img->path : "");
	for (i = 0; i < img->n_includes; i++)
		fprintf(o, "include  %s\n", img->includes[i]);
	fprintf(o, "sha256   %s\nmode     %s\nscope   ", img->sha256_hex,
		img->mode == SOV_POLICY_AUDIT ? "audit" : "enforce");
	for (i = 0; i < img->n_scope; i++)
		fprintf(o, " %s", img->scope_cgroups[i]);
	fprintf(o, "\n\nclasses (%zu)\n", img->n_classes);
	for (i = 0; i < img->n_classes; i++) {
		const struct sov_img_class *c = &img->classes[i];

		fprintf(o, "  bit %-2u %-24s action=%s derive=%s allow=", c->bit, c->name,
			c->action == SOV_ACTION_BLOCK ? "block" : "audit",
			c->derive ? "true" : "false");
		if (c->allow_any)
			fputs("any", o);
		for (j = 0; j < c->n_allow; j++)
			fprintf(o, "%s%s", j || c->allow_any ? "," : "",
				sov_policy_zone_name(img, c->allow_zones[j]));
		if (!c->allow_any && !c->n_allow)
			fputs("(none)", o);
		fputs(" channels=", o);
		for (j = 1, first = 1; j < SOV_POLICY_CHAN_MAX; j++) {
			if (!(c->channels & (1u << j)))
				continue;
			fprintf(o, "%s%s", first ? "" : ",", sov_policy_channel_name((uint32_t)j));
			first = 0;
		}
		if (first)
			fputs("(none)", o);
		fputc('\n', o);
		for (j = 0; j < c->n_paths; j++)
			fprintf(o, "         path %s\n", c->paths[j]);
	}
	fprintf(o, "\nzones (%zu)\n", img->n_zones);
	for (i = 0; i < img->n_zones; i++) {
		uint64_t allowed = img->zone_allowed ? img->zone_allowed[i] : 0;
		size_t n4, n6;

		count_prefixes(img, img->zones[i].id, &n4, &n6);
		fprintf(o, "  id %-4u %-24s v4=%zu v6=%zu allowed=0x%016llx %s\n",
			img->zones[i].id, img->zones[i].name, n4, n6,
			(unsigned long long)allowed,
			sov_policy_class_names(img, allowed, names, sizeof(names)));
	}
	fprintf(o, "\nblock classes  0x%016llx %s\n", (unsigned long long)img->block_classes,
		sov_policy_class_names(img, img->block_classes, names, sizeof(names)));
	fprintf(o, "derive classes 0x%016llx %s\n", (unsigned long long)img->derive_classes,
		sov_policy_class_names(img, img->derive_classes, names, sizeof(names)));
	fputs("\nchannels (allowed by)\n", o);
	for (i = 1; i < SOV_POLICY_CHAN_MAX; i++)
		fprintf(o, "  %-8s 0x%016llx %s\n", sov_policy_channel_name((uint32_t)i),
			(unsigned long long)img->chan_allowed[i],
			sov_policy_class_names(img, img->chan_allowed[i], names, sizeof(names)));
	fprintf(o, "\nprefixes (%zu IPv4, %zu IPv6)\n", img->n_v4, img->n_v6);
	for (i = 0; i < img->n_v4; i++) {
		struct sov_prefix p = { .family = 4, .plen = img->v4[i].plen };

		memcpy(p.addr, img->v4[i].addr, 4);
		fprintf(o, "  %-43s %s\n", sovp_prefix_format(&p, buf, sizeof(buf)),
			sov_policy_zone_name(img, img->v4[i].zone));
	}
	for (i = 0; i < img->n_v6; i++) {
		struct sov_prefix p = { .family = 6, .plen = img->v6[i].plen };

		memcpy(p.addr, img->v6[i].addr, 16);
		fprintf(o, "  %-43s %s\n", sovp_prefix_format(&p, buf, sizeof(buf)),
			sov_policy_zone_name(img, img->v6[i].zone));
	}
	for (i = 0; i < img->n_sources; i++)
		fprintf(o, "source   %s %s %s\n", img->sources[i].kind ? img->sources[i].kind : "",
			img->sources[i].file ? img->sources[i].file : "",
			img->sources[i].version ? img->sources[i].version : "");
	fprintf(o, "\ntables   IPv4 %zu entries (%zu before merging), %zu trie nodes, ~%zu bytes\n",
		img->n_v4, img->table_stats[0].n_input, img->table_stats[0].n_kernel_nodes,
		map_bytes(img, 0));
	fprintf(o, "         IPv6 %zu entries (%zu before merging), %zu trie nodes, ~%zu bytes\n",
		img->n_v6, img->table_stats[1].n_input, img->table_stats[1].n_kernel_nodes,
		map_bytes(img, 1));
	fprintf(o, "\nkernel maps ~%zu bytes\n", total);
	return ferror(o) ? -EIO : 0;
}
