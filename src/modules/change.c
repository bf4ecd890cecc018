/* modules/change.c - changes (REQUIREMENTS C1-C8; 004 §7.2, 002 §2.5): application or
 * infrastructure changes whose level (major / normal / standard) follows from failure impact x
 * failure likelihood (change_level_matrix), or is standard when a pre-approved change model is
 * used; submitted with their plans (C2) against the lead-time and window rules (C3, C4:
 * modules/change_rules.c); assessed by someone other than the requester (C5), approved per level
 * (C6: modules/change_approval.c), implemented under a second person's review, backed out on
 * failure (a failure with impact opens a linked incident, C7), verified, reviewed and closed (C8;
 * the effects on other records: modules/change_effects.c). Emergency changes
 * skip the assessment and the schedule rules, and their written approval is due within
 * change_emergency_written_hours after the implementation (flagged by a wake-up when late). */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/json.h"
#include "modules/change.h"
#include "modules/service_desk.h"
#include "records/store.h"

const char *const ol_change_levels[] = {"major", "normal", "standard", NULL};
const char *const ol_change_levels3[] = {"high", "medium", "low", NULL};
const char *const ol_change_types[] = {"application", "infrastructure", NULL};
/* 004 §7.2.4.1 (application: services, components; infrastructure: database, virtualisation,
 * OS, storage, network, data centre) and the categories 002 §12.1.2 forbids in business hours. */
const char *const ol_change_categories[] = {
    "application_restart", "application_config", "application_component", "database",
    "db_schema_change", "virtualization", "operating_system", "storage", "network",
    "network_device_restart", "payment_interface_config", "datacenter", "other", NULL};
const char *const ol_change_active_states[] = {"assessment", "approval", "expert_review",
                                               "leadership_review", "scheduled", "implementing",
                                               NULL};
static const char *const dr_sync_values[] = {"required", "not_required", NULL};
static const char *const outcomes[] = {"successful", "failed", NULL};

#define RO OL_FIELD_READONLY
#define FI OL_FIELD_FILTERABLE
#define SO OL_FIELD_SORTABLE

static const ol_field_t fields[] = {
    {"title", OL_F_STRING, OL_FIELD_REQUIRED | OL_FIELD_SEARCHABLE | SO, 3, 200, NULL, NULL,
     "Title", "标题"},
    {"description", OL_F_TEXT, OL_FIELD_SEARCHABLE, 0, 20000, NULL, NULL,
     "Reason and content of the change", "变更原因和内容"},
    {"change_type", OL_F_ENUM, OL_FIELD_REQUIRED | FI, 0, 0, ol_change_types, "\"application\"",
     "Type", "变更类型"},
    {"category", OL_F_ENUM, OL_FIELD_REQUIRED | FI, 0, 0, ol_change_categories, "\"other\"",
     "Category", "变更类别"},
    {"failure_impact", OL_F_ENUM, OL_FIELD_REQUIRED | FI, 0, 0, ol_change_levels3, "\"medium\"",
     "Impact of a failure", "变更失败的影响"},
    {"failure_likelihood", OL_F_ENUM, OL_FIELD_REQUIRED | FI, 0, 0, ol_change_levels3,
     "\"medium\"", "Likelihood of a failure", "变更失败的可能性"},
    {"level", OL_F_ENUM, RO | FI | SO, 0, 0, ol_change_levels, NULL, "Level", "变更级别"},
    {"emergency", OL_F_BOOL, FI, 0, 0, NULL, "false", "Emergency change", "紧急变更"},
    {"model", OL_F_STRING, FI, 0, 32, NULL, NULL, "Change model (CHM-…)", "变更模型(CHM-…)"},
    {"pre_approved", OL_F_BOOL, RO | FI, 0, 0, NULL, NULL, "Pre-approved standard change",
     "预授权标准变更"},
    {"requester", OL_F_USER, FI, 0, 0, NULL, NULL, "Requester", "变更发起人"},
    {"implementation_plan", OL_F_TEXT, 0, 0, 20000, NULL, NULL, "Implementation plan",
     "实施方案"},
    {"coordination_plan", OL_F_TEXT, 0, 0, 20000, NULL, NULL, "Coordination plan", "配合方案"},
    {"backout_plan", OL_F_TEXT, 0, 0, 20000, NULL, NULL, "Back-out plan", "回退方案"},
    {"verification_plan", OL_F_TEXT, 0, 0, 20000, NULL, NULL, "Verification plan", "验证方案"},
    {"dr_affected", OL_F_BOOL, FI, 0, 0, NULL, "false", "Touches the DR environment",
     "涉及灾备同步变更"},
    {"dr_plan", OL_F_TEXT, 0, 0, 20000, NULL, NULL, "DR-environment plan", "灾备环境变更方案"},
    {"important_system", OL_F_BOOL, FI, 0, 0, NULL, "false", "Important information system",
     "涉及重要信息系统"},
    {"emergency_plan", OL_F_TEXT, 0, 0, 20000, NULL, NULL, "Emergency plan", "应急预案"},
    {"planned_start", OL_F_DATETIME, FI | SO, 0, 0, NULL, NULL, "Planned start", "计划开始时间"},
    {"planned_end", OL_F_DATETIME, FI | SO, 0, 0, NULL, NULL, "Planned end", "计划结束时间"},
    {"backout_at", OL_F_DATETIME, FI, 0, 0, NULL, NULL, "Back-out point", "回退时间点"},
    {"cis", OL_F_TAGS, FI | OL_FIELD_SEARCHABLE, 0, 50, NULL, NULL,
     "Configuration items (CI numbers or IDs)", "变更对象(配置项)"},
    {"outside_recommended_window", OL_F_BOOL, RO | FI, 0, 0, NULL, NULL,
     "Outside the recommended window", "不在推荐变更时间窗内"},
    {"risk_assessment", OL_F_TEXT, 0, 0, 20000, NULL, NULL, "Technical and risk assessment",
     "技术与风险评估"},
    {"dr_sync", OL_F_ENUM, FI, 0, 0, dr_sync_values, NULL, "DR sync", "灾备同步"},
    {"conflicts", OL_F_TAGS, RO | FI, 0, 50, NULL, NULL, "Conflicting changes", "冲突的变更"},
    {"conflict_note", OL_F_TEXT, 0, 0, 4000, NULL, NULL, "How the conflicts are resolved",
     "冲突处理说明"},
    {"leadership_required", OL_F_BOOL, FI, 0, 0, NULL, "false",
     "Major change referred to the leadership", "需提交上级领导层审批"},
    {"leadership_approval", OL_F_TEXT, 0, 0, 4000, NULL, NULL,
     "Leadership's opinion (or reference of the decision)", "上级领导层审批意见"},
    {"assessor", OL_F_USER, RO | FI, 0, 0, NULL, NULL, "Assessor", "变更评估人"},
    {"approver", OL_F_USER, RO | FI, 0, 0, NULL, NULL, "Approver", "变更审批人"},
    {"implementer", OL_F_USER, FI, 0, 0, NULL, NULL, "Implementer", "变更实施人"},
    {"reviewer", OL_F_USER, FI, 0, 0, NULL, NULL, "Reviewer (second person)", "变更复核人"},
    {"written_approval", OL_F_TEXT, 0, 0, 4000, NULL, NULL,
     "Written approval (emergency; reference of the signed form)", "书面审批(紧急变更补审批)"},
    {"written_approval_by", OL_F_USER, RO | FI, 0, 0, NULL, NULL, "Written approval by",
     "书面审批人"},
    {"written_approval_at", OL_F_DATETIME, RO | FI, 0, 0, NULL, NULL, "Written approval at",
     "书面审批时间"},
    {"written_approval_due", OL_F_DATETIME, RO | FI | SO, 0, 0, NULL, NULL,
     "Written approval due", "书面审批截止时间"},
    {"written_approval_late", OL_F_BOOL, RO | FI, 0, 0, NULL, NULL, "Written approval late",
     "书面审批逾期"},
    {"backout_due", OL_F_BOOL, RO | FI, 0, 0, NULL, NULL, "Back-out point passed",
     "已到回退时间点"},
    {"caused_impact", OL_F_BOOL, FI, 0, 0, NULL, "false", "Caused an unplanned impact",
     "引发计划外服务影响"},
    {"incident", OL_F_STRING, RO | FI, 0, 32, NULL, NULL, "Incident opened", "关联事件"},
    {"verification_result", OL_F_TEXT, 0, 0, 20000, NULL, NULL, "Implementation and verification "
     "result", "实施与验证结果"},
    {"ci_updated", OL_F_BOOL, FI, 0, 0, NULL, "false", "CIs updated", "配置信息已更新"},
    {"dr_updated_at", OL_F_DATETIME, FI, 0, 0, NULL, NULL, "DR environment updated at",
     "灾备环境变更完成时间"},
    {"dr_update_due", OL_F_DATETIME, RO | FI | SO, 0, 0, NULL, NULL, "DR update due",
     "灾备环境变更截止时间"},
    {"dr_update_overdue", OL_F_BOOL, RO | FI, 0, 0, NULL, NULL, "DR update overdue",
     "灾备环境变更逾期"},
    {"regulator_notified_at", OL_F_DATETIME, FI, 0, 0, NULL, NULL, "Regulator notified at",
     "向监管机构报告时间"},
    {"regulator_notice_due", OL_F_DATETIME, RO | FI | SO, 0, 0, NULL, NULL,
     "Regulator notice due", "监管报告截止时间"},
    {"regulator_notice_overdue", OL_F_BOOL, RO | FI, 0, 0, NULL, NULL, "Regulator notice overdue",
     "监管报告逾期"},
    {"review_summary", OL_F_TEXT, OL_FIELD_SEARCHABLE, 0, 20000, NULL, NULL,
     "Review and improvements", "变更回顾与改进建议"},
    {"outcome", OL_F_ENUM, RO | FI, 0, 0, outcomes, NULL, "Outcome", "变更结果"},
    {"submitted_at", OL_F_DATETIME, RO | FI | SO, 0, 0, NULL, NULL, "Submitted at", "提交时间"},
    {"approved_at", OL_F_DATETIME, RO | FI, 0, 0, NULL, NULL, "Approved at", "审批时间"},
    {"started_at", OL_F_DATETIME, RO | FI | SO, 0, 0, NULL, NULL, "Implementation started",
     "实施开始时间"},
    {"implemented_at", OL_F_DATETIME, RO | FI | SO, 0, 0, NULL, NULL, "Implementation ended",
     "实施结束时间"},
    {"closed_at", OL_F_DATETIME, RO | FI | SO, 0, 0, NULL, NULL, "Closed at", "关闭时间"},
    {"leadership_approver", OL_F_USER, RO | FI, 0, 0, NULL, NULL, "Leadership approver",
     "上级领导审批人"},
    {"leadership_approved_at", OL_F_DATETIME, RO | FI, 0, 0, NULL, NULL, "Leadership approved at",
     "上级领导审批时间"},
};

static const char *const states[] = {"draft",      "assessment",   "approval",  "expert_review",
                                     "leadership_review", "scheduled", "implementing",
                                     "verifying",  "review",       "backed_out", "closed",
                                     "rejected",   "cancelled",    NULL};
static const char *const st_draft[] = {"draft", NULL};
static const char *const st_assessment[] = {"assessment", NULL};
static const char *const st_approval[] = {"approval", NULL};
static const char *const st_expert[] = {"expert_review", NULL};
static const char *const st_leadership[] = {"leadership_review", NULL};
static const char *const st_rejectable[] = {"approval", "expert_review", "leadership_review",
                                            NULL};
static const char *const st_scheduled[] = {"scheduled", NULL};
static const char *const st_implementing[] = {"implementing", NULL};
static const char *const st_backoutable[] = {"implementing", "verifying", NULL};
static const char *const st_verifying[] = {"verifying", NULL};
static const char *const st_closable[] = {"review", "backed_out", NULL};
static const char *const st_cancellable[] = {"draft",         "assessment",        "approval",
                                             "expert_review", "leadership_review", "scheduled",
                                             NULL};

static const char *const everyone[] = {"*", NULL};
static const char *const raisers[] = {"ops_engineer", "ops_manager", "release_manager", NULL};
static const char *const writers[] = {"ops_engineer",    "ops_manager", "change_assessor",
                                      "expert_team",     "leadership",  "emergency_command",
                                      "release_manager", NULL};
static const char *const assessors[] = {"change_assessor", "ops_manager", NULL};
static const char *const managers[] = {"ops_manager", NULL};
static const char *const experts[] = {"expert_team", NULL};
/* Who approves an emergency change (the head of the requester's unit, else the shipped roles)
 * and who rejects in and before the leadership's review: modules/change_approval.c. */
static const char *const rejecters[] = {"ops_manager", "expert_team", "emergency_command",
                                        "leadership", NULL};
static const char *const engineers[] = {"ops_engineer", "ops_manager", NULL};
static const char *const exporters[] = {"ops_manager", "change_assessor", NULL};

static const char *const needs_assessment[] = {"risk_assessment", "dr_sync", NULL};
static const char *const needs_people[] = {"implementer", "reviewer", NULL};
static const char *const needs_verification[] = {"verification_result", NULL};
static const char *const needs_review[] = {"review_summary", NULL};

/* C5 (004 §7.2.5.2): the assessor is someone other than the requester. */
static const ol_duty_t assess_duties[] = {
    {OL_DUTY_NOT_ACTOR_OF, "create", "the assessor is not the one who raised the change",
     "变更评估人不能是变更创建人"},
    {OL_DUTY_NOT_FIELD, "requester", "the assessor is not the requester",
     "变更评估人不能是变更发起人"},
    {0, NULL, NULL, NULL},
};
/* C6 (004 §7.2.5.3): the approver is internal and not the requester. */
static const ol_duty_t approve_duties[] = {
    {OL_DUTY_NOT_FIELD, "requester", "the approver is not the requester",
     "变更审批人不能是变更发起人"},
    {OL_DUTY_NOT_ACTOR_OF, "create", "the approver is not the one who raised the change",
     "变更审批人不能是变更创建人"},
    {OL_DUTY_INTERNAL, NULL, "the approver is an internal employee",
     "变更审批人应由内部人员担任"},
    {0, NULL, NULL, NULL},
};
/* C7 (004 §7.2.5.4): a second person reviews the implementation (一人操作,一人复核). */
static const ol_duty_t review_duties[] = {
    {OL_DUTY_NOT_FIELD, "implementer", "the reviewer is not the implementer",
     "变更复核人不能是变更实施人"},
    {0, NULL, NULL, NULL},
};

static int refuse(char *msg, size_t msglen, const char *text)
{
    snprintf(msg, msglen, "%s", text);
    return -OL_ESTATE;
}

static int not_emergency(const ol_guard_ctx_t *g, char *msg, size_t msglen)
{
    return ol_json_true(g->record, "emergency")
               ? refuse(msg, msglen, "an emergency change is submitted with submit_emergency")
               : 0;
}

static int emergency_only(const ol_guard_ctx_t *g, char *msg, size_t msglen)
{
    return ol_json_true(g->record, "emergency") ? 0
                                           : refuse(msg, msglen, "this change is not an emergency");
}

static int not_pre_approved(const ol_guard_ctx_t *g, char *msg, size_t msglen)
{
    return ol_json_true(g->record, "pre_approved")
               ? refuse(msg, msglen, "a pre-approved standard change skips the approval: use "
                                     "assess_standard")
               : 0;
}

static int pre_approved_only(const ol_guard_ctx_t *g, char *msg, size_t msglen)
{
    return ol_json_true(g->record, "pre_approved")
               ? 0
               : refuse(msg, msglen, "only a pre-approved standard change skips the approval");
}

static int level_is(const ol_guard_ctx_t *g, const char *level)
{
    const char *l = ol_json_str(g->record, "level");
    return l && !strcmp(l, level);
}

/* C6: normal (and standard changes without a pre-approved model) -> the operations manager. */
static int approvable(const ol_guard_ctx_t *g, char *msg, size_t msglen)
{
    if (ol_json_true(g->record, "emergency"))
        return refuse(msg, msglen, "an emergency change is approved with approve_emergency");
    if (level_is(g, "major"))
        return refuse(msg, msglen, "a major change goes to the expert team: use endorse");
    return 0;
}

/* C6: major -> the operations manager's first review, then the expert team. */
static int major_only(const ol_guard_ctx_t *g, char *msg, size_t msglen)
{
    if (ol_json_true(g->record, "emergency"))
        return refuse(msg, msglen, "an emergency change is approved with approve_emergency");
    return level_is(g, "major") ? 0 : refuse(msg, msglen, "only a major change goes to the "
                                                           "expert team");
}

/* C6 (004 §7.2.5.3): "必要时可提交上级领导层审批" - a change referred to the leadership goes on
 * to the leadership's approval (refer_leadership), not straight to the schedule. */
static int not_referred(const ol_guard_ctx_t *g, char *msg, size_t msglen)
{
    return ol_json_true(g->record, "leadership_required")
               ? refuse(msg, msglen, "the change was referred to the leadership: the expert team "
                                     "approves it with refer_leadership, then the leadership "
                                     "approves (approve_leadership)")
               : 0;
}

/* C7: the named reviewer confirms the implementation, before the back-out point. */
static int reviewer_completes(const ol_guard_ctx_t *g, char *msg, size_t msglen)
{
    const char *reviewer = ol_json_str(g->record, "reviewer");
    if (!reviewer || !g->actor || strcmp(reviewer, g->actor)) {
        snprintf(msg, msglen, "only the reviewer (%s) confirms the implementation",
                 reviewer ? reviewer : "-");
        return -OL_EFORBIDDEN;
    }
    time_t at;
    if (!ol_iso_parse(ol_json_str(g->record, "backout_at"), &at) && ol_time() >= at)
        return refuse(msg, msglen, "the back-out point has passed without the change being "
                                   "completed: back it out (back_out)");
    return 0;
}

static const ol_transition_t transitions[] = {
    {"submit", st_draft, "assessment", NULL, NULL, 0, not_emergency, "Submit", "提交评估"},
    {"submit_emergency", st_draft, "approval", NULL, NULL, 0, emergency_only,
     "Submit emergency change", "提交紧急变更审批"},
    {"return", st_assessment, "draft", assessors, NULL, 1, NULL, "Return to requester",
     "退回发起人"},
    {"assess", st_assessment, "approval", assessors, needs_assessment, 0, not_pre_approved,
     "Assessed: to approval", "评估通过,提交审批", assess_duties},
    {"assess_standard", st_assessment, "scheduled", assessors, needs_assessment, 0,
     pre_approved_only, "Assessed: pre-approved, scheduled", "评估通过(预授权标准变更)",
     assess_duties},
    {"approve", st_approval, "scheduled", managers, NULL, 0, approvable, "Approve", "审批通过",
     approve_duties},
    {"endorse", st_approval, "expert_review", managers, NULL, 0, major_only,
     "First review passed: to the expert team", "初审通过,提交专家团队", approve_duties},
    {"approve_expert", st_expert, "scheduled", experts, NULL, 0, not_referred,
     "Expert team approves", "专家团队审批通过", approve_duties},
    {"refer_leadership", st_expert, "leadership_review", experts, NULL, 0, NULL,
     "Expert team approves: to the leadership", "专家团队审批通过,提交上级领导层", approve_duties},
    {"approve_leadership", st_leadership, "scheduled", ol_change_leadership_roles, NULL, 0, NULL,
     "Leadership approves", "上级领导层审批通过", approve_duties},
    {"approve_emergency", st_approval, "scheduled", NULL, NULL, 0, ol_change_emergency_approver,
     "Approve emergency change", "紧急变更审批通过", approve_duties},
    {"reject", st_rejectable, "rejected", rejecters, NULL, 1, ol_change_reject_guard, "Reject",
     "驳回"},
    {"start", st_scheduled, "implementing", engineers, needs_people, 0, NULL,
     "Start implementation", "开始实施"},
    {"complete", st_implementing, "verifying", engineers, NULL, 0, reviewer_completes,
     "Implementation reviewed and completed", "复核通过,实施完成", review_duties},
    {"back_out", st_backoutable, "backed_out", engineers, NULL, 1, NULL, "Back out",
     "回退"},
    {"verify", st_verifying, "review", engineers, needs_verification, 0, NULL,
     "Verified", "验证通过"},
    {"close", st_closable, "closed", managers, needs_review, 0, NULL, "Review and close",
     "回顾并关闭"},
    {"cancel", st_cancellable, "cancelled", NULL, NULL, 1, NULL, "Cancel", "取消"},
};

/* ---- derived fields --------------------------------------------------------------------------- */

/* Sets rec[key] to now when on and it is unset (kept afterwards). */
static void stamp(json_t *rec, const char *key, int on)
{
    json_t *v = json_object_get(rec, key);
    if (on && (!v || json_is_null(v))) {
        char now[32];
        json_object_set_new(rec, key, json_string(ol_iso_at(ol_time(), now)));
    }
}

static int index_of(const char *const *values, const char *s)
{
    for (int k = 0; s && values[k]; k++)
        if (!strcmp(values[k], s))
            return k;
    return -1;
}

/* The time field key as a time, or 0. */
static time_t at_of(const json_t *rec, const char *key)
{
    time_t t;
    return ol_iso_parse(ol_json_str(rec, key), &t) ? 0 : t;
}

static void set_time(json_t *rec, const char *key, time_t t)
{
    char buf[32];
    json_object_set_new(rec, key, t ? json_string(ol_iso_at(t, buf)) : json_null());
}

/* A due date and its overdue flag: late when done after due, or not done and due has passed. */
static void set_due(json_t *rec, const char *due_key, const char *flag_key, time_t due,
                    time_t done)
{
    set_time(rec, due_key, due);
    int late = due && (done ? done > due : ol_time() > due);
    json_object_set_new(rec, flag_key, due ? json_boolean(late) : json_null());
}

static void compute(json_t *rec, const char *state)
{
    static const char *const times[] = {"planned_start", "planned_end", "backout_at",
                                        "dr_updated_at", "regulator_notified_at", NULL};
    for (int k = 0; times[k]; k++) /* one stored form, so that range filters compare right */
        if (at_of(rec, times[k]))
            set_time(rec, times[k], at_of(rec, times[k]));
    int impact = index_of(ol_change_levels3, ol_json_str(rec, "failure_impact"));
    int likelihood = index_of(ol_change_levels3, ol_json_str(rec, "failure_likelihood"));
    int level = ol_json_true(rec, "pre_approved") ? 2 : ol_change_level(impact, likelihood);
    if (level >= 0)
        json_object_set_new(rec, "level", json_string(ol_change_levels[level]));

    static const char *const approved[] = {"scheduled", "implementing", "verifying", "review",
                                           "backed_out", "closed", NULL};
    static const char *const started[] = {"implementing", "verifying", "review", "backed_out",
                                          "closed", NULL};
    static const char *const ended[] = {"verifying", "review", "backed_out", "closed", NULL};
    if (!strcmp(state, "draft"))
        json_object_set_new(rec, "submitted_at", json_null()); /* returned: submitted again */
    else if (strcmp(state, "cancelled"))
        stamp(rec, "submitted_at", 1);
    stamp(rec, "approved_at", ol_sd_in(state, approved));
    stamp(rec, "started_at", ol_sd_in(state, started));
    stamp(rec, "implemented_at", ol_sd_in(state, ended) && at_of(rec, "started_at"));
    stamp(rec, "closed_at", !strcmp(state, "closed"));
    if (!strcmp(state, "backed_out"))
        json_object_set_new(rec, "outcome", json_string("failed"));
    else if (!strcmp(state, "review"))
        json_object_set_new(rec, "outcome", json_string("successful"));

    time_t backout = at_of(rec, "backout_at");
    json_object_set_new(rec, "backout_due",
                        json_boolean(!strcmp(state, "implementing") && backout &&
                                     ol_time() >= backout));
    json_object_set_new(rec, "outside_recommended_window", json_null());
    time_t s = at_of(rec, "planned_start"), e = at_of(rec, "planned_end");
    if (s && e > s)
        json_object_set_new(rec, "outside_recommended_window",
                            json_boolean(!ol_change_in_recommended_window(s, e)));

    const ol_config_t *cfg = ol_config();
    time_t done = at_of(rec, "implemented_at");
    set_due(rec, "written_approval_due", "written_approval_late",
            ol_json_true(rec, "emergency") && done
                ? done + (time_t)ol_config_int(cfg->change_emergency_written_hours) * 3600
                : 0,
            at_of(rec, "written_approval_at"));
    const char *outcome = ol_json_str(rec, "outcome");
    set_due(rec, "dr_update_due", "dr_update_overdue",
            ol_json_true(rec, "dr_affected") && done && !(outcome && !strcmp(outcome, "failed"))
                ? ol_change_working_days_after(done,
                                               ol_config_int(cfg->change_dr_update_working_days))
                : 0,
            at_of(rec, "dr_updated_at"));
    static const char *const dropped[] = {"cancelled", "rejected", NULL};
    const char *lv = ol_json_str(rec, "level");
    set_due(rec, "regulator_notice_due", "regulator_notice_overdue",
            lv && !strcmp(lv, "major") && s && !ol_sd_in(state, dropped)
                ? ol_change_working_days_before(
                      s, ol_config_int(cfg->change_regulator_notice_working_days))
                : 0,
            at_of(rec, "regulator_notified_at"));
}

/* ---- rules that read other records ------------------------------------------------------------ */

int ol_change_field_error(ol_ctx_t *c, const char *field, const char *code, const char *arg,
                          const char *detail)
{
    ol_schema_add_error(c->errors, field, code, c->lang, arg);
    return ol_ctx_fail(c, -OL_EINVAL, "%s", detail);
}

/* C1: a change model named in "model" must be active; a pre-approved model makes the change a
 * pre-approved standard change, and its plan templates fill the plans left empty. */
static int check_model(ol_conn_t *conn, ol_ctx_t *c, json_t *rec)
{
    const char *number = ol_json_str(rec, "model");
    if (!number || !*number) {
        json_object_set_new(rec, "pre_approved", json_false());
        return 0;
    }
    json_t *m = NULL;
    int rc = ol_rec_find(conn, c, &ol_change_model_type, number, &m);
    if (rc == -OL_ENOTFOUND || (rc == 0 && strcmp(ol_json_str(m, "state"), "active"))) {
        json_decref(m);
        return ol_change_field_error(c, "model", "change_model_unknown", number,
                           "the change model does not exist or is not active");
    }
    if (rc)
        return rc;
    json_object_set_new(rec, "pre_approved", json_boolean(ol_json_true(m, "pre_approved")));
    static const char *const copied[] = {"implementation_plan", "coordination_plan",
                                         "backout_plan", "verification_plan", "change_type",
                                         "category", NULL};
    for (int k = 0; copied[k]; k++) {
        const char *mine = ol_json_str(rec, copied[k]);
        int fixed = k >= 4; /* the model's type and category are the change's */
        if (ol_json_str(m, copied[k]) && (fixed || !mine || !*mine))
            json_object_set(rec, copied[k], json_object_get(m, copied[k]));
    }
    json_decref(m);
    if (ol_json_true(rec, "pre_approved")) { /* compute ran with the matrix's level: not major */
        json_object_set_new(rec, "level", json_string("standard"));
        json_object_set_new(rec, "regulator_notice_due", json_null());
        json_object_set_new(rec, "regulator_notice_overdue", json_null());
    }
    return 0;
}

/* C2: the plan parts a change is submitted with. */
static int check_plans(ol_ctx_t *c, const json_t *rec)
{
    static const char *const always[] = {"implementation_plan", "coordination_plan",
                                         "backout_plan", "verification_plan", "planned_start",
                                         "planned_end", NULL};
    int missing = 0;
    for (int k = 0; always[k]; k++) {
        const char *v = ol_json_str(rec, always[k]);
        if (!v || !*v) {
            ol_schema_add_error(c->errors, always[k], "change_plan_required", c->lang, NULL);
            missing++;
        }
    }
    static const struct {
        const char *flag, *field;
    } conditional[] = {{"dr_affected", "dr_plan"}, {"important_system", "emergency_plan"}};
    for (size_t k = 0; k < sizeof conditional / sizeof conditional[0]; k++) {
        const char *v = ol_json_str(rec, conditional[k].field);
        if (ol_json_true(rec, conditional[k].flag) && (!v || !*v)) {
            ol_schema_add_error(c->errors, conditional[k].field, "change_plan_required", c->lang,
                                NULL);
            missing++;
        }
    }
    time_t s = at_of(rec, "planned_start"), e = at_of(rec, "planned_end"),
           b = at_of(rec, "backout_at");
    if (s && e && e <= s) {
        ol_schema_add_error(c->errors, "planned_end", "change_end_before_start", c->lang, NULL);
        missing++;
    }
    if (s && e && b && (b <= s || b > e)) {
        ol_schema_add_error(c->errors, "backout_at", "change_backout_outside", c->lang, NULL);
        missing++;
    }
    return missing;
}

/* C3-C5: the schedule rules and conflicts; the conflicting changes are kept on the record. The
 * lead time counts from the submission (when rescheduled or assessed later too). */
static int check_schedule(ol_ctx_t *c, json_t *rec)
{
    json_t *report = NULL;
    time_t from = at_of(rec, "submitted_at");
    int n = ol_change_rules(c, rec, from ? from : ol_time(), &report);
    if (n < 0)
        return n;
    json_t *numbers = json_array();
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(report, "conflicts"), i, x)
        json_array_append(numbers, json_object_get(x, "number"));
    json_object_set_new(rec, "conflicts", numbers);
    json_decref(report);
    return n;
}

/* C6: a change referred to the leadership stays referred; the leadership's approval is stamped. */
static int check_leadership(ol_ctx_t *c, json_t *rec, const char *before, const char *state,
                            const json_t *old)
{
    static const char *const referred[] = {"expert_review", "leadership_review", NULL};
    if (before && !strcmp(before, "expert_review") && !strcmp(state, "leadership_review"))
        json_object_set_new(rec, "leadership_required", json_true());
    if (before && ol_sd_in(before, referred) && ol_json_true(old, "leadership_required") &&
        !ol_json_true(rec, "leadership_required"))
        return ol_change_field_error(c, "leadership_required", "change_leadership_locked", NULL,
                           "the referral to the leadership cannot be withdrawn now");
    if (before && !strcmp(before, "leadership_review") && !strcmp(state, "scheduled")) {
        char now[32];
        json_object_set_new(rec, "leadership_approver", json_string(c->user));
        json_object_set_new(rec, "leadership_approved_at",
                            json_string(ol_iso_at(ol_time(), now)));
    }
    return 0;
}

static int check(ol_conn_t *conn, ol_ctx_t *c, json_t *rec, const char *state, const json_t *old)
{
    const char *before = old ? ol_json_str(old, "state") : NULL;
    if (!old && !ol_json_str(rec, "requester") && c->user && strncmp(c->user, "cli:", 4))
        json_object_set_new(rec, "requester", json_string(c->user));
    int rc = 0;
    if (!old || ol_sd_changed(old, rec, "model"))
        rc = check_model(conn, c, rec);
    else if (ol_json_true(rec, "pre_approved"))
        json_object_set_new(rec, "level", json_string("standard"));
    if (rc)
        return rc;
    const char *impl = ol_json_str(rec, "implementer"), *rev = ol_json_str(rec, "reviewer");
    if (impl && rev && !strcmp(impl, rev))
        return ol_change_field_error(c, "reviewer", "change_same_reviewer", NULL,
                           "the reviewer and the implementer are two people");
    if ((rc = ol_change_check_written_approval(conn, c, rec, old)))
        return rc;

    int submitting = before && !strcmp(before, "draft") && strcmp(state, "draft") &&
                     strcmp(state, "cancelled");
    static const char *const planned[] = {"assessment", "approval", "expert_review",
                                          "leadership_review", "scheduled", NULL};
    static const char *const schedule[] = {"planned_start", "planned_end", "backout_at",
                                           "category", "change_type", "emergency", "cis",
                                           "failure_impact", "failure_likelihood", "model", NULL};
    int moved = 0;
    for (int k = 0; schedule[k]; k++)
        moved |= ol_sd_changed(old, rec, schedule[k]);
    int assessing = before && !strcmp(before, "assessment") && ol_sd_in(state, planned) &&
                    strcmp(state, "assessment");
    if (submitting || (ol_sd_in(state, planned) && moved) || assessing) {
        if (check_plans(c, rec))
            return ol_ctx_fail(c, -OL_EINVAL, "the change lacks plan parts it is submitted with "
                                              "(C2)");
        int n = check_schedule(c, rec);
        if (n < 0)
            return n;
        if (n > 0)
            return ol_ctx_fail(c, -OL_EINVAL, "the change is scheduled against a rule (C3, C4)");
    }
    if (assessing && json_array_size(json_object_get(rec, "conflicts"))) {
        const char *note = ol_json_str(rec, "conflict_note");
        if (!note || !*note) {
            char list[256] = "";
            size_t i, used = 0;
            json_t *x;
            json_array_foreach(json_object_get(rec, "conflicts"), i, x)
                if (used < sizeof list - 40)
                    used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                                             i ? ", " : "", json_string_value(x));
            return ol_change_field_error(c, "conflict_note", "change_conflicts", list,
                               "the change conflicts with others on the ops calendar (C5)");
        }
    }
    if (assessing)
        json_object_set_new(rec, "assessor", json_string(c->user));
    if (before && ol_sd_in(before, (const char *const[]){"approval", "expert_review", NULL}) &&
        ol_sd_in(state, (const char *const[]){"scheduled", "leadership_review", NULL}))
        json_object_set_new(rec, "approver", json_string(c->user));
    if ((rc = check_leadership(c, rec, before, state, old)))
        return rc;
    if (before && !strcmp(before, "verifying") && !strcmp(state, "review") &&
        (rc = ol_change_check_ci_updates(conn, c, rec)))
        return rc;
    int failed = !strcmp(state, "backed_out") ||
                 (!strcmp(state, "closed") && ol_json_str(rec, "outcome") &&
                  !strcmp(ol_json_str(rec, "outcome"), "failed"));
    if (failed && ol_json_true(rec, "caused_impact") && !ol_json_str(rec, "incident") &&
        (rc = ol_change_open_incident(conn, c, rec)))
        return rc;
    return ol_change_notify_late(conn, c, rec, old);
}

const ol_record_type_t ol_change_type = {
    .name = "change",
    .path = "changes",
    .prefix = "CHG",
    .label_en = "Change",
    .label_zh = "变更",
    .fields = fields,
    .nfields = sizeof fields / sizeof fields[0],
    .states = states,
    .transitions = transitions,
    .ntransitions = sizeof transitions / sizeof transitions[0],
    .perms = {.read = everyone, .create = raisers, .update = writers, .comment = writers,
              .export = exporters},
    .compute = compute,
    .check = check,
};
