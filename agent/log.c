// SPDX-License-Identifier: Apache-2.0
/* Levelled messages on stderr, libbpf's included. Calls: libc, libbpf's
 * libbpf_set_print only; every agent file may call it. */
#include <stdarg.h>
#include <stdio.h>
#include <bpf/libbpf.h>
#include "agent/log.h"

enum log_level log_threshold = LOG_INFO;
static int libbpf_quiet;

void log_libbpf_quiet(int on)
{
	libbpf_quiet = on;
}

static const char *const names[] = { "error", "warning", "info", "debug" };

static void vlog(enum log_level lvl, const char *fmt, va_list ap)
{
	if (lvl > log_threshold)
		return;
	fprintf(stderr, "sovd: %s: ", names[lvl]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(lvl, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum log_level lvl = level == LIBBPF_WARN ? LOG_WARN :
			     level == LIBBPF_INFO ? LOG_DEBUG : LOG_DEBUG;

	if (lvl > log_threshold || (libbpf_quiet && log_threshold < LOG_DEBUG))
		return 0;
	fprintf(stderr, "sovd: libbpf: ");
	return vfprintf(stderr, fmt, ap);
}

void log_setup_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
