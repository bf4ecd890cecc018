/* modules/change.h - change management (REQUIREMENTS C1-C9; 004 §7.2, 002 §2.5, §12.1.2,
 * 000 §3.4): what the change module's files share - the policies, the schedule rules (lead time,
 * windows, freezes), conflicts through the CMDB graph, the KPI report. */
#ifndef OL_CHANGE_H
#define OL_CHANGE_H
#include <jansson.h>
#include <time.h>

#include "core/config.h"
#include "records/ctx.h"
#include "records/schema.h"

extern const ol_record_type_t ol_change_type, ol_change_model_type, ol_freeze_type;
extern const char *const ol_change_levels[];     /* "major", "normal", "standard" */
extern const char *const ol_change_levels3[];    /* "high", "medium", "low" */
extern const char *const ol_change_types[];      /* "application", "infrastructure" */
extern const char *const ol_change_categories[];
/* States in which a change holds its slot on the ops calendar (conflicts are looked for among
 * them): assessment .. implementing. */
extern const char *const ol_change_active_states[];

/* C1: the level of a failure impact x failure likelihood (indexes into ol_change_levels3) by
 * the change_level_matrix policy: an index into ol_change_levels, or -1. */
int ol_change_level(int impact, int likelihood);

/* 1 when [s, e) lies inside the recommended window (change_recommended_window, 000 §3.4) of
 * one day in change_timezone. */
int ol_change_in_recommended_window(time_t s, time_t e);
/* Working days on the business calendar (5x8 of the SLA engine: holidays and 调休): the moment
 * n working days (of working hours) after t; the end of the working day n working days before
 * the day of t. */
time_t ol_change_working_days_after(time_t t, long n);
time_t ol_change_working_days_before(time_t t, long n);

/* The schedule rules (C3, C4) and conflicts (C5) of a change as it stands in rec (its
 * change_type, category, emergency, level, planned_start, planned_end, cis, number): each
 * refusal is added to c->errors on planned_start (or planned_end) naming the rule in c->lang;
 * warnings (the recommended window) and conflicts go into *report = {"warnings": [{"rule",
 * "message"}], "conflicts": [{"number", "title", "planned_start", "planned_end", "cis",
 * "via"}], "earliest_start": ISO or null}. now: the moment the lead time counts from. Reads
 * freezes, other changes and the CMDB graph on c->db as the system. Returns the number of
 * refusals added, or a negative database error (detail in c). */
int ol_change_rules(ol_ctx_t *c, const json_t *rec, time_t now, json_t **report);

/* GET /api/v1/changes/check?...: the dry run of a change's schedule for the form (the caller
 * needs create or update on changes). args: the query's fields (strings). c->result =
 * {"level", "ok", "errors": [...], "warnings": [...], "conflicts": [...], "earliest_start"}. */
int ol_change_check(ol_ctx_t *c, const json_t *args);

/* A field error (code, arg) on field in c, and the request refused with detail: -OL_EINVAL. */
int ol_change_field_error(ol_ctx_t *c, const char *field, const char *code, const char *arg,
                          const char *detail);

/* C6 approvals (modules/change_approval.c): the leadership role, the guards of reject (in the
 * leadership's review only the leadership) and approve_emergency (the head of the requester's
 * unit, else by change_emergency_approver the shipped roles), and the check of a written
 * approval filed afterwards (check hook; sets written_approval_by and _at). */
extern const char *const ol_change_leadership_roles[];
int ol_change_reject_guard(const ol_guard_ctx_t *g, char *msg, size_t msglen);
int ol_change_emergency_approver(const ol_guard_ctx_t *g, char *msg, size_t msglen);
int ol_change_check_written_approval(struct ol_conn *conn, ol_ctx_t *c, json_t *rec,
                                     const json_t *old);

/* What a change's steps do to other records (modules/change_effects.c), from the check hook in
 * the write's transaction: C7 the incident a failed change with impact opens (its number set in
 * rec's "incident"), C8 the CIs that must have been updated under the change before verify,
 * C6/C8 the notice of a due date just missed (once, to change_notify_channel). */
int ol_change_open_incident(struct ol_conn *conn, ol_ctx_t *c, json_t *rec);
int ol_change_check_ci_updates(struct ol_conn *conn, ol_ctx_t *c, const json_t *rec);
int ol_change_notify_late(struct ol_conn *conn, ol_ctx_t *c, const json_t *rec,
                          const json_t *old);

/* C6: emergency written approvals, C8 DR and regulator due dates: the change's next moment to
 * be looked at again (its wake-up), 0 = none (modules/change_sweep.c). */
time_t ol_change_next_wake(const json_t *rec);
/* Registers the wake-up rule (before the types are registered). */
void ol_change_prepare(void);
/* Re-writes the changes whose wake-up is due, so their overdue flags and back-out point are
 * brought up to date (serve's loop). Returns 0 or a negative database error. */
int ol_change_sweep(ol_db_t *db);

/* C9: the KPI report of changes planned in [from, to) into c->result (export permission on
 * changes; bad times -OL_EINVAL naming from/to). */
int ol_report_changes(ol_ctx_t *c, const char *from, const char *to);

#endif
