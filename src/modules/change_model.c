/* modules/change_model.c - change models and freeze periods (REQUIREMENTS C1, C4; 004 §7.2.5.1
 * c, h; 002 §12.1.2; 000 §3.4). A change model (CHM-) is the template of a repeatable change:
 * its type, category and plans; approved by an operations manager (not its author), it may be
 * pre-approved, and changes made from it are then pre-approved standard changes that skip the
 * approval. A freeze (FRZ-) is a period (promotions, month-end close) in which changes of its
 * scope (change types or categories; none = all) may not be scheduled unless they are
 * emergencies; the ops calendar shows them. */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "modules/change.h"
#include "records/store.h"

static const char *const everyone[] = {"*", NULL};
static const char *const authors[] = {"ops_engineer", "ops_manager", "change_assessor",
                                      "release_manager", NULL};
static const char *const managers[] = {"ops_manager", NULL};
static const char *const planners[] = {"ops_manager", "change_assessor", NULL};

/* ---- change models -------------------------------------------------------------------------- */

static const ol_field_t model_fields[] = {
    {"title", OL_F_STRING, OL_FIELD_REQUIRED | OL_FIELD_SEARCHABLE | OL_FIELD_SORTABLE, 3, 200,
     NULL, NULL, "Title", "标题"},
    {"description", OL_F_TEXT, OL_FIELD_SEARCHABLE, 0, 20000, NULL, NULL,
     "When the model applies", "适用范围"},
    {"change_type", OL_F_ENUM, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 0, 0, ol_change_types,
     "\"application\"", "Type", "变更类型"},
    {"category", OL_F_ENUM, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 0, 0, ol_change_categories,
     "\"other\"", "Category", "变更类别"},
    {"pre_approved", OL_F_BOOL, OL_FIELD_FILTERABLE, 0, 0, NULL, "false",
     "Pre-approved standard change", "预授权标准变更"},
    {"implementation_plan", OL_F_TEXT, 0, 0, 20000, NULL, NULL, "Implementation plan",
     "实施方案"},
    {"coordination_plan", OL_F_TEXT, 0, 0, 20000, NULL, NULL, "Coordination plan", "配合方案"},
    {"backout_plan", OL_F_TEXT, 0, 0, 20000, NULL, NULL, "Back-out plan", "回退方案"},
    {"verification_plan", OL_F_TEXT, 0, 0, 20000, NULL, NULL, "Verification plan", "验证方案"},
};

static const char *const model_states[] = {"draft", "active", "retired", NULL};
static const char *const st_draft[] = {"draft", NULL};
static const char *const st_active[] = {"active", NULL};

static const ol_duty_t model_duties[] = {
    {OL_DUTY_NOT_ACTOR_OF, "create", "the approver of a change model is not its author",
     "变更模型的审批人不能是其创建人"},
    {0, NULL, NULL, NULL},
};

static const ol_transition_t model_transitions[] = {
    {"activate", st_draft, "active", managers, NULL, 0, NULL, "Approve and activate",
     "审批并启用", model_duties},
    {"retire", st_active, "retired", managers, NULL, 1, NULL, "Retire", "停用"},
};

const ol_record_type_t ol_change_model_type = {
    .name = "change_model",
    .path = "change_models",
    .prefix = "CHM",
    .label_en = "Change model",
    .label_zh = "变更模型",
    .fields = model_fields,
    .nfields = sizeof model_fields / sizeof model_fields[0],
    .states = model_states,
    .transitions = model_transitions,
    .ntransitions = sizeof model_transitions / sizeof model_transitions[0],
    .perms = {.read = everyone, .create = authors, .update = authors, .comment = authors,
              .export = planners},
};

/* ---- freeze periods ------------------------------------------------------------------------- */

static const ol_field_t freeze_fields[] = {
    {"title", OL_F_STRING, OL_FIELD_REQUIRED | OL_FIELD_SEARCHABLE | OL_FIELD_SORTABLE, 3, 200,
     NULL, NULL, "Title", "标题"},
    {"start", OL_F_DATETIME, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE | OL_FIELD_SORTABLE, 0, 0,
     NULL, NULL, "Start", "开始时间"},
    {"end", OL_F_DATETIME, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE | OL_FIELD_SORTABLE, 0, 0,
     NULL, NULL, "End", "结束时间"},
    {"reason", OL_F_TEXT, OL_FIELD_REQUIRED | OL_FIELD_SEARCHABLE, 1, 4000, NULL, NULL,
     "Reason (promotion, month-end close ...)", "原因(营销活动、月末结算等)"},
    {"scope", OL_F_TAGS, OL_FIELD_FILTERABLE, 0, 30, NULL, NULL,
     "Change types or categories frozen (none = all)", "冻结的变更类型或类别(空=全部)"},
};

static const char *const freeze_states[] = {"active", "lifted", NULL};

static const ol_transition_t freeze_transitions[] = {
    {"lift", st_active, "lifted", planners, NULL, 1, NULL, "Lift", "解除"},
};

static void freeze_compute(json_t *rec, const char *state)
{
    static const char *const times[] = {"start", "end", NULL};
    (void)state;
    for (int k = 0; times[k]; k++) { /* one stored form, so that range filters compare right */
        time_t t;
        char buf[32];
        if (!ol_iso_parse(json_string_value(json_object_get(rec, times[k])), &t))
            json_object_set_new(rec, times[k], json_string(ol_iso_at(t, buf)));
    }
}

static int freeze_check(ol_conn_t *conn, ol_ctx_t *c, json_t *rec, const char *state,
                        const json_t *old)
{
    (void)conn, (void)state, (void)old;
    time_t s, e;
    if (!ol_iso_parse(json_string_value(json_object_get(rec, "start")), &s) &&
        !ol_iso_parse(json_string_value(json_object_get(rec, "end")), &e) && e <= s)
        ol_schema_add_error(c->errors, "end", "change_end_before_start", c->lang, NULL);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(rec, "scope"), i, v) {
        const char *s2 = json_string_value(v);
        int known = 0;
        for (const char *const *k = ol_change_types; s2 && *k; k++)
            known |= !strcmp(*k, s2);
        for (const char *const *k = ol_change_categories; s2 && *k; k++)
            known |= !strcmp(*k, s2);
        if (!known)
            ol_schema_add_error(c->errors, "scope", "freeze_scope", c->lang, s2 ? s2 : "");
    }
    return json_array_size(c->errors) ? ol_ctx_fail(c, -OL_EINVAL, "the freeze is invalid") : 0;
}

const ol_record_type_t ol_freeze_type = {
    .name = "freeze",
    .path = "freezes",
    .prefix = "FRZ",
    .label_en = "Change freeze",
    .label_zh = "变更冻结期",
    .fields = freeze_fields,
    .nfields = sizeof freeze_fields / sizeof freeze_fields[0],
    .states = freeze_states,
    .transitions = freeze_transitions,
    .ntransitions = sizeof freeze_transitions / sizeof freeze_transitions[0],
    .perms = {.read = everyone, .create = planners, .update = planners, .comment = planners,
              .export = planners},
    .compute = freeze_compute,
    .check = freeze_check,
};
