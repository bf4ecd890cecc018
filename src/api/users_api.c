/* api/users_api.c - S4 user administration for administrators:
 *   GET/POST /api/v1/users, GET/PATCH /api/v1/users/{name},
 *   POST /api/v1/users/{name}/disable|enable|password. Roles are assigned by the RBAC routes
 *   (api/access_api.c, /users/{name}/access). Reading needs read on "user", changing needs
 *   administer; disable, enable and password resets also need an MFA step-up (S3). */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "auth/account.h"
#include "auth/authz.h"
#include "auth/mfa.h"
#include "core/err.h"
#include "core/json.h"
#include "records/schema.h"

static void method_not_allowed(ol_req_t *r, const char *allow)
{
    char detail[64];
    snprintf(detail, sizeof detail, "use %s", allow);
    ol_reply_problem(r, 405, "Method Not Allowed", detail, NULL);
    ol_reply_header(r, "Allow", allow);
}

static void reply_result(ol_req_t *r, int rc, ol_ctx_t *c, int status)
{
    if (rc)
        ol_api_reply_error(r, rc, c);
    else if (status == 204)
        ol_reply(r, 204, "application/json", "", 0);
    else
        ol_reply_json(r, status, c->result);
}

/* Roles given at creation ([] of names); they are checked by ol_user_create_ex. */
static void roles_list(json_t *roles, const char **list, ol_ctx_t *c)
{
    json_t *v;
    size_t i;
    if (roles && (!json_is_array(roles) || json_array_size(roles) > OL_MAX_ROLES)) {
        ol_schema_add_error(c->errors, "roles", "type_tags", c->lang, NULL);
        return;
    }
    json_array_foreach(roles, i, v) {
        if (!json_is_string(v)) {
            ol_schema_add_error(c->errors, "roles", "type_tags", c->lang, NULL);
            return;
        }
        list[i] = json_string_value(v);
    }
}

static const char *opt_string(json_t *body, const char *key, ol_ctx_t *c)
{
    json_t *v = json_object_get(body, key);
    if (v && !json_is_string(v))
        ol_schema_add_error(c->errors, key, "type_string", c->lang, NULL);
    return json_string_value(v);
}

static void create(ol_req_t *r, ol_call_t *call, json_t *body)
{
    ol_ctx_t *c = &call->ctx;
    static const char *const keys[] = {"username", "password", "display_name", "roles", "kind",
                                       "expires_at", "email", "phone", NULL};
    ol_input_check_keys(body, keys, c->lang, c->errors);
    const char *list[OL_MAX_ROLES + 1] = {NULL};
    roles_list(json_object_get(body, "roles"), list, c);
    ol_user_fields_t f = {
        .username = opt_string(body, "username", c),
        .display_name = opt_string(body, "display_name", c),
        .email = opt_string(body, "email", c),
        .phone = opt_string(body, "phone", c),
        .kind = opt_string(body, "kind", c),
        .expires_at = opt_string(body, "expires_at", c),
    };
    const char *password = opt_string(body, "password", c);
    /* Unknown keys and wrong types first; then every field's value (ol_user_create_ex). */
    int rc = json_array_size(c->errors) ? ol_ctx_fail(c, -OL_EINVAL, "the user is invalid")
                                        : ol_user_create_ex(c, &f, password, list);
    if (rc == 0)
        rc = ol_user_get(c, f.username);
    reply_result(r, rc, c, 201);
}

static void action(ol_req_t *r, ol_call_t *call, const char *name, const char *what, json_t *body)
{
    ol_ctx_t *c = &call->ctx;
    int rc, status = 200;
    if (!strcmp(what, "disable")) {
        static const char *const keys[] = {"reason", NULL};
        ol_input_check_keys(body, keys, c->lang, c->errors);
        rc = ol_user_disable(c, name, opt_string(body, "reason", c));
    } else if (!strcmp(what, "enable")) {
        static const char *const keys[] = {NULL};
        ol_input_check_keys(body, keys, c->lang, c->errors);
        rc = json_array_size(c->errors) ? ol_ctx_fail(c, -OL_EINVAL, "enable takes no fields")
                                        : ol_user_enable(c, name);
    } else if (!strcmp(what, "password")) {
        static const char *const keys[] = {"password", NULL};
        ol_input_check_keys(body, keys, c->lang, c->errors);
        const char *pw = opt_string(body, "password", c);
        rc = json_array_size(c->errors) ? ol_ctx_fail(c, -OL_EINVAL, "the password is invalid")
                                        : ol_password_reset(c, name, pw);
        status = 204;
    } else {
        ol_reply_problem(r, 404, "Not Found", "no such resource", NULL);
        return;
    }
    reply_result(r, rc, c, status);
}

int ol_api_users_action(const char *action)
{
    return !strcmp(action, "disable") || !strcmp(action, "enable") || !strcmp(action, "password");
}

/* Authorization (auth/authz.h) and, for the permission-like changes, a fresh MFA code. */
static int allowed(ol_req_t *r, ol_call_t *call, int get, int nseg)
{
    ol_ctx_t *c = &call->ctx;
    if (!ol_authz(c->roles, "user", get ? "read" : "administer")) {
        ol_ctx_fail(c, -OL_EFORBIDDEN, "your roles do not allow %s users",
                    get ? "reading" : "administering");
        ol_api_reply_error(r, -OL_EFORBIDDEN, c);
        return 0;
    }
    int rc = nseg == 5 ? ol_mfa_step_up_check(c, &call->who) : 0;
    if (rc)
        ol_api_reply_error(r, rc, c);
    return rc == 0;
}

void ol_api_users(ol_req_t *r, ol_call_t *call, char **seg, int nseg)
{
    static const char *const routes[] = {"/api/v1/users", "/api/v1/users/{name}",
                                         "/api/v1/users/{name}/{action}"};
    ol_ctx_t *c = &call->ctx;
    r->route = routes[nseg - 3];
    const char *allow = nseg == 3 ? "GET, POST" : nseg == 4 ? "GET, PATCH" : "POST";
    const char *write = nseg == 3 ? "POST" : nseg == 4 ? "PATCH" : "POST";
    int get = nseg < 5 && !strcmp(r->method, "GET");
    if (!get && strcmp(r->method, write)) {
        method_not_allowed(r, allow);
        return;
    }
    if (!allowed(r, call, get, nseg))
        return;
    if (get && nseg == 3) {
        const char *kind = ol_req_query(r, "kind"), *disabled = ol_req_query(r, "disabled");
        int d = -1;
        if (disabled && strcmp(disabled, "true") && strcmp(disabled, "false"))
            ol_schema_add_error(c->errors, "disabled", "type_bool", c->lang, NULL);
        else if (disabled)
            d = !strcmp(disabled, "true");
        if (kind && strcmp(kind, "regular") && strcmp(kind, "temporary") &&
            strcmp(kind, "contractor"))
            ol_schema_add_error(c->errors, "kind", "user_kind", c->lang, NULL);
        int rc = json_array_size(c->errors) ? ol_ctx_fail(c, -OL_EINVAL, "bad filter")
                                            : ol_user_list(c, kind, d);
        if (rc == 0) {
            json_t *out = json_pack("{sO}", "items", c->result);
            json_decref(c->result);
            c->result = out;
        }
        reply_result(r, rc, c, 200);
        return;
    }
    if (get) {
        reply_result(r, ol_user_get(c, seg[3]), c, 200);
        return;
    }
    json_t *body = ol_api_body_or_reply(r, call);
    if (!body)
        return;
    if (nseg == 3)
        create(r, call, body);
    else if (nseg == 4)
        reply_result(r, ol_user_update(c, seg[3], body), c, 200);
    else
        action(r, call, seg[3], seg[4], body);
    json_decref(body);
}
