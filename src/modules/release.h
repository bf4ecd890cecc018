/* modules/release.h - releases (REQUIREMENTS R1-R3) and the operations calendar (P5): what the
 * release type, its gray-release rollout, the calendar and its API share. */
#ifndef OL_RELEASE_H
#define OL_RELEASE_H
#include <jansson.h>
#include <time.h>

#include "core/db.h"
#include "records/ctx.h"
#include "records/schema.h"

extern const ol_record_type_t ol_release_type;
extern const ol_record_type_t ol_ops_event_type;

/* ---- gray-release plans and gates (modules/release_rollout.c) -------------------------------- */

#define OL_RELEASE_MAX_STAGES 10
#define OL_RELEASE_MAX_GATES 10

typedef struct {
    int percent;          /* share of traffic, 1..100, rising; the last is 100 */
    long observe_minutes; /* how long the stage is watched before it may widen; 0 = none */
} ol_stage_t;

typedef struct {
    char metric[41];      /* [a-z0-9_], e.g. error_rate, latency_ms */
    int at_most;          /* 1: value <= limit passes; 0: value >= limit passes */
    double limit;
} ol_gate_t;

/* "10%/30m,100%": 0 and the stages, or -1 with the reason in err. */
int ol_release_parse_stages(const char *spec, ol_stage_t *out, int *n, char *err, size_t errlen);
/* "error_rate<=1,latency_ms<=500": 0 and the gates, or -1 with the reason. */
int ol_release_parse_gates(const char *spec, ol_gate_t *out, int *n, char *err, size_t errlen);

/* The rollout as the release record mirrors it: the current stage (0 before the rollout), its
 * percent, when it started, when its watch ends, and the gate status: "pending" (no reading
 * yet, or the watch is not over), "passed" (the last reading met every gate and the watch is
 * over), "failed". Read on conn inside a write (the release's check hook). */
typedef struct {
    int stage, percent;
    char started_at[32], observe_until[32], gate_status[16];
} ol_rollout_state_t;
int ol_rollout_read(ol_conn_t *conn, const char *number, const json_t *rec,
                    ol_rollout_state_t *st);
/* Appends an event of the log inside the write. passed < 0: none. */
int ol_rollout_log(ol_conn_t *conn, const ol_ctx_t *c, const char *number, int stage,
                   const char *event, int percent, int passed, const char *metrics,
                   const char *detail, const char *source);

/* POST /releases/{number}/gate_readings {"metrics": {name: number}, "source"}: records the
 * reading against the gates of the current stage; when a gate fails, the circuit breaker trips
 * in the same transaction: the release is rolled back (transition "trip", as the system, with
 * the failed gates as the reason), and release_channel is told. Needs update on releases.
 * c->result = {"reading": {...}, "release": {...}}. */
int ol_release_reading_prepare(ol_ctx_t *c, const char *number, const json_t *input,
                               ol_write_t *w);
/* GET /releases/{number}/rollout: c->result = {"number", "stages": [{stage, percent,
 * observe_minutes, status}], "gates": [...], "events": [log, oldest first]}. */
int ol_release_rollout(ol_ctx_t *c, const char *number);

/* R3: wake-ups for overdue reviews and DR updates; serve's sweep. */
void ol_release_prepare(void);
int ol_release_sweep(ol_db_t *db);

/* ---- the operations calendar (modules/ops_calendar.c) ---------------------------------------- */

/* c->result = {"from", "to", "items": [{type, path, number, title, state, start, end, cis,
 * group, freeze}]} of every schedulable type the caller may read (release, ops_event, and
 * change and freeze when those types are registered) overlapping [from, to), soonest first.
 * types: comma-separated type paths or NULL; ci: only entries naming that CI, or NULL. */
int ol_calendar_list(ol_ctx_t *c, time_t from, time_t to, const char *types, const char *ci,
                     const char *team);
/* c->result = {"from", "to", "items": [{"kind": "same_ci", "ci", "entries": [a, b]} |
 * {"kind": "in_freeze", "freeze": f, "entries": [e]}]}. */
int ol_calendar_conflicts(ol_ctx_t *c, time_t from, time_t to);
/* The calendar in c->result as an RFC 5545 VCALENDAR (caller frees). */
char *ol_calendar_ical(const json_t *cal, const char *name, time_t stamp);

/* iCalendar feeds (modules/ops_calendar_feed.c). Create: {"name", "team"} (team: a group the
 * user belongs to, or absent = the user's own view); c->result holds the token once. */
int ol_feed_create_prepare(ol_ctx_t *c, const json_t *input, ol_write_t *w);
int ol_feed_list(ol_ctx_t *c);
int ol_feed_revoke_prepare(ol_ctx_t *c, long long id, ol_write_t *w);
/* The feed of a token: *text = the iCalendar text (caller frees); -OL_ENOTFOUND for an unknown
 * or revoked token. */
int ol_feed_render(ol_db_t *db, const char *token, char **text);

#endif
