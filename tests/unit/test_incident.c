/* tests/unit/test_incident.c - the incident policy parsers (I3, I4): the matrices and the rise
 * thresholds, including the malformed values that must stop the server at start. No database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "modules/incident_policy.h"

static void incident_1_1_priority_matrix(void **state)
{
    (void)state;
    int cells[9];
    char err[160];
    assert_int_equal(ol_incident_matrix("high,high,medium;high,medium,low;medium,low,low", 3, 3,
                                        ol_incident_levels3, cells, err, sizeof err), 0);
    assert_int_equal(cells[0], 0); /* high x high = high */
    assert_int_equal(cells[2], 1); /* high x low = medium */
    assert_int_equal(cells[8], 2); /* low x low = low */
    static const char *const bad[] = {"", "high", "high,high,medium;high,medium,low",
                                      "high,high,medium;high,medium,low;medium,low,low;low,low,low",
                                      "high,high;high,medium,low;medium,low,low",
                                      "high,high,medium,low;high,medium,low;medium,low,low",
                                      "high,high,urgent;high,medium,low;medium,low,low",
                                      "high,high,medium;high,medium,low;medium,low,low;",
                                      "high,,medium;high,medium,low;medium,low,low"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        err[0] = 0;
        assert_int_equal(ol_incident_matrix(bad[k], 3, 3, ol_incident_levels3, cells, err,
                                            sizeof err), -1);
        assert_true(strlen(err) > 0);
    }
}

static void incident_1_2_level_matrix_and_rises(void **state)
{
    (void)state;
    int cells[12];
    long rises[3];
    char err[160];
    assert_int_equal(ol_incident_matrix("3,4,4;4,4,4;4,4,4;4,4,4", 4, 3,
                                        ol_incident_level_names(), cells, err, sizeof err), 0);
    assert_int_equal(cells[0] + 1, 3);
    assert_int_equal(ol_incident_matrix("0,4,4;4,4,4;4,4,4;4,4,4", 4, 3,
                                        ol_incident_level_names(), cells, err, sizeof err), -1);
    assert_int_equal(ol_incident_rises("30,180,360", rises, err, sizeof err), 3);
    assert_int_equal(rises[2], 360);
    assert_int_equal(ol_incident_rises("", rises, err, sizeof err), 0);
    static const char *const bad[] = {"30,30", "180,30", "0", "-5", "30,,60", "30x", "1,2,3,4",
                                      "30,"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        assert_int_equal(ol_incident_rises(bad[k], rises, err, sizeof err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(incident_1_1_priority_matrix),
        cmocka_unit_test(incident_1_2_level_matrix_and_rises),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
