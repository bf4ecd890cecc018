/* records/audit_chain.c - the canonical form and hash of an audit entry, and its row and JSON
 * forms. The canonical form is part of the stored data's meaning: changing it makes every
 * existing chain fail verification, so it carries a version tag. */
#include "records/audit.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define CANON_TAG "opsledger-audit-v1\n"

static void canon_field(ol_buf_t *b, const char *v)
{
    if (!v) {
        ol_buf_puts(b, "-\n");
        return;
    }
    ol_buf_printf(b, "%zu:", strlen(v));
    ol_buf_puts(b, v);
    ol_buf_puts(b, "\n");
}

void ol_audit_canonical(const ol_audit_entry_t *e, ol_buf_t *b)
{
    char seq[24];
    snprintf(seq, sizeof seq, "%lld", e->seq);
    ol_buf_puts(b, CANON_TAG);
    const char *fields[] = {seq,       e->at,     e->actor,    e->action, e->target,
                            e->ip,     e->result, e->severity, e->detail};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        canon_field(b, fields[i]);
}

void ol_audit_hash(const char *prev_hash, const ol_audit_entry_t *e, char out[OL_AUDIT_HASH_HEX])
{
    ol_buf_t b;
    ol_buf_init(&b);
    ol_buf_puts(&b, prev_hash ? prev_hash : "");
    ol_audit_canonical(e, &b);
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, (const unsigned char *)b.p, b.len);
    sodium_bin2hex(out, OL_AUDIT_HASH_HEX, d, sizeof d);
    ol_buf_clear(&b);
}

void ol_audit_entry_from_row(const ol_rows_t *r, int i, ol_audit_entry_t *e)
{
    *e = (ol_audit_entry_t){
        .seq = ol_rows_int(r, i, 0),       .at = ol_rows_get(r, i, 1),
        .actor = ol_rows_get(r, i, 2),     .action = ol_rows_get(r, i, 3),
        .target = ol_rows_get(r, i, 4),    .ip = ol_rows_get(r, i, 5),
        .result = ol_rows_get(r, i, 6),    .severity = ol_rows_get(r, i, 7),
        .detail = ol_rows_get(r, i, 8),    .prev_hash = ol_rows_get(r, i, 9),
        .hash = ol_rows_get(r, i, 10),
    };
}

/* Values come from the database, which may have been tampered with: text that is not UTF-8
 * is shown as null rather than failing the whole answer. */
static json_t *str_or_null(const char *s)
{
    json_t *v = s ? json_string(s) : NULL;
    return v ? v : json_null();
}

json_t *ol_audit_entry_json(const ol_audit_entry_t *e)
{
    json_t *detail = e->detail ? json_loads(e->detail, JSON_DECODE_ANY, NULL) : json_null();
    if (!detail)
        detail = str_or_null(e->detail); /* not JSON: kept as text */
    return json_pack("{sIsosososososososososo}", "seq", (json_int_t)e->seq, "at",
                     str_or_null(e->at), "actor", str_or_null(e->actor), "action",
                     str_or_null(e->action), "target", str_or_null(e->target), "ip",
                     str_or_null(e->ip), "result", str_or_null(e->result), "severity",
                     str_or_null(e->severity), "detail", detail, "prev_hash",
                     str_or_null(e->prev_hash), "hash", str_or_null(e->hash));
}
