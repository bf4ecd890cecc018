/* tests/unit/test_sla.c - I4 business-time arithmetic over the shipped China calendar (holidays,
 * adjusted working days 调休, weekends, the end of the working day) in Asia/Shanghai, and the
 * checks of the calendar file and the SLA policy keys. No database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "records/sla.h"

static ol_cal_days_t cn;
static ol_calendar_t cal5x8, cal7x24;

/* A local time in Shanghai, "2026-02-13 17:00", as a UTC time. */
static time_t at(const char *local)
{
    char iso[40];
    time_t t;
    snprintf(iso, sizeof iso, "%.10sT%.5s:00Z", local, local + 11);
    assert_int_equal(ol_iso_parse(iso, &t), 0);
    return t - 8 * 3600;
}

static void assert_add(long minutes, const char *from, const char *want)
{
    time_t got = ol_cal_add_minutes(&cal5x8, at(from), minutes);
    if (got != at(want)) {
        char g[32];
        ol_iso_at(got + 8 * 3600, g);
        fail_msg("%s + %ld business minutes: want %s (Shanghai), got %s", from, minutes, want, g);
    }
}

static int setup(void **state)
{
    (void)state;
    char err[400];
    if (ol_cal_days_load("calendars/CN.json", &cn, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    cal5x8 = (ol_calendar_t){OL_CAL_5X8, 8 * 3600, 9 * 3600, 18 * 3600, &cn};
    cal7x24 = (ol_calendar_t){OL_CAL_7X24, 8 * 3600, 0, 0, NULL};
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ol_cal_days_free(&cn);
    return 0;
}

static void sla_1_1_seven_by_24(void **state)
{
    (void)state;
    time_t a = at("2026-02-14 23:50");
    assert_int_equal(ol_cal_add_minutes(&cal7x24, a, 120), a + 7200); /* holidays count */
    assert_int_equal(ol_cal_minutes_between(&cal7x24, a, a + 7200), 120);
    assert_int_equal(ol_cal_between(&cal7x24, a + 10, a), 0);
    assert_int_equal(ol_cal_add(&cal7x24, a, 0), a);
}

static void sla_1_2_working_day_and_its_end(void **state)
{
    (void)state;
    assert_add(60, "2026-12-01 10:00", "2026-12-01 11:00");
    assert_add(60, "2026-12-01 17:00", "2026-12-01 18:00"); /* ends at the day's end */
    assert_add(61, "2026-12-01 17:00", "2026-12-02 09:01");
    assert_add(30, "2026-12-01 08:00", "2026-12-01 09:30"); /* before hours: from 09:00 */
    assert_add(30, "2026-12-01 19:00", "2026-12-02 09:30"); /* after hours: next morning */
    assert_add(540, "2026-12-01 09:00", "2026-12-01 18:00"); /* one whole day */
    assert_add(541, "2026-12-01 09:00", "2026-12-02 09:01");
}

static void sla_1_3_weekends(void **state)
{
    (void)state;
    assert_add(120, "2026-12-04 17:00", "2026-12-07 10:00"); /* Friday -> Monday */
    assert_add(60, "2026-12-05 12:00", "2026-12-07 10:00");  /* from a Saturday */
    assert_int_equal(ol_cal_minutes_between(&cal5x8, at("2026-12-04 17:00"),
                                            at("2026-12-07 10:00")), 120);
    assert_int_equal(ol_cal_minutes_between(&cal5x8, at("2026-12-05 00:00"),
                                            at("2026-12-06 23:59")), 0);
}

static void sla_1_4_holidays_and_adjusted_days(void **state)
{
    (void)state;
    /* 春节 2026: Feb 15-23 off; Saturdays Feb 14 and Feb 28 worked (调休). */
    assert_add(120, "2026-02-13 17:00", "2026-02-14 10:00");
    assert_add(60, "2026-02-14 17:30", "2026-02-24 09:30");
    assert_add(120, "2026-02-27 17:00", "2026-02-28 10:00");
    assert_add(60, "2026-02-28 17:30", "2026-03-02 09:30"); /* Sunday Mar 1 is off */
    /* 国庆 2026: Oct 1-7 off; Sunday Sep 20 and Saturday Oct 10 worked. */
    assert_add(120, "2026-09-30 17:00", "2026-10-08 10:00");
    assert_add(60, "2026-09-19 10:00", "2026-09-20 10:00");
    assert_add(540, "2026-10-09 09:00", "2026-10-09 18:00");
    assert_add(60, "2026-10-09 17:30", "2026-10-10 09:30");
    /* 元旦 2026: Jan 1-3 off, Sunday Jan 4 worked; 2025's 元旦 is one day. */
    assert_add(60, "2025-12-31 17:30", "2026-01-04 09:30");
    assert_add(60, "2024-12-31 17:30", "2025-01-02 09:30");
    /* 劳动节 2026: May 1-5 off, Saturday May 9 worked. */
    assert_add(60, "2026-04-30 17:30", "2026-05-06 09:30");
    assert_add(60, "2026-05-08 17:30", "2026-05-09 09:30");
    /* Between: Fri Feb 13 (9 h) + Sat Feb 14 (9 h) + Tue Feb 24 09:00-12:00 (3 h). */
    assert_int_equal(ol_cal_minutes_between(&cal5x8, at("2026-02-13 09:00"),
                                            at("2026-02-24 12:00")), 1260);
    assert_int_equal(ol_cal_working_day(&cal5x8, (at("2026-02-14 12:00") + 8 * 3600) / 86400), 1);
    assert_int_equal(ol_cal_working_day(&cal5x8, (at("2026-02-16 12:00") + 8 * 3600) / 86400), 0);
}

static void sla_1_5_add_and_between_agree(void **state)
{
    (void)state;
    static const char *const starts[] = {"2026-02-13 16:20", "2026-09-30 09:00",
                                         "2026-12-31 17:59", "2026-06-18 12:34"};
    static const long mins[] = {1, 59, 60, 61, 539, 540, 541, 1440, 4000};
    for (size_t s = 0; s < sizeof starts / sizeof starts[0]; s++)
        for (size_t m = 0; m < sizeof mins / sizeof mins[0]; m++) {
            time_t a = at(starts[s]);
            assert_int_equal(ol_cal_minutes_between(&cal5x8, a, ol_cal_add_minutes(&cal5x8, a,
                                                                                  mins[m])),
                             mins[m]);
        }
}

static void sla_1_6_calendar_file_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"{\"2026\": {\"workdays\": [{\"name\": \"w\", \"date\": \"2026-02-16\"}]}}",
         "2026.workdays[0] (w): is not a Saturday or Sunday"},
        {"{\"2026\": {\"holidays\": [{\"name\": \"h\", \"from\": \"2026-02-15\", \"to\": "
         "\"2026-02-10\"}]}}", "ends before it starts"},
        {"{\"2026\": {\"holidays\": [{\"name\": \"h\", \"from\": \"2025-12-31\", \"to\": "
         "\"2026-01-01\"}]}}", "lies outside its year"},
        {"{\"2026\": {\"holidays\": [{\"from\": \"2026-01-01\", \"to\": \"2026-01-01\"}]}}",
         "needs a name"},
        {"{\"2026\": {\"holidays\": [{\"name\": \"h\", \"from\": \"2026-02-14\", \"to\": "
         "\"2026-02-14\"}], \"workdays\": [{\"name\": \"w\", \"date\": \"2026-02-14\"}]}}",
         "both a holiday and a working day"},
        {"{\"26\": {}}", "'26' is not a year"},
        {"{\"2026\": {\"holiday\": []}}", "unknown key 'holiday'"},
        {"{\n\"2026\": {\n\"holidays\": [}\n}", "line 3"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        ol_cal_days_t d;
        char err[400] = "";
        assert_int_equal(ol_cal_days_parse(bad[k].text, "test.json", &d, err, sizeof err), -1);
        if (!strstr(err, bad[k].want))
            fail_msg("case %zu: want '%s' in '%s'", k, bad[k].want, err);
    }
    assert_int_equal(cn.first_year, 2025);
    assert_int_equal(cn.last_year, 2026);
}

static void sla_1_7_policy_keys(void **state)
{
    (void)state;
    ol_config_t cfg = *ol_config();
    char err[400];
    cfg.sla_calendar_file = "calendars/CN.json";
    assert_int_equal(ol_config_check_sla(&cfg, err, sizeof err), 0);
    const ol_sla_policy_t *p = ol_sla_policy_find("incident", "security", "high");
    assert_non_null(p);
    assert_int_equal(p->response_minutes, 5);
    assert_int_equal(p->resolution_minutes, 60);
    p = ol_sla_policy_find("incident", "performance", "low");
    assert_int_equal(p->resolution_minutes, 24 * 60);
    assert_int_equal(p->calendar, OL_CAL_5X8);
    assert_null(ol_sla_policy_find("incident", "request", "high"));
    assert_int_equal(ol_sla_state_in("pause", "incident", "awaiting_user"), 1);
    assert_int_equal(ol_sla_state_in("pause", "incident", "awaiting"), 0);
    assert_int_equal(ol_sla_state_in("response", "incident", "in_progress"), 1);
    static const char *const bad_policies[] = {
        "incident/outage/high=10m,2h", "incident/outage/high=10x,2h,7x24",
        "incident/outage/high=3h,2h,7x24", "incident/outage/high=10m,2h,6x7",
        "incident//high=10m,2h,7x24", "incident/outage/high=10m,2h,7x24;",
        "incident/outage/high=10m,2h,7x24;incident/outage/high=1m,2h,7x24"};
    for (size_t k = 0; k < sizeof bad_policies / sizeof bad_policies[0]; k++) {
        ol_config_t b = cfg;
        b.sla_policies = bad_policies[k];
        err[0] = 0;
        assert_int_equal(ol_config_check_sla(&b, err, sizeof err), -1);
        assert_non_null(strstr(err, "sla_policies"));
    }
    ol_config_t b = cfg;
    b.sla_work_hours = "18:00-09:00";
    assert_int_equal(ol_config_check_sla(&b, err, sizeof err), -1);
    b = cfg;
    b.sla_timezone = "Mars/Olympus";
    assert_int_equal(ol_config_check_sla(&b, err, sizeof err), -1);
    b = cfg;
    b.sla_warn_percent = "100";
    assert_int_equal(ol_config_check_sla(&b, err, sizeof err), -1);
    b = cfg;
    b.sla_pause_states = "incident";
    assert_int_equal(ol_config_check_sla(&b, err, sizeof err), -1);
    int off;
    assert_int_equal(ol_cal_parse_zone("-05:30", &off), 0);
    assert_int_equal(off, -(5 * 3600 + 30 * 60));
    assert_int_equal(ol_sla_parse_duration("1d"), 1440);
    assert_int_equal(ol_sla_parse_duration("0m"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sla_1_1_seven_by_24),
        cmocka_unit_test(sla_1_2_working_day_and_its_end),
        cmocka_unit_test(sla_1_3_weekends),
        cmocka_unit_test(sla_1_4_holidays_and_adjusted_days),
        cmocka_unit_test(sla_1_5_add_and_between_agree),
        cmocka_unit_test(sla_1_6_calendar_file_errors),
        cmocka_unit_test(sla_1_7_policy_keys),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
