/* core/db.h - one database API over two backends: SQLite (embedded) and PostgreSQL (libpq).
 *
 * SQL is written once with ?1, ?2 ... placeholders; the PostgreSQL backend rewrites them to $1,
 * $2. Values are always bound, never formatted into SQL. Where the dialects differ (JSON access,
 * search) callers ask ol_db_kind() and pick one of two compiled-in strings.
 *
 * Work runs inside callbacks that receive a connection:
 *   - ol_db_read(): a reader connection in autocommit mode;
 *   - ol_db_write(): a transaction that is durable when the call returns 0. On SQLite all writes
 *     go through one writer thread that group-commits queued callbacks (each inside its own
 *     SAVEPOINT, so one failing callback rolls back only itself); on PostgreSQL a pooled
 *     connection runs BEGIN / callback / COMMIT.
 * A callback returns 0 to commit or a negative OL_E* code to roll back its own work.
 *
 * THREAD SAFETY: ol_db_t is shared by all threads. An ol_conn_t is used by one thread at a time,
 * only inside the callback that received it. */
#ifndef OL_DB_H
#define OL_DB_H
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>

typedef enum { OL_DB_SQLITE, OL_DB_PG } ol_db_kind_t;

typedef struct ol_db ol_db_t;
typedef struct ol_conn ol_conn_t;
typedef struct ol_rows ol_rows_t;

typedef enum { OL_V_NULL, OL_V_INT, OL_V_TEXT } ol_vtype_t;
typedef struct {
    ol_vtype_t t;
    long long i;
    const char *s; /* borrowed; NUL-terminated */
} ol_val_t;

#define OL_VINT(x) ((ol_val_t){.t = OL_V_INT, .i = (long long)(x)})
static inline ol_val_t ol_vtext(const char *s)
{
    ol_val_t v = {.t = s ? OL_V_TEXT : OL_V_NULL, .i = 0, .s = s};
    return v;
}
#define OL_VTEXT(x) ol_vtext(x)
#define OL_VNULL ((ol_val_t){.t = OL_V_NULL})

typedef struct {
    int readers;          /* reader connections (SQLite) or pool size (PostgreSQL) */
    int synchronous_full; /* SQLite: 1 = synchronous=FULL (default), 0 = NORMAL */
    int max_batch;        /* SQLite group commit: most callbacks per transaction */
    int busy_timeout_ms;  /* SQLite busy timeout; PostgreSQL: connect timeout */
    int check_wal;        /* SQLite: refuse a write-ahead log that lost committed frames */
    long long mmap_bytes; /* SQLite readers: PRAGMA mmap_size (0 = read() only) */
} ol_db_opts_t;

void ol_db_opts_default(ol_db_opts_t *o);

/* Opens "sqlite:PATH" or "postgresql://..." (also "postgres://"). Does not migrate.
 * Returns 0, or -OL_EUNAVAILABLE / -OL_EDAMAGED with a message in err. */
int ol_db_open(const char *url, const ol_db_opts_t *opts, ol_db_t **out, char *err, size_t errlen);
void ol_db_close(ol_db_t *db);                 /* NULL is a no-op; drains queued writes */
ol_db_kind_t ol_db_kind(const ol_db_t *db);
const char *ol_db_path(const ol_db_t *db);     /* SQLite file path, or NULL */

typedef int (*ol_db_fn)(ol_conn_t *c, void *arg);
typedef void (*ol_db_done_fn)(int rc, void *arg);

int ol_db_read(ol_db_t *db, ol_db_fn fn, void *arg);
int ol_db_write(ol_db_t *db, ol_db_fn fn, void *arg);
/* Queues fn; done(rc, done_arg) is called (on another thread) once the transaction is durable
 * or has failed. fn, arg and done_arg must stay valid until then. */
void ol_db_write_async(ol_db_t *db, ol_db_fn fn, void *arg, ol_db_done_fn done, void *done_arg);
/* 1 when ol_db_write_async() returns before done() runs (SQLite's writer thread); 0 when the
 * backend runs the transaction in the calling thread (PostgreSQL) and calls done() before
 * returning. */
int ol_db_async_writes(const ol_db_t *db);

/* Executes one statement with bound values. If rows is not NULL the result set is returned
 * (caller frees with ol_rows_free). Returns 0, -OL_ECONFLICT on a unique/foreign-key violation,
 * -OL_ENOSPACE when the disk is full, -OL_EUNAVAILABLE when busy, -OL_EINTERNAL otherwise;
 * ol_conn_errmsg() has the backend's message. */
int ol_db_exec(ol_conn_t *c, const char *sql, const ol_val_t *params, int nparams, ol_rows_t **rows);
/* Like ol_db_exec() without results, inside a write callback, but may run the statement later in
 * the same transaction: the SQLite writer runs it after every callback of the group commit, in
 * the order deferred, outside the per-callback savepoints (an FTS5 table writes out its pending
 * index data at every SAVEPOINT, which made each create write and merge an index segment of its
 * own); elsewhere (PostgreSQL) it runs at once. Values are copied. When the callback fails, the
 * statements it deferred are dropped; when a deferred statement fails, the whole transaction
 * fails and no callback of it is acknowledged. At most 16 parameters. */
int ol_db_exec_deferred(ol_conn_t *c, const char *sql, const ol_val_t *params, int nparams);
/* Runs a script of several statements without parameters (migrations). */
int ol_db_exec_script(ol_conn_t *c, const char *sql);
const char *ol_conn_errmsg(ol_conn_t *c);
ol_db_kind_t ol_conn_kind(const ol_conn_t *c);

int ol_rows_count(const ol_rows_t *r);
int ol_rows_cols(const ol_rows_t *r);
const char *ol_rows_colname(const ol_rows_t *r, int col);
const char *ol_rows_get(const ol_rows_t *r, int row, int col); /* NULL for SQL NULL */
long long ol_rows_int(const ol_rows_t *r, int row, int col);   /* 0 for NULL */
void ol_rows_free(ol_rows_t *r);

/* Statistics for /metrics. */
typedef struct {
    uint64_t commits, committed_jobs, failed_jobs;
    uint64_t commit_us_total;
    uint64_t commit_us_buckets[12]; /* le 0.25,0.5,1,2,5,10,25,50,100,250,1000 ms,+Inf */
    int queue_depth;
} ol_db_stats_t;
void ol_db_stats(ol_db_t *db, ol_db_stats_t *out);
extern const double ol_db_commit_bucket_ms[11];

/* Schema: applies pending migrations (in one transaction each). Returns -OL_ETOONEW when the
 * database is newer than this binary. *version receives the resulting schema version. */
int ol_db_migrate(ol_db_t *db, int *version, char *err, size_t errlen);
/* Checks the schema version (refusing newer and, unless allow_old, older) and integrity
 * (SQLite: PRAGMA quick_check, or integrity_check when full). */
int ol_db_check(ol_db_t *db, int full, char *err, size_t errlen);
int ol_db_schema_version(ol_db_t *db);   /* -1 when there is no schema yet */
int ol_db_latest_version(ol_db_kind_t kind);

/* ---- the leader lease: one `serve` process of a database runs the periodic sweeps ---------- */

/* Takes or keeps the lease. PostgreSQL: a session advisory lock held on a session of its own
 * (outside the pool), named "opsledger node NODE" (its application_name); the server releases
 * it when that session ends - the process stopped or died, or the network broke (TCP
 * keepalives, about 25 s) - and another node takes it at its next call. While held, each call
 * proves the session alive with one round trip. SQLite: a single node, always the leader.
 * Returns 1 when this process leads, 0 when another one does, -OL_EUNAVAILABLE when the lease
 * session cannot reach the database (not leading; logged once per outage). One thread only. */
int ol_db_lease(ol_db_t *db, const char *node);
/* Calls fn once per `serve` process of the database (PostgreSQL: each one's lease session,
 * oldest first): its NODE name, client address (NULL: a local socket), when its session
 * started, and whether it leads. SQLite: nothing to list (0). 0 or a database error. */
typedef void (*ol_db_lease_fn)(const char *node, const char *addr, const char *since,
                               int leader, void *arg);
int ol_db_lease_nodes(ol_db_t *db, ol_db_lease_fn fn, void *arg);

/* Inside a write callback: serialises the transactions that take the same name until they end,
 * so that a check-then-write (is a periodic survey due? has this scope an alert storm?) is not
 * done twice at once by two nodes. PostgreSQL: pg_advisory_xact_lock on a hash of name (the
 * two-key space, apart from the leader lease); the statements after it see what the previous
 * holder committed (READ COMMITTED). SQLite: the single writer serialises them already (no-op).
 * Returns 0 or a database error. */
int ol_db_xact_lock(ol_conn_t *c, const char *name);

/* ---- backend vtable (db_sqlite.c, db_pg.c) -------------------------------------------- */
typedef struct {
    int (*open)(ol_db_t *db, const char *target, char *err, size_t errlen);
    void (*close)(ol_db_t *db);
    int (*read)(ol_db_t *db, ol_db_fn fn, void *arg);
    void (*write_async)(ol_db_t *db, ol_db_fn fn, void *arg, ol_db_done_fn done, void *done_arg);
    int (*exec)(ol_conn_t *c, const char *sql, const ol_val_t *params, int n, ol_rows_t **rows);
    int (*exec_script)(ol_conn_t *c, const char *sql);
    const char *(*errmsg)(ol_conn_t *c);
    int (*integrity)(ol_db_t *db, int full, char *err, size_t errlen);
} ol_db_backend_t;

extern const ol_db_backend_t ol_db_sqlite_backend;
extern const ol_db_backend_t ol_db_pg_backend;

/* Shared by the backends. */
struct ol_db {
    const ol_db_backend_t *be;
    ol_db_kind_t kind;
    ol_db_opts_t opts;
    char *path;   /* SQLite path */
    void *impl;   /* backend state */
    pthread_mutex_t stats_lock;
    ol_db_stats_t stats; /* guarded by stats_lock */
    int queue_depth;     /* guarded by the backend's queue lock; read racily for metrics */
};
struct ol_conn {
    ol_db_kind_t kind;
    void *handle; /* sqlite3* or PGconn* */
    void *stmts;  /* backend's per-connection statement cache, or NULL */
    void *deferred; /* SQLite writer during a group commit: ol_db_exec_deferred()'s queue */
    char errmsg[512];
};

/* Result sets are built by the backends with these. */
ol_rows_t *ol__rows_new(int ncols);
void ol__rows_set_colname(ol_rows_t *r, int col, const char *name);
void ol__rows_add_row(ol_rows_t *r);
void ol__rows_set(ol_rows_t *r, int col, const char *value, size_t len); /* in the last row */
void ol__db_record_commit(ol_db_t *db, uint64_t us, int jobs, int failed);
int ol__pg_lease(ol_db_t *db, const char *node);
int ol__pg_lease_nodes(ol_db_t *db, ol_db_lease_fn fn, void *arg);
int ol__sqlite_defer(ol_conn_t *c, const char *sql, const ol_val_t *params, int nparams);
/* Before the first SQLite connection of this process opens path: when no process has it open
 * and its -shm index (left by a crash) says frames were committed that the -wal file no longer
 * holds intact, returns -OL_EDAMAGED with the problem and the remedy in err; otherwise 0. */
int ol__sqlite_wal_check(const char *path, char *err, size_t errlen);

#endif
