/* api/session_api.c - log in and out, who am I, API tokens and (for administrators) users. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "auth/mfa.h"
#include "core/err.h"
#include "core/json.h"
#include "records/schema.h"

static const char *const none[] = {NULL};

void ol_api_session(ol_req_t *r, ol_app_t *app)
{
    ol_ctx_t c;
    ol_ctx_init(&c, app->db, NULL, none);
    c.ip = r->client_ip;
    c.lang = ol_lang_pick(ol_req_header(r, "Accept-Language"));
    ol_call_t call = {.app = app};
    json_t *body = ol_api_body_or_reply(r, &call);
    if (!body) {
        ol_ctx_clear(&c);
        return;
    }
    const char *user = json_string_value(json_object_get(body, "username"));
    const char *pass = json_string_value(json_object_get(body, "password"));
    if (!user || !*user)
        ol_schema_add_error(c.errors, "username", "required", c.lang, NULL);
    /* An empty password is a wrong one (401, audited), and never reaches a directory bind. */
    if (!pass)
        ol_schema_add_error(c.errors, "password", "required", c.lang, NULL);
    json_t *code = json_object_get(body, "code");
    if (code && !json_is_string(code))
        ol_schema_add_error(c.errors, "code", "type_string", c.lang, NULL);
    if (json_array_size(c.errors)) {
        ol_ctx_fail(&c, -OL_EINVAL, "user name and password are required");
        ol_api_reply_error(r, -OL_EINVAL, &c);
    } else {
        char token[96], csrf[96];
        /* S3: an optional "code" finishes a login with MFA in one request (api/mfa_api.c). */
        ol_mfa_login_t mfa = {.code = json_string_value(json_object_get(body, "code"))};
        int rc = ol_login(&c, user, pass, &mfa, token, csrf);
        if (rc)
            ol_api_reply_error(r, rc, &c);
        else if (mfa.pending)
            ol_api_reply_mfa_pending(r, &mfa);
        else
            ol_api_reply_login(r, app, user, token, csrf, NULL);
    }
    json_decref(body);
    ol_ctx_clear(&c);
}

void ol_api_reply_login(ol_req_t *r, ol_app_t *app, const char *user, const char *token,
                        const char *csrf, json_t *extra)
{
    json_t *out = json_pack("{sssss{si}}", "username", user, "csrf_token", csrf, "session",
                            "expires_in_hours", ol_auth_policy.session_hours);
    if (extra)
        json_object_update(out, extra);
    ol_reply_json(r, 200, out);
    json_decref(out);
    char cookie[256];
    snprintf(cookie, sizeof cookie, "ol_session=%s; Path=/; Max-Age=%d; HttpOnly; "
             "SameSite=Strict%s", token, ol_auth_policy.session_hours * 3600,
             app->tls ? "; Secure" : "");
    ol_reply_header(r, "Set-Cookie", cookie);
}

/* DELETE /api/v1/session: ends the browser session. It is authenticated like every other write,
 * so a cookie session must send its CSRF token (no cross-site logout). */
static void logout(ol_req_t *r, ol_call_t *call)
{
    const char *cookie = ol_req_cookie(r, "ol_session");
    if (!call->who.via_session || !cookie) {
        ol_reply_problem(r, 400, "Bad Request", "there is no browser session to end: API tokens "
                                                "are revoked, not logged out", NULL);
        return;
    }
    int rc = ol_logout(&call->ctx, cookie);
    if (rc) {
        ol_api_reply_error(r, rc, &call->ctx);
        return;
    }
    ol_reply(r, 204, "application/json", "", 0);
    ol_reply_header(r, "Set-Cookie", "ol_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
}

void ol_api_me(ol_req_t *r, ol_call_t *call)
{
    if (!strcmp(r->method, "DELETE")) {
        logout(r, call);
        return;
    }
    if (strcmp(r->method, "GET")) {
        ol_reply_problem(r, 405, "Method Not Allowed", "use GET, POST or DELETE", NULL);
        ol_reply_header(r, "Allow", "GET, POST, DELETE");
        return;
    }
    json_t *roles = json_array();
    for (const char *const *s = call->who.roles; *s; s++)
        json_array_append_new(roles, json_string(*s));
    json_t *out = json_pack("{sssosb}", "username", call->who.username, "roles", roles,
                            "via_session", call->who.via_session);
    if (call->who.via_session)
        json_object_set_new(out, "csrf_token", json_string(call->who.csrf));
    ol_reply_json(r, 200, out);
    json_decref(out);
}

void ol_api_tokens(ol_req_t *r, ol_call_t *call)
{
    if (strcmp(r->method, "POST")) {
        ol_reply_problem(r, 405, "Method Not Allowed", "use POST", NULL);
        ol_reply_header(r, "Allow", "POST");
        return;
    }
    /* S3: a new credential is a permission change, so it needs a fresh MFA code (step-up). */
    int su = ol_mfa_step_up_check(&call->ctx, &call->who);
    if (su) {
        ol_api_reply_error(r, su, &call->ctx);
        return;
    }
    json_t *body = ol_api_body_or_reply(r, call);
    if (!body)
        return;
    ol_ctx_t *c = &call->ctx;
    const char *name = json_string_value(json_object_get(body, "name"));
    json_t *days = json_object_get(body, "days");
    if (!name || !*name || strlen(name) > 100)
        ol_schema_add_error(c->errors, "name", "required", c->lang, NULL);
    if (days && (!json_is_integer(days) || json_integer_value(days) < 0 ||
                 json_integer_value(days) > 3650))
        ol_schema_add_error(c->errors, "days", "too_large", c->lang, "3650");
    static const char *const keys[] = {"name", "days", NULL};
    ol_input_check_keys(body, keys, c->lang, c->errors);
    int rc = json_array_size(c->errors) ? ol_ctx_fail(c, -OL_EINVAL, "the token request is invalid") : 0;
    char token[96];
    if (rc == 0)
        rc = ol_token_create(c, call->who.username, name, days ? (int)json_integer_value(days) : 0,
                             token);
    if (rc) {
        ol_api_reply_error(r, rc, c);
    } else {
        json_t *out = json_pack("{ssss}", "name", name, "token", token);
        ol_reply_json(r, 201, out);
        json_decref(out);
    }
    json_decref(body);
}

void ol_api_users(ol_req_t *r, ol_call_t *call)
{
    static const char *const admins[] = {"admin", NULL};
    ol_ctx_t *c = &call->ctx;
    if (strcmp(r->method, "POST")) {
        ol_reply_problem(r, 405, "Method Not Allowed", "use POST", NULL);
        ol_reply_header(r, "Allow", "POST");
        return;
    }
    if (!ol_roles_allow(admins, c->roles)) {
        ol_ctx_fail(c, -OL_EFORBIDDEN, "only administrators manage users");
        ol_api_reply_error(r, -OL_EFORBIDDEN, c);
        return;
    }
    json_t *body = ol_api_body_or_reply(r, call);
    if (!body)
        return;
    static const char *const keys[] = {"username", "password", "display_name", "roles", NULL};
    json_t *v;
    ol_input_check_keys(body, keys, c->lang, c->errors);
    json_t *roles = json_object_get(body, "roles");
    const char *list[OL_MAX_ROLES + 1] = {NULL};
    if (roles && (!json_is_array(roles) || json_array_size(roles) > OL_MAX_ROLES)) {
        ol_schema_add_error(c->errors, "roles", "type_tags", c->lang, NULL);
    } else if (roles) {
        size_t i;
        json_array_foreach(roles, i, v) {
            if (!json_is_string(v)) {
                ol_schema_add_error(c->errors, "roles", "type_tags", c->lang, NULL);
                break;
            }
            list[i] = json_string_value(v);
        }
    }
    int rc = json_array_size(c->errors) ? ol_ctx_fail(c, -OL_EINVAL, "the user is invalid") : 0;
    const char *user = json_string_value(json_object_get(body, "username"));
    if (rc == 0)
        rc = ol_user_create(c, user, json_string_value(json_object_get(body, "display_name")),
                            json_string_value(json_object_get(body, "password")), list);
    if (rc) {
        ol_api_reply_error(r, rc, c);
    } else {
        json_t *out = json_pack("{ssso}", "username", user, "roles",
                                roles ? json_incref(roles) : json_array());
        ol_reply_json(r, 201, out);
        json_decref(out);
    }
    json_decref(body);
}
