/* auth/auth.h - accounts, password hashes (argon2id), sessions with CSRF tokens, API tokens.
 * The full identity model (policy S1-S4, MFA, LDAP) builds on this. */
#ifndef OL_AUTH_H
#define OL_AUTH_H
#include <stddef.h>

#include "core/db.h"
#include "core/mem.h"
#include "records/ctx.h"

#define OL_MAX_ROLES 32
#define OL_MAX_GROUPS 64

typedef struct {
    long long id;
    char username[65];
    const char *roles[OL_MAX_ROLES + 1]; /* NULL-terminated; strings in the arena given */
    const char *groups[OL_MAX_GROUPS + 1];
    /* Data scope (S5): NULL = every record; else the groups whose records (grp) the user may
     * see, NULL-terminated (records the user owns or created stay visible too). */
    const char **scope;
    int via_session;                     /* authenticated by cookie: writes need CSRF */
    char csrf[64];
    char session_hash[65];               /* S3: the session's row (step-up), "" for tokens */
} ol_principal_t;

typedef struct ol_mfa_login ol_mfa_login_t; /* auth/mfa.h */

typedef struct {
    int min_length;           /* S1: 8 */
    int min_length_privileged;/* S1: 12 (admin) */
    int min_classes;          /* S1: 3 of upper/lower/digit/special */
    int session_hours;        /* idle sessions end after this */
} ol_auth_policy_t;

extern ol_auth_policy_t ol_auth_policy;

/* Checks a password against the policy; returns NULL or the reason (static text, in en). */
const char *ol_password_problem(const char *password, const char *username, int privileged);

/* Creates a user. roles is NULL-terminated. Returns 0, -OL_EINVAL (reason in c->detail and
 * c->errors) or -OL_ECONFLICT when the name is taken. Audited. */
int ol_user_create(ol_ctx_t *c, const char *username, const char *display_name,
                   const char *password, const char *const *roles);

/* Verifies a password; on success creates a session. token and csrf receive new secrets
 * (>= 64 bytes each). Audits success and failure. Returns 0 or -OL_EUNAUTH.
 * S3: when mfa is not NULL and a second factor is due, no session is made: see
 * ol_mfa_after_password() (mfa->pending). */
int ol_login(ol_ctx_t *c, const char *username, const char *password, ol_mfa_login_t *mfa,
             char *token, char *csrf);
/* Creates a session for a user inside the caller's write transaction and audits auth.login;
 * mfa_verified records the time as the session's last second-factor proof (S3 step-up). token
 * and csrf as for ol_login. */
int ol_session_insert(ol_conn_t *conn, const ol_ctx_t *c, long long user_id, const char *username,
                      int mfa_verified, char *token, char *csrf);
int ol_logout(ol_ctx_t *c, const char *session_token);

/* Creates an API token for a user; the secret is shown once (token >= 64 bytes). */
int ol_token_create(ol_ctx_t *c, const char *username, const char *name, int days,
                    char *token);

/* The API tokens of username (auth/tokens.c): c->result = {"username", "items": [{"id", "name",
 * "created_at", "expires_at", "revoked"}]}, never a secret. */
int ol_token_list(ol_ctx_t *c, const char *username);
/* Revokes token id - of owner only, unless owner is NULL (administrators). -OL_ENOTFOUND when
 * there is no such active token. Audited (token.revoke). */
int ol_token_revoke(ol_ctx_t *c, long long id, const char *owner);

/* Resolves a bearer token or a session cookie to a principal; role strings are allocated in
 * arena. Returns 0 or -OL_EUNAUTH. */
int ol_authenticate(ol_db_t *db, const char *bearer, const char *session, ol_arena_t *arena,
                    ol_principal_t *out);

/* Hex SHA-256 of a secret (what the database stores instead of the secret). out >= 65. */
void ol_secret_hash(const char *secret, char *out);

#endif
