/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "policy/ynode.h"

/* Edit distance, for "did you mean" on short keys and names. */
size_t sovp_ynode_distance(const char *a, size_t la, const char *b)
{
	size_t lb = strlen(b), i, j, row[SOV_POLICY_NAME_MAX + 1];

	if (la > SOV_POLICY_NAME_MAX || lb > SOV_POLICY_NAME_MAX)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/* The closest candidate within 2 edits (and closer than a rewrite), or NULL. */
const char *sovp_ynode_closest(const struct ynode *n, const char *const *cands, size_t nc)
{
	const char *best = NULL;
	size_t bd = 3, i;

	for (i = 0; i < nc; i++) {
		size_t dd = sovp_ynode_distance(n->str, n->len, cands[i]);

		if (dd < bd && dd < strlen(cands[i])) {
			bd = dd;
			best = cands[i];
		}
	}
	return best;
}

void sovp_ynode_free(struct ynode *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->n; i++)
		sovp_ynode_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
}

int sovp_ynode_is_null(const struct ynode *n)
{
	if (n->kind != YN_SCALAR || n->quoted)
		return 0;
	return n->len == 0 || sovp_ynode_eq(n, "~") || sovp_ynode_eq(n, "null") ||
	       sovp_ynode_eq(n, "Null") || sovp_ynode_eq(n, "NULL");
}

const char *sovp_ynode_what(const struct ynode *n)
{
	switch (n->kind) {
	case YN_MAP:
		return "a mapping";
	case YN_SEQ:
		return "a list";
	default:
		return sovp_ynode_is_null(n) ? "empty" : "a scalar";
	}
}

int sovp_ynode_eq(const struct ynode *n, const char *s)
{
	size_t l = strlen(s);

	return n->kind == YN_SCALAR && n->len == l && !memcmp(n->str, s, l);
}

static int add_kid(struct ynode *p, struct ynode *k)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		struct ynode **v = realloc(p->kids, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		p->kids = v;
		p->cap = cap;
	}
	p->kids[p->n++] = k;
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	const struct ynode *x = *(const struct ynode *const *)a;
	const struct ynode *y = *(const struct ynode *const *)b;
	size_t l = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->str, y->str, l);

	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	/* Equal keys: document order, so the first one stays the original. */
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->col < y->col ? -1 : x->col > y->col;
}

static void report_dup(const char *file, struct ynode *first, struct ynode *k,
		       struct sov_diags *d)
{
	k->dup = 1;
	sov_diags_add(d, SOV_DIAG_ERROR, file, k->line, k->col,
		      "duplicate key '%s' (first at line %d, column %d)",
		      k->str, first->line, first->col);
}

/* Keys must be scalars and unique; a duplicate is flagged and reported. */
static int check_map(const char *file, struct ynode *m, struct sov_diags *d)
{
	size_t i, j, nk = m->n / 2, nscal = 0;
	struct ynode **keys;

	for (i = 0; i < nk; i++) {
		struct ynode *k = m->kids[2 * i];

		if (k->kind != YN_SCALAR) {
			k->dup = 1;
			sov_diags_add(d, SOV_DIAG_ERROR, file, k->line, k->col,
				      "mapping key must be a scalar, not %s",
				      sovp_ynode_what(k));
		} else {
			nscal++;
		}
	}
	if (nscal < 2)
		return 0;
	if (nscal <= 16) {
		for (i = 0; i < nk; i++) {
			struct ynode *k = m->kids[2 * i];

			if (k->kind != YN_SCALAR)
				continue;
			for (j = 0; j < i; j++) {
				struct ynode *f = m->kids[2 * j];

				if (f->kind == YN_SCALAR && !f->dup &&
				    f->len == k->len && !memcmp(f->str, k->str, k->len)) {
					report_dup(file, f, k, d);
					break;
				}
			}
		}
		return 0;
	}
	keys = malloc(nscal * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (i = 0, j = 0; i < nk; i++)
		if (m->kids[2 * i]->kind == YN_SCALAR)
			keys[j++] = m->kids[2 * i];
	qsort(keys, nscal, sizeof(*keys), key_cmp);
	for (i = 1, j = 0; i < nscal; i++) {
		if (keys[i]->len == keys[j]->len &&
		    !memcmp(keys[i]->str, keys[j]->str, keys[i]->len))
			report_dup(file, keys[j], keys[i], d);
		else
			j = i;
	}
	free(keys);
	return 0;
}

/* Reader errors carry a byte offset instead of a mark. */
static void offset_pos(const unsigned char *buf, size_t len, size_t off,
		       int *line, int *col)
{
	size_t i, bol = 0;
	int l = 1;

	if (off > len)
		off = len;
	for (i = 0; i < off; i++) {
		if (buf[i] == '\n') {
			l++;
			bol = i + 1;
		}
	}
	*line = l;
	*col = (int)(off - bol) + 1;
}

static void syntax_error(const char *file, const yaml_parser_t *p,
			 const unsigned char *buf, size_t len, struct sov_diags *d)
{
	const char *problem = p->problem ? p->problem : "malformed YAML";
	int line, col;

	if (p->error == YAML_READER_ERROR) {
		offset_pos(buf, len, p->problem_offset, &line, &col);
		sov_diags_add(d, SOV_DIAG_ERROR, file, line, col,
			      "YAML syntax error: %s", problem);
		return;
	}
	line = (int)p->problem_mark.line + 1;
	col = (int)p->problem_mark.column + 1;
	if (p->context)
		sov_diags_add(d, SOV_DIAG_ERROR, file, line, col,
			      "YAML syntax error: %s (%s started at line %zu, column %zu)",
			      problem, p->context, p->context_mark.line + 1,
			      p->context_mark.column + 1);
	else
		sov_diags_add(d, SOV_DIAG_ERROR, file, line, col,
			      "YAML syntax error: %s", problem);
}

static struct ynode *new_node(const char *file, enum ynode_kind kind,
			      const yaml_mark_t *m)
{
	struct ynode *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->file = file;
	n->kind = kind;
	n->line = (int)m->line + 1;
	n->col = (int)m->column + 1;
	return n;
}

int sovp_ynode_parse(const char *file, const void *buf, size_t len,
		     struct ynode **root, struct sov_diags *d)
{
	struct ynode *stack[YNODE_MAX_DEPTH];
	struct ynode *top = NULL, *n;
	yaml_parser_t p;
	yaml_event_t ev;
	int depth = 0, docs = 0, done = 0, err = 0;

	*root = NULL;
	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, buf, len);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			if (p.error == YAML_MEMORY_ERROR) {
				err = -ENOMEM;
			} else {
				syntax_error(file, &p, buf, len, d);
				err = -EINVAL;
			}
			goto cleanup;
		}
		n = NULL;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				sov_diags_add(d, SOV_DIAG_ERROR, file,
					      (int)ev.start_mark.line + 1,
					      (int)ev.start_mark.column + 1,
					      "a policy is one YAML document, found a second one");
				err = -EINVAL;
			}
			break;
		case YAML_ALIAS_EVENT:
			sov_diags_add(d, SOV_DIAG_ERROR, file,
				      (int)ev.start_mark.line + 1,
				      (int)ev.start_mark.column + 1,
				      "YAML aliases are not supported in a policy");
			err = -EINVAL;
			break;
		case YAML_SCALAR_EVENT:
			n = new_node(file, YN_SCALAR, &ev.start_mark);
			if (!n) {
				err = -ENOMEM;
				break;
			}
			n->len = ev.data.scalar.length;
			n->str = malloc(n->len + 1);
			if (!n->str) {
				free(n);
				n = NULL;
				err = -ENOMEM;
				break;
			}
			memcpy(n->str, ev.data.scalar.value, n->len);
			n->str[n->len] = '\0';
			n->quoted = ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
				    !ev.data.scalar.plain_implicit;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (depth == YNODE_MAX_DEPTH) {
				sov_diags_add(d, SOV_DIAG_ERROR, file,
					      (int)ev.start_mark.line + 1,
					      (int)ev.start_mark.column + 1,
					      "nesting deeper than %d levels",
					      YNODE_MAX_DEPTH);
				err = -EINVAL;
				break;
			}
			n = new_node(file, ev.type == YAML_MAPPING_START_EVENT ? YN_MAP : YN_SEQ,
				     &ev.start_mark);
			if (!n)
				err = -ENOMEM;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth == 0)
				break;
			if (stack[depth - 1]->kind == YN_MAP)
				err = check_map(file, stack[depth - 1], d);
			depth--;
			break;
		default:
			break;
		}
		if (n) {
			/* Attach before pushing so the tree owns every node. */
			if (depth > 0) {
				if (add_kid(stack[depth - 1], n)) {
					sovp_ynode_free(n);
					err = -ENOMEM;
				}
			} else if (!top) {
				top = n;
			} else {
				sovp_ynode_free(n);
			}
			if (!err && n->kind != YN_SCALAR)
				stack[depth++] = n;
		}
		yaml_event_delete(&ev);
		if (err)
			goto cleanup;
	}
	*root = top;
	top = NULL;
cleanup:
	sovp_ynode_free(top);
	yaml_parser_delete(&p);
	return err;
}

const char *sovp_ynode_show(const struct ynode *n, char *buf)
{
	char *o = buf;
	size_t i;

	if (n->kind != YN_SCALAR)
		return sovp_ynode_what(n);
	for (i = 0; i < n->len && i < YNODE_SHOW_MAX; i++) {
		unsigned char ch = (unsigned char)n->str[i];

		if (ch < 0x20 || ch == 0x7f || ch == '\'')
			o += sprintf(o, "\\x%02x", ch);
		else
			*o++ = (char)ch;
	}
	if (i < n->len)
		o += sprintf(o, "...");
	*o = '\0';
	return buf;
}

int sovp_read_file(const char *path, size_t max, char **buf, size_t *len,
		   const char **why)
{
	struct stat st;
	size_t got = 0;
	char *b = NULL;
	int fd, err = 0;

	*buf = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		*why = "open";
		return -errno;
	}
	if (fstat(fd, &st)) {
		*why = "stat";
		err = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		err = -EINVAL;
		goto out;
	}
	if ((unsigned long long)st.st_size > max) {
		*why = "too large";
		err = -EFBIG;
		goto out;
	}
	b = malloc((size_t)st.st_size + 1);
	if (!b) {
		*why = "read";
		err = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, b + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*why = "read";
			err = -errno;
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	b[got] = '\0';
	*buf = b;
	*len = got;
	b = NULL;
out:
	free(b);
	close(fd);
	return err;
}
