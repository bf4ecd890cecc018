/* records/audit.c - appending to the hash-chained audit trail (REQUIREMENTS S8). The table
 * refuses UPDATE and DELETE by trigger on both backends; see audit.h for the chain. */
#include "records/audit.h"

#include <stdio.h>

#include "core/err.h"

const char *ol_audit_severity_name(ol_audit_severity_t sev)
{
    return sev == OL_AUDIT_HIGH ? "high" : "info";
}

/* On PostgreSQL the row stays locked until the transaction ends, so no
 * other writer (on any node) can take the same seq or chain from the same hash. */
int ol__audit_head(ol_conn_t *conn, long long *seq, char hash[OL_AUDIT_HASH_HEX])
{
    ol_rows_t *r;
    int rc = ol_db_exec(conn,
                        ol_conn_kind(conn) == OL_DB_PG
                            ? "SELECT seq, hash FROM audit_chain_head WHERE id = 1 FOR UPDATE"
                            : "SELECT seq, hash FROM audit_chain_head WHERE id = 1",
                        NULL, 0, &r);
    if (rc)
        return rc;
    const char *h = ol_rows_get(r, 0, 1);
    if (ol_rows_count(r) != 1 || !h || snprintf(hash, OL_AUDIT_HASH_HEX, "%s", h) != 64) {
        snprintf(conn->errmsg, sizeof conn->errmsg,
                 "the audit chain head (table audit_chain_head) is missing or damaged");
        rc = -OL_EDAMAGED;
    }
    *seq = ol_rows_int(r, 0, 0);
    ol_rows_free(r);
    return rc;
}

int ol_audit_write_sev(ol_conn_t *conn, const ol_ctx_t *c, ol_audit_severity_t sev,
                       const char *action, const char *target, const char *result,
                       const char *detail)
{
    long long head;
    char prev[OL_AUDIT_HASH_HEX], hash[OL_AUDIT_HASH_HEX], now[32];
    int rc = ol__audit_head(conn, &head, prev);
    if (rc)
        return rc;
    /* The time is taken under the head lock, so times follow the chain's order. */
    ol_audit_entry_t e = {.seq = head + 1, .at = ol_now_iso(now),
                          .actor = c->user ? c->user : "-", .action = action, .target = target,
                          .ip = c->ip, .result = result, .severity = ol_audit_severity_name(sev),
                          .detail = detail};
    ol_audit_hash(prev, &e, hash);
    ol_val_t p[] = {OL_VINT(e.seq),      OL_VTEXT(e.at),     OL_VTEXT(e.actor),
                    OL_VTEXT(e.action),  OL_VTEXT(e.target), OL_VTEXT(e.ip),
                    OL_VTEXT(e.result),  OL_VTEXT(e.severity), OL_VTEXT(e.detail),
                    OL_VTEXT(prev),      OL_VTEXT(hash)};
    rc = ol_db_exec(conn,
                    "INSERT INTO audit_log(seq, at, actor, action, target, ip, result, severity, "
                    "detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                    p, 11, NULL);
    if (rc == 0) {
        ol_val_t h[] = {OL_VINT(e.seq), OL_VTEXT(hash)};
        rc = ol_db_exec(conn, "UPDATE audit_chain_head SET seq = ?1, hash = ?2 WHERE id = 1", h,
                        2, NULL);
    }
    return rc;
}

int ol_audit_write(ol_conn_t *conn, const ol_ctx_t *c, const char *action, const char *target,
                   const char *result, const char *detail)
{
    return ol_audit_write_sev(conn, c, OL_AUDIT_INFO, action, target, result, detail);
}

typedef struct {
    const ol_ctx_t *c;
    ol_audit_severity_t sev;
    const char *action, *target, *result, *detail;
} audit_job_t;

static int audit_job(ol_conn_t *conn, void *arg)
{
    audit_job_t *j = arg;
    return ol_audit_write_sev(conn, j->c, j->sev, j->action, j->target, j->result, j->detail);
}

int ol_audit_write_now_sev(ol_db_t *db, const ol_ctx_t *c, ol_audit_severity_t sev,
                           const char *action, const char *target, const char *result,
                           const char *detail)
{
    audit_job_t j = {c, sev, action, target, result, detail};
    return ol_db_write(db, audit_job, &j);
}

int ol_audit_write_now(ol_db_t *db, const ol_ctx_t *c, const char *action, const char *target,
                       const char *result, const char *detail)
{
    return ol_audit_write_now_sev(db, c, OL_AUDIT_INFO, action, target, result, detail);
}
