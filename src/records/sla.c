/* records/sla.c - SLA timers kept in step with their records, and the sweep that fires their
 * warnings and breaches (I4; see records/sla.h). */
#include "records/sla.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/json.h"
#include "records/audit.h"
#include "records/outbox.h"

static const char *const kinds[] = {"response", "resolution"};

/* A timer's row, as reconciled. */
typedef struct {
    long long id;
    char status[16], category[48], priority[32], grp[128];
    int has_grp;
    ol_cal_kind_t calendar;
    long target;                /* minutes */
    long long run_from, used, paused_seconds, paused_at;
    int warned, breached;
} timer_t_;

#define TIMER_COLUMNS                                                                       \
    "id, status, category, priority, grp, calendar, target_minutes, run_from, used_seconds, " \
    "paused_seconds, paused_at, warned_at, breached_at"

static void timer_from_row(const ol_rows_t *r, int i, timer_t_ *t)
{
    memset(t, 0, sizeof *t);
    t->id = ol_rows_int(r, i, 0);
    snprintf(t->status, sizeof t->status, "%s", ol_rows_get(r, i, 1));
    snprintf(t->category, sizeof t->category, "%s", ol_rows_get(r, i, 2));
    snprintf(t->priority, sizeof t->priority, "%s", ol_rows_get(r, i, 3));
    t->has_grp = ol_rows_get(r, i, 4) != NULL;
    snprintf(t->grp, sizeof t->grp, "%s", t->has_grp ? ol_rows_get(r, i, 4) : "");
    if (ol_sla_calendar_by_name(ol_rows_get(r, i, 5), &t->calendar))
        t->calendar = OL_CAL_7X24;
    t->target = (long)ol_rows_int(r, i, 6);
    t->run_from = ol_rows_int(r, i, 7);
    t->used = ol_rows_int(r, i, 8);
    t->paused_seconds = ol_rows_int(r, i, 9);
    t->paused_at = ol_rows_int(r, i, 10);
    t->warned = ol_rows_get(r, i, 11) != NULL;
    t->breached = ol_rows_get(r, i, 12) != NULL;
}

/* The status a timer of kind k should have for a record in state. */
static const char *wanted_status(const char *type, int k, const char *state,
                                 const ol_sla_policy_t *pol, const char *current)
{
    if (!pol || ol_sla_state_in("cancel", type, state))
        return current && !strcmp(current, "met") ? "met" : "cancelled";
    if (ol_sla_state_in("resolution", type, state) ||
        (k == 0 && ol_sla_state_in("response", type, state)))
        return "met";
    if (k == 0 && current && !strcmp(current, "met"))
        return "met"; /* a response once given stays given */
    if (ol_sla_state_in("pause", type, state))
        return "paused";
    return "running";
}

/* Writes the timer's row: inserts when id is 0. deadline, warn and due follow from it. */
static int save(ol_conn_t *conn, timer_t_ *t, long long record_id, const ol_record_type_t *type,
                const char *number, int k, long long now)
{
    ol_val_t deadline = OL_VNULL, warn = OL_VNULL, due = OL_VNULL, met = OL_VNULL;
    ol_val_t run_from = OL_VNULL, paused_at = OL_VNULL;
    if (!strcmp(t->status, "running")) {
        const ol_calendar_t *cal = ol_sla_calendar(t->calendar);
        long long target = (long long)t->target * 60;
        time_t dl = ol_cal_add(cal, (time_t)t->run_from, target - t->used);
        deadline = OL_VINT(dl);
        if (!t->breached)
            due = OL_VINT(dl);
        if (!t->warned) {
            long long share = target * ol_sla_warn_percent() / 100 - t->used;
            warn = OL_VINT(ol_cal_add(cal, (time_t)t->run_from, share));
        }
        run_from = OL_VINT(t->run_from);
    } else if (!strcmp(t->status, "paused")) {
        paused_at = OL_VINT(t->paused_at);
    } else if (!strcmp(t->status, "met")) {
        met = OL_VINT(now);
    }
    ol_val_t p[] = {OL_VINT(record_id), OL_VTEXT(type->name), OL_VTEXT(number),
                    OL_VTEXT(kinds[k]), OL_VTEXT(t->category), OL_VTEXT(t->priority),
                    t->has_grp ? OL_VTEXT(t->grp) : OL_VNULL,
                    OL_VTEXT(ol_sla_calendar_name(t->calendar)), OL_VINT(t->target),
                    OL_VTEXT(t->status), OL_VINT(now), run_from, OL_VINT(t->used),
                    OL_VINT(t->paused_seconds), paused_at, deadline, warn, due, met};
    if (!t->id)
        return ol_db_exec(conn,
                          "INSERT INTO sla_timers(record_id, record_type, number, kind, category, "
                          "priority, grp, calendar, target_minutes, status, started_at, run_from, "
                          "used_seconds, paused_seconds, paused_at, deadline, warn_at, due_at, "
                          "met_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
                          "?14, ?15, ?16, ?17, ?18, ?19)",
                          p, 19, NULL);
    /* met_at keeps the first meeting while the timer stays met, and is cleared when it runs
     * again (a reopened record). */
    ol_val_t u[] = {OL_VINT(t->id), OL_VTEXT(t->category), OL_VTEXT(t->priority),
                    t->has_grp ? OL_VTEXT(t->grp) : OL_VNULL,
                    OL_VTEXT(ol_sla_calendar_name(t->calendar)), OL_VINT(t->target),
                    OL_VTEXT(t->status), run_from, OL_VINT(t->used), OL_VINT(t->paused_seconds),
                    paused_at, deadline, warn, due, met};
    return ol_db_exec(conn,
                      "UPDATE sla_timers SET category = ?2, priority = ?3, grp = ?4, calendar = ?5, "
                      "target_minutes = ?6, status = ?7, run_from = ?8, used_seconds = ?9, "
                      "paused_seconds = ?10, paused_at = ?11, deadline = ?12, warn_at = ?13, "
                      "due_at = ?14, met_at = CASE WHEN ?7 = 'met' THEN COALESCE(met_at, ?15) "
                      "ELSE NULL END WHERE id = ?1",
                      u, 15, NULL);
}

/* ---- wake-ups ------------------------------------------------------------------------------- */

static struct {
    const char *type;
    ol_wake_fn fn;
} wakes[8];
static int nwakes;

void ol_wake_register(const char *type, ol_wake_fn fn)
{
    for (int k = 0; k < nwakes; k++)
        if (!strcmp(wakes[k].type, type)) {
            wakes[k].fn = fn;
            return;
        }
    if (nwakes < (int)(sizeof wakes / sizeof wakes[0])) {
        wakes[nwakes].type = type;
        wakes[nwakes++].fn = fn;
    }
}

static ol_wake_fn wake_of(const char *type)
{
    for (int k = 0; k < nwakes; k++)
        if (!strcmp(wakes[k].type, type))
            return wakes[k].fn;
    return NULL;
}

static int set_wake(ol_conn_t *conn, long long record_id, const char *type, const char *number,
                    time_t at)
{
    if (at <= 0) {
        ol_val_t d[] = {OL_VINT(record_id)};
        return ol_db_exec(conn, "DELETE FROM record_wakeups WHERE record_id = ?1", d, 1, NULL);
    }
    ol_val_t p[] = {OL_VINT(record_id), OL_VTEXT(type), OL_VTEXT(number), OL_VINT(at)};
    return ol_db_exec(conn,
                      "INSERT INTO record_wakeups(record_id, record_type, number, wake_at) VALUES "
                      "(?1, ?2, ?3, ?4) ON CONFLICT(record_id) DO UPDATE SET wake_at = "
                      "excluded.wake_at",
                      p, 4, NULL);
}

typedef struct {
    const char *type;
    int limit;
    time_t now;
    json_t *numbers;
    const json_t *next;
} wake_job_t;

static int wake_due_fn(ol_conn_t *conn, void *arg)
{
    wake_job_t *w = arg;
    ol_rows_t *r;
    ol_val_t p[] = {OL_VTEXT(w->type), OL_VINT(w->now), OL_VINT(w->limit)};
    int rc = ol_db_exec(conn, "SELECT number FROM record_wakeups WHERE record_type = ?1 AND "
                              "wake_at <= ?2 ORDER BY wake_at LIMIT ?3", p, 3, &r);
    if (rc)
        return rc;
    for (int i = 0; i < ol_rows_count(r); i++)
        json_array_append_new(w->numbers, json_string(ol_rows_get(r, i, 0)));
    ol_rows_free(r);
    return 0;
}

int ol_wake_due(ol_db_t *db, const char *type, int limit, time_t now, json_t **numbers)
{
    wake_job_t w = {.type = type, .limit = limit, .now = now, .numbers = json_array()};
    int rc = ol_db_read(db, wake_due_fn, &w);
    if (rc) {
        json_decref(w.numbers);
        return rc;
    }
    *numbers = w.numbers;
    return 0;
}

static int wake_settle_fn(ol_conn_t *conn, void *arg)
{
    wake_job_t *w = arg;
    const char *number;
    const json_t *at;
    int rc = 0;
    json_object_foreach((json_t *)w->next, number, at) {
        long long t = json_integer_value(at);
        ol_val_t p[] = {OL_VTEXT(w->type), OL_VTEXT(number), OL_VINT(w->now), OL_VINT(t)};
        rc = t > 0 ? ol_db_exec(conn, "UPDATE record_wakeups SET wake_at = ?4 WHERE record_type = "
                                      "?1 AND number = ?2 AND wake_at <= ?3", p, 4, NULL)
                   : ol_db_exec(conn, "DELETE FROM record_wakeups WHERE record_type = ?1 AND "
                                      "number = ?2 AND wake_at <= ?3", p, 3, NULL);
        if (rc)
            break;
    }
    return rc;
}

int ol_wake_settle(ol_db_t *db, const char *type, const json_t *next, time_t now)
{
    if (!json_object_size(next))
        return 0;
    wake_job_t w = {.type = type, .now = now, .next = next};
    return ol_db_write(db, wake_settle_fn, &w);
}

/* ---- keeping timers in step ----------------------------------------------------------------- */

int ol_sla_on_write(ol_conn_t *conn, const ol_ctx_t *c, const ol_record_type_t *t,
                    long long record_id, const json_t *rec)
{
    (void)c;
    ol_wake_fn wake = wake_of(t->name);
    if (wake) {
        int rc = set_wake(conn, record_id, t->name,
                          json_string_value(json_object_get(rec, "number")), wake(rec));
        if (rc)
            return rc;
    }
    if (!ol_sla_type_has_policy(t->name))
        return 0;
    const char *state = json_string_value(json_object_get(rec, "state"));
    const char *category = json_string_value(json_object_get(rec, "category"));
    const char *priority = json_string_value(json_object_get(rec, "priority"));
    const char *grp = json_string_value(json_object_get(rec, "group"));
    const char *number = json_string_value(json_object_get(rec, "number"));
    const ol_sla_policy_t *pol = ol_sla_policy_find(t->name, category, priority);
    long long now = ol_time();

    ol_rows_t *r;
    ol_val_t q[] = {OL_VINT(record_id)};
    int rc = ol_db_exec(conn, "SELECT " TIMER_COLUMNS ", kind FROM sla_timers WHERE record_id = ?1",
                        q, 1, &r);
    if (rc)
        return rc;
    for (int k = 0; k < 2 && rc == 0; k++) {
        timer_t_ cur, next;
        int found = 0;
        for (int i = 0; i < ol_rows_count(r); i++)
            if (!strcmp(ol_rows_get(r, i, 13), kinds[k])) {
                timer_from_row(r, i, &cur);
                found = 1;
            }
        const char *want = wanted_status(t->name, k, state, pol, found ? cur.status : NULL);
        if (!found) {
            if (strcmp(want, "running") && strcmp(want, "paused"))
                continue; /* created already answered, or without a target: no timer */
            memset(&next, 0, sizeof next);
        } else {
            next = cur;
        }
        if (pol) {
            snprintf(next.category, sizeof next.category, "%s", category ? category : "");
            snprintf(next.priority, sizeof next.priority, "%s", priority);
            next.calendar = pol->calendar;
            next.target = k ? pol->resolution_minutes : pol->response_minutes;
        }
        next.has_grp = grp != NULL;
        snprintf(next.grp, sizeof next.grp, "%s", grp ? grp : "");
        snprintf(next.status, sizeof next.status, "%s", want);
        if (found && !strcmp(cur.status, next.status) && !strcmp(cur.category, next.category) &&
            !strcmp(cur.priority, next.priority) && cur.calendar == next.calendar &&
            cur.target == next.target && cur.has_grp == next.has_grp &&
            !strcmp(cur.grp, next.grp))
            continue; /* nothing changed: no write */
        /* Close the stretch the timer was in, then open the new one. */
        if (found && !strcmp(cur.status, "running"))
            next.used += ol_cal_between(ol_sla_calendar(cur.calendar), (time_t)cur.run_from,
                                        (time_t)now);
        if (found && !strcmp(cur.status, "paused"))
            next.paused_seconds += now - cur.paused_at;
        int same_stretch = found && !strcmp(cur.status, next.status);
        if (!strcmp(next.status, "running"))
            next.run_from = now;
        if (!strcmp(next.status, "paused"))
            next.paused_at = same_stretch ? cur.paused_at : now;
        if (same_stretch && !strcmp(next.status, "paused"))
            next.paused_seconds = cur.paused_seconds;
        rc = save(conn, &next, record_id, t, number, k, now);
    }
    ol_rows_free(r);
    return rc;
}

/* ---- the sweep ------------------------------------------------------------------------------ */

typedef struct {
    long long now;
    long batch;
    int fired;
} sweep_t;

static char *fmt_minutes(long minutes, char *buf, size_t len)
{
    if (minutes % 60)
        snprintf(buf, len, "%ld min", minutes);
    else
        snprintf(buf, len, "%ld h", minutes / 60);
    return buf;
}

/* What a warning or breach tells: the work note on the record, the notice, the audit entry. */
static int fire(ol_conn_t *conn, const ol_ctx_t *c, const ol_rows_t *r, int i, int breach,
                long long at)
{
    long long timer_id = ol_rows_int(r, i, 0), record_id = ol_rows_int(r, i, 1);
    const char *number = ol_rows_get(r, i, 2), *kind = ol_rows_get(r, i, 3);
    const char *priority = ol_rows_get(r, i, 4), *category = ol_rows_get(r, i, 5);
    const char *grp = ol_rows_get(r, i, 6), *type = ol_rows_get(r, i, 8);
    long target = (long)ol_rows_int(r, i, 7);
    long long deadline = ol_rows_int(r, i, 9);
    int zh_kind = !strcmp(kind, "response");
    char tgt[32], due[32], subject_en[300], subject_zh[300], body_en[600], body_zh[600], key[96];
    fmt_minutes(target, tgt, sizeof tgt);
    ol_iso_at((time_t)deadline, due);
    if (breach) {
        snprintf(subject_en, sizeof subject_en, "SLA breached: %s %s target (%s) of %s",
                 number, kind, tgt, priority);
        snprintf(subject_zh, sizeof subject_zh, "SLA 违约：%s %s超时（目标 %s）", number,
                 zh_kind ? "响应" : "解决", tgt);
        snprintf(body_en, sizeof body_en, "%s (%s, priority %s, group %s) missed its %s target of "
                 "%s, due %s.", number, category, priority, grp ? grp : "-", kind, tgt, due);
        snprintf(body_zh, sizeof body_zh, "%s（类别 %s，优先级 %s，处理组 %s）%s时限 %s 已于 %s "
                 "到期未达成。", number, category, priority, grp ? grp : "-",
                 zh_kind ? "响应" : "解决", tgt, due);
    } else {
        snprintf(subject_en, sizeof subject_en, "SLA warning: %s %s target (%s) %d%% used - "
                 "escalated to the second line", number, kind, tgt, ol_sla_warn_percent());
        snprintf(subject_zh, sizeof subject_zh, "SLA 预警：%s %s时限已用 %d%%，升级至二线", number,
                 zh_kind ? "响应" : "解决", ol_sla_warn_percent());
        snprintf(body_en, sizeof body_en, "%s (%s, priority %s, group %s) has used %d%% of its "
                 "%s target of %s; it is due %s. Escalated to the second line.", number, category,
                 priority, grp ? grp : "-", ol_sla_warn_percent(), kind, tgt, due);
        snprintf(body_zh, sizeof body_zh, "%s（类别 %s，优先级 %s，处理组 %s）%s时限 %s 已用 %d%%，"
                 "将于 %s 到期，已升级至二线处理。", number, category, priority, grp ? grp : "-",
                 zh_kind ? "响应" : "解决", tgt, ol_sla_warn_percent(), due);
    }
    snprintf(key, sizeof key, "sla.%s:%lld:%lld", breach ? "breach" : "warning", timer_id, at);
    char now_iso[32];
    ol_iso_at((time_t)at, now_iso);
    int rc;
    if (breach) {
        ol_val_t b[] = {OL_VINT(timer_id), OL_VINT(record_id), OL_VTEXT(type), OL_VTEXT(number),
                        OL_VTEXT(kind), OL_VTEXT(category), OL_VTEXT(priority), OL_VTEXT(grp),
                        OL_VINT(target), OL_VINT(deadline), OL_VINT(ol_time())};
        rc = ol_db_exec(conn, "INSERT INTO sla_breaches(timer_id, record_id, record_type, number, "
                              "kind, category, priority, grp, target_minutes, due_at, "
                              "recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                        b, 11, NULL);
    } else {
        /* The escalation, recorded on the record itself for whoever works it. */
        ol_rows_t *cr;
        char note[1300];
        snprintf(note, sizeof note, "%s\n%s", body_en, body_zh);
        ol_val_t n[] = {OL_VINT(record_id), OL_VTEXT(now_iso), OL_VTEXT(note)};
        rc = ol_db_exec(conn, "INSERT INTO comments(record_id, kind, author, at, body) VALUES "
                              "(?1, 'work_note', 'system', ?2, ?3) RETURNING id", n, 3, &cr);
        if (rc == 0) {
            ol_val_t f[] = {OL_VINT(ol_rows_int(cr, 0, 0)), OL_VTEXT(note)};
            ol_rows_free(cr);
            rc = ol_db_exec(conn, "INSERT INTO comment_fts(rowid, text) VALUES (?1, ?2)", f, 2,
                            NULL);
        }
    }
    ol_notice_t notice = {.channel = ol_config()->sla_channel,
                          .event = breach ? "sla.breach" : "sla.warning",
                          .record = number, .subject_en = subject_en, .body_en = body_en,
                          .subject_zh = subject_zh, .body_zh = body_zh, .dedupe_key = key};
    if (rc == 0) /* also when sla_channel is empty: the teams' rules may want it */
        rc = ol_outbox_enqueue(conn, c, &notice);
    if (rc == 0) {
        json_t *d = json_pack("{sssssssIss}", "kind", kind, "priority", priority, "category",
                              category, "target_minutes", (json_int_t)target, "due", due);
        if (!breach)
            json_object_set_new(d, "escalated_to", json_string("second line"));
        char *text = ol_json_dump(d);
        json_decref(d);
        rc = ol_audit_write(conn, c, breach ? "sla.breach" : "sla.warning", number, "ok", text);
        free(text);
    }
    return rc;
}

#define DUE_COLUMNS                                                                         \
    "id, record_id, number, kind, priority, category, grp, target_minutes, record_type, " \
    "deadline"

static int sweep_job(ol_conn_t *conn, void *arg)
{
    static const char *const system_roles[] = {"admin", NULL};
    sweep_t *s = arg;
    ol_ctx_t c;
    ol_ctx_init(&c, NULL, "system", system_roles);
    c.via = "system";
    int rc = 0;
    for (int breach = 0; breach < 2 && rc == 0; breach++) {
        ol_rows_t *r;
        ol_val_t p[] = {OL_VINT(s->now), OL_VINT(s->batch)};
        rc = ol_db_exec(conn, breach ? "SELECT " DUE_COLUMNS ", due_at FROM sla_timers WHERE "
                                       "due_at <= ?1 ORDER BY due_at LIMIT ?2"
                                     : "SELECT " DUE_COLUMNS ", warn_at FROM sla_timers WHERE "
                                       "warn_at <= ?1 ORDER BY warn_at LIMIT ?2",
                        p, 2, &r);
        if (rc)
            break;
        for (int i = 0; rc == 0 && i < ol_rows_count(r); i++) {
            long long at = ol_rows_int(r, i, 10);
            ol_val_t u[] = {OL_VINT(ol_rows_int(r, i, 0)), OL_VINT(at)};
            /* Claimed by clearing the column: another node's sweep (PostgreSQL) that read the
             * same row finds it cleared once this commits, and fires nothing. */
            ol_rows_t *claimed;
            rc = ol_db_exec(conn, breach ? "UPDATE sla_timers SET due_at = NULL, breached_at = ?2 "
                                           "WHERE id = ?1 AND due_at = ?2 RETURNING id"
                                         : "UPDATE sla_timers SET warn_at = NULL, warned_at = ?2 "
                                           "WHERE id = ?1 AND warn_at = ?2 RETURNING id",
                            u, 2, &claimed);
            int mine = rc == 0 && ol_rows_count(claimed) == 1;
            if (rc == 0)
                ol_rows_free(claimed);
            if (mine)
                rc = fire(conn, &c, r, i, breach, at);
            if (mine && rc == 0)
                s->fired++;
        }
        ol_rows_free(r);
    }
    ol_ctx_clear(&c);
    return rc;
}

/* The earliest warning or breach to fire (0 when none): two reads of the partial indexes'
 * first entries, so that an idle sweep costs no write transaction. */
static int next_due_fn(ol_conn_t *conn, void *arg)
{
    ol_rows_t *r;
    int rc = ol_db_exec(conn, "SELECT (SELECT MIN(warn_at) FROM sla_timers WHERE warn_at IS NOT NULL), "
                              "(SELECT MIN(due_at) FROM sla_timers WHERE due_at IS NOT NULL)", NULL, 0, &r);
    if (rc)
        return rc;
    long long *next = arg, w = ol_rows_int(r, 0, 0), d = ol_rows_int(r, 0, 1);
    *next = ol_rows_get(r, 0, 0) && (!ol_rows_get(r, 0, 1) || w < d) ? w : d;
    if (!ol_rows_get(r, 0, 0) && !ol_rows_get(r, 0, 1))
        *next = 0;
    ol_rows_free(r);
    return 0;
}

int ol_sla_sweep(ol_db_t *db)
{
    sweep_t s = {.now = ol_time(), .batch = ol_config_int(ol_config()->sla_sweep_batch)};
    long long next = 0;
    int rc = ol_db_read(db, next_due_fn, &next);
    if (rc || !next || next > s.now)
        return rc;
    rc = ol_db_write(db, sweep_job, &s);
    return rc ? rc : s.fired;
}
