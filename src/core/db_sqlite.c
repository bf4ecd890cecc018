/* core/db_sqlite.c - the embedded SQLite backend: WAL, one group-committing writer thread and a
 * pool of reader connections.
 *
 * THREAD SAFETY: the writer connection is touched only by the writer thread. Reader connections
 * live in a free list guarded by pool_mu; a thread takes one, uses it, returns it. The write
 * queue is guarded by queue_mu (lock order: never hold both). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/db.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"

typedef struct job {
    struct job *next;
    ol_db_fn fn;
    void *arg;
    ol_db_done_fn done;
    void *done_arg;
    int rc;
} job_t;

typedef struct {
    ol_conn_t writer;
    pthread_t writer_thread;
    pthread_mutex_t queue_mu;
    pthread_cond_t queue_cv;
    job_t *head, *tail;
    int stopping;

    pthread_mutex_t pool_mu;
    pthread_cond_t pool_cv;
    ol_conn_t *readers;
    int *reader_free; /* stack of free reader indexes */
    int nfree, nreaders;
} sqlite_impl_t;

static void close_conn(ol_conn_t *c);

/* SQLite databases this process has open (atomic). The log check opens and closes the -shm
 * file, which would drop the POSIX locks of a connection this process already holds on it. */
static int open_dbs;

static int map_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return 0;
    case SQLITE_CONSTRAINT:
        return -OL_ECONFLICT;
    case SQLITE_FULL:
        return -OL_ENOSPACE;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return -OL_EUNAVAILABLE;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return -OL_EDAMAGED;
    default:
        return -OL_EINTERNAL;
    }
}

static void set_err(ol_conn_t *c)
{
    snprintf(c->errmsg, sizeof c->errmsg, "%s", sqlite3_errmsg(c->handle));
}

static int open_conn(const char *path, int readonly, const ol_db_opts_t *o, ol_conn_t *c,
                     char *err, size_t errlen)
{
    sqlite3 *h = NULL;
    int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    int rc = sqlite3_open_v2(path, &h, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot open SQLite database %s: %s", path,
                 h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
        sqlite3_close(h);
        return -OL_EUNAVAILABLE;
    }
    sqlite3_busy_timeout(h, o->busy_timeout_ms);
    sqlite3_extended_result_codes(h, 1);
    char pragmas[320];
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA foreign_keys=ON; PRAGMA synchronous=%s; PRAGMA temp_store=MEMORY;"
             "PRAGMA cache_size=-16000; PRAGMA mmap_size=%lld;",
             o->synchronous_full ? "FULL" : "NORMAL", readonly ? o->mmap_bytes : 0);
    char *msg = NULL;
    if (!readonly) {
        rc = sqlite3_exec(h, "PRAGMA journal_mode=WAL", NULL, NULL, &msg);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(h, pragmas, NULL, NULL, &msg);
    } else {
        rc = sqlite3_exec(h, pragmas, NULL, NULL, &msg);
    }
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot use SQLite database %s: %s%s", path, msg ? msg : "",
                 (rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT
                     ? " (the file is damaged: restore it with 'opsledger restore BACKUP')"
                     : "");
        sqlite3_free(msg);
        sqlite3_close(h);
        return map_rc(rc) ? map_rc(rc) : -OL_EUNAVAILABLE;
    }
    c->kind = OL_DB_SQLITE;
    c->handle = h;
    c->errmsg[0] = 0;
    return 0;
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int run_sql(ol_conn_t *c, const char *sql)
{
    int rc = sqlite3_exec(c->handle, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        set_err(c);
    return map_rc(rc);
}

/* ---- statements deferred to the end of a group commit (ol_db_exec_deferred) ------------- */

#define DEFER_MAX_PARAMS 16

typedef struct {
    char *sql;
    ol_val_t params[DEFER_MAX_PARAMS];
    char *texts[DEFER_MAX_PARAMS]; /* owned copies of the text values */
    int n;
} deferred_stmt_t;

typedef struct {
    deferred_stmt_t *v;
    int n, cap;
} deferred_t;

static int sq_exec(ol_conn_t *c, const char *sql, const ol_val_t *params, int n, ol_rows_t **rows);

int ol__sqlite_defer(ol_conn_t *c, const char *sql, const ol_val_t *params, int nparams)
{
    deferred_t *d = c->deferred;
    if (nparams > DEFER_MAX_PARAMS) { /* a programmer error: callers bind few values */
        snprintf(c->errmsg, sizeof c->errmsg, "too many parameters for a deferred statement");
        return -OL_EINTERNAL;
    }
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 64;
        d->v = ol_xrealloc(d->v, (size_t)d->cap * sizeof(*d->v));
    }
    deferred_stmt_t *st = &d->v[d->n++];
    memset(st, 0, sizeof(*st));
    st->sql = ol_xstrdup(sql);
    st->n = nparams;
    for (int i = 0; i < nparams; i++) {
        st->params[i] = params[i];
        if (params[i].t == OL_V_TEXT)
            st->params[i].s = st->texts[i] = ol_xstrdup(params[i].s);
    }
    return 0;
}

/* Drops the deferred statements from index keep on. */
static void deferred_truncate(deferred_t *d, int keep)
{
    for (int i = keep; i < d->n; i++) {
        free(d->v[i].sql);
        for (int k = 0; k < d->v[i].n; k++)
            free(d->v[i].texts[k]);
    }
    d->n = keep;
}

static int deferred_run(ol_conn_t *c, const deferred_t *d)
{
    int rc = 0;
    for (int i = 0; i < d->n && rc == 0; i++)
        rc = sq_exec(c, d->v[i].sql, d->v[i].params, d->v[i].n, NULL);
    return rc;
}

/* Runs one batch of queued jobs in a single transaction, each inside its own savepoint, then the
 * statements they deferred, and reports every job's result only after COMMIT returned (i.e. the
 * WAL is synced). */
static void run_batch(ol_db_t *db, sqlite_impl_t *s, job_t *batch, int n)
{
    ol_conn_t *c = &s->writer;
    uint64_t t0 = now_us();
    int failed = 0;
    deferred_t deferred = {0};
    int rc = run_sql(c, "BEGIN IMMEDIATE");
    if (rc) {
        for (job_t *j = batch; j; j = j->next)
            j->rc = rc;
        failed = n;
    } else {
        c->deferred = &deferred;
        for (job_t *j = batch; j; j = j->next) {
            int mark = deferred.n;
            int sp = run_sql(c, "SAVEPOINT job");
            j->rc = sp ? sp : j->fn(c, j->arg);
            if (sqlite3_get_autocommit(c->handle)) {
                /* SQLite rolled the whole transaction back (disk full, I/O error): every job
                 * of this batch so far is lost, and none was acknowledged. Fail them all. */
                int lost = j->rc ? j->rc : -OL_EINTERNAL;
                for (job_t *k = batch; k; k = k->next)
                    k->rc = k->rc ? k->rc : lost;
                failed = n;
                goto report;
            }
            if (j->rc) {
                failed++;
                run_sql(c, "ROLLBACK TO job");
                deferred_truncate(&deferred, mark);
            }
            run_sql(c, "RELEASE job");
        }
        c->deferred = NULL;
        rc = deferred_run(c, &deferred);
        if (rc == 0)
            rc = run_sql(c, "COMMIT");
        if (rc) {
            ol_log(OL_LOG_ERROR, "sqlite: commit failed: %s", c->errmsg);
            if (!sqlite3_get_autocommit(c->handle))
                run_sql(c, "ROLLBACK");
            for (job_t *j = batch; j; j = j->next)
                j->rc = j->rc ? j->rc : rc;
            failed = n;
        }
    }
report:
    c->deferred = NULL;
    deferred_truncate(&deferred, 0);
    free(deferred.v);
    ol__db_record_commit(db, now_us() - t0, n, failed);
    for (job_t *j = batch, *next; j; j = next) {
        next = j->next;
        j->done(j->rc, j->done_arg);
        free(j);
    }
}

static void *writer_main(void *arg)
{
    ol_db_t *db = arg;
    sqlite_impl_t *s = db->impl;
    for (;;) {
        pthread_mutex_lock(&s->queue_mu);
        while (!s->head && !s->stopping)
            pthread_cond_wait(&s->queue_cv, &s->queue_mu);
        if (!s->head && s->stopping) {
            pthread_mutex_unlock(&s->queue_mu);
            return NULL;
        }
        job_t *batch = s->head, *last = batch;
        int n = 1;
        while (last->next && n < db->opts.max_batch) {
            last = last->next;
            n++;
        }
        s->head = last->next;
        if (!s->head)
            s->tail = NULL;
        last->next = NULL;
        __atomic_sub_fetch(&db->queue_depth, n, __ATOMIC_RELAXED);
        pthread_mutex_unlock(&s->queue_mu);
        run_batch(db, s, batch, n);
    }
}

static int sq_open(ol_db_t *db, const char *path, char *err, size_t errlen)
{
    int rc = 0;
    if (db->opts.check_wal && __atomic_load_n(&open_dbs, __ATOMIC_SEQ_CST) == 0)
        rc = ol__sqlite_wal_check(path, err, errlen);
    if (rc)
        return rc;
    sqlite_impl_t *s = ol_xcalloc(1, sizeof(*s));
    rc = open_conn(path, 0, &db->opts, &s->writer, err, errlen);
    if (rc) {
        free(s);
        return rc;
    }
    s->nreaders = db->opts.readers > 0 ? db->opts.readers : 1;
    s->readers = ol_xcalloc((size_t)s->nreaders, sizeof(ol_conn_t));
    s->reader_free = ol_xcalloc((size_t)s->nreaders, sizeof(int));
    for (int i = 0; i < s->nreaders; i++) {
        rc = open_conn(path, 1, &db->opts, &s->readers[i], err, errlen);
        if (rc) {
            while (i-- > 0)
                close_conn(&s->readers[i]);
            close_conn(&s->writer);
            free(s->readers);
            free(s->reader_free);
            free(s);
            return rc;
        }
        s->reader_free[s->nfree++] = i;
    }
    pthread_mutex_init(&s->queue_mu, NULL);
    pthread_cond_init(&s->queue_cv, NULL);
    pthread_mutex_init(&s->pool_mu, NULL);
    pthread_cond_init(&s->pool_cv, NULL);
    db->impl = s;
    pthread_create(&s->writer_thread, NULL, writer_main, db);
    __atomic_add_fetch(&open_dbs, 1, __ATOMIC_SEQ_CST);
    return 0;
}

static void sq_close(ol_db_t *db)
{
    sqlite_impl_t *s = db->impl;
    pthread_mutex_lock(&s->queue_mu);
    s->stopping = 1;
    pthread_cond_signal(&s->queue_cv);
    pthread_mutex_unlock(&s->queue_mu);
    pthread_join(s->writer_thread, NULL);
    for (int i = 0; i < s->nreaders; i++)
        close_conn(&s->readers[i]);
    close_conn(&s->writer);
    pthread_mutex_destroy(&s->queue_mu);
    pthread_cond_destroy(&s->queue_cv);
    pthread_mutex_destroy(&s->pool_mu);
    pthread_cond_destroy(&s->pool_cv);
    free(s->readers);
    free(s->reader_free);
    free(s);
    __atomic_sub_fetch(&open_dbs, 1, __ATOMIC_SEQ_CST);
}

static int sq_read(ol_db_t *db, ol_db_fn fn, void *arg)
{
    sqlite_impl_t *s = db->impl;
    pthread_mutex_lock(&s->pool_mu);
    while (s->nfree == 0)
        pthread_cond_wait(&s->pool_cv, &s->pool_mu);
    int i = s->reader_free[--s->nfree];
    pthread_mutex_unlock(&s->pool_mu);

    int rc = fn(&s->readers[i], arg);

    pthread_mutex_lock(&s->pool_mu);
    s->reader_free[s->nfree++] = i;
    pthread_cond_signal(&s->pool_cv);
    pthread_mutex_unlock(&s->pool_mu);
    return rc;
}

static void sq_write_async(ol_db_t *db, ol_db_fn fn, void *arg, ol_db_done_fn done, void *done_arg)
{
    sqlite_impl_t *s = db->impl;
    job_t *j = ol_xmalloc(sizeof(*j));
    *j = (job_t){.fn = fn, .arg = arg, .done = done, .done_arg = done_arg};
    pthread_mutex_lock(&s->queue_mu);
    if (s->tail)
        s->tail->next = j;
    else
        s->head = j;
    s->tail = j;
    __atomic_add_fetch(&db->queue_depth, 1, __ATOMIC_RELAXED);
    pthread_cond_signal(&s->queue_cv);
    pthread_mutex_unlock(&s->queue_mu);
}

/* ---- prepared-statement cache ---------------------------------------------------------------
 * Each connection keeps its most recent statements, keyed by SQL text, so hot statements are
 * parsed once. Bounded: when full, the least recently used entry is finalised. */

#define STMT_CACHE 64

typedef struct {
    char *sql;
    sqlite3_stmt *st;
    unsigned long long used;
} stmt_entry_t;

typedef struct {
    stmt_entry_t e[STMT_CACHE];
    unsigned long long clock;
} stmt_cache_t;

static sqlite3_stmt *cache_get(ol_conn_t *c, const char *sql, int *rc)
{
    stmt_cache_t *sc = c->stmts;
    if (!sc)
        sc = c->stmts = ol_xcalloc(1, sizeof(*sc));
    int victim = 0;
    for (int i = 0; i < STMT_CACHE; i++) {
        if (sc->e[i].sql && !strcmp(sc->e[i].sql, sql)) {
            sc->e[i].used = ++sc->clock;
            *rc = SQLITE_OK;
            return sc->e[i].st;
        }
        if (sc->e[i].used < sc->e[victim].used)
            victim = i;
    }
    sqlite3_stmt *st = NULL;
    *rc = sqlite3_prepare_v3(c->handle, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (*rc != SQLITE_OK)
        return NULL;
    stmt_entry_t *v = &sc->e[victim];
    sqlite3_finalize(v->st);
    free(v->sql);
    *v = (stmt_entry_t){ol_xstrdup(sql), st, ++sc->clock};
    return st;
}

static void cache_clear(ol_conn_t *c)
{
    stmt_cache_t *sc = c->stmts;
    if (!sc)
        return;
    for (int i = 0; i < STMT_CACHE; i++) {
        sqlite3_finalize(sc->e[i].st);
        free(sc->e[i].sql);
    }
    free(sc);
    c->stmts = NULL;
}

static void close_conn(ol_conn_t *c)
{
    cache_clear(c);
    sqlite3_close(c->handle);
}

static int sq_exec(ol_conn_t *c, const char *sql, const ol_val_t *params, int n, ol_rows_t **rows)
{
    int rc;
    sqlite3_stmt *st = cache_get(c, sql, &rc);
    if (!st) {
        set_err(c);
        return map_rc(rc);
    }
    for (int i = 0; i < n; i++) {
        switch (params[i].t) {
        case OL_V_NULL:
            sqlite3_bind_null(st, i + 1);
            break;
        case OL_V_INT:
            sqlite3_bind_int64(st, i + 1, params[i].i);
            break;
        case OL_V_TEXT:
            sqlite3_bind_text(st, i + 1, params[i].s, -1, SQLITE_STATIC);
            break;
        }
    }
    ol_rows_t *r = NULL;
    int ncols = sqlite3_column_count(st);
    if (rows) {
        r = ol__rows_new(ncols);
        for (int i = 0; i < ncols; i++)
            ol__rows_set_colname(r, i, sqlite3_column_name(st, i));
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!r)
            continue;
        ol__rows_add_row(r);
        for (int i = 0; i < ncols; i++) {
            if (sqlite3_column_type(st, i) == SQLITE_NULL)
                continue;
            const unsigned char *v = sqlite3_column_text(st, i);
            ol__rows_set(r, i, (const char *)v, (size_t)sqlite3_column_bytes(st, i));
        }
    }
    if (rc != SQLITE_DONE) {
        set_err(c);
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        ol_rows_free(r);
        return map_rc(rc);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rows)
        *rows = r;
    return 0;
}

static int sq_exec_script(ol_conn_t *c, const char *sql)
{
    return run_sql(c, sql);
}

static const char *sq_errmsg(ol_conn_t *c)
{
    return c->errmsg;
}

typedef struct {
    int full;
    char *err;
    size_t errlen;
} check_t;

static int do_check(ol_conn_t *c, void *arg)
{
    check_t *ck = arg;
    ol_rows_t *r;
    int rc = sq_exec(c, ck->full ? "PRAGMA integrity_check(20)" : "PRAGMA quick_check(20)", NULL,
                     0, &r);
    if (rc) {
        snprintf(ck->err, ck->errlen,
                 "the database failed its integrity check (%s); restore the last good backup "
                 "with 'opsledger restore BACKUP'", c->errmsg);
        return -OL_EDAMAGED;
    }
    const char *first = ol_rows_get(r, 0, 0);
    if (!first || strcmp(first, "ok") != 0) {
        snprintf(ck->err, ck->errlen,
                 "the database is damaged (%s); restore the last good backup with "
                 "'opsledger restore BACKUP'", first ? first : "no result");
        rc = -OL_EDAMAGED;
    }
    ol_rows_free(r);
    return rc;
}

static int sq_integrity(ol_db_t *db, int full, char *err, size_t errlen)
{
    check_t ck = {full, err, errlen};
    return sq_read(db, do_check, &ck);
}

const ol_db_backend_t ol_db_sqlite_backend = {
    .open = sq_open,
    .close = sq_close,
    .read = sq_read,
    .write_async = sq_write_async,
    .exec = sq_exec,
    .exec_script = sq_exec_script,
    .errmsg = sq_errmsg,
    .integrity = sq_integrity,
};
