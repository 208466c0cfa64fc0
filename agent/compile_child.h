/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy compile in a short-lived child process (issue 14): the
 * compile's peak (the location database walk, its tables, the mapped
 * database) is the child's, and sovd only ever holds the finished image,
 * which comes back over a pipe in sov_policy_pack()'s form.
 */
#ifndef SOVD_COMPILE_CHILD_H
#define SOVD_COMPILE_CHILD_H

#include <stddef.h>

struct sov_policy_image;
struct sov_policy_opts;
struct sov_diags;

/* What the child runs: a compile's result into *img and d, its return code. */
typedef int (*compile_child_fn)(void *ctx, struct sov_policy_image **img,
				struct sov_diags *d);

/*
 * Runs fn in a forked child and takes its result back. While the child
 * works, wait(wait_ctx) is called every 50 ms (may be NULL): sovd drains
 * its ring buffer there. Returns fn's return code, with fn's diagnostics
 * appended to d and *img set as fn set it, bit for bit; or, when the child
 * fails (cannot be started, is killed, crashes, exits without a whole
 * result), -ECHILD (or the fork's/pipe's -errno) with *img NULL, nothing
 * added to d and the reason in why ("the policy compiler (pid N) was
 * killed by signal 9 (Killed)").
 */
int compile_child_run(compile_child_fn fn, void *ctx, struct sov_policy_image **img,
		      struct sov_diags *d, void (*wait)(void *), void *wait_ctx,
		      char *why, size_t len);

/* sov_policy_compile_file(path, opts) through compile_child_run(). */
int compile_child_policy(const char *path, const struct sov_policy_opts *opts,
			 struct sov_policy_image **img, struct sov_diags *d,
			 void (*wait)(void *), void *wait_ctx, char *why, size_t len);

#endif
