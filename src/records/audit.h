/* records/audit.h - the append-only, hash-chained audit trail (REQUIREMENTS S8): who, when,
 * what, from where, result.
 *
 * Every entry carries seq (1, 2, ... without gaps), prev_hash (the hash of entry seq - 1, or of
 * the last purge checkpoint) and hash = SHA-256(prev_hash || canonical form of the entry), both
 * as 64 lower-case hex digits. Appends read and advance the one-row audit_chain_head inside the
 * caller's transaction: on PostgreSQL the row is locked (SELECT ... FOR UPDATE) so writers on
 * several nodes append one after the other until they commit; on SQLite the single writer thread
 * already serialises them. Write the audit entry last in a transaction: the head stays locked
 * from then until the commit. */
#ifndef OL_AUDIT_H
#define OL_AUDIT_H
#include <stddef.h>

#include "core/db.h"
#include "core/mem.h"
#include "records/ctx.h"

#define OL_AUDIT_HASH_HEX 65 /* 64 hex digits and the NUL */
#define OL_AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

/* info: the default; high: a high-risk security event (e.g. "security.alert" after repeated
 * failed logins) that monitoring and the syslog export single out. */
typedef enum { OL_AUDIT_INFO, OL_AUDIT_HIGH } ol_audit_severity_t;

/* Appends one entry inside the caller's transaction. detail is JSON text or NULL. */
int ol_audit_write(ol_conn_t *conn, const ol_ctx_t *c, const char *action, const char *target,
                   const char *result, const char *detail);
/* Writes one entry in its own transaction (failed logins, refused access). */
int ol_audit_write_now(ol_db_t *db, const ol_ctx_t *c, const char *action, const char *target,
                       const char *result, const char *detail);
/* The same with a severity. */
int ol_audit_write_sev(ol_conn_t *conn, const ol_ctx_t *c, ol_audit_severity_t sev,
                       const char *action, const char *target, const char *result,
                       const char *detail);
int ol_audit_write_now_sev(ol_db_t *db, const ol_ctx_t *c, ol_audit_severity_t sev,
                           const char *action, const char *target, const char *result,
                           const char *detail);
const char *ol_audit_severity_name(ol_audit_severity_t sev);

/* ---- the chain (audit_chain.c) ---------------------------------------------------------- */

/* One entry as stored; strings borrowed (NULL for SQL NULL). */
typedef struct {
    long long seq;
    const char *at, *actor, *action, *target, *ip, *result, *severity, *detail;
    const char *prev_hash, *hash;
} ol_audit_entry_t;

/* Appends the canonical form of e (every content field, not the hashes) to b: a version tag,
 * then per field "-" for NULL or "<byte length>:<bytes>", each followed by a newline. The
 * length prefix makes the form unambiguous whatever the fields contain. */
void ol_audit_canonical(const ol_audit_entry_t *e, ol_buf_t *b);
/* hex SHA-256 of prev_hash followed by the canonical form of e, into out. */
void ol_audit_hash(const char *prev_hash, const ol_audit_entry_t *e, char out[OL_AUDIT_HASH_HEX]);

/* The columns, in this order, that ol_audit_entry_from_row() reads. */
#define OL_AUDIT_COLUMNS                                                                    \
    "seq, at, actor, action, target, ip, result, severity, detail, prev_hash, hash, id"
/* Fills e from row i of a result of OL_AUDIT_COLUMNS (pointers into r). */
void ol_audit_entry_from_row(const ol_rows_t *r, int i, ol_audit_entry_t *e);
/* The entry as a JSON object (detail parsed when it is JSON). */
json_t *ol_audit_entry_json(const ol_audit_entry_t *e);

/* ---- verification (audit_verify.c) ------------------------------------------------------- */

typedef struct {
    int ok;
    long long entries;       /* entries checked */
    long long first_seq;     /* the first entry checked (after the checkpoint) */
    long long head_seq;      /* the chain head: the last entry appended */
    char head_hash[OL_AUDIT_HASH_HEX];
    long long checkpoint_seq; /* 0 when nothing was ever purged */
    /* When !ok: the first bad entry and why. bad_seq is 0 when the entry has no seq (bad_id
     * names it then). reason: "altered", "removed", "reordered", "inserted" (past the head),
     * "unsealed" (no hash) or "checkpoint" (an entry a checkpoint says was purged). */
    long long bad_seq, bad_id;
    const char *reason;
    char message[512];
} ol_audit_report_t;

/* Checks the whole chain from the last checkpoint to the head in one read snapshot, streaming
 * (memory does not grow with the log). Returns 0 when it could be read (r->ok tells the
 * verdict), or a negative OL_E* code with the detail on c. */
int ol_audit_verify(ol_ctx_t *c, ol_audit_report_t *r);
/* The same on a connection inside a transaction (purge checks what it is about to remove):
 * the entries after the last checkpoint up to upto_seq (0: the head, and then also entries
 * outside the chain). */
int ol__audit_verify_conn(ol_conn_t *conn, long long upto_seq, ol_audit_report_t *r);
/* The report as {"ok":..,"entries":..,"first_bad":{seq,reason}|null,...}. */
json_t *ol_audit_report_json(const ol_audit_report_t *r);

/* ---- reading (audit_query.c) -------------------------------------------------------------- */

#define OL_AUDIT_DEFAULT_LIMIT 50
#define OL_AUDIT_MAX_LIMIT 200

typedef struct {
    const char *actor, *action, *target, *result, *severity; /* borrowed; NULL = any */
    char since[32], until[32]; /* normalised "...T10:00:00.000Z", "" = open */
    int limit;
    long long before_seq;      /* keyset cursor: entries with seq below this; 0 = newest */
} ol_audit_query_t;

void ol_audit_query_init(ol_audit_query_t *q);
/* Adds one query-string argument (actor, action, target, result, severity, since, until, limit,
 * cursor). Bad names and values go to c->errors. Returns 0 or -OL_EINVAL. */
int ol_audit_query_add(ol_ctx_t *c, ol_audit_query_t *q, const char *key, const char *value);
/* Normalises an ISO 8601 UTC time into the stored form for range comparisons; 0 or -1. */
int ol_audit_time_arg(const char *v, char out[32]);
/* Newest first; c->result = {"items": [...], "next_cursor": "..." | null}. */
int ol_audit_list(ol_ctx_t *c, const ol_audit_query_t *q);

/* Calls fn for every entry at or after since ("" = all), oldest first, in one read snapshot,
 * a page at a time. Stops when fn returns non-zero (returned). *count receives the entries
 * passed to fn. */
typedef int (*ol_audit_each_fn)(const ol_audit_entry_t *e, void *arg);
int ol_audit_each(ol_ctx_t *c, const char *since, ol_audit_each_fn fn, void *arg,
                  long long *count);

/* ---- export lines (audit_export.c) --------------------------------------------------------- */

/* Appends e as one JSON line (the fields of ol_audit_entry_json) to b. */
void ol_audit_jsonl_line(const ol_audit_entry_t *e, ol_buf_t *b);
/* Appends e as one RFC 5424 line to b:
 *   <PRI>1 TIMESTAMP HOST opsledger - ACTION [opsledger@32473 actor="" target="" ip=""
 *   result="" severity="" seq="" hash=""] DETAIL
 * PRI is facility 13 (log audit) with severity 2 for high entries, 4 when the result is not
 * "ok", 6 otherwise. Parameter values are escaped per §6.3.3. */
void ol_audit_syslog_line(const ol_audit_entry_t *e, const char *host, ol_buf_t *b);

/* ---- maintenance (audit_purge.c) ------------------------------------------------------------ */

typedef struct {
    long long purged;          /* entries removed, over all batches */
    long long through_seq;     /* the last checkpoint: last removed seq (0 when nothing) */
    char hash[OL_AUDIT_HASH_HEX];
    char before[32];           /* entries older than this were due */
} ol_audit_purge_t;

/* Removes the entries older than retention_days (the oldest prefix of the chain), after
 * verifying them, in transactions of at most 20,000 entries: each leaves a checkpoint and an
 * audit.purge entry. Refuses (-OL_ECONFLICT, detail on c) when the entries to remove do not
 * verify; batches already done stay done (they verified). */
int ol_audit_purge(ol_ctx_t *c, int retention_days, ol_audit_purge_t *out);
/* Chains the entries written before migration 0003 (no hash yet), oldest first. Idempotent;
 * *sealed receives how many. */
int ol_audit_seal(ol_ctx_t *c, long long *sealed);

/* Reads the chain head inside a write transaction; on PostgreSQL the row stays locked until the
 * transaction ends, so no other writer (on any node) can take the same seq. */
int ol__audit_head(ol_conn_t *conn, long long *seq, char hash[OL_AUDIT_HASH_HEX]);
/* Runs BEGIN of a consistent read snapshot on a reader connection, and its end. */
int ol__audit_snapshot_begin(ol_conn_t *conn);
void ol__audit_snapshot_end(ol_conn_t *conn);

#endif
