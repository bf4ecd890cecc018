/* records/outbox_worker.c - P7 delivery: claim due notices, send each through its channel, record
 * the outcome. The claim is one write that marks the notices 'sending' and moves their
 * next_attempt_at to the end of a lease: on PostgreSQL the rows are picked FOR UPDATE SKIP
 * LOCKED, so nodes claiming at once never take the same notice; on SQLite the single writer
 * serialises claims. No transaction is held while sending. A node that dies mid-send leaves
 * the lease to run out, after which the notice is due again (at-least-once delivery). */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/json.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/notify_format.h"
#include "core/notify_send.h"
#include "records/audit.h"
#include "records/outbox.h"

#define IDLE_MS 1000     /* wait between rounds that found nothing due */
#define GAUGE_EVERY_S 5  /* seconds between counts of pending and dead notices */

static const char *const worker_roles[] = {NULL};

typedef struct {
    long long id, attempts;
    char *channel, *event, *record, *key, *subject_en, *body_en, *subject_zh, *body_zh;
} claimed_t;

typedef struct {
    claimed_t *n;
    int count;
    time_t lease_end;
} batch_t;

static const char claim_sql[] =
    "UPDATE outbox SET state = 'sending', attempts = attempts + 1, next_attempt_at = ?2 "
    "WHERE id IN (SELECT id FROM outbox WHERE state IN ('pending', 'sending') "
    "AND next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT ?3%s) "
    "RETURNING id, attempts, channel, event, record, dedupe_key, subject_en, body_en, "
    "subject_zh, body_zh";

static char *dup_or_null(const char *s)
{
    return s ? ol_xstrdup(s) : NULL;
}

static int claim_fn(ol_conn_t *conn, void *arg)
{
    batch_t *b = arg;
    char sql[sizeof claim_sql + 32];
    /* Only PostgreSQL has several writers; the format string is one of two constants. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(sql, sizeof sql, claim_sql,
             ol_conn_kind(conn) == OL_DB_PG ? " FOR UPDATE SKIP LOCKED" : "");
#pragma GCC diagnostic pop
    time_t now = ol_time();
    b->lease_end = now + ol_config_int(ol_config()->outbox_lease_seconds);
    ol_val_t p[] = {OL_VINT(now), OL_VINT(b->lease_end),
                    OL_VINT(ol_config_int(ol_config()->outbox_batch))};
    ol_rows_t *r;
    int rc = ol_db_exec(conn, sql, p, 3, &r);
    if (rc)
        return rc;
    b->count = ol_rows_count(r);
    b->n = b->count ? ol_xcalloc((size_t)b->count, sizeof *b->n) : NULL;
    for (int i = 0; i < b->count; i++) {
        claimed_t *n = &b->n[i];
        n->id = ol_rows_int(r, i, 0);
        n->attempts = ol_rows_int(r, i, 1);
        n->channel = ol_xstrdup(ol_rows_get(r, i, 2));
        n->event = ol_xstrdup(ol_rows_get(r, i, 3));
        n->record = dup_or_null(ol_rows_get(r, i, 4));
        n->key = ol_xstrdup(ol_rows_get(r, i, 5));
        n->subject_en = ol_xstrdup(ol_rows_get(r, i, 6));
        n->body_en = ol_xstrdup(ol_rows_get(r, i, 7));
        n->subject_zh = ol_xstrdup(ol_rows_get(r, i, 8));
        n->body_zh = ol_xstrdup(ol_rows_get(r, i, 9));
    }
    ol_rows_free(r);
    return 0;
}

static void claimed_free(claimed_t *n)
{
    free(n->channel), free(n->event), free(n->record), free(n->key);
    free(n->subject_en), free(n->body_en), free(n->subject_zh), free(n->body_zh);
}

/* ---- sending -------------------------------------------------------------------------------- */

static int deliver(ol_db_t *db, const claimed_t *n, volatile int *stop, char *err, size_t len)
{
    ol_channel_t ch;
    int rc = ol_channel_load(db, n->channel, &ch, err, len);
    if (rc) {
        if (!err[0])
            snprintf(err, len, "cannot read the channel: %s", ol_strerror(rc));
        ol_channel_clear(&ch);
        return -1;
    }
    if (!ch.found || ch.disabled) {
        snprintf(err, len, "the channel '%s' %s", n->channel,
                 ch.found ? "is disabled" : "does not exist");
        ol_channel_clear(&ch);
        return -1;
    }
    int zh = !strcmp(ch.lang, "zh-CN");
    ol_notice_msg_t m = {.id = n->id, .key = n->key, .channel = n->channel, .event = n->event,
                         .record = n->record, .lang = ch.lang,
                         .subject = zh ? n->subject_zh : n->subject_en,
                         .body = zh ? n->body_zh : n->body_en};
    ol_send_limits_t lim = {ol_config_int(ol_config()->outbox_connect_timeout),
                            ol_config_int(ol_config()->outbox_timeout), stop};
    if (!strcmp(ch.kind, "webhook")) {
        struct timespec ts;
        ol_clock(&ts);
        char *body = NULL, *url = NULL;
        rc = ol_notify_webhook(ch.format, ch.url, ch.secret, &m,
                               (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, &body, &url);
        if (rc)
            snprintf(err, len, "unknown webhook format '%s'", ch.format);
        else
            rc = ol_notify_post(url, body, n->id, &lim, err, len);
        free(body);
        free(url);
    } else {
        ol_buf_t msg;
        ol_buf_init(&msg);
        ol_notify_email(&m, ch.from, ch.to, ol_time(), &msg);
        ol_smtp_t s = {ch.url, ch.starttls, ch.smtp_user, ch.secret, ch.from, ch.to};
        rc = ol_notify_smtp(&s, msg.p, &lim, err, len);
        ol_buf_clear(&msg);
    }
    ol_channel_clear(&ch);
    return rc;
}

/* ---- recording the outcome ------------------------------------------------------------------ */

typedef struct {
    const claimed_t *n;
    int ok, release;
    const char *error;
    int dead; /* out */
} outcome_t;

static int outcome_fn(ol_conn_t *conn, void *arg)
{
    outcome_t *o = arg;
    const claimed_t *n = o->n;
    long max = ol_config_int(ol_config()->outbox_max_attempts);
    char now[32];
    ol_now_iso(now);
    ol_rows_t *r;
    int rc;
    o->dead = 0;
    /* Each statement checks that the claim is still ours (same attempt): if our lease ran out
     * and another node claimed the notice, its outcome is the one that counts. */
    if (o->ok) {
        ol_val_t p[] = {OL_VINT(n->id), OL_VINT(n->attempts), OL_VTEXT(now)};
        return ol_db_exec(conn, "UPDATE outbox SET state = 'sent', sent_at = ?3, last_error = NULL "
                                "WHERE id = ?1 AND attempts = ?2 AND state = 'sending'",
                          p, 3, NULL);
    }
    if (o->release) { /* stopping: give the claim back, the attempt did not happen */
        ol_val_t p[] = {OL_VINT(n->id), OL_VINT(n->attempts), OL_VINT(ol_time())};
        return ol_db_exec(conn, "UPDATE outbox SET state = 'pending', attempts = attempts - 1, "
                                "next_attempt_at = ?3 WHERE id = ?1 AND attempts = ?2 "
                                "AND state = 'sending'", p, 3, NULL);
    }
    int dead = n->attempts >= max;
    long delay = ol_notify_backoff((int)n->attempts,
                                   ol_config_int(ol_config()->outbox_backoff_seconds),
                                   ol_config_int(ol_config()->outbox_backoff_max_seconds),
                                   randombytes_uniform(1000000) / 1e6);
    ol_val_t p[] = {OL_VINT(n->id), OL_VINT(n->attempts), OL_VTEXT(dead ? "dead" : "pending"),
                    OL_VINT(ol_time() + delay), OL_VTEXT(o->error)};
    rc = ol_db_exec(conn, "UPDATE outbox SET state = ?3, next_attempt_at = ?4, last_error = ?5 "
                          "WHERE id = ?1 AND attempts = ?2 AND state = 'sending' RETURNING id",
                    p, 5, &r);
    if (rc)
        return rc;
    int ours = ol_rows_count(r) == 1;
    ol_rows_free(r);
    if (!ours || !dead)
        return 0;
    /* A notice nobody will receive is a security-relevant event (an escalation may be lost). */
    ol_ctx_t c;
    ol_ctx_init(&c, NULL, "outbox", worker_roles);
    c.via = "worker";
    c.ip = "local";
    char target[40];
    snprintf(target, sizeof target, "notice:%lld", n->id);
    json_t *d = json_pack("{s:s, s:s, s:s?, s:I, s:s}", "channel", n->channel, "event", n->event,
                          "record", n->record, "attempts", (json_int_t)n->attempts, "error",
                          o->error);
    char *detail = ol_json_dump(d);
    json_decref(d);
    rc = ol_audit_write_sev(conn, &c, OL_AUDIT_HIGH, "outbox.dead", target, "failed", detail);
    free(detail);
    ol_ctx_clear(&c);
    o->dead = rc == 0;
    return rc;
}

static void record_outcome(ol_db_t *db, outcome_t *o)
{
    int rc = ol_db_write(db, outcome_fn, o);
    if (rc) {
        /* The claim stays; its lease runs out and the notice is sent again. */
        ol_log(OL_LOG_WARN, "P7: cannot record the delivery of notice %lld (%s); it will be "
                            "retried when its lease ends", o->n->id, ol_strerror(rc));
        return;
    }
    if (o->release)
        return;
    ol_metrics_outbox(o->ok ? "sent" : o->dead ? "dead" : "failed");
    if (o->dead) {
        ol_log(OL_LOG_WARN, "P7: notice %lld to channel '%s' is dead after %lld attempts: %s",
               o->n->id, o->n->channel, o->n->attempts, o->error);
    }
}

int ol_outbox_run_once(ol_db_t *db, volatile int *stop)
{
    batch_t b = {0};
    int rc = ol_db_write(db, claim_fn, &b);
    if (rc)
        return rc;
    long per_send = ol_config_int(ol_config()->outbox_timeout) +
                    ol_config_int(ol_config()->outbox_connect_timeout);
    for (int i = 0; i < b.count; i++) {
        claimed_t *n = &b.n[i];
        char err[256] = "";
        outcome_t o = {.n = n, .error = err};
        /* A send must not outlive the lease (another node would send it too): what is left of
         * the batch when the lease nears its end, or when stopping, is given back. */
        if ((stop && *stop) || ol_time() + per_send >= b.lease_end) {
            o.release = 1;
        } else {
            o.ok = deliver(db, n, stop, err, sizeof err) == 0;
            o.release = !o.ok && stop && *stop;
        }
        record_outcome(db, &o);
        claimed_free(n);
    }
    free(b.n);
    return b.count;
}

/* ---- the thread ----------------------------------------------------------------------------- */

static pthread_t thread;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static volatile int stopping;
static int running;

static int gauge_fn(ol_conn_t *conn, void *arg)
{
    long long *out = arg;
    ol_rows_t *r;
    int rc = ol_db_exec(conn, "SELECT (SELECT COUNT(*) FROM outbox WHERE state IN ('pending', "
                              "'sending')), (SELECT COUNT(*) FROM outbox WHERE state = 'dead')",
                        NULL, 0, &r);
    if (rc)
        return rc;
    out[0] = ol_rows_int(r, 0, 0);
    out[1] = ol_rows_int(r, 0, 1);
    ol_rows_free(r);
    return 0;
}

static void *worker(void *arg)
{
    ol_db_t *db = arg;
    struct timespec last_gauge = {0};
    while (!stopping) {
        int n = ol_outbox_run_once(db, &stopping);
        if (n < 0)
            ol_log(OL_LOG_WARN, "P7: cannot claim due notices (%s); trying again", ol_strerror(n));
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - last_gauge.tv_sec >= GAUGE_EVERY_S) {
            long long g[2];
            if (ol_db_read(db, gauge_fn, g) == 0)
                ol_metrics_outbox_gauges(g[0], g[1]);
            last_gauge = now;
        }
        if (n > 0)
            continue; /* more may be due */
        pthread_mutex_lock(&mu);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += IDLE_MS / 1000;
        while (!stopping && pthread_cond_timedwait(&cv, &mu, &until) == 0)
            ;
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

int ol_outbox_worker_start(ol_db_t *db)
{
    ol_notify_send_init();
    stopping = 0;
    if (pthread_create(&thread, NULL, worker, db))
        return -OL_EINTERNAL;
    running = 1;
    return 0;
}

void ol_outbox_worker_stop(void)
{
    if (!running)
        return;
    pthread_mutex_lock(&mu);
    stopping = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(thread, NULL);
    running = 0;
}
