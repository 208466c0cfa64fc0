/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libsovpolicy: parse, validate and compile a sovd policy (YAML, v1) into
 * the in-memory image that sovd writes into the kernel maps, unchanged.
 *
 * Conventions: functions returning int give 0 or a negative errno;
 * diagnostics (errors and warnings) are collected in a struct sov_diags,
 * each naming FILE:LINE:COLUMN (1-based).
 */
#ifndef SOV_POLICY_H
#define SOV_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SOV_POLICY_MAX_CLASSES	64
#define SOV_POLICY_NAME_MAX	64
#define SOV_POLICY_MAX_ZONES	4096	/* zone ids are < this (SOV_MAX_ZONES) */
#define SOV_POLICY_ZONE_UNKNOWN	0	/* zone id of an address in no zone */

enum sov_diag_level { SOV_DIAG_ERROR = 0, SOV_DIAG_WARNING = 1 };

struct sov_diag {
	enum sov_diag_level level;
	char *file;		/* policy file, or a zone/range file it names */
	int line;		/* 1-based; 0 when not applicable */
	int column;		/* 1-based; 0 when not applicable */
	char *msg;
};

struct sov_diags {
	struct sov_diag *v;
	size_t n, cap;
	size_t n_errors;
};

void sov_diags_init(struct sov_diags *d);
void sov_diags_free(struct sov_diags *d);
/* printf-style; file may be NULL (then printed without position). */
void sov_diags_add(struct sov_diags *d, enum sov_diag_level lvl,
		   const char *file, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* Prints "FILE:LINE:COLUMN: error: msg" / "...: warning: msg", one per line. */
void sov_diags_print(const struct sov_diags *d, FILE *out);

enum sov_action { SOV_ACTION_BLOCK = 0, SOV_ACTION_AUDIT = 1 };

/*
 * Channels that cannot be judged by destination, as a class's `channels:`
 * key names them; the numbers are the kernel's SOV_CHAN_* (include/sov/abi.h,
 * checked where sovd writes them), 0 is no channel.
 */
enum sov_policy_channel {
	SOV_POLICY_CHAN_RAW = 1,	/* "raw": raw IP sockets */
	SOV_POLICY_CHAN_PING = 2,	/* "ping": ICMP/ICMPv6 echo sockets */
	SOV_POLICY_CHAN_PACKET = 3,	/* "packet": AF_PACKET */
	SOV_POLICY_CHAN_XDP = 4,	/* "xdp": AF_XDP */
	SOV_POLICY_CHAN_OTHER = 5,	/* "other": IP protocols sovd does not parse */
	SOV_POLICY_CHAN_RDMA = 6,	/* "rdma": RDMA devices */
	SOV_POLICY_CHAN_MAX = 7
};
enum sov_mode { SOV_POLICY_ENFORCE = 0, SOV_POLICY_AUDIT = 1 };

/* Zone id 0 is always "unknown"; defined zones are 1..n_zones-1 in policy order. */
struct sov_img_zone {
	char name[SOV_POLICY_NAME_MAX];
	uint32_t id;
};

struct sov_img_class {
	char name[SOV_POLICY_NAME_MAX];
	uint32_t bit;			/* class id: bit in the 64-bit class masks */
	enum sov_action action;		/* resolved (default follows mode) */
	int derive;			/* 1 or 0 */
	int allow_any;			/* 'any' in allow */
	uint32_t *allow_zones;		/* zone ids, policy order */
	size_t n_allow;
	char **paths;			/* absolute, as written */
	size_t n_paths;
	uint32_t channels;		/* bit ch set: `channels:` allows channel ch */
};

/* One LPM entry; address in network byte order. */
struct sov_img_prefix4 {
	uint8_t addr[4];
	uint8_t plen;
	uint32_t zone;
};

struct sov_img_prefix6 {
	uint8_t addr[16];
	uint8_t plen;
	uint32_t zone;
};

/* Versions of the jurisdiction data that fed the zones (evidence). */
struct sov_img_source {
	char *kind;		/* "locdb", "aws", "gcp", "azure", "oracle" */
	char *file;
	char *version;		/* e.g. creation time + vendor, syncToken, date */
};

struct sov_policy_image {
	char *path;			/* the policy file */
	char **includes;		/* the files it includes, in load order */
	size_t n_includes;
	uint8_t sha256[32];		/* of the policy file's bytes (with
					 * includes: of its files' SHA-256s in
					 * load order, the root first) */
	char sha256_hex[65];
	enum sov_mode mode;

	char **scope_cgroups;		/* as written, e.g. "/" or "/gpu.slice" */
	size_t n_scope;

	struct sov_img_zone *zones;	/* zones[0] is "unknown" */
	size_t n_zones;

	struct sov_img_class *classes;	/* classes[i].bit == i */
	size_t n_classes;

	/* Kernel tables, ready to be written into the maps as they are. */
	struct sov_img_prefix4 *v4;	/* sorted by (addr, plen) */
	size_t n_v4;
	struct sov_img_prefix6 *v6;
	size_t n_v6;
	uint64_t *zone_allowed;		/* [n_zones]: classes allowing zone z */
	uint64_t block_classes;		/* classes whose resolved action is block */
	uint64_t derive_classes;	/* classes with derive: true */
	uint64_t chan_allowed[SOV_POLICY_CHAN_MAX];	/* classes allowing channel ch ([0] is 0) */

	struct sov_img_source *sources;	/* jurisdiction data versions */
	size_t n_sources;
	char *locdb_path;		/* location database used, or NULL */

	/*
	 * How the tables came out, [0] IPv4 and [1] IPv6 (docs/zones.md):
	 * distinct prefixes of all sources that went in, LPM entries after
	 * precedence and merging (== n_v4 / n_v6), nodes of the kernel's
	 * LPM trie for them, and an estimate of its memory in bytes.
	 */
	struct sov_img_table_stats {
		size_t n_input, n_output, n_kernel_nodes, map_bytes;
	} table_stats[2];

	/* Private: lookup index behind sov_policy_zone_of(). */
	struct sov_policy_lpm *lpm;
};

/*
 * Parse, validate and compile the policy at path. On success returns 0 and
 * *out (free with sov_policy_free). On failure returns a negative errno
 * (-EINVAL for an invalid policy, with every error found in d) and sets *out
 * to NULL: a policy is never half compiled. Warnings are added to d in both
 * cases. opts may be NULL.
 */
struct sov_policy_opts {
	const char *locdb_path;		/* override of the location database */
	unsigned int flags;		/* SOV_POLICY_F_* */
	/* Warn about a location database created, or a range file modified,
	 * more than this many days before now (0: no such warning; sovctl
	 * policy check --max-age). now: the time to compare with (0: time()). */
	unsigned int max_age_days;
	long long now;
};

/*
 * Touch no file other than the policy itself: zone files are reported as
 * not read and class paths are not checked for existence (fuzzing).
 */
#define SOV_POLICY_F_NO_FS	(1u << 0)
/*
 * Do not check that class paths exist (a policy checked on a machine
 * without the data: sovctl policy check --offline). Zone files, range files
 * and the location database are still read.
 */
#define SOV_POLICY_F_OFFLINE	(1u << 1)

int sov_policy_compile_file(const char *path, const struct sov_policy_opts *opts,
			    struct sov_policy_image **out, struct sov_diags *d);
/*
 * The same, for a policy already in memory; name is used in diagnostics
 * and as the image's path. Zone files and the files it includes (relative
 * to name's directory) are still read from disk.
 */
int sov_policy_compile_buffer(const char *name, const void *buf, size_t len,
			      const struct sov_policy_opts *opts,
			      struct sov_policy_image **out, struct sov_diags *d);
void sov_policy_free(struct sov_policy_image *img);

/*
 * The result of a compile (its return code, every diagnostic of d and the
 * image, NULL after a failed compile) as one flat buffer, for a compile
 * that runs in another process of the same binary (sovd's compile child,
 * agent/compile_child.c). *buf is malloc'd. 0 or -ENOMEM.
 */
int sov_policy_pack(int rc, const struct sov_policy_image *img, const struct sov_diags *d,
		    void **buf, size_t *len);
/*
 * Back: *rc, the diagnostics appended to d and *out (NULL when none was
 * packed), equal field by field to what was packed, lookup index included.
 * -EBADMSG for a buffer that is short, garbled or from another build
 * (*out NULL; diagnostics read before the damage stay in d), -ENOMEM.
 */
int sov_policy_unpack(const void *buf, size_t len, int *rc,
		      struct sov_policy_image **out, struct sov_diags *d);

/* The compiled tables as one JSON document (sovctl policy compile -o json). */
int sov_policy_write_json(const struct sov_policy_image *img, FILE *out);
/* Human-readable summary of the same tables. */
int sov_policy_write_text(const struct sov_policy_image *img, FILE *out);

/*
 * Zone of an address by longest-prefix match over img->v4 / img->v6, exactly
 * as the kernel's LPM tries answer. family is AF_INET or AF_INET6; addr is in
 * network byte order. IPv4-mapped IPv6 addresses are looked up as IPv4.
 * Returns the zone id (SOV_ZONE_UNKNOWN = 0 when none).
 */
uint32_t sov_policy_zone_of(const struct sov_policy_image *img, int family,
			    const void *addr);
const char *sov_policy_zone_name(const struct sov_policy_image *img, uint32_t id);
/* A channel's name in `channels:` ("raw", "ping", ...), NULL when ch is none. */
const char *sov_policy_channel_name(uint32_t ch);
/* Class names of a mask, comma-separated into buf; returns buf. */
const char *sov_policy_class_names(const struct sov_policy_image *img,
				   uint64_t mask, char *buf, size_t len);
/*
 * The classes named by a comma-separated list (the value of a file's
 * security.sovd attribute, docs/policy.md "Labels on files"): the mask of
 * the names this policy defines into *known. Names it does not define are
 * copied, comma-separated, into unknown (ulen bytes, may be 0). Empty
 * names (",,", a leading or trailing comma) are ignored; a name longer
 * than a class name may be counts as unknown. Returns the number of
 * unknown names, or -EINVAL when the text holds a byte that no class name
 * may hold (a NUL, a control character, a space).
 */
int sov_policy_class_mask(const struct sov_policy_image *img, const char *text,
			  size_t len, uint64_t *known, char *unknown, size_t ulen);

#endif /* SOV_POLICY_H */
