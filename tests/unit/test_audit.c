/* tests/unit/test_audit.c - the audit hash chain (REQUIREMENTS S8): the canonical form and hash
 * against an independent computation, the export lines, and on SQLite appends, verification
 * of a rewritten entry and the sealing of entries written before the chain.
 *
 * audit-1.* need no database, audit-2.* each run on a fresh SQLite file. Tampering through the
 * API and on PostgreSQL is in tests/api/audit.test.mjs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "records/audit.h"

static const char *const admin_roles[] = {"admin", NULL};
static char db_path[64];

static ol_audit_entry_t sample(void)
{
    return (ol_audit_entry_t){.seq = 1, .at = "2026-11-22T08:29:19.392Z", .actor = "cli",
                              .action = "user.create", .target = "admin", .ip = "local",
                              .result = "ok", .severity = "info", .detail = NULL};
}

/* audit-1.1: the canonical form, byte for byte. */
static void audit_1_1_canonical_form(void **state)
{
    (void)state;
    ol_audit_entry_t e = sample();
    e.detail = "{\"标题\":\"a\\nb\"}";
    ol_buf_t b;
    ol_buf_init(&b);
    ol_audit_canonical(&e, &b);
    assert_string_equal(b.p, "opsledger-audit-v1\n1:1\n24:2026-11-22T08:29:19.392Z\n3:cli\n"
                             "11:user.create\n5:admin\n5:local\n2:ok\n4:info\n"
                             "17:{\"标题\":\"a\\nb\"}\n");
    ol_buf_clear(&b);
}

/* audit-1.2: the hash equals SHA-256(prev || canonical) computed independently (Python's
 * hashlib over the same text). */
static void audit_1_2_hash_known_value(void **state)
{
    (void)state;
    ol_audit_entry_t e = sample();
    char h[OL_AUDIT_HASH_HEX];
    ol_audit_hash(OL_AUDIT_GENESIS, &e, h);
    assert_string_equal(h, "401f835b0455bc3495fd4adae777899fcaeb2d29b8e7be5e2c4b33553991c188");
}

/* audit-1.3: every field counts, NULL is not "", and text cannot move across a field border. */
static void audit_1_3_hash_is_unambiguous(void **state)
{
    (void)state;
    char base[OL_AUDIT_HASH_HEX], h[OL_AUDIT_HASH_HEX];
    ol_audit_entry_t e = sample();
    ol_audit_hash(OL_AUDIT_GENESIS, &e, base);
    const char **fields[] = {&e.at, &e.actor, &e.action, &e.target, &e.ip, &e.result,
                             &e.severity, &e.detail};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        ol_audit_entry_t saved = e;
        *fields[i] = *fields[i] ? "" : "x";
        ol_audit_hash(OL_AUDIT_GENESIS, &e, h);
        assert_string_not_equal(h, base);
        e = saved;
    }
    e.seq = 2;
    ol_audit_hash(OL_AUDIT_GENESIS, &e, h);
    assert_string_not_equal(h, base);
    e = sample();
    ol_audit_hash("1111111111111111111111111111111111111111111111111111111111111111", &e, h);
    assert_string_not_equal(h, base);

    char a[OL_AUDIT_HASH_HEX], b[OL_AUDIT_HASH_HEX];
    e.actor = "ab";
    e.action = "c";
    ol_audit_hash(OL_AUDIT_GENESIS, &e, a);
    e.actor = "a";
    e.action = "bc";
    ol_audit_hash(OL_AUDIT_GENESIS, &e, b);
    assert_string_not_equal(a, b);
    e = sample();
    e.target = NULL;
    ol_audit_hash(OL_AUDIT_GENESIS, &e, a);
    e.target = "";
    ol_audit_hash(OL_AUDIT_GENESIS, &e, b);
    assert_string_not_equal(a, b);
}

/* audit-1.4: RFC 5424 lines: PRI by severity and result, escaped parameter values (§6.3.3),
 * a safe MSGID and HOSTNAME, one line whatever the detail holds. */
static void audit_1_4_syslog_line(void **state)
{
    (void)state;
    ol_audit_entry_t e = sample();
    e.seq = 42;
    e.hash = "ab";
    ol_buf_t b;
    ol_buf_init(&b);
    ol_audit_syslog_line(&e, "host-1", &b);
    assert_string_equal(b.p, "<110>1 2026-11-22T08:29:19.392Z host-1 opsledger - user.create "
                             "[opsledger@32473 actor=\"cli\" target=\"admin\" ip=\"local\" "
                             "result=\"ok\" severity=\"info\" seq=\"42\" hash=\"ab\"]\n");
    b.len = 0;
    e.actor = "a\"b\\c]d";
    e.action = "odd action";
    e.result = "denied";
    e.target = NULL;
    e.detail = "{\"x\":1}\n<14>1 forged";
    ol_audit_syslog_line(&e, "", &b);
    assert_string_equal(b.p, "<108>1 2026-11-22T08:29:19.392Z - opsledger - odd_action "
                             "[opsledger@32473 actor=\"a\\\"b\\\\c\\]d\" target=\"\" ip=\"local\" "
                             "result=\"denied\" severity=\"info\" seq=\"42\" hash=\"ab\"] "
                             "{\"x\":1} <14>1 forged\n");
    b.len = 0;
    e.severity = "high";
    ol_audit_syslog_line(&e, "h", &b);
    assert_memory_equal(b.p, "<106>1 ", 7);
    b.len = 0;
    ol_audit_jsonl_line(&e, &b);
    json_t *v = json_loads(b.p, 0, NULL);
    assert_non_null(v);
    assert_int_equal(json_integer_value(json_object_get(v, "seq")), 42);
    assert_string_equal(json_string_value(json_object_get(v, "actor")), "a\"b\\c]d");
    assert_int_equal(b.p[b.len - 1], '\n');
    assert_ptr_equal(strchr(b.p, '\n'), b.p + b.len - 1);
    json_decref(v);
    ol_buf_clear(&b);
}

/* audit-1.5: time arguments are normalised to the stored form, bad ones refused. */
static void audit_1_5_time_arguments(void **state)
{
    (void)state;
    char out[32];
    assert_int_equal(ol_audit_time_arg("2026-11-22T10:00:00Z", out), 0);
    assert_string_equal(out, "2026-11-22T10:00:00.000Z");
    assert_int_equal(ol_audit_time_arg("2026-11-22T10:00:00.5Z", out), 0);
    assert_string_equal(out, "2026-11-22T10:00:00.500Z");
    assert_int_equal(ol_audit_time_arg("2026-11-22", out), 0);
    assert_string_equal(out, "2026-11-22T00:00:00.000Z");
    assert_int_equal(ol_audit_time_arg("yesterday", out), -1);
    assert_int_equal(ol_audit_time_arg("2026-11-22T10:00:00+08:00", out), -1);
    assert_int_equal(ol_audit_time_arg("", out), -1);
}

/* ---- on SQLite ------------------------------------------------------------------------------ */

typedef struct {
    const char *sql;
    ol_val_t p[2];
    int n;
} stmt_t;

static int on_stmt(ol_conn_t *c, void *arg)
{
    stmt_t *s = arg;
    return ol_db_exec(c, s->sql, s->p, s->n, NULL);
}

static int run(ol_db_t *db, const char *sql)
{
    stmt_t s = {sql, {OL_VNULL}, 0};
    return ol_db_write(db, on_stmt, &s);
}

static int on_append(ol_conn_t *c, void *arg)
{
    ol_ctx_t *ctx = arg;
    int rc = ol_audit_write(c, ctx, "record.create", "KB-000001", "ok", "{\"n\":1}");
    if (rc == 0)
        rc = ol_audit_write_sev(c, ctx, OL_AUDIT_HIGH, "security.alert", "bob", "ok", NULL);
    return rc;
}

static void remove_db(void)
{
    char p[80];
    unlink(db_path);
    snprintf(p, sizeof p, "%s-wal", db_path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", db_path);
    unlink(p);
}

static int setup_db(void **state)
{
    ol_db_t *db;
    char err[512], url[80];
    remove_db();
    snprintf(url, sizeof url, "sqlite:%s", db_path);
    if (ol_db_open(url, NULL, &db, err, sizeof err) || ol_db_migrate(db, NULL, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    *state = db;
    return 0;
}

static int teardown_db(void **state)
{
    ol_db_close(*state);
    remove_db();
    return 0;
}

typedef struct {
    const char *sql;
    char out[128];
} text_t;

static int on_text(ol_conn_t *c, void *arg)
{
    text_t *t = arg;
    ol_rows_t *r;
    int rc = ol_db_exec(c, t->sql, NULL, 0, &r);
    snprintf(t->out, sizeof t->out, "%s", rc == 0 && ol_rows_get(r, 0, 0) ? ol_rows_get(r, 0, 0) : "");
    ol_rows_free(r);
    return rc;
}

/* audit-2.1: appends chain up (both severities); an entry rewritten together with a matching
 * hash is found through its successor's link; UPDATE and DELETE stay refused. */
static void audit_2_1_append_and_rewritten_entry(void **state)
{
    ol_db_t *db = *state;
    ol_ctx_t c;
    ol_audit_report_t rep;
    ol_ctx_init(&c, db, "alice", admin_roles);
    c.ip = "192.0.2.1";
    for (int i = 0; i < 3; i++)
        assert_int_equal(ol_db_write(db, on_append, &c), 0);
    assert_int_equal(ol_audit_verify(&c, &rep), 0);
    assert_true(rep.ok);
    assert_int_equal(rep.entries, 6);
    assert_int_equal(rep.head_seq, 6);
    text_t t = {"SELECT severity FROM audit_log WHERE seq = 2"};
    assert_int_equal(ol_db_read(db, on_text, &t), 0);
    assert_string_equal(t.out, "high");
    assert_int_equal(run(db, "UPDATE audit_log SET actor = 'x' WHERE seq = 1"), -OL_ECONFLICT);
    assert_int_equal(run(db, "DELETE FROM audit_log WHERE seq = 1"), -OL_ECONFLICT);

    /* Entry 3 rewritten with a hash that matches its new content. */
    t.sql = "SELECT prev_hash FROM audit_log WHERE seq = 3";
    assert_int_equal(ol_db_read(db, on_text, &t), 0);
    t.sql = "SELECT at FROM audit_log WHERE seq = 3";
    text_t at = t;
    assert_int_equal(ol_db_read(db, on_text, &at), 0);
    ol_audit_entry_t e = {.seq = 3, .at = at.out, .actor = "mallory", .action = "record.create",
                          .target = "KB-000001", .ip = "192.0.2.1", .result = "ok",
                          .severity = "info", .detail = "{\"n\":1}"};
    char hash[OL_AUDIT_HASH_HEX];
    ol_audit_hash(t.out, &e, hash);
    assert_int_equal(run(db, "DROP TRIGGER audit_log_no_update"), 0);
    stmt_t u = {"UPDATE audit_log SET actor = 'mallory', hash = ?1 WHERE seq = 3",
                {OL_VTEXT(hash)}, 1};
    assert_int_equal(ol_db_write(db, on_stmt, &u), 0);
    assert_int_equal(ol_audit_verify(&c, &rep), 0);
    assert_false(rep.ok);
    assert_int_equal(rep.bad_seq, 3);
    assert_string_equal(rep.reason, "altered");
    assert_non_null(strstr(rep.message, "audit entry 3 was altered (its hash was recomputed"));
    ol_ctx_clear(&c);
}

/* audit-2.2: entries without a hash (written before migration 0003, or behind opsledger's back)
 * fail verification until sealed; sealing chains those the migration counted, oldest first. */
static void audit_2_2_seal_earlier_entries(void **state)
{
    ol_db_t *db = *state;
    ol_ctx_t c;
    ol_audit_report_t rep;
    long long sealed;
    ol_ctx_init(&c, db, "cli", admin_roles);
    assert_int_equal(ol_db_write(db, on_append, &c), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(run(db, "INSERT INTO audit_log(at, actor, action, result) VALUES "
                                 "('2026-01-01T00:00:00.000Z', 'old', 'auth.login', 'ok')"),
                         0);
    assert_int_equal(ol_audit_verify(&c, &rep), 0);
    assert_false(rep.ok);
    assert_string_equal(rep.reason, "unsealed");
    assert_int_equal(rep.bad_id, 3);

    /* Only what the migration counted is sealed: nothing here. */
    assert_int_equal(ol_audit_seal(&c, &sealed), 0);
    assert_int_equal(sealed, 0);
    assert_int_equal(run(db, "UPDATE ol_meta SET value = '5' WHERE key = 'audit_unsealed_upto'"),
                     0);
    assert_int_equal(ol_audit_seal(&c, &sealed), 0);
    assert_int_equal(sealed, 3);
    assert_int_equal(ol_audit_verify(&c, &rep), 0);
    assert_true(rep.ok);
    assert_int_equal(rep.entries, 6); /* 2 appended, 3 sealed, the seal's own entry */
    text_t t = {"SELECT actor FROM audit_log WHERE seq = 5"};
    assert_int_equal(ol_db_read(db, on_text, &t), 0);
    assert_string_equal(t.out, "old");
    /* Sealed entries are as final as the others. */
    assert_int_equal(run(db, "UPDATE audit_log SET actor = 'x' WHERE seq = 3"), -OL_ECONFLICT);
    ol_ctx_clear(&c);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(audit_1_1_canonical_form),
        cmocka_unit_test(audit_1_2_hash_known_value),
        cmocka_unit_test(audit_1_3_hash_is_unambiguous),
        cmocka_unit_test(audit_1_4_syslog_line),
        cmocka_unit_test(audit_1_5_time_arguments),
    };
    const struct CMUnitTest stored[] = {
        cmocka_unit_test_setup_teardown(audit_2_1_append_and_rewritten_entry, setup_db,
                                        teardown_db),
        cmocka_unit_test_setup_teardown(audit_2_2_seal_earlier_entries, setup_db, teardown_db),
    };
    snprintf(db_path, sizeof db_path, "/tmp/ol-unit-audit-%d.db", (int)getpid());
    int failed = cmocka_run_group_tests_name("audit", pure, NULL, NULL);
    failed += cmocka_run_group_tests_name("audit-sqlite", stored, NULL, NULL);
    return failed;
}
