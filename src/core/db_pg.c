/* core/db_pg.c - the PostgreSQL backend (libpq): a pool of connections shared by reads and writes.
 *
 * Reads borrow a pooled connection in autocommit mode. Writes run in the calling thread: borrow a
 * connection, BEGIN, callback, COMMIT (or ROLLBACK), then report through done() before returning.
 * There is no group commit and no per-callback SAVEPOINT: a statement that fails inside a write
 * callback aborts the whole transaction, so the callback should return the error it got.
 *
 * THREAD SAFETY: a PGconn is used by one thread at a time. Connections live in a free list
 * guarded by pool_mu; a thread takes one, uses it without the lock, and gives it back. Callbacks
 * must not nest ol_db_read()/ol_db_write() on the same db: every level holds a connection, and a
 * full pool of nested callers would wait for each other. */
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/db.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"

/* A pooled connection. conn comes first so an ol_conn_t* handed to callbacks converts back. */
typedef struct {
    ol_conn_t conn;
    int first_rc;             /* the first error since the connection was borrowed */
    char first_errmsg[512];   /* its message: later statements of an aborted tx only say so */
} pg_conn_t;

typedef struct {
    pthread_mutex_t pool_mu;
    pthread_cond_t pool_cv;
    pg_conn_t *conns;
    int *free_stack; /* indexes of idle connections */
    int nfree, nconns;
    char *safe_url; /* the URL without its password, for messages */
    char *url;      /* the full URL: the lease connection is opened late */
    pg_conn_t lease; /* the leader lease's own session (handle NULL until ol_db_lease) */
    int leading;     /* the lease session holds the advisory lock */
    int lease_down;  /* the last attempt to open the lease session failed (logged once) */
} pg_impl_t;

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- messages ------------------------------------------------------------------------------ */

/* Returns a copy of a postgresql:// URL without the password, both "user:secret@host" and a
 * "password=" query parameter. Caller frees with free(). */
static char *redact_url(const char *url)
{
    ol_buf_t b;
    ol_buf_init(&b);
    const char *p = strstr(url, "://");
    if (!p) {
        ol_buf_puts(&b, "(connection string)");
        return ol_buf_steal(&b);
    }
    p += 3;
    ol_buf_append(&b, url, (size_t)(p - url));
    size_t auth_len = strcspn(p, "/?#");
    const char *at = NULL;
    for (const char *q = p; q < p + auth_len; q++)
        if (*q == '@')
            at = q;
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        ol_buf_append(&b, p, (size_t)((colon ? colon : at) - p));
        p = at;
    }
    const char *query = strchr(p, '?');
    if (!query) {
        ol_buf_puts(&b, p);
        return ol_buf_steal(&b);
    }
    ol_buf_append(&b, p, (size_t)(query - p));
    /* Keep every query parameter except password=. */
    const char *s = query + 1;
    char sep = '?';
    while (*s) {
        size_t len = strcspn(s, "&");
        if (!(len >= 9 && strncmp(s, "password=", 9) == 0)) {
            ol_buf_append(&b, &sep, 1);
            ol_buf_append(&b, s, len);
            sep = '&';
        }
        s += len;
        if (*s == '&')
            s++;
    }
    return ol_buf_steal(&b);
}

/* Copies a libpq message into dst on one line: newlines and tabs become single spaces. */
static void copy_oneline(char *dst, size_t dstlen, const char *src)
{
    size_t n = 0;
    int space = 0;
    if (dstlen == 0)
        return;
    for (; src && *src && n + 1 < dstlen; src++) {
        if (*src == '\n' || *src == '\t' || *src == '\r' || *src == ' ') {
            space = n > 0;
            continue;
        }
        if (space && n + 2 < dstlen)
            dst[n++] = ' ';
        space = 0;
        dst[n++] = *src;
    }
    dst[n] = 0;
}

static void on_notice(void *arg, const char *message)
{
    char line[512];
    (void)arg;
    copy_oneline(line, sizeof line, message);
    ol_log(OL_LOG_WARN, "postgresql: %s", line);
}

/* ---- errors -------------------------------------------------------------------------------- */

static int map_sqlstate(const char *st)
{
    if (!st || strlen(st) != 5)
        return -OL_EINTERNAL;
    if (strncmp(st, "23", 2) == 0)
        return -OL_ECONFLICT; /* integrity constraint violation: unique, foreign key, not null */
    if (strcmp(st, "53100") == 0)
        return -OL_ENOSPACE;
    if (strncmp(st, "08", 2) == 0 || strncmp(st, "57P0", 4) == 0 || strcmp(st, "53300") == 0)
        return -OL_EUNAVAILABLE; /* connection lost, server shutting down, too many clients */
    if (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0)
        return -OL_EUNAVAILABLE; /* serialization failure, deadlock: the client may retry */
    if (strcmp(st, "XX001") == 0 || strcmp(st, "XX002") == 0)
        return -OL_EDAMAGED;
    return -OL_EINTERNAL;
}

/* Records the error of a failed result (res may be NULL) on c and returns the mapped code. The
 * message is the primary text plus the SQLSTATE; DETAIL is left out because it quotes row values. */
static int set_err(pg_conn_t *pc, const PGresult *res)
{
    ol_conn_t *c = &pc->conn;
    PGconn *h = c->handle;
    const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    int rc;
    if (st) {
        rc = map_sqlstate(st);
        snprintf(c->errmsg, sizeof c->errmsg, "%s (SQLSTATE %s)", primary ? primary : "error", st);
    } else {
        /* No SQLSTATE: the error came from libpq itself, usually a lost connection. */
        const char *msg = res ? PQresultErrorMessage(res) : "";
        copy_oneline(c->errmsg, sizeof c->errmsg, msg && *msg ? msg : PQerrorMessage(h));
        if (!c->errmsg[0])
            snprintf(c->errmsg, sizeof c->errmsg, "PostgreSQL error without a message");
        rc = PQstatus(h) == CONNECTION_OK ? -OL_EINTERNAL : -OL_EUNAVAILABLE;
    }
    if (!pc->first_rc) {
        pc->first_rc = rc;
        memcpy(pc->first_errmsg, c->errmsg, sizeof pc->first_errmsg);
    }
    return rc;
}

/* Runs a statement without parameters or results (BEGIN, COMMIT, SET ...). */
static int run_cmd(pg_conn_t *pc, const char *sql)
{
    PGresult *res = PQexec(pc->conn.handle, sql);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    int rc = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY)
        rc = set_err(pc, res);
    PQclear(res);
    return rc;
}

/* ---- connections --------------------------------------------------------------------------- */

/* Session settings, applied after every (re)connect. */
static int setup_session(pg_conn_t *pc)
{
    return run_cmd(pc, "SET client_min_messages=warning");
}

/* Opens one session. app NULL: a pooled connection, named "opsledger" unless the URL names it;
 * otherwise the lease session, named app whatever the URL says, with TCP keepalives so that a
 * silent network failure ends it within about half a minute. */
static int connect_one(ol_db_t *db, const char *url, const char *safe_url, pg_conn_t *pc,
                       char *err, size_t errlen, const char *app)
{
    char timeout[16];
    int secs = (db->opts.busy_timeout_ms + 999) / 1000;
    snprintf(timeout, sizeof timeout, "%d", secs >= 2 ? secs : 2);
    /* Defaults first: values given in the URL override them (expand_dbname); keywords after
     * dbname override the URL. */
    const char *keys[] = {"connect_timeout", "application_name", "dbname", "application_name",
                          "keepalives_idle", "keepalives_interval", "keepalives_count", NULL};
    const char *vals[] = {timeout, "opsledger", url, app, "10", "5", "3", NULL};
    if (!app)
        keys[3] = NULL;
    PGconn *h = PQconnectdbParams(keys, vals, 1);
    if (!h) {
        snprintf(err, errlen, "cannot connect to PostgreSQL at %s: out of memory", safe_url);
        return -OL_EUNAVAILABLE;
    }
    if (PQstatus(h) != CONNECTION_OK) {
        char msg[512];
        copy_oneline(msg, sizeof msg, PQerrorMessage(h));
        snprintf(err, errlen, "cannot connect to PostgreSQL at %s: %s", safe_url, msg);
        PQfinish(h);
        return -OL_EUNAVAILABLE;
    }
    PQsetNoticeProcessor(h, on_notice, NULL);
    *pc = (pg_conn_t){.conn = {.kind = OL_DB_PG, .handle = h}};
    int rc = setup_session(pc);
    if (rc) {
        snprintf(err, errlen, "cannot set up the PostgreSQL session at %s: %s", safe_url,
                 pc->conn.errmsg);
        PQfinish(h);
        pc->conn.handle = NULL;
    }
    return rc;
}

/* Makes sure a connection taken from the pool is usable. An idle connection whose server went
 * away still reports CONNECTION_OK until libpq reads from its socket. When the socket is
 * readable, PQconsumeInput() takes what is there without blocking: first the server's goodbye
 * (FATAL, passed to on_notice), then the end of the stream, which marks the connection bad. So a
 * restarted server or a terminated backend is noticed here instead of failing a query. */
static int ensure_conn(pg_impl_t *s, pg_conn_t *pc)
{
    PGconn *h = pc->conn.handle;
    for (int i = 0; i < 4 && PQstatus(h) == CONNECTION_OK; i++) {
        struct pollfd pfd = {.fd = PQsocket(h), .events = POLLIN};
        if (pfd.fd < 0 || poll(&pfd, 1, 0) <= 0)
            break;
        if (!PQconsumeInput(h))
            break; /* libpq marked the connection bad */
    }
    if (PQstatus(h) == CONNECTION_OK)
        return 0;
    PQreset(h);
    if (PQstatus(h) != CONNECTION_OK) {
        char msg[400];
        copy_oneline(msg, sizeof msg, PQerrorMessage(h));
        snprintf(pc->conn.errmsg, sizeof pc->conn.errmsg,
                 "PostgreSQL at %s is unreachable: %s", s->safe_url, msg);
        return -OL_EUNAVAILABLE;
    }
    ol_log(OL_LOG_INFO, "postgresql: reconnected to %s", s->safe_url);
    return setup_session(pc);
}

static pg_conn_t *pool_get(ol_db_t *db, pg_impl_t *s)
{
    pthread_mutex_lock(&s->pool_mu);
    if (s->nfree == 0) {
        __atomic_add_fetch(&db->queue_depth, 1, __ATOMIC_RELAXED);
        while (s->nfree == 0)
            pthread_cond_wait(&s->pool_cv, &s->pool_mu);
        __atomic_sub_fetch(&db->queue_depth, 1, __ATOMIC_RELAXED);
    }
    int i = s->free_stack[--s->nfree];
    pthread_mutex_unlock(&s->pool_mu);
    pg_conn_t *pc = &s->conns[i];
    pc->conn.errmsg[0] = 0;
    pc->first_rc = 0;
    return pc;
}

static void pool_put(pg_impl_t *s, pg_conn_t *pc)
{
    /* A callback may have left a transaction open; never hand that on to the next user. */
    if (PQstatus(pc->conn.handle) == CONNECTION_OK &&
        PQtransactionStatus(pc->conn.handle) != PQTRANS_IDLE)
        (void)run_cmd(pc, "ROLLBACK"); /* on failure the connection is reset on next use */
    pthread_mutex_lock(&s->pool_mu);
    s->free_stack[s->nfree++] = (int)(pc - s->conns);
    pthread_cond_signal(&s->pool_cv);
    pthread_mutex_unlock(&s->pool_mu);
}

static void free_impl(pg_impl_t *s)
{
    for (int i = 0; i < s->nconns; i++)
        if (s->conns[i].conn.handle)
            PQfinish(s->conns[i].conn.handle);
    free(s->conns);
    free(s->free_stack);
    free(s->safe_url);
    if (s->lease.conn.handle)
        PQfinish(s->lease.conn.handle); /* the server releases the lease at once */
    if (s->url)
        explicit_bzero(s->url, strlen(s->url));
    free(s->url);
    free(s);
}

/* ---- backend ------------------------------------------------------------------------------- */

static int pg_open(ol_db_t *db, const char *url, char *err, size_t errlen)
{
    pg_impl_t *s = ol_xcalloc(1, sizeof(*s));
    s->safe_url = redact_url(url);
    s->url = ol_xstrdup(url);
    int n = db->opts.readers >= 2 ? db->opts.readers : 2;
    s->conns = ol_xcalloc((size_t)n, sizeof(pg_conn_t));
    s->free_stack = ol_xcalloc((size_t)n, sizeof(int));
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        rc = connect_one(db, url, s->safe_url, &s->conns[i], err, errlen, NULL);
        if (rc == 0) {
            s->nconns++;
            s->free_stack[s->nfree++] = i;
        }
    }
    if (rc) {
        free_impl(s);
        return rc;
    }
    pthread_mutex_init(&s->pool_mu, NULL);
    pthread_cond_init(&s->pool_cv, NULL);
    db->impl = s;
    return 0;
}

static void pg_close(ol_db_t *db)
{
    pg_impl_t *s = db->impl;
    pthread_mutex_destroy(&s->pool_mu);
    pthread_cond_destroy(&s->pool_cv);
    free_impl(s);
    db->impl = NULL;
}

static int pg_read(ol_db_t *db, ol_db_fn fn, void *arg)
{
    pg_impl_t *s = db->impl;
    pg_conn_t *pc = pool_get(db, s);
    int rc = ensure_conn(s, pc);
    if (rc == 0)
        rc = fn(&pc->conn, arg);
    pool_put(s, pc);
    return rc;
}

static void pg_write_async(ol_db_t *db, ol_db_fn fn, void *arg, ol_db_done_fn done, void *done_arg)
{
    pg_impl_t *s = db->impl;
    pg_conn_t *pc = pool_get(db, s);
    int rc = ensure_conn(s, pc);
    uint64_t t0 = now_us(); /* like SQLite: BEGIN to COMMIT, without a reconnect */
    if (rc == 0)
        rc = run_cmd(pc, "BEGIN");
    if (rc == 0) {
        rc = fn(&pc->conn, arg);
        if (rc == 0 && PQtransactionStatus(pc->conn.handle) == PQTRANS_INERROR) {
            /* The callback ignored a failed statement: the transaction is aborted and COMMIT
             * would quietly roll it back. Report the error that aborted it. */
            rc = pc->first_rc ? pc->first_rc : -OL_EINTERNAL;
            if (pc->first_rc)
                memcpy(pc->conn.errmsg, pc->first_errmsg, sizeof pc->conn.errmsg);
        }
        if (rc == 0) {
            rc = run_cmd(pc, "COMMIT");
            if (rc)
                ol_log(OL_LOG_ERROR, "postgresql: commit failed: %s", pc->conn.errmsg);
        } else if (PQstatus(pc->conn.handle) == CONNECTION_OK) {
            /* Keep the callback's error message: ROLLBACK's own failure adds nothing. */
            char msg[sizeof pc->conn.errmsg];
            memcpy(msg, pc->conn.errmsg, sizeof msg);
            (void)run_cmd(pc, "ROLLBACK"); /* pool_put() retries; a reset covers the rest */
            memcpy(pc->conn.errmsg, msg, sizeof msg);
        }
    }
    ol__db_record_commit(db, now_us() - t0, 1, rc != 0);
    pool_put(s, pc);
    done(rc, done_arg);
}

/* Rewrites ?N placeholders into $N. Quoted literals, quoted identifiers and comments are copied
 * unchanged. The result has the same length as sql. Caller frees with free(). */
static char *rewrite_placeholders(const char *sql)
{
    char *out = ol_xstrdup(sql);
    for (char *p = out; *p; p++) {
        if (*p == '\'' || *p == '"') {
            char *end = strchr(p + 1, *p); /* a doubled quote is two adjacent quoted runs */
            p = end ? end : p + strlen(p) - 1;
        } else if (p[0] == '-' && p[1] == '-') {
            p += strcspn(p, "\n");
            if (!*p)
                break;
        } else if (p[0] == '/' && p[1] == '*') {
            char *end = strstr(p + 2, "*/");
            p = end ? end + 1 : p + strlen(p) - 1;
        } else if (*p == '?' && p[1] >= '0' && p[1] <= '9') {
            *p = '$';
        }
    }
    return out;
}

static int pg_exec(ol_conn_t *c, const char *sql, const ol_val_t *params, int n, ol_rows_t **rows)
{
    pg_conn_t *pc = (pg_conn_t *)c;
    enum { NUMLEN = 24 };
    char *text = rewrite_placeholders(sql);
    const char **values = NULL;
    char *nums = NULL;
    if (n > 0) {
        values = ol_xcalloc((size_t)n, sizeof(char *));
        nums = ol_xmalloc((size_t)n * NUMLEN);
    }
    for (int i = 0; i < n; i++) {
        switch (params[i].t) {
        case OL_V_NULL:
            values[i] = NULL;
            break;
        case OL_V_INT:
            snprintf(nums + (size_t)i * NUMLEN, NUMLEN, "%lld", params[i].i);
            values[i] = nums + (size_t)i * NUMLEN;
            break;
        case OL_V_TEXT:
            values[i] = params[i].s;
            break;
        }
    }
    PGresult *res = PQexecParams(c->handle, text, n, NULL, values, NULL, NULL, 0);
    free(text);
    free(values);
    free(nums);

    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && st != PGRES_EMPTY_QUERY) {
        int rc = set_err(pc, res);
        PQclear(res);
        return rc;
    }
    if (rows) {
        int ncols = PQnfields(res), nrows = PQntuples(res);
        ol_rows_t *r = ol__rows_new(ncols);
        for (int j = 0; j < ncols; j++)
            ol__rows_set_colname(r, j, PQfname(res, j));
        for (int i = 0; i < nrows; i++) {
            ol__rows_add_row(r);
            for (int j = 0; j < ncols; j++) {
                if (PQgetisnull(res, i, j))
                    continue;
                ol__rows_set(r, j, PQgetvalue(res, i, j), (size_t)PQgetlength(res, i, j));
            }
        }
        *rows = r;
    }
    PQclear(res);
    return 0;
}

static int pg_exec_script(ol_conn_t *c, const char *sql)
{
    return run_cmd((pg_conn_t *)c, sql);
}

static const char *pg_errmsg(ol_conn_t *c)
{
    return c->errmsg;
}

/* PostgreSQL verifies its own pages (data checksums, WAL replay) and has no cheap online
 * equivalent of SQLite's integrity_check, so nothing more is done here than asking the server to
 * answer; full is the same as quick. */
static int pg_integrity(ol_db_t *db, int full, char *err, size_t errlen)
{
    pg_impl_t *s = db->impl;
    pg_conn_t *pc = pool_get(db, s);
    (void)full;
    int rc = ensure_conn(s, pc); /* its message already names the server */
    if (rc == 0) {
        rc = pg_exec(&pc->conn, "SELECT 1", NULL, 0, NULL);
        if (rc)
            snprintf(err, errlen, "PostgreSQL at %s does not answer: %s", s->safe_url,
                     pc->conn.errmsg);
    } else {
        snprintf(err, errlen, "%s", pc->conn.errmsg);
    }
    pool_put(s, pc);
    return rc;
}

/* ---- the leader lease ------------------------------------------------------------------------ */

/* The advisory lock's key, one bigint ("opsleadr"): pg_locks shows it as classid 0x6f70736c,
 * objid 0x65616472, objsubid 1. Advisory locks are per database, so several opsledger databases
 * on one server each have their own leader. */
#define LEASE_HI 0x6f70736cLL
#define LEASE_LO 0x65616472LL

static void lease_drop(pg_impl_t *s)
{
    if (s->lease.conn.handle)
        PQfinish(s->lease.conn.handle);
    s->lease.conn.handle = NULL;
    s->leading = 0;
}

int ol__pg_lease(ol_db_t *db, const char *node)
{
    pg_impl_t *s = db->impl;
    pg_conn_t *pc = &s->lease;
    if (pc->conn.handle && PQstatus(pc->conn.handle) != CONNECTION_OK)
        lease_drop(s);
    if (!pc->conn.handle) {
        char app[64], err[512];
        snprintf(app, sizeof app, "opsledger node %s", node);
        /* The server's side of the keepalives too: a node whose host vanished without closing
         * its socket loses the lease within about 25 s; and no statement waits for long. */
        if (connect_one(db, s->url, s->safe_url, pc, err, sizeof err, app) ||
            run_cmd(pc, "SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; "
                        "SET tcp_keepalives_count = 3; SET statement_timeout = 5000")) {
            if (!s->lease_down)
                ol_log(OL_LOG_WARN, "cluster: cannot open the leader-lease session: %s",
                       pc->conn.handle ? pc->conn.errmsg : err);
            s->lease_down = 1;
            lease_drop(s);
            return -OL_EUNAVAILABLE;
        }
        s->lease_down = 0;
    }
    pc->first_rc = 0;
    ol_rows_t *r = NULL;
    /* Holding it: one round trip proves the session (and so the lock) is still there. */
    ol_val_t p[] = {OL_VINT((LEASE_HI << 32) | LEASE_LO)};
    int rc = s->leading ? pg_exec(&pc->conn, "SELECT true", NULL, 0, &r)
                        : pg_exec(&pc->conn, "SELECT pg_try_advisory_lock(CAST(?1 AS BIGINT))", p,
                                  1, &r);
    if (rc) {
        ol_log(OL_LOG_WARN, "cluster: the leader-lease session failed: %s", pc->conn.errmsg);
        lease_drop(s);
        return -OL_EUNAVAILABLE;
    }
    const char *v = ol_rows_get(r, 0, 0);
    s->leading = v && !strcmp(v, "t");
    ol_rows_free(r);
    return s->leading;
}

int ol__pg_lease_nodes(ol_db_t *db, ol_db_lease_fn fn, void *arg)
{
    pg_impl_t *s = db->impl;
    pg_conn_t *pc = pool_get(db, s);
    int rc = ensure_conn(s, pc);
    ol_rows_t *r = NULL;
    ol_val_t p[] = {OL_VINT(LEASE_HI), OL_VINT(LEASE_LO)};
    if (rc == 0)
        rc = pg_exec(&pc->conn,
                     "SELECT substr(a.application_name, 16), host(a.client_addr), "
                     "to_char(a.backend_start AT TIME ZONE 'UTC', "
                     "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
                     "EXISTS (SELECT 1 FROM pg_locks l WHERE "
                     "l.pid = a.pid AND l.locktype = 'advisory' AND l.granted AND "
                     "CAST(l.classid AS BIGINT) = CAST(?1 AS BIGINT) AND "
                     "CAST(l.objid AS BIGINT) = CAST(?2 AS BIGINT) AND "
                     "l.objsubid = 1) FROM pg_stat_activity a WHERE a.datname = "
                     "current_database() AND a.application_name LIKE 'opsledger node %' "
                     "ORDER BY a.backend_start, a.pid",
                     p, 2, &r);
    for (int i = 0; rc == 0 && i < ol_rows_count(r); i++)
        fn(ol_rows_get(r, i, 0), ol_rows_get(r, i, 1), ol_rows_get(r, i, 2),
           !strcmp(ol_rows_get(r, i, 3), "t"), arg);
    ol_rows_free(r);
    pool_put(s, pc);
    return rc;
}

const ol_db_backend_t ol_db_pg_backend = {
    .open = pg_open,
    .close = pg_close,
    .read = pg_read,
    .write_async = pg_write_async,
    .exec = pg_exec,
    .exec_script = pg_exec_script,
    .errmsg = pg_errmsg,
    .integrity = pg_integrity,
};
