/* auth/auth.c - accounts, password hashes (argon2id), sessions with CSRF tokens, API tokens. */
#include "auth/auth.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/access.h"
#include "auth/mfa.h"
#include "auth/directory.h"
#include "auth/roles.h"
#include "core/clock.h"
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
    size_t len = strlen(pw);
    int need = privileged ? ol_auth_policy.min_length_privileged : ol_auth_policy.min_length;
    if (len > 1024)
        return "the password is longer than 1024 bytes";
    if ((int)len < need)
        return privileged ? "the password is too short for a privileged account"
                          : "the password is too short";
    int up = 0, lo = 0, di = 0, sp = 0;
    for (const char *s = pw; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        up |= isupper(ch) != 0;
        lo |= islower(ch) != 0;
        di |= isdigit(ch) != 0;
        sp |= !isalnum(ch);
    }
    if (up + lo + di + sp < ol_auth_policy.min_classes)
        return "the password needs upper-case, lower-case, digits and special characters "
               "(at least 3 of the 4)";
    if (username && *username && strcasestr(pw, username))
        return "the password must not contain the user name";
    return NULL;
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

/* ---- users --------------------------------------------------------------------------------- */

typedef struct {
    ol_ctx_t *c;
    const char *username, *display, *hash;
    const char *const *roles;
} user_job_t;

static int user_job(ol_conn_t *conn, void *arg)
{
    user_job_t *j = arg;
    char now[32];
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(j->username), OL_VTEXT(j->display), OL_VTEXT(j->hash),
                    OL_VTEXT(ol_now_iso(now))};
    int rc = ol_db_exec(conn, "INSERT INTO users(username, display_name, password_hash, "
                              "created_at) VALUES (?1, ?2, ?3, ?4) RETURNING id", p, 4, &r);
    if (rc == -OL_ECONFLICT)
        return ol_ctx_fail(j->c, rc, "the user name '%s' is taken", j->username);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    long long id = ol_rows_int(r, 0, 0);
    ol_rows_free(r);
    for (const char *const *role = j->roles; role && *role && rc == 0; role++) {
        ol_val_t rp[] = {OL_VINT(id), OL_VTEXT(*role)};
        rc = ol_db_exec(conn, "INSERT INTO user_roles(user_id, role) VALUES (?1, ?2)", rp, 2, NULL);
    }
    if (rc == 0)
        rc = ol_audit_write(conn, j->c, "user.create", j->username, "ok", NULL);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    j->c->status = 201;
    return 0;
}

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

int ol_user_create(ol_ctx_t *c, const char *username, const char *display_name,
                   const char *password, const char *const *roles)
{
    int privileged = 0;
    if (!username || !valid_name(username))
        ol_schema_add_error(c->errors, "username", "username", c->lang, NULL);
    char conflict[160];
    for (const char *const *r = roles; r && *r; r++)
        if (!ol_role_find(*r))
            ol_schema_add_error(c->errors, "roles", "bad_filter", c->lang, "unknown role");
    privileged = ol_roles_privileged(roles);
    const char *why = password ? ol_password_problem(password, username, privileged)
                               : "a password is required";
    if (why)
        ol_schema_add_error(c->errors, "password", "bad_filter", c->lang, why);
    if (json_array_size(c->errors))
        return ol_ctx_fail(c, -OL_EINVAL, "the user is invalid");
    if (ol_roles_conflict(roles, conflict, sizeof conflict))
        return ol_ctx_fail(c, -OL_ECONFLICT, "S6: the roles %s are incompatible and may not be "
                           "held by one account", conflict);
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return ol_ctx_fail(c, -OL_EINTERNAL, "out of memory hashing the password");
    user_job_t j = {c, username, display_name ? display_name : "", hash, roles};
    return ol_db_write(c->db, user_job, &j);
}

/* ---- sessions ------------------------------------------------------------------------------ */

typedef struct {
    const char *username;
    long long id;
    char hash[crypto_pwhash_STRBYTES];
    int disabled, found;
} user_row_t;

static int load_user(ol_conn_t *conn, void *arg)
{
    user_row_t *u = arg;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(u->username)};
    int rc = ol_db_exec(conn, "SELECT id, password_hash, disabled FROM users WHERE username = ?1",
                        p, 1, &r);
    if (rc)
        return rc;
    if (ol_rows_count(r)) {
        u->found = 1;
        u->id = ol_rows_int(r, 0, 0);
        snprintf(u->hash, sizeof u->hash, "%s", ol_rows_get(r, 0, 1));
        u->disabled = (int)ol_rows_int(r, 0, 2);
    }
    ol_rows_free(r);
    return 0;
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
     * roles are synced (auth/directory.c); OL_DIRECTORY_LOCAL means a local account. */
    char dir_name[65];
    int dir = ol_directory_login(c, username, password, dir_name);
    if (dir < 0)
        return dir;
    if (dir == 0)
        username = dir_name;
    user_row_t u = {.username = username};
    int rc = ol_db_read(c->db, load_user, &u);
    if (rc)
        return ol_ctx_fail(c, rc, "the database is unavailable");
    /* Verify against a dummy hash when the user does not exist, so timing does not tell. */
    static const char dummy[] = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
                                "ZmFrZWZha2VmYWtlZmFrZWZha2VmYWtlZmFrZWZha2U";
    int ok = dir == 0 ||
             crypto_pwhash_str_verify(u.found ? u.hash : dummy, password, strlen(password)) == 0;
    if (!u.found || !ok || u.disabled) {
        ol_ctx_t audit = *c;
        audit.user = username;
        ol_audit_write_now(c->db, &audit, "auth.login", username, "denied",
                           u.disabled ? "{\"reason\":\"disabled\"}" : "{\"reason\":\"bad credentials\"}");
        return ol_ctx_fail(c, -OL_EUNAUTH, "wrong user name or password");
    }
    session_job_t j = {.c = c, .user_id = u.id, .username = username, .token = token, .csrf = csrf};
    /* S3: a second factor may be due before any session exists (auth/mfa.c). */
    if (mfa && ((rc = ol_mfa_after_password(c, u.id, username, mfa, &j.mfa)) || mfa->pending))
        return rc;
    rc = ol_db_write(c->db, session_job, &j);
    if (rc)
        return ol_ctx_fail(c, rc, "could not create the session");
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
                              "AND u.disabled = 0"
                            : "SELECT u.id, u.username, '' FROM api_tokens t JOIN users u ON "
                              "u.id = t.user_id WHERE t.token_hash = ?1 AND t.revoked = 0 AND "
                              "(t.expires_at IS NULL OR t.expires_at > ?2) AND u.disabled = 0",
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
