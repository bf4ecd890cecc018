/* modules/change_approval.c - who approves a change (REQUIREMENTS C6; 004 §7.2.5.3, 002 §2.5.3):
 * the guards of reject and approve_emergency, and the emergency change's written approval
 * filed afterwards. An emergency change is approved by the head of the requester's org unit (up
 * the parents), else - by the change_emergency_approver policy - by the operations manager or
 * the emergency command group; in the leadership's review only the leadership rejects. */
#include <stdio.h>
#include <string.h>

#include "auth/access.h"
#include "auth/authz.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/json.h"
#include "modules/change.h"
#include "modules/service_desk.h"

const char *const ol_change_leadership_roles[] = {"leadership", NULL};
/* 004 §7.2.5.3: the shipped roles that approve an emergency change when no unit head does
 * (administrators may grant transition:approve_emergency to others). */
static const char *const heads[] = {"ops_manager", "emergency_command", NULL};
static const char *const rejecters_before[] = {"ops_manager", "expert_team", "emergency_command",
                                               NULL};

static int refuse(char *msg, size_t msglen, const char *text)
{
    snprintf(msg, msglen, "%s", text);
    return -OL_ESTATE;
}

static int holds(const ol_ctx_t *c, const char *const *roles)
{
    for (const char *const *r = c->roles; r && *r; r++)
        for (const char *const *want = roles; *want; want++)
            if (!strcmp(*r, *want) || !strcmp(*r, "admin"))
                return 1;
    return 0;
}

/* C6: in the leadership's review only the leadership rejects; before it, the others. An
 * administrator's grant of transition:reject counts for both. */
int ol_change_reject_guard(const ol_guard_ctx_t *g, char *msg, size_t msglen)
{
    const char *from = ol_json_str(g->record, "state");
    int at_leadership = from && !strcmp(from, "leadership_review");
    const ol_ctx_t *c = g->ctx;
    if (!c || holds(c, at_leadership ? ol_change_leadership_roles : rejecters_before) ||
        ol_authz_granted(c->roles, "change", "transition:reject"))
        return 0;
    snprintf(msg, msglen, at_leadership ? "the change is with the leadership: only the leadership "
                                          "rejects it"
                                        : "only the operations manager, the expert team or the "
                                          "emergency command group reject a change before the "
                                          "leadership's review");
    return -OL_EFORBIDDEN;
}

/* C6 (004 §7.2.5.3, 002 §2.5.3): whether c's user approves the emergency change rec, under
 * change_emergency_approver: the head of the requester's org unit (up the parents), else (or
 * with "role") the operations manager or the emergency command group. 0, or a negative OL_E*
 * code with the refusal in msg and who approves in who. Reads in conn. */
static int may_approve_emergency(ol_conn_t *conn, const ol_ctx_t *c, const json_t *rec, char *who,
                                 size_t wholen, char *msg, size_t msglen)
{
    const char *policy = ol_config()->change_emergency_approver;
    const char *requester = ol_json_str(rec, "requester");
    char unit[80] = "", head[80] = "";
    if (strcmp(policy, "role")) {
        int rc = ol_org_unit_head_of(conn, requester, unit, sizeof unit, head, sizeof head);
        if (rc) {
            snprintf(msg, msglen, "the head of the requester's unit could not be read");
            return rc;
        }
    }
    if (*head) {
        if (c->user && !strcmp(c->user, head))
            return 0;
        snprintf(who, wholen, "%s, head of %s", head, unit);
        snprintf(msg, msglen, "only the head of unit %s (%s) approves this emergency change", unit,
                 head);
        return -OL_EFORBIDDEN;
    }
    if (!strcmp(policy, "unit_head")) {
        snprintf(who, wholen, "the head of the requester's unit");
        snprintf(msg, msglen, "no head of unit approves this emergency change: %s%s%s has no head "
                 "up its parents (change_emergency_approver = unit_head); an administrator sets "
                 "one", *unit ? "the unit " : "the requester ", *unit ? unit : "",
                 *unit ? "" : (requester ? "belongs to no unit and" : "is unknown and"));
        return -OL_ESTATE;
    }
    if (holds(c, heads) || ol_authz_granted(c->roles, "change", "transition:approve_emergency"))
        return 0;
    snprintf(who, wholen, "ops_manager, emergency_command");
    snprintf(msg, msglen, "only the operations manager or the emergency command group approve "
             "this emergency change (%s%s has no head of unit)", *unit ? "the unit " : "the "
             "requester", *unit ? unit : "");
    return -OL_EFORBIDDEN;
}

typedef struct {
    const ol_guard_ctx_t *g;
    char *msg;
    size_t msglen;
    int rc;
} approver_job_t;

static int approver_job(ol_conn_t *conn, void *arg)
{
    approver_job_t *j = arg;
    char who[160];
    j->rc = may_approve_emergency(conn, j->g->ctx, j->g->record, who, sizeof who, j->msg,
                                  j->msglen);
    return 0;
}

/* C6: approve_emergency is open to anyone who may update changes (roles NULL); this narrows it
 * to the approver change_emergency_approver names. */
int ol_change_emergency_approver(const ol_guard_ctx_t *g, char *msg, size_t msglen)
{
    int rc = 0;
    if (!ol_json_true(g->record, "emergency"))
        return refuse(msg, msglen, "this change is not an emergency");
    if (!g->ctx)
        return refuse(msg, msglen, "the approver cannot be told without a caller");
    approver_job_t j = {g, msg, msglen, 0};
    if (g->conn)
        approver_job(g->conn, &j);
    else if ((rc = ol_db_read(g->ctx->db, approver_job, &j)))
        return rc;
    return j.rc;
}


/* C6: the written approval of an emergency change, filed afterwards by its approver. */
int ol_change_check_written_approval(ol_conn_t *conn, ol_ctx_t *c, json_t *rec, const json_t *old)
{
    if (!ol_sd_changed(old, rec, "written_approval"))
        return 0;
    const char *text = ol_json_str(rec, "written_approval");
    if (!ol_json_true(rec, "emergency"))
        return ol_change_field_error(c, "written_approval", "change_written_not_emergency", NULL,
                           "only an emergency change is approved in writing afterwards");
    char who[160] = "", why[256] = "";
    int rc = may_approve_emergency(conn, c, rec, who, sizeof who, why, sizeof why);
    if (rc == -OL_EFORBIDDEN || rc == -OL_ESTATE)
        return ol_change_field_error(c, "written_approval", "change_written_approver", who, why);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    if (ol_json_str(rec, "requester") && c->user && !strcmp(ol_json_str(rec, "requester"), c->user))
        return ol_change_field_error(c, "written_approval", "change_written_approver",
                           "ops_manager, emergency_command",
                           "the requester does not approve their own change");
    char now[32];
    json_object_set_new(rec, "written_approval_by",
                        text && *text ? json_string(c->user) : json_null());
    json_object_set_new(rec, "written_approval_at",
                        text && *text ? json_string(ol_iso_at(ol_time(), now)) : json_null());
    return 0;
}

