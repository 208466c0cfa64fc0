/* SPDX-License-Identifier: Apache-2.0 */
/* A growing buffer for writing one compact JSON object, keys in call order. */
#ifndef SOVD_JBUF_H
#define SOVD_JBUF_H

#include <stddef.h>
#include <stdint.h>

struct jbuf {
	char *s;
	size_t len, cap;
	int first;	/* no comma before the next key */
	int oom;
};

void jb_init(struct jbuf *b);
void jb_free(struct jbuf *b);
void jb_reset(struct jbuf *b);
void jb_raw(struct jbuf *b, const char *s, size_t n);
void jb_open(struct jbuf *b);			/* { */
void jb_close(struct jbuf *b);			/* } */
void jb_key(struct jbuf *b, const char *key);	/* ,"key": */
void jb_str(struct jbuf *b, const char *key, const char *val);
void jb_u64(struct jbuf *b, const char *key, uint64_t v);
void jb_i64(struct jbuf *b, const char *key, int64_t v);
void jb_strn(struct jbuf *b, const char *val, size_t n);	/* a JSON string value */
void jb_array_begin(struct jbuf *b, const char *key);
void jb_array_str(struct jbuf *b, const char *val, int first);
void jb_array_end(struct jbuf *b);

#endif
