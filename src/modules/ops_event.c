/* modules/ops_event.c - operations calendar events (REQUIREMENTS P5; 004 §7.2.5): maintenance
 * windows, disaster-recovery and emergency drills and other planned operations work, with a
 * start, an end and the CIs they touch, shown on the operations calendar beside changes,
 * releases and freeze windows. */
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "modules/release.h"

static const char *const kinds[] = {"maintenance", "drill", "other", NULL};

static const ol_field_t fields[] = {
    {"title", OL_F_STRING, OL_FIELD_REQUIRED | OL_FIELD_SEARCHABLE | OL_FIELD_SORTABLE, 3, 200,
     NULL, NULL, "Title", "标题"},
    {"kind", OL_F_ENUM, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 0, 0, kinds, "\"maintenance\"",
     "Kind", "类型"},
    {"description", OL_F_TEXT, OL_FIELD_SEARCHABLE, 0, 20000, NULL, NULL, "Description", "说明"},
    {"start", OL_F_DATETIME, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE | OL_FIELD_SORTABLE, 0, 0,
     NULL, NULL, "Start", "开始时间"},
    {"end", OL_F_DATETIME, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE | OL_FIELD_SORTABLE, 0, 0,
     NULL, NULL, "End", "结束时间"},
    {"cis", OL_F_TAGS, OL_FIELD_FILTERABLE, 0, 100, NULL, NULL, "Configuration items",
     "涉及配置项"},
    {"group", OL_F_STRING, OL_FIELD_FILTERABLE, 0, 100, NULL, NULL, "Team", "负责团队"},
    {"owner", OL_F_USER, OL_FIELD_FILTERABLE, 0, 0, NULL, NULL, "Owner", "负责人"},
    {"outcome", OL_F_TEXT, 0, 0, 20000, NULL, NULL, "Outcome", "执行结果"},
};

static const char *const states[] = {"planned", "done", "cancelled", NULL};
static const char *const st_planned[] = {"planned", NULL};

static const char *const everyone[] = {"*", NULL};
static const char *const planners[] = {"ops_manager", "ops_engineer", "continuity_manager",
                                       "release_manager", "change_assessor", NULL};
static const char *const managers[] = {"ops_manager", "continuity_manager", NULL};
static const char *const needs_outcome[] = {"outcome", NULL};

static const ol_transition_t transitions[] = {
    {"done", st_planned, "done", planners, needs_outcome, 0, NULL, "Done", "已完成"},
    {"cancel", st_planned, "cancelled", planners, NULL, 1, NULL, "Cancel", "取消"},
};

static int check(ol_conn_t *conn, ol_ctx_t *c, json_t *rec, const char *state, const json_t *old)
{
    (void)conn, (void)state, (void)old;
    time_t s, e;
    if (!ol_iso_parse(json_string_value(json_object_get(rec, "start")), &s) &&
        !ol_iso_parse(json_string_value(json_object_get(rec, "end")), &e) && e <= s) {
        ol_schema_add_error(c->errors, "end", "end_before_start", c->lang, NULL);
        return ol_ctx_fail(c, -OL_EINVAL, "the end is not after the start");
    }
    return 0;
}

const ol_record_type_t ol_ops_event_type = {
    .name = "ops_event",
    .path = "ops_events",
    .prefix = "OPS",
    .label_en = "Operations event",
    .label_zh = "运维日历事项",
    .fields = fields,
    .nfields = sizeof fields / sizeof fields[0],
    .states = states,
    .transitions = transitions,
    .ntransitions = sizeof transitions / sizeof transitions[0],
    .perms = {.read = everyone, .create = planners, .update = planners, .comment = everyone,
              .export = managers},
    .check = check,
};
