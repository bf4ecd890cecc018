/* tests/unit/test_notify.c - P7: webhook bodies and signing, RFC 2047 subjects, the e-mail text,
 * the backoff schedule, and the outbox's enqueue (dedupe, validation) and claim on SQLite.
 * Signing vectors: DingTalk's documented example secret ("this is secret") at a fixed time, and
 * a Feishu secret, each computed independently with Python's hmac (the vendors publish the
 * algorithm and sample code, not fixed outputs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/err.h"
#include "core/notify_format.h"
#include "records/outbox.h"

static const ol_notice_msg_t msg = {
    .id = 42, .key = "sla:INC-000007:warn", .channel = "oncall", .event = "sla.warning",
    .record = "INC-000007", .lang = "en", .subject = "SLA warning", .body = "80% used",
};

static void sign_1_1_dingtalk_and_feishu(void **state)
{
    (void)state;
    char s[64];
    ol_notify_dingtalk_sign("this is secret", 1577262236757LL, s, sizeof s);
    assert_string_equal(s, "hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM=");
    ol_notify_feishu_sign("demo-secret", 1599360473LL, s, sizeof s);
    assert_string_equal(s, "3/MaVZ8JLIy4TUG+7KSFJqvUkTKd+HWY8g+56DZWq8s=");
}

static json_t *body_of(const char *format, const char *url, const char *secret, char **url_out)
{
    char *body;
    assert_int_equal(ol_notify_webhook(format, url, secret, &msg, 1577262236757LL, &body,
                                       url_out), 0);
    json_t *j = json_loads(body, 0, NULL);
    free(body);
    assert_non_null(j);
    return j;
}

static void body_1_2_each_format(void **state)
{
    (void)state;
    char *url;
    json_t *j = body_of("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=T",
                        "this is secret", &url);
    assert_string_equal(json_string_value(json_object_get(j, "msgtype")), "text");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "text"), "content")),
                        "SLA warning\n\n80% used");
    /* The sign is URL-encoded: '+' and '=' must not reach the query as they are. */
    assert_string_equal(url, "https://oapi.dingtalk.com/robot/send?access_token=T&timestamp="
                             "1577262236757&sign=hmPWwU%2B7lVdm3ZZz0r9tSfx0L4Q26jWOZr9%2BGs6EZQM%3D");
    json_decref(j);
    free(url);

    j = body_of("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/x", "demo-secret", &url);
    assert_string_equal(json_string_value(json_object_get(j, "msg_type")), "text");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "content"), "text")),
                        "SLA warning\n\n80% used");
    assert_string_equal(json_string_value(json_object_get(j, "timestamp")), "1577262236");
    char s[64];
    ol_notify_feishu_sign("demo-secret", 1577262236LL, s, sizeof s);
    assert_string_equal(json_string_value(json_object_get(j, "sign")), s);
    assert_string_equal(url, "https://open.feishu.cn/open-apis/bot/v2/hook/x");
    json_decref(j);
    free(url);

    j = body_of("feishu", "https://f/x", NULL, &url); /* unsigned: no timestamp, no sign */
    assert_null(json_object_get(j, "sign"));
    json_decref(j);
    free(url);

    j = body_of("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K", NULL, &url);
    assert_string_equal(json_string_value(json_object_get(j, "msgtype")), "text");
    assert_non_null(json_object_get(json_object_get(j, "text"), "content"));
    assert_string_equal(url, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K");
    json_decref(j);
    free(url);

    j = body_of("slack", "https://hooks.slack.com/services/x", NULL, &url);
    assert_string_equal(json_string_value(json_object_get(j, "text")), "SLA warning\n\n80% used");
    assert_int_equal(json_object_size(j), 1);
    json_decref(j);
    free(url);

    j = body_of("generic", "http://h/", NULL, &url);
    assert_int_equal(json_integer_value(json_object_get(j, "id")), 42);
    assert_string_equal(json_string_value(json_object_get(j, "key")), "sla:INC-000007:warn");
    assert_string_equal(json_string_value(json_object_get(j, "record")), "INC-000007");
    assert_string_equal(json_string_value(json_object_get(j, "event")), "sla.warning");
    json_decref(j);
    free(url);

    char *b = NULL;
    assert_int_equal(ol_notify_webhook("telegram", "http://h/", NULL, &msg, 0, &b, &url), -1);
    assert_false(ol_notify_format_valid("telegram"));
    assert_true(ol_notify_format_valid("wecom"));
}

static void mail_1_3_rfc2047(void **state)
{
    (void)state;
    ol_buf_t b;
    ol_buf_init(&b);
    ol_notify_rfc2047("Plain ASCII subject", &b);
    assert_string_equal(b.p, "Plain ASCII subject");
    b.len = 0;
    ol_notify_rfc2047("测试通知", &b);
    b.p[b.len] = 0;
    assert_string_equal(b.p, "=?UTF-8?B?5rWL6K+V6YCa55+l?=");
    b.len = 0;
    /* 20 three-byte characters: 13 fit in one word (39 bytes), the rest go to a folded line,
     * and no character is split. */
    char zh[61] = "";
    for (int i = 0; i < 20; i++)
        strcat(zh, "测");
    ol_notify_rfc2047(zh, &b);
    b.p[b.len] = 0;
    const char *fold = strstr(b.p, "?=\r\n =?UTF-8?B?");
    assert_non_null(fold);
    assert_null(strstr(fold + 4, "\r\n"));
    unsigned char raw[64];
    size_t n;
    const char *w1 = b.p + 10;
    assert_int_equal(sodium_base642bin(raw, sizeof raw, w1, (size_t)(fold - w1), NULL, &n, NULL,
                                       sodium_base64_VARIANT_ORIGINAL), 0);
    assert_int_equal(n, 39);
    /* A control character is never written raw into a header. */
    b.len = 0;
    ol_notify_rfc2047("a\r\nBcc: x@y", &b);
    b.p[b.len] = 0;
    assert_null(strstr(b.p, "\r\nBcc"));
    ol_buf_clear(&b);
}

static void mail_1_4_message(void **state)
{
    (void)state;
    ol_buf_t b;
    ol_buf_init(&b);
    ol_notify_email(&msg, "ops@example.com", "a@example.com,b@example.com", 1795340564, &b);
    ol_buf_append(&b, "", 1);
    assert_non_null(strstr(b.p, "Date: Sun, 22 Nov 2026 09:42:44 +0000\r\n"));
    assert_non_null(strstr(b.p, "\r\nTo: a@example.com, b@example.com\r\n"));
    assert_non_null(strstr(b.p, "\r\nMessage-ID: <notice-42@example.com>\r\n"));
    assert_non_null(strstr(b.p, "\r\nX-Opsledger-Key: sla:INC-000007:warn\r\n"));
    assert_non_null(strstr(b.p, "\r\nSubject: SLA warning\r\n"));
    /* Many recipients: the To line is folded, never longer than 78 characters. */
    b.len = 0;
    ol_notify_email(&msg, "ops@example.com", "first.long.address@example.com,second.long.address@"
                    "example.com,third.long.address@example.com", 1795340564, &b);
    ol_buf_append(&b, "", 1);
    assert_non_null(strstr(b.p, "\r\nTo: first.long.address@example.com, "
                                "second.long.address@example.com,\r\n "
                                "third.long.address@example.com\r\n"));
    assert_non_null(strstr(b.p, "\r\n\r\nODAlIHVzZWQ=\r\n")); /* base64("80% used") */
    ol_buf_clear(&b);
}

static void backoff_1_5_schedule(void **state)
{
    (void)state;
    /* base 30, max 3600: 30, 60, 120 ... capped; half fixed, half jitter. */
    assert_int_equal(ol_notify_backoff(1, 30, 3600, 0.0), 15);
    assert_int_equal(ol_notify_backoff(1, 30, 3600, 0.9999), 30);
    assert_int_equal(ol_notify_backoff(2, 30, 3600, 0.0), 30);
    assert_int_equal(ol_notify_backoff(3, 30, 3600, 0.9999), 120);
    assert_int_equal(ol_notify_backoff(7, 30, 3600, 0.9999), 1920);
    assert_int_equal(ol_notify_backoff(8, 30, 3600, 0.9999), 3600);
    assert_int_equal(ol_notify_backoff(60, 30, 3600, 0.5), 2700);
    for (int k = 1; k < 40; k++) {
        long d = ol_notify_backoff(k, 30, 3600, (double)randombytes_uniform(1000) / 1000);
        assert_true(d >= 15 && d <= 3600);
    }
}

/* ---- the outbox on SQLite --------------------------------------------------------------------- */

static char db_path[64];

static int enqueue_fn(ol_conn_t *conn, void *arg)
{
    ol_notice_t *n = arg;
    return ol_outbox_enqueue(conn, NULL, n);
}

static int fail_after_enqueue(ol_conn_t *conn, void *arg)
{
    int rc = enqueue_fn(conn, arg);
    return rc ? rc : -OL_ECONFLICT; /* the caller's change fails: its notice must go too */
}

static int count_fn(ol_conn_t *conn, void *arg)
{
    long long *n = arg;
    ol_rows_t *r;
    int rc = ol_db_exec(conn, "SELECT COUNT(*), MAX(attempts), MIN(state) FROM outbox", NULL, 0,
                        &r);
    if (rc)
        return rc;
    n[0] = ol_rows_int(r, 0, 0);
    n[1] = ol_rows_int(r, 0, 1);
    n[2] = ol_rows_get(r, 0, 2) && !strcmp(ol_rows_get(r, 0, 2), "pending");
    ol_rows_free(r);
    return 0;
}

static void outbox_2_1_enqueue_dedupe_and_claim(void **state)
{
    (void)state;
    ol_db_t *db;
    char err[512];
    int version;
    snprintf(db_path, sizeof db_path, "sqlite:/tmp/ol-unit-notify-%d.db", (int)getpid());
    unlink(db_path + 7);
    assert_int_equal(ol_db_open(db_path, NULL, &db, err, sizeof err), 0);
    assert_int_equal(ol_db_migrate(db, &version, err, sizeof err), 0);

    ol_notice_t n = {.channel = "oncall", .event = "sla.warning", .record = "INC-000007",
                     .subject_en = "SLA warning", .body_en = "80% used",
                     .subject_zh = "SLA 预警", .dedupe_key = "sla:INC-000007:warn"};
    long long c[3];
    assert_int_equal(ol_db_write(db, enqueue_fn, &n), 0);
    assert_int_equal(ol_db_write(db, enqueue_fn, &n), 0); /* the same key: a no-op */
    assert_int_equal(ol_db_read(db, count_fn, c), 0);
    assert_int_equal(c[0], 1);

    ol_notice_t other = n;
    other.dedupe_key = "sla:INC-000007:breach";
    assert_int_equal(ol_db_write(db, fail_after_enqueue, &other), -OL_ECONFLICT);
    assert_int_equal(ol_db_read(db, count_fn, c), 0);
    assert_int_equal(c[0], 1); /* rolled back with the change that caused it */

    ol_notice_t bad = n;
    bad.dedupe_key = "has space";
    assert_int_equal(ol_db_write(db, enqueue_fn, &bad), -OL_EINVAL);
    bad = n;
    bad.subject_en = "two\r\nlines";
    assert_int_equal(ol_db_write(db, enqueue_fn, &bad), -OL_EINVAL);
    bad = n;
    bad.channel = "Not A Name";
    assert_int_equal(ol_db_write(db, enqueue_fn, &bad), -OL_EINVAL);

    /* The channel does not exist: the attempt fails and the notice waits for its backoff. */
    assert_int_equal(ol_outbox_run_once(db, NULL), 1);
    assert_int_equal(ol_db_read(db, count_fn, c), 0);
    assert_int_equal(c[1], 1);
    assert_true(c[2]);
    assert_int_equal(ol_outbox_run_once(db, NULL), 0); /* not due yet */
    ol_db_close(db);
    unlink(db_path + 7);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    static ol_config_t cfg; /* the defaults: ol_config() points here */
    char *argv[] = {"t", NULL};
    int argc = 1;
    char err[256];
    if (ol_config_load(&cfg, &argc, argv, err, sizeof err))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sign_1_1_dingtalk_and_feishu),
        cmocka_unit_test(body_1_2_each_format),
        cmocka_unit_test(mail_1_3_rfc2047),
        cmocka_unit_test(mail_1_4_message),
        cmocka_unit_test(backoff_1_5_schedule),
        cmocka_unit_test(outbox_2_1_enqueue_dedupe_and_claim),
    };
    int failed = cmocka_run_group_tests_name("notify", tests, NULL, NULL);
    char wal[80];
    snprintf(wal, sizeof wal, "%s-wal", db_path + 7);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", db_path + 7);
    unlink(wal);
    return failed;
}
