/* tests/unit/test_complaint.c - the complaint escalation policy (V3): complaint_levels and
 * complaint_escalation_hours, including the malformed values that must stop the server at
 * start; and the check of survey_period_days. No database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/config.h"
#include "modules/service_desk.h"

static int parse(const char *levels, const char *hours, char names[][32], long *h)
{
    ol_config_t cfg = *ol_config();
    cfg.complaint_levels = levels;
    cfg.complaint_escalation_hours = hours;
    char err[256] = "";
    int n = ol_complaint_policy(&cfg, names, h, err, sizeof err);
    assert_true(n > 0 || strlen(err) > 0);
    return n;
}

static void complaint_1_1_levels_and_hours(void **state)
{
    (void)state;
    char names[OL_COMPLAINT_MAX_LEVELS][32];
    long h[OL_COMPLAINT_MAX_LEVELS];
    assert_int_equal(parse("team_lead,manager,head", "24,48", names, h), 3);
    assert_string_equal(names[0], "team_lead");
    assert_string_equal(names[2], "head");
    assert_int_equal(h[0], 24);
    assert_int_equal(h[1], 48);
    assert_int_equal(parse("desk", "", names, h), 1);
    assert_int_equal(parse("a,b,c,d,e", "1,2,3,4", names, h), 5);
    static const char *const bad[][2] = {
        {"", ""},           {"a,b,c", "24"},       {"a,b,c", "24,48,72"}, {"a,b", "0"},
        {"a,b", "-3"},      {"a,b", "24x"},        {"a,,b", "1,2"},       {"a,b,", "1,2"},
        {"a,b", "8761"},    {"a", "5"},            {"a,b,c,d,e,f", "1,2,3,4,5"},
        {"a_name_that_is_longer_than_31_bytes,b", "1"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        assert_int_equal(parse(bad[k][0], bad[k][1], names, h), -1);
}

static void complaint_1_2_config_check(void **state)
{
    (void)state;
    ol_config_t cfg = *ol_config();
    char err[256];
    assert_int_equal(ol_config_check_complaint(&cfg, err, sizeof err), 0);
    cfg.survey_period_days = "-1";
    assert_int_equal(ol_config_check_complaint(&cfg, err, sizeof err), -1);
    cfg.survey_period_days = "0";
    cfg.complaint_escalation_hours = "24";
    assert_int_equal(ol_config_check_complaint(&cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "complaint_escalation_hours"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(complaint_1_1_levels_and_hours),
        cmocka_unit_test(complaint_1_2_config_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
