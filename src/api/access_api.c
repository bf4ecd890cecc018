/* api/access_api.c - roles, grants, groups, organisation units and a user's access (S4-S6):
 *   GET  /api/v1/roles                               roles with labels, privilege and grants
 *   POST /api/v1/roles/{role}/grants                 {"resource", "action"}
 *   DELETE /api/v1/roles/{role}/grants/{resource}/{action}
 *   GET|PUT /api/v1/users/{name}/access              {"roles", "data_scope", "org_unit"}
 *   GET|POST /api/v1/groups, GET /api/v1/groups/{name}
 *   PUT  /api/v1/groups/{name}/roles                 {"roles": [...]}
 *   POST /api/v1/groups/{name}/members               {"username"}
 *   DELETE /api/v1/groups/{name}/members/{username}
 *   GET|POST /api/v1/org_units                       {"name", "label", "parent", "head"}
 *   GET|PATCH /api/v1/org_units/{name}               {"label", "head"} (C6: head null = none)
 * Reading needs read on the resource, changing needs administer (auth/authz.h). */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "auth/access.h"
#include "auth/authz.h"
#include "auth/mfa.h"
#include "core/err.h"
#include "modules/registry.h"
#include "records/schema.h"

#define MAX_NAMES 64

static int allowed(ol_req_t *r, ol_call_t *call, const char *resource, int changing)
{
    if (ol_authz(call->ctx.roles, resource, changing ? "administer" : "read")) {
        /* S3: a permission change needs a fresh TOTP confirmation (step-up). */
        int rc = changing && strcmp(resource, "org_unit") ? ol_mfa_step_up_check(&call->ctx, &call->who) : 0;
        if (rc)
            ol_api_reply_error(r, rc, &call->ctx);
        return rc == 0;
    }
    ol_ctx_fail(&call->ctx, -OL_EFORBIDDEN, "your roles do not allow %s %ss",
                changing ? "administering" : "reading", resource);
    ol_api_reply_error(r, -OL_EFORBIDDEN, &call->ctx);
    return 0;
}

static void reply(ol_req_t *r, int rc, ol_call_t *call)
{
    if (rc)
        ol_api_reply_error(r, rc, &call->ctx);
    else if (call->ctx.status == 204)
        ol_reply(r, 204, "application/json", "", 0);
    else
        ol_reply_json(r, call->ctx.status, call->ctx.result);
}

/* 1 when the method is one of allow ("GET, PUT"); else replies 405. */
static int only(ol_req_t *r, const char *allow)
{
    size_t n = strlen(r->method);
    for (const char *p = allow; (p = strstr(p, r->method)); p += n)
        if ((p == allow || p[-1] == ' ') && (p[n] == 0 || p[n] == ','))
            return 1;
    ol_reply_problem(r, 405, "Method Not Allowed", "this resource does not take that method", NULL);
    ol_reply_header(r, "Allow", allow);
    return 0;
}

/* Reads body[key] as an array of at most MAX_NAMES strings into out (NULL-terminated). Returns
 * 1 when present and valid, 0 when absent, -1 (field error added) when invalid. */
static int names(ol_ctx_t *c, const json_t *body, const char *key, const char **out)
{
    const json_t *a = json_object_get(body, key);
    out[0] = NULL;
    if (!a)
        return 0;
    if (!json_is_array(a) || json_array_size(a) > MAX_NAMES) {
        ol_schema_add_error(c->errors, key, "type_tags", c->lang, NULL);
        return -1;
    }
    size_t i;
    const json_t *v;
    json_array_foreach(a, i, v) {
        if (!json_is_string(v)) {
            ol_schema_add_error(c->errors, key, "type_tags", c->lang, NULL);
            return -1;
        }
        out[i] = json_string_value(v);
        out[i + 1] = NULL;
    }
    return 1;
}

/* body[key] as a string or NULL; adds a field error when present but not a string. */
static const char *text(ol_ctx_t *c, const json_t *body, const char *key)
{
    const json_t *v = json_object_get(body, key);
    if (v && !json_is_string(v))
        ol_schema_add_error(c->errors, key, "type_string", c->lang, NULL);
    return json_string_value(v);
}

static json_t *body_checked(ol_req_t *r, ol_call_t *call, const char *const *keys)
{
    json_t *body = ol_api_body_or_reply(r, call);
    if (body && ol_input_check_keys(body, keys, call->ctx.lang, call->ctx.errors)) {
        ol_ctx_fail(&call->ctx, -OL_EINVAL, "the body has unknown fields");
        ol_api_reply_error(r, -OL_EINVAL, &call->ctx);
        json_decref(body);
        return NULL;
    }
    return body;
}

static int bad_input(ol_req_t *r, ol_call_t *call)
{
    if (!json_array_size(call->ctx.errors))
        return 0;
    ol_ctx_fail(&call->ctx, -OL_EINVAL, "the request has invalid fields");
    ol_api_reply_error(r, -OL_EINVAL, &call->ctx);
    return 1;
}

void ol_api_roles(ol_req_t *r, ol_call_t *call, char **seg, int nseg)
{
    ol_ctx_t *c = &call->ctx;
    if (nseg == 3) {
        r->route = "/api/v1/roles";
        if (only(r, "GET") && allowed(r, call, "role", 0))
            reply(r, ol_role_list(c), call);
    } else if (nseg == 5 && !strcmp(seg[4], "grants")) {
        r->route = "/api/v1/roles/{role}/grants";
        static const char *const keys[] = {"resource", "action", NULL};
        json_t *body;
        if (!only(r, "POST") || !allowed(r, call, "role", 1) || !(body = body_checked(r, call, keys)))
            return;
        const char *res = text(c, body, "resource"), *act = text(c, body, "action");
        if (!bad_input(r, call))
            reply(r, ol_role_grant(c, seg[3], res, act), call);
        json_decref(body);
    } else if (nseg == 7 && !strcmp(seg[4], "grants")) {
        r->route = "/api/v1/roles/{role}/grants/{resource}/{action}";
        if (only(r, "DELETE") && allowed(r, call, "role", 1))
            reply(r, ol_role_revoke(c, seg[3], seg[5], seg[6]), call);
    } else {
        ol_reply_problem(r, 404, "Not Found", "no such resource", NULL);
    }
}

void ol_api_user_access(ol_req_t *r, ol_call_t *call, const char *username)
{
    ol_ctx_t *c = &call->ctx;
    r->route = "/api/v1/users/{name}/access";
    if (!only(r, "GET, PUT"))
        return;
    if (!strcmp(r->method, "GET")) {
        /* Everyone may see their own access; others' needs read on users. */
        if (strcmp(username, c->user ? c->user : "") && !allowed(r, call, "user", 0))
            return;
        reply(r, ol_access_get(c, username), call);
        return;
    }
    static const char *const keys[] = {"roles", "data_scope", "org_unit", NULL};
    json_t *body;
    if (!allowed(r, call, "user", 1) || !(body = body_checked(r, call, keys)))
        return;
    const char *roles[MAX_NAMES + 1];
    int has_roles = names(c, body, "roles", roles);
    const char *scope = text(c, body, "data_scope"), *unit = text(c, body, "org_unit");
    if (!bad_input(r, call))
        reply(r, ol_access_set(c, username, has_roles > 0 ? roles : NULL, scope, unit), call);
    json_decref(body);
}

void ol_api_groups(ol_req_t *r, ol_call_t *call, char **seg, int nseg)
{
    ol_ctx_t *c = &call->ctx;
    json_t *body = NULL;
    if (nseg == 3) {
        r->route = "/api/v1/groups";
        if (!only(r, "GET, POST"))
            return;
        if (!strcmp(r->method, "GET")) {
            if (allowed(r, call, "group", 0))
                reply(r, ol_group_list(c), call);
            return;
        }
        static const char *const keys[] = {"name", "label", "org_unit", NULL};
        if (!allowed(r, call, "group", 1) || !(body = body_checked(r, call, keys)))
            return;
        const char *name = text(c, body, "name"), *label = text(c, body, "label"),
                   *unit = text(c, body, "org_unit");
        if (!bad_input(r, call))
            reply(r, ol_group_create(c, name, label, unit), call);
    } else if (nseg == 4) {
        r->route = "/api/v1/groups/{name}";
        if (only(r, "GET") && allowed(r, call, "group", 0))
            reply(r, ol_group_get(c, seg[3]), call);
    } else if (nseg == 5 && !strcmp(seg[4], "roles")) {
        r->route = "/api/v1/groups/{name}/roles";
        static const char *const keys[] = {"roles", NULL};
        if (!only(r, "PUT") || !allowed(r, call, "group", 1) || !(body = body_checked(r, call, keys)))
            return;
        const char *roles[MAX_NAMES + 1];
        if (names(c, body, "roles", roles) == 0)
            ol_schema_add_error(c->errors, "roles", "required", c->lang, NULL);
        if (!bad_input(r, call))
            reply(r, ol_group_set_roles(c, seg[3], roles), call);
    } else if (nseg == 5 && !strcmp(seg[4], "members")) {
        r->route = "/api/v1/groups/{name}/members";
        static const char *const keys[] = {"username", NULL};
        if (!only(r, "POST") || !allowed(r, call, "group", 1) ||
            !(body = body_checked(r, call, keys)))
            return;
        const char *user = text(c, body, "username");
        if (!user)
            ol_schema_add_error(c->errors, "username", "required", c->lang, NULL);
        if (!bad_input(r, call))
            reply(r, ol_group_add_member(c, seg[3], user), call);
    } else if (nseg == 6 && !strcmp(seg[4], "members")) {
        r->route = "/api/v1/groups/{name}/members/{username}";
        if (only(r, "DELETE") && allowed(r, call, "group", 1)) {
            int rc = ol_group_remove_member(c, seg[3], seg[5]);
            if (!rc)
                c->status = 200;
            reply(r, rc, call);
        }
    } else {
        ol_reply_problem(r, 404, "Not Found", "no such resource", NULL);
    }
    json_decref(body);
}

/* /api/v1/access_reviews/{number}/items[/{id}]: the rights of a review and their decisions. */
void ol_api_review_items(ol_req_t *r, ol_call_t *call, char **seg, int nseg)
{
    ol_ctx_t *c = &call->ctx;
    if (nseg == 5) {
        r->route = "/api/v1/access_reviews/{number}/items";
        if (only(r, "GET"))
            reply(r, ol_review_items(c, seg[3]), call);
        return;
    }
    r->route = "/api/v1/access_reviews/{number}/items/{id}";
    char *end;
    long long id = strtoll(seg[5], &end, 10);
    if (*end || id <= 0) {
        ol_reply_problem(r, 404, "Not Found", "no such item", NULL);
        return;
    }
    static const char *const keys[] = {"decision", "note", NULL};
    json_t *body;
    int su = 0;
    if (!only(r, "POST"))
        return;
    if ((su = ol_mfa_step_up_check(c, &call->who))) { /* S3: decisions change permissions */
        ol_api_reply_error(r, su, c);
        return;
    }
    if (!(body = body_checked(r, call, keys)))
        return;
    const char *decision = text(c, body, "decision"), *note = text(c, body, "note");
    if (!bad_input(r, call))
        reply(r, ol_review_decide(c, seg[3], id, decision, note), call);
    json_decref(body);
}

/* body["head"]: a user name, or null / "" for none ("" returned); NULL when absent. */
static const char *head_of_body(ol_ctx_t *c, const json_t *body)
{
    const json_t *v = json_object_get(body, "head");
    return v && json_is_null(v) ? "" : text(c, body, "head");
}

/* S3, C6: naming a unit's head hands over an approval right: a fresh MFA confirmation, as for
 * other permission changes. 1 when allowed (or no head is named); else replied. */
static int head_step_up(ol_req_t *r, ol_call_t *call, const json_t *body)
{
    int rc = json_object_get(body, "head") ? ol_mfa_step_up_check(&call->ctx, &call->who) : 0;
    if (rc)
        ol_api_reply_error(r, rc, &call->ctx);
    return rc == 0;
}

void ol_api_org_units(ol_req_t *r, ol_call_t *call, char **seg, int nseg)
{
    ol_ctx_t *c = &call->ctx;
    json_t *body;
    if (nseg == 4) { /* C6: a unit, and setting its head */
        r->route = "/api/v1/org_units/{name}";
        if (!only(r, "GET, PATCH"))
            return;
        if (!strcmp(r->method, "GET")) {
            if (allowed(r, call, "org_unit", 0))
                reply(r, ol_org_unit_get(c, seg[3]), call);
            return;
        }
        static const char *const keys[] = {"label", "head", NULL};
        if (!allowed(r, call, "org_unit", 1) || !(body = body_checked(r, call, keys)))
            return;
        const char *label = text(c, body, "label"), *head = head_of_body(c, body);
        if (!bad_input(r, call) && head_step_up(r, call, body))
            reply(r, ol_org_unit_update(c, seg[3], label, head), call);
        json_decref(body);
        return;
    }
    r->route = "/api/v1/org_units";
    if (nseg != 3) {
        ol_reply_problem(r, 404, "Not Found", "no such resource", NULL);
        return;
    }
    if (!only(r, "GET, POST"))
        return;
    if (!strcmp(r->method, "GET")) {
        if (allowed(r, call, "org_unit", 0))
            reply(r, ol_org_unit_list(c), call);
        return;
    }
    static const char *const keys[] = {"name", "label", "parent", "head", NULL};
    if (!allowed(r, call, "org_unit", 1) || !(body = body_checked(r, call, keys)))
        return;
    const char *name = text(c, body, "name"), *label = text(c, body, "label"),
               *parent = text(c, body, "parent"), *head = head_of_body(c, body);
    if (!bad_input(r, call) && head_step_up(r, call, body))
        reply(r, ol_org_unit_create(c, name, label, parent, head), call);
    json_decref(body);
}
