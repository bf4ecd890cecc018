/* auth/account.c - the account row (S1 age, S2 lock state, S4 lifecycle), the phone hooks and
 * the expiry sweep. Administration is in auth/user_admin.c, passwords in auth/password_set.c. */
#include "auth/account.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/access.h"
#include "auth/roles.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/log.h"
#include "records/audit.h"
#include "records/sealed.h"

const char *ol_iso_ms(time_t t, char *buf)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
    return buf;
}

static time_t parse_or_zero(const char *s)
{
    time_t t;
    return s && *s && ol_iso_parse(s, &t) == 0 ? t : 0;
}

/* S7: a phone number is personal data, sealed at rest as users.phone (records/sealed.c) under
 * the field-encryption keys, so `keys rotate` and `keys status` cover it. */
const char *ol_user_phone_store(const char *phone, char *buf, size_t len)
{
    buf[0] = 0;
    if (!phone || !*phone)
        return buf;
    char *sealed = ol_seal_text("users", "phone", 0, phone);
    if (!sealed || strlen(sealed) >= len) {
        free(sealed);
        return NULL;
    }
    memcpy(buf, sealed, strlen(sealed) + 1);
    free(sealed);
    return buf;
}

const char *ol_user_phone_load(const char *stored, char *buf, size_t len)
{
    char *plain = NULL;
    buf[0] = 0;
    if (stored && ol_open_text("users", "phone", 0, stored, &plain) == 0)
        snprintf(buf, len, "%s", plain);
    else if (stored && *stored)
        ol_log(OL_LOG_WARN, "a user's sealed phone number does not open (key missing or altered)");
    ol_sealed_free(plain);
    return buf;
}

int ol_account_load(ol_conn_t *conn, const char *username, ol_account_t *a)
{
    ol_rows_t *r;
    char name[65];
    snprintf(name, sizeof name, "%.64s", username); /* username may point into a */
    memset(a, 0, sizeof *a);
    ol_val_t p[] = {OL_VTEXT(name)};
    int rc = ol_db_exec(conn, "SELECT id, username, password_hash, display_name, phone, kind, "
                              "expires_at, disabled, locked_until, failed_logins, "
                              "password_changed_at, must_change_password, created_at, "
                              "auth_source FROM users WHERE username = ?1", p, 1, &r);
    if (rc)
        return rc;
    if (ol_rows_count(r)) {
        a->found = 1;
        a->id = ol_rows_int(r, 0, 0);
        snprintf(a->username, sizeof a->username, "%s", ol_rows_get(r, 0, 1));
        snprintf(a->hash, sizeof a->hash, "%s", ol_rows_get(r, 0, 2));
        snprintf(a->display_name, sizeof a->display_name, "%s", ol_rows_get(r, 0, 3));
        ol_user_phone_load(ol_rows_get(r, 0, 4), a->phone, sizeof a->phone);
        snprintf(a->kind, sizeof a->kind, "%s", ol_rows_get(r, 0, 5));
        a->expires_at = parse_or_zero(ol_rows_get(r, 0, 6));
        a->disabled = (int)ol_rows_int(r, 0, 7);
        a->locked_until = parse_or_zero(ol_rows_get(r, 0, 8));
        a->failed_logins = (int)ol_rows_int(r, 0, 9);
        a->password_changed_at = parse_or_zero(ol_rows_get(r, 0, 10));
        if (!a->password_changed_at)
            a->password_changed_at = parse_or_zero(ol_rows_get(r, 0, 12));
        a->must_change = (int)ol_rows_int(r, 0, 11);
        a->directory = !strcmp(ol_rows_get(r, 0, 13), "ldap");
    }
    ol_rows_free(r);
    if (!a->found)
        return 0;
    /* Effective roles (direct, elevated, through groups) decide what is privileged. */
    ol_arena_t arena;
    ol_arena_init(&arena);
    ol_principal_t who;
    memset(&who, 0, sizeof who);
    rc = ol_access_load(conn, a->id, &arena, &who);
    if (rc == 0)
        a->privileged = ol_roles_privileged(who.roles);
    ol_arena_clear(&arena);
    return rc;
}

time_t ol_account_password_expiry(const ol_account_t *a)
{
    if (a->directory) /* the directory owns the password and its age */
        return 0;
    const ol_config_t *cfg = ol_config();
    long days = ol_config_int(a->privileged ? cfg->password_max_age_days_privileged
                                            : cfg->password_max_age_days);
    return days > 0 ? a->password_changed_at + (time_t)days * 86400 : 0;
}

void ol_account_expiry_json(const ol_account_t *a, json_t *out)
{
    time_t expiry = ol_account_password_expiry(a);
    if (!expiry)
        return;
    char when[32];
    long warn = ol_config_int(ol_config()->password_warn_days) * 86400;
    json_object_set_new(out, "password_expires_at", json_string(ol_iso_ms(expiry, when)));
    json_object_set_new(out, "password_warning", json_boolean(expiry - ol_time() <= warn));
}

static int load_fn(ol_conn_t *conn, void *arg)
{
    ol_account_t *a = arg;
    return ol_account_load(conn, a->username, a);
}

int ol_account_login_info(ol_db_t *db, const char *username, json_t *out)
{
    ol_account_t a;
    snprintf(a.username, sizeof a.username, "%.64s", username);
    int rc = ol_db_read(db, load_fn, &a);
    if (rc == 0 && a.found)
        ol_account_expiry_json(&a, out);
    return rc;
}

/* ---- the expiry sweep ---------------------------------------------------------------------- */

typedef struct {
    int count;
} sweep_t;

static int sweep_job(ol_conn_t *conn, void *arg)
{
    sweep_t *s = arg;
    char now[32];
    ol_rows_t *r;
    ol_now_iso(now);
    ol_val_t p[] = {OL_VTEXT(now)};
    int rc = ol_db_exec(conn, "SELECT id, username FROM users WHERE disabled = 0 AND "
                              "expires_at IS NOT NULL AND expires_at <= ?1 ORDER BY id LIMIT 500",
                        p, 1, &r);
    if (rc)
        return rc;
    static const char *const sys_roles[] = {NULL};
    ol_ctx_t sys;
    ol_ctx_init(&sys, NULL, "system", sys_roles);
    sys.via = "system";
    sys.ip = "local";
    for (int i = 0; i < ol_rows_count(r) && rc == 0; i++) {
        ol_val_t q[] = {OL_VINT(ol_rows_int(r, i, 0)), OL_VTEXT(now)};
        ol_rows_t *mine;
        /* Claimed by the update: a sweep of another node (a leadership handover) that read the
         * same account finds it disabled once this commits, and audits nothing. */
        rc = ol_db_exec(conn, "UPDATE users SET disabled = 1, disabled_at = ?2, "
                              "disabled_reason = 'expired' WHERE id = ?1 AND disabled = 0 "
                              "RETURNING id", q, 2, &mine);
        if (rc)
            break;
        int claimed = ol_rows_count(mine) == 1;
        ol_rows_free(mine);
        if (!claimed)
            continue;
        rc = ol_db_exec(conn, "DELETE FROM sessions WHERE user_id = ?1", q, 1, NULL);
        if (rc == 0)
            rc = ol_db_exec(conn, "UPDATE api_tokens SET revoked = 1 WHERE user_id = ?1", q, 1,
                            NULL);
        if (rc == 0)
            rc = ol_audit_write(conn, &sys, "user.expire", ol_rows_get(r, i, 1), "ok",
                                "{\"reason\":\"expired\",\"revoked\":\"sessions,tokens\"}");
        s->count++;
    }
    ol_rows_free(r);
    ol_ctx_clear(&sys);
    return rc;
}

int ol_accounts_sweep(ol_db_t *db)
{
    sweep_t s = {0};
    int rc = ol_db_write(db, sweep_job, &s);
    if (rc)
        return rc;
    if (s.count)
        ol_log(OL_LOG_INFO, "S4: %d expired account(s) disabled", s.count);
    return s.count;
}
