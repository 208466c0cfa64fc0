/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The syslog sink (--syslog): each record as an RFC 5424 message whose MSG
 * is its NDJSON line, to the local socket (datagrams), or to a remote
 * collector over TCP or TLS with octet-counted framing (RFC 6587, RFC
 * 5425). It never blocks the event loop: messages wait in a bounded
 * buffer, those that do not fit are dropped and counted (main journals a
 * loss event), and a lost connection is retried with backoff.
 */
#ifndef SOVD_SYSLOG_OUT_H
#define SOVD_SYSLOG_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "agent/record.h"

enum syslog_kind { SYSLOG_OFF = 0, SYSLOG_UNIX, SYSLOG_TCP, SYSLOG_TLS };

#define SYSLOG_BUFFER_DEFAULT (4u << 20)
#define SYSLOG_BUFFER_MIN 4096
#define SYSLOG_MAX_TARGETS 4	/* --syslog given more than once: a sink each */

struct ssl_ctx_st;
struct ssl_st;

struct syslog_out {
	/* set by syslog_out_parse() and main before syslog_out_open() */
	enum syslog_kind kind;
	char target[300];		/* for messages: unix:PATH, tcp://H:P, tls://H:P */
	char host[256];			/* tcp, tls: HOST as given (the name TLS checks) */
	struct sockaddr_storage addr;
	socklen_t addr_len;
	const char *ca_file;		/* tls: --syslog-ca; NULL: the system's CAs */
	int facility;			/* 0..23; default daemon (3) */
	size_t cap;			/* the buffer's bound in bytes */
	/* state */
	int fd;
	int state;			/* enum in syslog_out.c */
	struct ssl_ctx_st *ctx;
	struct ssl_st *ssl;
	char *buf;			/* messages: u32 length, then the bytes to send */
	size_t head, tail;		/* the first unsent message; the end */
	size_t off;			/* bytes of the head message already sent */
	int64_t next_try_ms;
	int64_t setup_ms;		/* when connecting began */
	unsigned backoff_ms;
	int down_logged;
	/* counters */
	uint64_t sent;			/* messages handed to the socket */
	uint64_t dropped;		/* messages that did not fit, or could not be sent */
	uint64_t connects;		/* connections made (the first one included) */
};

/* "local", "unix:PATH", "tcp://HOST:PORT", "tls://HOST:PORT" (an IPv6 HOST
 * in brackets): 0, or -EINVAL with why. Resolves HOST (at start only). */
int syslog_out_parse(struct syslog_out *s, const char *spec, char *why, size_t len);
/* "daemon", "auth", "authpriv", "user", "local0".."local7": the facility
 * number, or -1. */
int syslog_out_facility(const char *name);
/* The buffer and, for tls, the TLS context (a CA file that cannot be read
 * fails here). Connecting is tried at once, and a collector that is down
 * is no error: its messages wait. */
int syslog_out_open(struct syslog_out *s);
/* SIGHUP: a connection that is down is retried now. */
void syslog_out_kick(struct syslog_out *s);
/* Sends what it can for up to timeout_ms (the stop event), then closes. */
void syslog_out_close(struct syslog_out *s, int timeout_ms);
struct sovd_sink syslog_out_sink(struct syslog_out *s);

/* The message of ev (for tests): "<PRI>1 TIME HOST sovd PID MSGID - LINE"
 * without framing or newline; its length, or 0 if it did not fit. */
size_t syslog_out_format(const struct syslog_out *s, struct sovd_event *ev, char *out,
			 size_t len);

#endif
