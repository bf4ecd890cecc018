/* tests/unit/test_intake.c - I1: the intake policy parsers (label rules, severity map) and the
 * payload readers (Alertmanager, Zabbix, events): times normalised to UTC, titles cut to the
 * field's length and cleaned of control characters, severities named. No database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/err.h"
#include "modules/intake.h"

static void intake_1_1_label_rules(void **state)
{
    (void)state;
    char buf[256], err[200];
    const char *out[8];
    const char *spec = "service=service;ci=instance,host";
    assert_int_equal(ol_intake_label_rules(spec, "service", buf, sizeof buf, out, 8, err,
                                           sizeof err), 1);
    assert_string_equal(out[0], "service");
    assert_null(out[1]);
    assert_int_equal(ol_intake_label_rules(spec, "ci", buf, sizeof buf, out, 8, err, sizeof err),
                     2);
    assert_string_equal(out[0], "instance");
    assert_string_equal(out[1], "host");
    assert_int_equal(ol_intake_label_rules("ci=node", "service", buf, sizeof buf, out, 8, err,
                                           sizeof err), 0);
    static const char *const bad[] = {"host=instance", "service", "service=", "ci=a b",
                                      "service=a;owner=b", "service=x=y"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        err[0] = 0;
        assert_int_equal(ol_intake_label_rules(bad[k], "service", buf, sizeof buf, out, 8, err,
                                               sizeof err), -1);
        assert_true(strlen(err) > 0);
    }
}

static void intake_1_2_severity_map(void **state)
{
    (void)state;
    char err[200];
    const char *imp = NULL, *urg = NULL;
    const char *spec = "critical=high/high;warning=medium/low;info=low/low";
    assert_int_equal(ol_intake_severity(spec, "warning", &imp, &urg, err, sizeof err), 1);
    assert_string_equal(imp, "medium");
    assert_string_equal(urg, "low");
    assert_int_equal(ol_intake_severity(spec, "warn", &imp, &urg, err, sizeof err), 0);
    assert_int_equal(ol_intake_severity(spec, "", &imp, &urg, err, sizeof err), 0);
    static const char *const bad[] = {"critical=urgent/high", "critical", "=high/high",
                                      "critical=high", "critical=high/high;", "a=high/high/low"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        assert_int_equal(ol_intake_severity(bad[k], "critical", &imp, &urg, err, sizeof err), -1);
}

static void intake_1_3_alertmanager_reader(void **state)
{
    (void)state;
    ol_ctx_t c;
    ol_ctx_init(&c, NULL, "t", NULL);
    char summary[700];
    memset(summary, 'x', sizeof summary - 1);
    summary[sizeof summary - 1] = 0;
    summary[5] = '\n';
    json_t *body = json_pack(
        "{ss s[{ss s{ssss} s{ss} ss ss} {ss s{ss} ss}]}", "version", "4", "alerts", "status",
        "firing", "labels", "alertname", "Up", "severity", "Critical", "annotations", "summary",
        summary, "startsAt", "2026-12-06T08:00:00.123456789+08:00", "fingerprint", "abc",
        "status", "resolved", "labels", "alertname", "Down", "startsAt", "0001-01-01T00:00:00Z");
    ol_alerts_t a = {0};
    assert_int_equal(ol_intake_read_alertmanager(&c, body, &a), 0);
    assert_int_equal(a.n, 2);
    assert_string_equal(a.items[0].key, "abc");
    assert_string_equal(a.items[0].starts_at, "2026-12-06T00:00:00Z");
    assert_string_equal(a.items[0].severity, "critical");
    assert_int_equal(strlen(a.items[0].title), 200);
    assert_null(strchr(a.items[0].title, '\n'));
    assert_int_equal(a.items[1].resolved, 1);
    assert_null(a.items[1].starts_at);           /* Go's zero time */
    assert_int_equal(strlen(a.items[1].key), 16); /* a hash of the labels */
    ol_alerts_clear(&a);
    json_decref(body);
    body = json_pack("{s[{ss s{si}}]}", "alerts", "status", "firing", "labels", "a", 1);
    assert_int_equal(ol_intake_read_alertmanager(&c, body, &a), -OL_EINVAL);
    assert_int_equal(a.n, 0);
    assert_string_equal(json_string_value(json_object_get(json_array_get(c.errors, 0), "field")),
                        "alerts[0].labels");
    json_decref(body);
    ol_ctx_clear(&c);
}

static void intake_1_4_zabbix_and_events(void **state)
{
    (void)state;
    ol_ctx_t c;
    ol_ctx_init(&c, NULL, "t", NULL);
    json_t *body = json_pack("{sissssssss}", "event_id", 42, "event_value", "1", "trigger_name",
                             "Ping lost", "severity", "5", "host", "sw1");
    ol_alerts_t a = {0};
    assert_int_equal(ol_intake_read_zabbix(&c, body, &a), 0);
    assert_string_equal(a.items[0].key, "42");
    assert_string_equal(a.items[0].severity, "disaster");
    assert_string_equal(a.items[0].title, "Ping lost on sw1");
    assert_int_equal(a.items[0].resolved, 0);
    ol_alerts_clear(&a);
    json_decref(body);
    body = json_pack("{sssssss{ss}}", "dedupe_key", "k1", "summary", "Hi", "severity", "Not Classified",
                     "labels", "host", "h1");
    assert_int_equal(ol_intake_read_event(&c, body, &a), 0);
    assert_string_equal(a.items[0].title, "Alert: Hi"); /* titles have 3 characters at least */
    assert_string_equal(a.items[0].severity, "not_classified");
    ol_alerts_clear(&a);
    json_decref(body);
    ol_ctx_clear(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(intake_1_1_label_rules),
        cmocka_unit_test(intake_1_2_severity_map),
        cmocka_unit_test(intake_1_3_alertmanager_reader),
        cmocka_unit_test(intake_1_4_zabbix_and_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
