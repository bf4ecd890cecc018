/* auth/user_admin.c - S4: creating, showing, listing and changing accounts, and disabling
 * leavers. Roles are assigned elsewhere (the RBAC module); this file only shows them. */
#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/account.h"
#include "auth/password.h"
#include "auth/roles.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "records/audit.h"
#include "records/mask.h"
#include "records/schema.h"

/* ---- field checks ------------------------------------------------------------------------- */

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 64)
        return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '.' || *s == '_' || *s == '-' || *s == '@'))
            return 0;
    return 1;
}

static int has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

static int valid_email(const char *s)
{
    const char *at = strchr(s, '@');
    size_t n = strlen(s);
    if (n > 254 || !at || at == s || strchr(at + 1, '@') || !strchr(at + 1, '.') ||
        at[1] == '.' || s[n - 1] == '.')
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || *s == 0x7f)
            return 0;
    return 1;
}

static int valid_phone(const char *s)
{
    int digits = 0;
    if (strlen(s) > 32)
        return 0;
    for (; *s; s++) {
        if (isdigit((unsigned char)*s))
            digits++;
        else if (!strchr(" +-()", *s))
            return 0;
    }
    return digits >= 5;
}

static int valid_kind(const char *k)
{
    return !strcmp(k, "regular") || !strcmp(k, "temporary") || !strcmp(k, "contractor");
}

/* S4: the kind and expiry an account ends up with. exp_given: the request names expires_at
 * (exp NULL or "" = none); otherwise cur_exp stays, or the longest life is given to a new
 * temporary account. Writes the stored form into exp_out ("" = never). */
static void check_lifecycle(ol_ctx_t *c, const char *kind, int kind_changed, int exp_given,
                            const char *exp, time_t cur_exp, char *exp_out)
{
    long max_days = ol_config_int(ol_config()->temp_account_max_days);
    time_t now = ol_time(), t = cur_exp;
    int limited = strcmp(kind, "regular") != 0;
    char n[16];
    exp_out[0] = 0;
    if (exp_given) {
        t = 0;
        if (exp && *exp && ol_iso_parse(exp, &t)) {
            ol_schema_add_error(c->errors, "expires_at", "datetime", c->lang, NULL);
            return;
        }
        if (t && t <= now) {
            ol_schema_add_error(c->errors, "expires_at", "expires_future", c->lang, NULL);
            return;
        }
        if (!t && limited) {
            ol_schema_add_error(c->errors, "expires_at", "required", c->lang, NULL);
            return;
        }
    } else if (limited && (!t || kind_changed)) {
        t = t && t <= now + max_days * 86400 ? t : now + max_days * 86400;
    }
    if (limited && (exp_given || kind_changed) && t > now + max_days * 86400) {
        snprintf(n, sizeof n, "%ld", max_days);
        ol_schema_add_error(c->errors, "expires_at", "expires_max", c->lang, n);
        return;
    }
    if (t)
        ol_iso_ms(t, exp_out);
}

static void check_contact(ol_ctx_t *c, const char *display, const char *email, const char *phone)
{
    if (display && (strlen(display) > 200 || has_control(display)))
        ol_schema_add_error(c->errors, "display_name",
                            strlen(display) > 200 ? "too_long" : "control", c->lang, "200");
    if (email && *email && !valid_email(email))
        ol_schema_add_error(c->errors, "email", "email", c->lang, NULL);
    if (phone && *phone && !valid_phone(phone))
        ol_schema_add_error(c->errors, "phone", "phone", c->lang, NULL);
}

/* ---- create ------------------------------------------------------------------------------- */

typedef struct {
    ol_ctx_t *c;
    const ol_user_fields_t *f;
    const char *kind, *expires;
    char phone[256];
    char hash[crypto_pwhash_STRBYTES];
    const char *const *roles;
} create_job_t;

static int create_job(ol_conn_t *conn, void *arg)
{
    create_job_t *j = arg;
    const ol_user_fields_t *f = j->f;
    char now[32];
    ol_rows_t *r;
    ol_now_iso(now);
    ol_val_t p[] = {OL_VTEXT(f->username), OL_VTEXT(f->display_name ? f->display_name : ""),
                    OL_VTEXT(j->hash), OL_VTEXT(now), OL_VTEXT(j->kind),
                    OL_VTEXT(*j->expires ? j->expires : NULL), OL_VTEXT(f->email ? f->email : ""),
                    OL_VTEXT(j->phone)};
    int rc = ol_db_exec(conn, "INSERT INTO users(username, display_name, password_hash, "
                              "created_at, password_changed_at, kind, expires_at, email, phone) "
                              "VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7, ?8) RETURNING id",
                        p, 8, &r);
    if (rc == -OL_ECONFLICT)
        return ol_ctx_fail(j->c, rc, "the user name '%s' is taken", f->username);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    long long id = ol_rows_int(r, 0, 0);
    ol_rows_free(r);
    for (const char *const *role = j->roles; role && *role && rc == 0; role++) {
        ol_val_t rp[] = {OL_VINT(id), OL_VTEXT(*role)};
        rc = ol_db_exec(conn, "INSERT INTO user_roles(user_id, role) VALUES (?1, ?2)", rp, 2, NULL);
    }
    ol_val_t hp[] = {OL_VINT(id), OL_VTEXT(j->hash), OL_VTEXT(now)};
    if (rc == 0)
        rc = ol_db_exec(conn, "INSERT INTO password_history(user_id, hash, changed_at) "
                              "VALUES (?1, ?2, ?3)", hp, 3, NULL);
    char detail[128];
    snprintf(detail, sizeof detail, "{\"kind\":\"%s\",\"expires_at\":%s%s%s}", j->kind,
             *j->expires ? "\"" : "", *j->expires ? j->expires : "null", *j->expires ? "\"" : "");
    if (rc == 0)
        rc = ol_audit_write(conn, j->c, "user.create", f->username, "ok", detail);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    j->c->status = 201;
    return 0;
}

int ol_user_create_ex(ol_ctx_t *c, const ol_user_fields_t *f, const char *password,
                      const char *const *roles)
{
    if (!f->username || !valid_name(f->username))
        ol_schema_add_error(c->errors, "username", "username", c->lang, NULL);
    for (const char *const *r = roles; r && *r; r++)
        if (!ol_role_find(*r))
            ol_schema_add_error(c->errors, "roles", "bad_filter", c->lang, "unknown role");
    const char *kind = f->kind ? f->kind : "regular";
    char expires[32] = "";
    if (!valid_kind(kind))
        ol_schema_add_error(c->errors, "kind", "user_kind", c->lang, NULL);
    else
        check_lifecycle(c, kind, 1, f->expires_at != NULL, f->expires_at, 0, expires);
    check_contact(c, f->display_name, f->email, f->phone);
    ol_pw_subject_t s = {f->username, f->display_name, f->phone, ol_roles_privileged(roles)};
    ol_password_check(password, &s, "password", c->lang, c->errors);
    if (json_array_size(c->errors))
        return ol_ctx_fail(c, -OL_EINVAL, "the user is invalid");
    char conflict[160];
    if (ol_roles_conflict(roles, conflict, sizeof conflict))
        return ol_ctx_fail(c, -OL_ECONFLICT, "S6: the roles %s are incompatible and may not be "
                           "held by one account", conflict);
    create_job_t *j = calloc(1, sizeof *j);
    if (!j)
        return ol_ctx_fail(c, -OL_EINTERNAL, "out of memory");
    *j = (create_job_t){.c = c, .f = f, .kind = kind, .expires = expires, .roles = roles};
    if (!ol_user_phone_store(f->phone, j->phone, sizeof j->phone)) {
        free(j);
        return ol_ctx_fail(c, -OL_EINTERNAL, "the phone number cannot be sealed: no "
                                             "field-encryption key is loaded (S7)");
    }
    int rc = ol_password_hash(password, j->hash)
                 ? ol_ctx_fail(c, -OL_EINTERNAL, "out of memory hashing the password")
                 : ol_db_write(c->db, create_job, j);
    sodium_memzero(j, sizeof *j);
    free(j);
    return rc;
}

/* ---- show and list ------------------------------------------------------------------------ */

#define USER_COLS "id, username, display_name, email, phone, kind, expires_at, disabled, " \
                  "disabled_at, disabled_reason, password_changed_at, must_change_password, " \
                  "locked_until, created_at, auth_source"

static json_t *opt_str(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

/* One account as the API shows it (never the hash); roles from rr (user_id, role, direct). */
static json_t *user_json(const ol_rows_t *r, int i, const ol_rows_t *rr)
{
    char phone[128], when[32];
    long long id = ol_rows_int(r, i, 0);
    ol_account_t a = {.found = 1};
    json_t *roles = json_array();
    for (int k = 0; k < ol_rows_count(rr); k++) {
        if (ol_rows_int(rr, k, 0) != id)
            continue;
        const char *name = ol_rows_get(rr, k, 1);
        const ol_role_t *role = ol_role_find(name);
        a.privileged |= role && role->privileged;
        if (ol_rows_int(rr, k, 2))
            json_array_append_new(roles, json_string(name));
    }
    if (ol_iso_parse(ol_rows_get(r, i, 10) ? ol_rows_get(r, i, 10) : ol_rows_get(r, i, 13),
                     &a.password_changed_at))
        a.password_changed_at = 0;
    a.directory = !strcmp(ol_rows_get(r, i, 14), "ldap");
    time_t pw_exp = ol_account_password_expiry(&a), locked = 0;
    const char *lu = ol_rows_get(r, i, 12);
    if (lu && ol_iso_parse(lu, &locked) == 0 && locked <= ol_time())
        locked = 0;
    json_t *u = json_object();
    json_object_set_new(u, "username", json_string(ol_rows_get(r, i, 1)));
    json_object_set_new(u, "display_name", json_string(ol_rows_get(r, i, 2)));
    json_object_set_new(u, "email", opt_str(ol_rows_get(r, i, 3)));
    /* S7: shown masked (135****8888) like every sensitive value. */
    ol_user_phone_load(ol_rows_get(r, i, 4), phone, sizeof phone);
    char *masked = *phone ? ol_mask(OL_MASK_PHONE, phone) : NULL;
    json_object_set_new(u, "phone", masked ? json_string(masked) : json_null());
    free(masked);
    json_object_set_new(u, "kind", json_string(ol_rows_get(r, i, 5)));
    json_object_set_new(u, "expires_at", opt_str(ol_rows_get(r, i, 6)));
    json_object_set_new(u, "disabled", json_boolean(ol_rows_int(r, i, 7)));
    json_object_set_new(u, "disabled_at", opt_str(ol_rows_get(r, i, 8)));
    json_object_set_new(u, "disabled_reason", opt_str(ol_rows_get(r, i, 9)));
    json_object_set_new(u, "auth_source", json_string(ol_rows_get(r, i, 14)));
    json_object_set_new(u, "password_changed_at", opt_str(ol_rows_get(r, i, 10)));
    json_object_set_new(u, "password_expires_at", pw_exp ? json_string(ol_iso_ms(pw_exp, when))
                                                         : json_null());
    json_object_set_new(u, "must_change_password", json_boolean(ol_rows_int(r, i, 11)));
    json_object_set_new(u, "locked_until", locked ? json_string(ol_iso_ms(locked, when))
                                                  : json_null());
    json_object_set_new(u, "roles", roles);
    json_object_set_new(u, "created_at", json_string(ol_rows_get(r, i, 13)));
    return u;
}

typedef struct {
    ol_ctx_t *c;
    const char *username, *kind;
    int disabled;
} show_t;

static int show_fn(ol_conn_t *conn, void *arg)
{
    show_t *s = arg;
    ol_rows_t *r, *rr;
    ol_val_t p[] = {OL_VTEXT(s->username), OL_VTEXT(s->kind ? s->kind : ""),
                    OL_VINT(s->disabled)};
    int rc = ol_db_exec(conn, s->username
                                  ? "SELECT " USER_COLS " FROM users WHERE username = ?1"
                                  : "SELECT " USER_COLS " FROM users WHERE (?1 = '' OR kind = ?1) "
                                    "AND (?2 < 0 OR disabled = ?2) ORDER BY username",
                        s->username ? p : p + 1, s->username ? 1 : 2, &r);
    if (rc)
        return rc;
    /* Roles held now (direct and elevated: shown) and through groups (only for privilege). */
    char now[32];
    ol_val_t q[] = {OL_VTEXT(ol_now_iso(now)), OL_VTEXT(s->username ? s->username : "")};
    rc = ol_db_exec(conn, "SELECT user_id, role, 1 FROM user_roles WHERE (expires_at IS NULL OR "
                          "expires_at > ?1) AND (?2 = '' OR user_id = (SELECT id FROM users "
                          "WHERE username = ?2)) UNION ALL SELECT gm.user_id, gr.role, 0 FROM "
                          "group_roles gr JOIN group_members gm ON gm.group_id = gr.group_id "
                          "WHERE ?2 = '' OR gm.user_id = (SELECT id FROM users WHERE username = "
                          "?2) ORDER BY 1, 2",
                    q, 2, &rr);
    if (rc) {
        ol_rows_free(r);
        return rc;
    }
    json_decref(s->c->result);
    s->c->result = NULL;
    if (s->username) {
        if (ol_rows_count(r))
            s->c->result = user_json(r, 0, rr);
    } else {
        s->c->result = json_array();
        for (int i = 0; i < ol_rows_count(r); i++)
            json_array_append_new(s->c->result, user_json(r, i, rr));
    }
    ol_rows_free(r);
    ol_rows_free(rr);
    return 0;
}

int ol_user_get(ol_ctx_t *c, const char *username)
{
    show_t s = {c, username, NULL, -1};
    int rc = ol_db_read(c->db, show_fn, &s);
    if (rc)
        return ol_ctx_fail(c, rc, "the database is unavailable");
    if (!c->result)
        return ol_ctx_fail(c, -OL_ENOTFOUND, "there is no user '%s'", username);
    return 0;
}

int ol_user_list(ol_ctx_t *c, const char *kind, int disabled)
{
    show_t s = {c, NULL, kind, disabled};
    int rc = ol_db_read(c->db, show_fn, &s);
    return rc ? ol_ctx_fail(c, rc, "the database is unavailable") : 0;
}

/* ---- change ------------------------------------------------------------------------------- */

typedef struct {
    ol_ctx_t *c;
    const char *username;
    const json_t *changes;
} update_job_t;

static const char *str_or_null(const json_t *v)
{
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int update_job(ol_conn_t *conn, void *arg)
{
    update_job_t *j = arg;
    ol_ctx_t *c = j->c;
    ol_account_t *a = calloc(1, sizeof *a);
    if (!a)
        return ol_ctx_fail(c, -OL_EINTERNAL, "out of memory");
    int rc = ol_account_load(conn, j->username, a);
    if (rc || !a->found) {
        free(a);
        return rc ? ol_ctx_db_fail(c, conn, rc)
                  : ol_ctx_fail(c, -OL_ENOTFOUND, "there is no user '%s'", j->username);
    }
    const json_t *ch = j->changes;
    const json_t *kind_v = json_object_get(ch, "kind");
    const char *kind = kind_v ? str_or_null(kind_v) : a->kind;
    if (!kind || !valid_kind(kind)) {
        ol_schema_add_error(c->errors, "kind", "user_kind", c->lang, NULL);
        kind = a->kind;
    }
    const json_t *exp_v = json_object_get(ch, "expires_at");
    char expires[32];
    check_lifecycle(c, kind, strcmp(kind, a->kind) != 0, exp_v != NULL, str_or_null(exp_v),
                    a->expires_at, expires);
    check_contact(c, str_or_null(json_object_get(ch, "display_name")),
                  str_or_null(json_object_get(ch, "email")),
                  str_or_null(json_object_get(ch, "phone")));
    if (json_array_size(c->errors)) {
        free(a);
        return ol_ctx_fail(c, -OL_EINVAL, "the change is invalid");
    }
    /* Only the fields given change; the audit names them (not their values: phone is personal). */
    json_t *fields = json_array();
    static const char *const cols[] = {"display_name", "email", "phone", NULL};
    for (int i = 0; cols[i] && rc == 0; i++) {
        const json_t *v = json_object_get(ch, cols[i]);
        if (!v)
            continue;
        char buf[256], sql[96];
        const char *val = str_or_null(v) ? str_or_null(v) : "";
        if (!strcmp(cols[i], "phone") && !(val = ol_user_phone_store(val, buf, sizeof buf))) {
            rc = ol_ctx_fail(c, -OL_EINTERNAL, "the phone number cannot be sealed: no "
                                               "field-encryption key is loaded (S7)");
            break;
        }
        snprintf(sql, sizeof sql, "UPDATE users SET %s = ?2 WHERE id = ?1", cols[i]);
        ol_val_t p[] = {OL_VINT(a->id), OL_VTEXT(val)};
        rc = ol_db_exec(conn, sql, p, 2, NULL);
        json_array_append_new(fields, json_string(cols[i]));
    }
    if (rc == 0 && (kind_v || exp_v || strcmp(kind, a->kind))) {
        ol_val_t p[] = {OL_VINT(a->id), OL_VTEXT(kind), OL_VTEXT(*expires ? expires : NULL)};
        rc = ol_db_exec(conn, "UPDATE users SET kind = ?2, expires_at = ?3 WHERE id = ?1", p, 3,
                        NULL);
        json_array_append_new(fields, json_string("kind"));
        json_array_append_new(fields, json_string("expires_at"));
    }
    json_t *detail = json_pack("{so}", "fields", fields);
    char *text = json_dumps(detail, JSON_COMPACT);
    if (rc == 0)
        rc = ol_audit_write(conn, c, "user.update", a->username, "ok", text);
    free(text);
    json_decref(detail);
    free(a);
    return rc ? ol_ctx_db_fail(c, conn, rc) : 0;
}

int ol_user_update(ol_ctx_t *c, const char *username, const json_t *changes)
{
    static const char *const keys[] = {"display_name", "email", "phone", "kind", "expires_at",
                                       NULL};
    ol_input_check_keys(changes, keys, c->lang, c->errors);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)changes, k, v) {
        int known = 0;
        for (int i = 0; keys[i]; i++)
            known |= !strcmp(k, keys[i]);
        int nullable = !strcmp(k, "email") || !strcmp(k, "phone") || !strcmp(k, "expires_at");
        if (known && !json_is_string(v) && !(nullable && json_is_null(v)))
            ol_schema_add_error(c->errors, k, "type_string", c->lang, NULL);
    }
    if (json_array_size(c->errors))
        return ol_ctx_fail(c, -OL_EINVAL, "the change is invalid");
    update_job_t j = {c, username, changes};
    int rc = ol_db_write(c->db, update_job, &j);
    return rc ? rc : ol_user_get(c, username);
}

/* ---- leavers ------------------------------------------------------------------------------ */

typedef struct {
    ol_ctx_t *c;
    const char *username, *reason;
    int disable;
} able_job_t;

static int able_job(ol_conn_t *conn, void *arg)
{
    able_job_t *j = arg;
    char now[32];
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(j->username), OL_VTEXT(ol_now_iso(now)), OL_VTEXT(j->reason)};
    int rc = ol_db_exec(conn, j->disable
                                  ? "UPDATE users SET disabled = 1, disabled_at = ?2, "
                                    "disabled_reason = ?3 WHERE username = ?1 RETURNING id"
                                  : "UPDATE users SET disabled = 0, disabled_at = NULL, "
                                    "disabled_reason = NULL, failed_logins = 0, "
                                    "locked_until = NULL WHERE username = ?1 RETURNING id",
                        p, j->disable ? 3 : 1, &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    long long id = ol_rows_count(r) ? ol_rows_int(r, 0, 0) : 0;
    ol_rows_free(r);
    if (!id)
        return ol_ctx_fail(j->c, -OL_ENOTFOUND, "there is no user '%s'", j->username);
    ol_val_t q[] = {OL_VINT(id)};
    int sessions = 0, tokens = 0;
    if (j->disable) {
        /* A leaver's credentials end in the same transaction as the account. */
        rc = ol_db_exec(conn, "DELETE FROM sessions WHERE user_id = ?1 RETURNING 1", q, 1, &r);
        if (rc == 0) {
            sessions = ol_rows_count(r);
            ol_rows_free(r);
            rc = ol_db_exec(conn, "UPDATE api_tokens SET revoked = 1 WHERE user_id = ?1 AND "
                                  "revoked = 0 RETURNING 1", q, 1, &r);
        }
        if (rc == 0) {
            tokens = ol_rows_count(r);
            ol_rows_free(r);
        }
    }
    json_t *detail = j->disable ? json_pack("{sssisi}", "reason", j->reason,
                                            "sessions_revoked", sessions, "tokens_revoked", tokens)
                                : json_object();
    char *text = json_dumps(detail, JSON_COMPACT);
    if (rc == 0)
        rc = ol_audit_write(conn, j->c, j->disable ? "user.disable" : "user.enable",
                            j->username, "ok", text);
    free(text);
    json_decref(detail);
    return rc ? ol_ctx_db_fail(j->c, conn, rc) : 0;
}

int ol_user_disable(ol_ctx_t *c, const char *username, const char *reason)
{
    if (!reason || !*reason)
        ol_schema_add_error(c->errors, "reason", "required", c->lang, NULL);
    else if (strlen(reason) > 500 || has_control(reason))
        ol_schema_add_error(c->errors, "reason", strlen(reason) > 500 ? "too_long" : "control",
                            c->lang, "500");
    if (json_array_size(c->errors))
        return ol_ctx_fail(c, -OL_EINVAL, "a reason is required to disable an account");
    able_job_t j = {c, username, reason, 1};
    int rc = ol_db_write(c->db, able_job, &j);
    return rc ? rc : ol_user_get(c, username);
}

int ol_user_enable(ol_ctx_t *c, const char *username)
{
    able_job_t j = {c, username, NULL, 0};
    int rc = ol_db_write(c->db, able_job, &j);
    return rc ? rc : ol_user_get(c, username);
}
