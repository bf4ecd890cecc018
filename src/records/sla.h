/* records/sla.h - the SLA engine (REQUIREMENTS I4), usable by every record type.
 *
 * Policies (config keys sla_*) give per type, category and priority a response and a resolution
 * target in business minutes and the calendar they count in (records/sla_calendar.h). A record
 * of a type with a policy gets two timers in sla_timers, started in the transaction that
 * creates it and kept in step by every later write of it (ol_sla_on_write, called by the
 * engine): the response timer is met when the record reaches one of the type's response
 * states, the resolution timer at a resolution state (and runs again if the record is
 * reopened); both pause in the pause states (the time paused does not count) and stop in the
 * cancel states; a change of priority or category applies the new target to the time already
 * used. serve's sweep (ol_sla_sweep) fires what is due through two indexed columns: at the warn
 * share of a target, the warning (escalation to the second line: a work note on the record, a
 * notice to sla_channel, an audit entry); at the target, the breach (a row in sla_breaches for
 * the monthly report, a notice, an audit entry). */
#ifndef OL_SLA_H
#define OL_SLA_H
#include <jansson.h>
#include <time.h>

#include "core/config.h"
#include "core/db.h"
#include "records/ctx.h"
#include "records/schema.h"
#include "records/sla_calendar.h"

/* ---- policies (records/sla_policy.c) --------------------------------------------------------- */

typedef struct {
    char type[48], category[48], priority[32];  /* category "*" = any */
    long response_minutes, resolution_minutes;
    ol_cal_kind_t calendar;
} ol_sla_policy_t;

/* The check of the sla_* keys, run at start by ol_config_check: parses the policies, the state
 * lists, the warn share, the working hours and time zone, and loads the calendar file (the
 * configured one must exist and be valid; the default calendars/CN.json beside the binary may
 * be absent, and then 5x8 counts Monday to Friday). The parsed policy stays in effect. */
int ol_config_check_sla(const ol_config_t *cfg, char *err, size_t errlen);
/* After the record types are registered: every type, category, priority and state the policy
 * names must exist. 0, or -1 with the reason. */
int ol_sla_check_types(char *err, size_t errlen);
/* The policy for a record, or NULL. */
const ol_sla_policy_t *ol_sla_policy_find(const char *type, const char *category,
                                          const char *priority);
/* 1 when some policy names the type. */
int ol_sla_type_has_policy(const char *type);
/* The calendar of a kind, as configured. */
const ol_calendar_t *ol_sla_calendar(ol_cal_kind_t kind);
const char *ol_sla_calendar_name(ol_cal_kind_t kind); /* "7x24", "5x8" */
int ol_sla_calendar_by_name(const char *name, ol_cal_kind_t *kind);
/* Whether state is in the type's list: which = "response", "resolution", "pause", "cancel". */
int ol_sla_state_in(const char *which, const char *type, const char *state);
int ol_sla_warn_percent(void);
/* "10m", "2h", "1d" (24 hours): minutes (1..525600), or -1. */
long ol_sla_parse_duration(const char *s);

/* ---- timers (records/sla.c) ------------------------------------------------------------------ */

/* Brings the record's timers and wake-up in step with rec (its API form after the write;
 * record_id its row) inside the write's transaction. No SQL for a type without a policy or a
 * wake-up rule. 0 or a database error. */
int ol_sla_on_write(ol_conn_t *conn, const ol_ctx_t *c, const ol_record_type_t *t,
                    long long record_id, const json_t *rec);
/* One sweep: fires up to sla_sweep_batch due warnings and as many breaches (oldest first).
 * Returns how many fired, or a negative database error. */
int ol_sla_sweep(ol_db_t *db);

/* ---- wake-ups (records/sla.c) --------------------------------------------------------------- */

/* A type's rule for when one of its records is next due to be looked at again though nobody
 * writes it (I3: an incident's next level rise): that time, or 0 for never. */
typedef time_t (*ol_wake_fn)(const json_t *rec);
/* Registers fn for the type (at start, before serving; up to 8 types). From then on every write
 * of such a record keeps its row of record_wakeups in step, in the write's transaction
 * (ol_sla_on_write). */
void ol_wake_register(const char *type, ol_wake_fn fn);
/* *numbers = a new array of up to limit numbers of the type's records due by now, oldest
 * first (by the index on record_type, wake_at). */
int ol_wake_due(ol_db_t *db, const char *type, int limit, time_t now, json_t **numbers);
/* next = {number: time or 0}: moves each record's wake-up that is still due by now to the time
 * (0: removes it), in one transaction; one that a write moved meanwhile stays as it is. */
int ol_wake_settle(ol_db_t *db, const char *type, const json_t *next, time_t now);

/* ---- reading (records/sla_report.c) ---------------------------------------------------------- */

/* c->result = {"number", "timers": [{kind, status, calendar, target_minutes, started_at,
 * deadline, remaining_minutes, used_minutes, paused, paused_minutes, warned_at, breached,
 * breached_at, met_at}]} for a record the caller may read. */
int ol_sla_record(ol_ctx_t *c, const ol_record_type_t *t, const char *number);
/* c->result = {"items": [open timers whose deadline is before now + within_seconds, soonest
 * first, of the types (path, or NULL = all) and records the caller may read]}. */
int ol_sla_due(ol_ctx_t *c, const char *type_path, long within_seconds, int limit);
/* c->result = the SLA report of [from, to): per type, kind and priority the targets met in
 * time and breached, with the attainment in percent, and the list of breaches. type_path NULL
 * = every type the caller may export; group NULL = all groups. */
int ol_sla_report(ol_ctx_t *c, time_t from, time_t to, const char *type_path,
                  const char *group);
/* The report as CSV text (caller frees): a UTF-8 mark, a header, one "summary" row per type,
 * kind and priority, then one "breach" row per breach. */
char *ol_sla_report_csv(const json_t *report);
/* Parses the report's period: month "2026-11", or from/to dates "2026-11-01" (to exclusive)
 * or ISO times; none = the current month in the calendar's zone. Errors go to c->errors. */
int ol_sla_period(ol_ctx_t *c, const char *month, const char *from, const char *to,
                  time_t *t0, time_t *t1);

#endif
