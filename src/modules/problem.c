/* modules/problem.c - problems (REQUIREMENTS Q1-Q4; 004 §9.2, 002 §2.4): typed known error,
 * potential or major, with the deadline of their type and priority derived by the compute hook;
 * the root-cause analysis (phenomenon, root cause, scope, workaround, permanent fix); closed
 * only after the fix was verified: no recurrence for the verification period and the CI
 * baselines updated. Problems open themselves from repeated incidents (problem_auto.c). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "modules/problem.h"
#include "records/schema.h"
#include "records/sla.h"

static const char *const types[] = {"known_error", "potential", "major", NULL};
static const char *const priorities[] = {"high", "medium", "low", NULL};
static const char *const sources[] = {"incident_trend", "incident_review", "user_report",
                                      "availability_analysis", "monitoring_trend", "proactive",
                                      NULL};
static const char *const due_kinds[] = {"plan", "fix", "response", "analysis", "close", NULL};

#define RO (OL_FIELD_READONLY | OL_FIELD_FILTERABLE | OL_FIELD_SORTABLE)

static const ol_field_t fields[] = {
    {"title", OL_F_STRING, OL_FIELD_REQUIRED | OL_FIELD_SEARCHABLE, 3, 200, NULL, NULL,
     "Title", "标题"},
    {"problem_type", OL_F_ENUM, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 0, 0, types,
     "\"potential\"", "Problem type", "问题类别"},
    {"priority", OL_F_ENUM, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE | OL_FIELD_SORTABLE, 0, 0,
     priorities, "\"medium\"", "Priority", "优先级"},
    {"source", OL_F_ENUM, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 0, 0, sources,
     "\"user_report\"", "Source", "问题来源"},
    {"category", OL_F_STRING, OL_FIELD_FILTERABLE, 0, 100, NULL, NULL, "Incident category",
     "事件类别"},
    {"ci", OL_F_STRING, OL_FIELD_SEARCHABLE | OL_FIELD_FILTERABLE, 0, 200, NULL, NULL,
     "Configuration item", "配置项"},
    {"service", OL_F_STRING, OL_FIELD_SEARCHABLE | OL_FIELD_FILTERABLE, 0, 200, NULL, NULL,
     "Service", "服务"},
    {"alert_name", OL_F_STRING, OL_FIELD_SEARCHABLE | OL_FIELD_FILTERABLE, 0, 200, NULL, NULL,
     "Alert name", "告警名称"},
    {"kind", OL_F_STRING, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, 0, NULL, NULL,
     "Incident kind", "事件类型"},
    {"phenomenon", OL_F_TEXT, OL_FIELD_SEARCHABLE, 0, 20000, NULL, NULL, "Phenomenon",
     "问题现象"},
    {"root_cause", OL_F_TEXT, OL_FIELD_SEARCHABLE, 0, 20000, NULL, NULL, "Root cause",
     "根本原因"},
    {"scope", OL_F_TEXT, OL_FIELD_SEARCHABLE, 0, 20000, NULL, NULL, "Scope of impact",
     "影响范围"},
    {"workaround", OL_F_TEXT, OL_FIELD_SEARCHABLE, 0, 20000, NULL, NULL,
     "Temporary fix / workaround", "临时解决方案"},
    {"permanent_fix", OL_F_TEXT, OL_FIELD_SEARCHABLE, 0, 20000, NULL, NULL, "Permanent fix",
     "永久解决方案"},
    {"tags", OL_F_TAGS, OL_FIELD_SEARCHABLE | OL_FIELD_FILTERABLE, 0, 20, NULL, "[]",
     "Search tags", "搜索标签"},
    {"baseline_updated", OL_F_BOOL, OL_FIELD_FILTERABLE, 0, 0, NULL, "false",
     "CI baselines and monitoring updated", "配置基线已更新"},
    {"known_error", OL_F_BOOL, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, 0, NULL, NULL,
     "In the known-error database", "已知错误库"},
    {"owner", OL_F_USER, OL_FIELD_FILTERABLE, 0, 0, NULL, NULL, "Owner", "处理人"},
    {"group", OL_F_STRING, OL_FIELD_FILTERABLE, 0, 100, NULL, NULL, "Group", "处理组"},
    {"opened_at", OL_F_DATETIME, RO, 0, 0, NULL, NULL, "Opened at", "发起时间"},
    {"assigned_at", OL_F_DATETIME, RO, 0, 0, NULL, NULL, "Assigned at", "分派时间"},
    {"planned_at", OL_F_DATETIME, RO, 0, 0, NULL, NULL, "Solution planned at", "方案制定时间"},
    {"fixed_at", OL_F_DATETIME, RO, 0, 0, NULL, NULL, "Fix in place at", "修复时间"},
    {"verify_until", OL_F_DATETIME, RO, 0, 0, NULL, NULL, "Verification ends", "验证截止"},
    {"closed_at", OL_F_DATETIME, RO, 0, 0, NULL, NULL, "Closed at", "关闭时间"},
    {"due_kind", OL_F_ENUM, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, 0, due_kinds, NULL,
     "Deadline for", "时限类型"},
    {"due_at", OL_F_DATETIME, RO, 0, 0, NULL, NULL, "Due", "处理时限"},
    {"overdue", OL_F_BOOL, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, 0, NULL, NULL, "Overdue",
     "已超时"},
};

static const char *const states[] = {"new", "analysing", "fixing", "verifying", "closed",
                                     "rejected", NULL};
static const char *const st_new[] = {"new", NULL};
static const char *const st_open[] = {"new", "analysing", NULL};
static const char *const st_analysing[] = {"analysing", NULL};
static const char *const st_fixing[] = {"fixing", NULL};
static const char *const st_verifying[] = {"verifying", NULL};

/* 9.2.4: engineers, developers and testers raise problems; the problem manager reviews and
 * assigns them, engineers diagnose and fix, the problem manager closes. */
static const char *const managers[] = {"problem_manager", "ops_manager", NULL};
static const char *const problem_manager[] = {"problem_manager", NULL};
static const char *const solvers[] = {"problem_manager", "ops_engineer", NULL};
static const char *const workers[] = {"problem_manager", "ops_engineer", "ops_manager", NULL};
static const char *const raisers[] = {"problem_manager", "ops_engineer", "ops_manager",
                                      "developer", "tester", NULL};
static const char *const readers[] = {"problem_manager", "ops_engineer", "ops_manager",
                                      "service_desk", "developer", "dev_manager", "tester",
                                      "test_manager", "expert_team", NULL};
static const char *const needs_owner[] = {"owner", NULL};
static const char *const needs_rca[] = {"phenomenon", "root_cause", "scope", "permanent_fix",
                                        NULL};
static const char *const needs_fix[] = {"permanent_fix", NULL};

/* Q4: the fix was verified for problem_verify_hours and the baselines were updated. Recurrence
 * needs the database: the close transition's effect checks it (problem_auto.c). */
static int verified(const ol_guard_ctx_t *g, char *msg, size_t msglen)
{
    if (!json_is_true(json_object_get(g->record, "baseline_updated"))) {
        snprintf(msg, msglen, "Q4: a problem is closed only when the CI configuration baselines "
                              "and monitoring were updated: set baseline_updated");
        return -OL_ESTATE;
    }
    time_t fixed = 0;
    long hours = ol_config_int(ol_config()->problem_verify_hours);
    if (ol_iso_parse(json_string_value(json_object_get(g->record, "fixed_at")), &fixed)) {
        snprintf(msg, msglen, "Q4: the problem has no fix date: verify the fix first");
        return -OL_ESTATE;
    }
    if (ol_time() < fixed + hours * 3600) {
        char until[32];
        snprintf(msg, msglen, "Q4: a problem is closed only after its fix was verified: %ld h "
                              "without recurrence after the fix, i.e. not before %s", hours,
                 ol_iso_at(fixed + hours * 3600, until));
        return -OL_ESTATE;
    }
    return 0;
}

static const ol_transition_t transitions[] = {
    {"assign", st_new, "analysing", managers, needs_owner, 0, NULL, "Review and assign",
     "审核分派"},
    {"reject", st_open, "rejected", managers, NULL, 1, NULL, "Reject (invalid or duplicate)",
     "关闭无效问题"},
    {"plan", st_analysing, "fixing", solvers, needs_rca, 0, NULL, "Root cause found, plan fix",
     "根因已明确"},
    {"verify", st_fixing, "verifying", solvers, needs_fix, 0, NULL, "Fix applied: verify",
     "修复完成待验证"},
    {"reopen", st_verifying, "fixing", workers, NULL, 1, NULL, "Fix did not hold", "修复无效"},
    {"close", st_verifying, "closed", problem_manager, NULL, 0, verified, "Close", "关闭",
     NULL, ol_problem_check_recurrence},
};

/* ---- derived fields ------------------------------------------------------------------------ */

static int in_states(const char *state, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(*list, state))
            return 1;
    return 0;
}

/* Sets key to now when in one of the states and unset, and clears it otherwise. */
static void stamp(json_t *rec, const char *key, const char *state, const char *const *when)
{
    char now[32];
    json_t *v = json_object_get(rec, key);
    if (!in_states(state, when))
        json_object_set_new(rec, key, json_null());
    else if (!v || json_is_null(v))
        json_object_set_new(rec, key, json_string(ol_iso_at(ol_time(), now)));
}

static int filled(const json_t *rec, const char *key)
{
    const char *s = json_string_value(json_object_get(rec, key));
    return s && *s;
}

/* Q2 (002 §2.4.1): which deadline applies, when it falls for a problem opened at opened, and
 * the field that meets it. Potential problems count working days on the 5x8 business calendar
 * (holidays and 调休 included); the others count hours. */
static time_t deadline(const json_t *rec, time_t opened, const char **kind, const char **met_by)
{
    const ol_config_t *cfg = ol_config();
    const char *type = json_string_value(json_object_get(rec, "problem_type"));
    const char *prio = json_string_value(json_object_get(rec, "priority"));
    int high = prio && !strcmp(prio, "high");
    long hours;
    if (type && !strcmp(type, "major")) {
        *kind = "close", *met_by = "closed_at";
        hours = ol_config_int(cfg->problem_major_close_hours);
    } else if (type && !strcmp(type, "known_error")) {
        *kind = high ? "fix" : "plan", *met_by = high ? "fixed_at" : "planned_at";
        hours = ol_config_int(high ? cfg->problem_fix_hours : cfg->problem_plan_hours);
    } else {
        *kind = high ? "response" : "analysis", *met_by = high ? "assigned_at" : "planned_at";
        long days = ol_config_int(high ? cfg->problem_potential_response_working_days
                                       : cfg->problem_potential_analysis_working_days);
        const ol_calendar_t *cal = ol_sla_calendar(OL_CAL_5X8);
        return ol_cal_add(cal, opened, days * (long long)(cal->work_end - cal->work_start));
    }
    return opened + hours * 3600;
}

static void compute(json_t *rec, const char *state)
{
    static const char *const always[] = {"new", "analysing", "fixing", "verifying", "closed",
                                         "rejected", NULL};
    static const char *const assigned[] = {"analysing", "fixing", "verifying", "closed", NULL};
    static const char *const planned[] = {"fixing", "verifying", "closed", NULL};
    static const char *const fixed[] = {"verifying", "closed", NULL};
    static const char *const ended[] = {"closed", "rejected", NULL};
    char buf[32], kind[OL_PROBLEM_KIND_MAX];
    stamp(rec, "opened_at", state, always);
    stamp(rec, "assigned_at", state, assigned);
    stamp(rec, "planned_at", state, planned);
    stamp(rec, "fixed_at", state, fixed); /* reopened: the next fix is verified afresh */
    stamp(rec, "closed_at", state, ended);

    time_t at, opened = ol_time();
    long verify = ol_config_int(ol_config()->problem_verify_hours);
    json_object_set_new(rec, "verify_until", json_null());
    if (!ol_iso_parse(json_string_value(json_object_get(rec, "fixed_at")), &at))
        json_object_set_new(rec, "verify_until", json_string(ol_iso_at(at + verify * 3600, buf)));
    const char *k = ol_problem_kind(rec, kind, sizeof kind);
    json_object_set_new(rec, "kind", k ? json_string(k) : json_null());
    const char *type = json_string_value(json_object_get(rec, "problem_type"));
    json_object_set_new(rec, "known_error",
                        json_boolean((type && !strcmp(type, "known_error")) ||
                                     (filled(rec, "root_cause") && filled(rec, "workaround"))));

    const char *due_kind, *met_by;
    ol_iso_parse(json_string_value(json_object_get(rec, "opened_at")), &opened);
    time_t due = deadline(rec, opened, &due_kind, &met_by), met = ol_time();
    ol_iso_parse(json_string_value(json_object_get(rec, met_by)), &met);
    if (!strcmp(state, "rejected"))
        met = opened; /* an invalid problem has no deadline to miss */
    json_object_set_new(rec, "due_kind", json_string(due_kind));
    json_object_set_new(rec, "due_at", json_string(ol_iso_at(due, buf)));
    json_object_set_new(rec, "overdue", json_boolean(met > due));
}

const ol_record_type_t ol_problem_type = {
    .name = "problem",
    .path = "problems",
    .prefix = "PRB",
    .label_en = "Problem",
    .label_zh = "问题",
    .fields = fields,
    .nfields = sizeof fields / sizeof fields[0],
    .states = states,
    .transitions = transitions,
    .ntransitions = sizeof transitions / sizeof transitions[0],
    .perms = {.read = readers, .create = raisers, .update = workers, .comment = readers,
              .export = managers},
    .compute = compute,
};
