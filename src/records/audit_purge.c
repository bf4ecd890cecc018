/* records/audit_purge.c - the only two ways rows of audit_log change after they are written:
 * the retention purge (removes the oldest entries, leaves a checkpoint) and sealing the entries
 * written before the chain existed (migration 0003). Each puts a marker row in
 * audit_maintenance for the length of its own transaction; the table's triggers refuse a
 * DELETE or UPDATE that no marker covers. */
#include "records/audit.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"

#define SEAL_PAGE 1000
/* Entries removed per transaction: bounds the memory SQLite needs to be able to roll a
 * transaction back (its sub-journal holds every page changed) and the time the single writer is
 * held. Each batch leaves its own checkpoint and audit entry. */
#define PURGE_BATCH 20000

static int marker_set(ol_conn_t *conn, const char *op, long long upto)
{
    ol_val_t p[] = {OL_VTEXT(op), OL_VINT(upto)};
    return ol_db_exec(conn, "INSERT INTO audit_maintenance(op, upto) VALUES (?1, ?2)", p, 2, NULL);
}

static int marker_clear(ol_conn_t *conn)
{
    return ol_db_exec(conn, "DELETE FROM audit_maintenance", NULL, 0, NULL);
}

static int query_int(ol_conn_t *conn, const char *sql, const ol_val_t *p, int n, long long *out,
                     long long if_none)
{
    ol_rows_t *r;
    int rc = ol_db_exec(conn, sql, p, n, &r);
    if (rc == 0)
        *out = ol_rows_get(r, 0, 0) ? ol_rows_int(r, 0, 0) : if_none;
    ol_rows_free(r);
    return rc;
}

/* ---- retention purge ---------------------------------------------------------------------- */

typedef struct {
    ol_ctx_t *c;
    ol_audit_purge_t *out;
    int more; /* older entries remain after this batch */
} purge_job_t;

/* The last seq of this batch: of the prefix of the chain after the checkpoint cp whose entries
 * are all older than before, at most PURGE_BATCH entries; cp when there is none. *more tells
 * whether older entries follow. Walks the seq index from the checkpoint, so the cost is that of
 * the entries to remove. */
static int purge_upto(ol_conn_t *conn, long long cp, long long head, const char *before,
                      long long *upto, int *more)
{
    long long lim = head < cp + PURGE_BATCH ? head : cp + PURGE_BATCH, first_kept, next_old;
    ol_val_t p[] = {OL_VINT(cp), OL_VINT(lim), OL_VTEXT(before)};
    int rc = query_int(conn,
                       "SELECT seq FROM audit_log WHERE seq > ?1 AND seq <= ?2 AND at >= ?3 "
                       "ORDER BY seq LIMIT 1",
                       p, 3, &first_kept, 0);
    *upto = first_kept ? first_kept - 1 : lim;
    *more = 0;
    if (rc == 0 && !first_kept && lim < head) {
        ol_val_t n[] = {OL_VINT(lim + 1), OL_VTEXT(before)};
        rc = query_int(conn, "SELECT seq FROM audit_log WHERE seq = ?1 AND at < ?2", n, 2,
                       &next_old, 0);
        *more = next_old != 0;
    }
    return rc;
}

static int purge_job(ol_conn_t *conn, void *arg)
{
    purge_job_t *j = arg;
    ol_ctx_t *c = j->c;
    ol_audit_purge_t *out = j->out;
    long long head, cp, upto;
    char head_hash[OL_AUDIT_HASH_HEX];
    /* Taking the head first holds every append (on all nodes) until this purge commits. */
    int rc = ol__audit_head(conn, &head, head_hash);
    if (rc == 0)
        rc = query_int(conn, "SELECT seq FROM audit_checkpoints ORDER BY id DESC LIMIT 1", NULL,
                       0, &cp, 0);
    if (rc == 0)
        rc = purge_upto(conn, cp, head, out->before, &upto, &j->more);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    long long purged = 0;

    if (upto > cp) {
        ol_audit_report_t rep;
        rc = ol__audit_verify_conn(conn, upto, &rep);
        if (rc)
            return ol_ctx_db_fail(c, conn, rc);
        if (!rep.ok)
            return ol_ctx_fail(c, -OL_ECONFLICT,
                               "refusing to purge entries that fail verification: %s (export "
                               "the audit log and investigate first)", rep.message);
        ol_val_t p[] = {OL_VINT(upto)};
        ol_rows_t *r;
        rc = ol_db_exec(conn, "SELECT hash FROM audit_log WHERE seq = ?1", p, 1, &r);
        if (rc == 0)
            snprintf(out->hash, sizeof out->hash, "%s", ol_rows_get(r, 0, 0));
        ol_rows_free(r);
        if (rc == 0)
            rc = marker_set(conn, "purge", upto);
        if (rc == 0)
            rc = ol_db_exec(conn, "DELETE FROM audit_log WHERE seq <= ?1", p, 1, NULL);
        if (rc == 0)
            rc = marker_clear(conn);
        purged = upto - cp; /* verified: no gaps */
        out->through_seq = upto;
        char now[32];
        ol_val_t cpv[] = {OL_VINT(upto), OL_VTEXT(out->hash), OL_VTEXT(ol_now_iso(now)),
                          OL_VTEXT(c->user ? c->user : "-"), OL_VINT(purged),
                          OL_VTEXT(out->before)};
        if (rc == 0)
            rc = ol_db_exec(conn,
                            "INSERT INTO audit_checkpoints(seq, hash, at, actor, purged, before) "
                            "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                            cpv, 6, NULL);
    }
    json_t *d = json_pack("{sIsssI}", "purged", (json_int_t)purged, "before", out->before,
                          "through_seq", (json_int_t)(purged ? upto : 0));
    if (purged)
        json_object_set_new(d, "checkpoint_hash", json_string(out->hash));
    char *detail = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(d);
    if (rc == 0)
        rc = ol_audit_write(conn, c, "audit.purge", "audit_log", "ok", detail);
    free(detail);
    if (rc == 0)
        out->purged += purged;
    return rc ? ol_ctx_db_fail(c, conn, rc) : 0;
}

int ol_audit_purge(ol_ctx_t *c, int retention_days, ol_audit_purge_t *out)
{
    memset(out, 0, sizeof *out);
    time_t cutoff = ol_time() - (time_t)retention_days * 86400;
    char iso[32];
    ol_iso_at(cutoff, iso);
    if (ol_audit_time_arg(iso, out->before))
        return ol_ctx_fail(c, -OL_EINVAL, "the retention reaches before the year 1");
    purge_job_t j = {c, out, 0};
    int rc;
    do
        rc = ol_db_write(c->db, purge_job, &j);
    while (rc == 0 && j.more);
    return rc;
}

/* ---- sealing entries from before the chain -------------------------------------------------- */

typedef struct {
    ol_ctx_t *c;
    long long sealed;
} seal_job_t;

static int seal_page(ol_conn_t *conn, long long upto_id, long long *head, char *prev, int *n)
{
    ol_val_t p[] = {OL_VINT(upto_id), OL_VINT(SEAL_PAGE)};
    ol_rows_t *r;
    int rc = ol_db_exec(conn,
                        "SELECT " OL_AUDIT_COLUMNS " FROM audit_log WHERE hash IS NULL AND id <= ?1 "
                        "ORDER BY id LIMIT ?2",
                        p, 2, &r);
    *n = rc ? 0 : ol_rows_count(r);
    for (int i = 0; i < *n && rc == 0; i++) {
        ol_audit_entry_t e;
        char hash[OL_AUDIT_HASH_HEX];
        ol_audit_entry_from_row(r, i, &e);
        e.seq = ++*head;
        ol_audit_hash(prev, &e, hash);
        ol_val_t u[] = {OL_VINT(e.seq), OL_VTEXT(prev), OL_VTEXT(hash),
                        OL_VINT(ol_rows_int(r, i, 11))};
        rc = ol_db_exec(conn, "UPDATE audit_log SET seq = ?1, prev_hash = ?2, hash = ?3 WHERE id = ?4",
                        u, 4, NULL);
        memcpy(prev, hash, OL_AUDIT_HASH_HEX);
    }
    ol_rows_free(r);
    return rc;
}

static int seal_job(ol_conn_t *conn, void *arg)
{
    seal_job_t *j = arg;
    long long upto_id, head, first;
    char prev[OL_AUDIT_HASH_HEX];
    int rc = query_int(conn, "SELECT value FROM ol_meta WHERE key = 'audit_unsealed_upto'", NULL,
                       0, &upto_id, 0);
    ol_val_t p[] = {OL_VINT(upto_id)};
    if (rc == 0)
        rc = query_int(conn, "SELECT MIN(id) FROM audit_log WHERE hash IS NULL AND id <= ?1", p,
                       1, &first, 0);
    if (rc || !first)
        return rc;
    rc = ol__audit_head(conn, &head, prev);
    if (rc == 0)
        rc = marker_set(conn, "seal", 0);
    for (int n = SEAL_PAGE; rc == 0 && n == SEAL_PAGE; j->sealed += n)
        rc = seal_page(conn, upto_id, &head, prev, &n);
    if (rc == 0)
        rc = marker_clear(conn);
    if (rc == 0) {
        ol_val_t h[] = {OL_VINT(head), OL_VTEXT(prev)};
        rc = ol_db_exec(conn, "UPDATE audit_chain_head SET seq = ?1, hash = ?2 WHERE id = 1", h, 2,
                        NULL);
    }
    char detail[64];
    snprintf(detail, sizeof detail, "{\"sealed\":%lld}", j->sealed);
    if (rc == 0)
        rc = ol_audit_write(conn, j->c, "audit.seal", "audit_log", "ok", detail);
    return rc ? ol_ctx_db_fail(j->c, conn, rc) : 0;
}

int ol_audit_seal(ol_ctx_t *c, long long *sealed)
{
    seal_job_t j = {c, 0};
    int rc = ol_db_write(c->db, seal_job, &j);
    *sealed = rc ? 0 : j.sealed;
    return rc;
}
