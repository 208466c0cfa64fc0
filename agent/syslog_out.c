// SPDX-License-Identifier: Apache-2.0
/*
 * The syslog sink. Calls: ndjson.c (the line, the time), conn.c (the
 * clock), log.c, OpenSSL (tls). Called by main.c (parse, open, kick at
 * SIGHUP, close, the dropped counter for loss events); records arrive
 * through the sink table, and the sink's flush (after every batch, and
 * every 50 ms from the event loop) moves the connection along: connect,
 * TLS handshake, send. Every socket is non-blocking; nothing here waits,
 * except syslog_out_close() for its bounded time at stop.
 *
 * The message (RFC 5424): <PRI>1 TIMESTAMP HOSTNAME sovd PROCID MSGID - MSG
 * PRI is facility * 8 + a severity chosen by the event (severity()),
 * TIMESTAMP the event's time to the microsecond (RFC 5424 allows six
 * digits; the line keeps nanoseconds), HOSTNAME the host's name, PROCID
 * sovd's pid, MSGID the event's type, no structured data (an SD-ID of our
 * own would need a private enterprise number; collectors parse the JSON),
 * and MSG the NDJSON line of docs/events.md without its newline (ASCII
 * and valid UTF-8 only, as the one escaper makes it; no BOM).
 *
 * Framing: a datagram per message on a Unix socket (what /dev/log takes);
 * on TCP and TLS "LEN SP MSG" (octet counting, RFC 6587 3.4.1 and RFC
 * 5425 4.3), which rsyslog's imtcp and imptcp take. A connection that
 * breaks in the middle of a message sends that message again, whole, on
 * the next connection (the collector drops a partial frame). Messages
 * already in the kernel's send buffer when a collector dies are lost
 * without a count: TCP cannot tell.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include "agent/conn.h"
#include "agent/log.h"
#include "agent/ndjson.h"
#include "agent/syslog_out.h"

enum { ST_DOWN, ST_CONNECTING, ST_HANDSHAKE, ST_UP };

#define BACKOFF_MIN_MS 200
#define BACKOFF_MAX_MS 5000
#define HEADER_MAX 400
/* a collector that takes the connection and never finishes the handshake
 * (or a SYN that goes nowhere) must not hold the sink forever */
#define SETUP_TIMEOUT_MS 10000

int syslog_out_facility(const char *name)
{
	static const struct {
		const char *name;
		int code;
	} f[] = {
		{ "user", 1 }, { "daemon", 3 }, { "auth", 4 }, { "authpriv", 10 },
		{ "local0", 16 }, { "local1", 17 }, { "local2", 18 }, { "local3", 19 },
		{ "local4", 20 }, { "local5", 21 }, { "local6", 22 }, { "local7", 23 },
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (!strcmp(name, f[i].name))
			return f[i].code;
	return -1;
}

int syslog_out_parse(struct syslog_out *s, const char *spec, char *why, size_t len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	const char *hp, *port;
	char host[256];
	int rc;

	if (!strcmp(spec, "local"))
		spec = "unix:/dev/log";
	if (!strncmp(spec, "unix:", 5)) {
		struct sockaddr_un *un = (struct sockaddr_un *)&s->addr;

		if (!spec[5] || strlen(spec + 5) >= sizeof(un->sun_path)) {
			snprintf(why, len, "--syslog unix:PATH needs a socket path of 1..%zu bytes",
				 sizeof(un->sun_path) - 1);
			return -EINVAL;
		}
		memset(un, 0, sizeof(*un));
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, spec + 5);
		s->addr_len = sizeof(*un);
		s->kind = SYSLOG_UNIX;
		snprintf(s->target, sizeof(s->target), "%s", spec);
		return 0;
	}
	if (!strncmp(spec, "tcp://", 6))
		s->kind = SYSLOG_TCP;
	else if (!strncmp(spec, "tls://", 6))
		s->kind = SYSLOG_TLS;
	else {
		snprintf(why, len, "--syslog takes local, unix:PATH, tcp://HOST:PORT or tls://HOST:PORT, not '%s'",
			 spec);
		return -EINVAL;
	}
	hp = spec + 6;
	if (*hp == '[') {
		const char *e = strchr(hp, ']');

		if (!e || e[1] != ':' || (size_t)(e - hp - 1) >= sizeof(host)) {
			snprintf(why, len, "--syslog %s: an IPv6 address is written [ADDR]:PORT", spec);
			return -EINVAL;
		}
		memcpy(host, hp + 1, e - hp - 1);
		host[e - hp - 1] = '\0';
		port = e + 2;
	} else {
		const char *c = strrchr(hp, ':');

		if (!c || c == hp || (size_t)(c - hp) >= sizeof(host)) {
			snprintf(why, len, "--syslog %s: HOST:PORT expected", spec);
			return -EINVAL;
		}
		memcpy(host, hp, c - hp);
		host[c - hp] = '\0';
		port = c + 1;
	}
	if (!*port || strspn(port, "0123456789") != strlen(port) || atoi(port) < 1 ||
	    atoi(port) > 65535) {
		snprintf(why, len, "--syslog %s: the port must be 1..65535", spec);
		return -EINVAL;
	}
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc || !ai) {
		snprintf(why, len, "--syslog %s: cannot resolve %s: %s", spec, host,
			 rc ? gai_strerror(rc) : "no address");
		return -EINVAL;
	}
	/* the first address; a name is resolved at start only (a lookup
	 * could block the event loop) */
	memcpy(&s->addr, ai->ai_addr, ai->ai_addrlen);
	s->addr_len = ai->ai_addrlen;
	freeaddrinfo(ai);
	snprintf(s->host, sizeof(s->host), "%s", host);
	snprintf(s->target, sizeof(s->target), "%s", spec);
	return 0;
}

static void tls_errors(char *buf, size_t len)
{
	unsigned long e = ERR_get_error();

	if (!e) {
		snprintf(buf, len, "%s", "no detail");
		return;
	}
	ERR_error_string_n(e, buf, len);
	ERR_clear_error();
}

int syslog_out_open(struct syslog_out *s)
{
	char why[256];

	s->fd = -1;
	s->state = ST_DOWN;
	if (!s->cap)
		s->cap = SYSLOG_BUFFER_DEFAULT;
	s->buf = malloc(s->cap);
	if (!s->buf)
		return -ENOMEM;
	s->head = s->tail = s->off = 0;
	if (s->kind == SYSLOG_TLS) {
		s->ctx = SSL_CTX_new(TLS_client_method());
		if (!s->ctx)
			return -ENOMEM;
		SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION);
		SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER, NULL);
		/* the buffer moves (compaction) between retries of a write */
		SSL_CTX_set_mode(s->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
				 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
		if (s->ca_file ? !SSL_CTX_load_verify_locations(s->ctx, s->ca_file, NULL) :
				 !SSL_CTX_set_default_verify_paths(s->ctx)) {
			tls_errors(why, sizeof(why));
			pr_err("failed to load the syslog CA %s: %s",
			       s->ca_file ? s->ca_file : "(system default)", why);
			return -EINVAL;
		}
	}
	s->next_try_ms = 0;
	s->backoff_ms = BACKOFF_MIN_MS;
	return 0;
}

static void drop_conn(struct syslog_out *s, const char *what, const char *why)
{
	if (s->ssl) {
		SSL_free(s->ssl);
		s->ssl = NULL;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->state = ST_DOWN;
	/* a message cut by the break goes again, whole */
	s->off = 0;
	if (!s->down_logged)
		pr_warn("syslog %s: %s: %s; retrying with backoff, messages wait in a %zu-byte buffer",
			s->target, what, why, s->cap);
	s->down_logged = 1;
	s->next_try_ms = conn_now_ms() + s->backoff_ms;
	s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
}

static void now_up(struct syslog_out *s)
{
	s->state = ST_UP;
	s->connects++;
	s->backoff_ms = BACKOFF_MIN_MS;
	if (s->down_logged)
		pr_info("syslog %s: connected", s->target);
	s->down_logged = 0;
}

static void start_tls(struct syslog_out *s)
{
	struct in6_addr a6;
	char why[256];
	int is_ip = inet_pton(AF_INET, s->host, &a6) == 1 || inet_pton(AF_INET6, s->host, &a6) == 1;

	s->ssl = SSL_new(s->ctx);
	if (!s->ssl || !SSL_set_fd(s->ssl, s->fd)) {
		tls_errors(why, sizeof(why));
		drop_conn(s, "failed to set up TLS", why);
		return;
	}
	/* the certificate must name the host as given: a name, or an
	 * address (its subjectAltName IP) */
	if (is_ip) {
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s->ssl), s->host);
	} else {
		SSL_set_tlsext_host_name(s->ssl, s->host);
		SSL_set1_host(s->ssl, s->host);
	}
	if (s->state != ST_CONNECTING)
		s->setup_ms = conn_now_ms();
	s->state = ST_HANDSHAKE;
}

static void try_connect(struct syslog_out *s)
{
	int type = s->kind == SYSLOG_UNIX ? SOCK_DGRAM : SOCK_STREAM;

	s->fd = socket(s->addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		drop_conn(s, "failed to make a socket", strerror(errno));
		return;
	}
	if (connect(s->fd, (struct sockaddr *)&s->addr, s->addr_len)) {
		if (errno == EINPROGRESS && type == SOCK_STREAM) {
			s->state = ST_CONNECTING;
			s->setup_ms = conn_now_ms();
			return;
		}
		drop_conn(s, "failed to connect", strerror(errno));
		return;
	}
	if (s->kind == SYSLOG_TLS)
		start_tls(s);
	else
		now_up(s);
}

static void check_connecting(struct syslog_out *s)
{
	struct pollfd p = { .fd = s->fd, .events = POLLOUT };
	socklen_t l = sizeof(int);
	int err = 0;

	if (poll(&p, 1, 0) <= 0)
		return;
	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &l) || err) {
		drop_conn(s, "failed to connect", strerror(err ? err : errno));
		return;
	}
	if (s->kind == SYSLOG_TLS)
		start_tls(s);
	else
		now_up(s);
}

static void handshake(struct syslog_out *s)
{
	int rc = SSL_connect(s->ssl);
	char why[320];

	if (rc == 1) {
		now_up(s);
		return;
	}
	switch (SSL_get_error(s->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return;
	default: {
		long v = SSL_get_verify_result(s->ssl);

		if (v != X509_V_OK)
			snprintf(why, sizeof(why), "certificate: %s",
				 X509_verify_cert_error_string(v));
		else
			tls_errors(why, sizeof(why));
		drop_conn(s, "TLS handshake failed", why);
	}
	}
}

/* A collector that closed its end while idle: found before sending into
 * a dead connection (the first write after a FIN succeeds, and is lost). */
static int peer_closed(struct syslog_out *s)
{
	struct pollfd p = { .fd = s->fd, .events = POLLIN | POLLRDHUP };
	char c[256];

	if (s->kind == SYSLOG_UNIX || poll(&p, 1, 0) <= 0)
		return 0;
	if (p.revents & (POLLRDHUP | POLLHUP | POLLERR))
		return 1;
	if (s->ssl) {
		int n = SSL_read(s->ssl, c, sizeof(c));

		if (n > 0)
			return 0;
		int e = SSL_get_error(s->ssl, n);

		return !(e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE);
	}
	/* collectors send nothing; read what there is */
	return recv(s->fd, c, sizeof(c), MSG_DONTWAIT) == 0;
}

static void pop(struct syslog_out *s, uint32_t n)
{
	s->head += 4 + n;
	s->off = 0;
	if (s->head == s->tail)
		s->head = s->tail = 0;
}

/* Datagrams: up to 64 queued messages per sendmmsg(2), one each. */
static void send_dgram(struct syslog_out *s)
{
	while (s->state == ST_UP && s->head < s->tail) {
		struct mmsghdr mm[64];
		struct iovec iov[64];
		unsigned k = 0;
		size_t h = s->head;
		uint32_t n;
		int r;

		while (h < s->tail && k < 64) {
			memcpy(&n, s->buf + h, 4);
			iov[k] = (struct iovec){ .iov_base = s->buf + h + 4, .iov_len = n };
			mm[k] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[k], .msg_iovlen = 1 } };
			h += 4 + n;
			k++;
		}
		/* an error is the first message's: those before it went */
		r = sendmmsg(s->fd, mm, k, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ENOBUFS)
				return;
			memcpy(&n, s->buf + s->head, 4);
			if (errno == EMSGSIZE) {
				/* larger than the socket takes: it never will */
				s->dropped++;
				pop(s, n);
				continue;
			}
			drop_conn(s, "failed to send", strerror(errno));
			return;
		}
		for (int i = 0; i < r; i++) {
			memcpy(&n, s->buf + s->head, 4);
			s->sent++;
			pop(s, n);
		}
	}
}

/* TCP: up to 64 queued messages per sendmsg(2) (a syscall per message
 * costs more than the rest of the sink), then as many as it took. */
static void send_tcp(struct syslog_out *s)
{
	while (s->state == ST_UP && s->head < s->tail) {
		struct iovec iov[64];
		struct msghdr mh = { .msg_iov = iov };
		size_t h = s->head;
		ssize_t w;

		while (h < s->tail && mh.msg_iovlen < 64) {
			size_t skip = h == s->head ? s->off : 0;
			uint32_t n;

			memcpy(&n, s->buf + h, 4);
			iov[mh.msg_iovlen].iov_base = s->buf + h + 4 + skip;
			iov[mh.msg_iovlen++].iov_len = n - skip;
			h += 4 + n;
		}
		w = sendmsg(s->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			drop_conn(s, "failed to send", strerror(errno));
			return;
		}
		while (w > 0) {
			uint32_t n;
			size_t left;

			memcpy(&n, s->buf + s->head, 4);
			left = n - s->off;
			if ((size_t)w < left) {
				s->off += (size_t)w;
				return;
			}
			w -= (ssize_t)left;
			s->sent++;
			pop(s, n);
		}
	}
}

static void send_queue(struct syslog_out *s)
{
	while (s->state == ST_UP && s->head < s->tail) {
		uint32_t n;
		const char *m = s->buf + s->head + 4;
		ssize_t w;

		memcpy(&n, s->buf + s->head, 4);
		if (s->kind == SYSLOG_UNIX) {
			send_dgram(s);
			return;
		}
		if (s->ssl) {
			size_t done;
			int rc = SSL_write_ex(s->ssl, m + s->off, n - s->off, &done);

			if (rc == 1) {
				w = (ssize_t)done;
			} else {
				int e = SSL_get_error(s->ssl, rc);
				char why[256];

				if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
					return;
				if (e == SSL_ERROR_SYSCALL)
					snprintf(why, sizeof(why), "%s", strerror(errno));
				else
					tls_errors(why, sizeof(why));
				drop_conn(s, "failed to send", why);
				return;
			}
		} else {
			send_tcp(s);
			return;
		}
		s->off += (size_t)w;
		if (s->off == n) {
			s->sent++;
			pop(s, n);
		}
	}
}

/* One step of everything that can move without waiting. */
static void pump(struct syslog_out *s)
{
	if (s->state == ST_DOWN) {
		if (conn_now_ms() < s->next_try_ms)
			return;
		try_connect(s);
	}
	if (s->state == ST_CONNECTING)
		check_connecting(s);
	if (s->state == ST_HANDSHAKE)
		handshake(s);
	if ((s->state == ST_CONNECTING || s->state == ST_HANDSHAKE) &&
	    conn_now_ms() - s->setup_ms > SETUP_TIMEOUT_MS)
		drop_conn(s, s->state == ST_CONNECTING ? "failed to connect" : "TLS handshake failed",
			  "timed out after 10 s");
	if (s->state == ST_UP && peer_closed(s))
		drop_conn(s, "the collector closed the connection", "end of stream");
	if (s->state == ST_UP)
		send_queue(s);
}

void syslog_out_kick(struct syslog_out *s)
{
	if (s->kind == SYSLOG_OFF || !s->buf)
		return;
	s->backoff_ms = BACKOFF_MIN_MS;
	s->next_try_ms = 0;
	pump(s);
}

void syslog_out_close(struct syslog_out *s, int timeout_ms)
{
	int64_t end = conn_now_ms() + timeout_ms;

	if (s->kind == SYSLOG_OFF || !s->buf) {
		SSL_CTX_free(s->ctx);
		s->ctx = NULL;
		return;
	}
	while (s->buf && s->head < s->tail && conn_now_ms() < end) {
		struct pollfd p = { .fd = s->fd, .events = POLLOUT | POLLIN };

		pump(s);
		if (s->head == s->tail)
			break;
		/* a collector that is down gets its next try within the
		 * time given, no more */
		if (s->state == ST_DOWN && s->next_try_ms >= end)
			break;
		if (s->state == ST_DOWN)
			p.fd = -1;
		poll(&p, 1, 20);
	}
	if (s->buf && s->head < s->tail) {
		uint64_t left = 0;

		for (size_t h = s->head; h < s->tail;) {
			uint32_t n;

			memcpy(&n, s->buf + h, 4);
			h += 4 + n;
			left++;
		}
		s->dropped += left;
		pr_warn("syslog %s: %llu messages not sent at stop", s->target,
			(unsigned long long)left);
	}
	if (s->ssl) {
		SSL_shutdown(s->ssl);
		SSL_free(s->ssl);
		s->ssl = NULL;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	SSL_CTX_free(s->ctx);
	s->ctx = NULL;
	free(s->buf);
	s->buf = NULL;
}

/* Severity (RFC 5424): what an operator's filter keys on. */
static int severity(const struct sovd_event *ev)
{
	if (!strcmp(ev->type, "tamper"))
		return 2;	/* critical: sovd's own state was changed or attacked */
	if (!strcmp(ev->type, "loss"))
		return 3;	/* error: events or taint were lost */
	if (!strcmp(ev->type, "egress") && ev->verdict) {
		if (!strcmp(ev->verdict, "deny"))
			return 4;	/* warning: refused */
		if (!strcmp(ev->verdict, "audit"))
			return 5;	/* notice: would have been refused */
	}
	return 6;	/* informational: taint, derive, allowed flows, agent, policy */
}

static size_t header(const struct syslog_out *s, const struct sovd_event *ev, char *out,
		     size_t len)
{
	char ts[64];
	int n;

	/* nanoseconds cut to the six digits RFC 5424 allows */
	ndjson_time(ev->wall_ns, ts, sizeof(ts));
	if (strlen(ts) == 30) {
		ts[26] = 'Z';
		ts[27] = '\0';
	}
	n = snprintf(out, len, "<%d>1 %s %s sovd %d %s - ", s->facility * 8 + severity(ev), ts,
		     ev->host && ev->host[0] ? ev->host : "-", (int)getpid(), ev->type);
	return n < 0 || (size_t)n >= len ? 0 : (size_t)n;
}

size_t syslog_out_format(const struct syslog_out *s, struct sovd_event *ev, char *out,
			 size_t len)
{
	size_t h = header(s, ev, out, len), l;
	const char *line = ndjson_line(ev, &l);

	if (!h || !line || !l)
		return 0;
	l--;	/* no newline */
	if (h + l + 1 > len)
		return 0;
	memcpy(out + h, line, l);
	out[h + l] = '\0';
	return h + l;
}

static void emit(void *ctx, struct sovd_event *ev)
{
	struct syslog_out *s = ctx;
	char hdr[HEADER_MAX], frame[24] = "";
	size_t h, l, fl = 0, need;
	const char *line;
	uint32_t n;

	if (!s->buf)
		return;
	h = header(s, ev, hdr, sizeof(hdr));
	line = ndjson_line(ev, &l);
	if (!h || !line || !l) {
		s->dropped++;
		return;
	}
	l--;
	if (s->kind != SYSLOG_UNIX)
		fl = (size_t)snprintf(frame, sizeof(frame), "%zu ", h + l);
	need = 4 + fl + h + l;
	if (s->tail + need > s->cap && s->head) {
		/* the message being sent moves with the rest (the TLS
		 * context allows a moving write buffer) */
		memmove(s->buf, s->buf + s->head, s->tail - s->head);
		s->tail -= s->head;
		s->head = 0;
	}
	if (s->tail + need > s->cap) {
		s->dropped++;
		return;
	}
	n = (uint32_t)(fl + h + l);
	memcpy(s->buf + s->tail, &n, 4);
	memcpy(s->buf + s->tail + 4, frame, fl);
	memcpy(s->buf + s->tail + 4 + fl, hdr, h);
	memcpy(s->buf + s->tail + 4 + fl + h, line, l);
	s->tail += need;
}

static void flush(void *ctx)
{
	struct syslog_out *s = ctx;

	if (s->buf)
		pump(s);
}

struct sovd_sink syslog_out_sink(struct syslog_out *s)
{
	return (struct sovd_sink){ .name = "syslog", .emit = emit, .flush = flush, .ctx = s };
}
