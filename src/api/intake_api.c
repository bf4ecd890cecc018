/* api/intake_api.c - I1 monitoring intake over HTTP:
 *   POST /api/v1/integrations/alertmanager, POST /api/v1/integrations/zabbix, POST /api/v1/events
 *     authenticated by an integration's token (Authorization: Bearer oli_...), of its kind;
 *   GET/POST /api/v1/integrations, GET/DELETE /api/v1/integrations/{name} (DELETE revokes):
 *     read needs read on "integration", the rest administer;
 *   GET /api/v1/incidents/{number}/alerts: the alerts merged into an incident. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "auth/authz.h"
#include "core/err.h"
#include "modules/intake.h"
#include "records/store.h"

extern const ol_record_type_t ol_incident_type;

/* The system actor of an integration: creates incidents (service desk) and resolves them by
 * the auto_resolve transition, which only this role may take. */
static const char *const actor_roles[] = {"service_desk", "monitoring", NULL};

static void unauthorized(ol_req_t *r, const char *detail)
{
    ol_reply_problem(r, 401, "Unauthorized", detail, NULL);
    ol_reply_header(r, "WWW-Authenticate", "Bearer");
}

int ol_api_intake_route(ol_req_t *r, ol_app_t *app, char **seg, int nseg)
{
    const char *kind;
    if (nseg == 3 && !strcmp(seg[2], "events"))
        kind = "generic";
    else if (nseg == 4 && !strcmp(seg[2], "integrations") &&
             (!strcmp(seg[3], "alertmanager") || !strcmp(seg[3], "zabbix")))
        kind = seg[3];
    else
        return 0;
    r->route = !strcmp(kind, "generic") ? "/api/v1/events"
               : !strcmp(kind, "zabbix") ? "/api/v1/integrations/zabbix"
                                         : "/api/v1/integrations/alertmanager";
    if (strcmp(r->method, "POST")) {
        ol_api_not_allowed(r, "POST");
        return 1;
    }
    ol_call_t *call = ol_arena_alloc(&r->arena, sizeof(*call));
    memset(call, 0, sizeof(*call));
    call->app = app;
    r->user = call;
    const char *authz = ol_req_header(r, "Authorization");
    if (!authz || strncasecmp(authz, "Bearer ", 7)) {
        unauthorized(r, "send the integration's token: 'Authorization: Bearer oli_...'");
        return 1;
    }
    ol_integration_t *in = ol_arena_alloc(&r->arena, sizeof(*in));
    int rc = ol_integration_by_token(app->db, authz + 7, in);
    if (rc == -OL_EUNAUTH) {
        /* A person's valid token is refused (and audited), not unknown. */
        if (ol_authenticate(app->db, authz + 7, NULL, &r->arena, &call->who) == 0) {
            ol_ctx_init(&call->ctx, app->db, call->who.username, call->who.roles);
            call->ctx.ip = r->client_ip;
            ol_ctx_fail(&call->ctx, -OL_EFORBIDDEN,
                        "monitoring posts with an integration's token, not a person's");
            ol_api_reply_error(r, -OL_EFORBIDDEN, &call->ctx);
            return 1;
        }
        unauthorized(r, "the integration token is unknown or revoked");
        return 1;
    }
    if (rc) {
        ol_reply_problem(r, 503, "Service Unavailable", "database unavailable", NULL);
        return 1;
    }
    ol_ctx_init(&call->ctx, app->db, in->actor, actor_roles);
    ol_ctx_t *c = &call->ctx;
    c->ip = r->client_ip;
    c->via = "integration";
    c->lang = ol_lang_pick(ol_req_header(r, "Accept-Language"));
    if (strcmp(in->kind, kind)) {
        ol_ctx_fail(c, -OL_EFORBIDDEN, "integration %s is of kind %s: post to %s", in->name,
                    in->kind, !strcmp(in->kind, "generic") ? "/api/v1/events"
                              : !strcmp(in->kind, "zabbix") ? "/api/v1/integrations/zabbix"
                                                            : "/api/v1/integrations/alertmanager");
        ol_api_reply_error(r, -OL_EFORBIDDEN, c);
        return 1;
    }
    json_t *body = ol_api_body_or_reply(r, call);
    if (!body)
        return 1;
    ol_alerts_t alerts = {0};
    rc = !strcmp(kind, "alertmanager") ? ol_intake_read_alertmanager(c, body, &alerts)
         : !strcmp(kind, "zabbix")     ? ol_intake_read_zabbix(c, body, &alerts)
                                       : ol_intake_read_event(c, body, &alerts);
    json_decref(body);
    if (rc == 0)
        rc = ol_intake_prepare(c, in, &alerts, &call->write);
    ol_alerts_clear(&alerts);
    ol_api_start_write(r, call, rc);
    return 1;
}

/* ---- administration -------------------------------------------------------------------------- */

void ol_api_integrations(ol_req_t *r, ol_call_t *call, char **seg, int nseg)
{
    ol_ctx_t *c = &call->ctx;
    r->route = nseg == 3 ? "/api/v1/integrations" : "/api/v1/integrations/{name}";
    const char *allow = nseg == 3 ? "GET, POST" : "GET, DELETE";
    int get = !strcmp(r->method, "GET");
    if (nseg > 4 || !(get || !strcmp(r->method, nseg == 3 ? "POST" : "DELETE"))) {
        if (nseg > 4)
            ol_reply_problem(r, 404, "Not Found", "no such resource", NULL);
        else
            ol_api_not_allowed(r, allow);
        return;
    }
    if (!ol_authz(c->roles, "integration", get ? "read" : "administer")) {
        ol_ctx_fail(c, -OL_EFORBIDDEN, "your roles do not allow %s monitoring integrations",
                    get ? "reading" : "administering");
        ol_api_reply_error(r, -OL_EFORBIDDEN, c);
        return;
    }
    if (get) {
        ol_api_reply_result(r, nseg == 3 ? ol_integration_list(c) : ol_integration_get(c, seg[3]), c);
    } else if (nseg == 4) {
        ol_api_reply_result(r, ol_integration_revoke(c, seg[3]), c);
    } else {
        json_t *body = ol_api_body_or_reply(r, call);
        if (!body)
            return;
        char token[96];
        int rc = ol_integration_create(c, body, token);
        json_decref(body);
        memset(token, 0, sizeof token);
        ol_api_reply_result(r, rc, c);
    }
}

void ol_api_incident_alerts(ol_req_t *r, ol_call_t *call, const char *number)
{
    ol_ctx_t *c = &call->ctx;
    r->route = "/api/v1/incidents/{number}/alerts";
    if (strcmp(r->method, "GET")) {
        ol_api_not_allowed(r, "GET");
        return;
    }
    if (!ol_rec_allowed(c, &ol_incident_type, "read")) {
        ol_ctx_fail(c, -OL_EFORBIDDEN, "you may not read incidents");
        ol_api_reply_error(r, -OL_EFORBIDDEN, c);
        return;
    }
    ol_api_reply_result(r, ol_intake_alerts_of(c, number), c);
}
