/* auth/tokens.c - API tokens a user holds: listing them (never their secrets) and revoking one
 * (S4: a credential that is no longer needed ends at once, audited). Creation is in auth.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "core/err.h"
#include "records/audit.h"

typedef struct {
    ol_ctx_t *c;
    const char *username;
} list_job_t;

static int list_fn(ol_conn_t *conn, void *arg)
{
    list_job_t *j = arg;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(j->username)};
    int rc = ol_db_exec(conn,
                        "SELECT t.id, t.name, t.created_at, t.expires_at, t.revoked FROM "
                        "api_tokens t JOIN users u ON u.id = t.user_id WHERE u.username = ?1 "
                        "ORDER BY t.id DESC LIMIT 1000",
                        p, 1, &r);
    if (rc)
        return rc;
    json_t *items = json_array();
    for (int i = 0; i < ol_rows_count(r); i++) {
        const char *exp = ol_rows_get(r, i, 3);
        json_array_append_new(items, json_pack("{sIsssssosb}", "id", (json_int_t)ol_rows_int(r, i, 0),
                                               "name", ol_rows_get(r, i, 1), "created_at",
                                               ol_rows_get(r, i, 2), "expires_at",
                                               exp ? json_string(exp) : json_null(), "revoked",
                                               (int)ol_rows_int(r, i, 4)));
    }
    ol_rows_free(r);
    j->c->result = json_pack("{sssO}", "username", j->username, "items", items);
    json_decref(items);
    return 0;
}

int ol_token_list(ol_ctx_t *c, const char *username)
{
    list_job_t j = {c, username};
    int rc = ol_db_read(c->db, list_fn, &j);
    return rc ? ol_ctx_fail(c, rc, "the database is unavailable") : 0;
}

typedef struct {
    ol_ctx_t *c;
    long long id;
    const char *owner; /* NULL: any user's token (administrators) */
    int found;
} revoke_job_t;

static int revoke_fn(ol_conn_t *conn, void *arg)
{
    revoke_job_t *j = arg;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VINT(j->id), OL_VTEXT(j->owner)};
    int rc = ol_db_exec(conn,
                        j->owner
                            ? "UPDATE api_tokens SET revoked = 1 WHERE id = ?1 AND revoked = 0 AND "
                              "user_id = (SELECT id FROM users WHERE username = ?2) "
                              "RETURNING name, (SELECT username FROM users WHERE id = user_id)"
                            : "UPDATE api_tokens SET revoked = 1 WHERE id = ?1 AND revoked = 0 "
                              "RETURNING name, (SELECT username FROM users WHERE id = user_id)",
                        p, j->owner ? 2 : 1, &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    j->found = ol_rows_count(r) > 0;
    if (j->found) {
        json_t *d = json_pack("{sIssss}", "id", (json_int_t)j->id, "name", ol_rows_get(r, 0, 0),
                              "user", ol_rows_get(r, 0, 1));
        char *detail = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(d);
        rc = ol_audit_write(conn, j->c, "token.revoke", ol_rows_get(r, 0, 1), "ok", detail);
        free(detail);
    }
    ol_rows_free(r);
    return rc ? ol_ctx_db_fail(j->c, conn, rc) : 0;
}

int ol_token_revoke(ol_ctx_t *c, long long id, const char *owner)
{
    revoke_job_t j = {c, id, owner, 0};
    int rc = ol_db_write(c->db, revoke_fn, &j);
    if (rc)
        return rc;
    if (!j.found)
        return ol_ctx_fail(c, -OL_ENOTFOUND, "no such active token of yours");
    c->status = 204;
    return 0;
}
