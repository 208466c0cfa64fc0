/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SOVD_LOG_H
#define SOVD_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

extern enum log_level log_threshold;

void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Routes libbpf's messages through log_msg (debug ones only at LOG_DEBUG). */
void log_setup_libbpf(void);
/* Silences libbpf while probes fail on purpose. */
void log_libbpf_quiet(int on);

#define pr_err(...)	log_msg(LOG_ERROR, __VA_ARGS__)
#define pr_warn(...)	log_msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
