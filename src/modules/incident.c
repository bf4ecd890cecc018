/* modules/incident.c - incidents (REQUIREMENTS I2-I4; 004 §9.1.4, 002 §2.3.1): classified,
 * rated by business importance, impact and urgency; the priority follows from the impact x
 * urgency matrix and the level (1 特别重大 .. 4 一般) from importance, impact and, while the
 * incident is open, how long it has lasted. Both are derived on every write by the type's
 * compute hook, so they can't be set by hand or drift from the policy. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "modules/incident_major.h"
#include "modules/incident_policy.h"
#include "modules/problem.h"
#include "records/schema.h"

static const char *const classifications[] = {"configuration_change", "security", "network",
                                              "third_party", "traffic_surge", "other", NULL};
static const char *const categories[] = {"outage", "performance", "security", "request", NULL};

#define RO (OL_FIELD_READONLY | OL_FIELD_FILTERABLE)

static const ol_field_t fields[] = {
    {"title", OL_F_STRING, OL_FIELD_REQUIRED | OL_FIELD_SEARCHABLE, 3, 200, NULL, NULL,
     "Title", "标题"},
    {"description", OL_F_TEXT, OL_FIELD_SEARCHABLE, 0, 20000, NULL, NULL, "Description",
     "现象描述"},
    {"category", OL_F_ENUM, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 0, 0, categories,
     "\"outage\"", "Category", "事件类别"},
    {"classification", OL_F_ENUM, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 0, 0,
     classifications, "\"other\"", "Classification", "事件分类"},
    {"importance", OL_F_ENUM, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 0, 0,
     ol_incident_importance, "\"general\"", "Business importance", "业务重要性"},
    {"impact", OL_F_ENUM, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 0, 0, ol_incident_levels3,
     "\"medium\"", "Impact", "影响程度"},
    {"urgency", OL_F_ENUM, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 0, 0, ol_incident_levels3,
     "\"medium\"", "Urgency", "紧急程度"},
    {"priority", OL_F_ENUM, OL_FIELD_READONLY | OL_FIELD_FILTERABLE | OL_FIELD_SORTABLE, 0, 0,
     ol_incident_levels3, NULL, "Priority", "优先级"},
    {"level", OL_F_INT, OL_FIELD_READONLY | OL_FIELD_FILTERABLE | OL_FIELD_SORTABLE, 1, 4, NULL,
     NULL, "Level (1 特别重大, 2 重大, 3 较大, 4 一般)", "事件级别(1特别重大 2重大 3较大 4一般)"},
    {"service", OL_F_STRING, OL_FIELD_SEARCHABLE | OL_FIELD_FILTERABLE, 0, 200, NULL, NULL,
     "Affected service", "受影响服务"},
    {"ci", OL_F_STRING, OL_FIELD_SEARCHABLE | OL_FIELD_FILTERABLE, 0, 200, NULL, NULL,
     "Configuration item", "配置项"},
    {"group", OL_F_STRING, OL_FIELD_FILTERABLE, 0, 100, NULL, NULL, "Assignment group",
     "处理组"},
    {"owner", OL_F_USER, OL_FIELD_FILTERABLE, 0, 0, NULL, NULL, "Owner", "处理人"},
    {"reporter", OL_F_USER, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 0, 0, NULL, NULL,
     "Reporter", "报告人"},
    {"detected_at", OL_F_DATETIME, OL_FIELD_FILTERABLE | OL_FIELD_SORTABLE, 0, 0, NULL, NULL,
     "Detected at", "发现时间"},
    {"responded_at", OL_F_DATETIME, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, 0, NULL, NULL,
     "Responded at", "响应时间"},
    {"resolved_at", OL_F_DATETIME, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, 0, NULL, NULL,
     "Resolved at", "解决时间"},
    {"resolution", OL_F_TEXT, OL_FIELD_SEARCHABLE, 0, 20000, NULL, NULL, "Resolution",
     "解决方案"},
    {"root_cause", OL_F_TEXT, OL_FIELD_SEARCHABLE, 0, 20000, NULL, NULL, "Root cause", "根本原因"},
    /* I6 major-incident mode (incident_major.c) */
    {"major", OL_F_BOOL, OL_FIELD_FILTERABLE, 0, 0, NULL, "false", "Major incident", "重大事件"},
    {"major_declared_at", OL_F_DATETIME, RO, 0, 0, NULL, NULL, "Declared major at",
     "宣布重大事件时间"},
    {"command_group", OL_F_TAGS, 0, 0, 50, NULL, "[]", "Command group (users)", "应急指挥组"},
    {"handling_group", OL_F_TAGS, 0, 0, 50, NULL, "[]", "Handling group (users)", "应急处置组"},
    {"last_update_at", OL_F_DATETIME, RO, 0, 0, NULL, NULL, "Last progress update",
     "最近进展通报"},
    {"next_update_due", OL_F_DATETIME, RO, 0, 0, NULL, NULL, "Next progress update due",
     "下次进展通报时限"},
    {"update_overdue", OL_F_BOOL, RO, 0, 0, NULL, NULL, "Progress update overdue",
     "进展通报已超时"},
    /* I5 regulatory reports */
    {"report_from", OL_F_DATETIME, RO, 0, 0, NULL, NULL, "Reportable since", "上报起算时间"},
    {"report_level", OL_F_INT, RO, 0, 0, NULL, NULL, "Level reported", "上报级别"},
    {"initial_report_due", OL_F_DATETIME, RO, 0, 0, NULL, NULL, "Initial report due",
     "初报时限"},
    {"initial_report_at", OL_F_DATETIME, RO, 0, 0, NULL, NULL, "Initial report submitted",
     "初报时间"},
    {"initial_report_overdue", OL_F_BOOL, RO, 0, 0, NULL, NULL, "Initial report overdue",
     "初报超时"},
    {"written_report_due", OL_F_DATETIME, RO, 0, 0, NULL, NULL, "Written report due",
     "书面报告时限"},
    {"written_report_at", OL_F_DATETIME, RO, 0, 0, NULL, NULL, "Written report submitted",
     "书面报告时间"},
    {"written_report_overdue", OL_F_BOOL, RO, 0, 0, NULL, NULL, "Written report overdue",
     "书面报告超时"},
    {"next_followup_due", OL_F_DATETIME, RO, 0, 0, NULL, NULL, "Next follow-up report due",
     "下次续报时限"},
    {"followup_overdue", OL_F_BOOL, RO, 0, 0, NULL, NULL, "Follow-up report overdue",
     "续报超时"},
    {"report_overdue", OL_F_BOOL, RO, 0, 0, NULL, NULL, "A regulatory report is overdue",
     "监管报告超时"},
    /* I7 resolution and confirmation */
    {"confirm_due", OL_F_DATETIME, RO, 0, 0, NULL, NULL, "Confirmation due (then closed)",
     "确认时限(超时自动关闭)"},
    {"recovery_minutes", OL_F_INT, RO, 0, 0, NULL, NULL, "Recovery time (minutes)",
     "恢复时长(分钟)"},
};

static const char *const states[] = {"new", "assigned", "in_progress", "awaiting_user",
                                     "resolved", "closed", "cancelled", NULL};
static const char *const st_new[] = {"new", NULL};
static const char *const st_assigned[] = {"assigned", NULL};
static const char *const st_progress[] = {"in_progress", NULL};
static const char *const st_awaiting[] = {"awaiting_user", NULL};
static const char *const st_resolved[] = {"resolved", NULL};
static const char *const st_cancellable[] = {"new", "assigned", NULL};
static const char *const st_open[] = {"new", "assigned", "in_progress", "awaiting_user", NULL};

static const char *const desk[] = {"service_desk", "ops_manager", NULL};
static const char *const engineers[] = {"ops_engineer", "ops_manager", NULL};
/* I6: the emergency command declares and runs major incidents. */
static const char *const updaters[] = {"service_desk", "ops_engineer", "ops_manager",
                                       "emergency_command", NULL};
static const char *const workers[] = {"service_desk", "ops_engineer", "ops_manager", NULL};
static const char *const readers[] = {"service_desk", "ops_engineer", "ops_manager",
                                      "emergency_command", "emergency_handling", NULL};
static const char *const managers[] = {"ops_manager", NULL};
static const char *const monitoring[] = {"monitoring", NULL}; /* I1: integrations' actors only */
static const char *const system_only[] = {"admin", NULL}; /* I7: serve's sweep */
static const char *const needs_owner[] = {"owner", NULL};
static const char *const needs_resolution[] = {"resolution", NULL};

/* The reporter confirms the resolution themselves (the service desk may close for them). Like
 * every transition it needs update rights: an administrator grants transition:confirm on
 * incidents to requesters' roles (auth/authz.h) when end users confirm in person. */
static int is_reporter(const ol_guard_ctx_t *g, char *msg, size_t msglen)
{
    const char *reporter = json_string_value(json_object_get(g->record, "reporter"));
    if (!reporter || !g->actor || strcmp(reporter, g->actor)) {
        snprintf(msg, msglen, "only the reporter confirms the resolution; the service desk "
                              "closes it otherwise");
        return -OL_EFORBIDDEN;
    }
    return 0;
}

static const ol_transition_t transitions[] = {
    {"assign", st_new, "assigned", desk, needs_owner, 0, NULL, "Assign", "分派"},
    {"start", st_assigned, "in_progress", engineers, NULL, 0, NULL, "Start work", "开始处理"},
    {"await_user", st_progress, "awaiting_user", engineers, NULL, 1, NULL, "Wait for user",
     "等待用户"},
    {"resume", st_awaiting, "in_progress", workers, NULL, 0, NULL, "Resume", "继续处理"},
    {"resolve", st_progress, "resolved", engineers, needs_resolution, 0, NULL, "Resolve",
     "解决"},
    {"confirm", st_resolved, "closed", workers, NULL, 0, is_reporter, "Confirm and close",
     "确认关闭"},
    {"close", st_resolved, "closed", desk, NULL, 0, NULL, "Close", "关闭"},
    {"reopen", st_resolved, "in_progress", desk, NULL, 1, NULL, "Reopen", "重新打开"},
    {"cancel", st_cancellable, "cancelled", desk, NULL, 1, NULL, "Cancel", "取消"},
    /* I1: monitoring resolves an incident whose alerts all resolved (intake_resolved_action). */
    {"auto_resolve", st_open, "resolved", monitoring, needs_resolution, 1, NULL,
     "Resolved by monitoring", "监控自动解决"},
    /* I7: no confirmation within incident_confirm_minutes (incident_sweep.c). */
    {"auto_close", st_resolved, "closed", system_only, NULL, 1, NULL,
     "Closed without confirmation", "超时未确认自动关闭"},
};

static int index_of(const char *const *values, const json_t *v)
{
    const char *s = json_string_value(v);
    for (int k = 0; s && values[k]; k++)
        if (!strcmp(values[k], s))
            return k;
    return -1;
}

static int in_states(const char *state, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(*list, state))
            return 1;
    return 0;
}

/* I3: the starting level of the matrix, raised one step at each rise threshold the incident has
 * lasted (from detection to resolution, or to now while open) when a core or important
 * service suffers high impact. */
static int level_of(const json_t *rec, int importance, int impact)
{
    int base[12];
    long rises[3];
    char err[160];
    const ol_config_t *cfg = ol_config();
    if (ol_incident_matrix(cfg->incident_level_matrix, 4, 3, ol_incident_level_names(), base,
                           err, sizeof err))
        return 4;
    int level = base[importance * 3 + impact] + 1;
    int n = ol_incident_rises(cfg->incident_level_rise_minutes, rises, err, sizeof err);
    time_t from, to = ol_time();
    if (importance > 1 || impact != 0 ||
        ol_iso_parse(json_string_value(json_object_get(rec, "detected_at")), &from))
        return level;
    ol_iso_parse(json_string_value(json_object_get(rec, "resolved_at")), &to);
    for (int k = 0; k < n; k++)
        if (to - from >= rises[k] * 60 && level > 1)
            level--;
    return level;
}

static void set_now(json_t *rec, const char *key)
{
    char now[32];
    json_t *v = json_object_get(rec, key);
    if (!v || json_is_null(v))
        json_object_set_new(rec, key, json_string(ol_iso_at(ol_time(), now)));
}

static void compute(json_t *rec, const char *state)
{
    static const char *const responded[] = {"in_progress", "awaiting_user", "resolved", "closed",
                                            NULL};
    static const char *const ended[] = {"resolved", "closed", NULL};
    set_now(rec, "detected_at");
    if (in_states(state, responded))
        set_now(rec, "responded_at");
    if (in_states(state, ended))
        set_now(rec, "resolved_at");
    else
        json_object_set_new(rec, "resolved_at", json_null()); /* reopened: resolved later */

    int impact = index_of(ol_incident_levels3, json_object_get(rec, "impact"));
    int urgency = index_of(ol_incident_levels3, json_object_get(rec, "urgency"));
    int importance = index_of(ol_incident_importance, json_object_get(rec, "importance"));
    int cells[9];
    char err[160];
    if (impact < 0 || urgency < 0 || importance < 0 ||
        ol_incident_matrix(ol_config()->incident_priority_matrix, 3, 3, ol_incident_levels3,
                           cells, err, sizeof err))
        return; /* validation reports the missing field; the matrix was checked at start */
    json_object_set_new(rec, "priority", json_string(ol_incident_levels3[cells[impact * 3 +
                                                                               urgency]]));
    json_object_set_new(rec, "level", json_integer(level_of(rec, importance, impact)));
}

const ol_record_type_t ol_incident_type = {
    .name = "incident",
    .path = "incidents",
    .prefix = "INC",
    .label_en = "Incident",
    .label_zh = "事件",
    .fields = fields,
    .nfields = sizeof fields / sizeof fields[0],
    .states = states,
    .transitions = transitions,
    .ntransitions = sizeof transitions / sizeof transitions[0],
    .perms = {.read = readers, .create = desk, .update = updaters, .comment = readers,
              .export = managers},
    .compute = compute,
    .check = ol_incident_major_check,           /* I5-I7 */
    .after_write = ol_incident_after_write,     /* Q1, I8 */
};
