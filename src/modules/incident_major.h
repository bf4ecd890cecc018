/* modules/incident_major.h - regulatory reports (I5), major-incident mode (I6), confirmation
 * (I7), post-incident reviews and their actions (I8) and the incident KPIs (I9). */
#ifndef OL_INCIDENT_MAJOR_H
#define OL_INCIDENT_MAJOR_H
#include <jansson.h>
#include <time.h>

#include "core/db.h"
#include "records/ctx.h"
#include "records/schema.h"

extern const ol_record_type_t ol_incident_report_type; /* IRP: I5 */
extern const ol_record_type_t ol_timeline_type;        /* TL: I6 */
extern const ol_record_type_t ol_review_type;          /* PIR: I8 */
extern const ol_record_type_t ol_action_type;          /* ACT: I8 */

/* The incident type's check hook: major-incident mode, the regulatory report timers, the next
 * progress update, the confirmation deadline and the recovery time, with their reminders
 * through the outbox (incident_channel) in the write's transaction. */
int ol_incident_major_check(ol_conn_t *conn, ol_ctx_t *c, json_t *rec, const char *state,
                            const json_t *old);
/* The incident type's after-write hook: Q1 (problem_auto.c), then I8: closing a high or medium
 * priority incident opens its post-incident review. */
int ol_incident_after_write(ol_conn_t *conn, ol_ctx_t *c, const json_t *rec, const char *action);
/* When an incident next needs a look for I5-I7 (a report, an update or a confirmation falling
 * due), or 0. */
time_t ol_incident_major_next(const json_t *rec);
/* I8: when a review or an action next falls overdue, or 0. */
time_t ol_review_next(const json_t *rec);
time_t ol_action_next(const json_t *rec);

/* Re-writes incident number as the system with no input inside the current transaction, so
 * its check hook sees a new report or timeline entry. */
int ol_incident_touch(ol_conn_t *conn, ol_ctx_t *c, const char *number);
/* Tells incident_channel, in the write's transaction; key makes the notice unique. */
int ol_incident_notify(ol_conn_t *conn, ol_ctx_t *c, const char *event, const char *record,
                       const char *key, const char *subject_en, const char *subject_zh,
                       const char *body_en, const char *body_zh);
/* 1 when the actor holds one of roles (NULL-terminated) or is an administrator. */
int ol_incident_actor_has(const ol_ctx_t *c, const char *const *roles);

/* I9: c->result = the incident KPIs of [from, to) (incidents detected then), group NULL = all. */
int ol_report_incidents(ol_ctx_t *c, const char *from, const char *to, const char *group);

#endif
