/* tests/unit/test_problem.c - the problem policies and helpers (Q1-Q3): the kind of an incident,
 * the checks of the problem_* keys, and the search terms of the known-error suggestions
 * (Chinese cut into 3-character pieces). No database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "modules/problem.h"

static void problem_1_1_kind(void **state)
{
    (void)state;
    char buf[OL_PROBLEM_KIND_MAX];
    json_t *r = json_pack("{ssssss}", "category", "outage", "ci", "db-01", "service", "pay");
    assert_string_equal(ol_problem_kind(r, buf, sizeof buf), "ci:outage/db-01");
    json_object_set_new(r, "ci", json_string(""));
    assert_string_equal(ol_problem_kind(r, buf, sizeof buf), "service:outage/pay");
    json_object_set_new(r, "alert_name", json_string("HighLatency"));
    assert_string_equal(ol_problem_kind(r, buf, sizeof buf), "alert:HighLatency");
    json_object_clear(r);
    json_object_set_new(r, "category", json_string("outage"));
    assert_null(ol_problem_kind(r, buf, sizeof buf)); /* no CI, service or alert: no kind */
    json_object_set_new(r, "ci", json_string("a-rather-long-ci-name"));
    assert_null(ol_problem_kind(r, buf, 8)); /* never truncated into another kind */
    json_decref(r);
}

static void problem_1_2_policy_checks(void **state)
{
    (void)state;
    ol_config_t cfg = *ol_config();
    char err[256];
    assert_int_equal(ol_config_check_problem(&cfg, err, sizeof err), 0);
    static const char *const bad[] = {"0", "-1", "x", "", "1.5", "9999999"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        ol_config_t c = cfg;
        c.problem_verify_hours = bad[k];
        err[0] = 0;
        assert_int_equal(ol_config_check_problem(&c, err, sizeof err), -1);
        assert_non_null(strstr(err, "problem_verify_hours"));
    }
    ol_config_t c = cfg;
    c.problem_auto_threshold = "1"; /* one incident is not a trend */
    assert_int_equal(ol_config_check_problem(&c, err, sizeof err), -1);
}

static void problem_1_3_terms(void **state)
{
    (void)state;
    char *t[32];
    int n = ol_kedb_terms("数据库连接, Tomcat db 宕机!", t, 32);
    const char *want[] = {"数据库", "据库连", "库连接", "tomcat", "宕机"};
    assert_int_equal(n, 5);
    for (int i = 0; i < n; i++) {
        assert_string_equal(t[i], want[i]);
        free(t[i]);
    }
    n = ol_kedb_terms("JVM内存泄漏。jvm 内存泄漏", t, 32); /* duplicates once; 。separates */
    const char *want2[] = {"jvm", "内存泄", "存泄漏"};
    assert_int_equal(n, 3);
    for (int i = 0; i < n; i++) {
        assert_string_equal(t[i], want2[i]);
        free(t[i]);
    }
    assert_int_equal(ol_kedb_terms("a b 中 ,,", t, 32), 0);
    n = ol_kedb_terms("aaa bbb ccc ddd", t, 2); /* at most max */
    assert_int_equal(n, 2);
    free(t[0]);
    free(t[1]);
    n = ol_kedb_terms("\xe6\x95", t, 32); /* a cut UTF-8 character is not read past */
    for (int i = 0; i < n; i++)
        free(t[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(problem_1_1_kind),
        cmocka_unit_test(problem_1_2_policy_checks),
        cmocka_unit_test(problem_1_3_terms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
