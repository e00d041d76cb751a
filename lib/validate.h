/*
 * Pure checks of untrusted text: numbers, slugs, emails, ids. No I/O, no
 * allocation; each can be fuzzed on its own.
 */
#ifndef VALIDATE_H
#define VALIDATE_H

#include <stddef.h>

/* Parses all of s (decimal, optional '-') into *out within [min, max]. 0 or -1. */
int parse_long(const char *s, long min, long max, long *out);

/* "true"/"false" (also 1/0, yes/no, on/off). 0 or -1. */
int parse_bool(const char *s, int *out);

/* API.md's slug grammar: ^[a-z][a-z0-9-]{1,54}[a-z0-9]$, no "--". */
int slug_is_wellformed(const char *s);
/* www, api, admin, app, public, static, assets, docs, mail, pg*. */
int slug_is_reserved(const char *s);

/* A slug a new tenant may take: well-formed and not reserved. */
int slug_is_allowed(const char *s);

/* owner, admin or member. */
int role_is_valid(const char *s);

/* A pragmatic address check: one '@', a dot in the domain, no spaces or
 * control bytes, at most 254 bytes, local part at most 64. */
int email_is_valid(const char *s);

/* 8-4-4-4-12 hexadecimal, either case. */
int uuid_is_valid(const char *s);

/*
 * An RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM),
 * "T" and "Z" in either case, a real calendar date in years 0001..9999,
 * second 60 (a leap second) allowed, at most 9 fraction digits and an
 * offset of at most 15:59 (PostgreSQL's bound). Whatever passes, timestamptz
 * takes as it is.
 */
int rfc3339_is_valid(const char *s);

/* A tenant's status: provisioning, ready, suspended, deleting, deleted or failed. */
int tenant_status_is_valid(const char *s);

/* A job's status: pending, running, succeeded, failed or dead. */
int job_status_is_valid(const char *s);

/* Whether the n bytes at s are well-formed UTF-8 (no overlongs, no surrogates). */
int utf8_is_valid(const char *s, size_t n);

/* [A-Za-z0-9._-]{1,64}: an incoming X-Request-ID that may be kept. */
int request_id_is_valid(const char *s);

#endif
