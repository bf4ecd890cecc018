/* tests/fuzz/fuzz_intake.c - I1: monitoring payloads (Alertmanager, Zabbix, the event API) as
 * the intake routes read them, then mapped and prepared as a write that is released without
 * running (no database). A payload is either taken whole - every alert with a key, a title of
 * 3-200 characters free of control characters, an impact and an urgency - or refused with
 * field errors and nothing kept. */
#include "core/err.h"
#include "core/json.h"
#include "fuzz.h"
#include "modules/intake.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init_common();
    return 0;
}

static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static void check_alerts(const ol_alerts_t *a, const char *what)
{
    for (size_t i = 0; i < a->n; i++) {
        const ol_alert_t *x = &a->items[i];
        FUZZ_CHECK(x->key && *x->key, "%s: alert %zu without a key", what, i);
        FUZZ_CHECK(x->title && chars(x->title) >= 3 && chars(x->title) <= 200,
                   "%s: title of %zu characters", what, x->title ? chars(x->title) : 0);
        for (const char *p = x->title; *p; p++)
            FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f, "%s: control in title", what);
        FUZZ_CHECK(ol_utf8_valid(x->title), "%s: title is not UTF-8", what);
        FUZZ_CHECK(ol_utf8_valid(x->description), "%s: description is not UTF-8", what);
        FUZZ_CHECK(x->name && x->severity && x->url && json_is_object(x->labels),
                   "%s: alert %zu incomplete", what, i);
    }
}

static void run(const json_t *body, const char *lang,
                int (*read)(ol_ctx_t *, const json_t *, ol_alerts_t *), const char *what)
{
    static const char *const roles[] = {"service_desk", "monitoring", NULL};
    ol_ctx_t c;
    ol_ctx_init(&c, NULL, "integration.fuzz", roles);
    c.lang = lang;
    ol_alerts_t a = {0};
    int rc = read(&c, body, &a);
    fuzz_check_errors(c.errors);
    if (rc) {
        FUZZ_CHECK(rc == -OL_EINVAL && json_array_size(c.errors) > 0 && a.n == 0,
                   "%s: refused (%d) without field errors, or kept alerts", what, rc);
    } else {
        FUZZ_CHECK(json_array_size(c.errors) == 0, "%s: taken with field errors", what);
        check_alerts(&a, what);
        ol_integration_t in = {.id = 1, .name = "fuzz", .kind = "generic",
                               .actor = "integration.fuzz"};
        if (a.n % 2)
            snprintf(in.labels, sizeof in.labels, "service=app,service;ci=host");
        ol_write_t w = {0};
        FUZZ_CHECK(ol_intake_prepare(&c, &in, &a, &w) == 0 && w.fn && w.free_arg,
                   "%s: prepare failed", what);
        FUZZ_CHECK(a.n == 0, "%s: prepare did not take the alerts", what);
        w.free_arg(w.arg);
    }
    ol_alerts_clear(&a);
    ol_ctx_clear(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *lang = size % 2 ? "zh-CN" : "en";
    char err[256];
    json_t *body;
    if (ol_json_parse((const char *)data, size, 32, &body, err, sizeof err))
        return 0;
    if (json_is_object(body)) {
        run(body, lang, ol_intake_read_alertmanager, "alertmanager");
        run(body, lang, ol_intake_read_zabbix, "zabbix");
        run(body, lang, ol_intake_read_event, "event");
    }
    json_decref(body);
    return 0;
}
