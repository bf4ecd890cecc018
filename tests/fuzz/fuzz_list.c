/* tests/fuzz/fuzz_list.c - from query string to SQL: a query that ol_query_add() accepts must
 * run. Each accepted query is listed against a small SQLite database (a temporary file seeded
 * with a few articles), and the next_cursor it returns must fetch the following page. A
 * database error here means the parser let through something the SQL builder cannot express.
 * The input is a query string, as for fuzz_query. */
#include <unistd.h>

#include "core/db.h"
#include "core/err.h"
#include "fuzz.h"
#include "records/store.h"

static ol_db_t *db;
static char path[256];

static void close_db(void)
{
    char f[300];
    ol_db_close(db);
    db = NULL;
    static const char *const suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(f, sizeof f, "%s%s", path, suffix[i]);
        unlink(f);
    }
}

static void seed(const char *tpath, const char *json)
{
    ol_ctx_t c;
    ol_write_t w;
    json_t *v = json_loads(json, 0, NULL);
    ol_ctx_init(&c, db, "seed", fuzz_admin);
    if (!v || ol_rec_create_prepare(&c, ol_schema_by_path(tpath), v, &w) ||
        ol_write_run(db, &w)) {
        fprintf(stderr, "fuzz_list: cannot seed %s: %s\n", json, c.detail);
        abort();
    }
    ol_ctx_clear(&c);
    json_decref(v);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init_common();
    snprintf(path, sizeof path, "%s/ol-fuzz-list-%d.db", fuzz_tmpdir(), (int)getpid());
    char url[300], err[512];
    int version;
    snprintf(url, sizeof url, "sqlite:%s", path);
    unlink(path);
    ol_db_opts_t o;
    ol_db_opts_default(&o);
    o.readers = 2;
    o.synchronous_full = 0;
    if (ol_db_open(url, &o, &db, err, sizeof err) || ol_db_migrate(db, &version, err, sizeof err)) {
        fprintf(stderr, "fuzz_list: %s\n", err);
        abort();
    }
    atexit(close_db);
    if (ol_schema_by_path("articles")) {
        seed("articles",
             "{\"title\":\"VPN drops every hour\",\"body\":\"Renew the lease; 连接超时 after 60 "
             "minutes\",\"category\":\"troubleshooting\",\"tags\":[\"vpn\",\"network\"],"
             "\"owner\":\"alice\",\"group\":\"network\",\"review_due\":\"2026-11-22T10:00:00Z\"}");
        seed("articles", "{\"title\":\"打印机无法连接\",\"summary\":\"检查驱动\",\"category\":"
                         "\"faq\",\"audience\":\"public\",\"tags\":[\"printer\"]}");
        seed("articles", "{\"title\":\"50% off: the_wildcard \\\\ test\",\"category\":\"how_to\"}");
        seed("articles", "{\"title\":\"Quote \\\"marks\\\" and 'apostrophes'\",\"category\":"
                         "\"policy\",\"owner\":\"bob.smith\"}");
    }
    seed("fuzzrecs", "{\"title\":\"one\",\"count\":7,\"level\":-3,\"flag\":true,\"kind\":"
                     "\"alpha\",\"people\":[\"ann\",\"bo\"],\"who\":\"ann\",\"priority\":\"p1\"}");
    seed("fuzzrecs", "{\"title\":\"两个\",\"count\":-5,\"kind\":\"beta\",\"notes\":\"x\"}");
    seed("fuzzrecs", "{\"title\":\"three\",\"kind\":\"gamma_delta\",\"due\":"
                     "\"2027-02-03T04:05:06.789Z\"}");
    return 0;
}

static void list_and_follow(const ol_record_type_t *t, const fuzz_args_t *a, const char *lang)
{
    ol_ctx_t c;
    ol_query_t q;
    ol_ctx_init(&c, db, "fuzzer", fuzz_admin);
    c.lang = lang;
    ol_query_init(&q);
    if (fuzz_query_apply(&c, t, &q, a) == 0) {
        int rc = ol_rec_list(&c, t, &q);
        FUZZ_CHECK(rc == 0, "an accepted query failed: %s (%s)", ol_err_name(rc), c.detail);
        json_t *items = json_object_get(c.result, "items");
        FUZZ_CHECK(json_is_array(items) && (int)json_array_size(items) <= q.limit,
                   "%zu items for limit %d", json_array_size(items), q.limit);
        const char *next = json_string_value(json_object_get(c.result, "next_cursor"));
        if (next) {
            /* The next page: the same query with the cursor the server gave out. */
            ol_ctx_t c2;
            ol_query_t q2;
            ol_ctx_init(&c2, db, "fuzzer", fuzz_admin);
            ol_query_init(&q2);
            rc = ol_query_add(&c2, t, &q2, "cursor", next);
            FUZZ_CHECK(rc == 0, "the server's own cursor was refused: %s", next);
            fuzz_args_t rest = *a;
            rest.n = 0;
            for (int i = 0; i < a->n; i++)
                if (strcmp(a->key[i], "cursor")) {
                    rest.key[rest.n] = a->key[i];
                    rest.value[rest.n++] = a->value[i];
                }
            FUZZ_CHECK(fuzz_query_apply(&c2, t, &q2, &rest) == 0, "page 2 refused its query");
            rc = ol_rec_list(&c2, t, &q2);
            FUZZ_CHECK(rc == 0, "page 2 failed: %s (%s)", ol_err_name(rc), c2.detail);
            /* Pages never overlap: the cursor carries the sort value and the id. */
            size_t k, m;
            json_t *it2, *it1;
            json_array_foreach(json_object_get(c2.result, "items"), k, it2)
                json_array_foreach(items, m, it1)
                    FUZZ_CHECK(!json_equal(json_object_get(it1, "number"),
                                           json_object_get(it2, "number")),
                               "%s is on both pages (cursor %s)",
                               json_string_value(json_object_get(it1, "number")), next);
            ol_query_clear(&q2);
            ol_ctx_clear(&c2);
        }
    }
    ol_query_clear(&q);
    ol_ctx_clear(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_args_t args;
    fuzz_args_parse(&args, data, size);
    const char *lang = size % 2 ? "zh-CN" : "en";
    for (size_t i = 0; i <= ol_schema_count(); i++)
        list_and_follow(ol_schema_at(i), &args, lang);
    fuzz_args_free(&args);
    return 0;
}
