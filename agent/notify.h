/* SPDX-License-Identifier: Apache-2.0 */
/*
 * systemd's readiness protocol (sd_notify(3)): datagrams of NAME=VALUE lines
 * to the socket named by $NOTIFY_SOCKET. Called by main.c at start-up (READY
 * once the policy is enforced), around a SIGHUP reload and at a stop. Without
 * $NOTIFY_SOCKET (not under systemd's Type=notify) every call does nothing.
 */
#ifndef SOVD_NOTIFY_H
#define SOVD_NOTIFY_H

/* Opens the socket $NOTIFY_SOCKET names and unsets the variable (children
 * must not inherit it). 0 also when it is not set; <0 when it is set but
 * unusable (the unit would then wait for READY=1 until its timeout). */
int notify_open(void);

/* Sends the lines (each "NAME=VALUE", without a newline), one datagram.
 * 0, or <0 on an error (logged once); nothing when no socket is open. */
int notify_send(const char *const *lines, int n);

/* The states sovd reports; status is a STATUS= text (may be NULL). */
void notify_ready(const char *status);
void notify_reloading(void);
void notify_stopping(const char *status);
void notify_status(const char *status);

void notify_close(void);

#endif
