/* records/outbox.c - P7: storing notices in the outbox (inside the caller's transaction), and
 * what administrators see and do with them: the list and the retry of a dead notice. */
#include "records/outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "core/log.h"
#include "records/audit.h"

/* ---- enqueue ---------------------------------------------------------------------------- */

static int name_ok(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || strchr("._-", *s)))
            return 0;
    return 1;
}

static int key_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 200)
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
            return 0;
    return 1;
}

/* A subject is one header line: no control characters at all. */
static int subject_ok(const char *s)
{
    if (!s || !*s || strlen(s) > 300 || !ol_utf8_valid(s))
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

static int body_ok(const char *s)
{
    return s && strlen(s) <= 20000 && ol_utf8_valid(s);
}

/* Which part of a notice is wrong, or NULL. */
static const char *notice_problem(const ol_notice_t *n)
{
    if (n->channel && *n->channel && !name_ok(n->channel, 64))
        return "channel";
    if (!name_ok(n->event, 64))
        return "event";
    if (n->record && (strlen(n->record) > 64 || !ol_utf8_valid(n->record)))
        return "record";
    if (!key_ok(n->dedupe_key))
        return "dedupe_key";
    if (!subject_ok(n->subject_en) || (n->subject_zh && !subject_ok(n->subject_zh)))
        return "subject";
    if (!body_ok(n->body_en) || (n->body_zh && !body_ok(n->body_zh)))
        return "body";
    return NULL;
}

int ol_outbox_enqueue_one(ol_conn_t *conn, const ol_ctx_t *c, const ol_notice_t *n,
                          long long *id)
{
    char now[32];
    ol_now_iso(now);
    ol_val_t p[] = {OL_VTEXT(n->channel), OL_VTEXT(n->event), OL_VTEXT(n->record),
                    OL_VTEXT(n->dedupe_key), OL_VTEXT(n->subject_en), OL_VTEXT(n->body_en),
                    OL_VTEXT(n->subject_zh ? n->subject_zh : n->subject_en),
                    OL_VTEXT(n->body_zh ? n->body_zh : n->body_en), OL_VINT(ol_time()),
                    OL_VTEXT(now), OL_VTEXT(c ? c->user : NULL)};
    ol_rows_t *r;
    /* ON CONFLICT DO NOTHING: a repeated key must not abort the caller's transaction. */
    int rc = ol_db_exec(conn, "INSERT INTO outbox(channel, event, record, dedupe_key, subject_en, "
                              "body_en, subject_zh, body_zh, next_attempt_at, created_at, "
                              "created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
                              "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
                        p, 11, &r);
    if (rc)
        return rc;
    int fresh = ol_rows_count(r) == 1;
    long long got = fresh ? ol_rows_int(r, 0, 0) : 0;
    ol_rows_free(r);
    if (!fresh) {
        ol_val_t k[] = {OL_VTEXT(n->dedupe_key)};
        if ((rc = ol_db_exec(conn, "SELECT id FROM outbox WHERE dedupe_key = ?1", k, 1, &r)))
            return rc;
        got = ol_rows_count(r) ? ol_rows_int(r, 0, 0) : 0;
        ol_rows_free(r);
    }
    if (id)
        *id = got;
    return fresh;
}

int ol_outbox_enqueue_id(ol_conn_t *conn, const ol_ctx_t *c, const ol_notice_t *n,
                         long long *id)
{
    const char *bad = notice_problem(n);
    if (bad) {
        ol_log(OL_LOG_ERROR, "P7: a notice with a malformed %s was not enqueued", bad);
        return -OL_EINVAL;
    }
    int fresh = 0;
    if (id)
        *id = 0;
    if (n->channel && *n->channel && (fresh = ol_outbox_enqueue_one(conn, c, n, id)) < 0)
        return fresh;
    int rc = ol_notify_fanout(conn, c, n); /* the teams' rules (records/notify_rules.c) */
    return rc ? rc : fresh;
}

int ol_outbox_enqueue(ol_conn_t *conn, const ol_ctx_t *c, const ol_notice_t *n)
{
    int rc = ol_outbox_enqueue_id(conn, c, n, NULL);
    return rc < 0 ? rc : 0;
}

/* ---- list --------------------------------------------------------------------------------- */

#define NOTICE_COLS "id, channel, event, record, dedupe_key, subject_en, state, attempts, " \
                    "next_attempt_at, last_error, created_at, sent_at, created_by"

static json_t *notice_json(const ol_rows_t *r, int i)
{
    char due[32];
    const char *state = ol_rows_get(r, i, 6);
    int waiting = !strcmp(state, "pending") || !strcmp(state, "sending");
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(ol_rows_int(r, i, 0)));
    static const char *const names[] = {NULL, "channel", "event", "record", "dedupe_key",
                                        "subject", "state"};
    for (int k = 1; k <= 6; k++) {
        const char *v = ol_rows_get(r, i, k);
        json_object_set_new(o, names[k], v ? json_string(v) : json_null());
    }
    json_object_set_new(o, "attempts", json_integer(ol_rows_int(r, i, 7)));
    json_object_set_new(o, "next_attempt_at",
                        waiting ? json_string(ol_iso_at((time_t)ol_rows_int(r, i, 8), due))
                                : json_null());
    static const char *const tail[] = {"last_error", "created_at", "sent_at", "created_by"};
    for (int k = 0; k < 4; k++) {
        const char *v = ol_rows_get(r, i, 9 + k);
        json_object_set_new(o, tail[k], v ? json_string(v) : json_null());
    }
    return o;
}

typedef struct {
    ol_ctx_t *c;
    const char *state, *channel;
    int limit;
    long long before;
    long long id; /* retry */
} list_job_t;

static int list_fn(ol_conn_t *conn, void *arg)
{
    list_job_t *j = arg;
    ol_val_t p[] = {OL_VTEXT(j->state), OL_VTEXT(j->channel), OL_VINT(j->before),
                    OL_VINT(j->limit + 1)};
    ol_rows_t *r;
    int rc = ol_db_exec(conn, "SELECT " NOTICE_COLS " FROM outbox "
                              "WHERE (CAST(?1 AS TEXT) IS NULL OR state = ?1) "
                              "AND (CAST(?2 AS TEXT) IS NULL OR channel = ?2) "
                              "AND (?3 = 0 OR id < ?3) ORDER BY id DESC LIMIT ?4",
                        p, 4, &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    json_t *items = json_array();
    int n = ol_rows_count(r);
    for (int i = 0; i < n && i < j->limit; i++)
        json_array_append_new(items, notice_json(r, i));
    char cursor[32];
    if (n > j->limit)
        snprintf(cursor, sizeof cursor, "%lld", ol_rows_int(r, j->limit - 1, 0));
    ol_rows_free(r);
    j->c->result = json_pack("{s:o, s:o}", "items", items, "next_cursor",
                             n > j->limit ? json_string(cursor) : json_null());
    return 0;
}

int ol_outbox_list(ol_ctx_t *c, const char *state, const char *channel, int limit,
                   long long before_id)
{
    list_job_t j = {c, state, channel, limit > 0 ? limit : OL_OUTBOX_DEFAULT_LIMIT, before_id, 0};
    if (j.limit > OL_OUTBOX_MAX_LIMIT)
        j.limit = OL_OUTBOX_MAX_LIMIT;
    int rc = ol_db_read(c->db, list_fn, &j);
    if (rc)
        return rc;
    c->status = 200;
    return 0;
}

/* ---- retry -------------------------------------------------------------------------------- */

static int retry_fn(ol_conn_t *conn, void *arg)
{
    list_job_t *j = arg;
    ol_val_t p[] = {OL_VINT(j->id), OL_VINT(ol_time())};
    ol_rows_t *r;
    int rc = ol_db_exec(conn, "UPDATE outbox SET state = 'pending', attempts = 0, "
                              "next_attempt_at = ?2 WHERE id = ?1 AND state = 'dead' "
                              "RETURNING " NOTICE_COLS, p, 2, &r);
    if (rc)
        return ol_ctx_db_fail(j->c, conn, rc);
    if (ol_rows_count(r) == 0) {
        ol_rows_free(r);
        if ((rc = ol_db_exec(conn, "SELECT state FROM outbox WHERE id = ?1", p, 1, &r)))
            return ol_ctx_db_fail(j->c, conn, rc);
        int found = ol_rows_count(r) == 1;
        char state[16];
        snprintf(state, sizeof state, "%s", found ? ol_rows_get(r, 0, 0) : "");
        ol_rows_free(r);
        return found ? ol_ctx_fail(j->c, -OL_ECONFLICT, "notice %lld is %s: only a dead notice "
                                   "can be retried", j->id, state)
                     : ol_ctx_fail(j->c, -OL_ENOTFOUND, "there is no notice %lld", j->id);
    }
    json_t *notice = notice_json(r, 0);
    ol_rows_free(r);
    char target[40], *detail = NULL;
    snprintf(target, sizeof target, "notice:%lld", j->id);
    json_t *d = json_pack("{s:O, s:O}", "channel", json_object_get(notice, "channel"), "event",
                          json_object_get(notice, "event"));
    detail = ol_json_dump(d);
    json_decref(d);
    rc = ol_audit_write(conn, j->c, "outbox.retry", target, "ok", detail);
    free(detail);
    if (rc) {
        json_decref(notice);
        return ol_ctx_db_fail(j->c, conn, rc);
    }
    j->c->result = notice;
    return 0;
}

int ol_outbox_retry(ol_ctx_t *c, long long id)
{
    list_job_t j = {.c = c, .id = id};
    int rc = ol_db_write(c->db, retry_fn, &j);
    if (rc) {
        json_decref(c->result); /* a retried-then-failed commit */
        c->result = NULL;
        return rc;
    }
    c->status = 200;
    return 0;
}
