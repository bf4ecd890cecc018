/* records/audit_verify.c - checks the audit hash chain and names the first entry that was
 * altered, removed or reordered. Reads a page of entries at a time in seq order, so memory does
 * not grow with the log; everything runs in one read snapshot. */
#include "records/audit.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"

#define PAGE 1000
#define LOOKAHEAD 10000 /* entries searched for the other half of a reordering */

#define SELECT_RANGE                                                                          \
    "SELECT " OL_AUDIT_COLUMNS " FROM audit_log WHERE seq > ?1 AND seq <= ?2 ORDER BY seq "  \
    "LIMIT ?3"

int ol__audit_snapshot_begin(ol_conn_t *conn)
{
    return ol_db_exec(conn,
                      ol_conn_kind(conn) == OL_DB_PG
                          ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                          : "BEGIN",
                      NULL, 0, NULL);
}

void ol__audit_snapshot_end(ol_conn_t *conn)
{
    (void)ol_db_exec(conn, "COMMIT", NULL, 0, NULL); /* read-only: nothing to lose */
}

__attribute__((format(printf, 5, 6))) static void bad(ol_audit_report_t *r, long long seq,
                                                      long long id, const char *reason,
                                                      const char *fmt, ...)
{
    va_list ap;
    r->ok = 0;
    r->bad_seq = seq;
    r->bad_id = id;
    r->reason = reason;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
}

static int hash_is(const char *prev, const ol_audit_entry_t *e, const char *want)
{
    char h[OL_AUDIT_HASH_HEX];
    ol_audit_hash(prev, e, h);
    return want && strcmp(h, want) == 0;
}

static int str_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* Entry e at position seq does not match its hash. When the content was moved rather than
 * changed, one of the following entries tells: either e's content verifies in that entry's
 * place (contents swapped), or that entry verifies in e's place (rows renumbered). Returns the
 * seq of that entry and sets *moved_here when the entry that belongs at seq sits there. */
static long long find_reordering(ol_conn_t *conn, const ol_audit_entry_t *e, const char *prev,
                                 long long stop, int *moved_here)
{
    ol_val_t p[] = {OL_VINT(e->seq), OL_VINT(stop), OL_VINT(LOOKAHEAD)};
    ol_rows_t *r;
    long long found = 0;
    if (ol_db_exec(conn, SELECT_RANGE, p, 3, &r))
        return 0; /* only a finer diagnosis is lost; the entry is reported as altered */
    for (int i = 0; i < ol_rows_count(r) && !found; i++) {
        ol_audit_entry_t k, mine = *e, theirs;
        ol_audit_entry_from_row(r, i, &k);
        mine.seq = k.seq;
        theirs = k;
        theirs.seq = e->seq;
        if (hash_is(k.prev_hash, &mine, k.hash)) {
            found = k.seq;
            *moved_here = 0;
        } else if (str_eq(k.prev_hash, prev) && hash_is(prev, &theirs, k.hash)) {
            found = k.seq;
            *moved_here = 1;
        }
    }
    ol_rows_free(r);
    return found;
}

/* Diagnoses entry e, the first that fails, at the expected position. */
static void diagnose(ol_conn_t *conn, const ol_audit_entry_t *e, long long id, const char *prev,
                     long long stop, long long floor, ol_audit_report_t *r)
{
    if (!hash_is(e->prev_hash, e, e->hash)) {
        int moved_here = 0;
        long long other = find_reordering(conn, e, prev, stop, &moved_here);
        if (other && moved_here)
            bad(r, e->seq, id, "reordered",
                "audit entry %lld was reordered (the entry written as %lld now sits at %lld)",
                e->seq, e->seq, other);
        else if (other)
            bad(r, e->seq, id, "reordered",
                "audit entry %lld was reordered (its content belongs to entry %lld)", e->seq,
                other);
        else
            bad(r, e->seq, id, "altered", "audit entry %lld was altered (hash mismatch)", e->seq);
    } else if (e->seq - 1 > floor) {
        /* The entry is intact but links to another hash than its predecessor has now: the
         * predecessor was rewritten together with its hash. */
        bad(r, e->seq - 1, 0, "altered",
            "audit entry %lld was altered (its hash was recomputed, but entry %lld still links "
            "to the original)", e->seq - 1, e->seq);
    } else {
        bad(r, e->seq, id, "removed",
            "audit entry %lld does not continue from the checkpoint at entry %lld: the checkpoint "
            "was altered or entries before %lld were removed", e->seq, floor, e->seq);
    }
}

static int read_start(ol_conn_t *conn, ol_audit_report_t *r, char prev[OL_AUDIT_HASH_HEX])
{
    ol_rows_t *h;
    int rc = ol_db_exec(conn, "SELECT seq, hash FROM audit_chain_head WHERE id = 1", NULL, 0, &h);
    if (rc)
        return rc;
    r->head_seq = ol_rows_int(h, 0, 0);
    snprintf(r->head_hash, sizeof r->head_hash, "%s", ol_rows_get(h, 0, 1) ? ol_rows_get(h, 0, 1) : "");
    ol_rows_free(h);
    rc = ol_db_exec(conn, "SELECT seq, hash FROM audit_checkpoints ORDER BY id DESC LIMIT 1", NULL,
                    0, &h);
    if (rc)
        return rc;
    r->checkpoint_seq = ol_rows_count(h) ? ol_rows_int(h, 0, 0) : 0;
    snprintf(prev, OL_AUDIT_HASH_HEX, "%s",
             ol_rows_count(h) && ol_rows_get(h, 0, 1) ? ol_rows_get(h, 0, 1) : OL_AUDIT_GENESIS);
    ol_rows_free(h);
    return 0;
}

/* Entries a checkpoint says were purged must be gone; one that is still there means the
 * checkpoint was forged to hide what precedes it. */
static int check_below_checkpoint(ol_conn_t *conn, ol_audit_report_t *r)
{
    if (!r->checkpoint_seq)
        return 0;
    ol_val_t p[] = {OL_VINT(r->checkpoint_seq)};
    ol_rows_t *x;
    int rc = ol_db_exec(conn, "SELECT seq, id FROM audit_log WHERE seq <= ?1 ORDER BY seq LIMIT 1",
                        p, 1, &x);
    if (rc == 0 && ol_rows_count(x))
        bad(r, ol_rows_int(x, 0, 0), ol_rows_int(x, 0, 1), "checkpoint",
            "audit entry %lld is still present although the last checkpoint says entries up to "
            "%lld were purged (the checkpoint was forged or altered)", ol_rows_int(x, 0, 0),
            r->checkpoint_seq);
    ol_rows_free(x);
    return rc;
}

/* Entries the chain does not hold: past the head (in this snapshot every append also moved the
 * head) or without a hash. */
static int check_outside(ol_conn_t *conn, ol_audit_report_t *r)
{
    ol_rows_t *x;
    ol_val_t p[] = {OL_VINT(r->head_seq)};
    int rc = ol_db_exec(conn, "SELECT seq, id FROM audit_log WHERE seq > ?1 ORDER BY seq LIMIT 1",
                        p, 1, &x);
    if (rc == 0 && ol_rows_count(x))
        bad(r, ol_rows_int(x, 0, 0), ol_rows_int(x, 0, 1), "inserted",
            "audit entry %lld lies beyond the chain head (entry %lld): it was added outside "
            "opsledger", ol_rows_int(x, 0, 0), r->head_seq);
    ol_rows_free(x);
    if (rc || !r->ok)
        return rc;
    rc = ol_db_exec(conn, "SELECT id FROM audit_log WHERE hash IS NULL ORDER BY id LIMIT 1",
                    NULL, 0, &x);
    if (rc == 0 && ol_rows_count(x))
        bad(r, 0, ol_rows_int(x, 0, 0), "unsealed",
            "an audit entry (id %lld) has no hash: it was written outside opsledger, or "
            "'opsledger migrate' did not finish sealing the entries written before the chain",
            ol_rows_int(x, 0, 0));
    ol_rows_free(x);
    return rc;
}

int ol__audit_verify_conn(ol_conn_t *conn, long long upto_seq, ol_audit_report_t *r)
{
    char prev[OL_AUDIT_HASH_HEX];
    memset(r, 0, sizeof *r);
    r->ok = 1;
    int rc = read_start(conn, r, prev);
    if (rc == 0)
        rc = check_below_checkpoint(conn, r);
    if (rc || !r->ok)
        return rc;
    long long stop = upto_seq ? upto_seq : r->head_seq;
    long long expected = r->checkpoint_seq + 1;
    r->first_seq = expected;
    for (;;) {
        ol_val_t p[] = {OL_VINT(expected - 1), OL_VINT(stop), OL_VINT(PAGE)};
        ol_rows_t *page;
        rc = ol_db_exec(conn, SELECT_RANGE, p, 3, &page);
        if (rc)
            return rc;
        int n = ol_rows_count(page);
        for (int i = 0; i < n && r->ok; i++) {
            ol_audit_entry_t e;
            ol_audit_entry_from_row(page, i, &e);
            if (e.seq != expected) {
                bad(r, expected, 0, "removed",
                    "audit entry %lld was removed (the chain jumps from entry %lld to %lld)",
                    expected, expected - 1, e.seq);
            } else if (!str_eq(e.prev_hash, prev) || !hash_is(e.prev_hash, &e, e.hash)) {
                diagnose(conn, &e, ol_rows_int(page, i, 11), prev, stop, r->checkpoint_seq, r);
            } else {
                snprintf(prev, sizeof prev, "%s", e.hash);
                expected++;
                r->entries++;
            }
        }
        ol_rows_free(page);
        if (!r->ok || n < PAGE)
            break;
    }
    if (r->ok && expected - 1 < stop)
        bad(r, expected, 0, "removed",
            "audit entry %lld was removed (the chain ends at entry %lld, but reaches %lld)",
            expected, expected - 1, stop);
    else if (r->ok && stop == r->head_seq && r->head_seq > r->checkpoint_seq &&
             strcmp(prev, r->head_hash))
        bad(r, stop, 0, "altered",
            "audit entry %lld was altered (its hash differs from the one the chain head "
            "recorded)", stop);
    if (r->ok && !upto_seq)
        rc = check_outside(conn, r);
    return rc;
}

static int verify_fn(ol_conn_t *conn, void *arg)
{
    ol_audit_report_t *r = arg;
    int rc = ol__audit_snapshot_begin(conn);
    if (rc == 0) {
        rc = ol__audit_verify_conn(conn, 0, r);
        ol__audit_snapshot_end(conn);
    }
    return rc;
}

int ol_audit_verify(ol_ctx_t *c, ol_audit_report_t *r)
{
    int rc = ol_db_read(c->db, verify_fn, r);
    if (rc)
        return ol_ctx_fail(c, rc, "cannot read the audit log: %s", ol_strerror(rc));
    if (r->ok)
        snprintf(r->message, sizeof r->message,
                 "audit trail intact: %lld entries (%lld to %lld), head hash %s", r->entries,
                 r->first_seq, r->head_seq, r->head_hash);
    return 0;
}

json_t *ol_audit_report_json(const ol_audit_report_t *r)
{
    json_t *first_bad = json_null();
    if (!r->ok) {
        first_bad = json_pack("{ssss}", "reason", r->reason, "message", r->message);
        json_object_set_new(first_bad, "seq", r->bad_seq ? json_integer(r->bad_seq) : json_null());
        if (r->bad_id)
            json_object_set_new(first_bad, "id", json_integer(r->bad_id));
    }
    json_t *checkpoint = r->checkpoint_seq ? json_pack("{sI}", "seq", (json_int_t)r->checkpoint_seq)
                                           : json_null();
    return json_pack("{sbsIsosssos{sIss}}", "ok", r->ok, "entries", (json_int_t)r->entries,
                     "first_bad", first_bad, "message", r->message, "checkpoint", checkpoint,
                     "head", "seq", (json_int_t)r->head_seq, "hash", r->head_hash);
}
