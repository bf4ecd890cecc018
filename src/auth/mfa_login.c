/* auth/mfa_login.c - S3 logins with a second factor: after the password, a single-use pending
 * token (5 minutes, stored as SHA-256) that a code, a recovery code or - when MFA is mandatory
 * and not set up - a first enrolment turns into a session. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/mfa.h"
#include "auth/mfa_internal.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "records/audit.h"
#include "records/schema.h"

#define PURPOSE_LOGIN "login"
#define PURPOSE_ENROL "enrol"

/* ---- after the password --------------------------------------------------------------------- */

typedef struct {
    ol_ctx_t *c;
    long long user_id;
    const char *username, *code;
    ol_mfa_login_t *m;
    int active, required, outcome;
} gate_job_t;

static int gate_state(ol_conn_t *conn, gate_job_t *j)
{
    ol_rows_t *r;
    ol_val_t p[] = {OL_VINT(j->user_id)};
    int rc = ol_db_exec(conn, "SELECT active FROM user_mfa WHERE user_id = ?1", p, 1, &r);
    if (rc)
        return rc;
    j->active = ol_rows_count(r) && ol_rows_int(r, 0, 0) == 1;
    ol_rows_free(r);
    return ol__mfa_required(conn, j->user_id, &j->required);
}

static int new_pending(ol_conn_t *conn, gate_job_t *j)
{
    unsigned char raw[32];
    char hash[65], now[32], exp[32];
    randombytes_buf(raw, sizeof raw);
    memcpy(j->m->mfa_token, "olm_", 4);
    sodium_bin2base64(j->m->mfa_token + 4, sizeof j->m->mfa_token - 4, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    ol_secret_hash(j->m->mfa_token, hash);
    const char *purpose = j->active ? PURPOSE_LOGIN : PURPOSE_ENROL;
    ol_val_t p[] = {OL_VTEXT(hash), OL_VINT(j->user_id), OL_VTEXT(purpose),
                    OL_VTEXT(ol_iso_at(ol_time(), now)),
                    OL_VTEXT(ol_iso_at(ol_time() + OL_MFA_TOKEN_SECONDS, exp))};
    /* Expired tokens of anyone go first, so the table holds only live ones. */
    int rc = ol_db_exec(conn, "DELETE FROM mfa_pending WHERE expires_at <= ?1", p + 3, 1, NULL);
    if (rc == 0)
        rc = ol_db_exec(conn, "INSERT INTO mfa_pending(token_hash, user_id, purpose, created_at, "
                              "expires_at) VALUES (?1, ?2, ?3, ?4, ?5)", p, 5, NULL);
    ol_ctx_t as = *j->c;
    as.user = j->username;
    if (rc == 0)
        rc = ol_audit_write(conn, &as, "auth.login", j->username, "pending",
                            j->active ? "{\"mfa\":\"code\"}" : "{\"mfa\":\"enrolment\"}");
    j->m->pending = 1;
    j->m->enrol = !j->active;
    return rc;
}

static int gate_fn(ol_conn_t *conn, void *arg)
{
    gate_job_t *j = arg;
    int rc = gate_state(conn, j);
    if (rc || (!j->active && !j->required))
        return rc;
    if (j->active && j->code)
        return ol__mfa_check(conn, j->c, j->user_id, j->username, 1, j->code, NULL, &j->outcome);
    return new_pending(conn, j);
}

int ol_mfa_after_password(ol_ctx_t *c, long long user_id, const char *username,
                          ol_mfa_login_t *m, int *verified)
{
    gate_job_t j = {c, user_id, username, m->code, m, 0, 0, OL__MFA_NONE};
    m->pending = m->enrol = 0;
    *verified = 0;
    int rc = ol_db_write(c->db, gate_fn, &j);
    if (rc)
        return ol_ctx_fail(c, rc, "could not check the second factor");
    if (!j.active || !j.code || m->pending)
        return 0;
    if (j.outcome != OL__MFA_OK)
        return ol__mfa_fail(c, j.outcome, "code", 1);
    *verified = 1;
    return 0;
}

/* ---- finishing a pending login ------------------------------------------------------------- */

typedef struct {
    ol_ctx_t *c;
    const char *purpose, *code, *recovery;
    ol_recovery_code_t *codes; /* enrolment: out */
    char hash[65];
    /* out */
    long long user_id;
    char *username, *token, *csrf;
    int found, outcome;
} finish_job_t;

static int find_pending(ol_conn_t *conn, finish_job_t *j, long long *attempts)
{
    char now[32];
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(j->hash), OL_VTEXT(j->purpose), OL_VTEXT(ol_iso_at(ol_time(), now))};
    int rc = ol_db_exec(conn, "SELECT p.user_id, u.username, p.attempts FROM mfa_pending p JOIN "
                              "users u ON u.id = p.user_id WHERE p.token_hash = ?1 AND "
                              "p.purpose = ?2 AND p.expires_at > ?3 AND u.disabled = 0",
                        p, 3, &r);
    if (rc)
        return rc;
    if (ol_rows_count(r)) {
        j->found = 1;
        j->user_id = ol_rows_int(r, 0, 0);
        snprintf(j->username, 65, "%s", ol_rows_get(r, 0, 1));
        *attempts = ol_rows_int(r, 0, 2);
    }
    ol_rows_free(r);
    return 0;
}

static int finish_fn(ol_conn_t *conn, void *arg)
{
    finish_job_t *j = arg;
    long long attempts = 0;
    int rc = find_pending(conn, j, &attempts);
    if (rc || !j->found)
        return rc;
    ol_ctx_t as = *j->c;
    as.user = j->username;
    if (!strcmp(j->purpose, PURPOSE_LOGIN))
        rc = ol__mfa_check(conn, &as, j->user_id, j->username, 1, j->code, j->recovery,
                           &j->outcome);
    else
        rc = ol__mfa_activate(conn, &as, j->user_id, j->username, j->code, j->codes, &j->outcome);
    if (rc)
        return rc;
    ol_val_t p[] = {OL_VTEXT(j->hash)};
    if (j->outcome == OL__MFA_OK) {
        rc = ol_db_exec(conn, "DELETE FROM mfa_pending WHERE token_hash = ?1", p, 1, NULL);
        if (rc == 0)
            rc = ol_session_insert(conn, &as, j->user_id, j->username, 1, j->token, j->csrf);
        return rc;
    }
    /* Each pending login allows lockout_threshold wrong codes, then it is gone. */
    if (attempts + 1 >= ol_config_int(ol_config()->lockout_threshold))
        return ol_db_exec(conn, "DELETE FROM mfa_pending WHERE token_hash = ?1", p, 1, NULL);
    return ol_db_exec(conn, "UPDATE mfa_pending SET attempts = attempts + 1 WHERE token_hash = ?1",
                      p, 1, NULL);
}

static int finish(ol_ctx_t *c, finish_job_t *j, const char *mfa_token)
{
    char msg[256];
    ol_secret_hash(mfa_token, j->hash);
    int rc = ol_db_write(c->db, finish_fn, j);
    if (rc)
        return ol_ctx_fail(c, rc, "could not finish the login");
    if (!j->found) {
        ol_schema_add_error(c->errors, "mfa_token", "mfa_token", c->lang, NULL);
        return ol_ctx_fail(c, -OL_EUNAUTH, "%s", ol_msg("mfa_token_bad", c->lang, NULL, msg,
                                                         sizeof msg));
    }
    if (j->outcome != OL__MFA_OK)
        return ol__mfa_fail(c, j->outcome, j->recovery ? "recovery_code" : "code", 1);
    return 0;
}

int ol_mfa_finish_login(ol_ctx_t *c, const char *mfa_token, const char *code,
                        const char *recovery_code, char *username, char *token, char *csrf)
{
    finish_job_t j = {.c = c, .purpose = PURPOSE_LOGIN, .code = code, .recovery = recovery_code,
                      .username = username, .token = token, .csrf = csrf};
    return finish(c, &j, mfa_token);
}

int ol_mfa_finish_enrolment(ol_ctx_t *c, const char *mfa_token, const char *code,
                            ol_recovery_code_t *codes, char *username, char *token, char *csrf)
{
    finish_job_t j = {.c = c, .purpose = PURPOSE_ENROL, .code = code, .codes = codes,
                      .username = username, .token = token, .csrf = csrf};
    return finish(c, &j, mfa_token);
}

static int lookup_fn(ol_conn_t *conn, void *arg)
{
    long long attempts;
    return find_pending(conn, arg, &attempts);
}

int ol_mfa_token_user(ol_ctx_t *c, const char *mfa_token, long long *user_id, char *username)
{
    char msg[256];
    finish_job_t j = {.c = c, .purpose = PURPOSE_ENROL, .username = username};
    ol_secret_hash(mfa_token, j.hash);
    int rc = ol_db_read(c->db, lookup_fn, &j);
    if (rc)
        return ol_ctx_fail(c, rc, "the database is unavailable");
    if (!j.found) {
        ol_schema_add_error(c->errors, "mfa_token", "mfa_token", c->lang, NULL);
        return ol_ctx_fail(c, -OL_EUNAUTH, "%s", ol_msg("mfa_token_bad", c->lang, NULL, msg,
                                                         sizeof msg));
    }
    *user_id = j.user_id;
    return 0;
}
