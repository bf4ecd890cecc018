/* tests/unit/test_db.c - the database API on SQLite and, with OPSLEDGER_TEST_PG set, PostgreSQL.
 *
 * db-1.* run on a temporary SQLite file, db-2.* the same cases on PostgreSQL (plus db-2.20+,
 * PostgreSQL only), db-3.* connection errors that need no server. The PostgreSQL cases work in a
 * schema of their own (search_path set through the URL) that is dropped at the end, so
 * OPSLEDGER_TEST_PG may point at a database that holds other data.
 *
 * Callbacks never assert: SQLite runs write callbacks on its writer thread, where cmocka cannot
 * unwind. They record what they saw and the test asserts afterwards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/db.h"
#include "core/err.h"

typedef struct {
    ol_db_kind_t kind;
    char url[1200];
    char path[256];   /* SQLite file */
    char base[1024];  /* PostgreSQL: the URL from the environment */
    char schema[64];  /* PostgreSQL: the schema this run works in */
    ol_db_t *db;
} backend_t;

/* ---- helpers ------------------------------------------------------------------------------- */

typedef struct {
    const char *sql;
    ol_val_t p[4];
    int n;
    ol_rows_t *rows;
    char errmsg[512];
} stmt_t;

static int on_stmt(ol_conn_t *c, void *arg)
{
    stmt_t *s = arg;
    ol_rows_free(s->rows);
    s->rows = NULL;
    int rc = ol_db_exec(c, s->sql, s->p, s->n, &s->rows);
    if (rc)
        snprintf(s->errmsg, sizeof s->errmsg, "%s", ol_conn_errmsg(c));
    return rc;
}

static long long count_of(ol_db_t *db, const char *sql, ol_val_t p0)
{
    stmt_t s = {.sql = sql, .p = {p0}, .n = p0.t == OL_V_NULL ? 0 : 1};
    int rc = ol_db_read(db, on_stmt, &s);
    long long n = rc == 0 ? ol_rows_int(s.rows, 0, 0) : -1;
    if (rc)
        fprintf(stderr, "count_of(%s): %s\n", sql, s.errmsg);
    ol_rows_free(s.rows);
    return n;
}

static long long users_named(ol_db_t *db, const char *name)
{
    return count_of(db, "SELECT count(*) FROM users WHERE username = ?1", OL_VTEXT(name));
}

static const char *NOW = "2024-05-01T10:00:00Z";

static int insert_user(ol_conn_t *c, const char *name)
{
    ol_val_t p[] = {OL_VTEXT(name), OL_VTEXT(NOW)};
    return ol_db_exec(c, "INSERT INTO users(username, password_hash, created_at) VALUES (?1, 'x', ?2)",
                      p, 2, NULL);
}

/* ---- cases shared by both backends ---------------------------------------------------------- */

/* x.1: a second handle on the migrated database sees the latest version, and migrating again
 * changes nothing. */
static void t_open_migrate(void **state)
{
    backend_t *b = *state;
    char err[512] = "";
    ol_db_t *db2 = NULL;
    int v = -1;
    assert_int_equal(ol_db_open(b->url, NULL, &db2, err, sizeof err), 0);
    assert_int_equal(ol_db_kind(db2), b->kind);
    assert_int_equal(ol_db_schema_version(db2), ol_db_latest_version(b->kind));
    assert_int_equal(ol_db_migrate(db2, &v, err, sizeof err), 0);
    assert_int_equal(v, ol_db_latest_version(b->kind));
    assert_true(v >= 1);
    ol_db_close(db2);
}

/* x.2: ol_db_check passes on a fresh schema, quick and full. */
static void t_check(void **state)
{
    backend_t *b = *state;
    char err[512] = "";
    int rc = ol_db_check(b->db, 0, err, sizeof err);
    if (rc)
        fprintf(stderr, "check: %s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(ol_db_check(b->db, 1, err, sizeof err), 0);
}

/* x.3: writes with bound values return RETURNING ids; reads give names, text, NULL and ints. */
static void t_write_read(void **state)
{
    backend_t *b = *state;
    stmt_t s = {.sql = "INSERT INTO users(username, display_name, password_hash, created_at) "
                       "VALUES (?1, ?2, ?3, ?4) RETURNING id",
                .p = {OL_VTEXT("alice"), OL_VTEXT("Alice 张三 'quoted' ?1"), OL_VTEXT("h"),
                      OL_VTEXT(NOW)},
                .n = 4};
    assert_int_equal(ol_db_write(b->db, on_stmt, &s), 0);
    assert_int_equal(ol_rows_count(s.rows), 1);
    assert_int_equal(ol_rows_cols(s.rows), 1);
    assert_string_equal(ol_rows_colname(s.rows, 0), "id");
    long long alice = ol_rows_int(s.rows, 0, 0);
    assert_true(alice > 0);

    s.p[0] = OL_VTEXT("bob");
    assert_int_equal(ol_db_write(b->db, on_stmt, &s), 0);
    long long bob = ol_rows_int(s.rows, 0, 0);
    assert_true(bob > alice);

    stmt_t t = {.sql = "INSERT INTO api_tokens(token_hash, user_id, name, created_at, expires_at) "
                       "VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id, expires_at",
                .p = {OL_VTEXT("th1"), OL_VINT(bob), OL_VTEXT("ci"), OL_VTEXT(NOW)},
                .n = 5};
    /* p[4] stays zeroed: OL_V_NULL. */
    assert_int_equal(ol_db_write(b->db, on_stmt, &t), 0);
    assert_int_equal(ol_rows_count(t.rows), 1);
    assert_null(ol_rows_get(t.rows, 0, 1));
    ol_rows_free(t.rows);

    stmt_t r = {.sql = "SELECT id, username, display_name, disabled, '?1' AS lit FROM users "
                       "WHERE id >= ?1 ORDER BY id",
                .p = {OL_VINT(alice)},
                .n = 1};
    assert_int_equal(ol_db_read(b->db, on_stmt, &r), 0);
    assert_int_equal(ol_rows_count(r.rows), 2);
    assert_int_equal(ol_rows_cols(r.rows), 5);
    assert_string_equal(ol_rows_colname(r.rows, 1), "username");
    assert_int_equal(ol_rows_int(r.rows, 0, 0), alice);
    assert_string_equal(ol_rows_get(r.rows, 0, 1), "alice");
    assert_string_equal(ol_rows_get(r.rows, 0, 2), "Alice 张三 'quoted' ?1");
    assert_string_equal(ol_rows_get(r.rows, 1, 1), "bob");
    assert_string_equal(ol_rows_get(r.rows, 1, 3), "0");
    assert_string_equal(ol_rows_get(r.rows, 1, 4), "?1"); /* placeholders in literals stay */
    ol_rows_free(r.rows);

    /* Null results and no result set at all. */
    stmt_t q = {.sql = "SELECT expires_at FROM api_tokens WHERE token_hash = ?1",
                .p = {OL_VTEXT("th1")},
                .n = 1};
    assert_int_equal(ol_db_read(b->db, on_stmt, &q), 0);
    assert_int_equal(ol_rows_count(q.rows), 1);
    assert_null(ol_rows_get(q.rows, 0, 0));
    assert_int_equal(ol_rows_int(q.rows, 0, 0), 0);
    ol_rows_free(q.rows);
    ol_rows_free(s.rows);
}

/* Three queued writes: A inserts, B inserts and then collides with A (its error is returned),
 * C inserts. Only B is rolled back. */
typedef struct {
    const char *first, *second;
    int rc;
    char errmsg[512];
} dup_job_t;

static int on_dup_job(ol_conn_t *c, void *arg)
{
    dup_job_t *j = arg;
    int rc = insert_user(c, j->first);
    if (rc == 0 && j->second)
        rc = insert_user(c, j->second);
    if (rc)
        snprintf(j->errmsg, sizeof j->errmsg, "%s", ol_conn_errmsg(c));
    return rc;
}

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int pending;
} waiter_t;

typedef struct {
    waiter_t *w;
    dup_job_t *job;
} done_ctx_t;

static void on_done(int rc, void *arg)
{
    done_ctx_t *d = arg;
    pthread_mutex_lock(&d->w->mu);
    d->job->rc = rc;
    d->w->pending--;
    pthread_cond_broadcast(&d->w->cv);
    pthread_mutex_unlock(&d->w->mu);
}

/* x.4: a unique violation maps to -OL_ECONFLICT and rolls back only that job. */
static void t_unique_conflict(void **state)
{
    backend_t *b = *state;
    dup_job_t jobs[3] = {{"dupA", NULL, 99, ""}, {"dupB", "dupA", 99, ""}, {"dupC", NULL, 99, ""}};
    waiter_t w = {.pending = 3};
    done_ctx_t ctx[3];
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    for (int i = 0; i < 3; i++) {
        ctx[i] = (done_ctx_t){&w, &jobs[i]};
        ol_db_write_async(b->db, on_dup_job, &jobs[i], on_done, &ctx[i]);
    }
    pthread_mutex_lock(&w.mu);
    while (w.pending)
        pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    pthread_cond_destroy(&w.cv);
    pthread_mutex_destroy(&w.mu);

    assert_int_equal(jobs[0].rc, 0);
    assert_int_equal(jobs[1].rc, -OL_ECONFLICT);
    assert_int_equal(jobs[2].rc, 0);
    assert_non_null(strcasestr(jobs[1].errmsg, "unique"));
    assert_int_equal(users_named(b->db, "dupA"), 1);
    assert_int_equal(users_named(b->db, "dupB"), 0);
    assert_int_equal(users_named(b->db, "dupC"), 1);
}

/* x.5: a foreign-key violation is a conflict too. */
static void t_fk_conflict(void **state)
{
    backend_t *b = *state;
    stmt_t s = {.sql = "INSERT INTO user_roles(user_id, role) VALUES (?1, ?2)",
                .p = {OL_VINT(987654321), OL_VTEXT("admin")},
                .n = 2};
    assert_int_equal(ol_db_write(b->db, on_stmt, &s), -OL_ECONFLICT);
    ol_rows_free(s.rows);
    assert_int_equal(count_of(b->db, "SELECT count(*) FROM user_roles", OL_VNULL), 0);
}

static int on_insert_then_fail(ol_conn_t *c, void *arg)
{
    int rc = insert_user(c, arg);
    return rc ? rc : -OL_EINVAL;
}

/* x.6: a callback that fails after inserting leaves nothing behind and its code is returned. */
static void t_callback_fails(void **state)
{
    backend_t *b = *state;
    ol_db_stats_t before, after;
    ol_db_stats(b->db, &before);
    assert_int_equal(ol_db_write(b->db, on_insert_then_fail, "ghost"), -OL_EINVAL);
    assert_int_equal(users_named(b->db, "ghost"), 0);
    ol_db_stats(b->db, &after);
    assert_int_equal(after.failed_jobs, before.failed_jobs + 1);
    /* The connection is usable afterwards (PostgreSQL: not left inside the transaction). */
    stmt_t s = {.sql = "SELECT 1", .n = 0};
    assert_int_equal(ol_db_read(b->db, on_stmt, &s), 0);
    assert_int_equal(ol_db_write(b->db, on_stmt, &s), 0); /* on_stmt frees the last rows */
    ol_rows_free(s.rows);
}

typedef struct {
    int first_rc;
} ignore_t;

static int on_ignore_conflict(ol_conn_t *c, void *arg)
{
    ignore_t *ig = arg;
    ig->first_rc = insert_user(c, "dupA"); /* exists since x.4 */
    (void)insert_user(c, "after-ignored"); /* the result is what the test looks at */
    return 0;
}

/* x.7: a callback that ignores a failed statement and returns 0. SQLite rolls back only the
 * statement and commits the rest; PostgreSQL has aborted the transaction, so the write fails
 * with the first error and nothing is kept. Callbacks must return the errors they get. */
static void t_ignored_error(void **state)
{
    backend_t *b = *state;
    ignore_t ig = {0};
    int rc = ol_db_write(b->db, on_ignore_conflict, &ig);
    assert_int_equal(ig.first_rc, -OL_ECONFLICT);
    if (b->kind == OL_DB_SQLITE) {
        assert_int_equal(rc, 0);
        assert_int_equal(users_named(b->db, "after-ignored"), 1);
    } else {
        assert_int_equal(rc, -OL_ECONFLICT);
        assert_int_equal(users_named(b->db, "after-ignored"), 0);
    }
}

/* x.8: the audit log is append-only on both backends, reported as a conflict. */
static void t_audit_append_only(void **state)
{
    backend_t *b = *state;
    stmt_t s = {.sql = "INSERT INTO audit_log(at, actor, action, result) VALUES (?1, ?2, ?3, ?4) "
                       "RETURNING id",
                .p = {OL_VTEXT(NOW), OL_VTEXT("alice"), OL_VTEXT("login"), OL_VTEXT("ok")},
                .n = 4};
    assert_int_equal(ol_db_write(b->db, on_stmt, &s), 0);
    long long id = ol_rows_int(s.rows, 0, 0);
    stmt_t u = {.sql = "UPDATE audit_log SET result = 'forged' WHERE id = ?1",
                .p = {OL_VINT(id)},
                .n = 1};
    assert_int_equal(ol_db_write(b->db, on_stmt, &u), -OL_ECONFLICT);
    assert_non_null(strstr(u.errmsg, "append-only"));
    stmt_t d = {.sql = "DELETE FROM audit_log WHERE id = ?1", .p = {OL_VINT(id)}, .n = 1};
    assert_int_equal(ol_db_write(b->db, on_stmt, &d), -OL_ECONFLICT);
    assert_int_equal(count_of(b->db, "SELECT count(*) FROM audit_log WHERE result = ?1",
                              OL_VTEXT("ok")), 1);
    ol_rows_free(s.rows);
    ol_rows_free(u.rows);
    ol_rows_free(d.rows);
}

/* x.9: the search tables take the same INSERT on both backends and find Chinese substrings. */
static void t_search(void **state)
{
    backend_t *b = *state;
    stmt_t s = {.sql = "INSERT INTO record_fts(rowid, text) VALUES (?1, ?2)",
                .p = {OL_VINT(42), OL_VTEXT("邮件服务器无法发送 Mail server down")},
                .n = 2};
    assert_int_equal(ol_db_write(b->db, on_stmt, &s), 0);
    s.p[0] = OL_VINT(43);
    s.p[1] = OL_VTEXT("打印机卡纸");
    assert_int_equal(ol_db_write(b->db, on_stmt, &s), 0);
    ol_rows_free(s.rows);

    const char *sql = b->kind == OL_DB_SQLITE
        ? "SELECT rowid FROM record_fts WHERE record_fts MATCH ?1 ORDER BY rowid"
        : "SELECT rowid FROM record_fts WHERE text ILIKE ?1 ORDER BY rowid";
    const char *q1 = b->kind == OL_DB_SQLITE ? "\"服务器\"" : "%服务器%";
    const char *q2 = b->kind == OL_DB_SQLITE ? "\"mail server\"" : "%MAIL server%";
    stmt_t r = {.sql = sql, .p = {OL_VTEXT(q1)}, .n = 1};
    assert_int_equal(ol_db_read(b->db, on_stmt, &r), 0);
    assert_int_equal(ol_rows_count(r.rows), 1);
    assert_int_equal(ol_rows_int(r.rows, 0, 0), 42);
    r.p[0] = OL_VTEXT(q2);
    assert_int_equal(ol_db_read(b->db, on_stmt, &r), 0);
    assert_int_equal(ol_rows_count(r.rows), 1);
    ol_rows_free(r.rows);
}

typedef struct {
    ol_db_t *db;
    int id, ok, failed;
} writer_arg_t;

static void *writer_thread(void *arg)
{
    writer_arg_t *w = arg;
    for (int i = 0; i < 200; i++) {
        char name[32];
        snprintf(name, sizeof name, "t%d-%d", w->id, i);
        stmt_t s = {.sql = "INSERT INTO users(username, password_hash, created_at) "
                           "VALUES (?1, 'x', ?2) RETURNING id",
                    .p = {OL_VTEXT(name), OL_VTEXT(NOW)},
                    .n = 2};
        int rc = ol_db_write(w->db, on_stmt, &s);
        if (rc == 0 && ol_rows_int(s.rows, 0, 0) > 0)
            w->ok++;
        else
            w->failed++;
        ol_rows_free(s.rows);
    }
    return NULL;
}

/* x.10: 4 threads x 200 writes all land, and the statistics count them. */
static void t_concurrent_writes(void **state)
{
    backend_t *b = *state;
    pthread_t th[4];
    writer_arg_t wa[4];
    ol_db_stats_t before, after;
    ol_db_stats(b->db, &before);
    long long users0 = count_of(b->db, "SELECT count(*) FROM users", OL_VNULL);
    for (int i = 0; i < 4; i++) {
        wa[i] = (writer_arg_t){b->db, i, 0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, writer_thread, &wa[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(wa[i].failed, 0);
        assert_int_equal(wa[i].ok, 200);
    }
    assert_int_equal(count_of(b->db, "SELECT count(*) FROM users", OL_VNULL), users0 + 800);
    assert_int_equal(count_of(b->db, "SELECT count(*) FROM users WHERE username LIKE ?1",
                              OL_VTEXT("t%-%")), 800);
    ol_db_stats(b->db, &after);
    assert_int_equal(after.committed_jobs - before.committed_jobs, 800);
    assert_true(after.commits > before.commits);
    assert_int_equal(after.queue_depth, 0);
}

/* x.11: a schema newer than the binary is refused by ol_db_check and ol_db_migrate. */
static void t_too_new(void **state)
{
    backend_t *b = *state;
    char err[512] = "";
    stmt_t s = {.sql = "UPDATE ol_meta SET value = '999' WHERE key = 'schema_version'"};
    assert_int_equal(ol_db_write(b->db, on_stmt, &s), 0);
    assert_int_equal(ol_db_schema_version(b->db), 999);
    assert_int_equal(ol_db_check(b->db, 0, err, sizeof err), -OL_ETOONEW);
    assert_non_null(strstr(err, "999"));
    assert_int_equal(ol_db_migrate(b->db, NULL, err, sizeof err), -OL_ETOONEW);

    stmt_t back = {.sql = "UPDATE ol_meta SET value = ?1 WHERE key = 'schema_version'",
                   .p = {OL_VINT(ol_db_latest_version(b->kind))},
                   .n = 1};
    assert_int_equal(ol_db_write(b->db, on_stmt, &back), 0);
    assert_int_equal(ol_db_check(b->db, 0, err, sizeof err), 0);
    ol_rows_free(s.rows);
    ol_rows_free(back.rows);
}

/* ---- PostgreSQL only ------------------------------------------------------------------------ */

typedef struct {
    int pid_inner, pid_inner2, rc_inner;
    char errmsg[512];
} reconnect_t;

static int on_inner_pid(ol_conn_t *c, void *arg)
{
    int *pid = arg;
    ol_rows_t *r;
    int rc = ol_db_exec(c, "SELECT pg_backend_pid()", NULL, 0, &r);
    if (rc == 0)
        *pid = (int)ol_rows_int(r, 0, 0);
    ol_rows_free(r);
    return rc;
}

static ol_db_t *g_db; /* the db of the running PostgreSQL case, for nested reads */

/* Holds one pooled connection, takes a second (nested read), and terminates the second one's
 * server process from the first; waits until the server has let it go. */
static int on_kill_other(ol_conn_t *c, void *arg)
{
    reconnect_t *rt = arg;
    int rc = ol_db_read(g_db, on_inner_pid, &rt->pid_inner);
    if (rc)
        return rc;
    ol_val_t p[] = {OL_VINT(rt->pid_inner)};
    rc = ol_db_exec(c, "SELECT pg_terminate_backend(?1::int)", p, 1, NULL);
    for (int i = 0; rc == 0 && i < 100; i++) {
        ol_rows_t *r;
        rc = ol_db_exec(c, "SELECT count(*) FROM pg_stat_activity WHERE pid = ?1::int", p, 1, &r);
        long long n = ol_rows_int(r, 0, 0);
        ol_rows_free(r);
        if (rc || n == 0)
            break;
        usleep(50 * 1000);
    }
    /* The server forgets the process a moment before its socket is closed. */
    usleep(300 * 1000);
    return rc;
}

static int on_use_other(ol_conn_t *c, void *arg)
{
    reconnect_t *rt = arg;
    (void)c;
    rt->rc_inner = ol_db_read(g_db, on_inner_pid, &rt->pid_inner2);
    return 0;
}

/* 2.20: a pooled connection whose server process went away is reset before its next use. */
static void t_pg_reconnect(void **state)
{
    backend_t *b = *state;
    reconnect_t rt = {0};
    g_db = b->db;
    assert_int_equal(ol_db_read(b->db, on_kill_other, &rt), 0);
    assert_true(rt.pid_inner > 0);
    /* The pool is a stack: the same two connections come back in the same order. */
    assert_int_equal(ol_db_read(b->db, on_use_other, &rt), 0);
    assert_int_equal(rt.rc_inner, 0);
    assert_true(rt.pid_inner2 > 0);
    assert_int_not_equal(rt.pid_inner2, rt.pid_inner);
    /* Writes go through the same pool. */
    assert_int_equal(ol_db_write(b->db, on_insert_then_fail, "after-reset"), -OL_EINVAL);
    g_db = NULL;
}

/* 2.21: jsonb data: the column accepts JSON text and answers containment queries. */
static void t_pg_jsonb(void **state)
{
    backend_t *b = *state;
    stmt_t s = {.sql = "INSERT INTO records(type, number, title, state, version, created_at, "
                       "updated_at, state_changed_at, created_by, updated_by, data) VALUES "
                       "('incident', ?1, 't', 'new', 1, ?2, ?2, ?2, 'a', 'a', ?3) RETURNING id",
                .p = {OL_VTEXT("INC-000001"), OL_VTEXT(NOW), OL_VTEXT("{\"service\":\"mail\"}")},
                .n = 3};
    assert_int_equal(ol_db_write(b->db, on_stmt, &s), 0);
    ol_rows_free(s.rows);
    assert_int_equal(count_of(b->db, "SELECT count(*) FROM records WHERE data @> ?1::jsonb",
                              OL_VTEXT("{\"service\":\"mail\"}")), 1);
    assert_int_equal(count_of(b->db, "SELECT count(*) FROM records WHERE data->>'service' = ?1",
                              OL_VTEXT("mail")), 1);
}

/* ---- connection errors (no server needed) ------------------------------------------------------ */

/* 3.1: an unreachable server is -OL_EUNAVAILABLE with a message naming it, without the password. */
static void t_pg_unreachable(void **state)
{
    char err[1024] = "";
    ol_db_t *db = NULL;
    (void)state;
    int rc = ol_db_open("postgresql://opsledger:s3cr3tpw@127.0.0.1:1/x?password=other5ecret"
                        "&sslmode=disable",
                        NULL, &db, err, sizeof err);
    assert_int_equal(rc, -OL_EUNAVAILABLE);
    assert_null(db);
    assert_non_null(strstr(err, "127.0.0.1"));
    assert_non_null(strstr(err, "opsledger@"));
    assert_non_null(strstr(err, "sslmode=disable"));
    assert_null(strstr(err, "s3cr3tpw"));
    assert_null(strstr(err, "other5ecret"));
    assert_null(strchr(err, '\n'));
}

/* 3.2: an unknown URL scheme is rejected. */
static void t_bad_url(void **state)
{
    char err[256] = "";
    ol_db_t *db = NULL;
    (void)state;
    assert_int_equal(ol_db_open("mysql://x", NULL, &db, err, sizeof err), -OL_EINVAL);
    assert_null(db);
}

/* ---- fixtures ------------------------------------------------------------------------------ */

static int open_and_migrate(backend_t *b)
{
    char err[512] = "";
    int v = 0;
    int rc = ol_db_open(b->url, NULL, &b->db, err, sizeof err);
    if (rc == 0)
        rc = ol_db_migrate(b->db, &v, err, sizeof err);
    if (rc) {
        fprintf(stderr, "cannot open and migrate %s: %s (%s)\n", b->kind == OL_DB_PG ? b->base :
                b->url, err, ol_err_name(rc));
        return -1;
    }
    return 0;
}

static void remove_sqlite_files(const char *path)
{
    char f[300];
    static const char *const sfx[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        snprintf(f, sizeof f, "%s%s", path, sfx[i]);
        unlink(f);
    }
}

static int sqlite_setup(void **state)
{
    backend_t *b = calloc(1, sizeof(*b));
    b->kind = OL_DB_SQLITE;
    snprintf(b->path, sizeof b->path, "/tmp/ol-test-db-XXXXXX");
    int fd = mkstemp(b->path);
    if (fd < 0)
        return -1;
    close(fd);
    snprintf(b->url, sizeof b->url, "sqlite:%s", b->path);
    *state = b;
    return open_and_migrate(b);
}

static int sqlite_teardown(void **state)
{
    backend_t *b = *state;
    ol_db_close(b->db);
    remove_sqlite_files(b->path);
    free(b);
    return 0;
}

/* Runs one statement on the database named by OPSLEDGER_TEST_PG itself. */
static int pg_admin(backend_t *b, const char *sql)
{
    char err[512] = "";
    ol_db_opts_t o;
    ol_db_t *db = NULL;
    ol_db_opts_default(&o);
    o.readers = 2;
    int rc = ol_db_open(b->base, &o, &db, err, sizeof err);
    if (rc) {
        fprintf(stderr, "%s\n", err);
        return rc;
    }
    stmt_t s = {.sql = sql};
    rc = ol_db_write(db, on_stmt, &s);
    if (rc)
        fprintf(stderr, "%s: %s\n", sql, s.errmsg);
    ol_rows_free(s.rows);
    ol_db_close(db);
    return rc;
}

static int pg_setup(void **state)
{
    backend_t *b = calloc(1, sizeof(*b));
    char sql[128];
    b->kind = OL_DB_PG;
    *state = b;
    const char *base = getenv("OPSLEDGER_TEST_PG");
    if (strlen(base) >= sizeof b->base)
        return -1;
    snprintf(b->base, sizeof b->base, "%s", base);
    snprintf(b->schema, sizeof b->schema, "ol_test_%ld_%ld", (long)getpid(), (long)time(NULL));
    snprintf(b->url, sizeof b->url, "%s%coptions=-csearch_path%%3D%s%%2Cpublic", b->base,
             strchr(b->base, '?') ? '&' : '?', b->schema);
    /* pg_trgm goes to public first, so concurrent runs in other schemas all see it. */
    if (pg_admin(b, "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
        return -1;
    snprintf(sql, sizeof sql, "CREATE SCHEMA %s", b->schema);
    if (pg_admin(b, sql))
        return -1;
    return open_and_migrate(b);
}

static int pg_teardown(void **state)
{
    backend_t *b = *state;
    char sql[128];
    ol_db_close(b->db);
    snprintf(sql, sizeof sql, "DROP SCHEMA %s CASCADE", b->schema);
    int rc = pg_admin(b, sql);
    free(b);
    return rc ? -1 : 0;
}

#define T(name, fn) {name, fn, NULL, NULL, NULL}
#define SHARED_TESTS(P)                                                                   \
    T(P ".1 open and migrate twice", t_open_migrate),                                    \
    T(P ".2 check passes", t_check),                                                     \
    T(P ".3 write with RETURNING, read back", t_write_read),                             \
    T(P ".4 unique violation is a conflict and rolls back only its job", t_unique_conflict), \
    T(P ".5 foreign-key violation is a conflict", t_fk_conflict),                        \
    T(P ".6 failing callback leaves nothing behind", t_callback_fails),                  \
    T(P ".7 callback ignoring an error", t_ignored_error),                               \
    T(P ".8 audit log is append-only", t_audit_append_only),                             \
    T(P ".9 search tables", t_search),                                                   \
    T(P ".10 4 threads x 200 writes", t_concurrent_writes),                              \
    T(P ".11 schema newer than the binary", t_too_new)

int main(void)
{
    const struct CMUnitTest sqlite_tests[] = {SHARED_TESTS("db-1")};
    const struct CMUnitTest pg_tests[] = {
        SHARED_TESTS("db-2"),
        T("db-2.20 reconnect after the server dropped a pooled connection", t_pg_reconnect),
        T("db-2.21 jsonb data", t_pg_jsonb),
    };
    const struct CMUnitTest offline_tests[] = {
        T("db-3.1 unreachable PostgreSQL, password kept out of the message", t_pg_unreachable),
        T("db-3.2 unknown URL scheme", t_bad_url),
    };
    int failed = 0;
    failed += cmocka_run_group_tests_name("db-1 sqlite", sqlite_tests, sqlite_setup,
                                          sqlite_teardown);
    const char *pg = getenv("OPSLEDGER_TEST_PG");
    if (pg && (strncmp(pg, "postgresql://", 13) == 0 || strncmp(pg, "postgres://", 11) == 0))
        failed += cmocka_run_group_tests_name("db-2 postgresql", pg_tests, pg_setup, pg_teardown);
    else
        fprintf(stderr, "db-2: skipped (set OPSLEDGER_TEST_PG=postgresql://... to run)\n");
    failed += cmocka_run_group_tests_name("db-3 connection errors", offline_tests, NULL, NULL);
    return failed ? 1 : 0;
}
