/* core/clock.h - the one clock every policy reads (lockout, expiry, sessions, audit times).
 *
 * Tests move it: when the environment variable OPSLEDGER_TEST_CLOCK names a file at start, the
 * integer in that file (seconds, may be negative) is added to the real time; the file is read
 * again whenever it changes. Without the variable the real clock is used, at no cost. */
#ifndef OL_CLOCK_H
#define OL_CLOCK_H
#include <time.h>

/* Seconds since the epoch, UTC. */
time_t ol_time(void);
/* The same with nanoseconds. */
void ol_clock(struct timespec *ts);
/* ISO 8601 UTC "2026-11-22T10:00:00Z" of t into buf (>= 32 bytes); returns buf. */
const char *ol_iso_at(time_t t, char *buf);
/* Parses that form (fractions and a trailing Z allowed); returns 0 or -1. */
int ol_iso_parse(const char *s, time_t *out);

#endif
