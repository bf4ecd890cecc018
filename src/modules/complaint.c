/* modules/complaint.c - complaints (REQUIREMENTS V3; 004 §6.1.6): taken and investigated by the
 * service desk, the findings answered to the complainant, who accepts them or escalates; a
 * complaint also rises by itself, level by level (complaint_levels: team lead, manager, head),
 * when it stays unaccepted longer than its level's time (complaint_escalation_hours), until the
 * complainant accepts. Each rise is in the history and, when complaint_notify_channel names a
 * channel, notified through the outbox in the same transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/err.h"
#include "modules/service_desk.h"
#include "records/outbox.h"
#include "records/query.h"
#include "records/store.h"

extern const ol_record_type_t ol_service_type;

static const ol_field_t fields[] = {
    {"title", OL_F_STRING, OL_FIELD_REQUIRED | OL_FIELD_SEARCHABLE | OL_FIELD_SORTABLE, 3, 200,
     NULL, NULL, "Title", "标题"},
    {"description", OL_F_TEXT, OL_FIELD_REQUIRED | OL_FIELD_SEARCHABLE, 1, 20000, NULL, NULL,
     "What the complaint is about", "投诉事由"},
    {"complainant", OL_F_USER, OL_FIELD_FILTERABLE, 0, 0, NULL, NULL, "Complainant", "投诉人"},
    {"contact", OL_F_STRING, 0, 0, 200, NULL, NULL, "Contact", "投诉人联系方式"},
    {"occurred_at", OL_F_DATETIME, OL_FIELD_FILTERABLE, 0, 0, NULL, NULL, "Occurred at",
     "发生时间"},
    {"business_impact", OL_F_TEXT, 0, 0, 4000, NULL, NULL, "Impact on the business",
     "对业务的影响"},
    {"expected_outcome", OL_F_TEXT, 0, 0, 4000, NULL, NULL, "Expected outcome", "期望结果"},
    {"service", OL_F_STRING, OL_FIELD_FILTERABLE, 0, 32, NULL, NULL, "Service (SVC-…)",
     "相关服务(SVC-…)"},
    {"related", OL_F_STRING, OL_FIELD_FILTERABLE, 0, 32, NULL, NULL, "Related record",
     "相关工单"},
    {"level", OL_F_INT, OL_FIELD_READONLY | OL_FIELD_FILTERABLE | OL_FIELD_SORTABLE, 1,
     OL_COMPLAINT_MAX_LEVELS, NULL, NULL, "Escalation level", "升级级别"},
    {"level_name", OL_F_STRING, OL_FIELD_READONLY, 0, 32, NULL, NULL, "Handled at",
     "处理层级"},
    {"level_since", OL_F_DATETIME, OL_FIELD_READONLY, 0, 0, NULL, NULL, "At this level since",
     "升至本级时间"},
    {"next_escalation_at", OL_F_DATETIME, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, 0, NULL,
     NULL, "Escalates automatically at", "自动升级时间"},
    {"escalations", OL_F_INT, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, 1000, NULL, NULL,
     "Escalations", "升级次数"},
    {"group", OL_F_STRING, OL_FIELD_FILTERABLE, 0, 100, NULL, NULL, "Handling group", "处理组"},
    {"owner", OL_F_USER, OL_FIELD_FILTERABLE, 0, 0, NULL, NULL, "Handler", "处理人"},
    {"findings", OL_F_TEXT, OL_FIELD_SEARCHABLE, 0, 20000, NULL, NULL,
     "Investigation findings and proposed handling", "调查诊断结果和处理意见"},
    {"improvement_plan", OL_F_TEXT, 0, 0, 20000, NULL, NULL, "Improvement plan", "服务改进计划"},
    {"report", OL_F_TEXT, 0, 0, 20000, NULL, NULL,
     "Complaint report (course, causes, responsibilities, improvements)", "投诉处理报告"},
    {"accepted_at", OL_F_DATETIME, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, 0, NULL, NULL,
     "Accepted at", "投诉人认可时间"},
};

static const char *const states[] = {"open", "investigating", "answered", "accepted", "closed",
                                     "withdrawn", NULL};
static const char *const unaccepted[] = {"open", "investigating", "answered", NULL};
static const char *const st_open[] = {"open", NULL};
static const char *const st_investigating[] = {"investigating", NULL};
static const char *const st_answered[] = {"answered", NULL};
static const char *const st_accepted[] = {"accepted", NULL};

static const char *const everyone[] = {"*", NULL};
static const char *const managers[] = {"ops_manager", NULL};
static const char *const needs_owner[] = {"owner", NULL};
static const char *const needs_findings[] = {"findings", NULL};
static const char *const needs_report[] = {"report", NULL};

static int is_complainant(const ol_guard_ctx_t *g, char *msg, size_t msglen)
{
    const char *who = json_string_value(json_object_get(g->record, "complainant"));
    if (!who || !g->actor || strcmp(who, g->actor)) {
        snprintf(msg, msglen, "only the complainant accepts the findings or withdraws");
        return -OL_EFORBIDDEN;
    }
    return 0;
}

static const ol_transition_t transitions[] = {
    {"take", st_open, "investigating", ol_sd_workers, needs_owner, 0, NULL, "Take on",
     "受理"},
    {"answer", st_investigating, "answered", ol_sd_workers, needs_findings, 0, NULL,
     "Answer the complainant", "反馈投诉人"},
    {"accept", st_answered, "accepted", NULL, NULL, 0, is_complainant, "Accept", "认可"},
    {"escalate", st_answered, "investigating", NULL, NULL, 1, NULL, "Not accepted: escalate",
     "不认可,升级"},
    {"close", st_accepted, "closed", managers, needs_report, 0, NULL, "Close with the report",
     "发布报告并关闭"},
    {"withdraw", unaccepted, "withdrawn", NULL, NULL, 1, is_complainant, "Withdraw", "撤回"},
};

/* ---- policy ---------------------------------------------------------------------------------- */

int ol_complaint_policy(const ol_config_t *cfg, char names[][32], long *hours, char *err,
                        size_t errlen)
{
    int n = 0;
    for (const char *p = cfg->complaint_levels; *p;) {
        size_t len = strcspn(p, ",");
        if (n == OL_COMPLAINT_MAX_LEVELS || len == 0 || len >= 32) {
            snprintf(err, errlen, "complaint_levels: want 1 to %d names of 1-31 bytes separated "
                                  "by commas", OL_COMPLAINT_MAX_LEVELS);
            return -1;
        }
        snprintf(names[n++], 32, "%.*s", (int)len, p);
        p += len + (p[len] == ',');
        if (p[-1] == ',' && !*p)
            n = OL_COMPLAINT_MAX_LEVELS; /* a trailing comma: refused on the next turn */
    }
    int nh = 0;
    for (const char *p = cfg->complaint_escalation_hours; *p && nh < OL_COMPLAINT_MAX_LEVELS;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || v > 8760 || (*end && (*end != ',' || !end[1])))
            break;
        hours[nh++] = v;
        p = *end ? end + 1 : end;
    }
    if (n == 0 || nh != n - 1 || (n == 1 && *cfg->complaint_escalation_hours)) {
        snprintf(err, errlen, "want complaint_levels of 1 to %d names and one number of hours "
                              "(1-8760) in complaint_escalation_hours for each level but the "
                              "last, e.g. 'team_lead,manager,head' and '24,48'",
                 OL_COMPLAINT_MAX_LEVELS);
        return -1;
    }
    return n;
}

int ol_config_check_complaint(const ol_config_t *cfg, char *err, size_t errlen)
{
    char names[OL_COMPLAINT_MAX_LEVELS][32];
    long hours[OL_COMPLAINT_MAX_LEVELS];
    if (ol_complaint_policy(cfg, names, hours, err, errlen) < 0)
        return -1;
    long days = strtol(cfg->survey_period_days, NULL, 10);
    if (days < 0 || days > 3660) {
        snprintf(err, errlen, "survey_period_days: want 0 (off) to 3660");
        return -1;
    }
    return 0;
}

/* ---- levels ---------------------------------------------------------------------------------- */

static int notify_rise(ol_conn_t *conn, ol_ctx_t *c, const json_t *rec, int level,
                       const char *name, const char *why)
{
    const char *channel = ol_config()->complaint_notify_channel; /* "": the rules' only */
    const char *number = json_string_value(json_object_get(rec, "number"));
    char subject[320], body[600], key[128];
    snprintf(subject, sizeof subject, "Complaint %s escalated to level %d (%s)",
             number ? number : "", level, name);
    snprintf(body, sizeof body, "%s: %.200s\nNow handled at level %d (%s): %s.",
             number ? number : "", json_string_value(json_object_get(rec, "title")), level, name,
             why);
    snprintf(key, sizeof key, "complaint.escalated:%s:%lld", number ? number : "",
             (long long)json_integer_value(json_object_get(rec, "escalations")));
    ol_notice_t n = {.channel = channel, .event = "complaint.escalated", .record = number,
                     .subject_en = subject, .body_en = body, .dedupe_key = key};
    int rc = ol_outbox_enqueue(conn, c, &n);
    return rc ? ol_ctx_db_fail(c, conn, rc) : 0;
}

/* Moves rec to level (stamping when and counting it) and notifies. */
static int rise(ol_conn_t *conn, ol_ctx_t *c, json_t *rec, int level, time_t since,
                char names[][32], const char *why)
{
    char at[32];
    json_object_set_new(rec, "level", json_integer(level));
    json_object_set_new(rec, "level_name", json_string(names[level - 1]));
    json_object_set_new(rec, "level_since", json_string(ol_iso_at(since, at)));
    json_int_t count = json_integer_value(json_object_get(rec, "escalations"));
    json_object_set_new(rec, "escalations", json_integer(count + 1));
    return notify_rise(conn, c, rec, level, names[level - 1], why);
}

/* The level: 1 on create; one up for each escalation by the complainant; and one up each time
 * an unaccepted complaint has stayed its level's hours at that level (several at once after a
 * long pause), never above the last. next_escalation_at tells serve's sweep when to look. */
static int check(ol_conn_t *conn, ol_ctx_t *c, json_t *rec, const char *state, const json_t *old)
{
    int rc = ol_sd_check_party(c, rec, old, "complainant");
    if (rc)
        return rc;
    const char *svc = json_string_value(json_object_get(rec, "service"));
    if (svc && ol_sd_changed(old, rec, "service")) {
        json_t *s = NULL;
        rc = ol_rec_find(conn, c, &ol_service_type, svc, &s);
        json_decref(s);
        if (rc == -OL_ENOTFOUND) {
            ol_schema_add_error(c->errors, "service", "service_unknown", c->lang, svc);
            return ol_ctx_fail(c, -OL_EINVAL, "the complaint names an unknown service");
        }
        if (rc)
            return rc;
    }
    char names[OL_COMPLAINT_MAX_LEVELS][32], err[256], at[32];
    long hours[OL_COMPLAINT_MAX_LEVELS];
    int n = ol_complaint_policy(ol_config(), names, hours, err, sizeof err);
    if (n < 0)
        return ol_ctx_fail(c, -OL_EINVAL, "%s", err); /* checked at start: not reached */
    time_t now = ol_time(), since;
    if (!old) {
        json_object_set_new(rec, "level", json_integer(1));
        json_object_set_new(rec, "level_name", json_string(names[0]));
        json_object_set_new(rec, "level_since", json_string(ol_iso_at(now, at)));
        json_object_set_new(rec, "escalations", json_integer(0));
    }
    int level = (int)json_integer_value(json_object_get(rec, "level"));
    if (level < 1 || level > n)
        level = level < 1 ? 1 : n; /* the policy lost levels since: clamp */
    json_object_set_new(rec, "level", json_integer(level));
    json_object_set_new(rec, "level_name", json_string(names[level - 1])); /* renamed levels */
    if (ol_iso_parse(json_string_value(json_object_get(rec, "level_since")), &since))
        since = now;
    const char *was = old ? json_string_value(json_object_get(old, "state")) : NULL;
    if (was && !strcmp(was, "answered") && !strcmp(state, "investigating")) {
        /* The complainant did not accept the findings: the next level takes it over. */
        if (level < n && (rc = rise(conn, c, rec, ++level, since = now, names,
                                    "the complainant did not accept the findings")))
            return rc;
    }
    int open = ol_sd_in(state, unaccepted);
    while (open && level < n && now - since >= hours[level - 1] * 3600) {
        since += hours[level - 1] * 3600;
        if ((rc = rise(conn, c, rec, ++level, since, names,
                       "not accepted within the level's time")))
            return rc;
    }
    if (open && level < n)
        json_object_set_new(rec, "next_escalation_at",
                            json_string(ol_iso_at(since + hours[level - 1] * 3600, at)));
    else
        json_object_set_new(rec, "next_escalation_at", json_null());
    return 0;
}

static void compute(json_t *rec, const char *state)
{
    static const char *const accepted[] = {"accepted", "closed", NULL};
    ol_sd_stamp(rec, "accepted_at", ol_sd_in(state, accepted));
}

const ol_record_type_t ol_complaint_type = {
    .name = "complaint",
    .path = "complaints",
    .prefix = "CMP",
    .label_en = "Complaint",
    .label_zh = "投诉",
    .fields = fields,
    .nfields = sizeof fields / sizeof fields[0],
    .states = states,
    .transitions = transitions,
    .ntransitions = sizeof transitions / sizeof transitions[0],
    .perms = {.read = everyone, .create = everyone, .update = everyone, .comment = everyone,
              .export = managers},
    .compute = compute,
    .check = check,
};

/* ---- automatic escalation -------------------------------------------------------------------- */

int ol_complaint_sweep(ol_db_t *db)
{
    static const char *const system_roles[] = {"admin", NULL};
    char now[32];
    ol_iso_at(ol_time(), now);
    ol_ctx_t q;
    ol_ctx_init(&q, db, "system", system_roles);
    q.via = "system";
    ol_query_t query;
    ol_query_init(&query);
    int rc = ol_query_add(&q, &ol_complaint_type, &query, "next_escalation_at[lte]", now);
    if (!rc)
        rc = ol_query_add(&q, &ol_complaint_type, &query, "state[in]",
                          "open,investigating,answered");
    if (!rc)
        rc = ol_query_add(&q, &ol_complaint_type, &query, "limit", "200");
    if (!rc)
        rc = ol_rec_list(&q, &ol_complaint_type, &query);
    ol_query_clear(&query);
    json_t *due = rc ? NULL : json_object_get(q.result, "items");
    int raised = ol_rec_refresh(db, &ol_complaint_type, due);
    ol_ctx_clear(&q);
    return rc ? rc : raised;
}
