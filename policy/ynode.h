/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A YAML document as a small tree that keeps the 1-based line and column of
 * every node, built from libyaml's event API. Aliases are refused (they make
 * the tree a graph and allow exponential expansion); duplicate and
 * non-scalar mapping keys are reported while the tree is built.
 */
#ifndef SOV_POLICY_YNODE_H
#define SOV_POLICY_YNODE_H

#include <stddef.h>
#include "policy/policy.h"

#define YNODE_MAX_DEPTH	64

enum ynode_kind { YN_SCALAR, YN_SEQ, YN_MAP };

struct ynode {
	enum ynode_kind kind;
	const char *file;	/* the file it was read from (diagnostics); the
				 * string passed to sovp_ynode_parse, which
				 * must outlive the tree */
	int line, col;
	int quoted;		/* scalar was quoted or tagged: never null */
	int dup;		/* a mapping key seen before in the same mapping */
	char *str;		/* scalar value, NUL-terminated */
	size_t len;		/* its length (it may hold NUL bytes) */
	struct ynode **kids;	/* sequence items; mapping: key, value, ... */
	size_t n, cap;
};

/*
 * Parses buf (named file in diagnostics and in every node's file: the
 * string must outlive the tree). Returns 0 and *root (NULL for an
 * empty stream), -EINVAL after reporting a syntax error in d, or -ENOMEM.
 */
int sovp_ynode_parse(const char *file, const void *buf, size_t len,
		     struct ynode **root, struct sov_diags *d);
void sovp_ynode_free(struct ynode *n);

/* "a mapping", "a list", "a scalar" or "empty" (null) for messages. */
const char *sovp_ynode_what(const struct ynode *n);

/* Longest scalar prefix shown in a message, and the buffer it needs. */
#define YNODE_SHOW_MAX	64
#define YNODE_SHOW_BUF	(YNODE_SHOW_MAX * 4 + 8)
/*
 * A scalar as it may appear inside a one-line message, written into buf
 * (YNODE_SHOW_BUF bytes): control bytes and quotes are escaped and long
 * values cut, so a hostile value cannot forge lines. Non-scalars are named
 * by their kind.
 */
const char *sovp_ynode_show(const struct ynode *n, char *buf);

/*
 * Reads a whole regular file of at most max bytes into a NUL-terminated
 * buffer (free it). Devices and FIFOs are refused: they could block or
 * never end. Returns 0, or a negative errno with *why naming the step
 * ("open", "stat", "read": then strerror(-ret) says why; or a full reason
 * such as "not a regular file" / "too large").
 */
int sovp_read_file(const char *path, size_t max, char **buf, size_t *len,
		   const char **why);
int sovp_ynode_is_null(const struct ynode *n);
/* A scalar whose bytes are exactly s. */
int sovp_ynode_eq(const struct ynode *n, const char *s);

/*
 * Edit distance between a (la bytes) and b, SIZE_MAX past
 * SOV_POLICY_NAME_MAX; the closest of cands to n within 2 edits (and closer
 * than a rewrite), or NULL: for "did you mean".
 */
size_t sovp_ynode_distance(const char *a, size_t la, const char *b);
const char *sovp_ynode_closest(const struct ynode *n, const char *const *cands, size_t nc);

#endif
