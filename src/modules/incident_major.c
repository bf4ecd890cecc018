/* modules/incident_major.c - the incident's derived fields for I5-I7, kept by its check hook on
 * every write (and by serve's sweep through wake-ups when a deadline passes unattended):
 *
 * I5 (004 §9.1.6.3): an incident at incident_report_level or above is reportable from its
 *   detection, or from the write that raised it to such a level; raised further (e.g. 2 -> 1)
 *   the timers start again for the new level (调高级别按新级别报告). The initial report is due
 *   incident_report_initial_minutes and the written one incident_report_written_minutes after
 *   that; after the written report a follow-up is due incident_report_followup_minutes after
 *   the last report until the incident is closed. Reports are incident_report records; only
 *   submitted ones since the timers started count.
 * I6 (000 §4.2): a major incident (declared by emergency_command or ops_manager, or by itself at
 *   incident_major_auto_level) owes a progress update (a timeline entry of kind "update") every
 *   incident_major_update_minutes while it is open.
 * I7 (002 §2.3.2): a resolved incident not confirmed within incident_confirm_minutes is closed by
 *   serve's sweep (auto_close); the recovery time is detected -> resolved.
 * Each deadline that passes sets its overdue flag and tells incident_channel once. */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/err.h"
#include "modules/incident_major.h"
#include "modules/problem.h"
#include "modules/service_desk.h"
#include "records/outbox.h"
#include "records/store.h"

extern const ol_record_type_t ol_incident_type;

static const char *const system_roles[] = {"admin", NULL};
static const char *const commanders[] = {"emergency_command", "ops_manager", NULL};

int ol_incident_actor_has(const ol_ctx_t *c, const char *const *roles)
{
    static const char *const admin[] = {"admin", NULL};
    if (c->user && !strcmp(c->user, "system"))
        return 1;
    return c->roles && (ol_roles_allow(roles, c->roles) || ol_roles_allow(admin, c->roles));
}

int ol_incident_notify(ol_conn_t *conn, ol_ctx_t *c, const char *event, const char *record,
                       const char *key, const char *subject_en, const char *subject_zh,
                       const char *body_en, const char *body_zh)
{
    const char *channel = ol_config()->incident_channel;
    if (!*channel)
        return 0;
    ol_notice_t n = {.channel = channel, .event = event, .record = record,
                     .subject_en = subject_en, .body_en = body_en, .subject_zh = subject_zh,
                     .body_zh = body_zh, .dedupe_key = key};
    int rc = ol_outbox_enqueue(conn, c, &n);
    return rc ? ol_ctx_db_fail(c, conn, rc) : 0;
}

/* The engine acting as "system" on behalf of c's write (its language and address). */
static void system_ctx(ol_ctx_t *sys, const ol_ctx_t *c)
{
    ol_ctx_init(sys, c->db, "system", system_roles);
    sys->via = "system";
    sys->lang = c->lang;
    sys->ip = c->ip;
}

int ol_incident_touch(ol_conn_t *conn, ol_ctx_t *c, const char *number)
{
    json_t *inc = NULL;
    int rc = ol_rec_find(conn, c, &ol_incident_type, number, &inc);
    if (rc)
        return rc == -OL_ENOTFOUND ? 0 : rc;
    ol_ctx_t sys;
    system_ctx(&sys, c);
    ol_write_t w;
    json_t *none = json_object();
    rc = ol_rec_update_prepare(&sys, &ol_incident_type, number,
                               json_integer_value(json_object_get(inc, "version")), none, &w);
    json_decref(none);
    json_decref(inc);
    if (rc == 0) {
        rc = w.fn(conn, w.arg);
        w.free_arg(w.arg);
    }
    if (rc)
        ol_ctx_fail(c, rc, "updating %s: %s", number, sys.detail);
    ol_ctx_clear(&sys);
    return rc;
}

/* ---- reading the incident's reports and timeline -------------------------------------------- */

static void data_col(ol_conn_t *conn, const char *name, char *buf, size_t len)
{
    if (ol_conn_kind(conn) == OL_DB_SQLITE)
        snprintf(buf, len, "json_extract(data, '$.%s')", name);
    else
        snprintf(buf, len, "(data->>'%s')", name);
}

/* The time of the last progress update (timeline entry of kind "update") of the incident. */
static int last_update(ol_conn_t *conn, ol_ctx_t *c, const char *number, time_t *at)
{
    char inc[64], kind[64], sql[400];
    data_col(conn, "incident", inc, sizeof inc);
    data_col(conn, "kind", kind, sizeof kind);
    snprintf(sql, sizeof sql,
             "SELECT max(created_at) FROM records WHERE type = 'timeline_entry' AND %s = ?1 AND "
             "%s = 'update'", inc, kind);
    ol_val_t p[] = {OL_VTEXT(number)};
    ol_rows_t *r;
    int rc = ol_db_exec(conn, sql, p, 1, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    *at = 0;
    if (ol_rows_count(r) && ol_rows_get(r, 0, 0))
        ol_iso_parse(ol_rows_get(r, 0, 0), at);
    ol_rows_free(r);
    return 0;
}

typedef struct {
    time_t initial, written, followup; /* first initial, first written, last report of any kind */
} reports_t;

/* The submitted reports of the incident at or after from. */
static int submitted(ol_conn_t *conn, ol_ctx_t *c, const char *number, time_t from,
                     reports_t *out)
{
    char inc[64], kind[64], at[64], sql[400];
    data_col(conn, "incident", inc, sizeof inc);
    data_col(conn, "kind", kind, sizeof kind);
    data_col(conn, "submitted_at", at, sizeof at);
    snprintf(sql, sizeof sql,
             "SELECT %s, %s FROM records WHERE type = 'incident_report' AND state = 'submitted' "
             "AND %s = ?1", kind, at, inc);
    ol_val_t p[] = {OL_VTEXT(number)};
    ol_rows_t *r;
    memset(out, 0, sizeof *out);
    int rc = ol_db_exec(conn, sql, p, 1, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    for (int i = 0; i < ol_rows_count(r); i++) {
        time_t t;
        const char *k = ol_rows_get(r, i, 0);
        if (!k || ol_iso_parse(ol_rows_get(r, i, 1), &t) || t < from)
            continue;
        if (!strcmp(k, "initial") && (!out->initial || t < out->initial))
            out->initial = t;
        if (!strcmp(k, "written") && (!out->written || t < out->written))
            out->written = t;
        if (t > out->followup)
            out->followup = t;
    }
    ol_rows_free(r);
    return 0;
}

/* ---- derived fields --------------------------------------------------------------------------- */

static void set_time(json_t *rec, const char *key, time_t t)
{
    char buf[32];
    json_object_set_new(rec, key, t ? json_string(ol_iso_at(t, buf)) : json_null());
}

static time_t get_time(const json_t *rec, const char *key)
{
    time_t t;
    return ol_iso_parse(json_string_value(json_object_get(rec, key)), &t) ? 0 : t;
}

static int is_open(const char *state)
{
    static const char *const open[] = {"new", "assigned", "in_progress", "awaiting_user", NULL};
    for (int k = 0; open[k]; k++)
        if (!strcmp(open[k], state))
            return 1;
    return 0;
}

/* A flag that is set now but was not before: the moment to remind. */
static int rose(const json_t *old, const json_t *rec, const char *key)
{
    return json_is_true(json_object_get(rec, key)) &&
           !(old && json_is_true(json_object_get(old, key)));
}

/* The reminders of the write: each flag that rose, once per deadline (its dedupe key). */
static int remind(ol_conn_t *conn, ol_ctx_t *c, const json_t *rec, const json_t *old)
{
    const char *number = json_string_value(json_object_get(rec, "number"));
    const char *title = json_string_value(json_object_get(rec, "title"));
    static const struct {
        const char *flag, *due, *event, *en, *zh;
    } overdue[] = {
        {"initial_report_overdue", "initial_report_due", "incident.report_overdue",
         "initial report", "初报"},
        {"written_report_overdue", "written_report_due", "incident.report_overdue",
         "written report", "书面报告"},
        {"followup_overdue", "next_followup_due", "incident.report_overdue",
         "follow-up report", "续报"},
        {"update_overdue", "next_update_due", "incident.update_overdue", "progress update",
         "进展通报"},
    };
    char key[200], se[400], sz[400], be[600], bz[600];
    int rc = 0;
    if (!number)
        return 0; /* create: the after-write hook tells (it knows the number) */
    for (size_t k = 0; k < sizeof overdue / sizeof overdue[0] && !rc; k++) {
        if (!rose(old, rec, overdue[k].flag))
            continue;
        const char *due = json_string_value(json_object_get(rec, overdue[k].due));
        snprintf(key, sizeof key, "%s:%s:%s:%s", overdue[k].event, number, overdue[k].flag,
                 due ? due : "");
        snprintf(se, sizeof se, "%s: %s overdue (due %s)", number, overdue[k].en, due);
        snprintf(sz, sizeof sz, "%s:%s已超时(时限 %s)", number, overdue[k].zh, due);
        snprintf(be, sizeof be, "The %s of %s (%.200s) was due at %s and is not in.",
                 overdue[k].en, number, title ? title : "", due);
        snprintf(bz, sizeof bz, "%s(%.200s)的%s应于 %s 前提交,尚未提交。", number,
                 title ? title : "", overdue[k].zh, due);
        rc = ol_incident_notify(conn, c, overdue[k].event, number, key, se, sz, be, bz);
    }
    const char *from = json_string_value(json_object_get(rec, "report_from"));
    if (!rc && from && ol_sd_changed(old, rec, "report_from")) {
        const char *d1 = json_string_value(json_object_get(rec, "initial_report_due"));
        const char *d2 = json_string_value(json_object_get(rec, "written_report_due"));
        long long level = json_integer_value(json_object_get(rec, "report_level"));
        snprintf(key, sizeof key, "incident.report_due:%s:%s", number, from);
        snprintf(se, sizeof se, "%s: level %lld, regulatory reports due", number, level);
        snprintf(sz, sizeof sz, "%s:%lld 级事件,须向监管报告", number, level);
        snprintf(be, sizeof be, "%s (%.200s) is a level %lld incident: the initial report is due "
                 "at %s, the written report at %s (I5).", number, title ? title : "", level, d1,
                 d2);
        snprintf(bz, sizeof bz, "%s(%.200s)为 %lld 级事件:初报时限 %s,书面报告时限 %s(I5)。",
                 number, title ? title : "", level, d1, d2);
        rc = ol_incident_notify(conn, c, "incident.report_due", number, key, se, sz, be, bz);
    }
    if (!rc && json_is_true(json_object_get(rec, "major")) && ol_sd_changed(old, rec, "major")) {
        const char *at = json_string_value(json_object_get(rec, "major_declared_at"));
        snprintf(key, sizeof key, "incident.major:%s:%s", number, at ? at : "");
        snprintf(se, sizeof se, "Major incident %s: %.200s", number, title ? title : "");
        snprintf(sz, sizeof sz, "重大事件 %s:%.200s", number, title ? title : "");
        snprintf(be, sizeof be, "%s was declared a major incident at %s: the command group "
                 "takes charge; progress updates every %s minutes (I6).", number, at,
                 ol_config()->incident_major_update_minutes);
        snprintf(bz, sizeof bz, "%s 于 %s 宣布为重大事件:应急指挥组接管,每 %s 分钟通报进展(I6)。",
                 number, at, ol_config()->incident_major_update_minutes);
        rc = ol_incident_notify(conn, c, "incident.major", number, key, se, sz, be, bz);
    }
    return rc;
}

int ol_incident_major_check(ol_conn_t *conn, ol_ctx_t *c, json_t *rec, const char *state,
                            const json_t *old)
{
    const ol_config_t *cfg = ol_config();
    const char *number = json_string_value(json_object_get(rec, "number"));
    time_t now = ol_time();
    long level = (long)json_integer_value(json_object_get(rec, "level"));

    /* I6: who declares (or stands down) a major incident; a high enough level declares it. */
    if (ol_sd_changed(old, rec, "major") && json_is_true(json_object_get(rec, "major")) !=
                                                (old && json_is_true(json_object_get(old, "major"))) &&
        !ol_incident_actor_has(c, commanders)) {
        ol_schema_add_error(c->errors, "major", "major_role", c->lang, NULL);
        return ol_ctx_fail(c, -OL_EFORBIDDEN, "I6: only the emergency command or an operations "
                                              "manager declares a major incident");
    }
    long auto_level = ol_config_int(cfg->incident_major_auto_level);
    long was = old ? (long)json_integer_value(json_object_get(old, "level")) : 0;
    if (auto_level > 0 && level >= 1 && level <= auto_level && strcmp(state, "cancelled") &&
        (!old || was > auto_level)) /* on reaching the level: a commander may stand it down */
        json_object_set_new(rec, "major", json_true());
    int major = json_is_true(json_object_get(rec, "major"));
    if (!major)
        set_time(rec, "major_declared_at", 0);
    else if (!get_time(rec, "major_declared_at"))
        set_time(rec, "major_declared_at", now);

    /* I6: progress updates while major and open. */
    time_t last = 0;
    int rc = number && major ? last_update(conn, c, number, &last) : 0;
    if (rc)
        return rc;
    set_time(rec, "last_update_at", last);
    if (major && is_open(state)) {
        time_t base = last > get_time(rec, "major_declared_at") ? last
                                                                : get_time(rec, "major_declared_at");
        time_t due = base + ol_config_int(cfg->incident_major_update_minutes) * 60;
        set_time(rec, "next_update_due", due);
        json_object_set_new(rec, "update_overdue", json_boolean(now >= due));
    } else {
        set_time(rec, "next_update_due", 0);
        json_object_set_new(rec, "update_overdue", json_false());
    }

    /* I5: the regulatory report timers. */
    long threshold = ol_config_int(cfg->incident_report_level);
    time_t from = get_time(rec, "report_from");
    long reported = (long)json_integer_value(json_object_get(rec, "report_level"));
    if (level >= 1 && level <= threshold && strcmp(state, "cancelled")) {
        if (!from) {
            from = old ? now : get_time(rec, "detected_at");
            from = from ? from : now;
            reported = level;
        } else if (level < reported) {
            from = now; /* raised further: report at the new level */
            reported = level;
        }
    }
    set_time(rec, "report_from", from);
    json_object_set_new(rec, "report_level", from ? json_integer(reported) : json_null());
    reports_t got = {0, 0, 0};
    if (from && number && (rc = submitted(conn, c, number, from, &got)))
        return rc;
    time_t d1 = from ? from + ol_config_int(cfg->incident_report_initial_minutes) * 60 : 0;
    time_t d2 = from ? from + ol_config_int(cfg->incident_report_written_minutes) * 60 : 0;
    long every = ol_config_int(cfg->incident_report_followup_minutes);
    time_t d3 = from && got.written && every > 0 && strcmp(state, "closed") &&
                        strcmp(state, "cancelled")
                    ? got.followup + every * 60
                    : 0;
    set_time(rec, "initial_report_due", d1);
    set_time(rec, "initial_report_at", got.initial);
    set_time(rec, "written_report_due", d2);
    set_time(rec, "written_report_at", got.written);
    set_time(rec, "next_followup_due", d3);
    int o1 = from && (got.initial ? got.initial : now) >= d1 + (got.initial ? 1 : 0);
    int o2 = from && (got.written ? got.written : now) >= d2 + (got.written ? 1 : 0);
    int o3 = d3 && now >= d3;
    json_object_set_new(rec, "initial_report_overdue", from ? json_boolean(o1) : json_null());
    json_object_set_new(rec, "written_report_overdue", from ? json_boolean(o2) : json_null());
    json_object_set_new(rec, "followup_overdue", json_boolean(o3));
    json_object_set_new(rec, "report_overdue",
                        json_boolean((o1 && !got.initial) || (o2 && !got.written) || o3));

    /* I7: the confirmation deadline and the recovery time. */
    time_t resolved = get_time(rec, "resolved_at"), detected = get_time(rec, "detected_at");
    long confirm = ol_config_int(cfg->incident_confirm_minutes);
    set_time(rec, "confirm_due",
             !strcmp(state, "resolved") && resolved && confirm > 0 ? resolved + confirm * 60 : 0);
    json_object_set_new(rec, "recovery_minutes",
                        resolved && detected && resolved >= detected
                            ? json_integer((json_int_t)((resolved - detected) / 60))
                            : json_null());
    return remind(conn, c, rec, old);
}

time_t ol_incident_major_next(const json_t *rec)
{
    static const char *const due[][2] = {{"initial_report_due", "initial_report_at"},
                                         {"written_report_due", "written_report_at"},
                                         {"next_followup_due", NULL},
                                         {"next_update_due", NULL},
                                         {"confirm_due", NULL}};
    time_t now = ol_time(), next = 0;
    for (size_t k = 0; k < sizeof due / sizeof due[0]; k++) {
        time_t t = get_time(rec, due[k][0]);
        if (t > now && !(due[k][1] && get_time(rec, due[k][1])) && (!next || t < next))
            next = t;
    }
    return next;
}

/* ---- I8: closing a high or medium priority incident opens its review ------------------------ */

static int review_wanted(const json_t *rec)
{
    const char *prio = json_string_value(json_object_get(rec, "priority"));
    const char *list = ol_config()->incident_review_priorities;
    size_t n = prio ? strlen(prio) : 0;
    for (const char *p = list; n && *p;) {
        size_t m = strcspn(p, ",");
        if (m == n && !strncmp(p, prio, n))
            return 1;
        p += m + (p[m] == ',');
    }
    return 0;
}

static int open_review(ol_conn_t *conn, ol_ctx_t *c, const json_t *inc)
{
    const char *number = json_string_value(json_object_get(inc, "number"));
    char src[64], sql[300];
    data_col(conn, "source", src, sizeof src);
    snprintf(sql, sizeof sql, "SELECT number FROM records WHERE type = 'review' AND %s = ?1", src);
    ol_val_t p[] = {OL_VTEXT(number)};
    ol_rows_t *r;
    int rc = ol_db_exec(conn, sql, p, 1, &r);
    if (rc)
        return ol_ctx_db_fail(c, conn, rc);
    int have = ol_rows_count(r) > 0;
    ol_rows_free(r);
    if (have)
        return 0; /* closed again after a reopening: the review stays the one */
    int zh = c->lang && !strcmp(c->lang, "zh-CN");
    char title[300];
    snprintf(title, sizeof title, zh ? "事件复盘:%s %.200s" : "Post-incident review: %s %.200s",
             number, json_string_value(json_object_get(inc, "title")));
    json_t *in = json_pack("{ssss}", "title", title, "source", number);
    static const char *const copied[][2] = {{"root_cause", "root_cause"}, {"owner", "owner"},
                                            {"group", "group"}};
    for (size_t k = 0; k < sizeof copied / sizeof copied[0]; k++) {
        json_t *v = json_object_get(inc, copied[k][0]);
        if (json_is_string(v) && *json_string_value(v))
            json_object_set(in, copied[k][1], v);
    }
    json_object_set(in, "final_level", json_object_get(inc, "level"));
    ol_ctx_t sys;
    system_ctx(&sys, c);
    ol_write_t w;
    rc = ol_rec_create_prepare(&sys, &ol_review_type, in, &w);
    json_decref(in);
    if (rc == 0) {
        rc = w.fn(conn, w.arg);
        w.free_arg(w.arg);
    }
    if (rc) {
        ol_ctx_fail(c, rc, "I8 post-incident review: %s", sys.detail);
        ol_ctx_clear(&sys);
        return rc;
    }
    const char *pir = json_string_value(json_object_get(sys.result, "number"));
    const char *due = json_string_value(json_object_get(sys.result, "due_at"));
    char key[96], se[400], sz[400], be[600], bz[600];
    snprintf(key, sizeof key, "review.opened:%s", pir);
    snprintf(se, sizeof se, "Post-incident review %s opened for %s", pir, number);
    snprintf(sz, sizeof sz, "已为 %s 创建事件复盘 %s", number, pir);
    snprintf(be, sizeof be, "%s was closed; its review %s is due at %s (I8).", number, pir, due);
    snprintf(bz, sizeof bz, "%s 已关闭,复盘 %s 须在 %s 前完成(I8)。", number, pir, due);
    rc = ol_incident_notify(conn, c, "review.opened", pir, key, se, sz, be, bz);
    ol_ctx_clear(&sys);
    return rc;
}

int ol_incident_after_write(ol_conn_t *conn, ol_ctx_t *c, const json_t *rec, const char *action)
{
    int rc = ol_problem_after_incident(conn, c, rec, action);
    const char *state = json_string_value(json_object_get(rec, "state"));
    if (rc == 0 && !strcmp(action, "create"))
        rc = remind(conn, c, rec, NULL); /* a new incident reportable or major at once */
    if (rc == 0 && !strcmp(action, "transition") && state && !strcmp(state, "closed") &&
        review_wanted(rec))
        rc = open_review(conn, c, rec);
    return rc;
}
