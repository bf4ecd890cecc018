/* auth/auth.c - accounts, password hashes (argon2id), sessions with CSRF tokens, API tokens. */
#include "auth/auth.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/access.h"
#include "auth/account.h"
#include "auth/directory.h"
#include "auth/mfa.h"
#include "auth/password.h"
#include "auth/roles.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/log.h"
#include "records/audit.h"
#include "records/schema.h"

ol_auth_policy_t ol_auth_policy = {
    .min_length = 8,
    .min_length_privileged = 12,
    .min_classes = 3,
    .session_hours = 8,
};

const char *ol_password_problem(const char *pw, const char *username, int privileged)
{
    static __thread char msg[256];
    char arg[32];
    ol_pw_subject_t subject = {.username = username, .privileged = privileged};
    const char *code = ol_password_rule(pw, &subject, arg, sizeof arg);
    if (!code)
        return NULL;
    char text[200];
    snprintf(msg, sizeof msg, "the password %s", ol_msg(code, "en", arg, text, sizeof text));
    return msg;
}

void ol_secret_hash(const char *secret, char *out)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)secret, strlen(secret));
    sodium_bin2hex(out, 65, h, sizeof h);
}

static void new_secret(const char *prefix, char *out, size_t outlen)
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    size_t p = strlen(prefix);
    memcpy(out, prefix, p);
    sodium_bin2base64(out + p, outlen - p, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void iso_in(char *buf, long seconds)
{
    time_t t = ol_time() + seconds;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

/* ---- users ----------------------------------------------------------------------------- */

int ol_user_create(ol_ctx_t *c, const char *username, const char *display_name,
                   const char *password, const char *const *roles)
{
    ol_user_fields_t f = {.username = username, .display_name = display_name};
    return ol_user_create_ex(c, &f, password, roles);
}

/* ---- sessions ------------------------------------------------------------------------------ */

static int load_account(ol_conn_t *conn, void *arg)
{
    ol_account_t *a = arg;
    return ol_account_load(conn, a->username, a);
}

int ol_session_insert(ol_conn_t *conn, const ol_ctx_t *c, long long user_id, const char *username,
                      int mfa_verified, char *token, char *csrf)
{
    char now[32], hash[65], expires[32];
    new_secret("", token, 64);
    new_secret("", csrf, 64);
    ol_secret_hash(token, hash);
    iso_in(expires, (long)ol_auth_policy.session_hours * 3600);
    ol_now_iso(now);
    ol_val_t p[] = {OL_VTEXT(hash), OL_VINT(user_id), OL_VTEXT(csrf), OL_VTEXT(now),
                    OL_VTEXT(expires), OL_VTEXT(mfa_verified ? now : NULL)};
    int rc = ol_db_exec(conn, "INSERT INTO sessions(token_hash, user_id, csrf, created_at, "
                              "expires_at, mfa_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", p, 6, NULL);
    ol_ctx_t as = *c;
    as.user = username;
    if (rc == 0)
        rc = ol_audit_write(conn, &as, "auth.login", username, "ok",
                            mfa_verified ? "{\"mfa\":true}" : NULL);
    return rc;
}

typedef struct {
    ol_ctx_t *c;
    long long user_id;
    const char *username;
    int mfa;
    char *token, *csrf;
} session_job_t;

static int session_job(ol_conn_t *conn, void *arg)
{
    session_job_t *j = arg;
    return ol_session_insert(conn, j->c, j->user_id, j->username, j->mfa, j->token, j->csrf);
}

int ol_login(ol_ctx_t *c, const char *username, const char *password, ol_mfa_login_t *mfa,
             char *token, char *csrf)
{
    /* Directory (LDAP) accounts: the directory checks the password and the account and its
     * roles are synced (auth/directory.c); OL_DIRECTORY_LOCAL means a local account. A wrong
     * directory password still counts towards the lockout (S2); the directory audited it. */
    char dir_name[65];
    int dir = ol_directory_login(c, username, password, dir_name);
    if (dir < 0 && dir != -OL_EUNAUTH)
        return dir;
    if (dir != OL_DIRECTORY_LOCAL)
        username = dir_name;
    ol_account_t u;
    snprintf(u.username, sizeof u.username, "%.64s", username);
    int rc = ol_db_read(c->db, load_account, &u);
    if (rc)
        return ol_ctx_fail(c, rc, "the database is unavailable");
    if (dir == -OL_EUNAUTH && !u.found)
        return dir;
    /* An unknown user costs one argon2 verify too (a dummy hash), so timing does not tell. */
    int ok = dir == 0 || (dir == OL_DIRECTORY_LOCAL && ol_password_verify(u.found ? u.hash : NULL,
                                                                          password));
    /* S2 lockout, S4 disabled or expired accounts, S1 expired passwords. */
    rc = ol_login_gate(c, username, &u, ok, dir == -OL_EUNAUTH ? OL_GATE_AUDITED : 0);
    if (rc)
        return rc;
    session_job_t j = {.c = c, .user_id = u.id, .username = username, .token = token, .csrf = csrf};
    /* S3: a second factor may be due before any session exists (auth/mfa.c). */
    if (mfa && ((rc = ol_mfa_after_password(c, u.id, username, mfa, &j.mfa)) || mfa->pending))
        return rc;
    rc = ol_db_write(c->db, session_job, &j);
    if (rc)
        return ol_ctx_fail(c, rc, "could not create the session");
    /* S1: the answer tells when the password expires, and warns in its last days. */
    json_decref(c->result);
    c->result = json_object();
    ol_account_expiry_json(&u, c->result);
    return 0;
}

typedef struct {
    ol_ctx_t *c;
    char hash[65];
} logout_job_t;

static int logout_job(ol_conn_t *conn, void *arg)
{
    logout_job_t *j = arg;
    ol_val_t p[] = {OL_VTEXT(j->hash)};
    int rc = ol_db_exec(conn, "DELETE FROM sessions WHERE token_hash = ?1", p, 1, NULL);
    if (rc == 0)
        rc = ol_audit_write(conn, j->c, "auth.logout", j->c->user, "ok", NULL);
    return rc;
}

int ol_logout(ol_ctx_t *c, const char *session_token)
{
    logout_job_t j = {c, ""};
    ol_secret_hash(session_token, j.hash);
    return ol_db_write(c->db, logout_job, &j);
}

/* ---- API tokens ------------------------------------------------------------------------------ */

typedef struct {
    ol_ctx_t *c;
    const char *username, *name;
    char hash[65], expires[32];
    int has_expiry;
} token_job_t;

static int token_job(ol_conn_t *conn, void *arg)
{
    token_job_t *j = arg;
    char now[32];
    ol_rows_t *r;
    ol_val_t u[] = {OL_VTEXT(j->username)};
    int rc = ol_db_exec(conn, "SELECT id FROM users WHERE username = ?1 AND disabled = 0", u, 1, &r);
    if (rc)
        return rc;
    long long uid = ol_rows_count(r) ? ol_rows_int(r, 0, 0) : 0;
    ol_rows_free(r);
    if (!uid)
        return ol_ctx_fail(j->c, -OL_ENOTFOUND, "no active user '%s'", j->username);
    ol_val_t p[] = {OL_VTEXT(j->hash), OL_VINT(uid), OL_VTEXT(j->name), OL_VTEXT(ol_now_iso(now)),
                    OL_VTEXT(j->has_expiry ? j->expires : NULL)};
    rc = ol_db_exec(conn, "INSERT INTO api_tokens(token_hash, user_id, name, created_at, "
                          "expires_at) VALUES (?1, ?2, ?3, ?4, ?5)", p, 5, NULL);
    if (rc == 0)
        rc = ol_audit_write(conn, j->c, "token.create", j->username, "ok", NULL);
    return rc;
}

int ol_token_create(ol_ctx_t *c, const char *username, const char *name, int days, char *token)
{
    token_job_t j = {.c = c, .username = username, .name = name, .has_expiry = days > 0};
    new_secret("olt_", token, 64);
    ol_secret_hash(token, j.hash);
    if (days > 0)
        iso_in(j.expires, (long)days * 86400);
    return ol_db_write(c->db, token_job, &j);
}

/* ---- authentication ------------------------------------------------------------------------ */

typedef struct {
    const char *hash;
    int session;
    ol_arena_t *arena;
    ol_principal_t *p;
    int found;
} auth_t;

static int auth_fn(ol_conn_t *conn, void *arg)
{
    auth_t *a = arg;
    char now[32];
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(a->hash), OL_VTEXT(ol_now_iso(now))};
    int rc = ol_db_exec(conn,
                        a->session
                            ? "SELECT u.id, u.username, s.csrf FROM sessions s JOIN users u ON "
                              "u.id = s.user_id WHERE s.token_hash = ?1 AND s.expires_at > ?2 "
                              "AND u.disabled = 0 AND (u.expires_at IS NULL OR u.expires_at > ?2)"
                            : "SELECT u.id, u.username, '' FROM api_tokens t JOIN users u ON "
                              "u.id = t.user_id WHERE t.token_hash = ?1 AND t.revoked = 0 AND "
                              "(t.expires_at IS NULL OR t.expires_at > ?2) AND u.disabled = 0 "
                              "AND (u.expires_at IS NULL OR u.expires_at > ?2)",
                        p, 2, &r);
    if (rc)
        return rc;
    if (ol_rows_count(r)) {
        a->found = 1;
        a->p->id = ol_rows_int(r, 0, 0);
        snprintf(a->p->username, sizeof a->p->username, "%s", ol_rows_get(r, 0, 1));
        snprintf(a->p->csrf, sizeof a->p->csrf, "%s", ol_rows_get(r, 0, 2));
    }
    ol_rows_free(r);
    if (!a->found)
        return 0;
    /* Effective roles (direct, elevated, from groups), groups and data scope (S5). */
    return ol_access_load(conn, a->p->id, a->arena, a->p);
}

int ol_authenticate(ol_db_t *db, const char *bearer, const char *session, ol_arena_t *arena,
                    ol_principal_t *out)
{
    memset(out, 0, sizeof *out);
    const char *secret = bearer ? bearer : session;
    if (!secret || !*secret || strlen(secret) > 128)
        return -OL_EUNAUTH;
    char hash[65];
    ol_secret_hash(secret, hash);
    auth_t a = {hash, bearer == NULL, arena, out, 0};
    int rc = ol_db_read(db, auth_fn, &a);
    if (rc)
        return rc;
    if (!a.found)
        return -OL_EUNAUTH;
    out->via_session = bearer == NULL;
    if (out->via_session)
        memcpy(out->session_hash, hash, sizeof hash);
    return 0;
}
