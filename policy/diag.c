/* SPDX-License-Identifier: Apache-2.0 */
/* Diagnostics: every error and warning found in one run, with its position. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

void sov_diags_init(struct sov_diags *d)
{
	memset(d, 0, sizeof(*d));
}

void sov_diags_free(struct sov_diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

void sov_diags_add(struct sov_diags *d, enum sov_diag_level lvl,
		   const char *file, int line, int col, const char *fmt, ...)
{
	struct sov_diag *g;
	va_list ap;
	char *msg;
	int n;

	/*
	 * The error count is kept even when memory runs out, so a policy with
	 * an error that could not be recorded is still refused.
	 */
	if (lvl == SOV_DIAG_ERROR)
		d->n_errors++;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct sov_diag *v = realloc(d->v, cap * sizeof(*v));

		if (!v)
			return;
		d->v = v;
		d->cap = cap;
	}
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	g = &d->v[d->n];
	g->level = lvl;
	g->line = line;
	g->column = col;
	g->msg = msg;
	g->file = file ? strdup(file) : NULL;
	if (file && !g->file) {
		free(msg);
		return;
	}
	d->n++;
}

void sov_diags_print(const struct sov_diags *d, FILE *out)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct sov_diag *g = &d->v[i];
		const char *lvl = g->level == SOV_DIAG_ERROR ? "error" : "warning";

		if (!g->file)
			fprintf(out, "%s: %s\n", lvl, g->msg);
		else if (g->line <= 0)
			fprintf(out, "%s: %s: %s\n", g->file, lvl, g->msg);
		else
			fprintf(out, "%s:%d:%d: %s: %s\n", g->file, g->line,
				g->column > 0 ? g->column : 1, lvl, g->msg);
	}
}
