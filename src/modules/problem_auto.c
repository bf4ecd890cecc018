/* modules/problem_auto.c - Q1: problems from incident trends (002 §2.4.1, §2.4.3). After each
 * incident write, in its transaction: the incident is linked ("caused_by") to the open problem
 * of its kind; without one, problem_auto_threshold unlinked incidents of the kind within
 * problem_auto_window_hours open a problem linked to them all; and a problem behind
 * problem_major_high_incidents high-priority incidents becomes a major problem. Every write
 * goes through the engine as "system", so it is validated, in the history and audited.
 * Q4: the close transition's recurrence check. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "core/json.h"
#include "core/mem.h"
#include "modules/problem.h"
#include "records/outbox.h"
#include "records/store.h"

extern const ol_record_type_t ol_incident_type;

#define MAX_GROUP 200 /* incidents one automatic problem links at most */
#define LISTED 20     /* incidents named in its phenomenon */

static const char *const system_roles[] = {"admin", NULL};

/* t as the engine writes times ("2026-11-22T10:00:00.000Z"), so text comparisons order them. */
static const char *iso_ms(time_t t, char *buf)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
    return buf;
}

/* Runs a prepared engine write inside the current transaction as "system"; on failure the
 * reason goes to c. On success *result (if given) takes the answer (caller decrefs). */
static int run_as_system(ol_conn_t *conn, ol_ctx_t *c, int rc, ol_ctx_t *sys, ol_write_t *w,
                         json_t **result)
{
    if (rc == 0) {
        rc = w->fn(conn, w->arg);
        w->free_arg(w->arg);
    }
    if (rc)
        ol_ctx_fail(c, rc, "Q1 automatic problem: %s", sys->detail);
    else if (result)
        *result = json_incref(sys->result);
    ol_ctx_clear(sys);
    return rc;
}

static void system_ctx(ol_ctx_t *sys, const ol_ctx_t *c)
{
    ol_ctx_init(sys, c->db, "system", system_roles);
    sys->via = "system";
    sys->lang = c->lang;
    sys->ip = c->ip;
}

static int link_incident(ol_conn_t *conn, ol_ctx_t *c, const char *incident, const char *problem)
{
    ol_ctx_t sys;
    ol_write_t w;
    system_ctx(&sys, c);
    json_t *in = json_pack("{ssss}", "type", "caused_by", "target", problem);
    int rc = ol_rec_link_prepare(&sys, &ol_incident_type, incident, in, &w);
    json_decref(in);
    return run_as_system(conn, c, rc, &sys, &w, NULL);
}

/* A problem of the first row of sql (OL_REC_COLUMNS), or NULL. */
static int load_problem(ol_conn_t *conn, ol_ctx_t *c, const char *sql, const ol_val_t *p, int n,
                        json_t **out)
{
    ol_rows_t *r;
    int rc = ol_db_exec(conn, sql, p, n, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    *out = ol_rows_count(r) ? ol_rec_from_row_plain(&ol_problem_type, r, 0) : NULL;
    ol_rows_free(r);
    return 0;
}

/* The SQL text of one of records.data's fields (name from the compiled-in tables only). */
static void data_field(ol_conn_t *conn, const char *prefix, const char *name, char *buf,
                       size_t len)
{
    if (ol_conn_kind(conn) == OL_DB_SQLITE)
        snprintf(buf, len, "json_extract(%sdata, '$.%s')", prefix, name);
    else
        snprintf(buf, len, "(%sdata->>'%s')", prefix, name);
}

/* The unlinked incidents of kind within the window (up to MAX_GROUP, oldest first). */
static int unlinked_of_kind(ol_conn_t *conn, ol_ctx_t *c, const char *kind, const json_t *inc,
                            json_t **out)
{
    static const struct {
        const char *prefix, *field;
    } by[] = {{"alert:", "alert_name"}, {"ci:", "ci"}, {"service:", "service"}};
    const char *field = NULL;
    for (size_t i = 0; i < sizeof by / sizeof by[0]; i++)
        if (!strncmp(kind, by[i].prefix, strlen(by[i].prefix)))
            field = by[i].field;
    *out = json_array();
    assert(field); /* ol_problem_kind makes only these kinds */
    if (!field)
        return 0;
    char col[64], sql[1024], from[32];
    data_field(conn, "", field, col, sizeof col);
    snprintf(sql, sizeof sql,
             "SELECT " OL_REC_COLUMNS " FROM records WHERE type = 'incident' AND created_at >= ?1 "
             "AND state <> 'cancelled' AND %s = ?2 AND NOT EXISTS (SELECT 1 FROM links l JOIN "
             "records p ON p.id = l.dst_id WHERE l.src_id = records.id AND l.link_type = "
             "'caused_by' AND p.type = 'problem') ORDER BY id LIMIT %d",
             col, MAX_GROUP);
    long hours = ol_config_int(ol_config()->problem_auto_window_hours);
    ol_val_t p[] = {OL_VTEXT(iso_ms(ol_time() - hours * 3600, from)),
                    OL_VTEXT(json_string_value(json_object_get(inc, field)))};
    ol_rows_t *r;
    int rc = ol_db_exec(conn, sql, p, 2, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    char k[OL_PROBLEM_KIND_MAX];
    for (int i = 0; i < ol_rows_count(r); i++) {
        json_t *rec = ol_rec_from_row_plain(&ol_incident_type, r, i);
        const char *rk = ol_problem_kind(rec, k, sizeof k);
        if (rk && !strcmp(rk, kind))
            json_array_append(*out, rec);
        json_decref(rec);
    }
    ol_rows_free(r);
    return 0;
}

/* Copies at most max bytes of s into buf, never splitting a UTF-8 character. */
static const char *utf8_prefix(const char *s, size_t max, char *buf)
{
    size_t n = strlen(s);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(buf, s, n);
    buf[n] = 0;
    return buf;
}

/* Tells problem_channel and the notification rules (P7), in the write's transaction, that problem (its answer form) opened
 * by itself (event "problem.opened") or became major ("problem.major"). */
static int notify(ol_conn_t *conn, ol_ctx_t *c, const json_t *problem, int major)
{
    const ol_config_t *cfg = ol_config(); /* an empty problem_channel: the teams' rules only */
    const char *number = json_string_value(json_object_get(problem, "number"));
    const char *title = json_string_value(json_object_get(problem, "title"));
    const char *count = major ? cfg->problem_major_high_incidents : cfg->problem_auto_threshold;
    const char *hours = major ? cfg->problem_major_close_hours : cfg->problem_auto_window_hours;
    const char *event = major ? "problem.major" : "problem.opened";
    char subject_en[320], subject_zh[320], body_en[512], body_zh[512], key[64], shown[200];
    utf8_prefix(title ? title : "", 180, shown);
    /* The formats stay literals (checked by -Wformat); each takes the same arguments. */
    snprintf(subject_en, sizeof subject_en,
             major ? "Major problem %s: %s" : "Problem %s opened: %s", number, shown);
    snprintf(subject_zh, sizeof subject_zh, major ? "重大问题 %s:%s" : "自动创建问题 %s:%s",
             number, shown);
    snprintf(body_en, sizeof body_en,
             major ? "%s is now a major problem: %s high-priority incidents lie behind it (Q1). "
                     "Close it within %s h."
                   : "%s was opened by itself: %s incidents of one kind within %s h (Q1). "
                     "Review and assign it.",
             number, count, hours);
    snprintf(body_zh, sizeof body_zh,
             major ? "%s 已升级为重大问题:关联 %s 起高优先级事件(Q1),须在 %s 小时内闭环。"
                   : "%s 由系统自动创建:%s 起同类事件发生于 %s 小时内(Q1),请审核分派。",
             number, count, hours);
    snprintf(key, sizeof key, "%s:%s", event, number);
    ol_notice_t n = {.channel = cfg->problem_channel, .event = event, .record = number,
                     .subject_en = subject_en, .body_en = body_en, .subject_zh = subject_zh,
                     .body_zh = body_zh, .dedupe_key = key};
    int rc = ol_outbox_enqueue(conn, c, &n);
    return rc ? ol_ctx_db_fail(c, conn, rc) : 0;
}

/* Opens a problem for the incidents of group (all of one kind) and links them to it. */
static int open_problem(ol_conn_t *conn, ol_ctx_t *c, const char *kind, const json_t *group,
                        json_t **problem)
{
    const json_t *first = json_array_get(group, 0);
    int zh = c->lang && !strcmp(c->lang, "zh-CN");
    char title[256], shown[160];
    snprintf(title, sizeof title, zh ? "同类事件重复发生:%s" : "Recurring incidents: %s",
             utf8_prefix(kind, 150, shown));
    long hours = ol_config_int(ol_config()->problem_auto_window_hours);
    ol_buf_t ph;
    ol_buf_init(&ph);
    ol_buf_printf(&ph, zh ? "%zu 起同类事件(%s)发生于 %ld 小时内:"
                          : "%zu incidents of one kind (%s) within %ld hours:",
                  json_array_size(group), kind, hours);
    const char *prio = "medium";
    size_t i;
    const json_t *inc;
    json_array_foreach(group, i, inc) {
        const char *p = json_string_value(json_object_get(inc, "priority"));
        if (p && !strcmp(p, "high"))
            prio = "high";
        if (i < LISTED)
            ol_buf_printf(&ph, "\n%s %s", json_string_value(json_object_get(inc, "number")),
                          json_string_value(json_object_get(inc, "title")));
    }
    json_t *in = json_pack("{ssssssssss}", "title", title, "problem_type", "potential",
                           "priority", prio, "source", "incident_trend", "phenomenon", ph.p);
    ol_buf_clear(&ph);
    static const char *const copied[] = {"category", "ci", "service", "alert_name", NULL};
    for (const char *const *f = copied; *f; f++) {
        const char *v = json_string_value(json_object_get(first, *f));
        if (v && *v)
            json_object_set_new(in, *f, json_string(v));
    }
    ol_ctx_t sys;
    ol_write_t w;
    system_ctx(&sys, c);
    int rc = ol_rec_create_prepare(&sys, &ol_problem_type, in, &w);
    json_decref(in);
    if ((rc = run_as_system(conn, c, rc, &sys, &w, problem)))
        return rc;
    const char *number = json_string_value(json_object_get(*problem, "number"));
    json_array_foreach(group, i, inc) {
        if (rc == 0)
            rc = link_incident(conn, c, json_string_value(json_object_get(inc, "number")),
                               number);
    }
    return rc ? rc : notify(conn, c, *problem, 0);
}

/* Q1: a problem behind enough high-priority incidents becomes major (and high priority). */
static int maybe_major(ol_conn_t *conn, ol_ctx_t *c, const json_t *problem)
{
    const char *number = json_string_value(json_object_get(problem, "number"));
    const char *type = json_string_value(json_object_get(problem, "problem_type"));
    if (type && !strcmp(type, "major"))
        return 0;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(number)};
    int rc = ol_db_exec(conn,
                        "SELECT count(*) FROM links l JOIN records i ON i.id = l.src_id JOIN "
                        "records p ON p.id = l.dst_id WHERE p.number = ?1 AND l.link_type = "
                        "'caused_by' AND i.type = 'incident' AND i.priority = 'high'",
                        p, 1, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    long long high = ol_rows_int(r, 0, 0);
    ol_rows_free(r);
    if (high < ol_config_int(ol_config()->problem_major_high_incidents))
        return 0;
    ol_ctx_t sys;
    ol_write_t w;
    system_ctx(&sys, c);
    json_t *in = json_pack("{ssss}", "problem_type", "major", "priority", "high");
    rc = ol_rec_update_prepare(&sys, &ol_problem_type, number,
                               json_integer_value(json_object_get(problem, "version")), in, &w);
    json_decref(in);
    rc = run_as_system(conn, c, rc, &sys, &w, NULL);
    return rc ? rc : notify(conn, c, problem, 1);
}

int ol_problem_after_incident(ol_conn_t *conn, ol_ctx_t *c, const json_t *incident,
                              const char *action)
{
    (void)action; /* any write may give an incident its kind or a high priority */
    const char *number = json_string_value(json_object_get(incident, "number"));
    const char *state = json_string_value(json_object_get(incident, "state"));
    if (state && !strcmp(state, "cancelled"))
        return 0; /* a mistaken or duplicate incident is no occurrence */
    char kbuf[OL_PROBLEM_KIND_MAX];
    const char *kind = ol_problem_kind(incident, kbuf, sizeof kbuf);
    json_t *problem = NULL;
    ol_val_t p[] = {OL_VTEXT(number)};
    int rc = load_problem(conn, c,
                          "SELECT p.id, p.type, p.number, p.title, p.state, p.priority, p.owner, "
                          "p.grp, p.version, p.created_at, p.updated_at, p.state_changed_at, "
                          "p.created_by, p.updated_by, p.data FROM links l JOIN records i ON "
                          "i.id = l.src_id JOIN records p ON p.id = l.dst_id WHERE i.number = ?1 "
                          "AND l.link_type = 'caused_by' AND p.type = 'problem' AND p.state NOT "
                          "IN ('closed', 'rejected') ORDER BY p.id LIMIT 1",
                          p, 1, &problem);
    if (rc == 0 && !problem && kind && ol_conn_kind(conn) == OL_DB_PG) {
        /* PostgreSQL runs writes side by side: incidents of one kind take turns here, so the
         * second sees the problem the first opened (READ COMMITTED: each statement sees the
         * latest commits) instead of opening another. Creates already queue on the number
         * counter's row; this covers updates that give incidents their kind. SQLite has a
         * single writer. */
        ol_val_t lp[] = {OL_VTEXT(kind)};
        rc = ol_db_exec(conn, "SELECT pg_advisory_xact_lock(hashtext(CAST(?1 AS TEXT)))", lp, 1,
                        NULL);
        if (rc)
            rc = ol_ctx_db_fail(c, conn, rc);
    }
    if (rc == 0 && !problem && kind) {
        char col[64], sql[512];
        data_field(conn, "", "kind", col, sizeof col);
        snprintf(sql, sizeof sql,
                 "SELECT " OL_REC_COLUMNS " FROM records WHERE type = 'problem' AND state NOT IN "
                 "('closed', 'rejected') AND %s = ?1 ORDER BY id LIMIT 1", col);
        ol_val_t kp[] = {OL_VTEXT(kind)};
        rc = load_problem(conn, c, sql, kp, 1, &problem);
        if (rc == 0 && problem)
            rc = link_incident(conn, c, number,
                               json_string_value(json_object_get(problem, "number")));
        json_t *group = NULL;
        if (rc == 0 && !problem)
            rc = unlinked_of_kind(conn, c, kind, incident, &group);
        if (rc == 0 && group &&
            (long)json_array_size(group) >= ol_config_int(ol_config()->problem_auto_threshold))
            rc = open_problem(conn, c, kind, group, &problem);
        json_decref(group);
    }
    if (rc == 0 && problem)
        rc = maybe_major(conn, c, problem);
    json_decref(problem);
    return rc;
}

int ol_problem_check_recurrence(ol_conn_t *conn, ol_ctx_t *c, const json_t *problem)
{
    time_t fixed;
    char after[32];
    if (ol_iso_parse(json_string_value(json_object_get(problem, "fixed_at")), &fixed))
        return ol_ctx_fail(c, -OL_ESTATE, "Q4: the problem has no fix date: verify it first");
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(json_string_value(json_object_get(problem, "number"))),
                    OL_VTEXT(iso_ms(fixed, after))};
    int rc = ol_db_exec(conn,
                        "SELECT i.number, i.created_at FROM links l JOIN records i ON i.id = "
                        "l.src_id JOIN records p ON p.id = l.dst_id WHERE p.number = ?1 AND "
                        "l.link_type = 'caused_by' AND i.type = 'incident' AND i.state <> "
                        "'cancelled' AND i.created_at >= ?2 "
                        "ORDER BY i.id LIMIT 1",
                        p, 2, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    if (ol_rows_count(r))
        rc = ol_ctx_fail(c, -OL_ESTATE,
                         "Q4: a problem is closed only after its fix was verified, but %s of the "
                         "same kind recurred at %s after the fix: reopen the fix",
                         ol_rows_get(r, 0, 0), ol_rows_get(r, 0, 1));
    ol_rows_free(r);
    return rc;
}
