/* modules/service_desk.h - what the catalog, request, survey and complaint modules share
 * (REQUIREMENTS V1-V3): the service-desk roles, the requester's own-record rule, the closure
 * survey, the complaint policies and the two reports. */
#ifndef OL_SERVICE_DESK_H
#define OL_SERVICE_DESK_H
#include "core/config.h"
#include "core/db.h"
#include "core/mem.h"
#include "records/ctx.h"
#include "records/schema.h"

/* The staff who fulfil requests and handle complaints: service_desk, ops_engineer,
 * ops_manager (NULL-terminated). */
extern const char *const ol_sd_workers[];

/* 1 when state is in list (NULL-terminated). */
int ol_sd_in(const char *state, const char *const *list);
/* Sets rec[key] to now when on and it is unset; to null when not on. */
void ol_sd_stamp(json_t *rec, const char *key, int on);

/* 1 when rec[key] differs from old[key] (null and absent are the same; on create, old NULL:
 * when rec[key] is set). */
int ol_sd_changed(const json_t *old, const json_t *rec, const char *key);

/* Self-service (V2, V3): field names the party a record is for (requester, complainant). On
 * create it defaults to the actor. An actor without a service-desk role may raise a record
 * only for themselves and change only their own records, never handing them to someone else:
 * -OL_EINVAL naming the field, or -OL_EFORBIDDEN. Staff may act for anyone. */
int ol_sd_check_party(ol_ctx_t *c, json_t *rec, const json_t *old, const char *field);

/* V3: the requester's confirmation of request rec (rating, feedback) recorded as an answered
 * closure survey, in the confirmation's transaction (modules/survey.c). */
int ol_survey_closure(ol_conn_t *conn, ol_ctx_t *c, const json_t *rec);
/* V3: creates the periodic surveys that are due (one per requester of the last period, every
 * survey_period_days); returns how many, or a negative error. Called by serve. */
int ol_survey_schedule(ol_db_t *db);

/* V3 complaint policies (modules/complaint.c): the level names and the hours before each
 * automatic escalation, parsed from complaint_levels and complaint_escalation_hours. */
#define OL_COMPLAINT_MAX_LEVELS 5
int ol_complaint_policy(const ol_config_t *cfg, char names[][32], long *hours, char *err,
                        size_t errlen);
/* V3: raises the level of complaints left unaccepted past their level's time (serve's loop).
 * Returns how many rose, or a negative error. */
int ol_complaint_sweep(ol_db_t *db);

/* V3 reports over [from, to) (ISO UTC times; NULL = open-ended), into c->result. The caller
 * needs the "export" permission on complaints, resp. surveys (-OL_EFORBIDDEN); bad times are
 * -OL_EINVAL naming "from" or "to"; more than export_max_rows records are refused. */
int ol_report_complaints(ol_ctx_t *c, const char *from, const char *to);
int ol_report_satisfaction(ol_ctx_t *c, const char *from, const char *to);
/* A report's records: the caller's export permission on t, the period [from, to) checked into
 * f and t2 (stored forms, >= 32 bytes; "" = open), then every record of t with field in the
 * period and key = value when value is not NULL, into *items (read a page at a time through the
 * engine's list, so the data scope applies; more than export_max_rows are refused). */
int ol_report_gather(ol_ctx_t *c, const ol_record_type_t *t, const char *from, const char *to,
                     const char *field, const char *key, const char *value, char *f, char *t2,
                     json_t **items);
/* The report in c->result as CSV (UTF-8 with a byte-order mark) into out. */
void ol_report_csv(const json_t *report, ol_buf_t *out);

#endif
