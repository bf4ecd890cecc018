/* modules/survey.c - satisfaction surveys (REQUIREMENTS V3; 004 §5.1.5.4, §6.1.4.3, §6.1.5):
 * a closure survey is the requester's rating (1-5) and comment given when confirming a request;
 * periodic surveys are sent every survey_period_days to each requester of the last period and
 * answered by them (or expire). Both feed the satisfaction report (modules/sd_report.c). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/err.h"
#include "modules/service_desk.h"
#include "records/query.h"
#include "records/store.h"

extern const ol_record_type_t ol_survey_type;
extern const ol_record_type_t ol_request_type;

static const char *const kinds[] = {"closure", "periodic", NULL};

static const ol_field_t fields[] = {
    {"title", OL_F_STRING, OL_FIELD_REQUIRED | OL_FIELD_SEARCHABLE, 3, 200, NULL, NULL, "Title",
     "标题"},
    {"kind", OL_F_ENUM, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 0, 0, kinds, "\"periodic\"",
     "Kind", "类型"},
    {"respondent", OL_F_USER, OL_FIELD_FILTERABLE, 0, 0, NULL, NULL, "Respondent", "调查对象"},
    {"subject", OL_F_STRING, OL_FIELD_FILTERABLE, 0, 32, NULL, NULL, "About (REQ-…)",
     "评价对象(REQ-…)"},
    {"service", OL_F_STRING, OL_FIELD_FILTERABLE, 0, 32, NULL, NULL, "Service (SVC-…)",
     "服务(SVC-…)"},
    {"questions", OL_F_TEXT, 0, 0, 4000, NULL, NULL, "Questions", "调查内容"},
    {"period_from", OL_F_DATETIME, OL_FIELD_FILTERABLE, 0, 0, NULL, NULL, "Period from",
     "调查期间起"},
    {"period_to", OL_F_DATETIME, OL_FIELD_FILTERABLE, 0, 0, NULL, NULL, "Period to",
     "调查期间止"},
    {"rating", OL_F_INT, OL_FIELD_FILTERABLE, 1, 5, NULL, NULL, "Satisfaction (1-5)",
     "满意度(1-5)"},
    {"comment", OL_F_TEXT, 0, 0, 4000, NULL, NULL, "Comment", "意见和建议"},
    {"answered_at", OL_F_DATETIME, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, 0, NULL, NULL,
     "Answered at", "回复时间"},
};

static const char *const states[] = {"sent", "answered", "expired", NULL};
static const char *const st_sent[] = {"sent", NULL};
static const char *const everyone[] = {"*", NULL};
static const char *const desk[] = {"service_desk", "ops_manager", NULL};
static const char *const needs_rating[] = {"rating", NULL};

static int is_respondent(const ol_guard_ctx_t *g, char *msg, size_t msglen)
{
    const char *who = json_string_value(json_object_get(g->record, "respondent"));
    if (!who || !g->actor || strcmp(who, g->actor)) {
        snprintf(msg, msglen, "only the respondent answers a survey");
        return -OL_EFORBIDDEN;
    }
    return 0;
}

static const ol_transition_t transitions[] = {
    {"answer", st_sent, "answered", NULL, needs_rating, 0, is_respondent, "Answer", "填写"},
    {"expire", st_sent, "expired", desk, NULL, 0, NULL, "Expire", "过期"},
};

static void compute(json_t *rec, const char *state)
{
    ol_sd_stamp(rec, "answered_at", !strcmp(state, "answered"));
}

/* The respondent answers (rating, comment) once, by the answer transition. */
static int check(ol_conn_t *conn, ol_ctx_t *c, json_t *rec, const char *state, const json_t *old)
{
    (void)conn;
    int rc = ol_sd_check_party(c, rec, old, "respondent");
    int answering = old && !strcmp(json_string_value(json_object_get(old, "state")), "sent") &&
                    !strcmp(state, "answered");
    static const char *const answers[] = {"rating", "comment", NULL};
    for (int k = 0; rc == 0 && answers[k]; k++) {
        if (ol_sd_changed(old, rec, answers[k]) && !answering) {
            ol_schema_add_error(c->errors, answers[k], "rating_on_answer", c->lang, NULL);
            rc = ol_ctx_fail(c, -OL_EINVAL, "a survey is answered by its answer transition");
        }
    }
    return rc;
}

const ol_record_type_t ol_survey_type = {
    .name = "survey",
    .path = "surveys",
    .prefix = "SUR",
    .label_en = "Satisfaction survey",
    .label_zh = "满意度调查",
    .fields = fields,
    .nfields = sizeof fields / sizeof fields[0],
    .states = states,
    .transitions = transitions,
    .ntransitions = sizeof transitions / sizeof transitions[0],
    .perms = {.read = everyone, .create = desk, .update = everyone, .comment = everyone,
              .export = desk},
    .compute = compute,
    .check = check,
};

/* ---- writes made by the engine for the module ----------------------------------------------- */

static const char *const internal_roles[] = {"admin", NULL};

/* Runs a prepared write on the caller's connection, inside its transaction. */
static int run_here(ol_conn_t *conn, ol_ctx_t *c, ol_ctx_t *sc, int rc, ol_write_t *w)
{
    if (rc == 0) {
        rc = w->fn(conn, w->arg);
        w->free_arg(w->arg);
    }
    if (rc) {
        json_array_extend(c->errors, sc->errors);
        ol_ctx_fail(c, rc, "survey: %s", sc->detail);
    }
    return rc;
}

/* Creates a survey from in (and answers it with answer, when not NULL) as c's user. */
static int create_survey(ol_conn_t *conn, ol_ctx_t *c, const json_t *in, const json_t *answer)
{
    ol_ctx_t sc;
    ol_ctx_init(&sc, c->db, c->user, internal_roles);
    sc.via = c->via ? c->via : "system";
    sc.ip = c->ip;
    sc.lang = c->lang;
    ol_write_t w;
    int rc = run_here(conn, c, &sc, ol_rec_create_prepare(&sc, &ol_survey_type, in, &w), &w);
    if (rc == 0 && answer) {
        char number[32];
        snprintf(number, sizeof number, "%s",
                 json_string_value(json_object_get(sc.result, "number")));
        json_decref(sc.result);
        sc.result = NULL;
        rc = run_here(conn, c, &sc,
                      ol_rec_transition_prepare(&sc, &ol_survey_type, number, "answer", 0, answer,
                                                &w),
                      &w);
    }
    ol_ctx_clear(&sc);
    return rc;
}

int ol_survey_closure(ol_conn_t *conn, ol_ctx_t *c, const json_t *rec)
{
    const char *number = json_string_value(json_object_get(rec, "number"));
    char title[96];
    snprintf(title, sizeof title, "Satisfaction with %s", number);
    json_t *in = json_pack("{sssssssOsO}", "title", title, "kind", "closure", "subject", number,
                           "respondent", json_object_get(rec, "requester"), "service",
                           json_object_get(rec, "service"));
    json_t *given = json_pack("{sO}", "rating", json_object_get(rec, "rating"));
    const json_t *comment = json_object_get(rec, "feedback");
    if (json_is_string(comment))
        json_object_set(given, "comment", (json_t *)comment);
    json_t *answer = json_pack("{so}", "fields", given);
    int rc = create_survey(conn, c, in, answer);
    json_decref(in);
    json_decref(answer);
    return rc;
}

/* ---- periodic surveys ----------------------------------------------------------------------- */

typedef struct {
    ol_ctx_t *c;
    json_t *respondents; /* usernames */
    const char *from, *to;
    int made;
} periodic_t;

/* 1 when a periodic survey was made since from (inside the write: see periodic_job). */
static int periodic_made(ol_conn_t *conn, const char *from, int *made)
{
    ol_rows_t *r;
    ol_val_t v[] = {OL_VTEXT(from)};
    int rc = ol_db_exec(conn, ol_conn_kind(conn) == OL_DB_PG
                                  ? "SELECT COUNT(*) FROM records WHERE type = 'survey' AND "
                                    "created_at >= ?1 AND data->>'kind' = 'periodic'"
                                  : "SELECT COUNT(*) FROM records WHERE type = 'survey' AND "
                                    "created_at >= ?1 AND "
                                    "json_extract(data, '$.kind') = 'periodic'",
                        v, 1, &r);
    if (rc == 0)
        *made = ol_rows_int(r, 0, 0) > 0;
    ol_rows_free(r);
    return rc;
}

static int periodic_job(ol_conn_t *conn, void *arg)
{
    periodic_t *p = arg;
    size_t i;
    json_t *who;
    /* The sweep runs on the leader only; should two nodes run it at once (a leadership
     * handover), the second one, serialised here, finds the first one's surveys. */
    int made = 0, rc = ol_db_xact_lock(conn, "survey.periodic");
    if (rc == 0)
        rc = periodic_made(conn, p->from, &made);
    if (rc || made)
        return rc;
    json_array_foreach(p->respondents, i, who) {
        char title[96];
        snprintf(title, sizeof title, "Periodic satisfaction survey %.10s", p->to);
        json_t *in = json_pack("{sssssOssss}", "title", title, "kind", "periodic", "respondent",
                               who, "period_from", p->from, "period_to", p->to);
        rc = create_survey(conn, p->c, in, NULL);
        json_decref(in);
        if (rc)
            return rc;
        p->made++;
    }
    return 0;
}

/* Lists one page of t with the given filters (pairs, NULL-terminated) into c->result. */
static int list(ol_ctx_t *c, const ol_record_type_t *t, const char *const *args)
{
    ol_query_t q;
    ol_query_init(&q);
    int rc = 0;
    for (int k = 0; rc == 0 && args[k]; k += 2)
        rc = ol_query_add(c, t, &q, args[k], args[k + 1]);
    if (rc == 0)
        rc = ol_rec_list(c, t, &q);
    ol_query_clear(&q);
    return rc;
}

int ol_survey_schedule(ol_db_t *db)
{
    long days = ol_config_int(ol_config()->survey_period_days);
    if (days <= 0)
        return 0;
    char from[32], to[32];
    time_t now = ol_time();
    ol_iso_at(now - days * 86400, from);
    ol_iso_at(now, to);
    ol_ctx_t c;
    ol_ctx_init(&c, db, "system", internal_roles);
    c.via = "system";
    const char *const last[] = {"kind", "periodic", "created_at[gte]", from, "limit", "1", NULL};
    int rc = list(&c, &ol_survey_type, last);
    int due = rc == 0 && json_array_size(json_object_get(c.result, "items")) == 0;
    json_t *respondents = json_array();
    char cursor[512] = "";
    /* Everyone whose request closed in the period, a page at a time (at most 50 pages). */
    for (int page = 0; due && rc == 0 && page < 50; page++) {
        json_decref(c.result);
        c.result = NULL;
        const char *const closed[] = {"state", "closed", "state_changed_at[gte]", from, "limit",
                                      "200", cursor[0] ? "cursor" : NULL, cursor, NULL};
        if ((rc = list(&c, &ol_request_type, closed)))
            break;
        size_t i;
        json_t *r;
        json_array_foreach(json_object_get(c.result, "items"), i, r) {
            json_t *who = json_object_get(r, "requester");
            int seen = !json_is_string(who);
            for (size_t k = 0; !seen && k < json_array_size(respondents); k++)
                seen = json_equal(json_array_get(respondents, k), who);
            if (!seen)
                json_array_append(respondents, who);
        }
        const char *next = json_string_value(json_object_get(c.result, "next_cursor"));
        if (!next || snprintf(cursor, sizeof cursor, "%s", next) >= (int)sizeof cursor)
            break;
    }
    periodic_t p = {&c, respondents, from, to, 0};
    if (rc == 0 && due && json_array_size(respondents)) {
        ol_write_t w = {periodic_job, &p, NULL};
        rc = ol_write_run(db, &w);
    }
    json_decref(respondents);
    ol_ctx_clear(&c);
    return rc ? rc : p.made;
}
