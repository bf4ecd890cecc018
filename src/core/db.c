/* core/db.c - backend dispatch, result sets, migrations and the checks run at start. */
#include "core/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/migrations.h"

const double ol_db_commit_bucket_ms[11] = {0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000};

void ol_db_opts_default(ol_db_opts_t *o)
{
    o->readers = 8;
    o->synchronous_full = 1;
    o->max_batch = 512;
    o->busy_timeout_ms = 5000;
    o->check_wal = 1;
}

int ol_db_open(const char *url, const ol_db_opts_t *opts, ol_db_t **out, char *err, size_t errlen)
{
    ol_db_t *db = ol_xcalloc(1, sizeof(*db));
    const char *target;
    if (opts)
        db->opts = *opts;
    else
        ol_db_opts_default(&db->opts);
    pthread_mutex_init(&db->stats_lock, NULL);
    if (strncmp(url, "sqlite:", 7) == 0) {
        db->be = &ol_db_sqlite_backend;
        db->kind = OL_DB_SQLITE;
        target = url + 7;
        db->path = ol_xstrdup(target);
    } else if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0) {
        db->be = &ol_db_pg_backend;
        db->kind = OL_DB_PG;
        target = url;
    } else {
        snprintf(err, errlen, "unknown database URL '%s': use sqlite:PATH or postgresql://...", url);
        free(db);
        return -OL_EINVAL;
    }
    int rc = db->be->open(db, target, err, errlen);
    if (rc) {
        free(db->path);
        free(db);
        return rc;
    }
    *out = db;
    return 0;
}

void ol_db_close(ol_db_t *db)
{
    if (!db)
        return;
    db->be->close(db);
    pthread_mutex_destroy(&db->stats_lock);
    free(db->path);
    free(db);
}

ol_db_kind_t ol_db_kind(const ol_db_t *db) { return db->kind; }
const char *ol_db_path(const ol_db_t *db) { return db->path; }
int ol_db_async_writes(const ol_db_t *db) { return db->kind == OL_DB_SQLITE; }
ol_db_kind_t ol_conn_kind(const ol_conn_t *c) { return c->kind; }

int ol_db_lease(ol_db_t *db, const char *node)
{
    return db->kind == OL_DB_PG ? ol__pg_lease(db, node) : 1;
}

int ol_db_lease_nodes(ol_db_t *db, ol_db_lease_fn fn, void *arg)
{
    return db->kind == OL_DB_PG ? ol__pg_lease_nodes(db, fn, arg) : 0;
}

int ol_db_xact_lock(ol_conn_t *c, const char *name)
{
    if (c->kind != OL_DB_PG)
        return 0;
    ol_val_t p[] = {OL_VTEXT(name)};
    /* 0x6f70736c ("opsl"): the namespace of opsledger's named transaction locks. */
    return ol_db_exec(c, "SELECT pg_advisory_xact_lock(1869640556, hashtext(CAST(?1 AS TEXT)))",
                      p, 1, NULL);
}

int ol_db_read(ol_db_t *db, ol_db_fn fn, void *arg)
{
    return db->be->read(db, fn, arg);
}

void ol_db_write_async(ol_db_t *db, ol_db_fn fn, void *arg, ol_db_done_fn done, void *done_arg)
{
    db->be->write_async(db, fn, arg, done, done_arg);
}

/* ---- synchronous write on top of the asynchronous one ------------------------------------ */

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done, rc;
} sync_wait_t;

static void on_sync_done(int rc, void *arg)
{
    sync_wait_t *w = arg;
    pthread_mutex_lock(&w->mu);
    w->rc = rc;
    w->done = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

int ol_db_write(ol_db_t *db, ol_db_fn fn, void *arg)
{
    sync_wait_t w = {.done = 0, .rc = 0};
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    db->be->write_async(db, fn, arg, on_sync_done, &w);
    pthread_mutex_lock(&w.mu);
    while (!w.done)
        pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    pthread_cond_destroy(&w.cv);
    pthread_mutex_destroy(&w.mu);
    return w.rc;
}

int ol_db_exec(ol_conn_t *c, const char *sql, const ol_val_t *params, int nparams, ol_rows_t **rows)
{
    extern const ol_db_backend_t ol_db_sqlite_backend, ol_db_pg_backend;
    const ol_db_backend_t *be = c->kind == OL_DB_SQLITE ? &ol_db_sqlite_backend : &ol_db_pg_backend;
    if (rows)
        *rows = NULL;
    return be->exec(c, sql, params, nparams, rows);
}

int ol_db_exec_deferred(ol_conn_t *c, const char *sql, const ol_val_t *params, int nparams)
{
    if (c->deferred)
        return ol__sqlite_defer(c, sql, params, nparams);
    return ol_db_exec(c, sql, params, nparams, NULL);
}

int ol_db_exec_script(ol_conn_t *c, const char *sql)
{
    const ol_db_backend_t *be = c->kind == OL_DB_SQLITE ? &ol_db_sqlite_backend : &ol_db_pg_backend;
    return be->exec_script(c, sql);
}

const char *ol_conn_errmsg(ol_conn_t *c)
{
    return c->errmsg;
}

/* ---- stats --------------------------------------------------------------------------------- */

void ol__db_record_commit(ol_db_t *db, uint64_t us, int jobs, int failed)
{
    pthread_mutex_lock(&db->stats_lock);
    db->stats.commits++;
    db->stats.committed_jobs += (uint64_t)(jobs - failed);
    db->stats.failed_jobs += (uint64_t)failed;
    db->stats.commit_us_total += us;
    int b = 0;
    while (b < 11 && (double)us / 1000.0 > ol_db_commit_bucket_ms[b])
        b++;
    db->stats.commit_us_buckets[b]++;
    pthread_mutex_unlock(&db->stats_lock);
}

void ol_db_stats(ol_db_t *db, ol_db_stats_t *out)
{
    pthread_mutex_lock(&db->stats_lock);
    *out = db->stats;
    pthread_mutex_unlock(&db->stats_lock);
    out->queue_depth = __atomic_load_n(&db->queue_depth, __ATOMIC_RELAXED);
}

/* ---- result sets --------------------------------------------------------------------------- */

struct ol_rows {
    int ncols, nrows, cap;
    char **names;
    char **cells; /* nrows * ncols, NULL for SQL NULL */
};

ol_rows_t *ol__rows_new(int ncols)
{
    ol_rows_t *r = ol_xcalloc(1, sizeof(*r));
    r->ncols = ncols;
    r->names = ol_xcalloc((size_t)(ncols ? ncols : 1), sizeof(char *));
    return r;
}

void ol__rows_set_colname(ol_rows_t *r, int col, const char *name)
{
    free(r->names[col]);
    r->names[col] = ol_xstrdup(name ? name : "");
}

void ol__rows_add_row(ol_rows_t *r)
{
    if (r->nrows == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->cells = ol_xrealloc(r->cells, (size_t)r->cap * (size_t)r->ncols * sizeof(char *));
    }
    memset(r->cells + (size_t)r->nrows * (size_t)r->ncols, 0, (size_t)r->ncols * sizeof(char *));
    r->nrows++;
}

void ol__rows_set(ol_rows_t *r, int col, const char *value, size_t len)
{
    char **cell = &r->cells[(size_t)(r->nrows - 1) * (size_t)r->ncols + (size_t)col];
    free(*cell);
    *cell = value ? ol_xstrndup(value, len) : NULL;
}

int ol_rows_count(const ol_rows_t *r) { return r ? r->nrows : 0; }
int ol_rows_cols(const ol_rows_t *r) { return r ? r->ncols : 0; }
const char *ol_rows_colname(const ol_rows_t *r, int col) { return r->names[col]; }

const char *ol_rows_get(const ol_rows_t *r, int row, int col)
{
    if (!r || row < 0 || row >= r->nrows || col < 0 || col >= r->ncols)
        return NULL;
    return r->cells[(size_t)row * (size_t)r->ncols + (size_t)col];
}

long long ol_rows_int(const ol_rows_t *r, int row, int col)
{
    const char *s = ol_rows_get(r, row, col);
    return s ? strtoll(s, NULL, 10) : 0;
}

void ol_rows_free(ol_rows_t *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < (size_t)r->nrows * (size_t)r->ncols; i++)
        free(r->cells[i]);
    for (int i = 0; i < r->ncols; i++)
        free(r->names[i]);
    free(r->cells);
    free(r->names);
    free(r);
}

/* ---- migrations ------------------------------------------------------------------------------ */

static const ol_migration_t *migrations_for(ol_db_kind_t kind)
{
    return kind == OL_DB_SQLITE ? ol_migrations_sqlite : ol_migrations_pg;
}

int ol_db_latest_version(ol_db_kind_t kind)
{
    int v = 0;
    for (const ol_migration_t *m = migrations_for(kind); m->version; m++)
        v = m->version;
    return v;
}

static int read_version(ol_conn_t *c, void *arg)
{
    int *v = arg;
    ol_rows_t *r;
    const char *probe = c->kind == OL_DB_SQLITE
        ? "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='ol_meta'"
        : "SELECT count(*) FROM information_schema.tables WHERE table_schema=current_schema() "
          "AND table_name='ol_meta'";
    int rc = ol_db_exec(c, probe, NULL, 0, &r);
    if (rc)
        return rc;
    long long n = ol_rows_int(r, 0, 0);
    ol_rows_free(r);
    if (n == 0) {
        *v = -1;
        return 0;
    }
    rc = ol_db_exec(c, "SELECT value FROM ol_meta WHERE key='schema_version'", NULL, 0, &r);
    if (rc)
        return rc;
    *v = ol_rows_count(r) ? (int)ol_rows_int(r, 0, 0) : -1;
    ol_rows_free(r);
    return 0;
}

int ol_db_schema_version(ol_db_t *db)
{
    int v = -1;
    if (ol_db_read(db, read_version, &v))
        return -2; /* unreachable or unreadable, not "no schema" */
    return v;
}

typedef struct {
    const ol_migration_t *m;
    char *err;
    size_t errlen;
} migrate_step_t;

static int apply_migration(ol_conn_t *c, void *arg)
{
    migrate_step_t *st = arg;
    int cur = -1;
    int rc = read_version(c, &cur);
    if (rc == 0 && cur >= st->m->version)
        return 0; /* another node applied it first */
    if (rc == 0)
        rc = ol_db_exec_script(c, st->m->sql);
    if (rc == 0) {
        ol_val_t p[] = {OL_VINT(st->m->version)};
        rc = ol_db_exec(c,
                        "INSERT INTO ol_meta(key, value) VALUES ('schema_version', ?1) "
                        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                        p, 1, NULL);
    }
    if (rc)
        snprintf(st->err, st->errlen, "migration %s failed: %s", st->m->name, ol_conn_errmsg(c));
    return rc;
}

int ol_db_migrate(ol_db_t *db, int *version, char *err, size_t errlen)
{
    int cur = ol_db_schema_version(db);
    int latest = ol_db_latest_version(db->kind);
    if (cur == -2) {
        snprintf(err, errlen, "cannot read the database's schema version: it is unreachable or "
                              "damaged");
        return -OL_EDAMAGED;
    }
    if (cur > latest) {
        snprintf(err, errlen,
                 "the database has schema version %d but this opsledger knows only up to %d: "
                 "upgrade opsledger before using this database", cur, latest);
        return -OL_ETOONEW;
    }
    for (const ol_migration_t *m = migrations_for(db->kind); m->version; m++) {
        if (m->version <= cur)
            continue;
        migrate_step_t st = {m, err, errlen};
        int rc = ol_db_write(db, apply_migration, &st);
        if (rc)
            return rc;
        cur = m->version;
    }
    if (version)
        *version = cur;
    return 0;
}

int ol_db_check(ol_db_t *db, int full, char *err, size_t errlen)
{
    int cur = ol_db_schema_version(db);
    int latest = ol_db_latest_version(db->kind);
    if (cur == -2) {
        snprintf(err, errlen, "cannot read the database's schema version: it is unreachable or "
                              "damaged (restore a backup with 'opsledger restore BACKUP')");
        return -OL_EDAMAGED;
    }
    if (cur < 0) {
        snprintf(err, errlen, "the database has no opsledger schema: run 'opsledger init' or "
                              "'opsledger migrate' first");
        return -OL_EINVAL;
    }
    if (cur > latest) {
        snprintf(err, errlen,
                 "the database has schema version %d but this opsledger knows only up to %d: "
                 "upgrade opsledger before using this database", cur, latest);
        return -OL_ETOONEW;
    }
    if (cur < latest) {
        snprintf(err, errlen, "the database has schema version %d, this opsledger needs %d: run "
                              "'opsledger migrate' (take a backup first)", cur, latest);
        return -OL_EINVAL;
    }
    return db->be->integrity(db, full, err, errlen);
}
