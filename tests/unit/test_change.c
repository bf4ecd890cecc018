/* tests/unit/test_change.c - C1, C3, C4, C8 arithmetic of the change rules with no database: the
 * level matrix, working days after and before a time over the shipped China calendar (National
 * Day, 调休), the recommended window in Asia/Shanghai, and the checks of the change_* keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "modules/change.h"
#include "records/sla.h"

/* A local time in Shanghai, "2026-02-13 17:00", as a UTC time. */
static time_t at(const char *local)
{
    char iso[40];
    time_t t;
    snprintf(iso, sizeof iso, "%.10sT%.5s:00Z", local, local + 11);
    assert_int_equal(ol_iso_parse(iso, &t), 0);
    return t - 8 * 3600;
}

static void assert_at(time_t got, const char *want, const char *what)
{
    if (got != at(want)) {
        char g[32];
        ol_iso_at(got + 8 * 3600, g);
        fail_msg("%s: want %s (Shanghai), got %s", what, want, g);
    }
}

static int setup(void **state)
{
    (void)state;
    ol_config_t cfg = *ol_config();
    char err[400];
    cfg.sla_calendar_file = "calendars/CN.json"; /* the business calendar the rules count in */
    if (ol_config_check_sla(&cfg, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return 0;
}

static void change_1_1_level_matrix(void **state)
{
    (void)state;
    /* impact x likelihood, indexes high 0, medium 1, low 2; levels major 0, normal 1, standard 2 */
    assert_int_equal(ol_change_level(0, 0), 0);
    assert_int_equal(ol_change_level(0, 1), 0);
    assert_int_equal(ol_change_level(1, 1), 1);
    assert_int_equal(ol_change_level(2, 0), 1);
    assert_int_equal(ol_change_level(2, 2), 2);
    assert_int_equal(ol_change_level(-1, 2), -1);
    assert_int_equal(ol_change_level(1, 3), -1);
}

static void change_1_2_working_days_after(void **state)
{
    (void)state;
    /* Wednesday before National Day: 8 h that day, then 1-7 October are holidays. */
    assert_at(ol_change_working_days_after(at("2026-09-30 10:00"), 2), "2026-10-09 10:00",
              "2 working days from Sep 30");
    /* The third working day ends on Saturday 10 October, a worked day (调休). */
    assert_at(ol_change_working_days_after(at("2026-09-30 10:00"), 3), "2026-10-10 10:00",
              "3 working days from Sep 30");
    /* Before working hours a day counts whole; Friday evening skips the weekend. */
    assert_at(ol_change_working_days_after(at("2026-12-11 02:30"), 1), "2026-12-11 18:00",
              "1 working day from Friday 02:30");
    assert_at(ol_change_working_days_after(at("2026-12-11 16:00"), 2), "2026-12-15 16:00",
              "2 working days from Friday 16:00");
    assert_at(ol_change_working_days_after(at("2026-12-11 16:00"), 0), "2026-12-11 16:00",
              "no lead time");
}

static void change_1_3_working_days_before(void **state)
{
    (void)state;
    /* 10 working days before Tuesday 22 December: Tuesday 8 December, by its end. */
    assert_at(ol_change_working_days_before(at("2026-12-22 02:00"), 10), "2026-12-08 18:00",
              "10 working days before Dec 22");
    /* Across National Day: the working day before Oct 9 is Oct 8, the one before that Sep 30. */
    assert_at(ol_change_working_days_before(at("2026-10-09 10:00"), 1), "2026-10-08 18:00",
              "1 working day before Oct 9");
    assert_at(ol_change_working_days_before(at("2026-10-09 10:00"), 2), "2026-09-30 18:00",
              "2 working days before Oct 9");
    /* Monday 12 October: the working day before is Saturday 10 October (调休). */
    assert_at(ol_change_working_days_before(at("2026-10-12 03:00"), 1), "2026-10-10 18:00",
              "1 working day before Oct 12");
}

static void change_1_4_recommended_window(void **state)
{
    (void)state;
    assert_int_equal(ol_change_in_recommended_window(at("2026-12-20 02:00"),
                                                     at("2026-12-20 06:00")), 1);
    assert_int_equal(ol_change_in_recommended_window(at("2026-12-20 03:00"),
                                                     at("2026-12-20 04:00")), 1);
    assert_int_equal(ol_change_in_recommended_window(at("2026-12-20 05:00"),
                                                     at("2026-12-20 07:00")), 0);
    assert_int_equal(ol_change_in_recommended_window(at("2026-12-20 23:00"),
                                                     at("2026-12-21 00:30")), 0);
    assert_int_equal(ol_change_in_recommended_window(at("2026-12-20 01:59"),
                                                     at("2026-12-20 03:00")), 0);
}

static void change_1_5_policy_keys(void **state)
{
    (void)state;
    ol_config_t cfg = *ol_config();
    char err[400];
    assert_int_equal(ol_config_check_change(&cfg, err, sizeof err), 0);
    static const struct {
        const char *key, *value;
    } bad[] = {
        {"change_level_matrix", "major,major;normal,normal"},
        {"change_level_matrix", "major,major,normal;major,normal,normal;normal,normal,tiny"},
        {"change_lead_time_days", "*/major"},
        {"change_lead_time_days", "mainframe/major=3"},
        {"change_lead_time_days", "*/urgent=3"},
        {"change_lead_time_days", "*/major=400"},
        {"change_business_hours", "22:00-09:00"},
        {"change_business_hours_forbidden", "network_device_restart,coffee_machine"},
        {"change_recommended_window", "2-6"},
        {"change_timezone", "Mars/Olympus"},
        {"change_emergency_written_hours", "0"},
        {"change_conflict_depth", "11"},
        {"change_success_target", "101"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        ol_config_t b = cfg;
#define XX(name, def, desc)                                                                      \
    if (!strcmp(bad[k].key, #name))                                                              \
        b.name = bad[k].value;
        OL_CONFIG_MAP(XX)
#undef XX
        err[0] = 0;
        if (ol_config_check_change(&b, err, sizeof err) != -1)
            fail_msg("%s = %s was accepted", bad[k].key, bad[k].value);
        if (!strstr(err, bad[k].key))
            fail_msg("%s = %s: the error does not name the key: %s", bad[k].key, bad[k].value,
                     err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(change_1_1_level_matrix),
        cmocka_unit_test(change_1_2_working_days_after),
        cmocka_unit_test(change_1_3_working_days_before),
        cmocka_unit_test(change_1_4_recommended_window),
        cmocka_unit_test(change_1_5_policy_keys),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
