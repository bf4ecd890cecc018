/* modules/release.c - releases (REQUIREMENTS R1-R3; 004 §8.1, 002 §11.5): a version with its
 * DB-schema change flag, runbook, back-out plan, related versions and demands, planned on the
 * operations calendar; assessed (completeness, dependency versions deployed, time, risk) and
 * approved by a release manager who is not the requester (S6); rolled out in gray stages
 * (10% -> observe 30 min -> 100% by default), each stage behind gates whose readings are kept
 * in the rollout log (modules/release_rollout.c): a failing reading trips the circuit breaker
 * and rolls the release back. Once released, the review is due within release_review_days and
 * the DR environment update within release_dr_working_days working days; both are flagged
 * when overdue, by a wake-up when nobody touches the release. */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/json.h"
#include "modules/release.h"
#include "modules/service_desk.h"
#include "records/outbox.h"
#include "records/sla.h"
#include "records/store.h"

static const char *const risks[] = {"low", "medium", "high", NULL};
static const char *const gate_states[] = {"pending", "passed", "failed", NULL};

static const ol_field_t fields[] = {
    {"title", OL_F_STRING, OL_FIELD_REQUIRED | OL_FIELD_SEARCHABLE | OL_FIELD_SORTABLE, 3, 200,
     NULL, NULL, "Title", "标题"},
    {"release_version", OL_F_STRING, OL_FIELD_REQUIRED | OL_FIELD_SEARCHABLE | OL_FIELD_FILTERABLE, 1,
     64, NULL, NULL, "Version", "版本号"},
    {"description", OL_F_TEXT, OL_FIELD_SEARCHABLE, 0, 20000, NULL, NULL, "Content of the release",
     "发布内容"},
    {"schema_change", OL_F_BOOL, OL_FIELD_FILTERABLE, 0, 0, NULL, "false",
     "Changes the database schema", "涉及数据库结构变更"},
    {"runbook", OL_F_TEXT, 0, 0, 20000, NULL, NULL, "Runbook (deployment steps)", "发布实施步骤"},
    {"backout_plan", OL_F_TEXT, 0, 0, 20000, NULL, NULL, "Back-out plan", "回退方案"},
    {"related_versions", OL_F_TAGS, OL_FIELD_FILTERABLE, 0, 50, NULL, NULL,
     "Versions it depends on", "关联版本"},
    {"demands", OL_F_TAGS, OL_FIELD_FILTERABLE, 0, 50, NULL, NULL, "Demands it delivers",
     "包含需求"},
    {"planned_start", OL_F_DATETIME, OL_FIELD_FILTERABLE | OL_FIELD_SORTABLE, 0, 0, NULL, NULL,
     "Planned start", "计划开始时间"},
    {"planned_end", OL_F_DATETIME, OL_FIELD_FILTERABLE | OL_FIELD_SORTABLE, 0, 0, NULL, NULL,
     "Planned end", "计划结束时间"},
    {"cis", OL_F_TAGS, OL_FIELD_FILTERABLE, 0, 100, NULL, NULL, "Configuration items",
     "涉及配置项"},
    {"requester", OL_F_USER, OL_FIELD_FILTERABLE, 0, 0, NULL, NULL, "Requester", "申请人"},
    {"group", OL_F_STRING, OL_FIELD_FILTERABLE, 0, 100, NULL, NULL, "Team", "实施团队"},
    {"owner", OL_F_USER, OL_FIELD_FILTERABLE, 0, 0, NULL, NULL, "Release manager", "发布经理"},
    {"completeness_ok", OL_F_BOOL, 0, 0, 0, NULL, NULL, "Assessment: complete",
     "评估:发布材料完整"},
    {"dependencies_deployed", OL_F_BOOL, 0, 0, 0, NULL, NULL,
     "Assessment: dependency versions deployed", "评估:依赖版本已部署"},
    {"time_ok", OL_F_BOOL, 0, 0, 0, NULL, NULL, "Assessment: the time is suitable",
     "评估:发布时间合适"},
    {"risk", OL_F_ENUM, OL_FIELD_FILTERABLE, 0, 0, risks, NULL, "Assessed risk", "风险评估"},
    {"assessment", OL_F_TEXT, 0, 0, 4000, NULL, NULL, "Assessment opinion", "评估意见"},
    {"approval_comment", OL_F_TEXT, 0, 0, 4000, NULL, NULL, "Approval opinion", "审批意见"},
    {"stages", OL_F_STRING, 0, 0, 200, NULL, NULL, "Gray stages (10%/30m,100%)",
     "灰度阶段(10%/30m,100%)"},
    {"gates", OL_F_STRING, 0, 0, 400, NULL, NULL, "Gates (error_rate<=1,latency_ms<=500)",
     "阶段门限(error_rate<=1,latency_ms<=500)"},
    {"stage", OL_F_INT, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, OL_RELEASE_MAX_STAGES, NULL,
     NULL, "Current stage", "当前阶段"},
    {"stage_percent", OL_F_INT, OL_FIELD_READONLY, 0, 100, NULL, NULL, "Traffic share (%)",
     "灰度比例(%)"},
    {"stage_started_at", OL_F_DATETIME, OL_FIELD_READONLY, 0, 0, NULL, NULL, "Stage started",
     "阶段开始时间"},
    {"observe_until", OL_F_DATETIME, OL_FIELD_READONLY, 0, 0, NULL, NULL, "Watched until",
     "观察截止时间"},
    {"gate_status", OL_F_ENUM, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, 0, gate_states, NULL,
     "Gate", "阶段门禁"},
    {"released_at", OL_F_DATETIME, OL_FIELD_READONLY | OL_FIELD_FILTERABLE | OL_FIELD_SORTABLE, 0,
     0, NULL, NULL, "Released at", "发布完成时间"},
    {"review_due", OL_F_DATETIME, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, 0, NULL, NULL,
     "Review due", "回顾截止时间"},
    {"review_notes", OL_F_TEXT, 0, 0, 20000, NULL, NULL, "Post-release review", "发布后回顾"},
    {"reviewed_at", OL_F_DATETIME, OL_FIELD_READONLY, 0, 0, NULL, NULL, "Reviewed at",
     "回顾时间"},
    {"review_overdue", OL_F_BOOL, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, 0, NULL, NULL,
     "Review overdue", "回顾超期"},
    {"dr_due", OL_F_DATETIME, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, 0, NULL, NULL,
     "DR update due", "灾备更新截止时间"},
    {"dr_updated", OL_F_BOOL, 0, 0, 0, NULL, NULL, "DR environment updated", "灾备环境已更新"},
    {"dr_updated_at", OL_F_DATETIME, OL_FIELD_READONLY, 0, 0, NULL, NULL, "DR updated at",
     "灾备更新时间"},
    {"dr_overdue", OL_F_BOOL, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, 0, NULL, NULL,
     "DR update overdue", "灾备更新超期"},
};

static const char *const states[] = {"draft", "assessment", "assessed", "approved",
                                     "rolling_out", "released", "reviewed", "rolled_back",
                                     "cancelled", NULL};
static const char *const st_draft[] = {"draft", NULL};
static const char *const st_assessment[] = {"assessment", NULL};
static const char *const st_returnable[] = {"assessment", "assessed", NULL};
static const char *const st_assessed[] = {"assessed", NULL};
static const char *const st_approved[] = {"approved", NULL};
static const char *const st_rolling[] = {"rolling_out", NULL};
static const char *const st_released[] = {"released", NULL};
static const char *const st_rolled_back[] = {"rolled_back", NULL};
static const char *const st_cancellable[] = {"draft", "assessment", "assessed", "approved", NULL};

static const char *const everyone[] = {"*", NULL};
static const char *const authors[] = {"release_manager", "dev_manager", "developer",
                                      "version_quality_manager", "test_manager", "ops_manager",
                                      NULL};
static const char *const editors[] = {"release_manager", "dev_manager", "developer",
                                      "version_quality_manager", "test_manager", "ops_manager",
                                      "ops_engineer", "change_assessor", NULL};
static const char *const assessors[] = {"release_manager", "change_assessor",
                                        "version_quality_manager", "ops_manager", NULL};
static const char *const release_managers[] = {"release_manager", NULL};
static const char *const operators[] = {"release_manager", "ops_engineer", "ops_manager", NULL};
static const char *const system_only[] = {"admin", NULL};
static const char *const exporters[] = {"release_manager", "ops_manager", NULL};

static const char *const needs_plan[] = {"planned_start", "planned_end", "runbook",
                                         "backout_plan", NULL};
static const char *const needs_assessment[] = {"risk", "assessment", NULL};
static const char *const needs_review[] = {"review_notes", NULL};

/* S6 (004 §8.1): neither the one who raised the release nor its requester assesses or approves
 * it. */
static const ol_duty_t duties[] = {
    {OL_DUTY_NOT_ACTOR_OF, "create", "the assessor or approver is not the one who raised the "
                                     "release", "评估人和审批人不能是发布的提交人"},
    {OL_DUTY_NOT_FIELD, "requester", "the assessor or approver is not the requester",
     "评估人和审批人不能是申请人"},
    {0, NULL, NULL, NULL},
};

static int stage_count(const json_t *rec)
{
    ol_stage_t st[OL_RELEASE_MAX_STAGES];
    int n = 0;
    char err[160];
    const char *spec = ol_json_str(rec, "stages");
    return spec && ol_release_parse_stages(spec, st, &n, err, sizeof err) == 0 ? n : 0;
}

static int assessed_ok(const ol_guard_ctx_t *g, char *msg, size_t msglen)
{
    static const char *const checks[] = {"completeness_ok", "dependencies_deployed", "time_ok",
                                         NULL};
    for (int k = 0; checks[k]; k++)
        if (!json_is_true(json_object_get(g->record, checks[k]))) {
            snprintf(msg, msglen, "the assessment is not passed: %s is not confirmed "
                                  "(completeness, dependency versions deployed, time)",
                     checks[k]);
            return -OL_ESTATE;
        }
    return 0;
}

static int gate_passed(const ol_guard_ctx_t *g, char *msg, size_t msglen, int last)
{
    long long stage = json_integer_value(json_object_get(g->record, "stage"));
    int n = stage_count(g->record);
    const char *gate = ol_json_str(g->record, "gate_status");
    if (!gate || strcmp(gate, "passed")) {
        snprintf(msg, msglen,
                 "stage %lld has not passed its gates: after its watch ends (%s) a "
                 "reading must meet every gate",
                 stage,
                 ol_json_str(g->record, "observe_until") ? ol_json_str(g->record, "observe_until")
                                                         : "-");
        return -OL_ESTATE;
    }
    if (last != (stage >= n)) {
        snprintf(msg, msglen, last ? "stage %lld of %d: advance to the next stage first"
                                   : "stage %lld is the last of %d: complete the release",
                 stage, n);
        return -OL_ESTATE;
    }
    return 0;
}

static int can_advance(const ol_guard_ctx_t *g, char *msg, size_t msglen)
{
    return gate_passed(g, msg, msglen, 0);
}

static int can_complete(const ol_guard_ctx_t *g, char *msg, size_t msglen)
{
    return gate_passed(g, msg, msglen, 1);
}

/* Runs a write of the release inside the caller's transaction as the same actor: the record is
 * re-read, so the check hook mirrors the rollout log written just before. */
static int rewrite(ol_conn_t *conn, ol_ctx_t *c, const json_t *rec)
{
    ol_ctx_t c2;
    ol_ctx_init(&c2, c->db, c->user, c->roles);
    c2.via = c->via;
    c2.ip = c->ip;
    c2.lang = c->lang;
    ol_write_t w;
    json_t *none = json_object();
    int rc = ol_rec_update_prepare(&c2, &ol_release_type, ol_json_str(rec, "number"),
                                   json_integer_value(json_object_get(rec, "version")), none, &w);
    json_decref(none);
    if (rc == 0) {
        rc = w.fn(conn, w.arg);
        w.free_arg(w.arg);
    }
    if (rc)
        ol_ctx_fail(c, rc, "%s", c2.detail);
    else
        c->result = json_incref(c2.result); /* the transition answers with this form */
    ol_ctx_clear(&c2);
    return rc;
}

/* advance: the next stage starts now. */
static int on_advance(ol_conn_t *conn, ol_ctx_t *c, const json_t *rec)
{
    ol_stage_t st[OL_RELEASE_MAX_STAGES];
    int n = 0;
    char err[160];
    int next = (int)json_integer_value(json_object_get(rec, "stage")) + 1;
    if (ol_release_parse_stages(ol_json_str(rec, "stages"), st, &n, err, sizeof err) || next > n)
        return ol_ctx_fail(c, -OL_ESTATE, "the release has no stage %d", next);
    int rc = ol_rollout_log(conn, c, ol_json_str(rec, "number"), next, "start",
                            st[next - 1].percent, -1, NULL, NULL, NULL);
    return rc ? ol_ctx_db_fail(c, conn, rc) : rewrite(conn, c, rec);
}

static const ol_transition_t transitions[] = {
    {"submit", st_draft, "assessment", NULL, needs_plan, 0, NULL, "Submit for assessment",
     "提交评估"},
    {"return", st_returnable, "draft", assessors, NULL, 1, NULL, "Return for rework", "退回修改"},
    {"assess", st_assessment, "assessed", assessors, needs_assessment, 0, assessed_ok,
     "Assessment passed", "评估通过", duties},
    {"approve", st_assessed, "approved", release_managers, NULL, 0, NULL, "Approve", "审批通过",
     duties},
    {"start", st_approved, "rolling_out", operators, NULL, 0, NULL, "Start the rollout",
     "开始灰度发布"},
    {"advance", st_rolling, "rolling_out", operators, NULL, 0, can_advance,
     "Widen to the next stage", "进入下一阶段", NULL, on_advance},
    {"complete", st_rolling, "released", operators, NULL, 0, can_complete, "Released",
     "发布完成"},
    {"rollback", st_rolling, "rolled_back", operators, NULL, 1, NULL, "Roll back", "回退"},
    {"trip", st_rolling, "rolled_back", system_only, NULL, 1, NULL,
     "Circuit breaker: halt and roll back", "熔断回退"},
    {"replan", st_rolled_back, "draft", editors, NULL, 1, NULL, "Plan again", "重新计划"},
    {"review", st_released, "reviewed", operators, needs_review, 0, NULL,
     "Post-release review done", "完成发布后回顾"},
    {"cancel", st_cancellable, "cancelled", NULL, NULL, 1, NULL, "Cancel", "取消"},
};

/* ---- R3: due dates and overdue flags ---------------------------------------------------------- */

static time_t at(const json_t *rec, const char *key)
{
    time_t t;
    return ol_iso_parse(ol_json_str(rec, key), &t) ? 0 : t;
}

static void set_time(json_t *rec, const char *key, time_t t)
{
    char buf[32];
    json_object_set_new(rec, key, t ? json_string(ol_iso_at(t, buf)) : json_null());
}

static void compute(json_t *rec, const char *state)
{
    static const char *const done[] = {"released", "reviewed", NULL};
    ol_sd_stamp(rec, "released_at", ol_sd_in(state, done));
    ol_sd_stamp(rec, "reviewed_at", !strcmp(state, "reviewed"));
    ol_sd_stamp(rec, "dr_updated_at", json_is_true(json_object_get(rec, "dr_updated")));
    time_t released = at(rec, "released_at"), now = ol_time();
    if (!released) {
        set_time(rec, "review_due", 0);
        set_time(rec, "dr_due", 0);
        json_object_set_new(rec, "review_overdue", json_false());
        json_object_set_new(rec, "dr_overdue", json_false());
        return;
    }
    const ol_config_t *cfg = ol_config();
    const ol_calendar_t *cal = ol_sla_calendar(OL_CAL_5X8);
    time_t review_due = released + ol_config_int(cfg->release_review_days) * 86400;
    time_t dr_due = ol_cal_add(cal, released, ol_config_int(cfg->release_dr_working_days) *
                                                  (long long)(cal->work_end - cal->work_start));
    set_time(rec, "review_due", review_due);
    set_time(rec, "dr_due", dr_due);
    time_t reviewed = at(rec, "reviewed_at"), dr = at(rec, "dr_updated_at");
    /* A review or update made late stays flagged: the flag is the record of the lateness. */
    json_object_set_new(rec, "review_overdue", json_boolean((reviewed ? reviewed : now) > review_due));
    json_object_set_new(rec, "dr_overdue", json_boolean((dr ? dr : now) > dr_due));
}

/* When a released release is next due to be looked at again: its review or DR deadline still
 * ahead and not yet met; 0 = never. */
static time_t next_due(const json_t *rec)
{
    time_t now = ol_time(), next = 0;
    const char *state = ol_json_str(rec, "state");
    time_t review = at(rec, "review_due"), dr = at(rec, "dr_due");
    if (state && !strcmp(state, "released") && review > now)
        next = review;
    if (!json_is_true(json_object_get(rec, "dr_updated")) && dr > now && (!next || dr < next))
        next = dr;
    return next ? next + 1 : 0;
}

static int notify(ol_conn_t *conn, ol_ctx_t *c, const json_t *rec, const char *what,
                  const char *en, const char *zh)
{
    char subject_en[400], subject_zh[400], key[160];
    const char *number = ol_json_str(rec, "number");
    snprintf(subject_en, sizeof subject_en, "%s %s: %s", number,
             ol_json_str(rec, "release_version"), en);
    snprintf(subject_zh, sizeof subject_zh, "%s %s:%s", number, ol_json_str(rec, "release_version"),
             zh);
    snprintf(key, sizeof key, "release.%s.%s", what, number);
    ol_notice_t n = {ol_config()->release_channel,
                     "release.overdue",
                     number,
                     subject_en,
                     ol_json_str(rec, "title"),
                     subject_zh,
                     ol_json_str(rec, "title"),
                     key};
    return ol_outbox_enqueue(conn, c, &n);
}

/* ---- checks ------------------------------------------------------------------------------------ */

static int spec_error(ol_ctx_t *c, const char *field, const char *why)
{
    ol_schema_add_error(c->errors, field, "bad_spec", c->lang, why);
    return ol_ctx_fail(c, -OL_EINVAL, "%s: %s", field, why);
}

static int check_plan(ol_ctx_t *c, json_t *rec, const json_t *old)
{
    const ol_config_t *cfg = ol_config();
    if (!ol_json_str(rec, "stages") || !*ol_json_str(rec, "stages"))
        json_object_set_new(rec, "stages", json_string(cfg->release_stages));
    if (!ol_json_str(rec, "gates") || !*ol_json_str(rec, "gates"))
        json_object_set_new(rec, "gates", json_string(cfg->release_gates));
    static const char *const fixed[] = {"draft", "assessment", "assessed", "approved", NULL};
    if (old && !ol_sd_in(ol_json_str(old, "state"), fixed) &&
        (ol_sd_changed(old, rec, "stages") || ol_sd_changed(old, rec, "gates"))) {
        const char *f = ol_sd_changed(old, rec, "stages") ? "stages" : "gates";
        ol_schema_add_error(c->errors, f, "plan_fixed", c->lang, NULL);
        return ol_ctx_fail(c, -OL_EINVAL, "the stages and gates are fixed once the rollout starts");
    }
    ol_stage_t st[OL_RELEASE_MAX_STAGES];
    ol_gate_t g[OL_RELEASE_MAX_GATES];
    int n;
    char why[160];
    if (ol_release_parse_stages(ol_json_str(rec, "stages"), st, &n, why, sizeof why))
        return spec_error(c, "stages", why);
    if (ol_release_parse_gates(ol_json_str(rec, "gates"), g, &n, why, sizeof why))
        return spec_error(c, "gates", why);
    time_t s = at(rec, "planned_start"), e = at(rec, "planned_end");
    if (s && e && e <= s) {
        ol_schema_add_error(c->errors, "planned_end", "end_before_start", c->lang, NULL);
        return ol_ctx_fail(c, -OL_EINVAL, "the planned end is not after the planned start");
    }
    return 0;
}

static int mirror_rollout(ol_conn_t *conn, ol_ctx_t *c, json_t *rec, const char *state)
{
    const char *number = ol_json_str(rec, "number");
    if (!strcmp(state, "draft") || !number) {
        static const char *const keys[] = {"stage", "stage_percent", "stage_started_at",
                                           "observe_until", "gate_status", NULL};
        for (int k = 0; keys[k]; k++)
            json_object_set_new(rec, keys[k], json_null());
        return 0;
    }
    ol_rollout_state_t st;
    int rc = ol_rollout_read(conn, number, rec, &st);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    if (!st.stage)
        return 0;
    json_object_set_new(rec, "stage", json_integer(st.stage));
    json_object_set_new(rec, "stage_percent", json_integer(st.percent));
    json_object_set_new(rec, "stage_started_at", json_string(st.started_at));
    json_object_set_new(rec, "observe_until", json_string(st.observe_until));
    json_object_set_new(rec, "gate_status", json_string(st.gate_status));
    return 0;
}

static int check(ol_conn_t *conn, ol_ctx_t *c, json_t *rec, const char *state, const json_t *old)
{
    if (!old && !ol_json_str(rec, "requester") && c->user)
        json_object_set_new(rec, "requester", json_string(c->user));
    int rc = check_plan(c, rec, old);
    if (rc)
        return rc;
    const char *was = old ? ol_json_str(old, "state") : NULL;
    const char *number = ol_json_str(rec, "number");
    int moved = was && strcmp(was, state);
    if (moved && !strcmp(state, "rolling_out")) { /* start: stage 1 now */
        ol_stage_t st[OL_RELEASE_MAX_STAGES];
        int n;
        char why[160];
        ol_release_parse_stages(ol_json_str(rec, "stages"), st, &n, why, sizeof why);
        rc = ol_rollout_log(conn, c, number, 1, "start", st[0].percent, -1, NULL, NULL, NULL);
    } else if (moved && (!strcmp(state, "rolled_back") || !strcmp(state, "released"))) {
        long long stage = json_integer_value(json_object_get(old, "stage"));
        rc = ol_rollout_log(conn, c, number, (int)stage,
                            !strcmp(state, "released") ? "complete" : "rollback",
                            (int)json_integer_value(json_object_get(old, "stage_percent")), -1,
                            NULL, NULL, NULL);
    }
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    if ((rc = mirror_rollout(conn, c, rec, state)))
        return rc;
    if (json_is_true(json_object_get(rec, "review_overdue")) &&
        !json_is_true(json_object_get(old, "review_overdue")))
        rc = notify(conn, c, rec, "review_overdue", "post-release review overdue",
                    "发布后回顾已超期");
    if (rc == 0 && json_is_true(json_object_get(rec, "dr_overdue")) &&
        !json_is_true(json_object_get(old, "dr_overdue")))
        rc = notify(conn, c, rec, "dr_overdue", "DR environment update overdue",
                    "灾备环境更新已超期");
    return rc ? ol_ctx_db_fail(c, conn, rc) : 0;
}

void ol_release_prepare(void)
{
    ol_wake_register(ol_release_type.name, next_due);
}

/* R3: flags releases whose review or DR update fell due while nobody wrote them. */
int ol_release_sweep(ol_db_t *db)
{
    time_t now = ol_time();
    json_t *numbers;
    int rc = ol_wake_due(db, ol_release_type.name, 200, now, &numbers);
    if (rc || json_array_size(numbers) == 0) {
        json_decref(numbers);
        return rc;
    }
    static const char *const system_roles[] = {"admin", NULL};
    json_t *items = json_array(), *settle = json_object();
    size_t i;
    json_t *num;
    json_array_foreach(numbers, i, num) {
        ol_ctx_t c;
        ol_ctx_init(&c, db, "system", system_roles);
        if (ol_rec_get(&c, &ol_release_type, json_string_value(num)) == 0)
            json_array_append(items, c.result);
        else
            json_object_set_new(settle, json_string_value(num), json_integer(0));
        ol_ctx_clear(&c);
    }
    int written = ol_rec_refresh(db, &ol_release_type, items);
    json_t *rec;
    json_array_foreach(items, i, rec) /* those a write did not move: their real next time */
        json_object_set_new(settle, ol_json_str(rec, "number"),
                            json_integer((json_int_t)next_due(rec)));
    rc = ol_wake_settle(db, ol_release_type.name, settle, now);
    json_decref(items);
    json_decref(settle);
    json_decref(numbers);
    return rc ? rc : written;
}

const ol_record_type_t ol_release_type = {
    .name = "release",
    .path = "releases",
    .prefix = "REL",
    .label_en = "Release",
    .label_zh = "发布",
    .fields = fields,
    .nfields = sizeof fields / sizeof fields[0],
    .states = states,
    .transitions = transitions,
    .ntransitions = sizeof transitions / sizeof transitions[0],
    .perms = {.read = everyone, .create = authors, .update = editors, .comment = everyone,
              .export = exporters},
    .compute = compute,
    .check = check,
};
