/* auth/lockout.c - S2: what a login attempt does to the account once its password was checked:
 * failures counted and locked out, the high-risk alert, resets on success, and the refusals
 * of disabled or expired accounts and passwords (S1, S4).
 *
 * "A day" for the alert is the UTC calendar day: fail_day holds the day and fail_day_count the
 * failures in it, so one alert is raised per account and day, on the first failure above the
 * limit. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/account.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/log.h"
#include "core/metrics.h"
#include "records/audit.h"
#include "records/outbox.h"
#include "records/schema.h"

typedef struct {
    ol_ctx_t *c;
    const ol_account_t *a;
    int locked;           /* already locked when the attempt came */
    int audited;          /* the failed login is in the audit trail already */
    char day[11];
    int now_locked;       /* this failure locked it */
    char until[32];
    int alert;            /* this failure raised the day's alert */
    long long day_count;
} fail_job_t;

static int notify_alert(ol_conn_t *conn, const fail_job_t *j);

static int fail_job(ol_conn_t *conn, void *arg)
{
    fail_job_t *j = arg;
    const ol_config_t *cfg = ol_config();
    ol_rows_t *r;
    ol_val_t p[] = {OL_VINT(j->a->id), OL_VTEXT(j->day), OL_VINT(j->locked ? 0 : 1)};
    int rc = ol_db_exec(conn, "UPDATE users SET failed_logins = failed_logins + ?3, "
                              "fail_day_count = CASE WHEN fail_day = ?2 THEN fail_day_count + 1 "
                              "ELSE 1 END, fail_day = ?2 WHERE id = ?1 "
                              "RETURNING failed_logins, fail_day_count", p, 3, &r);
    if (rc)
        return rc;
    long long consecutive = ol_rows_int(r, 0, 0);
    j->day_count = ol_rows_int(r, 0, 1);
    ol_rows_free(r);
    if (!j->locked && consecutive >= ol_config_int(cfg->lockout_threshold)) {
        ol_iso_ms(ol_time() + ol_config_int(cfg->lockout_minutes) * 60, j->until);
        ol_val_t q[] = {OL_VINT(j->a->id), OL_VTEXT(j->until)};
        rc = ol_db_exec(conn, "UPDATE users SET locked_until = ?2, failed_logins = 0 "
                              "WHERE id = ?1", q, 2, NULL);
        char detail[160];
        snprintf(detail, sizeof detail, "{\"until\":\"%s\",\"failures\":%lld}", j->until,
                 consecutive);
        if (rc == 0)
            rc = ol_audit_write(conn, j->c, "auth.lockout", j->a->username, "ok", detail);
        j->now_locked = 1;
    }
    if (rc == 0 && !j->audited)
        rc = ol_audit_write(conn, j->c, "auth.login", j->a->username, "denied",
                            j->locked ? "{\"reason\":\"locked\"}"
                                      : "{\"reason\":\"bad credentials\"}");
    if (rc == 0 && j->day_count == ol_config_int(cfg->lockout_alert_failures) + 1) {
        /* json_pack: a directory account's name is not limited to safe characters. */
        json_t *d = json_pack("{sssssssIsssi}", "severity", "high", "kind", "login_failures",
                              "user", j->a->username, "failures", (json_int_t)j->day_count,
                              "day", j->day, "respond_within_minutes", 30);
        char *detail = json_dumps(d, JSON_COMPACT);
        rc = ol_audit_write_sev(conn, j->c, OL_AUDIT_HIGH, "security.alert", j->a->username,
                                "ok", detail);
        free(detail);
        json_decref(d);
        if (rc == 0)
            rc = notify_alert(conn, j);
        j->alert = 1;
    }
    return rc;
}

/* S2: the security team hears of the alert through the outbox (P7), in the alert's own
 * transaction: security_alert_channel and the notification rules' channels; once per account and
 * day. */
static int notify_alert(ol_conn_t *conn, const fail_job_t *j)
{
    const char *channel = ol_config()->security_alert_channel;
    char subject_en[256], subject_zh[256], body_en[512], body_zh[512], key[200];
    snprintf(subject_en, sizeof subject_en, "Security alert: %lld failed logins of %s today",
             (long long)j->day_count, j->a->username);
    snprintf(subject_zh, sizeof subject_zh, "安全告警:账号 %s 今日登录失败 %lld 次",
             j->a->username, (long long)j->day_count);
    snprintf(body_en, sizeof body_en, "More than %s failed logins of the account %s on %s "
             "(UTC): a high-risk security event (S2). Check the audit trail (security.alert).",
             ol_config()->lockout_alert_failures, j->a->username, j->day);
    snprintf(body_zh, sizeof body_zh, "账号 %s 在 %s(UTC)登录失败超过 %s 次:高风险安全事件(S2)。"
             "请查看审计日志(security.alert)。", j->a->username, j->day,
             ol_config()->lockout_alert_failures);
    snprintf(key, sizeof key, "security.alert:login_failures:%lld:%s", j->a->id, j->day);
    ol_notice_t n = {.channel = channel, .event = "security.alert", .record = NULL,
                     .subject_en = subject_en, .body_en = body_en, .subject_zh = subject_zh,
                     .body_zh = body_zh, .dedupe_key = key};
    return ol_outbox_enqueue(conn, j->c, &n);
}

static int reset_job(ol_conn_t *conn, void *arg)
{
    const ol_account_t *a = arg;
    ol_val_t p[] = {OL_VINT(a->id)};
    return ol_db_exec(conn, "UPDATE users SET failed_logins = 0, locked_until = NULL "
                            "WHERE id = ?1", p, 1, NULL);
}

/* The detail of a refusal in the caller's language (records/messages.c). */
static int fail_msg(ol_ctx_t *c, int rc, const char *code, const char *arg)
{
    char text[256];
    return ol_ctx_fail(c, rc, "%s", ol_msg(code, c->lang, arg, text, sizeof text));
}

/* Refuses with a problem type the login answer shows (c->result); msg: a message code. */
static int refuse(ol_ctx_t *c, const char *username, const char *type, const char *reason,
                  const char *at_key, time_t at, const char *msg)
{
    char when[32], audit[96];
    ol_ctx_t as = *c;
    as.user = username;
    snprintf(audit, sizeof audit, "{\"reason\":\"%s\"}", reason);
    ol_audit_write_now(c->db, &as, "auth.login", username, "denied", audit);
    json_decref(c->result);
    c->result = json_pack("{ss}", "type", type);
    if (at_key && at)
        json_object_set_new(c->result, at_key, json_string(ol_iso_ms(at, when)));
    return fail_msg(c, -OL_EFORBIDDEN, msg, NULL);
}

static int refuse_locked(ol_ctx_t *c, time_t until)
{
    char when[32];
    json_decref(c->result);
    c->result = json_pack("{ssss}", "type", "account-locked", "unlocks_at",
                          ol_iso_ms(until, when));
    return fail_msg(c, -OL_EFORBIDDEN, "login_locked", when);
}

int ol_login_gate(ol_ctx_t *c, const char *username, const ol_account_t *a, int ok, int flags)
{
    int expired_ok = (flags & OL_GATE_EXPIRED_OK) || a->directory;
    time_t now = ol_time();
    ol_ctx_t as = *c;
    as.user = username;
    if (!a->found) {
        ol_audit_write_now(c->db, &as, "auth.login", username, "denied",
                           "{\"reason\":\"bad credentials\"}");
        return fail_msg(c, -OL_EUNAUTH, "ldap_bad_credentials", NULL);
    }
    int locked = a->locked_until > now;
    if (!ok || locked) {
        if (locked && ok) {
            ol_audit_write_now(c->db, &as, "auth.login", username, "denied",
                               "{\"reason\":\"locked\"}");
            return refuse_locked(c, a->locked_until);
        }
        fail_job_t j = {.c = &as, .a = a, .locked = locked, .audited = flags & OL_GATE_AUDITED};
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(j.day, sizeof j.day, "%Y-%m-%d", &tm);
        int rc = ol_db_write(c->db, fail_job, &j);
        if (rc)
            return ol_ctx_fail(c, rc, "the database is unavailable");
        if (j.alert) {
            ol_log(OL_LOG_WARN, "security alert (high): %lld failed logins today for account "
                   "'%s'", j.day_count, username);
            ol_metrics_security_alert("login_failures");
        }
        if (j.now_locked)
            ol_log(OL_LOG_WARN, "account '%s' locked until %s after failed logins", username,
                   j.until);
        if (locked)
            return refuse_locked(c, a->locked_until);
        if (j.now_locked)
            return refuse_locked(c, now + ol_config_int(ol_config()->lockout_minutes) * 60);
        /* The same words for every wrong password, local or directory (records/messages.c). */
        return fail_msg(c, -OL_EUNAUTH, "ldap_bad_credentials", NULL);
    }
    if ((a->failed_logins || a->locked_until) && ol_db_write(c->db, reset_job, (void *)a))
        return ol_ctx_fail(c, -OL_EUNAVAILABLE, "the database is unavailable");
    if (a->disabled)
        return refuse(c, username, "account-disabled", "disabled", NULL, 0, "login_disabled");
    if (a->expires_at && a->expires_at <= now)
        return refuse(c, username, "account-expired", "account expired", "expired_at",
                      a->expires_at, "login_expired");
    time_t pw_expiry = ol_account_password_expiry(a);
    if (!expired_ok && a->must_change)
        return refuse(c, username, "password-expired", "must change password", NULL, 0,
                      "login_pw_reset");
    if (!expired_ok && pw_expiry && pw_expiry <= now)
        return refuse(c, username, "password-expired", "password expired",
                      "password_expired_at", pw_expiry, "login_pw_expired");
    return 0;
}
