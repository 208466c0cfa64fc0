/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Zone sources: where the prefixes of a zone come from (the IP location
 * database for countries and ASNs, cloud provider range files), and the
 * precedence builder that turns prefixes of every source into the LPM
 * tables the kernel uses.
 *
 * Precedence (docs/zones.md): an address belongs to the zone of its
 * highest-precedence source that claims it, explicit > ranges > asns >
 * countries; within one source the longest prefix wins. The builder's output
 * answers every longest-prefix-match lookup exactly that way.
 *
 * Conventions: int functions return 0 or a negative errno; addresses are in
 * network byte order; errors are reported through a zsrc_err_fn so the
 * caller can attach its own file:line:column.
 */
#ifndef SOV_POLICY_ZSRC_H
#define SOV_POLICY_ZSRC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Receives one error message; file/line/col of the data file when known (else NULL/0). */
typedef void (*zsrc_err_fn)(void *ctx, const char *file, int line, int col,
			    const char *msg);

/* ---- precedence builder (zsrc_lpm.c) ---- */

enum zsrc_tier {
	ZSRC_TIER_EXPLICIT = 0,		/* cidrs, files */
	ZSRC_TIER_RANGES = 1,		/* cloud provider range files */
	ZSRC_TIER_ASNS = 2,		/* location database, by AS */
	ZSRC_TIER_COUNTRIES = 3,	/* location database, by country */
	ZSRC_TIERS = 4,
};

/*
 * Zone value 0 in an entry of the builder is a "hole": within its tier the
 * prefix is claimed by nothing, which lets lower tiers answer. The location
 * database needs it: a network of another country nested inside a listed
 * country's network is a hole in the countries tier.
 */
#define ZSRC_HOLE 0u

struct zsrc_lpm;

struct zsrc_entry {
	uint8_t addr[16];	/* IPv4 in the first 4 bytes */
	uint8_t plen;
	uint32_t zone;		/* 0: unknown (punches a hole in a shorter entry) */
};

struct zsrc_lpm_stats {
	size_t n_input;		/* distinct (prefix, tier) entries added */
	size_t n_output;	/* LPM entries after precedence and merging */
	size_t n_kernel_nodes;	/* nodes the kernel's LPM trie holds for them */
	size_t map_bytes;	/* estimate of the kernel memory of that trie */
};

/* family: AF_INET or AF_INET6. NULL + errno on failure. */
struct zsrc_lpm *sov_zsrc_lpm_new(int family);
void sov_zsrc_lpm_free(struct zsrc_lpm *t);
int sov_zsrc_lpm_family(const struct zsrc_lpm *t);

/*
 * Adds prefix addr/plen (host bits are ignored) to tier with zone (or
 * ZSRC_HOLE). Adding the same prefix to the same tier again with the same
 * zone is a no-op; with another zone it returns -EEXIST and stores the zone
 * already there in *other (when other is not NULL). -EINVAL for a bad plen
 * or tier, -ENOMEM.
 */
int sov_zsrc_lpm_add(struct zsrc_lpm *t, const uint8_t *addr, unsigned int plen,
		     enum zsrc_tier tier, uint32_t zone, uint32_t *other);

/*
 * The answer of the precedence rules for addr, straight from the sources
 * (builds the builder's trie first if prefixes were added since; 0 when
 * memory for it runs out).
 */
uint32_t sov_zsrc_lpm_resolve(struct zsrc_lpm *t, const uint8_t *addr);

/*
 * Computes the smallest LPM table (ORTC, Draves et al. 1999) whose answers
 * equal sov_zsrc_lpm_resolve() for every address, entries sorted by (addr, plen).
 * *out is malloc'd (free() it); st may be NULL. The builder stays usable.
 */
int sov_zsrc_lpm_compile(struct zsrc_lpm *t, struct zsrc_entry **out, size_t *n,
			 struct zsrc_lpm_stats *st);

/* Longest-prefix match over a sorted output table (what the kernel answers). */
uint32_t sov_zsrc_table_lookup(const struct zsrc_entry *v, size_t n, int family,
			       const uint8_t *addr);

/* ---- IP location database (zsrc_locdb.c) ---- */

#define ZSRC_LOCDB_DEFAULT "/var/lib/location/database.db"

struct zsrc_locdb;

struct zsrc_locdb_info {
	time_t created_at;
	char vendor[128];
	char version[192];	/* "2022-10-29T07:19:54Z IPFire Project": evidence */
};

/* path NULL: ZSRC_LOCDB_DEFAULT. On failure NULL + errno, message to err. */
struct zsrc_locdb *sov_zsrc_locdb_open(const char *path, zsrc_err_fn err, void *ctx);
void sov_zsrc_locdb_close(struct zsrc_locdb *db);
const char *sov_zsrc_locdb_path(const struct zsrc_locdb *db);
void sov_zsrc_locdb_get_info(const struct zsrc_locdb *db, struct zsrc_locdb_info *info);

/*
 * Country codes of a group name, NULL-terminated, or NULL when name is not a
 * group. "EU": the 27 member states of the European Union; "EEA": those and
 * Iceland, Liechtenstein and Norway.
 */
const char *const *sov_zsrc_country_group(const char *name);
/* 0 if code is an ISO 3166-1 alpha-2 code the database knows; -ENOENT, -EINVAL. */
int sov_zsrc_locdb_check_country(struct zsrc_locdb *db, const char *code);
/* Parses "AS16509", "as16509" or "16509" (1..4294967295) into *asn; -EINVAL. */
int sov_zsrc_parse_asn(const char *s, uint32_t *asn);
/* 0 if the database has a record of AS asn, else -ENOENT. */
int sov_zsrc_locdb_check_asn(struct zsrc_locdb *db, uint32_t asn);

/*
 * The database's own answer for one address (family AF_INET or AF_INET6,
 * network order): the most specific network holding it (written to net as
 * "a.b.c.d/n" or "x::/n"), its country code ("" when it has none) and its
 * AS number (0 when none). For `sovctl policy explain`. Returns 0,
 * -ENOENT when no network holds the address, or a negative errno.
 */
int sov_zsrc_locdb_lookup(struct zsrc_locdb *db, int family, const uint8_t *addr,
			  char *net, size_t netlen, char cc[3], uint32_t *asn);

/* Countries and ASNs, each mapped to the zone that lists it. */
struct zsrc_locdb_query {
	const char (*countries)[3];	/* upper-case codes, groups expanded */
	const uint32_t *country_zone;
	size_t n_countries;
	const uint32_t *asns;
	const uint32_t *asn_zone;
	size_t n_asns;
};

struct zsrc_locdb_stats {
	size_t n_networks;	/* networks of the database walked */
	size_t n_country4, n_country6;	/* entries added to the countries tier */
	size_t n_asn4, n_asn6;		/* entries added to the asns tier */
};

/*
 * Walks the database once and adds, per tier, every network whose country
 * (ASN) is listed, with its zone, and every network nested inside one whose
 * country (ASN) is not, as a hole: the builder then answers for each address
 * what the database says for that address. A country or ASN listed by two
 * zones is -EINVAL (reported through err; zone_names, indexed by zone id,
 * may be NULL). v4/v6 may be NULL to skip a family.
 */
int sov_zsrc_locdb_add(struct zsrc_locdb *db, const struct zsrc_locdb_query *q,
		       const char *const *zone_names, struct zsrc_lpm *v4, struct zsrc_lpm *v6,
		       struct zsrc_locdb_stats *st, zsrc_err_fn err, void *ctx);

/* ---- cloud provider range files (zsrc_ranges.c) ---- */

enum zsrc_range_format {
	ZSRC_FMT_AWS = 0,	/* ip-ranges.json */
	ZSRC_FMT_GCP,		/* cloud.json */
	ZSRC_FMT_AZURE,		/* Service Tags JSON */
	ZSRC_FMT_ORACLE,	/* public_ip_ranges.json */
	ZSRC_FMT_N,
};

/* "aws", "gcp" (also "google"), "azure", "oracle" (also "oci"); -EINVAL otherwise. */
int sov_zsrc_range_format_parse(const char *name, enum zsrc_range_format *fmt);
const char *sov_zsrc_range_format_name(enum zsrc_range_format fmt);

struct zsrc_range_prefix {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t plen;
	uint8_t addr[16];
	uint32_t region;	/* index into regions[] */
};

struct zsrc_range_file {
	char *path;
	enum zsrc_range_format format;
	char *version;		/* syncToken / changeNumber / timestamp, as evidence */
	char **regions;		/* distinct region names; "" for none */
	size_t n_regions;
	struct zsrc_range_prefix *prefixes;
	size_t n_prefixes;
};

/*
 * Reads and checks a range file. Every problem is reported through err with
 * the file name and, for malformed JSON, line:column; returns -EINVAL (bad
 * content), -errno of open/read, or -ENOMEM.
 */
int sov_zsrc_range_load(const char *path, enum zsrc_range_format fmt,
			struct zsrc_range_file **out, zsrc_err_fn err, void *ctx);
void sov_zsrc_range_free(struct zsrc_range_file *rf);

/*
 * fnmatch(3) glob over a region name. A global region matches only a glob
 * that is exactly its name, so "*" selects every regional entry but never the
 * anycast ones.
 */
int sov_zsrc_region_match(const char *glob, const char *region);

/* How many of rf's regions glob selects (0: probably a typo). */
size_t sov_zsrc_range_glob_regions(const struct zsrc_range_file *rf, const char *glob);

/*
 * Adds the prefixes of rf whose region matches one of the globs to the ranges
 * tier for zone. zone_names (indexed by zone id, may be NULL) is for the
 * messages. Returns the number of prefixes selected (>= 0) or a negative
 * errno; -EEXIST when a prefix already belongs to another zone in this tier
 * (each one reported through err).
 */
long sov_zsrc_range_add(const struct zsrc_range_file *rf, const char *const *globs,
			size_t n_globs, uint32_t zone, const char *const *zone_names,
			struct zsrc_lpm *v4, struct zsrc_lpm *v6, zsrc_err_fn err, void *ctx);

#endif /* SOV_POLICY_ZSRC_H */
