/* modules/elevation.c - temporary privilege elevation (REQUIREMENTS S4, 002 §1.2.6): a user asks
 * for a role for some days with a reason; someone else with authority approves (not the
 * requester, not the person elevated: S6), the role is granted until it expires, and it is
 * taken back at expiry or on revocation. Every step is a record transition, so it is audited
 * and has a history. The longest elevation is the policy elevation_max_days (7). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth/access.h"
#include "auth/roles.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "records/ctx.h"
#include "records/schema.h"
#include "records/query.h"
#include "records/store.h"
#include "modules/registry.h"

/* Filled from the role catalogue at registration: the role field is an enum of it. */
static const char *role_names[64];

static const ol_field_t fields[] = {
    {"title", OL_F_STRING, OL_FIELD_REQUIRED | OL_FIELD_SEARCHABLE, 3, 200, NULL, NULL,
     "Title", "标题"},
    {"user", OL_F_USER, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 0, 0, NULL, NULL,
     "User elevated", "提权用户"},
    {"role", OL_F_ENUM, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 0, 0, role_names, NULL, "Role",
     "角色"},
    {"reason", OL_F_TEXT, OL_FIELD_REQUIRED | OL_FIELD_SEARCHABLE, 10, 4000, NULL, NULL,
     "Reason", "理由"},
    {"days", OL_F_INT, OL_FIELD_REQUIRED, 1, 365, NULL, NULL, "Days", "天数"},
};

static const char *const states[] = {"requested", "active", "rejected", "expired", "revoked",
                                     NULL};
static const char *const st_requested[] = {"requested", NULL};
static const char *const st_active[] = {"active", NULL};
static const char *const approvers[] = {"infosec_manager", NULL};
static const char *const admins[] = {"admin", NULL};
static const char *const everyone[] = {"*", NULL};

static const ol_duty_t approve_duties[] = {
    {OL_DUTY_NOT_ACTOR_OF, "create", "the approver is not the requester", "审批人不能是申请人"},
    {OL_DUTY_NOT_FIELD, "user", "the approver is not the person elevated", "审批人不能是被提权人"},
    {OL_DUTY_INTERNAL, NULL, "the approver is an internal employee, not a temporary or "
     "contractor account", "审批人必须是内部员工,不能是临时或外包账号"},
    {0, NULL, NULL, NULL},
};
static const ol_duty_t reject_duties[] = {
    {OL_DUTY_NOT_ACTOR_OF, "create", "the approver is not the requester", "审批人不能是申请人"},
    {0, NULL, NULL, NULL},
};

static int within_policy(const ol_guard_ctx_t *g, char *msg, size_t msglen)
{
    long max = ol_config_int(ol_config()->elevation_max_days);
    json_int_t days = json_integer_value(json_object_get(g->record, "days"));
    if (days > max) {
        snprintf(msg, msglen, "an elevation lasts at most %ld days (policy elevation_max_days)",
                 max);
        return -OL_ESTATE;
    }
    return 0;
}

static int grant(struct ol_conn *conn, struct ol_ctx *c, const json_t *rec)
{
    json_int_t days = json_integer_value(json_object_get(rec, "days"));
    char until[32];
    struct timespec now;
    ol_clock(&now);
    time_t t = now.tv_sec + (time_t)days * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(until, sizeof until, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
    return ol_access_elevate(conn, c, json_string_value(json_object_get(rec, "user")),
                             json_string_value(json_object_get(rec, "role")), until);
}

static int take_back(struct ol_conn *conn, struct ol_ctx *c, const json_t *rec)
{
    return ol_access_unelevate(conn, c, json_string_value(json_object_get(rec, "user")),
                               json_string_value(json_object_get(rec, "role")));
}

static const ol_transition_t transitions[] = {
    {"approve", st_requested, "active", approvers, NULL, 0, within_policy, "Approve", "批准",
     approve_duties, grant, 1},
    {"reject", st_requested, "rejected", approvers, NULL, 1, NULL, "Reject", "驳回",
     reject_duties, NULL},
    {"revoke", st_active, "revoked", approvers, NULL, 1, NULL, "Revoke", "撤销", NULL, take_back},
    {"expire", st_active, "expired", admins, NULL, 0, NULL, "Expire", "到期", NULL, take_back},
};

const ol_record_type_t ol_elevation_type = {
    .name = "elevation",
    .path = "elevations",
    .prefix = "EL",
    .label_en = "Privilege elevation",
    .label_zh = "临时提权",
    .fields = fields,
    .nfields = sizeof fields / sizeof fields[0],
    .states = states,
    .transitions = transitions,
    .ntransitions = sizeof transitions / sizeof transitions[0],
    .perms = {.read = everyone, .create = everyone, .update = approvers, .comment = everyone},
};

void ol_elevation_prepare(void)
{
    size_t n = 0;
    for (const ol_role_t *r = ol_builtin_roles; r->name && n + 1 < 64; r++)
        role_names[n++] = r->name;
    role_names[n] = NULL;
}

/* Expires the active elevations whose days have passed (called from serve's loop). */
int ol_elevation_sweep(ol_db_t *db)
{
    static const char *const system_roles[] = {"admin", NULL};
    ol_ctx_t q;
    ol_ctx_init(&q, db, "system", system_roles);
    q.via = "system";
    ol_query_t query;
    ol_query_init(&query);
    int rc = ol_query_add(&q, &ol_elevation_type, &query, "state", "active");
    if (!rc)
        rc = ol_query_add(&q, &ol_elevation_type, &query, "limit", "200");
    if (!rc)
        rc = ol_rec_list(&q, &ol_elevation_type, &query);
    ol_query_clear(&query);
    int expired = 0;
    json_t *items = rc ? NULL : json_object_get(q.result, "items");
    size_t i;
    json_t *rec;
    time_t now = ol_time();
    json_array_foreach(items, i, rec) {
        time_t since;
        if (ol_iso_parse(json_string_value(json_object_get(rec, "state_changed_at")), &since))
            continue;
        json_int_t days = json_integer_value(json_object_get(rec, "days"));
        if (since + (time_t)days * 86400 > now)
            continue;
        ol_ctx_t c;
        ol_ctx_init(&c, db, "system", system_roles);
        c.via = "system";
        ol_write_t w;
        const char *number = json_string_value(json_object_get(rec, "number"));
        if (ol_rec_transition_prepare(&c, &ol_elevation_type, number, "expire", 0, NULL, &w) == 0 &&
            ol_write_run(db, &w) == 0)
            expired++;
        ol_ctx_clear(&c);
    }
    ol_ctx_clear(&q);
    return rc ? rc : expired;
}
