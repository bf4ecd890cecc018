/* api/mfa_api.c - S3 routes: a user's own TOTP factor (/me/mfa), the second step of a login
 * (/session/mfa, by mfa_token), step-up (/session/step-up) and administrator reset. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "auth/authz.h"
#include "auth/mfa.h"
#include "auth/qr_svg.h"
#include "core/err.h"
#include "records/audit.h"
#include "records/schema.h"

static void method_not_allowed(ol_req_t *r, const char *allow)
{
    ol_reply_problem(r, 405, "Method Not Allowed", "this resource does not answer that method",
                     NULL);
    ol_reply_header(r, "Allow", allow);
}

/* Reads the string members named in keys (NULL-terminated, each optional here) into vals and
 * refuses unknown members and non-strings. Returns 0 or -OL_EINVAL (errors on c). */
static int string_members(json_t *body, const char *const *keys, const char **vals, ol_ctx_t *c)
{
    ol_input_check_keys(body, keys, c->lang, c->errors);
    for (int i = 0; keys[i]; i++) {
        json_t *v = json_object_get(body, keys[i]);
        vals[i] = json_string_value(v);
        if (v && (!vals[i] || strlen(vals[i]) > 128))
            ol_schema_add_error(c->errors, keys[i], vals[i] ? "too_long" : "type_string", c->lang,
                                "128");
    }
    return json_array_size(c->errors) ? ol_ctx_fail(c, -OL_EINVAL, "the request is invalid") : 0;
}

static int require(ol_ctx_t *c, const char *field, const char *val)
{
    if (val && *val)
        return 0;
    ol_schema_add_error(c->errors, field, "required", c->lang, NULL);
    return ol_ctx_fail(c, -OL_EINVAL, "%s is required", field);
}

void ol_api_reply_mfa_pending(ol_req_t *r, const ol_mfa_login_t *m)
{
    json_t *out = json_pack("{sbsssi}", m->enrol ? "mfa_enrolment_required" : "mfa_required", 1,
                            "mfa_token", m->mfa_token, "expires_in_seconds", OL_MFA_TOKEN_SECONDS);
    ol_reply_json(r, 200, out);
    json_decref(out);
}

/* Issues a secret for user and answers with it, its otpauth URI and the URI as a QR code. */
static void enrol_reply(ol_req_t *r, ol_ctx_t *c, long long user_id, const char *username)
{
    char secret[40], uri[640];
    int rc = ol_mfa_enrol(c, user_id, username, secret, uri, sizeof uri);
    char *svg = rc ? NULL : ol_qr_svg(uri);
    if (rc == 0 && !svg)
        rc = ol_ctx_fail(c, -OL_EINTERNAL, "the otpauth URI does not fit a QR code");
    if (rc) {
        ol_api_reply_error(r, rc, c);
        return;
    }
    json_t *out = json_pack("{sssssssssisi}", "secret", secret, "otpauth_uri", uri, "qr_svg", svg,
                            "algorithm", "SHA1", "digits", OL_TOTP_DIGITS, "period", OL_TOTP_STEP);
    ol_reply_json(r, 200, out);
    json_decref(out);
    free(svg);
}

static json_t *codes_json(ol_recovery_code_t *codes)
{
    json_t *a = json_array();
    for (int i = 0; i < OL_RECOVERY_CODES; i++)
        json_array_append_new(a, json_string(codes[i]));
    return a;
}

/* ---- /api/v1/session/mfa[/enrol|/confirm]: by mfa_token, before any session ----------------- */

void ol_api_session_mfa(ol_req_t *r, ol_app_t *app, char **seg, int nseg)
{
    static const char *const none[] = {NULL};
    static const char *const login_keys[] = {"mfa_token", "code", "recovery_code", NULL};
    static const char *const enrol_keys[] = {"mfa_token", NULL};
    static const char *const confirm_keys[] = {"mfa_token", "code", NULL};
    const char *what = nseg == 5 ? seg[4] : "";
    if (nseg > 5 || (nseg == 5 && strcmp(what, "enrol") && strcmp(what, "confirm"))) {
        ol_reply_problem(r, 404, "Not Found", "no such resource", NULL);
        return;
    }
    if (strcmp(r->method, "POST")) {
        method_not_allowed(r, "POST");
        return;
    }
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
    const char *v[3] = {NULL};
    char username[65] = "", token[96], csrf[96];
    ol_recovery_code_t codes[OL_RECOVERY_CODES];
    long long uid = 0;
    int rc;
    if (nseg == 4) {
        rc = string_members(body, login_keys, v, &c);
        if (rc == 0 && (rc = require(&c, "mfa_token", v[0])) == 0 && !v[1] == !v[2]) {
            ol_schema_add_error(c.errors, "code", "required", c.lang, NULL);
            rc = ol_ctx_fail(&c, -OL_EINVAL, "send either code or recovery_code");
        }
        if (rc == 0)
            rc = ol_mfa_finish_login(&c, v[0], v[1], v[2], username, token, csrf);
        if (rc == 0)
            ol_api_reply_login(r, app, username, token, csrf, NULL);
    } else if (!strcmp(what, "enrol")) {
        rc = string_members(body, enrol_keys, v, &c);
        if (rc == 0 && (rc = require(&c, "mfa_token", v[0])) == 0 &&
            (rc = ol_mfa_token_user(&c, v[0], &uid, username)) == 0)
            enrol_reply(r, &c, uid, username);
    } else {
        rc = string_members(body, confirm_keys, v, &c);
        if (rc == 0 && (rc = require(&c, "mfa_token", v[0])) == 0)
            rc = require(&c, "code", v[1]);
        if (rc == 0)
            rc = ol_mfa_finish_enrolment(&c, v[0], v[1], codes, username, token, csrf);
        if (rc == 0) {
            json_t *extra = json_pack("{so}", "recovery_codes", codes_json(codes));
            ol_api_reply_login(r, app, username, token, csrf, extra);
            json_decref(extra);
        }
    }
    if (rc)
        ol_api_reply_error(r, rc, &c);
    json_decref(body);
    ol_ctx_clear(&c);
}

/* ---- authenticated routes --------------------------------------------------------------------- */

static void me_status(ol_req_t *r, ol_call_t *call)
{
    ol_mfa_status_t st;
    int rc = ol_mfa_status(&call->ctx, call->who.id, &st);
    if (rc) {
        ol_api_reply_error(r, rc, &call->ctx);
        return;
    }
    json_t *out = json_pack("{sbsbsbsi}", "enabled", st.active, "enrolling", st.enrolling,
                            "required", st.required, "recovery_codes_left", st.recovery_left);
    ol_reply_json(r, 200, out);
    json_decref(out);
}

/* POST confirm {code}, DELETE {code}, POST /session/step-up {code}. */
static void with_code(ol_req_t *r, ol_call_t *call, const char *op)
{
    static const char *const keys[] = {"code", NULL};
    ol_ctx_t *c = &call->ctx;
    const ol_principal_t *p = &call->who;
    json_t *body = ol_api_body_or_reply(r, call);
    if (!body)
        return;
    const char *code = NULL;
    ol_recovery_code_t codes[OL_RECOVERY_CODES];
    int rc = string_members(body, keys, &code, c);
    if (rc == 0)
        rc = require(c, "code", code);
    if (rc == 0 && !strcmp(op, "step-up") && !p->via_session)
        rc = ol_ctx_fail(c, -OL_EINVAL, "step-up confirms a browser session; API tokens cannot "
                                        "step up (log in with a password and a code)");
    if (rc == 0 && !strcmp(op, "confirm"))
        rc = ol_mfa_confirm(c, p->id, p->username, code, p->via_session ? p->session_hash : NULL,
                            codes);
    else if (rc == 0 && !strcmp(op, "disable"))
        rc = ol_mfa_disable(c, p->id, p->username, code);
    else if (rc == 0)
        rc = ol_mfa_step_up(c, p->id, p->username, p->session_hash, code);
    if (rc) {
        ol_api_reply_error(r, rc, c);
    } else if (!strcmp(op, "confirm")) {
        json_t *out = json_pack("{sbso}", "enabled", 1, "recovery_codes", codes_json(codes));
        ol_reply_json(r, 200, out);
        json_decref(out);
    } else if (!strcmp(op, "disable")) {
        ol_reply(r, 204, "application/json", "", 0);
    } else {
        json_t *out = json_pack("{sbsi}", "step_up", 1, "valid_minutes",
                                (int)ol_config_int(call->app->cfg->step_up_minutes));
        ol_reply_json(r, 200, out);
        json_decref(out);
    }
    json_decref(body);
}

static void admin_reset(ol_req_t *r, ol_call_t *call, const char *username)
{
    ol_ctx_t *c = &call->ctx;
    int rc = 0;
    if (!ol_authz(c->roles, "user", "administer")) {
        rc = ol_ctx_fail(c, -OL_EFORBIDDEN, "only administrators reset another user's MFA");
        ol_audit_write_now(c->db, c, "mfa.reset", username, "denied", "{\"reason\":\"not admin\"}");
    }
    if (rc == 0)
        rc = ol_mfa_step_up_check(c, &call->who);
    if (rc == 0)
        rc = ol_mfa_reset(c, username);
    if (rc) {
        ol_api_reply_error(r, rc, c);
        return;
    }
    json_t *out = json_pack("{sssb}", "username", username, "enabled", 0);
    ol_reply_json(r, 200, out);
    json_decref(out);
}

int ol_api_mfa_route(ol_req_t *r, ol_call_t *call, char **seg, int nseg)
{
    const char *m = r->method;
    if (nseg >= 4 && !strcmp(seg[2], "me") && !strcmp(seg[3], "mfa")) {
        r->route = "/api/v1/me/mfa";
        if (nseg == 4 && !strcmp(m, "GET"))
            me_status(r, call);
        else if (nseg == 4 && !strcmp(m, "DELETE"))
            with_code(r, call, "disable");
        else if (nseg == 4)
            method_not_allowed(r, "GET, DELETE");
        else if (nseg == 5 && (!strcmp(seg[4], "enrol") || !strcmp(seg[4], "confirm")) &&
                 strcmp(m, "POST"))
            method_not_allowed(r, "POST");
        else if (nseg == 5 && !strcmp(seg[4], "enrol"))
            enrol_reply(r, &call->ctx, call->who.id, call->who.username);
        else if (nseg == 5 && !strcmp(seg[4], "confirm"))
            with_code(r, call, "confirm");
        else
            ol_reply_problem(r, 404, "Not Found", "no such resource", NULL);
        return 1;
    }
    if (nseg == 4 && !strcmp(seg[2], "session") && !strcmp(seg[3], "step-up")) {
        r->route = "/api/v1/session/step-up";
        if (strcmp(m, "POST"))
            method_not_allowed(r, "POST");
        else
            with_code(r, call, "step-up");
        return 1;
    }
    if (nseg == 6 && !strcmp(seg[2], "users") && !strcmp(seg[4], "mfa") &&
        !strcmp(seg[5], "reset")) {
        r->route = "/api/v1/users/{name}/mfa/reset";
        if (strcmp(m, "POST"))
            method_not_allowed(r, "POST");
        else
            admin_reset(r, call, seg[3]);
        return 1;
    }
    return 0;
}
