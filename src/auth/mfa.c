/* auth/mfa.c - S3 TOTP factors: code checks with replay and guessing guards, enrolment with
 * recovery codes, turning off, administrator reset, step-up. Logins are in auth/mfa_login.c. */
#include "auth/mfa.h"
#include "auth/access.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/mfa_internal.h"
#include "auth/mfa_seal.h"
#include "auth/roles.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/log.h"
#include "records/audit.h"
#include "records/schema.h"

#define SEALED_MAX 160

/* ---- checks inside a transaction ---------------------------------------------------------- */

int ol__mfa_required(ol_conn_t *conn, long long user_id, int *required)
{
    const char *policy = ol_config()->mfa_required;
    *required = !strcmp(policy, "all");
    if (strcmp(policy, "privileged"))
        return 0;
    /* Effective roles: direct, elevated and through groups (S5). */
    ol_arena_t arena;
    ol_arena_init(&arena);
    ol_principal_t p;
    memset(&p, 0, sizeof p);
    int rc = ol_access_load(conn, user_id, &arena, &p);
    if (rc == 0)
        *required = ol_roles_privileged(p.roles);
    ol_arena_clear(&arena);
    return rc;
}

/* Whether lockout_threshold wrong codes in a row ended less than lockout_minutes ago. */
static int locked(long long failures, const char *failed_at)
{
    time_t t;
    if (failures < ol_config_int(ol_config()->lockout_threshold) || !failed_at ||
        ol_iso_parse(failed_at, &t))
        return 0;
    return ol_time() - t < ol_config_int(ol_config()->lockout_minutes) * 60;
}

static int audit_as(ol_conn_t *conn, const ol_ctx_t *c, const char *username, const char *action,
                    const char *result, const char *detail)
{
    ol_ctx_t as = *c;
    if (!as.user)
        as.user = username;
    return ol_audit_write(conn, &as, action, username, result, detail);
}

/* Sets *ok for a right TOTP code of a step after the last one accepted, *replayed for a right
 * code of a step already used. Returns 0 or an error (the key file, the database). */
static int totp_ok(ol_conn_t *conn, const ol_ctx_t *c, long long user_id, const char *sealed,
                   long long last_step, const char *code, int *ok, int *replayed)
{
    unsigned char secret[64];
    size_t n = 0;
    char err[256];
    long long step = 0;
    *ok = *replayed = 0;
    int rc = ol_mfa_open(c->db, user_id, sealed, secret, sizeof secret, &n, err, sizeof err);
    if (rc) {
        ol_log(OL_LOG_ERROR, "mfa: %s", err);
        return rc;
    }
    int right = ol_totp_verify(secret, n, ol_time(), (int)ol_config_int(ol_config()->totp_window),
                               code, &step) == 0;
    sodium_memzero(secret, sizeof secret);
    if (!right)
        return 0;
    if (step <= last_step) {
        *replayed = 1;
        return 0;
    }
    /* The condition makes a concurrent use of the same code lose. */
    ol_rows_t *r;
    ol_val_t p[] = {OL_VINT(user_id), OL_VINT(step)};
    rc = ol_db_exec(conn, "UPDATE user_mfa SET last_step = ?2, failures = 0, failed_at = NULL "
                          "WHERE user_id = ?1 AND last_step < ?2 RETURNING user_id", p, 2, &r);
    if (rc)
        return rc;
    *ok = ol_rows_count(r) == 1;
    *replayed = !*ok;
    ol_rows_free(r);
    return 0;
}

static int recovery_ok(ol_conn_t *conn, const ol_ctx_t *c, long long user_id,
                       const char *username, const char *typed)
{
    char norm[17], hash[65], now[32], detail[64];
    if (ol_recovery_code_norm(typed, norm))
        return 0;
    ol_secret_hash(norm, hash);
    ol_rows_t *r;
    ol_val_t p[] = {OL_VINT(user_id), OL_VTEXT(hash), OL_VTEXT(ol_now_iso(now))};
    if (ol_db_exec(conn, "UPDATE mfa_recovery_codes SET used_at = ?3 WHERE user_id = ?1 AND "
                         "code_hash = ?2 AND used_at IS NULL RETURNING id", p, 3, &r))
        return 0;
    int ok = ol_rows_count(r) == 1;
    ol_rows_free(r);
    if (!ok)
        return 0;
    if (ol_db_exec(conn, "SELECT count(*) FROM mfa_recovery_codes WHERE user_id = ?1 AND "
                         "used_at IS NULL", p, 1, &r))
        return 0;
    snprintf(detail, sizeof detail, "{\"recovery_codes_left\":%lld}", ol_rows_int(r, 0, 0));
    ol_rows_free(r);
    return ol_db_exec(conn, "UPDATE user_mfa SET failures = 0, failed_at = NULL WHERE user_id = ?1",
                      p, 1, NULL) == 0 &&
           audit_as(conn, c, username, "mfa.recovery_used", "ok", detail) == 0;
}

int ol__mfa_check(ol_conn_t *conn, const ol_ctx_t *c, long long user_id, const char *username,
                  int want_active, const char *code, const char *recovery, int *outcome)
{
    ol_rows_t *r;
    ol_val_t p[] = {OL_VINT(user_id)};
    int rc = ol_db_exec(conn, "SELECT secret_enc, active, last_step, failures, failed_at FROM "
                              "user_mfa WHERE user_id = ?1", p, 1, &r);
    if (rc)
        return rc;
    if (!ol_rows_count(r) || ol_rows_int(r, 0, 1) != want_active) {
        ol_rows_free(r);
        *outcome = OL__MFA_NONE;
        return 0;
    }
    char sealed[SEALED_MAX];
    snprintf(sealed, sizeof sealed, "%s", ol_rows_get(r, 0, 0));
    long long last_step = ol_rows_int(r, 0, 2);
    int is_locked = locked(ol_rows_int(r, 0, 3), ol_rows_get(r, 0, 4));
    ol_rows_free(r);
    if (is_locked) {
        *outcome = OL__MFA_LOCKED;
        return audit_as(conn, c, username, "mfa.fail", "denied", "{\"reason\":\"locked\"}");
    }
    int replayed = 0, ok = 0;
    if (code && (rc = totp_ok(conn, c, user_id, sealed, last_step, code, &ok, &replayed)))
        return rc;
    if (!code)
        ok = recovery && want_active && recovery_ok(conn, c, user_id, username, recovery);
    if (ok) {
        *outcome = OL__MFA_OK;
        return 0;
    }
    *outcome = OL__MFA_WRONG;
    char now[32];
    ol_val_t f[] = {OL_VINT(user_id), OL_VTEXT(ol_iso_at(ol_time(), now))};
    rc = ol_db_exec(conn, "UPDATE user_mfa SET failures = failures + 1, failed_at = ?2 "
                          "WHERE user_id = ?1", f, 2, NULL);
    if (rc == 0)
        rc = audit_as(conn, c, username, "mfa.fail", "denied",
                      replayed ? "{\"reason\":\"replayed code\"}"
                      : code   ? "{\"reason\":\"wrong code\"}"
                               : "{\"reason\":\"wrong recovery code\"}");
    return rc;
}

int ol__mfa_activate(ol_conn_t *conn, const ol_ctx_t *c, long long user_id, const char *username,
                     const char *code, ol_recovery_code_t *codes, int *outcome)
{
    int rc = ol__mfa_check(conn, c, user_id, username, 0, code, NULL, outcome);
    if (rc || *outcome != OL__MFA_OK)
        return rc;
    char now[32];
    ol_val_t p[] = {OL_VINT(user_id), OL_VTEXT(ol_now_iso(now))};
    rc = ol_db_exec(conn, "UPDATE user_mfa SET active = 1, confirmed_at = ?2 WHERE user_id = ?1",
                    p, 2, NULL);
    if (rc == 0)
        rc = ol_db_exec(conn, "DELETE FROM mfa_recovery_codes WHERE user_id = ?1", p, 1, NULL);
    for (int i = 0; i < OL_RECOVERY_CODES && rc == 0; i++) {
        char norm[17], hash[65];
        ol_recovery_code_new(codes[i]);
        ol_recovery_code_norm(codes[i], norm);
        ol_secret_hash(norm, hash);
        ol_val_t q[] = {OL_VINT(user_id), OL_VTEXT(hash)};
        rc = ol_db_exec(conn, "INSERT INTO mfa_recovery_codes(user_id, code_hash) VALUES (?1, ?2)",
                        q, 2, NULL);
    }
    if (rc == 0)
        rc = audit_as(conn, c, username, "mfa.confirm", "ok", NULL);
    return rc;
}

int ol__mfa_fail(ol_ctx_t *c, int outcome, const char *field, int unauth)
{
    char msg[256];
    switch (outcome) {
    case OL__MFA_LOCKED:
        ol_ctx_fail(c, 0, "%s", ol_msg("mfa_locked", c->lang, ol_config()->lockout_minutes, msg,
                                       sizeof msg));
        return unauth ? -OL_EUNAUTH : -OL_EFORBIDDEN;
    case OL__MFA_NONE:
        ol_ctx_fail(c, 0, "%s", ol_msg("mfa_none", c->lang, NULL, msg, sizeof msg));
        return unauth ? -OL_EUNAUTH : -OL_ECONFLICT;
    default:
        ol_schema_add_error(c->errors, field, "mfa_code", c->lang, NULL);
        ol_ctx_fail(c, 0, "%s", ol_msg("mfa_wrong", c->lang, NULL, msg, sizeof msg));
        return unauth ? -OL_EUNAUTH : -OL_EINVAL;
    }
}

/* ---- status, enrolment, confirmation ------------------------------------------------------ */

typedef struct {
    long long user_id;
    ol_mfa_status_t *st;
} status_job_t;

static int status_fn(ol_conn_t *conn, void *arg)
{
    status_job_t *j = arg;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VINT(j->user_id)};
    int rc = ol_db_exec(conn, "SELECT active, (SELECT count(*) FROM mfa_recovery_codes WHERE "
                              "user_id = ?1 AND used_at IS NULL) FROM user_mfa WHERE user_id = ?1",
                        p, 1, &r);
    if (rc)
        return rc;
    memset(j->st, 0, sizeof *j->st);
    if (ol_rows_count(r)) {
        j->st->active = ol_rows_int(r, 0, 0) == 1;
        j->st->enrolling = !j->st->active;
        j->st->recovery_left = j->st->active ? (int)ol_rows_int(r, 0, 1) : 0;
    }
    ol_rows_free(r);
    return ol__mfa_required(conn, j->user_id, &j->st->required);
}

int ol_mfa_status(ol_ctx_t *c, long long user_id, ol_mfa_status_t *out)
{
    status_job_t j = {user_id, out};
    int rc = ol_db_read(c->db, status_fn, &j);
    return rc ? ol_ctx_fail(c, rc, "the database is unavailable") : 0;
}

typedef struct {
    ol_ctx_t *c;
    long long user_id;
    const char *username, *sealed;
} enrol_job_t;

static int enrol_fn(ol_conn_t *conn, void *arg)
{
    enrol_job_t *j = arg;
    char now[32];
    ol_rows_t *r;
    ol_val_t p[] = {OL_VINT(j->user_id), OL_VTEXT(j->sealed), OL_VTEXT(ol_now_iso(now))};
    int rc = ol_db_exec(conn, "SELECT active FROM user_mfa WHERE user_id = ?1", p, 1, &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    int active = ol_rows_count(r) && ol_rows_int(r, 0, 0) == 1;
    ol_rows_free(r);
    if (active) {
        char msg[256];
        return ol_ctx_fail(j->c, -OL_ECONFLICT, "%s",
                           ol_msg("mfa_active", j->c->lang, NULL, msg, sizeof msg));
    }
    rc = ol_db_exec(conn, "DELETE FROM user_mfa WHERE user_id = ?1", p, 1, NULL);
    if (rc == 0)
        rc = ol_db_exec(conn, "INSERT INTO user_mfa(user_id, secret_enc, created_at) "
                              "VALUES (?1, ?2, ?3)", p, 3, NULL);
    if (rc == 0)
        rc = audit_as(conn, j->c, j->username, "mfa.enrol", "ok", NULL);
    return rc ? ol_ctx_db_fail(j->c, conn, rc) : 0;
}

int ol_mfa_enrol(ol_ctx_t *c, long long user_id, const char *username, char *secret_b32,
                 char *uri, size_t uri_len)
{
    unsigned char secret[OL_TOTP_SECRET_BYTES];
    char sealed[SEALED_MAX], err[256];
    randombytes_buf(secret, sizeof secret);
    int rc = ol_mfa_seal(c->db, user_id, secret, sizeof secret, sealed, sizeof sealed, err,
                         sizeof err);
    if (rc == 0)
        ol_base32_encode(secret, sizeof secret, secret_b32, 40);
    sodium_memzero(secret, sizeof secret);
    if (rc)
        return ol_ctx_fail(c, rc, "%s", err);
    if (ol_totp_uri(ol_config()->mfa_issuer, username, secret_b32, uri, uri_len))
        return ol_ctx_fail(c, -OL_EINTERNAL, "the otpauth URI does not fit");
    enrol_job_t j = {c, user_id, username, sealed};
    return ol_db_write(c->db, enrol_fn, &j);
}

typedef struct {
    ol_ctx_t *c;
    long long user_id;
    const char *username, *code, *session_hash, *action;
    ol_recovery_code_t *codes;
    int outcome;
} code_job_t;

/* Marks the session as having proved a code now (step-up). */
static int session_proved(ol_conn_t *conn, const char *session_hash)
{
    char now[32];
    ol_val_t p[] = {OL_VTEXT(session_hash), OL_VTEXT(ol_now_iso(now))};
    return ol_db_exec(conn, "UPDATE sessions SET mfa_at = ?2 WHERE token_hash = ?1", p, 2, NULL);
}

static int confirm_fn(ol_conn_t *conn, void *arg)
{
    code_job_t *j = arg;
    int rc = ol__mfa_activate(conn, j->c, j->user_id, j->username, j->code, j->codes, &j->outcome);
    if (rc == 0 && j->outcome == OL__MFA_OK && j->session_hash)
        rc = session_proved(conn, j->session_hash);
    return rc ? ol_ctx_db_fail(j->c, conn, rc) : 0;
}

int ol_mfa_confirm(ol_ctx_t *c, long long user_id, const char *username, const char *code,
                   const char *session_hash, ol_recovery_code_t *codes)
{
    code_job_t j = {.c = c, .user_id = user_id, .username = username, .code = code,
                    .session_hash = session_hash, .codes = codes};
    int rc = ol_db_write(c->db, confirm_fn, &j);
    if (rc == 0 && j.outcome != OL__MFA_OK)
        rc = ol__mfa_fail(c, j.outcome, "code", 0);
    return rc;
}

/* ---- turning off, reset --------------------------------------------------------------------- */

static int remove_factor(ol_conn_t *conn, long long user_id)
{
    ol_val_t p[] = {OL_VINT(user_id)};
    int rc = ol_db_exec(conn, "DELETE FROM mfa_recovery_codes WHERE user_id = ?1", p, 1, NULL);
    if (rc == 0)
        rc = ol_db_exec(conn, "DELETE FROM mfa_pending WHERE user_id = ?1", p, 1, NULL);
    if (rc == 0)
        rc = ol_db_exec(conn, "DELETE FROM user_mfa WHERE user_id = ?1", p, 1, NULL);
    return rc;
}

/* Checks a code of the active factor, then (when right) runs j->action's change. */
static int code_fn(ol_conn_t *conn, void *arg)
{
    code_job_t *j = arg;
    int required = 0;
    int rc = ol__mfa_required(conn, j->user_id, &required);
    if (rc == 0 && required && !strcmp(j->action, "mfa.disable")) {
        char msg[256];
        return ol_ctx_fail(j->c, -OL_EFORBIDDEN, "%s",
                           ol_msg("mfa_mandatory", j->c->lang, ol_config()->mfa_required, msg,
                                  sizeof msg));
    }
    if (rc == 0)
        rc = ol__mfa_check(conn, j->c, j->user_id, j->username, 1, j->code, NULL, &j->outcome);
    if (rc == 0 && j->outcome == OL__MFA_OK) {
        if (!strcmp(j->action, "mfa.disable"))
            rc = remove_factor(conn, j->user_id);
        else
            rc = session_proved(conn, j->session_hash);
        if (rc == 0)
            rc = audit_as(conn, j->c, j->username, j->action, "ok", NULL);
    }
    return rc ? ol_ctx_db_fail(j->c, conn, rc) : 0;
}

int ol_mfa_disable(ol_ctx_t *c, long long user_id, const char *username, const char *code)
{
    code_job_t j = {.c = c, .user_id = user_id, .username = username, .code = code,
                    .action = "mfa.disable"};
    int rc = ol_db_write(c->db, code_fn, &j);
    if (rc == -OL_EFORBIDDEN) /* the refusal rolled back; the attempt is still on record */
        ol_audit_write_now(c->db, c, "mfa.disable", username, "denied",
                           "{\"reason\":\"mandatory\"}");
    if (rc == 0 && j.outcome != OL__MFA_OK)
        rc = ol__mfa_fail(c, j.outcome, "code", 0);
    return rc;
}

int ol_mfa_step_up(ol_ctx_t *c, long long user_id, const char *username,
                   const char *session_hash, const char *code)
{
    code_job_t j = {.c = c, .user_id = user_id, .username = username, .code = code,
                    .session_hash = session_hash, .action = "mfa.step_up"};
    int rc = ol_db_write(c->db, code_fn, &j);
    if (rc == 0 && j.outcome != OL__MFA_OK)
        rc = ol__mfa_fail(c, j.outcome, "code", 0);
    return rc;
}

typedef struct {
    ol_ctx_t *c;
    const char *username;
} reset_job_t;

static int reset_fn(ol_conn_t *conn, void *arg)
{
    reset_job_t *j = arg;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(j->username)};
    int rc = ol_db_exec(conn, "SELECT id FROM users WHERE username = ?1", p, 1, &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    long long id = ol_rows_count(r) ? ol_rows_int(r, 0, 0) : 0;
    ol_rows_free(r);
    if (!id)
        return ol_ctx_fail(j->c, -OL_ENOTFOUND, "no user '%s'", j->username);
    rc = remove_factor(conn, id);
    if (rc == 0)
        rc = ol_audit_write(conn, j->c, "mfa.reset", j->username, "ok", NULL);
    return rc ? ol_ctx_db_fail(j->c, conn, rc) : 0;
}

int ol_mfa_reset(ol_ctx_t *c, const char *username)
{
    reset_job_t j = {c, username};
    return ol_db_write(c->db, reset_fn, &j);
}

/* ---- step-up check ------------------------------------------------------------------------- */

typedef struct {
    const ol_principal_t *p;
    int active, required, fresh;
} step_job_t;

static int step_fn(ol_conn_t *conn, void *arg)
{
    step_job_t *j = arg;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VINT(j->p->id), OL_VTEXT(j->p->session_hash)};
    int rc = ol_db_exec(conn, "SELECT (SELECT count(*) FROM user_mfa WHERE user_id = ?1 AND "
                              "active = 1), (SELECT mfa_at FROM sessions WHERE token_hash = ?2 "
                              "AND user_id = ?1)", p, 2, &r);
    if (rc)
        return rc;
    j->active = ol_rows_int(r, 0, 0) > 0;
    time_t at;
    const char *mfa_at = ol_rows_get(r, 0, 1);
    if (j->p->via_session && mfa_at && ol_iso_parse(mfa_at, &at) == 0)
        j->fresh = ol_time() - at <= ol_config_int(ol_config()->step_up_minutes) * 60;
    ol_rows_free(r);
    return ol__mfa_required(conn, j->p->id, &j->required);
}

int ol_mfa_step_up_check(ol_ctx_t *c, const ol_principal_t *p)
{
    step_job_t j = {p, 0, 0, 0};
    int rc = ol_db_read(c->db, step_fn, &j);
    if (rc)
        return ol_ctx_fail(c, rc, "the database is unavailable");
    /* With mfa_required = none the policy asks a second factor only of those who have one. */
    if (j.fresh || (!j.active && !strcmp(ol_config()->mfa_required, "none")))
        return 0;
    char msg[320];
    const char *why = !p->via_session ? "step_up_token" : !j.active ? "step_up_enrol" : "step_up";
    ol_ctx_fail(c, 0, "%s", ol_msg(why, c->lang, ol_config()->step_up_minutes, msg, sizeof msg));
    c->problem_type = OL_MFA_STEP_UP_TYPE;
    return -OL_EFORBIDDEN;
}
