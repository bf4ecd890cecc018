/* auth/password_set.c - S1: hashing, the history of the last passwords, the administrator's
 * reset and the user's own change (which works when the password expired). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/account.h"
#include "auth/password.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "records/audit.h"
#include "records/schema.h"

int ol_password_verify(const char *hash, const char *pw)
{
    /* Same parameters as ol_password_hash: an unknown user costs what a known one does. */
    static const char dummy[] = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
                                "ZmFrZWZha2VmYWtlZmFrZWZha2VmYWtlZmFrZWZha2U";
    int ok = crypto_pwhash_str_verify(hash ? hash : dummy, pw, strlen(pw)) == 0;
    return hash && ok;
}

int ol_password_hash(const char *pw, char *out)
{
    return crypto_pwhash_str(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0 ? 0 : -OL_EINTERNAL;
}

static long history_size(void)
{
    return ol_config_int(ol_config()->password_history);
}

typedef struct {
    long long user_id;
    char hashes[100][160];
    int n;
} history_t;

static int load_history(ol_conn_t *conn, void *arg)
{
    history_t *h = arg;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VINT(h->user_id), OL_VINT(history_size())};
    int rc = ol_db_exec(conn, "SELECT hash FROM password_history WHERE user_id = ?1 "
                              "ORDER BY id DESC LIMIT ?2", p, 2, &r);
    if (rc)
        return rc;
    for (int i = 0; i < ol_rows_count(r) && h->n < 100; i++)
        snprintf(h->hashes[h->n++], sizeof h->hashes[0], "%s", ol_rows_get(r, i, 0));
    ol_rows_free(r);
    return 0;
}

/* Reads the hashes, then verifies outside any transaction: argon2 takes tens of milliseconds
 * each, and the writer must not wait for that. */
static int reused(ol_db_t *db, long long user_id, const char *pw)
{
    history_t *h = calloc(1, sizeof *h);
    if (!h)
        return -OL_EINTERNAL;
    h->user_id = user_id;
    int rc = history_size() > 0 ? ol_db_read(db, load_history, h) : 0;
    for (int i = 0; rc == 0 && i < h->n; i++)
        if (crypto_pwhash_str_verify(h->hashes[i], pw, strlen(pw)) == 0)
            rc = 1;
    sodium_memzero(h, sizeof *h);
    free(h);
    return rc;
}

int ol_password_store(ol_conn_t *conn, long long user_id, const char *hash, int must_change)
{
    char now[32];
    long keep = history_size() > 0 ? history_size() : 1;
    ol_val_t p[] = {OL_VINT(user_id), OL_VTEXT(hash), OL_VTEXT(ol_now_iso(now)),
                    OL_VINT(must_change)};
    ol_val_t trim[] = {OL_VINT(user_id), OL_VINT(keep)}; /* PostgreSQL types every $n given */
    int rc = ol_db_exec(conn, "UPDATE users SET password_hash = ?2, password_changed_at = ?3, "
                              "must_change_password = ?4 WHERE id = ?1", p, 4, NULL);
    if (rc == 0)
        rc = ol_db_exec(conn, "INSERT INTO password_history(user_id, hash, changed_at) "
                              "VALUES (?1, ?2, ?3)", p, 3, NULL);
    if (rc == 0)
        rc = ol_db_exec(conn, "DELETE FROM password_history WHERE user_id = ?1 AND id NOT IN "
                              "(SELECT id FROM password_history WHERE user_id = ?1 "
                              "ORDER BY id DESC LIMIT ?2)", trim, 2, NULL);
    /* Whoever held a session with the old password logs in again. */
    if (rc == 0)
        rc = ol_db_exec(conn, "DELETE FROM sessions WHERE user_id = ?1", p, 1, NULL);
    return rc;
}

typedef struct {
    ol_ctx_t *c;
    ol_account_t a;
    char hash[crypto_pwhash_STRBYTES];
    int must_change;
    const char *action;
} store_job_t;

static int load_account(ol_conn_t *conn, void *arg)
{
    store_job_t *j = arg;
    return ol_account_load(conn, j->a.username, &j->a);
}

static int store_job(ol_conn_t *conn, void *arg)
{
    store_job_t *j = arg;
    int rc = ol_password_store(conn, j->a.id, j->hash, j->must_change);
    if (rc == 0)
        rc = ol_audit_write(conn, j->c, j->action, j->a.username, "ok",
                            j->must_change ? "{\"must_change\":true}" : NULL);
    return rc ? ol_ctx_db_fail(j->c, conn, rc) : 0;
}

/* The new password against every S1 rule, history included; then hashed and stored. */
static int set_password(store_job_t *j, const char *pw, const char *field)
{
    ol_ctx_t *c = j->c;
    if (j->a.directory)
        return ol_ctx_fail(c, -OL_ECONFLICT, "'%s' logs in through the directory (LDAP): its "
                           "password is changed there", j->a.username);
    ol_pw_subject_t s = {j->a.username, j->a.display_name, j->a.phone, j->a.privileged};
    if (!ol_password_check(pw, &s, field, c->lang, c->errors)) {
        int rc = reused(c->db, j->a.id, pw);
        if (rc < 0)
            return ol_ctx_fail(c, rc, "the database is unavailable");
        if (rc) {
            char n[16];
            snprintf(n, sizeof n, "%ld", history_size());
            ol_schema_add_error(c->errors, field, "pw_history", c->lang, n);
        }
    }
    if (json_array_size(c->errors))
        return ol_ctx_fail(c, -OL_EINVAL, "the new password does not meet the password policy");
    if (ol_password_hash(pw, j->hash))
        return ol_ctx_fail(c, -OL_EINTERNAL, "out of memory hashing the password");
    int rc = ol_db_write(c->db, store_job, j);
    sodium_memzero(j->hash, sizeof j->hash);
    return rc;
}

int ol_password_reset(ol_ctx_t *c, const char *username, const char *password)
{
    store_job_t *j = calloc(1, sizeof *j);
    if (!j)
        return ol_ctx_fail(c, -OL_EINTERNAL, "out of memory");
    *j = (store_job_t){.c = c, .must_change = 1, .action = "user.password_reset"};
    snprintf(j->a.username, sizeof j->a.username, "%.64s", username);
    int rc = ol_db_read(c->db, load_account, j);
    if (rc)
        rc = ol_ctx_fail(c, rc, "the database is unavailable");
    else if (!j->a.found)
        rc = ol_ctx_fail(c, -OL_ENOTFOUND, "there is no user '%s'", username);
    else
        rc = set_password(j, password, "password");
    if (rc == 0)
        c->status = 204;
    free(j);
    return rc;
}

int ol_password_change(ol_ctx_t *c, const char *username, const char *old_password,
                       const char *new_password)
{
    store_job_t *j = calloc(1, sizeof *j);
    if (!j)
        return ol_ctx_fail(c, -OL_EINTERNAL, "out of memory");
    *j = (store_job_t){.c = c, .action = "user.password_change"};
    snprintf(j->a.username, sizeof j->a.username, "%.64s", username);
    int rc = ol_db_read(c->db, load_account, j);
    if (rc) {
        free(j);
        return ol_ctx_fail(c, rc, "the database is unavailable");
    }
    int ok = ol_password_verify(j->a.found ? j->a.hash : NULL, old_password);
    /* The old password is a login: lockout counts it, and an expired one is why we are here. */
    rc = ol_login_gate(c, username, &j->a, ok, OL_GATE_EXPIRED_OK);
    if (rc == 0) {
        ol_ctx_t as = *c;
        as.user = j->a.username;
        j->c = &as;
        rc = set_password(j, new_password, "new_password");
        snprintf(c->detail, sizeof c->detail, "%s", as.detail);
        c->status = 204;
    }
    free(j);
    return rc;
}
