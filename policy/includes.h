/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A policy and the files it includes (`include:`, docs/policy.md
 * "Includes") read into one YAML tree: the zones and classes of every
 * included file are moved into the root file's `zones` and `classes`
 * mappings, in load order, each node keeping the file it came from, so
 * the compiler and every diagnostic see one policy and the right file.
 *
 * Calls ynode.c and diag.c; called by compile.c (every compile) and
 * tools/sovctl/cmd_ptest.c (the positions `policy test` and `explain`
 * print).
 */
#ifndef SOV_POLICY_INCLUDES_H
#define SOV_POLICY_INCLUDES_H

#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"
#include "policy/ynode.h"

/* Limits: included files per policy, include nesting. */
#define SOVP_INCLUDE_MAX_FILES	1024
#define SOVP_INCLUDE_MAX_DEPTH	16

struct sovp_doc {
	struct ynode *root;	/* the root file's tree, included zones and
				 * classes merged in; NULL for an empty one */
	char **files;		/* [0] the root's name, then every included
				 * file as opened, in load order; the nodes'
				 * file pointers point here */
	uint8_t (*digest)[32];	/* SHA-256 of each file's bytes */
	size_t n_files;
};

/*
 * Parses the root policy buf (named name) and, following its `include:`
 * entries, every file it includes (relative entries resolve against the
 * directory of the including file as named). flags: SOV_POLICY_F_NO_FS
 * refuses includes without touching a file. Returns 0 with doc filled
 * (errors of the merge, such as a zone defined in two files, are in d:
 * the tree is still checked); -EINVAL when the policy could not be read
 * whole (a syntax error, an include that is missing, matches nothing,
 * cannot be read or closes a cycle: the errors are in d and checking the
 * rest would only report their consequences); -ENOMEM. Free doc with
 * sovp_doc_free() in every case.
 */
int sovp_doc_load(struct sovp_doc *doc, const char *name, const void *buf, size_t len,
		  unsigned int flags, struct sov_diags *d);
void sovp_doc_free(struct sovp_doc *doc);

/* The value of key in mapping m (the first one, not a duplicate), or NULL. */
struct ynode *sovp_map_get(const struct ynode *m, const char *key);

#endif
