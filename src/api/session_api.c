/* api/session_api.c - log in and out, who am I, API tokens and (for administrators) users. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "auth/account.h"
#include "auth/authz.h"
#include "auth/mfa.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "core/log.h"
#include "records/schema.h"

static const char *const none[] = {NULL};

/* A refused login: the problem names its type (/problems/account-locked, password-expired,
 * account-disabled, account-expired) and carries the members the engine gave (unlocks_at). */
static void reply_login_error(ol_req_t *r, int rc, const ol_ctx_t *c)
{
    const char *type = json_string_value(json_object_get(c->result, "type"));
    if (!type) {
        ol_api_reply_error(r, rc, c);
        return;
    }
    int status = ol_err_http_status(rc);
    char uri[96];
    snprintf(uri, sizeof uri, "/problems/%s", type);
    json_t *p = json_deep_copy(c->result);
    json_object_set_new(p, "type", json_string(uri));
    json_object_set_new(p, "title", json_string(status == 403 ? "Forbidden" : "Unauthorized"));
    json_object_set_new(p, "status", json_integer(status));
    json_object_set_new(p, "detail", json_string(c->detail));
    json_object_set_new(p, "instance", json_string("/api/v1/session"));
    char *text = ol_json_dump(p);
    ol_reply(r, status, "application/problem+json; charset=utf-8", text, strlen(text));
    free(text);
    json_decref(p);
}

/* The public account routes share their start: a JSON body and a fresh context. */
static json_t *public_body(ol_req_t *r, ol_app_t *app, ol_ctx_t *c)
{
    ol_ctx_init(c, app->db, NULL, none);
    c->ip = r->client_ip;
    c->lang = ol_lang_pick(ol_req_header(r, "Accept-Language"));
    ol_call_t call = {.app = app};
    return ol_api_body_or_reply(r, &call);
}

static const char *required_string(json_t *body, const char *key, ol_ctx_t *c)
{
    const char *v = json_string_value(json_object_get(body, key));
    if (!v || !*v)
        ol_schema_add_error(c->errors, key, "required", c->lang, NULL);
    return v;
}

void ol_api_session(ol_req_t *r, ol_app_t *app)
{
    ol_ctx_t c;
    json_t *body = public_body(r, app, &c);
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
            reply_login_error(r, rc, &c); /* S1, S2, S4: the problem type says why */
        else if (mfa.pending)
            ol_api_reply_mfa_pending(r, &mfa);
        else
            ol_api_reply_login(r, app, user, token, csrf, c.result); /* S1: expiry */
    }
    json_decref(body);
    ol_ctx_clear(&c);
}

/* POST /api/v1/session/password {username, old_password, new_password}: S1 self-service change,
 * without a session, so that an expired or reset password can be replaced. */
void ol_api_session_password(ol_req_t *r, ol_app_t *app)
{
    ol_ctx_t c;
    json_t *body = public_body(r, app, &c);
    if (!body) {
        ol_ctx_clear(&c);
        return;
    }
    static const char *const keys[] = {"username", "old_password", "new_password", NULL};
    ol_input_check_keys(body, keys, c.lang, c.errors);
    const char *user = required_string(body, "username", &c);
    const char *old = required_string(body, "old_password", &c);
    const char *new_pw = required_string(body, "new_password", &c);
    int rc = json_array_size(c.errors)
                 ? ol_ctx_fail(&c, -OL_EINVAL,
                               "username, old_password and new_password are required")
                 : ol_password_change(&c, user, old, new_pw);
    if (rc)
        reply_login_error(r, rc, &c);
    else
        ol_reply(r, 204, "application/json", "", 0);
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
    /* S1: logins that a second factor completed tell the password's expiry too. */
    else if (ol_account_login_info(app->db, user, out))
        ol_log(OL_LOG_WARN, "could not read the password age of '%s' for its login answer", user);
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
    json_t *groups = json_array(); /* the user's teams: the home page's "my team's queue" */
    for (const char *const *s = call->who.groups; *s; s++)
        json_array_append_new(groups, json_string(*s));
    json_t *out = json_pack("{sssososbso}", "username", call->who.username, "roles", roles,
                            "groups", groups, "via_session", call->who.via_session, "locale",
                            ol_api_locale_of(call));
    if (call->who.via_session)
        json_object_set_new(out, "csrf_token", json_string(call->who.csrf));
    char now[32]; /* I5/I6: the screens count deadlines down from the server's clock */
    json_object_set_new(out, "server_time", json_string(ol_iso_at(ol_time(), now)));
    ol_reply_json(r, 200, out);
    json_decref(out);
}

/* GET /api/v1/tokens[?user=NAME]: one's own tokens; another user's need read on "user". */
static void list_tokens(ol_req_t *r, ol_call_t *call)
{
    ol_ctx_t *c = &call->ctx;
    const char *user = ol_req_query(r, "user");
    int rc = 0;
    if (user && strcmp(user, call->who.username) && !ol_authz(c->roles, "user", "read"))
        rc = ol_ctx_fail(c, -OL_EFORBIDDEN, "you may list only your own API tokens");
    if (rc == 0)
        rc = ol_token_list(c, user ? user : call->who.username);
    if (rc)
        ol_api_reply_error(r, rc, c);
    else
        ol_reply_json(r, 200, c->result);
}

/* DELETE /api/v1/tokens/{id}: one's own; any user's with administer on "user" (S4). Revoking
 * takes a right away, so it needs no step-up. */
void ol_api_token_revoke(ol_req_t *r, ol_call_t *call, const char *id_text)
{
    ol_ctx_t *c = &call->ctx;
    if (strcmp(r->method, "DELETE")) {
        ol_reply_problem(r, 405, "Method Not Allowed", "use DELETE", NULL);
        ol_reply_header(r, "Allow", "DELETE");
        return;
    }
    char *end;
    long long id = strtoll(id_text, &end, 10);
    int rc = *end || id <= 0 ? ol_ctx_fail(c, -OL_ENOTFOUND, "no such token") : 0;
    if (rc == 0)
        rc = ol_token_revoke(c, id, ol_authz(c->roles, "user", "administer") ? NULL
                                                                              : call->who.username);
    if (rc)
        ol_api_reply_error(r, rc, c);
    else
        ol_reply(r, 204, "application/json", "", 0);
}

void ol_api_tokens(ol_req_t *r, ol_call_t *call)
{
    if (!strcmp(r->method, "GET")) {
        list_tokens(r, call);
        return;
    }
    if (strcmp(r->method, "POST")) {
        ol_reply_problem(r, 405, "Method Not Allowed", "use GET or POST", NULL);
        ol_reply_header(r, "Allow", "GET, POST");
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

