/* tests/unit/test_records.c - the record engine without HTTP: declaration checks, validation,
 * numbering, workflow (roles, guards, required fields, reasons), history and query parsing.
 * Runs on SQLite, and on PostgreSQL too when OPSLEDGER_TEST_PG holds a database URL. */
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
#include "modules/registry.h"
#include "records/query.h"
#include "records/store.h"

static const char *const admin_roles[] = {"admin", NULL};
static const char *const author_roles[] = {"kb_author", NULL};
static const char *const editor_roles[] = {"kb_editor", NULL};
static const char *const no_roles[] = {NULL};

static const char *db_url;
static char sqlite_path[64];

static const ol_record_type_t *kb(void)
{
    return ol_schema_by_path("articles");
}

static json_t *J(const char *text)
{
    json_t *v = json_loads(text, 0, NULL);
    assert_non_null(v);
    return v;
}

static int setup_db(void **state)
{
    ol_db_t *db;
    char err[512];
    int version;
    if (!strncmp(db_url, "sqlite:", 7))
        unlink(db_url + 7);
    assert_int_equal(ol_db_open(db_url, NULL, &db, err, sizeof err), 0);
    assert_int_equal(ol_db_migrate(db, &version, err, sizeof err), 0);
    *state = db;
    return 0;
}

static int teardown_db(void **state)
{
    ol_db_close(*state);
    return 0;
}

/* Creates an article as admin; returns its number in out (>= 32 bytes). */
static int create(ol_db_t *db, const char *const *roles, const char *json, char *out, json_t **errors)
{
    ol_ctx_t c;
    ol_ctx_init(&c, db, "tester", roles);
    ol_write_t w;
    json_t *in = J(json);
    int rc = ol_rec_create_prepare(&c, kb(), in, &w);
    if (rc == 0)
        rc = ol_write_run(db, &w);
    if (rc == 0 && out)
        snprintf(out, 32, "%s", json_string_value(json_object_get(c.result, "number")));
    if (errors)
        *errors = json_incref(c.errors);
    json_decref(in);
    ol_ctx_clear(&c);
    return rc;
}

static int transition(ol_db_t *db, const char *const *roles, const char *number, const char *name,
                      const char *json, char *detail)
{
    ol_ctx_t c;
    ol_ctx_init(&c, db, "tester", roles);
    ol_write_t w;
    json_t *in = J(json ? json : "{}");
    int rc = ol_rec_transition_prepare(&c, kb(), number, name, 0, in, &w);
    if (rc == 0)
        rc = ol_write_run(db, &w);
    if (detail)
        snprintf(detail, 256, "%.200s", c.detail);
    json_decref(in);
    ol_ctx_clear(&c);
    return rc;
}

static json_t *get(ol_db_t *db, const char *number)
{
    ol_ctx_t c;
    ol_ctx_init(&c, db, "tester", admin_roles);
    assert_int_equal(ol_rec_get(&c, kb(), number), 0);
    json_t *r = json_incref(c.result);
    ol_ctx_clear(&c);
    return r;
}

/* ---- declarations ---------------------------------------------------------------------------- */

static void schema_1_1_bad_declarations_refused(void **state)
{
    (void)state;
    static const ol_field_t no_title[] = {{"body", OL_F_TEXT, 0, 0, 0, NULL, NULL, "B", "B"}};
    static const ol_field_t reserved[] = {{"title", OL_F_STRING, 0, 0, 0, NULL, NULL, "T", "T"},
                                          {"state", OL_F_STRING, 0, 0, 0, NULL, NULL, "S", "S"}};
    static const char *const states[] = {"open", NULL};
    static const char *const from_bad[] = {"nowhere", NULL};
    static const ol_transition_t bad_tr[] = {{"go", from_bad, "open", NULL, NULL, 0, NULL, "", ""}};
    ol_record_type_t t = {.name = "thing", .path = "things", .prefix = "TH", .label_en = "Thing",
                          .label_zh = "物", .fields = no_title, .nfields = 1, .states = states};
    char err[256];
    assert_int_equal(ol_schema_register(&t, err, sizeof err), -OL_EINVAL);
    assert_non_null(strstr(err, "title"));
    t.fields = reserved;
    t.nfields = 2;
    assert_int_equal(ol_schema_register(&t, err, sizeof err), -OL_EINVAL);
    assert_non_null(strstr(err, "reserved"));
    t.nfields = 1;
    t.transitions = bad_tr;
    t.ntransitions = 1;
    assert_int_equal(ol_schema_register(&t, err, sizeof err), -OL_EINVAL);
    assert_non_null(strstr(err, "nowhere"));
    t.ntransitions = 0;
    t.prefix = "KB"; /* taken by the knowledge base */
    assert_int_equal(ol_schema_register(&t, err, sizeof err), -OL_EINVAL);
}

/* ---- validation ------------------------------------------------------------------------------ */

static int has_error(const json_t *errors, const char *field, const char *code)
{
    size_t i;
    const json_t *e;
    json_array_foreach(errors, i, e) if (!strcmp(json_string_value(json_object_get(e, "field")), field) &&
                                         !strcmp(json_string_value(json_object_get(e, "code")), code))
        return 1;
    return 0;
}

static void validate_2_1_per_field_errors(void **state)
{
    (void)state;
    json_t *errors = json_array();
    json_t *in = J("{\"title\": 5, \"category\": \"poetry\", \"colour\": \"red\", \"tags\": [1],"
                   "\"number\": \"KB-1\", \"review_due\": \"tomorrow\", \"owner\": \"a b\"}");
    int n = ol_schema_validate(kb(), in, 1, "en", errors);
    assert_int_equal(n, 7);
    assert_true(has_error(errors, "title", "type_string"));
    assert_true(has_error(errors, "category", "enum"));
    assert_true(has_error(errors, "colour", "unknown"));
    assert_true(has_error(errors, "tags", "type_tags"));
    assert_true(has_error(errors, "number", "readonly"));
    assert_true(has_error(errors, "review_due", "datetime"));
    assert_true(has_error(errors, "owner", "username"));
    json_decref(in);
    json_decref(errors);
}

static void validate_2_2_required_and_limits(void **state)
{
    (void)state;
    json_t *errors = json_array();
    json_t *in = J("{\"body\": \"x\"}");
    assert_int_equal(ol_schema_validate(kb(), in, 1, "en", errors), 1);
    assert_true(has_error(errors, "title", "required"));
    json_decref(in);
    /* Limits count characters, not bytes: 200 Chinese characters fit, 201 do not. */
    char title[1000] = "{\"title\": \"";
    for (int i = 0; i < 200; i++)
        strcat(title, "字");
    strcat(title, "\"}");
    in = J(title);
    json_array_clear(errors);
    assert_int_equal(ol_schema_validate(kb(), in, 1, "en", errors), 0);
    json_decref(in);
    title[strlen(title) - 2] = 0;
    strcat(title, "字\"}");
    in = J(title);
    assert_int_equal(ol_schema_validate(kb(), in, 1, "zh-CN", errors), 1);
    assert_true(has_error(errors, "title", "too_long"));
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(errors, 0), "message")),
                           "不能超过 200 个字符"));
    json_decref(in);
    json_decref(errors);
}

static void validate_2_3_control_characters(void **state)
{
    (void)state;
    json_t *errors = json_array();
    json_t *in = json_pack("{ss}", "title", "bad\x01title");
    assert_int_equal(ol_schema_validate(kb(), in, 1, "en", errors), 1);
    assert_true(has_error(errors, "title", "control"));
    json_decref(in);
    json_decref(errors);
}

/* ---- numbering and workflow -------------------------------------------------------------- */

static void store_3_1_numbering_is_sequential_and_failures_use_no_number(void **state)
{
    ol_db_t *db = *state;
    char n1[32], n2[32], n3[32];
    json_t *errors;
    assert_int_equal(create(db, admin_roles, "{\"title\": \"First article\"}", n1, NULL), 0);
    assert_string_equal(n1, "KB-000001");
    assert_int_equal(create(db, admin_roles, "{\"title\": \"no\", \"colour\": 1}", NULL, &errors), -OL_EINVAL);
    assert_true(json_array_size(errors) >= 1);
    json_decref(errors);
    assert_int_equal(create(db, admin_roles, "{\"title\": \"Second article\"}", n2, NULL), 0);
    assert_string_equal(n2, "KB-000002");
    assert_int_equal(create(db, no_roles, "{\"title\": \"Not allowed\"}", NULL, NULL), -OL_EFORBIDDEN);
    assert_int_equal(create(db, author_roles, "{\"title\": \"Third article\"}", n3, NULL), 0);
    assert_string_equal(n3, "KB-000003");
    json_t *r = get(db, n3);
    assert_string_equal(json_string_value(json_object_get(r, "state")), "draft");
    assert_string_equal(json_string_value(json_object_get(r, "category")), "how_to"); /* default */
    assert_int_equal(json_integer_value(json_object_get(r, "version")), 1);
    json_decref(r);
}

static void workflow_4_1_roles_guards_required_fields(void **state)
{
    ol_db_t *db = *state;
    char n[32], detail[256];
    assert_int_equal(create(db, author_roles, "{\"title\": \"Workflow article\"}", n, NULL), 0);
    /* submit requires a body */
    assert_int_equal(transition(db, author_roles, n, "submit", NULL, detail), -OL_EINVAL);
    assert_int_equal(transition(db, author_roles, n, "submit",
                                "{\"fields\": {\"body\": \"short\"}}", NULL), 0);
    /* an author may not publish; an editor may, but the guard wants 20 characters */
    assert_int_equal(transition(db, author_roles, n, "publish", NULL, NULL), -OL_EFORBIDDEN);
    assert_int_equal(transition(db, editor_roles, n, "publish", NULL, detail), -OL_ESTATE);
    assert_non_null(strstr(detail, "20 characters"));
    /* reject needs a reason */
    assert_int_equal(transition(db, editor_roles, n, "reject", NULL, NULL), -OL_EINVAL);
    assert_int_equal(transition(db, editor_roles, n, "reject", "{\"reason\": \"too short\"}", NULL), 0);
    assert_int_equal(transition(db, author_roles, n, "submit",
                                "{\"fields\": {\"body\": \"A body long enough to be published.\"}}",
                                NULL), 0);
    assert_int_equal(transition(db, editor_roles, n, "publish", NULL, NULL), 0);
    /* not from the wrong state, and not an unknown transition */
    assert_int_equal(transition(db, editor_roles, n, "publish", NULL, NULL), -OL_ESTATE);
    assert_int_equal(transition(db, editor_roles, n, "explode", NULL, NULL), -OL_ENOTFOUND);
    json_t *r = get(db, n);
    assert_string_equal(json_string_value(json_object_get(r, "state")), "published");
    assert_int_equal(json_integer_value(json_object_get(r, "version")), 5);
    json_decref(r);

    /* history: create, then body change and state changes with reasons */
    ol_ctx_t c;
    ol_ctx_init(&c, db, "tester", admin_roles);
    assert_int_equal(ol_rec_history(&c, kb(), n), 0);
    json_t *items = json_object_get(c.result, "items");
    int states = 0, reasons = 0;
    size_t i;
    json_t *h;
    json_array_foreach(items, i, h) {
        const char *field = json_string_value(json_object_get(h, "field"));
        if (field && !strcmp(field, "state"))
            states++;
        if (json_is_string(json_object_get(h, "reason")))
            reasons++;
    }
    assert_int_equal(states, 4);
    assert_int_equal(reasons, 1);
    ol_ctx_clear(&c);
}

static void store_5_1_update_with_stale_version_is_refused(void **state)
{
    ol_db_t *db = *state;
    char n[32];
    assert_int_equal(create(db, admin_roles, "{\"title\": \"Versioned\"}", n, NULL), 0);
    ol_ctx_t c;
    ol_write_t w;
    json_t *in = J("{\"title\": \"Versioned twice\"}");
    ol_ctx_init(&c, db, "tester", admin_roles);
    assert_int_equal(ol_rec_update_prepare(&c, kb(), n, 1, in, &w), 0);
    assert_int_equal(ol_write_run(db, &w), 0);
    ol_ctx_clear(&c);
    ol_ctx_init(&c, db, "tester", admin_roles);
    assert_int_equal(ol_rec_update_prepare(&c, kb(), n, 1, in, &w), 0);
    assert_int_equal(ol_write_run(db, &w), -OL_EPRECONDITION);
    ol_ctx_clear(&c);
    ol_ctx_init(&c, db, "tester", admin_roles);
    assert_int_equal(ol_rec_update_prepare(&c, kb(), n, 0, in, &w), -OL_EPRECONDREQ);
    ol_ctx_clear(&c);
    json_decref(in);
    json_t *r = get(db, n);
    assert_int_equal(json_integer_value(json_object_get(r, "version")), 2);
    assert_string_equal(json_string_value(json_object_get(r, "title")), "Versioned twice");
    json_decref(r);
}

/* ---- query parsing --------------------------------------------------------------------------- */

static int add(ol_query_t *q, ol_ctx_t *c, const char *k, const char *v)
{
    return ol_query_add(c, kb(), q, k, v);
}

static void query_6_1_parsing(void **state)
{
    (void)state;
    ol_ctx_t c;
    ol_query_t q;
    ol_ctx_init(&c, NULL, "tester", admin_roles);
    ol_query_init(&q);
    assert_int_equal(add(&q, &c, "state", "draft"), 0);
    assert_int_equal(add(&q, &c, "category[in]", "faq,how_to"), 0);
    assert_int_equal(add(&q, &c, "created_at[gte]", "2026-01-01T00:00:00Z"), 0);
    assert_int_equal(add(&q, &c, "tags", "db"), 0);
    assert_int_equal(add(&q, &c, "sort", "-title"), 0);
    assert_int_equal(add(&q, &c, "limit", "10"), 0);
    assert_int_equal(q.nfilters, 4);
    assert_int_equal(q.filters[1].op, OL_OP_IN);
    assert_int_equal(q.filters[1].nvalues, 2);
    assert_string_equal(q.sort, "title");
    assert_true(q.desc);
    assert_int_equal(q.limit, 10);
    assert_int_equal(json_array_size(c.errors), 0);

    assert_int_equal(add(&q, &c, "colour", "red"), -OL_EINVAL);            /* unknown field */
    assert_int_equal(add(&q, &c, "body", "x"), -OL_EINVAL);                /* not filterable */
    assert_int_equal(add(&q, &c, "state[like]", "x"), -OL_EINVAL);         /* bad operator */
    assert_int_equal(add(&q, &c, "category", "poetry"), -OL_EINVAL);       /* bad enum value */
    assert_int_equal(add(&q, &c, "limit", "0"), -OL_EINVAL);
    assert_int_equal(add(&q, &c, "limit", "201"), -OL_EINVAL);
    assert_int_equal(add(&q, &c, "sort", "body"), -OL_EINVAL);
    assert_int_equal(add(&q, &c, "cursor", "not-a-cursor"), -OL_EINVAL);
    assert_int_equal(add(&q, &c, "tags[gt]", "a"), -OL_EINVAL);
    assert_int_equal(add(&q, &c, "state; DROP TABLE records", "x"), -OL_EINVAL);
    assert_int_equal(add(&q, &c, "created_at[gt]", "yesterday"), -OL_EINVAL);
    assert_int_equal(add(&q, &c, "review_due[lt]", "2026-13"), 0); /* a prefix: compared as text */
    assert_int_equal(add(&q, &c, "review_due[lt]", "2026/12/01"), -OL_EINVAL);
    assert_int_equal((int)json_array_size(c.errors), 12);
    assert_int_equal(q.nfilters, 5);
    ol_query_clear(&q);
    ol_ctx_clear(&c);
}

static void query_6_2_list_filters_and_cursor(void **state)
{
    ol_db_t *db = *state;
    char n[32];
    for (int i = 0; i < 7; i++) {
        char body[128];
        snprintf(body, sizeof body, "{\"title\": \"Paged %d 数据库连接超时\", \"category\": \"%s\"}", i,
                 i % 2 ? "faq" : "troubleshooting");
        assert_int_equal(create(db, admin_roles, body, n, NULL), 0);
    }
    ol_ctx_t c;
    ol_query_t q;
    int seen = 0;
    char *cursor = NULL;
    do {
        ol_ctx_init(&c, db, "tester", admin_roles);
        ol_query_init(&q);
        assert_int_equal(ol_query_add(&c, kb(), &q, "category", "troubleshooting"), 0);
        assert_int_equal(ol_query_add(&c, kb(), &q, "limit", "3"), 0);
        if (cursor)
            assert_int_equal(ol_query_add(&c, kb(), &q, "cursor", cursor), 0);
        assert_int_equal(ol_rec_list(&c, kb(), &q), 0);
        seen += (int)json_array_size(json_object_get(c.result, "items"));
        free(cursor);
        const char *next = json_string_value(json_object_get(c.result, "next_cursor"));
        cursor = next ? strdup(next) : NULL;
        ol_query_clear(&q);
        ol_ctx_clear(&c);
    } while (cursor);
    assert_int_equal(seen, 4);

    ol_ctx_init(&c, db, "tester", admin_roles);
    ol_query_init(&q);
    assert_int_equal(ol_query_add(&c, kb(), &q, "q", "连接超"), 0);
    assert_int_equal(ol_rec_list(&c, kb(), &q), 0);
    assert_int_equal(json_array_size(json_object_get(c.result, "items")), 7);
    ol_query_clear(&q);
    ol_ctx_clear(&c);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    ol_schema_register_all();
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(schema_1_1_bad_declarations_refused),
        cmocka_unit_test(validate_2_1_per_field_errors),
        cmocka_unit_test(validate_2_2_required_and_limits),
        cmocka_unit_test(validate_2_3_control_characters),
        cmocka_unit_test(query_6_1_parsing),
    };
    const struct CMUnitTest stored[] = {
        cmocka_unit_test(store_3_1_numbering_is_sequential_and_failures_use_no_number),
        cmocka_unit_test(workflow_4_1_roles_guards_required_fields),
        cmocka_unit_test(store_5_1_update_with_stale_version_is_refused),
        cmocka_unit_test(query_6_2_list_filters_and_cursor),
    };
    int failed = cmocka_run_group_tests_name("records", pure, NULL, NULL);
    snprintf(sqlite_path, sizeof sqlite_path, "sqlite:/tmp/ol-unit-records-%d.db", (int)getpid());
    db_url = sqlite_path;
    failed += cmocka_run_group_tests_name("records-sqlite", stored, setup_db, teardown_db);
    unlink(sqlite_path + 7);
    char wal[80];
    snprintf(wal, sizeof wal, "%s-wal", sqlite_path + 7);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", sqlite_path + 7);
    unlink(wal);
    return failed;
}
