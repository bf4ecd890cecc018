/* modules/review.c - post-incident reviews and their actions (REQUIREMENTS I8; 004 §9.1.6.2,
 * 002 §2.3.2 (4)). A review (PIR-) of any record (an incident now; a change or a release later:
 * "source" names it) opens by itself when a high or medium priority incident closes and is due
 * within incident_review_hours; it holds the 9.1.6.2 contents (root cause, final level, business
 * impact, responsible party, timeline review, lessons and the knowledge article they went to)
 * and closes only when every action it raised is done. An action (ACT-) of any source record
 * has an owner and a due date, is done by its owner's side and verified by someone else (the
 * verifier neither did it nor owns it). Both turn overdue by wake-ups and tell
 * incident_channel once. */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "modules/incident_major.h"
#include "modules/service_desk.h"
#include "records/store.h"

static const char *const readers[] = {"service_desk", "ops_engineer", "ops_manager",
                                      "emergency_command", "emergency_handling",
                                      "problem_manager", NULL};
static const char *const reviewers[] = {"ops_manager", "problem_manager", "emergency_command",
                                        NULL};
static const char *const workers[] = {"ops_engineer", "ops_manager", "problem_manager",
                                      "emergency_command", "emergency_handling", NULL};

/* The record of any type with this number (by its prefix), or -OL_ENOTFOUND. */
static int find_any(ol_conn_t *conn, ol_ctx_t *c, const char *number, json_t **rec,
                    const ol_record_type_t **type)
{
    for (size_t i = 0; number && i < ol_schema_count(); i++) {
        const ol_record_type_t *t = ol_schema_at(i);
        size_t n = strlen(t->prefix);
        if (!strncmp(number, t->prefix, n) && number[n] == '-') {
            *type = t;
            return ol_rec_find(conn, c, t, number, rec);
        }
    }
    return -OL_ENOTFOUND;
}

static int check_source(ol_conn_t *conn, ol_ctx_t *c, const json_t *rec, const json_t *old,
                        json_t **src, const ol_record_type_t **type)
{
    const char *number = json_string_value(json_object_get(rec, "source"));
    *src = NULL;
    if (old && !ol_sd_changed(old, rec, "source"))
        return 0;
    int rc = find_any(conn, c, number, src, type);
    if (rc == -OL_ENOTFOUND) {
        ol_schema_add_error(c->errors, "source", "record_unknown", c->lang, number ? number : "");
        return ol_ctx_fail(c, -OL_EINVAL, "no such source record");
    }
    return rc;
}

static time_t get_time(const json_t *rec, const char *key)
{
    time_t t;
    return ol_iso_parse(json_string_value(json_object_get(rec, key)), &t) ? 0 : t;
}

/* Sets key to now in the states of when (comma-separated) when unset; clears it elsewhere. */
static void stamp(json_t *rec, const char *key, const char *state, const char *when)
{
    char now[32];
    size_t n = strlen(state);
    int in = 0;
    for (const char *p = when; *p;) {
        size_t m = strcspn(p, ",");
        in |= m == n && !strncmp(p, state, n);
        p += m + (p[m] == ',');
    }
    if (!in)
        json_object_set_new(rec, key, json_null());
    else if (!get_time(rec, key))
        json_object_set_new(rec, key, json_string(ol_iso_at(ol_time(), now)));
}

/* Sets "overdue" (open and past due) and tells incident_channel when it rises. */
static int overdue(ol_conn_t *conn, ol_ctx_t *c, json_t *rec, const json_t *old, int open,
                   const char *what_en, const char *what_zh)
{
    time_t due = get_time(rec, "due_at");
    int late = open && due && ol_time() >= due;
    json_object_set_new(rec, "overdue", json_boolean(late));
    const char *number = json_string_value(json_object_get(rec, "number"));
    if (!late || !number || (old && json_is_true(json_object_get(old, "overdue"))))
        return 0;
    const char *title = json_string_value(json_object_get(rec, "title"));
    const char *at = json_string_value(json_object_get(rec, "due_at"));
    const char *owner = json_string_value(json_object_get(rec, "owner"));
    char key[128], se[400], sz[400], be[600], bz[600];
    snprintf(key, sizeof key, "%s.overdue:%s:%s", what_en, number, at);
    snprintf(se, sizeof se, "%s %s overdue: %.200s", what_en, number, title ? title : "");
    snprintf(sz, sizeof sz, "%s %s 已超时:%.200s", what_zh, number, title ? title : "");
    snprintf(be, sizeof be, "%s was due at %s (owner %s) and is still open (I8).", number, at,
             owner ? owner : "-");
    snprintf(bz, sizeof bz, "%s 应于 %s 前完成(负责人 %s),仍未完成(I8)。", number, at,
             owner ? owner : "-");
    char event[48];
    snprintf(event, sizeof event, "%s.overdue", what_en);
    return ol_incident_notify(conn, c, event, number, key, se, sz, be, bz);
}

/* ---- review ------------------------------------------------------------------------------------ */

static const ol_field_t review_fields[] = {
    {"title", OL_F_STRING, OL_FIELD_REQUIRED | OL_FIELD_SEARCHABLE, 3, 300, NULL, NULL, "Title",
     "标题"},
    {"source", OL_F_STRING, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 3, 32, NULL, NULL,
     "Record reviewed", "复盘对象"},
    {"final_level", OL_F_INT, OL_FIELD_FILTERABLE, 1, 4, NULL, NULL, "Final level", "最终定级"},
    {"root_cause", OL_F_TEXT, OL_FIELD_SEARCHABLE, 0, 20000, NULL, NULL, "Root cause",
     "故障原因"},
    {"business_impact", OL_F_TEXT, OL_FIELD_SEARCHABLE, 0, 20000, NULL, NULL, "Business impact",
     "业务影响"},
    {"responsible_party", OL_F_STRING, OL_FIELD_SEARCHABLE | OL_FIELD_FILTERABLE, 0, 200, NULL,
     NULL, "Responsible party", "责任方"},
    {"timeline_review", OL_F_TEXT, OL_FIELD_SEARCHABLE, 0, 20000, NULL, NULL,
     "Review of the handling timeline", "处置过程回顾"},
    {"lessons", OL_F_TEXT, OL_FIELD_SEARCHABLE, 0, 20000, NULL, NULL, "Lessons learned",
     "经验教训"},
    {"kb_article", OL_F_STRING, OL_FIELD_FILTERABLE, 0, 32, NULL, NULL,
     "Knowledge article of the lessons", "知识库文章"},
    {"owner", OL_F_USER, OL_FIELD_FILTERABLE, 0, 0, NULL, NULL, "Owner", "负责人"},
    {"group", OL_F_STRING, OL_FIELD_FILTERABLE, 0, 100, NULL, NULL, "Group", "处理组"},
    {"opened_at", OL_F_DATETIME, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, 0, NULL, NULL,
     "Opened at", "发起时间"},
    {"due_at", OL_F_DATETIME, OL_FIELD_READONLY | OL_FIELD_FILTERABLE | OL_FIELD_SORTABLE, 0, 0,
     NULL, NULL, "Due", "完成时限"},
    {"closed_at", OL_F_DATETIME, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, 0, NULL, NULL,
     "Closed at", "关闭时间"},
    {"overdue", OL_F_BOOL, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, 0, NULL, NULL, "Overdue",
     "已超时"},
};

static const char *const review_states[] = {"open", "closed", NULL};
static const char *const st_open[] = {"open", NULL};
static const char *const st_closed[] = {"closed", NULL};
static const char *const needs_contents[] = {"root_cause", "final_level", "business_impact",
                                             "responsible_party", "timeline_review", "lessons",
                                             NULL};

/* A review closes only when every action it raised is done (or verified). */
static int actions_done(ol_conn_t *conn, ol_ctx_t *c, const json_t *review)
{
    char sql[300];
    snprintf(sql, sizeof sql,
             "SELECT number FROM records WHERE type = 'action' AND state = 'open' AND %s = ?1 "
             "ORDER BY id LIMIT 1",
             ol_conn_kind(conn) == OL_DB_SQLITE ? "json_extract(data, '$.source')"
                                                : "(data->>'source')");
    ol_val_t p[] = {OL_VTEXT(json_string_value(json_object_get(review, "number")))};
    ol_rows_t *r;
    int rc = ol_db_exec(conn, sql, p, 1, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    if (ol_rows_count(r))
        rc = ol_ctx_fail(c, -OL_ESTATE, "I8: a review closes only when its actions are done; %s "
                                        "is still open", ol_rows_get(r, 0, 0));
    ol_rows_free(r);
    return rc;
}

static const ol_transition_t review_transitions[] = {
    {"close", st_open, "closed", reviewers, needs_contents, 0, NULL, "Close the review",
     "完成复盘", NULL, actions_done},
    {"reopen", st_closed, "open", reviewers, NULL, 1, NULL, "Reopen", "重新打开"},
};

static int review_check(ol_conn_t *conn, ol_ctx_t *c, json_t *rec, const char *state,
                        const json_t *old)
{
    json_t *src = NULL;
    const ol_record_type_t *type = NULL;
    int rc = check_source(conn, c, rec, old, &src, &type);
    json_decref(src);
    if (rc)
        return rc;
    const char *kb = json_string_value(json_object_get(rec, "kb_article"));
    if (kb && *kb && ol_sd_changed(old, rec, "kb_article")) {
        json_t *a = NULL;
        rc = find_any(conn, c, kb, &a, &type);
        json_decref(a);
        if (rc == 0 && strcmp(type->name, "article"))
            rc = -OL_ENOTFOUND;
        if (rc == -OL_ENOTFOUND) {
            ol_schema_add_error(c->errors, "kb_article", "record_unknown", c->lang, kb);
            return ol_ctx_fail(c, -OL_EINVAL, "no such knowledge article");
        }
        if (rc)
            return rc;
    }
    char at[32];
    stamp(rec, "opened_at", state, "open,closed");
    stamp(rec, "closed_at", state, "closed");
    time_t opened = get_time(rec, "opened_at");
    long hours = ol_config_int(ol_config()->incident_review_hours);
    json_object_set_new(rec, "due_at", json_string(ol_iso_at(opened + hours * 3600, at)));
    return overdue(conn, c, rec, old, !strcmp(state, "open"), "review", "复盘");
}

const ol_record_type_t ol_review_type = {
    .name = "review",
    .path = "reviews",
    .prefix = "PIR",
    .label_en = "Post-incident review",
    .label_zh = "事件复盘",
    .fields = review_fields,
    .nfields = sizeof review_fields / sizeof review_fields[0],
    .states = review_states,
    .transitions = review_transitions,
    .ntransitions = sizeof review_transitions / sizeof review_transitions[0],
    .perms = {.read = readers, .create = reviewers, .update = workers, .comment = readers,
              .export = reviewers},
    .check = review_check,
};

/* ---- action ------------------------------------------------------------------------------------ */

static const ol_field_t action_fields[] = {
    {"title", OL_F_STRING, OL_FIELD_REQUIRED | OL_FIELD_SEARCHABLE, 3, 200, NULL, NULL, "Title",
     "标题"},
    {"description", OL_F_TEXT, OL_FIELD_SEARCHABLE, 0, 20000, NULL, NULL, "Description",
     "说明"},
    {"source", OL_F_STRING, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 3, 32, NULL, NULL,
     "Raised by (record)", "来源记录"},
    {"owner", OL_F_USER, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 0, 0, NULL, NULL, "Owner",
     "负责人"},
    {"group", OL_F_STRING, OL_FIELD_FILTERABLE, 0, 100, NULL, NULL, "Group", "处理组"},
    {"due_at", OL_F_DATETIME, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE | OL_FIELD_SORTABLE, 0, 0,
     NULL, NULL, "Due", "完成时限"},
    {"outcome", OL_F_TEXT, OL_FIELD_SEARCHABLE, 0, 20000, NULL, NULL, "What was done",
     "完成情况"},
    {"done_at", OL_F_DATETIME, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, 0, NULL, NULL,
     "Done at", "完成时间"},
    {"verified_at", OL_F_DATETIME, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, 0, NULL, NULL,
     "Verified at", "验证时间"},
    {"verified_by", OL_F_USER, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, 0, NULL, NULL,
     "Verified by", "验证人"},
    {"overdue", OL_F_BOOL, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, 0, NULL, NULL, "Overdue",
     "已超时"},
};

static const char *const action_states[] = {"open", "done", "verified", NULL};
static const char *const st_done[] = {"done", NULL};
static const char *const needs_outcome[] = {"outcome", NULL};
static const ol_duty_t verify_duties[] = {
    {OL_DUTY_NOT_ACTOR_OF, "done", "the verifier is not who did the action",
     "验证人不能是完成人"},
    {OL_DUTY_NOT_FIELD, "owner", "the verifier is not the action's owner",
     "验证人不能是负责人"},
    {0, NULL, NULL, NULL},
};

static const ol_transition_t action_transitions[] = {
    {"done", st_open, "done", workers, needs_outcome, 0, NULL, "Done", "已完成"},
    {"reopen", st_done, "open", workers, NULL, 1, NULL, "Not done: reopen", "未完成,重新打开"},
    {"verify", st_done, "verified", reviewers, NULL, 0, NULL, "Verify", "验证通过",
     verify_duties},
};

static int action_check(ol_conn_t *conn, ol_ctx_t *c, json_t *rec, const char *state,
                        const json_t *old)
{
    json_t *src = NULL;
    const ol_record_type_t *type = NULL;
    int rc = check_source(conn, c, rec, old, &src, &type);
    if (rc == 0 && src && type == &ol_review_type &&
        !strcmp(json_string_value(json_object_get(src, "state")), "closed"))
        rc = ol_ctx_fail(c, -OL_ESTATE, "I8: the review is closed: reopen it to add actions");
    json_decref(src);
    if (rc)
        return rc;
    stamp(rec, "done_at", state, "done,verified");
    stamp(rec, "verified_at", state, "verified");
    if (strcmp(state, "verified"))
        json_object_set_new(rec, "verified_by", json_null());
    else if (!json_is_string(json_object_get(rec, "verified_by")))
        json_object_set_new(rec, "verified_by", json_string(c->user));
    return overdue(conn, c, rec, old, !strcmp(state, "open"), "action", "改进措施");
}

const ol_record_type_t ol_action_type = {
    .name = "action",
    .path = "actions",
    .prefix = "ACT",
    .label_en = "Action",
    .label_zh = "改进措施",
    .fields = action_fields,
    .nfields = sizeof action_fields / sizeof action_fields[0],
    .states = action_states,
    .transitions = action_transitions,
    .ntransitions = sizeof action_transitions / sizeof action_transitions[0],
    .perms = {.read = readers, .create = workers, .update = workers, .comment = readers,
              .export = reviewers},
    .check = action_check,
};

/* ---- wake-ups ---------------------------------------------------------------------------------- */

static time_t next_overdue(const json_t *rec)
{
    const char *state = json_string_value(json_object_get(rec, "state"));
    time_t due = get_time(rec, "due_at");
    return state && !strcmp(state, "open") && due > ol_time() ? due : 0;
}

time_t ol_review_next(const json_t *rec)
{
    return next_overdue(rec);
}

time_t ol_action_next(const json_t *rec)
{
    return next_overdue(rec);
}
