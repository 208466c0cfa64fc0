// SPDX-License-Identifier: Apache-2.0
/*
 * The policy lifecycle (lifecycle.h).
 * Calls: compile_child.c (compile), labels.c, policy_maps.c, pipeline.c, jbuf.c,
 * log.c. Called by main.c (start-up, SIGHUP) and api.c (apply).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "agent/compile_child.h"
#include "agent/jbuf.h"
#include "agent/kpath.h"
#include "agent/labels.h"
#include "agent/lifecycle.h"
#include "agent/log.h"
#include "agent/pipeline.h"
#include "agent/policy_maps.h"
#include "policy/policy.h"

int policy_compile(const struct policy_life *pl, const char *path,
		   struct sov_policy_image **img, char *msg, size_t len)
{
	struct sov_policy_opts po = { .locdb_path = pl->locdb };
	struct sov_diags diags;
	char why[256];
	FILE *mf;
	int err;

	msg[0] = '\0';
	sov_diags_init(&diags);
	/* in a child: the compile's peak never lands in sovd (issue 14);
	 * sovd drains its events meanwhile */
	err = compile_child_policy(path, &po, img, &diags, pl->drain, pl->drain_ctx,
				   why, sizeof(why));
	mf = fmemopen(msg, len, "w");
	if (mf) {
		if (why[0])
			fprintf(mf, "error: %s\n", why);
		else
			sov_diags_print(&diags, mf);
		fclose(mf);
	}
	sov_diags_free(&diags);
	if (why[0])	/* the compiler failed, not the policy */
		return err == -EINVAL ? -ECHILD : err;
	return err ? -EINVAL : 0;
}

int policy_collect(struct policy_life *pl, const struct sov_policy_image *img)
{
	return labels_collect(pl->labels, img);
}

static int policy_collect_into(struct label_table *t, const struct sov_policy_image *img)
{
	return labels_collect(t, img);
}

/* What the renderings need, resolved once per policy: class names by bit,
 * the versions of the jurisdiction data behind the zones (evidence). */
static void resolve_view(struct policy_life *pl)
{
	const struct sov_policy_image *img = pl->img;
	struct sovd_policy_view *v = &pl->view;
	size_t off = 0, len = sizeof(pl->jdata);

	memset(v, 0, sizeof(*v));
	pl->jdata[0] = '\0';
	for (size_t i = 0; i < img->n_sources && off < len; i++)
		off += snprintf(pl->jdata + off, len - off, "%s%s:%s", i ? ";" : "",
				img->sources[i].kind, img->sources[i].version);
	if (!pl->jdata[0])
		snprintf(pl->jdata, len, "explicit");
	for (size_t i = 0; i < img->n_classes; i++)
		if (img->classes[i].bit < SOV_MAX_CLASSES)
			v->class_name[img->classes[i].bit] = img->classes[i].name;
	v->sha256 = img->sha256_hex;
	v->jdata = pl->jdata;
	v->img = img;
	v->generation = pl->generation;
	pipeline_set_policy(pl->pipe, v);
}

static void drain(struct policy_life *pl)
{
	if (pl->drain)
		pl->drain(pl->drain_ctx);
}

/*
 * The one way a compiled, collected policy gets into force, at start-up and
 * on apply: stage (the inactive half), write the labels of t, commit (one
 * map write flips to the new half), record the class names. Until commit
 * nothing in force changes; a failure before it takes the labels it wrote
 * back, so that the old policy stays whole. first: start-up, where pinned
 * labels of an earlier run are renumbered before the new ones are merged.
 * The ring buffer is drained between the steps.
 */
static int install(struct policy_life *pl, struct sov_policy_image *img,
		   struct label_table *t, uint32_t generation, int first, char *msg, size_t len)
{
	struct label_undo undo = {};
	int err;

	if (first && (err = policy_maps_remap_classes(pl->maps, img))) {
		snprintf(msg, len, "failed to record class names: %s\n", strerror(-err));
		return err;
	}
	err = policy_maps_stage(pl->maps, img);
	if (err) {
		snprintf(msg, len, "failed to write the policy into the kernel: %s\n", strerror(-err));
		return err;
	}
	drain(pl);
	err = labels_write(t, pl->maps->fd, pl->maps->pin_dir, first ? NULL : &undo);
	if (err == -ENOSPC) {
		snprintf(msg, len, "the new policy's labels do not fit in the label map; raise --max-labels and restart sovd (a pinned map keeps its size until removed after a stop)\n");
		return err;
	}
	if (err) {
		snprintf(msg, len, "failed to write the new policy's labels: %s\n", strerror(-err));
		return err;
	}
	drain(pl);
	err = policy_maps_commit(pl->maps, img, generation);
	if (err) {
		labels_undo(&undo, pl->maps->fd);
		snprintf(msg, len, "failed to switch to the new policy: %s\n", strerror(-err));
		return err;
	}
	labels_undo_free(&undo);
	/* The aggregates of the policy that was in force, named by it
	 * (the view is still the old one): issue 14, agent/flows.c. */
	if (pl->flows_flush)
		pl->flows_flush(pl->drain_ctx);
	if (!first && policy_maps_remap_classes(pl->maps, img))
		pr_warn("failed to record the class names of generation %u", generation);
	return 0;
}

int policy_install_first(struct policy_life *pl, struct sov_policy_image *img)
{
	char msg[256];
	int err;

	pl->img = img;
	pl->generation = 1;
	resolve_view(pl);
	err = install(pl, img, pl->labels, 1, 1, msg, sizeof(msg));
	if (err)
		pr_err("%.*s", (int)strcspn(msg, "\n"), msg);
	return err;
}

void policy_announce(struct policy_life *pl)
{
	struct jbuf b;

	jb_init(&b);
	jb_str(&b, "sha256", pl->img->sha256_hex);
	jb_u64(&b, "generation", pl->generation);
	jb_str(&b, "path", pl->img->path);
	jb_str(&b, "jdata", pl->jdata);
	if (!b.oom)
		pipeline_emit_own(pl->pipe, "policy", b.s);
	jb_free(&b);
}

/* Same scope, same classes in the same bit positions (appending is fine):
 * labels and taint in the kernel are class bits and must keep meaning. */
static int compatible(const struct sov_policy_image *a, const struct sov_policy_image *b,
		      char *msg, size_t len)
{
	if (a->n_scope != b->n_scope)
		goto scope;
	for (size_t i = 0; i < a->n_scope; i++)
		if (strcmp(a->scope_cgroups[i], b->scope_cgroups[i]))
			goto scope;
	if (b->n_classes < a->n_classes)
		goto classes;
	for (size_t i = 0; i < a->n_classes; i++)
		if (strcmp(a->classes[i].name, b->classes[i].name))
			goto classes;
	return 0;
scope:
	snprintf(msg, len, "the new policy changes scope.cgroups; restart sovd to change the scope\n");
	return -EINVAL;
classes:
	snprintf(msg, len, "the new policy removes or reorders classes; classes can only be appended while sovd runs (restart sovd to renumber them)\n");
	return -EINVAL;
}

int policy_apply_file(struct policy_life *pl, const char *path, char *msg, size_t len)
{
	struct sov_policy_image *img = NULL, *old = pl->img;
	struct label_table t = {};
	int err;

	err = policy_compile(pl, path, &img, msg, len);
	if (err) {
		pr_warn("policy %s rejected; the current policy stays in force", path);
		goto out;
	}
	err = compatible(old, img, msg, len);
	if (err)
		goto out;
	drain(pl);
	/* The new labels are collected into a copy of the table: it
	 * replaces the one in force only if the policy does. */
	err = labels_copy(&t, pl->labels);
	if (err) {
		snprintf(msg, len, "out of memory\n");
		goto out;
	}
	err = policy_collect_into(&t, img);
	if (err) {
		snprintf(msg, len, "failed to label the new policy's paths: %s\n", strerror(-err));
		goto out;
	}
	drain(pl);
	err = install(pl, img, &t, pl->generation + 1, 0, msg, len);
	if (err)
		goto out;
	labels_free(pl->labels);
	*pl->labels = t;
	memset(&t, 0, sizeof(t));
	pl->img = img;
	img = NULL;
	pl->generation++;
	resolve_view(pl);
	sov_policy_free(old);
	snprintf(msg, len, "generation=%u sha256=%s\n", pl->generation, pl->img->sha256_hex);
	policy_announce(pl);
	pr_info("policy %s applied, generation %u", path, pl->generation);
out:
	labels_free(&t);
	sov_policy_free(img);
	return err;
}

void policy_life_free(struct policy_life *pl)
{
	pipeline_set_policy(pl->pipe, NULL);
	sov_policy_free(pl->img);
	pl->img = NULL;
}
