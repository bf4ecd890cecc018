/* modules/request.c - service requests (REQUIREMENTS V2; 004 §5.1.5, §6.1.4): raised from an
 * active, requestable catalog service; approved by the operations manager when the service
 * needs it (never by the requester: S6); fulfilled by the service's group, reassigned with a
 * reason; confirmed and rated 1-5 by the requester (or sent back for rework), then closed. A
 * fulfiller may spawn a child request or a change (link "spawned"). The rating becomes a
 * closure survey (modules/survey.c) for the satisfaction report. */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "modules/service_desk.h"
#include "records/store.h"

extern const ol_record_type_t ol_service_type;
extern const ol_record_type_t ol_request_type;

static const ol_field_t fields[] = {
    {"title", OL_F_STRING, OL_FIELD_REQUIRED | OL_FIELD_SEARCHABLE | OL_FIELD_SORTABLE, 3, 200,
     NULL, NULL, "Title", "标题"},
    {"description", OL_F_TEXT, OL_FIELD_SEARCHABLE, 0, 20000, NULL, NULL, "What is needed",
     "申请内容"},
    {"service", OL_F_STRING, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 5, 32, NULL, NULL,
     "Catalog service (SVC-…)", "服务目录项(SVC-…)"},
    {"service_title", OL_F_STRING, OL_FIELD_READONLY | OL_FIELD_SEARCHABLE, 0, 200, NULL, NULL,
     "Service name", "服务名称"},
    {"requester", OL_F_USER, OL_FIELD_FILTERABLE, 0, 0, NULL, NULL, "Requester", "申请人"},
    {"justification", OL_F_TEXT, 0, 0, 4000, NULL, NULL, "Reason for the request", "申请理由"},
    {"deliverables", OL_F_TEXT, 0, 0, 4000, NULL, NULL, "Deliverables and acceptance criteria",
     "交付物和完工准则"},
    {"expected_by", OL_F_DATETIME, OL_FIELD_FILTERABLE | OL_FIELD_SORTABLE, 0, 0, NULL, NULL,
     "Wanted by", "期望完成时间"},
    {"approval_required", OL_F_BOOL, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, 0, NULL, NULL,
     "Needs approval", "需要审批"},
    {"approval_comment", OL_F_TEXT, 0, 0, 4000, NULL, NULL, "Approval opinion", "审核意见"},
    {"group", OL_F_STRING, OL_FIELD_FILTERABLE, 0, 100, NULL, NULL, "Fulfilment group",
     "实施组"},
    {"owner", OL_F_USER, OL_FIELD_FILTERABLE, 0, 0, NULL, NULL, "Fulfiller", "实施人"},
    {"parent", OL_F_STRING, OL_FIELD_FILTERABLE, 0, 32, NULL, NULL, "Parent request",
     "父服务请求"},
    {"resolution", OL_F_TEXT, OL_FIELD_SEARCHABLE, 0, 20000, NULL, NULL,
     "Solution, steps taken and result", "解决方案、处理过程和处理结果"},
    {"rating", OL_F_INT, OL_FIELD_FILTERABLE, 1, 5, NULL, NULL, "Satisfaction (1-5)",
     "满意度(1-5)"},
    {"feedback", OL_F_TEXT, 0, 0, 4000, NULL, NULL, "Requester's comment", "申请人评价"},
    {"fulfilled_at", OL_F_DATETIME, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, 0, NULL, NULL,
     "Fulfilled at", "实施完成时间"},
    {"confirmed_at", OL_F_DATETIME, OL_FIELD_READONLY | OL_FIELD_FILTERABLE, 0, 0, NULL, NULL,
     "Confirmed at", "确认时间"},
};

static const char *const states[] = {"submitted", "returned", "approved", "in_fulfilment",
                                     "fulfilled", "confirmed", "closed", "cancelled", NULL};
static const char *const st_submitted[] = {"submitted", NULL};
static const char *const st_returned[] = {"returned", NULL};
static const char *const st_startable[] = {"submitted", "approved", NULL};
static const char *const st_fulfilment[] = {"in_fulfilment", NULL};
static const char *const st_fulfilled[] = {"fulfilled", NULL};
static const char *const st_confirmed[] = {"confirmed", NULL};
static const char *const st_cancellable[] = {"submitted", "returned", "approved", NULL};

static const char *const everyone[] = {"*", NULL};
static const char *const managers[] = {"ops_manager", NULL};
static const char *const desk[] = {"service_desk", "ops_manager", NULL};
static const char *const export_roles[] = {"service_desk", "ops_manager", NULL};
static const char *const needs_owner[] = {"owner", NULL};
static const char *const needs_resolution[] = {"resolution", NULL};
static const char *const needs_rating[] = {"rating", NULL};

/* S6, 004 §5.1.5.2: the operations manager approves, and never their own request. */
static const ol_duty_t approval_duties[] = {
    {OL_DUTY_NOT_ACTOR_OF, "create", "the approver is not the one who raised the request",
     "审批人不能是提交人"},
    {OL_DUTY_NOT_FIELD, "requester", "the approver is not the requester", "审批人不能是申请人"},
    {0, NULL, NULL, NULL},
};

/* 004 §5.1.5.4: the requester confirms the result (or sends it back) themselves. */
static int is_requester(const ol_guard_ctx_t *g, char *msg, size_t msglen)
{
    const char *requester = ol_json_str(g->record, "requester");
    if (!requester || !g->actor || strcmp(requester, g->actor)) {
        snprintf(msg, msglen, "only the requester confirms the result or sends it back");
        return -OL_EFORBIDDEN;
    }
    return 0;
}

static int approved_if_needed(const ol_guard_ctx_t *g, char *msg, size_t msglen)
{
    const char *state = ol_json_str(g->record, "state");
    if (state && !strcmp(state, "submitted") &&
        json_is_true(json_object_get(g->record, "approval_required"))) {
        snprintf(msg, msglen, "the service needs approval first: an operations manager "
                              "approves the request");
        return -OL_ESTATE;
    }
    return 0;
}

static int on_confirm(ol_conn_t *conn, ol_ctx_t *c, const json_t *rec)
{
    return ol_survey_closure(conn, c, rec);
}

static const ol_transition_t transitions[] = {
    {"approve", st_submitted, "approved", managers, NULL, 0, NULL, "Approve", "审批通过",
     approval_duties},
    {"return", st_submitted, "returned", desk, NULL, 1, NULL, "Return to requester",
     "退回申请人"},
    {"resubmit", st_returned, "submitted", NULL, NULL, 0, NULL, "Resubmit", "重新提交"},
    {"start", st_startable, "in_fulfilment", ol_sd_workers, needs_owner, 0, approved_if_needed,
     "Start fulfilment", "开始实施"},
    {"reassign", st_fulfilment, "in_fulfilment", ol_sd_workers, needs_owner, 1, NULL,
     "Reassign", "转派"},
    {"fulfil", st_fulfilment, "fulfilled", ol_sd_workers, needs_resolution, 0, NULL, "Fulfilled",
     "实施完成"},
    {"rework", st_fulfilled, "in_fulfilment", NULL, NULL, 1, is_requester, "Send back",
     "退回重新处理"},
    {"confirm", st_fulfilled, "confirmed", NULL, needs_rating, 0, is_requester,
     "Confirm and rate", "确认并评价", NULL, on_confirm},
    {"close", st_confirmed, "closed", desk, NULL, 0, NULL, "Close", "关闭"},
    {"cancel", st_cancellable, "cancelled", NULL, NULL, 1, NULL, "Cancel", "取消"},
};

static void compute(json_t *rec, const char *state)
{
    static const char *const done[] = {"fulfilled", "confirmed", "closed", NULL};
    static const char *const confirmed[] = {"confirmed", "closed", NULL};
    ol_sd_stamp(rec, "fulfilled_at", ol_sd_in(state, done));
    ol_sd_stamp(rec, "confirmed_at", ol_sd_in(state, confirmed));
}

/* The catalog entry named in "service" must exist, be active and requestable; its name,
 * approval rule and fulfilment group are copied onto the request. */
static int check_service(ol_conn_t *conn, ol_ctx_t *c, json_t *rec)
{
    const char *number = ol_json_str(rec, "service");
    json_t *svc = NULL;
    int rc = number ? ol_rec_find(conn, c, &ol_service_type, number, &svc) : -OL_ENOTFOUND;
    int requestable = svc && !json_is_false(json_object_get(svc, "requestable"));
    const char *code = rc == -OL_ENOTFOUND                           ? "service_unknown"
                       : rc                                          ? NULL
                       : strcmp(ol_json_str(svc, "state"), "active") ? "service_inactive"
                       : !requestable                                ? "service_not_requestable"
                                                                     : NULL;
    if (code) {
        ol_schema_add_error(c->errors, "service", code, c->lang, number ? number : "");
        rc = ol_ctx_fail(c, -OL_EINVAL, "the request names a service it cannot be raised for");
    } else if (rc == 0) {
        json_object_set(rec, "service_title", json_object_get(svc, "title"));
        json_object_set(rec, "approval_required",
                        json_boolean(!json_is_false(json_object_get(svc, "approval_required"))));
        if (!ol_json_str(rec, "group") && ol_json_str(svc, "group"))
            json_object_set(rec, "group", json_object_get(svc, "group"));
    }
    json_decref(svc);
    return rc;
}

static int check(ol_conn_t *conn, ol_ctx_t *c, json_t *rec, const char *state, const json_t *old)
{
    int rc = ol_sd_check_party(c, rec, old, "requester");
    if (rc)
        return rc;
    static const char *const unlocked[] = {"submitted", "returned", NULL};
    if (!old || ol_sd_changed(old, rec, "service")) {
        if (old && !ol_sd_in(ol_json_str(old, "state"), unlocked)) {
            ol_schema_add_error(c->errors, "service", "service_locked", c->lang, NULL);
            return ol_ctx_fail(c, -OL_EINVAL, "the service of a request in progress is fixed");
        }
        if ((rc = check_service(conn, c, rec)))
            return rc;
    }
    /* The rating and its comment are the requester's, given when confirming (never changed). */
    int confirming =
        old && !strcmp(ol_json_str(old, "state"), "fulfilled") && !strcmp(state, "confirmed");
    static const char *const rated[] = {"rating", "feedback", NULL};
    for (int k = 0; rated[k]; k++) {
        if (ol_sd_changed(old, rec, rated[k]) && !confirming) {
            ol_schema_add_error(c->errors, rated[k], "rating_on_confirm", c->lang, NULL);
            return ol_ctx_fail(c, -OL_EINVAL, "the requester rates the request when confirming");
        }
    }
    const char *parent = ol_json_str(rec, "parent");
    if (parent && ol_sd_changed(old, rec, "parent")) {
        json_t *p = NULL;
        rc = ol_rec_find(conn, c, &ol_request_type, parent, &p);
        json_decref(p);
        if (rc == -OL_ENOTFOUND || (old && !strcmp(parent, ol_json_str(old, "number")))) {
            ol_schema_add_error(c->errors, "parent", "request_unknown", c->lang, parent);
            return ol_ctx_fail(c, -OL_EINVAL, "the parent request does not exist");
        }
    }
    return rc;
}

const ol_record_type_t ol_request_type = {
    .name = "request",
    .path = "requests",
    .prefix = "REQ",
    .label_en = "Service request",
    .label_zh = "服务请求",
    .fields = fields,
    .nfields = sizeof fields / sizeof fields[0],
    .states = states,
    .transitions = transitions,
    .ntransitions = sizeof transitions / sizeof transitions[0],
    .perms = {.read = everyone, .create = everyone, .update = everyone, .comment = everyone,
              .export = export_roles},
    .compute = compute,
    .check = check,
};
