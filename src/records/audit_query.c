/* records/audit_query.c - reading the audit trail: filtered lists, newest first, with a keyset
 * cursor (constant cost per page), and a streaming walk for exports. */
#include "records/audit.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "records/schema.h"

#define PAGE 1000
#define MAX_VALUE 500

/* The exact-match filters: query argument, column (identifiers only from this table). */
static const struct {
    const char *name, *column;
    size_t offset;
} filters[] = {
    {"actor", "actor", offsetof(ol_audit_query_t, actor)},
    {"action", "action", offsetof(ol_audit_query_t, action)},
    {"target", "target", offsetof(ol_audit_query_t, target)},
    {"result", "result", offsetof(ol_audit_query_t, result)},
    {"severity", "severity", offsetof(ol_audit_query_t, severity)},
};
#define NFILTERS (sizeof filters / sizeof filters[0])

void ol_audit_query_init(ol_audit_query_t *q)
{
    memset(q, 0, sizeof *q);
    q->limit = OL_AUDIT_DEFAULT_LIMIT;
}

static int bad(ol_ctx_t *c, const char *key, const char *why)
{
    ol_schema_add_error(c->errors, key, "bad_filter", c->lang, why);
    return -OL_EINVAL;
}

int ol_audit_time_arg(const char *v, char out[32])
{
    char full[40];
    time_t t;
    /* A date alone means its first second. */
    if (strlen(v) == 10 && snprintf(full, sizeof full, "%sT00:00:00Z", v) > 0)
        v = full;
    if (strlen(v) > 35 || ol_iso_parse(v, &t))
        return -1;
    /* Stored times carry milliseconds ("...:00.123Z"); so must the bound, or text comparison
     * would put "...:00Z" after "...:00.123Z". */
    char ms[4] = "000";
    const char *dot = strchr(v, '.');
    for (int i = 0; dot && i < 3 && dot[1 + i] >= '0' && dot[1 + i] <= '9'; i++)
        ms[i] = dot[1 + i];
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    if (n == 0 || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 1)
        return -1;
    snprintf(out + n, 32 - n, ".%sZ", ms);
    return 0;
}

/* Cursor: base64url of "audit:<seq>", the last seq of the page shown. */
static char *cursor_make(long long seq)
{
    char raw[40];
    int len = snprintf(raw, sizeof raw, "audit:%lld", seq);
    size_t outlen = sodium_base64_ENCODED_LEN((size_t)len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = ol_xmalloc(outlen);
    sodium_bin2base64(out, outlen, (const unsigned char *)raw, (size_t)len,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

static int cursor_parse(const char *v, long long *seq)
{
    char raw[40];
    size_t len;
    char *end;
    if (strlen(v) > 48 || sodium_base642bin((unsigned char *)raw, sizeof raw - 1, v, strlen(v),
                                            NULL, &len, NULL,
                                            sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return -1;
    raw[len] = 0;
    if (strncmp(raw, "audit:", 6) || !raw[6])
        return -1;
    *seq = strtoll(raw + 6, &end, 10);
    return *end || *seq < 1 ? -1 : 0;
}

int ol_audit_query_add(ol_ctx_t *c, ol_audit_query_t *q, const char *key, const char *value)
{
    if (!ol_utf8_valid(key))
        return bad(c, "", "parameter names must be UTF-8");
    if (!ol_utf8_valid(value))
        return bad(c, key, "values must be UTF-8");
    if (strlen(value) > MAX_VALUE)
        return bad(c, key, "value is longer than 500 bytes");
    for (size_t i = 0; i < NFILTERS; i++) {
        if (strcmp(key, filters[i].name))
            continue;
        if (!strcmp(key, "severity") && strcmp(value, "info") && strcmp(value, "high"))
            return bad(c, key, "severity is info or high");
        *(const char **)((char *)q + filters[i].offset) = value;
        return 0;
    }
    if (!strcmp(key, "since") || !strcmp(key, "until")) {
        if (ol_audit_time_arg(value, !strcmp(key, "since") ? q->since : q->until))
            return bad(c, key, "value must be a UTC time like 2026-11-22T10:00:00Z or a date "
                               "like 2026-11-22");
        return 0;
    }
    if (!strcmp(key, "limit")) {
        char *end;
        long n = strtol(value, &end, 10);
        if (!*value || *end || n < 1 || n > OL_AUDIT_MAX_LIMIT)
            return bad(c, key, "limit must be between 1 and 200");
        q->limit = (int)n;
        return 0;
    }
    if (!strcmp(key, "cursor")) {
        if (cursor_parse(value, &q->before_seq))
            return bad(c, key, "the cursor is not one this server gave out");
        return 0;
    }
    return bad(c, key, "unknown parameter: use actor, action, target, result, severity, since, "
                       "until, limit or cursor");
}

typedef struct {
    ol_ctx_t *c;
    const ol_audit_query_t *q;
} list_t;

static int list_fn(ol_conn_t *conn, void *arg)
{
    list_t *l = arg;
    const ol_audit_query_t *q = l->q;
    ol_val_t p[NFILTERS + 4];
    int n = 0;
    ol_buf_t sql;
    ol_buf_init(&sql);
    ol_buf_puts(&sql, "SELECT " OL_AUDIT_COLUMNS " FROM audit_log WHERE seq IS NOT NULL");
    for (size_t i = 0; i < NFILTERS; i++) {
        const char *v = *(const char *const *)((const char *)q + filters[i].offset);
        if (!v)
            continue;
        p[n++] = OL_VTEXT(v);
        ol_buf_printf(&sql, " AND %s = ?%d", filters[i].column, n);
    }
    if (q->since[0]) {
        p[n++] = OL_VTEXT(q->since);
        ol_buf_printf(&sql, " AND at >= ?%d", n);
    }
    if (q->until[0]) {
        p[n++] = OL_VTEXT(q->until);
        ol_buf_printf(&sql, " AND at < ?%d", n);
    }
    if (q->before_seq) {
        p[n++] = OL_VINT(q->before_seq);
        ol_buf_printf(&sql, " AND seq < ?%d", n);
    }
    p[n++] = OL_VINT(q->limit + 1);
    ol_buf_printf(&sql, " ORDER BY seq DESC LIMIT ?%d", n);

    ol_rows_t *r;
    int rc = ol_db_exec(conn, sql.p, p, n, &r);
    ol_buf_clear(&sql);
    if (rc)
        return ol_ctx_db_fail(l->c, conn, rc);
    json_t *items = json_array();
    int count = ol_rows_count(r), shown = count > q->limit ? q->limit : count;
    ol_audit_entry_t e = {0};
    for (int i = 0; i < shown; i++) {
        ol_audit_entry_from_row(r, i, &e);
        json_array_append_new(items, ol_audit_entry_json(&e));
    }
    json_t *next = json_null();
    if (count > q->limit) {
        char *cur = cursor_make(e.seq);
        next = json_string(cur);
        free(cur);
    }
    ol_rows_free(r);
    l->c->result = json_pack("{soso}", "items", items, "next_cursor", next);
    return 0;
}

int ol_audit_list(ol_ctx_t *c, const ol_audit_query_t *q)
{
    list_t l = {c, q};
    return ol_db_read(c->db, list_fn, &l);
}

/* ---- streaming walk ----------------------------------------------------------------------- */

typedef struct {
    ol_ctx_t *c;
    const char *since;
    ol_audit_each_fn fn;
    void *arg;
    long long count;
    int stopped;
} each_t;

/* The first seq at or after since: times follow the chain's order (they are taken under the
 * head lock), so the walk can start there and go by seq, the primary order. */
static int first_seq_since(ol_conn_t *conn, const char *since, long long *seq)
{
    ol_val_t p[] = {OL_VTEXT(since)};
    ol_rows_t *r;
    int rc = ol_db_exec(conn, "SELECT MIN(seq) FROM audit_log WHERE at >= ?1", p, 1, &r);
    if (rc == 0)
        *seq = ol_rows_get(r, 0, 0) ? ol_rows_int(r, 0, 0) : -1;
    ol_rows_free(r);
    return rc;
}

static int each_fn(ol_conn_t *conn, void *arg)
{
    each_t *w = arg;
    long long after = 0;
    int rc = ol__audit_snapshot_begin(conn);
    if (rc)
        return ol_ctx_db_fail(w->c, conn, rc);
    if (w->since && *w->since) {
        rc = first_seq_since(conn, w->since, &after);
        after = after > 0 ? after - 1 : after;
    }
    while (rc == 0 && after >= 0 && !w->stopped) {
        ol_val_t p[] = {OL_VINT(after), OL_VINT(PAGE)};
        ol_rows_t *r;
        rc = ol_db_exec(conn,
                        "SELECT " OL_AUDIT_COLUMNS " FROM audit_log WHERE seq > ?1 ORDER BY seq "
                        "LIMIT ?2",
                        p, 2, &r);
        if (rc)
            break;
        int n = ol_rows_count(r);
        for (int i = 0; i < n && !w->stopped; i++) {
            ol_audit_entry_t e;
            ol_audit_entry_from_row(r, i, &e);
            after = e.seq;
            if (w->since && *w->since && (!e.at || strcmp(e.at, w->since) < 0))
                continue;
            w->count++;
            w->stopped = w->fn(&e, w->arg);
        }
        ol_rows_free(r);
        if (n < PAGE)
            break;
    }
    if (rc)
        rc = ol_ctx_db_fail(w->c, conn, rc);
    ol__audit_snapshot_end(conn);
    return rc;
}

int ol_audit_each(ol_ctx_t *c, const char *since, ol_audit_each_fn fn, void *arg,
                  long long *count)
{
    each_t w = {c, since, fn, arg, 0, 0};
    int rc = ol_db_read(c->db, each_fn, &w);
    if (count)
        *count = w.count;
    return rc;
}
