/* tests/unit/test_parsers.c - regressions for what the fuzzers (tests/fuzz/) found in the
 * parsers: the config loader, UTF-8 checks and the list-query grammar. No database. */
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

#include "core/config.h"
#include "core/err.h"
#include "core/json.h"
#include "core/mem.h"
#include "modules/registry.h"
#include "records/query.h"

static const char *const admin_roles[] = {"admin", NULL};

/* Static, so what the loader leaves in it stays reachable: under `make check` LeakSanitizer then
 * reports only values the loader lost. */
static ol_config_t cfg;

/* fuzz_config found: a setting the file repeats, or one the environment or a flag overrides,
 * lost the copy the file had allocated (corpus fuzz_config/duplicate). */
static void config_1_1_repeated_and_overridden_settings(void **state)
{
    (void)state;
    char path[64], err[256];
    snprintf(path, sizeof path, "/tmp/ol-unit-parsers-%d.conf", (int)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("threads = 4\nthreads = 5\nsync = normal\nlisten = 0.0.0.0:1\n"
          "db = sqlite:./data/opsledger.db\ndata = /srv/ol\n",
          f);
    fclose(f);
    setenv("OPSLEDGER_SYNC", "full", 1);
    char a0[] = "opsledger", a1[] = "--config", a3[] = "--listen=127.0.0.1:9", a4[] = "serve";
    char *argv[] = {a0, a1, path, a3, a4, NULL};
    int argc = 5;
    assert_int_equal(ol_config_load(&cfg, &argc, argv, err, sizeof err), 0);
    unsetenv("OPSLEDGER_SYNC");
    unlink(path);
    assert_string_equal(cfg.threads, "5");          /* the last line wins */
    assert_string_equal(cfg.sync, "full");          /* the environment beats the file */
    assert_string_equal(cfg.listen, "127.0.0.1:9"); /* a flag beats both */
    assert_string_equal(cfg.db, "sqlite:/srv/ol/opsledger.db");
    assert_int_equal(argc, 2);
    assert_string_equal(argv[1], "serve");
    assert_null(argv[2]);
}

static void utf8_1_1_validity(void **state)
{
    (void)state;
    assert_true(ol_utf8_valid(""));
    assert_true(ol_utf8_valid("plain ascii"));
    assert_true(ol_utf8_valid("连接超时"));
    assert_true(ol_utf8_valid("\xf0\x9f\x98\x80"));   /* U+1F600 */
    assert_true(ol_utf8_valid("\xf4\x8f\xbf\xbf"));   /* U+10FFFF */
    assert_false(ol_utf8_valid("\xff"));
    assert_false(ol_utf8_valid("\xc3\x28"));          /* a lead byte without its continuation */
    assert_false(ol_utf8_valid("\xe8\xbf"));          /* cut short by the end */
    assert_false(ol_utf8_valid("\xc0\xaf"));          /* overlong '/' */
    assert_false(ol_utf8_valid("\xe0\x80\xaf"));      /* overlong */
    assert_false(ol_utf8_valid("\xed\xa0\x80"));      /* a UTF-16 surrogate */
    assert_false(ol_utf8_valid("\xf4\x90\x80\x80"));  /* above U+10FFFF */
    assert_false(ol_utf8_valid("\x80"));              /* a lone continuation byte */
}

/* ol_buf_json_string writes what jansson's compact dump writes for well-formed UTF-8 (the impact
 * answer is written with it, K2), and U+FFFD for each byte of malformed UTF-8. */
static void json_1_1_string_writer_matches_jansson(void **state)
{
    (void)state;
    static const char *const cases[] = {"", "plain", "a \"quoted\" \\ back", "tab\there\nline\r\b\f",
                                        "\x01\x1f ctl", "连接超时 (Shanghai)", "\xf0\x9f\x98\x80 /", NULL};
    for (int i = 0; cases[i]; i++) {
        ol_buf_t b;
        ol_buf_init(&b);
        ol_buf_json_string(&b, cases[i]);
        json_t *v = json_string(cases[i]);
        char *want = ol_json_dump(v);
        assert_string_equal(b.p, want);
        free(want);
        json_decref(v);
        ol_buf_clear(&b);
    }
    ol_buf_t b;
    ol_buf_init(&b);
    ol_buf_json_string(&b, NULL);
    ol_buf_json_string(&b, "a\xff" "b\xc3");
    assert_string_equal(b.p, "null\"a\\ufffdb\\ufffd\"");
    ol_buf_clear(&b);
}

/* fuzz_query found: a parameter name that is not UTF-8 gave a field error without its "field"
 * (jansson refuses such strings), and such values were accepted, to be refused later by
 * PostgreSQL as a 500 (corpus fuzz_query/regress-utf8-name, regress-utf8-value). */
/* A buffer nothing was written to still gives a string: ol_buf_steal and an empty printf
 * terminate it (an empty iCalendar description once read past its end under ASan). */
static void buf_1_1_empty_buffers_are_terminated(void **state)
{
    (void)state;
    ol_buf_t b;
    ol_buf_init(&b);
    char *p = ol_buf_steal(&b);
    assert_string_equal(p, "");
    free(p);
    ol_buf_init(&b);
    ol_buf_printf(&b, "%s", "");
    assert_int_equal(b.len, 0);
    assert_string_equal(b.p, "");
    ol_buf_clear(&b);
}

static void query_7_1_names_and_values_must_be_utf8(void **state)
{
    (void)state;
    const ol_record_type_t *t = ol_schema_by_path("articles");
    static const struct {
        const ol_record_type_t *t;
        const char *key, *value, *field;
    } cases[] = {
        {NULL, "state_changed_\xee\xee[lte]", "2026", ""},
        {NULL, "title", "VPN \xff", "title"},
        {NULL, "q", "\xe8\xbf", "q"},
        {NULL, "tags[in]", "a,\xc0\xaf", "tags[in]"},
    };
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            ol_ctx_t c;
            ol_query_t q;
            ol_ctx_init(&c, NULL, "tester", admin_roles);
            ol_query_init(&q);
            assert_int_equal(ol_query_add(&c, pass ? t : NULL, &q, cases[i].key, cases[i].value),
                             -OL_EINVAL);
            assert_int_equal(json_array_size(c.errors), 1);
            json_t *e = json_array_get(c.errors, 0);
            assert_string_equal(json_string_value(json_object_get(e, "field")), cases[i].field);
            assert_string_equal(json_string_value(json_object_get(e, "code")), "bad_filter");
            ol_query_clear(&q);
            ol_ctx_clear(&c);
        }
    ol_ctx_t c;
    ol_query_t q;
    ol_ctx_init(&c, NULL, "tester", admin_roles);
    ol_query_init(&q);
    assert_int_equal(ol_query_add(&c, t, &q, "title", "连接超时"), 0);
    assert_int_equal(ol_query_add(&c, t, &q, "q", "打印机"), 0);
    assert_int_equal(json_array_size(c.errors), 0);
    ol_query_clear(&q);
    ol_ctx_clear(&c);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    ol_schema_register_all();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(config_1_1_repeated_and_overridden_settings),
        cmocka_unit_test(utf8_1_1_validity),
        cmocka_unit_test(buf_1_1_empty_buffers_are_terminated),
        cmocka_unit_test(json_1_1_string_writer_matches_jansson),
        cmocka_unit_test(query_7_1_names_and_values_must_be_utf8),
    };
    return cmocka_run_group_tests_name("parsers", tests, NULL, NULL);
}
